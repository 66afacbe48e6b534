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

/* Threaded stress test for the colo_rewrite engine (lib/colo-rewrite*.c).
 *
 * Worker threads push thousands of scripted TCP connections through one
 * struct colo_table.  Connection number 'idx' belongs to thread pair
 * 'idx % n_threads': its primary packets (peer to SVM) are sent by thread
 * 'idx % n_threads' and its secondary packets (out of the SVM) by the next
 * thread, so the two directions of every connection are processed by
 * different threads at the same time.
 *
 * Each connection follows a script, generated from the seed identically by
 * both of its threads: a handshake (VM as server or as client, with or
 * without timestamps, SVM or PVM half learned first or racing), data both
 * ways with SACK blocks, then an ending (FIN from either side or both, RST
 * from either side, left idle, or a handshake that never completes).  A step
 * may wait for a number of steps of the other direction, which models
 * causality (the SVM answers a SYN only after it got it); otherwise the two
 * directions race.  Some connections reuse the key of an earlier, closed
 * connection (a new incarnation).
 *
 * Every packet that comes out is compared byte for byte with the two
 * packets it may legitimately be: unchanged, or rewritten with the deltas of
 * its connection; its TCP checksum must verify.  What is acceptable depends
 * on what the test knows:
 *
 *   - Before both handshake halves are known to have been processed, a
 *     packet may pass unchanged; afterward it must be rewritten.
 *
 *   - Zones 0 and 7 are never checkpointed: rewritten packets must carry
 *     exactly the learned deltas.
 *
 *   - Zones 100 and 65535 are checkpointed all the time by a control thread.
 *     A packet there may come out with the learned deltas or with zero
 *     deltas (unchanged) once a checkpoint has started during the
 *     connection's life, but with zero deltas only once a checkpoint that
 *     started after the connection was created has returned.
 *
 * The control thread also drives a virtual clock (it ticks once every worker
 * has been through all of its connections), runs colo_table_run() for
 * expiry with it, and reads statistics and connection dumps.  At the end,
 * the engine's counters are compared with what the workers sent and saw,
 * connections are expired by moving the clock, and everything must add up.
 *
 * A few pairs of steps (the first data packet each way, and the FINs and last
 * ACKs of connections that both sides close at once) are sent by the two
 * threads at the same moment, as far as scheduling allows: see meet(). */

#include <config.h>
#undef NDEBUG
#include "colo-rewrite.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "dp-packet.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "packets.h"
#include "tests/ovstest.h"
#include "timeval.h"
#include "util.h"

/* Zones.  The last two are checkpointed while the test runs. */
#define N_ZONES 4
static const uint16_t zone_ids[N_ZONES] = { 0, 7, 100, 65535 };
static const bool zone_ckpt[N_ZONES] = { false, false, true, true };
#define FLUSH_ZONE 3            /* Flushed at the end. */

/* Engine settings and the virtual clock. */
#define LINGER_S 1
#define IDLE_S 20
#define CLOCK_START 1000000LL   /* Virtual msec at the start. */
#define TICK_MS 50              /* Virtual msec per tick, see
                                 * control_main(). */
#define STALL_MS 60000          /* Real msec without progress: a hang. */
#define MAX_REPORTS 20          /* Failures described in detail. */
#define MEET_SPINS 20000        /* Bound on waiting for the other direction
                                 * of a connection, see meet(). */

/* Options. */
static int n_threads = 4;
static int n_conns = 4000;      /* Connections per generation. */
static int n_gens = 2;
static int duration_s;          /* Nonzero: run generations this long. */
static int window = 8;          /* Connections in flight per thread and
                                 * direction. */
static uint32_t seed = 1;
static bool verbose;
static bool early_fin;          /* Let the peer's FIN race the SVM's half
                                 * of the handshake. */

/* Directions, as the test names them: index 0 is the primary direction
 * (the peer's packets, into the SVM), index 1 the secondary one (the SVM's
 * packets). */
enum { PRI, SEC };

static enum colo_direction
side_dir(int side)
{
    return side == PRI ? COLO_PRIMARY : COLO_SECONDARY;
}

enum role {
    VM_SERVER,                  /* The peer opens the connection. */
    VM_CLIENT,                  /* The VM opens the connection. */
};

/* Which handshake half the engine sees first. */
enum order {
    ORDER_RACE,                 /* Whichever thread is faster. */
    ORDER_SVM_FIRST,
    ORDER_PVM_FIRST,
};

enum ending {
    END_PEER_FIN,               /* Peer closes, VM answers. */
    END_VM_FIN,                 /* VM closes, peer answers. */
    END_BOTH_FIN,               /* Both close at once. */
    END_PEER_RST,
    END_VM_RST,
    END_IDLE,                   /* Established, then silent. */
    END_HALF_OPEN,              /* The handshake never completes. */
};

static bool
ending_closes(enum ending end)
{
    return end <= END_VM_RST;
}

static const char *
ending_name(enum ending end)
{
    static const char *const names[] = {
        "peer-fin", "vm-fin", "both-fin", "peer-rst", "vm-rst", "idle",
        "half-open",
    };
    return names[end];
}

/* Everything about one connection, derived from the seed. */
struct conn_params {
    int gen, idx;
    uint32_t key_id;            /* Determines addresses and ports. */
    int zone;                   /* Index into zone_ids[]. */
    bool ipv6, vlan, ts;
    enum role role;
    enum order order;
    enum ending end;
    int half;                   /* Which half of a half-open handshake. */
    int reuse;                  /* Connection whose key this reuses, or
                                 * -1. */
    bool wants_reuse;
    uint32_t c_isn, p_isn, s_isn;   /* Peer, PVM, SVM ISNs. */
    uint32_t c_ts, p_ts, s_ts;      /* Timestamp clocks. */
    uint32_t script_seed;
};

/* Deterministic random numbers. */
struct rng {
    uint32_t base;
    uint32_t n;
};

static void
rng_init(struct rng *rng, uint32_t base)
{
    rng->base = base;
    rng->n = 0;
}

static uint32_t
rng_next(struct rng *rng)
{
    return hash_2words(rng->base, rng->n++);
}

static uint32_t
rng_range(struct rng *rng, uint32_t n)
{
    return rng_next(rng) % n;
}

/* An ISN or timestamp clock, now and then just below the wrap. */
static uint32_t
rng_number(struct rng *rng)
{
    uint32_t x = rng_next(rng);

    return rng_range(rng, 8) ? x : UINT32_MAX - (x % 4096);
}

static void
conn_base(int gen, int idx, struct conn_params *cp)
{
    static const enum ending endings[20] = {
        END_PEER_FIN, END_PEER_FIN, END_PEER_FIN, END_PEER_FIN,
        END_PEER_FIN, END_VM_FIN, END_VM_FIN, END_VM_FIN, END_VM_FIN,
        END_VM_FIN, END_BOTH_FIN, END_BOTH_FIN, END_BOTH_FIN,
        END_PEER_RST, END_PEER_RST, END_VM_RST, END_IDLE, END_IDLE,
        END_HALF_OPEN, END_HALF_OPEN,
    };
    struct rng rng;

    rng_init(&rng, hash_3words(seed, gen, idx));
    memset(cp, 0, sizeof *cp);
    cp->gen = gen;
    cp->idx = idx;
    cp->key_id = (uint32_t) gen * n_conns + idx;
    cp->zone = rng_range(&rng, N_ZONES);
    cp->ipv6 = !rng_range(&rng, 4);
    cp->vlan = !rng_range(&rng, 8);
    cp->ts = rng_range(&rng, 2);
    cp->role = rng_range(&rng, 2) ? VM_CLIENT : VM_SERVER;
    cp->order = rng_range(&rng, 3);
    cp->end = endings[rng_range(&rng, ARRAY_SIZE(endings))];
    cp->half = rng_range(&rng, 2);
    cp->wants_reuse = !rng_range(&rng, 8);
    cp->reuse = idx - 2 * n_threads;
    cp->c_isn = rng_number(&rng);
    cp->p_isn = rng_number(&rng);
    cp->s_isn = rng_number(&rng);
    cp->c_ts = rng_number(&rng);
    cp->p_ts = rng_number(&rng);
    cp->s_ts = rng_number(&rng);
    cp->script_seed = rng_next(&rng);

    /* Zero deltas would make a rewrite indistinguishable from a pass. */
    if (cp->s_isn == cp->p_isn) {
        cp->s_isn++;
    }
    if (cp->s_ts == cp->p_ts) {
        cp->s_ts++;
    }
}

/* Fills 'cp' with the parameters of connection 'idx' of generation 'gen'.
 *
 * A connection may take over the key of the last but one connection of its
 * thread pair, if that one closes and does not reuse a key itself (so that
 * no key is taken over twice).
 *
 * In the checkpointed zones the earlier connection may not have closed: its
 * FINs are acknowledged with deltas that a checkpoint may have reset, which
 * the test's SVM ignores.  There a peer's SYN+ACK that finds the entry
 * repeats the open connection's handshake, so VM-client connections that
 * take over a key in those zones have the SVM's SYN go first. */
