//! Board bring-up: the golden model's expected output against lockstep and model-only
//! runs of random scenarios; `txoe check` on a run's own outputs and on captures with
//! one thing wrong; malformed capture files.

mod common;

use std::path::Path;
use std::process::Command;

use txoe_model::core::checksum::{finish, sum_be16};
use txoe_testbench::bringup::check::{check, CheckReport};
use txoe_testbench::bringup::cqdump::CqDump;
use txoe_testbench::bringup::golden::{entries_of_batches, Golden};
use txoe_testbench::bringup::regfile::RegisterFile;
use txoe_testbench::scenario::{GenKnobs, Scenario};
use txoe_testbench::{pcap, run_scenario, Outcome, RunConfig};

fn txoe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_txoe"))
}

/// Random scenarios with several segments per send, rejected descriptors, IPv6 with and
/// without fragment headers, small rings (the CQ wraps).
fn random(seed: u64, data_width: u32) -> Scenario {
    let knobs = GenKnobs {
        sends: 40,
        max_len: 4000,
        multi_segment: true,
        bad_percent: 20,
        ipv6_percent: 40,
        data_width,
        fault_percent: 0,
        resets: 0,
    };
    let mut sc = Scenario::random(seed, &knobs);
    // rings of 4 to 16 entries: the CQ wraps several times
    sc.config.cq_log2 = 2 + (seed % 3) as u32;
    sc.config.tx_ring_log2 = 2 + (seed / 3 % 3) as u32;
    sc
}

fn model_only(sc: &Scenario) -> Outcome {
    let cfg = RunConfig { model_only: true, progress_every: 0, window: None, ..RunConfig::default() };
    let out = run_scenario(sc, &cfg).expect("scenario runs");
    assert!(out.passed(), "{}", out.report);
    out
}

/// The run's frames and completion entries are the golden model's, byte for byte and in
/// order.
fn assert_agrees(sc: &Scenario, out: &Outcome) {
    let g = Golden::of(sc);
    assert_eq!(out.frames.len(), g.frames.len(), "frame count");
    for (i, (f, e)) in out.frames.iter().zip(&g.frames).enumerate() {
        assert_eq!(f.data, e.data, "frame {i} (send {} segment {})", e.send, e.segment);
    }
    let want: Vec<(u64, String, u32, u16)> =
        g.entries.iter().map(|e| (e.cookie, e.status.clone(), e.bytes, e.segments)).collect();
    assert_eq!(entries_of_batches(&out.batches), want);
    assert!(g.entries.iter().any(|e| e.status != "ok"), "the scenario has rejected sends");
    assert!(g.entries.iter().any(|e| e.segments > 1), "the scenario has multi-segment sends");
}

#[test]
fn expected_output_agrees_with_lockstep_runs_of_random_scenarios() {
    for (seed, width) in [(101, 64), (102, 64), (103, 256), (104, 64)] {
        let sc = random(seed, width);
        let Some(out) = common::lockstep(&sc) else { continue };
        assert_agrees(&sc, &out);
    }
}

#[test]
fn expected_output_agrees_with_model_only_runs_of_random_scenarios() {
    for seed in 200..212 {
        let sc = random(seed, 64);
        assert_agrees(&sc, &model_only(&sc));
    }
}

/// The capture files of a run, as `txoe run --pcap --cq-dump --registers` writes them.
struct Capture {
    _dir: tempfile::TempDir,
    pcap: std::path::PathBuf,
    cq: std::path::PathBuf,
    regs: std::path::PathBuf,
    scenario: std::path::PathBuf,
}

fn write_capture(sc: &Scenario, out: &Outcome) -> Capture {
    let dir = tempfile::tempdir().unwrap();
    let c = Capture {
        pcap: dir.path().join("run.pcap"),
        cq: dir.path().join("run.cq"),
        regs: dir.path().join("run.regs"),
        scenario: dir.path().join("scenario.json"),
        _dir: dir,
    };
    pcap::write_pcap_file(&c.pcap, &out.frames).unwrap();
    out.cq_dump.write_file(&c.cq).unwrap();
    out.registers.write_file(&c.regs).unwrap();
    std::fs::write(&c.scenario, sc.to_json_pretty()).unwrap();
    c
}

