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
 *   colo-rewrite-tcp.c    parsing a packet.  Rewriting its fields and
 *                         checksum is inline, below, because every
 *                         packet does it.
 *   colo-rewrite-conn.c   the connection state machine: handshake,
 *                         learning, close, checkpoint of one entry.
 *   colo-rewrite-cand.c   candidates: a peer's SYN on an open connection,
 *                         until the SVM shows what it is.
 *   colo-rewrite-pool.c   the slots that IPv4 entries are allocated from.
 *   colo-rewrite-stats.c  counters, statistics and dumps.
 *
 * Nothing outside the engine includes this header, but its unit tests
 * (tests/test-colo-rewrite.c calls colo_parse(), tests/test-colo-pool.c
 * tests the pool). */

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
#include "packets.h"
#include "util.h"

struct dp_packet;
struct tcp_header;

/* Connection key.  Both directions of a connection map to the same key,
 * because the direction keyword says which end is the VM.
 *
 * An entry stores only the first colo_key_size() bytes of its key: 12 for
 * IPv4, 36 for IPv6.  'ipv6' is not among them: an entry's family is its
 * COLO_F_IPV6 flag (see colo_conn_has_key()). */
struct colo_key {
    ovs_be16 vm_port;
    ovs_be16 peer_port;
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
    bool ipv6;                  /* Only in a key looked up, see above. */
};

#define COLO_KEY_SIZE_IPV4 12
#define COLO_KEY_SIZE_IPV6 36
BUILD_ASSERT_DECL(offsetof(struct colo_key, ip4) + 8 == COLO_KEY_SIZE_IPV4);
BUILD_ASSERT_DECL(offsetof(struct colo_key, ipv6) == COLO_KEY_SIZE_IPV6);

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

/* Which halves of the handshake have been learned: bits of an entry's
 * flags (see COLO_F_HALVES_SHIFT) and of a candidate's 'halves'. */
enum {
    COLO_HAVE_SVM = 1 << 0,     /* 'svm_isn' is valid. */
    COLO_HAVE_PVM = 1 << 1,     /* The PVM's ISN is in 'deltas'. */
    COLO_HAVE_SVM_TS = 1 << 2,  /* The SVM's timestamp is known. */
    COLO_HAVE_PVM_TS = 1 << 3,  /* The PVM's timestamp is in 'deltas'. */
};

/* The window scale options of the handshake (RFC 7323), bits of an entry's
 * flags (see COLO_F_WSCALE_SHIFT).  The SVM's window is scaled only if both
 * ends offered scaling. */
enum {
    COLO_WSCALE_SHIFT = 0x0f,   /* The SVM's shift, at most 14. */
    COLO_WSCALE_SVM = 1 << 4,   /* The SVM offered window scaling. */
    COLO_WSCALE_PEER = 1 << 5,  /* The peer offered window scaling. */
};

/* An entry's flags.  Bits only ever set, except COLO_F_FIN_VM (see
 * colo_conn_checkpoint()) and the role, which the mutex protects.  The
 * packet path reads them without a lock, and sets some of its bits with
 * atomic ORs: every change is an atomic operation. */
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
    COLO_F_IPV6 = 1 << 11,      /* An IPv6 connection.  Never changes. */

    /* Written with the zone's mutex held. */
#define COLO_F_HALVES_SHIFT 12  /* COLO_HAVE_*, 4 bits. */
#define COLO_F_ROLE_SHIFT 16    /* enum colo_role, 2 bits. */
    COLO_F_ROLE = 3 << COLO_F_ROLE_SHIFT,
#define COLO_F_WSCALE_SHIFT 18  /* COLO_WSCALE_*, 6 bits. */
};

/* A record kept beside an entry, in one of the zone's cmaps, found by the
 * entry's address: candidates and struct colo_young.  Such records are
 * for the few entries that need more than an entry holds.  Added and
 * removed with the zone's mutex held, found without it.  The functions
 * are in colo-rewrite-conn.c. */
struct colo_side {
    struct cmap_node node;
    const struct colo_conn *conn;   /* The entry it is beside. */
};

