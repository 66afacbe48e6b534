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

#ifndef COLO_REWRITE_PRIVATE_H
#define COLO_REWRITE_PRIVATE_H 1

/* The internals of the COLO TCP rewriting engine, shared by its files:
 *
 *   colo-rewrite.c        tables, zones and their bound, the packet path,
 *                         events.
 *   colo-rewrite-tcp.c    parsing a packet, rewriting its fields and
 *                         checksum.
 *   colo-rewrite-conn.c   the connection state machine: handshake,
 *                         learning, close, checkpoint of one entry.
 *   colo-rewrite-cand.c   candidates: a peer's SYN on an open connection,
 *                         until the SVM shows what it is.
 *   colo-rewrite-stats.c  counters, statistics and dumps.
 *
 * Nothing outside the engine includes this header. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cmap.h"
#include "colo-rewrite.h"
#include "hash.h"
#include "openvswitch/list.h"
#include "openvswitch/thread.h"
#include "openvswitch/types.h"
#include "ovs-thread.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "util.h"

struct dp_packet;
struct tcp_header;

/* Connection key.  Both directions of a connection map to the same key,
 * because the direction keyword says which end is the VM.
 *
 * An entry stores only the first colo_key_size() bytes of its key: 16 for
 * IPv4, 40 for IPv6.  'ipv6' is among them, so keys of the two families
 * never compare equal. */
struct colo_key {
    ovs_be16 vm_port;
    ovs_be16 peer_port;
    uint8_t ipv6;
    uint8_t pad[3];
    union {
        struct {
            ovs_be32 vm;
            ovs_be32 peer;
        } ip4;
        struct {
            struct in6_addr vm;
            struct in6_addr peer;
        } ip6;
    };
};
BUILD_ASSERT_DECL(sizeof(struct colo_key) == 40);

#define COLO_KEY_SIZE_IPV4 16
#define COLO_KEY_SIZE_IPV6 40

static inline size_t
colo_key_size(const struct colo_key *key)
{
    return key->ipv6 ? COLO_KEY_SIZE_IPV6 : COLO_KEY_SIZE_IPV4;
}

/* Which end opened the connection. */
enum colo_role {
    COLO_ROLE_UNKNOWN,
    COLO_ROLE_VM_SERVER,        /* The peer sent the SYN. */
    COLO_ROLE_VM_CLIENT,        /* The VM sent the SYN. */
};

/* Bits in 'halves': which halves of the handshake have been learned. */
enum {
    COLO_HAVE_SVM = 1 << 0,     /* 'svm_isn' is valid. */
    COLO_HAVE_PVM = 1 << 1,     /* The PVM's ISN is in 'deltas'. */
    COLO_HAVE_SVM_TS = 1 << 2,  /* 'svm_ts' is valid. */
    COLO_HAVE_PVM_TS = 1 << 3,  /* The PVM's timestamp is in 'deltas'. */
};

/* Bits in 'flags', read on the packet path. */
enum {
    COLO_F_LEARNED = 1 << 0,    /* 'deltas' is valid. */
    COLO_F_TS = 1 << 1,         /* The timestamp delta is valid. */
    COLO_F_FIN_VM = 1 << 2,     /* The VM sent a FIN, see 'fin_vm_end'. */
    COLO_F_FIN_PEER = 1 << 3,   /* The peer sent a FIN, see 'fin_peer_end'. */
    COLO_F_FIN_VM_ACKED = 1 << 4,   /* The peer acknowledged the VM's FIN. */
    COLO_F_FIN_PEER_ACKED = 1 << 5, /* The VM acknowledged the peer's FIN. */
    COLO_F_CLOSED = 1 << 6,     /* Both FINs acknowledged, or a RST. */
    COLO_F_SVM_ACK = 1 << 7,    /* 'svm_ack_win' is valid. */
    COLO_F_ASSURED = 1 << 8,    /* Traffic only the real ends can send has
                                 * confirmed the connection. */
    COLO_F_CHECKPOINTED = 1 << 9,   /* Unassured across a checkpoint. */
    COLO_F_CAND = 1 << 10,      /* The zone has a candidate for it. */
};

