//! mitmproxy, the intercepting proxy, for tests: `mitmdump` from the venv
//! `scripts/test` installs under target/mitmproxy, started on a free loopback
//! port with its own configuration directory (and so its own CA).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running mitmdump; it is killed when dropped.
pub struct Mitm {
    pub port: u16,
    /// Its CA certificate (PEM), which signs every certificate it makes.
    pub ca: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

fn binary() -> PathBuf {
    let path = std::env::var_os("BEACON_MITMDUMP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/mitmproxy/bin/mitmdump")
        });
    assert!(
        path.exists(),
        "mitmdump is not installed at {}: run the tests with `scripts/test`, which installs it",
        path.display()
    );
    path
}

impl Mitm {
    /// Starts mitmdump as an HTTP proxy that intercepts TLS; it does not check
    /// the upstream server's certificate (the tests' servers have test CAs).
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = super::proxy::free_port();
        let child = Command::new(binary())
            .args(["--listen-host", "127.0.0.1", "--listen-port"])
            .arg(port.to_string())
            .arg("--set")
            .arg(format!("confdir={}", dir.path().display()))
            .args(["--ssl-insecure", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mitmdump starts");
        let ca = dir.path().join("mitmproxy-ca-cert.pem");
        let mitm = Self {
            port,
            ca,
            child,
            _dir: dir,
        };
        // Its first start writes its CA; that can take a while on a busy machine.
        super::proxy::wait_until_listening(port, "mitmdump", Duration::from_secs(60), || {
            mitm.ca.exists()
        });
        mitm
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Mitm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
