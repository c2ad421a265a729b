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
