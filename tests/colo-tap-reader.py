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

"""Reads a tap device the way QEMU reads the SVM's tap.

Uses only the Python standard library; needs root.

colo-tap-reader.py NAME [--ready FILE] [--go FILE] [--hold FILE]
                   [--pause-ms P] [--every-ms T] [--idle S] [--timeout S]
                   [--print-rate]

Creates tap device NAME (it goes away when the program exits), touches
--ready FILE, then, once --go FILE exists, reads frames off the tap until,
after the first, none has come for --idle seconds (default 1), and prints

    received N frames, B bytes, P pauses

counting only frames of EtherType 0x88b5 (those colo-proxy-peer.py makes),
since the host's own stack may send others; --print-rate adds the rate
from the first of them to the last, pauses included.  With --pause-ms, it
stops reading for P ms after every --every-ms T ms of reading, as QEMU
stops reading the tap while the SVM is stopped for a checkpoint; frames
the tap cannot queue meanwhile are dropped by the kernel and counted in
the tap's tx_dropped.  With --hold, it then keeps the tap until --hold
FILE exists, so that its counters can still be read.  Exit status 1 if
--timeout (default 60) seconds pass first.
"""

import argparse
import fcntl
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454ca
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETHERTYPE = b'\x88\xb5'


def open_tap(name):
    fd = os.open('/dev/net/tun', os.O_RDWR)
    ifr = struct.pack('16sH22x', name.encode(), IFF_TAP | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    os.set_blocking(fd, False)
    return fd


def wait_for(path, deadline):
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('name')
    parser.add_argument('--ready')
    parser.add_argument('--go')
    parser.add_argument('--hold')
    parser.add_argument('--print-rate', action='store_true')
    parser.add_argument('--pause-ms', type=float, default=0)
    parser.add_argument('--every-ms', type=float, default=100)
    parser.add_argument('--idle', type=float, default=1)
    parser.add_argument('--timeout', type=float, default=60)
    args = parser.parse_args()

    deadline = time.monotonic() + args.timeout
    fd = open_tap(args.name)
    if args.ready:
        open(args.ready, 'w').close()
    if args.go and not wait_for(args.go, deadline):
        sys.stderr.write('%s never appeared\n' % args.go)
        return 1

    frames = nbytes = pauses = 0
    first = latest = None
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    last = time.monotonic()
    next_pause = last + args.every_ms / 1000
    while True:
        now = time.monotonic()
        if now > deadline:
            sys.stderr.write('timeout after %d frames\n' % frames)
            return 1
        if args.pause_ms and now >= next_pause:
            # A pause is not idleness: move the last frame's time on by it.
            time.sleep(args.pause_ms / 1000)
            pauses += 1
            last += time.monotonic() - now
            now = time.monotonic()
            next_pause = now + args.every_ms / 1000
        try:
            frame = os.read(fd, 65536)
        except BlockingIOError:
            if frames and now - last >= args.idle:
                break
            poller.poll(10)
            continue
        last = now
        if frame[12:14] == ETHERTYPE:
            if not frames:
                first = now
            latest = now
            frames += 1
            nbytes += len(frame)
    line = 'received %d frames, %d bytes, %d pauses' % (frames, nbytes, pauses)
    if args.print_rate and frames > 1 and latest > first:
        line += ', %.0f frames/s' % ((frames - 1) / (latest - first))
    print(line)
    sys.stdout.flush()
    if args.hold and not wait_for(args.hold, deadline):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
