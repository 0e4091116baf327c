//! Field locator: which header field, or which completion-entry field, a byte belongs to.
//!
//! A mismatch on `m_axis_tx_tdata` is reported by the header field its bytes fall in
//! (`ipv4.id`, `tcp.checksum`, `payload[12]`), and one on `m_axi_wdata` by the completion
//! entry field (`cpl[2].status`). The frame layout is decided from the bytes seen so far
//! (ethertype, IHL, next header, protocol, TCP data offset); a deciding byte not seen yet
//! counts as the common case (untagged IPv4, IHL 5, TCP with data offset 5).

use std::borrow::Cow;

use txoe_model::layout::CPL_BYTES;

/// A named byte range of a frame or of a completion batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpan {
    pub name: Cow<'static, str>,
    /// First byte, from the start of the frame (or batch).
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
}

impl FieldSpan {
    fn named(name: &'static str, start: usize, len: usize) -> Self {
        FieldSpan { name: Cow::Borrowed(name), start, len }
    }

    /// One past the last byte.
    pub fn end(&self) -> usize {
        self.start + self.len
    }
}

const ETH_TYPE_VLAN: u16 = 0x8100;
const ETH_TYPE_IPV4: u16 = 0x0800;
const ETH_TYPE_IPV6: u16 = 0x86DD;
const IP_PROTO_TCP: u8 = 6;
const IPV6_NH_FRAGMENT: u8 = 44;

const IPV4_FIELDS: &[(&str, usize, usize)] = &[
    ("ipv4.version_ihl", 0, 1),
    ("ipv4.tos", 1, 1),
    ("ipv4.total_len", 2, 2),
    ("ipv4.id", 4, 2),
    ("ipv4.flags_frag", 6, 2),
    ("ipv4.ttl", 8, 1),
    ("ipv4.protocol", 9, 1),
    ("ipv4.checksum", 10, 2),
    ("ipv4.src", 12, 4),
    ("ipv4.dst", 16, 4),
];
const IPV6_FIELDS: &[(&str, usize, usize)] = &[
    ("ipv6.vtc_flow", 0, 4),
    ("ipv6.payload_len", 4, 2),
    ("ipv6.next_header", 6, 1),
    ("ipv6.hop_limit", 7, 1),
    ("ipv6.src", 8, 16),
    ("ipv6.dst", 24, 16),
];
const FRAG_FIELDS: &[(&str, usize, usize)] = &[
    ("frag.next_header", 0, 1),
    ("frag.reserved", 1, 1),
    ("frag.offset_flags", 2, 2),
    ("frag.id", 4, 4),
];
const TCP_FIELDS: &[(&str, usize, usize)] = &[
    ("tcp.src_port", 0, 2),
    ("tcp.dst_port", 2, 2),
    ("tcp.seq", 4, 4),
    ("tcp.ack", 8, 4),
    ("tcp.data_offset", 12, 1),
    ("tcp.flags", 13, 1),
    ("tcp.window", 14, 2),
    ("tcp.checksum", 16, 2),
    ("tcp.urgent", 18, 2),
];

