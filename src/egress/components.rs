//! Each workload's environment, built from the values as the chart builds it
//! ([`chart::Recipe`]), with an error for every name one pod gets twice (Helm's
//! `Duplicate keys detected`), then the pods grouped where the values treat them
//! alike and read with [`workloads::evaluate`].

use std::collections::{BTreeMap, HashMap, HashSet};

use super::chart::{APP_ENV, COMPONENTS, Component, Recipe, SMITHDB_TELEMETRY, When};
use super::env::{EnvValue, EnvVar};
use super::telemetry::Flag;
use super::workloads::{self, EnvDef, EnvVal, PodEnv, Workload, tracked};
use super::{Analysis, Pos, Value};

/// One env list a workload gets, named as messages name it.
struct List<'l, 'a> {
    /// `commonEnv`, `smithdb.commonEnv`, `backend.deployment.extraEnv`.
    name: String,
    /// Its entries.
    vars: &'l [EnvVar<'a>],
    /// The names it sets, for the lists many pods share: built once, not once
    /// a pod (a million-entry `commonEnv` made sixteen million insertions).
    names: Option<&'l HashSet<&'l str>>,
}

/// A name one pod would get twice: where the user wrote it, and in which pods.
struct Collision {
    name: String,
    pos: Pos,
    lists: (String, String),
    pods: Vec<&'static str>,
}

