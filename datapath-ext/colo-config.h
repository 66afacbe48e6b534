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

#ifndef COLO_CONFIG_H
#define COLO_CONFIG_H 1

/* colo_rewrite settings from the database.
 *
 * Bridge other_config keys colo-max-conns, colo-idle-timeout and colo-linger
 * (documented in ovs-vswitchd.conf.db(5)) set the colo_config of the
 * bridge's datapath.  Bridges of one datapath type share one datapath;
 * where they disagree, the smallest value wins.  An invalid value is logged
 * with its key and ignored: the bridge's previous value stays in force.
 *
 * Keys colo-qmp-ZONE=TARGET give the QMP link of each zone (colo-qmp.h);
 * where two bridges of a datapath disagree, the bridge whose name sorts
 * first wins. */

struct ovsrec_open_vswitch;

void colo_configure(const struct ovsrec_open_vswitch *);

#endif /* colo-config.h */
