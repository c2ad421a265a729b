//! The seed's `AudioStream`: an RTP audio stream of a session that is also an audio port of
//! the application's voice mixer.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sipsimple_audio::engine::{Slot, SlotChange};
use sipsimple_audio::mixer::SlotId;
use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::sdp::negotiation::{AcceptedStream, LocalStream};
use sipsimple_proto::sdp::MediaDescription;

use super::stream::{stream_type_of, Initialization, InitializeDone, MediaStream, StreamContext};
use super::MediaStreamFactory;
use crate::audio::{AudioBridge, AudioDevice, AudioPort, Mixer, PortId, SlotIo, WaveRecorder};
use crate::configuration::{AccountSettings, SrtpEncryption};
use crate::media::{
    MediaEngine, MediaError, RtpAudio, RtpAudioConfig, RtpAudioEvent, RtpStatistics,
};
use crate::notification::{NotificationCenter, SenderId};
use crate::SipApplication;

/// Why an audio stream call was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioStreamError {
    /// The application is not running, so it has no voice mixer to join.
    #[error("the application is not running")]
    NotRunning,
    /// The stream has not started, or has ended.
    #[error("the audio stream is not started")]
    NotStarted,
    /// A recording is already running.
    #[error("the audio stream is already recording to {0}")]
    AlreadyRecording(PathBuf),
    /// No recording is running.
    #[error("the audio stream is not recording")]
    NotRecording,
    /// The media layer refused.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The audio engine refused (a recorder that cannot start, a bridge error).
    #[error(transparent)]
    Audio(#[from] crate::audio::EngineError),
}

/// What changes while the stream lives.
#[derive(Debug, Default)]
struct State {
    rtp: Option<RtpAudio>,
    /// The stream's slot in the voice mixer, at the codec's rate, once started.
    slot: Option<Slot>,
    session: Option<u64>,
    remote_identity: Option<String>,
    recordings_directory: Option<PathBuf>,
    /// The peer's offered m-line, for a stream made from an offer.
    offer: Option<MediaDescription>,
    started: bool,
    held_by_local: bool,
    held_by_remote: bool,
    recorder: Option<Arc<WaveRecorder>>,
    ended: bool,
}

/// An audio stream (the seed's `AudioStream`): RTP with G.722, G.711 or L16 as the account's
/// codec list orders them, SRTP by SDES as the account's `rtp.srtp_encryption` says, ICE when
/// `nat_traversal.use_ice` is on, RFC 4733 DTMF both ways, and an RTP timeout.
///
/// As an [`AudioPort`] of the application's voice mixer it can be put in any
/// [`AudioBridge`] of that mixer. Its own [`bridge`](Self::bridge) always holds an
/// [`AudioDevice`] port of the input and output devices; while the stream is started and not
/// on hold it holds the stream too, so the user hears the peer and the peer the user, and
/// while recording it holds the [`WaveRecorder`].
///
/// Besides the `MediaStream*` notifications the session posts, the stream posts, with the
/// same sender ([`stream_sender`](super::stream_sender)): `AudioStreamDidChangeHoldState`,
/// `AudioStreamGotDTMF` (`digit`), `AudioStreamDidTimeout`,
/// `AudioStreamDidChangeRTPParameters`, the four `AudioStream…RecordingAudio` (`filename`),
/// and `AudioStreamICENegotiationStateDidChange` (`state`, `prev_state`),
/// `AudioStreamICENegotiationDidSucceed` (`chosen_local_candidates`,
/// `chosen_remote_candidates`, `duration`) and `AudioStreamICENegotiationDidFail`
/// (`reason`, `duration`).
#[derive(Debug)]
pub struct AudioStream {
    this: Weak<Self>,
    port: PortId,
    mixer: Mixer,
    media: MediaEngine,
    center: NotificationCenter,
    app: SipApplication,
    bridge: Arc<AudioBridge>,
    device: Arc<AudioDevice>,
    state: Mutex<State>,
}

