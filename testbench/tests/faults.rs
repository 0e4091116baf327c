//! SPEC §6, row by row, in lockstep: bad descriptors, a doorbell outside the ring, AXI
//! read errors on a descriptor fetch and on payload, an AXI write error on a completion
//! batch, long `tready` stalls, a CQ full for a long time, and resets at many cycles
//! (`docs/verification.md`, "Faults and resets"). Each test asserts the outcome the
//! spec and `docs/` require (statuses, `ERR` bits, `irq`, frames, IDs), not only that
//! the two sides agree.

use txoe_model::layout::Status;
use txoe_model::ports::{Inputs, Outputs};
use txoe_model::regs;
use txoe_testbench::memory::{AxiMemory, MemTiming, ReadFault, RESP_SLVERR};
use txoe_testbench::host::ResetCause;
use txoe_testbench::scenario::{Fault, Scenario, Send};
use txoe_testbench::Outcome;

mod common;
use common::{lockstep, next_id16, seen};

/// One IPv4 connection (id 0, MSS 1460) and sends of the given lengths, posted together.
fn scenario(width: u32, lens: &[u32]) -> Scenario {
    let mut sc = Scenario::builtin_default();
    sc.config.data_width = width;
    sc.config.ipv4_id_start = 0x9000;
    sc.connections.truncate(1);
    sc.sends = lens
        .iter()
        .enumerate()
        .map(|(i, &len)| Send {
            conn: 0,
            len,
            cookie: Some(0x100 + i as u64),
            buf_offset: (i % 8) as u16,
            ..Send::default()
        })
        .collect();
    sc.env.tready_percent = 90;
    sc.env.cq_consumer_lag = 20;
    sc
}

/// The status of every completion the host consumed, in order.
fn statuses(out: &Outcome) -> Vec<u8> {
    out.batches.iter().flat_map(|b| b.entries.iter().map(|e| e.status)).collect()
}

fn ipv4_ids(out: &Outcome) -> Vec<u16> {
    seen(out).iter().map(|f| f.ipv4_id.expect("IPv4")).collect()
}

#[test]
fn payload_read_error_completes_dma_error_with_the_bytes_sent() {
    for width in [64, 256] {
        let mut sc = scenario(width, &[3000, 500, 3000]);
        // Segment 1 of send 0 (1460 + 1460 + 80 bytes): at 64 bits segment 0 reads 183
        // beats, at 256 bits 46.
        sc.sends[0].fault = Some(Fault::PayloadRead);
        sc.sends[0].fault_beat = if width == 64 { 200 } else { 50 };
        let Some(out) = lockstep(&sc) else { return };
        let st = statuses(&out);
        assert_eq!(st, [Status::DmaError as u8, 0, 0], "width {width}");
        let e = &out.batches[0].entries[0];
        assert_eq!((e.bytes, e.segments), (1460, 1), "the segment before the failing one was sent");
        assert_eq!(out.faults.dma_errors, 1);
        assert_eq!(out.faults.fired.len(), 1);
        // 1 frame of send 0, 1 of send 1, 3 of send 2; no ID taken by the dropped segments.
        let ids = ipv4_ids(&out);
        assert_eq!(ids.len(), 5);
        for w in ids.windows(2) {
            assert_eq!(w[1], next_id16(w[0]), "consecutive IDs: {ids:x?}");
        }
        assert_eq!(ids[0], 0x9000);
        assert!(out.faults.err.is_empty(), "a payload error sets no ERR bit");
        assert!(out.faults.resets.is_empty());
    }
}

