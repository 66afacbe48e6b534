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

/* Benchmark of the colo_rewrite engine ("make bench").  It prints figures,
 * each beside the goal it has; it asserts nothing about speed, so it cannot
 * flake.
 *
 *   ovstest test-colo-bench [--sizes=N,...] [--runs=N] [--packets=N]
 *                           [--quick] [--insns=N]
 *   ovstest test-colo-bench --callgrind=primary|secondary
 *
 * For each size (1000, 100000 and 1000000 connections by default), in one
 * process, on established and assured TCP/IPv4 connections (the VM a
 * server, NOP,NOP,TS options on every segment) learned through real
 * handshakes:
 *
 * - ns/packet of colo_table_process_batch(), of conntrack_execute() as a
 *   datapath's ct(zone=Z) calls it, of a model of what QEMU's
 *   filter-rewriter does per packet (copy, chained hash table, full TCP
 *   checksum: seed_process()) and of miniflow_extract(), the parse that the
 *   userspace datapath does anyway, for 66-byte ACKs and 1514-byte frames,
 *   both directions.  Each batch of 32 packets goes to the four in turn,
 *   each on its own copy of the same packets; medians of 3 runs; and their
 *   ratios (test-colo-bench-cmp.c).
 *
 * - the heap a connection takes, two threads' throughput against one's in
 *   one zone, the checkpoint, the learning rate, and the sweep with a
 *   thread learning meanwhile (test-colo-bench-table.c).
 *
 * Then the heap an IPv6 connection takes at the largest size, a summary,
 * and last, in a fixed format (see bench_summary()):
 *
 *   colo-bench: ct_ratio_1k=.. ct_ratio_1m=.. seed_ack_x=.. seed_full_x=..
 *   growth=.. insns=.. checkpoint_us_1m=.. bytes_v4=..
 *
 * "insns" is what --insns says: "make bench" counts it first with
 * callgrind, which runs this program with --callgrind=DIR (1000
 * connections, ACKs in one direction through colo_table_process_batch()
 * only), see build-aux/colo-bench-insns.
 *
 * --quick tries it out in seconds: 1000 and 10000 connections, one run,
 * fewer packets.  --packets sets the packets of each kind, direction and
 * run (default: the size, at least 262144). */

#include <config.h>
#undef NDEBUG
#include "test-colo-bench.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp-packet.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "tests/ovstest.h"
#include "util.h"

/* Options and results. */

#define MAX_SIZES 8

struct bench_opts {
    unsigned int sizes[MAX_SIZES];
    size_t n_sizes;
    size_t n_runs;
    size_t n_packets;           /* Per kind, direction and run; 0: auto. */
    bool quick;
    const char *insns;
};

/* The figures of one size. */
struct size_result {
    unsigned int n_conns;
    struct bench_cmp_result cmp;
    double bytes_v4;
    double checkpoint_us;
};

/* Measures everything at 'n_conns' connections into 'r'. */
static void
bench_size(unsigned int n_conns, const struct bench_opts *opts,
           double clock_ns, struct size_result *r)
{
    struct colo_table *table;
    double seconds;

    printf("\n== %u connections ==\n", n_conns);
    memset(r, 0, sizeof *r);
    r->n_conns = n_conns;

    table = bench_learn_table(n_conns, false, &r->bytes_v4, &seconds);
    printf("memory: %.1f bytes of heap per IPv4 connection (entry struct "
           "%"PRIuSIZE" bytes; %u learned in %.2f s)  goal <= 80 B at "
           "1M%s%s\n", r->bytes_v4, colo_conn_size(), n_conns, seconds,
           n_conns == 1000000 ? ": " : "",
           n_conns == 1000000 ? bench_goal(r->bytes_v4 <= 80) : "");

    bench_compare(table, n_conns, opts->n_runs,
                  (opts->n_packets ? opts->n_packets
                   : MAX(n_conns, 262144)), clock_ns, &r->cmp);

    /* A checkpoint zeroes the deltas: it comes after what rewrites. */
    bench_threads(table, n_conns, opts->quick);
    r->checkpoint_us = bench_checkpoint(table, opts->quick);
    bench_learning(table, n_conns, opts->quick);
    bench_sweeps(table, n_conns);
    colo_table_destroy(table);
    ovsrcu_quiesce();
}

