//! Functional coverage: counters of the events that matter, gathered from a run's ports
//! alone by a [`CoverageMonitor`], kept in a [`Coverage`] value that adds up over runs.
//!
//! The monitor decodes what the ports carry: register writes and read-backs on `s_axil`
//! (the ring geometry, the host's `CQ_HEAD`, `ERR`), descriptor fetches on `m_axi` AR/R
//! (a read burst inside the TX ring; the k-th fetch after reset is descriptor `k mod S`, as
//! the engine fetches in ring order), completion batches on AW/W/B (counted when their
//! write response is OKAY) and frames on `m_axis_tx` (parsed with `etherparse` at `tlast`).
//! Completion entries are matched with the descriptors in ring order.
//!
//! Each [`Point`] counts occurrences (see [`Point::describe`] and `docs/verification.md`).

use std::collections::VecDeque;
use std::fmt::Write as _;

use etherparse::{
    ether_type, ip_number, Ethernet2Header, Icmpv4Slice, Icmpv6Slice, IpHeaders, IpPayloadSlice,
    SingleVlanHeader, TcpHeader, UdpHeader,
};
use txoe_model::layout::{CloseReason, CompletionEntry, Descriptor, Status, CPL_BYTES, DESC_BYTES};
use txoe_model::ports::{bus_byte, Inputs, Outputs};
use txoe_model::regs;

/// Consecutive cycles of `tvalid && !tready` that make a long stall.
pub const LONG_STALL_CYCLES: u64 = 16;

macro_rules! points {
    ($($v:ident = $name:literal : $desc:literal,)+) => {
        /// A coverage point.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Point { $($v,)+ }

        impl Point {
            /// Every point, in table order.
            pub const ALL: &'static [Point] = &[$(Point::$v,)+];

            /// The point's name in the table.
            pub fn name(self) -> &'static str {
                match self { $(Point::$v => $name,)+ }
            }

            /// What one hit is.
            pub fn describe(self) -> &'static str {
                match self { $(Point::$v => $desc,)+ }
            }
        }
    };
}

points! {
    Ipv4IdWrap = "ipv4_id_wrap": "an IPv4 frame with ID 0x8000 right after one with 0xFFFF",
    Ipv6FragIdWrap = "ipv6_frag_id_wrap": "an IPv6 fragment ID 0x80000000 right after 0xFFFFFFFF",
    CloseMaxBatch = "close.max_batch": "a batch written with close reason max_batch",
    CloseTimeout = "close.timeout": "a batch written with close reason timeout",
    CloseImmediate = "close.immediate": "a batch written with close reason immediate",
    CloseRingEnd = "close.ring_end": "a batch written with close reason ring_end",
    StatusOk = "status.ok": "a completion written with status ok",
    StatusReservedBits = "status.reserved_bits": "a completion written with status reserved_bits",
    StatusBadLength = "status.bad_length": "a completion written with status bad_length",
    StatusTooLong = "status.too_long": "a completion written with status too_long",
    StatusBadConn = "status.bad_conn": "a completion written with status bad_conn",
    StatusInvalidCtx = "status.invalid_ctx": "a completion written with status invalid_ctx",
    StatusMssTooSmall = "status.mss_too_small": "a completion written with status mss_too_small",
    StatusDmaError = "status.dma_error": "a completion written with status dma_error",
    CqFull = "cq_full": "the CQ full (S - 1 entries not released by CQ_HEAD) while a fetched request's completion is not written",
    TxRingWrap = "tx_ring_wrap": "a descriptor fetch of index 0 after index S - 1",
    CqRingWrap = "cq_ring_wrap": "a batch whose phase differs from the previous batch's",
    LongTreadyStall = "long_tready_stall": "tvalid high and tready low for 16 consecutive cycles",
    UnalignedBuffer = "unaligned_buffer": "a request completed ok whose buffer address is not a multiple of DATA_W/8",
    Width64 = "data_width.64": "a run at DATA_W = 64",
    Width128 = "data_width.128": "a run at DATA_W = 128",
    Width256 = "data_width.256": "a run at DATA_W = 256",
    Width512 = "data_width.512": "a run at DATA_W = 512",
    FrameIpv4 = "frame.ipv4": "an IPv4 frame without VLAN tag",
    FrameIpv4Vlan = "frame.ipv4_vlan": "an IPv4 frame with an 802.1Q tag",
    FrameIpv6 = "frame.ipv6": "an IPv6 frame without VLAN tag",
    FrameIpv6Vlan = "frame.ipv6_vlan": "an IPv6 frame with an 802.1Q tag",
    FrameIpv6FragHeader = "frame.ipv6_frag_header": "an IPv6 frame with a fragment header",
    FrameIpv6NoFragHeader = "frame.ipv6_no_frag_header": "an IPv6 frame without fragment header",
    MultiSegment = "multi_segment_send": "a request completed ok with two or more segments",
    ErrDoorbell = "err.doorbell": "ERR read back with DOORBELL set",
    ErrDescFetch = "err.desc_fetch": "ERR read back with DESC_FETCH set",
    ErrCplWrite = "err.cpl_write": "ERR read back with CPL_WRITE set",
    ErrConfig = "err.config": "ERR read back with CONFIG set",
    ResetDuringTraffic = "reset_during_traffic": "rst raised while a request, a burst or a frame was in flight",
}

