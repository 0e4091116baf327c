//! The cycle-accurate timing shell of `txoe_top`.
//!
//! Written from `docs/microarchitecture.md`. Each call to [`Device::cycle`] is one clock
//! cycle in two phases:
//!
//! 1. **Wires**: every output and every signal that crosses between blocks is computed
//!    from the state registers and this cycle's inputs alone ([`Engine::wires`]).
//! 2. **Edge**: each block updates its own state from its own registers and the wires
//!    (`TxEngine::edge` in `tx.rs`, `Csr::edge`, the ID counters, `CplWriter::edge` in
//!    `engine/writer.rs`). The TX engine's edge also reads the other blocks' registers
//!    (through `TxEnv`, as they were in the cycle), so it runs first; the others read
//!    only their own registers and the wires.
//!
//! What the engine computes (headers, checksums, IDs, validation) comes from
//! [`crate::core`]; this file only decides when.

use crate::core::{Ipv4Id, Ipv6FragId};
use crate::layout::{Status, CTX_W_SND_NXT};
use crate::ports::{Device, Inputs, Outputs};
use crate::regs::{self, CTX_WORDS};
use crate::tx::{FeState, TxEngine, TxEnv, TxWires};

mod writer;

pub use writer::WrState;
use writer::{CplWriter, WriterCfg, WriterIo};

/// Build-time parameters of the engine, the same as the RTL's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineParams {
    pub data_w: u32,
    pub num_conn: u32,
}

impl Default for EngineParams {
    fn default() -> Self {
        EngineParams { data_w: 64, num_conn: 16 }
    }
}

/// Completion queue depth between the TX engine and the completion writer: room for a
/// batch of 16 in flight and a batch of 16 forming behind it.
pub const CPLQ_DEPTH: usize = 32;
const AXI_OKAY: u8 = 0;
const BURST_INCR: u8 = 1;

/// The cycle-accurate model of `txoe_top`.
pub struct Engine {
    params: EngineParams,
    csr: Csr,
    id4: Ipv4Id,
    id6: Ipv6FragId,
    tx: TxEngine,
    cpl: CplWriter,
}

// ------------------------------------------------------------------ register block

/// The AXI4-Lite register block and the state it owns.
#[derive(Clone, Debug)]
struct Csr {
    /// A write taken in the previous cycle (word address, data): it takes effect at this
    /// cycle's edge, and `bvalid` rises with it.
    wr_pending: Option<(u32, u32)>,
    bvalid: bool,
    /// A read taken in the previous cycle (its address): answered at this cycle's edge
    /// from this cycle's values, and `rvalid` rises with it.
    rd_pending: Option<u32>,
    rvalid: bool,
    rdata: u32,
    enable: bool,
    err: u32,
    irq_status: u32,
    irq_mask: u32,
    mtu: u16,
    max_batch: u32,
    timeout: u32,
    tx_base: u64,
    tx_log2: u32,
    tx_tail: u32,
    cq_base: u64,
    cq_log2: u32,
    cq_head: u32,
    cnt_frames: u32,
    cnt_bytes: u32,
    cnt_cpl: u32,
    cnt_batch: u32,
    cnt_err: u32,
    /// Batches per close reason, indexed by `CloseReason as usize`.
    cnt_close: [u32; 4],
    ctx: Vec<[u32; CTX_WORDS]>,
}

impl Csr {
    fn new(num_conn: u32) -> Self {
        Csr {
            wr_pending: None,
            bvalid: false,
            rd_pending: None,
            rvalid: false,
            rdata: 0,
            enable: false,
            err: 0,
            irq_status: 0,
            irq_mask: 0,
            mtu: regs::MTU_RESET as u16,
            max_batch: regs::MAX_BATCH_RESET,
            timeout: regs::TIMEOUT_RESET,
            tx_base: 0,
            tx_log2: regs::RING_LOG2_RESET,
            tx_tail: 0,
            cq_base: 0,
            cq_log2: regs::RING_LOG2_RESET,
            cq_head: 0,
            cnt_frames: 0,
            cnt_bytes: 0,
            cnt_cpl: 0,
            cnt_batch: 0,
            cnt_err: 0,
            cnt_close: [0; 4],
            ctx: vec![[0; CTX_WORDS]; num_conn as usize],
        }
    }

