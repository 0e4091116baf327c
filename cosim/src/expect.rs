//! What the model expected on a cycle, in the form the lockstep wrapper's `exp_*` inputs
//! take (`sv/txoe_tb_top.sv`), and the devices that carry it from the model to a traced RTL.
//!
//! [`ModelTap`] wraps the model: each cycle it reads the model's state ([`Probe`]) before
//! the cycle and its outputs after, and leaves them in a shared slot. [`TracedRtl`] wraps
//! the RTL: each cycle it takes that slot and passes it to the RTL with the inputs, and
//! opens and closes the trace on the cycles it is told. The lockstep runner clocks the
//! model before the RTL on every cycle, so the slot always holds the same cycle's values.

use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;

use txoe_model::engine::WrState;
use txoe_model::tx::FeState;
use txoe_model::ports::{Device, Inputs, Outputs};
use txoe_model::{Probe, ProbeState};

use crate::rtl::Rtl;

/// The model's outputs and state on one cycle (mirrored by `TxoeExpected` in
/// `csrc/shim.h`; the layout is checked once per process).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub out: Outputs,
    /// The TX engine's front-end state, encoded as `fe_state_e` in `rtl/txoe_tx_engine.sv`.
    pub tx_state: u8,
    /// The completion writer state, encoded as `wr_state_e` in `rtl/txoe_cpl_writer.sv`.
    pub wr_state: u8,
    pub cplq_count: u8,
    pub ipv4_id: u16,
    pub ipv6_id: u32,
}

impl Expected {
    /// The values for the cycle whose outputs are `out`, from the state `probe` read
    /// before that cycle.
    pub fn new(out: Outputs, probe: &ProbeState) -> Expected {
        Expected {
            out,
            tx_state: tx_state_code(probe.tx_state),
            wr_state: wr_state_code(probe.wr_state),
            cplq_count: probe.cplq_len.min(63) as u8,
            ipv4_id: probe.ipv4_id,
            ipv6_id: probe.ipv6_frag_id,
        }
    }
}

/// The RTL's encoding of a TX engine front-end state (`fe_state_e`, repeated as
/// `tb_tx_state_e` in `sv/txoe_tb_pkg.sv`).
pub fn tx_state_code(s: FeState) -> u8 {
    match s {
        FeState::Idle => 0,
        FeState::DescAr => 1,
        FeState::DescR => 2,
        FeState::Check => 3,
        FeState::Run => 4,
        FeState::Halt => 5,
        FeState::Ctx => 6,
    }
}

/// The RTL's encoding of a completion writer state (`wr_state_e`).
pub fn wr_state_code(s: WrState) -> u8 {
    match s {
        WrState::Idle => 0,
        WrState::Aw => 1,
        WrState::W => 2,
        WrState::B => 3,
        WrState::Halt => 4,
    }
}

/// A model whose state can be shown in the waveform.
pub trait ProbedDevice: Device + Probe {}
impl<T: Device + Probe + ?Sized> ProbedDevice for T {}

/// The slot a [`ModelTap`] fills and a [`TracedRtl`] empties, once per cycle.
pub type ExpectedSlot = Rc<Cell<Option<Expected>>>;

/// The model, leaving what it showed on each cycle in a shared slot.
pub struct ModelTap<'a> {
    inner: &'a mut dyn ProbedDevice,
    slot: ExpectedSlot,
}

impl<'a> ModelTap<'a> {
    pub fn new(inner: &'a mut dyn ProbedDevice, slot: ExpectedSlot) -> Self {
        ModelTap { inner, slot }
    }
}

impl Device for ModelTap<'_> {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let probe = self.inner.probe();
        let out = self.inner.cycle(inp);
        self.slot.set(Some(Expected::new(out, &probe)));
        out
    }

    fn data_width(&self) -> u32 {
        self.inner.data_width()
    }
}

/// Which cycles a [`TracedRtl`] dumps, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceWindow {
    pub path: PathBuf,
    /// First cycle dumped.
    pub from: u64,
    /// Last cycle dumped (`u64::MAX`: to the end of the run).
    pub to: u64,
}

/// The RTL, fed the model's expected values each cycle and dumping the cycles of a window.
pub struct TracedRtl {
    rtl: Rtl,
    slot: ExpectedSlot,
    window: TraceWindow,
    /// Last cycle actually dumped.
    last_dumped: Option<u64>,
}

impl TracedRtl {
    /// `rtl` must not have had a trace; it opens one on cycle `window.from`.
    pub fn new(rtl: Rtl, slot: ExpectedSlot, window: TraceWindow) -> Self {
        TracedRtl { rtl, slot, window, last_dumped: None }
    }

    /// The last cycle dumped so far, if any.
    pub fn last_dumped(&self) -> Option<u64> {
        self.last_dumped
    }

    /// Close the trace and hand back the RTL.
    pub fn finish(mut self) -> Rtl {
        self.rtl.close_trace();
        self.rtl
    }
}

impl Device for TracedRtl {
    /// Panics (as [`Rtl`]'s `Device::cycle` does) when the RTL stops or the trace cannot be
    /// opened; the lockstep runner reports either as a stopped device.
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let c = self.rtl.cycles();
        if c == self.window.from {
            if let Err(e) = self.rtl.open_trace(&self.window.path) {
                panic!("{e}");
            }
        }
        let exp = self.slot.take();
        let mut out = Outputs::default();
        if let Err(e) = self.rtl.cycle_expect(inp, exp.as_ref(), &mut out) {
            panic!("{e}");
        }
        if (self.window.from..=self.window.to).contains(&c) {
            self.last_dumped = Some(c);
        }
        if c == self.window.to {
            self.rtl.close_trace();
        }
        out
    }

    fn data_width(&self) -> u32 {
        self.rtl.data_width()
    }
}
