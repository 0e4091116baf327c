//! Waveforms of lockstep runs: a whole run dumped and read back with the model's values
//! beside the RTL's, mismatch windows (a re-run) with save files that name only signals the
//! dump holds, real GTKWave opening them headless, and the committed default view.
//!
//! Tests that need the RTL skip without it (`SKIPPED: …`, a failure under `CI=true`); the
//! GTKWave test skips the same way without `gtkwave` or `xvfb-run`.

use std::path::{Path, PathBuf};
use std::process::Command;

use txoe_cosim::{rtl_or_skip, ProbedDevice, Rtl, TraceFormat};
use txoe_testbench::inject::Injected;
use txoe_testbench::report::waveform_text;
use txoe_testbench::scenario::Scenario;
use txoe_testbench::waveform::{Waveform, WindowConfig};
use txoe_testbench::{engine_for, run_scenario, run_scenario_with, Outcome, RunConfig};
use txoe_waves::{gtkw_signals, Dump, TB_SCOPE};

mod common;

fn sig(name: &str) -> String {
    format!("{TB_SCOPE}.{name}")
}

/// A run of `sc` dumped whole to `dir/run.<fmt>`.
fn dumped(sc: &Scenario, dir: &Path, format: TraceFormat) -> Option<Outcome> {
    rtl_or_skip(sc.config.data_width)?;
    if format == TraceFormat::Vcd && !Rtl::widths_with(TraceFormat::Vcd).contains(&sc.config.data_width) {
        assert!(!txoe_cosim::ci_requires_tools(), "no VCD build for DATA_W={}", sc.config.data_width);
        eprintln!("SKIPPED: no VCD build for DATA_W={} (TXOE_VCD_WIDTHS)", sc.config.data_width);
        return None;
    }
    let path = dir.join(format!("run.{}", format.extension()));
    let mut cfg = RunConfig { progress_every: 0, ..RunConfig::default() };
    match format {
        TraceFormat::Fst => cfg.fst = Some(path),
        TraceFormat::Vcd => cfg.vcd = Some(path),
    }
    let out = run_scenario(sc, &cfg).expect("scenario runs");
    assert!(out.passed(), "{}", out.report);
    Some(out)
}

/// Checks of a passing run's dump at the cycles its frames' last beats left.
fn check_dump_at_frame_ends(dump: &mut Dump, out: &Outcome, enums: bool) {
    assert_eq!(out.report.mismatches, 0);
    assert!(!out.frames.is_empty());
    let bw = 64 / 8;
    for (i, f) in out.frames.iter().enumerate() {
        let c = f.cycle;
        assert_eq!(dump.u128_at_cycle(&sig("cycle"), c).unwrap(), u128::from(c));
        for s in ["m_axis_tx_tvalid", "m_axis_tx_tready", "m_axis_tx_tlast", "exp_m_axis_tx_tvalid"] {
            assert_eq!(dump.u128_at_cycle(&sig(s), c).unwrap(), 1, "{s} at cycle {c}");
        }
        assert_eq!(dump.u128_at_cycle(&sig("tx_frame"), c).unwrap(), i as u128, "frame number");
        assert_eq!(dump.u128_at_cycle(&sig("exp_tx_frame"), c).unwrap(), i as u128);
        // the last beat's bytes, on both sides
        let tail = &f.data[(f.data.len() - 1) / bw * bw..];
        let keep = (1u128 << tail.len()) - 1;
        assert_eq!(dump.u128_at_cycle(&sig("m_axis_tx_tkeep"), c).unwrap(), keep);
        for s in ["m_axis_tx_tdata", "exp_m_axis_tx_tdata"] {
            let got = dump.at_cycle(&sig(s), c).unwrap().to_le_bytes().unwrap();
            assert_eq!(&got[..tail.len()], tail, "{s} at cycle {c}");
        }
        // the IPv4 ID was taken when the header was built: the counter has moved past it,
        // by at most the two later segments whose headers the other slots may hold
        if let Some(id) = common::parse(&f.data).ipv4_id {
            let counter = dump.u128_at_cycle(&sig("ipv4_id"), c).unwrap();
            assert_eq!(dump.u128_at_cycle(&sig("exp_ipv4_id"), c).unwrap(), counter);
            let ahead = (counter as u32 + 0x8000 - u32::from(id)) % 0x8000;
            assert!((1..=3).contains(&ahead), "IPv4 ID counter {counter:#x} after frame {i} with ID {id:#x}");
        }
        // the front end's state (it may already be on the next request) reads the same
        assert_eq!(
            dump.u128_at_cycle(&sig("tx_state"), c).unwrap(),
            dump.u128_at_cycle(&sig("exp_tx_state"), c).unwrap(),
            "tx_state at cycle {c}"
        );
        if enums {
            let name = dump.enum_at_cycle(&sig("tx_state"), c).unwrap().expect("a state name");
            assert!(name.starts_with("Fe"), "{name}");
            assert_eq!(dump.enum_at_cycle(&sig("exp_tx_state"), c).unwrap(), Some(name));
        }
    }
}

