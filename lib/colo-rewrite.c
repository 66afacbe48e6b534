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

#include "colo-rewrite.h"

#include <netinet/in.h>
#include <netinet/ip6.h>
#include <string.h>

#include "cmap.h"
#include "colo-compat.h"
#include "coverage.h"
#include "csum.h"
#include "dp-packet.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/thread.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(colo_rewrite);

COVERAGE_DEFINE(colo_rewritten);
COVERAGE_DEFINE(colo_pass_unlearned);
COVERAGE_DEFINE(colo_pass_unparseable);
COVERAGE_DEFINE(colo_pass_zone_full);
COVERAGE_DEFINE(colo_pass_untracked);
COVERAGE_DEFINE(colo_conn_created);
COVERAGE_DEFINE(colo_conn_closed);
COVERAGE_DEFINE(colo_conn_expired);
COVERAGE_DEFINE(colo_conn_evicted);

/* Connection key.  Both directions of a connection map to the same key,
 * because the direction keyword says which end is the VM.  IPv4 addresses
 * are stored IPv4-mapped; 'ipv6' keeps an IPv6 connection whose addresses
 * happen to be IPv4-mapped apart from an IPv4 one. */
struct colo_key {
    struct in6_addr vm_addr;
    struct in6_addr peer_addr;
    ovs_be16 vm_port;
    ovs_be16 peer_port;
    uint8_t ipv6;
    uint8_t pad[3];
};
BUILD_ASSERT_DECL(sizeof(struct colo_key) == 40);

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

/* One connection, 96 bytes on 64-bit hosts.
 *
 * 'key' never changes.  The handshake halves are written only with the
 * zone's mutex held.  The packet path reads 'flags' and 'deltas' without a
 * lock.
 *
 * Until COLO_F_LEARNED is set, 'deltas' holds the PVM's half of the
 * handshake instead (PVM ISN << 32 | PVM timestamp), which the packet path
 * never reads.  The deltas are stored there before COLO_F_LEARNED is set,
 * and changed afterward only by a checkpoint, which waits for the packet
 * path to quiesce. */
struct colo_conn {
    struct cmap_node node;      /* In colo_zone's 'conns'. */
    struct colo_key key;
    atomic_uint64_t deltas;     /* seq_delta << 32 | ts_delta. */

    /* Protected by the zone's mutex. */
    uint32_t svm_isn;           /* SVM's initial sequence number. */
    uint32_t peer_isn;          /* Peer's SYN sequence number. */
    uint32_t svm_ts;            /* SVM's timestamp clock at the handshake. */

    /* Read by the packet path. */
    atomic_uint32_t flags;      /* COLO_F_*. */
    atomic_uint32_t fin_vm_end;     /* Ack that covers the VM's FIN, in the
                                     * SVM's numbering. */
    atomic_uint32_t fin_peer_end;   /* Ack that covers the peer's FIN. */
    atomic_uint32_t used;       /* Last packet, in msec, modulo 2^32. */
    atomic_uint64_t svm_ack_win;    /* The SVM's last ack << 32 | the
                                     * window it offered, unscaled. */

    /* Protected by the zone's mutex. */
    uint8_t role;               /* enum colo_role. */
    uint8_t halves;             /* COLO_HAVE_*. */
    atomic_uint8_t wscale;      /* COLO_WSCALE_*, read without the mutex. */
};

/* A zone: connections that share state, usually one protected VM
 * interface. */
struct colo_zone {
    struct cmap_node node;      /* In colo_table's 'zones'. */
    uint16_t id;

    struct ovs_mutex mutex;     /* Protects changes to 'conns', learning. */
    struct cmap conns;          /* Contains "struct colo_conn"s. */
    struct cmap_position evict_pos; /* Where eviction looks next. */
    atomic_bool failover;       /* Track no new connections. */

    atomic_uint64_t counters[COLO_N_STATS];
};

struct colo_table {
    struct ovs_mutex mutex;     /* Protects inserts into 'zones'. */
    struct cmap zones;          /* Contains "struct colo_zone"s. */
    atomic_bool failover;       /* Zones created from now on fail over. */

    /* Settings, see struct colo_config. */
    atomic_uint max_conns;
    atomic_uint idle_timeout;
    atomic_uint linger;
};

/* What colo_parse() finds in a TCP packet.  Pointers point into the
 * packet. */
