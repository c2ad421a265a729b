#!/usr/bin/env bash
# Stop the unbound started by start.sh, by the pid in its pidfile (TERM, then KILL after 5 s).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=../stop-pidfile.sh
source "$HERE/../stop-pidfile.sh"
stop_pidfile unbound "$INTEROP_RUN_DIR/dns/unbound.pid"
