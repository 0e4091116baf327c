//! Completion coalescing as the environment sees it on the ports: the statistics a user
//! tunes `max_batch` and `timeout_cycles` by, and a check that no batch closed by the
//! timeout started before its oldest completion had waited `TIMEOUT` cycles.
//!
//! The monitor follows the ports only:
//!
//! * **Requests** come in ring order, one per descriptor read: a read burst inside the TX
//!   ring is a descriptor fetch, and read bursts elsewhere (payload) belong to the last
//!   request fetched (the TX engine has one request in flight).
//! * **Frames**: the cycle of every accepted beat with `tlast`, in order.
//! * **Batches**: the W beats of each completion write, its first `awvalid` cycle (a batch
//!   starts in the cycle before, `docs/microarchitecture.md`, "Writing a batch") and the
//!   cycle of its write response (`bvalid && bready`).
//!
//! When a batch's write response comes, each of its entries is matched with the next
//! request and, when it sent frames, with its `segments` frames. The cycle the
//! completion was queued (`docs/microarchitecture.md`, "TX engine", stream output) is
//! derived from that: the cycle its last frame beat was accepted. A request that sends
//! nothing has its completion pushed when the stream output releases its slot, which is
//! no earlier than two cycles after its last read beat (descriptor: `CHECK`, then the
//! slot is ready; failed payload read: the header stage, then the slot is ready; for a
//! failed payload read the first beat with an error response stands for the last read
//! beat, as the segments after the failing one may still be read after it) and no
//! earlier than the cycle after the previous frame's last beat; the later of the two is
//! used, a lower bound that is exact when the output was idle, so the timeout check
//! below can only be lenient for such completions, never wrong.
//!
//! **Completion latency** is counted from the last frame beat of the request (the
//! accepted beat with `tlast`) to the cycle of its batch's write response; for a request
//! that sends nothing, from the cycle its completion was queued.

use std::collections::VecDeque;

use txoe_cosim::EnvError;
use txoe_model::layout::{CloseReason, CompletionEntry, CPL_BYTES, DESC_BYTES};
use txoe_model::ports::{bus_byte, Inputs, Outputs};

/// One completion batch as the monitor saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRecord {
    /// Cycle the batch started (the cycle before its first `awvalid`).
    pub start: u64,
    /// Cycle of its write response.
    pub done: u64,
    /// `m_axi_awaddr` and `m_axi_awlen` of its burst.
    pub awaddr: u64,
    pub awlen: u8,
    pub entries: u32,
    pub reason: CloseReason,
    /// Cycle each of its completions was queued, oldest first, when the monitor saw its
    /// request.
    pub queued: Vec<Option<u64>>,
}

/// Coalescing statistics of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoalesceStats {
    /// Completion entries written.
    pub completions: u64,
    /// Batches written, each as seen.
    pub batches: Vec<BatchRecord>,
    /// Batches by size: `sizes[k]` batches of k entries (k ≤ 16).
    pub sizes: [u64; 17],
    /// Batches per close reason, indexed by `CloseReason as usize`.
    pub reasons: [u64; 4],
    /// Completion latency of each completion whose request the monitor saw, in order.
    pub latencies: Vec<u64>,
    /// Cycle of the first cycle `irq` was high.
    pub irq_first: Option<u64>,
    /// Cycles `irq` was high.
    pub irq_cycles: u64,
}

impl CoalesceStats {
    /// Mean completions per batch.
    pub fn per_batch(&self) -> f64 {
        if self.batches.is_empty() {
            0.0
        } else {
            self.completions as f64 / self.batches.len() as f64
        }
    }

    /// The `p`-th percentile (nearest rank, 0 < p ≤ 100) of the completion latencies.
    pub fn latency_percentile(&self, p: f64) -> Option<u64> {
        if self.latencies.is_empty() {
            return None;
        }
        let mut v = self.latencies.clone();
        v.sort_unstable();
        let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
        Some(v[rank.min(v.len()) - 1])
    }

