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

#include <stdlib.h>

#include "hash.h"
#include "packets.h"
#include "util.h"

static struct colo_cand *
colo_cand_find(const struct colo_zone *zone, const struct colo_conn *conn)
{
    struct colo_side *side = colo_side_find(&zone->cands, conn);

    return side ? CONTAINER_OF(side, struct colo_cand, side) : NULL;
}

/* Returns true if 'p', travelling in 'dir', is a peer's SYN that opens
 * another connection on the key of 'conn', which is learned and open: it
 * then only becomes a candidate, instead of replacing 'conn' at once, since
 * anyone can send a SYN. */
bool
colo_cand_is_syn(const struct colo_conn *conn, const struct colo_tcp *p,
                 enum colo_direction dir)
{
    uint32_t flags = colo_conn_flags(conn);

    return (dir == COLO_PRIMARY
            && (p->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN
            && flags & COLO_F_LEARNED && !(flags & COLO_F_CLOSED)
            && colo_conn_is_new_incarnation(conn, p, dir));
}

/* Makes the peer's SYN 'p' the candidate of 'conn', unless it repeats the
 * candidate's. */
void
colo_cand_offer(struct colo_zone *zone, struct colo_conn *conn,
                const struct colo_tcp *p)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_cand *old = colo_cand_find(zone, conn);
    uint32_t seq = colo_tcp_seq(p);
    struct colo_cand *cand;
    uint32_t orig;

    if (old && old->peer_isn == seq) {
        return;
    }
    colo_cand_drop(zone, conn);

    cand = xzalloc(sizeof *cand);
    cand->peer_isn = seq;
    cand->peer_wscale = p->has_wscale;
    colo_side_insert(&zone->cands, &cand->side, conn);
    atomic_or_explicit(&conn->flags, COLO_F_CAND, &orig,
                       memory_order_release);
}

/* Tells whether 'p', travelling in 'dir' on 'conn' whose flags are 'flags'
 * (with COLO_F_CAND), belongs to the connection 'conn' tracks or to its
 * candidate: the peer's sequence number, or the SVM's acknowledgement, is
 * nearer to the candidate's SYN (counting forward from it) than to the
 * SVM's last acknowledgement of the old connection (either way).  Needs no
 * lock; without the mutex, the candidate may be gone, as when the SVM just
 * confirmed it and 'conn' is being replaced. */
enum colo_cand_match
colo_cand_match(const struct colo_zone *zone, const struct colo_conn *conn_,
                const struct colo_tcp *p, enum colo_direction dir,
                uint32_t flags)
{
    struct colo_conn *conn = CONST_CAST(struct colo_conn *, conn_);
    const struct colo_cand *cand = colo_cand_find(zone, conn);
    uint32_t x, d_new;

    if (p->flags & TCP_SYN) {
        return COLO_CAND_OLD;
    } else if (!cand) {
        return COLO_CAND_GONE;
    } else if (dir == COLO_PRIMARY) {
        x = colo_tcp_seq(p);
    } else if (p->flags & TCP_ACK) {
        x = colo_tcp_ack(p);
    } else {
        return COLO_CAND_OLD;
    }

    d_new = x - (cand->peer_isn + 1);
    if (flags & COLO_F_SVM_ACK) {
        uint64_t ack_win;
        uint32_t d_old;

        atomic_read_relaxed(&conn->svm_ack_win, &ack_win);
        d_old = x - (uint32_t) (ack_win >> 32);
        if (d_old > UINT32_MAX / 2) {
            d_old = -d_old;
        }
        return d_new < d_old ? COLO_CAND_NEW : COLO_CAND_OLD;
    }
    return d_new <= COLO_RST_SLACK ? COLO_CAND_NEW : COLO_CAND_OLD;
}

/* Notes the PVM's half of the candidate's handshake from the peer's ACK 'p'
 * of the candidate's connection, as colo_conn_learn() would for a new
 * entry. */
void
colo_cand_note(struct colo_zone *zone, const struct colo_conn *conn,
               const struct colo_tcp *p)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_cand *cand = colo_cand_find(zone, conn);

    if (cand && (p->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_ACK
        && colo_tcp_seq(p) == cand->peer_isn + 1
        && !(cand->halves & COLO_HAVE_PVM)) {
        cand->pvm_isn = colo_tcp_ack(p) - 1;
        cand->halves |= COLO_HAVE_PVM;
        if (p->ts_ofs) {
            cand->pvm_ts = colo_tcp_get32(p, p->ts_ofs + 6);
            cand->halves |= COLO_HAVE_PVM_TS;
        }
    }
}

