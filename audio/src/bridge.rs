//! [`AudioBridge`]: connects the audio ports it holds in a full mesh (the seed's
//! `AudioBridge`).
//!
//! Every member's producer slot is connected to every other member's consumer slot; a member
//! is never connected to itself, even when it produces and consumes on one slot (the audio
//! device does), and no slot is connected to itself (two device ports share one slot).
//! Members are held weakly: when the last `Arc` of a port goes, its slots leave
//! the mixer (and with them its connections), and the bridge forgets it.
//!
//! A bridge is itself an [`AudioPort`], so bridges nest. It has two slots of its own at the
//! clock rate, each a one-frame delay line:
//!
//! - its consumer slot receives what the enclosing bridge sends it, and gives it on the next
//!   tick to every member, as if it were one more producer of the inner mesh;
//! - its producer slot receives what every member produces, and gives it on the next tick to
//!   the enclosing bridge.
//!
//! A frame crossing a nesting level is thus 20 ms late (the tick computes every slot's
//! consumption from the productions of that tick, so a frame consumed in one tick can only be
//! produced in the next). The two slots are not connected to each other, so what comes in is
//! not sent back out. Cycles of bridges are not detected (the seed does not enforce that
//! either); they only add echo.

use std::fmt;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::engine::{AudioPort, EngineError, Mixer, PortId, Slot, SlotChange, SlotIo};
use crate::mixer::{SlotId, MAX_SLOTS};

/// The most ports one bridge holds; [`AudioBridge::add`] refuses more. A port needs a slot to
/// be heard, so a mixer could not connect more anyway.
pub const MAX_BRIDGE_PORTS: usize = MAX_SLOTS;

/// One member as the bridge last connected it.
struct Member {
    id: PortId,
    port: Weak<dyn AudioPort>,
    consumer: Option<SlotId>,
    producer: Option<SlotId>,
}

/// A slot that gives back, on the next tick, the frame it consumed.
struct DelayIo {
    frame: Vec<i16>,
    pending: bool,
}

impl SlotIo for DelayIo {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        if !std::mem::take(&mut self.pending) || out.len() != self.frame.len() {
            return false;
        }
        out.copy_from_slice(&self.frame);
        true
    }

    fn consume(&mut self, frame: &[i16]) {
        if frame.len() == self.frame.len() {
            self.frame.copy_from_slice(frame);
            self.pending = true;
        }
    }
}

/// Something that can be added to a bridge: an `Arc` of any [`AudioPort`] (held weakly).
pub trait PortRef {
    /// A weak reference to the port.
    fn downgrade_port(&self) -> Weak<dyn AudioPort>;
    /// The port itself.
    fn as_port(&self) -> &dyn AudioPort;
}

impl<P: AudioPort + 'static> PortRef for Arc<P> {
    fn downgrade_port(&self) -> Weak<dyn AudioPort> {
        let weak: Weak<P> = Self::downgrade(self);
        weak
    }

    fn as_port(&self) -> &dyn AudioPort {
        &**self
    }
}

impl PortRef for Arc<dyn AudioPort> {
    fn downgrade_port(&self) -> Weak<dyn AudioPort> {
        Arc::downgrade(self)
    }

    fn as_port(&self) -> &dyn AudioPort {
        &**self
    }
}

/// A set of [`AudioPort`]s of one mixer connected in a full mesh; itself an [`AudioPort`]
/// (see the [module docs](self) for nesting). Built with [`AudioBridge::new`], used through
/// its `Arc`.
pub struct AudioBridge {
    mixer: Mixer,
    id: PortId,
    /// Consumer slot: the enclosing bridge's audio, produced into this mesh a frame later.
    inlet: Slot,
    /// Producer slot: this mesh's audio, produced to the enclosing bridge a frame later.
    outlet: Slot,
    members: Mutex<Vec<Member>>,
}

impl fmt::Debug for AudioBridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioBridge")
            .field("id", &self.id)
            .field("members", &self.members.lock().len())
            .finish_non_exhaustive()
    }
}

