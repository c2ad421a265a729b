#!/usr/bin/env bash
# Print the path of the newest recording of baresip instance NAME (started with
# BARESIP_RECORD=1): what it received (dec, the default) or what it sent (enc).
# Exit 1 when there is none.
#
#   interop/baresip/last-recording.sh NAME [dec|enc]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../env.sh
source "$HERE/../env.sh"
NAME="${1:?usage: $0 NAME [dec|enc]}"
KIND="${2:-dec}"
# Names carry the call's start time to the second (dump-2026-11-26-12-01-37-dec.wav), so
# they sort by time.
last="$(find "$INTEROP_RUN_DIR/baresip-$NAME/rec" -maxdepth 1 -name "dump-*-$KIND.wav" 2>/dev/null | sort | tail -n 1)"
[[ -n $last ]] || { echo "no $KIND recording for baresip '$NAME'" >&2; exit 1; }
echo "$last"
