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

/* Flood benchmark of the colo_rewrite engine.  Prints figures; asserts
 * nothing about speed, so it cannot flake.
 *
 *   ovstest test-colo-flood [N_LEGIT]
 *
 * It measures how a zone under a flood keeps learning legitimate
 * handshakes (see bench_flood()). */

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

/* Flood benchmark. */

#define FLOOD_ZONE_SIZE 10000   /* colo-max-conns of the flooded zone. */
#define FLOOD_ESTABLISHED 5000  /* Assured connections in it beforehand. */
#define FLOOD_FIRST_IDX 100000  /* Connection numbers of the flood. */

enum flood_kind {
    FLOOD_SYN,                  /* Spoofed SYNs, which the SVM answers. */
    FLOOD_HANDSHAKE,            /* The same, completed by a spoofed ACK
                                 * with a guessed acknowledgement. */
};

/* Sends 'n' packets' worth of flood of 'kind', each from a new spoofed
 * address and port; '*idx' numbers them. */
static void
flood(struct colo_table *table, enum flood_kind kind, unsigned int n,
      unsigned int *idx)
{
    for (unsigned int i = 0; i < n; i++) {
        unsigned int k = (*idx)++;
        uint32_t c = k * 2654435761u, sv = ~k;

        process(table, k, COLO_PRIMARY, TCP_SYN, c, 0);
        process(table, k, COLO_SECONDARY, TCP_SYN | TCP_ACK, sv, c + 1);
        if (kind == FLOOD_HANDSHAKE) {
            process(table, k, COLO_PRIMARY, TCP_ACK, c + 1, 12345);
        }
    }
}

/* Makes the connection of 'idx', learned with handshake(), assured: the
 * peer sends a request, the SVM answers, the peer acknowledges the answer.
 * Returns true if all three were rewritten. */
static bool
exchange(struct colo_table *table, unsigned int idx)
{
    uint32_t c = idx * 7919, pv = idx * 104729, sv = ~idx;

    return (process_len(table, idx, COLO_PRIMARY, TCP_ACK | TCP_PSH, c + 1,
                        pv + 1, 100) == COLO_RESULT_REWRITTEN
            && process_len(table, idx, COLO_SECONDARY, TCP_ACK | TCP_PSH,
                           sv + 1, c + 101, 200) == COLO_RESULT_REWRITTEN
            && process(table, idx, COLO_PRIMARY, TCP_ACK, c + 101, pv + 201)
               == COLO_RESULT_REWRITTEN);
}

/* Returns a table whose zones hold FLOOD_ZONE_SIZE entries. */
static struct colo_table *
flood_table_create(void)
{
    struct colo_config config = {
        .max_conns = FLOOD_ZONE_SIZE,
        .idle_timeout = COLO_DEFAULT_IDLE_TIMEOUT,
        .linger = COLO_DEFAULT_LINGER,
    };
    struct colo_table *table = colo_table_create();

    colo_table_set_config(table, &config);
    return table;
}

/* One run: a zone of FLOOD_ZONE_SIZE entries holding FLOOD_ESTABLISHED
 * assured connections; then 'n_legit' legitimate handshakes, the VM as
 * server, with 'n_flood' flood packets of 'kind' before the SVM's SYN+ACK
 * and again before the peer's ACK, each then followed by an exchange of
 * data.  Returns the percentage of legitimate connections that were
 * learned and rewritten through their exchange; counts in '*lost' the
 * established connections that no longer rewrite. */
