//! The AXI protocol checker (`txoe_testbench::axi_check`) on synthetic per-cycle port
//! traces: legal traces (backpressure on every channel, reset in the middle of traffic)
//! pass, and each rule fires on the cycle it is broken with its interface, channel and
//! rule named; then a device that drops `tvalid` before `tready`, in a lockstep and a
//! model-only run, fails the run with the checker's report.

use txoe_cosim::lockstep::Failure;
use txoe_cosim::rtl_or_skip;
use txoe_model::ports::{set_bus_byte, Bus, Device, Inputs, Outputs};
use txoe_model::{Engine, EngineParams, Probe, ProbeState};
use txoe_testbench::axi_check::{AxiChecker, Culprit, Interface, Violation};
use txoe_testbench::scenario::Scenario;
use txoe_testbench::{run_scenario_with, RunConfig, WindowConfig};

/// Per-cycle port values, starting with a reset.
struct Trace {
    data_w: u32,
    cycles: Vec<(Inputs, Outputs)>,
}

/// The ports of an idle cycle: nothing valid; the register slave's `arready` is high
/// (it is `!rvalid`).
fn idle() -> (Inputs, Outputs) {
    (
        Inputs::default(),
        Outputs {
            s_axil_arready: true,
            ..Outputs::default()
        },
    )
}

impl Trace {
    /// One cycle of reset and one idle cycle: the next cycle is cycle 2.
    fn new(data_w: u32) -> Self {
        let rst = (
            Inputs {
                rst: true,
                ..Inputs::default()
            },
            Outputs::default(),
        );
        Trace {
            data_w,
            cycles: vec![rst, idle()],
        }
    }

    /// Two cycles of reset: the next cycle, 2, is the one after reset.
    fn after_reset(data_w: u32) -> Self {
        let rst = (
            Inputs {
                rst: true,
                ..Inputs::default()
            },
            Outputs::default(),
        );
        Trace {
            data_w,
            cycles: vec![rst, rst],
        }
    }

    /// Append one cycle: idle, then `f`.
    fn cycle(&mut self, f: impl FnOnce(&mut Inputs, &mut Outputs)) -> &mut Self {
        let (mut i, mut o) = idle();
        f(&mut i, &mut o);
        self.cycles.push((i, o));
        self
    }

    /// Append `n` cycles, `f` getting the index 0..n.
    fn cycles(
        &mut self,
        n: usize,
        mut f: impl FnMut(usize, &mut Inputs, &mut Outputs),
    ) -> &mut Self {
        for k in 0..n {
            self.cycle(|i, o| f(k, i, o));
        }
        self
    }

    fn idle(&mut self, n: usize) -> &mut Self {
        self.cycles(n, |_, _, _| {})
    }

    /// The index of the next cycle.
    fn now(&self) -> u64 {
        self.cycles.len() as u64
    }

    fn check(&self) -> Result<(), Violation> {
        let mut c = AxiChecker::new(self.data_w);
        for (n, (i, o)) in self.cycles.iter().enumerate() {
            c.check(n as u64, i, o)?;
        }
        Ok(())
    }

    fn passes(&self) {
        if let Err(v) = self.check() {
            panic!("a legal trace was flagged: {v}");
        }
    }

    /// Expect `rule` on `interface`/`channel` at `cycle`, blamed on `culprit`, with a
    /// message containing `needle`; return the violation.
    fn fails(
        &self,
        cycle: u64,
        interface: Interface,
        channel: &str,
        rule: &str,
        culprit: Culprit,
        needle: &str,
    ) -> Violation {
        let v = self.check().expect_err("the trace breaks a rule");
        assert_eq!(
            (v.cycle, v.interface, v.channel, v.rule, v.culprit),
            (cycle, interface, channel, rule, culprit),
            "{v}"
        );
        assert!(v.detail.contains(needle), "{v:?} lacks {needle:?}");
        let msg = v.message("rtl");
        assert!(
            msg.contains(&format!("{} (", interface.name()))
                && msg.contains(&format!("channel {channel} rule {rule},")),
            "{msg}"
        );
        v
    }
}

fn bus_bytes(bytes: &[u8]) -> Bus {
    let mut b = [0u64; 8];
    for (i, &v) in bytes.iter().enumerate() {
        set_bus_byte(&mut b, i, v);
    }
    b
}

/// One 16-byte completion entry's bytes with its flag byte (phase 1, end_of_batch `eob`).
fn entry(cookie: u8, eob: bool) -> [u8; 16] {
    let mut e = [0u8; 16];
    e[0] = cookie;
    e[15] = 1 | if eob { 2 } else { 0 };
    e
}

