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

/* Unit tests for the colo_rewrite engine (lib/colo-rewrite*.c): crafted
 * frames go through colo_table_process() and every byte that comes out is
 * checked against the frame expected, together with the TCP checksum and the
 * zone's counters.
 *
 * Every frame is handed to the engine in a buffer of exactly its own size,
 * so that a build with AddressSanitizer catches any read past its end.
 *
 * Usage: ovstest test-colo-rewrite [COMMAND], where COMMAND is one of the
 * test areas below, or "all" (the default).  Prints "PASS" if every check
 * passed; otherwise describes each failure on stderr and exits with status
 * 1. */

#include <config.h>
#undef NDEBUG
#include "colo-rewrite.h"

#include <netinet/in.h>
#include <netinet/ip6.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colo-compat.h"
#include "colo-rewrite-private.h"
#include "command-line.h"
#include "csum.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "tests/ovstest.h"
#include "util.h"

static unsigned int n_checks;
static unsigned int n_failures;

/* The packet counters come first among the counters: exactly one of them
 * counts each packet. */
#define N_PACKET_STATS (COLO_STAT_PASS_UNTRACKED + 1)
BUILD_ASSERT_DECL(COLO_STAT_REWRITTEN == 0);
BUILD_ASSERT_DECL(COLO_STAT_CONNS_CREATED == N_PACKET_STATS);

/* A bit for COLO_STAT_<NAME> in a set of acceptable packet counters. */
#define STAT(NAME) (1u << COLO_STAT_##NAME)

/* TCP option kinds. */
enum {
    OPT_EOL = 0,
    OPT_NOP = 1,
    OPT_MSS = 2,
    OPT_WSCALE = 3,
    OPT_SACK_PERM = 4,
    OPT_SACK = 5,
    OPT_TS = 8,
};

/* Frames. */

#define MAX_FRAME 2048

/* The endpoints and the encapsulation of a connection's frames. */
struct conn {
    bool ipv6;
    ovs_be32 vm4, peer4;
    struct in6_addr vm6, peer6;
    uint16_t vm_port, peer_port;
    uint16_t vlans[2];          /* TPIDs of up to two VLAN tags, 0 if none. */
    const char *ext;            /* IPv6 extension headers before TCP, one
                                 * character each: 'H' hop-by-hop options,
                                 * 'R' routing, 'D' destination options,
                                 * 'F' fragment. */
    ovs_be16 frag;              /* IPv4 ip_frag_off; ip6f_offlg of 'F'. */
    size_t ip_opts;             /* Bytes of IPv4 options, a multiple of 4. */
    uint8_t proto;              /* IP protocol, if not 0 (TCP). */
    size_t eth_pad;             /* Bytes of Ethernet padding. */
};

/* A TCP segment of a connection. */
struct seg {
    bool from_vm;               /* Sent by the VM, else by the peer. */
    uint16_t flags;             /* TCP_*. */
    uint32_t seq, ack;

    /* Options, one character each: 'N' NOP, 'E' end of options, 'M' MSS,
     * 'W' window scale, 'P' SACK permitted, 'T' timestamps ('tsval' and
     * 'tsecr'), 'S' SACK ('n_sack' blocks from 'sack'); then EOL bytes up
     * to a multiple of 4 bytes.  'raw_opts', if nonnull, goes before. */
    const char *opts;
    uint32_t tsval, tsecr;
    int n_sack;
    uint32_t sack[8];           /* Left and right edges of each block. */
    const uint8_t *raw_opts;
    size_t n_raw_opts;

    size_t payload;             /* Bytes of payload. */
    uint16_t window;            /* The window field, 0 for 29200. */
};

/* A frame built from a struct conn and a struct seg. */
struct frame {
    struct dp_packet *p;        /* Exactly as large as the frame. */
    size_t l3;                  /* Offset of the IP header. */
    size_t l4;                  /* Offset of the TCP header. */
    size_t l4_len;              /* Bytes of TCP header and payload. */
    size_t ts;                  /* Offset of the timestamp option, or 0. */
    size_t sack;                /* Offset of the SACK option, or 0. */
    int n_sack;
};

struct buf {
    uint8_t data[MAX_FRAME];
    size_t size;
};

static void
put_bytes(struct buf *b, const void *p, size_t n)
{
    ovs_assert(b->size + n <= sizeof b->data);
    memcpy(&b->data[b->size], p, n);
    b->size += n;
}

static void
put_zeros(struct buf *b, size_t n)
{
    ovs_assert(b->size + n <= sizeof b->data);
    memset(&b->data[b->size], 0, n);
    b->size += n;
}

static void
put8(struct buf *b, uint8_t x)
{
    put_bytes(b, &x, 1);
}

static void
put16(struct buf *b, uint16_t x)
{
    ovs_be16 be = htons(x);

    put_bytes(b, &be, sizeof be);
}

static void
put32(struct buf *b, uint32_t x)
{
    ovs_be32 be = htonl(x);

    put_bytes(b, &be, sizeof be);
}

static uint16_t
get16(const uint8_t *data, size_t ofs)
{
    ovs_be16 be;

    memcpy(&be, data + ofs, sizeof be);
    return ntohs(be);
}

static uint32_t
get32(const uint8_t *data, size_t ofs)
{
    ovs_be32 be;

    memcpy(&be, data + ofs, sizeof be);
    return ntohl(be);
}

static void
set16(uint8_t *data, size_t ofs, uint16_t x)
{
    ovs_be16 be = htons(x);

    memcpy(data + ofs, &be, sizeof be);
}

static uint8_t *
frame_data(const struct frame *f)
{
    return dp_packet_data(f->p);
}

static size_t
frame_size(const struct frame *f)
{
    return dp_packet_size(f->p);
}

/* Returns the ones' complement sum of the TCP segment of 'f', in 'data',
 * with its pseudo-header, folded and complemented: 0 if the checksum is
 * right.  0 and 0xffff, the two zeros of ones' complement, both come back
 * as 0. */
static uint16_t
tcp_verify(const uint8_t *data, const struct frame *f)
{
    const uint8_t *l3 = data + f->l3;
    uint32_t partial;
    uint16_t result;

    if (l3[0] >> 4 == 6) {
        partial = csum_continue(0, l3 + 8, 32);
    } else {
        partial = csum_continue(0, l3 + 12, 8);
    }
    partial = csum_add16(partial, htons(IPPROTO_TCP));
    partial = csum_add16(partial, htons(f->l4_len));
    partial = csum_continue(partial, data + f->l4, f->l4_len);
    result = ntohs(csum_finish(partial));
    return result == 0xffff ? 0 : result;
}

static void
put_options(struct buf *b, struct frame *f, const struct seg *s)
{
    size_t start = b->size;

    if (s->raw_opts) {
        put_bytes(b, s->raw_opts, s->n_raw_opts);
    }
    for (const char *p = s->opts ? s->opts : ""; *p; p++) {
        switch (*p) {
        case 'N':
            put8(b, OPT_NOP);
            break;
        case 'E':
            put8(b, OPT_EOL);
            break;
        case 'M':
            put8(b, OPT_MSS);
            put8(b, 4);
            put16(b, 1460);
            break;
        case 'W':
            put8(b, OPT_WSCALE);
            put8(b, 3);
            put8(b, 7);
            break;
        case 'P':
            put8(b, OPT_SACK_PERM);
            put8(b, 2);
            break;
        case 'T':
            f->ts = b->size;
            put8(b, OPT_TS);
            put8(b, 10);
            put32(b, s->tsval);
            put32(b, s->tsecr);
            break;
        case 'S':
            ovs_assert(s->n_sack >= 1 && s->n_sack <= 4);
            f->sack = b->size;
            f->n_sack = s->n_sack;
            put8(b, OPT_SACK);
            put8(b, 2 + 8 * s->n_sack);
            for (int i = 0; i < 2 * s->n_sack; i++) {
                put32(b, s->sack[i]);
            }
            break;
        default:
            OVS_NOT_REACHED();
        }
    }
    while ((b->size - start) % 4) {
        put8(b, OPT_EOL);
    }
    ovs_assert(b->size - start <= 40);
}

static uint8_t
ext_proto(char ext)
{
    switch (ext) {
    case 'H':
        return IPPROTO_HOPOPTS;
    case 'R':
        return IPPROTO_ROUTING;
    case 'D':
        return IPPROTO_DSTOPTS;
    case 'F':
        return IPPROTO_FRAGMENT;
    default:
        OVS_NOT_REACHED();
    }
}

/* Appends IPv6 extension header 'ext', followed by protocol 'next'. */
static void
put_ext(struct buf *b, char ext, uint8_t next, ovs_be16 frag)
{
    put8(b, next);
    switch (ext) {
    case 'H':
        put8(b, 0);             /* 8 bytes. */
        put8(b, 1);             /* PadN of 4 bytes. */
        put8(b, 4);
        put32(b, 0);
        break;
    case 'D':
        put8(b, 1);             /* 16 bytes. */
        put8(b, 1);             /* PadN of 12 bytes. */
        put8(b, 12);
        put_zeros(b, 12);
        break;
    case 'R':
        put8(b, 2);             /* 24 bytes. */
        put8(b, 253);           /* Experimental type (RFC 4727). */
        put8(b, 0);             /* Segments left. */
        put32(b, 0);
        put_zeros(b, 16);
        break;
    case 'F':
        put8(b, 0);
        put16(b, ntohs(frag));
        put32(b, 0x12345678);   /* Identification. */
        break;
    default:
        OVS_NOT_REACHED();
    }
}

static struct frame
build_frame(const struct conn *c, const struct seg *s)
{
    static const uint8_t vm_mac[ETH_ADDR_LEN] = { 0x52, 0x54, 0, 0, 0, 2 };
    static const uint8_t peer_mac[ETH_ADDR_LEN] = { 0x52, 0x54, 0, 0, 0, 1 };
    uint8_t proto = c->proto ? c->proto : IPPROTO_TCP;
    struct frame f = { .p = NULL };
    struct buf b = { .size = 0 };
    uint16_t sport, dport;

    /* Ethernet and VLAN tags. */
    put_bytes(&b, s->from_vm ? peer_mac : vm_mac, ETH_ADDR_LEN);
    put_bytes(&b, s->from_vm ? vm_mac : peer_mac, ETH_ADDR_LEN);
    for (int i = 0; i < ARRAY_SIZE(c->vlans) && c->vlans[i]; i++) {
        put16(&b, c->vlans[i]);
        put16(&b, 100 + i);
    }
    put16(&b, c->ipv6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP);

    /* IP, with zeros for the lengths and the IPv4 checksum. */
    f.l3 = b.size;
    if (c->ipv6) {
        const char *ext = c->ext ? c->ext : "";

        put32(&b, 0x60000000);
        put16(&b, 0);
        put8(&b, *ext ? ext_proto(*ext) : proto);
        put8(&b, 64);
        put_bytes(&b, s->from_vm ? &c->vm6 : &c->peer6, 16);
        put_bytes(&b, s->from_vm ? &c->peer6 : &c->vm6, 16);
        for (; *ext; ext++) {
            put_ext(&b, *ext, ext[1] ? ext_proto(ext[1]) : proto, c->frag);
        }
    } else {
        ovs_assert(c->ip_opts % 4 == 0 && c->ip_opts <= 40);
        put8(&b, IP_IHL_VER(5 + c->ip_opts / 4, 4));
        put8(&b, 0);
        put16(&b, 0);
        put16(&b, 0x4321);
        put16(&b, ntohs(c->frag));
        put8(&b, 64);
        put8(&b, proto);
        put16(&b, 0);
        put32(&b, ntohl(s->from_vm ? c->vm4 : c->peer4));
        put32(&b, ntohl(s->from_vm ? c->peer4 : c->vm4));
        for (size_t i = 0; i < c->ip_opts; i++) {
            put8(&b, 1);        /* NOP option. */
        }
    }

    /* TCP, with zeros for the data offset and the checksum. */
    f.l4 = b.size;
    sport = s->from_vm ? c->vm_port : c->peer_port;
    dport = s->from_vm ? c->peer_port : c->vm_port;
    put16(&b, sport);
    put16(&b, dport);
    put32(&b, s->seq);
    put32(&b, s->ack);
    put16(&b, 0);
    put16(&b, s->window ? s->window : 29200);
    put16(&b, 0);
    put16(&b, 0);
    put_options(&b, &f, s);
    set16(b.data, f.l4 + 12, ((b.size - f.l4) / 4) << 12 | s->flags);
    for (size_t i = 0; i < s->payload; i++) {
        put8(&b, i * 7 + 3);
    }
    f.l4_len = b.size - f.l4;

    /* Lengths and checksums. */
    if (c->ipv6) {
        set16(b.data, f.l3 + 4, b.size - f.l3 - IPV6_HEADER_LEN);
    } else {
        ovs_be16 ip_csum;

        set16(b.data, f.l3 + 2, b.size - f.l3);
        ip_csum = csum(&b.data[f.l3], IP_HEADER_LEN + c->ip_opts);
        memcpy(&b.data[f.l3 + 10], &ip_csum, sizeof ip_csum);
    }
    set16(b.data, f.l4 + 16, tcp_verify(b.data, &f));
    ovs_assert(!tcp_verify(b.data, &f));
    put_zeros(&b, c->eth_pad);

    f.p = dp_packet_clone_data(b.data, b.size);
    return f;
}

static void
frame_destroy(struct frame *f)
{
    dp_packet_delete(f->p);
    f->p = NULL;
}

/* Cuts 'f' to its first 'size' bytes, in a buffer of exactly that size. */
static void
frame_truncate(struct frame *f, size_t size)
{
    struct dp_packet *p;

    ovs_assert(size <= frame_size(f));
    p = dp_packet_clone_data(frame_data(f), size);
    dp_packet_delete(f->p);
    f->p = p;
}

/* Recomputes the IPv4 header checksum of 'f' after a change. */
static void
frame_fix_ip_csum(struct frame *f)
{
    uint8_t *ip = frame_data(f) + f->l3;
    ovs_be16 ip_csum;

    memset(ip + 10, 0, 2);
    ip_csum = csum(ip, IP_IHL(ip[0]) * 4);
    memcpy(ip + 10, &ip_csum, sizeof ip_csum);
}

/* Describes the TCP header of 'f', as found in 'p', or dumps 'p' if it is
 * too short for that. */
static void
format_frame(struct ds *s, const struct frame *f, const struct dp_packet *p)
{
    const uint8_t *data = dp_packet_data(p);
    size_t size = dp_packet_size(p);

    if (f->l4 + f->l4_len > size
        || (get16(data, f->l4 + 12) >> 12) * 4 > f->l4_len) {
        ds_put_format(s, "%"PRIuSIZE"-byte frame:\n", size);
        ds_put_hex_dump(s, data, size, 0, false);
        return;
    }

    ds_put_cstr(s, "flags=");
    packet_format_tcp_flags(s, get16(data, f->l4 + 12) & 0x0fff);
    ds_put_format(s, " seq=%"PRIu32" ack=%"PRIu32,
                  get32(data, f->l4 + 4), get32(data, f->l4 + 8));
    if (f->ts) {
        ds_put_format(s, " tsval=%"PRIu32" tsecr=%"PRIu32,
                      get32(data, f->ts + 2), get32(data, f->ts + 6));
    }
    for (int i = 0; i < f->n_sack; i++) {
        ds_put_format(s, "%s%"PRIu32"-%"PRIu32, i ? "," : " sack=",
                      get32(data, f->sack + 2 + 8 * i),
                      get32(data, f->sack + 6 + 8 * i));
    }
    ds_put_format(s, " len=%"PRIuSIZE" csum=0x%04"PRIx16,
                  f->l4_len - (get16(data, f->l4 + 12) >> 12) * 4,
                  get16(data, f->l4 + 16));
    if (tcp_verify(data, f)) {
        ds_put_format(s, " (wrong, verifies to 0x%04"PRIx16")",
                      tcp_verify(data, f));
    } else {
        ds_put_cstr(s, " (right)");
    }
}

static void
format_stats(struct ds *s, unsigned int stats)
{
    bool first = true;

    for (int i = 0; i < N_PACKET_STATS; i++) {
        if (stats & (1u << i)) {
            ds_put_format(s, "%s%s", first ? "" : " or ", colo_stat_name(i));
            first = false;
        }
    }
}

/* Test context. */

struct ctx {
    const char *what;           /* The test case, for messages. */
    struct colo_table *table;
    uint16_t zone;
    struct conn conn;
    long long int now;          /* Simulated clock, in msec. */
    bool offload;               /* Mark packets for TCP checksum offload. */
    uint16_t csum_error;        /* Added to the TCP checksum sent. */
};

/* Initializes 't' for a connection between 10.0.0.2:80 (or fd00::2), the
 * VM, and 10.0.0.1:'peer_port' (or fd00::1), in zone 5 of 'table'. */
static void
ctx_init(struct ctx *t, const char *what, struct colo_table *table,
         bool ipv6, uint16_t peer_port)
{
    memset(t, 0, sizeof *t);
    t->what = what;
    t->table = table;
    t->zone = 5;
    t->conn.ipv6 = ipv6;
    t->conn.vm4 = htonl(0x0a000002);
    t->conn.peer4 = htonl(0x0a000001);
    ovs_assert(ipv6_parse("fd00::2", &t->conn.vm6));
    ovs_assert(ipv6_parse("fd00::1", &t->conn.peer6));
    t->conn.vm_port = 80;
    t->conn.peer_port = peer_port;
}

static void OVS_PRINTF_FORMAT(2, 3)
fail(const struct ctx *t, const char *format, ...)
{
    va_list args;

    n_failures++;
    fprintf(stderr, "FAIL: %s (zone %"PRIu16", t=%lld ms): ",
            t->what, t->zone, t->now);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    putc('\n', stderr);
}

static void
check_true(const struct ctx *t, bool ok, const char *what)
{
    n_checks++;
    if (!ok) {
        fail(t, "%s: false, expected true", what);
    }
}

static void
check_uint(const struct ctx *t, const char *what,
           unsigned long long int actual, unsigned long long int expected)
{
    n_checks++;
    if (actual != expected) {
        fail(t, "%s is %llu, expected %llu", what, actual, expected);
    }
}

static void
check_str(const struct ctx *t, const char *what, const char *actual,
          const char *expected)
{
    n_checks++;
    if (strcmp(actual, expected)) {
        fail(t, "%s:\n  got:      \"%s\"\n  expected: \"%s\"",
             what, actual, expected);
    }
}

static struct colo_zone_stats
get_stats(const struct ctx *t)
{
    struct colo_zone_stats stats;

    colo_table_get_zone_stats(t->table, t->zone, &stats);
    return stats;
}

/* Appends to 'problems' what is wrong with the accounting of entries in
 * 'stats'. */
static void
check_accounting(const struct colo_zone_stats *stats, struct ds *problems)
{
    const uint64_t *n = stats->counters;
    uint64_t removed = (n[COLO_STAT_CONNS_EXPIRED] + n[COLO_STAT_CONNS_FREED]
                        + n[COLO_STAT_CONNS_EVICTED]
                        + n[COLO_STAT_CONNS_FLUSHED]);
    unsigned int by_state = 0;

    for (int i = 0; i < COLO_N_CONN_STATES; i++) {
        by_state += stats->n_by_state[i];
    }
    if (stats->n_conns != n[COLO_STAT_CONNS_CREATED] - removed) {
        ds_put_format(problems, "  the zone holds %u entries, but %"PRIu64
                      " were created and %"PRIu64" removed\n",
                      stats->n_conns, n[COLO_STAT_CONNS_CREATED], removed);
    }
    if (stats->n_conns != by_state) {
        ds_put_format(problems, "  the zone holds %u entries, but %u by "
                      "state\n", stats->n_conns, by_state);
    }
}

