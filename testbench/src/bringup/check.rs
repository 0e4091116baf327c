//! A capture against the golden model: every frame byte for byte (header fields diffed
//! by name with the lockstep comparator's own decoder, the payload by the offset of the
//! first differing byte), every completion entry in ring order, the batch rules that
//! must hold whatever the timing, and the final register values.
//!
//! The report has the lockstep run's shape: one `MISMATCH port=… field=… model=…
//! rtl=…` line per differing field (`model` is the golden value, `rtl` the captured
//! one), one `VIOLATION rule=… message="…"` line per broken rule, then a `summary:` line.
//! Frames and entries are aligned before they are diffed, so a dropped, extra,
//! duplicated or reordered one is reported as such instead of as a difference in every
//! one after it.

use std::fmt;

use txoe_cosim::txn::diff_frame;
use txoe_cosim::FieldDiff;
use txoe_model::layout::{CloseReason, CompletionEntry};

use super::cqdump::CqDump;
use super::golden::{Golden, GoldenEntry};
use super::regfile::RegisterFile;
use crate::completions::status_name;
use crate::driver::cq::BatchRules;
use crate::scenario::Scenario;

/// Shortest Ethernet frame without FCS: a MAC pads shorter ones to it, so a capture
/// taken off the wire may hold a short frame padded to this length.
pub const MIN_FRAME: usize = 60;
/// Findings printed in full; the count of the rest is printed after them.
pub const MAX_PRINTED: usize = 50;

/// One thing the capture got wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// A field that differs from the golden value.
    Diff(FieldDiff),
    /// A rule broken: `rule` names it (`frames.missing`, `cq.duplicate`, `batch.size`,
    /// `ipv4.df`, ...).
    Rule { rule: String, message: String },
}

impl Finding {
    /// The field or rule the finding names.
    pub fn name(&self) -> &str {
        match self {
            Finding::Diff(d) => &d.field,
            Finding::Rule { rule, .. } => rule,
        }
    }
}

/// The outcome of a check.
#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    pub findings: Vec<Finding>,
    pub seed: u64,
    pub frames_expected: usize,
    pub frames_captured: usize,
    pub frames_matched: usize,
    pub entries_expected: usize,
    pub entries_captured: usize,
    pub entries_matched: usize,
    /// Batches closed by an end-of-batch entry in the captured CQ.
    pub batches: u64,
    /// Register values compared, and names given but not checkable.
    pub registers_checked: usize,
    pub registers_unchecked: Vec<String>,
}

impl CheckReport {
    /// True on a full match.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// True when some finding names `name` (a field or a rule), exactly or as its prefix
    /// before a `[` or `.` (`payload` matches `payload[12]`).
    pub fn names(&self, name: &str) -> bool {
        self.findings.iter().any(|f| {
            let n = f.name();
            n == name
                || n.strip_prefix(name).is_some_and(|r| r.starts_with('[') || r.starts_with('.') || r.starts_with(' '))
        })
    }

    fn diff(&mut self, port: &str, txn: String, field: impl Into<String>, model: u128, rtl: u128) {
        self.findings.push(Finding::Diff(FieldDiff { port: port.into(), field: field.into(), transaction: txn, model, rtl }));
    }

    fn rule(&mut self, rule: impl Into<String>, message: impl Into<String>) {
        self.findings.push(Finding::Rule { rule: rule.into(), message: message.into() });
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for x in self.findings.iter().take(MAX_PRINTED) {
            match x {
                Finding::Diff(d) => writeln!(f, "MISMATCH {d} seed={}", self.seed)?,
                Finding::Rule { rule, message } => {
                    writeln!(f, "VIOLATION rule={rule} message=\"{message}\" seed={}", self.seed)?
                }
            }
        }
        if self.findings.len() > MAX_PRINTED {
            writeln!(f, "... and {} more", self.findings.len() - MAX_PRINTED)?;
        }
        if self.passed() {
            writeln!(
                f,
                "check matched {} frames, {} completion entries, {} batches, {} registers",
                self.frames_matched, self.entries_matched, self.batches, self.registers_checked
            )?;
        }
        if !self.registers_unchecked.is_empty() {
            writeln!(f, "registers not checked (no expected value): {}", self.registers_unchecked.join(", "))?;
        }
        write!(
            f,
            "summary: check frames={}/{} (captured {}) entries={}/{} (captured {}) batches={} registers={} mismatches={} seed={}",
            self.frames_matched,
            self.frames_expected,
            self.frames_captured,
            self.entries_matched,
            self.entries_expected,
            self.entries_captured,
            self.batches,
            self.registers_checked,
            self.findings.len(),
            self.seed
        )
    }
}