/* Formats 'value' with 'decimals' into 'buf', or "n/a" if it is NaN. */
static const char *
fmt(char *buf, size_t size, double value, int decimals)
{
    if (isnan(value)) {
        return "n/a";
    }
    snprintf(buf, size, "%.*f", decimals, value);
    return buf;
}

static const struct size_result *
find_size(const struct size_result *results, size_t n, unsigned int n_conns)
{
    for (size_t i = 0; i < n; i++) {
        if (results[i].n_conns == n_conns) {
            return &results[i];
        }
    }
    return NULL;
}

/* Prints the summary and the last line, whose format is fixed:
 *
 *   ct_ratio_1k, ct_ratio_1m: colo ns / conntrack ns at 1000 and 1000000
 *       connections, the worst (largest) of the four columns.
 *   seed_ack_x, seed_full_x: seed model ns / colo ns on ACKs and on full
 *       frames, the worst (smallest) over sizes and directions.
 *   growth: colo ns/packet on ACKs at 1000000 over 1000, the worse
 *       direction.
 *   insns: instructions per established ACK, from --insns.
 *   checkpoint_us_1m: the checkpoint at 1000000 connections, in us.
 *   bytes_v4: heap per IPv4 connection at the largest size.
 *
 * "n/a" for what was not measured. */
static void
bench_summary(const struct size_result *results, size_t n,
              const struct size_result *largest, double bytes_v6,
              const char *insns)
{
    const struct size_result *r1k = find_size(results, n, 1000);
    const struct size_result *r1m = find_size(results, n, 1000000);
    double ct_1k = r1k ? bench_worst_ct_ratio(&r1k->cmp) : NAN;
    double ct_1m = r1m ? bench_worst_ct_ratio(&r1m->cmp) : NAN;
    double seed_x[BENCH_N_KINDS] = { INFINITY, INFINITY };
    double growth = NAN;
    double checkpoint = r1m ? r1m->checkpoint_us : NAN;
    double bytes_v4 = largest->bytes_v4;
    char b[8][32];

    for (size_t i = 0; i < n; i++) {
        for (size_t kind = 0; kind < BENCH_N_KINDS; kind++) {
            for (size_t d = 0; d < 2; d++) {
                seed_x[kind] = MIN(seed_x[kind],
                                   results[i].cmp.seed_x[kind][d]);
            }
        }
    }
    if (r1k && r1m) {
        growth = 0;
        for (size_t d = 0; d < 2; d++) {
            growth = MAX(growth,
                         (r1m->cmp.ns[BENCH_ACK][d][BENCH_IMPL_COLO]
                          / r1k->cmp.ns[BENCH_ACK][d][BENCH_IMPL_COLO]));
        }
    }
    bool have_insns = strcmp(insns, "n/a");

    printf("\n== summary ==\n");
    printf("ct ratio (colo/conntrack), worst of the four columns: 1k %s "
           "(goal <= 0.35%s%s), 1M %s (goal <= 0.5%s%s)\n",
           fmt(b[0], 32, ct_1k, 2), r1k ? ": " : "",
           r1k ? bench_goal(ct_1k <= 0.35) : "", fmt(b[1], 32, ct_1m, 2),
           r1m ? ": " : "", r1m ? bench_goal(ct_1m <= 0.5) : "");
    printf("seed model / colo, worst over sizes and directions: ACKs %.2f "
           "(goal >= 3: %s), full frames %.2f (goal >= 10: %s)\n",
           seed_x[BENCH_ACK], bench_goal(seed_x[BENCH_ACK] >= 3),
           seed_x[BENCH_FULL], bench_goal(seed_x[BENCH_FULL] >= 10));
    printf("growth (colo ns/ACK at 1M / at 1k, worse direction): %s  "
           "goal <= 2.5%s%s\n", fmt(b[2], 32, growth, 2),
           isnan(growth) ? "" : ": ",
           isnan(growth) ? "" : bench_goal(growth <= 2.5));
    printf("insns: %s instructions per established ACK with timestamps, "
           "the worse direction (make bench-callgrind)  goal <= 200%s%s\n",
           insns, have_insns ? ": " : "",
           have_insns ? bench_goal(atoi(insns) <= 200) : "");
    printf("checkpoint at 1M: %s us  goal <= 50 us at any size%s%s\n",
           fmt(b[3], 32, checkpoint, 1), r1m ? ": " : "",
           r1m ? bench_goal(checkpoint <= 50) : "");
    printf("memory at %u connections: IPv4 %.1f B per connection (goal <= "
           "80 B at 1M: %s), IPv6 %.1f B (goal <= 128 B: %s)\n",
           largest->n_conns,
           bytes_v4, bench_goal(bytes_v4 <= 80), bytes_v6,
           bench_goal(bytes_v6 <= 128));

    printf("colo-bench: ct_ratio_1k=%s ct_ratio_1m=%s seed_ack_x=%.2f "
           "seed_full_x=%.2f growth=%s insns=%s checkpoint_us_1m=%s "
           "bytes_v4=%.1f\n", fmt(b[4], 32, ct_1k, 2),
           fmt(b[5], 32, ct_1m, 2), seed_x[BENCH_ACK], seed_x[BENCH_FULL],
           fmt(b[6], 32, growth, 2), insns, fmt(b[7], 32, checkpoint, 1),
           bytes_v4);
}

