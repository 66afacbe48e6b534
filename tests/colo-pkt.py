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

"""Builds and shows TCP packets for the ovs-colo tests.

Uses only the Python standard library.

colo-pkt.py build [OPTION]...
    Prints one Ethernet frame, as hex on a single line, suitable for
    "ovs-appctl netdev-dummy/receive PORT HEX".  Options:

      --ipv6                IPv6 instead of IPv4.
      --src-mac MAC         Default 50:54:00:00:00:01.
      --dst-mac MAC         Default 50:54:00:00:00:02.
      --vlan [TPID:]VID     Adds an 802.1Q tag (TPID 0x8100 unless given,
                            e.g. 0x88a8:100).  Repeat for more tags, outer
                            first.
      --src IP, --dst IP    Default 10.0.0.1 and 10.0.0.2 (fd00::1 and
                            fd00::2 with --ipv6).
      --sport N, --dport N  Default 40000 and 80.
      --reply               Swaps source and destination (MAC, IP, port)
                            after applying the options and defaults above,
                            e.g. to build the server's answer from the same
                            options as the client's packet.
      --flags LETTERS       TCP flags, any of F S R P A U E C in any order,
                            e.g. S, SA, A, PA, FA, R.  Default A.
      --seq N, --ack N      Default 0.  Values are taken modulo 2**32.
      --ts TSVAL,TSECR      Adds a timestamp option.
      --sack L-R[,L-R]...   Adds a SACK option with 1 to 4 blocks, after the
                            timestamp option if any.  May be repeated;
                            blocks add up.
      --nops N              Puts N NOPs (default 2) before each of those
                            options, e.g. 1 to leave their fields unaligned.
                            EOLs pad the options to a multiple of 4 bytes.
      --len N               N bytes of payload (a repeating pattern).
      --ip6-ext NAME[,NAME] IPv6 extension headers before TCP, in order:
                            hop (hop-by-hop options), dst (destination
                            options), rt (routing, segments left 0), frag
                            (fragment header, offset 0, M=0).
      --bad-csum            Writes a wrong TCP checksum (correct ^ 0x0101).

    The IPv4 header checksum and the TCP checksum (with pseudo-header) are
    correct unless --bad-csum.  No Ethernet padding is added.

colo-pkt.py show [-a] PCAP
    Prints one line per packet of PCAP (as written by netdev-dummy's
    options:tx_pcap or rxq_pcap).  For a TCP packet:

      tcp4|tcp6 [vlan=V,...] [src=A:P dst=A:P] [ext=NAME,...] flags=F
          seq=N ack=N len=N [tsval=N tsecr=N] [sack=L-R,...] csum=ok|bad
          [ipcsum=bad] [opts=bad]

    (all on one line), where:
      - vlan lists the VIDs of 802.1Q/802.1ad tags, outer first.
      - src and dst appear only with -a; IPv6 addresses are in brackets.
      - ext lists IPv6 extension headers, as for build --ip6-ext.
      - flags are letters in the order S F R P A U E C, or "none".
      - len is the TCP payload length (Ethernet padding is ignored).
      - tsval/tsecr and sack appear only if the option is present.
      - csum is the TCP checksum, checked over the pseudo-header.
      - ipcsum=bad appears only if the IPv4 header checksum is wrong.
      - opts=bad appears only if the TCP options are malformed.
    Other packets print as "ip4 proto=N len=N", "ip6 proto=N len=N",
    "ip4 fragment ...", "ip6 fragment ...", "eth type=0xNNNN len=N" or
    "truncated len=N" (len is the frame length there, except for the IP
    forms, where it is the IP payload length).

colo-pkt.py lockstep [--allow-missing PERCENT] PRIMARY SECONDARY
    Checks that two captures of one guest's TCP output (as written by
    tcpdump -w, or by netdev-dummy) hold the same bytes at the same
    sequence numbers: PRIMARY holds what the PVM sent, SECONDARY what the
    SVM sent, after colo_rewrite moved it into the PVM's numbering.  For
    each TCP flow (source address and port, destination address and port)
    that SECONDARY shows and that carries data or a FIN in either capture,
    every payload byte of either capture is placed at its distance from
    the initial sequence number that PRIMARY's SYN or SYN+ACK of that flow
    shows (retransmissions overlap), and one line is printed:

      SRC > DST: primary=N secondary=N same=N differ=N outside=N fin=F

    (addresses as in "show -a"), where:
      - primary and secondary count the distinct stream bytes found in
        each capture;
      - same and differ count the bytes found in both, equal or not;
      - outside counts the bytes of SECONDARY at sequence numbers where
        PRIMARY has no byte, for example before the initial sequence
        number or beyond what the PVM sent;
      - F is "same" if SECONDARY's FIN has the sequence number of
        PRIMARY's, "differ" if not (or if PRIMARY has no FIN), "none" if
        SECONDARY has no FIN.
    Segments with SYN are not placed; the SVM's handshake is in its own
    numbering.  A flow with data or a FIN in SECONDARY but no SYN in
    PRIMARY prints "SRC > DST: no initial sequence number in PRIMARY".
    Flows are printed sorted.  The exit status is 1 if a flow has differ
    or outside bytes, a FIN that differs or no initial sequence number,
    otherwise 0.  (So it is 0 also when SECONDARY lacks bytes: compare the
    counts to see that it has them all.)

    With --allow-missing, a flow whose bytes in SECONDARY are all the same
    as PRIMARY's, and at least 100 - PERCENT percent of them, shows
    "secondary>=P%" (P = 100 - PERCENT) instead of "secondary=N same=N":
    for captures taken where a few frames may be lost on the way.
"""