/// The W beats of a batch of `k` entries starting at lane `off` of the first beat, each
/// as (wdata, wstrb, wlast).
fn batch_beats(bw: usize, off: usize, k: usize) -> Vec<(Bus, u64, bool)> {
    let mut bytes = vec![0u8; off];
    for e in 0..k {
        bytes.extend_from_slice(&entry(e as u8, e + 1 == k));
    }
    let nb = bytes.len().div_ceil(bw);
    (0..nb)
        .map(|b| {
            let mut lanes = vec![0u8; bw];
            let mut strb = 0u64;
            for (j, lane) in lanes.iter_mut().enumerate() {
                let p = b * bw + j;
                if p >= off && p < bytes.len() {
                    *lane = bytes[p];
                    strb |= 1 << j;
                }
            }
            (bus_bytes(&lanes), strb, b + 1 == nb)
        })
        .collect()
}

/// A whole completion write with backpressure: AW held two cycles, W beats with a
/// `wready` gap after each, the response two cycles after the last beat.
fn write_batch(t: &mut Trace, addr: u64, off: usize, k: usize) {
    let bw = (t.data_w / 8) as usize;
    let beats = batch_beats(bw, off, k);
    let aw = |o: &mut Outputs| {
        o.m_axi_awvalid = true;
        o.m_axi_awaddr = addr;
        o.m_axi_awlen = (beats.len() - 1) as u8;
        o.m_axi_awsize = bw.trailing_zeros() as u8;
        o.m_axi_awburst = 1;
    };
    t.cycle(|_, o| aw(o)).cycle(|_, o| aw(o)).cycle(|i, o| {
        aw(o);
        i.m_axi_awready = true;
    });
    for &(data, strb, last) in &beats {
        let w = |o: &mut Outputs| {
            o.m_axi_wvalid = true;
            o.m_axi_wdata = data;
            o.m_axi_wstrb = strb;
            o.m_axi_wlast = last;
        };
        t.cycle(|_, o| w(o)).cycle(|i, o| {
            w(o);
            i.m_axi_wready = true;
        });
    }
    t.cycle(|_, o| o.m_axi_bready = true)
        .cycle(|_, o| o.m_axi_bready = true)
        .cycle(|i, o| {
            o.m_axi_bready = true;
            i.m_axi_bvalid = true;
        });
}

/// AR held until ready, then the beats with a gap after the first.
fn read_burst(t: &mut Trace, addr: u64, beats: u8) {
    let bw = u64::from(t.data_w / 8);
    let ar = |o: &mut Outputs| {
        o.m_axi_arvalid = true;
        o.m_axi_araddr = addr;
        o.m_axi_arlen = beats - 1;
        o.m_axi_arsize = bw.trailing_zeros() as u8;
        o.m_axi_arburst = 1;
    };
    t.cycle(|_, o| ar(o)).cycle(|i, o| {
        ar(o);
        i.m_axi_arready = true;
    });
    t.cycle(|_, o| o.m_axi_rready = true);
    for b in 0..beats {
        t.cycle(|i, o| {
            o.m_axi_rready = true;
            i.m_axi_rvalid = true;
            i.m_axi_rlast = b + 1 == beats;
            i.m_axi_rdata[0] = u64::from(b);
        });
        if b == 0 {
            t.cycle(|_, o| o.m_axi_rready = true);
        }
    }
}

/// A frame of `bytes` bytes on the stream with `tready` low on every other cycle.
fn frame(t: &mut Trace, bytes: usize) {
    let bw = (t.data_w / 8) as usize;
    let nb = bytes.div_ceil(bw);
    for b in 0..nb {
        let n = (bytes - b * bw).min(bw);
        let data: Vec<u8> = (0..n).map(|j| (b * bw + j + 1) as u8).collect();
        let beat = |o: &mut Outputs| {
            o.m_axis_tx_tvalid = true;
            o.m_axis_tx_tdata = bus_bytes(&data);
            o.m_axis_tx_tkeep = txoe_model::ports::strobe_mask(n);
            o.m_axis_tx_tlast = b + 1 == nb;
        };
        t.cycle(|_, o| beat(o)).cycle(|i, o| {
            beat(o);
            i.m_axis_tx_tready = true;
        });
    }
}

/// A register write (AW and W together, taken on the second cycle, the response held
/// one cycle) and a read (AR taken on the first cycle, the data held one cycle).
fn register_access(t: &mut Trace) {
    t.cycle(|i, _| {
        // awvalid alone: the slave waits for wvalid
        i.s_axil_awvalid = true;
        i.s_axil_awaddr = 0x18;
    })
    .cycle(|i, o| {
        i.s_axil_awvalid = true;
        i.s_axil_awaddr = 0x18;
        i.s_axil_wvalid = true;
        i.s_axil_wdata = 9000;
        i.s_axil_wstrb = 0xF;
        o.s_axil_awready = true;
        o.s_axil_wready = true;
    })
    .cycle(|_, o| o.s_axil_bvalid = true)
    .cycle(|i, o| {
        o.s_axil_bvalid = true;
        i.s_axil_bready = true;
    })
    .cycle(|i, _| {
        i.s_axil_arvalid = true;
        i.s_axil_araddr = 0;
    })
    .cycle(|_, o| {
        o.s_axil_rvalid = true;
        o.s_axil_arready = false;
        o.s_axil_rdata = 0x5458_4F45;
    })
    .cycle(|i, o| {
        o.s_axil_rvalid = true;
        o.s_axil_arready = false;
        o.s_axil_rdata = 0x5458_4F45;
        i.s_axil_rready = true;
    });
}

