/*
 * Copyright (c) 2026 The ovs-colo authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/* Benchmark of the colo_rewrite engine.  Prints figures; asserts nothing
 * about speed, so it cannot flake.
 *
 *   ovstest test-colo-bench [N_CONNS [N_PASSES]]
 *
 * - memory: the heap that N_CONNS learned connections take (mallinfo2(),
 *   so the cmap's buckets count too), per connection.
 *
 * - speed: nanoseconds per packet for colo_table_process() on established
 *   connections, side by side in the same run with miniflow_extract() on
 *   the same packets, the parse that the userspace datapath does for every
 *   packet anyway.
 *
 * The flood benchmark, ovstest test-colo-flood, is in test-colo-flood.c. */

#include <config.h>
#undef NDEBUG
#include "colo-rewrite.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "colo-compat.h"
#include "csum.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/util.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "tests/ovstest.h"
#include "util.h"

#define ZONE 5

/* Makes a TCP/IPv4 frame of connection 'idx' in 'dir' with 'tcp_flags',
 * 'seq', 'ack' and 'len' bytes of payload, with a correct checksum. */
static struct dp_packet *
make_packet(unsigned int idx, enum colo_direction dir, uint16_t tcp_flags,
            uint32_t seq, uint32_t ack, size_t len)
{
    ovs_be32 vm = htonl(0x0a000002), peer = htonl(0x0b000000 + idx);
    ovs_be16 vm_port = htons(80), peer_port = htons(1024 + idx % 60000);
    struct dp_packet *p = dp_packet_new(128 + len);
    struct flow flow;

    memset(&flow, 0, sizeof flow);
    flow.dl_type = htons(ETH_TYPE_IP);
    flow.nw_proto = IPPROTO_TCP;
    flow.nw_ttl = 64;
    flow.nw_src = dir == COLO_PRIMARY ? peer : vm;
    flow.nw_dst = dir == COLO_PRIMARY ? vm : peer;
    flow.tp_src = dir == COLO_PRIMARY ? peer_port : vm_port;
    flow.tp_dst = dir == COLO_PRIMARY ? vm_port : peer_port;
    flow.tcp_flags = htons(tcp_flags);
    colo_flow_compose(p, &flow, NULL, len);

    struct tcp_header *tcp = dp_packet_l4(p);
    put_16aligned_be32(&tcp->tcp_seq, htonl(seq));
    put_16aligned_be32(&tcp->tcp_ack, htonl(ack));
    tcp->tcp_csum = 0;
    tcp->tcp_csum = csum_finish(csum_continue(
                        packet_csum_pseudoheader(dp_packet_l3(p)),
                        tcp, dp_packet_l4_size(p)));
    return p;
}

static enum colo_result
process_len(struct colo_table *table, unsigned int idx,
            enum colo_direction dir, uint16_t tcp_flags, uint32_t seq,
            uint32_t ack, size_t len)
{
    struct dp_packet *p = make_packet(idx, dir, tcp_flags, seq, ack, len);
    enum colo_result result = colo_table_process(table, ZONE, dir, p, 0);

    dp_packet_delete(p);
    return result;
}

static enum colo_result
process(struct colo_table *table, unsigned int idx, enum colo_direction dir,
        uint16_t tcp_flags, uint32_t seq, uint32_t ack)
{
    return process_len(table, idx, dir, tcp_flags, seq, ack, 0);
}

/* The handshake of connection 'idx', VM as server. */
static void
handshake(struct colo_table *table, unsigned int idx)
{
    uint32_t c = idx * 7919, pv = idx * 104729, sv = ~idx;

    process(table, idx, COLO_PRIMARY, TCP_SYN, c, 0);
    process(table, idx, COLO_SECONDARY, TCP_SYN | TCP_ACK, sv, c + 1);
    process(table, idx, COLO_PRIMARY, TCP_ACK, c + 1, pv + 1);
}

static long long int
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Heap in use, also the large blocks that malloc() maps on its own. */
static size_t
heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

static void
bench_memory(unsigned int n_conns)
{
    struct colo_config config = {
        .max_conns = n_conns, .idle_timeout = COLO_DEFAULT_IDLE_TIMEOUT,
        .linger = COLO_DEFAULT_LINGER,
    };
    struct colo_table *table = colo_table_create();
    struct colo_zone_stats stats;
    size_t before, after;

    colo_table_set_config(table, &config);
    before = heap_in_use();
    for (unsigned int i = 0; i < n_conns; i++) {
        handshake(table, i);
    }
    /* Let RCU free the buckets that the cmap outgrew, as the datapath's
     * threads do when they quiesce. */
    ovsrcu_quiesce();
    after = heap_in_use();

    ovs_assert(colo_table_get_zone_stats(table, ZONE, &stats));
    ovs_assert(stats.n_by_state[COLO_CONN_ESTABLISHED] == n_conns);
    printf("memory: %u connections take %zu bytes of heap: %.1f bytes per "
           "connection (entry struct %zu bytes)\n", n_conns, after - before,
           (double) (after - before) / n_conns, colo_conn_size());
    colo_table_destroy(table);
}

static void
bench_speed(unsigned int n_conns, unsigned int n_passes)
{
    struct colo_table *table = colo_table_create();
    struct dp_packet **pkts = xmalloc(2 * n_conns * sizeof *pkts);
    size_t n_pkts = 2 * n_conns;
    long long int start, colo_ns, extract_ns;
    uint64_t buf[FLOW_U64S];
    struct miniflow *mf = (struct miniflow *) buf;

    for (unsigned int i = 0; i < n_conns; i++) {
        handshake(table, i);
        pkts[2 * i] = make_packet(i, COLO_PRIMARY, TCP_ACK | TCP_PSH,
                                  i * 7919 + 1, i * 104729 + 1, 64);
        pkts[2 * i + 1] = make_packet(i, COLO_SECONDARY, TCP_ACK | TCP_PSH,
                                      ~i + 1, i * 7919 + 65, 64);
    }

    start = now_ns();
    for (unsigned int pass = 0; pass < n_passes; pass++) {
        for (size_t i = 0; i < n_pkts; i++) {
            colo_table_process(table, ZONE, i % 2 ? COLO_SECONDARY
                               : COLO_PRIMARY, pkts[i], 0);
        }
    }
    colo_ns = now_ns() - start;

    start = now_ns();
    for (unsigned int pass = 0; pass < n_passes; pass++) {
        for (size_t i = 0; i < n_pkts; i++) {
            miniflow_extract(pkts[i], mf);
        }
    }
    extract_ns = now_ns() - start;

    double total = (double) n_passes * n_pkts;
    printf("speed: %u established connections, %.0f packets: "
           "colo_table_process %.1f ns/packet, miniflow_extract %.1f "
           "ns/packet, ratio %.2f\n", n_conns, total, colo_ns / total,
           extract_ns / total, (double) colo_ns / extract_ns);

    for (size_t i = 0; i < n_pkts; i++) {
        dp_packet_delete(pkts[i]);
    }
    free(pkts);
    colo_table_destroy(table);
}

static void
test_colo_bench_main(int argc, char *argv[])
{
    unsigned int n_conns = argc > 1 ? atoi(argv[1]) : 100000;
    unsigned int n_passes = argc > 2 ? atoi(argv[2]) : 20;

    bench_memory(n_conns);
    bench_speed(n_conns < 10000 ? n_conns : 10000, n_passes);
}

OVSTEST_REGISTER("test-colo-bench", test_colo_bench_main);
