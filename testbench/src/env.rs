//! [`TbEnv`]: the host, the memory and the MAC behind one [`Environment`], with the
//! protocol checkers ([`crate::axi_check`]) of the model's and the RTL's ports and the
//! coverage monitor ([`crate::coverage`]).
//!
//! The environment owns `rst`: high for the first [`RESET_CYCLES`] cycles, for
//! [`RESET_LEN`] cycles from each cycle of `env.resets`, and for [`RESET_LEN`] cycles from
//! the cycle after the host asks for one (recovery from a fatal error). While `rst` is
//! high every input is low. In the first cycle of a reset the memory, the MAC, the
//! coalescing monitor and the host reset their channel state (each module says how). In
//! every cycle after one with `rst` high, every valid the engine drives (`m_axi_arvalid`,
//! `m_axi_awvalid`, `m_axi_wvalid`, `m_axis_tx_tvalid`, `s_axil_bvalid`, `s_axil_rvalid`)
//! and `irq` must be low: an error on port `reset` otherwise. `env.tready_stalls` holds
//! the MAC's `tready` low in its windows.

use txoe_cosim::{EnvError, Environment};
use txoe_model::ports::{Inputs, Outputs};

use crate::axi_check::AxiChecker;
use crate::coalescing::{CoalesceStats, CplMonitor};
use crate::completions::Batch;
use crate::coverage::CoverageMonitor;
use crate::host::{FaultLog, Host, ResetCause, RESET_CYCLES};
use crate::mac::{Frame, MacSink};
use crate::memory::{AxiMemory, MemTiming};
use crate::payload::TX_RING_BASE;
use crate::scenario::{Scenario, RESET_LEN};

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
    /// Scheduled resets not yet started, in order.
    resets: std::collections::VecDeque<u64>,
    /// `rst` is high in cycles before this one.
    reset_until: u64,
    /// The cause of the reset in progress.
    reset_cause: ResetCause,
    prev_rst: bool,
    /// `tready` stall windows `[first, end)`, in order.
    stalls: Vec<(u64, u64)>,
    tx_ring: (u64, u64),
    /// Cycles of every descriptor fetch (AR handshake inside the TX ring).
    pub desc_fetches: Vec<u64>,
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
            resets: {
                let mut r = sc.env.resets.clone();
                r.sort_unstable();
                r.into()
            },
            reset_until: RESET_CYCLES,
            reset_cause: ResetCause::Scheduled,
            prev_rst: false,
            stalls: {
                let mut w: Vec<(u64, u64)> =
                    sc.env.tready_stalls.iter().map(|w| (w[0], w[0].saturating_add(w[1]))).collect();
                w.sort_unstable();
                w
            },
            tx_ring: (
                TX_RING_BASE,
                TX_RING_BASE + txoe_model::layout::DESC_BYTES as u64 * u64::from(sc.config.tx_ring_size()),
            ),
            desc_fetches: Vec::new(),
        }
        .with_faults(sc.env.cq_write_error_batch)
    }

    fn with_faults(mut self, write_error: Option<u64>) -> Self {
        self.memory.set_write_error(write_error);
        self.memory.set_desc_region(self.tx_ring.0, self.tx_ring.1);
        self
    }

    /// What the host saw of faults, errors and resets.
    pub fn fault_log(&self) -> &FaultLog {
        self.host.fault_log()
    }

    fn stalled(&self, cycle: u64) -> bool {
        self.stalls.iter().any(|&(a, b)| (a..b).contains(&cycle))
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
        if self.host.take_reset_request() && cycle >= self.reset_until {
            self.reset_until = cycle + RESET_LEN;
            self.reset_cause = ResetCause::Recovery;
        }
        while self.resets.front().is_some_and(|&r| r <= cycle) {
            let r = self.resets.pop_front().unwrap_or(cycle);
            if r.saturating_add(RESET_LEN) > self.reset_until {
                if cycle >= self.reset_until {
                    self.reset_cause = ResetCause::Scheduled;
                }
                self.reset_until = r.saturating_add(RESET_LEN);
            }
        }
        let mut inp = Inputs {
            rst: cycle < self.reset_until,
            ..Inputs::default()
        };
        if inp.rst {
            return inp;
        }
        self.host.drive(&mut inp);
        self.memory.drive(cycle, &mut inp);
        self.mac.drive(&mut inp);
        if self.stalled(cycle) {
            inp.m_axis_tx_tready = false;
        }
        inp
    }

    fn observe(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Result<(), EnvError> {
        self.last_cycle = cycle;
        self.coverage.observe(cycle, inp, out);
        let prev_rst = std::mem::replace(&mut self.prev_rst, inp.rst);
        if prev_rst {
            let valids = [
                ("m_axi_arvalid", out.m_axi_arvalid),
                ("m_axi_awvalid", out.m_axi_awvalid),
                ("m_axi_wvalid", out.m_axi_wvalid),
                ("m_axis_tx_tvalid", out.m_axis_tx_tvalid),
                ("s_axil_bvalid", out.s_axil_bvalid),
                ("s_axil_rvalid", out.s_axil_rvalid),
                ("irq", out.irq),
            ];
            if let Some((name, _)) = valids.iter().find(|v| v.1) {
                return Err(EnvError {
                    cycle,
                    port: "reset".into(),
                    message: format!("{name} is high in the cycle after a cycle with rst high"),
                });
            }
        }
        if inp.rst {
            if !prev_rst && cycle > 0 {
                self.memory.reset();
                self.mac.reset();
                self.monitor.reset();
                self.host
                    .reset(cycle, self.reset_cause, &mut self.memory, &mut self.mac)?;
            }
            return Ok(());
        }
        if out.m_axi_arvalid
            && inp.m_axi_arready
            && (self.tx_ring.0..self.tx_ring.1).contains(&out.m_axi_araddr)
        {
            self.desc_fetches.push(cycle);
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