fn run_check(c: &Capture) -> std::process::Output {
    txoe()
        .arg("check")
        .arg(&c.scenario)
        .arg("--captured-pcap")
        .arg(&c.pcap)
        .arg("--captured-cq")
        .arg(&c.cq)
        .arg("--registers")
        .arg(&c.regs)
        .output()
        .unwrap()
}

#[test]
fn check_passes_on_the_lockstep_runs_own_outputs() {
    for (seed, width) in [(301, 64), (302, 256)] {
        let sc = random(seed, width);
        let Some(out) = common::lockstep(&sc) else { continue };
        assert!(out.cq_dump.entries.len() > out.cq_dump.size() as usize, "the CQ wrapped");
        let c = write_capture(&sc, &out);
        let o = run_check(&c);
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&o.stderr));
        assert!(text.contains(&format!("check matched {} frames, 40 completion entries", out.frames.len())), "{text}");
        assert!(text.contains("mismatches=0"), "{text}");
    }
}

/// The default scenario's model-only run and its check inputs.
fn default_run() -> (Scenario, Vec<Vec<u8>>, CqDump, RegisterFile) {
    let sc = Scenario::builtin_default();
    let out = model_only(&sc);
    let frames = out.frames.iter().map(|f| f.data.clone()).collect();
    (sc, frames, out.cq_dump, out.registers)
}

fn checked(sc: &Scenario, frames: &[Vec<u8>], cq: &CqDump, regs: &RegisterFile) -> CheckReport {
    check(sc, frames, cq, Some(regs))
}

/// `r` failed and names `name`.
fn fails_naming(r: &CheckReport, name: &str) {
    assert!(!r.passed(), "the check passed");
    assert!(r.names(name), "no finding names {name}:\n{r}");
    let text = r.to_string();
    assert!(text.contains(name), "{text}");
    assert!(text.lines().last().unwrap().starts_with("summary: check"), "{text}");
}

/// Recompute the IPv4 header checksum of an untagged frame.
fn fix_ipv4_checksum(f: &mut [u8]) {
    f[24] = 0;
    f[25] = 0;
    let c = finish(sum_be16(0, &f[14..34]));
    f[24..26].copy_from_slice(&c.to_be_bytes());
}

#[test]
fn check_passes_on_the_model_only_run_and_every_finding_needs_a_fault() {
    let (sc, frames, cq, regs) = default_run();
    let r = checked(&sc, &frames, &cq, &regs);
    assert!(r.passed(), "{r}");
    assert_eq!((r.frames_matched, r.entries_matched, r.batches), (12, 12, 6));
    assert!(r.registers_checked >= 19 && r.registers_unchecked.is_empty(), "{r}");
    // A snapshot of the whole ring (16 slots, the last 4 never written) is a dump too.
    let mut snapshot = cq.clone();
    snapshot.entries.resize(16, [0; 16]);
    assert!(checked(&sc, &frames, &snapshot, &regs).passed());
    // A snapshot of one pass when more completions than slots were written says so.
    let mut small = sc.clone();
    small.config.cq_log2 = 3;
    let out = model_only(&small);
    let frames: Vec<Vec<u8>> = out.frames.iter().map(|f| f.data.clone()).collect();
    let mut ring = out.cq_dump.clone();
    let tail: Vec<[u8; 16]> = ring.entries[8..].to_vec();
    ring.entries.truncate(8);
    ring.entries[..tail.len()].copy_from_slice(&tail);
    fails_naming(&checked(&small, &frames, &ring, &out.registers), "cq.dump");
}

#[test]
fn one_flipped_header_bit_is_named() {
    let (sc, mut frames, cq, regs) = default_run();
    // frame 0 is untagged IPv4: the TTL is byte 14 + 8
    frames[0][22] ^= 0x01;
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "ipv4.ttl");
    assert!(r.to_string().contains("frame=0 send=0 segment=0 field=ipv4.ttl model=0x40 (64) rtl=0x41 (65)"), "{r}");
    // a bit of the tagged connection's TCP window (frame 1: 18 + 20 + 14)
    let (_, mut frames, _, _) = default_run();
    frames[1][18 + 20 + 14] ^= 0x80;
    fails_naming(&checked(&sc, &frames, &cq, &regs), "tcp.window");
}

