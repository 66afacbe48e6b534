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

#include "netdev-colo-proxy.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "colo-proxy-frame.h"
#include "coverage.h"
#include "dp-packet.h"
#include "dpif-netdev.h"
#include "netdev-provider.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "packets.h"
#include "reconnect.h"
#include "smap.h"
#include "socket-util.h"
#include "stream.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(netdev_colo_proxy);

COVERAGE_DEFINE(colo_proxy_bad_frame);
COVERAGE_DEFINE(colo_proxy_reconnect);

/* Bytes of the socket held in userspace at once: a few of the largest
 * frames.  More stays in the kernel, where TCP holds the peer back. */
#define RX_BUF_SIZE (4 * (COLO_PROXY_HDR_MAX + COLO_PROXY_MAX_LEN))

/* Default and limits of options:tx_backlog, in bytes. */
#define TX_BACKLOG_DEFAULT (16 * 1024 * 1024)
#define TX_BACKLOG_MIN (COLO_PROXY_HDR_MAX + COLO_PROXY_MAX_LEN)
#define TX_BACKLOG_MAX (1024 * 1024 * 1024)

/* Reconnection backoff of an active remote, in msec. */
#define BACKOFF_MIN 1000
#define BACKOFF_MAX 8000

/* Guards the list of every colo-proxy netdev, for the class's run and wait
 * functions. */
static struct ovs_mutex colo_proxy_list_mutex = OVS_MUTEX_INITIALIZER;

/* A frame queued for sending: its bytes on the wire, framing included, and
 * of the frame itself. */
struct colo_proxy_txq_entry {
    uint32_t wire;
    uint32_t frame;
};

struct netdev_colo_proxy {
    struct netdev up;

    /* In 'colo_proxy_list'. */
    struct ovs_list list_node OVS_GUARDED_BY(colo_proxy_list_mutex);

    struct ovs_mutex mutex;

    /* Configuration. */
    char *remote OVS_GUARDED;           /* options:remote, or NULL. */
    bool passive OVS_GUARDED;           /* 'remote' is ptcp: or punix:. */
    bool vnet_hdr OVS_GUARDED;          /* options:vnet_hdr. */
    size_t vnet_len OVS_GUARDED;        /* options:vnet_hdr_len. */
    size_t tx_backlog OVS_GUARDED;      /* options:tx_backlog. */
    struct eth_addr hwaddr OVS_GUARDED;
    int mtu OVS_GUARDED;
    enum netdev_flags flags OVS_GUARDED;

    /* The connection.  An active remote connects through 'reconnect'; a
     * passive one listens on 'pstream' and serves its newest connection.
     * Frames flow only while 'connected'. */
    struct reconnect *reconnect OVS_GUARDED;
    struct pstream *pstream OVS_GUARDED;
    long long int next_listen OVS_GUARDED;  /* Retry a failed listen. */
    struct stream *stream OVS_GUARDED;
    bool connected OVS_GUARDED;
    bool down_logged OVS_GUARDED;       /* Said that it cannot connect. */
    char *last_error OVS_GUARDED;       /* Why the last connection ended. */

    /* Received bytes: 'rx_buf[rx_ofs]' starts a frame, 'rx_len' bytes are
     * valid.  'rx_segs' holds the segments of a GSO frame that did not fit
     * in the last batch. */
    uint8_t *rx_buf OVS_GUARDED;
    size_t rx_ofs OVS_GUARDED;
    size_t rx_len OVS_GUARDED;
    struct dp_packet **rx_segs OVS_GUARDED;
    size_t n_rx_segs OVS_GUARDED;
    size_t rx_seg_ofs OVS_GUARDED;

    /* Bytes to send: 'tx_buf[tx_ofs]' through 'tx_buf[tx_len - 1]', the
     * frames in 'txq' (a ring of 'txq_cap' entries, 'txq_n' from
     * 'txq_head'), the first of them already 'tx_sent' bytes sent. */
    uint8_t *tx_buf OVS_GUARDED;
    size_t tx_ofs OVS_GUARDED;
    size_t tx_len OVS_GUARDED;
    size_t tx_cap OVS_GUARDED;
    struct colo_proxy_txq_entry *txq OVS_GUARDED;
    size_t txq_head OVS_GUARDED;
    size_t txq_n OVS_GUARDED;
    size_t txq_cap OVS_GUARDED;
    size_t tx_sent OVS_GUARDED;

    /* Statistics. */
    struct netdev_stats stats OVS_GUARDED;
    uint64_t n_connects OVS_GUARDED;
    uint64_t n_disconnects OVS_GUARDED;
    uint64_t rx_bad_frames OVS_GUARDED;     /* Closed the connection. */
    uint64_t rx_bad_vnet OVS_GUARDED;       /* Dropped: bad vnet header. */
    uint64_t rx_csum_completed OVS_GUARDED;
    uint64_t rx_gso_frames OVS_GUARDED;
    uint64_t rx_gso_segments OVS_GUARDED;
    uint64_t tx_dropped_disconnected OVS_GUARDED;
    uint64_t tx_dropped_backlog OVS_GUARDED;
    uint64_t tx_dropped_size OVS_GUARDED;   /* QEMU cannot take it. */
};