static void
conn_params(int gen, int idx, struct conn_params *cp)
{
    conn_base(gen, idx, cp);
    if (cp->wants_reuse && cp->reuse >= 0) {
        struct conn_params old;

        conn_base(gen, cp->reuse, &old);
        if (!old.wants_reuse && ending_closes(old.end)) {
            cp->key_id = old.key_id;
            cp->zone = old.zone;
            cp->ipv6 = old.ipv6;
            cp->vlan = old.vlan;
            /* A new incarnation's SYN starts well past the old
             * connection's sequence space, as Linux's does after
             * TIME-WAIT (65537 past the old end).  A SYN at the old
             * connection's next sequence number, as two random ISNs near
             * the wrap may give, makes the new connection's first ACK as
             * much the old connection's as the new one's, and the engine
             * takes it for the old one's. */
            cp->c_isn = old.c_isn + (1u << 30) + cp->c_isn % 4096;
            if (cp->s_isn == old.s_isn || cp->s_isn == old.p_isn) {
                cp->s_isn += 2;
                if (cp->s_isn == cp->p_isn) {
                    cp->s_isn++;
                }
            }
            if (zone_ckpt[cp->zone] && cp->role == VM_CLIENT) {
                cp->order = ORDER_SVM_FIRST;
                cp->half = 1;
            }
            return;
        }
    }
    cp->reuse = -1;
}

/* Scripts. */

enum seg_kind {
    SEG_TCP,
    SEG_UDP,                    /* Not TCP: must pass. */
    SEG_BAD,                    /* TCP with a bad data offset: must pass. */
};

/* One packet, as its sender sends it. */
struct seg {
    uint8_t kind;               /* enum seg_kind. */
    uint8_t layout;             /* Option layout variant. */
    uint16_t flags;             /* TCP_*. */
    uint32_t seq, ack;
    bool ts;
    uint32_t tsval, tsecr;
    int n_sack;
    uint32_t sack[4][2];
    uint16_t payload;           /* Bytes of payload. */
    uint32_t pattern;           /* Seeds the payload bytes. */
};

struct step {
    struct seg seg;
    int dep;                    /* Steps of the other direction that must
                                 * have been processed first. */
    bool after_close;           /* Sent after the connection closed. */
    bool meet;                  /* Sent at the same time as the matching
                                 * 'meet' step of the other direction. */
};

#define MAX_STEPS 24

struct script {
    struct step steps[2][MAX_STEPS];
    int n[2];
    int learn[2];               /* Step that gives the engine this
                                 * direction's half, INT_MAX if none. */
    int gate[2];                /* Minimum 'dep' of further steps. */
};

static struct seg *
add_step(struct script *sc, int side, int dep, uint16_t flags, uint32_t seq,
         uint32_t ack)
{
    struct step *step;

    ovs_assert(sc->n[side] < MAX_STEPS);
    step = &sc->steps[side][sc->n[side]++];
    memset(step, 0, sizeof *step);
    step->dep = MAX(dep, sc->gate[side]);
    step->seg.kind = SEG_TCP;
    step->seg.flags = flags;
    step->seg.seq = seq;
    step->seg.ack = flags & TCP_ACK ? ack : 0;
    step->seg.pattern = seq;
    return &step->seg;
}

/* Index of the last step added to 'side'. */
static int
last_step(const struct script *sc, int side)
{
    return sc->n[side] - 1;
}

static void
set_ts(struct seg *seg, bool ts, uint32_t tsval, uint32_t tsecr)
{
    seg->ts = ts;
    seg->tsval = tsval;
    seg->tsecr = tsecr;
}

/* Builds the script of the connection 'cp'.  The steps of each direction
 * are sent in order; between directions, only 'dep' orders them. */
static void
script_build(const struct conn_params *cp, struct script *sc)
{
    const uint32_t c = cp->c_isn, p = cp->p_isn, s = cp->s_isn;
    uint32_t peer_ts = cp->c_ts, pvm_ts = cp->p_ts, svm_ts = cp->s_ts;
    uint32_t peer_bytes = 0, vm_bytes = 0;
    struct rng rng;
    struct seg *seg;

    memset(sc, 0, sizeof *sc);
    sc->learn[PRI] = sc->learn[SEC] = INT_MAX;
    rng_init(&rng, cp->script_seed);

    /* Now and then a packet the engine must pass: not TCP, or TCP it cannot
     * parse. */
    for (int side = PRI; side <= SEC; side++) {
        if (!rng_range(&rng, 24)) {
            seg = add_step(sc, side, 0, 0, 0, 0);
            seg->kind = rng_range(&rng, 2) ? SEG_UDP : SEG_BAD;
        }
    }

    /* Handshake. */
    if (cp->role == VM_SERVER) {
        int p_syn, s_synack = 0, p_ack = 0;

        seg = add_step(sc, PRI, 0, TCP_SYN, c, 0);
        set_ts(seg, cp->ts, peer_ts++, 0);
        p_syn = last_step(sc, PRI);
        if (cp->end == END_HALF_OPEN) {
            if (cp->half) {
                seg = add_step(sc, SEC, p_syn + 1, TCP_SYN | TCP_ACK, s,
                               c + 1);
                set_ts(seg, cp->ts, svm_ts, peer_ts - 1);
            }
            return;
        }
        for (int i = 0; i < 2; i++) {
            bool svm_turn = (cp->order == ORDER_PVM_FIRST) == (i == 1);

            if (svm_turn) {
                /* The SVM answers the SYN it got. */
                seg = add_step(sc, SEC,
                               (cp->order == ORDER_PVM_FIRST
                                ? p_ack + 1 : p_syn + 1),
                               TCP_SYN | TCP_ACK, s, c + 1);
                set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);
                s_synack = last_step(sc, SEC);
            } else {
                /* The peer acknowledges the PVM's SYN+ACK. */
                seg = add_step(sc, PRI,
                               (cp->order == ORDER_SVM_FIRST
                                ? s_synack + 1 : 0),
                               TCP_ACK, c + 1, p + 1);
                set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
                p_ack = last_step(sc, PRI);
            }
        }
        sc->learn[PRI] = p_ack;
        sc->learn[SEC] = s_synack;

        /* The SVM sends only once it got the peer's ACK. */
        sc->gate[SEC] = p_ack + 1;
    } else {
        int s_syn = 0, p_synack = 0;

        if (cp->end == END_HALF_OPEN) {
            if (cp->half) {
                seg = add_step(sc, SEC, 0, TCP_SYN, s, 0);
                set_ts(seg, cp->ts, svm_ts, 0);
            } else {
                seg = add_step(sc, PRI, 0, TCP_SYN | TCP_ACK, c, p + 1);
                set_ts(seg, cp->ts, peer_ts, pvm_ts);
            }
            return;
        }
        for (int i = 0; i < 2; i++) {
            bool svm_turn = (cp->order == ORDER_PVM_FIRST) == (i == 1);

            if (svm_turn) {
                seg = add_step(sc, SEC,
                               (cp->order == ORDER_PVM_FIRST
                                ? p_synack + 1 : 0),
                               TCP_SYN, s, 0);
                set_ts(seg, cp->ts, svm_ts++, 0);
                s_syn = last_step(sc, SEC);
            } else {
                /* The peer answers the PVM's SYN. */
                seg = add_step(sc, PRI,
                               (cp->order == ORDER_SVM_FIRST
                                ? s_syn + 1 : 0),
                               TCP_SYN | TCP_ACK, c, p + 1);
                set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
                p_synack = last_step(sc, PRI);
            }
        }
        sc->learn[PRI] = p_synack;
        sc->learn[SEC] = s_syn;

        /* The SVM acknowledges the peer's SYN+ACK once it got it. */
        seg = add_step(sc, SEC, p_synack + 1, TCP_ACK, s + 1, c + 1);
        set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);
    }

    /* Data both ways, with pure ACKs and SACK blocks in between.  The first
     * packet each way go through the engine together. */
    int n_peer = rng_range(&rng, 5), n_vm = rng_range(&rng, 5);
    const int data_start[2] = { sc->n[PRI], sc->n[SEC] };
    while (n_peer || n_vm) {
        int side = (n_peer && (!n_vm || rng_range(&rng, 2))) ? PRI : SEC;
        uint16_t len = (rng_range(&rng, 8)
                        ? 1 + rng_range(&rng, 200) : 1460);
        bool pure_ack = !rng_range(&rng, 3);

        if (side == PRI) {
            seg = add_step(sc, PRI, 0, TCP_ACK | TCP_PSH, c + 1 + peer_bytes,
                           p + 1 + vm_bytes);
            set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
            seg->payload = len;
            seg->layout = rng_range(&rng, 4);
            if (!rng_range(&rng, 3)) {
                seg->n_sack = 1 + rng_range(&rng, cp->ts ? 3 : 4);
                for (int i = 0; i < seg->n_sack; i++) {
                    uint32_t left = p + 1 + rng_range(&rng, vm_bytes + 3000);

                    seg->sack[i][0] = left;
                    seg->sack[i][1] = left + 1 + rng_range(&rng, 1460);
                }
            }
            peer_bytes += len;
            n_peer--;
            if (pure_ack) {
                seg = add_step(sc, SEC, 0, TCP_ACK, s + 1 + vm_bytes,
                               c + 1 + peer_bytes);
                set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);
            }
        } else {
            seg = add_step(sc, SEC, 0, TCP_ACK | TCP_PSH, s + 1 + vm_bytes,
                           c + 1 + peer_bytes);
            set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);
            seg->payload = len;
            seg->layout = rng_range(&rng, 4);
            vm_bytes += len;
            n_vm--;
            if (pure_ack) {
                seg = add_step(sc, PRI, 0, TCP_ACK, c + 1 + peer_bytes,
                               p + 1 + vm_bytes);
                set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
            }
        }
    }

    if (sc->n[PRI] > data_start[PRI] && sc->n[SEC] > data_start[SEC]) {
        sc->steps[PRI][data_start[PRI]].meet = true;
        sc->steps[SEC][data_start[SEC]].meet = true;
    }

    /* The end.  'peer_end' is the peer's FIN's seq; the VM's FIN is at
     * 's_end' in the SVM's numbering and 'p_end' in the PVM's. */
    const uint32_t peer_end = c + 1 + peer_bytes;
    const uint32_t s_end = s + 1 + vm_bytes;
    const uint32_t p_end = p + 1 + vm_bytes;
    const uint16_t fin = TCP_FIN | TCP_ACK;
    int p_fin, s_fin;

    /* The engine follows FINs only on learned connections, so unless
     * --early-fin was given, the peer's FIN waits until the SVM's half of
     * the handshake has gone through. */
    const int peer_fin_dep = early_fin ? 0 : sc->learn[SEC] + 1;

    switch (cp->end) {
    case END_PEER_FIN:
        seg = add_step(sc, PRI, peer_fin_dep, fin, peer_end, p_end);
        set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
        seg = add_step(sc, SEC, sc->n[PRI], fin, s_end, peer_end + 1);
        set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);
        seg = add_step(sc, PRI, sc->n[SEC], TCP_ACK, peer_end + 1,
                       p_end + 1);
        set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
        /* The VM's FIN again, as if the last ACK were lost. */
        seg = add_step(sc, SEC, sc->n[PRI], fin, s_end, peer_end + 1);
        set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);
        sc->steps[SEC][last_step(sc, SEC)].after_close = true;
        break;

    case END_VM_FIN:
        seg = add_step(sc, SEC, sc->n[PRI], fin, s_end, peer_end);
        set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);
        seg = add_step(sc, PRI, sc->n[SEC], fin, peer_end, p_end + 1);
        set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
        seg = add_step(sc, SEC, sc->n[PRI], TCP_ACK, s_end + 1,
                       peer_end + 1);
        set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);
        seg = add_step(sc, PRI, sc->n[SEC], fin, peer_end, p_end + 1);
        set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
        sc->steps[PRI][last_step(sc, PRI)].after_close = true;
        break;

    case END_BOTH_FIN:
        seg = add_step(sc, PRI, peer_fin_dep, fin, peer_end, p_end);
        set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
        p_fin = last_step(sc, PRI);
        seg = add_step(sc, SEC, 0, fin, s_end, peer_end);
        set_ts(seg, cp->ts, svm_ts++, peer_ts - 2);
        s_fin = last_step(sc, SEC);
        seg = add_step(sc, PRI, s_fin + 1, TCP_ACK, peer_end + 1, p_end + 1);
        set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
        seg = add_step(sc, SEC, p_fin + 1, TCP_ACK, s_end + 1, peer_end + 1);
        set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);

        /* Both FINs together, then both last ACKs together. */
        sc->steps[PRI][p_fin].meet = sc->steps[SEC][s_fin].meet = true;
        sc->steps[PRI][p_fin + 1].meet = true;
        sc->steps[SEC][s_fin + 1].meet = true;
        break;

    case END_PEER_RST:
        if (rng_range(&rng, 2)) {
            seg = add_step(sc, PRI, sc->n[SEC], TCP_RST, peer_end, 0);
        } else {
            seg = add_step(sc, PRI, sc->n[SEC], TCP_RST | TCP_ACK, peer_end,
                           p_end);
        }
        set_ts(seg, cp->ts, peer_ts++, pvm_ts++);
        break;

    case END_VM_RST:
        seg = add_step(sc, SEC, sc->n[PRI], TCP_RST | TCP_ACK, s_end,
                       peer_end);
        set_ts(seg, cp->ts, svm_ts++, peer_ts - 1);
        break;

    case END_IDLE:
    case END_HALF_OPEN:
    default:
        break;
    }
}