struct colo_tcp {
    struct tcp_header *tcp;
    uint16_t flags;             /* TCP_* flags. */
    bool ipv6;
    struct in6_addr src;
    struct in6_addr dst;

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

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

const char *
colo_direction_to_string(enum colo_direction dir)
{
    return dir == COLO_PRIMARY ? "primary"
           : dir == COLO_SECONDARY ? "secondary"
           : "<unknown>";
}

bool
colo_direction_from_string(const char *s, enum colo_direction *dir)
{
    if (!strcmp(s, "primary")) {
        *dir = COLO_PRIMARY;
    } else if (!strcmp(s, "secondary")) {
        *dir = COLO_SECONDARY;
    } else {
        return false;
    }
    return true;
}

const char *
colo_stat_name(enum colo_stat stat)
{
    switch (stat) {
#define COLO_STAT(ENUM, NAME, DESCRIPTION) \
    case COLO_STAT_##ENUM: return NAME;
        COLO_STATS
#undef COLO_STAT
    case COLO_N_STATS:
    default:
        OVS_NOT_REACHED();
    }
}

/* Packet parsing.
 *
 * Every read is checked against the frame's length.  A packet that does not
 * parse cleanly is passed unchanged. */

enum colo_parse_result {
    COLO_PARSE_OK,
    COLO_PARSE_NOT_TCP,
    COLO_PARSE_BAD,
};

/* Walks the TCP options of 'tcp' ('hlen' bytes of header in all) and
 * records the timestamp and SACK options in 'p'.  Returns false if the
 * options are malformed. */
static bool
colo_parse_options(const uint8_t *opts, size_t len, struct colo_tcp *p)
{
    size_t i = 0;

    while (i < len) {
        uint8_t kind = opts[i];

        if (kind == COLO_TCPOPT_EOL) {
            break;
        } else if (kind == COLO_TCPOPT_NOP) {
            i++;
            continue;
        }

        if (i + 1 >= len) {
            return false;
        }
        uint8_t olen = opts[i + 1];
        if (olen < 2 || i + olen > len) {
            return false;
        }

        if (kind == COLO_TCPOPT_TIMESTAMP) {
            if (olen != 10 || p->ts_ofs) {
                return false;
            }
            p->ts_ofs = TCP_HEADER_LEN + i;
        } else if (kind == COLO_TCPOPT_SACK) {
            if (olen < 10 || (olen - 2) % 8 || p->sack_ofs) {
                return false;
            }
            p->sack_ofs = TCP_HEADER_LEN + i;
            p->sack_len = olen;
        } else if (kind == COLO_TCPOPT_WSCALE && olen == 3) {
            p->has_wscale = true;
            p->wscale = opts[i + 2];
        }
        i += olen;
    }
    return true;
}

static enum colo_parse_result
colo_parse(struct dp_packet *packet, struct colo_tcp *p)
{
    uint8_t *data = dp_packet_data(packet);
    size_t size = dp_packet_size(packet);
    size_t ofs = ETH_HEADER_LEN;
    uint8_t proto;

    memset(p, 0, sizeof *p);
    if (size < ETH_HEADER_LEN) {
        return COLO_PARSE_NOT_TCP;
    }

    ovs_be16 eth_type = ALIGNED_CAST(const struct eth_header *,
                                     data)->eth_type;
    while (eth_type == htons(ETH_TYPE_VLAN_8021Q)
           || eth_type == htons(ETH_TYPE_VLAN_8021AD)) {
        if (size < ofs + VLAN_HEADER_LEN) {
            return COLO_PARSE_NOT_TCP;
        }
        const struct vlan_header *vlan;

        vlan = ALIGNED_CAST(const struct vlan_header *, data + ofs);
        eth_type = vlan->vlan_next_type;
        ofs += VLAN_HEADER_LEN;
    }

    if (eth_type == htons(ETH_TYPE_IP)) {
        const struct ip_header *ip;
        size_t ihl, tot_len;

        if (size < ofs + IP_HEADER_LEN) {
            return COLO_PARSE_BAD;
        }
        ip = ALIGNED_CAST(const struct ip_header *, data + ofs);
        if (ip->ip_proto != IPPROTO_TCP) {
            return COLO_PARSE_NOT_TCP;
        }
        ihl = IP_IHL(ip->ip_ihl_ver) * 4;
        tot_len = ntohs(ip->ip_tot_len);
        if (IP_VER(ip->ip_ihl_ver) != 4 || ihl < IP_HEADER_LEN
            || tot_len < ihl || size < ofs + tot_len) {
            return COLO_PARSE_BAD;
        }
        if (ip->ip_frag_off & htons(IP_FRAG_OFF_MASK)) {
            /* A non-first fragment carries no TCP header. */
            return COLO_PARSE_BAD;
        }
        in6_addr_set_mapped_ipv4(&p->src, get_16aligned_be32(&ip->ip_src));
        in6_addr_set_mapped_ipv4(&p->dst, get_16aligned_be32(&ip->ip_dst));
        /* Ignore Ethernet padding past the IP datagram. */
        size = ofs + tot_len;
        ofs += ihl;
    } else if (eth_type == htons(ETH_TYPE_IPV6)) {
        const struct ovs_16aligned_ip6_hdr *ip6;
        size_t end;

        if (size < ofs + IPV6_HEADER_LEN) {
            return COLO_PARSE_BAD;
        }
        ip6 = ALIGNED_CAST(const struct ovs_16aligned_ip6_hdr *,
                           data + ofs);
        end = ofs + IPV6_HEADER_LEN + ntohs(ip6->ip6_plen);
        if (end > size) {
            return COLO_PARSE_BAD;
        }
        size = end;
        memcpy(&p->src, &ip6->ip6_src, sizeof p->src);
        memcpy(&p->dst, &ip6->ip6_dst, sizeof p->dst);
        p->ipv6 = true;
        proto = ip6->ip6_nxt;
        ofs += IPV6_HEADER_LEN;

        /* Skip extension headers. */
        for (;;) {
            if (proto == IPPROTO_HOPOPTS || proto == IPPROTO_ROUTING
                || proto == IPPROTO_DSTOPTS) {
                if (size < ofs + 8) {
                    return COLO_PARSE_BAD;
                }
                proto = data[ofs];
                ofs += (data[ofs + 1] + 1) * 8;
            } else if (proto == IPPROTO_FRAGMENT) {
                const struct ovs_16aligned_ip6_frag *frag;

                if (size < ofs + sizeof *frag) {
                    return COLO_PARSE_BAD;
                }
                frag = ALIGNED_CAST(const struct ovs_16aligned_ip6_frag *,
                                    data + ofs);
                if (frag->ip6f_offlg & IP6F_OFF_MASK) {
                    return COLO_PARSE_BAD;
                }
                proto = frag->ip6f_nxt;
                ofs += sizeof *frag;
            } else {
                break;
            }
            if (ofs > size) {
                return COLO_PARSE_BAD;
            }
        }
        if (proto != IPPROTO_TCP) {
            return COLO_PARSE_NOT_TCP;
        }
    } else {
        return COLO_PARSE_NOT_TCP;
    }

    /* TCP. */
    if (size < ofs + TCP_HEADER_LEN) {
        return COLO_PARSE_BAD;
    }
    p->tcp = ALIGNED_CAST(struct tcp_header *, data + ofs);
    size_t hlen = TCP_OFFSET(p->tcp->tcp_ctl) * 4;
    if (hlen < TCP_HEADER_LEN || size < ofs + hlen) {
        return COLO_PARSE_BAD;
    }
    p->flags = TCP_FLAGS(p->tcp->tcp_ctl);
    p->payload_len = size - ofs - hlen;
    if (!colo_parse_options(data + ofs + TCP_HEADER_LEN,
                            hlen - TCP_HEADER_LEN, p)) {
        return COLO_PARSE_BAD;
    }
    return COLO_PARSE_OK;
}

/* Reads and writes of 32-bit fields at 'ofs' bytes into the TCP header,
 * which may be only 16-bit aligned. */
static uint32_t
colo_tcp_get32(const struct colo_tcp *p, size_t ofs)
{
    ovs_be32 value;

    memcpy(&value, (const uint8_t *) p->tcp + ofs, sizeof value);
    return ntohl(value);
}

/* Sets the 32-bit field at 'ofs' bytes into the TCP header to 'value' and
 * updates the TCP checksum incrementally (RFC 1624), unless 'csum' is false
 * because the checksum is left to offload.
 *
 * Option fields need not be 16-bit aligned, so the checksum is updated over
 * the 16-bit words that cover the field. */
static void
colo_tcp_set32(struct colo_tcp *p, size_t ofs, uint32_t value, bool csum)
{
    uint8_t *base = (uint8_t *) p->tcp;
    size_t start = ofs & ~(size_t) 1;
    size_t n_words = (ofs + sizeof(ovs_be32) - start + 1) / 2;
    ovs_be16 old[3], new[3];
    ovs_be32 field = htonl(value);

    memcpy(old, base + start, n_words * 2);
    memcpy(base + ofs, &field, sizeof field);
    if (csum) {
        memcpy(new, base + start, n_words * 2);
        for (size_t i = 0; i < n_words; i++) {
            p->tcp->tcp_csum = recalc_csum16(p->tcp->tcp_csum,
                                             old[i], new[i]);
        }
    }
}

/* Zones. */

static uint32_t
colo_zone_hash(uint16_t id)
{
    return hash_int(id, 0);
}

static struct colo_zone *
colo_zone_find(const struct colo_table *table, uint16_t id)
{
    struct colo_zone *zone;

    CMAP_FOR_EACH_WITH_HASH (zone, node, colo_zone_hash(id), &table->zones) {
        if (zone->id == id) {
            return zone;
        }
    }
    return NULL;
}

static struct colo_zone *
colo_zone_get(struct colo_table *table, uint16_t id)
{
    struct colo_zone *zone = colo_zone_find(table, id);

    if (OVS_UNLIKELY(!zone)) {
        ovs_mutex_lock(&table->mutex);
        zone = colo_zone_find(table, id);
        if (!zone) {
            bool failover;

            zone = xzalloc(sizeof *zone);
            zone->id = id;
            ovs_mutex_init(&zone->mutex);
            cmap_init(&zone->conns);
            atomic_read_relaxed(&table->failover, &failover);
            atomic_init(&zone->failover, failover);
            for (size_t i = 0; i < COLO_N_STATS; i++) {
                atomic_init(&zone->counters[i], 0);
            }
            cmap_insert(&table->zones, &zone->node, colo_zone_hash(id));
        }
        ovs_mutex_unlock(&table->mutex);
    }
    return zone;
}

static void
colo_zone_count(struct colo_zone *zone, enum colo_stat stat)
{
    uint64_t orig;

    atomic_add_relaxed(&zone->counters[stat], 1, &orig);

    /* The main events, also in ovs-appctl coverage/show. */
    switch (stat) {
    case COLO_STAT_REWRITTEN:
        COVERAGE_INC(colo_rewritten);
        break;
    case COLO_STAT_PASS_UNLEARNED:
        COVERAGE_INC(colo_pass_unlearned);
        break;
    case COLO_STAT_PASS_UNPARSEABLE:
        COVERAGE_INC(colo_pass_unparseable);
        break;
    case COLO_STAT_PASS_ZONE_FULL:
        COVERAGE_INC(colo_pass_zone_full);
        break;
    case COLO_STAT_PASS_UNTRACKED:
        COVERAGE_INC(colo_pass_untracked);
        break;
    case COLO_STAT_CONNS_CREATED:
        COVERAGE_INC(colo_conn_created);
        break;
    case COLO_STAT_CONNS_CLOSED:
        COVERAGE_INC(colo_conn_closed);
        break;
    case COLO_STAT_CONNS_EXPIRED:
        COVERAGE_INC(colo_conn_expired);
        break;
    case COLO_STAT_CONNS_EVICTED:
        COVERAGE_INC(colo_conn_evicted);
        break;
    case COLO_STAT_PASS_NOT_TCP:
    case COLO_STAT_CONNS_FREED:
    case COLO_STAT_CONNS_FLUSHED:
    case COLO_STAT_IGNORED_RST:
    case COLO_N_STATS:
    default:
        break;
    }
}

/* Connections. */

static uint32_t
colo_key_hash(const struct colo_key *key)
{
    return hash_bytes(key, sizeof *key, 0);
}

static void
colo_key_init(struct colo_key *key, const struct colo_tcp *p,
              enum colo_direction dir)
{
    memset(key, 0, sizeof *key);
    key->ipv6 = p->ipv6;
    if (dir == COLO_SECONDARY) {
        /* The VM is the source. */
        key->vm_addr = p->src;
        key->vm_port = p->tcp->tcp_src;
        key->peer_addr = p->dst;
        key->peer_port = p->tcp->tcp_dst;
    } else {
        /* The VM is the destination. */
        key->vm_addr = p->dst;
        key->vm_port = p->tcp->tcp_dst;
        key->peer_addr = p->src;
        key->peer_port = p->tcp->tcp_src;
    }
}

static struct colo_conn *
colo_conn_find(const struct colo_zone *zone, const struct colo_key *key,
               uint32_t hash)
{
    struct colo_conn *conn;

    CMAP_FOR_EACH_WITH_HASH (conn, node, hash, &zone->conns) {
        if (!memcmp(&conn->key, key, sizeof *key)) {
            return conn;
        }
    }
    return NULL;
}

static uint32_t
colo_conn_flags(const struct colo_conn *conn_)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    uint32_t flags;

