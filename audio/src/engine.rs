//! The shared, thread-safe mixer that audio ports plug into: [`Mixer`], the per-slot
//! [`SlotIo`] callbacks its clock drives, the [`AudioPort`] trait (the seed's `IAudioPort`) and
//! the [`AudioEvent`]s the audio objects report.
//!
//! # Threads and locks
//!
//! A [`Mixer`] is a cheap handle (`Clone + Send + Sync`) on one [`AudioMixer`] behind a mutex.
//! Exactly one device drives it: its clock thread (or sound card callback) calls
//! [`Mixer::tick`] every 20 ms. A tick runs in three steps:
//!
//! 1. under the mixer lock, it lists the slots that have a [`SlotIo`], then releases the lock;
//! 2. it calls [`SlotIo::produce`] of each, without the mixer lock, then takes the lock to
//!    `put` the frames, `mix`, and `get` the frame of every slot that hears somebody, and
//!    releases it again;
//! 3. it calls [`SlotIo::consume`] of each of those slots, without the mixer lock.
//!
//! The rule is thus: **the mixer lock is never held while user code runs** — neither a
//! [`SlotIo`] nor the event sink. Both may call any [`Mixer`] method (connect, add or drop
//! slots, report slot changes) except [`Mixer::tick`], which does not nest: ticks are serialised
//! by a second lock held for the whole tick. A slot removed while a tick runs may still get the
//! callbacks of that one tick, so a [`SlotIo`] whose owner stops it should check its own state.
//!
//! Connections made through [`Mixer::connect`] are counted: two bridges that both want `a` to
//! hear `b` each connect once, and `a` stops hearing `b` only when both have disconnected.
//!
//! # Cost
//!
//! A tick adds the callbacks, two rounds of the mixer lock, one lock per slot io and, per
//! bridge, two delay slots to the [`AudioMixer`]'s frame: 10 ports in one bridge at 16 kHz took
//! 12.0 µs a tick against 7.8 µs for the bare 10-slot mesh, in the same run of
//! `benches/mixer.rs` on a loaded machine. Once the slots are set up, a tick allocates nothing.
//!
//! # Example
//!
//! A tone generator's DTMF key, recorded through a bridge, with the clock driven by hand (a
//! device does that in an application):
//!
//! ```
//! use sipsimple_audio::bridge::AudioBridge;
//! use sipsimple_audio::engine::Mixer;
//! use sipsimple_audio::goertzel::DtmfDetector;
//! use sipsimple_audio::tone_port::ToneGenerator;
//! use sipsimple_audio::wave::WaveRecorder;
//!
//! let mixer = Mixer::new(16000)?;
//! let bridge = AudioBridge::new(&mixer)?;
//! let tones = ToneGenerator::new(&mixer);
//! let dir = tempfile::tempdir()?;
//! let recorder = WaveRecorder::new(&mixer, dir.path().join("call.wav"));
//! bridge.add(&tones)?;
//! bridge.add(&recorder)?;
//! tones.start()?;
//! recorder.start()?;
//! tones.play_dtmf('7')?;
//! for _ in 0..15 {
//!     mixer.tick();
//! }
//! recorder.stop()?;
//!
//! let samples = hound::WavReader::open(recorder.filename())?
//!     .into_samples::<i16>()
//!     .collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(samples.len(), 15 * 320);
//! let mut detector = DtmfDetector::new(16000);
//! detector.process(&samples);
//! assert_eq!(detector.poll_digit().map(|key| key.as_char()), Some('7'));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use thiserror::Error;

use crate::bridge::AudioBridge;
use crate::mixer::{AudioMixer, MixerError, SlotId, MAX_SLOTS};
use crate::wave::WaveFileError;

/// The most samples in one frame of any slot: 20 ms at 48 kHz.
const MAX_FRAME: usize = 960;

/// Called on the mixer clock's thread once per 20 ms frame, for one slot.
///
/// Both methods run without the mixer lock held (see the [module docs](self)); they should be
/// quick, since every slot of the mixer shares the clock's 20 ms.
pub trait SlotIo: Send {
    /// Fills `out` (one frame at the slot's rate); false = nothing this frame (silence).
    fn produce(&mut self, out: &mut [i16]) -> bool {
        let _ = out;
        false
    }

