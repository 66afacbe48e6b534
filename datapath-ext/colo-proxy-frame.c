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

#include "colo-proxy-frame.h"

#include <netinet/in.h>
#include <netinet/ip6.h>
#include <string.h>

#include "csum.h"
#include "dp-packet.h"
#include "dpif-netdev.h"
#include "packets.h"
#include "util.h"

/* Framing. */

static uint32_t
colo_proxy_get_be32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}

static void
colo_proxy_set_be32(uint8_t *p, uint32_t x)
{
    p[0] = x >> 24;
    p[1] = x >> 16;
    p[2] = x >> 8;
    p[3] = x;
}

/* Parses the frame header at the start of the 'n' bytes at 'p'.  With
 * 'vnet_hdr', the header has the vnet header length too; without, each
 * frame starts with a vnet header of 'vnet_len' bytes (maybe 0). */
enum colo_proxy_parse
colo_proxy_parse_hdr(const uint8_t *p, size_t n, bool vnet_hdr,
                     size_t vnet_len, struct colo_proxy_hdr *hdr,
                     const char **error)
{
    hdr->hdr_len = vnet_hdr ? 8 : 4;
    if (n < hdr->hdr_len) {
        return COLO_PROXY_SHORT;
    }
    hdr->len = colo_proxy_get_be32(p);
    hdr->vnet_len = vnet_hdr ? colo_proxy_get_be32(p + 4) : vnet_len;

    if (hdr->len > COLO_PROXY_MAX_LEN) {
        *error = "frame length above QEMU's limit of 69632 bytes";
    } else if (hdr->vnet_len > COLO_PROXY_MAX_VNET_LEN) {
        *error = "vnet header length above 64 bytes";
    } else if (hdr->vnet_len > hdr->len) {
        *error = "vnet header length above the frame length";
    } else if (hdr->len - hdr->vnet_len < ETH_HEADER_LEN) {
        *error = "frame shorter than an Ethernet header";
    } else {
        return COLO_PROXY_OK;
    }
    return COLO_PROXY_BAD;
}

/* Writes into 'buf' the header for a frame of 'frame_len' bytes that
 * follows a vnet header of 'vnet_len' bytes, with the vnet header length
 * if 'vnet_hdr', and returns the header's length.  (The vnet header itself
 * is not written here.) */
size_t
colo_proxy_put_hdr(uint8_t buf[COLO_PROXY_HDR_MAX], bool vnet_hdr,
                   size_t vnet_len, size_t frame_len)
{
    colo_proxy_set_be32(buf, frame_len + vnet_len);
    if (vnet_hdr) {
        colo_proxy_set_be32(buf + 4, vnet_len);
        return 8;
    }
    return 4;
}

/* Returns true if 'vnet_len' is the length of a virtio-net header (struct
 * virtio_net_hdr, _mrg_rxbuf or _v1_hash: virtio 1.1, 5.1.6), or 0. */
bool
colo_proxy_vnet_len_is_valid(size_t vnet_len)
{
    return (vnet_len == 0 || vnet_len == 10 || vnet_len == 12
            || vnet_len == COLO_PROXY_VNET_LEN_MAX);
}

/* virtio-net headers. */

/* The fields of struct virtio_net_hdr (virtio 1.1, 5.1.6), little-endian
 * in the stream (QEMU's virtio-net with VIRTIO_F_VERSION_1, and tap). */
#define VNET_F_NEEDS_CSUM 1
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_TCPV6 4
#define VNET_GSO_ECN 0x80
#define VNET_MIN_LEN 10

struct colo_vnet {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
};

static uint16_t
colo_get_le16(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}

/* Completes the partial checksum that 'v' describes in 'pkt'. */
static bool
colo_vnet_csum(struct dp_packet *pkt, const struct colo_vnet *v)
{
    uint8_t *data = dp_packet_data(pkt);
    size_t size = dp_packet_size(pkt);
    ovs_be16 sum;

    if (v->csum_start >= size
        || (size_t) v->csum_start + v->csum_offset + 2 > size) {
        return false;
    }
    /* The checksum field holds the pseudo-header sum already: summing
     * from csum_start to the end and storing the complement finishes it,
     * as a NIC would. */
    sum = csum(data + v->csum_start, size - v->csum_start);
    if (!sum && v->csum_offset == offsetof(struct udp_header, udp_csum)) {
        /* A UDP checksum that computes to 0 is sent as all ones (RFC 768):
         * 0 means "no checksum". */
        sum = htons(0xffff);
    }
    memcpy(data + v->csum_start + v->csum_offset, &sum, sizeof sum);
    return true;
}