/// True when `captured` is `expected`, or `expected` padded to [`MIN_FRAME`] bytes.
fn frame_matches(expected: &[u8], captured: &[u8]) -> bool {
    captured == expected
        || (expected.len() < MIN_FRAME && captured.len() == MIN_FRAME && captured.starts_with(expected))
}

/// Rules on an IP frame that hold whatever the scenario: IPv4 with DF set, never a
/// fragment, ID in the upper half; an IPv6 fragment header with offset 0, M = 0 and an
/// ID in the upper half.
fn ip_rules(r: &mut CheckReport, idx: usize, frame: &[u8]) {
    let l3 = match frame.get(12..14) {
        Some([0x81, 0x00]) => 18,
        _ => 14,
    };
    let ethertype = frame.get(l3 - 2..l3);
    if ethertype == Some(&[0x08, 0x00]) && frame.len() >= l3 + 20 {
        let ip = &frame[l3..];
        let ff = u16::from_be_bytes([ip[6], ip[7]]);
        let id = u16::from_be_bytes([ip[4], ip[5]]);
        if ff & 0x4000 == 0 {
            r.rule("ipv4.df", format!("captured frame {idx}: DF is clear (flags/offset {ff:#06x}); the engine sets DF on every IPv4 datagram"));
        }
        if ff & 0x3FFF != 0 {
            r.rule("ipv4.fragment", format!("captured frame {idx}: an IP fragment (flags/offset {ff:#06x}); the engine never fragments"));
        }
        if id < 0x8000 {
            r.rule("ipv4.id.lower_half", format!("captured frame {idx}: IPv4 ID {id:#06x} is in the host stack's lower half (below 0x8000)"));
        }
    } else if ethertype == Some(&[0x86, 0xDD]) && frame.len() >= l3 + 48 && frame[l3 + 6] == 44 {
        let fh = &frame[l3 + 40..l3 + 48];
        let of = u16::from_be_bytes([fh[2], fh[3]]);
        let id = u32::from_be_bytes([fh[4], fh[5], fh[6], fh[7]]);
        if of & 0xFFF9 != 0 {
            r.rule("frag.fragment", format!("captured frame {idx}: an IPv6 fragment (offset/flags {of:#06x}); the engine never fragments"));
        }
        if id < 0x8000_0000 {
            r.rule("frag.id.lower_half", format!("captured frame {idx}: IPv6 fragment ID {id:#010x} is in the host stack's lower half (below 0x80000000)"));
        }
    }
}

/// The payload of both frames (after the headers etherparse decodes), when both decode
/// and differ: `payload[i]` at the first differing byte, or `payload.len`.
fn payload_diff(expected: &[u8], captured: &[u8]) -> Option<(String, u128, u128)> {
    use txoe_cosim::txn::header_fields;
    let (Ok((_, e)), Ok((_, c))) = (header_fields(expected), header_fields(captured)) else {
        return None;
    };
    match e.iter().zip(c).position(|(a, b)| a != b) {
        Some(i) => Some((format!("payload[{i}]"), u128::from(e[i]), u128::from(c[i]))),
        None if e.len() != c.len() => Some(("payload.len".into(), e.len() as u128, c.len() as u128)),
        None => None,
    }
}

fn frame_txn(g: &Golden, i: usize) -> String {
    let f = &g.frames[i];
    format!("frame={i} send={} segment={}", f.send, f.segment)
}

fn check_frames(r: &mut CheckReport, g: &Golden, cap: &[Vec<u8>]) {
    for (j, c) in cap.iter().enumerate() {
        ip_rules(r, j, c);
    }
    let e = &g.frames;
    let (mut i, mut j) = (0usize, 0usize);
    let m = |i: usize, j: usize| frame_matches(&e[i].data, &cap[j]);
    while i < e.len() && j < cap.len() {
        if m(i, j) {
            r.frames_matched += 1;
            i += 1;
            j += 1;
        } else if i + 1 < e.len() && j + 1 < cap.len() && m(i, j + 1) && m(i + 1, j) {
            r.rule("frames.order", format!("captured frames {j} and {} are expected frames {} and {i}: out of descriptor order", j + 1, i + 1));
            r.frames_matched += 2;
            i += 2;
            j += 2;
        } else if i + 1 < e.len() && m(i + 1, j) {
            r.rule("frames.missing", format!("expected frame {i} ({}) is not in the capture: captured frame {j} is expected frame {}", frame_txn(g, i), i + 1));
            i += 1;
        } else if j + 1 < cap.len() && m(i, j + 1) {
            r.rule("frames.extra", format!("captured frame {j} ({} bytes) is not expected there: captured frame {} is expected frame {i}", cap[j].len(), j + 1));
            j += 1;
        } else {
            let mut out = Vec::new();
            diff_frame(i as u64, &e[i].data, &cap[j], &mut out);
            // The comparator stops at the headers when they differ; the payload is
            // reported as well.
            if !out.iter().any(|d| d.field.starts_with("payload")) {
                if let Some((field, m, c)) = payload_diff(&e[i].data, &cap[j]) {
                    out.push(FieldDiff { port: "m_axis_tx".into(), field, transaction: String::new(), model: m, rtl: c });
                }
            }
            let txn = if i == j { frame_txn(g, i) } else { format!("{} captured={j}", frame_txn(g, i)) };
            for mut d in out {
                d.transaction = txn.clone();
                r.findings.push(Finding::Diff(d));
            }
            i += 1;
            j += 1;
        }
    }
    for k in i..e.len() {
        r.rule("frames.missing", format!("expected frame {k} ({}) is not in the capture ({} frames captured)", frame_txn(g, k), cap.len()));
    }
    for (k, f) in cap.iter().enumerate().skip(j) {
        r.rule("frames.extra", format!("captured frame {k} ({} bytes) is beyond the {} frames expected", f.len(), e.len()));
    }
    if e.len() != cap.len() {
        r.diff("m_axis_tx", String::new(), "frames", e.len() as u128, cap.len() as u128);
    }
}

