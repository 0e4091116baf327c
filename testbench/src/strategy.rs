//! Random whole scenarios for property tests, and the machinery that runs a lockstep
//! property over them and leaves the shrunk failure behind as a scenario file.
//!
//! [`scenario`] is a [proptest] strategy for [`Scenario`] values: connections of every
//! kind (IPv4, IPv6 with and without a fragment header, tagged or not, MSS below 64
//! included), sends of every size and flag (0, 1, small, exact multiples of the MSS and
//! one either side, multi-segment, 65535 and over; PSH, FIN, IMMEDIATE; unaligned
//! buffers; bursts and idle gaps; connections that do not exist or are out of range),
//! environment knobs (memory latency and gaps, MAC back-pressure, a slow and jittery CQ
//! consumer) and register settings (MTU, `MAX_BATCH`, `TIMEOUT`, ID starts at and near
//! the wraps and in the lower halves, ring sizes). The strategy draws a [`Plan`] whose
//! parts shrink independently and turns it into a scenario with [`Plan::build`]; a send
//! names its connection and length relative to the scenario (the n-th connection, so many
//! segments of its effective MSS), so shrinking keeps a failing send's meaning while
//! connections and sends are removed around it.
//!
//! Scenarios are kept small (at most [`MAX_CONNS`] connections and [`MAX_SENDS`] sends,
//! the largest sends rare) so that one lockstep case runs in a fraction of a second.
//!
//! [`check`] runs a property (normally [`lockstep_property`]) on a number of cases with
//! proptest's runner; on a failure proptest shrinks the scenario and [`check`] writes the
//! minimal one as JSON, which `txoe run FILE` replays exactly.
//!
//! # Adding a scenario key
//!
//! Each part of the scenario has one strategy: [`config`], [`connection`], [`send`]
//! (with [`Plan::build`] resolving it) and [`env`]. A new key is one more element in
//! that part's tuple and one more field where the value is put together.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{
    Config as RunnerConfig, FileFailurePersistence, RngSeed, TestCaseError, TestError, TestRunner,
};
use txoe_cosim::ProbedDevice;
use txoe_model::layout::{MAX_SEND_LEN, MIN_MSS};
use txoe_model::regs;

use crate::report::report_text;
use crate::scenario::{Config, Connection, Env, Fault, IpAddress, MacAddr, Scenario, Send};
use crate::{run_scenario_with, RunConfig, RTL_NUM_CONN};

/// Most connections in a generated scenario.
pub const MAX_CONNS: usize = 4;
/// Most sends in a generated scenario.
pub const MAX_SENDS: usize = 16;

/// Which connection a send names.
#[derive(Clone, Copy, Debug)]
pub enum ConnPick {
    /// One of the scenario's connections (by position, whatever their number).
    Existing(Index),
    /// An id below `num_conn` that no connection has: an invalid context.
    Unused(Index),
    /// `num_conn + n`: out of range.
    OutOfRange(u16),
}

/// How long a send is.
#[derive(Clone, Copy, Debug)]
pub enum LenPick {
    /// 1..=64 bytes.
    Small(u32),
    /// `n` times the connection's effective MSS, plus `delta` (−1, 0 or +1).
    Segments { n: u32, delta: i8 },
    /// Any length up to 9000 bytes.
    Any(u32),
    /// 0: rejected.
    Zero,
    /// The largest legal length, 65535.
    Max,
    /// Over the maximum: rejected.
    OverMax(u32),
}

impl LenPick {
    /// The length for a connection whose effective MSS is `eff_mss` (`None`: the send
    /// names no usable connection).
    pub fn resolve(self, eff_mss: Option<u32>) -> u32 {
        match self {
            LenPick::Small(n) | LenPick::Any(n) => n,
            LenPick::Segments { n, delta } => {
                let mss = eff_mss.unwrap_or(1460).max(1);
                (n * mss).saturating_add_signed(i32::from(delta)).max(1)
            }
            LenPick::Zero => 0,
            LenPick::Max => MAX_SEND_LEN,
            LenPick::OverMax(n) => n,
        }
    }
}

/// One send before it is placed in a scenario.
#[derive(Clone, Debug)]
pub struct SendPlan {
    pub conn: ConnPick,
    pub len: LenPick,
    pub psh: bool,
    pub fin: bool,
    pub immediate: bool,
    pub cookie: Option<u64>,
    /// Cycles after the previous send's `at_cycle`.
    pub gap: u64,
    pub buf_offset: u16,
    /// The fault injected with this send, and the beat it hits (read faults).
    pub fault: Option<Fault>,
    pub fault_beat: u32,
}

