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


/* colo_rewrite against conntrack, a model of QEMU's filter-rewriter and
 * miniflow_extract(), for ovstest test-colo-bench: bench_compare().
 *
 * The four see the same packets: each batch of 32 is refilled with the
 * headers of connections picked at random, then goes to each of them in
 * turn, each on its own copy of the packets, so that one's rewriting
 * changes nothing for another.  The headers are warm in the cache, as in a
 * datapath that has just received and parsed the packets; a full frame's
 * payload stays where it was in memory. */

#include <config.h>
#undef NDEBUG
#include "test-colo-bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colo-compat.h"
#include "conntrack.h"
#include "csum.h"
#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "openvswitch/util.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "timeval.h"
#include "util.h"

static const char *const impl_names[BENCH_N_IMPLS] = {
    "colo_rewrite", "conntrack ct(zone=5)", "seed model", "miniflow_extract",
};

static const enum colo_direction dirs[2] = { COLO_PRIMARY, COLO_SECONDARY };

/* The seed model: what QEMU's filter-rewriter does with each packet,
 * modelled from its description: it copies the frame out of the packet,
 * parses it, looks the connection up in a chained hash table whose nodes
 * are allocated one by one (a GHashTable), moves the ack (packets into the
 * SVM) or the seq (packets out of it) by the connection's offset,
 * recomputes the TCP checksum over the whole segment, and copies the frame
 * back. */

struct seed_key {
    ovs_be32 peer_addr;
    ovs_be32 vm_addr;
    ovs_be16 peer_port;
    ovs_be16 vm_port;
};

struct seed_node {
    struct seed_node *next;
    struct seed_key key;
    uint32_t offset;            /* SVM's ISN - PVM's ISN. */
};

struct seed_table {
    struct seed_node **buckets;
    size_t mask;                /* Number of buckets - 1. */
    size_t n;
};

static uint32_t
seed_hash(const struct seed_key *key)
{
    return hash_bytes(key, sizeof *key, 0);
}

static void
seed_init(struct seed_table *t)
{
    t->mask = 7;
    t->buckets = xcalloc(t->mask + 1, sizeof *t->buckets);
    t->n = 0;
}

static void
seed_destroy(struct seed_table *t)
{
    for (size_t i = 0; i <= t->mask; i++) {
        struct seed_node *node, *next;

        for (node = t->buckets[i]; node; node = next) {
            next = node->next;
            free(node);
        }
    }
    free(t->buckets);
}

/* Doubles the buckets of 't' once it holds as many nodes. */
static void
seed_grow(struct seed_table *t)
{
    size_t mask = 2 * t->mask + 1;
    struct seed_node **buckets = xcalloc(mask + 1, sizeof *buckets);

    for (size_t i = 0; i <= t->mask; i++) {
        struct seed_node *node, *next;

        for (node = t->buckets[i]; node; node = next) {
            struct seed_node **b = &buckets[seed_hash(&node->key) & mask];

            next = node->next;
            node->next = *b;
            *b = node;
        }
    }
    free(t->buckets);
    t->buckets = buckets;
    t->mask = mask;
}

static const struct seed_node *
seed_lookup(const struct seed_table *t, const struct seed_key *key)
{
    const struct seed_node *node;

    for (node = t->buckets[seed_hash(key) & t->mask]; node;
         node = node->next) {
        if (!memcmp(&node->key, key, sizeof *key)) {
            return node;
        }
    }
    return NULL;
}

/* Returns the TCP header of the TCP/IPv4 frame in 'frame', 'len' bytes,
 * and its IP header in '*ipp', or NULL if it is none. */
static struct tcp_header *
seed_parse(uint8_t *frame, size_t len, struct ip_header **ipp)
{
    const struct eth_header *eth = ALIGNED_CAST(struct eth_header *, frame);
    struct ip_header *ip;
    size_t ihl, tot_len;

    if (len < ETH_HEADER_LEN + IP_HEADER_LEN
        || eth->eth_type != htons(ETH_TYPE_IP)) {
        return NULL;
    }
    ip = ALIGNED_CAST(struct ip_header *, frame + ETH_HEADER_LEN);
    ihl = IP_IHL(ip->ip_ihl_ver) * 4;
    tot_len = ntohs(ip->ip_tot_len);
    if (ip->ip_proto != IPPROTO_TCP || ihl < IP_HEADER_LEN
        || tot_len < ihl + TCP_HEADER_LEN || ETH_HEADER_LEN + tot_len > len) {
        return NULL;
    }
    *ipp = ip;
    return ALIGNED_CAST(struct tcp_header *, frame + ETH_HEADER_LEN + ihl);
}

