# Ports, users and paths shared by the interop scripts (sourced) and, as constants, by
# driver/tests/interop.rs. Change both together. Everything listens on 127.0.0.1 only.
# shellcheck shell=bash
: "${INTEROP_SIP_PORT:=15060}"   # kamailio SIP over UDP and TCP
: "${INTEROP_TLS_PORT:=15061}"   # kamailio SIP over TLS
: "${INTEROP_DNS_PORT:=15353}"   # unbound, UDP and TCP
: "${INTEROP_DOMAIN:=sipsimple.test}"
: "${INTEROP_USERS:=alice bob carol dave}"
: "${INTEROP_PASSWORD:=secret}"
: "${INTEROP_RUN_DIR:=/tmp/sipsimple-interop}"
export INTEROP_SIP_PORT INTEROP_TLS_PORT INTEROP_DNS_PORT INTEROP_DOMAIN INTEROP_USERS \
	INTEROP_PASSWORD INTEROP_RUN_DIR
