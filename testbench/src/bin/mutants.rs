//! `txoe-mutants`: does the lockstep regression catch small RTL bugs?
//!
//! For each mutant of `txoe_testbench::mutants::MUTANTS`: copy `rtl/` to the work
//! directory, apply the mutant (it must match exactly once), build `txoe` against the copy
//! (`TXOE_RTL_DIR`, 64 bits only, no VCD build, its own cargo target directory so only the
//! Verilated model and its dependents rebuild), run the regression scenarios in order until
//! one fails, and record which one killed it and on which cycle. The unmutated copy is built
//! and run first: every regression scenario must pass on it. Writes a Markdown table.
//!
//! ```sh
//! cargo run --release --bin txoe-mutants              # all mutants
//! cargo run --release --bin txoe-mutants -- --only cq-phase-stuck,timeout-one-late
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use txoe_testbench::mutants::{apply, apply_to_text, copy_rtl, verdict, Mutant, Verdict, MUTANTS};

#[derive(Parser, Debug)]
#[command(name = "txoe-mutants", about = "Apply RTL mutants one at a time and see which regression scenario kills each")]
struct Args {
    /// Run only these mutants (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Random scenarios (`txoe run --seed S ...`, S = 1..=N) after the fixed ones.
    #[arg(long, default_value_t = 4)]
    seeds: u64,
    /// Work directory: the RTL copy, the cargo target directory, the logs.
    #[arg(long, default_value = "target/mutants")]
    work: PathBuf,
    /// Where the result table goes (default: WORK/report.md).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Skip the run of the unmutated RTL.
    #[arg(long)]
    no_baseline: bool,
    /// Print the mutants and check that each applies to rtl/, then stop.
    #[arg(long)]
    list: bool,
    /// Wall-clock limit of one regression run, in seconds.
    #[arg(long, default_value_t = 600)]
    run_timeout: u64,
}

/// A regression scenario: a name for the table and the arguments of `txoe run`.
struct Regression {
    name: String,
    args: Vec<String>,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// The fixed scenarios (the built-in default, `scenarios/*.json`, `scenarios/regress/*.json`)
/// and `seeds` random ones.
fn regressions(root: &Path, seeds: u64) -> Vec<Regression> {
    let mut v = vec![Regression { name: "default".into(), args: vec![] }];
    for dir in ["scenarios", "scenarios/regress"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        for f in files {
            let name = f.strip_prefix(root).unwrap_or(&f).display().to_string();
            v.push(Regression { name, args: vec![f.display().to_string()] });
        }
    }
    for s in 1..=seeds {
        let args = format!("--seed {s} --sends 300 --multi-segment --max-len 9000 --bad-percent 10 --ipv6-percent 50");
        v.push(Regression { name: format!("seed {s}"), args: args.split(' ').map(String::from).collect() });
    }
    v
}

/// Build `txoe` against the RTL in `rtl`; the path of the binary.
fn build(root: &Path, rtl: &Path, target: &Path, log: &Path) -> Result<PathBuf, String> {
    let log_file = std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["build", "-j", "2", "-p", "txoe-testbench", "--bin", "txoe"])
        .env("TXOE_RTL_DIR", rtl)
        .env("TXOE_DATA_WIDTHS", "64")
        .env("TXOE_VCD_WIDTHS", "none")
        .env("CARGO_TARGET_DIR", target)
        .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
        .stderr(log_file)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("build failed ({status}); log: {}", log.display()));
    }
    Ok(target.join("debug").join("txoe"))
}

