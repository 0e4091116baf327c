//! txoe-testbench
