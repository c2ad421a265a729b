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
  ctrl.py b1 -w CALL_ESTABLISHED -s 1 -c "sndcode 9*" -d "123#" -w CALL_CLOSED   # DTMF both ways

Steps run in order: -c CMD sends a menu command (dial URI, hangup, accept, hold, resume, ...;
`-c help` lists them) and fails if baresip says it failed; -w TYPE waits for the next event of
that type not yet consumed by an earlier -w, whenever it came in (RTP may be seen before the
200 OK, so CALL_RTPESTAB can precede CALL_ESTABLISHED), --timeout seconds each; -s S reads
(and prints) events for S seconds; -d DIGITS waits until the DTMF digits received since the
start, in order, are DIGITS (fails at once on another digit).
Prints "CONNECTED" once connected, then one line per response ("RESP ok=.. data") and event
("EVENT TYPE peer param"), and for a received DTMF digit (CALL_DTMF_START, param the digit;
CALL_DTMF_END follows at the key's release) also "DTMF digit=X", as pjsua2/ua.py does. DTMF
is sent by the in-call command `sndcode DIGITS` (RFC 4733). Exit 0 when every step
succeeded, 1 otherwise. Stdlib only.
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
        if msg.get("type") == "CALL_DTMF_START":
            print(f"DTMF digit={msg.get('param', '')}", flush=True)
    else:
        data = (msg.get("data") or "").strip().replace("\n", " | ")
        print(f"RESP ok={msg.get('ok')} {data}", flush=True)


def run(ctrl, steps, timeout):
    pending = []  # events not yet consumed by a -w (they may arrive before a command's response)
    digits = ""  # every DTMF digit received
    for kind, arg in steps:
        if kind == "sleep":
            deadline = time.monotonic() + float(arg)
            while (msg := ctrl.read(deadline)) is not None:
                show(msg)
                if msg.get("event"):
                    pending.append(msg)
                    digits += msg.get("param", "") if msg.get("type") == "CALL_DTMF_START" else ""
            continue
        deadline = time.monotonic() + timeout
        token = ctrl.send(arg) if kind == "cmd" else None
        while True:
            if kind == "dtmf":
                if digits == arg:
                    break
                if not arg.startswith(digits):
                    print(f"DTMF mismatch: received {digits!r}, expected {arg!r}", flush=True)
                    return False
            elif not token:
                types = [m.get("type") for m in pending]
                if arg in types:  # consume it (only: events may come in any order)
                    del pending[types.index(arg)]
                    break
            msg = ctrl.read(deadline)
            if msg is None:
                what = {"cmd": "response to " + arg, "dtmf": f"DTMF {arg!r} (got {digits!r})"}.get(kind, arg)
                print(f"TIMEOUT after {timeout:g} s waiting for", what, flush=True)
                return False
            show(msg)
            if msg.get("event"):
                pending.append(msg)
                digits += msg.get("param", "") if msg.get("type") == "CALL_DTMF_START" else ""
            elif token and msg.get("token") in (token, None):
                if not msg.get("ok"):
                    return False
                break
    return True


class Step(argparse.Action):
    KINDS = {"-c": "cmd", "--cmd": "cmd", "-w": "wait", "--wait": "wait", "-s": "sleep", "--sleep": "sleep",
             "-d": "dtmf", "--expect-dtmf": "dtmf"}

    def __call__(self, parser, ns, value, option=None):
        if option in ("-s", "--sleep"):
            try:
                float(value)
            except ValueError:
                parser.error(f"{option} takes seconds, not {value!r}")
        ns.steps = (ns.steps or []) + [(self.KINDS[option], value)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="?", help="instance name given to start.sh (reads its ctrl port)")
    ap.add_argument("--port", type=int, help="ctrl_tcp port instead of NAME")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per step (default 10)")
    ap.add_argument("-c", "--cmd", action=Step, dest="steps", metavar="CMD")
    ap.add_argument("-w", "--wait", action=Step, dest="steps", metavar="EVENT")
    ap.add_argument("-s", "--sleep", action=Step, dest="steps", metavar="S", help="read events for S seconds")
    ap.add_argument("-d", "--expect-dtmf", action=Step, dest="steps", metavar="DIGITS",
                    help="wait until the digits received so far are DIGITS")
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
