//! The host driver: an AXI4-Lite master on `s_axil_*`, the producer of the TX ring and
//! the consumer of the completion queue.
//!
//! Sequence:
//! 1. `rst` is high for the first [`RESET_CYCLES`] cycles (the environment owns it); the
//!    first register access starts two cycles later.
//! 2. Read `ID` (must be "TXOE"), write every connection context (19 words each), then
//!    `MTU`, `MAX_BATCH`, `TIMEOUT`, `IPV4_ID`, `IPV6_ID`, `TX_BASE_LO/HI`, `TX_LOG2`,
//!    `CQ_BASE_LO/HI`, `CQ_LOG2`, `IRQ_MASK` (`config.irq_mask`) and last `CTRL` = enable.
//! 3. Once `CTRL` is written, sends are posted in file order: a send is posted at cycle
//!    `at_cycle − 1` or later, as soon as the TX ring has room (posted but not completed
//!    < ring size − 1). Posting writes the payload and the 32-byte descriptor straight
//!    into memory and marks the tail dirty; the `TX_TAIL` write that rings the doorbell
//!    then appears on the bus from the next cycle (cycle `at_cycle` when the bus is idle).
//!    Sends posted while a doorbell write waits share it.
//! 4. The host watches the CQ in memory for entries whose phase bit is the one it
//!    expects (1 on the first pass, flipping on each wrap). An entry is consumed
//!    `cq_consumer_lag` cycles (plus, with `cq_consumer_jitter` J, a number drawn
//!    uniformly from 0..=J for each entry) after it was first seen, and never before the
//!    entry ahead of it; consuming checks it (see
//!    [`crate::scoreboard`]), frees the send's buffer, advances the host's CQ head and
//!    marks it dirty, and a `CQ_HEAD` write follows when the bus is free.
//! 5. When every send is completed, the host reads `STATUS` until `busy` is clear (at most
//!    [`IDLE_POLLS`] reads: the read beats of a request that ended with a DMA error may
//!    still be arriving), then reads back the shared driver's list
//!    ([`crate::driver::read_back_list`]: `CNT_FRAMES`, `CNT_BYTES`, `CNT_CPL`,
//!    `CNT_BATCH`, `CNT_ERR`, the four `CNT_CLOSE_*`, `TX_HEAD`, `CQ_TAIL`, `ERR`,
//!    `IPV4_ID`, `IPV6_ID`, `STATUS`, `ID`, `CQ_HEAD` and each connection's `snd_nxt`),
//!    checks them against what it observed, and records them (`txoe run --registers`).
//!
//! Each consumed batch is checked against the close rules: no IMMEDIATE completion before
//! its end, no more than `min(MAX_BATCH, CQ size − 1)` entries, no wrap past the CQ's end
//! or a 4 KiB boundary, and the reason its size and position imply (see
//! [`crate::driver::cq::BatchRules`]).
//!
//! What the host writes and how it decodes is the shared driver's ([`crate::driver`]):
//! the register sequence, the descriptor encoding, the CQ cursor (index and phase) and
//! the batch rules, the read-back list. This module adds the cycle-level AXI4-Lite
//! master, the posting and consuming times, and the scoreboard.
//!
//! Faults and resets (`docs/verification.md`, "Faults and resets"), in a scenario that
//! has any ([`Scenario::has_faults`]):
//! * The host services `irq`: it reads `IRQ_STATUS` and writes the value back (W1C); when
//!   its `ERR` bit is set it reads `ERR` and writes that back; when `ERR` holds a fatal
//!   bit (`DESC_FETCH`, `CPL_WRITE`) it reads `STATUS` (which must say `halted`) until
//!   `busy` is clear (at most [`STATUS_POLLS`] reads) and then asks the environment for
//!   a reset.
//! * It arms each send's fault when it posts the send (until the fault has fired once):
//!   the memory faults through [`AxiMemory::arm`], a reserved bit in the descriptor
//!   (flags or bytes 24..32), a `TX_TAIL` write outside the ring before the send's
//!   doorbell.
//! * On a reset (scheduled by `env.resets` or asked for) the host first consumes every
//!   completion already in the CQ, then checks the frames the MAC received for sends not
//!   completed ("orphans": a prefix of the frames those sends would send, with their
//!   sequence numbers, and the engine-wide IDs consecutive through them); then it
//!   zeroes the CQ, reads the registers back (each must hold its documented reset value,
//!   and the first connection's context words 0), programs the engine again — each
//!   context with the `snd_nxt` after its completed sends (the lost sends' data is sent
//!   again with the same sequence numbers), `IPV4_ID` and `IPV6_ID` with the IDs after
//!   the last frame it saw, so no ID repeats: the same sequence as at bring-up, from
//!   [`Setup::resumed`] — and re-posts every send not completed, in order, from ring
//!   index 0 (the CQ cursor and the batch rules start over too). The read-back compares
//!   the counters with what was seen since the last reset ([`Counters::since`]), and
//!   also reads `TX_TAIL` ([`driver::read_back_list_with`]). The CQ dump and the
//!   register file then describe the run since the last reset.
//!
//! The AXI4-Lite master runs one transaction at a time. A write raises `awvalid` and
//! `wvalid` together, drops each on its own handshake, and holds `bready` high until the
//! response; a read raises `arvalid` until its handshake and holds `rready` high until
//! the data. Register traffic has this priority: queued configuration and read-back
//! accesses, then the `TX_TAIL` doorbell, then `CQ_HEAD`.