    atomic_read_explicit(&conn->flags, &flags, memory_order_acquire);
    return flags;
}

/* Returns how long 'conn' has been idle at 'now', in msec.  Entries expire
 * long before the 32-bit clock of 'used' wraps (see COLO_MAX_TIMEOUT). */
static uint32_t
colo_conn_idle(const struct colo_conn *conn_, long long int now)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    uint32_t used;

    atomic_read_relaxed(&conn->used, &used);
    return (uint32_t) now - used;
}

static enum colo_conn_state
colo_conn_state(uint32_t flags)
{
    /* An entry that is not learned is "learning" even after a FIN: it
     * expires on the half-open timeout, as a learning entry does. */
    return (flags & COLO_F_CLOSED ? COLO_CONN_CLOSED
            : !(flags & COLO_F_LEARNED) ? COLO_CONN_LEARNING
            : flags & (COLO_F_FIN_VM | COLO_F_FIN_PEER) ? COLO_CONN_CLOSING
            : COLO_CONN_ESTABLISHED);
}

static void
colo_conn_remove(struct colo_zone *zone, struct colo_conn *conn,
                 enum colo_stat why)
    OVS_REQUIRES(zone->mutex)
{
    cmap_remove(&zone->conns, &conn->node, colo_key_hash(&conn->key));
    ovsrcu_postpone(free, conn);
    colo_zone_count(zone, why);
}

/* The zone is full: looks at a few entries, starting where the last look
 * ended, for a closed or half-open one to evict.  Established entries are
 * never evicted.  Returns true if it made room. */
static bool
colo_zone_evict(struct colo_zone *zone)
    OVS_REQUIRES(zone->mutex)
{
    for (int i = 0; i < 64; i++) {
        struct cmap_node *node = cmap_next_position(&zone->conns,
                                                    &zone->evict_pos);
        if (!node) {
            memset(&zone->evict_pos, 0, sizeof zone->evict_pos);
            node = cmap_next_position(&zone->conns, &zone->evict_pos);
            if (!node) {
                return false;
            }
        }

        struct colo_conn *conn = CONTAINER_OF(node, struct colo_conn, node);
        uint32_t flags = colo_conn_flags(conn);
        if (flags & COLO_F_CLOSED || !(flags & COLO_F_LEARNED)) {
            colo_conn_remove(zone, conn, COLO_STAT_CONNS_EVICTED);
            return true;
        }
    }
    return false;
}

