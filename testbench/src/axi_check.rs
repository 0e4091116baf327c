//! An AXI protocol checker on the three interfaces of `txoe_top`, independent of the
//! device and of the environment: it sees only the port values of each cycle
//! ([`Inputs`], [`Outputs`]) and keeps its own record of the transactions in flight.
//!
//! One [`AxiChecker`] follows one device. A lockstep run has two, one on the model's
//! outputs and one on the RTL's, both fed the same inputs (see [`crate::env::TbEnv`] and
//! `txoe_cosim::Environment::check_outputs`): a device that breaks a rule is named even
//! when the other side keeps it, and the violation ends the run before the outputs are
//! compared.
//!
//! The rules, by interface and channel (each [`Violation`] names its rule by the
//! identifier in the first column; `docs/verification.md` lists them with their source):
//!
//! **`m_axi` (AXI4 master; the engine drives AR, AW, W, `rready`, `bready`)**
//!
//! | rule | channel | the device must |
//! |---|---|---|
//! | `valid-held` | AR AW W | keep `valid` high until `ready` |
//! | `payload-stable` | AR AW W | keep the payload unchanged while `valid && !ready` |
//! | `burst-incr` | AR AW | use INCR bursts (`burst` = 1) |
//! | `size-bus` | AR AW | use `size` = log2(DATA_W/8) |
//! | `addr-aligned` | AR AW | start on a bus-word boundary (the engine aligns every burst down) |
//! | `no-4k-cross` | AR AW | not cross a 4 KiB boundary |
//! | `arlen-max` | AR | read at most 16 beats (`arlen` ≤ 15) |
//! | `awlen-one-batch` | AW W | write one completion batch per burst: `awlen + 1 = ceil((off + 16·k) / BW)` for the k entries (1 ≤ k ≤ 16) its strobes cover, one contiguous run from lane `off` (a multiple of 16) of the first beat, ending on the last beat, the last entry (only) marked end-of-batch, one phase |
//! | `one-write` | AW | issue a write burst only when none is in flight (AW accepted, B not yet taken) |
//! | `w-after-aw` | W | show `wvalid` only for a burst whose AW was accepted in an earlier cycle |
//! | `wlast-beat` | W | set `wlast` on beat `awlen` and on no other |
//! | `rready-held` | R | hold `rready` high while an accepted read burst has beats to come |
//! | `bready-in-b` | B | hold `bready` high exactly while a burst's last W beat was accepted and its response not yet |
//!
//! and the memory (the environment) must: `r-without-ar` not show `rvalid` without an
//! accepted AR burst with beats left; `rlast-beat` set `rlast` on a burst's last beat only;
//! `b-without-w` not show `bvalid` without a burst whose last W beat was accepted. (R and B
//! never stall: `rready-held` and `bready-in-b` keep the ready high whenever a response
//! may come, so the slave's hold rules have nothing to check.)
//!
//! **`s_axil` (AXI4-Lite slave; the engine drives `awready`, `wready`, B, `arready`, R)**
//!
//! | rule | channel | the device must |
//! |---|---|---|
//! | `awready-wready` | AW W | take address and data together, one write at a time: `awready = wready = awvalid && wvalid && !bvalid` and no write taken before is still without its B handshake |
//! | `arready` | AR | take one read at a time: `arready` high exactly when no read taken before is still without its R handshake |
//! | `b-after-aw-w` | B | show `bvalid` only for a write whose AW and W were both accepted in earlier cycles |
//! | `r-after-ar` | R | show `rvalid` only for a read whose AR was accepted in an earlier cycle |
//! | `valid-held`, `payload-stable` | B R | hold `bvalid`/`rvalid` until ready, `bresp`/`rdata`/`rresp` unchanged |
//! | `resp-okay` | B R | answer OKAY |
//!
//! and the host must hold `awvalid`/`wvalid`/`arvalid` until ready with `awaddr`,
//! `wdata`/`wstrb`, `araddr` unchanged (`valid-held`, `payload-stable`).
//!
//! **`m_axis_tx` (AXI4-Stream master)**
//!
//! | rule | the device must |
//! |---|---|
//! | `valid-held` | keep `tvalid` high until `tready` |
//! | `payload-stable` | keep `tdata`, `tkeep`, `tlast` unchanged while `tvalid && !tready` |
//! | `tkeep-contiguous` | show `tkeep` all ones on a beat without `tlast`, and on a `tlast` beat non-zero and contiguous from lane 0 |
//! | `null-lanes-zero` | show zero in the `tdata` lanes outside `tkeep` |
//!
//! **Reset.** A cycle with `rst` high is not checked, and forgets every transaction in
//! flight (the device is reset at its edge; so must the environment be). In the cycle
//! after one with `rst` high every valid the device drives is low (`reset-drops-valid`:
//! `m_axi_arvalid`, `m_axi_awvalid`, `m_axi_wvalid`, `m_axis_tx_tvalid`, `s_axil_bvalid`,
//! `s_axil_rvalid`). From then on the rules apply afresh.

