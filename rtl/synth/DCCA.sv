// DCCA: the ECP5 primary-clock buffer, declared for read_slang as a black box: synth_ecp5
// keeps the instance and nextpnr-ecp5 routes its output on a global network. The place-
// and-route harness (txoe_pnr_wrap.sv) drives the core's reset through one, as a board
// design would (docs/fpga.md, "Integrating the core on a board").
`resetall
`default_nettype none

// A declaration only: the cell's behaviour is the FPGA's (the harness is not simulated).
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
(* blackbox *)
module DCCA (
  input  wire CLKI,
  input  wire CE,
  output wire CLKO
);
endmodule
/* verilator lint_on UNDRIVEN */
/* verilator lint_on UNUSEDSIGNAL */

`resetall
