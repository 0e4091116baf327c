//! The comparator, the field locator and the runner, on scripted devices.

mod common;

use common::{cpl_write, ipv4_frame, tx_beats, ReadyEnv, Script};
use txoe_cosim::locate::{completion_field, frame_field};
use txoe_cosim::txn::diff_frame;
use txoe_cosim::{compare, run, Failure, FieldDiff, RunOptions};
use txoe_model::layout::{CloseReason, CompletionEntry, Status};
use txoe_model::ports::{set_bus_byte, Outputs};

fn opts(max_cycles: u64) -> RunOptions {
    RunOptions { max_cycles, progress_every: 0, seed: 42 }
}

fn mismatch(report: &txoe_cosim::RunReport) -> (u64, Vec<FieldDiff>) {
    match &report.failure {
        Some(Failure::Mismatch { cycle, diffs }) => (*cycle, diffs.clone()),
        other => panic!("expected a mismatch, got {other:?}\n{report}"),
    }
}

// (a) comparator

#[test]
fn compare_flags_a_perturbed_payload_with_port_and_field() {
    let m =
        Outputs { m_axi_arvalid: true, m_axi_araddr: 0x1000, m_axi_arlen: 3, ..Outputs::default() };
    let mut r = m;
    r.m_axi_araddr = 0x1040;
    let d = compare(64, &m, &r);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].port.as_str(), d[0].field.as_str()), ("m_axi_ar", "m_axi_araddr"));
    assert_eq!((d[0].model, d[0].rtl), (0x1000, 0x1040));
    assert!(d[0].transaction.is_empty());
}

#[test]
fn compare_ignores_payloads_while_valid_is_low() {
    let m = Outputs { m_axi_araddr: 0x1000, s_axil_rdata: 5, ..Outputs::default() };
    let mut r = Outputs {
        m_axi_araddr: 0x2000,
        s_axil_rdata: 6,
        m_axis_tx_tkeep: 0xFF,
        ..Outputs::default()
    };
    r.m_axis_tx_tdata[0] = 0xdead;
    r.m_axi_wdata[3] = 1;
    assert!(compare(64, &m, &r).is_empty());
}

#[test]
fn compare_always_checks_valid_ready_and_irq() {
    let m = Outputs::default();
    let r = Outputs { m_axi_rready: true, irq: true, s_axil_awready: true, ..Outputs::default() };
    let d = compare(64, &m, &r);
    let names: Vec<(&str, &str)> = d.iter().map(|d| (d.port.as_str(), d.field.as_str())).collect();
    assert_eq!(
        names,
        [("s_axil_aw", "s_axil_awready"), ("m_axi_r", "m_axi_rready"), ("irq", "irq")]
    );
}

#[test]
fn compare_masks_buses_to_data_w() {
    let m = Outputs { m_axis_tx_tvalid: true, m_axis_tx_tkeep: 0xFF, ..Outputs::default() };
    let mut r = m;
    r.m_axis_tx_tdata[1] = 7; // above DATA_W = 64
    r.m_axis_tx_tkeep = 0x1FF;
    assert!(compare(64, &m, &r).is_empty());
    let d = compare(128, &m, &r);
    let names: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(names, ["m_axis_tx_tdata[127:64]", "m_axis_tx_tkeep"]);
}

// (b) field locator

#[test]
fn locator_names_ipv4_and_tcp_fields() {
    let f = ipv4_frame(None, 0x8003, 10);
    for off in [18, 19] {
        let s = frame_field(&f, off);
        assert_eq!((s.name.as_ref(), s.start, s.len), ("ipv4.id", 18, 2));
    }
    assert_eq!(frame_field(&f, 14 + 20 + 16).name, "tcp.checksum");
    assert_eq!(frame_field(&f, 14 + 20 + 17).name, "tcp.checksum");
    assert_eq!(frame_field(&f, 12).name, "eth.type");
    assert_eq!(frame_field(&f, 14 + 20 + 20 + 3).name, "payload[3]");
}

#[test]
fn locator_follows_a_vlan_tag() {
    let f = ipv4_frame(Some(0x123), 0x8003, 10);
    assert_eq!(frame_field(&f, 12).name, "vlan.tpid");
    assert_eq!(frame_field(&f, 15).name, "vlan.tci");
    assert_eq!(frame_field(&f, 16).name, "eth.type");
    let s = frame_field(&f, 22);
    assert_eq!((s.name.as_ref(), s.start), ("ipv4.id", 22));
    assert_eq!(frame_field(&f, 18 + 20 + 17).name, "tcp.checksum");
}

