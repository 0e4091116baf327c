//! Verilates the lockstep wrapper `txoe_tb_top` (`sv/`, which holds `txoe_top` from `rtl/`)
//! once per data width, with FST tracing, and once more with VCD tracing for the widths
//! that want it; compiles the generated C++, the Verilator runtime and the `extern "C"`
//! shim (`csrc/`) into one static library with the `cc` crate.
//!
//! * `TXOE_DATA_WIDTHS`: comma-separated `DATA_W` values to build (default `64`).
//! * `TXOE_VCD_WIDTHS`: the widths that also get a VCD-traced build (default: 64 when it is
//!   built, else the narrowest; `none` for no VCD build). Verilator writes one trace format
//!   per Verilated model, so each VCD width costs one more Verilator run and C++ compile.
//! * `VERILATOR`: the `verilator` executable (default: the one on `PATH`).
//! * `TXOE_RTL_DIR`: the SystemVerilog sources (default: the workspace's `rtl/`).
//! * `CI=true`: a missing Verilator fails the build instead of building without RTL.
//!
//! Writes `$OUT_DIR/txoe_rtl_ffi.rs`, the table of built widths and their entry points,
//! which `src/rtl.rs` includes.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Top module: the lockstep wrapper around `txoe_top`.
const TOP: &str = "txoe_tb_top";
/// Verilator switches shared by every width (plus `--trace-fst` or `--trace`).
const VERILATOR_FLAGS: &[&str] = &[
    "--cc",
    "--trace-structs",
    "--assert",
    "-O3",
    "--x-assign",
    "0",
    "--x-initial",
    "0",
    "-Wno-fatal",
];
/// Flags Verilator's own makefile gives the generated code (`CFG_CXXFLAGS_NO_UNUSED`).
const VL_CXX_FLAGS: &[&str] = &[
    "-faligned-new",
    "-fcf-protection=none",
    "-Wno-bool-operation",
    "-Wno-sign-compare",
    "-Wno-uninitialized",
    "-Wno-unused-but-set-variable",
    "-Wno-unused-parameter",
    "-Wno-unused-variable",
    "-Wno-shadow",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(txoe_no_verilator)");
    for var in ["TXOE_DATA_WIDTHS", "TXOE_VCD_WIDTHS", "TXOE_RTL_DIR", "VERILATOR", "CI"] {
        println!("cargo::rerun-if-env-changed={var}");
    }

    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let rtl_dir = env::var_os("TXOE_RTL_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../rtl"));
    let rtl_dir = fs::canonicalize(&rtl_dir).unwrap_or(rtl_dir);
    let csrc = manifest.join("csrc");
    let tb_dir = manifest.join("sv");

    // Not the RTL directory itself: cargo would scan it recursively, and the synthesis gate
    // and the formal flow write their results under it (`build/`, `formal/`), which re-ran
    // this script (three models Verilated and compiled) on the test run after every one
    // with the synthesis gate. The sources are watched one by one below; a module added to
    // the RTL also enters its file list, which is watched.
    let file_list = rtl_dir.join("files.f");
    if file_list.is_file() {
        println!("cargo::rerun-if-changed={}", file_list.display());
    }
    println!("cargo::rerun-if-changed={}", csrc.display());
    println!("cargo::rerun-if-changed={}", tb_dir.display());
    let rtl = sv_sources(&[&rtl_dir]);
    let sources = sv_sources(&[&rtl_dir, &tb_dir]);
    let vlt: Vec<PathBuf> =
        list_ext(&rtl_dir, "vlt").into_iter().chain(list_ext(&tb_dir, "vlt")).collect();
    for f in sources.iter().chain(vlt.iter()) {
        println!("cargo::rerun-if-changed={}", f.display());
    }
    for f in list_ext(&csrc, "cpp").iter().chain(list_ext(&csrc, "h").iter()) {
        println!("cargo::rerun-if-changed={}", f.display());
    }

    let widths = data_widths();
    let vcd_widths = vcd_widths(&widths);

    let Some(verilator) = find_verilator() else {
        if is_ci() {
            panic!(
                "Verilator was not found (looked at $VERILATOR and PATH) and CI=true: \
                 the RTL cannot be built. Install it (scripts/setup.sh) or set VERILATOR."
            );
        }
        println!(
            "cargo::warning=Verilator not found (looked at $VERILATOR and PATH): the txoe RTL \
             is not built and txoe_cosim::Rtl::new returns RtlError::VerilatorMissing"
        );
        println!("cargo::rustc-cfg=txoe_no_verilator");
        println!("cargo::rustc-env=TXOE_VERILATOR_VERSION=");
        write_ffi_table(&out, &[]);
        return;
    };
    if rtl.is_empty() {
        panic!("no SystemVerilog sources (*.sv) in {}", rtl_dir.display());
    }

    println!("cargo::rerun-if-changed={}", verilator.display());
    let version = run_capture(Command::new(&verilator).arg("--version"))
        .unwrap_or_else(|e| panic!("`{} --version` failed: {e}", verilator.display()));
    println!("cargo::rustc-env=TXOE_VERILATOR_VERSION={}", version.trim());
    let root = run_capture(Command::new(&verilator).args(["--getenv", "VERILATOR_ROOT"]))
        .unwrap_or_else(|e| {
            panic!("`{} --getenv VERILATOR_ROOT` failed: {e}", verilator.display())
        });
    let include = PathBuf::from(root.trim()).join("include");
    if !include.join("verilated.h").is_file() {
        panic!("verilated.h not found in {} (VERILATOR_ROOT={})", include.display(), root.trim());
    }

    let variants: Vec<(u32, bool)> = widths
        .iter()
        .map(|&w| (w, false))
        .chain(vcd_widths.iter().map(|&w| (w, true)))
        .collect();
    let models: Vec<Verilated> = variants
        .iter()
        .map(|&(w, vcd)| verilate(&verilator, &out, &rtl_dir, &sources, &vlt, w, vcd))
        .collect();

    compile(&out, &include, &csrc, &models);
    write_ffi_table(&out, &variants);
}

