#!/usr/bin/env bash
# Install the third-party servers the interop tests run against (Debian 12 packages).
# Idempotent: installs only what is missing, runs `apt-get update` only when needed.
# Services are never enabled: interop/kamailio/start.sh and interop/dns/start.sh run them
# by hand on 127.0.0.1.
#
#   interop/install.sh          kamailio + unbound (what .ci/run needs)
#   interop/install.sh peers    the same, plus the SIP user agents for call tests:
#                               baresip (Debian) and pjsua2-python in interop/.venv
# INTEROP_PEERS=1 is the same as the `peers` argument.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS="${INTEROP_PEERS:-0}"
for arg in "$@"; do
	case "$arg" in
	peers) PEERS=1 ;;
	*) echo "usage: $0 [peers]" >&2; exit 2 ;;
	esac
done

PACKAGES=(
	kamailio              # core + db_text, auth, auth_db, registrar, usrloc, tm, ...
	kamailio-tls-modules  # tls.so
	unbound               # authoritative server for the test zone
	bind9-dnsutils        # dig, for the DNS self-check in interop/dns/start.sh
	openssl               # self-signed certificate for kamailio's TLS port
	python3               # the OPTIONS probe in interop/kamailio/start.sh (stdlib only)
)
if [[ $PEERS == 1 ]]; then
	PACKAGES+=(
		baresip-core  # baresip 1.0.0 + modules: ctrl_tcp, ausine, aufile, aubridge, g711, srtp
		python3-venv  # interop/.venv for pjsua2-python
	)
fi
# pjsua2-python: a manylinux wheel of PJSIP 2.15.1 (null audio, no DTLS-SRTP).
PJSUA2_PIN="pjsua2-python==2.15.1.post1"
# Media peers: pylibsrtp (libsrtp 2 with OpenSSL, interop/srtp/peer.py) and aioice (a full ICE
# agent, RFC 8445).
MEDIA_PINS=("pylibsrtp==1.0.0" "aioice==0.13.0")
VENV="$HERE/.venv"
install_venv() {
	[[ $PEERS == 1 ]] || return 0
	if [[ -x $VENV/bin/python ]] && "$VENV/bin/python" -c 'import pjsua2, pylibsrtp, aioice' 2>/dev/null; then
		echo "interop: $VENV has pjsua2, pylibsrtp and aioice"
		return 0
	fi
	# Debian's python3 (its venv module comes from python3-venv), not whatever is first on PATH.
	[[ -x $VENV/bin/python ]] || "${INTEROP_PYTHON:-/usr/bin/python3}" -m venv "$VENV"
	"$VENV/bin/pip" install -q --disable-pip-version-check "$PJSUA2_PIN" "${MEDIA_PINS[@]}"
	"$VENV/bin/python" -c 'import pjsua2, pylibsrtp, aioice' &&
		echo "interop: $PJSUA2_PIN ${MEDIA_PINS[*]} installed in $VENV"
}

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "interop: all packages present"
	install_venv
	exit 0
fi
echo "interop: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600 -q)
# Keep the packages' init scripts from starting system-wide daemons (unbound on :53,
# kamailio on :5060): there is no init system in CI containers, and where there is one
# we want nothing listening besides what the start scripts run.
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=0
if [[ ! -e $POLICY ]]; then
	printf '#!/bin/sh\nexit 101\n' > "$POLICY"
	chmod +x "$POLICY"
	ADDED_POLICY=1
fi
remove_policy() { if [[ $ADDED_POLICY == 1 ]]; then rm -f "$POLICY"; fi; }
trap remove_policy EXIT
if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
	"${APT[@]}" update
fi
"${APT[@]}" install -y --no-install-recommends "${missing[@]}" || {
	"${APT[@]}" update
	"${APT[@]}" install -y --no-install-recommends "${missing[@]}"
}
install_venv
