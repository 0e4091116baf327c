//! `txoe`: run scenarios against the model and the RTL in lockstep, or print scenarios.
//!
//! Exit status: 0 when the run passed; 1 on a mismatch, an environment error or a
//! timeout (the report is printed); 2 when the run could not start: a usage error, a
//! malformed scenario (the message names the field), the RTL missing from this build, or
//! an output file that could not be written.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};
use txoe_cosim::{ProbedDevice, TraceFormat};
use txoe_testbench::bringup::cqdump::CqDump;
use txoe_testbench::bringup::golden::{self, Golden};
use txoe_testbench::bringup::regfile::RegisterFile;
use txoe_testbench::bringup::check;
use txoe_testbench::inject::{Injected, Trigger};
use txoe_testbench::report::{faults_text, report_text, summary_line, waveform_text};
use txoe_testbench::scenario::{GenKnobs, Scenario};
use txoe_testbench::{
    completions, engine_for, pcap, run_scenario_with, RunConfig, WindowConfig,
};

#[derive(Parser, Debug)]
#[command(
    name = "txoe",
    version,
    about = "txoe transmit offload engine: lockstep runs of the RTL and the model"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a scenario (the built-in default without a file, a generated one with --seed).
    Run(Box<RunArgs>),
    /// Print a scenario as JSON: the built-in default, or the one --seed generates.
    Scenario(ScenarioArgs),
    /// Run generated scenarios back to back in lockstep until --sends (or --minutes) are
    /// done or one fails.
    Soak(SoakArgs),
    /// Write what the engine must produce for a scenario, without timing: the frames and
    /// the completion entries in order (one JSON object a line), and the final registers.
    Expect(ExpectArgs),
    /// Check a capture (frames, CQ dump, registers) against the golden model.
    Check(CheckArgs),
    /// Run a scenario through the host driver: on a board over memory-mapped files
    /// (--regs, --mem), or on the simulated model (--sim); write the CQ dump and the
    /// registers for `txoe check`.
    Drive(DriveArgs),
}

#[derive(Args, Debug)]
struct SoakArgs {
    /// Total sends to run.
    #[arg(long, default_value_t = 1_000_000)]
    sends: u64,
    /// Sends per generated scenario.
    #[arg(long, default_value_t = 1000)]
    sends_per_run: usize,
    /// Seed of the first scenario (the next ones count up).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// DATA_W of the scenarios.
    #[arg(long, default_value_t = 64)]
    data_width: u32,
    /// Stop after this many minutes (after the run in progress).
    #[arg(long)]
    minutes: Option<f64>,
    /// Where a failing scenario and its waveform window go.
    #[arg(long, value_name = "DIR", default_value = "txoe-soak")]
    out_dir: PathBuf,
    /// Run the model alone.
    #[arg(long)]
    model_only: bool,
    /// Seconds between progress lines.
    #[arg(long, value_name = "S", default_value_t = 10)]
    progress: u64,
}

/// A number in decimal or 0x hexadecimal.
fn parse_u64(s: &str) -> Result<u64, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(&h.replace('_', ""), 16),
        None => s.replace('_', "").parse(),
    };
    r.map_err(|e| format!("{s:?} is not a decimal or 0x-hexadecimal number: {e}"))
}

#[derive(Args, Debug)]
struct ExpectArgs {
    /// Scenario file (JSON); the built-in default without one, a generated one with --seed.
    scenario: Option<PathBuf>,
    /// Write the expected frames as a pcap file (timestamps are frame numbers).
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Write the expected completion entries as JSON Lines, one entry a line.
    #[arg(long, value_name = "FILE")]
    completions: Option<PathBuf>,
    /// Write the expected final registers (`NAME value` lines).
    #[arg(long, value_name = "FILE")]
    registers: Option<PathBuf>,
    #[command(flatten)]
    gen: GenArgs,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Scenario file (JSON); the built-in default without one, a generated one with --seed.
    scenario: Option<PathBuf>,
    /// The frames the engine sent, as captured (pcap or pcapng, Ethernet, without FCS).
    #[arg(long, value_name = "FILE")]
    captured_pcap: PathBuf,
    /// The CQ dump (docs/bringup.md).
    #[arg(long, value_name = "FILE")]
    captured_cq: PathBuf,
    /// The registers read after the run (`NAME value` lines, docs/bringup.md).
    #[arg(long, value_name = "FILE")]
    registers: Option<PathBuf>,
    #[command(flatten)]
    gen: GenArgs,
}