/// Every validation failure of SPEC §6 row 1, each with its own status, between good
/// sends on an IPv4 and an IPv6-with-fragment-header connection: no frame, no ID of
/// either counter consumed, the next good frames unaffected.
#[test]
fn each_bad_descriptor_has_its_status_no_frame_and_takes_no_id() {
    for width in [64, 256] {
        let mut sc = scenario(width, &[]);
        sc.config.ipv6_id_start = 0xFFFF_FFFE;
        let mut v6 = sc.connections[0].clone();
        v6.id = 1;
        v6.ipv6 = true;
        v6.frag_header = true;
        v6.src_ip = "fd00::1".parse().map(txoe_testbench::scenario::IpAddress).unwrap();
        v6.dst_ip = "fd00::2".parse().map(txoe_testbench::scenario::IpAddress).unwrap();
        let mut small = sc.connections[0].clone();
        small.id = 2;
        small.mss = 63;
        sc.connections.extend([v6, small]);
        // (conn, len, fault, expected status)
        let plan: [(u16, u32, Option<Fault>, Status); 16] = [
            (0, 100, None, Status::Ok),
            (1, 100, None, Status::Ok),
            (0, 0, None, Status::BadLength),
            (0, 200, None, Status::Ok),
            (1, 65536, None, Status::TooLong),
            (1, 200, None, Status::Ok),
            (20, 100, None, Status::BadConn),
            (0, 300, None, Status::Ok),
            (5, 100, None, Status::InvalidCtx),
            (1, 300, None, Status::Ok),
            (2, 100, None, Status::MssTooSmall),
            (0, 400, None, Status::Ok),
            (0, 100, Some(Fault::ReservedBits), Status::ReservedBits),
            (1, 400, None, Status::Ok),
            (1, 100, Some(Fault::ReservedWord), Status::ReservedBits),
            (0, 500, None, Status::Ok),
        ];
        sc.sends = plan
            .iter()
            .enumerate()
            .map(|(i, &(conn, len, fault, _))| Send {
                conn,
                len,
                fault,
                cookie: Some(i as u64),
                ..Send::default()
            })
            .collect();
        let Some(out) = lockstep(&sc) else { return };
        let want: Vec<u8> = plan.iter().map(|p| p.3 as u8).collect();
        assert_eq!(statuses(&out), want, "width {width}");
        let codes: std::collections::BTreeSet<u8> = want.iter().copied().filter(|&c| c != 0).collect();
        assert_eq!(codes.len(), 6, "six distinct error statuses");
        for e in out.batches.iter().flat_map(|b| &b.entries) {
            if e.status != 0 {
                assert_eq!((e.bytes, e.segments), (0, 0));
            }
        }
        let f = seen(&out);
        assert_eq!(f.len(), 9, "one frame per good send, none for the bad ones");
        let v4: Vec<u16> = f.iter().filter_map(|s| s.ipv4_id).collect();
        let v6: Vec<u32> = f.iter().filter_map(|s| s.frag_id).collect();
        assert_eq!(v4, [0x9000, 0x9001, 0x9002, 0x9003, 0x9004]);
        assert_eq!(v6, [0xFFFF_FFFE, 0xFFFF_FFFF, 0x8000_0000, 0x8000_0001]);
        let payloads: Vec<usize> = f.iter().map(|s| s.payload).collect();
        assert_eq!(payloads, [100, 100, 200, 200, 300, 300, 400, 400, 500]);
        assert!(out.faults.err.is_empty(), "validation failures set no ERR bit");
    }
}

#[test]
fn doorbell_outside_the_ring_is_ignored_with_err_doorbell_and_irq() {
    for width in [64, 256] {
        let mut sc = scenario(width, &[500, 600, 700, 800]);
        sc.sends[2].fault = Some(Fault::BadDoorbell);
        sc.sends[2].at_cycle = 1500;
        sc.sends[3].at_cycle = 1500;
        let Some(out) = lockstep(&sc) else { return };
        assert_eq!(statuses(&out), [0, 0, 0, 0]);
        assert_eq!(out.frames.len(), 4);
        // The interrupt service saw IRQ_STATUS.ERR and ERR.DOORBELL, and nothing fatal.
        assert!(out.faults.irq_status.iter().any(|&(_, v)| v & regs::IRQ_ERR != 0));
        let errs: Vec<u32> = out.faults.err.iter().map(|e| e.1).collect();
        assert_eq!(errs, [regs::ERR_DOORBELL], "width {width}");
        assert!(out.faults.resets.is_empty());
        assert!(out.faults.status.is_empty());
    }
}

