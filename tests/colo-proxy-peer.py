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

"""The far end of a colo-proxy port, as QEMU's COLO filters would be.

Uses only the Python standard library.  Speaks QEMU's framing on a COLO
proxy socket (QEMU net/filter-mirror.c writes it, net/net.c
net_fill_rstate() reads it): a 4-byte big-endian length, then the frame;
with --vnet-hdr a 4-byte big-endian length, a 4-byte big-endian vnet
header length, then the vnet header and the frame, the first length
counting both.  --vnet-len N gives the vnet header's length (default 12
with --vnet-hdr, 0 without); without --vnet-hdr, a nonzero --vnet-len
puts that many bytes of header before each frame unannounced, as QEMU
does with vnet_hdr_support=off on a virtio-net guest's tap.

Every command takes the socket as ADDR: unix:PATH or tcp:HOST:PORT to
connect, punix:PATH or ptcp:PORT[:HOST] to listen for one connection.

colo-proxy-peer.py send ADDR [--vnet-hdr] [--vnet-len N] [--sizes N,N,...] [--frames HEX...]
    Sends frames (--sizes: generated frames of those sizes, deterministic
    content) and prints each frame as hex, one a line.

colo-proxy-peer.py send-gso ADDR --mss N --payload N [--ipv6]
    Sends, with a vnet header, one TCP segment of --payload bytes marked
    for GSO with segment size --mss and a partial checksum, as QEMU's tap
    would hand it over, and prints as hex the segments that a NIC would
    have sent for it, with their checksums.

colo-proxy-peer.py send-csum ADDR
    Sends, with a vnet header, one TCP segment whose checksum is partial
    (VIRTIO_NET_HDR_F_NEEDS_CSUM), and prints it as hex with the checksum
    completed.

colo-proxy-peer.py raw ADDR HEX [--no-wait]
    Sends the bytes HEX as they are (for bad framing), then waits until
    the other end closes (at most --timeout seconds) and prints "closed";
    with --no-wait, closes at once and prints "sent".

colo-proxy-peer.py recv ADDR --count N [--vnet-hdr] [--vnet-len N]
    Receives N frames and prints each as hex, one a line (with --vnet-hdr
    or a nonzero --vnet-len, "VNET-HEX FRAME-HEX").

colo-proxy-peer.py flood ADDR --count N --size N [--vnet-hdr] [--rate FPS]
    Sends N frames of SIZE bytes as fast as the socket takes them (with
    --rate, FPS frames a second, a write every millisecond), then prints
    the rate.

All commands take --timeout S (default 10): the whole run may take that
long; exit status 1 if it does not finish, 0 otherwise.
"""

import argparse
import hashlib
import os
import signal
import socket
import struct
import sys
import time


