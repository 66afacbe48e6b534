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

#include "colo-odp.h"

#include <errno.h>
#include <string.h>

#include "netlink.h"
#include "odp-netlink.h"
#include "ofp-colo.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "util.h"

void
colo_odp_put_action(struct ofpbuf *odp_actions, uint16_t zone,
                    enum colo_direction direction)
{
    struct ovs_action_colo_rewrite cr = {
        .zone = zone,
        .direction = direction,
    };

    nl_msg_put_unspec(odp_actions, OVS_ACTION_ATTR_COLO_REWRITE,
                      &cr, sizeof cr);
}

void
colo_odp_format_action(const struct nlattr *a, struct ds *s)
{
    const struct ovs_action_colo_rewrite *cr = nl_attr_get(a);

    ds_put_format(s, "colo_rewrite(zone=%"PRIu16",", cr->zone);
    if (cr->direction == COLO_PRIMARY || cr->direction == COLO_SECONDARY) {
        ds_put_format(s, "%s)", colo_direction_to_string(cr->direction));
    } else {
        ds_put_format(s, "direction=%"PRIu8")", cr->direction);
    }
}

/* Parses "colo_rewrite(...)" at the start of 's' into 'odp_actions'.
 * Returns the number of bytes parsed, or -EINVAL. */
int
colo_odp_parse_action(const char *s, struct ofpbuf *odp_actions)
{
    const char *open = strchr(s, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    enum colo_direction direction;
    uint16_t zone;
    char *args, *error;

    if (!close) {
        return -EINVAL;
    }

    args = xmemdup0(open + 1, close - open - 1);
    error = colo_parse_args(args, &zone, NULL, &direction);
    free(args);
    if (error) {
        free(error);
        return -EINVAL;
    }

    colo_odp_put_action(odp_actions, zone, direction);
    return close - s + 1;
}