import argparse
import ipaddress
import struct
import sys

ETH_TYPE_IP = 0x0800
ETH_TYPE_IPV6 = 0x86dd
VLAN_TPIDS = (0x8100, 0x88a8)

IPPROTO_TCP = 6

# IPv6 extension headers that --ip6-ext can build and "show" can skip.
IP6_EXT = {
    'hop': 0,
    'rt': 43,
    'frag': 44,
    'dst': 60,
}
IP6_EXT_NAMES = {v: k for k, v in IP6_EXT.items()}

# TCP flag letters, in the order "show" prints them, with their bits.
TCP_FLAGS = [('S', 0x02), ('F', 0x01), ('R', 0x04), ('P', 0x08),
             ('A', 0x10), ('U', 0x20), ('E', 0x40), ('C', 0x80)]

TCPOPT_EOL = 0
TCPOPT_NOP = 1
TCPOPT_SACK = 5
TCPOPT_TIMESTAMP = 8


def ones_sum(data):
    """Returns the folded 16-bit one's complement sum of 'data'."""
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total > 0xffff:
        total = (total & 0xffff) + (total >> 16)
    return total


def checksum(data):
    return ~ones_sum(data) & 0xffff


def pseudo_header(src, dst, length, ipv6):
    if ipv6:
        return src + dst + struct.pack('!IxxxB', length, IPPROTO_TCP)
    return src + dst + struct.pack('!xBH', IPPROTO_TCP, length)


# ---------------------------------------------------------------- build --

def parse_mac(s):
    parts = s.split(':')
    if len(parts) != 6:
        raise argparse.ArgumentTypeError('bad MAC address %r' % s)
    return bytes(int(p, 16) for p in parts)


def parse_u32(s):
    return int(s, 0) & 0xffffffff


def parse_vlan(s):
    if ':' in s:
        tpid, vid = s.split(':', 1)
        tpid = int(tpid, 0)
    else:
        tpid, vid = 0x8100, s
    vid = int(vid, 0)
    if not 0 <= vid <= 4095:
        raise argparse.ArgumentTypeError('bad VLAN ID %r' % s)
    return tpid, vid


def parse_ts(s):
    try:
        tsval, tsecr = s.split(',')
        return parse_u32(tsval), parse_u32(tsecr)
    except ValueError:
        raise argparse.ArgumentTypeError('expected TSVAL,TSECR, got %r' % s)


