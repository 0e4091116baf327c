//! The directed regression scenarios of `scenarios/regress/` (the ones `txoe-mutants`
//! runs after the default and `scenarios/*.json`) pass in lockstep on the real RTL.

use txoe_testbench::scenario::Scenario;

mod common;

#[test]
fn every_regression_scenario_passes_in_lockstep() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/regress"));
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let sc = Scenario::from_path(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        eprintln!("{}", f.display());
        let Some(out) = common::lockstep(&sc) else { return };
        assert_eq!(out.frames.len() as u64, out.report.headers_diffed);
    }
}
