//! Simulation speed, measured against its limit. For the built-in default scenario and the
//! maximum-throughput scenario (`scenarios/line_rate.json`: ideal memory, `tready` always
//! high), each at `DATA_W` 64 and 256, one criterion group with one element per simulated
//! cycle and these functions:
//!
//! * `model`: the reference model alone, driven by the testbench environment.
//! * `rtl`: the Verilated RTL alone in the same seat, driven by the same environment, from
//!   Rust, one FFI call per cycle.
//! * `lockstep`: both, every output compared every cycle (payloads while valid), every
//!   frame and completion batch diffed.
//! * `rtl_replay_rust`: the RTL clocked from a plain Rust loop over the inputs a run drove
//!   (no environment): what the FFI call per cycle costs on its own.
//! * `cpp_loop`: the same recorded inputs replayed entirely in C++ in one FFI call
//!   ([`Rtl::replay`]: set inputs, eval, read outputs into a buffer, clock, eval), as a
//!   plain C++ Verilator testbench would: the limit a Rust harness can approach. Before it
//!   is timed, its outputs are checked equal, cycle for cycle, to those of the Rust run.
//!
//! After each group the same functions run again side by side: once each per round, for
//! several rounds (at least 15, and about a million cycles per function), so that they share
//! whatever else the machine is doing; the ratios lockstep / rtl, rtl / cpp_loop,
//! rtl_replay_rust / cpp_loop and model / rtl are taken within each round. A table at the
//! end gives the median cycles/s of every function, the median ratios, and the frames/s and
//! simulated Gb/s (frame bytes per wall second) of the lockstep pair.
//! `TXOE_BENCH_SUMMARY=0` skips that pass.
//!
//! Time is the CPU time of the simulating thread (`CLOCK_THREAD_CPUTIME_ID`), for criterion
//! and for the table: on a machine shared with other work, wall time mostly measures the
//! waiting for a core. The table also gives the wall-time figures.
//!
//! `cargo bench -p txoe-testbench --bench cycles` (the Verilated widths come from
//! `TXOE_DATA_WIDTHS`, e.g. `TXOE_DATA_WIDTHS=64,256`; a width not built runs the model
//! only). A criterion filter after `--` selects groups, e.g. `-- line_rate_w64`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use txoe_cosim::{run, Rtl, RunOptions};
use txoe_model::ports::{Device, Inputs, Outputs};
use txoe_testbench::scenario::Scenario;
use txoe_testbench::{engine_for, TbEnv};

const WIDTHS: [u32; 2] = [64, 256];

fn opts(sc: &Scenario) -> RunOptions {
    RunOptions { max_cycles: sc.max_cycles(), progress_every: 0, seed: sc.env.seed }
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): the time the simulation ran,
/// without the time it waited for a core on a machine busy with other work. Every function
/// benchmarked here is single-threaded.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Criterion measured in [`thread_cpu`] time instead of wall time.
struct ThreadCpu;

