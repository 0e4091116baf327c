// fv_hdr_build: formal wrapper of the combinational header builder txoe_hdr_build (its
// ports only: hdr_o for any context, sequence number, length, flags, IDs and payload sum).
//   hdr_v4_df   : an IPv4 header (ctx.ipv6 = 0) has flags/offset 0x4000: DF set, MF clear,
//                 fragment offset 0
//   hdr_v4_id   : its identification is the IPv4 ID counter's value (ip_id_i)
//   hdr_v4_len  : its total length is 20 + 20 + len_i (IPv4 and TCP headers, no options)
//   hdr_v6_frag : an IPv6 header with a fragment header (next header 44) has offset 0,
//                 M clear and the fragment ID counter's value; without one, next header 6
`resetall
`default_nettype none

module fv_hdr_build
  import txoe_pkg::*;
(
  input wire              clk,   // samples the assertions; the block has no state
  input wire ctx_t        ctx_i,
  input wire [31:0]       seq_i,
  input wire [15:0]       len_i,
  input wire              psh_i,
  input wire              fin_i,
  input wire [15:0]       ip_id_i,
  input wire [31:0]       frag_id_i,
  input wire [15:0]       ip_csum_i,
  input wire [15:0]       tcp_csum_i
);
  logic [HdrMaxBytes*8-1:0] hdr_o;
  txoe_hdr_build dut (.ctx_i, .seq_i, .len_i, .psh_i, .fin_i, .ip_id_i, .frag_id_i,
                      .ip_csum_i, .tcp_csum_i, .hdr_o);

  function automatic logic [7:0] hb(input int unsigned p);
    return hdr_o[p*8 +: 8];
  endfunction

  int unsigned l3;
  assign l3 = ctx_i.vlan_en ? 18 : 14;

  always_ff @(posedge clk) begin
    if (!ctx_i.ipv6) begin
      hdr_v4_df:  assert ({hb(l3 - 2), hb(l3 - 1)} == 16'h0800 && hb(l3) == 8'h45
                          && hb(l3 + 6) == 8'h40 && hb(l3 + 7) == 8'h00);
      hdr_v4_id:  assert ({hb(l3 + 4), hb(l3 + 5)} == ip_id_i);
      hdr_v4_len: assert ({hb(l3 + 2), hb(l3 + 3)} == 16'd40 + len_i);
    end else begin
      if (ctx_i.frag_hdr) begin
        hdr_v6_frag: assert ({hb(l3 - 2), hb(l3 - 1)} == 16'h86DD && hb(l3 + 6) == 8'd44
                             && hb(l3 + 40) == 8'd6 && hb(l3 + 42) == 8'h00
                             && hb(l3 + 43) == 8'h00
                             && {hb(l3 + 44), hb(l3 + 45), hb(l3 + 46), hb(l3 + 47)}
                                == frag_id_i);
      end else begin
        hdr_v6_nofrag: assert ({hb(l3 - 2), hb(l3 - 1)} == 16'h86DD && hb(l3 + 6) == 8'd6);
      end
    end
  end
endmodule

`resetall
