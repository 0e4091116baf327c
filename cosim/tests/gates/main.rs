//! The RTL's tool gates, one test binary so that they run side by side: each is a long run
//! of one external tool (Verilator's lint, Yosys synthesis, SymbiYosys proofs), mostly on
//! one core, and cargo runs test binaries one after the other but the tests of a binary in
//! parallel. Each gate skips, saying so, when its tool is missing, and fails under `CI=true`.

mod formal;
mod lint;
mod synth;

use std::path::{Path, PathBuf};
use std::process::Command;

/// `rtl/`, where the sources, `files.f` and the tools' scripts are.
fn rtl_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rtl")
}

/// Whether `tool arg` runs and succeeds, on `PATH` or where `pip --user` puts it (as the
/// scripts under `rtl/` look).
fn tool_runs(tool: &str, arg: &str) -> bool {
    let home = std::env::var("HOME").unwrap_or_default();
    let path = format!("{}:{home}/.local/bin", std::env::var("PATH").unwrap_or_default());
    Command::new(tool).arg(arg).env("PATH", path).output().is_ok_and(|o| o.status.success())
}

/// Whether every tool of `tools` (`(tool, arg)`: `tool arg` must succeed) is there for
/// `gate`. When one is missing: `false` with a `SKIPPED` line naming them, or a failure
/// under `CI=true`, where the gates cannot be skipped (scripts/setup.sh installs them).
fn tools_or_skip(tools: &[(&str, &str)], gate: &str) -> bool {
    let missing: Vec<&str> = tools.iter().filter(|(t, a)| !tool_runs(t, a)).map(|(t, _)| *t).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !txoe_cosim::ci_requires_tools(),
        "{missing:?} not found and CI=true: {gate} cannot be skipped (scripts/setup.sh installs them)"
    );
    eprintln!("SKIPPED: {missing:?} not found: {gate} not run (scripts/setup.sh installs them)");
    false
}
