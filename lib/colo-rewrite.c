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

#include <string.h>

#include "colo-compat.h"
#include "coverage.h"
#include "dp-packet.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "packets.h"

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

            zone = xzalloc(sizeof *zone);
            zone->id = id;
            ovs_mutex_init(&zone->mutex);
            cmap_init(&zone->conns);
            cmap_init(&zone->cands);
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

void
colo_zone_count(struct colo_zone *zone, enum colo_stat stat)
{
    uint64_t orig;

    atomic_add_relaxed(&zone->counters[stat], 1, &orig);

    /* The main events, also in ovs-appctl coverage/show. */
    switch (stat) {
    case COLO_STAT_REWRITTEN:
        COVERAGE_INC(colo_rewritten);
        break;
    case COLO_STAT_PASS_UNLEARNED:
        COVERAGE_INC(colo_pass_unlearned);
        break;
    case COLO_STAT_PASS_UNPARSEABLE:
        COVERAGE_INC(colo_pass_unparseable);
        break;
    case COLO_STAT_PASS_ZONE_FULL:
        COVERAGE_INC(colo_pass_zone_full);
        break;
    case COLO_STAT_PASS_UNTRACKED:
        COVERAGE_INC(colo_pass_untracked);
        break;
    case COLO_STAT_CONNS_CREATED:
        COVERAGE_INC(colo_conn_created);
        break;
    case COLO_STAT_CONNS_CLOSED:
        COVERAGE_INC(colo_conn_closed);
        break;
    case COLO_STAT_CONNS_EXPIRED:
        COVERAGE_INC(colo_conn_expired);
        break;
    case COLO_STAT_CONNS_EVICTED:
        COVERAGE_INC(colo_conn_evicted);
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

/* Connections. */

static void
colo_key_init(struct colo_key *key, const struct colo_tcp *p,
              enum colo_direction dir)
{
    memset(key, 0, sizeof *key);
    key->ipv6 = p->ipv6;
    if (dir == COLO_SECONDARY) {
        /* The VM is the source. */
        key->vm_addr = p->src;
        key->vm_port = p->tcp->tcp_src;
        key->peer_addr = p->dst;
        key->peer_port = p->tcp->tcp_dst;
    } else {
        /* The VM is the destination. */
        key->vm_addr = p->dst;
        key->vm_port = p->tcp->tcp_dst;
        key->peer_addr = p->src;
        key->peer_port = p->tcp->tcp_src;
    }
}

static struct colo_conn *
colo_conn_find(const struct colo_zone *zone, const struct colo_key *key,
               uint32_t hash)
{
    struct colo_conn *conn;

    CMAP_FOR_EACH_WITH_HASH (conn, node, hash, &zone->conns) {
        if (!memcmp(&conn->key, key, sizeof *key)) {
            return conn;
        }
    }
    return NULL;
}

static void
colo_conn_remove(struct colo_zone *zone, struct colo_conn *conn,
                 enum colo_stat why)
    OVS_REQUIRES(zone->mutex)
{
    cmap_remove(&zone->conns, &conn->node, colo_key_hash(&conn->key));
    if (colo_conn_flags(conn) & COLO_F_CAND) {
        colo_cand_drop(zone, conn);
    }
    ovsrcu_postpone(free, conn);
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
        uint32_t age = zone->next_serial - conn->serial;

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
colo_conn_insert_new(struct colo_zone *zone, const struct colo_key *key,
                     uint32_t hash, long long int now)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_conn *conn = xzalloc(sizeof *conn);

    conn->key = *key;
    atomic_init(&conn->flags, 0);
    atomic_init(&conn->fin_vm_end, 0);
    atomic_init(&conn->fin_peer_end, 0);
    atomic_init(&conn->deltas, 0);
    atomic_init(&conn->used, (uint32_t) now);
    atomic_init(&conn->svm_ack_win, 0);
    atomic_init(&conn->wscale, 0);
    atomic_init(&conn->svm_isn, 0);
    atomic_init(&conn->svm_nxt, 0);
    conn->serial = zone->next_serial++;
    cmap_insert(&zone->conns, &conn->node, hash);
    colo_zone_count(zone, COLO_STAT_CONNS_CREATED);
    return conn;
}

/* Adds a new, empty entry for 'key' to 'zone', making room if the zone is
 * full.  Returns NULL if it cannot. */
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
        colo_zone_count(zone, COLO_STAT_PASS_ZONE_FULL);
        return NULL;
    }
    return colo_conn_insert_new(zone, key, hash, now);
}

