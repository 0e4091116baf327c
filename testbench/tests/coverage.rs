//! The coverage regression: a small set of lockstep scenarios whose coverage, added up,
//! must hit every point (`txoe_testbench::coverage`), except the data widths this build did
//! not Verilate. The table is
//! printed (`cargo test --test coverage -- --nocapture` shows it).

use txoe_cosim::{rtl_or_skip, Rtl, RunOptions};
use txoe_model::regs;
use txoe_model::{Engine, EngineParams};
use txoe_testbench::coverage::{Coverage, Point};
use txoe_testbench::scenario::{Connection, Fault, IpAddress, MacAddr, Scenario, Send};

mod common;

use common::RegScript;


fn conn(id: u16, ipv6: bool, frag_header: bool, vlan: Option<u16>, mss: u16) -> Connection {
    let ip = |last: u16| {
        IpAddress(if ipv6 {
            std::net::IpAddr::from([0xfd00, 0, 0, 0, 0, 0, id, last])
        } else {
            std::net::IpAddr::from([10, 1, id as u8, last as u8])
        })
    };
    Connection {
        id,
        ipv6,
        frag_header,
        vlan,
        src_mac: MacAddr(0x0200_0000_0100 + u64::from(id)),
        dst_mac: MacAddr(0x0200_0000_0200 + u64::from(id)),
        src_ip: ip(1),
        dst_ip: ip(2),
        src_port: 40000 + id,
        dst_port: 443,
        seq: 7,
        ack: 9,
        window: 1000,
        mss,
        ttl: 33,
        tos: 4,
        flow_label: if ipv6 { 0x12345 } else { 0 },
    }
}

fn send(conn: u16, len: u32, at_cycle: u64, buf_offset: u16, immediate: bool) -> Send {
    Send {
        conn,
        len,
        psh: true,
        fin: false,
        immediate,
        cookie: None,
        at_cycle,
        buf_offset,
        ..Default::default()
    }
}

/// IPv6 with and without a fragment header and VLAN tag, the fragment ID wrapping,
/// multi-segment sends, every status validation gives, and a MAC that is rarely ready.
fn ipv6_bad_sends_slow_mac() -> Scenario {
    let mut sc = Scenario::builtin_default();
    sc.config.ipv6_id_start = 0xFFFF_FFFE;
    sc.config.max_batch = 16;
    sc.config.timeout_cycles = 300;
    sc.connections = vec![
        conn(0, true, true, Some(12), 1440),
        conn(1, true, false, None, 1000),
        conn(2, false, false, None, 32),
    ];
    sc.sends = vec![
        send(0, 100, 0, 1, false),
        send(0, 3000, 0, 5, false),
        send(1, 2500, 0, 0, false),
        send(0, 0, 0, 0, false),      // bad_length
        send(1, 70_000, 0, 0, false), // too_long
        send(16, 10, 0, 0, false),    // bad_conn (NUM_CONN is 16)
        send(9, 10, 0, 0, false),     // invalid_ctx
        send(2, 10, 0, 0, false),     // mss_too_small
        send(0, 64, 0, 3, true),
    ];
    sc.env.tready_percent = 10;
    sc
}

/// An 8-entry TX ring, a 4-entry CQ and a host that takes its time: both rings wrap,
/// batches end at the CQ's end, the CQ fills up while the engine holds more completions
/// (the host keeps up to 7 sends outstanding, the CQ takes 3).
fn small_rings_slow_consumer() -> Scenario {
    let mut sc = Scenario::builtin_default();
    sc.config.tx_ring_log2 = 3;
    sc.config.cq_log2 = 2;
    sc.config.max_batch = 4;
    sc.env.cq_consumer_lag = 400;
    sc.env.tready_percent = 100;
    sc.sends = (0..12)
        .map(|i| send(i % 2, 64 + 50 * u32::from(i), 0, i, false))
        .collect();
    sc
}

/// The points only a fault reaches: a payload read answered with an AXI error
/// (`status.dma_error`), a descriptor with a reserved bit set (`status.reserved_bits`), a
/// descriptor fetch and a completion write answered with an error (`err.desc_fetch`,
/// `err.cpl_write`, each followed by the host's recovery reset), and a reset in the middle
/// of the traffic.
fn faults_and_resets() -> Scenario {
    let mut sc = Scenario::builtin_default();
    sc.sends[1].fault = Some(Fault::PayloadRead);
    sc.sends[3].fault = Some(Fault::ReservedBits);
    sc.sends[6].fault = Some(Fault::DescRead);
    sc.env.cq_write_error_batch = Some(4);
    sc.env.resets = vec![1500];
    sc
}