impl Point {
    /// The point of a completion status code (`None` for codes the engine never writes).
    pub fn of_status(code: u8) -> Option<Point> {
        Some(match Status::from_code(code)? {
            Status::Ok => Point::StatusOk,
            Status::ReservedBits => Point::StatusReservedBits,
            Status::BadLength => Point::StatusBadLength,
            Status::TooLong => Point::StatusTooLong,
            Status::BadConn => Point::StatusBadConn,
            Status::InvalidCtx => Point::StatusInvalidCtx,
            Status::MssTooSmall => Point::StatusMssTooSmall,
            Status::DmaError => Point::StatusDmaError,
            Status::Unsupported => return None,
        })
    }

    pub fn of_reason(r: CloseReason) -> Point {
        match r {
            CloseReason::MaxBatch => Point::CloseMaxBatch,
            CloseReason::Timeout => Point::CloseTimeout,
            CloseReason::Immediate => Point::CloseImmediate,
            CloseReason::RingEnd => Point::CloseRingEnd,
        }
    }

    /// The point of a data width (`None` for one the engine does not support).
    pub fn of_width(data_w: u32) -> Option<Point> {
        Some(match data_w {
            64 => Point::Width64,
            128 => Point::Width128,
            256 => Point::Width256,
            512 => Point::Width512,
            _ => return None,
        })
    }

    /// The group of the table the point is listed in, and its name there.
    pub fn group(self) -> (&'static str, &'static str) {
        let name = self.name();
        match name.split_once('.') {
            Some((g, item)) => (g, item),
            None => match self {
                Point::Ipv4IdWrap | Point::Ipv6FragIdWrap => ("ids", name),
                Point::CqFull | Point::TxRingWrap | Point::CqRingWrap => ("rings", name),
                _ => ("traffic", name),
            },
        }
    }

    /// The point with this name.
    pub fn from_name(name: &str) -> Option<Point> {
        Point::ALL.iter().copied().find(|p| p.name() == name)
    }
}

/// Hit counts of every [`Point`], over one run or many.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    hits: Vec<u64>,
    /// Runs merged into this value.
    pub runs: u64,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            hits: vec![0; Point::ALL.len()],
            runs: 0,
        }
    }
}

impl Coverage {
    pub fn new() -> Self {
        Coverage::default()
    }

    pub fn hit(&mut self, p: Point) {
        self.hits[p as usize] += 1;
    }

    pub fn count(&self, p: Point) -> u64 {
        self.hits[p as usize]
    }

    /// Add `other`'s counts (and runs) to these.
    pub fn merge(&mut self, other: &Coverage) {
        for (a, b) in self.hits.iter_mut().zip(&other.hits) {
            *a += b;
        }
        self.runs += other.runs;
    }

    /// The points with no hit, in table order.
    pub fn unhit(&self) -> Vec<Point> {
        Point::ALL
            .iter()
            .copied()
            .filter(|&p| self.count(p) == 0)
            .collect()
    }

    /// The table: a heading with the points hit, then one line per group of points, each
    /// point with its count (`-` for none); a point named `group.item` is listed as `item`
    /// in its group's line.
    ///
    /// ```text
    /// coverage: 8 of 35 points hit (1 run)
    ///   ids: ipv4_id_wrap 1, ipv6_frag_id_wrap -
    ///   close: max_batch -, timeout 3, immediate 3, ring_end -
    /// ```
    pub fn table(&self) -> String {
        let hit = Point::ALL.len() - self.unhit().len();
        let mut s = format!(
            "coverage: {hit} of {} points hit ({} run{})\n",
            Point::ALL.len(),
            self.runs,
            if self.runs == 1 { "" } else { "s" }
        );
        let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
        for &p in Point::ALL {
            let n = self.count(p);
            let v = if n == 0 {
                "-".to_string()
            } else {
                n.to_string()
            };
            let (group, item) = p.group();
            let cell = format!("{item} {v}");
            match groups.iter_mut().find(|(g, _)| *g == group) {
                Some((_, cells)) => cells.push(cell),
                None => groups.push((group, vec![cell])),
            }
        }
        for (group, cells) in groups {
            let _ = writeln!(s, "  {group}: {}", cells.join(", "));
        }
        s
    }
}