/* Returns true if the SVM's packet 'p' shows that the candidate of 'conn'
 * is a real new connection: a SYN+ACK that acknowledges the candidate's
 * SYN, or, after a checkpoint (which copied the PVM's connections to the
 * SVM), any segment but a RST in the candidate's connection. */
bool
colo_cand_confirmed(const struct colo_zone *zone,
                    const struct colo_conn *conn, const struct colo_tcp *p,
                    enum colo_direction dir, uint32_t flags)
    OVS_REQUIRES(zone->mutex)
{
    const struct colo_cand *cand = colo_cand_find(zone, conn);

    if (!cand || dir != COLO_SECONDARY || !(p->flags & TCP_ACK)
        || p->flags & TCP_RST) {
        return false;
    } else if (p->flags & TCP_SYN) {
        return colo_tcp_ack(p) - 1 == cand->peer_isn;
    } else {
        return (cand->checkpointed
                && colo_cand_match(zone, conn, p, dir, flags)
                   == COLO_CAND_NEW);
    }
}

/* Gives 'conn', just created on the key of 'old', the handshake of the
 * candidate of 'old', which the SVM's packet 'p' confirmed.  If a
 * checkpoint came after the candidate's SYN, the SVM now has the PVM's
 * numbers for it: 'conn' is then learned with zero deltas, as a checkpoint
 * makes a half-open entry, and assured if 'p' goes on with the
 * connection. */
void
colo_cand_take(struct colo_zone *zone, struct colo_conn *conn,
               const struct colo_conn *old, const struct colo_tcp *p)
    OVS_REQUIRES(zone->mutex)
{
    const struct colo_cand *cand = colo_cand_find(zone, old);
    struct colo_young *young = colo_young_find(zone, conn);

    colo_conn_set_role(conn, COLO_ROLE_VM_SERVER);
    conn->peer_isn = cand->peer_isn;
    if (cand->peer_wscale) {
        colo_conn_add_wscale(conn, COLO_WSCALE_PEER);
    }
    if (cand->checkpointed) {
        bool ts = p->ts_ofs || cand->halves & COLO_HAVE_PVM_TS;
        uint32_t set = COLO_F_LEARNED | (ts ? COLO_F_TS : 0);
        uint32_t seq = colo_tcp_seq(p);

        set |= p->flags & TCP_SYN ? COLO_F_CHECKPOINTED : COLO_F_ASSURED;
        colo_conn_add_halves(conn, (COLO_HAVE_SVM | COLO_HAVE_PVM
                                    | (ts ? COLO_HAVE_SVM_TS
                                          | COLO_HAVE_PVM_TS : 0)));
        atomic_store_relaxed(&conn->svm_isn,
                             p->flags & TCP_SYN ? seq : seq - 1);
        atomic_store_relaxed(&young->svm_nxt, seq + 1);
        atomic_store_relaxed(&conn->deltas, 0);
        colo_conn_set_flags(conn, set);
        if (set & COLO_F_ASSURED) {
            colo_young_drop(zone, conn);
        }
    } else if (cand->halves & COLO_HAVE_PVM) {
        colo_conn_add_halves(conn, cand->halves);
        atomic_store_relaxed(&conn->deltas,
                             (uint64_t) cand->pvm_isn << 32 | cand->pvm_ts);
    }
}

/* A checkpoint happened: the SVM now answers the candidate of 'conn', if
 * it does, with the PVM's numbers. */
void
colo_cand_checkpoint(struct colo_zone *zone, const struct colo_conn *conn)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_cand *cand = colo_cand_find(zone, conn);

    if (cand) {
        cand->checkpointed = true;
    }
}

/* Forgets the candidate of 'conn', if any. */
void
colo_cand_drop(struct colo_zone *zone, const struct colo_conn *conn)
    OVS_REQUIRES(zone->mutex)
{
    colo_side_remove(&zone->cands, conn);
}

/* Frees every candidate of 'zone', which is being destroyed. */
void
colo_cand_destroy_all(struct colo_zone *zone)
{
    colo_side_destroy_all(&zone->cands);
}