    /// Receives the frame mixed for this slot (at the slot's rate). Called only while the slot
    /// hears at least one producer.
    fn consume(&mut self, frame: &[i16]) {
        let _ = frame;
    }
}

/// A [`SlotIo`] that neither produces nor consumes: the device slot's io when no device is
/// attached, and the input of a device whose capture is silence.
#[derive(Debug, Default, Clone, Copy)]
pub struct SilentIo;

impl SlotIo for SilentIo {}

/// Identifies one audio object (port, bridge, device) in events and bridges; unique within the
/// process, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortId(u64);

impl PortId {
    /// A fresh id, different from every other one of this process.
    #[must_use]
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id as a number, for logs.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl Default for PortId {
    fn default() -> Self {
        Self::new()
    }
}

/// How one of a port's slots changed: what it was and what it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotChange {
    /// The slot before the change.
    pub old: Option<SlotId>,
    /// The slot after the change.
    pub new: Option<SlotId>,
}

/// What the audio objects report, through the sink installed with [`Mixer::set_event_sink`].
/// Names and data follow the seed's notifications (`AudioPortDidChangeSlots`, `WavePlayerDid…`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AudioEvent {
    /// A port's slots changed (`AudioPortDidChangeSlots`); its bridges have already
    /// reconnected it when this is delivered.
    PortDidChangeSlots {
        /// The port whose slots changed.
        port: PortId,
        /// Whether the consumer slot changed.
        consumer_slot_changed: bool,
        /// Whether the producer slot changed.
        producer_slot_changed: bool,
        /// The consumer slot before (meaningful when `consumer_slot_changed`).
        old_consumer_slot: Option<SlotId>,
        /// The consumer slot after (meaningful when `consumer_slot_changed`).
        new_consumer_slot: Option<SlotId>,
        /// The producer slot before (meaningful when `producer_slot_changed`).
        old_producer_slot: Option<SlotId>,
        /// The producer slot after (meaningful when `producer_slot_changed`).
        new_producer_slot: Option<SlotId>,
    },
    /// A `WavePlayer` began its first play after `start()`.
    WavePlayerDidStart {
        /// The player.
        port: PortId,
    },
    /// A `WavePlayer` finished its plays or was stopped.
    WavePlayerDidEnd {
        /// The player.
        port: PortId,
    },
    /// A `WavePlayer` could not play its file; it is stopped, and no `WavePlayerDidEnd`
    /// follows.
    WavePlayerDidFail {
        /// The player.
        port: PortId,
        /// Why the file could not be played.
        error: WaveFileError,
    },
    /// A `WaveRecorder` could not write (a full disk): it stopped, keeping what it wrote.
    WaveRecorderDidFail {
        /// The recorder.
        port: PortId,
        /// Why writing failed.
        error: WaveFileError,
    },
    /// The sound device failed; the mixer clock it drove has stopped.
    DeviceDidFail {
        /// What the device layer reported.
        error: String,
    },
    /// The device driving the mixer changed (a switch of input or output device).
    DeviceDidChange {
        /// The input device now in use, by name (`None`: no capture).
        input_device: Option<String>,
        /// The output device now in use, by name (`None`: no playback).
        output_device: Option<String>,
    },
}

/// Where [`AudioEvent`]s go: installed by the application (the driver turns them into its
/// notifications). Called on whichever thread caused the event, with no mixer lock held.
pub type EventSink = Arc<dyn Fn(AudioEvent) + Send + Sync>;

