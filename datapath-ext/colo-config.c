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

#include "colo-config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "colo-dpif-netdev.h"
#include "colo-qmp.h"
#include "colo-rewrite.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "smap.h"
#include "util.h"
#include "vswitch-idl.h"

VLOG_DEFINE_THIS_MODULE(colo_config);

/* The settings, in the order of the members of struct colo_config. */
enum colo_setting {
    COLO_SET_MAX_CONNS,
    COLO_SET_IDLE_TIMEOUT,
    COLO_SET_LINGER,
    COLO_N_SETTINGS
};

struct colo_setting_info {
    const char *key;            /* Bridge other_config key. */
    unsigned int min, max;      /* Valid range. */
    unsigned int dflt;          /* Default. */
};

static const struct colo_setting_info settings[COLO_N_SETTINGS] = {
    [COLO_SET_MAX_CONNS] = { "colo-max-conns", 1, 100000000,
                             COLO_DEFAULT_MAX_CONNS },
    [COLO_SET_IDLE_TIMEOUT] = { "colo-idle-timeout", 1, COLO_MAX_TIMEOUT,
                                COLO_DEFAULT_IDLE_TIMEOUT },
    [COLO_SET_LINGER] = { "colo-linger", 0, COLO_MAX_TIMEOUT,
                          COLO_DEFAULT_LINGER },
};

/* What one bridge asks for. */
struct colo_bridge_settings {
    bool set[COLO_N_SETTINGS];          /* Given, and valid once. */
    unsigned int value[COLO_N_SETTINGS];
    char *rejected[COLO_N_SETTINGS];    /* Last invalid text, if any. */

    /* colo-qmp-ZONE keys: key -> target in force, key -> last invalid
     * value. */
    struct smap qmp;
    struct smap qmp_rejected;
};

/* The prefix of the colo-qmp-ZONE keys. */
#define COLO_QMP_PREFIX "colo-qmp-"

/* "DATAPATH ZONE" -> "BRIDGE=TARGET" of the bridge that lost, for each
 * zone that two bridges of a datapath gave different targets, as last
 * logged. */
static struct smap qmp_conflicts = SMAP_INITIALIZER(&qmp_conflicts);

/* Bridge name -> struct colo_bridge_settings, as last accepted. */
static struct shash bridges = SHASH_INITIALIZER(&bridges);

static void
colo_bridge_settings_free(struct colo_bridge_settings *bs)
{
    for (size_t i = 0; i < COLO_N_SETTINGS; i++) {
        free(bs->rejected[i]);
    }
    smap_destroy(&bs->qmp);
    smap_destroy(&bs->qmp_rejected);
    free(bs);
}

/* Updates 'bs' from the other_config of bridge 'br'. */
static void
colo_bridge_settings_update(struct colo_bridge_settings *bs,
                            const struct ovsrec_bridge *br)
{
    for (size_t i = 0; i < COLO_N_SETTINGS; i++) {
        const struct colo_setting_info *info = &settings[i];
        const char *text = smap_get(&br->other_config, info->key);
        unsigned int value;

        if (!text) {
            bs->set[i] = false;
        } else if (str_to_uint(text, 10, &value)
                   && value >= info->min && value <= info->max) {
            bs->set[i] = true;
            bs->value[i] = value;
        } else {
            /* Log each invalid value once, not at every reconfiguration. */
            if (!bs->rejected[i] || strcmp(bs->rejected[i], text)) {
                VLOG_WARN("bridge %s: other_config:%s=\"%s\" is invalid "
                          "(expected an integer from %u to %u); %s",
                          br->name, info->key, text, info->min, info->max,
                          bs->set[i] ? "keeping the previous value"
                          : "keeping the default");
                free(bs->rejected[i]);
                bs->rejected[i] = xstrdup(text);
            }
            continue;
        }
        free(bs->rejected[i]);
        bs->rejected[i] = NULL;
    }
}

/* Parses 's', the ZONE of a colo-qmp-ZONE key, into '*zone'.  Only the
 * plain decimal spelling counts, so that each zone has one key. */
static bool
colo_parse_qmp_zone(const char *s, unsigned int *zone)
{
    char buf[16];

    if (!str_to_uint(s, 10, zone) || *zone > UINT16_MAX) {
        return false;
    }
    snprintf(buf, sizeof buf, "%u", *zone);
    return !strcmp(buf, s);
}

