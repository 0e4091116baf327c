//! txoe co-simulation: the Verilated RTL behind [`txoe_model::ports::Device`], and the
//! lockstep runner that clocks it beside the model and compares every output every cycle.

pub mod env;
pub mod expect;
pub mod locate;
pub mod lockstep;
pub mod rtl;
pub mod txn;

pub use env::{EnvError, Environment};
pub use expect::{Expected, ModelTap, ProbedDevice, TraceWindow, TracedRtl};
pub use lockstep::{compare, run, run_past_mismatch, Failure, FieldDiff, RunOptions, RunReport};
pub use rtl::{ci_requires_tools, rtl_or_skip, rtl_or_skip_with, Rtl, RtlError, TraceFormat};
