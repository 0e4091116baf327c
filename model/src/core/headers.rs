//! Ethernet II / 802.1Q / IPv4 or IPv6 (+ fragment header) / TCP header construction.

use super::checksum::{finish, sum_be16};
use crate::layout::Context;

pub const ETH_HDR: usize = 14;
pub const VLAN_TAG: usize = 4;
pub const IPV4_HDR: usize = 20;
pub const IPV6_HDR: usize = 40;
pub const FRAG_HDR: usize = 8;
pub const TCP_HDR: usize = 20;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86DD;
/// IPv6 next-header value of the fragment header.
pub const IPV6_NEXT_FRAGMENT: u8 = 44;
pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const IP_PROTO_TCP: u8 = 6;
/// IPv4 flags/fragment-offset field with DF set, MF clear, offset 0.
pub const IPV4_DF: u16 = 0x4000;

pub const TCP_FIN: u8 = 0x01;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;

/// What varies per segment on top of the connection context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderFields {
    /// TCP sequence number of the segment.
    pub seq: u32,
    /// TCP payload bytes.
    pub len: u16,
    pub psh: bool,
    pub fin: bool,
    /// IPv4 identification (unused for IPv6).
    pub ip_id: u16,
    /// IPv6 fragment identification (used when the context has a fragment header).
    pub frag_id: u32,
}

/// Bytes of the IP and TCP headers for this context: what the MTU must leave room for.
pub fn l3l4_len(ctx: &Context) -> usize {
    let ip = match (ctx.ipv6, ctx.frag_hdr) {
        (false, _) => IPV4_HDR,
        (true, false) => IPV6_HDR,
        (true, true) => IPV6_HDR + FRAG_HDR,
    };
    ip + TCP_HDR
}

/// Bytes of the headers in front of the TCP payload for this context.
pub fn header_len(ctx: &Context) -> usize {
    ETH_HDR + if ctx.vlan.is_some() { VLAN_TAG } else { 0 } + l3l4_len(ctx)
}

/// The Ethernet, optional 802.1Q, IPv4 and TCP headers of one segment. `payload_sum` is
/// the big-endian 16-bit word sum of the segment's payload ([`super::checksum::sum_be16`]),
/// so that the payload need not be at hand.
pub fn build_headers(ctx: &Context, f: &HeaderFields, payload_sum: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(header_len(ctx));
    h.extend_from_slice(&ctx.dst_mac.to_be_bytes()[2..]);
    h.extend_from_slice(&ctx.src_mac.to_be_bytes()[2..]);
    if let Some(vid) = ctx.vlan {
        h.extend_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
        h.extend_from_slice(&(vid & 0x0FFF).to_be_bytes());
    }
    let tcp_len = TCP_HDR as u16 + f.len;
    // The TCP pseudo-header's addresses: 4 or 16 bytes each.
    let (src, dst): (Vec<u8>, Vec<u8>) = if ctx.ipv6 {
        h.extend_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
        let payload_len = tcp_len + if ctx.frag_hdr { FRAG_HDR as u16 } else { 0 };
        let vtc_flow = (6u32 << 28) | (u32::from(ctx.tos) << 20) | (ctx.flow_label & 0xF_FFFF);
        h.extend_from_slice(&vtc_flow.to_be_bytes());
        h.extend_from_slice(&payload_len.to_be_bytes());
        h.push(if ctx.frag_hdr { IPV6_NEXT_FRAGMENT } else { IP_PROTO_TCP });
        h.push(ctx.ttl);
        h.extend_from_slice(&ctx.src_ip.to_be_bytes());
        h.extend_from_slice(&ctx.dst_ip.to_be_bytes());
        if ctx.frag_hdr {
            // next header TCP, reserved, offset 0 with M = 0: a whole datagram, never a fragment
            h.extend_from_slice(&[IP_PROTO_TCP, 0, 0, 0]);
            h.extend_from_slice(&f.frag_id.to_be_bytes());
        }
        (ctx.src_ip.to_be_bytes().to_vec(), ctx.dst_ip.to_be_bytes().to_vec())
    } else {
        h.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        let src = (ctx.src_ip as u32).to_be_bytes();
        let dst = (ctx.dst_ip as u32).to_be_bytes();
        let ip_at = h.len();
        let total_len = IPV4_HDR as u16 + tcp_len;
        h.extend_from_slice(&[0x45, ctx.tos]);
        h.extend_from_slice(&total_len.to_be_bytes());
        h.extend_from_slice(&f.ip_id.to_be_bytes());
        h.extend_from_slice(&IPV4_DF.to_be_bytes());
        h.extend_from_slice(&[ctx.ttl, IP_PROTO_TCP, 0, 0]);
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        let ip_csum = finish(sum_be16(0, &h[ip_at..]));
        h[ip_at + 10..ip_at + 12].copy_from_slice(&ip_csum.to_be_bytes());
        (src.to_vec(), dst.to_vec())
    };

    let tcp_at = h.len();
    let mut flags = TCP_ACK;
    if f.psh {
        flags |= TCP_PSH;
    }
    if f.fin {
        flags |= TCP_FIN;
    }
    h.extend_from_slice(&ctx.src_port.to_be_bytes());
    h.extend_from_slice(&ctx.dst_port.to_be_bytes());
    h.extend_from_slice(&f.seq.to_be_bytes());
    h.extend_from_slice(&ctx.ack.to_be_bytes());
    h.extend_from_slice(&[0x50, flags]);
    h.extend_from_slice(&ctx.window.to_be_bytes());
    h.extend_from_slice(&[0, 0, 0, 0]);

    // Pseudo-header: addresses, upper-layer length, protocol (RFC 793 / RFC 8200 8.1).
    let mut s = sum_be16(sum_be16(payload_sum, &src), &dst);
    s = s.wrapping_add(u32::from(tcp_len)).wrapping_add(u32::from(IP_PROTO_TCP));
    let s = sum_be16(s, &h[tcp_at..]);
    let tcp_csum = finish(s);
    h[tcp_at + 16..tcp_at + 18].copy_from_slice(&tcp_csum.to_be_bytes());
    h
}

