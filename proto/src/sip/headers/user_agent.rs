//! User-Agent and Server (RFC 3261 §20.41, §20.35): `server-val *(LWS server-val)` with
//! `server-val = product / comment` and `product = token [SLASH product-version]`.

use std::borrow::Cow;
use std::fmt;

use super::grammar::{comment_len, scan, skip_lws, unescape_comment};
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::text::{is_token_char, trim_lws};

/// One element of a User-Agent or Server value (RFC 3261 §20.41).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProductItem<'a> {
    /// `token [SLASH product-version]`, such as `Softphone/Beta1.5`.
    Product {
        /// The product name.
        name: &'a str,
        /// The version, if given.
        version: Option<&'a str>,
    },
    /// A comment without its outer parentheses, quoted-pairs resolved, nested comments kept
    /// as written.
    Comment(Cow<'a, str>),
}

/// Scans the item at or after `i`; `None` at the end of `s`.
fn next_item(s: &str, i: usize) -> Result<Option<(ProductItem<'_>, usize)>, HeaderError> {
    let b = s.as_bytes();
    let i = skip_lws(b, i);
    if i == b.len() {
        return Ok(None);
    }
    if b[i] == b'(' {
        let n = comment_len(s.get(i..).unwrap_or("")).map_err(|e| match e {
            HeaderError::Expected { expected, at } => HeaderError::Expected {
                expected,
                at: i + at,
            },
            other => other,
        })?;
        let inner = s.get(i + 1..i + n - 1).unwrap_or("");
        return Ok(Some((ProductItem::Comment(unescape_comment(inner)), i + n)));
    }
    let e = scan(b, i, is_token_char);
    if e == i {
        return Err(HeaderError::Expected {
            expected: "product token or comment",
            at: i,
        });
    }
    let name = &s[i..e];
    let j = skip_lws(b, e);
    if b.get(j) == Some(&b'/') {
        let k = skip_lws(b, j + 1);
        let ve = scan(b, k, is_token_char);
        if ve == k {
            return Err(HeaderError::Expected {
                expected: "product-version token",
                at: k,
            });
        }
        let version = Some(&s[k..ve]);
        return Ok(Some((ProductItem::Product { name, version }, ve)));
    }
    Ok(Some((
        ProductItem::Product {
            name,
            version: None,
        },
        e,
    )))
}

/// Checks a whole `server-val *(LWS server-val)` value.
fn validate(s: &str) -> Result<(), HeaderError> {
    let mut i = 0;
    let mut any = false;
    while let Some((_, end)) = next_item(s, i)? {
        any = true;
        i = end;
    }
    if any {
        Ok(())
    } else {
        Err(HeaderError::Empty)
    }
}

/// Iterator over the products and comments of a User-Agent or Server value.
#[derive(Debug, Clone)]
pub struct ProductItems<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for ProductItems<'a> {
    type Item = ProductItem<'a>;

    fn next(&mut self) -> Option<ProductItem<'a>> {
        // The text was validated when the value was made, so a fault cannot occur; should one
        // appear anyway, the iteration ends.
        let (item, end) = next_item(self.text, self.at).ok()??;
        self.at = end;
        Some(item)
    }
}

