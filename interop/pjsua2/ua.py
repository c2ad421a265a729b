#!/usr/bin/env python3
"""A small PJSIP user agent (pjsua2-python 2.15.1) for interop call tests on 127.0.0.1.

Run it with the venv of `interop/install.sh peers`:

  interop/.venv/bin/python interop/pjsua2/ua.py -u bob --register --answer --duration 30
  interop/.venv/bin/python interop/pjsua2/ua.py -u alice --call sip:bob@sipsimple.test \\
      --hold-after 2 --unhold-after 4 --hangup-after 6

Identity sip:USER@$INTEROP_DOMAIN; kamailio on 127.0.0.1:$INTEROP_SIP_PORT is the outbound
proxy (and, with --register, the registrar); digest credentials USER / $INTEROP_PASSWORD.
No sound card: the null audio device; a 440 Hz tone is sent into every call.
Single-threaded: threadCnt=0 and the main loop pumps libHandleEvents().

One line per event on stdout:
  REG ok|failed code=.. reason=..        INCOMING from=..
  CALL_STATE state=.. code=..            MEDIA active|local-hold|remote-hold|none
  TRANSFER to=..  (a REFER we accept)    TRANSFER_STATUS code=.. final=..  (our REFER's NOTIFYs)
  END ok | END failed: why               (the last line)
Success (exit 0): the registration (if asked) got 200; with --call, the call was answered, its
media became active (and, with --hold-after / --unhold-after, went on hold and back) and it
ended; with --answer, --calls incoming calls (default 1) were answered, had media and ended
(0 = any number, until --duration). --hangup-after S ends our side S s after the answer,
otherwise we wait for the peer's BYE. --transfer-to URI transfers the peer (REFER) and hangs
up once a NOTIFY reports 2xx; a REFER from the peer is accepted and its new call placed.
Everything stops at --duration.
"""
import argparse
import os
import sys
import time

import pjsua2 as pj


# PJSIP logs to file descriptor 1: point that at stderr and keep the real stdout for the
# event lines alone.
sys.stdout.flush()
EVENTS = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)


def say(*words):
    print(*words, file=EVENTS, flush=True)


class Call(pj.Call):
    def __init__(self, ua, acc, call_id=pj.PJSUA_INVALID_ID):
        super().__init__(acc, call_id)
        self.ua = ua
        self.confirmed_at = None  # monotonic time of CONFIRMED
        self.ended = False
        self.media = []  # every MEDIA state, in order
        self.held = self.unheld = self.hung_up = False  # our requests, sent once
        self.transferred = False  # our REFER went out
        self.transfer_done = False  # its final NOTIFY said 2xx

    def onCallState(self, prm):
        ci = self.getInfo()
        say("CALL_STATE", f"state={ci.stateText}", f"code={ci.lastStatusCode}")
        if ci.state == pj.PJSIP_INV_STATE_CONFIRMED and self.confirmed_at is None:
            self.confirmed_at = time.monotonic()
        if ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.ended = True

    def onCallMediaState(self, prm):
        ci = self.getInfo()  # keep it referenced: its media vector dies with it
        for mi in ci.media:
            if mi.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            state = {pj.PJSUA_CALL_MEDIA_ACTIVE: "active", pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local-hold",
                     pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "remote-hold"}.get(mi.status, "none")
            if not self.media or self.media[-1] != state:  # pjsua repeats unchanged states
                self.media.append(state)
                say("MEDIA", state)
            if state == "active":
                self.ua.tone().startTransmit(self.getAudioMedia(mi.index))


    def onCallTransferRequest(self, prm):
        # Accept (202) and let pjsua place the new call on an object we keep alive.
        say("TRANSFER", f"to={prm.dstUri}")
        new = Call(self.ua, self.ua.acc)
        self.ua.calls.append(new)
        prm.newCall = new

    def onCallTransferStatus(self, prm):
        say("TRANSFER_STATUS", f"code={prm.statusCode}", f"final={prm.finalNotify}")
        if prm.finalNotify and prm.statusCode // 100 == 2:
            self.transfer_done = True


