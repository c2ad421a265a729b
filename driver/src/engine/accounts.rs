//! The engine's side of accounts: activation, the REGISTER client of each account, and the
//! `SIPAccount*` notifications.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sipsimple_proto::endpoint::{ClientTxId, TransportKind};
use sipsimple_proto::registration::{
    Registration, RegistrationConfig, RegistrationEvent, Route, TxReport,
};
use sipsimple_proto::request::Outgoing;
use sipsimple_proto::sip::headers::Contact;

use super::{Engine, Input, OsRandom};
use crate::account::{contact_uri, credentials, sender_id, AccountStatus};
use crate::configuration::{AccountId, AccountSettings};
use crate::notification::SenderId;

/// Length of the random user part of an account's Contact URIs.
const CONTACT_USER_LEN: usize = 8;
/// How long an account waits to look its registrar up again after a failed lookup.
const RESOLVE_RETRY: Duration = Duration::from_secs(60);

/// An account the engine has activated.
pub(super) struct ActiveAccount {
    settings: AccountSettings,
    sender: SenderId,
    registration: Option<Registration>,
    in_flight: Option<ClientTxId>,
    /// Deactivating: the account goes once its registration has ended.
    leaving: bool,
    /// Counts the registrar lookups started, so that a late answer to an older one is
    /// recognised and dropped.
    lookups: u64,
    /// When to look the registrar up again after a failed lookup.
    resolve_at: Option<Instant>,
}

impl Engine {
    /// Activates an account, or re-activates it with new settings.
    pub(super) fn activate(&mut self, now: Instant, settings: AccountSettings) {
        let id = settings.id().clone();
        if self.accounts.contains_key(&id) {
            // New settings: the old registration ends first, then the account starts again.
            self.deactivate(now, &id);
            self.reactivate.insert(id.clone(), settings);
            self.settle(now, &id);
            return;
        }
        let sender = sender_id(&id);
        self.post("SIPAccountWillActivate", &sender, json!({}));
        let contact_username = self
            .shared
            .accounts()
            .get(&id)
            .map(|s| s.contact_username.clone())
            .unwrap_or_else(|| lowercase_token(CONTACT_USER_LEN));
        self.shared.accounts().insert(
            id.clone(),
            AccountStatus {
                registered: false,
                contact_username: contact_username.clone(),
            },
        );
        let register = settings.sip.register;
        self.accounts.insert(
            id.clone(),
            ActiveAccount {
                settings,
                sender: sender.clone(),
                registration: None,
                in_flight: None,
                leaving: false,
                lookups: 0,
                resolve_at: None,
            },
        );
        self.post("SIPAccountDidActivate", &sender, json!({}));
        if register {
            self.find_registrar(now, &id);
        }
    }

    /// Looks the registrar up (its outbound proxy, else its domain): at once for a numeric
    /// host, else through DNS, whose answer comes back as [`Input::RegistrarResolved`].
    fn find_registrar(&mut self, now: Instant, id: &AccountId) {
        let Some(account) = self.accounts.get_mut(id) else {
            return;
        };
        account.resolve_at = None;
        account.lookups += 1;
        let lookup = account.lookups;
        let target = match crate::routing::next_hop(&account.settings, None) {
            Ok(t) => t,
            Err(error) => {
                self.registrar_resolved(now, id, lookup, Err(error));
                return;
            }
        };
        let transports =
            crate::routing::transports(&self.transport_list, |t| self.local_address(t).is_some());
        let host = target.host().to_owned();
        if crate::routing::is_numeric(&target) {
            let routes = crate::routing::resolve_numeric(&target, &transports);
            self.registrar_resolved(now, id, lookup, routes.map(|r| (r, host)));
            return;
        }
        let dns = self.shared.lookup();
        let inputs = self.inputs.clone();
        let id = id.clone();
        self.runtime.spawn(Box::pin(async move {
            let routes = crate::routing::resolve(dns, target, transports).await;
            let _ = inputs
                .send(Input::RegistrarResolved {
                    id,
                    lookup,
                    routes: routes.map(|r| (r, host)),
                })
                .await;
        }));
    }