struct netdev_rxq_colo_proxy {
    struct netdev_rxq up;
};

static struct ovs_list colo_proxy_list OVS_GUARDED_BY(colo_proxy_list_mutex)
    = OVS_LIST_INITIALIZER(&colo_proxy_list);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

static const struct netdev_class netdev_colo_proxy_class;

static struct netdev_colo_proxy *
netdev_colo_proxy_cast(const struct netdev *netdev)
{
    ovs_assert(netdev->netdev_class == &netdev_colo_proxy_class);
    return CONTAINER_OF(netdev, struct netdev_colo_proxy, up);
}

static const char *
colo_proxy_name(const struct netdev_colo_proxy *dev)
{
    return netdev_get_name(&dev->up);
}

/* The connection. */

static void
colo_proxy_set_error(struct netdev_colo_proxy *dev, const char *error)
    OVS_REQUIRES(dev->mutex)
{
    free(dev->last_error);
    dev->last_error = error ? xstrdup(error) : NULL;
}

/* Empties 'dev''s receive buffer, counting in rx_dropped every frame begun
 * there: those whole in it (when the disconnection did not come from the
 * stream, which is read only once they are taken) and the one half read,
 * which the peer will not finish on another connection.  Bytes from a bad
 * frame header on are no frame: rx_errors counted them. */
static void
colo_proxy_drop_unread(struct netdev_colo_proxy *dev)
    OVS_REQUIRES(dev->mutex)
{
    while (dev->rx_ofs < dev->rx_len) {
        const uint8_t *p = dev->rx_buf + dev->rx_ofs;
        size_t avail = dev->rx_len - dev->rx_ofs;
        struct colo_proxy_hdr hdr;
        const char *error;
        enum colo_proxy_parse parse;

        parse = colo_proxy_parse_hdr(p, avail, dev->vnet_hdr, dev->vnet_len,
                                     &hdr, &error);
        if (parse == COLO_PROXY_BAD) {
            break;
        }
        dev->stats.rx_dropped++;
        if (parse != COLO_PROXY_OK || avail < hdr.hdr_len + hdr.len) {
            break;
        }
        dev->rx_ofs += hdr.hdr_len + hdr.len;
    }
    dev->rx_ofs = dev->rx_len = 0;
}

/* Ends the connection, if any, because of 'reason' (NULL: the
 * configuration changed).  Whatever was half received or not yet sent goes:
 * the next connection starts at a frame boundary in each direction, and
 * every frame not sent whole is counted as dropped. */
static void
colo_proxy_disconnect(struct netdev_colo_proxy *dev, const char *reason)
    OVS_REQUIRES(dev->mutex)
{
    if (!dev->stream) {
        return;
    }
    if (dev->connected) {
        dev->n_disconnects++;
        if (reason) {
            VLOG_WARN("%s: connection to %s closed (%s); %s",
                      colo_proxy_name(dev), stream_get_name(dev->stream),
                      reason,
                      dev->passive ? "waiting for a new one"
                      : "reconnecting");
            colo_proxy_set_error(dev, reason);
        }
    }
    stream_close(dev->stream);
    dev->stream = NULL;
    if (dev->connected) {
        dev->connected = false;
        netdev_change_seq_changed(&dev->up);
    }

    colo_proxy_drop_unread(dev);
    for (size_t i = dev->rx_seg_ofs; i < dev->n_rx_segs; i++) {
        dp_packet_delete(dev->rx_segs[i]);
        dev->stats.rx_dropped++;
    }
    free(dev->rx_segs);
    dev->rx_segs = NULL;
    dev->n_rx_segs = dev->rx_seg_ofs = 0;

    dev->tx_dropped_disconnected += dev->txq_n;
    dev->stats.tx_dropped += dev->txq_n;
    dev->txq_head = dev->txq_n = 0;
    dev->tx_ofs = dev->tx_len = 0;
    dev->tx_sent = 0;

    if (dev->reconnect) {
        /* We log it ourselves, once. */
        reconnect_disconnected(dev->reconnect, time_msec(), 0);
    }
}

static void
colo_proxy_connected(struct netdev_colo_proxy *dev)
    OVS_REQUIRES(dev->mutex)
{
    dev->connected = true;
    netdev_change_seq_changed(&dev->up);
    dev->down_logged = false;
    dev->n_connects++;
    if (dev->n_connects > 1) {
        COVERAGE_INC(colo_proxy_reconnect);
    }
    VLOG_INFO("%s: connected to %s", colo_proxy_name(dev),
              stream_get_name(dev->stream));
    if (dev->reconnect) {
        reconnect_connected(dev->reconnect, time_msec());
    }
}

/* Logs, once until the next connection, that 'what' failed with 'error'. */
static void
colo_proxy_log_down(struct netdev_colo_proxy *dev, const char *what,
                    int error)
    OVS_REQUIRES(dev->mutex)
{
    colo_proxy_set_error(dev, ovs_strerror(error));
    if (!dev->down_logged) {
        dev->down_logged = true;
        netdev_change_seq_changed(&dev->up);
        VLOG_WARN("%s: %s %s failed (%s); retrying", colo_proxy_name(dev),
                  what, dev->remote, ovs_strerror(error));
    }
}

