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

#ifndef OFP_COLO_H
#define OFP_COLO_H 1

/* The colo_rewrite OpenFlow action: text syntax and Nicira-vendor wire
 * format.  lib/ofp-actions.c calls into this file from its generic action
 * machinery. */

#include <stdbool.h>
#include <stdint.h>
#include "colo-rewrite.h"
#include "compiler.h"
#include "openflow/openflow.h"
#include "openvswitch/ofp-errors.h"

struct mf_subfield;
struct ofpact_check_params;
struct ofpact_colo_rewrite;
struct ofpact_format_params;
struct ofpact_parse_params;
struct ofpbuf;
struct vl_mff_map;

/* NXAST_COLO_REWRITE, Nicira vendor (0x00002320) subtype 240, valid in
 * OpenFlow 1.0 through 1.5.
 *
 * Upstream Open vSwitch allocates Nicira subtypes in sequence from 0 (the
 * highest is 50 in OVS 3.1 and 3.3, 51 in 3.7 and on main in 2026) and keeps
 * 254 and 255 for debugging actions.  240 lies far from both ends.  If a
 * future OVS ever took 240, build-aux/extract-ofp-actions would stop the
 * build with "means both", so a collision cannot pass unnoticed; the test
 * "colo_rewrite - Nicira subtype 240 is free upstream" reads the subtypes of
 * the release being built and fails once upstream passes 51, so that this
 * comment is revisited.
 *
 * Wire layout, 24 bytes, all fields in network byte order:
 *
 *   offset  size  field
 *        0     2  type            OFPAT_VENDOR (0xffff)
 *        2     2  len             24
 *        4     4  vendor          NX_VENDOR_ID (0x00002320)
 *        8     2  subtype         240
 *       10     1  direction       1 = primary, 2 = secondary
 *       11     1  pad             must be zero
 *       12     4  zone_src        NXM/OXM header of the zone field, or 0
 *       16     2  zone_ofs_nbits  if zone_src != 0: bits of zone_src, as
 *                                 nxm_encode_ofs_nbits() (n_bits = 16);
 *                 zone_imm        if zone_src == 0: the zone number
 *       18     6  pad2            must be zero
 */
struct nx_action_colo_rewrite {
    ovs_be16 type;              /* OFPAT_VENDOR. */
    ovs_be16 len;               /* 24. */
    ovs_be32 vendor;            /* NX_VENDOR_ID. */
    ovs_be16 subtype;           /* NXAST_COLO_REWRITE. */
    uint8_t direction;          /* enum colo_direction. */
    uint8_t pad;                /* Must be zero. */
    ovs_be32 zone_src;          /* Field holding the zone, or 0. */
    union {
        ovs_be16 zone_ofs_nbits; /* Range to use from 'zone_src'. */
        ovs_be16 zone_imm;       /* Zone, if 'zone_src' is 0. */
    };
    uint8_t pad2[6];            /* Must be zero. */
};
OFP_ASSERT(sizeof(struct nx_action_colo_rewrite) == 24);

enum ofperr colo_ofpact_decode(const struct nx_action_colo_rewrite *,
                               const struct vl_mff_map *,
                               uint64_t *tlv_bitmap, struct ofpbuf *out);
void colo_ofpact_encode(const struct ofpact_colo_rewrite *,
                        struct nx_action_colo_rewrite *);

/* Called by name from lib/ofp-actions.c's OFPACT dispatch. */
char *parse_COLO_REWRITE(char *arg, const struct ofpact_parse_params *)
    OVS_WARN_UNUSED_RESULT;
void format_COLO_REWRITE(const struct ofpact_colo_rewrite *,
                         const struct ofpact_format_params *);
enum ofperr check_COLO_REWRITE(const struct ofpact_colo_rewrite *,
                               const struct ofpact_check_params *);

/* Parses the argument of colo_rewrite(...) in 'arg' (modified).  A subfield
 * zone is accepted only if 'zone_src' is nonnull.  Returns NULL on success,
 * otherwise a malloc()'d error message that names the problem. */
char *colo_parse_args(char *arg, uint16_t *zone_imm,
                      struct mf_subfield *zone_src,
                      enum colo_direction *direction)
    OVS_WARN_UNUSED_RESULT;

#endif /* ofp-colo.h */
