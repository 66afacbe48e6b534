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

#include "colo-dpif-netdev.h"

#include <stdlib.h>
#include <string.h>

#include "colo-odp.h"
#include "colo-qmp.h"
#include "colo-rewrite.h"
#include "dp-packet.h"
#include "dpif.h"
#include "netdev.h"
#include "netlink.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "openvswitch/thread.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(colo_dpif_netdev);

/* A datapath's tables.
 *
 * The registry mutex protects 'colo_dps', not the tables: a thread that runs
 * an event on a table takes a reference under the mutex and runs the event
 * after releasing it.  colo_table_checkpoint() waits for every thread to
 * quiesce (ovsrcu_synchronize()), and a thread blocked on the registry
 * mutex is not quiescent, so running a checkpoint with the mutex held
 * could wait forever for a thread that waits for the mutex (the sweeper, the
 * main thread in an ovs-appctl command, the colo_qmp thread). */
struct colo_dp {
    struct ovs_list node;       /* In 'colo_dps'. */
    char *name;                 /* Datapath name, e.g. "ovs-netdev". */
    struct colo_table *table;
    struct ovs_refcount ref_cnt;
};

/* All colo_dps, for the unixctl commands and the sweeper. */
static struct ovs_mutex colo_dps_mutex = OVS_MUTEX_INITIALIZER;
static struct ovs_list colo_dps OVS_GUARDED_BY(colo_dps_mutex)
    = OVS_LIST_INITIALIZER(&colo_dps);

/* Datapath name -> struct colo_config, the settings from the database. */
static struct shash colo_configs OVS_GUARDED_BY(colo_dps_mutex)
    = SHASH_INITIALIZER(&colo_configs);

/* How often the sweeper thread expires entries, in msec. */
#define COLO_SWEEP_INTERVAL 1000

struct colo_dp *
colo_dp_create(const char *dp_name)
{
    struct colo_dp *dp = xzalloc(sizeof *dp);
    const struct colo_config *config;

    colo_dp_init();

    dp->name = xstrdup(dp_name);
    dp->table = colo_table_create();
    ovs_refcount_init(&dp->ref_cnt);

    ovs_mutex_lock(&colo_dps_mutex);
    config = shash_find_data(&colo_configs, dp_name);
    if (config) {
        colo_table_set_config(dp->table, config);
    }
    ovs_list_push_back(&colo_dps, &dp->node);
    ovs_mutex_unlock(&colo_dps_mutex);
    return dp;
}

static struct colo_dp *
colo_dp_ref(struct colo_dp *dp)
{
    ovs_refcount_ref(&dp->ref_cnt);
    return dp;
}

static void
colo_dp_unref(struct colo_dp *dp)
{
    if (dp && ovs_refcount_unref(&dp->ref_cnt) == 1) {
        colo_table_destroy(dp->table);
        free(dp->name);
        free(dp);
    }
}

/* Removes 'dp' from the registry.  Its tables go with the last reference:
 * at once, or when an event that runs on them in another thread ends. */
void
colo_dp_destroy(struct colo_dp *dp)
{
    if (dp) {
        ovs_mutex_lock(&colo_dps_mutex);
        ovs_list_remove(&dp->node);
        ovs_mutex_unlock(&colo_dps_mutex);

        colo_dp_unref(dp);
    }
}

void
colo_dp_execute(struct colo_dp *dp, struct dp_packet_batch *batch,
                const struct nlattr *action, long long int now_ms)
{
    const struct ovs_action_colo_rewrite *cr = nl_attr_get(action);

    colo_table_process_batch(dp->table, cr->zone, cr->direction, batch,
                             now_ms);
}