/* A peer's SYN with another initial sequence number on a learned, open
 * connection: a new connection on the same key, or a spoofed SYN.  Only the
 * SVM can tell: it answers a new connection with a SYN+ACK that
 * acknowledges the candidate's SYN, an old one with a challenge ACK
 * (RFC 5961).  Until it does, the entry keeps rewriting the old connection;
 * the candidate keeps the new connection's handshake, as a new entry would.
 * Candidates are rare, so they live beside the entries, in the zone's
 * 'cands', and cost an entry nothing but COLO_F_CAND.
 *
 * 'conn' and 'peer_isn' never change; the rest is protected by the zone's
 * mutex. */
struct colo_cand {
    struct cmap_node node;      /* In colo_zone's 'cands'. */
    const struct colo_conn *conn;   /* The entry it is a candidate for. */
    uint32_t peer_isn;          /* The candidate SYN's sequence number. */
    uint32_t pvm_isn;           /* From the peer's ACK, see 'halves'. */
    uint32_t pvm_ts;            /* Its TSecr, see 'halves'. */
    uint8_t halves;             /* COLO_HAVE_PVM, COLO_HAVE_PVM_TS. */
    bool peer_wscale;           /* The SYN offered window scaling. */
    bool checkpointed;          /* A checkpoint came after the SYN. */
};

/* Bits in 'wscale': the window scale options of the handshake (RFC 7323).
 * The SVM's window is scaled only if both ends offered scaling. */
enum {
    COLO_WSCALE_SHIFT = 0x0f,   /* The SVM's shift, at most 14. */
    COLO_WSCALE_SVM = 1 << 4,   /* The SVM offered window scaling. */
    COLO_WSCALE_PEER = 1 << 5,  /* The peer offered window scaling. */
};

/* A peer's RST closes a connection only if its sequence number is near
 * what the SVM expects next: at most this many bytes before the SVM's last
 * acknowledgement (the PVM may lag behind the SVM), or within the window
 * the SVM last offered plus as many bytes after it. */
#define COLO_RST_SLACK 65535

/* One connection, 88 bytes on 64-bit hosts for IPv4, 112 for IPv6.
 *
 * 'key' never changes.  The handshake halves are written only with the
 * zone's mutex held.  The packet path reads 'flags' and 'deltas' without a
 * lock.
 *
 * Until COLO_F_LEARNED is set, 'deltas' holds the PVM's half of the
 * handshake instead (PVM ISN << 32 | PVM timestamp), which the packet path
 * never reads.  The deltas are stored there before COLO_F_LEARNED is set,
 * and changed afterward only by a checkpoint.
 *
 * Checkpoints
 * -----------
 *
 * A checkpoint does not visit the entries: it only advances the zone's
 * 'epoch'.  The values an entry keeps in the SVM's numbering ('deltas',
 * 'svm_isn', 'svm_nxt', 'svm_ts', 'fin_vm_end') belong to the entry's own
 * 'epoch'; an entry whose epoch is behind the zone's is "stale": it is to
 * be read as if colo_conn_checkpoint() had been applied to it, which makes
 * its deltas 0.  The packet path rewrites a stale, assured, open entry
 * with no delta at all, without a lock; anything else it does to a stale
 * entry, it does after colo_conn_sync() brought the entry up to date with
 * the zone's mutex held.  The sweeper brings the rest up to date in the
 * background (see colo_table_run()). */
struct colo_conn {
    struct cmap_node node;      /* In colo_zone's 'conns'. */
    atomic_uint64_t deltas;     /* seq_delta << 32 | ts_delta. */

    /* Written with the zone's mutex held. */
    atomic_uint32_t svm_isn;    /* SVM's initial sequence number. */
    uint32_t peer_isn;          /* Peer's SYN sequence number. */
    uint32_t svm_ts;            /* SVM's timestamp clock at the handshake. */