/* Packets. */

struct conn_addrs {
    bool ipv6, vlan;
    ovs_be32 vm4, peer4;
    struct in6_addr vm6, peer6;
    ovs_be16 vm_port, peer_port;
};

static void
conn_addrs(const struct conn_params *cp, struct conn_addrs *a)
{
    uint32_t k = cp->key_id;

    memset(a, 0, sizeof *a);
    a->ipv6 = cp->ipv6;
    a->vlan = cp->vlan;
    a->vm4 = htonl(0xc0a80001 + (k & 3));
    a->peer4 = htonl(0x0a000000 | ((k >> 2) & 0xffffff));
    a->vm_port = htons(80 + (k & 3));
    a->peer_port = htons(1024 + (k >> 26));
    a->vm6.s6_addr[0] = 0xfd;
    a->vm6.s6_addr[1] = 0x01;
    a->vm6.s6_addr[15] = 1 + (k & 3);
    a->peer6.s6_addr[0] = 0xfd;
    a->peer6.s6_addr[1] = 0x02;
    a->peer6.s6_addr[12] = k >> 24;
    a->peer6.s6_addr[13] = k >> 16;
    a->peer6.s6_addr[14] = k >> 8;
    a->peer6.s6_addr[15] = k;
}

static void
put_be32(uint8_t *p, uint32_t x)
{
    ovs_be32 be = htonl(x);

    memcpy(p, &be, sizeof be);
}

static uint32_t
get_be32(const uint8_t *p)
{
    ovs_be32 be;

    memcpy(&be, p, sizeof be);
    return ntohl(be);
}

/* Where build_packet() put things. */
struct pkt_layout {
    size_t l3;                  /* Offset of the IP header. */
    size_t l4;                  /* Offset of the TCP or UDP header. */
    size_t l4_size;             /* Bytes from 'l4' to the end. */
};

/* TCP options of 'seg': timestamps and SACK, aligned with NOPs or (layout
 * bit 0) shifted by one byte so that 32-bit fields sit at odd offsets; the
 * end padded with NOPs or (layout bit 1) EOL. */
static size_t
build_options(const struct seg *seg, uint8_t opts[40])
{
    bool shift = seg->layout & 1;
    size_t n = 0;

    if (!seg->ts && !seg->n_sack) {
        return 0;
    }
    opts[n++] = 1;
    if (!shift) {
        opts[n++] = 1;
    }
    if (seg->ts) {
        opts[n++] = 8;
        opts[n++] = 10;
        put_be32(&opts[n], seg->tsval);
        put_be32(&opts[n + 4], seg->tsecr);
        n += 8;
    }
    if (seg->n_sack) {
        if (!shift && seg->ts) {
            opts[n++] = 1;
            opts[n++] = 1;
        }
        opts[n++] = 5;
        opts[n++] = 2 + 8 * seg->n_sack;
        for (int i = 0; i < seg->n_sack; i++) {
            put_be32(&opts[n], seg->sack[i][0]);
            put_be32(&opts[n + 4], seg->sack[i][1]);
            n += 8;
        }
    }
    while (n % 4) {
        opts[n++] = seg->layout & 2 ? 0 : 1;
    }
    ovs_assert(n <= 40);
    return n;
}

/* Composes into 'p' the packet 'seg' of the connection with addresses 'a',
 * travelling in direction 'side', with a correct checksum. */