#[test]
fn descriptor_read_error_stops_fetching_sets_err_and_irq_then_recovers_by_reset() {
    // The error on the burst's first beat, and on its last (4 beats at 64 bits).
    for (width, beat) in [(64, 0), (64, 3), (256, 0)] {
        let mut sc = scenario(width, &[500, 600, 700, 800, 900, 1000]);
        for s in &mut sc.sends[3..] {
            s.at_cycle = 1500;
        }
        sc.sends[4].fault = Some(Fault::DescRead);
        sc.sends[4].fault_beat = beat;
        let Some(out) = lockstep(&sc) else { return };
        let fl = &out.faults;
        assert_eq!(fl.fired.len(), 1);
        let fired = fl.fired[0];
        assert_eq!((fired.tag, fired.write), (4, false));
        let errs: Vec<u32> = fl.err.iter().map(|e| e.1).collect();
        assert_eq!(errs, [regs::ERR_DESC_FETCH], "width {width}");
        assert!(fl.irq_status.iter().any(|&(c, v)| c > fired.cycle && v & regs::IRQ_ERR != 0));
        assert!(fl.status.iter().all(|&(_, v)| v & regs::STATUS_HALTED != 0), "halted");
        assert_eq!(fl.resets.len(), 1);
        let (reset, cause, _) = fl.resets[0];
        assert_eq!(cause, ResetCause::Recovery);
        // No descriptor fetch between the failed one and the reset.
        assert!(
            !out.desc_fetches.iter().any(|&c| c > fired.cycle && c < reset),
            "fetches {:?}, fault at {}, reset at {reset}",
            out.desc_fetches,
            fired.cycle
        );
        // Every send completes ok exactly once; the failed descriptor's send after the reset.
        assert_eq!(statuses(&out), [0; 6]);
        // Frames: one per send, plus those sent again because their completion was lost.
        assert_eq!(out.frames.len() as u64, 6 + fl.orphan_frames);
        assert!(fl.reposted >= 2, "sends 4 and 5 at least were posted again");
    }
}

#[test]
fn completion_write_error_halts_cleanly_writes_nothing_more_and_recovers() {
    for width in [64, 256] {
        let mut sc = scenario(width, &[500, 600, 700, 800, 900, 1000, 1100, 1200]);
        sc.config.max_batch = 2;
        sc.env.cq_write_error_batch = Some(1);
        let Some(out) = lockstep(&sc) else { return };
        let fl = &out.faults;
        assert_eq!(fl.fired.len(), 1);
        assert!(fl.fired[0].write);
        assert_eq!(fl.fired[0].tag, 1);
        let errs: Vec<u32> = fl.err.iter().map(|e| e.1).collect();
        assert_eq!(errs, [regs::ERR_CPL_WRITE], "width {width}");
        assert!(fl.status.iter().all(|&(_, v)| v & regs::STATUS_HALTED != 0));
        assert_eq!(fl.resets.len(), 1);
        assert_eq!(fl.resets[0].1, ResetCause::Recovery);
        assert_eq!(
            fl.write_beats_at_error,
            [fl.resets[0].2],
            "no W beat between the failed batch's response and the reset"
        );
        let after: Vec<u64> = out
            .desc_fetches
            .iter()
            .copied()
            .filter(|&c| c > fl.fired[0].cycle && c < fl.resets[0].0)
            .collect();
        assert!(after.len() <= 1, "no request started once halted (one already started may finish): {after:?}");
        assert_eq!(statuses(&out), [0; 8]);
        assert_eq!(out.frames.len() as u64, 8 + fl.orphan_frames);
    }
}

