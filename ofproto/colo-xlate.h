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

#ifndef COLO_XLATE_H
#define COLO_XLATE_H 1

#include <stdbool.h>
#include "openvswitch/ofp-errors.h"

struct dpif;
struct flow;
struct flow_wildcards;
struct ofpact_colo_rewrite;
struct ofpbuf;

/* Translates the OpenFlow colo_rewrite action 'cr' into the datapath action
 * OVS_ACTION_ATTR_COLO_REWRITE, appended to 'odp_actions'.  A zone taken
 * from a field is read from 'flow' and unwildcarded in 'wc', unless 'frozen'
 * (the translation resumes a recirculation) and the field is frozen
 * metadata. */
void colo_xlate_rewrite(const struct ofpact_colo_rewrite *cr,
                        const struct flow *flow, struct flow_wildcards *wc,
                        bool frozen, struct ofpbuf *odp_actions);

/* Returns a description of what 'cr' does to a packet, for ofproto/trace. */
const char *colo_xlate_explain(const struct ofpact_colo_rewrite *cr);

/* Returns true if 'dpif' executes OVS_ACTION_ATTR_COLO_REWRITE.  Only the
 * userspace datapath does. */
bool colo_probe_support(struct dpif *);

/* Logs that a flow with colo_rewrite was refused because the datapath of
 * type 'dp_type' lacks the action, and returns the OpenFlow error to send
 * back. */
enum ofperr colo_report_unsupported(const char *dp_type);

#endif /* colo-xlate.h */
