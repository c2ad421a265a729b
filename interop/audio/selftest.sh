#!/usr/bin/env bash
# Prove the audio side of the SIP peers without the SDK: pjsua2 (interop/pjsua2/ua.py) and
# baresip call each other through kamailio on 127.0.0.1 with SDES-SRTP mandatory, each sends a
# sine at its own frequency and records what it receives, DTMF goes both ways (RFC 4733), and
# tone.py checks that each recording holds the other side's tone and not its own.
#   0) tone.py itself: a 1 kHz test WAV is measured right and a wrong expectation fails
#   a) pjsua2 alice (440 Hz) -> baresip bob (1000 Hz), PCMU; DTMF 123# out, 9* back
#   b) the same with G.722 (16 kHz; baresip records at the codec's rate)
#   c) baresip bob -> pjsua2 alice, PCMA; DTMF 9* from baresip, 123# from pjsua2; pjsua2 sends
#      its tone from a 16 kHz WAV made by tone.py (--play) instead of its tone generator
# A broken peer fails here; the Rust audio tests (which plug into the same options) can run
# this first to tell a broken peer from a broken SDK. Exit 0 = all passed.
#
# Needs `interop/install.sh peers`. Starts kamailio unless it runs (and then stops it again)
# and a baresip instance `audio`, stopped on exit whatever happens. Ports of its own
# (AUDIO_BARESIP_SIP_PORT 15130, _CTRL_PORT 15446, _RTP_PORTS 16100-16199, AUDIO_PJSUA_SIP_PORT
# 15140, _RTP_PORT 17200) so that it does not clash with peers-check.sh or the Rust tests'
# peers; users AUDIO_PJSUA_USER (alice) and AUDIO_BARESIP_USER (bob), tones AUDIO_PJSUA_TONE
# (440) and AUDIO_BARESIP_TONE (1000; the same for both must fail). Output of each step in
# $INTEROP_RUN_DIR/audio-selftest/ (X-pjsua2.out/.log, X-baresip.out, X-*.wav, X-*.tone).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INTEROP="$(dirname "$HERE")"
# shellcheck source=../env.sh
source "$INTEROP/env.sh"
export INTEROP_BARESIP_SIP_PORT="${AUDIO_BARESIP_SIP_PORT:-15130}"
export INTEROP_BARESIP_CTRL_PORT="${AUDIO_BARESIP_CTRL_PORT:-15446}"
export INTEROP_BARESIP_RTP_PORTS="${AUDIO_BARESIP_RTP_PORTS:-16100-16199}"
PJ_SIP_PORT="${AUDIO_PJSUA_SIP_PORT:-15140}"
PJ_RTP_PORT="${AUDIO_PJSUA_RTP_PORT:-17200}"
PJ_USER="${AUDIO_PJSUA_USER:-alice}"
BS_USER="${AUDIO_BARESIP_USER:-bob}"
PJ_HZ="${AUDIO_PJSUA_TONE:-440}"
BS_HZ="${AUDIO_BARESIP_TONE:-1000}"
BS=audio  # the baresip instance name
OUT="$INTEROP_RUN_DIR/audio-selftest"
PY="$INTEROP/.venv/bin/python"
TONE=(python3 "$HERE/tone.py")
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
	"$INTEROP/baresip/stop.sh" "$BS" >/dev/null || true
	if [[ $STOP_KAMAILIO == 1 ]]; then "$INTEROP/kamailio/stop.sh" >/dev/null || true; fi
	return "$status"
}
trap cleanup EXIT

pass=0
fail=0
result() { # NAME OK(0/1) DETAIL
	if [[ $2 == 0 ]]; then pass=$((pass + 1)); echo "PASS $1${3:+: $3}"; else fail=$((fail + 1)); echo "FAIL $1: $3"; fi
}
# Wait until FILE has a line matching PATTERN (a background run got ready).
await() {
	for _ in $(seq 1 100); do grep -qs "$2" "$1" && return 0; sleep 0.1; done
	echo "timed out waiting for '$2' in $1" >&2
	return 1
}
# dBFS tone.py measured for HZ in its output FILE ("-" if none).
level() { awk -v hz="hz=$2" '$1 == "TONE" && $2 == hz { sub(/dbfs=/, "", $3); print $3; exit }' "$1" || true; }

