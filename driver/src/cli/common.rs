//! What the subcommands share: the configuration directory, loading it, starting an
//! application on it, and printing notifications.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sipsimple::audio::AudioBackend;
use sipsimple::configuration::{AccountId, ConfigurationManager};
use sipsimple::notification::{Notification, Observer};
use sipsimple::session::AudioStreamFactory;
use sipsimple::storage::{Document, FileStorage, Storage, StorageError};
use sipsimple::{Account, SipApplication, StartOptions};

/// Where the tool runs: the configuration directory and the local address.
#[derive(Debug, Clone, Default)]
pub(crate) struct Place {
    /// `--config-dir`.
    pub(crate) config_dir: Option<PathBuf>,
    /// `--bind`, repeated.
    pub(crate) bind: Vec<IpAddr>,
    /// `--nameserver`, repeated.
    pub(crate) nameservers: Vec<SocketAddr>,
}

/// Exit status for a failure the protocol reported (a refused registration or message).
pub(crate) const FAILED: u8 = 1;
/// Exit status for bad input: a bad argument, a damaged configuration, a missing account.
pub(crate) const USAGE: u8 = 2;

/// The configuration directory: `--config-dir`, else `$HOME/.sipsimple`.
pub(crate) fn config_dir(given: Option<&PathBuf>) -> Result<PathBuf, String> {
    if let Some(dir) = given {
        return Ok(dir.clone());
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".sipsimple"))
        .ok_or_else(|| "HOME is not set: give --config-dir".to_owned())
}

/// The storage in the configuration directory (created when missing).
pub(crate) fn storage(given: Option<&PathBuf>) -> Result<FileStorage, String> {
    let dir = config_dir(given)?;
    FileStorage::open(&dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// The configuration, loaded for offline changes.
pub(crate) fn configuration(given: Option<&PathBuf>) -> Result<ConfigurationManager, String> {
    ConfigurationManager::load(storage(given)?).map_err(|e| e.to_string())
}

/// Prints `message` to standard error as the tool's complaint and gives `code`.
pub(crate) fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("sipsimple: {message}");
    ExitCode::from(code)
}

/// A started application on the configuration directory, with an observer of everything.
pub(crate) struct Running {
    pub(crate) app: SipApplication,
    pub(crate) events: Observer,
    verbose: bool,
}

/// The sound devices of a run: which backend the voice mixer uses, and the device that
/// replaces `audio.input_device` and `audio.output_device` for this run only.
#[derive(Debug, Clone, Default)]
pub(crate) struct AudioSetup {
    /// The devices the mixers run on.
    pub(crate) backend: AudioBackend,
    /// `--device`: the sound card for both directions, not saved in the configuration.
    pub(crate) device: Option<String>,
}

impl AudioSetup {
    /// No sound card, for the subcommands that carry no audio.
    pub(crate) fn none() -> Self {
        Self {
            backend: AudioBackend::Null,
            device: None,
        }
    }
}

impl Running {
    /// Starts on `place` with the devices of `audio`; offered audio is answered with real
    /// audio streams on them.
    pub(crate) fn start_with_audio(
        place: &Place,
        verbose: bool,
        audio: &AudioSetup,
    ) -> Result<Self, String> {
        let app = SipApplication::new();
        app.media_stream_registry()
            .register(Arc::new(AudioStreamFactory::new(&app)));
        let events = app.notification_center().observe(None, None);
        let options = StartOptions {
            ip: place.bind.first().copied(),
            extra_ips: place.bind.iter().skip(1).copied().collect(),
            nameservers: (!place.nameservers.is_empty()).then(|| place.nameservers.clone()),
            audio: audio.backend.clone(),
            ..StartOptions::default()
        };
        let storage = storage(place.config_dir.as_ref())?;
        match &audio.device {
            Some(device) => app.start_with(
                DeviceOverride {
                    inner: storage,
                    device: device.clone(),
                },
                options,
            ),
            None => app.start_with(storage, options),
        }
        .map_err(|e| e.to_string())?;
        let running = Self {
            app,
            events,
            verbose,
        };
        // The application falls back to the null device when a sound card or file cannot
        // be opened; the user asked for them, so that is a failure to start here.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match running.next(left) {
                Some(n) if &*n.name == "SIPApplicationDidStart" => return Ok(running),
                Some(n) if &*n.name == "AudioDeviceDidFail" => {
                    let error = n.get_str("error").unwrap_or("?").to_owned();
                    running.stop();
                    return Err(format!("{error} (--null-audio runs without a sound card)"));
                }
                Some(_) => {}
                None => {
                    running.stop();
                    return Err("the application did not start within 10 s".to_owned());
                }
            }
        }
    }

    /// Starts on `place` without a sound card and picks the account `id` (else the default
    /// one); on failure the application is stopped again and the exit status to give comes
    /// back.
    pub(crate) fn start_with_account(
        place: &Place,
        verbose: bool,
        id: Option<&str>,
    ) -> Result<(Self, Account), ExitCode> {
        Self::start_with_account_and_audio(place, verbose, id, &AudioSetup::none())
    }

    /// [`Self::start_with_account`] with the devices of `audio`.
    pub(crate) fn start_with_account_and_audio(
        place: &Place,
        verbose: bool,
        id: Option<&str>,
        audio: &AudioSetup,
    ) -> Result<(Self, Account), ExitCode> {
        let running = Self::start_with_audio(place, verbose, audio).map_err(|e| fail(USAGE, e))?;
        match running.account(id) {
            Ok(account) => Ok((running, account)),
            Err(e) => {
                running.stop();
                Err(fail(USAGE, e))
            }
        }
    }

    /// The account `id`, else the default account.
    pub(crate) fn account(&self, id: Option<&str>) -> Result<Account, String> {
        let manager = self.app.account_manager();
        match id {
            Some(id) => {
                AccountId::new(id).map_err(|e| e.to_string())?;
                manager
                    .get_account(id)
                    .ok_or_else(|| format!("there is no account {id}"))
            }
            None => manager.default_account().ok_or_else(|| {
                "there is no enabled account: add one with `sipsimple account add`".to_owned()
            }),
        }
    }

    /// Whether every notification is printed.
    pub(crate) fn verbose(&self) -> bool {
        self.verbose
    }

    /// The next notification within `timeout`, printed when verbose.
    pub(crate) fn next(&self, timeout: Duration) -> Option<Notification> {
        let n = self.events.recv_timeout(timeout).ok()?;
        if self.verbose {
            println!("{n}");
        }
        Some(n)
    }

    /// Stops the application, letting accounts unregister, and prints what follows.
    pub(crate) fn stop(self) {
        self.app.stop();
        while let Some(n) = self.next(Duration::from_secs(10)) {
            if &*n.name == "SIPApplicationDidEnd" {
                break;
            }
        }
        self.app.stop_and_wait();
    }
}

