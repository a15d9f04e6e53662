//! A DNS stub client: one A or AAAA question over UDP to the server `--dns-server`
//! names, as `dig @server` asks it.
//!
//! `doctor --dns-server` asks the DNS the pods use (the cluster's, 10.96.0.10
//! say) instead of this machine's, and the tests ask a responder of their own
//! instead of waiting on a real one. The system's resolver (getaddrinfo) can do
//! neither. A full resolver library would bring an async runtime and a second
//! TLS stack for two questions; this is the few lines RFC 1035 needs, bounded
//! at every read of the answer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

/// The record types asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// IPv4 addresses.
    A,
    /// IPv6 addresses.
    Aaaa,
}

impl Kind {
    fn code(self) -> u16 {
        match self {
            Kind::A => 1,
            Kind::Aaaa => 28,
        }
    }
}

/// What the server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The addresses (none when the name exists without this record type).
    Addresses(Vec<IpAddr>),
    /// NXDOMAIN: no such name.
    NoSuchName,
    /// Another response code (2 SERVFAIL, 5 REFUSED, ...).
    Refused(u8),
}

/// Why no answer came.
#[derive(Debug)]
pub enum Error {
    /// The name cannot be asked: a label longer than 63 bytes, a name longer than 255.
    BadName,
    /// No answer within the time.
    Timeout,
    /// A socket error.
    Io(std::io::Error),
    /// The answer is not a DNS answer to this question.
    Malformed(&'static str),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::BadName => f.write_str("the name cannot be asked in DNS"),
            Error::Timeout => f.write_str("no answer in time"),
            Error::Io(e) => write!(f, "{e}"),
            Error::Malformed(what) => write!(f, "a malformed answer ({what})"),
        }
    }
}

/// Asks `server` for the `kind` records of `name`, waiting at most `timeout`.
pub fn query(
    name: &str,
    kind: Kind,
    server: SocketAddr,
    timeout: Duration,
) -> Result<Answer, Error> {
    let id = fastrand::u16(..);
    let question = encode(id, name, kind)?;
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).map_err(Error::Io)?;
    socket.connect(server).map_err(Error::Io)?;
    socket.send(&question).map_err(Error::Io)?;
    let deadline = std::time::Instant::now() + timeout;
    let mut buffer = [0u8; 4096];
    loop {
        let left = deadline
            .checked_duration_since(std::time::Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(Error::Timeout)?;
        socket.set_read_timeout(Some(left)).map_err(Error::Io)?;
        let n = match socket.recv(&mut buffer) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Error::Timeout);
            }
            Err(e) => return Err(Error::Io(e)),
        };
        // A stray datagram (an old answer) is not ours: wait for the next.
        if n >= 2 && u16::from_be_bytes([buffer[0], buffer[1]]) != id {
            continue;
        }
        return decode(&buffer[..n], kind);
    }
}

/// The question: a header asking for recursion, then `name` `kind` IN.
fn encode(id: u16, name: &str, kind: Kind) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(name.len() + 18);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    let name = name.trim_end_matches('.');
    if name.is_empty() || name.len() > 253 {
        return Err(Error::BadName);
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(Error::BadName);
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&kind.code().to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    Ok(out)
}

/// The addresses of `kind` in an answer; the records of other types (a CNAME
/// chain) are passed over.
fn decode(message: &[u8], kind: Kind) -> Result<Answer, Error> {
    let header = message
        .get(..12)
        .ok_or(Error::Malformed("shorter than a header"))?;
    if header[2] & 0x80 == 0 {
        return Err(Error::Malformed("a question, not an answer"));
    }
    let rcode = header[3] & 0x0f;
    match rcode {
        0 => {}
        3 => return Ok(Answer::NoSuchName),
        other => return Ok(Answer::Refused(other)),
    }
    let questions = u16::from_be_bytes([header[4], header[5]]);
    let answers = u16::from_be_bytes([header[6], header[7]]);
    let mut at = 12;
    for _ in 0..questions {
        at = skip_name(message, at)?;
        at += 4;
    }
    let mut found = Vec::new();
    for _ in 0..answers {
        at = skip_name(message, at)?;
        let fixed = message
            .get(at..at + 10)
            .ok_or(Error::Malformed("a record cut short"))?;
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let length = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        at += 10;
        let data = message
            .get(at..at + length)
            .ok_or(Error::Malformed("record data cut short"))?;
        at += length;
        if rtype != kind.code() {
            continue;
        }
        match (kind, data.len()) {
            (Kind::A, 4) => found.push(IpAddr::from([data[0], data[1], data[2], data[3]])),
            (Kind::Aaaa, 16) => {
                let bytes: [u8; 16] = data.try_into().expect("16 bytes");
                found.push(IpAddr::from(bytes));
            }
            _ => return Err(Error::Malformed("an address of the wrong length")),
        }
    }
    Ok(Answer::Addresses(found))
}

