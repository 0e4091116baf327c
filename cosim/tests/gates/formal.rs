//! Formal gate: `rtl/formal/run.sh --fast` proves the fast set of the engine's safety
//! properties with SymbiYosys (k-induction, engine smtbmc yices) and runs their cheap
//! mutants, each a deliberately broken copy of the RTL that must give a counterexample
//! on its property. The completion writer's proofs, four slower header-builder mutants
//! and the TX stream's mutant are part of the release command `rtl/formal/run.sh`
//! (docs/formal.md). Needs
//! `yowasp-sby` and `yices-smt2` (scripts/setup.sh): a skip when they are missing, a
//! failure under `CI=true`.

use std::process::Command;

use crate::{rtl_dir, tools_or_skip};

#[test]
fn fast_formal_proofs_pass_and_every_mutant_is_caught() {
    if !tools_or_skip(&[("yowasp-sby", "--help"), ("yices-smt2", "--version")], "the formal proofs") {
        return;
    }
    let out = Command::new("bash")
        .arg(rtl_dir().join("formal/run.sh"))
        .arg("--fast")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "formal proofs or mutants failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let summary = rtl_dir().join("build/formal/summary-fast.json");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary.json written"))
            .expect("summary.json parses");
    assert_eq!(summary["proofs_passed"], true);
    assert_eq!(summary["mutants_caught"], true);
    let props = summary["properties"].as_array().expect("properties");
    // The fast set: both ID counters, the header builder, the close decision, the register
    // block and the TX engine's ID takes, MTU chain, stream and read address channel
    // (24 + 11 properties). The completion
    // writer's proofs (two minutes each with their mutants) are in the full run only.
    assert!(props.len() >= 35, "only {} properties", props.len());
    for p in ["tx_id_failed", "tx_id4", "tx_id6", "tx_mtu", "tx_stream_stable", "ar_stable", "ar_4k"] {
        assert!(props.iter().any(|r| r["property"] == p), "{p} not in the fast set");
    }
    for p in props {
        assert_eq!(p["result"], "proven", "{p}");
        // --fast leaves four header-builder mutants (a minute each) and the TX stream's
        // (three minutes) to the full run
        assert_ne!(p["caught"], false, "a mutant of this property was not caught: {p}");
    }
    let caught = props.iter().filter(|p| p["caught"] == true).count();
    assert!(caught + 5 >= props.len(), "only {caught} of {} properties with a caught mutant", props.len());
    for m in summary["mutants"].as_array().expect("mutants") {
        assert_eq!(m["caught"], true, "{m}");
        let cex = m["cex"].as_str().expect("a caught mutant leaves its counterexample");
        assert!(rtl_dir().join(cex).exists(), "{cex}");
        assert!(rtl_dir().join(cex.replace(".vcd", ".gtkw")).exists(), "{cex}: no .gtkw view");
    }
}

/// Every formal mutant, the slow ones of the full run included, still applies: its text
/// occurs exactly once in its file. The test command runs only the fast set's mutants, so
/// without this a mutant of the full run whose code moved would only show as a failure
/// of the release command.
#[test]
fn every_formal_mutant_applies_to_the_rtl() {
    let out = Command::new("python3")
        .arg(rtl_dir().join("formal/run.py"))
        .arg("--check-mutants")
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(" mutants apply to the RTL"), "{stdout}");
}