/// Why an audio engine call was refused: caller misuse (file and device faults are events).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The mixer refused the call.
    #[error(transparent)]
    Mixer(#[from] MixerError),
    /// The port is already in this bridge (a bridge is a set).
    #[error("the port is already in this bridge")]
    AlreadyAdded,
    /// The port is not in this bridge.
    #[error("the port is not in this bridge")]
    NotInBridge,
    /// The port belongs to another mixer than the bridge.
    #[error("the port belongs to another mixer")]
    OtherMixer,
    /// The bridge already holds its maximum of ports.
    #[error("the bridge already holds its maximum of {max} ports")]
    BridgeFull {
        /// The bound that was reached.
        max: usize,
    },
    /// A bridge cannot contain itself.
    #[error("a bridge cannot contain itself")]
    BridgeIntoItself,
    /// Another device already drives this mixer's clock.
    #[error("another device already drives this mixer's clock")]
    ClockBusy,
    /// The object is already started.
    #[error("already started")]
    AlreadyActive,
    /// The object must be started first.
    #[error("not started")]
    NotActive,
    /// A `WavePlayer` volume above 100.
    #[error("volume {0} is above 100")]
    InvalidVolume(u8),
    /// A tone could not be built (a frequency above the Nyquist frequency, …).
    #[error(transparent)]
    Tone(#[from] crate::tone::ToneError),
    /// The tone queue holds its maximum of tones already.
    #[error("the tone queue already holds {max} tones")]
    ToneQueueFull {
        /// The bound that was reached.
        max: usize,
    },
    /// A file could not be created or opened.
    #[error(transparent)]
    File(#[from] WaveFileError),
    /// The sound device layer refused (no such device, unsupported format…).
    #[error("audio device: {0}")]
    Device(String),
}

/// A slot's callbacks, shared between the mixer's table and a running tick.
type IoRef = Arc<Mutex<Box<dyn SlotIo>>>;

struct Core {
    mixer: AudioMixer,
    /// The io of each slot place, with the id it belongs to.
    ios: Vec<Option<(SlotId, IoRef)>>,
    /// How many times each (producer, consumer) pair was connected.
    connections: HashMap<(SlotId, SlotId), u32>,
}

/// What a tick keeps between frames so it does not allocate.
#[derive(Default)]
struct TickState {
    work: Vec<(SlotId, IoRef)>,
    produced: Vec<bool>,
    consumes: Vec<bool>,
    frame_lens: Vec<usize>,
    frames: Vec<Vec<i16>>,
}

struct Inner {
    clock_rate: u32,
    core: Mutex<Core>,
    tick: Mutex<TickState>,
    /// Ticks completed; outside the tick lock so a callback may read it.
    ticks: AtomicU64,
    sink: Mutex<Option<EventSink>>,
    bridges: Mutex<Vec<Weak<AudioBridge>>>,
    device_slot: SlotId,
    /// Whether a device drives the clock.
    clock_claimed: Mutex<bool>,
}

/// The engine's conference bridge, shared: the [`AudioMixer`] plus, per slot, an optional
/// [`SlotIo`] its clock calls every frame, the device slot, the registry of live bridges and
/// the event sink. See the [module docs](self) for the locking rule.
#[derive(Clone)]
pub struct Mixer {
    inner: Arc<Inner>,
}

impl fmt::Debug for Mixer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mixer")
            .field("clock_rate", &self.inner.clock_rate)
            .field("device_slot", &self.inner.device_slot)
            .finish_non_exhaustive()
    }
}

impl Mixer {
    /// A mixer clocked at `clock_rate` Hz (8, 16, 32, 44.1 or 48 kHz), holding only its device slot
    /// (at the clock rate, silent until a device attaches).
    ///
    /// # Errors
    /// [`MixerError::UnsupportedRate`].
    pub fn new(clock_rate: u32) -> Result<Self, EngineError> {
        let mut mixer = AudioMixer::new(clock_rate)?;
        let device_slot = mixer.add_slot(clock_rate)?;
        let mut ios: Vec<Option<(SlotId, IoRef)>> = Vec::new();
        ios.resize_with(MAX_SLOTS, || None);
        let io: IoRef = Arc::new(Mutex::new(Box::new(SilentIo)));
        ios[device_slot.index()] = Some((device_slot, io));
        Ok(Self {
            inner: Arc::new(Inner {
                clock_rate,
                core: Mutex::new(Core {
                    mixer,
                    ios,
                    connections: HashMap::new(),
                }),
                tick: Mutex::new(TickState::default()),
                ticks: AtomicU64::new(0),
                sink: Mutex::new(None),
                bridges: Mutex::new(Vec::new()),
                device_slot,
                clock_claimed: Mutex::new(false),
            }),
        })
    }

    /// The mixer's sample rate, in Hz: the rate of its device slot and of recordings.
    #[must_use]
    pub fn clock_rate(&self) -> u32 {
        self.inner.clock_rate
    }

    /// Samples in one frame at the clock rate.
    #[must_use]
    pub fn frame_len(&self) -> usize {
        (self.inner.clock_rate / 50) as usize
    }

