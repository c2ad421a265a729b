//! Declarations shared by typed headers of the same grammar.

/// Declares a typed header whose value is an [`Address`](crate::sip::Address):
/// `(name-addr / addr-spec) *(SEMI generic-param)`. The type derefs to the address.
macro_rules! address_header {
    ($(#[$doc:meta])* $ty:ident, $name:expr, list = $list:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(pub crate::sip::Address<'a>);

        impl<'a> $ty<'a> {
            /// A value with this URI and no display name or parameters.
            pub fn new(uri: crate::sip::Uri<'a>) -> Self {
                Self(crate::sip::Address::new(uri))
            }

            /// Copies borrowed text so the value outlives its source.
            pub fn into_owned(self) -> $ty<'static> {
                $ty(self.0.into_owned())
            }
        }

        impl<'a> crate::sip::headers::Header<'a> for $ty<'a> {
            const NAME: crate::sip::headers::HeaderName = $name;
            const LIST: bool = $list;

            fn parse(value: &'a str) -> Result<Self, crate::sip::HeaderError> {
                crate::sip::Address::parse(value).map(Self)
            }

            fn parse_element(
                s: &'a str,
            ) -> Result<(Self, &'a str), crate::sip::HeaderError> {
                crate::sip::Address::parse_prefix(s).map(|(a, rest)| (Self(a), rest))
            }
        }

        impl<'a> std::ops::Deref for $ty<'a> {
            type Target = crate::sip::Address<'a>;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl std::ops::DerefMut for $ty<'_> {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }

        impl<'a> From<crate::sip::Address<'a>> for $ty<'a> {
            fn from(a: crate::sip::Address<'a>) -> Self {
                Self(a)
            }
        }

        impl std::fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

/// Declares a typed header that wraps a [`Challenge`](crate::sip::headers::Challenge) or
/// [`Credentials`](crate::sip::headers::Credentials): one value per header line, derefs to it.
macro_rules! auth_header {
    ($(#[$doc:meta])* $ty:ident($inner:ident), $name:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(pub $inner<'a>);

        impl $ty<'_> {
            /// Copies borrowed text so the value outlives its source.
            pub fn into_owned(self) -> $ty<'static> {
                $ty(self.0.into_owned())
            }
        }

        impl<'a> crate::sip::headers::Header<'a> for $ty<'a> {
            const NAME: crate::sip::headers::HeaderName = $name;
            const LIST: bool = false;

            fn parse(value: &'a str) -> Result<Self, crate::sip::HeaderError> {
                $inner::parse(value).map(Self)
            }
        }

        impl<'a> std::ops::Deref for $ty<'a> {
            type Target = $inner<'a>;

            fn deref(&self) -> &$inner<'a> {
                &self.0
            }
        }

        impl<'a> From<$inner<'a>> for $ty<'a> {
            fn from(c: $inner<'a>) -> Self {
                Self(c)
            }
        }

        impl std::fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

/// The builders and conversions a `SchemeParams` wrapper
/// (a challenge or credentials) shares, inside its `impl` block.
macro_rules! scheme_params_builders {
    ($ty:ident) => {
        /// Builder: sets the `realm` (quoted).
        pub fn with_realm(self, realm: &str) -> Self {
            self.with(Quoting::Quoted, "realm", realm)
        }

        /// Builder: sets the `nonce` (quoted).
        pub fn with_nonce(self, nonce: &str) -> Self {
            self.with(Quoting::Quoted, "nonce", nonce)
        }

        /// Builder: sets the `opaque` value (quoted).
        pub fn with_opaque(self, opaque: &str) -> Self {
            self.with(Quoting::Quoted, "opaque", opaque)
        }

        /// Builder: sets the `algorithm` (unquoted when it is a token).
        pub fn with_algorithm(self, algorithm: &str) -> Self {
            self.with(Quoting::Token, "algorithm", algorithm)
        }

        /// Builder: sets `userhash=true` or `userhash=false` (unquoted).
        pub fn with_userhash(self, userhash: bool) -> Self {
            self.with(
                Quoting::Token,
                "userhash",
                if userhash { "true" } else { "false" },
            )
        }

        /// Builder: sets any auth-param, written as a token when possible and quoted
        /// otherwise; an error when `name` is not a token.
        pub fn with_param(mut self, name: &str, value: &str) -> Result<Self, HeaderError> {
            self.0.params_mut().set_any(name, value)?;
            Ok(self)
        }

        /// Builder: replaces the auth-params by a `token68` (RFC 7235 §2.1, as `Basic` uses);
        /// an error when `t` is not one.
        pub fn with_token68(mut self, t: &str) -> Result<Self, HeaderError> {
            self.0.set_token68(t)?;
            Ok(self)
        }

        fn with(mut self, quoting: Quoting, name: &'static str, value: &str) -> Self {
            self.0.params_mut().set(name, value, quoting);
            self
        }

        /// Copies borrowed text so the value outlives its source.
        pub fn into_owned(self) -> $ty<'static> {
            $ty(self.0.into_owned())
        }
    };
}

