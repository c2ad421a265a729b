//! SIP digest authentication, client side (RFC 3261 §22 with RFC 2617, RFC 7616 and
//! RFC 8760).
//!
//! - [`DigestClient`] keeps a UA's credentials and what it learned from challenges (nonces,
//!   nonce counts, opaque values), answers 401 and 407 responses with
//!   [`DigestClient::authorize`] and adds credentials to later requests of the same dialog or
//!   registration with [`DigestClient::authorize_again`].
//! - [`ha1`], [`ha2`], [`response`] and [`userhash`] are the computations of RFC 7616 §3.4 for
//!   callers that build credentials themselves (or check them, as a registrar does).
//!
//! Nothing here reads a clock or a global generator: client nonces and Via branches come from
//! the [`Random`] given to each call.
//!
//! ```
//! use sipsimple_proto::rand::SeededRandom;
//! use sipsimple_proto::sip::auth::DigestClient;
//! use sipsimple_proto::sip::headers::{Authorization, Challenge, Cseq, Via, WwwAuthenticate};
//! use sipsimple_proto::sip::{Address, Method, RequestBuilder, Response, StatusCode, Uri};
//!
//! let registrar: Uri<'static> = "sip:example.com".parse()?;
//! let aor: Uri<'static> = "sip:alice@example.com".parse()?;
//! let register = RequestBuilder::new(Method::Register, registrar)
//!     .via(&Via::new("UDP", "192.0.2.10", Some(5060), "z9hG4bKfirst"))
//!     .from(Address::new(aor.clone()))
//!     .to(Address::new(aor))
//!     .call_id("reg-1@192.0.2.10")
//!     .cseq(1)
//!     .build();
//!
//! // The registrar answers 401 with a challenge.
//! let mut unauthorized = Response::for_request(&register, StatusCode::UNAUTHORIZED);
//! unauthorized.headers_mut().push_typed(&WwwAuthenticate(
//!     Challenge::digest()
//!         .with_realm("example.com")
//!         .with_nonce("f84f1cec41e6cbe5aea9c8e88d359")
//!         .with_qop(&["auth"])
//!         .with_algorithm("SHA-256"),
//! ));
//!
//! let mut rng = SeededRandom::new(7);
//! let mut client = DigestClient::new();
//! client.set_credentials(Some("example.com"), "alice", "secret");
//! let retry = client.authorize(&mut rng, &register, &unauthorized)?;
//!
//! assert_eq!(retry.headers().single::<Cseq>()?.seq, 2);
//! let auth = retry.headers().single::<Authorization<'_>>()?;
//! assert_eq!(auth.username().as_deref(), Some("alice"));
//! assert_eq!(auth.uri().as_deref(), Some("sip:example.com"));
//! assert_eq!(auth.algorithm().as_deref(), Some("SHA-256"));
//! assert_eq!(auth.nc(), Some(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod digest;
mod error;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;

use crate::rand::Random;
use crate::sip::headers::{
    Authorization, CallId, Challenge, Credentials, Cseq, HeaderName, Headers, ProxyAuthenticate,
    ProxyAuthorization, Via, WwwAuthenticate, BRANCH_MAGIC_COOKIE,
};
use crate::sip::{Request, Response, StatusCode};

pub use self::digest::{ha1, ha2, hash_hex, response, userhash, Algorithm, Qop, QopDirective};
pub use self::error::AuthError;

/// Longest realm, nonce, opaque or algorithm value taken from a challenge; a challenge with a
/// longer one is skipped. Real nonces are tens of bytes.
const MAX_VALUE_LEN: usize = 1024;
/// WWW-Authenticate (and, separately, Proxy-Authenticate) values read from one response.
const MAX_CHALLENGES: usize = 32;
/// Realms remembered; the least recently used is dropped beyond this.
const MAX_REALMS: usize = 32;
/// Nonces remembered per realm, with their counts.
const MAX_NONCES: usize = 4;
/// Call-IDs per realm for which [`DigestClient::authorize_again`] adds credentials.
const MAX_CALL_IDS: usize = 16;
/// Responses per realm remembered to recognise this client's answers in a challenged request.
const MAX_ANSWERS: usize = 16;
/// `stale=true` challenges answered in a row for one realm before giving up.
const MAX_STALE_RETRIES: u8 = 4;
/// Random bytes in a client nonce (written as hex).
const CNONCE_BYTES: usize = 16;
/// Random characters after the magic cookie in a new Via branch.
const BRANCH_TOKEN_LEN: usize = 16;