impl AudioStream {
    /// A stream of `app`, on its voice mixer.
    ///
    /// # Errors
    /// [`AudioStreamError::NotRunning`] when the application is stopped.
    pub fn new(app: &SipApplication) -> Result<Arc<Self>, AudioStreamError> {
        let audio = app
            .inner
            .shared
            .audio()
            .ok_or(AudioStreamError::NotRunning)?;
        let mixer = audio.voice.mixer.clone();
        let bridge = AudioBridge::new(&mixer)?;
        let device = AudioDevice::new(&mixer, false, false);
        bridge.add(&device)?;
        Ok(Arc::new_cyclic(|this| Self {
            this: this.clone(),
            port: PortId::new(),
            mixer,
            media: audio.media.clone(),
            center: app.notification_center().clone(),
            app: app.clone(),
            bridge,
            device,
            state: Mutex::new(State::default()),
        }))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn rtp(&self) -> Option<RtpAudio> {
        self.state().rtp.clone()
    }

    /// The sender of this stream's notifications, the same as the session's
    /// `MediaStream*` ones for it.
    pub fn sender(&self) -> SenderId {
        SenderId::new(format!(
            "MediaStream:{:p}",
            std::ptr::from_ref(self).cast::<()>()
        ))
    }

    /// The stream's own bridge: the device, and the stream while it is active.
    pub fn bridge(&self) -> &Arc<AudioBridge> {
        &self.bridge
    }

    /// The port of the input and output devices in [`bridge`](Self::bridge).
    pub fn device(&self) -> &Arc<AudioDevice> {
        &self.device
    }

    /// The negotiated codec (`PCMU`, `G722`…), once started.
    pub fn codec(&self) -> Option<&'static str> {
        self.rtp().and_then(|r| r.codec())
    }

    /// The codec's sample rate in Hz, once started.
    pub fn sample_rate(&self) -> Option<u32> {
        self.rtp().and_then(|r| r.sample_rate())
    }

    /// Whether SRTP protects the media.
    pub fn srtp_active(&self) -> bool {
        self.rtp().is_some_and(|r| r.srtp_active())
    }

    /// Whether ICE chose the addresses the media flows between.
    pub fn ice_active(&self) -> bool {
        self.rtp().is_some_and(|r| r.ice_active())
    }

    /// The local address of the RTP socket.
    pub fn local_rtp_address(&self) -> Option<IpAddr> {
        self.rtp().and_then(|r| r.local_rtp_address())
    }

    /// The local RTP port.
    pub fn local_rtp_port(&self) -> Option<u16> {
        self.rtp().and_then(|r| r.local_rtp_port())
    }

    /// Where the peer's SDP said to send media.
    pub fn remote_rtp_address_sdp(&self) -> Option<IpAddr> {
        self.rtp().and_then(|r| r.remote_rtp_address_sdp())
    }

    /// The port the peer's SDP gave.
    pub fn remote_rtp_port_sdp(&self) -> Option<u16> {
        self.rtp().and_then(|r| r.remote_rtp_port_sdp())
    }

    /// The address media is received from.
    pub fn remote_rtp_address_received(&self) -> Option<IpAddr> {
        self.rtp().and_then(|r| r.remote_rtp_address_received())
    }

    /// The port media is received from.
    pub fn remote_rtp_port_received(&self) -> Option<u16> {
        self.rtp().and_then(|r| r.remote_rtp_port_received())
    }

    /// The type of our candidate ICE chose (`host`, `srflx`…), if it did.
    pub fn local_rtp_candidate_type(&self) -> Option<String> {
        self.rtp()
            .and_then(|r| r.local_rtp_candidate_type())
            .map(|t| t.to_string())
    }

    /// The type of the peer's candidate ICE chose, if it did.
    pub fn remote_rtp_candidate_type(&self) -> Option<String> {
        self.rtp()
            .and_then(|r| r.remote_rtp_candidate_type())
            .map(|t| t.to_string())
    }

    /// Packet, loss and jitter counters, once initialized.
    pub fn statistics(&self) -> Option<RtpStatistics> {
        self.rtp().map(|r| r.statistics())
    }

    /// The file being recorded to, while recording.
    pub fn recording_filename(&self) -> Option<PathBuf> {
        self.state()
            .recorder
            .as_ref()
            .map(|r| r.filename().to_path_buf())
    }

