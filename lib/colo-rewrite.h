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

#ifndef COLO_REWRITE_H
#define COLO_REWRITE_H 1

/* COLO TCP rewriting engine.
 *
 * COLO runs a secondary VM (SVM) in lockstep with a primary VM (PVM).  The
 * two guests choose different initial sequence numbers and TCP timestamp
 * offsets for the same connection, so the SVM's view of each connection has
 * to be translated:
 *
 *   - COLO_PRIMARY packets travel from the primary side into the SVM.  They
 *     are in the PVM's numbering and are moved into the SVM's (ack, SACK
 *     edges, TSecr).
 *
 *   - COLO_SECONDARY packets leave the SVM.  They are moved from the SVM's
 *     numbering into the PVM's (seq, TSval).
 *
 * A colo_table holds the per-connection state of one datapath, partitioned
 * by 16-bit zone.  Connections in different zones never share state.
 *
 * This module knows nothing of OpenFlow or of any datapath: it takes a
 * packet, a zone and a direction, and rewrites the packet in place.  It never
 * drops a packet; whatever it cannot or should not rewrite passes unchanged
 * and is counted.
 *
 * Thread safety
 * =============
 *
 * colo_table_process() may be called from any number of threads at once,
 * also for the two directions of one connection.  Established connections
 * are rewritten without taking any lock. */

#include <stdbool.h>
#include <stdint.h>

struct dp_packet;
struct ds;

/* Which way a packet travels, relative to the SVM. */
enum colo_direction {
    COLO_PRIMARY = 1,           /* From the primary side into the SVM. */
    COLO_SECONDARY = 2,         /* Out of the SVM. */
};

const char *colo_direction_to_string(enum colo_direction);
bool colo_direction_from_string(const char *, enum colo_direction *);

/* Per-zone counters.  COLO_STAT(ENUM, NAME, DESCRIPTION). */
#define COLO_STATS                                                        \
    COLO_STAT(REWRITTEN, "rewritten", "packets rewritten")              \
    COLO_STAT(PASS_UNLEARNED, "pass-unlearned",                          \
              "packets passed before their connection was learned")      \
    COLO_STAT(PASS_UNPARSEABLE, "pass-unparseable",                      \
              "TCP packets passed because they could not be parsed")     \
    COLO_STAT(PASS_NOT_TCP, "pass-not-tcp", "non-TCP packets passed")     \
    COLO_STAT(PASS_ZONE_FULL, "pass-zone-full",                          \
              "packets of new connections passed because the zone was full") \
    COLO_STAT(PASS_UNTRACKED, "pass-untracked",                          \
              "packets of new connections passed after failover")        \
    COLO_STAT(CONNS_CREATED, "conns-created", "connections created")     \
    COLO_STAT(CONNS_CLOSED, "conns-closed", "connections closed")        \
    COLO_STAT(CONNS_EXPIRED, "conns-expired", "connections expired")

enum colo_stat {
#define COLO_STAT(ENUM, NAME, DESCRIPTION) COLO_STAT_##ENUM,
    COLO_STATS
#undef COLO_STAT
    COLO_N_STATS
};

const char *colo_stat_name(enum colo_stat);

/* What colo_table_process() did with a packet. */
enum colo_result {
    COLO_RESULT_REWRITTEN,      /* Rewritten (possibly after learning). */
    COLO_RESULT_PASSED,         /* Passed unchanged, see the counters. */
};

struct colo_table *colo_table_create(void);
void colo_table_destroy(struct colo_table *);

enum colo_result colo_table_process(struct colo_table *, uint16_t zone,
                                    enum colo_direction, struct dp_packet *,
                                    long long int now_ms);

/* Statistics of one zone, or of all zones added together. */
struct colo_zone_stats {
    uint64_t counters[COLO_N_STATS];
    unsigned int n_conns;       /* Connection entries now in the zone. */
    unsigned int n_learned;     /* Entries whose deltas are known. */
};

bool colo_table_get_zone_stats(const struct colo_table *, uint16_t zone,
                               struct colo_zone_stats *);

/* Appends one line per connection of 'zone' (or of every zone, if 'zone' is
 * negative) to 'ds', in a stable format:
 *
 *   zone=Z vm=ADDR:PORT peer=ADDR:PORT state=S seq_delta=N ts_delta=N|none
 *
 * Returns the number of connections listed. */
unsigned int colo_table_dump_conns(const struct colo_table *, int zone,
                                   long long int now_ms, struct ds *);

#endif /* colo-rewrite.h */
