//! The environment's parts on their own: the AXI4 memory slave, the MAC sink, the pcap
//! and JSON Lines writers, the payload generator.

use pcap_file::pcap::PcapReader;
use pcap_file::{DataLink, TsResolution};
use txoe_model::layout::{CloseReason, CompletionEntry, Status};
use txoe_model::ports::{bus_byte, strobe_mask, Inputs, Outputs};
use txoe_testbench::completions::{batch_json, write_jsonl, Batch};
use txoe_testbench::mac::{Frame, MacSink};
use txoe_testbench::memory::{bus_from_bytes, AxiMemory, MemTiming, SparseMemory};
use txoe_testbench::payload::{buf_addr, payload, payload_byte};
use txoe_testbench::pcap::write_pcap;

fn memory(data_w: u32, latency: [u32; 2]) -> AxiMemory {
    AxiMemory::new(
        data_w,
        MemTiming {
            latency,
            gap_percent: 0,
        },
        42,
    )
}

/// Present one AR request until it is accepted; returns the accept cycle.
fn issue_ar(
    m: &mut AxiMemory,
    cycle: &mut u64,
    addr: u64,
    len: u8,
    size: u8,
) -> Result<u64, txoe_cosim::EnvError> {
    loop {
        let mut inp = Inputs::default();
        m.drive(*cycle, &mut inp);
        let out = Outputs {
            m_axi_arvalid: true,
            m_axi_araddr: addr,
            m_axi_arlen: len,
            m_axi_arsize: size,
            m_axi_arburst: 1,
            ..Outputs::default()
        };
        m.observe(*cycle, &inp, &out)?;
        *cycle += 1;
        if inp.m_axi_arready {
            return Ok(*cycle - 1);
        }
    }
}

#[test]
fn read_burst_returns_memory_bytes_in_order_after_the_latency() {
    for data_w in [64u32, 128, 512] {
        let bytes = (data_w / 8) as usize;
        let mut m = memory(data_w, [5, 9]);
        let content: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
        m.mem.write(0x2000, &content);

        let mut cycle = 10;
        let addr = 0x2000 + 3 + bytes as u64; // unaligned: beats start at the aligned address
        let accepted = issue_ar(&mut m, &mut cycle, addr, 3, bytes.trailing_zeros() as u8).unwrap();
        let mut beats = Vec::new();
        for _ in 0..40 {
            let mut inp = Inputs::default();
            m.drive(cycle, &mut inp);
            let out = Outputs {
                m_axi_rready: true,
                ..Outputs::default()
            };
            if inp.m_axi_rvalid {
                assert_eq!(inp.m_axi_rresp, 0);
                beats.push((cycle, inp.m_axi_rdata, inp.m_axi_rlast));
            }
            m.observe(cycle, &inp, &out).unwrap();
            cycle += 1;
        }
        assert_eq!(beats.len(), 4, "arlen 3 is four beats");
        assert!(
            beats[0].0 >= accepted + 5,
            "first beat at {} after accept at {accepted}",
            beats[0].0
        );
        assert!(beats[0].0 <= accepted + 9);
        for (k, (c, data, last)) in beats.iter().enumerate() {
            assert_eq!(*last, k == 3, "rlast on beat {k}");
            if k > 0 {
                assert_eq!(*c, beats[k - 1].0 + 1, "one beat per cycle while rready");
            }
            let base = bytes * (k + 1);
            for i in 0..bytes {
                assert_eq!(bus_byte(data, i), content[base + i], "beat {k} byte {i}");
            }
        }
        assert!(m.idle());
    }
}

#[test]
fn rvalid_holds_its_beat_while_rready_is_low() {
    let mut m = memory(64, [1, 1]);
    m.mem.write(
        0x100,
        &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
    );
    let mut cycle = 0;
    issue_ar(&mut m, &mut cycle, 0x100, 1, 3).unwrap();
    let mut seen = Vec::new();
    for n in 0..10 {
        let mut inp = Inputs::default();
        m.drive(cycle, &mut inp);
        let rready = n % 3 == 2;
        if inp.m_axi_rvalid {
            seen.push((bus_byte(&inp.m_axi_rdata, 0), rready));
        }
        m.observe(
            cycle,
            &inp,
            &Outputs {
                m_axi_rready: rready,
                ..Outputs::default()
            },
        )
        .unwrap();
        cycle += 1;
    }
    let taken: Vec<u8> = seen.iter().filter(|s| s.1).map(|s| s.0).collect();
    assert_eq!(taken, [1, 9]);
    assert!(seen.iter().filter(|s| !s.1).all(|s| s.0 == 1 || s.0 == 9));
}