/// A read burst accepted and not fully returned.
#[derive(Debug)]
struct ReadBurst {
    beats_left: u32,
    /// For a descriptor fetch: the descriptor's byte offset in the burst, and the bytes
    /// so far.
    desc: Option<(usize, Vec<u8>)>,
}

/// Gathers [`Coverage`] from one run's ports. Call [`CoverageMonitor::observe`] every
/// cycle, reset cycles included.
#[derive(Debug)]
pub struct CoverageMonitor {
    bw: usize,
    cov: Coverage,

    // The register view, from s_axil.
    lite_aw: VecDeque<u32>,
    lite_w: VecDeque<u32>,
    lite_ar: VecDeque<u32>,
    tx_base: u64,
    tx_log2: u32,
    cq_log2: u32,
    cq_head: u32,

    // m_axi reads.
    reads: VecDeque<ReadBurst>,
    fetches: u64,
    /// Buffer addresses of the descriptors fetched and not yet completed, in ring order.
    descs: VecDeque<u64>,

    // m_axi writes.
    aw: u32,
    burst: Vec<u8>,
    bursts: VecDeque<Vec<u8>>,
    cq_tail: u32,
    completions: u64,
    phase: bool,
    cq_full: bool,

    // m_axis_tx.
    frame: Vec<u8>,
    stall: u64,
    last_ipv4_id: Option<u16>,
    last_frag_id: Option<u32>,

    in_reset: bool,
}

impl CoverageMonitor {
    /// A monitor for a run at `data_w` bits (the run's data-width point is hit).
    pub fn new(data_w: u32) -> Self {
        let mut cov = Coverage {
            runs: 1,
            ..Coverage::default()
        };
        if let Some(p) = Point::of_width(data_w) {
            cov.hit(p);
        }
        let mut m = CoverageMonitor {
            bw: (data_w / 8) as usize,
            cov,
            lite_aw: VecDeque::new(),
            lite_w: VecDeque::new(),
            lite_ar: VecDeque::new(),
            tx_base: 0,
            tx_log2: 0,
            cq_log2: 0,
            cq_head: 0,
            reads: VecDeque::new(),
            fetches: 0,
            descs: VecDeque::new(),
            aw: 0,
            burst: Vec::new(),
            bursts: VecDeque::new(),
            cq_tail: 0,
            completions: 0,
            phase: true,
            cq_full: false,
            frame: Vec::new(),
            stall: 0,
            last_ipv4_id: None,
            last_frag_id: None,
            in_reset: false,
        };
        m.reset();
        m
    }

    /// The coverage gathered so far.
    pub fn coverage(&self) -> &Coverage {
        &self.cov
    }

    /// Back to the state after reset (the registers' reset values, nothing in flight).
    fn reset(&mut self) {
        self.lite_aw.clear();
        self.lite_w.clear();
        self.lite_ar.clear();
        self.tx_base = 0;
        self.tx_log2 = regs::RING_LOG2_RESET;
        self.cq_log2 = regs::RING_LOG2_RESET;
        self.cq_head = 0;
        self.reads.clear();
        self.fetches = 0;
        self.descs.clear();
        self.aw = 0;
        self.burst.clear();
        self.bursts.clear();
        self.cq_tail = 0;
        self.completions = 0;
        self.phase = true;
        self.cq_full = false;
        self.frame.clear();
        self.stall = 0;
        self.last_ipv4_id = None;
        self.last_frag_id = None;
    }

    /// True while a request, a burst or a frame is in flight.
    fn busy(&self, out: &Outputs) -> bool {
        self.fetches > self.completions
            || !self.reads.is_empty()
            || self.aw > 0
            || !self.frame.is_empty()
            || out.m_axis_tx_tvalid
            || out.m_axi_arvalid
            || out.m_axi_awvalid
    }