fn entry_eq(e: &GoldenEntry, c: &CompletionEntry) -> bool {
    e.cookie == c.cookie && e.status_code() == c.status && e.bytes == c.bytes && e.segments == c.segments
}

fn describe(c: &CompletionEntry) -> String {
    format!("cookie {:#x} status {} bytes {} segments {}", c.cookie, status_name(c.status), c.bytes, c.segments)
}

/// The entries written, in ring order: dump entries while each carries the phase of its
/// pass; a later slot of the dump with its pass's phase is a gap.
fn written_entries(r: &mut CheckReport, dump: &CqDump, expected: usize) -> Vec<CompletionEntry> {
    let size = dump.size() as usize;
    let phase_of = |n: usize| (n / size) & 1 == 0;
    let mut v = Vec::new();
    let mut end = dump.entries.len();
    for (n, raw) in dump.entries.iter().enumerate() {
        let e = CompletionEntry::decode(raw);
        if e.phase != phase_of(n) {
            end = n;
            if n < expected {
                r.diff("cq", format!("entry={n} index={}", n % size), "phase", u128::from(phase_of(n)), u128::from(e.phase));
            }
            break;
        }
        v.push(e);
    }
    for n in end + 1..dump.entries.len() {
        let e = CompletionEntry::decode(&dump.entries[n]);
        if e.phase == phase_of(n) {
            r.rule("cq.gap", format!("CQ slot {} (entry {end} of the dump) was not written, but slot {} (entry {n}) was: {}", end % size, n % size, describe(&e)));
            break;
        }
    }
    if dump.entries.len() == size && expected > size && v.len() < expected {
        r.rule("cq.dump", format!("the dump holds one pass over the ring ({size} entries) but {expected} completions are expected: dump every entry as it is consumed (the consumer's log) instead"));
    }
    v
}

