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

"""The other end of QEMU's COLO filter sockets, and a QMP client.

Uses only the Python standard library (3.9 or later).  Written for the
ovs-colo tests that run a real QEMU (tests/colo-qemu.sh): it speaks the
framing of QEMU's filter-mirror, filter-redirector and colo-compare
chardevs, as tests/colo-qemu-facts.md describes it:

    without vnet_hdr_support:  LEN (4 bytes, big-endian), then LEN bytes
    with vnet_hdr_support=on:  LEN, VLEN (4 bytes, big-endian), then LEN
                               bytes

where the LEN bytes are what QEMU's net layer carries between the guest's
NIC and its netdev: the virtio-net header, if the netdev uses one (VLEN
bytes of it; LEN counts them), then the Ethernet frame.  The framing flag
and the header are independent: with vnet_hdr_support off, a netdev that
uses a header still carries it, unannounced.

Addresses (ADDR):

    tcp:HOST:PORT          connect (retrying until the timeout)
    tcp-listen:HOST:PORT   listen and accept one connection
    unix:PATH              connect to a Unix socket
    unix-listen:PATH       listen on a Unix socket

Commands:

    roundtrip --send ADDR --recv ADDR [--vnet-hdr] [--hdr-len N]
              [--sizes LIST] [--repeat N] [--timeout S] ...
        Sends test frames (Ethernet type 0x88b5, numbered, deterministic
        contents, not addressed to the guest unless --dst says so) to
        ADDR --send (a filter-redirector's indev), and reads what comes
        back on --recv (a filter-mirror's outdev on the same netdev and
        queue): every frame sent must come back byte-exact and in order.
        The same ADDR twice: one connection both ways.
        Frames that are not ours (the guest's, the host's) are counted and
        otherwise ignored.  Exit status 0 if all came back.

    dump ADDR [--vnet-hdr] [--hdr-len N|auto] [--count N] [--duration S]
         [--pcap FILE]
        Prints one line per frame read from ADDR: the length fields, the
        virtio-net header decoded, the Ethernet, IP and TCP headers.

    send ADDR [--vnet-hdr] [--hdr-len N] [--sizes LIST] [--raw HEX]...
        Sends test frames, or raw bytes (--raw, in order with the frames:
        --raw comes first), to ADDR, then waits --linger seconds.

    qmp SOCKET COMMAND [ARGUMENTS-JSON]
        Runs one QMP command and prints its "return" value as JSON.

    arp --send ADDR --recv ADDR --target IP [--vnet-hdr] [--hdr-len N]
        Injects ARP requests for IP through --send (a filter-redirector
        toward the guest) until the guest's reply shows on --recv (a
        filter-mirror of what the guest sends): proof that injected
        frames reach the guest's stack.

    compare --primary ADDR --secondary ADDR --out ADDR [--vnet-hdr] ...
        Feeds QEMU's colo-compare the same TCP segments (a made-up
        connection from the guest, 10.1.1.2:5000) on primary_in and
        secondary_in, and checks that the primary's come out on outdev,
        byte-exact and in order: what a to-compare port must achieve.

    events SOCKET [--count N] [--timeout S]
        Prints QMP events, one JSON object a line.

    sha256 ADDR --bytes N      (the guest's TCP port 5000)
    generate ADDR --bytes N    (the guest's TCP port 5001)
        Talk to the guest's services; exit 0 if the answer is right.

    sha256-server tcp-listen:HOST:PORT [--count N] [--ready FILE]
        Serves as the guest's TCP port 5000 does, byte for byte: the
        PVM's part when the guest is the SVM.
"""

import argparse
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time

ETH_TYPE_TEST = 0x88b5          # IEEE 802 local experimental
MAGIC = b"COLOPEER"
DEFAULT_DST = "02:00:00:00:00:99"
DEFAULT_SRC = "02:00:00:00:00:98"

VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
VIRTIO_NET_HDR_F_DATA_VALID = 2
GSO_TYPES = {0: "none", 1: "tcpv4", 3: "udp", 4: "tcpv6", 5: "udp_l4"}


class PeerError(Exception):
    pass