#[test]
fn locator_names_completion_fields() {
    assert_eq!(completion_field(16 + 14).name, "cpl[1].status");
    assert_eq!(completion_field(3).name, "cpl[0].cookie");
}

#[test]
fn runner_reports_a_tdata_byte_as_its_header_field() {
    for (vlan, id_at) in [(None, 18usize), (Some(7u16), 22)] {
        let frame = ipv4_frame(vlan, 0x8003, 30);
        let mut bad = frame.clone();
        bad[id_at + 1] = 0x04;
        let (m, r) = (Script::new(64, tx_beats(&frame, 64)), Script::new(64, tx_beats(&bad, 64)));
        let (mut m, mut r) = (m, r);
        let mut env = ReadyEnv::new(20);
        let rep = run(&mut env, &mut m, Some(&mut r), &opts(100));
        let (cycle, diffs) = mismatch(&rep);
        assert_eq!(cycle, (id_at / 8) as u64);
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        let d = &diffs[0];
        assert_eq!(
            (d.port.as_str(), d.field.as_str(), d.transaction.as_str()),
            ("m_axis_tx", "ipv4.id", "frame=0")
        );
        assert_eq!((d.model, d.rtl), (0x8003, 0x8004));
        let text = rep.to_string();
        assert!(
            text.contains(&format!(
                "MISMATCH cycle={cycle} port=m_axis_tx frame=0 field=ipv4.id model=0x8003 (32771) rtl=0x8004 (32772) seed=42"
            )),
            "{text}"
        );
        assert!(text.contains("mismatches=1"), "{text}");
    }
}

#[test]
fn runner_reports_a_split_field_and_a_second_frame() {
    // ipv4.dst is bytes 30..34: split over beats 3 and 4 at 64 bits.
    let f0 = ipv4_frame(None, 0x8000, 5);
    let f1 = ipv4_frame(None, 0x8001, 5);
    let mut bad = f1.clone();
    bad[31] ^= 0xFF;
    let mut ms = tx_beats(&f0, 64);
    ms.extend(tx_beats(&f1, 64));
    let mut rs = tx_beats(&f0, 64);
    rs.extend(tx_beats(&bad, 64));
    let (mut m, mut r) = (Script::new(64, ms), Script::new(64, rs));
    let rep = run(&mut ReadyEnv::new(30), &mut m, Some(&mut r), &opts(100));
    let (_, diffs) = mismatch(&rep);
    assert_eq!(diffs[0].field, "ipv4.dst[0..2]");
    assert_eq!(diffs[0].transaction, "frame=1");
    assert_eq!((diffs[0].model, diffs[0].rtl), (0x0A00, 0x0AFF));
}

#[test]
fn runner_reports_completion_fields() {
    let e = |cookie, eob| CompletionEntry {
        cookie,
        bytes: 1460,
        segments: 1,
        status: Status::Ok as u8,
        phase: true,
        end_of_batch: eob,
        reason: CloseReason::Timeout,
    };
    let good: Vec<u8> = [e(1, false), e(2, true)].iter().flat_map(|x| x.encode()).collect();
    let mut bad = good.clone();
    bad[16 + 14] = Status::DmaError as u8;
    let (mut m, mut r) = (
        Script::new(64, cpl_write(0x4000, &good, 64)),
        Script::new(64, cpl_write(0x4000, &bad, 64)),
    );
    let rep = run(&mut ReadyEnv::new(20), &mut m, Some(&mut r), &opts(100));
    let (cycle, diffs) = mismatch(&rep);
    assert_eq!(cycle, 1 + 3); // AW, then the fourth W beat holds bytes 24..32
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert_eq!(
        (diffs[0].port.as_str(), diffs[0].field.as_str(), diffs[0].transaction.as_str()),
        ("m_axi_w", "cpl[1].status", "batch=0")
    );
    assert_eq!((diffs[0].model, diffs[0].rtl), (0, 8));
}

