//! Waveform helpers for txoe dumps: reading them back ([`Dump`], with `wellen`), GTKWave
//! save files (`.gtkw`) that open a dump on the signals that matter, grouped by interface
//! with the model's expected values beside the RTL's, and GTKWave translate filter files
//! that show enums and status codes by name.

mod dump;
mod filters;
mod gtkw;
mod view;

pub use dump::{strip_range, Dump, SignalInfo, Value};
pub use filters::{write_filters, EnumTable, Filters, REASON, STATUS, TABLES, TX_STATE, WR_STATE};
pub use gtkw::{gtkw_signals, gtkw_text, write_gtkw, Color, Item, Radix, Trace, View};
pub use view::{first_frame_cycle, txoe_view, Focus, TxoeView, TB_SCOPE};

use std::path::PathBuf;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read dump {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("no signal {0} in the dump")]
    NoSignal(String),
    #[error("{signal} has no value at time {time}")]
    NoValue { signal: String, time: u64 },
    #[error("{signal} is not a bit vector: {value}")]
    NotBits { signal: String, value: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, Error>;
