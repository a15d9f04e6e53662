//! Completions and man pages, tried in the real programs: bash (its completion
//! function called as readline calls it), zsh (a TAB typed into an interactive
//! zsh on a pseudo-terminal, through its zpty module) and fish (`complete -C`);
//! the man pages rendered by groff. `scripts/test` installs zsh, fish and groff.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::beacon;

const IDS: [&str; 6] = common::IDS;
const COMMANDS: [&str; 10] = [
    "show-config",
    "payloads",
    "dry-run",
    "send",
    "doctor",
    "validate",
    "capture",
    "audit",
    "completions",
    "man",
];

/// What each shell must offer after these words (the last word is being typed).
const CASES: [(&str, &[&str]); 6] = [
    ("beacon-cli ", &COMMANDS),
    ("beacon-cli send ", &IDS),
    ("beacon-cli validate ", &IDS),
    (
        "beacon-cli dry-run --",
        &["--strict", "--output", "--license-file", "--quiet"],
    ),
    ("beacon-cli show-config -o ", &["table", "json", "yaml"]),
    ("beacon-cli man ", &COMMANDS),
];

/// The completion script for `shell`, written into `dir`.
fn script(dir: &Path, shell: &str, file: &str) -> std::path::PathBuf {
    let out = beacon(dir).args(["completions", shell]).output().unwrap();
    assert!(out.status.success());
    let path = dir.join(file);
    std::fs::write(&path, out.stdout).unwrap();
    path
}

/// A PATH where `beacon-cli` is the binary under test.
fn path_with_binary() -> String {
    let bin = assert_cmd::cargo::cargo_bin("beacon-cli");
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn shell(program: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .unwrap();
    assert!(
        found.status.success(),
        "{program} is not installed: run the tests with scripts/test, which installs it"
    );
    let mut cmd = Command::new(program);
    cmd.env("PATH", path_with_binary());
    cmd
}

fn assert_offers(shell: &str, line: &str, offered: &[String], expected: &[&str]) {
    for want in expected {
        assert!(
            offered.iter().any(|o| o == want),
            "{shell}: `{line}<TAB>` does not offer {want}; it offers {offered:?}"
        );
    }
}

#[test]
fn bash_completes_subcommands_flags_and_endpoint_ids() {
    let dir = tempfile::tempdir().unwrap();
    let file = script(dir.path(), "bash", "beacon-cli.bash");
    for (line, expected) in CASES {
        // As readline calls it: the words, the index of the word being typed,
        // then the function with the command, that word and the one before.
        let program = r#"source "$1"
function=$(complete -p beacon-cli | sed -E 's/.* -F ([^ ]+) .*/\1/')
read -ra COMP_WORDS <<< "$2"
[[ "$2" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
"$function" beacon-cli "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#;
        let offered: Vec<String> = in_shell(
            "bash",
            &["--norc", "--noprofile", "-c", program, "bash"],
            &file,
            line,
            dir.path(),
        )
        .lines()
        .map(str::to_string)
        .collect();
        assert_offers("bash", line, &offered, expected);
    }
}

/// Runs `program` with `args`, then the completion script and the line as
/// its last two arguments, in `dir`; its standard output.
fn in_shell(program: &str, args: &[&str], file: &Path, line: &str, dir: &Path) -> String {
    let out = shell(program)
        .args(args)
        .arg(file)
        .arg(line)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What fish offers after `line`: the first column of `complete -C`.
fn fish_offers(dir: &Path, file: &Path, line: &str) -> Vec<String> {
    let args = ["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"];
    in_shell("fish", &args, file, line, dir)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn fish_completes_subcommands_flags_and_endpoint_ids() {
    let dir = tempfile::tempdir().unwrap();
    let file = script(dir.path(), "fish", "beacon-cli.fish");
    for (line, expected) in CASES {
        let offered = fish_offers(dir.path(), &file, line);
        assert_offers("fish", line, &offered, expected);
        if line.ends_with(' ') && !line.contains(" -o ") {
            assert!(
                !offered.iter().any(|o| o.starts_with("beacon-cli.")),
                "fish: `{line}<TAB>` offers files: {offered:?}"
            );
        }
    }
    // Once the endpoint is given, validate's FILE is a file again.
    let offered = fish_offers(dir.path(), &file, "beacon-cli validate traces ");
    assert!(
        offered.contains(&"beacon-cli.fish".to_string()),
        "{offered:?}"
    );
}

/// Types `line` and a TAB into an interactive zsh on a pseudo-terminal (zpty),
/// with the completion script on its fpath, and returns the screen.
const ZSH_DRIVER: &str = r#"
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "stty rows 200 cols 250; PS1=''; LISTMAX=1000; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'print -r -- READY'
zpty -r z line '*READY*'
zpty -r z line '*READY*'
zpty -w -n z "$2"$'\t'
sleep 1
zpty -w -n z $'\t'
sleep 1
zpty -w z $'\C-c'
zpty -w z 'print -r -- DONE'
zpty -r z screen '*DONE*'
print -r -- "$screen"
zpty -d z
"#;

#[test]
fn zsh_completes_subcommands_flags_and_endpoint_ids() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "zsh", "_beacon-cli");
    for (line, expected) in CASES {
        let out = shell("zsh")
            .args(["-f", "-c", ZSH_DRIVER, "zsh"])
            .arg(dir.path())
            .arg(line)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let screen = String::from_utf8_lossy(&out.stdout);
        // The screen without escape sequences; each listed candidate is a word.
        let plain = strip_escapes(&screen);
        // The typed words are on the screen too: they prove nothing.
        let typed: Vec<&str> = line.split_whitespace().collect();
        let offered: Vec<String> = plain
            .split(|c: char| c.is_whitespace())
            .filter(|w| !typed.contains(w))
            .map(str::to_string)
            .collect();
        let expected: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|w| !typed.contains(w))
            .collect();
        assert_offers("zsh", line, &offered, &expected);
    }
}

fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                while let Some(&n) = chars.peek() {
                    chars.next();
                    if n.is_ascii_alphabetic() || n == '~' {
                        break;
                    }
                }
            } else {
                chars.next();
            }
            continue;
        }
        if c == '\r' || c == '\u{7}' {
            out.push('\n');
            continue;
        }
        out.push(c);
    }
    out
}

