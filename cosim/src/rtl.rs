//! The Verilated RTL behind [`Device`].
//!
//! `build.rs` Verilates the lockstep wrapper `txoe_tb_top` (`sv/`, holding `txoe_top` as
//! `dut`) once per width in `TXOE_DATA_WIDTHS` with FST tracing, and once more with VCD
//! tracing for the widths in `TXOE_VCD_WIDTHS`, and links the models with the `extern "C"`
//! shim of `csrc/shim.cpp`; this module wraps one instance. Each [`Rtl`] owns its
//! `VerilatedContext`, so instances are independent (and may live on different threads).
//!
//! A trace shows cycle `c` from `c` ns (its rising edge) to `c + 1` ns, the falling edge at
//! `c + 0.5` ns (resolution 1 ps), so GTKWave's time axis reads in cycles; it may be
//! opened at any cycle ([`Rtl::open_trace`]) and shows, beside the RTL, whatever
//! [`Expected`] values the caller passes with each cycle.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::OnceLock;

use txoe_model::ports::{Device, Inputs, Outputs};

use crate::expect::Expected;

/// Waveform formats. Every built width has FST; VCD only the widths in `TXOE_VCD_WIDTHS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    Fst,
    Vcd,
}

impl std::fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TraceFormat::Fst => "FST",
            TraceFormat::Vcd => "VCD",
        })
    }
}

