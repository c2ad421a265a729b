#!/usr/bin/env bash
# Start a headless baresip instance NAME on 127.0.0.1 in the background and wait until its
# ctrl_tcp answers. Idempotent: an instance NAME started with the same settings is left
# running; one started with other settings is restarted.
#
#   interop/baresip/start.sh NAME
#
# Renders config + accounts into $INTEROP_RUN_DIR/baresip-NAME/ (baresip.pid, baresip.log,
# ctrl_port for ctrl.py). Settings from ../env.sh and the environment:
#   INTEROP_BARESIP_SIP_PORT, _CTRL_PORT, _RTP_PORTS   (a second instance needs other ones)
#   BARESIP_USER=alice   register as this kamailio user (password $INTEROP_PASSWORD, domain
#                        $INTEROP_DOMAIN, kamailio on 127.0.0.1:$INTEROP_SIP_PORT as outbound
#                        proxy) and wait for REGISTER_OK; unset: an unregistered account
#                        sip:NAME@127.0.0.1:PORT, reachable only directly
#   BARESIP_ANSWER=auto  auto|manual (answer with `ctrl.py NAME -c accept`)
#   BARESIP_MEDIAENC=    ""|srtp|srtp-mand (SDES-SRTP)
#   BARESIP_TONE=440     frequency of the sine sent into calls (ausine, 10-20000 Hz)
#   BARESIP_CODECS=pcmu,pcma   the account's audio_codecs, in order of preference (g722 too)
#   BARESIP_RECORD=0     1: record each call's received (and sent) audio with the sndfile
#                        filter, into rec/dump-<time>-dec.wav (-enc.wav: what was sent);
#                        `last-recording.sh NAME` names the newest
# No sound card: the source is a sine (ausine), the player an unconnected aubridge.
# DTMF: `ctrl.py NAME -c "sndcode 123#"` sends RFC 4733 events, received digits come as
# CALL_DTMF_START / CALL_DTMF_END events (ctrl.py prints `DTMF digit=X`, --expect-dtmf waits).
# No ICE (libre never gathers 127.0.0.1 candidates; see ../README.md).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../env.sh
source "$HERE/../env.sh"
NAME="${1:?usage: $0 NAME}"
DIR="$INTEROP_RUN_DIR/baresip-$NAME"
PIDFILE="$DIR/baresip.pid"
SIP_PORT="$INTEROP_BARESIP_SIP_PORT"
CTRL_PORT="$INTEROP_BARESIP_CTRL_PORT"
USER_="${BARESIP_USER:-}"
ANSWER="${BARESIP_ANSWER:-auto}"
MEDIAENC="${BARESIP_MEDIAENC:-}"
TONE="${BARESIP_TONE:-440}"
CODECS="${BARESIP_CODECS:-pcmu,pcma}"
RECORD="${BARESIP_RECORD:-0}"
[[ $TONE =~ ^[0-9]+$ ]] || { echo "BARESIP_TONE must be a frequency in Hz" >&2; exit 2; }

ctrl() { python3 "$HERE/ctrl.py" --port "$CTRL_PORT" --timeout "${TIMEOUT:-2}" "$@"; }
running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
registered() { ctrl -c reginfo 2>/dev/null | grep -q "sip:$USER_@.*OK"; }

SIG="$SIP_PORT $CTRL_PORT $INTEROP_BARESIP_RTP_PORTS [$USER_] $ANSWER [$MEDIAENC] $TONE $CODECS $RECORD $INTEROP_SIP_PORT $INTEROP_DOMAIN $INTEROP_PASSWORD $(md5sum < "$0" | cut -c1-12)"
if running && [[ "$(cat "$DIR/started-with" 2>/dev/null)" == "$SIG" ]] && ctrl -c reginfo >/dev/null 2>&1 \
	&& { [[ -z $USER_ ]] || registered; }; then
	echo "baresip '$NAME' already running (pid $(cat "$PIDFILE"))"
	exit 0
fi
"$HERE/stop.sh" "$NAME" >/dev/null
command -v baresip >/dev/null || { echo "baresip is not installed: run interop/install.sh peers" >&2; exit 1; }
mkdir -p "$DIR"
rm -rf "$DIR/rec"
sndfile=""
if [[ $RECORD == 1 ]]; then
	mkdir -p "$DIR/rec"
	# The aufile module of 1.0.0 is a source only (its player came in 1.1), so the sndfile
	# filter does the recording: one decode/encode pair of WAVs per call, at the codec's rate.
	sndfile="module			sndfile.so
snd_path		$DIR/rec"
fi

if [[ -n $USER_ ]]; then
	acc="<sip:$USER_@$INTEROP_DOMAIN>;auth_pass=$INTEROP_PASSWORD;outbound=\"sip:127.0.0.1:$INTEROP_SIP_PORT\";regint=600"
else
	acc="<sip:$NAME@127.0.0.1:$SIP_PORT>;regint=0"
fi
acc="$acc;answermode=$ANSWER;audio_codecs=$CODECS"
[[ -n $MEDIAENC ]] && acc="$acc;mediaenc=$MEDIAENC"
echo "$acc" > "$DIR/accounts"
: > "$DIR/contacts"
echo "$CTRL_PORT" > "$DIR/ctrl_port"

# ausine only produces 48 kHz stereo; its device string is the frequency. dns_server points at our unbound (or nothing): the
# outbound proxy means no lookups, and nothing must ever leave the host.
cat > "$DIR/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:$SIP_PORT
sip_trans_def		udp
net_interface		127.0.0.1
dns_server		127.0.0.1:$INTEROP_DNS_PORT
rtp_ports		$INTEROP_BARESIP_RTP_PORTS
call_local_timeout	60
audio_path		/usr/share/baresip
audio_source		ausine,$TONE
ausrc_srate		48000
ausrc_channels		2
audio_player		aubridge,null
audio_alert		aubridge,null
auplay_srate		48000
auplay_channels		1
module_path		/usr/lib/baresip/modules
module			g711.so
module			g722.so
module			ausine.so
module			aufile.so
module			aubridge.so
module			srtp.so
$sndfile
module_tmp		account.so
module_app		contact.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$CTRL_PORT
CONF

# -f: config dir; baresip stays in the foreground, setsid keeps it out of our process group.
# -s: SIP trace (every message, SDP included) in the log: what peers-check.sh greps for hold.
setsid baresip -f "$DIR" -s > "$DIR/baresip.log" 2>&1 < /dev/null &
echo $! > "$PIDFILE"
echo "$SIG" > "$DIR/started-with"

up=0
for _ in $(seq 1 50); do
	if ctrl -c reginfo >/dev/null 2>&1; then up=1; break; fi
	running || break
	sleep 0.2
done
if [[ $up == 1 && -n $USER_ ]]; then
	up=0
	for _ in $(seq 1 25); do
		if registered; then up=1; break; fi
		sleep 0.2
	done
fi
if [[ $up == 1 ]]; then
	echo "baresip '$NAME' running (pid $(cat "$PIDFILE")): SIP 127.0.0.1:$SIP_PORT, ctrl_tcp 127.0.0.1:$CTRL_PORT, account $(head -c 60 "$DIR/accounts")..., log $DIR/baresip.log"
	exit 0
fi
echo "baresip '$NAME' did not come up (ctrl_tcp or REGISTER); last log lines:" >&2
tail -n 20 "$DIR/baresip.log" >&2
"$HERE/stop.sh" "$NAME" >&2 || true
exit 1
