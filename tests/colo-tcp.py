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

"""A TCP server and client with checkable, deterministic content.

Uses only the Python standard library (3.9 or later).  Written for the
ovs-colo system tests: the PVM and the SVM run the same server (or
client) and so send the same bytes, as the two replicas of one guest
would.

Every connection carries two byte streams: "up" from the client to the
server and "down" from the server to the client.  Each stream is the same
pseudo-random sequence wherever and whenever it is generated, and never
repeats a short pattern, so a byte found at the wrong offset is noticed.

One connection goes like this:

    client: connects, sends the first SEND bytes of "up"
    server: reads RECV bytes, then sends the first SEND bytes of "down"
            and shuts its side down (FIN)
    client: reads until the end of the stream, then closes
    server: reads until the end of the stream, then closes

colo-tcp.py server --addr ADDR --port PORT [OPTION]...
    Listens on ADDR:PORT, serves CONNS connections (default 1) at once and
    exits when all are done.  Options:
      --recv N        bytes to read from each client (default 0)
      --send N        bytes to send to each client (default 0)
      --conns N       connections to serve (default 1)
      --ready FILE    creates FILE once listening
      --buffers N     see below

colo-tcp.py client --addr ADDR --port PORT [OPTION]...
    Opens CONNS connections (default 1) to ADDR:PORT at once.  Options:
      --send N        bytes to send (default 0)
      --recv N        bytes the server is expected to send (default 0);
                      only used to judge success, the client reads until
                      the server closes
      --conns N       connections (default 1)
      --sport PORT    binds the first connection to source port PORT, the
                      next to PORT+1, and so on (default: any port)
      --gate-at N     after sending N bytes, waits until --gate FILE
                      exists before sending the rest
      --gate FILE     see --gate-at

Both modes also take:
      --timeout S     the time the whole program may take (default 30);
                      a connection not done by then is reported as failed
      --buffers N     sets the socket's send and receive buffers to N
                      bytes (SO_SNDBUFFORCE and SO_RCVBUFFORCE if allowed,
                      else SO_SNDBUF and SO_RCVBUF, which the kernel caps)
      --rate N        paces what the socket sends to at most N bytes per
                      second (SO_MAX_PACING_RATE)

--buffers larger than a transfer lets the kernel take all of a stream at
once, and accept all of it, without waiting for the program: what the TCP
of the PVM or the SVM does then depends little on when its program gets a
CPU.  The ovs-colo system tests give it to both guests' programs.

Output: one line per connection, sorted by the client's port:

    conn PORT recv N SHA256 sent N SHA256 [error WHAT]

where PORT is the client's port, "recv" and "sent" are from the point of
view of the program that prints (a server prints "recv" first, a client
"sent" first), N is a byte count and SHA256 the hex digest of those bytes.
The exit status is 0 if every connection moved exactly the expected
number of bytes in each direction and closed cleanly, 1 otherwise.

colo-tcp.py digest up|down N
    Prints the SHA-256 of the first N bytes of stream "up" or "down", that
    is, what the output lines above must show for a correct transfer.
"""

import argparse
import hashlib
import os
import random
import socket
import sys
import threading
import time

CHUNK = 65536

# The seeds of the two streams.  Any fixed values would do.
SEEDS = {'up': 0x636f6c6f7570, 'down': 0x636f6c6f646f776e}

_streams = {}
_streams_lock = threading.Lock()