#[test]
fn tready_low_for_thousands_of_cycles_stalls_without_loss() {
    for width in [64, 256] {
        let mut sc = scenario(width, &[9000, 4000, 1460, 65535, 20]);
        sc.env.tready_stalls = vec![[400, 6000], [9000, 12000]];
        let Some(out) = lockstep(&sc) else { return };
        assert_eq!(statuses(&out), [0; 5]);
        let f = seen(&out);
        assert_eq!(f.len(), 7 + 3 + 1 + 45 + 1);
        let payload: usize = f.iter().map(|s| s.payload).sum();
        assert_eq!(payload, 9000 + 4000 + 1460 + 65535 + 20, "no byte lost");
        for w in &sc.env.tready_stalls {
            assert!(
                !out.frames.iter().any(|fr| fr.cycle >= w[0] && fr.cycle < w[0] + w[1]),
                "no frame ends inside a stall"
            );
            assert!(out.frames.iter().any(|fr| fr.cycle >= w[0] + w[1]), "traffic waited for the stall");
        }
    }
}

#[test]
fn cq_full_for_many_batches_stalls_without_loss_or_overwrite() {
    for width in [64, 256] {
        let lens: Vec<u32> = (0..40).map(|i| 64 + 35 * i).collect();
        let mut sc = scenario(width, &lens);
        sc.config.cq_log2 = 2;
        sc.config.max_batch = 3;
        sc.config.timeout_cycles = 10;
        sc.env.cq_consumer_lag = 4000;
        let Some(out) = lockstep(&sc) else { return };
        assert_eq!(statuses(&out), vec![0; 40]);
        assert_eq!(out.frames.len(), 40);
        let cookies: Vec<u64> = out.batches.iter().flat_map(|b| b.entries.iter().map(|e| e.cookie)).collect();
        assert_eq!(cookies, (0..40).map(|i| 0x100 + i).collect::<Vec<u64>>(), "none lost, none twice");
        assert!(out.batches.len() >= 14, "4-entry CQ: batches of at most 3");
        assert!(out.stats.latency_max().unwrap_or(0) >= 4000, "completions waited for CQ room");
    }
}

/// A reset in every cycle of a small run at 64 bits (and every 7th at 256 bits): each
/// run still completes every send exactly once, compared in lockstep through the reset.
#[test]
fn reset_at_every_cycle_of_a_small_run() {
    for (width, step) in [(64u32, 1usize), (256, 7)] {
        let mut sc = scenario(width, &[1500, 40, 3000]);
        sc.sends[1].immediate = true;
        sc.sends[2].at_cycle = 300;
        sc.env.tready_percent = 100;
        sc.env.mem_latency = [2, 6];
        sc.env.cq_consumer_lag = 0;
        let Some(base) = lockstep(&sc) else { return };
        let end = base.report.cycles;
        let (mut orphans, mut truncated, mut reposted) = (0, 0, 0);
        for c in (txoe_testbench::host::RESET_CYCLES + 1..end).step_by(step) {
            let mut r = sc.clone();
            r.env.resets = vec![c];
            let out = lockstep(&r).expect("RTL present");
            assert_eq!(statuses(&out), [0, 0, 0], "reset at {c}");
            let fl = &out.faults;
            assert!(fl.resets.len() <= 1);
            if let Some(&(at, cause, _)) = fl.resets.first() {
                assert_eq!((at, cause), (c, ResetCause::Scheduled));
            }
            assert_eq!(out.frames.len() as u64, 6 + fl.orphan_frames, "reset at {c}");
            orphans += fl.orphan_frames;
            reposted += fl.reposted;
            truncated += out.truncated_frames;
        }
        assert!(orphans > 0 && truncated > 0 && reposted > 0, "the sweep cut frames and lost completions");
    }
}

