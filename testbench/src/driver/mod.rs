//! The host driver, written once: what the host writes to the engine and how it reads
//! the completion queue, against a small [`Bus`] trait (register read/write, host memory
//! read/write).
//!
//! * The pieces every host uses: the register programming sequence
//!   ([`bring_up_writes`]), descriptor placement and encoding ([`Setup::desc_addr`],
//!   [`encode_descriptor`]), the CQ consumer's cursor ([`cq::CqCursor`]) and the batch
//!   rules a consumer checks entry by entry ([`cq::BatchRules`]), the final read-back
//!   ([`read_back_list`]) and the counters it is compared with ([`Counters`]). They carry
//!   what a host that injects faults and resets the engine needs too: a descriptor with
//!   a reserved bit set ([`encode_descriptor_with`]), the programming sequence resumed
//!   after a reset with given `snd_nxt` and ID starts ([`Setup::resumed`]), a cursor and
//!   batch rules that start over ([`cq::CqCursor::reset`], [`cq::BatchRules::reset`]),
//!   counters relative to the last reset ([`Counters::since`]) and the `TX_TAIL` read
//!   ([`read_back_list_with`]). The cycle-level simulator host ([`crate::host`]) uses these
//!   for what it writes and how it decodes.
//! * [`Driver`]: a blocking driver over any [`Bus`]: bring-up, posting sends,
//!   consuming completions, the read-back, and what `txoe check` needs from a run (the
//!   CQ dump, the register file).
//! * Two buses: [`sim::SimBus`], a device (the model or the Verilated RTL) clocked
//!   until each register access completes, and [`mmap::MmapBus`], registers and host
//!   memory mapped from files: a PCIe BAR (`/sys/bus/pci/devices/…/resource0`) or a UIO
//!   device (`/dev/uioN`) and a DMA buffer.

pub mod cq;
pub mod mmap;
pub mod sim;

use std::collections::BTreeMap;
use std::fmt;

use txoe_model::layout::{CloseReason, CompletionEntry, Context, Descriptor, CPL_BYTES, DESC_BYTES};
use txoe_model::regs;

use crate::bringup::cqdump::CqDump;
use crate::bringup::golden::snd_nxt_name;
use crate::bringup::regfile::RegisterFile;
use crate::payload::fill_payload;
use crate::scenario::Scenario;
use cq::{BatchRules, CqCursor};

/// A bus error: what was accessed and why it failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusError(pub String);

impl fmt::Display for BusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BusError {}

/// Register and host-memory access, the only thing the driver needs from a platform.
pub trait Bus {
    /// Read the 32-bit register at byte address `addr` of the engine's AXI4-Lite window.
    fn reg_read(&mut self, addr: u32) -> Result<u32, BusError>;
    /// Write the 32-bit register at byte address `addr`.
    fn reg_write(&mut self, addr: u32, value: u32) -> Result<(), BusError>;
    /// Read host memory at bus address `addr` (the address the engine uses).
    fn mem_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), BusError>;
    /// Write host memory at bus address `addr`.
    fn mem_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BusError>;
    /// Let the device run while the driver polls (a simulator clocks some cycles; real
    /// hardware needs nothing).
    fn pause(&mut self) -> Result<(), BusError> {
        Ok(())
    }
}

/// Where the rings and buffers are, and the configuration to program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    /// `(index, context)` of each connection.
    pub contexts: Vec<(u16, Context)>,
    pub mtu: u32,
    pub max_batch: u32,
    pub timeout: u32,
    pub ipv4_id: u32,
    pub ipv6_id: u32,
    /// TX ring base (4 KiB aligned) and log2 of its size.
    pub tx_base: u64,
    pub tx_log2: u32,
    /// CQ base (4 KiB aligned) and log2 of its size.
    pub cq_base: u64,
    pub cq_log2: u32,
    pub irq_mask: u32,
}

impl Setup {
    /// The configuration a scenario asks for, with the rings at `tx_base` and `cq_base`.
    pub fn from_scenario(sc: &Scenario, tx_base: u64, cq_base: u64) -> Setup {
        let cfg = &sc.config;
        Setup {
            contexts: sc.connections.iter().map(|c| (c.id, c.to_context())).collect(),
            mtu: cfg.mtu,
            max_batch: cfg.max_batch,
            timeout: cfg.timeout_cycles,
            ipv4_id: u32::from(cfg.ipv4_id_start),
            ipv6_id: cfg.ipv6_id_start,
            tx_base,
            tx_log2: cfg.tx_ring_log2,
            cq_base,
            cq_log2: cfg.cq_log2,
            irq_mask: cfg.irq_mask,
        }
    }