impl AudioBridge {
    /// An empty bridge on `mixer`, with its two delay slots at the clock rate.
    ///
    /// # Errors
    /// [`crate::mixer::MixerError::TooManySlots`] when the mixer is full.
    pub fn new(mixer: &Mixer) -> Result<Arc<Self>, EngineError> {
        let delay = || {
            Box::new(DelayIo {
                frame: vec![0; mixer.frame_len()],
                pending: false,
            })
        };
        let rate = mixer.clock_rate();
        let inlet = mixer.add_slot(rate, delay())?;
        let outlet = mixer.add_slot(rate, delay())?;
        let bridge = Arc::new(Self {
            mixer: mixer.clone(),
            id: PortId::new(),
            inlet,
            outlet,
            members: Mutex::new(Vec::new()),
        });
        mixer.register_bridge(Arc::downgrade(&bridge));
        Ok(bridge)
    }

    /// Adds a port, connecting it both ways with every member and with the bridge's own slots.
    ///
    /// # Errors
    /// [`EngineError::AlreadyAdded`] when it is a member already; [`EngineError::OtherMixer`]
    /// for a port of another mixer; [`EngineError::BridgeIntoItself`] for the bridge itself;
    /// [`EngineError::BridgeFull`] when it holds [`MAX_BRIDGE_PORTS`] ports.
    pub fn add(&self, port: &impl PortRef) -> Result<(), EngineError> {
        let p = port.as_port();
        if p.port_id() == self.id {
            return Err(EngineError::BridgeIntoItself);
        }
        if !p.mixer().same_as(&self.mixer) {
            return Err(EngineError::OtherMixer);
        }
        let mut members = self.members.lock();
        self.prune(&mut members);
        if members.iter().any(|m| m.id == p.port_id()) {
            return Err(EngineError::AlreadyAdded);
        }
        if members.len() >= MAX_BRIDGE_PORTS {
            return Err(EngineError::BridgeFull {
                max: MAX_BRIDGE_PORTS,
            });
        }
        let new = Member {
            id: p.port_id(),
            port: port.downgrade_port(),
            consumer: p.consumer_slot(),
            producer: p.producer_slot(),
        };
        for other in members.iter() {
            self.link(new.producer, other.consumer);
            self.link(other.producer, new.consumer);
        }
        self.link(Some(self.inlet.id()), new.consumer);
        self.link(new.producer, Some(self.outlet.id()));
        members.push(new);
        Ok(())
    }

    /// Removes a port, undoing its connections.
    ///
    /// # Errors
    /// [`EngineError::NotInBridge`] when it is not a member.
    pub fn remove(&self, port: &impl PortRef) -> Result<(), EngineError> {
        self.remove_id(port.as_port().port_id())
    }

    /// Removes the member with this id, undoing its connections.
    ///
    /// # Errors
    /// [`EngineError::NotInBridge`] when no live member has it.
    pub fn remove_id(&self, id: PortId) -> Result<(), EngineError> {
        let mut members = self.members.lock();
        self.prune(&mut members);
        let at = members
            .iter()
            .position(|m| m.id == id)
            .ok_or(EngineError::NotInBridge)?;
        let gone = members.swap_remove(at);
        self.disconnect_member(&gone, &members);
        Ok(())
    }

    /// Undoes the connections of a member that left, with the remaining ones and the
    /// bridge's own slots.
    fn disconnect_member(&self, gone: &Member, members: &[Member]) {
        for other in members {
            self.unlink(gone.producer, other.consumer);
            self.unlink(other.producer, gone.consumer);
        }
        self.unlink(Some(self.inlet.id()), gone.consumer);
        self.unlink(gone.producer, Some(self.outlet.id()));
    }

    /// Forgets members whose port is gone, undoing their connections: a port that owned its
    /// slots took its connections along, but one on a shared slot (the audio device) did not.
    fn prune(&self, members: &mut Vec<Member>) {
        while let Some(at) = members.iter().position(|m| m.port.strong_count() == 0) {
            let gone = members.swap_remove(at);
            self.disconnect_member(&gone, members);
        }
    }