impl TraceFormat {
    /// The file extension: `fst` or `vcd`.
    pub fn extension(self) -> &'static str {
        match self {
            TraceFormat::Fst => "fst",
            TraceFormat::Vcd => "vcd",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RtlError {
    #[error("Verilator was not found when txoe-cosim was built: install it (scripts/setup.sh) and rebuild")]
    VerilatorMissing,
    #[error("no Verilated build for DATA_W={0} (built: {1:?}); set TXOE_DATA_WIDTHS and rebuild")]
    WidthNotBuilt(u32, Vec<u32>),
    #[error("this build has no {0} tracing for DATA_W={1} (VCD is built for the widths in TXOE_VCD_WIDTHS: {2:?}); set it and rebuild, or use FST")]
    TraceNotBuilt(TraceFormat, u32, Vec<u32>),
    #[error("this instance already has had a trace (one per instance)")]
    TraceTwice,
    #[error("cannot open trace file {path}: {message}")]
    TraceOpen { path: PathBuf, message: String },
    #[error("the C++ port structs do not match txoe_model::ports: {0}")]
    AbiMismatch(String),
    #[error("the Verilated model could not be built: {0}")]
    Construct(String),
    #[error("replay runs on untraced instances only (a trace would miss the replayed cycles)")]
    ReplayTraced,
    #[error("the RTL stopped at cycle {cycle}: {message}")]
    Stopped { cycle: u64, message: String },
}

/// Entry points of one Verilated model (generated table, see `build.rs`).
struct Backend {
    data_w: u32,
    format: TraceFormat,
    new: unsafe extern "C" fn(*const c_char, *mut c_char, usize) -> *mut c_void,
    trace_open: unsafe extern "C" fn(*mut c_void, *const c_char, *mut c_char, usize) -> c_int,
    trace_close: unsafe extern "C" fn(*mut c_void),
    cycle: unsafe extern "C" fn(*mut c_void, *const Inputs, *const Expected, *mut Outputs) -> c_int,
    replay: unsafe extern "C" fn(*mut c_void, *const Inputs, usize, *mut Outputs) -> usize,
    error: unsafe extern "C" fn(*const c_void) -> *const c_char,
    free: unsafe extern "C" fn(*mut c_void),
}

#[allow(dead_code, unused_imports)]
mod ffi {
    use super::{Backend, TraceFormat};
    use crate::expect::Expected;
    use std::ffi::{c_char, c_int, c_void};
    use txoe_model::ports::{Inputs, Outputs};
    include!(concat!(env!("OUT_DIR"), "/txoe_rtl_ffi.rs"));
}

/// One instance of the Verilated `txoe_top`.
pub struct Rtl {
    data_w: u32,
    backend: &'static Backend,
    handle: NonNull<c_void>,
    cycles: u64,
    trace: Option<PathBuf>,
    /// A trace was opened once (it cannot be opened again).
    traced: bool,
    stopped: Option<String>,
}

// SAFETY: an instance owns its VerilatedContext and model and no thread-bound state; the
// shim re-binds the runtime's per-thread context pointer on every call, so an instance
// may move to another thread. It is not `Sync`: calls need `&mut self`.
unsafe impl Send for Rtl {}

impl Rtl {
    /// Widths Verilated into this build.
    pub fn available_widths() -> Vec<u32> {
        Self::widths_with(TraceFormat::Fst)
    }

    /// Widths Verilated with tracing in `format`.
    pub fn widths_with(format: TraceFormat) -> Vec<u32> {
        ffi::BACKENDS.iter().filter(|b| b.format == format).map(|b| b.data_w).collect()
    }

    /// The Verilator that built the RTL (`verilator --version`), empty without one.
    pub fn verilator_version() -> &'static str {
        env!("TXOE_VERILATOR_VERSION")
    }

    /// A fresh RTL instance (own VerilatedContext); `trace` dumps every cycle to the file.
    pub fn new(data_w: u32, trace: Option<(PathBuf, TraceFormat)>) -> Result<Rtl, RtlError> {
        match trace {
            None => Self::create(data_w, TraceFormat::Fst, None),
            Some((path, format)) => Self::create(data_w, format, Some(path)),
        }
    }

    /// A fresh RTL instance without a trace, built so that [`Rtl::open_trace`] writes
    /// `format`.
    pub fn new_traceable(data_w: u32, format: TraceFormat) -> Result<Rtl, RtlError> {
        Self::create(data_w, format, None)
    }

    fn create(data_w: u32, format: TraceFormat, trace_path: Option<PathBuf>) -> Result<Rtl, RtlError> {
        if cfg!(txoe_no_verilator) {
            return Err(RtlError::VerilatorMissing);
        }
        if !ffi::BACKENDS.iter().any(|b| b.data_w == data_w) {
            return Err(RtlError::WidthNotBuilt(data_w, Self::available_widths()));
        }
        let backend = ffi::BACKENDS
            .iter()
            .find(|b| b.data_w == data_w && b.format == format)
            .ok_or_else(|| RtlError::TraceNotBuilt(format, data_w, Self::widths_with(format)))?;
        check_layout()?;

        let c_path = match &trace_path {
            Some(p) => Some(path_to_cstring(p)?),
            None => None,
        };
        let mut err = vec![0u8; 1024];
        // SAFETY: `c_path` outlives the call; `err` is writable for its length.
        let raw = unsafe {
            (backend.new)(
                c_path.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
                err.as_mut_ptr().cast(),
                err.len(),
            )
        };
        let Some(handle) = NonNull::new(raw) else {
            let message = CStr::from_bytes_until_nul(&err)
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(match trace_path {
                Some(path) if message.contains("trace") => RtlError::TraceOpen { path, message },
                _ => RtlError::Construct(message),
            });
        };
        let traced = trace_path.is_some();
        Ok(Rtl { data_w, backend, handle, cycles: 0, trace: trace_path, traced, stopped: None })
    }

    /// The trace format this instance writes (or would write once opened).
    pub fn trace_format(&self) -> TraceFormat {
        self.backend.format
    }

    /// Dump every cycle from the next one on to `path` (in this instance's format), with the
    /// same times as a trace opened at cycle 0. One trace per instance.
    pub fn open_trace(&mut self, path: &Path) -> Result<(), RtlError> {
        if self.traced {
            return Err(RtlError::TraceTwice);
        }
        let c_path = path_to_cstring(path)?;
        let mut err = vec![0u8; 1024];
        // SAFETY: `handle` is live; `c_path` outlives the call; `err` is writable.
        let rc = unsafe {
            (self.backend.trace_open)(self.handle.as_ptr(), c_path.as_ptr(), err.as_mut_ptr().cast(), err.len())
        };
        if rc != 0 {
            let message = CStr::from_bytes_until_nul(&err)
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(RtlError::TraceOpen { path: path.to_path_buf(), message });
        }
        self.traced = true;
        self.trace = Some(path.to_path_buf());
        Ok(())
    }

    /// Flush and close the trace, if one is open; later cycles are not dumped.
    pub fn close_trace(&mut self) {
        // SAFETY: `handle` is live.
        unsafe { (self.backend.trace_close)(self.handle.as_ptr()) }
    }

    /// One cycle, with what the model expected on it shown beside the RTL's signals in the
    /// trace (ignored while no trace is open).
    #[inline]
    pub fn cycle_expect(&mut self, inp: &Inputs, exp: Option<&Expected>, out: &mut Outputs) -> Result<(), RtlError> {
        if self.stopped.is_some() {
            return Err(self.stopped_error());
        }
        let exp = exp.map_or(std::ptr::null(), |e| e as *const Expected);
        // SAFETY: as in `cycle_into`; `exp` is null or a valid `#[repr(C)]` struct whose
        // layout `check_layout` verified.
        let rc = unsafe { (self.backend.cycle)(self.handle.as_ptr(), inp, exp, out) };
        if rc != 0 {
            return Err(self.record_stop());
        }
        self.cycles += 1;
        Ok(())
    }

    /// One clock cycle, or the error that stopped the model (a failed assertion, `$fatal`,
    /// a Verilator runtime error). A stopped model stays stopped.
    pub fn try_cycle(&mut self, inp: &Inputs) -> Result<Outputs, RtlError> {
        let mut out = Outputs::default();
        self.cycle_into(inp, &mut out)?;
        Ok(out)
    }

    /// [`Rtl::try_cycle`] into a caller's `Outputs` (left as it was on an error).
    #[inline]
    pub fn cycle_into(&mut self, inp: &Inputs, out: &mut Outputs) -> Result<(), RtlError> {
        if self.stopped.is_some() {
            return Err(self.stopped_error());
        }
        // SAFETY: `handle` is a live instance of this backend; `inp`/`out` are valid
        // `#[repr(C)]` structs whose layout `check_layout` verified against the shim.
        let rc = unsafe { (self.backend.cycle)(self.handle.as_ptr(), inp, std::ptr::null(), out) };
        if rc != 0 {
            return Err(self.record_stop());
        }
        self.cycles += 1;
        Ok(())
    }

    /// Clock one cycle per element of `inputs`, writing what the RTL showed on each into
    /// `outputs` (same length), in one call into C++ that loops over them the way a plain
    /// C++ Verilator testbench does: no Rust and no FFI crossing per cycle. The clocking is
    /// that of [`Rtl::cycle_into`], so replaying the inputs a run drove reproduces its
    /// outputs. The reference for how fast a harness can drive this RTL (see the `cycles`
    /// benchmark). Refused on an instance with a trace (whose dump would miss the cycles).
    pub fn replay(&mut self, inputs: &[Inputs], outputs: &mut [Outputs]) -> Result<(), RtlError> {
        assert_eq!(inputs.len(), outputs.len(), "replay: one Outputs per Inputs");
        if self.stopped.is_some() {
            return Err(self.stopped_error());
        }
        if self.traced {
            return Err(RtlError::ReplayTraced);
        }
        // SAFETY: `handle` is live; the shim reads `inputs.len()` Inputs and writes as many
        // Outputs, both `#[repr(C)]` with the layout `check_layout` verified.
        let done = unsafe {
            (self.backend.replay)(self.handle.as_ptr(), inputs.as_ptr(), inputs.len(), outputs.as_mut_ptr())
        };
        self.cycles += done as u64;
        if done != inputs.len() {
            return Err(self.record_stop());
        }
        Ok(())
    }

    #[cold]
    fn record_stop(&mut self) -> RtlError {
        // SAFETY: the shim returns null or a NUL-terminated string owned by the instance,
        // copied here before any further call into it.
        let msg = unsafe { (self.backend.error)(self.handle.as_ptr()) };
        let message = if msg.is_null() {
            "unknown error".to_string()
        } else {
            // SAFETY: see above.
            unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned()
        };
        self.stopped = Some(message);
        self.stopped_error()
    }

    #[cold]
    fn stopped_error(&self) -> RtlError {
        RtlError::Stopped { cycle: self.cycles, message: self.stopped.clone().unwrap_or_default() }
    }

    /// Cycles clocked so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// The trace file this instance writes (or wrote), if any. Cycle `c` is shown from `c`
    /// ns (the rising edge that starts it); the falling edge is at `c + 0.5` ns.
    pub fn trace_path(&self) -> Option<&Path> {
        self.trace.as_deref()
    }
}

impl Device for Rtl {
    /// Panics when the RTL stops on an error (a failed assertion or `$fatal`): the trait has
    /// no error channel. Use [`Rtl::try_cycle`] to handle it.
    #[inline]
    fn cycle(&mut self, inp: &Inputs) -> Outputs {
        let mut out = Outputs::default();
        if let Err(e) = self.cycle_into(inp, &mut out) {
            stop_panic(e);
        }
        out
    }

