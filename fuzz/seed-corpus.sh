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