    fn tx_size(&self) -> u32 {
        1 << self.tx_log2
    }

    fn cq_size(&self) -> u32 {
        1 << self.cq_log2
    }

    /// The context word a register address selects, if any.
    fn ctx_slot(&self, addr: u32) -> Option<(usize, usize)> {
        let a = addr & 0xFFFC;
        if a < regs::CTX_BASE {
            return None;
        }
        let conn = ((a - regs::CTX_BASE) / regs::CTX_STRIDE) as usize;
        let word = ((a % regs::CTX_STRIDE) / 4) as usize;
        (conn < self.ctx.len() && word < CTX_WORDS).then_some((conn, word))
    }

    fn read(&self, addr: u32, w: &Wires) -> u32 {
        if let Some((c, i)) = self.ctx_slot(addr) {
            return self.ctx[c][i];
        }
        match addr & 0xFFFC {
            regs::ID => regs::ID_VALUE,
            regs::CTRL => u32::from(self.enable),
            regs::STATUS => {
                (if w.busy { regs::STATUS_BUSY } else { 0 })
                    | (if w.halted { regs::STATUS_HALTED } else { 0 })
            }
            regs::ERR => self.err,
            regs::IRQ_STATUS => self.irq_status,
            regs::IRQ_MASK => self.irq_mask,
            regs::MTU => u32::from(self.mtu),
            regs::MAX_BATCH => self.max_batch,
            regs::TIMEOUT => self.timeout,
            regs::IPV4_ID => u32::from(w.id4),
            regs::IPV6_ID => w.id6,
            regs::TX_BASE_LO => self.tx_base as u32,
            regs::TX_BASE_HI => (self.tx_base >> 32) as u32,
            regs::TX_LOG2 => self.tx_log2,
            regs::TX_TAIL => self.tx_tail,
            regs::TX_HEAD => w.tx_head,
            regs::CQ_BASE_LO => self.cq_base as u32,
            regs::CQ_BASE_HI => (self.cq_base >> 32) as u32,
            regs::CQ_LOG2 => self.cq_log2,
            regs::CQ_HEAD => self.cq_head,
            regs::CQ_TAIL => w.cq_tail,
            regs::CNT_FRAMES => self.cnt_frames,
            regs::CNT_BYTES => self.cnt_bytes,
            regs::CNT_CPL => self.cnt_cpl,
            regs::CNT_BATCH => self.cnt_batch,
            regs::CNT_ERR => self.cnt_err,
            regs::CNT_CLOSE_MAX_BATCH => self.cnt_close[0],
            regs::CNT_CLOSE_TIMEOUT => self.cnt_close[1],
            regs::CNT_CLOSE_IMMEDIATE => self.cnt_close[2],
            regs::CNT_CLOSE_RING_END => self.cnt_close[3],
            _ => 0,
        }
    }

    /// Does a host write of `v` to register `addr` violate its documented range? Returns
    /// the `ERR` bit it sets.
    fn write_error(&self, addr: u32, v: u32) -> u32 {
        let ring_ok = (1..=regs::RING_LOG2_MAX).contains(&v);
        match addr {
            regs::MTU if !(regs::MTU_MIN..=regs::MTU_MAX).contains(&v) => regs::ERR_CONFIG,
            regs::MAX_BATCH if !(1..=regs::MAX_BATCH_MAX).contains(&v) => regs::ERR_CONFIG,
            regs::TX_LOG2 | regs::CQ_LOG2 if !ring_ok => regs::ERR_CONFIG,
            regs::TX_TAIL if v >= self.tx_size() => regs::ERR_DOORBELL,
            _ => 0,
        }
    }

