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

/* The costs of ovstest test-colo-bench that are the engine's alone, on a
 * table of learned connections: two threads against one, the checkpoint,
 * learning, and the sweep with a thread learning meanwhile.  Each prints
 * its figures and its goal. */

#include <config.h>
#undef NDEBUG
#include "test-colo-bench.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "dp-packet.h"
#include "openvswitch/util.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "packets.h"
#include "timeval.h"
#include "util.h"

/* Two threads against one. */

#define THREAD_BATCHES 512      /* Batches in a worker's pool. */

struct bench_pool {
    struct dp_packet_batch batches[THREAD_BATCHES];
};

struct bench_worker {
    struct colo_table *table;
    struct bench_pool *pools[2];
    size_t n_pools;
    unsigned int passes;
};

/* Fills 'pool' with ACKs of established connections picked at random among
 * 'n_conns', the batches by turns primary and secondary. */
static void
bench_pool_init(struct bench_pool *pool, unsigned int n_conns,
                uint64_t seed)
{
    for (size_t b = 0; b < THREAD_BATCHES; b++) {
        enum colo_direction dir = b % 2 ? COLO_SECONDARY : COLO_PRIMARY;

        dp_packet_batch_init(&pool->batches[b]);
        for (size_t i = 0; i < BENCH_BATCH; i++) {
            struct bench_seg seg;

            bench_established_seg(bench_random(&seed) % n_conns, BENCH_ACK,
                                  dir, &seg);
            dp_packet_batch_add(&pool->batches[b], bench_packet(&seg));
        }
    }
}

static void
bench_pool_destroy(struct bench_pool *pool)
{
    for (size_t b = 0; b < THREAD_BATCHES; b++) {
        dp_packet_delete_batch(&pool->batches[b], true);
    }
}

static void *
bench_worker_main(void *w_)
{
    struct bench_worker *w = w_;

    for (unsigned int pass = 0; pass < w->passes; pass++) {
        for (size_t i = 0; i < w->n_pools; i++) {
            for (size_t b = 0; b < THREAD_BATCHES; b++) {
                colo_table_process_batch(w->table, BENCH_ZONE,
                                         b % 2 ? COLO_SECONDARY
                                         : COLO_PRIMARY,
                                         &w->pools[i]->batches[b],
                                         BENCH_NOW);
                if (b % 64 == 63) {
                    ovsrcu_quiesce();
                }
            }
        }
    }
    return NULL;
}

/* Runs the 'n' workers in 'w', each in a thread of its own, and returns
 * how long they took, in ns. */
static long long int
bench_run_workers(struct bench_worker *w, size_t n)
{
    long long int start = bench_now_ns();
    pthread_t threads[2];

    for (size_t i = 0; i < n; i++) {
        threads[i] = ovs_thread_create("colo_bench", bench_worker_main,
                                       &w[i]);
    }
    /* Waiting, this thread holds no RCU-protected pointer. */
    ovsrcu_quiesce_start();
    for (size_t i = 0; i < n; i++) {
        xpthread_join(threads[i], NULL);
    }
    ovsrcu_quiesce_end();
    return bench_now_ns() - start;
}

/* The throughput of two threads in one zone over that of one thread, on the
 * same packets: ACKs of connections picked at random, each thread with its
 * own.  Returns the ratio, the median of 3 runs. */
double
bench_threads(struct colo_table *table, unsigned int n_conns, bool quick)
{
    unsigned int passes = quick ? 4 : 64;
    size_t n_runs = quick ? 1 : 3;
    struct bench_pool *pools = xmalloc(2 * sizeof *pools);
    double ratio[3], mpps1[3], mpps2[3];

    bench_pool_init(&pools[0], n_conns, 1);
    bench_pool_init(&pools[1], n_conns, 2);

    double n_packets = 2.0 * THREAD_BATCHES * BENCH_BATCH * passes;
    for (size_t run = 0; run < n_runs; run++) {
        struct bench_worker one = {
            .table = table, .pools = { &pools[0], &pools[1] }, .n_pools = 2,
            .passes = passes,
        };
        struct bench_worker two[2] = {
            { .table = table, .pools = { &pools[0] }, .n_pools = 1,
              .passes = passes },
            { .table = table, .pools = { &pools[1] }, .n_pools = 1,
              .passes = passes },
        };
        long long int ns1 = bench_run_workers(&one, 1);
        long long int ns2 = bench_run_workers(two, 2);

        mpps1[run] = n_packets / ns1 * 1e3;
        mpps2[run] = n_packets / ns2 * 1e3;
        ratio[run] = (double) ns1 / ns2;
    }

    printf("threads: 2 threads / 1 thread in one zone: %.2f (1 thread "
           "%.2f Mpps, 2 threads %.2f Mpps; %.0f ACKs, both directions, "
           "each thread on %d packets of its own; median of %"PRIuSIZE")\n",
           bench_median(ratio, n_runs), bench_median(mpps1, n_runs),
           bench_median(mpps2, n_runs), n_packets,
           THREAD_BATCHES * BENCH_BATCH, n_runs);

    bench_pool_destroy(&pools[0]);
    bench_pool_destroy(&pools[1]);
    free(pools);
    return bench_median(ratio, n_runs);
}

