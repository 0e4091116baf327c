//! Random whole scenarios (`txoe_testbench::strategy`) in lockstep, with shrinking: the
//! RTL must match the model on every case; a failing case is shrunk and written as a
//! scenario file that `txoe run FILE` replays. A model made to differ on IPv6 frames
//! behind an 802.1Q tag proves the machinery: the failure shrinks to one such connection
//! and one send, and the command line reproduces it on the same cycle.
//!
//! * `TXOE_PROPTEST_CASES=N`: cases per lockstep test (default 200 at 64 bits, 60 at 256);
//! * `TXOE_PROPTEST_SEED=S` or `random`: the generator seed (default: fixed per test);
//! * `TXOE_SHRUNK_DIR=DIR`: where a shrunk scenario goes (default `target/txoe-shrunk/`).
//!
//! Failing cases' generator seeds are kept in `testbench/proptest-regressions/random/`
//! and replayed first.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use txoe_cosim::{rtl_or_skip, ProbedDevice};
use txoe_testbench::inject::{Injected, Trigger};
use txoe_testbench::scenario::Scenario;
use txoe_testbench::strategy::{self, Campaign, CampaignFailure};
use txoe_testbench::{engine_for, run_scenario, run_scenario_with, RunConfig};

fn shrunk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/txoe-shrunk")
}

fn regressions(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("proptest-regressions/random/{name}.txt"))
}

fn lockstep_campaign(name: &str, width: u32, cases: u32, seed: u64) {
    if rtl_or_skip(width).is_none() {
        return;
    }
    let mut c = Campaign::from_env(name, cases, seed, &shrunk_dir());
    c.regressions = Some(regressions(name));
    if let Err(f) = strategy::check(&c, strategy::scenario(width), strategy::lockstep_property) {
        panic!("{f}");
    }
}

#[test]
fn random_scenarios_match_in_lockstep_at_64_bits() {
    lockstep_campaign("random-w64", 64, 200, 0x7478_6F65_0064);
}

#[test]
fn random_scenarios_match_in_lockstep_at_256_bits() {
    lockstep_campaign("random-w256", 256, 60, 0x7478_6F65_0256);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every generated scenario is valid and parses back from its JSON to the same value.
    #[test]
    fn generated_scenarios_are_valid_and_round_trip_through_json(sc in strategy::scenario(64)) {
        prop_assert_eq!(sc.validate(), Ok(()));
        let text = sc.to_json_pretty();
        let back = Scenario::from_json_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, sc);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    /// The run of a scenario read back from its JSON is the run of the scenario itself:
    /// the same cycles, frames and completion batches (the model alone).
    #[test]
    fn a_scenario_read_back_from_json_runs_identically(sc in strategy::scenario(64)) {
        let back = Scenario::from_json_str(&sc.to_json_pretty()).unwrap();
        let cfg = RunConfig { model_only: true, window: None, progress_every: 0, ..RunConfig::default() };
        let a = run_scenario(&sc, &cfg).unwrap();
        let b = run_scenario(&back, &cfg).unwrap();
        prop_assert!(a.passed(), "{}", a.report);
        prop_assert_eq!(a.report.cycles, b.report.cycles);
        prop_assert_eq!(&a.frames, &b.frames);
        prop_assert_eq!(&a.batches, &b.batches);
    }
}

fn ipv6_vlan_model(sc: &Scenario) -> Box<dyn ProbedDevice> {
    Box::new(Injected::with_trigger(engine_for(sc), Trigger::Ipv6Vlan))
}

