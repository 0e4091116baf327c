//! txoe-testbench: the environment around the engine (host driver, host memory, MAC),
//! the scenario format, the scoreboard, the output files and the `txoe` command line.
//!
//! * [`scenario`]: the JSON scenario format, defaults, validation, built-in and random
//!   scenarios.
//! * [`payload`]: payload bytes and the host-memory layout.
//! * [`memory`]: sparse host memory behind an AXI4 slave (`m_axi_*`).
//! * [`mac`]: the AXI4-Stream sink (`m_axis_tx_*`).
//! * [`host`]: the AXI4-Lite master and ring driver (`s_axil_*`).
//! * [`scoreboard`]: completion and frame checks.
//! * [`coalescing`]: completion batches as the ports show them: statistics (batch sizes,
//!   close reasons, completion latency) and the timeout's lower bound.
//! * [`axi_check`]: the AXI protocol checker of the three interfaces, run on the model's
//!   and the RTL's ports every cycle of every run.
//! * [`coverage`]: functional coverage points, counted from the ports, added up over runs.
//! * [`env`]: [`TbEnv`], all of the above as one [`txoe_cosim::Environment`].
//! * [`pcap`], [`completions`], [`report`]: output files and text.
//! * [`waveform`]: whole-run dumps and mismatch windows with their GTKWave save files.
//! * [`inject`]: a model with one deliberate difference, to try the mismatch workflow.
//! * [`mutants`]: deliberate RTL bugs the lockstep regression must catch (`txoe-mutants`).
//! * [`soak`]: many generated scenarios back to back (`txoe soak`).
//! * [`strategy`]: proptest strategies for whole scenarios, and a lockstep property run
//!   that writes the shrunk failing scenario as a file `txoe run` replays.
//! * [`driver`]: the host driver written once against a small bus trait, with a
//!   simulated bus and a memory-mapped one (PCIe BAR or UIO) for boards.
//! * [`bringup`]: the golden model's timing-free expected output, the capture formats
//!   (CQ dump, register file) and the check of a board capture (`docs/bringup.md`).
//!
//! [`run_scenario`] runs one scenario, in lockstep with the Verilated RTL or on the model
//! alone; [`run_scenario_with`] with another model in the model's place.

pub mod axi_check;
pub mod bringup;
pub mod coalescing;
pub mod completions;
pub mod coverage;
pub mod driver;
pub mod env;
pub mod host;
pub mod inject;
pub mod mac;
pub mod memory;
pub mod mutants;
pub mod payload;
pub mod pcap;
pub mod report;
pub mod scenario;
pub mod scoreboard;
pub mod soak;
pub mod strategy;
pub mod waveform;

use std::path::PathBuf;

use txoe_cosim::{ProbedDevice, Rtl, RunOptions, RunReport, TraceFormat, TraceWindow};
use txoe_model::ports::{Device, Inputs, Outputs};
use txoe_model::{Engine, EngineParams};

pub use coalescing::CoalesceStats;
pub use completions::Batch;
pub use env::TbEnv;
pub use mac::Frame;
pub use scenario::{GenKnobs, Scenario, ScenarioError};
pub use waveform::{Waveform, WindowConfig};

/// `NUM_CONN` of the Verilated RTL build.
pub const RTL_NUM_CONN: u32 = 16;

/// How to run a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// Run the model alone, without the RTL.
    pub model_only: bool,
    /// Dump the whole run's waveform (RTL and model) as FST to this file.
    pub fst: Option<PathBuf>,
    /// Dump the whole run's waveform (RTL and model) as VCD to this file.
    pub vcd: Option<PathBuf>,
    /// On a mismatch (or an environment error or a stopped device), dump the cycles around
    /// it (a re-run, see [`waveform`]). Without a whole-run dump only; a whole-run dump
    /// goes on `after` cycles past a mismatch.
    pub window: Option<WindowConfig>,
    /// Print a progress line every this many cycles (0: never).
    pub progress_every: u64,
    /// Cycle budget; the scenario's (`env.max_cycles` or its computed default) when `None`.
    pub max_cycles: Option<u64>,
    /// Keep every frame for [`Outcome::frames`] (needed for a pcap file; a long run
    /// without it uses memory only for the frames in flight).
    pub keep_frames: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            model_only: false,
            fst: None,
            vcd: None,
            window: Some(WindowConfig::default()),
            progress_every: 1_000_000,
            max_cycles: None,
            keep_frames: true,
        }
    }
}

/// The result of a run that could be started.
#[derive(Debug)]
pub struct Outcome {
    pub report: RunReport,
    /// Frames the MAC received, in order (empty unless `keep_frames`).
    pub frames: Vec<Frame>,
    /// Completion batches the host consumed, in order.
    pub batches: Vec<Batch>,
    /// Coalescing statistics, from the ports.
    pub stats: CoalesceStats,
    /// The environment's progress line at the end of the run.
    pub progress: String,
    /// How busy the stream output was, first beat to last.
    pub stream: mac::StreamBusy,
    /// The waveform the run left: the whole-run dump, or the window around its mismatch.
    pub waveform: Option<Waveform>,
    /// Why a waveform that was asked for could not be written.
    pub waveform_error: Option<String>,
    /// Faults, errors and resets as the host saw them.
    pub faults: host::FaultLog,
    /// Cycles of every descriptor fetch (AR handshake inside the TX ring).
    pub desc_fetches: Vec<u64>,
    /// Frames cut by a reset before their last beat.
    pub truncated_frames: u64,
    /// Functional coverage of the run.
    pub coverage: coverage::Coverage,
    /// Every completion entry the host consumed, raw, in ring order (`--cq-dump`).
    pub cq_dump: bringup::cqdump::CqDump,
    /// The registers the host read back at the end, by name (`--registers`; empty when
    /// the run stopped before its read-back).
    pub registers: bringup::regfile::RegisterFile,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.report.passed()
    }
}

