#! /usr/bin/env python3
# Copyright (c) 2026 The ovs-colo authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at:
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""A stand-in for COLO's packet comparator, for tests and demos.

Uses only the Python standard library.  Needs root (raw packet sockets).

colo-compare.py --primary IFACE --secondary IFACE [--hold SECONDS] [--verbose]

Once its sockets are open it says so on stderr:

    colo-compare: holding IFACE for IFACE

In COLO a packet of the PVM reaches the client only once the SVM has sent
the same packet.  So a client never acknowledges bytes that the SVM has
not sent yet; if it did, the SVM's TCP would ignore the acknowledgement
(RFC 793) and, once behind, never catch up.  This program does the holding
part of that job, not the comparing (captures can compare afterwards):

  - Every frame that arrives on --primary (the PVM's output) is held, then
    sent back out of --primary (towards the client, through the switch).
  - Frames that arrive on --secondary (the SVM's output, already moved
    into the PVM's numbering by colo_rewrite(secondary)) are only looked
    at, never sent anywhere.
  - A held TCP segment of the PVM is released as soon as the SVM's
    segments of the same connection (same addresses and ports) have
    reached it: a SYN once the SVM sent a SYN; sequence space (data, SYN,
    FIN) once the SVM's highest sequence number is at least as high; an
    acknowledgement number once the SVM acknowledged at least as much.
    Segments released together go in the order they arrived; a segment
    that the SVM has not reached does not hold back later ones (such as
    the PVM's retransmissions).  A RST, and anything that is not TCP, is
    released at once.
  - A segment held longer than --hold seconds (default 2), where COLO
    would checkpoint, is released anyway and counted as late.
  - The window that a released segment offers the client ends no further
    than the SVM's own offer (the highest acknowledgement plus window the
    SVM has advertised, scaled as each side's SYN says): the client sends
    within what both replicas take.  The two guests size their receive
    windows on their own, and an SVM whose window is the smaller would
    otherwise drop what the client sends beyond it (TcpExtBeyondWindow);
    the client, which sees only the PVM's acknowledgements, would never
    send it again.  In COLO the SVM's output would then differ and a
    checkpoint bring it back; here nothing would.  Segments so changed
    (window field and TCP checksum, incrementally) are counted as clamped.

On SIGTERM or SIGINT it prints, and exits:

    released N late N clamped N

(late segments mean that the SVM fell behind, or that its segments were
not moved into the PVM's numbering).  Exit status 0.  With --verbose it
also describes each late segment on stderr as it goes, and at the end how
many frames each socket received and dropped.
"""

import argparse
import collections
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_RCVBUFFORCE = getattr(socket, 'SO_RCVBUFFORCE', 33)     # Linux.
VLAN_TPIDS = (0x8100, 0x88a8)

TH_FIN, TH_SYN, TH_RST, TH_ACK = 0x01, 0x02, 0x04, 0x10


def seq_ge(a, b):
    """a >= b in sequence number arithmetic."""
    return ((a - b) & 0xffffffff) < 0x80000000


def tcp_window_scale(frame, ofs, hlen):
    """The window scale option of the TCP header at 'ofs', or 0."""
    i, end = ofs + 20, ofs + hlen
    while i < end:
        kind = frame[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= end or frame[i + 1] < 2:
            break
        if kind == 3 and frame[i + 1] == 3 and i + 2 < end:
            return min(frame[i + 2], 14)
        i += frame[i + 1]
    return 0


class Segment:
    """What matters here of one TCP segment: 'key' identifies the direction
    of the connection, 'end' is the sequence number that follows the
    segment (data, SYN and FIN count), 'tcp_ofs' is where its TCP header
    starts in the frame, 'wscale' is the window scale option of a SYN."""

    __slots__ = ('key', 'seq', 'end', 'ack', 'flags', 'win', 'wscale',
                 'tcp_ofs')

    def __init__(self, key, seq, end, ack, flags, win, wscale, tcp_ofs):
        self.key, self.seq, self.end, self.ack = key, seq, end, ack
        self.flags, self.win, self.wscale = flags, win, wscale
        self.tcp_ofs = tcp_ofs

    def right_edge(self, scale):
        """The highest sequence number this segment lets the peer send,
        for the window scale 'scale' of its sender (SYNs are unscaled)."""
        if self.flags & TH_SYN:
            scale = 0
        return (self.ack + (self.win << scale)) & 0xffffffff


def tcp_of(frame):
    """Returns the Segment of a TCP frame, or None."""
    ofs = 12
    if len(frame) < 14:
        return None
    eth_type, = struct.unpack_from('!H', frame, ofs)
    while eth_type in VLAN_TPIDS and len(frame) >= ofs + 6:
        eth_type, = struct.unpack_from('!H', frame, ofs + 4)
        ofs += 4
    ofs += 2
    if eth_type == 0x0800 and len(frame) >= ofs + 20:
        ihl = (frame[ofs] & 0x0f) * 4
        tot_len, frag = struct.unpack_from('!HxxH', frame, ofs + 2)
        if frame[ofs + 9] != 6 or frag & 0x1fff or ihl < 20:
            return None
        addrs = bytes(frame[ofs + 12:ofs + 20])
        end = ofs + tot_len
        ofs += ihl
    elif eth_type == 0x86dd and len(frame) >= ofs + 40:
        plen, nxt = struct.unpack_from('!HB', frame, ofs + 4)
        if nxt != 6:
            return None         # Extension headers: not in these tests.
        addrs = bytes(frame[ofs + 8:ofs + 40])
        end = ofs + 40 + plen
        ofs += 40
    else:
        return None
    if end > len(frame) or end < ofs + 20:
        return None
    ports = bytes(frame[ofs:ofs + 4])
    seq, ack, off, flags, win = struct.unpack_from('!IIBBH', frame, ofs + 4)
    hlen = (off >> 4) * 4
    if hlen < 20 or ofs + hlen > end:
        return None
    seg_end = (seq + end - ofs - hlen + (1 if flags & TH_SYN else 0)
               + (1 if flags & TH_FIN else 0)) & 0xffffffff
    wscale = tcp_window_scale(frame, ofs, hlen) if flags & TH_SYN else 0
    return Segment(addrs + ports, seq, seg_end, ack, flags, win, wscale, ofs)


def clamp_window(frame, seg, edge, scale):
    """Returns 'frame' with the window of its segment 'seg' (whose sender
    scales by 'scale') lowered so that it ends no further than 'edge', or
    None if it already does.  Adjusts the TCP checksum (RFC 1624)."""
    if seg.flags & TH_SYN:
        scale = 0
    if seq_ge(edge, seg.right_edge(scale)) or not seq_ge(edge, seg.ack):
        return None
    win = ((edge - seg.ack) & 0xffffffff) >> scale
    frame = bytearray(frame)
    struct.pack_into('!H', frame, seg.tcp_ofs + 14, win)
    csum, = struct.unpack_from('!H', frame, seg.tcp_ofs + 16)
    csum = (~csum & 0xffff) + (~seg.win & 0xffff) + win
    csum = (csum & 0xffff) + (csum >> 16)
    csum = (csum & 0xffff) + (csum >> 16)
    struct.pack_into('!H', frame, seg.tcp_ofs + 16, ~csum & 0xffff)
    seg.win = win
    return bytes(frame)


class Progress:
    """How far the SVM got in one direction of one connection."""

    def __init__(self):
        self.syn = False
        self.end = None
        self.ack = None
        self.edge = None        # Highest right edge of its window offers.
        self.wscale = 0

    def update(self, seg):
        if seg.flags & TH_SYN:
            # The SVM's SYN or SYN+ACK is in its own numbering.
            self.syn = True
            self.end = None
            self.edge = None
            self.wscale = seg.wscale
        elif seg.end != seg.seq:
            if self.end is None or seq_ge(seg.end, self.end):
                self.end = seg.end
        if seg.flags & TH_ACK:
            if self.ack is None or seq_ge(seg.ack, self.ack):
                self.ack = seg.ack
            edge = seg.right_edge(self.wscale)
            if self.edge is None or seq_ge(edge, self.edge):
                self.edge = edge

    def covers(self, seg):
        if seg.flags & TH_RST:
            return True
        if seg.flags & TH_SYN:
            if not self.syn:
                return False
        elif seg.end != seg.seq and (self.end is None
                                     or not seq_ge(self.end, seg.end)):
            return False
        if seg.flags & TH_ACK and (self.ack is None
                                   or not seq_ge(self.ack, seg.ack)):
            return False
        return True


def open_socket(iface):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                         socket.htons(ETH_P_ALL))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    sock.bind((iface, 0))
    sock.setblocking(False)
    return sock


def main():
    parser = argparse.ArgumentParser(
        prog='colo-compare.py', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--primary', required=True)
    parser.add_argument('--secondary', required=True)
    parser.add_argument('--hold', type=float, default=2.0)
    parser.add_argument('--verbose', action='store_true')
    args = parser.parse_args()

    primary = open_socket(args.primary)
    secondary = open_socket(args.secondary)
    print('colo-compare: holding %s for %s' % (args.primary, args.secondary),
          file=sys.stderr, flush=True)

    progress = collections.defaultdict(Progress)
    pvm_wscale = {}     # Per connection, the window scale of the PVM's SYN.
    held = {}           # Per connection, a deque of (deadline, frame, seg).
    stats = {'released': 0, 'late': 0, 'clamped': 0, 'send errors': 0}
    stop = []

    def on_signal(signum, frame):
        stop.append(signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def release(frame, seg=None):
        p = progress.get(seg.key) if seg else None
        if p is not None and p.edge is not None and seg.flags & TH_ACK:
            clamped = clamp_window(frame, seg, p.edge,
                                   pvm_wscale.get(seg.key, 0))
            if clamped is not None:
                frame = clamped
                stats['clamped'] += 1
        try:
            primary.send(frame)
        except OSError:
            stats['send errors'] += 1
        stats['released'] += 1

    def drain(key):
        """Releases what the SVM has caught up with, and what waited too
        long, of the held segments of connection 'key'."""
        now = time.monotonic()
        kept = collections.deque()
        for item in held[key]:
            deadline, frame, seg = item
            if progress[key].covers(seg):
                release(frame, seg)
            elif now >= deadline:
                release(frame, seg)
                stats['late'] += 1
                if args.verbose:
                    p = progress[key]
                    print('late: seq=%d end=%d ack=%d flags=%#x; '
                          'SVM: syn=%s end=%s ack=%s'
                          % (seg.seq, seg.end, seg.ack, seg.flags,
                             p.syn, p.end, p.ack),
                          file=sys.stderr, flush=True)
            else:
                kept.append(item)
        if kept:
            held[key] = kept
        else:
            del held[key]

    def receive(sock):
        """Yields the frames waiting on 'sock' that arrived on it."""
        while True:
            try:
                frame, addr = sock.recvfrom(65535)
            except BlockingIOError:
                return
            if addr[2] != PACKET_OUTGOING:
                yield frame

    while not stop:
        timeout = 0.5
        if held:
            # Each deque is in arrival order, so its first is due first.
            first = min(q[0][0] for q in held.values())
            timeout = max(0.0, min(timeout, first - time.monotonic()))
        try:
            ready, _, _ = select.select([primary, secondary], [], [],
                                        timeout)
        except InterruptedError:
            continue
        if secondary in ready:
            for frame in receive(secondary):
                seg = tcp_of(frame)
                if seg:
                    progress[seg.key].update(seg)
        if primary in ready:
            for frame in receive(primary):
                seg = tcp_of(frame)
                if seg is None:
                    release(frame)
                else:
                    if seg.flags & TH_SYN:
                        pvm_wscale[seg.key] = seg.wscale
                    held.setdefault(seg.key, collections.deque()).append(
                        (time.monotonic() + args.hold, frame, seg))
        for key in list(held):
            drain(key)

    print('released %d late %d clamped %d'
          % (stats['released'], stats['late'], stats['clamped']))
    if args.verbose:
        for name, sock in (('primary', primary), ('secondary', secondary)):
            n, drops = struct.unpack(
                'II', sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
            print('%s: %d packets, %d dropped' % (name, n, drops),
                  file=sys.stderr)
        print('%d send errors' % stats['send errors'], file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
