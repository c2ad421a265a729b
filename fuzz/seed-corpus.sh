#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from vectors/ (run from anywhere; idempotent).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vectors="$here/../vectors"
mkdir -p "$here/corpus/sip_message" "$here/corpus/sip_framer" "$here/corpus/sdp"
for f in "$vectors"/sip/*/*.sip "$vectors"/bench/*.sip "$vectors"/mwi/*.sip "$vectors"/presence/*.sip; do
  [ -f "$f" ] || continue
  name=$(basename "$(dirname "$f")")-$(basename "$f")
  cp "$f" "$here/corpus/sip_message/$name"
  # The framer's first byte picks the chunk size.
  { printf '\007'; cat "$f" "$f"; } > "$here/corpus/sip_framer/$name"
done
for f in "$vectors"/sdp/*.sdp; do
  [ -f "$f" ] || continue
  cp "$f" "$here/corpus/sdp/$(basename "$f")"
done
mkdir -p "$here/corpus/conference_info"
for f in "$vectors"/presence/rfc4575-*.xml; do
  [ -f "$f" ] || continue
  cp "$f" "$here/corpus/conference_info/$(basename "$f")"
done
# The endpoint target reads operations: 0x00, the length in 8-byte units, then a datagram;
# then a user response (0x45), a time step (0x03) and a request to send (0x04).
mkdir -p "$here/corpus/endpoint"
python3 - "$vectors" "$here/corpus/endpoint" <<'PY'
import glob, os, sys
vectors, out = sys.argv[1], sys.argv[2]
for f in glob.glob(vectors + "/sip/*/*.sip") + glob.glob(vectors + "/bench/*.sip"):
    data = open(f, "rb").read()
    if len(data) > 2040:
        continue
    units = (len(data) + 7) // 8
    seed = bytes([0x00, units]) + data.ljust(units * 8, b" ") + bytes([0x45, 0x03, 0x04])
    open(os.path.join(out, "seed-" + os.path.basename(f)), "wb").write(seed)
PY
# STUN: the RFC 5769 samples. (rtp, rtcp, srtp_unprotect and ice_agent keep hand-made seeds in
# their corpus directories, and the replay test also runs the srtp and stun vector files.)
mkdir -p "$here/corpus/stun"
for f in "$vectors"/stun/*.bin; do
  [ -f "$f" ] || continue
  cp "$f" "$here/corpus/stun/$(basename "$f")"
done
