#!/usr/bin/env python3
"""An ICE peer on aioice (a full RFC 8445 agent) for the interop tests, on loopback only.

    peer.py --role controlling|controlled [--components N] [--echo SECONDS | --send N]

It gathers host candidates on 127.0.0.1 alone (aioice would skip loopback and use the
machine's other interfaces), then speaks on stdio:

1. it writes its description, SDP attribute lines ending with a line ".":
       a=ice-ufrag:..., a=ice-pwd:..., a=candidate:... (one per candidate), a=end-of-candidates
2. it reads the peer's description the same way (a line "a=ice-lite" is honoured);
3. it connects, and writes "connected <local ip:port> <remote ip:port>" for component 1;
4. with --echo it answers every datagram with "echo:" + the datagram for that many
   seconds, keeping consent (RFC 7675) meanwhile; with --send N it sends "ping i" N times
   and expects "echo:ping i" back. It then writes "done" and exits 0, or "failed <why>" and
   exits 1.

Logs go to stderr.
"""
import argparse
import asyncio
import sys
import time

import aioice
import aioice.ice


def description(conn):
    lines = [f"a=ice-ufrag:{conn.local_username}", f"a=ice-pwd:{conn.local_password}"]
    lines += [f"a=candidate:{c.to_sdp()}" for c in conn.local_candidates]
    lines += ["a=end-of-candidates", "."]
    return "\n".join(lines) + "\n"


async def read_description():
    loop = asyncio.get_running_loop()
    ufrag = pwd = None
    lite = False
    candidates = []
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == ".":
            break
        line = line.strip().removeprefix("a=")
        name, _, value = line.partition(":")
        if name == "ice-ufrag":
            ufrag = value
        elif name == "ice-pwd":
            pwd = value
        elif name == "ice-lite":
            lite = True
        elif name == "candidate":
            candidates.append(aioice.Candidate.from_sdp(value))
    if ufrag is None or pwd is None:
        raise ValueError("the peer's description has no ice-ufrag or ice-pwd")
    return ufrag, pwd, lite, candidates


def say(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def run(args):
    # Loopback only: no other interface is ever used.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    conn = aioice.Connection(
        ice_controlling=args.role == "controlling",
        components=args.components,
        use_ipv4=True,
        use_ipv6=False,
    )
    await conn.gather_candidates()
    sys.stdout.write(description(conn))
    sys.stdout.flush()
    ufrag, pwd, lite, candidates = await read_description()
    conn.remote_username = ufrag
    conn.remote_password = pwd
    conn.remote_is_lite = lite
    for c in candidates:
        await conn.add_remote_candidate(c)
    await conn.add_remote_candidate(None)
    started = time.monotonic()
    await asyncio.wait_for(conn.connect(), timeout=args.timeout)
    pair = conn._nominated.get(1)
    local, remote = (pair.local_addr, pair.remote_addr) if pair else (None, None)
    print(f"connected in {time.monotonic() - started:.3f} s", file=sys.stderr)
    say(f"connected {local[0]}:{local[1]} {remote[0]}:{remote[1]}" if pair else "connected")
    ok = True
    if args.send:
        for i in range(args.send):
            ping = f"ping {i}".encode()
            await conn.send(ping)
            answer = await asyncio.wait_for(conn.recv(), timeout=5)
            ok &= answer == b"echo:" + ping
    elif args.echo:
        end = time.monotonic() + args.echo
        while (left := end - time.monotonic()) > 0:
            try:
                data = await asyncio.wait_for(conn.recv(), timeout=left)
            except asyncio.TimeoutError:
                break
            await conn.send(b"echo:" + data)
    await conn.close()
    say("done" if ok else "failed wrong echo")
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=["controlling", "controlled"], required=True)
    parser.add_argument("--components", type=int, default=1)
    parser.add_argument("--echo", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--send", type=int, default=0, metavar="N")
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()
    try:
        sys.exit(asyncio.run(run(args)))
    except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
        say(f"failed {type(e).__name__}: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
