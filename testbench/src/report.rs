//! Text of a run's report, built on the lockstep runner's own report.

use txoe_cosim::RunReport;

use crate::Outcome;

/// The report of a run: the runner's outcome lines (the first mismatch and every other
/// differing field of that cycle, the environment error, or the timeout, with the seed),
/// on failure the environment's state (`progress`), and last the summary line.
pub fn report_text(r: &RunReport, progress: &str) -> String {
    let text = r.to_string();
    let (body, summary) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
    let mut s = String::new();
    if !body.is_empty() {
        s.push_str(body);
        s.push('\n');
    }
    if !r.passed() {
        s.push_str(&format!("environment: {progress}\n"));
    }
    s.push_str(summary);
    s.push('\n');
    s
}

/// The summary line alone: cycles, frames, headers and batches diffed, mismatches,
/// cycles per second, seed.
pub fn summary_line(r: &RunReport) -> String {
    let text = r.to_string();
    text.rsplit_once('\n')
        .map_or(text.clone(), |(_, last)| last.to_string())
}

/// The lines that say where the run's waveform is and how to open it (empty without one):
/// for a mismatch window
///
/// ```text
/// waveform: cycles 1034..=1254 around the mismatch at cycle 1234 (RTL beside the model's exp_* values)
///   gtkwave /abs/txoe-waves/mismatch-seed1-w64-cycle1234.fst /abs/txoe-waves/mismatch-seed1-w64-cycle1234.fst.gtkw
/// ```
pub fn waveform_text(o: &Outcome) -> String {
    let Some(w) = &o.waveform else { return String::new() };
    let kind = if o.report.mismatch_cycle().is_some() { "mismatch" } else { "failure" };
    let what = match (w.window, w.mismatch_cycle) {
        (true, Some(c)) => format!(
            "cycles {}..={} around the {kind} at cycle {c}",
            w.first_cycle, w.last_cycle
        ),
        (false, Some(c)) => format!(
            "cycles {}..={}, marker on the {kind} at cycle {c}",
            w.first_cycle, w.last_cycle
        ),
        (_, None) => format!("cycles {}..={}", w.first_cycle, w.last_cycle),
    };
    let mut s = format!("waveform: {what} (RTL beside the model's exp_* values)\n  {}\n", w.command());
    if !w.missing.is_empty() {
        s.push_str(&format!(
            "  (not in this dump, left out of the view: {})\n",
            w.missing.join(", ")
        ));
    }
    s
}