// ------------------------------------------------------------------ legal traces

#[test]
fn legal_traffic_with_backpressure_passes_at_every_width() {
    for data_w in [64, 128, 256, 512] {
        let bw = (data_w / 8) as usize;
        let mut t = Trace::new(data_w);
        t.idle(3);
        register_access(&mut t);
        read_burst(&mut t, 0x1_0000, 1);
        read_burst(&mut t, 0x100_0000, 16);
        // A burst ending exactly at a 4 KiB boundary.
        read_burst(&mut t, 0x2000 - 4 * bw as u64, 4);
        for off in (0..bw).step_by(16) {
            for k in [1, 2, 16] {
                write_batch(&mut t, 0x4_0000, off, k);
            }
        }
        frame(&mut t, 60);
        frame(&mut t, 1514);
        frame(&mut t, bw);
        t.idle(2);
        t.passes();
    }
}

#[test]
fn reads_may_overlap_and_readiness_may_precede_the_request() {
    let mut t = Trace::new(64);
    let ar = |o: &mut Outputs, a: u64, len: u8| {
        o.m_axi_arvalid = true;
        o.m_axi_araddr = a;
        o.m_axi_arlen = len;
        o.m_axi_arsize = 3;
        o.m_axi_arburst = 1;
    };
    // rready before any request, two bursts outstanding, the second requested while
    // the first's beats arrive.
    t.cycle(|_, o| o.m_axi_rready = true)
        .cycle(|i, o| {
            ar(o, 0x1000, 1);
            i.m_axi_arready = true;
            o.m_axi_rready = true;
        })
        .cycle(|i, o| {
            ar(o, 0x1010, 0);
            i.m_axi_arready = true;
            o.m_axi_rready = true;
            i.m_axi_rvalid = true;
        })
        .cycle(|i, o| {
            o.m_axi_rready = true;
            i.m_axi_rvalid = true;
            i.m_axi_rlast = true;
        })
        .cycle(|i, o| {
            o.m_axi_rready = true;
            i.m_axi_rvalid = true;
            i.m_axi_rlast = true;
        })
        .idle(1);
    t.passes();
}

#[test]
fn reset_in_the_middle_of_traffic_restarts_the_rules() {
    let mut t = Trace::new(64);
    // A frame stalled, a read burst outstanding and a write burst half written when
    // rst rises: the outputs drop everything under reset, nothing is owed afterwards.
    t.cycle(|_, o| {
        o.m_axis_tx_tvalid = true;
        o.m_axis_tx_tkeep = 0xFF;
        o.m_axi_arvalid = true;
        o.m_axi_arsize = 3;
        o.m_axi_arburst = 1;
        o.m_axi_arlen = 3;
    })
    .cycle(|i, o| {
        o.m_axis_tx_tvalid = true;
        o.m_axis_tx_tkeep = 0xFF;
        o.m_axi_arvalid = true;
        o.m_axi_arsize = 3;
        o.m_axi_arburst = 1;
        o.m_axi_arlen = 3;
        i.m_axi_arready = true;
    })
    .cycle(|i, o| {
        o.m_axis_tx_tvalid = true;
        o.m_axis_tx_tkeep = 0xFF;
        o.m_axi_rready = true;
        i.m_axi_rvalid = true;
    });
    // Under reset the outputs may still show the old valids.
    t.cycle(|i, o| {
        i.rst = true;
        o.m_axis_tx_tvalid = true;
        o.m_axis_tx_tkeep = 0xFF;
    });
    t.idle(3);
    t.passes();
    // The same rules hold again afterwards.
    let at = t.now() + 1;
    t.cycle(|_, o| {
        o.m_axis_tx_tvalid = true;
        o.m_axis_tx_tkeep = 0xFF;
    })
    .idle(1);
    t.fails(
        at,
        Interface::MAxisTx,
        "T",
        "valid-held",
        Culprit::Device,
        "tvalid dropped before tready",
    );
}

#[test]
fn a_valid_in_the_cycle_after_reset_is_flagged() {
    for (name, set) in [
        (
            "m_axi_arvalid",
            (|o: &mut Outputs| o.m_axi_arvalid = true) as fn(&mut Outputs),
        ),
        ("m_axi_awvalid", |o| o.m_axi_awvalid = true),
        ("m_axi_wvalid", |o| o.m_axi_wvalid = true),
        ("m_axis_tx_tvalid", |o| o.m_axis_tx_tvalid = true),
        ("s_axil_bvalid", |o| o.s_axil_bvalid = true),
        ("s_axil_rvalid", |o| o.s_axil_rvalid = true),
    ] {
        let mut t = Trace::after_reset(64);
        t.cycle(|_, o| set(o));
        let v = t.check().expect_err(name);
        assert_eq!((v.cycle, v.rule), (2, "reset-drops-valid"), "{v}");
        assert!(v.detail.contains(name), "{v}");
    }
}

