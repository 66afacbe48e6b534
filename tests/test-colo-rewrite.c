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

/* Unit tests for the colo_rewrite engine (lib/colo-rewrite.c): crafted
 * packets go through colo_table_process() and every field that comes out is
 * checked against its expected value. */

#include <config.h>
#undef NDEBUG
#include "colo-rewrite.h"

#include <netinet/in.h>
#include <netinet/ip6.h>
#include <string.h>

#include "csum.h"
#include "dp-packet.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "tests/ovstest.h"
#include "util.h"

/* A TCP segment to build. */
struct seg {
    bool ipv6;
    ovs_be32 src4, dst4;            /* IPv4 addresses. */
    struct in6_addr src6, dst6;     /* IPv6 addresses. */
    uint16_t sport, dport;
    uint16_t flags;                 /* TCP_*. */
    uint32_t seq, ack;
    size_t payload;                 /* Bytes of payload. */
};

static const struct eth_addr mac_a = ETH_ADDR_C(00, 00, 00, 00, 00, 01);
static const struct eth_addr mac_b = ETH_ADDR_C(00, 00, 00, 00, 00, 02);

/* Returns the TCP checksum over 'packet' as it should be; a packet whose
 * checksum is right verifies to 0. */
static ovs_be16
tcp_csum_verify(const struct dp_packet *packet)
{
    const struct tcp_header *tcp = dp_packet_l4(packet);
    size_t len = dp_packet_l4_size(packet);
    uint32_t partial;

    if (dp_packet_l3(packet)
        && ((const struct eth_header *) dp_packet_eth(packet))->eth_type
           == htons(ETH_TYPE_IPV6)) {
        partial = packet_csum_pseudoheader6(dp_packet_l3(packet));
    } else {
        partial = packet_csum_pseudoheader(dp_packet_l3(packet));
    }
    return csum_finish(csum_continue(partial, tcp, len));
}

static struct dp_packet *
build(const struct seg *s)
{
    struct dp_packet *p = dp_packet_new(256);
    struct tcp_header *tcp;
    size_t l4_len = TCP_HEADER_LEN + s->payload;

    eth_compose(p, mac_b, mac_a, s->ipv6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP, 0);
    if (s->ipv6) {
        struct ovs_16aligned_ip6_hdr *ip6;

        ip6 = dp_packet_put_zeros(p, sizeof *ip6);
        put_16aligned_be32(&ip6->ip6_flow, htonl(6 << 28));
        ip6->ip6_plen = htons(l4_len);
        ip6->ip6_nxt = IPPROTO_TCP;
        ip6->ip6_hlim = 64;
        memcpy(&ip6->ip6_src, &s->src6, sizeof s->src6);
        memcpy(&ip6->ip6_dst, &s->dst6, sizeof s->dst6);
        dp_packet_set_l3(p, ip6);
    } else {
        struct ip_header *ip = dp_packet_put_zeros(p, sizeof *ip);

        ip->ip_ihl_ver = IP_IHL_VER(5, 4);
        ip->ip_tot_len = htons(IP_HEADER_LEN + l4_len);
        ip->ip_ttl = 64;
        ip->ip_proto = IPPROTO_TCP;
        put_16aligned_be32(&ip->ip_src, s->src4);
        put_16aligned_be32(&ip->ip_dst, s->dst4);
        ip->ip_csum = csum(ip, sizeof *ip);
        dp_packet_set_l3(p, ip);
    }

    tcp = dp_packet_put_zeros(p, TCP_HEADER_LEN);
    dp_packet_set_l4(p, tcp);
    tcp->tcp_src = htons(s->sport);
    tcp->tcp_dst = htons(s->dport);
    put_16aligned_be32(&tcp->tcp_seq, htonl(s->seq));
    put_16aligned_be32(&tcp->tcp_ack, htonl(s->ack));
    tcp->tcp_ctl = TCP_CTL(s->flags, TCP_HEADER_LEN / 4);
    tcp->tcp_winsz = htons(65535);
    for (size_t i = 0; i < s->payload; i++) {
        *(uint8_t *) dp_packet_put_uninit(p, 1) = i;
    }
    tcp->tcp_csum = tcp_csum_verify(p);
    ovs_assert(!tcp_csum_verify(p));
    return p;
}

static uint32_t
get_seq(const struct dp_packet *p)
{
    const struct tcp_header *tcp = dp_packet_l4(p);
    return ntohl(get_16aligned_be32(&tcp->tcp_seq));
}

static uint32_t
get_ack(const struct dp_packet *p)
{
    const struct tcp_header *tcp = dp_packet_l4(p);
    return ntohl(get_16aligned_be32(&tcp->tcp_ack));
}

