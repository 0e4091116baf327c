//! Scenario files: the JSON format of SPEC §8, its defaults, validation, and the
//! built-in and generated scenarios.
//!
//! A scenario is *malformed* when the file itself is wrong: not JSON, an unknown key, a
//! wrong type, a negative number, a MAC or IP address that does not parse, an address of
//! the wrong family for its connection, a value too large for its field (a cycle count
//! over [`MAX_CYCLE_VALUE`] included), a duplicate connection id, or an environment knob
//! out of range. A missing required key (a connection's addresses and ports, a send's
//! `conn` and `len`) is malformed too; every other key has a default. Those are rejected before the run
//! with a [`ScenarioError`] that names the field path (`connections[0].src_mac`).
//!
//! Values the engine itself must reject are *legal* here and reach the engine: a send
//! length of 0 or over 65535, a `conn` that is not in `connections` or not below
//! `num_conn`, an MSS below 64.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use txoe_model::layout::{Context, Status, MAX_SEND_LEN, MIN_MSS};
use txoe_model::regs;

/// Data widths the RTL elaborates for.
pub const DATA_WIDTHS: [u32; 4] = [64, 128, 256, 512];

/// Longest `env.tready_stalls` window, in cycles.
pub const MAX_STALL: u64 = 1 << 24;

/// Largest `num_conn` whose context window fits the 16-bit register address space.
pub const MAX_NUM_CONN: u32 = 480;

/// Largest value of a field counted in cycles (`sends[].at_cycle`, `env.cq_consumer_lag`,
/// `env.cq_consumer_jitter`, `env.max_cycles`): 2^48, more cycles than any run has
/// (years at the simulators' speed), and small enough that sums of them cannot overflow.
pub const MAX_CYCLE_VALUE: u64 = 1 << 48;

/// Ethernet II header bytes.
const ETH_HDR: u32 = 14;
/// 802.1Q tag bytes.
const VLAN_TAG: u32 = 4;

/// A scenario file that cannot be run, with the path of the offending field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// Field path such as `connections[0].src_mac`; empty for the file as a whole.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
    /// Line and column in the file, when the JSON parser knew them.
    pub location: Option<(usize, usize)>,
}

impl ScenarioError {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            path: path.into(),
            message: message.into(),
            location: None,
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{}: {}", self.path, self.message)?;
        }
        if let Some((line, column)) = self.location {
            write!(f, " (line {line}, column {column})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// A MAC address, held as the 48-bit number whose bits 47:40 are the first wire byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MacAddr(pub u64);

impl MacAddr {
    pub fn parse(s: &str) -> Option<MacAddr> {
        let mut v = 0u64;
        let mut n = 0;
        for part in s.split(':') {
            if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            v = (v << 8) | u64::from(u8::from_str_radix(part, 16).ok()?);
            n += 1;
        }
        (n == 6).then_some(MacAddr(v))
    }

    /// The six bytes in wire order.
    pub fn octets(self) -> [u8; 6] {
        let b = self.0.to_be_bytes();
        [b[2], b[3], b[4], b[5], b[6], b[7]]
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.octets();
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            o[0], o[1], o[2], o[3], o[4], o[5]
        )
    }
}

impl Serialize for MacAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MacAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MacAddr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a MAC address string such as \"02:00:00:00:00:01\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<MacAddr, E> {
                MacAddr::parse(s).ok_or_else(|| E::custom(format!("{s:?} is not a MAC address")))
            }
        }
        d.deserialize_str(V)
    }
}

/// An IPv4 or IPv6 address written as a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpAddress(pub IpAddr);

impl IpAddress {
    /// The address as the context holds it: IPv4 in the low 32 bits.
    pub fn to_u128(self) -> u128 {
        match self.0 {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    }
}

impl fmt::Display for IpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for IpAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IpAddress;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an IP address string such as \"10.0.0.1\" or \"fd00::1\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<IpAddress, E> {
                s.parse::<IpAddr>()
                    .map(IpAddress)
                    .map_err(|_| E::custom(format!("{s:?} is not an IP address")))
            }
        }
        d.deserialize_str(V)
    }
}