    /// The registrar's routes (and the host they came from), or why there are none: the
    /// account registers, or says it failed and looks again later.
    pub(super) fn registrar_resolved(
        &mut self,
        now: Instant,
        id: &AccountId,
        lookup: u64,
        routes: Result<(Vec<Route>, String), String>,
    ) {
        let Some(account) = self.accounts.get(id) else {
            return;
        };
        if account.lookups != lookup || account.leaving {
            return;
        }
        let sender = account.sender.clone();
        if account.registration.is_some() {
            // Looked up again (after a network change): new routes, registered again.
            if let Ok((routes, host)) = routes {
                for route in &routes {
                    if route.transport == TransportKind::Tls {
                        self.expect_tls_name(route.destination, &host);
                    }
                }
                if let Some(r) = self
                    .accounts
                    .get_mut(id)
                    .and_then(|a| a.registration.as_mut())
                {
                    r.set_routes(routes);
                    // The routes are known, so `register` cannot fail.
                    let _ = r.register(now, &mut self.rng);
                }
                self.drive_account(now, id);
            }
            // A failed lookup keeps the routes it had.
            return;
        }
        let contact_username = self
            .shared
            .accounts()
            .get(id)
            .map(|s| s.contact_username.clone())
            .unwrap_or_default();
        let settings = account.settings.clone();
        let built = routes.and_then(|(routes, host)| {
            for route in &routes {
                if route.transport == TransportKind::Tls {
                    self.expect_tls_name(route.destination, &host);
                }
            }
            self.registration_for(&settings, &contact_username, routes)
        });
        match built {
            Ok(mut registration) => {
                // Routes exist: `register` cannot fail.
                let _ = registration.register(now, &mut self.rng);
                if let Some(account) = self.accounts.get_mut(id) {
                    account.registration = Some(registration);
                }
                self.drive_account(now, id);
            }
            Err(error) => {
                if let Some(account) = self.accounts.get_mut(id) {
                    account.resolve_at = Some(now + RESOLVE_RETRY);
                }
                self.post(
                    "SIPAccountRegistrationDidFail",
                    &sender,
                    json!({"error": error, "retry_after": RESOLVE_RETRY.as_secs_f64()}),
                );
            }
        }
    }

    /// Deactivates an account: unregisters it first when it registered.
    pub(super) fn deactivate(&mut self, now: Instant, id: &AccountId) {
        self.reactivate.remove(id);
        let Some(account) = self.accounts.get_mut(id) else {
            return;
        };
        if account.leaving {
            return;
        }
        account.leaving = true;
        let sender = account.sender.clone();
        if let Some(registration) = &mut account.registration {
            // The routes were known when it registered, so `unregister` cannot fail.
            let _ = registration.unregister(now, &mut self.rng);
        }
        self.post("SIPAccountWillDeactivate", &sender, json!({}));
        self.drive_account(now, id);
    }

