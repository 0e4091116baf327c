//! Board bring-up: the golden model's timing-free expected output of a scenario, the
//! capture formats a board run produces (pcap, CQ dump, register file), and the check of
//! a capture against the golden model. See `docs/bringup.md`.
//!
//! * [`golden`]: frames, completion entries and final registers from the model's
//!   functional core, without timing.
//! * [`cqdump`]: the CQ dump file (raw ring bytes with the ring's base and size).
//! * [`regfile`]: the register file (`NAME value` lines).
//! * [`check`]: a capture against the golden model, field by field.

pub mod check;
pub mod cqdump;
pub mod golden;
pub mod regfile;
