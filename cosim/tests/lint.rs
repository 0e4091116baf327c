//! The RTL lints clean with `verilator --lint-only -Wall` at every supported width.
//! Waivers live in `rtl/lint.vlt`, each with its reason.

use std::path::Path;
use std::process::Command;

#[test]
fn rtl_lints_clean_at_every_width() {
    let rtl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rtl");
    let files: Vec<String> = std::fs::read_to_string(rtl.join("files.f"))
        .expect("rtl/files.f lists the sources")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect();
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

    for w in [64, 128, 256, 512] {
        let out = Command::new("verilator")
            .current_dir(&rtl)
            .args(["--lint-only", "-Wall", "--top-module", "txoe_top", &format!("-GDATA_W={w}"), "lint.vlt"])
            .args(&files)
            .output();
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                assert!(std::env::var("CI").as_deref() != Ok("true"), "verilator not found in CI: {e}");
                eprintln!("SKIPPED: Verilator not found ({e})");
                return;
            }
        };
        assert!(
            out.status.success(),
            "lint at DATA_W={w} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The lockstep wrapper (`cosim/sv/`, simulation only) lints clean around the RTL too, its
/// waivers in `cosim/sv/tb.vlt`.
#[test]
fn lockstep_wrapper_lints_clean_at_every_width() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rtl = root.join("../rtl");
    let tb = root.join("sv");
    let rtl_files: Vec<String> = std::fs::read_to_string(rtl.join("files.f"))
        .expect("rtl/files.f lists the sources")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| rtl.join(l.trim()).display().to_string())
        .collect();
    let tb_files = ["txoe_tb_pkg.sv", "txoe_tb_wdecode.sv", "txoe_tb_top.sv"].map(|f| tb.join(f));
    for w in [64, 128, 256, 512] {
        let out = Command::new("verilator")
            .args(["--lint-only", "-Wall", "--top-module", "txoe_tb_top", &format!("-GDATA_W={w}")])
            .arg(rtl.join("lint.vlt"))
            .arg(tb.join("tb.vlt"))
            .args(&rtl_files)
            .args(&tb_files)
            .output();
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                assert!(std::env::var("CI").as_deref() != Ok("true"), "verilator not found in CI: {e}");
                eprintln!("SKIPPED: Verilator not found ({e})");
                return;
            }
        };
        assert!(
            out.status.success(),
            "wrapper lint at DATA_W={w} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