static void
colo_proxy_run_active(struct netdev_colo_proxy *dev)
    OVS_REQUIRES(dev->mutex)
{
    long long int now = time_msec();
    int error;

    switch (reconnect_run(dev->reconnect, now)) {
    case RECONNECT_CONNECT:
        colo_proxy_disconnect(dev, NULL);
        error = stream_open(dev->remote, &dev->stream, DSCP_DEFAULT);
        if (error) {
            reconnect_connect_failed(dev->reconnect, now, error);
            colo_proxy_log_down(dev, "connecting to", error);
        } else {
            reconnect_connecting(dev->reconnect, now);
        }
        break;

    case RECONNECT_DISCONNECT:
        colo_proxy_disconnect(dev, NULL);
        break;

    case RECONNECT_PROBE:
    default:
        break;
    }

    if (dev->stream && !dev->connected) {
        error = stream_connect(dev->stream);
        if (!error) {
            colo_proxy_connected(dev);
        } else if (error != EAGAIN) {
            stream_close(dev->stream);
            dev->stream = NULL;
            reconnect_connect_failed(dev->reconnect, now, error);
            colo_proxy_log_down(dev, "connecting to", error);
        }
    }
}

static void
colo_proxy_run_passive(struct netdev_colo_proxy *dev)
    OVS_REQUIRES(dev->mutex)
{
    struct stream *stream;
    int error;

    if (!dev->pstream) {
        if (time_msec() < dev->next_listen) {
            return;
        }
        error = pstream_open(dev->remote, &dev->pstream, DSCP_DEFAULT);
        if (error) {
            dev->next_listen = time_msec() + BACKOFF_MIN;
            colo_proxy_log_down(dev, "listening on", error);
            return;
        }
        dev->down_logged = false;
        colo_proxy_set_error(dev, NULL);
        netdev_change_seq_changed(&dev->up);
    }

    error = pstream_accept(dev->pstream, &stream);
    if (!error) {
        if (dev->stream) {
            VLOG_INFO("%s: a new connection replaces the one from %s",
                      colo_proxy_name(dev), stream_get_name(dev->stream));
            colo_proxy_disconnect(dev, "replaced by a new connection");
        }
        dev->stream = stream;
        colo_proxy_connected(dev);
    } else if (error != EAGAIN) {
        VLOG_WARN_RL(&rl, "%s: accepting a connection on %s failed (%s)",
                     colo_proxy_name(dev), dev->remote, ovs_strerror(error));
    }
}

/* Sending. */

/* Writes to the socket what it takes of the queued bytes. */
static void
colo_proxy_flush(struct netdev_colo_proxy *dev)
    OVS_REQUIRES(dev->mutex)
{
    while (dev->connected && dev->tx_ofs < dev->tx_len) {
        int n = stream_send(dev->stream, dev->tx_buf + dev->tx_ofs,
                            dev->tx_len - dev->tx_ofs);

        if (n == -EAGAIN) {
            break;
        } else if (n <= 0) {
            colo_proxy_disconnect(dev, ovs_strerror(n ? -n : EPIPE));
            break;
        }
        dev->tx_ofs += n;
        dev->tx_sent += n;

        /* Count the frames that are now sent whole. */
        while (dev->txq_n
               && dev->tx_sent >= dev->txq[dev->txq_head].wire) {
            const struct colo_proxy_txq_entry *e = &dev->txq[dev->txq_head];

            dev->tx_sent -= e->wire;
            dev->stats.tx_packets++;
            dev->stats.tx_bytes += e->frame;
            dev->txq_head = (dev->txq_head + 1) % dev->txq_cap;
            dev->txq_n--;
        }
    }
    if (dev->tx_ofs == dev->tx_len) {
        dev->tx_ofs = dev->tx_len = 0;
    }
}

/* Makes room for 'n' more bytes at the end of 'tx_buf'. */
static void
colo_proxy_tx_reserve(struct netdev_colo_proxy *dev, size_t n)
    OVS_REQUIRES(dev->mutex)
{
    if (dev->tx_len + n <= dev->tx_cap) {
        return;
    }
    if (dev->tx_ofs) {
        memmove(dev->tx_buf, dev->tx_buf + dev->tx_ofs,
                dev->tx_len - dev->tx_ofs);
        dev->tx_len -= dev->tx_ofs;
        dev->tx_ofs = 0;
    }
    if (dev->tx_len + n > dev->tx_cap) {
        dev->tx_cap = MAX(dev->tx_cap * 2, dev->tx_len + n);
        dev->tx_buf = xrealloc(dev->tx_buf, dev->tx_cap);
    }
}

