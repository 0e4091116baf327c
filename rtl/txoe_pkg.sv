// txoe_pkg: constants, register map, layouts and types shared by the txoe blocks.
// The register map and byte layouts are those of docs/registers.md.
`resetall
`timescale 1ns / 1ps
`default_nettype none

package txoe_pkg;

  // ---------------------------------------------------------------- register map
  localparam logic [15:0] RegId        = 16'h000;
  localparam logic [15:0] RegCtrl      = 16'h004;
  localparam logic [15:0] RegStatus    = 16'h008;
  localparam logic [15:0] RegErr       = 16'h00C;
  localparam logic [15:0] RegIrqStatus = 16'h010;
  localparam logic [15:0] RegIrqMask   = 16'h014;
  localparam logic [15:0] RegMtu       = 16'h018;
  localparam logic [15:0] RegMaxBatch  = 16'h01C;
  localparam logic [15:0] RegTimeout   = 16'h020;
  localparam logic [15:0] RegIpv4Id    = 16'h024;
  localparam logic [15:0] RegIpv6Id    = 16'h028;
  localparam logic [15:0] RegTxBaseLo  = 16'h030;
  localparam logic [15:0] RegTxBaseHi  = 16'h034;
  localparam logic [15:0] RegTxLog2    = 16'h038;
  localparam logic [15:0] RegTxTail    = 16'h03C;
  localparam logic [15:0] RegTxHead    = 16'h040;
  localparam logic [15:0] RegCqBaseLo  = 16'h050;
  localparam logic [15:0] RegCqBaseHi  = 16'h054;
  localparam logic [15:0] RegCqLog2    = 16'h058;
  localparam logic [15:0] RegCqHead    = 16'h05C;
  localparam logic [15:0] RegCqTail    = 16'h060;
  localparam logic [15:0] RegCntFrames = 16'h080;
  localparam logic [15:0] RegCntBytes  = 16'h084;
  localparam logic [15:0] RegCntCpl    = 16'h088;
  localparam logic [15:0] RegCntBatch  = 16'h08C;
  localparam logic [15:0] RegCntErr    = 16'h090;
  localparam logic [15:0] RegCntCloseMaxBatch  = 16'h0A0;
  localparam logic [15:0] RegCntCloseTimeout   = 16'h0A4;
  localparam logic [15:0] RegCntCloseImmediate = 16'h0A8;
  localparam logic [15:0] RegCntCloseRingEnd   = 16'h0AC;
  localparam logic [15:0] CtxBase      = 16'h1000;
  localparam int unsigned CtxStrideLog2 = 7;   // 0x80 bytes per context
  localparam int unsigned CtxWords      = 19;

  localparam logic [31:0] IdValue = 32'h5458_4F45;  // "TXOE"

  localparam int unsigned ErrDoorbell  = 0;
  localparam int unsigned ErrDescFetch = 1;
  localparam int unsigned ErrCplWrite  = 2;
  localparam int unsigned ErrConfig    = 3;
  localparam int unsigned IrqCpl       = 0;
  localparam int unsigned IrqErr       = 1;

  localparam logic [15:0] MtuReset      = 16'd1500;
  localparam logic [15:0] MtuMin        = 16'd576;
  localparam logic [15:0] MtuMax        = 16'd9000;
  localparam logic [4:0]  MaxBatchReset = 5'd8;
  localparam logic [31:0] TimeoutReset  = 32'd200;
  localparam logic [3:0]  RingLog2Reset = 4'd4;
  localparam int unsigned RingLog2Max   = 12;
  localparam int unsigned RingIdxW      = 12;   // ring indices, up to 4096 entries

  // ---------------------------------------------------------------- layouts
  localparam int unsigned DescBytes  = 32;
  localparam int unsigned CplBytes   = 16;
  localparam int unsigned MaxSendLen = 65535;
  localparam int unsigned MinMss     = 64;
  localparam int unsigned CplqDepth  = 32;     // a batch of 16 in flight + 16 forming
  localparam int unsigned OfifoDepth = 4;
  localparam int unsigned HdrMaxBytes = 86;     // Ethernet + 802.1Q + IPv6 + fragment + TCP
  localparam int unsigned FbBytes    = 9216;    // one frame of up to MTU 9000 + tag
  localparam int unsigned NumSlots   = 3;       // frame buffers: filling, waiting, sending

  // What a frame-buffer slot holds once it is ready.
  typedef enum logic [1:0] {
    SlotFrame   = 2'd0,   // a segment: header + payload, streamed out
    SlotCplOnly = 2'd1,   // no frame: only a completion (validation or DMA error)
    SlotVoid    = 2'd2    // nothing: a segment dropped after its request's DMA error
  } slot_kind_e;

  typedef enum logic [7:0] {
    StOk           = 8'd0,
    StReservedBits = 8'd1,
    StBadLength    = 8'd2,
    StTooLong      = 8'd3,
    StBadConn      = 8'd4,
    StInvalidCtx   = 8'd5,
    StMssTooSmall  = 8'd6,
    StUnsupported  = 8'd7,
    StDmaError     = 8'd8
  } status_e;

  typedef enum logic [1:0] {
    ReasonMaxBatch  = 2'd0,
    ReasonTimeout   = 2'd1,
    ReasonImmediate = 2'd2,
    ReasonRingEnd   = 2'd3
  } reason_e;

  // Send descriptor, decoded from its 32 little-endian bytes.
  typedef struct packed {
    logic [63:0] rsvd;
    logic [63:0] cookie;
    logic [15:0] flags;
    logic [15:0] conn;
    logic [31:0] len;
    logic [63:0] buf_addr;
  } desc_t;

  localparam int unsigned FlagPsh = 0;
  localparam int unsigned FlagFin = 1;
  localparam int unsigned FlagImm = 2;

  // Connection context, decoded from its register words.
  typedef struct packed {
    logic         valid;
    logic         ipv6;
    logic         frag_hdr;
    logic         vlan_en;
    logic [11:0]  vlan_id;
    logic [47:0]  src_mac;
    logic [47:0]  dst_mac;
    logic [127:0] src_ip;
    logic [127:0] dst_ip;
    logic [15:0]  src_port;
    logic [15:0]  dst_port;
    logic [31:0]  snd_nxt;
    logic [31:0]  ack;
    logic [15:0]  mss;
    logic [15:0]  window;
    logic [7:0]   ttl;
    logic [7:0]   tos;
    logic [19:0]  flow_label;
  } ctx_t;

  localparam int unsigned CtxWSndNxt = 14;

  // One queued completion.
  typedef struct packed {
    logic [63:0] cookie;
    logic [31:0] bytes;
    logic [15:0] segments;
    status_e     status;
    logic        immediate;
  } cpl_t;

  function automatic ctx_t ctx_decode(input logic [CtxWords*32-1:0] w);
    ctx_t c;
    c.valid      = w[0*32 + 0];
    c.ipv6       = w[0*32 + 1];
    c.frag_hdr   = w[0*32 + 2];
    c.vlan_en    = w[0*32 + 3];
    c.vlan_id    = w[0*32 + 16 +: 12];
    c.src_mac    = {w[2*32 +: 16], w[1*32 +: 32]};
    c.dst_mac    = {w[4*32 +: 16], w[3*32 +: 32]};
    c.src_ip     = {w[5*32 +: 32], w[6*32 +: 32], w[7*32 +: 32], w[8*32 +: 32]};
    c.dst_ip     = {w[9*32 +: 32], w[10*32 +: 32], w[11*32 +: 32], w[12*32 +: 32]};
    c.src_port   = w[13*32 + 16 +: 16];
    c.dst_port   = w[13*32 +: 16];
    c.snd_nxt    = w[14*32 +: 32];
    c.ack        = w[15*32 +: 32];
    c.mss        = w[16*32 + 16 +: 16];
    c.window     = w[16*32 +: 16];
    c.ttl        = w[17*32 +: 8];
    c.tos        = w[17*32 + 8 +: 8];
    c.flow_label = w[18*32 +: 20];
    return c;
  endfunction

  // CQ ring geometry for the close decision (docs/microarchitecture.md, "The close
  // decision"): with S = 2^cq_log2 entries, free = S - 1 - ((tail - head) mod S) slots the
  // host has consumed; to_end = G - (tail mod G), G = min(S, 256), slots before the ring's
  // end or the next 4 KiB boundary; mx = min(MAX_BATCH, S - 1); geo = min(mx, to_end), the
  // size rule's limit without IMMEDIATE, and whether to_end is that limit (then a full
  // batch closes as ring_end).
  typedef struct packed {
    logic [RingIdxW-1:0] free;
    logic [8:0]          to_end;
    logic [4:0]          mx;
    logic [4:0]          geo;
    logic                to_end_first;
  } cq_geo_t;

  // The index mask of a ring of 2^log2 entries: its size - 1.
  function automatic logic [RingIdxW-1:0] ring_mask(input logic [3:0] log2);
    return (RingIdxW'(1) << log2) - RingIdxW'(1);
  endfunction

  function automatic cq_geo_t cq_geometry(input logic [3:0] cq_log2, input logic [4:0] max_batch,
                                          input logic [RingIdxW-1:0] tail,
                                          input logic [RingIdxW-1:0] head);
    cq_geo_t             r;
    logic [RingIdxW-1:0] mask;
    logic [8:0]          g;
    mask           = ring_mask(cq_log2);
    r.free         = mask - ((tail - head) & mask);
    g              = (cq_log2 >= 4'd8) ? 9'd256 : (9'd1 << cq_log2);
    r.to_end       = g - ({1'b0, tail[7:0]} & (g - 9'd1));
    r.mx           = (RingIdxW'(max_batch) > mask) ? mask[4:0] : max_batch;
    r.to_end_first = r.to_end <= 9'(r.mx);
    r.geo          = r.to_end_first ? r.to_end[4:0] : r.mx;
    return r;
  endfunction

  // cq_geometry from the ring's index mask (the CQ size - 1, kept in a register) instead
  // of its log2: no shifter on the close decision's path. Equal to cq_geometry for
  // mask = 2^cq_log2 - 1: the ring end is min(256, size) - tail mod min(256, size), and
  // min(256, size) - 1 is the mask's low byte.
  function automatic cq_geo_t cq_geometry_m(input logic [RingIdxW-1:0] mask,
                                            input logic [4:0] max_batch,
                                            input logic [RingIdxW-1:0] tail,
                                            input logic [RingIdxW-1:0] head);
    cq_geo_t c;
    c.free         = mask - ((tail - head) & mask);
    c.to_end       = {1'b0, ~tail[7:0] & mask[7:0]} + 9'd1;
    c.mx           = (RingIdxW'(max_batch) > mask) ? mask[4:0] : max_batch;
    c.to_end_first = c.to_end <= 9'(c.mx);
    c.geo          = c.to_end_first ? c.to_end[4:0] : c.mx;
    return c;
  endfunction

  // TCP flags byte: ACK always, PSH and FIN as given.
  function automatic logic [7:0] tcp_flags_of(input logic psh, input logic fin);
    return {3'b000, 1'b1, psh, 2'b00, fin};
  endfunction

  // The sum of sixteen 16-bit words as a balanced tree, 4 adders deep (a chain of adds
  // is kept as written by synthesis: 15 deep). Zero words cost nothing.
  function automatic logic [31:0] sum16_tree(input logic [255:0] w);
    logic [31:0] t [16];
    for (int i = 0; i < 16; i++) t[i] = 32'(w[16*i +: 16]);
    for (int l = 1; l <= 4; l++) begin
      for (int i = 0; i < 16 >> l; i++) t[i] = t[2*i] + t[2*i + 1];
    end
    return t[0];
  endfunction

  // The checksums as 32-bit sums of big-endian 16-bit words, split into the share of the
  // context (constant over a request) and that of a segment.
  // IPv4 header: version/IHL, TOS, DF, TTL/protocol, addresses, and the 40 bytes of IPv4
  // and TCP header in the total length; a segment adds its length and its ID.
  function automatic logic [31:0] ctx_ip_sum(input ctx_t c);
    return sum16_tree({16'h4500 + 16'h4000 + 16'd40, {8'd0, c.tos}, c.ttl, 8'd6,
                       c.src_ip[31:0], c.dst_ip[31:0], 144'd0});
  endfunction

  // The pseudo-header's addresses: IPv4 or IPv6.
  // An IPv4 address is the low 32 bits of the 128-bit field, so both are one tree of the
  // sixteen words with the upper six of each address zero for IPv4.
  function automatic logic [31:0] ctx_addr_sum(input ctx_t c);
    logic [95:0] up;
    up = c.ipv6 ? 96'hFFFF_FFFF_FFFF_FFFF_FFFF_FFFF : 96'd0;
    return sum16_tree({c.src_ip[127:32] & up, c.src_ip[31:0], c.dst_ip[127:32] & up,
                       c.dst_ip[31:0]});
  endfunction

  // One address's eight words (the source's, or with `dst` the destination's), its upper
  // six zero for IPv4: ctx_addr_sum in two halves, for a pipeline that adds them a cycle
  // later.
  function automatic logic [31:0] ctx_addr_half_sum(input ctx_t c, input logic dst);
    logic [95:0]  up;
    logic [127:0] a;
    up = c.ipv6 ? 96'hFFFF_FFFF_FFFF_FFFF_FFFF_FFFF : 96'd0;
    a  = dst ? c.dst_ip : c.src_ip;
    return sum16_tree({128'd0, a[127:32] & up, a[31:0]});
  endfunction

  // TCP: the pseudo-header's addresses and protocol with the 20 bytes of TCP header in the
  // TCP length, ports, ACK number, data offset, window; a segment adds its length, its
  // sequence number, its flags and its payload.
  function automatic logic [31:0] ctx_tcp_sum(input ctx_t c);
    return ctx_tcp_fields_sum(c) + ctx_addr_sum(c);
  endfunction

  // ... all of it but the addresses
  function automatic logic [31:0] ctx_tcp_fields_sum(input ctx_t c);
    return sum16_tree({16'd6 + 16'd20 + 16'h5000, c.src_port, c.dst_port, c.ack, c.window,
                       160'd0});
  endfunction

  // Ones'-complement fold of a 32-bit sum to 16 bits.
  // The end-around carry is a carry select: the halves' sum and the halves' sum plus one
  // are two carry chains side by side (the second by a 1 appended to both operands), and
  // the first's carry picks one, so the fold is one chain deep, not two.
  function automatic logic [15:0] csum_fold(input logic [31:0] s);
    logic [16:0] a;
    logic [16:0] a1;
    a  = {1'b0, s[15:0]} + {1'b0, s[31:16]};
    a1 = {s[15:0], 1'b1} + {s[31:16], 1'b1};   // a1[16:1] = the halves' sum + 1, mod 2^16
    return a[16] ? a1[16:1] : a[15:0];   // plus one cannot carry again
  endfunction

endpackage

`resetall
