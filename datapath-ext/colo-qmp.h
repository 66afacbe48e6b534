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

#ifndef COLO_QMP_H
#define COLO_QMP_H 1

/* QMP links: QEMU COLO events as colo_rewrite checkpoints and failovers.
 *
 * For each (datapath, zone) given a target (Bridge other_config
 * colo-qmp-ZONE=TARGET, see colo-config.c), a client in the "colo_qmp"
 * thread connects to the QMP monitor of the secondary QEMU, negotiates
 * capabilities and follows its events:
 *
 *   - STOP: asks query-status where the SVM stopped.
 *
 *   - RESUME runs the zone's checkpoint at once, in the colo_qmp thread, if
 *
 *       (a) the last mode query-colo-status reported is "secondary" and the
 *           last query-status reply that arrived after the STOP before this
 *           RESUME (or, if no STOP came since the link was negotiated, after
 *           negotiation) does not report a status other than "colo" or
 *           "running" (a stop by the operator is "paused": no checkpoint),
 *           or
 *
 *       (b) the last status known before this RESUME is "inmigrate": the
 *           secondary enters COLO.
 *
 *     Then the status is "running", and query-colo-status is asked again.
 *
 *   - COLO_EXIT runs the zone's failover; the mode becomes "none".
 *
 * The thread has a poll loop of its own, so that a busy main thread never
 * delays a checkpoint.  Lost connections are retried with a backoff of 1 to
 * 8 seconds. */

#include <stddef.h>
#include <stdint.h>

struct ds;

/* One QMP link. */
struct colo_qmp_target {
    char *dp_name;              /* Datapath name, e.g. "ovs-netdev". */
    uint16_t zone;
    char *target;               /* Active stream, e.g. "unix:/run/svm.qmp". */
};

/* Makes 'targets' (at most one for each datapath and zone) the set of QMP
 * links: links not in it are closed, new ones opened, a link whose target
 * changed is reopened.  Starts the colo_qmp thread the first time there is
 * a link. */
void colo_qmp_set_targets(const struct colo_qmp_target *targets, size_t n);

/* Returns NULL if 'target' is a valid TARGET (unix:PATH or tcp:IP:PORT),
 * otherwise a malloc()'d explanation of what is wrong. */
char *colo_qmp_check_target(const char *target);

/* Stores in '*zones' a malloc()'d array of the zones of datapath 'dp_name'
 * that have a QMP link, in no particular order, and returns their number. */
size_t colo_qmp_get_zones(const char *dp_name, uint16_t **zones);

/* Appends the "  qmp..." lines of colo-rewrite/show for 'zone' of datapath
 * 'dp_name' to 'ds', if it has a QMP link. */
void colo_qmp_format_zone(const char *dp_name, uint16_t zone, struct ds *);

#endif /* colo-qmp.h */