use std::collections::VecDeque;
use std::fmt;

use txoe_cosim::EnvError;
use txoe_model::layout::CPL_BYTES;
use txoe_model::ports::{bus_byte, strobe_mask, Bus, Inputs, Outputs};

/// AXI burst type INCR.
const INCR: u8 = 1;
/// Largest completion batch, in entries.
const MAX_BATCH_ENTRIES: usize = 16;

/// Which interface a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interface {
    /// `m_axi_*`, the AXI4 master to host memory.
    MAxi,
    /// `s_axil_*`, the AXI4-Lite register slave.
    SAxil,
    /// `m_axis_tx_*`, the AXI4-Stream master to the MAC.
    MAxisTx,
}

impl Interface {
    pub fn name(self) -> &'static str {
        match self {
            Interface::MAxi => "m_axi",
            Interface::SAxil => "s_axil",
            Interface::MAxisTx => "m_axis_tx",
        }
    }
    fn standard(self) -> &'static str {
        match self {
            Interface::MAxi => "AXI4 master",
            Interface::SAxil => "AXI4-Lite slave",
            Interface::MAxisTx => "AXI4-Stream master",
        }
    }
}

/// Who broke a rule: the device whose outputs the checker follows, or the environment
/// driving the inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Culprit {
    Device,
    Environment,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub cycle: u64,
    pub interface: Interface,
    /// `AR`, `R`, `AW`, `W`, `B` or `T` (the stream).
    pub channel: &'static str,
    /// The rule's identifier (see the module documentation).
    pub rule: &'static str,
    pub culprit: Culprit,
    /// What happened, in one line.
    pub detail: String,
}

impl Violation {
    /// A violation; out of line and cold, so that the code building one is kept off the
    /// per-cycle path of the checks.
    #[cold]
    #[inline(never)]
    fn cold(
        cycle: u64,
        interface: Interface,
        channel: &'static str,
        rule: &'static str,
        culprit: Culprit,
        detail: String,
    ) -> Violation {
        Violation {
            cycle,
            interface,
            channel,
            rule,
            culprit,
            detail,
        }
    }

    /// The port name of the report and the waveform view: `m_axi_ar`, `s_axil_b`,
    /// `m_axis_tx`, …
    pub fn port(&self) -> String {
        match self.interface {
            Interface::MAxisTx => "m_axis_tx".to_string(),
            i => format!("{}_{}", i.name(), self.channel.to_ascii_lowercase()),
        }
    }

    /// As an environment error of the run, `device` being the name of the device the
    /// checker follows (`model`, `rtl`).
    pub fn to_env_error(&self, device: &str) -> EnvError {
        EnvError {
            cycle: self.cycle,
            port: self.port(),
            message: self.message(device),
        }
    }

    /// `protocol: m_axi (AXI4 master) channel AR rule valid-held, broken by the rtl: …`
    pub fn message(&self, device: &str) -> String {
        let who = match self.culprit {
            Culprit::Device => format!("the {device}"),
            Culprit::Environment => format!("the environment (seen beside the {device})"),
        };
        format!(
            "protocol: {} ({}) channel {} rule {}, broken by {who}: {}",
            self.interface.name(),
            self.interface.standard(),
            self.channel,
            self.rule,
            self.detail
        )
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cycle {} {}", self.cycle, self.message("device"))
    }
}

/// An address request (AR or AW) as shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AddrReq {
    addr: u64,
    len: u8,
    size: u8,
    burst: u8,
}

/// A valid raised in `since` and not yet taken, with the payload it showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Held<T> {
    since: u64,
    payload: T,
}

/// A write burst whose AW was accepted and whose W beats are not all in.
#[derive(Clone, Debug)]
struct WriteBurst {
    aw_cycle: u64,
    addr: u64,
    beats: u32,
    done: u32,
    /// Byte index in the burst (beat · BW + lane) of the first and one past the last
    /// strobed byte, and the strobed bytes, in order.
    first: Option<usize>,
    end: usize,
    bytes: Vec<u8>,
    /// A strobe gap was seen (the bytes are not one run).
    gap: bool,
}

/// The protocol checker of one device. Feed it every cycle with [`AxiChecker::check`].
#[derive(Clone, Debug)]
pub struct AxiChecker {
    bw: usize,
    size_log2: u8,
    words: usize,
    strb_all: u64,
    /// `rst` was high in the previous cycle.
    after_reset: bool,