/// Declares a list header whose elements are single tokens (option tags, methods, event
/// packages, encodings): `[token *(COMMA token)]`.
macro_rules! token_list_header {
    ($(#[$doc:meta])* $ty:ident, $name:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(pub std::borrow::Cow<'a, str>);

        impl<'a> $ty<'a> {
            /// A value holding `token`; an error when it is not a token.
            pub fn new(
                token: impl Into<std::borrow::Cow<'a, str>>,
            ) -> Result<Self, crate::sip::HeaderError> {
                let token = token.into();
                if crate::sip::text::is_token(&token) {
                    Ok(Self(token))
                } else {
                    Err(crate::sip::HeaderError::Expected {
                        expected: "token",
                        at: 0,
                    })
                }
            }

            /// The token.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Copies borrowed text so the value outlives its source.
            pub fn into_owned(self) -> $ty<'static> {
                $ty(std::borrow::Cow::Owned(self.0.into_owned()))
            }
        }

        impl<'a> crate::sip::headers::Header<'a> for $ty<'a> {
            const NAME: crate::sip::headers::HeaderName = $name;
            const LIST: bool = true;

            fn parse(value: &'a str) -> Result<Self, crate::sip::HeaderError> {
                let v = crate::sip::text::trim_lws(value);
                let lead = value.len() - crate::sip::text::trim_lws_start(value).len();
                match v.bytes().position(|b| !crate::sip::text::is_token_char(b)) {
                    _ if v.is_empty() => Err(crate::sip::HeaderError::Empty),
                    None => Ok(Self(std::borrow::Cow::Borrowed(v))),
                    Some(at) => Err(crate::sip::HeaderError::Expected {
                        expected: "token",
                        at: lead + at,
                    }),
                }
            }
        }

        impl std::fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Declares a header whose value is one decimal number of type `$int`
/// (`1*DIGIT`, white space around it allowed).
macro_rules! integer_header {
    ($(#[$doc:meta])* $ty:ident, $name:expr, $int:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(pub $int);

        impl<'a> crate::sip::headers::Header<'a> for $ty {
            const NAME: crate::sip::headers::HeaderName = $name;
            const LIST: bool = false;

            fn parse(value: &'a str) -> Result<Self, crate::sip::HeaderError> {
                crate::sip::headers::parse_decimal::<$int>(
                    crate::sip::text::trim_lws(value),
                    stringify!($ty),
                )
                .map(Self)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

/// Declares a header whose value is free text (`TEXT-UTF8`), such as Subject or Organization.
/// The value keeps its folds; its `text()` method gives it unfolded.
macro_rules! text_header {
    ($(#[$doc:meta])* $ty:ident, $name:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(pub std::borrow::Cow<'a, str>);

        impl<'a> $ty<'a> {
            /// A value holding `text`; CR and LF become spaces and surrounding white space is
            /// dropped, as parsing would drop it.
            pub fn new(text: &str) -> $ty<'static> {
                $ty(std::borrow::Cow::Owned(
                    text.replace(['\r', '\n'], " ").trim().to_owned(),
                ))
            }

            /// The text with folds replaced by single spaces.
            pub fn text(&self) -> std::borrow::Cow<'_, str> {
                crate::sip::text::unfold(&self.0)
            }

            /// Copies borrowed text so the value outlives its source.
            pub fn into_owned(self) -> $ty<'static> {
                $ty(std::borrow::Cow::Owned(self.0.into_owned()))
            }
        }

        impl<'a> crate::sip::headers::Header<'a> for $ty<'a> {
            const NAME: crate::sip::headers::HeaderName = $name;
            const LIST: bool = false;

            fn parse(value: &'a str) -> Result<Self, crate::sip::HeaderError> {
                Ok(Self(std::borrow::Cow::Borrowed(crate::sip::text::trim_lws(value))))
            }
        }

        impl std::fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
