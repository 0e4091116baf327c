//! The whole environment against a small stand-in device: a register file on `s_axil_*`
//! and a completion writer on `m_axi_*` that answers every send with one single-entry
//! batch (closed by the timeout, by IMMEDIATE, or at the CQ's end, as the rules say for a
//! batch of one) and never transmits, so every send in its scenario is one the engine
//! rejects. It checks the host's register sequence, descriptors,
//! payload placement, doorbell timing, CQ consumption with phase wrap, the read-back, and
//! that a device that lies is caught.

use std::collections::HashMap;

use txoe_cosim::{EnvError, Environment};
use txoe_model::layout::{CloseReason, CompletionEntry, Descriptor, Status, DESC_BYTES};
use txoe_model::ports::{Inputs, Outputs};
use txoe_model::regs;
use txoe_testbench::host::FIRST_ACCESS_CYCLE;
use txoe_testbench::memory::bus_from_bytes;
use txoe_testbench::payload::{buf_addr, payload, TX_RING_BASE};
use txoe_testbench::scenario::{expected_rejection, Scenario};
use txoe_testbench::TbEnv;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bug {
    None,
    /// `CNT_CPL` reads one less than written.
    CountOff,
    /// The third completion carries a wrong cookie.
    Cookie,
    /// The fourth completion is never written.
    Lost,
    /// The second batch (one entry, not IMMEDIATE, not at the CQ's end) claims `max_batch`.
    Reason,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Wr {
    Idle,
    Aw,
    W(u8),
    B,
}

struct Fake {
    bug: Bug,
    /// Cookie, status and IMMEDIATE of each send, in ring order.
    sends: Vec<(u64, Status, bool)>,
    regs: HashMap<u32, u32>,
    aw: Option<u32>,
    w: Option<u32>,
    b_pending: bool,
    r_pending: Option<u32>,
    wr: Wr,
    entry: [u8; 16],
    tx_head: u32,
    cq_tail: u32,
    phase: bool,
    done: usize,
    cnt_cpl: u32,
    cnt_err: u32,
    /// Batches per close reason.
    cnt_close: [u32; 4],
    /// `(cycle of the write, address, data)` of every register write.
    writes: Vec<(u64, u32, u32)>,
    reads: Vec<u32>,
}

impl Fake {
    fn new(sc: &Scenario, bug: Bug) -> Self {
        let sends = sc
            .sends
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // The stand-in never transmits, so the scenario holds only sends the
                // engine must reject (its connections' MSS are below 64).
                let st = expected_rejection(sc, s).expect("a send the engine rejects");
                (sc.cookie(i), st, s.immediate)
            })
            .collect();
        Fake {
            bug,
            sends,
            regs: HashMap::new(),
            aw: None,
            w: None,
            b_pending: false,
            r_pending: None,
            wr: Wr::Idle,
            entry: [0; 16],
            tx_head: 0,
            cq_tail: 0,
            phase: true,
            done: 0,
            cnt_cpl: 0,
            cnt_err: 0,
            cnt_close: [0; 4],
            writes: Vec::new(),
            reads: Vec::new(),
        }
    }

    fn reg(&self, a: u32) -> u32 {
        self.regs.get(&a).copied().unwrap_or(0)
    }

    fn read(&self, a: u32) -> u32 {
        match a {
            regs::ID => regs::ID_VALUE,
            regs::CNT_CPL if self.bug == Bug::CountOff => self.cnt_cpl - 1,
            regs::CNT_CPL | regs::CNT_BATCH => self.cnt_cpl,
            regs::CNT_ERR => self.cnt_err,
            regs::CNT_CLOSE_MAX_BATCH => self.cnt_close[0],
            regs::CNT_CLOSE_TIMEOUT => self.cnt_close[1],
            regs::CNT_CLOSE_IMMEDIATE => self.cnt_close[2],
            regs::CNT_CLOSE_RING_END => self.cnt_close[3],
            regs::TX_HEAD => self.tx_head,
            regs::CQ_TAIL => self.cq_tail,
            regs::CNT_FRAMES | regs::CNT_BYTES | regs::ERR => 0,
            _ => self.reg(a),
        }
    }

    fn cycle(&mut self, c: u64, inp: &Inputs) -> Outputs {
        let mut out = Outputs {
            s_axil_awready: self.aw.is_none() && !self.b_pending,
            s_axil_wready: self.w.is_none() && !self.b_pending,
            s_axil_bvalid: self.b_pending,
            s_axil_arready: self.r_pending.is_none(),
            s_axil_rvalid: self.r_pending.is_some(),
            s_axil_rdata: self.r_pending.unwrap_or(0),
            ..Outputs::default()
        };
        let cq_size = 1u32 << self.reg(regs::CQ_LOG2);
        let cq_base =
            u64::from(self.reg(regs::CQ_BASE_LO)) | (u64::from(self.reg(regs::CQ_BASE_HI)) << 32);
        match self.wr {
            Wr::Idle => {}
            Wr::Aw => {
                out.m_axi_awvalid = true;
                out.m_axi_awaddr = cq_base + 16 * u64::from(self.cq_tail);
                out.m_axi_awlen = 1;
                out.m_axi_awsize = 3;
                out.m_axi_awburst = 1;
            }
            Wr::W(b) => {
                out.m_axi_wvalid = true;
                out.m_axi_wdata =
                    bus_from_bytes(&self.entry[usize::from(b) * 8..usize::from(b) * 8 + 8]);
                out.m_axi_wstrb = 0xFF;
                out.m_axi_wlast = b == 1;
            }
            Wr::B => out.m_axi_bready = true,
        }
        if inp.rst {
            return out;
        }

        // Registers.
        if inp.s_axil_awvalid && out.s_axil_awready {
            self.aw = Some(inp.s_axil_awaddr);
        }
        if inp.s_axil_wvalid && out.s_axil_wready {
            self.w = Some(inp.s_axil_wdata);
        }
        if self.b_pending && inp.s_axil_bready {
            self.b_pending = false;
        }
        if let (Some(a), Some(d)) = (self.aw, self.w) {
            self.regs.insert(a, d);
            self.writes.push((c, a, d));
            self.aw = None;
            self.w = None;
            self.b_pending = true;
        }
        if self.r_pending.is_some() && inp.s_axil_rready {
            self.r_pending = None;
        }
        if inp.s_axil_arvalid && out.s_axil_arready {
            self.reads.push(inp.s_axil_araddr);
            self.r_pending = Some(self.read(inp.s_axil_araddr));
        }

        // Completion writer: one entry per batch, for every descriptor the tail covers.
        let tx_size = 1u32 << self.reg(regs::TX_LOG2);
        let cq_head = self.reg(regs::CQ_HEAD);
        match self.wr {
            Wr::Idle => {
                let room = (self.cq_tail + 1) % cq_size != cq_head;
                if self.reg(regs::CTRL) & 1 != 0 && self.tx_head != self.reg(regs::TX_TAIL) && room
                {
                    if self.bug == Bug::Lost && self.done == 3 {
                        self.done += 1;
                        self.tx_head = (self.tx_head + 1) % tx_size;
                        return out;
                    }
                    let (mut cookie, status, immediate) = self.sends[self.done];
                    if self.bug == Bug::Cookie && self.done == 2 {
                        cookie ^= 1;
                    }
                    let reason = if immediate {
                        CloseReason::Immediate
                    } else if self.cq_tail + 1 == cq_size {
                        CloseReason::RingEnd
                    } else if self.bug == Bug::Reason && self.done == 1 {
                        CloseReason::MaxBatch
                    } else {
                        CloseReason::Timeout
                    };
                    self.cnt_close[reason as usize] += 1;
                    self.entry = CompletionEntry {
                        cookie,
                        bytes: 0,
                        segments: 0,
                        status: status as u8,
                        phase: self.phase,
                        end_of_batch: true,
                        reason,
                    }
                    .encode();
                    self.wr = Wr::Aw;
                }
            }
            Wr::Aw if inp.m_axi_awready => self.wr = Wr::W(0),
            Wr::W(b) if inp.m_axi_wready => self.wr = if b == 1 { Wr::B } else { Wr::W(b + 1) },
            Wr::B if inp.m_axi_bvalid => {
                if self.sends[self.done].1 != Status::Ok {
                    self.cnt_err += 1;
                }
                self.done += 1;
                self.cnt_cpl += 1;
                self.cq_tail = (self.cq_tail + 1) % cq_size;
                if self.cq_tail == 0 {
                    self.phase = !self.phase;
                }
                self.tx_head = (self.tx_head + 1) % tx_size;
                self.wr = Wr::Idle;
            }
            _ => {}
        }
        out
    }
}