    pub fn latency_max(&self) -> Option<u64> {
        self.latencies.iter().copied().max()
    }
}

#[derive(Clone, Copy, Debug)]
struct Request {
    /// Cycle of the last read beat of the request.
    last_read: u64,
    /// Cycle of its first payload beat with an error response: its completion
    /// (`dma_error`) may be queued before the beats of the segments after the failing one
    /// arrive, but not before two cycles after this beat.
    first_err: Option<u64>,
}

/// Follows the ports and gathers [`CoalesceStats`].
#[derive(Debug)]
pub struct CplMonitor {
    tx_ring: (u64, u64),
    timeout: u32,
    lanes: usize,
    /// Read bursts accepted and not fully returned: (descriptor fetch, beats left).
    reads: VecDeque<(bool, u32)>,
    requests: VecDeque<Request>,
    frames: VecDeque<u64>,
    /// Cycle of the last frame beat matched to a completion so far.
    prev_frame: Option<u64>,
    aw_first: Option<u64>,
    /// Start cycle, `awaddr` and `awlen` of bursts whose response has not come.
    starts: VecDeque<(u64, u64, u8)>,
    burst: Vec<u8>,
    bursts: VecDeque<Vec<u8>>,
    pub stats: CoalesceStats,
}

impl CplMonitor {
    /// A monitor for a TX ring of `tx_size` descriptors at `tx_base`, a bus of `data_w`
    /// bits and the `TIMEOUT` the host programs.
    pub fn new(tx_base: u64, tx_size: u32, data_w: u32, timeout: u32) -> Self {
        CplMonitor {
            tx_ring: (tx_base, tx_base + DESC_BYTES as u64 * u64::from(tx_size)),
            timeout,
            lanes: (data_w / 8) as usize,
            reads: VecDeque::new(),
            requests: VecDeque::new(),
            frames: VecDeque::new(),
            prev_frame: None,
            aw_first: None,
            starts: VecDeque::new(),
            burst: Vec::with_capacity(16 * CPL_BYTES),
            bursts: VecDeque::new(),
            stats: CoalesceStats::default(),
        }
    }

    /// The reset: requests, frames and batches in flight are lost; the statistics stay.
    pub fn reset(&mut self) {
        self.reads.clear();
        self.requests.clear();
        self.frames.clear();
        self.prev_frame = None;
        self.aw_first = None;
        self.starts.clear();
        self.burst.clear();
        self.bursts.clear();
    }

