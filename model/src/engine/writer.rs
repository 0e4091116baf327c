//! The completion writer's timing shell: the completion queue, the close decision taken
//! every idle cycle, and the CQ write burst (`docs/microarchitecture.md`, "Completion
//! writer"). Which batch closes, with how many entries and why, is
//! [`crate::core::coalesce`]; this block decides when and drives the AXI4 write channels.

use std::collections::VecDeque;

use super::{Completion, AXI_OKAY, BURST_INCR, CPLQ_DEPTH};
use crate::core::coalesce::{self, Close, QueueView};
use crate::layout::{CloseReason, CompletionEntry, Status, CPL_BYTES};
use crate::ports::{set_bus_byte, Inputs, Outputs};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrState {
    Idle,
    Aw,
    W,
    B,
    Halt,
}

/// The registers the writer acts on, as they are in this cycle.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct WriterCfg {
    pub cq_base: u64,
    pub cq_log2: u32,
    pub cq_head: u32,
    pub max_batch: u32,
    pub timeout: u32,
    /// TX ring size − 1.
    pub tx_mask: u32,
}

/// A batch whose write response came back OKAY this cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct BatchDone {
    pub entries: u32,
    pub errors: u32,
    pub reason: CloseReason,
}

/// What the writer decides in phase 1 of a cycle.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct WriterIo {
    /// The batch that starts this cycle.
    pub start: Option<Close>,
    pub batch_done: Option<BatchDone>,
    pub err_cpl_write: bool,
}

/// One occupied queue slot: the completion and the `now` value of its first pending cycle.
#[derive(Clone, Copy, Debug)]
pub(super) struct Slot {
    c: Completion,
    ts: u32,
}

#[derive(Clone, Debug)]
pub(super) struct CplWriter {
    pub state: WrState,
    /// Occupied slots, oldest first: the batch in flight (the first `inflight`), then the
    /// pending ones. Its length is what the TX engine compares with `CPLQ_DEPTH`.
    pub queue: VecDeque<Slot>,
    inflight: usize,
    reason: CloseReason,
    beat: usize,
    pub cq_tail: u32,
    pub tx_head: u32,
    phase: bool,
    /// Free-running cycle counter.
    now: u32,
    /// Bytes per beat.
    bw: usize,
}

impl CplWriter {
    pub fn new(bw: usize) -> Self {
        CplWriter {
            state: WrState::Idle,
            queue: VecDeque::with_capacity(CPLQ_DEPTH),
            inflight: 0,
            reason: CloseReason::MaxBatch,
            beat: 0,
            cq_tail: 0,
            tx_head: 0,
            phase: true,
            now: 0,
            bw,
        }
    }

    /// Pending completions, `n`.
    pub fn pending(&self) -> usize {
        self.queue.len() - self.inflight
    }

    /// The decision's inputs in this cycle.
    fn view(&self, cfg: &WriterCfg) -> QueueView {
        let pending = self.queue.iter().skip(self.inflight);
        let immediate = pending
            .clone()
            .take(16)
            .enumerate()
            .fold(0u16, |m, (i, s)| m | (u16::from(s.c.immediate) << i));
        let head_age = pending.clone().next().map_or(0, |s| self.now.wrapping_sub(s.ts));
        QueueView {
            pending: self.pending() as u32,
            immediate,
            head_age,
            timeout: cfg.timeout,
            max_batch: cfg.max_batch,
            cq_log2: cfg.cq_log2,
            cq_tail: self.cq_tail,
            cq_head: cfg.cq_head,
        }
    }

    /// Byte address of the batch's first entry and its offset in its beat.
    fn first_entry(&self, cfg: &WriterCfg) -> (u64, usize) {
        let a = cfg.cq_base.wrapping_add(u64::from(self.cq_tail) * CPL_BYTES as u64);
        (a, (a % self.bw as u64) as usize)
    }

