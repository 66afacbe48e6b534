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
#include "dpif.h"
#include "flow.h"
#include "odp-util.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(colo_xlate);

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

const char *
colo_xlate_explain(const struct ofpact_colo_rewrite *cr)
{
    return (cr->direction == COLO_PRIMARY
            ? "colo_rewrite: moves the ack, SACK edges and TSecr of a packet "
              "going into the SVM from the PVM's numbering into the SVM's "
              "(unchanged until the connection's handshake is learned)"
            : "colo_rewrite: moves the seq and TSval of a packet leaving the "
              "SVM from the SVM's numbering into the PVM's (unchanged until "
              "the connection's handshake is learned)");
}

bool
colo_probe_support(struct dpif *dpif)
{
    struct odputil_keybuf keybuf;
    uint64_t actbuf[8];
    struct ofpbuf actions;
    struct ofpbuf key;
    struct flow flow;
    bool supported;

    struct odp_flow_key_parms odp_parms = {
        .flow = &flow,
        .probe = true,
    };

    memset(&flow, 0, sizeof flow);
    ofpbuf_use_stack(&key, &keybuf, sizeof keybuf);
    odp_flow_key_from_flow(&odp_parms, &key);

    ofpbuf_use_stack(&actions, actbuf, sizeof actbuf);
    colo_odp_put_action(&actions, 0, COLO_PRIMARY);

    supported = dpif_probe_feature(dpif, "colo_rewrite", &key, &actions,
                                   NULL);
    VLOG_INFO("%s: Datapath %s colo_rewrite action", dpif_name(dpif),
              supported ? "supports" : "does not support");
    return supported;
}

enum ofperr
colo_report_unsupported(const char *dp_type)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    VLOG_WARN_RL(&rl, "Rejecting colo_rewrite action because datapath type "
                 "%s does not support it (the userspace datapath, "
                 "datapath_type=netdev, has it)", dp_type);
    return OFPERR_OFPBAC_BAD_TYPE;
}
