//! What the subcommands share: the configuration directory, loading it, starting an
//! application on it, and printing notifications.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use sipsimple::configuration::{AccountId, ConfigurationManager};
use sipsimple::notification::{Notification, Observer};
use sipsimple::session::SignalingStreamFactory;
use sipsimple::storage::FileStorage;
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

impl Running {
    pub(crate) fn start(place: &Place, verbose: bool) -> Result<Self, String> {
        let app = SipApplication::new();
        // Until the audio engine exists, offered audio is met with a stream that negotiates it
        // but carries none.
        app.media_stream_registry()
            .register(Arc::new(SignalingStreamFactory::new(50_000)));
        let events = app.notification_center().observe(None, None);
        let options = StartOptions {
            ip: place.bind.first().copied(),
            extra_ips: place.bind.iter().skip(1).copied().collect(),
            nameservers: (!place.nameservers.is_empty()).then(|| place.nameservers.clone()),
            ..StartOptions::default()
        };
        app.start_with(storage(place.config_dir.as_ref())?, options)
            .map_err(|e| e.to_string())?;
        let running = Self {
            app,
            events,
            verbose,
        };
        running.wait_for("SIPApplicationDidStart", Duration::from_secs(10))?;
        Ok(running)
    }

    /// Starts on `place` and picks the account `id` (else the default one); on failure the
    /// application is stopped again and the exit status to give comes back.
    pub(crate) fn start_with_account(
        place: &Place,
        verbose: bool,
        id: Option<&str>,
    ) -> Result<(Self, Account), ExitCode> {
        let running = Self::start(place, verbose).map_err(|e| fail(USAGE, e))?;
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

    /// Waits for the notification `name`, printing the others when verbose.
    pub(crate) fn wait_for(&self, name: &str, timeout: Duration) -> Result<Notification, String> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.next(left) {
                Some(n) if &*n.name == name => return Ok(n),
                Some(_) => {}
                None => return Err(format!("no {name} within {timeout:?}")),
            }
        }
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
