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

#include <errno.h>
#include <stdlib.h>

#include "colo-odp.h"
#include "colo-rewrite.h"
#include "dp-packet.h"
#include "netlink.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/thread.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(colo_dpif_netdev);

struct colo_dp {
    struct ovs_list node;       /* In 'colo_dps'. */
    char *name;                 /* Datapath name, e.g. "ovs-netdev". */
    struct colo_table *table;
};

/* All colo_dps, for the unixctl commands. */
static struct ovs_mutex colo_dps_mutex = OVS_MUTEX_INITIALIZER;
static struct ovs_list colo_dps OVS_GUARDED_BY(colo_dps_mutex)
    = OVS_LIST_INITIALIZER(&colo_dps);

/* How often the sweeper thread expires entries, in msec. */
#define COLO_SWEEP_INTERVAL 1000

static void colo_init(void);

struct colo_dp *
colo_dp_create(const char *dp_name)
{
    struct colo_dp *dp = xzalloc(sizeof *dp);

    colo_init();

    dp->name = xstrdup(dp_name);
    dp->table = colo_table_create();

    ovs_mutex_lock(&colo_dps_mutex);
    ovs_list_push_back(&colo_dps, &dp->node);
    ovs_mutex_unlock(&colo_dps_mutex);
    return dp;
}

void
colo_dp_destroy(struct colo_dp *dp)
{
    if (dp) {
        ovs_mutex_lock(&colo_dps_mutex);
        ovs_list_remove(&dp->node);
        ovs_mutex_unlock(&colo_dps_mutex);

        colo_table_destroy(dp->table);
        free(dp->name);
        free(dp);
    }
}

void
colo_dp_execute(struct colo_dp *dp, struct dp_packet_batch *batch,
                const struct nlattr *action, long long int now_ms)
{
    const struct ovs_action_colo_rewrite *cr = nl_attr_get(action);
    struct dp_packet *packet;

    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        colo_table_process(dp->table, cr->zone, cr->direction, packet,
                           now_ms);
    }
}

/* ovs-appctl commands. */

/* Parses the optional ZONE argument of a command into '*zone' (-1 for every
 * zone).  Returns false after replying with an error if it is bad. */
static bool
colo_unixctl_parse_zone(struct unixctl_conn *conn, int argc,
                        const char *argv[], int *zone)
{
    *zone = -1;
    if (argc > 1) {
        char *tail;
        long int n;

        errno = 0;
        n = strtol(argv[1], &tail, 10);
        if (!argv[1][0] || *tail || errno || n < 0 || n > UINT16_MAX) {
            unixctl_command_reply_error(conn, "invalid zone: expected a "
                                        "number from 0 to 65535");
            return false;
        }
        *zone = n;
    }
    return true;
}

static void
colo_unixctl_dump_conns(struct unixctl_conn *conn, int argc,
                        const char *argv[], void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct colo_dp *dp;
    int zone;

    if (!colo_unixctl_parse_zone(conn, argc, argv, &zone)) {
        return;
    }

    ovs_mutex_lock(&colo_dps_mutex);
    if (ovs_list_is_empty(&colo_dps)) {
        ovs_mutex_unlock(&colo_dps_mutex);
        unixctl_command_reply_error(conn, "no userspace datapath: "
                                    "colo_rewrite needs a bridge with "
                                    "datapath_type=netdev");
        return;
    }
    LIST_FOR_EACH (dp, node, &colo_dps) {
        colo_table_dump_conns(dp->table, zone, time_msec(), &s);
    }
    ovs_mutex_unlock(&colo_dps_mutex);

    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
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

static void
colo_init(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;

    if (ovsthread_once_start(&once)) {
        unixctl_command_register("colo-rewrite/dump-conns", "[ZONE]", 0, 1,
                                 colo_unixctl_dump_conns, NULL);
        ovs_thread_create("colo_sweeper", colo_sweeper_main, NULL);
        ovsthread_once_done(&once);
    }
}
