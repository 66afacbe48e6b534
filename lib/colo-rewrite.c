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

#include <config.h>

#include "colo-rewrite-private.h"

#include <sched.h>
#include <string.h>

#include "colo-compat.h"
#include "coverage.h"
#include "dp-packet.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "random.h"

VLOG_DEFINE_THIS_MODULE(colo_rewrite);

COVERAGE_DEFINE(colo_rewritten);
COVERAGE_DEFINE(colo_pass_unlearned);
COVERAGE_DEFINE(colo_pass_unparseable);
COVERAGE_DEFINE(colo_pass_zone_full);
COVERAGE_DEFINE(colo_pass_untracked);
COVERAGE_DEFINE(colo_conn_created);
COVERAGE_DEFINE(colo_conn_closed);
COVERAGE_DEFINE(colo_conn_expired);
COVERAGE_DEFINE(colo_conn_evicted);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

const char *
colo_direction_to_string(enum colo_direction dir)
{
    return dir == COLO_PRIMARY ? "primary"
           : dir == COLO_SECONDARY ? "secondary"
           : "<unknown>";
}

bool
colo_direction_from_string(const char *s, enum colo_direction *dir)
{
    if (!strcmp(s, "primary")) {
        *dir = COLO_PRIMARY;
    } else if (!strcmp(s, "secondary")) {
        *dir = COLO_SECONDARY;
    } else {
        return false;
    }
    return true;
}

/* Zones. */

static uint32_t
colo_zone_hash(uint16_t id)
{
    return hash_int(id, 0);
}

struct colo_zone *
colo_zone_find(const struct colo_table *table, uint16_t id)
{
    struct colo_zone *zone;

    CMAP_FOR_EACH_WITH_HASH (zone, node, colo_zone_hash(id), &table->zones) {
        if (zone->id == id) {
            return zone;
        }
    }
    return NULL;
}

static struct colo_zone *
colo_zone_get(struct colo_table *table, uint16_t id)
{
    struct colo_zone *zone = colo_zone_find(table, id);

    if (OVS_UNLIKELY(!zone)) {
        ovs_mutex_lock(&table->mutex);
        zone = colo_zone_find(table, id);
        if (!zone) {
            bool failover;

            zone = xzalloc_cacheline(sizeof *zone);
            zone->id = id;
            zone->hash_basis = random_uint32();
            atomic_init(&zone->epoch, 0);
            ovs_mutex_init(&zone->mutex);
            cmap_init(&zone->conns);
            cmap_init(&zone->cands);
            cmap_init(&zone->youngs);
            atomic_read_relaxed(&table->failover, &failover);
            atomic_init(&zone->failover, failover);
            for (size_t i = 0; i < COLO_N_STATS; i++) {
                atomic_init(&zone->counters[i], 0);
            }
            cmap_insert(&table->zones, &zone->node, colo_zone_hash(id));
        }
        ovs_mutex_unlock(&table->mutex);
    }
    return zone;
}

/* Adds 'n' to the counter 'stat' of 'zone'. */
static void
colo_zone_count_n(struct colo_zone *zone, enum colo_stat stat, uint64_t n)
{
    uint64_t orig;

    atomic_add_relaxed(&zone->counters[stat], n, &orig);

    /* The main events, also in ovs-appctl coverage/show. */
    switch (stat) {
    case COLO_STAT_REWRITTEN:
        COVERAGE_ADD(colo_rewritten, n);
        break;
    case COLO_STAT_PASS_UNLEARNED:
        COVERAGE_ADD(colo_pass_unlearned, n);
        break;
    case COLO_STAT_PASS_UNPARSEABLE:
        COVERAGE_ADD(colo_pass_unparseable, n);
        break;
    case COLO_STAT_PASS_ZONE_FULL:
        COVERAGE_ADD(colo_pass_zone_full, n);
        break;
    case COLO_STAT_PASS_UNTRACKED:
        COVERAGE_ADD(colo_pass_untracked, n);
        break;
    case COLO_STAT_CONNS_CREATED:
        COVERAGE_ADD(colo_conn_created, n);
        break;
    case COLO_STAT_CONNS_CLOSED:
        COVERAGE_ADD(colo_conn_closed, n);
        break;
    case COLO_STAT_CONNS_EXPIRED:
        COVERAGE_ADD(colo_conn_expired, n);
        break;
    case COLO_STAT_CONNS_EVICTED:
        COVERAGE_ADD(colo_conn_evicted, n);
        break;
    case COLO_STAT_PASS_NOT_TCP:
    case COLO_STAT_CONNS_FREED:
    case COLO_STAT_CONNS_FLUSHED:
    case COLO_STAT_IGNORED_RST:
    case COLO_N_STATS:
    default:
        break;
    }
}