/// A SIP user agent's digest credentials and the state it keeps per challenging realm
/// (RFC 3261 §22.2, §22.3; RFC 7616 §3.4).
///
/// # Inputs and outputs
///
/// - Configuration: [`set_credentials`](Self::set_credentials) per realm or for any realm,
///   [`remove_credentials`](Self::remove_credentials), [`forget`](Self::forget) and
///   [`allow_across_dialogs`](Self::allow_across_dialogs).
/// - [`authorize`](Self::authorize) takes a request and the 401 or 407 that challenged it and
///   returns the request to send instead: the same request with the CSeq one higher, a new
///   Via branch (it is a new transaction, RFC 3261 §8.1.3.5) and an Authorization or
///   Proxy-Authorization for every challenging realm. The caller sends it as a new
///   transaction and, when it is challenged again, calls `authorize` with it and the new
///   response; an [`AuthError::Rejected`] ends the loop.
/// - [`authorize_again`](Self::authorize_again) adds credentials, with the next nonce count,
///   to a new request of a registration or dialog whose realms were answered before, so that
///   refreshes and in-dialog requests skip the 401/407 round trip (RFC 3261 §22.3).
///
/// # Choices
///
/// - Per realm (and per header: a registrar's WWW-Authenticate and a proxy's
///   Proxy-Authenticate are kept apart) the strongest supported algorithm wins
///   ([`Algorithm::strength`]); among equals, the topmost challenge (RFC 8760 §2.4). Other
///   schemes, unknown algorithms and malformed values are skipped.
/// - `qop=auth` is preferred; `auth-int` is used only when it is the only option offered. A
///   challenge without qop is answered the RFC 2069 way (RFC 2617 §3.2.2.1); a `-sess`
///   algorithm without qop has no client nonce to use and is skipped.
/// - The nonce count runs per realm and nonce, from 1. A client nonce is fresh for every
///   request, except with `-sess` algorithms, where the one that keyed `HA1` is kept for the
///   life of the nonce (RFC 7616 §3.4.2).
/// - The `algorithm` is echoed as the challenge wrote it (and omitted when it was absent);
///   `opaque` is echoed unchanged; with `userhash=true` the user name is hashed
///   (RFC 7616 §3.4.4). User names and passwords are taken as given; with `charset=UTF-8` they
///   should already be in Unicode Normalization Form C (RFC 7616 §4).
///
/// Memory is bounded: at most 32 realms (least recently used dropped), 4 nonces, 16 Call-IDs
/// and 16 remembered answers per realm, 32 challenges of each kind read per response, 1024
/// bytes per realm, nonce or opaque value.
#[derive(Debug, Clone, Default)]
pub struct DigestClient {
    secrets: Vec<Secret>,
    realms: Vec<RealmState>,
    /// Realms whose credentials go into every request (a configured outbound proxy).
    across_dialogs: Vec<String>,
    /// Use counter ordering realms for eviction.
    tick: u64,
}

impl DigestClient {
    /// A client with no credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the user name and password for `realm`, or for any realm without credentials of
    /// its own when `realm` is `None`; replaces earlier ones for the same realm.
    ///
    /// New credentials end the rejection of the old ones: a realm that rejected the old
    /// credentials is answered again.
    pub fn set_credentials(&mut self, realm: Option<&str>, username: &str, password: &str) {
        let secret = Secret {
            realm: realm.map(str::to_owned),
            username: username.to_owned(),
            password: password.to_owned(),
        };
        match self
            .secrets
            .iter_mut()
            .find(|s| s.realm.as_deref() == realm)
        {
            Some(s) if s.username == secret.username && s.password == secret.password => return,
            Some(s) => *s = secret,
            None => self.secrets.push(secret),
        }
        for st in &mut self.realms {
            if realm.is_none_or(|r| r == st.realm) {
                st.answers.clear();
                st.rejected = false;
            }
        }
    }

    /// Removes the credentials set for `realm` (`None`: those for any realm); `true` when
    /// there were some.
    pub fn remove_credentials(&mut self, realm: Option<&str>) -> bool {
        let before = self.secrets.len();
        self.secrets.retain(|s| s.realm.as_deref() != realm);
        before != self.secrets.len()
    }