static struct colo_conn *
colo_conn_create(struct colo_table *table, struct colo_zone *zone,
                 const struct colo_key *key, uint32_t hash,
                 long long int now)
    OVS_REQUIRES(zone->mutex)
{
    unsigned int max_conns;
    struct colo_conn *conn;

    atomic_read_relaxed(&table->max_conns, &max_conns);
    if (cmap_count(&zone->conns) >= max_conns && !colo_zone_evict(zone)) {
        VLOG_WARN_RL(&rl, "zone %"PRIu16" is full (colo-max-conns=%u): "
                     "new connections pass unrewritten", zone->id,
                     max_conns);
        colo_zone_count(zone, COLO_STAT_PASS_ZONE_FULL);
        return NULL;
    }

    conn = xzalloc(sizeof *conn);
    conn->key = *key;
    atomic_init(&conn->flags, 0);
    atomic_init(&conn->fin_vm_end, 0);
    atomic_init(&conn->fin_peer_end, 0);
    atomic_init(&conn->deltas, 0);
    atomic_init(&conn->used, (uint32_t) now);
    atomic_init(&conn->svm_ack_win, 0);
    atomic_init(&conn->wscale, 0);
    cmap_insert(&zone->conns, &conn->node, hash);
    colo_zone_count(zone, COLO_STAT_CONNS_CREATED);
    return conn;
}

/* Returns true if 'p', travelling in 'dir', is a SYN that opens a new
 * connection on the key of 'conn' instead of repeating the one 'conn'
 * tracks: a SYN or the peer's SYN+ACK once 'conn' is closed, or a SYN
 * (without ACK) whose sequence number differs from the one that opened
 * 'conn'. */
static bool
colo_conn_is_new_incarnation(const struct colo_conn *conn,
                             const struct colo_tcp *p,
                             enum colo_direction dir)
{
    uint32_t seq = ntohl(get_16aligned_be32(&p->tcp->tcp_seq));

    if (!(p->flags & TCP_SYN)) {
        return false;
    } else if (colo_conn_flags(conn) & COLO_F_CLOSED) {
        /* A SYN after the close opens a new connection; so does the peer's
         * SYN+ACK, which may reach us before the SVM's new SYN when the VM
         * is the client (the SVM lags behind the PVM).  The SVM's SYN+ACK
         * can only repeat the old handshake: a new one starts with the
         * peer's SYN. */
        return !(dir == COLO_SECONDARY && p->flags & TCP_ACK);
    } else if (p->flags & TCP_ACK) {
        return false;
    } else if (dir == COLO_PRIMARY) {
        return conn->role != COLO_ROLE_VM_SERVER || conn->peer_isn != seq;
    } else {
        return (conn->role != COLO_ROLE_VM_CLIENT
                || (conn->halves & COLO_HAVE_SVM && conn->svm_isn != seq));
    }
}

/* Learns the window scaling of 'conn' from SYN or SYN+ACK 'p', travelling
 * in 'dir'.  Only the SVM's first SYN counts for its shift.  Called with
 * the zone's mutex held. */
static void
colo_conn_learn_wscale(struct colo_conn *conn, const struct colo_tcp *p,
                       enum colo_direction dir)
{
    uint8_t ws;

    atomic_read_relaxed(&conn->wscale, &ws);
    if (!p->has_wscale) {
        return;
    } else if (dir == COLO_PRIMARY) {
        ws |= COLO_WSCALE_PEER;
    } else if (!(ws & COLO_WSCALE_SVM)) {
        /* RFC 7323: a shift above 14 is taken as 14. */
        ws |= COLO_WSCALE_SVM | MIN(p->wscale, 14);
    }
    atomic_store_relaxed(&conn->wscale, ws);
}

/* Notes the acknowledgement and window of the SVM's packet 'p', against
 * which the peer's RSTs are checked.  'flags' are the flags of 'conn' when
 * 'p' was looked up. */
static void
colo_conn_note_svm_ack(struct colo_conn *conn, const struct colo_tcp *p,
                       uint32_t flags)
{
    if (p->flags & TCP_ACK) {
        uint32_t ack = ntohl(get_16aligned_be32(&p->tcp->tcp_ack));
        uint64_t ack_win = (uint64_t) ack << 32 | ntohs(p->tcp->tcp_winsz);
        uint32_t orig;

        atomic_store_relaxed(&conn->svm_ack_win, ack_win);
        if (!(flags & COLO_F_SVM_ACK)) {
            atomic_or_explicit(&conn->flags, COLO_F_SVM_ACK, &orig,
                               memory_order_release);
        }
    }
}

/* Returns true if the peer's RST with sequence number 'seq' may close
 * 'conn': the SVM has acknowledged nothing yet, or 'seq' is in the
 * sequence space the SVM's last acknowledgement and window describe, as
 * RFC 5961 asks of a TCP receiver.  A blind attacker who knows the 4-tuple
 * but not the sequence numbers hits it with a chance of about one in
 * 2^32 / (window + 2 * COLO_RST_SLACK). */
static bool
colo_conn_rst_acceptable(const struct colo_conn *conn_, uint32_t flags,
                         uint32_t seq)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    uint64_t ack_win;
    uint32_t ack, win;
    uint8_t ws;

    if (!(flags & COLO_F_SVM_ACK)) {
        return true;
    }
    atomic_read_relaxed(&conn->svm_ack_win, &ack_win);
    atomic_read_relaxed(&conn->wscale, &ws);
    ack = ack_win >> 32;
    win = (uint16_t) ack_win;
    if ((ws & (COLO_WSCALE_SVM | COLO_WSCALE_PEER))
        == (COLO_WSCALE_SVM | COLO_WSCALE_PEER)) {
        win <<= ws & COLO_WSCALE_SHIFT;
    }
    return (seq - ack <= win + COLO_RST_SLACK
            || ack - seq <= COLO_RST_SLACK);
}

/* Learns from handshake packet 'p' of 'conn', travelling in 'dir', and
 * publishes the deltas once both halves are known.
 *
 * (seq_delta = SVM_ISN - PVM_ISN, ts_delta = SVM_TS - PVM_TS.)
 *
 *   - The SVM's SYN or SYN+ACK gives SVM_ISN (its seq) and SVM_TS (its
 *     TSval).
 *
 *   - The peer's SYN+ACK (the VM is the client), or the peer's first ACK
 *     after its own SYN (the VM is the server), acknowledges the PVM's SYN:
 *     PVM_ISN is its ack - 1 and PVM_TS its TSecr.
 *
 * Only the first value of each half counts, so retransmitted handshake
 * packets change nothing. */
