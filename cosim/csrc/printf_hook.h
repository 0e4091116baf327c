// Force-included (-include) into the Verilator runtime's sources so that VL_PRINTF, which
// carries $display/$error output and runtime messages, goes through txoe_vl_printf, which
// collects it in txoe_vl_output (hooks.h) for the shim to print after each call, and lets a
// failed assertion's own message end up in the error reported to Rust.
#ifndef TXOE_PRINTF_HOOK_H
#define TXOE_PRINTF_HOOK_H

#ifdef __cplusplus
extern "C" {
#endif
int txoe_vl_printf(const char* format, ...) __attribute__((format(printf, 1, 2)));
#ifdef __cplusplus
}
#endif

#define VL_PRINTF txoe_vl_printf

#endif  // TXOE_PRINTF_HOOK_H
