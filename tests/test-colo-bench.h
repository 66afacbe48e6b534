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

#ifndef TEST_COLO_BENCH_H
#define TEST_COLO_BENCH_H 1

/* What the files of "ovstest test-colo-bench" share:
 *
 *   test-colo-bench.c        the program: options, each size in turn, the
 *                            summary.
 *   test-colo-bench-cmp.c    colo_rewrite against conntrack, a model of
 *                            QEMU's filter-rewriter and miniflow_extract().
 *   test-colo-bench-pkt.c    the connections, their packets, learning them.
 *   test-colo-bench-table.c  the engine's other costs: threads, checkpoint,
 *                            learning rate, sweep. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "colo-rewrite.h"

struct dp_packet;

#define BENCH_ZONE 5
#define BENCH_BATCH 32          /* Packets per batch, as NETDEV_MAX_BURST. */
#define BENCH_NOW 1000000       /* The engine's clock while it learns and
                                 * rewrites, in msec. */

/* What an established connection carries in the benchmark. */
enum bench_kind {
    BENCH_ACK,                  /* A bare ACK: 66 bytes. */
    BENCH_FULL,                 /* A full frame: 1514 bytes. */
    BENCH_N_KINDS
};

#define BENCH_FULL_PAYLOAD 1448 /* 1514 - Ethernet, IPv4, TCP with TS. */

/* One TCP segment of connection 'idx' (see test-colo-bench-pkt.c for the
 * addresses), as bench_build() makes it.  Every segment carries a timestamp
 * option; a SYN also carries MSS, SACK-permitted and window scale. */
struct bench_seg {
    unsigned int idx;
    bool ipv6;
    enum colo_direction dir;    /* COLO_PRIMARY: peer to VM. */
    uint16_t flags;             /* TCP_*. */
    uint32_t seq;
    uint32_t ack;
    uint32_t tsval;
    uint32_t tsecr;
    size_t payload;             /* Bytes of payload. */
};

/* The segments of connection 'idx': the handshake (the VM as server) and an
 * exchange of data that makes the connection assured, 'segs[0]' to
 * 'segs[BENCH_N_LEARN_SEGS - 1]', the first BENCH_N_HANDSHAKE_SEGS of them
 * the handshake. */
#define BENCH_N_HANDSHAKE_SEGS 3
#define BENCH_N_LEARN_SEGS 6
void bench_learn_segs(unsigned int idx, bool ipv6,
                      struct bench_seg segs[BENCH_N_LEARN_SEGS]);
uint32_t bench_seq_delta(unsigned int idx);

/* The segment of 'kind' that established connection 'idx' sends in
 * 'dir'. */
void bench_established_seg(unsigned int idx, enum bench_kind,
                           enum colo_direction, struct bench_seg *);

/* Packets. */
void bench_build(struct dp_packet *, const struct bench_seg *);
struct dp_packet *bench_packet(const struct bench_seg *);
void bench_refill(struct dp_packet *, const struct bench_seg *,
                  uint32_t payload_sum);
uint32_t bench_payload_sum(const struct dp_packet *);
void bench_received(struct dp_packet *);
size_t bench_header_len(const struct dp_packet *);

/* Tables. */
struct colo_table *bench_learn_table(unsigned int n_conns, bool ipv6,
                                     double *bytes_per_conn,
                                     double *seconds);
void bench_set_max_conns(struct colo_table *, unsigned int max_conns);

/* Odds and ends. */
uint32_t bench_random(uint64_t *state);
long long int bench_now_ns(void);
double bench_clock_cost(void);
size_t bench_heap_in_use(void);
double bench_median(const double *, size_t n);
const char *bench_goal(bool met);

/* test-colo-bench-cmp.c. */

/* What is compared. */
enum bench_impl {
    BENCH_IMPL_COLO,            /* colo_table_process_batch(). */
    BENCH_IMPL_CT,              /* conntrack_execute(), ct(zone=Z). */
    BENCH_IMPL_SEED,            /* The seed model, QEMU's way. */
    BENCH_IMPL_MF,              /* miniflow_extract(). */
    BENCH_N_IMPLS
};

#define BENCH_MAX_RUNS 9

/* Medians over the runs, by [kind][0 primary, 1 secondary]. */
struct bench_cmp_result {
    double ns[BENCH_N_KINDS][2][BENCH_N_IMPLS];     /* Per packet. */
    double ct_ratio[BENCH_N_KINDS][2];  /* colo / conntrack. */
    double seed_x[BENCH_N_KINDS][2];    /* seed model / colo. */
};

void bench_compare_print_method(double clock_ns);
void bench_compare(struct colo_table *, unsigned int n_conns, size_t n_runs,
                   size_t n_packets, double clock_ns,
                   struct bench_cmp_result *);
double bench_worst_ct_ratio(const struct bench_cmp_result *);

/* test-colo-bench-table.c. */
double bench_threads(struct colo_table *, unsigned int n_conns, bool quick);
double bench_checkpoint(struct colo_table *, bool quick);
double bench_learning(struct colo_table *, unsigned int n_conns, bool quick);
void bench_sweeps(struct colo_table *, unsigned int n_conns);

#endif /* test-colo-bench.h */