/* Queues 'packet' for sending, framed, or counts it as dropped. */
static void
colo_proxy_queue(struct netdev_colo_proxy *dev, const struct dp_packet *packet)
    OVS_REQUIRES(dev->mutex)
{
    static const uint8_t zeros[COLO_PROXY_VNET_LEN_MAX];
    size_t frame = dp_packet_size(packet);
    uint8_t hdr[COLO_PROXY_HDR_MAX];
    size_t hdr_len, wire;

    if (!dev->connected) {
        dev->tx_dropped_disconnected++;
        dev->stats.tx_dropped++;
        return;
    }

    if (frame < ETH_HEADER_LEN || frame + dev->vnet_len > COLO_PROXY_MAX_LEN) {
        /* QEMU refuses a frame above its limit and stops reading the
         * socket; a virtio-net guest stops receiving for good after an empty
         * one. */
        dev->tx_dropped_size++;
        dev->stats.tx_dropped++;
        return;
    }

    hdr_len = colo_proxy_put_hdr(hdr, dev->vnet_hdr, dev->vnet_len, frame);
    wire = hdr_len + dev->vnet_len + frame;
    if (dev->tx_len - dev->tx_ofs + wire > dev->tx_backlog) {
        dev->tx_dropped_backlog++;
        dev->stats.tx_dropped++;
        return;
    }

    colo_proxy_tx_reserve(dev, wire);
    memcpy(dev->tx_buf + dev->tx_len, hdr, hdr_len);
    dev->tx_len += hdr_len;
    memcpy(dev->tx_buf + dev->tx_len, zeros, dev->vnet_len);
    dev->tx_len += dev->vnet_len;
    memcpy(dev->tx_buf + dev->tx_len, dp_packet_data(packet), frame);
    dev->tx_len += frame;

    if (dev->txq_n == dev->txq_cap) {
        /* Grow the ring, unwrapping it. */
        size_t cap = MAX(dev->txq_cap * 2, 64);
        struct colo_proxy_txq_entry *q = xmalloc(cap * sizeof *q);

        for (size_t i = 0; i < dev->txq_n; i++) {
            q[i] = dev->txq[(dev->txq_head + i) % dev->txq_cap];
        }
        free(dev->txq);
        dev->txq = q;
        dev->txq_cap = cap;
        dev->txq_head = 0;
    }
    dev->txq[(dev->txq_head + dev->txq_n) % dev->txq_cap]
        = (struct colo_proxy_txq_entry) { .wire = wire, .frame = frame };
    dev->txq_n++;
}

static int
netdev_colo_proxy_send(struct netdev *netdev, int qid OVS_UNUSED,
                       struct dp_packet_batch *batch,
                       bool concurrent_txq OVS_UNUSED)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);
    struct dp_packet *packet;

    ovs_mutex_lock(&dev->mutex);
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        colo_proxy_queue(dev, packet);
    }
    colo_proxy_flush(dev);
    ovs_mutex_unlock(&dev->mutex);

    dp_packet_delete_batch(batch, true);
    return 0;
}

static void
netdev_colo_proxy_send_wait(struct netdev *netdev, int qid OVS_UNUSED)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    if (dev->connected && dev->tx_ofs < dev->tx_len) {
        stream_send_wait(dev->stream);
    } else {
        /* Frames are queued, or dropped, at once. */
        poll_immediate_wake();
    }
    ovs_mutex_unlock(&dev->mutex);
}

/* Receiving. */

/* Hands out to 'batch' the pending segments of a GSO frame that fit. */
static void
colo_proxy_rx_segs(struct netdev_colo_proxy *dev, struct dp_packet_batch *b)
    OVS_REQUIRES(dev->mutex)
{
    while (dev->rx_seg_ofs < dev->n_rx_segs
           && dp_packet_batch_size(b) < NETDEV_MAX_BURST) {
        struct dp_packet *seg = dev->rx_segs[dev->rx_seg_ofs++];

        dev->stats.rx_packets++;
        dev->stats.rx_bytes += dp_packet_size(seg);
        dp_packet_batch_add(b, seg);
    }
    if (dev->rx_seg_ofs == dev->n_rx_segs) {
        free(dev->rx_segs);
        dev->rx_segs = NULL;
        dev->n_rx_segs = dev->rx_seg_ofs = 0;
    }
}

/* Turns the frame of 'hdr' at 'p' into packets in 'batch' (or pending
 * segments). */
static void
colo_proxy_rx_frame(struct netdev_colo_proxy *dev,
                    const struct colo_proxy_hdr *hdr, const uint8_t *p,
                    struct dp_packet_batch *batch)
    OVS_REQUIRES(dev->mutex)
{
    const uint8_t *vnet = p + hdr->hdr_len;
    size_t frame = hdr->len - hdr->vnet_len;
    struct dp_packet *packet;
    const char *error = NULL;

    packet = dp_packet_new_with_headroom(frame, DP_NETDEV_HEADROOM);
    dp_packet_put(packet, vnet + hdr->vnet_len, frame);

    switch (colo_proxy_vnet_finish(packet, vnet, hdr->vnet_len,
                                   &dev->rx_segs, &dev->n_rx_segs, &error)) {
    case COLO_VNET_CSUM:
        dev->rx_csum_completed++;
        /* Fall through. */
    case COLO_VNET_PLAIN:
        dev->stats.rx_packets++;
        dev->stats.rx_bytes += frame;
        dp_packet_batch_add(batch, packet);
        break;

    case COLO_VNET_GSO:
        dp_packet_delete(packet);
        dev->rx_gso_frames++;
        dev->rx_gso_segments += dev->n_rx_segs;
        dev->rx_seg_ofs = 0;
        colo_proxy_rx_segs(dev, batch);
        break;

    case COLO_VNET_BAD:
    default:
        dp_packet_delete(packet);
        dev->rx_bad_vnet++;
        dev->stats.rx_dropped++;
        VLOG_WARN_RL(&rl, "%s: dropped a frame of %"PRIuSIZE" bytes: %s",
                     colo_proxy_name(dev), frame, error);
        break;
    }
}