    fn edge(&mut self, inp: &Inputs, w: &Wires) {
        // Response channels.
        self.wr_pending = w.csr_wr.then_some((inp.s_axil_awaddr & 0xFFFC, inp.s_axil_wdata));
        if w.csr_apply.is_some() {
            self.bvalid = true;
        } else if inp.s_axil_bready {
            self.bvalid = false;
        }
        let answer = self.rd_pending.take();
        self.rd_pending = w.csr_rd.then_some(inp.s_axil_araddr);
        if let Some(addr) = answer {
            self.rvalid = true;
            self.rdata = self.read(addr, w);
        } else if inp.s_axil_rready {
            self.rvalid = false;
        }

        let mut err_set = 0;
        let (mut err_clr, mut irq_clr) = (0, 0);
        if let Some((addr, v)) = w.csr_apply {
            if let Some((c, i)) = self.ctx_slot(addr) {
                self.ctx[c][i] = v;
            } else {
                let bad = self.write_error(addr, v);
                err_set |= bad;
                if bad == 0 {
                    match addr {
                        regs::CTRL => self.enable = v & regs::CTRL_ENABLE != 0,
                        regs::ERR => err_clr = v & 0xF,
                        regs::IRQ_STATUS => irq_clr = v & 0x3,
                        regs::IRQ_MASK => self.irq_mask = v & 0x3,
                        regs::MTU => self.mtu = v as u16,
                        regs::MAX_BATCH => self.max_batch = v,
                        regs::TIMEOUT => self.timeout = v,
                        regs::TX_BASE_LO => self.tx_base = (self.tx_base & !0xFFFF_FFFF) | u64::from(v & !0xFFF),
                        regs::TX_BASE_HI => self.tx_base = (self.tx_base & 0xFFFF_FFFF) | (u64::from(v) << 32),
                        regs::TX_LOG2 => self.tx_log2 = v,
                        regs::TX_TAIL => self.tx_tail = v,
                        regs::CQ_BASE_LO => self.cq_base = (self.cq_base & !0xFFFF_FFFF) | u64::from(v & !0xFFF),
                        regs::CQ_BASE_HI => self.cq_base = (self.cq_base & 0xFFFF_FFFF) | (u64::from(v) << 32),
                        regs::CQ_LOG2 => self.cq_log2 = v,
                        regs::CQ_HEAD => self.cq_head = v & (self.cq_size() - 1),
                        _ => {}
                    }
                }
            }
        }
        // The engine's snd_nxt update wins over a host write of the same word.
        if let Some((conn, v)) = w.tx.snd_nxt_write {
            self.ctx[conn][CTX_W_SND_NXT] = v;
        }

        if w.tx.err_desc_fetch {
            err_set |= regs::ERR_DESC_FETCH;
        }
        if w.wr.err_cpl_write {
            err_set |= regs::ERR_CPL_WRITE;
        }
        self.err = (self.err & !err_clr) | err_set;
        let mut irq_set = 0;
        if err_set != 0 {
            irq_set |= regs::IRQ_ERR;
        }
        if let Some(b) = &w.wr.batch_done {
            irq_set |= regs::IRQ_CPL;
            self.cnt_batch = self.cnt_batch.wrapping_add(1);
            self.cnt_cpl = self.cnt_cpl.wrapping_add(b.entries);
            self.cnt_err = self.cnt_err.wrapping_add(b.errors);
            let r = &mut self.cnt_close[b.reason as usize];
            *r = r.wrapping_add(1);
        }
        self.irq_status = (self.irq_status & !irq_clr) | irq_set;

        if let Some((bytes, last)) = w.tx.tx_beat {
            self.cnt_bytes = self.cnt_bytes.wrapping_add(bytes);
            if last {
                self.cnt_frames = self.cnt_frames.wrapping_add(1);
            }
        }
    }
}

// ------------------------------------------------------------------ completions

/// A completion on its way from the TX engine to the completion writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    pub cookie: u64,
    pub bytes: u32,
    pub segments: u16,
    pub status: Status,
    pub immediate: bool,
}

// ------------------------------------------------------------------ wires

/// Everything computed from state and inputs in phase 1 that another block consumes.
#[derive(Debug, Default)]
struct Wires {
    // register block
    /// AW and W taken in this cycle (the write takes effect at the next cycle's edge).
    csr_wr: bool,
    /// The write that takes effect at this cycle's edge (word address, data).
    csr_apply: Option<(u32, u32)>,
    csr_rd: bool,
    id4: u16,
    id6: u32,
    // TX engine
    tx: TxWires,
    /// `STATUS`: a request is in the TX engine; the engine has halted.
    busy: bool,
    halted: bool,
    // completion writer
    /// The registers the writer acts on, as they are in this cycle.
    wr_cfg: WriterCfg,
    /// The writer's batch start, write response and write error of this cycle.
    wr: WriterIo,
    wr_halted: bool,
    tx_head: u32,
    cq_tail: u32,
}