void
colo_zone_count(struct colo_zone *zone, enum colo_stat stat)
{
    colo_zone_count_n(zone, stat, 1);
}

/* Connections. */

static void
colo_key_init(struct colo_key *key, const struct colo_tcp *p,
              enum colo_direction dir)
{
    /* From the SVM, the VM is the source; to it, the destination. */
    bool vm_is_src = dir == COLO_SECONDARY;
    const void *vm = vm_is_src ? p->src : p->dst;
    const void *peer = vm_is_src ? p->dst : p->src;

    key->vm_port = vm_is_src ? p->tcp->tcp_src : p->tcp->tcp_dst;
    key->peer_port = vm_is_src ? p->tcp->tcp_dst : p->tcp->tcp_src;
    key->ipv6 = p->ipv6;
    if (p->ipv6) {
        memcpy(&key->ip6.vm, vm, sizeof key->ip6.vm);
        memcpy(&key->ip6.peer, peer, sizeof key->ip6.peer);
    } else {
        memcpy(&key->ip4.vm, vm, sizeof key->ip4.vm);
        memcpy(&key->ip4.peer, peer, sizeof key->ip4.peer);
    }
}

/* Returns the entry for 'key' among 'node' and the nodes that follow it,
 * all of one hash, or NULL. */
static inline struct colo_conn *
colo_conn_match(const struct cmap_node *node, const struct colo_key *key)
{
    for (; node; node = cmap_node_next(node)) {
        struct colo_conn *conn = CONTAINER_OF(node, struct colo_conn, node);

        if (colo_conn_has_key(conn, key)) {
            return conn;
        }
    }
    return NULL;
}

static struct colo_conn *
colo_conn_find(const struct colo_zone *zone, const struct colo_key *key,
               uint32_t hash)
{
    return colo_conn_match(cmap_find(&zone->conns, hash), key);
}

static void
colo_conn_free(struct colo_conn *conn)
{
    if (colo_conn_flags(conn) & COLO_F_IPV6) {
        free(conn);
    } else {
        colo_pool_free(conn);
    }
}

static void
colo_conn_remove(struct colo_zone *zone, struct colo_conn *conn,
                 enum colo_stat why)
    OVS_REQUIRES(zone->mutex)
{
    uint32_t flags = colo_conn_flags(conn);

    cmap_remove(&zone->conns, &conn->node, colo_conn_hash(zone, conn));
    if (flags & COLO_F_CAND) {
        colo_cand_drop(zone, conn);
    }
    colo_young_drop(zone, conn);
    ovsrcu_postpone(colo_conn_free, conn);
    colo_zone_count(zone, why);
}

/* How willingly an entry is evicted to make room: the lowest rank first.
 * A half-open entry and a learned one that is not assured rank the same,
 * so that a flood of forged handshakes, completed or not, evicts its own
 * oldest entries rather than a legitimate handshake under way.  Assured
 * entries, whose real ends have both shown themselves, are never
 * evicted. */
enum colo_evict_rank {
    COLO_EVICT_CLOSED,          /* Closed, lingering. */
    COLO_EVICT_UNASSURED,       /* Half-open, or learned but not assured. */
    COLO_EVICT_NEVER,           /* Assured. */
};

static enum colo_evict_rank
colo_conn_evict_rank(uint32_t flags)
{
    return (flags & COLO_F_CLOSED ? COLO_EVICT_CLOSED
            : !(flags & COLO_F_ASSURED) ? COLO_EVICT_UNASSURED
            : COLO_EVICT_NEVER);
}

/* The number of entries colo_zone_evict() looks at. */
#define COLO_EVICT_SAMPLE 64

/* The zone is full: looks at COLO_EVICT_SAMPLE entries, starting where the
 * last look ended, and evicts the one of the lowest rank, the oldest of
 * those (by creation, which the clock's milliseconds cannot order in a
 * flood).  In a SYN flood the handshakes evicted are then the oldest that
 * were looked at, not a legitimate one that happened to come next.
 * Returns true if it made room. */
static bool
colo_zone_evict(struct colo_zone *zone)
    OVS_REQUIRES(zone->mutex)
{
    enum colo_evict_rank best_rank = COLO_EVICT_NEVER;
    struct colo_conn *best = NULL;
    uint32_t best_age = 0;

    for (int i = 0; i < COLO_EVICT_SAMPLE; i++) {
        struct cmap_node *node = cmap_next_position(&zone->conns,
                                                    &zone->evict_pos);
        if (!node) {
            memset(&zone->evict_pos, 0, sizeof zone->evict_pos);
            node = cmap_next_position(&zone->conns, &zone->evict_pos);
            if (!node) {
                break;
            }
        }

        struct colo_conn *conn = CONTAINER_OF(node, struct colo_conn, node);
        enum colo_evict_rank rank = colo_conn_evict_rank(
            colo_conn_flags(conn));
        uint32_t age = 0;

        if (rank == COLO_EVICT_UNASSURED) {
            const struct colo_young *young = colo_young_find(zone, conn);

            age = young ? zone->next_serial - young->serial : 0;
        }

        if (rank == COLO_EVICT_CLOSED) {
            best = conn;
            break;
        } else if (rank < best_rank
                   || (best && rank == best_rank && age > best_age)) {
            best = conn;
            best_rank = rank;
            best_age = age;
        }
    }

    if (!best) {
        return false;
    }
    colo_conn_remove(zone, best, COLO_STAT_CONNS_EVICTED);
    return true;
}

