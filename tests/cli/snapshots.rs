//! Snapshots of every command's `--help` and of the main error messages
//! (`tests/cmd/*.toml`, with their `.stdout` and `.stderr`), so a change of
//! wording shows in review instead of slipping through. `TRYCMD=overwrite
//! cargo test --test cli snapshots` rewrites them after an intended change.

#[test]
fn help_and_error_messages() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