    /// A connection to `peer` closed: the accounts registered through it register again at
    /// once, over a new connection, so that requests for them can reach them.
    pub(super) fn flow_closed(
        &mut self,
        now: Instant,
        peer: std::net::SocketAddr,
        transport: TransportKind,
    ) {
        let ids: Vec<AccountId> = self
            .flows
            .iter()
            .filter(|(_, r)| r.destination == peer && r.transport == transport)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.forget_flow(&id);
            let Some(account) = self.accounts.get_mut(&id) else {
                continue;
            };
            if account.leaving {
                continue;
            }
            if let Some(registration) = &mut account.registration {
                // The routes are known, so `register` cannot fail.
                let _ = registration.register(now, &mut self.rng);
            }
            self.drive_account(now, &id);
        }
    }

    /// The network changed: every active account looks its registrar up again and
    /// registers again at once.
    pub(super) fn network_changed(&mut self, now: Instant) {
        let ids: Vec<AccountId> = self
            .accounts
            .iter()
            .filter(|(_, a)| !a.leaving && a.settings.sip.register)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.find_registrar(now, &id);
        }
    }

    /// Deactivates every account (at stop).
    pub(super) fn deactivate_all(&mut self, now: Instant) {
        let ids: Vec<AccountId> = self.accounts.keys().cloned().collect();
        for id in ids {
            self.deactivate(now, &id);
        }
    }

    /// `true` when no account is active.
    pub(super) fn accounts_idle(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The earliest deadline of the accounts' registrations and lookups.
    pub(super) fn accounts_timeout(&self) -> Option<Instant> {
        self.accounts
            .values()
            .flat_map(|a| {
                [
                    a.registration.as_ref().and_then(Registration::poll_timeout),
                    a.resolve_at.filter(|_| !a.leaving),
                ]
            })
            .flatten()
            .min()
    }

    /// Fires the accounts' due timers.
    pub(super) fn accounts_handle_timeout(&mut self, now: Instant) {
        let lookups: Vec<AccountId> = self
            .accounts
            .iter()
            .filter(|(_, a)| !a.leaving && a.resolve_at.is_some_and(|t| t <= now))
            .map(|(id, _)| id.clone())
            .collect();
        for id in lookups {
            self.find_registrar(now, &id);
        }
        let due: Vec<AccountId> = self
            .accounts
            .iter()
            .filter(|(_, a)| {
                a.registration
                    .as_ref()
                    .and_then(Registration::poll_timeout)
                    .is_some_and(|t| t <= now)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            if let Some(r) = self
                .accounts
                .get_mut(&id)
                .and_then(|a| a.registration.as_mut())
            {
                r.handle_timeout(now, &mut self.rng);
            }
            self.drive_account(now, &id);
        }
    }

    /// Hands an endpoint report to the account whose REGISTER it is about; `false` when it
    /// is nobody's.
    pub(super) fn account_report(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        report: TxReport<'_>,
    ) -> bool {
        let Some(id) = self
            .accounts
            .iter()
            .find(|(_, a)| a.in_flight == Some(tx))
            .map(|(id, _)| id.clone())
        else {
            return false;
        };
        if let Some(r) = self
            .accounts
            .get_mut(&id)
            .and_then(|a| a.registration.as_mut())
        {
            r.handle_report(now, &mut self.rng, report);
        }
        self.drive_account(now, &id);
        true
    }

    /// Sends what an account's registration wants sent and posts what it reports.
    fn drive_account(&mut self, now: Instant, id: &AccountId) {
        loop {
            let Some(account) = self.accounts.get_mut(id) else {
                return;
            };
            let Some(registration) = &mut account.registration else {
                break;
            };
            if let Some(Outgoing {
                request,
                destination,
                transport,
            }) = registration.poll_request()
            {
                match self
                    .endpoint
                    .send_request(now, request, destination, transport)
                {
                    Ok(tx) => account.in_flight = Some(tx),
                    Err(_) => {
                        // No transport of that kind: report it as the transport error it is.
                        account.in_flight = None;
                        registration.handle_failure(
                            now,
                            &mut self.rng,
                            sipsimple_proto::request::Failure::TransportError,
                        );
                    }
                }
                continue;
            }
            let Some(event) = registration.poll_event() else {
                break;
            };
            let sender = account.sender.clone();
            let call_id = registration.call_id().unwrap_or_default().to_owned();
            self.registration_event(id, &sender, &call_id, event);
        }
        self.settle(now, id);
    }

    /// Removes a leaving account once its registration has ended, and starts it again when
    /// it left for new settings.
    fn settle(&mut self, now: Instant, id: &AccountId) {
        let done = self
            .accounts
            .get(id)
            .is_some_and(|a| a.leaving && a.registration.as_ref().is_none_or(|r| !r.is_busy()));
        if !done {
            return;
        }
        let account = self.accounts.remove(id).expect("checked above");
        self.shared.accounts().remove(id);
        self.post("SIPAccountDidDeactivate", &account.sender, json!({}));
        if let Some(settings) = self.reactivate.remove(id) {
            self.activate(now, settings);
        }
    }

    fn registration_event(
        &mut self,
        id: &AccountId,
        sender: &SenderId,
        call_id: &str,
        event: RegistrationEvent,
    ) {
        let registration = json!({"call_id": call_id});
        match event {
            RegistrationEvent::WillRegister => {
                self.post("SIPAccountWillRegister", sender, json!({}));
            }
            RegistrationEvent::WillRefresh { .. } => {
                self.post("SIPAccountRegistrationWillRefresh", sender, json!({}));
            }
            RegistrationEvent::DidSucceed {
                contact_header,
                contact_header_list,
                expires,
                registrar,
            } => {
                self.set_registered(id, true);
                self.keep_alive(self.runtime.now(), id, registrar);
                self.post(
                    "SIPAccountRegistrationDidSucceed",
                    sender,
                    json!({
                        "contact_header": contact_header.to_string(),
                        "contact_header_list": contact_header_list
                            .iter()
                            .map(Contact::to_string)
                            .collect::<Vec<_>>(),
                        "expires": expires,
                        "registrar": route_json(&registrar),
                    }),
                );
            }
            RegistrationEvent::DidFail {
                code,
                error,
                retry_after,
            } => {
                self.set_registered(id, false);
                self.forget_flow(id);
                // `code` is beyond the SDK's data: the status behind `error`.
                self.post(
                    "SIPAccountRegistrationDidFail",
                    sender,
                    json!({"error": error, "retry_after": retry_after.as_secs_f64(), "code": code}),
                );
            }
            RegistrationEvent::DidEnd => {
                self.set_registered(id, false);
                self.forget_flow(id);
                self.post(
                    "SIPAccountRegistrationDidEnd",
                    sender,
                    json!({"registration": registration}),
                );
            }
            RegistrationEvent::DidNotEnd { code, reason } => {
                self.set_registered(id, false);
                self.forget_flow(id);
                self.post(
                    "SIPAccountRegistrationDidNotEnd",
                    sender,
                    json!({"code": code, "reason": reason, "registration": registration}),
                );
            }
            RegistrationEvent::GotAnswer {
                code,
                reason,
                registrar,
            } => self.post(
                "SIPAccountRegistrationGotAnswer",
                sender,
                json!({
                    "code": code,
                    "reason": reason,
                    "registration": registration,
                    "registrar": route_json(&registrar),
                }),
            ),
            _ => {}
        }
    }

    fn set_registered(&self, id: &AccountId, registered: bool) {
        if let Some(status) = self.shared.accounts().get_mut(id) {
            status.registered = registered;
        }
    }

    /// The REGISTER client of an account: our Contact for the first route's transport, the
    /// account's credentials and lifetime.
    fn registration_for(
        &self,
        settings: &AccountSettings,
        contact_username: &str,
        routes: Vec<Route>,
    ) -> Result<Registration, String> {
        let first = *routes.first().ok_or("no route to the registrar")?;
        let local = self
            .local_address_for(first.transport, first.destination)
            .ok_or_else(|| format!("no local {} transport", first.transport.as_str()))?;
        let contact = contact_uri(contact_username, local, first.transport)
            .ok_or_else(|| "cannot build the Contact URI".to_owned())?;
        let mut config = RegistrationConfig::new(settings.id().uri(), contact);
        config.expires = settings.sip.register_interval;
        config.credentials = Some(credentials(settings));
        config.routes = routes;
        Registration::new(config).map_err(|e| e.to_string())
    }

    pub(super) fn post(&self, name: &str, sender: &SenderId, data: Value) {
        self.shared.center.post(name, sender.clone(), data);
    }
}

/// A route as notification data: `{"address", "port", "transport"}`.
pub(super) fn route_json(route: &Route) -> Value {
    json!({
        "address": route.destination.ip().to_string(),
        "port": route.destination.port(),
        "transport": route.transport.as_str().to_ascii_lowercase(),
    })
}

/// `len` random lowercase letters, as the seed's Contact user parts are.
fn lowercase_token(len: usize) -> String {
    use sipsimple_proto::rand::Random;
    let mut rng = OsRandom;
    (0..len)
        .map(|_| char::from(b'a' + (rng.next_u64() % 26) as u8))
        .collect()
}
