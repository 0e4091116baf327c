//! The environment side of a lockstep run: whatever drives the device's inputs and
//! consumes its outputs (host, memory, MAC). Implemented by the `testbench` crate.

use txoe_model::ports::{Inputs, Outputs};

/// An environment failure that ends a run as a failure, with the same weight as a
/// mismatch: a protocol violation seen on a port, a broken invariant, a lost completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvError {
    /// Cycle the problem was seen on.
    pub cycle: u64,
    /// Port or transaction, e.g. `m_axi_ar`, `cq`, `scoreboard`.
    pub port: String,
    /// What is wrong, in one line.
    pub message: String,
}

/// A Moore environment: its outputs (the device's inputs) depend on its own state only.
pub trait Environment {
    /// The device inputs for cycle `cycle`, computed from the environment's state alone.
    fn drive(&mut self, cycle: u64) -> Inputs;

    /// The device's outputs for the same cycle (`inp` is what [`drive`](Self::drive)
    /// returned). Performs the handshakes that happened and advances past the clock edge.
    fn observe(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Result<(), EnvError>;

    /// Check one device's outputs of cycle `cycle` against the interface protocols, before
    /// they are compared or observed: `device` is `model` or `rtl`, `inp` what
    /// [`drive`](Self::drive) returned. Called once per device and cycle, the RTL first,
    /// until the sides diverge; an error ends the run like [`observe`](Self::observe)'s.
    /// The default checks nothing.
    fn check_outputs(
        &mut self,
        _cycle: u64,
        _inp: &Inputs,
        _device: &str,
        _out: &Outputs,
    ) -> Result<(), EnvError> {
        Ok(())
    }

    /// True once the scenario has nothing left to do.
    fn finished(&self) -> bool;

    /// One line of progress for long runs (sends posted, completions seen, ...).
    fn progress(&self) -> String {
        String::new()
    }
}