/* Updates the colo-qmp-ZONE keys of 'bs' from the other_config of bridge
 * 'br'.  An invalid value is logged once and ignored; the bridge's previous
 * value for the key, if any, stays in force. */
static void
colo_bridge_qmp_update(struct colo_bridge_settings *bs,
                       const struct ovsrec_bridge *br)
{
    struct smap_node *node;

    /* Forget the keys that are gone. */
    SMAP_FOR_EACH_SAFE (node, &bs->qmp) {
        if (!smap_get(&br->other_config, node->key)) {
            smap_remove_node(&bs->qmp, node);
        }
    }
    SMAP_FOR_EACH_SAFE (node, &bs->qmp_rejected) {
        if (!smap_get(&br->other_config, node->key)) {
            smap_remove_node(&bs->qmp_rejected, node);
        }
    }

    SMAP_FOR_EACH (node, &br->other_config) {
        const char *key = node->key;
        const char *value = node->value;
        const char *old = smap_get(&bs->qmp, key);
        const char *rejected;
        unsigned int zone;
        char *error;

        if (strncmp(key, COLO_QMP_PREFIX, strlen(COLO_QMP_PREFIX))
            || (old && !strcmp(old, value))) {
            continue;
        }

        rejected = smap_get(&bs->qmp_rejected, key);
        if (rejected && !strcmp(rejected, value)) {
            continue;
        }

        if (!colo_parse_qmp_zone(key + strlen(COLO_QMP_PREFIX), &zone)) {
            error = xstrdup("the zone in the key must be a number from 0 "
                            "to 65535");
        } else {
            error = colo_qmp_check_target(value);
        }

        if (error) {
            /* Log each invalid value once, not at every reconfiguration. */
            VLOG_WARN("bridge %s: other_config:%s=\"%s\" is invalid (%s); "
                      "%s", br->name, key, value, error,
                      old ? "keeping the previous value" : "ignored");
            smap_replace(&bs->qmp_rejected, key, value);
            free(error);
        } else {
            smap_replace(&bs->qmp, key, value);
            smap_remove(&bs->qmp_rejected, key);
        }
    }
}

static int
colo_compare_bridges(const void *a_, const void *b_)
{
    const struct ovsrec_bridge *const *a = a_;
    const struct ovsrec_bridge *const *b = b_;

    return strcmp((*a)->name, (*b)->name);
}

/* Returns the name that dpif-netdev gives the datapath of 'br'. */
static char *
colo_bridge_dp_name(const struct ovsrec_bridge *br)
{
    const char *type = br->datapath_type && br->datapath_type[0]
                       ? br->datapath_type : "system";

    return xasprintf("ovs-%s", type);
}

/* A QMP link that a bridge asks for. */
struct colo_qmp_choice {
    const char *bridge;
    const char *target;
    struct colo_qmp_target t;
};

/* Hands the QMP links that the bridges ask for to colo-qmp.c.  Where two
 * bridges of a datapath give one zone different targets, the bridge whose
 * name sorts first wins. */