/* The SVM's packet 'p' confirmed the candidate of 'conn': replaces 'conn'
 * by a new entry that has the candidate's handshake.  Returns the new
 * entry, or NULL if there is none (failover). */
static struct colo_conn *
colo_conn_replace_by_cand(struct colo_zone *zone, struct colo_conn *conn,
                          const struct colo_tcp *p, long long int now)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_conn *new_conn = NULL;
    bool failover;

    atomic_read_relaxed(&zone->failover, &failover);
    if (!failover) {
        /* The new entry goes in before the old one goes, so that a packet
         * looked up meanwhile without the mutex finds one of them: it takes
         * the old one's place in the bound. */
        new_conn = colo_conn_insert_new(zone, &conn->key,
                                        colo_key_hash(&conn->key), now);
        colo_cand_take(zone, new_conn, conn, p);
    }
    colo_conn_remove(zone, conn, COLO_STAT_CONNS_FREED);
    return new_conn;
}

enum colo_result
colo_table_process(struct colo_table *table, uint16_t zone_id,
                   enum colo_direction dir, struct dp_packet *packet,
                   long long int now)
{
    struct colo_zone *zone = colo_zone_get(table, zone_id);
    struct colo_conn *conn;
    struct colo_key key;
    struct colo_tcp p;
    uint32_t flags;
    uint32_t hash;

    switch (colo_parse(packet, &p)) {
    case COLO_PARSE_OK:
        break;
    case COLO_PARSE_NOT_TCP:
        colo_zone_count(zone, COLO_STAT_PASS_NOT_TCP);
        return COLO_RESULT_PASSED;
    case COLO_PARSE_BAD:
    default:
        colo_zone_count(zone, COLO_STAT_PASS_UNPARSEABLE);
        return COLO_RESULT_PASSED;
    }

    colo_key_init(&key, &p, dir);
    hash = colo_key_hash(&key);
lookup:
    conn = colo_conn_find(zone, &key, hash);
    flags = conn ? colo_conn_flags(conn) : 0;

    if (OVS_UNLIKELY(!(flags & COLO_F_LEARNED) || p.flags & TCP_SYN)) {
        /* Slow path: a handshake, or a connection not learned yet. */
        bool failover;

        if (!conn && !(p.flags & TCP_SYN)) {
            colo_zone_count(zone, COLO_STAT_PASS_UNLEARNED);
            return COLO_RESULT_PASSED;
        }

        atomic_read_relaxed(&zone->failover, &failover);
        ovs_mutex_lock(&zone->mutex);
        conn = colo_conn_find(zone, &key, hash);
        if (!conn) {
            /* Created below. */
        } else if (colo_cand_is_syn(conn, &p, dir)) {
            /* The old connection goes on until the SVM says otherwise. */
            colo_cand_offer(zone, conn, &p);
            ovs_mutex_unlock(&zone->mutex);
            atomic_store_relaxed(&conn->used, (uint32_t) now);
            colo_zone_count(zone, COLO_STAT_PASS_UNLEARNED);
            return COLO_RESULT_PASSED;
        } else if (colo_cand_confirmed(zone, conn, &p, dir,
                                       colo_conn_flags(conn))) {
            conn = colo_conn_replace_by_cand(zone, conn, &p, now);
            if (!conn) {
                ovs_mutex_unlock(&zone->mutex);
                colo_zone_count(zone, COLO_STAT_PASS_UNTRACKED);
                return COLO_RESULT_PASSED;
            }
        } else if (colo_conn_is_new_incarnation(conn, &p, dir)) {
            colo_conn_remove(zone, conn, COLO_STAT_CONNS_FREED);
            conn = NULL;
        }
        if (!conn) {
            if (failover) {
                ovs_mutex_unlock(&zone->mutex);
                colo_zone_count(zone, COLO_STAT_PASS_UNTRACKED);
                return COLO_RESULT_PASSED;
            }
            conn = colo_conn_create(table, zone, &key, hash, now);
            if (!conn) {
                ovs_mutex_unlock(&zone->mutex);
                return COLO_RESULT_PASSED;
            }
        }
        bool pvm_first = colo_conn_learn(conn, &p, dir);
        ovs_mutex_unlock(&zone->mutex);
        if (pvm_first) {
            static struct vlog_rate_limit order_rl
                = VLOG_RATE_LIMIT_INIT(1, 5);

            VLOG_INFO_RL(&order_rl, "zone %"PRIu16": the peer's %s came "
                         "before the SVM's %s; it passes unrewritten (the "
                         "SVM lags behind the PVM)", zone->id,
                         p.flags & TCP_SYN ? "SYN+ACK" : "ACK",
                         p.flags & TCP_SYN ? "SYN" : "SYN+ACK");
        }

        flags = colo_conn_flags(conn);
        atomic_store_relaxed(&conn->used, (uint32_t) now);
        if (!(flags & COLO_F_LEARNED)) {
            if (dir == COLO_SECONDARY) {
                colo_conn_note_svm_ack(conn, &p, flags);
            }
            if (p.flags & (TCP_FIN | TCP_RST)
                || flags & (COLO_F_FIN_VM | COLO_F_FIN_PEER)) {
                colo_conn_track_close(zone, conn, &p, dir, flags, 0);
            }
            colo_zone_count(zone, COLO_STAT_PASS_UNLEARNED);
            return COLO_RESULT_PASSED;
        }
    }

    if (OVS_UNLIKELY(flags & COLO_F_CAND)
        && colo_cand_match(zone, conn, &p, dir, flags) != COLO_CAND_OLD) {
        /* Maybe a packet of the candidate's connection: make sure with the
         * mutex, which candidates change only with. */
        ovs_mutex_lock(&zone->mutex);
        if (colo_conn_find(zone, &key, hash) != conn) {
            /* The candidate replaced 'conn' meanwhile: start again with
             * the new entry. */
            ovs_mutex_unlock(&zone->mutex);
            goto lookup;
        } else if (colo_cand_match(zone, conn, &p, dir, flags)
                   != COLO_CAND_NEW) {
            /* The old connection's after all. */
        } else if (dir == COLO_PRIMARY) {
            colo_cand_note(zone, conn, &p);
            ovs_mutex_unlock(&zone->mutex);
            colo_zone_count(zone, COLO_STAT_PASS_UNLEARNED);
            return COLO_RESULT_PASSED;
        } else if (colo_cand_confirmed(zone, conn, &p, dir, flags)) {
            conn = colo_conn_replace_by_cand(zone, conn, &p, now);
            if (!conn) {
                ovs_mutex_unlock(&zone->mutex);
                colo_zone_count(zone, COLO_STAT_PASS_UNTRACKED);
                return COLO_RESULT_PASSED;
            }
            flags = colo_conn_flags(conn);
        }
        ovs_mutex_unlock(&zone->mutex);
    }

    uint64_t deltas;
    atomic_read_relaxed(&conn->deltas, &deltas);
    atomic_store_relaxed(&conn->used, (uint32_t) now);
    if (dir == COLO_SECONDARY) {
        colo_conn_note_svm_ack(conn, &p, flags);
    }
    if (OVS_UNLIKELY(!(flags & COLO_F_ASSURED))) {
        colo_conn_assure(conn, &p, dir, flags, deltas >> 32);
    }
    if (OVS_UNLIKELY(p.flags & (TCP_FIN | TCP_RST)
                     || flags & (COLO_F_FIN_VM | COLO_F_FIN_PEER))) {
        colo_conn_track_close(zone, conn, &p, dir, flags, deltas >> 32);
    }
    colo_tcp_rewrite(&p, dir, flags, deltas, !colo_tcp_csum_deferred(packet));
    colo_zone_count(zone, COLO_STAT_REWRITTEN);
    return COLO_RESULT_REWRITTEN;
}