/// The header fields of a frame, in wire order, and where its payload starts, as far as
/// `frame` (the bytes seen so far) tells.
pub fn frame_layout(frame: &[u8]) -> (Vec<FieldSpan>, usize) {
    let byte = |i: usize| frame.get(i).copied();
    let be16 = |i: usize| Some(u16::from_be_bytes([byte(i)?, byte(i + 1)?]));
    let mut f = vec![FieldSpan::named("eth.dst", 0, 6), FieldSpan::named("eth.src", 6, 6)];
    let push_all = |f: &mut Vec<FieldSpan>, table: &[(&'static str, usize, usize)], base: usize| {
        f.extend(table.iter().map(|&(n, o, l)| FieldSpan::named(n, base + o, l)));
    };

    let mut ethertype = be16(12);
    let l3 = if ethertype == Some(ETH_TYPE_VLAN) {
        f.push(FieldSpan::named("vlan.tpid", 12, 2));
        f.push(FieldSpan::named("vlan.tci", 14, 2));
        f.push(FieldSpan::named("eth.type", 16, 2));
        ethertype = be16(16);
        18
    } else {
        f.push(FieldSpan::named("eth.type", 12, 2));
        14
    };

    let (l4, proto) = match ethertype {
        Some(ETH_TYPE_IPV6) => {
            push_all(&mut f, IPV6_FIELDS, l3);
            let nh = byte(l3 + 6);
            if nh == Some(IPV6_NH_FRAGMENT) {
                push_all(&mut f, FRAG_FIELDS, l3 + 40);
                (l3 + 48, byte(l3 + 40))
            } else {
                (l3 + 40, nh)
            }
        }
        Some(ETH_TYPE_IPV4) | None => {
            push_all(&mut f, IPV4_FIELDS, l3);
            let ihl = byte(l3).map_or(20, |b| usize::from(b & 0xF) * 4).max(20);
            if ihl > 20 {
                f.push(FieldSpan::named("ipv4.options", l3 + 20, ihl - 20));
            }
            (l3 + ihl, byte(l3 + 9))
        }
        Some(_) => return (f, l3),
    };

    if proto.is_some_and(|p| p != IP_PROTO_TCP) {
        return (f, l4);
    }
    push_all(&mut f, TCP_FIELDS, l4);
    let doff = byte(l4 + 12).map_or(20, |b| usize::from(b >> 4) * 4).max(20);
    if doff > 20 {
        f.push(FieldSpan::named("tcp.options", l4 + 20, doff - 20));
    }
    (f, l4 + doff)
}

/// The field that byte `offset` of a frame belongs to: a header field, or `payload[i]`
/// (`i` counted from the first byte after the headers). `frame` holds the bytes seen so
/// far; it decides the layout.
pub fn frame_field(frame: &[u8], offset: usize) -> FieldSpan {
    let (fields, payload) = frame_layout(frame);
    if offset < payload {
        if let Some(f) = fields.into_iter().find(|f| f.start <= offset && offset < f.end()) {
            return f;
        }
    }
    let i = offset.saturating_sub(payload);
    FieldSpan { name: Cow::Owned(format!("payload[{i}]")), start: offset, len: 1 }
}

/// The field of a completion batch that byte `offset` (from the first byte of the burst)
/// belongs to: `cpl[k].cookie|bytes|segments|status|flags` (see `docs/registers.md`). The
/// lockstep tracker reports a differing `flags` byte by its parts: `phase`,
/// `end_of_batch`, `reason`, `flags.reserved`.
pub fn completion_field(offset: usize) -> FieldSpan {
    let k = offset / CPL_BYTES;
    let base = k * CPL_BYTES;
    let (name, o, len) = match offset % CPL_BYTES {
        0..=7 => ("cookie", 0, 8),
        8..=11 => ("bytes", 8, 4),
        12..=13 => ("segments", 12, 2),
        14 => ("status", 14, 1),
        _ => ("flags", 15, 1),
    };
    FieldSpan { name: Cow::Owned(format!("cpl[{k}].{name}")), start: base + o, len }
}

/// Byte order of a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// Network order (frame headers).
    Big,
    /// Host-memory order (completion entries).
    Little,
}

/// The value of `span` in `buf`, over the bytes present (at most 16), and how many bytes
/// that is.
pub fn field_value(buf: &[u8], span: &FieldSpan, endian: Endian) -> (u128, usize) {
    let end = span.end().min(buf.len()).min(span.start + 16);
    if end <= span.start {
        return (0, 0);
    }
    let bytes = &buf[span.start..end];
    let v = match endian {
        Endian::Big => bytes.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b)),
        Endian::Little => bytes.iter().rev().fold(0u128, |acc, &b| (acc << 8) | u128::from(b)),
    };
    (v, bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_fields() {
        assert_eq!(completion_field(0).name, "cpl[0].cookie");
        assert_eq!(completion_field(9).name, "cpl[0].bytes");
        assert_eq!(completion_field(16 + 12).name, "cpl[1].segments");
        assert_eq!(completion_field(32 + 14).name, "cpl[2].status");
        let f = completion_field(47);
        assert_eq!((f.name.as_ref(), f.start, f.len), ("cpl[2].flags", 47, 1));
    }

    #[test]
    fn untagged_ipv6_with_fragment_header() {
        let mut frame = vec![0u8; 14 + 40 + 8 + 20];
        frame[12..14].copy_from_slice(&0x86DDu16.to_be_bytes());
        frame[14 + 6] = 44;
        frame[14 + 40] = 6;
        frame[14 + 48 + 12] = 0x50;
        assert_eq!(frame_field(&frame, 14 + 8).name, "ipv6.src");
        assert_eq!(frame_field(&frame, 14 + 40 + 5).name, "frag.id");
        assert_eq!(frame_field(&frame, 14 + 48 + 17).name, "tcp.checksum");
        assert_eq!(frame_field(&frame, 14 + 48 + 20).name, "payload[0]");
    }

    #[test]
    fn values_in_both_orders() {
        let span = FieldSpan::named("x", 1, 2);
        assert_eq!(field_value(&[0, 0x12, 0x34], &span, Endian::Big), (0x1234, 2));
        assert_eq!(field_value(&[0, 0x12, 0x34], &span, Endian::Little), (0x3412, 2));
        assert_eq!(field_value(&[0, 0x12], &span, Endian::Big), (0x12, 1));
    }
}