#[test]
fn a_dumped_run_reads_back_with_the_model_beside_the_rtl_on_every_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let sc = Scenario::builtin_default();
    let Some(out) = dumped(&sc, dir.path(), TraceFormat::Fst) else { return };
    let w = out.waveform.as_ref().expect("a waveform");
    assert!(!w.window && w.mismatch_cycle.is_none());
    let mut dump = Dump::open(&w.dump).unwrap();
    let (first, last) = dump.cycle_range().unwrap();
    assert_eq!((first, last), (0, out.report.cycles - 1), "every cycle of the run");
    check_dump_at_frame_ends(&mut dump, &out, true);

    // The model's state matches the RTL's on every cycle of a passing run from the first
    // reset edge on (before it the RTL's registers hold no value yet), and nothing is
    // flagged: what a mismatch view shows parting is a real difference.
    for c in 1..=last {
        for s in ["tx_state", "wr_state", "ipv4_id", "ipv6_id", "cplq_count", "irq"] {
            let (a, e) = (dump.u128_at_cycle(&sig(s), c).unwrap(), dump.u128_at_cycle(&sig(&format!("exp_{s}")), c).unwrap());
            assert_eq!(a, e, "{s} at cycle {c}");
        }
        assert_eq!(dump.u128_at_cycle(&sig("mismatch"), c).unwrap(), 0, "cycle {c}");
    }
    // a completion entry by name on both sides
    let b = &out.batches[0];
    let c = (0..=last)
        .find(|&c| dump.enum_at_cycle(&sig("cpl_status"), c).unwrap().as_deref() == Some("StOk"))
        .expect("a completion status on the write channel");
    assert!(c < b.cycle);
    assert_eq!(dump.enum_at_cycle(&sig("exp_cpl_status"), c).unwrap().as_deref(), Some("StOk"));
    // the DUT's own enum (the RTL's state register) reads the same as the probe
    let c0 = out.frames[0].cycle;
    let own = dump.enum_at_cycle(&sig("dut.u_tx.fe_q"), c0).unwrap().expect("the RTL's own enum");
    assert_eq!(dump.enum_at_cycle(&sig("tx_state"), c0).unwrap(), Some(own));

    // the save file names only signals of the dump and opens on the first frame
    let text = std::fs::read_to_string(&w.save).unwrap();
    for s in gtkw_signals(&text) {
        assert!(dump.has(&s), "{s} is not in the dump");
        assert_eq!(dump.signal(&s).unwrap().name, s, "the save file uses the dump's own name");
    }
    assert!(w.missing.is_empty(), "{:?}", w.missing);
    assert!(text.contains(&format!("[dumpfile] \"{}\"", std::path::absolute(&w.dump).unwrap().display())));
}

#[test]
fn a_vcd_dump_reads_back_the_same_values_and_names_enums_through_filter_files() {
    let dir = tempfile::tempdir().unwrap();
    let sc = Scenario::builtin_default();
    let Some(out) = dumped(&sc, dir.path(), TraceFormat::Vcd) else { return };
    let w = out.waveform.as_ref().expect("a waveform");
    assert_eq!(w.dump.extension().unwrap(), "vcd");
    assert!(std::fs::read_to_string(&w.dump).unwrap().starts_with("$version"), "Verilator's own VCD writer");
    let mut dump = Dump::open(&w.dump).unwrap();
    check_dump_at_frame_ends(&mut dump, &out, false);
    let text = std::fs::read_to_string(&w.save).unwrap();
    let filters = dir.path().join("filters");
    for (table, n) in [(txoe_waves::TX_STATE, 1), (txoe_waves::WR_STATE, 2)] {
        let file = filters.join(table.file);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), table.text());
        assert!(text.contains(&format!("^{n} {}\n", file.display())), "{text}");
    }
}

