//! The application's audio: the seed's voice and alert mixers with their bridges and devices
//! (`SIPApplication.voice_audio_mixer`, `voice_audio_bridge`, `alert_audio_mixer`…), and the
//! notifications of the audio objects.
//!
//! The audio objects themselves (`AudioBridge`, `WavePlayer`, `WaveRecorder`,
//! `ToneGenerator`, `AudioDevice`) are those of [`sipsimple_audio`], re-exported here. Every
//! port of an application's mixers reports through its notification center, with the seed's
//! names and data and the port as sender ([`port_sender`]): `AudioPortDidChangeSlots`,
//! `WavePlayerDidStart`, `WavePlayerDidEnd`, `WavePlayerDidFail` (with `error`), plus
//! `WaveRecorderDidFail`, `AudioDeviceDidFail` and `AudioDeviceDidChange`.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};

pub use sipsimple_audio::bridge::AudioBridge;
pub use sipsimple_audio::device::{AudioDevice, NullDevice, WavFileDevice, WavFileDeviceConfig};
pub use sipsimple_audio::engine::{AudioEvent, AudioPort, EngineError, Mixer, PortId, SlotIo};
pub use sipsimple_audio::tone_port::ToneGenerator;
pub use sipsimple_audio::wave::{
    Completion, WaveFileError, WavePlayer, WavePlayerOptions, WaveRecorder,
};

use crate::configuration::SipSimpleSettings;
use crate::media::MediaEngine;
use crate::notification::{NotificationCenter, SenderId};

/// Which devices an application's mixers run on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioBackend {
    /// The sound devices the settings name (`audio.input_device`, `output_device`,
    /// `alert_device`) when the SDK is built with the `cpal` feature; the null device
    /// otherwise.
    #[default]
    Settings,
    /// No sound card: silence in, playback discarded, a timer driving both mixers.
    Null,
    /// The voice mixer's microphone is a WAV file (silence when `None`) and its speaker
    /// another (discarded when `None`); the alert mixer runs on the null device.
    WavFiles {
        /// What the microphone captures.
        input: Option<PathBuf>,
        /// Where what the user hears is written.
        output: Option<PathBuf>,
    },
}

/// The device driving one mixer's clock; stopped when dropped.
#[derive(Debug)]
enum Device {
    Null(NullDevice),
    Files(WavFileDevice),
    #[cfg(feature = "cpal")]
    Card(sipsimple_audio::cpal_device::CpalDevice),
}

impl Device {
    fn stop(&mut self) {
        match self {
            Self::Null(d) => d.stop(),
            Self::Files(d) => {
                // A file fault was reported when it happened.
                let _ = d.stop();
            }
            #[cfg(feature = "cpal")]
            Self::Card(d) => d.stop(),
        }
    }
}

/// One mixer of the application with its bridge, the port of its device in that bridge, and
/// the device driving its clock.
#[derive(Debug)]
pub(crate) struct MixerSet {
    pub(crate) mixer: Mixer,
    pub(crate) bridge: Arc<AudioBridge>,
    pub(crate) device: Arc<AudioDevice>,
    clock: Device,
}

impl Drop for MixerSet {
    fn drop(&mut self) {
        self.clock.stop();
    }
}

/// The running audio of an application: the voice mixer (calls, recordings) and the alert
/// mixer (ringing).
#[derive(Debug)]
pub(crate) struct AudioEngine {
    pub(crate) voice: MixerSet,
    pub(crate) alert: MixerSet,
    /// The thread the audio streams' sockets and timers run on.
    pub(crate) media: MediaEngine,
}

impl Drop for AudioEngine {
    fn drop(&mut self) {
        self.media.shutdown();
    }
}