/// The widths that also get a VCD-traced model: `TXOE_VCD_WIDTHS` (each must be in
/// `widths`), or by default 64 if built, else the narrowest built width.
fn vcd_widths(widths: &[u32]) -> Vec<u32> {
    let spec = env::var("TXOE_VCD_WIDTHS").unwrap_or_default();
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("none") {
        return Vec::new();
    }
    if spec.is_empty() {
        let pick = if widths.contains(&64) { Some(64) } else { widths.first().copied() };
        return pick.into_iter().collect();
    }
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let w: u32 = item.parse().unwrap_or_else(|_| {
            panic!("TXOE_VCD_WIDTHS: `{item}` is not a number (spec: `{spec}`; `none` for no VCD build)")
        });
        if !widths.contains(&w) {
            panic!("TXOE_VCD_WIDTHS: {w} is not in TXOE_DATA_WIDTHS ({widths:?})");
        }
        out.push(w);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The `DATA_W` values to build, sorted and deduplicated.
fn data_widths() -> Vec<u32> {
    let spec = env::var("TXOE_DATA_WIDTHS").unwrap_or_default();
    let spec = if spec.trim().is_empty() { "64".to_string() } else { spec };
    let mut widths = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let w: u32 = item.parse().unwrap_or_else(|_| {
            panic!("TXOE_DATA_WIDTHS: `{item}` is not a number (spec: `{spec}`)")
        });
        if !(8..=512).contains(&w) || w % 8 != 0 {
            panic!("TXOE_DATA_WIDTHS: {w} is not a multiple of 8 in 8..=512");
        }
        widths.push(w);
    }
    widths.sort_unstable();
    widths.dedup();
    widths
}

fn is_ci() -> bool {
    env::var("CI").map(|v| v.eq_ignore_ascii_case("true") || v == "1").unwrap_or(false)
}

/// `$VERILATOR` (a path, or a name looked up on `PATH`), else `verilator` on `PATH`; only
/// an executable that answers `--version`.
fn find_verilator() -> Option<PathBuf> {
    let wanted = env::var_os("VERILATOR").filter(|v| !v.is_empty());
    let name = wanted.clone().unwrap_or_else(|| "verilator".into());
    let name = PathBuf::from(name);
    let candidate = if name.components().count() > 1 {
        Some(name)
    } else {
        env::var_os("PATH").and_then(|paths| {
            env::split_paths(&paths).map(|dir| dir.join(&name)).find(|p| p.is_file())
        })
    };
    let candidate = candidate?;
    match Command::new(&candidate).arg("--version").output() {
        Ok(o) if o.status.success() => Some(candidate),
        _ => {
            if wanted.is_some() {
                println!(
                    "cargo::warning=VERILATOR={} does not run (`--version` failed)",
                    candidate.display()
                );
            }
            None
        }
    }
}