/* --callgrind: 1000 connections, ACKs in 'dir' through
 * colo_table_process_batch() and nothing else, for callgrind to count the
 * instructions it takes (build-aux/colo-bench-insns). */
static void
bench_callgrind(enum colo_direction dir)
{
    enum { N_CONNS = 1000, N_BATCHES = 64, N_PASSES = 4 };
    struct dp_packet_batch batches[N_BATCHES];
    struct colo_table *table;
    double bytes, seconds;
    uint64_t rng = 42;

    table = bench_learn_table(N_CONNS, false, &bytes, &seconds);
    for (size_t b = 0; b < N_BATCHES; b++) {
        dp_packet_batch_init(&batches[b]);
        for (size_t i = 0; i < BENCH_BATCH; i++) {
            struct bench_seg seg;

            bench_established_seg(bench_random(&rng) % N_CONNS, BENCH_ACK,
                                  dir, &seg);
            dp_packet_batch_add(&batches[b], bench_packet(&seg));
        }
    }
    for (size_t pass = 0; pass < N_PASSES; pass++) {
        for (size_t b = 0; b < N_BATCHES; b++) {
            colo_table_process_batch(table, BENCH_ZONE, dir, &batches[b],
                                     BENCH_NOW);
        }
    }
    printf("callgrind: packets=%d\n", N_BATCHES * BENCH_BATCH * N_PASSES);
    for (size_t b = 0; b < N_BATCHES; b++) {
        dp_packet_delete_batch(&batches[b], true);
    }
    colo_table_destroy(table);
}

static void
usage(void)
{
    printf("usage: ovstest test-colo-bench [OPTIONS]\n"
           "  --sizes=N,...   connections per size (default "
           "1000,100000,1000000)\n"
           "  --runs=N        runs of the comparison, medians (default 3)\n"
           "  --packets=N     packets of each kind and direction per run\n"
           "                  (default: the size, at least 262144)\n"
           "  --quick         a short try: 1000,10000, one run, fewer "
           "packets\n"
           "  --insns=N       instructions per packet, for the last line\n"
           "  --callgrind=DIR only ACKs in DIR (primary|secondary) through\n"
           "                  colo_table_process_batch(), for callgrind\n");
}

static void
parse_sizes(struct bench_opts *opts, const char *arg)
{
    char *copy = xstrdup(arg), *save = NULL;

    opts->n_sizes = 0;
    for (char *s = strtok_r(copy, ",", &save); s;
         s = strtok_r(NULL, ",", &save)) {
        int n = atoi(s);

        if (n <= 0 || n >= 1 << 22 || opts->n_sizes >= MAX_SIZES) {
            ovs_fatal(0, "%s: bad size list (at most %d sizes, each "
                      "1 to %d)", arg, MAX_SIZES, (1 << 22) - 1);
        }
        opts->sizes[opts->n_sizes++] = n;
    }
    free(copy);
}

