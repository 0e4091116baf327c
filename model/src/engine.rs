//! The cycle-accurate timing shell of `txoe_top`.
//!
//! Written from `docs/microarchitecture.md`. Each call to [`Device::cycle`] is one clock
//! cycle in two phases:
//!
//! 1. **Wires**: every output and every signal that crosses between blocks is computed
//!    from the state registers and this cycle's inputs alone ([`Engine::wires`]).
//! 2. **Edge**: each block updates its own state from its own registers and the wires
//!    (`Csr::edge`, `Engine::tx_edge`, `Engine::writer_edge`). No block reads another
//!    block's state during the edge, so their order does not matter.
//!
//! What the engine computes (headers, checksums, IDs, validation) comes from
//! [`crate::core`]; this file only decides when.

use std::collections::VecDeque;

use crate::core::{self, checksum, header_len, segment_at, HeaderFields, Ipv4Id, Ipv6FragId, Segment};
use crate::layout::{
    CloseReason, CompletionEntry, Context, Descriptor, Status, CPL_BYTES, CTX_W_SND_NXT, DESC_BYTES,
};
use crate::ports::{set_bus_byte, strobe_mask, Bus, Device, Inputs, Outputs};
use crate::regs::{self, CTX_WORDS};

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

/// Completion queue depth between the TX engine and the completion writer.
pub const CPLQ_DEPTH: usize = 4;
/// Output FIFO depth of the stream output.
pub const OFIFO_DEPTH: usize = 4;
/// Most beats in one read burst.
pub const MAX_BURST: u64 = 16;
const AXI_OKAY: u8 = 0;
const BURST_INCR: u8 = 1;

/// The cycle-accurate model of `txoe_top`.
pub struct Engine {
    params: EngineParams,
    /// Bytes per beat.
    bw: usize,
    csr: Csr,
    id4: Ipv4Id,
    id6: Ipv6FragId,
    tx: Tx,
    cpl: CplWriter,
}

// ------------------------------------------------------------------ register block

/// The AXI4-Lite register block and the state it owns.
#[derive(Clone, Debug)]
struct Csr {
    bvalid: bool,
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
    ctx: Vec<[u32; CTX_WORDS]>,
}