static void
colo_conn_learn(struct colo_zone *zone, struct colo_conn *conn,
                const struct colo_tcp *p, enum colo_direction dir)
    OVS_REQUIRES(zone->mutex)
{
    uint16_t flags = p->flags;
    uint32_t seq = ntohl(get_16aligned_be32(&p->tcp->tcp_seq));
    uint32_t ack = ntohl(get_16aligned_be32(&p->tcp->tcp_ack));

    if (colo_conn_flags(conn) & COLO_F_LEARNED || flags & TCP_RST) {
        return;
    }

    if (flags & TCP_SYN) {
        colo_conn_learn_wscale(conn, p, dir);
    }
    if (dir == COLO_SECONDARY) {
        if (flags & TCP_SYN && !(conn->halves & COLO_HAVE_SVM)) {
            conn->role = (flags & TCP_ACK ? COLO_ROLE_VM_SERVER
                          : COLO_ROLE_VM_CLIENT);
            conn->svm_isn = seq;
            conn->halves |= COLO_HAVE_SVM;
            if (p->ts_ofs) {
                conn->svm_ts = colo_tcp_get32(p, p->ts_ofs + 2);
                conn->halves |= COLO_HAVE_SVM_TS;
            }
        }
    } else {
        bool learn = false;

        if (flags & TCP_SYN) {
            if (flags & TCP_ACK) {
                conn->role = COLO_ROLE_VM_CLIENT;
                learn = true;
            } else if (conn->role == COLO_ROLE_UNKNOWN) {
                conn->role = COLO_ROLE_VM_SERVER;
                conn->peer_isn = seq;
            }
        } else if (flags & TCP_ACK && conn->role == COLO_ROLE_VM_SERVER) {
            learn = true;
        }

        if (learn && !(conn->halves & COLO_HAVE_PVM)) {
            uint32_t pvm_ts = 0;

            if (!(conn->halves & COLO_HAVE_SVM)) {
                static struct vlog_rate_limit order_rl
                    = VLOG_RATE_LIMIT_INIT(1, 5);

                VLOG_INFO_RL(&order_rl, "zone %"PRIu16": the peer's %s "
                             "came before the SVM's %s; it passes "
                             "unrewritten (the SVM lags behind the PVM)",
                             zone->id, flags & TCP_SYN ? "SYN+ACK" : "ACK",
                             flags & TCP_SYN ? "SYN" : "SYN+ACK");
            }

            conn->halves |= COLO_HAVE_PVM;
            if (p->ts_ofs) {
                pvm_ts = colo_tcp_get32(p, p->ts_ofs + 6);
                conn->halves |= COLO_HAVE_PVM_TS;
            }
            atomic_store_relaxed(&conn->deltas,
                                 ((uint64_t) (ack - 1) << 32) | pvm_ts);
        }
    }

    if ((conn->halves & (COLO_HAVE_SVM | COLO_HAVE_PVM))
        == (COLO_HAVE_SVM | COLO_HAVE_PVM)) {
        uint64_t pvm_half;

        atomic_read_relaxed(&conn->deltas, &pvm_half);

        uint32_t seq_delta = conn->svm_isn - (uint32_t) (pvm_half >> 32);
        uint32_t ts_delta = 0;
        uint32_t new_flags = COLO_F_LEARNED;
        uint32_t orig;

        if ((conn->halves & (COLO_HAVE_SVM_TS | COLO_HAVE_PVM_TS))
            == (COLO_HAVE_SVM_TS | COLO_HAVE_PVM_TS)) {
            ts_delta = conn->svm_ts - (uint32_t) pvm_half;
            new_flags |= COLO_F_TS;
        }
        atomic_store_relaxed(&conn->deltas,
                             ((uint64_t) seq_delta << 32) | ts_delta);
        atomic_or_explicit(&conn->flags, new_flags, &orig,
                           memory_order_release);
    }
}

/* Rewrites 'p' with the deltas of a learned connection. */
static void
colo_rewrite(struct colo_tcp *p, enum colo_direction dir, uint32_t flags,
             uint64_t deltas, bool csum)
{
    uint32_t seq_delta = deltas >> 32;
    uint32_t ts_delta = deltas;

    if (dir == COLO_PRIMARY) {
        if (p->flags & TCP_ACK) {
            colo_tcp_set32(p, offsetof(struct tcp_header, tcp_ack),
                           colo_tcp_get32(p, offsetof(struct tcp_header,
                                                      tcp_ack)) + seq_delta,
                           csum);
        }
        for (size_t ofs = p->sack_ofs + 2;
             p->sack_ofs && ofs < p->sack_ofs + p->sack_len; ofs += 4) {
            colo_tcp_set32(p, ofs, colo_tcp_get32(p, ofs) + seq_delta, csum);
        }
        if (p->ts_ofs && flags & COLO_F_TS) {
            uint32_t tsecr = colo_tcp_get32(p, p->ts_ofs + 6);
            if (tsecr) {
                colo_tcp_set32(p, p->ts_ofs + 6, tsecr + ts_delta, csum);
            }
        }
    } else {
        colo_tcp_set32(p, offsetof(struct tcp_header, tcp_seq),
                       colo_tcp_get32(p, offsetof(struct tcp_header,
                                                  tcp_seq)) - seq_delta,
                       csum);
        if (p->ts_ofs && flags & COLO_F_TS) {
            colo_tcp_set32(p, p->ts_ofs + 2,
                           colo_tcp_get32(p, p->ts_ofs + 2) - ts_delta, csum);
        }
    }
}

/* Follows the end of the connection: FINs, their acknowledgements, RSTs.
 * 'p' is the packet as it arrived, before rewriting, and 'flags' the
 * connection's flags when the packet was looked up.
 *
 * The VM's FIN is tracked in the SVM's numbering: its seq as the SVM sent it,
 * and the peer's ack after rewriting, computed here from 'seq_delta', so
 * only once the connection is learned.  The peer's numbering is never
 * rewritten.  FINs and RSTs that come before learning count too. */