static void
build_packet(struct dp_packet *p, const struct conn_addrs *a, int side,
             const struct seg *seg, struct pkt_layout *lay)
{
    static const uint8_t mac_vm[6] = { 0x02, 0, 0, 0, 0, 0x01 };
    static const uint8_t mac_peer[6] = { 0x02, 0, 0, 0, 0, 0x02 };
    uint8_t opts[40];
    size_t n_opts = seg->kind == SEG_TCP ? build_options(seg, opts) : 0;
    size_t l4_hdr = (seg->kind == SEG_UDP ? UDP_HEADER_LEN
                     : TCP_HEADER_LEN + n_opts);
    size_t l4_size = l4_hdr + (seg->kind == SEG_TCP ? seg->payload : 8);
    size_t l3_size = (a->ipv6 ? IPV6_HEADER_LEN : IP_HEADER_LEN) + l4_size;
    bool from_vm = side == SEC;
    uint8_t *b;

    dp_packet_clear(p);
    lay->l3 = ETH_HEADER_LEN + (a->vlan ? VLAN_HEADER_LEN : 0);
    lay->l4 = lay->l3 + (a->ipv6 ? IPV6_HEADER_LEN : IP_HEADER_LEN);
    lay->l4_size = l4_size;
    b = dp_packet_put_zeros(p, lay->l3 + l3_size);

    /* Ethernet, maybe with a VLAN tag. */
    memcpy(b, from_vm ? mac_peer : mac_vm, 6);
    memcpy(b + 6, from_vm ? mac_vm : mac_peer, 6);
    if (a->vlan) {
        b[12] = 0x81;
        b[13] = 0x00;
        b[14] = 0x00;
        b[15] = 42;
    }
    ovs_be16 eth_type = htons(a->ipv6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP);
    memcpy(b + lay->l3 - 2, &eth_type, 2);

    /* IP. */
    uint8_t proto = seg->kind == SEG_UDP ? IPPROTO_UDP : IPPROTO_TCP;
    if (a->ipv6) {
        struct ovs_16aligned_ip6_hdr *ip6 = (void *) (b + lay->l3);

        put_16aligned_be32(&ip6->ip6_flow, htonl(6 << 28));
        ip6->ip6_plen = htons(l4_size);
        ip6->ip6_nxt = proto;
        ip6->ip6_hlim = 64;
        memcpy(&ip6->ip6_src, from_vm ? &a->vm6 : &a->peer6,
               sizeof ip6->ip6_src);
        memcpy(&ip6->ip6_dst, from_vm ? &a->peer6 : &a->vm6,
               sizeof ip6->ip6_dst);
    } else {
        struct ip_header *ip = (void *) (b + lay->l3);

        ip->ip_ihl_ver = IP_IHL_VER(5, 4);
        ip->ip_tot_len = htons(l3_size);
        ip->ip_frag_off = htons(IP_DONT_FRAGMENT);
        ip->ip_ttl = 64;
        ip->ip_proto = proto;
        put_16aligned_be32(&ip->ip_src, from_vm ? a->vm4 : a->peer4);
        put_16aligned_be32(&ip->ip_dst, from_vm ? a->peer4 : a->vm4);
        ip->ip_csum = csum(ip, IP_HEADER_LEN);
    }

    ovs_be16 src_port = from_vm ? a->vm_port : a->peer_port;
    ovs_be16 dst_port = from_vm ? a->peer_port : a->vm_port;
    if (seg->kind == SEG_UDP) {
        struct udp_header *udp = (void *) (b + lay->l4);

        udp->udp_src = src_port;
        udp->udp_dst = dst_port;
        udp->udp_len = htons(l4_size);
        return;
    }

    /* TCP. */
    struct tcp_header *tcp = (void *) (b + lay->l4);
    uint8_t *payload = b + lay->l4 + l4_hdr;

    tcp->tcp_src = src_port;
    tcp->tcp_dst = dst_port;
    put_16aligned_be32(&tcp->tcp_seq, htonl(seg->seq));
    put_16aligned_be32(&tcp->tcp_ack, htonl(seg->ack));
    tcp->tcp_ctl = TCP_CTL(seg->flags,
                           seg->kind == SEG_BAD ? 4 : l4_hdr / 4);
    tcp->tcp_winsz = htons(29200);
    memcpy(tcp + 1, opts, n_opts);
    for (size_t i = 0; i < seg->payload; i++) {
        payload[i] = (seg->pattern + i) * 7;
    }

    uint32_t partial = (a->ipv6
                        ? packet_csum_pseudoheader6((void *) (b + lay->l3))
                        : packet_csum_pseudoheader((void *) (b + lay->l3)));
    tcp->tcp_csum = csum_finish(csum_continue(partial, tcp, l4_size));
}

/* Returns true if the TCP checksum of 'p' verifies. */
static bool
tcp_csum_ok(const struct dp_packet *p, const struct conn_addrs *a,
            const struct pkt_layout *lay)
{
    const uint8_t *b = dp_packet_data(p);
    uint32_t partial = (a->ipv6
                        ? packet_csum_pseudoheader6((const void *)
                                                    (b + lay->l3))
                        : packet_csum_pseudoheader((const void *)
                                                   (b + lay->l3)));

    return !csum_finish(csum_continue(partial, b + lay->l4, lay->l4_size));
}

/* Returns true if 'a' and 'b' are the same packet, leaving out the TCP
 * checksum at offset 'csum_ofs'. */
static bool
same_packet(const struct dp_packet *a, const struct dp_packet *b,
            size_t csum_ofs)
{
    const uint8_t *x = dp_packet_data(a);
    const uint8_t *y = dp_packet_data(b);
    size_t n = dp_packet_size(a);

    return (n == dp_packet_size(b)
            && !memcmp(x, y, csum_ofs)
            && !memcmp(x + csum_ofs + 2, y + csum_ofs + 2,
                       n - csum_ofs - 2));
}

/* Applies the learned deltas to 'seg', as the engine should. */
static void
seg_rewrite(struct seg *seg, int side, uint32_t seq_delta, uint32_t ts_delta)
{
    if (side == PRI) {
        if (seg->flags & TCP_ACK) {
            seg->ack += seq_delta;
        }
        for (int i = 0; i < seg->n_sack; i++) {
            seg->sack[i][0] += seq_delta;
            seg->sack[i][1] += seq_delta;
        }
        if (seg->ts && seg->tsecr) {
            seg->tsecr += ts_delta;
        }
    } else {
        seg->seq -= seq_delta;
        if (seg->ts) {
            seg->tsval -= ts_delta;
        }
    }
}

/* State shared by the threads. */

/* What the two threads of a connection share. */
struct conn_shared {
    atomic_int progress[2];     /* Steps processed, per direction. */
    atomic_bool done[2];        /* All steps processed, per direction. */

    /* Checkpoints, for the checkpointed zones: 'ck_base' is the number of
     * checkpoints completed before the connection's first packet, and
     * 'ck_created' the number started once the connection's entry
     * existed.  UINT_MAX until known. */
    atomic_uint ck_base;
    atomic_uint ck_created;

    atomic_llong used;          /* Virtual time of the last packet. */
    /* 'meet' steps, per direction: how many were reached, and how many
     * were let go by the direction that reached its step first. */
    atomic_uint arrived[2];
    atomic_uint go[2];
};

static struct colo_table *table;
static struct conn_shared *shared;
static struct ovs_barrier gen_barrier;
static atomic_bool more_gens;
static int gens_run;            /* Written by worker 0 only. */
static atomic_bool stop;
static atomic_llong vclock;     /* Virtual msec. */
static long long int start_ms;

/* Checkpoints per zone: started and completed. */
static atomic_uint ck_started[N_ZONES];
static atomic_uint ck_done[N_ZONES];

/* Failures. */
static struct ovs_mutex fail_mutex = OVS_MUTEX_INITIALIZER;
static atomic_uint n_failures;

static void fail(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);

static void
fail(const char *format, ...)
{
    unsigned int orig;
    va_list args;

    atomic_add(&n_failures, 1, &orig);
    if (orig < MAX_REPORTS) {
        ovs_mutex_lock(&fail_mutex);
        va_start(args, format);
        fputs("FAIL: ", stderr);
        vfprintf(stderr, format, args);
        fputc('\n', stderr);
        va_end(args);
        ovs_mutex_unlock(&fail_mutex);
    }
}

/* What a worker saw, per zone. */
struct zone_counts {
    uint64_t tcp;               /* Connection packets sent. */
    uint64_t rewritten;         /* ...that came back rewritten. */
    uint64_t passed;            /* ...that came back passed. */
    uint64_t not_tcp;           /* UDP packets sent. */
    uint64_t bad;               /* Unparseable TCP packets sent. */
    uint64_t old_delta;         /* Rewritten with the learned deltas. */
    uint64_t zero_delta;        /* Rewritten with zero deltas. */
    uint64_t late;              /* Passed after an idle gap long enough for
                                 * the entry to go. */
    uint64_t must_zero;         /* Sent after a checkpoint of the entry
                                 * returned. */
    uint64_t overlaps;          /* The other direction of the connection
                                 * went through the engine meanwhile. */
    uint64_t meets, met;        /* 'meet' steps that waited for the other
                                 * direction, and how many were let go. */
};

/* A connection in flight, for one direction. */
struct slot {
    bool active;
    int idx;
    struct conn_params cp;
    struct conn_addrs addrs;
    struct step steps[MAX_STEPS];
    int n_steps;
    int pos;                    /* Next step. */
    int learn_own, learn_other; /* See struct script's 'learn'. */
    bool created;               /* A TCP step went out. */
    unsigned int n_meets;       /* 'meet' steps done. */
    bool arrived;               /* Waiting at a 'meet' step. */
};

