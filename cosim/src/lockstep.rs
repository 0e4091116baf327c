//! The lockstep runner: clocks the model (and the RTL, when given) with the inputs the
//! environment drives, compares every output every cycle, diffs every frame and completion
//! batch, and stops on the first difference.
//!
//! Per cycle `c`: `inp = env.drive(c)`, `m = model.cycle(&inp)`, `r = rtl.cycle(&inp)`,
//! `env.check_outputs` on `r` and on `m` (the protocol checks, see
//! [`Environment::check_outputs`]; on `m` alone in model-only runs), [`compare`]
//! (valid/ready and `irq` always, payloads while both sides' valid is high, data buses
//! masked to `DATA_W`), transaction tracking and diffing, then `env.observe(c, &inp, &r)`
//! (`&m` in model-only runs).

use std::fmt;
use std::time::Instant;

use txoe_model::ports::{strobe_mask, Bus, Device, Inputs, Outputs, MAX_DATA_WORDS};

use crate::env::{EnvError, Environment};
use crate::txn::Tracker;

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Stop (as a failure) after this many cycles if the environment is not finished.
    pub max_cycles: u64,
    /// Print a progress line to stderr every `progress_every` cycles (0: never).
    pub progress_every: u64,
    /// Scenario seed, printed in reports.
    pub seed: u64,
}

/// One differing field on one cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDiff {
    /// Port (channel), e.g. `m_axis_tx`, `m_axi_ar`, `s_axil_r`, `irq`.
    pub port: String,
    /// Field name: a signal (`m_axi_araddr`), a bus word (`m_axis_tx_tdata[63:0]`, from
    /// [`compare`]), a header field (`ipv4.id`, `ipv4.dst[0..2]` when only its first bytes
    /// were seen), a completion field (`cpl[2].status`) or `payload[i]`.
    pub field: String,
    /// Transaction context, `frame=N` (`m_axis_tx`) or `batch=N` (`m_axi_w`), both 0-based;
    /// empty for other ports.
    pub transaction: String,
    pub model: u128,
    pub rtl: u128,
}

impl fmt::Display for FieldDiff {
    /// `port=m_axis_tx frame=17 field=ipv4.id model=0x8003 (32771) rtl=0x8004 (32772)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port={}", self.port)?;
        if !self.transaction.is_empty() {
            write!(f, " {}", self.transaction)?;
        }
        write!(
            f,
            " field={} model={:#x} ({}) rtl={:#x} ({})",
            self.field, self.model, self.model, self.rtl, self.rtl
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The first cycle on which the sides differ, with every differing field of it.
    Mismatch { cycle: u64, diffs: Vec<FieldDiff> },
    /// The environment reported a protocol or scoreboard error.
    Env(EnvError),
    /// `max_cycles` cycles ran and the environment was not finished.
    Timeout { cycles: u64 },
    /// A device panicked while clocking cycle `cycle`: `device` is `model` or `rtl`. The
    /// RTL does so when an assertion fails or `$fatal` runs (see [`crate::Rtl`]).
    Stopped { cycle: u64, device: String, message: String },
}

#[derive(Clone, Debug)]
pub struct RunReport {
    /// Cycles clocked (the failing cycle included).
    pub cycles: u64,
    /// Frames the model sent (accepted by the MAC).
    pub frames: u64,
    /// Frames whose headers were decoded and diffed on both sides.
    pub headers_diffed: u64,
    /// Completion batches diffed on both sides.
    pub batches_diffed: u64,
    /// Differing fields on the failing cycle (0 when the sides agreed).
    pub mismatches: u64,
    /// True when the RTL ran beside the model.
    pub lockstep: bool,
    pub elapsed: std::time::Duration,
    pub seed: u64,
    pub failure: Option<Failure>,
}

impl RunReport {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
    pub fn cycles_per_second(&self) -> f64 {
        self.cycles as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    /// The report as text (the same as `Display`).
    pub fn render(&self) -> String {
        self.to_string()
    }
    /// The cycle of the first mismatch, if the run stopped on one.
    pub fn mismatch_cycle(&self) -> Option<u64> {
        match &self.failure {
            Some(Failure::Mismatch { cycle, .. }) => Some(*cycle),
            _ => None,
        }
    }
    /// The cycle the run failed on: a mismatch, an environment error or a stopped device
    /// (not a timeout, which is no one cycle's fault).
    pub fn failure_cycle(&self) -> Option<u64> {
        match &self.failure {
            Some(Failure::Mismatch { cycle, .. }) | Some(Failure::Stopped { cycle, .. }) => Some(*cycle),
            Some(Failure::Env(e)) => Some(e.cycle),
            Some(Failure::Timeout { .. }) | None => None,
        }
    }
}

impl fmt::Display for RunReport {
    /// On a mismatch one `MISMATCH cycle=… port=… [frame=…] field=… model=… rtl=… seed=…`
    /// line per differing field (the first difference first); otherwise the outcome; then
    /// a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            Some(Failure::Mismatch { cycle, diffs }) => {
                for d in diffs {
                    writeln!(f, "MISMATCH cycle={cycle} {d} seed={}", self.seed)?;
                }
            }
            Some(Failure::Env(e)) => writeln!(
                f,
                "ENV-ERROR cycle={} port={} message=\"{}\" seed={}",
                e.cycle, e.port, e.message, self.seed
            )?,
            Some(Failure::Stopped { cycle, device, message }) => writeln!(
                f,
                "STOPPED cycle={cycle} device={device} message=\"{message}\" seed={}",
                self.seed
            )?,
            Some(Failure::Timeout { cycles }) => writeln!(
                f,
                "TIMEOUT after {cycles} cycles: the scenario did not finish seed={}",
                self.seed
            )?,
            None if self.lockstep => writeln!(
                f,
                "lockstep matched {} cycles, {} headers, {} completion batches",
                self.cycles, self.headers_diffed, self.batches_diffed
            )?,
            None => writeln!(f, "model-only run: {} cycles, {} frames", self.cycles, self.frames)?,
        }
        write!(
            f,
            "summary: {} cycles={} frames={} headers_diffed={} batches_diffed={} mismatches={} \
             cycles/s={:.0} seed={}",
            if self.lockstep { "lockstep" } else { "model-only" },
            self.cycles,
            self.frames,
            self.headers_diffed,
            self.batches_diffed,
            self.mismatches,
            self.cycles_per_second(),
            self.seed
        )
    }
}

