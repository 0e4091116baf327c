//! The scoreboard's frame checks on frames built by an independent packet builder.

use etherparse::{IpHeaders, IpNumber, Ipv4Dscp, Ipv4Ecn, Ipv4Header, PacketBuilder, VlanId};
use txoe_model::layout::{CloseReason, CompletionEntry, Status};
use txoe_model::ports::{strobe_mask, Inputs, Outputs};
use txoe_testbench::mac::MacSink;
use txoe_testbench::memory::bus_from_bytes;
use txoe_testbench::payload::payload;
use txoe_testbench::scenario::Scenario;
use txoe_testbench::scoreboard::Scoreboard;

fn scenario() -> Scenario {
    Scenario::from_json_str(
        r#"{
      "config": { "ipv4_id_start": 65535 },
      "connections": [
        { "id": 2, "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02",
          "src_ip": "10.1.2.3", "dst_ip": "10.4.5.6", "src_port": 40000, "dst_port": 80,
          "seq": 4294967000, "ack": 5000, "window": 1234, "mss": 1000, "ttl": 17, "tos": 184,
          "vlan": 100 } ],
      "sends": [ { "conn": 2, "len": 700, "psh": true, "fin": true },
                 { "conn": 2, "len": 1 } ],
      "env": { "seed": 3 }
    }"#,
    )
    .unwrap()
}

/// The frame the engine must emit for send `i` of [`scenario`], built with etherparse.
fn frame(i: u64, id: u16, seq: u32, psh: bool, fin: bool, df: bool) -> Vec<u8> {
    let sc = scenario();
    let c = &sc.connections[0];
    let len = sc.sends[i as usize].len as usize;
    let ip = Ipv4Header {
        dscp: Ipv4Dscp::try_new(184 >> 2).unwrap(),
        ecn: Ipv4Ecn::try_new(0).unwrap(),
        identification: id,
        dont_fragment: df,
        time_to_live: 17,
        protocol: IpNumber::TCP,
        source: [10, 1, 2, 3],
        destination: [10, 4, 5, 6],
        ..Default::default()
    };
    let mut b = PacketBuilder::ethernet2(c.src_mac.octets(), c.dst_mac.octets())
        .single_vlan(VlanId::try_new(100).unwrap())
        .ip(IpHeaders::Ipv4(ip, Default::default()))
        .tcp(40000, 80, seq, 1234)
        .ack(5000);
    if psh {
        b = b.psh();
    }
    if fin {
        b = b.fin();
    }
    let mut out = Vec::new();
    b.write(&mut out, &payload(3, i, len)).unwrap();
    out
}

/// Feed a frame to the MAC as 64-bit beats.
fn feed(mac: &mut MacSink, data: &[u8]) {
    let chunks: Vec<&[u8]> = data.chunks(8).collect();
    for (k, c) in chunks.iter().enumerate() {
        let out = Outputs {
            m_axis_tx_tvalid: true,
            m_axis_tx_tdata: bus_from_bytes(c),
            m_axis_tx_tkeep: strobe_mask(c.len()),
            m_axis_tx_tlast: k + 1 == chunks.len(),
            ..Outputs::default()
        };
        let inp = Inputs {
            m_axis_tx_tready: true,
            ..Inputs::default()
        };
        mac.observe(k as u64, &inp, &out).unwrap();
    }
}

fn ok(bytes: u32, segments: u16, cookie: u64) -> CompletionEntry {
    CompletionEntry {
        cookie,
        bytes,
        segments,
        status: Status::Ok as u8,
        phase: true,
        end_of_batch: true,
        reason: CloseReason::MaxBatch,
    }
}

/// Check send 0 with `frame` as its only frame.
fn check_first(frame: &[u8], entry: CompletionEntry) -> Result<(), String> {
    let sc = scenario();
    let infos = Scoreboard::send_infos(&sc);
    let mut sb = Scoreboard::new(&sc);
    let mut mac = MacSink::new(64, 1518, 100, 1);
    feed(&mut mac, frame);
    sb.complete(0, &infos[0], &entry, &mut mac, None)
}