    /* Read by the packet path. */
    atomic_uint32_t flags;      /* COLO_F_*. */
    atomic_uint32_t fin_vm_end;     /* Ack that covers the VM's FIN, in the
                                     * SVM's numbering. */
    atomic_uint32_t fin_peer_end;   /* Ack that covers the peer's FIN. */
    atomic_uint32_t used;       /* Last packet, in msec, modulo 2^32. */

    /* Protected by the zone's mutex. */
    uint8_t role;               /* enum colo_role. */
    uint8_t halves;             /* COLO_HAVE_*. */
    atomic_uint8_t wscale;      /* COLO_WSCALE_*, read without the mutex. */

    atomic_uint64_t svm_ack_win;    /* The SVM's last ack << 32 | the
                                     * window it offered, unscaled. */
    uint32_t serial;            /* Order of creation in the zone. */
    atomic_uint32_t svm_nxt;    /* Until COLO_F_ASSURED: the end of the
                                 * data the SVM sent, in its numbering. */
    atomic_uint32_t epoch;      /* The zone's epoch that the values in the
                                 * SVM's numbering belong to. */

    /* Never changes.  Last, because only colo_key_size() bytes of it are
     * there: never copy it whole. */
    struct colo_key key;
};

/* A zone: connections that share state, usually one protected VM
 * interface.  Allocated with xzalloc_cacheline(), so that the counters,
 * written once per batch, do not share a cache line with what every
 * packet reads. */
struct colo_zone {
    PADDED_MEMBERS_CACHELINE_MARKER(CACHE_LINE_SIZE, cacheline0,
        struct cmap_node node;      /* In colo_table's 'zones'. */
        uint16_t id;
        atomic_bool failover;       /* Track no new connections. */
        atomic_uint32_t epoch;      /* Checkpoints so far, modulo 2^32.
                                     * Only changed with 'mutex' held. */
        struct cmap conns;          /* Contains "struct colo_conn"s. */
        struct cmap cands;          /* Contains "struct colo_cand"s. */

        struct ovs_mutex mutex;     /* Protects changes to 'conns',
                                     * learning. */
        struct cmap_position evict_pos; /* Where eviction looks next. */
        uint32_t next_serial;       /* 'serial' of the next entry. */
    );

    PADDED_MEMBERS_CACHELINE_MARKER(CACHE_LINE_SIZE, cacheline1,
        atomic_uint64_t counters[COLO_N_STATS];
    );
};

/* A thread that processes packets: 'seq' is odd while it is inside
 * colo_table_process_batch() or colo_table_process(), so that a checkpoint
 * can wait for the packets that may have seen the old epoch (see
 * colo_table_checkpoint()).  Allocated on a cache line of its own. */
struct colo_thread {
    struct ovs_list node;       /* In colo_table's 'threads'. */
    struct colo_table *table;
    atomic_uint64_t seq;
};

struct colo_table {
    struct ovs_mutex mutex;     /* Protects inserts into 'zones'. */
    struct cmap zones;          /* Contains "struct colo_zone"s. */
    atomic_bool failover;       /* Zones created from now on fail over. */

    /* Threads that have processed packets, see struct colo_thread. */
    ovsthread_key_t thread_key;     /* This thread's colo_thread. */
    struct ovs_mutex threads_mutex;
    struct ovs_list threads OVS_GUARDED;

    /* Settings, see struct colo_config. */
    atomic_uint max_conns;
    atomic_uint idle_timeout;
    atomic_uint linger;
};

/* What colo_parse() finds in a TCP packet.  Pointers point into the
 * packet. */
struct colo_tcp {
    struct tcp_header *tcp;
    const void *src;            /* Source address, 4 or 16 bytes. */
    const void *dst;            /* Destination address, the same. */
    uint16_t flags;             /* TCP_* flags. */
    bool ipv6;

