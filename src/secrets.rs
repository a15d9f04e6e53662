//! Secrets: which values are secret, and how they are shown without being shown.
//!
//! A secret is never printed. It is named by a short fingerprint (the first eight
//! hex digits of its SHA-256), enough to tell two keys apart and to match a key the
//! operator holds, and useless for recovering it.

use sha2::{Digest, Sha256};

/// A secret value. Its `Debug` and `Display` print the redaction marker, so a
/// secret cannot reach a log or an error message by accident; [`Secret::expose`]
/// is the one way to the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the request body and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The short fingerprint.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.0)
    }

    /// The marker shown in its place.
    pub fn marker(&self) -> String {
        redacted(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.marker())
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.marker())
    }
}

/// Replaces every occurrence of each secret in `text` with its marker.
pub fn redact_all(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if !secret.expose().is_empty() {
            out = out.replace(secret.expose(), &secret.marker());
        }
    }
    out
}

/// Value keys that hold secrets, as dotted paths in the values file.
pub const SECRET_KEYS: &[&str] = &[
    "config.langsmithLicenseKey",
    "config.apiKeySalt",
    "config.basicAuth.jwtSecret",
    "config.basicAuth.initialOrgAdminPassword",
    "config.oauth.oauthClientSecret",
];

/// Environment variables whose values are secrets.
pub const SECRET_ENV: &[&str] = &["LANGSMITH_LICENSE_KEY", "API_KEY_SALT"];

/// A short, stable fingerprint of a secret: `sha256:` and eight hex digits.
pub fn fingerprint(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The marker printed in place of a secret.
pub fn redacted(secret: &str) -> String {
    format!("<redacted {}>", fingerprint(secret))
}

/// True for a variable name that may carry a secret: the known ones, and any
/// name that says it is a password, secret, token or key.
pub fn is_secret_env(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_ENV.contains(&upper.as_str())
        || ["PASSWORD", "SECRET", "TOKEN", "_KEY"]
            .iter()
            .any(|word| upper.contains(word))
}

/// A URL with any `user:password@` credentials replaced by a marker, for proxy
/// URLs. Text that is not a URL is returned as is.
pub fn redact_url_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => format!(
            "{}://{}@{}",
            &url[..scheme_end],
            redacted(&authority[..at]),
            &rest[at + 1..]
        ),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_short_stable_and_distinct() {
        let a = fingerprint("lic-AAAA");
        assert_eq!(a, fingerprint("lic-AAAA"));
        assert_ne!(a, fingerprint("lic-AAAB"));
        assert_eq!(a.len(), "sha256:".len() + 8);
        assert!(!a.contains("AAAA"));
    }

    #[test]
    fn proxy_credentials_are_redacted() {
        let shown = redact_url_credentials("http://bob:hunter2@proxy.corp:3128/path");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.starts_with("http://<redacted sha256:"));
        assert!(shown.ends_with("@proxy.corp:3128/path"));
        assert_eq!(
            redact_url_credentials("http://proxy.corp:3128"),
            "http://proxy.corp:3128"
        );
    }

    #[test]
    fn secrets_never_print_themselves() {
        let secret = Secret::new("lic-AAAA");
        assert!(!format!("{secret} {secret:?}").contains("AAAA"));
        assert_eq!(secret.expose(), "lic-AAAA");
        let text = redact_all("{\"license\": \"lic-AAAA\"}", &[&secret]);
        assert!(!text.contains("AAAA") && text.contains("<redacted sha256:"));
    }

    #[test]
    fn secret_env_names() {
        assert!(is_secret_env("LANGSMITH_LICENSE_KEY"));
        assert!(is_secret_env("db_password"));
        assert!(!is_secret_env("HTTPS_PROXY"));
        assert!(!is_secret_env("BEACON_METRICS_ENABLED"));
    }
}
