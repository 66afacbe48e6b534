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

#ifndef COLO_DPIF_NETDEV_H
#define COLO_DPIF_NETDEV_H 1

/* colo_rewrite in the userspace datapath.
 *
 * Each dpif-netdev datapath owns one colo_dp: the connection tables of all
 * its zones.  lib/dpif-netdev.c creates and destroys it with the datapath
 * and hands it every OVS_ACTION_ATTR_COLO_REWRITE to execute.  This file
 * also runs the thread that expires entries and provides the colo-rewrite/
 * ovs-appctl commands, which find the datapaths through a registry of their
 * own. */

#include <stdbool.h>

struct colo_config;
struct colo_dp;
struct dp_packet_batch;
struct nlattr;

/* Registers the ovs-appctl commands and starts the sweeper thread, once.
 * Called at startup, so that the commands exist (and say so) on a switch
 * without a userspace datapath. */
void colo_dp_init(void);

struct colo_dp *colo_dp_create(const char *dp_name);
void colo_dp_destroy(struct colo_dp *);
void colo_dp_execute(struct colo_dp *, struct dp_packet_batch *,
                     const struct nlattr *action, long long int now_ms);

/* Sets the settings of the datapath named 'dp_name', now if it exists,
 * otherwise when it is created. */
void colo_dp_set_config(const char *dp_name, const struct colo_config *);

/* Run a COLO event on zone 'zone' (0 to 65535, or -1 for every zone) of the
 * datapath named 'dp_name', from any thread, as the colo-rewrite/checkpoint
 * and colo-rewrite/failover commands do: colo_dp_checkpoint() returns once
 * no packet can still be rewritten with an old delta.  Each stores in
 * '*n_conns' the number of connections it reset or that stay tracked, and
 * returns false, doing nothing, if there is no such datapath. */
bool colo_dp_checkpoint(const char *dp_name, int zone, unsigned int *n_conns);
bool colo_dp_failover(const char *dp_name, int zone, unsigned int *n_conns);

#endif /* colo-dpif-netdev.h */