    /* Offsets of options within the TCP header, 0 if absent. */
    uint16_t ts_ofs;            /* Kind 8 (timestamps). */
    uint16_t sack_ofs;          /* Kind 5 (SACK). */
    uint8_t sack_len;           /* Length of the SACK option. */
    bool has_wscale;            /* Kind 3 (window scale) present. */
    uint8_t wscale;             /* Its shift count. */
    uint32_t payload_len;       /* Bytes of TCP payload. */
};

/* TCP option kinds (RFC 9293, RFC 7323, RFC 2018). */
enum {
    COLO_TCPOPT_EOL = 0,
    COLO_TCPOPT_NOP = 1,
    COLO_TCPOPT_WSCALE = 3,
    COLO_TCPOPT_SACK = 5,
    COLO_TCPOPT_TIMESTAMP = 8,
};

/* Parsing and rewriting (colo-rewrite-tcp.c). */

enum colo_parse_result {
    COLO_PARSE_OK,
    COLO_PARSE_NOT_TCP,
    COLO_PARSE_BAD,
};

enum colo_parse_result colo_parse(struct dp_packet *, struct colo_tcp *);

/* Offsets of the sequence and acknowledgement numbers in a TCP header. */
#define COLO_TCP_SEQ_OFS 4
#define COLO_TCP_ACK_OFS 8

/* Returns the 32-bit field at 'ofs' bytes into the TCP header of 'p',
 * which may be only 16-bit aligned. */
static inline uint32_t
colo_tcp_get32(const struct colo_tcp *p, size_t ofs)
{
    ovs_be32 value;

    memcpy(&value, (const uint8_t *) p->tcp + ofs, sizeof value);
    return ntohl(value);
}

static inline uint32_t
colo_tcp_seq(const struct colo_tcp *p)
{
    return colo_tcp_get32(p, COLO_TCP_SEQ_OFS);
}

static inline uint32_t
colo_tcp_ack(const struct colo_tcp *p)
{
    return colo_tcp_get32(p, COLO_TCP_ACK_OFS);
}
void colo_tcp_rewrite(struct colo_tcp *, enum colo_direction, uint32_t flags,
                      uint64_t deltas, bool csum);

/* Zones (colo-rewrite.c). */

struct colo_zone *colo_zone_find(const struct colo_table *, uint16_t id);
void colo_zone_count(struct colo_zone *, enum colo_stat);

/* Connections (colo-rewrite-conn.c). */

/* Hashes 'key'. */
static inline uint32_t
colo_key_hash(const struct colo_key *key)
{
    if (!key->ipv6) {
        uint32_t hash = 0;

        hash = hash_add(hash, (OVS_FORCE uint32_t) key->ip4.vm);
        hash = hash_add(hash, (OVS_FORCE uint32_t) key->ip4.peer);
        hash = hash_add(hash, ((uint32_t) key->vm_port << 16)
                              | key->peer_port);
        return hash_finish(hash, 12);
    }
    return hash_bytes(key, COLO_KEY_SIZE_IPV6, 0);
}

/* Returns true if 'conn' has 'key'.  An IPv4 key compares as two 64-bit
 * words, inline. */
static inline bool
colo_conn_has_key(const struct colo_conn *conn, const struct colo_key *key)
{
    if (!key->ipv6) {
        uint64_t a[2], b[2];

        BUILD_ASSERT(sizeof a == COLO_KEY_SIZE_IPV4);
        memcpy(a, &conn->key, sizeof a);
        memcpy(b, key, sizeof b);
        return !((a[0] ^ b[0]) | (a[1] ^ b[1]));
    }
    return !memcmp(&conn->key, key, COLO_KEY_SIZE_IPV6);
}

/* Returns the flags of 'conn', COLO_F_*. */
static inline uint32_t
colo_conn_flags(const struct colo_conn *conn_)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    uint32_t flags;

    atomic_read_explicit(&conn->flags, &flags, memory_order_acquire);
    return flags;
}

