//! SIP flows through [`DigestClient`]: every answer is checked the way a registrar or proxy
//! checks it, by recomputing the response from the password.

use proptest::prelude::*;

use super::*;
use crate::rand::SeededRandom;
use crate::sip::headers::{Header, ToHeader};
use crate::sip::{Address, Message, Method, RequestBuilder, Uri};

const REALM: &str = "example.com";
const USER: &str = "alice";
const PASSWORD: &str = "wonderland";

fn request(method: Method, call_id: &str, seq: u32) -> Request {
    let uri: Uri<'static> = "sip:example.com".parse().unwrap();
    let aor: Uri<'static> = "sip:alice@example.com".parse().unwrap();
    RequestBuilder::new(method, uri)
        .via(&Via::new("UDP", "192.0.2.10", Some(5060), "z9hG4bKinitial"))
        .from(Address::new(aor.clone()))
        .to(Address::new(aor))
        .call_id(call_id)
        .cseq(seq)
        .build()
}

fn register() -> Request {
    request(Method::Register, "reg-1@192.0.2.10", 1)
}

fn digest(realm: &str, nonce: &str) -> Challenge<'static> {
    Challenge::digest()
        .with_realm(realm)
        .with_nonce(nonce)
        .with_qop(&["auth"])
}

/// A 401 (or a 407 when only proxies challenge) to `req` carrying the given challenges.
fn challenge(req: &Request, www: &[Challenge<'_>], proxy: &[Challenge<'_>]) -> Response {
    let status = if www.is_empty() {
        StatusCode::PROXY_AUTHENTICATION_REQUIRED
    } else {
        StatusCode::UNAUTHORIZED
    };
    let mut resp = Response::for_request(req, status);
    for c in www {
        resp.headers_mut()
            .push_typed(&WwwAuthenticate(c.clone().into_owned()));
    }
    for c in proxy {
        resp.headers_mut()
            .push_typed(&ProxyAuthenticate(c.clone().into_owned()));
    }
    resp
}

/// A 401 whose WWW-Authenticate values are taken as written.
fn raw_challenge(req: &Request, values: &[&str]) -> Response {
    let mut resp = Response::for_request(req, StatusCode::UNAUTHORIZED);
    for v in values {
        resp.headers_mut().push_raw("WWW-Authenticate", v);
    }
    resp
}

fn client() -> DigestClient {
    let mut c = DigestClient::new();
    c.set_credentials(Some(REALM), USER, PASSWORD);
    c
}

fn authorizations(req: &Request) -> Vec<Credentials<'_>> {
    credentials_in(req.headers(), Target::Server)
}

fn proxy_authorizations(req: &Request) -> Vec<Credentials<'_>> {
    credentials_in(req.headers(), Target::Proxy)
}

fn only(req: &Request) -> Credentials<'_> {
    let mut all = authorizations(req);
    assert_eq!(all.len(), 1, "{req:?}");
    all.remove(0)
}

fn seq(req: &Request) -> u32 {
    req.headers().single::<Cseq>().unwrap().seq
}

fn branch(req: &Request) -> String {
    req.headers()
        .first::<Via<'_>>()
        .unwrap()
        .unwrap()
        .branch()
        .unwrap()
        .to_owned()
}

/// What a registrar does with credentials: recompute the response from the password
/// (RFC 7616 §3.4) for the request that carries them.
fn verifies(c: &Credentials<'_>, username: &str, password: &str, req: &Request) -> bool {
    assert!(c.is_digest());
    let algorithm = c
        .algorithm()
        .map_or(Algorithm::Md5, |a| Algorithm::parse(&a).unwrap());
    let realm = c.realm().unwrap();
    let nonce = c.nonce().unwrap();
    let uri = c.uri().unwrap();
    assert_eq!(uri, req.uri().as_str(), "digest-uri is the Request-URI");
    let expected_user = if c.userhash() {
        userhash(algorithm, username, &realm)
    } else {
        username.to_owned()
    };
    assert_eq!(c.username().as_deref(), Some(expected_user.as_str()));
    let cnonce = c.cnonce().map(|s| s.into_owned()).unwrap_or_default();
    let qop = c.qop().map(|q| Qop::parse(&q).unwrap());
    let h1 = ha1(algorithm, username, &realm, password, &nonce, &cnonce);
    let h2 = ha2(algorithm, req.method().as_str(), &uri, qop, req.body());
    let directive = qop.map(|qop| QopDirective {
        qop,
        nc: c.nc().unwrap(),
        cnonce: &cnonce,
    });
    c.response().as_deref() == Some(response(algorithm, &h1, &nonce, directive, &h2).as_str())
}