/* Sends 's' through 'table' in 'dir' and checks that seq and ack come out as
 * 'seq' and 'ack', with a valid checksum. */
static void
check(struct colo_table *table, uint16_t zone, enum colo_direction dir,
      const struct seg *s, uint32_t seq, uint32_t ack)
{
    struct dp_packet *p = build(s);

    colo_table_process(table, zone, dir, p, 0);
    if (get_seq(p) != seq || get_ack(p) != ack || tcp_csum_verify(p)) {
        ovs_fatal(0, "%s packet flags %#x seq %"PRIu32" ack %"PRIu32": "
                  "got seq %"PRIu32" ack %"PRIu32" csum %s, expected "
                  "seq %"PRIu32" ack %"PRIu32,
                  colo_direction_to_string(dir), s->flags, s->seq, s->ack,
                  get_seq(p), get_ack(p),
                  tcp_csum_verify(p) ? "bad" : "ok", seq, ack);
    }
    dp_packet_delete(p);
}

/* The seed's exchange, VM as server: client C, PVM P, SVM S. */
static void
run_seed(bool ipv6, uint32_t c, uint32_t pv, uint32_t sv)
{
    struct colo_table *table = colo_table_create();
    struct colo_zone_stats stats;
    struct seg to_vm = {
        .ipv6 = ipv6,
        .src4 = htonl(0x0a000001), .dst4 = htonl(0x0a000002),
        .sport = 40000, .dport = 80,
    };
    struct seg from_vm;

    ipv6_parse("fd00::1", &to_vm.src6);
    ipv6_parse("fd00::2", &to_vm.dst6);
    from_vm = to_vm;
    from_vm.src4 = to_vm.dst4;
    from_vm.dst4 = to_vm.src4;
    from_vm.src6 = to_vm.dst6;
    from_vm.dst6 = to_vm.src6;
    from_vm.sport = to_vm.dport;
    from_vm.dport = to_vm.sport;

    /* Client SYN, mirrored to the SVM: nothing to learn from, unchanged. */
    to_vm.flags = TCP_SYN;
    to_vm.seq = c;
    check(table, 5, COLO_PRIMARY, &to_vm, c, 0);

    /* SVM SYN+ACK: learn S, passes unchanged (P unknown yet). */
    from_vm.flags = TCP_SYN | TCP_ACK;
    from_vm.seq = sv;
    from_vm.ack = c + 1;
    check(table, 5, COLO_SECONDARY, &from_vm, sv, c + 1);

    /* Client ACK: learn P, the SVM gets ack S+1. */
    to_vm.flags = TCP_ACK;
    to_vm.seq = c + 1;
    to_vm.ack = pv + 1;
    check(table, 5, COLO_PRIMARY, &to_vm, c + 1, sv + 1);

    /* Client data. */
    to_vm.flags = TCP_ACK | TCP_PSH;
    to_vm.payload = 100;
    check(table, 5, COLO_PRIMARY, &to_vm, c + 1, sv + 1);

    /* SVM data leaves as seq P+1. */
    from_vm.flags = TCP_ACK | TCP_PSH;
    from_vm.seq = sv + 1;
    from_vm.ack = c + 101;
    from_vm.payload = 50;
    check(table, 5, COLO_SECONDARY, &from_vm, pv + 1, c + 101);

    /* Another zone knows nothing of it. */
    check(table, 6, COLO_SECONDARY, &from_vm, sv + 1, c + 101);

    ovs_assert(colo_table_get_zone_stats(table, 5, &stats));
    ovs_assert(stats.n_conns == 1 && stats.n_learned == 1);
    ovs_assert(stats.counters[COLO_STAT_REWRITTEN] == 3);
    ovs_assert(stats.counters[COLO_STAT_PASS_UNLEARNED] == 2);
    ovs_assert(stats.counters[COLO_STAT_CONNS_CREATED] == 1);
    ovs_assert(colo_table_get_zone_stats(table, 6, &stats));
    ovs_assert(stats.n_conns == 0);
    ovs_assert(stats.counters[COLO_STAT_PASS_UNLEARNED] == 1);

    colo_table_destroy(table);
}

static void
test_colo_rewrite_main(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    /* Plain values, then deltas that wrap around 2^32 both ways. */
    run_seed(false, 1000, 5000, 900000);
    run_seed(false, 0xfffffff0, 0xffffff00, 0x10);
    run_seed(false, 7, 0x10, 0xfffffff8);
    run_seed(true, 1000, 5000, 900000);
    run_seed(true, 0xfffffff0, 0xffffff00, 0x10);
    printf("PASS\n");
}

OVSTEST_REGISTER("test-colo-rewrite", test_colo_rewrite_main);