fn run_capture(cmd: &mut Command) -> Result<String, String> {
    let o = cmd.output().map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Files in `dir` ending in `.ext`, sorted.
fn list_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Every `*.sv` of `dirs`: `txoe_pkg.sv` first, then the other packages (`*_pkg.sv`), then
/// the rest, each group sorted by name.
fn sv_sources(dirs: &[&Path]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = dirs.iter().flat_map(|d| list_ext(d, "sv")).collect();
    files.sort_by_key(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let rank = if name == "txoe_pkg.sv" {
            0
        } else if name.ends_with("_pkg.sv") {
            1
        } else {
            2
        };
        (rank, name)
    });
    files
}

/// One Verilated model: its output directory and the file lists of `V<prefix>_classes.mk`.
struct Verilated {
    width: u32,
    /// Traced as VCD (`--trace`) rather than FST.
    vcd: bool,
    prefix: String,
    dir: PathBuf,
    /// Generated code on the hot path (`VM_CLASSES_FAST`, `VM_SUPPORT_FAST`).
    fast: Vec<PathBuf>,
    /// Generated code run once (`VM_CLASSES_SLOW`, `VM_SUPPORT_SLOW`).
    slow: Vec<PathBuf>,
    /// Runtime files (`VM_GLOBAL_*`), by base name.
    global: Vec<String>,
    /// `VM_*` switches (`VM_TRACE`, ...).
    switches: BTreeMap<String, String>,
    /// The symbol-table class (`<prefix>__Syms`), if listed.
    syms: Option<String>,
}

/// The model name of a variant: `txoe_w64`, `txoe_w64_vcd`.
fn variant_name(width: u32, vcd: bool) -> String {
    format!("txoe_w{width}{}", if vcd { "_vcd" } else { "" })
}

fn verilate(
    verilator: &Path,
    out: &Path,
    rtl_dir: &Path,
    sources: &[PathBuf],
    vlt: &[PathBuf],
    width: u32,
    vcd: bool,
) -> Verilated {
    let name = variant_name(width, vcd);
    let prefix = format!("V{name}");
    let dir = out.join(format!("vl_{}", &name["txoe_".len()..]));
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("cannot clean {}: {e}", dir.display()));
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));

    let mut cmd = Command::new(verilator);
    cmd.args(VERILATOR_FLAGS)
        .arg(if vcd { "--trace" } else { "--trace-fst" })
        .arg("--prefix")
        .arg(&prefix)
        .arg(format!("-GDATA_W={width}"))
        .arg("--top-module")
        .arg(TOP)
        .arg("--Mdir")
        .arg(&dir)
        .arg(format!("-I{}", rtl_dir.display()));
    cmd.args(vlt);
    cmd.args(sources);
    let o = cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", verilator.display()));
    let log = String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout);
    let log_path = out.join(format!("verilator_{}.log", &name["txoe_".len()..]));
    fs::write(&log_path, &log).ok();
    if !o.status.success() {
        panic!("Verilator failed on {TOP} with DATA_W={width} (vcd={vcd}) ({cmd:?}):\n{log}");
    }
    let warnings = log.lines().filter(|l| l.starts_with("%Warning")).count();
    if warnings > 0 {
        println!(
            "cargo::warning=Verilator reported {warnings} warning(s) for {TOP} DATA_W={width}; see {}",
            log_path.display()
        );
    }

    let mk_path = dir.join(format!("{prefix}_classes.mk"));
    let mk = fs::read_to_string(&mk_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", mk_path.display()));
    let (lists, switches) = parse_classes_mk(&mk);
    let gen = |vars: &[&str]| -> Vec<PathBuf> {
        vars.iter()
            .flat_map(|v| lists.get(*v).cloned().unwrap_or_default())
            .map(|n| dir.join(format!("{n}.cpp")))
            .collect()
    };
    let fast = gen(&["VM_CLASSES_FAST", "VM_SUPPORT_FAST"]);
    let slow = gen(&["VM_CLASSES_SLOW", "VM_SUPPORT_SLOW"]);
    let global: Vec<String> = ["VM_GLOBAL_FAST", "VM_GLOBAL_SLOW"]
        .iter()
        .flat_map(|v| lists.get(*v).cloned().unwrap_or_default())
        .collect();
    if fast.is_empty() {
        panic!("{} lists no generated classes", mk_path.display());
    }
    let syms = lists
        .values()
        .flatten()
        .find(|n| n.ends_with("__Syms") && dir.join(format!("{n}.h")).is_file())
        .cloned();
    Verilated { width, vcd, prefix, dir, fast, slow, global, switches, syms }
}

