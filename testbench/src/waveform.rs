//! Waveforms of lockstep runs: a whole run dumped (`--fst`/`--vcd`), or — without tracing
//! the run — the window of cycles around the first mismatch.
//!
//! **Mismatch windows are re-runs.** A run is deterministic from its scenario (the
//! environment's randomness is seeded, the model and the RTL are deterministic), so when a
//! run stops on a mismatch at cycle `c` (or on an environment error or a stopped device:
//! the same window, ending at that cycle), [`capture_window`] runs the same scenario again
//! from cycle 0 with fresh devices, untraced up to cycle `c - before`, traced from there to
//! `c + after` (past the mismatch the sides go on diverging, see
//! `txoe_cosim::run_past_mismatch`), and checks that the mismatch came back on the same
//! cycle. A passing run pays nothing for this: nothing is recorded while it runs. The
//! price is paid on failure: the re-run takes as long as the run did up to `c`.
//!
//! Each dump holds the lockstep wrapper `txoe_tb_top`: the RTL's ports and internals, and
//! beside them the model's values under the same names with an `exp_` prefix. A GTKWave
//! save file is written beside it (`txoe_waves::txoe_view`), with the marker on the
//! mismatch cycle; GTKWave's time axis reads in cycles (cycle `c` is `c` ns).

use std::path::{Path, PathBuf};

use txoe_cosim::expect::ExpectedSlot;
use txoe_cosim::lockstep::Failure;
use txoe_cosim::{
    run_past_mismatch, Environment, ModelTap, ProbedDevice, Rtl, RunOptions, RunReport,
    TraceFormat, TraceWindow, TracedRtl,
};
use txoe_waves::Focus;

use crate::scenario::Scenario;
use crate::TbEnv;

/// Cycles dumped before the mismatch cycle by default.
pub const WINDOW_BEFORE: u64 = 200;
/// Cycles dumped after the mismatch cycle by default.
pub const WINDOW_AFTER: u64 = 20;

/// Where and how to dump the cycles around a mismatch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowConfig {
    /// Directory for the dump and its save file (created when needed).
    pub dir: PathBuf,
    pub before: u64,
    pub after: u64,
    pub format: TraceFormat,
}

impl WindowConfig {
    /// The default window (200 cycles before, 20 after, FST) in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        WindowConfig {
            dir: dir.into(),
            before: WINDOW_BEFORE,
            after: WINDOW_AFTER,
            format: TraceFormat::Fst,
        }
    }
}

impl Default for WindowConfig {
    /// The default window in [`default_dir`].
    fn default() -> Self {
        WindowConfig::in_dir(default_dir())
    }
}

/// `$TXOE_WAVES_DIR` if set, else `txoe-waves` in the system's temporary directory: where
/// library runs (and so the tests) leave their waveforms.
pub fn default_dir() -> PathBuf {
    match std::env::var_os("TXOE_WAVES_DIR").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join("txoe-waves"),
    }
}

/// The whole-run trace asked for by `TXOE_WAVES=fst` or `TXOE_WAVES=vcd`, as
/// `<default_dir>/<name>.<fst|vcd>`; `None` when unset. Tests name theirs after themselves.
pub fn trace_from_env(name: &str) -> Option<(PathBuf, TraceFormat)> {
    let v = std::env::var("TXOE_WAVES").ok()?;
    let format = match v.trim().to_ascii_lowercase().as_str() {
        "fst" | "1" | "true" => TraceFormat::Fst,
        "vcd" => TraceFormat::Vcd,
        _ => return None,
    };
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    Some((default_dir().join(format!("{name}.{}", format.extension())), format))
}

/// A dump a run left behind, with its GTKWave save file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waveform {
    pub dump: PathBuf,
    pub save: PathBuf,
    /// First and last cycle the dump holds.
    pub first_cycle: u64,
    pub last_cycle: u64,
    /// The cycle the save file's marker is on: the mismatch (or the environment error or
    /// stopped device) the run failed on, if it failed on one.
    pub mismatch_cycle: Option<u64>,
    /// True for a mismatch window (a re-run), false for a whole-run dump.
    pub window: bool,
    /// Signals of the view that the dump does not hold (left out of the save file).
    pub missing: Vec<String>,
}

impl Waveform {
    /// The command that opens the dump in GTKWave on the save file's view.
    pub fn command(&self) -> String {
        format!("gtkwave {} {}", shell_word(&self.dump), shell_word(&self.save))
    }
}

