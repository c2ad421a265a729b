//! The replay window (RFC 3711 §3.3.2) and the SRTP index estimate (RFC 3711 §3.3.1,
//! Appendix A).

use super::Error;

/// How many indices behind the newest one the window remembers: one bit each in a `u128`.
pub const REPLAY_WINDOW: u64 = 128;

/// The newest index received on one stream and a bitmap of the 128 indices up to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplayWindow {
    newest: u64,
    /// Bit `i` set: index `newest - i` was received.
    bitmap: u128,
}

impl ReplayWindow {
    /// A window whose first accepted index is `index`.
    pub(crate) fn new(index: u64) -> Self {
        Self {
            newest: index,
            bitmap: 1,
        }
    }

    pub(crate) fn newest(&self) -> u64 {
        self.newest
    }

    /// Whether `index` may be accepted, without recording it: the caller records it only
    /// once the packet has authenticated.
    pub(crate) fn check(&self, index: u64) -> Result<(), Error> {
        if index > self.newest {
            return Ok(());
        }
        let behind = self.newest - index;
        if behind >= REPLAY_WINDOW {
            return Err(Error::TooOld {
                index,
                newest: self.newest,
            });
        }
        if self.bitmap & (1u128 << behind) != 0 {
            return Err(Error::Duplicate { index });
        }
        Ok(())
    }

    /// Records an authenticated `index` that [`check`](Self::check) accepted.
    pub(crate) fn accept(&mut self, index: u64) {
        if index > self.newest {
            let ahead = index - self.newest;
            self.bitmap = if ahead >= REPLAY_WINDOW {
                0
            } else {
                self.bitmap << ahead
            };
            self.bitmap |= 1;
            self.newest = index;
        } else {
            self.bitmap |= 1u128 << (self.newest - index);
        }
    }
}

/// The 48-bit packet index of sequence number `seq` given the newest index `newest` of the
/// stream (RFC 3711 §3.3.1): the ROC guess is the one that puts `seq` closest to the newest
/// sequence number. `None` when the guess falls before ROC 0 or past ROC 2^32 − 1.
pub(crate) fn estimate_index(newest: u64, seq: u16) -> Option<u64> {
    let s_l = newest & 0xffff;
    let roc = newest >> 16;
    let seq = u64::from(seq);
    let v = if s_l < 0x8000 {
        if seq > s_l && seq - s_l > 0x8000 {
            roc.checked_sub(1)?
        } else {
            roc
        }
    } else if s_l - 0x8000 > seq {
        roc + 1
    } else {
        roc
    };
    (v <= u64::from(u32::MAX)).then_some((v << 16) | seq)
}