    /// Beats of the burst of the batch in flight: `ceil((off + 16·k) / BW)`.
    fn beats(&self, cfg: &WriterCfg) -> usize {
        let (_, off) = self.first_entry(cfg);
        (off + CPL_BYTES * self.inflight).div_ceil(self.bw)
    }

    /// Entry `e` of the batch in flight, as written to the CQ.
    fn entry(&self, e: usize) -> [u8; CPL_BYTES] {
        let c = self.queue[e].c;
        let eob = e + 1 == self.inflight;
        CompletionEntry {
            cookie: c.cookie,
            bytes: c.bytes,
            segments: c.segments,
            status: c.status as u8,
            phase: self.phase,
            end_of_batch: eob,
            reason: if eob { self.reason } else { CloseReason::MaxBatch },
        }
        .encode()
    }

    /// Phase 1: the write channels' outputs and the writer's decisions of this cycle.
    pub fn wires(&self, cfg: &WriterCfg, inp: &Inputs, out: &mut Outputs) -> WriterIo {
        let mut io = WriterIo::default();
        let bw = self.bw;
        match self.state {
            WrState::Idle => {
                let q = self.view(cfg);
                io.start = coalesce::start(&q);
                self.check_start(&q, io.start);
            }
            WrState::Aw => {
                let (a, _) = self.first_entry(cfg);
                out.m_axi_awvalid = true;
                out.m_axi_awaddr = a & !(bw as u64 - 1);
                out.m_axi_awlen = (self.beats(cfg) - 1) as u8;
                out.m_axi_awsize = bw.trailing_zeros() as u8;
                out.m_axi_awburst = BURST_INCR;
            }
            WrState::W => {
                let (_, off) = self.first_entry(cfg);
                let len = CPL_BYTES * self.inflight;
                let first = self.beat * bw;
                let mut cached: Option<(usize, [u8; CPL_BYTES])> = None;
                for j in 0..bw {
                    let Some(p) = (first + j).checked_sub(off).filter(|&p| p < len) else {
                        continue;
                    };
                    let e = p / CPL_BYTES;
                    let bytes = match cached {
                        Some((ce, b)) if ce == e => b,
                        _ => {
                            let b = self.entry(e);
                            cached = Some((e, b));
                            b
                        }
                    };
                    set_bus_byte(&mut out.m_axi_wdata, j, bytes[p % CPL_BYTES]);
                    out.m_axi_wstrb |= 1u64 << j;
                }
                out.m_axi_wvalid = true;
                out.m_axi_wlast = self.beat + 1 == self.beats(cfg);
            }
            WrState::B => {
                out.m_axi_bready = true;
                if inp.m_axi_bvalid {
                    if inp.m_axi_bresp == AXI_OKAY {
                        let errors = self
                            .queue
                            .iter()
                            .take(self.inflight)
                            .filter(|s| s.c.status != Status::Ok)
                            .count();
                        io.batch_done = Some(BatchDone {
                            entries: self.inflight as u32,
                            errors: errors as u32,
                            reason: self.reason,
                        });
                    } else {
                        io.err_cpl_write = true;
                    }
                }
            }
            WrState::Halt => {}
        }
        io
    }

    /// The invariants of the close decision (docs: "Invariants"), in an idle cycle.
    fn check_start(&self, q: &QueueView, start: Option<Close>) {
        if let Some(c) = start {
            debug_assert!(
                c.k >= 1 && c.k <= q.max_batch && c.k < q.cq_size() && c.k <= q.to_end(),
                "BatchSize: batch of {} (MAX_BATCH {}, CQ of {}, {} slots to the ring end)",
                c.k,
                q.max_batch,
                q.cq_size(),
                q.to_end()
            );
            debug_assert!(c.k <= q.free(), "CqNoOverwrite: batch of {} with {} free", c.k, q.free());
        }
        let room = q.pending.min(q.mx()).min(q.to_end());
        debug_assert!(
            !(q.pending >= 1 && q.head_age >= q.timeout && q.free() >= room) || start.is_some(),
            "TimeoutHonoured: oldest completion {} cycles old (TIMEOUT {}), {} free, no batch",
            q.head_age,
            q.timeout,
            q.free()
        );
    }

