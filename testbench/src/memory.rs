//! Host memory: a sparse byte store and the AXI4 slave the engine's `m_axi_*` master
//! talks to.
//!
//! The slave is a Moore machine: [`AxiMemory::drive`] sets its outputs from its state
//! alone, [`AxiMemory::observe`] applies the handshakes of the cycle and draws the random
//! choices for the next one. Per cycle it does no allocation (its queues are sized once).
//!
//! Read channel: AR is accepted while fewer than four bursts are pending; the first R
//! beat of a burst comes no earlier than `latency` cycles after its AR handshake, the
//! latency drawn per burst within `env.mem_latency`; then one beat per cycle while the
//! master is ready, with idle cycles at `env.mem_gap_percent`. A beat carries the memory
//! bytes of its aligned address on little-endian byte lanes.
//!
//! Write channel: AW and W are accepted independently (W must belong to an AW accepted
//! on the same cycle or earlier); bytes are written with `wstrb`. A burst's bytes become
//! visible in memory on the cycle its B response is raised, one to four cycles after
//! `wlast`, and B is held until `bready`. A host polling memory thus never sees a
//! completion batch before the engine can take the write response.
//!
//! Faults ([`AxiMemory::arm`], [`AxiMemory::set_write_error`]): a read burst may carry
//! RRESP = SLVERR on one beat (a descriptor fetch or a payload read, on a chosen beat), and one completion write may be answered with BRESP = SLVERR, its bytes
//! then never reaching memory. Each fault fires once and is reported by
//! [`AxiMemory::take_fired`] on the cycle its response is taken. [`AxiMemory::reset`]
//! drops every burst in flight and every armed read fault (memory contents stay).
//!
//! Protocol checks (each an [`EnvError`] on port `m_axi_ar`, `m_axi_aw`, `m_axi_w` or
//! `m_axi_r`): burst type other than INCR, size other than log2(DATA_W/8), `arlen` over
//! 15, a burst crossing a 4 KiB boundary, `wlast` on the wrong beat, a W beat without an
//! AW, and a valid dropped or its payload changed before its ready.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use txoe_cosim::EnvError;
use txoe_model::ports::{bus_byte, set_bus_byte, Bus, Inputs, Outputs, MAX_DATA_WORDS};

use crate::payload::env_rng;

/// Bytes per memory page.
pub const PAGE: usize = 4096;

/// AXI burst type INCR.
pub const BURST_INCR: u8 = 1;

/// Most read bursts accepted and not yet fully returned.
const READ_QUEUE: usize = 4;
/// Most write bursts accepted (AW) and not yet answered (B).
const WRITE_QUEUE: usize = 4;

/// Hasher for page numbers: a multiplicative mix, enough for keys that are small
/// integers and far cheaper than SipHash on the per-beat path.
#[derive(Default)]
pub struct PageHasher(u64);

impl Hasher for PageHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
}

/// Sparse byte-addressed memory; pages never written read as zero.
#[derive(Default)]
pub struct SparseMemory {
    pages: HashMap<u64, Box<[u8; PAGE]>, BuildHasherDefault<PageHasher>>,
}

impl SparseMemory {
    pub fn new() -> Self {
        SparseMemory::default()
    }

    fn page_mut(&mut self, page: u64) -> &mut [u8; PAGE] {
        self.pages
            .entry(page)
            .or_insert_with(|| Box::new([0u8; PAGE]))
    }

    /// Copy `buf.len()` bytes starting at `addr` into `buf`.
    pub fn read(&self, mut addr: u64, buf: &mut [u8]) {
        let mut done = 0;
        while done < buf.len() {
            let off = (addr % PAGE as u64) as usize;
            let n = (PAGE - off).min(buf.len() - done);
            match self.pages.get(&(addr / PAGE as u64)) {
                Some(p) => buf[done..done + n].copy_from_slice(&p[off..off + n]),
                None => buf[done..done + n].fill(0),
            }
            done += n;
            addr = addr.wrapping_add(n as u64);
        }
    }

