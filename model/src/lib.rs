//! txoe reference model.
//!
//! * [`ports`]: the device's port list as plain data, shared with the Verilator binding.
//! * [`regs`], [`layout`]: the host-visible register map and byte layouts.
//! * [`probe`]: read-only views of the engine's state for waveforms.

pub mod layout;
pub mod ports;
pub mod regs;
pub mod tx;
pub mod core;
pub mod engine;
pub mod probe;

pub use engine::{Engine, EngineParams};
pub use probe::{Probe, ProbeState};