// ------------------------------------------------------------------ the engine

impl Engine {
    pub fn new(params: EngineParams) -> Self {
        assert!(
            matches!(params.data_w, 64 | 128 | 256 | 512),
            "DATA_W must be 64, 128, 256 or 512, not {}",
            params.data_w
        );
        assert!(
            params.num_conn.is_power_of_two() && (2..=32).contains(&params.num_conn),
            "NUM_CONN must be a power of two in 2..=32, not {}",
            params.num_conn
        );
        Engine {
            params,
            csr: Csr::new(params.num_conn),
            id4: Ipv4Id::default(),
            id6: Ipv6FragId::default(),
            tx: TxEngine::new(params.data_w),
            cpl: CplWriter::new(params.data_w as usize / 8),
        }
    }

    pub fn params(&self) -> EngineParams {
        self.params
    }

    /// The TX engine's front-end state, for reports and waveforms.
    pub fn tx_state(&self) -> FeState {
        self.tx.state()
    }

    /// The completion writer's state.
    pub fn writer_state(&self) -> WrState {
        self.cpl.state
    }

    /// The IPv4 ID the next datagram gets.
    pub fn next_ipv4_id(&self) -> u16 {
        self.id4.peek()
    }

    /// Completions queued and not yet written.
    pub fn cplq_len(&self) -> usize {
        self.cpl.queue.len()
    }

    fn reset(&mut self) {
        *self = Engine::new(self.params);
    }

    /// Phase 1: outputs and cross-block signals from state and inputs.
    fn wires(&self, inp: &Inputs, out: &mut Outputs) -> Wires {
        let mut w = Wires { id4: self.id4.peek(), id6: self.id6.peek(), ..Wires::default() };
        let csr = &self.csr;
        let wr = &self.cpl;

        // --- register block
        w.csr_wr = inp.s_axil_awvalid && inp.s_axil_wvalid && !csr.bvalid && csr.wr_pending.is_none();
        w.csr_apply = csr.wr_pending;
        w.csr_rd = inp.s_axil_arvalid && !csr.rvalid && csr.rd_pending.is_none();
        out.s_axil_awready = w.csr_wr;
        out.s_axil_wready = w.csr_wr;
        out.s_axil_bvalid = csr.bvalid;
        out.s_axil_arready = !csr.rvalid && csr.rd_pending.is_none();
        out.s_axil_rvalid = csr.rvalid;
        out.s_axil_rdata = csr.rdata;
        out.irq = csr.irq_status & !csr.irq_mask != 0;

        // --- completion writer
        w.wr_halted = wr.state == WrState::Halt;
        w.tx_head = wr.tx_head;
        w.cq_tail = wr.cq_tail;
        w.wr_cfg = WriterCfg {
            cq_base: csr.cq_base,
            cq_log2: csr.cq_log2,
            cq_head: csr.cq_head,
            max_batch: csr.max_batch,
            timeout: csr.timeout,
            tx_mask: csr.tx_size() - 1,
        };
        w.wr = wr.wires(&w.wr_cfg, inp, out);

        // --- TX engine
        let env = tx_env(csr, wr, &self.id4, &self.id6, self.params.num_conn);
        w.tx = self.tx.comb(&env, inp, out);
        w.busy = w.tx.busy;
        w.halted = w.tx.halted || w.wr_halted;
        w
    }

    /// Phase 2 for the completion writer.
    fn writer_edge(&mut self, inp: &Inputs, w: &Wires) {
        self.cpl.edge(&w.wr_cfg, inp, &w.wr, w.tx.cpl_push);
    }

    /// The IPv6 fragment ID the next datagram with a fragment header gets.
    pub fn next_ipv6_frag_id(&self) -> u32 {
        self.id6.peek()
    }
}

/// What the TX engine sees of the other blocks' registers this cycle.
fn tx_env<'a>(csr: &'a Csr, wr: &CplWriter, id4: &Ipv4Id, id6: &Ipv6FragId, num_conn: u32) -> TxEnv<'a> {
    TxEnv {
        enable: csr.enable,
        halted: wr.state == WrState::Halt,
        mtu: csr.mtu,
        tx_base: csr.tx_base,
        tx_mask: csr.tx_size() - 1,
        tx_tail: csr.tx_tail,
        contexts: &csr.ctx,
        num_conn,
        id4: id4.peek(),
        id6: id6.peek(),
        cplq_len: wr.queue.len(),
    }
}

