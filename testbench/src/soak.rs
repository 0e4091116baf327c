//! Soak: a long random lockstep campaign, many generated scenarios back to back
//! (`txoe soak`). Each run is [`Scenario::random`] from the next seed with generator knobs
//! that also follow from the seed; the campaign stops at the first run that does not
//! pass, writes that scenario as a file `txoe run FILE` replays, and otherwise ends when
//! the requested number of sends (or minutes) is done.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::report::{report_text, waveform_text};
use crate::scenario::{GenKnobs, Scenario};
use txoe_cosim::ProbedDevice;

use crate::{run_scenario_with, Outcome, RunConfig, TbError, WindowConfig};

/// What to soak.
#[derive(Clone, Debug)]
pub struct SoakConfig {
    /// Stop once this many sends have run.
    pub sends: u64,
    /// Sends per generated scenario.
    pub sends_per_run: usize,
    /// Seed of the first scenario; the next ones count up from it.
    pub first_seed: u64,
    pub data_width: u32,
    /// Stop after this much wall time (after the run in progress).
    pub time_limit: Option<Duration>,
    /// Where a failing scenario and its waveform window go.
    pub out_dir: PathBuf,
    pub model_only: bool,
    /// Wall time between two progress lines.
    pub progress_every: Duration,
}

/// Totals of a campaign.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SoakTotals {
    pub runs: u64,
    pub sends: u64,
    pub cycles: u64,
    pub frames: u64,
    pub headers_diffed: u64,
    pub batches_diffed: u64,
    pub mismatches: u64,
    pub elapsed: Duration,
    /// Last seed run.
    pub last_seed: Option<u64>,
}

impl SoakTotals {
    pub fn cycles_per_second(&self) -> f64 {
        self.cycles as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn add(&mut self, sc: &Scenario, o: &Outcome) {
        self.runs += 1;
        self.sends += sc.sends.len() as u64;
        self.cycles += o.report.cycles;
        self.frames += o.report.frames;
        self.headers_diffed += o.report.headers_diffed;
        self.batches_diffed += o.report.batches_diffed;
        self.mismatches += o.report.mismatches;
        self.last_seed = Some(sc.env.seed);
    }
}

/// A run that did not pass.
#[derive(Debug)]
pub struct SoakFailure {
    pub seed: u64,
    /// The scenario file that replays it (`None` when it could not be written; the error).
    pub scenario_file: Result<PathBuf, String>,
    /// The report: the failure lines, the coalescing statistics, the waveform lines, the
    /// summary.
    pub report: String,
}

/// The scenario of seed `seed`: [`Scenario::random`] with knobs drawn from the seed (half
/// multi-segment, lengths up to 1460, 9000 or 65535, 0, 5 or 20 % bad sends, any share of
/// IPv6, 0, 5 or 20 % of sends with a fault, 0, 1 or 3 resets).
pub fn soak_scenario(seed: u64, sends: usize, data_width: u32) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x736F_616B_0000_0000);
    let knobs = GenKnobs {
        sends,
        max_len: [1460, 1460, 9000, 65535][rng.gen_range(0..4)],
        multi_segment: rng.gen_bool(0.5),
        bad_percent: [0, 0, 5, 20][rng.gen_range(0..4)],
        ipv6_percent: rng.gen_range(0..=100),
        data_width,
        fault_percent: [0, 0, 5, 20][rng.gen_range(0..4)],
        resets: [0, 0, 1, 3][rng.gen_range(0..4)],
    };
    Scenario::random(seed, &knobs)
}

fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn si(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.2}G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// The progress line.
pub fn progress_line(c: &SoakConfig, t: &SoakTotals) -> String {
    format!(
        "[soak] {} runs {} (seeds {}..={}) sends {}/{} cycles {} frames {} batches {} mismatches {} {} cycles/s",
        hms(t.elapsed),
        t.runs,
        c.first_seed,
        t.last_seed.unwrap_or(c.first_seed),
        t.sends,
        c.sends,
        si(t.cycles as f64),
        t.frames,
        t.batches_diffed,
        t.mismatches,
        si(t.cycles_per_second())
    )
}

/// The summary line.
pub fn summary_line(c: &SoakConfig, t: &SoakTotals, failed: bool) -> String {
    format!(
        "soak: {}: {} runs (seeds {}..={}, DATA_W {}, {}), {} sends, {} cycles, {} frames, {} headers and {} batches diffed, {} mismatches, wall {}, {} cycles/s",
        if failed { "FAILED" } else { "passed" },
        t.runs,
        c.first_seed,
        t.last_seed.unwrap_or(c.first_seed),
        c.data_width,
        if c.model_only { "model only" } else { "lockstep" },
        t.sends,
        t.cycles,
        t.frames,
        t.headers_diffed,
        t.batches_diffed,
        t.mismatches,
        hms(t.elapsed),
        si(t.cycles_per_second())
    )
}

/// Run the campaign; `progress` gets a progress line every `c.progress_every`. Returns the
/// totals and the first failure, if any.
pub fn soak(c: &SoakConfig, progress: impl FnMut(&str)) -> Result<(SoakTotals, Option<SoakFailure>), TbError> {
    soak_with(c, &|sc| Box::new(crate::engine_for(sc)), progress)
}

/// [`soak`] with the model `make_model` builds in the reference model's place.
pub fn soak_with(
    c: &SoakConfig,
    make_model: &dyn Fn(&Scenario) -> Box<dyn ProbedDevice>,
    mut progress: impl FnMut(&str),
) -> Result<(SoakTotals, Option<SoakFailure>), TbError> {
    let start = Instant::now();
    let mut last_print = start;
    let mut t = SoakTotals::default();
    let run_cfg = RunConfig {
        model_only: c.model_only,
        window: (!c.model_only).then(|| WindowConfig { dir: c.out_dir.clone(), ..WindowConfig::default() }),
        progress_every: 0,
        keep_frames: false,
        ..RunConfig::default()
    };
    let mut seed = c.first_seed;
    while t.sends < c.sends && c.time_limit.map_or(true, |l| start.elapsed() < l) {
        let left = (c.sends - t.sends).min(c.sends_per_run as u64) as usize;
        let sc = soak_scenario(seed, left, c.data_width);
        let out = run_scenario_with(&sc, &run_cfg, make_model)?;
        t.add(&sc, &out);
        t.elapsed = start.elapsed();
        if !out.passed() {
            let report = format!(
                "{}{}",
                report_text(&out.report, &out.progress, &out.stats),
                waveform_text(&out)
            );
            let scenario_file = write_scenario(&c.out_dir, &sc);
            return Ok((t, Some(SoakFailure { seed, scenario_file, report })));
        }
        if last_print.elapsed() >= c.progress_every {
            last_print = Instant::now();
            progress(&progress_line(c, &t));
        }
        seed = seed.wrapping_add(1);
    }
    t.elapsed = start.elapsed();
    Ok((t, None))
}

/// `<dir>/soak-seed<S>-w<W>.json`, absolute.
fn write_scenario(dir: &Path, sc: &Scenario) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("soak-seed{}-w{}.json", sc.env.seed, sc.config.data_width));
    std::fs::write(&path, sc.to_json_pretty() + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(std::fs::canonicalize(&path).unwrap_or(path))
}
