//! Reading a dump (FST or VCD) back with `wellen`: the signals it holds, under the names
//! GTKWave gives them, and their values at given times or cycles. txoe dumps show cycle
//! `c` from `c` ns (`txoe_cosim::Rtl`); the dump's timescale turns that into its ticks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wellen::simple::Waveform;
use wellen::{LoadOptions, SignalRef, SignalValueRef, Time, TimeTableIdx};

use crate::{Error, Result};

/// One signal of a dump.
#[derive(Clone, Debug)]
pub struct SignalInfo {
    /// The name GTKWave shows and a save file uses: `TOP.txoe_tb_top.m_axi_araddr[63:0]`.
    pub name: String,
    /// The name without its bit range: `TOP.txoe_tb_top.m_axi_araddr`.
    pub path: String,
    /// Width in bits.
    pub width: u32,
    /// Enum literals by value as the dump spells it (FST from Verilator; empty otherwise),
    /// e.g. `("1001", "TxSend")`.
    pub enum_literals: Vec<(String, String)>,
    signal: SignalRef,
}

/// A value read from a dump: its bits, most significant first (`0`, `1`, `x`, `z`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub bits: String,
}

impl Value {
    /// The value as a number, if it has no more than 128 bits and every bit is 0 or 1.
    pub fn to_u128(&self) -> Option<u128> {
        if self.bits.len() > 128 || self.bits.is_empty() {
            return None;
        }
        u128::from_str_radix(&self.bits, 2).ok()
    }

    /// The value as little-endian bytes (bit 0 is bit 0 of byte 0), if every bit is 0 or 1.
    pub fn to_le_bytes(&self) -> Option<Vec<u8>> {
        let bits = self.bits.as_bytes();
        let n = bits.len().div_ceil(8);
        let mut out = vec![0u8; n];
        for (i, b) in bits.iter().rev().enumerate() {
            match b {
                b'0' => {}
                b'1' => out[i / 8] |= 1 << (i % 8),
                _ => return None,
            }
        }
        Some(out)
    }
}

/// A dump, opened for reading.
pub struct Dump {
    path: PathBuf,
    wave: Waveform,
    /// Dump ticks per cycle (per ns).
    ticks_per_cycle: u64,
    /// The timescale's multiplier (1, 10 or 100): GTKWave counts time in its unit.
    tick_factor: u64,
    by_path: BTreeMap<String, SignalInfo>,
}

impl std::fmt::Debug for Dump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dump").field("path", &self.path).field("signals", &self.by_path.len()).finish()
    }
}

impl Dump {
    /// Open `path` (FST or VCD, told apart by content).
    pub fn open(path: &Path) -> Result<Dump> {
        let opts = LoadOptions { multi_thread: false, remove_scopes_with_empty_name: false };
        let wave = wellen::simple::read_with_options(path, &opts)
            .map_err(|e| Error::Read { path: path.to_path_buf(), message: e.to_string() })?;
        let h = wave.hierarchy();
        let mut by_path = BTreeMap::new();
        for vref in h.all_vars() {
            let var = &h[vref];
            let path = var.full_name(h);
            let width = var.length(h).unwrap_or(1);
            let name = match var.index() {
                Some(ix) if width > 1 || ix.msb() != ix.lsb() => {
                    format!("{path}[{}:{}]", ix.msb(), ix.lsb())
                }
                Some(ix) => format!("{path}[{}]", ix.lsb()),
                None if width > 1 => format!("{path}[{}:0]", width - 1),
                None => path.clone(),
            };
            let enum_literals = var
                .enum_type(h)
                .map(|(_, lits)| lits.into_iter().map(|(v, n)| (v.to_string(), n.to_string())).collect())
                .unwrap_or_default();
            by_path.entry(path.clone()).or_insert(SignalInfo {
                name,
                path,
                width,
                enum_literals,
                signal: var.signal_ref(),
            });
        }
        let ticks_per_cycle = h
            .timescale()
            .and_then(|ts| {
                let tick = f64::from(ts.factor) * 10f64.powi(i32::from(ts.unit.to_exponent()?));
                let per_ns = (1e-9 / tick).round();
                (per_ns >= 1.0).then_some(per_ns as u64)
            })
            .unwrap_or(1);
        let tick_factor = h.timescale().map_or(1, |ts| u64::from(ts.factor.max(1)));
        Ok(Dump { path: path.to_path_buf(), wave, ticks_per_cycle, tick_factor, by_path })
    }

