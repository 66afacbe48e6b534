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

"""A scripted QMP server, a stand-in for the monitor of a secondary QEMU.

    colo-qmp-server.py serve --qmp QMP.SOCK --control CTL.SOCK --log LOG
                             [--status STATUS] [--mode MODE]
    colo-qmp-server.py ctl [--every S --until FILE] CTL.SOCK COMMAND [ARG...]

"serve" listens for QMP clients on the unix socket QMP.SOCK.  Like QEMU 7.2
it greets each client, refuses every command but qmp_capabilities until
capabilities are negotiated, then answers qmp_capabilities, query-status
(with the status it was told, "running" by default) and query-colo-status
(with the mode, last-mode and reason it was told, "none" by default).  It
sends events only to clients that negotiated.  It logs to LOG, one line
each, what happened:

    connected
    recv COMMAND
    sent EVENT
    sent raw
    disconnected

"ctl" sends one COMMAND to the server's control socket CTL.SOCK, prints the
reply and exits with 0 if the command succeeded, 1 if not.  With --every,
it sends COMMAND every S seconds until FILE exists, then prints how many
times it succeeded ("N OK") and exits with 0.  Commands:

    set status|mode|last-mode|reason VALUE
                        What later replies say.
    event NAME [KEY=VALUE...]
                        Sends event NAME, with the members KEY=VALUE as its
                        "data", to every negotiated client.  Fails if there
                        is none.
    events NAME...      Sends the events NAME... in one write, back to back.
    raw TEXT...         Sends TEXT followed by CRLF to every client.
    raw-close TEXT...   Sends TEXT alone to every client and closes the
                        connection.
    fail COMMAND        Answers COMMAND with an error from now on.
    wait COMMAND N      Replies once COMMAND has been received N times in
                        all (fails after 10 s).
    drop                Closes the connection of every client.
    quit                Exits, removing QMP.SOCK and CTL.SOCK.

This file uses the Python standard library only."""

import argparse
import json
import os
import selectors
import socket
import sys
import time

GREETING = {
    "QMP": {
        "version": {
            "qemu": {"micro": 0, "minor": 2, "major": 7},
            "package": "Debian 1:7.2+dfsg-7",
        },
        "capabilities": ["oob"],
    }
}

WAIT_TIMEOUT = 10.0


class QmpClient:
    def __init__(self, sock):
        self.sock = sock
        self.buf = ""
        self.negotiated = False