    /// Follow one cycle.
    pub fn observe(&mut self, _cycle: u64, inp: &Inputs, out: &Outputs) {
        if inp.rst {
            if !self.in_reset && self.busy(out) {
                self.cov.hit(Point::ResetDuringTraffic);
            }
            self.in_reset = true;
            self.reset();
            return;
        }
        self.in_reset = false;
        if Self::quiet(inp, out) {
            // No handshake and no beat on the stream: nothing to count, and the CQ
            // occupancy (a function of what the handshakes changed) is as last cycle.
            self.stall = 0;
            return;
        }
        self.registers(inp, out);
        self.read_side(inp, out);
        self.write_side(inp, out);
        self.stream(inp, out);

        let s = 1u32 << self.cq_log2;
        let used = self.cq_tail.wrapping_sub(self.cq_head) % s;
        let full = used == s - 1 && self.fetches > self.completions;
        if full && !self.cq_full {
            self.cov.hit(Point::CqFull);
        }
        self.cq_full = full;
    }

    /// True on a cycle without any handshake on `s_axil` or `m_axi` and without `tvalid`.
    #[inline(always)]
    fn quiet(inp: &Inputs, out: &Outputs) -> bool {
        !((inp.s_axil_awvalid && out.s_axil_awready)
            || (inp.s_axil_wvalid && out.s_axil_wready)
            || (out.s_axil_rvalid && inp.s_axil_rready)
            || (inp.s_axil_arvalid && out.s_axil_arready)
            || (inp.m_axi_rvalid && out.m_axi_rready)
            || (out.m_axi_arvalid && inp.m_axi_arready)
            || (out.m_axi_awvalid && inp.m_axi_awready)
            || (out.m_axi_wvalid && inp.m_axi_wready)
            || (inp.m_axi_bvalid && out.m_axi_bready)
            || out.m_axis_tx_tvalid)
    }

    fn registers(&mut self, inp: &Inputs, out: &Outputs) {
        if inp.s_axil_awvalid && out.s_axil_awready {
            self.lite_aw.push_back(inp.s_axil_awaddr);
        }
        if inp.s_axil_wvalid && out.s_axil_wready {
            self.lite_w.push_back(inp.s_axil_wdata);
        }
        while !self.lite_aw.is_empty() && !self.lite_w.is_empty() {
            let (a, d) = (
                self.lite_aw.pop_front().unwrap(),
                self.lite_w.pop_front().unwrap(),
            );
            self.register_write(a, d);
        }
        if out.s_axil_rvalid && inp.s_axil_rready {
            if let Some(a) = self.lite_ar.pop_front() {
                self.register_read(a, out.s_axil_rdata);
            }
        }
        if inp.s_axil_arvalid && out.s_axil_arready {
            self.lite_ar.push_back(inp.s_axil_araddr);
        }
    }

    fn register_write(&mut self, addr: u32, data: u32) {
        let log2_ok = (1..=regs::RING_LOG2_MAX).contains(&data);
        match addr {
            regs::TX_BASE_LO => {
                self.tx_base = (self.tx_base & !0xFFFF_FFFF) | u64::from(data & !0xFFF)
            }
            regs::TX_BASE_HI => self.tx_base = (self.tx_base & 0xFFFF_FFFF) | u64::from(data) << 32,
            regs::TX_LOG2 if log2_ok => self.tx_log2 = data,
            regs::CQ_LOG2 if log2_ok => self.cq_log2 = data,
            regs::CQ_HEAD => self.cq_head = data % (1 << self.cq_log2),
            _ => {}
        }
    }

    fn register_read(&mut self, addr: u32, data: u32) {
        if addr == regs::ERR {
            for (bit, p) in [
                (regs::ERR_DOORBELL, Point::ErrDoorbell),
                (regs::ERR_DESC_FETCH, Point::ErrDescFetch),
                (regs::ERR_CPL_WRITE, Point::ErrCplWrite),
                (regs::ERR_CONFIG, Point::ErrConfig),
            ] {
                if data & bit != 0 {
                    self.cov.hit(p);
                }
            }
        }
    }