/* Checks the value of counter 'stat' in the zone of 't'. */
static void
check_counter(const struct ctx *t, enum colo_stat stat, uint64_t expected)
{
    struct colo_zone_stats stats = get_stats(t);
    char *what = xasprintf("counter %s", colo_stat_name(stat));

    check_uint(t, what, stats.counters[stat], expected);
    free(what);
}

/* Checks the number of entries in the zone of 't', by state. */
static void
check_conns(const struct ctx *t, unsigned int learning,
            unsigned int established, unsigned int closing,
            unsigned int closed)
{
    struct colo_zone_stats stats = get_stats(t);
    struct ds problems = DS_EMPTY_INITIALIZER;
    unsigned int expected[COLO_N_CONN_STATES] = {
        [COLO_CONN_LEARNING] = learning,
        [COLO_CONN_ESTABLISHED] = established,
        [COLO_CONN_CLOSING] = closing,
        [COLO_CONN_CLOSED] = closed,
    };

    for (int i = 0; i < COLO_N_CONN_STATES; i++) {
        if (stats.n_by_state[i] != expected[i]) {
            ds_put_format(&problems, "  %u entries %s, expected %u\n",
                          stats.n_by_state[i], colo_conn_state_name(i),
                          expected[i]);
        }
    }
    check_accounting(&stats, &problems);
    n_checks++;
    if (problems.length) {
        fail(t, "entries:\n%s", ds_cstr(&problems));
    }
    ds_destroy(&problems);
}

/* Checks colo_table_dump_conns() for the zone of 't'. */
static void
check_dump(const struct ctx *t, const char *expected)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    unsigned int n_lines = 0;
    unsigned int n;

    n = colo_table_dump_conns(t->table, t->zone, t->now, &s);
    for (const char *p = expected; *p; p++) {
        n_lines += *p == '\n';
    }
    check_str(t, "dump-conns", ds_cstr(&s), expected);
    check_uint(t, "dump-conns return value", n, n_lines);
    ds_destroy(&s);
}

/* Checks that colo_table_dump_conns() for the zone of 't' lists exactly
 * the 'n' lines in 'lines', in any order. */
static void
check_dump_set(const struct ctx *t, char *lines[], size_t n)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    unsigned int n_listed;
    size_t length = 0;

    n_listed = colo_table_dump_conns(t->table, t->zone, t->now, &s);
    check_uint(t, "dump-conns return value", n_listed, n);
    for (size_t i = 0; i < n; i++) {
        char *what = xasprintf("dump-conns lists \"%s\"", lines[i]);

        check_true(t, strstr(ds_cstr(&s), lines[i]) != NULL, what);
        length += strlen(lines[i]);
        free(what);
    }
    check_uint(t, "dump-conns length", s.length, length);
    ds_destroy(&s);
}

/* Passes 'p' through the engine in direction 'dir' and appends to
 * 'problems' what is wrong with the result and the counters: exactly one
 * packet counter must move, by one, and it must be one of 'stats'. */
static void
process(struct ctx *t, struct dp_packet *p, enum colo_direction dir,
        unsigned int stats, struct ds *problems)
{
    struct colo_zone_stats before = get_stats(t);
    struct colo_zone_stats after;
    enum colo_result result;
    int counted = -1;

    result = colo_table_process(t->table, t->zone, dir, p, t->now);
    after = get_stats(t);

    for (int i = 0; i < N_PACKET_STATS; i++) {
        uint64_t delta = after.counters[i] - before.counters[i];

        if (delta == 1 && counted < 0) {
            counted = i;
        } else if (delta) {
            ds_put_format(problems, "  counter %s moved by %"PRIu64"\n",
                          colo_stat_name(i), delta);
        }
    }
    if (counted < 0) {
        ds_put_cstr(problems, "  no packet counter moved\n");
    } else if (!(stats & (1u << counted))) {
        ds_put_format(problems, "  counted as %s, expected ",
                      colo_stat_name(counted));
        format_stats(problems, stats);
        ds_put_char(problems, '\n');
    }
    if (counted >= 0
        && (result == COLO_RESULT_REWRITTEN)
           != (counted == COLO_STAT_REWRITTEN)) {
        ds_put_format(problems, "  result %s does not match counter %s\n",
                      result == COLO_RESULT_REWRITTEN ? "rewritten"
                      : "passed", colo_stat_name(counted));
    }
    check_accounting(&after, problems);
}

static enum colo_direction
seg_dir(const struct seg *s)
{
    return s->from_vm ? COLO_SECONDARY : COLO_PRIMARY;
}

/* Sends 'sent' through the engine and checks that it comes out exactly as
 * 'expected', except for the TCP checksum, which must be exactly as right
 * or as wrong as it was (or untouched, with checksum offload), and that it
 * was counted as one of 'stats'. */
static void
xmit(struct ctx *t, const struct seg *sent, const struct seg *expected,
     unsigned int stats)
{
    struct ds problems = DS_EMPTY_INITIALIZER;
    struct frame f = build_frame(&t->conn, sent);
    struct frame e = build_frame(&t->conn, expected);
    struct dp_packet *orig;
    size_t csum_ofs = f.l4 + 16;
    uint16_t verify, csum_field;
    const uint8_t *out;

    ovs_assert(frame_size(&f) == frame_size(&e) && f.l4 == e.l4
               && f.ts == e.ts && f.sack == e.sack);
    set16(frame_data(&f), csum_ofs,
          get16(frame_data(&f), csum_ofs) + t->csum_error);
    if (t->offload) {
        colo_tcp_csum_set_offloaded(f.p);
    }
    csum_field = get16(frame_data(&f), csum_ofs);
    verify = tcp_verify(frame_data(&f), &f);
    orig = dp_packet_clone(f.p);

    process(t, f.p, seg_dir(sent), stats, &problems);

    out = frame_data(&f);
    if (frame_size(&f) != frame_size(&e)) {
        ds_put_format(&problems, "  the frame is now %"PRIuSIZE" bytes\n",
                      frame_size(&f));
    } else {
        for (size_t i = 0; i < frame_size(&f); i++) {
            if (out[i] != frame_data(&e)[i]
                && (i < csum_ofs || i > csum_ofs + 1)) {
                ds_put_format(&problems, "  first wrong byte at offset %"
                              PRIuSIZE"\n", i);
                break;
            }
        }
        if (t->offload && get16(out, csum_ofs) != csum_field) {
            ds_put_cstr(&problems, "  the checksum left to offload "
                        "changed\n");
        } else if (!t->offload && tcp_verify(out, &f) != verify) {
            ds_put_format(&problems, "  the checksum verifies to 0x%04"PRIx16
                          ", it verified to 0x%04"PRIx16" as sent\n",
                          tcp_verify(out, &f), verify);
        }
    }

    n_checks++;
    if (problems.length) {
        struct ds s = DS_EMPTY_INITIALIZER;

        ds_put_format(&s, "%s packet\n  sent:     ",
                      colo_direction_to_string(seg_dir(sent)));
        format_frame(&s, &f, orig);
        ds_put_cstr(&s, "\n  expected: ");
        format_frame(&s, &e, e.p);
        ds_put_cstr(&s, " [");
        format_stats(&s, stats);
        ds_put_format(&s, "%s]\n  got:      ",
                      t->offload ? ", checksum field untouched"
                      : ", checksum as right as sent");
        format_frame(&s, &f, f.p);
        ds_put_format(&s, "\n%s", ds_cstr(&problems));
        fail(t, "%s", ds_cstr(&s));
        ds_destroy(&s);
    }

    dp_packet_delete(orig);
    frame_destroy(&f);
    frame_destroy(&e);
    ds_destroy(&problems);
}

/* Sends 's' and checks that it passes unchanged, counted as one of
 * 'stats'. */
static void
xmit_pass(struct ctx *t, const struct seg *s, unsigned int stats)
{
    xmit(t, s, s, stats);
}

/* Sends frame 'f' in direction 'dir' and checks that it passes unchanged,
 * byte for byte, counted as one of 'stats'.  Destroys 'f'. */
static void
xmit_frame(struct ctx *t, const char *what, struct frame *f,
           enum colo_direction dir, unsigned int stats)
{
    struct ds problems = DS_EMPTY_INITIALIZER;
    struct dp_packet *orig = dp_packet_clone(f->p);

    process(t, f->p, dir, stats, &problems);
    if (dp_packet_size(f->p) != dp_packet_size(orig)
        || memcmp(dp_packet_data(f->p), dp_packet_data(orig),
                  dp_packet_size(orig))) {
        ds_put_cstr(&problems, "  the frame changed\n");
    }

    n_checks++;
    if (problems.length) {
        struct ds s = DS_EMPTY_INITIALIZER;

        ds_put_format(&s, "%s: %s frame\n  sent (expected unchanged, ",
                      what, colo_direction_to_string(dir));
        format_stats(&s, stats);
        ds_put_format(&s, "): %"PRIu32" bytes\n", dp_packet_size(orig));
        ds_put_hex_dump(&s, dp_packet_data(orig), dp_packet_size(orig), 0,
                        false);
        ds_put_format(&s, "  got: %"PRIu32" bytes\n",
                      dp_packet_size(f->p));
        ds_put_hex_dump(&s, dp_packet_data(f->p), dp_packet_size(f->p), 0,
                        false);
        ds_put_format(&s, "%s", ds_cstr(&problems));
        fail(t, "%s", ds_cstr(&s));
        ds_destroy(&s);
    }
    dp_packet_delete(orig);
    frame_destroy(f);
    ds_destroy(&problems);
}

/* Runs the postponed frees of removed entries, so that AddressSanitizer
 * notices an entry used after its removal. */
static void
quiesce(void)
{
    ovsrcu_quiesce();
}

/* Handshakes. */

/* The numbers of a connection: the initial sequence numbers and the
 * timestamp clocks of the peer ('c', 'ct'), the PVM ('p', 'pt') and the SVM
 * ('s', 'st').  With 'ts', the handshake and every segment carry
 * timestamps. */
struct hs {
    uint32_t c, p, s;
    uint32_t ct, pt, st;
    bool ts;
};

static const struct hs hs_plain = {
    .c = 1000, .p = 5000, .s = 900000,
    .ct = 7000, .pt = 200, .st = 3000000, .ts = true,
};

/* The deltas are small, but most values wrap around 2^32. */
static const struct hs hs_wrap = {
    .c = 0xfffffff0, .p = 0xffffff00, .s = 0x10,
    .ct = 0xfffffffe, .pt = 0xfffffff0, .st = 0x20, .ts = true,
};

/* The deltas are "negative" (beyond 2^31). */
static const struct hs hs_neg = {
    .c = 7, .p = 0x10, .s = 0xfffffff8,
    .ct = 5, .pt = 0x30, .st = 0xffffff00, .ts = true,
};

static const struct hs hs_no_ts = {
    .c = 123456, .p = 0x80000000, .s = 42,
};

/* Returns numbers that make rewriting a no-op: with them the expectations
 * below describe packets that pass unchanged. */
static struct hs
hs_identity(const struct hs *h)
{
    struct hs x = *h;

    x.s = h->p;
    x.p = h->s;
    x.st = h->pt;
    x.pt = h->st;
    return x;
}

static const char *
syn_opts(const struct hs *h)
{
    return h->ts ? "MPTNW" : "MPNW";
}

static const char *
ack_opts(const struct hs *h)
{
    return h->ts ? "NNT" : NULL;
}

/* VM as server: the peer's SYN, the SVM's SYN+ACK and the peer's first
 * ACK, with the SVM's half before the PVM's if 'svm_first'.  Checks every
 * step. */
static void
handshake_server(struct ctx *t, const struct hs *h, bool svm_first)
{
    struct seg syn = {
        .flags = TCP_SYN, .seq = h->c, .opts = syn_opts(h), .tsval = h->ct,
    };
    struct seg synack = {
        .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h->s,
        .ack = h->c + 1, .opts = syn_opts(h), .tsval = h->st,
        .tsecr = h->ct,
    };
    struct seg ack = {
        .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 1,
        .opts = ack_opts(h), .tsval = h->ct + 1, .tsecr = h->pt,
    };
    struct seg exp;

    xmit_pass(t, &syn, STAT(PASS_UNLEARNED));
    if (svm_first) {
        /* The SVM's SYN+ACK passes: the PVM's ISN is still unknown. */
        xmit_pass(t, &synack, STAT(PASS_UNLEARNED));

        /* The peer's ACK completes learning and is itself rewritten. */
        exp = ack;
        exp.ack = h->s + 1;
        exp.tsecr = h->st;
        xmit(t, &ack, &exp, STAT(REWRITTEN));
    } else {
        /* The peer's ACK passes: the SVM's ISN is still unknown. */
        xmit_pass(t, &ack, STAT(PASS_UNLEARNED));

        /* The SVM's SYN+ACK completes learning and is itself rewritten. */
        exp = synack;
        exp.seq = h->p;
        exp.tsval = h->pt;
        xmit(t, &synack, &exp, STAT(REWRITTEN));
    }
}

/* VM as client: the SVM's SYN, the peer's SYN+ACK, the SVM's ACK, with the
 * SVM's half before the PVM's if 'svm_first'. */
static void
handshake_client(struct ctx *t, const struct hs *h, bool svm_first)
{
    struct seg syn = {
        .from_vm = true, .flags = TCP_SYN, .seq = h->s,
        .opts = syn_opts(h), .tsval = h->st,
    };
    struct seg synack = {
        .flags = TCP_SYN | TCP_ACK, .seq = h->c, .ack = h->p + 1,
        .opts = syn_opts(h), .tsval = h->ct, .tsecr = h->pt,
    };
    struct seg ack = {
        .from_vm = true, .flags = TCP_ACK, .seq = h->s + 1, .ack = h->c + 1,
        .opts = ack_opts(h), .tsval = h->st + 1, .tsecr = h->ct,
    };
    struct seg exp;

    if (svm_first) {
        xmit_pass(t, &syn, STAT(PASS_UNLEARNED));

        /* The peer's SYN+ACK completes learning and is rewritten. */
        exp = synack;
        exp.ack = h->s + 1;
        exp.tsecr = h->st;
        xmit(t, &synack, &exp, STAT(REWRITTEN));
    } else {
        xmit_pass(t, &synack, STAT(PASS_UNLEARNED));

        /* The SVM's SYN completes learning and is rewritten. */
        exp = syn;
        exp.seq = h->p;
        exp.tsval = h->pt;
        xmit(t, &syn, &exp, STAT(REWRITTEN));
    }

    exp = ack;
    exp.seq = h->p + 1;
    exp.tsval = h->pt + 1;
    xmit(t, &ack, &exp, STAT(REWRITTEN));
}

/* Sends a data segment each way, 'ofs' bytes into each stream, numbered
 * after 'h', and checks that they come out numbered after 'x': the peer's
 * ack and TSecr in the SVM's numbering of 'x', the SVM's seq and TSval in
 * the PVM's numbering of 'x'.  Each packet must be counted as one of
 * 'stats'. */
static void
exchange_as(struct ctx *t, const struct hs *h, const struct hs *x,
            uint32_t ofs, unsigned int stats)
{
    struct seg to_vm = {
        .flags = TCP_ACK | TCP_PSH, .seq = h->c + 1 + ofs,
        .ack = h->p + 1 + ofs, .opts = ack_opts(h), .tsval = h->ct + ofs,
        .tsecr = h->pt + ofs, .payload = 10,
    };
    struct seg from_vm = {
        .from_vm = true, .flags = TCP_ACK | TCP_PSH, .seq = h->s + 1 + ofs,
        .ack = h->c + 11 + ofs, .opts = ack_opts(h),
        .tsval = h->st + ofs + 1, .tsecr = h->ct + ofs, .payload = 10,
    };
    struct seg exp;

    exp = to_vm;
    exp.ack = x->s + 1 + ofs;
    exp.tsecr = x->st + ofs;
    xmit(t, &to_vm, &exp, stats);

    exp = from_vm;
    exp.seq = x->p + 1 + ofs;
    exp.tsval = x->pt + ofs + 1;
    xmit(t, &from_vm, &exp, stats);
}

/* Checks that the connection of 't' rewrites after 'h'. */
static void
exchange(struct ctx *t, const struct hs *h, uint32_t ofs)
{
    exchange_as(t, h, h, ofs, STAT(REWRITTEN));
}

/* Checks that the packets of the connection of 't' pass unchanged, counted
 * as one of 'stats'. */
static void
exchange_unchanged(struct ctx *t, const struct hs *h, uint32_t ofs,
                   unsigned int stats)
{
    struct hs x = hs_identity(h);

    exchange_as(t, h, &x, ofs, stats);
}

/* Has the SVM send data on the learned connection of 't' and the peer
 * acknowledge it, which assures the entry: it then lives for the idle
 * timeout and is never evicted. */
static void
assure(struct ctx *t, const struct hs *h)
{
    exchange(t, h, 0);
    exchange(t, h, 10);
}

/* Returns the dump-conns line expected for the connection of 't', learned
 * with 'h', in 'state', idle for 'idle' seconds.  The caller must free
 * it. */
static char *
dump_line(const struct ctx *t, const struct hs *h, const char *state,
          int idle)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "zone=%"PRIu16, t->zone);
    if (t->conn.ipv6) {
        ds_put_format(&s, " vm=[fd00::2]:%"PRIu16" peer=[fd00::1]:%"PRIu16,
                      t->conn.vm_port, t->conn.peer_port);
    } else {
        ds_put_format(&s, " vm=10.0.0.2:%"PRIu16" peer=10.0.0.1:%"PRIu16,
                      t->conn.vm_port, t->conn.peer_port);
    }
    ds_put_format(&s, " state=%s", state);
    if (h) {
        ds_put_format(&s, " seq_delta=%"PRIu32, h->s - h->p);
    } else {
        ds_put_cstr(&s, " seq_delta=none");
    }
    if (h && h->ts) {
        ds_put_format(&s, " ts_delta=%"PRIu32, h->st - h->pt);
    } else {
        ds_put_cstr(&s, " ts_delta=none");
    }
    ds_put_format(&s, " idle=%ds\n", idle);
    return ds_steal_cstr(&s);
}

static void
check_dump_conn(const struct ctx *t, const struct hs *h, const char *state,
                int idle)
{
    char *line = dump_line(t, h, state, idle);

    check_dump(t, line);
    free(line);
}

static void
set_config(struct colo_table *table, unsigned int max_conns,
           unsigned int idle_timeout, unsigned int linger)
{
    struct colo_config config = {
        .max_conns = max_conns,
        .idle_timeout = idle_timeout,
        .linger = linger,
    };

    colo_table_set_config(table, &config);
}

/* A segment of the connection numbered after 'h': from the peer, with seq
 * and ack 'seq_ofs' and 'ack_ofs' bytes into the streams, or from the
 * VM. */
static struct seg
lseg(const struct hs *h, bool from_vm, uint16_t flags, uint32_t seq_ofs,
     uint32_t ack_ofs, size_t payload)
{
    struct seg s = {
        .from_vm = from_vm, .flags = flags, .opts = "NNT",
        .payload = payload,
    };

    if (from_vm) {
        s.seq = h->s + 1 + seq_ofs;
        s.ack = h->c + 1 + ack_ofs;
        s.tsval = h->st + 100;
        s.tsecr = h->ct + 100;
    } else {
        s.seq = h->c + 1 + seq_ofs;
        s.ack = h->p + 1 + ack_ofs;
        s.tsval = h->ct + 100;
        s.tsecr = h->pt + 100;
    }
    return s;
}

