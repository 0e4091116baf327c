//! GTKWave save files (`.gtkw`): which signals, grouped how, shown in which radix and
//! colour, through which translate filter, and where the view and the marker start.
//!
//! The format is GTKWave's own (line-oriented; `@<hex flags>` sets the display flags of the
//! traces that follow, `[color] n` and `^n <file>` apply to the next trace, `-name` is a
//! group label or blank, `*<zoom> <marker> …` the zoom and markers), as GTKWave 3.3 writes
//! and reads it.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// Trace display flags (GTKWave's `TR_*` bits; 64 bits wide in GTKWave 3.3.118).
mod flag {
    pub const ENUM: u64 = 1 << 32;
    pub const HEX: u64 = 1 << 1;
    pub const DEC: u64 = 1 << 2;
    pub const BIN: u64 = 1 << 3;
    pub const RJUSTIFY: u64 = 1 << 5;
    pub const BLANK: u64 = 1 << 9;
    pub const FTRANSLATED: u64 = 1 << 13;
    pub const CLOSED: u64 = 1 << 22;
    pub const GRP_BEGIN: u64 = 1 << 23;
    pub const GRP_END: u64 = 1 << 24;
    pub const COLLAPSED: u64 = 1 << 12;
}

/// How a trace's value is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Radix {
    Hex,
    Dec,
    Bin,
    /// By the enum literal names the dump itself carries (FST from Verilator). A signal
    /// without them (VCD) needs a translate filter file instead.
    Enum,
}

/// GTKWave's trace colours (`[color] n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Normal = 0,
    Red = 1,
    Orange = 2,
    Yellow = 3,
    Green = 4,
    Blue = 5,
    Indigo = 6,
    Violet = 7,
}

/// One signal in the view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The name as the dump holds it, with its bit range: `TOP.txoe_tb_top.irq`,
    /// `TOP.txoe_tb_top.m_axi_araddr[63:0]`.
    pub name: String,
    /// Shown instead of the full name, if set.
    pub alias: Option<String>,
    pub radix: Radix,
    pub color: Option<Color>,
    /// A translate filter file that prints the value as a name.
    pub filter: Option<PathBuf>,
}

impl Trace {
    pub fn new(name: impl Into<String>) -> Self {
        Trace { name: name.into(), alias: None, radix: Radix::Hex, color: None, filter: None }
    }
}

/// A line of the signal list: a trace, a group of them, or a blank line with a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Trace(Trace),
    Group { name: String, items: Vec<Item>, closed: bool },
    Label(String),
}

/// A whole save file's view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct View {
    /// Comment lines at the top (`[*] …`).
    pub comments: Vec<String>,
    pub items: Vec<Item>,
    /// Time of the left edge of the wave window, as GTKWave counts time (the dump's
    /// timescale unit, see `Dump::gtkwave_time`).
    pub start: Option<u64>,
    /// GTKWave zoom: 200 pixels of the wave window show `2^-zoom` time units.
    pub zoom: Option<f64>,
    /// Time of the primary marker, as GTKWave counts time.
    pub marker: Option<u64>,
    /// Window size in pixels.
    pub size: Option<(u32, u32)>,
    /// Width of the signal-name pane in pixels.
    pub signals_width: Option<u32>,
    /// Width of the signal search tree pane in pixels.
    pub sst_width: Option<u32>,
    /// Open with the signal search tree pane shown (else folded away, one click to open).
    pub sst_expanded: bool,
}