#[test]
fn bad_read_requests_are_reported() {
    // Crossing 4 KiB: 16 beats of 8 bytes from 0x1F88 end at 0x2007.
    let mut m = memory(64, [2, 2]);
    let err = issue_ar(&mut m, &mut 0, 0x1F88, 15, 3).unwrap_err();
    assert_eq!(err.port, "m_axi_ar");
    assert!(err.message.contains("4 KiB"), "{}", err.message);

    // Ending exactly at the boundary is fine.
    issue_ar(&mut memory(64, [2, 2]), &mut 0, 0x1F80, 15, 3).unwrap();

    let err = issue_ar(&mut memory(64, [2, 2]), &mut 0, 0x0, 16, 3).unwrap_err();
    assert!(
        err.message.contains("arlen 16 is over 15"),
        "{}",
        err.message
    );
    let err = issue_ar(&mut memory(64, [2, 2]), &mut 0, 0x0, 0, 2).unwrap_err();
    assert!(err.message.contains("arsize 2"), "{}", err.message);

    let mut m = memory(64, [2, 2]);
    let mut inp = Inputs::default();
    m.drive(0, &mut inp);
    let out = Outputs {
        m_axi_arvalid: true,
        m_axi_arburst: 2,
        m_axi_arsize: 3,
        ..Outputs::default()
    };
    let err = m.observe(0, &inp, &out).unwrap_err();
    assert!(err.message.contains("not INCR"), "{}", err.message);
}

#[test]
fn arvalid_must_hold_until_arready() {
    let mut m = AxiMemory::new(
        64,
        MemTiming {
            latency: [1, 1],
            gap_percent: 0,
        },
        1,
    );
    // Fill the four-burst read queue so arready drops, then change the request.
    let mut cycle = 0;
    for k in 0..4 {
        issue_ar(&mut m, &mut cycle, 0x1000 * k, 15, 3).unwrap();
    }
    let mut inp = Inputs::default();
    m.drive(cycle, &mut inp);
    assert!(!inp.m_axi_arready);
    let ar = |addr| Outputs {
        m_axi_arvalid: true,
        m_axi_araddr: addr,
        m_axi_arsize: 3,
        m_axi_arburst: 1,
        ..Outputs::default()
    };
    m.observe(cycle, &inp, &ar(0x8000)).unwrap();
    cycle += 1;
    let mut inp = Inputs::default();
    m.drive(cycle, &mut inp);
    let err = m.observe(cycle, &inp, &ar(0x9000)).unwrap_err();
    assert!(err.message.contains("payload changed"), "{}", err.message);
}

/// One cycle of the write channels.
fn write_cycle(
    m: &mut AxiMemory,
    cycle: u64,
    out: &Outputs,
) -> (Inputs, Result<(), txoe_cosim::EnvError>) {
    let mut inp = Inputs::default();
    m.drive(cycle, &mut inp);
    let r = m.observe(cycle, &inp, out);
    (inp, r)
}

#[test]
fn write_burst_lands_with_wstrb_when_b_is_raised() {
    let mut m = memory(64, [2, 2]);
    m.mem.write(0x3000, &[0xEE; 16]);
    let aw = Outputs {
        m_axi_awvalid: true,
        m_axi_awaddr: 0x3000,
        m_axi_awlen: 1,
        m_axi_awsize: 3,
        m_axi_awburst: 1,
        ..Outputs::default()
    };
    let (inp, r) = write_cycle(&mut m, 0, &aw);
    r.unwrap();
    assert!(inp.m_axi_awready);
    let w0 = Outputs {
        m_axi_wvalid: true,
        m_axi_wdata: bus_from_bytes(&[1, 2, 3, 4, 5, 6, 7, 8]),
        m_axi_wstrb: 0x0F,
        ..Outputs::default()
    };
    write_cycle(&mut m, 1, &w0).1.unwrap();
    let w1 = Outputs {
        m_axi_wvalid: true,
        m_axi_wlast: true,
        m_axi_wdata: bus_from_bytes(&[9; 8]),
        m_axi_wstrb: 0xFF,
        ..Outputs::default()
    };
    write_cycle(&mut m, 2, &w1).1.unwrap();
    assert_eq!(m.commits(), 0);
    let mut got = [0u8; 16];
    m.mem.read(0x3000, &mut got);
    assert_eq!(got, [0xEE; 16], "not visible before the B response");

    let mut b_cycle = None;
    for c in 3..12 {
        let out = Outputs {
            m_axi_bready: true,
            ..Outputs::default()
        };
        let (inp, r) = write_cycle(&mut m, c, &out);
        r.unwrap();
        if inp.m_axi_bvalid {
            assert_eq!(inp.m_axi_bresp, 0);
            b_cycle = Some(c);
            break;
        }
    }
    let b = b_cycle.expect("a write response");
    assert!((3..=6).contains(&b), "B {b} cycles after wlast at 2");
    assert_eq!(m.commits(), 1);
    m.mem.read(0x3000, &mut got);
    assert_eq!(
        got,
        [1, 2, 3, 4, 0xEE, 0xEE, 0xEE, 0xEE, 9, 9, 9, 9, 9, 9, 9, 9]
    );
    assert!(m.idle());
}