/* Checkpoint. */

/* Returns how long colo_table_checkpoint() of BENCH_ZONE takes, in us: the
 * median of a few. */
double
bench_checkpoint(struct colo_table *table, bool quick)
{
    size_t n = quick ? 3 : 5;
    double us[5];
    unsigned int n_conns = 0;

    for (size_t i = 0; i < n; i++) {
        long long int start = bench_now_ns();

        n_conns = colo_table_checkpoint(table, BENCH_ZONE);
        us[i] = (bench_now_ns() - start) / 1e3;
    }
    double median = bench_median(us, n);
    printf("checkpoint: %.1f us for a zone of %u connections (median of "
           "%"PRIuSIZE")  goal <= 50 us: %s\n", median, n_conns, n,
           bench_goal(median <= 50));
    return median;
}

/* Learning. */

/* Returns how many handshakes a second the engine learns into BENCH_ZONE,
 * which holds 'n_conns' connections: batches of 32 peers' SYNs, of the
 * SVM's 32 SYN+ACKs, of the peers' 32 ACKs, as a datapath would get them
 * from many clients at once.  The new connections are gone again
 * afterward. */
double
bench_learning(struct colo_table *table, unsigned int n_conns, bool quick)
{
    size_t n_groups = quick ? 32 : 320;
    size_t n = n_groups * BENCH_BATCH;
    struct dp_packet_batch *batches;

    bench_set_max_conns(table, n_conns + n);
    batches = xmalloc(n_groups * BENCH_N_HANDSHAKE_SEGS * sizeof *batches);
    for (size_t g = 0; g < n_groups; g++) {
        struct dp_packet_batch *group = &batches[g * BENCH_N_HANDSHAKE_SEGS];

        for (size_t s = 0; s < BENCH_N_HANDSHAKE_SEGS; s++) {
            dp_packet_batch_init(&group[s]);
        }
        for (size_t i = 0; i < BENCH_BATCH; i++) {
            struct bench_seg segs[BENCH_N_LEARN_SEGS];

            bench_learn_segs(n_conns + g * BENCH_BATCH + i, false, segs);
            for (size_t s = 0; s < BENCH_N_HANDSHAKE_SEGS; s++) {
                dp_packet_batch_add(&group[s], bench_packet(&segs[s]));
            }
        }
    }

    long long int start = bench_now_ns();
    for (size_t g = 0; g < n_groups; g++) {
        for (size_t s = 0; s < BENCH_N_HANDSHAKE_SEGS; s++) {
            colo_table_process_batch(table, BENCH_ZONE,
                                     s == 1 ? COLO_SECONDARY : COLO_PRIMARY,
                                     &batches[g * BENCH_N_HANDSHAKE_SEGS + s],
                                     BENCH_NOW);
        }
    }
    double rate = n / ((bench_now_ns() - start) / 1e9);

    /* The new connections go again: they are not assured, so they expire
     * long before the others. */
    struct colo_zone_stats stats;
    ovs_assert(colo_table_get_zone_stats(table, BENCH_ZONE, &stats));
    ovs_assert(stats.n_conns == n_conns + n);
    colo_table_run(table, BENCH_NOW + (COLO_UNASSURED_TIMEOUT + 1) * 1000);
    ovs_assert(colo_table_get_zone_stats(table, BENCH_ZONE, &stats));
    ovs_assert(stats.n_conns == n_conns);
    bench_set_max_conns(table, n_conns);
    for (size_t i = 0; i < n_groups * BENCH_N_HANDSHAKE_SEGS; i++) {
        dp_packet_delete_batch(&batches[i], true);
    }
    free(batches);

    printf("learning: %.0f handshakes/s (SYN, SYN+ACK, ACK in batches of "
           "%d) into a zone holding %u connections\n", rate, BENCH_BATCH,
           n_conns);
    return rate;
}

/* The sweep, with a thread learning meanwhile. */

#define LEARNER_FIRST_IDX (8u << 20)    /* Past every connection learned
                                         * otherwise. */

struct bench_learner {
    struct colo_table *table;
    long long int now_ms;
    unsigned int next_idx;
    atomic_bool stop;
    atomic_uint n_done;         /* Handshakes completed. */
    long long int worst_ns;     /* The longest of them. */
};

