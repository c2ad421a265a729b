#!/usr/bin/env python3
"""A small PJSIP user agent (pjsua2-python 2.15.1) for interop call tests on 127.0.0.1.

Run it with the venv of `interop/install.sh peers`:

  interop/.venv/bin/python interop/pjsua2/ua.py -u bob --register --answer --duration 30
  interop/.venv/bin/python interop/pjsua2/ua.py -u alice --call sip:bob@sipsimple.test \\
      --hold-after 2 --unhold-after 4 --hangup-after 6
  interop/.venv/bin/python interop/pjsua2/ua.py -u alice --call sip:bob@sipsimple.test \\
      --tone 440 --record /tmp/alice.wav --srtp mandatory --codec PCMU --dtmf 123# \\
      --expect-dtmf 9* --hangup-after 6

Identity sip:USER@$INTEROP_DOMAIN; kamailio on 127.0.0.1:$INTEROP_SIP_PORT is the outbound
proxy (and, with --register, the registrar); digest credentials USER / $INTEROP_PASSWORD.
No sound card: the null audio device; a --tone HZ sine (default 440 Hz) or a looped --play
WAV is sent into every call, and with --record FILE.wav what the calls receive is recorded
(8 kHz mono 16-bit: the conference bridge's rate; opened when media first becomes active,
closed before the library goes down). --srtp off|optional|mandatory offers/accepts SDES-SRTP
(RTP/AVP with a=crypto, or RTP/SAVP when mandatory; no DTLS in this wheel). --codec lists the
codecs to use in order of preference (others are disabled). --dtmf DIGITS sends RFC 4733
events once the media is active (after --dtmf-after S); every digit received is reported
once, and --expect-dtmf DIGITS makes a different sequence a failure.
Single-threaded: threadCnt=0 and the main loop pumps libHandleEvents().

One line per event on stdout:
  REG ok|failed code=.. reason=..        INCOMING from=..
  CALL_STATE state=.. code=..            MEDIA active|local-hold|remote-hold|none srtp=yes|no codec=..
  DTMF_SENT digits=..                    DTMF digit=..  (one per digit received)
  RECORD file=.. seconds=..              (--record: the file was closed)
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


# SWIG prints an exception raised in a callback and carries on; keep the first ones so that
# the run fails instead of ending "ok" with an event missing.
ERRORS = []


def reported(callback):
    def wrapper(*args):
        try:
            return callback(*args)
        except Exception as e:  # noqa: BLE001 -- any bug here must fail the run, not vanish
            import traceback
            traceback.print_exc()
            ERRORS.append(f"{callback.__name__}: {e!r}")
            return None
    wrapper.__name__ = callback.__name__
    return wrapper


def audio_section(sdp):
    """The lines of the first m=audio section of an SDP body (LF line ends), from a newline."""
    lines = sdp.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("m=audio ")), None)
    if start is None:
        return ""
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("m=")), len(lines))
    return "\n" + "\n".join(lines[start:end]) + "\n"


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
        self.active_at = None  # monotonic time media first became active
        self.dtmf_sent = False
        self.dtmf_ts = None  # RTP timestamp of the last DTMF event reported
        self.remote_sdp = ""  # the last SDP body the peer sent (offer or answer)

    @reported
    def onCallState(self, prm):
        self.note_event(prm.e)  # a 200 OK's answer: pjsua reports its media after this state
        ci = self.getInfo()
        say("CALL_STATE", f"state={ci.stateText}", f"code={ci.lastStatusCode}")
        if ci.state == pj.PJSIP_INV_STATE_CONFIRMED and self.confirmed_at is None:
            self.confirmed_at = time.monotonic()
        if ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.ended = True

    @reported
    def onCallMediaState(self, prm):
        ci = self.getInfo()  # keep it referenced: its media vector dies with it
        for mi in ci.media:
            if mi.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            state = {pj.PJSUA_CALL_MEDIA_ACTIVE: "active", pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local-hold",
                     pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "remote-hold"}.get(mi.status, "none")
            if not self.media or self.media[-1] != state:  # pjsua repeats unchanged states
                self.media.append(state)
                say("MEDIA", state, *self.stream_words(mi.index))
            if state == "active":
                am = self.getAudioMedia(mi.index)
                self.ua.source().startTransmit(am)
                rec = self.ua.recorder()
                if rec is not None:
                    am.startTransmit(rec)
                if self.active_at is None:
                    self.active_at = time.monotonic()

    def stream_words(self, index):
        """`srtp=yes|no codec=NAME` of the audio stream, for the MEDIA line."""
        try:
            si = self.getStreamInfo(index)
        except pj.Error:  # no stream (inactive media)
            return []
        # RTP/SAVP says SRTP; RTP/AVP with a=crypto ("optional") does too when the peer's SDP
        # carries keys, since pjsua only keeps the crypto line of an offer it accepted.
        srtp = bool(si.proto & pj.PJMEDIA_TP_PROFILE_SRTP) or (
            self.ua.args.srtp != "off" and "\na=crypto:" in audio_section(self.remote_sdp))
        return [f"srtp={'yes' if srtp else 'no'}", f"codec={si.codecName}"]

    def note_sdp(self, whole_msg):
        """Keep the SDP body of a message from the peer."""
        _, sep, body = whole_msg.replace("\r\n", "\n").partition("\n\n")
        if sep and "\nm=audio " in "\n" + body:
            self.remote_sdp = body

    def note_event(self, e):
        """Keep the SDP of the message from the peer that caused a SipEvent, if any."""
        if e.type == pj.PJSIP_EVENT_TSX_STATE and e.body.tsxState.type == pj.PJSIP_EVENT_RX_MSG:
            self.note_sdp(e.body.tsxState.src.rdata.wholeMsg)

    @reported
    def onCallTsxState(self, prm):
        self.note_event(prm.e)  # offers and answers in re-INVITEs

    @reported
    def onDtmfEvent(self, prm):
        # pjsua reports a key press as its start (flags 0), every update (1) and the end (3),
        # all with the event's RTP timestamp: report a new timestamp once, which also holds
        # when the start packet was lost.
        if prm.method == pj.PJSUA_DTMF_METHOD_RFC2833 and prm.timestamp != self.dtmf_ts:
            self.dtmf_ts = prm.timestamp
            self.ua.dtmf_rx.append(prm.digit)
            say("DTMF", f"digit={prm.digit}")

    def send_dtmf(self):
        self.dtmf_sent = True
        op = pj.CallSendDtmfParam()
        op.digits = self.ua.args.dtmf
        op.method = pj.PJSUA_DTMF_METHOD_RFC2833
        self.sendDtmf(op)
        say("DTMF_SENT", f"digits={op.digits}")

    @reported
    def onCallTransferRequest(self, prm):
        # Accept (202) and let pjsua place the new call on an object we keep alive.
        say("TRANSFER", f"to={prm.dstUri}")
        new = Call(self.ua, self.ua.acc)
        self.ua.calls.append(new)
        prm.newCall = new

    @reported
    def onCallTransferStatus(self, prm):
        say("TRANSFER_STATUS", f"code={prm.statusCode}", f"final={prm.finalNotify}")
        if prm.finalNotify and prm.statusCode // 100 == 2:
            self.transfer_done = True


class Account(pj.Account):
    def __init__(self, ua):
        super().__init__()
        self.ua = ua
        self.reg_code = None

    @reported
    def onRegState(self, prm):
        self.reg_code = prm.code
        if self.ua.args.register and not self.ua.closing:
            say("REG", "ok" if prm.code // 100 == 2 else "failed", f"code={prm.code}", f"reason={prm.reason!r}")

    @reported
    def onIncomingCall(self, prm):
        call = Call(self.ua, self, prm.callId)
        self.ua.calls.append(call)  # kept alive: deleting a pjsua2 Call trips an assertion
        call.note_sdp(prm.rdata.wholeMsg)
        say("INCOMING", f"from={call.getInfo().remoteUri}")
        op = pj.CallOpParam()
        op.statusCode = 200 if self.ua.args.answer else 486
        call.answer(op)


class UA:
    def __init__(self, args):
        self.args = args
        self.calls = []
        self.closing = False
        self._source = None
        self._recorder = None
        self.recorded_from = None  # monotonic time the recorder was created
        self.missing_codecs = []  # --codec names this build does not have
        self.dtmf_rx = []  # digits received, over all calls, in order
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
        # SDES only (the wheel has no DTLS-SRTP). srtpSecureSignaling=0: keys in SDP over
        # plain UDP signalling, which is all we have on loopback.
        ac.mediaConfig.srtpUse = {"off": pj.PJMEDIA_SRTP_DISABLED, "optional": pj.PJMEDIA_SRTP_OPTIONAL,
                                  "mandatory": pj.PJMEDIA_SRTP_MANDATORY}[args.srtp]
        ac.mediaConfig.srtpSecureSignaling = 0
        if args.srtp != "off":
            ac.mediaConfig.srtpOpt.keyings.clear()
            ac.mediaConfig.srtpOpt.keyings.append(pj.PJMEDIA_SRTP_KEYING_SDES)
        if args.codec:
            self.set_codecs(args.codec)
        self.acc = Account(self)
        self.acc.create(ac)

    def set_codecs(self, names):
        """Enable only the codecs NAME,NAME,... (e.g. G722,PCMU), the first preferred."""
        wanted = [n.strip().lower() for n in names.split(",") if n.strip()]
        found = set()
        for ci in self.ep.codecEnum2():
            name = ci.codecId.split("/")[0].lower()  # "PCMU/8000/1"
            pri = 0  # disabled
            if name in wanted:
                pri = 254 - wanted.index(name)
                found.add(name)
            self.ep.codecSetPriority(ci.codecId, pri)
        self.missing_codecs = [n for n in wanted if n not in found]

    def source(self):
        """What every call is sent: a looped --play WAV, or the --tone sine."""
        if self._source is None:
            if self.args.play:
                self._source = pj.AudioMediaPlayer()
                self._source.createPlayer(self.args.play, 0)  # 0: loop
            else:
                self._source = pj.ToneGenerator()
                self._source.createToneGenerator(8000, 1)
                td = pj.ToneDesc()
                td.freq1, td.freq2, td.on_msec, td.off_msec, td.volume = self.args.tone, 0, 1000, 0, 0
                tones = pj.ToneDescVector()
                tones.append(td)
                self._source.play(tones, True)
        return self._source

    def recorder(self):
        """The --record WAV writer (None without --record), created at first use."""
        if self._recorder is None and self.args.record and not self.closing:
            self._recorder = pj.AudioMediaRecorder()
            self._recorder.createRecorder(self.args.record)
            self.recorded_from = time.monotonic()
        return self._recorder

    def close_recorder(self):
        # Destroying the pjsua recorder writes the WAV header's sizes; os._exit() would not.
        if self._recorder is not None:
            self._recorder = None
            say("RECORD", f"file={self.args.record}", f"seconds={time.monotonic() - self.recorded_from:.1f}")

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
        if a.dtmf and not call.dtmf_sent and call.active_at is not None \
                and time.monotonic() - call.active_at >= a.dtmf_after and call.media[-1] == "active":
            call.send_dtmf()
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
        if self.args.dtmf and not call.dtmf_sent:
            return "DTMF not sent"
        got = "".join(self.dtmf_rx)
        if self.args.expect_dtmf is not None and got != self.args.expect_dtmf:
            return f"DTMF received {got!r}, expected {self.args.expect_dtmf!r}"
        return None if call.ended else "call not ended"

    def run(self):
        a = self.args
        deadline = time.monotonic() + a.duration
        if self.missing_codecs:
            return f"no codec {', '.join(self.missing_codecs)} in this PJSIP build"
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
        self.close_recorder()
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
    ap.add_argument("--tone", type=int, default=440, metavar="HZ", help="sine sent into calls (default 440)")
    ap.add_argument("--play", metavar="FILE.wav", help="send this WAV (looped) instead of the tone")
    ap.add_argument("--record", metavar="FILE.wav", help="record what the calls receive (8 kHz mono)")
    ap.add_argument("--srtp", choices=["off", "optional", "mandatory"], default="off", help="SDES-SRTP (default off)")
    ap.add_argument("--codec", metavar="NAME[,NAME..]", help="only these codecs, first preferred (PCMU, PCMA, G722..)")
    ap.add_argument("--dtmf", metavar="DIGITS", help="send these digits (RFC 4733) once media is active")
    ap.add_argument("--dtmf-after", type=float, default=0, metavar="S",
                    help="with --dtmf: S s after the media became active (default 0)")
    ap.add_argument("--expect-dtmf", metavar="DIGITS", help="fail unless exactly these digits were received")
    ap.add_argument("--duration", type=float, default=30, metavar="S", help="stop after S s (default 30)")
    ap.add_argument("--log-level", type=int, default=1, help="PJSIP log level on stderr (4: SIP messages)")
    args = ap.parse_args()
    ua = UA(args)
    try:
        why = ua.run()
        if why is None and ERRORS:
            why = "error in a callback: " + ERRORS[0]
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
