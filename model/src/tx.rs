//! The TX engine's timing shell (`docs/microarchitecture.md`, "TX engine"): descriptor
//! fetch and validation, segmentation into frame-buffer slots, pipelined payload reads,
//! the header stage and the stream output.
//!
//! Like every block of the model it has two phases per cycle: [`TxEngine::comb`] computes
//! its outputs and decisions from its registers and this cycle's inputs, and
//! [`TxEngine::edge`] applies them. What is computed (validation, segments, headers,
//! checksums) comes from [`crate::core`].

use std::collections::VecDeque;

use crate::core::{self, checksum, header_len, segment_at, HeaderFields};
use crate::engine::{Completion, CPLQ_DEPTH};
use crate::layout::{Context, Descriptor, Status, DESC_BYTES};
use crate::ports::{bus_byte, set_bus_byte, strobe_mask, Bus, Inputs, Outputs};
use crate::regs::CTX_WORDS;

/// Output FIFO depth of the stream output.
pub const OFIFO_DEPTH: usize = 4;
/// Frame-buffer slots.
pub const NUM_SLOTS: usize = 3;
/// Most beats in one read burst.
pub const MAX_BURST: u64 = 16;
const AXI_OKAY: u8 = 0;
const BURST_INCR: u8 = 1;

/// The front end's request state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeState {
    Idle,
    DescAr,
    DescR,
    /// The cycle between the descriptor's last beat and `Check`: the context is read.
    Ctx,
    Check,
    Run,
    Halt,
}

/// What a ready slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotKind {
    Frame,
    CplOnly,
    Void,
}

#[derive(Clone, Debug)]
struct Slot {
    ready: bool,
    /// The stream output has passed it (read all its words, or skipped it).
    read: bool,
    kind: SlotKind,
    /// Header and payload of a `Frame` slot.
    frame: Vec<u8>,
    cpl_en: bool,
    cpl: Completion,
}

/// A segment whose payload is being read.
#[derive(Clone, Copy, Debug)]
struct Job {
    slot: usize,
    /// Host address of the segment's first payload byte.
    start: u64,
    beats: u64,
    seg: core::Segment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EvKind {
    Ok,
    DmaErr,
    Void,
}

/// A segment whose last beat arrived: the header stage handles it the next cycle.
#[derive(Clone, Debug)]
struct Event {
    kind: EvKind,
    slot: usize,
    seg: core::Segment,
    payload: Vec<u8>,
}

/// One beat waiting in the output FIFO.
#[derive(Clone, Copy, Debug, Default)]
struct Beat {
    data: Bus,
    keep: u64,
    last: bool,
}

/// What the TX engine sees of the rest of the device in one cycle (register values).
pub struct TxEnv<'a> {
    pub enable: bool,
    /// The completion writer has halted.
    pub halted: bool,
    pub mtu: u16,
    pub tx_base: u64,
    pub tx_mask: u32,
    pub tx_tail: u32,
    pub contexts: &'a [[u32; CTX_WORDS]],
    pub num_conn: u32,
    pub id4: u16,
    pub id6: u32,
    pub cplq_len: usize,
}

/// The TX engine's decisions for one cycle, and the signals other blocks consume.
#[derive(Clone, Debug, Default)]
pub struct TxWires {
    pub busy: bool,
    pub halted: bool,
    pub err_desc_fetch: bool,
    pub take_id4: bool,
    pub take_id6: bool,
    pub snd_nxt_write: Option<(usize, u32)>,
    pub cpl_push: Option<Completion>,
    /// Bytes and `tlast` of the beat the MAC takes this cycle.
    pub tx_beat: Option<(u32, bool)>,
    fe_start: bool,
    desc_fire: bool,
    desc_last_beat: bool,
    check: Option<(Status, Context, u16)>,
    alloc: Option<Job>,
    ar_burst: Option<u64>,
    r_fire: bool,
    r_last: bool,
    run_done: bool,
    rd_skip: bool,
    rd_issue: bool,
    tx_consume: bool,
    frame_done: bool,
}

