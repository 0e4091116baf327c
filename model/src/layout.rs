//! Byte layouts shared with the host: send descriptor, completion entry, connection
//! context, status codes (see `docs/registers.md`).

use crate::regs::CTX_WORDS;

/// Bytes per send descriptor.
pub const DESC_BYTES: usize = 32;
/// Bytes per completion entry.
pub const CPL_BYTES: usize = 16;
/// Largest payload one descriptor may carry.
pub const MAX_SEND_LEN: u32 = 65535;
/// Smallest MSS a context may have.
pub const MIN_MSS: u16 = 64;

pub const FLAG_PSH: u16 = 1 << 0;
pub const FLAG_FIN: u16 = 1 << 1;
pub const FLAG_IMMEDIATE: u16 = 1 << 2;
pub const FLAGS_DEFINED: u16 = FLAG_PSH | FLAG_FIN | FLAG_IMMEDIATE;

/// A send descriptor as the host writes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Descriptor {
    pub buf_addr: u64,
    pub len: u32,
    pub conn: u16,
    pub flags: u16,
    pub cookie: u64,
    pub reserved: u64,
}

impl Descriptor {
    pub fn encode(&self) -> [u8; DESC_BYTES] {
        let mut b = [0u8; DESC_BYTES];
        b[0..8].copy_from_slice(&self.buf_addr.to_le_bytes());
        b[8..12].copy_from_slice(&self.len.to_le_bytes());
        b[12..14].copy_from_slice(&self.conn.to_le_bytes());
        b[14..16].copy_from_slice(&self.flags.to_le_bytes());
        b[16..24].copy_from_slice(&self.cookie.to_le_bytes());
        b[24..32].copy_from_slice(&self.reserved.to_le_bytes());
        b
    }

    pub fn decode(b: &[u8; DESC_BYTES]) -> Self {
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        Descriptor {
            buf_addr: u64_at(0),
            len: u32::from_le_bytes(b[8..12].try_into().unwrap()),
            conn: u16::from_le_bytes([b[12], b[13]]),
            flags: u16::from_le_bytes([b[14], b[15]]),
            cookie: u64_at(16),
            reserved: u64_at(24),
        }
    }

    pub fn psh(&self) -> bool {
        self.flags & FLAG_PSH != 0
    }
    pub fn fin(&self) -> bool {
        self.flags & FLAG_FIN != 0
    }
    pub fn immediate(&self) -> bool {
        self.flags & FLAG_IMMEDIATE != 0
    }
}

/// Completion status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    Ok = 0,
    ReservedBits = 1,
    BadLength = 2,
    TooLong = 3,
    BadConn = 4,
    InvalidCtx = 5,
    MssTooSmall = 6,
    /// Reserved: not produced by this engine (the code stays assigned).
    Unsupported = 7,
    DmaError = 8,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Ok,
        Status::ReservedBits,
        Status::BadLength,
        Status::TooLong,
        Status::BadConn,
        Status::InvalidCtx,
        Status::MssTooSmall,
        Status::Unsupported,
        Status::DmaError,
    ];

    pub fn from_code(c: u8) -> Option<Status> {
        Status::ALL.get(usize::from(c)).copied()
    }

    /// The name used in reports and in the completions JSON Lines.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::ReservedBits => "reserved_bits",
            Status::BadLength => "bad_length",
            Status::TooLong => "too_long",
            Status::BadConn => "bad_conn",
            Status::InvalidCtx => "invalid_ctx",
            Status::MssTooSmall => "mss_too_small",
            Status::Unsupported => "unsupported",
            Status::DmaError => "dma_error",
        }
    }
}

/// Why a completion batch was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum CloseReason {
    MaxBatch = 0,
    Timeout = 1,
    Immediate = 2,
    RingEnd = 3,
}

impl CloseReason {
    pub const ALL: [CloseReason; 4] =
        [CloseReason::MaxBatch, CloseReason::Timeout, CloseReason::Immediate, CloseReason::RingEnd];

    pub fn from_code(c: u8) -> CloseReason {
        CloseReason::ALL[usize::from(c & 3)]
    }

    pub fn name(self) -> &'static str {
        match self {
            CloseReason::MaxBatch => "max_batch",
            CloseReason::Timeout => "timeout",
            CloseReason::Immediate => "immediate",
            CloseReason::RingEnd => "ring_end",
        }
    }
}

/// One completion entry as the engine writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompletionEntry {
    pub cookie: u64,
    pub bytes: u32,
    pub segments: u16,
    /// Raw status byte (see [`Status::from_code`]).
    pub status: u8,
    pub phase: bool,
    pub end_of_batch: bool,
    /// Close reason, meaningful on the end-of-batch entry.
    pub reason: CloseReason,
}

impl CompletionEntry {
    pub fn encode(&self) -> [u8; CPL_BYTES] {
        let mut b = [0u8; CPL_BYTES];
        b[0..8].copy_from_slice(&self.cookie.to_le_bytes());
        b[8..12].copy_from_slice(&self.bytes.to_le_bytes());
        b[12..14].copy_from_slice(&self.segments.to_le_bytes());
        b[14] = self.status;
        let reason = if self.end_of_batch { self.reason as u8 } else { 0 };
        b[15] = u8::from(self.phase) | (u8::from(self.end_of_batch) << 1) | (reason << 4);
        b
    }