    /// Phase 2: take this cycle's push and handshakes.
    pub fn edge(&mut self, cfg: &WriterCfg, inp: &Inputs, io: &WriterIo, push: Option<Completion>) {
        if let Some(c) = push {
            debug_assert!(self.queue.len() < CPLQ_DEPTH, "CplqNoOverflow: push into a full queue");
            self.queue.push_back(Slot { c, ts: self.now.wrapping_add(1) });
        }
        match self.state {
            WrState::Idle => {
                if let Some(c) = io.start {
                    self.inflight = c.k as usize;
                    self.reason = c.reason;
                    self.state = WrState::Aw;
                }
            }
            WrState::Aw => {
                if inp.m_axi_awready {
                    self.beat = 0;
                    self.state = WrState::W;
                }
            }
            WrState::W => {
                if inp.m_axi_wready {
                    self.beat += 1;
                    if self.beat == self.beats(cfg) {
                        self.state = WrState::B;
                    }
                }
            }
            WrState::B => {
                if io.batch_done.is_some() {
                    let size = 1u32 << cfg.cq_log2;
                    let k = self.inflight as u32;
                    let end = self.cq_tail + k;
                    if end >= size {
                        self.cq_tail = end - size;
                        self.phase = !self.phase;
                    } else {
                        self.cq_tail = end;
                    }
                    self.tx_head = (self.tx_head + k) & cfg.tx_mask;
                    self.queue.drain(..self.inflight);
                    self.inflight = 0;
                    self.state = WrState::Idle;
                } else if io.err_cpl_write {
                    self.state = WrState::Halt;
                }
            }
            WrState::Halt => {}
        }
        self.now = self.now.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Outputs;

    const DOC: &str = include_str!("../../../docs/microarchitecture.md");

    fn cpl(cookie: u64, immediate: bool) -> Completion {
        Completion { cookie, bytes: 100, segments: 1, status: Status::Ok, immediate }
    }

    /// One cycle of the writer alone, with memory that takes AW and W at once and answers
    /// in the cycle after `wlast`.
    struct Bench {
        wr: CplWriter,
        cfg: WriterCfg,
        b_next: bool,
        bresp: u8,
        done_once: bool,
        write_errors: u32,
    }

    /// What one cycle showed.
    struct Cycle {
        push: Option<(char, bool)>,
        n: usize,
        age: Option<u32>,
        rule: Option<CloseReason>,
        state: WrState,
        out: Outputs,
        entries: String,
        bvalid: bool,
        cq_tail: u32,
        irq: bool,
    }

    impl Bench {
        fn new(bw: usize, cfg: WriterCfg) -> Self {
            Bench { wr: CplWriter::new(bw), cfg, b_next: false, bresp: AXI_OKAY, done_once: false, write_errors: 0 }
        }

        fn cycle(&mut self, push: Option<(char, bool)>) -> Cycle {
            let inp = Inputs {
                m_axi_awready: true,
                m_axi_wready: true,
                m_axi_bvalid: self.b_next,
                m_axi_bresp: self.bresp,
                ..Inputs::default()
            };
            let mut out = Outputs::default();
            let io = self.wr.wires(&self.cfg, &inp, &mut out);
            let mut entries = String::new();
            if out.m_axi_wvalid {
                for lane in (0..self.wr.bw).step_by(CPL_BYTES) {
                    if out.m_axi_wstrb >> lane & 1 != 0 {
                        let b = crate::ports::bus_byte(&out.m_axi_wdata, lane) as char;
                        let eob = crate::ports::bus_byte(&out.m_axi_wdata, lane + 15) & 2 != 0;
                        entries.push(b);
                        if eob {
                            entries.push('*');
                        }
                    }
                }
            }
            let q = self.wr.view(&self.cfg);
            let c = Cycle {
                push,
                n: self.wr.pending(),
                age: (q.pending > 0).then_some(q.head_age),
                rule: io.start.map(|s| s.reason),
                state: self.wr.state,
                out,
                entries,
                bvalid: inp.m_axi_bvalid,
                cq_tail: self.wr.cq_tail,
                irq: self.done_once,
            };
            self.b_next = out.m_axi_wvalid && out.m_axi_wlast;
            self.done_once |= io.batch_done.is_some();
            self.write_errors += u32::from(io.err_cpl_write);
            let push = push.map(|(name, imm)| cpl(name as u64, imm));
            self.wr.edge(&self.cfg, &inp, &io, push);
            c
        }
    }

    fn render(cycles: &[Cycle]) -> Vec<String> {
        let row = |label: &str, cell: &dyn Fn(usize) -> String| -> String {
            let mut s = format!("{label:<11}");
            for i in 0..cycles.len() {
                s.push_str(&format!("{:<3}", cell(i)));
            }
            s.trim_end().to_string()
        };
        let bit = |f: fn(&Cycle) -> bool| {
            move |i: usize| -> String {
                if !f(&cycles[i]) {
                    String::new()
                } else if cycles.get(i + 1).is_some_and(f) {
                    "‾‾‾".into()
                } else {
                    "‾‾".into()
                }
            }
        };
        vec![
            row("cycle", &|i| i.to_string()),
            row("push", &|i| {
                cycles[i].push.map_or(String::new(), |(n, imm)| format!("{n}{}", if imm { "!" } else { "" }))
            }),
            row("n", &|i| cycles[i].n.to_string()),
            row("age", &|i| cycles[i].age.map_or(String::new(), |a| a.to_string())),
            row("rule", &|i| match cycles[i].rule {
                None => String::new(),
                Some(CloseReason::Timeout) => "T".into(),
                Some(_) => "S".into(),
            }),
            row("state", &|i| {
                match cycles[i].state {
                    WrState::Idle => "I",
                    WrState::Aw => "AW",
                    WrState::W => "W",
                    WrState::B => "B",
                    WrState::Halt => "H",
                }
                .into()
            }),
            row("awvalid", &bit(|c| c.out.m_axi_awvalid)),
            row("awlen", &|i| {
                let o = &cycles[i].out;
                if o.m_axi_awvalid { o.m_axi_awlen.to_string() } else { String::new() }
            }),
            row("wvalid", &bit(|c| c.out.m_axi_wvalid)),
            row("wlast", &bit(|c| c.out.m_axi_wvalid && c.out.m_axi_wlast)),
            row("entry", &|i| cycles[i].entries.clone()),
            row("bvalid", &bit(|c| c.bvalid)),
            row("CQ_TAIL", &|i| cycles[i].cq_tail.to_string()),
            row("irq", &bit(|c| c.irq)),
        ]
    }

    /// The diagram's code block in the docs, line by line.
    fn doc_diagram() -> Vec<String> {
        let at = DOC.find("### Timing diagram").expect("the docs have a timing diagram");
        let rest = &DOC[at..];
        let start = rest.find("```\n").expect("code block") + 4;
        let end = start + rest[start..].find("```").expect("end of code block");
        rest[start..end].lines().map(|l| l.trim_end().to_string()).collect()
    }

    #[test]
    fn replays_the_timing_diagram_of_the_docs() {
        let cfg = WriterCfg {
            cq_base: 0x4_0000,
            cq_log2: 4,
            cq_head: 0,
            max_batch: 3,
            timeout: 4,
            tx_mask: 15,
        };
        let mut bench = Bench::new(16, cfg);
        let pushes = [(1, 'A', false), (3, 'B', false), (4, 'C', false), (8, 'D', false), (16, 'E', false), (18, 'F', true)];
        let cycles: Vec<Cycle> = (0..25)
            .map(|t| bench.cycle(pushes.iter().find(|p| p.0 == t).map(|p| (p.1, p.2))))
            .collect();
        let got = render(&cycles);
        let want = doc_diagram();
        assert_eq!(got, want, "the docs' diagram differs from the model:\n{}", got.join("\n"));
        // awaddr of the three bursts: tail 0, 3, 4
        let addrs: Vec<u64> =
            cycles.iter().filter(|c| c.out.m_axi_awvalid).map(|c| c.out.m_axi_awaddr).collect();
        assert_eq!(addrs, [0x4_0000, 0x4_0030, 0x4_0040]);
    }

    #[test]
    fn batch_waits_for_cq_room_and_grows_meanwhile() {
        // 8-entry CQ, tail 2, head 3: 7 entries unconsumed, no room. Two completions time
        // out at once (TIMEOUT 0) but wait; a third joins before the host frees enough.
        let cfg = WriterCfg { cq_base: 0, cq_log2: 3, cq_head: 3, max_batch: 8, timeout: 0, tx_mask: 7 };
        let mut bench = Bench::new(8, cfg);
        bench.wr.cq_tail = 2;
        bench.cycle(Some(('A', false)));
        bench.cycle(Some(('B', false)));
        for _ in 0..3 {
            let c = bench.cycle(None);
            assert_eq!((c.n, c.rule), (2, None), "waits for room");
        }
        bench.cycle(Some(('C', false)));
        bench.cfg.cq_head = 5; // the host consumed two: 2 free, the batch needs 3
        let c = bench.cycle(None);
        assert_eq!((c.n, c.rule), (3, None));
        bench.cfg.cq_head = 6;
        let c = bench.cycle(None);
        assert_eq!((c.n, c.rule), (3, Some(CloseReason::Timeout)));
        assert_eq!(bench.wr.inflight, 3);
    }

    #[test]
    fn a_write_error_halts_without_advancing_anything() {
        let cfg = WriterCfg { cq_base: 0, cq_log2: 4, cq_head: 0, max_batch: 2, timeout: 100, tx_mask: 15 };
        let mut bench = Bench::new(8, cfg);
        bench.bresp = 2; // SLVERR
        bench.cycle(Some(('a', false)));
        bench.cycle(Some(('b', false)));
        bench.cycle(Some(('c', false)));
        for _ in 0..20 {
            bench.cycle(None);
        }
        assert_eq!(bench.wr.state, WrState::Halt);
        assert_eq!(bench.write_errors, 1);
        assert!(!bench.done_once, "no batch counted as written");
        assert_eq!((bench.wr.cq_tail, bench.wr.tx_head, bench.wr.queue.len()), (0, 0, 3));
    }

    #[test]
    fn wide_beats_start_and_end_mid_beat() {
        // 512 bits (4 entries a beat), batch of 5 from tail 3: lanes 48..64 of beat 0,
        // beat 1 whole, nothing from beat 2 (3 + 5 = 8 entries = 2 beats).
        let cfg = WriterCfg { cq_base: 0x1000, cq_log2: 5, cq_head: 0, max_batch: 5, timeout: 100, tx_mask: 31 };
        let mut bench = Bench::new(64, cfg);
        bench.wr.cq_tail = 3;
        bench.cfg.cq_head = 3;
        let mut seen = Vec::new();
        for t in 0..20 {
            let push = (t < 5).then_some(((b'a' + t as u8) as char, false));
            let c = bench.cycle(push);
            if c.out.m_axi_awvalid {
                assert_eq!((c.out.m_axi_awaddr, c.out.m_axi_awlen), (0x1000, 1));
            }
            if c.out.m_axi_wvalid {
                seen.push((c.out.m_axi_wstrb, c.out.m_axi_wlast, c.entries.clone()));
            }
        }
        assert_eq!(
            seen,
            [
                (0xFFFF_0000_0000_0000, false, "a".to_string()),
                (u64::MAX, true, "bcde*".to_string()),
            ]
        );
        assert_eq!(bench.wr.cq_tail, 8);
    }
}