/// The TX engine.
#[derive(Clone, Debug)]
pub struct TxEngine {
    bw: usize,
    // front end
    fe: FeState,
    fetch_idx: u32,
    desc_bytes: [u8; DESC_BYTES],
    desc_beat: usize,
    desc_err: bool,
    desc: Descriptor,
    ctx: Context,
    eff_mss: u16,
    inflight: usize,
    // slots
    slots: Vec<Slot>,
    alloc: usize,
    free: usize,
    // read address side
    ar_active: bool,
    ar_stop: bool,
    ar_addr: u64,
    ar_beats: u64,
    ar_done: u32,
    jobs: VecDeque<Job>,
    req_err: bool,
    // read data side
    rk: u64,
    job_err: bool,
    collected: Vec<u8>,
    // header stage
    ev: Option<Event>,
    seq: u32,
    done: u32,
    segs: u16,
    // stream output
    rd_slot: usize,
    rd_w: usize,
    inflight_word: Option<(usize, usize)>,
    ofifo: VecDeque<Beat>,
    tx_slot: usize,
}

fn next_slot(s: usize) -> usize {
    (s + 1) % NUM_SLOTS
}

impl TxEngine {
    pub fn new(data_w: u32) -> Self {
        let empty = Completion { cookie: 0, bytes: 0, segments: 0, status: Status::Ok, immediate: false };
        TxEngine {
            bw: data_w as usize / 8,
            fe: FeState::Idle,
            fetch_idx: 0,
            desc_bytes: [0; DESC_BYTES],
            desc_beat: 0,
            desc_err: false,
            desc: Descriptor::default(),
            ctx: Context::default(),
            eff_mss: 0,
            inflight: 0,
            slots: vec![
                Slot { ready: false, read: false, kind: SlotKind::Void, frame: Vec::with_capacity(9216), cpl_en: false, cpl: empty };
                NUM_SLOTS
            ],
            alloc: 0,
            free: NUM_SLOTS,
            ar_active: false,
            ar_stop: false,
            ar_addr: 0,
            ar_beats: 0,
            ar_done: 0,
            jobs: VecDeque::with_capacity(NUM_SLOTS),
            req_err: false,
            rk: 0,
            job_err: false,
            collected: Vec::with_capacity(9216),
            ev: None,
            seq: 0,
            done: 0,
            segs: 0,
            rd_slot: 0,
            rd_w: 0,
            inflight_word: None,
            ofifo: VecDeque::with_capacity(OFIFO_DEPTH),
            tx_slot: 0,
        }
    }

    /// The front end's state, for reports and waveforms.
    pub fn state(&self) -> FeState {
        self.fe
    }

    fn desc_beats(&self) -> usize {
        (DESC_BYTES / self.bw).max(1)
    }

    /// Beats of the next payload read burst: at most 16, no further than the segment's
    /// end, never across a 4 KiB boundary.
    fn burst_beats(&self) -> u64 {
        let bw = self.bw as u64;
        let to_page = (4096 - (self.ar_addr % 4096)) / bw;
        MAX_BURST.min(self.ar_beats).min(to_page)
    }

    /// Words of a frame slot.
    fn words(&self, slot: usize) -> usize {
        self.slots[slot].frame.len().div_ceil(self.bw)
    }