static void
seed_key_init(struct seed_key *key, const struct ip_header *ip,
              const struct tcp_header *tcp, enum colo_direction dir)
{
    ovs_be32 src = get_16aligned_be32(&ip->ip_src);
    ovs_be32 dst = get_16aligned_be32(&ip->ip_dst);
    bool primary = dir == COLO_PRIMARY;

    memset(key, 0, sizeof *key);
    key->peer_addr = primary ? src : dst;
    key->vm_addr = primary ? dst : src;
    key->peer_port = primary ? tcp->tcp_src : tcp->tcp_dst;
    key->vm_port = primary ? tcp->tcp_dst : tcp->tcp_src;
}

/* Adds the connection of 'p', a packet from the peer, with 'offset'. */
static void
seed_learn(struct seed_table *t, struct dp_packet *p, uint32_t offset)
{
    struct seed_node *node = xmalloc(sizeof *node);
    struct seed_node **b;
    struct ip_header *ip;
    struct tcp_header *tcp;

    tcp = seed_parse(dp_packet_data(p), dp_packet_size(p), &ip);
    ovs_assert(tcp);
    if (t->n >= t->mask + 1) {
        seed_grow(t);
    }
    seed_key_init(&node->key, ip, tcp, COLO_PRIMARY);
    node->offset = offset;
    b = &t->buckets[seed_hash(&node->key) & t->mask];
    node->next = *b;
    *b = node;
    t->n++;
}

/* Rewrites 'p', travelling in 'dir', as the seed does.  Returns true if
 * its connection was found. */
static bool
seed_process(const struct seed_table *t, enum colo_direction dir,
             struct dp_packet *p)
{
    size_t len = dp_packet_size(p);
    uint8_t *frame = xmalloc(len);
    const struct seed_node *node = NULL;
    struct tcp_header *tcp;
    struct ip_header *ip;

    memcpy(frame, dp_packet_data(p), len);
    tcp = seed_parse(frame, len, &ip);
    if (tcp) {
        struct seed_key key;

        seed_key_init(&key, ip, tcp, dir);
        node = seed_lookup(t, &key);
    }
    if (node) {
        size_t l4_len = ntohs(ip->ip_tot_len) - IP_IHL(ip->ip_ihl_ver) * 4;

        if (dir == COLO_PRIMARY) {
            uint32_t ack = ntohl(get_16aligned_be32(&tcp->tcp_ack));

            put_16aligned_be32(&tcp->tcp_ack, htonl(ack + node->offset));
        } else {
            uint32_t seq = ntohl(get_16aligned_be32(&tcp->tcp_seq));

            put_16aligned_be32(&tcp->tcp_seq, htonl(seq - node->offset));
        }
        tcp->tcp_csum = 0;
        tcp->tcp_csum = csum_finish(csum_continue(
                                        packet_csum_pseudoheader(ip),
                                        tcp, l4_len));
    }
    memcpy(dp_packet_data(p), frame, len);
    free(frame);
    return node != NULL;
}

/* conntrack. */

/* Runs 'batch' through conntrack_execute() in BENCH_ZONE, as a datapath's
 * ct(zone=5) action ('commit' false) or ct(commit,zone=5) does without NAT,
 * helper, mark or label.  3.1 takes the flow's ports too, with which it
 * looks for an ALG's control connection: 0 is none, as port 80 is not. */
static void
bench_ct_execute(struct conntrack *ct, struct dp_packet_batch *batch,
                 bool commit, long long int now)
{
#if COLO_OVS_AT_LEAST(3, 3)
    conntrack_execute(ct, batch, htons(ETH_TYPE_IP), false, commit,
                      BENCH_ZONE, NULL, NULL, NULL, NULL, now, 0);
#else
    conntrack_execute(ct, batch, htons(ETH_TYPE_IP), false, commit,
                      BENCH_ZONE, NULL, NULL, htons(0), htons(0), NULL, NULL,
                      now, 0);
#endif
}

static bool
bench_ct_established(const struct dp_packet *p)
{
    return ((p->md.ct_state & (CS_ESTABLISHED | CS_INVALID))
            == CS_ESTABLISHED);
}

