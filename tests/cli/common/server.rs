//! A real HTTP server for tests, on 127.0.0.1:0: it records every request and
//! answers as the test's responder says.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode};

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        super::header(&self.headers, name)
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Option<Duration>,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            delay: None,
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

type Responder = dyn Fn(usize, &Recorded) -> Reply + Send + Sync;

/// The server; it stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestServer {
    /// Starts a server whose answer to the n-th request (from 0) is `responder(n, request)`.
    pub fn start(responder: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with(None, responder)
    }

    /// The same over HTTPS, with this certificate chain and key.
    pub fn start_tls(
        tls: Arc<rustls::ServerConfig>,
        responder: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start_with(Some(tls), responder)
    }

    fn start_with(
        tls: Option<Arc<rustls::ServerConfig>>,
        responder: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let responder: Arc<Responder> = Arc::new(responder);
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let log = requests.clone();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let log = log.clone();
            let responder = responder.clone();
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 512 * 1024 * 1024)
                    .await
                    .expect("request body")
                    .to_vec();
                let recorded = Recorded {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_string(),
                    headers: parts
                        .headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect(),
                    body,
                    at: Instant::now(),
                };
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(recorded.clone());
                    log.len() - 1
                };
                let reply = responder(n, &recorded);
                if let Some(delay) = reply.delay {
                    tokio::time::sleep(delay).await;
                }
                let mut response = Response::new(Body::from(reply.body));
                *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
                for (name, value) in reply.headers {
                    response.headers_mut().append(
                        HeaderName::from_bytes(name.as_bytes()).unwrap(),
                        HeaderValue::from_str(&value).unwrap(),
                    );
                }
                response
            }
        });
        match tls {
            None => {
                runtime.spawn(async move {
                    axum::serve(listener, app).await.expect("serve");
                });
            }
            Some(config) => {
                let listener = TlsListener {
                    inner: listener,
                    acceptor: tokio_rustls::TlsAcceptor::from(config),
                };
                runtime.spawn(async move {
                    axum::serve(listener, app).await.expect("serve");
                });
            }
        }
        Self {
            addr,
            requests,
            runtime: Some(runtime),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `https://127.0.0.1:PORT`; the test certificate carries that address.
    pub fn https_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A TCP listener that completes a TLS handshake before handing a connection to axum.
struct TlsListener {
    inner: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.inner.accept().await else {
                continue;
            };
            // A client that rejects the certificate fails the handshake: wait for the next.
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A test CA and a server certificate it signed for `localhost` and 127.0.0.1.
pub struct TestPki {
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

impl TestPki {
    /// One self-signed certificate for 127.0.0.1 and localhost, its own trust anchor.
    pub fn self_signed() -> Self {
        let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .unwrap();
        Self {
            ca_pem: cert.pem(),
            server: server_config(vec![cert.der().clone()], &signing_key),
        }
    }

    /// A test CA and a server certificate it signed.
    pub fn new() -> Self {
        Self::for_names(&["localhost", "127.0.0.1"])
    }

    /// A test CA and a server certificate it signed for these names only (a
    /// certificate for another host, when 127.0.0.1 is not among them).
    pub fn for_names(names: &[&str]) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "beacon-cli test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        Self {
            ca_pem: ca.pem(),
            server: server_config(vec![leaf.der().clone(), ca.der().clone()], &leaf_key),
        }
    }
}

impl TestPki {
    /// A self-signed certificate made as users make them:
    /// `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=... -addext subjectAltName=...`,
    /// which marks it `CA:TRUE`. `names` are DNS names or IP addresses.
    pub fn openssl(dir: &std::path::Path, names: &[&str]) -> Self {
        use rustls::pki_types::pem::PemObject;
        let san: Vec<String> = names
            .iter()
            .map(|n| {
                if n.parse::<std::net::IpAddr>().is_ok() {
                    format!("IP:{n}")
                } else {
                    format!("DNS:{n}")
                }
            })
            .collect();
        let (cert, key) = (dir.join("openssl-cert.pem"), dir.join("openssl-key.pem"));
        let status = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .args(["-subj", &format!("/CN={}", names[0])])
            .args(["-addext", &format!("subjectAltName={}", san.join(","))])
            .output()
            .expect("openssl runs");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let text = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&cert)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&text.stdout).contains("CA:TRUE"),
            "openssl req -x509 marks it a CA, as users get it"
        );
        let chain = vec![rustls::pki_types::CertificateDer::from_pem_file(&cert).unwrap()];
        let key = rustls::pki_types::PrivateKeyDer::from_pem_file(&key).unwrap();
        Self {
            ca_pem: std::fs::read_to_string(&cert).unwrap(),
            server: server_config_with(chain, key),
        }
    }

    /// A self-signed `CA:TRUE` certificate for 127.0.0.1 whose dates are past.
    pub fn expired() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self {
            ca_pem: cert.pem(),
            server: server_config(vec![cert.der().clone()], &key),
        }
    }
}

/// A TLS server configuration presenting `chain`, with `key`.
fn server_config(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: &rcgen::KeyPair,
) -> Arc<rustls::ServerConfig> {
    server_config_with(
        chain,
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
}

fn server_config_with(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    Arc::new(config)
}
