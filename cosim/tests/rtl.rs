//! Smoke tests of the Verilated RTL (skipped without Verilator, except in CI).

use std::path::PathBuf;

use txoe_cosim::{rtl_or_skip, rtl_or_skip_with, Rtl, RtlError, TraceFormat};
use txoe_model::ports::{Device, Inputs, Outputs};

fn temp_path(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("txoe-cosim-{}-{nanos}-{name}", std::process::id()))
}

fn reset() -> Inputs {
    Inputs { rst: true, ..Inputs::default() }
}

#[test]
fn cycles_under_reset() {
    let Some(mut rtl) = rtl_or_skip(64) else { return };
    assert_eq!(rtl.data_width(), 64);
    for _ in 0..100 {
        let out = rtl.cycle(&reset());
        assert!(!out.m_axis_tx_tvalid && !out.m_axi_awvalid && !out.m_axi_arvalid);
    }
    assert_eq!(rtl.cycles(), 100);
    assert!(Rtl::available_widths().contains(&64));
    assert!(Rtl::verilator_version().starts_with("Verilator"));
}

#[test]
fn writes_an_fst_trace() {
    let path = temp_path("smoke.fst");
    let Some(mut rtl) = rtl_or_skip_with(64, Some((path.clone(), TraceFormat::Fst))) else {
        return;
    };
    assert_eq!(rtl.trace_path(), Some(path.as_path()));
    for c in 0..100 {
        rtl.cycle(&Inputs { rst: c < 10, m_axis_tx_tready: c % 3 == 0, ..Inputs::default() });
    }
    drop(rtl);
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    std::fs::remove_file(&path).ok();
    assert!(len > 0, "empty FST trace");
}

#[test]
fn writes_a_vcd_trace_where_built() {
    if rtl_or_skip(64).is_none() {
        return;
    }
    let widths = Rtl::widths_with(TraceFormat::Vcd);
    assert!(!widths.is_empty(), "no VCD build (TXOE_VCD_WIDTHS=none?)");
    for w in widths {
        let path = temp_path("smoke.vcd");
        let mut rtl = Rtl::new(w, Some((path.clone(), TraceFormat::Vcd))).unwrap();
        assert_eq!(rtl.trace_format(), TraceFormat::Vcd);
        for c in 0..20 {
            rtl.cycle(&Inputs { rst: c < 10, ..Inputs::default() });
        }
        drop(rtl);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::remove_file(&path).ok();
        assert!(text.contains("$enddefinitions"), "not a VCD file");
        assert!(text.contains("exp_m_axis_tx_tdata"), "the wrapper's expected values are traced");
    }
}

#[test]
fn a_trace_opened_late_starts_at_its_cycle_and_only_once() {
    let Some(_) = rtl_or_skip(64) else { return };
    let path = temp_path("late.fst");
    let mut rtl = Rtl::new_traceable(64, TraceFormat::Fst).unwrap();
    for _ in 0..30 {
        rtl.cycle(&reset());
    }
    rtl.open_trace(&path).unwrap();
    for _ in 0..10 {
        rtl.cycle(&reset());
    }
    rtl.close_trace();
    assert!(matches!(rtl.open_trace(&path), Err(RtlError::TraceTwice)));
    rtl.cycle(&reset());
    drop(rtl);
    assert!(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) > 0);
    std::fs::remove_file(&path).ok();
}

#[test]
fn two_traced_instances_and_another_thread() {
    let (pa, pb) = (temp_path("a.fst"), temp_path("b.fst"));
    let Some(mut a) = rtl_or_skip_with(64, Some((pa.clone(), TraceFormat::Fst))) else { return };
    let Some(mut b) = rtl_or_skip_with(64, Some((pb.clone(), TraceFormat::Fst))) else { return };
    for _ in 0..20 {
        assert_eq!(a.cycle(&reset()), b.cycle(&reset()));
    }
    // Rtl is Send: finish one on another thread.
    let handle = std::thread::spawn(move || {
        for _ in 0..20 {
            b.cycle(&reset());
        }
        b.cycles()
    });
    for _ in 0..20 {
        a.cycle(&reset());
    }
    assert_eq!(handle.join().unwrap(), 40);
    drop(a);
    for p in [pa, pb] {
        assert!(std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0) > 0);
        std::fs::remove_file(&p).ok();
    }
}