    /// The file this dump was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every signal, by path.
    pub fn signals(&self) -> impl Iterator<Item = &SignalInfo> {
        self.by_path.values()
    }

    /// The signal at `path` (with or without its `[hi:lo]` range).
    pub fn signal(&self, path: &str) -> Option<&SignalInfo> {
        self.by_path.get(strip_range(path))
    }

    /// True when the dump holds a signal of that name (with or without its range).
    pub fn has(&self, path: &str) -> bool {
        self.signal(path).is_some()
    }

    /// The first and last time the dump holds.
    pub fn time_range(&self) -> Option<(u64, u64)> {
        let t = self.wave.time_table();
        Some((*t.first()?, *t.last()?))
    }

    /// Dump ticks per cycle (cycle `c` starts at tick `c * ticks_per_cycle`).
    pub fn ticks_per_cycle(&self) -> u64 {
        self.ticks_per_cycle
    }

    /// The first tick of cycle `c`.
    pub fn cycle_time(&self, cycle: u64) -> u64 {
        cycle * self.ticks_per_cycle
    }

    /// The start of cycle `c` as GTKWave counts time (in the timescale's unit: a dump
    /// with a 100 ps timescale counts in ps), for save files.
    pub fn gtkwave_time(&self, cycle: u64) -> u64 {
        self.cycle_time(cycle) * self.tick_factor
    }

    /// The first and last cycle the dump covers.
    pub fn cycle_range(&self) -> Option<(u64, u64)> {
        self.time_range().map(|(a, b)| (a / self.ticks_per_cycle, b / self.ticks_per_cycle))
    }

    /// Load a signal's changes once (asking the reader even for no signal costs a pass over
    /// the file).
    fn load(&mut self, signal: SignalRef) {
        if self.wave.get_signal(signal).is_none() {
            self.wave.load_signals(&[signal]);
        }
    }

    /// The value of `path` at `time` (the last change at or before it).
    pub fn value_at(&mut self, path: &str, time: u64) -> Result<Value> {
        let info = self
            .signal(path)
            .ok_or_else(|| Error::NoSignal(path.to_string()))?
            .clone();
        let idx = time_index(self.wave.time_table(), time)
            .ok_or(Error::NoValue { signal: info.name.clone(), time })?;
        self.load(info.signal);
        let sig = self.wave.get_signal(info.signal).ok_or_else(|| Error::NoSignal(info.name.clone()))?;
        let off = sig.get_offset(idx).ok_or(Error::NoValue { signal: info.name.clone(), time })?;
        match sig.get_value_at(&off, 0) {
            SignalValueRef::BitVec(bv) => Ok(Value { bits: bv.bit_string() }),
            other => Err(Error::NotBits { signal: info.name.clone(), value: other.to_string() }),
        }
    }

    /// The value of `path` during cycle `cycle` (from its first tick).
    pub fn at_cycle(&mut self, path: &str, cycle: u64) -> Result<Value> {
        self.value_at(path, self.cycle_time(cycle))
    }

    /// [`Dump::at_cycle`] as a number.
    pub fn u128_at_cycle(&mut self, path: &str, cycle: u64) -> Result<u128> {
        let v = self.at_cycle(path, cycle)?;
        v.to_u128().ok_or(Error::NotBits { signal: path.to_string(), value: v.bits })
    }

