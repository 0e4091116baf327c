// txoe_cpl_coalesce: the completion coalescer's close decision: whether a batch closes
// this cycle, its size k and its reason, and whether the CQ has room for it
// (docs/microarchitecture.md, "Completion writer", "The close decision"). Combinational,
// from inputs the writer keeps in registers for it: the ring geometry (txoe_pkg's
// cq_geometry), the first IMMEDIATE among the pending slots and whether the oldest one
// has timed out, so that the decision is a few comparisons deep.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_cpl_coalesce
  import txoe_pkg::*;
#(
  parameter int unsigned CountW = 6   // width of the pending count
) (
  input  wire  [CountW-1:0]    pending_i,    // n
  input  wire                  imm_hit_i,    // a pending slot i < min(n, 16) has IMMEDIATE
  input  wire  [4:0]           imm_k_i,      // the first such i, + 1
  input  wire                  timed_out_i,  // age of pending slot 0 >= TIMEOUT
  input  wire  cq_geo_t        geo_i,

  output logic                 close_o,      // a rule fires
  output logic                 start_o,      // a rule fires and free >= k
  output logic [4:0]           k_o,
  output reason_e              reason_o
);

  // The rules, written as comparisons made side by side rather than one after the other:
  // - a first IMMEDIATE is among the pending slots (imm + 1 <= n), so with one the size
  //   rule always fires: size_fire = imm_hit || n >= geo, and K = min(geo, imm + 1);
  // - free >= min(a, b) is (free >= a) || (free >= b).
  logic imm_first, size_fire, timeout_fire, room_geo, room_imm, room_n;
  assign imm_first    = imm_hit_i && imm_k_i <= geo_i.geo;
  assign size_fire    = imm_hit_i || pending_i >= CountW'(geo_i.geo);
  assign timeout_fire = pending_i != '0 && timed_out_i;
  assign room_geo     = geo_i.free >= RingIdxW'(geo_i.geo);
  assign room_imm     = geo_i.free >= RingIdxW'(imm_k_i);
  assign room_n       = geo_i.free >= RingIdxW'(pending_i);

  always_comb begin
    if (size_fire) begin
      k_o      = imm_first ? imm_k_i : geo_i.geo;
      reason_o = imm_first ? ReasonImmediate : geo_i.to_end_first ? ReasonRingEnd : ReasonMaxBatch;
    end else begin
      // n < K <= 16 here
      k_o      = pending_i[4:0];
      reason_o = ReasonTimeout;
    end
  end

  assign close_o = size_fire || timeout_fire;
  assign start_o = size_fire ? (room_geo || (imm_hit_i && room_imm)) : (timeout_fire && room_n);

  logic unused_ok;
  assign unused_ok = ^{geo_i.to_end, geo_i.mx};

endmodule

`resetall