/// Engine configuration: build parameters and the registers the host programs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `DATA_W` of the memory and stream buses: 64, 128, 256 or 512.
    pub data_width: u32,
    /// IP MTU, 576..=9000.
    pub mtu: u32,
    /// Completions per batch, 1..=16.
    pub max_batch: u32,
    /// Coalescing timeout in cycles.
    pub timeout_cycles: u32,
    /// Value written to `IPV4_ID` (the engine forces bit 15).
    pub ipv4_id_start: u16,
    /// Value written to `IPV6_ID` (the engine forces bit 31).
    pub ipv6_id_start: u32,
    /// log2 of the TX ring size, 1..=12.
    pub tx_ring_log2: u32,
    /// log2 of the completion queue size, 1..=12.
    pub cq_log2: u32,
    /// `NUM_CONN` build parameter (added key).
    pub num_conn: u32,
    /// Value the host writes to `IRQ_MASK`, 0..=3 (added key).
    pub irq_mask: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_width: 64,
            mtu: 1500,
            max_batch: 8,
            timeout_cycles: 200,
            ipv4_id_start: 0x8000,
            ipv6_id_start: 0x8000_0000,
            tx_ring_log2: 4,
            cq_log2: 4,
            num_conn: 16,
            irq_mask: 0,
        }
    }
}

impl Config {
    pub fn tx_ring_size(&self) -> u32 {
        1 << self.tx_ring_log2
    }
    pub fn cq_size(&self) -> u32 {
        1 << self.cq_log2
    }
    /// Largest Ethernet frame (without FCS) the engine may emit.
    pub fn max_frame_len(&self) -> u32 {
        self.mtu + ETH_HDR + VLAN_TAG
    }
}

fn default_ttl() -> u8 {
    64
}
fn default_window() -> u16 {
    65535
}
fn default_mss() -> u16 {
    1460
}

/// One offloaded connection; `id` is its context index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub id: u16,
    #[serde(default)]
    pub ipv6: bool,
    #[serde(default)]
    pub frag_header: bool,
    #[serde(default)]
    pub vlan: Option<u16>,
    pub src_mac: MacAddr,
    pub dst_mac: MacAddr,
    pub src_ip: IpAddress,
    pub dst_ip: IpAddress,
    pub src_port: u16,
    pub dst_port: u16,
    /// Initial `snd_nxt`.
    #[serde(default)]
    pub seq: u32,
    #[serde(default)]
    pub ack: u32,
    #[serde(default = "default_window")]
    pub window: u16,
    #[serde(default = "default_mss")]
    pub mss: u16,
    #[serde(default = "default_ttl")]
    pub ttl: u8,
    #[serde(default)]
    pub tos: u8,
    #[serde(default)]
    pub flow_label: u32,
}

impl Connection {
    /// The context the host writes for this connection.
    pub fn to_context(&self) -> Context {
        Context {
            valid: true,
            ipv6: self.ipv6,
            frag_hdr: self.frag_header,
            vlan: self.vlan,
            src_mac: self.src_mac.0,
            dst_mac: self.dst_mac.0,
            src_ip: self.src_ip.to_u128(),
            dst_ip: self.dst_ip.to_u128(),
            src_port: self.src_port,
            dst_port: self.dst_port,
            snd_nxt: self.seq,
            ack: self.ack,
            window: self.window,
            mss: self.mss,
            ttl: self.ttl,
            tos: self.tos,
            flow_label: self.flow_label,
        }
    }

    /// IP plus TCP header bytes of one segment.
    pub fn l3l4_header_len(&self) -> u32 {
        match (self.ipv6, self.frag_header) {
            (false, _) => 20 + 20,
            (true, false) => 40 + 20,
            (true, true) => 40 + 8 + 20,
        }
    }

    /// `min(mss, mtu − ip_header − tcp_header)`.
    pub fn eff_mss(&self, mtu: u32) -> u32 {
        u32::from(self.mss).min(mtu.saturating_sub(self.l3l4_header_len()))
    }
}

/// A fault the environment injects around one send (added key `sends[i].fault`).
///
/// Each fires at most once per run, on the send's first attempt that reaches it (a send
/// re-posted after a reset is not faulted again once its fault has fired).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The memory answers the fetch of this send's descriptor with RRESP = SLVERR on beat
    /// `fault_beat` of the burst (its last beat when the burst is shorter): a fatal error
    /// (`ERR.DESC_FETCH`); the host recovers by reset.
    DescRead,
    /// The memory answers payload beat `fault_beat` of this send (0-based, counting every
    /// R beat of every read of the send's buffer, in order) with RRESP = SLVERR: the send
    /// completes `dma_error` with the segments before the failing one sent.
    PayloadRead,
    /// The host sets reserved flag bit 3 in the descriptor: status `reserved_bits`.
    ReservedBits,
    /// The host sets bit 0 of the descriptor's reserved bytes 24..32: status
    /// `reserved_bits`.
    ReservedWord,
    /// Before ringing this send's doorbell the host writes `TX_TAIL` = ring size +
    /// (tail + ring size / 2) mod ring size, outside the ring: ignored by the engine,
    /// `ERR.DOORBELL`.
    BadDoorbell,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::DescRead => "desc_read",
            Fault::PayloadRead => "payload_read",
            Fault::ReservedBits => "reserved_bits",
            Fault::ReservedWord => "reserved_word",
            Fault::BadDoorbell => "bad_doorbell",
        }
    }
}

