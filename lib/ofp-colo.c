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

#include "ofp-colo.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "colors.h"
#include "nx-match.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-parse.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "util.h"
#include "vl-mff-map.h"

VLOG_DEFINE_THIS_MODULE(ofp_colo);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

/* The action carries a zone field as its 32-bit NXM or OXM header, and a
 * header of 0 means an immediate zone.  A field without such a header (no
 * NXM or OXM at all, as skb_priority, or only a 64-bit experimenter OXM, as
 * nsh_c1) cannot be carried: it would be read back as an immediate zone. */
static bool
colo_zone_field_has_header(const struct mf_field *field)
{
    return nxm_header_from_mff(field) != 0;
}

enum ofperr
colo_ofpact_decode(const struct nx_action_colo_rewrite *nacr,
                   const struct vl_mff_map *vl_mff_map, uint64_t *tlv_bitmap,
                   struct ofpbuf *out)
{
    struct ofpact_colo_rewrite *cr;
    enum ofperr error;

    if (nacr->pad || !is_all_zeros(nacr->pad2, sizeof nacr->pad2)) {
        VLOG_WARN_RL(&rl, "colo_rewrite: padding must be zero");
        return OFPERR_NXBRC_MUST_BE_ZERO;
    }
    if (nacr->direction != COLO_PRIMARY
        && nacr->direction != COLO_SECONDARY) {
        VLOG_WARN_RL(&rl, "colo_rewrite: unknown direction %"PRIu8,
                     nacr->direction);
        return OFPERR_OFPBAC_BAD_ARGUMENT;
    }

    cr = ofpact_put_COLO_REWRITE(out);
    cr->direction = nacr->direction;
    if (nacr->zone_src) {
        cr->zone_src.ofs = nxm_decode_ofs(nacr->zone_ofs_nbits);
        cr->zone_src.n_bits = nxm_decode_n_bits(nacr->zone_ofs_nbits);
        error = mf_vl_mff_mf_from_nxm_header(ntohl(nacr->zone_src),
                                             vl_mff_map, &cr->zone_src.field,
                                             tlv_bitmap);
        if (error) {
            VLOG_WARN_RL(&rl, "colo_rewrite: bad zone field header %#"PRIx32,
                         ntohl(nacr->zone_src));
            return error;
        }
        error = mf_check_src(&cr->zone_src, NULL);
        if (error) {
            return error;
        }
        if (cr->zone_src.n_bits != 16) {
            VLOG_WARN_RL(&rl, "colo_rewrite: zone field is %d bits wide, "
                         "it must be 16", cr->zone_src.n_bits);
            return OFPERR_OFPBAC_BAD_SET_LEN;
        }
    } else {
        cr->zone_imm = ntohs(nacr->zone_imm);
    }
    return 0;
}

void
colo_ofpact_encode(const struct ofpact_colo_rewrite *cr,
                   struct nx_action_colo_rewrite *nacr)
{
    nacr->direction = cr->direction;
    if (cr->zone_src.field) {
        nacr->zone_src = htonl(nxm_header_from_mff(cr->zone_src.field));
        nacr->zone_ofs_nbits = nxm_encode_ofs_nbits(cr->zone_src.ofs,
                                                    cr->zone_src.n_bits);
    } else {
        nacr->zone_src = htonl(0);
        nacr->zone_imm = htons(cr->zone_imm);
    }
}

static char * OVS_WARN_UNUSED_RESULT
colo_parse_zone(const char *value, uint16_t *zone_imm,
                struct mf_subfield *zone_src)
{
    if (!value[0]) {
        return xstrdup("colo_rewrite: zone needs a value");
    }

    if (value[0] == '-' || value[0] == '+'
        || isdigit((unsigned char) value[0])) {
        long long int n;
        char *tail;

        errno = 0;
        n = strtoll(value, &tail,
                    !strncmp(value, "0x", 2) || !strncmp(value, "0X", 2)
                    ? 16 : 10);
        if (*tail) {
            return xasprintf("colo_rewrite: zone \"%s\" is not a number "
                             "or a field", value);
        }
        if (errno == ERANGE || n < 0 || n > UINT16_MAX) {
            return xasprintf("colo_rewrite: zone %s is out of range "
                             "(0 to 65535)", value);
        }
        *zone_imm = n;
        return NULL;
    }