static int
netdev_colo_proxy_rxq_recv(struct netdev_rxq *rxq,
                           struct dp_packet_batch *batch, int *qfill)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(rxq->netdev);

    dp_packet_batch_init(batch);
    ovs_mutex_lock(&dev->mutex);
    colo_proxy_rx_segs(dev, batch);
    while (dev->connected && dp_packet_batch_size(batch) < NETDEV_MAX_BURST
           && !dev->n_rx_segs) {
        const uint8_t *p = dev->rx_buf + dev->rx_ofs;
        size_t avail = dev->rx_len - dev->rx_ofs;
        struct colo_proxy_hdr hdr;
        const char *error;
        int n;

        switch (colo_proxy_parse_hdr(p, avail, dev->vnet_hdr, dev->vnet_len,
                                     &hdr, &error)) {
        case COLO_PROXY_OK:
            if (avail >= hdr.hdr_len + hdr.len) {
                colo_proxy_rx_frame(dev, &hdr, p, batch);
                dev->rx_ofs += hdr.hdr_len + hdr.len;
                continue;
            }
            break;

        case COLO_PROXY_BAD:
            COVERAGE_INC(colo_proxy_bad_frame);
            dev->rx_bad_frames++;
            dev->stats.rx_errors++;
            VLOG_WARN("%s: bad frame header from %s (length %"PRIu32
                      ", vnet header length %"PRIu32"): %s; closing the "
                      "connection", colo_proxy_name(dev),
                      stream_get_name(dev->stream),
                      (uint32_t) hdr.len, (uint32_t) hdr.vnet_len, error);
            colo_proxy_disconnect(dev, error);
            continue;

        case COLO_PROXY_SHORT:
        default:
            break;
        }

        /* Read more, after the frame begun, at the start of the buffer. */
        if (dev->rx_ofs) {
            memmove(dev->rx_buf, dev->rx_buf + dev->rx_ofs, avail);
            dev->rx_ofs = 0;
            dev->rx_len = avail;
        }
        n = stream_recv(dev->stream, dev->rx_buf + dev->rx_len,
                        RX_BUF_SIZE - dev->rx_len);
        if (n > 0) {
            dev->rx_len += n;
        } else if (n == -EAGAIN) {
            break;
        } else {
            colo_proxy_disconnect(dev, n ? ovs_strerror(-n)
                                  : "end of stream");
        }
    }
    ovs_mutex_unlock(&dev->mutex);

    if (qfill) {
        *qfill = -ENOTSUP;
    }
    return dp_packet_batch_size(batch) ? 0 : EAGAIN;
}

static void
netdev_colo_proxy_rxq_wait(struct netdev_rxq *rxq)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(rxq->netdev);

    ovs_mutex_lock(&dev->mutex);
    if (dev->connected) {
        struct colo_proxy_hdr hdr;
        const char *error;
        size_t avail = dev->rx_len - dev->rx_ofs;

        enum colo_proxy_parse r;

        r = colo_proxy_parse_hdr(dev->rx_buf + dev->rx_ofs, avail,
                                 dev->vnet_hdr, dev->vnet_len, &hdr, &error);
        if (dev->n_rx_segs || r == COLO_PROXY_BAD
            || (r == COLO_PROXY_OK && avail >= hdr.hdr_len + hdr.len)) {
            poll_immediate_wake();
        } else {
            stream_recv_wait(dev->stream);
        }
    }
    ovs_mutex_unlock(&dev->mutex);
}

static int
netdev_colo_proxy_rxq_drain(struct netdev_rxq *rxq OVS_UNUSED)
{
    return 0;
}

static struct netdev_rxq *
netdev_colo_proxy_rxq_alloc(void)
{
    struct netdev_rxq_colo_proxy *rx = xzalloc(sizeof *rx);
    return &rx->up;
}

static int
netdev_colo_proxy_rxq_construct(struct netdev_rxq *rxq OVS_UNUSED)
{
    return 0;
}

static void
netdev_colo_proxy_rxq_destruct(struct netdev_rxq *rxq OVS_UNUSED)
{
}

static void
netdev_colo_proxy_rxq_dealloc(struct netdev_rxq *rxq)
{
    free(CONTAINER_OF(rxq, struct netdev_rxq_colo_proxy, up));
}

/* The class's periodic work: connections and sending. */

