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

#ifndef COLO_ODP_H
#define COLO_ODP_H 1

/* The userspace-only OVS_ACTION_ATTR_COLO_REWRITE datapath action.
 *
 * Its argument is a struct ovs_action_colo_rewrite, in host byte order like
 * other Netlink attributes.  Text form, as shown by dpctl/dump-flows and
 * accepted by dpctl/add-flow:
 *
 *     colo_rewrite(zone=ZONE,primary|secondary)
 */

#include <stdint.h>
#include "colo-rewrite.h"

struct ds;
struct nlattr;
struct ofpbuf;

struct ovs_action_colo_rewrite {
    uint16_t zone;
    uint8_t direction;          /* enum colo_direction. */
    uint8_t pad;
};

void colo_odp_put_action(struct ofpbuf *odp_actions, uint16_t zone,
                         enum colo_direction);
void colo_odp_format_action(const struct nlattr *, struct ds *);
int colo_odp_parse_action(const char *s, struct ofpbuf *odp_actions);

#endif /* colo-odp.h */