#[derive(Args, Debug)]
struct DriveArgs {
    /// Scenario file (JSON); the built-in default without one, a generated one with --seed.
    scenario: Option<PathBuf>,
    /// Run on the simulated model instead of a board.
    #[arg(long, conflicts_with_all = ["regs", "mem"])]
    sim: bool,
    /// Register window: a PCIe BAR (`/sys/bus/pci/devices/…/resource0`) or `/dev/uioN`.
    #[arg(long, value_name = "FILE", requires = "mem")]
    regs: Option<PathBuf>,
    /// Byte offset of the register window in --regs (UIO map N: N × page size).
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_u64)]
    regs_offset: u64,
    /// Bytes of the register window to map.
    #[arg(long, value_name = "N", default_value = "0x10000", value_parser = parse_u64)]
    regs_len: u64,
    /// Host memory the engine reaches by DMA (`/dev/udmabuf0`, a UIO map).
    #[arg(long, value_name = "FILE", requires = "regs")]
    mem: Option<PathBuf>,
    /// Byte offset of the memory window in --mem.
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_u64)]
    mem_offset: u64,
    /// Bus address of the memory window's first byte, as the engine sees it (4 KiB aligned).
    #[arg(long, value_name = "ADDR", default_value = "0", value_parser = parse_u64)]
    mem_bus_addr: u64,
    /// Polls in a row that find no completion before giving up.
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    max_idle_polls: u64,
    /// With --sim: write the frames the MAC received as a pcap file.
    #[arg(long, value_name = "FILE", requires = "sim")]
    pcap: Option<PathBuf>,
    /// Write the CQ dump: every completion entry consumed, raw, in ring order.
    #[arg(long, value_name = "FILE")]
    cq_dump: Option<PathBuf>,
    /// Write the registers read after the run.
    #[arg(long, value_name = "FILE")]
    registers: Option<PathBuf>,
    #[command(flatten)]
    gen: GenArgs,
}

#[derive(Args, Debug)]
struct GenArgs {
    /// Without a scenario file: generate a random scenario from this seed. With a file:
    /// replace its env.seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Number of sends of a generated scenario.
    #[arg(long, requires = "seed")]
    sends: Option<usize>,
    /// Largest payload length of a generated scenario (capped by each connection's
    /// effective MSS unless --multi-segment).
    #[arg(long, requires = "seed")]
    max_len: Option<u32>,
    /// Let generated sends span several segments.
    #[arg(long, requires = "seed")]
    multi_segment: bool,
    /// Percent of generated sends the engine must reject (length 0, unknown connection...).
    #[arg(long, requires = "seed")]
    bad_percent: Option<u32>,
    /// Percent of generated connections that are IPv6 (half with a fragment header).
    #[arg(long, requires = "seed")]
    ipv6_percent: Option<u32>,
    /// Percent of generated sends with an injected fault (descriptor or payload read
    /// error, reserved bits, a doorbell outside the ring), plus one completion-write error.
    #[arg(long, requires = "seed")]
    fault_percent: Option<u32>,
    /// Number of resets at random cycles of a generated scenario.
    #[arg(long, requires = "seed")]
    resets: Option<u32>,
    /// Replace config.data_width (64, 128, 256, 512).
    #[arg(long)]
    data_width: Option<u32>,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Scenario file (JSON).
    scenario: Option<PathBuf>,
    /// Write the frames the MAC received as a pcap file.
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Write the completion batches as JSON Lines.
    #[arg(long, value_name = "FILE")]
    completions: Option<PathBuf>,
    /// Write the CQ dump: every completion entry the host consumed, raw, in ring order
    /// (for `txoe check`).
    #[arg(long, value_name = "FILE")]
    cq_dump: Option<PathBuf>,
    /// Write the registers the host read back at the end (`NAME value` lines).
    #[arg(long, value_name = "FILE")]
    registers: Option<PathBuf>,
    /// Run the model alone.
    #[arg(long)]
    model_only: bool,
    /// Write the whole run's waveform as FST (RTL beside the model's expected values), and
    /// FILE.gtkw, a GTKWave save file.
    #[arg(long, value_name = "FILE", conflicts_with = "vcd")]
    fst: Option<PathBuf>,
    /// Write the whole run's waveform as VCD (Verilator's VCD writer), and FILE.gtkw.
    #[arg(long, value_name = "FILE")]
    vcd: Option<PathBuf>,
    /// On a mismatch, re-run the scenario and dump the cycles around it here.
    #[arg(long, value_name = "DIR", default_value = "txoe-waves")]
    window_dir: PathBuf,
    /// Cycles of the mismatch window before the mismatch.
    #[arg(long, value_name = "N", default_value_t = txoe_testbench::waveform::WINDOW_BEFORE)]
    window_before: u64,
    /// Cycles of the mismatch window after the mismatch (also how far a whole-run dump
    /// goes on past it).
    #[arg(long, value_name = "N", default_value_t = txoe_testbench::waveform::WINDOW_AFTER)]
    window_after: u64,
    /// Format of the mismatch window: fst or vcd.
    #[arg(long, value_name = "FORMAT", default_value = "fst", value_parser = ["fst", "vcd"])]
    window_format: String,
    /// Write no mismatch window.
    #[arg(long)]
    no_window: bool,
    /// Make the model differ from the RTL, to see what a mismatch looks like: N (0-based)
    /// flips the lowest bit of frame N's IPv4 ID in the model's output; `ipv6-vlan` that
    /// of the hop limit of every IPv6 frame behind an 802.1Q tag.
    #[arg(long, value_name = "N|ipv6-vlan")]
    inject_mismatch: Option<Trigger>,
    #[command(flatten)]
    gen: GenArgs,
    /// Cycle budget (default: env.max_cycles, or a generous bound from the sends).
    #[arg(long, value_name = "N")]
    max_cycles: Option<u64>,
    /// Print a progress line every N cycles (0: never).
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    progress: u64,
    /// Print only the summary line when the run passes, and no progress.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct ScenarioArgs {
    /// Print the built-in default scenario (the default without --seed).
    #[arg(long, conflicts_with = "seed")]
    default: bool,
    #[command(flatten)]
    gen: GenArgs,
}