    /// Phase 1: outputs and decisions from the registers and this cycle's inputs.
    pub fn comb(&self, env: &TxEnv, inp: &Inputs, out: &mut Outputs) -> TxWires {
        let bw = self.bw as u64;
        let mut w = TxWires {
            busy: !matches!(self.fe, FeState::Idle | FeState::Halt) || self.free != NUM_SLOTS,
            halted: self.fe == FeState::Halt,
            ..TxWires::default()
        };
        let beat_err = inp.m_axi_rresp != AXI_OKAY;

        // front end
        w.fe_start = self.fe == FeState::Idle
            && env.enable
            && !env.halted
            && self.fetch_idx != env.tx_tail
            && env.cplq_len + self.inflight < CPLQ_DEPTH;
        match self.fe {
            FeState::DescAr => {
                out.m_axi_arvalid = true;
                let a = env.tx_base.wrapping_add(u64::from(self.fetch_idx) * DESC_BYTES as u64);
                out.m_axi_araddr = a & !(bw - 1);
                out.m_axi_arlen = (self.desc_beats() - 1) as u8;
            }
            FeState::DescR => {
                // The descriptor's beats follow the previous request's payload beats, which
                // go to their jobs first.
                out.m_axi_rready = true;
                w.desc_fire = self.jobs.is_empty() && inp.m_axi_rvalid;
                w.desc_last_beat = w.desc_fire && self.desc_beat == self.desc_beats() - 1;
                w.err_desc_fetch = w.desc_last_beat && (self.desc_err || beat_err);
            }
            FeState::Check if self.free > 0 => {
                let d = &self.desc;
                let ctx = env.contexts.get(usize::from(d.conn)).map(Context::from_words);
                let check = match core::validate(d, ctx.as_ref(), env.num_conn, env.mtu) {
                    Ok(plan) => (Status::Ok, ctx.unwrap_or_default(), plan.eff_mss),
                    Err(s) => (s, ctx.unwrap_or_default(), 0),
                };
                w.check = Some(check);
            }
            _ => {}
        }

        // read address side
        if self.fe == FeState::Run && !self.ar_active && !self.ar_stop && !self.req_err && self.free > 0 {
            let seg = segment_at(self.desc.len, self.eff_mss, self.ar_done);
            let start = self.desc.buf_addr.wrapping_add(u64::from(self.ar_done));
            let off = start % bw;
            w.alloc = Some(Job { slot: self.alloc, start, beats: (off + u64::from(seg.len)).div_ceil(bw), seg });
        }
        if self.ar_active {
            let n = self.burst_beats();
            out.m_axi_arvalid = true;
            out.m_axi_araddr = self.ar_addr;
            out.m_axi_arlen = (n - 1) as u8;
            if inp.m_axi_arready {
                w.ar_burst = Some(n);
            }
        }
        if out.m_axi_arvalid {
            out.m_axi_arsize = bw.trailing_zeros() as u8;
            out.m_axi_arburst = BURST_INCR;
        }
        // The request leaves the front end once all its bursts are requested; the read
        // data side finishes its jobs while the next descriptor is fetched.
        w.run_done = self.ar_stop && !self.ar_active;

        // read data side
        if let Some(job) = self.jobs.front() {
            out.m_axi_rready = true;
            w.r_fire = inp.m_axi_rvalid;
            w.r_last = w.r_fire && self.rk == job.beats - 1;
        }

        // header stage
        if let Some(ev) = &self.ev {
            if ev.kind == EvKind::Ok {
                w.take_id4 = !self.ctx.ipv6;
                w.take_id6 = self.ctx.ipv6 && self.ctx.frag_hdr;
                w.snd_nxt_write = Some((usize::from(self.desc.conn), self.seq_after(&ev.seg)));
            }
        }

        // stream output
        let rd = &self.slots[self.rd_slot];
        let rd_ready = rd.ready && !rd.read;
        w.rd_skip = rd_ready && rd.kind != SlotKind::Frame;
        w.rd_issue = rd_ready
            && rd.kind == SlotKind::Frame
            && self.ofifo.len() + usize::from(self.inflight_word.is_some()) < OFIFO_DEPTH;
        let tx = &self.slots[self.tx_slot];
        w.tx_consume = tx.ready && tx.kind != SlotKind::Frame;
        if tx.ready && tx.kind == SlotKind::Frame {
            if let Some(b) = self.ofifo.front() {
                out.m_axis_tx_tvalid = true;
                out.m_axis_tx_tdata = b.data;
                out.m_axis_tx_tkeep = b.keep;
                out.m_axis_tx_tlast = b.last;
                if inp.m_axis_tx_tready {
                    w.tx_beat = Some((b.keep.count_ones(), b.last));
                    w.frame_done = b.last;
                }
            }
        }
        if (w.tx_consume && tx.kind == SlotKind::CplOnly) || (w.frame_done && tx.cpl_en) {
            w.cpl_push = Some(tx.cpl);
        }
        w
    }

    /// The sequence number after `seg` (FIN on the last segment counts one).
    fn seq_after(&self, seg: &core::Segment) -> u32 {
        let fin = seg.last && self.desc.fin();
        self.seq.wrapping_add(u32::from(seg.len)).wrapping_add(u32::from(fin))
    }