def parse_mac(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError("bad MAC %r" % text)
    return bytes(int(p, 16) for p in parts)


def fmt_mac(b):
    return ":".join("%02x" % x for x in b)


def parse_sizes(text):
    """"60,61,100-110,1514" -> [60, 61, 100, ..., 110, 1514]."""
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            step = 1
            if "/" in hi:
                hi, step = hi.split("/", 1)
            sizes.extend(range(int(lo), int(hi) + 1, int(step)))
        else:
            sizes.append(int(part))
    return sizes


def open_socket(addr, deadline):
    """Connects to, or listens on and accepts one connection at, ADDR."""
    kind, _, rest = addr.partition(":")
    if kind in ("tcp", "tcp-listen"):
        host, _, port = rest.rpartition(":")
        family, target = socket.AF_INET, (host or "127.0.0.1", int(port))
        if ":" in host:
            family = socket.AF_INET6
            target = (host.strip("[]"), int(port))
    elif kind in ("unix", "unix-listen"):
        family, target = socket.AF_UNIX, rest
    else:
        raise PeerError("bad address %r" % addr)

    if kind.endswith("-listen"):
        lsock = socket.socket(family, socket.SOCK_STREAM)
        if family != socket.AF_UNIX:
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        elif os.path.exists(target):
            os.unlink(target)
        lsock.bind(target)
        lsock.listen(1)
        lsock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            sock, _ = lsock.accept()
        except socket.timeout:
            raise PeerError("nobody connected to %s" % addr)
        finally:
            lsock.close()
    else:
        while True:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                sock.connect(target)
                break
            except OSError as e:
                sock.close()
                if time.monotonic() >= deadline:
                    raise PeerError("cannot connect to %s: %s" % (addr, e))
                time.sleep(0.1)
    sock.settimeout(None)
    if family != socket.AF_UNIX:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def frame_prefix(length, vnet_hdr, vnet_len):
    if vnet_hdr:
        return struct.pack("!II", length, vnet_len)
    return struct.pack("!I", length)


class FrameReader:
    """Reads QEMU-framed frames from a socket, with a deadline."""

    def __init__(self, sock, vnet_hdr):
        self.sock = sock
        self.vnet_hdr = vnet_hdr
        self.buf = bytearray()

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                return False
            if not data:
                raise EOFError
            self.buf += data
        return True

    def read(self, deadline):
        """Returns (LEN, VLEN or None, bytes), or None at the deadline.
        Raises EOFError if the peer closed."""
        head = 8 if self.vnet_hdr else 4
        if not self._fill(head, deadline):
            return None
        length = struct.unpack_from("!I", self.buf, 0)[0]
        vlen = (struct.unpack_from("!I", self.buf, 4)[0]
                if self.vnet_hdr else None)
        if length > 1 << 24:
            raise PeerError("absurd frame length %d" % length)
        if not self._fill(head + length, deadline):
            return None
        data = bytes(self.buf[head:head + length])
        del self.buf[:head + length]
        return length, vlen, data


def test_frame(seq, size, dst, src, hdr_len):
    """Test frame SEQ of SIZE bytes (Ethernet, without the virtio-net
    header), preceded by HDR_LEN zero bytes (a virtio-net header: no
    offload)."""
    if size < 14 + len(MAGIC) + 8:
        raise PeerError("frame size %d is too small (at least %d)"
                        % (size, 14 + len(MAGIC) + 8))
    head = (dst + src + struct.pack("!H", ETH_TYPE_TEST) + MAGIC
            + struct.pack("!II", seq, size))
    n = size - len(head)
    # Deterministic, different for every frame and every offset.
    pattern = bytes(((seq * 7 + i * 13 + (i >> 8)) & 0xff)
                    for i in range(min(n, 4096)))
    body = (pattern * (n // 4096 + 1))[:n] if n > 4096 else pattern
    return bytes(hdr_len) + head + body


def is_test_frame(data, hdr_len):
    off = hdr_len + 14
    return (len(data) >= off + len(MAGIC) + 8
            and data[hdr_len + 12:hdr_len + 14]
            == struct.pack("!H", ETH_TYPE_TEST)
            and data[off:off + len(MAGIC)] == MAGIC)


def test_frame_seq(data, hdr_len):
    off = hdr_len + 14 + len(MAGIC)
    return struct.unpack_from("!I", data, off)[0]


def decode_vnet_hdr(h):
    if len(h) < 10:
        return "hdr=%s" % h.hex()
    flags, gso, hlen, gsize, cstart, coff = struct.unpack_from("<BBHHHH", h)
    s = ("flags=%#x%s%s gso=%s hdr_len=%d gso_size=%d csum_start=%d "
         "csum_offset=%d" % (
             flags,
             ",NEEDS_CSUM" if flags & VIRTIO_NET_HDR_F_NEEDS_CSUM else "",
             ",DATA_VALID" if flags & VIRTIO_NET_HDR_F_DATA_VALID else "",
             GSO_TYPES.get(gso & 0x7f, str(gso))
             + ("+ecn" if gso & 0x80 else ""),
             hlen, gsize, cstart, coff))
    if len(h) >= 12:
        s += " num_buffers=%d" % struct.unpack_from("<H", h, 10)[0]
    return s


def decode_eth(f):
    if len(f) < 14:
        return "short frame %s" % f.hex()
    s = "%s > %s" % (fmt_mac(f[6:12]), fmt_mac(f[0:6]))
    et = struct.unpack_from("!H", f, 12)[0]
    if et == 0x0800 and len(f) >= 34:
        ihl = (f[14] & 15) * 4
        tot = struct.unpack_from("!H", f, 16)[0]
        proto = f[23]
        s += " ipv4 %s > %s len=%d" % (socket.inet_ntoa(f[26:30]),
                                        socket.inet_ntoa(f[30:34]), tot)
        l4 = 14 + ihl
        if proto == 6 and len(f) >= l4 + 20:
            sp, dp, seq, ack, off, fl = struct.unpack_from("!HHIIBB", f, l4)
            names = "".join(c for c, bit in zip("FSRPAU", range(6))
                            if fl & (1 << bit))
            payload = tot - ihl - (off >> 4) * 4
            s += " tcp %d > %d [%s] seq=%d ack=%d payload=%d" % (
                sp, dp, names, seq, ack, payload)
        elif proto == 17:
            s += " udp"
        elif proto == 1:
            s += " icmp type=%d" % f[l4]
        else:
            s += " proto=%d" % proto
    elif et == 0x0806:
        s += " arp"
    elif et == 0x86dd:
        s += " ipv6 next=%d" % f[20] if len(f) > 20 else " ipv6"
    elif et == ETH_TYPE_TEST and is_test_frame(f, 0):
        s += " colo-peer-test seq=%d" % test_frame_seq(f, 0)
    else:
        s += " type=%#06x" % et
    return s


SYNC_SEQ = 0xffffffff


def sync_frames(ssock, reader, args, dst, src, deadline):
    """Sends a sync frame every 0.1 s until one comes back on READER, then
    drains what else comes back within 0.3 s.  A mirror whose chardev was
    still connected to an earlier peer, which has gone, loses the frames
    it writes until it notices (see colo-qemu-facts.md)."""
    f = test_frame(SYNC_SEQ, 64, dst, src, args.hdr_len)
    msg = frame_prefix(len(f), args.vnet_hdr, args.hdr_len) + f
    end = time.monotonic() + args.timeout
    sent = 0
    while True:
        if time.monotonic() >= end:
            raise PeerError("sync: none of %d sync frames came back" % sent)
        ssock.sendall(msg)
        sent += 1
        got = reader.read(time.monotonic() + 0.1)
        while got is not None:
            if (is_test_frame(got[2], args.hdr_len)
                    and test_frame_seq(got[2], args.hdr_len) == SYNC_SEQ):
                break
            got = reader.read(time.monotonic() + 0.01)
        if got is not None:
            break
    # Drain the sync frames still on their way.
    while reader.read(time.monotonic() + 0.3) is not None:
        pass
    if args.verbose:
        print("sync: %d sync frames sent" % sent)


def cmd_roundtrip(args):
    deadline = time.monotonic() + args.connect_timeout
    dst, src = parse_mac(args.dst), parse_mac(args.src)
    sizes = parse_sizes(args.sizes) * args.repeat
    frames = [test_frame(i, size, dst, src, args.hdr_len)
              for i, size in enumerate(sizes)]

    # The receiving side first: QEMU's mirror drops what it cannot write.
    # One address for both: one connection that carries both directions
    # (a colo-proxy port of a switch that loops the frames back).
    rsock = open_socket(args.recv, deadline)
    ssock = rsock if args.send == args.recv else open_socket(args.send,
                                                              deadline)
    time.sleep(args.settle)
    reader = FrameReader(rsock, args.vnet_hdr)

    send_error = []
    vlen_sent = args.hdr_len if args.vlen is None else args.vlen

    if args.sync:
        sync_frames(ssock, reader, args, dst, src, deadline)

    def sender():
        try:
            for raw in args.raw or []:
                ssock.sendall(bytes.fromhex(raw))
            for f in frames:
                ssock.sendall(frame_prefix(len(f), args.vnet_hdr,
                                           vlen_sent) + f)
                if args.gap:
                    time.sleep(args.gap)
        except OSError as e:
            send_error.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()

    ok = 0
    others = 0
    vlens = {}
    failures = []
    deadline = time.monotonic() + args.timeout
    expect = 0
    while expect < len(frames):
        try:
            got = reader.read(deadline)
        except EOFError:
            failures.append("mirror socket closed after %d frames" % expect)
            break
        if got is None:
            failures.append("timeout: frame %d (size %d) and later did not "
                            "come back" % (expect, sizes[expect]))
            break
        length, vlen, data = got
        if not is_test_frame(data, args.hdr_len):
            others += 1
            if args.verbose:
                print("other frame: len=%d vlen=%s %s" % (
                    length, vlen, decode_eth(data[args.hdr_len:])))
            continue
        seq = test_frame_seq(data, args.hdr_len)
        if seq == SYNC_SEQ:
            continue
        vlens[vlen] = vlens.get(vlen, 0) + 1
        if seq != expect:
            failures.append("frame %d came back where %d was expected"
                            % (seq, expect))
            if seq < expect or seq >= len(frames):
                continue
            expect = seq
        want = frames[expect]
        if data != want:
            diff = next((i for i in range(min(len(data), len(want)))
                         if data[i] != want[i]), min(len(data), len(want)))
            failures.append("frame %d (size %d) came back different: "
                            "%d bytes instead of %d, first difference at "
                            "byte %d" % (expect, sizes[expect], len(data),
                                         len(want), diff))
        else:
            ok += 1
        if args.expect_vnet_len is not None and vlen != args.expect_vnet_len:
            failures.append("frame %d: vnet header length field %s, "
                            "expected %d" % (expect, vlen,
                                             args.expect_vnet_len))
        expect += 1
    t.join(1)
    if send_error:
        failures.append("sending failed: %s" % send_error[0])
    if args.linger:
        time.sleep(args.linger)
    ssock.close()
    if rsock is not ssock:
        rsock.close()

    print("roundtrip: sent %d frames (sizes %d to %d), %d came back "
          "byte-exact and in order; vnet header length field: %s; "
          "%d other frames" % (
              len(frames), min(sizes), max(sizes), ok,
              ", ".join("%s x%d" % (k, v) for k, v in sorted(
                  vlens.items(), key=lambda kv: str(kv[0]))) or "-",
              others))
    for f in failures[:20]:
        print("roundtrip: FAIL: %s" % f)
    if len(failures) > 20:
        print("roundtrip: ... and %d more failures" % (len(failures) - 20))
    return 0 if not failures and ok == len(frames) else 1


def arp_request(src_mac, src_ip, target_ip):
    return (b"\xff" * 6 + src_mac + struct.pack("!H", 0x0806)
            + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
            + src_mac + socket.inet_aton(src_ip)
            + bytes(6) + socket.inet_aton(target_ip) + bytes(18))


def cmd_arp(args):
    """Injects ARP requests for --target through --send and waits for the
    guest's reply on --recv (a mirror of what the guest sends)."""
    deadline = time.monotonic() + args.connect_timeout
    rsock = open_socket(args.recv, deadline)
    ssock = open_socket(args.send, deadline)
    reader = FrameReader(rsock, args.vnet_hdr)
    src = parse_mac(args.src)
    req = bytes(args.hdr_len) + arp_request(src, args.sender_ip, args.target)
    msg = frame_prefix(len(req), args.vnet_hdr, args.hdr_len) + req
    end = time.monotonic() + args.timeout
    sent = 0
    while time.monotonic() < end:
        ssock.sendall(msg)
        sent += 1
        step = time.monotonic() + 0.5
        while True:
            got = reader.read(min(step, end))
            if got is None:
                break
            length, vlen, data = got
            hlen = args.recv_hdr_len
            if hlen is None:
                hlen = vlen if vlen is not None else args.hdr_len
            f = data[hlen:]
            if (len(f) >= 42 and f[12:14] == b"\x08\x06"
                    and struct.unpack_from("!H", f, 20)[0] == 2
                    and f[28:32] == socket.inet_aton(args.target)
                    and f[32:38] == src):
                print("arp: %s is at %s (reply to request %d; frame of %d "
                      "bytes, vnet header length field %s)"
                      % (args.target, fmt_mac(f[22:28]), sent, length, vlen))
                return 0
    print("arp: no reply from %s to %d requests" % (args.target, sent))
    return 1


def ip_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def tcp_frame(dst, src, sip, dip, sport, dport, seq, ack, flags, payload):
    """An Ethernet + IPv4 + TCP frame with valid checksums."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp))
    csum = ip_checksum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                     6, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    frame = dst + src + struct.pack("!H", 0x0800) + ip + tcp
    return frame + bytes(max(0, 60 - len(frame)))


def cmd_compare(args):
    """Feeds QEMU's colo-compare the same TCP segments on primary_in and
    secondary_in, and checks that the primary's come out on outdev."""
    deadline = time.monotonic() + args.connect_timeout
    if args.secondary_only:
        ssock = open_socket(args.secondary, deadline)
        for raw in args.secondary_raw or []:
            ssock.sendall(bytes.fromhex(raw))
        time.sleep(0.5)
        ssock.close()
        print("compare: sent only %d raw chunks to secondary_in"
              % len(args.secondary_raw or []))
        return 0
    osock = open_socket(args.out, deadline)
    psock = open_socket(args.primary, deadline)
    ssock = open_socket(args.secondary, deadline)
    for raw in args.secondary_raw or []:
        ssock.sendall(bytes.fromhex(raw))
    # QEMU accepts a connection some time after the kernel completed it;
    # what colo-compare writes to outdev before is lost.
    time.sleep(args.settle)
    reader = FrameReader(osock, args.vnet_hdr)
    dst, src = parse_mac(args.dst), parse_mac(args.src)
    sip, dip = socket.inet_aton("10.1.1.2"), socket.inet_aton("10.1.1.1")
    svlen = (args.secondary_hdr_len if args.secondary_vlen is None
             else args.secondary_vlen)
    sizes = parse_sizes(args.sizes)
    seq = 1000
    sent = []
    for i, n in enumerate(sizes):
        payload = bytes(((i * 7 + j) & 0xff) for j in range(n))
        f = tcp_frame(dst, src, sip, dip, 5000, 40000 + args.port_offset,
                      seq, 1, 0x18, payload)
        spayload = payload
        if args.differ and i == args.differ - 1:
            spayload = bytes([payload[0] ^ 1]) + payload[1:]
        pf = bytes(args.primary_hdr_len) + f
        psock.sendall(frame_prefix(len(pf), args.vnet_hdr,
                                   args.primary_hdr_len) + pf)
        step = args.secondary_split or n
        for off in range(0, n, step):
            sf = tcp_frame(dst, src, sip, dip, 5000,
                           40000 + args.port_offset, seq + off, 1, 0x18,
                           spayload[off:off + step])
            sf = bytes(args.secondary_hdr_len) + sf
            ssock.sendall(frame_prefix(len(sf), args.vnet_hdr, svlen) + sf)
        seq += n
        sent.append(pf)
    ok = 0
    lost = 0
    end = time.monotonic() + args.timeout
    failures = []
    i = 0
    while i < len(sent):
        try:
            got = reader.read(end)
        except EOFError:
            failures.append("outdev closed")
            break
        if got is None:
            failures.append("segment %d (of %d bytes) not released within "
                            "%.1f s" % (i, sizes[i], args.timeout))
            break
        length, vlen, data = got
        if data != sent[i] and i == ok == lost:
            # The first ones may be lost (--allow-lost-head).
            later = [k for k in range(i + 1, min(len(sent),
                                                 args.allow_lost_head + 1))
                     if sent[k] == data]
            if later:
                lost = later[0]
                i = lost
        if data != sent[i]:
            failures.append("segment %d released different: %d bytes, "
                            "VLEN %s" % (i, len(data), vlen))
        else:
            ok += 1
        i += 1
    print("compare: %d segments, %d released byte-exact in order%s "
          "(outdev VLEN %s)" % (len(sent), ok,
                                 ", the first %d lost" % lost if lost else "",
                                 vlen if ok else "-"))
    for f in failures:
        print("compare: FAIL: %s" % f)
    for s_ in (psock, ssock, osock):
        s_.close()
    return 0 if ok + lost == len(sent) and not failures else 1


def write_pcap_header(f):
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))


def cmd_dump(args):
    deadline = time.monotonic() + args.connect_timeout
    sock = open_socket(args.addr, deadline)
    print("dump: connected", flush=True)
    reader = FrameReader(sock, args.vnet_hdr)
    pcap = None
    if args.pcap:
        pcap = open(args.pcap, "wb")
        write_pcap_header(pcap)
    end = time.monotonic() + args.duration
    n = 0
    status = 0
    try:
        while args.count is None or n < args.count:
            try:
                got = reader.read(end)
            except EOFError:
                print("dump: peer closed")
                break
            if got is None:
                break
            length, vlen, data = got
            if args.hdr_len == "auto":
                hlen = vlen or 0
            else:
                hlen = int(args.hdr_len)
            line = "frame %d: len=%d" % (n, length)
            if vlen is not None:
                line += " vnet_hdr_len=%d" % vlen
            if hlen:
                line += " [%s]" % decode_vnet_hdr(data[:hlen])
            line += " eth_len=%d %s" % (length - hlen,
                                        decode_eth(data[hlen:]))
            print(line, flush=True)
            if pcap:
                t = time.time()
                eth = data[hlen:]
                pcap.write(struct.pack("<IIII", int(t),
                                       int((t % 1) * 1e6), len(eth),
                                       len(eth)) + eth)
            n += 1
    finally:
        if pcap:
            pcap.close()
        sock.close()
    print("dump: %d frames" % n)
    if args.count is not None and n < args.count:
        status = 1
    return status


def cmd_send(args):
    deadline = time.monotonic() + args.connect_timeout
    sock = open_socket(args.addr, deadline)
    for raw in args.raw or []:
        sock.sendall(bytes.fromhex(raw))
    dst, src = parse_mac(args.dst), parse_mac(args.src)
    sizes = parse_sizes(args.sizes) if args.sizes else []
    for i, size in enumerate(sizes):
        f = test_frame(args.first_seq + i, size, dst, src, args.hdr_len)
        sock.sendall(frame_prefix(len(f), args.vnet_hdr,
                                  args.hdr_len if args.vlen is None
                                  else args.vlen) + f)
    time.sleep(args.linger)
    sock.close()
    print("send: sent %d raw chunks and %d frames"
          % (len(args.raw or []), len(sizes)))
    return 0


class Qmp:
    def __init__(self, path, timeout):
        self.deadline = time.monotonic() + timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        while True:
            try:
                self.sock.settimeout(max(0.1, self.left()))
                self.sock.connect(path)
                break
            except OSError as e:
                if time.monotonic() >= self.deadline:
                    raise PeerError("cannot connect to %s: %s" % (path, e))
                time.sleep(0.1)
        self.buf = b""
        greeting = self.recv()
        if "QMP" not in greeting:
            raise PeerError("not a QMP greeting: %r" % greeting)
        self.command("qmp_capabilities")

    def left(self):
        return self.deadline - time.monotonic()

    def recv(self):
        while b"\n" not in self.buf:
            left = self.left()
            if left <= 0:
                raise PeerError("QMP timeout")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise PeerError("QMP timeout")
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, name, arguments=None):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            try:
                r = self.recv()
            except EOFError:
                if name == "quit":
                    return {}
                raise PeerError("QMP connection closed")
            if "event" in r:
                continue
            if "error" in r:
                raise PeerError("QMP %s: %s" % (name, r["error"]))
            return r.get("return")


