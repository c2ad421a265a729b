//! Building requests and responses (RFC 3261 §8.1.1, §8.2.6).

use bytes::Bytes;

use super::headers::{
    CallId, Contact, Cseq, FromHeader, Header, HeaderName, MaxForwards, Route, ToHeader, Via,
};
use super::message::{Request, Response};
use super::method::{Method, StatusCode};
use super::uri::Uri;

/// Builds a request header by header, in the order given.
///
/// [`RequestBuilder::build`] adds `Max-Forwards: 70` when none was set (§8.1.1.6) and a
/// Content-Length that matches the body. The CSeq method is the request method.
///
/// ```
/// use sipsimple_proto::sip::{headers::*, Address, Method, RequestBuilder, Uri};
///
/// let uri: Uri<'static> = "sip:bob@biloxi.example.com".parse()?;
/// let req = RequestBuilder::new(Method::Options, uri.clone())
///     .via(&Via::new("UDP", "192.0.2.10", Some(5060), "z9hG4bK776asdhds"))
///     .from(FromHeader::new("sip:alice@atlanta.example.com".parse()?).0.with_tag("1928301774"))
///     .to(Address::new(uri))
///     .call_id("a84b4c76e66710@192.0.2.10")
///     .cseq(1)
///     .build();
/// assert!(String::from_utf8(req.to_bytes())?.ends_with("Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    req: Request,
}

impl RequestBuilder {
    /// Starts a request for `method` to `uri`.
    pub fn new(method: Method, uri: Uri<'static>) -> Self {
        Self {
            req: Request::new(method, uri),
        }
    }

    /// Appends a typed header.
    pub fn header<'a, T: Header<'a>>(mut self, value: &T) -> Self {
        self.req.headers_mut().push_typed(value);
        self
    }

    /// Appends a header with any name and a value taken as is.
    pub fn raw_header(mut self, name: &str, value: &str) -> Self {
        self.req.headers_mut().push_raw(name, value);
        self
    }

    /// Appends a Via.
    pub fn via(self, via: &Via<'_>) -> Self {
        self.header(via)
    }

    /// Sets From.
    pub fn from(self, from: super::Address<'_>) -> Self {
        self.header(&FromHeader(from))
    }

    /// Sets To.
    pub fn to(self, to: super::Address<'_>) -> Self {
        self.header(&ToHeader(to))
    }

    /// Sets Call-ID.
    pub fn call_id(self, id: &str) -> Self {
        self.header(&CallId::new(id))
    }

    /// Sets CSeq with the request method.
    pub fn cseq(self, seq: u32) -> Self {
        let method = self.req.method().clone();
        self.header(&Cseq::new(seq, method))
    }

    /// Sets Max-Forwards.
    pub fn max_forwards(self, hops: u8) -> Self {
        self.header(&MaxForwards(hops))
    }

    /// Appends a Contact.
    pub fn contact(self, contact: &Contact<'_>) -> Self {
        self.header(contact)
    }

    /// Appends a Route.
    pub fn route(self, route: &Route<'_>) -> Self {
        self.header(route)
    }

    /// Sets the body with its Content-Type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.req.set_body(Some(content_type), body.into());
        self
    }

    /// Finishes the request.
    pub fn build(mut self) -> Request {
        let h = self.req.headers_mut();
        if !h.contains(HeaderName::MaxForwards) {
            h.push_typed(&MaxForwards(70));
        }
        if !h.contains(HeaderName::ContentLength) {
            h.push(HeaderName::ContentLength, "0");
        }
        self.req
    }
}

impl Response {
    /// A response to `req` as RFC 3261 §8.2.6.2 says: the Via values, From, To, Call-ID and
    /// CSeq copied in order, the canonical reason phrase and `Content-Length: 0`. A 100 Trying
    /// also copies Timestamp (§8.2.6.1). Add a To tag with [`Response::with_to_tag`].
    pub fn for_request(req: &Request, status: StatusCode) -> Self {
        let mut resp = Self::new(status);
        let h = resp.headers_mut();
        for f in req.headers().iter() {
            let copy = copied_to_responses(f.name)
                || (f.name == HeaderName::Timestamp && status.code() == 100);
            if copy {
                h.push(f.name, f.value);
            }
        }
        h.push(HeaderName::ContentLength, "0");
        resp
    }