    pub fn tx_size(&self) -> u32 {
        1 << self.tx_log2
    }
    pub fn cq_size(&self) -> u32 {
        1 << self.cq_log2
    }
    /// Address of TX ring slot `idx`.
    pub fn desc_addr(&self, idx: u32) -> u64 {
        self.tx_base + DESC_BYTES as u64 * u64::from(idx)
    }
    /// A fresh consumer of this CQ, at index 0 expecting phase 1.
    pub fn cq_cursor(&self) -> CqCursor {
        CqCursor::new(self.cq_base, self.cq_size())
    }
    /// The batch rules of this configuration.
    pub fn batch_rules(&self) -> BatchRules {
        BatchRules::new(self.cq_base, self.cq_size(), self.max_batch)
    }

    /// The same configuration resumed after a reset: each connection's `snd_nxt` from
    /// `snd_nxt` (a connection it does not name keeps its own), and the engine-wide IDs
    /// `ipv4_id` and `ipv6_id` (the ones after the last frame seen, so none repeats).
    /// [`bring_up_writes`] of the result is the reprogramming sequence.
    pub fn resumed(&self, snd_nxt: &BTreeMap<u16, u32>, ipv4_id: u32, ipv6_id: u32) -> Setup {
        let mut s = self.clone();
        for (id, ctx) in &mut s.contexts {
            if let Some(v) = snd_nxt.get(id) {
                ctx.snd_nxt = *v;
            }
        }
        s.ipv4_id = ipv4_id;
        s.ipv6_id = ipv6_id;
        s
    }
}

/// The register accesses of the bring-up, after `ID` reads [`regs::ID_VALUE`]: every
/// connection context (19 words each), then `MTU`, `MAX_BATCH`, `TIMEOUT`, `IPV4_ID`,
/// `IPV6_ID`, `TX_BASE_LO/HI`, `TX_LOG2`, `CQ_BASE_LO/HI`, `CQ_LOG2`, `IRQ_MASK` and last
/// `CTRL` = enable (the engine reads its configuration every cycle, so enable comes last).
pub fn bring_up_writes(s: &Setup) -> Vec<(u32, u32)> {
    let mut v = Vec::with_capacity(s.contexts.len() * regs::CTX_WORDS + 13);
    for (id, ctx) in &s.contexts {
        for (w, word) in ctx.to_words().iter().enumerate() {
            v.push((regs::ctx_addr(u32::from(*id), w as u32), *word));
        }
    }
    v.extend([
        (regs::MTU, s.mtu),
        (regs::MAX_BATCH, s.max_batch),
        (regs::TIMEOUT, s.timeout),
        (regs::IPV4_ID, s.ipv4_id),
        (regs::IPV6_ID, s.ipv6_id),
        (regs::TX_BASE_LO, s.tx_base as u32),
        (regs::TX_BASE_HI, (s.tx_base >> 32) as u32),
        (regs::TX_LOG2, s.tx_log2),
        (regs::CQ_BASE_LO, s.cq_base as u32),
        (regs::CQ_BASE_HI, (s.cq_base >> 32) as u32),
        (regs::CQ_LOG2, s.cq_log2),
        (regs::IRQ_MASK, s.irq_mask),
        (regs::CTRL, regs::CTRL_ENABLE),
    ]);
    v
}

/// The descriptor of one send (reserved bits zero).
pub fn encode_descriptor(buf_addr: u64, len: u32, conn: u16, flags: u16, cookie: u64) -> [u8; DESC_BYTES] {
    encode_descriptor_with(buf_addr, len, conn, flags, cookie, Reserved::Zero)
}

/// The reserved descriptor flag bit [`Reserved::Flag`] sets.
pub const RESERVED_FLAG: u16 = 1 << 3;

/// The reserved bits of a descriptor: zero, as a driver writes them, or one set, as
/// fault injection writes them (the engine must complete such a send with
/// `desc_error`; `docs/verification.md`, "Faults and resets").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reserved {
    Zero,
    /// [`RESERVED_FLAG`] in the flags.
    Flag,
    /// Bit 0 of the reserved bytes 24..32.
    Word,
}

/// The descriptor of one send with its reserved bits as `reserved` says.
pub fn encode_descriptor_with(
    buf_addr: u64,
    len: u32,
    conn: u16,
    flags: u16,
    cookie: u64,
    reserved: Reserved,
) -> [u8; DESC_BYTES] {
    let (flags, reserved) = match reserved {
        Reserved::Zero => (flags, 0),
        Reserved::Flag => (flags | RESERVED_FLAG, 0),
        Reserved::Word => (flags, 1),
    };
    Descriptor { buf_addr, len, conn, flags, cookie, reserved }.encode()
}

