//! The completion coalescer's decision: when the batch closes, how many entries it takes
//! and why (`docs/microarchitecture.md`, "Completion writer", "The close decision").
//!
//! [`decide`] is the closed form both implementations compute every cycle the writer is
//! idle; the tests check it against [`reference`], a direct, entry-by-entry statement of
//! the rules.

use crate::layout::CloseReason;

/// Most entries in one batch (`MAX_BATCH` ≤ 16).
pub const MAX_BATCH_LIMIT: u32 = 16;
/// CQ entries per 4 KiB page (16-byte entries, 4 KiB aligned CQ base).
pub const ENTRIES_PER_PAGE: u32 = 256;

/// What the decision looks at, all registered values of one cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueView {
    /// Pending completions (queued, not yet in a batch), `n`.
    pub pending: u32,
    /// IMMEDIATE flags of pending slots 0..min(n, 16) (bit i = slot i, the oldest is 0);
    /// bits at and above `pending` are ignored.
    pub immediate: u16,
    /// Age of pending slot 0 in cycles (meaningless when `pending` is 0).
    pub head_age: u32,
    /// `TIMEOUT` register.
    pub timeout: u32,
    /// `MAX_BATCH` register, 1..=16.
    pub max_batch: u32,
    /// `CQ_LOG2` register, 1..=12.
    pub cq_log2: u32,
    /// `CQ_TAIL`: the CQ slot the batch's first entry goes to.
    pub cq_tail: u32,
    /// `CQ_HEAD`: the host's consumer index.
    pub cq_head: u32,
}

/// A batch that closes: its size and reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Close {
    pub k: u32,
    pub reason: CloseReason,
}

impl QueueView {
    /// CQ size `S`.
    pub fn cq_size(&self) -> u32 {
        1 << self.cq_log2
    }

    /// `free = S − 1 − ((tail − head) mod S)`: slots the host has consumed.
    pub fn free(&self) -> u32 {
        cq_free(self.cq_log2, self.cq_tail, self.cq_head)
    }

    /// `to_end = G − (tail mod G)`, `G = min(S, 256)`: slots before the ring's end or the
    /// next 4 KiB boundary.
    pub fn to_end(&self) -> u32 {
        let g = self.cq_size().min(ENTRIES_PER_PAGE);
        g - (self.cq_tail % g)
    }

    /// `mx = min(MAX_BATCH, S − 1)`: the effective batch limit.
    pub fn mx(&self) -> u32 {
        self.max_batch.min(self.cq_size() - 1)
    }

    /// `imm`: the first pending slot below min(n, 16) with IMMEDIATE.
    pub fn imm(&self) -> Option<u32> {
        let valid = if self.pending >= 16 { 0xFFFF } else { (1u32 << self.pending) - 1 };
        let m = u32::from(self.immediate) & valid;
        (m != 0).then(|| m.trailing_zeros())
    }

    /// `K = min(mx, to_end, imm + 1)`: the size at which a size rule closes the batch.
    pub fn size_limit(&self) -> u32 {
        let k = self.mx().min(self.to_end());
        match self.imm() {
            Some(i) => k.min(i + 1),
            None => k,
        }
    }
}

/// `S − 1 − ((tail − head) mod S)` for a CQ of `2^cq_log2` slots.
pub fn cq_free(cq_log2: u32, tail: u32, head: u32) -> u32 {
    let s = 1u32 << cq_log2;
    s - 1 - (tail.wrapping_sub(head) & (s - 1))
}

/// The batch the rules close this cycle, if any, whether or not the CQ has room for it.
pub fn decide(q: &QueueView) -> Option<Close> {
    let k = q.size_limit();
    if q.pending >= k {
        let reason = if q.imm() == Some(k - 1) {
            CloseReason::Immediate
        } else if q.to_end() == k {
            CloseReason::RingEnd
        } else {
            CloseReason::MaxBatch
        };
        Some(Close { k, reason })
    } else if q.pending >= 1 && q.head_age >= q.timeout {
        Some(Close { k: q.pending, reason: CloseReason::Timeout })
    } else {
        None
    }
}

