//! `sipsimple message URI TEXT`: send one instant message (RFC 3428) from an account.

use std::process::ExitCode;

use clap::Args;
use sipsimple::MessageError;

use super::common::{fail, Place, Running, FAILED};

/// Options of `sipsimple message`.
#[derive(Debug, Args)]
pub(crate) struct MessageArgs {
    /// The recipient: a SIP URI (sip:bob@example.com) or user@domain.
    to: String,
    /// The text.
    text: String,
    /// The account to send from (default: the default account).
    #[arg(long)]
    account: Option<String>,
    /// The content type of TEXT.
    #[arg(long, default_value = "text/plain")]
    content_type: String,
    /// Print every notification.
    #[arg(long, short)]
    verbose: bool,
}

pub(crate) fn run(args: &MessageArgs, place: &Place) -> ExitCode {
    let (running, account) =
        match Running::start_with_account(place, args.verbose, args.account.as_deref()) {
            Ok(started) => started,
            Err(status) => return status,
        };
    let to = if args.to.contains(':') {
        args.to.clone()
    } else {
        format!("sip:{}", args.to)
    };
    let result = smol::block_on(account.send_message(
        &to,
        &args.content_type,
        args.text.clone().into_bytes(),
    ));
    running.stop();
    match result {
        Ok(delivery) => {
            println!("delivered: {} {}", delivery.code, delivery.reason);
            ExitCode::SUCCESS
        }
        Err(MessageError::Failed {
            code,
            reason,
            error,
        }) => {
            let status = format!("{code} {reason}");
            if error == status {
                fail(FAILED, format!("not delivered: {status}"))
            } else {
                fail(FAILED, format!("not delivered: {status} ({error})"))
            }
        }
        Err(e) => fail(FAILED, format!("not delivered: {e}")),
    }
}