/// A scenario in parts that shrink independently; [`Plan::build`] makes the scenario.
#[derive(Clone, Debug)]
pub struct Plan {
    pub config: Config,
    /// Connection `i` gets id `(id_base + i) % num_conn`.
    pub id_base: u16,
    /// Connections with their ids still to be set.
    pub connections: Vec<Connection>,
    pub sends: Vec<SendPlan>,
    pub env: Env,
}

impl Plan {
    /// The scenario: connection ids assigned, each send's connection and length resolved,
    /// `at_cycle` the running sum of the gaps.
    pub fn build(&self) -> Scenario {
        let num_conn = self.config.num_conn;
        let mut connections = self.connections.clone();
        for (i, c) in connections.iter_mut().enumerate() {
            c.id = ((u32::from(self.id_base) + i as u32) % num_conn) as u16;
        }
        let mut at = 0u64;
        let sends = self
            .sends
            .iter()
            .map(|p| {
                let (conn, eff_mss) = match p.conn {
                    ConnPick::Existing(ix) => {
                        let c = &connections[ix.index(connections.len())];
                        (c.id, Some(c.eff_mss(self.config.mtu)))
                    }
                    ConnPick::Unused(ix) => {
                        let free: Vec<u16> = (0..num_conn as u16)
                            .filter(|id| connections.iter().all(|c| c.id != *id))
                            .collect();
                        if free.is_empty() {
                            (num_conn as u16, None)
                        } else {
                            (free[ix.index(free.len())], None)
                        }
                    }
                    ConnPick::OutOfRange(n) => {
                        ((num_conn as u16).saturating_add(n), None)
                    }
                };
                at += p.gap;
                Send {
                    conn,
                    len: p.len.resolve(eff_mss),
                    psh: p.psh,
                    fin: p.fin,
                    immediate: p.immediate,
                    cookie: p.cookie,
                    at_cycle: at,
                    buf_offset: p.buf_offset,
                    fault: p.fault,
                    fault_beat: p.fault_beat,
                }
            })
            .collect();
        let mut sc = Scenario { config: self.config.clone(), connections, sends, env: self.env.clone() };
        // The host learns of errors from `irq`: a scenario with faults leaves `ERR` unmasked.
        if sc.has_faults() {
            sc.config.irq_mask &= !regs::IRQ_ERR;
        }
        sc
    }
}

/// Register settings and build parameters for `data_width` (`num_conn` is the Verilated
/// RTL's).
pub fn config(data_width: u32) -> impl Strategy<Value = Config> {
    let mtu = prop_oneof![
        4 => Just(1500u32),
        1 => Just(regs::MTU_MIN),
        1 => Just(regs::MTU_MAX),
        3 => regs::MTU_MIN..=regs::MTU_MAX,
    ];
    let timeout = prop_oneof![3 => 0u32..=60, 2 => 60u32..=600];
    let id4 = prop_oneof![
        3 => 0xFFF0u16..=0xFFFF,
        1 => 0x7FF8u16..=0x8008,
        2 => any::<u16>(),
    ];
    let id6 = prop_oneof![
        3 => 0xFFFF_FFF0u32..=0xFFFF_FFFF,
        1 => 0x7FFF_FFF8u32..=0x8000_0008,
        2 => any::<u32>(),
    ];
    let ring_log2 = || prop_oneof![4 => 1u32..=4, 1 => 5u32..=regs::RING_LOG2_MAX];
    (mtu, 1u32..=regs::MAX_BATCH_MAX, timeout, id4, id6, ring_log2(), ring_log2(), 0u32..=3)
        .prop_map(move |(mtu, max_batch, timeout_cycles, id4, id6, tx, cq, irq_mask)| Config {
            data_width,
            mtu,
            max_batch,
            timeout_cycles,
            ipv4_id_start: id4,
            ipv6_id_start: id6,
            tx_ring_log2: tx,
            cq_log2: cq,
            num_conn: RTL_NUM_CONN,
            irq_mask,
        })
}

fn mac() -> impl Strategy<Value = MacAddr> {
    (0u64..1 << 48).prop_map(MacAddr)
}

