//! What the LangSmith chart does with the values, as far as Beacon is concerned:
//! which workloads it renders, how each one's environment is built, which names it
//! sets itself, and the rules that changed between chart versions.
//!
//! Read off chart 0.17.0-rc.12's templates and checked against real renders
//! (`fixtures/helm-corpus/`, made by Helm 4.1.4): the app pods get `commonEnv`, the
//! ConfigMap's `BEACON_*_ENABLED` flags through `envFrom`, and their own
//! `extraEnv`; playground and ace-backend get no `commonEnv`; the SmithDB services
//! get `commonEnv` and `smithdb.commonEnv` but no ConfigMap, and set their own
//! `BEACON_LOGGING_ENABLED`, `BEACON_TRACING_ENABLED` and `PHONE_HOME_ENABLED`.

use semver::Version;

/// The chart whose defaults and templates beacon-cli knows.
pub const EMBEDDED: &str = "0.17.0-rc.12";

/// How a workload's environment is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// `commonEnv`, the chart's env, its `extraEnv`; the ConfigMap through `envFrom`.
    App,
    /// The chart's env and its `extraEnv`; the ConfigMap; no `commonEnv`.
    Sandboxed,
    /// The chart's SmithDB env, `commonEnv`, `smithdb.commonEnv`, its `extraEnv`; no ConfigMap.
    SmithDb,
    /// The chart's SmithDB env and its `extraEnv` only (the metastore migration Job).
    SmithDbJob,
}

/// When the chart renders a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Always.
    Always,
    /// When this boolean key is true (its default given).
    Key(&'static [&'static str], bool),
}

/// One workload of the chart.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    /// Its name in the render, after `<release>-langsmith-`.
    pub name: &'static str,
    /// How its environment is built.
    pub recipe: Recipe,
    /// Where its own `extraEnv` list is in the values.
    pub extra_env: &'static [&'static str],
    /// Whether the chart gives it `LANGSMITH_LICENSE_KEY`.
    pub license: bool,
    /// Names the chart itself sets in it, beyond the ones every app pod gets.
    pub own_env: &'static [&'static str],
    /// When it is rendered.
    pub when: When,
    /// Whether the chart checks its env for duplicate names (the e2e-test Job does not).
    pub checks_duplicates: bool,
}

/// Names the chart sets in every app pod that holds the license (the backend family).
pub const APP_ENV: &[&str] = &[
    "POSTGRES_DATABASE_URI",
    "FLEET_FEATURE_ENABLED",
    "REDIS_CLUSTER_ENABLED",
    "REDIS_DATABASE_URI",
    "REDIS_CLUSTER_SAFE_MODE",
    "CLICKHOUSE_HYBRID",
    "CLICKHOUSE_DB",
    "CLICKHOUSE_HOST",
    "CLICKHOUSE_PORT",
    "CLICKHOUSE_NATIVE_PORT",
    "CLICKHOUSE_USER",
    "CLICKHOUSE_PASSWORD",
    "CLICKHOUSE_TLS",
    "CLICKHOUSE_CLUSTER",
    "LOG_LEVEL",
    "LANGSMITH_LICENSE_KEY",
    "API_KEY_SALT",
    "BASIC_AUTH_ENABLED",
    "BASIC_AUTH_JWT_SECRET",
    "FF_ORG_CREATION_DISABLED",
    "FF_PERSONAL_ORGS_DISABLED",
    "FF_TRACE_TIERS_ENABLED",
    "FF_UPGRADE_TRACE_TIER_ENABLED",
    "TRACE_TIER_TTL_DURATION_SEC_MAP",
    "FF_CH_SEARCH_ENABLED",
    "REDIS_RUNS_EXPIRY_SECONDS",
    "LANGGRAPH_CLOUD_LICENSE_KEY",
    "ENABLE_LGP_DEPLOYMENT_HEALTH_CHECK",
    "ENABLE_UNCAPPED_LGP_DEPLOYMENT_RESOURCES",
    "GO_QUEUE_ENABLED_ALL",
    "GO_FEEDBACK_QUEUE_ENABLED_ALL",
    "FF_PERSIST_BATCHED_RUNS_SUCCESS_LOGGING",
    "CLIO_ENCRYPTION_KEY",
    "CLIO_ENCRYPTION_KEY_PREVIOUS",
    "POLLY_ENCRYPTION_KEY",
];