macro_rules! product_header {
    ($(#[$doc:meta])* $ty:ident, $name:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(Cow<'a, str>);

        impl<'a> $ty<'a> {
            /// A value holding `text`, which must be `server-val *(LWS server-val)`
            /// (for example `sipsimple-rs/0.1 (Linux)`).
            pub fn new(text: &str) -> Result<$ty<'static>, HeaderError> {
                let t = trim_lws(text).replace(['\r', '\n'], " ");
                validate(&t)?;
                Ok($ty(Cow::Owned(t)))
            }

            /// A value naming one product, `name/version`; an error when a part is not a
            /// token.
            pub fn product(name: &str, version: Option<&str>) -> Result<$ty<'static>, HeaderError> {
                let text = match version {
                    Some(v) => format!("{name}/{v}"),
                    None => name.to_owned(),
                };
                let ok = crate::sip::text::is_token(name)
                    && version.map_or(true, crate::sip::text::is_token);
                if !ok {
                    return Err(HeaderError::Expected {
                        expected: "product token",
                        at: 0,
                    });
                }
                Ok($ty(Cow::Owned(text)))
            }

            /// The text as written (folds kept).
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The products and comments in order.
            pub fn items(&self) -> ProductItems<'_> {
                ProductItems { text: &self.0, at: 0 }
            }

            /// The first product, usually the software name and version.
            pub fn first_product(&self) -> Option<(&str, Option<&str>)> {
                self.items().find_map(|i| match i {
                    ProductItem::Product { name, version } => Some((name, version)),
                    ProductItem::Comment(_) => None,
                })
            }

            /// Copies borrowed text so the value outlives its source.
            pub fn into_owned(self) -> $ty<'static> {
                $ty(Cow::Owned(self.0.into_owned()))
            }
        }

        impl<'a> Header<'a> for $ty<'a> {
            const NAME: HeaderName = $name;
            const LIST: bool = false;

            fn parse(value: &'a str) -> Result<Self, HeaderError> {
                validate(value)?;
                Ok(Self(Cow::Borrowed(trim_lws(value))))
            }
        }

        impl fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

product_header!(
    /// User-Agent (RFC 3261 §20.41): the software of the user agent client.
    UserAgent,
    HeaderName::UserAgent
);

product_header!(
    /// Server (RFC 3261 §20.35): the software of the user agent server.
    Server,
    HeaderName::Server
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_comments() {
        let u = UserAgent::parse(
            " Softphone/Beta1.5 (Linux; x86_64 \\(64\\) (nested)) Mozilla / 5.0\r\n Foo ",
        )
        .unwrap();
        let items: Vec<_> = u.items().collect();
        assert_eq!(
            items,
            [
                ProductItem::Product {
                    name: "Softphone",
                    version: Some("Beta1.5")
                },
                ProductItem::Comment(Cow::Borrowed("Linux; x86_64 (64) (nested)")),
                ProductItem::Product {
                    name: "Mozilla",
                    version: Some("5.0")
                },
                ProductItem::Product {
                    name: "Foo",
                    version: None
                },
            ]
        );
        assert_eq!(u.first_product(), Some(("Softphone", Some("Beta1.5"))));
        let s = Server::parse("HomeServer v2").unwrap();
        assert_eq!(s.items().count(), 2);
        let s = Server::parse("(only a comment)").unwrap();
        assert_eq!(s.first_product(), None);
        assert!(Server::parse("a(b)c").is_ok());
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(UserAgent::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            UserAgent::parse("Foo/"),
            Err(HeaderError::Expected {
                expected: "product-version token",
                at: 4
            })
        );
        assert_eq!(
            UserAgent::parse("Foo (open"),
            Err(HeaderError::Expected {
                expected: "')' closing the comment",
                at: 9
            })
        );
        assert_eq!(
            Server::parse("Foo, Bar"),
            Err(HeaderError::Expected {
                expected: "product token or comment",
                at: 3
            })
        );
        assert!(Server::parse("\"quoted\"").is_err());
        assert!(UserAgent::new("a/b/c").is_err());
        assert!(UserAgent::product("a b", None).is_err());
        assert!(UserAgent::product("a", Some("1 2")).is_err());
    }

    #[test]
    fn round_trips() {
        for u in [
            UserAgent::new("sipsimple-rs/0.1 (Linux)").unwrap(),
            UserAgent::new(" spaced  (a\r\n b) ").unwrap(),
            UserAgent::product("sipsimple-rs", Some("0.1.0")).unwrap(),
            UserAgent::product("x", None).unwrap(),
        ] {
            let s = u.to_string();
            assert_eq!(UserAgent::parse(&s).unwrap(), u, "{s}");
        }
        let s = Server::product("Srv", Some("2")).unwrap();
        assert_eq!(s.to_string(), "Srv/2");
        assert_eq!(Server::parse(&s.to_string()).unwrap(), s);
    }
}