class Server:
    def __init__(self, args):
        self.args = args
        self.sel = selectors.DefaultSelector()
        self.log_file = open(args.log, "a", buffering=1)
        self.state = {
            "status": args.status,
            "mode": args.mode,
            "last-mode": "none",
            "reason": "none",
        }
        self.failing = set()
        self.counts = {}
        self.clients = []
        self.waits = []         # (deadline, command, n, control socket)
        self.running = True

        self.qmp = self.listen(args.qmp)
        self.control = self.listen(args.control)
        self.sel.register(self.qmp, selectors.EVENT_READ, "qmp")
        self.sel.register(self.control, selectors.EVENT_READ, "control")

    @staticmethod
    def listen(path):
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(8)
        return s

    def log(self, line):
        self.log_file.write(line + "\n")

    @staticmethod
    def send(sock, obj):
        try:
            sock.sendall((json.dumps(obj) + "\r\n").encode())
        except OSError:
            pass

    # QMP side.

    def accept_qmp(self):
        sock, _ = self.qmp.accept()
        client = QmpClient(sock)
        self.clients.append(client)
        self.sel.register(sock, selectors.EVENT_READ, client)
        self.log("connected")
        self.send(sock, GREETING)

    def drop(self, client):
        self.sel.unregister(client.sock)
        client.sock.close()
        self.clients.remove(client)
        self.log("disconnected")

    def read_qmp(self, client):
        try:
            data = client.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.drop(client)
            return
        client.buf += data.decode(errors="replace")
        decoder = json.JSONDecoder()
        while True:
            text = client.buf.lstrip()
            if not text:
                client.buf = ""
                return
            try:
                msg, end = decoder.raw_decode(text)
            except ValueError:
                client.buf = text
                return
            client.buf = text[end:]
            self.command(client, msg)

    def reply_error(self, client, msg, cls, desc):
        reply = {"error": {"class": cls, "desc": desc}}
        if "id" in msg:
            reply["id"] = msg["id"]
        self.send(client.sock, reply)

    def command(self, client, msg):
        name = msg.get("execute") if isinstance(msg, dict) else None
        if not isinstance(name, str):
            self.log("recv invalid")
            self.reply_error(client, msg if isinstance(msg, dict) else {},
                             "GenericError", "expected a command")
            return
        self.log("recv " + name)
        self.counts[name] = self.counts.get(name, 0) + 1

        if name in self.failing:
            self.reply_error(client, msg, "GenericError",
                             "%s fails, as the test asked" % name)
            return
        if not client.negotiated and name != "qmp_capabilities":
            self.reply_error(client, msg, "CommandNotFound",
                             "capabilities are not negotiated yet")
            return

        if name == "qmp_capabilities":
            if client.negotiated:
                self.reply_error(client, msg, "CommandNotFound",
                                 "capabilities are already negotiated")
                return
            client.negotiated = True
            ret = {}
        elif name == "query-status":
            ret = {"status": self.state["status"], "singlestep": False,
                   "running": self.state["status"] == "running"}
        elif name == "query-colo-status":
            ret = {"mode": self.state["mode"],
                   "last-mode": self.state["last-mode"],
                   "reason": self.state["reason"]}
        else:
            self.reply_error(client, msg, "CommandNotFound",
                             "command %s not found" % name)
            return

        reply = {"return": ret}
        if "id" in msg:
            reply["id"] = msg["id"]
        self.send(client.sock, reply)

    @staticmethod
    def event(name, data):
        now = time.time()
        msg = {"timestamp": {"seconds": int(now),
                             "microseconds": int(now * 1e6) % 1000000},
               "event": name}
        if data:
            msg["data"] = data
        return json.dumps(msg) + "\r\n"

    def send_events(self, names, data):
        negotiated = [c for c in self.clients if c.negotiated]
        if not negotiated:
            return "ERROR no negotiated client"
        text = "".join(self.event(name, data) for name in names)
        for client in negotiated:
            try:
                client.sock.sendall(text.encode())
            except OSError:
                pass
        for name in names:
            self.log("sent " + name)
        return "OK"

    # Control side.

    def control_command(self, words, sock):
        if not words:
            return "ERROR empty command"
        cmd, args = words[0], words[1:]
        if cmd == "set" and len(args) == 2 and args[0] in self.state:
            self.state[args[0]] = args[1]
            return "OK"
        elif cmd == "event" and args:
            data = {}
            for kv in args[1:]:
                key, _, value = kv.partition("=")
                data[key] = value
            return self.send_events([args[0]], data)
        elif cmd == "events" and args:
            return self.send_events(args, {})
        elif cmd == "raw":
            text = " ".join(args) + "\r\n"
            for client in self.clients:
                try:
                    client.sock.sendall(text.encode())
                except OSError:
                    pass
            self.log("sent raw")
            return "OK"
        elif cmd == "raw-close":
            text = " ".join(args)
            for client in list(self.clients):
                try:
                    client.sock.sendall(text.encode())
                except OSError:
                    pass
                self.drop(client)
            self.log("sent raw")
            return "OK"
        elif cmd == "fail" and len(args) == 1:
            self.failing.add(args[0])
            return "OK"
        elif cmd == "wait" and len(args) == 2:
            self.waits.append((time.monotonic() + WAIT_TIMEOUT, args[0],
                               int(args[1]), sock))
            return None
        elif cmd == "drop":
            for client in list(self.clients):
                self.drop(client)
            return "OK"
        elif cmd == "quit":
            self.running = False
            return "OK"
        return "ERROR bad command: " + " ".join(words)

    def read_control(self):
        sock, _ = self.control.accept()
        sock.settimeout(5)
        data = b""
        try:
            while not data.endswith(b"\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        reply = self.control_command(data.decode().split(), sock)
        if reply is not None:
            self.finish_control(sock, reply)

    @staticmethod
    def finish_control(sock, reply):
        try:
            sock.sendall((reply + "\n").encode())
        except OSError:
            pass
        sock.close()

    def check_waits(self):
        now = time.monotonic()
        for w in list(self.waits):
            deadline, cmd, n, sock = w
            if self.counts.get(cmd, 0) >= n:
                self.finish_control(sock, "OK")
                self.waits.remove(w)
            elif now >= deadline:
                self.finish_control(sock, "ERROR timeout: %s received %d "
                                    "times" % (cmd, self.counts.get(cmd, 0)))
                self.waits.remove(w)

    def run(self):
        while self.running:
            for key, _ in self.sel.select(timeout=0.1):
                if key.data == "qmp":
                    self.accept_qmp()
                elif key.data == "control":
                    self.read_control()
                elif key.data in self.clients:
                    self.read_qmp(key.data)
            self.check_waits()
        for client in list(self.clients):
            self.drop(client)
        for path in (self.args.qmp, self.args.control):
            try:
                os.unlink(path)
            except OSError:
                pass


def ctl(path, words):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(WAIT_TIMEOUT + 5)
    s.connect(path)
    s.sendall((" ".join(words) + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    reply = data.decode().strip()
    print(reply)
    return 0 if reply == "OK" else 1


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--qmp", required=True)
    serve.add_argument("--control", required=True)
    serve.add_argument("--log", required=True)
    serve.add_argument("--status", default="running")
    serve.add_argument("--mode", default="none")
    serve.add_argument("--pidfile")
    c = sub.add_parser("ctl")
    c.add_argument("--every", type=float)
    c.add_argument("--until")
    c.add_argument("socket")
    c.add_argument("words", nargs="+")
    args = parser.parse_args()

    if args.cmd == "serve":
        if args.pidfile:
            with open(args.pidfile, "w") as f:
                f.write("%d\n" % os.getpid())
        Server(args).run()
        return 0
    if args.every is not None:
        if not args.until:
            parser.error("--every needs --until")
        n = 0
        while not os.path.exists(args.until):
            with open(os.devnull, "w") as null:
                out, sys.stdout = sys.stdout, null
                try:
                    n += ctl(args.socket, args.words) == 0
                finally:
                    sys.stdout = out
            time.sleep(args.every)
        print("%d OK" % n)
        return 0
    return ctl(args.socket, args.words)


if __name__ == "__main__":
    sys.exit(main())