    fn read_side(&mut self, inp: &Inputs, out: &Outputs) {
        if inp.m_axi_rvalid && out.m_axi_rready {
            if let Some(b) = self.reads.front_mut() {
                if let Some((_, bytes)) = &mut b.desc {
                    bytes.extend((0..self.bw).map(|l| bus_byte(&inp.m_axi_rdata, l)));
                }
                b.beats_left -= 1;
                if b.beats_left == 0 {
                    let b = self.reads.pop_front().expect("the burst just read");
                    if let Some((off, bytes)) = b.desc {
                        if let Some(d) = bytes.get(off..off + DESC_BYTES) {
                            let d = Descriptor::decode(d.try_into().expect("32 bytes"));
                            self.descs.push_back(d.buf_addr);
                        }
                    }
                }
            }
        }
        if out.m_axi_arvalid && inp.m_axi_arready {
            let size = 1u64 << self.tx_log2;
            let ring =
                self.tx_base & !(self.bw as u64 - 1)..self.tx_base + DESC_BYTES as u64 * size;
            let desc = ring.contains(&out.m_axi_araddr).then(|| {
                let idx = self.fetches % size;
                if idx == 0 && self.fetches > 0 {
                    self.cov.hit(Point::TxRingWrap);
                }
                self.fetches += 1;
                let at = self.tx_base + DESC_BYTES as u64 * idx;
                (
                    (at.saturating_sub(out.m_axi_araddr)) as usize,
                    Vec::with_capacity(DESC_BYTES.max(self.bw)),
                )
            });
            self.reads.push_back(ReadBurst {
                beats_left: u32::from(out.m_axi_arlen) + 1,
                desc,
            });
        }
    }

    fn write_side(&mut self, inp: &Inputs, out: &Outputs) {
        if out.m_axi_awvalid && inp.m_axi_awready {
            self.aw += 1;
        }
        if out.m_axi_wvalid && inp.m_axi_wready {
            for lane in 0..self.bw {
                if out.m_axi_wstrb >> lane & 1 != 0 {
                    self.burst.push(bus_byte(&out.m_axi_wdata, lane));
                }
            }
            if out.m_axi_wlast {
                self.bursts.push_back(std::mem::take(&mut self.burst));
            }
        }
        if inp.m_axi_bvalid && out.m_axi_bready {
            self.aw = self.aw.saturating_sub(1);
            if let Some(bytes) = self.bursts.pop_front() {
                if inp.m_axi_bresp == 0 {
                    self.batch(&bytes);
                }
            }
        }
    }

    fn batch(&mut self, bytes: &[u8]) {
        let entries: Vec<CompletionEntry> = bytes
            .chunks_exact(CPL_BYTES)
            .map(|c| CompletionEntry::decode(c.try_into().expect("16 bytes")))
            .collect();
        let Some(last) = entries.last() else { return };
        self.cov.hit(Point::of_reason(last.reason));
        if last.phase != self.phase {
            self.cov.hit(Point::CqRingWrap);
            self.phase = last.phase;
        }
        for e in &entries {
            if let Some(p) = Point::of_status(e.status) {
                self.cov.hit(p);
            }
            let ok = e.status == Status::Ok as u8;
            if ok && e.segments >= 2 {
                self.cov.hit(Point::MultiSegment);
            }
            if let Some(buf) = self.descs.pop_front() {
                if ok && buf % self.bw as u64 != 0 {
                    self.cov.hit(Point::UnalignedBuffer);
                }
            }
        }
        let k = entries.len() as u32;
        self.completions += u64::from(k);
        self.cq_tail = (self.cq_tail + k) % (1 << self.cq_log2);
    }

    fn stream(&mut self, inp: &Inputs, out: &Outputs) {
        if out.m_axis_tx_tvalid && !inp.m_axis_tx_tready {
            self.stall += 1;
            if self.stall == LONG_STALL_CYCLES {
                self.cov.hit(Point::LongTreadyStall);
            }
        } else {
            self.stall = 0;
        }
        if !(out.m_axis_tx_tvalid && inp.m_axis_tx_tready) {
            return;
        }
        // The first n lanes, a word at a time.
        let n = (out.m_axis_tx_tkeep.count_ones() as usize).min(self.bw);
        let words = n.div_ceil(8);
        for w in &out.m_axis_tx_tdata[..words] {
            self.frame.extend_from_slice(&w.to_le_bytes());
        }
        self.frame.truncate(self.frame.len() + n - 8 * words);
        if out.m_axis_tx_tlast {
            // The next frame is likely as long: no regrowth beat by beat.
            let len = self.frame.len();
            let frame = std::mem::replace(&mut self.frame, Vec::with_capacity(len));
            self.frame_done(&frame);
        }
    }