impl Measurement for ThreadCpu {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Values in nanoseconds of CPU time; throughput in elements (cycles) per CPU second.
struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns cpu"),
            t if t < 1e6 => (1e-3, "µs cpu"),
            t if t < 1e9 => (1e-6, "ms cpu"),
            _ => (1e-9, "s cpu"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }
    fn scale_throughputs(&self, typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let (n, kind) = match throughput {
            Throughput::Elements(n) => (*n as f64, 0),
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (*n as f64, 1),
        };
        let per_s = n * 1e9 / typical;
        let (factor, unit) = match (kind, per_s) {
            (0, r) if r >= 1e6 => (1e-6, "Melem/s cpu"),
            (0, r) if r >= 1e3 => (1e-3, "Kelem/s cpu"),
            (0, _) => (1.0, "elem/s cpu"),
            (_, r) if r >= 1e6 => (1e-6, "MB/s cpu"),
            (_, _) => (1.0, "B/s cpu"),
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v * factor);
        unit
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// The benchmarked scenarios, by name, at `data_w`.
fn scenarios(data_w: u32) -> Vec<(&'static str, Scenario)> {
    let mut default = Scenario::builtin_default();
    default.config.data_width = data_w;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/line_rate.json");
    let mut line_rate = Scenario::from_path(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    line_rate.config.data_width = data_w;
    vec![("default", default), ("line_rate", line_rate)]
}

/// The RTL in the device seat, recording what it was driven with and what it showed.
struct Recorder {
    rtl: Rtl,
    inputs: Vec<Inputs>,
    outputs: Vec<Outputs>,
}

impl Device for Recorder {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let out = self.rtl.cycle(inp);
        self.inputs.push(*inp);
        self.outputs.push(out);
        out
    }
    fn data_width(&self) -> u32 {
        self.rtl.data_width()
    }
}

/// What one run of a scenario is: its cycles, frames and frame bytes (from a lockstep run
/// that passed, or a model-only run without the RTL), and the RTL's recorded stimulus.
struct Shape {
    cycles: u64,
    frames: u64,
    bytes: u64,
    stimulus: Option<(Vec<Inputs>, Vec<Outputs>)>,
}

fn shape(sc: &Scenario) -> Shape {
    let mut env = TbEnv::new(sc, true);
    let mut model = engine_for(sc);
    let (report, stimulus) = match Rtl::new(sc.config.data_width, None) {
        Ok(rtl) => {
            let mut rec = Recorder { rtl, inputs: Vec::new(), outputs: Vec::new() };
            let r = run(&mut env, &mut model, Some(&mut rec), &opts(sc));
            (r, Some((rec.inputs, rec.outputs)))
        }
        Err(e) => {
            eprintln!("SKIPPED rtl benchmarks at DATA_W={}: {e}", sc.config.data_width);
            (run(&mut env, &mut model, None, &opts(sc)), None)
        }
    };
    assert!(report.passed(), "{report}");
    let (_, frames) = env.take_results(true);
    let bytes = frames.iter().map(|f| f.data.len() as u64).sum();
    Shape { cycles: report.cycles, frames: report.frames, bytes, stimulus }
}

/// One benchmarked scenario at one width, with the stimulus of its recorded RTL run.
struct Case {
    group: String,
    sc: Scenario,
    shape: Shape,
}

/// The functions of one case, by name; every one asserts that its run went as recorded.
fn variants(case: &Case) -> Vec<(&'static str, Box<dyn FnMut() + '_>)> {
    let (sc, cycles, w) = (&case.sc, case.shape.cycles, case.sc.config.data_width);
    let o = opts(sc);
    let mut v: Vec<(&'static str, Box<dyn FnMut() + '_>)> = Vec::new();
    let o1 = o.clone();
    v.push((
        "model",
        Box::new(move || {
            let mut env = TbEnv::new(sc, false);
            let mut model = engine_for(sc);
            let r = run(&mut env, &mut model, None, &o1);
            assert_eq!(r.cycles, cycles);
        }),
    ));
    let Some((inputs, outputs)) = &case.shape.stimulus else { return v };
    let o2 = o.clone();
    v.push((
        "rtl",
        Box::new(move || {
            let mut env = TbEnv::new(sc, false);
            let mut rtl = Rtl::new(w, None).unwrap();
            // the RTL alone, in the runner's device seat
            let r = run(&mut env, &mut rtl, None, &o2);
            assert_eq!(r.cycles, cycles);
        }),
    ));
    v.push((
        "lockstep",
        Box::new(move || {
            let mut env = TbEnv::new(sc, false);
            let mut model = engine_for(sc);
            let mut rtl = Rtl::new(w, None).unwrap();
            let r = run(&mut env, &mut model, Some(&mut rtl), &o);
            assert!(r.passed(), "{r}");
        }),
    ));
    let mut buf = vec![Outputs::default(); inputs.len()];
    v.push((
        "rtl_replay_rust",
        Box::new(move || {
            let mut rtl = Rtl::new(w, None).unwrap();
            for (i, o) in inputs.iter().zip(buf.iter_mut()) {
                rtl.cycle_into(i, o).unwrap();
            }
            std::hint::black_box(&buf);
        }),
    ));
    // The C++ loop is driven with the very stimulus of the Rust run: it must reproduce
    // that run's outputs before its speed means anything.
    let mut buf = vec![Outputs::default(); inputs.len()];
    let mut rtl = Rtl::new(w, None).unwrap();
    rtl.replay(inputs, &mut buf).unwrap();
    if let Some(i) = (0..buf.len()).find(|&i| buf[i] != outputs[i]) {
        panic!("{}: the C++ replay differs from the Rust run at cycle {i}", case.group);
    }
    v.push((
        "cpp_loop",
        Box::new(move || {
            let mut rtl = Rtl::new(w, None).unwrap();
            rtl.replay(inputs, &mut buf).unwrap();
            std::hint::black_box(&buf);
        }),
    ));
    v
}

/// Rates of one case from the interleaved pass: per function the median cycles per CPU
/// second and per wall second, and the medians of the per-round ratios of both.
struct Side {
    cpu: BTreeMap<&'static str, f64>,
    wall: BTreeMap<&'static str, f64>,
    cpu_ratios: BTreeMap<&'static str, f64>,
    wall_ratios: BTreeMap<&'static str, f64>,
    rounds: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Every function of a case once per round, round after round (the order rotating), so
/// that they share whatever else the machine does; ratios are taken within each round.
fn side_by_side(cycles: u64, fns: &mut [(&'static str, Box<dyn FnMut() + '_>)]) -> Side {
    let rounds = (1_000_000 / cycles.max(1)).clamp(15, 100) as usize;
    let mut cpu: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut wall: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut cpu_ratios: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut wall_ratios: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let n = fns.len();
    for round in 0..rounds {
        let mut this: BTreeMap<&'static str, (f64, f64)> = BTreeMap::new();
        for k in 0..n {
            let (name, f) = &mut fns[(round + k) % n];
            let (c0, t0) = (thread_cpu(), Instant::now());
            f();
            let (dc, dt) = (thread_cpu().saturating_sub(c0), t0.elapsed());
            let rates = (
                cycles as f64 / dc.as_secs_f64().max(1e-9),
                cycles as f64 / dt.as_secs_f64().max(1e-9),
            );
            this.insert(*name, rates);
            cpu.entry(*name).or_default().push(rates.0);
            wall.entry(*name).or_default().push(rates.1);
        }
        for (label, a, b) in RATIOS {
            if let (Some(x), Some(y)) = (this.get(a), this.get(b)) {
                cpu_ratios.entry(label).or_default().push(x.0 / y.0);
                wall_ratios.entry(label).or_default().push(x.1 / y.1);
            }
        }
    }
    let med = |m: BTreeMap<&'static str, Vec<f64>>| -> BTreeMap<&'static str, f64> {
        m.into_iter().map(|(k, v)| (k, median(v))).collect()
    };
    Side {
        cpu: med(cpu),
        wall: med(wall),
        cpu_ratios: med(cpu_ratios),
        wall_ratios: med(wall_ratios),
        rounds,
    }
}

/// The ratios reported: (label, numerator, denominator).
const RATIOS: [(&str, &str, &str); 4] = [
    ("lockstep/rtl", "lockstep", "rtl"),
    ("rtl/cpp_loop", "rtl", "cpp_loop"),
    ("rtl_replay_rust/cpp_loop", "rtl_replay_rust", "cpp_loop"),
    ("model/rtl", "model", "rtl"),
];

fn bench(c: &mut Criterion<ThreadCpu>) {
    let mut cases = Vec::new();
    for w in WIDTHS {
        for (name, sc) in scenarios(w) {
            let shape = shape(&sc);
            cases.push(Case { group: format!("{name}_w{w}"), sc, shape });
        }
    }
    let mut sides = Vec::new();
    for case in &cases {
        let mut fns = variants(case);
        let cycles = case.shape.cycles;
        let mut g = c.benchmark_group(&case.group);
        g.throughput(Throughput::Elements(cycles));
        g.sample_size(10);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(if cycles > 20_000 { 5 } else { 2 }));
        for (name, f) in fns.iter_mut() {
            g.bench_function(BenchmarkId::from_parameter(*name), |b| b.iter(&mut *f));
        }
        g.finish();
        if !summary_wanted() {
            continue;
        }
        sides.push((case, side_by_side(cycles, &mut fns)));
    }
    if !sides.is_empty() {
        summary(&sides);
    }
}

/// `TXOE_BENCH_SUMMARY=0` skips the interleaved pass and its table.
fn summary_wanted() -> bool {
    std::env::var("TXOE_BENCH_SUMMARY").map_or(true, |v| v != "0")
}

/// The tables of this run, in CPU time and in wall time: cycles/s of every function, the
/// ratios, and the frames/s and simulated line rate (Gb/s of frame bytes per second) of the
/// lockstep pair.
fn summary(sides: &[(&Case, Side)]) {
    for (title, cpu) in [("CPU time of the simulating thread", true), ("wall time", false)] {
        println!();
        println!(
            "side by side, {title}: every function once per round, rounds interleaved; median cycles/s and median of the per-round ratios"
        );
        println!(
            "| scenario | cycles | frames | rounds | model | rtl | lockstep | rtl_replay_rust | cpp_loop | lockstep/rtl | rtl/cpp_loop | rtl_replay_rust/cpp_loop | model/rtl | lockstep frames/s | lockstep Gb/s |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (case, side) in sides {
            let (r, q) = if cpu { (&side.cpu, &side.cpu_ratios) } else { (&side.wall, &side.wall_ratios) };
            summary_row(case, side.rounds, r, q);
        }
    }
}

fn summary_row(case: &Case, rounds: usize, r: &BTreeMap<&'static str, f64>, q: &BTreeMap<&'static str, f64>) {
    let m = |v: Option<&f64>| v.map_or("-".to_string(), |r| format!("{:.3} M", r / 1e6));
    let x = |v: Option<&f64>| v.map_or("-".to_string(), |r| format!("{r:.2}"));
    let Shape { cycles, frames, bytes, .. } = case.shape;
    // frames and simulated line bits per second of the lockstep pair (the model's when
    // there is no RTL)
    let lock = r.get("lockstep").or(r.get("model")).copied().unwrap_or(0.0);
    let runs_per_s = lock / cycles as f64;
    println!(
        "| {} | {cycles} | {frames} | {rounds} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.4} |",
        case.group,
        m(r.get("model")),
        m(r.get("rtl")),
        m(r.get("lockstep")),
        m(r.get("rtl_replay_rust")),
        m(r.get("cpp_loop")),
        x(q.get("lockstep/rtl")),
        x(q.get("rtl/cpp_loop")),
        x(q.get("rtl_replay_rust/cpp_loop")),
        x(q.get("model/rtl")),
        runs_per_s * frames as f64,
        runs_per_s * (bytes * 8) as f64 / 1e9,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = bench
}
criterion_main!(benches);