def parse_sack(s):
    blocks = []
    for block in s.split(','):
        try:
            left, right = block.split('-')
            blocks.append((parse_u32(left), parse_u32(right)))
        except ValueError:
            raise argparse.ArgumentTypeError('expected L-R, got %r' % block)
    return blocks


def parse_flags(s):
    bits = 0
    letters = dict(TCP_FLAGS)
    for c in s.upper():
        if c not in letters:
            raise argparse.ArgumentTypeError('unknown TCP flag %r' % c)
        bits |= letters[c]
    return bits


def parse_ext(s):
    names = s.split(',')
    for name in names:
        if name not in IP6_EXT:
            raise argparse.ArgumentTypeError('unknown extension header %r'
                                             % name)
    return names


def build_tcp_options(args):
    opts = b''
    nops = bytes([TCPOPT_NOP] * args.nops)
    if args.ts is not None:
        opts += nops + struct.pack('!BBII', TCPOPT_TIMESTAMP, 10,
                                   args.ts[0], args.ts[1])
    if args.sack:
        opts += nops + struct.pack('!BB', TCPOPT_SACK,
                                   2 + 8 * len(args.sack))
        for left, right in args.sack:
            opts += struct.pack('!II', left, right)
    while len(opts) % 4:
        opts += bytes([TCPOPT_EOL])
    return opts


def build_ip6_ext(names, last_proto):
    """Returns extension headers 'names' chained to 'last_proto', and the
    next-header value for the IPv6 header."""
    data = b''
    nxt = last_proto
    for name in reversed(names):
        if name in ('hop', 'dst'):
            # One PadN option of 4 bytes fills the 8-byte header.
            hdr = struct.pack('!BBBB4x', nxt, 0, 1, 4)
        elif name == 'rt':
            # Routing type 0 with no addresses and no segments left.
            hdr = struct.pack('!BBBB4x', nxt, 0, 0, 0)
        else:
            # Fragment offset 0, M=0 ("atomic fragment").
            hdr = struct.pack('!BxHI', nxt, 0, 0x12345678)
        data = hdr + data
        nxt = IP6_EXT[name]
    return data, nxt


