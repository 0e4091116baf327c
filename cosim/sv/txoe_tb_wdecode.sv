// txoe_tb_wdecode: reads the completion entries off an AXI4 write data channel for the
// waveform (simulation only): the status and close reason of the entry whose status /
// flags byte is on the current beat, and the number of write bursts finished before it.
// Entries are 16 bytes, consecutive from the burst's first strobed byte
// (docs/registers.md, "Completion entry").
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_tb_wdecode
  import txoe_tb_pkg::*;
#(
  parameter int unsigned DataW = 64
) (
  input  wire               clk,
  input  wire               rst,
  input  wire               trace_on,   // decode only while a trace is open
  input  wire               wvalid,
  input  wire               wready,
  input  wire               wlast,
  input  wire [DataW-1:0]   wdata,
  input  wire [DataW/8-1:0] wstrb,
  output tb_status_e        status_o,
  output tb_reason_e        reason_o,
  output logic [31:0]       batch_o
);

  localparam int unsigned Bw    = DataW / 8;
  localparam int unsigned LaneW = $clog2(Bw);

  logic [7:0]       beat_q;   // beat of the current burst
  logic [LaneW-1:0] l0_q;     // lane of the burst's first entry byte
  logic [31:0]      batch_q;
  logic [LaneW-1:0] lowest, l0;

  always_comb begin
    lowest = '0;
    for (int j = Bw - 1; j >= 0; j--) begin
      if (wstrb[j]) lowest = LaneW'(j);
    end
  end
  assign l0 = (beat_q == 8'd0) ? lowest : l0_q;

  always_comb begin
    logic [3:0]  pos;   // modulo the 16-byte entry
    logic        got_status, got_flags;
    status_o   = StNone;
    reason_o   = NoEntry;
    got_status = 1'b0;
    got_flags  = 1'b0;
    for (int j = 0; j < Bw && trace_on; j++) begin
      // byte j's offset from the first entry byte of the burst
      pos = 4'(16'(beat_q) * 16'(Bw) + 16'(j) - 16'(l0));
      if (wvalid && wstrb[j] && !got_status && pos == 4'd14) begin
        status_o   = tb_status_e'(wdata[8*j +: 8]);
        got_status = 1'b1;
      end
      if (wvalid && wstrb[j] && !got_flags && pos == 4'd15) begin
        reason_o  = wdata[8*j + 1] ? tb_reason_e'({1'b0, wdata[8*j + 4 +: 2]}) : NotEnd;
        got_flags = 1'b1;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      beat_q  <= '0;
      l0_q    <= '0;
      batch_q <= '0;
    end else if (wvalid && wready) begin
      if (beat_q == 8'd0) l0_q <= lowest;
      if (wlast) begin
        beat_q  <= '0;
        batch_q <= batch_q + 32'd1;
      end else begin
        beat_q <= beat_q + 8'd1;
      end
    end
  end

  assign batch_o = batch_q;

endmodule

`resetall