// ------------------------------------------------------------------ m_axi AR and R

fn ar64(o: &mut Outputs) {
    o.m_axi_arvalid = true;
    o.m_axi_araddr = 0x1000;
    o.m_axi_arlen = 3;
    o.m_axi_arsize = 3;
    o.m_axi_arburst = 1;
}

#[test]
fn ar_rules() {
    let mi = Interface::MAxi;
    let dev = Culprit::Device;
    let mut t = Trace::new(64);
    t.cycle(|_, o| ar64(o)).idle(1);
    t.fails(
        3,
        mi,
        "AR",
        "valid-held",
        dev,
        "arvalid dropped before arready (raised in cycle 2)",
    );

    let mut t = Trace::new(64);
    t.cycle(|_, o| ar64(o)).cycle(|_, o| ar64(o)).cycle(|_, o| {
        ar64(o);
        o.m_axi_arlen = 2;
    });
    t.fails(
        4,
        mi,
        "AR",
        "payload-stable",
        dev,
        "changed while arvalid was high",
    );

    for (rule, needle, f) in [
        (
            "burst-incr",
            "arburst 2 is not INCR",
            (|o: &mut Outputs| o.m_axi_arburst = 2) as fn(&mut Outputs),
        ),
        ("size-bus", "arsize 2 is not log2(DATA_W/8) = 3", |o| {
            o.m_axi_arsize = 2
        }),
        ("addr-aligned", "araddr 0x1004", |o| o.m_axi_araddr = 0x1004),
        ("arlen-max", "arlen 16 is over 15", |o| o.m_axi_arlen = 16),
        ("no-4k-cross", "crosses a 4 KiB boundary", |o| {
            o.m_axi_araddr = 0x1FF0
        }),
    ] {
        let mut t = Trace::new(64);
        t.idle(1).cycle(|i, o| {
            ar64(o);
            f(o);
            i.m_axi_arready = true;
        });
        t.fails(3, mi, "AR", rule, dev, needle);
    }
}

#[test]
fn r_rules() {
    let mi = Interface::MAxi;
    // rready low while a beat is owed.
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        ar64(o);
        i.m_axi_arready = true;
    })
    .cycle(|_, o| o.m_axi_rready = true)
    .idle(1);
    t.fails(
        4,
        mi,
        "R",
        "rready-held",
        Culprit::Device,
        "rready low while 1 accepted read burst(s)",
    );

    // The memory answers a burst not asked for, or one accepted in the same cycle.
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        o.m_axi_rready = true;
        i.m_axi_rvalid = true;
    });
    t.fails(
        2,
        mi,
        "R",
        "r-without-ar",
        Culprit::Environment,
        "rvalid without an accepted read burst",
    );
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        ar64(o);
        i.m_axi_arready = true;
        o.m_axi_rready = true;
        i.m_axi_rvalid = true;
    });
    t.fails(2, mi, "R", "r-without-ar", Culprit::Environment, "");

    // rlast early and late.
    for (beat, last) in [(1, true), (3, false)] {
        let mut t = Trace::new(64);
        t.cycle(|i, o| {
            ar64(o);
            i.m_axi_arready = true;
        });
        for b in 0..4u64 {
            t.cycle(|i, o| {
                o.m_axi_rready = true;
                i.m_axi_rvalid = true;
                i.m_axi_rlast = if b == beat { last } else { b == 3 };
            });
        }
        t.fails(3 + beat, mi, "R", "rlast-beat", Culprit::Environment, "");
    }
}

// ------------------------------------------------------------------ m_axi AW, W and B

fn aw64(o: &mut Outputs, len: u8) {
    o.m_axi_awvalid = true;
    o.m_axi_awaddr = 0x4_0000;
    o.m_axi_awlen = len;
    o.m_axi_awsize = 3;
    o.m_axi_awburst = 1;
}

/// AW of a `len + 1`-beat burst taken in the first cycle, then `beats` shown one per
/// cycle, each taken.
fn write(t: &mut Trace, len: u8, beats: &[(Bus, u64, bool)]) {
    t.cycle(|i, o| {
        aw64(o, len);
        i.m_axi_awready = true;
    });
    for &(d, s, l) in beats {
        t.cycle(|i, o| {
            o.m_axi_wvalid = true;
            o.m_axi_wdata = d;
            o.m_axi_wstrb = s;
            o.m_axi_wlast = l;
            i.m_axi_wready = true;
        });
    }
}