static void
netdev_colo_proxy_run(const struct netdev_class *class OVS_UNUSED)
{
    struct netdev_colo_proxy *dev;

    ovs_mutex_lock(&colo_proxy_list_mutex);
    LIST_FOR_EACH (dev, list_node, &colo_proxy_list) {
        ovs_mutex_lock(&dev->mutex);
        if (dev->remote) {
            if (dev->passive) {
                colo_proxy_run_passive(dev);
            } else {
                colo_proxy_run_active(dev);
            }
            if (dev->stream) {
                stream_run(dev->stream);
            }
            colo_proxy_flush(dev);
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&colo_proxy_list_mutex);
}

static void
netdev_colo_proxy_wait(const struct netdev_class *class OVS_UNUSED)
{
    struct netdev_colo_proxy *dev;

    ovs_mutex_lock(&colo_proxy_list_mutex);
    LIST_FOR_EACH (dev, list_node, &colo_proxy_list) {
        ovs_mutex_lock(&dev->mutex);
        if (dev->reconnect) {
            reconnect_wait(dev->reconnect, time_msec());
        }
        if (dev->passive) {
            if (dev->pstream) {
                pstream_wait(dev->pstream);
            } else if (dev->remote) {
                poll_timer_wait_until(dev->next_listen);
            }
        }
        if (dev->stream) {
            stream_run_wait(dev->stream);
            if (!dev->connected) {
                stream_connect_wait(dev->stream);
            } else if (dev->tx_ofs < dev->tx_len) {
                stream_send_wait(dev->stream);
            }
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&colo_proxy_list_mutex);
}

/* Configuration. */

static struct netdev *
netdev_colo_proxy_alloc(void)
{
    struct netdev_colo_proxy *dev = xzalloc(sizeof *dev);
    return &dev->up;
}

static int
netdev_colo_proxy_construct(struct netdev *netdev)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_init(&dev->mutex);
    eth_addr_random(&dev->hwaddr);
    dev->mtu = ETH_PAYLOAD_MAX;
    dev->tx_backlog = TX_BACKLOG_DEFAULT;
    dev->rx_buf = xmalloc(RX_BUF_SIZE);

    ovs_mutex_lock(&colo_proxy_list_mutex);
    ovs_list_push_back(&colo_proxy_list, &dev->list_node);
    ovs_mutex_unlock(&colo_proxy_list_mutex);
    return 0;
}

/* Stops using the remote, if any. */
static void
colo_proxy_unconfigure(struct netdev_colo_proxy *dev)
    OVS_REQUIRES(dev->mutex)
{
    colo_proxy_disconnect(dev, NULL);
    pstream_close(dev->pstream);
    dev->pstream = NULL;
    reconnect_destroy(dev->reconnect);
    dev->reconnect = NULL;
    free(dev->remote);
    dev->remote = NULL;
    dev->down_logged = false;
}

static void
netdev_colo_proxy_destruct(struct netdev *netdev)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_lock(&colo_proxy_list_mutex);
    ovs_list_remove(&dev->list_node);
    ovs_mutex_unlock(&colo_proxy_list_mutex);

    ovs_mutex_lock(&dev->mutex);
    colo_proxy_unconfigure(dev);
    free(dev->last_error);
    free(dev->rx_buf);
    free(dev->tx_buf);
    free(dev->txq);
    ovs_mutex_unlock(&dev->mutex);
    ovs_mutex_destroy(&dev->mutex);
}

static void
netdev_colo_proxy_dealloc(struct netdev *netdev)
{
    free(netdev_colo_proxy_cast(netdev));
}

/* The length of the vnet header at the start of each frame if
 * options:vnet_hdr_len does not say: QEMU's vnet_hdr_support=on is for
 * virtio-net guests, whose frames carry one (12 bytes, from a tap). */
static size_t
colo_proxy_vnet_len_default(bool vnet_hdr)
{
    return vnet_hdr ? COLO_PROXY_VNET_LEN : 0;
}

static int
netdev_colo_proxy_get_config(const struct netdev *netdev, struct smap *args)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    if (dev->remote) {
        smap_add(args, "remote", dev->remote);
    }
    if (dev->vnet_hdr) {
        smap_add(args, "vnet_hdr", "true");
    }
    if (dev->vnet_len != colo_proxy_vnet_len_default(dev->vnet_hdr)) {
        smap_add_format(args, "vnet_hdr_len", "%"PRIuSIZE, dev->vnet_len);
    }
    if (dev->tx_backlog != TX_BACKLOG_DEFAULT) {
        smap_add_format(args, "tx_backlog", "%"PRIuSIZE, dev->tx_backlog);
    }
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

/* Returns false if 'remote' is a TCP stream name without a valid port:
 * "tcp:HOST:PORT" or, if 'passive', "ptcp:PORT[:IP]". */
static bool
colo_proxy_has_port(const char *remote, bool passive)
{
    const char *port;
    unsigned int n;
    char *s;
    bool ok;

    if (strncmp(remote, passive ? "ptcp:" : "tcp:", passive ? 5 : 4)) {
        return true;
    }
    port = passive ? remote + 5 : strrchr(remote + 4, ':');
    if (!port) {
        return false;
    }
    s = xstrdup(port + !passive);
    if (passive) {
        s[strcspn(s, ":")] = '\0';
    }
    ok = str_to_uint(s, 10, &n) && n <= UINT16_MAX && (passive || n);
    free(s);
    return ok;
}

