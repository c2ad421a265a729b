//! `a=setup` and `a=connection` (RFC 4145), used by TCP media such as MSRP (RFC 6135) and by
//! DTLS-SRTP.

use std::fmt;
use std::str::FromStr;

use crate::sdp::error::Fault;
use crate::sdp::text;

/// `a=setup`: which side opens the TCP (or DTLS) connection (RFC 4145 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this side opens the connection.
    Active,
    /// `passive`: this side accepts the connection.
    Passive,
    /// `actpass`: either; the answerer chooses (the offerer's usual value).
    Actpass,
    /// `holdconn`: no connection for now.
    Holdconn,
}

impl Setup {
    /// The attribute value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::Actpass => "actpass",
            Self::Holdconn => "holdconn",
        }
    }

    /// The role an answerer takes in reply to this offered role (RFC 4145 §4.1): `active` for
    /// `passive` and `actpass` offers, `passive` for `active`, `holdconn` for `holdconn`.
    #[must_use]
    pub fn answer(self) -> Self {
        match self {
            Self::Active => Self::Passive,
            Self::Passive | Self::Actpass => Self::Active,
            Self::Holdconn => Self::Holdconn,
        }
    }
}

impl FromStr for Setup {
    type Err = Fault;

    /// The ABNF literals are case-insensitive; the value is written back in lower case.
    fn from_str(value: &str) -> Result<Self, Fault> {
        let token = text::single_token(value, "setup role")?;
        [Self::Active, Self::Passive, Self::Actpass, Self::Holdconn]
            .into_iter()
            .find(|s| token.eq_ignore_ascii_case(s.as_str()))
            .ok_or(Fault::Invalid("setup role"))
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=connection`: whether a new TCP connection is wanted or the existing one is reused
/// (RFC 4145 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpConnection {
    /// `new`: open a new connection.
    New,
    /// `existing`: reuse the existing connection.
    Existing,
}

impl TcpConnection {
    /// The attribute value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Existing => "existing",
        }
    }
}

impl FromStr for TcpConnection {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let token = text::single_token(value, "connection value")?;
        [Self::New, Self::Existing]
            .into_iter()
            .find(|s| token.eq_ignore_ascii_case(s.as_str()))
            .ok_or(Fault::Invalid("connection value"))
    }
}

impl fmt::Display for TcpConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_roles() {
        assert_eq!("actpass".parse(), Ok(Setup::Actpass));
        assert_eq!(" ACTIVE ".parse(), Ok(Setup::Active));
        assert_eq!("x".parse::<Setup>(), Err(Fault::Invalid("setup role")));
        assert_eq!(Setup::Actpass.answer(), Setup::Active);
        assert_eq!("existing".parse(), Ok(TcpConnection::Existing));
        assert!("new old".parse::<TcpConnection>().is_err());
    }
}