    /// Records both sides of the call to `filename`, or to a file named after the peer and
    /// the time in the recordings directory (`audio.recordings_directory`). Nothing is
    /// recorded while the call is on hold.
    ///
    /// # Errors
    /// [`AudioStreamError::NotStarted`], [`AudioStreamError::AlreadyRecording`], or the
    /// recorder's error when the file cannot be created.
    pub fn start_recording(&self, filename: Option<PathBuf>) -> Result<PathBuf, AudioStreamError> {
        let filename = {
            let state = self.state();
            if !state.started || state.ended {
                return Err(AudioStreamError::NotStarted);
            }
            if let Some(recorder) = &state.recorder {
                return Err(AudioStreamError::AlreadyRecording(
                    recorder.filename().to_path_buf(),
                ));
            }
            filename.unwrap_or_else(|| default_recording(&state))
        };
        let data = json!({"filename": filename.display().to_string()});
        self.post("AudioStreamWillStartRecordingAudio", data.clone());
        let recorder = WaveRecorder::new(&self.mixer, &filename);
        recorder.start()?;
        self.bridge.add(&recorder)?;
        self.state().recorder = Some(recorder);
        self.post("AudioStreamDidStartRecordingAudio", data);
        Ok(filename)
    }

    /// Stops the recording and closes its file.
    ///
    /// # Errors
    /// [`AudioStreamError::NotRecording`], or the recorder's error when the file could not
    /// be finished (a full disk).
    pub fn stop_recording(&self) -> Result<(), AudioStreamError> {
        let recorder = self
            .state()
            .recorder
            .take()
            .ok_or(AudioStreamError::NotRecording)?;
        let data = json!({"filename": recorder.filename().display().to_string()});
        self.post("AudioStreamWillStopRecordingAudio", data.clone());
        let _ = self.bridge.remove(&recorder);
        let stopped = recorder.stop();
        self.post("AudioStreamDidStopRecordingAudio", data);
        stopped.map_err(Into::into)
    }

    fn post(&self, name: &str, data: Value) {
        self.center.post(name, self.sender(), data);
    }

    /// The settings of the account and the application that make the RTP configuration.
    fn config(&self, context: &StreamContext) -> RtpAudioConfig {
        let this = self.this.clone();
        let mut config = RtpAudioConfig::new(
            context.local_ip,
            Arc::new(move |event| {
                if let Some(stream) = this.upgrade() {
                    stream.handle_event(event);
                }
            }),
        );
        let account = &context.account;
        if let Some(settings) = self.app.settings() {
            config.port_range = settings.rtp.port_range;
            config.codecs = settings.rtp.audio_codec_list.clone();
            config.timeout = Duration::from_secs(u64::from(settings.rtp.timeout));
        }
        if let Some(codecs) = &account.rtp.audio_codec_list {
            config.codecs = codecs.clone();
        }
        if let Some(timeout) = account.rtp.timeout {
            config.timeout = Duration::from_secs(u64::from(timeout));
        }
        config.srtp = srtp_policy(account, context.transport);
        config.ice = account.nat_traversal.use_ice;
        config.stun_servers = account
            .nat_traversal
            .stun_server_list
            .iter()
            .flatten()
            .filter_map(|s| s.parse::<SocketAddr>().ok())
            .collect();
        config
    }