    /// Write `data` starting at `addr`.
    pub fn write(&mut self, mut addr: u64, data: &[u8]) {
        let mut done = 0;
        while done < data.len() {
            let off = (addr % PAGE as u64) as usize;
            let n = (PAGE - off).min(data.len() - done);
            self.page_mut(addr / PAGE as u64)[off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
            addr = addr.wrapping_add(n as u64);
        }
    }

    pub fn read_u8(&self, addr: u64) -> u8 {
        self.pages
            .get(&(addr / PAGE as u64))
            .map_or(0, |p| p[(addr % PAGE as u64) as usize])
    }

    /// Drop every page lying wholly inside `[addr, addr + len)`; they read as zero again.
    pub fn free(&mut self, addr: u64, len: u64) {
        let first = addr.div_ceil(PAGE as u64);
        let end = (addr + len) / PAGE as u64;
        for p in first..end {
            self.pages.remove(&p);
        }
    }

    /// Pages currently held.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// One bus beat of `bytes` bytes at the `bytes`-aligned address `addr` (never crosses
    /// a page).
    fn read_beat(&self, addr: u64, bytes: usize, out: &mut Bus) {
        *out = [0; MAX_DATA_WORDS];
        if let Some(p) = self.pages.get(&(addr / PAGE as u64)) {
            let off = (addr % PAGE as u64) as usize;
            for (w, chunk) in p[off..off + bytes].chunks_exact(8).enumerate() {
                out[w] = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
            }
        }
    }

    /// Write the bytes of `data` whose `strb` bit is set to the aligned beat at `addr`.
    fn write_beat(&mut self, addr: u64, bytes: usize, data: &Bus, strb: u64) {
        if strb == 0 {
            return;
        }
        let off = (addr % PAGE as u64) as usize;
        let page = self.page_mut(addr / PAGE as u64);
        for i in 0..bytes {
            if strb >> i & 1 != 0 {
                page[off + i] = bus_byte(data, i);
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct ReadBurst {
    /// Aligned address of beat 0.
    addr: u64,
    beats: u32,
    next: u32,
    /// First cycle beat 0 may be presented.
    ready_at: u64,
    /// The beat answered with SLVERR, and the tag of its fault.
    err: Option<(u32, u64)>,
}

/// AXI response SLVERR.
pub const RESP_SLVERR: u8 = 2;

/// A read fault waiting for its burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFault {
    /// Descriptor fetch number `n` (0-based: read bursts inside the region of
    /// [`AxiMemory::set_desc_region`], counted since the last [`AxiMemory::reset`]) fails
    /// on beat `beat` of its burst (its last beat when the burst is shorter).
    DescFetch { n: u64, beat: u32 },
    /// Beat number `beat` (0-based, counting every beat of every read burst whose address
    /// lies in `[lo, hi)` from the arming on) fails.
    Beat { lo: u64, hi: u64, beat: u64 },
}

/// A fault that took effect: the response carrying it was taken by the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fired {
    pub cycle: u64,
    /// The tag given when the fault was armed; for the write error, its burst number.
    pub tag: u64,
    /// True for the write error, false for a read fault.
    pub write: bool,
}

#[derive(Clone, Copy, Debug)]
struct Armed {
    fault: ReadFault,
    tag: u64,
    /// Bursts (`Burst`) or beats (`Beat`) counted so far.
    seen: u64,
}

#[derive(Clone, Copy, Debug)]
struct WriteBurst {
    addr: u64,
    beats: u32,
    done: u32,
}

#[derive(Clone, Copy, Debug)]
struct PendingB {
    ready_at: u64,
    /// Staged beats of this burst still to be written to memory.
    staged: u32,
    committed: bool,
    /// Answered with SLVERR: its bytes are dropped.
    error: bool,
    /// Write burst number in the run.
    index: u64,
}

#[derive(Clone, Copy, Debug)]
struct StagedBeat {
    addr: u64,
    data: Bus,
    strb: u64,
}

/// A request payload held while its valid waits for ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AddrReq {
    addr: u64,
    len: u8,
    size: u8,
    burst: u8,
}

/// Timing knobs of the memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemTiming {
    /// Inclusive range of cycles from AR handshake to first R beat (min ≥ 1).
    pub latency: [u32; 2],
    /// Percent chance of an idle cycle on each channel.
    pub gap_percent: u32,
}

/// The AXI4 slave in front of [`SparseMemory`].
pub struct AxiMemory {
    pub mem: SparseMemory,
    bytes: usize,
    size_log2: u8,
    timing: MemTiming,
    rng: ChaCha8Rng,

    reads: VecDeque<ReadBurst>,
    writes: VecDeque<WriteBurst>,
    responses: VecDeque<PendingB>,
    staged: VecDeque<StagedBeat>,

    ar_gap: bool,
    r_gap: bool,
    aw_gap: bool,
    w_gap: bool,

    ar_held: Option<AddrReq>,
    aw_held: Option<AddrReq>,
    w_held: Option<(Bus, u64, bool)>,

    commits: u64,
    read_beats: u64,
    write_beats: u64,