impl Csr {
    fn new(num_conn: u32) -> Self {
        Csr {
            bvalid: false,
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
        if w.csr_wr {
            self.bvalid = true;
        } else if inp.s_axil_bready {
            self.bvalid = false;
        }
        if w.csr_rd {
            self.rvalid = true;
            self.rdata = self.read(inp.s_axil_araddr, w);
        } else if inp.s_axil_rready {
            self.rvalid = false;
        }

        let mut err_set = 0;
        let (mut err_clr, mut irq_clr) = (0, 0);
        if w.csr_wr {
            let (addr, v) = (inp.s_axil_awaddr & 0xFFFC, inp.s_axil_wdata);
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
        if let Some((conn, v)) = w.snd_nxt_write {
            self.ctx[conn][CTX_W_SND_NXT] = v;
        }

        if w.err_desc_fetch {
            err_set |= regs::ERR_DESC_FETCH;
        }
        if w.err_cpl_write {
            err_set |= regs::ERR_CPL_WRITE;
        }
        self.err = (self.err & !err_clr) | err_set;
        let mut irq_set = 0;
        if err_set != 0 {
            irq_set |= regs::IRQ_ERR;
        }
        if let Some(b) = &w.batch_done {
            irq_set |= regs::IRQ_CPL;
            self.cnt_batch = self.cnt_batch.wrapping_add(1);
            self.cnt_cpl = self.cnt_cpl.wrapping_add(b.entries);
            self.cnt_err = self.cnt_err.wrapping_add(b.errors);
        }
        self.irq_status = (self.irq_status & !irq_clr) | irq_set;

        if let Some((bytes, last)) = w.tx_beat {
            self.cnt_bytes = self.cnt_bytes.wrapping_add(bytes);
            if last {
                self.cnt_frames = self.cnt_frames.wrapping_add(1);
            }
        }
    }
}

// ------------------------------------------------------------------ TX engine

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxState {
    Idle,
    DescAr,
    DescR,
    Check,
    Seg,
    PayAr,
    PayR,
    Flush,
    Hdr,
    Send,
    Cpl,
    Halt,
}

/// One beat waiting in the output FIFO.
#[derive(Clone, Copy, Debug, Default)]
struct Beat {
    data: Bus,
    keep: u64,
    last: bool,
}

/// A completion on its way from the TX engine to the completion writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Completion {
    cookie: u64,
    bytes: u32,
    segments: u16,
    status: Status,
    immediate: bool,
}

#[derive(Clone, Debug)]
struct Tx {
    state: TxState,
    fetch_idx: u32,
    desc_bytes: [u8; DESC_BYTES],
    desc_beat: usize,
    desc_err: bool,
    desc: Descriptor,
    status: Status,
    ctx: Context,
    // segmentation
    eff_mss: u16,
    /// Sequence number of the next segment.
    seq: u32,
    /// Payload bytes of the segments built so far.
    done: u32,
    /// Segments built so far.
    segs: u16,
    seg: Segment,
    // payload read
    rd_addr: u64,
    /// Address of the next read beat to arrive.
    beat_addr: u64,
    beats_left: u64,
    burst_left: u64,
    pay_err: bool,
    payload: Vec<u8>,
    // stream output
    frame: Vec<u8>,
    words: usize,
    rd_word: usize,
    inflight: Option<usize>,
    ofifo: VecDeque<Beat>,
}

impl Tx {
    fn new() -> Self {
        Tx {
            state: TxState::Idle,
            fetch_idx: 0,
            desc_bytes: [0; DESC_BYTES],
            desc_beat: 0,
            desc_err: false,
            desc: Descriptor::default(),
            status: Status::Ok,
            ctx: Context::default(),
            eff_mss: 0,
            seq: 0,
            done: 0,
            segs: 0,
            seg: Segment { offset: 0, len: 0, last: false },
            rd_addr: 0,
            beat_addr: 0,
            beats_left: 0,
            burst_left: 0,
            pay_err: false,
            payload: Vec::with_capacity(9216),
            frame: Vec::with_capacity(9216),
            words: 0,
            rd_word: 0,
            inflight: None,
            ofifo: VecDeque::with_capacity(OFIFO_DEPTH),
        }
    }
}

// ------------------------------------------------------------------ completion writer

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrState {
    Idle,
    Aw,
    W,
    B,
    Halt,
}

#[derive(Clone, Debug)]
struct CplWriter {
    state: WrState,
    queue: VecDeque<Completion>,
    cur: Option<(Completion, CloseReason)>,
    beat: usize,
    cq_tail: u32,
    tx_head: u32,
    phase: bool,
}

impl CplWriter {
    fn new() -> Self {
        CplWriter {
            state: WrState::Idle,
            queue: VecDeque::with_capacity(CPLQ_DEPTH),
            cur: None,
            beat: 0,
            cq_tail: 0,
            tx_head: 0,
            phase: true,
        }
    }
}

// ------------------------------------------------------------------ wires

/// A batch whose write response came back OKAY this cycle.
#[derive(Clone, Copy, Debug)]
struct BatchDone {
    entries: u32,
    errors: u32,
}

/// Everything computed from state and inputs in phase 1 that another block consumes.
#[derive(Debug, Default)]
struct Wires {
    // register block
    csr_wr: bool,
    csr_rd: bool,
    id4: u16,
    id6: u32,
    // configuration the TX engine and the writer act on
    tx_mask: u32,
    cq_mask: u32,
    // TX engine
    /// `Idle` may start a request this cycle.
    tx_go: bool,
    busy: bool,
    halted: bool,
    take_id4: bool,
    take_id6: bool,
    snd_nxt_write: Option<(usize, u32)>,
    err_desc_fetch: bool,
    cpl_push: Option<Completion>,
    tx_beat: Option<(u32, bool)>,
    /// Validation result, context snapshot and effective MSS, computed in `Check`.
    check: Option<(Status, Context, u16)>,
    // completion writer
    wr_start: bool,
    batch_done: Option<BatchDone>,
    err_cpl_write: bool,
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
            bw: params.data_w as usize / 8,
            csr: Csr::new(params.num_conn),
            id4: Ipv4Id::default(),
            id6: Ipv6FragId::default(),
            tx: Tx::new(),
            cpl: CplWriter::new(),
        }
    }

    pub fn params(&self) -> EngineParams {
        self.params
    }

    /// The TX engine's state, for reports and waveforms.
    pub fn tx_state(&self) -> TxState {
        self.tx.state
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

    fn lanes_mask(&self) -> u64 {
        strobe_mask(self.bw)
    }

    /// Phase 1: outputs and cross-block signals from state and inputs.
    fn wires(&self, inp: &Inputs, out: &mut Outputs) -> Wires {
        let bw = self.bw as u64;
        let lane_bits = bw.trailing_zeros();
        let mut w = Wires { id4: self.id4.peek(), id6: self.id6.peek(), ..Wires::default() };
        let csr = &self.csr;
        let tx = &self.tx;
        let wr = &self.cpl;

        // --- register block
        w.csr_wr = inp.s_axil_awvalid && inp.s_axil_wvalid && !csr.bvalid;
        w.csr_rd = inp.s_axil_arvalid && !csr.rvalid;
        out.s_axil_awready = w.csr_wr;
        out.s_axil_wready = w.csr_wr;
        out.s_axil_bvalid = csr.bvalid;
        out.s_axil_arready = !csr.rvalid;
        out.s_axil_rvalid = csr.rvalid;
        out.s_axil_rdata = csr.rdata;
        out.irq = csr.irq_status & !csr.irq_mask != 0;

        // --- completion writer
        w.wr_halted = wr.state == WrState::Halt;
        w.tx_head = wr.tx_head;
        w.cq_tail = wr.cq_tail;
        let cq_size = csr.cq_size();
        let cq_used = wr.cq_tail.wrapping_sub(csr.cq_head) & (cq_size - 1);
        let cq_free = cq_size - 1 - cq_used;
        w.wr_start = wr.state == WrState::Idle && !wr.queue.is_empty() && cq_free > 0;
        let entry_addr = csr.cq_base.wrapping_add(u64::from(wr.cq_tail) * CPL_BYTES as u64);
        let entry_beats = (CPL_BYTES / self.bw).max(1);
        match wr.state {
            WrState::Aw => {
                out.m_axi_awvalid = true;
                out.m_axi_awaddr = entry_addr & !(bw - 1);
                out.m_axi_awlen = (entry_beats - 1) as u8;
                out.m_axi_awsize = lane_bits as u8;
                out.m_axi_awburst = BURST_INCR;
            }
            WrState::W => {
                let (c, reason) = wr.cur.expect("an entry is being written");
                let bytes = CompletionEntry {
                    cookie: c.cookie,
                    bytes: c.bytes,
                    segments: c.segments,
                    status: c.status as u8,
                    phase: wr.phase,
                    end_of_batch: true,
                    reason,
                }
                .encode();
                out.m_axi_wvalid = true;
                out.m_axi_wlast = wr.beat == entry_beats - 1;
                if self.bw >= CPL_BYTES {
                    let lane = (entry_addr % bw) as usize;
                    for (i, b) in bytes.iter().enumerate() {
                        set_bus_byte(&mut out.m_axi_wdata, lane + i, *b);
                    }
                    out.m_axi_wstrb = strobe_mask(CPL_BYTES) << lane;
                } else {
                    let chunk = &bytes[wr.beat * self.bw..(wr.beat + 1) * self.bw];
                    for (i, b) in chunk.iter().enumerate() {
                        set_bus_byte(&mut out.m_axi_wdata, i, *b);
                    }
                    out.m_axi_wstrb = self.lanes_mask();
                }
            }
            WrState::B => {
                out.m_axi_bready = true;
                if inp.m_axi_bvalid {
                    if inp.m_axi_bresp == AXI_OKAY {
                        let (c, _) = wr.cur.expect("an entry is being written");
                        w.batch_done = Some(BatchDone { entries: 1, errors: u32::from(c.status != Status::Ok) });
                    } else {
                        w.err_cpl_write = true;
                    }
                }
            }
            WrState::Idle | WrState::Halt => {}
        }

        // --- TX engine
        w.tx_mask = csr.tx_size() - 1;
        w.cq_mask = cq_size - 1;
        w.tx_go = tx.state == TxState::Idle
            && csr.enable
            && !w.wr_halted
            && tx.fetch_idx != csr.tx_tail
            && wr.queue.len() < CPLQ_DEPTH;
        w.busy = !matches!(tx.state, TxState::Idle | TxState::Halt);
        w.halted = tx.state == TxState::Halt || w.wr_halted;
        let desc_beats = (DESC_BYTES / self.bw).max(1);
        match tx.state {
            TxState::DescAr => {
                out.m_axi_arvalid = true;
                let a = csr.tx_base.wrapping_add(u64::from(tx.fetch_idx) * DESC_BYTES as u64);
                out.m_axi_araddr = a & !(bw - 1);
                out.m_axi_arlen = (desc_beats - 1) as u8;
            }
            TxState::DescR => {
                out.m_axi_rready = true;
                let last = tx.desc_beat == desc_beats - 1;
                if inp.m_axi_rvalid && last && (tx.desc_err || inp.m_axi_rresp != AXI_OKAY) {
                    w.err_desc_fetch = true;
                }
            }
            TxState::Check => {
                let d = &tx.desc;
                let ctx = csr.ctx.get(usize::from(d.conn)).map(Context::from_words);
                let (status, eff_mss) = match core::validate(d, ctx.as_ref(), self.params.num_conn, csr.mtu) {
                    Ok(plan) => (Status::Ok, plan.eff_mss),
                    Err(s) => (s, 0),
                };
                w.check = Some((status, ctx.unwrap_or_default(), eff_mss));
            }
            TxState::PayAr => {
                out.m_axi_arvalid = true;
                out.m_axi_araddr = tx.rd_addr;
                out.m_axi_arlen = (self.pay_burst_beats() - 1) as u8;
            }
            TxState::PayR => out.m_axi_rready = true,
            TxState::Hdr => {
                w.take_id4 = !tx.ctx.ipv6;
                w.take_id6 = tx.ctx.ipv6 && tx.ctx.frag_hdr;
                w.snd_nxt_write = Some((usize::from(tx.desc.conn), tx.seq_after_segment()));
            }
            TxState::Cpl => {
                w.cpl_push = Some(Completion {
                    cookie: tx.desc.cookie,
                    bytes: tx.done,
                    segments: tx.segs,
                    status: tx.status,
                    immediate: tx.desc.immediate(),
                });
            }
            TxState::Idle | TxState::Seg | TxState::Flush | TxState::Send | TxState::Halt => {}
        }
        if out.m_axi_arvalid {
            out.m_axi_arsize = lane_bits as u8;
            out.m_axi_arburst = BURST_INCR;
        }
        if let Some(b) = tx.ofifo.front() {
            out.m_axis_tx_tvalid = true;
            out.m_axis_tx_tdata = b.data;
            out.m_axis_tx_tkeep = b.keep;
            out.m_axis_tx_tlast = b.last;
            if inp.m_axis_tx_tready {
                w.tx_beat = Some((b.keep.count_ones(), b.last));
            }
        }
        w
    }

    /// Beats of the next payload read burst: at most 16, no further than the request's
    /// end, never across a 4 KiB boundary.
    fn pay_burst_beats(&self) -> u64 {
        let bw = self.bw as u64;
        let to_page = (4096 - (self.tx.rd_addr % 4096)) / bw;
        MAX_BURST.min(self.tx.beats_left).min(to_page)
    }

    /// Phase 2 for the TX engine.
    fn tx_edge(&mut self, inp: &Inputs, w: &Wires) {
        let bw = self.bw;
        let desc_beats = (DESC_BYTES / bw).max(1);
        let burst = self.pay_burst_beats();
        let tx = &mut self.tx;
        let rdata = &inp.m_axi_rdata;
        let ok = inp.m_axi_rresp == AXI_OKAY;

        // Stream output pipeline: push the word read last cycle, pop what the MAC took,
        // issue the next read.
        if w.tx_beat.is_some() {
            tx.ofifo.pop_front();
        }
        if let Some(word) = tx.inflight.take() {
            tx.ofifo.push_back(frame_beat(&tx.frame, word, bw));
        }
        // (the read issue is decided on registered values: count before push/pop)

        match tx.state {
            TxState::Idle => {
                if w.tx_go {
                    tx.state = TxState::DescAr;
                }
            }
            TxState::DescAr => {
                if inp.m_axi_arready {
                    tx.desc_beat = 0;
                    tx.desc_err = false;
                    tx.state = TxState::DescR;
                }
            }
            TxState::DescR => {
                if inp.m_axi_rvalid {
                    if bw >= DESC_BYTES {
                        let lane = (tx.fetch_idx as usize * DESC_BYTES) % bw;
                        for i in 0..DESC_BYTES {
                            tx.desc_bytes[i] = crate::ports::bus_byte(rdata, lane + i);
                        }
                    } else {
                        for i in 0..bw {
                            tx.desc_bytes[tx.desc_beat * bw + i] = crate::ports::bus_byte(rdata, i);
                        }
                    }
                    let err = tx.desc_err || !ok;
                    if tx.desc_beat == desc_beats - 1 {
                        tx.desc = Descriptor::decode(&tx.desc_bytes);
                        tx.state = if err { TxState::Halt } else { TxState::Check };
                    }
                    tx.desc_err = err;
                    tx.desc_beat += 1;
                }
            }
            TxState::Check => {
                let (status, ctx, eff_mss) = w.check.expect("validation runs in Check");
                tx.status = status;
                tx.ctx = ctx;
                tx.eff_mss = eff_mss;
                tx.seq = ctx.snd_nxt;
                tx.done = 0;
                tx.segs = 0;
                tx.state = if status == Status::Ok { TxState::Seg } else { TxState::Cpl };
            }
            TxState::Seg => {
                tx.seg = segment_at(tx.desc.len, tx.eff_mss, tx.done);
                let start = tx.seg_start();
                let off = start % bw as u64;
                tx.rd_addr = start - off;
                tx.beats_left = (off + u64::from(tx.seg.len)).div_ceil(bw as u64);
                tx.pay_err = false;
                tx.payload.clear();
                tx.state = TxState::PayAr;
            }
            TxState::PayAr => {
                if inp.m_axi_arready {
                    tx.beat_addr = tx.rd_addr;
                    tx.rd_addr += burst * bw as u64;
                    tx.beats_left -= burst;
                    tx.burst_left = burst;
                    tx.state = TxState::PayR;
                }
            }
            TxState::PayR => {
                if inp.m_axi_rvalid {
                    let start = tx.seg_start();
                    let end = start + u64::from(tx.seg.len);
                    for i in 0..bw as u64 {
                        let a = tx.beat_addr + i;
                        if a >= start && a < end {
                            tx.payload.push(crate::ports::bus_byte(rdata, i as usize));
                        }
                    }
                    tx.beat_addr += bw as u64;
                    tx.pay_err |= !ok;
                    tx.burst_left -= 1;
                    if tx.burst_left == 0 {
                        tx.state = if tx.pay_err {
                            tx.status = Status::DmaError;
                            TxState::Cpl
                        } else if tx.beats_left > 0 {
                            TxState::PayAr
                        } else {
                            TxState::Flush
                        };
                    }
                }
            }
            TxState::Flush => tx.state = TxState::Hdr,
            TxState::Hdr => {
                let f = HeaderFields {
                    seq: tx.seq,
                    len: tx.seg.len,
                    psh: tx.seg.last && tx.desc.psh(),
                    fin: tx.seg.last && tx.desc.fin(),
                    ip_id: w.id4,
                    frag_id: w.id6,
                };
                debug_assert_eq!(tx.payload.len(), usize::from(tx.seg.len));
                tx.seq = tx.seq_after_segment();
                tx.done += u32::from(tx.seg.len);
                tx.segs += 1;
                tx.frame = core::build_headers(&tx.ctx, &f, checksum::sum_be16(0, &tx.payload));
                debug_assert_eq!(tx.frame.len(), header_len(&tx.ctx));
                tx.frame.extend_from_slice(&tx.payload);
                tx.words = tx.frame.len().div_ceil(bw);
                tx.rd_word = 0;
                tx.state = TxState::Send;
            }
            TxState::Send => {
                if matches!(w.tx_beat, Some((_, true))) {
                    tx.state = if tx.seg.last { TxState::Cpl } else { TxState::Seg };
                }
            }
            TxState::Cpl => {
                tx.fetch_idx = (tx.fetch_idx + 1) & w.tx_mask;
                tx.state = TxState::Idle;
            }
            TxState::Halt => {}
        }
    }

    /// Phase 2 for the completion writer.
    fn writer_edge(&mut self, inp: &Inputs, w: &Wires) {
        let entry_beats = (CPL_BYTES / self.bw).max(1);
        let wr = &mut self.cpl;
        if let Some(c) = w.cpl_push {
            debug_assert!(wr.queue.len() < CPLQ_DEPTH, "completion queue overflow");
            wr.queue.push_back(c);
        }
        match wr.state {
            WrState::Idle => {
                if w.wr_start {
                    let c = wr.queue.pop_front().expect("queue not empty");
                    let reason = if c.immediate {
                        CloseReason::Immediate
                    } else if wr.cq_tail == w.cq_mask || wr.cq_tail % 256 == 255 {
                        CloseReason::RingEnd
                    } else {
                        CloseReason::MaxBatch
                    };
                    wr.cur = Some((c, reason));
                    wr.state = WrState::Aw;
                }
            }
            WrState::Aw => {
                if inp.m_axi_awready {
                    wr.beat = 0;
                    wr.state = WrState::W;
                }
            }
            WrState::W => {
                if inp.m_axi_wready {
                    wr.beat += 1;
                    if wr.beat == entry_beats {
                        wr.state = WrState::B;
                    }
                }
            }
            WrState::B => {
                if w.batch_done.is_some() {
                    wr.cq_tail = (wr.cq_tail + 1) & w.cq_mask;
                    if wr.cq_tail == 0 {
                        wr.phase = !wr.phase;
                    }
                    wr.tx_head = (wr.tx_head + 1) & w.tx_mask;
                    wr.state = WrState::Idle;
                } else if w.err_cpl_write {
                    wr.state = WrState::Halt;
                }
            }
            WrState::Halt => {}
        }
    }

    /// The IPv6 fragment ID the next datagram with a fragment header gets.
    pub fn next_ipv6_frag_id(&self) -> u32 {
        self.id6.peek()
    }
}