/* Sends segment 's' of 'h' and checks that it is rewritten. */
static void
lxmit(struct ctx *t, const struct hs *h, const struct seg *s)
{
    struct seg exp = *s;

    if (s->from_vm) {
        exp.seq = s->seq - h->s + h->p;
        if (h->ts) {
            exp.tsval = s->tsval - h->st + h->pt;
        }
    } else {
        if (s->flags & TCP_ACK) {
            exp.ack = s->ack - h->p + h->s;
        }
        if (h->ts && s->tsecr) {
            exp.tsecr = s->tsecr - h->pt + h->st;
        }
    }
    xmit(t, s, &exp, STAT(REWRITTEN));
}

/* Sends lseg(h, ...) and checks that it is rewritten. */
static void
lsend(struct ctx *t, const struct hs *h, bool from_vm, uint16_t flags,
      uint32_t seq_ofs, uint32_t ack_ofs, size_t payload)
{
    struct seg s = lseg(h, from_vm, flags, seq_ofs, ack_ofs, payload);

    lxmit(t, h, &s);
}

/* Checks that the dump of the zone of 't' lists the connection of 't' as
 * dump_line() describes it, among others. */
static void
check_dump_has(const struct ctx *t, const struct hs *h, const char *state,
               int idle)
{
    char *line = dump_line(t, h, state, idle);
    char *what = xasprintf("dump-conns lists \"%s\"", line);
    struct ds s = DS_EMPTY_INITIALIZER;

    colo_table_dump_conns(t->table, t->zone, t->now, &s);
    check_true(t, strstr(ds_cstr(&s), line) != NULL, what);
    ds_destroy(&s);
    free(what);
    free(line);
}

/* Learning. */

static void
test_learn_one(bool ipv6, const struct hs *h, bool client, bool svm_first)
{
    struct colo_table *table = colo_table_create();
    char *what = xasprintf("learn: VM as %s, %s half first, %s, ISNs "
                           "%"PRIu32"/%"PRIu32"/%"PRIu32,
                           client ? "client" : "server",
                           svm_first ? "SVM" : "PVM",
                           ipv6 ? "IPv6" : "IPv4", h->c, h->p, h->s);
    struct ctx t;

    ctx_init(&t, what, table, ipv6, 40000);
    if (client) {
        handshake_client(&t, h, svm_first);
    } else {
        handshake_server(&t, h, svm_first);
    }
    check_conns(&t, 0, 1, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_CREATED, 1);
    check_dump_conn(&t, h, "established", 0);
    exchange(&t, h, 0);
    exchange(&t, h, 1000000);
    exchange(&t, h, 0x7fffff00);

    /* Another zone knows nothing of the connection. */
    t.zone = 6;
    exchange_unchanged(&t, h, 10, STAT(PASS_UNLEARNED));
    check_conns(&t, 0, 0, 0, 0);

    colo_table_destroy(table);
    free(what);
}

/* Retransmitted handshake packets change nothing that was learned. */
static void
test_learn_retransmit(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    struct seg syn, synack, ack, exp;
    struct ctx t;

    ctx_init(&t, "learn: retransmissions, VM as server", table, ipv6, 40000);
    syn = (struct seg) {
        .flags = TCP_SYN, .seq = h->c, .opts = "MPTNW", .tsval = h->ct,
    };
    synack = (struct seg) {
        .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h->s,
        .ack = h->c + 1, .opts = "MPTNW", .tsval = h->st, .tsecr = h->ct,
    };
    ack = (struct seg) {
        .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 1, .opts = "NNT",
        .tsval = h->ct + 1, .tsecr = h->pt,
    };

    xmit_pass(&t, &syn, STAT(PASS_UNLEARNED));
    xmit_pass(&t, &syn, STAT(PASS_UNLEARNED));
    xmit_pass(&t, &synack, STAT(PASS_UNLEARNED));
    check_conns(&t, 1, 0, 0, 0);

    /* The SVM retransmits its SYN+ACK one second later: same ISN, later
     * TSval.  The first TSval counts. */
    synack.tsval = h->st + 1000;
    xmit_pass(&t, &synack, STAT(PASS_UNLEARNED));
    check_counter(&t, COLO_STAT_CONNS_CREATED, 1);

    exp = ack;
    exp.ack = h->s + 1;
    exp.tsecr = h->st;
    xmit(&t, &ack, &exp, STAT(REWRITTEN));
    check_dump_conn(&t, h, "established", 0);

    /* The SYN+ACK once more, now rewritten with the deltas learned. */
    synack.tsval = h->st + 2000;
    exp = synack;
    exp.seq = h->p;
    exp.tsval = h->pt + 2000;
    xmit(&t, &synack, &exp, STAT(REWRITTEN));

    /* The peer's SYN once more: nothing to rewrite in it (no ACK flag,
     * TSecr 0), but the connection is learned. */
    xmit_pass(&t, &syn, STAT(REWRITTEN));

    /* A second ACK with another TSecr does not relearn. */
    ack.tsecr = h->pt + 50;
    exp = ack;
    exp.ack = h->s + 1;
    exp.tsecr = h->st + 50;
    xmit(&t, &ack, &exp, STAT(REWRITTEN));

    check_conns(&t, 0, 1, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_CREATED, 1);
    check_dump_conn(&t, h, "established", 0);
    exchange(&t, h, 77);
    colo_table_destroy(table);

    /* PVM half first: the first of two ACKs counts. */
    table = colo_table_create();
    ctx_init(&t, "learn: retransmissions, VM as server, PVM half first",
             table, ipv6, 40000);
    ack.tsecr = h->pt;
    xmit_pass(&t, &syn, STAT(PASS_UNLEARNED));
    xmit_pass(&t, &ack, STAT(PASS_UNLEARNED));
    ack.tsval = h->ct + 5;
    ack.tsecr = h->pt + 3;
    xmit_pass(&t, &ack, STAT(PASS_UNLEARNED));
    synack.tsval = h->st;
    exp = synack;
    exp.seq = h->p;
    exp.tsval = h->pt;
    xmit(&t, &synack, &exp, STAT(REWRITTEN));
    check_dump_conn(&t, h, "established", 0);
    exchange(&t, h, 0);
    colo_table_destroy(table);

    /* VM as client, SVM half first: a retransmitted SVM SYN with a later
     * TSval, then the peer's SYN+ACK twice. */
    table = colo_table_create();
    ctx_init(&t, "learn: retransmissions, VM as client", table, ipv6,
             40000);
    syn = (struct seg) {
        .from_vm = true, .flags = TCP_SYN, .seq = h->s, .opts = "MPTNW",
        .tsval = h->st,
    };
    synack = (struct seg) {
        .flags = TCP_SYN | TCP_ACK, .seq = h->c, .ack = h->p + 1,
        .opts = "MPTNW", .tsval = h->ct, .tsecr = h->pt,
    };
    xmit_pass(&t, &syn, STAT(PASS_UNLEARNED));
    syn.tsval = h->st + 1000;
    xmit_pass(&t, &syn, STAT(PASS_UNLEARNED));
    exp = synack;
    exp.ack = h->s + 1;
    exp.tsecr = h->st;
    xmit(&t, &synack, &exp, STAT(REWRITTEN));
    synack.tsval = h->ct + 1000;
    synack.tsecr = h->pt + 1000;
    exp = synack;
    exp.ack = h->s + 1;
    exp.tsecr = h->st + 1000;
    xmit(&t, &synack, &exp, STAT(REWRITTEN));

    /* The SVM's SYN once more, now rewritten. */
    exp = syn;
    exp.seq = h->p;
    exp.tsval = h->pt + 1000;
    xmit(&t, &syn, &exp, STAT(REWRITTEN));
    check_conns(&t, 0, 1, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_CREATED, 1);
    check_dump_conn(&t, h, "established", 0);
    exchange(&t, h, 5);
    colo_table_destroy(table);

    /* VM as client, PVM half first: the first SYN+ACK counts. */
    table = colo_table_create();
    ctx_init(&t, "learn: retransmissions, VM as client, PVM half first",
             table, ipv6, 40000);
    synack.tsval = h->ct;
    synack.tsecr = h->pt;
    xmit_pass(&t, &synack, STAT(PASS_UNLEARNED));
    synack.tsval = h->ct + 1000;
    synack.tsecr = h->pt + 1000;
    xmit_pass(&t, &synack, STAT(PASS_UNLEARNED));
    syn.tsval = h->st;
    exp = syn;
    exp.seq = h->p;
    exp.tsval = h->pt;
    xmit(&t, &syn, &exp, STAT(REWRITTEN));
    check_dump_conn(&t, h, "established", 0);
    exchange(&t, h, 5);
    colo_table_destroy(table);
}

/* Packets that belong to no entry and are no SYN pass, and create none. */
static void
test_learn_unknown(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    static const uint16_t flags[] = {
        TCP_ACK, TCP_ACK | TCP_PSH, TCP_FIN | TCP_ACK, TCP_RST,
        TCP_RST | TCP_ACK,
    };
    struct ctx t;

    ctx_init(&t, "learn: packets of unknown connections", table, ipv6,
             40000);
    for (int i = 0; i < ARRAY_SIZE(flags); i++) {
        for (int from_vm = 0; from_vm < 2; from_vm++) {
            struct seg s = {
                .from_vm = from_vm, .flags = flags[i], .seq = 1000 + i,
                .ack = 2000 + i, .opts = "NNTNNS", .tsval = 3, .tsecr = 4,
                .n_sack = 1, .sack = { 2100, 2200 }, .payload = i,
            };

            xmit_pass(&t, &s, STAT(PASS_UNLEARNED));
        }
    }
    check_conns(&t, 0, 0, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_CREATED, 0);
    check_counter(&t, COLO_STAT_PASS_UNLEARNED, 2 * ARRAY_SIZE(flags));
    check_dump(&t, "");
    colo_table_destroy(table);
}

/* ts_delta exists only if both halves carried timestamps. */
static void
test_learn_half_ts(bool ipv6, bool client, bool svm_ts)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    char *what = xasprintf("learn: VM as %s, timestamps only from the %s",
                           client ? "client" : "server",
                           svm_ts ? "SVM" : "peer/PVM");
    const char *svm_opts = svm_ts ? "MPTNW" : "MPNW";
    const char *peer_opts = svm_ts ? "MPNW" : "MPTNW";
    struct seg svm, peer, exp;
    struct ctx t;

    ctx_init(&t, what, table, ipv6, 40000);
    if (client) {
        svm = (struct seg) {
            .from_vm = true, .flags = TCP_SYN, .seq = h->s,
            .opts = svm_opts, .tsval = h->st,
        };
        peer = (struct seg) {
            .flags = TCP_SYN | TCP_ACK, .seq = h->c, .ack = h->p + 1,
            .opts = peer_opts, .tsval = h->ct, .tsecr = h->pt,
        };
    } else {
        struct seg syn = { .flags = TCP_SYN, .seq = h->c, .opts = "MPNW" };

        xmit_pass(&t, &syn, STAT(PASS_UNLEARNED));
        svm = (struct seg) {
            .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h->s,
            .ack = h->c + 1, .opts = svm_opts, .tsval = h->st,
        };
        peer = (struct seg) {
            .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 1,
            .opts = svm_ts ? NULL : "NNT", .tsval = h->ct, .tsecr = h->pt,
        };
    }
    xmit_pass(&t, &svm, STAT(PASS_UNLEARNED));
    exp = peer;
    exp.ack = h->s + 1;
    xmit(&t, &peer, &exp, STAT(REWRITTEN));

    check_dump(&t, (ipv6
                    ? "zone=5 vm=[fd00::2]:80 peer=[fd00::1]:40000 "
                    "state=established seq_delta=895000 ts_delta=none "
                    "idle=0s\n"
                    : "zone=5 vm=10.0.0.2:80 peer=10.0.0.1:40000 "
                    "state=established seq_delta=895000 ts_delta=none "
                    "idle=0s\n"));

    /* Timestamps that show up later are left alone; seq and ack are
     * rewritten. */
    peer = (struct seg) {
        .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 101, .opts = "NNT",
        .tsval = h->ct + 9, .tsecr = h->pt + 9,
    };
    exp = peer;
    exp.ack = h->s + 101;
    xmit(&t, &peer, &exp, STAT(REWRITTEN));
    svm = (struct seg) {
        .from_vm = true, .flags = TCP_ACK, .seq = h->s + 101,
        .ack = h->c + 1, .opts = "NNT", .tsval = h->st + 9,
        .tsecr = h->ct + 9,
    };
    exp = svm;
    exp.seq = h->p + 101;
    xmit(&t, &svm, &exp, STAT(REWRITTEN));

    colo_table_destroy(table);
    free(what);
}

static void
test_learn(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    static const struct hs *const hss[] = {
        &hs_plain, &hs_wrap, &hs_neg, &hs_no_ts,
    };

    for (int ipv6 = 0; ipv6 < 2; ipv6++) {
        for (int i = 0; i < ARRAY_SIZE(hss); i++) {
            for (int client = 0; client < 2; client++) {
                test_learn_one(ipv6, hss[i], client, true);
                test_learn_one(ipv6, hss[i], client, false);
            }
        }
        test_learn_retransmit(ipv6);
        test_learn_unknown(ipv6);
        for (int client = 0; client < 2; client++) {
            test_learn_half_ts(ipv6, client, true);
            test_learn_half_ts(ipv6, client, false);
        }
    }
}

/* Rewriting. */

/* An ACK 'ofs' bytes into the streams of 'h', from the VM if 'from_vm',
 * else from the peer, with options 'opts' and 'n_sack' SACK blocks.  The
 * blocks cover data of the other end, in that end's numbering (the PVM's,
 * for the peer's blocks); the first is a D-SACK block, below the ack. */
static struct seg
sack_seg(const struct hs *h, bool from_vm, const char *opts, int n_sack,
         uint32_t ofs)
{
    uint32_t base = from_vm ? h->c : h->p;
    struct seg s = {
        .from_vm = from_vm, .flags = TCP_ACK, .opts = opts,
        .n_sack = n_sack,
    };

    if (from_vm) {
        s.seq = h->s + 1 + ofs;
        s.ack = h->c + 1 + ofs + 1000;
        s.tsval = h->st + ofs;
        s.tsecr = h->ct + ofs;
    } else {
        s.seq = h->c + 1 + ofs;
        s.ack = h->p + 1 + ofs + 1000;
        s.tsval = h->ct + ofs;
        s.tsecr = h->pt + ofs;
    }
    for (int i = 0; i < n_sack; i++) {
        uint32_t left = i ? 2001 + 1000 * i : 1;

        s.sack[2 * i] = base + ofs + left;
        s.sack[2 * i + 1] = base + ofs + left + 500;
    }
    return s;
}

/* The peer's segment 's' as the SVM must get it. */
static struct seg
sack_seg_to_svm(const struct hs *h, const struct seg *s, uint32_t ofs)
{
    struct seg exp = *s;

    exp.ack = h->s + 1 + ofs + 1000;
    if (h->ts) {
        exp.tsecr = h->st + ofs;
    }
    for (int i = 0; i < s->n_sack; i++) {
        uint32_t left = i ? 2001 + 1000 * i : 1;

        exp.sack[2 * i] = h->s + ofs + left;
        exp.sack[2 * i + 1] = h->s + ofs + left + 500;
    }
    return exp;
}

/* Every combination of SACK blocks, timestamps and option order, both
 * ways. */
static void
test_rewrite_options(bool ipv6, const struct hs *h)
{
    /* Layouts with room for 3 SACK blocks beside the timestamps. */
    static const char *const ts_layouts[] = {
        "NNTNNS", "NNSNNT", "TS", "ST", "NST", "NTNS", "TNS", "NNSTNN",
        "MTS",
    };
    /* Layouts with room for 4 SACK blocks. */
    static const char *const sack_layouts[] = {
        "NNS", "S", "NS", "NNNS", "SNN",
    };
    struct colo_table *table = colo_table_create();
    struct ctx t;

    ctx_init(&t, "rewrite: options", table, ipv6, 40000);
    handshake_server(&t, h, true);

    for (int i = 0; i < ARRAY_SIZE(ts_layouts); i++) {
        for (int n = 1; n <= 3; n++) {
            uint32_t ofs = 100000 * (i + 1) + n;
            struct seg s, exp;

            s = sack_seg(h, false, ts_layouts[i], n, ofs);
            exp = sack_seg_to_svm(h, &s, ofs);
            xmit(&t, &s, &exp, STAT(REWRITTEN));

            /* The SVM's SACK blocks are in the peer's numbering: only seq
             * and TSval change. */
            s = sack_seg(h, true, ts_layouts[i], n, ofs);
            exp = s;
            exp.seq = h->p + 1 + ofs;
            exp.tsval = h->pt + ofs;
            xmit(&t, &s, &exp, STAT(REWRITTEN));
        }
    }
    for (int i = 0; i < ARRAY_SIZE(sack_layouts); i++) {
        for (int n = 1; n <= 4; n++) {
            uint32_t ofs = 7000000 * (i + 1) + n;
            struct seg s, exp;

            s = sack_seg(h, false, sack_layouts[i], n, ofs);
            exp = sack_seg_to_svm(h, &s, ofs);
            exp.tsecr = s.tsecr;
            xmit(&t, &s, &exp, STAT(REWRITTEN));

            s = sack_seg(h, true, sack_layouts[i], n, ofs);
            exp = s;
            exp.seq = h->p + 1 + ofs;
            xmit(&t, &s, &exp, STAT(REWRITTEN));
        }
    }
    colo_table_destroy(table);
}

/* Returns timestamp 'ts' of the PVM's clock in the SVM's, if the connection
 * has a timestamp delta. */
static uint32_t
ts_to_svm(const struct hs *h, uint32_t ts)
{
    return h->ts ? ts - h->pt + h->st : ts;
}

/* Returns timestamp 'ts' of the SVM's clock in the PVM's, if the connection
 * has a timestamp delta. */
static uint32_t
ts_to_pvm(const struct hs *h, uint32_t ts)
{
    return h->ts ? ts - h->st + h->pt : ts;
}

/* Individual fields. */
static void
test_rewrite_fields(bool ipv6, const struct hs *h)
{
    struct colo_table *table = colo_table_create();
    struct seg s, exp;
    struct ctx t;

    ctx_init(&t, "rewrite: fields", table, ipv6, 40000);
    handshake_server(&t, h, true);

    /* The peer's TSecr 0 stays 0; its TSval never changes. */
    s = (struct seg) {
        .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 1, .opts = "NNT",
        .tsval = h->pt, .tsecr = 0,
    };
    exp = s;
    exp.ack = h->s + 1;
    xmit(&t, &s, &exp, STAT(REWRITTEN));

    /* Without the ACK flag the ack field stays, but SACK edges and TSecr
     * are still rewritten. */
    s = (struct seg) {
        .flags = TCP_PSH, .seq = h->c + 1, .ack = h->p + 77,
        .opts = "NNTNNS", .tsval = 1, .tsecr = h->pt + 5, .n_sack = 1,
        .sack = { h->p + 100, h->p + 200 }, .payload = 3,
    };
    exp = s;
    exp.tsecr = ts_to_svm(h, h->pt + 5);
    exp.sack[0] = h->s + 100;
    exp.sack[1] = h->s + 200;
    xmit(&t, &s, &exp, STAT(REWRITTEN));

    /* The SVM's ack and TSecr never change, with or without the ACK flag;
     * its TSval 0 changes too. */
    s = (struct seg) {
        .from_vm = true, .flags = TCP_ACK, .seq = h->s + 1, .ack = h->c + 9,
        .opts = "NNT", .tsval = 0, .tsecr = h->ct + 3, .payload = 1,
    };
    exp = s;
    exp.seq = h->p + 1;
    exp.tsval = ts_to_pvm(h, 0);
    xmit(&t, &s, &exp, STAT(REWRITTEN));
    s.flags = exp.flags = TCP_PSH;
    xmit(&t, &s, &exp, STAT(REWRITTEN));

    /* No options at all. */
    s = (struct seg) {
        .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 1, .payload = 100,
    };
    exp = s;
    exp.ack = h->s + 1;
    xmit(&t, &s, &exp, STAT(REWRITTEN));
    s = (struct seg) {
        .from_vm = true, .flags = TCP_ACK, .seq = h->s + 1, .ack = h->c + 1,
        .payload = 99,
    };
    exp = s;
    exp.seq = h->p + 1;
    xmit(&t, &s, &exp, STAT(REWRITTEN));

    /* Other options are left alone. */
    s = (struct seg) {
        .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 1,
        .opts = "MWPNNT", .tsval = 5, .tsecr = h->pt + 1,
    };
    exp = s;
    exp.ack = h->s + 1;
    exp.tsecr = ts_to_svm(h, h->pt + 1);
    xmit(&t, &s, &exp, STAT(REWRITTEN));

    /* Options after the end of the option list are not options. */
    s = (struct seg) {
        .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 1, .opts = "ENNT",
        .tsval = 5, .tsecr = h->pt + 1,
    };
    exp = s;
    exp.ack = h->s + 1;
    xmit(&t, &s, &exp, STAT(REWRITTEN));

    /* URG, ECE, CWR and the like do not matter. */
    s = (struct seg) {
        .flags = TCP_ACK | TCP_URG | TCP_ECE | TCP_CWR, .seq = h->c + 1,
        .ack = h->p + 1, .opts = "NNT", .tsval = 5, .tsecr = h->pt + 1,
    };
    exp = s;
    exp.ack = h->s + 1;
    exp.tsecr = ts_to_svm(h, h->pt + 1);
    xmit(&t, &s, &exp, STAT(REWRITTEN));

    check_conns(&t, 0, 1, 0, 0);
    colo_table_destroy(table);
}