use std::collections::VecDeque;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use txoe_cosim::EnvError;
use txoe_model::layout::{CompletionEntry, CPL_BYTES, MAX_SEND_LEN};
use txoe_model::ports::{Inputs, Outputs};
use txoe_model::regs;

use crate::bringup::cqdump::CqDump;
use crate::bringup::regfile::RegisterFile;
use crate::completions::Batch;
use crate::driver::cq::{BatchRules, CqCursor};
use crate::driver::{self, Counters, Reserved, Setup};
use crate::mac::{Frame, MacSink};
use crate::memory::{AxiMemory, Fired, ReadFault};
use crate::payload::{
    buf_addr, buf_slot, env_rng, fill_payload, BUF_STRIDE, CQ_BASE, TX_RING_BASE,
};
use crate::scenario::{Fault, Scenario};
use crate::scoreboard::{Scoreboard, SendInfo};

/// Cycles `rst` is held high at the start of a run.
pub const RESET_CYCLES: u64 = 4;
/// First cycle the host drives a register access.
pub const FIRST_ACCESS_CYCLE: u64 = RESET_CYCLES + 2;

pub use crate::driver::{IDLE_POLLS, STATUS_POLLS};
/// The reserved descriptor flag bit `"fault": "reserved_bits"` sets.
pub use crate::driver::RESERVED_FLAG;

/// What a register read is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// A read-back: the register must hold this value.
    Value(u32),
    /// Interrupt service: `IRQ_STATUS`, then `ERR`, then `STATUS` (reads left).
    IrqStatus,
    Err,
    Status(u32),
    /// Before the read-back: `STATUS` until `busy` is clear (reads left).
    Idle(u32),
}

/// One register access; `svc` marks the accesses of the interrupt service.
#[derive(Clone, Debug)]
enum Op {
    Write { addr: u32, data: u32, svc: bool },
    Read { addr: u32, what: String, want: Want },
}

impl Op {
    fn svc(&self) -> bool {
        match self {
            Op::Write { svc, .. } => *svc,
            Op::Read { want, .. } => !matches!(want, Want::Value(_) | Want::Idle(_)),
        }
    }
}

/// The AXI4-Lite master's transaction in flight.
#[derive(Clone, Debug)]
enum Lite {
    Idle,
    Write {
        addr: u32,
        data: u32,
        aw_done: bool,
        w_done: bool,
        svc: bool,
    },
    Read {
        addr: u32,
        what: String,
        want: Want,
        ar_done: bool,
    },
}

/// Why the engine was reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetCause {
    /// `env.resets`.
    Scheduled,
    /// The host, after a fatal error.
    Recovery,
}

/// What the host saw of faults, errors and resets in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultLog {
    /// `(cycle, IRQ_STATUS)` of every interrupt service.
    pub irq_status: Vec<(u64, u32)>,
    /// `(cycle, ERR)` of every `ERR` read by the interrupt service.
    pub err: Vec<(u64, u32)>,
    /// `(cycle, STATUS)` of every `STATUS` read after a fatal error.
    pub status: Vec<(u64, u32)>,
    /// Every fault the memory reported as taken.
    pub fired: Vec<Fired>,
    /// `(first reset cycle, cause, W beats the memory had accepted by then)`.
    pub resets: Vec<(u64, ResetCause, u64)>,
    /// W beats the memory had accepted when each write error fired.
    pub write_beats_at_error: Vec<u64>,
    /// Frames the MAC received for sends a reset left uncompleted (checked, then dropped).
    pub orphan_frames: u64,
    /// Sends posted again after a reset.
    pub reposted: u64,
    /// Completions consumed with status `dma_error`.
    pub dma_errors: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Reading `ID` and writing the configuration.
    Configure,
    /// Enabled: posting sends and consuming completions.
    Running,
    /// Every send completed; reading the counters back.
    ReadBack,
    /// Read-back checked.
    Done,
}