/// The `VAR += a b \` lists and `VAR = value` switches of a `*_classes.mk`.
fn parse_classes_mk(mk: &str) -> (BTreeMap<String, Vec<String>>, BTreeMap<String, String>) {
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut switches = BTreeMap::new();
    let mut current: Option<String> = None;
    for raw in mk.lines() {
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        let (body, continued) = match line.strip_suffix('\\') {
            Some(b) => (b.trim(), true),
            None => (line, false),
        };
        if let Some(var) = current.clone() {
            lists.entry(var).or_default().extend(body.split_whitespace().map(String::from));
        } else if let Some((lhs, rhs)) = body.split_once("+=") {
            let var = lhs.trim().to_string();
            lists.entry(var.clone()).or_default().extend(rhs.split_whitespace().map(String::from));
            if continued {
                current = Some(var);
            }
            continue;
        } else if let Some((lhs, rhs)) = body.split_once('=') {
            switches.insert(lhs.trim().to_string(), rhs.trim().to_string());
        }
        if !continued {
            current = None;
        }
    }
    (lists, switches)
}

/// A `cc::Build` for Verilated C++ with the shared flags.
fn vl_build(
    include: &Path,
    switches: &BTreeMap<String, String>,
    obj_dir: &Path,
    opt: u32,
) -> cc::Build {
    fs::create_dir_all(obj_dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", obj_dir.display()));
    let mut b = cc::Build::new();
    b.cpp(true)
        .std("c++17")
        .opt_level(opt)
        .debug(false)
        .warnings(false)
        .extra_warnings(false)
        .cargo_warnings(false)
        .out_dir(obj_dir)
        .include(include)
        .include(include.join("vltstd"));
    for f in VL_CXX_FLAGS {
        b.flag(f);
    }
    for key in ["VM_COVERAGE", "VM_SC", "VM_TRACE", "VM_TRACE_FST", "VM_TRACE_VCD"] {
        let v = switches.get(key).map(String::as_str).unwrap_or("0");
        b.define(key, Some(v));
    }
    b
}

fn compile(out: &Path, include: &Path, csrc: &Path, models: &[Verilated]) {
    let mut objects: Vec<PathBuf> = Vec::new();
    let switches = &models[0].switches;

    // Runtime, once for all widths, with the output and fatal-error hooks of csrc/common.cpp.
    let mut runtime: Vec<String> = models.iter().flat_map(|m| m.global.iter().cloned()).collect();
    runtime.sort();
    runtime.dedup();
    let runtime_dir = out.join("obj_runtime");
    let mut b = vl_build(include, switches, &runtime_dir, 3);
    b.define("VL_USER_FATAL", None)
        .include(csrc)
        .flag("-include")
        .flag(csrc.join("printf_hook.h").to_string_lossy().as_ref());
    let mut sources: Vec<PathBuf> =
        runtime.iter().map(|name| include.join(format!("{name}.cpp"))).collect();
    sources.push(csrc.join("common.cpp"));
    b.files(&sources);
    // The runtime does not depend on the RTL: reuse its objects while nothing they are
    // built from has changed, so that an RTL edit rebuilds only the generated code.
    let stamp_path = runtime_dir.join("stamp");
    let key = runtime_key(&b, &sources, csrc);
    let cached = fs::read_to_string(&stamp_path).ok().and_then(|text| {
        let mut lines = text.lines();
        (lines.next() == Some(key.as_str())).then(|| lines.map(PathBuf::from).collect::<Vec<_>>())
    });
    match cached.filter(|objs| !objs.is_empty() && objs.iter().all(|o| o.is_file())) {
        Some(objs) => objects.extend(objs),
        None => {
            let objs = b.compile_intermediates();
            let mut stamp = key;
            for o in &objs {
                stamp.push('\n');
                stamp.push_str(&o.to_string_lossy());
            }
            fs::write(&stamp_path, stamp).ok();
            objects.extend(objs);
        }
    }

    for m in models {
        // Hot path at -O3: cargo's debug profile would otherwise build it at -O0.
        let mut b = vl_build(include, &m.switches, &m.dir.join("obj_fast"), 3);
        b.include(&m.dir).files(&m.fast);
        objects.extend(b.compile_intermediates());

        // Construction and initial code only: a low level keeps the build short.
        if !m.slow.is_empty() {
            let mut b = vl_build(include, &m.switches, &m.dir.join("obj_slow"), 1);
            b.include(&m.dir).files(&m.slow);
            objects.extend(b.compile_intermediates());
        }

        // The shim, with warnings on: it is the project's own code.
        let mut b = vl_build(include, &m.switches, &m.dir.join("obj_shim"), 3);
        b.warnings(true)
            .cargo_warnings(true)
            .include(&m.dir)
            .include(csrc)
            .define("TXOE_DATA_W", Some(m.width.to_string().as_str()))
            .define("TXOE_MODEL", Some(m.prefix.as_str()))
            .define("TXOE_MODEL_H", Some(format!("\"{}.h\"", m.prefix).as_str()))
            .define("TXOE_FN_PREFIX", Some(format!("{}_", variant_name(m.width, m.vcd)).as_str()))
            .file(csrc.join("shim.cpp"));
        if m.vcd {
            b.define("TXOE_TRACE_VCD", None);
        }
        if let Some(syms) = &m.syms {
            b.define("TXOE_SYMS_H", Some(format!("\"{syms}.h\"").as_str()));
        }
        objects.extend(b.compile_intermediates());
    }

    cc::Build::new().cpp(true).objects(&objects).compile("txoe_vl");
    for lib in ["z", "pthread", "atomic"] {
        println!("cargo::rustc-link-lib={lib}");
    }
}

/// What the runtime objects are built from: compiler, flags, sources and csrc headers.
fn runtime_key(b: &cc::Build, sources: &[PathBuf], csrc: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let tool = b.get_compiler();
    tool.path().hash(&mut h);
    for arg in tool.args() {
        arg.hash(&mut h);
    }
    for var in ["CXX", "CXXFLAGS", "CRATE_CC_NO_DEFAULTS", "TARGET", "PROFILE"] {
        env::var_os(var).hash(&mut h);
    }
    let headers = list_ext(csrc, "h");
    for f in sources.iter().chain(headers.iter()) {
        f.hash(&mut h);
        fs::read(f).unwrap_or_default().hash(&mut h);
    }
    format!("runtime {:016x}", h.finish())
}

/// `$OUT_DIR/txoe_rtl_ffi.rs`: `extern "C"` declarations and the [`Backend`] table, one
/// entry per `(width, vcd)` variant.
fn write_ffi_table(out: &Path, variants: &[(u32, bool)]) {
    let mut s = String::from("// Generated by cosim/build.rs: one entry per Verilated model.\n");
    if !variants.is_empty() {
        s.push_str("extern \"C\" {\n");
        s.push_str("    fn txoe_shim_layout(out: *mut u64, n: usize) -> usize;\n");
        for &(w, vcd) in variants {
            let n = variant_name(w, vcd);
            let _ = writeln!(
                s,
                "    fn {n}_new(trace: *const c_char, err: *mut c_char, err_len: usize) -> *mut c_void;\n    \
                 fn {n}_trace_open(p: *mut c_void, path: *const c_char, err: *mut c_char, err_len: usize) -> c_int;\n    \
                 fn {n}_trace_close(p: *mut c_void);\n    \
                 fn {n}_cycle(p: *mut c_void, inp: *const Inputs, exp: *const Expected, out: *mut Outputs) -> c_int;\n    \
                 fn {n}_replay(p: *mut c_void, ins: *const Inputs, n: usize, outs: *mut Outputs) -> usize;\n    \
                 fn {n}_error(p: *const c_void) -> *const c_char;\n    \
                 fn {n}_free(p: *mut c_void);"
            );
        }
        s.push_str("}\n");
        s.push_str(
            "pub(super) fn shim_layout(out: &mut [u64]) -> usize {\n    \
             // SAFETY: the shim writes at most `out.len()` words.\n    \
             unsafe { txoe_shim_layout(out.as_mut_ptr(), out.len()) }\n}\n",
        );
    } else {
        s.push_str("pub(super) fn shim_layout(_out: &mut [u64]) -> usize {\n    0\n}\n");
    }
    s.push_str("pub(super) static BACKENDS: &[Backend] = &[\n");
    for &(w, vcd) in variants {
        let n = variant_name(w, vcd);
        let format = if vcd { "Vcd" } else { "Fst" };
        let _ = writeln!(
            s,
            "    Backend {{ data_w: {w}, format: TraceFormat::{format}, new: {n}_new, \
             trace_open: {n}_trace_open, trace_close: {n}_trace_close, cycle: {n}_cycle, \
             replay: {n}_replay, \
             error: {n}_error, free: {n}_free }},"
        );
    }
    s.push_str("];\n");
    let path = out.join("txoe_rtl_ffi.rs");
    fs::write(&path, s).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