    fn frame_done(&mut self, frame: &[u8]) {
        let Some(h) = FrameHeaders::parse(frame) else {
            return;
        };
        let vlan = h.vlan;
        match h.ip {
            Some(FrameIp::V4 { id }) => {
                self.cov.hit(if vlan {
                    Point::FrameIpv4Vlan
                } else {
                    Point::FrameIpv4
                });
                if self.last_ipv4_id == Some(0xFFFF) && id == 0x8000 {
                    self.cov.hit(Point::Ipv4IdWrap);
                }
                self.last_ipv4_id = Some(id);
            }
            Some(FrameIp::V6 { frag_id }) => {
                self.cov.hit(if vlan {
                    Point::FrameIpv6Vlan
                } else {
                    Point::FrameIpv6
                });
                match frag_id {
                    Some(fid) => {
                        self.cov.hit(Point::FrameIpv6FragHeader);
                        if self.last_frag_id == Some(0xFFFF_FFFF) && fid == 0x8000_0000 {
                            self.cov.hit(Point::Ipv6FragIdWrap);
                        }
                        self.last_frag_id = Some(fid);
                    }
                    None => self.cov.hit(Point::FrameIpv6NoFragHeader),
                }
            }
            None => {}
        }
    }
}

/// The network layer of a frame, as far as coverage needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameIp {
    V4 {
        id: u16,
    },
    /// The identification of the fragment header, if there is one.
    V6 {
        frag_id: Option<u32>,
    },
}

/// What coverage takes from a frame's headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FrameHeaders {
    /// One or two VLAN tags.
    vlan: bool,
    ip: Option<FrameIp>,
}

impl FrameHeaders {
    /// The frame as `etherparse::PacketHeaders::from_ethernet_slice` decodes it: `None`
    /// exactly when that fails. The same header parsers run in the same order (Ethernet II,
    /// up to two VLAN tags, the IP header and its extensions, the transport header unless
    /// the datagram is a fragment), but the several-kilobyte `PacketHeaders` value, which
    /// is moved a few times per parse, is never built.
    fn parse(frame: &[u8]) -> Option<FrameHeaders> {
        use ether_type::{
            IPV4, IPV6, PROVIDER_BRIDGING, VLAN_DOUBLE_TAGGED_FRAME, VLAN_TAGGED_FRAME,
        };
        let (eth, mut rest) = Ethernet2Header::from_slice(frame).ok()?;
        let mut et = eth.ether_type;
        let mut vlan = false;
        if matches!(
            et,
            VLAN_TAGGED_FRAME | PROVIDER_BRIDGING | VLAN_DOUBLE_TAGGED_FRAME
        ) {
            let (outer, r) = SingleVlanHeader::from_slice(rest).ok()?;
            rest = r;
            et = outer.ether_type;
            vlan = true;
            if matches!(
                et,
                VLAN_TAGGED_FRAME | PROVIDER_BRIDGING | VLAN_DOUBLE_TAGGED_FRAME
            ) {
                let (inner, r) = SingleVlanHeader::from_slice(rest).ok()?;
                rest = r;
                et = inner.ether_type;
            }
        }
        let parsed = match et {
            IPV4 => Some(IpHeaders::from_ipv4_slice(rest).ok()?),
            IPV6 => Some(IpHeaders::from_ipv6_slice(rest).ok()?),
            _ => None,
        };
        let ip = match parsed {
            Some((ip, payload)) => {
                transport_parses(&payload)?;
                Some(match ip {
                    IpHeaders::Ipv4(h, _) => FrameIp::V4 {
                        id: h.identification,
                    },
                    IpHeaders::Ipv6(_, e) => FrameIp::V6 {
                        frag_id: e.fragment.map(|f| f.identification),
                    },
                })
            }
            None => None,
        };
        Some(FrameHeaders { vlan, ip })
    }
}

