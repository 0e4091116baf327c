//! Completion batches as the host consumed them, and their JSON Lines file.
//!
//! One line per batch:
//! `{"batch": n, "cycle": c, "reason": "max_batch", "entries": [{"cookie": …, "status": "ok", "bytes": …, "segments": …}]}`.
//! `batch` counts from 0; `cycle` is the cycle the batch became visible in host memory
//! (the cycle the memory raised the write response for its burst); `status` is the name
//! of the status code, or `unknown(N)` for a code the layout does not define.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use txoe_model::layout::{CloseReason, CompletionEntry, Status};

/// One completion batch: consecutive entries, the last one marked end-of-batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Index among the run's batches.
    pub index: u64,
    /// Cycle the batch became visible in host memory.
    pub cycle: u64,
    /// CQ index of the first entry.
    pub first: u32,
    pub reason: CloseReason,
    pub entries: Vec<CompletionEntry>,
}

/// The name of a status code in reports and files.
pub fn status_name(code: u8) -> String {
    match Status::from_code(code) {
        Some(s) => s.name().to_string(),
        None => format!("unknown({code})"),
    }
}

#[derive(Serialize)]
struct EntryLine {
    cookie: u64,
    status: String,
    bytes: u32,
    segments: u16,
}

#[derive(Serialize)]
struct BatchLine<'a> {
    batch: u64,
    cycle: u64,
    reason: &'a str,
    entries: Vec<EntryLine>,
}

/// One batch as its JSON line (without the newline).
pub fn batch_json(b: &Batch) -> String {
    let line = BatchLine {
        batch: b.index,
        cycle: b.cycle,
        reason: b.reason.name(),
        entries: b
            .entries
            .iter()
            .map(|e| EntryLine {
                cookie: e.cookie,
                status: status_name(e.status),
                bytes: e.bytes,
                segments: e.segments,
            })
            .collect(),
    };
    serde_json::to_string(&line).expect("a batch always serialises")
}

/// Write the batches as JSON Lines.
pub fn write_jsonl<W: Write>(mut w: W, batches: &[Batch]) -> io::Result<()> {
    for b in batches {
        writeln!(w, "{}", batch_json(b))?;
    }
    w.flush()
}

/// Write the batches as a JSON Lines file.
pub fn write_jsonl_file(path: &Path, batches: &[Batch]) -> io::Result<()> {
    write_jsonl(io::BufWriter::new(std::fs::File::create(path)?), batches)
}
