//! What a person sees in a real terminal (issue 11): run under a pseudo-terminal
//! (`script`, from util-linux) sized with `stty`, at 60, 80 and 120 columns and at
//! 0×0 (CI runners, `docker -t`), with colour on and off. No line may run past the
//! width unless it is one word that cannot be cut; no URL or id is cut; no colour
//! code is split or left open at the end of a line.

use crate::common;

use std::path::Path;

use common::fixture;
use unicode_width::UnicodeWidthStr;

/// Runs beacon-cli in a pseudo-terminal of `cols`×40 (0 for 0×0) and returns what
/// it printed, with `\r\n` turned back into `\n`.
fn in_terminal(dir: &Path, cols: u16, columns_env: Option<&str>, args: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("beacon-cli");
    let rows = if cols == 0 { 0 } else { 40 };
    let script = format!(
        "stty cols {cols} rows {rows}; exec {} {args}",
        bin.display()
    );
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qfec", &script, "/dev/null"]).current_dir(dir);
    for var in [
        "NO_COLOR",
        "COLUMNS",
        "LANGSMITH_CONFIG",
        "LANGSMITH_LICENSE_KEY",
        "BEACON_URL",
    ] {
        cmd.env_remove(var);
    }
    if let Some(columns) = columns_env {
        cmd.env("COLUMNS", columns);
    }
    let out = cmd.output().expect("script runs");
    String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n")
}

/// The text without its colour codes, and a check that every line's codes are
/// whole and closed by the end of the line.
fn plain(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let (mut colour, mut weight) = (false, false);
        let mut rest = line;
        let mut visible = String::new();
        while let Some(at) = rest.find('\u{1b}') {
            visible.push_str(&rest[..at]);
            let code = &rest[at..];
            let end = code
                .find('m')
                .unwrap_or_else(|| panic!("a colour code cut at the end of {line:?}"));
            let params = &code[2..end];
            assert!(code.starts_with("\u{1b}["), "{line:?}");
            assert!(
                params.bytes().all(|b| b.is_ascii_digit() || b == b';'),
                "a colour code broken in {line:?}"
            );
            // Colour opens with 3x, 9x or 38;..; bold and dim with 1 and 2.
            // 0 closes all; 39 the colour; 22 bold and dim.
            let first = params.split(';').next().unwrap_or("0");
            match first {
                "" | "0" => (colour, weight) = (false, false),
                "39" => colour = false,
                "22" => weight = false,
                "1" | "2" => weight = true,
                _ => colour = true,
            }
            rest = &code[end + 1..];
        }
        visible.push_str(rest);
        assert!(
            !colour && !weight,
            "a style left open at the end of {line:?}"
        );
        assert!(
            !visible.contains("[0m") && !visible.contains("[1m"),
            "{line:?}"
        );
        out.push_str(&visible);
        out.push('\n');
    }
    out
}

fn assert_fits(text: &str, width: usize, what: &str) {
    for line in text.lines() {
        let shown = line.width();
        if shown <= width {
            continue;
        }
        // Only one word that is longer than the line itself may run past it.
        assert_eq!(
            line.split_whitespace().count(),
            1,
            "{what}: a {shown}-column line at {width}: {line:?}"
        );
    }
}

fn assert_whole_words(text: &str, what: &str) {
    let urls = text
        .matches("https://beacon.langchain.com/v1/beacon/")
        .count();
    assert_eq!(urls, 6, "{what}: six whole endpoint URLs:\n{text}");
    for id in ["ingest-traces", "usage-snapshot"] {
        assert!(text.contains(id), "{what}: `{id}` whole:\n{text}");
    }
    assert!(
        !text.contains("usage-\n") && !text.contains("beaco\n"),
        "{what}"
    );
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("values/commonenv-override.yaml"),
        dir.path().join("langsmith_config.yaml"),
    )
    .unwrap();
    dir
}

#[test]
fn show_config_fits_the_terminal_with_colour_on_and_off() {
    let dir = setup();
    for cols in [60u16, 80, 120] {
        for colour in ["always", "never"] {
            let what = format!("{cols} columns, colour {colour}");
            let raw = in_terminal(
                dir.path(),
                cols,
                None,
                &format!("show-config --color {colour}"),
            );
            if colour == "always" {
                assert!(raw.contains('\u{1b}'), "{what}: coloured");
            } else {
                assert!(!raw.contains('\u{1b}'), "{what}: not coloured");
            }
            let text = plain(&raw);
            assert_fits(&text, usize::from(cols), &what);
            assert_whole_words(&text, &what);
            assert!(text.contains("warning[override-misses-pods]"), "{what}");
        }
    }
}

#[test]
fn a_terminal_that_reports_0x0_falls_back_to_columns_then_100() {
    let dir = setup();
    let text = plain(&in_terminal(
        dir.path(),
        0,
        None,
        "show-config --color never",
    ));
    assert_fits(&text, 100, "0×0");
    assert_whole_words(&text, "0×0");
    assert!(
        text.lines().any(|l| l.width() > 80),
        "100 columns are used, not one per character"
    );
    let text = plain(&in_terminal(
        dir.path(),
        0,
        Some("70"),
        "show-config --color never",
    ));
    assert_fits(&text, 70, "0×0 with COLUMNS=70");
    assert_whole_words(&text, "0×0 with COLUMNS=70");
}

#[test]
fn the_other_tables_fit_too() {
    let dir = setup();
    for (args, what) in [
        ("payloads --color always", "payloads"),
        (
            "validate --all-samples --color always",
            "validate --all-samples",
        ),
    ] {
        for cols in [60u16, 80, 120] {
            let text = plain(&in_terminal(dir.path(), cols, None, args));
            // The published bodies after the table are printed byte for byte.
            let table = text.split("\n# ").next().unwrap();
            assert_fits(table, usize::from(cols), &format!("{what} at {cols}"));
        }
    }
}