/// A page as `man` shows it: groff's text rendering, 100 columns.
fn rendered(page: &Path) -> String {
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou", "-rLL=100n"])
        .arg(page)
        .output()
        .expect("groff is installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_command_has_a_man_page_with_its_options_examples_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = beacon(dir.path())
        .args(["man", "--dir"])
        .arg(&pages)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(listed.len(), COMMANDS.len() + 1);
    let main = rendered(&pages.join("beacon-cli.1"));
    for command in COMMANDS {
        let name = format!("beacon-cli-{command}");
        let file = pages.join(format!("{name}.1"));
        assert!(listed.contains(&file.display().to_string()), "{name}");
        // The main page points at every page, and each exists.
        assert!(
            main.contains(&format!("{name}(1)")),
            "beacon-cli(1) lacks {name}(1)"
        );
        let page = rendered(&file);
        assert!(page.contains("SEE ALSO") && page.contains("beacon-cli(1)"));
        // Every option of the command is documented.
        let help = beacon(dir.path())
            .args([command, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8(help.stdout).unwrap();
        for flag in help
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        {
            assert!(page.contains(flag), "{name}(1) does not document {flag}");
        }
        // Examples are kept line for line, never reflowed or hyphenated.
        let examples: Vec<&str> = help
            .lines()
            .skip_while(|l| *l != "Examples:")
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .map(str::trim)
            .collect();
        assert!(!examples.is_empty(), "{command} --help has examples");
        let page_lines: Vec<&str> = page.lines().map(str::trim).collect();
        for example in examples {
            assert!(
                page_lines.contains(&example),
                "{name}(1) reflowed the example `{example}`"
            );
        }
        // The exit-code table: one row per code, code then meaning.
        for (code, meaning) in [(0, "success"), (3, "findings"), (7, "timeout")] {
            assert!(
                page_lines
                    .iter()
                    .any(|l| l.starts_with(&format!("{code}")) && l.contains(meaning)),
                "{name}(1): no row for exit code {code}"
            );
        }
    }
    // One page on standard output, as `man -l -` reads it.
    let one = beacon(dir.path()).args(["man", "send"]).output().unwrap();
    assert!(one.status.success());
    assert_eq!(
        one.stdout,
        std::fs::read(pages.join("beacon-cli-send.1")).unwrap()
    );
}
