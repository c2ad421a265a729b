#!/usr/bin/env bash
# Stop the baresip instance NAME started by start.sh, by the pid in its pidfile (TERM, then
# KILL after 5 s).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../env.sh
source "$HERE/../env.sh"
NAME="${1:?usage: $0 NAME}"
PIDFILE="$INTEROP_RUN_DIR/baresip-$NAME/baresip.pid"
[[ -f $PIDFILE ]] || { echo "baresip '$NAME': not running (no $PIDFILE)"; exit 0; }
PID="$(cat "$PIDFILE")"
if kill -0 "$PID" 2>/dev/null; then
	kill -TERM "$PID"
	for _ in $(seq 1 50); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID"; fi
fi
rm -f "$PIDFILE"
echo "baresip '$NAME' stopped (pid $PID)"