/* Makes conntrack establish the 'n_conns' connections, with the same
 * packets the engine learned them from, committed. */
static void
bench_ct_learn(struct conntrack *ct, unsigned int n_conns, long long int now)
{
    struct dp_packet *p[BENCH_BATCH];

    for (size_t i = 0; i < BENCH_BATCH; i++) {
        p[i] = dp_packet_new(2048);
    }
    for (unsigned int first = 0; first < n_conns; first += BENCH_BATCH) {
        struct bench_seg segs[BENCH_BATCH][BENCH_N_LEARN_SEGS];
        size_t n = MIN(BENCH_BATCH, n_conns - first);

        for (size_t i = 0; i < n; i++) {
            bench_learn_segs(first + i, false, segs[i]);
        }
        for (size_t s = 0; s < BENCH_N_LEARN_SEGS; s++) {
            struct dp_packet_batch batch;

            dp_packet_batch_init(&batch);
            for (size_t i = 0; i < n; i++) {
                bench_build(p[i], &segs[i][s]);
                dp_packet_batch_add(&batch, p[i]);
            }
            bench_ct_execute(ct, &batch, true, now);
        }
        for (size_t i = 0; i < n; i++) {
            ovs_assert(bench_ct_established(p[i]));
        }
        if (first % 1024 == 0) {
            ovsrcu_quiesce();
        }
    }
    for (size_t i = 0; i < BENCH_BATCH; i++) {
        dp_packet_delete(p[i]);
    }
}

/* The comparison. */

struct bench_ctx {
    unsigned int n_conns;
    struct colo_table *colo;
    struct conntrack *ct;
    long long int ct_now;
    struct seed_table seed;
    double clock_ns;            /* What reading the clock costs. */
};

/* The frames of one kind, each implementation its own, which the batches
 * refill by turns (bench_refill()), as a datapath's buffers cycle through
 * its pool. */
#define POOL_BATCHES 64
#define POOL_PACKETS (POOL_BATCHES * BENCH_BATCH)

struct cmp_pool {
    struct dp_packet *pkts[BENCH_N_IMPLS][POOL_PACKETS];
    uint32_t payload_sum;       /* Of the payload, the same in all. */
    size_t header_len;
};

static struct cmp_pool *
cmp_pool_create(enum bench_kind kind)
{
    struct cmp_pool *pool = xmalloc(sizeof *pool);
    struct bench_seg seg;

    bench_established_seg(0, kind, COLO_PRIMARY, &seg);
    for (size_t impl = 0; impl < BENCH_N_IMPLS; impl++) {
        for (size_t i = 0; i < POOL_PACKETS; i++) {
            pool->pkts[impl][i] = bench_packet(&seg);
        }
    }
    pool->payload_sum = bench_payload_sum(pool->pkts[0][0]);
    pool->header_len = bench_header_len(pool->pkts[0][0]);

    /* Refilling a frame makes the frame that composing it makes. */
    struct dp_packet *built, *refilled = pool->pkts[0][0];
    bench_established_seg(12345, kind, COLO_SECONDARY, &seg);
    built = bench_packet(&seg);
    bench_refill(refilled, &seg, pool->payload_sum);
    ovs_assert(dp_packet_size(built) == dp_packet_size(refilled));
    ovs_assert(!memcmp(dp_packet_data(built), dp_packet_data(refilled),
                       dp_packet_size(built)));
    dp_packet_delete(built);
    return pool;
}

static void
cmp_pool_destroy(struct cmp_pool *pool)
{
    for (size_t impl = 0; impl < BENCH_N_IMPLS; impl++) {
        for (size_t i = 0; i < POOL_PACKETS; i++) {
            dp_packet_delete(pool->pkts[impl][i]);
        }
    }
    free(pool);
}

/* Runs 'batch' through 'impl'.  Returns the packets that 'impl' did not
 * handle as an established connection's, which must be none. */
static size_t
bench_run_impl(struct bench_ctx *ctx, enum bench_impl impl,
               enum colo_direction dir, struct dp_packet_batch *batch)
{
    struct {
        struct miniflow mf;
        uint64_t buf[FLOW_U64S];
    } m;
    struct dp_packet *p;
    size_t n_missed = 0;

