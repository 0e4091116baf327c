// txoe_ip_id: upper-half IP identification counter. Hands out values from
// 2^(Width-1) to 2^Width - 1, +1 per take, wrapping back to 2^(Width-1); a host load is
// forced into the upper half. A take and a load in the same cycle: the take wins.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_ip_id #(
  parameter int unsigned Width = 16
) (
  input  wire              clk,
  input  wire              rst,
  input  wire              load_i,
  input  wire  [Width-1:0] load_value_i,
  input  wire              take_i,
  output logic [Width-1:0] id_o
);

  localparam logic [Width-1:0] Lowest = {1'b1, {(Width-1){1'b0}}};

  logic [Width-1:0] id_d, id_q;

  always_comb begin
    id_d = id_q;
    if (take_i) begin
      id_d = (&id_q) ? Lowest : id_q + Width'(1);
    end else if (load_i) begin
      id_d = load_value_i | Lowest;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      id_q <= Lowest;
    end else begin
      id_q <= id_d;
    end
  end

  assign id_o = id_q;

  // Assertions //
`ifndef SYNTHESIS
  always_ff @(posedge clk) begin
    if (!rst) begin
      IdUpperHalf_A: assert (id_q[Width-1])
        else $error("IP ID 0x%0h left the upper half (instance %m)", id_q);
    end
  end
`endif

endmodule

`resetall