struct worker {
    int id;
    pthread_t thread;
    atomic_uint64_t rounds;     /* Drives the virtual clock. */
    atomic_uint64_t packets;    /* For the watchdog. */
    struct zone_counts counts[N_ZONES];
    long long int max_gap;      /* Longest virtual gap within a
                                 * connection. */
    struct slot *slots[2];      /* 'window' slots per direction. */
    int next_idx[2];
    struct dp_packet *pkt, *ref0, *ref1;
};

static struct worker *workers;

static long long int
clock_get(void)
{
    long long int now;

    atomic_read_relaxed(&vclock, &now);
    return now;
}

static unsigned int
read_uint(atomic_uint *x)
{
    unsigned int value;

    atomic_read_explicit(x, &value, memory_order_acquire);
    return value;
}

/* Records 'value' in '*x' unless a value is already there. */
static void
set_once(atomic_uint *x, unsigned int value)
{
    unsigned int unset = UINT_MAX;

    atomic_compare_exchange_strong(x, &unset, value);
}

static void
slot_start(struct slot *slot, int side, int gen, int idx)
{
    struct script sc;

    slot->active = true;
    slot->idx = idx;
    conn_params(gen, idx, &slot->cp);
    conn_addrs(&slot->cp, &slot->addrs);
    script_build(&slot->cp, &sc);
    slot->n_steps = sc.n[side];
    memcpy(slot->steps, sc.steps[side], sc.n[side] * sizeof sc.steps[0][0]);
    slot->pos = 0;
    slot->learn_own = sc.learn[side];
    slot->learn_other = sc.learn[!side];
    slot->created = false;
    slot->n_meets = 0;
    slot->arrived = false;
    if (!slot->n_steps) {
        slot->active = false;
        atomic_store_explicit(&shared[idx].done[side], true,
                              memory_order_release);
    }
}

static void
describe(struct ds *s, const struct slot *slot, int side,
         const struct seg *seg)
{
    const struct conn_params *cp = &slot->cp;

    ds_put_format(s, "gen %d conn %d (zone %"PRIu16" %s %s %s order %d "
                  "end %s%s) %s step %d/%d flags %#"PRIx16" seq %"PRIu32
                  " ack %"PRIu32,
                  cp->gen, cp->idx, zone_ids[cp->zone],
                  cp->ipv6 ? "ipv6" : "ipv4",
                  cp->role == VM_SERVER ? "vm-server" : "vm-client",
                  cp->ts ? "ts" : "no-ts", cp->order, ending_name(cp->end),
                  cp->reuse >= 0 ? " reuse" : "",
                  colo_direction_to_string(side_dir(side)), slot->pos,
                  slot->n_steps, seg->flags, seg->seq, seg->ack);
    if (seg->ts) {
        ds_put_format(s, " tsval %"PRIu32" tsecr %"PRIu32,
                      seg->tsval, seg->tsecr);
    }
    ds_put_format(s, " (C %"PRIu32" P %"PRIu32" S %"PRIu32")",
                  cp->c_isn, cp->p_isn, cp->s_isn);
}

/* Sends the next step of 'slot' through the table and checks what comes
 * out. */
static void
send_step(struct worker *w, struct slot *slot, int side, int other_progress)
{
    const struct conn_params *cp = &slot->cp;
    const struct step *step = &slot->steps[slot->pos];
    const struct seg *seg = &step->seg;
    struct conn_shared *cs = &shared[slot->idx];
    struct zone_counts *zc = &w->counts[cp->zone];
    bool ckpt = zone_ckpt[cp->zone];
    struct pkt_layout lay;
    enum colo_result result;
    long long int now, after, used;
    unsigned int done_before = 0;

    if (slot->pos == 0 && ckpt) {
        set_once(&cs->ck_base, read_uint(&ck_done[cp->zone]));
    }

    build_packet(w->pkt, &slot->addrs, side, seg, &lay);
    atomic_read_relaxed(&cs->used, &used);

    /* A checkpoint that has returned before the packet goes in has zeroed
     * the deltas for it: the packet must not see the old ones. */
    if (ckpt) {
        done_before = read_uint(&ck_done[cp->zone]);
    }
    now = clock_get();
    result = colo_table_process(table, zone_ids[cp->zone], side_dir(side),
                                w->pkt, now);
    after = clock_get();
    atomic_store_relaxed(&cs->used, now);

    int other_after;
    atomic_read_explicit(&cs->progress[!side], &other_after,
                         memory_order_acquire);
    if (other_after != other_progress) {
        zc->overlaps++;
    }
    if (used && now - used > w->max_gap) {
        w->max_gap = now - used;
    }

    /* Packets that are not part of the connection must pass untouched. */
    if (seg->kind != SEG_TCP) {
        build_packet(w->ref0, &slot->addrs, side, seg, &lay);
        if (seg->kind == SEG_UDP) {
            zc->not_tcp++;
        } else {
            zc->bad++;
        }
        if (result != COLO_RESULT_PASSED
            || dp_packet_size(w->pkt) != dp_packet_size(w->ref0)
            || memcmp(dp_packet_data(w->pkt), dp_packet_data(w->ref0),
                      dp_packet_size(w->pkt))) {
            fail("gen %d conn %d: %s packet was not passed unchanged",
                 cp->gen, cp->idx, seg->kind == SEG_UDP ? "UDP" : "bad TCP");
        }
        return;
    }

    if (ckpt && !slot->created) {
        set_once(&cs->ck_created, read_uint(&ck_started[cp->zone]));
    }
    slot->created = true;

    /* The two packets it may be. */
    struct seg rewritten = *seg;
    seg_rewrite(&rewritten, side, cp->s_isn - cp->p_isn, cp->s_ts - cp->p_ts);
    build_packet(w->ref0, &slot->addrs, side, seg, &lay);
    build_packet(w->ref1, &slot->addrs, side, &rewritten, &lay);

    size_t csum_ofs = lay.l4 + offsetof(struct tcp_header, tcp_csum);
    bool is_zero = same_packet(w->pkt, w->ref0, csum_ofs);
    bool is_old = same_packet(w->pkt, w->ref1, csum_ofs);
    bool ambiguous = same_packet(w->ref0, w->ref1, csum_ofs);
    bool csum_ok = tcp_csum_ok(w->pkt, &slot->addrs, &lay);

    /* What the test knows. */
    bool must_learn = (slot->pos >= slot->learn_own
                       && other_progress > slot->learn_other);
    bool maybe_ckpt = false, must_zero = false;
    if (ckpt) {
        unsigned int started;

        atomic_read(&ck_started[cp->zone], &started);
        maybe_ckpt = started > read_uint(&cs->ck_base);
        must_zero = done_before > read_uint(&cs->ck_created);
        zc->must_zero += must_zero;
    }
    bool late = (used && after - used + TICK_MS
                 >= (step->after_close ? LINGER_S : IDLE_S) * 1000LL);

    zc->tcp++;
    const char *error = NULL;
    if (!csum_ok) {
        error = "bad TCP checksum";
    } else if (!is_zero && !is_old) {
        error = "wrong values";
    } else if (result == COLO_RESULT_PASSED) {
        zc->passed++;
        if (!is_zero) {
            error = "passed but changed";
        } else if (must_learn && !(ckpt && maybe_ckpt)) {
            if (late) {
                zc->late++;
            } else {
                error = "passed, but both halves were learned";
            }
        }
    } else {
        zc->rewritten++;
        if (ambiguous) {
            /* Nothing to tell apart. */
        } else if (is_old) {
            zc->old_delta++;
            if (must_zero) {
                error = "old deltas after a checkpoint returned";
            }
        } else {
            zc->zero_delta++;
            if (!ckpt) {
                error = "rewritten with zero deltas, no checkpoint";
            } else if (!maybe_ckpt) {
                error = "rewritten with zero deltas before any checkpoint";
            }
        }
    }

    if (error) {
        const uint8_t *b = dp_packet_data(w->pkt);
        struct ds s = DS_EMPTY_INITIALIZER;

        describe(&s, slot, side, seg);
        ds_put_format(&s, ": %s: result %s, got seq %"PRIu32" ack %"PRIu32,
                      error, result == COLO_RESULT_PASSED ? "passed"
                      : "rewritten", get_be32(b + lay.l4 + 4),
                      get_be32(b + lay.l4 + 8));
        ds_put_format(&s, ", learned would be seq %"PRIu32" ack %"PRIu32
                      "%s%s%s, other direction progress %d learn %d/%d",
                      rewritten.seq, rewritten.ack,
                      must_learn ? ", must be learned" : "",
                      maybe_ckpt ? ", checkpoint possible" : "",
                      must_zero ? ", checkpoint done" : "",
                      other_progress, slot->learn_own, slot->learn_other);
        fail("%s", ds_cstr(&s));
        ds_destroy(&s);
    }
}