#[test]
fn reports_unbuilt_widths_and_formats() {
    if rtl_or_skip(64).is_none() {
        return;
    }
    match Rtl::new(24, None) {
        Err(RtlError::WidthNotBuilt(24, built)) => assert!(built.contains(&64)),
        other => panic!("expected WidthNotBuilt, got {other:?}"),
    }
    let vcd = Rtl::widths_with(TraceFormat::Vcd);
    for w in Rtl::available_widths().into_iter().filter(|w| !vcd.contains(w)) {
        match Rtl::new(w, Some((temp_path("x.vcd"), TraceFormat::Vcd))) {
            Err(RtlError::TraceNotBuilt(TraceFormat::Vcd, got, built)) => {
                assert_eq!((got, built), (w, vcd.clone()));
            }
            other => panic!("expected TraceNotBuilt, got {other:?}"),
        }
    }
    let bad = PathBuf::from("/nonexistent-dir/for/sure/x.fst");
    match Rtl::new(64, Some((bad, TraceFormat::Fst))) {
        Err(RtlError::TraceOpen { .. }) => {}
        other => panic!("expected TraceOpen, got {other:?}"),
    }
}

#[test]
fn every_built_width_cycles_and_masks_its_buses() {
    if rtl_or_skip(64).is_none() {
        return;
    }
    for w in Rtl::available_widths() {
        let mut rtl = Rtl::new(w, None).unwrap_or_else(|e| panic!("DATA_W={w}: {e}"));
        assert_eq!(rtl.data_width(), w);
        let inp = Inputs { m_axi_rdata: [u64::MAX; 8], ..reset() };
        let words = (w as usize).div_ceil(64);
        let lanes = w / 8;
        for _ in 0..20 {
            let out = rtl.cycle(&inp);
            assert!(out.m_axis_tx_tdata[words..].iter().all(|&x| x == 0), "DATA_W={w}");
            assert!(out.m_axi_wdata[words..].iter().all(|&x| x == 0), "DATA_W={w}");
            if lanes < 64 {
                assert_eq!(out.m_axis_tx_tkeep >> lanes, 0, "DATA_W={w}");
                assert_eq!(out.m_axi_wstrb >> lanes, 0, "DATA_W={w}");
            }
        }
    }
}

#[test]
fn a_stopped_model_reports_its_error() {
    // Never reset, the IPv4 ID counter holds 0 (Verilated with --x-initial 0), outside
    // 0x8000..=0xFFFF, so IdUpperHalf_A fails on the first edge. A failed assertion must come
    // back as an error that names it (not abort the process) and stick.
    let Some(mut rtl) = rtl_or_skip(64) else { return };
    let e = (0..5)
        .find_map(|_| rtl.try_cycle(&Inputs::default()).err())
        .expect("an RTL out of reset with its ID counters at 0 fails IdUpperHalf_A");
    let RtlError::Stopped { cycle, message } = &e else { panic!("unexpected {e:?}") };
    assert!(message.contains("IdUpperHalf_A"), "{message}");
    assert!(message.contains("left the upper half"), "{message}");
    assert!(e.to_string().starts_with(&format!("the RTL stopped at cycle {cycle}: ")), "{e}");
    match rtl.try_cycle(&reset()) {
        Err(RtlError::Stopped { cycle: again, .. }) => assert_eq!(again, *cycle),
        other => panic!("a stopped model ran again: {other:?}"),
    }
}

/// Reset, then AXI-Lite writes of the MTU register and reads of it and the ID register,
/// the handshakes held for a few cycles each: a stimulus whose outputs change.
fn register_traffic(cycles: u64) -> Vec<Inputs> {
    (0..cycles)
        .map(|c| {
            let phase = c % 24;
            let mut i = Inputs {
                rst: c < 16,
                s_axil_bready: true,
                s_axil_rready: phase != 9,
                m_axis_tx_tready: true,
                ..Inputs::default()
            };
            if c >= 16 {
                if phase < 4 {
                    i.s_axil_awvalid = true;
                    i.s_axil_wvalid = true;
                    i.s_axil_awaddr = 0x018;
                    i.s_axil_wdata = 1000 + (c as u32 % 500);
                    i.s_axil_wstrb = 0xF;
                } else if (8..12).contains(&phase) {
                    i.s_axil_arvalid = true;
                    i.s_axil_araddr = if c % 48 < 24 { 0x018 } else { 0x000 };
                }
            }
            i
        })
        .collect()
}

#[test]
fn replay_in_cpp_reproduces_cycle_by_cycle_outputs() {
    let Some(mut stepped) = rtl_or_skip(64) else { return };
    let inputs = register_traffic(600);
    let want: Vec<Outputs> = inputs.iter().map(|i| stepped.cycle(i)).collect();
    assert!(want.iter().filter(|o| o.s_axil_rvalid).count() >= 10, "the stimulus reads no register");

    let mut rtl = Rtl::new(64, None).unwrap();
    let mut got = vec![Outputs::default(); inputs.len()];
    // in two calls, so that the second goes on from the first one's state and time
    let (a, b) = inputs.split_at(250);
    let (ga, gb) = got.split_at_mut(250);
    rtl.replay(a, ga).unwrap();
    rtl.replay(b, gb).unwrap();
    assert_eq!(rtl.cycles(), 600);
    for (c, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "cycle {c}");
    }
}