impl GenArgs {
    /// True when a generator knob other than the seed was given.
    fn has_knobs(&self) -> bool {
        self.sends.is_some()
            || self.max_len.is_some()
            || self.multi_segment
            || self.bad_percent.is_some()
            || self.ipv6_percent.is_some()
            || self.fault_percent.is_some()
            || self.resets.is_some()
    }
}

fn knobs(g: &GenArgs) -> GenKnobs {
    let d = GenKnobs::default();
    GenKnobs {
        sends: g.sends.unwrap_or(d.sends),
        max_len: g.max_len.unwrap_or(d.max_len),
        multi_segment: g.multi_segment,
        bad_percent: g.bad_percent.unwrap_or(d.bad_percent),
        ipv6_percent: g.ipv6_percent.unwrap_or(d.ipv6_percent),
        data_width: g.data_width.unwrap_or(d.data_width),
        fault_percent: g.fault_percent.unwrap_or(d.fault_percent),
        resets: g.resets.unwrap_or(d.resets),
    }
}

/// The scenario to run or print, after the command-line overrides, validated.
fn load(file: Option<&PathBuf>, g: &GenArgs) -> Result<Scenario, String> {
    let mut sc = match (file, g.seed) {
        (Some(p), seed) => {
            let mut sc = Scenario::from_path(p).map_err(|e| format!("{}: {e}", p.display()))?;
            if let Some(s) = seed {
                sc.env.seed = s;
            }
            sc
        }
        (None, Some(seed)) => Scenario::random(seed, &knobs(g)),
        (None, None) => Scenario::builtin_default(),
    };
    if let Some(w) = g.data_width {
        sc.config.data_width = w;
    }
    sc.validate().map_err(|e| format!("{e}"))?;
    Ok(sc)
}