/* Handles a 'meet' step of 'slot': the two directions of the connection
 * send their matching 'meet' steps at the same time.  The direction that
 * gets there first goes on with its other connections and comes back; the
 * second one waits, for a short while at most, until the first one comes
 * back and lets it go.  Returns true if the step may go now. */
static bool
meet(struct worker *w, struct slot *slot, int side)
{
    struct conn_shared *cs = &shared[slot->idx];
    struct zone_counts *zc = &w->counts[slot->cp.zone];
    unsigned int n = slot->n_meets + 1;
    unsigned int other;

    if (!slot->arrived) {
        slot->arrived = true;
        atomic_store(&cs->arrived[side], n);
        atomic_read(&cs->arrived[!side], &other);
        if (other < n) {
            /* First: come back later. */
            return false;
        }

        /* Second: wait until the first one lets go. */
        zc->meets++;
        for (int i = 0; i < MEET_SPINS; i++) {
            atomic_read(&cs->go[!side], &other);
            if (other >= n) {
                zc->met++;
                break;
            }
        }
    } else {
        atomic_read(&cs->arrived[!side], &other);
        if (other < n) {
            return false;
        }
        atomic_store(&cs->go[side], n);
    }
    slot->arrived = false;
    slot->n_meets = n;
    return true;
}

/* Tries to send the next step of 'slot'.  Returns true if it did. */
static bool
slot_step(struct worker *w, struct slot *slot, int side)
{
    struct conn_shared *cs = &shared[slot->idx];
    const struct step *step = &slot->steps[slot->pos];
    int other;

    atomic_read_explicit(&cs->progress[!side], &other, memory_order_acquire);
    if (other < step->dep) {
        return false;
    }
    if (slot->pos == 0 && slot->cp.reuse >= 0) {
        /* The connection whose key this takes over must be over. */
        struct conn_shared *old = &shared[slot->cp.reuse];
        bool done0, done1;

        atomic_read_explicit(&old->done[PRI], &done0, memory_order_acquire);
        atomic_read_explicit(&old->done[SEC], &done1, memory_order_acquire);
        if (!done0 || !done1) {
            return false;
        }
    }

    if (step->meet && !meet(w, slot, side)) {
        return false;
    }
    send_step(w, slot, side, other);

    uint64_t orig;
    atomic_add_relaxed(&w->packets, 1, &orig);
    slot->pos++;
    atomic_store_explicit(&cs->progress[side], slot->pos,
                          memory_order_release);
    if (slot->pos >= slot->n_steps) {
        slot->active = false;
        atomic_store_explicit(&cs->done[side], true, memory_order_release);
    }
    return true;
}

/* Runs generation 'gen' of the connections of worker 'w'. */
static void
run_generation(struct worker *w, int gen)
{
    w->next_idx[PRI] = w->id;
    w->next_idx[SEC] = (w->id + n_threads - 1) % n_threads;

    for (;;) {
        bool busy = false, progress = false;

        for (int side = PRI; side <= SEC; side++) {
            for (int i = 0; i < window; i++) {
                struct slot *slot = &w->slots[side][i];

                while (!slot->active && w->next_idx[side] < n_conns) {
                    slot_start(slot, side, gen, w->next_idx[side]);
                    w->next_idx[side] += n_threads;
                }
                if (slot->active) {
                    busy = true;
                    if (slot_step(w, slot, side)) {
                        progress = true;
                    }
                }
            }
        }
        if (!busy) {
            break;
        }

        uint64_t orig;
        atomic_add_relaxed(&w->rounds, 1, &orig);
        ovsrcu_quiesce();
        if (!progress) {
            sched_yield();
        }
    }
}

static void
reset_shared(void)
{
    for (int i = 0; i < n_conns; i++) {
        struct conn_shared *cs = &shared[i];

        for (int side = PRI; side <= SEC; side++) {
            atomic_init(&cs->progress[side], 0);
            atomic_init(&cs->done[side], false);
        }
        atomic_init(&cs->ck_base, UINT_MAX);
        atomic_init(&cs->ck_created, UINT_MAX);
        atomic_init(&cs->used, 0);
        for (int side = PRI; side <= SEC; side++) {
            atomic_init(&cs->arrived[side], 0);
            atomic_init(&cs->go[side], 0);
        }
    }
}

static void *
worker_main(void *w_)
{
    struct worker *w = w_;

    for (int gen = 0; ; gen++) {
        bool more;

        run_generation(w, gen);
        ovs_barrier_block(&gen_barrier);
        if (w->id == 0) {
            gens_run = gen + 1;
            if (duration_s) {
                more = time_msec() - start_ms < duration_s * 1000LL;
            } else {
                more = gen + 1 < n_gens;
            }
            if (more) {
                reset_shared();
            }
            atomic_store_relaxed(&more_gens, more);
        }
        ovs_barrier_block(&gen_barrier);
        atomic_read_relaxed(&more_gens, &more);
        if (!more) {
            break;
        }
    }
    return NULL;
}

/* The control thread. */

struct control_counts {
    uint64_t checkpoints;
    uint64_t checkpointed;      /* Entries changed by checkpoints. */
    uint64_t runs;
    uint64_t dumps;
};

static struct control_counts control_counts;

/* Reads statistics and dumps of every zone and checks that they hang
 * together. */
static void
check_stats(uint64_t prev[N_ZONES][COLO_N_STATS], long long int now)
{
    unsigned int total = 0;
    uint16_t *zones;
    size_t n_zones;
    struct ds s;

    for (int z = 0; z < N_ZONES; z++) {
        struct colo_zone_stats st;
        unsigned int sum = 0;

        if (!colo_table_get_zone_stats(table, zone_ids[z], &st)) {
            continue;
        }
        for (int i = 0; i < COLO_N_CONN_STATES; i++) {
            sum += st.n_by_state[i];
        }
        if (sum != st.n_conns) {
            fail("zone %"PRIu16": %u connections but %u by state",
                 zone_ids[z], st.n_conns, sum);
        }
        for (int i = 0; i < COLO_N_STATS; i++) {
            if (st.counters[i] < prev[z][i]) {
                fail("zone %"PRIu16": counter %s went back from %"PRIu64
                     " to %"PRIu64, zone_ids[z], colo_stat_name(i),
                     prev[z][i], st.counters[i]);
            }
            prev[z][i] = st.counters[i];
        }
        total += st.n_conns;
    }

    n_zones = colo_table_get_zones(table, &zones);
    for (size_t i = 1; i < n_zones; i++) {
        if (zones[i - 1] >= zones[i]) {
            fail("zones not sorted");
        }
    }
    free(zones);

    ds_init(&s);
    unsigned int n = colo_table_dump_conns(table, -1, now, &s);
    size_t lines = 0;
    for (const char *p = ds_cstr(&s); *p; p++) {
        lines += *p == '\n';
    }
    if (lines != n) {
        fail("dump-conns returned %u but printed %"PRIuSIZE" lines", n,
             lines);
    }
    if (n && strncmp(ds_cstr(&s), "zone=", 5)) {
        fail("dump-conns: unexpected line: %.80s", ds_cstr(&s));
    }
    ds_destroy(&s);
    (void) total;
    control_counts.dumps++;
}

static void *
control_main(void *arg OVS_UNUSED)
{
    uint64_t prev[N_ZONES][COLO_N_STATS];
    uint64_t *marks = xcalloc(n_threads, sizeof *marks);
    uint64_t last_packets = 0, epoch = 0;
    long long int last_progress = time_msec();
    unsigned int iter = 0;
    int next_zone = 0;

    memset(prev, 0, sizeof prev);
    for (;;) {
        bool stopped;

        atomic_read_relaxed(&stop, &stopped);
        if (stopped) {
            break;
        }

        /* The clock ticks once every worker has gone through all of its
         * connections at least once since the last tick, so that a step
         * that may go is sent within two ticks. */
        uint64_t packets = 0;
        bool tick = true;
        for (int i = 0; i < n_threads; i++) {
            uint64_t rounds, n;

            atomic_read_relaxed(&workers[i].rounds, &rounds);
            atomic_read_relaxed(&workers[i].packets, &n);
            tick = tick && rounds >= marks[i] + 2;
            packets += n;
        }
        if (tick) {
            for (int i = 0; i < n_threads; i++) {
                atomic_read_relaxed(&workers[i].rounds, &marks[i]);
            }
            epoch++;
        }
        long long int now = CLOCK_START + epoch * TICK_MS;
        atomic_store_relaxed(&vclock, now);

        colo_table_run(table, now);
        control_counts.runs++;

        if (iter % 2 == 0) {
            /* A checkpoint of one of the checkpointed zones. */
            int z;
            do {
                z = next_zone++ % N_ZONES;
            } while (!zone_ckpt[z]);
            atomic_store_explicit(&ck_started[z], read_uint(&ck_started[z])
                                  + 1, memory_order_seq_cst);
            control_counts.checkpointed
                += colo_table_checkpoint(table, zone_ids[z]);
            atomic_store_explicit(&ck_done[z], read_uint(&ck_done[z]) + 1,
                                  memory_order_seq_cst);
            control_counts.checkpoints++;
        }

        if (iter % 50 == 0) {
            check_stats(prev, now);
        }

        /* Watchdog. */
        if (packets != last_packets) {
            last_packets = packets;
            last_progress = time_msec();
        } else if (time_msec() - last_progress > STALL_MS) {
            for (int i = 0; i < n_threads; i++) {
                uint64_t rounds;

                atomic_read_relaxed(&workers[i].rounds, &rounds);
                fprintf(stderr, "worker %d: %"PRIu64" rounds\n", i, rounds);
            }
            ovs_abort(0, "no progress for %d s: %"PRIu64" packets sent, "
                      "clock at %lld", STALL_MS / 1000, packets, now);
        }

        iter++;
        xnanosleep(200 * 1000);
    }
    free(marks);
    return NULL;
}

