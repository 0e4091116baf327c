//! Transaction level: whole frames from `m_axis_tx` and whole completion batches (one AW
//! burst and its W beats) from `m_axi`, collected per side, decoded and diffed field by
//! field; and the mapping of a differing data beat onto those fields.

use std::collections::VecDeque;

use etherparse::{
    LinkHeader, NetHeaders, PacketHeaders, SingleVlanHeader, TransportHeader, VlanHeader,
};
use txoe_model::layout::{CompletionEntry, CPL_BYTES};
use txoe_model::ports::{bus_byte, strobe_mask, Bus, Outputs, MAX_DATA_WORDS};

use crate::locate::{completion_field, field_value, frame_field, Endian, FieldSpan};
use crate::lockstep::FieldDiff;

/// Port names used in reports.
pub(crate) const PORT_TX: &str = "m_axis_tx";
pub(crate) const PORT_W: &str = "m_axi_w";

/// One completion write as seen on the bus: its AW (when it was accepted) and its data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// `m_axi_awaddr` of the burst (`None` while its AW has not been accepted).
    pub awaddr: Option<u64>,
    /// `m_axi_awlen` of the burst.
    pub awlen: Option<u8>,
    /// The strobed bytes of all its W beats, in order.
    pub bytes: Vec<u8>,
}