/// `p` as one shell word: absolute, quoted when it holds anything but plain characters.
fn shell_word(p: &Path) -> String {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let s = abs.to_string_lossy().into_owned();
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+,:=@".contains(c)) {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Run `env`, the model and `rtl` in lockstep with `rtl` tracing `window` and the model's
/// values beside it; after a mismatch keep going `after` cycles. Returns the report and the
/// last cycle dumped.
pub fn traced_run(
    env: &mut dyn Environment,
    model: &mut dyn ProbedDevice,
    rtl: Rtl,
    window: TraceWindow,
    opts: &RunOptions,
    after: u64,
) -> (RunReport, Option<u64>) {
    let slot = ExpectedSlot::default();
    let mut tap = ModelTap::new(model, slot.clone());
    let mut traced = TracedRtl::new(rtl, slot, window);
    let report = run_past_mismatch(env, &mut tap, Some(&mut traced), opts, after);
    let last = traced.last_dumped();
    drop(traced.finish());
    (report, last)
}

/// What the view of a run's report puts first: the ports of its mismatch, or the port an
/// environment error names, if it had one.
pub fn focus_of(report: &RunReport) -> Option<Focus> {
    // Short titles: GTKWave sizes its name column to the longest label (the report has
    // the rest).
    match &report.failure {
        Some(Failure::Mismatch { diffs, .. }) => {
            let first = diffs.first()?;
            let mut ports: Vec<String> = Vec::new();
            for d in diffs {
                if !ports.contains(&d.port) {
                    ports.push(d.port.clone());
                }
            }
            Some(Focus { title: format!("MISMATCH {}", first.port), ports })
        }
        Some(Failure::Env(e)) => {
            Some(Focus { title: format!("ENV-ERROR {}", e.port), ports: vec![e.port.clone()] })
        }
        _ => None,
    }
}

/// Write the save file for `dump` (the dump path with `.gtkw` appended to its file name),
/// and the translate filter files it uses (beside it, in `filters/`). `report` is the run
/// the dump is of: the marker goes on its mismatch and the differing ports come first.
pub fn write_view(
    dump: &Path,
    first_cycle: u64,
    last_cycle: u64,
    report: &RunReport,
    window: bool,
) -> Result<Waveform, String> {
    let mismatch_cycle = report.failure_cycle();
    let mut name = dump.as_os_str().to_owned();
    name.push(".gtkw");
    let save = PathBuf::from(name);
    let dump_abs = std::path::absolute(dump).unwrap_or_else(|_| dump.to_path_buf());
    let view = view_of(dump, report)?;
    txoe_waves::write_gtkw(&save, &dump_abs, &view.view).map_err(|e| format!("{}: {e}", save.display()))?;
    Ok(Waveform {
        dump: dump.to_path_buf(),
        save,
        first_cycle,
        last_cycle,
        mismatch_cycle,
        window,
        missing: view.missing,
    })
}

/// The view of `dump` (a dump of the run `report` is of): on the cycle it failed on if it
/// failed, else on the first frame; translate filter files beside the dump in `filters/`
/// where the dump does not name its enums itself (VCD).
pub fn view_of(dump: &Path, report: &RunReport) -> Result<txoe_waves::TxoeView, String> {
    let failed_at = report.failure_cycle();
    let mut d = txoe_waves::Dump::open(dump).map_err(|e| e.to_string())?;
    let dir = dump.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let names_enums = d
        .signal(&format!("{}.tx_state", txoe_waves::TB_SCOPE))
        .is_some_and(|i| !i.enum_literals.is_empty());
    let filters = if names_enums {
        None
    } else {
        Some(txoe_waves::write_filters(&dir.join("filters")).map_err(|e| e.to_string())?)
    };
    let at = match failed_at {
        Some(c) => c,
        None => txoe_waves::first_frame_cycle(&mut d),
    };
    Ok(txoe_waves::txoe_view(&d, filters.as_ref(), at, failed_at, focus_of(report).as_ref()))
}

/// Dump the cycles around the mismatch at cycle `mismatch` of a run of `sc`, by running
/// it again with a fresh model from `make_model` and a fresh RTL (see the module
/// documentation), and write the save file. `opts` are the first run's.
pub fn capture_window(
    sc: &Scenario,
    make_model: &dyn Fn(&Scenario) -> Box<dyn ProbedDevice>,
    opts: &RunOptions,
    mismatch: u64,
    win: &WindowConfig,
) -> Result<Waveform, String> {
    let data_w = sc.config.data_width;
    std::fs::create_dir_all(&win.dir).map_err(|e| format!("{}: {e}", win.dir.display()))?;
    let dump = win.dir.join(format!(
        "mismatch-seed{}-w{data_w}-cycle{mismatch}.{}",
        sc.env.seed,
        win.format.extension()
    ));
    let rtl = Rtl::new_traceable(data_w, win.format).map_err(|e| e.to_string())?;
    let mut model = make_model(sc);
    let mut env = TbEnv::new(sc, false);
    let from = mismatch.saturating_sub(win.before);
    let window = TraceWindow { path: dump.clone(), from, to: mismatch + win.after };
    let opts = RunOptions { progress_every: 0, ..opts.clone() };
    let (report, last) = traced_run(&mut env, &mut *model, rtl, window, &opts, win.after);
    match report.failure_cycle() {
        Some(c) if c == mismatch => {}
        other => {
            return Err(format!(
                "the re-run for the waveform did not reproduce the failure at cycle {mismatch} \
                 ({}); the run is not deterministic from its scenario",
                match other {
                    Some(c) => format!("it came at cycle {c}"),
                    None => "it did not come".into(),
                }
            ))
        }
    }
    let last = last.ok_or("the re-run dumped no cycle")?;
    write_view(&dump, from, last, &report, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_quote_paths_that_need_it() {
        let w = Waveform {
            dump: PathBuf::from("/tmp/a b/x.fst"),
            save: PathBuf::from("/tmp/x.fst.gtkw"),
            first_cycle: 0,
            last_cycle: 1,
            mismatch_cycle: None,
            window: false,
            missing: Vec::new(),
        };
        assert_eq!(w.command(), "gtkwave '/tmp/a b/x.fst' /tmp/x.fst.gtkw");
    }
}