/* The zone and the address family keep connections apart. */
static void
test_rewrite_keys(void)
{
    struct colo_table *table = colo_table_create();
    struct hs h5 = hs_plain, h6 = hs_plain, hv6 = hs_plain, hp = hs_plain;
    struct ctx t5, t6, tv6, tp;

    /* The same connection in zones 5 and 6, with other deltas. */
    ctx_init(&t5, "rewrite: zones", table, false, 40000);
    handshake_server(&t5, &h5, true);
    ctx_init(&t6, "rewrite: zones", table, false, 40000);
    t6.zone = 6;
    h6.s = 77777777;
    h6.st = 1;
    handshake_server(&t6, &h6, true);
    exchange(&t5, &h5, 10);
    exchange(&t6, &h6, 10);

    /* An IPv6 connection between IPv4-mapped addresses is not the IPv4
     * one. */
    ctx_init(&tv6, "rewrite: IPv4-mapped IPv6 addresses", table, true,
             40000);
    in6_addr_set_mapped_ipv4(&tv6.conn.vm6, tv6.conn.vm4);
    in6_addr_set_mapped_ipv4(&tv6.conn.peer6, tv6.conn.peer4);
    exchange_unchanged(&tv6, &h5, 20, STAT(PASS_UNLEARNED));
    hv6.s = 31337;
    handshake_client(&tv6, &hv6, false);
    exchange(&tv6, &hv6, 30);
    exchange(&t5, &h5, 30);

    /* Another peer port is another connection. */
    ctx_init(&tp, "rewrite: ports", table, false, 40001);
    exchange_unchanged(&tp, &h5, 40, STAT(PASS_UNLEARNED));
    hp.s = 4242;
    handshake_server(&tp, &hp, false);
    exchange(&tp, &hp, 50);
    exchange(&t5, &h5, 50);

    check_conns(&t5, 0, 3, 0, 0);
    check_conns(&t6, 0, 1, 0, 0);
    colo_table_destroy(table);
}

static void
test_rewrite(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    static const struct hs *const hss[] = {
        &hs_plain, &hs_wrap, &hs_neg,
    };

    for (int ipv6 = 0; ipv6 < 2; ipv6++) {
        for (int i = 0; i < ARRAY_SIZE(hss); i++) {
            test_rewrite_options(ipv6, hss[i]);
            test_rewrite_fields(ipv6, hss[i]);
        }
        test_rewrite_fields(ipv6, &hs_no_ts);
    }
    test_rewrite_keys();
}

/* Checksums. */

static void
test_checksum_one(bool ipv6, bool offload, uint16_t csum_error)
{
    static const char *const layouts[] = {
        "NNTNNS", "NST", "NTNS", "TS",
    };
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_neg;
    char *what = xasprintf("checksum: %s, %s, error 0x%04"PRIx16,
                           ipv6 ? "IPv6" : "IPv4",
                           offload ? "offload" : "no offload", csum_error);
    struct ctx t;

    ctx_init(&t, what, table, ipv6, 40000);
    handshake_server(&t, h, true);
    t.offload = offload;
    t.csum_error = csum_error;
    for (int i = 0; i < ARRAY_SIZE(layouts); i++) {
        for (int n = 1; n <= 3; n++) {
            uint32_t ofs = 1000 * i + n * 0x1111;
            struct seg s, exp;

            s = sack_seg(h, false, layouts[i], n, ofs);
            s.payload = i;
            exp = sack_seg_to_svm(h, &s, ofs);
            xmit(&t, &s, &exp, STAT(REWRITTEN));

            s = sack_seg(h, true, layouts[i], n, ofs);
            s.payload = n;
            exp = s;
            exp.seq = h->p + 1 + ofs;
            exp.tsval = h->pt + ofs;
            xmit(&t, &s, &exp, STAT(REWRITTEN));
        }
    }
    exchange(&t, h, 0);
    colo_table_destroy(table);
    free(what);
}

static void
test_checksum(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    static const uint16_t errors[] = { 0, 1, 0x1234, 0xfffe, 0x8000 };

    for (int ipv6 = 0; ipv6 < 2; ipv6++) {
        for (int i = 0; i < ARRAY_SIZE(errors); i++) {
            test_checksum_one(ipv6, false, errors[i]);
        }
        test_checksum_one(ipv6, true, 0);
        test_checksum_one(ipv6, true, 0x4321);
    }
}

/* Parsing. */

/* A connection learned and used over frames with encapsulation 'conn'. */
static void
test_parse_encap(const char *what, const struct conn *conn)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_wrap;
    struct seg s, exp;
    struct ctx t;

    ctx_init(&t, what, table, conn->ipv6, 40000);
    t.conn = *conn;
    handshake_server(&t, h, true);
    exchange(&t, h, 0);
    s = sack_seg(h, false, "NNTNNS", 3, 500);
    exp = sack_seg_to_svm(h, &s, 500);
    xmit(&t, &s, &exp, STAT(REWRITTEN));
    s = sack_seg(h, true, "NNTNNS", 2, 500);
    exp = s;
    exp.seq = h->p + 501;
    exp.tsval = h->pt + 500;
    xmit(&t, &s, &exp, STAT(REWRITTEN));
    colo_table_destroy(table);

    table = colo_table_create();
    ctx_init(&t, what, table, conn->ipv6, 40000);
    t.conn = *conn;
    handshake_client(&t, h, false);
    exchange(&t, h, 99);
    colo_table_destroy(table);
}

static void
test_parse_good(void)
{
    static const char *const exts[] = {
        "H", "R", "D", "F", "HDRFD", "HRDF", "DD",
    };
    struct ctx base;
    struct conn c;

    for (int ipv6 = 0; ipv6 < 2; ipv6++) {
        ctx_init(&base, "", NULL, ipv6, 40000);

        c = base.conn;
        test_parse_encap("parse: plain", &c);

        c = base.conn;
        c.vlans[0] = ETH_TYPE_VLAN_8021Q;
        test_parse_encap("parse: 802.1Q", &c);

        c = base.conn;
        c.vlans[0] = ETH_TYPE_VLAN_8021AD;
        test_parse_encap("parse: 802.1ad", &c);

        c = base.conn;
        c.vlans[0] = ETH_TYPE_VLAN_8021AD;
        c.vlans[1] = ETH_TYPE_VLAN_8021Q;
        test_parse_encap("parse: 802.1ad + 802.1Q", &c);

        c = base.conn;
        c.vlans[0] = ETH_TYPE_VLAN_8021Q;
        c.vlans[1] = ETH_TYPE_VLAN_8021Q;
        test_parse_encap("parse: 802.1Q + 802.1Q", &c);

        c = base.conn;
        c.eth_pad = 32;
        test_parse_encap("parse: Ethernet padding", &c);
    }

    ctx_init(&base, "", NULL, false, 40000);
    c = base.conn;
    c.ip_opts = 4;
    test_parse_encap("parse: IPv4 options (4 bytes)", &c);
    c.ip_opts = 40;
    test_parse_encap("parse: IPv4 options (40 bytes)", &c);
    c = base.conn;
    c.frag = htons(IP_MORE_FRAGMENTS);
    test_parse_encap("parse: IPv4 first fragment", &c);
    c = base.conn;
    c.frag = htons(IP_DONT_FRAGMENT);
    test_parse_encap("parse: IPv4 don't fragment", &c);

    ctx_init(&base, "", NULL, true, 40000);
    for (int i = 0; i < ARRAY_SIZE(exts); i++) {
        char *what = xasprintf("parse: IPv6 extension headers %s", exts[i]);

        c = base.conn;
        c.ext = exts[i];
        test_parse_encap(what, &c);

        c.vlans[0] = ETH_TYPE_VLAN_8021AD;
        c.vlans[1] = ETH_TYPE_VLAN_8021Q;
        c.eth_pad = 6;
        test_parse_encap(what, &c);
        free(what);
    }
    c = base.conn;
    c.ext = "HF";
    c.frag = htons(1);          /* M flag, offset 0. */
    test_parse_encap("parse: IPv6 first fragment", &c);
}

/* Raw TCP options that make a segment unparseable. */
struct bad_opts {
    const char *what;
    uint8_t bytes[32];
    size_t n;
};

static const struct bad_opts bad_opts[] = {
    { "option length 0", { OPT_MSS, 0, 5, 180 }, 4 },
    { "option length 1", { OPT_NOP, OPT_WSCALE, 1, 0 }, 4 },
    { "timestamp length 0", { OPT_NOP, OPT_NOP, OPT_TS, 0 }, 4 },
    { "SACK length 1", { OPT_NOP, OPT_NOP, OPT_SACK, 1 }, 4 },
    { "option past the header", { OPT_NOP, OPT_NOP, OPT_MSS, 6 }, 4 },
    { "unknown option past the header", { 99, 200, 0, 0 }, 4 },
    { "option kind in the last byte", { OPT_NOP, OPT_NOP, OPT_NOP, 30 }, 4 },
    { "timestamp past the header",
      { OPT_NOP, OPT_NOP, OPT_TS, 10, 0, 0, 1, 0 }, 8 },
    { "SACK past the header",
      { OPT_NOP, OPT_NOP, OPT_SACK, 18, 0, 0, 1, 0, 0, 0, 2, 0 }, 12 },
    { "SACK of 4 blocks past the header",
      { OPT_NOP, OPT_NOP, OPT_SACK, 34 }, 32 },
    { "timestamp length 8",
      { OPT_NOP, OPT_NOP, OPT_TS, 8, 0, 0, 0, 1, 0, 0, 0, 2 }, 12 },
    { "timestamp length 9",
      { OPT_TS, 9, 0, 0, 0, 1, 0, 0, 0, OPT_NOP, OPT_NOP, OPT_NOP }, 12 },
    { "timestamp length 11",
      { OPT_TS, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, OPT_NOP }, 12 },
    { "timestamp length 12",
      { OPT_TS, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0 }, 12 },
    { "SACK length 3", { OPT_SACK, 3, 0, OPT_NOP }, 4 },
    { "SACK length 6", { OPT_SACK, 6, 0, 0, 1, 0, OPT_NOP, OPT_NOP }, 8 },
    { "SACK length 9",
      { OPT_SACK, 9, 0, 0, 1, 0, 0, 0, 2, OPT_NOP, OPT_NOP, OPT_NOP }, 12 },
    { "SACK length 11",
      { OPT_SACK, 11, 0, 0, 1, 0, 0, 0, 2, 0, 0, OPT_NOP }, 12 },
    { "SACK length 12",
      { OPT_SACK, 12, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0 }, 12 },
    { "SACK length 17",
      { OPT_SACK, 17, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
        OPT_NOP, OPT_NOP, OPT_NOP }, 20 },
    { "SACK length 20",
      { OPT_SACK, 20, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
        0, 0, 0 }, 20 },
};

/* A segment of the learned connection that would be rewritten if it were
 * parsed: 44 bytes of TCP header and 5 bytes of payload. */
static struct seg
victim_seg(const struct hs *h, bool from_vm)
{
    struct seg s = sack_seg(h, from_vm, "NNTNNS", 1, 64);

    s.payload = 5;
    return s;
}

/* Sets the IP length of 'f' to end where the frame ends. */
static void
frame_fit_ip_len(struct frame *f, bool ipv6)
{
    size_t len = frame_size(f) - f->l3;

    if (ipv6) {
        set16(frame_data(f), f->l3 + 4, len - IPV6_HEADER_LEN);
    } else {
        set16(frame_data(f), f->l3 + 2, len);
        frame_fix_ip_csum(f);
    }
}

static void
test_parse_bad_tcp(bool ipv6)
{
    static const size_t cuts[] = { 1, 10, 19, 20, 27, 39, 43 };
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    unsigned int n_bad = 0;
    struct ctx t;

    ctx_init(&t, ipv6 ? "parse: unparseable TCP, IPv6"
             : "parse: unparseable TCP, IPv4", table, ipv6, 40000);
    handshake_server(&t, h, true);

    for (int from_vm = 0; from_vm < 2; from_vm++) {
        enum colo_direction dir = from_vm ? COLO_SECONDARY : COLO_PRIMARY;
        struct seg s = victim_seg(h, from_vm);
        size_t ip_len_ofs;
        struct frame f;

        /* Cut inside the TCP header or its options, with the IP length
         * past the frame, then with the IP length cut to match. */
        for (int i = 0; i < ARRAY_SIZE(cuts); i++) {
            char *what = xasprintf("cut %"PRIuSIZE" bytes into TCP",
                                   cuts[i]);

            f = build_frame(&t.conn, &s);
            frame_truncate(&f, f.l4 + cuts[i]);
            xmit_frame(&t, what, &f, dir, STAT(PASS_UNPARSEABLE));

            f = build_frame(&t.conn, &s);
            frame_truncate(&f, f.l4 + cuts[i]);
            frame_fit_ip_len(&f, ipv6);
            xmit_frame(&t, what, &f, dir, STAT(PASS_UNPARSEABLE));
            n_bad += 2;
            free(what);
        }

        /* Cut after the TCP header: the IP length is past the frame. */
        f = build_frame(&t.conn, &s);
        frame_truncate(&f, f.l4 + 44);
        xmit_frame(&t, "cut after the TCP header", &f, dir,
                   STAT(PASS_UNPARSEABLE));
        n_bad++;

        /* The IP length one byte past the frame. */
        f = build_frame(&t.conn, &s);
        ip_len_ofs = f.l3 + (ipv6 ? 4 : 2);
        set16(frame_data(&f), ip_len_ofs,
              get16(frame_data(&f), ip_len_ofs) + 1);
        if (!ipv6) {
            frame_fix_ip_csum(&f);
        }
        xmit_frame(&t, "IP length past the frame", &f, dir,
                   STAT(PASS_UNPARSEABLE));
        n_bad++;

        /* TCP data offsets below 5, and past the 49-byte segment. */
        for (int doff = 0; doff < 16; doff++) {
            char *what;
            uint16_t ctl;

            if (doff >= 5 && doff <= 12) {
                continue;
            }
            what = xasprintf("TCP data offset %d", doff);
            f = build_frame(&t.conn, &s);
            ctl = get16(frame_data(&f), f.l4 + 12);
            set16(frame_data(&f), f.l4 + 12, (ctl & 0x0fff) | doff << 12);
            xmit_frame(&t, what, &f, dir, STAT(PASS_UNPARSEABLE));
            n_bad++;
            free(what);
        }

        /* A data offset past the IP packet, though not past the Ethernet
         * padding, whose zeros would read as the end of the options. */
        t.conn.eth_pad = 16;
        s.payload = 0;
        f = build_frame(&t.conn, &s);
        set16(frame_data(&f), f.l4 + 12,
              (get16(frame_data(&f), f.l4 + 12) & 0x0fff) | 13 << 12);
        xmit_frame(&t, "TCP data offset into the padding", &f, dir,
                   STAT(PASS_UNPARSEABLE));
        n_bad++;
        t.conn.eth_pad = 0;
        s.payload = 5;

        /* Bad options, alone and after a good timestamp option. */
        for (int i = 0; i < ARRAY_SIZE(bad_opts); i++) {
            const struct bad_opts *bad = &bad_opts[i];
            struct seg b = s;

            b.opts = NULL;
            b.raw_opts = bad->bytes;
            b.n_raw_opts = bad->n;
            f = build_frame(&t.conn, &b);
            xmit_frame(&t, bad->what, &f, dir, STAT(PASS_UNPARSEABLE));
            n_bad++;

            if (bad->n <= 28) {
                uint8_t raw[40] = {
                    OPT_NOP, OPT_NOP, OPT_TS, 10, 0, 0, 0, 1, 0, 0, 0, 2,
                };

                memcpy(raw + 12, bad->bytes, bad->n);
                b.raw_opts = raw;
                b.n_raw_opts = 12 + bad->n;
                f = build_frame(&t.conn, &b);
                xmit_frame(&t, bad->what, &f, dir, STAT(PASS_UNPARSEABLE));
                n_bad++;
            }
        }
    }
    check_counter(&t, COLO_STAT_PASS_UNPARSEABLE, n_bad);
    check_conns(&t, 0, 1, 0, 0);

    /* Still learned as before. */
    exchange(&t, h, 0);
    colo_table_destroy(table);
}

