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


/* libFuzzer target for the colo_rewrite OpenFlow action (lib/ofp-colo.c).
 *
 * An input whose first byte is 0 is OpenFlow actions, in the version that
 * the second byte picks, decoded as a switch would decode a flow_mod's;
 * any other input is the text of actions, parsed as ovs-ofctl parses
 * them.  Whatever decodes or parses must come back the same through
 * encoding in every OpenFlow version that can carry it and decoding again:
 * the text formatted before and after must be equal.  Anything else must
 * be refused with an error, never crash. */

#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Returns the text of the colo_rewrite actions among 'ofpacts' (other
 * actions may legitimately change form from one OpenFlow version to
 * another). */
static char *
format(const struct ofpbuf *ofpacts)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofpact_format_params fp = { .s = &s };
    const struct ofpact *a;

    OFPACT_FOR_EACH (a, ofpacts->data, ofpacts->size) {
        if (a->type == OFPACT_COLO_REWRITE) {
            ofpacts_format(a, OFPACT_ALIGN(a->len), &fp);
            ds_put_char(&s, ';');
        }
    }
    return ds_steal_cstr(&s);
}

/* Encodes 'ofpacts' in every OpenFlow version and checks that each decodes
 * back to the same text. */
static void
check_round_trip(const struct ofpbuf *ofpacts)
{
    char *text = format(ofpacts);

    for (enum ofp_version v = OFP10_VERSION; v <= OFP15_VERSION; v++) {
        struct ofpbuf openflow, decoded;

        ofpbuf_init(&openflow, 64);
        ofpbuf_init(&decoded, 64);
        ofpacts_put_openflow_actions(ofpacts->data, ofpacts->size,
                                     &openflow, v);
        size_t len = openflow.size;
        if (!ofpacts_pull_openflow_actions(&openflow, len, v, NULL, NULL,
                                           &decoded)) {
            char *again = format(&decoded);

            if (strcmp(text, again)) {
                ovs_abort(0, "colo-fuzz-ofp: OpenFlow 0x%02x: \"%s\" came "
                          "back as \"%s\"", v, text, again);
            }
            free(again);
        }
        ofpbuf_uninit(&openflow);
        ofpbuf_uninit(&decoded);
    }
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;
    struct ofpbuf ofpacts;

    if (!initialized) {
        initialized = true;
        vlog_set_verbosity("off");
    }

    ofpbuf_init(&ofpacts, 64);
    if (size >= 2 && data[0] == 0) {
        enum ofp_version version = OFP10_VERSION + data[1] % 6;
        struct ofpbuf openflow;

        ofpbuf_use_const(&openflow, data + 2, size - 2);
        if (!ofpacts_pull_openflow_actions(&openflow, size - 2, version,
                                           NULL, NULL, &ofpacts)) {
            check_round_trip(&ofpacts);
        }
    } else {
        char *s = xmemdup0((const char *) data, size);
        enum ofputil_protocol usable;
        struct ofpact_parse_params pp = {
            .ofpacts = &ofpacts,
            .usable_protocols = &usable,
        };
        char *error = ofpacts_parse_actions(s, &pp);

        if (!error) {
            check_round_trip(&ofpacts);
        }
        free(error);
        free(s);
    }
    ofpbuf_uninit(&ofpacts);
    return 0;
}
