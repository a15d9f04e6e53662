//! Per-pod truth: what each workload sends, read from the environment it really
//! gets. One evaluation serves both modes: the environments the chart builds from
//! the values (grouped where the values treat pods alike), and the environments of
//! the containers in rendered manifests.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{DecidedBy, EnvSetting, parse_env_bool};
use crate::endpoints::{Control, DEFAULT_BEACON_URL, EndpointId};

/// Proxy variables, as curl and the Python and Go HTTP clients read them.
pub const PROXY_VARS: &[&str] = &["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"];

/// The variables that decide what a pod sends to Beacon, and where.
const DECIDING: &[&str] = &[
    "BEACON_METRICS_ENABLED",
    "BEACON_TRACING_ENABLED",
    "BEACON_LOGGING_ENABLED",
    "BEACON_ENDPOINT",
    "PHONE_HOME_USAGE_REPORTING_ENABLED",
    "PHONE_HOME_ENABLED",
];

/// True for the variables that decide what a pod sends to Beacon and how: a
/// fixed set, so a pod's environment stays small whatever the values hold.
pub fn tracked(name: &str) -> bool {
    // Asked once a variable a pod (sixteen million times for a million-entry
    // `commonEnv`): no upper-cased copy.
    DECIDING.contains(&name) || PROXY_VARS.iter().any(|p| p.eq_ignore_ascii_case(name))
}

/// The value a variable is set to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvVal {
    /// A string, as Kubernetes requires.
    Text(String),
    /// A boolean or number: Kubernetes refuses it; the text is what was meant.
    NotString(String),
    /// From `valueFrom`, a ConfigMap that is not there, or a render that fails:
    /// not known.
    Unknown,
}

/// A variable's effective definition in a pod, and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvDef {
    /// Its value.
    pub value: EnvVal,
    /// The key, file and line that set it, and why it wins.
    pub decided: DecidedBy,
}

impl EnvDef {
    /// The text the variable carries, when known.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            EnvVal::Text(t) | EnvVal::NotString(t) => Some(t),
            EnvVal::Unknown => None,
        }
    }
}

/// The Beacon-relevant environment of one pod or one group of pods.
#[derive(Debug, Clone, Default)]
pub struct PodEnv {
    /// The pods, by name.
    pub pods: Vec<String>,
    /// Whether the pods hold the license key (`LANGSMITH_LICENSE_KEY`).
    pub license: bool,
    /// Variable name to its effective definition.
    pub env: BTreeMap<String, EnvDef>,
    /// When the pods also get variables from a source that cannot be read (an
    /// `envFrom` ConfigMap missing from the manifests): any variable not set
    /// above may come from it. Says which.
    pub unread: Option<String>,
}

/// Whether an endpoint is on, for one workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// On; `certain` when the values settle it.
    On {
        /// Whether the configuration settles it.
        certain: bool,
    },
    /// Off.
    Off {
        /// Whether the configuration settles it.
        certain: bool,
    },
    /// Cannot be told.
    Unknown,
}

impl State {
    /// `true`, `false` or null in JSON.
    pub fn as_json(self) -> Option<bool> {
        match self {
            State::On { .. } => Some(true),
            State::Off { .. } => Some(false),
            State::Unknown => None,
        }
    }
}

/// One workload as `show-config -o json` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    /// A stable name: `langsmith` for the group with the backend, `smithdb` for
    /// the SmithDB services, else the pods joined with `+`; in manifests mode,
    /// `Kind/name:container`.
    pub name: String,
    /// The pods it stands for.
    pub pods: Vec<String>,
    /// Endpoint id to true, false or null (cannot be told).
    pub endpoints: BTreeMap<EndpointId, Option<bool>>,
    /// Endpoint id to what decided it.
    pub decided_by: BTreeMap<EndpointId, DecidedBy>,
    /// The Beacon base URL these pods use; null when it cannot be told.
    pub beacon_url: Option<String>,
    /// Proxy variables these pods get (credentials redacted).
    pub proxy: Vec<EnvSetting>,
    /// Each endpoint's state, with certainty, for the summary.
    #[serde(skip)]
    pub states: BTreeMap<EndpointId, State>,
    /// Whether the pods hold the license key.
    #[serde(skip)]
    pub license: bool,
}

/// The workloads whose answer about an endpoint counts: for the payloads that
/// carry the license (billing, usage), the pods that hold it; for the others, all.
fn concerned(workloads: &[Workload], id: EndpointId) -> impl Iterator<Item = &Workload> {
    let needs_license = id.spec().license_field.is_some();
    workloads
        .iter()
        .filter(move |w| w.license || !needs_license)
}

