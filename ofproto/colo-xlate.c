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

#include "colo-xlate.h"

#include <string.h>

#include "colo-odp.h"
#include "flow.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"

void
colo_xlate_rewrite(const struct ofpact_colo_rewrite *cr,
                   const struct flow *flow, struct flow_wildcards *wc,
                   bool frozen, struct ofpbuf *odp_actions)
{
    uint16_t zone = cr->zone_imm;

    if (cr->zone_src.field) {
        zone = mf_get_subfield(&cr->zone_src, flow);

        /* After recirculation, frozen metadata is already part of the
         * recirc_id, so only other fields need to be matched. */
        if (!frozen || !mf_is_frozen_metadata(cr->zone_src.field)) {
            union mf_subvalue exact;

            memset(&exact, 0xff, sizeof exact);
            mf_write_subfield_flow(&cr->zone_src, &exact, &wc->masks);
        }
    }
    colo_odp_put_action(odp_actions, zone, cr->direction);
}
