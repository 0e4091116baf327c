// txoe_tb_pkg: types of the lockstep wrapper txoe_tb_top (simulation only, not part of the
// synthesizable RTL). The state enums repeat the names and encodings of the RTL's own
// (fe_state_e in rtl/txoe_tx_engine.sv, wr_state_e in rtl/txoe_cpl_writer.sv) so that the
// model's expected state and the RTL's actual state read the same in a waveform;
// cosim/src/expect.rs maps the model's states onto these codes.
`resetall
`timescale 1ns / 1ps
`default_nettype none

package txoe_tb_pkg;

  typedef enum logic [2:0] { FeIdle, FeDescAr, FeDescR, FeCheck, FeRun, FeHalt, FeCtx } tb_tx_state_e;

  typedef enum logic [2:0] { WrIdle, WrAw, WrW, WrB, WrHalt } tb_wr_state_e;

  // Status byte of the completion entry on a write beat (docs/registers.md, "Status codes");
  // StNone on a beat that carries no status byte.
  typedef enum logic [7:0] {
    StOk           = 8'd0,
    StReservedBits = 8'd1,
    StBadLength    = 8'd2,
    StTooLong      = 8'd3,
    StBadConn      = 8'd4,
    StInvalidCtx   = 8'd5,
    StMssTooSmall  = 8'd6,
    StUnsupported  = 8'd7,
    StDmaError     = 8'd8,
    StNone         = 8'hFF
  } tb_status_e;

  // Close reason of the end-of-batch entry on a write beat; NotEnd on an entry without
  // end-of-batch, NoEntry on a beat that carries no flags byte.
  typedef enum logic [2:0] {
    ReasonMaxBatch  = 3'd0,
    ReasonTimeout   = 3'd1,
    ReasonImmediate = 3'd2,
    ReasonRingEnd   = 3'd3,
    NotEnd          = 3'd6,
    NoEntry         = 3'd7
  } tb_reason_e;

endpackage

`resetall
