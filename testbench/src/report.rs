//! Text of a run's report, built on the lockstep runner's own report.

use txoe_cosim::RunReport;
use txoe_model::layout::CloseReason;

use crate::coalescing::CoalesceStats;

use crate::Outcome;

/// The report of a run: the runner's outcome lines (the first mismatch and every other
/// differing field of that cycle, the environment error, or the timeout, with the seed),
/// on failure the environment's state (`progress`), the coalescing statistics, and last
/// the summary line.
pub fn report_text(r: &RunReport, progress: &str, stats: &CoalesceStats) -> String {
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
    s.push_str(&coalescing_text(stats));
    s.push_str(summary);
    s.push('\n');
    s
}

/// The coalescing statistics, one topic a line:
///
/// ```text
/// coalescing: 12 completions in 8 batches, 1.50 per batch
///   batch sizes: 1:5 2:2 3:1
///   close reasons: max_batch 0, timeout 5, immediate 3, ring_end 0
///   completion latency (cycles): max 243, p50 180, p99 243
/// ```
///
/// Batch sizes list the sizes that occurred, as `size:count`. Latency runs from the last
/// frame beat of a request (or, for a request that sends nothing, from the cycle its
/// completion was queued) to its batch's write response (see [`crate::coalescing`]).
pub fn coalescing_text(stats: &CoalesceStats) -> String {
    let sizes: Vec<String> = stats
        .sizes
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(k, n)| format!("{k}:{n}"))
        .collect();
    let reasons: Vec<String> = CloseReason::ALL
        .iter()
        .map(|r| format!("{} {}", r.name(), stats.reasons[*r as usize]))
        .collect();
    let lat = |v: Option<u64>| v.map_or("-".to_string(), |x| x.to_string());
    format!(
        "coalescing: {} completions in {} batches, {:.2} per batch\n  batch sizes: {}\n  close reasons: {}\n  completion latency (cycles): max {}, p50 {}, p99 {}\n",
        stats.completions,
        stats.batches.len(),
        stats.per_batch(),
        if sizes.is_empty() { "-".to_string() } else { sizes.join(" ") },
        reasons.join(", "),
        lat(stats.latency_max()),
        lat(stats.latency_percentile(50.0)),
        lat(stats.latency_percentile(99.0)),
    )
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

/// One line on the faults and resets of a run, when it had any:
///
/// ```text
/// faults: 3 read and 1 write errors fired, ERR seen 0x1 0x2 0x4, 2 resets (1 scheduled, 1 recovery), 7 orphan frames, 12 sends posted again, 1 frame cut, 2 dma_error completions
/// ```
pub fn faults_text(out: &crate::Outcome) -> Option<String> {
    use crate::host::ResetCause;
    let f = &out.faults;
    if f.fired.is_empty() && f.resets.is_empty() && f.err.is_empty() {
        return None;
    }
    let writes = f.fired.iter().filter(|x| x.write).count();
    let errs: Vec<String> = f.err.iter().map(|e| format!("{:#x}", e.1)).collect();
    let recoveries = f.resets.iter().filter(|r| r.1 == ResetCause::Recovery).count();
    Some(format!(
        "faults: {} read and {writes} write errors fired, ERR seen [{}], {} resets ({} scheduled, {recoveries} recovery), {} orphan frames, {} sends posted again, {} frames cut, {} dma_error completions",
        f.fired.len() - writes,
        errs.join(" "),
        f.resets.len(),
        f.resets.len() - recoveries,
        f.orphan_frames,
        f.reposted,
        out.truncated_frames,
        f.dma_errors
    ))
}