fn scenario() -> Scenario {
    let text = r#"{
      "config": { "tx_ring_log2": 2, "cq_log2": 2 },
      "connections": [
        { "id": 3, "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02",
          "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2", "src_port": 1000, "dst_port": 80,
          "seq": 77, "ack": 5, "vlan": 12, "mss": 40 },
        { "id": 0, "ipv6": true, "src_mac": "02:00:00:00:00:03", "dst_mac": "02:00:00:00:00:04",
          "src_ip": "fd00::1", "dst_ip": "fd00::2", "src_port": 2000, "dst_port": 443, "mss": 20 }
      ],
      "sends": [
        { "conn": 3, "len": 100, "buf_offset": 5, "psh": true },
        { "conn": 3, "len": 0 },
        { "conn": 0, "len": 64, "immediate": true, "cookie": 99 },
        { "conn": 9, "len": 10 },
        { "conn": 3, "len": 1460, "fin": true, "buf_offset": 7 },
        { "conn": 3, "len": 70000, "at_cycle": 400 },
        { "conn": 300, "len": 1, "at_cycle": 401 },
        { "conn": 3, "len": 1, "at_cycle": 900 }
      ],
      "env": { "seed": 11, "cq_consumer_lag": 30, "mem_latency": [1, 3], "mem_gap_percent": 20 }
    }"#;
    Scenario::from_json_str(text).unwrap()
}