fn csr_name(addr: u32) -> String {
    let name = match addr {
        regs::ID => "ID",
        regs::CTRL => "CTRL",
        regs::IRQ_MASK => "IRQ_MASK",
        regs::MTU => "MTU",
        regs::MAX_BATCH => "MAX_BATCH",
        regs::TIMEOUT => "TIMEOUT",
        regs::IPV4_ID => "IPV4_ID",
        regs::IPV6_ID => "IPV6_ID",
        regs::TX_BASE_LO => "TX_BASE_LO",
        regs::TX_BASE_HI => "TX_BASE_HI",
        regs::TX_LOG2 => "TX_LOG2",
        regs::TX_TAIL => "TX_TAIL",
        regs::CQ_BASE_LO => "CQ_BASE_LO",
        regs::CQ_BASE_HI => "CQ_BASE_HI",
        regs::CQ_LOG2 => "CQ_LOG2",
        regs::CQ_HEAD => "CQ_HEAD",
        regs::CNT_FRAMES => "CNT_FRAMES",
        regs::CNT_BYTES => "CNT_BYTES",
        regs::CNT_CPL => "CNT_CPL",
        regs::CNT_BATCH => "CNT_BATCH",
        regs::CNT_ERR => "CNT_ERR",
        regs::CNT_CLOSE_MAX_BATCH => "CNT_CLOSE_MAX_BATCH",
        regs::CNT_CLOSE_TIMEOUT => "CNT_CLOSE_TIMEOUT",
        regs::CNT_CLOSE_IMMEDIATE => "CNT_CLOSE_IMMEDIATE",
        regs::CNT_CLOSE_RING_END => "CNT_CLOSE_RING_END",
        regs::TX_HEAD => "TX_HEAD",
        regs::CQ_TAIL => "CQ_TAIL",
        regs::ERR => "ERR",
        regs::STATUS => "STATUS",
        regs::IRQ_STATUS => "IRQ_STATUS",
        a if a >= regs::CTX_BASE => {
            let off = a - regs::CTX_BASE;
            return format!(
                "CTX[{}].W{}",
                off / regs::CTX_STRIDE,
                off % regs::CTX_STRIDE / 4
            );
        }
        _ => return format!("{addr:#06x}"),
    };
    name.to_string()
}

/// The host.
pub struct Host {
    sends: Vec<SendInfo>,
    /// `(at_cycle, buf_offset)` of each send.
    plan: Vec<(u64, u16)>,
    seed: u64,
    setup: Setup,
    tx_size: u32,
    cq_size: u32,
    lag: u64,
    jitter: u64,
    rng: ChaCha8Rng,

    ops: VecDeque<Op>,
    lite: Lite,
    tail_dirty: bool,
    head_dirty: bool,
    phase: Phase,

    next_send: usize,
    tx_tail: u32,
    completed: u64,
    payload_buf: Vec<u8>,

    /// The consumer's CQ head, and how far the host has looked ahead.
    cq: CqCursor,
    scan: CqCursor,
    /// First-seen cycle and consumer lag of each entry from the CQ head up to the scan
    /// index.
    seen: VecDeque<(u64, u64)>,
    last_commits: u64,
    rescan: bool,

    rules: BatchRules,
    batches: Vec<Batch>,
    /// Raw bytes of every entry consumed, in ring order (the CQ dump).
    cq_log: Vec<[u8; CPL_BYTES]>,
    /// Names of the read-back registers by address, and the values read.
    read_back_names: std::collections::HashMap<u32, String>,
    registers: RegisterFile,

    scoreboard: Scoreboard,
    keep_frames: bool,
    archive: Vec<Frame>,

    done_cycle: Option<u64>,
    frames_at_done: u64,

    data_bytes: u64,
    fault_mode: bool,
    faults: Vec<(Option<Fault>, u32)>,
    fault_fired: Vec<bool>,
    posts_since_reset: u64,
    reset_request: bool,
    /// What the host had observed at the last reset (the engine's counters restart).
    base: Counters,
    log: FaultLog,
}

/// The configuration accesses: `ID`, then the shared driver's programming sequence
/// ([`driver::bring_up_writes`]) for `setup`.
fn config_ops(setup: &Setup) -> VecDeque<Op> {
    let mut ops = VecDeque::new();
    ops.push_back(Op::Read {
        addr: regs::ID,
        what: "ID".into(),
        want: Want::Value(regs::ID_VALUE),
    });
    ops.extend(
        driver::bring_up_writes(setup)
            .into_iter()
            .map(|(addr, data)| Op::Write { addr, data, svc: false }),
    );
    ops
}

impl Host {
    pub fn new(sc: &Scenario, keep_frames: bool) -> Self {
        let cfg = &sc.config;
        let setup = Setup::from_scenario(sc, TX_RING_BASE, CQ_BASE);
        let ops = config_ops(&setup);
        Host {
            sends: Scoreboard::send_infos(sc),
            plan: sc
                .sends
                .iter()
                .map(|s| (s.at_cycle, s.buf_offset))
                .collect(),
            seed: sc.env.seed,
            cq: setup.cq_cursor(),
            scan: setup.cq_cursor(),
            rules: setup.batch_rules(),
            setup,
            tx_size: cfg.tx_ring_size(),
            cq_size: cfg.cq_size(),
            lag: sc.env.cq_consumer_lag,
            jitter: sc.env.cq_consumer_jitter,
            rng: env_rng(sc.env.seed, b"consumer"),
            ops,
            lite: Lite::Idle,
            tail_dirty: false,
            head_dirty: false,
            phase: Phase::Configure,
            next_send: 0,
            tx_tail: 0,
            completed: 0,
            payload_buf: Vec::new(),
            seen: VecDeque::with_capacity(cfg.cq_size() as usize),
            last_commits: 0,
            rescan: false,
            batches: Vec::new(),
            cq_log: Vec::new(),
            read_back_names: Default::default(),
            registers: RegisterFile::default(),
            scoreboard: Scoreboard::new(sc),
            keep_frames,
            archive: Vec::new(),
            done_cycle: None,
            frames_at_done: 0,
            data_bytes: u64::from(cfg.data_width / 8),
            fault_mode: sc.has_faults(),
            faults: sc.sends.iter().map(|s| (s.fault, s.fault_beat)).collect(),
            fault_fired: vec![false; sc.sends.len()],
            posts_since_reset: 0,
            reset_request: false,
            base: Counters::default(),
            log: FaultLog::default(),
        }
    }