    /// Drops what was learned about `realm` (nonces, counts, opaque, rejection) for both
    /// WWW-Authenticate and Proxy-Authenticate; its credentials stay. `true` when something
    /// was known.
    pub fn forget(&mut self, realm: &str) -> bool {
        let before = self.realms.len();
        self.realms.retain(|st| st.realm != realm);
        before != self.realms.len()
    }

    /// Lets [`authorize_again`](Self::authorize_again) add the credentials of `realm` to any
    /// request, not only to those of the registration or dialog it challenged. RFC 3261 §22.3
    /// allows it for the realm of a configured outbound proxy; other realms stay scoped to
    /// their Call-ID.
    pub fn allow_across_dialogs(&mut self, realm: &str, allow: bool) {
        self.across_dialogs.retain(|r| r != realm);
        if allow {
            self.across_dialogs.push(realm.to_owned());
        }
    }

    /// Answers the challenges of `challenge_response` (a 401 or 407 to `request`) and returns
    /// the request to send instead (RFC 3261 §22.2, §22.3, §8.1.3.5).
    ///
    /// Every WWW-Authenticate and Proxy-Authenticate value is read; per realm the strongest
    /// supported Digest challenge is answered with an Authorization or Proxy-Authorization,
    /// which replaces one for the same realm already in the request. The result is `request`
    /// with the CSeq one higher and a new branch in the top Via. Digest credentials already in
    /// the request for realms this client knows and that did not challenge again (a proxy
    /// that let the request through before another one challenged it) are renewed with the
    /// next nonce count.
    ///
    /// A realm with no credentials is left unanswered as long as another one can be
    /// answered (RFC 3261 §22.3 lets the UAC choose).
    ///
    /// # Errors
    ///
    /// - [`AuthError::Rejected`] when a realm challenges a request that carried this client's
    ///   answer for it and the challenge is not `stale=true` with a new nonce, or after 4
    ///   stale retries in a row; the realm is then no longer added by
    ///   [`authorize_again`](Self::authorize_again) until new credentials are set or it
    ///   challenges a request without this client's answer.
    /// - [`AuthError::NoCredentials`] when no supported challenge names a realm with
    ///   credentials.
    /// - [`AuthError::NoSupportedChallenge`] when no challenge can be answered.
    /// - [`AuthError::NotAChallenge`], [`AuthError::InvalidRequest`] and
    ///   [`AuthError::CseqExhausted`] for a response or request that does not fit.
    pub fn authorize(
        &mut self,
        rng: &mut impl Random,
        request: &Request,
        challenge_response: &Response,
    ) -> Result<Request, AuthError> {
        let status = challenge_response.status();
        if status != StatusCode::UNAUTHORIZED && status != StatusCode::PROXY_AUTHENTICATION_REQUIRED
        {
            return Err(AuthError::NotAChallenge {
                status: status.code(),
            });
        }
        let cseq = request
            .headers()
            .single::<Cseq>()
            .map_err(AuthError::InvalidRequest)?;
        let next = cseq
            .seq
            .checked_add(1)
            .ok_or(AuthError::CseqExhausted { seq: cseq.seq })?;
        let offers = offers(challenge_response.headers());

        // Decide for every realm before changing any state.
        let mut plan = Vec::new();
        let mut missing = None;
        let mut rejected = None;
        for offer in offers {
            if find_secret(&self.secrets, &offer.realm).is_none() {
                missing.get_or_insert_with(|| offer.realm.clone());
                continue;
            }
            let Some(i) = self.position(offer.target, &offer.realm) else {
                plan.push((offer, false));
                continue;
            };
            let st = &mut self.realms[i];
            match st.our_answer(request) {
                None => {
                    if st.nonce_usable(&offer.nonce) {
                        plan.push((offer, false));
                    }
                }
                // RFC 7616 §3.3: `stale=true` means the digest was right and only the nonce
                // was old; anything else after an answer means the credentials are wrong.
                Some(sent_nonce)
                    if offer.stale
                        && sent_nonce != offer.nonce
                        && st.stale_retries < MAX_STALE_RETRIES =>
                {
                    if st.nonce_usable(&offer.nonce) {
                        plan.push((offer, true));
                    }
                }
                Some(_) => {
                    st.rejected = true;
                    rejected.get_or_insert_with(|| offer.realm.clone());
                }
            }
        }
        if let Some(realm) = rejected {
            return Err(AuthError::Rejected { realm });
        }
        if plan.is_empty() {
            return Err(match missing {
                Some(realm) => AuthError::NoCredentials { realm },
                None => AuthError::NoSupportedChallenge,
            });
        }

        self.tick += 1;
        let mut out = request.clone();
        out.headers_mut()
            .set_typed(&Cseq::new(next, cseq.method.clone()));
        refresh_branch(out.headers_mut(), rng);
        let call_id = call_id(request);
        let mut answered = Vec::with_capacity(plan.len());
        for (offer, stale_retry) in &plan {
            let i = self.learn(offer);
            let secret =
                find_secret(&self.secrets, &offer.realm).expect("credentials checked above");
            let st = &mut self.realms[i];
            st.stale_retries = if *stale_retry {
                st.stale_retries + 1
            } else {
                0
            };
            st.rejected = false;
            if let Some(c) = &call_id {
                st.call_ids.retain(|x| x != c);
                push_bounded(&mut st.call_ids, c.clone(), MAX_CALL_IDS);
            }
            let (value, digest) = st
                .next_credentials(secret, rng, &out)
                .expect("a usable nonce was checked above");
            push_bounded(&mut st.answers, digest, MAX_ANSWERS);
            replace_credentials(out.headers_mut(), st.target, &st.realm, &value);
            answered.push((offer.target, offer.realm.clone()));
        }
        // Realms answered earlier and not challenged this time (a first proxy that let the
        // request through before a second one challenged it) get a fresh nonce count.
        let tick = self.tick;
        for st in &mut self.realms {
            if st.rejected
                || answered.contains(&(st.target, st.realm.clone()))
                || !st.carried_by(request)
            {
                continue;
            }
            let Some(secret) = find_secret(&self.secrets, &st.realm) else {
                continue;
            };
            if let Some((value, _)) = st.next_credentials(secret, rng, &out) {
                st.last_used = tick;
                replace_credentials(out.headers_mut(), st.target, &st.realm, &value);
            }
        }
        Ok(out)
    }