    switch (impl) {
    case BENCH_IMPL_COLO:
        colo_table_process_batch(ctx->colo, BENCH_ZONE, dir, batch,
                                 BENCH_NOW);
        break;
    case BENCH_IMPL_CT:
        bench_ct_execute(ctx->ct, batch, false, ctx->ct_now);
        break;
    case BENCH_IMPL_SEED:
        DP_PACKET_BATCH_FOR_EACH (i, p, batch) {
            n_missed += !seed_process(&ctx->seed, dir, p);
        }
        break;
    case BENCH_IMPL_MF:
        DP_PACKET_BATCH_FOR_EACH (i, p, batch) {
            miniflow_extract(p, &m.mf);
        }
        break;
    case BENCH_N_IMPLS:
    default:
        OVS_NOT_REACHED();
    }
    return n_missed;
}

/* Measures each implementation on 'n_batches' batches of 32 packets of
 * 'kind' in 'dir', of connections picked at random with 'rng', and stores
 * in 'ns' the nanoseconds each took per packet. */
static void
bench_compare_batches(struct bench_ctx *ctx, struct cmp_pool *pool,
                      enum bench_kind kind, enum colo_direction dir,
                      size_t n_batches, uint64_t *rng,
                      double ns[BENCH_N_IMPLS])
{
    long long int total[BENCH_N_IMPLS] = { 0 };
    size_t n_missed[BENCH_N_IMPLS] = { 0 };
    struct colo_zone_stats before, after;

    ovs_assert(colo_table_get_zone_stats(ctx->colo, BENCH_ZONE, &before));
    for (size_t b = 0; b < n_batches; b++) {
        struct dp_packet_batch batches[BENCH_N_IMPLS];
        size_t base = (b % POOL_BATCHES) * BENCH_BATCH;

        /* The same packets for each, their headers warm in the cache, as a
         * datapath that has just received and parsed them has them. */
        for (size_t impl = 0; impl < BENCH_N_IMPLS; impl++) {
            dp_packet_batch_init(&batches[impl]);
        }
        for (size_t i = 0; i < BENCH_BATCH; i++) {
            struct dp_packet *orig = pool->pkts[0][base + i];
            struct bench_seg seg;

            bench_established_seg(bench_random(rng) % ctx->n_conns, kind,
                                  dir, &seg);
            bench_refill(orig, &seg, pool->payload_sum);
            dp_packet_batch_add(&batches[0], orig);
            for (size_t impl = 1; impl < BENCH_N_IMPLS; impl++) {
                struct dp_packet *copy = pool->pkts[impl][base + i];

                memcpy(dp_packet_data(copy), dp_packet_data(orig),
                       pool->header_len);
                bench_received(copy);
                dp_packet_batch_add(&batches[impl], copy);
            }
        }

        /* Each in turn, starting with another each time. */
        for (size_t k = 0; k < BENCH_N_IMPLS; k++) {
            enum bench_impl impl = (b + k) % BENCH_N_IMPLS;
            long long int start = bench_now_ns();

            n_missed[impl] += bench_run_impl(ctx, impl, dir,
                                             &batches[impl]);
            total[impl] += bench_now_ns() - start;
        }

        /* conntrack must have found them established; the engine and the
         * seed model must agree on the new seq and ack. */
        for (size_t i = 0; i < BENCH_BATCH; i++) {
            const struct tcp_header *colo, *seed;

            colo = dp_packet_l4(batches[BENCH_IMPL_COLO].packets[i]);
            seed = dp_packet_l4(batches[BENCH_IMPL_SEED].packets[i]);
            n_missed[BENCH_IMPL_CT] += !bench_ct_established(
                batches[BENCH_IMPL_CT].packets[i]);
            n_missed[BENCH_IMPL_SEED] += (
                get_16aligned_be32(&colo->tcp_seq)
                != get_16aligned_be32(&seed->tcp_seq)
                || (get_16aligned_be32(&colo->tcp_ack)
                    != get_16aligned_be32(&seed->tcp_ack)));
        }
        if (b % 64 == 63) {
            ovsrcu_quiesce();
        }
    }

    /* Each must have seen established connections only, or what it was
     * timed on is not what it is compared on. */
    size_t n_packets = n_batches * BENCH_BATCH;
    ovs_assert(colo_table_get_zone_stats(ctx->colo, BENCH_ZONE, &after));
    n_missed[BENCH_IMPL_COLO] = (n_packets
                                 - (after.counters[COLO_STAT_REWRITTEN]
                                    - before.counters[COLO_STAT_REWRITTEN]));
    for (size_t impl = 0; impl < BENCH_N_IMPLS; impl++) {
        if (n_missed[impl]) {
            ovs_fatal(0, "%s did not handle %"PRIuSIZE" of %"PRIuSIZE" "
                      "packets as established (the seed model: or it "
                      "disagreed with the engine)", impl_names[impl],
                      n_missed[impl], n_packets);
        }
        ns[impl] = (total[impl] - n_batches * ctx->clock_ns) / n_packets;
    }
}