static void
colo_conn_track_close(struct colo_zone *zone, struct colo_conn *conn,
                      const struct colo_tcp *p, enum colo_direction dir,
                      uint32_t flags, uint32_t seq_delta)
{
    uint32_t seq = ntohl(get_16aligned_be32(&p->tcp->tcp_seq));
    uint32_t ack = ntohl(get_16aligned_be32(&p->tcp->tcp_ack));
    uint32_t set = 0;
    uint32_t orig;

    if (p->flags & TCP_RST) {
        if (dir == COLO_SECONDARY || colo_conn_rst_acceptable(conn, flags,
                                                               seq)) {
            set |= COLO_F_CLOSED;
        } else if (!(flags & COLO_F_CLOSED)) {
            colo_zone_count(zone, COLO_STAT_IGNORED_RST);
        }
    }

    if (dir == COLO_SECONDARY) {
        if (p->flags & TCP_FIN && !(flags & COLO_F_FIN_VM)) {
            atomic_store_relaxed(&conn->fin_vm_end,
                                 seq + p->payload_len + 1);
            set |= COLO_F_FIN_VM;
        }
        if (p->flags & TCP_ACK && flags & COLO_F_FIN_PEER
            && !(flags & COLO_F_FIN_PEER_ACKED)) {
            uint32_t end;

            atomic_read_relaxed(&conn->fin_peer_end, &end);
            if (INT_MOD_GEQ(ack, end)) {
                set |= COLO_F_FIN_PEER_ACKED;
            }
        }
    } else {
        if (p->flags & TCP_FIN && !(flags & COLO_F_FIN_PEER)) {
            atomic_store_relaxed(&conn->fin_peer_end,
                                 seq + p->payload_len + 1);
            set |= COLO_F_FIN_PEER;
        }
        if (p->flags & TCP_ACK && flags & COLO_F_FIN_VM
            && flags & COLO_F_LEARNED && !(flags & COLO_F_FIN_VM_ACKED)) {
            uint32_t end;

            atomic_read_relaxed(&conn->fin_vm_end, &end);
            if (INT_MOD_GEQ(ack + seq_delta, end)) {
                set |= COLO_F_FIN_VM_ACKED;
            }
        }
    }

    if (!set) {
        return;
    }

    atomic_or_explicit(&conn->flags, set, &orig, memory_order_release);
    uint32_t now = orig | set;
    if (!(orig & COLO_F_CLOSED)
        && (now & COLO_F_CLOSED
            || (now & COLO_F_FIN_VM_ACKED && now & COLO_F_FIN_PEER_ACKED))) {
        if (!(now & COLO_F_CLOSED)) {
            atomic_or_explicit(&conn->flags, COLO_F_CLOSED, &orig,
                               memory_order_release);
        }
        if (!(orig & COLO_F_CLOSED)) {
            colo_zone_count(zone, COLO_STAT_CONNS_CLOSED);
        }
    }
}

enum colo_result
colo_table_process(struct colo_table *table, uint16_t zone_id,
                   enum colo_direction dir, struct dp_packet *packet,
                   long long int now)
{
    struct colo_zone *zone = colo_zone_get(table, zone_id);
    struct colo_conn *conn;
    struct colo_key key;
    struct colo_tcp p;
    uint32_t flags;
    uint32_t hash;

    switch (colo_parse(packet, &p)) {
    case COLO_PARSE_OK:
        break;
    case COLO_PARSE_NOT_TCP:
        colo_zone_count(zone, COLO_STAT_PASS_NOT_TCP);
        return COLO_RESULT_PASSED;
    case COLO_PARSE_BAD:
    default:
        colo_zone_count(zone, COLO_STAT_PASS_UNPARSEABLE);
        return COLO_RESULT_PASSED;
    }

    colo_key_init(&key, &p, dir);
    hash = colo_key_hash(&key);
    conn = colo_conn_find(zone, &key, hash);
    flags = conn ? colo_conn_flags(conn) : 0;

    if (OVS_UNLIKELY(!(flags & COLO_F_LEARNED) || p.flags & TCP_SYN)) {
        /* Slow path: a handshake, or a connection not learned yet. */
        bool failover;

        if (!conn && !(p.flags & TCP_SYN)) {
            colo_zone_count(zone, COLO_STAT_PASS_UNLEARNED);
            return COLO_RESULT_PASSED;
        }

        atomic_read_relaxed(&zone->failover, &failover);
        ovs_mutex_lock(&zone->mutex);
        conn = colo_conn_find(zone, &key, hash);
        if (conn && colo_conn_is_new_incarnation(conn, &p, dir)) {
            colo_conn_remove(zone, conn, COLO_STAT_CONNS_FREED);
            conn = NULL;
        }
        if (!conn) {
            if (failover) {
                ovs_mutex_unlock(&zone->mutex);
                colo_zone_count(zone, COLO_STAT_PASS_UNTRACKED);
                return COLO_RESULT_PASSED;
            }
            conn = colo_conn_create(table, zone, &key, hash, now);
            if (!conn) {
                ovs_mutex_unlock(&zone->mutex);
                return COLO_RESULT_PASSED;
            }
        }
        colo_conn_learn(zone, conn, &p, dir);
        ovs_mutex_unlock(&zone->mutex);

        flags = colo_conn_flags(conn);
        atomic_store_relaxed(&conn->used, (uint32_t) now);
        if (!(flags & COLO_F_LEARNED)) {
            if (dir == COLO_SECONDARY) {
                colo_conn_note_svm_ack(conn, &p, flags);
            }
            if (p.flags & (TCP_FIN | TCP_RST)
                || flags & (COLO_F_FIN_VM | COLO_F_FIN_PEER)) {
                colo_conn_track_close(zone, conn, &p, dir, flags, 0);
            }
            colo_zone_count(zone, COLO_STAT_PASS_UNLEARNED);
            return COLO_RESULT_PASSED;
        }
    }

    uint64_t deltas;
    atomic_read_relaxed(&conn->deltas, &deltas);
    atomic_store_relaxed(&conn->used, (uint32_t) now);
    if (dir == COLO_SECONDARY) {
        colo_conn_note_svm_ack(conn, &p, flags);
    }
    if (OVS_UNLIKELY(p.flags & (TCP_FIN | TCP_RST)
                     || flags & (COLO_F_FIN_VM | COLO_F_FIN_PEER))) {
        colo_conn_track_close(zone, conn, &p, dir, flags, deltas >> 32);
    }
    colo_rewrite(&p, dir, flags, deltas, !colo_tcp_csum_deferred(packet));
    colo_zone_count(zone, COLO_STAT_REWRITTEN);
    return COLO_RESULT_REWRITTEN;
}

/* Tables. */

struct colo_table *
colo_table_create(void)
{
    struct colo_table *table = xzalloc(sizeof *table);

    ovs_mutex_init(&table->mutex);
    cmap_init(&table->zones);
    atomic_init(&table->failover, false);
    atomic_init(&table->max_conns, COLO_DEFAULT_MAX_CONNS);
    atomic_init(&table->idle_timeout, COLO_DEFAULT_IDLE_TIMEOUT);
    atomic_init(&table->linger, COLO_DEFAULT_LINGER);
    return table;
}