#[test]
fn one_flipped_payload_byte_is_named_by_its_offset() {
    let (sc, mut frames, cq, regs) = default_run();
    frames[3][18 + 40 + 100] ^= 0xFF;
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "payload[100]");
    assert_eq!(r.findings.len(), 1, "{r}");
    // with a header field wrong too, both are named
    frames[3][18 + 8] ^= 0x01;
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "ipv4.ttl");
    fails_naming(&r, "payload[100]");
}

#[test]
fn an_ipv6_fragment_id_from_the_lower_half_is_named() {
    let mut sc = Scenario::builtin_default();
    sc.connections[0].ipv6 = true;
    sc.connections[0].frag_header = true;
    sc.connections[0].src_ip = txoe_testbench::scenario::IpAddress("fd00::1".parse().unwrap());
    sc.connections[0].dst_ip = txoe_testbench::scenario::IpAddress("fd00::2".parse().unwrap());
    let out = model_only(&sc);
    let mut frames: Vec<Vec<u8>> = out.frames.iter().map(|f| f.data.clone()).collect();
    assert!(checked(&sc, &frames, &out.cq_dump, &out.registers).passed());
    // frame 0: untagged IPv6 with a fragment header; its ID is bytes 14 + 44..48
    frames[0][14 + 44] &= 0x7F;
    let r = checked(&sc, &frames, &out.cq_dump, &out.registers);
    fails_naming(&r, "frag.id");
    fails_naming(&r, "frag.id.lower_half");
}

#[test]
fn a_dropped_frame_is_named_and_the_rest_still_match() {
    let (sc, mut frames, cq, regs) = default_run();
    frames.remove(5);
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "frames.missing");
    assert!(r.to_string().contains("expected frame 5 (frame=5 send=5 segment=0)"), "{r}");
    assert_eq!(r.frames_matched, 11, "{r}");
    // a frame too many is named as well
    let (_, mut frames, _, _) = default_run();
    let extra = frames[2].clone();
    frames.insert(3, extra);
    fails_naming(&checked(&sc, &frames, &cq, &regs), "frames.extra");
}

#[test]
fn a_reordered_completion_is_named() {
    let (sc, frames, mut cq, regs) = default_run();
    cq.entries.swap(6, 7);
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "cq.order");
    assert!(r.to_string().contains("CQ entries 6 and 7 hold the completions of sends 7 and 6"), "{r}");
}

#[test]
fn a_duplicate_completion_is_named() {
    let (sc, frames, mut cq, regs) = default_run();
    let dup = cq.entries[4];
    cq.entries.insert(5, dup);
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "cq.duplicate");
    assert_eq!(r.entries_matched, 12, "{r}");
}

#[test]
fn a_missing_completion_and_a_gap_are_named() {
    let (sc, frames, mut cq, regs) = default_run();
    cq.entries.remove(3);
    fails_naming(&checked(&sc, &frames, &cq, &regs), "cq.missing");
    // slot 3 never written (still zero: the wrong phase), slot 4 written
    let (_, _, mut cq, _) = default_run();
    cq.entries[3] = [0; 16];
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "cq.gap");
    fails_naming(&r, "phase");
}

#[test]
fn an_ipv4_id_from_the_lower_half_is_named() {
    let (sc, mut frames, cq, regs) = default_run();
    // a plausible frame: the ID's top bit cleared, the header checksum fixed
    frames[2][18] &= 0x7F;
    fix_ipv4_checksum(&mut frames[2]);
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "ipv4.id");
    fails_naming(&r, "ipv4.id.lower_half");
}

#[test]
fn a_cleared_df_is_named() {
    let (sc, mut frames, cq, regs) = default_run();
    frames[0][20] &= !0x40;
    fix_ipv4_checksum(&mut frames[0]);
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "ipv4.df");
    fails_naming(&r, "ipv4.flags_frag");
}

