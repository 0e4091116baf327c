// fv_ip_id: formal wrapper of txoe_ip_id (ports only). Any sequence of takes, host loads
// and load values after a reset:
//   id_upper  : the ID is always in the upper half, 2^(Width-1) ..= 2^Width - 1
//   id_next   : a take advances it by one, 2^Width - 1 wrapping to 2^(Width-1)
//   id_load   : a host load (no take) gives the value with its top bit forced: a value
//               below 2^(Width-1) still yields an upper-half ID
//   id_hold   : no take and no load: the ID does not move
`resetall
`default_nettype none

module fv_ip_id #(
  parameter int unsigned Width = 16
) (
  input wire             clk,
  input wire             rst,
  input wire             load_i,
  input wire [Width-1:0] load_value_i,
  input wire             take_i
);
  logic [Width-1:0] id_o;
  txoe_ip_id #(.Width(Width)) dut (.clk, .rst, .load_i, .load_value_i, .take_i, .id_o);

  localparam logic [Width-1:0] Lowest = {1'b1, {(Width-1){1'b0}}};

  logic             init_q = 1'b1;
  logic             past_rst_q, past_take_q, past_load_q;
  logic [Width-1:0] past_id_q, past_val_q;
  always_ff @(posedge clk) begin
    init_q      <= 1'b0;
    past_rst_q  <= rst;
    past_take_q <= take_i;
    past_load_q <= load_i;
    past_id_q   <= id_o;
    past_val_q  <= load_value_i;
  end

  always_comb if (init_q) assume (rst);

  always_ff @(posedge clk) begin
    if (!init_q && !rst) begin
      id_upper: assert (id_o >= Lowest);
    end
    if (!init_q && !past_rst_q && !rst) begin
      if (past_take_q) begin
        id_next: assert (id_o == ((past_id_q == '1) ? Lowest : past_id_q + Width'(1)));
      end else if (past_load_q) begin
        id_load: assert (id_o == (past_val_q | Lowest));
      end else begin
        id_hold: assert (id_o == past_id_q);
      end
    end
  end
endmodule

`resetall
