//! The RTL lints clean with `verilator --lint-only -Wall` at every supported width, and so
//! does the lockstep wrapper around it. Waivers live in `rtl/lint.vlt` and
//! `cosim/sv/tb.vlt`, each with its reason.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::rtl_dir;

const WIDTHS: [u32; 4] = [64, 128, 256, 512];

/// The RTL sources in the order `rtl/files.f` gives.
fn rtl_files() -> Vec<String> {
    std::fs::read_to_string(rtl_dir().join("files.f"))
        .expect("rtl/files.f lists the sources")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

/// Run one lint; `false` when Verilator is missing (a skip, said on stderr; a failure under
/// `CI=true`).
fn lint(mut cmd: Command, what: &str) -> bool {
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            assert!(!txoe_cosim::ci_requires_tools(), "verilator not found in CI: {e}");
            eprintln!("SKIPPED: Verilator not found ({e})");
            return false;
        }
    };
    assert!(out.status.success(), "{what} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    true
}

#[test]
fn rtl_lints_clean_at_every_width() {
    let rtl = rtl_dir();
    let files = rtl_files();
    // files.f (the order for tools that need one) lists exactly the sources build.rs finds
    let mut listed = files.clone();
    listed.sort();
    let mut found: Vec<String> = std::fs::read_dir(&rtl)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sv"))
        .collect();
    found.sort();
    assert_eq!(listed, found, "rtl/files.f is out of date");

    for w in WIDTHS {
        let mut cmd = Command::new("verilator");
        cmd.current_dir(&rtl)
            .args(["--lint-only", "-Wall", "--top-module", "txoe_top", &format!("-GDATA_W={w}"), "lint.vlt"])
            .args(&files);
        if !lint(cmd, &format!("lint at DATA_W={w}")) {
            return;
        }
    }
}

/// The lockstep wrapper (`cosim/sv/`, simulation only) lints clean around the RTL too.
#[test]
fn lockstep_wrapper_lints_clean_at_every_width() {
    let rtl = rtl_dir();
    let tb = Path::new(env!("CARGO_MANIFEST_DIR")).join("sv");
    let rtl_files: Vec<PathBuf> = rtl_files().iter().map(|f| rtl.join(f)).collect();
    let tb_files = ["txoe_tb_pkg.sv", "txoe_tb_wdecode.sv", "txoe_tb_top.sv"].map(|f| tb.join(f));
    for w in WIDTHS {
        let mut cmd = Command::new("verilator");
        cmd.args(["--lint-only", "-Wall", "--top-module", "txoe_tb_top", &format!("-GDATA_W={w}")])
            .arg(rtl.join("lint.vlt"))
            .arg(tb.join("tb.vlt"))
            .args(&rtl_files)
            .args(&tb_files);
        if !lint(cmd, &format!("wrapper lint at DATA_W={w}")) {
            return;
        }
    }
}

/// The place-and-route harness (`rtl/synth/txoe_pnr_wrap.sv`, docs/fpga.md) lints clean
/// around the RTL: its port slices must cover every port of `txoe_top` exactly.
#[test]
fn pnr_harness_lints_clean_at_every_width() {
    let rtl = rtl_dir();
    for w in WIDTHS {
        let mut cmd = Command::new("verilator");
        cmd.current_dir(&rtl)
            .args(["--lint-only", "-Wall", "--top-module", "txoe_pnr_wrap", &format!("-GDATA_W={w}"), "lint.vlt"])
            .args(rtl_files())
            .args(["synth/DCCA.sv", "synth/txoe_pnr_wrap.sv"]);
        if !lint(cmd, &format!("harness lint at DATA_W={w}")) {
            return;
        }
    }
}
