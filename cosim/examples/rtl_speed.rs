//! Cycles per second of the Verilated RTL alone, of the lockstep harness (RTL beside RTL)
//! and of the model beside the RTL, on an idle engine after reset.
//!
//! `cargo run --release -p txoe-cosim --example rtl_speed -- [DATA_W] [CYCLES]`

use std::time::Instant;

use txoe_cosim::{run, EnvError, Environment, Rtl, RunOptions};
use txoe_model::ports::{Device, Inputs, Outputs};
use txoe_model::{Engine, EngineParams};

/// Reset for 16 cycles, then idle with every ready high, for `cycles` cycles.
struct Idle {
    cycles: u64,
    done: u64,
}

impl Environment for Idle {
    fn drive(&mut self, cycle: u64) -> Inputs {
        Inputs {
            rst: cycle < 16,
            m_axis_tx_tready: true,
            m_axi_awready: true,
            m_axi_wready: true,
            m_axi_arready: true,
            s_axil_bready: true,
            s_axil_rready: true,
            ..Inputs::default()
        }
    }
    fn observe(&mut self, cycle: u64, _inp: &Inputs, _out: &Outputs) -> Result<(), EnvError> {
        self.done = cycle + 1;
        Ok(())
    }
    fn finished(&self) -> bool {
        self.done >= self.cycles
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let data_w: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let cycles: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000_000);
    let mut rtl = match Rtl::new(data_w, None) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut env = Idle { cycles, done: 0 };
    let t = Instant::now();
    for c in 0..cycles {
        let inp = env.drive(c);
        std::hint::black_box(rtl.cycle(&inp));
    }
    let dt = t.elapsed().as_secs_f64();
    println!(
        "rtl alone, DATA_W={data_w}: {cycles} cycles in {dt:.3} s = {:.0} cycles/s",
        cycles as f64 / dt
    );

    // The harness itself: two RTL instances in lockstep.
    let mut a = Rtl::new(data_w, None).expect("second instance");
    let mut b = Rtl::new(data_w, None).expect("third instance");
    let mut env = Idle { cycles, done: 0 };
    let opts = RunOptions { max_cycles: cycles + 1, progress_every: 0, seed: 0 };
    let report = run(&mut env, &mut a, Some(&mut b as &mut dyn Device), &opts);
    println!("rtl beside rtl: {report}");

    // The model beside the RTL.
    let mut rtl = Rtl::new(data_w, None).expect("fourth instance");
    let mut model = Engine::new(EngineParams { data_w, ..EngineParams::default() });
    let mut env = Idle { cycles, done: 0 };
    let report = run(&mut env, &mut model, Some(&mut rtl as &mut dyn Device), &opts);
    println!("model beside rtl: {report}");
}