void
colo_dp_set_config(const char *dp_name, const struct colo_config *config)
{
    struct colo_config *old;
    struct colo_dp *dp;

    ovs_mutex_lock(&colo_dps_mutex);
    old = shash_find_data(&colo_configs, dp_name);
    if (old && !memcmp(old, config, sizeof *config)) {
        ovs_mutex_unlock(&colo_dps_mutex);
        return;
    }
    if (!old) {
        old = xmalloc(sizeof *old);
        shash_add(&colo_configs, dp_name, old);
    }
    *old = *config;

    LIST_FOR_EACH (dp, node, &colo_dps) {
        if (!strcmp(dp->name, dp_name)) {
            colo_table_set_config(dp->table, config);
            VLOG_INFO("%s: colo_rewrite max-conns=%u idle-timeout=%us "
                      "linger=%us", dp_name, config->max_conns,
                      config->idle_timeout, config->linger);
        }
    }
    ovs_mutex_unlock(&colo_dps_mutex);
}

/* ovs-appctl commands.
 *
 * Each takes an optional ZONE and covers every zone without it.  Their
 * output is documented in ovs-colo(7) and kept stable for scripts. */

/* Parses the optional ZONE argument of a command into '*zone' (-1 for every
 * zone).  Returns false after replying with an error if it is bad. */
static bool
colo_unixctl_parse_zone(struct unixctl_conn *conn, int argc,
                        const char *argv[], int *zone)
{
    *zone = -1;
    if (argc > 1) {
        unsigned int n;

        if (!str_to_uint(argv[1], 10, &n) || n > UINT16_MAX) {
            struct ds s = DS_EMPTY_INITIALIZER;

            ds_put_format(&s, "invalid zone \"%s\": expected a number from "
                          "0 to 65535", argv[1]);
            unixctl_command_reply_error(conn, ds_cstr(&s));
            ds_destroy(&s);
            return false;
        }
        *zone = n;
    }
    return true;
}

/* Starts a command: parses its ZONE into '*zone' and locks the registry.
 * Returns false after replying with an error, with the registry unlocked,
 * if the zone is bad or there is no userspace datapath. */
static bool
colo_unixctl_start(struct unixctl_conn *conn, int argc, const char *argv[],
                   int *zone)
    OVS_TRY_LOCK(true, colo_dps_mutex)
{
    if (!colo_unixctl_parse_zone(conn, argc, argv, zone)) {
        return false;
    }

    ovs_mutex_lock(&colo_dps_mutex);
    if (ovs_list_is_empty(&colo_dps)) {
        ovs_mutex_unlock(&colo_dps_mutex);
        unixctl_command_reply_error(conn, "no userspace datapath: "
                                    "colo_rewrite needs a bridge with "
                                    "datapath_type=netdev");
        return false;
    }
    return true;
}

/* Ends a command started with colo_unixctl_start(): unlocks the registry
 * and sends 's' as the reply. */
static void
colo_unixctl_finish(struct unixctl_conn *conn, struct ds *s)
    OVS_RELEASES(colo_dps_mutex)
{
    ovs_mutex_unlock(&colo_dps_mutex);
    unixctl_command_reply(conn, ds_cstr(s));
    ds_destroy(s);
}

/* Returns the zones that a command with ZONE 'zone' covers in 'dp'. */
static size_t
colo_unixctl_zones(const struct colo_dp *dp, int zone, uint16_t **zones)
{
    if (zone >= 0) {
        *zones = xmalloc(sizeof **zones);
        **zones = zone;
        return 1;
    }
    return colo_table_get_zones(dp->table, zones);
}

/* Puts a "datapath NAME:" line before each datapath's part of a reply, when
 * there is more than one datapath ('n_dps' of them). */
static void
colo_unixctl_put_dp(struct ds *s, const struct colo_dp *dp, size_t n_dps)
{
    if (n_dps > 1) {
        ds_put_format(s, "datapath %s:\n", dp->name);
    }
}

/* Stores in '*dps' a malloc()'d array of references to every datapath, in
 * registry order, and returns their number.  Release each with
 * colo_dp_unref(). */