#[test]
fn batch_rules_and_registers_are_checked() {
    let (sc, frames, mut cq, regs) = default_run();
    // the last entry (an IMMEDIATE send's) loses its end-of-batch mark
    cq.entries.last_mut().unwrap()[15] &= !0x32;
    fails_naming(&checked(&sc, &frames, &cq, &regs), "batch.immediate");
    // the same without IMMEDIATE: a batch left open
    let mut sc2 = sc.clone();
    sc2.sends[11].immediate = false;
    let out = model_only(&sc2);
    let frames2: Vec<Vec<u8>> = out.frames.iter().map(|f| f.data.clone()).collect();
    let mut cq2 = out.cq_dump.clone();
    assert!(checked(&sc2, &frames2, &cq2, &out.registers).passed());
    cq2.entries.last_mut().unwrap()[15] &= !0x32;
    fails_naming(&checked(&sc2, &frames2, &cq2, &out.registers), "batch.open");
    // a batch grows past max_batch (4): clear the end-of-batch marks of the first batches
    let (_, _, mut cq, _) = default_run();
    for e in cq.entries.iter_mut().take(5) {
        e[15] &= !0x32;
    }
    fails_naming(&checked(&sc, &frames, &cq, &regs), "batch.size");
    // a register off by one, and a batch counter that disagrees with the CQ
    let (_, _, cq, mut regs) = default_run();
    *regs.values.get_mut("SND_NXT[0]").unwrap() += 1;
    *regs.values.get_mut("CNT_BATCH").unwrap() += 1;
    let r = checked(&sc, &frames, &cq, &regs);
    fails_naming(&r, "SND_NXT[0]");
    fails_naming(&r, "CNT_BATCH");
}

#[test]
fn short_frames_padded_to_60_bytes_match() {
    let (sc, mut frames, cq, regs) = default_run();
    // send 1 carries one byte: 18 + 20 + 20 + 1 = 59 bytes, padded on the wire
    assert_eq!(frames[1].len(), 59);
    frames[1].push(0);
    assert!(checked(&sc, &frames, &cq, &regs).passed());
}

fn check_files(sc: &Path, pcap: &Path, cq: &Path, regs: Option<&Path>) -> std::process::Output {
    let mut c = txoe();
    c.arg("check").arg(sc).arg("--captured-pcap").arg(pcap).arg("--captured-cq").arg(cq);
    if let Some(r) = regs {
        c.arg("--registers").arg(r);
    }
    c.output().unwrap()
}

#[test]
fn malformed_capture_files_are_rejected_with_a_clear_message() {
    let (sc, _, _, _) = default_run();
    let out = model_only(&sc);
    let c = write_capture(&sc, &out);
    let dir = tempfile::tempdir().unwrap();
    let err = |o: &std::process::Output| {
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stdout));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };

    let not_pcap = dir.path().join("frames.txt");
    std::fs::write(&not_pcap, "these are not frames\n").unwrap();
    let e = err(&check_files(&c.scenario, &not_pcap, &c.cq, None));
    assert!(e.contains("malformed capture") && e.contains("not a pcap or pcapng file"), "{e}");

    let bytes = std::fs::read(&c.cq).unwrap();
    let cut = dir.path().join("cut.cq");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).unwrap();
    let e = err(&check_files(&c.scenario, &c.pcap, &cut, None));
    assert!(e.contains("truncated CQ dump: the header says 12 entries (192 bytes), the file holds 187 bytes"), "{e}");
    std::fs::write(&cut, &bytes[..20]).unwrap();
    let e = err(&check_files(&c.scenario, &c.pcap, &cut, None));
    assert!(e.contains("shorter than its 32-byte header"), "{e}");
    std::fs::write(&cut, std::fs::read(&c.pcap).unwrap()).unwrap();
    let e = err(&check_files(&c.scenario, &c.pcap, &cut, None));
    assert!(e.contains("not a CQ dump"), "{e}");

    let regs = dir.path().join("bad.regs");
    for (text, want) in [
        ("CNT_FRAMES 12\nCNT_FRAMS 3\n", "line 2: unknown register \"CNT_FRAMS\""),
        ("CNT_FRAMES twelve\n", "line 1: value \"twelve\" of CNT_FRAMES is not a 32-bit"),
        ("CNT_FRAMES 0x1_0000_0000\n", "line 1: value"),
        ("# comment\nCNT_FRAMES\n", "line 2: expected `NAME value`"),
        ("CNT_FRAMES 12\nCNT_FRAMES 12\n", "line 2: CNT_FRAMES appears twice"),
    ] {
        std::fs::write(&regs, text).unwrap();
        let e = err(&check_files(&c.scenario, &c.pcap, &c.cq, Some(&regs)));
        assert!(e.contains(want), "{text:?}: {e}");
    }
}

