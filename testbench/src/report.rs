//! Text of a run's report, built on the lockstep runner's own report.

use txoe_cosim::RunReport;

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
