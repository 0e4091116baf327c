//! The CQ dump: the completion queue's raw bytes as read from host memory, with the
//! ring's base and size.
//!
//! ```text
//! bytes  field
//! 0..8   magic "TXOECQD1"
//! 8..16  CQ base: the bus address programmed in CQ_BASE_HI:CQ_BASE_LO (u64, little-endian)
//! 16..20 CQ_LOG2: log2 of the ring size in entries, 1..=12 (u32, little-endian)
//! 20..24 N: number of 16-byte entries that follow (u32, little-endian)
//! 24..32 zero
//! 32..   N entries of 16 bytes, exactly as in host memory (docs/registers.md)
//! ```
//!
//! Entry `n` of the dump is CQ slot `n mod size` on pass `n / size` over the ring: a dump
//! starts at slot 0 of the first pass. A snapshot of the ring after the run (N = size)
//! is a dump; so is the log of every entry a consumer read, in order, which goes on past
//! the ring's end when more completions than slots were written (what `txoe run
//! --cq-dump` and the driver write). The check reads the entries written on each pass by
//! their phase bit (1 on the first pass, 0 on the second, ...).

use std::path::Path;

use txoe_model::layout::CPL_BYTES;

pub const MAGIC: &[u8; 8] = b"TXOECQD1";
pub const HEADER_BYTES: usize = 32;

/// A CQ dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CqDump {
    pub base: u64,
    pub log2: u32,
    pub entries: Vec<[u8; CPL_BYTES]>,
}

impl CqDump {
    pub fn size(&self) -> u32 {
        1 << self.log2
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(HEADER_BYTES + CPL_BYTES * self.entries.len());
        v.extend_from_slice(MAGIC);
        v.extend_from_slice(&self.base.to_le_bytes());
        v.extend_from_slice(&self.log2.to_le_bytes());
        v.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        v.extend_from_slice(&[0u8; 8]);
        for e in &self.entries {
            v.extend_from_slice(e);
        }
        v
    }

    /// Parse a dump; the error says what is wrong and where.
    pub fn from_bytes(b: &[u8]) -> Result<CqDump, String> {
        if b.len() < HEADER_BYTES {
            return Err(format!(
                "truncated CQ dump: {} bytes, shorter than its {HEADER_BYTES}-byte header",
                b.len()
            ));
        }
        if &b[0..8] != MAGIC {
            return Err(format!(
                "not a CQ dump: the file starts with {:02x?}, expected the magic \"TXOECQD1\"",
                &b[0..8]
            ));
        }
        let base = u64::from_le_bytes(b[8..16].try_into().unwrap());
        let log2 = u32::from_le_bytes(b[16..20].try_into().unwrap());
        let n = u32::from_le_bytes(b[20..24].try_into().unwrap()) as usize;
        if !(1..=12).contains(&log2) {
            return Err(format!("CQ dump header: CQ_LOG2 {log2} is outside 1..=12"));
        }
        if base & 0xFFF != 0 {
            return Err(format!("CQ dump header: base {base:#x} is not 4 KiB aligned"));
        }
        let body = &b[HEADER_BYTES..];
        if body.len() != n * CPL_BYTES {
            return Err(format!(
                "truncated CQ dump: the header says {n} entries ({} bytes), the file holds {} bytes after the header{}",
                n * CPL_BYTES,
                body.len(),
                if body.len() & (CPL_BYTES - 1) != 0 {
                    format!(", not a whole number of {CPL_BYTES}-byte entries")
                } else {
                    String::new()
                }
            ));
        }
        let entries = body
            .chunks_exact(CPL_BYTES)
            .map(|c| c.try_into().expect("chunk of CPL_BYTES"))
            .collect();
        Ok(CqDump { base, log2, entries })
    }

    pub fn read_file(path: &Path) -> Result<CqDump, String> {
        let b = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        CqDump::from_bytes(&b).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn write_file(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_bytes())
    }
}