/// Bit `[hi:lo]` name of 64-bit word `i` of a `data_w`-bit bus.
fn word_name(signal: &str, i: usize, data_w: u32) -> String {
    let lo = 64 * i;
    let hi = (lo + 63).min(data_w as usize - 1);
    format!("{signal}[{hi}:{lo}]")
}

/// Words of a `data_w`-bit bus and the mask of its last word.
#[inline]
fn bus_words(data_w: u32) -> (usize, u64) {
    let words = (data_w as usize).div_ceil(64).min(MAX_DATA_WORDS);
    let rem = data_w % 64;
    (words, if rem == 0 { u64::MAX } else { (1u64 << rem) - 1 })
}

#[inline]
fn cmp_bus(out: &mut Vec<FieldDiff>, data_w: u32, port: &str, signal: &str, m: &Bus, r: &Bus) {
    let (words, last_mask) = bus_words(data_w);
    for i in 0..words {
        let mask = if i + 1 == words { last_mask } else { u64::MAX };
        let (a, b) = (m[i] & mask, r[i] & mask);
        if a != b {
            out.push(FieldDiff {
                port: port.into(),
                field: word_name(signal, i, data_w),
                transaction: String::new(),
                model: u128::from(a),
                rtl: u128::from(b),
            });
        }
    }
}

/// Compare the outputs of one cycle: every valid/ready and `irq` always; a payload only
/// while both sides' valid is high (`s_axil_bresp` with bvalid, `s_axil_rdata/rresp` with
/// rvalid, `m_axi_aw*` with awvalid, `m_axi_wdata/wstrb/wlast` with wvalid, `m_axi_ar*`
/// with arvalid, `m_axis_tx_tdata/tkeep/tlast` with tvalid); data buses masked to `data_w`
/// bits (a differing 64-bit word is reported as `<signal>[hi:lo]`), strobes to `data_w/8`.
/// Fields are named by their signal; an empty result allocates nothing.
pub fn compare(data_w: u32, m: &Outputs, r: &Outputs) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    compare_into(data_w, m, r, &mut out);
    out
}

