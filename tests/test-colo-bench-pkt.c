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

/* The connections of ovstest test-colo-bench, their packets, and learning
 * them (see test-colo-bench.h).
 *
 * Connection 'idx' runs between the VM, 10.0.0.2 port 80 (fd00::2 in IPv6),
 * a server, and the peer 11.0.0.0 + 'idx' (fd01::'idx'), port 1024 +
 * 'idx' % 60000.  Its sequence numbers and timestamp clocks follow from
 * 'idx' (bench_conn_init()). */

#include <config.h>
#undef NDEBUG
#include "test-colo-bench.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "colo-compat.h"
#include "csum.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/util.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "util.h"

#define BENCH_MAX_IDX (1u << 24)    /* Peers are 11.0.0.0/8. */
#define BENCH_MSS 1460
#define BENCH_WSCALE 7
#define BENCH_SYN_WINDOW 64240      /* Unscaled, in a SYN. */
#define BENCH_WINDOW 2048           /* Scaled by 2^BENCH_WSCALE: 256 kB. */
#define BENCH_MAX_OPTS 20           /* The options of a SYN. */

/* The numbers of one connection.  The PVM and the SVM chose different
 * initial sequence numbers and timestamp clocks. */
struct bench_conn {
    uint32_t peer_isn;
    uint32_t pvm_isn;
    uint32_t svm_isn;
    uint32_t peer_ts;
    uint32_t pvm_ts;
    uint32_t svm_ts;
};

/* The SVM's ISN minus the PVM's, of connection 'idx'.
 *
 * conntrack sees the SVM's segments together with the peer's
 * acknowledgements, which are in the PVM's numbering, and checks the ones
 * against the window the others open (256 kB here): the delta stays well
 * inside it, so that conntrack sees a valid connection.  What the engine
 * does costs the same whatever the delta. */
uint32_t
bench_seq_delta(unsigned int idx)
{
    return 3000 + idx % 20000;
}

static void
bench_conn_init(unsigned int idx, struct bench_conn *c)
{
    c->peer_isn = idx * 2654435761u;
    c->pvm_isn = idx * 2246822519u + 12345;
    c->svm_isn = c->pvm_isn + bench_seq_delta(idx);
    c->peer_ts = idx * 7 + 1000;
    c->pvm_ts = idx * 11 + 5000;
    c->svm_ts = c->pvm_ts + 0x40000000 + idx;
}

static void
bench_seg_init(struct bench_seg *seg, unsigned int idx, bool ipv6,
               enum colo_direction dir, uint16_t flags, uint32_t seq,
               uint32_t ack, uint32_t tsval, uint32_t tsecr, size_t payload)
{
    seg->idx = idx;
    seg->ipv6 = ipv6;
    seg->dir = dir;
    seg->flags = flags;
    seg->seq = seq;
    seg->ack = ack;
    seg->tsval = tsval;
    seg->tsecr = tsecr;
    seg->payload = payload;
}

void
bench_learn_segs(unsigned int idx, bool ipv6,
                 struct bench_seg segs[BENCH_N_LEARN_SEGS])
{
    struct bench_conn c;

    bench_conn_init(idx, &c);

    /* The handshake: the engine learns the SVM's numbers from its SYN+ACK,
     * the PVM's from the peer's ACK (its ack and TSecr). */
    bench_seg_init(&segs[0], idx, ipv6, COLO_PRIMARY, TCP_SYN,
                   c.peer_isn, 0, c.peer_ts, 0, 0);
    bench_seg_init(&segs[1], idx, ipv6, COLO_SECONDARY, TCP_SYN | TCP_ACK,
                   c.svm_isn, c.peer_isn + 1, c.svm_ts, c.peer_ts, 0);
    bench_seg_init(&segs[2], idx, ipv6, COLO_PRIMARY, TCP_ACK,
                   c.peer_isn + 1, c.pvm_isn + 1, c.peer_ts + 1, c.pvm_ts, 0);