    armed: Vec<Armed>,
    fired: Vec<Fired>,
    /// Write bursts whose last W beat was accepted, in the whole run.
    write_bursts: u64,
    write_error: Option<u64>,
    desc_region: (u64, u64),
    /// Read bursts inside `desc_region` since the last reset.
    desc_bursts: u64,
}

impl AxiMemory {
    pub fn new(data_w: u32, timing: MemTiming, seed: u64) -> Self {
        let bytes = (data_w / 8) as usize;
        AxiMemory {
            mem: SparseMemory::new(),
            bytes,
            size_log2: bytes.trailing_zeros() as u8,
            timing,
            rng: env_rng(seed, b"memory\0\0"),
            reads: VecDeque::with_capacity(READ_QUEUE),
            writes: VecDeque::with_capacity(WRITE_QUEUE),
            responses: VecDeque::with_capacity(WRITE_QUEUE),
            staged: VecDeque::with_capacity(1024),
            ar_gap: false,
            r_gap: false,
            aw_gap: false,
            w_gap: false,
            ar_held: None,
            aw_held: None,
            w_held: None,
            commits: 0,
            read_beats: 0,
            write_beats: 0,
            armed: Vec::new(),
            fired: Vec::new(),
            write_bursts: 0,
            write_error: None,
            desc_region: (0, 0),
            desc_bursts: 0,
        }
    }

    /// Where the descriptors are: read bursts starting in `[lo, hi)` are descriptor
    /// fetches, counted for [`ReadFault::DescFetch`].
    pub fn set_desc_region(&mut self, lo: u64, hi: u64) {
        self.desc_region = (lo, hi);
    }

    /// Arm a read fault; `tag` comes back in [`Fired`] when it takes effect.
    pub fn arm(&mut self, fault: ReadFault, tag: u64) {
        self.armed.push(Armed { fault, tag, seen: 0 });
    }

    /// Answer write burst number `n` of the run (0-based, in the order of their last W
    /// beat) with BRESP = SLVERR and drop its bytes.
    pub fn set_write_error(&mut self, n: Option<u64>) {
        self.write_error = n;
    }

    /// The faults that took effect since the last call.
    pub fn take_fired(&mut self) -> Vec<Fired> {
        std::mem::take(&mut self.fired)
    }

    /// Read faults armed and not yet fired.
    pub fn armed(&self) -> usize {
        self.armed.len()
    }

    /// The reset: every burst in flight is lost, staged write data is dropped, armed read
    /// faults are disarmed; the contents and the counters stay.
    pub fn reset(&mut self) {
        self.reads.clear();
        self.writes.clear();
        self.responses.clear();
        self.staged.clear();
        self.ar_gap = false;
        self.r_gap = false;
        self.aw_gap = false;
        self.w_gap = false;
        self.ar_held = None;
        self.aw_held = None;
        self.w_held = None;
        self.armed.clear();
        self.desc_bursts = 0;
    }

    /// The failing beat of a read burst of `beats` beats at `addr` just accepted, if an
    /// armed fault hits it (the fault is then consumed).
    fn read_fault(&mut self, addr: u64, beats: u32) -> Option<(u32, u64)> {
        let desc = (self.desc_region.0..self.desc_region.1).contains(&addr);
        let desc_n = self.desc_bursts;
        if desc {
            self.desc_bursts += 1;
        }
        let mut hit = None;
        let mut i = 0;
        while i < self.armed.len() {
            let a = &mut self.armed[i];
            let beat = match a.fault {
                ReadFault::DescFetch { n, beat } => {
                    (desc && desc_n == n).then(|| beat.min(beats - 1))
                }
                ReadFault::Beat { lo, hi, beat } if (lo..hi).contains(&addr) => {
                    let b = (beat >= a.seen && beat < a.seen + u64::from(beats))
                        .then(|| (beat - a.seen) as u32);
                    a.seen += u64::from(beats);
                    b
                }
                ReadFault::Beat { .. } => None,
            };
            if let (Some(b), None) = (beat, hit) {
                hit = Some((b, a.tag));
                self.armed.remove(i);
            } else {
                i += 1;
            }
        }
        hit
    }

    /// Number of write bursts made visible so far: it changes whenever memory written by
    /// the engine may have changed.
    pub fn commits(&self) -> u64 {
        self.commits
    }

    /// R beats returned so far.
    pub fn read_beats(&self) -> u64 {
        self.read_beats
    }

    /// W beats accepted so far.
    pub fn write_beats(&self) -> u64 {
        self.write_beats
    }

    /// True when no burst is pending on either channel.
    pub fn idle(&self) -> bool {
        self.reads.is_empty() && self.writes.is_empty() && self.responses.is_empty()
    }

