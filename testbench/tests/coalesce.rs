//! The completion coalescer in lockstep: each close reason, the ties between them, the
//! effective limit of small CQs, a slow consumer, the extremes of `MAX_BATCH` and
//! `TIMEOUT`, interrupt masking, wide buses, seeded random runs, and the register
//! block's rejection of bad `MAX_BATCH` values (`docs/microarchitecture.md`, "Completion
//! writer").
//!
//! Every run also passes the host's batch checks (reason implied by a batch's position,
//! size and last IMMEDIATE flag; the effective limit; no wrap) and the monitor's timeout
//! lower bound; the tests below assert on the batches themselves: sizes, reasons, order
//! and, where the writer is free, the exact cycle a rule fired.

use txoe_cosim::{rtl_or_skip, RunOptions};
use txoe_model::layout::CloseReason::{self, Immediate, MaxBatch, RingEnd, Timeout};
use txoe_model::{regs, Engine, EngineParams};
use txoe_testbench::coalescing::CplMonitor;
use txoe_testbench::payload::{CQ_BASE, TX_RING_BASE};
use txoe_testbench::scenario::{Env, GenKnobs, Scenario, Send};
use txoe_testbench::{run_scenario, Outcome, RunConfig, TbEnv};

mod common;

use common::RegScript;

/// Run `sc` in lockstep (`common::lockstep`) and check what every run must show;
/// `None` when this build has no RTL for its width.
fn lockstep(sc: &Scenario) -> Option<Outcome> {
    let out = common::lockstep(sc)?;
    check_outcome(sc, &out);
    Some(out)
}

/// Run `sc` on the model alone.
fn model_only(sc: &Scenario) -> Outcome {
    let cfg = RunConfig { model_only: true, progress_every: 0, keep_frames: false, ..RunConfig::default() };
    let out = run_scenario(sc, &cfg).expect("scenario runs");
    assert!(out.passed(), "model-only run failed:\n{}\n{}", out.report, out.progress);
    check_outcome(sc, &out);
    out
}

/// What every run must show: every send completed once, in order; the monitor's view of
/// the batches equals the host's; no batch over the effective limit.
fn check_outcome(sc: &Scenario, out: &Outcome) {
    let cookies: Vec<u64> = out.batches.iter().flat_map(|b| b.entries.iter().map(|e| e.cookie)).collect();
    let want: Vec<u64> = (0..sc.sends.len()).map(|i| sc.cookie(i)).collect();
    assert_eq!(cookies, want, "every completion once, in ring order");
    let mx = sc.config.max_batch.min(sc.config.cq_size() - 1);
    let seen = &out.stats.batches;
    assert_eq!(seen.len(), out.batches.len());
    for (b, m) in out.batches.iter().zip(seen) {
        assert!(b.entries.len() as u32 <= mx, "batch {} of {} entries, limit {mx}", b.index, b.entries.len());
        assert_eq!((b.entries.len() as u32, b.reason), (m.entries, m.reason), "batch {}", b.index);
        assert!(m.start < m.done);
    }
    assert_eq!(out.stats.completions, sc.sends.len() as u64);
    assert_eq!(out.stats.sizes.iter().sum::<u64>(), seen.len() as u64);
    assert_eq!(out.stats.reasons.iter().sum::<u64>(), seen.len() as u64);
}

fn sizes(out: &Outcome) -> Vec<usize> {
    out.batches.iter().map(|b| b.entries.len()).collect()
}

fn reasons(out: &Outcome) -> Vec<CloseReason> {
    out.batches.iter().map(|b| b.reason).collect()
}

/// `n` single-segment sends on one IPv4 connection, all posted at cycle 0, with a
/// deterministic environment (fixed memory latency, MAC always ready, no idle cycles) so
/// that the completions' queueing cycles do not depend on the coalescing settings.
fn burst(n: usize) -> Scenario {
    let mut sc = Scenario::builtin_default();
    sc.connections.truncate(1);
    sc.sends = (0..n)
        .map(|i| Send {
            conn: 0,
            len: 64 + (i as u32 * 37) % 200,
            psh: false,
            fin: false,
            immediate: false,
            cookie: Some(0x100 + i as u64),
            at_cycle: 0,
            buf_offset: (i % 8) as u16,
            ..Send::default()
        })
        .collect();
    sc.config.max_batch = 8;
    sc.config.timeout_cycles = 100_000;
    sc.config.tx_ring_log2 = 6;
    sc.config.cq_log2 = 4;
    sc.env = Env {
        seed: 5,
        mem_latency: [2, 2],
        tready_percent: 100,
        cq_consumer_lag: 0,
        cq_consumer_jitter: 0,
        mem_gap_percent: 0,
        ..Env::default()
    };
    sc
}