/* Adds a new, empty entry for 'key' to 'zone', whatever the bound. */
static struct colo_conn *
colo_conn_insert_new(struct colo_table *table, struct colo_zone *zone,
                     const struct colo_key *key, uint32_t hash,
                     long long int now)
    OVS_REQUIRES(zone->mutex)
{
    size_t key_size = colo_key_size(key);
    size_t size = offsetof(struct colo_conn, key) + key_size;
    struct colo_conn *conn = (key->ipv6
                              ? xmalloc(size)
                              : colo_pool_alloc(table->pool));

    memset(conn, 0, size);
    memcpy(&conn->key, key, key_size);
    atomic_init(&conn->flags, key->ipv6 ? COLO_F_IPV6 : 0);
    atomic_init(&conn->fin_vm_end, 0);
    atomic_init(&conn->fin_peer_end, 0);
    atomic_init(&conn->deltas, 0);
    atomic_init(&conn->used, (uint32_t) now);
    atomic_init(&conn->svm_ack_win, 0);
    atomic_init(&conn->svm_isn, 0);
    atomic_init(&conn->epoch, colo_zone_epoch(zone));
    colo_young_create(zone, conn, zone->next_serial++);
    cmap_insert(&zone->conns, &conn->node, hash);
    colo_zone_count(zone, COLO_STAT_CONNS_CREATED);
    return conn;
}

/* Adds a new, empty entry for 'key' to 'zone', making room if the zone is
 * full.  Returns NULL if it cannot: the packet then counts as
 * COLO_STAT_PASS_ZONE_FULL. */
static struct colo_conn *
colo_conn_create(struct colo_table *table, struct colo_zone *zone,
                 const struct colo_key *key, uint32_t hash,
                 long long int now)
    OVS_REQUIRES(zone->mutex)
{
    unsigned int max_conns;

    atomic_read_relaxed(&table->max_conns, &max_conns);
    if (cmap_count(&zone->conns) >= max_conns && !colo_zone_evict(zone)) {
        VLOG_WARN_RL(&rl, "zone %"PRIu16" is full (colo-max-conns=%u): "
                     "new connections pass unrewritten", zone->id,
                     max_conns);
        return NULL;
    }
    return colo_conn_insert_new(table, zone, key, hash, now);
}

/* The SVM's packet 'p' confirmed the candidate of 'conn': replaces 'conn'
 * by a new entry that has the candidate's handshake.  Returns the new
 * entry, or NULL if there is none (failover). */
static struct colo_conn *
colo_conn_replace_by_cand(struct colo_table *table, struct colo_zone *zone,
                          struct colo_conn *conn, const struct colo_tcp *p,
                          long long int now)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_conn *new_conn = NULL;
    bool failover;

    atomic_read_relaxed(&zone->failover, &failover);
    if (!failover) {
        /* The new entry goes in before the old one goes, so that a packet
         * looked up meanwhile without the mutex finds one of them: it takes
         * the old one's place in the bound. */
        struct colo_key key;

        colo_conn_get_key(conn, &key);
        new_conn = colo_conn_insert_new(table, zone, &key,
                                        colo_key_hash(zone, &key), now);
        colo_cand_take(zone, new_conn, conn, p);
    }
    colo_conn_remove(zone, conn, COLO_STAT_CONNS_FREED);
    return new_conn;
}

/* Threads.
 *
 * A checkpoint must not return while a packet that saw the old epoch is
 * still being rewritten (see colo_table_checkpoint()).  Each thread that
 * processes packets marks the time it spends at it in its colo_thread,
 * and a checkpoint waits for the marks that were set when it advanced the
 * epoch: for the batches in flight, microseconds, not for every thread of
 * the process to quiesce, as ovsrcu_synchronize() would. */

/* Forgets the colo_thread of a thread that exits. */
static void
colo_thread_destroy(void *thread_)
{
    struct colo_thread *thread = thread_;
    struct colo_table *table = thread->table;

    ovs_mutex_lock(&table->threads_mutex);
    ovs_list_remove(&thread->node);
    ovs_mutex_unlock(&table->threads_mutex);
    free_cacheline(thread);
}