    /// Adds credentials to `request` for every realm answered before in its registration or
    /// dialog (same Call-ID, RFC 3261 §22.3) or allowed with
    /// [`allow_across_dialogs`](Self::allow_across_dialogs), using the last nonce of the realm
    /// with the next nonce count; credentials for the same realm already in the request are
    /// replaced. Realms whose credentials were rejected, or without credentials, are skipped.
    /// Returns how many were added.
    ///
    /// The request keeps its CSeq and Via: it is a new request the caller built.
    pub fn authorize_again(&mut self, rng: &mut impl Random, request: &mut Request) -> usize {
        let call_id = call_id(request);
        self.tick += 1;
        let tick = self.tick;
        let mut added = 0;
        for st in &mut self.realms {
            let in_scope = call_id.as_ref().is_some_and(|c| st.call_ids.contains(c))
                || self.across_dialogs.contains(&st.realm);
            if st.rejected || !in_scope {
                continue;
            }
            let Some(secret) = find_secret(&self.secrets, &st.realm) else {
                continue;
            };
            if let Some((value, _)) = st.next_credentials(secret, rng, request) {
                st.last_used = tick;
                st.stale_retries = 0;
                replace_credentials(request.headers_mut(), st.target, &st.realm, &value);
                added += 1;
            }
        }
        added
    }

    fn position(&self, target: Target, realm: &str) -> Option<usize> {
        self.realms
            .iter()
            .position(|st| st.target == target && st.realm == realm)
    }