#[test]
fn answers_a_register_challenge() {
    let mut rng = SeededRandom::new(1);
    let mut client = client();
    let req = register();
    let resp = challenge(
        &req,
        &[digest(REALM, "n1")
            .with_opaque("op-1")
            .with_algorithm("MD5")],
        &[],
    );
    let retry = client.authorize(&mut rng, &req, &resp).unwrap();
    assert_eq!(seq(&retry), 2);
    assert_eq!(
        retry.headers().single::<Cseq>().unwrap().method,
        Method::Register
    );
    assert_ne!(
        branch(&retry),
        branch(&req),
        "a new transaction needs a new branch"
    );
    assert!(branch(&retry).starts_with(BRANCH_MAGIC_COOKIE));
    let auth = only(&retry);
    assert!(verifies(&auth, USER, PASSWORD, &retry));
    assert_eq!(auth.realm().as_deref(), Some(REALM));
    assert_eq!(auth.nonce().as_deref(), Some("n1"));
    assert_eq!(auth.opaque().as_deref(), Some("op-1"));
    assert_eq!(auth.algorithm().as_deref(), Some("MD5"));
    assert_eq!(auth.qop().as_deref(), Some("auth"));
    assert_eq!(auth.nc(), Some(1));
    assert_eq!(auth.cnonce().unwrap().len(), 2 * CNONCE_BYTES);
    assert!(!auth.userhash());
    // The rest of the request is untouched, and the result serializes and parses back.
    assert_eq!(retry.uri(), req.uri());
    assert_eq!(
        retry.headers().get(HeaderName::CallId),
        Some("reg-1@192.0.2.10")
    );
    assert!(retry.headers().single::<ToHeader<'_>>().is_ok());
    let back = Message::parse(&retry.to_bytes()).unwrap();
    back.validate().unwrap();
    // The new header sits before Content-Length, which stays last.
    let names: Vec<HeaderName> = retry.headers().iter().map(|f| f.name).collect();
    assert_eq!(names.last(), Some(&HeaderName::ContentLength));
    // Seeded randomness replays exactly.
    let again = self::client()
        .authorize(&mut SeededRandom::new(1), &req, &resp)
        .unwrap();
    assert_eq!(again, retry);
}

#[test]
fn strongest_algorithm_of_a_realm_wins() {
    let mut rng = SeededRandom::new(2);
    let req = register();
    // RFC 8760 §2.4: one challenge per algorithm, same realm.
    let resp = challenge(
        &req,
        &[
            digest(REALM, "n-md5").with_algorithm("MD5"),
            digest(REALM, "n-sha").with_algorithm("SHA-256"),
        ],
        &[],
    );
    let retry = client().authorize(&mut rng, &req, &resp).unwrap();
    let auth = only(&retry);
    assert_eq!(auth.algorithm().as_deref(), Some("SHA-256"));
    assert_eq!(auth.nonce().as_deref(), Some("n-sha"));
    assert_eq!(auth.response().unwrap().len(), 64);
    assert!(verifies(&auth, USER, PASSWORD, &retry));

    // SHA-512-256 beats both, whatever the order and case; the case is echoed.
    let resp = challenge(
        &req,
        &[
            digest(REALM, "a").with_algorithm("SHA-256"),
            digest(REALM, "b").with_algorithm("sha-512-256"),
            digest(REALM, "c"),
        ],
        &[],
    );
    let retry = client().authorize(&mut rng, &req, &resp).unwrap();
    let auth = only(&retry);
    assert_eq!(auth.algorithm().as_deref(), Some("sha-512-256"));
    assert!(verifies(&auth, USER, PASSWORD, &retry));

    // Equal strength: the topmost, -sess or not.
    let resp = challenge(
        &req,
        &[
            digest(REALM, "s").with_algorithm("SHA-256-sess"),
            digest(REALM, "p").with_algorithm("SHA-256"),
        ],
        &[],
    );
    let retry = client().authorize(&mut rng, &req, &resp).unwrap();
    let auth = only(&retry);
    assert_eq!(auth.algorithm().as_deref(), Some("SHA-256-sess"));
    assert!(verifies(&auth, USER, PASSWORD, &retry));

    // Unsupported algorithms are skipped, not chosen.
    let resp = challenge(
        &req,
        &[
            digest(REALM, "x").with_algorithm("SHA-3000"),
            digest(REALM, "y").with_algorithm("AKAv1-MD5"),
            digest(REALM, "z"),
        ],
        &[],
    );
    let retry = client().authorize(&mut rng, &req, &resp).unwrap();
    let auth = only(&retry);
    assert_eq!(auth.nonce().as_deref(), Some("z"));
    assert_eq!(auth.algorithm(), None, "an absent algorithm stays absent");
    assert!(verifies(&auth, USER, PASSWORD, &retry));
}

#[test]
fn www_and_proxy_challenges_together() {
    let mut rng = SeededRandom::new(3);
    let mut client = client();
    client.set_credentials(Some("proxy.example.net"), "alice-p", "proxy-pw");
    let req = request(Method::Invite, "call-1", 10);
    let resp = challenge(
        &req,
        &[digest(REALM, "w1")],
        &[digest("proxy.example.net", "p1").with_algorithm("SHA-256")],
    );
    let retry = client.authorize(&mut rng, &req, &resp).unwrap();
    assert_eq!(seq(&retry), 11);
    let auth = only(&retry);
    assert!(verifies(&auth, USER, PASSWORD, &retry));
    let proxy = proxy_authorizations(&retry);
    assert_eq!(proxy.len(), 1);
    assert_eq!(proxy[0].realm().as_deref(), Some("proxy.example.net"));
    assert!(verifies(&proxy[0], "alice-p", "proxy-pw", &retry));

    // Two realms of the same kind: one header each.
    let resp = challenge(&req, &[digest(REALM, "w2"), digest("other", "o1")], &[]);
    client.set_credentials(None, "anyone", "any-pw");
    let retry = client.authorize(&mut rng, &req, &resp).unwrap();
    let auths = authorizations(&retry);
    assert_eq!(auths.len(), 2);
    assert!(verifies(&auths[0], USER, PASSWORD, &retry));
    assert!(verifies(&auths[1], "anyone", "any-pw", &retry));
}

#[test]
fn same_realm_as_registrar_and_proxy() {
    let mut rng = SeededRandom::new(20);
    let mut client = client();
    let req = request(Method::Invite, "call-3", 1);
    let resp = challenge(&req, &[digest(REALM, "w")], &[digest(REALM, "p")]);
    let retry = client.authorize(&mut rng, &req, &resp).unwrap();
    assert_eq!(only(&retry).nonce().as_deref(), Some("w"));
    let proxy = proxy_authorizations(&retry);
    assert_eq!(proxy.len(), 1);
    assert_eq!(proxy[0].nonce().as_deref(), Some("p"));
    assert!(verifies(&proxy[0], USER, PASSWORD, &retry));
    assert_eq!(client.realms.len(), 2);
    assert!(client.forget(REALM));
    assert!(client.realms.is_empty());
}

/// A server that changes algorithm but keeps its nonce sees the count go on: a count that
/// restarted would look like a replay.
#[test]
fn nonce_count_survives_an_algorithm_change() {
    let mut rng = SeededRandom::new(21);
    let mut client = client();
    let req = register();
    let r1 = client
        .authorize(&mut rng, &req, &challenge(&req, &[digest(REALM, "n")], &[]))
        .unwrap();
    assert_eq!(only(&r1).nc(), Some(1));
    let fresh = request(Method::Register, "reg-1@192.0.2.10", 3);
    let sha = digest(REALM, "n").with_algorithm("SHA-256");
    let r2 = client
        .authorize(&mut rng, &fresh, &challenge(&fresh, &[sha], &[]))
        .unwrap();
    let auth = only(&r2);
    assert_eq!(auth.algorithm().as_deref(), Some("SHA-256"));
    assert_eq!(auth.nc(), Some(2));
    assert!(verifies(&auth, USER, PASSWORD, &r2));
}

#[test]
fn a_second_proxy_challenge_renews_the_first_answer() {
    let mut rng = SeededRandom::new(4);
    let mut client = DigestClient::new();
    client.set_credentials(None, USER, PASSWORD);
    let req = request(Method::Invite, "call-2", 1);
    let r1 = client
        .authorize(&mut rng, &req, &challenge(&req, &[], &[digest("p1", "n1")]))
        .unwrap();
    // The first proxy lets the retry through; the second one challenges it.
    let r2 = client
        .authorize(&mut rng, &r1, &challenge(&r1, &[], &[digest("p2", "n2")]))
        .unwrap();
    assert_eq!(seq(&r2), 3);
    let proxy = proxy_authorizations(&r2);
    assert_eq!(proxy.len(), 2);
    assert_eq!(proxy[0].realm().as_deref(), Some("p1"));
    assert_eq!(
        proxy[0].nc(),
        Some(2),
        "the first proxy sees a new nonce count"
    );
    assert_eq!(proxy[1].realm().as_deref(), Some("p2"));
    assert_eq!(proxy[1].nc(), Some(1));
    for p in &proxy {
        assert!(verifies(p, USER, PASSWORD, &r2));
    }
}

#[test]
fn the_same_challenge_again_is_a_rejection() {
    let mut rng = SeededRandom::new(5);
    let mut client = client();
    let req = register();
    let c = digest(REALM, "n1");
    let retry = client
        .authorize(
            &mut rng,
            &req,
            &challenge(&req, std::slice::from_ref(&c), &[]),
        )
        .unwrap();
    let again = challenge(&retry, std::slice::from_ref(&c), &[]);
    let rejected = AuthError::Rejected {
        realm: REALM.to_owned(),
    };
    assert_eq!(
        client.authorize(&mut rng, &retry, &again),
        Err(rejected.clone())
    );
    // A new nonce without stale=true is a rejection too.
    let other = challenge(&retry, &[digest(REALM, "n2")], &[]);
    assert_eq!(
        client.authorize(&mut rng, &retry, &other),
        Err(rejected.clone())
    );
    // The rejected realm is not added pre-emptively.
    let mut refresh = request(Method::Register, "reg-1@192.0.2.10", 3);
    assert_eq!(client.authorize_again(&mut rng, &mut refresh), 0);

    // Same credentials set again: still rejected. New credentials: answered again.
    client.set_credentials(Some(REALM), USER, PASSWORD);
    assert_eq!(client.authorize(&mut rng, &retry, &again), Err(rejected));
    client.set_credentials(Some(REALM), USER, "the-right-one");
    let retry2 = client.authorize(&mut rng, &retry, &again).unwrap();
    assert_eq!(seq(&retry2), 3);
    let auth = only(&retry2);
    assert!(verifies(&auth, USER, "the-right-one", &retry2));
    assert_eq!(auth.nc(), Some(2), "same nonce, next count");

    // A new request (no answer in it) challenged by the realm is answered afresh.
    let mut client = self::client();
    let retry = client
        .authorize(
            &mut rng,
            &req,
            &challenge(&req, std::slice::from_ref(&c), &[]),
        )
        .unwrap();
    assert!(client
        .authorize(
            &mut rng,
            &retry,
            &challenge(&retry, std::slice::from_ref(&c), &[])
        )
        .is_err());
    let fresh = request(Method::Register, "reg-1@192.0.2.10", 5);
    let answered = client
        .authorize(&mut rng, &fresh, &challenge(&fresh, &[c], &[]))
        .unwrap();
    assert!(verifies(&only(&answered), USER, PASSWORD, &answered));
}

#[test]
fn stale_nonce_is_retried_with_the_new_nonce() {
    let mut rng = SeededRandom::new(6);
    let mut client = client();
    let req = register();
    let r1 = client
        .authorize(
            &mut rng,
            &req,
            &challenge(&req, &[digest(REALM, "n1")], &[]),
        )
        .unwrap();
    let mut refresh = request(Method::Register, "reg-1@192.0.2.10", 3);
    assert_eq!(client.authorize_again(&mut rng, &mut refresh), 1);
    assert_eq!(only(&refresh).nc(), Some(2));

    // RFC 7616 §3.3: stale=true, the digest was right, only the nonce expired.
    let stale = challenge(&r1, &[digest(REALM, "n2").with_stale(true)], &[]);
    let r2 = client.authorize(&mut rng, &r1, &stale).unwrap();
    assert_eq!(seq(&r2), 3);
    let auth = only(&r2);
    assert_eq!(auth.nonce().as_deref(), Some("n2"));
    assert_eq!(auth.nc(), Some(1), "the count restarts for the new nonce");
    assert!(verifies(&auth, USER, PASSWORD, &r2));

    // stale=true naming the nonce that was just sent is no news: rejected.
    let same = challenge(&r2, &[digest(REALM, "n2").with_stale(true)], &[]);
    assert_eq!(
        client.authorize(&mut rng, &r2, &same),
        Err(AuthError::Rejected {
            realm: REALM.to_owned()
        })
    );
}

#[test]
fn stale_retries_are_bounded() {
    let mut rng = SeededRandom::new(7);
    let mut client = client();
    let req = register();
    let mut last = client
        .authorize(
            &mut rng,
            &req,
            &challenge(&req, &[digest(REALM, "n0")], &[]),
        )
        .unwrap();
    for k in 1..=MAX_STALE_RETRIES {
        let stale = challenge(
            &last,
            &[digest(REALM, &format!("n{k}")).with_stale(true)],
            &[],
        );
        last = client.authorize(&mut rng, &last, &stale).unwrap();
    }
    let stale = challenge(&last, &[digest(REALM, "n-last").with_stale(true)], &[]);
    assert!(matches!(
        client.authorize(&mut rng, &last, &stale),
        Err(AuthError::Rejected { .. })
    ));
}

#[test]
fn nonce_counts_grow_per_realm_and_nonce() {
    let mut rng = SeededRandom::new(8);
    let mut client = client();
    let req = register();
    let r1 = client
        .authorize(
            &mut rng,
            &req,
            &challenge(&req, &[digest(REALM, "n1")], &[]),
        )
        .unwrap();
    let first_cnonce = only(&r1).cnonce().unwrap().into_owned();

    // A refresh of the same registration (same Call-ID) gets credentials pre-emptively.
    for (k, expected_nc) in [(3, 2), (4, 3), (5, 4)] {
        let mut refresh = request(Method::Register, "reg-1@192.0.2.10", k);
        assert_eq!(client.authorize_again(&mut rng, &mut refresh), 1);
        assert_eq!(seq(&refresh), k, "authorize_again keeps the CSeq");
        let auth = only(&refresh);
        assert_eq!(auth.nonce().as_deref(), Some("n1"));
        assert_eq!(auth.nc(), Some(expected_nc));
        assert_ne!(
            auth.cnonce().unwrap(),
            first_cnonce,
            "a fresh cnonce per request"
        );
        assert!(verifies(&auth, USER, PASSWORD, &refresh));
    }

    // Another dialog does not get them (RFC 3261 §22.3) …
    let mut other = request(Method::Invite, "call-9", 1);
    assert_eq!(client.authorize_again(&mut rng, &mut other), 0);
    assert!(authorizations(&other).is_empty());
    // … unless the realm is allowed across dialogs.
    client.allow_across_dialogs(REALM, true);
    assert_eq!(client.authorize_again(&mut rng, &mut other), 1);
    assert_eq!(only(&other).nc(), Some(5));
    client.allow_across_dialogs(REALM, false);
    let mut other = request(Method::Invite, "call-10", 1);
    assert_eq!(client.authorize_again(&mut rng, &mut other), 0);

    // The same nonce in a new challenge (to a request without credentials) continues the
    // count; the request's Call-ID joins the realm's scope.
    let invite = request(Method::Invite, "call-11", 1);
    let r = client
        .authorize(
            &mut rng,
            &invite,
            &challenge(&invite, &[digest(REALM, "n1")], &[]),
        )
        .unwrap();
    assert_eq!(only(&r).nc(), Some(6));
    let mut bye = request(Method::Bye, "call-11", 3);
    assert_eq!(client.authorize_again(&mut rng, &mut bye), 1);
    assert_eq!(only(&bye).nc(), Some(7));
    assert!(verifies(&only(&bye), USER, PASSWORD, &bye));

    // authorize_again replaces credentials already present for the realm.
    assert_eq!(client.authorize_again(&mut rng, &mut bye), 1);
    assert_eq!(only(&bye).nc(), Some(8));

    // forget drops the nonce state; credentials remain for the next challenge.
    assert!(client.forget(REALM));
    assert!(!client.forget(REALM));
    let mut refresh = request(Method::Register, "reg-1@192.0.2.10", 9);
    assert_eq!(client.authorize_again(&mut rng, &mut refresh), 0);
    let r = client
        .authorize(
            &mut rng,
            &refresh,
            &challenge(&refresh, &[digest(REALM, "n1")], &[]),
        )
        .unwrap();
    assert_eq!(only(&r).nc(), Some(1));
}

#[test]
fn sess_algorithms_keep_the_session_cnonce() {
    let mut rng = SeededRandom::new(9);
    let mut client = client();
    let req = register();
    let resp = challenge(&req, &[digest(REALM, "ns").with_algorithm("MD5-sess")], &[]);
    let r1 = client.authorize(&mut rng, &req, &resp).unwrap();
    let a1 = only(&r1);
    assert!(verifies(&a1, USER, PASSWORD, &r1));
    let mut refresh = request(Method::Register, "reg-1@192.0.2.10", 3);
    assert_eq!(client.authorize_again(&mut rng, &mut refresh), 1);
    let a2 = only(&refresh);
    assert_eq!(a2.cnonce(), a1.cnonce(), "HA1 is keyed by the first cnonce");
    assert_eq!(a2.nc(), Some(2));
    assert!(verifies(&a2, USER, PASSWORD, &refresh));
    // A -sess challenge without qop has no cnonce to key HA1: skipped.
    let resp = raw_challenge(
        &req,
        &["Digest realm=\"example.com\", nonce=\"x\", algorithm=MD5-sess"],
    );
    assert_eq!(
        self::client().authorize(&mut rng, &req, &resp),
        Err(AuthError::NoSupportedChallenge)
    );
}

#[test]
fn auth_int_hashes_the_body() {
    let mut rng = SeededRandom::new(10);
    let uri: Uri<'static> = "sip:bob@example.com".parse().unwrap();
    let req = RequestBuilder::new(Method::Message, uri)
        .via(&Via::new("TCP", "192.0.2.10", None, "z9hG4bKm"))
        .call_id("msg-1")
        .cseq(7)
        .body("text/plain", "Watson, come here.")
        .build();
    let only_int = Challenge::digest()
        .with_realm(REALM)
        .with_nonce("ni")
        .with_qop(&["auth-int"]);
    let retry = client()
        .authorize(&mut rng, &req, &challenge(&req, &[only_int], &[]))
        .unwrap();
    let auth = only(&retry);
    assert_eq!(auth.qop().as_deref(), Some("auth-int"));
    assert!(verifies(&auth, USER, PASSWORD, &retry));
    assert_eq!(retry.body(), req.body());
    // The body is part of the digest: another body does not verify.
    let mut tampered = retry.clone();
    tampered.set_body(Some("text/plain"), "Watson, go away.".into());
    assert!(!verifies(&auth, USER, PASSWORD, &tampered));

    // Both offered: auth is preferred.
    let both = Challenge::digest()
        .with_realm(REALM)
        .with_nonce("nb")
        .with_qop(&["auth-int", "auth"]);
    let retry = client()
        .authorize(&mut rng, &req, &challenge(&req, &[both], &[]))
        .unwrap();
    assert_eq!(only(&retry).qop().as_deref(), Some("auth"));
}

#[test]
fn rfc2069_challenge_without_qop() {
    let mut rng = SeededRandom::new(11);
    let req = register();
    let c = Challenge::digest().with_realm(REALM).with_nonce("old");
    let retry = client()
        .authorize(&mut rng, &req, &challenge(&req, &[c], &[]))
        .unwrap();
    let auth = only(&retry);
    assert_eq!(auth.qop(), None);
    assert_eq!(auth.nc(), None);
    assert_eq!(auth.cnonce(), None);
    assert!(verifies(&auth, USER, PASSWORD, &retry));
    let h1 = ha1(Algorithm::Md5, USER, REALM, PASSWORD, "", "");
    let h2 = ha2(Algorithm::Md5, "REGISTER", "sip:example.com", None, b"");
    assert_eq!(
        auth.response().as_deref(),
        Some(hash_hex(Algorithm::Md5, format!("{h1}:old:{h2}").as_bytes()).as_str())
    );
}

#[test]
fn userhash_hides_the_user_name() {
    let mut rng = SeededRandom::new(12);
    let req = register();
    let c = digest(REALM, "nu")
        .with_algorithm("SHA-256")
        .with_userhash(true)
        .with_charset("UTF-8");
    let retry = client()
        .authorize(&mut rng, &req, &challenge(&req, &[c], &[]))
        .unwrap();
    let auth = only(&retry);
    assert!(auth.userhash());
    assert_eq!(
        auth.username().as_deref(),
        Some(userhash(Algorithm::Sha256, USER, REALM).as_str())
    );
    assert!(verifies(&auth, USER, PASSWORD, &retry));
}

#[test]
fn earlier_credentials_of_the_realm_are_replaced() {
    let mut rng = SeededRandom::new(13);
    let mut req = register();
    let stale_own = Credentials::digest()
        .with_username(USER)
        .with_realm(REALM)
        .with_nonce("ancient")
        .with_response("00");
    let foreign = Credentials::digest()
        .with_username("x")
        .with_realm("elsewhere")
        .with_nonce("e")
        .with_response("11");
    req.headers_mut().push_typed(&Authorization(stale_own));
    req.headers_mut()
        .push_typed(&Authorization(foreign.clone()));
    req.headers_mut()
        .push_raw("Authorization", "NoOneKnowsThisScheme opaque-data=here");
    let retry = client()
        .authorize(
            &mut rng,
            &req,
            &challenge(&req, &[digest(REALM, "n1")], &[]),
        )
        .unwrap();
    let values: Vec<&str> = retry.headers().get_all(HeaderName::Authorization).collect();
    assert_eq!(values.len(), 3, "{values:?}");
    // Ours takes the place of the old one; the others keep theirs.
    let ours = Authorization::parse(values[0]).unwrap();
    assert_eq!(values[1], foreign.to_string());
    assert_eq!(values[2], "NoOneKnowsThisScheme opaque-data=here");
    assert_eq!(ours.nonce().as_deref(), Some("n1"));
    assert!(verifies(&ours, USER, PASSWORD, &retry));
}

#[test]
fn unknown_schemes_are_ignored() {
    let mut rng = SeededRandom::new(14);
    let req = register();
    let resp = raw_challenge(
        &req,
        &[
            "NoOneKnowsThisScheme opaque-data=here",
            "Basic realm=\"example.com\"",
            "Negotiate YIIGhgYJKoZIhvc=",
            "Digest realm=\"example.com\", nonce=\"nd\", qop=\"auth\"",
        ],
    );
    let retry = client().authorize(&mut rng, &req, &resp).unwrap();
    assert!(verifies(&only(&retry), USER, PASSWORD, &retry));
    let resp = raw_challenge(&req, &["NoOneKnowsThisScheme opaque-data=here"]);
    assert_eq!(
        client().authorize(&mut rng, &req, &resp),
        Err(AuthError::NoSupportedChallenge)
    );
}

#[test]
fn hostile_challenges_give_typed_errors() {
    let mut rng = SeededRandom::new(15);
    let req = register();
    let huge = "n".repeat(MAX_VALUE_LEN + 1);
    let fits = "n".repeat(MAX_VALUE_LEN);
    let cases = [
        "Digest realm=\"example.com\", qop=\"auth\"".to_owned(),
        "Digest nonce=\"abc\", qop=\"auth\"".to_owned(),
        format!("Digest realm=\"example.com\", nonce=\"{huge}\""),
        format!("Digest realm=\"{huge}\", nonce=\"n\""),
        format!("Digest realm=\"example.com\", nonce=\"n\", opaque=\"{huge}\""),
        "Digest realm=\"example.com\", nonce=\"n\", algorithm=SHA-1".to_owned(),
        "Digest realm=\"example.com\", nonce=\"n\", algorithm=\"\"".to_owned(),
        "Digest realm=\"example.com\", nonce=\"n\", qop=\"bogus,auth-conf\"".to_owned(),
        "Digest realm=\"example.com\", nonce=\"a\u{7}b\"".to_owned(),
        "Digest realm=\"example.com\", nonce=\"unterminated".to_owned(),
        "Digest realm=\"example.com\",, nonce=\"n\"".to_owned(),
        "Digest".to_owned(),
        "Digest abc==".to_owned(),
        String::new(),
    ];
    for case in &cases {
        let resp = raw_challenge(&req, &[case]);
        assert_eq!(
            client().authorize(&mut rng, &req, &resp),
            Err(AuthError::NoSupportedChallenge),
            "{case}"
        );
    }
    // All of them at once, then one good challenge last: the good one is answered.
    let mut values: Vec<&str> = cases.iter().map(String::as_str).collect();
    let good = format!("Digest realm=\"example.com\", nonce=\"{fits}\", qop=\"auth,bogus\"");
    values.push(&good);
    let retry = client()
        .authorize(&mut rng, &req, &raw_challenge(&req, &values))
        .unwrap();
    assert!(verifies(&only(&retry), USER, PASSWORD, &retry));
}

#[test]
fn missing_credentials_and_wildcards() {
    let mut rng = SeededRandom::new(16);
    let req = register();
    let resp = challenge(&req, &[digest("stranger.example", "n")], &[]);
    assert_eq!(
        client().authorize(&mut rng, &req, &resp),
        Err(AuthError::NoCredentials {
            realm: "stranger.example".to_owned()
        })
    );
    assert_eq!(
        DigestClient::new().authorize(&mut rng, &req, &resp),
        Err(AuthError::NoCredentials {
            realm: "stranger.example".to_owned()
        })
    );
    // Credentials for any realm answer it; those of a realm win over them.
    let mut c = client();
    c.set_credentials(None, "guest", "guest-pw");
    let retry = c.authorize(&mut rng, &req, &resp).unwrap();
    assert!(verifies(&only(&retry), "guest", "guest-pw", &retry));
    let resp = challenge(&req, &[digest(REALM, "n")], &[]);
    let retry = c.authorize(&mut rng, &req, &resp).unwrap();
    assert!(verifies(&only(&retry), USER, PASSWORD, &retry));
    // A realm without credentials is left out when another can be answered.
    let resp = challenge(
        &req,
        &[digest("stranger.example", "n"), digest(REALM, "m")],
        &[],
    );
    let retry = client().authorize(&mut rng, &req, &resp).unwrap();
    assert_eq!(only(&retry).realm().as_deref(), Some(REALM));
    // Removing credentials.
    assert!(c.remove_credentials(None));
    assert!(!c.remove_credentials(None));
    let resp = challenge(&req, &[digest("stranger.example", "n")], &[]);
    assert!(matches!(
        c.authorize(&mut rng, &req, &resp),
        Err(AuthError::NoCredentials { .. })
    ));
}

#[test]
fn caller_errors() {
    let mut rng = SeededRandom::new(17);
    let req = register();
    let ok = Response::for_request(&req, StatusCode::OK);
    assert_eq!(
        client().authorize(&mut rng, &req, &ok),
        Err(AuthError::NotAChallenge { status: 200 })
    );
    let resp = challenge(&req, &[digest(REALM, "n")], &[]);
    let mut no_cseq = req.clone();
    no_cseq.headers_mut().remove(HeaderName::CSeq);
    assert!(matches!(
        client().authorize(&mut rng, &no_cseq, &resp),
        Err(AuthError::InvalidRequest(_))
    ));
    let last = request(Method::Register, "reg-1@192.0.2.10", u32::MAX);
    assert_eq!(
        client().authorize(&mut rng, &last, &resp),
        Err(AuthError::CseqExhausted { seq: u32::MAX })
    );
    // A request without Via is answered; its Vias are not invented.
    let mut no_via = req.clone();
    no_via.headers_mut().remove(HeaderName::Via);
    let retry = client().authorize(&mut rng, &no_via, &resp).unwrap();
    assert!(!retry.headers().contains(HeaderName::Via));
    // Several Vias: only the top branch changes.
    let mut two = req.clone();
    two.headers_mut()
        .push_typed(&Via::new("UDP", "198.51.100.1", None, "z9hG4bKlower"));
    let retry = client().authorize(&mut rng, &two, &resp).unwrap();
    let vias: Vec<Via<'_>> = retry
        .headers()
        .typed::<Via<'_>>()
        .map(Result::unwrap)
        .collect();
    assert_eq!(vias.len(), 2);
    assert_ne!(vias[0].branch(), Some("z9hG4bKinitial"));
    assert_eq!(vias[1].branch(), Some("z9hG4bKlower"));
}

#[test]
fn state_is_bounded() {
    let mut rng = SeededRandom::new(18);
    let mut client = DigestClient::new();
    client.set_credentials(None, USER, PASSWORD);
    let req = register();
    // Realms: the least recently used goes.
    for k in 0..MAX_REALMS + 8 {
        let resp = challenge(&req, &[digest(&format!("realm-{k}"), "n")], &[]);
        client.authorize(&mut rng, &req, &resp).unwrap();
    }
    assert_eq!(client.realms.len(), MAX_REALMS);
    assert!(client.position(Target::Server, "realm-0").is_none());
    assert!(client
        .position(Target::Server, &format!("realm-{}", MAX_REALMS + 7))
        .is_some());

    // Nonces, Call-IDs and answers per realm.
    let mut client = self::client();
    for k in 0..40u32 {
        let req = request(Method::Register, &format!("call-{k}"), 1);
        let resp = challenge(&req, &[digest(REALM, &format!("n{k}"))], &[]);
        client.authorize(&mut rng, &req, &resp).unwrap();
    }
    let st = &client.realms[0];
    assert_eq!(st.nonces.len(), MAX_NONCES);
    assert_eq!(st.nonces.back().unwrap().nonce, "n39");
    assert_eq!(st.call_ids.len(), MAX_CALL_IDS);
    assert_eq!(st.answers.len(), MAX_ANSWERS);

    // Challenges read per response.
    let mut client = DigestClient::new();
    client.set_credentials(None, USER, PASSWORD);
    let many: Vec<Challenge<'_>> = (0..MAX_CHALLENGES + 5)
        .map(|k| digest(&format!("r{k}"), "n"))
        .collect();
    let retry = client
        .authorize(&mut rng, &req, &challenge(&req, &many, &[]))
        .unwrap();
    assert_eq!(authorizations(&retry).len(), MAX_CHALLENGES);
}

#[test]
fn nonce_count_exhaustion() {
    let mut rng = SeededRandom::new(19);
    let mut client = client();
    let req = register();
    client
        .authorize(
            &mut rng,
            &req,
            &challenge(&req, &[digest(REALM, "n1")], &[]),
        )
        .unwrap();
    client.realms[0].nonces.back_mut().unwrap().nc = u32::MAX - 1;
    let mut refresh = request(Method::Register, "reg-1@192.0.2.10", 3);
    assert_eq!(client.authorize_again(&mut rng, &mut refresh), 1);
    assert_eq!(only(&refresh).nc(), Some(u32::MAX));
    let mut refresh = request(Method::Register, "reg-1@192.0.2.10", 4);
    assert_eq!(client.authorize_again(&mut rng, &mut refresh), 0);
    let fresh = request(Method::Register, "reg-1@192.0.2.10", 5);
    assert_eq!(
        client.authorize(
            &mut rng,
            &fresh,
            &challenge(&fresh, &[digest(REALM, "n1")], &[])
        ),
        Err(AuthError::NoSupportedChallenge)
    );
    // A new nonce is fine.
    let retry = client
        .authorize(
            &mut rng,
            &fresh,
            &challenge(&fresh, &[digest(REALM, "n2")], &[]),
        )
        .unwrap();
    assert_eq!(only(&retry).nc(), Some(1));
}

#[test]
fn debug_output_hides_passwords() {
    let mut c = client();
    c.set_credentials(None, "guest", "hunter2");
    let s = format!("{c:?}");
    assert!(s.contains("guest"));
    assert!(!s.contains("hunter2") && !s.contains(PASSWORD));
}

/// Pieces that challenge values are made of, hostile ones included.
fn challenge_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("Digest ".to_owned()),
        Just("digest ".to_owned()),
        Just("Basic ".to_owned()),
        Just("realm=\"example.com\"".to_owned()),
        Just("realm=".to_owned()),
        Just("nonce=\"n1\"".to_owned()),
        Just("nonce=".to_owned()),
        Just("qop=\"auth,auth-int\"".to_owned()),
        Just("qop=auth-int".to_owned()),
        Just("qop=\"\"".to_owned()),
        Just("algorithm=SHA-256".to_owned()),
        Just("algorithm=MD5-sess".to_owned()),
        Just("algorithm=sha-512-256-SESS".to_owned()),
        Just("algorithm=\"unknown\"".to_owned()),
        Just("stale=true".to_owned()),
        Just("userhash=true".to_owned()),
        Just("opaque=\"\"".to_owned()),
        Just(", ".to_owned()),
        Just(",".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("=".to_owned()),
        Just(" ".to_owned()),
        "[ -~]{0,12}",
        "\\PC{0,4}",
        (0usize..3000).prop_map(|n| format!("nonce=\"{}\"", "x".repeat(n))),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary WWW-Authenticate and Proxy-Authenticate values never make authorize panic;
    /// what it returns is a request that serializes to a message that parses, with the next
    /// CSeq, or a typed error. A second round on the result behaves as well.
    #[test]
    fn random_challenges_never_panic(
        www in prop::collection::vec(challenge_value(), 0..5),
        proxy in prop::collection::vec(challenge_value(), 0..5),
        seed in any::<u64>(),
        with_any_realm in any::<bool>(),
    ) {
        let mut rng = SeededRandom::new(seed);
        let mut client = client();
        if with_any_realm {
            client.set_credentials(None, "any", "pw");
        }
        let req = register();
        let mut resp = Response::for_request(&req, StatusCode::PROXY_AUTHENTICATION_REQUIRED);
        for v in &www {
            resp.headers_mut().push_raw("WWW-Authenticate", v);
        }
        for v in &proxy {
            resp.headers_mut().push_raw("Proxy-Authenticate", v);
        }
        match client.authorize(&mut rng, &req, &resp) {
            Ok(retry) => {
                prop_assert_eq!(seq(&retry), 2);
                let back = Message::parse(&retry.to_bytes());
                prop_assert!(back.is_ok(), "{:?}", back);
                let second = client.authorize(&mut rng, &retry, &resp);
                if let Ok(r) = second {
                    prop_assert_eq!(seq(&r), 3);
                }
                let mut refresh = request(Method::Register, "reg-1@192.0.2.10", 9);
                let _ = client.authorize_again(&mut rng, &mut refresh);
                prop_assert!(Message::parse(&refresh.to_bytes()).is_ok());
            }
            Err(e) => {
                let expected = matches!(
                    e,
                    AuthError::NoSupportedChallenge | AuthError::NoCredentials { .. }
                );
                prop_assert!(expected, "{:?}", e);
            }
        }
    }
}
