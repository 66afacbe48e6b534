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

#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "packets.h"

const char *
colo_stat_name(enum colo_stat stat)
{
    switch (stat) {
#define COLO_STAT(ENUM, NAME, DESCRIPTION) \
    case COLO_STAT_##ENUM: return NAME;
        COLO_STATS
#undef COLO_STAT
    case COLO_N_STATS:
    default:
        OVS_NOT_REACHED();
    }
}

const char *
colo_stat_description(enum colo_stat stat)
{
    switch (stat) {
#define COLO_STAT(ENUM, NAME, DESCRIPTION) \
    case COLO_STAT_##ENUM: return DESCRIPTION;
        COLO_STATS
#undef COLO_STAT
    case COLO_N_STATS:
    default:
        OVS_NOT_REACHED();
    }
}

const char *
colo_conn_state_name(enum colo_conn_state state)
{
    switch (state) {
    case COLO_CONN_LEARNING: return "learning";
    case COLO_CONN_ESTABLISHED: return "established";
    case COLO_CONN_CLOSING: return "closing";
    case COLO_CONN_CLOSED: return "closed";
    case COLO_N_CONN_STATES:
    default:
        OVS_NOT_REACHED();
    }
}

bool
colo_table_get_zone_stats(const struct colo_table *table, uint16_t zone_id,
                          struct colo_zone_stats *stats)
{
    struct colo_zone *zone = colo_zone_find(table, zone_id);
    const struct colo_conn *conn;

    memset(stats, 0, sizeof *stats);
    if (!zone) {
        /* A zone that has seen no packet follows the table's failover. */
        atomic_read_relaxed(&CONST_CAST(struct colo_table *, table)->failover,
                            &stats->failover);
        return false;
    }

    for (size_t i = 0; i < COLO_N_STATS; i++) {
        atomic_read_relaxed(&zone->counters[i], &stats->counters[i]);
    }
    atomic_read_relaxed(&zone->failover, &stats->failover);
    uint32_t epoch = colo_zone_epoch(zone);
    CMAP_FOR_EACH (conn, node, &zone->conns) {
        stats->n_by_state[colo_conn_state_at(conn, epoch)]++;
        stats->n_conns++;
    }
    return true;
}

static int
colo_compare_zones(const void *a_, const void *b_)
{
    const uint16_t *a = a_;
    const uint16_t *b = b_;

    return *a < *b ? -1 : *a > *b;
}

size_t
colo_table_get_zones(const struct colo_table *table, uint16_t **zonesp)
{
    const struct colo_zone *zone;
    size_t n = 0, allocated = 0;
    uint16_t *zones = NULL;

    CMAP_FOR_EACH (zone, node, &table->zones) {
        if (n >= allocated) {
            zones = x2nrealloc(zones, &allocated, sizeof *zones);
        }
        zones[n++] = zone->id;
    }
    *zonesp = zones;
    return colo_zones_sort_unique(zones, n);
}

size_t
colo_zones_sort_unique(uint16_t *zones, size_t n)
{
    size_t n_unique = 0;

    if (n) {
        qsort(zones, n, sizeof *zones, colo_compare_zones);
    }
    for (size_t i = 0; i < n; i++) {
        if (!n_unique || zones[i] != zones[n_unique - 1]) {
            zones[n_unique++] = zones[i];
        }
    }
    return n_unique;
}

static void
colo_format_endpoint(struct ds *s, const struct colo_key *key, bool vm)
{
    if (key->ipv6) {
        ipv6_format_addr_bracket(vm ? &key->ip6.vm : &key->ip6.peer, s,
                                 true);
    } else {
        ds_put_format(s, IP_FMT, IP_ARGS(vm ? key->ip4.vm : key->ip4.peer));
    }
    ds_put_format(s, ":%"PRIu16, ntohs(vm ? key->vm_port : key->peer_port));
}

static int
colo_compare_conns(const void *a_, const void *b_)
{
    const struct colo_conn *const *a = a_;
    const struct colo_conn *const *b = b_;

    struct colo_key ka_, kb_;
    const struct colo_key *ka = &ka_, *kb = &kb_;
    int cmp;

    colo_conn_get_key(*a, &ka_);
    colo_conn_get_key(*b, &kb_);

    /* IPv4 first, then by the addresses (the VM's, the peer's), then by
     * the ports, all in network byte order. */
    if (ka->ipv6 != kb->ipv6) {
        return ka->ipv6 - kb->ipv6;
    }
    cmp = (ka->ipv6
           ? memcmp(&ka->ip6, &kb->ip6, sizeof ka->ip6)
           : memcmp(&ka->ip4, &kb->ip4, sizeof ka->ip4));
    return cmp ? cmp : memcmp(ka, kb, 2 * sizeof(ovs_be16));
}

static void
colo_conn_format(const struct colo_conn *conn_, uint16_t zone,
                 long long int now, struct ds *s)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    uint32_t flags = colo_conn_flags(conn);
    uint32_t idle = colo_conn_idle(conn, now);
    struct colo_key key;
    uint64_t deltas;

    atomic_read_relaxed(&conn->deltas, &deltas);
    colo_conn_get_key(conn, &key);

    ds_put_format(s, "zone=%"PRIu16" vm=", zone);
    colo_format_endpoint(s, &key, true);
    ds_put_cstr(s, " peer=");
    colo_format_endpoint(s, &key, false);
    ds_put_format(s, " state=%s",
                  colo_conn_state_name(colo_conn_state(flags)));
    if (flags & COLO_F_LEARNED) {
        ds_put_format(s, " seq_delta=%"PRIu32, (uint32_t) (deltas >> 32));
    } else {
        ds_put_cstr(s, " seq_delta=none");
    }
    if (flags & COLO_F_TS) {
        ds_put_format(s, " ts_delta=%"PRIu32, (uint32_t) deltas);
    } else {
        ds_put_cstr(s, " ts_delta=none");
    }
    ds_put_format(s, " idle=%"PRIu32"s\n", idle / 1000);
}

unsigned int
colo_table_dump_conns(const struct colo_table *table, int zone_id,
                      long long int now, struct ds *s)
{
    uint16_t *zones;
    size_t n_zones = colo_table_get_zones(table, &zones);
    unsigned int n = 0;

    for (size_t i = 0; i < n_zones; i++) {
        struct colo_zone *zone = colo_zone_find(table, zones[i]);
        const struct colo_conn **conns = NULL;
        size_t n_conns = 0, allocated = 0;
        const struct colo_conn *conn;

        if (zone_id >= 0 && zone->id != zone_id) {
            continue;
        }

        /* Entries that a checkpoint made stale show their new deltas. */
        colo_zone_sync(zone);

        /* Sorted by key, so that two dumps compare line by line. */
        CMAP_FOR_EACH (conn, node, &zone->conns) {
            if (n_conns >= allocated) {
                conns = x2nrealloc(conns, &allocated, sizeof *conns);
            }
            conns[n_conns++] = conn;
        }
        if (n_conns) {
            qsort(conns, n_conns, sizeof *conns, colo_compare_conns);
        }
        for (size_t j = 0; j < n_conns; j++) {
            colo_conn_format(conns[j], zone->id, now, s);
        }
        n += n_conns;
        free(conns);
    }
    free(zones);
    return n;
}