/// A connection (id 0; [`Plan::build`] numbers them): IPv4, IPv6, IPv6 with a fragment
/// header, each tagged or not; random addresses, ports, sequence numbers (some near the
/// 32-bit wrap), ACK, window, TTL, TOS, flow label; MSS of 1460, any, or below 64.
pub fn connection() -> impl Strategy<Value = Connection> {
    let family = prop_oneof![
        // (ipv6, frag_header)
        2 => Just((false, false)),
        1 => Just((true, false)),
        1 => Just((true, true)),
    ];
    let addrs = (any::<u128>(), any::<u128>());
    let ports = (any::<u16>(), any::<u16>());
    let seq = prop_oneof![3 => any::<u32>(), 1 => 0xFFFF_F000u32..=u32::MAX];
    let mss = prop_oneof![
        3 => Just(1460u16),
        3 => MIN_MSS..=9000u16,
        1 => 0u16..MIN_MSS,
        1 => any::<u16>(),
    ];
    let vlan = prop::option::weighted(0.4, 0u16..=4095);
    (
        (family, vlan, mac(), mac(), addrs, ports),
        (seq, any::<u32>(), any::<u16>(), mss, any::<u8>(), any::<u8>(), 0u32..1 << 20),
    )
        .prop_map(
            |(
                ((ipv6, frag_header), vlan, src_mac, dst_mac, (src, dst), (src_port, dst_port)),
                (seq, ack, window, mss, ttl, tos, flow_label),
            )| {
                let ip = |a: u128| {
                    IpAddress(if ipv6 {
                        IpAddr::V6(Ipv6Addr::from(a))
                    } else {
                        IpAddr::V4(Ipv4Addr::from(a as u32))
                    })
                };
                Connection {
                    id: 0,
                    ipv6,
                    frag_header,
                    vlan,
                    src_mac,
                    dst_mac,
                    src_ip: ip(src),
                    dst_ip: ip(dst),
                    src_port,
                    dst_port,
                    seq,
                    ack,
                    window,
                    mss,
                    ttl,
                    tos,
                    flow_label,
                }
            },
        )
}

/// A send: mostly to an existing connection, sometimes to an unused or out-of-range id;
/// lengths from 0 to over the maximum (the largest rare); flags; buffer offsets from 0 to
/// 65535 (mostly within a beat); gaps from none to a few thousand cycles.
pub fn send() -> impl Strategy<Value = SendPlan> {
    let conn = prop_oneof![
        18 => any::<Index>().prop_map(ConnPick::Existing),
        1 => any::<Index>().prop_map(ConnPick::Unused),
        1 => (0u16..=64).prop_map(ConnPick::OutOfRange),
    ];
    let len = prop_oneof![
        6 => (1u32..=64).prop_map(LenPick::Small),
        5 => (1u32..=4, -1i8..=1).prop_map(|(n, delta)| LenPick::Segments { n, delta }),
        4 => (1u32..=9000).prop_map(LenPick::Any),
        1 => Just(LenPick::Zero),
        1 => Just(LenPick::Max),
        1 => (MAX_SEND_LEN + 1..=u32::MAX).prop_map(LenPick::OverMax),
    ];
    let gap = prop_oneof![5 => Just(0u64), 3 => 1u64..=200, 1 => 200u64..=3000];
    let buf_offset = prop_oneof![4 => 0u16..64, 1 => 0u16..=4095, 1 => any::<u16>()];
    let cookie = prop::option::weighted(0.7, any::<u64>());
    let fault = prop_oneof![
        24 => Just(None),
        2 => Just(Some(Fault::PayloadRead)),
        1 => Just(Some(Fault::DescRead)),
        1 => Just(Some(Fault::ReservedBits)),
        1 => Just(Some(Fault::ReservedWord)),
        1 => Just(Some(Fault::BadDoorbell)),
    ];
    let fault_beat = prop_oneof![3 => 0u32..=3, 1 => 0u32..=64];
    (
        (conn, len, any::<bool>(), prop::bool::weighted(0.2), prop::bool::weighted(0.2), cookie),
        (gap, buf_offset, fault, fault_beat),
    )
        .prop_map(|((conn, len, psh, fin, immediate, cookie), (gap, buf_offset, fault, fault_beat))| {
            // The beat only means something to the read faults.
            let fault_beat = match fault {
                Some(Fault::PayloadRead | Fault::DescRead) => fault_beat,
                _ => 0,
            };
            SendPlan { conn, len, psh, fin, immediate, cookie, gap, buf_offset, fault, fault_beat }
        })
}