static void
test_colo_bench_main(int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"sizes", required_argument, NULL, 's'},
        {"runs", required_argument, NULL, 'r'},
        {"packets", required_argument, NULL, 'p'},
        {"quick", no_argument, NULL, 'q'},
        {"insns", required_argument, NULL, 'i'},
        {"callgrind", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct bench_opts opts = {
        .sizes = { 1000, 100000, 1000000 }, .n_sizes = 3, .n_runs = 3,
        .insns = "n/a",
    };
    const char *sizes = NULL;
    bool runs_set = false;

    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, "", long_options, NULL);
        enum colo_direction dir;

        if (c == -1) {
            break;
        }
        switch (c) {
        case 's':
            sizes = optarg;
            break;
        case 'r':
            opts.n_runs = atoi(optarg);
            if (opts.n_runs < 1 || opts.n_runs > BENCH_MAX_RUNS) {
                ovs_fatal(0, "--runs must be 1 to %d", BENCH_MAX_RUNS);
            }
            runs_set = true;
            break;
        case 'p':
            opts.n_packets = atoi(optarg);
            break;
        case 'q':
            opts.quick = true;
            break;
        case 'i':
            if (strcmp(optarg, "n/a") && atoi(optarg) <= 0) {
                ovs_fatal(0, "--insns=%s: a number or n/a", optarg);
            }
            opts.insns = optarg;
            break;
        case 'c':
            if (!colo_direction_from_string(optarg, &dir)) {
                ovs_fatal(0, "--callgrind=%s: primary or secondary",
                          optarg);
            }
            bench_callgrind(dir);
            return;
        case 'h':
            usage();
            return;
        default:
            usage();
            exit(EXIT_FAILURE);
        }
    }
    if (opts.quick) {
        opts.sizes[0] = 1000;
        opts.sizes[1] = 10000;
        opts.n_sizes = 2;
        opts.n_runs = runs_set ? opts.n_runs : 1;
        opts.n_packets = opts.n_packets ? opts.n_packets : 8192;
    }
    if (sizes) {
        parse_sizes(&opts, sizes);
    }

    /* This program polls nothing: what these modules say of its long
     * stretches between polls means nothing here. */
    vlog_set_levels_from_string_assert("timeval:off");
    vlog_set_levels_from_string_assert("coverage:off");
    vlog_set_levels_from_string_assert("poll_loop:off");

    double clock_ns = bench_clock_cost();
    printf("method: colo_rewrite on Open vSwitch %s, on TCP/IPv4, the VM a "
           "server, NOP,NOP,TS on every segment, on established and "
           "assured connections learned through real handshakes\n",
           PACKAGE_VERSION);
    bench_compare_print_method(clock_ns);

    struct size_result results[MAX_SIZES];
    for (size_t i = 0; i < opts.n_sizes; i++) {
        bench_size(opts.sizes[i], &opts, clock_ns, &results[i]);
    }

    /* IPv6 entries at the largest size. */
    size_t largest = 0;
    for (size_t i = 1; i < opts.n_sizes; i++) {
        if (opts.sizes[i] > opts.sizes[largest]) {
            largest = i;
        }
    }
    unsigned int n_v6 = opts.sizes[largest];
    double bytes_v6, seconds;
    struct colo_table *table = bench_learn_table(n_v6, true, &bytes_v6,
                                                 &seconds);
    printf("\nmemory: %.1f bytes of heap per IPv6 connection (%u learned in "
           "%.2f s)  goal <= 128 B\n", bytes_v6, n_v6, seconds);
    colo_table_destroy(table);
    ovsrcu_quiesce();

    bench_summary(results, opts.n_sizes, &results[largest], bytes_v6,
                  opts.insns);
}

OVSTEST_REGISTER("test-colo-bench", test_colo_bench_main);