def open_socket(addr, timeout):
    """Returns a connected socket for ADDR."""
    kind, _, rest = addr.partition(':')
    if kind in ('unix', 'punix'):
        fam, where = socket.AF_UNIX, rest
    elif kind in ('tcp', 'ptcp'):
        fam = socket.AF_INET
        if kind == 'tcp':
            host, _, port = rest.rpartition(':')
            where = (host, int(port))
        else:
            port, _, host = rest.partition(':')
            where = (host or '127.0.0.1', int(port))
    else:
        sys.exit('colo-proxy-peer: bad address %s' % addr)
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if kind.startswith('p'):
        if fam == socket.AF_UNIX and os.path.exists(where):
            os.unlink(where)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(where)
        sock.listen(1)
        conn, _ = sock.accept()
        sock.close()
        conn.settimeout(timeout)
        return conn
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock.connect(where)
            return sock
        except (ConnectionRefusedError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def frame_of_size(size, seq):
    """A deterministic Ethernet frame of 'size' bytes (at least 14)."""
    head = bytes.fromhex('505400000002' '505400000001' '88b5')
    body = b''
    block = 0
    while len(body) < size - len(head):
        body += hashlib.sha256(b'%d/%d/%d' % (size, seq, block)).digest()
        block += 1
    return head + body[:size - len(head)]


def frame_bytes(frame, vnet, field=True):
    """QEMU's framing of 'frame' with the vnet header 'vnet' (or None),
    with its length in a field of the framing if 'field'
    (vnet_hdr_support=on), otherwise unannounced."""
    if vnet is None:
        return struct.pack('!I', len(frame)) + frame
    if not field:
        return struct.pack('!I', len(vnet) + len(frame)) + vnet + frame
    return struct.pack('!II', len(vnet) + len(frame), len(vnet)) + vnet + \
        frame


def plain_vnet(args):
    """The vnet header of a frame that needs no offload, by the options:
    --vnet-len bytes of zeros (default 12 with --vnet-hdr, else none)."""
    n = args.vnet_len
    if n is None:
        n = 12 if args.vnet_hdr else 0
    return bytes(n) if n or args.vnet_hdr else None


def recv_exact(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError('the other end closed')
        data += chunk
    return data


def ones_sum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def tcp_frame(payload, seq, flags, ipv6, ip_id=0x1234, csum='full'):
    """An Ethernet + IP + TCP frame (TCP header with NOP,NOP,TS options).
    csum: 'full' for a complete TCP checksum, 'partial' for the pseudo
    header sum only (as a NIC with checksum offload is handed it)."""
    eth = bytes.fromhex('505400000002' '505400000001') + \
        (b'\x86\xdd' if ipv6 else b'\x08\x00')
    opts = bytes.fromhex('0101080a' '0000a000' '0000b000')
    tcp_len = 20 + len(opts) + len(payload)
    tcp = struct.pack('!HHIIBBHHH', 40000, 5001, seq, 77777,
                      (20 + len(opts)) // 4 << 4, flags, 502, 0, 0) + opts
    if ipv6:
        src = bytes.fromhex('fd01' + '00' * 13 + '01')
        dst = bytes.fromhex('fd01' + '00' * 13 + '02')
        ip = struct.pack('!IHBB', 6 << 28, tcp_len, 6, 64) + src + dst
        pseudo = src + dst + struct.pack('!IxxxB', tcp_len, 6)
    else:
        src, dst = bytes([10, 1, 1, 1]), bytes([10, 1, 1, 2])
        ip = struct.pack('!BBHHHBBH', 0x45, 0, 20 + tcp_len, ip_id, 0x4000,
                         64, 6, 0) + src + dst
        ip = ip[:10] + struct.pack('!H', 0xffff - ones_sum(ip)) + ip[12:]
        pseudo = src + dst + struct.pack('!xBH', 6, tcp_len)
    if csum == 'full':
        c = 0xffff - ones_sum(pseudo + tcp + payload)
    else:
        c = ones_sum(pseudo)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    return eth + ip + tcp + payload, len(eth) + len(ip)


def vnet_hdr(flags, gso_type, hdr_len, gso_size, csum_start, csum_offset):
    """A 12-byte virtio-net header (little-endian fields)."""
    return struct.pack('<BBHHHHH', flags, gso_type, hdr_len, gso_size,
                       csum_start, csum_offset, 0)


def payload_of(n):
    return (b''.join(hashlib.sha256(b'%d' % i).digest()
                     for i in range(n // 32 + 1)))[:n]


def cmd_send(sock, args):
    vnet = plain_vnet(args)
    frames = [bytes.fromhex(h) for h in args.frames or []]
    for i, size in enumerate(args.sizes or []):
        frames.append(frame_of_size(size, i))
    for frame in frames:
        sock.sendall(frame_bytes(frame, vnet, args.vnet_hdr))
        print(frame.hex())


def cmd_send_gso(sock, args):
    payload = payload_of(args.payload)
    seq = 1000
    big, l4 = tcp_frame(payload, seq, 0x18 | 0x01, args.ipv6,
                        csum='partial')
    hdrs = l4 + 32
    gso_type = 4 if args.ipv6 else 1
    sock.sendall(frame_bytes(big, vnet_hdr(1, gso_type, hdrs, args.mss,
                                           l4, 16)))
    n = max(1, -(-len(payload) // args.mss))
    for i in range(n):
        chunk = payload[i * args.mss:(i + 1) * args.mss]
        flags = 0x18 | 0x01 if i == n - 1 else 0x10
        seg, _ = tcp_frame(chunk, seq + i * args.mss, flags, args.ipv6,
                           ip_id=0x1234 + i)
        print(seg.hex())


def cmd_send_csum(sock, args):
    payload = payload_of(101)
    partial, l4 = tcp_frame(payload, 5, 0x18, False, csum='partial')
    full, _ = tcp_frame(payload, 5, 0x18, False)
    sock.sendall(frame_bytes(partial, vnet_hdr(1, 0, 0, 0, l4, 16)))
    print(full.hex())


def cmd_raw(sock, args):
    sock.sendall(bytes.fromhex(args.hex))
    if args.no_wait:
        print('sent')
        return
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    print('closed')


def cmd_recv(sock, args):
    for _ in range(args.count):
        if args.vnet_hdr:
            length, vlen = struct.unpack('!II', recv_exact(sock, 8))
            data = recv_exact(sock, length)
            print('%s %s' % (data[:vlen].hex(), data[vlen:].hex()))
        else:
            length, = struct.unpack('!I', recv_exact(sock, 4))
            data = recv_exact(sock, length)
            if args.vnet_len:
                vlen = args.vnet_len
                print('%s %s' % (data[:vlen].hex(), data[vlen:].hex()))
            else:
                print(data.hex())


def cmd_flood(sock, args):
    vnet = plain_vnet(args)
    # Unpaced, 64 frames a write; paced, a write every millisecond, each
    # sent when the schedule says so (at once when behind).
    batch = 64 if not args.rate else max(1, args.rate // 1000)
    one = frame_bytes(frame_of_size(args.size, 0), vnet, args.vnet_hdr)
    start = time.monotonic()
    n = 0
    while n < args.count:
        if args.rate:
            delay = start + n / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        k = min(batch, args.count - n)
        sock.sendall(one * k)
        n += k
    secs = time.monotonic() - start
    print('sent %d frames of %d bytes in %.3f s: %.0f frames/s, %.2f Gbit/s'
          % (n, args.size, secs, n / secs, n * args.size * 8 / secs / 1e9))


def main():
    parser = argparse.ArgumentParser(
        prog='colo-proxy-peer.py', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=('send', 'send-gso', 'send-csum',
                                            'raw', 'recv', 'flood'))
    parser.add_argument('addr')
    parser.add_argument('hex', nargs='?')
    parser.add_argument('--vnet-hdr', action='store_true')
    parser.add_argument('--vnet-len', type=int)
    parser.add_argument('--sizes',
                        type=lambda s: [int(x) for x in s.split(',')])
    parser.add_argument('--frames', nargs='*')
    parser.add_argument('--count', type=int, default=1)
    parser.add_argument('--size', type=int, default=60)
    parser.add_argument('--rate', type=int, default=0)
    parser.add_argument('--no-wait', action='store_true')
    parser.add_argument('--mss', type=int, default=1448)
    parser.add_argument('--payload', type=int, default=4000)
    parser.add_argument('--ipv6', action='store_true')
    parser.add_argument('--timeout', type=float, default=10)
    args = parser.parse_args()

    signal.signal(signal.SIGALRM, lambda *_: sys.exit(
        'colo-proxy-peer: timed out after %g s' % args.timeout))
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    sock = open_socket(args.addr, args.timeout)
    {'send': cmd_send, 'send-gso': cmd_send_gso, 'send-csum': cmd_send_csum,
     'raw': cmd_raw, 'recv': cmd_recv, 'flood': cmd_flood}[args.command](
         sock, args)
    sys.stdout.flush()
    if args.command != 'raw':
        # Let the other end read everything before it sees the close.
        sock.shutdown(socket.SHUT_WR)
        try:
            while sock.recv(65536):
                pass
        except (socket.timeout, OSError):
            pass
    sock.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