fn run(a: &RunArgs) -> ExitCode {
    if a.scenario.is_some() && a.gen.has_knobs() {
        let mut cli = Cli::command();
        let mut run_cmd = cli
            .find_subcommand_mut("run")
            .expect("the run subcommand")
            .clone();
        run_cmd
            .error(
                ErrorKind::ArgumentConflict,
                "--sends, --max-len, --multi-segment and --bad-percent shape a generated scenario: use them with --seed and no scenario file",
            )
            .exit();
    }
    let sc = match load(a.scenario.as_ref(), &a.gen) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("txoe: malformed scenario: {e}");
            return ExitCode::from(2);
        }
    };
    let window = (!a.no_window).then(|| WindowConfig {
        dir: a.window_dir.clone(),
        before: a.window_before,
        after: a.window_after,
        format: if a.window_format == "vcd" { TraceFormat::Vcd } else { TraceFormat::Fst },
    });
    let cfg = RunConfig {
        model_only: a.model_only,
        fst: a.fst.clone(),
        vcd: a.vcd.clone(),
        window,
        progress_every: if a.quiet { 0 } else { a.progress },
        max_cycles: a.max_cycles,
        keep_frames: a.pcap.is_some(),
    };
    // Output files may name directories that do not exist yet (`--pcap out/run.pcap`).
    if !make_dirs([&a.pcap, &a.completions, &a.cq_dump, &a.registers, &a.fst, &a.vcd]) {
        return ExitCode::from(2);
    }
    let inject = a.inject_mismatch;
    let make_model = move |sc: &Scenario| -> Box<dyn ProbedDevice> {
        match inject {
            Some(t) => Box::new(Injected::with_trigger(engine_for(sc), t)),
            None => Box::new(engine_for(sc)),
        }
    };
    let outcome = match run_scenario_with(&sc, &cfg, &make_model) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("txoe: {e}");
            return ExitCode::from(2);
        }
    };

    let mut status = if outcome.passed() { 0u8 } else { 1 };
    if let Some(p) = &a.pcap {
        if let Err(e) = pcap::write_pcap_file(p, &outcome.frames) {
            eprintln!("txoe: cannot write {}: {e}", p.display());
            status = 2;
        }
    }
    if let Some(p) = &a.completions {
        if let Err(e) = completions::write_jsonl_file(p, &outcome.batches) {
            eprintln!("txoe: cannot write {}: {e}", p.display());
            status = 2;
        }
    }
    if let Some(p) = &a.cq_dump {
        if let Err(e) = outcome.cq_dump.write_file(p) {
            eprintln!("txoe: cannot write {}: {e}", p.display());
            status = 2;
        }
    }
    if let Some(p) = &a.registers {
        if let Err(e) = outcome.registers.write_file(p) {
            eprintln!("txoe: cannot write {}: {e}", p.display());
            status = 2;
        }
    }
    if let Some(e) = &outcome.waveform_error {
        eprintln!("txoe: no waveform: {e}");
    }
    if !a.quiet || !outcome.passed() {
        let s = outcome.stream;
        println!(
            "stream: {} beats in {} cycles from the first beat to the last: {:.1} % busy",
            s.beats,
            s.span,
            s.percent()
        );
        if let Some(line) = faults_text(&outcome) {
            println!("{line}");
        }
        let text = report_text(&outcome.report, &outcome.progress, &outcome.stats);
        // The waveform lines go before the summary, which stays the last line.
        let (body, summary) = text.trim_end().rsplit_once('\n').unwrap_or(("", text.trim_end()));
        if !body.is_empty() {
            println!("{body}");
        }
        print!("{}", outcome.coverage.table());
        print!("{}", waveform_text(&outcome));
        println!("{summary}");
    } else {
        print!("{}", waveform_text(&outcome));
        println!("{}", summary_line(&outcome.report));
    }
    ExitCode::from(status)
}

fn print_scenario(a: &ScenarioArgs) -> ExitCode {
    match load(None, &a.gen) {
        Ok(sc) => {
            println!("{}", sc.to_json_pretty());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("txoe: malformed scenario: {e}");
            ExitCode::from(2)
        }
    }
}