/// The offset just past the name at `at` (labels, ending in a zero or a pointer).
fn skip_name(message: &[u8], mut at: usize) -> Result<usize, Error> {
    // At most 128 labels fit in a name of 255 bytes.
    for _ in 0..128 {
        let len = *message
            .get(at)
            .ok_or(Error::Malformed("a name cut short"))?;
        match len {
            0 => return Ok(at + 1),
            l if l & 0xc0 == 0xc0 => {
                message
                    .get(at + 1)
                    .ok_or(Error::Malformed("a name cut short"))?;
                return Ok(at + 2);
            }
            l if l & 0xc0 == 0 => at += 1 + usize::from(l),
            _ => return Err(Error::Malformed("a label of an unknown kind")),
        }
    }
    Err(Error::Malformed("a name of too many labels"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(rcode: u8, records: &[(u16, &[u8])]) -> Vec<u8> {
        let mut out = encode(7, "beacon.example", Kind::A).unwrap();
        out[2] |= 0x80;
        out[3] = rcode;
        out[7] = records.len() as u8;
        for (rtype, data) in records {
            out.extend_from_slice(&[0xc0, 12]);
            out.extend_from_slice(&rtype.to_be_bytes());
            out.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            out.extend_from_slice(&(data.len() as u16).to_be_bytes());
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn questions_are_encoded_as_rfc_1035_writes_them() {
        let q = encode(0x1234, "a.bc.", Kind::Aaaa).unwrap();
        assert_eq!(
            q,
            [
                0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 2, b'b', b'c', 0, 0, 28, 0, 1
            ]
        );
        assert!(encode(1, &"x".repeat(64), Kind::A).is_err());
        assert!(encode(1, "a..b", Kind::A).is_err());
    }

    #[test]
    fn answers_give_their_addresses_and_pass_over_cnames() {
        let cname: &[u8] = &[3, b'w', b'w', b'w', 0xc0, 12];
        let message = answer(0, &[(5, cname), (1, &[10, 0, 0, 1]), (1, &[10, 0, 0, 2])]);
        assert_eq!(
            decode(&message, Kind::A).unwrap(),
            Answer::Addresses(vec![
                "10.0.0.1".parse().unwrap(),
                "10.0.0.2".parse().unwrap()
            ])
        );
        assert_eq!(
            decode(&answer(3, &[]), Kind::A).unwrap(),
            Answer::NoSuchName
        );
        assert_eq!(
            decode(&answer(2, &[]), Kind::A).unwrap(),
            Answer::Refused(2)
        );
    }

    #[test]
    fn malformed_answers_are_errors_not_panics() {
        let good = answer(0, &[(1, &[10, 0, 0, 1])]);
        for cut in 0..good.len() - 1 {
            let _ = decode(&good[..cut], Kind::A);
        }
        assert!(decode(&good[..good.len() - 1], Kind::A).is_err());
        let wrong_length = answer(0, &[(1, &[10, 0, 0])]);
        assert!(decode(&wrong_length, Kind::A).is_err());
        let mut looping = answer(0, &[]);
        looping.truncate(12);
        looping[5] = 1;
        looping.extend_from_slice(&[0x40; 300]);
        assert!(decode(&looping, Kind::A).is_err());
    }
}
