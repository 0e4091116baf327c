//! One run of one seat of the `cycles` bench, for a profiler: the instructions per simulated
//! cycle of the environment come from `valgrind --tool=callgrind` on this, not on criterion's
//! many iterations.
//!
//! `cargo run --release -p txoe-testbench --example seat -- SEAT SCENARIO DATA_W [RUNS]`
//!
//! * `SEAT`: `model`, `rtl` (the Verilated RTL alone, driven by the environment), `lockstep`,
//!   `replay` (the inputs of an `rtl` run, clocked from a plain Rust loop) or `cpp` (the same,
//!   in the C++ loop);
//! * `SCENARIO`: `default` (built in) or a scenario file, e.g. `scenarios/line_rate.json`.
//!
//! It prints the cycles of one run. For `replay` and `cpp` the recording run is not counted.

use std::path::Path;

use txoe_cosim::{run, Rtl, RunOptions};
use txoe_model::ports::{Device, Inputs, Outputs};
use txoe_testbench::scenario::Scenario;
use txoe_testbench::{engine_for, TbEnv};

struct Recorder {
    rtl: Rtl,
    inputs: Vec<Inputs>,
}

impl Device for Recorder {
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        self.inputs.push(*inp);
        self.rtl.cycle(inp)
    }
    fn data_width(&self) -> u32 {
        self.rtl.data_width()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: seat model|rtl|lockstep|replay|cpp default|FILE DATA_W [RUNS]");
        std::process::exit(2);
    }
    let mut sc = if args[1] == "default" {
        Scenario::builtin_default()
    } else {
        Scenario::from_path(Path::new(&args[1])).unwrap_or_else(|e| panic!("{}: {e}", args[1]))
    };
    let w: u32 = args[2].parse().expect("DATA_W");
    let runs: u32 = args.get(3).map_or(1, |r| r.parse().expect("RUNS"));
    sc.config.data_width = w;
    let opts = RunOptions {
        max_cycles: sc.max_cycles(),
        progress_every: 0,
        seed: sc.env.seed,
    };
    let recorded = || {
        let mut env = TbEnv::new(&sc, false);
        let mut rec = Recorder {
            rtl: Rtl::new(w, None).expect("RTL"),
            inputs: Vec::new(),
        };
        let r = run(&mut env, &mut rec, None, &opts);
        assert!(r.passed(), "{r}");
        rec.inputs
    };
    let inputs = match args[0].as_str() {
        "replay" | "cpp" => recorded(),
        _ => Vec::new(),
    };
    let mut cycles = 0;
    for _ in 0..runs {
        cycles = match args[0].as_str() {
            "model" => {
                let mut env = TbEnv::new(&sc, false);
                let r = run(&mut env, &mut engine_for(&sc), None, &opts);
                assert!(r.passed(), "{r}");
                r.cycles
            }
            "rtl" => {
                let mut env = TbEnv::new(&sc, false);
                let r = run(&mut env, &mut Rtl::new(w, None).expect("RTL"), None, &opts);
                assert!(r.passed(), "{r}");
                r.cycles
            }
            "lockstep" => {
                let mut env = TbEnv::new(&sc, false);
                let mut rtl = Rtl::new(w, None).expect("RTL");
                let r = run(&mut env, &mut engine_for(&sc), Some(&mut rtl), &opts);
                assert!(r.passed(), "{r}");
                r.cycles
            }
            "replay" => {
                let mut rtl = Rtl::new(w, None).expect("RTL");
                let mut out = Outputs::default();
                for i in &inputs {
                    rtl.cycle_into(i, &mut out).expect("cycle");
                }
                std::hint::black_box(&out);
                inputs.len() as u64
            }
            "cpp" => {
                let mut rtl = Rtl::new(w, None).expect("RTL");
                let mut buf = vec![Outputs::default(); inputs.len()];
                rtl.replay(&inputs, &mut buf).expect("replay");
                std::hint::black_box(&buf);
                inputs.len() as u64
            }
            s => panic!("unknown seat {s}"),
        };
    }
    println!(
        "{} {} DATA_W={w}: {cycles} cycles x {runs} runs",
        args[0], args[1]
    );
}