/// What a workload's environment sends.
pub fn evaluate(name: String, pod: &PodEnv) -> Workload {
    let mut endpoints = BTreeMap::new();
    let mut decided_by = BTreeMap::new();
    let mut states = BTreeMap::new();
    for id in EndpointId::ALL {
        let (state, decided) = endpoint(pod, id);
        endpoints.insert(id, state.as_json());
        decided_by.insert(id, decided);
        states.insert(id, state);
    }
    let beacon_url = match pod.env.get("BEACON_ENDPOINT") {
        None if pod.unread.is_some() => None,
        None => Some(DEFAULT_BEACON_URL.to_string()),
        Some(def) => def
            .text()
            .map(|t| t.trim().trim_end_matches('/').to_string()),
    };
    let proxy = pod
        .env
        .iter()
        .filter(|(name, _)| PROXY_VARS.contains(&name.to_ascii_uppercase().as_str()))
        .map(|(name, def)| EnvSetting {
            name: name.clone(),
            value: def.text().map(crate::secrets::redact_url_credentials),
            raw: def.text().map(str::to_string),
            file: def.decided.file.clone(),
            line: def.decided.line,
        })
        .collect();
    Workload {
        name,
        pods: pod.pods.clone(),
        endpoints,
        decided_by,
        beacon_url,
        proxy,
        states,
        license: pod.license,
    }
}

fn endpoint(pod: &PodEnv, id: EndpointId) -> (State, DecidedBy) {
    let built_in = |reason: &str| DecidedBy {
        key: None,
        file: None,
        line: None,
        reason: reason.to_string(),
    };
    let no_license = || {
        (
            State::Off { certain: true },
            built_in("these pods hold no license key, so they send no billing or usage payload"),
        )
    };
    // A variable the pods do not set may still come from a source that cannot
    // be read: then it cannot be told either.
    let absent = |env: &str, otherwise: (State, DecidedBy)| match &pod.unread {
        Some(source) => (
            State::Unknown,
            built_in(&format!(
                "`{env}` may come from {source}, which cannot be read"
            )),
        ),
        None => otherwise,
    };
    match id.spec().control {
        Control::AlwaysOn if pod.license => {
            (State::On { certain: true }, built_in("always on (billing)"))
        }
        Control::AlwaysOn => no_license(),
        Control::Telemetry { env, .. } => match pod.env.get(env) {
            Some(def) => from_env(def),
            None => absent(
                env,
                (
                    State::Unknown,
                    built_in(&format!(
                        "`{env}` is not set in these pods: what they do without it cannot be told"
                    )),
                ),
            ),
        },
        Control::EnvOnly { env } => match pod.env.get(env) {
            Some(def) => from_env(def),
            None if pod.license => absent(
                env,
                (
                    State::On { certain: false },
                    built_in(&format!("`{env}` unset (documented default: on)")),
                ),
            ),
            None => no_license(),
        },
    }
}

/// A switch variable's state: its text read as the services read a boolean.
fn from_env(def: &EnvDef) -> (State, DecidedBy) {
    let state = match (&def.value, def.text().and_then(parse_env_bool)) {
        (EnvVal::Text(_), Some(true)) => State::On { certain: true },
        (EnvVal::Text(_), Some(false)) => State::Off { certain: true },
        (EnvVal::NotString(_), Some(true)) => State::On { certain: false },
        (EnvVal::NotString(_), Some(false)) => State::Off { certain: false },
        _ => State::Unknown,
    };
    (state, def.decided.clone())
}

/// The installation's state of an endpoint: on in any workload. Unknown counts
/// as possibly on (the cautious reading for egress).
pub fn aggregate(workloads: &[Workload], id: EndpointId) -> (bool, bool, Option<DecidedBy>) {
    let states: Vec<(State, &Workload)> = workloads.iter().map(|w| (w.states[&id], w)).collect();
    let differ = concerned(workloads, id)
        .collect::<Vec<_>>()
        .windows(2)
        .any(|pair| pair[0].states[&id] != pair[1].states[&id]);
    // When the pods disagree, the decision names the ones it is about.
    let pick = |wanted: fn(State) -> bool| {
        states.iter().find(|(s, _)| wanted(*s)).map(|(_, w)| {
            let mut decided = w.decided_by[&id].clone();
            if differ {
                decided.reason = format!("in {}: {}", w.name, decided.reason);
            }
            decided
        })
    };
    let certain = states.iter().all(|(s, _)| match s {
        State::On { certain } | State::Off { certain } => *certain,
        State::Unknown => false,
    });
    if let Some(decided) = pick(|s| matches!(s, State::On { certain: true })) {
        return (true, true, Some(decided));
    }
    if let Some(decided) = pick(|s| matches!(s, State::On { certain: false } | State::Unknown)) {
        return (true, false, Some(decided));
    }
    (false, certain, pick(|s| matches!(s, State::Off { .. })))
}

