//! A DNS responder for tests, on 127.0.0.1:0 (UDP): it answers A and AAAA
//! questions for the names it is given and NXDOMAIN for every other, so no
//! test waits on a real DNS server.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The responder; it stops when dropped.
pub struct Responder {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Responder {
    /// Answers `names` (name, address) and NXDOMAIN for the rest.
    pub fn start(names: &[(&str, IpAddr)]) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_millis(100)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let names: Vec<(String, IpAddr)> = names
            .iter()
            .map(|(n, a)| (n.to_ascii_lowercase(), *a))
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 512];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buffer) else {
                    continue;
                };
                if let Some(answer) = answer(&buffer[..n], &names) {
                    let _ = socket.send_to(&answer, from);
                }
            }
        });
        Self { addr, stop }
    }

    /// `--dns-server` for it.
    pub fn arg(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The answer to one question: its records, or NXDOMAIN.
fn answer(query: &[u8], names: &[(String, IpAddr)]) -> Option<Vec<u8>> {
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*query.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    let question_end = at + 4;
    let name = labels.join(".");
    let known: Vec<IpAddr> = names
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, a)| *a)
        .collect();
    let records: Vec<IpAddr> = known
        .iter()
        .copied()
        .filter(|a| (qtype == 1 && a.is_ipv4()) || (qtype == 28 && a.is_ipv6()))
        .collect();
    let mut out = query.get(..question_end)?.to_vec();
    out[2] = 0x81; // an answer, recursion desired
    out[3] = if known.is_empty() { 0x83 } else { 0x80 }; // NXDOMAIN, or no error
    out[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
    for record in records {
        out.extend_from_slice(&[0xc0, 12]);
        out.extend_from_slice(&qtype.to_be_bytes());
        out.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        let data = match record {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(&data);
    }
    Some(out)
}
