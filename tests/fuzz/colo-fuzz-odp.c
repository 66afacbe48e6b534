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


/* libFuzzer target for the colo_rewrite datapath action (lib/colo-odp.c).
 *
 * An input whose first byte is 0 is Netlink-encoded colo_rewrite datapath
 * actions of any length, formatted as ovs-appctl dpctl/dump-flows shows
 * them; any other input is the text of datapath
 * actions, parsed as dpctl/add-flow parses it.  Each colo_rewrite action
 * that parses must format back to text that parses to the same action. */

#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink.h"
#include "odp-netlink.h"
#include "odp-util.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Returns true if the 'size' bytes at 'actions' are well-formed Netlink
 * attributes, all OVS_ACTION_ATTR_COLO_REWRITE, whatever their length.
 * Upstream's format_odp_actions() takes actions that the datapath has
 * validated, and asserts on malformed nested ones; the colo_rewrite action
 * has nothing nested, and its length is what is checked. */
static bool
only_colo_rewrite(const struct nlattr *actions, size_t size)
{
    const struct nlattr *a;
    size_t left;

    NL_ATTR_FOR_EACH (a, left, actions, size) {
        if (nl_attr_type(a) != OVS_ACTION_ATTR_COLO_REWRITE) {
            return false;
        }
    }
    return !left;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!initialized) {
        initialized = true;
        vlog_set_verbosity("off");
    }

    if (size >= 1 && data[0] == 0) {
        /* Netlink attributes must be 4-byte aligned. */
        struct ofpbuf nl;

        ofpbuf_init(&nl, size);
        ofpbuf_put(&nl, data + 1, size - 1);
        if (only_colo_rewrite(nl.data, nl.size & ~3u)) {
            format_odp_actions(&s, nl.data, nl.size & ~3u, NULL);
        }
        ofpbuf_uninit(&nl);
    } else {
        char *text = xmemdup0((const char *) data, size);
        struct ofpbuf actions, again;

        ofpbuf_init(&actions, 64);
        ofpbuf_init(&again, 64);
        if (!odp_actions_from_string(text, NULL, &actions)) {
            const struct nlattr *a;
            size_t left;

            /* Each colo_rewrite action alone: the text of other actions
             * need not parse back (upstream's own business). */
            NL_ATTR_FOR_EACH (a, left, actions.data, actions.size) {
                if (nl_attr_type(a) != OVS_ACTION_ATTR_COLO_REWRITE) {
                    continue;
                }
                ds_clear(&s);
                format_odp_actions(&s, a, a->nla_len, NULL);
                ofpbuf_clear(&again);
                if (odp_actions_from_string(ds_cstr(&s), NULL, &again)
                    || again.size != NLA_ALIGN(a->nla_len)
                    || memcmp(again.data, a, a->nla_len)) {
                    ovs_abort(0, "colo-fuzz-odp: in \"%s\", %s does not "
                              "parse back the same", text, ds_cstr(&s));
                }
            }
        }
        ofpbuf_uninit(&actions);
        ofpbuf_uninit(&again);
        free(text);
    }
    ds_destroy(&s);
    return 0;
}
