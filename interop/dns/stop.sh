#!/usr/bin/env bash
# Stop the unbound started by start.sh, by the pid in its pidfile (TERM, then KILL after 5 s).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../env.sh
source "$HERE/../env.sh"
PIDFILE="$INTEROP_RUN_DIR/dns/unbound.pid"
[[ -f $PIDFILE ]] || { echo "unbound: not running (no $PIDFILE)"; exit 0; }
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
echo "unbound stopped (pid $PID)"
