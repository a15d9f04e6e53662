//! A real forward proxy for tests: Debian's tinyproxy, started on a free
//! loopback port with its own configuration and log. `scripts/test` installs it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running tinyproxy; it is killed when dropped.
pub struct Tinyproxy {
    pub port: u16,
    pub log: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

fn binary() -> PathBuf {
    for candidate in [
        "/usr/bin/tinyproxy",
        "/usr/sbin/tinyproxy",
        "/usr/local/bin/tinyproxy",
    ] {
        let path = PathBuf::from(candidate);
        if path.exists() {
            return path;
        }
    }
    panic!(
        "tinyproxy is not installed: run the tests with `scripts/test`, which installs it, \
         or `apt-get install tinyproxy`"
    );
}

impl Tinyproxy {
    /// Starts tinyproxy; `basic_auth` requires `user:password` from clients.
    pub fn start(basic_auth: Option<(&str, &str)>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = dir.path().join("tinyproxy.log");
        let mut config = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Connect\n\
             MaxClients 32\nAllow 127.0.0.1\n",
            log.display()
        );
        // No ConnectPort line: CONNECT is allowed to any port, as the test servers use random ones.
        if let Some((user, password)) = basic_auth {
            config.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let config_path = dir.path().join("tinyproxy.conf");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(binary())
            .arg("-d")
            .arg("-c")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy starts");
        let proxy = Self {
            port,
            log,
            child,
            _dir: dir,
        };
        wait_until_listening(port, "tinyproxy", Duration::from_secs(10), || true);
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What tinyproxy logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (for a server the test starts).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port` and `ready` holds, or fails the test.
pub fn wait_until_listening(port: u16, what: &str, limit: Duration, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while TcpStream::connect(("127.0.0.1", port)).is_err() || !ready() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A proxy that goes nowhere: it records the first line of each request
/// (`CONNECT beacon.langchain.com:443 HTTP/1.1`) and refuses it with a 403, so a
/// test can prove where beacon-cli would have gone without leaving the machine.
pub struct Doorman {
    pub port: u16,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Doorman {
    pub fn start() -> Self {
        use std::io::{BufRead, BufReader, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                // The rest of the head.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                record.lock().unwrap().push(first.trim_end().to_string());
                let _ = stream.write_all(
                    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Self { port, seen }
    }

    /// The proxy URL to give `--proxy`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The request lines received so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}