/// Why the audio engine could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioStartError {
    /// A mixer or a device could not start.
    #[error("audio: {0}")]
    Engine(#[from] EngineError),
    /// The media thread could not start.
    #[error("media thread: {0}")]
    Media(#[from] std::io::Error),
}

impl AudioEngine {
    /// Starts both mixers at `audio.sample_rate` on the devices `backend` chooses; their
    /// events go to `center`.
    pub(crate) fn start(
        settings: &SipSimpleSettings,
        backend: &AudioBackend,
        center: &NotificationCenter,
    ) -> Result<Self, AudioStartError> {
        let rate = settings.audio.sample_rate;
        let voice = Mixer::new(rate)?;
        let alert = Mixer::new(rate)?;
        for mixer in [&voice, &alert] {
            let center = center.clone();
            mixer.set_event_sink(Arc::new(move |event| post(&center, &event)));
        }
        let voice_clock = match backend {
            AudioBackend::WavFiles { input, output } => Device::Files(WavFileDevice::start(
                &voice,
                WavFileDeviceConfig {
                    input: input.clone(),
                    loop_input: true,
                    output: output.clone(),
                },
            )?),
            AudioBackend::Settings => device_for(
                &voice,
                settings.audio.input_device.as_deref(),
                settings.audio.output_device.as_deref(),
            )?,
            AudioBackend::Null => Device::Null(NullDevice::start(&voice)?),
        };
        let alert_clock = match backend {
            AudioBackend::Settings => {
                device_for(&alert, None, settings.audio.alert_device.as_deref())?
            }
            _ => Device::Null(NullDevice::start(&alert)?),
        };
        Ok(Self {
            voice: MixerSet::new(voice, voice_clock)?,
            alert: MixerSet::new(alert, alert_clock)?,
            media: MediaEngine::new()?,
        })
    }
}

impl MixerSet {
    fn new(mixer: Mixer, clock: Device) -> Result<Self, EngineError> {
        let bridge = AudioBridge::new(&mixer)?;
        let device = AudioDevice::new(&mixer, false, false);
        bridge.add(&device)?;
        Ok(Self {
            mixer,
            bridge,
            device,
            clock,
        })
    }
}

/// The sound card named by the settings, when the SDK has the `cpal` feature.
#[cfg(feature = "cpal")]
fn device_for(
    mixer: &Mixer,
    input: Option<&str>,
    output: Option<&str>,
) -> Result<Device, EngineError> {
    use sipsimple_audio::cpal_device::{CpalDevice, DeviceChoice};
    let choice = |name: Option<&str>| match name {
        None => DeviceChoice::None,
        Some(crate::configuration::SYSTEM_DEFAULT_DEVICE) => DeviceChoice::Default,
        Some(name) => DeviceChoice::Named(name.to_owned()),
    };
    Ok(Device::Card(CpalDevice::start(
        mixer,
        &choice(input),
        &choice(output),
    )?))
}

/// Without the `cpal` feature there is no sound card to open: the null device.
#[cfg(not(feature = "cpal"))]
fn device_for(
    mixer: &Mixer,
    _input: Option<&str>,
    _output: Option<&str>,
) -> Result<Device, EngineError> {
    Ok(Device::Null(NullDevice::start(mixer)?))
}

/// The sender of an audio object's notifications: `AudioPort:<id>`.
pub fn port_sender(port: PortId) -> SenderId {
    SenderId::new(format!("AudioPort:{}", port.get()))
}

fn slot(slot: Option<sipsimple_audio::mixer::SlotId>) -> Value {
    slot.map_or(Value::Null, |s| json!(s.index()))
}

/// Posts `event` as the seed's notification.
fn post(center: &NotificationCenter, event: &AudioEvent) {
    let (name, sender, data) = match event {
        AudioEvent::PortDidChangeSlots {
            port,
            consumer_slot_changed,
            producer_slot_changed,
            old_consumer_slot,
            new_consumer_slot,
            old_producer_slot,
            new_producer_slot,
        } => (
            "AudioPortDidChangeSlots",
            port_sender(*port),
            json!({
                "consumer_slot_changed": consumer_slot_changed,
                "producer_slot_changed": producer_slot_changed,
                "old_consumer_slot": slot(*old_consumer_slot),
                "new_consumer_slot": slot(*new_consumer_slot),
                "old_producer_slot": slot(*old_producer_slot),
                "new_producer_slot": slot(*new_producer_slot),
            }),
        ),
        AudioEvent::WavePlayerDidStart { port } => {
            ("WavePlayerDidStart", port_sender(*port), json!({}))
        }
        AudioEvent::WavePlayerDidEnd { port } => {
            ("WavePlayerDidEnd", port_sender(*port), json!({}))
        }
        AudioEvent::WavePlayerDidFail { port, error } => (
            "WavePlayerDidFail",
            port_sender(*port),
            json!({"error": error.to_string()}),
        ),
        AudioEvent::WaveRecorderDidFail { port, error } => (
            "WaveRecorderDidFail",
            port_sender(*port),
            json!({"error": error.to_string()}),
        ),
        AudioEvent::DeviceDidFail { error } => (
            "AudioDeviceDidFail",
            SenderId::new("AudioDevice"),
            json!({"error": error}),
        ),
        AudioEvent::DeviceDidChange {
            input_device,
            output_device,
        } => (
            "AudioDeviceDidChange",
            SenderId::new("AudioDevice"),
            json!({"input_device": input_device, "output_device": output_device}),
        ),
        // Events added to the engine later are posted under a generic name until they get
        // their own.
        other => (
            "AudioEngineEvent",
            SenderId::new("AudioEngine"),
            json!({"event": format!("{other:?}")}),
        ),
    };
    center.post(name, sender, data);
}

/// The seed's `AudioConference`: audio streams connected in a full mesh, so that every
/// participant hears every other one, with the local user's devices in the mix unless the
/// conference is on hold.
///
/// A stream added here leaves its own bridge's device: its audio now goes through the
/// conference's [`bridge`](Self::bridge), where an application can also add a
/// [`WavePlayer`] for every participant to hear or a [`WaveRecorder`] of the whole
/// conference. Removing the stream gives it its device back.
#[derive(Debug)]
pub struct AudioConference {
    bridge: Arc<AudioBridge>,
    device: Arc<AudioDevice>,
    state: std::sync::Mutex<ConferenceState>,
}

#[derive(Debug, Default)]
struct ConferenceState {
    on_hold: bool,
    streams: Vec<Arc<crate::session::AudioStream>>,
}

impl AudioConference {
    /// A conference on `app`'s voice mixer, with the devices in it.
    ///
    /// # Errors
    /// [`AudioStreamError::NotRunning`](crate::session::AudioStreamError::NotRunning) when
    /// the application is stopped.
    pub fn new(app: &crate::SipApplication) -> Result<Self, crate::session::AudioStreamError> {
        let mixer = app
            .voice_audio_mixer()
            .ok_or(crate::session::AudioStreamError::NotRunning)?;
        let bridge = AudioBridge::new(&mixer)?;
        let device = AudioDevice::new(&mixer, false, false);
        bridge.add(&device)?;
        Ok(Self {
            bridge,
            device,
            state: std::sync::Mutex::new(ConferenceState::default()),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ConferenceState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds `stream` to the conference.
    ///
    /// # Errors
    /// [`EngineError::AlreadyAdded`] when it is part of it already;
    /// [`EngineError::OtherMixer`] for a stream of another application.
    pub fn add(&self, stream: &Arc<crate::session::AudioStream>) -> Result<(), EngineError> {
        let mut state = self.state();
        if state.streams.iter().any(|s| Arc::ptr_eq(s, stream)) {
            return Err(EngineError::AlreadyAdded);
        }
        self.bridge.add(stream)?;
        // The device may already be gone from the stream's bridge (an application's doing).
        let _ = stream.bridge().remove(stream.device());
        state.streams.push(Arc::clone(stream));
        Ok(())
    }

    /// Removes `stream` from the conference and gives it its device back.
    ///
    /// # Errors
    /// [`EngineError::NotInBridge`] when it is not part of the conference.
    pub fn remove(&self, stream: &Arc<crate::session::AudioStream>) -> Result<(), EngineError> {
        let mut state = self.state();
        let index = state
            .streams
            .iter()
            .position(|s| Arc::ptr_eq(s, stream))
            .ok_or(EngineError::NotInBridge)?;
        state.streams.remove(index);
        let _ = self.bridge.remove(stream);
        stream.bridge().add(stream.device())
    }

    /// Takes the local user out of the conference: the participants go on hearing each
    /// other, but no longer the microphone, and the speaker no longer plays them. The
    /// streams' own hold states do not change.
    pub fn hold(&self) {
        let mut state = self.state();
        if !std::mem::replace(&mut state.on_hold, true) {
            let _ = self.bridge.remove(&self.device);
        }
    }

    /// Brings the local user back into the conference.
    pub fn unhold(&self) {
        let mut state = self.state();
        if std::mem::replace(&mut state.on_hold, false) {
            let _ = self.bridge.add(&self.device);
        }
    }

    /// Whether the local user is out of the conference ([`hold`](Self::hold)).
    pub fn on_hold(&self) -> bool {
        self.state().on_hold
    }

    /// The bridge connecting the streams and the devices.
    pub fn bridge(&self) -> &Arc<AudioBridge> {
        &self.bridge
    }

    /// The streams in the conference, in the order they were added.
    pub fn streams(&self) -> Vec<Arc<crate::session::AudioStream>> {
        self.state().streams.clone()
    }
}