    /* A request, the SVM's answer, and the peer's acknowledgement of the
     * answer, which makes the connection assured. */
    bench_seg_init(&segs[3], idx, ipv6, COLO_PRIMARY, TCP_ACK | TCP_PSH,
                   c.peer_isn + 1, c.pvm_isn + 1, c.peer_ts + 2, c.pvm_ts,
                   100);
    bench_seg_init(&segs[4], idx, ipv6, COLO_SECONDARY, TCP_ACK | TCP_PSH,
                   c.svm_isn + 1, c.peer_isn + 101, c.svm_ts + 1,
                   c.peer_ts + 2, 200);
    bench_seg_init(&segs[5], idx, ipv6, COLO_PRIMARY, TCP_ACK,
                   c.peer_isn + 101, c.pvm_isn + 201, c.peer_ts + 3,
                   c.pvm_ts + 1, 0);
}

void
bench_established_seg(unsigned int idx, enum bench_kind kind,
                      enum colo_direction dir, struct bench_seg *seg)
{
    uint16_t flags = kind == BENCH_FULL ? TCP_ACK | TCP_PSH : TCP_ACK;
    size_t payload = kind == BENCH_FULL ? BENCH_FULL_PAYLOAD : 0;
    struct bench_conn c;

    bench_conn_init(idx, &c);
    if (dir == COLO_PRIMARY) {
        bench_seg_init(seg, idx, false, dir, flags, c.peer_isn + 101,
                       c.pvm_isn + 201, c.peer_ts + 4, c.pvm_ts + 1,
                       payload);
    } else {
        bench_seg_init(seg, idx, false, dir, flags, c.svm_isn + 201,
                       c.peer_isn + 101, c.svm_ts + 2, c.peer_ts + 4,
                       payload);
    }
}

static void
bench_put16(uint8_t **p, uint16_t value)
{
    ovs_be16 be = htons(value);

    memcpy(*p, &be, sizeof be);
    *p += sizeof be;
}

static void
bench_put32(uint8_t **p, uint32_t value)
{
    ovs_be32 be = htonl(value);

    memcpy(*p, &be, sizeof be);
    *p += sizeof be;
}

static void
bench_put8(uint8_t **p, uint8_t value)
{
    *(*p)++ = value;
}

/* Writes the TCP options of 'seg' to 'opts' and returns their length, a
 * multiple of 4: NOP, NOP, timestamps; in a SYN, as Linux sends them, MSS,
 * SACK permitted, timestamps, NOP, window scale. */
static size_t
bench_put_options(uint8_t *opts, const struct bench_seg *seg)
{
    uint8_t *p = opts;

    if (seg->flags & TCP_SYN) {
        bench_put8(&p, 2);
        bench_put8(&p, 4);
        bench_put16(&p, BENCH_MSS);
        bench_put8(&p, 4);
        bench_put8(&p, 2);
    } else {
        bench_put8(&p, 1);
        bench_put8(&p, 1);
    }
    bench_put8(&p, 8);
    bench_put8(&p, 10);
    bench_put32(&p, seg->tsval);
    bench_put32(&p, seg->tsecr);
    if (seg->flags & TCP_SYN) {
        bench_put8(&p, 1);
        bench_put8(&p, 3);
        bench_put8(&p, 3);
        bench_put8(&p, BENCH_WSCALE);
    }
    ovs_assert((p - opts) % 4 == 0 && p - opts <= BENCH_MAX_OPTS);
    return p - opts;
}