    /// Takes in the parameters of `offer` for its realm (creating the realm, and dropping the
    /// least recently used one when full) and makes its nonce the current one.
    fn learn(&mut self, offer: &Offer) -> usize {
        let i = match self.position(offer.target, &offer.realm) {
            Some(i) => i,
            None => {
                if self.realms.len() >= MAX_REALMS {
                    let oldest = self
                        .realms
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, st)| st.last_used)
                        .map(|(k, _)| k)
                        .expect("MAX_REALMS > 0");
                    self.realms.remove(oldest);
                }
                self.realms
                    .push(RealmState::new(offer.target, &offer.realm));
                self.realms.len() - 1
            }
        };
        let st = &mut self.realms[i];
        // A nonce keeps its count even when the algorithm changes: a server counts per nonce,
        // and a count that went back would look like a replay.
        st.algorithm = offer.algorithm;
        st.algorithm_text.clone_from(&offer.algorithm_text);
        st.opaque.clone_from(&offer.opaque);
        st.qop = offer.qop;
        st.userhash = offer.userhash;
        st.last_used = self.tick;
        let entry = match st.nonces.iter().position(|n| n.nonce == offer.nonce) {
            Some(k) => st.nonces.remove(k).expect("position is in range"),
            None => NonceUse {
                nonce: offer.nonce.clone(),
                nc: 0,
                session_cnonce: None,
            },
        };
        push_bounded(&mut st.nonces, entry, MAX_NONCES);
        i
    }
}

/// A user name and password, for one realm or (`realm: None`) for any.
#[derive(Clone)]
struct Secret {
    realm: Option<String>,
    username: String,
    password: String,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("realm", &self.realm)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The credentials for `realm`: those set for it, else those for any realm.
fn find_secret<'s>(secrets: &'s [Secret], realm: &str) -> Option<&'s Secret> {
    secrets
        .iter()
        .find(|s| s.realm.as_deref() == Some(realm))
        .or_else(|| secrets.iter().find(|s| s.realm.is_none()))
}

/// Who challenged: a UAS or registrar (WWW-Authenticate, answered with Authorization) or a
/// proxy (Proxy-Authenticate, answered with Proxy-Authorization).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Server,
    Proxy,
}

impl Target {
    fn credentials_header(self) -> HeaderName {
        match self {
            Self::Server => HeaderName::Authorization,
            Self::Proxy => HeaderName::ProxyAuthorization,
        }
    }
}

/// What this client knows of one challenging realm.
#[derive(Debug, Clone)]
struct RealmState {
    target: Target,
    realm: String,
    algorithm: Algorithm,
    /// The algorithm as the challenge wrote it, echoed back; `None` when it was absent.
    algorithm_text: Option<String>,
    opaque: Option<String>,
    qop: Option<Qop>,
    userhash: bool,
    /// Nonces with their counts, the current one last.
    nonces: VecDeque<NonceUse>,
    /// Call-IDs of the requests this realm challenged, newest last.
    call_ids: VecDeque<String>,
    /// `response` values sent in answer to this realm's challenges, newest last.
    answers: VecDeque<String>,
    /// `stale=true` challenges answered in a row.
    stale_retries: u8,
    /// The realm challenged this client's answer: no more pre-emptive credentials.
    rejected: bool,
    last_used: u64,
}

/// One nonce of a realm and how often it was used.
#[derive(Debug, Clone)]
struct NonceUse {
    nonce: String,
    /// Requests sent with this nonce so far.
    nc: u32,
    /// The client nonce that keyed `HA1` of a `-sess` algorithm.
    session_cnonce: Option<String>,
}

impl RealmState {
    fn new(target: Target, realm: &str) -> Self {
        Self {
            target,
            realm: realm.to_owned(),
            algorithm: Algorithm::Md5,
            algorithm_text: None,
            opaque: None,
            qop: None,
            userhash: false,
            nonces: VecDeque::new(),
            call_ids: VecDeque::new(),
            answers: VecDeque::new(),
            stale_retries: 0,
            rejected: false,
            last_used: 0,
        }
    }

    /// The nonce of this client's answer for this realm carried by `request`, if it carries
    /// one.
    fn our_answer(&self, request: &Request) -> Option<String> {
        credentials_in(request.headers(), self.target)
            .into_iter()
            .filter(|c| c.is_digest() && c.realm().as_deref() == Some(self.realm.as_str()))
            .find(|c| {
                c.response()
                    .is_some_and(|r| self.answers.iter().any(|a| *a == *r))
            })
            .map(|c| c.nonce().unwrap_or_default().into_owned())
    }

    /// `true` when `request` carries Digest credentials for this realm.
    fn carried_by(&self, request: &Request) -> bool {
        credentials_in(request.headers(), self.target)
            .iter()
            .any(|c| c.is_digest() && c.realm().as_deref() == Some(self.realm.as_str()))
    }

    /// `false` when `nonce` was used 2³²−1 times already: its count cannot grow.
    fn nonce_usable(&self, nonce: &str) -> bool {
        self.nonces
            .iter()
            .find(|n| n.nonce == nonce)
            .is_none_or(|n| n.nc < u32::MAX)
    }