#[test]
fn correct_frames_pass_and_counters_advance() {
    let sc = scenario();
    let infos = Scoreboard::send_infos(&sc);
    let mut sb = Scoreboard::new(&sc);
    let mut mac = MacSink::new(64, 1518, 100, 1);
    let seq0 = 4294967000u32;
    feed(&mut mac, &frame(0, 0xFFFF, seq0, true, true, true));
    // The ID wraps 0xFFFF -> 0x8000; FIN advances snd_nxt by one more.
    let seq1 = seq0.wrapping_add(700 + 1);
    feed(&mut mac, &frame(1, 0x8000, seq1, false, false, true));
    let mut archive = Vec::new();
    sb.complete(0, &infos[0], &ok(700, 1, 0), &mut mac, Some(&mut archive))
        .unwrap();
    sb.complete(1, &infos[1], &ok(1, 1, 1), &mut mac, Some(&mut archive))
        .unwrap();
    assert_eq!(archive.len(), 2);
    assert_eq!(sb.frames_checked(), 2);
    assert_eq!(
        sb.snd_nxt().collect::<Vec<_>>(),
        [(2, seq1.wrapping_add(1))]
    );
    // A minimum-size frame may carry padding after the datagram.
    let mut sb = Scoreboard::new(&sc);
    let mut mac = MacSink::new(64, 1518, 100, 1);
    feed(&mut mac, &frame(0, 0xFFFF, seq0, true, true, true));
    let mut short = frame(1, 0x8000, seq1, false, false, true);
    assert!(short.len() < 60);
    short.resize(60, 0);
    feed(&mut mac, &short);
    sb.complete(0, &infos[0], &ok(700, 1, 0), &mut mac, None)
        .unwrap();
    sb.complete(1, &infos[1], &ok(1, 1, 1), &mut mac, None)
        .unwrap();
}

#[test]
fn frame_errors_name_the_field() {
    let good = frame(0, 0xFFFF, 4294967000, true, true, true);
    check_first(&good, ok(700, 1, 0)).unwrap();

    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            frame(0, 0x8001, 4294967000, true, true, true),
            "ipv4.id 0x8001 (32769), expected 0xffff (65535)",
        ),
        (
            frame(0, 0x1234, 4294967000, true, true, true),
            "ipv4.id 0x1234 (4660) is below 0x8000",
        ),
        (
            frame(0, 0xFFFF, 4294967000, true, true, false),
            "ipv4.df is 0, expected 1",
        ),
        (frame(0, 0xFFFF, 4294967001, true, true, true), "tcp.seq"),
        (
            frame(0, 0xFFFF, 4294967000, false, true, true),
            "tcp.flags.psh is 0, expected 1",
        ),
        (
            frame(0, 0xFFFF, 4294967000, true, false, true),
            "tcp.flags.fin is 0, expected 1",
        ),
        (
            {
                let mut f = good.clone();
                let n = f.len();
                f[n - 1] ^= 0x40;
                f
            },
            "tcp.checksum",
        ),
        (
            {
                let mut f = good.clone();
                f[18 + 8] ^= 1; // TTL
                f
            },
            "ipv4.ttl",
        ),
        (
            {
                let mut f = good.clone();
                f[18 + 10] ^= 1; // header checksum
                f
            },
            "ipv4.checksum",
        ),
        (
            {
                let mut f = good.clone();
                f[15] = 101; // VLAN id low byte
                f
            },
            "vlan.vid 0x65 (101), expected 0x64 (100)",
        ),
    ];
    for (f, needle) in cases {
        let e = check_first(&f, ok(700, 1, 0)).unwrap_err();
        assert!(e.contains(needle), "{e:?} lacks {needle:?}");
        assert!(e.starts_with("frame 0 (send 0"), "{e}");
    }
}

#[test]
fn completion_errors() {
    let good = frame(0, 0xFFFF, 4294967000, true, true, true);
    let e = check_first(&good, ok(699, 1, 0)).unwrap_err();
    assert!(e.contains("bytes 0x2bb (699), expected 0x2bc (700)"), "{e}");
    // the segment count is checked against the send's length and MSS first
    let e = check_first(&good, ok(700, 2, 0)).unwrap_err();
    assert!(e.contains("segments 0x2 (2), expected 0x1 (1)"), "{e}");
    let e = check_first(&good, ok(700, 1, 7)).unwrap_err();
    assert!(e.contains("cookie 0x7"), "{e}");
    let mut bad = ok(0, 0, 0);
    bad.status = Status::DmaError as u8;
    let e = check_first(&good, bad).unwrap_err();
    assert!(e.contains("status dma_error for a valid send"), "{e}");
    bad.status = 42;
    let e = check_first(&good, bad).unwrap_err();
    assert!(e.contains("unknown status code 42"), "{e}");
}