/// A reset at every other cycle of a run that also has a payload read error, a descriptor
/// read error and a completion-write error: whatever the reset interrupts (a fault, the
/// interrupt service, a recovery), every send completes exactly once.
#[test]
fn reset_at_every_other_cycle_of_a_run_with_faults() {
    let mut sc = scenario(64, &[3000, 40, 700, 900, 100]);
    sc.sends[0].fault = Some(Fault::PayloadRead);
    sc.sends[0].fault_beat = 190;
    sc.sends[3].fault = Some(Fault::DescRead);
    sc.sends[3].at_cycle = 200;
    sc.sends[4].at_cycle = 200;
    sc.config.max_batch = 2;
    sc.env.cq_write_error_batch = Some(2);
    sc.env.tready_percent = 100;
    sc.env.mem_latency = [2, 6];
    sc.env.cq_consumer_lag = 0;
    let Some(base) = lockstep(&sc) else { return };
    assert_eq!(base.faults.fired.len(), 3, "all three faults fire without a reset");
    assert_eq!(base.faults.dma_errors, 1);
    let mut dma = 0;
    for c in (txoe_testbench::host::RESET_CYCLES + 1..base.report.cycles).step_by(2) {
        let mut r = sc.clone();
        r.env.resets = vec![c];
        let out = lockstep(&r).expect("RTL present");
        let cookies: Vec<u64> = out.batches.iter().flat_map(|b| b.entries.iter().map(|e| e.cookie)).collect();
        assert_eq!(cookies, [0x100, 0x101, 0x102, 0x103, 0x104], "reset at {c}");
        let st = statuses(&out);
        assert!(st[1..].iter().all(|&s| s == 0), "reset at {c}: {st:?}");
        dma += out.faults.dma_errors;
    }
    assert!(dma > 0, "some runs kept the payload error");
}

/// Generated scenarios with every kind of fault and several resets, at 64 and 256 bits.
#[test]
fn seeded_random_faults_and_resets() {
    for (seed, width) in [(31, 64), (32, 64), (33, 256), (34, 256)] {
        let knobs = txoe_testbench::GenKnobs {
            sends: 40,
            multi_segment: true,
            max_len: 5000,
            bad_percent: 10,
            fault_percent: 20,
            resets: 3,
            data_width: width,
            ..txoe_testbench::GenKnobs::default()
        };
        let sc = Scenario::random(seed, &knobs);
        assert!(sc.has_faults());
        let Some(out) = lockstep(&sc) else { return };
        let n: usize = out.batches.iter().map(|b| b.entries.len()).sum();
        assert_eq!(n, 40, "seed {seed}: every send completed once");
    }
}

// ------------------------------------------------------------------ without the RTL

fn mem64() -> AxiMemory {
    AxiMemory::new(64, MemTiming { latency: [1, 1], gap_percent: 0 }, 1)
}

/// Clock `m` with the master always ready, issuing each `(address, arlen)` read in turn;
/// returns the RRESP of every beat in order and the faults fired.
fn read_all(m: &mut AxiMemory, reads: &[(u64, u8)]) -> (Vec<u8>, Vec<txoe_testbench::memory::Fired>) {
    let mut resp = Vec::new();
    let mut fired = Vec::new();
    let mut next = 0;
    for cycle in 0..400 {
        let mut inp = Inputs::default();
        m.drive(cycle, &mut inp);
        let mut out = Outputs { m_axi_rready: true, ..Outputs::default() };
        if let Some(&(addr, len)) = reads.get(next) {
            out.m_axi_arvalid = true;
            out.m_axi_araddr = addr;
            out.m_axi_arlen = len;
            out.m_axi_arsize = 3;
            out.m_axi_arburst = 1;
            if inp.m_axi_arready {
                next += 1;
            }
        }
        if inp.m_axi_rvalid {
            resp.push(inp.m_axi_rresp);
        }
        m.observe(cycle, &inp, &out).unwrap();
        fired.extend(m.take_fired());
    }
    (resp, fired)
}

#[test]
fn memory_fails_the_chosen_payload_beat_once() {
    let mut m = mem64();
    m.arm(ReadFault::Beat { lo: 0x10_0000, hi: 0x12_0000, beat: 5 }, 9);
    // A read elsewhere does not count; the buffer's beats do: 4 + 4 beats, beat 5 fails.
    let (resp, fired) = read_all(&mut m, &[(0x5000, 3), (0x10_0000, 3), (0x10_0020, 3), (0x10_0000, 3)]);
    let mut want = vec![0u8; 16];
    want[4 + 4 + 1] = RESP_SLVERR;
    assert_eq!(resp, want);
    assert_eq!(fired.len(), 1);
    assert_eq!((fired[0].tag, fired[0].write), (9, false));
    assert_eq!(m.armed(), 0, "a fault fires once");
}