    /// Adds `tag` to the To header when it has none (§8.2.6.2); a To that does not parse is
    /// left alone.
    pub fn with_to_tag(mut self, tag: &str) -> Self {
        let updated = match self.headers().first::<ToHeader<'_>>() {
            Some(Ok(to)) if to.tag().is_none() => Some(to.0.with_tag(tag).to_string()),
            _ => None,
        };
        if let Some(v) = updated {
            self.headers_mut().set(HeaderName::To, &v);
        }
        self
    }

    /// Builder form of [`Response::set_reason`].
    pub fn with_reason(mut self, reason: &str) -> Self {
        self.set_reason(reason);
        self
    }

    /// Appends a typed header, before Content-Length so the length stays last.
    pub fn with_header<'a, T: Header<'a>>(self, value: &T) -> Self {
        self.with_field(T::NAME, &value.to_string())
    }

    /// Appends a header with a value taken as is, before Content-Length.
    ///
    /// # Panics
    /// If `name` is [`HeaderName::Other`], as [`Headers::insert`](super::headers::Headers::insert).
    pub fn with_field(mut self, name: HeaderName, value: &str) -> Self {
        let h = self.headers_mut();
        let at = h
            .iter()
            .position(|f| f.name == HeaderName::ContentLength)
            .unwrap_or(h.len());
        h.insert(at, name, value);
        self
    }
}

/// The fields every response copies from its request (RFC 3261 §8.2.6.2).
pub(crate) fn copied_to_responses(name: HeaderName) -> bool {
    matches!(
        name,
        HeaderName::Via | HeaderName::From | HeaderName::To | HeaderName::CallId | HeaderName::CSeq
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1\r\n\
v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n\
Max-Forwards: 69\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Timestamp: 54\r\n\
Contact: <sip:alice@pc33.atlanta.com>\r\n\
Content-Length: 0\r\n\r\n";

    #[test]
    fn response_copies_what_8_2_6_says() {
        let Message::Request(req) = Message::parse(INVITE).unwrap() else {
            panic!()
        };
        let r = Response::for_request(&req, StatusCode::RINGING).with_to_tag("a6c85cf");
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert_eq!(
            text,
            "SIP/2.0 180 Ringing\r\n\
Via: SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n\
To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n"
        );
        let parsed = Message::parse(text.as_bytes()).unwrap();
        parsed.validate().unwrap();
        let trying = Response::for_request(&req, StatusCode::TRYING);
        assert_eq!(trying.headers().get(HeaderName::Timestamp), Some("54"));
        // An existing tag is kept.
        let again = r.with_to_tag("other");
        assert_eq!(
            Message::Response(again).to().unwrap().tag(),
            Some("a6c85cf")
        );
    }

    #[test]
    fn request_builder_output_validates() {
        let uri: Uri<'static> = "sip:bob@biloxi.com".parse().unwrap();
        let req = RequestBuilder::new(Method::Invite, uri.clone())
            .via(&Via::new("UDP", "pc33.atlanta.com", None, "z9hG4bK1"))
            .from(crate::sip::Address::new("sip:alice@atlanta.com".parse().unwrap()).with_tag("x"))
            .to(crate::sip::Address::new(uri))
            .call_id("abc@def")
            .cseq(7)
            .contact(&Contact::new("sip:alice@192.0.2.1".parse().unwrap()))
            .body("application/sdp", &b"v=0\r\n"[..])
            .build();
        let msg = Message::parse(&req.to_bytes()).unwrap();
        msg.validate().unwrap();
        assert_eq!(msg.cseq().unwrap(), Cseq::new(7, Method::Invite));
        assert_eq!(&msg.body()[..], b"v=0\r\n");
        assert_eq!(msg, Message::Request(req));
    }
}
