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

#include "hash.h"
#include "packets.h"
#include "util.h"

/* Records beside an entry, see struct colo_side. */

static uint32_t
colo_side_hash(const struct colo_conn *conn)
{
    return hash_pointer(conn, 0);
}

struct colo_side *
colo_side_find(const struct cmap *cmap, const struct colo_conn *conn)
{
    struct colo_side *side;

    CMAP_FOR_EACH_WITH_HASH (side, node, colo_side_hash(conn), cmap) {
        if (side->conn == conn) {
            return side;
        }
    }
    return NULL;
}

void
colo_side_insert(struct cmap *cmap, struct colo_side *side,
                 const struct colo_conn *conn)
{
    side->conn = conn;
    cmap_insert(cmap, &side->node, colo_side_hash(conn));
}

/* Removes the record of 'conn' from 'cmap', if there is one, and frees it
 * once no one can be looking at it. */
void
colo_side_remove(struct cmap *cmap, const struct colo_conn *conn)
{
    struct colo_side *side = colo_side_find(cmap, conn);

    if (side) {
        cmap_remove(cmap, &side->node, colo_side_hash(conn));
        ovsrcu_postpone(free, side);
    }
}

/* Frees every record of 'cmap', whose zone is being destroyed. */
void
colo_side_destroy_all(struct cmap *cmap)
{
    struct colo_side *side;

    CMAP_FOR_EACH (side, node, cmap) {
        free(side);
    }
    cmap_destroy(cmap);
}

/* Entries not assured yet. */

/* Returns the colo_young of 'conn', or NULL if 'conn' is assured.  Needs
 * no lock. */
struct colo_young *
colo_young_find(const struct colo_zone *zone, const struct colo_conn *conn)
{
    struct colo_side *side = colo_side_find(&zone->youngs, conn);

    return side ? CONTAINER_OF(side, struct colo_young, side) : NULL;
}

/* Gives the new entry 'conn' its colo_young, with 'serial'. */
void
colo_young_create(struct colo_zone *zone, const struct colo_conn *conn,
                  uint32_t serial)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_young *young = xzalloc(sizeof *young);

    young->serial = serial;
    atomic_init(&young->svm_nxt, 0);
    colo_side_insert(&zone->youngs, &young->side, conn);
}

/* Removes the colo_young of 'conn', if it has one: 'conn' is assured or
 * goes. */
void
colo_young_drop(struct colo_zone *zone, const struct colo_conn *conn)
    OVS_REQUIRES(zone->mutex)
{
    colo_side_remove(&zone->youngs, conn);
}

void
colo_young_destroy_all(struct colo_zone *zone)
{
    colo_side_destroy_all(&zone->youngs);
}

/* Connections. */

enum colo_conn_state
colo_conn_state(uint32_t flags)
{
    /* An entry that is not learned is "learning" even after a FIN: it
     * expires on the half-open timeout, as a learning entry does. */
    return (flags & COLO_F_CLOSED ? COLO_CONN_CLOSED
            : !(flags & COLO_F_LEARNED) ? COLO_CONN_LEARNING
            : flags & (COLO_F_FIN_VM | COLO_F_FIN_PEER) ? COLO_CONN_CLOSING
            : COLO_CONN_ESTABLISHED);
}

/* Returns the state of 'conn' in a zone whose epoch is 'epoch', without
 * the zone's mutex: a stale entry is in the state colo_conn_checkpoint()
 * would leave it in, learned, without the VM's FIN if that came before
 * learning. */
enum colo_conn_state
colo_conn_state_at(const struct colo_conn *conn, uint32_t epoch)
{
    uint32_t flags = colo_conn_flags(conn);

    if (colo_conn_epoch(conn) != epoch) {
        if (!(flags & (COLO_F_LEARNED | COLO_F_FIN_VM_ACKED))) {
            flags &= ~COLO_F_FIN_VM;
        }
        flags |= COLO_F_LEARNED;
    }
    return colo_conn_state(flags);
}

/* Returns true if 'p', travelling in 'dir', is a SYN that opens a new
 * connection on the key of 'conn' instead of repeating the one 'conn'
 * tracks: a SYN or the peer's SYN+ACK once 'conn' is closed, or a SYN
 * (without ACK) whose sequence number differs from the one that opened
 * 'conn'. */