#[test]
fn memory_fails_the_nth_descriptor_fetch_since_reset_on_the_chosen_beat() {
    let mut m = mem64();
    m.set_desc_region(0x1_0000, 0x1_0200);
    m.arm(ReadFault::DescFetch { n: 1, beat: 2 }, 3);
    let (resp, fired) = read_all(&mut m, &[(0x1_0000, 3), (0x5000, 0), (0x1_0020, 3)]);
    assert_eq!(resp, [0, 0, 0, 0, 0, 0, 0, RESP_SLVERR, 0]);
    assert_eq!(fired[0].tag, 3);
    // A reset disarms and restarts the count; a beat past the burst fails its last beat.
    m.arm(ReadFault::DescFetch { n: 0, beat: 0 }, 4);
    m.reset();
    assert_eq!(m.armed(), 0);
    m.arm(ReadFault::DescFetch { n: 0, beat: 9 }, 5);
    let (resp, fired) = read_all(&mut m, &[(0x1_0040, 3)]);
    assert_eq!(resp, [0, 0, 0, RESP_SLVERR]);
    assert_eq!(fired[0].tag, 5);
}

#[test]
fn memory_answers_the_chosen_write_burst_with_slverr_and_drops_its_bytes() {
    let mut m = mem64();
    m.set_write_error(Some(1));
    let mut bresp = Vec::new();
    let mut fired = Vec::new();
    for burst in 0..3u64 {
        let addr = 0x4_0000 + 16 * burst;
        let mut beat = 0;
        let mut aw_done = false;
        for cycle in burst * 100..burst * 100 + 100 {
            let mut inp = Inputs::default();
            m.drive(cycle, &mut inp);
            let out = Outputs {
                m_axi_awvalid: !aw_done,
                m_axi_awaddr: addr,
                m_axi_awlen: 1,
                m_axi_awsize: 3,
                m_axi_awburst: 1,
                m_axi_wvalid: aw_done && beat < 2,
                m_axi_wdata: txoe_testbench::memory::bus_from_bytes(&[0xA0 + burst as u8; 8]),
                m_axi_wstrb: 0xFF,
                m_axi_wlast: beat == 1,
                m_axi_bready: true,
                ..Outputs::default()
            };
            if inp.m_axi_bvalid {
                bresp.push(inp.m_axi_bresp);
            }
            if out.m_axi_wvalid && inp.m_axi_wready {
                beat += 1;
            }
            aw_done |= inp.m_axi_awready;
            m.observe(cycle, &inp, &out).unwrap();
            fired.extend(m.take_fired());
        }
    }
    assert_eq!(bresp, [0, RESP_SLVERR, 0]);
    assert_eq!(fired.len(), 1);
    assert!(fired[0].write && fired[0].tag == 1);
    assert_eq!(m.mem.read_u8(0x4_0000), 0xA0);
    assert_eq!(m.mem.read_u8(0x4_0010), 0, "the failed burst's bytes never reach memory");
    assert_eq!(m.mem.read_u8(0x4_0020), 0xA2);
}

