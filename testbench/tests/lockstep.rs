//! Lockstep runs of the Verilated RTL beside the model: directed scenarios, seeded random
//! ones, and proof that the comparator catches a difference at the right cycle and field.
//!
//! Each test needs the RTL for its width. Without Verilator it prints `SKIPPED: …` and
//! returns; with `CI=true` it fails instead (see `txoe_cosim::rtl_or_skip`).

use txoe_cosim::lockstep::Failure;
use txoe_cosim::{rtl_or_skip, RunOptions};
use txoe_model::ports::{Device, Inputs, Outputs};
use txoe_model::{Engine, EngineParams};
use txoe_testbench::scenario::{GenKnobs, Scenario};
use txoe_testbench::{Outcome, TbEnv};

mod common;
use common::{lockstep, next_id16};

/// The IPv4 ID of every frame, parsed with etherparse (every frame here is IPv4).
fn ipv4_ids(out: &Outcome) -> Vec<u16> {
    common::seen(out).iter().map(|f| f.ipv4_id.expect("an IPv4 frame")).collect()
}

fn small_scenario(sends: usize) -> Scenario {
    let mut sc = Scenario::builtin_default();
    sc.sends.truncate(1);
    let first = sc.sends[0].clone();
    sc.sends = (0..sends)
        .map(|i| {
            let mut s = first.clone();
            s.len = 64 + 97 * i as u32 % 1300;
            s.buf_offset = (i % 8) as u16;
            s.cookie = Some(100 + i as u64);
            s.immediate = false;
            s
        })
        .collect();
    sc
}

#[test]
fn default_scenario_matches_and_tshark_validates_every_checksum() {
    let sc = Scenario::builtin_default();
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(out.frames.len(), sc.sends.len());
    assert_eq!(out.report.headers_diffed, sc.sends.len() as u64);
    assert_eq!(out.report.batches_diffed, out.batches.len() as u64);
    assert_eq!(out.batches.iter().map(|b| b.entries.len()).sum::<usize>(), sc.sends.len());

    assert_eq!(common::tshark_validates(&out.frames).unwrap_or(sc.sends.len()), sc.sends.len());
}

#[test]
fn ipv4_id_wraps_from_ffff_to_8000() {
    let mut sc = small_scenario(6);
    sc.config.ipv4_id_start = 0xFFFD;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(ipv4_ids(&out), [0xFFFD, 0xFFFE, 0xFFFF, 0x8000, 0x8001, 0x8002]);
}

#[test]
fn lower_half_start_value_is_forced_into_upper_half() {
    let mut sc = small_scenario(3);
    sc.config.ipv4_id_start = 0x0005;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(ipv4_ids(&out), [0x8005, 0x8006, 0x8007]);
}

#[test]
fn back_to_back_sends_with_ideal_memory_and_mac() {
    let mut sc = small_scenario(12);
    for s in &mut sc.sends {
        s.at_cycle = 0;
    }
    sc.env.mem_latency = [1, 1];
    sc.env.tready_percent = 100;
    sc.env.cq_consumer_lag = 0;
    let Some(out) = lockstep(&sc) else { return };
    assert_eq!(out.frames.len(), 12);
    let ids = ipv4_ids(&out);
    assert!(ids.windows(2).all(|w| w[1] == next_id16(w[0])), "consecutive IDs: {ids:x?}");
}

#[test]
fn full_cq_with_slow_consumer_stalls_without_loss() {
    let mut sc = small_scenario(16);
    for s in &mut sc.sends {
        s.at_cycle = 0;
    }
    sc.config.cq_log2 = 2; // 4 slots, 3 usable
    sc.config.tx_ring_log2 = 5;
    sc.env.cq_consumer_lag = 1500;
    let Some(out) = lockstep(&sc) else { return };
    let entries: Vec<u64> = out.batches.iter().flat_map(|b| b.entries.iter().map(|e| e.cookie)).collect();
    assert_eq!(entries, (100..116).collect::<Vec<u64>>(), "every completion once, in order");
    // With 3 usable CQ slots and 1500 cycles per consumption the engine must have waited
    // for the host at least (16 / 3) times.
    assert!(out.report.cycles > 5 * 1500, "the CQ never filled: {} cycles", out.report.cycles);
    // the ring wrapped several times, so the phase bit flipped
    assert!(out.batches.iter().any(|b| !b.entries[0].phase) && out.batches.iter().any(|b| b.entries[0].phase));
}

#[test]
fn seeded_random_scenarios_match() {
    for seed in 1..=6 {
        let knobs = GenKnobs { sends: 60, bad_percent: 15, ..GenKnobs::default() };
        let sc = Scenario::random(seed, &knobs);
        let Some(out) = lockstep(&sc) else { return };
        assert_eq!(out.batches.iter().map(|b| b.entries.len()).sum::<usize>(), 60, "seed {seed}");
    }
}

#[test]
fn seeded_random_scenario_matches_at_256_bits() {
    let knobs = GenKnobs { sends: 60, bad_percent: 10, data_width: 256, ..GenKnobs::default() };
    let sc = Scenario::random(7, &knobs);
    assert_eq!(sc.config.data_width, 256);
    lockstep(&sc);
}

/// The model with one output bit flipped on one cycle.
struct Perturbed {
    inner: Engine,
    cycle: u64,
    at: u64,
    flip: fn(&mut Outputs),
}