#[test]
fn aw_rules() {
    let mi = Interface::MAxi;
    let dev = Culprit::Device;
    let mut t = Trace::new(64);
    t.cycle(|_, o| aw64(o, 1)).idle(1);
    t.fails(
        3,
        mi,
        "AW",
        "valid-held",
        dev,
        "awvalid dropped before awready",
    );

    let mut t = Trace::new(64);
    t.cycle(|_, o| aw64(o, 1)).cycle(|_, o| {
        aw64(o, 1);
        o.m_axi_awaddr += 8;
    });
    t.fails(3, mi, "AW", "payload-stable", dev, "");

    // At 64 bits a batch is at most 32 beats; at 512 bits 5 (16 entries from lane 48).
    let mut t = Trace::new(64);
    t.cycle(|_, o| aw64(o, 32));
    t.fails(2, mi, "AW", "awlen-one-batch", dev, "awlen 32 is over 31");
    let mut t = Trace::new(512);
    t.cycle(|_, o| {
        aw64(o, 5);
        o.m_axi_awsize = 6;
    });
    t.fails(2, mi, "AW", "awlen-one-batch", dev, "awlen 5 is over 4");

    let mut t = Trace::new(64);
    t.cycle(|_, o| {
        aw64(o, 3);
        o.m_axi_awaddr = 0x4_0FF0;
    });
    t.fails(2, mi, "AW", "no-4k-cross", dev, "");

    // A second burst while the first awaits its response.
    let mut t = Trace::new(64);
    write(&mut t, 1, &batch_beats(8, 0, 1));
    t.cycle(|_, o| {
        o.m_axi_bready = true;
        aw64(o, 1);
    });
    t.fails(5, mi, "AW", "one-write", dev, "1 awaiting B");
}

#[test]
fn w_rules() {
    let mi = Interface::MAxi;
    let dev = Culprit::Device;
    let one = batch_beats(8, 0, 1);

    // W in the cycle its AW is taken, and W with no AW at all.
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        aw64(o, 1);
        i.m_axi_awready = true;
        o.m_axi_wvalid = true;
    });
    t.fails(
        2,
        mi,
        "W",
        "w-after-aw",
        dev,
        "accepted in an earlier cycle",
    );
    let mut t = Trace::new(64);
    t.cycle(|_, o| o.m_axi_wvalid = true);
    t.fails(2, mi, "W", "w-after-aw", dev, "");

    // wlast missing on the last beat, and early.
    let mut t = Trace::new(64);
    write(&mut t, 1, &[one[0], (one[1].0, one[1].1, false)]);
    t.fails(
        4,
        mi,
        "W",
        "wlast-beat",
        dev,
        "wlast 0 on beat 1 of a 2-beat burst",
    );
    let mut t = Trace::new(64);
    write(&mut t, 1, &[(one[0].0, one[0].1, true)]);
    t.fails(
        3,
        mi,
        "W",
        "wlast-beat",
        dev,
        "wlast 1 on beat 0 of a 2-beat burst",
    );

    // wvalid dropped, wdata changed while stalled.
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        aw64(o, 1);
        i.m_axi_awready = true;
    })
    .cycle(|_, o| {
        o.m_axi_wvalid = true;
        o.m_axi_wstrb = 0xFF;
    })
    .idle(1);
    t.fails(
        4,
        mi,
        "W",
        "valid-held",
        dev,
        "wvalid dropped before wready",
    );
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        aw64(o, 1);
        i.m_axi_awready = true;
    })
    .cycle(|_, o| {
        o.m_axi_wvalid = true;
        o.m_axi_wstrb = 0xFF;
    })
    .cycle(|_, o| {
        o.m_axi_wvalid = true;
        o.m_axi_wstrb = 0x0F;
    });
    t.fails(4, mi, "W", "payload-stable", dev, "");
}

