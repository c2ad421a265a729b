#!/usr/bin/env python3
"""An SRTP peer on pylibsrtp (libsrtp 2 with OpenSSL) for the interop tests.

    peer.py --suite SUITE --key inline:BASE64

Reads commands from stdin, one per line, and answers each on stdout with one line:

    protect HEX | unprotect HEX | protect-rtcp HEX | unprotect-rtcp HEX
    -> "OK HEX" or "ERR reason"

Protecting and unprotecting use two sessions that live as long as the process (one sending,
one receiving, both with the given key), so a sequence of packets exercises the rollover
counter and the replay windows the way a call does. `peer.py --suites` lists the suites this
pylibsrtp supports, one per line.
"""
import argparse
import base64
import sys

from pylibsrtp import Error, Policy, Session

# The suite names of RFC 4568 / RFC 7714, with the master key and salt lengths of each.
PROFILES = {
    "AES_CM_128_HMAC_SHA1_80": ("SRTP_PROFILE_AES128_CM_SHA1_80", 16, 14),
    "AES_CM_128_HMAC_SHA1_32": ("SRTP_PROFILE_AES128_CM_SHA1_32", 16, 14),
    "AEAD_AES_128_GCM": ("SRTP_PROFILE_AEAD_AES_128_GCM", 16, 12),
    "AEAD_AES_256_GCM": ("SRTP_PROFILE_AEAD_AES_256_GCM", 32, 12),
}


def supported():
    return [name for name, (attr, _, _) in PROFILES.items() if hasattr(Policy, attr)]


def master_key(suite, inline):
    text = inline.removeprefix("inline:").split("|")[0]
    raw = base64.b64decode(text)
    _, key_len, salt_len = PROFILES[suite]
    if len(raw) != key_len + salt_len:
        sys.exit(f"{suite} needs {key_len}+{salt_len} bytes of key and salt, got {len(raw)}")
    return raw


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", action="store_true", help="list the supported suites")
    parser.add_argument("--suite", choices=sorted(PROFILES))
    parser.add_argument("--key", help="the SDES inline key")
    args = parser.parse_args()
    if args.suites:
        print("\n".join(supported()))
        return
    if not args.suite or not args.key:
        parser.error("--suite and --key are required")
    if args.suite not in supported():
        sys.exit(f"this pylibsrtp has no {args.suite}")
    key = master_key(args.suite, args.key)
    profile = getattr(Policy, PROFILES[args.suite][0])
    tx = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=profile))
    rx = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND, srtp_profile=profile))
    ops = {
        "protect": tx.protect,
        "unprotect": rx.unprotect,
        "protect-rtcp": tx.protect_rtcp,
        "unprotect-rtcp": rx.unprotect_rtcp,
    }
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        op = ops.get(words[0])
        if op is None or len(words) != 2:
            print(f"ERR bad command {words[0]!r}", flush=True)
            continue
        try:
            print("OK " + op(bytes.fromhex(words[1])).hex(), flush=True)
        except (Error, ValueError) as e:
            print(f"ERR {e}", flush=True)


if __name__ == "__main__":
    main()