    /// Whether two handles share one mixer.
    #[must_use]
    pub fn same_as(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The slot of the audio device (PJSIP's conference port 0): its captured frames are
    /// produced there and what it consumes is played. It exists for the mixer's whole life.
    #[must_use]
    pub fn device_slot(&self) -> SlotId {
        self.inner.device_slot
    }

    /// Adds a slot of `rate` Hz whose frames `io` produces and consumes from the next tick on.
    /// The slot lives as long as the returned [`Slot`].
    ///
    /// # Errors
    /// [`MixerError::UnsupportedRate`], [`MixerError::TooManySlots`].
    pub fn add_slot(&self, rate: u32, io: Box<dyn SlotIo>) -> Result<Slot, EngineError> {
        let mut core = self.inner.core.lock();
        let id = core.mixer.add_slot(rate)?;
        core.ios[id.index()] = Some((id, Arc::new(Mutex::new(io))));
        Ok(Slot {
            mixer: self.clone(),
            id,
        })
    }

    fn remove_slot(&self, id: SlotId) {
        let io = {
            let mut core = self.inner.core.lock();
            if core.mixer.remove_slot(id).is_err() {
                return;
            }
            core.connections.retain(|&(p, c), _| p != id && c != id);
            core.ios[id.index()].take()
        };
        // Dropped here, outside the lock: an io's destructor may call back into the mixer.
        drop(io);
    }

    /// Replaces the io of the device slot; the old one is dropped outside the lock.
    fn swap_device_io(&self, io: Box<dyn SlotIo>) {
        let id = self.inner.device_slot;
        let old = {
            let mut core = self.inner.core.lock();
            core.ios[id.index()].replace((id, Arc::new(Mutex::new(io))))
        };
        drop(old);
    }

    /// Makes the device slot's frames come from and go to `io`, and gives the caller the right
    /// to drive the clock (call [`tick`](Self::tick)) until the returned [`DeviceAttachment`]
    /// is dropped. One device at a time drives a mixer.
    ///
    /// # Errors
    /// [`EngineError::ClockBusy`] while another attachment lives.
    pub fn attach_device(&self, io: Box<dyn SlotIo>) -> Result<DeviceAttachment, EngineError> {
        {
            let mut claimed = self.inner.clock_claimed.lock();
            if *claimed {
                return Err(EngineError::ClockBusy);
            }
            *claimed = true;
        }
        self.swap_device_io(io);
        Ok(DeviceAttachment {
            mixer: self.clone(),
        })
    }

    /// Makes `consumer` hear `producer` from the next tick on. Counted: each call needs its
    /// own [`disconnect`](Self::disconnect).
    ///
    /// # Errors
    /// [`MixerError::UnknownSlot`] when either slot is gone.
    pub fn connect(&self, producer: SlotId, consumer: SlotId) -> Result<(), EngineError> {
        let mut core = self.inner.core.lock();
        core.mixer.connect(producer, consumer)?;
        *core.connections.entry((producer, consumer)).or_insert(0) += 1;
        Ok(())
    }

    /// Takes back one [`connect`](Self::connect); `consumer` stops hearing `producer` when no
    /// connection is left. Returns whether one was there.
    ///
    /// # Errors
    /// [`MixerError::UnknownSlot`] when either slot is gone.
    pub fn disconnect(&self, producer: SlotId, consumer: SlotId) -> Result<bool, EngineError> {
        let mut core = self.inner.core.lock();
        let key = (producer, consumer);
        let Some(count) = core.connections.get_mut(&key) else {
            // Check the ids so a stale one is reported, as the mixer would.
            core.mixer.disconnect(producer, consumer)?;
            return Ok(false);
        };
        *count -= 1;
        if *count == 0 {
            core.connections.remove(&key);
            core.mixer.disconnect(producer, consumer)?;
        }
        Ok(true)
    }

    /// Whether `consumer` hears `producer`.
    #[must_use]
    pub fn connected(&self, producer: SlotId, consumer: SlotId) -> bool {
        self.inner.core.lock().mixer.connected(producer, consumer)
    }

    /// Sets the linear gain of what a slot produces (1 keeps the level, 0.5 is -6 dB).
    ///
    /// # Errors
    /// See [`AudioMixer::set_input_gain`].
    pub fn set_input_gain(&self, id: SlotId, gain: f32) -> Result<(), EngineError> {
        Ok(self.inner.core.lock().mixer.set_input_gain(id, gain)?)
    }

    /// Sets the linear gain of what a slot receives.
    ///
    /// # Errors
    /// See [`AudioMixer::set_output_gain`].
    pub fn set_output_gain(&self, id: SlotId, gain: f32) -> Result<(), EngineError> {
        Ok(self.inner.core.lock().mixer.set_output_gain(id, gain)?)
    }

    /// The peak level, in dBFS, a slot produced in the last tick (its transmit meter).
    ///
    /// # Errors
    /// [`MixerError::UnknownSlot`].
    pub fn produced_level(&self, id: SlotId) -> Result<f64, EngineError> {
        Ok(self.inner.core.lock().mixer.produced_level(id)?)
    }

    /// The peak level, in dBFS, a slot received in the last tick (its receive meter).
    ///
    /// # Errors
    /// [`MixerError::UnknownSlot`].
    pub fn received_level(&self, id: SlotId) -> Result<f64, EngineError> {
        Ok(self.inner.core.lock().mixer.received_level(id)?)
    }

    /// The sample rate of a slot, in Hz.
    ///
    /// # Errors
    /// [`MixerError::UnknownSlot`].
    pub fn slot_rate(&self, id: SlotId) -> Result<u32, EngineError> {
        Ok(self.inner.core.lock().mixer.slot_rate(id)?)
    }

    /// How many ticks this mixer has completed; inside a callback of a tick, that tick's
    /// number counting from 0.
    #[must_use]
    pub fn ticks(&self) -> u64 {
        self.inner.ticks.load(Ordering::Acquire)
    }

    /// Runs one 20 ms frame: `produce` → `put` for every slot with an io, `mix`, then `get` →
    /// `consume` for every slot with an io that hears somebody. Called by the device driving
    /// the clock, or by hand in tests; never from inside a [`SlotIo`] or the event sink.
    pub fn tick(&self) {
        let mut guard = self.inner.tick.lock();
        let state = &mut *guard;
        {
            let core = self.inner.core.lock();
            state.work.clear();
            state.frame_lens.clear();
            for (id, io) in core.ios.iter().flatten() {
                state.work.push((*id, Arc::clone(io)));
                // Read now so the callbacks below run without the lock.
                state
                    .frame_lens
                    .push(core.mixer.slot_frame_len(*id).unwrap_or(0));
            }
        }
        let n = state.work.len();
        if state.frames.len() < n {
            state.frames.resize_with(n, || vec![0; MAX_FRAME]);
        }
        state.produced.clear();
        state.produced.resize(n, false);
        state.consumes.clear();
        state.consumes.resize(n, false);
        let frame_lens = &state.frame_lens;
        for (k, (_, io)) in state.work.iter().enumerate() {
            let len = frame_lens[k];
            if len == 0 {
                continue;
            }
            state.produced[k] = io.lock().produce(&mut state.frames[k][..len]);
        }
        {
            let mut core = self.inner.core.lock();
            for (k, (id, _)) in state.work.iter().enumerate() {
                if state.produced[k] {
                    // A slot removed during `produce` is simply skipped.
                    let _ = core.mixer.put(*id, &state.frames[k][..frame_lens[k]]);
                }
            }
            core.mixer.mix();
            for (k, (id, _)) in state.work.iter().enumerate() {
                if frame_lens[k] != 0 && core.mixer.hears_any(*id) {
                    state.consumes[k] = core
                        .mixer
                        .get(*id, &mut state.frames[k][..frame_lens[k]])
                        .is_ok();
                }
            }
        }
        for (k, (_, io)) in state.work.iter().enumerate() {
            if state.consumes[k] {
                io.lock().consume(&state.frames[k][..frame_lens[k]]);
            }
        }
        self.inner.ticks.fetch_add(1, Ordering::AcqRel);
        // Released here, without the mixer lock: the last reference to a removed slot's io
        // may be this one.
        state.work.clear();
    }

    /// Installs the sink that receives every [`AudioEvent`] of this mixer's objects,
    /// replacing the previous one.
    pub fn set_event_sink(&self, sink: EventSink) {
        *self.inner.sink.lock() = Some(sink);
    }

    /// Removes the event sink; events are dropped until another is installed.
    pub fn clear_event_sink(&self) {
        *self.inner.sink.lock() = None;
    }

    /// Delivers an event to the sink, if one is installed. Must not be called with a lock held
    /// that the sink could need.
    pub fn emit(&self, event: AudioEvent) {
        let sink = self.inner.sink.lock().clone();
        if let Some(sink) = sink {
            sink(event);
        }
    }

    /// Reports that a port's slots changed: every bridge holding the port reconnects it, then
    /// [`AudioEvent::PortDidChangeSlots`] is emitted. Every [`AudioPort`] implementor calls this
    /// after its [`AudioPort::consumer_slot`] and [`AudioPort::producer_slot`] return the new
    /// values, with no lock held that those methods need. `None` means that side is unchanged.
    pub fn port_slots_changed(
        &self,
        port: PortId,
        consumer: Option<SlotChange>,
        producer: Option<SlotChange>,
    ) {
        if consumer.is_none() && producer.is_none() {
            return;
        }
        self.reconnect_bridges(port, consumer, producer);
        self.emit(AudioEvent::PortDidChangeSlots {
            port,
            consumer_slot_changed: consumer.is_some(),
            producer_slot_changed: producer.is_some(),
            old_consumer_slot: consumer.and_then(|c| c.old),
            new_consumer_slot: consumer.and_then(|c| c.new),
            old_producer_slot: producer.and_then(|c| c.old),
            new_producer_slot: producer.and_then(|c| c.new),
        });
    }

    /// Lets every live bridge holding `port` follow its slot change, without an event.
    pub(crate) fn reconnect_bridges(
        &self,
        port: PortId,
        consumer: Option<SlotChange>,
        producer: Option<SlotChange>,
    ) {
        let bridges: Vec<Arc<AudioBridge>> = {
            let mut registry = self.inner.bridges.lock();
            registry.retain(|b| b.strong_count() > 0);
            registry.iter().filter_map(Weak::upgrade).collect()
        };
        for bridge in bridges {
            bridge.follow_slot_change(port, consumer, producer);
        }
    }

    pub(crate) fn register_bridge(&self, bridge: Weak<AudioBridge>) {
        let mut registry = self.inner.bridges.lock();
        registry.retain(|b| b.strong_count() > 0);
        registry.push(bridge);
    }
}

/// A slot of a [`Mixer`], owned: dropping it removes the slot, its io and its connections.
pub struct Slot {
    mixer: Mixer,
    id: SlotId,
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Slot").field(&self.id).finish()
    }
}

impl Slot {
    /// The slot's id, for connections and the [`AudioPort`] methods.
    #[must_use]
    pub fn id(&self) -> SlotId {
        self.id
    }

