//! [`TbEnv`]: the host, the memory and the MAC behind one [`Environment`], with the
//! protocol checkers ([`crate::axi_check`]) of the model's and the RTL's ports and the
//! coverage monitor ([`crate::coverage`]).

use txoe_cosim::{EnvError, Environment};
use txoe_model::ports::{Inputs, Outputs};

use crate::axi_check::AxiChecker;
use crate::coalescing::{CoalesceStats, CplMonitor};
use crate::completions::Batch;
use crate::coverage::CoverageMonitor;
use crate::host::{Host, RESET_CYCLES};
use crate::mac::{Frame, MacSink};
use crate::memory::{AxiMemory, MemTiming};
use crate::payload::TX_RING_BASE;
use crate::scenario::Scenario;

/// Cycles the environment waits after the read-back before it calls the run finished;
/// a frame arriving in them is an error.
pub const QUIET_CYCLES: u64 = 16;

/// The whole test environment of one run.
pub struct TbEnv {
    pub host: Host,
    pub memory: AxiMemory,
    pub mac: MacSink,
    pub monitor: CplMonitor,
    /// The protocol checkers of the model's and the RTL's ports.
    pub check_model: AxiChecker,
    pub check_rtl: AxiChecker,
    /// Functional coverage of the run, from the ports.
    pub coverage: CoverageMonitor,
    last_cycle: u64,
}

impl TbEnv {
    /// Build the environment for a validated scenario. `keep_frames` keeps every frame
    /// the MAC received for [`TbEnv::take_results`] (for a pcap file).
    pub fn new(sc: &Scenario, keep_frames: bool) -> Self {
        let data_w = sc.config.data_width;
        TbEnv {
            host: Host::new(sc, keep_frames),
            memory: AxiMemory::new(
                data_w,
                MemTiming {
                    latency: sc.env.mem_latency,
                    gap_percent: sc.env.mem_gap_percent,
                },
                sc.env.seed,
            ),
            mac: MacSink::new(
                data_w,
                sc.config.max_frame_len() as usize,
                sc.env.tready_percent,
                sc.env.seed,
            ),
            monitor: CplMonitor::new(
                TX_RING_BASE,
                sc.config.tx_ring_size(),
                data_w,
                sc.config.timeout_cycles,
            ),
            check_model: AxiChecker::new(data_w),
            check_rtl: AxiChecker::new(data_w),
            coverage: CoverageMonitor::new(data_w),
            last_cycle: 0,
        }
    }

    /// The completion batches and the frames received (checked ones first, then any the
    /// run ended before accounting for). Frames are empty unless `keep_frames` was set.
    /// How busy the stream output was (see [`crate::mac::StreamBusy`]).
    pub fn stream_busy(&self) -> crate::mac::StreamBusy {
        self.mac.busy()
    }

    pub fn take_results(&mut self, keep_frames: bool) -> (Vec<Batch>, Vec<Frame>) {
        let (batches, mut frames) = self.host.take_results();
        if keep_frames {
            frames.extend(self.mac.drain());
        }
        (batches, frames)
    }

    /// The coalescing statistics gathered so far.
    pub fn stats(&self) -> &CoalesceStats {
        &self.monitor.stats
    }
}

impl Environment for TbEnv {
    fn drive(&mut self, cycle: u64) -> Inputs {
        let mut inp = Inputs {
            rst: cycle < RESET_CYCLES,
            ..Inputs::default()
        };
        if inp.rst {
            return inp;
        }
        self.host.drive(&mut inp);
        self.memory.drive(cycle, &mut inp);
        self.mac.drive(&mut inp);
        inp
    }

    fn observe(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Result<(), EnvError> {
        self.last_cycle = cycle;
        self.coverage.observe(cycle, inp, out);
        if inp.rst {
            return Ok(());
        }
        self.memory.observe(cycle, inp, out)?;
        self.mac.observe(cycle, inp, out)?;
        self.monitor.observe(cycle, inp, out)?;
        self.host
            .observe(cycle, inp, out, &mut self.memory, &mut self.mac)
    }

    fn check_outputs(
        &mut self,
        cycle: u64,
        inp: &Inputs,
        device: &str,
        out: &Outputs,
    ) -> Result<(), EnvError> {
        let checker = if device == "rtl" { &mut self.check_rtl } else { &mut self.check_model };
        checker.check(cycle, inp, out).map_err(|v| v.to_env_error(device))
    }

    fn finished(&self) -> bool {
        self.host
            .done_cycle()
            .is_some_and(|d| self.last_cycle >= d + QUIET_CYCLES)
    }

    fn progress(&self) -> String {
        format!(
            "sends {}/{}, completions {}, frames {}, batches {}",
            self.host.posted(),
            self.host.total_sends(),
            self.host.completed(),
            self.mac.frames(),
            self.host.batches().len()
        )
    }
}