fn soak(a: &SoakArgs) -> ExitCode {
    use txoe_testbench::soak::{soak, summary_line, SoakConfig};
    let c = SoakConfig {
        sends: a.sends,
        sends_per_run: a.sends_per_run.max(1),
        first_seed: a.seed,
        data_width: a.data_width,
        time_limit: a.minutes.map(|m| std::time::Duration::from_secs_f64(m.max(0.0) * 60.0)),
        out_dir: a.out_dir.clone(),
        model_only: a.model_only,
        progress_every: std::time::Duration::from_secs(a.progress),
    };
    match soak(&c, |line| eprintln!("{line}")) {
        Ok((t, None)) => {
            println!("{}", summary_line(&c, &t, false));
            ExitCode::SUCCESS
        }
        Ok((t, Some(f))) => {
            print!("{}", f.report);
            match &f.scenario_file {
                Ok(p) => println!("scenario of seed {}: {}\nreproduce: txoe run {}", f.seed, p.display(), p.display()),
                Err(e) => println!("scenario of seed {} not written: {e}", f.seed),
            }
            println!("{}", summary_line(&c, &t, true));
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("txoe: {e}");
            ExitCode::from(2)
        }
    }
}

/// Create the directories output files name (`--pcap out/run.pcap`); false after
/// saying why one could not be created.
fn make_dirs<'a>(paths: impl IntoIterator<Item = &'a Option<PathBuf>>) -> bool {
    for path in paths.into_iter().flatten() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("txoe: cannot create {}: {e}", dir.display());
                return false;
            }
        }
    }
    true
}

/// The scenario of a subcommand other than `run`, or exit 2 with the message.
fn load_or_exit(file: Option<&PathBuf>, g: &GenArgs) -> Result<Scenario, ExitCode> {
    if file.is_some() && g.has_knobs() {
        eprintln!("txoe: --sends, --max-len, --multi-segment, --bad-percent, --ipv6-percent, --fault-percent and --resets shape a generated scenario: use them with --seed and no scenario file");
        return Err(ExitCode::from(2));
    }
    load(file, g).map_err(|e| {
        eprintln!("txoe: malformed scenario: {e}");
        ExitCode::from(2)
    })
}

/// [`load_or_exit`] for a subcommand that works from the golden model (`cmd`), which
/// refuses a scenario it cannot predict (faults, resets) with exit 2.
fn load_for_golden(cmd: &str, file: Option<&PathBuf>, g: &GenArgs) -> Result<Scenario, ExitCode> {
    let sc = load_or_exit(file, g)?;
    if let Err(e) = golden::supports(&sc) {
        eprintln!("txoe: {cmd}: {e}");
        return Err(ExitCode::from(2));
    }
    Ok(sc)
}

fn write_or_say(path: &std::path::Path, r: std::io::Result<()>) -> bool {
    match r {
        Ok(()) => true,
        Err(e) => {
            eprintln!("txoe: cannot write {}: {e}", path.display());
            false
        }
    }
}