# 0) tone.py on files of known content.
ok=0
"${TONE[@]}" --make "$OUT/0-1k.wav" --freq 1000 --rate 8000 --seconds 2 --dbfs -6 > /dev/null
"${TONE[@]}" "$OUT/0-1k.wav" --expect 1000 --absent 440 > "$OUT/0-1k.tone" || ok=1
l=$(level "$OUT/0-1k.tone" 1000)
awk -v l="$l" 'BEGIN { exit !(l >= -6.5 && l <= -5.5) }' || ok=1
if "${TONE[@]}" "$OUT/0-1k.wav" --expect 440 > "$OUT/0-1k-wrong.tone"; then ok=1; fi
"${TONE[@]}" --make "$OUT/0-440.wav" --freq 440 --rate 48000 --channels 2 --seconds 2 --dbfs -20 > /dev/null
"${TONE[@]}" "$OUT/0-440.wav" --expect 440 --absent 1000 > "$OUT/0-440.tone" || ok=1
l2=$(level "$OUT/0-440.tone" 440)
awk -v l="$l2" 'BEGIN { exit !(l >= -20.5 && l <= -19.5) }' || ok=1
result "0) tone.py: 1 kHz at -6 dBFS (8 kHz mono) read $l, 440 Hz at -20 dBFS (48 kHz stereo) read $l2, a wrong --expect fails" \
	"$ok" "see $OUT/0-*.tone"

"$INTEROP/kamailio/start.sh" > /dev/null

UA=("$PY" "$INTEROP/pjsua2/ua.py" -u "$PJ_USER" --port "$PJ_SIP_PORT" --rtp-port "$PJ_RTP_PORT" --log-level 4
	--tone "$PJ_HZ" --srtp mandatory --duration 30)
CTRL=(python3 "$INTEROP/baresip/ctrl.py" "$BS" --timeout 10)
start_baresip() { # CODECS
	BARESIP_USER=$BS_USER BARESIP_TONE=$BS_HZ BARESIP_RECORD=1 BARESIP_MEDIAENC=srtp-mand BARESIP_CODECS=$1 \
		"$INTEROP/baresip/start.sh" "$BS" > /dev/null
}
# Check one finished call NAME: both recordings hold the other side's tone, the codec and
# SRTP both sides reported, and the digits (each side's own check: ua.py --expect-dtmf,
# ctrl.py -d). Sets $ok to 1 on a failure (it is 1 already when a side failed) and $detail.
check_call() { # NAME CODEC(as pjsua2 names it)
	local name=$1 codec=$2 rec
	rec="$("$INTEROP/baresip/last-recording.sh" "$BS" 2>/dev/null)" && cp "$rec" "$OUT/$name-baresip.wav" || ok=1
	"${TONE[@]}" "$OUT/$name-pjsua2.wav" --expect "$BS_HZ" --absent "$PJ_HZ" > "$OUT/$name-pjsua2.tone" 2>&1 || ok=1
	"${TONE[@]}" "$OUT/$name-baresip.wav" --expect "$PJ_HZ" --absent "$BS_HZ" > "$OUT/$name-baresip.tone" 2>&1 || ok=1
	grep -q "^MEDIA active srtp=yes codec=$codec$" "$OUT/$name-pjsua2.out" || ok=1
	grep -q "^EVENT CALL_MENC .*AES_CM_128_HMAC_SHA1_80" "$OUT/$name-baresip.out" || ok=1
	detail="pjsua2 heard $BS_HZ Hz at $(level "$OUT/$name-pjsua2.tone" "$BS_HZ") dBFS ($PJ_HZ Hz $(level "$OUT/$name-pjsua2.tone" "$PJ_HZ")),"
	detail+=" baresip heard $PJ_HZ Hz at $(level "$OUT/$name-baresip.tone" "$PJ_HZ") dBFS ($BS_HZ Hz $(level "$OUT/$name-baresip.tone" "$BS_HZ")),"
	detail+=" pjsua2 got DTMF '$(sed -n 's/^DTMF digit=//p' "$OUT/$name-pjsua2.out" | tr -d '\n')',"
	detail+=" baresip got '$(sed -n 's/^DTMF digit=//p' "$OUT/$name-baresip.out" | tr -d '\n')';"
	detail+=" $(grep -m1 '^MEDIA' "$OUT/$name-pjsua2.out" || echo 'no MEDIA line')"
	if [[ $ok != 0 ]]; then
		detail+=" | $(tail -n 2 "$OUT/$name-pjsua2.out" "$OUT/$name-baresip.out" | tr '\n' ' ')"
		detail+=" | $(grep -h RESULT "$OUT/$name-"*.tone | tr '\n' ' ')"
	fi
}