/* Final checks. */

/* What the test expects of a zone, from the scripts. */
struct zone_expect {
    unsigned int conns;         /* Connections. */
    unsigned int closes;        /* ...that close. */
    unsigned int abandoned;     /* ...that are left to expire. */
};

static void
get_stats(int z, struct colo_zone_stats *st)
{
    if (!colo_table_get_zone_stats(table, zone_ids[z], st)) {
        memset(st, 0, sizeof *st);
    }
}

static uint64_t
removed(const struct colo_zone_stats *st)
{
    return (st->counters[COLO_STAT_CONNS_FREED]
            + st->counters[COLO_STAT_CONNS_EXPIRED]
            + st->counters[COLO_STAT_CONNS_EVICTED]
            + st->counters[COLO_STAT_CONNS_FLUSHED]);
}

/* Checks that every entry created is either still there or was removed. */
static void
check_balance(const char *when, int z, const struct colo_zone_stats *st)
{
    uint64_t created = st->counters[COLO_STAT_CONNS_CREATED];

    if (created != st->n_conns + removed(st)) {
        fail("%s: zone %"PRIu16": %"PRIu64" entries created, but %u alive "
             "+ %"PRIu64" freed + %"PRIu64" expired + %"PRIu64" evicted + %"
             PRIu64" flushed", when, zone_ids[z], created, st->n_conns,
             st->counters[COLO_STAT_CONNS_FREED],
             st->counters[COLO_STAT_CONNS_EXPIRED],
             st->counters[COLO_STAT_CONNS_EVICTED],
             st->counters[COLO_STAT_CONNS_FLUSHED]);
    }
}

static void
expect_eq(const char *when, int z, const char *what, uint64_t got,
          uint64_t expected)
{
    if (got != expected) {
        fail("%s: zone %"PRIu16": %s is %"PRIu64", expected %"PRIu64,
             when, zone_ids[z], what, got, expected);
    }
}

static void
final_checks(int n_gens_run, struct zone_counts *total)
{
    struct zone_expect expect[N_ZONES];
    struct colo_zone_stats st;
    long long int now = clock_get() + 1000;

    memset(expect, 0, sizeof expect);
    for (int gen = 0; gen < n_gens_run; gen++) {
        for (int idx = 0; idx < n_conns; idx++) {
            struct conn_params cp;

            conn_params(gen, idx, &cp);
            expect[cp.zone].conns++;
            if (ending_closes(cp.end)) {
                expect[cp.zone].closes++;
            } else {
                expect[cp.zone].abandoned++;
            }
        }
    }

    memset(total, 0, N_ZONES * sizeof *total);
    for (int i = 0; i < n_threads; i++) {
        for (int z = 0; z < N_ZONES; z++) {
            const struct zone_counts *c = &workers[i].counts[z];

            total[z].tcp += c->tcp;
            total[z].rewritten += c->rewritten;
            total[z].passed += c->passed;
            total[z].not_tcp += c->not_tcp;
            total[z].bad += c->bad;
            total[z].old_delta += c->old_delta;
            total[z].zero_delta += c->zero_delta;
            total[z].late += c->late;
            total[z].must_zero += c->must_zero;
            total[z].overlaps += c->overlaps;
            total[z].meets += c->meets;
            total[z].met += c->met;
        }
    }

    /* Right after the run. */
    for (int z = 0; z < N_ZONES; z++) {
        const char *when = "end of run";
        const struct zone_counts *t = &total[z];

        get_stats(z, &st);
        check_balance(when, z, &st);
        expect_eq(when, z, "rewritten", st.counters[COLO_STAT_REWRITTEN],
                  t->rewritten);
        expect_eq(when, z, "pass-unlearned",
                  st.counters[COLO_STAT_PASS_UNLEARNED], t->passed);
        expect_eq(when, z, "pass-not-tcp",
                  st.counters[COLO_STAT_PASS_NOT_TCP], t->not_tcp);
        expect_eq(when, z, "pass-unparseable",
                  st.counters[COLO_STAT_PASS_UNPARSEABLE], t->bad);
        expect_eq(when, z, "pass-zone-full",
                  st.counters[COLO_STAT_PASS_ZONE_FULL], 0);
        expect_eq(when, z, "pass-untracked",
                  st.counters[COLO_STAT_PASS_UNTRACKED], 0);
        expect_eq(when, z, "conns-evicted",
                  st.counters[COLO_STAT_CONNS_EVICTED], 0);
        expect_eq(when, z, "conns-flushed",
                  st.counters[COLO_STAT_CONNS_FLUSHED], 0);

        uint64_t sum = 0;
        for (int i = 0; i < COLO_N_STATS; i++) {
            if (i == COLO_STAT_REWRITTEN
                || (i >= COLO_STAT_PASS_UNLEARNED
                    && i <= COLO_STAT_PASS_UNTRACKED)) {
                sum += st.counters[i];
            }
        }
        expect_eq(when, z, "packets counted", sum,
                  t->tcp + t->not_tcp + t->bad);

        if (!zone_ckpt[z]) {
            /* Every connection made exactly one entry, and each that
             * closes closed exactly once. */
            expect_eq(when, z, "conns-created",
                      st.counters[COLO_STAT_CONNS_CREATED],
                      expect[z].conns);
            expect_eq(when, z, "conns-closed",
                      st.counters[COLO_STAT_CONNS_CLOSED],
                      expect[z].closes);
        } else if (st.counters[COLO_STAT_CONNS_CREATED] < expect[z].conns) {
            fail("zone %"PRIu16": %"PRIu64" entries created for %u "
                 "connections", zone_ids[z],
                 st.counters[COLO_STAT_CONNS_CREATED], expect[z].conns);
        }
    }

    /* A flush. */
    get_stats(FLUSH_ZONE, &st);
    unsigned int n_alive = st.n_conns;
    unsigned int n_flushed = colo_table_flush(table, zone_ids[FLUSH_ZONE]);
    expect_eq("flush", FLUSH_ZONE, "flushed entries", n_flushed, n_alive);
    get_stats(FLUSH_ZONE, &st);
    expect_eq("flush", FLUSH_ZONE, "conns-flushed",
              st.counters[COLO_STAT_CONNS_FLUSHED], n_alive);
    expect_eq("flush", FLUSH_ZONE, "entries", st.n_conns, 0);
    check_balance("flush", FLUSH_ZONE, &st);

    /* Past the linger: every closed entry goes. */
    now += LINGER_S * 1000 + 1;
    colo_table_run(table, now);
    for (int z = 0; z < N_ZONES; z++) {
        const char *when = "after linger";

        get_stats(z, &st);
        check_balance(when, z, &st);
        expect_eq(when, z, "closed entries",
                  st.n_by_state[COLO_CONN_CLOSED], 0);
        if (!zone_ckpt[z]) {
            expect_eq(when, z, "conns-freed",
                      st.counters[COLO_STAT_CONNS_FREED], expect[z].closes);
        }
    }

    /* Past the idle timeout, then the half-open one: nothing is left. */
    now += IDLE_S * 1000 + 1;
    colo_table_run(table, now);
    for (int z = 0; z < N_ZONES; z++) {
        get_stats(z, &st);
        check_balance("after idle timeout", z, &st);
        expect_eq("after idle timeout", z, "established entries",
                  (st.n_by_state[COLO_CONN_ESTABLISHED]
                   + st.n_by_state[COLO_CONN_CLOSING]), 0);
    }
    now += COLO_HALF_OPEN_TIMEOUT * 1000 + 1;
    colo_table_run(table, now);
    for (int z = 0; z < N_ZONES; z++) {
        const char *when = "after half-open timeout";

        get_stats(z, &st);
        check_balance(when, z, &st);
        expect_eq(when, z, "entries", st.n_conns, 0);
        if (!zone_ckpt[z]) {
            expect_eq(when, z, "conns-expired",
                      st.counters[COLO_STAT_CONNS_EXPIRED],
                      expect[z].abandoned);
        }
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    unsigned int n = colo_table_dump_conns(table, -1, now, &s);
    if (n || s.length) {
        fail("dump-conns lists %u connections at the end", n);
    }
    ds_destroy(&s);
}

static void
print_summary(const struct zone_counts total[N_ZONES], long long int elapsed)
{
    struct zone_counts sum;
    uint64_t closed = 0, freed = 0, expired = 0, flushed = 0;
    long long int max_gap = 0;

    memset(&sum, 0, sizeof sum);
    for (int z = 0; z < N_ZONES; z++) {
        const struct zone_counts *t = &total[z];
        struct colo_zone_stats st;

        get_stats(z, &st);
        sum.tcp += t->tcp + t->not_tcp + t->bad;
        sum.rewritten += t->rewritten;
        sum.passed += t->passed;
        sum.old_delta += t->old_delta;
        sum.zero_delta += t->zero_delta;
        sum.late += t->late;
        sum.must_zero += t->must_zero;
        sum.overlaps += t->overlaps;
        sum.meets += t->meets;
        sum.met += t->met;
        closed += st.counters[COLO_STAT_CONNS_CLOSED];
        freed += st.counters[COLO_STAT_CONNS_FREED];
        expired += st.counters[COLO_STAT_CONNS_EXPIRED];
        flushed += st.counters[COLO_STAT_CONNS_FLUSHED];
        if (verbose) {
            printf("zone %"PRIu16"%s: sent %"PRIu64" rewritten %"PRIu64
                   " (old %"PRIu64" zero %"PRIu64") passed %"PRIu64
                   " must-zero %"PRIu64" overlaps %"PRIu64
                   " created %"PRIu64" closed %"PRIu64" freed %"PRIu64
                   " expired %"PRIu64" flushed %"PRIu64"\n",
                   zone_ids[z], zone_ckpt[z] ? " (checkpointed)" : "",
                   t->tcp, t->rewritten, t->old_delta, t->zero_delta,
                   t->passed, t->must_zero, t->overlaps,
                   st.counters[COLO_STAT_CONNS_CREATED],
                   st.counters[COLO_STAT_CONNS_CLOSED],
                   st.counters[COLO_STAT_CONNS_FREED],
                   st.counters[COLO_STAT_CONNS_EXPIRED],
                   st.counters[COLO_STAT_CONNS_FLUSHED]);
        }
    }
    for (int i = 0; i < n_threads; i++) {
        max_gap = MAX(max_gap, workers[i].max_gap);
    }
    if (verbose) {
        printf("checkpoints %"PRIu64" (%"PRIu64" entries), runs %"PRIu64
               ", dumps %"PRIu64", longest gap in a connection %lld ms "
               "(virtual), %"PRIu64" of %"PRIu64" meets on time\n",
               control_counts.checkpoints, control_counts.checkpointed,
               control_counts.runs, control_counts.dumps, max_gap, sum.met,
               sum.meets);
    }
    printf("threads=%d conns=%d generations=%d seed=%"PRIu32
           " packets=%"PRIu64" rewritten=%"PRIu64" (zero-delta=%"PRIu64")"
           " passed=%"PRIu64" overlaps=%"PRIu64" checkpoints=%"PRIu64
           " must-zero=%"PRIu64" closed=%"PRIu64" freed=%"PRIu64
           " expired=%"PRIu64" flushed=%"PRIu64" late=%"PRIu64
           " time=%lldms\n",
           n_threads, n_conns, gens_run, seed, sum.tcp, sum.rewritten,
           sum.zero_delta, sum.passed, sum.overlaps,
           control_counts.checkpoints, sum.must_zero, closed, freed,
           expired, flushed, sum.late, elapsed);
}

static void
usage(void)
{
    printf("usage: ovstest test-colo-stress [OPTIONS]\n"
           "Pushes scripted TCP connections through one colo_table from\n"
           "several threads at once and checks every packet.\n"
           "  -t, --threads=N      worker threads (default 4, at least 2)\n"
           "  -c, --conns=N        connections per generation "
           "(default 4000)\n"
           "  -g, --generations=N  generations (default 2)\n"
           "  -d, --duration=SECS  run generations for SECS seconds instead\n"
           "  -w, --window=N       connections in flight per thread and "
           "direction\n"
           "                       (default 8)\n"
           "  -s, --seed=N         random seed (default 1)\n"
           "      --early-fin      let the peer's FIN race the SVM's half "
           "of the\n"
           "                       handshake (the engine then misses it)\n"
           "  -v, --verbose        print per-zone details\n");
}

static int
parse_int(const char *s, int min)
{
    int value;

    if (!str_to_int(s, 10, &value) || value < min) {
        ovs_fatal(0, "%s: invalid value (at least %d)", s, min);
    }
    return value;
}

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_EARLY_FIN = UCHAR_MAX + 1,
    };
    static const struct option long_options[] = {
        {"threads", required_argument, NULL, 't'},
        {"conns", required_argument, NULL, 'c'},
        {"generations", required_argument, NULL, 'g'},
        {"duration", required_argument, NULL, 'd'},
        {"window", required_argument, NULL, 'w'},
        {"seed", required_argument, NULL, 's'},
        {"early-fin", no_argument, NULL, OPT_EARLY_FIN},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };

    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, "t:c:g:d:w:s:vh", long_options,
                            NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case 't':
            n_threads = parse_int(optarg, 2);
            break;
        case 'c':
            n_conns = parse_int(optarg, 1);
            break;
        case 'g':
            n_gens = parse_int(optarg, 1);
            break;
        case 'd':
            duration_s = parse_int(optarg, 1);
            break;
        case 'w':
            window = parse_int(optarg, 1);
            break;
        case 's':
            seed = parse_int(optarg, 0);
            break;
        case OPT_EARLY_FIN:
            early_fin = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage();
            exit(EXIT_SUCCESS);
        default:
            exit(EXIT_FAILURE);
        }
    }
    if (optind < argc) {
        ovs_fatal(0, "no non-option arguments expected");
    }
}

