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
# SIP user agents for call tests (interop/baresip, interop/pjsua2; `interop/install.sh peers`);
# the Rust call tests (driver/tests/interop_calls.rs) start them through these scripts.
# One baresip instance per NAME: give a second instance other ports.
: "${INTEROP_BARESIP_SIP_PORT:=15100}"      # baresip SIP (UDP+TCP)
: "${INTEROP_BARESIP_CTRL_PORT:=15444}"     # baresip ctrl_tcp (netstring JSON)
: "${INTEROP_BARESIP_RTP_PORTS:=16000-16099}"
: "${INTEROP_PJSUA_SIP_PORT:=15110}"        # interop/pjsua2/ua.py SIP (UDP)
: "${INTEROP_PJSUA_RTP_PORT:=17000}"        # ua.py RTP, first of 100
export INTEROP_SIP_PORT INTEROP_TLS_PORT INTEROP_DNS_PORT INTEROP_DOMAIN INTEROP_USERS \
	INTEROP_PASSWORD INTEROP_RUN_DIR INTEROP_BARESIP_SIP_PORT INTEROP_BARESIP_CTRL_PORT \
	INTEROP_BARESIP_RTP_PORTS INTEROP_PJSUA_SIP_PORT INTEROP_PJSUA_RTP_PORT
