//! `completions` and `man`: the command line describing itself.
//!
//! Both are generated from the clap definition, so they cannot drift from it.
//! The man pages are clap_mangen's sections, plus EXAMPLES kept line for line
//! (no fill, no hyphenation) and EXIT STATUS as a two-column list.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::{CommandFactory, ValueEnum};
use roff::{Roff, bold, roman};

use crate::cli::{Cli, ManPage};
use crate::error::{EXIT_CODES, Failure};
use crate::output::{self, Output};

/// The program's name, as installed.
const BIN: &str = "beacon-cli";

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    match shell {
        // clap_complete 4.6 names the bash states of a hyphenated program two
        // ways (`beacon__cli__subcmd__send` when walking the words, but
        // `beacon__subcmd__cli__subcmd__send` in the case arms), so nothing
        // completes after a subcommand: clap-rs/clap#6421, still open. Spell the
        // arms as the walk does.
        clap_complete::Shell::Bash => {
            script = script.replace(&BIN.replace('-', "__subcmd__"), &BIN.replace('-', "__"));
        }
        // clap_complete's fish script completes options only: after `send` fish
        // offered files. Add the values of each subcommand's positional arguments
        // (endpoint ids, shells, man pages).
        clap_complete::Shell::Fish => script.push_str(&fish_positionals()),
        _ => {}
    }
    script
}

/// fish `complete` lines for the possible values of every subcommand's
/// positional arguments, offered until one of them follows the subcommand (the
/// second word: beacon-cli has no options before it).
fn fish_positionals() -> String {
    let prefix = format!("__fish_{}", BIN.replace('-', "_"));
    let using = format!("{prefix}_using_subcommand");
    let missing = format!("{prefix}_value_missing");
    let quote = |text: &str| format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut lines = format!(
        "function {missing} --description 'none of the arguments follows the subcommand yet'
    set -l words (commandline -opc)
    for word in $words[3..-1]
        contains -- $word $argv; and return 1
    end
    return 0
end
"
    );
    for sub in Cli::command().get_subcommands() {
        for arg in sub.get_positionals() {
            let values = arg.get_possible_values();
            let names: Vec<&str> = values.iter().map(|v| v.get_name()).collect();
            for value in &values {
                let help = value
                    .get_help()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                lines.push_str(&format!(
                    "complete -c {BIN} -n \"{using} {}; and {missing} {}\" -f -a {} -d {}\n",
                    sub.get_name(),
                    names.join(" "),
                    quote(value.get_name()),
                    quote(&help)
                ));
            }
        }
    }
    lines
}

/// `man`: one page on standard output, or every page written into `dir`.
pub fn man(page: Option<ManPage>, dir: Option<&Path>, out: &Output) -> Result<()> {
    let Some(dir) = dir else {
        let name = page
            .and_then(|p| p.to_possible_value())
            .map(|v| v.get_name().to_string());
        return out.print(&render(&command(name.as_deref())?)?);
    };
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::input(format!("--dir `{}`: cannot create it: {e}", dir.display()))
            .hint("name a directory you can write to, such as ~/.local/share/man/man1")
    })?;
    let mut written: Vec<PathBuf> = Vec::new();
    let names = std::iter::once(None).chain(
        ManPage::value_variants()
            .iter()
            .filter_map(ManPage::to_possible_value)
            .map(|v| Some(v.get_name().to_string())),
    );
    for name in names {
        let cmd = command(name.as_deref())?;
        let path = dir.join(format!("{}.1", page_name(&cmd)));
        output::write_file(&path, render(&cmd)?.as_bytes()).map_err(|e| {
            Failure::input(format!("--dir: cannot write `{}`: {e:#}", path.display()))
                .hint("name a directory you can write to")
        })?;
        written.push(path);
    }
    let list: String = written
        .iter()
        .map(|p| format!("{}\n", p.display()))
        .collect();
    out.print(&list)
}

/// The built command for a page: the whole program, or one subcommand with its
/// display name (`beacon-cli-send`) set as clap_mangen expects.
fn command(name: Option<&str>) -> Result<clap::Command> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let Some(name) = name else {
        return Ok(root);
    };
    root.find_subcommand(name)
        .cloned()
        .with_context(|| format!("internal: no subcommand `{name}` for its man page"))
}

/// `beacon-cli` or `beacon-cli-send`.
fn page_name(cmd: &clap::Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

/// One man page.
fn render(cmd: &clap::Command) -> Result<String> {
    let man = clap_mangen::Man::new(cmd.clone()).title(page_name(cmd).to_uppercase());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    // No hyphenation and a ragged right edge: flags and URLs stay whole.
    page.extend_from_slice(b".nh\n.ad l\n");
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut page)?;
    }
    let mut roff = Roff::new();
    let examples = examples(cmd);
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        roff.control("nf", []);
        roff.control("RS", ["4"]);
        for line in examples {
            roff.text([roman(line)]);
        }
        roff.control("RE", []);
        roff.control("fi", []);
    }
    roff.control("SH", ["EXIT STATUS"]);
    // One row per code, no blank line between rows.
    roff.control("PD", ["0"]);
    for (exit, meaning) in EXIT_CODES {
        roff.control("TP", ["4"]);
        roff.text([bold(exit.code().to_string())]);
        roff.text([roman(meaning)]);
    }
    roff.control("PD", []);
    if page_name(cmd) != BIN {
        roff.control("SH", ["SEE ALSO"]);
        roff.text([bold(BIN), roman("(1)")]);
    }
    page.extend_from_slice(roff.to_roff().as_bytes());
    man.render_version_section(&mut page)?;
    String::from_utf8(page).context("internal: the man page is not UTF-8")
}

/// The lines of the command's `Examples:` block, as `--help` shows them.
fn examples(cmd: &clap::Command) -> Vec<String> {
    let Some(after) = cmd.get_after_help() else {
        return Vec::new();
    };
    after
        .to_string()
        .lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_has_a_man_page() {
        let pages: Vec<String> = ManPage::value_variants()
            .iter()
            .filter_map(ManPage::to_possible_value)
            .map(|v| v.get_name().to_string())
            .collect();
        let commands: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        assert_eq!(pages, commands);
    }
}