/// Most `STATUS` reads while waiting for a halted engine to stop being busy.
pub const STATUS_POLLS: u32 = 64;

/// Most `STATUS` reads while waiting, before the read-back, for the engine to stop being
/// busy: enough for the read beats of a 65535-byte request that ended with a DMA error
/// (8192 beats at 64 bits, each register read taking at least three cycles).
pub const IDLE_POLLS: u32 = 4096;

/// Registers read back once every send has completed, by name, in this order; then
/// `snd_nxt` of each connection (`SND_NXT[c]`, context word 14).
pub const READ_BACK: [(&str, u32); 17] = [
    ("CNT_FRAMES", regs::CNT_FRAMES),
    ("CNT_BYTES", regs::CNT_BYTES),
    ("CNT_CPL", regs::CNT_CPL),
    ("CNT_BATCH", regs::CNT_BATCH),
    ("CNT_ERR", regs::CNT_ERR),
    ("CNT_CLOSE_MAX_BATCH", regs::CNT_CLOSE_MAX_BATCH),
    ("CNT_CLOSE_TIMEOUT", regs::CNT_CLOSE_TIMEOUT),
    ("CNT_CLOSE_IMMEDIATE", regs::CNT_CLOSE_IMMEDIATE),
    ("CNT_CLOSE_RING_END", regs::CNT_CLOSE_RING_END),
    ("TX_HEAD", regs::TX_HEAD),
    ("CQ_TAIL", regs::CQ_TAIL),
    ("ERR", regs::ERR),
    ("IPV4_ID", regs::IPV4_ID),
    ("IPV6_ID", regs::IPV6_ID),
    ("STATUS", regs::STATUS),
    ("ID", regs::ID),
    ("CQ_HEAD", regs::CQ_HEAD),
];

/// Every register of [`READ_BACK`] and each connection's `snd_nxt`, as `(name, address)`.
pub fn read_back_list(connections: impl IntoIterator<Item = u16>) -> Vec<(String, u32)> {
    read_back_list_with(connections, false)
}

/// [`read_back_list`], with `TX_TAIL` after `TX_HEAD` when `tx_tail` is set: a host that
/// wrote a doorbell outside the ring checks that the engine left `TX_TAIL` as it was.
pub fn read_back_list_with(connections: impl IntoIterator<Item = u16>, tx_tail: bool) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = Vec::with_capacity(READ_BACK.len() + 1);
    for (n, a) in READ_BACK {
        v.push((n.to_string(), a));
        if tx_tail && a == regs::TX_HEAD {
            v.push(("TX_TAIL".to_string(), regs::TX_TAIL));
        }
    }
    for c in connections {
        v.push((snd_nxt_name(c), regs::ctx_addr(u32::from(c), txoe_model::layout::CTX_W_SND_NXT as u32)));
    }
    v
}

/// What a host observed that the engine's counters count: frames and bytes the MAC
/// received, completions and batches consumed, completions with status `ok`, batches
/// per close reason (indexed by [`CloseReason`] as `u8`). The counters restart at zero on
/// a reset, so a host compares them with [`Counters::since`] its observations then.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub frames: u64,
    pub bytes: u64,
    pub completions: u64,
    pub batches: u64,
    pub ok: u64,
    pub by_reason: [u64; 4],
}

impl Counters {
    /// What was observed after `base` (the observations at the last reset).
    pub fn since(&self, base: &Counters) -> Counters {
        let mut by_reason = [0u64; 4];
        for (r, (a, b)) in by_reason.iter_mut().zip(self.by_reason.iter().zip(base.by_reason)) {
            *r = a.wrapping_sub(b);
        }
        Counters {
            frames: self.frames.wrapping_sub(base.frames),
            bytes: self.bytes.wrapping_sub(base.bytes),
            completions: self.completions.wrapping_sub(base.completions),
            batches: self.batches.wrapping_sub(base.batches),
            ok: self.ok.wrapping_sub(base.ok),
            by_reason,
        }
    }

    /// The value the counter register `name` of [`READ_BACK`] must hold (its low 32
    /// bits), and what it counts; `None` for a register that is not a counter.
    pub fn expected(&self, name: &str) -> Option<(u32, String)> {
        let (v, what) = match name {
            "CNT_FRAMES" => (self.frames, "frames the MAC received".to_string()),
            "CNT_BYTES" => (self.bytes, "frame bytes the MAC received".to_string()),
            "CNT_CPL" => (self.completions, "completions the host consumed".to_string()),
            "CNT_BATCH" => (self.batches, "batches the host consumed".to_string()),
            "CNT_ERR" => (
                self.completions.wrapping_sub(self.ok),
                "completions with a status other than ok".to_string(),
            ),
            n => {
                let r = CloseReason::ALL
                    .iter()
                    .find(|r| n == format!("CNT_CLOSE_{}", r.name().to_uppercase()))?;
                (
                    self.by_reason[*r as usize],
                    format!("batches the host consumed with reason {}", r.name()),
                )
            }
        };
        Some((v as u32, what))
    }
}