static size_t
colo_dps_ref_all(struct colo_dp ***dps)
    OVS_REQUIRES(colo_dps_mutex)
{
    size_t n = 0;
    struct colo_dp *dp;

    *dps = xmalloc(ovs_list_size(&colo_dps) * sizeof **dps);
    LIST_FOR_EACH (dp, node, &colo_dps) {
        (*dps)[n++] = colo_dp_ref(dp);
    }
    return n;
}

/* Appends the 'n_b' zones in 'b' to the 'n_a' in '*a', which may be
 * reallocated, and returns how many zones '*a' holds, sorted, without
 * duplicates.  Frees 'b'. */
static size_t
colo_merge_zones(uint16_t **a, size_t n_a, uint16_t *b, size_t n_b)
{
    *a = xrealloc(*a, MAX(n_a + n_b, 1) * sizeof **a);
    memcpy(*a + n_a, b, n_b * sizeof *b);
    free(b);
    return colo_zones_sort_unique(*a, n_a + n_b);
}

/* Appends to 's' the counters of 'name' that say it lost frames ("NAME
 * tx_dropped=N ..."), or nothing if it lost none.  Counters a netdev does not
 * keep (UINT64_MAX) count as 0. */
static void
colo_put_netdev_drops(struct ds *s, const char *name,
                      const struct netdev_stats *st)
{
    const struct {
        const char *name;
        uint64_t value;
    } counters[] = {
        { "rx_dropped", st->rx_dropped },
        { "rx_errors", st->rx_errors },
        { "tx_dropped", st->tx_dropped },
        { "tx_errors", st->tx_errors },
    };
    bool named = false;

    for (size_t i = 0; i < ARRAY_SIZE(counters); i++) {
        uint64_t value = counters[i].value;

        if (value && value != UINT64_MAX) {
            if (!named) {
                ds_put_format(s, "%s%s", s->length ? ", " : "", name);
                named = true;
            }
            ds_put_format(s, " %s=%"PRIu64, counters[i].name, value);
        }
    }
}

/* Stores in 'lines' (name to malloc()'d string) a "ports: ..." line for each
 * userspace datapath: the ports that dropped frames or failed to send or
 * receive them, with those counters, or "no drops".  The path into the SVM
 * cannot lose a frame without the SVM and the PVM drifting apart, so the
 * operator needs to see its drops where the zones are shown.
 *
 * Runs without 'colo_dps_mutex': opening a datapath takes locks that are
 * held while colo_dp_create() takes that mutex. */
static void
colo_get_port_drops(struct shash *lines)
{
    const char *type;
    struct sset types;

    sset_init(&types);
    dp_enumerate_types(&types);
    SSET_FOR_EACH (type, &types) {
        const char *name;
        struct sset names;

        if (strcmp(type, "netdev") && strcmp(type, "dummy")) {
            continue;
        }
        sset_init(&names);
        dp_enumerate_names(type, &names);
        SSET_FOR_EACH (name, &names) {
            struct ds drops = DS_EMPTY_INITIALIZER;
            struct dpif_port_dump dump;
            struct dpif_port port;
            struct dpif *dpif;

            if (dpif_open(name, type, &dpif)) {
                continue;
            }
            DPIF_PORT_FOR_EACH (&port, &dump, dpif) {
                struct netdev_stats stats;
                struct netdev *netdev;

                if (!netdev_open(port.name, port.type, &netdev)) {
                    if (!netdev_get_stats(netdev, &stats)) {
                        colo_put_netdev_drops(&drops, port.name, &stats);
                    }
                    netdev_close(netdev);
                }
            }
            dpif_close(dpif);

            free(shash_replace(lines, name,
                               xasprintf("ports: %s", (drops.length
                                                       ? ds_cstr(&drops)
                                                       : "no drops"))));
            ds_destroy(&drops);
        }
        sset_destroy(&names);
    }
    sset_destroy(&types);
}