static int
netdev_colo_proxy_set_config(struct netdev *netdev, const struct smap *args,
                             char **errp)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);
    const char *name = netdev_get_name(netdev);
    const char *remote = smap_get(args, "remote");
    const char *vnet = smap_get(args, "vnet_hdr");
    const char *vnet_len_s = smap_get(args, "vnet_hdr_len");
    const char *backlog = smap_get(args, "tx_backlog");
    unsigned long long int tx_backlog = TX_BACKLOG_DEFAULT;
    struct smap_node *node;
    bool passive, vnet_hdr;
    unsigned int vnet_len;

    SMAP_FOR_EACH (node, args) {
        if (strcmp(node->key, "remote") && strcmp(node->key, "vnet_hdr")
            && strcmp(node->key, "vnet_hdr_len")
            && strcmp(node->key, "tx_backlog")) {
            *errp = xasprintf("%s: options:%s is not an option of "
                              "colo-proxy ports (remote, vnet_hdr, "
                              "vnet_hdr_len, tx_backlog)", name, node->key);
            return EINVAL;
        }
    }
    if (!remote) {
        *errp = xasprintf("%s: options:remote is required (tcp:IP:PORT or "
                          "unix:PATH to connect, ptcp:PORT[:IP] or "
                          "punix:PATH to listen)", name);
        return EINVAL;
    }
    if (!stream_verify_name(remote) && colo_proxy_has_port(remote, false)) {
        passive = false;
    } else if (!pstream_verify_name(remote)
               && colo_proxy_has_port(remote, true)) {
        passive = true;
    } else {
        *errp = xasprintf("%s: options:remote=%s is not a stream name "
                          "(tcp:IP:PORT or unix:PATH to connect, "
                          "ptcp:PORT[:IP] or punix:PATH to listen)",
                          name, remote);
        return EINVAL;
    }
    if (!vnet || !strcmp(vnet, "false")) {
        vnet_hdr = false;
    } else if (!strcmp(vnet, "true")) {
        vnet_hdr = true;
    } else {
        *errp = xasprintf("%s: options:vnet_hdr=%s is invalid (expected "
                          "true or false)", name, vnet);
        return EINVAL;
    }
    vnet_len = colo_proxy_vnet_len_default(vnet_hdr);
    if (vnet_len_s && (!str_to_uint(vnet_len_s, 10, &vnet_len)
                       || !colo_proxy_vnet_len_is_valid(vnet_len))) {
        *errp = xasprintf("%s: options:vnet_hdr_len=%s is invalid (expected "
                          "0, 10, 12 or 20: the virtio-net header length of "
                          "QEMU's netdev)", name, vnet_len_s);
        return EINVAL;
    }
    if (backlog && (!str_to_ullong(backlog, 10, &tx_backlog)
                    || tx_backlog < TX_BACKLOG_MIN
                    || tx_backlog > TX_BACKLOG_MAX)) {
        *errp = xasprintf("%s: options:tx_backlog=%s is invalid (expected "
                          "a number of bytes from %d to %d)", name, backlog,
                          TX_BACKLOG_MIN, TX_BACKLOG_MAX);
        return EINVAL;
    }

    ovs_mutex_lock(&dev->mutex);
    dev->tx_backlog = tx_backlog;
    if (!dev->remote || strcmp(dev->remote, remote)
        || dev->vnet_hdr != vnet_hdr || dev->vnet_len != vnet_len) {
        colo_proxy_unconfigure(dev);
        dev->remote = xstrdup(remote);
        dev->passive = passive;
        dev->vnet_hdr = vnet_hdr;
        dev->vnet_len = vnet_len;
        colo_proxy_set_error(dev, NULL);
        if (!passive) {
            long long int now = time_msec();

            dev->reconnect = reconnect_create(now);
            reconnect_set_name(dev->reconnect, remote);
            reconnect_set_quiet(dev->reconnect, true);
            reconnect_set_backoff(dev->reconnect, BACKOFF_MIN, BACKOFF_MAX);
            reconnect_set_probe_interval(dev->reconnect, 0);
            reconnect_enable(dev->reconnect, now);
        }
        dev->next_listen = LLONG_MIN;
        netdev_change_seq_changed(netdev);
    }
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_proxy_set_etheraddr(struct netdev *netdev,
                                const struct eth_addr mac)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    dev->hwaddr = mac;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_proxy_get_etheraddr(const struct netdev *netdev,
                                struct eth_addr *mac)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *mac = dev->hwaddr;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_proxy_get_mtu(const struct netdev *netdev, int *mtup)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *mtup = dev->mtu;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_proxy_set_mtu(struct netdev *netdev, int mtu)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    if (mtu < ETH_PAYLOAD_MIN
        || mtu > (COLO_PROXY_MAX_LEN - ETH_HEADER_LEN
                  - COLO_PROXY_VNET_LEN_MAX)) {
        return EINVAL;
    }
    ovs_mutex_lock(&dev->mutex);
    dev->mtu = mtu;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_proxy_get_carrier(const struct netdev *netdev, bool *carrier)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *carrier = dev->connected;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_proxy_update_flags(struct netdev *netdev,
                               enum netdev_flags off, enum netdev_flags on,
                               enum netdev_flags *old_flagsp)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    if ((off | on) & ~(NETDEV_UP | NETDEV_PROMISC)) {
        return EINVAL;
    }
    ovs_mutex_lock(&dev->mutex);
    *old_flagsp = dev->flags;
    dev->flags = (dev->flags | on) & ~off;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

