//! Sequence number tracking with source validation (RFC 3550 Appendix A.1) and wrap-aware
//! comparison of 16-bit sequence numbers and 32-bit timestamps.

/// Consecutive packets a new source must send before it is valid (RFC 3550 A.1).
pub const MIN_SEQUENTIAL: u32 = 2;
/// The largest forward jump still taken as loss rather than a restart (RFC 3550 A.1).
pub const MAX_DROPOUT: u16 = 3000;
/// The largest backward step still taken as misordering or a duplicate (RFC 3550 A.1).
pub const MAX_MISORDER: u16 = 100;

const SEQ_MOD: u32 = 1 << 16;

/// Whether timestamp `a` comes after `b`, taking 32-bit wrap-around into account: `a` is
/// later when it is less than half the timestamp space ahead of `b`.
pub fn timestamp_is_newer(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000_0000
}

/// The signed distance from timestamp `b` to `a` in timestamp units, across wrap-around.
pub fn timestamp_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// Whether sequence number `a` comes after `b`, taking 16-bit wrap-around into account.
pub fn sequence_is_newer(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

/// What [`SequenceTracker::update`] made of a packet's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceStatus {
    /// The source is still on probation: not enough sequential packets yet. The packet
    /// should not be played.
    Probation,
    /// The packet is valid (in order, after a gap, or a duplicate or misordered packet
    /// within [`MAX_MISORDER`]); `extended` is its 32-bit extended sequence number.
    Valid {
        /// The sequence number extended with the wrap-around cycles.
        extended: u32,
    },
    /// A jump larger than [`MAX_DROPOUT`]: the packet is dropped unless the next one follows
    /// it, which means the sender restarted.
    BadJump,
    /// Two sequential packets after a big jump: the sender restarted its sequence, and the
    /// counts started again from this packet.
    Restarted,
}

/// The per-source sequence state of RFC 3550 Appendix A.1: probation of new sources,
/// wrap-around cycles, restart detection, and the packet counts receive statistics need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceTracker {
    max_seq: u16,
    /// Wrap-around count shifted left by 16, as in A.1.
    cycles: u32,
    base_seq: u32,
    /// The sequence number that would confirm a restart, or above 0xFFFF for none.
    bad_seq: u32,
    probation: u32,
    received: u32,
}

impl SequenceTracker {
    /// A source first heard with sequence number `seq`, on probation until
    /// [`MIN_SEQUENTIAL`] packets in sequence arrive. Feed that first packet to
    /// [`update`](Self::update) too.
    pub fn new(seq: u16) -> Self {
        let mut s = Self {
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: SEQ_MOD + 1,
            probation: MIN_SEQUENTIAL,
            received: 0,
        };
        s.init(seq);
        s.max_seq = seq.wrapping_sub(1);
        s
    }

    /// A source that is valid from its first packet (no probation), for sources already
    /// validated by signalling or SRTP authentication.
    pub fn new_validated(seq: u16) -> Self {
        let mut s = Self::new(seq);
        s.probation = 0;
        s
    }

    fn init(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
    }

    /// Accounts for a received packet (RFC 3550 A.1 `update_seq`).
    pub fn update(&mut self, seq: u16) -> SequenceStatus {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init(seq);
                    self.received += 1;
                    return SequenceStatus::Valid {
                        extended: self.extended_max(),
                    };
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SequenceStatus::Probation;
        }
        let extended;
        if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(SEQ_MOD);
            }
            self.max_seq = seq;
            extended = self.extended_max();
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                self.init(seq);
                self.received += 1;
                return SequenceStatus::Restarted;
            }
            self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
            return SequenceStatus::BadJump;
        } else {
            // Duplicate or misordered: it belongs to this cycle unless it is from before the
            // last wrap.
            let back = self.max_seq.wrapping_sub(seq);
            extended = self.extended_max().wrapping_sub(u32::from(back));
        }
        self.received = self.received.wrapping_add(1);
        SequenceStatus::Valid { extended }
    }

    /// Whether the source passed probation.
    pub fn is_valid(&self) -> bool {
        self.probation == 0
    }

    /// The highest sequence number received, extended with the wrap-around cycles.
    pub fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// The first sequence number counted (after probation or the last restart).
    pub fn base_seq(&self) -> u32 {
        self.base_seq
    }

    /// Valid packets counted since the base, duplicates included (as in A.1).
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Packets expected since the base: extended maximum − base + 1 (RFC 3550 A.3).
    pub fn expected(&self) -> u32 {
        self.extended_max()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }
}
