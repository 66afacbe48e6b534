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

#include "colo-rewrite-private.h"

#include <netinet/in.h>
#include <netinet/ip6.h>
#include <string.h>

#include "dp-packet.h"
#include "packets.h"

/* Packet parsing.
 *
 * Every read is checked against the frame's length.  A packet that does not
 * parse cleanly is passed unchanged. */

/* Walks the TCP options of 'tcp' ('hlen' bytes of header in all) and
 * records the timestamp and SACK options in 'p'.  Returns false if the
 * options are malformed. */
static bool
colo_parse_options(const uint8_t *opts, size_t len, struct colo_tcp *p)
{
    size_t i = 0;

    /* What nearly every segment of an established connection has: no
     * options, or NOP, NOP, timestamps (RFC 7323, Appendix A). */
    if (!len) {
        return true;
    } else if (len == 12 && opts[0] == COLO_TCPOPT_NOP
               && opts[1] == COLO_TCPOPT_NOP
               && opts[2] == COLO_TCPOPT_TIMESTAMP && opts[3] == 10) {
        p->ts_ofs = TCP_HEADER_LEN + 2;
        return true;
    }

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

/* Returns the ethertype that the Ethernet header and the VLAN tags at the
 * start of 'data' lead to, if they end exactly at 'l3', otherwise 0 (not an
 * ethertype that colo_parse() takes).  The caller has checked that 'l3' is
 * within the frame; it may be less than ETH_HEADER_LEN.
 *
 * It checks the tags as colo_parse_ip() walks them, so that a packet whose
 * offsets say less or more (LLC/SNAP, MPLS, a third tag, a stale offset)
 * goes to colo_parse_ip(). */
static ovs_be16
colo_parse_eth_type_at(const uint8_t *data, size_t l3)
{
    ovs_be16 eth_type;
    size_t ofs;

    /* Most frames have no tag. */
    if (OVS_LIKELY(l3 == ETH_HEADER_LEN)) {
        memcpy(&eth_type, data + ETH_HEADER_LEN - 2, sizeof eth_type);
        return eth_type;
    }
    for (ofs = ETH_HEADER_LEN; ofs < l3; ofs += VLAN_HEADER_LEN) {
        memcpy(&eth_type, data + ofs - 2, sizeof eth_type);
        if (eth_type != htons(ETH_TYPE_VLAN_8021Q)
            && eth_type != htons(ETH_TYPE_VLAN_8021AD)) {
            return 0;
        }
    }
    if (ofs != l3) {
        return 0;
    }
    memcpy(&eth_type, data + l3 - 2, sizeof eth_type);
    return eth_type;
}

/* The fast path of colo_parse(), for a packet whose IP and TCP headers
 * the datapath has already found (miniflow_extract() sets the offsets).
 *
 * The offsets are only a hint: an action may have changed the packet since
 * they were set, and the datapath's parse takes packets that
 * colo_parse_ip() does not (LLC/SNAP, MPLS).  So this takes a packet only
 * if the headers at the offsets are what colo_parse_ip() would find and
 * accept, with TCP right after the IP header, and sets what colo_parse_ip()
 * would set.  Anything else, IPv6 extension headers and fragments among
 * it, it leaves to colo_parse_ip() by returning false.
 *
 * On success, stores the offset of the TCP header in '*ofsp' and the end of
 * the IP datagram in '*endp'. */
static bool
colo_parse_ip_fast(const struct dp_packet *packet, struct colo_tcp *p,
                   size_t *ofsp, size_t *endp)
{
    const uint8_t *data = dp_packet_data(packet);
    size_t size = dp_packet_size(packet);
    size_t l3 = packet->l3_ofs;
    size_t l4 = packet->l4_ofs;
    size_t ip_len = l4 - l3;
    ovs_be16 eth_type;

    /* Once 'l4' is within the frame and past 'l3', every header read below
     * is too.  An unset 'l3' (UINT16_MAX) fails here; an unset 'l4' with a
     * set 'l3' is checked against the headers like any other offset. */
    if (l4 > size || l4 < l3 + IP_HEADER_LEN) {
        return false;
    }

    eth_type = colo_parse_eth_type_at(data, l3);
    if (eth_type == htons(ETH_TYPE_IP)) {
        const struct ip_header *ip;
        size_t tot_len;

        ip = ALIGNED_CAST(const struct ip_header *, data + l3);
        tot_len = ntohs(ip->ip_tot_len);
        if (IP_VER(ip->ip_ihl_ver) != 4
            || IP_IHL(ip->ip_ihl_ver) * 4 != ip_len
            || ip->ip_proto != IPPROTO_TCP
            || tot_len < ip_len || size < l3 + tot_len
            || ip->ip_frag_off & htons(IP_FRAG_OFF_MASK)) {
            return false;
        }
        p->src = &ip->ip_src;
        p->dst = &ip->ip_dst;
        p->ipv6 = false;
        *endp = l3 + tot_len;
    } else if (eth_type == htons(ETH_TYPE_IPV6)) {
        const struct ovs_16aligned_ip6_hdr *ip6;
        size_t end;

        if (ip_len != IPV6_HEADER_LEN) {
            return false;
        }
        ip6 = ALIGNED_CAST(const struct ovs_16aligned_ip6_hdr *, data + l3);
        end = l4 + ntohs(ip6->ip6_plen);
        if (ip6->ip6_nxt != IPPROTO_TCP || end > size) {
            return false;
        }
        p->src = &ip6->ip6_src;
        p->dst = &ip6->ip6_dst;
        p->ipv6 = true;
        *endp = end;
    } else {
        return false;
    }
    *ofsp = l4;
    return true;
}

/* The full parse of colo_parse(), from the Ethernet header to the TCP
 * header.  On success, stores the offset of the TCP header in '*ofsp' and
 * the end of the IP datagram in '*endp'. */
static enum colo_parse_result
colo_parse_ip(uint8_t *data, size_t size, struct colo_tcp *p,
              size_t *ofsp, size_t *endp)
{
    size_t ofs = ETH_HEADER_LEN;
    uint8_t proto;

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
        p->src = &ip->ip_src;
        p->dst = &ip->ip_dst;
        p->ipv6 = false;
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
        p->src = &ip6->ip6_src;
        p->dst = &ip6->ip6_dst;
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
    *ofsp = ofs;
    *endp = size;
    return COLO_PARSE_OK;
}

enum colo_parse_result
colo_parse(struct dp_packet *packet, struct colo_tcp *p)
{
    uint8_t *data = dp_packet_data(packet);
    size_t ofs, size;

    if (!colo_parse_ip_fast(packet, p, &ofs, &size)) {
        enum colo_parse_result result;

        result = colo_parse_ip(data, dp_packet_size(packet), p, &ofs, &size);
        if (result != COLO_PARSE_OK) {
            return result;
        }
    }

    /* TCP, in the 'size' bytes of the IP datagram. */
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
    p->ts_ofs = 0;
    p->sack_ofs = 0;
    p->sack_len = 0;
    p->has_wscale = false;
    p->wscale = 0;
    if (!colo_parse_options(data + ofs + TCP_HEADER_LEN,
                            hlen - TCP_HEADER_LEN, p)) {
        return COLO_PARSE_BAD;
    }
    return COLO_PARSE_OK;
}

BUILD_ASSERT_DECL(offsetof(struct tcp_header, tcp_seq) == COLO_TCP_SEQ_OFS);
BUILD_ASSERT_DECL(offsetof(struct tcp_header, tcp_ack) == COLO_TCP_ACK_OFS);