static void
colo_unixctl_show(struct unixctl_conn *conn, int argc, const char *argv[],
                  void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct shash port_drops;
    struct colo_dp *dp;
    int zone;

    shash_init(&port_drops);
    colo_get_port_drops(&port_drops);
    if (!colo_unixctl_start(conn, argc, argv, &zone)) {
        shash_destroy_free_data(&port_drops);
        return;
    }
    LIST_FOR_EACH (dp, node, &colo_dps) {
        struct colo_config config;
        uint16_t *zones;
        size_t n_zones;

        colo_table_get_config(dp->table, &config);
        ds_put_format(&s, "datapath %s: max-conns=%u idle-timeout=%u "
                      "linger=%u\n", dp->name, config.max_conns,
                      config.idle_timeout, config.linger);
        if (shash_find(&port_drops, dp->name)) {
            ds_put_format(&s, "%s\n",
                          (char *) shash_find_data(&port_drops, dp->name));
        }

        n_zones = colo_unixctl_zones(dp, zone, &zones);
        if (zone < 0) {
            /* Also the zones that have a QMP link but no packet yet. */
            uint16_t *qmp_zones;
            size_t n_qmp = colo_qmp_get_zones(dp->name, &qmp_zones);

            n_zones = colo_merge_zones(&zones, n_zones, qmp_zones, n_qmp);
        }
        for (size_t i = 0; i < n_zones; i++) {
            struct colo_zone_stats stats;

            colo_table_get_zone_stats(dp->table, zones[i], &stats);
            ds_put_format(&s, "zone %"PRIu16":\n", zones[i]);
            ds_put_format(&s, "  connections: %u\n", stats.n_conns);
            for (int st = 0; st < COLO_N_CONN_STATES; st++) {
                ds_put_format(&s, "  %s: %u\n", colo_conn_state_name(st),
                              stats.n_by_state[st]);
            }
            ds_put_format(&s, "  bound: %u\n", config.max_conns);
            ds_put_format(&s, "  failover: %s\n",
                          stats.failover ? "yes" : "no");
            for (int st = 0; st < COLO_N_STATS; st++) {
                ds_put_format(&s, "  %s: %"PRIu64"\n", colo_stat_name(st),
                              stats.counters[st]);
            }
            colo_qmp_format_zone(dp->name, zones[i], &s);
        }
        free(zones);
    }
    shash_destroy_free_data(&port_drops);
    colo_unixctl_finish(conn, &s);
}

static void
colo_unixctl_dump_conns(struct unixctl_conn *conn, int argc,
                        const char *argv[], void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct colo_dp *dp;
    int zone;

    if (!colo_unixctl_start(conn, argc, argv, &zone)) {
        return;
    }
    LIST_FOR_EACH (dp, node, &colo_dps) {
        colo_unixctl_put_dp(&s, dp, ovs_list_size(&colo_dps));
        colo_table_dump_conns(dp->table, zone, time_msec(), &s);
    }
    colo_unixctl_finish(conn, &s);
}

/* What the event commands do to one zone, and how they report it. */
struct colo_event {
    unsigned int (*run)(struct colo_table *, int zone);
    const char *what;           /* "reset", ... after "N connection(s)". */

    /* If nonnull, the event also applies to zones that have seen no packet
     * yet when it covers every zone, and this line says so. */
    const char *all_zones;
};