/// Run the environment against the fake; check each descriptor as its doorbell is rung.
fn run(sc: &Scenario, bug: Bug, max: u64) -> (TbEnv, Fake, Result<u64, EnvError>) {
    let mut env = TbEnv::new(sc, true);
    let mut fake = Fake::new(sc, bug);
    let mut checked_tail = 0u32;
    let mut next_desc = 0usize;
    let ring = sc.config.tx_ring_size();
    for c in 0..max {
        if env.finished() {
            return (env, fake, Ok(c));
        }
        let inp = env.drive(c);
        let out = fake.cycle(c, &inp);
        if let Err(e) = env.observe(c, &inp, &out) {
            return (env, fake, Err(e));
        }
        // A new doorbell: the descriptors up to it are in memory, with their payloads.
        let tail = fake.reg(regs::TX_TAIL);
        while checked_tail != tail {
            let mut b = [0u8; DESC_BYTES];
            env.memory.mem.read(
                TX_RING_BASE + DESC_BYTES as u64 * u64::from(checked_tail),
                &mut b,
            );
            let d = Descriptor::decode(&b);
            let s = &sc.sends[next_desc];
            let want = Descriptor {
                buf_addr: buf_addr(next_desc as u64, s.buf_offset),
                len: s.len,
                conn: s.conn,
                flags: s.flags(),
                cookie: sc.cookie(next_desc),
                reserved: 0,
            };
            assert_eq!(d, want, "descriptor of send {next_desc}");
            assert!(
                c + 1 >= s.at_cycle,
                "send {next_desc} rung at {c}, before its at_cycle {}",
                s.at_cycle
            );
            if s.len <= 65535 {
                let mut p = vec![0u8; s.len as usize];
                env.memory.mem.read(d.buf_addr, &mut p);
                assert_eq!(
                    p,
                    payload(sc.env.seed, next_desc as u64, s.len as usize),
                    "payload of send {next_desc}"
                );
            }
            checked_tail = (checked_tail + 1) % ring;
            next_desc += 1;
        }
    }
    let p = env.progress();
    (
        env,
        fake,
        Err(EnvError {
            cycle: max,
            port: "test".into(),
            message: format!("not finished: {p}"),
        }),
    )
}