    /// Set the slave's outputs for `cycle` from its state.
    pub fn drive(&mut self, cycle: u64, inp: &mut Inputs) {
        inp.m_axi_arready = self.reads.len() < READ_QUEUE && !self.ar_gap;
        if let Some(b) = self.reads.front() {
            if cycle >= b.ready_at && !self.r_gap {
                inp.m_axi_rvalid = true;
                inp.m_axi_rlast = b.next + 1 == b.beats;
                inp.m_axi_rresp = match b.err {
                    Some((beat, _)) if beat == b.next => RESP_SLVERR,
                    _ => 0,
                };
                let addr = b.addr + u64::from(b.next) * self.bytes as u64;
                self.mem.read_beat(addr, self.bytes, &mut inp.m_axi_rdata);
            }
        }

        inp.m_axi_awready = self.writes.len() + self.responses.len() < WRITE_QUEUE && !self.aw_gap;
        inp.m_axi_wready = !self.w_gap;

        if let Some(b) = self.responses.front_mut() {
            if cycle >= b.ready_at {
                if !b.committed {
                    b.committed = true;
                    for _ in 0..b.staged {
                        let s = self
                            .staged
                            .pop_front()
                            .expect("staged beat of a finished burst");
                        if !b.error {
                            self.mem.write_beat(s.addr, self.bytes, &s.data, s.strb);
                        }
                    }
                    if !b.error {
                        self.commits += 1;
                    }
                }
                inp.m_axi_bvalid = true;
                inp.m_axi_bresp = if b.error { RESP_SLVERR } else { 0 };
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

    /// Check an AR or AW request; returns its aligned start address and beat count.
    fn check_request(
        &self,
        cycle: u64,
        port: &str,
        req: AddrReq,
        max_len: u8,
    ) -> Result<(u64, u32), EnvError> {
        let ch = &port[6..]; // "ar" or "aw"
        if req.burst != BURST_INCR {
            return Err(Self::err(
                cycle,
                port,
                format!("{ch}burst {} is not INCR (1)", req.burst),
            ));
        }
        if req.size != self.size_log2 {
            return Err(Self::err(
                cycle,
                port,
                format!(
                    "{ch}size {} is not log2(DATA_W/8) = {}",
                    req.size, self.size_log2
                ),
            ));
        }
        if req.len > max_len {
            return Err(Self::err(
                cycle,
                port,
                format!("{ch}len {} is over {max_len}", req.len),
            ));
        }
        let beats = u32::from(req.len) + 1;
        let aligned = req.addr & !(self.bytes as u64 - 1);
        let last = aligned + u64::from(beats) * self.bytes as u64 - 1;
        if req.addr >> 12 != last >> 12 {
            return Err(Self::err(
                cycle,
                port,
                format!(
                    "burst at {:#x} of {beats} beats x {} bytes crosses a 4 KiB boundary (last byte {last:#x})",
                    req.addr, self.bytes
                ),
            ));
        }
        Ok((aligned, beats))
    }

    /// Check that a valid that was waiting for ready last cycle is still up, unchanged.
    #[inline(always)]
    fn check_held<T: PartialEq + Copy>(
        cycle: u64,
        port: &str,
        held: Option<T>,
        valid: bool,
        now: T,
    ) -> Result<(), EnvError> {
        match held {
            Some(h) if !valid || h != now => Err(Self::held_error(cycle, port, valid)),
            _ => Ok(()),
        }
    }

    #[cold]
    #[inline(never)]
    fn held_error(cycle: u64, port: &str, valid: bool) -> EnvError {
        if !valid {
            Self::err(cycle, port, "valid dropped before its ready".into())
        } else {
            Self::err(
                cycle,
                port,
                "payload changed while valid was high and ready low".into(),
            )
        }
    }

    /// Apply the handshakes of `cycle` and choose the next cycle's idle gaps.
    pub fn observe(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Result<(), EnvError> {
        // Read address.
        let ar = AddrReq {
            addr: out.m_axi_araddr,
            len: out.m_axi_arlen,
            size: out.m_axi_arsize,
            burst: out.m_axi_arburst,
        };
        Self::check_held(cycle, "m_axi_ar", self.ar_held, out.m_axi_arvalid, ar)?;
        self.ar_held = None;
        if out.m_axi_arvalid && inp.m_axi_arready {
            let (addr, beats) = self.check_request(cycle, "m_axi_ar", ar, 15)?;
            let [lo, hi] = self.timing.latency;
            let latency = if lo == hi {
                lo
            } else {
                self.rng.gen_range(lo..=hi)
            };
            let after = self.reads.back().map_or(0, |b| b.ready_at);
            let err = self.read_fault(addr, beats);
            self.reads.push_back(ReadBurst {
                addr,
                beats,
                next: 0,
                ready_at: (cycle + u64::from(latency.max(1))).max(after),
                err,
            });
        } else if out.m_axi_arvalid {
            self.ar_held = Some(ar);
        }

        // Read data.
        if inp.m_axi_rvalid && out.m_axi_rready {
            let b = self
                .reads
                .front_mut()
                .expect("rvalid implies a pending burst");
            if let Some((beat, tag)) = b.err {
                if beat == b.next {
                    self.fired.push(Fired { cycle, tag, write: false });
                }
            }
            b.next += 1;
            self.read_beats += 1;
            if b.next == b.beats {
                self.reads.pop_front();
            }
        }

        // Write address.
        let aw = AddrReq {
            addr: out.m_axi_awaddr,
            len: out.m_axi_awlen,
            size: out.m_axi_awsize,
            burst: out.m_axi_awburst,
        };
        Self::check_held(cycle, "m_axi_aw", self.aw_held, out.m_axi_awvalid, aw)?;
        self.aw_held = None;
        if out.m_axi_awvalid && inp.m_axi_awready {
            let (addr, beats) = self.check_request(cycle, "m_axi_aw", aw, u8::MAX)?;
            self.writes.push_back(WriteBurst {
                addr,
                beats,
                done: 0,
            });
        } else if out.m_axi_awvalid {
            self.aw_held = Some(aw);
        }

        // Write data (the held beat compared in place, copied only while wready is low).
        if let Some(h) = &self.w_held {
            let same = h.0 == out.m_axi_wdata && h.1 == out.m_axi_wstrb && h.2 == out.m_axi_wlast;
            if !out.m_axi_wvalid || !same {
                return Err(Self::held_error(cycle, "m_axi_w", out.m_axi_wvalid));
            }
        }
        self.w_held = None;
        if out.m_axi_wvalid && inp.m_axi_wready {
            let Some(b) = self.writes.front_mut() else {
                return Err(Self::err(
                    cycle,
                    "m_axi_w",
                    "W beat without an AW accepted for it".into(),
                ));
            };
            let last = b.done + 1 == b.beats;
            if out.m_axi_wlast != last {
                return Err(Self::err(
                    cycle,
                    "m_axi_w",
                    format!(
                        "wlast {} on beat {} of a {}-beat burst at {:#x}",
                        u8::from(out.m_axi_wlast),
                        b.done,
                        b.beats,
                        b.addr
                    ),
                ));
            }
            let strb_mask = if self.bytes >= 64 {
                u64::MAX
            } else {
                (1u64 << self.bytes) - 1
            };
            self.staged.push_back(StagedBeat {
                addr: b.addr + u64::from(b.done) * self.bytes as u64,
                data: out.m_axi_wdata,
                strb: out.m_axi_wstrb & strb_mask,
            });
            b.done += 1;
            self.write_beats += 1;
            if last {
                let beats = b.beats;
                self.writes.pop_front();
                let delay = self.rng.gen_range(1..=4u64);
                let index = self.write_bursts;
                self.write_bursts += 1;
                self.responses.push_back(PendingB {
                    ready_at: cycle + delay,
                    staged: beats,
                    committed: false,
                    error: self.write_error == Some(index),
                    index,
                });
            }
        } else if out.m_axi_wvalid {
            self.w_held = Some((out.m_axi_wdata, out.m_axi_wstrb, out.m_axi_wlast));
        }

        // Write response.
        if inp.m_axi_bvalid && out.m_axi_bready {
            if let Some(b) = self.responses.pop_front() {
                if b.error {
                    self.fired.push(Fired { cycle, tag: b.index, write: true });
                }
            }
        }

        // Idle gaps for the next cycle; a presented R beat stays until taken.
        let p = self.timing.gap_percent;
        if p > 0 {
            self.ar_gap = self.rng.gen_range(0..100) < p;
            self.aw_gap = self.rng.gen_range(0..100) < p;
            self.w_gap = self.rng.gen_range(0..100) < p;
            let r_draw = self.rng.gen_range(0..100) < p;
            if !inp.m_axi_rvalid || out.m_axi_rready {
                self.r_gap = r_draw;
            }
        }
        Ok(())
    }
}

/// Build a bus value from bytes (byte 0 on bits 7:0).
pub fn bus_from_bytes(bytes: &[u8]) -> Bus {
    let mut b = [0u64; MAX_DATA_WORDS];
    for (i, &v) in bytes.iter().enumerate() {
        set_bus_byte(&mut b, i, v);
    }
    b
}