/// Bytes between two payload buffers of [`Layout`]: the largest payload (65535 bytes)
/// at any byte offset up to 65535.
pub const SLOT_BYTES: u64 = 0x2_0000;

/// Where a [`Driver`] puts its rings and buffers in a host-memory window starting at bus
/// address `base`: the TX ring at `base` (at most 128 KiB), the CQ at `base + 128 KiB`
/// (at most 64 KiB), and one payload buffer per TX ring slot from `base + 192 KiB`, each
/// [`SLOT_BYTES`]; a send uses the buffer of the ring slot its descriptor takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub base: u64,
}

impl Layout {
    pub fn tx_base(&self) -> u64 {
        self.base
    }
    pub fn cq_base(&self) -> u64 {
        self.base + 0x2_0000
    }
    pub fn buf(&self, slot: u32) -> u64 {
        self.base + 0x3_0000 + SLOT_BYTES * u64::from(slot)
    }
    /// Bytes of host memory the layout needs for a TX ring of `2^tx_log2` slots.
    pub fn bytes_needed(tx_log2: u32) -> u64 {
        0x3_0000 + SLOT_BYTES * (1u64 << tx_log2)
    }
}

/// One send as the driver posts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Post {
    pub len: u32,
    pub conn: u16,
    pub flags: u16,
    pub cookie: u64,
    /// Byte offset of the payload in its buffer.
    pub buf_offset: u16,
}

/// A completion the driver consumed: its CQ index, its raw bytes and its decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consumed {
    pub index: u32,
    pub raw: [u8; CPL_BYTES],
    pub entry: CompletionEntry,
}

/// A driver error: a bus error, the engine's `ID` wrong, a batch rule broken, or no
/// progress within the poll budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriverError(pub String);

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DriverError {}

impl From<BusError> for DriverError {
    fn from(e: BusError) -> Self {
        DriverError(format!("bus: {e}"))
    }
}

/// The blocking host driver over a [`Bus`].
pub struct Driver<B: Bus> {
    pub bus: B,
    setup: Setup,
    layout: Layout,
    tx_tail: u32,
    posted: u64,
    completed: u64,
    cq: CqCursor,
    /// Raw bytes of every entry consumed, in ring order: the CQ dump.
    log: Vec<[u8; CPL_BYTES]>,
}

impl<B: Bus> Driver<B> {
    /// A driver for `setup`, whose rings must be those of `layout`.
    pub fn new(bus: B, setup: Setup, layout: Layout) -> Self {
        let cq = setup.cq_cursor();
        Driver { bus, setup, layout, tx_tail: 0, posted: 0, completed: 0, cq, log: Vec::new() }
    }

    /// The driver for a scenario, its rings in `layout`.
    pub fn for_scenario(bus: B, sc: &Scenario, layout: Layout) -> Self {
        let setup = Setup::from_scenario(sc, layout.tx_base(), layout.cq_base());
        Driver::new(bus, setup, layout)
    }

    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// Check `ID`, zero the CQ (so no stale entry carries the phase the consumer expects),
    /// and program the engine ([`bring_up_writes`]).
    pub fn bring_up(&mut self) -> Result<(), DriverError> {
        let id = self.bus.reg_read(regs::ID)?;
        if id != regs::ID_VALUE {
            return Err(DriverError(format!(
                "ID reads {id:#010x}, expected {:#010x} (\"TXOE\"): wrong device, BAR or offset",
                regs::ID_VALUE
            )));
        }
        let zero = vec![0u8; CPL_BYTES * self.setup.cq_size() as usize];
        self.bus.mem_write(self.setup.cq_base, &zero)?;
        for (addr, v) in bring_up_writes(&self.setup) {
            self.bus.reg_write(addr, v)?;
        }
        Ok(())
    }

    /// Sends posted and not yet completed.
    pub fn in_flight(&self) -> u64 {
        self.posted - self.completed
    }

    /// True when the TX ring has room for one more send (it holds at most size − 1).
    pub fn has_room(&self) -> bool {
        self.in_flight() < u64::from(self.setup.tx_size() - 1)
    }