static void
colo_unixctl_event(struct unixctl_conn *conn, int argc, const char *argv[],
                   void *event_)
{
    const struct colo_event *event = event_;
    struct ds s = DS_EMPTY_INITIALIZER;
    struct colo_dp **dps;
    size_t n_dps;
    int zone;

    if (!colo_unixctl_start(conn, argc, argv, &zone)) {
        return;
    }
    /* The events run without the registry mutex: see struct colo_dp. */
    n_dps = colo_dps_ref_all(&dps);
    ovs_mutex_unlock(&colo_dps_mutex);

    for (size_t d = 0; d < n_dps; d++) {
        struct colo_dp *dp = dps[d];
        uint16_t *zones;
        size_t n_zones;

        colo_unixctl_put_dp(&s, dp, n_dps);
        n_zones = colo_unixctl_zones(dp, zone, &zones);
        for (size_t i = 0; i < n_zones; i++) {
            unsigned int n = event->run(dp->table, zones[i]);

            ds_put_format(&s, "zone %"PRIu16": %u connection%s %s\n",
                          zones[i], n, n == 1 ? "" : "s", event->what);
        }
        if (zone < 0) {
            if (event->all_zones) {
                event->run(dp->table, -1);
                ds_put_format(&s, "all zones: %s\n", event->all_zones);
            } else if (!n_zones) {
                ds_put_cstr(&s, "no zone has seen a packet\n");
            }
        }
        free(zones);
        colo_dp_unref(dp);
    }
    free(dps);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

static const struct colo_event colo_checkpoint_event = {
    colo_table_checkpoint, "reset", NULL,
};

static const struct colo_event colo_failover_event = {
    colo_table_failover, "still tracked, new ones not",
    "new connections are no longer tracked",
};

static const struct colo_event colo_flush_event = {
    colo_table_flush, "flushed", NULL,
};

/* Runs 'event' on zone 'zone' (or every zone, if -1) of the datapath named
 * 'dp_name' and stores what its run() returned in '*n'.  Returns false if
 * there is no such datapath. */
static bool
colo_dp_run_event(const char *dp_name, int zone,
                  const struct colo_event *event, unsigned int *n)
{
    struct colo_dp *dp, *found = NULL;

    ovs_mutex_lock(&colo_dps_mutex);
    LIST_FOR_EACH (dp, node, &colo_dps) {
        if (!strcmp(dp->name, dp_name)) {
            found = colo_dp_ref(dp);
            break;
        }
    }
    ovs_mutex_unlock(&colo_dps_mutex);

    *n = 0;
    if (!found) {
        return false;
    }
    /* Without the registry mutex: see struct colo_dp. */
    *n = event->run(found->table, zone);
    colo_dp_unref(found);
    return true;
}

bool
colo_dp_checkpoint(const char *dp_name, int zone, unsigned int *n_conns)
{
    return colo_dp_run_event(dp_name, zone, &colo_checkpoint_event, n_conns);
}

bool
colo_dp_failover(const char *dp_name, int zone, unsigned int *n_conns)
{
    return colo_dp_run_event(dp_name, zone, &colo_failover_event, n_conns);
}

/* Expires the entries of every datapath, off the packet path. */
static void *
colo_sweeper_main(void *arg OVS_UNUSED)
{
    for (;;) {
        struct colo_dp *dp;

        ovs_mutex_lock(&colo_dps_mutex);
        LIST_FOR_EACH (dp, node, &colo_dps) {
            colo_table_run(dp->table, time_msec());
        }
        ovs_mutex_unlock(&colo_dps_mutex);

        poll_timer_wait(COLO_SWEEP_INTERVAL);
        poll_block();
    }
    return NULL;
}

void
colo_dp_init(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;

    if (ovsthread_once_start(&once)) {
        unixctl_command_register("colo-rewrite/show", "[ZONE]", 0, 1,
                                 colo_unixctl_show, NULL);
        unixctl_command_register("colo-rewrite/dump-conns", "[ZONE]", 0, 1,
                                 colo_unixctl_dump_conns, NULL);
        unixctl_command_register("colo-rewrite/checkpoint", "[ZONE]", 0, 1,
                                 colo_unixctl_event,
                                 CONST_CAST(struct colo_event *,
                                            &colo_checkpoint_event));
        unixctl_command_register("colo-rewrite/failover", "[ZONE]", 0, 1,
                                 colo_unixctl_event,
                                 CONST_CAST(struct colo_event *,
                                            &colo_failover_event));
        unixctl_command_register("colo-rewrite/flush", "[ZONE]", 0, 1,
                                 colo_unixctl_event,
                                 CONST_CAST(struct colo_event *,
                                            &colo_flush_event));
        ovs_thread_create("colo_sweeper", colo_sweeper_main, NULL);
        ovsthread_once_done(&once);
    }
}