# a), b): pjsua2 calls baresip (auto-answer), sends 123# 1 s after the media is up and hangs
# up after 5 s; baresip sends 9* 1 s after the call is established and waits for 123#.
call_baresip() { # NAME BARESIP-CODECS PJSUA-CODEC
	local name=$1 w
	ok=0
	start_baresip "$2"
	"${CTRL[@]}" -w CALL_ESTABLISHED -s 1 -c "sndcode 9*" -d "123#" -w CALL_CLOSED > "$OUT/$name-baresip.out" &
	w=$!
	BG+=("$w")
	await "$OUT/$name-baresip.out" "^CONNECTED" || ok=1
	"${UA[@]}" --call "sip:$BS_USER@$INTEROP_DOMAIN" --codec "$3" --record "$OUT/$name-pjsua2.wav" \
		--dtmf "123#" --dtmf-after 1 --expect-dtmf "9*" --hangup-after 5 \
		> "$OUT/$name-pjsua2.out" 2> "$OUT/$name-pjsua2.log" || ok=1
	wait "$w" || ok=1
	check_call "$name" "$3"
	result "$name) pjsua2 $PJ_USER -> baresip $BS_USER, SRTP, $3" "$ok" "$detail"
}
call_baresip a pcmu PCMU
call_baresip b g722 G722

# c) baresip calls pjsua2 (registered, auto-answer); each side sends its digits 1 s in, baresip
# hangs up after 5 s. pjsua2 plays a WAV of its tone.
ok=0
start_baresip pcma
"${TONE[@]}" --make "$OUT/c-source.wav" --freq "$PJ_HZ" --rate 16000 --seconds 2 --dbfs -10 > /dev/null
"${UA[@]}" --register --answer --calls 1 --codec PCMA --play "$OUT/c-source.wav" --record "$OUT/c-pjsua2.wav" \
	--dtmf "123#" --dtmf-after 1 --expect-dtmf "9*" > "$OUT/c-pjsua2.out" 2> "$OUT/c-pjsua2.log" &
pj=$!
BG+=("$pj")
if await "$OUT/c-pjsua2.out" "^REG ok"; then
	"${CTRL[@]}" -c "dial sip:$PJ_USER@$INTEROP_DOMAIN" -w CALL_ESTABLISHED -s 1 -c "sndcode 9*" -d "123#" -s 3 \
		-c hangup -w CALL_CLOSED > "$OUT/c-baresip.out" || ok=1
else
	ok=1
fi
wait "$pj" || ok=1
check_call c PCMA
result "c) baresip $BS_USER -> pjsua2 $PJ_USER, SRTP, PCMA, pjsua2 plays a WAV" "$ok" "$detail"

echo "audio selftest: $pass passed, $fail failed (logs in $OUT)"
[[ $fail == 0 ]]