    /// A report of the RTP layer, as the seed's notification.
    fn handle_event(&self, event: RtpAudioEvent) {
        match event {
            RtpAudioEvent::Dtmf(digit) => {
                self.post("AudioStreamGotDTMF", json!({"digit": digit.to_string()}));
            }
            RtpAudioEvent::Timeout => self.post("AudioStreamDidTimeout", json!({})),
            RtpAudioEvent::ParametersChanged => {
                self.post("AudioStreamDidChangeRTPParameters", json!({}));
            }
            RtpAudioEvent::IceStateChanged { state, prev_state } => self.post(
                "AudioStreamICENegotiationStateDidChange",
                json!({"state": ice_state(state), "prev_state": ice_state(prev_state)}),
            ),
            RtpAudioEvent::IceSucceeded {
                chosen, duration, ..
            } => {
                let side = |local: bool| -> Vec<Value> {
                    chosen
                        .iter()
                        .map(|(l, r)| if local { l } else { r })
                        .map(|c| json!(c.to_sdp().to_string()))
                        .collect()
                };
                self.post(
                    "AudioStreamICENegotiationDidSucceed",
                    json!({
                        "chosen_local_candidates": side(true),
                        "chosen_remote_candidates": side(false),
                        "duration": duration.as_secs_f64(),
                    }),
                );
            }
            RtpAudioEvent::IceFailed { reason, duration } => self.post(
                "AudioStreamICENegotiationDidFail",
                json!({"reason": reason, "duration": duration.as_secs_f64()}),
            ),
        }
    }

    /// Joins the stream's bridge, or leaves it, as its activity says.
    fn place_in_bridge(&self, active: bool) {
        let Some(this) = self.this.upgrade() else {
            return;
        };
        if active {
            // Already there after a re-negotiation that changed nothing.
            let _ = self.bridge.add(&this);
        } else {
            let _ = self.bridge.remove(&this);
        }
    }

    /// Gives the stream a mixer slot at the codec's rate (a new one when the rate changed),
    /// telling the bridges.
    fn ensure_slot(&self, rtp: &RtpAudio) {
        let Some(rate) = rtp.sample_rate() else {
            return;
        };
        let old = {
            let state = self.state();
            match &state.slot {
                Some(slot) if self.mixer.slot_rate(slot.id()).ok() == Some(rate) => return,
                Some(slot) => Some(slot.id()),
                None => None,
            }
        };
        let io = StreamIo {
            rtp: rtp.clone(),
            silence: vec![0; (rate / 50) as usize],
            consumed: true,
        };
        let Ok(slot) = self.mixer.add_slot(rate, Box::new(io)) else {
            self.post(
                "MediaStreamDidFail",
                json!({"reason": "the voice mixer has no free slot"}),
            );
            return;
        };
        let new = Some(slot.id());
        // The old slot goes once its replacement is in place.
        let previous = self.state().slot.replace(slot);
        let change = SlotChange { old, new };
        self.mixer
            .port_slots_changed(self.port, Some(change), Some(change));
        drop(previous);
    }

    fn note_remote_hold(&self, rtp: &RtpAudio) {
        let held = rtp.on_hold_by_remote();
        let changed = {
            let mut state = self.state();
            std::mem::replace(&mut state.held_by_remote, held) != held
        };
        if changed {
            self.post(
                "AudioStreamDidChangeHoldState",
                json!({"originator": "remote", "on_hold": held}),
            );
        }
    }
}

/// What the mixer clock calls for the stream's slot: frames to and from RTP.
struct StreamIo {
    rtp: RtpAudio,
    silence: Vec<i16>,
    /// Whether the mixer gave a frame since the last tick.
    consumed: bool,
}

impl SlotIo for StreamIo {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        // The mixer gives no frame to a slot that hears nobody; RTP keeps flowing anyway, as
        // silence, so that the peer neither times out nor resynchronises.
        if !std::mem::replace(&mut self.consumed, false) {
            self.rtp.consume(&self.silence);
        }
        self.rtp.produce(out)
    }

    fn consume(&mut self, frame: &[i16]) {
        self.consumed = true;
        self.rtp.consume(frame);
    }
}

impl AudioPort for AudioStream {
    fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    fn consumer_slot(&self) -> Option<SlotId> {
        self.state().slot.as_ref().map(Slot::id)
    }

    fn producer_slot(&self) -> Option<SlotId> {
        self.state().slot.as_ref().map(Slot::id)
    }

    fn port_id(&self) -> PortId {
        self.port
    }
}

