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
#include <stddef.h>
#include <stdint.h>

struct dp_packet;
struct dp_packet_batch;
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
    COLO_STAT(CONNS_CLOSED, "conns-closed",                              \
              "connections closed by FIN or RST")                        \
    COLO_STAT(CONNS_EXPIRED, "conns-expired",                            \
              "connections removed after their idle timeout")            \
    COLO_STAT(CONNS_FREED, "conns-freed",                                \
              "closed connections removed after the linger")             \
    COLO_STAT(CONNS_EVICTED, "conns-evicted",                            \
              "closed or half-open connections evicted for room")        \
    COLO_STAT(CONNS_FLUSHED, "conns-flushed",                            \
              "connections removed by a flush")                          \
    COLO_STAT(IGNORED_RST, "ignored-rst",                                \
              "peer RSTs outside the SVM's window, ignored")

enum colo_stat {
#define COLO_STAT(ENUM, NAME, DESCRIPTION) COLO_STAT_##ENUM,
    COLO_STATS
#undef COLO_STAT
    COLO_N_STATS
};

const char *colo_stat_name(enum colo_stat);
const char *colo_stat_description(enum colo_stat);

/* The state of a connection entry. */
enum colo_conn_state {
    COLO_CONN_LEARNING,         /* Handshake seen, deltas not known yet. */
    COLO_CONN_ESTABLISHED,      /* Deltas known, rewriting. */
    COLO_CONN_CLOSING,          /* A FIN seen, still rewriting. */
    COLO_CONN_CLOSED,           /* FINs acknowledged both ways, or RST;
                                 * lingers, still rewriting. */
    COLO_N_CONN_STATES
};

const char *colo_conn_state_name(enum colo_conn_state);

/* What colo_table_process() did with a packet. */
enum colo_result {
    COLO_RESULT_REWRITTEN,      /* Rewritten (possibly after learning). */
    COLO_RESULT_PASSED,         /* Passed unchanged, see the counters. */
};

/* Settings.  They apply to every zone of a table. */
struct colo_config {
    unsigned int max_conns;     /* Bound on the entries of one zone. */
    unsigned int idle_timeout;  /* Seconds before an idle entry expires. */
    unsigned int linger;        /* Seconds a closed entry is kept. */
};

/* Defaults.  The idle timeout follows Linux's
 * nf_conntrack_tcp_timeout_established (5 days): COLO protects long-lived
 * connections.  Handshakes that never complete are dropped after
 * COLO_HALF_OPEN_TIMEOUT seconds, as Linux's SYN_RECV timeout (60 s). */
#define COLO_DEFAULT_MAX_CONNS 65536
#define COLO_DEFAULT_IDLE_TIMEOUT (5 * 24 * 60 * 60)
#define COLO_DEFAULT_LINGER 30
#define COLO_HALF_OPEN_TIMEOUT 60

/* How long, at most, an entry that is learned but not assured may be idle
 * before it expires, in seconds: 5 minutes, what Linux's conntrack gives a
 * connection with unacknowledged data
 * (nf_conntrack_tcp_timeout_unacknowledged).
 * Only the handshake, which an attacker who cannot see the VM's packets
 * may have forged, vouches for such an entry. */
#define COLO_UNASSURED_TIMEOUT 300

/* The largest idle timeout and linger, in seconds (about 24.8 days): entries
 * keep their last-used time in 32-bit milliseconds to stay small.  Larger
 * values are clamped to it. */
#define COLO_MAX_TIMEOUT (INT32_MAX / 1000)

struct colo_table *colo_table_create(void);
void colo_table_destroy(struct colo_table *);

void colo_table_set_config(struct colo_table *, const struct colo_config *);
void colo_table_get_config(const struct colo_table *, struct colo_config *);

enum colo_result colo_table_process(struct colo_table *, uint16_t zone,
                                    enum colo_direction, struct dp_packet *,
                                    long long int now_ms);

/* Processes every packet of 'batch', as colo_table_process() would one by
 * one, in the same 'zone' and direction.  This is what a datapath calls. */
void colo_table_process_batch(struct colo_table *, uint16_t zone,
                              enum colo_direction, struct dp_packet_batch *,
                              long long int now_ms);

/* Removes the entries that are closed and have lingered, and those idle for
 * longer than their timeout.  Call it periodically (every second or so);
 * the packet path never walks the table.  It holds a zone's mutex only for
 * batches of a few dozen entries, so that learning never waits for a whole
 * sweep. */
void colo_table_run(struct colo_table *, long long int now_ms);

/* Events.  'zone' is a zone number, or -1 for every zone.
 *
 * colo_table_checkpoint() sets the deltas of every entry to 0: after a COLO
 * checkpoint the SVM is a copy of the PVM.  It takes constant time, whatever
 * the number of entries, and returns only once no packet can still be
 * rewritten with an old delta (it waits for the batches in flight on other
 * threads).
 *
 * colo_table_failover() stops tracking new connections in the zone (for
 * every zone, also those created later, if 'zone' is -1); existing entries
 * keep rewriting until they close.
 *
 * colo_table_flush() removes every entry.
 *
 * Each returns a number of entries: those reset, those that keep rewriting
 * until they close, those removed. */
unsigned int colo_table_checkpoint(struct colo_table *, int zone);
unsigned int colo_table_failover(struct colo_table *, int zone);
unsigned int colo_table_flush(struct colo_table *, int zone);

/* Statistics of one zone, or of all zones added together. */
struct colo_zone_stats {
    uint64_t counters[COLO_N_STATS];
    unsigned int n_conns;       /* Connection entries now in the zone. */
    unsigned int n_by_state[COLO_N_CONN_STATES];
    bool failover;              /* Failover happened in this zone. */
};

/* Fills 'stats' for 'zone' and returns true, or returns false if the table
 * has never seen 'zone'. */
bool colo_table_get_zone_stats(const struct colo_table *, uint16_t zone,
                               struct colo_zone_stats *);

/* Stores in '*zones' a sorted, malloc()'d array of the zones the table has
 * seen and returns their number. */
size_t colo_table_get_zones(const struct colo_table *, uint16_t **zones);

/* Sorts the 'n' zones in 'zones', drops duplicates and returns how many
 * are left. */
size_t colo_zones_sort_unique(uint16_t *zones, size_t n);

/* Appends one line per connection of 'zone' (or of every zone, if 'zone' is
 * negative) to 'ds', in a stable format:
 *
 *   zone=Z vm=ADDR:PORT peer=ADDR:PORT state=S seq_delta=N|none
 *   ts_delta=N|none idle=Ns
 *
 * (one line each), IPv6 addresses in brackets.  Deltas are unsigned 32-bit
 * values, "none" until known.  Returns the number of connections listed. */
unsigned int colo_table_dump_conns(const struct colo_table *, int zone,
                                   long long int now_ms, struct ds *);

/* Size of an IPv4 connection's entry, for memory accounting (an IPv6 one
 * takes 24 bytes more, from malloc()). */
size_t colo_conn_size(void);

/* Bytes that 'table' has taken for its IPv4 entries, outside malloc()'s
 * heap: in use, or free for new entries. */
size_t colo_table_pool_size(const struct colo_table *);

#endif /* colo-rewrite.h */