    fn data_width(&self) -> u32 {
        self.data_w
    }
}

#[cold]
#[inline(never)]
fn stop_panic(e: RtlError) -> ! {
    panic!("{e}")
}

impl Drop for Rtl {
    fn drop(&mut self) {
        // SAFETY: `handle` came from this backend's `new` and is freed exactly once.
        unsafe { (self.backend.free)(self.handle.as_ptr()) }
    }
}

impl std::fmt::Debug for Rtl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rtl")
            .field("data_w", &self.data_w)
            .field("cycles", &self.cycles)
            .field("trace", &self.trace)
            .field("stopped", &self.stopped)
            .finish()
    }
}

fn path_to_cstring(p: &Path) -> Result<CString, RtlError> {
    let bytes = p.as_os_str().as_encoded_bytes().to_vec();
    CString::new(bytes).map_err(|_| RtlError::TraceOpen {
        path: p.to_path_buf(),
        message: "path contains a NUL byte".into(),
    })
}

/// Sizes and field offsets of [`Inputs`], [`Outputs`] and [`Expected`], in the order of
/// `txoe_shim_layout` (`csrc/common.cpp`).
pub(crate) fn rust_layout() -> Vec<u64> {
    use std::mem::{offset_of, size_of};
    macro_rules! offsets {
        ($t:ty; $($f:ident),* $(,)?) => {
            [size_of::<$t>() as u64, $(offset_of!($t, $f) as u64),*]
        };
    }
    let inputs = offsets!(Inputs; rst, s_axil_awvalid, s_axil_wvalid, s_axil_bready,
        s_axil_arvalid, s_axil_rready, s_axil_wstrb, s_axil_awaddr, s_axil_wdata,
        s_axil_araddr, m_axi_awready, m_axi_wready, m_axi_bvalid, m_axi_arready,
        m_axi_rvalid, m_axi_rlast, m_axi_bresp, m_axi_rresp, m_axi_rdata, m_axis_tx_tready);
    let outputs = offsets!(Outputs; s_axil_awready, s_axil_wready, s_axil_bvalid,
        s_axil_arready, s_axil_rvalid, s_axil_bresp, s_axil_rresp, s_axil_rdata,
        m_axi_awvalid, m_axi_wvalid, m_axi_wlast, m_axi_bready, m_axi_awlen, m_axi_awsize,
        m_axi_awburst, m_axi_awaddr, m_axi_wstrb, m_axi_wdata, m_axi_arvalid, m_axi_rready,
        m_axi_arlen, m_axi_arsize, m_axi_arburst, m_axi_araddr, m_axis_tx_tvalid,
        m_axis_tx_tlast, m_axis_tx_tkeep, m_axis_tx_tdata, irq);
    let expected = offsets!(Expected; out, tx_state, wr_state, cplq_count, ipv4_id, ipv6_id);
    inputs.iter().chain(outputs.iter()).chain(expected.iter()).copied().collect()
}