/// True when the workloads say different things about some endpoint (one on,
/// another off; for the payloads that carry the license, among the pods that
/// hold it) or use different Beacon URLs.
pub fn disagree(workloads: &[Workload]) -> bool {
    EndpointId::ALL.into_iter().any(|id| {
        let on = concerned(workloads, id).any(|w| w.endpoints[&id] == Some(true));
        let off = concerned(workloads, id).any(|w| w.endpoints[&id] == Some(false));
        on && off
    }) || workloads
        .windows(2)
        .any(|pair| pair[0].beacon_url != pair[1].beacon_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(value: EnvVal) -> EnvDef {
        EnvDef {
            value,
            decided: DecidedBy {
                key: None,
                file: None,
                line: None,
                reason: "test".into(),
            },
        }
    }

    fn pod(license: bool, vars: &[(&str, EnvVal)]) -> PodEnv {
        PodEnv {
            pods: vec!["p".into()],
            license,
            unread: None,
            env: vars
                .iter()
                .map(|(k, v)| ((*k).to_string(), def(v.clone())))
                .collect(),
        }
    }

    #[test]
    fn beacon_variables_are_tracked() {
        for name in [
            "BEACON_ENDPOINT",
            "PHONE_HOME_USAGE_REPORTING_ENABLED",
            "https_proxy",
            "NO_PROXY",
        ] {
            assert!(tracked(name), "{name}");
        }
        assert!(!tracked("LOG_LEVEL") && !tracked("LANGSMITH_LICENSE_KEY"));
        assert!(!tracked("BEACON_SOMETHING_ELSE"));
    }

    #[test]
    fn switches_are_read_from_the_environment() {
        let w = evaluate(
            "w".into(),
            &pod(
                true,
                &[
                    ("BEACON_METRICS_ENABLED", EnvVal::Text("false".into())),
                    ("BEACON_TRACING_ENABLED", EnvVal::Unknown),
                    ("BEACON_LOGGING_ENABLED", EnvVal::NotString("true".into())),
                ],
            ),
        );
        assert_eq!(w.endpoints[&EndpointId::Metrics], Some(false));
        assert_eq!(w.endpoints[&EndpointId::Traces], None);
        assert_eq!(w.states[&EndpointId::Logs], State::On { certain: false });
        assert_eq!(w.endpoints[&EndpointId::Verify], Some(true));
        assert_eq!(
            w.states[&EndpointId::UsageSnapshot],
            State::On { certain: false }
        );
        assert_eq!(w.beacon_url.as_deref(), Some(DEFAULT_BEACON_URL));
    }

    #[test]
    fn pods_without_a_license_send_no_billing_and_unset_switches_are_unknown() {
        let w = evaluate(
            "w".into(),
            &pod(false, &[("BEACON_ENDPOINT", EnvVal::Unknown)]),
        );
        assert_eq!(w.endpoints[&EndpointId::Verify], Some(false));
        assert_eq!(w.endpoints[&EndpointId::UsageSnapshot], Some(false));
        assert_eq!(w.endpoints[&EndpointId::Metrics], None);
        assert_eq!(w.beacon_url, None);
    }

    #[test]
    fn on_in_any_workload_is_on() {
        let off = evaluate(
            "a".into(),
            &pod(
                true,
                &[("BEACON_METRICS_ENABLED", EnvVal::Text("false".into()))],
            ),
        );
        let on = evaluate(
            "b".into(),
            &pod(
                false,
                &[("BEACON_METRICS_ENABLED", EnvVal::Text("true".into()))],
            ),
        );
        assert!(!aggregate(std::slice::from_ref(&off), EndpointId::Metrics).0);
        let (enabled, certain, _) = aggregate(&[off.clone(), on.clone()], EndpointId::Metrics);
        assert!(enabled && certain);
        assert!(disagree(&[off, on]));
    }
}
