// txoe_csr: AXI4-Lite register block: configuration, doorbells, connection contexts,
// sticky errors, interrupt status and counters (docs/registers.md).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_csr
  import txoe_pkg::*;
#(
  parameter int unsigned NumConn = 16
) (
  input  wire                    clk,
  input  wire                    rst,

  // AXI4-Lite slave
  input  wire                    s_axil_awvalid,
  output logic                   s_axil_awready,
  input  wire  [15:0]            s_axil_awaddr,
  input  wire                    s_axil_wvalid,
  output logic                   s_axil_wready,
  input  wire  [31:0]            s_axil_wdata,
  output logic                   s_axil_bvalid,
  input  wire                    s_axil_bready,
  output logic [1:0]             s_axil_bresp,
  input  wire                    s_axil_arvalid,
  output logic                   s_axil_arready,
  input  wire  [15:0]            s_axil_araddr,
  output logic                   s_axil_rvalid,
  input  wire                    s_axil_rready,
  output logic [31:0]            s_axil_rdata,
  output logic [1:0]             s_axil_rresp,

  // configuration
  output logic                   enable_o,
  output logic [15:0]            mtu_o,
  output logic [4:0]             max_batch_o,
  output logic [31:0]            timeout_o,
  output logic [63:0]            tx_base_o,
  output logic [3:0]             tx_log2_o,
  output logic [RingIdxW-1:0]    tx_tail_o,
  output logic [63:0]            cq_base_o,
  output logic [3:0]             cq_log2_o,
  output logic [RingIdxW-1:0]    cq_head_o,
  // the values MAX_BATCH, TIMEOUT, CQ_LOG2 and CQ_HEAD hold in the next cycle (their reset
  // values while rst is high): the completion writer keeps its close decision's inputs in
  // registers computed from them
  output logic [4:0]             max_batch_d_o,
  output logic [31:0]            timeout_d_o,
  output logic [RingIdxW-1:0]    cq_mask_d_o,     // 2^(next cycle's CQ_LOG2) - 1, from registers
  output logic [RingIdxW-1:0]    cq_head_d_o,

  // IPv4 ID and IPv6 fragment ID counters: host loads, current values
  output logic                   id4_load_o,
  output logic [15:0]            id4_load_value_o,
  input  wire  [15:0]            id4_i,
  output logic                   id6_load_o,
  output logic [31:0]            id6_load_value_o,
  input  wire  [31:0]            id6_i,

  // connection contexts: engine read port (two cycles of latency, below) and snd_nxt write port
  input  wire  [$clog2(NumConn)-1:0] ctx_rd_idx_i,
  output logic [CtxWords*32-1:0] ctx_rd_words_o,
  input  wire                    snd_wr_i,
  input  wire  [$clog2(NumConn)-1:0] snd_wr_idx_i,
  input  wire  [31:0]            snd_wr_value_i,

  // engine state and events
  input  wire                    busy_i,
  input  wire                    halted_i,
  input  wire  [RingIdxW-1:0]    tx_head_i,
  input  wire  [RingIdxW-1:0]    cq_tail_i,
  input  wire                    err_desc_fetch_i,
  input  wire                    err_cpl_write_i,
  input  wire                    batch_done_i,
  input  wire  [4:0]             batch_entries_i,
  input  wire  [4:0]             batch_errors_i,
  input  reason_e                batch_reason_i,
  input  wire                    tx_beat_i,
  input  wire                    tx_last_i,
  input  wire  [6:0]             tx_beat_bytes_i,

  output logic                   irq_o
);

  localparam int unsigned ConnW = $clog2(NumConn);

  // ---------------------------------------------------------------- state
  logic        bvalid_q;
  logic        rvalid_q;
  logic [31:0] rdata_q;
  logic              rd_pend_q;   // a read taken in the previous cycle: answered at this edge
  logic              rd_reg_q;    // its address, decoded: a register (in the first 256 bytes)
  logic [5:0]        rd_idx_q;    //   and its word index; or
  logic              rd_ctx_q;    //   a context word: its connection, and whether the
  logic [ConnW-1:0]  rd_conn_q;   //   word is snd_nxt (the others are read from the host
  logic              rd_snd_q;    //   copy at the taking edge, below)

  logic        enable_q;
  logic [3:0]  err_q;
  logic [1:0]  irq_status_q;
  logic [1:0]  irq_mask_q;
  logic [15:0] mtu_q;
  logic [4:0]  max_batch_q;
  logic [31:0] timeout_q;
  logic [31:0] tx_base_lo_q, tx_base_hi_q, cq_base_lo_q, cq_base_hi_q;
  logic [3:0]  tx_log2_q, cq_log2_q;
  logic [RingIdxW-1:0] cq_mask_q;     // 2^cq_log2_q - 1
  logic [RingIdxW-1:0] tx_tail_q, cq_head_q;
  logic [31:0] cnt_frames_q, cnt_bytes_q, cnt_cpl_q, cnt_batch_q, cnt_err_q;
  logic [31:0] cnt_close_q [4];   // batches per close reason, indexed by reason_e
  // The connection contexts (see "context storage" below): snd_nxt, which the engine
  // writes too, in flip-flops; the other words in distributed RAM, each with a written bit.
  logic [31:0] snd_q [NumConn];
  // The engine's snd_nxt write, registered and applied to snd_q a cycle later, so that it
  // reaches the 16 words' enables and inputs from flip-flops. Until then every reader of
  // snd_nxt sees it through snd_now(): snd_q with this write on top.
  logic              snd_wr_q;
  logic [ConnW-1:0]  snd_wr_idx_q;
  logic [31:0]       snd_wr_value_q;
  // Each connection's snd_nxt write enables, decoded a cycle ahead: the engine's (with
  // snd_wr_q) and the host's (taken with the write, applied with wr_pend_q).
  logic [NumConn-1:0] snd_wr_oh_q, wsnd_oh_q;
  function automatic logic [31:0] snd_now(input logic [ConnW-1:0] c);
    return (snd_wr_q && snd_wr_idx_q == c) ? snd_wr_value_q : snd_q[c];
  endfunction
  logic [ConnW-1:0] ctx_rd_idx_q;      // the context the engine's read port holds (its output)

  // ---------------------------------------------------------------- AXI4-Lite handshakes
  // A write is taken (AW and W together) in one cycle, decoded and checked then, and takes
  // effect at the next cycle's edge (wr_pend_q), when bvalid rises: so the next values of
  // the registers the close decision reads come from registers, not through the decode.
  // A read is taken in one cycle, its address decoded and registered (rd_pend_q), and
  // answered from the next cycle's register values, rvalid rising a cycle after that: so
  // the read multiplexer over every register and context word is selected by registers,
  // not by the port.
  logic wr_fire, rd_fire;
  logic wr_pend_q;
  assign wr_fire        = s_axil_awvalid && s_axil_wvalid && !bvalid_q && !wr_pend_q;
  assign rd_fire        = s_axil_arvalid && !rvalid_q && !rd_pend_q;
  assign s_axil_awready = wr_fire;
  assign s_axil_wready  = wr_fire;
  assign s_axil_bvalid  = bvalid_q;
  assign s_axil_bresp   = 2'b00;
  assign s_axil_arready = !rvalid_q && !rd_pend_q;
  assign s_axil_rvalid  = rvalid_q;
  assign s_axil_rdata   = rdata_q;
  assign s_axil_rresp   = 2'b00;

  // ---------------------------------------------------------------- address decode
  logic [15:0] waddr, raddr;
  assign waddr = {s_axil_awaddr[15:2], 2'b00};
  assign raddr = {s_axil_araddr[15:2], 2'b00};

  function automatic logic ctx_hit(input logic [15:0] a);
    return a >= CtxBase && a < CtxBase + 16'(NumConn << CtxStrideLog2)
           && a[CtxStrideLog2-1:2] < 5'(CtxWords);
  endfunction

  logic              w_ctx, r_ctx;
  logic [ConnW-1:0]  w_conn, r_conn;
  logic [4:0]        w_word, r_word;
  assign w_ctx  = ctx_hit(waddr);
  assign r_ctx  = ctx_hit(raddr);
  assign w_conn = ConnW'((waddr - CtxBase) >> CtxStrideLog2);
  assign r_conn = ConnW'((raddr - CtxBase) >> CtxStrideLog2);
  assign w_word = waddr[CtxStrideLog2-1:2];
  assign r_word = raddr[CtxStrideLog2-1:2];

  logic [RingIdxW:0] tx_size;
  assign tx_size = (RingIdxW+1)'(1) << tx_log2_q;

  // ---------------------------------------------------------------- host writes
  // Decoded and checked in the cycle the write is taken (from the ports), applied one
  // cycle later from the registers below.
  logic [3:0] wr_bad;                  // the ERR bits the write sets: its value is out of range
  always_comb begin
    wr_bad = 4'd0;
    if (!w_ctx) begin
      unique case (waddr)
        RegMtu:      wr_bad[ErrConfig]   = s_axil_wdata < 32'(MtuMin) || s_axil_wdata > 32'(MtuMax);
        RegMaxBatch: wr_bad[ErrConfig]   = s_axil_wdata < 32'd1 || s_axil_wdata > 32'd16;
        RegTxLog2,
        RegCqLog2:   wr_bad[ErrConfig]   = s_axil_wdata < 32'd1 || s_axil_wdata > 32'(RingLog2Max);
        RegTxTail:   wr_bad[ErrDoorbell] = s_axil_wdata >= 32'(tx_size);
        default: ;
      endcase
    end
  end

  logic [15:0]         wa_q;           // the pending write: word address, data, decode
  logic [31:0]         wd_q;
  logic [3:0]          wbad_q;
  logic                wctx_q;
  logic [ConnW-1:0]    wconn_q;
  logic [4:0]          wword_q;
  logic                ap_max_batch_q, ap_timeout_q, ap_cq_log2_q, ap_cq_head_q;
  logic [RingIdxW-1:0] cq_head_w_q;    // CQ_HEAD's value, modulo the CQ size
  logic [RingIdxW-1:0] cq_mask_w_q;    // 2^value - 1, taken when the write is to CQ_LOG2
  always_ff @(posedge clk) begin
    if (rst) begin
      wr_pend_q      <= 1'b0;
      ap_max_batch_q <= 1'b0;
      ap_timeout_q   <= 1'b0;
      ap_cq_log2_q   <= 1'b0;
      ap_cq_head_q   <= 1'b0;
    end else begin
      wr_pend_q      <= wr_fire;
      ap_max_batch_q <= wr_fire && !w_ctx && waddr == RegMaxBatch && !wr_bad[ErrConfig];
      ap_timeout_q   <= wr_fire && !w_ctx && waddr == RegTimeout;
      ap_cq_log2_q   <= wr_fire && !w_ctx && waddr == RegCqLog2 && !wr_bad[ErrConfig];
      ap_cq_head_q   <= wr_fire && !w_ctx && waddr == RegCqHead;
    end
    if (wr_fire) begin
      wa_q        <= waddr;
      wd_q        <= s_axil_wdata;
      wbad_q      <= wr_bad;
      wctx_q      <= w_ctx;
      wconn_q     <= w_conn;
      wword_q     <= w_word;
      for (int c = 0; c < NumConn; c++) wsnd_oh_q[c] <= w_ctx && w_word == 5'(CtxWSndNxt) && w_conn == ConnW'(c);
      cq_head_w_q <= s_axil_wdata[RingIdxW-1:0] & cq_mask_q;
      cq_mask_w_q <= ring_mask(s_axil_wdata[3:0]);
    end
    if (rd_fire) begin
      rd_reg_q  <= raddr[15:8] == 8'd0;
      rd_idx_q  <= raddr[7:2];
      rd_ctx_q  <= r_ctx;
      rd_conn_q <= r_conn;
      rd_snd_q  <= r_word == 5'(CtxWSndNxt);
    end
  end

  // ---------------------------------------------------------------- context storage
  // The host alone writes every context word but snd_nxt, one word per write, so each word
  // position is a memory of NumConn entries with one write port (the pending host write)
  // and two asynchronous read ports: the engine's, named by ctx_rd_idx_i, and the host
  // reads', by rd_conn_q. Synthesis maps each to distributed RAM (TRELLIS_DPR16X4 on ECP5,
  // one copy per read port) in place of flip-flops and two wide multiplexers across them.
  // RAM has no reset: a written bit per entry, cleared by reset, makes an entry read as 0
  // until it is written, as the flip-flops did. snd_nxt, which the engine writes as well,
  // stays in flip-flops (snd_q).
  logic [31:0] ctx_eng_rd  [CtxWords];   // context ctx_rd_idx_i, as it is in this cycle
  logic [31:0] ctx_chk     [CtxWords];   // context ctx_rd_idx_q (the read port's check)
  logic [NumConn-1:0] ctx_written [32];  // word w's written bits, per connection (0 past the last)
  for (genvar w = 0; w < CtxWords; w++) begin : g_ctx
    if (w == CtxWSndNxt) begin : g_snd
      assign ctx_eng_rd[w]  = snd_now(ctx_rd_idx_i);
      assign ctx_chk[w]     = snd_now(ctx_rd_idx_q);
      assign ctx_written[w] = '1;
    end else begin : g_ram
      logic [31:0]        mem [NumConn];
      logic [NumConn-1:0] written_q;
      logic               we;
      assign we = wr_pend_q && wctx_q && wword_q == 5'(w);
      always_ff @(posedge clk) begin
        if (we) mem[wconn_q] <= wd_q;
      end
      always_ff @(posedge clk) begin
        if (rst)     written_q <= '0;
        else if (we) written_q[wconn_q] <= 1'b1;
      end
      assign ctx_eng_rd[w]  = written_q[ctx_rd_idx_i] ? mem[ctx_rd_idx_i] : 32'd0;
      assign ctx_chk[w]     = written_q[ctx_rd_idx_q] ? mem[ctx_rd_idx_q] : 32'd0;
      assign ctx_written[w] = written_q;
    end
  end
  for (genvar w = CtxWords; w < 32; w++) begin : g_no_word
    assign ctx_written[w] = '0;
  end

  // The host's reads of context words read a copy of the contexts but snd_nxt, kept for
  // them alone: one memory of NumConn x 32 words addressed {connection, word}, written with
  // the context memories above and read at the edge that takes the read (a registered
  // read: one DP16KD on ECP5). The answer's cycle then starts from a register, where a
  // read port per word, a connection number fanned out to all of them and a 19-to-1
  // multiplexer stood. A write landing at that same edge is not in the memory's answer; it
  // is taken from the pending write instead (host_hit_q; wd_q still holds it in the answer's
  // cycle, since no write is taken while one is pending), and so is the written
  // bit it sets: the word's written bits are taken at that edge too (host_wbits_q), and the
  // connection's picked in the answer's cycle. snd_nxt is read from its flip-flops then.
  logic [31:0] host_mem [NumConn * 32];
  logic [31:0] host_rd_q;                // the read's word of context rd_conn_q, as the memory held it
  logic        host_hit_q;               // the read's word was written at the edge that took it
  logic        host_we;
  assign host_we = wr_pend_q && wctx_q && wword_q != 5'(CtxWSndNxt);
  always_ff @(posedge clk) begin
    if (host_we) host_mem[{wconn_q, wword_q}] <= wd_q;
  end
  always_ff @(posedge clk) begin
    if (rd_fire) host_rd_q <= host_mem[{r_conn, r_word}];
  end
  logic [NumConn-1:0] host_wbits_q;      // the read word's written bits, per connection
  logic               host_snd_hit_q;    // the engine's pending snd_nxt write is the read's
  always_ff @(posedge clk) begin
    if (rd_fire) begin
      host_hit_q   <= host_we && wconn_q == r_conn && wword_q == r_word;
      host_wbits_q <= ctx_written[r_word];
      // the engine's snd_nxt write of this cycle is snd_wr_*_q in the answer's cycle
      host_snd_hit_q <= snd_wr_i && snd_wr_idx_i == r_conn;
    end
  end
  logic [31:0] ctx_host_word;            // the read's word of context rd_conn_q, as it is in this cycle
  always_comb begin
    if (rd_snd_q)                               ctx_host_word = host_snd_hit_q ? snd_wr_value_q
                                                                               : snd_q[rd_conn_q];
    else if (host_hit_q)                        ctx_host_word = wd_q;
    else if (host_wbits_q[rd_conn_q])           ctx_host_word = host_rd_q;
    else                                        ctx_host_word = 32'd0;
  end

  // ---------------------------------------------------------------- read mux
  // Every register is in the first 256 bytes, so a register read selects from a table of
  // 64 words by the registered word index, and a context read takes ctx_host_word (above):
  // a multiplexer tree from registers and a few gates, then the choice between them.
  if (RegCntCloseRingEnd >= 16'h100 || CtxBase < 16'h100) begin : gen_bad_map
    $fatal(1, "Error: the register read table needs the registers below 0x100 and the contexts above (instance %m)");
  end
  logic [31:0] reg_tab [64];             // register word i, 0 where no register is
  always_comb begin
    reg_tab = '{default: 32'd0};
    reg_tab[RegId[7:2]]        = IdValue;
    reg_tab[RegCtrl[7:2]]      = {31'd0, enable_q};
    reg_tab[RegStatus[7:2]]    = {30'd0, halted_i, busy_i};
    reg_tab[RegErr[7:2]]       = {28'd0, err_q};
    reg_tab[RegIrqStatus[7:2]] = {30'd0, irq_status_q};
    reg_tab[RegIrqMask[7:2]]   = {30'd0, irq_mask_q};
    reg_tab[RegMtu[7:2]]       = {16'd0, mtu_q};
    reg_tab[RegMaxBatch[7:2]]  = {27'd0, max_batch_q};
    reg_tab[RegTimeout[7:2]]   = timeout_q;
    reg_tab[RegIpv4Id[7:2]]    = {16'd0, id4_i};
    reg_tab[RegIpv6Id[7:2]]    = id6_i;
    reg_tab[RegTxBaseLo[7:2]]  = tx_base_lo_q;
    reg_tab[RegTxBaseHi[7:2]]  = tx_base_hi_q;
    reg_tab[RegTxLog2[7:2]]    = {28'd0, tx_log2_q};
    reg_tab[RegTxTail[7:2]]    = 32'(tx_tail_q);
    reg_tab[RegTxHead[7:2]]    = 32'(tx_head_i);
    reg_tab[RegCqBaseLo[7:2]]  = cq_base_lo_q;
    reg_tab[RegCqBaseHi[7:2]]  = cq_base_hi_q;
    reg_tab[RegCqLog2[7:2]]    = {28'd0, cq_log2_q};
    reg_tab[RegCqHead[7:2]]    = 32'(cq_head_q);
    reg_tab[RegCqTail[7:2]]    = 32'(cq_tail_i);
    reg_tab[RegCntFrames[7:2]] = cnt_frames_q;
    reg_tab[RegCntBytes[7:2]]  = cnt_bytes_q;
    reg_tab[RegCntCpl[7:2]]    = cnt_cpl_q;
    reg_tab[RegCntBatch[7:2]]  = cnt_batch_q;
    reg_tab[RegCntErr[7:2]]    = cnt_err_q;
    reg_tab[RegCntCloseMaxBatch[7:2]]  = cnt_close_q[ReasonMaxBatch];
    reg_tab[RegCntCloseTimeout[7:2]]   = cnt_close_q[ReasonTimeout];
    reg_tab[RegCntCloseImmediate[7:2]] = cnt_close_q[ReasonImmediate];
    reg_tab[RegCntCloseRingEnd[7:2]]   = cnt_close_q[ReasonRingEnd];
  end

  logic [31:0] rd_value;
  assign rd_value = rd_ctx_q ? ctx_host_word : rd_reg_q ? reg_tab[rd_idx_q] : 32'd0;

  logic [3:0] err_set;
  logic [3:0] err_clr;
  logic [1:0] irq_clr;
  logic       wr_reg;
  assign wr_reg = wr_pend_q && !wctx_q;

  always_comb begin
    err_set = wr_reg ? wbad_q : 4'd0;
    err_set[ErrDescFetch] = err_desc_fetch_i;
    err_set[ErrCplWrite]  = err_cpl_write_i;
    err_clr = (wr_reg && wa_q == RegErr) ? wd_q[3:0] : 4'd0;
    irq_clr = (wr_reg && wa_q == RegIrqStatus) ? wd_q[1:0] : 2'd0;
  end

  // next values of the registers the close decision reads
  logic [4:0]          max_batch_d;
  logic [31:0]         timeout_d;
  logic [3:0]          cq_log2_d;
  logic [RingIdxW-1:0] cq_head_d;
  assign max_batch_d = ap_max_batch_q ? wd_q[4:0] : max_batch_q;
  assign timeout_d   = ap_timeout_q ? wd_q : timeout_q;
  assign cq_log2_d   = ap_cq_log2_q ? wd_q[3:0] : cq_log2_q;
  logic [RingIdxW-1:0] cq_mask_d;
  assign cq_mask_d   = ap_cq_log2_q ? cq_mask_w_q : cq_mask_q;
  assign cq_head_d   = ap_cq_head_q ? cq_head_w_q : cq_head_q;
  assign max_batch_d_o = rst ? MaxBatchReset : max_batch_d;
  assign timeout_d_o   = rst ? TimeoutReset : timeout_d;
  assign cq_mask_d_o   = rst ? ring_mask(RingLog2Reset) : cq_mask_d;
  assign cq_head_d_o   = rst ? '0 : cq_head_d;

  assign id4_load_o       = wr_reg && wa_q == RegIpv4Id;
  assign id4_load_value_o = wd_q[15:0];
  assign id6_load_o       = wr_reg && wa_q == RegIpv6Id;
  assign id6_load_value_o = wd_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      bvalid_q     <= 1'b0;
      rvalid_q     <= 1'b0;
      rdata_q      <= 32'd0;
      rd_pend_q    <= 1'b0;
      enable_q     <= 1'b0;
      err_q        <= 4'd0;
      irq_status_q <= 2'd0;
      irq_mask_q   <= 2'd0;
      mtu_q        <= MtuReset;
      max_batch_q  <= MaxBatchReset;
      timeout_q    <= TimeoutReset;
      tx_base_lo_q <= 32'd0;
      tx_base_hi_q <= 32'd0;
      cq_base_lo_q <= 32'd0;
      cq_base_hi_q <= 32'd0;
      tx_log2_q    <= RingLog2Reset;
      cq_log2_q    <= RingLog2Reset;
      cq_mask_q    <= ring_mask(RingLog2Reset);
      tx_tail_q    <= '0;
      cq_head_q    <= '0;
      cnt_frames_q <= 32'd0;
      cnt_bytes_q  <= 32'd0;
      cnt_cpl_q    <= 32'd0;
      cnt_batch_q  <= 32'd0;
      cnt_err_q    <= 32'd0;
      for (int r = 0; r < 4; r++) cnt_close_q[r] <= 32'd0;
      for (int c = 0; c < NumConn; c++) snd_q[c] <= 32'd0;
    end else begin
      // AXI4-Lite response channels
      if (wr_pend_q) begin
        bvalid_q <= 1'b1;
      end else if (s_axil_bready) begin
        bvalid_q <= 1'b0;
      end
      rd_pend_q <= rd_fire;
      if (rd_pend_q) begin
        rvalid_q <= 1'b1;
        rdata_q  <= rd_value;
      end else if (s_axil_rready) begin
        rvalid_q <= 1'b0;
      end

      // registers
      if (wr_reg) begin
        unique case (wa_q)
          RegCtrl:     enable_q   <= wd_q[0];
          RegIrqMask:  irq_mask_q <= wd_q[1:0];
          RegMtu:      if (!wbad_q[ErrConfig]) mtu_q <= wd_q[15:0];
          RegTxBaseLo: tx_base_lo_q <= {wd_q[31:12], 12'd0};
          RegTxBaseHi: tx_base_hi_q <= wd_q;
          RegTxLog2:   if (!wbad_q[ErrConfig]) tx_log2_q <= wd_q[3:0];
          RegTxTail:   if (!wbad_q[ErrDoorbell]) tx_tail_q <= wd_q[RingIdxW-1:0];
          RegCqBaseLo: cq_base_lo_q <= {wd_q[31:12], 12'd0};
          RegCqBaseHi: cq_base_hi_q <= wd_q;
          default: ;
        endcase
      end
      max_batch_q <= max_batch_d;
      timeout_q   <= timeout_d;
      cq_log2_q   <= cq_log2_d;
      cq_mask_q   <= cq_mask_d;
      cq_head_q   <= cq_head_d;
      // The engine's write lands a cycle late, from snd_wr_*_q (below), and before a host
      // write of the same edge: the order in which they were made.
      for (int c = 0; c < NumConn; c++) begin
        if (snd_wr_oh_q[c])              snd_q[c] <= snd_wr_value_q;
        if (wr_pend_q && wsnd_oh_q[c])   snd_q[c] <= wd_q;
      end

      err_q        <= (err_q & ~err_clr) | err_set;
      irq_status_q <= irq_status_q & ~irq_clr;
      irq_status_q[IrqErr] <= (irq_status_q[IrqErr] && !irq_clr[IrqErr]) || |err_set;
      irq_status_q[IrqCpl] <= (irq_status_q[IrqCpl] && !irq_clr[IrqCpl]) || batch_done_i;

      // counters
      if (tx_beat_i) begin
        cnt_bytes_q <= cnt_bytes_q + 32'(tx_beat_bytes_i);
        if (tx_last_i) cnt_frames_q <= cnt_frames_q + 32'd1;
      end
      if (batch_done_i) begin
        cnt_batch_q <= cnt_batch_q + 32'd1;
        cnt_cpl_q   <= cnt_cpl_q + 32'(batch_entries_i);
        cnt_err_q   <= cnt_err_q + 32'(batch_errors_i);
        cnt_close_q[batch_reason_i] <= cnt_close_q[batch_reason_i] + 32'd1;
      end
    end
  end

  // ---------------------------------------------------------------- outputs
  assign enable_o  = enable_q;
  assign mtu_o     = mtu_q;
  assign max_batch_o = max_batch_q;
  assign timeout_o = timeout_q;
  assign tx_base_o = {tx_base_hi_q, tx_base_lo_q};
  assign tx_log2_o = tx_log2_q;
  assign tx_tail_o = tx_tail_q;
  assign cq_base_o = {cq_base_hi_q, cq_base_lo_q};
  assign cq_log2_o = cq_log2_q;
  assign cq_head_o = cq_head_q;
  assign irq_o     = |(irq_status_q & ~irq_mask_q);

  // registers are word addressed
  logic unused_ok;
  assign unused_ok = ^{s_axil_awaddr[1:0], s_axil_araddr[1:0]};

  // The engine's context read port, in two stages: ctx_rd_idx_i names the context to
  // read, and two cycles later ctx_rd_words_o is that context as it is then. At the first
  // edge the words are read (ctx_raw_q), with the writes landing at that edge noted beside
  // them (e1_hit_q, h1_hit_q: their values are still in snd_wr_value_q and in wd_q,
  // wword_q at the second edge, since no host write is taken while one is pending); at the
  // second, those and the writes landing then are merged in,
  // in the order they were made (the engine's snd_nxt write wins a same-cycle host write).
  // So the context memories' read, addressed by the engine's connection number, ends in a
  // register, and the engine's validation starts from flip-flops.
  logic [CtxWords*32-1:0] ctx_raw_q;
  logic [ConnW-1:0]       ctx_idx1_q;          // the context ctx_raw_q holds
  logic                   e1_hit_q, h1_hit_q;  // the engine's / the host's write landed then
  logic [CtxWords*32-1:0] ctx_rd_q;
  always_ff @(posedge clk) begin
    snd_wr_q       <= snd_wr_i && !rst;
    for (int c = 0; c < NumConn; c++) snd_wr_oh_q[c] <= snd_wr_i && !rst && snd_wr_idx_i == ConnW'(c);
    snd_wr_idx_q   <= snd_wr_idx_i;
    snd_wr_value_q <= snd_wr_value_i;
    // first stage
    ctx_idx1_q <= ctx_rd_idx_i;
    if (rst) begin
      ctx_raw_q <= '0;
      e1_hit_q  <= 1'b0;
      h1_hit_q  <= 1'b0;
    end else begin
      for (int w = 0; w < CtxWords; w++) ctx_raw_q[w*32 +: 32] <= ctx_eng_rd[w];
      e1_hit_q <= snd_wr_i && snd_wr_idx_i == ctx_rd_idx_i;
      h1_hit_q <= wr_pend_q && wctx_q && wconn_q == ctx_rd_idx_i;
    end
    // second stage
    ctx_rd_idx_q <= ctx_idx1_q;
    if (rst) begin
      ctx_rd_q <= '0;
    end else begin
      for (int w = 0; w < CtxWords; w++) begin
        if (snd_wr_i && snd_wr_idx_i == ctx_idx1_q && w == CtxWSndNxt)
          ctx_rd_q[w*32 +: 32] <= snd_wr_value_i;
        else if (wr_pend_q && wctx_q && wconn_q == ctx_idx1_q && 5'(w) == wword_q)
          ctx_rd_q[w*32 +: 32] <= wd_q;
        else if (e1_hit_q && w == CtxWSndNxt)
          ctx_rd_q[w*32 +: 32] <= snd_wr_value_q;
        else if (h1_hit_q && 5'(w) == wword_q)
          ctx_rd_q[w*32 +: 32] <= wd_q;
        else
          ctx_rd_q[w*32 +: 32] <= ctx_raw_q[w*32 +: 32];
      end
    end
  end
  assign ctx_rd_words_o = ctx_rd_q;

`ifndef SYNTHESIS
  // the CQ mask the completion writer's geometry uses is that of CQ_LOG2, in every cycle
  always_ff @(posedge clk) begin
    if (!rst) begin
      CqMask_A: assert (cq_mask_q == ring_mask(cq_log2_q) && cq_mask_d == ring_mask(cq_log2_d))
        else $error("CQ mask %h for CQ_LOG2 %0d (instance %m)", cq_mask_q, cq_log2_q);
    end
  end

  // the read port holds the context it names, in every cycle after reset
  logic ctx_rd_init_q;
  always_ff @(posedge clk) begin
    ctx_rd_init_q <= rst || ctx_rd_init_q;
    if (!rst && ctx_rd_init_q) begin
      for (int w = 0; w < CtxWords; w++) begin
        CtxReadPort_A: assert (ctx_rd_q[w*32 +: 32] == ctx_chk[w])
          else $error("context read port: word %0d of context %0d is stale (instance %m)",
                      w, ctx_rd_idx_q);
      end
    end
  end
`endif


  // Formal properties (rtl/formal/csr.sby, docs/formal.md) //
`ifdef FORMAL
  // What a rejected register write leaves, for any sequence of AXI4-Lite writes:
  //   csr_mtu / csr_max_batch / csr_tx_log2 / csr_cq_log2 : a value outside the documented
  //     range leaves the register as it was and sets ERR.CONFIG; a value inside it is taken
  //   csr_doorbell : a TX_TAIL >= TX ring size leaves TX_TAIL and sets ERR.DOORBELL
  //   csr_ranges   : so the engine only ever sees MTU 576..9000, MAX_BATCH 1..16, ring
  //     log2 1..12 and 4 KiB aligned ring bases
  // The write is followed from the ports: taken in cycle c (fv_hs_*), applied at the edge
  // of c + 1, checked in c + 2 against the registers of c + 1.
  logic        fv_init_q = 1'b1;
  logic        fv_hs_q, fv_wr_q, fv_rst_q;
  logic [15:0] fv_hs_addr_q, fv_addr_q;
  logic [31:0] fv_hs_data_q, fv_data_q;
  logic [15:0] fv_mtu_q;
  logic [4:0]  fv_max_batch_q;
  logic [3:0]  fv_tx_log2_q, fv_cq_log2_q;
  logic [RingIdxW-1:0] fv_tx_tail_q;
  logic [RingIdxW:0]   fv_tx_size_q;
  logic [3:0]  fv_err_q;
  always_ff @(posedge clk) begin
    fv_init_q      <= 1'b0;
    fv_rst_q       <= rst;
    fv_hs_q        <= wr_fire && !w_ctx && !rst;
    fv_hs_addr_q   <= waddr;
    fv_hs_data_q   <= s_axil_wdata;
    fv_wr_q        <= fv_hs_q && !rst;
    fv_addr_q      <= fv_hs_addr_q;
    fv_data_q      <= fv_hs_data_q;
    fv_mtu_q       <= mtu_q;
    fv_max_batch_q <= max_batch_q;
    fv_tx_log2_q   <= tx_log2_q;
    fv_cq_log2_q   <= cq_log2_q;
    fv_tx_tail_q   <= tx_tail_q;
    fv_tx_size_q   <= tx_size;
    fv_err_q       <= err_q;
  end
  always_comb if (fv_init_q) assume (rst);

  logic fv_chk;
  assign fv_chk = !fv_init_q && !fv_rst_q && !rst;

  always_ff @(posedge clk) begin
    if (!fv_init_q && !rst) begin
      csr_ranges: assert (mtu_q >= MtuMin && mtu_q <= MtuMax
                          && max_batch_q >= 5'd1 && max_batch_q <= 5'd16
                          && tx_log2_q >= 4'd1 && 32'(tx_log2_q) <= RingLog2Max
                          && cq_log2_q >= 4'd1 && 32'(cq_log2_q) <= RingLog2Max
                          && tx_base_lo_q[11:0] == 12'd0 && cq_base_lo_q[11:0] == 12'd0);
    end
    if (fv_chk && fv_wr_q) begin
      if (fv_addr_q == RegMtu) begin
        if (fv_data_q < 32'(MtuMin) || fv_data_q > 32'(MtuMax)) begin
          csr_mtu: assert (mtu_q == fv_mtu_q && err_q[ErrConfig]);
        end else begin
          csr_mtu_ok: assert (32'(mtu_q) == fv_data_q);
        end
      end
      if (fv_addr_q == RegMaxBatch) begin
        if (fv_data_q < 32'd1 || fv_data_q > 32'd16) begin
          csr_max_batch: assert (max_batch_q == fv_max_batch_q && err_q[ErrConfig]);
        end else begin
          csr_max_batch_ok: assert (32'(max_batch_q) == fv_data_q);
        end
      end
      if (fv_addr_q == RegTxLog2) begin
        if (fv_data_q < 32'd1 || fv_data_q > 32'(RingLog2Max)) begin
          csr_tx_log2: assert (tx_log2_q == fv_tx_log2_q && err_q[ErrConfig]);
        end else begin
          csr_tx_log2_ok: assert (32'(tx_log2_q) == fv_data_q);
        end
      end
      if (fv_addr_q == RegCqLog2) begin
        if (fv_data_q < 32'd1 || fv_data_q > 32'(RingLog2Max)) begin
          csr_cq_log2: assert (cq_log2_q == fv_cq_log2_q && err_q[ErrConfig]);
        end else begin
          csr_cq_log2_ok: assert (32'(cq_log2_q) == fv_data_q);
        end
      end
      if (fv_addr_q == RegTxTail) begin
        if (fv_data_q >= 32'(fv_tx_size_q)) begin
          csr_doorbell: assert (tx_tail_q == fv_tx_tail_q && err_q[ErrDoorbell]);
        end else begin
          csr_doorbell_ok: assert (32'(tx_tail_q) == fv_data_q);
        end
      end
    end
  end
`endif

endmodule

`resetall