    /// The live members, in no particular order.
    #[must_use]
    pub fn ports(&self) -> Vec<Arc<dyn AudioPort>> {
        let mut members = self.members.lock();
        self.prune(&mut members);
        members.iter().filter_map(|m| m.port.upgrade()).collect()
    }

    /// Whether a live port with this id is a member.
    #[must_use]
    pub fn contains(&self, id: PortId) -> bool {
        let mut members = self.members.lock();
        self.prune(&mut members);
        members.iter().any(|m| m.id == id)
    }

    /// Follows a member's slot change: undoes the connections of its old slots and makes those
    /// of its current ones. Ignored when the port is not a member.
    ///
    /// The port's own answer wins over the report when the port is alive: the reports of two
    /// quick changes made on different threads may arrive in either order, and whichever comes
    /// last must leave the connections of the slots the port has now.
    pub(crate) fn follow_slot_change(
        &self,
        port: PortId,
        consumer: Option<SlotChange>,
        producer: Option<SlotChange>,
    ) {
        // Declared before the guard, so it is dropped after the lock is released: if this
        // turns out to be the port's last reference, its destructor reports to the bridges.
        let live;
        let mut members = self.members.lock();
        let Some(at) = members.iter().position(|m| m.id == port) else {
            return;
        };
        live = members[at].port.upgrade();
        let (new_consumer, new_producer) = match &live {
            Some(p) => (p.consumer_slot(), p.producer_slot()),
            None => (
                consumer.map_or(members[at].consumer, |c| c.new),
                producer.map_or(members[at].producer, |c| c.new),
            ),
        };
        let old = members[at].producer;
        if new_producer != old {
            for (k, other) in members.iter().enumerate() {
                if k != at {
                    self.unlink(old, other.consumer);
                    self.link(new_producer, other.consumer);
                }
            }
            self.unlink(old, Some(self.outlet.id()));
            self.link(new_producer, Some(self.outlet.id()));
            members[at].producer = new_producer;
        }
        let old = members[at].consumer;
        if new_consumer != old {
            for (k, other) in members.iter().enumerate() {
                if k != at {
                    self.unlink(other.producer, old);
                    self.link(other.producer, new_consumer);
                }
            }
            self.unlink(Some(self.inlet.id()), old);
            self.link(Some(self.inlet.id()), new_consumer);
            members[at].consumer = new_consumer;
        }
        // A member that died meanwhile left with its slots; forget it now.
        self.prune(&mut members);
    }

    fn link(&self, producer: Option<SlotId>, consumer: Option<SlotId>) {
        // Two members on one slot (two `AudioDevice` ports of a mixer) must not make that
        // slot hear itself; `unlink` skips the same pairs, so the counts stay balanced.
        if let Some((p, c)) = distinct(producer, consumer) {
            // A slot that went away with its port has no connections left to make.
            let _ = self.mixer.connect(p, c);
        }
    }

    fn unlink(&self, producer: Option<SlotId>, consumer: Option<SlotId>) {
        if let Some((p, c)) = distinct(producer, consumer) {
            let _ = self.mixer.disconnect(p, c);
        }
    }
}

/// Both slots, when both are there and differ.
fn distinct(producer: Option<SlotId>, consumer: Option<SlotId>) -> Option<(SlotId, SlotId)> {
    match (producer, consumer) {
        (Some(p), Some(c)) if p != c => Some((p, c)),
        _ => None,
    }
}

impl AudioPort for AudioBridge {
    fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    fn consumer_slot(&self) -> Option<SlotId> {
        Some(self.inlet.id())
    }

    fn producer_slot(&self) -> Option<SlotId> {
        Some(self.outlet.id())
    }

    fn port_id(&self) -> PortId {
        self.id
    }
}

impl Drop for AudioBridge {
    fn drop(&mut self) {
        // Members outlive the bridge: take back the connections made between them.
        let members = std::mem::take(&mut *self.members.lock());
        for (k, a) in members.iter().enumerate() {
            for b in &members[k + 1..] {
                self.unlink(a.producer, b.consumer);
                self.unlink(b.producer, a.consumer);
            }
        }
    }
}