/// The sticky error bits the host can provoke without a fault: a rejected register value
/// (`CONFIG`) and a doorbell outside the ring (`DOORBELL`), read back, then cleared.
fn sticky_err_bits(data_w: u32) -> Option<Coverage> {
    let mut rtl = rtl_or_skip(data_w)?;
    let (w, r) = (|a, d| (a, Some(d), 0), |a, want| (a, None, want));
    let both = regs::ERR_CONFIG | regs::ERR_DOORBELL;
    let mut env = RegScript::new(
        data_w,
        vec![
            w(regs::MTU, 100),
            r(regs::ERR, regs::ERR_CONFIG),
            w(regs::TX_TAIL, 1 << regs::RING_LOG2_RESET),
            r(regs::ERR, both),
            r(regs::IRQ_STATUS, regs::IRQ_ERR),
            w(regs::ERR, both),
            r(regs::ERR, 0),
        ],
    );
    let mut model = Engine::new(EngineParams {
        data_w,
        ..EngineParams::default()
    });
    let opts = RunOptions {
        max_cycles: 1000,
        progress_every: 0,
        seed: 0,
    };
    let report = txoe_cosim::run(&mut env, &mut model, Some(&mut rtl), &opts);
    assert!(report.passed(), "{report}");
    assert!(env.errors.is_empty(), "{:?}", env.errors);
    assert!(env.checkers.iter().all(|c| c.cycles_checked() > 10));
    Some(env.coverage.coverage().clone())
}

#[test]
fn the_regression_hits_every_coverage_point() {
    let widths = Rtl::available_widths();
    let Some(&first) = widths.first() else {
        // No RTL: rtl_or_skip says so (and fails under CI=true).
        rtl_or_skip(64);
        return;
    };
    let mut total = Coverage::new();
    let mut run = |sc: Scenario| {
        let out = common::lockstep(&sc).expect("the width is built");
        total.merge(&out.coverage);
        out.coverage
    };
    for &w in &widths {
        let mut sc = Scenario::builtin_default();
        sc.config.data_width = w;
        let c = run(sc);
        // 7 untagged and 5 tagged IPv4 frames, IDs from 65530: one wrap.
        let counts = [
            Point::FrameIpv4,
            Point::FrameIpv4Vlan,
            Point::Ipv4IdWrap,
            Point::StatusOk,
        ];
        assert_eq!(counts.map(|p| c.count(p)), [7, 5, 1, 12], "{}", c.table());
        assert_eq!(c.count(Point::of_width(w).unwrap()), 1);
    }
    let mut sc = ipv6_bad_sends_slow_mac();
    sc.config.data_width = first;
    let c = run(sc);
    // Frames: 1 + 3 + 1 with the fragment header and tag (IDs from 0xFFFFFFFE: one wrap),
    // 3 without either; each rejection once; the 3000- and 2500-byte sends take 3 segments.
    let counts = [
        Point::FrameIpv6Vlan,
        Point::FrameIpv6FragHeader,
        Point::Ipv6FragIdWrap,
        Point::FrameIpv6,
        Point::FrameIpv6NoFragHeader,
        Point::FrameIpv4,
        Point::MultiSegment,
        Point::StatusOk,
    ];
    assert_eq!(
        counts.map(|p| c.count(p)),
        [5, 5, 1, 3, 3, 0, 2, 4],
        "{}",
        c.table()
    );
    for p in [
        Point::StatusBadLength,
        Point::StatusTooLong,
        Point::StatusBadConn,
        Point::StatusInvalidCtx,
        Point::StatusMssTooSmall,
    ] {
        assert_eq!(c.count(p), 1, "{}", p.name());
    }
    let mut sc = small_rings_slow_consumer();
    sc.config.data_width = first;
    let c = run(sc);
    // 12 descriptors through an 8-entry ring: index 0 fetched again once.
    assert_eq!(c.count(Point::TxRingWrap), 1, "{}", c.table());
    let mut sc = faults_and_resets();
    sc.config.data_width = first;
    let c = run(sc);
    for p in [
        Point::StatusDmaError,
        Point::StatusReservedBits,
        Point::ErrDescFetch,
        Point::ErrCplWrite,
        Point::ResetDuringTraffic,
    ] {
        assert!(c.count(p) >= 1, "{}\n{}", p.name(), c.table());
    }
    total.merge(&sticky_err_bits(first).expect("the width is built"));

    let not_built: Vec<Point> = [64, 128, 256, 512]
        .into_iter()
        .filter(|w| !widths.contains(w))
        .filter_map(Point::of_width)
        .collect();
    println!("{}", total.table());
    println!(
        "data widths not Verilated in this build (not required): {}",
        not_built
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let missed: Vec<&str> = total
        .unhit()
        .into_iter()
        .filter(|p| !not_built.contains(p))
        .map(Point::name)
        .collect();
    assert!(
        missed.is_empty(),
        "coverage points not hit: {missed:?}\n{}",
        total.table()
    );
    assert_eq!(total.runs, widths.len() as u64 + 4);
}
