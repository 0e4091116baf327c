//! Simulation speed: cycles per second of the model alone, the Verilated RTL alone, and the
//! two in lockstep, on the built-in default scenario at 64 bits. Criterion reports the
//! throughput in elements per second, where one element is one simulated cycle.
//!
//! `cargo bench -p txoe-testbench --bench cycles`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use txoe_cosim::{run, Rtl, RunOptions};
use txoe_testbench::scenario::Scenario;
use txoe_testbench::{engine_for, TbEnv};

fn opts(sc: &Scenario) -> RunOptions {
    RunOptions { max_cycles: sc.max_cycles(), progress_every: 0, seed: sc.env.seed }
}

fn bench(c: &mut Criterion) {
    let sc = Scenario::builtin_default();
    // the run's length, measured once, sets the throughput unit
    let cycles = {
        let mut env = TbEnv::new(&sc, false);
        let mut model = engine_for(&sc);
        let r = run(&mut env, &mut model, None, &opts(&sc));
        assert!(r.passed(), "{r}");
        r.cycles
    };
    let mut g = c.benchmark_group("default_scenario_64");
    g.throughput(Throughput::Elements(cycles));
    g.sample_size(20);

    g.bench_function("model", |b| {
        b.iter(|| {
            let mut env = TbEnv::new(&sc, false);
            let mut model = engine_for(&sc);
            let r = run(&mut env, &mut model, None, &opts(&sc));
            assert_eq!(r.cycles, cycles);
        })
    });

    match Rtl::new(sc.config.data_width, None) {
        Ok(_) => {
            g.bench_function("rtl", |b| {
                b.iter(|| {
                    let mut env = TbEnv::new(&sc, false);
                    let mut rtl = Rtl::new(sc.config.data_width, None).unwrap();
                    // the RTL alone, in the runner's device seat
                    let r = run(&mut env, &mut rtl, None, &opts(&sc));
                    assert_eq!(r.cycles, cycles);
                })
            });
            g.bench_function("lockstep", |b| {
                b.iter(|| {
                    let mut env = TbEnv::new(&sc, false);
                    let mut model = engine_for(&sc);
                    let mut rtl = Rtl::new(sc.config.data_width, None).unwrap();
                    let r = run(&mut env, &mut model, Some(&mut rtl), &opts(&sc));
                    assert!(r.passed(), "{r}");
                })
            });
        }
        Err(e) => eprintln!("SKIPPED rtl and lockstep benchmarks: {e}"),
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