#[test]
fn check_exits_1_with_the_report_on_a_mismatch() {
    let (sc, _, _, _) = default_run();
    let out = model_only(&sc);
    let c = write_capture(&sc, &out);
    let mut frames: Vec<txoe_testbench::Frame> = out.frames.clone();
    frames[4].data[22] ^= 0x10;
    pcap::write_pcap_file(&c.pcap, &frames).unwrap();
    let o = run_check(&c);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("MISMATCH port=m_axis_tx frame=4 send=4 segment=0 field=ipv4.ttl"), "{text}");
    assert!(text.contains("mismatches=1"), "{text}");
}

#[test]
fn txoe_expect_writes_the_golden_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (p, j, r) = (dir.path().join("e/x.pcap"), dir.path().join("e/x.jsonl"), dir.path().join("e/x.regs"));
    let o = txoe()
        .args(["expect", "--seed", "9", "--sends", "30", "--bad-percent", "30", "--pcap"])
        .arg(&p)
        .arg("--completions")
        .arg(&j)
        .arg("--registers")
        .arg(&r)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sc = Scenario::random(9, &GenKnobs { sends: 30, bad_percent: 30, ..GenKnobs::default() });
    let g = Golden::of(&sc);
    let frames = pcap::read_capture_file(&p).unwrap();
    assert_eq!(frames, g.frames.iter().map(|f| f.data.clone()).collect::<Vec<_>>());
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&j)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 30);
    for (l, e) in lines.iter().zip(&g.entries) {
        assert_eq!(l["cookie"].as_u64(), Some(e.cookie));
        assert_eq!(l["status"].as_str(), Some(e.status.as_str()));
        assert_eq!(l["segments"].as_u64(), Some(u64::from(e.segments)));
    }
    assert!(lines.iter().any(|l| l["status"] != "ok"));
    let rf = RegisterFile::read_file(&r).unwrap();
    assert_eq!(rf.values, g.registers);
}

#[test]
fn txoe_run_writes_a_capture_that_txoe_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let gen = ["--seed", "12", "--sends", "50", "--multi-segment", "--bad-percent", "10"];
    let o = txoe()
        .args(["run", "--model-only", "--quiet"])
        .args(gen)
        .arg("--pcap")
        .arg(p("out/r.pcap"))
        .arg("--cq-dump")
        .arg(p("out/r.cq"))
        .arg("--registers")
        .arg(p("out/r.regs"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dump = CqDump::read_file(&p("out/r.cq")).unwrap();
    assert_eq!(dump.entries.len(), 50);
    let o = txoe()
        .arg("check")
        .args(gen)
        .arg("--captured-pcap")
        .arg(p("out/r.pcap"))
        .arg("--captured-cq")
        .arg(p("out/r.cq"))
        .arg("--registers")
        .arg(p("out/r.regs"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("50 completion entries") && text.contains("mismatches=0"), "{text}");
}

#[test]
fn txoe_drive_on_the_simulated_model_and_an_incomplete_drive() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let drive = |polls: &str| {
        txoe()
            .args(["drive", "--sim", "--max-idle-polls", polls, "--pcap"])
            .arg(p("d/f.pcap"))
            .arg("--cq-dump")
            .arg(p("d/f.cq"))
            .arg("--registers")
            .arg(p("d/f.regs"))
            .output()
            .unwrap()
    };
    let check = || {
        txoe()
            .arg("check")
            .arg("--captured-pcap")
            .arg(p("d/f.pcap"))
            .arg("--captured-cq")
            .arg(p("d/f.cq"))
            .arg("--registers")
            .arg(p("d/f.regs"))
            .output()
            .unwrap()
    };
    let o = drive("100000");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = check();
    assert_eq!(c.status.code(), Some(0), "{}", String::from_utf8_lossy(&c.stdout));

    // No patience at all: the driver gives up at the first empty poll, but leaves the
    // CQ dump and the registers, and the check says what is missing.
    std::fs::remove_file(p("d/f.cq")).unwrap();
    std::fs::remove_file(p("d/f.pcap")).unwrap();
    let o = drive("0");
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("no completion after 0 polls"), "{e}");
    let dump = CqDump::read_file(&p("d/f.cq")).unwrap();
    assert!(dump.entries.len() < 12);
    let c = check();
    assert_eq!(c.status.code(), Some(1));
    let text = String::from_utf8_lossy(&c.stdout);
    assert!(text.contains("rule=cq.missing") && text.contains("field=CNT_CPL"), "{text}");
}

