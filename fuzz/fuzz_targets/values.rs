//! The values reader: up to two values files, merged in order over the chart's
//! defaults, then `--set` and `--set-string` expressions, as `Values::load` does.
//!
//! Input: NUL-separated parts (a values file holding a NUL is refused anyway):
//! file 1, file 2, then expressions; an expression starting with `s:` is a
//! `--set-string`, any other a `--set`.
#![no_main]

use beacon_cli::config::{self, LoadOptions, Source, SourceKind, Values, set, yaml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let files: Vec<&[u8]> = parts.by_ref().take(2).collect();
    // The chart's defaults alone: no file, no flag, no working directory.
    let mut values = Values::load(&LoadOptions::default()).expect("chart defaults");
    for file in files {
        let source = values.sources.len();
        let Ok(parsed) = yaml::parse(file, source) else {
            continue;
        };
        values.sources.push(Source {
            file: Some(format!("file {source}")),
            kind: SourceKind::File,
        });
        let mut documents = parsed.documents.into_iter();
        if let Some(mut first) = documents.next() {
            for document in documents {
                config::merge(&mut first, document);
            }
            config::merge(&mut values.root, first);
        }
    }
    // One budget of list items for every expression, as `Values::load` keeps.
    let mut created = 0;
    for expr in parts {
        let text = String::from_utf8_lossy(expr);
        let (typed, expr) = match text.strip_prefix("s:") {
            Some(rest) => (false, rest),
            None => (true, &*text),
        };
        let source = values.sources.len();
        let _ = set::keys_of(expr);
        if let Err(message) =
            set::apply_counted(&mut values.root, expr, typed, source, &mut created)
        {
            // Errors never quote a value: only the key part before a `=`.
            assert!(!message.is_empty());
        }
        values.sources.push(Source {
            file: Some(format!("--set {}", set::keys_of(expr))),
            kind: SourceKind::Set,
        });
    }
    // What every command does next with the merged tree.
    let json = values.to_json();
    let _ = serde_json::to_string(&json).expect("values serialise");
    let _ = values.secrets();
    let _ = values.get(&["config", "langsmithLicenseKey"]);
    let _ = values.get(&["commonEnv"]);
});