impl View {
    /// Every trace of the view, depth first.
    pub fn traces(&self) -> Vec<&Trace> {
        fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Trace>) {
            for it in items {
                match it {
                    Item::Trace(t) => out.push(t),
                    Item::Group { items, .. } => walk(items, out),
                    Item::Label(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.items, &mut out);
        out
    }
}

/// The text of a GTKWave save file for `dump`.
pub fn gtkw_text(dump: &Path, view: &View) -> String {
    let mut w = Writer::default();
    for c in &view.comments {
        w.line(&format!("[*] {c}"));
    }
    w.line(&format!("[dumpfile] \"{}\"", dump.display()));
    if let Some(t) = view.start {
        w.line(&format!("[timestart] {t}"));
    }
    if let Some((x, y)) = view.size {
        w.line(&format!("[size] {x} {y}"));
        w.line("[pos] -1 -1");
    }
    // zoom, primary marker, then the 26 named markers (unset)
    let zoom = view.zoom.unwrap_or(0.0);
    let marker = view.marker.map_or("-1".to_string(), |m| m.to_string());
    w.line(&format!("*{zoom:.6} {marker}{}", " -1".repeat(26)));
    if let Some(px) = view.sst_width {
        w.line(&format!("[sst_width] {px}"));
    }
    w.line(&format!("[sst_expanded] {}", u8::from(view.sst_expanded)));
    if let Some(px) = view.signals_width {
        w.line(&format!("[signals_width] {px}"));
    }
    for it in &view.items {
        w.item(it);
    }
    w.text
}

/// Write a GTKWave save file for `dump` to `path`.
pub fn write_gtkw(path: &Path, dump: &Path, view: &View) -> io::Result<()> {
    std::fs::write(path, gtkw_text(dump, view))
}

/// The signal names a save file lists (aliases and flags stripped), in order.
pub fn gtkw_signals(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .filter(|l| !matches!(l.as_bytes()[0], b'@' | b'[' | b'*' | b'-' | b'^'))
        .map(|l| match l.strip_prefix("+{") {
            Some(rest) => rest.split_once("} ").map_or(rest, |(_, n)| n).to_string(),
            None => l.to_string(),
        })
        .collect()
}

#[derive(Default)]
struct Writer {
    text: String,
    flags: Option<u64>,
    filters: Vec<PathBuf>,
}

impl Writer {
    fn line(&mut self, s: &str) {
        self.text.push_str(s);
        self.text.push('\n');
    }

    fn set_flags(&mut self, f: u64) {
        if self.flags != Some(f) {
            let _ = writeln!(self.text, "@{f:x}");
            self.flags = Some(f);
        }
    }

    fn item(&mut self, it: &Item) {
        match it {
            Item::Trace(t) => self.trace(t),
            Item::Label(l) => {
                self.set_flags(flag::BLANK);
                self.line(&format!("-{l}"));
            }
            Item::Group { name, items, closed } => {
                let c = if *closed { flag::CLOSED } else { 0 };
                self.set_flags(flag::GRP_BEGIN | flag::BLANK | c);
                self.line(&format!("-{name}"));
                for it in items {
                    self.item(it);
                }
                let c = if *closed { flag::CLOSED | flag::COLLAPSED } else { 0 };
                self.set_flags(flag::GRP_END | flag::BLANK | c);
                self.line(&format!("-{name}"));
            }
        }
    }

    fn trace(&mut self, t: &Trace) {
        let mut f = flag::RJUSTIFY
            | match t.radix {
                Radix::Hex => flag::HEX,
                Radix::Dec => flag::DEC,
                Radix::Bin => flag::BIN,
                Radix::Enum => flag::ENUM | flag::BIN,
            };
        if t.filter.is_some() {
            f |= flag::FTRANSLATED;
        }
        self.set_flags(f);
        // A colour applies to the next trace only.
        if let Some(c) = t.color.filter(|c| *c != Color::Normal) {
            self.line(&format!("[color] {}", c as u8));
        }
        if let Some(p) = &t.filter {
            let n = match self.filters.iter().position(|q| q == p) {
                Some(i) => i + 1,
                None => {
                    self.filters.push(p.clone());
                    self.filters.len()
                }
            };
            self.line(&format!("^{n} {}", p.display()));
        }
        match &t.alias {
            Some(a) => self.line(&format!("+{{{a}}} {}", t.name)),
            None => self.line(&t.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_traces_markers_filters() {
        let mut exp = Trace::new("TOP.t.exp_x[3:0]");
        exp.color = Some(Color::Yellow);
        exp.filter = Some(PathBuf::from("/f/state.txt"));
        exp.alias = Some("exp_x".into());
        let mut act = Trace::new("TOP.t.x[3:0]");
        act.filter = Some(PathBuf::from("/f/state.txt"));
        let view = View {
            items: vec![
                Item::Trace(Trace { radix: Radix::Bin, ..Trace::new("TOP.t.clk") }),
                Item::Group { name: "g".into(), items: vec![Item::Trace(act), Item::Trace(exp)], closed: false },
            ],
            marker: Some(1230),
            start: Some(1000),
            zoom: Some(-2.0),
            ..View::default()
        };
        let t = gtkw_text(Path::new("/d/run.fst"), &view);
        assert!(t.contains("[dumpfile] \"/d/run.fst\"\n[timestart] 1000\n"), "{t}");
        assert!(t.contains("*-2.000000 1230 -1"), "{t}");
        assert!(t.contains("@28\nTOP.t.clk\n"), "{t}");
        assert!(t.contains("@800200\n-g\n@2022\n^1 /f/state.txt\nTOP.t.x[3:0]\n"), "{t}");
        // the same filter file keeps its number; colour and alias precede the name
        assert!(t.contains("[color] 3\n^1 /f/state.txt\n+{exp_x} TOP.t.exp_x[3:0]\n@1000200\n-g\n"), "{t}");
        assert_eq!(gtkw_signals(&t), ["TOP.t.clk", "TOP.t.x[3:0]", "TOP.t.exp_x[3:0]"]);
        assert_eq!(view.traces().len(), 3);
        let enum_view = View {
            items: vec![
                Item::Trace(Trace { radix: Radix::Enum, color: Some(Color::Yellow), ..Trace::new("TOP.s[3:0]") }),
                Item::Trace(Trace::new("TOP.n[3:0]")),
            ],
            ..View::default()
        };
        let t = gtkw_text(Path::new("d.fst"), &enum_view);
        assert!(t.contains("@100000028\n[color] 3\nTOP.s[3:0]\n@22\nTOP.n[3:0]\n"), "{t}");
    }
}