impl Device for Engine {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let mut out = Outputs::default();
        let w = self.wires(inp, &mut out);
        if inp.rst {
            self.reset();
            return out;
        }

        // The TX engine's edge reads the other blocks' registers as they were in this
        // cycle, so it goes before theirs.
        let env = tx_env(&self.csr, &self.cpl, &self.id4, &self.id6, self.params.num_conn);
        self.tx.edge(&env, inp, &w.tx);
        self.csr.edge(inp, &w);
        // A take and a host load of the same counter in one cycle: the take wins.
        let host_load = |reg| w.csr_apply.and_then(|(a, v)| (a == reg).then_some(v));
        if w.tx.take_id4 {
            self.id4.take();
        } else if let Some(v) = host_load(regs::IPV4_ID) {
            self.id4 = Ipv4Id::new(v as u16);
        }
        if w.tx.take_id6 {
            self.id6.take();
        } else if let Some(v) = host_load(regs::IPV6_ID) {
            self.id6 = Ipv6FragId::new(v);
        }
        self.writer_edge(inp, &w);
        out
    }

    fn data_width(&self) -> u32 {
        self.params.data_w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle(rst: bool) -> Inputs {
        Inputs { rst, s_axil_bready: true, s_axil_rready: true, ..Inputs::default() }
    }

    /// Cycle by cycle: a write taken in cycle c is pending in c + 1 (no second write is
    /// taken), takes effect at that edge, and its response is up in c + 2; a read taken in
    /// c + 1 is answered from the values of c + 2, so it sees the write.
    #[test]
    fn a_register_write_takes_effect_the_cycle_after_its_handshake() {
        let mut e = Engine::new(EngineParams::default());
        e.cycle(&idle(true));
        let write = Inputs {
            s_axil_awvalid: true,
            s_axil_awaddr: regs::MTU,
            s_axil_wvalid: true,
            s_axil_wdata: 1000,
            ..idle(false)
        };
        let o = e.cycle(&write); // c: taken
        assert!(o.s_axil_awready && o.s_axil_wready && !o.s_axil_bvalid);
        let o = e.cycle(&Inputs { s_axil_arvalid: true, s_axil_araddr: regs::MTU, ..write });
        assert!(!o.s_axil_awready && !o.s_axil_wready && !o.s_axil_bvalid, "c + 1: pending");
        assert!(o.s_axil_arready, "c + 1: a read is taken beside the pending write");
        let o = e.cycle(&idle(false)); // c + 2: the write's response; the read is answered at its edge
        assert!(o.s_axil_bvalid && !o.s_axil_rvalid && !o.s_axil_arready);
        let o = e.cycle(&idle(false)); // c + 3
        assert!(o.s_axil_rvalid && !o.s_axil_arready);
        assert_eq!(o.s_axil_rdata, 1000, "a read taken while the write was pending reads it");
    }

    /// A read taken in cycle c is answered from the values of c + 1: `rvalid` is up in
    /// c + 2, `arready` low from c + 1 until the R handshake.
    #[test]
    fn a_register_read_is_answered_two_cycles_after_its_handshake() {
        let mut e = Engine::new(EngineParams::default());
        e.cycle(&idle(true));
        let read = Inputs { s_axil_arvalid: true, s_axil_araddr: regs::MTU, ..idle(false) };
        let o = e.cycle(&read); // c
        assert!(o.s_axil_arready && !o.s_axil_rvalid);
        let o = e.cycle(&read); // c + 1: not taken again
        assert!(!o.s_axil_arready && !o.s_axil_rvalid);
        let o = e.cycle(&Inputs { s_axil_rready: false, ..idle(false) }); // c + 2
        assert!(o.s_axil_rvalid && !o.s_axil_arready);
        assert_eq!(o.s_axil_rdata, regs::MTU_RESET);
        let o = e.cycle(&Inputs { s_axil_rready: true, ..idle(false) }); // c + 3: held until rready
        assert!(o.s_axil_rvalid && !o.s_axil_arready);
        let o = e.cycle(&idle(false));
        assert!(!o.s_axil_rvalid && o.s_axil_arready);
    }
}