bool
colo_conn_is_new_incarnation(const struct colo_conn *conn,
                             const struct colo_tcp *p,
                             enum colo_direction dir)
{
    uint32_t flags = colo_conn_flags(conn);
    uint32_t seq = colo_tcp_seq(p);

    if (!(p->flags & TCP_SYN)) {
        return false;
    } else if (flags & COLO_F_CLOSED) {
        /* A SYN after the close opens a new connection; so does the peer's
         * SYN+ACK, which may reach us before the SVM's new SYN when the VM
         * is the client (the SVM lags behind the PVM).  The SVM's SYN+ACK
         * can only repeat the old handshake: a new one starts with the
         * peer's SYN. */
        return !(dir == COLO_SECONDARY && p->flags & TCP_ACK);
    } else if (p->flags & TCP_ACK) {
        return false;
    } else if (dir == COLO_PRIMARY) {
        return (colo_conn_role(flags) != COLO_ROLE_VM_SERVER
                || conn->peer_isn != seq);
    } else {
        return (colo_conn_role(flags) != COLO_ROLE_VM_CLIENT
                || (colo_conn_halves(flags) & COLO_HAVE_SVM
                    && colo_conn_svm_isn(conn) != seq));
    }
}

/* Learns the window scaling of 'conn' from SYN or SYN+ACK 'p', travelling
 * in 'dir'.  Only the SVM's first SYN counts for its shift.  Called with
 * the zone's mutex held. */
