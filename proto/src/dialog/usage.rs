//! What a dialog's user (an INVITE session, a subscription) asks of the endpoint, and the
//! loop that carries it out.

use std::net::SocketAddr;
use std::time::Instant;

use super::DialogId;
use crate::endpoint::{ClientTxId, Endpoint, Error, ServerTxId, TransportKind};
use crate::rand::Random;
use crate::sip::{Request, Response};

/// What the caller must do with the endpoint for a dialog's user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialogAction {
    /// Send with [`Endpoint::send_request`], then report the transaction to the user
    /// (`handle_sent`).
    SendRequest {
        /// The request, without Via.
        request: Request,
        /// Where to send it.
        destination: SocketAddr,
        /// How.
        transport: TransportKind,
    },
    /// Send with [`Endpoint::send_ack`].
    SendAck {
        /// The ACK of a 2xx, without Via.
        request: Request,
        /// Where to send it.
        destination: SocketAddr,
        /// How.
        transport: TransportKind,
    },
    /// Send with [`Endpoint::respond`].
    Respond {
        /// The server transaction.
        tx: ServerTxId,
        /// The response.
        response: Response,
    },
    /// Cancel the INVITE with [`Endpoint::cancel`], then report the CANCEL's transaction to
    /// the user (`handle_sent`).
    Cancel {
        /// The INVITE's client transaction.
        tx: ClientTxId,
    },
    /// Tell the endpoint the dialog exists ([`Endpoint::add_dialog`]).
    AddDialog(DialogId),
    /// Tell the endpoint the dialog ended ([`Endpoint::remove_dialog`]).
    RemoveDialog(DialogId),
    /// Tell the endpoint our side is forming a dialog whose peer's tag is not known yet
    /// ([`Endpoint::add_forming_dialog`]).
    AddFormingDialog {
        /// The Call-ID of the request forming it.
        call_id: String,
        /// Our tag.
        local_tag: String,
    },
    /// The dialog is formed or will not be ([`Endpoint::remove_forming_dialog`]).
    RemoveFormingDialog {
        /// The Call-ID of the request that was forming it.
        call_id: String,
        /// Our tag.
        local_tag: String,
    },
}

/// A machine that uses dialogs through an endpoint.
pub(crate) trait DialogUser {
    /// The next action.
    fn next_action(&mut self) -> Option<DialogAction>;
    /// The endpoint gave this client transaction to the oldest request not reported yet.
    fn sent(&mut self, tx: ClientTxId);
    /// The endpoint refused the oldest request not reported yet.
    fn send_failed(&mut self, now: Instant);
}

/// Executes every pending action of `user` on `endpoint`, reporting the transactions it
/// gives; carries on past a failing action and returns the first error.
pub(crate) fn drive<R: Random>(
    user: &mut impl DialogUser,
    now: Instant,
    endpoint: &mut Endpoint<R>,
) -> Result<(), Error> {
    let mut first = Ok(());
    while let Some(action) = user.next_action() {
        let result = match action {
            DialogAction::SendRequest {
                request,
                destination,
                transport,
            } => match endpoint.send_request(now, request, destination, transport) {
                Ok(tx) => {
                    user.sent(tx);
                    Ok(())
                }
                Err(e) => {
                    user.send_failed(now);
                    Err(e)
                }
            },
            DialogAction::Cancel { tx } => match endpoint.cancel(now, tx) {
                Ok(tx) => {
                    user.sent(tx);
                    Ok(())
                }
                Err(e) => {
                    user.send_failed(now);
                    Err(e)
                }
            },
            DialogAction::SendAck {
                request,
                destination,
                transport,
            } => endpoint.send_ack(request, destination, transport),
            DialogAction::Respond { tx, response } => endpoint.respond(now, tx, &response),
            DialogAction::AddDialog(id) => {
                endpoint.add_dialog(id);
                Ok(())
            }
            DialogAction::RemoveDialog(id) => {
                endpoint.remove_dialog(&id);
                Ok(())
            }
            DialogAction::AddFormingDialog { call_id, local_tag } => {
                endpoint.add_forming_dialog(&call_id, &local_tag);
                Ok(())
            }
            DialogAction::RemoveFormingDialog { call_id, local_tag } => {
                endpoint.remove_forming_dialog(&call_id, &local_tag);
                Ok(())
            }
        };
        if first.is_ok() {
            first = result;
        }
    }
    first
}