fn compare_into(data_w: u32, m: &Outputs, r: &Outputs, out: &mut Vec<FieldDiff>) {
    macro_rules! chk {
        ($port:expr, $($f:ident),+) => {$(
            if m.$f != r.$f {
                out.push(FieldDiff {
                    port: $port.into(),
                    field: stringify!($f).into(),
                    transaction: String::new(),
                    model: u128::from(m.$f),
                    rtl: u128::from(r.$f),
                });
            }
        )+};
    }
    let strb = strobe_mask((data_w / 8) as usize);

    chk!("s_axil_aw", s_axil_awready);
    chk!("s_axil_w", s_axil_wready);
    chk!("s_axil_b", s_axil_bvalid);
    if m.s_axil_bvalid && r.s_axil_bvalid {
        chk!("s_axil_b", s_axil_bresp);
    }
    chk!("s_axil_ar", s_axil_arready);
    chk!("s_axil_r", s_axil_rvalid);
    if m.s_axil_rvalid && r.s_axil_rvalid {
        chk!("s_axil_r", s_axil_rdata, s_axil_rresp);
    }

    chk!("m_axi_aw", m_axi_awvalid);
    if m.m_axi_awvalid && r.m_axi_awvalid {
        chk!("m_axi_aw", m_axi_awaddr, m_axi_awlen, m_axi_awsize, m_axi_awburst);
    }
    chk!("m_axi_w", m_axi_wvalid);
    if m.m_axi_wvalid && r.m_axi_wvalid {
        cmp_bus(out, data_w, "m_axi_w", "m_axi_wdata", &m.m_axi_wdata, &r.m_axi_wdata);
        let (a, b) = (m.m_axi_wstrb & strb, r.m_axi_wstrb & strb);
        if a != b {
            out.push(FieldDiff {
                port: "m_axi_w".into(),
                field: "m_axi_wstrb".into(),
                transaction: String::new(),
                model: u128::from(a),
                rtl: u128::from(b),
            });
        }
        chk!("m_axi_w", m_axi_wlast);
    }
    chk!("m_axi_b", m_axi_bready);
    chk!("m_axi_ar", m_axi_arvalid);
    if m.m_axi_arvalid && r.m_axi_arvalid {
        chk!("m_axi_ar", m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst);
    }
    chk!("m_axi_r", m_axi_rready);

    chk!("m_axis_tx", m_axis_tx_tvalid);
    if m.m_axis_tx_tvalid && r.m_axis_tx_tvalid {
        cmp_bus(
            out,
            data_w,
            "m_axis_tx",
            "m_axis_tx_tdata",
            &m.m_axis_tx_tdata,
            &r.m_axis_tx_tdata,
        );
        let (a, b) = (m.m_axis_tx_tkeep & strb, r.m_axis_tx_tkeep & strb);
        if a != b {
            out.push(FieldDiff {
                port: "m_axis_tx".into(),
                field: "m_axis_tx_tkeep".into(),
                transaction: String::new(),
                model: u128::from(a),
                rtl: u128::from(b),
            });
        }
        chk!("m_axis_tx", m_axis_tx_tlast);
    }
    chk!("irq", irq);
}

/// One cycle of `dev`, its outputs written to `out` (one copy, no per-cycle construction);
/// a panic (a failed RTL assertion, a broken model invariant) becomes its message.
#[inline]
fn clock(dev: &mut dyn Device, inp: &Inputs, out: &mut Outputs) -> Result<(), String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *out = dev.cycle(inp))).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic without a message".into())
    })
}

/// The outputs of the current cycle, one buffer per side, kept across cycles.
#[derive(Default)]
struct Shown {
    m: Outputs,
    r: Outputs,
}