    pub fn decode(b: &[u8; CPL_BYTES]) -> Self {
        CompletionEntry {
            cookie: u64::from_le_bytes(b[0..8].try_into().unwrap()),
            bytes: u32::from_le_bytes(b[8..12].try_into().unwrap()),
            segments: u16::from_le_bytes([b[12], b[13]]),
            status: b[14],
            phase: b[15] & 1 != 0,
            end_of_batch: b[15] & 2 != 0,
            reason: CloseReason::from_code(b[15] >> 4),
        }
    }
}

/// A connection context as the host programs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub valid: bool,
    pub ipv6: bool,
    pub frag_hdr: bool,
    /// 802.1Q VLAN id (12 bits) when tagged.
    pub vlan: Option<u16>,
    /// MAC addresses as 48-bit numbers, first wire byte in bits 47:40.
    pub src_mac: u64,
    pub dst_mac: u64,
    /// IP addresses as 128-bit numbers; IPv4 uses the low 32 bits.
    pub src_ip: u128,
    pub dst_ip: u128,
    pub src_port: u16,
    pub dst_port: u16,
    pub snd_nxt: u32,
    pub ack: u32,
    pub window: u16,
    pub mss: u16,
    pub ttl: u8,
    pub tos: u8,
    /// 20-bit IPv6 flow label.
    pub flow_label: u32,
}

/// Word index of `snd_nxt` in a context.
pub const CTX_W_SND_NXT: usize = 14;

impl Context {
    /// The register words of this context, in the order of `docs/registers.md`.
    pub fn to_words(&self) -> [u32; CTX_WORDS] {
        let mut w = [0u32; CTX_WORDS];
        w[0] = u32::from(self.valid)
            | (u32::from(self.ipv6) << 1)
            | (u32::from(self.frag_hdr) << 2)
            | (u32::from(self.vlan.is_some()) << 3)
            | ((u32::from(self.vlan.unwrap_or(0)) & 0xFFF) << 16);
        w[1] = self.src_mac as u32;
        w[2] = ((self.src_mac >> 32) & 0xFFFF) as u32;
        w[3] = self.dst_mac as u32;
        w[4] = ((self.dst_mac >> 32) & 0xFFFF) as u32;
        for i in 0..4 {
            w[5 + i] = (self.src_ip >> (96 - 32 * i)) as u32;
            w[9 + i] = (self.dst_ip >> (96 - 32 * i)) as u32;
        }
        w[13] = (u32::from(self.src_port) << 16) | u32::from(self.dst_port);
        w[CTX_W_SND_NXT] = self.snd_nxt;
        w[15] = self.ack;
        w[16] = (u32::from(self.mss) << 16) | u32::from(self.window);
        w[17] = u32::from(self.ttl) | (u32::from(self.tos) << 8);
        w[18] = self.flow_label & 0xF_FFFF;
        w
    }

    /// Decode context words (bits outside defined fields are ignored).
    pub fn from_words(w: &[u32; CTX_WORDS]) -> Self {
        let ip = |base: usize| -> u128 {
            (0..4).fold(0u128, |acc, i| (acc << 32) | u128::from(w[base + i]))
        };
        Context {
            valid: w[0] & 1 != 0,
            ipv6: w[0] & 2 != 0,
            frag_hdr: w[0] & 4 != 0,
            vlan: if w[0] & 8 != 0 { Some(((w[0] >> 16) & 0xFFF) as u16) } else { None },
            src_mac: u64::from(w[1]) | (u64::from(w[2] & 0xFFFF) << 32),
            dst_mac: u64::from(w[3]) | (u64::from(w[4] & 0xFFFF) << 32),
            src_ip: ip(5),
            dst_ip: ip(9),
            src_port: (w[13] >> 16) as u16,
            dst_port: w[13] as u16,
            snd_nxt: w[CTX_W_SND_NXT],
            ack: w[15],
            window: w[16] as u16,
            mss: (w[16] >> 16) as u16,
            ttl: w[17] as u8,
            tos: (w[17] >> 8) as u8,
            flow_label: w[18] & 0xF_FFFF,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_round_trip() {
        let d = Descriptor {
            buf_addr: 0x1234_5678_9abc_def1,
            len: 1460,
            conn: 3,
            flags: FLAG_PSH | FLAG_IMMEDIATE,
            cookie: 0xdead_beef_0000_0001,
            reserved: 0,
        };
        let b = d.encode();
        assert_eq!(b[8..12], 1460u32.to_le_bytes());
        assert_eq!(Descriptor::decode(&b), d);
    }

    #[test]
    fn completion_round_trip_and_flag_byte() {
        let e = CompletionEntry {
            cookie: 7,
            bytes: 100,
            segments: 1,
            status: Status::Ok as u8,
            phase: true,
            end_of_batch: true,
            reason: CloseReason::Immediate,
        };
        let b = e.encode();
        assert_eq!(b[15], 0b0010_0011);
        assert_eq!(CompletionEntry::decode(&b), e);
    }

    #[test]
    fn context_round_trip() {
        let c = Context {
            valid: true,
            ipv6: false,
            frag_hdr: false,
            vlan: Some(0xABC),
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
            tos: 0x10,
            flow_label: 0xABCDE,
        };
        assert_eq!(Context::from_words(&c.to_words()), c);
    }
}
