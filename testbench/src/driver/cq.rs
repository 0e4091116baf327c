//! The completion queue as a consumer sees it: where the next entry is, whether it has
//! been written (its phase bit), and the batch rules every batch must keep whatever the
//! timing.

use txoe_model::core::coalesce::ENTRIES_PER_PAGE;
use txoe_model::layout::{CloseReason, CompletionEntry, CPL_BYTES};

/// A position in the CQ and the phase an entry written there on this pass carries: 1 on
/// the first pass over the ring, flipping on each wrap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CqCursor {
    base: u64,
    size: u32,
    index: u32,
    phase: bool,
}

impl CqCursor {
    /// Index 0 of the first pass (phase 1) of a CQ of `size` entries at `base`.
    pub fn new(base: u64, size: u32) -> Self {
        CqCursor { base, size, index: 0, phase: true }
    }

    pub fn index(&self) -> u32 {
        self.index
    }
    pub fn phase(&self) -> bool {
        self.phase
    }
    /// Bus address of the entry at the cursor.
    pub fn addr(&self) -> u64 {
        self.base + CPL_BYTES as u64 * u64::from(self.index)
    }

    /// The entry in `raw` (the 16 bytes at the cursor) when it has been written on this
    /// pass: its phase bit is the expected one.
    pub fn ready(&self, raw: &[u8; CPL_BYTES]) -> Option<CompletionEntry> {
        let e = CompletionEntry::decode(raw);
        (e.phase == self.phase).then_some(e)
    }

    /// Back to index 0 of the first pass, as after a reset of the engine (whose CQ tail
    /// starts over there, writing phase 1).
    pub fn reset(&mut self) {
        self.index = 0;
        self.phase = true;
    }

    /// Move to the next slot, flipping the phase at the ring's end.
    pub fn advance(&mut self) {
        self.index += 1;
        if self.index == self.size {
            self.index = 0;
            self.phase = !self.phase;
        }
    }
}

/// A batch closed by an end-of-batch entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosedBatch {
    /// CQ index of its first entry.
    pub first: u32,
    pub reason: CloseReason,
    pub entries: Vec<CompletionEntry>,
}

/// The rules a consumer checks entry by entry (`docs/microarchitecture.md`, "The close
/// decision"; `SPEC.md` §5): a batch has at most `min(MAX_BATCH, CQ size − 1)` entries,
/// never wraps past the CQ's end or crosses a 4 KiB boundary, an IMMEDIATE completion
/// ends its batch, only an end-of-batch entry carries a close reason, and that reason is
/// the one the batch's start, size and last entry imply. A batch closed by a size rule
/// has exactly K entries and one closed by the timeout fewer, so the reason follows:
/// IMMEDIATE → `immediate`; else ending at the ring's end or a 4 KiB boundary →
/// `ring_end`; else `min(MAX_BATCH, S − 1)` entries → `max_batch`; else `timeout`.
///
/// Errors name the rule broken: `batch.size`, `batch.wrap`, `batch.immediate`,
/// `batch.reason`, `batch.open`.
/// A broken batch rule: which one, and what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

fn broken(rule: &'static str, message: String) -> RuleError {
    RuleError { rule, message }
}

#[derive(Clone, Debug)]
pub struct BatchRules {
    cq_base: u64,
    cq_size: u32,
    max_batch: u32,
    first: u32,
    cur: Vec<CompletionEntry>,
    /// Batches closed so far.
    pub closed: u64,
}

impl BatchRules {
    pub fn new(cq_base: u64, cq_size: u32, max_batch: u32) -> Self {
        BatchRules { cq_base, cq_size, max_batch, first: 0, cur: Vec::with_capacity(16), closed: 0 }
    }

    /// `min(MAX_BATCH, CQ size − 1)`: the largest batch the engine may write.
    pub fn effective_max_batch(&self) -> u32 {
        self.max_batch.min(self.cq_size - 1)
    }

