#!/usr/bin/env python3
"""Drive a baresip started by interop/baresip/start.sh through its ctrl_tcp module.

ctrl_tcp speaks netstrings ("<len>:<json>,") on 127.0.0.1. We send
{"command": ..., "params": ..., "token": ...} and read back responses ({"response": true,
"ok": ..., "data": ..., "token": ...}) and events ({"event": true, "type": "CALL_ESTABLISHED",
"peeruri": ..., "param": ...}). Events go only to clients connected when they happen, so a
command and the events it causes belong in one invocation:

  ctrl.py b1 -c "dial sip:bob@sipsimple.test" -w CALL_ESTABLISHED -c hangup -w CALL_CLOSED
  ctrl.py b1 -w CALL_INCOMING -w CALL_ESTABLISHED -w CALL_CLOSED   # watch a call come in
  ctrl.py b1 -c reginfo

Steps run in order: -c CMD sends a menu command (dial URI, hangup, accept, hold, resume, ...;
`-c help` lists them) and fails if baresip says it failed; -w TYPE waits for the next event of
that type not yet consumed by an earlier -w, whenever it came in (RTP may be seen before the
200 OK, so CALL_RTPESTAB can precede CALL_ESTABLISHED), --timeout seconds each.
Prints "CONNECTED" once connected, then one line per response ("RESP ok=.. data") and event
("EVENT TYPE peer param"). Exit 0 when every step succeeded, 1 otherwise. Stdlib only.
"""
import argparse
import json
import os
import socket
import sys
import time


class Ctrl:
    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.token = 0

    def read(self, deadline):
        """Next message (a dict), or None at the deadline."""
        while True:
            head, sep, rest = self.buf.partition(b":")
            if sep:
                n = int(head)
                if len(rest) > n:  # payload plus the trailing ","
                    self.buf = rest[n + 1:]
                    return json.loads(rest[:n])
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise ConnectionError("baresip closed the control connection")
            self.buf += chunk

    def send(self, line):
        command, _, params = line.partition(" ")
        self.token += 1
        msg = {"command": command, "token": str(self.token)}
        if params:
            msg["params"] = params
        data = json.dumps(msg).encode()
        self.sock.sendall(b"%d:%s," % (len(data), data))
        return str(self.token)


def show(msg):
    if msg.get("event"):
        print("EVENT", msg.get("type"), msg.get("peeruri", "-"), msg.get("param", ""), flush=True)
    else:
        data = (msg.get("data") or "").strip().replace("\n", " | ")
        print(f"RESP ok={msg.get('ok')} {data}", flush=True)


def run(ctrl, steps, timeout):
    pending = []  # events not yet consumed by a -w (they may arrive before a command's response)
    for kind, arg in steps:
        deadline = time.monotonic() + timeout
        token = ctrl.send(arg) if kind == "cmd" else None
        while True:
            if not token:
                types = [m.get("type") for m in pending]
                if arg in types:  # consume it (only: events may come in any order)
                    del pending[types.index(arg)]
                    break
            msg = ctrl.read(deadline)
            if msg is None:
                print(f"TIMEOUT after {timeout:g} s waiting for", "response to " + arg if token else arg,
                      flush=True)
                return False
            show(msg)
            if msg.get("event"):
                pending.append(msg)
            elif token and msg.get("token") in (token, None):
                if not msg.get("ok"):
                    return False
                break
    return True


class Step(argparse.Action):
    def __call__(self, parser, ns, value, option=None):
        ns.steps = (ns.steps or []) + [("cmd" if option in ("-c", "--cmd") else "wait", value)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="?", help="instance name given to start.sh (reads its ctrl port)")
    ap.add_argument("--port", type=int, help="ctrl_tcp port instead of NAME")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per step (default 10)")
    ap.add_argument("-c", "--cmd", action=Step, dest="steps", metavar="CMD")
    ap.add_argument("-w", "--wait", action=Step, dest="steps", metavar="EVENT")
    a = ap.parse_args()
    port = a.port
    if port is None:
        if not a.name:
            ap.error("NAME or --port is needed")
        run_dir = os.environ.get("INTEROP_RUN_DIR", "/tmp/sipsimple-interop")
        with open(os.path.join(run_dir, f"baresip-{a.name}", "ctrl_port")) as f:
            port = int(f.read())
    try:
        ctrl = Ctrl(port, a.timeout)
    except OSError as e:
        print(f"cannot connect to baresip ctrl_tcp 127.0.0.1:{port}: {e}", file=sys.stderr)
        return 1
    print("CONNECTED", flush=True)
    return 0 if run(ctrl, a.steps or [], a.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
