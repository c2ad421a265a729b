//! `sipsimple lookup URI`: what RFC 3263 (or the SRV and TXT lookups) finds for a URI.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use sipsimple::dns::{DnsLookup, DnsManager};
use sipsimple::notification::NotificationCenter;
use sipsimple::proto::dns::{Service, DEFAULT_LIFETIME, DEFAULT_TIMEOUT};
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::proto::sip::Uri;

use super::common::{fail, Place, FAILED, USAGE};

/// What to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum What {
    /// MSRP relays: SRV `_msrps._tcp`, default port 2855.
    Msrprelay,
    /// STUN servers: SRV `_stun._udp`, default port 3478.
    Stun,
    /// XCAP roots: TXT at `xcap.<domain>`.
    Xcap,
}

/// Options of `sipsimple lookup`.
#[derive(Debug, Args)]
pub(crate) struct LookupArgs {
    /// A SIP URI (sip:alice@example.com, sips:example.com) or a domain.
    uri: String,
    /// Look up a service instead of the SIP servers.
    #[arg(long, value_enum)]
    service: Option<What>,
    /// The transports to accept, in order of preference (for SIP servers).
    #[arg(long, value_delimiter = ',', default_values = ["tls", "tcp", "udp"])]
    transports: Vec<String>,
    /// Print every query and its answer.
    #[arg(long, short)]
    verbose: bool,
}

pub(crate) fn run(args: &LookupArgs, place: &Place) -> ExitCode {
    let text = if args.uri.contains(':') {
        args.uri.clone()
    } else {
        format!("sip:{}", args.uri)
    };
    let uri = match Uri::parse_owned(text) {
        Ok(u) => u,
        Err(e) => return fail(USAGE, format!("bad URI {}: {e}", args.uri)),
    };
    let mut transports = Vec::new();
    for t in &args.transports {
        transports.push(match t.to_ascii_lowercase().as_str() {
            "udp" => TransportKind::Udp,
            "tcp" => TransportKind::Tcp,
            "tls" => TransportKind::Tls,
            other => return fail(USAGE, format!("unknown transport {other:?}")),
        });
    }
    let center = NotificationCenter::new();
    let traces = center.observe(Some("DNSLookupTrace"), None);
    let lookup = if place.nameservers.is_empty() {
        let manager = DnsManager::new(center.clone());
        DnsLookup::new(center, &manager)
    } else {
        // The servers given are asked directly, not the zone's own nameservers first.
        let mut lookup = DnsLookup::with_nameservers(center, place.nameservers.clone());
        lookup.set_authoritative_first(false);
        lookup
    };
    let found: Result<Vec<String>, String> = smol::block_on(async {
        match args.service {
            None => lookup
                .lookup_sip_proxy(&uri, &transports, DEFAULT_TIMEOUT, DEFAULT_LIFETIME)
                .await
                .map(|routes| {
                    routes
                        .iter()
                        .map(|r| {
                            format!(
                                "{:<4} {}",
                                r.transport.as_str().to_ascii_lowercase(),
                                r.uri()
                            )
                        })
                        .collect()
                }),
            Some(What::Xcap) => {
                lookup
                    .lookup_xcap_server(&uri, DEFAULT_TIMEOUT, DEFAULT_LIFETIME)
                    .await
            }
            Some(what) => {
                let service = if what == What::Stun {
                    Service::Stun
                } else {
                    Service::MsrpRelay
                };
                lookup
                    .lookup_service(&uri, service, DEFAULT_TIMEOUT, DEFAULT_LIFETIME)
                    .await
                    .map(|servers| servers.iter().map(ToString::to_string).collect())
            }
        }
        .map_err(|e| e.to_string())
    });
    if args.verbose {
        while let Ok(t) = traces.try_recv() {
            println!("{t}");
        }
    }
    match found {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(FAILED, e),
    }
}