static void
colo_conn_learn_wscale(struct colo_conn *conn, const struct colo_tcp *p,
                       enum colo_direction dir)
{
    if (!p->has_wscale) {
        return;
    } else if (dir == COLO_PRIMARY) {
        colo_conn_add_wscale(conn, COLO_WSCALE_PEER);
    } else if (!(colo_conn_wscale(colo_conn_flags(conn)) & COLO_WSCALE_SVM)) {
        /* RFC 7323: a shift above 14 is taken as 14. */
        colo_conn_add_wscale(conn, COLO_WSCALE_SVM | MIN(p->wscale, 14));
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
    unsigned int ws = colo_conn_wscale(flags);
    uint32_t ack, win;

    if (!(flags & COLO_F_SVM_ACK)) {
        return true;
    }
    atomic_read_relaxed(&conn->svm_ack_win, &ack_win);
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
 * packets change nothing.
 *
 * Returns true if 'p' gave the PVM's half before the SVM's was known: the
 * SVM lags behind the PVM, and 'p' passes unrewritten.  Called with the
 * zone's mutex held. */
bool
colo_conn_learn(struct colo_zone *zone, struct colo_conn *conn,
                const struct colo_tcp *p, enum colo_direction dir)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_young *young = colo_young_find(zone, conn);
    uint32_t cflags = colo_conn_flags(conn);
    enum colo_role role = colo_conn_role(cflags);
    unsigned int halves = colo_conn_halves(cflags);
    bool pvm_first = false;
    uint16_t flags = p->flags;
    uint32_t seq = colo_tcp_seq(p);
    uint32_t ack = colo_tcp_ack(p);

    if (cflags & COLO_F_LEARNED || flags & TCP_RST || !young) {
        return false;
    }

    if (flags & TCP_SYN) {
        colo_conn_learn_wscale(conn, p, dir);
    }
    if (dir == COLO_SECONDARY) {
        if (flags & TCP_SYN && !(halves & COLO_HAVE_SVM)) {
            role = (flags & TCP_ACK ? COLO_ROLE_VM_SERVER
                    : COLO_ROLE_VM_CLIENT);
            atomic_store_relaxed(&conn->svm_isn, seq);
            halves |= COLO_HAVE_SVM;
            if (p->ts_ofs) {
                young->svm_ts = colo_tcp_get32(p, p->ts_ofs + 2);
                halves |= COLO_HAVE_SVM_TS;
            }
        }
    } else {
        bool learn = false;

        if (flags & TCP_SYN) {
            if (flags & TCP_ACK) {
                role = COLO_ROLE_VM_CLIENT;
                learn = true;
            } else if (role == COLO_ROLE_UNKNOWN) {
                role = COLO_ROLE_VM_SERVER;
                conn->peer_isn = seq;
            }
        } else if (flags & TCP_ACK && role == COLO_ROLE_VM_SERVER) {
            learn = true;
        }

        if (learn && !(halves & COLO_HAVE_PVM)) {
            uint32_t pvm_ts = 0;

            pvm_first = !(halves & COLO_HAVE_SVM);
            halves |= COLO_HAVE_PVM;
            if (p->ts_ofs) {
                pvm_ts = colo_tcp_get32(p, p->ts_ofs + 6);
                halves |= COLO_HAVE_PVM_TS;
            }
            atomic_store_relaxed(&conn->deltas,
                                 ((uint64_t) (ack - 1) << 32) | pvm_ts);
        }
    }
    if (role != colo_conn_role(cflags)) {
        colo_conn_set_role(conn, role);
    }
    if (halves != colo_conn_halves(cflags)) {
        colo_conn_add_halves(conn, halves);
    }

    if ((halves & (COLO_HAVE_SVM | COLO_HAVE_PVM))
        == (COLO_HAVE_SVM | COLO_HAVE_PVM)) {
        uint64_t pvm_half;

        atomic_read_relaxed(&conn->deltas, &pvm_half);

        uint32_t svm_isn = colo_conn_svm_isn(conn);
        uint32_t seq_delta = svm_isn - (uint32_t) (pvm_half >> 32);
        uint32_t ts_delta = 0;
        uint32_t new_flags = COLO_F_LEARNED;

        if ((halves & (COLO_HAVE_SVM_TS | COLO_HAVE_PVM_TS))
            == (COLO_HAVE_SVM_TS | COLO_HAVE_PVM_TS)) {
            ts_delta = young->svm_ts - (uint32_t) pvm_half;
            new_flags |= COLO_F_TS;
        }
        if (role == COLO_ROLE_VM_CLIENT) {
            /* The peer's SYN+ACK answered a SYN that only the VM can have
             * sent, on a port the VM chose. */
            new_flags |= COLO_F_ASSURED;
        }
        atomic_store_relaxed(&young->svm_nxt, svm_isn + 1);
        atomic_store_relaxed(&conn->deltas,
                             ((uint64_t) seq_delta << 32) | ts_delta);
        colo_conn_set_flags(conn, new_flags);
        if (new_flags & COLO_F_ASSURED) {
            colo_young_drop(zone, conn);
        }
    }
    return pvm_first;
}

/* Looks at 'p', travelling in 'dir' on learned 'conn' that is not assured
 * yet, for what only the real ends of the connection can send, and marks
 * 'conn' assured if it finds it:
 *
 *   - The peer acknowledges data that the SVM sent: an off-path attacker
 *     who forged the handshake does not see how much the SVM sent.
 *
 *   - The SVM goes on with the connection after a checkpoint, with a
 *     segment that is neither a SYN (the SVM's SYN+ACK, which it sends
 *     again for a handshake the PVM never completed) nor a RST.
 *
 * 'flags' are the flags of 'conn' when 'p' was looked up, 'seq_delta' its
 * sequence delta. */
void
colo_conn_assure(struct colo_zone *zone, struct colo_conn *conn,
                 const struct colo_tcp *p, enum colo_direction dir,
                 uint32_t flags, uint32_t seq_delta)
{
    struct colo_young *young = colo_young_find(zone, conn);
    bool assured = false;
    uint32_t svm_nxt;

    if (!young) {
        /* Assured meanwhile. */
        return;
    }
    atomic_read_relaxed(&young->svm_nxt, &svm_nxt);
    if (dir == COLO_SECONDARY) {
        uint32_t end = colo_tcp_seq(p) + p->payload_len;

        if (p->payload_len && INT_MOD_GT(end, svm_nxt)) {
            atomic_store_relaxed(&young->svm_nxt, end);
        }
        assured = (flags & COLO_F_CHECKPOINTED
                   && !(p->flags & (TCP_SYN | TCP_RST)));
    } else if (p->flags & TCP_ACK) {
        uint32_t ack = colo_tcp_ack(p) + seq_delta;

        assured = (INT_MOD_GT(ack, colo_conn_svm_isn(conn) + 1)
                   && INT_MOD_GEQ(svm_nxt, ack));
    }
    if (assured) {
        colo_conn_set_flags(conn, COLO_F_ASSURED);
        ovs_mutex_lock(&zone->mutex);
        colo_young_drop(zone, conn);
        ovs_mutex_unlock(&zone->mutex);
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
void
colo_conn_track_close(struct colo_zone *zone, struct colo_conn *conn,
                      const struct colo_tcp *p, enum colo_direction dir,
                      uint32_t flags, uint32_t seq_delta)
{
    uint32_t seq = colo_tcp_seq(p);
    uint32_t ack = colo_tcp_ack(p);
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

/* A checkpoint made the SVM a copy of the PVM: from now on 'conn' has the
 * PVM's numbers on both sides, and its deltas are 0, also for a handshake
 * in progress.  Called with the zone's mutex held. */
void
colo_conn_checkpoint(struct colo_zone *zone, struct colo_conn *conn)
    OVS_REQUIRES(zone->mutex)
{
    struct colo_young *young = colo_young_find(zone, conn);
    uint32_t flags = colo_conn_flags(conn);
    unsigned int halves = colo_conn_halves(flags);
    uint32_t svm_isn = colo_conn_svm_isn(conn);
    uint64_t deltas;
    uint32_t set;

    atomic_read_relaxed(&conn->deltas, &deltas);
    if (flags & COLO_F_LEARNED) {
        svm_isn -= deltas >> 32;
        if (young) {
            uint32_t svm_nxt;

            atomic_read_relaxed(&young->svm_nxt, &svm_nxt);
            atomic_store_relaxed(&young->svm_nxt, svm_nxt - (deltas >> 32));
            young->svm_ts -= (uint32_t) deltas;
        }
    } else {
        if (halves & COLO_HAVE_PVM) {
            svm_isn = deltas >> 32;
            if (young) {
                young->svm_ts = deltas;
            }
        }
        if (young) {
            atomic_store_relaxed(&young->svm_nxt, svm_isn + 1);
        }
    }
    atomic_store_relaxed(&conn->svm_isn, svm_isn);
    colo_conn_checkpoint_fin(conn, flags, deltas >> 32);
    /* The connection uses timestamps if either side offered them. */
    bool ts = (flags & COLO_F_TS
               || halves & (COLO_HAVE_SVM_TS | COLO_HAVE_PVM_TS));
    atomic_store_relaxed(&conn->deltas, 0);
    set = (COLO_F_LEARNED | (ts ? COLO_F_TS : 0)
           | ((uint32_t) (COLO_HAVE_SVM | COLO_HAVE_PVM
                          | (ts ? COLO_HAVE_SVM_TS | COLO_HAVE_PVM_TS : 0))
              << COLO_F_HALVES_SHIFT));
    if (!(flags & COLO_F_ASSURED)) {
        /* The SVM now has the PVM's connections, and only those: if it
         * goes on with this one, the PVM has it too (see
         * colo_conn_assure()). */
        set |= COLO_F_CHECKPOINTED;
    }
    colo_conn_set_flags(conn, set);
}

/* Brings 'conn' up to date with the checkpoints of 'zone' that came after
 * its values were set (see "Checkpoints" in colo-rewrite-private.h).  One
 * colo_conn_checkpoint() stands for any number of checkpoints: after the
 * first, the deltas are 0 and the others change nothing.  Called with the
 * zone's mutex held. */
void
colo_conn_sync(struct colo_zone *zone, struct colo_conn *conn)
    OVS_REQUIRES(zone->mutex)
{
    uint32_t epoch = colo_zone_epoch(zone);

    if (colo_conn_epoch(conn) != epoch) {
        if (colo_conn_flags(conn) & COLO_F_CAND) {
            colo_cand_checkpoint(zone, conn);
        }
        colo_conn_checkpoint(zone, conn);
        atomic_store_explicit(&conn->epoch, epoch, memory_order_release);
    }
}