/// The tables the filter files are written from name what the FST dump's enums name.
#[test]
fn filter_tables_agree_with_the_enums_of_the_dump() {
    let dir = tempfile::tempdir().unwrap();
    let mut sc = Scenario::builtin_default();
    sc.sends.truncate(1);
    let Some(out) = dumped(&sc, dir.path(), TraceFormat::Fst) else { return };
    let dump = Dump::open(&out.waveform.unwrap().dump).unwrap();
    for (s, table) in [
        ("tx_state", txoe_waves::TX_STATE),
        ("wr_state", txoe_waves::WR_STATE),
        ("cpl_status", txoe_waves::STATUS),
        ("cpl_reason", txoe_waves::REASON),
        ("dut.u_tx.fe_q", txoe_waves::TX_STATE),
    ] {
        let lits = &dump.signal(&sig(s)).unwrap().enum_literals;
        let mut got: Vec<(u128, String)> =
            lits.iter().map(|(v, n)| (u128::from_str_radix(v, 2).unwrap(), n.clone())).collect();
        got.sort();
        let want: Vec<(u128, String)> =
            table.literals.iter().map(|(v, n)| (u128::from(*v), n.to_string())).collect();
        assert_eq!(got, want, "{s}");
    }
}

/// A run of the default scenario whose model differs from the RTL on frame `frame`'s
/// IPv4 ID, with mismatch windows in `dir`.
fn injected(frame: u64, dir: &Path, format: TraceFormat) -> Option<Outcome> {
    let sc = Scenario::builtin_default();
    rtl_or_skip(sc.config.data_width)?;
    let cfg = RunConfig {
        progress_every: 0,
        window: Some(WindowConfig { format, ..WindowConfig::in_dir(dir) }),
        ..RunConfig::default()
    };
    let make = move |sc: &Scenario| -> Box<dyn ProbedDevice> { Box::new(Injected::new(engine_for(sc), frame)) };
    Some(run_scenario_with(&sc, &cfg, &make).expect("scenario runs"))
}

/// The window of `out` exists, covers the mismatch cycle with `before`/`after` cycles
/// around it, shows the two sides parting there, and its save file names only its signals.
fn check_window(out: &Outcome) -> (Waveform, u64) {
    let c = out.report.mismatch_cycle().expect("a mismatch");
    let w = out.waveform.clone().unwrap_or_else(|| panic!("no window: {:?}", out.waveform_error));
    assert!(w.window && w.dump.is_file() && w.save.is_file());
    assert_eq!(w.mismatch_cycle, Some(c));
    let mut dump = Dump::open(&w.dump).unwrap();
    let (first, last) = dump.cycle_range().unwrap();
    assert_eq!(first, c.saturating_sub(200), "200 cycles before");
    assert_eq!(last, c + 20, "20 cycles after");
    assert_eq!((w.first_cycle, w.last_cycle), (first, last));
    // the flag rises on the mismatch cycle and not before; the two sides part there
    assert_eq!(dump.first_cycle_with(&sig("mismatch"), 1, first).unwrap(), Some(c));
    let (a, e) = (dump.at_cycle(&sig("m_axis_tx_tdata"), c).unwrap(), dump.at_cycle(&sig("exp_m_axis_tx_tdata"), c).unwrap());
    assert_ne!(a, e, "expected and actual part on the mismatch cycle");
    let (a, e) = (dump.at_cycle(&sig("m_axis_tx_tdata"), c - 1).unwrap(), dump.at_cycle(&sig("exp_m_axis_tx_tdata"), c - 1).unwrap());
    assert_eq!(a, e, "and not the cycle before");

    let text = std::fs::read_to_string(&w.save).unwrap();
    let names = gtkw_signals(&text);
    assert!(names.len() > 60, "{} signals", names.len());
    for s in &names {
        assert!(dump.has(s), "{s} is not in the dump");
    }
    let marker = dump.gtkwave_time(c);
    assert!(text.contains(&format!(" {marker} -1 -1")), "marker on cycle {c}: {text}");
    assert!(text.contains("-MISMATCH m_axis_tx\n"), "the differing port's group comes first");
    (w, c)
}