def cmd_qmp(args):
    q = Qmp(args.socket, args.timeout)
    arguments = json.loads(args.arguments) if args.arguments else None
    print(json.dumps(q.command(args.command, arguments), sort_keys=True))
    return 0


def cmd_events(args):
    q = Qmp(args.socket, args.timeout)
    n = 0
    try:
        while args.count is None or n < args.count:
            r = q.recv()
            if "event" in r:
                print(json.dumps(r, sort_keys=True), flush=True)
                n += 1
    except PeerError:
        pass
    except EOFError:
        pass
    return 0 if args.count is None or n >= args.count else 1


def guest_stream(n):
    unit = b"colo-guest\n"
    return (unit * (n // len(unit) + 1))[:n]


def cmd_sha256(args):
    deadline = time.monotonic() + args.timeout
    sock = open_socket(args.addr, deadline)
    data = bytes((i * 31 + (i >> 10)) & 0xff for i in range(args.bytes))
    # A stalled upload must end at the deadline, not hang in sendall().
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        sock.sendall(data)
    except socket.timeout:
        raise PeerError("upload of %d bytes not done within %g s"
                        % (args.bytes, args.timeout))
    sock.shutdown(socket.SHUT_WR)
    reply = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            break
        reply += chunk
    sock.close()
    want = hashlib.sha256(data).hexdigest()
    got = reply.decode(errors="replace").strip()
    print("sha256: sent %d bytes, guest says %s, expected %s"
          % (args.bytes, got, want))
    return 0 if got == want else 1


def cmd_sha256_server(args):
    """Serves --count connections one after the other as the guest's TCP
    port 5000 does: reads until the client shuts down its sending side,
    replies with the SHA-256 of what it read in hex and a newline, and
    closes.  Creates --ready once it listens."""
    kind, _, rest = args.addr.partition(":")
    host, _, port = rest.rpartition(":")
    if kind != "tcp-listen":
        raise PeerError("sha256-server needs tcp-listen:HOST:PORT")
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host or "0.0.0.0", int(port)))
    lsock.listen(8)
    if args.ready:
        open(args.ready, "w").close()
    lsock.settimeout(args.timeout)
    for _ in range(args.count):
        try:
            sock, peer = lsock.accept()
        except socket.timeout:
            raise PeerError("nobody connected within %g s" % args.timeout)
        sock.settimeout(args.timeout)
        h = hashlib.sha256()
        n = 0
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
        sock.sendall(h.hexdigest().encode() + b"\n")
        sock.close()
        print("sha256-server: conn %d read %d bytes %s"
              % (peer[1], n, h.hexdigest()))
        sys.stdout.flush()
    lsock.close()
    return 0


