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
//! 5. When every send is completed, the host reads back `CNT_FRAMES`, `CNT_BYTES`,
//!    `CNT_CPL`, `CNT_BATCH`, `CNT_ERR`, the four `CNT_CLOSE_*`, `TX_HEAD`, `CQ_TAIL`,
//!    `ERR` and each connection's `snd_nxt`, and checks them against what it observed.
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
//! The AXI4-Lite master runs one transaction at a time. A write raises `awvalid` and
//! `wvalid` together, drops each on its own handshake, and holds `bready` high until the
//! response; a read raises `arvalid` until its handshake and holds `rready` high until
//! the data. Register traffic has this priority: queued configuration and read-back
//! accesses, then the `TX_TAIL` doorbell, then `CQ_HEAD`.

use std::collections::VecDeque;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use txoe_cosim::EnvError;
use txoe_model::layout::{CloseReason, CompletionEntry, CPL_BYTES, MAX_SEND_LEN};
use txoe_model::ports::{Inputs, Outputs};
use txoe_model::regs;

use crate::bringup::cqdump::CqDump;
use crate::bringup::regfile::RegisterFile;
use crate::completions::Batch;
use crate::driver::cq::{BatchRules, CqCursor};
use crate::driver::{self, Setup};
use crate::mac::{Frame, MacSink};
use crate::memory::AxiMemory;
use crate::payload::{
    buf_addr, buf_slot, env_rng, fill_payload, BUF_STRIDE, CQ_BASE, TX_RING_BASE,
};
use crate::scenario::Scenario;
use crate::scoreboard::{Scoreboard, SendInfo};

/// Cycles `rst` is held high at the start of a run.
pub const RESET_CYCLES: u64 = 4;
/// First cycle the host drives a register access.
pub const FIRST_ACCESS_CYCLE: u64 = RESET_CYCLES + 2;

/// One register access.
#[derive(Clone, Debug)]
enum Op {
    Write { addr: u32, data: u32 },
    Read { addr: u32, what: String, want: u32 },
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
    },
    Read {
        addr: u32,
        what: String,
        want: u32,
        ar_done: bool,
    },
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
}

impl Host {
    pub fn new(sc: &Scenario, keep_frames: bool) -> Self {
        let cfg = &sc.config;
        let setup = Setup::from_scenario(sc, TX_RING_BASE, CQ_BASE);
        let mut ops = VecDeque::new();
        ops.push_back(Op::Read {
            addr: regs::ID,
            what: "ID".into(),
            want: regs::ID_VALUE,
        });
        ops.extend(
            driver::bring_up_writes(&setup)
                .into_iter()
                .map(|(addr, data)| Op::Write { addr, data }),
        );
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
                    if let Some(name) = self.read_back_names.get(addr) {
                        self.registers.values.insert(name.clone(), got);
                    }
                    if got != *want {
                        return Err(Self::err(
                            cycle,
                            "csr",
                            format!(
                                "{} reads {got:#x} ({got}), expected {:#x} ({}) ({what})",
                                csr_name(*addr),
                                *want,
                                *want
                            ),
                        ));
                    }
                    self.lite = Lite::Idle;
                }
                Ok(())
            }
        }
    }

    fn start_next_op(&mut self) {
        if let Some(op) = self.ops.pop_front() {
            self.lite = match op {
                Op::Write { addr, data } => Lite::Write {
                    addr,
                    data,
                    aw_done: false,
                    w_done: false,
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
            };
        } else if self.head_dirty {
            self.head_dirty = false;
            self.lite = Lite::Write {
                addr: regs::CQ_HEAD,
                data: self.cq.index(),
                aw_done: false,
                w_done: false,
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
            let desc = driver::encode_descriptor(addr, s.len, s.conn, flags(s), s.cookie);
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
        // What the host observed for each register of the shared read-back list.
        let ok = self.scoreboard.status_count(0);
        let per_reason = |r: CloseReason| self.batches.iter().filter(|b| b.reason == r).count() as u64;
        let (id4, id6) = self.scoreboard.next_ids();
        let snd: std::collections::HashMap<String, u32> = self
            .scoreboard
            .snd_nxt()
            .map(|(id, v)| (crate::bringup::golden::snd_nxt_name(id), v))
            .collect();
        let list = driver::read_back_list(self.scoreboard.snd_nxt().map(|(id, _)| id));
        for (name, addr) in list {
            let (want, what): (u64, String) = match name.as_str() {
                "CNT_FRAMES" => (mac.frames(), "frames the MAC received".into()),
                "CNT_BYTES" => (mac.bytes(), "frame bytes the MAC received".into()),
                "CNT_CPL" => (self.completed, "completions the host consumed".into()),
                "CNT_BATCH" => (self.batches.len() as u64, "batches the host consumed".into()),
                "CNT_ERR" => (self.completed - ok, "completions with a status other than ok".into()),
                "TX_HEAD" => (u64::from(self.tx_tail), "the host's TX tail".into()),
                "CQ_TAIL" | "CQ_HEAD" => (u64::from(self.cq.index()), "the host's CQ head".into()),
                "ERR" => (0, "no error expected".into()),
                "STATUS" => (0, "neither busy nor halted".into()),
                "ID" => (u64::from(regs::ID_VALUE), "\"TXOE\"".into()),
                "IPV4_ID" => (u64::from(id4), "the IPv4 ID after the last IPv4 frame's".into()),
                "IPV6_ID" => (u64::from(id6), "the IPv6 fragment ID after the last one sent".into()),
                n => match CloseReason::ALL.iter().find(|r| n == format!("CNT_CLOSE_{}", r.name().to_uppercase())) {
                    Some(r) => (per_reason(*r), format!("batches the host consumed with reason {}", r.name())),
                    None => {
                        let v = snd.get(n).copied().expect("read-back names are registers or SND_NXT");
                        (u64::from(v), format!("snd_nxt of {n} after its frames"))
                    }
                },
            };
            self.read_back_names.insert(addr, name);
            self.ops.push_back(Op::Read { addr, what, want: want as u32 });
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
