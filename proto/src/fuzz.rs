//! Fuzz entry points with their oracles, shared by the cargo-fuzz targets in `fuzz/` and by
//! the corpus replay test that runs on stable. Each function panics only when an oracle
//! fails, which is what a fuzzer reports.

use crate::sip::{Frame, Framer, Message};

/// Parses a datagram; a message that parses must validate or fail cleanly, decode every
/// typed header without panicking, and survive serialize → parse unchanged.
pub fn sip_message(data: &[u8]) {
    let Ok(m) = Message::parse(data) else {
        return;
    };
    let _ = m.validate();
    exercise(&m);
    let bytes = m.to_bytes();
    let again = Message::parse(&bytes).expect("a serialized message parses");
    assert_eq!(again, m, "parse ∘ serialize changed the message");
    assert_eq!(again.to_bytes(), bytes, "serialization is not stable");
}

/// Feeds a stream to the framer in chunks whose size the first byte picks; every framed
/// message must round-trip, and the framer's buffer must stay within its limit.
pub fn sip_framer(data: &[u8]) {
    let Some((&step, stream)) = data.split_first() else {
        return;
    };
    let step = usize::from(step % 64) + 1;
    let mut framer = Framer::new();
    for chunk in stream.chunks(step) {
        framer.feed(chunk);
        while let Some(frame) = framer.next_frame() {
            if let Ok(Frame::Message(m)) = frame {
                exercise(&m);
                let bytes = m.to_bytes();
                let mut again = Framer::new();
                again.feed(&bytes);
                match again.next_frame() {
                    Some(Ok(Frame::Message(m2))) => assert_eq!(m2, m, "framed message changed"),
                    other => panic!("a serialized message does not frame again: {other:?}"),
                }
            }
        }
        assert!(
            framer.buffered() <= 64 * 1024 + step,
            "framer buffer exceeds its limit"
        );
    }
}

/// Parses an SDP body; one that parses must survive serialize → parse unchanged.
pub fn sdp(data: &[u8]) {
    let Ok(s) = crate::sdp::Session::parse(data) else {
        return;
    };
    let bytes = s.to_bytes();
    let again = crate::sdp::Session::parse(&bytes).expect("a serialized SDP parses");
    assert_eq!(again, s, "parse ∘ serialize changed the session");
}

/// Decodes every header field with its typed form and reads what an application reads; the
/// core typed values must survive `Display` → parse.
fn exercise(m: &Message) {
    use crate::sip::headers::*;
    for f in m.headers().iter() {
        let _ = check_field(&f);
    }
    macro_rules! round_trip {
        ($($t:ty),*) => {$(
            for v in m.headers().typed::<$t>().flatten() {
                let text = v.to_string();
                let again = <$t>::parse(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
                assert_eq!(again, v, "{text:?} does not round-trip");
            }
        )*};
    }
    round_trip!(
        Via<'_>,
        FromHeader<'_>,
        ToHeader<'_>,
        CallId<'_>,
        Cseq,
        Contact<'_>,
        Route<'_>,
        RecordRoute<'_>,
        ContentType<'_>,
        MaxForwards
    );
    for v in m.via().flatten() {
        let _ = (v.branch(), v.rport(), v.received(), v.ttl());
    }
    for c in m.contact().flatten() {
        let _ = (c.expires(), c.q(), c.sip_instance(), c.pub_gruu());
        if let Some(u) = c.uri() {
            let _ = (
                u.user_unescaped(),
                u.host_kind(),
                u.transport(),
                u.equivalent(u),
            );
        }
    }
    if let Some(Ok(ct)) = m.content_type() {
        let _ = crate::sip::multipart::Multipart::parse(&ct, m.body());
        if ct.is("application", "sdp") {
            let _ = crate::sdp::Session::parse(m.body());
        }
    }
}
