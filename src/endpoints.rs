//! The catalogue of Beacon endpoints: the one place that knows all six.
//!
//! Facts from LangSmith's egress documentation ("Egress for billing and
//! operational telemetry") and the LangSmith Helm chart.

use serde::Serialize;

/// The Beacon base URL when nothing overrides it.
pub const DEFAULT_BEACON_URL: &str = "https://beacon.langchain.com";

/// What an endpoint's traffic is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// License verification and usage reporting: required.
    Billing,
    /// OTLP metrics, traces and logs for troubleshooting: on by default.
    Operational,
    /// Daily aggregated usage counts.
    Usage,
}

impl Class {
    /// The name used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Billing => "billing",
            Class::Operational => "operational",
            Class::Usage => "usage",
        }
    }
}

/// What turns an endpoint on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Always on; only an offline license avoids it.
    AlwaysOn,
    /// A chart key under `config.telemetry`, which the chart turns into an
    /// environment variable that a `commonEnv` entry of the same name overrides.
    Telemetry {
        /// The key under `config.telemetry`.
        key: &'static str,
        /// The environment variable the chart sets from it.
        env: &'static str,
    },
    /// Only a `commonEnv` variable; unset means the server's default.
    EnvOnly {
        /// The variable.
        env: &'static str,
    },
}

/// One Beacon endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// The id used on the command line and in JSON.
    pub id: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path under the Beacon base URL.
    pub path: &'static str,
    /// What the traffic is for.
    pub class: Class,
    /// What turns it on or off.
    pub control: Control,
    /// The body field that carries the license key, if any.
    pub license_field: Option<&'static str>,
    /// Which version of the egress documentation first lists it.
    pub documented_since: &'static str,
}

/// All six endpoints, in the order the documentation lists them.
pub const ENDPOINTS: [Endpoint; 6] = [
    Endpoint {
        id: "verify",
        method: "POST",
        path: "/v1/beacon/verify",
        class: Class::Billing,
        control: Control::AlwaysOn,
        license_field: Some("license"),
        documented_since: "2025-01",
    },
    Endpoint {
        id: "ingest-traces",
        method: "POST",
        path: "/v1/beacon/ingest-traces",
        class: Class::Billing,
        control: Control::AlwaysOn,
        license_field: Some("license"),
        documented_since: "2025-01",
    },
    Endpoint {
        id: "metrics",
        method: "POST",
        path: "/v1/beacon/v1/metrics",
        class: Class::Operational,
        control: Control::Telemetry {
            key: "metrics",
            env: "BEACON_METRICS_ENABLED",
        },
        license_field: None,
        documented_since: "2025-07",
    },
    Endpoint {
        id: "traces",
        method: "POST",
        path: "/v1/beacon/v1/traces",
        class: Class::Operational,
        control: Control::Telemetry {
            key: "traces",
            env: "BEACON_TRACING_ENABLED",
        },
        license_field: None,
        documented_since: "2025-07",
    },
    Endpoint {
        id: "logs",
        method: "POST",
        path: "/v1/beacon/v1/logs",
        class: Class::Operational,
        control: Control::Telemetry {
            key: "logs",
            env: "BEACON_LOGGING_ENABLED",
        },
        license_field: None,
        documented_since: "2026",
    },
    Endpoint {
        id: "usage-snapshot",
        method: "POST",
        path: "/v1/beacon/usage-snapshot",
        class: Class::Usage,
        control: Control::EnvOnly {
            env: "PHONE_HOME_USAGE_REPORTING_ENABLED",
        },
        license_field: Some("license_key"),
        documented_since: "2026-03",
    },
];

/// The endpoint ids, for messages and completions.
pub fn ids() -> impl Iterator<Item = &'static str> {
    ENDPOINTS.iter().map(|e| e.id)
}

/// Joins a base URL and an endpoint path with exactly one `/` between them.
pub fn join_url(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_paths_absolute() {
        let mut ids: Vec<_> = ids().collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ENDPOINTS.len());
        assert!(ENDPOINTS.iter().all(|e| e.path.starts_with("/v1/beacon/")));
    }

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(
            join_url("https://beacon.langchain.com/", "/v1/beacon/verify"),
            "https://beacon.langchain.com/v1/beacon/verify"
        );
    }
}
