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
};

/* Bridge name -> struct colo_bridge_settings, as last accepted. */
static struct shash bridges = SHASH_INITIALIZER(&bridges);

static void
colo_bridge_settings_free(struct colo_bridge_settings *bs)
{
    for (size_t i = 0; i < COLO_N_SETTINGS; i++) {
        free(bs->rejected[i]);
    }
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

/* Returns the name that dpif-netdev gives the datapath of 'br'. */
static char *
colo_bridge_dp_name(const struct ovsrec_bridge *br)
{
    const char *type = br->datapath_type && br->datapath_type[0]
                       ? br->datapath_type : "system";

    return xasprintf("ovs-%s", type);
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
            shash_add(&bridges, br->name, bs);
        }
        colo_bridge_settings_update(bs, br);

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
}