/* Where the headers of a TCP GSO frame are. */
struct colo_gso_layout {
    size_t l3;                  /* Offset of the IP header. */
    size_t l4;                  /* Offset of the TCP header. */
    size_t hdrs;                /* Bytes of headers, through TCP's. */
    bool ipv6;
};

/* Finds the headers of a TCP GSO frame of type 'gso_type'. */
static bool
colo_gso_layout(const struct dp_packet *pkt, int gso_type,
                struct colo_gso_layout *lay, const char **error)
{
    const uint8_t *data = dp_packet_data(pkt);
    size_t size = dp_packet_size(pkt);
    size_t ofs = 2 * ETH_ADDR_LEN;
    uint16_t type;

    type = (data[ofs] << 8) | data[ofs + 1];
    while ((type == ETH_TYPE_VLAN_8021Q || type == ETH_TYPE_VLAN_8021AD)
           && ofs + VLAN_HEADER_LEN + 2 <= size) {
        ofs += VLAN_HEADER_LEN;
        type = (data[ofs] << 8) | data[ofs + 1];
    }
    lay->l3 = ofs + 2;

    if (gso_type == VNET_GSO_TCPV4 && type == ETH_TYPE_IP
        && lay->l3 + IP_HEADER_LEN <= size) {
        const struct ip_header *ip = ALIGNED_CAST(const struct ip_header *,
                                                  data + lay->l3);
        size_t ihl = IP_IHL(ip->ip_ihl_ver) * 4;

        if (IP_VER(ip->ip_ihl_ver) != 4 || ihl < IP_HEADER_LEN
            || ip->ip_proto != IPPROTO_TCP) {
            *error = "GSO frame whose IPv4 header is not TCP's";
            return false;
        }
        lay->l4 = lay->l3 + ihl;
        lay->ipv6 = false;
    } else if (gso_type == VNET_GSO_TCPV6 && type == ETH_TYPE_IPV6
               && lay->l3 + IPV6_HEADER_LEN <= size) {
        const struct ovs_16aligned_ip6_hdr *ip6
            = ALIGNED_CAST(const struct ovs_16aligned_ip6_hdr *,
                           data + lay->l3);

        if (ip6->ip6_nxt != IPPROTO_TCP) {
            *error = "GSO frame with IPv6 extension headers";
            return false;
        }
        lay->l4 = lay->l3 + IPV6_HEADER_LEN;
        lay->ipv6 = true;
    } else {
        *error = "GSO frame whose type does not match its headers";
        return false;
    }

    if (lay->l4 + TCP_HEADER_LEN > size) {
        *error = "GSO frame truncated in its TCP header";
        return false;
    }
    /* The data offset: the high 4 bits of byte 12 of the TCP header. */
    lay->hdrs = lay->l4 + (data[lay->l4 + 12] >> 4) * 4;
    if (lay->hdrs < lay->l4 + TCP_HEADER_LEN || lay->hdrs > size) {
        *error = "GSO frame with a bad TCP header length";
        return false;
    }
    return true;
}

/* Builds segment 'i' of 'n' of the GSO frame 'pkt' laid out as 'lay': its
 * headers with 'len' bytes of payload from offset 'ofs' of the payload. */
static struct dp_packet *
colo_gso_segment(const struct dp_packet *pkt,
                 const struct colo_gso_layout *lay,
                 size_t i, size_t n, size_t ofs, size_t len)
{
    const uint8_t *src = dp_packet_data(pkt);
    size_t l4_len = lay->hdrs - lay->l4 + len;
    struct dp_packet *seg;
    struct tcp_header *tcp;
    uint32_t partial;
    uint8_t *data;
    uint16_t ctl;

    seg = dp_packet_new_with_headroom(lay->hdrs + len, DP_NETDEV_HEADROOM);
    dp_packet_put(seg, src, lay->hdrs);
    dp_packet_put(seg, src + lay->hdrs + ofs, len);
    data = dp_packet_data(seg);

    tcp = ALIGNED_CAST(struct tcp_header *, data + lay->l4);
    put_16aligned_be32(&tcp->tcp_seq,
                       htonl(ntohl(get_16aligned_be32(&tcp->tcp_seq)) + ofs));
    ctl = ntohs(tcp->tcp_ctl);
    if (i + 1 < n) {
        ctl &= ~(TCP_FIN | TCP_PSH);
    }
    if (i > 0) {
        ctl &= ~TCP_CWR;
    }
    tcp->tcp_ctl = htons(ctl);
    tcp->tcp_csum = 0;

    if (lay->ipv6) {
        struct ovs_16aligned_ip6_hdr *ip6
            = ALIGNED_CAST(struct ovs_16aligned_ip6_hdr *, data + lay->l3);

        ip6->ip6_plen = htons(l4_len);
        partial = packet_csum_pseudoheader6(ip6);
    } else {
        struct ip_header *ip = ALIGNED_CAST(struct ip_header *,
                                            data + lay->l3);
        size_t ihl = lay->l4 - lay->l3;

        ip->ip_tot_len = htons(ihl + l4_len);
        ip->ip_id = htons(ntohs(ip->ip_id) + i);
        ip->ip_csum = 0;
        ip->ip_csum = csum(ip, ihl);
        partial = packet_csum_pseudoheader(ip);
    }
    tcp->tcp_csum = csum_finish(csum_continue(partial, tcp, l4_len));
    return seg;
}