/* Frames cut inside the IP header, or IP fragments after the first. */
static void
test_parse_bad_ip(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    struct ctx t;

    ctx_init(&t, ipv6 ? "parse: unparseable IPv6" : "parse: unparseable IPv4",
             table, ipv6, 40000);
    handshake_server(&t, h, true);

    for (int from_vm = 0; from_vm < 2; from_vm++) {
        enum colo_direction dir = from_vm ? COLO_SECONDARY : COLO_PRIMARY;
        struct seg s = victim_seg(h, from_vm);
        /* The offset of the protocol (IPv4) or next header (IPv6) field. */
        size_t proto_ofs = ipv6 ? 6 : 9;
        struct frame f;

        /* Cut where the protocol shows that this is TCP: unparseable.  Cut
         * before that: it cannot be told from anything else. */
        static const size_t cuts4[] = { 1, 9, 10, 12, 16, 19 };
        static const size_t cuts6[] = { 1, 6, 7, 8, 24, 39 };
        for (int i = 0; i < ARRAY_SIZE(cuts4); i++) {
            size_t cut = ipv6 ? cuts6[i] : cuts4[i];
            char *what = xasprintf("cut %"PRIuSIZE" bytes into IP", cut);

            f = build_frame(&t.conn, &s);
            frame_truncate(&f, f.l3 + cut);
            xmit_frame(&t, what, &f, dir,
                       (cut > proto_ofs ? STAT(PASS_UNPARSEABLE)
                        : STAT(PASS_UNPARSEABLE) | STAT(PASS_NOT_TCP)));
            free(what);
        }

        if (!ipv6) {
            static const uint16_t frags[] = {
                1, IP_MORE_FRAGMENTS | 1, 185, IP_MORE_FRAGMENTS | 0x1fff,
                IP_DONT_FRAGMENT | 3,
            };

            /* Cut inside IP options. */
            t.conn.ip_opts = 8;
            f = build_frame(&t.conn, &s);
            frame_truncate(&f, f.l3 + 24);
            xmit_frame(&t, "cut inside IP options", &f, dir,
                       STAT(PASS_UNPARSEABLE));

            /* IHL past the IP length. */
            f = build_frame(&t.conn, &s);
            frame_data(&f)[f.l3] = IP_IHL_VER(15, 4);
            set16(frame_data(&f), f.l3 + 2, 40);
            frame_fix_ip_csum(&f);
            xmit_frame(&t, "IHL past the IP length", &f, dir,
                       STAT(PASS_UNPARSEABLE));
            t.conn.ip_opts = 0;

            for (int i = 0; i < ARRAY_SIZE(frags); i++) {
                char *what = xasprintf("IPv4 fragment field 0x%04"PRIx16,
                                       frags[i]);

                t.conn.frag = htons(frags[i]);
                f = build_frame(&t.conn, &s);
                xmit_frame(&t, what, &f, dir, STAT(PASS_UNPARSEABLE));
                free(what);
            }
            t.conn.frag = 0;
        } else {
            static const uint16_t frags[] = { 8, 9, 0xfff8, 0xfff9 };
            static const char *const exts[] = { "F", "HF", "FD" };

            for (int i = 0; i < ARRAY_SIZE(frags); i++) {
                for (int j = 0; j < ARRAY_SIZE(exts); j++) {
                    char *what = xasprintf("IPv6 fragment field 0x%04"PRIx16
                                           " in %s", frags[i], exts[j]);

                    t.conn.ext = exts[j];
                    t.conn.frag = htons(frags[i]);
                    f = build_frame(&t.conn, &s);
                    xmit_frame(&t, what, &f, dir, STAT(PASS_UNPARSEABLE));
                    free(what);
                }
            }
            t.conn.frag = 0;

            /* Cut inside extension headers: 'H' is 8 bytes, 'R' 24 bytes,
             * 'D' 16 bytes. */
            t.conn.ext = "HRD";
            for (size_t cut = 41; cut < 88; cut += 3) {
                char *what = xasprintf("cut %"PRIuSIZE" bytes into IPv6 "
                                       "with extension headers", cut);

                f = build_frame(&t.conn, &s);
                frame_truncate(&f, f.l3 + cut);
                xmit_frame(&t, what, &f, dir, STAT(PASS_UNPARSEABLE));

                /* With the payload length cut to match. */
                f = build_frame(&t.conn, &s);
                frame_truncate(&f, f.l3 + cut);
                set16(frame_data(&f), f.l3 + 4, cut - IPV6_HEADER_LEN);
                xmit_frame(&t, what, &f, dir, STAT(PASS_UNPARSEABLE));
                free(what);
            }

            /* An extension header longer than what follows. */
            t.conn.ext = "D";
            f = build_frame(&t.conn, &s);
            frame_data(&f)[f.l3 + IPV6_HEADER_LEN + 1] = 30;
            xmit_frame(&t, "extension header past the frame", &f, dir,
                       STAT(PASS_UNPARSEABLE));
            t.conn.ext = NULL;
        }
    }
    check_conns(&t, 0, 1, 0, 0);
    exchange(&t, h, 0);
    colo_table_destroy(table);
}

/* Frames that are not TCP. */
static void
test_parse_not_tcp(void)
{
    static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_ICMP, 132 };
    static const uint8_t protos6[] = {
        IPPROTO_UDP, IPPROTO_ICMPV6, IPPROTO_NONE,
    };
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    struct ctx t4, t6;
    struct frame f;
    struct buf b;

    /* The bytes after the IP header look like a segment of a learned
     * connection: an engine that ignored the protocol would rewrite them. */
    ctx_init(&t4, "parse: not TCP, IPv4", table, false, 40000);
    handshake_server(&t4, h, true);
    ctx_init(&t6, "parse: not TCP, IPv6", table, true, 40000);
    handshake_server(&t6, h, true);

    for (int from_vm = 0; from_vm < 2; from_vm++) {
        enum colo_direction dir = from_vm ? COLO_SECONDARY : COLO_PRIMARY;
        struct seg s = victim_seg(h, from_vm);

        for (int i = 0; i < ARRAY_SIZE(protos); i++) {
            t4.conn.proto = protos[i];
            f = build_frame(&t4.conn, &s);
            xmit_frame(&t4, "IPv4", &f, dir, STAT(PASS_NOT_TCP));
            t4.conn.vlans[0] = ETH_TYPE_VLAN_8021Q;
            f = build_frame(&t4.conn, &s);
            xmit_frame(&t4, "IPv4 in 802.1Q", &f, dir, STAT(PASS_NOT_TCP));
            t4.conn.vlans[0] = 0;
            t4.conn.proto = 0;
        }
        for (int i = 0; i < ARRAY_SIZE(protos6); i++) {
            t6.conn.proto = protos6[i];
            f = build_frame(&t6.conn, &s);
            xmit_frame(&t6, "IPv6", &f, dir, STAT(PASS_NOT_TCP));
            t6.conn.ext = "HRDF";
            f = build_frame(&t6.conn, &s);
            xmit_frame(&t6, "IPv6 with extension headers", &f, dir,
                       STAT(PASS_NOT_TCP));
            t6.conn.ext = NULL;
            t6.conn.proto = 0;
        }
    }

    /* ARP. */
    memset(&b, 0, sizeof b);
    put_zeros(&b, 2 * ETH_ADDR_LEN);
    put16(&b, ETH_TYPE_ARP);
    put16(&b, 1);
    put16(&b, ETH_TYPE_IP);
    put8(&b, ETH_ADDR_LEN);
    put8(&b, 4);
    put16(&b, 1);
    put_zeros(&b, ETH_ADDR_LEN);
    put32(&b, 0x0a000001);
    put_zeros(&b, ETH_ADDR_LEN);
    put32(&b, 0x0a000002);
    memset(&f, 0, sizeof f);
    f.p = dp_packet_clone_data(b.data, b.size);
    xmit_frame(&t4, "ARP", &f, COLO_PRIMARY, STAT(PASS_NOT_TCP));
    f.p = dp_packet_clone_data(b.data, b.size);
    xmit_frame(&t4, "ARP", &f, COLO_SECONDARY, STAT(PASS_NOT_TCP));

    /* Frames too short for Ethernet, or cut inside a VLAN tag. */
    f.p = dp_packet_clone_data(b.data, 13);
    xmit_frame(&t4, "13-byte frame", &f, COLO_PRIMARY,
               STAT(PASS_NOT_TCP) | STAT(PASS_UNPARSEABLE));
    t4.conn.vlans[0] = ETH_TYPE_VLAN_8021AD;
    t4.conn.vlans[1] = ETH_TYPE_VLAN_8021Q;
    for (size_t cut = 13; cut < 22; cut++) {
        struct seg s = lseg(h, false, TCP_ACK, 0, 0, 0);

        f = build_frame(&t4.conn, &s);
        frame_truncate(&f, cut);
        xmit_frame(&t4, "cut inside VLAN tags", &f, COLO_PRIMARY,
                   STAT(PASS_NOT_TCP) | STAT(PASS_UNPARSEABLE));
    }
    t4.conn.vlans[0] = t4.conn.vlans[1] = 0;

    check_conns(&t4, 0, 2, 0, 0);
    exchange(&t4, h, 0);
    exchange(&t6, h, 0);
    colo_table_destroy(table);
}

/* Parsing with the datapath's offsets.
 *
 * colo_parse() takes a fast path when the packet carries the offsets of its
 * IP and TCP headers (miniflow_extract() sets them), and parses the whole
 * frame when it does not.  Each frame below is parsed without offsets,
 * then with the offsets miniflow_extract() leaves, the frame's own, and
 * every pair of small offsets, right or wrong: all must give the same
 * result, and the same struct colo_tcp if it is COLO_PARSE_OK. */

/* Returns the name of the first member in which 'a' and 'b' differ, or
 * NULL if they agree. */
static const char *
parse_diff(const struct colo_tcp *a, const struct colo_tcp *b)
{
    return (a->tcp != b->tcp ? "tcp"
            : a->src != b->src ? "src"
            : a->dst != b->dst ? "dst"
            : a->flags != b->flags ? "flags"
            : a->ipv6 != b->ipv6 ? "ipv6"
            : a->ts_ofs != b->ts_ofs ? "ts_ofs"
            : a->sack_ofs != b->sack_ofs ? "sack_ofs"
            : a->sack_len != b->sack_len ? "sack_len"
            : a->has_wscale != b->has_wscale ? "has_wscale"
            : a->wscale != b->wscale ? "wscale"
            : a->payload_len != b->payload_len ? "payload_len"
            : NULL);
}

/* Parses 'f' with offsets 'l3' and 'l4'.  Returns true if the result is
 * 'ref_result' and, for COLO_PARSE_OK, the fields are those of 'ref';
 * otherwise describes the difference in 'problem'. */
static bool
parse_at_agrees(const struct frame *f, uint16_t l3, uint16_t l4,
                enum colo_parse_result ref_result, const struct colo_tcp *ref,
                struct ds *problem)
{
    enum colo_parse_result result;
    struct colo_tcp tcp;
    const char *diff;

    f->p->l3_ofs = l3;
    f->p->l4_ofs = l4;
    result = colo_parse(f->p, &tcp);
    if (result != ref_result) {
        ds_put_format(problem, "l3_ofs=%"PRIu16" l4_ofs=%"PRIu16": result "
                      "%d, without offsets %d", l3, l4, result, ref_result);
        return false;
    }
    diff = result == COLO_PARSE_OK ? parse_diff(&tcp, ref) : NULL;
    if (diff) {
        ds_put_format(problem, "l3_ofs=%"PRIu16" l4_ofs=%"PRIu16": %s "
                      "differs from the parse without offsets",
                      l3, l4, diff);
        return false;
    }
    return true;
}

/* Checks that 'f' parses with result 'expected' without offsets and
 * exactly the same way with any, then destroys it. */
static void
check_parse_offsets(const char *what, struct frame *f,
                    enum colo_parse_result expected)
{
    /* Garbage offsets: every pair up to these, and unset ones. */
    enum { MAX_L3 = 80, MAX_L4 = 160 };
    struct {
        struct miniflow mf;
        uint64_t buf[FLOW_U64S];
    } m;
    enum colo_parse_result ref_result;
    unsigned int n_wrong = 0;
    struct colo_tcp ref;
    struct ds problem;
    struct ctx t;

    ctx_init(&t, what, NULL, false, 0);
    ds_init(&problem);

    dp_packet_reset_offsets(f->p);
    ref_result = colo_parse(f->p, &ref);
    check_uint(&t, "result without offsets", ref_result, expected);
    if (ref_result == COLO_PARSE_OK) {
        const uint8_t *data = frame_data(f);

        check_true(&t, (uint8_t *) ref.tcp == data + f->l4
                   && ref.ts_ofs == (f->ts ? f->ts - f->l4 : 0)
                   && ref.sack_ofs == (f->sack ? f->sack - f->l4 : 0),
                   "the TCP header and options are where they were put");
    }

    /* As the datapath leaves them. */
    pkt_metadata_init(&f->p->md, u32_to_odp(1));
    miniflow_extract(f->p, &m.mf);
    if (!parse_at_agrees(f, f->p->l3_ofs, f->p->l4_ofs, ref_result, &ref,
                         &problem)) {
        fail(&t, "with miniflow_extract()'s offsets, %s",
             ds_cstr(&problem));
    }
    n_checks++;

    /* Where build_frame() put the headers: the same as miniflow_extract()
     * for most frames, a stale offset past the end for a truncated one. */
    ds_clear(&problem);
    if (!parse_at_agrees(f, f->l3, f->l4, ref_result, &ref, &problem)) {
        fail(&t, "with the frame's offsets, %s", ds_cstr(&problem));
    }
    n_checks++;

    /* Any offsets at all. */
    for (int l3 = 0; l3 <= MAX_L3 + 1; l3++) {
        for (int l4 = 0; l4 <= MAX_L4 + 1; l4++) {
            ds_clear(&problem);
            if (!parse_at_agrees(f, l3 > MAX_L3 ? UINT16_MAX : l3,
                                 l4 > MAX_L4 ? UINT16_MAX : l4,
                                 ref_result, &ref, &problem)
                && !n_wrong++) {
                fail(&t, "with wrong offsets, %s", ds_cstr(&problem));
            }
        }
    }
    check_uint(&t, "offset pairs that parse differently", n_wrong, 0);

    ds_destroy(&problem);
    frame_destroy(f);
}

/* Replaces the ethertype of 'f' by the 'n' bytes at 'encap', which end
 * with another ethertype. */
static void
frame_encap(struct frame *f, const uint8_t *encap, size_t n)
{
    struct buf b = { .size = 0 };

    put_bytes(&b, frame_data(f), 2 * ETH_ADDR_LEN);
    put_bytes(&b, encap, n);
    put_bytes(&b, frame_data(f) + ETH_HEADER_LEN,
              frame_size(f) - ETH_HEADER_LEN);
    dp_packet_delete(f->p);
    f->p = dp_packet_clone_data(b.data, b.size);
    f->l3 += n - 2;
    f->l4 += n - 2;
    f->ts += f->ts ? n - 2 : 0;
    f->sack += f->sack ? n - 2 : 0;
}

static void
test_parse_offsets(void)
{
    /* 802.3 length (any below 0x600), then LLC/SNAP with ethertype IPv4:
     * miniflow_extract() finds IPv4 in it, colo_parse() does not. */
    static const uint8_t snap[] = {
        0x00, 0x40, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00,
    };
    /* MPLS, one label (bottom of stack), with IPv4 after it. */
    static const uint8_t mpls[] = { 0x88, 0x47, 0x00, 0x01, 0x01, 0x40 };
    static const struct {
        const char *opts;
        int n_sack;
        uint16_t flags;
    } segs[] = {
        { "NNT", 0, TCP_ACK },
        { "", 0, TCP_ACK | TCP_PSH },
        { "MNWPNNT", 0, TCP_SYN },
        { "NTNNS", 2, TCP_ACK },     /* Timestamps at an odd offset. */
        { "NNTNNS", 3, TCP_ACK },
        { "NNS", 4, TCP_ACK },
        { "WNNT", 0, TCP_SYN | TCP_ACK },
    };
    static const uint16_t vlans[][2] = {
        { 0, 0 },
        { ETH_TYPE_VLAN_8021Q, 0 },
        { ETH_TYPE_VLAN_8021AD, ETH_TYPE_VLAN_8021Q },
    };
    struct ctx base;
    struct frame f;
    struct conn c;
    struct seg s;

    for (int ipv6 = 0; ipv6 < 2; ipv6++) {
        const char *family = ipv6 ? "IPv6" : "IPv4";
        char *what;

        ctx_init(&base, "", NULL, ipv6, 40000);
        memset(&s, 0, sizeof s);
        s.seq = 1000;
        s.ack = 2000;
        s.tsval = 77;
        s.tsecr = 88;
        for (int i = 0; i < ARRAY_SIZE(s.sack); i++) {
            s.sack[i] = 3000 + 100 * i;
        }
        s.payload = 100;

        for (int v = 0; v < ARRAY_SIZE(vlans); v++) {
            for (int i = 0; i < ARRAY_SIZE(segs); i++) {
                what = xasprintf("parse offsets: %s, %d tags, options %s",
                                 family, !!vlans[v][0] + !!vlans[v][1],
                                 segs[i].opts);
                c = base.conn;
                memcpy(c.vlans, vlans[v], sizeof c.vlans);
                s.opts = segs[i].opts;
                s.n_sack = segs[i].n_sack;
                s.flags = segs[i].flags;
                f = build_frame(&c, &s);
                check_parse_offsets(what, &f, COLO_PARSE_OK);
                free(what);
            }
        }
        s.opts = "NNT";
        s.n_sack = 0;
        s.flags = TCP_ACK;

        c = base.conn;
        c.eth_pad = 10;
        what = xasprintf("parse offsets: %s, Ethernet padding", family);
        f = build_frame(&c, &s);
        check_parse_offsets(what, &f, COLO_PARSE_OK);
        free(what);

        c = base.conn;
        c.proto = IPPROTO_UDP;
        what = xasprintf("parse offsets: %s, UDP", family);
        f = build_frame(&c, &s);
        check_parse_offsets(what, &f, COLO_PARSE_NOT_TCP);
        free(what);

        /* Cut in the TCP options, in the IP header, in the Ethernet
         * header. */
        c = base.conn;
        what = xasprintf("parse offsets: %s, truncated", family);
        f = build_frame(&c, &s);
        frame_truncate(&f, f.l4 + TCP_HEADER_LEN + 4);
        check_parse_offsets(what, &f, COLO_PARSE_BAD);
        f = build_frame(&c, &s);
        frame_truncate(&f, f.l3 + 10);
        check_parse_offsets(what, &f, COLO_PARSE_BAD);
        f = build_frame(&c, &s);
        frame_truncate(&f, ETH_HEADER_LEN - 1);
        check_parse_offsets(what, &f, COLO_PARSE_NOT_TCP);
        free(what);

        /* The IP datagram is longer than the frame. */
        c = base.conn;
        what = xasprintf("parse offsets: %s, IP length past the frame",
                         family);
        f = build_frame(&c, &s);
        set16(frame_data(&f), f.l3 + (ipv6 ? 4 : 2),
              get16(frame_data(&f), f.l3 + (ipv6 ? 4 : 2)) + 1);
        if (!ipv6) {
            frame_fix_ip_csum(&f);
        }
        check_parse_offsets(what, &f, COLO_PARSE_BAD);
        free(what);

        /* Malformed TCP options. */
        for (int i = 0; i < 3; i++) {
            what = xasprintf("parse offsets: %s, %s", family,
                             bad_opts[i].what);
            c = base.conn;
            s.raw_opts = bad_opts[i].bytes;
            s.n_raw_opts = bad_opts[i].n;
            f = build_frame(&c, &s);
            check_parse_offsets(what, &f, COLO_PARSE_BAD);
            s.raw_opts = NULL;
            s.n_raw_opts = 0;
            free(what);
        }
    }

    ctx_init(&base, "", NULL, false, 40000);
    c = base.conn;
    c.ip_opts = 8;
    f = build_frame(&c, &s);
    check_parse_offsets("parse offsets: IPv4 options", &f, COLO_PARSE_OK);

    c = base.conn;
    c.frag = htons(IP_MORE_FRAGMENTS);
    f = build_frame(&c, &s);
    check_parse_offsets("parse offsets: IPv4 first fragment", &f,
                        COLO_PARSE_OK);

    c = base.conn;
    c.frag = htons(100);
    f = build_frame(&c, &s);
    check_parse_offsets("parse offsets: IPv4 later fragment", &f,
                        COLO_PARSE_BAD);

    c = base.conn;
    f = build_frame(&c, &s);
    frame_encap(&f, snap, sizeof snap);
    check_parse_offsets("parse offsets: IPv4 in LLC/SNAP", &f,
                        COLO_PARSE_NOT_TCP);

    c = base.conn;
    f = build_frame(&c, &s);
    frame_encap(&f, mpls, sizeof mpls);
    check_parse_offsets("parse offsets: IPv4 in MPLS", &f,
                        COLO_PARSE_NOT_TCP);

    ctx_init(&base, "", NULL, true, 40000);
    c = base.conn;
    c.ext = "H";
    f = build_frame(&c, &s);
    check_parse_offsets("parse offsets: IPv6 hop-by-hop options", &f,
                        COLO_PARSE_OK);

    c = base.conn;
    c.ext = "DF";
    c.frag = htons(1);          /* M flag, offset 0. */
    f = build_frame(&c, &s);
    check_parse_offsets("parse offsets: IPv6 first fragment", &f,
                        COLO_PARSE_OK);

    c.frag = htons(0x100);      /* Offset 32. */
    f = build_frame(&c, &s);
    check_parse_offsets("parse offsets: IPv6 later fragment", &f,
                        COLO_PARSE_BAD);
}