    /// Slots from CQ index `first` to the ring's end or the next 4 KiB boundary.
    pub fn to_end(&self, first: u32) -> u32 {
        let page_off = ((self.cq_base / CPL_BYTES as u64) as u32).wrapping_add(first) % ENTRIES_PER_PAGE;
        (self.cq_size - first).min(ENTRIES_PER_PAGE - page_off)
    }

    /// Entries of the batch not yet closed.
    pub fn open(&self) -> usize {
        self.cur.len()
    }

    /// Take the entry at CQ index `idx`; `immediate` says whether its send asked for
    /// IMMEDIATE. Returns the batch it closes, if it ends one.
    pub fn push(&mut self, idx: u32, entry: &CompletionEntry, immediate: bool) -> Result<Option<ClosedBatch>, RuleError> {
        let batch = self.closed;
        if self.cur.is_empty() {
            self.first = idx;
        } else if idx == 0 {
            return Err(broken("batch.wrap", format!(
                "batch {batch} wraps past the end of the CQ (starts at index {})",
                self.first
            )));
        }
        self.cur.push(*entry);
        let mx = self.effective_max_batch();
        let k = self.cur.len() as u32;
        if k > mx {
            return Err(broken("batch.size", format!(
                "batch {batch} has {k} entries without end_of_batch, the effective limit is {mx} (max_batch {}, CQ of {})",
                self.max_batch, self.cq_size
            )));
        }
        if immediate && !entry.end_of_batch {
            return Err(broken("batch.immediate", format!(
                "the completion at CQ index {idx} (cookie {:#x}) is IMMEDIATE but does not end its batch",
                entry.cookie
            )));
        }
        if !entry.end_of_batch && entry.reason != CloseReason::MaxBatch {
            return Err(broken("batch.reason", format!(
                "entry at CQ index {idx} is not the end of its batch but carries reason {}",
                entry.reason.name()
            )));
        }
        if !entry.end_of_batch {
            return Ok(None);
        }
        let first = self.first;
        let to_end = self.to_end(first);
        if k > to_end {
            return Err(broken("batch.wrap", format!(
                "batch {batch}: {k} entries from CQ index {first} pass the ring's end ({}) or a 4 KiB boundary ({to_end} slots)",
                self.cq_size
            )));
        }
        let want = if immediate {
            CloseReason::Immediate
        } else if k == to_end {
            CloseReason::RingEnd
        } else if k == mx {
            CloseReason::MaxBatch
        } else {
            CloseReason::Timeout
        };
        if entry.reason != want {
            return Err(broken("batch.reason", format!(
                "batch {batch}: reason {}, expected {}: {k} entries from CQ index {first}, {to_end} slots to the ring's end or 4 KiB boundary, effective max_batch {mx}, last entry {}IMMEDIATE",
                entry.reason.name(),
                want.name(),
                if immediate { "" } else { "not " }
            )));
        }
        self.closed += 1;
        Ok(Some(ClosedBatch { first, reason: entry.reason, entries: std::mem::take(&mut self.cur) }))
    }

    /// Start over at a reset of the engine: the open batch is dropped (batches closed so
    /// far still count). An open batch is an error: the engine writes each batch in one
    /// burst (SPEC §5), and the consumer reads every entry written before the reset first.
    pub fn reset(&mut self) -> Result<(), RuleError> {
        let open = self.cur.len();
        self.cur.clear();
        self.first = 0;
        if open == 0 {
            Ok(())
        } else {
            Err(broken("batch.open", format!("a reset found {open} completions without end_of_batch")))
        }
    }

    /// At the end: no batch may be left without its end-of-batch entry.
    pub fn finish(&self) -> Result<(), RuleError> {
        if self.cur.is_empty() {
            Ok(())
        } else {
            Err(broken("batch.open", format!(
                "the last {} completions were never closed by end_of_batch",
                self.cur.len()
            )))
        }
    }
}