#[test]
fn bad_write_bursts_are_reported() {
    // W without an AW.
    let mut m = memory(64, [2, 2]);
    let w = Outputs {
        m_axi_wvalid: true,
        m_axi_wlast: true,
        ..Outputs::default()
    };
    let err = write_cycle(&mut m, 0, &w).1.unwrap_err();
    assert_eq!(err.port, "m_axi_w");
    assert!(err.message.contains("without an AW"), "{}", err.message);

    // wlast on the first of two beats.
    let mut m = memory(64, [2, 2]);
    let aw = Outputs {
        m_axi_awvalid: true,
        m_axi_awaddr: 0x40,
        m_axi_awlen: 1,
        m_axi_awsize: 3,
        m_axi_awburst: 1,
        ..Outputs::default()
    };
    write_cycle(&mut m, 0, &aw).1.unwrap();
    let err = write_cycle(&mut m, 1, &w).1.unwrap_err();
    assert!(
        err.message.contains("wlast 1 on beat 0 of a 2-beat burst"),
        "{}",
        err.message
    );

    // A completion burst crossing 4 KiB.
    let mut m = memory(64, [2, 2]);
    let aw = Outputs {
        m_axi_awvalid: true,
        m_axi_awaddr: 0xFF0,
        m_axi_awlen: 3,
        m_axi_awsize: 3,
        m_axi_awburst: 1,
        ..Outputs::default()
    };
    let err = write_cycle(&mut m, 0, &aw).1.unwrap_err();
    assert_eq!(err.port, "m_axi_aw");
    assert!(err.message.contains("4 KiB"), "{}", err.message);
}

#[test]
fn sparse_memory_reads_zero_and_frees_whole_pages() {
    let mut m = SparseMemory::new();
    let mut b = [0xAAu8; 10];
    m.read(0xFFFF_FFF0, &mut b);
    assert_eq!(b, [0; 10]);
    m.write(0x0FFE, &[1, 2, 3, 4]);
    assert_eq!(m.page_count(), 2);
    assert_eq!(m.read_u8(0x1001), 4);
    m.free(0x1000, 0x1000);
    assert_eq!(m.page_count(), 1);
    assert_eq!(m.read_u8(0x0FFF), 2);
    assert_eq!(m.read_u8(0x1001), 0);
}

/// Offer `beats` to the sink, one per cycle, each until accepted.
fn offer(
    mac: &mut MacSink,
    beats: &[(Vec<u8>, u64, bool)],
    bytes: usize,
) -> Result<u64, txoe_cosim::EnvError> {
    let mut cycle = 0u64;
    for (data, keep, last) in beats {
        loop {
            let mut inp = Inputs::default();
            mac.drive(&mut inp);
            let mut d = data.clone();
            d.resize(bytes, 0xCC); // bytes past tkeep are not frame bytes
            let out = Outputs {
                m_axis_tx_tvalid: true,
                m_axis_tx_tdata: bus_from_bytes(&d),
                m_axis_tx_tkeep: *keep,
                m_axis_tx_tlast: *last,
                ..Outputs::default()
            };
            mac.observe(cycle, &inp, &out)?;
            cycle += 1;
            if inp.m_axis_tx_tready {
                break;
            }
        }
    }
    Ok(cycle - 1)
}