void
colo_table_destroy(struct colo_table *table)
{
    struct colo_zone *zone;

    if (!table) {
        return;
    }

    CMAP_FOR_EACH (zone, node, &table->zones) {
        struct colo_conn *conn;

        CMAP_FOR_EACH (conn, node, &zone->conns) {
            free(conn);
        }
        cmap_destroy(&zone->conns);
        ovs_mutex_destroy(&zone->mutex);
        free(zone);
    }
    cmap_destroy(&table->zones);
    ovs_mutex_destroy(&table->mutex);
    free(table);
}

void
colo_table_set_config(struct colo_table *table,
                      const struct colo_config *config)
{
    atomic_store_relaxed(&table->max_conns, config->max_conns);
    atomic_store_relaxed(&table->idle_timeout,
                         MIN(config->idle_timeout, COLO_MAX_TIMEOUT));
    atomic_store_relaxed(&table->linger,
                         MIN(config->linger, COLO_MAX_TIMEOUT));
}

void
colo_table_get_config(const struct colo_table *table_,
                      struct colo_config *config)
{
    struct colo_table *table = CONST_CAST(struct colo_table *, table_);

    atomic_read_relaxed(&table->max_conns, &config->max_conns);
    atomic_read_relaxed(&table->idle_timeout, &config->idle_timeout);
    atomic_read_relaxed(&table->linger, &config->linger);
}

void
colo_table_run(struct colo_table *table, long long int now)
{
    struct colo_config config;
    struct colo_zone *zone;

    colo_table_get_config(table, &config);
    CMAP_FOR_EACH (zone, node, &table->zones) {
        struct colo_conn *conn;

        ovs_mutex_lock(&zone->mutex);
        CMAP_FOR_EACH (conn, node, &zone->conns) {
            uint32_t flags = colo_conn_flags(conn);
            long long int idle = colo_conn_idle(conn, now);

            if (flags & COLO_F_CLOSED) {
                if (idle >= config.linger * 1000LL) {
                    colo_conn_remove(zone, conn, COLO_STAT_CONNS_FREED);
                }
            } else if (!(flags & COLO_F_LEARNED)) {
                if (idle >= COLO_HALF_OPEN_TIMEOUT * 1000LL) {
                    colo_conn_remove(zone, conn, COLO_STAT_CONNS_EXPIRED);
                }
            } else if (idle >= config.idle_timeout * 1000LL) {
                colo_conn_remove(zone, conn, COLO_STAT_CONNS_EXPIRED);
            }
        }
        ovs_mutex_unlock(&zone->mutex);
    }
}

/* Calls 'cb' for each zone of 'table' selected by 'zone_id' (-1 for all),
 * with the zone's mutex held, and returns the sum of what 'cb' returned.
 * A zone that has seen no packet yet is created only if 'create'. */
static unsigned int
colo_table_for_zones(struct colo_table *table, int zone_id, bool create,
                     unsigned int (*cb)(struct colo_zone *))
{
    unsigned int n = 0;

    if (zone_id >= 0) {
        struct colo_zone *zone = (create ? colo_zone_get(table, zone_id)
                                  : colo_zone_find(table, zone_id));

        if (zone) {
            ovs_mutex_lock(&zone->mutex);
            n = cb(zone);
            ovs_mutex_unlock(&zone->mutex);
        }
    } else {
        struct colo_zone *zone;

        CMAP_FOR_EACH (zone, node, &table->zones) {
            ovs_mutex_lock(&zone->mutex);
            n += cb(zone);
            ovs_mutex_unlock(&zone->mutex);
        }
    }
    return n;
}

/* The end of the VM's FIN is kept in the SVM's numbering, which a
 * checkpoint replaces by the PVM's: moves it there, so that the peer's
 * acknowledgement of the FIN still closes 'conn'.  Without deltas the old
 * end cannot be moved; the flag goes, and the VM's FIN, which it sends
 * again until the peer acknowledges it, sets it anew.  Called with the
 * zone's mutex held. */
static void
colo_conn_checkpoint_fin(struct colo_conn *conn, uint32_t flags,
                         uint32_t seq_delta)
{
    uint32_t orig;

    if (!(flags & COLO_F_FIN_VM) || flags & COLO_F_FIN_VM_ACKED) {
        return;
    } else if (flags & COLO_F_LEARNED) {
        uint32_t end;

        atomic_read_relaxed(&conn->fin_vm_end, &end);
        atomic_store_relaxed(&conn->fin_vm_end, end - seq_delta);
    } else {
        atomic_and_explicit(&conn->flags, ~(uint32_t) COLO_F_FIN_VM, &orig,
                            memory_order_release);
    }
}

static unsigned int
colo_zone_checkpoint(struct colo_zone *zone)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_conn *conn;
    unsigned int n = 0;

    CMAP_FOR_EACH (conn, node, &zone->conns) {
        uint32_t flags = colo_conn_flags(conn);
        uint64_t deltas;
        uint32_t orig;

        /* The SVM is now a copy of the PVM: also a handshake in progress
         * now has the PVM's numbers on both sides. */
        atomic_read_relaxed(&conn->deltas, &deltas);
        if (flags & COLO_F_LEARNED) {
            conn->svm_isn -= deltas >> 32;
            conn->svm_ts -= (uint32_t) deltas;
        } else if (conn->halves & COLO_HAVE_PVM) {
            conn->svm_isn = deltas >> 32;
            conn->svm_ts = deltas;
        }
        colo_conn_checkpoint_fin(conn, flags, deltas >> 32);
        /* The connection uses timestamps if either side offered them. */
        bool ts = (flags & COLO_F_TS
                   || conn->halves & (COLO_HAVE_SVM_TS | COLO_HAVE_PVM_TS));
        conn->halves = (COLO_HAVE_SVM | COLO_HAVE_PVM
                        | (ts ? COLO_HAVE_SVM_TS | COLO_HAVE_PVM_TS : 0));
        atomic_store_relaxed(&conn->deltas, 0);
        atomic_or_explicit(&conn->flags,
                           COLO_F_LEARNED | (ts ? COLO_F_TS : 0), &orig,
                           memory_order_release);
        n++;
    }
    return n;
}

unsigned int
colo_table_checkpoint(struct colo_table *table, int zone)
{
    unsigned int n = colo_table_for_zones(table, zone, false,
                                          colo_zone_checkpoint);

    /* Wait until every thread that might have read an old delta has
     * finished with its packet. */
    ovsrcu_synchronize();
    return n;
}

static unsigned int
colo_zone_failover(struct colo_zone *zone)
    OVS_REQUIRES(zone->mutex)
{
    atomic_store_relaxed(&zone->failover, true);
    return cmap_count(&zone->conns);
}

unsigned int
colo_table_failover(struct colo_table *table, int zone)
{
    if (zone < 0) {
        atomic_store_relaxed(&table->failover, true);
    }
    /* The zone is created if need be, to remember the failover. */
    return colo_table_for_zones(table, zone, true, colo_zone_failover);
}