static void
colo_configure_qmp(const struct ovsrec_open_vswitch *cfg)
{
    struct smap conflicts = SMAP_INITIALIZER(&conflicts);
    struct shash chosen = SHASH_INITIALIZER(&chosen);
    const struct ovsrec_bridge **brs;
    struct colo_qmp_target *targets;
    struct shash_node *node;
    size_t n = 0;

    brs = xmemdup(cfg->bridges, cfg->n_bridges * sizeof *cfg->bridges);
    qsort(brs, cfg->n_bridges, sizeof *brs, colo_compare_bridges);

    for (size_t i = 0; i < cfg->n_bridges; i++) {
        const struct ovsrec_bridge *br = brs[i];
        const struct colo_bridge_settings *bs;
        struct smap_node *qmp;
        char *dp_name;

        bs = shash_find_data(&bridges, br->name);
        if (!bs || smap_is_empty(&bs->qmp)) {
            continue;
        }
        dp_name = colo_bridge_dp_name(br);
        SMAP_FOR_EACH (qmp, &bs->qmp) {
            const char *zone_s = qmp->key + strlen(COLO_QMP_PREFIX);
            char *key = xasprintf("%s %s", dp_name, zone_s);
            struct colo_qmp_choice *c = shash_find_data(&chosen, key);

            if (!c) {
                unsigned int zone;

                ovs_assert(str_to_uint(zone_s, 10, &zone));
                c = xzalloc(sizeof *c);
                c->bridge = br->name;
                c->t.dp_name = xstrdup(dp_name);
                c->t.zone = zone;
                c->t.target = qmp->value;
                shash_add(&chosen, key, c);
            } else if (strcmp(c->t.target, qmp->value)) {
                const char *old;

                smap_add_format(&conflicts, key, "%s=%s", br->name,
                                qmp->value);
                old = smap_get(&qmp_conflicts, key);
                if (!old || strcmp(old, smap_get(&conflicts, key))) {
                    VLOG_WARN("bridges %s and %s of datapath %s give "
                              "other_config:%s different targets, \"%s\" "
                              "and \"%s\"; using %s's", c->bridge,
                              br->name, dp_name, qmp->key, c->t.target,
                              qmp->value, c->bridge);
                }
            }
            free(key);
        }
        free(dp_name);
    }
    hmap_swap(&conflicts.map, &qmp_conflicts.map);
    smap_destroy(&conflicts);

    targets = xmalloc(MAX(shash_count(&chosen), 1) * sizeof *targets);
    SHASH_FOR_EACH (node, &chosen) {
        const struct colo_qmp_choice *c = node->data;

        targets[n++] = c->t;
    }
    colo_qmp_set_targets(targets, n);

    SHASH_FOR_EACH (node, &chosen) {
        struct colo_qmp_choice *c = node->data;

        free(c->t.dp_name);
    }
    shash_destroy_free_data(&chosen);
    free(targets);
    free(brs);
}

void
colo_configure(const struct ovsrec_open_vswitch *cfg)
{
    struct shash dps = SHASH_INITIALIZER(&dps);
    struct shash_node *node;

    colo_dp_init();

    /* Forget bridges that are gone. */
    SHASH_FOR_EACH_SAFE (node, &bridges) {
        bool found = false;

        for (size_t i = 0; i < cfg->n_bridges; i++) {
            if (!strcmp(cfg->bridges[i]->name, node->name)) {
                found = true;
                break;
            }
        }
        if (!found) {
            colo_bridge_settings_free(node->data);
            shash_delete(&bridges, node);
        }
    }

    /* Combine the bridges of each datapath: the smallest value wins. */
    for (size_t i = 0; i < cfg->n_bridges; i++) {
        const struct ovsrec_bridge *br = cfg->bridges[i];
        struct colo_bridge_settings *bs = shash_find_data(&bridges, br->name);
        char *dp_name = colo_bridge_dp_name(br);
        unsigned int *values;

        if (!bs) {
            bs = xzalloc(sizeof *bs);
            smap_init(&bs->qmp);
            smap_init(&bs->qmp_rejected);
            shash_add(&bridges, br->name, bs);
        }
        colo_bridge_settings_update(bs, br);
        colo_bridge_qmp_update(bs, br);

        values = shash_find_data(&dps, dp_name);
        if (!values) {
            values = xmalloc(COLO_N_SETTINGS * sizeof *values);
            for (size_t j = 0; j < COLO_N_SETTINGS; j++) {
                values[j] = UINT_MAX;
            }
            shash_add(&dps, dp_name, values);
        }
        for (size_t j = 0; j < COLO_N_SETTINGS; j++) {
            if (bs->set[j]) {
                values[j] = MIN(values[j], bs->value[j]);
            }
        }
        free(dp_name);
    }

    SHASH_FOR_EACH (node, &dps) {
        unsigned int *values = node->data;
        unsigned int v[COLO_N_SETTINGS];

        for (size_t j = 0; j < COLO_N_SETTINGS; j++) {
            v[j] = values[j] != UINT_MAX ? values[j] : settings[j].dflt;
        }

        struct colo_config config = {
            .max_conns = v[COLO_SET_MAX_CONNS],
            .idle_timeout = v[COLO_SET_IDLE_TIMEOUT],
            .linger = v[COLO_SET_LINGER],
        };
        colo_dp_set_config(node->name, &config);
    }
    shash_destroy_free_data(&dps);

    colo_configure_qmp(cfg);
}
