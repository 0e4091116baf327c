// Hooks into the Verilator runtime, shared by common.cpp and the per-width shims.
#ifndef TXOE_HOOKS_H
#define TXOE_HOOKS_H

#include <string>

// Thrown by vl_fatal (common.cpp, replacing the runtime's abort) for $fatal, a failed
// assertion, $stop, or a runtime error; caught by the shim, which reports it to Rust.
struct TxoeVlFatal {
    std::string message;
};

// What the Verilator runtime printed ($display, assertion messages) on this thread since the
// last flush. Held back while a model evaluates, so that the message of an assertion that
// stops the model is reported once, in the error, rather than also printed.
extern thread_local std::string txoe_vl_output;

// Print and clear txoe_vl_output.
void txoe_vl_output_flush();

#endif  // TXOE_HOOKS_H
