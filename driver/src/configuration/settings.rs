//! `SipSimpleSettings`: the global settings (the seed's `SIPSimpleSettings`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::datatypes::{
    check_codecs, check_range, check_transports, AccountId, PortRange, Transport,
};
use super::error::ValidationError;

/// The global settings: transports and ports, TLS, the user agent, audio devices, RTP and
/// logging. Stored under `SIPSimpleSettings`; a missing key takes the default shown on its
/// field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SipSimpleSettings {
    /// The account used when none is named (`None`: the first enabled one). Default `None`.
    pub default_account: Option<AccountId>,
    /// The `User-Agent` header. Default `sipsimple <version>`.
    pub user_agent: String,
    /// Audio devices and rates.
    pub audio: AudioSettings,
    /// SIP transports and ports.
    pub sip: SipSettings,
    /// RTP ports, timeout and codecs.
    pub rtp: RtpSettings,
    /// TLS certificate authorities and the client certificate.
    pub tls: TlsSettings,
    /// Log and trace switches.
    pub logs: LogsSettings,
}

impl Default for SipSimpleSettings {
    fn default() -> Self {
        Self {
            default_account: None,
            user_agent: format!("sipsimple {}", env!("CARGO_PKG_VERSION")),
            audio: AudioSettings::default(),
            sip: SipSettings::default(),
            rtp: RtpSettings::default(),
            tls: TlsSettings::default(),
            logs: LogsSettings::default(),
        }
    }
}

impl SipSimpleSettings {
    /// Checks every setting; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.user_agent.trim().is_empty() {
            return Err(ValidationError::new("user_agent", "must not be empty"));
        }
        if self.user_agent.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "user_agent",
                "must not contain control characters",
            ));
        }
        self.audio.validate()?;
        self.sip.validate()?;
        self.rtp.validate()?;
        self.tls.validate()?;
        self.logs.validate()
    }
}

/// The device name that selects the system's default device.
pub const SYSTEM_DEFAULT_DEVICE: &str = "system_default";

/// Sample rates the audio engine runs at (the seed's `SampleRate`).
pub const SAMPLE_RATES: &[u32] = &[16000, 32000, 44100, 48000];

/// `audio.*`: devices and rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioSettings {
    /// The device that plays alerts (ringing); `None` for none. Default `system_default`.
    pub alert_device: Option<String>,
    /// The microphone; `None` for none. Default `system_default`.
    pub input_device: Option<String>,
    /// The speaker; `None` for none. Default `system_default`.
    pub output_device: Option<String>,
    /// The rate of the audio engine, in Hz: one of [`SAMPLE_RATES`]. Default 44100.
    pub sample_rate: u32,
    /// Whether the microphone is muted. Default `false`.
    pub muted: bool,
    /// Whether alerts are silenced. Default `false`.
    pub silent: bool,
    /// Where call recordings go (`None`: `recordings` in the configuration directory).
    /// Default `None`.
    pub recordings_directory: Option<PathBuf>,
}

impl Default for AudioSettings {
    fn default() -> Self {
        Self {
            alert_device: Some(SYSTEM_DEFAULT_DEVICE.to_owned()),
            input_device: Some(SYSTEM_DEFAULT_DEVICE.to_owned()),
            output_device: Some(SYSTEM_DEFAULT_DEVICE.to_owned()),
            sample_rate: 44100,
            muted: false,
            silent: false,
            recordings_directory: None,
        }
    }
}

impl AudioSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        for (setting, device) in [
            ("audio.alert_device", &self.alert_device),
            ("audio.input_device", &self.input_device),
            ("audio.output_device", &self.output_device),
        ] {
            if device.as_deref().is_some_and(|d| d.trim().is_empty()) {
                return Err(ValidationError::new(
                    setting,
                    "must name a device (or be null for none)",
                ));
            }
        }
        if !SAMPLE_RATES.contains(&self.sample_rate) {
            return Err(ValidationError::new(
                "audio.sample_rate",
                format!(
                    "must be one of {}",
                    SAMPLE_RATES
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        check_path("audio.recordings_directory", &self.recordings_directory)
    }
}

/// `sip.*`: transports and ports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SipSettings {
    /// How long an outgoing INVITE waits for an answer, in seconds (10–3600). Default 90.
    pub invite_timeout: u32,
    /// The local UDP port (0: any free port). Default 0.
    pub udp_port: u16,
    /// The local TCP port (0: any free port). Default 0.
    pub tcp_port: u16,
    /// The local TLS port (0: any free port). Default 0.
    pub tls_port: u16,
    /// The transports to use, in order of preference: a non-empty subset of `udp`, `tcp`,
    /// `tls`. Default `tls`, `tcp`, `udp`.
    pub transport_list: Vec<Transport>,
}

impl Default for SipSettings {
    fn default() -> Self {
        Self {
            invite_timeout: 90,
            udp_port: 0,
            tcp_port: 0,
            tls_port: 0,
            transport_list: vec![Transport::Tls, Transport::Tcp, Transport::Udp],
        }
    }
}

impl SipSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        check_range("sip.invite_timeout", self.invite_timeout, 10, 3600)?;
        check_transports("sip.transport_list", &self.transport_list)?;
        // UDP and TCP may share a number; TCP and TLS both listen on TCP.
        if self.tcp_port != 0 && self.tcp_port == self.tls_port {
            return Err(ValidationError::new(
                "sip.tls_port",
                format!("must differ from sip.tcp_port ({})", self.tcp_port),
            ));
        }
        Ok(())
    }
}