#[test]
fn host_configures_posts_consumes_and_reads_back() {
    let sc = scenario();
    let (mut env, fake, r) = run(&sc, Bug::None, 20_000);
    let end = r.unwrap_or_else(|e| panic!("cycle {} port {}: {}", e.cycle, e.port, e.message));
    assert!(end > 900);

    // Register sequence: ID read first, contexts, globals, CTRL last of the configuration.
    assert_eq!(fake.reads[0], regs::ID);
    let w = &fake.writes;
    assert!(w[0].0 >= FIRST_ACCESS_CYCLE);
    let mut i = 0;
    for c in &sc.connections {
        for (k, v) in c.to_context().to_words().iter().enumerate() {
            assert_eq!(
                (w[i].1, w[i].2),
                (regs::ctx_addr(u32::from(c.id), k as u32), *v)
            );
            i += 1;
        }
    }
    let globals: Vec<(u32, u32)> = w[i..i + 13].iter().map(|x| (x.1, x.2)).collect();
    assert_eq!(
        globals,
        [
            (regs::MTU, 1500),
            (regs::MAX_BATCH, 8),
            (regs::TIMEOUT, 200),
            (regs::IPV4_ID, 0x8000),
            (regs::IPV6_ID, 0x8000_0000),
            (regs::TX_BASE_LO, 0x1_0000),
            (regs::TX_BASE_HI, 0),
            (regs::TX_LOG2, 2),
            (regs::CQ_BASE_LO, 0x4_0000),
            (regs::CQ_BASE_HI, 0),
            (regs::CQ_LOG2, 2),
            (regs::IRQ_MASK, 0),
            (regs::CTRL, 1),
        ]
    );
    let rest = &w[i + 13..];
    // The first doorbell fills the ring (3 of 4 slots), no more.
    assert_eq!((rest[0].1, rest[0].2), (regs::TX_TAIL, 3));
    assert!(rest
        .iter()
        .all(|x| x.1 == regs::TX_TAIL || x.1 == regs::CQ_HEAD));
    // Sends at cycle 400 and 401 are not rung before 400.
    let late = rest
        .iter()
        .filter(|x| x.1 == regs::TX_TAIL)
        .find(|x| x.0 >= 400)
        .unwrap();
    assert!(
        late.0 >= 400 && late.0 < 420,
        "doorbell for the cycle-400 sends at {}",
        late.0
    );
    assert!(rest.iter().any(|x| x.1 == regs::CQ_HEAD));

    // Read-back at the end: STATUS until idle, then the shared driver's list, including
    // snd_nxt of both connections.
    let tail_reads = &fake.reads[fake.reads.len() - 20..];
    assert_eq!(
        tail_reads,
        [
            regs::STATUS,
            regs::CNT_FRAMES,
            regs::CNT_BYTES,
            regs::CNT_CPL,
            regs::CNT_BATCH,
            regs::CNT_ERR,
            regs::CNT_CLOSE_MAX_BATCH,
            regs::CNT_CLOSE_TIMEOUT,
            regs::CNT_CLOSE_IMMEDIATE,
            regs::CNT_CLOSE_RING_END,
            regs::TX_HEAD,
            regs::CQ_TAIL,
            regs::ERR,
            regs::IPV4_ID,
            regs::IPV6_ID,
            regs::STATUS,
            regs::ID,
            regs::CQ_HEAD,
            regs::ctx_addr(0, 14),
            regs::ctx_addr(3, 14)
        ]
    );

    // One batch per send, in order, with the statuses the scoreboard expects.
    let (batches, frames) = env.take_results(true);
    assert!(frames.is_empty());
    assert_eq!(batches.len(), 8);
    let names: Vec<&str> = batches
        .iter()
        .map(|b| Status::from_code(b.entries[0].status).unwrap().name())
        .collect();
    assert_eq!(
        names,
        [
            "mss_too_small",
            "bad_length",
            "mss_too_small",
            "invalid_ctx",
            "mss_too_small",
            "too_long",
            "bad_conn",
            "mss_too_small"
        ]
    );
    assert_eq!(batches[2].entries[0].cookie, 99);
    assert_eq!(batches[2].reason, CloseReason::Immediate);
    assert_eq!(
        batches[3].reason,
        CloseReason::RingEnd,
        "CQ index 3 is the ring's last"
    );
    assert!(batches
        .windows(2)
        .all(|w| w[0].cycle < w[1].cycle && w[1].index == w[0].index + 1));
    assert_eq!(
        batches.iter().map(|b| b.first).collect::<Vec<_>>(),
        [0, 1, 2, 3, 0, 1, 2, 3]
    );
}

#[test]
fn consumer_lag_delays_cq_head() {
    let sc = scenario();
    let (_, fake, r) = run(&sc, Bug::None, 20_000);
    r.unwrap();
    // No CQ_HEAD write comes sooner than the lag after the CTRL write plus a round trip.
    let ctrl = fake.writes.iter().find(|w| w.1 == regs::CTRL).unwrap().0;
    let first_head = fake.writes.iter().find(|w| w.1 == regs::CQ_HEAD).unwrap().0;
    assert!(
        first_head >= ctrl + 30,
        "CQ_HEAD at {first_head}, CTRL at {ctrl}"
    );
}

#[test]
fn a_wrong_counter_is_a_csr_error() {
    let (_, _, r) = run(&scenario(), Bug::CountOff, 20_000);
    let e = r.unwrap_err();
    assert_eq!(e.port, "csr");
    assert!(
        e.message
            .starts_with("CNT_CPL reads 0x7 (7), expected 0x8 (8)"),
        "{}",
        e.message
    );
}

#[test]
fn a_wrong_cookie_is_a_scoreboard_error() {
    let (_, _, r) = run(&scenario(), Bug::Cookie, 20_000);
    let e = r.unwrap_err();
    assert_eq!(e.port, "scoreboard");
    assert!(
        e.message.contains("send 2") && e.message.contains("cookie 0x62"),
        "{}",
        e.message
    );
}

#[test]
fn a_lost_completion_is_caught() {
    let (_, _, r) = run(&scenario(), Bug::Lost, 20_000);
    let e = r.unwrap_err();
    assert!(
        e.port == "scoreboard" || e.port == "test",
        "{}: {}",
        e.port,
        e.message
    );
}

#[test]
fn a_wrong_close_reason_is_a_batch_error() {
    let (_, _, r) = run(&scenario(), Bug::Reason, 20_000);
    let e = r.unwrap_err();
    assert_eq!(e.port, "batch");
    assert!(
        e.message.starts_with("batch 1: reason max_batch, expected timeout: 1 entries from CQ index 1"),
        "{}",
        e.message
    );
}
