#!/usr/bin/env python3
"""Send one SIP OPTIONS to a server and exit 0 if it answers 200 (stdlib only).

    sip_probe.py [--tcp] [--timeout S] HOST PORT
"""
import argparse
import random
import socket
import sys


def options(host, port, tcp, local):
    branch = "z9hG4bK-probe-%08x" % random.getrandbits(32)
    tag = "%08x" % random.getrandbits(32)
    proto = "TCP" if tcp else "UDP"
    return (
        f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/{proto} {local[0]}:{local[1]};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@{host}>;tag={tag}\r\n"
        f"To: <sip:{host}:{port}>\r\n"
        f"Call-ID: probe-{tag}@{local[0]}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--tcp", action="store_true")
    p.add_argument("--timeout", type=float, default=1.0)
    a = p.parse_args()
    try:
        if a.tcp:
            s = socket.create_connection((a.host, a.port), timeout=a.timeout)
            s.sendall(options(a.host, a.port, True, s.getsockname()))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(a.timeout)
            s.bind((a.host, 0))
            s.sendto(options(a.host, a.port, False, s.getsockname()), (a.host, a.port))
        reply = s.recv(65535).decode(errors="replace")
    except OSError as e:
        print(f"no answer: {e}", file=sys.stderr)
        return 1
    status = reply.split("\r\n", 1)[0]
    if status.startswith("SIP/2.0 200"):
        return 0
    print(f"unexpected answer: {status}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