#[test]
fn awlen_must_be_exactly_one_batch() {
    let mi = Interface::MAxi;
    let dev = Culprit::Device;
    let rule = "awlen-one-batch";
    let two = batch_beats(8, 0, 2);

    // One entry in a 4-beat burst: the last two beats carry nothing.
    let mut t = Trace::new(64);
    let mut beats = batch_beats(8, 0, 1);
    beats[1].2 = false;
    beats.push(([0; 8], 0, false));
    beats.push(([0; 8], 0, true));
    write(&mut t, 3, &beats);
    t.fails(
        6,
        mi,
        "W",
        rule,
        dev,
        "1 entries from lane 0 take 2 beats (awlen 1), not 4",
    );

    // Half an entry.
    let mut t = Trace::new(64);
    write(&mut t, 0, &[(two[0].0, two[0].1, true)]);
    t.fails(
        3,
        mi,
        "W",
        rule,
        dev,
        "8 strobed bytes are not 1 to 16 whole",
    );

    // A hole in the strobes.
    let mut t = Trace::new(64);
    let mut beats = two.clone();
    beats[1].1 = 0xF0;
    write(&mut t, 3, &beats);
    t.fails(6, mi, "W", rule, dev, "not one contiguous run");

    // Two batches in one burst: the first entry is marked end-of-batch too.
    let mut t = Trace::new(64);
    let mut beats = two.clone();
    beats[1].0[0] |= 2 << 56;
    write(&mut t, 3, &beats);
    t.fails(6, mi, "W", rule, dev, "entry 0 of 2 has end_of_batch 1");

    // No end-of-batch at all.
    let mut t = Trace::new(64);
    let mut beats = two.clone();
    beats[3].0[0] &= !(2 << 56);
    write(&mut t, 3, &beats);
    t.fails(6, mi, "W", rule, dev, "entry 1 of 2 has end_of_batch 0");

    // A batch whose entries straddle a phase change (it wrapped).
    let mut t = Trace::new(64);
    let mut beats = two.clone();
    beats[3].0[0] &= !(1 << 56);
    write(&mut t, 3, &beats);
    t.fails(6, mi, "W", rule, dev, "another phase");

    // At 256 bits an entry starts at lane 0 or 16, not 8.
    let mut t = Trace::new(256);
    let mut beats = batch_beats(32, 16, 1);
    beats[0].1 >>= 8;
    beats[0].0 = bus_bytes(&[&[0u8; 8][..], &entry(0, true)[..]].concat());
    t.cycle(|i, o| {
        aw64(o, 0);
        o.m_axi_awsize = 5;
        i.m_axi_awready = true;
    });
    t.cycle(|i, o| {
        o.m_axi_wvalid = true;
        o.m_axi_wdata = beats[0].0;
        o.m_axi_wstrb = beats[0].1;
        o.m_axi_wlast = true;
        i.m_axi_wready = true;
    });
    t.fails(3, mi, "W", rule, dev, "burst byte 8, not an entry boundary");
}

#[test]
fn b_rules() {
    let mi = Interface::MAxi;
    let one = batch_beats(8, 0, 1);
    // bready low while the response is owed.
    let mut t = Trace::new(64);
    write(&mut t, 1, &one);
    t.idle(1);
    t.fails(
        5,
        mi,
        "B",
        "bready-in-b",
        Culprit::Device,
        "bready low while",
    );
    // bready high with nothing owed (here: while the W beats are still going).
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        aw64(o, 1);
        i.m_axi_awready = true;
        o.m_axi_bready = true;
    });
    t.fails(
        2,
        mi,
        "B",
        "bready-in-b",
        Culprit::Device,
        "bready high while no write burst",
    );
    // The memory answers before the last beat was taken.
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        aw64(o, 1);
        i.m_axi_awready = true;
    })
    .cycle(|i, _| i.m_axi_bvalid = true);
    t.fails(3, mi, "B", "b-without-w", Culprit::Environment, "");
    // ... or in the cycle of the last beat.
    let mut t = Trace::new(64);
    write(&mut t, 1, &one[..1]);
    t.cycle(|i, o| {
        o.m_axi_wvalid = true;
        o.m_axi_wdata = one[1].0;
        o.m_axi_wstrb = one[1].1;
        o.m_axi_wlast = true;
        i.m_axi_wready = true;
        i.m_axi_bvalid = true;
    });
    t.fails(4, mi, "B", "b-without-w", Culprit::Environment, "");
}

// ------------------------------------------------------------------ s_axil

