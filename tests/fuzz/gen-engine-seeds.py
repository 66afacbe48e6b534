#! /usr/bin/env python3
# Writes the seed corpus of colo-fuzz-engine (tests/fuzz/corpus/engine):
# short scripts of the records that tests/fuzz/colo-fuzz-engine.c reads.
#
#   gen-engine-seeds.py DIR

import struct
import sys

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


def seg(from_vm, flags, seq, ack, payload=0, ts=None, wscale=None,
        conn=0, ipv6=False, zone=0, window=29200):
    opts = (1 if ts else 0) | (2 if wscale is not None else 0)
    sel = (1 if ipv6 else 0) | (2 if from_vm else 0) | (conn << 2)
    rec = struct.pack('!BBBBIIBH', 7 | zone << 3, sel, opts, flags,
                      seq & 0xffffffff, ack & 0xffffffff, payload, window)
    if ts:
        rec += struct.pack('!II', ts[0] & 0xffffffff, ts[1] & 0xffffffff)
    if wscale is not None:
        rec += struct.pack('!B', wscale)
    return rec


def checkpoint(zone=0):
    return struct.pack('!B', 2 | zone << 3)


def tick(seconds):
    return struct.pack('!BB', 3, seconds)


def dump(zone=0, every=False):
    return struct.pack('!B', 5 | zone << 3 | (0x10 if every else 0))


def config(max_conns, idle, linger):
    return struct.pack('!BBBB', 6, max_conns, idle, linger)


def server(c, p, s, ct, pt, st, conn=0, ipv6=False, ckpt=False):
    """A connection to the VM: handshake, data both ways, FINs."""
    out = seg(False, SYN, c, 0, ts=(ct, 0), wscale=7, conn=conn, ipv6=ipv6)
    out += seg(True, SYN | ACK, s, c + 1, ts=(st, ct), wscale=7, conn=conn,
               ipv6=ipv6)
    out += seg(False, ACK, c + 1, p + 1, ts=(ct + 1, pt), conn=conn,
               ipv6=ipv6)
    out += seg(False, ACK | PSH, c + 1, p + 1, 100, ts=(ct + 2, pt),
               conn=conn, ipv6=ipv6)
    if ckpt:
        out += checkpoint()
        s, st = p, pt
    out += seg(True, ACK | PSH, s + 1, c + 101, 200, ts=(st + 1, ct + 2),
               conn=conn, ipv6=ipv6)
    out += seg(False, ACK, c + 101, p + 201, ts=(ct + 3, pt + 1), conn=conn,
               ipv6=ipv6)
    out += seg(True, FIN | ACK, s + 201, c + 101, ts=(st + 2, ct + 3),
               conn=conn, ipv6=ipv6)
    out += seg(False, FIN | ACK, c + 101, p + 202, ts=(ct + 4, pt + 2),
               conn=conn, ipv6=ipv6)
    out += seg(True, ACK, s + 202, c + 102, ts=(st + 3, ct + 4), conn=conn,
               ipv6=ipv6)
    return out


def client(c, p, s, conn=1):
    """A connection from the VM, without timestamps, ended by a RST."""
    out = seg(True, SYN, s, 0, conn=conn)
    out += seg(False, SYN | ACK, c, p + 1, conn=conn)
    out += seg(True, ACK, s + 1, c + 1, conn=conn)
    out += seg(True, ACK | PSH, s + 1, c + 1, 50, conn=conn)
    out += seg(False, RST, c + 1, 0, conn=conn)
    return out


def raw(direction, frame, zone=0):
    return struct.pack('!BH', direction | zone << 3, len(frame)) + frame


def ipv4_tcp_frame():
    eth = bytes(6) + bytes([0, 0, 0, 0, 0, 1]) + b'\x08\x00'
    tcp = struct.pack('!HHIIBBHHH', 1234, 80, 1, 0, 0x50, SYN, 1000, 0, 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0, 64, 6,
                     0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return eth + ip + tcp


def vlan_ipv6_frame():
    eth = bytes(12) + b'\x81\x00\x00\x05\x86\xdd'
    tcp = struct.pack('!HHIIBBHHH', 1234, 80, 1, 0, 0x50, SYN, 1000, 0, 0)
    hop = bytes([6, 0]) + bytes(6)
    ip6 = struct.pack('!IHBB16s16s', 0x60000000, len(hop) + len(tcp), 0, 64,
                      b'\xfd' + bytes(14) + b'\x01',
                      b'\xfd' + bytes(14) + b'\x02')
    return eth + ip6 + hop + tcp


def main():
    d = sys.argv[1]
    seeds = {
        'server-ts': server(1000, 5000, 900000, 7000, 200, 3000000),
        'server-wrap': server(0xfffffff0, 0xffffff00, 0x10, 0xfffffffe,
                              0xfffffff0, 0x20, ipv6=True),
        'server-checkpoint': (server(77, 88, 99, 1, 2, 3, ckpt=True)
                              + dump() + dump(every=True)),
        'client-rst': client(10, 20, 30),
        'spoofed-syn': (server(1000, 5000, 900000, 7000, 200, 3000000)[:60]
                        + seg(False, SYN, 4242, 0)
                        + seg(False, RST, 12345, 0)
                        + seg(True, ACK, 900001, 1001)),
        'reuse': (server(1000, 5000, 900000, 7000, 200, 3000000)
                  + tick(1)
                  + server(50000, 60000, 70000, 1, 2, 3)),
        'flood': (config(4, 10, 1)
                  + b''.join(seg(False, SYN, i * 1000, 0, conn=i % 4)
                             for i in range(8))
                  + tick(70)),
        'raw': (raw(0, ipv4_tcp_frame()) + raw(1, vlan_ipv6_frame())
                + raw(0, b'\x00' * 20)),
    }
    for name, data in seeds.items():
        with open('%s/%s' % (d, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