fn immediate(sc: &mut Scenario, which: &[usize]) {
    for &i in which {
        sc.sends[i].immediate = true;
    }
}

// ------------------------------------------------------------------ each reason

#[test]
fn max_batch_closes_full_batches() {
    let mut sc = burst(12);
    sc.config.max_batch = 4;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [4, 4, 4]);
    assert_eq!(reasons(&out), [MaxBatch; 3]);
    assert_eq!(out.batches.iter().map(|b| b.first).collect::<Vec<_>>(), [0, 4, 8]);
}

#[test]
fn timeout_closes_partial_batches_exactly_when_the_oldest_is_timeout_old() {
    let mut sc = burst(6);
    sc.config.timeout_cycles = 300;
    for (s, at) in sc.sends.iter_mut().zip([0, 0, 3000, 6000, 6000, 6000]) {
        s.at_cycle = at;
    }
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [2, 1, 3]);
    assert_eq!(reasons(&out), [Timeout; 3]);
    // The writer is free and the CQ empty each time: the batch starts in the first cycle
    // its oldest completion is TIMEOUT cycles old (pending from the cycle after its CPL).
    for b in &out.stats.batches {
        let q = b.queued[0].expect("the monitor saw the request");
        assert_eq!(b.start, q + 1 + 300, "{b:?}");
    }
}

#[test]
fn immediate_closes_the_batch_at_its_completion() {
    let mut sc = burst(7);
    immediate(&mut sc, &[2, 6]);
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [3, 4]);
    assert_eq!(reasons(&out), [Immediate, Immediate]);
    assert!(out.batches.iter().all(|b| b.entries.last().unwrap().end_of_batch));
}

#[test]
fn ring_end_closes_at_the_end_of_the_cq() {
    let mut sc = burst(16);
    sc.config.cq_log2 = 3;
    sc.config.max_batch = 5;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [5, 3, 5, 3]);
    assert_eq!(reasons(&out), [MaxBatch, RingEnd, MaxBatch, RingEnd]);
    // the phase flips on the batch after the one that ends at the last slot
    let phases: Vec<bool> = out.batches.iter().map(|b| b.entries[0].phase).collect();
    assert_eq!(phases, [true, true, false, false]);
}

#[test]
fn ring_end_closes_at_a_4kib_boundary_inside_a_large_cq() {
    // 512 entries = 8 KiB: slot 256 starts the second page. Batches of 7 from slot 0 reach
    // slot 252, whose batch is cut to 4 by the boundary.
    let mut sc = burst(270);
    sc.config.cq_log2 = 9;
    sc.config.max_batch = 7;
    immediate(&mut sc, &[269]);
    let Some(out) = lockstep(&sc) else { return };
    let mut want_sizes = vec![7; 36];
    want_sizes.extend([4, 7, 7]);
    assert_eq!(sizes(&out), want_sizes);
    let mut want_reasons = vec![MaxBatch; 36];
    want_reasons.extend([RingEnd, MaxBatch, Immediate]);
    assert_eq!(reasons(&out), want_reasons);
    assert_eq!(out.batches[36].first, 252);
    let aw = out.stats.batches[37].awaddr;
    assert_eq!(aw, CQ_BASE + 0x1000, "the next batch starts the next page");
}

// ------------------------------------------------------------------ ties