/// Names the chart sets in every SmithDB pod.
pub const SMITHDB_ENV: &[&str] = &[
    "BEACON_LOGGING_ENABLED",
    "BEACON_TRACING_ENABLED",
    "PHONE_HOME_ENABLED",
    "LANGSMITH_LICENSE_KEY",
    "NODE_IP",
    "NODE_NAME",
    "POD_NAME",
    "POD_UID",
    "POD_IP",
    "CONTAINER_NAME",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "_RJEM_MALLOC_CONF",
];

/// The SmithDB telemetry names the chart stops duplicating from 0.17.0-rc.28
/// (langchain-ai/helm pull request 1035): explicit settings win from then on.
pub const SMITHDB_TELEMETRY: &[&str] = &[
    "BEACON_LOGGING_ENABLED",
    "BEACON_TRACING_ENABLED",
    "PHONE_HOME_ENABLED",
];

const FLEET: When = When::Key(&["fleet", "enabled"], false);
const SMITHDB: When = When::Key(&["smithdb", "enabled"], false);

macro_rules! app {
    ($name:literal, [$($path:literal),+], $own:expr) => {
        Component {
            name: $name,
            recipe: Recipe::App,
            extra_env: &[$($path),+],
            license: true,
            own_env: $own,
            when: When::Always,
            checks_duplicates: true,
        }
    };
}

macro_rules! smithdb {
    ($name:literal, $key:literal) => {
        Component {
            name: $name,
            recipe: Recipe::SmithDb,
            extra_env: &["smithdb", $key, "deployment", "extraEnv"],
            license: true,
            own_env: SMITHDB_ENV,
            when: SMITHDB,
            checks_duplicates: true,
        }
    };
}

