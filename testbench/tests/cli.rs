//! The `txoe` binary as a user runs it: exit codes, output files, error messages.

use std::process::Command;

fn txoe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_txoe"))
}

#[test]
fn model_only_run_writes_outputs_into_new_directories() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("new/dir/default.pcap");
    let jsonl = dir.path().join("other/batches.jsonl");
    let out = txoe()
        .args(["run", "--model-only", "--quiet", "--pcap"])
        .arg(&pcap)
        .arg("--completions")
        .arg(&jsonl)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(&pcap).unwrap().len() > 24, "pcap has frames");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    for key in ["batch", "cycle", "reason", "entries"] {
        assert!(first.get(key).is_some(), "completion line lacks {key}: {first}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("model-only") && stdout.contains("frames=12"), "{stdout}");
}

#[test]
fn malformed_scenario_exits_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, r#"{ "sends": [ { "conn": 0, "len": "many" } ] }"#).unwrap();
    let out = txoe().args(["run", "--model-only"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sends[0].len"), "{err}");
}

#[test]
fn generated_run_with_faults_and_resets_passes_and_says_what_happened() {
    let out = txoe()
        .args(["run", "--model-only", "--seed", "7", "--sends", "30", "--fault-percent", "30"])
        .args(["--resets", "2", "--multi-segment", "--max-len", "4000", "--progress", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().find(|l| l.starts_with("faults: ")).expect("a faults line");
    assert!(line.contains("resets (") && !line.contains(" 0 resets"), "{line}");
}