#[test]
fn full_and_timeout_in_the_same_cycle_report_max_batch() {
    // Two completions queued Δ cycles apart. With TIMEOUT = Δ the second becomes pending
    // in the very cycle the first reaches the timeout: both rules hold, the batch takes 2
    // and reports max_batch. One cycle less and the first leaves alone by the timeout.
    let mut sc = burst(2);
    sc.config.max_batch = 2;
    let probe = model_only(&sc);
    let q = &probe.stats.batches[0].queued;
    let delta = q[1].unwrap() - q[0].unwrap();
    assert!(delta > 10, "the sends are {delta} cycles apart");

    sc.config.timeout_cycles = delta as u32;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!((sizes(&out), reasons(&out)), (vec![2], vec![MaxBatch]));
    let b = &out.stats.batches[0];
    assert_eq!(b.queued, q.clone(), "same queueing cycles whatever TIMEOUT is");
    assert_eq!(b.start, q[1].unwrap() + 1, "starts the cycle the second is pending");
    assert_eq!(b.start - (q[0].unwrap() + 1), delta, "when the first is exactly TIMEOUT old");

    sc.config.timeout_cycles = delta as u32 - 1;
    let out = lockstep(&sc).expect("built above");
    assert_eq!((sizes(&out), reasons(&out)), (vec![1, 1], vec![Timeout, Timeout]));
}

#[test]
fn immediate_arriving_when_the_batch_is_full_reports_immediate() {
    // The IMMEDIATE completion is the one that fills the batch: immediate.
    let mut sc = burst(6);
    sc.config.max_batch = 3;
    immediate(&mut sc, &[2, 5]);
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!((sizes(&out), reasons(&out)), (vec![3, 3], vec![Immediate, Immediate]));

    // An IMMEDIATE completion behind a full batch does not join it.
    let mut sc = burst(4);
    sc.config.max_batch = 3;
    immediate(&mut sc, &[3]);
    let out = lockstep(&sc).expect("built above");
    assert_eq!((sizes(&out), reasons(&out)), (vec![3, 1], vec![MaxBatch, Immediate]));
}

#[test]
fn ring_end_coinciding_with_max_batch_reports_ring_end() {
    let mut sc = burst(16);
    sc.config.cq_log2 = 3;
    sc.config.max_batch = 4;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [4; 4]);
    assert_eq!(reasons(&out), [MaxBatch, RingEnd, MaxBatch, RingEnd]);
}

#[test]
fn immediate_at_the_ring_end_reports_immediate() {
    let mut sc = burst(8);
    sc.config.cq_log2 = 3;
    sc.config.max_batch = 4;
    immediate(&mut sc, &[7]);
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!((sizes(&out), reasons(&out)), (vec![4, 4], vec![MaxBatch, Immediate]));
}

// ------------------------------------------------------------------ small CQs, slow hosts

#[test]
fn four_entry_cq_with_a_slow_consumer_over_hundreds_of_sends() {
    // A 4-entry CQ holds 3: batches of 3 from slot 0 (the effective limit) and of 1 from
    // slot 3 (the ring end), each written only once the host has freed room for all of it.
    let mut sc = burst(300);
    sc.config.cq_log2 = 2;
    sc.config.max_batch = 16;
    sc.env.cq_consumer_lag = 150;
    sc.env.cq_consumer_jitter = 100;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [3, 1].repeat(75));
    assert_eq!(reasons(&out), [MaxBatch, RingEnd].repeat(75));
    assert!(out.batches.iter().all(|b| b.first == if b.entries.len() == 3 { 0 } else { 3 }));
    // The host consumes one entry per 150..=250 cycles at best, so transmission stalled
    // behind a full completion queue most of the run.
    assert!(out.report.cycles > 300 * 150 / 3, "{} cycles", out.report.cycles);
}

#[test]
fn two_entry_cq_writes_single_entries() {
    let mut sc = burst(20);
    sc.config.cq_log2 = 1;
    sc.config.max_batch = 16;
    sc.env.cq_consumer_lag = 40;
    immediate(&mut sc, &[5]);
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [1; 20]);
    // slot 0: k = 1 = min(16, 2 − 1) → max_batch; slot 1: the ring end; IMMEDIATE first
    let want: Vec<CloseReason> =
        (0..20).map(|i| if i == 5 { Immediate } else if i % 2 == 0 { MaxBatch } else { RingEnd }).collect();
    assert_eq!(reasons(&out), want);
}

// ------------------------------------------------------------------ MAX_BATCH and TIMEOUT extremes

#[test]
fn max_batch_one_writes_every_completion_alone() {
    let mut sc = burst(20);
    sc.config.cq_log2 = 3;
    sc.config.max_batch = 1;
    immediate(&mut sc, &[3, 7]);
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [1; 20]);
    let want: Vec<CloseReason> = (0..20)
        .map(|i| match i {
            3 | 7 => Immediate,
            _ if i % 8 == 7 => RingEnd,
            _ => MaxBatch,
        })
        .collect();
    assert_eq!(reasons(&out), want);
}