static void
test_parse(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    test_parse_good();
    test_parse_bad_tcp(false);
    test_parse_bad_tcp(true);
    test_parse_bad_ip(false);
    test_parse_bad_ip(true);
    test_parse_not_tcp();
    test_parse_offsets();
}

/* Lifecycle. */

/* A connection closed by FINs.  The VM's FIN is acknowledged by an ACK
 * whose ack, before translation, would seem to cover the FIN as soon as
 * the peer acknowledges the data before it. */
static void
test_close_fin(bool ipv6, bool vm_first, bool client, size_t eth_pad)
{
    struct colo_table *table = colo_table_create();
    struct hs h = hs_plain;
    char *what = xasprintf("lifecycle: FINs, %s closes first, VM as %s, "
                           "%"PRIuSIZE" bytes of Ethernet padding",
                           vm_first ? "VM" : "peer",
                           client ? "client" : "server", eth_pad);
    struct ctx t;
    struct seg s;

    h.p = h.s + 0x10000000;
    ctx_init(&t, what, table, ipv6, 40000);
    t.conn.eth_pad = eth_pad;
    set_config(table, COLO_DEFAULT_MAX_CONNS, COLO_DEFAULT_IDLE_TIMEOUT, 30);
    if (client) {
        handshake_client(&t, &h, true);
    } else {
        handshake_server(&t, &h, true);
    }
    t.now = 1000;
    lsend(&t, &h, true, TCP_ACK | TCP_PSH, 0, 0, 100);
    lsend(&t, &h, false, TCP_ACK, 0, 100, 0);

    if (vm_first) {
        /* The VM's FIN carries 50 bytes: it ends at 151. */
        t.now = 2000;
        lsend(&t, &h, true, TCP_FIN | TCP_ACK, 100, 0, 50);
        check_conns(&t, 0, 0, 1, 0);

        /* The data is acknowledged, not the FIN. */
        t.now = 2100;
        lsend(&t, &h, false, TCP_ACK, 0, 150, 0);

        /* The peer's FIN, which acknowledges the data only. */
        t.now = 2200;
        lsend(&t, &h, false, TCP_FIN | TCP_ACK, 0, 150, 0);
        check_conns(&t, 0, 0, 1, 0);

        /* The VM acknowledges the peer's FIN. */
        t.now = 2300;
        lsend(&t, &h, true, TCP_ACK, 151, 1, 0);
        check_conns(&t, 0, 0, 1, 0);
        check_counter(&t, COLO_STAT_CONNS_CLOSED, 0);

        /* The peer acknowledges the VM's FIN: closed. */
        t.now = 2400;
        lsend(&t, &h, false, TCP_ACK, 1, 151, 0);
    } else {
        /* The peer's FIN+ACK, then the VM's FIN+ACK that acknowledges it,
         * then the peer's last ACK. */
        t.now = 2000;
        lsend(&t, &h, false, TCP_FIN | TCP_ACK, 0, 100, 20);
        check_conns(&t, 0, 0, 1, 0);
        t.now = 2100;
        lsend(&t, &h, true, TCP_FIN | TCP_ACK, 100, 21, 0);
        check_conns(&t, 0, 0, 1, 0);
        t.now = 2150;
        lsend(&t, &h, false, TCP_ACK, 21, 100, 0);
        check_conns(&t, 0, 0, 1, 0);
        t.now = 2400;
        lsend(&t, &h, false, TCP_ACK, 21, 101, 0);
    }
    check_conns(&t, 0, 0, 0, 1);
    check_counter(&t, COLO_STAT_CONNS_CLOSED, 1);
    check_dump_conn(&t, &h, "closed", 0);

    /* Retransmissions while it lingers are still rewritten; they do not
     * close it twice. */
    t.now = 10000;
    lsend(&t, &h, true, TCP_FIN | TCP_ACK, 100, 21, 0);
    lsend(&t, &h, false, TCP_ACK, 21, 101, 0);
    check_counter(&t, COLO_STAT_CONNS_CLOSED, 1);

    /* It lingers 30 s after its last packet. */
    t.now = 39999;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 0, 0, 1);
    check_dump_conn(&t, &h, "closed", 29);
    t.now = 40000;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 0, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_FREED, 1);
    quiesce();

    /* Gone: its packets pass. */
    s = lseg(&h, false, TCP_ACK, 21, 101, 0);
    xmit_pass(&t, &s, STAT(PASS_UNLEARNED));
    check_counter(&t, COLO_STAT_CONNS_CREATED, 1);
    colo_table_destroy(table);
    free(what);
}

/* FINs that cross, and FINs acknowledged in one direction only. */
static void
test_close_fin_more(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_wrap;
    struct ctx t;

    ctx_init(&t, "lifecycle: simultaneous FINs", table, ipv6, 40000);
    handshake_server(&t, h, true);
    lsend(&t, h, true, TCP_FIN | TCP_ACK, 0, 0, 0);
    lsend(&t, h, false, TCP_FIN | TCP_ACK, 0, 0, 0);
    check_conns(&t, 0, 0, 1, 0);
    lsend(&t, h, true, TCP_ACK, 1, 1, 0);
    check_conns(&t, 0, 0, 1, 0);
    lsend(&t, h, false, TCP_ACK, 1, 1, 0);
    check_conns(&t, 0, 0, 0, 1);
    check_counter(&t, COLO_STAT_CONNS_CLOSED, 1);

    /* Half closed: the VM's FIN acknowledged, the peer still sending.  The
     * linger does not apply; the idle timeout does. */
    t.conn.peer_port = 40001;
    set_config(table, COLO_DEFAULT_MAX_CONNS, 100, 5);
    handshake_server(&t, h, false);
    lsend(&t, h, true, TCP_FIN | TCP_ACK, 0, 0, 0);
    lsend(&t, h, false, TCP_ACK | TCP_PSH, 0, 1, 500);
    lsend(&t, h, true, TCP_ACK, 1, 500, 0);
    check_conns(&t, 0, 0, 1, 1);
    t.now = 99999;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 0, 1, 0);
    check_counter(&t, COLO_STAT_CONNS_FREED, 1);
    t.now = 100000;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 0, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_EXPIRED, 1);
    quiesce();
    colo_table_destroy(table);
}

static void
test_close_rst(bool ipv6, bool from_vm)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_neg;
    char *what = xasprintf("lifecycle: RST from the %s",
                           from_vm ? "VM" : "peer");
    struct ctx t;

    ctx_init(&t, what, table, ipv6, 40000);
    set_config(table, COLO_DEFAULT_MAX_CONNS, COLO_DEFAULT_IDLE_TIMEOUT, 10);
    handshake_client(&t, h, false);
    exchange(&t, h, 0);
    t.now = 500;
    if (from_vm) {
        lsend(&t, h, true, TCP_RST, 10, 0, 0);
    } else {
        lsend(&t, h, false, TCP_RST | TCP_ACK, 10, 10, 0);
    }
    check_conns(&t, 0, 0, 0, 1);
    check_counter(&t, COLO_STAT_CONNS_CLOSED, 1);

    /* More RSTs: still rewritten, closed only once. */
    lsend(&t, h, true, TCP_RST | TCP_ACK, 10, 10, 0);
    lsend(&t, h, false, TCP_RST, 10, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_CLOSED, 1);

    /* Packets while it lingers restart the linger. */
    t.now = 8000;
    exchange(&t, h, 20);
    t.now = 17999;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 0, 0, 1);
    t.now = 18000;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 0, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_FREED, 1);
    quiesce();
    exchange_unchanged(&t, h, 30, STAT(PASS_UNLEARNED));
    colo_table_destroy(table);
    free(what);
}

/* A peer's RST closes a connection only near what the SVM expects. */
static void
test_close_rst_window(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    /* The SVM offers 29200 bytes, scaled by 7 (both ends offered 'W'). */
    uint32_t win = 29200 << 7;
    struct ctx t;
    struct seg s;

    ctx_init(&t, "lifecycle: peer RSTs outside the SVM's window", table,
             ipv6, 40000);
    handshake_server(&t, h, true);
    exchange(&t, h, 0);

    /* The SVM acknowledged 10 bytes: offsets 10 - 65535 to 10 + 'win' +
     * 65535 may close, nothing else. */
    lsend(&t, h, false, TCP_RST, 10 + win + 65536, 0, 0);
    lsend(&t, h, false, TCP_RST | TCP_ACK, 10 - 65536, 10, 0);
    lsend(&t, h, false, TCP_RST, 0x80000000, 0, 0);
    check_conns(&t, 0, 1, 0, 0);
    check_counter(&t, COLO_STAT_IGNORED_RST, 3);
    check_counter(&t, COLO_STAT_CONNS_CLOSED, 0);
    exchange(&t, h, 0);

    /* The window is the one the SVM offered last. */
    s = lseg(h, true, TCP_ACK, 10, 10, 0);
    s.window = 1;
    lxmit(&t, h, &s);
    lsend(&t, h, false, TCP_RST, 10 + 128 + 65536, 0, 0);
    check_counter(&t, COLO_STAT_IGNORED_RST, 4);
    lsend(&t, h, false, TCP_RST, 10 + 128 + 65535, 0, 0);
    check_conns(&t, 0, 0, 0, 1);
    check_counter(&t, COLO_STAT_CONNS_CLOSED, 1);

    /* The low end, and the SVM's own RST, whatever its seq. */
    t.conn.peer_port = 40001;
    handshake_server(&t, h, false);
    exchange(&t, h, 0);
    lsend(&t, h, false, TCP_RST, 10 - 65535, 0, 0);
    check_conns(&t, 0, 0, 0, 2);
    t.conn.peer_port = 40002;
    handshake_client(&t, h, true);
    lsend(&t, h, true, TCP_RST, 0x40000000, 0, 0);
    check_conns(&t, 0, 0, 0, 3);
    check_counter(&t, COLO_STAT_IGNORED_RST, 4);
    colo_table_destroy(table);
}

/* New incarnations on the key of an entry. */
static void
test_incarnation(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    struct hs h1 = hs_plain, h2 = hs_wrap, h3 = hs_neg;
    struct seg syn, exp;
    struct ctx t;

    /* VM as server: a SYN on a closed entry. */
    ctx_init(&t, "lifecycle: new incarnation of a closed entry (server)",
             table, ipv6, 40000);
    handshake_server(&t, &h1, true);
    lsend(&t, &h1, false, TCP_RST, 0, 0, 0);
    check_conns(&t, 0, 0, 0, 1);

    /* A retransmitted SVM SYN+ACK is no new incarnation. */
    lxmit(&t, &h1, &(struct seg) {
              .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h1.s,
              .ack = h1.c + 1, .opts = "NNT", .tsval = h1.st,
              .tsecr = h1.ct });
    check_conns(&t, 0, 0, 0, 1);
    check_counter(&t, COLO_STAT_CONNS_CREATED, 1);

    handshake_server(&t, &h2, true);
    check_conns(&t, 0, 1, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_CREATED, 2);
    check_dump_conn(&t, &h2, "established", 0);
    exchange(&t, &h2, 0);

    /* A peer SYN with another ISN on an established entry. */
    t.what = "lifecycle: peer SYN with a new ISN (server)";
    handshake_server(&t, &h3, false);
    check_conns(&t, 0, 1, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_CREATED, 3);
    check_dump_conn(&t, &h3, "established", 0);
    exchange(&t, &h3, 0);

    /* The same ISN again is a retransmission. */
    t.what = "lifecycle: peer SYN with the same ISN (server)";
    syn = (struct seg) {
        .flags = TCP_SYN, .seq = h3.c, .opts = "MPTNW", .tsval = h3.ct,
    };
    xmit_pass(&t, &syn, STAT(REWRITTEN));
    check_counter(&t, COLO_STAT_CONNS_CREATED, 3);
    exchange(&t, &h3, 10);

    /* A peer SYN with another ISN while learning. */
    t.what = "lifecycle: peer SYN with a new ISN while learning (server)";
    t.conn.peer_port = 40001;
    syn.seq = h1.c;
    xmit_pass(&t, &syn, STAT(PASS_UNLEARNED));
    xmit_pass(&t, &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h1.s,
                  .ack = h1.c + 1, .opts = "MPTNW", .tsval = h1.st,
                  .tsecr = h1.ct }, STAT(PASS_UNLEARNED));
    handshake_server(&t, &h2, true);
    check_dump_has(&t, &h2, "established", 0);
    colo_table_destroy(table);

    /* VM as client: an SVM SYN on a closed entry. */
    table = colo_table_create();
    ctx_init(&t, "lifecycle: new incarnation of a closed entry (client)",
             table, ipv6, 40000);
    handshake_client(&t, &h1, true);
    lsend(&t, &h1, true, TCP_FIN | TCP_ACK, 0, 0, 0);
    lsend(&t, &h1, false, TCP_FIN | TCP_ACK, 0, 1, 0);
    lsend(&t, &h1, true, TCP_ACK, 1, 1, 0);
    check_conns(&t, 0, 0, 0, 1);

    /* The peer's SYN+ACK of the new connection may come before the SVM's
     * new SYN (the SVM lags behind the PVM): it opens the new
     * incarnation. */
    handshake_client(&t, &h2, false);
    check_conns(&t, 0, 1, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_CREATED, 2);
    check_dump_conn(&t, &h2, "established", 0);
    exchange(&t, &h2, 0);

    /* An SVM SYN with another seq on an established entry. */
    t.what = "lifecycle: SVM SYN with a new seq (client)";
    handshake_client(&t, &h3, true);
    check_conns(&t, 0, 1, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_CREATED, 3);
    check_dump_conn(&t, &h3, "established", 0);
    exchange(&t, &h3, 0);

    /* The same seq again is a retransmission. */
    t.what = "lifecycle: SVM SYN with the same seq (client)";
    syn = (struct seg) {
        .from_vm = true, .flags = TCP_SYN, .seq = h3.s, .opts = "MPTNW",
        .tsval = h3.st,
    };
    exp = syn;
    exp.seq = h3.p;
    exp.tsval = h3.pt;
    xmit(&t, &syn, &exp, STAT(REWRITTEN));
    check_counter(&t, COLO_STAT_CONNS_CREATED, 3);
    exchange(&t, &h3, 10);
    quiesce();
    colo_table_destroy(table);
}

/* Idle and half-open entries expire. */
static void
test_expire(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    long long int day = 24LL * 60 * 60 * 1000;
    long long int half_open = COLO_HALF_OPEN_TIMEOUT * 1000LL;
    char *lines[2];
    struct ctx t, t2;

    /* The default idle timeout. */
    ctx_init(&t, "lifecycle: default idle timeout", table, ipv6, 40000);
    t.now = 1000;
    handshake_server(&t, h, true);
    assure(&t, h);
    t.now = 1000 + 4 * day;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 1, 0, 0);
    check_dump_conn(&t, h, "established", 4 * 24 * 60 * 60);
    t.now = 1000 + 5 * day - 1;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 1, 0, 0);
    t.now = 1000 + 5 * day;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 0, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_EXPIRED, 1);
    quiesce();
    exchange_unchanged(&t, h, 0, STAT(PASS_UNLEARNED));
    colo_table_destroy(table);

    /* Half-open: the peer's SYN only, then, 30 s later, the SVM's SYN
     * only. */
    table = colo_table_create();
    ctx_init(&t, "lifecycle: half-open timeout", table, ipv6, 40000);
    ctx_init(&t2, "lifecycle: half-open timeout", table, ipv6, 40001);
    xmit_pass(&t, &(struct seg) { .flags = TCP_SYN, .seq = 1 },
              STAT(PASS_UNLEARNED));
    t2.now = 30000;
    xmit_pass(&t2, &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN, .seq = 1 },
              STAT(PASS_UNLEARNED));
    check_conns(&t, 2, 0, 0, 0);
    lines[0] = dump_line(&t, NULL, "learning", 30);
    lines[1] = dump_line(&t2, NULL, "learning", 0);
    check_dump_set(&t2, lines, 2);
    free(lines[0]);
    free(lines[1]);

    colo_table_run(table, half_open - 1);
    check_conns(&t, 2, 0, 0, 0);
    colo_table_run(table, half_open);
    check_conns(&t, 1, 0, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_EXPIRED, 1);
    colo_table_run(table, half_open + 29999);
    check_conns(&t, 1, 0, 0, 0);
    colo_table_run(table, half_open + 30000);
    check_conns(&t, 0, 0, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_EXPIRED, 2);
    quiesce();
    colo_table_destroy(table);

    /* A configured timeout, and packets that keep an entry alive. */
    table = colo_table_create();
    set_config(table, COLO_DEFAULT_MAX_CONNS, 100, COLO_DEFAULT_LINGER);
    ctx_init(&t, "lifecycle: idle timeout 100 s", table, ipv6, 40000);
    handshake_client(&t, h, true);
    t.now = 50000;
    exchange(&t, h, 0);
    t.now = 149999;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 1, 0, 0);
    check_dump_conn(&t, h, "established", 99);
    t.now = 150000;
    colo_table_run(table, t.now);
    check_conns(&t, 0, 0, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_EXPIRED, 1);
    quiesce();
    exchange_unchanged(&t, h, 0, STAT(PASS_UNLEARNED));

    /* A half-open entry uses the half-open timeout even if the idle timeout
     * is longer. */
    t.what = "lifecycle: half-open timeout, idle timeout 1000 s";
    set_config(table, COLO_DEFAULT_MAX_CONNS, 1000, COLO_DEFAULT_LINGER);
    xmit_pass(&t, &(struct seg) { .flags = TCP_SYN, .seq = 1 },
              STAT(PASS_UNLEARNED));
    colo_table_run(table, t.now + half_open - 1);
    check_conns(&t, 1, 0, 0, 0);
    colo_table_run(table, t.now + half_open);
    check_conns(&t, 0, 0, 0, 0);
    check_counter(&t, COLO_STAT_CONNS_EXPIRED, 2);
    quiesce();
    colo_table_destroy(table);
}

/* A peer's SYN with another ISN on an established connection changes
 * nothing until the SVM answers it with a SYN+ACK: an off-path attacker who
 * knows the addresses and ports can send one. */