    /// Follow one cycle's handshakes.
    pub fn observe(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Result<(), EnvError> {
        if out.irq {
            self.stats.irq_first.get_or_insert(cycle);
            self.stats.irq_cycles += 1;
        }

        // Reads: descriptor fetches open requests, payload beats belong to the last one.
        if inp.m_axi_rvalid && out.m_axi_rready {
            if let Some((desc, left)) = self.reads.front_mut() {
                *left -= 1;
                let (desc, done) = (*desc, *left == 0);
                if done {
                    self.reads.pop_front();
                }
                if desc && done {
                    self.requests.push_back(Request { last_read: cycle, first_err: None });
                } else if !desc {
                    if let Some(r) = self.requests.back_mut() {
                        r.last_read = cycle;
                        if inp.m_axi_rresp != 0 {
                            r.first_err.get_or_insert(cycle);
                        }
                    }
                }
            }
        }
        if out.m_axi_arvalid && inp.m_axi_arready {
            let desc = (self.tx_ring.0..self.tx_ring.1).contains(&out.m_axi_araddr);
            self.reads.push_back((desc, u32::from(out.m_axi_arlen) + 1));
        }

        if out.m_axis_tx_tvalid && inp.m_axis_tx_tready && out.m_axis_tx_tlast {
            self.frames.push_back(cycle);
        }

        // Completion writes.
        if out.m_axi_awvalid {
            self.aw_first.get_or_insert(cycle);
            if inp.m_axi_awready {
                let start = self.aw_first.take().unwrap_or(cycle) - 1;
                self.starts.push_back((start, out.m_axi_awaddr, out.m_axi_awlen));
            }
        }
        if out.m_axi_wvalid && inp.m_axi_wready {
            for lane in 0..self.lanes {
                if out.m_axi_wstrb >> lane & 1 != 0 {
                    self.burst.push(bus_byte(&out.m_axi_wdata, lane));
                }
            }
            if out.m_axi_wlast {
                self.bursts.push_back(std::mem::take(&mut self.burst));
            }
        }
        if inp.m_axi_bvalid && out.m_axi_bready {
            if let (Some(aw), Some(bytes)) = (self.starts.pop_front(), self.bursts.pop_front()) {
                // A batch answered with an error is not written: not a batch.
                if inp.m_axi_bresp == 0 {
                    self.batch_done(cycle, aw, &bytes)?;
                }
            }
        }
        Ok(())
    }

    fn batch_done(&mut self, cycle: u64, aw: (u64, u64, u8), bytes: &[u8]) -> Result<(), EnvError> {
        let (start, awaddr, awlen) = aw;
        let entries: Vec<CompletionEntry> = bytes
            .chunks_exact(CPL_BYTES)
            .map(|c| CompletionEntry::decode(c.try_into().expect("16-byte chunk")))
            .collect();
        let Some(last) = entries.last() else { return Ok(()) };
        let reason = last.reason;
        let mut queued_at = Vec::with_capacity(entries.len());
        for e in &entries {
            let req = self.requests.pop_front();
            let last_frame = (0..e.segments).filter_map(|_| self.frames.pop_front()).last();
            let (reference, queued) = match (last_frame, req) {
                (Some(t), _) => {
                    self.prev_frame = Some(t);
                    (Some(t), Some(t))
                }
                (None, Some(r)) => {
                    let read = r.first_err.unwrap_or(r.last_read);
                    let q = (read + 2).max(self.prev_frame.map_or(0, |t| t + 1));
                    (Some(q), Some(q))
                }
                (None, None) => (None, None),
            };
            queued_at.push(queued);
            if let Some(t) = reference {
                self.stats.latencies.push(cycle.saturating_sub(t));
            }
        }
        let k = entries.len();
        self.stats.completions += k as u64;
        self.stats.sizes[k.min(16)] += 1;
        self.stats.reasons[reason as usize] += 1;
        let index = self.stats.batches.len();
        let first_queued = queued_at[0];
        self.stats.batches.push(BatchRecord {
            start,
            done: cycle,
            awaddr,
            awlen,
            entries: k as u32,
            reason,
            queued: queued_at,
        });

        // A batch closed by the timeout starts no earlier than the cycle its oldest
        // completion, pending from the cycle after its queueing, is TIMEOUT cycles old.
        if let (CloseReason::Timeout, Some(q)) = (reason, first_queued) {
            let age = start.checked_sub(q + 1);
            if !matches!(age, Some(a) if a >= u64::from(self.timeout)) {
                return Err(EnvError {
                    cycle,
                    port: "batch".into(),
                    message: format!(
                        "batch {index} closed by the timeout started in cycle {start}, when its oldest completion (queued in cycle {q}) was {} cycles old; TIMEOUT is {}",
                        age.map_or("not yet".to_string(), |a| a.to_string()),
                        self.timeout
                    ),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = CoalesceStats { latencies: (1..=200).rev().collect(), ..CoalesceStats::default() };
        assert_eq!(s.latency_percentile(50.0), Some(100));
        assert_eq!(s.latency_percentile(99.0), Some(198));
        assert_eq!(s.latency_percentile(100.0), Some(200));
        assert_eq!(s.latency_max(), Some(200));
        let one = CoalesceStats { latencies: vec![7], ..CoalesceStats::default() };
        assert_eq!((one.latency_percentile(50.0), one.latency_percentile(99.0)), (Some(7), Some(7)));
        assert_eq!(CoalesceStats::default().latency_percentile(50.0), None);
    }
}