    if (!zone_src) {
        return xasprintf("colo_rewrite: zone \"%s\" is not a number", value);
    }

    char *error = mf_parse_subfield(zone_src, value);
    if (error) {
        char *msg = xasprintf("colo_rewrite: zone \"%s\" is not a number "
                              "or a field (%s)", value, error);
        free(error);
        return msg;
    }
    if (zone_src->n_bits != 16) {
        return xasprintf("colo_rewrite: zone field %s is %d bits wide, "
                         "it must be 16", value, zone_src->n_bits);
    }
    if (!colo_zone_field_has_header(zone_src->field)) {
        return xasprintf("colo_rewrite: zone field %s has no NXM or OXM "
                         "header, so the action cannot carry it",
                         zone_src->field->name);
    }
    return NULL;
}

char *
colo_parse_args(char *arg, uint16_t *zone_imm, struct mf_subfield *zone_src,
                enum colo_direction *direction)
{
    bool have_zone = false;
    char *key, *value;

    *zone_imm = 0;
    if (zone_src) {
        memset(zone_src, 0, sizeof *zone_src);
    }
    *direction = 0;

    while (ofputil_parse_key_value(&arg, &key, &value)) {
        enum colo_direction dir;

        if (!strcmp(key, "zone")) {
            if (have_zone) {
                return xstrdup("colo_rewrite: zone given twice");
            }
            have_zone = true;

            char *error = colo_parse_zone(value, zone_imm, zone_src);
            if (error) {
                return error;
            }
        } else if (colo_direction_from_string(key, &dir)) {
            if (value[0]) {
                return xasprintf("colo_rewrite: %s takes no value", key);
            }
            if (*direction == dir) {
                return xasprintf("colo_rewrite: %s given twice", key);
            } else if (*direction) {
                return xstrdup("colo_rewrite: primary and secondary are "
                               "mutually exclusive");
            }
            *direction = dir;
        } else {
            return xasprintf("colo_rewrite: unknown argument \"%s\" "
                             "(expected zone=, primary or secondary)", key);
        }
    }

    if (!*direction) {
        return xstrdup("colo_rewrite: primary or secondary is required");
    }
    return NULL;
}

char *
parse_COLO_REWRITE(char *arg, const struct ofpact_parse_params *pp)
{
    struct ofpact_colo_rewrite *cr = ofpact_put_COLO_REWRITE(pp->ofpacts);
    enum colo_direction direction;
    char *error;

    error = colo_parse_args(arg, &cr->zone_imm, &cr->zone_src, &direction);
    cr->direction = direction;
    return error;
}

void
format_COLO_REWRITE(const struct ofpact_colo_rewrite *cr,
                    const struct ofpact_format_params *fp)
{
    ds_put_format(fp->s, "%scolo_rewrite(%s%szone=%s",
                  colors.paren, colors.end, colors.param, colors.end);
    if (cr->zone_src.field) {
        mf_format_subfield(&cr->zone_src, fp->s);
    } else {
        ds_put_format(fp->s, "%"PRIu16, cr->zone_imm);
    }
    ds_put_format(fp->s, ",%s%s%s)%s", colors.value,
                  colo_direction_to_string(cr->direction),
                  colors.paren, colors.end);
}

enum ofperr
check_COLO_REWRITE(const struct ofpact_colo_rewrite *cr,
                   const struct ofpact_check_params *cp)
{
    if (cr->zone_src.field) {
        if (!colo_zone_field_has_header(cr->zone_src.field)) {
            return OFPERR_OFPBAC_BAD_SET_TYPE;
        }
        return mf_check_src(&cr->zone_src, cp->match);
    }
    return 0;
}
