//! `txoe soak`: generated scenarios back to back, totals, and the stop at the first failure
//! with a scenario file that replays it.

use std::process::Command;
use std::time::Duration;

use txoe_cosim::{rtl_or_skip, ProbedDevice};
use txoe_testbench::engine_for;
use txoe_testbench::inject::Injected;
use txoe_testbench::scenario::Scenario;
use txoe_testbench::soak::{soak, soak_scenario, soak_with, SoakConfig};

fn config(dir: &std::path::Path, sends: u64, per_run: usize, model_only: bool) -> SoakConfig {
    SoakConfig {
        sends,
        sends_per_run: per_run,
        first_seed: 7,
        data_width: 64,
        time_limit: None,
        out_dir: dir.to_path_buf(),
        model_only,
        progress_every: Duration::ZERO,
    }
}

#[test]
fn soak_runs_seeds_back_to_back_and_adds_them_up() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), 50, 20, true);
    let mut lines = Vec::new();
    let (t, failure) = soak(&c, |l| lines.push(l.to_string())).unwrap();
    assert!(failure.is_none());
    // 20 + 20 + 10 sends, seeds 7, 8, 9.
    assert_eq!((t.runs, t.sends, t.last_seed), (3, 50, Some(9)));
    assert_eq!(lines.len(), 3, "a progress line after every run with progress_every 0");
    assert!(lines[2].contains("runs 3 (seeds 7..=9) sends 50/50"), "{}", lines[2]);
    // The totals are those of the three scenarios run alone.
    let cfg = txoe_testbench::RunConfig { model_only: true, window: None, progress_every: 0, ..Default::default() };
    let mut cycles = 0;
    for (seed, n) in [(7, 20), (8, 20), (9, 10)] {
        cycles += txoe_testbench::run_scenario(&soak_scenario(seed, n, 64), &cfg).unwrap().report.cycles;
    }
    assert_eq!(t.cycles, cycles);
}

#[test]
fn soak_stops_at_the_first_mismatch_with_a_file_that_replays_it() {
    if rtl_or_skip(64).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), 1000, 30, false);
    // Frame 40 differs: the first seed (30 sends) may or may not reach it; a later one does.
    let make = |sc: &Scenario| -> Box<dyn ProbedDevice> { Box::new(Injected::new(engine_for(sc), 40)) };
    let (t, failure) = soak_with(&c, &make, |_| {}).unwrap();
    let f = failure.expect("the injected difference is found");
    assert_eq!(t.last_seed, Some(f.seed));
    assert_eq!(t.mismatches, 1);
    assert!(f.report.contains("MISMATCH") && f.report.contains("frame=40"), "{}", f.report);
    let path = f.scenario_file.expect("scenario written");
    let sc = Scenario::from_path(&path).unwrap();
    assert_eq!(sc, soak_scenario(f.seed, 30, 64));
    // The command line replays it: the same first MISMATCH line.
    let out = Command::new(env!("CARGO_BIN_EXE_txoe"))
        .arg("run")
        .arg(&path)
        .args(["--inject-mismatch", "40", "--no-window", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = |s: &str| s.lines().find(|l| l.starts_with("MISMATCH")).map(String::from);
    assert_eq!(first(&stdout), first(&f.report), "{stdout}");
}

#[test]
fn txoe_soak_prints_a_summary_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_txoe"))
        .args(["soak", "--sends", "40", "--sends-per-run", "20", "--model-only", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("soak: passed: 2 runs (seeds 1..=2, DATA_W 64, model only), 40 sends"), "{last}");
    assert!(last.contains("0 mismatches") && last.contains("cycles/s"), "{last}");
}