    // m_axi
    ar: Option<Held<AddrReq>>,
    /// Beats left of each accepted read burst, oldest first.
    reads: VecDeque<u32>,
    aw: Option<Held<AddrReq>>,
    writes: VecDeque<WriteBurst>,
    /// Bursts whose last W beat was accepted and whose response has not been taken.
    awaiting_b: u32,
    w: Option<Held<(Bus, u64, bool)>>,

    // s_axil
    l_aw: Option<Held<u32>>,
    l_w: Option<Held<(u32, u8)>>,
    l_ar: Option<Held<u32>>,
    l_b: Option<Held<u8>>,
    l_r: Option<Held<(u32, u8)>>,
    /// Accepted AW and W handshakes and B handshakes, and accepted AR and R handshakes.
    l_aw_n: u64,
    l_w_n: u64,
    l_b_n: u64,
    l_ar_n: u64,
    l_r_n: u64,

    // m_axis_tx
    t: Option<Held<(Bus, u64, bool)>>,

    cycles_checked: u64,
    /// Nothing in flight on any channel after the last cycle checked: no valid held, no
    /// burst or response outstanding (see [`AxiChecker::quiet_cycle`]).
    idle: bool,
}

type Check = Result<(), Violation>;

impl AxiChecker {
    /// A checker for a device with `data_w`-bit `m_axi` and `m_axis_tx` buses.
    pub fn new(data_w: u32) -> Self {
        let bw = (data_w / 8) as usize;
        AxiChecker {
            bw,
            size_log2: bw.trailing_zeros() as u8,
            words: bw.div_ceil(8),
            strb_all: strobe_mask(bw),
            after_reset: false,
            ar: None,
            reads: VecDeque::new(),
            aw: None,
            writes: VecDeque::new(),
            awaiting_b: 0,
            w: None,
            l_aw: None,
            l_w: None,
            l_ar: None,
            l_b: None,
            l_r: None,
            l_aw_n: 0,
            l_w_n: 0,
            l_b_n: 0,
            l_ar_n: 0,
            l_r_n: 0,
            t: None,
            cycles_checked: 0,
            idle: true,
        }
    }

    /// Cycles checked so far (cycles with `rst` high are not).
    pub fn cycles_checked(&self) -> u64 {
        self.cycles_checked
    }