/// One send request, posted in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Send {
    pub conn: u16,
    pub len: u32,
    #[serde(default)]
    pub psh: bool,
    #[serde(default)]
    pub fin: bool,
    #[serde(default)]
    pub immediate: bool,
    /// Echoed in the completion; the send's index when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<u64>,
    /// Earliest cycle the host writes the descriptor and rings the doorbell.
    #[serde(default)]
    pub at_cycle: u64,
    /// Byte offset of the payload within its buffer.
    #[serde(default)]
    pub buf_offset: u16,
    /// A fault injected around this send (added key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// With `"fault": "payload_read"` or `"desc_read"`: the beat that fails (added key).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fault_beat: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

fn is_empty<T>(v: &[T]) -> bool {
    v.is_empty()
}

impl Send {
    pub fn flags(&self) -> u16 {
        use txoe_model::layout::{FLAG_FIN, FLAG_IMMEDIATE, FLAG_PSH};
        (if self.psh { FLAG_PSH } else { 0 })
            | (if self.fin { FLAG_FIN } else { 0 })
            | (if self.immediate { FLAG_IMMEDIATE } else { 0 })
    }
}

/// Environment knobs: memory, MAC and host behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Env {
    /// Seeds the payload bytes and every random choice of the environment.
    pub seed: u64,
    /// Inclusive [min, max] cycles from an AR handshake to the burst's first R beat.
    #[serde(deserialize_with = "min_max")]
    pub mem_latency: [u32; 2],
    /// Chance, in percent, that the MAC's `tready` is high on a cycle.
    pub tready_percent: u32,
    /// Cycles between a completion entry appearing in memory and the host consuming it.
    pub cq_consumer_lag: u64,
    /// Up to this many more cycles of lag, drawn per entry (added key).
    pub cq_consumer_jitter: u64,
    /// Chance, in percent, of an idle cycle on each memory channel (added key).
    pub mem_gap_percent: u32,
    /// Cycle budget of the run; generous and computed from the sends when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_cycles: Option<u64>,
    /// The completion batch write (0-based, counting every batch write of the run) that
    /// the memory answers with BRESP = SLVERR (added key): a fatal error
    /// (`ERR.CPL_WRITE`); the host recovers by reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cq_write_error_batch: Option<u64>,
    /// Cycles at which the environment raises `rst` for [`RESET_LEN`] cycles (added key).
    #[serde(skip_serializing_if = "is_empty")]
    pub resets: Vec<u64>,
    /// `[first cycle, cycles]` windows in which the MAC holds `tready` low, on top of
    /// `tready_percent` (added key).
    #[serde(skip_serializing_if = "is_empty")]
    pub tready_stalls: Vec<[u64; 2]>,
}

/// Cycles `rst` stays high for each of `env.resets` (and at the start of a run).
pub const RESET_LEN: u64 = 4;

impl Default for Env {
    fn default() -> Self {
        Env {
            seed: 1,
            mem_latency: [2, 20],
            tready_percent: 100,
            cq_consumer_lag: 0,
            cq_consumer_jitter: 0,
            mem_gap_percent: 0,
            max_cycles: None,
            cq_write_error_batch: None,
            resets: Vec::new(),
            tready_stalls: Vec::new(),
        }
    }
}

/// `[min, max]`: exactly two numbers.
fn min_max<'de, D: Deserializer<'de>>(d: D) -> Result<[u32; 2], D::Error> {
    let v: Vec<u32> = Vec::deserialize(d)?;
    <[u32; 2]>::try_from(v.as_slice())
        .map_err(|_| de::Error::custom(format!("expected [min, max], found {} numbers", v.len())))
}

/// A whole scenario file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    pub config: Config,
    pub connections: Vec<Connection>,
    pub sends: Vec<Send>,
    pub env: Env,
}