#[test]
fn mac_collects_a_frame_across_beats_with_tkeep() {
    for (data_w, ready) in [(64u32, 100u32), (128, 30), (512, 70)] {
        let bytes = (data_w / 8) as usize;
        let frame: Vec<u8> = (0..(3 * bytes + 5)).map(|i| i as u8).collect();
        let beats: Vec<(Vec<u8>, u64, bool)> = frame
            .chunks(bytes)
            .enumerate()
            .map(|(k, c)| {
                (
                    c.to_vec(),
                    strobe_mask(c.len()),
                    (k + 1) * bytes >= frame.len(),
                )
            })
            .collect();
        let mut mac = MacSink::new(data_w, 1518, ready, 9);
        let last_cycle = offer(&mut mac, &beats, bytes).unwrap();
        assert_eq!(mac.frames(), 1);
        assert_eq!(mac.bytes(), frame.len() as u64);
        assert_eq!(mac.beats(), 4);
        let f = mac.pop_frame().unwrap();
        assert_eq!(
            f,
            Frame {
                cycle: last_cycle,
                data: frame
            }
        );
        assert!(!mac.in_frame());
    }
}

#[test]
fn mac_rejects_bad_tkeep_and_long_frames() {
    let mut mac = MacSink::new(64, 1518, 100, 1);
    let err = offer(&mut mac, &[(vec![1; 8], 0x7F, false)], 8).unwrap_err();
    assert_eq!(err.port, "m_axis_tx");
    assert!(err.message.contains("not the last"), "{}", err.message);

    let mut mac = MacSink::new(64, 1518, 100, 1);
    let err = offer(&mut mac, &[(vec![1; 8], 0xF5, true)], 8).unwrap_err();
    assert!(err.message.contains("not contiguous"), "{}", err.message);

    let mut mac = MacSink::new(64, 1518, 100, 1);
    let beats: Vec<_> = (0..190).map(|k| (vec![0; 8], 0xFF, k == 189)).collect();
    let err = offer(&mut mac, &beats, 8).unwrap_err();
    assert!(err.message.contains("longer than 1518"), "{}", err.message);
}

#[test]
fn pcap_is_written_and_reads_back() {
    let frames = vec![
        Frame {
            cycle: 100,
            data: (0..60).collect(),
        },
        Frame {
            cycle: 2_000_000_123,
            data: vec![0xAB; 1514],
        },
    ];
    let mut buf = Vec::new();
    write_pcap(&mut buf, &frames).unwrap();
    let mut r = PcapReader::new(&buf[..]).unwrap();
    assert_eq!(r.header().datalink, DataLink::ETHERNET);
    assert_eq!(r.header().ts_resolution, TsResolution::NanoSecond);
    for f in &frames {
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(&p.data[..], &f.data[..]);
        assert_eq!(p.orig_len as usize, f.data.len());
        assert_eq!(p.timestamp.as_nanos(), u128::from(f.cycle));
    }
    assert!(r.next_packet().is_none());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frames.pcap");
    txoe_testbench::pcap::write_pcap_file(&path, &frames).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let mut r = PcapReader::new(file).unwrap();
    assert_eq!(r.next_packet().unwrap().unwrap().data.len(), 60);
}

#[test]
fn completions_are_json_lines() {
    let e = |cookie, status, bytes, segments| CompletionEntry {
        cookie,
        bytes,
        segments,
        status,
        phase: true,
        end_of_batch: false,
        reason: CloseReason::MaxBatch,
    };
    let b = Batch {
        index: 3,
        cycle: 1234,
        first: 6,
        reason: CloseReason::Timeout,
        entries: vec![
            e(7, Status::Ok as u8, 100, 1),
            e(u64::MAX, Status::BadLength as u8, 0, 0),
            e(9, 200, 0, 0),
        ],
    };
    let line = batch_json(&b);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"batch": 3, "cycle": 1234, "reason": "timeout", "entries": [
            {"cookie": 7, "status": "ok", "bytes": 100, "segments": 1},
            {"cookie": u64::MAX, "status": "bad_length", "bytes": 0, "segments": 0},
            {"cookie": 9, "status": "unknown(200)", "bytes": 0, "segments": 0}
        ]})
    );
    let mut out = Vec::new();
    write_jsonl(&mut out, &[b.clone(), b]).unwrap();
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 2);
}

#[test]
fn payload_is_a_pure_function_of_seed_send_and_byte() {
    let a = payload(5, 17, 3000);
    assert_eq!(a, payload(5, 17, 3000));
    assert_eq!(payload_byte(5, 17, 2999), a[2999]);
    assert_ne!(a, payload(5, 18, 3000));
    assert_eq!(buf_addr(2, 7), 0x0100_0000 + 2 * 0x2_0000 + 7);
}