#[test]
fn axi_lite_slave_rules() {
    let si = Interface::SAxil;
    let dev = Culprit::Device;

    // awready without wvalid (the register block takes both together).
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        i.s_axil_awvalid = true;
        o.s_axil_awready = true;
    });
    t.fails(
        2,
        si,
        "AW",
        "awready-wready",
        dev,
        "awready 1 wready 0 with awvalid 1 wvalid 0",
    );
    // Both valid, not taken although no response is pending.
    let mut t = Trace::new(64);
    t.cycle(|i, _| {
        i.s_axil_awvalid = true;
        i.s_axil_wvalid = true;
    });
    t.fails(2, si, "AW", "awready-wready", dev, "");
    // arready low with no read data shown.
    let mut t = Trace::new(64);
    t.cycle(|_, o| o.s_axil_arready = false);
    t.fails(2, si, "AR", "arready", dev, "arready 0 with rvalid 0");

    // Responses without requests.
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        i.s_axil_awvalid = true;
        o.s_axil_awready = false;
        o.s_axil_bvalid = true;
    });
    t.fails(2, si, "B", "b-after-aw-w", dev, "0 AW, 0 W, 0 B");
    let mut t = Trace::new(64);
    t.cycle(|_, o| {
        o.s_axil_rvalid = true;
        o.s_axil_arready = false;
    });
    t.fails(2, si, "R", "r-after-ar", dev, "0 AR, 0 R");
    // A read answered in the cycle its AR is taken.
    let mut t = Trace::new(64);
    t.cycle(|i, _| i.s_axil_arvalid = true).cycle(|_, o| {
        o.s_axil_rvalid = true;
        o.s_axil_arready = false;
    });
    t.passes();

    // Response held and stable, OKAY.
    let write_taken = |t: &mut Trace| {
        t.cycle(|i, o| {
            i.s_axil_awvalid = true;
            i.s_axil_wvalid = true;
            o.s_axil_awready = true;
            o.s_axil_wready = true;
        });
    };
    let mut t = Trace::new(64);
    write_taken(&mut t);
    t.cycle(|_, o| o.s_axil_bvalid = true).idle(1);
    t.fails(
        4,
        si,
        "B",
        "valid-held",
        dev,
        "bvalid dropped before bready",
    );
    let mut t = Trace::new(64);
    write_taken(&mut t);
    t.cycle(|i, o| {
        o.s_axil_bvalid = true;
        o.s_axil_bresp = 2;
        i.s_axil_bready = true;
    });
    t.fails(3, si, "B", "resp-okay", dev, "bresp 2 is not OKAY");
    let mut t = Trace::new(64);
    t.cycle(|i, _| i.s_axil_arvalid = true)
        .cycle(|_, o| {
            o.s_axil_rvalid = true;
            o.s_axil_arready = false;
            o.s_axil_rdata = 1;
        })
        .cycle(|_, o| {
            o.s_axil_rvalid = true;
            o.s_axil_arready = false;
            o.s_axil_rdata = 2;
        });
    t.fails(4, si, "R", "payload-stable", dev, "rdata/rresp changed");

    // The host drops a request or changes it before it is taken.
    let env = Culprit::Environment;
    let mut t = Trace::new(64);
    t.cycle(|i, _| i.s_axil_awvalid = true).idle(1);
    t.fails(
        3,
        si,
        "AW",
        "valid-held",
        env,
        "awvalid dropped before awready",
    );
    let mut t = Trace::new(64);
    t.cycle(|i, _| i.s_axil_awvalid = true).cycle(|i, _| {
        i.s_axil_awvalid = true;
        i.s_axil_awaddr = 4;
    });
    t.fails(3, si, "AW", "payload-stable", env, "awaddr changed");
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        i.s_axil_wvalid = true;
        i.s_axil_wdata = 1;
        o.s_axil_bvalid = false;
    })
    .cycle(|i, _| {
        i.s_axil_wvalid = true;
        i.s_axil_wdata = 2;
    });
    t.fails(3, si, "W", "payload-stable", env, "wdata/wstrb changed");
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        o.s_axil_rvalid = true;
        o.s_axil_arready = false;
        i.s_axil_arvalid = true;
    });
    // (rvalid without a read comes first)
    t.fails(2, si, "R", "r-after-ar", dev, "");
}

// ------------------------------------------------------------------ m_axis_tx

#[test]
fn stream_rules() {
    let st = Interface::MAxisTx;
    let dev = Culprit::Device;
    let beat = |o: &mut Outputs| {
        o.m_axis_tx_tvalid = true;
        o.m_axis_tx_tkeep = 0xFF;
        o.m_axis_tx_tdata[0] = 0x1122_3344_5566_7788;
    };
    let mut t = Trace::new(64);
    t.cycle(|_, o| beat(o)).cycle(|_, o| beat(o)).idle(1);
    t.fails(
        4,
        st,
        "T",
        "valid-held",
        dev,
        "tvalid dropped before tready (raised in cycle 2)",
    );

    for (needle, f) in [
        (
            "",
            (|o: &mut Outputs| o.m_axis_tx_tdata[0] ^= 1) as fn(&mut Outputs),
        ),
        ("", |o| o.m_axis_tx_tlast = true),
        ("", |o| o.m_axis_tx_tkeep = 0x7F),
    ] {
        let mut t = Trace::new(64);
        t.cycle(|_, o| beat(o)).cycle(|_, o| {
            beat(o);
            o.m_axis_tx_tlast = false;
            f(o);
        });
        // tkeep 0x7F without tlast is flagged as a tkeep error only if stable passes
        let v = t.check().expect_err("changed beat");
        assert_eq!((v.cycle, v.rule), (3, "payload-stable"), "{v}");
        assert!(v.detail.contains(needle));
    }

    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        beat(o);
        o.m_axis_tx_tkeep = 0x0F;
        i.m_axis_tx_tready = true;
    });
    t.fails(
        2,
        st,
        "T",
        "tkeep-contiguous",
        dev,
        "tkeep 0xf on a beat without tlast",
    );
    for keep in [0u64, 0x0E, 0x1FF] {
        let mut t = Trace::new(64);
        t.cycle(|i, o| {
            beat(o);
            o.m_axis_tx_tdata[0] = 0;
            o.m_axis_tx_tkeep = keep;
            o.m_axis_tx_tlast = true;
            i.m_axis_tx_tready = true;
        });
        t.fails(2, st, "T", "tkeep-contiguous", dev, "on the tlast beat");
    }
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        beat(o);
        o.m_axis_tx_tkeep = 0x3F;
        o.m_axis_tx_tlast = true;
        i.m_axis_tx_tready = true;
    });
    t.fails(
        2,
        st,
        "T",
        "null-lanes-zero",
        dev,
        "tdata lane 6 is 0x22 outside tkeep 0x3f",
    );
}