#[test]
fn expect_check_and_drive_refuse_a_scenario_with_faults_or_resets() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let gen = ["--seed", "7", "--sends", "20", "--fault-percent", "50", "--resets", "1"];
    let refused = |o: std::process::Output, cmd: &str| {
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {e}");
        assert!(e.contains(&format!("txoe: {cmd}: the scenario injects faults or resets (")), "{e}");
        assert!(e.contains("env.resets") && e.contains("run it in lockstep"), "{e}");
    };
    let o = txoe().arg("expect").args(gen).arg("--pcap").arg(p("e.pcap")).output().unwrap();
    refused(o, "expect");
    assert!(!p("e.pcap").exists(), "nothing is predicted for a scenario with faults");
    let o = txoe()
        .arg("check")
        .args(gen)
        .arg("--captured-pcap")
        .arg(p("none.pcap"))
        .arg("--captured-cq")
        .arg(p("none.cq"))
        .output()
        .unwrap();
    refused(o, "check");
    let o = txoe().args(["drive", "--sim"]).args(gen).arg("--cq-dump").arg(p("d.cq")).output().unwrap();
    refused(o, "drive");
    assert!(!p("d.cq").exists());

    // One fault key alone is named.
    let mut sc = Scenario::builtin_default();
    assert!(txoe_testbench::bringup::golden::supports(&sc).is_ok());
    sc.sends[1].fault = Some(txoe_testbench::scenario::Fault::ReservedWord);
    let e = txoe_testbench::bringup::golden::supports(&sc).unwrap_err();
    assert!(e.contains("(sends[1].fault (reserved_word))"), "{e}");
}

/// In a run with a reset and a doorbell outside the ring, the host's read-back has
/// `TX_TAIL` too, the counters count since the reset, and the CQ dump holds the entries
/// consumed since then (the CQ starts over at slot 0).
#[test]
fn run_outputs_after_a_reset_describe_the_run_since_it() {
    let mut sc = Scenario::builtin_default();
    sc.sends[0].fault = Some(txoe_testbench::scenario::Fault::BadDoorbell);
    let cfg = RunConfig { model_only: true, progress_every: 0, window: None, ..RunConfig::default() };
    let plain = run_scenario(&sc, &cfg).expect("scenario runs");
    assert!(plain.passed(), "{}", plain.report);
    assert!(plain.registers.values.contains_key("TX_TAIL"), "{:?}", plain.registers);
    assert_eq!(plain.registers.values["TX_TAIL"], plain.registers.values["TX_HEAD"]);
    assert_eq!(plain.cq_dump.entries.len(), sc.sends.len());

    // A reset just after the first batch was seen: that batch is consumed before it.
    sc.env.resets = vec![plain.batches[0].cycle + 1];
    let out = run_scenario(&sc, &cfg).expect("scenario runs");
    assert!(out.passed(), "{}", out.report);
    assert_eq!(out.faults.resets.len(), 1);
    let before: usize = out.batches.iter().filter(|b| b.cycle <= sc.env.resets[0]).map(|b| b.entries.len()).sum();
    assert!(before > 0);
    let r = &out.registers.values;
    assert_eq!(out.cq_dump.entries.len() + before, out.batches.iter().map(|b| b.entries.len()).sum::<usize>());
    assert_eq!(r["CNT_CPL"] as usize, out.cq_dump.entries.len(), "{r:?}");
    assert_eq!(r["TX_TAIL"], r["TX_HEAD"]);
    assert_eq!(r["CQ_TAIL"] as usize, out.cq_dump.entries.len() % (1 << sc.config.cq_log2));
}