/// `Some` when the transport header after the IP headers decodes as `PacketHeaders` decodes
/// it (not at all for a fragment or another protocol).
fn transport_parses(p: &IpPayloadSlice<'_>) -> Option<()> {
    if p.fragmented {
        return Some(());
    }
    let ok = match p.ip_number {
        ip_number::ICMP => Icmpv4Slice::from_slice(p.payload).is_ok(),
        ip_number::IPV6_ICMP => Icmpv6Slice::from_slice(p.payload).is_ok(),
        ip_number::UDP => UdpHeader::from_slice(p.payload).is_ok(),
        ip_number::TCP => TcpHeader::from_slice(p.payload).is_ok(),
        _ => true,
    };
    ok.then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_have_unique_names_and_merge_adds() {
        for (i, p) in Point::ALL.iter().enumerate() {
            assert_eq!(*p as usize, i);
            assert_eq!(Point::from_name(p.name()), Some(*p));
        }
        let mut a = Coverage {
            runs: 1,
            ..Coverage::default()
        };
        a.hit(Point::CqFull);
        let mut b = a.clone();
        b.hit(Point::CqFull);
        b.hit(Point::Width64);
        a.merge(&b);
        assert_eq!(
            (a.count(Point::CqFull), a.count(Point::Width64), a.runs),
            (3, 1, 2)
        );
        assert!(!a.unhit().contains(&Point::CqFull) && a.unhit().contains(&Point::Width512));
        let t = a.table();
        assert!(
            t.starts_with(&format!(
                "coverage: 2 of {} points hit (2 runs)\n",
                Point::ALL.len()
            )),
            "{t}"
        );
        assert!(
            t.contains("\n  rings: cq_full 3, tx_ring_wrap -, cq_ring_wrap -\n"),
            "{t}"
        );
        assert!(
            t.contains("\n  data_width: 64 1, 128 -, 256 -, 512 -\n"),
            "{t}"
        );
        // One line per group, every point on one of them.
        let lines: Vec<&str> = t.lines().skip(1).collect();
        assert_eq!(
            lines.iter().map(|l| l.split(", ").count()).sum::<usize>(),
            Point::ALL.len()
        );
        assert_eq!(
            lines.len(),
            [
                "ids",
                "close",
                "status",
                "rings",
                "traffic",
                "data_width",
                "frame",
                "err"
            ]
            .len(),
            "{t}"
        );
    }

    /// The decode coverage used before [`FrameHeaders::parse`]: the whole `PacketHeaders`.
    fn packet_headers(frame: &[u8]) -> Option<FrameHeaders> {
        use etherparse::{NetHeaders, PacketHeaders};
        let p = PacketHeaders::from_ethernet_slice(frame).ok()?;
        let ip = match &p.net {
            Some(NetHeaders::Ipv4(h, _)) => Some(FrameIp::V4 {
                id: h.identification,
            }),
            Some(NetHeaders::Ipv6(_, e)) => Some(FrameIp::V6 {
                frag_id: e.fragment.as_ref().map(|f| f.identification),
            }),
            None => None,
        };
        Some(FrameHeaders {
            vlan: p.vlan.is_some(),
            ip,
        })
    }

    #[test]
    fn the_header_decode_agrees_with_packet_headers() {
        use etherparse::{PacketBuilder, VlanId};
        let data: Vec<u8> = (0..40).map(|i| (i * 7 + 3) as u8).collect();
        let eth = || PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
        let (v4, v6) = (
            [10, 0, 0, 1],
            [
                [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                [0xfe; 16],
            ],
        );
        let mut frames: Vec<Vec<u8>> = Vec::new();
        let mut push = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut v = Vec::new();
            f(&mut v);
            frames.push(v);
        };
        push(&|v| {
            eth()
                .ipv4(v4, [10, 0, 0, 2], 64)
                .tcp(1, 2, 3, 4)
                .write(v, &data)
                .unwrap()
        });
        push(&|v| {
            eth()
                .single_vlan(VlanId::try_new(5).unwrap())
                .ipv4(v4, [10, 0, 0, 2], 64)
                .tcp(1, 2, 3, 4)
                .write(v, &data)
                .unwrap()
        });
        push(&|v| {
            eth()
                .ipv4(v4, [10, 0, 0, 2], 64)
                .udp(1, 2)
                .write(v, &data)
                .unwrap()
        });
        push(&|v| {
            eth()
                .ipv6(v6[0], v6[1], 64)
                .tcp(1, 2, 3, 4)
                .write(v, &data)
                .unwrap()
        });
        push(&|v| {
            eth()
                .single_vlan(VlanId::try_new(9).unwrap())
                .ipv6(v6[0], v6[1], 64)
                .tcp(1, 2, 3, 4)
                .write(v, &data)
                .unwrap()
        });
        push(&|v| {
            eth()
                .ipv6(v6[0], v6[1], 64)
                .icmpv6_echo_request(1, 2)
                .write(v, &data)
                .unwrap()
        });
        push(&|v| {
            eth()
                .ipv4(v4, [10, 0, 0, 2], 64)
                .icmpv4_echo_request(1, 2)
                .write(v, &data)
                .unwrap()
        });
        // IPv6 with a fragment header (offset 0, M clear) before TCP, and as a later fragment.
        for (off_m, id) in [([0u8, 0u8], 0x8000_0000u32), ([0, 0x09], 0xFFFF_FFFF)] {
            let mut v = frames[3].clone();
            let fh = [6u8, 0, off_m[0], off_m[1]]
                .into_iter()
                .chain(id.to_be_bytes())
                .collect::<Vec<u8>>();
            v.splice(54..54, fh);
            v[20] = 44;
            let plen = u16::from_be_bytes([v[18], v[19]]) + 8;
            v[18..20].copy_from_slice(&plen.to_be_bytes());
            frames.push(v);
        }
        // A double tag, an unknown EtherType, an IPv4 fragment.
        let mut qq = frames[1].clone();
        qq.splice(12..12, [0x88, 0xa8, 0, 7]);
        frames.push(qq);
        let mut other = frames[0].clone();
        other[12..14].copy_from_slice(&[0x88, 0xb5]);
        frames.push(other);
        let mut frag = frames[0].clone();
        frag[20] = 0x20;
        frames.push(frag);

        let mut cases = 0;
        for f in &frames {
            // Every truncation, and every byte of the headers changed a few ways.
            for len in 0..=f.len() {
                assert_eq!(
                    FrameHeaders::parse(&f[..len]),
                    packet_headers(&f[..len]),
                    "{f:02x?} cut to {len}"
                );
                cases += 1;
            }
            for i in 0..f.len().min(90) {
                for x in [0x00u8, 0xFF, 0x01, 0x80, 0x0F, 0x40, 0x45, 0x06, 0x11, 0x2C] {
                    let mut g = f.clone();
                    g[i] = x;
                    assert_eq!(FrameHeaders::parse(&g), packet_headers(&g), "{g:02x?}");
                    g[i] = f[i] ^ x;
                    assert_eq!(FrameHeaders::parse(&g), packet_headers(&g), "{g:02x?}");
                    cases += 2;
                }
            }
        }
        assert!(cases > 10_000, "{cases}");
        // The decode sees what coverage counts.
        assert_eq!(FrameHeaders::parse(&frames[1]).map(|h| h.vlan), Some(true));
        assert_eq!(
            FrameHeaders::parse(&frames[7]).map(|h| h.ip),
            Some(Some(FrameIp::V6 {
                frag_id: Some(0x8000_0000)
            }))
        );
    }

    fn rst() -> Inputs {
        Inputs {
            rst: true,
            ..Inputs::default()
        }
    }

    fn tvalid() -> Outputs {
        Outputs {
            m_axis_tx_tvalid: true,
            m_axis_tx_tkeep: 0xFF,
            ..Outputs::default()
        }
    }

    #[test]
    fn a_reset_counts_only_when_something_is_in_flight() {
        let mut m = CoverageMonitor::new(64);
        let idle = Outputs::default();
        let mut c = 0;
        let mut step = |m: &mut CoverageMonitor, i: &Inputs, o: &Outputs| {
            m.observe(c, i, o);
            c += 1;
        };
        // The run's first reset, then an idle reset: nothing in flight.
        for _ in 0..3 {
            step(&mut m, &rst(), &idle);
        }
        step(&mut m, &Inputs::default(), &idle);
        step(&mut m, &rst(), &idle);
        step(&mut m, &Inputs::default(), &idle);
        assert_eq!(m.coverage().count(Point::ResetDuringTraffic), 0);
        // A beat on the stream when rst rises, held over three reset cycles: one hit.
        step(&mut m, &Inputs::default(), &tvalid());
        for _ in 0..3 {
            step(&mut m, &rst(), &tvalid());
        }
        assert_eq!(m.coverage().count(Point::ResetDuringTraffic), 1);
        // A read burst outstanding.
        let ar = Outputs {
            m_axi_arvalid: true,
            m_axi_arlen: 1,
            ..Outputs::default()
        };
        step(&mut m, &Inputs::default(), &idle);
        step(
            &mut m,
            &Inputs {
                m_axi_arready: true,
                ..Inputs::default()
            },
            &ar,
        );
        step(&mut m, &Inputs::default(), &idle);
        step(&mut m, &rst(), &idle);
        assert_eq!(m.coverage().count(Point::ResetDuringTraffic), 2);
    }

    #[test]
    fn a_long_stall_is_sixteen_cycles_and_counts_once() {
        let mut m = CoverageMonitor::new(64);
        let ready = Inputs {
            m_axis_tx_tready: true,
            ..Inputs::default()
        };
        let mut c = 0;
        let mut stall = |m: &mut CoverageMonitor, n: u64| {
            for _ in 0..n {
                m.observe(c, &Inputs::default(), &tvalid());
                c += 1;
            }
            m.observe(c, &ready, &tvalid());
            c += 1;
        };
        stall(&mut m, LONG_STALL_CYCLES - 1);
        assert_eq!(m.coverage().count(Point::LongTreadyStall), 0);
        stall(&mut m, LONG_STALL_CYCLES);
        assert_eq!(m.coverage().count(Point::LongTreadyStall), 1);
        stall(&mut m, 3 * LONG_STALL_CYCLES);
        assert_eq!(m.coverage().count(Point::LongTreadyStall), 2);
    }
}