struct colo_side *colo_side_find(const struct cmap *,
                                 const struct colo_conn *);
void colo_side_insert(struct cmap *, struct colo_side *,
                      const struct colo_conn *);
void colo_side_remove(struct cmap *, const struct colo_conn *);
void colo_side_destroy_all(struct cmap *);

/* A peer's SYN with another initial sequence number on a learned, open
 * connection: a new connection on the same key, or a spoofed SYN.  Only the
 * SVM can tell: it answers a new connection with a SYN+ACK that
 * acknowledges the candidate's SYN, an old one with a challenge ACK
 * (RFC 5961).  Until it does, the entry keeps rewriting the old connection;
 * the candidate keeps the new connection's handshake, as a new entry would.
 * Candidates are rare, so they live beside the entries, in the zone's
 * 'cands', and cost an entry nothing but COLO_F_CAND.
 *
 * 'side' and 'peer_isn' never change; the rest is protected by the zone's
 * mutex. */
struct colo_cand {
    struct colo_side side;      /* In colo_zone's 'cands'.  First. */
    uint32_t peer_isn;          /* The candidate SYN's sequence number. */
    uint32_t pvm_isn;           /* From the peer's ACK, see 'halves'. */
    uint32_t pvm_ts;            /* Its TSecr, see 'halves'. */
    uint8_t halves;             /* COLO_HAVE_PVM, COLO_HAVE_PVM_TS. */
    bool peer_wscale;           /* The SYN offered window scaling. */
    bool checkpointed;          /* A checkpoint came after the SYN. */
};
BUILD_ASSERT_DECL(offsetof(struct colo_cand, side) == 0);

/* A peer's RST closes a connection only if its sequence number is near
 * what the SVM expects next: at most this many bytes before the SVM's last
 * acknowledgement (the PVM may lag behind the SVM), or within the window
 * the SVM last offered plus as many bytes after it. */
#define COLO_RST_SLACK 65535

/* One connection: for IPv4, one cache line from the table's pool; for
 * IPv6, 88 bytes from malloc().
 *
 * 'key' never changes.  The packet path reads 'flags' and 'deltas' without
 * a lock.  What only a connection not assured yet needs is in its struct
 * colo_young, beside the entries.
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
 * 'svm_isn', 'fin_vm_end', and its colo_young's) belong to the entry's own
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
    atomic_uint64_t svm_ack_win;    /* The SVM's last ack << 32 | the
                                     * window it offered, unscaled. */
    atomic_uint32_t flags;      /* COLO_F_*. */
    atomic_uint32_t used;       /* Last packet, in msec, modulo 2^32. */
    atomic_uint32_t epoch;      /* The zone's epoch that the values in the
                                 * SVM's numbering belong to. */

    /* Written with the zone's mutex held. */
    atomic_uint32_t svm_isn;    /* SVM's initial sequence number. */
    uint32_t peer_isn;          /* Peer's SYN sequence number. */

    /* Written by the packet path. */
    atomic_uint32_t fin_vm_end;     /* Ack that covers the VM's FIN, in the
                                     * SVM's numbering. */
    atomic_uint32_t fin_peer_end;   /* Ack that covers the peer's FIN. */

    /* Never changes.  Last, because only colo_key_size() bytes of it are
     * there: never copy it whole. */
    struct colo_key key;
};

/* The size of an IPv4 entry: one cache line. */
#define COLO_CONN_SIZE_IPV4 (offsetof(struct colo_conn, key) \
                             + COLO_KEY_SIZE_IPV4)
BUILD_ASSERT_DECL(COLO_CONN_SIZE_IPV4 == 64);

/* What an entry needs only until it is assured: the handshake's last
 * values and what assures it.  Assured entries, nearly all of them once
 * the zone is busy, do without, which keeps an entry in one cache line.
 * In colo_zone's 'youngs', created with the entry and removed when it is
 * assured or goes.  Protected by the zone's mutex, except 'svm_nxt'. */