#[test]
fn max_batch_sixteen_writes_32_beat_bursts_at_64_bits() {
    let mut sc = burst(64);
    sc.config.cq_log2 = 6;
    sc.config.max_batch = 16;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [16; 4]);
    assert_eq!(reasons(&out), [MaxBatch, MaxBatch, MaxBatch, RingEnd]);
    for (i, b) in out.stats.batches.iter().enumerate() {
        assert_eq!((b.awaddr, b.awlen), (CQ_BASE + 256 * i as u64, 31));
    }
}

#[test]
fn timeout_zero_writes_each_completion_as_soon_as_the_writer_is_free() {
    let mut sc = burst(10);
    sc.config.timeout_cycles = 0;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [1; 10]);
    assert_eq!(reasons(&out), [Timeout; 10]);
    for b in &out.stats.batches {
        assert_eq!(b.start, b.queued[0].unwrap() + 1, "its first pending cycle");
    }
}

#[test]
fn a_timeout_never_reached_leaves_closing_to_the_size_rules() {
    let mut sc = burst(10);
    sc.config.max_batch = 4;
    sc.config.timeout_cycles = u32::MAX;
    immediate(&mut sc, &[9]);
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!((sizes(&out), reasons(&out)), (vec![4, 4, 2], vec![MaxBatch, MaxBatch, Immediate]));
}

// ------------------------------------------------------------------ interrupt

#[test]
fn irq_rises_after_each_batch_unless_masked() {
    let mut sc = burst(6);
    sc.config.max_batch = 3;
    let Some(out) = lockstep(&sc) else { return };
    // IRQ_STATUS.CPL is set on the write response's edge; the host never clears it
    let first_done = out.stats.batches[0].done;
    assert_eq!(out.stats.irq_first, Some(first_done + 1));
    assert!(out.stats.irq_cycles > 0);

    sc.config.irq_mask = regs::IRQ_CPL; // completion interrupt masked, no errors
    let out = lockstep(&sc).expect("built above");
    assert_eq!(sizes(&out), [3, 3]);
    assert_eq!((out.stats.irq_first, out.stats.irq_cycles), (None, 0));

    sc.config.irq_mask = regs::IRQ_ERR; // only errors masked: completions still interrupt
    let out = lockstep(&sc).expect("built above");
    assert_eq!(out.stats.irq_first, Some(out.stats.batches[0].done + 1));
}

// ------------------------------------------------------------------ wide buses

/// `awaddr` aligned down to the beat, `awlen` exactly the beats the batch covers.
fn check_burst_geometry(sc: &Scenario, out: &Outcome) {
    let bw = u64::from(sc.config.data_width / 8);
    for (b, m) in out.batches.iter().zip(&out.stats.batches) {
        let a = CQ_BASE + 16 * u64::from(b.first);
        let off = a % bw;
        let beats = (off + 16 * b.entries.len() as u64).div_ceil(bw);
        assert_eq!((m.awaddr, u64::from(m.awlen)), (a - off, beats - 1), "batch {} at {}", b.index, b.first);
    }
}

#[test]
fn wide_bus_batches_start_and_end_mid_beat_at_256_bits() {
    let mut sc = burst(20);
    sc.config.data_width = 256;
    sc.config.max_batch = 5;
    immediate(&mut sc, &[19]);
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(sizes(&out), [5, 5, 5, 1, 4]);
    assert_eq!(reasons(&out), [MaxBatch, MaxBatch, MaxBatch, RingEnd, Immediate]);
    check_burst_geometry(&sc, &out);
    let awlens: Vec<u8> = out.stats.batches.iter().map(|b| b.awlen).collect();
    assert_eq!(awlens, [2, 2, 2, 0, 1]);
}

#[test]
fn burst_geometry_at_every_width_on_the_model() {
    for data_width in [64, 128, 256, 512] {
        let mut sc = burst(40);
        sc.config.data_width = data_width;
        sc.config.max_batch = 7;
        sc.config.cq_log2 = 5;
        immediate(&mut sc, &[39]);
        let out = model_only(&sc);
        assert_eq!(sizes(&out), [7, 7, 7, 7, 4, 7, 1], "{data_width} bits");
        check_burst_geometry(&sc, &out);
    }
}