def cmd_generate(args):
    deadline = time.monotonic() + args.timeout
    sock = open_socket(args.addr, deadline)
    sock.sendall(b"%d\n" % args.bytes)
    got = bytearray()
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            break
        if not chunk:
            break
        got += chunk
    sock.close()
    ok = bytes(got) == guest_stream(args.bytes)
    print("generate: asked for %d bytes, got %d, %s"
          % (args.bytes, len(got), "as expected" if ok else "WRONG"))
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def framing(sp):
        sp.add_argument("--vnet-hdr", action="store_true",
                        help="vnet_hdr_support=on framing: LEN, VLEN")
        sp.add_argument("--connect-timeout", type=float, default=10,
                        help="seconds to connect or be connected")

    def frames(sp):
        sp.add_argument("--hdr-len", type=int, default=0,
                        help="virtio-net header bytes to put before each "
                        "test frame (zeros: no offload), and the VLEN sent "
                        "with --vnet-hdr; it must be what the netdev uses: "
                        "12 for virtio-net on a tap, 0 for e1000 or a "
                        "socket netdev (default 0)")
        sp.add_argument("--vlen", type=int,
                        help="with --vnet-hdr, the VLEN to send (default: "
                        "--hdr-len), to see what QEMU makes of a wrong one")
        sp.add_argument("--dst", default=DEFAULT_DST,
                        help="destination MAC of the test frames")
        sp.add_argument("--src", default=DEFAULT_SRC,
                        help="source MAC of the test frames")
        sp.add_argument("--raw", action="append",
                        help="hex bytes to send before the frames")

    sp = sub.add_parser("roundtrip")
    sp.add_argument("--send", required=True)
    sp.add_argument("--recv", required=True)
    framing(sp)
    frames(sp)
    sp.add_argument("--sizes", default="60-1514",
                    help="frame sizes without the virtio-net header, e.g. "
                    "60-1514,9000,65000 or 60-9000/7 (default 60-1514)")
    sp.add_argument("--repeat", type=int, default=1)
    sp.add_argument("--timeout", type=float, default=30,
                    help="seconds for all frames to come back")
    sp.add_argument("--expect-vnet-len", type=int)
    sp.add_argument("--gap", type=float, default=0,
                    help="seconds between frames")
    sp.add_argument("--settle", type=float, default=0.2,
                    help="seconds between connecting and sending")
    sp.add_argument("--linger", type=float, default=0,
                    help="seconds to keep the sockets open at the end")
    sp.add_argument("--sync", action="store_true",
                    help="first send sync frames until one comes back")
    sp.add_argument("-v", "--verbose", action="store_true")

    sp = sub.add_parser("arp")
    sp.add_argument("--send", required=True)
    sp.add_argument("--recv", required=True)
    framing(sp)
    frames(sp)
    sp.add_argument("--target", required=True, help="the guest's IPv4")
    sp.add_argument("--sender-ip", default="10.1.1.9")
    sp.add_argument("--recv-hdr-len", type=int,
                    help="virtio-net header bytes in what comes back "
                    "(default: VLEN with --vnet-hdr, else --hdr-len)")
    sp.add_argument("--timeout", type=float, default=10)

    sp = sub.add_parser("compare")
    sp.add_argument("--primary", required=True,
                    help="colo-compare's primary_in")
    sp.add_argument("--secondary", required=True,
                    help="colo-compare's secondary_in")
    sp.add_argument("--out", required=True, help="colo-compare's outdev")
    framing(sp)
    sp.add_argument("--primary-hdr-len", type=int, default=0)
    sp.add_argument("--secondary-hdr-len", type=int, default=0)
    sp.add_argument("--secondary-vlen", type=int,
                    help="the VLEN sent to secondary_in (default: "
                    "--secondary-hdr-len)")
    sp.add_argument("--sizes", default="1,100,1000,1460",
                    help="TCP payload sizes of the segments")
    sp.add_argument("--differ", type=int, default=0,
                    help="make the secondary's segment number N (from 1) "
                    "differ in one byte")
    sp.add_argument("--secondary-split", type=int, default=0,
                    help="send the secondary's segments cut into payloads "
                    "of at most N bytes (as if segmented: GSO on one side "
                    "only)")
    sp.add_argument("--secondary-raw", action="append",
                    help="hex bytes to send to secondary_in first")
    sp.add_argument("--secondary-only", action="store_true",
                    help="connect only to secondary_in, send the "
                    "--secondary-raw bytes, then close")
    sp.add_argument("--allow-lost-head", type=int, default=0,
                    help="tolerate that the first N segments do not come "
                    "out (outdev still connected to an earlier peer)")
    sp.add_argument("--settle", type=float, default=0.5,
                    help="seconds between connecting and sending")
    sp.add_argument("--port-offset", type=int, default=0,
                    help="added to the client port 40000: a new "
                    "connection for colo-compare")
    sp.add_argument("--dst", default="50:54:00:00:00:01")
    sp.add_argument("--src", default="52:54:00:00:00:02")
    sp.add_argument("--timeout", type=float, default=5)

    sp = sub.add_parser("dump")
    sp.add_argument("addr")
    framing(sp)
    sp.add_argument("--hdr-len", default="auto",
                    help="virtio-net header bytes in each frame, or auto "
                    "(VLEN with --vnet-hdr, else 0)")
    sp.add_argument("--count", type=int)
    sp.add_argument("--duration", type=float, default=10)
    sp.add_argument("--pcap")

    sp = sub.add_parser("send")
    sp.add_argument("addr")
    framing(sp)
    frames(sp)
    sp.add_argument("--sizes")
    sp.add_argument("--first-seq", type=int, default=0)
    sp.add_argument("--linger", type=float, default=0.5)

    sp = sub.add_parser("qmp")
    sp.add_argument("socket")
    sp.add_argument("command")
    sp.add_argument("arguments", nargs="?")
    sp.add_argument("--timeout", type=float, default=10)

    sp = sub.add_parser("events")
    sp.add_argument("socket")
    sp.add_argument("--count", type=int)
    sp.add_argument("--timeout", type=float, default=10)

    for name in ("sha256", "generate"):
        sp = sub.add_parser(name)
        sp.add_argument("addr")
        sp.add_argument("--bytes", type=int, required=True)
        sp.add_argument("--timeout", type=float, default=60)

    sp = sub.add_parser("sha256-server")
    sp.add_argument("addr", help="tcp-listen:HOST:PORT")
    sp.add_argument("--count", type=int, default=1)
    sp.add_argument("--ready", help="file to create once listening")
    sp.add_argument("--timeout", type=float, default=60)

    args = p.parse_args()
    handler = {"roundtrip": cmd_roundtrip, "arp": cmd_arp,
               "compare": cmd_compare, "dump": cmd_dump,
               "send": cmd_send, "qmp": cmd_qmp, "events": cmd_events,
               "sha256": cmd_sha256, "generate": cmd_generate,
               "sha256-server": cmd_sha256_server}[args.cmd]
    try:
        return handler(args)
    except PeerError as e:
        print("colo-qemu-peer: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
