//! Every integration test, in one test binary: one compile and one link of the
//! shared helpers (`common`) and of the code they pull in from serde, tokio and
//! axum, instead of one per file. Run a part with `cargo test --test cli send::`.

mod common;

mod audit;
mod capture;
mod capture_clients;
mod capture_load;
mod completions;
mod doctor;
mod dry_run;
mod helm_corpus;
mod helm_values;
mod hostile;
mod inputs;
mod leaks;
mod manifests;
mod payloads;
mod scripting;
mod send;
mod show_config;
mod snapshots;
mod terminal;
mod validate;
mod values_reader;