    /// Check cycle `cycle`: `inp` is what the environment drove, `out` what the device
    /// showed. The first broken rule of the cycle is returned; the checker's state is then
    /// undefined (the run ends).
    pub fn check(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Check {
        if inp.rst {
            let data_w = (self.bw * 8) as u32;
            let checked = self.cycles_checked;
            *self = AxiChecker::new(data_w);
            self.cycles_checked = checked;
            self.after_reset = true;
            return Ok(());
        }
        if std::mem::take(&mut self.after_reset) {
            self.reset_drops_valid(cycle, out)?;
        }
        self.cycles_checked += 1;
        if self.idle && Self::quiet_cycle(inp, out) {
            return Ok(());
        }
        self.m_axi_read(cycle, inp, out)?;
        self.m_axi_write(cycle, inp, out)?;
        self.s_axil(cycle, inp, out)?;
        self.m_axis(cycle, inp, out)?;
        self.idle = self.ar.is_none()
            && self.reads.is_empty()
            && self.aw.is_none()
            && self.writes.is_empty()
            && self.awaiting_b == 0
            && self.w.is_none()
            && self.l_aw.is_none()
            && self.l_w.is_none()
            && self.l_ar.is_none()
            && self.l_b.is_none()
            && self.l_r.is_none()
            && self.l_ar_n == self.l_r_n
            && self.t.is_none();
        Ok(())
    }

    /// A cycle on which every rule holds without looking further, given that nothing was in
    /// flight before it (`idle`): no valid on any channel, in either direction, so no
    /// handshake, no request and no payload to check, and the readies that are functions of
    /// the valids (`bready-in-b`: low; `awready-wready`: both low; `arready`: high) as they
    /// must be. It leaves every piece of state as it was, which is what the full check does
    /// on such a cycle. Any other cycle takes the full check.
    #[inline(always)]
    fn quiet_cycle(inp: &Inputs, out: &Outputs) -> bool {
        !(out.m_axi_arvalid
            || out.m_axi_awvalid
            || out.m_axi_wvalid
            || out.m_axis_tx_tvalid
            || out.s_axil_bvalid
            || out.s_axil_rvalid
            || inp.m_axi_rvalid
            || inp.m_axi_bvalid
            || inp.s_axil_awvalid
            || inp.s_axil_wvalid
            || inp.s_axil_arvalid
            || out.m_axi_bready
            || out.s_axil_awready
            || out.s_axil_wready)
            && out.s_axil_arready
    }

    fn bus(&self, b: &Bus) -> Bus {
        let mut v = [0u64; 8];
        v[..self.words].copy_from_slice(&b[..self.words]);
        if self.bw < 8 {
            v[0] &= strobe_mask(self.bw);
        }
        v
    }

    fn reset_drops_valid(&self, cycle: u64, out: &Outputs) -> Check {
        let valids = [
            (Interface::MAxi, "AR", "m_axi_arvalid", out.m_axi_arvalid),
            (Interface::MAxi, "AW", "m_axi_awvalid", out.m_axi_awvalid),
            (Interface::MAxi, "W", "m_axi_wvalid", out.m_axi_wvalid),
            (
                Interface::MAxisTx,
                "T",
                "m_axis_tx_tvalid",
                out.m_axis_tx_tvalid,
            ),
            (Interface::SAxil, "B", "s_axil_bvalid", out.s_axil_bvalid),
            (Interface::SAxil, "R", "s_axil_rvalid", out.s_axil_rvalid),
        ];
        for (interface, channel, name, v) in valids {
            if v {
                return Err(Violation::cold(
                    cycle,
                    interface,
                    channel,
                    "reset-drops-valid",
                    Culprit::Device,
                    format!("{name} is high in the cycle after rst"),
                ));
            }
        }
        Ok(())
    }

    /// `valid-held` and `payload-stable` for a channel whose valid was waiting for ready.
    /// The check itself is inlined at each channel; the violation is built out of line.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn held<T: PartialEq + Copy + fmt::Debug>(
        cycle: u64,
        interface: Interface,
        channel: &'static str,
        culprit: Culprit,
        signals: &'static (&'static str, &'static str, &'static str),
        held: Option<Held<T>>,
        valid: bool,
        now: T,
    ) -> Check {
        match held {
            None => Ok(()),
            Some(h) if valid && h.payload == now => Ok(()),
            Some(h) => Err(Self::held_violation(
                cycle, interface, channel, culprit, signals, h, valid, now,
            )),
        }
    }

    /// The violation of a held valid that dropped (`valid` low) or whose payload changed.
    #[allow(clippy::too_many_arguments)]
    #[cold]
    #[inline(never)]
    fn held_violation<T: fmt::Debug>(
        cycle: u64,
        interface: Interface,
        channel: &'static str,
        culprit: Culprit,
        signals: &'static (&'static str, &'static str, &'static str),
        h: Held<T>,
        valid: bool,
        now: T,
    ) -> Violation {
        let &(valid_name, ready_name, payload_name) = signals;
        let v = |rule, detail| Violation::cold(cycle, interface, channel, rule, culprit, detail);
        if !valid {
            return v(
                "valid-held",
                format!(
                    "{valid_name} dropped before {ready_name} (raised in cycle {})",
                    h.since
                ),
            );
        }
        v(
            "payload-stable",
            format!(
                "{payload_name} changed while {valid_name} was high and {ready_name} low (raised in cycle {}): {:x?} became {:x?}",
                h.since, h.payload, now
            ),
        )
    }

    /// True when a held data beat (bus masked to the bus width, strobe, last) equals the
    /// one shown now, compared word by word in place.
    #[inline(always)]
    fn same_beat(&self, h: &(Bus, u64, bool), data: &Bus, strobe: u64, last: bool) -> bool {
        if h.1 != strobe || h.2 != last {
            return false;
        }
        if self.bw < 8 {
            return h.0[0] == data[0] & strobe_mask(self.bw);
        }
        h.0[..self.words] == data[..self.words]
    }

    /// The static rules of an AR or AW request, on its first cycle.
    fn request_rules(&self, cycle: u64, channel: &'static str, req: AddrReq, max_len: u8) -> Check {
        let ch = channel.to_ascii_lowercase();
        let v = |rule, detail| {
            Violation::cold(
                cycle,
                Interface::MAxi,
                channel,
                rule,
                Culprit::Device,
                detail,
            )
        };
        if req.burst != INCR {
            return Err(v(
                "burst-incr",
                format!("{ch}burst {} is not INCR (1)", req.burst),
            ));
        }
        if req.size != self.size_log2 {
            return Err(v(
                "size-bus",
                format!(
                    "{ch}size {} is not log2(DATA_W/8) = {}",
                    req.size, self.size_log2
                ),
            ));
        }
        if req.addr % self.bw as u64 != 0 {
            return Err(v(
                "addr-aligned",
                format!(
                    "{ch}addr {:#x} is not a multiple of the bus width ({} bytes)",
                    req.addr, self.bw
                ),
            ));
        }
        if req.len > max_len {
            let rule = if channel == "AR" {
                "arlen-max"
            } else {
                "awlen-one-batch"
            };
            let why = if channel == "AR" {
                "reads are at most 16 beats".to_string()
            } else {
                format!(
                    "a batch of at most {MAX_BATCH_ENTRIES} entries takes at most {} beats at {} bytes a beat",
                    u32::from(max_len) + 1,
                    self.bw
                )
            };
            return Err(v(
                rule,
                format!("{ch}len {} is over {max_len}: {why}", req.len),
            ));
        }
        let last = req.addr + (u64::from(req.len) + 1) * self.bw as u64 - 1;
        if req.addr >> 12 != last >> 12 {
            return Err(v(
                "no-4k-cross",
                format!(
                    "burst at {:#x} of {} beats x {} bytes crosses a 4 KiB boundary (last byte {last:#x})",
                    req.addr,
                    u32::from(req.len) + 1,
                    self.bw
                ),
            ));
        }
        Ok(())
    }

    /// Most beats of a completion batch burst: 16 entries starting at the worst lane.
    fn max_write_beats(&self) -> usize {
        let worst_off = self.bw.saturating_sub(CPL_BYTES);
        (worst_off + MAX_BATCH_ENTRIES * CPL_BYTES).div_ceil(self.bw)
    }

    fn m_axi_read(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Check {
        let mi = Interface::MAxi;
        let dev = |channel, rule, detail| {
            Violation::cold(cycle, mi, channel, rule, Culprit::Device, detail)
        };
        let env = |channel, rule, detail| {
            Violation::cold(cycle, mi, channel, rule, Culprit::Environment, detail)
        };

        // R, against the bursts accepted in earlier cycles.
        if !self.reads.is_empty() && !out.m_axi_rready {
            return Err(dev(
                "R",
                "rready-held",
                format!(
                    "rready low while {} accepted read burst(s) have beats to come ({} beats in the oldest)",
                    self.reads.len(),
                    self.reads[0]
                ),
            ));
        }
        if inp.m_axi_rvalid {
            let Some(&left) = self.reads.front() else {
                return Err(env(
                    "R",
                    "r-without-ar",
                    "rvalid without an accepted read burst that has beats to come".into(),
                ));
            };
            if inp.m_axi_rlast != (left == 1) {
                return Err(env(
                    "R",
                    "rlast-beat",
                    format!(
                        "rlast {} with {left} beat(s) of the burst left (this one included)",
                        u8::from(inp.m_axi_rlast)
                    ),
                ));
            }
            // rready is high here (rready-held above).
            if left == 1 {
                self.reads.pop_front();
            } else {
                self.reads[0] = left - 1;
            }
        }

        // AR.
        let ar = AddrReq {
            addr: out.m_axi_araddr,
            len: out.m_axi_arlen,
            size: out.m_axi_arsize,
            burst: out.m_axi_arburst,
        };
        let held = self.ar.take();
        Self::held(
            cycle,
            mi,
            "AR",
            Culprit::Device,
            &("arvalid", "arready", "araddr/arlen/arsize/arburst"),
            held,
            out.m_axi_arvalid,
            ar,
        )?;
        if out.m_axi_arvalid {
            if held.is_none() {
                self.request_rules(cycle, "AR", ar, 15)?;
            }
            if inp.m_axi_arready {
                self.reads.push_back(u32::from(ar.len) + 1);
            } else {
                self.ar = Some(Held {
                    since: held.map_or(cycle, |h| h.since),
                    payload: ar,
                });
            }
        }
        Ok(())
    }

    fn m_axi_write(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Check {
        let mi = Interface::MAxi;
        let dev = |channel, rule, detail| {
            Violation::cold(cycle, mi, channel, rule, Culprit::Device, detail)
        };
        let busy = !self.writes.is_empty() || self.awaiting_b > 0;

        // B, against the bursts whose last W beat was accepted in earlier cycles.
        if out.m_axi_bready != (self.awaiting_b > 0) {
            return Err(dev(
                "B",
                "bready-in-b",
                if out.m_axi_bready {
                    "bready high while no write burst awaits its response".into()
                } else {
                    "bready low while a write burst's last beat was accepted and its response not taken".into()
                },
            ));
        }
        if inp.m_axi_bvalid {
            if self.awaiting_b == 0 {
                return Err(Violation::cold(
                    cycle,
                    mi,
                    "B",
                    "b-without-w",
                    Culprit::Environment,
                    "bvalid without a write burst whose last W beat was accepted".into(),
                ));
            }
            // bready is high here (bready-in-b above).
            self.awaiting_b -= 1;
        }

        // AW.
        let aw = AddrReq {
            addr: out.m_axi_awaddr,
            len: out.m_axi_awlen,
            size: out.m_axi_awsize,
            burst: out.m_axi_awburst,
        };
        let held = self.aw.take();
        Self::held(
            cycle,
            mi,
            "AW",
            Culprit::Device,
            &("awvalid", "awready", "awaddr/awlen/awsize/awburst"),
            held,
            out.m_axi_awvalid,
            aw,
        )?;
        if out.m_axi_awvalid {
            if busy {
                return Err(dev(
                    "AW",
                    "one-write",
                    format!(
                        "awvalid while a write burst is in flight ({} without all W beats, {} awaiting B)",
                        self.writes.len(),
                        self.awaiting_b
                    ),
                ));
            }
            if held.is_none() {
                let max = (self.max_write_beats() - 1) as u8;
                self.request_rules(cycle, "AW", aw, max)?;
            }
        }

        // W, against the bursts whose AW was accepted in earlier cycles.
        // (The held beat is compared in place; a copy is kept only while wready is low.)
        if out.m_axi_wvalid || self.w.is_some() {
            let strb = out.m_axi_wstrb & self.strb_all;
            let w_held = self.w.take();
            if let Some(h) = w_held {
                if !out.m_axi_wvalid
                    || !self.same_beat(&h.payload, &out.m_axi_wdata, strb, out.m_axi_wlast)
                {
                    return Err(Self::held_violation(
                        cycle,
                        mi,
                        "W",
                        Culprit::Device,
                        &("wvalid", "wready", "wdata/wstrb/wlast"),
                        h,
                        out.m_axi_wvalid,
                        (self.bus(&out.m_axi_wdata), strb, out.m_axi_wlast),
                    ));
                }
            }
            if out.m_axi_wvalid {
                let Some(b) = self.writes.front_mut() else {
                    return Err(dev(
                        "W",
                        "w-after-aw",
                        "wvalid without a write burst whose AW was accepted in an earlier cycle"
                            .into(),
                    ));
                };
                if inp.m_axi_wready {
                    let last = b.done + 1 == b.beats;
                    if out.m_axi_wlast != last {
                        return Err(dev(
                            "W",
                            "wlast-beat",
                            format!(
                                "wlast {} on beat {} of a {}-beat burst at {:#x}",
                                u8::from(out.m_axi_wlast),
                                b.done,
                                b.beats,
                                b.addr
                            ),
                        ));
                    }
                    let base = b.done as usize * self.bw;
                    // The strobed lanes, lowest first.
                    let mut s = strb;
                    while s != 0 {
                        let lane = s.trailing_zeros() as usize;
                        s &= s - 1;
                        let pos = base + lane;
                        if b.first.is_none() {
                            b.first = Some(pos);
                        } else if pos != b.end {
                            b.gap = true;
                        }
                        b.end = pos + 1;
                        b.bytes.push(bus_byte(&out.m_axi_wdata, lane));
                    }
                    b.done += 1;
                    if last {
                        let b = self.writes.pop_front().expect("the burst just written");
                        self.batch_rules(cycle, &b)?;
                        self.awaiting_b += 1;
                    }
                } else {
                    let since = w_held.map_or(cycle, |h| h.since);
                    self.w = Some(Held {
                        since,
                        payload: (self.bus(&out.m_axi_wdata), strb, out.m_axi_wlast),
                    });
                }
            }
        }

        if out.m_axi_awvalid {
            if inp.m_axi_awready {
                self.writes.push_back(WriteBurst {
                    aw_cycle: cycle,
                    addr: aw.addr,
                    beats: u32::from(aw.len) + 1,
                    done: 0,
                    first: None,
                    end: 0,
                    bytes: Vec::with_capacity(MAX_BATCH_ENTRIES * CPL_BYTES),
                    gap: false,
                });
            } else {
                self.aw = Some(Held {
                    since: held.map_or(cycle, |h| h.since),
                    payload: aw,
                });
            }
        }
        Ok(())
    }

    /// `awlen-one-batch` on a write burst whose last beat was just accepted.
    fn batch_rules(&self, cycle: u64, b: &WriteBurst) -> Check {
        let bad = |detail: String| {
            Err(Violation::cold(
                cycle,
                Interface::MAxi,
                "W",
                "awlen-one-batch",
                Culprit::Device,
                format!(
                    "burst at {:#x} of {} beats (AW in cycle {}): {detail}",
                    b.addr, b.beats, b.aw_cycle
                ),
            ))
        };
        let Some(first) = b.first else {
            return bad("no byte strobed".into());
        };
        if b.gap {
            return bad("the strobed bytes are not one contiguous run".into());
        }
        if first >= self.bw || first % CPL_BYTES != 0 {
            return bad(format!(
                "the first strobed byte is burst byte {first}, not an entry boundary (a multiple of 16) in the first beat"
            ));
        }
        let len = b.end - first;
        if len % CPL_BYTES != 0 || len > MAX_BATCH_ENTRIES * CPL_BYTES {
            return bad(format!(
                "{len} strobed bytes are not 1 to 16 whole 16-byte entries"
            ));
        }
        let k = len / CPL_BYTES;
        let nb = (first + len).div_ceil(self.bw);
        if nb != b.beats as usize {
            return bad(format!(
                "{k} entries from lane {first} take {nb} beats (awlen {}), not {}",
                nb - 1,
                b.beats
            ));
        }
        let flags = |e: usize| b.bytes[e * CPL_BYTES + CPL_BYTES - 1];
        for e in 0..k {
            let eob = flags(e) & 2 != 0;
            if eob != (e + 1 == k) {
                return bad(format!(
                    "entry {e} of {k} has end_of_batch {}: one batch per burst, marked on its last entry only",
                    u8::from(eob)
                ));
            }
            if flags(e) & 1 != flags(0) & 1 {
                return bad(format!(
                    "entry {e} of {k} has another phase than entry 0: a batch never wraps"
                ));
            }
        }
        Ok(())
    }

    fn s_axil(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Check {
        let si = Interface::SAxil;
        let dev = |channel, rule, detail| {
            Violation::cold(cycle, si, channel, rule, Culprit::Device, detail)
        };

        // B and R, against the transactions accepted in earlier cycles.
        let l_b = self.l_b.take();
        Self::held(
            cycle,
            si,
            "B",
            Culprit::Device,
            &("bvalid", "bready", "bresp"),
            l_b,
            out.s_axil_bvalid,
            out.s_axil_bresp,
        )?;
        if out.s_axil_bvalid {
            let writes = self.l_aw_n.min(self.l_w_n);
            if writes <= self.l_b_n {
                return Err(dev(
                    "B",
                    "b-after-aw-w",
                    format!(
                        "bvalid without a write whose AW and W were both accepted ({} AW, {} W, {} B so far)",
                        self.l_aw_n, self.l_w_n, self.l_b_n
                    ),
                ));
            }
            if out.s_axil_bresp != 0 {
                return Err(dev(
                    "B",
                    "resp-okay",
                    format!("bresp {} is not OKAY", out.s_axil_bresp),
                ));
            }
            if inp.s_axil_bready {
                self.l_b_n += 1;
            } else {
                let since = l_b.map_or(cycle, |h| h.since);
                self.l_b = Some(Held {
                    since,
                    payload: out.s_axil_bresp,
                });
            }
        }
        // a read taken and not yet answered, as the cycle starts (for `arready`, below)
        let read_open = self.l_ar_n > self.l_r_n;
        let r = (out.s_axil_rdata, out.s_axil_rresp);
        let l_r = self.l_r.take();
        Self::held(
            cycle,
            si,
            "R",
            Culprit::Device,
            &("rvalid", "rready", "rdata/rresp"),
            l_r,
            out.s_axil_rvalid,
            r,
        )?;
        if out.s_axil_rvalid {
            if self.l_ar_n <= self.l_r_n {
                return Err(dev(
                    "R",
                    "r-after-ar",
                    format!(
                        "rvalid without a read whose AR was accepted ({} AR, {} R so far)",
                        self.l_ar_n, self.l_r_n
                    ),
                ));
            }
            if out.s_axil_rresp != 0 {
                return Err(dev(
                    "R",
                    "resp-okay",
                    format!("rresp {} is not OKAY", out.s_axil_rresp),
                ));
            }
            if inp.s_axil_rready {
                self.l_r_n += 1;
            } else {
                let since = l_r.map_or(cycle, |h| h.since);
                self.l_r = Some(Held { since, payload: r });
            }
        }

        // The readies, as functions of this cycle's valids and of the write in flight (taken,
        // its B handshake not yet done: it takes effect the cycle after it is taken, bvalid
        // after that).
        let in_flight = self.l_aw_n.min(self.l_w_n) > self.l_b_n;
        let take = inp.s_axil_awvalid && inp.s_axil_wvalid && !out.s_axil_bvalid && !in_flight;
        if out.s_axil_awready != take || out.s_axil_wready != take {
            return Err(dev(
                if out.s_axil_awready != take { "AW" } else { "W" },
                "awready-wready",
                format!(
                    "awready {} wready {} with awvalid {} wvalid {} bvalid {}, a write in flight {}: both must be awvalid && wvalid && !bvalid with no write in flight",
                    u8::from(out.s_axil_awready),
                    u8::from(out.s_axil_wready),
                    u8::from(inp.s_axil_awvalid),
                    u8::from(inp.s_axil_wvalid),
                    u8::from(out.s_axil_bvalid),
                    u8::from(in_flight)
                ),
            ));
        }
        if out.s_axil_arready == read_open {
            return Err(dev(
                "AR",
                "arready",
                format!(
                    "arready {} with rvalid {} and a read taken, not yet answered {}: arready must be high exactly when no read is open",
                    u8::from(out.s_axil_arready),
                    u8::from(out.s_axil_rvalid),
                    u8::from(read_open)
                ),
            ));
        }

        // The host's requests.
        let host = |channel, signals, held, valid, now| {
            Self::held(
                cycle,
                si,
                channel,
                Culprit::Environment,
                signals,
                held,
                valid,
                now,
            )
        };
        let l_aw = self.l_aw.take();
        host(
            "AW",
            &("awvalid", "awready", "awaddr"),
            l_aw,
            inp.s_axil_awvalid,
            inp.s_axil_awaddr,
        )?;
        let wd = (inp.s_axil_wdata, inp.s_axil_wstrb);
        let l_w = self.l_w.take();
        Self::held(
            cycle,
            si,
            "W",
            Culprit::Environment,
            &("wvalid", "wready", "wdata/wstrb"),
            l_w,
            inp.s_axil_wvalid,
            wd,
        )?;
        let l_ar = self.l_ar.take();
        host(
            "AR",
            &("arvalid", "arready", "araddr"),
            l_ar,
            inp.s_axil_arvalid,
            inp.s_axil_araddr,
        )?;
        if inp.s_axil_awvalid {
            if out.s_axil_awready {
                self.l_aw_n += 1;
            } else {
                self.l_aw = Some(Held {
                    since: l_aw.map_or(cycle, |h| h.since),
                    payload: inp.s_axil_awaddr,
                });
            }
        }
        if inp.s_axil_wvalid {
            if out.s_axil_wready {
                self.l_w_n += 1;
            } else {
                self.l_w = Some(Held {
                    since: l_w.map_or(cycle, |h| h.since),
                    payload: wd,
                });
            }
        }
        if inp.s_axil_arvalid {
            if out.s_axil_arready {
                self.l_ar_n += 1;
            } else {
                self.l_ar = Some(Held {
                    since: l_ar.map_or(cycle, |h| h.since),
                    payload: inp.s_axil_araddr,
                });
            }
        }
        Ok(())
    }

    fn m_axis(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Check {
        let v = |rule, detail| {
            Violation::cold(
                cycle,
                Interface::MAxisTx,
                "T",
                rule,
                Culprit::Device,
                detail,
            )
        };
        if !out.m_axis_tx_tvalid && self.t.is_none() {
            return Ok(());
        }
        let (keep, last) = (out.m_axis_tx_tkeep, out.m_axis_tx_tlast);
        let held = self.t.take();
        if let Some(h) = held {
            if !out.m_axis_tx_tvalid
                || !self.same_beat(&h.payload, &out.m_axis_tx_tdata, keep, last)
            {
                return Err(Self::held_violation(
                    cycle,
                    Interface::MAxisTx,
                    "T",
                    Culprit::Device,
                    &("tvalid", "tready", "tdata/tkeep/tlast"),
                    h,
                    out.m_axis_tx_tvalid,
                    (self.bus(&out.m_axis_tx_tdata), keep, last),
                ));
            }
        }
        if !out.m_axis_tx_tvalid {
            return Ok(());
        }
        if !last && keep != self.strb_all {
            return Err(v(
                "tkeep-contiguous",
                format!(
                    "tkeep {keep:#x} on a beat without tlast; every lane ({:#x}) expected",
                    self.strb_all
                ),
            ));
        }
        if keep == 0 || keep & !self.strb_all != 0 || keep & keep.wrapping_add(1) != 0 {
            return Err(v(
                "tkeep-contiguous",
                format!(
                    "tkeep {keep:#x} on the tlast beat is not a non-empty run of lanes from lane 0"
                ),
            ));
        }
        let n = keep.count_ones() as usize;
        if let Some(lane) = self.first_nonzero_lane(&out.m_axis_tx_tdata, n) {
            return Err(v(
                "null-lanes-zero",
                format!(
                    "tdata lane {lane} is {:#04x} outside tkeep {keep:#x}",
                    bus_byte(&out.m_axis_tx_tdata, lane)
                ),
            ));
        }
        if !inp.m_axis_tx_tready {
            self.t = Some(Held {
                since: held.map_or(cycle, |h| h.since),
                payload: (self.bus(&out.m_axis_tx_tdata), keep, last),
            });
        }
        Ok(())
    }

    /// The lowest lane in `from..bw` of `data` that is not zero, a word at a time (none
    /// to look at on a full beat).
    #[inline(always)]
    fn first_nonzero_lane(&self, data: &Bus, from: usize) -> Option<usize> {
        if from >= self.bw {
            return None;
        }
        for w in from / 8..self.words {
            let mut x = data[w];
            if w == from / 8 {
                x &= u64::MAX << (8 * (from % 8));
            }
            if self.bw < 8 {
                x &= (1u64 << (8 * self.bw)) - 1;
            }
            if x != 0 {
                return Some(w * 8 + x.trailing_zeros() as usize / 8);
            }
        }
        None
    }
}