/// Why a run could not be started.
#[derive(Debug, thiserror::Error)]
pub enum TbError {
    #[error("malformed scenario: {0}")]
    Scenario(#[from] ScenarioError),
    #[error("RTL unavailable: {0}")]
    Rtl(String),
    #[error("{0}")]
    Config(String),
}

/// The reference model for `sc`.
pub fn engine_for(sc: &Scenario) -> Engine {
    Engine::new(EngineParams { data_w: sc.config.data_width, num_conn: sc.config.num_conn })
}

fn default_model(sc: &Scenario) -> Box<dyn ProbedDevice> {
    Box::new(engine_for(sc))
}

/// Run `sc` as `cfg` says: build the model (and the RTL unless model-only) for the
/// scenario's data width, the environment, and clock them until the scenario is done, the
/// first mismatch or environment error, or the cycle budget; then write the waveforms `cfg`
/// asks for.
pub fn run_scenario(sc: &Scenario, cfg: &RunConfig) -> Result<Outcome, TbError> {
    run_scenario_with(sc, cfg, &default_model)
}

/// A model behind [`Device`] (the runner's view of it).
struct AsDevice<'a>(&'a mut dyn ProbedDevice);

impl Device for AsDevice<'_> {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        self.0.cycle(inp)
    }
    fn data_width(&self) -> u32 {
        self.0.data_width()
    }
}

/// [`run_scenario`] with the model `make_model` builds (called again for a mismatch
/// window's re-run): a test's deliberately different model, for instance.
pub fn run_scenario_with(
    sc: &Scenario,
    cfg: &RunConfig,
    make_model: &dyn Fn(&Scenario) -> Box<dyn ProbedDevice>,
) -> Result<Outcome, TbError> {
    sc.validate()?;
    let trace = match (&cfg.fst, &cfg.vcd) {
        (Some(_), Some(_)) => {
            return Err(TbError::Config("choose one waveform format: --fst or --vcd".into()))
        }
        (Some(p), None) => Some((p.clone(), TraceFormat::Fst)),
        (None, Some(p)) => Some((p.clone(), TraceFormat::Vcd)),
        (None, None) => None,
    };
    let data_w = sc.config.data_width;
    if cfg.model_only && trace.is_some() {
        return Err(TbError::Config(
            "--fst/--vcd record the RTL beside the model and need a lockstep run (drop --model-only)"
                .into(),
        ));
    }
    if !cfg.model_only && sc.config.num_conn != RTL_NUM_CONN {
        return Err(TbError::Config(format!(
            "config.num_conn is {}, but the Verilated RTL is built with NUM_CONN={RTL_NUM_CONN}; use --model-only",
            sc.config.num_conn
        )));
    }
    let opts = RunOptions {
        max_cycles: cfg.max_cycles.unwrap_or_else(|| sc.max_cycles()),
        progress_every: cfg.progress_every,
        seed: sc.env.seed,
    };
    let mut model = make_model(sc);
    let mut env = TbEnv::new(sc, cfg.keep_frames);
    let rtl_err = |e: txoe_cosim::RtlError| TbError::Rtl(e.to_string());
    let mut waveform = None;
    let mut waveform_error = None;

    let report = if cfg.model_only {
        txoe_cosim::run(&mut env, &mut AsDevice(&mut *model), None, &opts)
    } else if let Some((path, format)) = trace {
        // The whole run, traced from cycle 0, going on past a mismatch for the window's
        // `after` cycles.
        let rtl = Rtl::new_traceable(data_w, format).map_err(rtl_err)?;
        std::fs::File::create(&path)
            .map_err(|e| TbError::Config(format!("cannot create {}: {e}", path.display())))?;
        let after = cfg.window.as_ref().map_or(waveform::WINDOW_AFTER, |w| w.after);
        let window = TraceWindow { path: path.clone(), from: 0, to: u64::MAX };
        let (report, last) =
            waveform::traced_run(&mut env, &mut *model, rtl, window, &opts, after);
        match waveform::write_view(&path, 0, last.unwrap_or(0), &report, false) {
            Ok(w) => waveform = Some(w),
            Err(e) => waveform_error = Some(e),
        }
        report
    } else {
        let mut rtl = Rtl::new(data_w, None).map_err(rtl_err)?;
        let report = txoe_cosim::run(&mut env, &mut AsDevice(&mut *model), Some(&mut rtl), &opts);
        if let (Some(c), Some(win)) = (report.failure_cycle(), &cfg.window) {
            drop(rtl);
            match waveform::capture_window(sc, make_model, &opts, c, win) {
                Ok(w) => waveform = Some(w),
                Err(e) => waveform_error = Some(e),
            }
        }
        report
    };
    let progress = txoe_cosim::Environment::progress(&env);
    let stream = env.stream_busy();
    let stats = env.stats().clone();
    let faults = env.fault_log().clone();
    let desc_fetches = std::mem::take(&mut env.desc_fetches);
    let truncated_frames = env.mac.truncated();
    let coverage = env.coverage.coverage().clone();
    let cq_dump = env.host.cq_dump();
    let registers = env.host.register_file().clone();
    let (batches, frames) = env.take_results(cfg.keep_frames);
    Ok(Outcome {
        report,
        frames,
        batches,
        stats,
        progress,
        stream,
        waveform,
        waveform_error,
        faults,
        desc_fetches,
        truncated_frames,
        coverage,
        cq_dump,
        registers,
    })
}
