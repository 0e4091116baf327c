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

/// A valid scenario file's JSON to break: one IPv4 connection, two sends.
fn good() -> serde_json::Value {
    serde_json::json!({
        "connections": [
            { "id": 0, "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02",
              "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2", "src_port": 1, "dst_port": 2 }
        ],
        "sends": [ { "conn": 0, "len": 100 }, { "conn": 0, "len": 200 } ]
    })
}

/// Run `txoe run --model-only` on a file holding `text`.
fn run_file(text: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.json");
    std::fs::write(&path, text).unwrap();
    txoe().args(["run", "--model-only", "--quiet", "--no-window"]).arg(&path).output().unwrap()
}

#[test]
fn every_class_of_malformed_file_exits_2_with_the_field_named_and_no_panic() {
    let edit = |f: fn(&mut serde_json::Value)| {
        let mut v = good();
        f(&mut v);
        v.to_string()
    };
    let good_text = good().to_string();
    let cases: Vec<(&str, String, &str)> = vec![
        ("not JSON", "config: 64".into(), "not valid JSON"),
        ("truncated JSON", good_text[..good_text.len() - 20].into(), "not valid JSON: EOF while parsing"),
        ("wrong type", edit(|v| v["sends"][1]["psh"] = "yes".into()), "sends[1].psh: invalid type"),
        ("negative number", edit(|v| v["sends"][0]["at_cycle"] = (-1).into()), "sends[0].at_cycle: invalid value: integer `-1`"),
        ("bad MAC", edit(|v| v["connections"][0]["dst_mac"] = "02:00:00:00:00".into()), "connections[0].dst_mac: \"02:00:00:00:00\" is not a MAC address"),
        ("bad IP", edit(|v| v["connections"][0]["src_ip"] = "10.0.0".into()), "connections[0].src_ip: \"10.0.0\" is not an IP address"),
        ("vlan > 4095", edit(|v| v["connections"][0]["vlan"] = 4096.into()), "connections[0].vlan: 4096 is over 4095"),
        ("port > 65535", edit(|v| v["connections"][0]["dst_port"] = 65536.into()), "connections[0].dst_port: invalid value: integer `65536`"),
        ("ttl > 255", edit(|v| v["connections"][0]["ttl"] = 300.into()), "connections[0].ttl: invalid value: integer `300`"),
        ("data_width", edit(|v| v["config"] = serde_json::json!({"data_width": 100})), "config.data_width: 100 is not one of 64, 128, 256, 512"),
        ("cycle count", edit(|v| v["env"] = serde_json::json!({"cq_consumer_lag": u64::MAX})), "env.cq_consumer_lag: 18446744073709551615 is outside"),
        ("unknown key", edit(|v| v["sends"][0]["lenght"] = 5.into()), "sends[0].lenght: unknown field `lenght`"),
        ("missing key", edit(|v| drop(v["sends"][0].as_object_mut().unwrap().remove("len"))), "sends[0]: missing field `len`"),
    ];
    for (what, text, needle) in cases {
        let out = run_file(&text);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.starts_with("txoe: malformed scenario: "), "{what}: {err}");
        assert!(err.contains(needle), "{what}: {err:?} lacks {needle:?}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(out.stdout.is_empty(), "{what}: no run, no report");
    }
}

#[test]
fn values_the_engine_rejects_load_and_complete_with_their_status() {
    let mut v = good();
    v["connections"].as_array_mut().unwrap().push(serde_json::json!(
        { "id": 1, "src_mac": "02:00:00:00:00:03", "dst_mac": "02:00:00:00:00:04",
          "src_ip": "10.0.0.3", "dst_ip": "10.0.0.4", "src_port": 3, "dst_port": 4, "mss": 63 }
    ));
    v["sends"] = serde_json::json!([
        { "conn": 0, "len": 0 },
        { "conn": 0, "len": 65536 },
        { "conn": 16, "len": 10 },
        { "conn": 5, "len": 10 },
        { "conn": 1, "len": 10 },
        { "conn": 0, "len": 10, "immediate": true }
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engine_rejects.json");
    let jsonl = dir.path().join("c.jsonl");
    std::fs::write(&path, v.to_string()).unwrap();
    let out = txoe()
        .args(["run", "--model-only", "--quiet", "--no-window"])
        .arg(&path)
        .arg("--completions")
        .arg(&jsonl)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let statuses: Vec<String> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .flat_map(|l| {
            let b: serde_json::Value = serde_json::from_str(l).unwrap();
            b["entries"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(statuses, ["bad_length", "too_long", "bad_conn", "invalid_ctx", "mss_too_small", "ok"]);
}

#[test]
fn a_run_prints_the_coverage_table() {
    let out = txoe().args(["run", "--model-only", "--no-window", "--progress", "0"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\ncoverage: "), "{stdout}");
    // The default scenario wraps the IPv4 ID and sends tagged and untagged IPv4 frames.
    for line in [
        "  ids: ipv4_id_wrap 1, ipv6_frag_id_wrap -\n",
        "  frame: ipv4 7, ipv4_vlan 5, ipv6 -, ipv6_vlan -, ipv6_frag_header -, ipv6_no_frag_header -\n",
        "  data_width: 64 1, 128 -, 256 -, 512 -\n",
    ] {
        assert!(stdout.contains(line), "{line:?} not in {stdout}");
    }
    assert!(stdout.contains("  status: ok 12, reserved_bits -,"), "{stdout}");
    assert!(stdout.trim_end().lines().last().unwrap().starts_with("summary: "), "{stdout}");
}