class Account(pj.Account):
    def __init__(self, ua):
        super().__init__()
        self.ua = ua
        self.reg_code = None

    def onRegState(self, prm):
        self.reg_code = prm.code
        if self.ua.args.register and not self.ua.closing:
            say("REG", "ok" if prm.code // 100 == 2 else "failed", f"code={prm.code}", f"reason={prm.reason!r}")

    def onIncomingCall(self, prm):
        call = Call(self.ua, self, prm.callId)
        self.ua.calls.append(call)  # kept alive: deleting a pjsua2 Call trips an assertion
        say("INCOMING", f"from={call.getInfo().remoteUri}")
        op = pj.CallOpParam()
        op.statusCode = 200 if self.ua.args.answer else 486
        call.answer(op)


class UA:
    def __init__(self, args):
        self.args = args
        self.calls = []
        self.closing = False
        self._tone = None
        self.ep = pj.Endpoint()
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = False
        cfg.uaConfig.userAgent = f"sipsimple-interop ua.py (PJSIP {self.ep.libVersion().full})"
        cfg.logConfig.level = cfg.logConfig.consoleLevel = args.log_level
        cfg.medConfig.noVad = True
        cfg.medConfig.clockRate = cfg.medConfig.sndClockRate = 8000
        self.ep.libInit(cfg)
        tc = pj.TransportConfig()
        tc.port = args.port
        tc.boundAddress = tc.publicAddress = "127.0.0.1"
        self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tc)
        self.ep.libStart()
        self.ep.audDevManager().setNullDev()

        ac = pj.AccountConfig()
        ac.idUri = f"sip:{args.user}@{args.domain}"
        ac.sipConfig.proxies.append(f"sip:127.0.0.1:{args.proxy_port};lr")
        ac.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", args.user, 0, args.password))
        ac.regConfig.registrarUri = f"sip:{args.domain}" if args.register else ""
        ac.regConfig.timeoutSec = 300
        # Loopback only: no STUN, no ICE (loopback is never a candidate), no NAT rewriting.
        nat = ac.natConfig
        nat.sipStunUse = nat.mediaStunUse = pj.PJSUA_STUN_USE_DISABLED
        nat.iceEnabled = False
        nat.contactRewriteUse = nat.viaRewriteUse = nat.sdpNatRewriteUse = 0
        # pjsua re-INVITEs after every answer that lists more than one codec ("lock codec"):
        # baresip's do, which doubles every hold/unhold re-INVITE. Keep the signalling plain.
        ac.mediaConfig.lockCodecEnabled = False
        mt = ac.mediaConfig.transportConfig
        mt.boundAddress = mt.publicAddress = "127.0.0.1"
        mt.port, mt.portRange = args.rtp_port, 100
        self.acc = Account(self)
        self.acc.create(ac)

    def tone(self):
        if self._tone is None:
            self._tone = pj.ToneGenerator()
            self._tone.createToneGenerator(8000, 1)
            td = pj.ToneDesc()
            td.freq1, td.freq2, td.on_msec, td.off_msec, td.volume = 440, 0, 1000, 0, 0
            tones = pj.ToneDescVector()
            tones.append(td)
            self._tone.play(tones, True)
        return self._tone

    def pump(self, until, deadline):
        """Handle events until until() is true (True) or the deadline passes (False)."""
        while not until():
            if time.monotonic() >= deadline:
                return False
            self.ep.libHandleEvents(20)
        return True

    def drive(self, call):
        """Hold, unhold and hang up `call` on schedule; True when it is over."""
        a = self.args
        if call.ended or call.confirmed_at is None:
            return call.ended
        t = time.monotonic() - call.confirmed_at
        if a.hold_after is not None and not call.held and t >= a.hold_after:
            call.held = True
            call.setHold(pj.CallOpParam(True))
        if a.unhold_after is not None and call.held and not call.unheld and t >= a.unhold_after:
            call.unheld = True
            op = pj.CallOpParam(True)
            op.opt.flag = pj.PJSUA_CALL_UNHOLD
            call.reinvite(op)
        if a.transfer_to and not call.transferred and t >= a.transfer_after:
            call.transferred = True
            call.xfer(a.transfer_to, pj.CallOpParam(True))
        hang_up = a.hangup_after is not None and t >= a.hangup_after
        if (hang_up or call.transfer_done) and not call.hung_up:
            # RFC 5589: the transferor ends the call once the transfer succeeded.
            call.hung_up = True
            call.hangup(pj.CallOpParam())
        return False

    def verdict(self, call):
        if call.confirmed_at is None:
            return "not answered"
        if "active" not in call.media:
            return "media never active"
        holds = [i for i, m in enumerate(call.media) if m.endswith("hold")]
        if self.args.hold_after is not None and not holds:
            return "media never on hold"
        if self.args.unhold_after is not None and "active" not in call.media[holds[0]:]:
            return "media not active again after the hold"
        if self.args.transfer_to and not call.transfer_done:
            return "transfer not completed"
        return None if call.ended else "call not ended"

    def run(self):
        a = self.args
        deadline = time.monotonic() + a.duration
        if a.register:
            self.pump(lambda: self.acc.reg_code is not None, min(deadline, time.monotonic() + 10))
            if self.acc.reg_code != 200:
                return f"registration: {self.acc.reg_code}"
        if a.call:
            call = Call(self, self.acc)
            self.calls.append(call)
            call.makeCall(a.call, pj.CallOpParam(True))
            self.pump(lambda: self.drive(call), deadline)
            return self.verdict(call)
        if a.answer:
            def answered_all():
                ended = [self.drive(c) for c in self.calls]
                return a.calls > 0 and sum(ended) >= a.calls
            self.pump(answered_all, deadline)
            if a.calls and len(self.calls) < a.calls:
                return f"{len(self.calls)} of {a.calls} calls came in"
            return next(filter(None, map(self.verdict, self.calls[:a.calls or None])), None)
        self.pump(lambda: False, deadline)
        return None

    def close(self):
        self.closing = True
        for c in self.calls:
            if not c.ended:
                try:
                    c.hangup(pj.CallOpParam())
                except pj.Error:  # already ending
                    pass
        end = time.monotonic() + 2
        self.pump(lambda: all(c.ended for c in self.calls), end)
        if self.args.register and self.acc.reg_code == 200:
            self.acc.reg_code = None
            self.acc.setRegistration(False)
            self.pump(lambda: self.acc.reg_code is not None, end + 1)
        self.ep.libDestroy()


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-u", "--user", required=True)
    ap.add_argument("-p", "--password", default=env("INTEROP_PASSWORD", "secret"))
    ap.add_argument("--domain", default=env("INTEROP_DOMAIN", "sipsimple.test"))
    ap.add_argument("--proxy-port", type=int, default=int(env("INTEROP_SIP_PORT", "15060")),
                    help="kamailio on 127.0.0.1 (outbound proxy, registrar)")
    ap.add_argument("--port", type=int, default=int(env("INTEROP_PJSUA_SIP_PORT", "15110")), help="local SIP UDP")
    ap.add_argument("--rtp-port", type=int, default=int(env("INTEROP_PJSUA_RTP_PORT", "17000")))
    ap.add_argument("--register", action="store_true")
    ap.add_argument("--answer", action="store_true", help="answer incoming calls (otherwise 486)")
    ap.add_argument("--calls", type=int, default=1, help="with --answer: calls to wait for (0: until --duration)")
    ap.add_argument("--call", metavar="URI")
    ap.add_argument("--hold-after", type=float, metavar="S", help="put the call on hold S s after the answer")
    ap.add_argument("--unhold-after", type=float, metavar="S", help="take it off hold S s after the answer")
    ap.add_argument("--hangup-after", type=float, metavar="S", help="hang up S s after the answer")
    ap.add_argument("--transfer-to", metavar="URI", help="transfer the peer to URI (REFER), then hang up")
    ap.add_argument("--transfer-after", type=float, default=1, metavar="S",
                    help="with --transfer-to: S s after the answer (default 1)")
    ap.add_argument("--duration", type=float, default=30, metavar="S", help="stop after S s (default 30)")
    ap.add_argument("--log-level", type=int, default=1, help="PJSIP log level on stderr (4: SIP messages)")
    args = ap.parse_args()
    ua = UA(args)
    try:
        why = ua.run()
    finally:
        ua.close()
    say("END ok" if why is None else f"END failed: {why}")
    return 0 if why is None else 1


if __name__ == "__main__":
    try:
        rc = main()
    except Exception:  # noqa: BLE001 -- report, then leave without the interpreter's teardown
        import traceback
        traceback.print_exc()
        rc = 1
    EVENTS.flush()
    sys.stderr.flush()
    # Not sys.exit(): pjsua2 objects collected after libDestroy() trip pjsua assertions.
    os._exit(rc)