/// A whole frame (without FCS): headers followed by `payload`.
pub fn build_frame(ctx: &Context, f: &HeaderFields, payload: &[u8]) -> Vec<u8> {
    debug_assert_eq!(payload.len(), usize::from(f.len));
    let mut frame = build_headers(ctx, f, sum_be16(0, payload));
    frame.extend_from_slice(payload);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    use proptest::prelude::*;

    fn ctx(vlan: Option<u16>) -> Context {
        Context {
            valid: true,
            vlan,
            src_mac: 0x0200_0000_0001,
            dst_mac: 0x0200_0000_0002,
            src_ip: 0x0A00_0001,
            dst_ip: 0x0A00_0002,
            src_port: 40000,
            dst_port: 80,
            snd_nxt: 1000,
            ack: 5000,
            window: 65535,
            mss: 1460,
            ttl: 64,
            tos: 0,
            ..Context::default()
        }
    }

    /// Parse `frame` with etherparse and check every field the engine sets.
    fn check_frame(c: &Context, f: &HeaderFields, payload: &[u8], frame: &[u8]) {
        let p = SlicedPacket::from_ethernet(frame).expect("etherparse accepts the frame");
        let eth = p.link.as_ref().and_then(|l| l.to_header()).expect("ethernet header");
        let eth = eth.ethernet2().expect("Ethernet II");
        assert_eq!(eth.destination, c.dst_mac.to_be_bytes()[2..]);
        assert_eq!(eth.source, c.src_mac.to_be_bytes()[2..]);
        match c.vlan {
            Some(v) => {
                let Some(etherparse::VlanSlice::SingleVlan(tag)) = &p.vlan else {
                    panic!("one 802.1Q tag expected")
                };
                assert_eq!(tag.vlan_identifier().value(), v);
            }
            None => assert!(p.vlan.is_none()),
        }
        let Some(TransportSlice::Tcp(tcp)) = &p.transport else { panic!("TCP expected") };
        let expect = match &p.net {
            Some(NetSlice::Ipv4(ip)) => {
                assert!(!c.ipv6);
                let ih = ip.header();
                assert!(ih.dont_fragment());
                assert!(!ih.more_fragments());
                assert_eq!(ih.fragments_offset().value(), 0);
                assert_eq!(ih.identification(), f.ip_id);
                let ih_owned = ih.to_header();
                assert_eq!(ih_owned.calc_header_checksum(), ih.header_checksum(), "IPv4 header checksum");
                tcp.to_header().calc_checksum_ipv4(&ih_owned, payload).expect("checksum computable")
            }
            Some(NetSlice::Ipv6(ip)) => {
                assert!(c.ipv6);
                let ih = ip.header();
                assert_eq!(ih.traffic_class(), c.tos);
                assert_eq!(ih.flow_label().value(), c.flow_label);
                assert_eq!(ih.hop_limit(), c.ttl);
                assert_eq!(ip.is_payload_fragmented(), false, "never a fragment");
                let frag = ip.extensions().first_header();
                if c.frag_hdr {
                    assert_eq!(ih.next_header(), etherparse::IpNumber::IPV6_FRAGMENTATION_HEADER);
                    let bytes = &frame[header_len(c) - TCP_HDR - FRAG_HDR..][..FRAG_HDR];
                    assert_eq!(&bytes[2..4], &[0, 0], "offset 0, M = 0");
                    assert_eq!(u32::from_be_bytes(bytes[4..8].try_into().unwrap()), f.frag_id);
                } else {
                    assert_eq!(ih.next_header(), etherparse::IpNumber::TCP);
                    assert!(frag.is_none());
                }
                let src = c.src_ip.to_be_bytes();
                let dst = c.dst_ip.to_be_bytes();
                tcp.to_header().calc_checksum_ipv6_raw(src, dst, payload).expect("checksum computable")
            }
            _ => panic!("IP expected"),
        };
        assert_eq!(tcp.sequence_number(), f.seq);
        assert_eq!(tcp.acknowledgment_number(), c.ack);
        assert!(tcp.ack());
        assert_eq!(tcp.psh(), f.psh);
        assert_eq!(tcp.fin(), f.fin);
        assert_eq!(tcp.payload(), payload);
        assert_eq!(tcp.checksum(), expect, "TCP checksum");
    }

    #[test]
    fn known_frame_parses() {
        let c = ctx(None);
        let f = HeaderFields { seq: 1000, len: 5, psh: true, fin: false, ip_id: 0x8001, frag_id: 0 };
        let frame = build_frame(&c, &f, b"hello");
        assert_eq!(frame.len(), 54 + 5);
        assert_eq!(&frame[12..14], &[0x08, 0x00]);
        assert_eq!(frame[20], 0x40, "DF set");
        check_frame(&c, &f, b"hello", &frame);
    }

    proptest! {
        #[test]
        fn every_frame_parses_and_verifies(
            payload in proptest::collection::vec(any::<u8>(), 1..1460),
            vlan in proptest::option::of(0u16..4096),
            seq: u32, id in 0x8000u16..=0xFFFF, psh: bool, fin: bool,
            src_ip: u32, dst_ip: u32, tos: u8, ttl: u8,
        ) {
            let mut c = ctx(vlan);
            c.src_ip = u128::from(src_ip);
            c.dst_ip = u128::from(dst_ip);
            c.tos = tos;
            c.ttl = ttl;
            let f = HeaderFields { seq, len: payload.len() as u16, psh, fin, ip_id: id, frag_id: 0 };
            let frame = build_frame(&c, &f, &payload);
            prop_assert_eq!(frame.len(), header_len(&c) + payload.len());
            check_frame(&c, &f, &payload, &frame);
        }

        #[test]
        fn every_ipv6_frame_parses_and_verifies(
            payload in proptest::collection::vec(any::<u8>(), 1..1440),
            vlan in proptest::option::of(0u16..4096),
            frag_hdr: bool, seq: u32, frag_id in 0x8000_0000u32..=0xFFFF_FFFF,
            src_ip: u128, dst_ip: u128, tos: u8, ttl: u8, flow_label in 0u32..(1 << 20),
        ) {
            let mut c = ctx(vlan);
            c.ipv6 = true;
            c.frag_hdr = frag_hdr;
            c.src_ip = src_ip;
            c.dst_ip = dst_ip;
            c.tos = tos;
            c.ttl = ttl;
            c.flow_label = flow_label;
            let f = HeaderFields { seq, len: payload.len() as u16, psh: true, fin: false, ip_id: 0, frag_id };
            let frame = build_frame(&c, &f, &payload);
            prop_assert_eq!(frame.len(), header_len(&c) + payload.len());
            check_frame(&c, &f, &payload, &frame);
        }
    }
}