static void
test_spoofed_syn(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    struct hs h3 = hs_neg;
    struct seg syn, ack;
    struct ctx t[100];

    /* Spoofed SYNs, and ACKs that would complete their handshakes, on 100
     * established connections: every one keeps rewriting, as the SVM's
     * challenge ACKs are. */
    for (int i = 0; i < ARRAY_SIZE(t); i++) {
        ctx_init(&t[i], "spoofed SYN: established", table, ipv6, 40000 + i);
        handshake_server(&t[i], h, i % 2);
        assure(&t[i], h);
    }
    for (int i = 0; i < ARRAY_SIZE(t); i++) {
        syn = (struct seg) { .flags = TCP_SYN, .seq = h->c + 1000 + i };
        ack = (struct seg) {
            .flags = TCP_ACK, .seq = h->c + 1001 + i, .ack = 0x12345678,
        };
        xmit_pass(&t[i], &syn, STAT(PASS_UNLEARNED));
        xmit_pass(&t[i], &syn, STAT(PASS_UNLEARNED));
        xmit_pass(&t[i], &ack, STAT(PASS_UNLEARNED));
        lsend(&t[i], h, true, TCP_ACK, 20, 20, 0);
    }
    check_conns(&t[0], 0, ARRAY_SIZE(t), 0, 0);
    check_counter(&t[0], COLO_STAT_CONNS_CREATED, ARRAY_SIZE(t));
    for (int i = 0; i < ARRAY_SIZE(t); i++) {
        exchange(&t[i], h, 20);
    }

    /* The SVM's SYN+ACK for the new connection replaces the entry, in
     * either order with the peer's ACK. */
    for (int i = 0; i < 2; i++) {
        t[i].what = "spoofed SYN: a real new connection";
        handshake_server(&t[i], &h3, i);
        check_dump_has(&t[i], &h3, "established", 0);
        exchange(&t[i], &h3, 0);
    }
    check_conns(&t[0], 0, ARRAY_SIZE(t), 0, 0);
    check_counter(&t[0], COLO_STAT_CONNS_CREATED, ARRAY_SIZE(t) + 2);
    quiesce();
    colo_table_destroy(table);

    /* A checkpoint with a new connection under way: the SVM, now a copy of
     * the PVM, goes on with the new connection in the PVM's numbers. */
    table = colo_table_create();
    ctx_init(&t[0], "spoofed SYN: new connection across a checkpoint",
             table, ipv6, 40000);
    ctx_init(&t[1], "spoofed SYN: spoofed SYN across a checkpoint",
             table, ipv6, 40001);
    for (int i = 0; i < 2; i++) {
        handshake_server(&t[i], h, true);
        assure(&t[i], h);
        xmit_pass(&t[i], &(struct seg) { .flags = TCP_SYN, .seq = h3.c },
                  STAT(PASS_UNLEARNED));
    }
    check_uint(&t[0], "checkpoint(5)", colo_table_checkpoint(table, 5), 2);
    xmit_pass(&t[0], &(struct seg) {
                  .from_vm = true, .flags = TCP_ACK, .seq = h3.p + 1,
                  .ack = h3.c + 1 }, STAT(REWRITTEN));
    xmit_pass(&t[0], &(struct seg) {
                  .flags = TCP_ACK, .seq = h3.c + 1, .ack = h3.p + 1 },
              STAT(REWRITTEN));
    check_counter(&t[0], COLO_STAT_CONNS_CREATED, 3);
    /* The old connection, in the PVM's numbers now. */
    xmit_pass(&t[1], &(struct seg) {
                  .from_vm = true, .flags = TCP_ACK, .seq = h->p + 21,
                  .ack = h->c + 21 }, STAT(REWRITTEN));
    xmit_pass(&t[1], &(struct seg) {
                  .flags = TCP_ACK, .seq = h->c + 21, .ack = h->p + 21 },
              STAT(REWRITTEN));
    check_counter(&t[0], COLO_STAT_CONNS_CREATED, 3);
    check_conns(&t[0], 0, 2, 0, 0);
    quiesce();
    colo_table_destroy(table);
}

/* An entry learned from a handshake alone, which an off-path attacker can
 * forge, expires after COLO_UNASSURED_TIMEOUT and is evicted for room,
 * until traffic that only the real ends can send assures it. */
static void
test_assured(bool ipv6)
{
    struct vlog_module *module = vlog_module_from_name("colo_rewrite");
    enum vlog_level level = vlog_get_level(module, VLF_CONSOLE);
    long long int unassured = COLO_UNASSURED_TIMEOUT * 1000LL;
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    struct ctx t[6];

    for (int i = 0; i < ARRAY_SIZE(t); i++) {
        ctx_init(&t[i], "assured: timeout", table, ipv6, 40000 + i);
    }

    /* t[0]: the handshake alone.  t[1]: the peer acknowledges the SVM's
     * data.  t[2]: the VM opened the connection.  t[3]: the peer
     * acknowledges the handshake, then data that the SVM never sent. */
    handshake_server(&t[0], h, true);
    handshake_server(&t[1], h, false);
    assure(&t[1], h);
    handshake_client(&t[2], h, true);
    handshake_server(&t[3], h, true);
    exchange(&t[3], h, 0);
    xmit(&t[3], &(struct seg) {
             .flags = TCP_ACK, .seq = h->c + 11, .ack = h->p + 21 },
         &(struct seg) {
             .flags = TCP_ACK, .seq = h->c + 11, .ack = h->s + 21 },
         STAT(REWRITTEN));
    colo_table_run(table, unassured - 1);
    check_conns(&t[0], 0, 4, 0, 0);
    colo_table_run(table, unassured);
    check_conns(&t[0], 0, 2, 0, 0);
    check_counter(&t[0], COLO_STAT_CONNS_EXPIRED, 2);
    quiesce();
    exchange_unchanged(&t[0], h, 0, STAT(PASS_UNLEARNED));
    exchange_unchanged(&t[3], h, 0, STAT(PASS_UNLEARNED));
    exchange(&t[1], h, 20);
    exchange(&t[2], h, 0);
    colo_table_destroy(table);

    /* A shorter idle timeout applies to unassured entries too. */
    table = colo_table_create();
    set_config(table, COLO_DEFAULT_MAX_CONNS, 100, COLO_DEFAULT_LINGER);
    ctx_init(&t[0], "assured: idle timeout 100 s", table, ipv6, 40000);
    handshake_server(&t[0], h, true);
    colo_table_run(table, 99999);
    check_conns(&t[0], 0, 1, 0, 0);
    colo_table_run(table, 100000);
    check_conns(&t[0], 0, 0, 0, 0);
    quiesce();
    colo_table_destroy(table);

    /* After a checkpoint the SVM has the PVM's connections: one that it
     * goes on with is assured, one it only offers a SYN+ACK for is not. */
    table = colo_table_create();
    ctx_init(&t[0], "assured: checkpoint", table, ipv6, 40000);
    ctx_init(&t[1], "assured: checkpoint", table, ipv6, 40001);
    handshake_server(&t[0], h, true);
    handshake_server(&t[1], h, true);
    check_uint(&t[0], "checkpoint(5)", colo_table_checkpoint(table, 5), 2);
    xmit_pass(&t[0], &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h->p,
                  .ack = h->c + 1 }, STAT(REWRITTEN));
    xmit_pass(&t[1], &(struct seg) {
                  .from_vm = true, .flags = TCP_ACK, .seq = h->p + 1,
                  .ack = h->c + 1 }, STAT(REWRITTEN));
    colo_table_run(table, unassured);
    check_conns(&t[0], 0, 1, 0, 0);
    quiesce();
    xmit_pass(&t[0], &(struct seg) {
                  .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 1 },
              STAT(PASS_UNLEARNED));
    xmit_pass(&t[1], &(struct seg) {
                  .flags = TCP_ACK, .seq = h->c + 1, .ack = h->p + 1 },
              STAT(REWRITTEN));
    colo_table_destroy(table);

    /* The SVM sent data before a checkpoint, the peer acknowledges it
     * after: the end of the SVM's data moved to the PVM's numbering with
     * the checkpoint.  Acknowledging it assures t[0]; acknowledging more
     * than the SVM sent does not assure t[1].  The SVM's numbers are below
     * the PVM's for t[0] (hs_neg) and above them for t[1] (hs_plain), so
     * an end left in the SVM's numbering fails one or the other. */
    table = colo_table_create();
    ctx_init(&t[0], "assured: data, checkpoint, ack", table, ipv6, 40000);
    ctx_init(&t[1], "assured: data, checkpoint, ack", table, ipv6, 40001);
    for (int i = 0; i < 2; i++) {
        const struct hs *hi = i ? &hs_plain : &hs_neg;

        handshake_server(&t[i], hi, true);
        xmit(&t[i], &(struct seg) {
                 .from_vm = true, .flags = TCP_ACK, .seq = hi->s + 1,
                 .ack = hi->c + 1, .payload = 10 },
             &(struct seg) {
                 .from_vm = true, .flags = TCP_ACK, .seq = hi->p + 1,
                 .ack = hi->c + 1, .payload = 10 }, STAT(REWRITTEN));
    }
    check_uint(&t[0], "checkpoint(5)", colo_table_checkpoint(table, 5), 2);
    xmit_pass(&t[0], &(struct seg) {
                  .flags = TCP_ACK, .seq = hs_neg.c + 1,
                  .ack = hs_neg.p + 11 }, STAT(REWRITTEN));
    xmit_pass(&t[1], &(struct seg) {
                  .flags = TCP_ACK, .seq = hs_plain.c + 1,
                  .ack = hs_plain.p + 1000 }, STAT(REWRITTEN));
    colo_table_run(table, unassured);
    check_conns(&t[0], 0, 1, 0, 0);
    check_counter(&t[0], COLO_STAT_CONNS_EXPIRED, 1);
    quiesce();
    xmit_pass(&t[0], &(struct seg) {
                  .flags = TCP_ACK, .seq = hs_neg.c + 1,
                  .ack = hs_neg.p + 11 }, STAT(REWRITTEN));
    xmit_pass(&t[1], &(struct seg) {
                  .flags = TCP_ACK, .seq = hs_plain.c + 1,
                  .ack = hs_plain.p + 11 }, STAT(PASS_UNLEARNED));
    colo_table_destroy(table);

    /* Eviction takes the oldest entry that is not assured, half-open or
     * learned, never an assured one. */
    vlog_set_levels(module, VLF_CONSOLE, VLL_ERR);
    table = colo_table_create();
    set_config(table, 3, COLO_DEFAULT_IDLE_TIMEOUT, COLO_DEFAULT_LINGER);
    for (int i = 0; i < ARRAY_SIZE(t); i++) {
        ctx_init(&t[i], "assured: eviction", table, ipv6, 40000 + i);
    }
    handshake_server(&t[0], h, true);
    assure(&t[0], h);
    handshake_server(&t[1], h, true);
    xmit_pass(&t[2], &(struct seg) { .flags = TCP_SYN, .seq = h->c },
              STAT(PASS_UNLEARNED));
    handshake_server(&t[3], h, true);
    check_conns(&t[0], 1, 2, 0, 0);
    check_counter(&t[0], COLO_STAT_CONNS_EVICTED, 1);
    handshake_server(&t[4], h, true);
    check_conns(&t[0], 0, 3, 0, 0);
    check_counter(&t[0], COLO_STAT_CONNS_EVICTED, 2);
    quiesce();
    exchange_unchanged(&t[1], h, 0, STAT(PASS_UNLEARNED));
    exchange_unchanged(&t[2], h, 0, STAT(PASS_UNLEARNED));
    assure(&t[3], h);
    assure(&t[4], h);
    exchange(&t[0], h, 20);
    xmit_pass(&t[5], &(struct seg) { .flags = TCP_SYN, .seq = h->c },
              STAT(PASS_ZONE_FULL));
    check_counter(&t[0], COLO_STAT_CONNS_EVICTED, 2);
    colo_table_destroy(table);
    vlog_set_levels(module, VLF_CONSOLE, level);
}

static void
test_lifecycle(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    for (int ipv6 = 0; ipv6 < 2; ipv6++) {
        for (int vm_first = 0; vm_first < 2; vm_first++) {
            test_close_fin(ipv6, vm_first, false, 0);
            test_close_fin(ipv6, vm_first, true, 0);
            test_close_fin(ipv6, vm_first, false, 18);
        }
        test_close_fin_more(ipv6);
        test_close_rst(ipv6, false);
        test_close_rst(ipv6, true);
        test_close_rst_window(ipv6);
        test_incarnation(ipv6);
        test_expire(ipv6);
        test_assured(ipv6);
        test_spoofed_syn(ipv6);
    }
}

/* Bounds. */

static void
test_bounds(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct vlog_module *module = vlog_module_from_name("colo_rewrite");
    enum vlog_level level = vlog_get_level(module, VLF_CONSOLE);
    struct colo_table *table = colo_table_create();
    struct colo_config config;
    const struct hs *h = &hs_plain;
    struct hs h3 = hs_wrap;
    struct ctx t[8];
    struct ctx z;

    /* Full zones are expected here: keep their warnings off the console. */
    vlog_set_levels(module, VLF_CONSOLE, VLL_ERR);

    colo_table_get_config(table, &config);
    ctx_init(&z, "bounds: configuration", table, false, 0);
    check_uint(&z, "default max_conns", config.max_conns,
               COLO_DEFAULT_MAX_CONNS);
    check_uint(&z, "default idle_timeout", config.idle_timeout,
               COLO_DEFAULT_IDLE_TIMEOUT);
    check_uint(&z, "default linger", config.linger, COLO_DEFAULT_LINGER);
    set_config(table, 2, 1000, 20);
    colo_table_get_config(table, &config);
    check_uint(&z, "max_conns", config.max_conns, 2);
    check_uint(&z, "idle_timeout", config.idle_timeout, 1000);
    check_uint(&z, "linger", config.linger, 20);

    for (int i = 0; i < ARRAY_SIZE(t); i++) {
        ctx_init(&t[i], "bounds: a zone of 2", table, false, 40000 + i);
    }

    /* Two established connections fill the zone, assured: one by the
     * peer's ack of the SVM's data, the other because the VM opened it. */
    handshake_server(&t[0], h, true);
    assure(&t[0], h);
    handshake_client(&t[1], h, true);

    /* A third passes unrewritten, in both roles, and leaves no entry. */
    xmit_pass(&t[2], &(struct seg) {
                  .flags = TCP_SYN, .seq = h3.c, .opts = "MPTNW",
                  .tsval = h3.ct }, STAT(PASS_ZONE_FULL));
    xmit_pass(&t[2], &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h3.s,
                  .ack = h3.c + 1, .opts = "MPTNW", .tsval = h3.st,
                  .tsecr = h3.ct }, STAT(PASS_ZONE_FULL));
    exchange_unchanged(&t[2], &h3, 0,
                       STAT(PASS_UNLEARNED) | STAT(PASS_ZONE_FULL));
    xmit_pass(&t[3], &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN, .seq = h3.s,
                  .opts = "MPTNW", .tsval = h3.st }, STAT(PASS_ZONE_FULL));
    xmit_pass(&t[3], &(struct seg) {
                  .flags = TCP_SYN | TCP_ACK, .seq = h3.c, .ack = h3.p + 1,
                  .opts = "MPTNW", .tsval = h3.ct, .tsecr = h3.pt },
              STAT(PASS_ZONE_FULL));
    check_conns(&t[0], 0, 2, 0, 0);
    check_counter(&t[0], COLO_STAT_CONNS_CREATED, 2);
    check_counter(&t[0], COLO_STAT_CONNS_EVICTED, 0);
    check_counter(&t[0], COLO_STAT_PASS_ZONE_FULL, 4);
    exchange(&t[0], h, 0);
    exchange(&t[1], h, 0);

    /* The bound is per zone. */
    t[6].zone = t[7].zone = 9;
    handshake_server(&t[6], h, false);
    handshake_server(&t[7], h, true);
    check_conns(&t[6], 0, 2, 0, 0);

    /* A closed entry is evicted for a new connection. */
    t[1].what = t[2].what = "bounds: evict a closed entry";
    lsend(&t[1], h, true, TCP_RST, 0, 0, 0);
    check_conns(&t[1], 0, 1, 0, 1);
    handshake_server(&t[2], &h3, true);
    check_conns(&t[2], 0, 2, 0, 0);
    check_counter(&t[2], COLO_STAT_CONNS_EVICTED, 1);
    quiesce();
    exchange_unchanged(&t[1], h, 0, STAT(PASS_UNLEARNED));
    exchange(&t[2], &h3, 0);
    exchange(&t[0], h, 0);

    /* A half-open entry is evicted for a new connection.  First t[2]
     * closes and t[4] takes its place, half-open; then t[5] takes the place
     * of t[4]. */
    t[4].what = t[5].what = "bounds: evict a half-open entry";
    lsend(&t[2], &h3, false, TCP_RST, 0, 0, 0);
    xmit_pass(&t[4], &(struct seg) { .flags = TCP_SYN, .seq = h3.c },
              STAT(PASS_UNLEARNED));
    check_conns(&t[4], 1, 1, 0, 0);
    check_counter(&t[4], COLO_STAT_CONNS_EVICTED, 2);
    handshake_client(&t[5], &h3, false);
    check_conns(&t[5], 0, 2, 0, 0);
    check_counter(&t[5], COLO_STAT_CONNS_EVICTED, 3);
    quiesce();

    /* t[4] lost its entry: it cannot get one back, as assured entries are
     * never evicted. */
    xmit_pass(&t[4], &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h3.s,
                  .ack = h3.c + 1 }, STAT(PASS_ZONE_FULL));
    exchange_unchanged(&t[4], &h3, 0,
                       STAT(PASS_UNLEARNED) | STAT(PASS_ZONE_FULL));
    check_conns(&t[5], 0, 2, 0, 0);
    exchange(&t[0], h, 10);
    exchange(&t[5], &h3, 10);

    /* Lowering the bound keeps the entries. */
    t[0].what = t[5].what = t[2].what = "bounds: lowered";
    set_config(table, 1, 1000, 20);
    colo_table_run(table, 0);
    check_conns(&t[0], 0, 2, 0, 0);
    exchange(&t[0], h, 20);
    exchange(&t[5], &h3, 20);
    xmit_pass(&t[2], &(struct seg) { .flags = TCP_SYN, .seq = h3.c },
              STAT(PASS_ZONE_FULL));
    check_conns(&t[0], 0, 2, 0, 0);

    /* Raising it makes room again. */
    t[2].what = "bounds: raised";
    set_config(table, 3, 1000, 20);
    handshake_server(&t[2], &h3, false);
    check_conns(&t[0], 0, 3, 0, 0);
    check_counter(&t[0], COLO_STAT_CONNS_EVICTED, 3);
    check_conns(&t[6], 0, 2, 0, 0);
    check_counter(&t[6], COLO_STAT_PASS_ZONE_FULL, 0);
    colo_table_destroy(table);
    vlog_set_levels(module, VLF_CONSOLE, level);
}

/* Events. */

static void
test_checkpoint(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    struct hs h2 = hs_neg;
    struct ctx a, b, c, d;
    struct hs zero;
    struct seg s;

    ctx_init(&a, "events: checkpoint", table, ipv6, 40000);
    ctx_init(&b, "events: checkpoint, half-open", table, ipv6, 40001);
    ctx_init(&c, "events: checkpoint, other zone", table, ipv6, 40000);
    c.zone = 6;
    handshake_server(&a, h, true);
    xmit_pass(&b, &(struct seg) {
                  .flags = TCP_SYN, .seq = h2.c, .opts = "MPTNW",
                  .tsval = h2.ct }, STAT(PASS_UNLEARNED));
    handshake_client(&c, &h2, false);

    check_uint(&a, "checkpoint(5)", colo_table_checkpoint(table, 5), 2);
    check_uint(&a, "entries after checkpoint", get_stats(&a).n_conns, 2);

    /* The deltas are 0: packets pass with their values, rewritten. */
    zero = *h;
    zero.s = zero.p;
    zero.st = zero.pt;
    check_dump_has(&a, &zero, "established", 0);
    exchange_unchanged(&a, h, 0, STAT(REWRITTEN));
    s = sack_seg(h, false, "NNTNNS", 3, 10);
    xmit_pass(&a, &s, STAT(REWRITTEN));
    s = sack_seg(h, true, "NNTNNS", 3, 10);
    xmit_pass(&a, &s, STAT(REWRITTEN));

    /* The half-open entry: whatever the SVM answers, nothing changes. */
    xmit_pass(&b, &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h2.s,
                  .ack = h2.c + 1, .opts = "MPTNW", .tsval = h2.st,
                  .tsecr = h2.ct },
              STAT(REWRITTEN) | STAT(PASS_UNLEARNED));
    exchange_unchanged(&b, &h2, 0, STAT(REWRITTEN) | STAT(PASS_UNLEARNED));

    /* The other zone is untouched. */
    exchange(&c, &h2, 0);

    /* All zones. */
    check_uint(&a, "checkpoint(-1)", colo_table_checkpoint(table, -1), 3);
    exchange_unchanged(&c, &h2, 10, STAT(REWRITTEN));
    check_uint(&a, "checkpoint(7)", colo_table_checkpoint(table, 7), 0);

    /* A new connection learns afresh. */
    ctx_init(&d, "events: connection after checkpoint", table, ipv6, 40002);
    handshake_server(&d, &h2, false);
    exchange(&d, &h2, 0);
    exchange_unchanged(&a, h, 10, STAT(REWRITTEN));
    check_uint(&a, "entries", get_stats(&a).n_conns, 3);
    colo_table_destroy(table);
}