/// The `MISMATCH cycle=N` of a report.
fn mismatch_cycle(text: &str) -> u64 {
    let line = text.lines().find(|l| l.starts_with("MISMATCH cycle=")).unwrap_or_else(|| panic!("no MISMATCH line in:\n{text}"));
    line["MISMATCH cycle=".len()..].split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_forced_divergence_shrinks_to_one_connection_and_one_send_that_the_cli_replays() {
    if rtl_or_skip(64).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = Campaign {
        name: "ipv6-vlan".into(),
        cases: 200,
        seed: Some(0x7478_6F65_0006),
        regressions: None,
        shrunk_dir: dir.path().to_path_buf(),
        max_shrink_iters: 4096,
    };
    let property = |sc: &Scenario| strategy::lockstep_check(sc, &ipv6_vlan_model);
    let shrunk = match strategy::check(&c, strategy::scenario(64), property) {
        Ok(()) => panic!("the injected difference on tagged IPv6 frames was never found"),
        Err(CampaignFailure::Aborted(m)) => panic!("aborted: {m}"),
        Err(CampaignFailure::Failed(s)) => s,
    };
    let sc = &shrunk.scenario;

    // Minimal: the one kind of connection the difference needs, one send on it.
    assert_eq!(sc.connections.len(), 1, "{}", sc.to_json_pretty());
    assert_eq!(sc.sends.len(), 1, "{}", sc.to_json_pretty());
    let conn = &sc.connections[0];
    assert!(conn.ipv6 && conn.vlan.is_some(), "{}", sc.to_json_pretty());
    assert_eq!(sc.sends[0].conn, conn.id);
    // Shrinking went all the way down where nothing depends on the value.
    assert_eq!(sc.sends[0].len, 1, "{}", sc.to_json_pretty());
    assert_eq!(sc.sends[0].at_cycle, 0);
    assert!(shrunk.reason.contains("MISMATCH"), "{}", shrunk.reason);

    // The file holds exactly that scenario.
    let path = shrunk.path.clone().expect("the shrunk scenario was written");
    assert!(path.starts_with(std::fs::canonicalize(dir.path()).unwrap()));
    let back = Scenario::from_path(&path).unwrap();
    assert_eq!(&back, sc);

    // In process: the same failure on the same cycle; the RTL itself is fine.
    let cfg = RunConfig { window: None, progress_every: 0, keep_frames: false, ..RunConfig::default() };
    let again = run_scenario_with(&back, &cfg, &ipv6_vlan_model).unwrap();
    assert!(!again.passed());
    let cycle = mismatch_cycle(&again.report.to_string());
    assert_eq!(cycle, mismatch_cycle(&shrunk.reason));
    assert!(run_scenario(&back, &cfg).unwrap().passed(), "the reference model matches the RTL");

    // The command line replays it: exit 1, the same cycle, field and seed.
    let out = Command::new(env!("CARGO_BIN_EXE_txoe"))
        .arg("run")
        .arg(&path)
        .args(["--inject-mismatch", "ipv6-vlan", "--no-window", "--quiet"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mismatch_cycle(&stdout), cycle, "{stdout}");
    let first = stdout.lines().find(|l| l.starts_with("MISMATCH")).unwrap();
    assert!(first.contains(&format!("seed={}", sc.env.seed)), "{first}");
    assert!(first.contains("port=m_axis_tx"), "{first}");
    assert_eq!(
        first,
        shrunk.reason.lines().find(|l| l.starts_with("MISMATCH")).unwrap(),
        "the CLI reports the first difference as the property did"
    );

    // Without the injected difference the same file passes.
    let ok = Command::new(env!("CARGO_BIN_EXE_txoe"))
        .arg("run")
        .arg(&path)
        .args(["--no-window", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
}

/// A failing case's generator seed lands in the campaign's regression file (in the
/// repository for the lockstep tests) and the next run replays it first.
#[test]
fn a_failing_case_is_kept_in_the_regression_file_and_replayed_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("proptest-regressions/random/model.txt");
    let mut c = Campaign {
        name: "model".into(),
        cases: 100,
        seed: Some(1),
        regressions: Some(file.clone()),
        shrunk_dir: dir.path().join("shrunk"),
        max_shrink_iters: 1000,
    };
    // A property of the scenario alone: fails when a send is longer than 9000 bytes.
    let results = std::cell::RefCell::new(Vec::new());
    let property = |sc: &Scenario| {
        let r = match sc.sends.iter().find(|s| s.len > 9000) {
            Some(s) => Err(format!("send of {} bytes", s.len)),
            None => Ok(()),
        };
        results.borrow_mut().push((sc.clone(), r.is_ok()));
        r
    };
    let Err(CampaignFailure::Failed(first)) = strategy::check(&c, strategy::scenario(64), property) else {
        panic!("no send over 9000 bytes in 100 cases")
    };
    // Shrunk to the one send that matters.
    assert_eq!(first.scenario.sends.len(), 1);
    assert!(first.scenario.sends[0].len > 9000);
    assert_eq!(first.scenario.connections.len(), 1);
    let text = std::fs::read_to_string(&file).expect("the regression file was written");
    assert!(text.lines().any(|l| l.starts_with("cc ")), "{text}");
    // The case that failed before shrinking.
    let failed_case = results.borrow().iter().find(|(_, ok)| !ok).unwrap().0.clone();
    assert!(first.path.as_ref().is_some_and(|p| p.starts_with(std::fs::canonicalize(dir.path()).unwrap())));
    // Another generator seed: the persisted case comes first, and fails.
    c.seed = Some(2);
    results.borrow_mut().clear();
    let again = strategy::check(&c, strategy::scenario(64), property);
    assert!(matches!(again, Err(CampaignFailure::Failed(_))));
    let replayed = results.borrow()[0].clone();
    assert_eq!(replayed, (failed_case, false), "the first case run is the persisted failure");
}