static void
print_row(const char *name, const double v[BENCH_N_KINDS][2], int decimals,
          const char *goal)
{
    printf("%-28s", name);
    for (size_t kind = 0; kind < BENCH_N_KINDS; kind++) {
        for (size_t d = 0; d < 2; d++) {
            printf(" %14.*f", decimals, v[kind][d]);
        }
    }
    printf("%s%s\n", goal ? "  " : "", goal ? goal : "");
}

/* Returns the largest of the ct ratios in 'r'. */
double
bench_worst_ct_ratio(const struct bench_cmp_result *r)
{
    double worst = 0;

    for (size_t kind = 0; kind < BENCH_N_KINDS; kind++) {
        for (size_t d = 0; d < 2; d++) {
            worst = MAX(worst, r->ct_ratio[kind][d]);
        }
    }
    return worst;
}

static void
print_comparison(const struct bench_cmp_result *r, unsigned int n_conns,
                 size_t n_runs, size_t n_packets)
{
    static const double ct_goals[][2] = { { 1000, 0.35 }, { 1000000, 0.5 } };
    const char *ct_verdict = NULL;
    char ct_goal[128], seed_goal[128];
    bool seed_met = true;

    printf("%"PRIuSIZE" packets of each kind and direction per run, "
           "median of %"PRIuSIZE" run%s, ns/packet:\n", n_packets, n_runs,
           n_runs > 1 ? "s" : "");
    printf("%-28s %14s %14s %14s %14s\n", "", "ACK primary",
           "ACK secondary", "full primary", "full secondary");
    for (size_t impl = 0; impl < BENCH_N_IMPLS; impl++) {
        double v[BENCH_N_KINDS][2];

        for (size_t kind = 0; kind < BENCH_N_KINDS; kind++) {
            for (size_t d = 0; d < 2; d++) {
                v[kind][d] = r->ns[kind][d][impl];
            }
        }
        print_row(impl_names[impl], v, 1, NULL);
    }

    for (size_t i = 0; i < ARRAY_SIZE(ct_goals); i++) {
        if (n_conns == ct_goals[i][0]) {
            ct_verdict = bench_goal(bench_worst_ct_ratio(r)
                                    <= ct_goals[i][1]);
        }
    }
    snprintf(ct_goal, sizeof ct_goal, "goal <= 0.35 at 1k, <= 0.5 at 1M%s%s",
             ct_verdict ? ": " : "", ct_verdict ? ct_verdict : "");
    print_row("ct ratio (colo/conntrack)", r->ct_ratio, 2, ct_goal);

    for (size_t d = 0; d < 2; d++) {
        seed_met = (seed_met && r->seed_x[BENCH_ACK][d] >= 3
                    && r->seed_x[BENCH_FULL][d] >= 10);
    }
    snprintf(seed_goal, sizeof seed_goal,
             "goal >= 3 on ACKs, >= 10 on full frames: %s",
             bench_goal(seed_met));
    print_row("seed model / colo", r->seed_x, 2, seed_goal);
}

/* Prints how bench_compare() measures. */
void
bench_compare_print_method(double clock_ns)
{
    printf("method: against OVS's userspace conntrack, a model of QEMU's "
           "filter-rewriter (the seed: copy, chained hash table, full "
           "checksum) and miniflow_extract(), the datapath's parse\n"
           "method: connections picked at random (fixed seed); batches of "
           "%d refilled from a pool of %d buffers for each of the four, "
           "each batch run through the four in turn (starting with another "
           "each time) on its own copy of the same packets, headers warm in "
           "the cache as after receive, payload not; 66-byte ACKs and "
           "%d-byte frames; medians of the runs, ratios the medians of each "
           "run's\n"
           "method: conntrack: conntrack_execute(zone=%d, commit=false), "
           "what a datapath's ct(zone=%d) does with each established "
           "packet, on connections committed by their handshakes\n"
           "method: checksums marked good on receive and not offloaded, "
           "for all four: colo updates the TCP checksum incrementally, "
           "conntrack does not verify it, the seed model recomputes it\n"
           "method: the clock costs %.1f ns a reading, subtracted from each "
           "batch's time\n", BENCH_BATCH, POOL_PACKETS,
           14 + 20 + 32 + BENCH_FULL_PAYLOAD, BENCH_ZONE, BENCH_ZONE,
           clock_ns);
}