    /// What the host saw of faults, errors and resets.
    pub fn fault_log(&self) -> &FaultLog {
        &self.log
    }

    /// True (once) when the host asks for a reset after a fatal error.
    pub fn take_reset_request(&mut self) -> bool {
        std::mem::take(&mut self.reset_request)
    }

    /// Which segment of send `i` carries payload beat `beat` (counting every R beat of
    /// its reads in order: each segment reads `ceil((offset in beat + length) / BW)`
    /// beats); `None` when the send reads fewer beats.
    fn failing_segment(&self, i: usize, beat: u64) -> Option<u16> {
        let s = &self.sends[i];
        let mss = self.scoreboard.eff_mss(s.conn).filter(|&m| m > 0)?;
        let addr = buf_addr(i as u64, self.plan[i].1);
        let (mut done, mut seen, mut seg) = (0u32, 0u64, 0u16);
        while done < s.len {
            let len = mss.min(s.len - done);
            let off = (addr + u64::from(done)) % self.data_bytes;
            seen += (off + u64::from(len)).div_ceil(self.data_bytes);
            if beat < seen {
                return Some(seg);
            }
            done += len;
            seg += 1;
        }
        None
    }

    /// Take note of the faults the memory reports as taken.
    fn note_fired(&mut self, mem: &mut AxiMemory) {
        for f in mem.take_fired() {
            self.log.fired.push(f);
            if f.write {
                self.log.write_beats_at_error.push(mem.write_beats());
                continue;
            }
            let i = f.tag as usize;
            self.fault_fired[i] = true;
            if let (Some(Fault::PayloadRead), beat) = self.faults[i] {
                self.sends[i].dma_error_segment = self.failing_segment(i, u64::from(beat));
            }
        }
    }

    /// The reset, in its first cycle: consume what the engine wrote, check the orphan
    /// frames, and start over (see the module documentation).
    pub fn reset(
        &mut self,
        cycle: u64,
        cause: ResetCause,
        mem: &mut AxiMemory,
        mac: &mut MacSink,
    ) -> Result<(), EnvError> {
        self.log.resets.push((cycle, cause, mem.write_beats()));
        self.note_fired(mem);
        // Every completion the engine wrote before the reset is consumed now.
        self.scan(cycle, mem);
        for e in self.seen.iter_mut() {
            e.1 = 0;
        }
        self.consume(cycle, mem, mac)?;
        self.rules
            .reset()
            .map_err(|e| Self::err(cycle, "batch", e.message))?;
        let first = self.completed;
        let archive = self.keep_frames.then_some(&mut self.archive);
        let orphans = self
            .scoreboard
            .orphans(first, &self.sends[first as usize..self.next_send], mac, archive)
            .map_err(|m| Self::err(cycle, "scoreboard", m))?;
        self.log.orphan_frames += orphans;
        self.log.reposted += self.next_send as u64 - first;
        for s in &mut self.sends[first as usize..] {
            s.dma_error_segment = None;
        }

        // The engine starts over from its reset state.
        self.next_send = first as usize;
        self.posts_since_reset = 0;
        self.tx_tail = 0;
        self.cq.reset();
        self.scan.reset();
        self.seen.clear();
        // The CQ dump and the register file describe the run since the last reset: the
        // CQ starts over at slot 0, phase 1, and the read-back comes again.
        self.cq_log.clear();
        self.read_back_names.clear();
        self.registers = RegisterFile::default();
        self.rescan = false;
        self.lite = Lite::Idle;
        self.tail_dirty = false;
        self.head_dirty = false;
        self.phase = Phase::Configure;
        self.done_cycle = None;
        self.reset_request = false;
        mem.mem.write(CQ_BASE, &vec![0u8; CPL_BYTES * self.cq_size as usize]);
        self.last_commits = mem.commits();
        self.base = self.counters(mac);
        let snd: std::collections::BTreeMap<u16, u32> = self.scoreboard.snd_nxt().collect();
        let (id4, id6) = self.scoreboard.next_ids();
        // First the documented reset state, then the configuration.
        let mut reads: Vec<(u32, u32)> = vec![
            (regs::CTRL, 0),
            (regs::STATUS, 0),
            (regs::ERR, 0),
            (regs::IRQ_STATUS, 0),
            (regs::IRQ_MASK, 0),
            (regs::MTU, regs::MTU_RESET),
            (regs::MAX_BATCH, regs::MAX_BATCH_RESET),
            (regs::TIMEOUT, regs::TIMEOUT_RESET),
            (regs::IPV4_ID, 0x8000),
            (regs::IPV6_ID, 0x8000_0000),
            (regs::TX_BASE_LO, 0),
            (regs::TX_LOG2, regs::RING_LOG2_RESET),
            (regs::TX_TAIL, 0),
            (regs::TX_HEAD, 0),
            (regs::CQ_BASE_LO, 0),
            (regs::CQ_LOG2, regs::RING_LOG2_RESET),
            (regs::CQ_HEAD, 0),
            (regs::CQ_TAIL, 0),
            (regs::CNT_FRAMES, 0),
            (regs::CNT_BYTES, 0),
            (regs::CNT_CPL, 0),
            (regs::CNT_BATCH, 0),
            (regs::CNT_ERR, 0),
        ];
        if let Some((id, _)) = self.setup.contexts.first() {
            for w in 0..regs::CTX_WORDS as u32 {
                reads.push((regs::ctx_addr(u32::from(*id), w), 0));
            }
        }
        let mut ops: VecDeque<Op> = reads
            .into_iter()
            .map(|(addr, v)| Op::Read {
                addr,
                what: "its reset value".into(),
                want: Want::Value(v),
            })
            .collect();
        // The same programming sequence, resumed where the frames seen left off.
        ops.extend(config_ops(&self.setup.resumed(&snd, u32::from(id4), id6)));
        self.ops = ops;
        Ok(())
    }