/// Environment knobs: the seed, memory latency and idle cycles, MAC back-pressure (never
/// below 25 % ready, with occasional long `tready` stalls), a CQ consumer from immediate
/// to slow, with jitter; sometimes a completion write answered with an error and resets
/// at random cycles.
pub fn env() -> impl Strategy<Value = Env> {
    let latency = (1u32..=30, 0u32..=40).prop_map(|(lo, spread)| [lo, lo + spread]);
    let tready = prop_oneof![2 => Just(100u32), 1 => 25u32..=99];
    let lag = prop_oneof![2 => Just(0u64), 2 => 1u64..=300, 1 => 300u64..=3000];
    let jitter = prop_oneof![2 => Just(0u64), 1 => 1u64..=200];
    let gap = prop_oneof![2 => Just(0u32), 1 => 1u32..=50];
    let write_error = prop::option::weighted(0.1, 1u64..=8);
    let resets = prop_oneof![
        6 => Just(Vec::new()),
        1 => prop::collection::vec(0u64..=6000, 1..=3),
    ];
    let stalls = prop_oneof![
        6 => Just(Vec::new()),
        1 => prop::collection::vec((0u64..=6000, 1u64..=3000).prop_map(|(a, n)| [a, n]), 1..=2),
    ];
    (
        (any::<u64>(), latency, tready, lag, jitter, gap),
        (write_error, resets, stalls),
    )
        .prop_map(
            |(
                (seed, mem_latency, tready_percent, cq_consumer_lag, cq_consumer_jitter, mem_gap_percent),
                (cq_write_error_batch, resets, tready_stalls),
            )| Env {
                seed,
                mem_latency,
                tready_percent,
                cq_consumer_lag,
                cq_consumer_jitter,
                mem_gap_percent,
                cq_write_error_batch,
                resets,
                tready_stalls,
                ..Env::default()
            },
        )
}

/// A [`Plan`] for `data_width` with 1..=[`MAX_CONNS`] connections and
/// 1..=[`MAX_SENDS`] sends.
pub fn plan(data_width: u32) -> impl Strategy<Value = Plan> {
    (
        config(data_width),
        0u16..RTL_NUM_CONN as u16,
        prop::collection::vec(connection(), 1..=MAX_CONNS),
        prop::collection::vec(send(), 1..=MAX_SENDS),
        env(),
    )
        .prop_map(|(config, id_base, connections, sends, env)| Plan {
            config,
            id_base,
            connections,
            sends,
            env,
        })
}

/// Whole scenarios for `data_width` (see the module documentation).
pub fn scenario(data_width: u32) -> impl Strategy<Value = Scenario> {
    plan(data_width).prop_map(|p| p.build())
}

/// Run `sc` in lockstep against the RTL with the model `make_model` builds, without
/// waveforms or kept frames; `Err` with the report when it does not pass (a mismatch, an
/// invariant violation, a timeout) or could not run.
pub fn lockstep_check(
    sc: &Scenario,
    make_model: &dyn Fn(&Scenario) -> Box<dyn ProbedDevice>,
) -> Result<(), String> {
    let cfg = RunConfig { window: None, progress_every: 0, keep_frames: false, ..RunConfig::default() };
    let out = run_scenario_with(sc, &cfg, make_model).map_err(|e| e.to_string())?;
    if !out.report.lockstep {
        return Err("the run did not compare against the RTL".into());
    }
    if out.passed() {
        Ok(())
    } else {
        Err(report_text(&out.report, &out.progress, &out.stats))
    }
}

/// [`lockstep_check`] with the reference model: the property the random tests check.
pub fn lockstep_property(sc: &Scenario) -> Result<(), String> {
    lockstep_check(sc, &|sc| Box::new(crate::engine_for(sc)))
}

/// How to run a property over generated scenarios.
#[derive(Clone, Debug)]
pub struct Campaign {
    /// Names the shrunk scenario's file (`<dir>/<name>.json`).
    pub name: String,
    /// Cases to run.
    pub cases: u32,
    /// Seed of the case generator; `None` draws one (printed).
    pub seed: Option<u64>,
    /// proptest's failure-persistence file: seeds of failing cases, replayed first on the
    /// next run; `None` for none.
    pub regressions: Option<PathBuf>,
    /// Where the shrunk scenario is written.
    pub shrunk_dir: PathBuf,
    /// Most shrink steps (each one run of the property).
    pub max_shrink_iters: u32,
}

