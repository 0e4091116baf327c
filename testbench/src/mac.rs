//! The MAC: an AXI4-Stream sink for `m_axis_tx_*`.
//!
//! `tready` is high on a cycle with probability `env.tready_percent`, drawn from the
//! seeded random stream one cycle ahead (a Moore output). Accepted beats are collected
//! into frames until `tlast`; the cycle of the `tlast` handshake is the frame's cycle.
//!
//! A reset ([`MacSink::reset`]) cuts the frame in progress: its beats are dropped and it
//! is not counted as a frame.
//!
//! Checks (each an [`EnvError`] on port `m_axis_tx`): `tkeep` on a beat other than the
//! last must be all ones; on the last beat it must be contiguous from byte 0 and not
//! zero; a frame may not be longer than MTU + 18 bytes (Ethernet header and one VLAN
//! tag); `tvalid` may not drop, nor `tdata`/`tkeep`/`tlast` change, before `tready`.

use std::collections::VecDeque;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use txoe_cosim::EnvError;
use txoe_model::ports::{strobe_mask, Bus, Inputs, Outputs};

use crate::payload::env_rng;

/// One frame as the MAC received it (no FCS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Cycle of the `tlast` handshake.
    pub cycle: u64,
    pub data: Vec<u8>,
}

/// The stream sink.
pub struct MacSink {
    bytes: usize,
    max_frame: usize,
    tready_percent: u32,
    rng: ChaCha8Rng,
    tready: bool,
    cur: Vec<u8>,
    held: Option<(Bus, u64, bool)>,
    /// Frames received and not yet taken by the scoreboard.
    pending: VecDeque<Frame>,
    frames: u64,
    bytes_total: u64,
    beats: u64,
    /// Cycles of the first and the last accepted beat.
    first_beat: Option<u64>,
    last_beat: u64,
    /// Frames cut by a reset before their `tlast`.
    truncated: u64,
}

/// How busy the stream was: accepted beats against the cycles from the first accepted
/// beat to the last (the steady-state measure of line rate).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamBusy {
    pub beats: u64,
    pub span: u64,
}

impl StreamBusy {
    /// Percent of the span's cycles that carried a beat.
    pub fn percent(&self) -> f64 {
        if self.span == 0 {
            0.0
        } else {
            100.0 * self.beats as f64 / self.span as f64
        }
    }
}

impl MacSink {
    /// `max_frame` is the longest legal frame, MTU + 18.
    pub fn new(data_w: u32, max_frame: usize, tready_percent: u32, seed: u64) -> Self {
        let mut rng = env_rng(seed, b"mac\0\0\0\0\0");
        let tready = tready_percent >= 100 || rng.gen_range(0..100) < tready_percent;
        MacSink {
            bytes: (data_w / 8) as usize,
            max_frame,
            tready_percent,
            rng,
            tready,
            cur: Vec::with_capacity(max_frame + 64),
            held: None,
            pending: VecDeque::new(),
            frames: 0,
            bytes_total: 0,
            beats: 0,
            first_beat: None,
            last_beat: 0,
            truncated: 0,
        }
    }

    /// The reset: a frame in progress is cut and is not a frame (its beats are dropped);
    /// frames already received stay.
    pub fn reset(&mut self) {
        if !self.cur.is_empty() {
            self.truncated += 1;
            self.cur.clear();
        }
        self.held = None;
    }

    /// Frames cut by a reset.
    pub fn truncated(&self) -> u64 {
        self.truncated
    }

    pub fn drive(&mut self, inp: &mut Inputs) {
        inp.m_axis_tx_tready = self.tready;
    }

    /// Out of line and cold: the code building an error stays off the per-cycle path.
    #[cold]
    #[inline(never)]
    fn err(cycle: u64, message: String) -> EnvError {
        EnvError {
            cycle,
            port: "m_axis_tx".to_string(),
            message,
        }
    }

    pub fn observe(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Result<(), EnvError> {
        // The held beat is compared in place and copied only while tready is low.
        if let Some(h) = &self.held {
            if !out.m_axis_tx_tvalid {
                return Err(Self::err(cycle, "tvalid dropped before tready".into()));
            }
            if h.0 != out.m_axis_tx_tdata || h.1 != out.m_axis_tx_tkeep || h.2 != out.m_axis_tx_tlast {
                return Err(Self::err(
                    cycle,
                    "tdata/tkeep/tlast changed while tvalid was high and tready low".into(),
                ));
            }
        }
        self.held = None;
        if out.m_axis_tx_tvalid && inp.m_axis_tx_tready {
            self.accept(cycle, out)?;
        } else if out.m_axis_tx_tvalid {
            self.held = Some((out.m_axis_tx_tdata, out.m_axis_tx_tkeep, out.m_axis_tx_tlast));
        }
        if self.tready_percent < 100 {
            self.tready = self.rng.gen_range(0..100) < self.tready_percent;
        }
        Ok(())
    }

    fn accept(&mut self, cycle: u64, out: &Outputs) -> Result<(), EnvError> {
        let full = strobe_mask(self.bytes);
        let keep = out.m_axis_tx_tkeep;
        let last = out.m_axis_tx_tlast;
        if !last && keep != full {
            return Err(Self::err(
                cycle,
                format!(
                    "tkeep {keep:#x} on a beat that is not the last (byte {} of frame {}); expected {full:#x}",
                    self.cur.len(),
                    self.frames
                ),
            ));
        }
        if last && (keep == 0 || keep & !full != 0 || keep & keep.wrapping_add(1) != 0) {
            return Err(Self::err(
                cycle,
                format!(
                    "tkeep {keep:#x} on the last beat of frame {} is not contiguous from byte 0",
                    self.frames
                ),
            ));
        }
        let n = keep.count_ones() as usize;
        if self.cur.len() + n > self.max_frame {
            return Err(Self::err(
                cycle,
                format!(
                    "frame {} is longer than {} bytes (MTU + 18)",
                    self.frames, self.max_frame
                ),
            ));
        }
        for w in out.m_axis_tx_tdata.iter().take(n.div_ceil(8)) {
            self.cur.extend_from_slice(&w.to_le_bytes());
        }
        let len = self.cur.len() - n.div_ceil(8) * 8 + n;
        self.cur.truncate(len);
        self.beats += 1;
        self.first_beat.get_or_insert(cycle);
        self.last_beat = cycle;
        if last {
            self.frames += 1;
            self.bytes_total += self.cur.len() as u64;
            let data = std::mem::replace(&mut self.cur, Vec::with_capacity(self.max_frame + 64));
            self.pending.push_back(Frame { cycle, data });
        }
        Ok(())
    }

    /// Oldest frame not yet taken.
    pub fn pop_frame(&mut self) -> Option<Frame> {
        self.pending.pop_front()
    }

    /// Frames received and not yet taken.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Take every frame not yet taken.
    pub fn drain(&mut self) -> impl Iterator<Item = Frame> + '_ {
        self.pending.drain(..)
    }

    /// Frames received (`tlast` handshakes).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frame bytes received.
    pub fn bytes(&self) -> u64 {
        self.bytes_total
    }

    /// Beats accepted.
    /// Beats accepted, and the cycles from the first to the last of them.
    pub fn busy(&self) -> StreamBusy {
        let span = self.first_beat.map_or(0, |f| self.last_beat - f + 1);
        StreamBusy { beats: self.beats, span }
    }

    pub fn beats(&self) -> u64 {
        self.beats
    }

    /// True while a frame has started but not ended.
    pub fn in_frame(&self) -> bool {
        !self.cur.is_empty()
    }
}
