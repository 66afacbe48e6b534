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

#ifndef COLO_PROXY_FRAME_H
#define COLO_PROXY_FRAME_H 1

/* The framing of QEMU's COLO proxy sockets, and virtio-net headers.
 *
 * QEMU's filter-mirror, filter-redirector and colo-compare carry Ethernet
 * frames over chardev sockets (QEMU net/filter-mirror.c, which writes them,
 * and net/net.c net_fill_rstate(), which reads them), each frame as:
 *
 *     length      4 bytes, big-endian: the bytes that follow the header
 *     [vnet_len]  4 bytes, big-endian, only with vnet_hdr_support=on: how
 *                 many of those bytes are a virtio-net header
 *     [vnet hdr]  the virtio-net header, if the netdev has one (below)
 *     frame       the rest of the 'length' bytes
 *
 * Both ends must agree on vnet_hdr_support: nothing in the stream says
 * which framing it uses.  Nor does the framing say whether the frames start
 * with a virtio-net header: that comes from QEMU's netdev (12 bytes for
 * virtio-net on a tap with vnet headers, 10 for legacy virtio without
 * mergeable buffers, none for e1000 or a tap without vnet headers; see
 * tests/colo-qemu-facts.md), also with vnet_hdr_support=off, where the
 * header is there but not announced.  QEMU refuses a length above its
 * NET_BUFSIZE (4096 + 65536, net/net.h), and so do we.
 *
 * The virtio-net header (virtio 1.1 specification, 5.1.6) tells what
 * offloads a frame still needs: a partial checksum to complete
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM) or a TCP segment larger than the MTU to
 * split (GSO).  colo_proxy_vnet_finish() does both in software, so that what
 * enters the switch is ordinary frames with valid checksums. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_packet;

/* The largest 'length' QEMU accepts (NET_BUFSIZE in QEMU's net/net.h). */
#define COLO_PROXY_MAX_LEN (4096 + 65536)

/* The largest vnet header we accept: virtio's is 10 to 20 bytes. */
#define COLO_PROXY_MAX_VNET_LEN 64

/* The usual vnet header: struct virtio_net_hdr_mrg_rxbuf, what QEMU's
 * virtio-net uses on a tap with VIRTIO_F_VERSION_1 or mergeable receive
 * buffers. */
#define COLO_PROXY_VNET_LEN 12

/* The longest vnet header virtio-net has: with the hash report feature. */
#define COLO_PROXY_VNET_LEN_MAX 20

/* The most bytes a frame header takes. */
#define COLO_PROXY_HDR_MAX 8

/* A parsed frame header. */
struct colo_proxy_hdr {
    size_t hdr_len;             /* 4, or 8 with vnet headers. */
    size_t len;                 /* 'length': vnet header plus frame. */
    size_t vnet_len;            /* 0 without vnet headers. */
};

/* Result of colo_proxy_parse_hdr(). */
enum colo_proxy_parse {
    COLO_PROXY_OK,              /* '*hdr' is filled in. */
    COLO_PROXY_SHORT,           /* Not enough bytes for the header yet. */
    COLO_PROXY_BAD,             /* Bad lengths: '*error' says which. */
};

enum colo_proxy_parse colo_proxy_parse_hdr(const uint8_t *, size_t n,
                                           bool vnet_hdr, size_t vnet_len,
                                           struct colo_proxy_hdr *,
                                           const char **error);
size_t colo_proxy_put_hdr(uint8_t buf[COLO_PROXY_HDR_MAX], bool vnet_hdr,
                          size_t vnet_len, size_t frame_len);
bool colo_proxy_vnet_len_is_valid(size_t vnet_len);

/* What colo_proxy_vnet_finish() did. */
enum colo_proxy_vnet_result {
    COLO_VNET_PLAIN,            /* Nothing needed doing. */
    COLO_VNET_CSUM,             /* Completed a partial checksum. */
    COLO_VNET_GSO,              /* Split into 'n' segments. */
    COLO_VNET_BAD,              /* Cannot be done: drop the frame. */
};

enum colo_proxy_vnet_result colo_proxy_vnet_finish(
    struct dp_packet *, const uint8_t *vnet, size_t vnet_len,
    struct dp_packet ***segs, size_t *n_segs, const char **error);

#endif /* colo-proxy-frame.h */