#[test]
fn a_differing_close_reason_is_named_on_the_cycle_and_in_the_batch() {
    let e = |cookie, eob, reason| CompletionEntry {
        cookie,
        bytes: 64,
        segments: 1,
        status: Status::Ok as u8,
        phase: true,
        end_of_batch: eob,
        reason,
    };
    let bytes = |last: CloseReason| -> Vec<u8> {
        [e(1, false, CloseReason::MaxBatch), e(2, false, CloseReason::MaxBatch), e(3, true, last)]
            .iter()
            .flat_map(|x| x.encode())
            .collect()
    };
    let (good, bad) = (bytes(CloseReason::MaxBatch), bytes(CloseReason::Timeout));

    // On the cycle: the W beat holding byte 47 (the last beat at 64 bits) differs.
    let (mut m, mut r) = (
        Script::new(64, cpl_write(0x4000, &good, 64)),
        Script::new(64, cpl_write(0x4000, &bad, 64)),
    );
    let rep = run(&mut ReadyEnv::new(20), &mut m, Some(&mut r), &opts(100));
    let (cycle, diffs) = mismatch(&rep);
    assert_eq!(cycle, 1 + 5);
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert_eq!(
        (diffs[0].field.as_str(), diffs[0].transaction.as_str(), diffs[0].model, diffs[0].rtl),
        ("cpl[2].reason", "batch=0", 0, 1)
    );

    // Whole batches: the batch's reason, then the entry's.
    let batch = |b: Vec<u8>| txoe_cosim::txn::Batch { awaddr: Some(0x4000), awlen: Some(5), bytes: b };
    let mut out = Vec::new();
    txoe_cosim::txn::diff_batch(7, &batch(good.clone()), &batch(bad.clone()), &mut out);
    let fields: Vec<(&str, u128, u128)> = out.iter().map(|d| (d.field.as_str(), d.model, d.rtl)).collect();
    assert_eq!(fields, [("batch.reason", 0, 1), ("cpl[2].reason", 0, 1)]);
    assert!(out.iter().all(|d| d.transaction == "batch=7"));

    // A batch cut one entry short: its size, its reason and where its end moved.
    let short: Vec<u8> = [e(1, false, CloseReason::MaxBatch), e(2, true, CloseReason::Immediate)]
        .iter()
        .flat_map(|x| x.encode())
        .collect();
    out.clear();
    txoe_cosim::txn::diff_batch(0, &batch(good), &batch(short), &mut out);
    let fields: Vec<&str> = out.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["batch.entries", "batch.reason", "cpl[1].end_of_batch", "cpl[1].reason"]);
}

#[test]
fn runner_diffs_frames_and_batches_when_all_agree() {
    let mut outs = Vec::new();
    for i in 0..3u16 {
        outs.extend(tx_beats(
            &ipv4_frame(if i == 1 { Some(5) } else { None }, 0x8000 + i, 40 + usize::from(i)),
            64,
        ));
    }
    let entry = CompletionEntry {
        cookie: 9,
        bytes: 3,
        segments: 1,
        status: 0,
        phase: true,
        end_of_batch: true,
        reason: CloseReason::Immediate,
    };
    outs.extend(cpl_write(0x8000, &entry.encode(), 64));
    let n = outs.len() as u64;
    let (mut m, mut r) = (Script::new(64, outs.clone()), Script::new(64, outs));
    let rep = run(&mut ReadyEnv::new(n + 5), &mut m, Some(&mut r), &opts(1000));
    assert!(rep.passed(), "{rep}");
    assert_eq!((rep.cycles, rep.frames, rep.headers_diffed, rep.batches_diffed), (n + 5, 3, 3, 1));
    let text = rep.to_string();
    assert!(
        text.contains(&format!(
            "lockstep matched {} cycles, 3 headers, 1 completion batches",
            n + 5
        )),
        "{text}"
    );
    assert!(text.contains("mismatches=0"), "{text}");
}

#[test]
fn frame_diff_compares_decoded_headers() {
    let a = ipv4_frame(None, 0x8003, 20);
    let b = ipv4_frame(None, 0x8004, 20);
    let mut out = Vec::new();
    assert!(diff_frame(4, &a, &b, &mut out));
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!((out[0].field.as_str(), out[0].transaction.as_str()), ("ipv4.id", "frame=4"));
    out.clear();
    assert!(diff_frame(0, &a, &a, &mut out));
    assert!(out.is_empty());
}

// (c) runner

/// A device that shows `s_axil_rdata = cycle` with rvalid, off by one from `from` on.
struct Counter {
    cycle: u64,
    from: Option<u64>,
}

impl txoe_model::ports::Device for Counter {
    fn cycle(&mut self, _inp: &txoe_model::ports::Inputs) -> Outputs {
        let c = self.cycle;
        self.cycle += 1;
        let bump = u32::from(self.from.is_some_and(|f| c >= f));
        Outputs { s_axil_rvalid: true, s_axil_rdata: c as u32 + bump, ..Outputs::default() }
    }
    fn data_width(&self) -> u32 {
        64
    }
}

