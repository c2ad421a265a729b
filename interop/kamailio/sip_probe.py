#!/usr/bin/env python3
"""Health checks for the interop kamailio (stdlib only); exit 0 on success.

    sip_probe.py [--tcp] [--timeout S] HOST PORT
        one OPTIONS to the server itself, expects 200
    sip_probe.py --register USER@DOMAIN:PASSWORD [--timeout S] HOST PORT
        REGISTER over UDP, answers the 401 with MD5 digest (qop=auth), expects 200,
        then removes the binding again (Expires: 0, also authenticated)
"""
import argparse
import hashlib
import random
import re
import socket
import sys


def rand_hex():
    return "%08x" % random.getrandbits(32)


def request(method, ruri, frm, to, call_id, cseq, proto, local, extra=""):
    return (
        f"{method} {ruri} SIP/2.0\r\n"
        f"Via: SIP/2.0/{proto} {local[0]}:{local[1]};branch=z9hG4bK-probe-{rand_hex()};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <{frm}>;tag={rand_hex()}\r\n"
        f"To: <{to}>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"{extra}"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def status(reply):
    line = reply.split("\r\n", 1)[0]
    parts = line.split(" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), line


def digest(challenge, method, ruri, user, password):
    """Authorization header value for a WWW-Authenticate: Digest challenge (MD5, qop=auth)."""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    realm, nonce = params["realm"], params["nonce"]
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{ruri}".encode()).hexdigest()
    cnonce, nc = rand_hex(), "00000001"
    response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    value = (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{ruri}", '
        f'response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"'
    )
    if "opaque" in params:
        value += f', opaque="{params["opaque"]}"'
    return value


def register(sock, server, account, timeout):
    user_domain, password = account.rsplit(":", 1)
    user, domain = user_domain.split("@", 1)
    local = sock.getsockname()
    aor, ruri = f"sip:{user}@{domain}", f"sip:{domain}"
    call_id = f"probe-{rand_hex()}@{local[0]}"
    contact = f"Contact: <sip:{user}@{local[0]}:{local[1]}>\r\n"
    for cseq, expires in ((1, 60), (3, 0)):
        extra = f"{contact}Expires: {expires}\r\n"
        sock.sendto(request("REGISTER", ruri, aor, aor, call_id, cseq, "UDP", local, extra), server)
        code, line = status(reply := sock.recv(65535).decode(errors="replace"))
        if code != 401:
            raise RuntimeError(f"REGISTER: expected 401, got {line}")
        m = re.search(r"^WWW-Authenticate:\s*Digest\s+(.*)$", reply, re.M | re.I)
        auth = digest(m.group(1), "REGISTER", ruri, user, password)
        extra += f"Authorization: {auth}\r\n"
        sock.sendto(request("REGISTER", ruri, aor, aor, call_id, cseq + 1, "UDP", local, extra), server)
        code, line = status(sock.recv(65535).decode(errors="replace"))
        if code != 200:
            raise RuntimeError(f"authenticated REGISTER (Expires: {expires}): got {line}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--tcp", action="store_true")
    p.add_argument("--register", metavar="USER@DOMAIN:PASSWORD")
    p.add_argument("--timeout", type=float, default=1.0)
    a = p.parse_args()
    server = (a.host, a.port)
    try:
        if a.register:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(a.timeout)
            s.bind((a.host, 0))
            register(s, server, a.register, a.timeout)
            return 0
        ruri = f"sip:{a.host}:{a.port}"
        if a.tcp:
            s = socket.create_connection(server, timeout=a.timeout)
            msg = request("OPTIONS", ruri, f"sip:probe@{a.host}", ruri, f"probe-{rand_hex()}",
                          1, "TCP", s.getsockname())
            s.sendall(msg)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(a.timeout)
            s.bind((a.host, 0))
            msg = request("OPTIONS", ruri, f"sip:probe@{a.host}", ruri, f"probe-{rand_hex()}",
                          1, "UDP", s.getsockname())
            s.sendto(msg, server)
        code, line = status(s.recv(65535).decode(errors="replace"))
    except (OSError, RuntimeError, AttributeError, KeyError) as e:
        print(f"sip_probe: {e}", file=sys.stderr)
        return 1
    if code == 200:
        return 0
    print(f"sip_probe: unexpected answer: {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
