//! The Verilated RTL behind [`Device`].
//!
//! `build.rs` Verilates `txoe_top` once per width in `TXOE_DATA_WIDTHS` and links the
//! models with the `extern "C"` shim of `csrc/shim.cpp`; this module wraps one instance.
//! Each [`Rtl`] owns its `VerilatedContext`, so instances are independent (and may live
//! on different threads).

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::OnceLock;

use txoe_model::ports::{Device, Inputs, Outputs};

/// Waveform formats. Only FST is built; `Vcd` is kept so a VCD build can be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    Fst,
    Vcd,
}

#[derive(Debug, thiserror::Error)]
pub enum RtlError {
    #[error("Verilator was not found when txoe-cosim was built: install it (scripts/setup.sh) and rebuild")]
    VerilatorMissing,
    #[error("no Verilated build for DATA_W={0} (built: {1:?}); set TXOE_DATA_WIDTHS and rebuild")]
    WidthNotBuilt(u32, Vec<u32>),
    #[error("this build has no {0:?} tracing")]
    TraceNotBuilt(TraceFormat),
    #[error("cannot open trace file {path}: {message}")]
    TraceOpen { path: PathBuf, message: String },
    #[error("the C++ port structs do not match txoe_model::ports: {0}")]
    AbiMismatch(String),
    #[error("the Verilated model could not be built: {0}")]
    Construct(String),
    #[error("the RTL stopped at cycle {cycle}: {message}")]
    Stopped { cycle: u64, message: String },
}

/// Entry points of one Verilated width (generated table, see `build.rs`).
struct Backend {
    data_w: u32,
    new: unsafe extern "C" fn(*const c_char, *mut c_char, usize) -> *mut c_void,
    cycle: unsafe extern "C" fn(*mut c_void, *const Inputs, *mut Outputs) -> c_int,
    error: unsafe extern "C" fn(*const c_void) -> *const c_char,
    free: unsafe extern "C" fn(*mut c_void),
}

#[allow(dead_code, unused_imports)]
mod ffi {
    use super::Backend;
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
    stopped: Option<String>,
}

// SAFETY: an instance owns its VerilatedContext and model and no thread-bound state; the
// shim re-binds the runtime's per-thread context pointer on every call, so an instance
// may move to another thread. It is not `Sync`: calls need `&mut self`.
unsafe impl Send for Rtl {}

impl Rtl {
    /// Widths Verilated into this build.
    pub fn available_widths() -> Vec<u32> {
        ffi::BACKENDS.iter().map(|b| b.data_w).collect()
    }

    /// The Verilator that built the RTL (`verilator --version`), empty without one.
    pub fn verilator_version() -> &'static str {
        env!("TXOE_VERILATOR_VERSION")
    }

    /// A fresh RTL instance (own VerilatedContext); `trace` dumps every cycle to the file.
    pub fn new(data_w: u32, trace: Option<(PathBuf, TraceFormat)>) -> Result<Rtl, RtlError> {
        if cfg!(txoe_no_verilator) {
            return Err(RtlError::VerilatorMissing);
        }
        let backend = ffi::BACKENDS
            .iter()
            .find(|b| b.data_w == data_w)
            .ok_or_else(|| RtlError::WidthNotBuilt(data_w, Self::available_widths()))?;
        check_layout()?;

        let trace_path = match trace {
            None => None,
            Some((_, TraceFormat::Vcd)) => return Err(RtlError::TraceNotBuilt(TraceFormat::Vcd)),
            Some((path, TraceFormat::Fst)) => Some(path),
        };
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
        Ok(Rtl { data_w, backend, handle, cycles: 0, trace: trace_path, stopped: None })
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
        let rc = unsafe { (self.backend.cycle)(self.handle.as_ptr(), inp, out) };
        if rc != 0 {
            return Err(self.record_stop());
        }
        self.cycles += 1;
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

    /// The trace file this instance writes, if any. Time `2c` shows cycle `c` before its
    /// rising edge, time `2c + 1` after it.
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

/// Sizes and field offsets of [`Inputs`] and [`Outputs`], in the order of
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
    inputs.iter().chain(outputs.iter()).copied().collect()
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

/// True when the environment says RTL tests must not be skipped (`CI=true`).
fn ci_requires_rtl() -> bool {
    std::env::var("CI").map(|v| v.eq_ignore_ascii_case("true")).unwrap_or(false)
}

/// [`rtl_or_skip`] with a trace.
pub fn rtl_or_skip_with(data_w: u32, trace: Option<(PathBuf, TraceFormat)>) -> Option<Rtl> {
    match Rtl::new(data_w, trace) {
        Ok(rtl) => Some(rtl),
        Err(RtlError::VerilatorMissing) => {
            if ci_requires_rtl() {
                panic!("Verilator not found and CI=true: the RTL tests cannot be skipped in CI");
            }
            eprintln!("SKIPPED: Verilator not found (RTL DATA_W={data_w} not built)");
            None
        }
        Err(RtlError::WidthNotBuilt(w, built)) => {
            if ci_requires_rtl() {
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