struct colo_young {
    struct colo_side side;      /* In colo_zone's 'youngs'.  First. */
    uint32_t svm_ts;            /* SVM's timestamp clock at the handshake. */
    uint32_t serial;            /* Order of creation in the zone. */
    atomic_uint32_t svm_nxt;    /* The end of the data the SVM sent, in its
                                 * numbering. */
};
BUILD_ASSERT_DECL(offsetof(struct colo_young, side) == 0);

/* A zone: connections that share state, usually one protected VM
 * interface.  Allocated with xzalloc_cacheline(), so that the counters,
 * written once per batch, do not share a cache line with what every
 * packet reads. */
struct colo_zone {
    PADDED_MEMBERS_CACHELINE_MARKER(CACHE_LINE_SIZE, cacheline0,
        struct cmap_node node;      /* In colo_table's 'zones'. */
        uint16_t id;
        uint32_t hash_basis;        /* See colo_key_hash(). */
        atomic_bool failover;       /* Track no new connections. */
        atomic_uint32_t epoch;      /* Checkpoints so far, modulo 2^32.
                                     * Only changed with 'mutex' held. */
        struct cmap conns;          /* Contains "struct colo_conn"s. */
        struct cmap cands;          /* Contains "struct colo_cand"s. */
        struct cmap youngs;         /* Contains "struct colo_young"s. */

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

    struct colo_pool *pool;     /* IPv4 entries. */

    /* Settings, see struct colo_config. */
    atomic_uint max_conns;
    atomic_uint idle_timeout;
    atomic_uint linger;
};

/* What colo_parse() finds in a TCP packet.  Pointers point into the
 * packet.  colo_parse() sets every member if it returns COLO_PARSE_OK, and
 * leaves them undefined otherwise. */
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

/* Parsing (colo-rewrite-tcp.c) and rewriting (inline). */

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

/* Sets the 32-bit field at 'ofs' bytes into the TCP header to 'value' and
 * adds the change to the checksum accumulator '*acc' (see
 * colo_tcp_rewrite()).
 *
 * The checksum covers the header as 16-bit words from its start.  A field
 * at an even offset is two of them: its old value's complement and its new
 * value go in as 32-bit words, which a ones' complement sum may add as
 * they are, in whatever byte order, as long as the carries are folded back
 * in at the end.  A field at an odd offset (an option after a lone NOP)
 * changes the three words that cover it. */
static inline void
colo_tcp_set32(struct colo_tcp *p, size_t ofs, uint32_t value, uint64_t *acc)
{
    uint8_t *base = (uint8_t *) p->tcp;
    ovs_be32 field = htonl(value);

    if (OVS_LIKELY(!(ofs & 1))) {
        uint32_t old, new;

        memcpy(&old, base + ofs, sizeof old);
        memcpy(&new, &field, sizeof new);
        memcpy(base + ofs, &field, sizeof field);
        *acc += (uint64_t) (uint32_t) ~old + new;
    } else {
        size_t start = ofs - 1;
        ovs_be16 old[3], new[3];

        memcpy(old, base + start, sizeof old);
        memcpy(base + ofs, &field, sizeof field);
        memcpy(new, base + start, sizeof new);
        for (size_t i = 0; i < ARRAY_SIZE(old); i++) {
            *acc += (uint16_t) ~old[i] + (uint16_t) new[i];
        }
    }
}

/* Rewrites 'p' with the deltas of a learned connection.  Unless 'csum' is
 * false, because the checksum is left to offload, the TCP checksum is
 * updated incrementally (RFC 1624, eqn. 3): each changed field adds its old
 * value's complement and its new value to one 64-bit sum, folded into the
 * checksum once. */
static inline void
colo_tcp_rewrite(struct colo_tcp *p, enum colo_direction dir, uint32_t flags,
                 uint64_t deltas, bool csum)
{
    uint32_t seq_delta = deltas >> 32;
    uint32_t ts_delta = deltas;
    uint64_t sum = (uint16_t) ~p->tcp->tcp_csum;

    if (dir == COLO_PRIMARY) {
        if (p->flags & TCP_ACK) {
            colo_tcp_set32(p, COLO_TCP_ACK_OFS, colo_tcp_ack(p) + seq_delta,
                           &sum);
        }
        if (OVS_UNLIKELY(p->sack_ofs)) {
            for (size_t ofs = p->sack_ofs + 2;
                 ofs < p->sack_ofs + p->sack_len; ofs += 4) {
                colo_tcp_set32(p, ofs, colo_tcp_get32(p, ofs) + seq_delta,
                               &sum);
            }
        }
        if (p->ts_ofs && flags & COLO_F_TS) {
            uint32_t tsecr = colo_tcp_get32(p, p->ts_ofs + 6);
            if (tsecr) {
                colo_tcp_set32(p, p->ts_ofs + 6, tsecr + ts_delta, &sum);
            }
        }
    } else {
        colo_tcp_set32(p, COLO_TCP_SEQ_OFS, colo_tcp_seq(p) - seq_delta,
                       &sum);
        if (p->ts_ofs && flags & COLO_F_TS) {
            colo_tcp_set32(p, p->ts_ofs + 2,
                           colo_tcp_get32(p, p->ts_ofs + 2) - ts_delta, &sum);
        }
    }
    if (csum) {
        /* At most 11 fields were added, each less than 2^33: folding the
         * 64 bits twice into 32, then 32 twice into 16, leaves no
         * carry. */
        sum = (sum & 0xffffffff) + (sum >> 32);
        sum = (sum & 0xffffffff) + (sum >> 32);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        p->tcp->tcp_csum = (OVS_FORCE ovs_be16) (uint16_t) ~sum;
    }
}

/* Zones (colo-rewrite.c). */

struct colo_zone *colo_zone_find(const struct colo_table *, uint16_t id);
void colo_zone_count(struct colo_zone *, enum colo_stat);

/* Connections (colo-rewrite-conn.c). */

/* Hashes 'key' for 'zone'.  Each zone has a random basis: with a known
 * one, an attacker could choose 4-tuples whose hashes all collide, and
 * make every lookup of theirs walk a chain of all their entries. */
static inline uint32_t
colo_key_hash(const struct colo_zone *zone, const struct colo_key *key)
{
    if (!key->ipv6) {
        uint32_t hash = zone->hash_basis;

        hash = hash_add(hash, (OVS_FORCE uint32_t) key->ip4.vm);
        hash = hash_add(hash, (OVS_FORCE uint32_t) key->ip4.peer);
        hash = hash_add(hash, ((uint32_t) key->vm_port << 16)
                              | key->peer_port);
        return hash_finish(hash, 12);
    }
    return hash_bytes(key, COLO_KEY_SIZE_IPV6, zone->hash_basis);
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

/* Returns true if 'conn' has 'key'.  An IPv4 key compares as a 64-bit and
 * a 32-bit word, inline. */
static inline bool
colo_conn_has_key(const struct colo_conn *conn, const struct colo_key *key)
{
    bool conn_ipv6 = colo_conn_flags(conn) & COLO_F_IPV6;

    if (!key->ipv6) {
        uint64_t a0, b0;
        uint32_t a1, b1;

        BUILD_ASSERT(sizeof a0 + sizeof a1 == COLO_KEY_SIZE_IPV4);
        memcpy(&a0, &conn->key, sizeof a0);
        memcpy(&b0, key, sizeof b0);
        memcpy(&a1, (const uint8_t *) &conn->key + sizeof a0, sizeof a1);
        memcpy(&b1, (const uint8_t *) key + sizeof b0, sizeof b1);
        return !((a0 ^ b0) | (a1 ^ b1) | conn_ipv6);
    }
    return conn_ipv6 && !memcmp(&conn->key, key, COLO_KEY_SIZE_IPV6);
}

/* Returns the key of 'conn' in '*key', whole. */
static inline void
colo_conn_get_key(const struct colo_conn *conn, struct colo_key *key)
{
    key->ipv6 = colo_conn_flags(conn) & COLO_F_IPV6;
    memcpy(key, &conn->key, colo_key_size(key));
}

/* Returns the hash of the key of 'conn', in 'zone'. */
static inline uint32_t
colo_conn_hash(const struct colo_zone *zone, const struct colo_conn *conn)
{
    struct colo_key key;

    colo_conn_get_key(conn, &key);
    return colo_key_hash(zone, &key);
}

/* The parts of an entry's flags that the zone's mutex protects. */
static inline unsigned int
colo_conn_halves(uint32_t flags)
{
    return (flags >> COLO_F_HALVES_SHIFT) & 0xf;
}

static inline enum colo_role
colo_conn_role(uint32_t flags)
{
    return (flags & COLO_F_ROLE) >> COLO_F_ROLE_SHIFT;
}

static inline unsigned int
colo_conn_wscale(uint32_t flags)
{
    return (flags >> COLO_F_WSCALE_SHIFT) & 0x3f;
}

/* Adds the bits 'set' to the flags of 'conn'. */
static inline void
colo_conn_set_flags(struct colo_conn *conn, uint32_t set)
{
    uint32_t orig;

    atomic_or_explicit(&conn->flags, set, &orig, memory_order_release);
}

static inline void
colo_conn_add_halves(struct colo_conn *conn, unsigned int halves)
{
    colo_conn_set_flags(conn, (uint32_t) halves << COLO_F_HALVES_SHIFT);
}

static inline void
colo_conn_add_wscale(struct colo_conn *conn, unsigned int wscale)
{
    colo_conn_set_flags(conn, (uint32_t) wscale << COLO_F_WSCALE_SHIFT);
}

/* Sets the role of 'conn' to 'role'.  Called with the zone's mutex held:
 * no one else changes it meanwhile, and the packet path's ORs of other
 * bits are kept. */
static inline void
colo_conn_set_role(struct colo_conn *conn, enum colo_role role)
{
    uint32_t orig;

    atomic_and_explicit(&conn->flags, ~(uint32_t) COLO_F_ROLE, &orig,
                        memory_order_relaxed);
    colo_conn_set_flags(conn, (uint32_t) role << COLO_F_ROLE_SHIFT);
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
bool colo_conn_learn(struct colo_zone *, struct colo_conn *,
                     const struct colo_tcp *, enum colo_direction);

/* Notes the acknowledgement and window of the SVM's packet 'p', against
 * which the peer's RSTs are checked.  'flags' are the flags of 'conn' when
 * 'p' was looked up. */
static inline void
colo_conn_note_svm_ack(struct colo_conn *conn, const struct colo_tcp *p,
                       uint32_t flags)
{
    if (p->flags & TCP_ACK) {
        uint32_t ack = colo_tcp_ack(p);
        uint64_t ack_win = (uint64_t) ack << 32 | ntohs(p->tcp->tcp_winsz);

        atomic_store_relaxed(&conn->svm_ack_win, ack_win);
        if (!(flags & COLO_F_SVM_ACK)) {
            colo_conn_set_flags(conn, COLO_F_SVM_ACK);
        }
    }
}

void colo_conn_assure(struct colo_zone *, struct colo_conn *,
                      const struct colo_tcp *, enum colo_direction,
                      uint32_t flags, uint32_t seq_delta);
void colo_conn_track_close(struct colo_zone *, struct colo_conn *,
                           const struct colo_tcp *, enum colo_direction,
                           uint32_t flags, uint32_t seq_delta);
void colo_conn_checkpoint(struct colo_zone *, struct colo_conn *);

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

/* Entries not assured yet (colo-rewrite-conn.c), see struct colo_young.
 * All but colo_young_find() need the zone's mutex. */
struct colo_young *colo_young_find(const struct colo_zone *,
                                   const struct colo_conn *);
void colo_young_create(struct colo_zone *, const struct colo_conn *,
                       uint32_t serial);
void colo_young_drop(struct colo_zone *, const struct colo_conn *);
void colo_young_destroy_all(struct colo_zone *);

/* The pool of IPv4 entries (colo-rewrite-pool.c). */
struct colo_pool *colo_pool_create(size_t slot_size);
void colo_pool_destroy(struct colo_pool *);
void *colo_pool_alloc(struct colo_pool *);
void colo_pool_free(void *);
size_t colo_pool_size(const struct colo_pool *);

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
