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

/* libFuzzer target for the colo_rewrite engine (lib/colo-rewrite*.c).
 *
 * An input is a sequence of records, each an operation byte and its
 * arguments (see run_record()): raw frames in either direction, TCP
 * segments built from a few fields (so that handshakes, data, FINs and RSTs
 * of a handful of connections are easy to reach), checkpoints, failovers,
 * flushes, the passing of time and changes of the settings.  After every
 * packet the target checks that:
 *
 *   - the frame's length is unchanged;
 *   - a frame passed is unchanged, byte for byte;
 *   - a frame rewritten changed only inside its TCP header, as
 *     flow_extract() finds it;
 *   - a TCP checksum that was valid is still valid;
 *   - the packet was counted exactly once;
 *   - the zone holds no more entries than its bound allows.
 *
 * Any violation aborts, which libFuzzer reports as a crash. */

#include <config.h>
#include "colo-rewrite.h"

#include <netinet/in.h>
#include <netinet/ip6.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "colo-compat.h"
#include "csum.h"
#include "openvswitch/dynamic-string.h"
#include "dp-packet.h"
#include "flow.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "openvswitch/vlog.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The per-packet counters: each packet adds one to exactly one. */
static const enum colo_stat packet_stats[] = {
    COLO_STAT_REWRITTEN, COLO_STAT_PASS_UNLEARNED,
    COLO_STAT_PASS_UNPARSEABLE, COLO_STAT_PASS_NOT_TCP,
    COLO_STAT_PASS_ZONE_FULL, COLO_STAT_PASS_UNTRACKED,
};

struct input {
    const uint8_t *data;
    size_t size;
};

static uint8_t
get8(struct input *in)
{
    if (!in->size) {
        return 0;
    }
    in->size--;
    return *in->data++;
}

static uint16_t
get16(struct input *in)
{
    return get8(in) << 8 | get8(in);
}

static uint32_t
get32(struct input *in)
{
    return (uint32_t) get16(in) << 16 | get16(in);
}