/* A checkpoint between the VM's FIN and the peer's acknowledgement of it:
 * the peer acknowledges it in the PVM's numbering, and the entry closes. */
static void
test_checkpoint_fin(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    const struct hs *h2 = &hs_neg;
    struct hs zero = *h, zero2 = *h2;
    struct ctx a, b;
    struct seg s;

    /* After the checkpoint the SVM uses the PVM's numbers. */
    zero.s = zero.p;
    zero.st = zero.pt;
    zero2.s = zero2.p;
    zero2.st = zero2.pt;

    ctx_init(&a, "events: checkpoint after the VM's FIN", table, ipv6,
             40000);
    handshake_server(&a, h, true);
    lsend(&a, h, true, TCP_FIN | TCP_ACK, 0, 0, 0);
    check_conns(&a, 0, 0, 1, 0);
    check_uint(&a, "checkpoint(5)", colo_table_checkpoint(table, 5), 1);
    lsend(&a, &zero, false, TCP_ACK, 0, 1, 0);
    lsend(&a, &zero, false, TCP_FIN | TCP_ACK, 0, 1, 0);
    check_conns(&a, 0, 0, 1, 0);
    lsend(&a, &zero, true, TCP_ACK, 1, 1, 0);
    check_conns(&a, 0, 0, 0, 1);
    check_counter(&a, COLO_STAT_CONNS_CLOSED, 1);

    /* The VM's FIN before the deltas were known: its end cannot be moved,
     * so the FIN the VM sends again counts. */
    ctx_init(&b, "events: checkpoint after the VM's FIN, half-open", table,
             ipv6, 40001);
    xmit_pass(&b, &(struct seg) {
                  .flags = TCP_SYN, .seq = h2->c, .opts = "MPTNW",
                  .tsval = h2->ct }, STAT(PASS_UNLEARNED));
    xmit_pass(&b, &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h2->s,
                  .ack = h2->c + 1, .opts = "MPTNW", .tsval = h2->st,
                  .tsecr = h2->ct }, STAT(PASS_UNLEARNED));
    s = lseg(h2, true, TCP_FIN | TCP_ACK, 0, 0, 0);
    xmit_pass(&b, &s, STAT(PASS_UNLEARNED));
    check_uint(&b, "checkpoint(5)", colo_table_checkpoint(table, 5), 2);
    check_conns(&b, 0, 1, 0, 1);
    lsend(&b, &zero2, true, TCP_FIN | TCP_ACK, 0, 0, 0);
    lsend(&b, &zero2, false, TCP_ACK, 0, 1, 0);
    lsend(&b, &zero2, false, TCP_FIN | TCP_ACK, 0, 1, 0);
    lsend(&b, &zero2, true, TCP_ACK, 1, 1, 0);
    check_conns(&b, 0, 0, 0, 2);
    check_counter(&b, COLO_STAT_CONNS_CLOSED, 2);
    colo_table_destroy(table);
}

static void
test_failover(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    struct hs h2 = hs_wrap;
    struct colo_zone_stats stats;
    struct ctx a, b, c, d, e, z;

    ctx_init(&a, "events: failover, existing connection", table, ipv6,
             40000);
    ctx_init(&b, "events: failover, half-open connection", table, ipv6,
             40001);
    ctx_init(&c, "events: failover, new connection", table, ipv6, 40002);
    ctx_init(&d, "events: failover, other zone", table, ipv6, 40000);
    d.zone = 6;
    handshake_server(&a, h, true);
    xmit_pass(&b, &(struct seg) {
                  .flags = TCP_SYN, .seq = h->c, .opts = "MPTNW",
                  .tsval = h->ct }, STAT(PASS_UNLEARNED));
    handshake_server(&d, h, false);

    colo_table_failover(table, 5);
    stats = get_stats(&a);
    check_true(&a, stats.failover, "zone 5 failed over");
    stats = get_stats(&d);
    check_true(&d, !stats.failover, "zone 6 did not fail over");

    /* Existing entries keep rewriting and learning. */
    exchange(&a, h, 0);
    handshake_server(&b, h, true);
    exchange(&b, h, 0);

    /* New connections are neither tracked nor rewritten, in both roles. */
    xmit_pass(&c, &(struct seg) {
                  .flags = TCP_SYN, .seq = h2.c, .opts = "MPTNW",
                  .tsval = h2.ct }, STAT(PASS_UNTRACKED));
    xmit_pass(&c, &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h2.s,
                  .ack = h2.c + 1, .opts = "MPTNW", .tsval = h2.st,
                  .tsecr = h2.ct }, STAT(PASS_UNTRACKED));
    exchange_unchanged(&c, &h2, 0,
                       STAT(PASS_UNTRACKED) | STAT(PASS_UNLEARNED));
    c.conn.peer_port = 40003;
    xmit_pass(&c, &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN, .seq = h2.s,
                  .opts = "MPTNW", .tsval = h2.st }, STAT(PASS_UNTRACKED));
    xmit_pass(&c, &(struct seg) {
                  .flags = TCP_SYN | TCP_ACK, .seq = h2.c, .ack = h2.p + 1,
                  .opts = "MPTNW", .tsval = h2.ct, .tsecr = h2.pt },
              STAT(PASS_UNTRACKED));
    exchange_unchanged(&c, &h2, 0,
                       STAT(PASS_UNTRACKED) | STAT(PASS_UNLEARNED));
    check_conns(&a, 0, 2, 0, 0);
    check_counter(&a, COLO_STAT_CONNS_CREATED, 2);

    /* An existing connection closes; a new one on its key is new. */
    lsend(&a, h, false, TCP_RST, 0, 0, 0);
    check_conns(&a, 0, 1, 0, 1);
    xmit_pass(&a, &(struct seg) {
                  .flags = TCP_SYN, .seq = h2.c, .opts = "MPTNW",
                  .tsval = h2.ct }, STAT(PASS_UNTRACKED));
    xmit_pass(&a, &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h2.s,
                  .ack = h2.c + 1, .opts = "MPTNW", .tsval = h2.st,
                  .tsecr = h2.ct }, STAT(PASS_UNTRACKED));
    exchange_unchanged(&a, &h2, 0,
                       STAT(PASS_UNTRACKED) | STAT(PASS_UNLEARNED));
    check_counter(&a, COLO_STAT_CONNS_CREATED, 2);
    quiesce();

    /* The other zone tracks new connections. */
    e = d;
    e.conn.peer_port = 40009;
    handshake_server(&e, &h2, true);
    exchange(&e, &h2, 0);

    /* Failover of every zone, also those seen only later. */
    colo_table_failover(table, -1);
    stats = get_stats(&d);
    check_true(&d, stats.failover, "zone 6 failed over");
    exchange(&d, h, 10);
    exchange(&e, &h2, 10);
    ctx_init(&z, "events: failover, zone seen after failover(-1)", table,
             ipv6, 40000);
    z.zone = 77;
    xmit_pass(&z, &(struct seg) {
                  .flags = TCP_SYN, .seq = h2.c, .opts = "MPTNW",
                  .tsval = h2.ct }, STAT(PASS_UNTRACKED));
    xmit_pass(&z, &(struct seg) {
                  .from_vm = true, .flags = TCP_SYN | TCP_ACK, .seq = h2.s,
                  .ack = h2.c + 1, .opts = "MPTNW", .tsval = h2.st,
                  .tsecr = h2.ct }, STAT(PASS_UNTRACKED));
    exchange_unchanged(&z, &h2, 0,
                       STAT(PASS_UNTRACKED) | STAT(PASS_UNLEARNED));
    check_conns(&z, 0, 0, 0, 0);
    stats = get_stats(&z);
    check_true(&z, stats.failover, "zone 77 failed over");
    colo_table_destroy(table);
}

static void
test_flush(bool ipv6)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    struct hs h2 = hs_neg;
    struct ctx a, b, c;

    ctx_init(&a, "events: flush", table, ipv6, 40000);
    ctx_init(&b, "events: flush", table, ipv6, 40001);
    ctx_init(&c, "events: flush, other zone", table, ipv6, 40000);
    c.zone = 6;
    handshake_server(&a, h, true);
    xmit_pass(&b, &(struct seg) {
                  .flags = TCP_SYN, .seq = h->c, .opts = "MPTNW",
                  .tsval = h->ct }, STAT(PASS_UNLEARNED));
    handshake_client(&c, h, true);

    check_uint(&a, "flush(5)", colo_table_flush(table, 5), 2);
    check_conns(&a, 0, 0, 0, 0);
    check_counter(&a, COLO_STAT_CONNS_FLUSHED, 2);
    quiesce();
    exchange_unchanged(&a, h, 0, STAT(PASS_UNLEARNED));
    exchange(&c, h, 0);

    /* Learned afresh. */
    handshake_client(&a, &h2, false);
    exchange(&a, &h2, 0);

    check_uint(&a, "flush(-1)", colo_table_flush(table, -1), 2);
    check_conns(&a, 0, 0, 0, 0);
    check_conns(&c, 0, 0, 0, 0);
    check_counter(&a, COLO_STAT_CONNS_FLUSHED, 3);
    check_counter(&c, COLO_STAT_CONNS_FLUSHED, 1);
    quiesce();
    exchange_unchanged(&c, h, 0, STAT(PASS_UNLEARNED));
    check_uint(&a, "flush(-1) of nothing", colo_table_flush(table, -1), 0);
    check_uint(&a, "flush(8) of nothing", colo_table_flush(table, 8), 0);
    colo_table_destroy(table);
}

static void
test_events(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    for (int ipv6 = 0; ipv6 < 2; ipv6++) {
        test_checkpoint(ipv6);
        test_checkpoint_fin(ipv6);
        test_failover(ipv6);
        test_flush(ipv6);
    }
}

/* Statistics. */

static void
test_stats(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_table *table = colo_table_create();
    const struct hs *h = &hs_plain;
    struct colo_zone_stats stats;
    enum colo_direction dir;
    struct ctx t[4], z;
    struct ds s;
    uint16_t *zones;
    size_t n;

    ctx_init(&z, "stats: names", table, false, 0);
    check_true(&z, colo_conn_size() == 64, "colo_conn_size() == 64");
    check_str(&z, "stat name", colo_stat_name(COLO_STAT_REWRITTEN),
              "rewritten");
    check_str(&z, "stat name", colo_stat_name(COLO_STAT_CONNS_FLUSHED),
              "conns-flushed");
    for (int i = 0; i < COLO_N_STATS; i++) {
        check_true(&z, colo_stat_name(i)[0] != '\0', "stat name not empty");
        check_true(&z, colo_stat_description(i)[0] != '\0',
                   "stat description not empty");
        for (int j = 0; j < i; j++) {
            check_true(&z, strcmp(colo_stat_name(i), colo_stat_name(j)),
                       "stat names differ");
        }
    }
    check_str(&z, "state name", colo_conn_state_name(COLO_CONN_LEARNING),
              "learning");
    check_str(&z, "state name", colo_conn_state_name(COLO_CONN_ESTABLISHED),
              "established");
    check_str(&z, "state name", colo_conn_state_name(COLO_CONN_CLOSING),
              "closing");
    check_str(&z, "state name", colo_conn_state_name(COLO_CONN_CLOSED),
              "closed");
    check_str(&z, "direction", colo_direction_to_string(COLO_PRIMARY),
              "primary");
    check_str(&z, "direction", colo_direction_to_string(COLO_SECONDARY),
              "secondary");
    check_true(&z, (colo_direction_from_string("primary", &dir)
                    && dir == COLO_PRIMARY), "parse \"primary\"");
    check_true(&z, (colo_direction_from_string("secondary", &dir)
                    && dir == COLO_SECONDARY), "parse \"secondary\"");
    check_true(&z, !colo_direction_from_string("tertiary", &dir),
               "reject \"tertiary\"");

    /* Zones. */
    z.what = "stats: zones";
    check_true(&z, !colo_table_get_zone_stats(table, 5, &stats),
               "no stats for a zone never seen");
    check_uint(&z, "n_conns of a zone never seen", stats.n_conns, 0);
    check_uint(&z, "zones", colo_table_get_zones(table, &zones), 0);
    free(zones);
    for (int i = 0; i < ARRAY_SIZE(t); i++) {
        ctx_init(&t[i], "stats: one connection in each state", table,
                 i % 2, 40000 + i);
    }
    t[3].zone = 65535;
    z.zone = 300;
    xmit_pass(&z, &(struct seg) { .flags = TCP_ACK }, STAT(PASS_UNLEARNED));
    z.zone = 0;
    xmit_pass(&z, &(struct seg) { .flags = TCP_ACK }, STAT(PASS_UNLEARNED));
    check_true(&z, colo_table_get_zone_stats(table, 300, &stats),
               "stats for zone 300");
    check_uint(&z, "zone 300 pass-unlearned",
               stats.counters[COLO_STAT_PASS_UNLEARNED], 1);

    /* Learning, established, closing, closed (in zone 65535). */
    t[0].now = t[1].now = t[2].now = t[3].now = 1000;
    xmit_pass(&t[0], &(struct seg) { .flags = TCP_SYN, .seq = 1 },
              STAT(PASS_UNLEARNED));
    handshake_client(&t[1], h, true);
    handshake_server(&t[2], h, true);
    lsend(&t[2], h, false, TCP_FIN | TCP_ACK, 0, 0, 0);
    handshake_server(&t[3], h, false);
    lsend(&t[3], h, false, TCP_RST, 0, 0, 0);
    check_conns(&t[0], 1, 1, 1, 0);
    check_conns(&t[3], 0, 0, 0, 1);

    n = colo_table_get_zones(table, &zones);
    check_uint(&z, "zones", n, 4);
    if (n == 4) {
        check_uint(&z, "zones[0]", zones[0], 0);
        check_uint(&z, "zones[1]", zones[1], 5);
        check_uint(&z, "zones[2]", zones[2], 300);
        check_uint(&z, "zones[3]", zones[3], 65535);
    }
    free(zones);

    /* The counters of zone 5 add up: 1 packet for t[0], 3 for t[1], 4 for
     * t[2]. */
    stats = get_stats(&t[0]);
    check_uint(&t[0], "rewritten", stats.counters[COLO_STAT_REWRITTEN], 4);
    check_uint(&t[0], "pass-unlearned",
               stats.counters[COLO_STAT_PASS_UNLEARNED], 4);
    for (int i = COLO_STAT_PASS_UNPARSEABLE; i < N_PACKET_STATS; i++) {
        check_uint(&t[0], colo_stat_name(i), stats.counters[i], 0);
    }
    check_uint(&t[0], "conns-created",
               stats.counters[COLO_STAT_CONNS_CREATED], 3);
    check_uint(&t[0], "conns-closed",
               stats.counters[COLO_STAT_CONNS_CLOSED], 0);
    check_uint(&t[0], "n_conns", stats.n_conns, 3);
    check_true(&t[0], !stats.failover, "no failover");
    stats = get_stats(&t[3]);
    check_uint(&t[3], "conns-closed",
               stats.counters[COLO_STAT_CONNS_CLOSED], 1);

    /* The dump, by zone and of every zone, 2.5 s later. */
    z.what = "stats: dump-conns";
    ds_init(&s);
    check_uint(&z, "dump-conns -1",
               colo_table_dump_conns(table, -1, 3500, &s), 4);
    n = 0;
    for (const char *p = ds_cstr(&s); *p; p++) {
        n += *p == '\n';
    }
    check_uint(&z, "dump-conns -1 lines", n, 4);
    check_true(&z, strstr(ds_cstr(&s),
                          "zone=5 vm=10.0.0.2:80 peer=10.0.0.1:40000 "
                          "state=learning seq_delta=none ts_delta=none "
                          "idle=2s\n") != NULL, "dump learning");
    check_true(&z, strstr(ds_cstr(&s),
                          "zone=5 vm=[fd00::2]:80 peer=[fd00::1]:40001 "
                          "state=established seq_delta=895000 "
                          "ts_delta=2999800 idle=2s\n") != NULL,
               "dump established");
    check_true(&z, strstr(ds_cstr(&s),
                          "zone=5 vm=10.0.0.2:80 peer=10.0.0.1:40002 "
                          "state=closing seq_delta=895000 "
                          "ts_delta=2999800 idle=2s\n") != NULL,
               "dump closing");
    check_str(&z, "dump of zone 65535 is last",
              strstr(ds_cstr(&s), "zone=65535 "),
              "zone=65535 vm=[fd00::2]:80 peer=[fd00::1]:40003 "
              "state=closed seq_delta=895000 ts_delta=2999800 idle=2s\n");
    ds_destroy(&s);

    ds_init(&s);
    check_uint(&z, "dump-conns 300",
               colo_table_dump_conns(table, 300, 3500, &s), 0);
    check_str(&z, "dump of zone 300", ds_cstr(&s), "");
    ds_destroy(&s);

    t[3].now = 3500;
    check_dump_conn(&t[3], h, "closed", 2);
    colo_table_destroy(table);
}

/* Everything. */

static void test_all(struct ovs_cmdl_context *);

static const struct ovs_cmdl_command commands[] = {
    { "learn", NULL, 0, 0, test_learn, OVS_RO },
    { "rewrite", NULL, 0, 0, test_rewrite, OVS_RO },
    { "checksum", NULL, 0, 0, test_checksum, OVS_RO },
    { "parse", NULL, 0, 0, test_parse, OVS_RO },
    { "lifecycle", NULL, 0, 0, test_lifecycle, OVS_RO },
    { "bounds", NULL, 0, 0, test_bounds, OVS_RO },
    { "events", NULL, 0, 0, test_events, OVS_RO },
    { "stats", NULL, 0, 0, test_stats, OVS_RO },
    { "all", NULL, 0, 0, test_all, OVS_RO },
    { NULL, NULL, 0, 0, NULL, OVS_RO },
};

static void
test_all(struct ovs_cmdl_context *ctx)
{
    for (const struct ovs_cmdl_command *c = commands; c->name; c++) {
        if (c->handler != test_all) {
            c->handler(ctx);
        }
    }
}

static void
test_colo_rewrite_main(int argc, char *argv[])
{
    static char all_name[] = "all";
    char *all[] = { all_name, NULL };
    struct ovs_cmdl_context ctx = {
        .argc = argc > 1 ? argc - 1 : 1,
        .argv = argc > 1 ? argv + 1 : all,
    };

    set_program_name(argv[0]);

    /* The engine logs anomalies that these tests cause on purpose (a
     * misordered handshake, at INFO); keep them off the console. */
    vlog_set_levels(vlog_module_from_name("colo_rewrite"), VLF_CONSOLE,
                    VLL_WARN);
    ovs_cmdl_run_command(&ctx, commands);
    quiesce();
    if (n_failures) {
        printf("FAIL: %u of %u checks failed\n", n_failures, n_checks);
        exit(EXIT_FAILURE);
    }
    if (getenv("COLO_TEST_VERBOSE")) {
        fprintf(stderr, "%u checks\n", n_checks);
    }
    printf("PASS\n");
}

OVSTEST_REGISTER("test-colo-rewrite", test_colo_rewrite_main);
