//! Read-only views of the model's internal state, for waveforms and reports.
//!
//! The lockstep harness shows this state beside the RTL's in the same waveform (the
//! `exp_*` signals of the test wrapper); it never feeds back into the model.

use crate::engine::{Engine, WrState};
use crate::tx::FeState;

/// The state worth seeing beside the RTL's, as held during one cycle (before its edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeState {
    pub tx_state: FeState,
    pub wr_state: WrState,
    /// The IPv4 ID the next IPv4 datagram gets.
    pub ipv4_id: u16,
    /// The IPv6 fragment ID the next IPv6 datagram with a fragment header gets.
    pub ipv6_frag_id: u32,
    /// Completions queued between the TX engine and the completion writer.
    pub cplq_len: usize,
}

/// A device whose internal state can be shown beside the RTL's.
pub trait Probe {
    /// The state the device holds now: called before a cycle, it is the state of that cycle.
    fn probe(&self) -> ProbeState;
}

impl Probe for Engine {
    fn probe(&self) -> ProbeState {
        ProbeState {
            tx_state: self.tx_state(),
            wr_state: self.writer_state(),
            ipv4_id: self.next_ipv4_id(),
            ipv6_frag_id: self.next_ipv6_frag_id(),
            cplq_len: self.cplq_len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EngineParams;

    #[test]
    fn fresh_engine_is_idle_with_upper_half_ids() {
        let p = Engine::new(EngineParams::default()).probe();
        assert_eq!(p.tx_state, FeState::Idle);
        assert_eq!(p.wr_state, WrState::Idle);
        assert_eq!(p.ipv4_id, 0x8000);
        assert_eq!(p.ipv6_frag_id, 0x8000_0000);
        assert_eq!(p.cplq_len, 0);
    }
}
