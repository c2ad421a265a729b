//! `sipsimple register`: start, register an account, report how it went.

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::common::{fail, Place, Running, FAILED, USAGE};

/// Options of `sipsimple register`.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// The account, user@domain (default: the default account).
    #[arg(long)]
    account: Option<String>,
    /// Exit as soon as the registration succeeds (status 0) or fails (status 1), after
    /// unregistering.
    #[arg(long)]
    once: bool,
    /// How long to wait for the registrar, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Print every notification.
    #[arg(long, short)]
    verbose: bool,
}

pub(crate) fn run(args: &RegisterArgs, place: &Place) -> ExitCode {
    let (running, account) =
        match Running::start_with_account(place, args.verbose, args.account.as_deref()) {
            Ok(started) => started,
            Err(status) => return status,
        };
    let Some(settings) = account.settings().filter(|s| s.enabled && s.sip.register) else {
        running.stop();
        return fail(
            USAGE,
            format!("{} is disabled or does not register", account.id()),
        );
    };
    let sender = account.sender_id();
    let timeout = Duration::from_secs(args.timeout);
    let deadline = std::time::Instant::now() + timeout;
    let outcome = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let Some(n) = running.next(left) else {
            break Err(format!("no answer from the registrar within {timeout:?}"));
        };
        if n.sender != sender {
            continue;
        }
        match &*n.name {
            "SIPAccountRegistrationDidSucceed" => {
                let expires = n.get_u64("expires").unwrap_or_default();
                let contact = n.get_str("contact_header").unwrap_or_default().to_owned();
                println!("registered {} for {expires} s as {contact}", settings.id());
                break Ok(());
            }
            "SIPAccountRegistrationDidFail" => {
                break Err(format!(
                    "registration of {} failed: {}",
                    settings.id(),
                    n.get_str("error").unwrap_or("unknown error")
                ));
            }
            _ => {}
        }
    };
    if outcome.is_ok() && !args.once {
        println!("press Enter (or close standard input) to unregister and exit");
        let _ = std::io::stdin().lock().lines().next();
    }
    running.stop();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(FAILED, e),
    }
}