/// The configuration directory's storage with `audio.input_device` and
/// `audio.output_device` replaced by one device for this run: the application reads them
/// from the document when it opens the sound cards, and what it saves keeps the stored
/// values, so the choice is not remembered.
#[derive(Debug)]
struct DeviceOverride {
    inner: FileStorage,
    device: String,
}

const DEVICE_KEYS: [&str; 2] = ["input_device", "output_device"];

/// The `audio` object of the global settings in `document`, created when missing.
fn audio_settings(document: &mut Document) -> Option<&mut serde_json::Map<String, Value>> {
    let settings = document
        .as_map_mut()
        .entry("SIPSimpleSettings")
        .or_insert_with(|| Value::Object(serde_json::Map::new()))
        .as_object_mut()?;
    settings
        .entry("audio")
        .or_insert_with(|| Value::Object(serde_json::Map::new()))
        .as_object_mut()
}

impl Storage for DeviceOverride {
    fn load(&self) -> Result<Document, StorageError> {
        let mut document = self.inner.load()?;
        // A document whose settings are not objects is left for the loader to refuse.
        if let Some(audio) = audio_settings(&mut document) {
            for key in DEVICE_KEYS {
                audio.insert(key.to_owned(), Value::String(self.device.clone()));
            }
        }
        Ok(document)
    }

    fn save(&self, document: &Document) -> Result<(), StorageError> {
        let mut stored = self.inner.load()?;
        let kept: Vec<Option<Value>> = DEVICE_KEYS
            .iter()
            .map(|key| audio_settings(&mut stored).and_then(|a| a.get(*key).cloned()))
            .collect();
        let mut document = document.clone();
        if let Some(audio) = audio_settings(&mut document) {
            for (key, value) in DEVICE_KEYS.iter().zip(kept) {
                match value {
                    Some(value) => audio.insert((*key).to_owned(), value),
                    None => audio.remove(*key),
                };
            }
        }
        self.inner.save(&document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(dir: &std::path::Path, audio: Value) -> FileStorage {
        let storage = FileStorage::open(dir).unwrap();
        let document = serde_json::json!({"SIPSimpleSettings": {"audio": audio}});
        let Value::Object(map) = document else {
            unreachable!("a JSON object literal")
        };
        storage.save(&Document::from_map(map)).unwrap();
        storage
    }

    fn audio_of(document: &mut Document) -> serde_json::Map<String, Value> {
        audio_settings(document).unwrap().clone()
    }

    #[test]
    fn the_device_replaces_both_settings_when_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let inner = stored(
            dir.path(),
            serde_json::json!({"input_device": "mic", "sample_rate": 16000}),
        );
        let storage = DeviceOverride {
            inner,
            device: "card".to_owned(),
        };
        let audio = audio_of(&mut storage.load().unwrap());
        assert_eq!(audio["input_device"], "card");
        assert_eq!(audio["output_device"], "card");
        assert_eq!(audio["sample_rate"], 16000);
    }

    #[test]
    fn a_save_keeps_the_stored_devices() {
        let dir = tempfile::tempdir().unwrap();
        let inner = stored(dir.path(), serde_json::json!({"input_device": "mic"}));
        let storage = DeviceOverride {
            inner,
            device: "card".to_owned(),
        };
        let mut document = storage.load().unwrap();
        audio_settings(&mut document)
            .unwrap()
            .insert("sample_rate".to_owned(), serde_json::json!(32000));
        storage.save(&document).unwrap();
        let audio = audio_of(&mut FileStorage::open(dir.path()).unwrap().load().unwrap());
        assert_eq!(audio["input_device"], "mic");
        assert!(!audio.contains_key("output_device"), "{audio:?}");
        assert_eq!(audio["sample_rate"], 32000);
    }
}