static void
test_colo_stress_main(int argc, char *argv[])
{
    struct colo_config config = {
        .max_conns = 1 << 20,
        .idle_timeout = IDLE_S,
        .linger = LINGER_S,
    };
    struct zone_counts total[N_ZONES];
    pthread_t control;

    parse_options(argc, argv);

    /* Workers go long between poll_block() calls: spare the log the
     * complaints about it. */
    vlog_set_levels(vlog_module_from_name("timeval"), VLF_ANY_DESTINATION,
                    VLL_ERR);
    vlog_set_levels(vlog_module_from_name("coverage"), VLF_ANY_DESTINATION,
                    VLL_ERR);

    table = colo_table_create();
    colo_table_set_config(table, &config);
    shared = xcalloc(n_conns, sizeof *shared);
    reset_shared();
    for (int z = 0; z < N_ZONES; z++) {
        atomic_init(&ck_started[z], 0);
        atomic_init(&ck_done[z], 0);
    }
    atomic_init(&vclock, CLOCK_START);
    atomic_init(&stop, false);
    atomic_init(&n_failures, 0);
    ovs_barrier_init(&gen_barrier, n_threads);

    workers = xcalloc(n_threads, sizeof *workers);
    for (int i = 0; i < n_threads; i++) {
        struct worker *w = &workers[i];

        w->id = i;
        atomic_init(&w->rounds, 0);
        atomic_init(&w->packets, 0);
        for (int side = PRI; side <= SEC; side++) {
            w->slots[side] = xcalloc(window, sizeof *w->slots[side]);
        }
        w->pkt = dp_packet_new(2048);
        w->ref0 = dp_packet_new(2048);
        w->ref1 = dp_packet_new(2048);
    }

    start_ms = time_msec();
    control = ovs_thread_create("colo-control", control_main, NULL);
    for (int i = 0; i < n_threads; i++) {
        workers[i].thread = ovs_thread_create("colo-worker", worker_main,
                                              &workers[i]);
    }

    /* This thread only waits: let RCU go on without it. */
    ovsrcu_quiesce_start();
    for (int i = 0; i < n_threads; i++) {
        xpthread_join(workers[i].thread, NULL);
    }
    atomic_store_relaxed(&stop, true);
    xpthread_join(control, NULL);
    ovsrcu_quiesce_end();
    long long int elapsed = time_msec() - start_ms;

    final_checks(gens_run, total);

    print_summary(total, elapsed);

    unsigned int failures;
    atomic_read_relaxed(&n_failures, &failures);
    if (failures) {
        printf("FAIL: %u failures\n", failures);
        exit(EXIT_FAILURE);
    }

    for (int i = 0; i < n_threads; i++) {
        for (int side = PRI; side <= SEC; side++) {
            free(workers[i].slots[side]);
        }
        dp_packet_delete(workers[i].pkt);
        dp_packet_delete(workers[i].ref0);
        dp_packet_delete(workers[i].ref1);
    }
    free(workers);
    free(shared);
    colo_table_destroy(table);
    printf("PASS\n");
}

OVSTEST_REGISTER("test-colo-stress", test_colo_stress_main);