impl<'a> Analysis<'a> {
    /// Every workload the chart renders, grouped where the values treat the pods
    /// alike, with what each group sends.
    pub(super) fn workloads(&mut self, flags: &[Flag], common: &[EnvVar<'a>]) -> Vec<Workload> {
        let smithdb_on = self.enabled(When::Key(&["smithdb", "enabled"], false));
        let smithdb_common = if smithdb_on {
            self.env_list(&["smithdb", "commonEnv"], true)
        } else {
            if let Some(found) = self
                .values
                .get(&["smithdb", "commonEnv"])
                .filter(|f| matches!(&f.node.value, Value::Seq(items) if !items.is_empty()))
            {
                self.warn(
                    "smithdb-commonenv-unused",
                    Some(found.key_pos),
                    "`smithdb.commonEnv` is set, but `smithdb.enabled` is not true: it reaches no pod".to_string(),
                    "turn SmithDB on, or remove the list:\nsmithdb:\n  enabled: true".to_string(),
                );
            }
            Vec::new()
        };
        let custom_ca = ["secretName", "secretKey"].iter().all(|k| {
            self.values
                .get(&["config", "customCa", k])
                .is_some_and(|f| matches!(&f.node.value, Value::Str(s) if !s.is_empty()))
        });
        let mut collisions: Vec<Collision> = Vec::new();
        let mut index: HashMap<(String, Pos, String), usize> = HashMap::new();
        let mut pods: Vec<PodEnv> = Vec::new();
        let shared: (HashSet<&str>, HashSet<&str>) = (
            common.iter().map(|v| v.name.as_str()).collect(),
            smithdb_common.iter().map(|v| v.name.as_str()).collect(),
        );
        for component in COMPONENTS {
            if !self.enabled(component.when) {
                continue;
            }
            let extra = self.env_list(component.extra_env, component.checks_duplicates);
            let lists = self.lists(
                component,
                (common, &shared.0),
                (&smithdb_common, &shared.1),
                &extra,
            );
            self.collide(component, custom_ca, &lists, &mut collisions, &mut index);
            pods.push(self.pod_env(component, flags, &lists));
        }
        for collision in collisions {
            self.duplicate_error(&collision);
        }
        group(pods)
    }

    /// Whether the chart renders a workload.
    fn enabled(&self, when: When) -> bool {
        match when {
            When::Always => true,
            When::Key(path, default) => match self.values.get(path).map(|f| &f.node.value) {
                Some(Value::Bool(b)) => *b,
                _ => default,
            },
        }
    }

    /// The env lists a workload gets, in the order the chart concatenates them.
    fn lists<'l>(
        &self,
        component: &Component,
        common: (&'l [EnvVar<'a>], &'l HashSet<&'l str>),
        smithdb_common: (&'l [EnvVar<'a>], &'l HashSet<&'l str>),
        extra: &'l [EnvVar<'a>],
    ) -> Vec<List<'l, 'a>> {
        let mut lists = Vec::new();
        if matches!(component.recipe, Recipe::App | Recipe::SmithDb) {
            lists.push(List {
                name: "commonEnv".to_string(),
                vars: common.0,
                names: Some(common.1),
            });
        }
        if component.recipe == Recipe::SmithDb {
            lists.push(List {
                name: "smithdb.commonEnv".to_string(),
                vars: smithdb_common.0,
                names: Some(smithdb_common.1),
            });
        }
        lists.push(List {
            name: component.extra_env.join("."),
            vars: extra,
            names: None,
        });
        lists
    }

    /// Records every name this workload gets twice: in two of the user's lists,
    /// or in one of them and the chart's own env.
    fn collide(
        &self,
        component: &Component,
        custom_ca: bool,
        lists: &[List<'_, 'a>],
        collisions: &mut Vec<Collision>,
        index: &mut HashMap<(String, Pos, String), usize>,
    ) {
        if !component.checks_duplicates {
            return;
        }
        let smithdb = matches!(component.recipe, Recipe::SmithDb | Recipe::SmithDbJob);
        let chart_sets = |name: &str| -> bool {
            let own = component.own_env.contains(&name)
                || (component.license && !smithdb && APP_ENV.contains(&name))
                || (custom_ca && name == "SSL_CERT_FILE" && component.recipe != Recipe::SmithDb);
            // The chart drops its own X_SERVICE_AUTH_JWT_SECRET when commonEnv
            // names it; from 0.17.0-rc.28 explicit SmithDB telemetry names win.
            let dropped = name == "X_SERVICE_AUTH_JWT_SECRET"
                || (smithdb
                    && SMITHDB_TELEMETRY.contains(&name)
                    && self.version.dedupes_smithdb_telemetry());
            own && !dropped
        };
        // The names of each list, to ask whether an earlier one sets a name: the
        // shared lists' sets are built once; a pod's own list is last, and small.
        let built: Vec<HashSet<&str>> = lists
            .iter()
            .filter(|l| l.names.is_none())
            .map(|l| l.vars.iter().map(|v| v.name.as_str()).collect())
            .collect();
        let mut own = built.iter();
        let sets: Vec<&HashSet<&str>> = lists
            .iter()
            .map(|l| l.names.or_else(|| own.next()).expect("one set a list"))
            .collect();
        for (i, list) in lists.iter().enumerate() {
            for var in list.vars {
                // A name twice in one list is that list's own error (env_list).
                let earlier = if chart_sets(&var.name) {
                    Some("the chart")
                } else {
                    (0..i)
                        .find(|&j| sets[j].contains(var.name.as_str()))
                        .map(|j| lists[j].name.as_str())
                };
                if let Some(earlier) = earlier {
                    let key = (var.name.clone(), var.pos, earlier.to_string());
                    match index.get(&key) {
                        Some(&at) => collisions[at].pods.push(component.name),
                        None => {
                            index.insert(key, collisions.len());
                            collisions.push(Collision {
                                name: var.name.clone(),
                                pos: var.pos,
                                lists: (earlier.to_string(), list.name.clone()),
                                pods: vec![component.name],
                            });
                        }
                    }
                }
            }
        }
    }

    fn duplicate_error(&mut self, c: &Collision) {
        let (earlier, later) = &c.lists;
        let pods = if c.pods.len() > 4 {
            format!("{} and {} more", c.pods[..3].join(", "), c.pods.len() - 3)
        } else {
            c.pods.join(", ")
        };
        let message = if earlier == "the chart" {
            format!(
                "`{later}` sets `{}`, which the chart also sets in the {pods} pods: Helm refuses to render (\"Duplicate keys detected: [{}]\")",
                c.name, c.name
            )
        } else {
            format!(
                "`{later}` sets `{}`, which `{earlier}` also gives the {pods} pods: Helm refuses to render (\"Duplicate keys detected: [{}]\")",
                c.name, c.name
            )
        };
        let hint = match c.name.as_str() {
            "LANGSMITH_LICENSE_KEY" => "remove the entry and set `config.langsmithLicenseKey`, or keep the key in the Secret named by `config.existingSecretName`".to_string(),
            "API_KEY_SALT" => "remove the entry and set `config.apiKeySalt`".to_string(),
            name if SMITHDB_TELEMETRY.contains(&name) => format!("remove the entry and use `config.telemetry` (SmithDB sets `{name}` from it); charts from 0.17.0-rc.28 honour it instead (--chart-version)"),
            name => format!("set `{name}` in one place only"),
        };
        self.error("duplicate-env", Some(c.pos), message, hint);
    }

    /// The Beacon-relevant environment one workload gets: the ConfigMap through
    /// `envFrom`, then the env entries in order (a later entry wins, and `env`
    /// beats `envFrom`).
    fn pod_env(&self, component: &Component, flags: &[Flag], lists: &[List<'_, 'a>]) -> PodEnv {
        let mut env: BTreeMap<String, EnvDef> = BTreeMap::new();
        let smithdb = matches!(component.recipe, Recipe::SmithDb | Recipe::SmithDbJob);
        let flag = |key: &str| {
            flags
                .iter()
                .find(|f| f.key == key)
                .and_then(|f| f.def.clone())
        };
        if smithdb {
            // SmithDB sets its flags itself, in `env`: logs and traces from the
            // switches, PHONE_HOME_ENABLED on when either is; no metrics flag.
            for (name, key) in [
                ("BEACON_LOGGING_ENABLED", "logs"),
                ("BEACON_TRACING_ENABLED", "traces"),
            ] {
                if let Some(def) = flag(key) {
                    env.insert(name.to_string(), def);
                }
            }
            let phone_home = match (flag("logs"), flag("traces")) {
                (Some(l), Some(t)) => match (l.text(), t.text()) {
                    (Some(a), Some(b)) => Some(EnvDef {
                        value: EnvVal::Text((a == "true" || b == "true").to_string()),
                        decided: self.decided(
                            Some("config.telemetry".to_string()),
                            self.values.get(&["config", "telemetry"]).map(|f| f.key_pos),
                            "on when `config.telemetry.logs` or `traces` is",
                        ),
                    }),
                    _ => Some(l),
                },
                _ => None,
            };
            if let Some(def) = phone_home {
                env.insert("PHONE_HOME_ENABLED".to_string(), def);
            }
        } else {
            for f in flags {
                if let Some(def) = &f.def {
                    env.insert(f.env.to_string(), def.clone());
                }
            }
        }
        for list in lists {
            for var in list.vars.iter().filter(|v| tracked(&v.name)) {
                let overrides = flags
                    .iter()
                    .find(|f| f.env == var.name && f.def.is_some() && !smithdb)
                    .map(|f| format!("config.telemetry.{}", f.key));
                let mut def = var.def(self, &list.name, overrides.as_deref());
                // A reference to the chart's own ConfigMap (`<release>-langsmith-config`)
                // reads the switch it renders there.
                if let EnvValue::From(Some((map, key))) = var.value {
                    if let Some(flag) = flags
                        .iter()
                        .filter(|_| map.ends_with("-langsmith-config"))
                        .find(|f| f.env == key)
                        .and_then(|f| f.def.as_ref())
                    {
                        def.value = flag.value.clone();
                        def.decided.reason = format!(
                            "`{}` from the chart's ConfigMap `{map}` key `{key}`, which {}",
                            var.name, flag.decided.reason
                        );
                    }
                }
                env.insert(var.name.clone(), def);
            }
        }
        PodEnv {
            pods: vec![component.name.to_string()],
            license: component.license,
            env,
            unread: None,
        }
    }
}

/// The pods with the same Beacon environment, each group named: `langsmith` for
/// the one with the backend, `smithdb` for SmithDB services alone, else the pods.
fn group(pods: Vec<PodEnv>) -> Vec<Workload> {
    let mut groups: Vec<PodEnv> = Vec::new();
    for pod in pods {
        match groups.iter_mut().find(|g| g.env == pod.env) {
            Some(g) => {
                g.pods.extend(pod.pods);
                g.license |= pod.license;
            }
            None => groups.push(pod),
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let name = if g.pods.iter().any(|p| p == "backend") {
                "langsmith".to_string()
            } else if g.pods.iter().all(|p| p.starts_with("smithdb-")) && g.pods.len() > 1 {
                "smithdb".to_string()
            } else {
                g.pods.join("+")
            };
            workloads::evaluate(name, &g)
        })
        .collect()
}