    /// What the engine's counters count, as the host observed it over the whole run.
    fn counters(&self, mac: &MacSink) -> Counters {
        let mut by_reason = [0u64; 4];
        for b in &self.batches {
            by_reason[b.reason as usize] += 1;
        }
        Counters {
            frames: mac.frames(),
            bytes: mac.bytes(),
            completions: self.completed,
            batches: self.batches.len() as u64,
            ok: self.scoreboard.status_count(0),
            by_reason,
        }
    }

    /// Sends posted so far.
    pub fn posted(&self) -> u64 {
        self.next_send as u64
    }
    /// Completions consumed so far.
    pub fn completed(&self) -> u64 {
        self.completed
    }
    pub fn total_sends(&self) -> u64 {
        self.sends.len() as u64
    }
    pub fn batches(&self) -> &[Batch] {
        &self.batches
    }
    /// Cycle the read-back was checked, once it was.
    pub fn done_cycle(&self) -> Option<u64> {
        self.done_cycle
    }
    pub fn scoreboard(&self) -> &Scoreboard {
        &self.scoreboard
    }

    /// Every completion entry consumed, raw, in ring order, as a CQ dump.
    pub fn cq_dump(&self) -> CqDump {
        CqDump { base: CQ_BASE, log2: self.setup.cq_log2, entries: self.cq_log.clone() }
    }

    /// The registers read back at the end, by name (empty before the read-back).
    pub fn register_file(&self) -> &RegisterFile {
        &self.registers
    }

    /// Take the recorded batches and the frames checked so far.
    pub fn take_results(&mut self) -> (Vec<Batch>, Vec<Frame>) {
        (
            std::mem::take(&mut self.batches),
            std::mem::take(&mut self.archive),
        )
    }

    /// Drive the AXI4-Lite master's outputs from its state.
    pub fn drive(&self, inp: &mut Inputs) {
        match &self.lite {
            Lite::Idle => {}
            Lite::Write {
                addr,
                data,
                aw_done,
                w_done,
                ..
            } => {
                inp.s_axil_awvalid = !aw_done;
                inp.s_axil_awaddr = *addr;
                inp.s_axil_wvalid = !w_done;
                inp.s_axil_wdata = *data;
                inp.s_axil_wstrb = 0xF;
                inp.s_axil_bready = true;
            }
            Lite::Read { addr, ar_done, .. } => {
                inp.s_axil_arvalid = !ar_done;
                inp.s_axil_araddr = *addr;
                inp.s_axil_rready = true;
            }
        }
    }

    /// Out of line and cold: the code building an error stays off the per-cycle path.
    #[cold]
    #[inline(never)]
    fn err(cycle: u64, port: &str, message: String) -> EnvError {
        EnvError {
            cycle,
            port: port.to_string(),
            message,
        }
    }

    /// Apply the cycle's handshakes, post sends, consume completions, and start the next
    /// register access.
    pub fn observe(
        &mut self,
        cycle: u64,
        inp: &Inputs,
        out: &Outputs,
        mem: &mut AxiMemory,
        mac: &mut MacSink,
    ) -> Result<(), EnvError> {
        self.observe_lite(cycle, inp, out)?;
        if self.fault_mode {
            self.note_fired(mem);
            let servicing = self.ops.iter().any(Op::svc)
                || matches!(&self.lite, Lite::Write { svc: true, .. })
                || matches!(&self.lite, Lite::Read { want, .. } if !matches!(want, Want::Value(_) | Want::Idle(_)));
            if out.irq && !servicing && !self.reset_request && self.phase != Phase::Configure {
                self.ops.push_back(Op::Read {
                    addr: regs::IRQ_STATUS,
                    what: "IRQ_STATUS".into(),
                    want: Want::IrqStatus,
                });
            }
        }

        if matches!(self.phase, Phase::Running) {
            self.post(cycle, mem);
        }

        if mem.commits() != self.last_commits || self.rescan {
            self.last_commits = mem.commits();
            self.rescan = false;
            self.scan(cycle, mem);
        }
        self.consume(cycle, mem, mac)?;

        match self.phase {
            Phase::Running
                if self.completed == self.sends.len() as u64
                    && self.ops.is_empty()
                    && matches!(self.lite, Lite::Idle)
                    && !self.tail_dirty
                    && !self.head_dirty =>
            {
                self.start_read_back(cycle, mac)?;
            }
            Phase::ReadBack if self.ops.is_empty() && matches!(self.lite, Lite::Idle) => {
                self.phase = Phase::Done;
                self.done_cycle = Some(cycle);
                self.frames_at_done = mac.frames();
            }
            Phase::Done if mac.frames() != self.frames_at_done => {
                return Err(Self::err(
                    cycle,
                    "scoreboard",
                    format!(
                        "frame {} received after every send completed",
                        mac.frames() - 1
                    ),
                ));
            }
            _ => {}
        }

        if matches!(self.lite, Lite::Idle) && cycle + 1 >= FIRST_ACCESS_CYCLE {
            self.start_next_op();
        }
        Ok(())
    }

