//! The one shape of everything beacon-cli has to say about an input or an event:
//! a trap in the values, a finding in a payload, a failed send, a bad flag.
//!
//! A [`Diagnostic`] has a severity, a stable code, a message, where it is, and the
//! fix. Reports carry them as data (`warnings[]`, `findings[]` in JSON); the
//! output boundary renders them for people ([`crate::output::Output::diagnostic`]).

use serde::Serialize;

/// How bad it is. The order is the order of importance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Helm or a receiver refuses it, data is lost, or the command failed.
    Error,
    /// Valid, but not what it seems: data is lost or something may leave that should not.
    Warning,
    /// Worth knowing; nothing is lost.
    Info,
    /// Not about conformance: about a documented policy (what LangSmith says it
    /// sends to Beacon). Outside the error-warning-info ladder: only `validate
    /// --deny policy` fails on it.
    Policy,
    /// A fact about what beacon-cli did.
    Note,
}

impl Severity {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Policy => "policy",
            Severity::Note => "note",
        }
    }
}

/// Where a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Location {
    /// A place in a values file or manifest: `file` is null for a chart default
    /// or a built-in fact, `line` and `column` are null for a flag.
    Values {
        /// The file (or `--set KEY`).
        file: Option<String>,
        /// 1-based line.
        line: Option<u32>,
        /// 1-based column.
        column: Option<u32>,
    },
    /// A value inside a request body.
    Body {
        /// The JSON pointer of the value.
        pointer: String,
        /// 1-based line in the file; null for protobuf input.
        line: Option<u32>,
        /// 1-based column, in characters; null for protobuf input.
        column: Option<u32>,
    },
    /// Nowhere in particular.
    Nowhere {},
}

impl Location {
    /// `file:line:column` (or as much of it as is known), for people; `None`
    /// when there is no place to show.
    pub fn shown(&self) -> Option<String> {
        match self {
            Location::Values {
                file: Some(file),
                line,
                column,
            } => Some(match (line, column) {
                (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
                (Some(l), None) => format!("{file}:{l}"),
                _ => file.clone(),
            }),
            Location::Body { pointer, .. } => Some(if pointer.is_empty() {
                "/".to_string()
            } else {
                pointer.clone()
            }),
            Location::Values { file: None, .. } | Location::Nowhere {} => None,
        }
    }
}

/// Something to say, with its place and its fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How bad it is.
    pub severity: Severity,
    /// A short stable code (`quoted-boolean`, `span-id-length`).
    pub code: &'static str,
    /// What is wrong, or what happened.
    pub message: String,
    /// Where.
    #[serde(flatten)]
    pub location: Location,
    /// What to do about it; a block of corrected YAML may follow the first line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic that points nowhere and has no hint yet.
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            location: Location::Nowhere {},
            hint: None,
        }
    }

    /// An error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// A note.
    pub fn note(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, code, message)
    }

    /// Points it at a place.
    pub fn at(mut self, location: Location) -> Self {
        self.location = location;
        self
    }

    /// Adds the fix.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The JSON pointer, for a diagnostic about a request body.
    pub fn pointer(&self) -> Option<&str> {
        match &self.location {
            Location::Body { pointer, .. } => Some(pointer),
            _ => None,
        }
    }

    /// The line, wherever it points.
    pub fn line(&self) -> Option<u32> {
        match &self.location {
            Location::Values { line, .. } | Location::Body { line, .. } => *line,
            Location::Nowhere {} => None,
        }
    }

    /// The file, for a diagnostic about a values file or manifest.
    pub fn file(&self) -> Option<&str> {
        match &self.location {
            Location::Values { file, .. } => file.as_deref(),
            _ => None,
        }
    }
}

/// The distinct codes of some diagnostics, in first-seen order, for a summary
/// line: `misspelt-key, quoted-boolean`.
pub fn distinct_codes<'a>(found: impl IntoIterator<Item = &'a Diagnostic>) -> String {
    let mut codes: Vec<&str> = Vec::new();
    for diagnostic in found {
        if !codes.contains(&diagnostic.code) {
            codes.push(diagnostic.code);
        }
    }
    codes.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_serialise_as_flat_fields() {
        let warning = Diagnostic::warning("quoted-boolean", "a string")
            .at(Location::Values {
                file: Some("prod.yaml".into()),
                line: Some(4),
                column: Some(14),
            })
            .hint("drop the quotes");
        let json = serde_json::to_value(&warning).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"severity": "warning", "code": "quoted-boolean", "message": "a string",
                "file": "prod.yaml", "line": 4, "column": 14, "hint": "drop the quotes"})
        );
        let finding = Diagnostic::error("span-id-length", "short").at(Location::Body {
            pointer: "/a/0".into(),
            line: None,
            column: None,
        });
        let json = serde_json::to_value(&finding).unwrap();
        assert_eq!(json["pointer"], "/a/0");
        assert!(json.get("hint").is_none() && json.get("file").is_none());
        assert_eq!(warning.location.shown().as_deref(), Some("prod.yaml:4:14"));
    }
}
