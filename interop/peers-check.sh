#!/usr/bin/env bash
# Prove the SIP peers against the project's kamailio: baresip (registered as carol) and
# pjsua2/ua.py (registered as dave) call each other through kamailio on 127.0.0.1.
#   a) baresip -> pjsua2: established (with RTP), hung up by baresip, both sides clean
#   b) pjsua2 -> baresip: established, hung up by pjsua2
#   c) pjsua2 -> baresip with hold and unhold: baresip answers the sendonly re-INVITE with
#      recvonly and the unhold with sendrecv (its SIP trace), pjsua2 sees local-hold/active
# Needs `interop/install.sh peers`. Starts kamailio unless it is running (and then stops it
# again), runs a baresip instance `check` and stops it, whatever happens. Exit 0 = all passed.
# Output of each step in $INTEROP_RUN_DIR/peers-check/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
BS_USER="${PEERS_BARESIP_USER:-carol}"
PJ_USER="${PEERS_PJSUA_USER:-dave}"
OUT="$INTEROP_RUN_DIR/peers-check"
PY="$HERE/.venv/bin/python"
[[ -x $PY ]] || { echo "no $PY: run interop/install.sh peers" >&2; exit 1; }
mkdir -p "$OUT"
rm -f "$OUT"/*

KAM_PID="$INTEROP_RUN_DIR/kamailio/kamailio.pid"
STOP_KAMAILIO=1
if [[ -f $KAM_PID ]] && kill -0 "$(cat "$KAM_PID")" 2>/dev/null; then STOP_KAMAILIO=0; fi
BG=()  # pids of the ua.py and ctrl.py runs in the background
cleanup() {
	local status=$?
	for pid in "${BG[@]}"; do kill "$pid" 2>/dev/null || true; done
	"$HERE/baresip/stop.sh" check >/dev/null || true
	if [[ $STOP_KAMAILIO == 1 ]]; then "$HERE/kamailio/stop.sh" >/dev/null || true; fi
	return "$status"
}
trap cleanup EXIT

"$HERE/kamailio/start.sh"
BARESIP_USER=$BS_USER "$HERE/baresip/start.sh" check

# Commands, not functions: "${UA[@]}" ... & makes $! the pid of python itself.
CTRL=(python3 "$HERE/baresip/ctrl.py" check --timeout 10)
UA=("$PY" "$HERE/pjsua2/ua.py" -u "$PJ_USER" --log-level 4)  # PJSIP log (SIP messages): X-pjsua2.log
# Wait until FILE has a line matching PATTERN (a background run got ready).
await() {
	for _ in $(seq 1 100); do grep -qs "$2" "$1" && return 0; sleep 0.1; done
	echo "timed out waiting for '$2' in $1" >&2
	return 1
}
# The a= direction lines of the SDP bodies baresip sent, from its SIP trace (start.sh -s).
sent_dirs() {
	awk -v me="127.0.0.1:$INTEROP_BARESIP_SIP_PORT ->" '
		{ sub(/\r$/, "") }  # SIP lines end in CRLF
		/^(UDP|TCP|TLS) / { mine = index($0, me) == 5 }
		mine && /^a=(sendrecv|sendonly|recvonly|inactive)/ { printf "%s ", substr($0, 3) }' \
		"$INTEROP_RUN_DIR/baresip-check/baresip.log"
}
pass=0
fail=0
result() { # NAME OK(0/1) DETAIL
	if [[ $2 == 0 ]]; then pass=$((pass + 1)); echo "PASS $1"; else fail=$((fail + 1)); echo "FAIL $1: $3"; fi
}

# a) baresip calls pjsua2: pjsua2 answers the one call and exits when it has ended.
"${UA[@]}" --register --answer --calls 1 --duration 30 > "$OUT/a-pjsua2.out" 2> "$OUT/a-pjsua2.log" &
pj=$!
BG+=("$pj")
ok=0
if await "$OUT/a-pjsua2.out" "^REG ok"; then
	"${CTRL[@]}" -c "dial sip:$PJ_USER@$INTEROP_DOMAIN" -w CALL_ESTABLISHED -w CALL_RTPESTAB -c hangup \
		-w CALL_CLOSED > "$OUT/a-baresip.out" || ok=1
else
	ok=1
fi
wait "$pj" || ok=1
result "a) baresip $BS_USER -> kamailio -> pjsua2 $PJ_USER: established, RTP, baresip hangs up" \
	"$ok" "$(tail -n 2 "$OUT/a-baresip.out" "$OUT/a-pjsua2.out" 2>/dev/null | tr '\n' ' ')"

# b) pjsua2 calls baresip (auto-answer) and hangs up after 2 s; baresip's events are watched.
# c) the same with a hold after 1 s and an unhold after 3 s.
call_baresip() { # NAME WAITS... -- UA-ARGS...
	local name=$1 waits=() ok=0 w
	shift
	while [[ $1 != -- ]]; do waits+=(-w "$1"); shift; done
	shift
	"${CTRL[@]}" -w CALL_ESTABLISHED "${waits[@]}" -w CALL_CLOSED > "$OUT/$name-baresip.out" &
	w=$!
	BG+=("$w")
	await "$OUT/$name-baresip.out" "^CONNECTED"
	"${UA[@]}" "$@" > "$OUT/$name-pjsua2.out" 2> "$OUT/$name-pjsua2.log" || ok=1
	wait "$w" || ok=1
	return "$ok"
}
ok=0
call_baresip b CALL_RTPESTAB -- --call "sip:$BS_USER@$INTEROP_DOMAIN" --hangup-after 2 --duration 15 || ok=1
result "b) pjsua2 $PJ_USER -> kamailio -> baresip $BS_USER: established, RTP, pjsua2 hangs up" \
	"$ok" "$(tail -n 2 "$OUT/b-baresip.out" "$OUT/b-pjsua2.out" 2>/dev/null | tr '\n' ' ')"

ok=0
before="$(sent_dirs)"
call_baresip c CALL_REMOTE_SDP CALL_REMOTE_SDP -- --call "sip:$BS_USER@$INTEROP_DOMAIN" \
	--hold-after 1 --unhold-after 3 --hangup-after 5 --duration 15 || ok=1
dirs="$(sent_dirs)"
dirs="${dirs#"$before"}"  # this call's answers only
grep -q "^MEDIA local-hold" "$OUT/c-pjsua2.out" || ok=1
[[ $dirs == "sendrecv recvonly sendrecv " ]] || ok=1
result "c) pjsua2 holds and resumes the call: baresip answered '${dirs% }'" \
	"$ok" "$(tr '\n' ' ' < "$OUT/c-pjsua2.out")"

echo "peers-check: $pass passed, $fail failed (logs in $OUT)"
[[ $fail == 0 ]]