/* Marks the calling thread as processing packets of 'table', until
 * colo_thread_leave(). */
static struct colo_thread *
colo_thread_enter(struct colo_table *table)
{
    struct colo_thread *thread = ovsthread_getspecific(table->thread_key);
    uint64_t seq;

    if (OVS_UNLIKELY(!thread)) {
        thread = xzalloc_cacheline(sizeof *thread);
        thread->table = table;
        atomic_init(&thread->seq, 0);
        ovs_mutex_lock(&table->threads_mutex);
        ovs_list_push_back(&table->threads, &thread->node);
        ovs_mutex_unlock(&table->threads_mutex);
        ovsthread_setspecific(table->thread_key, thread);
    }

    atomic_read_relaxed(&thread->seq, &seq);
    atomic_store_relaxed(&thread->seq, seq + 1);
    /* The mark must be seen before this thread reads a zone's epoch: a
     * checkpoint advances the epoch, then reads the marks. */
    atomic_thread_fence(memory_order_seq_cst);
    return thread;
}

static void
colo_thread_leave(struct colo_thread *thread)
{
    uint64_t seq;

    atomic_read_relaxed(&thread->seq, &seq);
    atomic_store_explicit(&thread->seq, seq + 1, memory_order_release);
}

/* Waits until every thread that was processing packets of 'table' when the
 * caller advanced an epoch has finished that batch. */
static void
colo_table_wait_packets(struct colo_table *table)
{
    struct colo_thread *thread;

    atomic_thread_fence(memory_order_seq_cst);
    ovs_mutex_lock(&table->threads_mutex);
    LIST_FOR_EACH (thread, node, &table->threads) {
        uint64_t seq, cur;

        atomic_read_explicit(&thread->seq, &seq, memory_order_acquire);
        if (seq & 1) {
            do {
                sched_yield();
                atomic_read_explicit(&thread->seq, &cur,
                                     memory_order_acquire);
            } while (cur == seq);
        }
    }
    ovs_mutex_unlock(&table->threads_mutex);
}

/* The packet path. */

/* Takes the mutex of 'zone' for '*conn', the entry for 'key' with 'hash'
 * found without it, and brings '*conn' up to date.  If '*conn' went
 * meanwhile, stores in '*conn' the entry there is now (or NULL), releases
 * the mutex and returns false: the caller starts again with it. */
static bool
colo_conn_lock(struct colo_zone *zone, struct colo_conn **conn,
               const struct colo_key *key, uint32_t hash)
    OVS_TRY_LOCK(true, zone->mutex)
{
    ovs_mutex_lock(&zone->mutex);
    if (colo_conn_find(zone, key, hash) != *conn) {
        *conn = colo_conn_find(zone, key, hash);
        ovs_mutex_unlock(&zone->mutex);
        return false;
    }
    colo_conn_sync(zone, *conn);
    return true;
}

/* Processes packet 'packet', parsed into 'p', of entry 'conn' (looked up
 * without the mutex; NULL if there is none) for 'key' with 'hash', in
 * 'zone', whose epoch was 'epoch' when the batch began.  Returns what to
 * count for it: COLO_STAT_REWRITTEN or one of COLO_STAT_PASS_*. */