// ------------------------------------------------------------------ random

#[test]
fn seeded_random_runs_with_random_consumer_lag() {
    for seed in 11..=18u64 {
        let data_width = if seed % 4 == 0 { 256 } else { 64 };
        let knobs = GenKnobs { sends: 80, bad_percent: 10, data_width, ..GenKnobs::default() };
        let mut sc = Scenario::random(seed, &knobs);
        sc.env.cq_consumer_jitter = seed * 53 % 400;
        let Some(out) = lockstep(&sc) else { return };
        // the per-reason counts the report prints are those of the batches consumed
        for r in CloseReason::ALL {
            let n = out.batches.iter().filter(|b| b.reason == r).count() as u64;
            assert_eq!(out.stats.reasons[r as usize], n, "seed {seed} {}", r.name());
        }
        assert!(out.stats.latencies.len() == 80, "seed {seed}: every completion's latency");
    }
}

// ------------------------------------------------------------------ the monitor's own check

#[test]
fn the_monitor_catches_a_timeout_batch_that_starts_early() {
    // The engine fires the timeout at exactly TIMEOUT; a monitor told TIMEOUT + 1 must
    // object to the first such batch.
    let mut sc = burst(3);
    sc.config.timeout_cycles = 250;
    let mut env = TbEnv::new(&sc, false);
    env.monitor = CplMonitor::new(TX_RING_BASE, sc.config.tx_ring_size(), 64, 251);
    let mut model = Engine::new(EngineParams::default());
    let opts = RunOptions { max_cycles: sc.max_cycles(), progress_every: 0, seed: 5 };
    let report = txoe_cosim::run(&mut env, &mut model, None, &opts);
    let Some(txoe_cosim::Failure::Env(e)) = &report.failure else { panic!("expected an env error: {report}") };
    assert_eq!(e.port, "batch");
    assert!(e.message.contains("was 250 cycles old; TIMEOUT is 251"), "{}", e.message);
}

// ------------------------------------------------------------------ register block

#[test]
fn bad_max_batch_writes_are_ignored_and_flag_err_config_in_both_register_blocks() {
    let Some(mut rtl) = rtl_or_skip(64) else { return };
    let (w, r) = (|a, d| (a, Some(d), 0), |a, want| (a, None, want));
    let config = regs::ERR_CONFIG;
    let mut env = RegScript::new(64, vec![
        r(regs::MAX_BATCH, regs::MAX_BATCH_RESET),
        w(regs::MAX_BATCH, 0),
        r(regs::MAX_BATCH, regs::MAX_BATCH_RESET),
        r(regs::ERR, config),
        r(regs::IRQ_STATUS, regs::IRQ_ERR),
        w(regs::ERR, config),
        r(regs::ERR, 0),
        w(regs::MAX_BATCH, 17),
        r(regs::MAX_BATCH, regs::MAX_BATCH_RESET),
        r(regs::ERR, config),
        w(regs::ERR, config),
        w(regs::MAX_BATCH, 0x8000_0004), // not 4: out of range as a whole
        r(regs::MAX_BATCH, regs::MAX_BATCH_RESET),
        r(regs::ERR, config),
        w(regs::ERR, config),
        w(regs::MAX_BATCH, 16),
        r(regs::MAX_BATCH, 16),
        w(regs::MAX_BATCH, 1),
        r(regs::MAX_BATCH, 1),
        w(regs::TIMEOUT, 0),
        r(regs::TIMEOUT, 0),
        w(regs::TIMEOUT, u32::MAX),
        r(regs::TIMEOUT, u32::MAX),
        r(regs::ERR, 0),
        r(regs::CNT_CLOSE_MAX_BATCH, 0),
        r(regs::CNT_CLOSE_RING_END, 0),
    ]);
    let mut model = Engine::new(EngineParams::default());
    let opts = RunOptions { max_cycles: 1000, progress_every: 0, seed: 0 };
    let report = txoe_cosim::run(&mut env, &mut model, Some(&mut rtl), &opts);
    assert!(report.passed(), "{report}");
    assert!(env.errors.is_empty(), "{:?}", env.errors);
}