#[test]
fn runner_stops_on_the_first_differing_cycle() {
    let mut m = Counter { cycle: 0, from: None };
    let mut r = Counter { cycle: 0, from: Some(37) };
    let mut env = ReadyEnv::new(1000);
    let rep = run(&mut env, &mut m, Some(&mut r), &opts(10_000));
    let (cycle, diffs) = mismatch(&rep);
    assert_eq!(cycle, 37);
    assert_eq!(rep.cycles, 38);
    assert_eq!(
        diffs[0],
        FieldDiff {
            port: "s_axil_r".into(),
            field: "s_axil_rdata".into(),
            transaction: String::new(),
            model: 37,
            rtl: 38,
        }
    );
    assert_eq!(env.seen, 37, "the mismatching cycle is not observed");
    assert!(!rep.passed());
}

#[test]
fn runner_reports_environment_errors() {
    let (mut m, mut r) = (Counter { cycle: 0, from: None }, Counter { cycle: 0, from: None });
    let mut env = ReadyEnv::new(1000);
    env.fail_at = Some(12);
    let rep = run(&mut env, &mut m, Some(&mut r), &opts(10_000));
    match &rep.failure {
        Some(Failure::Env(e)) => assert_eq!((e.cycle, e.port.as_str()), (12, "scoreboard")),
        other => panic!("expected an env failure, got {other:?}"),
    }
    assert_eq!(rep.cycles, 13);
    assert!(rep.to_string().contains("ENV-ERROR cycle=12 port=scoreboard"), "{rep}");
}

#[test]
fn runner_times_out() {
    let mut m = Counter { cycle: 0, from: None };
    let rep = run(&mut ReadyEnv::new(1000), &mut m, None, &opts(50));
    assert_eq!(rep.failure, Some(Failure::Timeout { cycles: 50 }));
    assert_eq!(rep.cycles, 50);
}

#[test]
fn model_only_runs_count_frames() {
    let mut outs = tx_beats(&ipv4_frame(None, 0x8000, 100), 64);
    outs.extend(tx_beats(&ipv4_frame(None, 0x8001, 3), 64));
    let mut m = Script::new(64, outs);
    let rep = run(
        &mut ReadyEnv::new(40),
        &mut m,
        None,
        &RunOptions { max_cycles: 100, progress_every: 10, seed: 1 },
    );
    assert!(rep.passed(), "{rep}");
    assert_eq!((rep.frames, rep.headers_diffed, rep.lockstep), (2, 0, false));
    assert!(rep.to_string().starts_with("model-only run: 40 cycles, 2 frames"), "{rep}");
}

#[test]
fn lanes_outside_tkeep_are_named_as_lanes() {
    let frame = ipv4_frame(None, 0x8000, 3); // 57 bytes: the last beat has one byte
    let good = tx_beats(&frame, 64);
    let mut bad = good.clone();
    let last = bad.len() - 1;
    set_bus_byte(&mut bad[last].m_axis_tx_tdata, 5, 0xEE);
    let (mut m, mut r) = (Script::new(64, good), Script::new(64, bad));
    let rep = run(&mut ReadyEnv::new(20), &mut m, Some(&mut r), &opts(100));
    let (_, diffs) = mismatch(&rep);
    assert_eq!(diffs[0].field, "m_axis_tx_tdata.lane[5]");
}

/// Panics on cycle `at`, like an RTL whose assertion fails.
struct Fails {
    cycle: u64,
    at: u64,
}

impl txoe_model::ports::Device for Fails {
    fn cycle(&mut self, _inp: &txoe_model::ports::Inputs) -> Outputs {
        let c = self.cycle;
        self.cycle += 1;
        if c == self.at {
            panic!("the RTL stopped at cycle {c}: assertion IdUpperHalf_A failed");
        }
        Outputs::default()
    }
    fn data_width(&self) -> u32 {
        64
    }
}

#[test]
fn runner_reports_a_device_that_stops() {
    let mut m = Script::new(64, Vec::new());
    let mut r = Fails { cycle: 0, at: 9 };
    let rep = run(&mut ReadyEnv::new(100), &mut m, Some(&mut r), &opts(1000));
    match &rep.failure {
        Some(Failure::Stopped { cycle, device, message }) => {
            assert_eq!((*cycle, device.as_str()), (9, "rtl"));
            assert!(message.contains("IdUpperHalf_A"), "{message}");
        }
        other => panic!("expected a stop, got {other:?}"),
    }
    assert_eq!(rep.cycles, 10);
    assert!(rep.to_string().starts_with("STOPPED cycle=9 device=rtl"), "{rep}");
}