/// Run one regression scenario with `txoe`, at most `limit` of wall time.
fn run_one(txoe: &Path, root: &Path, r: &Regression, limit: Duration) -> Verdict {
    let child = Command::new(txoe)
        .current_dir(root)
        .arg("run")
        .args(&r.args)
        .args(["--quiet", "--no-window", "--progress", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Verdict::Error(format!("cannot run {}: {e}", txoe.display())),
    };
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Verdict::Error(format!("no result after {} s", limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Verdict::Error(e.to_string()),
        }
    }
    match child.wait_with_output() {
        Ok(out) => verdict(out.status.code(), &String::from_utf8_lossy(&out.stdout)),
        Err(e) => Verdict::Error(e.to_string()),
    }
}

/// One row of the table.
struct Row {
    mutant: Mutant,
    /// The killing scenario and verdict, or why the mutant could not be tried.
    result: Result<Option<(String, Verdict)>, String>,
    runs: usize,
    secs: f64,
}

fn table(rows: &[Row], regs: usize) -> String {
    let killed = rows.iter().filter(|r| matches!(r.result, Ok(Some(_)))).count();
    let tried = rows.iter().filter(|r| r.result.is_ok()).count();
    let mut s = String::from("| mutant | bug | killed | by | how | cycle | runs |\n|---|---|---|---|---|---|---|\n");
    for r in rows {
        let (k, by, how, cycle) = match &r.result {
            Ok(Some((by, Verdict::Failed { kind, cycle, .. }))) => ("yes", by.clone(), kind.clone(), cycle.to_string()),
            Ok(Some((by, v))) => ("yes", by.clone(), format!("{v:?}"), "-".into()),
            Ok(None) => ("**no**", "-".into(), "survived".into(), "-".into()),
            Err(e) => ("error", "-".into(), e.lines().next().unwrap_or("").to_string(), "-".into()),
        };
        s.push_str(&format!(
            "| `{}` | {} | {k} | {by} | {how} | {cycle} | {} |\n",
            r.mutant.name, r.mutant.what, r.runs
        ));
    }
    let pct = if tried == 0 { 0.0 } else { 100.0 * killed as f64 / tried as f64 };
    s.push_str(&format!(
        "\nkilled {killed} of {tried} mutants ({pct:.0} %), {} with a build or run error; {regs} regression scenarios; {:.0} s\n",
        rows.len() - tried,
        rows.iter().map(|r| r.secs).sum::<f64>()
    ));
    s
}

fn main() -> ExitCode {
    let a = Args::parse();
    let root = workspace();
    let rtl = root.join("rtl");
    let work = if a.work.is_absolute() { a.work.clone() } else { root.join(&a.work) };
    let mutants: Vec<Mutant> = if a.only.is_empty() {
        MUTANTS.to_vec()
    } else {
        let mut v = Vec::new();
        for n in &a.only {
            match MUTANTS.iter().find(|m| m.name == n) {
                Some(m) => v.push(*m),
                None => {
                    eprintln!("txoe-mutants: no mutant named {n:?}");
                    return ExitCode::from(2);
                }
            }
        }
        v
    };
    // Every mutant must apply to the current RTL before anything is built.
    for m in &mutants {
        let text = match std::fs::read_to_string(rtl.join(m.file)) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("txoe-mutants: cannot read {}: {e}", rtl.join(m.file).display());
                return ExitCode::from(2);
            }
        };
        if let Err(e) = apply_to_text(m, &text) {
            eprintln!("txoe-mutants: {e}");
            return ExitCode::from(2);
        }
        if a.list {
            println!("{:<26} {:<22} {}", m.name, m.file, m.what);
        }
    }
    if a.list {
        return ExitCode::SUCCESS;
    }
    let regs = regressions(&root, a.seeds);
    let copy = work.join("rtl");
    let target = work.join("cargo");
    let limit = Duration::from_secs(a.run_timeout);
    if let Err(e) = std::fs::create_dir_all(&work) {
        eprintln!("txoe-mutants: cannot create {}: {e}", work.display());
        return ExitCode::from(2);
    }

    if !a.no_baseline {
        eprintln!("[mutants] baseline: building the unmutated RTL");
        let txoe = match copy_rtl(&rtl, &copy).and_then(|_| build(&root, &copy, &target, &work.join("build-baseline.log"))) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("txoe-mutants: baseline: {e}");
                return ExitCode::from(2);
            }
        };
        for r in &regs {
            let v = run_one(&txoe, &root, r, limit);
            eprintln!("[mutants] baseline {:<40} {v:?}", r.name);
            if v != Verdict::Passed {
                eprintln!("txoe-mutants: the unmutated RTL fails {}: the regression is not usable", r.name);
                return ExitCode::from(2);
            }
        }
    }

    let mut rows = Vec::new();
    for m in &mutants {
        let start = Instant::now();
        eprintln!("[mutants] {}: {}", m.name, m.what);
        let log = work.join(format!("build-{}.log", m.name));
        let built = copy_rtl(&rtl, &copy).and_then(|_| apply(m, &copy)).and_then(|_| build(&root, &copy, &target, &log));
        let mut runs = 0;
        // A run that could not start or gave no verdict is an error of the harness, not a
        // kill.
        let result = built.and_then(|txoe| {
            for r in &regs {
                runs += 1;
                let v = run_one(&txoe, &root, r, limit);
                eprintln!("[mutants]   {:<40} {v:?}", r.name);
                match v {
                    Verdict::Passed => {}
                    Verdict::Error(e) => return Err(format!("{}: {e}", r.name)),
                    v => return Ok(Some((r.name.clone(), v))),
                }
            }
            Ok(None)
        });
        let row = Row { mutant: *m, result, runs, secs: start.elapsed().as_secs_f64() };
        match &row.result {
            Ok(Some((by, v))) => eprintln!("[mutants] {} killed by {by}: {v:?}", m.name),
            Ok(None) => eprintln!("[mutants] {} SURVIVED all {} scenarios", m.name, regs.len()),
            Err(e) => eprintln!("[mutants] {} error: {e}", m.name),
        }
        rows.push(row);
    }
    // Leave the copy unmutated.
    let _ = copy_rtl(&rtl, &copy);

    let text = table(&rows, regs.len());
    print!("{text}");
    let report = a.report.clone().unwrap_or_else(|| work.join("report.md"));
    if let Err(e) = std::fs::write(&report, &text) {
        eprintln!("txoe-mutants: cannot write {}: {e}", report.display());
        return ExitCode::from(2);
    }
    eprintln!("[mutants] table written to {}", report.display());
    let all_killed = rows.iter().all(|r| matches!(r.result, Ok(Some(_))));
    if all_killed { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