    /// Write the payload and descriptor of one send and ring the doorbell. The caller
    /// checks [`Driver::has_room`] first.
    pub fn post(&mut self, p: &Post, payload: &[u8]) -> Result<(), DriverError> {
        if !self.has_room() {
            return Err(DriverError("post with the TX ring full".into()));
        }
        let slot = self.tx_tail;
        let addr = self.layout.buf(slot) + u64::from(p.buf_offset);
        if !payload.is_empty() {
            self.bus.mem_write(addr, payload)?;
        }
        let d = encode_descriptor(addr, p.len, p.conn, p.flags, p.cookie);
        self.bus.mem_write(self.setup.desc_addr(slot), &d)?;
        self.tx_tail = (self.tx_tail + 1) % self.setup.tx_size();
        self.posted += 1;
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
        self.bus.reg_write(regs::TX_TAIL, self.tx_tail)?;
        Ok(())
    }

    /// Consume every completion the engine has written: entries at the CQ head whose
    /// phase bit is the one expected; then write `CQ_HEAD` once.
    pub fn poll(&mut self) -> Result<Vec<Consumed>, DriverError> {
        let mut got = Vec::new();
        loop {
            let mut raw = [0u8; CPL_BYTES];
            self.bus.mem_read(self.cq.addr(), &mut raw)?;
            let Some(entry) = self.cq.ready(&raw) else { break };
            if self.completed >= self.posted {
                return Err(DriverError(format!(
                    "completion at CQ index {} (cookie {:#x}) while no send is outstanding",
                    self.cq.index(),
                    entry.cookie
                )));
            }
            got.push(Consumed { index: self.cq.index(), raw, entry });
            self.log.push(raw);
            self.cq.advance();
            self.completed += 1;
        }
        if !got.is_empty() {
            self.bus.reg_write(regs::CQ_HEAD, self.cq.index())?;
        }
        Ok(got)
    }

    /// Post the scenario's sends in file order (as the ring has room; payload bytes from
    /// the scenario's seed) and consume completions until every send has completed.
    /// `max_idle_polls` bounds the polls in a row that find nothing.
    pub fn run_sends(&mut self, sc: &Scenario, max_idle_polls: u64) -> Result<(), DriverError> {
        let mut next = 0usize;
        let mut idle = 0u64;
        let mut payload = Vec::new();
        while self.completed < sc.sends.len() as u64 {
            while next < sc.sends.len() && self.has_room() {
                let s = &sc.sends[next];
                let n = if s.len <= txoe_model::layout::MAX_SEND_LEN { s.len as usize } else { 0 };
                payload.resize(n, 0);
                fill_payload(sc.env.seed, next as u64, &mut payload);
                let p = Post {
                    len: s.len,
                    conn: s.conn,
                    flags: s.flags(),
                    cookie: sc.cookie(next),
                    buf_offset: s.buf_offset,
                };
                self.post(&p, &payload)?;
                next += 1;
            }
            if self.poll()?.is_empty() {
                idle += 1;
                if idle > max_idle_polls {
                    return Err(DriverError(format!(
                        "no completion after {max_idle_polls} polls: {} of {} sends completed, {} posted",
                        self.completed,
                        sc.sends.len(),
                        self.posted
                    )));
                }
                self.bus.pause()?;
            } else {
                idle = 0;
            }
        }
        Ok(())
    }

    /// Wait until `STATUS.busy` is clear, at most [`IDLE_POLLS`] reads: the engine may
    /// still be busy after the last completion (the read beats of a request that ended
    /// with a DMA error can still be arriving). Returns whether it is idle.
    pub fn wait_idle(&mut self) -> Result<bool, DriverError> {
        for _ in 0..IDLE_POLLS {
            if self.bus.reg_read(regs::STATUS)? & regs::STATUS_BUSY == 0 {
                return Ok(true);
            }
            self.bus.pause()?;
        }
        Ok(false)
    }

    /// Read back the registers of [`read_back_list`] for `connections` as they are now
    /// (after [`Driver::wait_idle`] for the final values).
    pub fn read_back(&mut self, connections: impl IntoIterator<Item = u16>) -> Result<RegisterFile, DriverError> {
        let mut rf = RegisterFile::default();
        for (name, addr) in read_back_list(connections) {
            let v = self.bus.reg_read(addr)?;
            rf.values.insert(name, v);
        }
        Ok(rf)
    }

    /// The CQ dump of everything consumed so far (see [`crate::bringup::cqdump`]).
    pub fn cq_dump(&self) -> CqDump {
        CqDump { base: self.setup.cq_base, log2: self.setup.cq_log2, entries: self.log.clone() }
    }
}