impl Device for Perturbed {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let mut out = self.inner.cycle(inp);
        if self.cycle == self.at {
            (self.flip)(&mut out);
        }
        self.cycle += 1;
        out
    }
    fn data_width(&self) -> u32 {
        self.inner.data_width()
    }
}

/// Records the cycles on which the model shows a given kind of beat.
struct Recorder {
    inner: Engine,
    cycle: u64,
    stream_beats: Vec<(u64, usize)>,
    write_beats: Vec<u64>,
    frame: usize,
    beat_in_frame: usize,
}

impl Device for Recorder {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let out = self.inner.cycle(inp);
        if out.m_axis_tx_tvalid {
            self.stream_beats.push((self.cycle, self.frame * 1000 + self.beat_in_frame));
            if inp.m_axis_tx_tready {
                self.beat_in_frame += 1;
                if out.m_axis_tx_tlast {
                    self.frame += 1;
                    self.beat_in_frame = 0;
                }
            }
        }
        if out.m_axi_wvalid {
            self.write_beats.push(self.cycle);
        }
        self.cycle += 1;
        out
    }
    fn data_width(&self) -> u32 {
        self.inner.data_width()
    }
}

fn opts(sc: &Scenario) -> RunOptions {
    RunOptions { max_cycles: sc.max_cycles(), progress_every: 0, seed: sc.env.seed }
}

fn engine(sc: &Scenario) -> Engine {
    Engine::new(EngineParams { data_w: sc.config.data_width, num_conn: sc.config.num_conn })
}

#[test]
fn comparator_reports_a_perturbed_model_at_the_right_cycle_and_field() {
    let sc = small_scenario(4);
    let Some(mut rtl) = rtl_or_skip(64) else { return };

    // A clean run, recording when the model shows frame 1's third beat (bytes 16..24,
    // which hold the IPv4 ID at 18..20) and the first completion write beat.
    let mut rec = Recorder {
        inner: engine(&sc),
        cycle: 0,
        stream_beats: Vec::new(),
        write_beats: Vec::new(),
        frame: 0,
        beat_in_frame: 0,
    };
    let mut env = TbEnv::new(&sc, false);
    let report = txoe_cosim::run(&mut env, &mut rec, Some(&mut rtl), &opts(&sc));
    assert!(report.passed(), "{report}");
    let (id_cycle, _) = *rec.stream_beats.iter().find(|(_, tag)| *tag == 1002).expect("frame 1 beat 2");
    let cpl_cycle = rec.write_beats[0];

    // The same run with the low byte of that IPv4 ID flipped in the model's output.
    let mut model = Perturbed { inner: engine(&sc), cycle: 0, at: id_cycle, flip: |o| o.m_axis_tx_tdata[0] ^= 1 << 24 };
    let mut rtl = rtl_or_skip(64).unwrap();
    let mut env = TbEnv::new(&sc, false);
    let report = txoe_cosim::run(&mut env, &mut model, Some(&mut rtl), &opts(&sc));
    let Some(Failure::Mismatch { cycle, diffs }) = &report.failure else { panic!("expected a mismatch: {report}") };
    assert_eq!(*cycle, id_cycle);
    assert_eq!(diffs[0].port, "m_axis_tx");
    assert_eq!(diffs[0].field, "ipv4.id");
    assert_eq!(diffs[0].transaction, "frame=1");
    assert_eq!(diffs[0].model ^ diffs[0].rtl, 1, "the IDs differ in their lowest bit");
    let text = report.to_string();
    assert!(text.contains(&format!("MISMATCH cycle={id_cycle} port=m_axis_tx frame=1 field=ipv4.id")), "{text}");

    // A completion entry's status byte (byte 14: beat 1, lane 6 at 64 bits).
    let cpl_status_cycle = rec.write_beats[1];
    assert!(cpl_status_cycle > cpl_cycle);
    let mut model = Perturbed { inner: engine(&sc), cycle: 0, at: cpl_status_cycle, flip: |o| o.m_axi_wdata[0] ^= 1 << 48 };
    let mut rtl = rtl_or_skip(64).unwrap();
    let mut env = TbEnv::new(&sc, false);
    let report = txoe_cosim::run(&mut env, &mut model, Some(&mut rtl), &opts(&sc));
    let Some(Failure::Mismatch { cycle, diffs }) = &report.failure else { panic!("expected a mismatch: {report}") };
    assert_eq!(*cycle, cpl_status_cycle);
    assert_eq!(diffs[0].port, "m_axi_w");
    assert!(diffs[0].field.ends_with(".status"), "{:?}", diffs[0]);

    // A valid that differs is a mismatch even with identical payloads.
    let mut model = Perturbed { inner: engine(&sc), cycle: 0, at: id_cycle, flip: |o| o.m_axis_tx_tvalid = false };
    let mut rtl = rtl_or_skip(64).unwrap();
    let mut env = TbEnv::new(&sc, false);
    let report = txoe_cosim::run(&mut env, &mut model, Some(&mut rtl), &opts(&sc));
    let Some(Failure::Mismatch { cycle, diffs }) = &report.failure else { panic!("expected a mismatch: {report}") };
    assert_eq!(*cycle, id_cycle);
    assert!(diffs.iter().any(|d| d.field.contains("tvalid")), "{diffs:?}");
}
