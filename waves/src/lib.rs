//! txoe-waves