#[test]
fn replay_is_refused_on_a_traced_instance() {
    let path = temp_path("replay.fst");
    let Some(mut rtl) = rtl_or_skip_with(64, Some((path.clone(), TraceFormat::Fst))) else {
        return;
    };
    let inputs = register_traffic(4);
    let mut out = vec![Outputs::default(); 4];
    assert!(matches!(rtl.replay(&inputs, &mut out), Err(RtlError::ReplayTraced)));
    assert_eq!(rtl.cycles(), 0);
    drop(rtl);
    std::fs::remove_file(&path).ok();
}

/// Context words written and read back by the host with the read taken at every offset
/// from the write's handshake (before it, in the same cycle, in the cycle the write is
/// pending and lands, and after): the register block's context reads go through a copy
/// read at the edge that takes the read, and a write landing at that edge must be seen.
/// Model and RTL in lockstep on every output of every cycle, and each read's value checked
/// against the contract (a read taken in cycle c answers the values of c + 1).
#[test]
fn context_reads_beside_context_writes_match_the_model() {
    use txoe_model::{layout::CTX_W_SND_NXT, regs, Engine, EngineParams};
    let Some(mut rtl) = rtl_or_skip(64) else { return };
    let mut model = Engine::new(EngineParams::default());
    let idle = |rst: bool| Inputs {
        rst,
        s_axil_bready: true,
        s_axil_rready: true,
        m_axis_tx_tready: true,
        ..Inputs::default()
    };
    let mut cycle = 0u64;
    let mut step = |inp: &Inputs| -> Outputs {
        let m = model.cycle(inp);
        let r = rtl.cycle(inp);
        let diffs = txoe_cosim::compare(64, &m, &r);
        assert!(diffs.is_empty(), "cycle {cycle}: model and RTL differ: {diffs:?}");
        cycle += 1;
        m
    };
    for _ in 0..16 {
        step(&idle(true));
    }
    let mut checked = 0;
    // words: the first, snd_nxt (kept apart from the others), the last
    for (n, &(conn, word)) in [(0u32, 0u32), (3, CTX_W_SND_NXT as u32), (15, 18), (7, 5)].iter().enumerate() {
        for offset in -1i32..=3 {
            let addr = regs::ctx_addr(conn, word);
            let old = step(&idle(false)); // settle: no handshake pending
            assert!(old.s_axil_arready);
            let value = 0x5A00_0000 | (n as u32) << 16 | ((offset + 1) as u32) << 8 | word;
            // the read first (offset -1), then the write's handshake, then the read at `offset`
            let mut wrote = false;
            let mut read_at: Option<i32> = None;
            let mut answer: Option<u32> = None;
            let mut t = -1i32;
            let mut write_taken_at = None;
            while answer.is_none() || !wrote {
                let mut i = idle(false);
                if !wrote {
                    i.s_axil_awvalid = true;
                    i.s_axil_wvalid = true;
                    i.s_axil_awaddr = addr;
                    i.s_axil_wdata = value;
                    i.s_axil_wstrb = 0xF;
                }
                let issue = read_at.is_none() && t >= offset;
                if issue {
                    i.s_axil_arvalid = true;
                    i.s_axil_araddr = addr;
                }
                let o = step(&i);
                if !wrote && o.s_axil_awready {
                    wrote = true;
                    write_taken_at = Some(t);
                }
                if issue && o.s_axil_arready {
                    read_at = Some(t);
                }
                if o.s_axil_rvalid && answer.is_none() {
                    answer = Some(o.s_axil_rdata);
                }
                t += 1;
                assert!(t < 40, "no answer for {conn}/{word} at offset {offset}");
            }
            // a write taken in cycle w lands at the edge ending w + 1; a read taken in r
            // answers the values of r + 1: it sees the write when r + 1 > w + 1
            let (w, r) = (write_taken_at.unwrap(), read_at.unwrap());
            let got = answer.unwrap();
            if r > w {
                assert_eq!(got, value, "context {conn} word {word}: read taken {} cycles after the write", r - w);
                checked += 1;
            } else {
                assert_ne!(got, value, "context {conn} word {word}: a read taken before the write saw it");
            }
            for _ in 0..3 {
                step(&idle(false));
            }
        }
    }
    assert!(checked >= 8, "only {checked} reads after a write");
}