    fn advance_fetch(&mut self, env: &TxEnv) {
        self.fetch_idx = (self.fetch_idx + 1) & env.tx_mask;
    }

    /// Phase 2: the rising edge.
    pub fn edge(&mut self, env: &TxEnv, inp: &Inputs, w: &TxWires) {
        let bw = self.bw;
        let beat_err = inp.m_axi_rresp != AXI_OKAY;
        let rdata = &inp.m_axi_rdata;

        let was_run = self.fe == FeState::Run;

        // ---------------------------------------------------------- header stage
        // (the event registered last cycle; this cycle's last beat makes the next one).
        // First, because it reads the descriptor and context registers as they were in
        // this cycle: the next descriptor's last beat may arrive in the same cycle.
        if let Some(ev) = self.ev.take() {
            let slot_cookie = self.desc.cookie;
            let immediate = self.desc.immediate();
            match ev.kind {
                EvKind::Ok => {
                    let f = HeaderFields {
                        seq: self.seq,
                        len: ev.seg.len,
                        psh: ev.seg.last && self.desc.psh(),
                        fin: ev.seg.last && self.desc.fin(),
                        ip_id: env.id4,
                        frag_id: env.id6,
                    };
                    let next_seq = self.seq_after(&ev.seg);
                    let mut frame = core::build_headers(&self.ctx, &f, checksum::sum_be16(0, &ev.payload));
                    debug_assert_eq!(frame.len(), header_len(&self.ctx));
                    frame.extend_from_slice(&ev.payload);
                    self.done += u32::from(ev.seg.len);
                    self.segs += 1;
                    self.seq = next_seq;
                    let slot = &mut self.slots[ev.slot];
                    slot.ready = true;
                    slot.kind = SlotKind::Frame;
                    slot.frame = frame;
                    slot.cpl_en = ev.seg.last;
                    slot.cpl = Completion {
                        cookie: slot_cookie,
                        bytes: self.done,
                        segments: self.segs,
                        status: Status::Ok,
                        immediate,
                    };
                }
                EvKind::DmaErr => {
                    let slot = &mut self.slots[ev.slot];
                    slot.ready = true;
                    slot.kind = SlotKind::CplOnly;
                    slot.cpl_en = true;
                    slot.cpl = Completion {
                        cookie: slot_cookie,
                        bytes: self.done,
                        segments: self.segs,
                        status: Status::DmaError,
                        immediate,
                    };
                }
                EvKind::Void => {
                    let slot = &mut self.slots[ev.slot];
                    slot.ready = true;
                    slot.kind = SlotKind::Void;
                    slot.cpl_en = false;
                }
            }
        }

        // ---------------------------------------------------------- front end
        self.inflight = self.inflight + usize::from(w.fe_start) - usize::from(w.cpl_push.is_some());
        let mut allocated = false;
        match self.fe {
            FeState::Idle => {
                if w.fe_start {
                    self.fe = FeState::DescAr;
                }
            }
            FeState::DescAr => {
                if inp.m_axi_arready {
                    self.desc_beat = 0;
                    self.desc_err = false;
                    self.fe = FeState::DescR;
                }
            }
            FeState::DescR => {
                if w.desc_fire {
                    if bw >= DESC_BYTES {
                        let lane = (self.fetch_idx as usize * DESC_BYTES) % bw;
                        for i in 0..DESC_BYTES {
                            self.desc_bytes[i] = bus_byte(rdata, lane + i);
                        }
                    } else {
                        for i in 0..bw {
                            self.desc_bytes[self.desc_beat * bw + i] = bus_byte(rdata, i);
                        }
                    }
                    if w.desc_last_beat {
                        self.desc = Descriptor::decode(&self.desc_bytes);
                        self.fe = if w.err_desc_fetch { FeState::Halt } else { FeState::Ctx };
                    }
                    self.desc_err |= beat_err;
                    self.desc_beat += 1;
                }
            }
            FeState::Ctx => self.fe = FeState::Check,
            FeState::Check => {
                if let Some((status, ctx, eff_mss)) = w.check {
                    self.ctx = ctx;
                    self.eff_mss = eff_mss;
                    self.ar_stop = false;
                    self.ar_done = 0;
                    self.req_err = false;
                    self.seq = ctx.snd_nxt;
                    self.done = 0;
                    self.segs = 0;
                    if status == Status::Ok {
                        self.fe = FeState::Run;
                    } else {
                        let slot = &mut self.slots[self.alloc];
                        slot.ready = true;
                        slot.read = false;
                        slot.kind = SlotKind::CplOnly;
                        slot.cpl_en = true;
                        slot.cpl = Completion {
                            cookie: self.desc.cookie,
                            bytes: 0,
                            segments: 0,
                            status,
                            immediate: self.desc.immediate(),
                        };
                        allocated = true;
                        self.advance_fetch(env);
                        self.fe = FeState::Idle;
                    }
                }
            }
            FeState::Run => {
                if w.run_done {
                    self.advance_fetch(env);
                    self.fe = FeState::Idle;
                }
            }
            FeState::Halt => {}
        }

        // ---------------------------------------------------------- read address side
        // (decisions use the registers as they were in this cycle)
        let req_err_before = self.req_err;
        let ar_active_before = self.ar_active;
        if let Some(job) = w.alloc {
            self.jobs.push_back(job);
            self.slots[job.slot].ready = false;
            self.slots[job.slot].read = false;
            self.ar_active = true;
            self.ar_addr = job.start - job.start % bw as u64;
            self.ar_beats = job.beats;
            self.ar_done += u32::from(job.seg.len);
            if job.seg.last {
                self.ar_stop = true;
            }
            allocated = true;
        } else if let Some(n) = w.ar_burst {
            self.ar_addr += n * bw as u64;
            self.ar_beats -= n;
            if self.ar_beats == 0 {
                self.ar_active = false;
            }
        }
        if was_run && req_err_before && !ar_active_before {
            self.ar_stop = true;
        }
        if allocated {
            self.alloc = next_slot(self.alloc);
        }
        let freed = w.tx_consume || w.frame_done;
        self.free = self.free - usize::from(allocated) + usize::from(freed);

        // ---------------------------------------------------------- read data side
        if w.r_fire {
            let job = *self.jobs.front().expect("a beat belongs to the head job");
            let beat_addr = job.start - job.start % bw as u64 + self.rk * bw as u64;
            let end = job.start + u64::from(job.seg.len);
            for i in 0..bw as u64 {
                let a = beat_addr + i;
                if a >= job.start && a < end {
                    self.collected.push(bus_byte(rdata, i as usize));
                }
            }
            if w.r_last {
                self.jobs.pop_front();
                let failed = self.job_err || beat_err;
                let kind = if req_err_before {
                    EvKind::Void
                } else if failed {
                    EvKind::DmaErr
                } else {
                    EvKind::Ok
                };
                debug_assert_eq!(self.collected.len(), usize::from(job.seg.len));
                self.ev = Some(Event { kind, slot: job.slot, seg: job.seg, payload: std::mem::take(&mut self.collected) });
                if failed {
                    self.req_err = true;
                }
                self.rk = 0;
                self.job_err = false;
            } else {
                self.rk += 1;
                self.job_err |= beat_err;
            }
        }

        // ---------------------------------------------------------- stream output
        if let Some((slot, word)) = self.inflight_word.take() {
            self.ofifo.push_back(frame_beat(&self.slots[slot].frame, word, bw));
        }
        if w.tx_beat.is_some() {
            self.ofifo.pop_front();
        }
        if w.rd_skip {
            self.slots[self.rd_slot].read = true;
            self.rd_slot = next_slot(self.rd_slot);
        } else if w.rd_issue {
            self.inflight_word = Some((self.rd_slot, self.rd_w));
            if self.rd_w + 1 == self.words(self.rd_slot) {
                self.slots[self.rd_slot].read = true;
                self.rd_w = 0;
                self.rd_slot = next_slot(self.rd_slot);
            } else {
                self.rd_w += 1;
            }
        }
        if freed {
            self.slots[self.tx_slot].ready = false;
            self.tx_slot = next_slot(self.tx_slot);
        }
        debug_assert!(self.free <= NUM_SLOTS, "more free slots than slots");
        debug_assert!(self.ofifo.len() <= OFIFO_DEPTH, "output FIFO overflow");
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
