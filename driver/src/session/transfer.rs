//! Call transfer (the seed's `transfer`, `accept_transfer`, `reject_transfer`,
//! `TransferHandler` and `TransferInfo`): REFER in the session's dialog (RFC 3515), blind or
//! attended with Replaces (RFC 3891), as RFC 5589 describes.
//!
//! The transferor calls [`Session::transfer`]: `SIPSessionTransferNewOutgoing`, then
//! `SIPSessionTransferDidStart` when the peer accepts, `SIPSessionTransferGotProgress` for
//! each provisional status of the new call, and `SIPSessionTransferDidEnd` (after which the
//! session ends) or `SIPSessionTransferDidFail`. The transferee gets
//! `SIPSessionTransferNewIncoming` and answers with [`Session::accept_transfer`] — a new
//! outgoing session (`SIPSessionNewOutgoing`) then calls the target, with streams of the same
//! types made by the application's `MediaStreamRegistry`, and its progress is reported back
//! to the transferor — or [`Session::reject_transfer`]. The target of an attended transfer
//! sees the new session's [`Session::replaced_session`]; the replaced session ends once the
//! new one starts.

use super::{Direction, Session, SessionError};
use crate::engine::Input;

/// Where a transfer of a session stands (the seed's `TransferHandler` state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferState {
    /// Asked for: our REFER is unanswered, or the peer's waits for `accept_transfer`.
    Requested,
    /// Accepted; the new call is under way.
    Started,
    /// The new call was answered.
    Ended,
    /// Refused, or the new call failed.
    Failed,
}

/// The transfer of a session (the seed's `TransferHandler`), as [`Session::transfer_handler`]
/// reports it.
#[derive(Debug, Clone)]
pub struct TransferHandler {
    /// `Outgoing` when we transfer the peer, `Incoming` when the peer transfers us.
    pub direction: Direction,
    /// Where it stands.
    pub state: TransferState,
    /// The target URI (with an embedded Replaces for an attended transfer).
    pub target: String,
    /// The transferee's new session to the target.
    pub new_session: Option<Session>,
}

/// How a session made by a transfer came about (the seed's `TransferInfo`), on the
/// transferee's new session.
#[derive(Debug, Clone)]
pub struct TransferInfo {
    /// The transferor (the REFER's Referred-By, else the remote party of the transferred
    /// session).
    pub referred_by: Option<String>,
    /// The session that was transferred.
    pub transferred_session: Option<Session>,
}

/// The engine's record of a transfer, kept with the session.
#[derive(Debug, Clone)]
pub(crate) struct TransferRecord {
    pub(crate) direction: Direction,
    pub(crate) state: TransferState,
    pub(crate) target: String,
    pub(crate) new_session: Option<u64>,
}

/// The engine's record of a session made by a transfer.
#[derive(Debug, Clone)]
pub(crate) struct TransferOrigin {
    pub(crate) referred_by: Option<String>,
    pub(crate) transferred_session: u64,
}

impl Session {
    /// Transfers the peer to `target_uri` (a SIP URI): blind, or attended when
    /// `replaced_session` is our established session with the target, which the peer's new
    /// call then replaces.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected (both sessions, for an attended transfer).
    pub fn transfer(
        &self,
        target_uri: &str,
        replaced_session: Option<&Self>,
    ) -> Result<(), SessionError> {
        self.expect_established()?;
        if let Some(replaced) = replaced_session {
            replaced.expect_established()?;
        }
        self.send(Input::SessionTransfer {
            id: self.id,
            target: target_uri.to_owned(),
            replaced: replaced_session.map(Self::id),
        })
    }

    /// Accepts the peer's transfer request (`SIPSessionTransferNewIncoming`): the target is
    /// called in a new session.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected.
    pub fn accept_transfer(&self) -> Result<(), SessionError> {
        self.expect_established()?;
        self.send(Input::SessionAcceptTransfer { id: self.id })
    }

    /// Refuses the peer's transfer request with `code` (the seed's default is 486) and
    /// `reason` (the code's usual phrase when `None`): `SIPSessionTransferDidFail`.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected.
    pub fn reject_transfer(&self, code: u16, reason: Option<&str>) -> Result<(), SessionError> {
        self.expect_established()?;
        self.send(Input::SessionRejectTransfer {
            id: self.id,
            code,
            reason: reason.map(str::to_owned),
        })
    }

    /// The session's transfer, if one was asked for (the latest).
    pub fn transfer_handler(&self) -> Option<TransferHandler> {
        let record = self.read(|s| s.transfer.clone()).flatten()?;
        Some(TransferHandler {
            direction: record.direction,
            state: record.state,
            target: record.target,
            new_session: record
                .new_session
                .map(|id| Self::from_id(self.app.clone(), id)),
        })
    }

    /// How this session came about, when a transfer made it.
    pub fn transfer_info(&self) -> Option<TransferInfo> {
        let origin = self.read(|s| s.transfer_origin.clone()).flatten()?;
        Some(TransferInfo {
            referred_by: origin.referred_by,
            transferred_session: Some(Self::from_id(self.app.clone(), origin.transferred_session)),
        })
    }

    /// The session this incoming one replaces (its INVITE carried Replaces, RFC 3891: the
    /// target side of an attended transfer). It ends when this one starts.
    pub fn replaced_session(&self) -> Option<Self> {
        let id = self.read(|s| s.replaced_session).flatten()?;
        Some(Self::from_id(self.app.clone(), id))
    }
}