/// The workloads that run LangSmith code, in the order the chart lists them.
/// Datastores (ClickHouse, Postgres, Redis) get `commonEnv` too but send nothing
/// to Beacon, so they are left out.
pub const COMPONENTS: &[Component] = &[
    app!(
        "backend",
        ["backend", "deployment", "extraEnv"],
        &[
            "PORT",
            "CLIO_LANGGRAPH_URL",
            "CLIO_ASSISTANT_ID",
            "X_SERVICE_AUTH_JWT_SECRET"
        ]
    ),
    app!(
        "queue",
        ["queue", "deployment", "extraEnv"],
        &[
            "PORT",
            "REDIS_MAX_CONNECTIONS",
            "ASYNCPG_POOL_MAX_SIZE",
            "CLIO_LANGGRAPH_URL",
            "CLIO_ASSISTANT_ID"
        ]
    ),
    app!(
        "ingest-queue",
        ["ingestQueue", "deployment", "extraEnv"],
        &["QUEUE_PORT", "ASYNCPG_POOL_MAX_SIZE"]
    ),
    app!(
        "platform-backend",
        ["platformBackend", "deployment", "extraEnv"],
        &["PORT", "LANGSMITH_SIGNING_JWKS"]
    ),
    Component {
        name: "frontend",
        recipe: Recipe::App,
        extra_env: &["frontend", "deployment", "extraEnv"],
        license: false,
        own_env: &[
            "VITE_SELF_HOSTED_CLIO_ENABLED",
            "VITE_SELF_HOSTED_POLLY_ENABLED",
        ],
        when: When::Always,
        checks_duplicates: true,
    },
    app!(
        "standalone-insights-api-server",
        ["engineInsightsAgent", "apiServer", "deployment", "extraEnv"],
        &[
            "PORT",
            "POSTGRES_URI",
            "REDIS_URI",
            "LANGSMITH_TRACING",
            "N_JOBS_PER_WORKER"
        ]
    ),
    app!(
        "standalone-insights-queue",
        ["engineInsightsAgent", "queue", "deployment", "extraEnv"],
        &[
            "POSTGRES_URI",
            "REDIS_URI",
            "LANGSMITH_TRACING",
            "N_JOBS_PER_WORKER"
        ]
    ),
    app!(
        "standalone-polly-api-server",
        ["polly", "apiServer", "deployment", "extraEnv"],
        &[
            "PORT",
            "POSTGRES_URI",
            "REDIS_URI",
            "LANGSMITH_TRACING",
            "N_JOBS_PER_WORKER",
            "LANGSMITH_ENDPOINT",
            "LANGSMITH_DISABLE_RUN_COMPRESSION"
        ]
    ),
    app!(
        "standalone-polly-queue",
        ["polly", "queue", "deployment", "extraEnv"],
        &[
            "POSTGRES_URI",
            "REDIS_URI",
            "LANGSMITH_TRACING",
            "N_JOBS_PER_WORKER",
            "LANGSMITH_ENDPOINT",
            "LANGSMITH_DISABLE_RUN_COMPRESSION"
        ]
    ),
    app!(
        "backend-auth-bootstrap",
        ["backend", "authBootstrap", "extraEnv"],
        &[
            "INITIAL_ORG_ADMIN_EMAIL",
            "INITIAL_ORG_ADMIN_PASSWORD",
            "INITIAL_ORG_NAME",
            "DEFAULT_WORKSPACE_NAME"
        ]
    ),
    app!(
        "backend-backfill-check",
        ["backend", "backfillCheck", "extraEnv"],
        &["LANGSMITH_APP_VERSION"]
    ),
    app!(
        "backend-ch-migrations",
        ["backend", "clickhouseMigrations", "extraEnv"],
        &[]
    ),
    app!(
        "backend-migrations",
        ["backend", "migrations", "extraEnv"],
        &[]
    ),
    Component {
        name: "e2e-test",
        recipe: Recipe::App,
        extra_env: &["backend", "e2eTest", "extraEnv"],
        license: true,
        own_env: &["CLIO_LANGGRAPH_URL", "CLIO_ASSISTANT_ID"],
        when: When::Always,
        checks_duplicates: false,
    },
    Component {
        name: "playground",
        recipe: Recipe::Sandboxed,
        extra_env: &["playground", "deployment", "extraEnv"],
        license: false,
        own_env: &[],
        when: When::Always,
        checks_duplicates: true,
    },
    Component {
        name: "ace-backend",
        recipe: Recipe::Sandboxed,
        extra_env: &["aceBackend", "deployment", "extraEnv"],
        license: false,
        own_env: &[],
        when: When::Always,
        checks_duplicates: true,
    },
    Component {
        when: FLEET,
        ..app!(
            "standalone-fleet-api-server",
            ["fleet", "apiServer", "deployment", "extraEnv"],
            &[
                "PORT",
                "POSTGRES_URI",
                "REDIS_URI",
                "LANGSMITH_TRACING",
                "N_JOBS_PER_WORKER"
            ]
        )
    },
    Component {
        when: FLEET,
        ..app!(
            "standalone-fleet-queue",
            ["fleet", "queue", "deployment", "extraEnv"],
            &[
                "POSTGRES_URI",
                "REDIS_URI",
                "LANGSMITH_TRACING",
                "N_JOBS_PER_WORKER"
            ]
        )
    },
    Component {
        when: FLEET,
        ..app!(
            "fleet-tool-server",
            ["fleetToolServer", "deployment", "extraEnv"],
            &[]
        )
    },
    Component {
        when: FLEET,
        ..app!(
            "fleet-trigger-server",
            ["fleetTriggerServer", "deployment", "extraEnv"],
            &[]
        )
    },
    smithdb!("smithdb-cluster-manager", "clusterManager"),
    smithdb!("smithdb-compaction", "compaction"),
    smithdb!("smithdb-compaction-worker", "compactionWorker"),
    smithdb!("smithdb-ingestion", "ingestion"),
    smithdb!("smithdb-query", "query"),
    Component {
        name: "smithdb-metastore-migration",
        recipe: Recipe::SmithDbJob,
        extra_env: &["smithdb", "metastoreMigration", "job", "extraEnv"],
        license: true,
        own_env: SMITHDB_ENV,
        when: SMITHDB,
        checks_duplicates: true,
    },
];