#[test]
fn fault_keys_parse_and_bad_ones_are_named() {
    let sc = Scenario::from_json_str(
        r#"{ "connections": [ { "id": 0, "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02",
               "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2", "src_port": 1, "dst_port": 2 } ],
             "sends": [ { "conn": 0, "len": 100, "fault": "payload_read", "fault_beat": 3 },
                        { "conn": 0, "len": 100, "fault": "desc_read" },
                        { "conn": 0, "len": 100, "fault": "reserved_bits" },
                        { "conn": 0, "len": 100, "fault": "bad_doorbell" },
                        { "conn": 0, "len": 100, "fault": "reserved_word" } ],
             "env": { "cq_write_error_batch": 2, "resets": [500, 900], "tready_stalls": [[100, 5000]] } }"#,
    )
    .unwrap();
    assert!(sc.has_faults());
    assert_eq!(sc.sends[0].fault_beat, 3);
    assert_eq!(
        sc.sends.iter().map(|s| s.fault.unwrap().name()).collect::<Vec<_>>(),
        ["payload_read", "desc_read", "reserved_bits", "bad_doorbell", "reserved_word"]
    );
    assert_eq!(txoe_testbench::scenario::expected_rejection(&sc, &sc.sends[2]), Some(Status::ReservedBits));
    // The keys survive a round trip.
    assert_eq!(Scenario::from_json_str(&sc.to_json_pretty()).unwrap(), sc);

    let bad = |text: &str, path: &str| {
        let e = Scenario::from_json_str(text).unwrap_err();
        assert_eq!(e.path, path, "{e}");
    };
    bad(r#"{ "sends": [ { "conn": 0, "len": 1, "fault": "melt" } ] }"#, "sends[0].fault");
    bad(r#"{ "sends": [ { "conn": 0, "len": 1, "fault_beat": 2 } ] }"#, "sends[0].fault_beat");
    bad(r#"{ "sends": [ { "conn": 0, "len": 1, "fault": "bad_doorbell", "fault_beat": 2 } ] }"#, "sends[0].fault_beat");
    bad(r#"{ "env": { "resets": [-1] } }"#, "env.resets[0]");
    bad(r#"{ "env": { "tready_stalls": [[1, 2, 3]] } }"#, "env.tready_stalls[0]");
    bad(r#"{ "env": { "tready_stalls": [[1, 99999999]] } }"#, "env.tready_stalls[0]");
    bad(r#"{ "config": { "irq_mask": 2 }, "env": { "resets": [100] } }"#, "config.irq_mask");
}

/// Extreme values are legal and neither panic nor hang: a reset the run never reaches, a
/// stall past the end of time, a payload fault past the send's last beat, a write error
/// on a batch that never comes (model alone).
#[test]
fn extreme_fault_values_run_to_the_end() {
    let mut sc = scenario(64, &[300, 200]);
    sc.env.resets = vec![u64::MAX, 0];
    sc.env.tready_stalls = vec![[u64::MAX, 1 << 24]];
    sc.sends[0].fault = Some(Fault::PayloadRead);
    sc.sends[0].fault_beat = u32::MAX;
    sc.env.cq_write_error_batch = Some(u64::MAX);
    sc.validate().unwrap();
    let cfg = txoe_testbench::RunConfig { model_only: true, progress_every: 0, ..Default::default() };
    let out = txoe_testbench::run_scenario(&sc, &cfg).unwrap();
    assert!(out.passed(), "{}", out.report);
    assert_eq!(statuses(&out), [0, 0]);
    assert!(out.faults.fired.is_empty() && out.faults.resets.is_empty());
}

#[test]
fn generator_knobs_add_faults_and_resets_without_changing_the_rest() {
    let knobs = txoe_testbench::GenKnobs { sends: 60, ..txoe_testbench::GenKnobs::default() };
    let plain = Scenario::random(5, &knobs);
    let faulty = Scenario::random(5, &txoe_testbench::GenKnobs { fault_percent: 30, resets: 4, ..knobs });
    assert!(!plain.has_faults() && faulty.has_faults());
    assert_eq!(faulty.env.resets.len(), 4);
    assert!(faulty.env.resets.windows(2).all(|w| w[0] <= w[1]));
    assert!(faulty.env.cq_write_error_batch.is_some());
    assert!(faulty.sends.iter().filter(|s| s.fault.is_some()).count() >= 5);
    let strip = |sc: &Scenario| {
        let mut sc = sc.clone();
        sc.env = plain.env.clone();
        for s in &mut sc.sends {
            s.fault = None;
            s.fault_beat = 0;
        }
        sc
    };
    assert_eq!(strip(&faulty), plain);
}
