#!/usr/bin/env bash
# Start unbound, authoritative for sipsimple.test and fallback.test, on 127.0.0.1 at
# $INTEROP_DNS_PORT (UDP and TCP) in the background, and check a few answers with dig.
# Idempotent: an instance started from the same config and zones is left running.
# Config: $INTEROP_RUN_DIR/dns/unbound.conf, pid in unbound.pid, log unbound.log there.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../env.sh
source "$HERE/../env.sh"
DIR="$INTEROP_RUN_DIR/dns"
PIDFILE="$DIR/unbound.pid"
LOG="$DIR/unbound.log"
PORT="$INTEROP_DNS_PORT"

q() { dig @127.0.0.1 -p "$PORT" +short +time=1 +tries=1 "$@" 2>/dev/null; }
running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

SIG="$PORT $(cat "$HERE/unbound.conf.in" "$HERE"/*.zone "$0" | md5sum | cut -c1-12)"
if running && [[ "$(cat "$DIR/started-with" 2>/dev/null)" == "$SIG" ]] \
	&& [[ -n "$(q sipsimple.test SOA)" ]]; then
	echo "unbound already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
	exit 0
fi
"$HERE/stop.sh" >/dev/null

command -v unbound >/dev/null || { echo "unbound is not installed: run interop/install.sh" >&2; exit 1; }
mkdir -p "$DIR"
sed -e "s|@PORT@|$PORT|g" -e "s|@DIR@|$HERE|g" -e "s|@RUN@|$DIR|g" \
	"$HERE/unbound.conf.in" > "$DIR/unbound.conf"
unbound-checkconf "$DIR/unbound.conf" > "$DIR/check.log" 2>&1 || {
	echo "unbound: configuration check failed:" >&2
	cat "$DIR/check.log" >&2
	exit 1
}

# -d: stay in the foreground (we background it, so $! is unbound itself).
setsid unbound -d -c "$DIR/unbound.conf" > "$LOG" 2>&1 < /dev/null &
echo $! > "$PIDFILE"
echo "$SIG" > "$DIR/started-with"

for _ in $(seq 1 50); do
	[[ -n "$(q sipsimple.test SOA)" ]] && break
	running || break
	sleep 0.1
done

# Self-check: every kind of record the tests use, over UDP and TCP.
fail=0
expect() { # expected-substring dig-args...
	local want="$1" got
	shift
	got="$(q "$@" | tr '\n' '|')"
	if [[ $got != *"$want"* ]]; then
		echo "unbound self-check: dig $* -> '$got', expected '$want'" >&2
		fail=1
	fi
}
expect '10 10 "S" "SIPS+D2T" "" _sips._tcp.sipsimple.test.' sipsimple.test NAPTR
expect '10 0 15060 sip1.sipsimple.test.' _sip._udp.sipsimple.test SRV
expect '10 0 15060 sip1.sipsimple.test.' +tcp _sip._tcp.sipsimple.test SRV
expect '10 0 15061 sip1.sipsimple.test.' _sips._tcp.sipsimple.test SRV
expect '127.0.0.1' sip1.sipsimple.test A
expect '::1' sip1.sipsimple.test AAAA
expect '"https://xcap.sipsimple.test/xcap-root"' xcap.sipsimple.test TXT
expect '2855 relay1.sipsimple.test.' _msrps._tcp.sipsimple.test SRV
expect '3479 stun.sipsimple.test.' _stun._udp.sipsimple.test SRV
expect '127.0.0.1' fallback.test A
status="$(dig @127.0.0.1 -p "$PORT" +time=1 +tries=1 example.com A 2>/dev/null | grep -o 'status: [A-Z]*' || true)"
[[ $status == "status: REFUSED" ]] || { echo "unbound self-check: example.com gave '$status', expected REFUSED" >&2; fail=1; }

if [[ $fail == 0 ]] && running; then
	echo "unbound running (pid $(cat "$PIDFILE")): DNS udp+tcp 127.0.0.1:$PORT for sipsimple.test and fallback.test, log $LOG"
	exit 0
fi
echo "unbound did not come up correctly; last log lines:" >&2
tail -n 20 "$LOG" >&2
"$HERE/stop.sh" >&2 || true
exit 1
