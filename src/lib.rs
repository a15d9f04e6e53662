//! beacon-cli: what a self-hosted LangSmith sends to LangChain's Beacon service.
//!
//! The binary is a thin shell over these modules; integration tests and benches
//! use them in-process. `docs/architecture.md` shows how they fit together.

pub mod audit;
pub mod capture;
pub mod cli;
pub mod commands;
pub mod config;
pub mod decode;
pub mod diagnostic;
pub mod egress;
pub mod endpoints;
pub mod error;
pub mod input;
pub mod interpret;
pub mod manifests;

pub mod output;
pub mod payload;
pub mod probe;
pub mod request;
pub mod resolve;
pub mod secrets;
pub mod transport;
pub mod validate;