static enum colo_stat
colo_zone_process(struct colo_table *table, struct colo_zone *zone,
                  enum colo_direction dir, struct dp_packet *packet,
                  struct colo_tcp *p, const struct colo_key *key,
                  uint32_t hash, struct colo_conn *conn, uint32_t epoch,
                  long long int now)
{
    uint32_t flags;
    bool stale;

lookup:
    /* The epoch first: an entry that is up to date has its flags and
     * deltas for that epoch. */
    stale = conn && INT_MOD_LT(colo_conn_epoch(conn), epoch);
    flags = conn ? colo_conn_flags(conn) : 0;

    if (OVS_UNLIKELY(!(flags & COLO_F_LEARNED) || p->flags & TCP_SYN)) {
        /* Slow path: a handshake, or a connection not learned yet. */
        bool failover;

        if (!conn && !(p->flags & TCP_SYN)) {
            return COLO_STAT_PASS_UNLEARNED;
        }

        atomic_read_relaxed(&zone->failover, &failover);
        ovs_mutex_lock(&zone->mutex);
        conn = colo_conn_find(zone, key, hash);
        if (conn) {
            colo_conn_sync(zone, conn);
        }
        if (!conn) {
            /* Created below. */
        } else if (colo_cand_is_syn(conn, p, dir)) {
            /* The old connection goes on until the SVM says otherwise. */
            colo_cand_offer(zone, conn, p);
            ovs_mutex_unlock(&zone->mutex);
            atomic_store_relaxed(&conn->used, (uint32_t) now);
            return COLO_STAT_PASS_UNLEARNED;
        } else if (colo_cand_confirmed(zone, conn, p, dir,
                                       colo_conn_flags(conn))) {
            conn = colo_conn_replace_by_cand(table, zone, conn, p,
                                             now);
            if (!conn) {
                ovs_mutex_unlock(&zone->mutex);
                return COLO_STAT_PASS_UNTRACKED;
            }
        } else if (colo_conn_is_new_incarnation(conn, p, dir)) {
            colo_conn_remove(zone, conn, COLO_STAT_CONNS_FREED);
            conn = NULL;
        }
        if (!conn) {
            if (failover) {
                ovs_mutex_unlock(&zone->mutex);
                return COLO_STAT_PASS_UNTRACKED;
            }
            conn = colo_conn_create(table, zone, key, hash, now);
            if (!conn) {
                ovs_mutex_unlock(&zone->mutex);
                return COLO_STAT_PASS_ZONE_FULL;
            }
        }
        bool pvm_first = colo_conn_learn(zone, conn, p, dir);
        ovs_mutex_unlock(&zone->mutex);
        if (pvm_first) {
            static struct vlog_rate_limit order_rl
                = VLOG_RATE_LIMIT_INIT(1, 5);

            VLOG_INFO_RL(&order_rl, "zone %"PRIu16": the peer's %s came "
                         "before the SVM's %s; it passes unrewritten (the "
                         "SVM lags behind the PVM)", zone->id,
                         p->flags & TCP_SYN ? "SYN+ACK" : "ACK",
                         p->flags & TCP_SYN ? "SYN" : "SYN+ACK");
        }

        stale = false;
        flags = colo_conn_flags(conn);
        atomic_store_relaxed(&conn->used, (uint32_t) now);
        if (!(flags & COLO_F_LEARNED)) {
            if (dir == COLO_SECONDARY) {
                colo_conn_note_svm_ack(conn, p, flags);
            }
            if (p->flags & (TCP_FIN | TCP_RST)
                || flags & (COLO_F_FIN_VM | COLO_F_FIN_PEER)) {
                colo_conn_track_close(zone, conn, p, dir, flags, 0);
            }
            return COLO_STAT_PASS_UNLEARNED;
        }
    }

    if (OVS_UNLIKELY(stale)) {
        if (flags & COLO_F_ASSURED
            && !(flags & (COLO_F_FIN_VM | COLO_F_FIN_PEER | COLO_F_CAND))
            && !(p->flags & (TCP_FIN | TCP_RST))) {
            /* A checkpoint made the deltas of this open connection 0:
             * there is nothing to rewrite, and nothing else to follow. */
            atomic_store_relaxed(&conn->used, (uint32_t) now);
            if (dir == COLO_SECONDARY) {
                colo_conn_note_svm_ack(conn, p, flags);
            }
            return COLO_STAT_REWRITTEN;
        }

        /* Anything else reads the entry's other values: bring it up to
         * date first. */
        if (!colo_conn_lock(zone, &conn, key, hash)) {
            goto lookup;
        }
        ovs_mutex_unlock(&zone->mutex);
        flags = colo_conn_flags(conn);
    }

    if (OVS_UNLIKELY(flags & COLO_F_CAND)
        && colo_cand_match(zone, conn, p, dir, flags) != COLO_CAND_OLD) {
        /* Maybe a packet of the candidate's connection: make sure with the
         * mutex, which candidates change only with. */
        if (!colo_conn_lock(zone, &conn, key, hash)) {
            /* The candidate replaced 'conn' meanwhile: start again with
             * the new entry. */
            goto lookup;
        }
        flags = colo_conn_flags(conn);
        if (colo_cand_match(zone, conn, p, dir, flags) != COLO_CAND_NEW) {
            /* The old connection's after all. */
        } else if (dir == COLO_PRIMARY) {
            colo_cand_note(zone, conn, p);
            ovs_mutex_unlock(&zone->mutex);
            return COLO_STAT_PASS_UNLEARNED;
        } else if (colo_cand_confirmed(zone, conn, p, dir, flags)) {
            conn = colo_conn_replace_by_cand(table, zone, conn, p,
                                             now);
            if (!conn) {
                ovs_mutex_unlock(&zone->mutex);
                return COLO_STAT_PASS_UNTRACKED;
            }
            flags = colo_conn_flags(conn);
        }
        ovs_mutex_unlock(&zone->mutex);
    }

    uint64_t deltas;
    atomic_read_relaxed(&conn->deltas, &deltas);
    atomic_store_relaxed(&conn->used, (uint32_t) now);
    if (dir == COLO_SECONDARY) {
        colo_conn_note_svm_ack(conn, p, flags);
    }
    if (OVS_UNLIKELY(!(flags & COLO_F_ASSURED))) {
        colo_conn_assure(zone, conn, p, dir, flags, deltas >> 32);
    }
    if (OVS_UNLIKELY(p->flags & (TCP_FIN | TCP_RST)
                     || flags & (COLO_F_FIN_VM | COLO_F_FIN_PEER))) {
        colo_conn_track_close(zone, conn, p, dir, flags, deltas >> 32);
    }
    colo_tcp_rewrite(p, dir, flags, deltas, !colo_tcp_csum_deferred(packet));
    return COLO_STAT_REWRITTEN;
}