/* Compares the four on 'colo', a table of 'n_conns' connections learned
 * with bench_learn_table(), in 'n_runs' runs of 'n_packets' packets of each
 * kind and direction; reading the clock costs 'clock_ns'.  Sets up
 * conntrack and the seed model's table with the same connections first,
 * and prints the figures, medians over the runs, which it also stores in
 * 'r'. */
void
bench_compare(struct colo_table *colo, unsigned int n_conns, size_t n_runs,
              size_t n_packets, double clock_ns, struct bench_cmp_result *r)
{
    struct bench_ctx ctx = {
        .n_conns = n_conns, .colo = colo, .clock_ns = clock_ns,
    };
    double ns[BENCH_MAX_RUNS][BENCH_N_KINDS][2][BENCH_N_IMPLS];
    struct dp_packet *p = dp_packet_new(256);
    struct cmp_pool *pools[BENCH_N_KINDS];
    long long int start;

    ovs_assert(n_runs >= 1 && n_runs <= BENCH_MAX_RUNS);
    start = bench_now_ns();
    ctx.ct = conntrack_init();
    ctx.ct_now = time_msec();
    bench_ct_learn(ctx.ct, n_conns, ctx.ct_now);
    double ct_seconds = (bench_now_ns() - start) / 1e9;

    start = bench_now_ns();
    seed_init(&ctx.seed);
    for (unsigned int i = 0; i < n_conns; i++) {
        struct bench_seg seg;

        bench_established_seg(i, BENCH_ACK, COLO_PRIMARY, &seg);
        bench_build(p, &seg);
        seed_learn(&ctx.seed, p, bench_seq_delta(i));
        if (i % 1024 == 0) {
            ovsrcu_quiesce();
        }
    }
    printf("setup: conntrack established them in %.2f s, the seed model "
           "learned them in %.2f s\n", ct_seconds,
           (bench_now_ns() - start) / 1e9);

    for (size_t kind = 0; kind < BENCH_N_KINDS; kind++) {
        pools[kind] = cmp_pool_create(kind);
    }
    size_t n_batches = DIV_ROUND_UP(n_packets, BENCH_BATCH);
    for (size_t run = 0; run < n_runs; run++) {
        uint64_t rng = UINT64_C(0x9e3779b97f4a7c15) + run;

        for (size_t kind = 0; kind < BENCH_N_KINDS; kind++) {
            for (size_t d = 0; d < 2; d++) {
                bench_compare_batches(&ctx, pools[kind], kind, dirs[d],
                                      n_batches, &rng, ns[run][kind][d]);
            }
        }
    }

    for (size_t kind = 0; kind < BENCH_N_KINDS; kind++) {
        for (size_t d = 0; d < 2; d++) {
            double v[BENCH_MAX_RUNS], ct[BENCH_MAX_RUNS];
            double seed[BENCH_MAX_RUNS];

            for (size_t impl = 0; impl < BENCH_N_IMPLS; impl++) {
                for (size_t run = 0; run < n_runs; run++) {
                    v[run] = ns[run][kind][d][impl];
                }
                r->ns[kind][d][impl] = bench_median(v, n_runs);
            }
            /* The ratios of each run, then their median. */
            for (size_t run = 0; run < n_runs; run++) {
                const double *x = ns[run][kind][d];

                ct[run] = x[BENCH_IMPL_COLO] / x[BENCH_IMPL_CT];
                seed[run] = x[BENCH_IMPL_SEED] / x[BENCH_IMPL_COLO];
            }
            r->ct_ratio[kind][d] = bench_median(ct, n_runs);
            r->seed_x[kind][d] = bench_median(seed, n_runs);
        }
    }
    print_comparison(r, n_conns, n_runs, n_batches * BENCH_BATCH);

    for (size_t kind = 0; kind < BENCH_N_KINDS; kind++) {
        cmp_pool_destroy(pools[kind]);
    }
    conntrack_destroy(ctx.ct);
    seed_destroy(&ctx.seed);
    dp_packet_delete(p);
    ovsrcu_quiesce();
}