fn check_completions(r: &mut CheckReport, g: &Golden, dump: &CqDump) -> Option<[u64; 4]> {
    if dump.size() != g.cq_size {
        r.diff("cq", String::new(), "cq_log2", u128::from(g.cq_size.trailing_zeros()), u128::from(dump.log2));
        return None;
    }
    let e = &g.entries;
    let c = written_entries(r, dump, e.len());
    r.entries_captured = c.len();
    let size = g.cq_size;
    let mut rules = BatchRules::new(dump.base, size, g.max_batch);
    let mut reasons = [0u64; 4];
    let mut push = |r: &mut CheckReport, j: usize, entry: &CompletionEntry, immediate: bool| {
        match rules.push(j as u32 % size, entry, immediate) {
            Ok(Some(b)) => reasons[b.reason as usize] += 1,
            Ok(None) => {}
            Err(err) => {
                r.rule(err.rule, format!("CQ entry {j}: {}", err.message));
                rules = BatchRules::new(dump.base, size, g.max_batch);
            }
        }
    };
    let (mut i, mut j) = (0usize, 0usize);
    while i < e.len() && j < c.len() {
        if entry_eq(&e[i], &c[j]) {
            push(r, j, &c[j], e[i].immediate);
            r.entries_matched += 1;
            i += 1;
            j += 1;
        } else if i > 0 && entry_eq(&e[i - 1], &c[j]) {
            r.rule("cq.duplicate", format!("CQ entry {j} (index {}) repeats the completion of send {} ({})", j as u32 % size, i - 1, describe(&c[j])));
            push(r, j, &c[j], false);
            j += 1;
        } else if i + 1 < e.len() && j + 1 < c.len() && entry_eq(&e[i], &c[j + 1]) && entry_eq(&e[i + 1], &c[j]) {
            r.rule("cq.order", format!("CQ entries {j} and {} hold the completions of sends {} and {i}: out of ring order", j + 1, i + 1));
            push(r, j, &c[j], e[i + 1].immediate);
            push(r, j + 1, &c[j + 1], e[i].immediate);
            i += 2;
            j += 2;
        } else if i + 1 < e.len() && entry_eq(&e[i + 1], &c[j]) {
            r.rule("cq.missing", format!("the completion of send {i} (cookie {:#x}) is missing: CQ entry {j} is that of send {}", e[i].cookie, i + 1));
            i += 1;
        } else if j + 1 < c.len() && entry_eq(&e[i], &c[j + 1]) {
            r.rule("cq.extra", format!("CQ entry {j} ({}) belongs to no send", describe(&c[j])));
            push(r, j, &c[j], false);
            j += 1;
        } else {
            let txn = format!("entry={j} send={i}");
            let fields: [(&str, u128, u128); 4] = [
                ("cookie", u128::from(e[i].cookie), u128::from(c[j].cookie)),
                ("status", u128::from(e[i].status_code()), u128::from(c[j].status)),
                ("bytes", u128::from(e[i].bytes), u128::from(c[j].bytes)),
                ("segments", u128::from(e[i].segments), u128::from(c[j].segments)),
            ];
            for (name, m, got) in fields {
                if m != got {
                    r.diff("cq", txn.clone(), name, m, got);
                }
            }
            push(r, j, &c[j], e[i].immediate);
            i += 1;
            j += 1;
        }
    }
    for (k, x) in e.iter().enumerate().skip(i) {
        r.rule("cq.missing", format!("the completion of send {k} (cookie {:#x}) is not in the CQ dump ({} entries written)", x.cookie, c.len()));
    }
    for (k, x) in c.iter().enumerate().skip(j) {
        r.rule("cq.extra", format!("CQ entry {k} ({}) is beyond the {} completions expected", describe(x), e.len()));
    }
    if let Err(err) = rules.finish() {
        r.rule(err.rule, err.message);
    }
    r.batches = reasons.iter().sum();
    (c.len() == e.len()).then_some(reasons)
}

fn check_registers(r: &mut CheckReport, sc: &Scenario, g: &Golden, dump: &CqDump, rf: &RegisterFile, reasons: Option<[u64; 4]>) {
    let cfg = &sc.config;
    let n = sc.sends.len() as u32;
    let mut want = g.registers.clone();
    for (name, v) in [
        ("CTRL", txoe_model::regs::CTRL_ENABLE),
        ("STATUS", 0),
        ("MTU", cfg.mtu),
        ("MAX_BATCH", cfg.max_batch),
        ("TIMEOUT", cfg.timeout_cycles),
        ("TX_LOG2", cfg.tx_ring_log2),
        ("CQ_LOG2", cfg.cq_log2),
        ("IRQ_MASK", cfg.irq_mask),
        ("TX_TAIL", n % cfg.tx_ring_size()),
        ("CQ_HEAD", n % cfg.cq_size()),
        ("CQ_BASE_LO", dump.base as u32),
        ("CQ_BASE_HI", (dump.base >> 32) as u32),
    ] {
        want.insert(name.to_string(), v);
    }
    if let Some(rs) = reasons {
        want.insert("CNT_BATCH".into(), rs.iter().sum::<u64>() as u32);
        for reason in CloseReason::ALL {
            want.insert(format!("CNT_CLOSE_{}", reason.name().to_uppercase()), rs[reason as usize] as u32);
        }
    }
    for (name, &got) in &rf.values {
        match want.get(name) {
            Some(&w) => {
                r.registers_checked += 1;
                if w != got {
                    r.diff("registers", String::new(), name.clone(), u128::from(w), u128::from(got));
                }
            }
            None => r.registers_unchecked.push(name.clone()),
        }
    }
}

/// Check a capture (`frames` in order, the CQ dump, and optionally the registers)
/// against the golden model of `sc`.
pub fn check(sc: &Scenario, frames: &[Vec<u8>], dump: &CqDump, regs: Option<&RegisterFile>) -> CheckReport {
    let g = Golden::of(sc);
    let mut r = CheckReport {
        seed: sc.env.seed,
        frames_expected: g.frames.len(),
        frames_captured: frames.len(),
        entries_expected: g.entries.len(),
        ..CheckReport::default()
    };
    check_frames(&mut r, &g, frames);
    let reasons = check_completions(&mut r, &g, dump);
    if let Some(rf) = regs {
        check_registers(&mut r, sc, &g, dump, rf, reasons);
    }
    r
}