/* The most packets colo_zone_process_burst() takes at once: the bits of
 * the map that cmap_find_batch() takes. */
#define COLO_BURST MIN(NETDEV_MAX_BURST, CHAR_BIT * sizeof(unsigned long))

/* Processes the 'n' <= COLO_BURST packets in 'packets': parses and hashes
 * them all, looks them all up at once, then rewrites each.  Adds what each
 * counts to 'counts', and stores what happened to each in 'results' if it
 * is nonnull. */
static void
colo_zone_process_burst(struct colo_table *table, struct colo_zone *zone,
                        enum colo_direction dir, struct dp_packet **packets,
                        size_t n, enum colo_result *results, uint32_t epoch,
                        long long int now, uint64_t counts[COLO_N_STATS])
{
    const struct cmap_node *nodes[COLO_BURST];
    struct colo_key keys[COLO_BURST];
    struct colo_tcp tcps[COLO_BURST];
    uint32_t hashes[COLO_BURST];
    unsigned long map = 0;

    for (size_t i = 0; i < n; i++) {
        enum colo_stat stat;

        switch (colo_parse(packets[i], &tcps[i])) {
        case COLO_PARSE_OK:
            colo_key_init(&keys[i], &tcps[i], dir);
            hashes[i] = colo_key_hash(zone, &keys[i]);
            map |= 1UL << i;
            continue;
        case COLO_PARSE_NOT_TCP:
            stat = COLO_STAT_PASS_NOT_TCP;
            break;
        case COLO_PARSE_BAD:
        default:
            stat = COLO_STAT_PASS_UNPARSEABLE;
            break;
        }
        counts[stat]++;
        if (results) {
            results[i] = COLO_RESULT_PASSED;
        }
    }
    if (!map) {
        return;
    }

    unsigned long found = cmap_find_batch(&zone->conns, map, hashes, nodes);
    for (size_t i = 0; i < n; i++) {
        if (found & (1UL << i)) {
            OVS_PREFETCH(nodes[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (map & (1UL << i)) {
            struct colo_conn *conn = (found & (1UL << i)
                                      ? colo_conn_match(nodes[i], &keys[i])
                                      : NULL);
            enum colo_stat stat = colo_zone_process(table, zone, dir,
                                                    packets[i], &tcps[i],
                                                    &keys[i], hashes[i],
                                                    conn, epoch, now);
            counts[stat]++;
            if (results) {
                results[i] = (stat == COLO_STAT_REWRITTEN
                              ? COLO_RESULT_REWRITTEN : COLO_RESULT_PASSED);
            }
        }
    }
}

/* Processes the 'n' packets in 'packets', all of 'zone_id' and 'dir'.  The
 * zone is looked up once, its counters added to once. */
static void
colo_table_process__(struct colo_table *table, uint16_t zone_id,
                     enum colo_direction dir, struct dp_packet **packets,
                     size_t n, enum colo_result *results, long long int now)
{
    struct colo_thread *thread = colo_thread_enter(table);
    struct colo_zone *zone = colo_zone_get(table, zone_id);
    uint32_t epoch = colo_zone_epoch(zone);
    uint64_t counts[COLO_N_STATS];

    memset(counts, 0, sizeof counts);
    for (size_t ofs = 0; ofs < n; ofs += COLO_BURST) {
        colo_zone_process_burst(table, zone, dir, packets + ofs,
                                MIN(n - ofs, COLO_BURST),
                                results ? results + ofs : NULL, epoch, now,
                                counts);
    }
    for (size_t i = 0; i < COLO_N_STATS; i++) {
        if (counts[i]) {
            colo_zone_count_n(zone, i, counts[i]);
        }
    }
    colo_thread_leave(thread);
}

enum colo_result
colo_table_process(struct colo_table *table, uint16_t zone_id,
                   enum colo_direction dir, struct dp_packet *packet,
                   long long int now)
{
    enum colo_result result;

    colo_table_process__(table, zone_id, dir, &packet, 1, &result, now);
    return result;
}

void
colo_table_process_batch(struct colo_table *table, uint16_t zone_id,
                         enum colo_direction dir,
                         struct dp_packet_batch *batch, long long int now)
{
    colo_table_process__(table, zone_id, dir, batch->packets,
                         dp_packet_batch_size(batch), NULL, now);
}

/* Tables. */

struct colo_table *
colo_table_create(void)
{
    struct colo_table *table = xzalloc(sizeof *table);

    ovs_mutex_init(&table->mutex);
    cmap_init(&table->zones);
    atomic_init(&table->failover, false);
    ovsthread_key_create(&table->thread_key, colo_thread_destroy);
    ovs_mutex_init(&table->threads_mutex);
    ovs_list_init(&table->threads);
    table->pool = colo_pool_create(COLO_CONN_SIZE_IPV4);
    atomic_init(&table->max_conns, COLO_DEFAULT_MAX_CONNS);
    atomic_init(&table->idle_timeout, COLO_DEFAULT_IDLE_TIMEOUT);
    atomic_init(&table->linger, COLO_DEFAULT_LINGER);
    return table;
}

void
colo_table_destroy(struct colo_table *table)
{
    struct colo_thread *thread;
    struct colo_zone *zone;

    if (!table) {
        return;
    }

    CMAP_FOR_EACH (zone, node, &table->zones) {
        struct colo_conn *conn;

        CMAP_FOR_EACH (conn, node, &zone->conns) {
            colo_conn_free(conn);
        }
        cmap_destroy(&zone->conns);
        colo_cand_destroy_all(zone);
        colo_young_destroy_all(zone);
        ovs_mutex_destroy(&zone->mutex);
        free_cacheline(zone);
    }
    cmap_destroy(&table->zones);

    /* No thread's colo_thread goes away on its own from now on. */
    ovsthread_key_delete(table->thread_key);
    LIST_FOR_EACH_POP (thread, node, &table->threads) {
        free_cacheline(thread);
    }
    ovs_mutex_destroy(&table->threads_mutex);
    ovs_mutex_destroy(&table->mutex);
    /* Entries removed but not freed yet go back to the pool when RCU
     * frees them: the pool waits for them. */
    colo_pool_destroy(table->pool);
    free(table);
}

void
colo_table_set_config(struct colo_table *table,
                      const struct colo_config *config)
{
    atomic_store_relaxed(&table->max_conns, config->max_conns);
    atomic_store_relaxed(&table->idle_timeout,
                         MIN(config->idle_timeout, COLO_MAX_TIMEOUT));
    atomic_store_relaxed(&table->linger,
                         MIN(config->linger, COLO_MAX_TIMEOUT));
}

void
colo_table_get_config(const struct colo_table *table_,
                      struct colo_config *config)
{
    struct colo_table *table = CONST_CAST(struct colo_table *, table_);

    atomic_read_relaxed(&table->max_conns, &config->max_conns);
    atomic_read_relaxed(&table->idle_timeout, &config->idle_timeout);
    atomic_read_relaxed(&table->linger, &config->linger);
}

/* The sweeper.
 *
 * It walks a zone without the mutex, as the packet path reads it, and
 * takes the mutex only for batches of COLO_SWEEP_BATCH entries that it
 * found to expire or to be stale: a handshake never waits for more than
 * one batch, whatever the size of the zone. */

#define COLO_SWEEP_BATCH 64

/* Returns why 'conn', with 'flags', is to be removed at 'now' under
 * 'config': COLO_STAT_CONNS_FREED or COLO_STAT_CONNS_EXPIRED, or
 * COLO_N_STATS if it stays. */
static enum colo_stat
colo_conn_expiry(const struct colo_conn *conn, uint32_t flags,
                 const struct colo_config *config, long long int now)
{
    long long int idle = colo_conn_idle(conn, now);
    unsigned int timeout;

    if (flags & COLO_F_CLOSED) {
        return (idle >= config->linger * 1000LL
                ? COLO_STAT_CONNS_FREED : COLO_N_STATS);
    }
    timeout = (!(flags & COLO_F_LEARNED) ? COLO_HALF_OPEN_TIMEOUT
               : flags & COLO_F_ASSURED ? config->idle_timeout
               : MIN(config->idle_timeout, COLO_UNASSURED_TIMEOUT));
    return idle >= timeout * 1000LL ? COLO_STAT_CONNS_EXPIRED : COLO_N_STATS;
}

/* Brings the 'n' entries in 'conns' up to date and, if 'config' is
 * nonnull, removes those that expire at 'now', with the mutex held once
 * for all of them.  Entries that went meanwhile are skipped: the caller
 * has not quiesced since it found them, so their memory is still there. */
static void
colo_zone_sweep_batch(struct colo_zone *zone, struct colo_conn **conns,
                      size_t n, const struct colo_config *config,
                      long long int now)
{
    ovs_mutex_lock(&zone->mutex);
    for (size_t i = 0; i < n; i++) {
        struct colo_conn *conn = conns[i];
        struct colo_key key;

        colo_conn_get_key(conn, &key);
        if (colo_conn_find(zone, &key, colo_key_hash(zone, &key)) != conn) {
            continue;
        }
        colo_conn_sync(zone, conn);
        if (config) {
            enum colo_stat why = colo_conn_expiry(conn, colo_conn_flags(conn),
                                                  config, now);
            if (why != COLO_N_STATS) {
                colo_conn_remove(zone, conn, why);
            }
        }
    }
    ovs_mutex_unlock(&zone->mutex);
}

/* Brings every entry of 'zone' up to date with its checkpoints and, if
 * 'config' is nonnull, removes the entries that expire at 'now'. */
static void
colo_zone_sweep(struct colo_zone *zone, const struct colo_config *config,
                long long int now)
{
    struct colo_conn *batch[COLO_SWEEP_BATCH];
    uint32_t epoch = colo_zone_epoch(zone);
    struct colo_conn *conn;
    size_t n = 0;

    CMAP_FOR_EACH (conn, node, &zone->conns) {
        if (colo_conn_epoch(conn) != epoch
            || (config && colo_conn_expiry(conn, colo_conn_flags(conn),
                                           config, now) != COLO_N_STATS)) {
            batch[n++] = conn;
            if (n == COLO_SWEEP_BATCH) {
                colo_zone_sweep_batch(zone, batch, n, config, now);
                n = 0;
            }
        }
    }
    if (n) {
        colo_zone_sweep_batch(zone, batch, n, config, now);
    }
}

void
colo_zone_sync(struct colo_zone *zone)
{
    colo_zone_sweep(zone, NULL, 0);
}

void
colo_table_run(struct colo_table *table, long long int now)
{
    struct colo_config config;
    struct colo_zone *zone;

    colo_table_get_config(table, &config);
    CMAP_FOR_EACH (zone, node, &table->zones) {
        colo_zone_sweep(zone, &config, now);
    }
}

/* Calls 'cb' for each zone of 'table' selected by 'zone_id' (-1 for all),
 * with the zone's mutex held, and returns the sum of what 'cb' returned.
 * A zone that has seen no packet yet is created only if 'create'. */
static unsigned int
colo_table_for_zones(struct colo_table *table, int zone_id, bool create,
                     unsigned int (*cb)(struct colo_zone *))
{
    unsigned int n = 0;

    if (zone_id >= 0) {
        struct colo_zone *zone = (create ? colo_zone_get(table, zone_id)
                                  : colo_zone_find(table, zone_id));

        if (zone) {
            ovs_mutex_lock(&zone->mutex);
            n = cb(zone);
            ovs_mutex_unlock(&zone->mutex);
        }
    } else {
        struct colo_zone *zone;

        CMAP_FOR_EACH (zone, node, &table->zones) {
            ovs_mutex_lock(&zone->mutex);
            n += cb(zone);
            ovs_mutex_unlock(&zone->mutex);
        }
    }
    return n;
}

/* Checkpoints 'zone' in constant time: see "Checkpoints" in
 * colo-rewrite-private.h. */
static unsigned int
colo_zone_checkpoint(struct colo_zone *zone)
    OVS_REQUIRES(zone->mutex)
{
    atomic_store_explicit(&zone->epoch, colo_zone_epoch(zone) + 1,
                          memory_order_release);
    return cmap_count(&zone->conns);
}

unsigned int
colo_table_checkpoint(struct colo_table *table, int zone)
{
    unsigned int n = colo_table_for_zones(table, zone, false,
                                          colo_zone_checkpoint);

    /* Wait for the packets that may have read the old epoch. */
    colo_table_wait_packets(table);
    return n;
}

static unsigned int
colo_zone_failover(struct colo_zone *zone)
    OVS_REQUIRES(zone->mutex)
{
    atomic_store_relaxed(&zone->failover, true);
    return cmap_count(&zone->conns);
}

unsigned int
colo_table_failover(struct colo_table *table, int zone)
{
    if (zone < 0) {
        atomic_store_relaxed(&table->failover, true);
    }
    /* The zone is created if need be, to remember the failover. */
    return colo_table_for_zones(table, zone, true, colo_zone_failover);
}

static unsigned int
colo_zone_flush(struct colo_zone *zone)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_conn *conn;
    unsigned int n = 0;

    CMAP_FOR_EACH (conn, node, &zone->conns) {
        colo_conn_remove(zone, conn, COLO_STAT_CONNS_FLUSHED);
        n++;
    }
    return n;
}

unsigned int
colo_table_flush(struct colo_table *table, int zone)
{
    return colo_table_for_zones(table, zone, false, colo_zone_flush);
}

size_t
colo_conn_size(void)
{
    return COLO_CONN_SIZE_IPV4;
}

size_t
colo_table_pool_size(const struct colo_table *table)
{
    return colo_pool_size(table->pool);
}