/// Cycle `c`: drive, clock both sides, compare, follow and diff transactions, observe
/// (also on a mismatch when `observe_mismatch`, for a run that goes on past it).
// The hot loop's state is passed apart rather than bundled so that each stays a plain
// reborrow in the caller.
#[allow(clippy::too_many_arguments)]
#[inline]
fn one_cycle(
    c: u64,
    data_w: u32,
    env: &mut dyn Environment,
    model: &mut (dyn Device + '_),
    rtl: Option<&mut (dyn Device + '_)>,
    tracker: &mut Tracker,
    diffs: &mut Vec<FieldDiff>,
    observe_mismatch: bool,
    outs: &mut Shown,
) -> Result<(), Failure> {
    let stopped =
        |device: &str, message| Failure::Stopped { cycle: c, device: device.into(), message };
    let inp = env.drive(c);
    clock(model, &inp, &mut outs.m).map_err(|e| stopped("model", e))?;
    let (m, r) = (&outs.m, &mut outs.r);
    let shown = match rtl {
        Some(rtl) => {
            clock(rtl, &inp, r).map_err(|e| stopped("rtl", e))?;
            let r = &*r;
            env.check_outputs(c, &inp, "rtl", r).map_err(Failure::Env)?;
            env.check_outputs(c, &inp, "model", m).map_err(Failure::Env)?;
            compare_into(data_w, m, r, diffs);
            if !diffs.is_empty() {
                let diffs = tracker.locate(m, r, std::mem::take(diffs));
                if observe_mismatch {
                    // The run goes on past the mismatch: the environment sees this cycle.
                    // Its own complaint, if any, comes after the mismatch and is dropped.
                    let _ = env.observe(c, &inp, r);
                }
                return Err(Failure::Mismatch { cycle: c, diffs });
            }
            tracker.step(&inp, m, Some(r));
            if tracker.has_finished() {
                tracker.diff_finished(diffs);
                if !diffs.is_empty() {
                    if observe_mismatch {
                        let _ = env.observe(c, &inp, r);
                    }
                    return Err(Failure::Mismatch { cycle: c, diffs: std::mem::take(diffs) });
                }
            }
            r
        }
        None => {
            env.check_outputs(c, &inp, "model", m).map_err(Failure::Env)?;
            tracker.step(&inp, m, None);
            m
        }
    };
    env.observe(c, &inp, shown).map_err(Failure::Env)
}

/// A cycle after the sides have diverged: drive, clock both, let the environment observe
/// the RTL. Nothing is compared any more.
fn diverged_cycle(
    c: u64,
    env: &mut dyn Environment,
    model: &mut (dyn Device + '_),
    rtl: &mut (dyn Device + '_),
) -> Result<(), Failure> {
    let stopped =
        |device: &str, message| Failure::Stopped { cycle: c, device: device.into(), message };
    let inp = env.drive(c);
    let mut out = Outputs::default();
    clock(model, &inp, &mut out).map_err(|e| stopped("model", e))?;
    clock(rtl, &inp, &mut out).map_err(|e| stopped("rtl", e))?;
    env.observe(c, &inp, &out).map_err(Failure::Env)
}

/// Clock `model` (and `rtl`, when given) with the inputs `env` drives until `env` is
/// finished, the first mismatch, an environment error, a device that stops (panics), or
/// `max_cycles`.
pub fn run(
    env: &mut dyn Environment,
    model: &mut dyn Device,
    rtl: Option<&mut dyn Device>,
    opts: &RunOptions,
) -> RunReport {
    run_past_mismatch(env, model, rtl, opts, 0)
}

/// [`run`], but after the first mismatch both sides go on being clocked for `after` more
/// cycles, the environment observing the RTL and nothing compared, so that a waveform
/// shows what followed the divergence. The report is that of the first mismatch (its
/// `cycles` counts the extra cycles); an environment error or a stopped device after it
/// ends the run early, so do the finished environment and `max_cycles`. With `after == 0`
/// or without an RTL this is [`run`].
pub fn run_past_mismatch(
    env: &mut dyn Environment,
    model: &mut dyn Device,
    rtl: Option<&mut dyn Device>,
    opts: &RunOptions,
    after: u64,
) -> RunReport {
    let data_w = model.data_width();
    let lockstep = rtl.is_some();
    let mut rtl = rtl;
    let mut tracker = Tracker::new(data_w, lockstep);
    let mut diffs: Vec<FieldDiff> = Vec::new();
    let mut outs = Shown::default();
    let start = Instant::now();
    let mut last_progress = (start, 0u64);
    let mut cycle = 0u64;

    let failure = 'run: {
        if let Some(r) = rtl.as_deref() {
            if r.data_width() != data_w {
                let diffs = vec![FieldDiff {
                    port: "parameters".into(),
                    field: "DATA_W".into(),
                    transaction: String::new(),
                    model: u128::from(data_w),
                    rtl: u128::from(r.data_width()),
                }];
                break 'run Some(Failure::Mismatch { cycle: 0, diffs });
            }
        }
        loop {
            if env.finished() {
                break 'run None;
            }
            if cycle >= opts.max_cycles {
                break 'run Some(Failure::Timeout { cycles: cycle });
            }
            let outcome = one_cycle(
                cycle,
                data_w,
                &mut *env,
                &mut *model,
                rtl.as_deref_mut(),
                &mut tracker,
                &mut diffs,
                after > 0,
                &mut outs,
            );
            cycle += 1;
            match outcome {
                Ok(()) => {}
                Err(f @ Failure::Mismatch { .. }) if after > 0 => {
                    let until = cycle - 1 + after;
                    if let Some(r) = rtl.as_deref_mut() {
                        while cycle <= until && cycle < opts.max_cycles && !env.finished() {
                            let step = diverged_cycle(cycle, &mut *env, &mut *model, &mut *r);
                            cycle += 1;
                            if step.is_err() {
                                break;
                            }
                        }
                    }
                    break 'run Some(f);
                }
                Err(f) => break 'run Some(f),
            }
            if opts.progress_every != 0 && cycle % opts.progress_every == 0 {
                let now = Instant::now();
                let dt = now.duration_since(last_progress.0).as_secs_f64().max(1e-9);
                let rate = (cycle - last_progress.1) as f64 / dt;
                last_progress = (now, cycle);
                eprintln!(
                    "[txoe] cycle {cycle}  {rate:.0} cycles/s  frames {}  batches {}  {}",
                    tracker.m_tx.frames,
                    tracker.m_wr.bursts,
                    env.progress()
                );
            }
        }
    };

    let mismatches = match &failure {
        Some(Failure::Mismatch { diffs, .. }) => diffs.len() as u64,
        _ => 0,
    };
    RunReport {
        cycles: cycle,
        frames: tracker.m_tx.frames,
        headers_diffed: tracker.headers_diffed,
        batches_diffed: tracker.batches_diffed,
        mismatches,
        lockstep,
        elapsed: start.elapsed(),
        seed: opts.seed,
        failure,
    }
}