/// Knobs of [`Scenario::random`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenKnobs {
    /// Number of sends.
    pub sends: usize,
    /// Largest payload length drawn.
    pub max_len: u32,
    /// Allow lengths above the connection's effective MSS (several segments per send).
    pub multi_segment: bool,
    /// Percent of sends the engine must reject (length 0, unknown connection, ...).
    pub bad_percent: u32,
    /// Percent of connections that are IPv6 (half of them with a fragment header).
    pub ipv6_percent: u32,
    pub data_width: u32,
    /// Percent of sends with a [`Fault`] (drawn among the five kinds), plus, when
    /// non-zero, one completion-batch write error.
    pub fault_percent: u32,
    /// Number of resets at random cycles.
    pub resets: u32,
}

impl Default for GenKnobs {
    fn default() -> Self {
        GenKnobs {
            sends: 200,
            max_len: 1460,
            multi_segment: false,
            bad_percent: 0,
            ipv6_percent: 40,
            data_width: 64,
            fault_percent: 0,
            resets: 0,
        }
    }
}

/// The status a send must complete with when it fails validation (`None`: it passes,
/// and completes `ok` or with a status only the engine can know).
pub fn expected_rejection(sc: &Scenario, send: &Send) -> Option<Status> {
    if matches!(send.fault, Some(Fault::ReservedBits | Fault::ReservedWord)) {
        return Some(Status::ReservedBits);
    }
    if send.len == 0 {
        return Some(Status::BadLength);
    }
    if send.len > MAX_SEND_LEN {
        return Some(Status::TooLong);
    }
    if u32::from(send.conn) >= sc.config.num_conn {
        return Some(Status::BadConn);
    }
    match sc.connection(send.conn) {
        None => Some(Status::InvalidCtx),
        Some(c) if c.mss < MIN_MSS => Some(Status::MssTooSmall),
        Some(_) => None,
    }
}