#[test]
fn a_mismatch_leaves_a_window_around_it_with_a_save_file_that_opens_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = injected(2, dir.path(), TraceFormat::Fst) else { return };
    let text = out.report.to_string();
    assert!(text.contains("port=m_axis_tx frame=2 field=ipv4.id"), "{text}");
    let (w, c) = check_window(&out);
    assert!(c > 200);
    // the report says how to open it, with both absolute paths
    let lines = waveform_text(&out);
    assert!(lines.contains(&format!("around the mismatch at cycle {c}")), "{lines}");
    let cmd = lines.lines().find(|l| l.trim_start().starts_with("gtkwave ")).expect("the command");
    assert_eq!(cmd.trim(), w.command());
    assert!(cmd.contains(&std::path::absolute(&w.dump).unwrap().display().to_string()));
    assert!(w.dump.file_name().unwrap().to_string_lossy().contains(&format!("cycle{c}")));
}

#[test]
fn an_early_mismatch_window_starts_at_cycle_0_and_vcd_windows_work_too() {
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = injected(0, dir.path(), TraceFormat::Fst) else { return };
    let (_, c) = check_window(&out);
    assert!(c < 1000);
    if Rtl::widths_with(TraceFormat::Vcd).contains(&64) {
        let dir = tempfile::tempdir().unwrap();
        let Some(out) = injected(1, dir.path(), TraceFormat::Vcd) else { return };
        let (w, _) = check_window(&out);
        assert_eq!(w.dump.extension().unwrap(), "vcd");
    }
}

/// `gtkwave` and `xvfb-run`, or a skip (a failure under `CI=true`).
fn gtkwave_or_skip() -> bool {
    let have = |tool: &str| Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = ["gtkwave", "xvfb-run"].into_iter().filter(|t| !have(t)).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(!txoe_cosim::ci_requires_tools(), "{missing:?} not found and CI=true (scripts/setup.sh installs them)");
    eprintln!("SKIPPED: {} not found (scripts/setup.sh installs them)", missing.join(" and "));
    false
}

/// Open `dump` on `save` in real GTKWave under a virtual display; a Tcl script prints what
/// it loaded. Returns (stdout, stderr).
fn gtkwave_headless(dir: &Path, dump: &Path, save: &Path) -> (String, String) {
    let script = dir.join("check.tcl");
    std::fs::write(
        &script,
        "set n [gtkwave::getTotalNumTraces]\n\
         set names {}\n\
         for {set i 0} {$i < $n} {incr i} { lappend names [gtkwave::getTraceNameFromIndex $i] }\n\
         puts \"TXOE-LOADED traces=$n marker=[gtkwave::getMarker] start=[gtkwave::getWindowStartTime]\"\n\
         puts \"TXOE-NAMES $names\"\n\
         gtkwave::/File/Quit\n",
    )
    .unwrap();
    let out = Command::new("timeout")
        .args(["120", "xvfb-run", "-a", "gtkwave", "-S"])
        .arg(&script)
        .arg(dump)
        .arg(save)
        .output()
        .expect("xvfb-run runs");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn gtkwave_opens_the_mismatch_view_headless_on_the_mismatch_cycle() {
    if !gtkwave_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = injected(2, dir.path(), TraceFormat::Fst) else { return };
    let (w, c) = check_window(&out);
    let (stdout, stderr) = gtkwave_headless(dir.path(), &w.dump, &w.save);
    let loaded = stdout.lines().find(|l| l.starts_with("TXOE-LOADED")).unwrap_or_else(|| panic!("GTKWave did not run the script:\n{stdout}\n{stderr}"));
    for bad in ["Error", "error", "Could not", "could not", "not found"] {
        assert!(!stdout.contains(bad) && !stderr.contains(bad), "GTKWave said {bad:?}:\n{stdout}\n{stderr}");
    }
    let dump = Dump::open(&w.dump).unwrap();
    assert!(loaded.contains(&format!("marker={}", dump.gtkwave_time(c))), "{loaded}");
    // every trace of the save file was found: GTKWave skips unknown names silently, so
    // count them (and the group begin and end lines)
    let text = std::fs::read_to_string(&w.save).unwrap();
    let groups = text.lines().filter(|l| l.starts_with('-')).count();
    let traces = gtkw_signals(&text).len();
    assert!(loaded.contains(&format!("traces={}", traces + groups)), "{loaded} vs {traces} traces, {groups} group lines");
    let names = stdout.lines().find(|l| l.starts_with("TXOE-NAMES")).unwrap();
    assert!(names.contains("exp_m_axis_tx_tdata") && names.contains("MISMATCH m_axis_tx"), "{names}");
}

/// `waves/default.gtkw`: the view of the default scenario's whole-run dump at 64 bits
/// (`txoe run --fst out/default.fst`), as the generator writes it. `TXOE_BLESS=1`
/// rewrites it.
#[test]
fn the_committed_default_view_is_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    let sc = Scenario::builtin_default();
    let Some(out) = dumped(&sc, dir.path(), TraceFormat::Fst) else { return };
    let w = out.waveform.unwrap();
    let view = txoe_testbench::waveform::view_of(&w.dump, &out.report).unwrap();
    let text = txoe_waves::gtkw_text(Path::new("out/default.fst"), &view.view);
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../waves/default.gtkw");
    if std::env::var("TXOE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&committed, &text).unwrap();
    }
    let want = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        want == text,
        "waves/default.gtkw is out of date; rerun with TXOE_BLESS=1 to rewrite it. It should be:\n{text}"
    );
}