impl Campaign {
    /// `cases` cases from `seed`, or as the environment says:
    /// * `TXOE_PROPTEST_CASES`: the number of cases;
    /// * `TXOE_PROPTEST_SEED`: a number, or `random` for a fresh seed each run;
    /// * `TXOE_SHRUNK_DIR`: where shrunk scenarios go (default `shrunk_dir`).
    pub fn from_env(name: &str, cases: u32, seed: u64, shrunk_dir: &Path) -> Campaign {
        let cases = std::env::var("TXOE_PROPTEST_CASES")
            .ok()
            .map(|v| v.trim().parse().unwrap_or_else(|_| panic!("TXOE_PROPTEST_CASES={v:?} is not a number")))
            .unwrap_or(cases);
        let seed = match std::env::var("TXOE_PROPTEST_SEED") {
            Ok(v) if v.trim().eq_ignore_ascii_case("random") => None,
            Ok(v) => Some(v.trim().parse().unwrap_or_else(|_| {
                panic!("TXOE_PROPTEST_SEED={v:?} is neither a number nor `random`")
            })),
            Err(_) => Some(seed),
        };
        let shrunk_dir = std::env::var_os("TXOE_SHRUNK_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| shrunk_dir.to_path_buf());
        Campaign {
            name: name.into(),
            cases,
            seed,
            regressions: None,
            shrunk_dir,
            max_shrink_iters: 4096,
        }
    }
}

/// A failing case after shrinking.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The minimal failing scenario.
    pub scenario: Scenario,
    /// The file it was written to (`None` if it could not be written: see `write_error`).
    pub path: Option<PathBuf>,
    pub write_error: Option<String>,
    /// Why the property failed on it.
    pub reason: String,
    /// The generator seed of the campaign.
    pub seed: u64,
}

impl fmt::Display for Shrunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sc = &self.scenario;
        writeln!(
            f,
            "property failed; shrunk to {} connection(s), {} send(s) (generator seed {}):",
            sc.connections.len(),
            sc.sends.len(),
            self.seed
        )?;
        writeln!(f, "{}", self.reason.trim_end())?;
        match (&self.path, &self.write_error) {
            (Some(p), _) => write!(
                f,
                "shrunk scenario: {}\nreproduce: cargo run --release --bin txoe -- run {}",
                p.display(),
                p.display()
            ),
            (None, Some(e)) => write!(f, "shrunk scenario not written: {e}\n{}", sc.to_json_pretty()),
            (None, None) => write!(f, "{}", sc.to_json_pretty()),
        }
    }
}

/// Why a campaign did not pass.
#[derive(Clone, Debug)]
pub enum CampaignFailure {
    /// A case failed; here is the shrunk one.
    Failed(Box<Shrunk>),
    /// The runner gave up (too many rejects, a strategy error).
    Aborted(String),
}

impl fmt::Display for CampaignFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CampaignFailure::Failed(s) => s.fmt(f),
            CampaignFailure::Aborted(m) => write!(f, "property run aborted: {m}"),
        }
    }
}

/// Run `property` on `c.cases` scenarios from `strategy`. On a failure proptest shrinks
/// the scenario (each step one run of the property), the minimal one is written to
/// `<c.shrunk_dir>/<c.name>.json` and its path printed; the failing case's generator
/// seed goes to `c.regressions` for the next run to replay first.
pub fn check<S>(
    c: &Campaign,
    strategy: S,
    property: impl Fn(&Scenario) -> Result<(), String>,
) -> Result<(), CampaignFailure>
where
    S: Strategy<Value = Scenario>,
{
    let seed = c.seed.unwrap_or_else(rand::random);
    let persistence = c.regressions.as_ref().map(|p| {
        // proptest keeps the path for the run's lifetime as a `&'static str`.
        let p: &'static str = Box::leak(p.to_string_lossy().into_owned().into_boxed_str());
        Box::new(FileFailurePersistence::Direct(p)) as Box<dyn proptest::test_runner::FailurePersistence>
    });
    let config = RunnerConfig {
        cases: c.cases,
        failure_persistence: persistence,
        max_shrink_iters: c.max_shrink_iters,
        max_shrink_time: 0,
        rng_seed: RngSeed::Fixed(seed),
        ..RunnerConfig::default()
    };
    eprintln!("{}: {} cases, generator seed {seed} (TXOE_PROPTEST_SEED={seed} repeats them)", c.name, c.cases);
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |sc| property(&sc).map_err(TestCaseError::fail));
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Abort(m)) => Err(CampaignFailure::Aborted(m.to_string())),
        Err(TestError::Fail(reason, scenario)) => {
            let (path, write_error) = match write_shrunk(&c.shrunk_dir, &c.name, &scenario) {
                Ok(p) => (Some(p), None),
                Err(e) => (None, Some(e)),
            };
            let shrunk = Shrunk { scenario, path, write_error, reason: reason.to_string(), seed };
            eprintln!("{shrunk}");
            Err(CampaignFailure::Failed(Box::new(shrunk)))
        }
    }
}

/// Write `sc` as `<dir>/<name>.json`, creating `dir`; the absolute path.
pub fn write_shrunk(dir: &Path, name: &str, sc: &Scenario) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, sc.to_json_pretty() + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(std::fs::canonicalize(&path).unwrap_or(path))
}
