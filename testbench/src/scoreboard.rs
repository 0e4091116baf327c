//! The scoreboard: what the host knows each send must produce, checked against the
//! completions it consumes and the frames the MAC received.
//!
//! Completions arrive in ring order and frames leave in descriptor order, so when the
//! completion of send `i` is consumed, the frames at the head of the MAC's queue are
//! exactly send `i`'s frames if its status is `ok`, and none of them otherwise. Each of
//! those frames is parsed with `etherparse` and checked field by field against the
//! connection's context; the IPv4 header checksum and the TCP checksum are recomputed
//! here (RFC 1071) rather than taken from the parser; the TCP payloads, concatenated,
//! must equal the bytes generated for the send. The engine-wide IPv4 ID and IPv6
//! fragment ID counters and each connection's `snd_nxt` are followed exactly.

use std::collections::BTreeMap;

use etherparse::{
    Ethernet2HeaderSlice, Ipv4HeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice,
    SingleVlanHeaderSlice, TcpHeaderSlice,
};
use txoe_model::layout::{CompletionEntry, Status};

use crate::mac::{Frame, MacSink};
use crate::payload::fill_payload;
use crate::scenario::{expected_rejection, Connection, Scenario};

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;
const ETHERTYPE_VLAN: u16 = 0x8100;
const IPPROTO_TCP: u8 = 6;
const IPV6_FRAGMENT: u8 = 44;
/// Frames shorter than this (without FCS) may carry padding after the IP datagram.
const MIN_FRAME: usize = 60;

/// What the host knows about one send.
#[derive(Clone, Debug)]
pub struct SendInfo {
    pub conn: u16,
    pub len: u32,
    pub psh: bool,
    pub fin: bool,
    pub immediate: bool,
    pub cookie: u64,
    /// The validation status the engine must answer with, when the send fails validation.
    pub rejection: Option<Status>,
    /// Set by the host when an injected payload read error hit this segment of the send's
    /// current attempt: the send completes `dma_error` with the segments before it.
    pub dma_error_segment: Option<u16>,
}

struct ConnState {
    conn: Connection,
    snd_nxt: u32,
    eff_mss: u32,
}

/// Frame and completion checks.
pub struct Scoreboard {
    seed: u64,
    mtu: u32,
    conns: BTreeMap<u16, ConnState>,
    ipv4_id: u16,
    ipv6_id: u32,
    /// Frames checked so far (the index of the next frame).
    frames: u64,
    payload: Vec<u8>,
    statuses: [u64; 256],
}

fn hex(v: u128) -> String {
    format!("{v:#x} ({v})")
}

/// `field` is `got`, expected `want`, in hex and decimal.
fn differ(field: &str, got: impl Into<u128>, want: impl Into<u128>) -> String {
    format!("{field} {}, expected {}", hex(got.into()), hex(want.into()))
}

fn expect<T: PartialEq + Copy + Into<u128>>(field: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(differ(field, got, want))
    }
}

fn flag(field: &str, got: bool, want: bool) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{field} is {}, expected {}",
            u8::from(got),
            u8::from(want)
        ))
    }
}

/// RFC 1071 sum of big-endian 16-bit words (an odd last byte is padded with zero).
fn sum16(data: &[u8], mut acc: u64) -> u64 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        acc += u64::from(*b) << 8;
    }
    acc
}

fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    acc as u16
}

/// True when the one's-complement sum over the bytes (with the checksum field in them)
/// is all ones, i.e. the checksum verifies.
fn verifies(acc: u64) -> bool {
    fold(acc) == 0xFFFF
}

fn ip_bytes(addr: u128, ipv6: bool) -> Vec<u8> {
    if ipv6 {
        addr.to_be_bytes().to_vec()
    } else {
        (addr as u32).to_be_bytes().to_vec()
    }
}

impl Scoreboard {
    pub fn new(sc: &Scenario) -> Self {
        let mtu = sc.config.mtu;
        let conns = sc
            .connections
            .iter()
            .map(|c| {
                (
                    c.id,
                    ConnState {
                        conn: c.clone(),
                        snd_nxt: c.seq,
                        eff_mss: c.eff_mss(mtu),
                    },
                )
            })
            .collect();
        Scoreboard {
            seed: sc.env.seed,
            mtu,
            conns,
            ipv4_id: sc.config.ipv4_id_start | 0x8000,
            ipv6_id: sc.config.ipv6_id_start | 0x8000_0000,
            frames: 0,
            payload: Vec::new(),
            statuses: [0; 256],
        }
    }

