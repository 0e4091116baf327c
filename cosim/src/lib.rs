//! txoe-cosim
