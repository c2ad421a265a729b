//! TLS for SIP (RFC 3261 §26.2.1, RFC 5922 for the names checked) with rustls: the client
//! side verifies servers against the system roots plus the configured CA file and, when a
//! certificate is configured, presents it to servers that ask; the server side presents the
//! configured certificate, or one made for this run when none is set.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::ring::default_provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::configuration::SipSimpleSettings;

/// Why TLS cannot start (posted as `SIPApplicationFailedToStartTLS`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The CA file could not be read or holds no certificate.
    #[error("cannot use the CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The certificate file could not be read or lacks a certificate or a private key.
    #[error("cannot use the certificate file {path}: {reason}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No root certificate is available to verify servers with.
    #[error("no trusted root certificates: install the system CA bundle or set tls.ca_list")]
    NoRoots,
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// A certificate for this run could not be made.
    #[error("cannot make a certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The TLS configurations of one application.
#[derive(Debug, Clone)]
pub(crate) struct TlsContext {
    pub(crate) client: Arc<ClientConfig>,
    pub(crate) server: Arc<ServerConfig>,
}

impl TlsContext {
    /// Builds both sides from the settings: `tls.ca_list` is trusted besides the system
    /// roots; `tls.certificate` (a PEM file with the certificate chain and its private key)
    /// is presented, else a self-signed certificate for this run.
    pub(crate) fn from_settings(settings: &SipSimpleSettings) -> Result<Self, TlsError> {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            // A system certificate rustls cannot use is skipped, as browsers do.
            let _ = roots.add(cert);
        }
        if let Some(path) = &settings.tls.ca_list {
            let certs = read_certs(path).map_err(|reason| TlsError::CaFile {
                path: path.clone(),
                reason,
            })?;
            for cert in certs {
                roots.add(cert).map_err(|e| TlsError::CaFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            }
        }
        if roots.is_empty() {
            return Err(TlsError::NoRoots);
        }
        let provider = Arc::new(default_provider());
        let client = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots);
        // The configured certificate also identifies us to servers that ask for one.
        let (client, (chain, key)) = match &settings.tls.certificate {
            Some(path) => {
                let (chain, key) = read_identity(path)?;
                let client = client.with_client_auth_cert(chain.clone(), key.clone_key())?;
                (client, (chain, key))
            }
            None => (client.with_no_client_auth(), self_signed()?),
        };
        let server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        Ok(Self {
            client: Arc::new(client),
            server: Arc::new(server),
        })
    }
}

/// The name a TLS server must prove, from the host of the URI that led to it: a domain, or
/// an IP address for a numeric host.
pub(crate) fn server_name(host: &str) -> Option<ServerName<'static>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned()).ok()
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| e.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate in it".to_owned());
    }
    Ok(certs)
}

fn read_identity(
    path: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let bad = |reason: String| TlsError::Certificate {
        path: path.to_owned(),
        reason,
    };
    let chain = read_certs(path).map_err(bad)?;
    let key = PrivateKeyDer::from_pem_file(path).map_err(|e| bad(format!("private key: {e}")))?;
    Ok((chain, key))
}

fn self_signed() -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let key = rcgen::KeyPair::generate()?;
    let params = rcgen::CertificateParams::new(vec!["sipsimple.invalid".to_owned()])?;
    let cert = params.self_signed(&key)?;
    let key = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| TlsError::Generate(rcgen::Error::PemError(e.to_owned())))?;
    Ok((vec![cert.der().clone()], key))
}

/// An `io::Error` for a failed handshake, keeping rustls's words.
pub(crate) fn handshake_error(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("TLS handshake: {e}"))
}