/* Splits the TCP GSO frame 'pkt' into segments of at most 'v->gso_size'
 * bytes of payload, each with valid checksums. */
static bool
colo_vnet_gso(const struct dp_packet *pkt, const struct colo_vnet *v,
              struct dp_packet ***segsp, size_t *n_segsp,
              const char **error)
{
    struct colo_gso_layout lay;
    struct dp_packet **segs;
    size_t payload, n;

    if (!v->gso_size) {
        *error = "GSO frame with a segment size of 0";
        return false;
    }
    if (!colo_gso_layout(pkt, v->gso_type & ~VNET_GSO_ECN, &lay, error)) {
        return false;
    }

    payload = dp_packet_size(pkt) - lay.hdrs;
    n = MAX(DIV_ROUND_UP(payload, v->gso_size), 1);
    segs = xmalloc(n * sizeof *segs);
    for (size_t i = 0; i < n; i++) {
        size_t ofs = i * v->gso_size;

        segs[i] = colo_gso_segment(pkt, &lay, i, n, ofs,
                                   MIN(v->gso_size, payload - ofs));
    }
    *segsp = segs;
    *n_segsp = n;
    return true;
}

/* Carries out what the virtio-net header 'vnet' (of 'vnet_len' bytes, none
 * if 0) says the frame in 'pkt' still needs:
 *
 *   - COLO_VNET_PLAIN: nothing; 'pkt' is ready.
 *   - COLO_VNET_CSUM: its partial checksum was completed in 'pkt'.
 *   - COLO_VNET_GSO: it was a TCP segment larger than its MSS; '*segs' is a
 *     new array of '*n_segs' new packets, ordinary TCP segments with valid
 *     checksums, that replace it (the caller frees 'pkt', the array, and
 *     takes the packets).
 *   - COLO_VNET_BAD: it cannot be done (an inconsistent header, GSO of UDP
 *     or with IPv6 extension headers); '*error' says why.
 */
enum colo_proxy_vnet_result
colo_proxy_vnet_finish(struct dp_packet *pkt, const uint8_t *vnet,
                       size_t vnet_len, struct dp_packet ***segs,
                       size_t *n_segs, const char **error)
{
    struct colo_vnet v;

    if (!vnet_len) {
        return COLO_VNET_PLAIN;
    }
    if (vnet_len < VNET_MIN_LEN) {
        *error = "vnet header shorter than 10 bytes";
        return COLO_VNET_BAD;
    }
    v.flags = vnet[0];
    v.gso_type = vnet[1];
    v.gso_size = colo_get_le16(vnet + 4);
    v.csum_start = colo_get_le16(vnet + 6);
    v.csum_offset = colo_get_le16(vnet + 8);

    switch (v.gso_type & ~VNET_GSO_ECN) {
    case VNET_GSO_NONE:
        if (!(v.flags & VNET_F_NEEDS_CSUM)) {
            return COLO_VNET_PLAIN;
        }
        if (!colo_vnet_csum(pkt, &v)) {
            *error = "partial checksum outside the frame";
            return COLO_VNET_BAD;
        }
        return COLO_VNET_CSUM;

    case VNET_GSO_TCPV4:
    case VNET_GSO_TCPV6:
        return (colo_vnet_gso(pkt, &v, segs, n_segs, error)
                ? COLO_VNET_GSO : COLO_VNET_BAD);

    default:
        *error = "GSO type other than TCP";
        return COLO_VNET_BAD;
    }
}
