// txoe_hdr_build: combinational header builder for one TCP segment: Ethernet II, optional
// 802.1Q tag, IPv4 (DF always set, no options) or IPv6 (optional fragment header with
// offset 0 and M = 0), and TCP without options. The two checksums come in finished: the
// TX engine sums them over two cycles (txoe_pkg's ctx_ip_sum/ctx_tcp_sum, then the
// segment's fields and its payload), places the IPv4 one one cycle after the rest of the
// header and keeps the TCP one beside the header until the stream output assembles its
// word (docs/microarchitecture.md, "Header stage").
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_hdr_build
  import txoe_pkg::*;
(
  input  wire  ctx_t                     ctx_i,
  input  wire  [31:0]                    seq_i,         // TCP sequence number
  input  wire  [15:0]                    len_i,         // TCP payload bytes
  input  wire                            psh_i,
  input  wire                            fin_i,
  input  wire  [15:0]                    ip_id_i,       // IPv4 identification
  input  wire  [31:0]                    frag_id_i,     // IPv6 fragment identification
  input  wire  [15:0]                    ip_csum_i,     // IPv4 header checksum
  input  wire  [15:0]                    tcp_csum_i,    // TCP checksum
  output logic [HdrMaxBytes*8-1:0]       hdr_o          // byte p at bits [8p +: 8]
);

  logic [7:0]  b [HdrMaxBytes];
  logic [7:0]  tcp [20];
  logic [15:0] ip_total_len, ip6_payload_len, tcp_len;
  logic [7:0]  tcp_flags;
  logic [31:0] src_ip4, dst_ip4;

  assign src_ip4         = ctx_i.src_ip[31:0];
  assign dst_ip4         = ctx_i.dst_ip[31:0];
  assign tcp_len         = 16'd20 + len_i;
  assign ip_total_len    = 16'd20 + tcp_len;
  assign ip6_payload_len = (ctx_i.frag_hdr ? 16'd8 : 16'd0) + tcp_len;
  assign tcp_flags       = tcp_flags_of(psh_i, fin_i);

  // ---------------------------------------------------------------- TCP header
  always_comb begin
    tcp[0]  = ctx_i.src_port[15:8];
    tcp[1]  = ctx_i.src_port[7:0];
    tcp[2]  = ctx_i.dst_port[15:8];
    tcp[3]  = ctx_i.dst_port[7:0];
    for (int i = 0; i < 4; i++) begin
      tcp[4 + i] = seq_i[31 - 8*i -: 8];
      tcp[8 + i] = ctx_i.ack[31 - 8*i -: 8];
    end
    tcp[12] = 8'h50;
    tcp[13] = tcp_flags;
    tcp[14] = ctx_i.window[15:8];
    tcp[15] = ctx_i.window[7:0];
    tcp[16] = tcp_csum_i[15:8];
    tcp[17] = tcp_csum_i[7:0];
    tcp[18] = 8'h00;
    tcp[19] = 8'h00;
  end

  // ---------------------------------------------------------------- placement
  // The layer offsets take six values (tagged or not; IPv4, IPv6, IPv6 with the fragment
  // header): the header is placed once per layout with constant offsets, and the
  // context's layout picks one. Every byte is then a choice among a few fixed sources,
  // with no offset arithmetic between the context's layout bits and the bytes.
  always_comb begin
    for (int i = 0; i < HdrMaxBytes; i++) b[i] = 8'd0;
    for (int i = 0; i < 6; i++) begin
      b[i]     = ctx_i.dst_mac[47 - 8*i -: 8];
      b[6 + i] = ctx_i.src_mac[47 - 8*i -: 8];
    end
    if (ctx_i.vlan_en) begin
      b[12] = 8'h81; b[13] = 8'h00;
      b[14] = {4'h0, ctx_i.vlan_id[11:8]}; b[15] = ctx_i.vlan_id[7:0];
    end
    for (int lay = 0; lay < 6; lay++) begin
      // layout lay: tagged = lay[0]; IPv4 (lay < 2), IPv6 (2, 3), IPv6 + fragment header (4, 5)
      automatic int unsigned l3_at = (lay % 2 == 1) ? 18 : 14;
      automatic int unsigned l4_at = l3_at + (lay < 2 ? 20 : lay < 4 ? 40 : 48);
      if (ctx_i.vlan_en == (lay % 2 == 1) && ctx_i.ipv6 == (lay >= 2)
          && (lay < 2 || ctx_i.frag_hdr == (lay >= 4))) begin
        b[l3_at - 2] = ctx_i.ipv6 ? 8'h86 : 8'h08;
        b[l3_at - 1] = ctx_i.ipv6 ? 8'hDD : 8'h00;
        if (!ctx_i.ipv6) begin
          b[l3_at + 0]  = 8'h45;
          b[l3_at + 1]  = ctx_i.tos;
          b[l3_at + 2]  = ip_total_len[15:8];
          b[l3_at + 3]  = ip_total_len[7:0];
          b[l3_at + 4]  = ip_id_i[15:8];
          b[l3_at + 5]  = ip_id_i[7:0];
          b[l3_at + 6]  = 8'h40;                 // DF, offset 0
          b[l3_at + 7]  = 8'h00;
          b[l3_at + 8]  = ctx_i.ttl;
          b[l3_at + 9]  = 8'd6;                  // TCP
          b[l3_at + 10] = ip_csum_i[15:8];
          b[l3_at + 11] = ip_csum_i[7:0];
          for (int i = 0; i < 4; i++) begin
            b[l3_at + 12 + i] = src_ip4[31 - 8*i -: 8];
            b[l3_at + 16 + i] = dst_ip4[31 - 8*i -: 8];
          end
        end else begin
          b[l3_at + 0] = {4'h6, ctx_i.tos[7:4]};
          b[l3_at + 1] = {ctx_i.tos[3:0], ctx_i.flow_label[19:16]};
          b[l3_at + 2] = ctx_i.flow_label[15:8];
          b[l3_at + 3] = ctx_i.flow_label[7:0];
          b[l3_at + 4] = ip6_payload_len[15:8];
          b[l3_at + 5] = ip6_payload_len[7:0];
          b[l3_at + 6] = ctx_i.frag_hdr ? 8'd44 : 8'd6;
          b[l3_at + 7] = ctx_i.ttl;
          for (int i = 0; i < 16; i++) begin
            b[l3_at + 8 + i]  = ctx_i.src_ip[127 - 8*i -: 8];
            b[l3_at + 24 + i] = ctx_i.dst_ip[127 - 8*i -: 8];
          end
          if (ctx_i.frag_hdr) begin
            b[l3_at + 40] = 8'd6;                // next header: TCP
            b[l3_at + 41] = 8'h00;               // reserved
            b[l3_at + 42] = 8'h00;               // offset 0, M = 0
            b[l3_at + 43] = 8'h00;
            for (int i = 0; i < 4; i++) b[l3_at + 44 + i] = frag_id_i[31 - 8*i -: 8];
          end
        end
        for (int i = 0; i < 20; i++) b[l4_at + i] = tcp[i];
      end
    end
  end

  always_comb begin
    for (int i = 0; i < HdrMaxBytes; i++) hdr_o[i*8 +: 8] = b[i];
  end

  // the context's own snd_nxt is replaced by the segment's sequence number
  logic unused_ok;
  assign unused_ok = ^{ctx_i.valid, ctx_i.mss, ctx_i.snd_nxt};

endmodule

`resetall