static void
bench_addresses(const struct bench_seg *seg, struct flow *flow)
{
    struct eth_addr vm_mac = ETH_ADDR_C(02, 00, 00, 00, 00, 02);
    struct eth_addr peer_mac = ETH_ADDR_C(02, 00, 00, 00, 00, 01);
    ovs_be16 vm_port = htons(80);
    ovs_be16 peer_port = htons(1024 + seg->idx % 60000);
    bool primary = seg->dir == COLO_PRIMARY;

    ovs_assert(seg->idx < BENCH_MAX_IDX);
    flow->dl_src = primary ? peer_mac : vm_mac;
    flow->dl_dst = primary ? vm_mac : peer_mac;
    if (seg->ipv6) {
        struct in6_addr vm = IN6ADDR_ANY_INIT, peer = IN6ADDR_ANY_INIT;
        ovs_be32 idx = htonl(seg->idx);

        vm.s6_addr[0] = 0xfd;
        vm.s6_addr[15] = 2;
        peer.s6_addr[0] = 0xfd;
        peer.s6_addr[1] = 0x01;
        memcpy(&peer.s6_addr[12], &idx, sizeof idx);
        flow->dl_type = htons(ETH_TYPE_IPV6);
        flow->ipv6_src = primary ? peer : vm;
        flow->ipv6_dst = primary ? vm : peer;
    } else {
        ovs_be32 vm = htonl(0x0a000002), peer = htonl(0x0b000000 + seg->idx);

        flow->dl_type = htons(ETH_TYPE_IP);
        flow->nw_src = primary ? peer : vm;
        flow->nw_dst = primary ? vm : peer;
    }
    flow->tp_src = primary ? peer_port : vm_port;
    flow->tp_dst = primary ? vm_port : peer_port;
}

/* Sets the TCP checksum of 'p' from its pseudo-header, its first 'len'
 * bytes of TCP segment and 'rest', the partial sum (csum_continue()) of the
 * segment's bytes after those. */
static void
bench_set_tcp_csum(struct dp_packet *p, size_t len, uint32_t rest)
{
    struct tcp_header *tcp = dp_packet_l4(p);
    uint32_t partial;

    if (IP_VER(*(const uint8_t *) dp_packet_l3(p)) == 4) {
        partial = packet_csum_pseudoheader(dp_packet_l3(p));
    } else {
        partial = packet_csum_pseudoheader6(dp_packet_l3(p));
    }
    tcp->tcp_csum = 0;
    partial = csum_continue(partial, tcp, len);
    tcp->tcp_csum = csum_finish(partial + rest);
}

/* Marks 'p' as the datapath would leave a packet it has just received and
 * parsed: fresh metadata, IP and TCP checksums found good on receive (so
 * that conntrack does not verify them), nothing offloaded for output (so
 * that a rewrite updates the TCP checksum itself). */
void
bench_received(struct dp_packet *p)
{
    pkt_metadata_init(&p->md, u32_to_odp(1));
    dp_packet_reset_offload(p);
    colo_csum_set_good(p);
}

/* Composes in 'p' the frame of 'seg', with correct checksums, marked as
 * received (bench_received()). */
void
bench_build(struct dp_packet *p, const struct bench_seg *seg)
{
    uint8_t l7[BENCH_MAX_OPTS + BENCH_FULL_PAYLOAD];
    struct tcp_header *tcp;
    struct flow flow;
    size_t opts_len;

    ovs_assert(seg->payload <= BENCH_FULL_PAYLOAD);
    opts_len = bench_put_options(l7, seg);
    for (size_t i = 0; i < seg->payload; i++) {
        l7[opts_len + i] = i * 7;
    }

    memset(&flow, 0, sizeof flow);
    bench_addresses(seg, &flow);
    flow.nw_proto = IPPROTO_TCP;
    flow.nw_ttl = 64;
    /* flow_compose() puts no payload into a SYN, and no options into any
     * segment: it composes a plain ACK whose payload starts with the
     * options, and the header takes them in below. */
    flow.tcp_flags = htons(TCP_ACK);
    colo_flow_compose(p, &flow, l7, opts_len + seg->payload);

    tcp = dp_packet_l4(p);
    tcp->tcp_ctl = TCP_CTL(seg->flags, (TCP_HEADER_LEN + opts_len) / 4);
    put_16aligned_be32(&tcp->tcp_seq, htonl(seg->seq));
    put_16aligned_be32(&tcp->tcp_ack, htonl(seg->ack));
    tcp->tcp_winsz = htons(seg->flags & TCP_SYN ? BENCH_SYN_WINDOW
                           : BENCH_WINDOW);
    bench_set_tcp_csum(p, dp_packet_l4_size(p), 0);
    bench_received(p);
}

