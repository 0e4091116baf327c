//! The register file: register values read from the engine, one `NAME value` a line.
//!
//! ```text
//! # txoe registers after the run
//! CNT_FRAMES 12
//! IPV4_ID 0x8006
//! SND_NXT[0] 6992
//! ```
//!
//! `NAME` is a register name of `docs/registers.md` (`CNT_FRAMES`, `IPV4_ID`, ...) or
//! `SND_NXT[c]`, connection `c`'s `snd_nxt` (context word 14); `value` is decimal or
//! `0x` hexadecimal, at most 32 bits. Blank lines and text from `#` to the end of a line
//! are ignored. A name may appear once.

use std::collections::BTreeMap;
use std::path::Path;

use txoe_model::regs;

/// Every register name of the map and its address.
pub const NAMES: [(&str, u32); 30] = [
    ("ID", regs::ID),
    ("CTRL", regs::CTRL),
    ("STATUS", regs::STATUS),
    ("ERR", regs::ERR),
    ("IRQ_STATUS", regs::IRQ_STATUS),
    ("IRQ_MASK", regs::IRQ_MASK),
    ("MTU", regs::MTU),
    ("MAX_BATCH", regs::MAX_BATCH),
    ("TIMEOUT", regs::TIMEOUT),
    ("IPV4_ID", regs::IPV4_ID),
    ("IPV6_ID", regs::IPV6_ID),
    ("TX_BASE_LO", regs::TX_BASE_LO),
    ("TX_BASE_HI", regs::TX_BASE_HI),
    ("TX_LOG2", regs::TX_LOG2),
    ("TX_TAIL", regs::TX_TAIL),
    ("TX_HEAD", regs::TX_HEAD),
    ("CQ_BASE_LO", regs::CQ_BASE_LO),
    ("CQ_BASE_HI", regs::CQ_BASE_HI),
    ("CQ_LOG2", regs::CQ_LOG2),
    ("CQ_HEAD", regs::CQ_HEAD),
    ("CQ_TAIL", regs::CQ_TAIL),
    ("CNT_FRAMES", regs::CNT_FRAMES),
    ("CNT_BYTES", regs::CNT_BYTES),
    ("CNT_CPL", regs::CNT_CPL),
    ("CNT_BATCH", regs::CNT_BATCH),
    ("CNT_ERR", regs::CNT_ERR),
    ("CNT_CLOSE_MAX_BATCH", regs::CNT_CLOSE_MAX_BATCH),
    ("CNT_CLOSE_TIMEOUT", regs::CNT_CLOSE_TIMEOUT),
    ("CNT_CLOSE_IMMEDIATE", regs::CNT_CLOSE_IMMEDIATE),
    ("CNT_CLOSE_RING_END", regs::CNT_CLOSE_RING_END),
];

/// The register name of byte address `addr`, if it has one.
pub fn name_of(addr: u32) -> Option<&'static str> {
    NAMES.iter().find(|(_, a)| *a == addr).map(|(n, _)| *n)
}

/// The connection of a `SND_NXT[c]` name.
pub fn snd_nxt_conn(name: &str) -> Option<u16> {
    name.strip_prefix("SND_NXT[")?.strip_suffix(']')?.parse().ok()
}

/// Register values by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterFile {
    pub values: BTreeMap<String, u32>,
}

fn parse_value(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl RegisterFile {
    /// Parse a register file; errors name the line.
    pub fn parse(text: &str) -> Result<RegisterFile, String> {
        let mut values = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let at = |m: String| format!("line {}: {m}", i + 1);
            let mut parts = line.split_whitespace();
            let (Some(name), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(at(format!("expected `NAME value`, found {line:?}")));
            };
            if name_of_known(name).is_none() {
                return Err(at(format!(
                    "unknown register {name:?} (names are those of docs/registers.md, or SND_NXT[c])"
                )));
            }
            let Some(v) = parse_value(value) else {
                return Err(at(format!(
                    "value {value:?} of {name} is not a 32-bit decimal or 0x-hexadecimal number"
                )));
            };
            if values.insert(name.to_string(), v).is_some() {
                return Err(at(format!("{name} appears twice")));
            }
        }
        Ok(RegisterFile { values })
    }

    pub fn read_file(path: &Path) -> Result<RegisterFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        RegisterFile::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The file's text: a comment line, then one `NAME 0xVALUE` line per register.
    pub fn to_text(&self) -> String {
        let mut s = String::from("# txoe registers: NAME value\n");
        for (n, v) in &self.values {
            s.push_str(&format!("{n} {v:#x}\n"));
        }
        s
    }

    pub fn write_file(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_text())
    }
}

/// The address of a name the format knows.
fn name_of_known(name: &str) -> Option<u32> {
    if let Some((_, a)) = NAMES.iter().find(|(n, _)| *n == name) {
        return Some(*a);
    }
    let c = snd_nxt_conn(name)?;
    (u32::from(c) < crate::scenario::MAX_NUM_CONN)
        .then(|| regs::ctx_addr(u32::from(c), txoe_model::layout::CTX_W_SND_NXT as u32))
}