/// The batch that starts this cycle when the writer is idle: the rules close one and the
/// CQ has room for all of it.
pub fn start(q: &QueueView) -> Option<Close> {
    decide(q).filter(|c| q.free() >= c.k)
}

/// The rules as the docs first state them, one entry at a time: grow the batch from the
/// oldest pending completion; it ends at the first entry that is IMMEDIATE, reaches the
/// ring's end or a 4 KiB boundary, or makes it `MAX_BATCH` (or `S − 1`) long, in that
/// order; if none does, it ends by the timeout with everything pending.
pub fn reference(q: &QueueView) -> Option<Close> {
    let s = 1u64 << q.cq_log2;
    for k in 1..=q.pending {
        let immediate = k <= 16 && q.immediate >> (k - 1) & 1 != 0;
        let next = u64::from(q.cq_tail) + u64::from(k);
        let byte = 16 * next; // from the 4 KiB aligned CQ base
        let at_end = next == s || byte % 4096 == 0;
        let full = k == q.max_batch || u64::from(k) == s - 1;
        let reason = if immediate {
            CloseReason::Immediate
        } else if at_end {
            CloseReason::RingEnd
        } else if full {
            CloseReason::MaxBatch
        } else {
            continue;
        };
        return Some(Close { k, reason });
    }
    (q.pending >= 1 && q.head_age >= q.timeout)
        .then_some(Close { k: q.pending, reason: CloseReason::Timeout })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn view() -> impl Strategy<Value = QueueView> {
        (1u32..=12)
            .prop_flat_map(|log2| {
                let s = 1u32 << log2;
                (
                    0u32..=32,
                    any::<u16>(),
                    prop_oneof![0u32..64, any::<u32>()],
                    prop_oneof![0u32..64, any::<u32>()],
                    1u32..=16,
                    Just(log2),
                    0..s,
                    0..s,
                )
            })
            .prop_map(|(pending, immediate, head_age, timeout, max_batch, cq_log2, cq_tail, cq_head)| {
                QueueView { pending, immediate, head_age, timeout, max_batch, cq_log2, cq_tail, cq_head }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        #[test]
        fn closed_form_equals_the_entry_by_entry_statement(q in view()) {
            prop_assert_eq!(decide(&q), reference(&q));
        }

        #[test]
        fn a_batch_respects_every_limit(q in view()) {
            if let Some(c) = decide(&q) {
                let s = q.cq_size();
                prop_assert!(c.k >= 1 && c.k <= q.pending);
                prop_assert!(c.k <= q.max_batch && c.k <= MAX_BATCH_LIMIT);
                prop_assert!(c.k < s, "a batch of {} never fits a CQ of {}", c.k, s);
                // never wraps, never crosses 4 KiB
                prop_assert!(q.cq_tail + c.k <= s);
                prop_assert!((q.cq_tail % 256) + c.k <= 256);
                // no IMMEDIATE completion inside the batch, only possibly at its end
                let inside = u32::from(q.immediate) & ((1u32 << (c.k - 1)) - 1);
                prop_assert_eq!(inside, 0);
            }
        }

        #[test]
        fn the_reason_follows_from_the_batch_alone(q in view()) {
            // What the host can check from the CQ: where the batch starts, its size and
            // whether its last entry is IMMEDIATE.
            if let Some(c) = decide(&q) {
                let last_imm = q.immediate >> (c.k - 1) & 1 != 0;
                let want = if last_imm {
                    CloseReason::Immediate
                } else if c.k == q.to_end() {
                    CloseReason::RingEnd
                } else if c.k == q.mx() {
                    CloseReason::MaxBatch
                } else {
                    CloseReason::Timeout
                };
                prop_assert_eq!(c.reason, want);
                if c.reason == CloseReason::Timeout {
                    prop_assert!(q.head_age >= q.timeout && c.k == q.pending);
                }
            }
        }

        #[test]
        fn an_expired_head_always_closes_a_batch(q in view()) {
            if q.pending >= 1 && q.head_age >= q.timeout {
                let c = decide(&q).expect("closes");
                prop_assert!(c.k <= q.pending.min(q.mx()).min(q.to_end()));
                if q.free() >= q.pending.min(q.mx()).min(q.to_end()) {
                    prop_assert_eq!(start(&q), Some(c));
                }
            }
        }

        #[test]
        fn start_needs_room(q in view()) {
            match (decide(&q), start(&q)) {
                (Some(c), Some(s)) => prop_assert!(c == s && q.free() >= c.k),
                (Some(c), None) => prop_assert!(q.free() < c.k),
                (None, s) => prop_assert_eq!(s, None),
            }
        }
    }

    fn q(pending: u32, immediate: u16, head_age: u32) -> QueueView {
        QueueView {
            pending,
            immediate,
            head_age,
            timeout: 4,
            max_batch: 3,
            cq_log2: 4,
            cq_tail: 0,
            cq_head: 0,
        }
    }

    #[test]
    fn ties_take_the_documented_reason() {
        // full and timed out in the same cycle
        assert_eq!(decide(&q(3, 0, 4)), Some(Close { k: 3, reason: CloseReason::MaxBatch }));
        // IMMEDIATE completion that fills the batch
        assert_eq!(decide(&q(3, 0b100, 0)), Some(Close { k: 3, reason: CloseReason::Immediate }));
        // IMMEDIATE behind a full batch does not join it
        assert_eq!(decide(&q(4, 0b1000, 0)), Some(Close { k: 3, reason: CloseReason::MaxBatch }));
        // ring end coinciding with a full batch
        let v = QueueView { cq_tail: 13, ..q(3, 0, 0) };
        assert_eq!(decide(&v), Some(Close { k: 3, reason: CloseReason::RingEnd }));
        // IMMEDIATE at the ring end
        let v = QueueView { cq_tail: 14, ..q(2, 0b10, 0) };
        assert_eq!(decide(&v), Some(Close { k: 2, reason: CloseReason::Immediate }));
        // timeout: everything pending, below the limit
        assert_eq!(decide(&q(2, 0, 4)), Some(Close { k: 2, reason: CloseReason::Timeout }));
        assert_eq!(decide(&q(2, 0, 3)), None);
        assert_eq!(decide(&q(0, 0, 99)), None);
    }

    #[test]
    fn the_effective_limit_is_one_less_than_the_cq() {
        // 4-entry CQ, MAX_BATCH 16: 3 from slot 0 (max_batch), then 1 from slot 3 (ring_end)
        let v = QueueView { max_batch: 16, cq_log2: 2, ..q(20, 0, 0) };
        assert_eq!(decide(&v), Some(Close { k: 3, reason: CloseReason::MaxBatch }));
        let v = QueueView { cq_tail: 3, cq_head: 3, ..v };
        assert_eq!(decide(&v), Some(Close { k: 1, reason: CloseReason::RingEnd }));
        // a 2-entry CQ writes single entries
        let v = QueueView { max_batch: 16, cq_log2: 1, ..q(5, 0, 0) };
        assert_eq!(decide(&v), Some(Close { k: 1, reason: CloseReason::MaxBatch }));
    }

    #[test]
    fn a_batch_waits_for_room() {
        // 3 used of 15 usable: room for 12
        let v = QueueView { max_batch: 16, cq_tail: 3, cq_head: 0, cq_log2: 5, ..q(16, 0, 0) };
        assert_eq!(v.free(), 28);
        let v = QueueView { cq_log2: 4, cq_tail: 3, cq_head: 4, ..v };
        assert_eq!(v.free(), 0);
        assert!(decide(&v).is_some());
        assert_eq!(start(&v), None);
    }

    #[test]
    fn four_kib_boundary_cuts_large_rings() {
        let v = QueueView { max_batch: 16, cq_log2: 12, cq_tail: 250, cq_head: 250, ..q(16, 0, 0) };
        assert_eq!(v.to_end(), 6);
        assert_eq!(decide(&v), Some(Close { k: 6, reason: CloseReason::RingEnd }));
    }
}
