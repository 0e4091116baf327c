//! [`SimBus`]: the [`Bus`] of a simulated board. A device (the reference model, or the
//! Verilated RTL) sits behind the project's AXI4 memory slave and MAC sink; a register
//! access clocks it, one AXI4-Lite transaction at a time, until the response comes back,
//! and host memory is the simulated memory itself (written and read between cycles, as
//! a CPU's writes land in DRAM). Frames the MAC received are kept for a capture.

use txoe_model::ports::{Device, Inputs, Outputs};

use super::{Bus, BusError};
use crate::host::RESET_CYCLES;
use crate::mac::{Frame, MacSink};
use crate::memory::{AxiMemory, MemTiming};
use crate::scenario::Scenario;

/// Cycles a register access may take before the bus gives up.
pub const ACCESS_TIMEOUT: u64 = 10_000;
/// Cycles one [`Bus::pause`] lets pass.
pub const PAUSE_CYCLES: u64 = 16;

/// A device with its memory and MAC, clocked by register accesses.
pub struct SimBus {
    dev: Box<dyn Device>,
    pub memory: AxiMemory,
    pub mac: MacSink,
    cycle: u64,
}

/// What the AXI4-Lite master drives on one cycle.
#[derive(Clone, Copy, Default)]
struct Lite {
    /// `awaddr` while AW is pending.
    aw: Option<u32>,
    /// `wdata` while W is pending.
    w: Option<u32>,
    ar: Option<u32>,
    bready: bool,
    rready: bool,
}

impl SimBus {
    /// `dev` behind the memory and MAC a scenario's environment describes (latency,
    /// `tready`, seed); the reset cycles are clocked here.
    pub fn new(dev: Box<dyn Device>, sc: &Scenario) -> Result<SimBus, BusError> {
        let data_w = dev.data_width();
        let memory = AxiMemory::new(
            data_w,
            MemTiming { latency: sc.env.mem_latency, gap_percent: sc.env.mem_gap_percent },
            sc.env.seed,
        );
        let mac = MacSink::new(data_w, sc.config.max_frame_len() as usize, sc.env.tready_percent, sc.env.seed);
        let mut bus = SimBus { dev, memory, mac, cycle: 0 };
        while bus.cycle < RESET_CYCLES {
            bus.step(Lite::default(), true)?;
        }
        Ok(bus)
    }

    /// Cycles clocked so far.
    pub fn cycles(&self) -> u64 {
        self.cycle
    }

    /// The frames the MAC received, in order.
    pub fn take_frames(&mut self) -> Vec<Frame> {
        self.mac.drain().collect()
    }

    fn step(&mut self, lite: Lite, rst: bool) -> Result<Outputs, BusError> {
        let c = self.cycle;
        let mut inp = Inputs { rst, ..Inputs::default() };
        if !rst {
            self.memory.drive(c, &mut inp);
            self.mac.drive(&mut inp);
            if let Some(addr) = lite.aw {
                inp.s_axil_awvalid = true;
                inp.s_axil_awaddr = addr;
            }
            if let Some(data) = lite.w {
                inp.s_axil_wvalid = true;
                inp.s_axil_wdata = data;
                inp.s_axil_wstrb = 0xF;
            }
            if let Some(addr) = lite.ar {
                inp.s_axil_arvalid = true;
                inp.s_axil_araddr = addr;
            }
            inp.s_axil_bready = lite.bready;
            inp.s_axil_rready = lite.rready;
        }
        let out = self.dev.cycle(&inp);
        if !rst {
            let err = |e: txoe_cosim::EnvError| BusError(format!("cycle {}: {} {}", e.cycle, e.port, e.message));
            self.memory.observe(c, &inp, &out).map_err(err)?;
            self.mac.observe(c, &inp, &out).map_err(err)?;
        }
        self.cycle += 1;
        Ok(out)
    }
}

impl Bus for SimBus {
    fn reg_write(&mut self, addr: u32, value: u32) -> Result<(), BusError> {
        let (mut aw_done, mut w_done) = (false, false);
        let start = self.cycle;
        loop {
            let (aw0, w0) = (aw_done, w_done);
            let lite = Lite {
                aw: (!aw_done).then_some(addr),
                w: (!w_done).then_some(value),
                bready: true,
                ..Lite::default()
            };
            let out = self.step(lite, false)?;
            if !aw0 && out.s_axil_awready {
                aw_done = true;
            }
            if !w0 && out.s_axil_wready {
                w_done = true;
            }
            if out.s_axil_bvalid {
                if !(aw0 && w0) {
                    return Err(BusError(format!("write of {addr:#x}: bvalid before the AW and W handshakes")));
                }
                if out.s_axil_bresp != 0 {
                    return Err(BusError(format!("write of {addr:#x}: bresp {}", out.s_axil_bresp)));
                }
                return Ok(());
            }
            if self.cycle - start > ACCESS_TIMEOUT {
                return Err(BusError(format!("write of {addr:#x}: no response in {ACCESS_TIMEOUT} cycles")));
            }
        }
    }

    fn reg_read(&mut self, addr: u32) -> Result<u32, BusError> {
        let mut ar_done = false;
        let start = self.cycle;
        loop {
            let ar0 = ar_done;
            let out = self.step(Lite { ar: (!ar_done).then_some(addr), rready: true, ..Lite::default() }, false)?;
            if !ar0 && out.s_axil_arready {
                ar_done = true;
            }
            if out.s_axil_rvalid {
                if !ar0 {
                    return Err(BusError(format!("read of {addr:#x}: rvalid before the AR handshake")));
                }
                if out.s_axil_rresp != 0 {
                    return Err(BusError(format!("read of {addr:#x}: rresp {}", out.s_axil_rresp)));
                }
                return Ok(out.s_axil_rdata);
            }
            if self.cycle - start > ACCESS_TIMEOUT {
                return Err(BusError(format!("read of {addr:#x}: no response in {ACCESS_TIMEOUT} cycles")));
            }
        }
    }

    fn mem_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), BusError> {
        self.memory.mem.read(addr, buf);
        Ok(())
    }

    fn mem_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BusError> {
        self.memory.mem.write(addr, data);
        Ok(())
    }

    fn pause(&mut self) -> Result<(), BusError> {
        for _ in 0..PAUSE_CYCLES {
            self.step(Lite::default(), false)?;
        }
        Ok(())
    }
}

