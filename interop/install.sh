#!/usr/bin/env bash
# Install the third-party servers the interop tests run against (Debian 12 packages).
# Idempotent: installs only what is missing, runs `apt-get update` only when needed.
# Services are never enabled: interop/kamailio/start.sh and interop/dns/start.sh run them
# by hand on 127.0.0.1.
set -euo pipefail

PACKAGES=(
	kamailio              # core + db_text, auth, auth_db, registrar, usrloc, tm, ...
	kamailio-tls-modules  # tls.so
	unbound               # authoritative server for the test zone
	bind9-dnsutils        # dig, for the DNS self-check in interop/dns/start.sh
	openssl               # self-signed certificate for kamailio's TLS port
	python3               # the OPTIONS probe in interop/kamailio/start.sh (stdlib only)
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "interop: all packages present"
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