/* Learns handshakes, one at a time, until told to stop, and notes how long
 * the longest took. */
static void *
bench_learner_main(void *l_)
{
    struct bench_learner *l = l_;
    struct dp_packet *p[BENCH_N_HANDSHAKE_SEGS];

    for (size_t i = 0; i < BENCH_N_HANDSHAKE_SEGS; i++) {
        p[i] = dp_packet_new(256);
    }
    for (unsigned int n = 0; ; n++) {
        struct bench_seg segs[BENCH_N_LEARN_SEGS];
        bool stop;

        atomic_read(&l->stop, &stop);
        if (stop) {
            break;
        }
        bench_learn_segs(l->next_idx++, false, segs);
        for (size_t i = 0; i < BENCH_N_HANDSHAKE_SEGS; i++) {
            bench_build(p[i], &segs[i]);
        }

        long long int start = bench_now_ns();
        for (size_t i = 0; i < BENCH_N_HANDSHAKE_SEGS; i++) {
            colo_table_process(l->table, BENCH_ZONE, segs[i].dir, p[i],
                               l->now_ms);
        }
        l->worst_ns = MAX(l->worst_ns, bench_now_ns() - start);
        atomic_store(&l->n_done, n + 1);
        if (n % 64 == 63) {
            ovsrcu_quiesce();
        }
    }
    for (size_t i = 0; i < BENCH_N_HANDSHAKE_SEGS; i++) {
        dp_packet_delete(p[i]);
    }
    return NULL;
}

static unsigned int
bench_learner_done(struct bench_learner *l)
{
    unsigned int n;

    atomic_read(&l->n_done, &n);
    return n;
}

/* Waits until 'l' has completed more than 'n' handshakes. */
static void
bench_learner_wait(struct bench_learner *l, unsigned int n)
{
    while (bench_learner_done(l) <= n) {
        xnanosleep(10 * 1000);
    }
}

/* Runs colo_table_run() at 'now_ms' while a thread learns handshakes in the
 * same zone, and prints how long the sweep took and how long the thread's
 * handshakes waited. */
static void
bench_sweep(struct colo_table *table, const char *what, long long int now_ms,
            unsigned int *next_idx)
{
    struct bench_learner l = {
        .table = table, .now_ms = now_ms, .next_idx = *next_idx,
    };
    struct colo_zone_stats stats;
    unsigned int n_before, n_during;
    pthread_t thread;

    atomic_init(&l.stop, false);
    atomic_init(&l.n_done, 0);
    ovs_assert(colo_table_get_zone_stats(table, BENCH_ZONE, &stats));
    thread = ovs_thread_create("colo_learner", bench_learner_main, &l);

    /* Let the learner get going, then sweep. */
    bench_learner_wait(&l, 100);
    n_before = bench_learner_done(&l);
    long long int start = bench_now_ns();
    colo_table_run(table, now_ms);
    double sweep_ms = (bench_now_ns() - start) / 1e6;
    n_during = bench_learner_done(&l) - n_before;

    /* Let the handshake that waited for the sweep end, and a few more. */
    bench_learner_wait(&l, bench_learner_done(&l) + 10);
    atomic_store(&l.stop, true);
    ovsrcu_quiesce_start();
    xpthread_join(thread, NULL);
    ovsrcu_quiesce_end();
    *next_idx = l.next_idx;

    /* The longest the learner waited is at least the longest the sweep
     * kept the zone's mutex while the learner wanted it. */
    double worst_ms = l.worst_ns / 1e6;
    printf("sweep, %s: colo_table_run() took %.3f ms over %u entries; a "
           "thread learning meanwhile completed %u handshakes during it, "
           "its worst took %.3f ms  goal: no lock hold > 1 ms, learning "
           "never blocked: %s\n", what, sweep_ms, stats.n_conns, n_during,
           worst_ms, bench_goal(worst_ms <= 1));
    ovsrcu_quiesce();
}

/* The sweep of a zone that holds 'n_conns' connections, once when nothing
 * expires and once when everything does.  The table is empty but for the
 * learner's handshakes afterward. */
void
bench_sweeps(struct colo_table *table, unsigned int n_conns)
{
    unsigned int next_idx = LEARNER_FIRST_IDX;

    ovs_assert(n_conns < LEARNER_FIRST_IDX);
    bench_set_max_conns(table, UINT_MAX);
    bench_sweep(table, "nothing expires", BENCH_NOW + 1000, &next_idx);
    bench_sweep(table, "everything expires",
                BENCH_NOW + (COLO_DEFAULT_IDLE_TIMEOUT + 1) * 1000LL,
                &next_idx);
}