def stream(name, n):
    """Returns the first 'n' bytes of stream 'name'."""
    with _streams_lock:
        data = _streams.get(name, b'')
        if len(data) < n:
            # Whole 32-bit words, so that the first bytes of a longer
            # stream are those of a shorter one.
            data = random.Random(SEEDS[name]).randbytes((n + 3) // 4 * 4)
            _streams[name] = data
    return memoryview(data)[:n]


def digest(data):
    return hashlib.sha256(data).hexdigest()


class Counter:
    """Counts and hashes the bytes that go one way."""

    def __init__(self):
        self.n = 0
        self.sha = hashlib.sha256()

    def add(self, data):
        self.n += len(data)
        self.sha.update(data)

    def __str__(self):
        return '%d %s' % (self.n, self.sha.hexdigest())


def family_of(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


# Linux's values, which Python's socket module lacks.
SO_SNDBUFFORCE = getattr(socket, 'SO_SNDBUFFORCE', 32)
SO_RCVBUFFORCE = getattr(socket, 'SO_RCVBUFFORCE', 33)
SO_MAX_PACING_RATE = getattr(socket, 'SO_MAX_PACING_RATE', 47)


def set_buffers(sock, size):
    if not size:
        return
    for force, plain in ((SO_SNDBUFFORCE, socket.SO_SNDBUF),
                         (SO_RCVBUFFORCE, socket.SO_RCVBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, size)
        except PermissionError:
            sock.setsockopt(socket.SOL_SOCKET, plain, size)


def set_options(sock, args):
    set_buffers(sock, args.buffers)
    if args.rate:
        sock.setsockopt(socket.SOL_SOCKET, SO_MAX_PACING_RATE, args.rate)


# When the program must be done (time.monotonic()), set by main().
deadline = None


def arm(sock):
    """Makes the next operation on 'sock' give up at the deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    sock.settimeout(left)


def send_stream(sock, data, counter):
    for ofs in range(0, len(data), CHUNK):
        chunk = data[ofs:ofs + CHUNK]
        arm(sock)
        sock.sendall(chunk)
        counter.add(chunk)


def recv_stream(sock, counter, limit=None):
    """Reads until 'limit' bytes have arrived (or until the end of the
    stream if 'limit' is None).  Returns False if the stream ended first."""
    while limit is None or counter.n < limit:
        want = CHUNK if limit is None else min(CHUNK, limit - counter.n)
        arm(sock)
        data = sock.recv(want)
        if not data:
            return limit is None
        counter.add(data)
    return True


def wait_for_file(name):
    while not os.path.exists(name):
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.02)


class Conn:
    def __init__(self, port):
        self.port = port
        self.recv = Counter()
        self.sent = Counter()
        self.error = None

    def line(self, server):
        first, second = ((('recv', self.recv), ('sent', self.sent))
                         if server else
                         (('sent', self.sent), ('recv', self.recv)))
        s = 'conn %d %s %s %s %s' % (self.port, first[0], first[1],
                                     second[0], second[1])
        if self.error:
            s += ' error ' + self.error
        return s


def serve_one(sock, peer, args, conns):
    conn = Conn(peer[1])
    try:
        if not recv_stream(sock, conn.recv, args.recv):
            conn.error = 'short-stream'
        else:
            send_stream(sock, stream('down', args.send), conn.sent)
            sock.shutdown(socket.SHUT_WR)
            extra = Counter()
            recv_stream(sock, extra)
            if extra.n:
                conn.error = 'extra-bytes'
    except OSError as e:
        conn.error = type(e).__name__
    finally:
        sock.close()
    conns.append(conn)


def server(args):
    family = family_of(args.addr)
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    set_options(lsock, args)
    lsock.bind((args.addr, args.port))
    lsock.listen(max(128, args.conns))
    if args.ready:
        open(args.ready, 'w').close()

    conns = []
    threads = []
    error = None
    try:
        for _ in range(args.conns):
            arm(lsock)
            sock, peer = lsock.accept()
            t = threading.Thread(target=serve_one,
                                 args=(sock, peer, args, conns))
            t.start()
            threads.append(t)
    except OSError as e:
        error = 'accept: %s' % type(e).__name__
    for t in threads:
        t.join()
    lsock.close()
    return report(conns, True, args, error)


def connect_one(i, args, conns):
    port = args.sport + i if args.sport else 0
    conn = Conn(port)
    family = family_of(args.addr)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        set_options(sock, args)
        if port:
            sock.bind(('::' if family == socket.AF_INET6 else '0.0.0.0',
                       port))
        arm(sock)
        sock.connect((args.addr, args.port))
        conn.port = sock.getsockname()[1]
        data = stream('up', args.send)
        if args.gate:
            send_stream(sock, data[:args.gate_at], conn.sent)
            wait_for_file(args.gate)
            send_stream(sock, data[args.gate_at:], conn.sent)
        else:
            send_stream(sock, data, conn.sent)
        recv_stream(sock, conn.recv)
    except OSError as e:
        conn.error = type(e).__name__
    finally:
        sock.close()
    conns.append(conn)


def client(args):
    conns = []
    threads = [threading.Thread(target=connect_one, args=(i, args, conns))
               for i in range(args.conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return report(conns, False, args, None)


def report(conns, is_server, args, error):
    ok = error is None and len(conns) == args.conns
    for conn in sorted(conns, key=lambda c: c.port):
        print(conn.line(is_server))
        if (conn.error or conn.recv.n != args.recv
                or conn.sent.n != args.send):
            ok = False
    if error:
        print('error ' + error)
    sys.stdout.flush()
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(
        prog='colo-tcp.py', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)

    for name, func in (('server', server), ('client', client)):
        p = sub.add_parser(name)
        p.add_argument('--addr', required=True)
        p.add_argument('--port', type=int, required=True)
        p.add_argument('--send', type=int, default=0)
        p.add_argument('--recv', type=int, default=0)
        p.add_argument('--conns', type=int, default=1)
        p.add_argument('--timeout', type=float, default=30)
        p.add_argument('--buffers', type=int, default=0)
        p.add_argument('--rate', type=int, default=0)
        p.set_defaults(func=func)
        if name == 'server':
            p.add_argument('--ready')
        else:
            p.add_argument('--sport', type=int, default=0)
            p.add_argument('--gate')
            p.add_argument('--gate-at', type=int, default=0)

    d = sub.add_parser('digest')
    d.add_argument('stream', choices=sorted(SEEDS))
    d.add_argument('n', type=int)
    d.set_defaults(func=lambda args: print(digest(stream(args.stream,
                                                         args.n))))

    args = parser.parse_args()
    global deadline
    deadline = time.monotonic() + getattr(args, 'timeout', 0)
    sys.exit(args.func(args))


if __name__ == '__main__':
    main()
