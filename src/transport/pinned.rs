//! TLS with the certificates the user gave (`--cacert`, `$SSL_CERT_FILE`), as curl
//! treats them: trusted as roots beside the system's, and a server certificate
//! that is exactly one of them accepted as pinned.
//!
//! A self-signed certificate made the common way (`openssl req -x509 ...`) is
//! marked `CA:TRUE`; webpki then refuses it as a server certificate
//! (`CaUsedAsEndEntity`) although the user named that very certificate. When the
//! server presents exactly a certificate the user gave, its name and dates are
//! still checked here; its identity is the pin.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// A rustls configuration that trusts the system's roots, the user's
/// certificates, and a server certificate that is exactly one of the user's.
pub fn client_config(user: Vec<CertificateDer<'static>>) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier(user)?)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The system's roots: the public CAs, as the HTTP client trusts them.
/// Unparsable system certificates are skipped, as reqwest skips them.
pub fn system_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    roots
}

/// A verifier of these roots alone (the system's: what "a public CA" means).
pub fn roots_verifier(roots: RootCertStore) -> Result<Arc<WebPkiServerVerifier>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| Error::General(e.to_string()))
}

/// The verifier `send` uses with a CA bundle: the system's roots and the
/// user's certificates, and a server certificate that is exactly one of the
/// user's accepted as pinned.
pub fn verifier(user: Vec<CertificateDer<'static>>) -> Result<Arc<dyn ServerCertVerifier>, Error> {
    verifier_over(system_roots(), user)
}

/// [`verifier`] over roots already loaded (loading the system's takes tens of
/// milliseconds, which `doctor`'s TLS step would pay twice).
pub fn verifier_over(
    mut roots: RootCertStore,
    user: Vec<CertificateDer<'static>>,
) -> Result<Arc<dyn ServerCertVerifier>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    roots.add_parsable_certificates(user.iter().cloned());
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| Error::General(e.to_string()))?;
    Ok(Arc::new(Pinned {
        inner,
        pinned: user,
    }))
}

#[derive(Debug)]
struct Pinned {
    inner: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            // webpki refuses a pinned self-signed certificate for what it is
            // (`CaUsedAsEndEntity`, which rustls passes on as an opaque error);
            // its name and dates are checked again below.
            Err(Error::InvalidCertificate(_))
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                check_pinned(end_entity, server_name, now)
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A pinned certificate must still be for this name, and within its dates.
fn check_pinned(
    cert: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, Error> {
    let bad = |e: CertificateError| Error::InvalidCertificate(e);
    let parsed =
        webpki::EndEntityCert::try_from(cert).map_err(|_| bad(CertificateError::BadEncoding))?;
    parsed
        .verify_is_valid_for_subject_name(server_name)
        .map_err(|_| bad(CertificateError::NotValidForName))?;
    let (_, x509) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|_| bad(CertificateError::BadEncoding))?;
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let validity = x509.validity();
    if now < validity.not_before.timestamp() {
        return Err(bad(CertificateError::NotValidYet));
    }
    if now > validity.not_after.timestamp() {
        return Err(bad(CertificateError::Expired));
    }
    Ok(ServerCertVerified::assertion())
}
