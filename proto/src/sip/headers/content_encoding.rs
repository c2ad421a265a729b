//! Content-Encoding (RFC 3261 §20.12).

use super::HeaderName;

token_list_header!(
    /// One Content-Encoding value (RFC 3261 §20.12): a `content-coding` token such as `gzip`
    /// applied to the body, in the order applied. Compact form `e`.
    ContentEncoding,
    HeaderName::ContentEncoding
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::error::HeaderError;
    use crate::sip::headers::Header;
    use crate::sip::Message;

    #[test]
    fn codings() {
        assert_eq!(ContentEncoding::parse(" gzip ").unwrap().as_str(), "gzip");
        assert_eq!(ContentEncoding::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            ContentEncoding::parse("gz ip"),
            Err(HeaderError::Expected {
                expected: "token",
                at: 2
            })
        );
        let m = Message::parse(
            b"MESSAGE sip:a@b SIP/2.0\r\ne: gzip,\r\n Deflate\r\nContent-Encoding: x-tar\r\n\r\n",
        )
        .unwrap();
        let v: Vec<_> = m
            .headers()
            .typed::<ContentEncoding<'_>>()
            .map(|c| c.unwrap().to_string())
            .collect();
        assert_eq!(v, ["gzip", "Deflate", "x-tar"]);
        let c = ContentEncoding::new("gzip").unwrap();
        assert_eq!(ContentEncoding::parse(&c.to_string()).unwrap(), c);
    }
}