    fn observe_lite(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Result<(), EnvError> {
        match &mut self.lite {
            Lite::Idle => Ok(()),
            Lite::Write {
                addr,
                aw_done,
                w_done,
                ..
            } => {
                let addr = &*addr;
                let (aw0, w0) = (*aw_done, *w_done);
                if inp.s_axil_awvalid && out.s_axil_awready {
                    *aw_done = true;
                }
                if inp.s_axil_wvalid && out.s_axil_wready {
                    *w_done = true;
                }
                if out.s_axil_bvalid {
                    if !(aw0 && w0) {
                        return Err(Self::err(
                            cycle,
                            "s_axil_b",
                            format!(
                                "bvalid for the write of {} before its AW and W handshakes",
                                csr_name(*addr)
                            ),
                        ));
                    }
                    if out.s_axil_bresp != 0 {
                        return Err(Self::err(
                            cycle,
                            "s_axil_b",
                            format!(
                                "bresp {} for the write of {}, expected OKAY",
                                out.s_axil_bresp,
                                csr_name(*addr)
                            ),
                        ));
                    }
                    if *addr == regs::CTRL {
                        self.phase = Phase::Running;
                    }
                    self.lite = Lite::Idle;
                }
                Ok(())
            }
            Lite::Read {
                addr,
                what,
                want,
                ar_done,
            } => {
                let ar0 = *ar_done;
                if inp.s_axil_arvalid && out.s_axil_arready {
                    *ar_done = true;
                }
                if out.s_axil_rvalid {
                    if !ar0 {
                        return Err(Self::err(
                            cycle,
                            "s_axil_r",
                            format!(
                                "rvalid for the read of {} before its AR handshake",
                                csr_name(*addr)
                            ),
                        ));
                    }
                    if out.s_axil_rresp != 0 {
                        return Err(Self::err(
                            cycle,
                            "s_axil_r",
                            format!(
                                "rresp {} for the read of {}, expected OKAY",
                                out.s_axil_rresp,
                                csr_name(*addr)
                            ),
                        ));
                    }
                    let got = out.s_axil_rdata;
                    let want = *want;
                    if let Want::Value(want) = want {
                        // A read of the final read-back is what `--registers` records.
                        if self.phase == Phase::ReadBack {
                            if let Some(name) = self.read_back_names.get(addr) {
                                self.registers.values.insert(name.clone(), got);
                            }
                        }
                        if got != want {
                            return Err(Self::err(
                                cycle,
                                "csr",
                                format!(
                                    "{} reads {got:#x} ({got}), expected {want:#x} ({want}) ({what})",
                                    csr_name(*addr),
                                ),
                            ));
                        }
                    }
                    self.lite = Lite::Idle;
                    self.serviced(cycle, want, got)?;
                }
                Ok(())
            }
        }
    }

    /// The interrupt service's next step after one of its reads returned `got`.
    fn serviced(&mut self, cycle: u64, want: Want, got: u32) -> Result<(), EnvError> {
        let svc_write = |addr, data| Op::Write { addr, data, svc: true };
        match want {
            Want::Value(_) => {}
            Want::Idle(left) => {
                if got & regs::STATUS_BUSY != 0 {
                    if left == 0 {
                        return Err(Self::err(
                            cycle,
                            "csr",
                            format!("STATUS reads {got:#x}: still busy after {IDLE_POLLS} reads with every send completed"),
                        ));
                    }
                    self.ops.push_front(Op::Read {
                        addr: regs::STATUS,
                        what: "STATUS".into(),
                        want: Want::Idle(left - 1),
                    });
                }
            }
            Want::IrqStatus => {
                self.log.irq_status.push((cycle, got));
                self.ops.push_back(svc_write(regs::IRQ_STATUS, got));
                if got & regs::IRQ_ERR != 0 {
                    self.ops.push_back(Op::Read { addr: regs::ERR, what: "ERR".into(), want: Want::Err });
                }
            }
            Want::Err => {
                self.log.err.push((cycle, got));
                self.ops.push_back(svc_write(regs::ERR, got));
                if got & (regs::ERR_DESC_FETCH | regs::ERR_CPL_WRITE) != 0 {
                    self.ops.push_back(Op::Read {
                        addr: regs::STATUS,
                        what: "STATUS".into(),
                        want: Want::Status(STATUS_POLLS - 1),
                    });
                }
            }
            Want::Status(left) => {
                self.log.status.push((cycle, got));
                if got & regs::STATUS_HALTED == 0 {
                    return Err(Self::err(
                        cycle,
                        "csr",
                        format!("STATUS reads {got:#x} after a fatal error: not halted"),
                    ));
                }
                if got & regs::STATUS_BUSY != 0 && left > 0 {
                    self.ops.push_back(Op::Read {
                        addr: regs::STATUS,
                        what: "STATUS".into(),
                        want: Want::Status(left - 1),
                    });
                } else {
                    self.reset_request = true;
                }
            }
        }
        Ok(())
    }

    fn start_next_op(&mut self) {
        if self.reset_request {
            return;
        }
        if let Some(op) = self.ops.pop_front() {
            self.lite = match op {
                Op::Write { addr, data, svc } => Lite::Write {
                    addr,
                    data,
                    aw_done: false,
                    w_done: false,
                    svc,
                },
                Op::Read { addr, what, want } => Lite::Read {
                    addr,
                    what,
                    want,
                    ar_done: false,
                },
            };
        } else if self.tail_dirty {
            self.tail_dirty = false;
            self.lite = Lite::Write {
                addr: regs::TX_TAIL,
                data: self.tx_tail,
                aw_done: false,
                w_done: false,
                svc: false,
            };
        } else if self.head_dirty {
            self.head_dirty = false;
            self.lite = Lite::Write {
                addr: regs::CQ_HEAD,
                data: self.cq.index(),
                aw_done: false,
                w_done: false,
                svc: false,
            };
        }
    }

    /// Post every send that is due and fits in the ring.
    fn post(&mut self, cycle: u64, mem: &mut AxiMemory) {
        while self.next_send < self.sends.len() {
            let i = self.next_send;
            let (at_cycle, buf_offset) = self.plan[i];
            if cycle + 1 < at_cycle {
                break;
            }
            if self.next_send as u64 - self.completed >= u64::from(self.tx_size - 1) {
                break;
            }
            let s = &self.sends[i];
            let addr = buf_addr(i as u64, buf_offset);
            if s.len <= MAX_SEND_LEN {
                self.payload_buf.resize(s.len as usize, 0);
                fill_payload(self.seed, i as u64, &mut self.payload_buf);
                mem.mem.write(addr, &self.payload_buf);
            }
            let (fault, beat) = self.faults[i];
            let mut reserved = Reserved::Zero;
            match fault {
                Some(Fault::ReservedBits) => reserved = Reserved::Flag,
                Some(Fault::ReservedWord) => reserved = Reserved::Word,
                Some(f) if !self.fault_fired[i] => match f {
                    Fault::DescRead => {
                        mem.arm(ReadFault::DescFetch { n: self.posts_since_reset, beat }, i as u64)
                    }
                    Fault::PayloadRead => mem.arm(
                        ReadFault::Beat { lo: buf_slot(i as u64), hi: buf_slot(i as u64) + BUF_STRIDE, beat: u64::from(beat) },
                        i as u64,
                    ),
                    Fault::BadDoorbell => {
                        // Fires as the host writes it.
                        self.fault_fired[i] = true;
                        // Half a ring away once masked: an engine that took the value
                        // modulo the ring size would fetch descriptors never posted.
                        self.ops.push_back(Op::Write {
                            addr: regs::TX_TAIL,
                            data: self.tx_size + (self.tx_tail + self.tx_size / 2) % self.tx_size,
                            svc: false,
                        });
                    }
                    Fault::ReservedBits | Fault::ReservedWord => {}
                },
                _ => {}
            }
            self.posts_since_reset += 1;
            let desc = driver::encode_descriptor_with(addr, s.len, s.conn, flags(s), s.cookie, reserved);
            mem.mem.write(self.setup.desc_addr(self.tx_tail), &desc);
            self.tx_tail = (self.tx_tail + 1) % self.tx_size;
            self.tail_dirty = true;
            self.next_send += 1;
        }
    }

    fn read_raw(mem: &AxiMemory, at: &CqCursor) -> [u8; CPL_BYTES] {
        let mut b = [0u8; CPL_BYTES];
        mem.mem.read(at.addr(), &mut b);
        b
    }

    /// Record the first-seen cycle of every new entry after the ones already seen.
    fn scan(&mut self, cycle: u64, mem: &AxiMemory) {
        while self.seen.len() < (self.cq_size - 1) as usize {
            if self.scan.ready(&Self::read_raw(mem, &self.scan)).is_none() {
                break;
            }
            let lag = if self.jitter == 0 {
                self.lag
            } else {
                self.lag + self.rng.gen_range(0..=self.jitter)
            };
            self.seen.push_back((cycle, lag));
            self.scan.advance();
        }
    }

    /// Consume the entries whose lag has passed.
    fn consume(
        &mut self,
        cycle: u64,
        mem: &mut AxiMemory,
        mac: &mut MacSink,
    ) -> Result<(), EnvError> {
        while let Some(&(seen_at, lag)) = self.seen.front() {
            if cycle < seen_at + lag {
                break;
            }
            self.seen.pop_front();
            let idx = self.cq.index();
            let raw = Self::read_raw(mem, &self.cq);
            let entry = CompletionEntry::decode(&raw);
            self.cq_log.push(raw);
            self.consume_entry(cycle, seen_at, idx, &entry, mem, mac)?;
            self.cq.advance();
            self.head_dirty = true;
            self.rescan = true;
        }
        Ok(())
    }

    fn consume_entry(
        &mut self,
        cycle: u64,
        seen_at: u64,
        idx: u32,
        entry: &CompletionEntry,
        mem: &mut AxiMemory,
        mac: &mut MacSink,
    ) -> Result<(), EnvError> {
        let sb = |m: String| Self::err(cycle, "scoreboard", m);
        if self.completed >= self.next_send as u64 {
            return Err(sb(format!(
                "completion at CQ index {idx} (cookie {:#x}) while no send is outstanding ({} posted, {} completed)",
                entry.cookie, self.next_send, self.completed
            )));
        }
        let send_idx = self.completed;
        let send = &self.sends[send_idx as usize];
        let archive = self.keep_frames.then_some(&mut self.archive);
        self.scoreboard
            .complete(send_idx, send, entry, mac, archive)
            .map_err(sb)?;
        let immediate = send.immediate;
        if entry.status == txoe_model::layout::Status::DmaError as u8 {
            self.log.dma_errors += 1;
        }
        mem.mem.free(buf_slot(send_idx), BUF_STRIDE);
        self.completed += 1;
        match self.rules.push(idx, entry, immediate) {
            Ok(Some(b)) => {
                self.batches.push(Batch {
                    index: self.batches.len() as u64,
                    cycle: seen_at,
                    first: b.first,
                    reason: b.reason,
                    entries: b.entries,
                });
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(Self::err(cycle, "batch", e.message)),
        }
    }

    fn start_read_back(&mut self, cycle: u64, mac: &mut MacSink) -> Result<(), EnvError> {
        if mac.pending() > 0 || mac.in_frame() {
            return Err(Self::err(
                cycle,
                "scoreboard",
                format!(
                    "every send is completed, but the MAC holds {} frames{} that belong to no send completed ok",
                    mac.pending(),
                    if mac.in_frame() { " and a frame in progress" } else { "" }
                ),
            ));
        }
        if let Err(e) = self.rules.finish() {
            return Err(Self::err(cycle, "batch", e.message));
        }
        // What the host observed for each register of the shared read-back list; the
        // counters since the last reset, which cleared them.
        let counters = self.counters(mac).since(&self.base);
        let since = if self.log.resets.is_empty() { "" } else { " since the last reset" };
        let (id4, id6) = self.scoreboard.next_ids();
        let snd: std::collections::HashMap<String, u32> = self
            .scoreboard
            .snd_nxt()
            .map(|(id, v)| (crate::bringup::golden::snd_nxt_name(id), v))
            .collect();
        // The engine may still be busy after the last completion (the read beats of a
        // request that ended with a DMA error still arriving): wait until it is idle.
        self.ops.push_back(Op::Read {
            addr: regs::STATUS,
            what: "STATUS".into(),
            want: Want::Idle(IDLE_POLLS - 1),
        });
        // A doorbell outside the ring must leave TX_TAIL as it was: read it too.
        let list = driver::read_back_list_with(
            self.scoreboard.snd_nxt().map(|(id, _)| id),
            self.fault_mode,
        );
        for (name, addr) in list {
            let (want, what): (u32, String) = match name.as_str() {
                "TX_HEAD" | "TX_TAIL" => (self.tx_tail, "the host's TX tail".into()),
                "CQ_TAIL" | "CQ_HEAD" => (self.cq.index(), "the host's CQ head".into()),
                "ERR" => (0, "no error expected".into()),
                "STATUS" => (0, "neither busy nor halted".into()),
                "ID" => (regs::ID_VALUE, "\"TXOE\"".into()),
                "IPV4_ID" => (u32::from(id4), "the IPv4 ID after the last IPv4 frame's".into()),
                "IPV6_ID" => (id6, "the IPv6 fragment ID after the last one sent".into()),
                n => match counters.expected(n) {
                    Some(c) => c,
                    None => {
                        let v = snd.get(n).copied().expect("read-back names are registers or SND_NXT");
                        (v, format!("snd_nxt of {n} after its frames"))
                    }
                },
            };
            self.read_back_names.insert(addr, name);
            self.ops.push_back(Op::Read {
                addr,
                what: format!("{what}{since}"),
                want: Want::Value(want),
            });
        }
        self.phase = Phase::ReadBack;
        Ok(())
    }
}

fn flags(s: &SendInfo) -> u16 {
    use txoe_model::layout::{FLAG_FIN, FLAG_IMMEDIATE, FLAG_PSH};
    (if s.psh { FLAG_PSH } else { 0 })
        | (if s.fin { FLAG_FIN } else { 0 })
        | (if s.immediate { FLAG_IMMEDIATE } else { 0 })
}
