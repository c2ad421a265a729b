//! A digest-checking server side for scenarios: challenges and verifies requests the way a
//! registrar or proxy does (RFC 3261 §22, RFC 7616), so the client's answers are checked for
//! real, not just looked at.

use sipsimple_proto::sip::auth::{ha1, ha2, response, Algorithm, Qop, QopDirective};
use sipsimple_proto::sip::headers::{Authorization, Challenge, WwwAuthenticate};
use sipsimple_proto::sip::{Request, Response, StatusCode};

/// One realm with one nonce and one user's password.
#[derive(Debug, Clone)]
pub struct DigestServer {
    /// The realm challenged.
    pub realm: String,
    /// The nonce every challenge carries.
    pub nonce: String,
    /// The algorithm challenged and checked.
    pub algorithm: Algorithm,
    /// The password of every user.
    pub password: String,
}

impl DigestServer {
    /// `true` when `request` carries an Authorization that answers this server's challenge
    /// with the right password (qop=auth).
    pub fn verify(&self, request: &Request) -> bool {
        let Some(Ok(auth)) = request.headers().first::<Authorization<'_>>() else {
            return false;
        };
        let (Some(user), Some(realm), Some(nonce), Some(uri), Some(got)) = (
            auth.username(),
            auth.realm(),
            auth.nonce(),
            auth.uri(),
            auth.response(),
        ) else {
            return false;
        };
        if realm != self.realm.as_str() || nonce != self.nonce.as_str() {
            return false;
        }
        let cnonce = auth.cnonce().unwrap_or_default();
        let h1 = ha1(
            self.algorithm,
            &user,
            &realm,
            &self.password,
            &nonce,
            &cnonce,
        );
        let h2 = ha2(
            self.algorithm,
            request.method().as_str(),
            &uri,
            Some(Qop::Auth),
            &[],
        );
        let qop = QopDirective {
            qop: Qop::Auth,
            nc: auth.nc().unwrap_or(0),
            cnonce: &cnonce,
        };
        response(self.algorithm, &h1, &nonce, Some(qop), &h2) == got
    }

    /// A 401 with this server's challenge, To tag `to_tag`.
    pub fn challenge(&self, request: &Request, to_tag: &str) -> Response {
        Response::for_request(request, StatusCode::UNAUTHORIZED)
            .with_to_tag(to_tag)
            .with_header(&WwwAuthenticate(
                Challenge::digest()
                    .with_realm(&self.realm)
                    .with_nonce(&self.nonce)
                    .with_qop(&["auth"])
                    .with_algorithm(self.algorithm.as_str()),
            ))
    }
}