def build(args):
    ipv6 = args.ipv6
    src = ipaddress.ip_address(args.src or ('fd00::1' if ipv6
                                            else '10.0.0.1'))
    dst = ipaddress.ip_address(args.dst or ('fd00::2' if ipv6
                                            else '10.0.0.2'))
    if src.version != dst.version or (src.version == 6) != ipv6:
        sys.exit('colo-pkt.py: addresses do not match the IP version')
    src_mac, dst_mac = args.src_mac, args.dst_mac
    sport, dport = args.sport, args.dport
    if args.reply:
        src, dst = dst, src
        src_mac, dst_mac = dst_mac, src_mac
        sport, dport = dport, sport
    if args.sack and len(args.sack) > 4:
        sys.exit('colo-pkt.py: at most 4 SACK blocks')
    if len(build_tcp_options(args)) > 40:
        sys.exit('colo-pkt.py: TCP options longer than 40 bytes')
    if args.ip6_ext and not ipv6:
        sys.exit('colo-pkt.py: --ip6-ext needs --ipv6')

    pattern = b'colo-payload-0123456789'
    payload = (pattern * (args.len // len(pattern) + 1))[:args.len]

    opts = build_tcp_options(args)
    hlen = 20 + len(opts)
    tcp = struct.pack('!HHIIBBHHH', sport, dport, args.seq,
                      args.ack, (hlen // 4) << 4, args.flags, 65535, 0, 0)
    segment = tcp + opts + payload
    csum = checksum(pseudo_header(src.packed, dst.packed, len(segment),
                                  ipv6) + segment)
    if args.bad_csum:
        csum ^= 0x0101
    segment = segment[:16] + struct.pack('!H', csum) + segment[18:]

    if ipv6:
        ext, nxt = build_ip6_ext(args.ip6_ext or [], IPPROTO_TCP)
        ip = struct.pack('!IHBB', 6 << 28, len(ext) + len(segment), nxt, 64)
        ip += src.packed + dst.packed + ext
        eth_type = ETH_TYPE_IPV6
    else:
        ip = struct.pack('!BBHHHBBH', 0x45, 0, 20 + len(segment), 0,
                         0x4000, 64, IPPROTO_TCP, 0)
        ip += src.packed + dst.packed
        ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
        eth_type = ETH_TYPE_IP

    frame = dst_mac + src_mac
    for tpid, vid in args.vlan or []:
        frame += struct.pack('!HH', tpid, vid)
    frame += struct.pack('!H', eth_type) + ip + segment
    print(frame.hex())


# ----------------------------------------------------------------- show --

def read_pcap(name):
    """Yields each packet in pcap file 'name'."""
    with open(name, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        sys.exit('%s: not a pcap file' % name)
    for endian in ('<', '>'):
        magic, = struct.unpack(endian + 'I', data[:4])
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            break
    else:
        sys.exit('%s: not a pcap file' % name)
    ofs = 24
    while ofs + 16 <= len(data):
        caplen, = struct.unpack(endian + 'I', data[ofs + 8:ofs + 12])
        ofs += 16
        yield data[ofs:ofs + caplen]
        ofs += caplen


def format_addr(addr, port):
    if addr.version == 6:
        return '[%s]:%d' % (addr, port)
    return '%s:%d' % (addr, port)


def parse_tcp_options(opts):
    """Returns (ts, sack, ok) for TCP options 'opts'."""
    ts = None
    sack = None
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == TCPOPT_EOL:
            break
        if kind == TCPOPT_NOP:
            i += 1
            continue
        if i + 1 >= len(opts):
            return ts, sack, False
        olen = opts[i + 1]
        if olen < 2 or i + olen > len(opts):
            return ts, sack, False
        body = opts[i + 2:i + olen]
        if kind == TCPOPT_TIMESTAMP:
            if olen != 10:
                return ts, sack, False
            ts = struct.unpack('!II', body)
        elif kind == TCPOPT_SACK:
            if (olen - 2) % 8:
                return ts, sack, False
            sack = [struct.unpack('!II', body[j:j + 8])
                    for j in range(0, len(body), 8)]
        i += olen
    return ts, sack, True


def describe(frame, show_addrs):
    words = []
    if len(frame) < 14:
        return 'truncated len=%d' % len(frame)
    ofs = 12
    eth_type, = struct.unpack('!H', frame[ofs:ofs + 2])
    vids = []
    while eth_type in VLAN_TPIDS:
        if len(frame) < ofs + 6:
            return 'truncated len=%d' % len(frame)
        tci, eth_type = struct.unpack('!HH', frame[ofs + 2:ofs + 6])
        vids.append(str(tci & 0xfff))
        ofs += 4
    ofs += 2
    if vids:
        words.append('vlan=' + ','.join(vids))

    ext = []
    ip_csum_ok = True
    if eth_type == ETH_TYPE_IP:
        if len(frame) < ofs + 20:
            return 'truncated len=%d' % len(frame)
        ihl = (frame[ofs] & 0x0f) * 4
        tot_len, = struct.unpack('!H', frame[ofs + 2:ofs + 4])
        frag, = struct.unpack('!H', frame[ofs + 6:ofs + 8])
        proto = frame[ofs + 9]
        if ihl < 20 or tot_len < ihl or len(frame) < ofs + tot_len:
            return 'truncated len=%d' % len(frame)
        ip_csum_ok = ones_sum(frame[ofs:ofs + ihl]) == 0xffff
        src = ipaddress.IPv4Address(frame[ofs + 12:ofs + 16])
        dst = ipaddress.IPv4Address(frame[ofs + 16:ofs + 20])
        end = ofs + tot_len
        ofs += ihl
        ipv6 = False
        if frag & 0x1fff:
            return 'ip4 fragment offset=%d proto=%d len=%d' % (
                (frag & 0x1fff) * 8, proto, end - ofs)
    elif eth_type == ETH_TYPE_IPV6:
        if len(frame) < ofs + 40:
            return 'truncated len=%d' % len(frame)
        plen, proto = struct.unpack('!HB', frame[ofs + 4:ofs + 7])
        src = ipaddress.IPv6Address(frame[ofs + 8:ofs + 24])
        dst = ipaddress.IPv6Address(frame[ofs + 24:ofs + 40])
        end = ofs + 40 + plen
        if len(frame) < end:
            return 'truncated len=%d' % len(frame)
        ofs += 40
        ipv6 = True
        while proto in IP6_EXT_NAMES:
            if end < ofs + 8:
                return 'truncated len=%d' % len(frame)
            ext.append(IP6_EXT_NAMES[proto])
            if proto == IP6_EXT['frag']:
                offlg, = struct.unpack('!H', frame[ofs + 2:ofs + 4])
                if offlg & 0xfff8:
                    return 'ip6 fragment offset=%d proto=%d len=%d' % (
                        offlg & 0xfff8, frame[ofs], end - ofs - 8)
                proto = frame[ofs]
                ofs += 8
            else:
                proto = frame[ofs]
                ofs += (frame[ofs + 1] + 1) * 8
        if ofs > end:
            return 'truncated len=%d' % len(frame)
    else:
        return 'eth type=0x%04x len=%d' % (eth_type, len(frame))

    if proto != IPPROTO_TCP:
        return '%s proto=%d len=%d' % ('ip6' if ipv6 else 'ip4', proto,
                                       end - ofs)
    if end < ofs + 20:
        return 'truncated len=%d' % len(frame)

    segment = frame[ofs:end]
    (sport, dport, seq, ack, off, flags, _win, _csum,
     _urg) = struct.unpack('!HHIIBBHHH', segment[:20])
    hlen = (off >> 4) * 4
    if hlen < 20 or hlen > len(segment):
        return 'truncated len=%d' % len(frame)
    ts, sack, opts_ok = parse_tcp_options(segment[20:hlen])
    csum_ok = ones_sum(pseudo_header(src.packed, dst.packed, len(segment),
                                     ipv6) + segment) == 0xffff

    words.insert(0, 'tcp6' if ipv6 else 'tcp4')
    if show_addrs:
        words.append('src=' + format_addr(src, sport))
        words.append('dst=' + format_addr(dst, dport))
    if ext:
        words.append('ext=' + ','.join(ext))
    words.append('flags=' + (''.join(c for c, bit in TCP_FLAGS
                                     if flags & bit) or 'none'))
    words.append('seq=%d' % seq)
    words.append('ack=%d' % ack)
    words.append('len=%d' % (len(segment) - hlen))
    if ts is not None:
        words.append('tsval=%d tsecr=%d' % ts)
    if sack is not None:
        words.append('sack=' + ','.join('%d-%d' % block for block in sack))
    words.append('csum=' + ('ok' if csum_ok else 'bad'))
    if not ip_csum_ok:
        words.append('ipcsum=bad')
    if not opts_ok:
        words.append('opts=bad')
    return ' '.join(words)


def show(args):
    for frame in read_pcap(args.pcap):
        print(describe(frame, args.addresses))


# ------------------------------------------------------------- lockstep --

def tcp_segment(frame):
    """Returns (src, dst, seq, flags, payload) for a TCP packet in Ethernet
    frame 'frame', where src and dst are "address:port" strings as "show
    -a" prints them, or None if 'frame' is not a TCP packet that can be
    parsed."""
    if len(frame) < 14:
        return None
    ofs = 12
    eth_type, = struct.unpack('!H', frame[ofs:ofs + 2])
    while eth_type in VLAN_TPIDS and len(frame) >= ofs + 6:
        eth_type, = struct.unpack('!H', frame[ofs + 4:ofs + 6])
        ofs += 4
    ofs += 2
    if eth_type == ETH_TYPE_IP and len(frame) >= ofs + 20:
        ihl = (frame[ofs] & 0x0f) * 4
        tot_len, frag = struct.unpack('!HxxH', frame[ofs + 2:ofs + 8])
        proto = frame[ofs + 9]
        src = ipaddress.IPv4Address(frame[ofs + 12:ofs + 16])
        dst = ipaddress.IPv4Address(frame[ofs + 16:ofs + 20])
        end = ofs + tot_len
        if ihl < 20 or tot_len < ihl or frag & 0x1fff:
            return None
        ofs += ihl
    elif eth_type == ETH_TYPE_IPV6 and len(frame) >= ofs + 40:
        plen, proto = struct.unpack('!HB', frame[ofs + 4:ofs + 7])
        src = ipaddress.IPv6Address(frame[ofs + 8:ofs + 24])
        dst = ipaddress.IPv6Address(frame[ofs + 24:ofs + 40])
        end = ofs + 40 + plen
        ofs += 40
        while proto in IP6_EXT_NAMES and end >= ofs + 8:
            if proto == IP6_EXT['frag']:
                offlg, = struct.unpack('!H', frame[ofs + 2:ofs + 4])
                if offlg & 0xfff8:
                    return None
                proto = frame[ofs]
                ofs += 8
            else:
                proto = frame[ofs]
                ofs += (frame[ofs + 1] + 1) * 8
    else:
        return None
    if proto != IPPROTO_TCP or len(frame) < end or end < ofs + 20:
        return None
    sport, dport, seq, off, flags = struct.unpack('!HHIxxxxBB',
                                                   frame[ofs:ofs + 14])
    hlen = (off >> 4) * 4
    if hlen < 20 or ofs + hlen > end:
        return None
    return (format_addr(src, sport), format_addr(dst, dport), seq, flags,
            frame[ofs + hlen:end])


class Stream:
    """The bytes of one direction of one TCP connection, placed at their
    distance from the initial sequence number 'isn'.  'size', if not None,
    bounds the stream; bytes beyond it are only counted."""

    def __init__(self, isn, size=None):
        self.isn = isn
        self.size = size
        self.data = bytearray()
        self.mask = bytearray()     # 0xff where 'data' holds a byte.
        self.outside = 0
        self.fin = None

    def add(self, seq, flags, payload):
        if flags & 0x02:            # SYN
            return
        ofs = (seq - self.isn - 1) & 0xffffffff
        if ofs >= 0x80000000:
            # Before the initial sequence number.
            self.outside += len(payload)
            if flags & 0x01:
                self.fin = -1
            return
        end = ofs + len(payload)
        if flags & 0x01:            # FIN
            self.fin = end
        if self.size is not None and end > self.size:
            self.outside += end - max(ofs, self.size)
            if ofs >= self.size:
                return
            end = self.size
            payload = payload[:end - ofs]
        if end > len(self.data):
            grow = end - len(self.data)
            self.data += bytes(grow)
            self.mask += bytes(grow)
        self.data[ofs:end] = payload
        self.mask[ofs:end] = b'\xff' * (end - ofs)

    def count(self):
        return len(self.mask) - self.mask.count(0)


def lockstep(args):
    # The initial sequence number of each flow, from PRIMARY's handshake.
    isns = {}
    segments = []
    for frame in read_pcap(args.primary):
        seg = tcp_segment(frame)
        if seg is None:
            continue
        src, dst, seq, flags, payload = seg
        if flags & 0x02:
            isns.setdefault((src, dst), seq)
        segments.append(seg)
    primary = {}
    for src, dst, seq, flags, payload in segments:
        if (src, dst) in isns:
            flow = primary.setdefault((src, dst),
                                      Stream(isns[src, dst], 1 << 30))
            flow.add(seq, flags, payload)

    # Every flow that SECONDARY shows, with the bytes it carries there.
    secondary = {}
    for frame in read_pcap(args.secondary):
        seg = tcp_segment(frame)
        if seg is None:
            continue
        src, dst, seq, flags, payload = seg
        key = (src, dst)
        if key not in secondary:
            p = primary.get(key)
            secondary[key] = Stream(p.isn, len(p.data)) if p else None
        if secondary[key] is None:
            if payload or flags & 0x01:
                secondary[key] = 'no isn'
        elif secondary[key] != 'no isn':
            secondary[key].add(seq, flags, payload)

    ok = True
    for key in sorted(secondary):
        s = secondary[key]
        p = primary.get(key)
        name = '%s > %s' % key
        if s is None:
            continue
        if s == 'no isn':
            print('%s: no initial sequence number in PRIMARY' % name)
            ok = False
            continue
        if (not p.count() and not s.count() and not s.outside
                and s.fin is None):
            # Only acknowledgements, like the VM's while it receives.
            continue
        n = len(s.mask)
        both = (int.from_bytes(p.mask[:n], 'big')
                & int.from_bytes(s.mask, 'big'))
        xor = (int.from_bytes(p.data[:n], 'big')
               ^ int.from_bytes(s.data, 'big')) & both
        both = both.to_bytes(n, 'big')
        in_both = n - both.count(0)
        differ = n - xor.to_bytes(n, 'big').count(0)
        outside = s.outside + s.count() - in_both
        if s.fin is None:
            fin = 'none'
        elif s.fin == p.fin:
            fin = 'same'
        else:
            fin = 'differ'
        present = s.count() + s.outside
        if (args.allow_missing is not None and not differ and not outside
                and present * 100 >= p.count() * (100 - args.allow_missing)):
            counts = 'secondary>=%g%%' % (100 - args.allow_missing)
        else:
            counts = 'secondary=%d same=%d' % (present, in_both - differ)
        print('%s: primary=%d %s differ=%d outside=%d fin=%s'
              % (name, p.count(), counts, differ, outside, fin))
        if differ or outside or fin == 'differ':
            ok = False
    return 0 if ok else 1


# ----------------------------------------------------------------- main --

def main():
    parser = argparse.ArgumentParser(
        prog='colo-pkt.py', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)

    b = sub.add_parser('build', help='print a TCP packet as hex')
    b.add_argument('--ipv6', action='store_true')
    b.add_argument('--src-mac', type=parse_mac,
                   default=parse_mac('50:54:00:00:00:01'))
    b.add_argument('--dst-mac', type=parse_mac,
                   default=parse_mac('50:54:00:00:00:02'))
    b.add_argument('--vlan', type=parse_vlan, action='append')
    b.add_argument('--src')
    b.add_argument('--dst')
    b.add_argument('--sport', type=int, default=40000)
    b.add_argument('--dport', type=int, default=80)
    b.add_argument('--reply', action='store_true')
    b.add_argument('--flags', type=parse_flags, default=parse_flags('A'))
    b.add_argument('--seq', type=parse_u32, default=0)
    b.add_argument('--ack', type=parse_u32, default=0)
    b.add_argument('--ts', type=parse_ts)
    b.add_argument('--sack', type=parse_sack, action='extend')
    b.add_argument('--nops', type=int, default=2)
    b.add_argument('--len', type=int, default=0)
    b.add_argument('--ip6-ext', type=parse_ext)
    b.add_argument('--bad-csum', action='store_true')
    b.set_defaults(func=build)

    s = sub.add_parser('show', help='print the packets of a pcap file')
    s.add_argument('-a', '--addresses', action='store_true',
                   help='also print source and destination')
    s.add_argument('pcap')
    s.set_defaults(func=show)

    c = sub.add_parser('lockstep', help='compare the bytes that two '
                       'captures place at each sequence number')
    c.add_argument('--allow-missing', type=float, metavar='PERCENT')
    c.add_argument('primary')
    c.add_argument('secondary')
    c.set_defaults(func=lockstep)

    args = parser.parse_args()
    sys.exit(args.func(args))


if __name__ == '__main__':
    main()