impl Tx {
    /// Host address of the current segment's first payload byte.
    fn seg_start(&self) -> u64 {
        self.desc.buf_addr.wrapping_add(u64::from(self.seg.offset))
    }

    /// The sequence number after the current segment (FIN counts one).
    fn seq_after_segment(&self) -> u32 {
        let fin = self.seg.last && self.desc.fin();
        self.seq.wrapping_add(u32::from(self.seg.len)).wrapping_add(u32::from(fin))
    }
}

/// Word `word` of `frame` as a stream beat: `tkeep` covers the frame's bytes, lanes past
/// the end are zero, `tlast` on the frame's last word.
fn frame_beat(frame: &[u8], word: usize, bw: usize) -> Beat {
    let start = word * bw;
    let end = (start + bw).min(frame.len());
    let mut beat = Beat { keep: strobe_mask(end - start), last: end == frame.len(), ..Beat::default() };
    for (i, b) in frame[start..end].iter().enumerate() {
        set_bus_byte(&mut beat.data, i, *b);
    }
    beat
}

impl Device for Engine {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let mut out = Outputs::default();
        let w = self.wires(inp, &mut out);
        if inp.rst {
            self.reset();
            return out;
        }

        // The read issue decision uses the registered FIFO count and in-flight flag.
        let issue = self.tx.state == TxState::Send
            && self.tx.rd_word < self.tx.words
            && self.tx.ofifo.len() + usize::from(self.tx.inflight.is_some()) < OFIFO_DEPTH;

        self.csr.edge(inp, &w);
        // A take and a host load of the same counter in one cycle: the take wins.
        let host_load = |reg| w.csr_wr && inp.s_axil_awaddr & 0xFFFC == reg;
        if w.take_id4 {
            self.id4.take();
        } else if host_load(regs::IPV4_ID) {
            self.id4 = Ipv4Id::new(inp.s_axil_wdata as u16);
        }
        if w.take_id6 {
            self.id6.take();
        } else if host_load(regs::IPV6_ID) {
            self.id6 = Ipv6FragId::new(inp.s_axil_wdata);
        }
        self.writer_edge(inp, &w);
        self.tx_edge(inp, &w);
        if issue {
            self.tx.inflight = Some(self.tx.rd_word);
            self.tx.rd_word += 1;
        }
        out
    }

    fn data_width(&self) -> u32 {
        self.params.data_w
    }
}