/* Returns a new packet with the frame of 'seg'. */
struct dp_packet *
bench_packet(const struct bench_seg *seg)
{
    struct dp_packet *p = dp_packet_new(128 + BENCH_MAX_OPTS + seg->payload);

    bench_build(p, seg);
    return p;
}

/* Returns the partial checksum (csum_continue()) of the TCP payload of
 * 'p'. */
uint32_t
bench_payload_sum(const struct dp_packet *p)
{
    const struct tcp_header *tcp = dp_packet_l4(p);
    size_t hlen = TCP_OFFSET(tcp->tcp_ctl) * 4;

    return csum_continue(0, (const uint8_t *) tcp + hlen,
                         dp_packet_l4_size(p) - hlen);
}

/* Returns the length of the headers of 'p', Ethernet to TCP options. */
size_t
bench_header_len(const struct dp_packet *p)
{
    const struct tcp_header *tcp = dp_packet_l4(p);

    return ((const char *) tcp - (const char *) dp_packet_data(p)
            + TCP_OFFSET(tcp->tcp_ctl) * 4);
}

/* Makes 'p', a frame of an IPv4 segment like 'seg' (not a SYN, with as much
 * payload, whose partial checksum is 'payload_sum'), the frame of 'seg',
 * writing only its headers: the payload stays where it is in memory, as
 * that of a frame just received would, and refilling a frame costs far
 * less than composing it. */
void
bench_refill(struct dp_packet *p, const struct bench_seg *seg,
             uint32_t payload_sum)
{
    struct eth_header *eth = dp_packet_eth(p);
    struct ip_header *ip = dp_packet_l3(p);
    struct tcp_header *tcp = dp_packet_l4(p);
    size_t hlen = TCP_HEADER_LEN + 12;
    struct flow flow;

    ovs_assert(!seg->ipv6 && !(seg->flags & TCP_SYN));
    ovs_assert(dp_packet_l4_size(p) == hlen + seg->payload);

    memset(&flow, 0, sizeof flow);
    bench_addresses(seg, &flow);
    eth->eth_src = flow.dl_src;
    eth->eth_dst = flow.dl_dst;
    put_16aligned_be32(&ip->ip_src, flow.nw_src);
    put_16aligned_be32(&ip->ip_dst, flow.nw_dst);
    ip->ip_csum = 0;
    ip->ip_csum = csum(ip, IP_HEADER_LEN);

    tcp->tcp_src = flow.tp_src;
    tcp->tcp_dst = flow.tp_dst;
    tcp->tcp_ctl = TCP_CTL(seg->flags, hlen / 4);
    put_16aligned_be32(&tcp->tcp_seq, htonl(seg->seq));
    put_16aligned_be32(&tcp->tcp_ack, htonl(seg->ack));
    tcp->tcp_winsz = htons(BENCH_WINDOW);
    bench_put_options((uint8_t *) (tcp + 1), seg);
    bench_set_tcp_csum(p, hlen, payload_sum);
    bench_received(p);
}

static void
bench_rcu_mark(atomic_bool *done)
{
    atomic_store(done, true);
}

/* Lets RCU free what this thread has postponed so far, as the datapath's
 * threads do when they quiesce: RCU calls back in order, so once it has
 * called bench_rcu_mark(), it has freed the rest. */