    /// The description of each send the host posts.
    pub fn send_infos(sc: &Scenario) -> Vec<SendInfo> {
        sc.sends
            .iter()
            .enumerate()
            .map(|(i, s)| SendInfo {
                conn: s.conn,
                len: s.len,
                psh: s.psh,
                fin: s.fin,
                immediate: s.immediate,
                cookie: sc.cookie(i),
                rejection: expected_rejection(sc, s),
                dma_error_segment: None,
            })
            .collect()
    }

    /// `snd_nxt` of each scenario connection, as the frames so far advanced it.
    pub fn snd_nxt(&self) -> impl Iterator<Item = (u16, u32)> + '_ {
        self.conns.iter().map(|(&id, c)| (id, c.snd_nxt))
    }

    /// The effective MSS of a scenario connection.
    pub fn eff_mss(&self, conn: u16) -> Option<u32> {
        self.conns.get(&conn).map(|c| c.eff_mss)
    }

    /// The IPv4 ID and IPv6 fragment ID the next frames must carry, as the frames so far
    /// advanced them.
    pub fn next_ids(&self) -> (u16, u32) {
        (self.ipv4_id, self.ipv6_id)
    }

    /// Check the frames the MAC holds for `sends` (the sends a reset left uncompleted,
    /// the first being send `first`), then drop them: they must be a prefix of the frames
    /// those sends send, in order. The IDs they carry are taken; `snd_nxt` is left as the
    /// completed sends made it (the sends go out again with the same sequence numbers).
    /// Returns the number of frames.
    pub fn orphans(
        &mut self,
        first: u64,
        sends: &[SendInfo],
        mac: &mut MacSink,
        mut archive: Option<&mut Vec<Frame>>,
    ) -> Result<u64, String> {
        let saved: Vec<(u16, u32)> = self.snd_nxt().collect();
        let mut n = 0u64;
        let mut result = Ok(());
        'sends: for (k, send) in sends.iter().enumerate() {
            if mac.pending() == 0 {
                break;
            }
            if send.rejection.is_some() {
                continue;
            }
            let index = first + k as u64;
            let eff_mss = self.conns.get(&send.conn).map_or(1, |s| s.eff_mss);
            let all = send.len.div_ceil(eff_mss);
            let sent = send.dma_error_segment.map_or(all, u32::from);
            self.payload.resize(send.len as usize, 0);
            fill_payload(self.seed, index, &mut self.payload);
            let mut offset = 0usize;
            for seg in 0..sent {
                let Some(frame) = mac.pop_frame() else { break 'sends };
                let r = self.check_frame(&frame, send, seg + 1 == all, &mut offset);
                let f = self.frames;
                self.frames += 1;
                n += 1;
                if let Some(a) = archive.as_deref_mut() {
                    a.push(frame);
                }
                if let Err(e) = r {
                    result = Err(format!(
                        "frame {f} (send {index}, cookie {:#x}, segment {seg}, sent before a reset): {e}",
                        send.cookie
                    ));
                    break 'sends;
                }
            }
        }
        for (id, v) in saved {
            if let Some(c) = self.conns.get_mut(&id) {
                c.snd_nxt = v;
            }
        }
        result?;
        if mac.pending() > 0 {
            return Err(format!(
                "{} frames received before a reset belong to no send in flight",
                mac.pending()
            ));
        }
        Ok(n)
    }

    /// Completions seen with status code `code`.
    pub fn status_count(&self, code: u8) -> u64 {
        self.statuses[usize::from(code)]
    }

    /// Frames checked so far.
    pub fn frames_checked(&self) -> u64 {
        self.frames
    }

    /// Check the completion of send `index` and take its frames from the MAC; checked
    /// frames are appended to `archive` when given.
    pub fn complete(
        &mut self,
        index: u64,
        send: &SendInfo,
        entry: &CompletionEntry,
        mac: &mut MacSink,
        archive: Option<&mut Vec<Frame>>,
    ) -> Result<(), String> {
        let ctx = format!("send {index} (cookie {:#x})", send.cookie);
        if entry.cookie != send.cookie {
            return Err(format!(
                "completion for {ctx}: cookie {:#x}; completions must come in ring order",
                entry.cookie
            ));
        }
        self.statuses[usize::from(entry.status)] += 1;
        let Some(status) = Status::from_code(entry.status) else {
            return Err(format!(
                "completion for {ctx}: unknown status code {}",
                entry.status
            ));
        };
        match (send.rejection, status) {
            (Some(want), got) if got != want => {
                return Err(format!(
                    "completion for {ctx}: status {}, expected {} (len {}, conn {})",
                    got.name(),
                    want.name(),
                    send.len,
                    send.conn
                ))
            }
            (Some(_), _) => {
                if entry.segments != 0 {
                    return Err(format!(
                        "completion for {ctx}: status {} with {} segments, expected 0",
                        status.name(),
                        entry.segments
                    ));
                }
                return Ok(());
            }
            (None, Status::DmaError) if send.dma_error_segment.is_some() => {}
            (None, got) if send.dma_error_segment.is_some() => {
                return Err(format!(
                    "completion for {ctx}: status {}, expected dma_error (payload read error injected in segment {})",
                    got.name(),
                    send.dma_error_segment.unwrap_or(0)
                ))
            }
            (None, Status::Ok) => {}
            (None, got) => {
                return Err(format!(
                    "completion for {ctx}: status {} for a valid send (len {}, conn {})",
                    got.name(),
                    send.len,
                    send.conn
                ))
            }
        }

        let eff_mss = self.conns.get(&send.conn).map_or(1, |s| s.eff_mss);
        let all_segments = send.len.div_ceil(eff_mss);
        // A payload read error: the segments before the failing one are sent, full size.
        let (want_segments, want_bytes) = match send.dma_error_segment {
            Some(s) => (u32::from(s), u32::from(s) * eff_mss),
            None => (all_segments, send.len),
        };
        let name = status.name();
        if entry.bytes != want_bytes {
            return Err(format!(
                "completion for {ctx}: status {name} with {}",
                differ("bytes", entry.bytes, want_bytes)
            ));
        }
        if u32::from(entry.segments) != want_segments {
            return Err(format!(
                "completion for {ctx}: status {name} with {} (len {}, eff_mss {eff_mss})",
                differ("segments", u32::from(entry.segments), want_segments),
                send.len
            ));
        }
        if mac.pending() < usize::from(entry.segments) {
            return Err(format!(
                "completion for {ctx}: {} segments, but the MAC holds only {} frames not yet accounted for",
                entry.segments,
                mac.pending()
            ));
        }

        self.payload.resize(send.len as usize, 0);
        fill_payload(self.seed, index, &mut self.payload);
        let mut offset = 0usize;
        let mut archive = archive;
        for seg in 0..entry.segments {
            let frame = mac.pop_frame().expect("counted above");
            let last = u32::from(seg) + 1 == all_segments;
            let r = self.check_frame(&frame, send, last, &mut offset);
            let n = self.frames;
            self.frames += 1;
            if let Some(a) = archive.as_deref_mut() {
                a.push(frame);
            }
            r.map_err(|e| format!("frame {n} ({ctx}, segment {seg}): {e}"))?;
        }
        if offset != want_bytes as usize {
            return Err(format!(
                "{ctx}: its {} frames carry {offset} payload bytes, expected {want_bytes}",
                entry.segments
            ));
        }
        Ok(())
    }

    /// Check one frame of `send`; `offset` is the send's payload consumed so far.
    fn check_frame(
        &mut self,
        frame: &Frame,
        send: &SendInfo,
        last: bool,
        offset: &mut usize,
    ) -> Result<(), String> {
        let st = self
            .conns
            .get_mut(&send.conn)
            .expect("a send that passed validation has a connection");
        let c = &st.conn;
        let data = &frame.data[..];

        let eth = Ethernet2HeaderSlice::from_slice(data).map_err(|e| format!("ethernet: {e}"))?;
        expect(
            "eth.dst",
            u64::from_be_bytes(pad6(eth.destination())),
            c.dst_mac.0,
        )?;
        expect(
            "eth.src",
            u64::from_be_bytes(pad6(eth.source())),
            c.src_mac.0,
        )?;
        let mut ethertype = eth.ether_type().0;
        let mut rest = &data[eth.slice().len()..];
        let l3_type = if c.ipv6 {
            ETHERTYPE_IPV6
        } else {
            ETHERTYPE_IPV4
        };
        match c.vlan {
            Some(vid) => {
                expect("eth.ethertype", ethertype, ETHERTYPE_VLAN)?;
                let tag =
                    SingleVlanHeaderSlice::from_slice(rest).map_err(|e| format!("vlan: {e}"))?;
                expect("vlan.vid", tag.vlan_identifier().value(), vid)?;
                ethertype = tag.ether_type().0;
                rest = &rest[tag.slice().len()..];
                expect("vlan.ethertype", ethertype, l3_type)?;
            }
            None => expect("eth.ethertype", ethertype, l3_type)?,
        }
        let l2_len = data.len() - rest.len();

        // Network header; returns the TCP segment and the pseudo-header sum.
        let (segment, pseudo) = if c.ipv6 {
            let ip = Ipv6HeaderSlice::from_slice(rest).map_err(|e| format!("ipv6: {e}"))?;
            expect("ipv6.traffic_class", ip.traffic_class(), c.tos)?;
            expect("ipv6.flow_label", ip.flow_label().value(), c.flow_label)?;
            expect("ipv6.hop_limit", ip.hop_limit(), c.ttl)?;
            expect(
                "ipv6.src",
                u128::from_be_bytes(ip.source()),
                c.src_ip.to_u128(),
            )?;
            expect(
                "ipv6.dst",
                u128::from_be_bytes(ip.destination()),
                c.dst_ip.to_u128(),
            )?;
            let plen = usize::from(ip.payload_length());
            let dgram = 40 + plen;
            if dgram as u32 > self.mtu {
                return Err(format!(
                    "ipv6 datagram of {dgram} bytes is over the MTU {}",
                    self.mtu
                ));
            }
            let body = datagram_body(rest, dgram, 40, l2_len)?;
            let segment = if c.frag_header {
                expect("ipv6.next_header", ip.next_header().0, IPV6_FRAGMENT)?;
                let fh = Ipv6FragmentHeaderSlice::from_slice(body)
                    .map_err(|e| format!("ipv6 fragment header: {e}"))?;
                expect("ipv6.frag.next_header", fh.next_header().0, IPPROTO_TCP)?;
                expect("ipv6.frag.offset", fh.fragment_offset().value(), 0)?;
                flag("ipv6.frag.m", fh.more_fragments(), false)?;
                expect("ipv6.frag.id", fh.identification(), self.ipv6_id)?;
                self.ipv6_id = if self.ipv6_id == u32::MAX {
                    0x8000_0000
                } else {
                    self.ipv6_id + 1
                };
                &body[8..]
            } else {
                expect("ipv6.next_header", ip.next_header().0, IPPROTO_TCP)?;
                body
            };
            let mut acc = sum16(&ip.source(), 0);
            acc = sum16(&ip.destination(), acc);
            acc += segment.len() as u64 + u64::from(IPPROTO_TCP);
            (segment, acc)
        } else {
            let ip = Ipv4HeaderSlice::from_slice(rest).map_err(|e| format!("ipv4: {e}"))?;
            expect("ipv4.ihl", ip.ihl(), 5)?;
            expect("ipv4.tos", rest[1], c.tos)?;
            flag("ipv4.df", ip.dont_fragment(), true)?;
            flag("ipv4.mf", ip.more_fragments(), false)?;
            expect("ipv4.frag_offset", ip.fragments_offset().value(), 0)?;
            let id = ip.identification();
            if id < 0x8000 {
                return Err(format!("ipv4.id {} is below 0x8000", hex(id.into())));
            }
            expect("ipv4.id", id, self.ipv4_id)?;
            self.ipv4_id = if self.ipv4_id == u16::MAX {
                0x8000
            } else {
                self.ipv4_id + 1
            };
            expect("ipv4.ttl", ip.ttl(), c.ttl)?;
            expect("ipv4.protocol", ip.protocol().0, IPPROTO_TCP)?;
            expect(
                "ipv4.src",
                u32::from_be_bytes(ip.source()),
                c.src_ip.to_u128() as u32,
            )?;
            expect(
                "ipv4.dst",
                u32::from_be_bytes(ip.destination()),
                c.dst_ip.to_u128() as u32,
            )?;
            if !verifies(sum16(&rest[..20], 0)) {
                return Err(format!(
                    "ipv4.checksum {} does not verify",
                    hex(ip.header_checksum().into())
                ));
            }
            let dgram = usize::from(ip.total_len());
            if dgram as u32 > self.mtu {
                return Err(format!(
                    "ipv4 datagram of {dgram} bytes is over the MTU {}",
                    self.mtu
                ));
            }
            let segment = datagram_body(rest, dgram, 20, l2_len)?;
            let mut acc = sum16(&ip_bytes(c.src_ip.to_u128(), false), 0);
            acc = sum16(&ip_bytes(c.dst_ip.to_u128(), false), acc);
            acc += segment.len() as u64 + u64::from(IPPROTO_TCP);
            (segment, acc)
        };

        let tcp = TcpHeaderSlice::from_slice(segment).map_err(|e| format!("tcp: {e}"))?;
        expect("tcp.data_offset", tcp.data_offset(), 5)?;
        expect("tcp.src_port", tcp.source_port(), c.src_port)?;
        expect("tcp.dst_port", tcp.destination_port(), c.dst_port)?;
        expect("tcp.seq", tcp.sequence_number(), st.snd_nxt)?;
        expect("tcp.ack", tcp.acknowledgment_number(), c.ack)?;
        expect("tcp.window", tcp.window_size(), c.window)?;
        flag("tcp.flags.ack", tcp.ack(), true)?;
        flag("tcp.flags.psh", tcp.psh(), send.psh && last)?;
        flag("tcp.flags.fin", tcp.fin(), send.fin && last)?;
        flag("tcp.flags.syn", tcp.syn(), false)?;
        flag("tcp.flags.rst", tcp.rst(), false)?;
        flag("tcp.flags.urg", tcp.urg(), false)?;
        if !verifies(sum16(segment, pseudo)) {
            return Err(format!(
                "tcp.checksum {} does not verify",
                hex(tcp.checksum().into())
            ));
        }
        let body = &segment[20..];
        if body.is_empty() {
            return Err("tcp segment carries no payload".into());
        }
        if body.len() as u32 > st.eff_mss {
            return Err(format!(
                "tcp payload of {} bytes is over the effective MSS {}",
                body.len(),
                st.eff_mss
            ));
        }
        let want = self
            .payload
            .get(*offset..*offset + body.len())
            .ok_or_else(|| {
                format!(
                    "tcp payload of {} bytes at send byte {} runs past the send's {} bytes",
                    body.len(),
                    *offset,
                    send.len
                )
            })?;
        // Equal slices (one memcmp) are the common case; the byte is looked for only when
        // they differ.
        if let Some(j) = (body != want)
            .then(|| body.iter().zip(want).position(|(a, b)| a != b))
            .flatten()
        {
            return Err(format!(
                "tcp payload byte {j} (send byte {}) is {:#04x}, expected {:#04x}",
                *offset + j,
                body[j],
                want[j]
            ));
        }
        *offset += body.len();
        st.snd_nxt = st
            .snd_nxt
            .wrapping_add(body.len() as u32)
            .wrapping_add(u32::from(send.fin && last));
        Ok(())
    }
}

fn pad6(b: [u8; 6]) -> [u8; 8] {
    [0, 0, b[0], b[1], b[2], b[3], b[4], b[5]]
}

/// The bytes of a datagram of `dgram` bytes (header `hdr` bytes) starting at `ip`, after
/// the header; the frame may hold padding after it only when it is a minimum-size frame.
fn datagram_body(ip: &[u8], dgram: usize, hdr: usize, l2_len: usize) -> Result<&[u8], String> {
    if dgram < hdr || dgram > ip.len() {
        return Err(format!(
            "ip datagram length {dgram} does not fit the {} bytes after the link header",
            ip.len()
        ));
    }
    if dgram < ip.len() && l2_len + ip.len() > MIN_FRAME {
        return Err(format!(
            "{} bytes after the ip datagram of {dgram} bytes in a frame of {} bytes",
            ip.len() - dgram,
            l2_len + ip.len()
        ));
    }
    Ok(&ip[hdr..dgram])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_verifies() {
        // IPv4 header from RFC 1071 style example with a correct checksum.
        let hdr = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert!(verifies(sum16(&hdr, 0)));
        let mut bad = hdr;
        bad[11] ^= 1;
        assert!(!verifies(sum16(&bad, 0)));
    }
}