impl Scenario {
    /// Parse and validate a scenario from JSON text.
    pub fn from_json_str(text: &str) -> Result<Scenario, ScenarioError> {
        // Syntax first, then the shape serde would otherwise let through (a struct written
        // as an array), then the typed parse, which knows each value's line and column.
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| plain_json_error(String::new(), &e))?;
        check_shape(&value)?;
        let mut de = serde_json::Deserializer::from_str(text);
        let sc: Scenario = match serde_path_to_error::deserialize(&mut de) {
            Ok(sc) => sc,
            Err(e) => return Err(json_error(e)),
        };
        sc.validate()?;
        Ok(sc)
    }

    /// Read, parse and validate a scenario file.
    pub fn from_path(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ScenarioError::at("", format!("cannot read {}: {e}", path.display())))?;
        Scenario::from_json_str(&text)
    }

    /// Pretty JSON, parseable by [`Scenario::from_json_str`].
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    pub fn connection(&self, id: u16) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// The cookie of send `i`.
    pub fn cookie(&self, i: usize) -> u64 {
        self.sends[i].cookie.unwrap_or(i as u64)
    }

    /// Checks beyond the types: ranges, address families, duplicates.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let c = &self.config;
        if !DATA_WIDTHS.contains(&c.data_width) {
            return Err(ScenarioError::at(
                "config.data_width",
                format!("{} is not one of 64, 128, 256, 512", c.data_width),
            ));
        }
        range(
            "config.mtu",
            c.mtu.into(),
            regs::MTU_MIN.into(),
            regs::MTU_MAX.into(),
        )?;
        range(
            "config.max_batch",
            c.max_batch.into(),
            1,
            regs::MAX_BATCH_MAX.into(),
        )?;
        range(
            "config.tx_ring_log2",
            c.tx_ring_log2.into(),
            1,
            regs::RING_LOG2_MAX.into(),
        )?;
        range(
            "config.cq_log2",
            c.cq_log2.into(),
            1,
            regs::RING_LOG2_MAX.into(),
        )?;
        range("config.num_conn", c.num_conn.into(), 1, MAX_NUM_CONN.into())?;
        range("config.irq_mask", c.irq_mask.into(), 0, 3)?;

        for (i, conn) in self.connections.iter().enumerate() {
            let p = |f: &str| format!("connections[{i}].{f}");
            if u32::from(conn.id) >= c.num_conn {
                return Err(ScenarioError::at(
                    p("id"),
                    format!("{} is not below config.num_conn ({})", conn.id, c.num_conn),
                ));
            }
            if let Some(j) = self.connections[..i].iter().position(|o| o.id == conn.id) {
                return Err(ScenarioError::at(
                    p("id"),
                    format!("{} is already the id of connections[{j}]", conn.id),
                ));
            }
            if let Some(v) = conn.vlan {
                if v > 4095 {
                    return Err(ScenarioError::at(p("vlan"), format!("{v} is over 4095")));
                }
            }
            if conn.flow_label > 0xF_FFFF {
                return Err(ScenarioError::at(
                    p("flow_label"),
                    format!("{} is over 1048575 (20 bits)", conn.flow_label),
                ));
            }
            for (name, addr) in [("src_ip", conn.src_ip), ("dst_ip", conn.dst_ip)] {
                match (conn.ipv6, addr.0) {
                    (false, IpAddr::V6(_)) => {
                        return Err(ScenarioError::at(
                            p(name),
                            format!(
                            "\"{addr}\" is an IPv6 address on an IPv4 connection (\"ipv6\": false)"
                        ),
                        ))
                    }
                    (true, IpAddr::V4(_)) => {
                        return Err(ScenarioError::at(
                            p(name),
                            format!(
                            "\"{addr}\" is an IPv4 address on an IPv6 connection (\"ipv6\": true)"
                        ),
                        ))
                    }
                    _ => {}
                }
            }
        }

        for (i, send) in self.sends.iter().enumerate() {
            range(&format!("sends[{i}].at_cycle"), send.at_cycle, 0, MAX_CYCLE_VALUE)?;
        }

        let e = &self.env;
        range("env.cq_consumer_lag", e.cq_consumer_lag, 0, MAX_CYCLE_VALUE)?;
        range("env.cq_consumer_jitter", e.cq_consumer_jitter, 0, MAX_CYCLE_VALUE)?;
        if let Some(m) = e.max_cycles {
            range("env.max_cycles", m, 0, MAX_CYCLE_VALUE)?;
        }
        let [lo, hi] = e.mem_latency;
        if lo < 1 {
            return Err(ScenarioError::at(
                "env.mem_latency",
                "minimum 0 is below 1 (the first R beat follows its AR handshake by at least one cycle)",
            ));
        }
        if lo > hi {
            return Err(ScenarioError::at(
                "env.mem_latency",
                format!("minimum {lo} is above maximum {hi}"),
            ));
        }
        range("env.tready_percent", e.tready_percent.into(), 0, 100)?;
        range("env.mem_gap_percent", e.mem_gap_percent.into(), 0, 100)?;
        for (i, s) in self.sends.iter().enumerate() {
            if s.fault_beat != 0 && !matches!(s.fault, Some(Fault::PayloadRead | Fault::DescRead)) {
                return Err(ScenarioError::at(
                    format!("sends[{i}].fault_beat"),
                    "only meaningful with \"fault\": \"payload_read\" or \"desc_read\"",
                ));
            }
        }
        for (i, w) in e.tready_stalls.iter().enumerate() {
            if w[1] > MAX_STALL {
                return Err(ScenarioError::at(
                    format!("env.tready_stalls[{i}]"),
                    format!("a stall of {} cycles is over {MAX_STALL}", w[1]),
                ));
            }
        }
        if self.has_faults() && c.irq_mask & regs::IRQ_ERR != 0 {
            return Err(ScenarioError::at(
                "config.irq_mask",
                "bit 1 (ERR) masked, but the scenario injects faults or resets: the host learns of errors from irq",
            ));
        }
        Ok(())
    }

    /// True when the scenario injects faults or resets: the host then services `irq`
    /// (reads and clears `IRQ_STATUS` and `ERR`) and recovers from fatal errors by reset.
    pub fn has_faults(&self) -> bool {
        self.sends.iter().any(|s| s.fault.is_some())
            || self.env.cq_write_error_batch.is_some()
            || !self.env.resets.is_empty()
    }

    /// The run's cycle budget: `env.max_cycles`, or a generous bound from the sends.
    pub fn max_cycles(&self) -> u64 {
        self.env
            .max_cycles
            .unwrap_or_else(|| self.default_max_cycles())
    }

    /// A bound no healthy run comes near: every send is charged its worst-case memory
    /// latency per read burst and per segment (as if every segment were a minimum-MSS one),
    /// its beats slowed by the MAC's and memory's idle cycles, the coalescing timeout and
    /// the host's consumer lag, as if nothing overlapped.
    pub fn default_max_cycles(&self) -> u64 {
        let bpb = u64::from(self.config.data_width / 8);
        let ready = u64::from(self.env.tready_percent.max(1));
        let gap = u64::from(self.env.mem_gap_percent.min(99));
        let slow = |beats: u64| beats * 100 / ready * 100 / (100 - gap) * 2;
        // Saturating: the cycle-count fields are bounded by validation, their sum over a
        // long file need not be.
        let per_send_fixed = (400
            + 4 * u64::from(self.env.mem_latency[1])
            + u64::from(self.config.timeout_cycles))
        .saturating_add(self.env.cq_consumer_lag)
        .saturating_add(self.env.cq_consumer_jitter);
        let sends: u64 = self
            .sends
            .iter()
            .map(|s| {
                let len = u64::from(s.len.min(MAX_SEND_LEN));
                let bursts = len / (bpb * 16) + len / u64::from(MIN_MSS) + 2;
                per_send_fixed
                    .saturating_add(slow(len / bpb + 16))
                    .saturating_add(bursts * (u64::from(self.env.mem_latency[1]) + 100))
            })
            .fold(0, u64::saturating_add);
        let last_at = self.sends.iter().map(|s| s.at_cycle).max().unwrap_or(0);
        let config = 100 * self.connections.len() as u64 * regs::CTX_WORDS as u64;
        // A reset (scheduled or a recovery) costs a new configuration and, at worst, every
        // send again.
        let recoveries = self.env.resets.len() as u64
            + self.sends.iter().filter(|s| matches!(s.fault, Some(Fault::DescRead))).count() as u64
            + u64::from(self.env.cq_write_error_batch.is_some());
        let stalls = self.env.tready_stalls.iter().fold(0u64, |a, w| a.saturating_add(w[1]));
        // Resets past the run's end never happen: only those within reach count.
        let base = (20_000 + config).saturating_add(last_at).saturating_add(sends);
        let last_reset = self.env.resets.iter().copied().filter(|&r| r < base).max().unwrap_or(0);
        base.saturating_mul(1 + recoveries).saturating_add(stalls).saturating_add(last_reset)
    }

    /// The scenario `txoe run` uses without a file: two IPv4 connections (one tagged),
    /// twelve single-segment sends with mixed offsets and flags, and an IPv4 ID start that
    /// wraps 0xFFFF → 0x8000 during the run.
    pub fn builtin_default() -> Scenario {
        let conn = |id: u16, vlan: Option<u16>, n: u8, mss: u16, seq: u32| Connection {
            id,
            ipv6: false,
            frag_header: false,
            vlan,
            src_mac: MacAddr(0x0200_0000_0001 + u64::from(n) * 0x10),
            dst_mac: MacAddr(0x0200_0000_0002 + u64::from(n) * 0x10),
            src_ip: IpAddress(IpAddr::from([10, 0, n, 1])),
            dst_ip: IpAddress(IpAddr::from([10, 0, n, 2])),
            src_port: 40000 + u16::from(n),
            dst_port: 80 + u16::from(n) * 363,
            seq,
            ack: 5000 + u32::from(n) * 1000,
            window: 65535 - u16::from(n) * 1024,
            mss,
            ttl: 64,
            tos: n * 0x10,
            flow_label: 0,
        };
        let connections = vec![
            conn(0, None, 0, 1460, 1000),
            conn(1, Some(100), 1, 1400, 0xFFFF_F000),
        ];
        // (conn, len, psh, fin, immediate, at_cycle, buf_offset)
        let plan: [(u16, u32, bool, bool, bool, u64, u16); 12] = [
            (0, 1460, false, false, false, 0, 0),
            (1, 1, true, false, false, 0, 1),
            (0, 64, false, false, false, 0, 2),
            (1, 1400, true, false, false, 0, 3),
            (0, 733, false, false, true, 0, 4),
            (0, 1000, true, false, false, 1500, 5),
            (1, 17, false, false, false, 1500, 6),
            (0, 1459, false, false, false, 1500, 7),
            (1, 512, true, false, true, 1600, 0),
            (0, 60, false, false, false, 4000, 3),
            (1, 999, false, false, false, 4000, 5),
            (0, 256, true, true, true, 4100, 7),
        ];
        let sends = plan
            .iter()
            .enumerate()
            .map(
                |(i, &(conn, len, psh, fin, immediate, at_cycle, buf_offset))| Send {
                    conn,
                    len,
                    psh,
                    fin,
                    immediate,
                    cookie: Some(0x1000 + i as u64),
                    at_cycle,
                    buf_offset,
                    ..Send::default()
                },
            )
            .collect();
        Scenario {
            config: Config {
                max_batch: 4,
                ipv4_id_start: 65530,
                ..Config::default()
            },
            connections,
            sends,
            env: Env {
                seed: 1,
                mem_latency: [2, 20],
                tready_percent: 80,
                cq_consumer_lag: 50,
                cq_consumer_jitter: 0,
                mem_gap_percent: 0,
                ..Env::default()
            },
        }
    }

    /// A valid random scenario: IPv4 connections, single-segment sends (unless
    /// `knobs.multi_segment`), random offsets, flags, posting times and environment knobs.
    /// The same seed and knobs always give the same scenario.
    pub fn random(seed: u64, knobs: &GenKnobs) -> Scenario {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7478_6F65_5343_4E00);
        let mtu = if rng.gen_bool(0.6) {
            1500
        } else {
            rng.gen_range(regs::MTU_MIN..=regs::MTU_MAX)
        };
        let config = Config {
            data_width: knobs.data_width,
            mtu,
            max_batch: rng.gen_range(1..=regs::MAX_BATCH_MAX),
            timeout_cycles: rng.gen_range(1..=400),
            ipv4_id_start: if rng.gen_bool(0.5) {
                0xFFFF - rng.gen_range(0..32)
            } else {
                rng.gen()
            },
            ipv6_id_start: rng.gen(),
            tx_ring_log2: rng.gen_range(2..=6),
            cq_log2: rng.gen_range(2..=6),
            num_conn: 16,
            irq_mask: 0,
        };

        let n_conn = rng.gen_range(1..=4usize);
        let mut ids: Vec<u16> = (0..config.num_conn as u16).collect();
        let mut connections = Vec::with_capacity(n_conn);
        for n in 0..n_conn {
            let id = ids.swap_remove(rng.gen_range(0..ids.len()));
            let mac = |rng: &mut ChaCha8Rng| {
                MacAddr(0x0200_0000_0000 | (rng.gen::<u64>() & 0xFF_FFFF_FFFF))
            };
            let mss = if rng.gen_bool(0.5) {
                1460
            } else {
                rng.gen_range(MIN_MSS..=1460)
            };
            let ipv6 = rng.gen_range(0..100) < knobs.ipv6_percent;
            let frag_header = ipv6 && rng.gen_bool(0.5);
            let (src_ip, dst_ip) = if ipv6 {
                let host = |net: u16, rng: &mut ChaCha8Rng| {
                    IpAddr::from(std::net::Ipv6Addr::from((0xfd00_0000_0000_0000_u128 | u128::from(net)) << 64 | u128::from(rng.gen::<u64>())))
                };
                (host(n as u16, &mut rng), host(100 + n as u16, &mut rng))
            } else {
                (
                    IpAddr::from([10, n as u8, rng.gen(), rng.gen()]),
                    IpAddr::from([10, 100 + n as u8, rng.gen(), rng.gen()]),
                )
            };
            connections.push(Connection {
                id,
                ipv6,
                frag_header,
                vlan: rng.gen_bool(0.3).then(|| rng.gen_range(0..4096)),
                src_mac: mac(&mut rng),
                dst_mac: mac(&mut rng),
                src_ip: IpAddress(src_ip),
                dst_ip: IpAddress(dst_ip),
                src_port: rng.gen_range(1024..=u16::MAX),
                dst_port: rng.gen_range(1..=u16::MAX),
                seq: rng.gen(),
                ack: rng.gen(),
                window: rng.gen(),
                mss,
                ttl: rng.gen_range(1..=255),
                tos: rng.gen(),
                flow_label: if ipv6 { rng.gen_range(0..1 << 20) } else { 0 },
            });
        }

        let mut at = 0u64;
        let mut sends = Vec::with_capacity(knobs.sends);
        for _ in 0..knobs.sends {
            at += match rng.gen_range(0..10) {
                0..=5 => 0,
                6..=8 => rng.gen_range(1..=100),
                _ => rng.gen_range(100..=1000),
            };
            let c = &connections[rng.gen_range(0..connections.len())];
            let cap = if knobs.multi_segment {
                knobs.max_len
            } else {
                knobs.max_len.min(c.eff_mss(mtu))
            };
            let cap = cap.clamp(1, MAX_SEND_LEN);
            let mut conn = c.id;
            let mut len = match rng.gen_range(0..4) {
                0 => rng.gen_range(1..=cap.min(64)),
                1 => cap,
                _ => rng.gen_range(1..=cap),
            };
            if rng.gen_range(0..100) < knobs.bad_percent {
                match rng.gen_range(0..4) {
                    0 => len = 0,
                    1 => len = rng.gen_range(MAX_SEND_LEN + 1..=u32::MAX),
                    2 => conn = rng.gen_range(config.num_conn as u16..=u16::MAX),
                    _ => {
                        let free: Vec<u16> = (0..config.num_conn as u16)
                            .filter(|id| connections.iter().all(|c| c.id != *id))
                            .collect();
                        conn = free[rng.gen_range(0..free.len())];
                    }
                }
            }
            sends.push(Send {
                conn,
                len,
                psh: rng.gen_bool(0.5),
                fin: rng.gen_bool(0.1),
                immediate: rng.gen_bool(0.15),
                cookie: Some(rng.gen()),
                at_cycle: at,
                buf_offset: rng.gen_range(0..64),
                ..Send::default()
            });
        }

        let lat_min = rng.gen_range(1..=10);
        let env = Env {
            seed,
            mem_latency: [lat_min, lat_min + rng.gen_range(0..=40)],
            tready_percent: if rng.gen_bool(0.5) {
                100
            } else {
                rng.gen_range(20..=99)
            },
            cq_consumer_lag: rng.gen_range(0..=200),
            cq_consumer_jitter: 0,
            mem_gap_percent: if rng.gen_bool(0.5) {
                0
            } else {
                rng.gen_range(1..=30)
            },
            ..Env::default()
        };
        let mut sc = Scenario {
            config,
            connections,
            sends,
            env,
        };
        sc.add_random_faults(seed, knobs);
        sc
    }

    /// The faults and resets of [`GenKnobs::fault_percent`] and [`GenKnobs::resets`], from
    /// a random stream of their own (the rest of the scenario is the same with or without
    /// them).
    fn add_random_faults(&mut self, seed: u64, knobs: &GenKnobs) {
        if knobs.fault_percent == 0 && knobs.resets == 0 {
            return;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6661_756C_7473_0000);
        let mut span = 0u64;
        for s in &mut self.sends {
            span = span.max(s.at_cycle);
            if rng.gen_range(0..100) < knobs.fault_percent {
                let f = [
                    Fault::DescRead,
                    Fault::PayloadRead,
                    Fault::ReservedBits,
                    Fault::ReservedWord,
                    Fault::BadDoorbell,
                ][rng.gen_range(0..5)];
                s.fault = Some(f);
                if f == Fault::PayloadRead {
                    let beats = u64::from(s.len.min(MAX_SEND_LEN)) / u64::from(self.config.data_width / 8);
                    s.fault_beat = rng.gen_range(0..=beats.min(64)) as u32;
                } else if f == Fault::DescRead {
                    s.fault_beat = rng.gen_range(0..4);
                }
            }
        }
        if knobs.fault_percent > 0 {
            self.env.cq_write_error_batch = Some(rng.gen_range(0..=self.sends.len() as u64 / 2));
        }
        let horizon = span + 2000 + 40 * self.sends.len() as u64;
        let mut resets: Vec<u64> = (0..knobs.resets).map(|_| rng.gen_range(10..horizon)).collect();
        resets.sort_unstable();
        self.env.resets = resets;
    }
}