void
colo_table_process_batch(struct colo_table *table, uint16_t zone_id,
                         enum colo_direction dir,
                         struct dp_packet_batch *batch, long long int now)
{
    struct dp_packet *packet;

    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        colo_table_process(table, zone_id, dir, packet, now);
    }
}

/* Tables. */

struct colo_table *
colo_table_create(void)
{
    struct colo_table *table = xzalloc(sizeof *table);

    ovs_mutex_init(&table->mutex);
    cmap_init(&table->zones);
    atomic_init(&table->failover, false);
    atomic_init(&table->max_conns, COLO_DEFAULT_MAX_CONNS);
    atomic_init(&table->idle_timeout, COLO_DEFAULT_IDLE_TIMEOUT);
    atomic_init(&table->linger, COLO_DEFAULT_LINGER);
    return table;
}

void
colo_table_destroy(struct colo_table *table)
{
    struct colo_zone *zone;

    if (!table) {
        return;
    }

    CMAP_FOR_EACH (zone, node, &table->zones) {
        struct colo_conn *conn;

        CMAP_FOR_EACH (conn, node, &zone->conns) {
            free(conn);
        }
        cmap_destroy(&zone->conns);
        colo_cand_destroy_all(zone);
        ovs_mutex_destroy(&zone->mutex);
        free(zone);
    }
    cmap_destroy(&table->zones);
    ovs_mutex_destroy(&table->mutex);
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

void
colo_table_run(struct colo_table *table, long long int now)
{
    struct colo_config config;
    struct colo_zone *zone;

    colo_table_get_config(table, &config);
    CMAP_FOR_EACH (zone, node, &table->zones) {
        struct colo_conn *conn;

        ovs_mutex_lock(&zone->mutex);
        CMAP_FOR_EACH (conn, node, &zone->conns) {
            uint32_t flags = colo_conn_flags(conn);
            long long int idle = colo_conn_idle(conn, now);

            if (flags & COLO_F_CLOSED) {
                if (idle >= config.linger * 1000LL) {
                    colo_conn_remove(zone, conn, COLO_STAT_CONNS_FREED);
                }
            } else if (!(flags & COLO_F_LEARNED)) {
                if (idle >= COLO_HALF_OPEN_TIMEOUT * 1000LL) {
                    colo_conn_remove(zone, conn, COLO_STAT_CONNS_EXPIRED);
                }
            } else if (idle >= (flags & COLO_F_ASSURED
                                ? config.idle_timeout
                                : MIN(config.idle_timeout,
                                      COLO_UNASSURED_TIMEOUT)) * 1000LL) {
                colo_conn_remove(zone, conn, COLO_STAT_CONNS_EXPIRED);
            }
        }
        ovs_mutex_unlock(&zone->mutex);
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

static unsigned int
colo_zone_checkpoint(struct colo_zone *zone)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_conn *conn;
    unsigned int n = 0;

    CMAP_FOR_EACH (conn, node, &zone->conns) {
        if (colo_conn_flags(conn) & COLO_F_CAND) {
            colo_cand_checkpoint(zone, conn);
        }
        colo_conn_checkpoint(conn);
        n++;
    }
    return n;
}

unsigned int
colo_table_checkpoint(struct colo_table *table, int zone)
{
    unsigned int n = colo_table_for_zones(table, zone, false,
                                          colo_zone_checkpoint);

    /* Wait until every thread that might have read an old delta has
     * finished with its packet. */
    ovsrcu_synchronize();
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
    return sizeof(struct colo_conn);
}