impl MediaStream for AudioStream {
    fn stream_type(&self) -> &'static str {
        "audio"
    }

    fn get_local_media(&self, address: IpAddr) -> LocalStream {
        match self.rtp() {
            Some(rtp) => rtp.local_media(address),
            // Only asked after a successful initialize; a port of 0 refuses the stream.
            None => LocalStream::audio(address, 0, []),
        }
    }

    fn initialize(&self, context: &StreamContext, done: InitializeDone) -> Initialization {
        let rtp = match RtpAudio::new(&self.media, self.config(context)) {
            Ok(rtp) => rtp,
            Err(e) => return Initialization::Failed(e.to_string()),
        };
        let offer = {
            let mut state = self.state();
            state.session = Some(context.session);
            state.remote_identity = context.remote_identity.clone();
            state.recordings_directory = self
                .app
                .settings()
                .and_then(|s| s.audio.recordings_directory);
            state.rtp = Some(rtp.clone());
            state.offer.clone()
        };
        let offer = offer.filter(|_| context.direction == super::Direction::Incoming);
        match rtp.initialize(offer.as_ref()) {
            Ok(None) => Initialization::Ready,
            Ok(Some(gathering)) => {
                self.media.spawn(async move {
                    match gathering.await {
                        Ok(()) => done.succeeded(),
                        Err(e) => done.failed(e.to_string()),
                    }
                });
                Initialization::Pending
            }
            Err(e) => Initialization::Failed(e.to_string()),
        }
    }

    fn start(&self, negotiated: &AcceptedStream) {
        let Some(rtp) = self.rtp() else {
            return;
        };
        if let Err(e) = rtp.start(negotiated) {
            self.post("MediaStreamDidFail", json!({"reason": e.to_string()}));
            return;
        }
        self.ensure_slot(&rtp);
        let active = {
            let mut state = self.state();
            state.started = true;
            !state.held_by_local
        };
        self.place_in_bridge(active);
        self.note_remote_hold(&rtp);
    }

    fn validate_update(&self, remote: &MediaDescription) -> bool {
        stream_type_of(remote.media_type()) == "audio"
    }

    fn update(&self, negotiated: &AcceptedStream) {
        let Some(rtp) = self.rtp() else {
            return;
        };
        if let Err(e) = rtp.update(negotiated) {
            self.post("MediaStreamDidFail", json!({"reason": e.to_string()}));
            return;
        }
        self.ensure_slot(&rtp);
        self.note_remote_hold(&rtp);
    }

    fn hold_supported(&self) -> bool {
        true
    }

    fn hold(&self) {
        if std::mem::replace(&mut self.state().held_by_local, true) {
            return;
        }
        if let Some(rtp) = self.rtp() {
            rtp.hold();
        }
        self.place_in_bridge(false);
        self.post(
            "AudioStreamDidChangeHoldState",
            json!({"originator": "local", "on_hold": true}),
        );
    }

    fn unhold(&self) {
        let started = {
            let mut state = self.state();
            if !std::mem::replace(&mut state.held_by_local, false) {
                return;
            }
            state.started && !state.ended
        };
        if let Some(rtp) = self.rtp() {
            rtp.unhold();
        }
        self.place_in_bridge(started);
        self.post(
            "AudioStreamDidChangeHoldState",
            json!({"originator": "local", "on_hold": false}),
        );
    }

    fn on_hold_by_local(&self) -> bool {
        self.state().held_by_local
    }

    fn on_hold_by_remote(&self) -> bool {
        self.state().held_by_remote
    }

    fn send_dtmf(&self, digit: char) -> Result<(), String> {
        let rtp = self
            .rtp()
            .filter(|_| self.state().started)
            .ok_or_else(|| AudioStreamError::NotStarted.to_string())?;
        rtp.send_dtmf(digit).map_err(|e| e.to_string())
    }

    fn end(&self) {
        if std::mem::replace(&mut self.state().ended, true) {
            return;
        }
        if self.state().recorder.is_some() {
            let _ = self.stop_recording();
        }
        self.place_in_bridge(false);
        let (rtp, slot) = {
            let mut state = self.state();
            (state.rtp.take(), state.slot.take())
        };
        if let Some(slot) = &slot {
            let change = SlotChange {
                old: Some(slot.id()),
                new: None,
            };
            self.mixer
                .port_slots_changed(self.port, Some(change), Some(change));
        }
        drop(slot);
        if let Some(rtp) = rtp {
            rtp.stop();
        }
    }
}