#[test]
fn a_violation_reads_as_an_environment_error_of_the_run() {
    let mut t = Trace::new(64);
    t.cycle(|_, o| ar64(o)).idle(1);
    let v = t.check().unwrap_err();
    let e = v.to_env_error("rtl");
    assert_eq!((e.cycle, e.port.as_str()), (3, "m_axi_ar"));
    assert_eq!(
        e.message,
        "protocol: m_axi (AXI4 master) channel AR rule valid-held, broken by the rtl: arvalid dropped before arready (raised in cycle 2)"
    );
    let mut t = Trace::new(64);
    t.cycle(|i, o| {
        o.m_axi_rready = true;
        i.m_axi_rvalid = true;
    });
    let e = t.check().unwrap_err().to_env_error("model");
    assert_eq!(e.port, "m_axi_r");
    assert!(
        e.message
            .contains("broken by the environment (seen beside the model)"),
        "{}",
        e.message
    );
}

// ------------------------------------------------------------------ whole runs

/// The model, except that it drops `tvalid` in the cycle after one where a beat was shown
/// and not taken.
struct DropsTvalid {
    inner: Engine,
    stalled: bool,
}

impl Device for DropsTvalid {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let mut out = self.inner.cycle(inp);
        if std::mem::take(&mut self.stalled) {
            out.m_axis_tx_tvalid = false;
        } else {
            self.stalled = out.m_axis_tx_tvalid && !inp.m_axis_tx_tready && !inp.rst;
        }
        out
    }
    fn data_width(&self) -> u32 {
        self.inner.data_width()
    }
}

impl Probe for DropsTvalid {
    fn probe(&self) -> ProbeState {
        self.inner.probe()
    }
}

fn drops_tvalid(sc: &Scenario) -> Box<dyn txoe_cosim::ProbedDevice> {
    Box::new(DropsTvalid {
        inner: Engine::new(EngineParams {
            data_w: sc.config.data_width,
            num_conn: sc.config.num_conn,
        }),
        stalled: false,
    })
}

fn stalling_scenario() -> Scenario {
    let mut sc = Scenario::builtin_default();
    sc.sends.truncate(3);
    sc.env.tready_percent = 30;
    sc
}

fn assert_checker_report(out: &txoe_testbench::Outcome) -> u64 {
    let Some(Failure::Env(e)) = &out.report.failure else {
        panic!("expected the checker's report, got:\n{}", out.report)
    };
    assert_eq!(e.port, "m_axis_tx");
    assert!(
        e.message.starts_with(
            "protocol: m_axis_tx (AXI4-Stream master) channel T rule valid-held, broken by the model: tvalid dropped before tready"
        ),
        "{}",
        e.message
    );
    let text = txoe_testbench::report::report_text(&out.report, &out.progress, &out.stats);
    assert!(
        text.starts_with(&format!(
            "ENV-ERROR cycle={} port=m_axis_tx message=\"protocol: ",
            e.cycle
        )),
        "{text}"
    );
    e.cycle
}

#[test]
fn a_model_dropping_tvalid_fails_a_model_only_run_with_the_checkers_report() {
    let sc = stalling_scenario();
    let cfg = RunConfig {
        model_only: true,
        progress_every: 0,
        window: None,
        ..RunConfig::default()
    };
    let out = run_scenario_with(&sc, &cfg, &drops_tvalid).unwrap();
    assert_checker_report(&out);
}

#[test]
fn a_model_dropping_tvalid_fails_a_lockstep_run_with_the_checkers_report_and_window() {
    let sc = stalling_scenario();
    if rtl_or_skip(sc.config.data_width).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = RunConfig {
        progress_every: 0,
        window: Some(WindowConfig::in_dir(dir.path())),
        ..RunConfig::default()
    };
    let out = run_scenario_with(&sc, &cfg, &drops_tvalid).unwrap();
    assert!(out.report.lockstep);
    let cycle = assert_checker_report(&out);
    // Ahead of the comparator: the same cycle's tvalid differs from the RTL's, but the
    // checker names the side that broke the rule.
    assert_eq!(out.report.mismatches, 0);
    let w = out
        .waveform
        .as_ref()
        .unwrap_or_else(|| panic!("no window: {:?}", out.waveform_error));
    assert_eq!(w.mismatch_cycle, Some(cycle));
    assert!(w.window && w.last_cycle == cycle, "{w:?}");
    assert!(w.dump.exists() && w.save.exists());
}