    /// The first cycle from `from` on during which `path` is `value`.
    pub fn first_cycle_with(&mut self, path: &str, value: u128, from: u64) -> Result<Option<u64>> {
        let info = self.signal(path).ok_or_else(|| Error::NoSignal(path.to_string()))?.clone();
        self.load(info.signal);
        let sig = self.wave.get_signal(info.signal).ok_or_else(|| Error::NoSignal(info.name.clone()))?;
        let table = self.wave.time_table();
        let changes: Vec<(u64, bool)> = sig
            .iter_changes()
            .map(|(idx, v)| {
                let hit = matches!(&v, SignalValueRef::BitVec(bv)
                    if u128::from_str_radix(&bv.bit_string(), 2).ok() == Some(value));
                (table[idx as usize], hit)
            })
            .collect();
        let tpc = self.ticks_per_cycle;
        for (i, &(t, hit)) in changes.iter().enumerate() {
            if !hit {
                continue;
            }
            // the first cycle start at or after this change and `from`, before the next change
            let c = t.div_ceil(tpc).max(from);
            let until = changes.get(i + 1).map_or(u64::MAX, |n| n.0);
            if c * tpc < until {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// The enum literal `path` holds during cycle `cycle`, when the dump names it.
    pub fn enum_at_cycle(&mut self, path: &str, cycle: u64) -> Result<Option<String>> {
        let v = self.at_cycle(path, cycle)?;
        let info = self.signal(path).ok_or_else(|| Error::NoSignal(path.to_string()))?;
        Ok(info.enum_literals.iter().find(|(bits, _)| same_bits(bits, &v.bits)).map(|(_, n)| n.clone()))
    }
}

/// `name` without a trailing `[hi:lo]` or `[i]`.
pub fn strip_range(name: &str) -> &str {
    match name.rfind('[') {
        Some(i) if name.ends_with(']') => &name[..i],
        _ => name,
    }
}

/// Two bit strings equal as numbers (leading zeros ignored).
fn same_bits(a: &str, b: &str) -> bool {
    a.trim_start_matches('0') == b.trim_start_matches('0')
}

/// Index of the last entry of `table` at or before `time`.
fn time_index(table: &[Time], time: u64) -> Option<TimeTableIdx> {
    match table.binary_search(&time) {
        Ok(i) => Some(i as TimeTableIdx),
        Err(0) => None,
        Err(i) => Some((i - 1) as TimeTableIdx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert() {
        let v = Value { bits: "0000000100000010".into() };
        assert_eq!(v.to_u128(), Some(0x0102));
        assert_eq!(v.to_le_bytes(), Some(vec![0x02, 0x01]));
        assert_eq!(Value { bits: "1x".into() }.to_u128(), None);
    }

    #[test]
    fn ranges_are_stripped() {
        assert_eq!(strip_range("TOP.a.b[63:0]"), "TOP.a.b");
        assert_eq!(strip_range("TOP.a.b"), "TOP.a.b");
        assert!(same_bits("0011", "11"));
    }

    #[test]
    fn time_lookup_takes_the_last_change() {
        let t = [0u64, 2, 4, 10];
        assert_eq!(time_index(&t, 0), Some(0));
        assert_eq!(time_index(&t, 3), Some(1));
        assert_eq!(time_index(&t, 11), Some(3));
        assert_eq!(time_index(&[5u64], 1), None);
    }

    #[test]
    fn reads_a_vcd_back() {
        let dir = std::env::temp_dir().join(format!("txoe-waves-dump-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.vcd");
        std::fs::write(
            &path,
            "$timescale 100ps $end\n$scope module TOP $end\n$var wire 1 ! clk $end\n\
             $var wire 8 \" data [7:0] $end\n$upscope $end\n$enddefinitions $end\n\
             #0\n1!\nb00000001 \"\n#5\n0!\n#10\n1!\nb10100101 \"\n#15\n0!\n",
        )
        .unwrap();
        let mut d = Dump::open(&path).unwrap();
        assert_eq!(d.signal("TOP.data").unwrap().name, "TOP.data[7:0]");
        assert!(d.has("TOP.clk") && !d.has("TOP.nothing"));
        assert_eq!(d.u128_at_cycle("TOP.data", 0).unwrap(), 1);
        assert_eq!(d.u128_at_cycle("TOP.data[7:0]", 1).unwrap(), 0xA5);
        assert_eq!(d.ticks_per_cycle(), 10);
        assert_eq!(d.gtkwave_time(3), 3000);
        assert_eq!(d.value_at("TOP.clk", 5).unwrap().bits, "0");
        assert_eq!(d.cycle_range(), Some((0, 1)));
        assert_eq!(d.first_cycle_with("TOP.data", 0xA5, 0).unwrap(), Some(1));
        assert_eq!(d.first_cycle_with("TOP.data", 1, 0).unwrap(), Some(0));
        assert_eq!(d.first_cycle_with("TOP.data", 0xA5, 1).unwrap(), Some(1));
        assert_eq!(d.first_cycle_with("TOP.data", 7, 0).unwrap(), None);
        std::fs::remove_dir_all(&dir).ok();
    }
}
