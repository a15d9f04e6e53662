//! `validate` on a body: decoded (JSON or OTLP protobuf, gzip-compressed or not)
//! and walked for every endpoint, with a license to look for, as the command does.
//!
//! Input: one header byte, then the body. Header bits 0-2 pick the endpoint
//! (modulo 6), bit 3 protobuf rather than JSON, bit 4 gzips the body here first
//! (so the fuzzer explores the inflated content, not only broken gzip headers).
#![no_main]

use std::io::Write;

use beacon_cli::decode::{self, Encoding, Gzip, Limits};
use beacon_cli::endpoints::EndpointId;
use beacon_cli::secrets::Secret;
use beacon_cli::validate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&header, body)) = data.split_first() else {
        return;
    };
    let endpoint = EndpointId::ALL[usize::from(header & 7) % EndpointId::ALL.len()];
    let encoding = if header & 8 != 0 {
        Encoding::Protobuf
    } else {
        Encoding::Json
    };
    let body = if header & 16 != 0 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body).expect("gzip to memory");
        gz.finish().expect("gzip to memory")
    } else {
        body.to_vec()
    };
    let gzip = if header & 32 != 0 {
        Gzip::Required
    } else {
        Gzip::Detect
    };
    // The command's own caps: what a hostile body meets.
    let Ok(decoded) = decode::decode(body, endpoint, encoding, gzip, &Limits::default(), "fuzz")
    else {
        return;
    };
    let license = Secret::new("lsv2_sk_FUZZCANARY0123456789");
    if let Ok(report) = validate::validate(endpoint, &decoded, Some(&license), "fuzz") {
        // The report is printed as JSON by `-o json`: it must serialise.
        let _ = serde_json::to_string(&report).expect("report serialises");
    }
});
