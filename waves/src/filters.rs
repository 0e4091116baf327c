//! GTKWave translate filter files that print the state machines, completion status codes
//! and close reasons of a txoe dump by name.
//!
//! A filter file maps the text GTKWave would print for a value (here: hexadecimal, as wide
//! as the signal) to the text to print instead. VCD has no enum types, so a VCD dump needs
//! them to show names; an FST dump from Verilator carries its enums, and the filters print
//! the same names. The tables repeat `cosim/sv/txoe_tb_pkg.sv` (the lockstep wrapper's
//! enums, which repeat the RTL's); a test checks them against the enums an FST dump holds.

use std::io;
use std::path::{Path, PathBuf};

/// An enum shown through a filter: its bit width and its literals.
#[derive(Clone, Copy, Debug)]
pub struct EnumTable {
    /// File name of the filter.
    pub file: &'static str,
    pub width: u32,
    pub literals: &'static [(u64, &'static str)],
}

/// `tb_tx_state_e`: the TX engine's front-end states.
pub const TX_STATE: EnumTable = EnumTable {
    file: "tx_state.txt",
    width: 3,
    literals: &[
        (0, "FeIdle"),
        (1, "FeDescAr"),
        (2, "FeDescR"),
        (3, "FeCheck"),
        (4, "FeRun"),
        (5, "FeHalt"),
        (6, "FeCtx"),
    ],
};

/// `tb_wr_state_e`: the completion writer's states.
pub const WR_STATE: EnumTable = EnumTable {
    file: "wr_state.txt",
    width: 3,
    literals: &[(0, "WrIdle"), (1, "WrAw"), (2, "WrW"), (3, "WrB"), (4, "WrHalt")],
};

/// `tb_status_e`: completion status codes (docs/registers.md), `StNone` off an entry.
pub const STATUS: EnumTable = EnumTable {
    file: "status.txt",
    width: 8,
    literals: &[
        (0, "StOk"),
        (1, "StReservedBits"),
        (2, "StBadLength"),
        (3, "StTooLong"),
        (4, "StBadConn"),
        (5, "StInvalidCtx"),
        (6, "StMssTooSmall"),
        (7, "StUnsupported"),
        (8, "StDmaError"),
        (0xFF, "StNone"),
    ],
};

/// `tb_reason_e`: batch close reasons, `NotEnd` / `NoEntry` off an end-of-batch entry.
pub const REASON: EnumTable = EnumTable {
    file: "reason.txt",
    width: 3,
    literals: &[
        (0, "ReasonMaxBatch"),
        (1, "ReasonTimeout"),
        (2, "ReasonImmediate"),
        (3, "ReasonRingEnd"),
        (6, "NotEnd"),
        (7, "NoEntry"),
    ],
};

/// Every table.
pub const TABLES: [EnumTable; 4] = [TX_STATE, WR_STATE, STATUS, REASON];

impl EnumTable {
    /// The filter file's text.
    pub fn text(&self) -> String {
        let digits = self.width.div_ceil(4) as usize;
        let mut s = String::new();
        for (v, name) in self.literals {
            s.push_str(&format!("{v:0digits$X} {name}\n"));
        }
        s
    }
}

/// Where [`write_filters`] put each filter file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filters {
    pub tx_state: PathBuf,
    pub wr_state: PathBuf,
    pub status: PathBuf,
    pub reason: PathBuf,
}

/// Write the filter files into `dir` (created if needed), with absolute paths.
pub fn write_filters(dir: &Path) -> io::Result<Filters> {
    std::fs::create_dir_all(dir)?;
    let dir = std::path::absolute(dir)?;
    let write = |t: &EnumTable| -> io::Result<PathBuf> {
        let p = dir.join(t.file);
        if std::fs::read_to_string(&p).ok().as_deref() != Some(t.text().as_str()) {
            std::fs::write(&p, t.text())?;
        }
        Ok(p)
    };
    Ok(Filters {
        tx_state: write(&TX_STATE)?,
        wr_state: write(&WR_STATE)?,
        status: write(&STATUS)?,
        reason: write(&REASON)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_text_is_hex_as_wide_as_the_signal() {
        assert!(TX_STATE.text().starts_with("0 FeIdle\n1 FeDescAr\n"));
        assert!(TX_STATE.text().contains("\n5 FeHalt\n"));
        assert!(STATUS.text().contains("\n08 StDmaError\nFF StNone\n"));
    }
}