    /// The next credentials with the current nonce for `request`, as a header value, with the
    /// `response` digest; `None` without a nonce or when its count is used up.
    fn next_credentials(
        &mut self,
        secret: &Secret,
        rng: &mut impl Random,
        request: &Request,
    ) -> Option<(String, String)> {
        let algorithm = self.algorithm;
        let entry = self.nonces.back_mut()?;
        entry.nc = entry.nc.checked_add(1)?;
        let cnonce = match self.qop {
            None => String::new(),
            // RFC 7616 §3.4.2: the session key is made with the cnonce of the first request
            // after the challenge; later requests keep it so servers that rebuild the key
            // from each request agree.
            Some(_) if algorithm.is_session() => entry
                .session_cnonce
                .get_or_insert_with(|| new_cnonce(rng))
                .clone(),
            Some(_) => new_cnonce(rng),
        };
        let uri = request.uri().as_str();
        let h1 = ha1(
            algorithm,
            &secret.username,
            &self.realm,
            &secret.password,
            &entry.nonce,
            &cnonce,
        );
        let h2 = ha2(
            algorithm,
            request.method().as_str(),
            uri,
            self.qop,
            request.body(),
        );
        let directive = self.qop.map(|qop| QopDirective {
            qop,
            nc: entry.nc,
            cnonce: &cnonce,
        });
        let digest = response(algorithm, &h1, &entry.nonce, directive, &h2);
        // RFC 7616 §3.4.4: the user name is hashed after every other computation.
        let username = if self.userhash {
            userhash(algorithm, &secret.username, &self.realm)
        } else {
            secret.username.clone()
        };
        let mut c = Credentials::digest()
            .with_username(&username)
            .with_realm(&self.realm)
            .with_nonce(&entry.nonce)
            .with_uri(uri)
            .with_response(&digest);
        if let Some(a) = &self.algorithm_text {
            c = c.with_algorithm(a);
        }
        if let Some(d) = directive {
            c = c
                .with_cnonce(d.cnonce)
                .with_qop(d.qop.as_str())
                .with_nc(d.nc);
        }
        if let Some(o) = &self.opaque {
            c = c.with_opaque(o);
        }
        if self.userhash {
            c = c.with_userhash(true);
        }
        Some((c.to_string(), digest))
    }
}

/// One supported Digest challenge, decoded.
#[derive(Debug, Clone)]
struct Offer {
    target: Target,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Algorithm,
    algorithm_text: Option<String>,
    qop: Option<Qop>,
    stale: bool,
    userhash: bool,
}

impl Offer {
    /// The challenge as this client would answer it; `None` when it cannot be answered.
    fn new(target: Target, c: &Challenge<'_>) -> Option<Self> {
        if !c.is_digest() {
            return None;
        }
        let realm = usable_value(c.realm()?)?;
        let nonce = usable_value(c.nonce()?)?;
        let opaque = match c.opaque() {
            Some(o) => Some(usable_value(o)?),
            None => None,
        };
        let (algorithm, algorithm_text) = match c.algorithm() {
            Some(a) => (Algorithm::parse(&a)?, Some(usable_value(a)?)),
            None => (Algorithm::Md5, None),
        };
        let offered: Vec<Option<Qop>> = c.qop().iter().map(|q| Qop::parse(q)).collect();
        let qop = if offered.is_empty() {
            None
        } else if offered.contains(&Some(Qop::Auth)) {
            Some(Qop::Auth)
        } else if offered.contains(&Some(Qop::AuthInt)) {
            Some(Qop::AuthInt)
        } else {
            return None;
        };
        // RFC 2617 §3.2.2: a client nonce is sent only with a qop, and `-sess` needs one.
        if algorithm.is_session() && qop.is_none() {
            return None;
        }
        Some(Self {
            target,
            realm,
            nonce,
            opaque,
            algorithm,
            algorithm_text,
            qop,
            stale: c.stale(),
            userhash: c.userhash(),
        })
    }
}

/// `v` as an owned string when it is short enough and free of control characters (which
/// could not be written back unchanged).
fn usable_value(v: std::borrow::Cow<'_, str>) -> Option<String> {
    let ok = v.len() <= MAX_VALUE_LEN && !v.chars().any(|ch| ch.is_control() && ch != '\t');
    ok.then(|| v.into_owned())
}