/// True for a workload the chart renders without `commonEnv` (playground,
/// ace-backend).
pub fn sandboxed(name: &str) -> bool {
    COMPONENTS
        .iter()
        .any(|c| c.name == name && c.recipe == Recipe::Sandboxed)
}

/// The chart version the rules follow, and what beacon-cli knows of it.
#[derive(Debug, Clone)]
pub struct ChartVersion {
    /// As given (or the embedded chart's).
    pub text: String,
    /// Parsed.
    version: Version,
    /// Whether the user named it with `--chart-version`.
    pub given: bool,
}

impl ChartVersion {
    /// The embedded chart's version.
    pub fn embedded() -> Self {
        Self::parse(EMBEDDED, false).expect("the embedded version parses")
    }

    /// A version as `--chart-version` gives it (`0.17.0-rc.28`, `v0.13.1`).
    pub fn parse(text: &str, given: bool) -> Option<Self> {
        let trimmed = text.trim().trim_start_matches('v');
        let version = Version::parse(trimmed).ok()?;
        Some(Self {
            text: trimmed.to_string(),
            version,
            given,
        })
    }

    fn at_least(&self, text: &str) -> bool {
        self.version >= Version::parse(text).expect("rule versions parse")
    }

    /// Charts 0.10.49 to 0.11.3 dropped the variable of a telemetry switch set to
    /// `false`, so the app stayed on; fixed in 0.11.4.
    pub fn ignores_false(&self) -> bool {
        self.at_least("0.10.49") && !self.at_least("0.11.4")
    }

    /// `config.telemetry.logs` exists from chart 0.13.0.
    pub fn has_logs_switch(&self) -> bool {
        self.at_least("0.13.0")
    }

    /// From 0.17.0-rc.28 the SmithDB telemetry names in `commonEnv` or
    /// `smithdb.commonEnv` replace the chart's own instead of duplicating them.
    pub fn dedupes_smithdb_telemetry(&self) -> bool {
        self.at_least("0.17.0-rc.28")
    }

    /// Whether beacon-cli has rules for this version: 0.10.0 up to the 0.17 line.
    pub fn known(&self) -> bool {
        self.at_least("0.10.0") && !self.at_least("0.18.0-0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> ChartVersion {
        ChartVersion::parse(text, true).unwrap()
    }

    #[test]
    fn rules_follow_the_version() {
        assert!(v("0.10.49").ignores_false() && v("0.11.3").ignores_false());
        assert!(!v("0.10.48").ignores_false() && !v("0.11.4").ignores_false());
        assert!(!v("0.12.9").has_logs_switch() && v("0.13.0").has_logs_switch());
        assert!(!v("0.17.0-rc.12").dedupes_smithdb_telemetry());
        assert!(v("0.17.0-rc.28").dedupes_smithdb_telemetry());
        assert!(v("v0.17.0").dedupes_smithdb_telemetry());
        assert!(v("0.17.3").known() && !v("0.18.0").known() && !v("0.9.1").known());
        assert!(ChartVersion::parse("latest", true).is_none());
        assert_eq!(ChartVersion::embedded().text, EMBEDDED);
    }

    #[test]
    fn playground_and_ace_backend_get_no_common_env() {
        assert!(sandboxed("playground") && sandboxed("ace-backend"));
        assert!(!sandboxed("backend") && !sandboxed("nothing"));
    }

    #[test]
    fn component_names_are_unique() {
        let mut names: Vec<&str> = COMPONENTS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMPONENTS.len());
    }
}