    /// The mixer holding the slot.
    #[must_use]
    pub fn mixer(&self) -> &Mixer {
        &self.mixer
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.mixer.remove_slot(self.id);
    }
}

/// The right to drive a mixer's clock, with the device's io on the device slot; dropping it
/// silences the device slot and frees the clock for another device.
pub struct DeviceAttachment {
    mixer: Mixer,
}

impl fmt::Debug for DeviceAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAttachment")
            .field("mixer", &self.mixer)
            .finish()
    }
}

impl DeviceAttachment {
    /// The mixer this device drives.
    #[must_use]
    pub fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    /// Replaces the device's io (a switch of sound card) without giving up the clock.
    pub fn replace_io(&self, io: Box<dyn SlotIo>) {
        self.mixer.swap_device_io(io);
    }
}

impl Drop for DeviceAttachment {
    fn drop(&mut self) {
        self.mixer.swap_device_io(Box::new(SilentIo));
        *self.mixer.inner.clock_claimed.lock() = false;
    }
}

/// An object that produces and/or consumes audio through a [`Mixer`] (the seed's
/// `IAudioPort`). When its slots change it calls [`Mixer::port_slots_changed`], so the bridges
/// holding it reconnect and [`AudioEvent::PortDidChangeSlots`] is reported.
pub trait AudioPort: Send + Sync {
    /// The mixer the port's slots belong to; only ports of one mixer can be connected.
    fn mixer(&self) -> &Mixer;
    /// The slot where the port consumes audio, or `None` when it does not consume now.
    fn consumer_slot(&self) -> Option<SlotId>;
    /// The slot where the port produces audio, or `None` when it does not produce now.
    fn producer_slot(&self) -> Option<SlotId>;
    /// The port's identity in bridges and events.
    fn port_id(&self) -> PortId;
}