fn expect(a: &ExpectArgs) -> ExitCode {
    let sc = match load_for_golden("expect", a.scenario.as_ref(), &a.gen) {
        Ok(sc) => sc,
        Err(c) => return c,
    };
    if !make_dirs([&a.pcap, &a.completions, &a.registers]) {
        return ExitCode::from(2);
    }
    let g = Golden::of(&sc);
    let mut ok = true;
    if let Some(p) = &a.pcap {
        ok &= write_or_say(p, pcap::write_pcap_file(p, &g.pcap_frames()).map_err(std::io::Error::other));
    }
    if let Some(p) = &a.completions {
        ok &= write_or_say(p, golden::write_entries_file(p, &g.entries));
    }
    if let Some(p) = &a.registers {
        let rf = RegisterFile { values: g.registers.clone() };
        ok &= write_or_say(p, rf.write_file(p));
    }
    let errors = g.entries.iter().filter(|e| e.status != "ok").count();
    println!(
        "expected: {} frames, {} completion entries ({} with an error status), seed={}",
        g.frames.len(),
        g.entries.len(),
        errors,
        sc.env.seed
    );
    if ok { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

fn check_capture(a: &CheckArgs) -> ExitCode {
    let sc = match load_for_golden("check", a.scenario.as_ref(), &a.gen) {
        Ok(sc) => sc,
        Err(c) => return c,
    };
    let inputs = (|| -> Result<_, String> {
        let frames = pcap::read_capture_file(&a.captured_pcap)?;
        let dump = CqDump::read_file(&a.captured_cq)?;
        let regs = a.registers.as_deref().map(RegisterFile::read_file).transpose()?;
        Ok((frames, dump, regs))
    })();
    let (frames, dump, regs) = match inputs {
        Ok(x) => x,
        Err(e) => {
            eprintln!("txoe: malformed capture: {e}");
            return ExitCode::from(2);
        }
    };
    let report = check::check(&sc, &frames, &dump, regs.as_ref());
    println!("{report}");
    if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn drive(a: &DriveArgs) -> ExitCode {
    use txoe_testbench::driver::{self, Driver, Layout};
    let sc = match load_for_golden("drive", a.scenario.as_ref(), &a.gen) {
        Ok(sc) => sc,
        Err(c) => return c,
    };
    if !make_dirs([&a.pcap, &a.cq_dump, &a.registers]) {
        return ExitCode::from(2);
    }
    // After the bring-up, the CQ dump and the registers are written even when the sends
    // did not all complete: what the engine did get done is what `txoe check` diagnoses.
    fn finish<B: driver::Bus>(d: &mut Driver<B>, sc: &Scenario, a: &DriveArgs) -> Result<bool, String> {
        d.bring_up().map_err(|e| e.to_string())?;
        let sent = d.run_sends(sc, a.max_idle_polls);
        // With every send completed, the final values; otherwise the registers as they are.
        let idle = match &sent {
            Ok(()) => d.wait_idle().map_err(|e| e.to_string())?,
            Err(_) => false,
        };
        let rf = d.read_back(sc.connections.iter().map(|c| c.id));
        let mut ok = true;
        if let Some(p) = &a.cq_dump {
            ok &= write_or_say(p, d.cq_dump().write_file(p));
        }
        if let (Some(p), Ok(rf)) = (&a.registers, &rf) {
            ok &= write_or_say(p, rf.write_file(p));
        }
        sent.map_err(|e| e.to_string())?;
        rf.map_err(|e| e.to_string())?;
        if !idle {
            return Err(format!(
                "every send completed, but STATUS is still busy after {} reads",
                driver::IDLE_POLLS
            ));
        }
        Ok(ok)
    }
    let result = if a.sim {
        let layout = Layout { base: 0x0010_0000 };
        let bus = match driver::sim::SimBus::new(Box::new(engine_for(&sc)), &sc) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("txoe: {e}");
                return ExitCode::from(1);
            }
        };
        let mut d = Driver::for_scenario(bus, &sc, layout);
        let r = finish(&mut d, &sc, a);
        let frames = d.bus.take_frames();
        if let Some(p) = &a.pcap {
            if !write_or_say(p, pcap::write_pcap_file(p, &frames).map_err(std::io::Error::other)) {
                return ExitCode::from(2);
            }
        }
        println!("drive: simulated model, {} cycles, {} frames", d.bus.cycles(), frames.len());
        r
    } else {
        let (Some(regs_path), Some(mem_path)) = (&a.regs, &a.mem) else {
            eprintln!("txoe: drive needs --regs and --mem (a board), or --sim");
            return ExitCode::from(2);
        };
        if a.mem_bus_addr & 0xFFF != 0 {
            eprintln!(
                "txoe: --mem-bus-addr {:#x} is not 4 KiB aligned: the rings must be (the engine ignores address bits 11:0)",
                a.mem_bus_addr
            );
            return ExitCode::from(2);
        }
        let need = Layout::bytes_needed(sc.config.tx_ring_log2);
        let bus = driver::mmap::Window::open(regs_path, a.regs_offset, a.regs_len as usize).and_then(|r| {
            let m = driver::mmap::Window::open(mem_path, a.mem_offset, need as usize)?;
            Ok(driver::mmap::MmapBus::new(r, m, a.mem_bus_addr))
        });
        let bus = match bus {
            Ok(b) => b,
            Err(e) => {
                eprintln!("txoe: {e}");
                return ExitCode::from(2);
            }
        };
        let mut d = Driver::for_scenario(bus, &sc, Layout { base: a.mem_bus_addr });
        finish(&mut d, &sc, a)
    };
    match result {
        Ok(true) => {
            println!("drive: {} sends completed; check with `txoe check`", sc.sends.len());
            ExitCode::SUCCESS
        }
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("txoe: drive: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.cmd {
        Cmd::Run(a) => run(a),
        Cmd::Scenario(a) => print_scenario(a),
        Cmd::Soak(a) => soak(a),
        Cmd::Expect(a) => expect(a),
        Cmd::Check(a) => check_capture(a),
        Cmd::Drive(a) => drive(a),
    }
}