static unsigned int
colo_zone_flush(struct colo_zone *zone)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_conn *conn;
    unsigned int n = 0;

    CMAP_FOR_EACH (conn, node, &zone->conns) {
        colo_conn_remove(zone, conn, COLO_STAT_CONNS_FLUSHED);
        n++;
    }
    return n;
}

unsigned int
colo_table_flush(struct colo_table *table, int zone)
{
    return colo_table_for_zones(table, zone, false, colo_zone_flush);
}

/* Statistics and dumps. */

const char *
colo_stat_description(enum colo_stat stat)
{
    switch (stat) {
#define COLO_STAT(ENUM, NAME, DESCRIPTION) \
    case COLO_STAT_##ENUM: return DESCRIPTION;
        COLO_STATS
#undef COLO_STAT
    case COLO_N_STATS:
    default:
        OVS_NOT_REACHED();
    }
}

const char *
colo_conn_state_name(enum colo_conn_state state)
{
    switch (state) {
    case COLO_CONN_LEARNING: return "learning";
    case COLO_CONN_ESTABLISHED: return "established";
    case COLO_CONN_CLOSING: return "closing";
    case COLO_CONN_CLOSED: return "closed";
    case COLO_N_CONN_STATES:
    default:
        OVS_NOT_REACHED();
    }
}

size_t
colo_conn_size(void)
{
    return sizeof(struct colo_conn);
}

bool
colo_table_get_zone_stats(const struct colo_table *table, uint16_t zone_id,
                          struct colo_zone_stats *stats)
{
    struct colo_zone *zone = colo_zone_find(table, zone_id);
    const struct colo_conn *conn;

    memset(stats, 0, sizeof *stats);
    if (!zone) {
        /* A zone that has seen no packet follows the table's failover. */
        atomic_read_relaxed(&CONST_CAST(struct colo_table *, table)->failover,
                            &stats->failover);
        return false;
    }

    for (size_t i = 0; i < COLO_N_STATS; i++) {
        atomic_read_relaxed(&zone->counters[i], &stats->counters[i]);
    }
    atomic_read_relaxed(&zone->failover, &stats->failover);
    CMAP_FOR_EACH (conn, node, &zone->conns) {
        stats->n_by_state[colo_conn_state(colo_conn_flags(conn))]++;
        stats->n_conns++;
    }
    return true;
}

static int
colo_compare_zones(const void *a_, const void *b_)
{
    const uint16_t *a = a_;
    const uint16_t *b = b_;

    return *a < *b ? -1 : *a > *b;
}

size_t
colo_table_get_zones(const struct colo_table *table, uint16_t **zonesp)
{
    const struct colo_zone *zone;
    size_t n = 0, allocated = 0;
    uint16_t *zones = NULL;

    CMAP_FOR_EACH (zone, node, &table->zones) {
        if (n >= allocated) {
            zones = x2nrealloc(zones, &allocated, sizeof *zones);
        }
        zones[n++] = zone->id;
    }
    *zonesp = zones;
    return colo_zones_sort_unique(zones, n);
}

size_t
colo_zones_sort_unique(uint16_t *zones, size_t n)
{
    size_t n_unique = 0;

    if (n) {
        qsort(zones, n, sizeof *zones, colo_compare_zones);
    }
    for (size_t i = 0; i < n; i++) {
        if (!n_unique || zones[i] != zones[n_unique - 1]) {
            zones[n_unique++] = zones[i];
        }
    }
    return n_unique;
}

static void
colo_format_endpoint(struct ds *s, const struct in6_addr *addr, bool ipv6,
                     ovs_be16 port)
{
    if (ipv6) {
        ipv6_format_addr_bracket(addr, s, true);
    } else {
        ds_put_format(s, IP_FMT, IP_ARGS(in6_addr_get_mapped_ipv4(addr)));
    }
    ds_put_format(s, ":%"PRIu16, ntohs(port));
}

static int
colo_compare_conns(const void *a_, const void *b_)
{
    const struct colo_conn *const *a = a_;
    const struct colo_conn *const *b = b_;

    return memcmp(&(*a)->key, &(*b)->key, sizeof (*a)->key);
}

static void
colo_conn_format(const struct colo_conn *conn_, uint16_t zone,
                 long long int now, struct ds *s)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    uint32_t flags = colo_conn_flags(conn);
    uint32_t idle = colo_conn_idle(conn, now);
    uint64_t deltas;

    atomic_read_relaxed(&conn->deltas, &deltas);

    ds_put_format(s, "zone=%"PRIu16" vm=", zone);
    colo_format_endpoint(s, &conn->key.vm_addr, conn->key.ipv6,
                         conn->key.vm_port);
    ds_put_cstr(s, " peer=");
    colo_format_endpoint(s, &conn->key.peer_addr, conn->key.ipv6,
                         conn->key.peer_port);
    ds_put_format(s, " state=%s",
                  colo_conn_state_name(colo_conn_state(flags)));
    if (flags & COLO_F_LEARNED) {
        ds_put_format(s, " seq_delta=%"PRIu32, (uint32_t) (deltas >> 32));
    } else {
        ds_put_cstr(s, " seq_delta=none");
    }
    if (flags & COLO_F_TS) {
        ds_put_format(s, " ts_delta=%"PRIu32, (uint32_t) deltas);
    } else {
        ds_put_cstr(s, " ts_delta=none");
    }
    ds_put_format(s, " idle=%"PRIu32"s\n", idle / 1000);
}

unsigned int
colo_table_dump_conns(const struct colo_table *table, int zone_id,
                      long long int now, struct ds *s)
{
    uint16_t *zones;
    size_t n_zones = colo_table_get_zones(table, &zones);
    unsigned int n = 0;

    for (size_t i = 0; i < n_zones; i++) {
        const struct colo_zone *zone = colo_zone_find(table, zones[i]);
        const struct colo_conn **conns = NULL;
        size_t n_conns = 0, allocated = 0;
        const struct colo_conn *conn;

        if (zone_id >= 0 && zone->id != zone_id) {
            continue;
        }

        /* Sorted by key, so that two dumps compare line by line. */
        CMAP_FOR_EACH (conn, node, &zone->conns) {
            if (n_conns >= allocated) {
                conns = x2nrealloc(conns, &allocated, sizeof *conns);
            }
            conns[n_conns++] = conn;
        }
        if (n_conns) {
            qsort(conns, n_conns, sizeof *conns, colo_compare_conns);
        }
        for (size_t j = 0; j < n_conns; j++) {
            colo_conn_format(conns[j], zone->id, now, s);
        }
        n += n_conns;
        free(conns);
    }
    free(zones);
    return n;
}
