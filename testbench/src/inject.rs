//! A model with one deliberate difference, to see what a mismatch looks like (the report,
//! the waveform window, GTKWave) without a bug, and to prove that the random tests find
//! and shrink one: `txoe run --inject-mismatch FRAME` flips the lowest bit of that frame's
//! IPv4 ID in the model's output; `--inject-mismatch ipv6-vlan` flips the lowest bit of the
//! hop limit of every IPv6 frame behind an 802.1Q tag.

use std::fmt;
use std::str::FromStr;

use txoe_model::ports::{bus_byte, set_bus_byte, Device, Inputs, Outputs};
use txoe_model::{Probe, ProbeState};

/// Byte 19 of an untagged frame: the low byte of the IPv4 ID (23 behind an 802.1Q tag).
pub const IPV4_ID_LOW_BYTE: usize = 19;
/// Byte 25 of a tagged frame: the IPv6 hop limit behind an 802.1Q tag.
pub const TAGGED_IPV6_HOP_LIMIT_BYTE: usize = 25;

/// Which frames the model gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Frame N (0-based, in the order the MAC accepts them): bit 0 of byte 19 (the IPv4
    /// ID's low byte; 23 behind an 802.1Q tag), whatever the frame carries.
    Frame(u64),
    /// Every IPv6 frame behind an 802.1Q tag: bit 0 of its hop limit (byte 25).
    Ipv6Vlan,
}

impl FromStr for Trigger {
    type Err = String;
    fn from_str(s: &str) -> Result<Trigger, String> {
        if s == "ipv6-vlan" {
            return Ok(Trigger::Ipv6Vlan);
        }
        s.parse::<u64>()
            .map(Trigger::Frame)
            .map_err(|_| format!("{s:?} is neither a frame number nor `ipv6-vlan`"))
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Frame(n) => write!(f, "{n}"),
            Trigger::Ipv6Vlan => f.write_str("ipv6-vlan"),
        }
    }
}

/// Header bytes the triggers look at.
const HEAD: usize = 32;

/// `inner`, except that one byte of the frames `trigger` selects has bit 0 flipped on the
/// stream output, on every cycle the beat holding it is shown.
pub struct Injected<D> {
    inner: D,
    trigger: Trigger,
    /// Frames and beats of the current frame accepted so far.
    frames: u64,
    beat: usize,
    /// The current frame's first bytes as the inner model shows them.
    head: [u8; HEAD],
}

impl<D: Device> Injected<D> {
    /// Frame `frame`'s IPv4 ID differs ([`Trigger::Frame`]).
    pub fn new(inner: D, frame: u64) -> Self {
        Injected::with_trigger(inner, Trigger::Frame(frame))
    }

    pub fn with_trigger(inner: D, trigger: Trigger) -> Self {
        Injected { inner, trigger, frames: 0, beat: 0, head: [0; HEAD] }
    }

    /// The byte to flip in the current frame, once the bytes before it are known.
    fn target(&self) -> Option<usize> {
        let tagged = self.head[12..14] == [0x81, 0x00];
        match self.trigger {
            Trigger::Frame(n) if n == self.frames => {
                Some(if tagged { IPV4_ID_LOW_BYTE + 4 } else { IPV4_ID_LOW_BYTE })
            }
            Trigger::Frame(_) => None,
            Trigger::Ipv6Vlan => (tagged && self.head[16..18] == [0x86, 0xDD])
                .then_some(TAGGED_IPV6_HOP_LIMIT_BYTE),
        }
    }
}

impl<D: Device> Device for Injected<D> {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let mut out = self.inner.cycle(inp);
        if inp.rst {
            // Frames are numbered over the whole run, as the mismatch report numbers
            // them; a frame cut by the reset is not one.
            self.beat = 0;
            self.head = [0; HEAD];
            return out;
        }
        if out.m_axis_tx_tvalid {
            let bw = (self.inner.data_width() / 8) as usize;
            let first = self.beat * bw;
            for p in first..(first + bw).min(HEAD) {
                self.head[p] = bus_byte(&out.m_axis_tx_tdata, p - first);
            }
            // Every trigger's byte lies past the bytes it looks at, so they are known by
            // the beat that holds it.
            if let Some(byte) = self.target().filter(|b| (first..first + bw).contains(b)) {
                let lane = byte - first;
                let b = bus_byte(&out.m_axis_tx_tdata, lane);
                set_bus_byte(&mut out.m_axis_tx_tdata, lane, b ^ 1);
            }
            if inp.m_axis_tx_tready {
                self.beat += 1;
                if out.m_axis_tx_tlast {
                    self.frames += 1;
                    self.beat = 0;
                    self.head = [0; HEAD];
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