#define fuzz_assert(COND)                                               \
    do {                                                                \
        if (!(COND)) {                                                  \
            ovs_abort(0, "colo-fuzz-engine: %s:%d: %s",                 \
                      __FILE__, __LINE__, #COND);                       \
        }                                                               \
    } while (0)

static uint64_t
packets_counted(const struct colo_table *table, uint16_t zone)
{
    struct colo_zone_stats stats;
    uint64_t n = 0;

    colo_table_get_zone_stats(table, zone, &stats);
    for (size_t i = 0; i < ARRAY_SIZE(packet_stats); i++) {
        n += stats.counters[packet_stats[i]];
    }
    return n;
}

static unsigned int
zone_conns(const struct colo_table *table, uint16_t zone)
{
    struct colo_zone_stats stats;

    colo_table_get_zone_stats(table, zone, &stats);
    return stats.n_conns;
}

/* Finds the TCP header of 'p' as the userspace datapath does.  Returns
 * false if there is none. */
static bool
tcp_extent(struct dp_packet *p, size_t *ofs, size_t *len)
{
    struct flow flow;

    flow_extract(p, &flow);
    if (flow.nw_proto != IPPROTO_TCP || !dp_packet_l4(p)
        || (flow.dl_type != htons(ETH_TYPE_IP)
            && flow.dl_type != htons(ETH_TYPE_IPV6))
        || dp_packet_l4_size(p) < TCP_HEADER_LEN) {
        return false;
    }

    const struct tcp_header *tcp = dp_packet_l4(p);
    *ofs = (const uint8_t *) tcp - (const uint8_t *) dp_packet_data(p);
    *len = TCP_OFFSET(tcp->tcp_ctl) * 4;
    return true;
}

/* The TCP pseudo-header sum of a segment of 'l4_len' bytes whose IP header
 * is at 'l3', version 4 or 6. */
static uint32_t
pseudo_header(const void *l3, size_t l4_len)
{
    const struct ip_header *ip = l3;

    if (IP_VER(ip->ip_ihl_ver) == 4) {
        uint32_t partial = csum_add32(0, get_16aligned_be32(&ip->ip_src));

        partial = csum_add32(partial, get_16aligned_be32(&ip->ip_dst));
        return csum_add16(csum_add16(partial, htons(IPPROTO_TCP)),
                          htons(l4_len));
    } else {
        const struct ovs_16aligned_ip6_hdr *ip6 = l3;
        uint32_t partial = csum_continue(0, &ip6->ip6_src, 32);

        return csum_add16(csum_add16(partial, htons(IPPROTO_TCP)),
                          htons(l4_len));
    }
}

/* Returns true if 'p' has a TCP header whose checksum verifies. */
static bool
tcp_csum_valid(struct dp_packet *p)
{
    size_t ofs, len;

    if (!tcp_extent(p, &ofs, &len) || dp_packet_l4_size(p) < len) {
        return false;
    }

    uint32_t partial = pseudo_header(dp_packet_l3(p), dp_packet_l4_size(p));
    return !csum_finish(csum_continue(partial, dp_packet_l4(p),
                                      dp_packet_l4_size(p)));
}

/* Processes the frame 'frame' ('len' bytes) in 'dir' and checks the
 * invariants. */
static void
process(struct colo_table *table, uint16_t zone, enum colo_direction dir,
        const uint8_t *frame, size_t len, long long int now)
{
    struct colo_config config;
    struct dp_packet *p = dp_packet_new(len);
    struct dp_packet *orig;

    if (!len) {
        /* An empty frame has no data pointer to compare. */
        colo_table_process(table, zone, dir, p, now);
        dp_packet_delete(p);
        return;
    }
    dp_packet_put(p, frame, len);
    orig = dp_packet_clone(p);
    bool csum_ok = tcp_csum_valid(orig);
    uint64_t counted = packets_counted(table, zone);
    unsigned int n_conns = zone_conns(table, zone);

    enum colo_result result = colo_table_process(table, zone, dir, p, now);

    fuzz_assert(dp_packet_size(p) == len);
    if (result == COLO_RESULT_PASSED) {
        fuzz_assert(!memcmp(dp_packet_data(p), frame, len));
    } else {
        size_t ofs, hlen;

        fuzz_assert(result == COLO_RESULT_REWRITTEN);
        fuzz_assert(tcp_extent(orig, &ofs, &hlen));
        fuzz_assert(!memcmp(dp_packet_data(p), frame, ofs));
        fuzz_assert(ofs + hlen <= len);
        fuzz_assert(!memcmp((const uint8_t *) dp_packet_data(p) + ofs + hlen,
                            frame + ofs + hlen, len - ofs - hlen));
        if (csum_ok) {
            fuzz_assert(tcp_csum_valid(p));
        }
    }
    fuzz_assert(packets_counted(table, zone) == counted + 1);

    colo_table_get_config(table, &config);
    unsigned int after = zone_conns(table, zone);
    fuzz_assert(after <= MAX(n_conns, config.max_conns));

    dp_packet_delete(orig);
    dp_packet_delete(p);
}

/* Builds a TCP segment from fields of 'in' into 'frame' and returns its
 * length.  The segments belong to one of four connections, so that the
 * fuzzer can drive their state machines. */
static size_t
build_segment(struct input *in, uint8_t *frame, size_t size,
              enum colo_direction *dir)
{
    uint8_t sel = get8(in);
    bool ipv6 = sel & 1;
    bool from_vm = sel & 2;
    uint16_t peer_port = 40000 + (sel >> 2 & 3);
    uint8_t opts = get8(in);
    uint16_t flags = get8(in) & 0x3f;
    uint32_t seq = get32(in), ack = get32(in);
    uint16_t payload = get8(in);
    uint16_t window = get16(in);
    struct flow flow;
    uint8_t tcp_opts[40];
    size_t n_opts = 0;

    *dir = from_vm ? COLO_SECONDARY : COLO_PRIMARY;

    /* Options: timestamps, window scale, SACK blocks, padded with NOPs. */
    if (opts & 1) {
        uint32_t tsval = get32(in), tsecr = get32(in);

        tcp_opts[n_opts++] = 1;
        tcp_opts[n_opts++] = 1;
        tcp_opts[n_opts++] = 8;
        tcp_opts[n_opts++] = 10;
        put_16aligned_be32((ovs_16aligned_be32 *) &tcp_opts[n_opts],
                           htonl(tsval));
        put_16aligned_be32((ovs_16aligned_be32 *) &tcp_opts[n_opts + 4],
                           htonl(tsecr));
        n_opts += 8;
    }
    if (opts & 2) {
        tcp_opts[n_opts++] = 1;
        tcp_opts[n_opts++] = 3;
        tcp_opts[n_opts++] = 3;
        tcp_opts[n_opts++] = get8(in);
    }
    if (opts & 4) {
        /* As many blocks as fit in 40 bytes of options. */
        int n_blocks = MIN(1 + (opts >> 3) % 3,
                           (int) (sizeof tcp_opts - n_opts - 4) / 8);

        tcp_opts[n_opts++] = 1;
        tcp_opts[n_opts++] = 1;
        tcp_opts[n_opts++] = 5;
        tcp_opts[n_opts++] = 2 + 8 * n_blocks;
        for (int i = 0; i < 2 * n_blocks; i++) {
            put_16aligned_be32((ovs_16aligned_be32 *) &tcp_opts[n_opts],
                               htonl(get32(in)));
            n_opts += 4;
        }
    }

    memset(&flow, 0, sizeof flow);
    flow.dl_type = htons(ipv6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP);
    flow.nw_proto = IPPROTO_TCP;
    flow.nw_ttl = 64;
    if (ipv6) {
        struct in6_addr vm = IN6ADDR_ANY_INIT, peer = IN6ADDR_ANY_INIT;

        vm.s6_addr[0] = peer.s6_addr[0] = 0xfd;
        vm.s6_addr[15] = 2;
        peer.s6_addr[15] = 1;
        flow.ipv6_src = from_vm ? vm : peer;
        flow.ipv6_dst = from_vm ? peer : vm;
    } else {
        flow.nw_src = htonl(from_vm ? 0x0a000002 : 0x0a000001);
        flow.nw_dst = htonl(from_vm ? 0x0a000001 : 0x0a000002);
    }
    flow.tp_src = htons(from_vm ? 80 : peer_port);
    flow.tp_dst = htons(from_vm ? peer_port : 80);
    flow.tcp_flags = htons(flags);

    struct dp_packet *p = dp_packet_new(128 + n_opts + payload);
    colo_flow_compose(p, &flow, NULL, payload);

    /* Put the options in after the fixed header. */
    struct tcp_header *tcp = dp_packet_l4(p);
    size_t l4_ofs = (uint8_t *) tcp - (uint8_t *) dp_packet_data(p);
    size_t len = dp_packet_size(p);
    size_t hlen = TCP_HEADER_LEN + n_opts;

    ovs_assert(len + n_opts <= size);
    memcpy(frame, dp_packet_data(p), l4_ofs + TCP_HEADER_LEN);
    memcpy(frame + l4_ofs + TCP_HEADER_LEN, tcp_opts, n_opts);
    memcpy(frame + l4_ofs + hlen,
           (uint8_t *) dp_packet_data(p) + l4_ofs + TCP_HEADER_LEN,
           len - l4_ofs - TCP_HEADER_LEN);
    len += n_opts;
    dp_packet_delete(p);

    /* Fix up the lengths, the fields, then the checksums. */
    struct tcp_header *t = (struct tcp_header *) (frame + l4_ofs);
    if (ipv6) {
        struct ovs_16aligned_ip6_hdr *ip6
            = (struct ovs_16aligned_ip6_hdr *) (frame + ETH_HEADER_LEN);

        ip6->ip6_plen = htons(len - l4_ofs);
    } else {
        struct ip_header *ip = (struct ip_header *) (frame + ETH_HEADER_LEN);

        ip->ip_tot_len = htons(len - ETH_HEADER_LEN);
        ip->ip_csum = 0;
        ip->ip_csum = csum(ip, IP_HEADER_LEN);
    }
    put_16aligned_be32(&t->tcp_seq, htonl(seq));
    put_16aligned_be32(&t->tcp_ack, htonl(ack));
    t->tcp_ctl = TCP_CTL(flags, hlen / 4);
    t->tcp_winsz = htons(window);
    t->tcp_csum = 0;

    uint32_t partial = pseudo_header(frame + ETH_HEADER_LEN, len - l4_ofs);
    t->tcp_csum = csum_finish(csum_continue(partial, t, len - l4_ofs));
    return len;
}

/* Runs one record of 'in'.  Operations, by the low 3 bits of the first
 * byte, in zone 1 or 2 by bit 3:
 *
 *   0, 1  a raw frame (2-byte length, then the frame), primary or
 *         secondary;
 *   2     a checkpoint of the zone, or of every zone by bit 4;
 *   3     the clock moves by the next byte in seconds, and the sweeper
 *         runs;
 *   4     a flush of the zone;
 *   5     a failover of the zone, if bits 4-7 are all set (rare: it ends
 *         learning), else a dump of the zone's entries, or of all by bit 4;
 *   6     new settings: the bound, the idle timeout and the linger;
 *   7     a TCP segment built by build_segment(). */
static void
run_record(struct colo_table *table, struct input *in, long long int *now)
{
    uint8_t op = get8(in);
    uint16_t zone = 1 + (op >> 3 & 1);
    uint8_t frame[2048];

    *now += 1;
    switch (op & 7) {
    case 0:
    case 1: {
        size_t len = get16(in) % sizeof frame;

        len = MIN(len, in->size);

        memcpy(frame, in->data, len);
        in->data += len;
        in->size -= len;
        process(table, zone, op & 1 ? COLO_SECONDARY : COLO_PRIMARY,
                frame, len, *now);
        break;
    }
    case 2:
        colo_table_checkpoint(table, op & 0x10 ? -1 : zone);
        break;
    case 3:
        *now += get8(in) * 1000LL;
        colo_table_run(table, *now);
        break;
    case 4:
        colo_table_flush(table, zone);
        break;
    case 5:
        if ((op & 0xf0) == 0xf0) {
            colo_table_failover(table, zone);
        } else {
            struct ds s = DS_EMPTY_INITIALIZER;
            uint16_t *zones;

            colo_table_dump_conns(table, op & 0x10 ? -1 : zone, *now, &s);
            ds_destroy(&s);
            colo_table_get_zones(table, &zones);
            free(zones);
        }
        break;
    case 6: {
        struct colo_config config = {
            .max_conns = 1 + get8(in) % 16,
            .idle_timeout = get8(in),
            .linger = get8(in) % 8,
        };

        colo_table_set_config(table, &config);
        break;
    }
    case 7:
    default: {
        enum colo_direction dir;
        size_t len = build_segment(in, frame, sizeof frame, &dir);

        process(table, zone, dir, frame, len, *now);
        break;
    }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;
    struct input in = { data, size };
    struct colo_table *table;
    long long int now = 1000;

    if (!initialized) {
        initialized = true;
        vlog_set_verbosity("off");
    }

    table = colo_table_create();
    for (int n = 0; in.size && n < 1000; n++) {
        run_record(table, &in, &now);
    }
    colo_table_destroy(table);
    ovsrcu_quiesce();
    return 0;
}
