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

#endif /* colo-xlate.h */