/// `rtp.*`: the media port range, the inactivity timeout and the codecs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RtpSettings {
    /// The local ports RTP and RTCP may use, `start:end` (at least one pair, above 1023).
    /// Default `50000:50500`.
    pub port_range: PortRange,
    /// Seconds without RTP before a stream reports a timeout (0: never). Default 30.
    pub timeout: u32,
    /// The audio codecs, in order of preference, from
    /// [`KNOWN_AUDIO_CODECS`](super::KNOWN_AUDIO_CODECS). Default `G722`, `PCMU`, `PCMA`.
    pub audio_codec_list: Vec<String>,
}

impl Default for RtpSettings {
    fn default() -> Self {
        Self {
            port_range: PortRange::new(50000, 50500),
            timeout: 30,
            audio_codec_list: default_codecs(),
        }
    }
}

pub(crate) fn default_codecs() -> Vec<String> {
    ["G722", "PCMU", "PCMA"].map(str::to_owned).to_vec()
}

impl RtpSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        let PortRange { start, end } = self.port_range;
        if start < 1024 || end <= start {
            return Err(ValidationError::new(
                "rtp.port_range",
                format!(
                    "must be start:end with 1024 <= start < end <= 65535, not {}",
                    self.port_range
                ),
            ));
        }
        check_range("rtp.timeout", self.timeout, 0, 3600)?;
        check_codecs("rtp.audio_codec_list", &self.audio_codec_list)
    }
}

/// `tls.*`: certificate authorities and the client certificate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    /// A PEM file of certificate authorities that server certificates are checked against
    /// (`None`: the system's roots). Default `None`.
    pub ca_list: Option<PathBuf>,
    /// A PEM file with the client certificate and its key (`None`: no client certificate).
    /// Default `None`.
    pub certificate: Option<PathBuf>,
}

impl TlsSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        check_path("tls.ca_list", &self.ca_list)?;
        check_path("tls.certificate", &self.certificate)
    }
}

/// `logs.*`: where logs go and what is traced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogsSettings {
    /// Where log files go (`None`: `logs` in the configuration directory). Default `None`.
    pub directory: Option<PathBuf>,
    /// Trace SIP messages. Default `false`.
    pub trace_sip: bool,
    /// Trace MSRP messages. Default `false`.
    pub trace_msrp: bool,
    /// Trace XCAP requests. Default `false`.
    pub trace_xcap: bool,
    /// Trace DNS lookups (`DNSLookupTrace`). Default `false`.
    pub trace_dns: bool,
    /// Trace notifications. Default `false`.
    pub trace_notifications: bool,
}

impl LogsSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        check_path("logs.directory", &self.directory)
    }
}

/// A path setting: non-empty, and UTF-8 since the document is JSON text.
pub(crate) fn check_path(setting: &str, path: &Option<PathBuf>) -> Result<(), ValidationError> {
    match path {
        Some(p) if p.as_os_str().is_empty() => Err(ValidationError::new(
            setting,
            "must be a path (or null for none)",
        )),
        Some(p) if p.to_str().is_none() => Err(ValidationError::new(
            setting,
            format!("must be valid UTF-8, not {}", p.display()),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        SipSimpleSettings::default().validate().unwrap();
    }

    #[test]
    fn an_empty_object_gives_the_defaults() {
        let settings: SipSimpleSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings, SipSimpleSettings::default());
    }

    #[test]
    fn bad_values_are_named() {
        let mut settings = SipSimpleSettings::default();
        settings.audio.sample_rate = 22050;
        assert_eq!(
            settings.validate().unwrap_err().to_string(),
            "audio.sample_rate must be one of 16000, 32000, 44100, 48000"
        );
        let mut settings = SipSimpleSettings::default();
        settings.rtp.port_range = PortRange::new(6000, 5000);
        assert_eq!(settings.validate().unwrap_err().setting, "rtp.port_range");
        let mut settings = SipSimpleSettings::default();
        settings.sip.transport_list = vec![Transport::Udp, Transport::Udp];
        assert_eq!(
            settings.validate().unwrap_err().to_string(),
            "sip.transport_list names udp twice"
        );
        let mut settings = SipSimpleSettings::default();
        settings.sip.tcp_port = 5061;
        settings.sip.tls_port = 5061;
        assert_eq!(settings.validate().unwrap_err().setting, "sip.tls_port");
        let settings = SipSimpleSettings {
            user_agent: "x\r\nVia: evil".into(),
            ..SipSimpleSettings::default()
        };
        assert_eq!(settings.validate().unwrap_err().setting, "user_agent");
    }

    #[cfg(unix)]
    #[test]
    fn paths_must_be_utf8() {
        use std::os::unix::ffi::OsStrExt;

        let mut settings = SipSimpleSettings::default();
        settings.tls.ca_list = Some(std::ffi::OsStr::from_bytes(b"/etc/\xff.pem").into());
        assert_eq!(settings.validate().unwrap_err().setting, "tls.ca_list");
    }
}