static void
bench_rcu_settle(void)
{
    static atomic_bool done = ATOMIC_VAR_INIT(false);

    atomic_store(&done, false);
    ovsrcu_postpone(bench_rcu_mark, &done);
    for (;;) {
        bool is_done;

        ovsrcu_quiesce();
        atomic_read(&done, &is_done);
        if (is_done) {
            break;
        }
        xnanosleep(100 * 1000);
    }
}

/* Returns a new table (colo-max-conns 'n_conns') with 'n_conns' connections
 * learned and assured in BENCH_ZONE, through real handshakes and exchanges
 * (bench_learn_segs()).  Stores in '*bytes_per_conn' the heap that the
 * table took, per connection, and in '*seconds' how long learning took. */
struct colo_table *
bench_learn_table(unsigned int n_conns, bool ipv6, double *bytes_per_conn,
                  double *seconds)
{
    struct colo_config config = {
        .max_conns = n_conns, .idle_timeout = COLO_DEFAULT_IDLE_TIMEOUT,
        .linger = COLO_DEFAULT_LINGER,
    };
    struct dp_packet *p = dp_packet_new(2048);
    struct colo_zone_stats stats;
    struct colo_table *table;
    long long int start;
    size_t before;

    bench_rcu_settle();
    before = bench_heap_in_use();
    start = bench_now_ns();
    table = colo_table_create();
    colo_table_set_config(table, &config);
    for (unsigned int i = 0; i < n_conns; i++) {
        struct bench_seg segs[BENCH_N_LEARN_SEGS];

        bench_learn_segs(i, ipv6, segs);
        for (size_t j = 0; j < BENCH_N_LEARN_SEGS; j++) {
            enum colo_result result;

            bench_build(p, &segs[j]);
            result = colo_table_process(table, BENCH_ZONE, segs[j].dir, p,
                                        BENCH_NOW);
            /* The ACK that ends the handshake is rewritten already. */
            ovs_assert(j < BENCH_N_HANDSHAKE_SEGS - 1
                       || result == COLO_RESULT_REWRITTEN);
        }
        if (i % 1024 == 0) {
            ovsrcu_quiesce();
        }
    }
    *seconds = (bench_now_ns() - start) / 1e9;
    bench_rcu_settle();
    /* The pool of IPv4 entries is mapped outside malloc()'s heap. */
    size_t after = bench_heap_in_use() + colo_table_pool_size(table);
    *bytes_per_conn = ((double) after - (double) before) / n_conns;

    ovs_assert(colo_table_get_zone_stats(table, BENCH_ZONE, &stats));
    ovs_assert(stats.n_by_state[COLO_CONN_ESTABLISHED] == n_conns);
    dp_packet_delete(p);
    return table;
}

void
bench_set_max_conns(struct colo_table *table, unsigned int max_conns)
{
    struct colo_config config;

    colo_table_get_config(table, &config);
    config.max_conns = max_conns;
    colo_table_set_config(table, &config);
}

/* Returns a pseudo-random number from '*state', which must not be 0
 * (xorshift64*): the same sequence from the same seed, cheaply. */
uint32_t
bench_random(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (x * UINT64_C(2685821657736338717)) >> 32;
}

long long int
bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Returns what reading the clock costs, in ns: the median of many pairs of
 * readings. */
double
bench_clock_cost(void)
{
    double ns[1001];

    for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
        long long int start = bench_now_ns();

        ns[i] = bench_now_ns() - start;
    }
    return bench_median(ns, ARRAY_SIZE(ns));
}

/* Heap in use, also the large blocks that malloc() maps on its own. */
size_t
bench_heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

static int
bench_compare_doubles(const void *a_, const void *b_)
{
    const double *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

/* Returns the median of the 'n' values in 'values'. */
double
bench_median(const double *values, size_t n)
{
    double *v = xmemdup(values, n * sizeof *v);
    double median;

    ovs_assert(n > 0);
    qsort(v, n, sizeof *v, bench_compare_doubles);
    median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    free(v);
    return median;
}

const char *
bench_goal(bool met)
{
    return met ? "met" : "NOT met";
}