/// The supported challenges of a response, the strongest per realm and header kind, in the
/// order their realms first appear (WWW-Authenticate first).
fn offers(headers: &Headers) -> Vec<Offer> {
    let www = headers
        .typed::<WwwAuthenticate<'_>>()
        .take(MAX_CHALLENGES)
        .filter_map(Result::ok)
        .filter_map(|c| Offer::new(Target::Server, &c));
    let proxy = headers
        .typed::<ProxyAuthenticate<'_>>()
        .take(MAX_CHALLENGES)
        .filter_map(Result::ok)
        .filter_map(|c| Offer::new(Target::Proxy, &c));
    let mut best: Vec<Offer> = Vec::new();
    for offer in www.chain(proxy) {
        match best
            .iter_mut()
            .find(|b| b.target == offer.target && b.realm == offer.realm)
        {
            Some(b) if offer.algorithm.strength() > b.algorithm.strength() => *b = offer,
            Some(_) => {}
            None => best.push(offer),
        }
    }
    best
}

/// The credentials of `target`'s header in `headers` that decode.
fn credentials_in(headers: &Headers, target: Target) -> Vec<Credentials<'_>> {
    match target {
        Target::Server => headers
            .typed::<Authorization<'_>>()
            .filter_map(Result::ok)
            .map(|a| a.0)
            .collect(),
        Target::Proxy => headers
            .typed::<ProxyAuthorization<'_>>()
            .filter_map(Result::ok)
            .map(|a| a.0)
            .collect(),
    }
}

/// Puts `value` in place of the Digest credentials for `realm` in `target`'s header (after
/// the others when there are none), keeping the other values in order. The header stays where
/// it first appears; a new one goes before Content-Length, else last.
fn replace_credentials(headers: &mut Headers, target: Target, realm: &str, value: &str) {
    let name = target.credentials_header();
    let at = headers
        .iter()
        .position(|f| f.name == name)
        .or_else(|| {
            headers
                .iter()
                .position(|f| f.name == HeaderName::ContentLength)
        })
        .unwrap_or(headers.len());
    let mut values: Vec<String> = Vec::new();
    let mut placed = false;
    for v in headers.get_all(name) {
        let same_realm = Credentials::parse(v)
            .is_ok_and(|c| c.is_digest() && c.realm().as_deref() == Some(realm));
        if !same_realm {
            values.push(v.to_owned());
        } else if !placed {
            values.push(value.to_owned());
            placed = true;
        }
    }
    if !placed {
        values.push(value.to_owned());
    }
    headers.remove(name);
    for (k, v) in values.iter().enumerate() {
        headers.insert(at + k, name, v);
    }
}

/// Gives the top Via a new branch: the retry is a new transaction (RFC 3261 §8.1.3.5,
/// §8.1.1.7). Vias that do not decode are left alone.
fn refresh_branch(headers: &mut Headers, rng: &mut impl Random) {
    let Ok(mut vias) = headers
        .typed::<Via<'_>>()
        .map(|v| v.map(Via::into_owned))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let Some(top) = vias.first_mut() else {
        return;
    };
    let branch = format!("{BRANCH_MAGIC_COOKIE}{}", rng.token(BRANCH_TOKEN_LEN));
    top.params.set("branch", Some(&branch));
    let at = headers
        .iter()
        .position(|f| f.name == HeaderName::Via)
        .expect("a Via was decoded");
    headers.remove(HeaderName::Via);
    for (k, via) in vias.iter().enumerate() {
        headers.insert(at + k, HeaderName::Via, &via.to_string());
    }
}

/// The Call-ID of `request`, when it has one that decodes.
fn call_id(request: &Request) -> Option<String> {
    request
        .headers()
        .single::<CallId<'_>>()
        .ok()
        .map(|c| c.as_str().to_owned())
}

/// A client nonce: random bytes in hex.
fn new_cnonce(rng: &mut impl Random) -> String {
    let mut b = [0u8; CNONCE_BYTES];
    rng.fill(&mut b);
    digest::hex(&b)
}

/// Appends `item`, dropping the oldest beyond `max`.
fn push_bounded<T>(list: &mut VecDeque<T>, item: T, max: usize) {
    list.push_back(item);
    while list.len() > max {
        list.pop_front();
    }
}
