//! txoe reference model.
//!
//! * [`ports`]: the device's port list as plain data, shared with the Verilator binding.
//! * [`regs`], [`layout`]: the host-visible register map and byte layouts.

pub mod layout;
pub mod ports;
pub mod regs;
pub mod tx;
pub mod core;
pub mod engine;

pub use engine::{Engine, EngineParams};
