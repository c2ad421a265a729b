#!/usr/bin/env bash
# Start kamailio (registrar + proxy) on 127.0.0.1 in the background and wait until it
# answers OPTIONS over UDP and TCP and completes a TLS handshake with its certificate.
# Idempotent: an instance already started with the same settings is left running; one
# started with other settings is restarted.
#
# Renders kamailio.cfg.in into $INTEROP_RUN_DIR/kamailio/ with the ports of ../env.sh,
# writes the db_text subscriber table (users $INTEROP_USERS, password $INTEROP_PASSWORD,
# domains $INTEROP_DOMAIN and 127.0.0.1), a self-signed certificate for the TLS port, and
# runs `kamailio -DD -E` (pidfile kamailio.pid, log kamailio.log in that directory).
# KAM_DEBUG=1 logs every request (debug=3).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../env.sh
source "$HERE/../env.sh"
DIR="$INTEROP_RUN_DIR/kamailio"
PIDFILE="$DIR/kamailio.pid"
LOG="$DIR/kamailio.log"

probe() { python3 "$HERE/sip_probe.py" "$@" 127.0.0.1 "$INTEROP_SIP_PORT"; }
running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# Everything that shapes the running instance; the same signature means nothing to do.
SIG="$INTEROP_SIP_PORT $INTEROP_TLS_PORT $INTEROP_DOMAIN [$INTEROP_USERS] $INTEROP_PASSWORD ${KAM_DEBUG:-0} $(cat "$HERE/kamailio.cfg.in" "$0" | md5sum | cut -c1-12)"
if running && [[ "$(cat "$DIR/started-with" 2>/dev/null)" == "$SIG" ]] && probe --timeout 1; then
	echo "kamailio already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$INTEROP_SIP_PORT"
	exit 0
fi
"$HERE/stop.sh" >/dev/null

command -v kamailio >/dev/null || { echo "kamailio is not installed: run interop/install.sh" >&2; exit 1; }
mkdir -p "$DIR/db"

sed -e "s|@SIP_PORT@|$INTEROP_SIP_PORT|g" -e "s|@TLS_PORT@|$INTEROP_TLS_PORT|g" \
	-e "s|@DOMAIN@|$INTEROP_DOMAIN|g" -e "s|@RUN_DIR@|$DIR|g" \
	"$HERE/kamailio.cfg.in" > "$DIR/kamailio.cfg"

# db_text: one file per table, first line = column spec, then `:`-separated rows. auth_db
# checks the table version, hence the `version` table. Columns are NOT NULL unless marked
# `null`, and an empty field is a null: one bad row and db_text refuses the whole table --
# at the first query, not at startup (hence the REGISTER check below).
{
	echo "id(int,auto) table_name(string) table_version(int) "
	echo "0:subscriber:7"
} > "$DIR/db/version"
{
	echo "id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) "
	id=0
	for u in $INTEROP_USERS; do
		for d in "$INTEROP_DOMAIN" 127.0.0.1; do
			id=$((id + 1))
			echo "$id:$u:$d:$INTEROP_PASSWORD::"
		done
	done
} > "$DIR/db/subscriber"

# TLS: a fresh test CA (ca.crt, what clients trust) and a server certificate it signs for
# the domain and 127.0.0.1 (tls.crt). A self-signed certificate will not do: openssl's
# defaults mark it CA:TRUE, and strict clients (rustls/webpki) refuse a CA certificate as a
# server's. No client certificates.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=sipsimple interop CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
	-keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$INTEROP_DOMAIN" \
	-keyout "$DIR/tls.key" -out "$DIR/tls.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
	"extendedKeyUsage=serverAuth" "subjectAltName=DNS:$INTEROP_DOMAIN,DNS:localhost,IP:127.0.0.1" \
	> "$DIR/tls.ext"
openssl x509 -req -in "$DIR/tls.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial \
	-days 30 -extfile "$DIR/tls.ext" -out "$DIR/tls.crt" 2>/dev/null
cat > "$DIR/tls.cfg" <<TLS
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = $DIR/tls.key
certificate = $DIR/tls.crt

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
TLS

DEFS=()
[[ ${KAM_DEBUG:-0} == 1 ]] && DEFS=(-A WITH_DEBUG)
kamailio -c -f "$DIR/kamailio.cfg" "${DEFS[@]}" > "$DIR/check.log" 2>&1 || {
	echo "kamailio: configuration check failed:" >&2
	tail -n 30 "$DIR/check.log" >&2
	exit 1
}

# -DD: no fork to the background (we do that, so $! is kamailio's main process);
# -E: log to stderr, i.e. the log file. setsid: not in the caller's process group.
setsid kamailio -f "$DIR/kamailio.cfg" -DD -E -m 64 -M 8 "${DEFS[@]}" > "$LOG" 2>&1 < /dev/null &
echo $! > "$PIDFILE"
echo "$SIG" > "$DIR/started-with"

rm -f "$DIR/tls-check.log"
up=0
for _ in $(seq 1 50); do
	if probe --timeout 0.5 2>/dev/null; then up=1; break; fi
	running || break
	sleep 0.2
done
# OPTIONS over UDP and TCP; a digest-authenticated REGISTER (+ unREGISTER) of the first
# user proves the subscriber table loads; the TLS port completes a handshake with the cert.
FIRST_USER="${INTEROP_USERS%% *}"
if [[ $up == 1 ]] && probe --tcp --timeout 2 \
	&& probe --register "$FIRST_USER@$INTEROP_DOMAIN:$INTEROP_PASSWORD" --timeout 2 \
	&& echo | openssl s_client -connect "127.0.0.1:$INTEROP_TLS_PORT" -CAfile "$DIR/ca.crt" \
		-verify_return_error -verify_ip 127.0.0.1 > "$DIR/tls-check.log" 2>&1; then
	echo "kamailio running (pid $(cat "$PIDFILE")): SIP udp+tcp 127.0.0.1:$INTEROP_SIP_PORT, TLS 127.0.0.1:$INTEROP_TLS_PORT, domain $INTEROP_DOMAIN, log $LOG"
	exit 0
fi
echo "kamailio did not come up (OPTIONS over UDP/TCP, digest REGISTER or TLS handshake failed); last log lines:" >&2
tail -n 30 "$LOG" >&2
[[ -s $DIR/tls-check.log ]] && tail -n 5 "$DIR/tls-check.log" >&2
"$HERE/stop.sh" >&2 || true
exit 1