/* Statistics and status. */

static int
netdev_colo_proxy_get_stats(const struct netdev *netdev,
                            struct netdev_stats *stats)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    stats->rx_packets = dev->stats.rx_packets;
    stats->rx_bytes = dev->stats.rx_bytes;
    stats->rx_errors = dev->stats.rx_errors;
    stats->rx_dropped = dev->stats.rx_dropped;
    stats->tx_packets = dev->stats.tx_packets;
    stats->tx_bytes = dev->stats.tx_bytes;
    stats->tx_dropped = dev->stats.tx_dropped;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_proxy_get_custom_stats(const struct netdev *netdev,
                                   struct netdev_custom_stats *custom)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    const struct {
        const char *name;
        uint64_t value;
    } counters[] = {
        { "connects", dev->n_connects },
        { "disconnects", dev->n_disconnects },
        { "rx_bad_frames", dev->rx_bad_frames },
        { "rx_bad_vnet", dev->rx_bad_vnet },
        { "rx_csum_completed", dev->rx_csum_completed },
        { "rx_gso_frames", dev->rx_gso_frames },
        { "rx_gso_segments", dev->rx_gso_segments },
        { "tx_dropped_disconnected", dev->tx_dropped_disconnected },
        { "tx_dropped_backlog", dev->tx_dropped_backlog },
        { "tx_dropped_size", dev->tx_dropped_size },
        { "tx_backlog_bytes", dev->tx_len - dev->tx_ofs },
    };
    ovs_mutex_unlock(&dev->mutex);

    custom->size = ARRAY_SIZE(counters);
    custom->counters = xcalloc(custom->size, sizeof *custom->counters);
    for (size_t i = 0; i < ARRAY_SIZE(counters); i++) {
        ovs_strlcpy(custom->counters[i].name, counters[i].name,
                    NETDEV_CUSTOM_STATS_NAME_SIZE);
        custom->counters[i].value = counters[i].value;
    }
    return 0;
}

static int
netdev_colo_proxy_get_status(const struct netdev *netdev, struct smap *smap)
{
    struct netdev_colo_proxy *dev = netdev_colo_proxy_cast(netdev);
    const char *state;

    ovs_mutex_lock(&dev->mutex);
    if (!dev->remote) {
        state = "unconfigured";
    } else if (dev->connected) {
        state = "connected";
    } else if (dev->passive) {
        state = (dev->pstream ? "listening"
                 : dev->down_logged ? "listen-failed" : "starting");
    } else {
        state = dev->stream ? "connecting" : "backoff";
    }
    smap_add(smap, "state", state);
    if (dev->connected) {
        smap_add(smap, "peer", stream_get_name(dev->stream));
    }
    if (dev->last_error) {
        smap_add(smap, "last_error", dev->last_error);
    }
    smap_add(smap, "vnet_hdr", dev->vnet_hdr ? "true" : "false");
    smap_add_format(smap, "vnet_hdr_len", "%"PRIuSIZE, dev->vnet_len);
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static const struct netdev_class netdev_colo_proxy_class = {
    .type = "colo-proxy",
    .is_pmd = false,
    .run = netdev_colo_proxy_run,
    .wait = netdev_colo_proxy_wait,
    .alloc = netdev_colo_proxy_alloc,
    .construct = netdev_colo_proxy_construct,
    .destruct = netdev_colo_proxy_destruct,
    .dealloc = netdev_colo_proxy_dealloc,
    .get_config = netdev_colo_proxy_get_config,
    .set_config = netdev_colo_proxy_set_config,
    .send = netdev_colo_proxy_send,
    .send_wait = netdev_colo_proxy_send_wait,
    .set_etheraddr = netdev_colo_proxy_set_etheraddr,
    .get_etheraddr = netdev_colo_proxy_get_etheraddr,
    .get_mtu = netdev_colo_proxy_get_mtu,
    .set_mtu = netdev_colo_proxy_set_mtu,
    .get_carrier = netdev_colo_proxy_get_carrier,
    .get_stats = netdev_colo_proxy_get_stats,
    .get_custom_stats = netdev_colo_proxy_get_custom_stats,
    .get_status = netdev_colo_proxy_get_status,
    .update_flags = netdev_colo_proxy_update_flags,
    .rxq_alloc = netdev_colo_proxy_rxq_alloc,
    .rxq_construct = netdev_colo_proxy_rxq_construct,
    .rxq_destruct = netdev_colo_proxy_rxq_destruct,
    .rxq_dealloc = netdev_colo_proxy_rxq_dealloc,
    .rxq_recv = netdev_colo_proxy_rxq_recv,
    .rxq_wait = netdev_colo_proxy_rxq_wait,
    .rxq_drain = netdev_colo_proxy_rxq_drain,
};

void
netdev_colo_proxy_register(void)
{
    netdev_register_provider(&netdev_colo_proxy_class);
}