/// The model, stopping (panicking) on a given cycle.
struct StopsAt {
    inner: txoe_model::Engine,
    cycle: u64,
    at: u64,
}

impl txoe_model::ports::Device for StopsAt {
    fn cycle(&mut self, inp: &txoe_model::ports::Inputs) -> txoe_model::ports::Outputs {
        assert!(self.cycle != self.at, "model invariant broken on purpose");
        self.cycle += 1;
        self.inner.cycle(inp)
    }
    fn data_width(&self) -> u32 {
        self.inner.data_width()
    }
}

impl txoe_model::Probe for StopsAt {
    fn probe(&self) -> txoe_model::ProbeState {
        self.inner.probe()
    }
}

#[test]
fn a_device_that_stops_leaves_a_window_ending_on_that_cycle() {
    let sc = Scenario::builtin_default();
    if rtl_or_skip(sc.config.data_width).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = RunConfig { progress_every: 0, window: Some(WindowConfig::in_dir(dir.path())), ..RunConfig::default() };
    let make = |sc: &Scenario| -> Box<dyn ProbedDevice> { Box::new(StopsAt { inner: engine_for(sc), cycle: 0, at: 700 }) };
    let out = run_scenario_with(&sc, &cfg, &make).unwrap();
    assert_eq!(out.report.failure_cycle(), Some(700), "{}", out.report);
    let w = out.waveform.clone().unwrap_or_else(|| panic!("no window: {:?}", out.waveform_error));
    let dump = Dump::open(&w.dump).unwrap();
    // the stopped cycle itself is not dumped: the model never finished it
    assert_eq!(dump.cycle_range(), Some((500, 699)));
    assert!(waveform_text(&out).contains("around the failure at cycle 700"), "{}", waveform_text(&out));
}

/// At 256 bits a completion entry sits at lane 0 or 16 of its beat: the decoded status
/// reads the same on both sides on every beat, and names every status the host consumed.
#[test]
fn completion_statuses_decode_by_name_on_both_sides_at_256_bits() {
    let knobs = txoe_testbench::scenario::GenKnobs {
        sends: 24,
        bad_percent: 35,
        data_width: 256,
        ..Default::default()
    };
    let mut sc = Scenario::random(11, &knobs);
    // One entry per batch, so every entry is the first of its write beat: the one the
    // wrapper decodes into `cpl_status` (a beat of 256 bits holds two entries).
    sc.config.max_batch = 1;
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = dumped(&sc, dir.path(), TraceFormat::Fst) else { return };
    let mut dump = Dump::open(&out.waveform.as_ref().unwrap().dump).unwrap();
    let (_, last) = dump.cycle_range().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for c in 1..=last {
        let a = dump.enum_at_cycle(&sig("cpl_status"), c).unwrap();
        assert_eq!(a, dump.enum_at_cycle(&sig("exp_cpl_status"), c).unwrap(), "cycle {c}");
        assert_eq!(
            dump.enum_at_cycle(&sig("cpl_reason"), c).unwrap(),
            dump.enum_at_cycle(&sig("exp_cpl_reason"), c).unwrap(),
            "cycle {c}"
        );
        if let Some(name) = a.filter(|n| n != "StNone") {
            seen.insert(name);
        }
    }
    let want: std::collections::BTreeSet<String> = out
        .batches
        .iter()
        .flat_map(|b| b.entries.iter())
        .map(|e| {
            let table = txoe_waves::STATUS.literals;
            table.iter().find(|(v, _)| *v == u64::from(e.status)).map(|(_, n)| n.to_string()).unwrap()
        })
        .collect();
    assert!(want.len() > 1, "the scenario has rejected sends: {want:?}");
    assert_eq!(seen, want);
}
