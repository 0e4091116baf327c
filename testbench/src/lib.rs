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
//! * [`env`]: [`TbEnv`], all of the above as one [`txoe_cosim::Environment`].
//! * [`pcap`], [`completions`], [`report`]: output files and text.
//!
//! [`run_scenario`] runs one scenario, in lockstep with the Verilated RTL or on the model
//! alone.

pub mod coalescing;
pub mod completions;
pub mod env;
pub mod host;
pub mod mac;
pub mod memory;
pub mod payload;
pub mod pcap;
pub mod report;
pub mod scenario;
pub mod scoreboard;

use std::path::PathBuf;

use txoe_cosim::{Rtl, RunOptions, RunReport, TraceFormat};
use txoe_model::ports::Device;
use txoe_model::{Engine, EngineParams};

pub use coalescing::CoalesceStats;
pub use completions::Batch;
pub use env::TbEnv;
pub use mac::Frame;
pub use scenario::{GenKnobs, Scenario, ScenarioError};

/// `NUM_CONN` of the Verilated RTL build.
pub const RTL_NUM_CONN: u32 = 16;

/// How to run a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// Run the model alone, without the RTL.
    pub model_only: bool,
    /// Dump the RTL's waveform as FST to this file.
    pub fst: Option<PathBuf>,
    /// Dump the RTL's waveform as VCD to this file.
    pub vcd: Option<PathBuf>,
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

/// Run `sc` as `cfg` says: build the model (and the RTL unless model-only) for the
/// scenario's data width, the environment, and clock them until the scenario is done, the
/// first mismatch or environment error, or the cycle budget.
pub fn run_scenario(sc: &Scenario, cfg: &RunConfig) -> Result<Outcome, TbError> {
    sc.validate()?;
    let trace = match (&cfg.fst, &cfg.vcd) {
        (Some(_), Some(_)) => {
            return Err(TbError::Config(
                "choose one waveform format: --fst or --vcd".into(),
            ))
        }
        (Some(p), None) => Some((p.clone(), TraceFormat::Fst)),
        (None, Some(p)) => Some((p.clone(), TraceFormat::Vcd)),
        (None, None) => None,
    };
    let data_w = sc.config.data_width;
    let mut model = Engine::new(EngineParams {
        data_w,
        num_conn: sc.config.num_conn,
    });
    let mut rtl = if cfg.model_only {
        if trace.is_some() {
            return Err(TbError::Config(
                "--fst/--vcd record the RTL's waveform and need a lockstep run (drop --model-only)"
                    .into(),
            ));
        }
        None
    } else {
        if sc.config.num_conn != RTL_NUM_CONN {
            return Err(TbError::Config(format!(
                "config.num_conn is {}, but the Verilated RTL is built with NUM_CONN={RTL_NUM_CONN}; use --model-only",
                sc.config.num_conn
            )));
        }
        Some(Rtl::new(data_w, trace).map_err(|e| TbError::Rtl(e.to_string()))?)
    };
    let mut env = TbEnv::new(sc, cfg.keep_frames);
    let opts = RunOptions {
        max_cycles: cfg.max_cycles.unwrap_or_else(|| sc.max_cycles()),
        progress_every: cfg.progress_every,
        seed: sc.env.seed,
    };
    let report = txoe_cosim::run(
        &mut env,
        &mut model,
        rtl.as_mut().map(|r| r as &mut dyn Device),
        &opts,
    );
    let progress = txoe_cosim::Environment::progress(&env);
    let stream = env.stream_busy();
    let stats = env.stats().clone();
    let (batches, frames) = env.take_results(cfg.keep_frames);
    Ok(Outcome {
        report,
        frames,
        batches,
        stats,
        progress,
        stream,
    })
}
