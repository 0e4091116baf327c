// txoe_hdr_build: combinational Ethernet / 802.1Q / IPv4 / TCP header builder. DF is
// always set; checksums are complete (the payload's contribution comes in as a sum).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_hdr_build
  import txoe_pkg::*;
(
  input  wire  ctx_t                     ctx_i,
  input  wire  [15:0]                    len_i,       // TCP payload bytes
  input  wire                            psh_i,
  input  wire                            fin_i,
  input  wire  [15:0]                    ip_id_i,
  input  wire  [31:0]                    payload_sum_i, // big-endian 16-bit word sum
  output logic [HdrMaxBytes*8-1:0]       hdr_o,       // byte p at bits [8p +: 8]
  output logic [6:0]                     hdr_len_o
);

  logic [7:0]  b [HdrMaxBytes];
  logic [15:0] ip_total_len;
  logic [15:0] ip_csum;
  logic [15:0] tcp_csum;
  logic [7:0]  tcp_flags;
  logic [31:0] ip_sum, tcp_sum;
  logic [31:0] src_ip4, dst_ip4;
  int unsigned ip_at;

  assign src_ip4      = ctx_i.src_ip[31:0];
  assign dst_ip4      = ctx_i.dst_ip[31:0];
  assign ip_total_len = 16'd40 + len_i;
  assign tcp_flags    = {3'b000, 1'b1, psh_i, 2'b00, fin_i};  // ACK, PSH, FIN

  always_comb begin
    ip_sum = 32'h4500 + {24'd0, ctx_i.tos} + 32'(ip_total_len) + 32'(ip_id_i) + 32'h4000
           + {16'd0, ctx_i.ttl, 8'd6}
           + 32'(src_ip4[31:16]) + 32'(src_ip4[15:0]) + 32'(dst_ip4[31:16]) + 32'(dst_ip4[15:0]);
    ip_csum = ~csum_fold(ip_sum);

    tcp_sum = 32'(src_ip4[31:16]) + 32'(src_ip4[15:0]) + 32'(dst_ip4[31:16]) + 32'(dst_ip4[15:0])
            + 32'd6 + 32'd20 + 32'(len_i)
            + 32'(ctx_i.src_port) + 32'(ctx_i.dst_port)
            + 32'(ctx_i.snd_nxt[31:16]) + 32'(ctx_i.snd_nxt[15:0])
            + 32'(ctx_i.ack[31:16]) + 32'(ctx_i.ack[15:0])
            + {16'd0, 8'h50, tcp_flags} + 32'(ctx_i.window)
            + payload_sum_i;
    tcp_csum = ~csum_fold(tcp_sum);
  end

  always_comb begin
    for (int i = 0; i < HdrMaxBytes; i++) b[i] = 8'd0;
    for (int i = 0; i < 6; i++) begin
      b[i]     = ctx_i.dst_mac[47 - 8*i -: 8];
      b[6 + i] = ctx_i.src_mac[47 - 8*i -: 8];
    end
    if (ctx_i.vlan_en) begin
      b[12] = 8'h81; b[13] = 8'h00;
      b[14] = {4'h0, ctx_i.vlan_id[11:8]}; b[15] = ctx_i.vlan_id[7:0];
      b[16] = 8'h08; b[17] = 8'h00;
      ip_at = 18;
    end else begin
      b[12] = 8'h08; b[13] = 8'h00;
      ip_at = 14;
    end
    // IPv4
    b[ip_at + 0]  = 8'h45;
    b[ip_at + 1]  = ctx_i.tos;
    b[ip_at + 2]  = ip_total_len[15:8];
    b[ip_at + 3]  = ip_total_len[7:0];
    b[ip_at + 4]  = ip_id_i[15:8];
    b[ip_at + 5]  = ip_id_i[7:0];
    b[ip_at + 6]  = 8'h40;                 // DF, offset 0
    b[ip_at + 7]  = 8'h00;
    b[ip_at + 8]  = ctx_i.ttl;
    b[ip_at + 9]  = 8'd6;                  // TCP
    b[ip_at + 10] = ip_csum[15:8];
    b[ip_at + 11] = ip_csum[7:0];
    for (int i = 0; i < 4; i++) begin
      b[ip_at + 12 + i] = src_ip4[31 - 8*i -: 8];
      b[ip_at + 16 + i] = dst_ip4[31 - 8*i -: 8];
    end
    // TCP
    b[ip_at + 20] = ctx_i.src_port[15:8];
    b[ip_at + 21] = ctx_i.src_port[7:0];
    b[ip_at + 22] = ctx_i.dst_port[15:8];
    b[ip_at + 23] = ctx_i.dst_port[7:0];
    for (int i = 0; i < 4; i++) begin
      b[ip_at + 24 + i] = ctx_i.snd_nxt[31 - 8*i -: 8];
      b[ip_at + 28 + i] = ctx_i.ack[31 - 8*i -: 8];
    end
    b[ip_at + 32] = 8'h50;
    b[ip_at + 33] = tcp_flags;
    b[ip_at + 34] = ctx_i.window[15:8];
    b[ip_at + 35] = ctx_i.window[7:0];
    b[ip_at + 36] = tcp_csum[15:8];
    b[ip_at + 37] = tcp_csum[7:0];
    b[ip_at + 38] = 8'h00;
    b[ip_at + 39] = 8'h00;
  end

  always_comb begin
    for (int i = 0; i < HdrMaxBytes; i++) hdr_o[i*8 +: 8] = b[i];
  end
  assign hdr_len_o = ctx_i.vlan_en ? 7'd58 : 7'd54;

  // context fields this IPv4-only builder does not use
  logic unused_ok;
  assign unused_ok = ^{ctx_i.valid, ctx_i.ipv6, ctx_i.frag_hdr, ctx_i.src_ip[127:32],
                       ctx_i.dst_ip[127:32], ctx_i.mss, ctx_i.flow_label};

endmodule

`resetall
