//! A model with one deliberate difference, to see what a mismatch looks like (the report,
//! the waveform window, GTKWave) without a bug: `txoe run --inject-mismatch FRAME` flips
//! the lowest bit of that frame's IPv4 ID in the model's output.

use txoe_model::ports::{bus_byte, set_bus_byte, Device, Inputs, Outputs};
use txoe_model::{Probe, ProbeState};

/// Byte 19 of an untagged frame: the low byte of the IPv4 ID (23 behind an 802.1Q tag).
pub const IPV4_ID_LOW_BYTE: usize = 19;

/// `inner`, except that bit 0 of the low byte of frame `frame`'s IPv4 ID (0-based frame
/// number, in the order the MAC accepts them; byte 19, or 23 behind an 802.1Q tag, also in
/// an IPv6 frame) is flipped on the stream output, on every cycle that beat is shown.
pub struct Injected<D> {
    inner: D,
    frame: u64,
    /// Frames and beats of the current frame accepted so far.
    frames: u64,
    beat: usize,
    /// The current frame has an 802.1Q tag (bytes 12..14 are 0x8100).
    tagged: bool,
}

impl<D: Device> Injected<D> {
    pub fn new(inner: D, frame: u64) -> Self {
        Injected { inner, frame, frames: 0, beat: 0, tagged: false }
    }
}

impl<D: Device> Device for Injected<D> {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let mut out = self.inner.cycle(inp);
        if inp.rst {
            self.frames = 0;
            self.beat = 0;
            return out;
        }
        if out.m_axis_tx_tvalid {
            let bw = (self.inner.data_width() / 8) as usize;
            let first = self.beat * bw;
            // The ethertype (bytes 12, 13) is on this beat or an earlier one.
            if (first..first + bw).contains(&12) {
                let hi = bus_byte(&out.m_axis_tx_tdata, 12 - first);
                let lo = bus_byte(&out.m_axis_tx_tdata, 13 - first);
                self.tagged = [hi, lo] == [0x81, 0x00];
            }
            let byte = if self.tagged { IPV4_ID_LOW_BYTE + 4 } else { IPV4_ID_LOW_BYTE };
            if self.frames == self.frame && (first..first + bw).contains(&byte) {
                let lane = byte - first;
                let b = bus_byte(&out.m_axis_tx_tdata, lane);
                set_bus_byte(&mut out.m_axis_tx_tdata, lane, b ^ 1);
            }
            if inp.m_axis_tx_tready {
                self.beat += 1;
                if out.m_axis_tx_tlast {
                    self.frames += 1;
                    self.beat = 0;
                    self.tagged = false;
                }
            }
        }
        out
    }

    fn data_width(&self) -> u32 {
        self.inner.data_width()
    }
}

impl<D: Probe> Probe for Injected<D> {
    fn probe(&self) -> ProbeState {
        self.inner.probe()
    }
}