/// The SRTP the account allows: its `rtp.srtp_encryption`, unless the keys would travel
/// in clear (signalling not over TLS) and `rtp.use_srtp_without_tls` is off.
fn srtp_policy(account: &AccountSettings, transport: Option<TransportKind>) -> SrtpEncryption {
    if account.rtp.use_srtp_without_tls || transport == Some(TransportKind::Tls) {
        account.rtp.srtp_encryption
    } else {
        SrtpEncryption::Disabled
    }
}

/// The seed's names of the ICE states.
fn ice_state(state: sipsimple_proto::ice::IceState) -> String {
    format!("{state:?}").to_ascii_uppercase()
}

/// `<directory>/<YYYYMMDD-HHMMSS>-<peer>.wav`: the call's peer and start of recording, in
/// the recordings directory (`recordings` under the working directory when not set).
fn default_recording(state: &State) -> PathBuf {
    let directory = state
        .recordings_directory
        .clone()
        .unwrap_or_else(|| PathBuf::from("recordings"));
    let peer: String = state
        .remote_identity
        .as_deref()
        .map(peer_name)
        .unwrap_or_else(|| "call".to_owned());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    directory.join(format!("{}-{peer}.wav", utc_stamp(now)))
}

/// The `user@host` of an identity such as `"Bob" <sip:bob@example.com>`, with whatever a
/// file name should not hold replaced by `_`.
fn peer_name(identity: &str) -> String {
    let uri = identity
        .rsplit_once('<')
        .map_or(identity, |(_, rest)| rest.trim_end_matches('>'));
    let bare = uri
        .split_once(':')
        .map_or(uri, |(_, rest)| rest)
        .split(';')
        .next()
        .unwrap_or_default();
    let name: String = bare
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "call".to_owned()
    } else {
        name
    }
}

/// `YYYYMMDD-HHMMSS` in UTC for `secs` since 1970 (the days-to-civil conversion of
/// H. Hinnant's date algorithms).
fn utc_stamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Makes an [`AudioStream`] for every offered audio m-line, on the application's voice
/// mixer; register it in the application's
/// [`MediaStreamRegistry`](super::MediaStreamRegistry) so that incoming calls propose real
/// audio.
#[derive(Debug)]
pub struct AudioStreamFactory {
    app: SipApplication,
}

impl AudioStreamFactory {
    /// A factory of streams of `app`.
    pub fn new(app: &SipApplication) -> Self {
        Self { app: app.clone() }
    }
}

impl MediaStreamFactory for AudioStreamFactory {
    fn new_from_sdp(&self, media: &MediaDescription) -> Option<Arc<dyn MediaStream>> {
        if stream_type_of(media.media_type()) != "audio" || !media.protocol().is_rtp() {
            return None;
        }
        let stream = AudioStream::new(&self.app).ok()?;
        stream.state().offer = Some(media.clone());
        Some(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(utc_stamp(0), "19700101-000000");
        assert_eq!(utc_stamp(951_782_400), "20000229-000000");
        assert_eq!(utc_stamp(1_795_000_000), "20261118-110640");
    }

    #[test]
    fn peer_names_keep_user_and_host_only() {
        assert_eq!(
            peer_name("\"Bob\" <sip:bob@example.com;transport=tcp>"),
            "bob@example.com"
        );
        assert_eq!(peer_name("sips:alice@[::1]:5061"), "alice@___1__5061");
        assert_eq!(peer_name("<sip:../../etc/passwd@x>"), ".._.._etc_passwd@x");
        assert_eq!(peer_name(""), "call");
    }

    #[test]
    fn default_recordings_go_to_the_directory() {
        let state = State {
            recordings_directory: Some(PathBuf::from("/tmp/rec")),
            remote_identity: Some("<sip:bob@example.com>".to_owned()),
            ..State::default()
        };
        let path = default_recording(&state);
        assert!(path.starts_with("/tmp/rec"));
        assert_eq!(path.extension().and_then(|e| e.to_str()), Some("wav"));
        assert!(path.to_string_lossy().ends_with("-bob@example.com.wav"));
    }
}