/// Append the lanes of `data` enabled in `strobe` to `buf`.
#[inline]
fn push_lanes(buf: &mut Vec<u8>, data: &Bus, strobe: u64, lanes: usize) {
    let mut s = strobe & strobe_mask(lanes);
    if s & s.wrapping_add(1) == 0 {
        // Lanes 0..n (every beat but a frame's last, and most last ones): whole words.
        let n = s.count_ones() as usize;
        let mut bytes = [0u8; 8 * MAX_DATA_WORDS];
        for (i, w) in data.iter().take(n.div_ceil(8)).enumerate() {
            bytes[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
        }
        buf.extend_from_slice(&bytes[..n]);
        return;
    }
    while s != 0 {
        let lane = s.trailing_zeros() as usize;
        buf.push(bus_byte(data, lane));
        s &= s - 1;
    }
}

/// One side's `m_axis_tx`: the frame being received and finished frames not yet diffed.
#[derive(Debug, Default)]
pub(crate) struct StreamSide {
    pub frame: Vec<u8>,
    pub frames: u64,
    pub done: VecDeque<Vec<u8>>,
}

impl StreamSide {
    /// The reset: a frame in progress is cut and is not a frame.
    fn reset(&mut self) {
        self.frame.clear();
    }

    #[inline]
    pub fn step(&mut self, out: &Outputs, tready: bool, lanes: usize, collect: bool) {
        if !(out.m_axis_tx_tvalid && tready) {
            return;
        }
        if collect {
            push_lanes(&mut self.frame, &out.m_axis_tx_tdata, out.m_axis_tx_tkeep, lanes);
        }
        if out.m_axis_tx_tlast {
            self.frames += 1;
            if collect {
                // The next frame is likely as long: no regrowth beat by beat.
                let len = self.frame.len();
                self.done.push_back(std::mem::replace(&mut self.frame, Vec::with_capacity(len)));
            }
        }
    }
}

/// One side's completion writes: accepted AWs waiting for data, the burst being written,
/// bursts whose data came before their AW, and finished batches not yet diffed.
#[derive(Debug, Default)]
pub(crate) struct WriteSide {
    aws: VecDeque<(u64, u8)>,
    pub burst: Vec<u8>,
    headless: VecDeque<Vec<u8>>,
    pub bursts: u64,
    pub done: VecDeque<Batch>,
}

impl WriteSide {
    /// The reset: a burst in progress is lost.
    fn reset(&mut self) {
        self.aws.clear();
        self.burst.clear();
        self.headless.clear();
    }

    #[inline(always)]
    pub fn step(
        &mut self,
        out: &Outputs,
        awready: bool,
        wready: bool,
        lanes: usize,
        collect: bool,
    ) {
        // Most cycles carry neither an AW nor a W handshake: nothing to follow.
        if (out.m_axi_awvalid && awready) || (out.m_axi_wvalid && wready) {
            self.handshake(out, awready, wready, lanes, collect);
        }
    }

    #[inline(never)]
    fn handshake(
        &mut self,
        out: &Outputs,
        awready: bool,
        wready: bool,
        lanes: usize,
        collect: bool,
    ) {
        if collect && out.m_axi_awvalid && awready {
            let aw = (out.m_axi_awaddr, out.m_axi_awlen);
            match self.headless.pop_front() {
                Some(bytes) => {
                    self.done.push_back(Batch { awaddr: Some(aw.0), awlen: Some(aw.1), bytes })
                }
                None => self.aws.push_back(aw),
            }
        }
        if !(out.m_axi_wvalid && wready) {
            return;
        }
        if collect {
            push_lanes(&mut self.burst, &out.m_axi_wdata, out.m_axi_wstrb, lanes);
        }
        if out.m_axi_wlast {
            self.bursts += 1;
            if collect {
                let bytes = std::mem::take(&mut self.burst);
                match self.aws.pop_front() {
                    Some((a, l)) => {
                        self.done.push_back(Batch { awaddr: Some(a), awlen: Some(l), bytes })
                    }
                    None => self.headless.push_back(bytes),
                }
            }
        }
    }
}

/// Both sides' transaction state and the transaction-level counts.
#[derive(Debug)]
pub(crate) struct Tracker {
    lanes: usize,
    lockstep: bool,
    pub m_tx: StreamSide,
    pub r_tx: StreamSide,
    pub m_wr: WriteSide,
    pub r_wr: WriteSide,
    pub frames_compared: u64,
    pub headers_diffed: u64,
    pub batches_diffed: u64,
}

impl Tracker {
    pub fn new(data_w: u32, lockstep: bool) -> Self {
        Tracker {
            lanes: (data_w / 8) as usize,
            lockstep,
            m_tx: StreamSide::default(),
            r_tx: StreamSide::default(),
            m_wr: WriteSide::default(),
            r_wr: WriteSide::default(),
            frames_compared: 0,
            headers_diffed: 0,
            batches_diffed: 0,
        }
    }

    /// Follow the handshakes of one cycle (`r` is `None` in model-only runs, which only
    /// count frames and batches).
    #[inline(always)]
    pub fn step(&mut self, inp: &txoe_model::ports::Inputs, m: &Outputs, r: Option<&Outputs>) {
        if inp.rst {
            // No handshake happens under reset; what was half done is lost on both sides.
            self.m_tx.reset();
            self.r_tx.reset();
            self.m_wr.reset();
            self.r_wr.reset();
            return;
        }
        let (lanes, collect) = (self.lanes, self.lockstep);
        self.m_tx.step(m, inp.m_axis_tx_tready, lanes, collect);
        self.m_wr.step(m, inp.m_axi_awready, inp.m_axi_wready, lanes, collect);
        if let Some(r) = r {
            self.r_tx.step(r, inp.m_axis_tx_tready, lanes, collect);
            self.r_wr.step(r, inp.m_axi_awready, inp.m_axi_wready, lanes, collect);
        }
    }

    /// True when both sides have finished a frame or a batch not diffed yet.
    #[inline]
    pub fn has_finished(&self) -> bool {
        (!self.m_tx.done.is_empty() && !self.r_tx.done.is_empty())
            || (!self.m_wr.done.is_empty() && !self.r_wr.done.is_empty())
    }

    /// Diff every frame and batch both sides have finished; differences go to `out`.
    pub fn diff_finished(&mut self, out: &mut Vec<FieldDiff>) {
        while !self.m_tx.done.is_empty() && !self.r_tx.done.is_empty() {
            let (m, r) = (
                self.m_tx.done.pop_front().unwrap_or_default(),
                self.r_tx.done.pop_front().unwrap_or_default(),
            );
            if diff_frame(self.frames_compared, &m, &r, out) {
                self.headers_diffed += 1;
            }
            self.frames_compared += 1;
        }
        while !self.m_wr.done.is_empty() && !self.r_wr.done.is_empty() {
            let (m, r) = (
                self.m_wr.done.pop_front().unwrap_or_default(),
                self.r_wr.done.pop_front().unwrap_or_default(),
            );
            diff_batch(self.batches_diffed, &m, &r, out);
            self.batches_diffed += 1;
        }
    }

    /// Replace the raw per-cycle diffs of one cycle by located ones: data-bus words become
    /// header or completion fields, and `m_axis_tx` / `m_axi_w` diffs get their transaction.
    pub fn locate(&self, m: &Outputs, r: &Outputs, raw: Vec<FieldDiff>) -> Vec<FieldDiff> {
        let mut out = Vec::with_capacity(raw.len());
        let (mut tdata_done, mut wdata_done) = (false, false);
        for mut d in raw {
            if d.port == PORT_TX {
                if d.field.starts_with("m_axis_tx_tdata") {
                    if !tdata_done {
                        self.locate_tdata(m, r, &mut out);
                        tdata_done = true;
                    }
                    continue;
                }
                d.transaction = format!("frame={}", self.m_tx.frames);
            } else if d.port == PORT_W {
                if d.field.starts_with("m_axi_wdata") {
                    if !wdata_done {
                        self.locate_wdata(m, r, &mut out);
                        wdata_done = true;
                    }
                    continue;
                }
                d.transaction = format!("batch={}", self.m_wr.bursts);
            }
            out.push(d);
        }
        out
    }

    fn locate_tdata(&self, m: &Outputs, r: &Outputs, out: &mut Vec<FieldDiff>) {
        let txn = format!("frame={}", self.m_tx.frames);
        let mut mbuf = self.m_tx.frame.clone();
        push_lanes(&mut mbuf, &m.m_axis_tx_tdata, m.m_axis_tx_tkeep, self.lanes);
        let mut rbuf = self.r_tx.frame.clone();
        push_lanes(&mut rbuf, &r.m_axis_tx_tdata, r.m_axis_tx_tkeep, self.lanes);
        locate_beat(
            Beat { base: self.m_tx.frame.len(), keep: m.m_axis_tx_tkeep, lanes: self.lanes },
            (&m.m_axis_tx_tdata, &r.m_axis_tx_tdata),
            (&mbuf, &rbuf),
            frame_field,
            Endian::Big,
            (PORT_TX, "m_axis_tx_tdata", &txn),
            out,
        );
    }

    fn locate_wdata(&self, m: &Outputs, r: &Outputs, out: &mut Vec<FieldDiff>) {
        let txn = format!("batch={}", self.m_wr.bursts);
        let mut mbuf = self.m_wr.burst.clone();
        push_lanes(&mut mbuf, &m.m_axi_wdata, m.m_axi_wstrb, self.lanes);
        let mut rbuf = self.r_wr.burst.clone();
        push_lanes(&mut rbuf, &r.m_axi_wdata, r.m_axi_wstrb, self.lanes);
        let from = out.len();
        locate_beat(
            Beat { base: self.m_wr.burst.len(), keep: m.m_axi_wstrb, lanes: self.lanes },
            (&m.m_axi_wdata, &r.m_axi_wdata),
            (&mbuf, &rbuf),
            |_, off| completion_field(off),
            Endian::Little,
            (PORT_W, "m_axi_wdata", &txn),
            out,
        );
        let located: Vec<FieldDiff> = out.drain(from..).collect();
        for d in located {
            match d.field.strip_suffix(".flags") {
                Some(entry) => split_flags(out, PORT_W, &txn, entry, d.model as u8, d.rtl as u8),
                None => out.push(d),
            }
        }
    }
}

/// Where a beat sits in its transaction: bytes before it, its enabled lanes (model side).
struct Beat {
    base: usize,
    keep: u64,
    lanes: usize,
}

/// One [`FieldDiff`] per field holding a differing byte of the beat; a differing byte in a
/// lane the model does not enable is named `<signal>.lane[k]`.
fn locate_beat(
    beat: Beat,
    data: (&Bus, &Bus),
    bufs: (&[u8], &[u8]),
    field_of: impl Fn(&[u8], usize) -> FieldSpan,
    endian: Endian,
    (port, signal, txn): (&str, &str, &str),
    out: &mut Vec<FieldDiff>,
) {
    let mut seen: Vec<usize> = Vec::new();
    let mut rank = 0usize;
    for lane in 0..beat.lanes {
        let kept = beat.keep >> lane & 1 != 0;
        let (mb, rb) = (bus_byte(data.0, lane), bus_byte(data.1, lane));
        let offset = beat.base + rank;
        if kept {
            rank += 1;
        }
        if mb == rb {
            continue;
        }
        if !kept {
            out.push(FieldDiff {
                port: port.into(),
                field: format!("{signal}.lane[{lane}]"),
                transaction: txn.into(),
                model: u128::from(mb),
                rtl: u128::from(rb),
            });
            continue;
        }
        let span = field_of(bufs.0, offset);
        if seen.contains(&span.start) {
            continue;
        }
        seen.push(span.start);
        let (mv, mn) = field_value(bufs.0, &span, endian);
        let (rv, _) = field_value(bufs.1, &span, endian);
        let field = if mn < span.len && !span.name.starts_with("payload[") {
            format!("{}[{}..{}]", span.name, 0, mn)
        } else {
            span.name.into_owned()
        };
        out.push(FieldDiff {
            port: port.into(),
            field,
            transaction: txn.into(),
            model: mv,
            rtl: rv,
        });
    }
}

fn diff(
    out: &mut Vec<FieldDiff>,
    port: &str,
    txn: &str,
    field: impl Into<String>,
    m: u128,
    r: u128,
) {
    out.push(FieldDiff {
        port: port.into(),
        field: field.into(),
        transaction: txn.into(),
        model: m,
        rtl: r,
    });
}

fn be(bytes: &[u8]) -> u128 {
    bytes.iter().take(16).fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
}

fn vlan_tci(v: &SingleVlanHeader) -> u128 {
    (u128::from(v.pcp.value()) << 13)
        | (u128::from(v.drop_eligible_indicator) << 12)
        | u128::from(v.vlan_id.value())
}

/// Named header field values, in wire order.
pub type HeaderFields = Vec<(&'static str, u128)>;

/// Header fields of a frame as etherparse decodes them, named as in [`crate::locate`],
/// and the payload of the last parsed layer.
pub fn header_fields(frame: &[u8]) -> Result<(HeaderFields, &[u8]), String> {
    let h = PacketHeaders::from_ethernet_slice(frame).map_err(|e| e.to_string())?;
    let mut f: Vec<(&'static str, u128)> = Vec::with_capacity(32);
    if let Some(LinkHeader::Ethernet2(e)) = &h.link {
        f.push(("eth.dst", be(&e.destination)));
        f.push(("eth.src", be(&e.source)));
        match &h.vlan {
            None => f.push(("eth.type", u128::from(e.ether_type.0))),
            Some(VlanHeader::Single(v)) => {
                f.push(("vlan.tpid", u128::from(e.ether_type.0)));
                f.push(("vlan.tci", vlan_tci(v)));
                f.push(("eth.type", u128::from(v.ether_type.0)));
            }
            Some(VlanHeader::Double(d)) => {
                f.push(("vlan.tpid", u128::from(e.ether_type.0)));
                f.push(("vlan.tci", vlan_tci(&d.outer)));
                f.push(("vlan.inner_tpid", u128::from(d.outer.ether_type.0)));
                f.push(("vlan.inner_tci", vlan_tci(&d.inner)));
                f.push(("eth.type", u128::from(d.inner.ether_type.0)));
            }
        }
    }
    match &h.net {
        Some(NetHeaders::Ipv4(ip, _)) => {
            f.push(("ipv4.version_ihl", u128::from(0x40 | ip.ihl())));
            f.push(("ipv4.tos", u128::from((ip.dscp.value() << 2) | ip.ecn.value())));
            f.push(("ipv4.total_len", u128::from(ip.total_len)));
            f.push(("ipv4.id", u128::from(ip.identification)));
            let flags = (u16::from(ip.dont_fragment) << 14)
                | (u16::from(ip.more_fragments) << 13)
                | ip.fragment_offset.value();
            f.push(("ipv4.flags_frag", u128::from(flags)));
            f.push(("ipv4.ttl", u128::from(ip.time_to_live)));
            f.push(("ipv4.protocol", u128::from(ip.protocol.0)));
            f.push(("ipv4.checksum", u128::from(ip.header_checksum)));
            f.push(("ipv4.src", be(&ip.source)));
            f.push(("ipv4.dst", be(&ip.destination)));
            if !ip.options.is_empty() {
                f.push(("ipv4.options", be(ip.options.as_slice())));
            }
        }
        Some(NetHeaders::Ipv6(ip, ext)) => {
            let vtc = (6u32 << 28) | (u32::from(ip.traffic_class) << 20) | ip.flow_label.value();
            f.push(("ipv6.vtc_flow", u128::from(vtc)));
            f.push(("ipv6.payload_len", u128::from(ip.payload_length)));
            f.push(("ipv6.next_header", u128::from(ip.next_header.0)));
            f.push(("ipv6.hop_limit", u128::from(ip.hop_limit)));
            f.push(("ipv6.src", be(&ip.source)));
            f.push(("ipv6.dst", be(&ip.destination)));
            if let Some(fr) = &ext.fragment {
                f.push(("frag.next_header", u128::from(fr.next_header.0)));
                let of = (fr.fragment_offset.value() << 3) | u16::from(fr.more_fragments);
                f.push(("frag.offset_flags", u128::from(of)));
                f.push(("frag.id", u128::from(fr.identification)));
            }
        }
        None => {}
    }
    if let Some(TransportHeader::Tcp(t)) = &h.transport {
        f.push(("tcp.src_port", u128::from(t.source_port)));
        f.push(("tcp.dst_port", u128::from(t.destination_port)));
        f.push(("tcp.seq", u128::from(t.sequence_number)));
        f.push(("tcp.ack", u128::from(t.acknowledgment_number)));
        f.push(("tcp.data_offset", u128::from((t.data_offset() << 4) | u8::from(t.ns))));
        let flags = [t.fin, t.syn, t.rst, t.psh, t.ack, t.urg, t.ece, t.cwr]
            .iter()
            .enumerate()
            .fold(0u8, |acc, (i, &b)| acc | (u8::from(b) << i));
        f.push(("tcp.flags", u128::from(flags)));
        f.push(("tcp.window", u128::from(t.window_size)));
        f.push(("tcp.checksum", u128::from(t.checksum)));
        f.push(("tcp.urgent", u128::from(t.urgent_pointer)));
        if !t.options.is_empty() {
            f.push(("tcp.options", be(t.options.as_slice())));
        }
    }
    Ok((f, h.payload.slice()))
}

/// First differing byte of two byte strings, or a length difference, as a diff.
fn diff_bytes(out: &mut Vec<FieldDiff>, port: &str, txn: &str, what: &str, m: &[u8], r: &[u8]) {
    if let Some(i) = m.iter().zip(r).position(|(a, b)| a != b) {
        diff(out, port, txn, format!("{what}[{i}]"), u128::from(m[i]), u128::from(r[i]));
    } else if m.len() != r.len() {
        diff(out, port, txn, format!("{what}.len"), m.len() as u128, r.len() as u128);
    }
}

/// Diff frame number `frame` of both sides: the headers field by field (as etherparse
/// decodes them), then the payload, then the raw bytes. Differences go to `out`; returns
/// true when both sides' headers were decoded and compared.
pub fn diff_frame(frame: u64, model: &[u8], rtl: &[u8], out: &mut Vec<FieldDiff>) -> bool {
    if model == rtl {
        // Equal bytes decode to equal fields and payloads: nothing can differ, and decoding
        // one side tells whether the headers were compared.
        return header_fields(model).is_ok();
    }
    let txn = format!("frame={frame}");
    let before = out.len();
    let compared = match (header_fields(model), header_fields(rtl)) {
        (Ok((mf, mp)), Ok((rf, rp))) => {
            for (name, mv) in &mf {
                match rf.iter().find(|(n, _)| n == name) {
                    Some((_, rv)) if rv != mv => diff(out, PORT_TX, &txn, *name, *mv, *rv),
                    Some(_) => {}
                    None => diff(out, PORT_TX, &txn, format!("{name} (absent on rtl)"), *mv, 0),
                }
            }
            for (name, rv) in rf.iter().filter(|(n, _)| !mf.iter().any(|(m, _)| m == n)) {
                diff(out, PORT_TX, &txn, format!("{name} (absent on model)"), 0, *rv);
            }
            if out.len() == before {
                diff_bytes(out, PORT_TX, &txn, "payload", mp, rp);
            }
            true
        }
        (Ok(_), Err(_)) => {
            diff(out, PORT_TX, &txn, "etherparse (1: decodes)", 1, 0);
            false
        }
        (Err(_), Ok(_)) => {
            diff(out, PORT_TX, &txn, "etherparse (1: decodes)", 0, 1);
            false
        }
        (Err(_), Err(_)) => false,
    };
    if out.len() == before {
        diff_bytes(out, PORT_TX, &txn, "frame", model, rtl);
    }
    compared
}

/// The fields of a completion entry's flag byte (byte 15) that differ, named
/// `<entry>.phase`, `<entry>.end_of_batch`, `<entry>.reason` (bits 5:4, the close reason)
/// and `<entry>.flags.reserved` (bits 2, 3, 6, 7).
fn split_flags(out: &mut Vec<FieldDiff>, port: &str, txn: &str, entry: &str, m: u8, r: u8) {
    const PARTS: [(&str, u8, u32); 4] =
        [("phase", 0x01, 0), ("end_of_batch", 0x02, 1), ("reason", 0x30, 4), ("flags.reserved", 0xCC, 0)];
    for (name, mask, shift) in PARTS {
        if m & mask != r & mask {
            let (mv, rv) = ((m & mask) >> shift, (r & mask) >> shift);
            diff(out, port, txn, format!("{entry}.{name}"), u128::from(mv), u128::from(rv));
        }
    }
}

/// Diff completion batch number `batch` of both sides: the burst (address, length, entry
/// count, close reason of its end-of-batch entry), then every entry decoded with
/// [`CompletionEntry::decode`] (its flag byte split into phase, end-of-batch, reason and
/// reserved bits), then the raw bytes.
pub fn diff_batch(batch: u64, model: &Batch, rtl: &Batch, out: &mut Vec<FieldDiff>) {
    let txn = format!("batch={batch}");
    let before = out.len();
    if model.awaddr != rtl.awaddr {
        diff(
            out,
            PORT_W,
            &txn,
            "batch.awaddr",
            u128::from(model.awaddr.unwrap_or(0)),
            u128::from(rtl.awaddr.unwrap_or(0)),
        );
    }
    if model.awlen != rtl.awlen {
        diff(
            out,
            PORT_W,
            &txn,
            "batch.awlen",
            u128::from(model.awlen.unwrap_or(0)),
            u128::from(rtl.awlen.unwrap_or(0)),
        );
    }
    let entries = |b: &Batch| -> Vec<CompletionEntry> {
        b.bytes
            .chunks_exact(CPL_BYTES)
            .map(|c| CompletionEntry::decode(c.try_into().expect("chunk of CPL_BYTES")))
            .collect()
    };
    let (me, re) = (entries(model), entries(rtl));
    if me.len() != re.len() {
        diff(out, PORT_W, &txn, "batch.entries", me.len() as u128, re.len() as u128);
    }
    // The close reason the end-of-batch entry carries (4: no end-of-batch entry).
    let reason = |es: &[CompletionEntry]| -> u128 {
        es.iter().find(|e| e.end_of_batch).map_or(4, |e| u128::from(e.reason as u8))
    };
    let (mr, rr) = (reason(&me), reason(&re));
    if mr != rr {
        diff(out, PORT_W, &txn, "batch.reason", mr, rr);
    }
    for (k, (m, r)) in me.iter().zip(&re).enumerate() {
        let fields: [(&str, u128, u128); 4] = [
            ("cookie", u128::from(m.cookie), u128::from(r.cookie)),
            ("bytes", u128::from(m.bytes), u128::from(r.bytes)),
            ("segments", u128::from(m.segments), u128::from(r.segments)),
            ("status", u128::from(m.status), u128::from(r.status)),
        ];
        for (name, mv, rv) in fields {
            if mv != rv {
                diff(out, PORT_W, &txn, format!("cpl[{k}].{name}"), mv, rv);
            }
        }
        let flag = |b: &Batch| b.bytes[k * CPL_BYTES + CPL_BYTES - 1];
        split_flags(out, PORT_W, &txn, &format!("cpl[{k}]"), flag(model), flag(rtl));
    }
    if out.len() == before {
        if let Some(i) = model.bytes.iter().zip(&rtl.bytes).position(|(a, b)| a != b) {
            let span = completion_field(i);
            let (mv, _) = field_value(&model.bytes, &span, Endian::Little);
            let (rv, _) = field_value(&rtl.bytes, &span, Endian::Little);
            diff(out, PORT_W, &txn, span.name.into_owned(), mv, rv);
        } else if model.bytes.len() != rtl.bytes.len() {
            diff(
                out,
                PORT_W,
                &txn,
                "batch.bytes",
                model.bytes.len() as u128,
                rtl.bytes.len() as u128,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lane by lane, the way the strobe names them.
    fn lanes_one_by_one(data: &Bus, strobe: u64, lanes: usize) -> Vec<u8> {
        (0..lanes).filter(|&l| strobe >> l & 1 == 1).map(|l| bus_byte(data, l)).collect()
    }

    fn tcp_frame(ttl: u8, payload: &[u8]) -> Vec<u8> {
        let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], ttl)
            .tcp(40000, 80, 1, 1000);
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        v
    }

    #[test]
    fn equal_frames_count_as_compared_only_when_they_decode() {
        let f = tcp_frame(64, b"abcdef");
        let mut out = Vec::new();
        assert!(diff_frame(0, &f, &f.clone(), &mut out));
        assert!(out.is_empty());
        let junk = vec![0u8; 10];
        assert!(!diff_frame(1, &junk, &junk.clone(), &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn differing_frames_are_still_diffed_field_by_field() {
        let (m, r) = (tcp_frame(64, b"abcdef"), tcp_frame(63, b"abcdef"));
        let mut out = Vec::new();
        assert!(diff_frame(3, &m, &r, &mut out));
        let fields: Vec<&str> = out.iter().map(|d| d.field.as_str()).collect();
        assert!(fields.contains(&"ipv4.ttl"), "{fields:?}");
        assert!(out.iter().all(|d| d.transaction == "frame=3"));
        // a payload byte alone: the TCP checksum covers it, so that header field differs
        let (m, r) = (tcp_frame(64, b"abcdef"), tcp_frame(64, b"abcdxf"));
        let mut out = Vec::new();
        assert!(diff_frame(4, &m, &r, &mut out));
        let fields: Vec<&str> = out.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["tcp.checksum"]);
    }

    #[test]
    fn push_lanes_takes_exactly_the_strobed_lanes() {
        let mut data: Bus = [0; MAX_DATA_WORDS];
        for (i, w) in data.iter_mut().enumerate() {
            *w = 0x0706_0504_0302_0100u64.wrapping_add(0x0808_0808_0808_0808 * i as u64);
        }
        for lanes in [8usize, 16, 32, 64] {
            let full = strobe_mask(lanes);
            let strobes = [0, 1, 0x3, 0x7F, full, full >> 1, full >> 13, 0x2, 0x5, full & !1, 0xF0];
            for strobe in strobes {
                let mut buf = vec![0xAA];
                push_lanes(&mut buf, &data, strobe, lanes);
                let mut want = vec![0xAA];
                want.extend(lanes_one_by_one(&data, strobe & full, lanes));
                assert_eq!(buf, want, "lanes {lanes} strobe {strobe:#x}");
            }
        }
    }
}