static double
bench_flood(enum flood_kind kind, unsigned int n_flood,
            unsigned int n_legit, unsigned int *lost)
{
    struct colo_table *table = flood_table_create();
    unsigned int flood_idx = FLOOD_FIRST_IDX;
    struct colo_zone_stats stats;
    unsigned int n_learned = 0;
    long long int start, ns;

    for (unsigned int i = 0; i < FLOOD_ESTABLISHED; i++) {
        handshake(table, i);
        ovs_assert(exchange(table, i));
    }
    /* Fill the rest of the zone, as a flood that has been going on. */
    flood(table, kind, FLOOD_ZONE_SIZE, &flood_idx);

    start = now_ns();
    for (unsigned int j = 0; j < n_legit; j++) {
        unsigned int i = FLOOD_ESTABLISHED + j;
        uint32_t c = i * 7919, pv = i * 104729, sv = ~i;

        process(table, i, COLO_PRIMARY, TCP_SYN, c, 0);
        flood(table, kind, n_flood, &flood_idx);
        process(table, i, COLO_SECONDARY, TCP_SYN | TCP_ACK, sv, c + 1);
        flood(table, kind, n_flood, &flood_idx);
        if (process(table, i, COLO_PRIMARY, TCP_ACK, c + 1, pv + 1)
            == COLO_RESULT_REWRITTEN && exchange(table, i)) {
            n_learned++;
        }
    }
    ns = now_ns() - start;

    *lost = 0;
    for (unsigned int i = 0; i < FLOOD_ESTABLISHED; i++) {
        uint32_t c = i * 7919, pv = i * 104729;

        if (process(table, i, COLO_PRIMARY, TCP_ACK, c + 101, pv + 201)
            != COLO_RESULT_REWRITTEN) {
            (*lost)++;
        }
    }

    ovs_assert(colo_table_get_zone_stats(table, ZONE, &stats));
    uint64_t n_flood_pkts = (uint64_t) 2 * n_flood * n_legit
                            * (kind == FLOOD_HANDSHAKE ? 3 : 2);
    printf("flood: %-9s %5u per step: learned %5.1f%% (%u of %u), "
           "established lost %u, entries %u, evicted %"PRIu64", "
           "zone full %"PRIu64", %.0f ns per flood packet\n",
           kind == FLOOD_SYN ? "syn" : "handshake", n_flood,
           100.0 * n_learned / n_legit, n_learned, n_legit, *lost,
           stats.n_conns, stats.counters[COLO_STAT_CONNS_EVICTED],
           stats.counters[COLO_STAT_PASS_ZONE_FULL],
           n_flood_pkts ? (double) ns / n_flood_pkts : 0.0);
    colo_table_destroy(table);
    ovsrcu_quiesce();
    return 100.0 * n_learned / n_legit;
}

/* Heap per entry of a zone that a SYN flood filled. */
static double
bench_flood_memory(void)
{
    struct colo_table *table = flood_table_create();
    unsigned int flood_idx = FLOOD_FIRST_IDX;
    size_t before, after;

    before = heap_in_use();
    flood(table, FLOOD_SYN, 4 * FLOOD_ZONE_SIZE, &flood_idx);
    ovsrcu_quiesce();
    /* The pool of IPv4 entries is outside malloc()'s heap. */
    after = heap_in_use() + colo_table_pool_size(table);
    colo_table_destroy(table);
    ovsrcu_quiesce();
    return (double) (after - before) / FLOOD_ZONE_SIZE;
}

static void
test_colo_flood_main(int argc, char *argv[])
{
    static const unsigned int sizes[] = { 10, 100, 1000, 10000 };
    unsigned int n_legit = argc > 1 ? atoi(argv[1]) : 100;
    double syn[ARRAY_SIZE(sizes)], hs[ARRAY_SIZE(sizes)];
    unsigned int lost, max_lost = 0;

    printf("flood: a zone of %d entries holds %d assured connections; "
           "%u legitimate handshakes, each with N flood packets before "
           "the SVM's SYN+ACK and N before the peer's ACK (a SYN flood: "
           "spoofed SYNs and the SVM's SYN+ACKs; a handshake flood: the "
           "same, completed by a spoofed ACK)\n", FLOOD_ZONE_SIZE,
           FLOOD_ESTABLISHED, n_legit);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        syn[i] = bench_flood(FLOOD_SYN, sizes[i], n_legit, &lost);
        max_lost = MAX(max_lost, lost);
    }
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        hs[i] = bench_flood(FLOOD_HANDSHAKE, sizes[i], n_legit, &lost);
        max_lost = MAX(max_lost, lost);
    }
    double bytes = bench_flood_memory();
    printf("flood: memory: %.1f bytes of heap per entry of a flooded zone "
           "(entry struct %zu bytes)\n", bytes, colo_conn_size());
    printf("colo-flood: syn_10=%.1f syn_100=%.1f syn_1000=%.1f "
           "syn_10000=%.1f handshake_1000=%.1f established_lost=%u "
           "bytes_per_entry=%.1f\n", syn[0], syn[1], syn[2], syn[3], hs[2],
           max_lost, bytes);
}

OVSTEST_REGISTER("test-colo-flood", test_colo_flood_main);