/// Objects where the format has objects: the file, `config`, `env`, and each element of
/// `connections` and `sends`.
fn check_shape(v: &serde_json::Value) -> Result<(), ScenarioError> {
    fn kind(v: &serde_json::Value) -> &'static str {
        match v {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::Object(_) => "an object",
        }
    }
    let object = |path: &str, v: &serde_json::Value| {
        if v.is_object() {
            Ok(())
        } else {
            Err(ScenarioError::at(
                path,
                format!("invalid type: {}, expected an object", kind(v)),
            ))
        }
    };
    object("", v)?;
    for key in ["config", "env"] {
        if let Some(x) = v.get(key) {
            object(key, x)?;
        }
    }
    for key in ["connections", "sends"] {
        if let Some(serde_json::Value::Array(items)) = v.get(key) {
            for (i, x) in items.iter().enumerate() {
                object(&format!("{key}[{i}]"), x)?;
            }
        }
    }
    Ok(())
}

fn range(path: &str, v: u64, lo: u64, hi: u64) -> Result<(), ScenarioError> {
    if v < lo || v > hi {
        return Err(ScenarioError::at(
            path,
            format!("{v} is outside {lo}..={hi}"),
        ));
    }
    Ok(())
}

/// The message of a serde_json error without its " at line L column C" suffix.
fn plain_json_error(path: String, e: &serde_json::Error) -> ScenarioError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let mut message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    if e.is_syntax() || e.is_eof() {
        message = format!("not valid JSON: {message}");
    }
    let location = (e.line() > 0).then_some((e.line(), e.column()));
    ScenarioError {
        path,
        message,
        location,
    }
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ScenarioError {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    plain_json_error(path, e.inner())
}