/// Compare the shim's struct layout with Rust's, once per process.
fn check_layout() -> Result<(), RtlError> {
    static CHECK: OnceLock<Result<(), String>> = OnceLock::new();
    CHECK
        .get_or_init(|| {
            let want = rust_layout();
            let mut got = vec![0u64; want.len() + 8];
            let n = ffi::shim_layout(&mut got);
            got.truncate(n);
            if got == want {
                Ok(())
            } else {
                Err(format!("shim (size, offsets...) {got:?} vs Rust {want:?}"))
            }
        })
        .clone()
        .map_err(RtlError::AbiMismatch)
}

/// An RTL instance for a test, or `None` (after saying why on stderr) when this build has
/// no RTL: without Verilator it prints `SKIPPED: Verilator not found` — and panics instead
/// when the environment variable `CI` is `true`, so CI cannot pass without the RTL. A width
/// missing from `TXOE_DATA_WIDTHS` is skipped the same way, and also fails under `CI=true`
/// (`scripts/test.sh` builds every width the tests use). Other errors panic.
pub fn rtl_or_skip(data_w: u32) -> Option<Rtl> {
    rtl_or_skip_with(data_w, None)
}

/// True when the environment says tests must not skip for a missing tool or build
/// (`CI=true` or `CI=1`, the same reading `build.rs` makes): every test that needs
/// Verilator, a Verilated width, tshark or GTKWave fails instead of skipping.
pub fn ci_requires_tools() -> bool {
    std::env::var("CI").map(|v| v.eq_ignore_ascii_case("true") || v == "1").unwrap_or(false)
}

/// [`rtl_or_skip`] with a trace.
pub fn rtl_or_skip_with(data_w: u32, trace: Option<(PathBuf, TraceFormat)>) -> Option<Rtl> {
    match Rtl::new(data_w, trace) {
        Ok(rtl) => Some(rtl),
        Err(RtlError::VerilatorMissing) => {
            if ci_requires_tools() {
                panic!("Verilator not found and CI=true: the RTL tests cannot be skipped in CI");
            }
            eprintln!("SKIPPED: Verilator not found (RTL DATA_W={data_w} not built)");
            None
        }
        Err(RtlError::WidthNotBuilt(w, built)) => {
            if ci_requires_tools() {
                panic!("DATA_W={w} is not Verilated in this build (built: {built:?}) and CI=true: scripts/test.sh sets TXOE_DATA_WIDTHS to the widths the tests use");
            }
            eprintln!(
                "SKIPPED: DATA_W={w} not Verilated in this build (built: {built:?}; set TXOE_DATA_WIDTHS)"
            );
            None
        }
        Err(e) => panic!("cannot build the RTL for DATA_W={data_w}: {e}"),
    }
}