/* Returns how long 'conn' has been idle at 'now', in msec.  Entries expire
 * long before the 32-bit clock of 'used' wraps (see COLO_MAX_TIMEOUT). */
static inline uint32_t
colo_conn_idle(const struct colo_conn *conn_, long long int now)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    uint32_t used;

    atomic_read_relaxed(&conn->used, &used);
    return (uint32_t) now - used;
}

static inline uint32_t
colo_conn_svm_isn(const struct colo_conn *conn_)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    uint32_t svm_isn;

    atomic_read_relaxed(&conn->svm_isn, &svm_isn);
    return svm_isn;
}

enum colo_conn_state colo_conn_state(uint32_t flags);
enum colo_conn_state colo_conn_state_at(const struct colo_conn *,
                                        uint32_t epoch);
bool colo_conn_is_new_incarnation(const struct colo_conn *,
                                  const struct colo_tcp *,
                                  enum colo_direction);
bool colo_conn_learn(struct colo_conn *, const struct colo_tcp *,
                     enum colo_direction);
void colo_conn_note_svm_ack(struct colo_conn *, const struct colo_tcp *,
                            uint32_t flags);
void colo_conn_assure(struct colo_conn *, const struct colo_tcp *,
                      enum colo_direction, uint32_t flags,
                      uint32_t seq_delta);
void colo_conn_track_close(struct colo_zone *, struct colo_conn *,
                           const struct colo_tcp *, enum colo_direction,
                           uint32_t flags, uint32_t seq_delta);
void colo_conn_checkpoint(struct colo_conn *);

/* Returns the epoch of 'conn'. */
static inline uint32_t
colo_conn_epoch(const struct colo_conn *conn_)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    uint32_t epoch;

    atomic_read_explicit(&conn->epoch, &epoch, memory_order_acquire);
    return epoch;
}

/* Returns the epoch of 'zone'. */
static inline uint32_t
colo_zone_epoch(const struct colo_zone *zone_)
{
    struct colo_zone *zone = CONST_CAST(struct colo_zone *, zone_);
    uint32_t epoch;

    atomic_read_explicit(&zone->epoch, &epoch, memory_order_acquire);
    return epoch;
}

void colo_conn_sync(struct colo_zone *, struct colo_conn *);
void colo_zone_sync(struct colo_zone *);

/* Candidates (colo-rewrite-cand.c), see struct colo_cand.  All but
 * colo_cand_match() need the zone's mutex. */

/* Where a packet of a connection with a candidate belongs. */
enum colo_cand_match {
    COLO_CAND_OLD,              /* The connection the entry tracks. */
    COLO_CAND_NEW,              /* The candidate's new connection. */
    COLO_CAND_GONE,             /* No candidate: the entry was replaced
                                 * meanwhile, look again with the mutex. */
};

bool colo_cand_is_syn(const struct colo_conn *, const struct colo_tcp *,
                      enum colo_direction);
void colo_cand_offer(struct colo_zone *, struct colo_conn *,
                     const struct colo_tcp *);
enum colo_cand_match colo_cand_match(const struct colo_zone *,
                                     const struct colo_conn *,
                                     const struct colo_tcp *,
                                     enum colo_direction, uint32_t flags);
void colo_cand_note(struct colo_zone *, const struct colo_conn *,
                    const struct colo_tcp *);
bool colo_cand_confirmed(const struct colo_zone *, const struct colo_conn *,
                         const struct colo_tcp *, enum colo_direction,
                         uint32_t flags);
void colo_cand_take(struct colo_zone *, struct colo_conn *,
                    const struct colo_conn *old, const struct colo_tcp *);
void colo_cand_checkpoint(struct colo_zone *, const struct colo_conn *);
void colo_cand_drop(struct colo_zone *, const struct colo_conn *);
void colo_cand_destroy_all(struct colo_zone *);

#endif /* colo-rewrite-private.h */
