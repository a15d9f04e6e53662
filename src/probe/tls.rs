//! The TLS step: a handshake whose verifier records the chain and what each
//! trust store says of it, so `doctor` can tell a public CA from a CA of the
//! user's `--cacert` from an unknown one (an intercepting proxy, most often).
//!
//! The verifier accepts every chain so that the handshake completes and its
//! version and chain can be shown; the verdicts are the system's roots' and the
//! ones `send` uses with `--cacert` (transport's pinned verifier). Nothing is
//! ever sent on a connection whose chain is not trusted, and doctor sends no
//! secret on any.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error, SignatureScheme};
use serde::Serialize;

use crate::transport::pinned;

/// One certificate of the chain, as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CertView {
    /// The subject (`CN=beacon.langchain.com`).
    pub subject: String,
    /// The issuer.
    pub issuer: String,
    /// When it expires (RFC 3339).
    pub not_after: String,
    /// Days left until then (negative when past).
    pub days_left: i64,
}

/// What the verifier saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// The chain as the server sent it, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// What the system's roots (the public CAs) say.
    pub system: Option<Result<(), Error>>,
    /// What the user's bundle says (with the system's roots, as `send` trusts),
    /// when one was given.
    pub user: Option<Result<(), Error>>,
}

/// The recording verifier.
#[derive(Debug)]
pub struct Recorder {
    system: Arc<WebPkiServerVerifier>,
    user: Option<Arc<dyn ServerCertVerifier>>,
    /// What it saw, once the handshake asked.
    pub seen: Mutex<Seen>,
}

impl Recorder {
    /// A recorder checking against the system's roots, and the user's bundle when given.
    pub fn new(user: Option<Vec<CertificateDer<'static>>>) -> Result<Arc<Self>, Error> {
        let roots = pinned::system_roots();
        Ok(Arc::new(Self {
            system: pinned::roots_verifier(roots.clone())?,
            user: user
                .map(|user| pinned::verifier_over(roots, user))
                .transpose()?,
            seen: Mutex::new(Seen::default()),
        }))
    }

    /// A client configuration that uses this recorder.
    pub fn config(self: &Arc<Self>) -> Result<rustls::ClientConfig, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(self.clone())
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verdict = |verifier: &dyn ServerCertVerifier| {
            verifier
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
        };
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| Error::General("poisoned".into()))?;
        seen.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        seen.system = Some(verdict(self.system.as_ref()));
        seen.user = self.user.as_deref().map(verdict);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.system.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.system.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.system.supported_verify_schemes()
    }
}

/// A certificate as shown; `None` when it does not parse.
pub fn view(cert: &CertificateDer<'_>, now: i64) -> Option<CertView> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let not_after = parsed.validity().not_after;
    let shown = not_after
        .to_datetime()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| not_after.to_string());
    Some(CertView {
        subject: parsed.subject().to_string(),
        issuer: parsed.issuer().to_string(),
        not_after: shown,
        days_left: (not_after.timestamp() - now).div_euclid(86_400),
    })
}

/// A certificate error in words.
pub fn describe(err: &Error) -> String {
    use rustls::CertificateError as C;
    match err {
        Error::InvalidCertificate(C::UnknownIssuer) => "its issuer is not a trusted CA".to_string(),
        Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "it has expired".to_string()
        }
        Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "it is not valid yet".to_string()
        }
        Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "it is not valid for this name".to_string()
        }
        other => {
            let text = other.to_string();
            if text.contains("CaUsedAsEndEntity") {
                "it is a CA certificate used as a server certificate (as `openssl req -x509` makes them), and not one you gave".to_string()
            } else {
                text
            }
        }
    }
}

/// Whether the error means "not signed by a CA this store knows".
pub fn unknown_issuer(err: &Error) -> bool {
    matches!(
        err,
        Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
    ) || err.to_string().contains("CaUsedAsEndEntity")
}
