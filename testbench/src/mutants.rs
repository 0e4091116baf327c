//! RTL mutants: small deliberate bugs, each one text substitution in one RTL file, that the
//! lockstep regression must catch. `txoe-mutants` (`src/bin/mutants.rs`) copies `rtl/`,
//! applies one mutant to the copy, Verilates it through `TXOE_RTL_DIR` into its own target
//! directory, runs the regression scenarios with the mutant's `txoe` and records which
//! scenario killed it and on which cycle (see `docs/verification.md`).
//!
//! A substitution must match exactly once in the current RTL, or the mutant fails to apply
//! and the run stops: mutants do not rot silently when the RTL changes (a test checks
//! every one against `rtl/`).

use std::path::Path;

/// One deliberate bug: replace `from` by `to` in `file` (under the RTL directory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mutant {
    pub name: &'static str,
    /// What the bug is, in a few words.
    pub what: &'static str,
    pub file: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

/// Every mutant, in the order they are run.
pub const MUTANTS: &[Mutant] = &[
    Mutant {
        name: "ipv4-id-wrap-8001",
        what: "IPv4 ID wraps 0xFFFF -> 0x8001",
        file: "txoe_ip_id.sv",
        from: "id_d = (&id_q) ? Lowest : id_q + Width'(1);",
        to: "id_d = (&id_q) ? Lowest + Width'(Width == 16) : id_q + Width'(1);",
    },
    Mutant {
        name: "ipv4-id-wrap-0000",
        what: "IPv4 ID wraps 0xFFFF -> 0x0000",
        file: "txoe_ip_id.sv",
        from: "id_d = (&id_q) ? Lowest : id_q + Width'(1);",
        to: "id_d = (&id_q) ? ((Width == 16) ? '0 : Lowest) : id_q + Width'(1);",
    },
    Mutant {
        name: "ipv6-frag-id-wrap",
        what: "IPv6 fragment ID wraps 0xFFFFFFFF -> 0x80000001",
        file: "txoe_ip_id.sv",
        from: "id_d = (&id_q) ? Lowest : id_q + Width'(1);",
        to: "id_d = (&id_q) ? Lowest + Width'(Width == 32) : id_q + Width'(1);",
    },
    Mutant {
        name: "df-not-on-vlan",
        what: "DF not set on IPv4 frames behind an 802.1Q tag",
        file: "txoe_hdr_build.sv",
        from: "b[l3_at + 6]  = 8'h40;",
        to: "b[l3_at + 6]  = ctx_i.vlan_en ? 8'h00 : 8'h40;",
    },
    Mutant {
        name: "csum-carry-dropped",
        what: "checksum fold drops the end-around carry",
        file: "txoe_pkg.sv",
        from: "return a[16] ? a1[16:1] : a[15:0];",
        to: "return a[15:0];",
    },
    Mutant {
        name: "psh-every-segment",
        what: "PSH on every segment, not only the last",
        file: "txoe_tx_engine.sv",
        from: "assign ev_psh   = ev_last_q && desc.flags[FlagPsh];",
        to: "assign ev_psh   = desc.flags[FlagPsh];",
    },
    Mutant {
        name: "fin-no-seq",
        what: "FIN does not advance snd_nxt",
        file: "txoe_tx_engine.sv",
        from: "assign seq_next = seq_q + 32'(ev_len_q) + 32'(ev_fin);",
        to: "assign seq_next = seq_q + 32'(ev_len_q);",
    },
    Mutant {
        name: "snd-nxt-last-segment",
        what: "snd_nxt not written back on a request's last segment",
        file: "txoe_tx_engine.sv",
        from: "assign snd_wr_o       = ev_build;",
        to: "assign snd_wr_o       = ev_build && !ev_last_q;",
    },
    Mutant {
        name: "timeout-one-late",
        what: "coalescing timeout closes one cycle late",
        file: "txoe_cpl_writer.sv",
        from: "age_q + 32'd1 >= timeout_d_i;",
        to: "age_q + 32'd1 > timeout_d_i;",
    },
    Mutant {
        name: "max-batch-minus-one",
        what: "batches close at MAX_BATCH - 1 entries",
        file: "txoe_pkg.sv",
        from: "c.mx           = (RingIdxW'(max_batch) > mask) ? mask[4:0] : max_batch;",
        to: "c.mx           = (RingIdxW'(max_batch) > mask) ? mask[4:0] : (max_batch > 5'd1) ? max_batch - 5'd1 : max_batch;",
    },
    Mutant {
        name: "immediate-ignored",
        what: "IMMEDIATE does not close the batch",
        file: "txoe_cpl_writer.sv",
        from: "if (push_i) imm_d[push_at] = cpl_i.immediate;",
        to: "if (push_i) imm_d[push_at] = 1'b0 & cpl_i.immediate;",
    },
    Mutant {
        name: "cq-4k-boundary-ignored",
        what: "a batch may cross a 4 KiB boundary of a CQ over 256 entries",
        file: "txoe_pkg.sv",
        from: "c.to_end       = {1'b0, ~tail[7:0] & mask[7:0]} + 9'd1;",
        to: "c.to_end       = (mask > RingIdxW'(255)) ? 9'd256 : {1'b0, ~tail[7:0] & mask[7:0]} + 9'd1;",
    },
    Mutant {
        name: "cq-phase-stuck",
        what: "the CQ phase bit does not flip on a wrap",
        file: "txoe_cpl_writer.sv",
        from: "assign phase_after_d = (tail_end >= cq_size_next) ? !phase_q : phase_q;",
        to: "assign phase_after_d = phase_q;",
    },
    Mutant {
        name: "cplq-overflow",
        what: "the completion queue takes one request too many (lost completion when the CQ is full)",
        file: "txoe_tx_engine.sv",
        from: "&& 32'(used_q) < 32'(CplqDepth);",
        to: "&& 32'(used_q) < 32'(CplqDepth) + 32'd1;",
    },
    Mutant {
        name: "tlast-early-unaligned",
        what: "tlast one beat early when the frame does not end on a beat boundary",
        file: "txoe_tx_engine.sv",
        from: "infl_last_q  <= rd_last_q;",
        to: "infl_last_q  <= rd_last_q || (rd_w_q + WordW'(2) == s_nw_q[rd_slot_q] && s_frame_len_q[rd_slot_q][LaneW-1:0] != '0);",
    },
    Mutant {
        name: "src-port-byte-order",
        what: "TCP source port bytes swapped",
        file: "txoe_hdr_build.sv",
        from: "tcp[0]  = ctx_i.src_port[15:8];\n    tcp[1]  = ctx_i.src_port[7:0];",
        to: "tcp[0]  = ctx_i.src_port[7:0];\n    tcp[1]  = ctx_i.src_port[15:8];",
    },
    Mutant {
        name: "eff-mss-without-frag-hdr",
        what: "effective MSS forgets the IPv6 fragment header (datagram 8 bytes over the MTU)",
        file: "txoe_tx_engine.sv",
        from: "assign mtu_mss      = mtu_i - l3l4_len;",
        to: "assign mtu_mss      = mtu_i - (ctx_now.frag_hdr ? 16'd60 : l3l4_len);",
    },
    Mutant {
        name: "read-burst-crosses-4k",
        what: "payload read bursts may cross a 4 KiB boundary",
        file: "txoe_tx_engine.sv",
        from: "if (13'(burst_beats) > page_beats_q)     burst_beats = 5'(page_beats_q);",
        to: "if (1'b0 && 13'(burst_beats) > page_beats_q) burst_beats = 5'(page_beats_q);",
    },
    Mutant {
        name: "dma-error-bytes-failed-segment",
        what: "a DMA-error completion counts the bytes of the segment that failed",
        file: "txoe_tx_engine.sv",
        from: "bytes: 32'(done_q), segments: segs_q,",
        to: "bytes: 32'(done_q) + 32'(ev_len_q), segments: segs_q,",
    },
    Mutant {
        name: "dma-error-reported-ok",
        what: "a payload read error completes with status ok",
        file: "txoe_tx_engine.sv",
        from: "status: StDmaError, immediate: desc.flags[FlagImm]};",
        to: "status: StOk, immediate: desc.flags[FlagImm]};",
    },
    Mutant {
        name: "ctx-survives-reset",
        what: "a context word written before a reset is still seen by the engine after it",
        file: "txoe_csr.sv",
        from: "assign ctx_eng_rd[w]  = written_q[ctx_rd_idx_i] ? mem[ctx_rd_idx_i] : 32'd0;",
        to: "assign ctx_eng_rd[w]  = mem[ctx_rd_idx_i];",
    },
    Mutant {
        name: "ctx-read-survives-reset",
        what: "a host read returns a context word written before a reset",
        file: "txoe_csr.sv",
        from: "else if (host_wbits_q[rd_conn_q])           ctx_host_word = host_rd_q;",
        to: "else if (1'b1)                              ctx_host_word = host_rd_q;",
    },
];

/// `text` with the mutant applied, or why it does not apply (its pattern is missing or
/// not unique).
pub fn apply_to_text(m: &Mutant, text: &str) -> Result<String, String> {
    match text.matches(m.from).count() {
        1 => Ok(text.replacen(m.from, m.to, 1)),
        0 => Err(format!("mutant {}: pattern not found in {}: {:?}", m.name, m.file, m.from)),
        n => Err(format!("mutant {}: pattern found {n} times in {} (must be once): {:?}", m.name, m.file, m.from)),
    }
}

/// Apply `m` to the RTL copy in `dir` (its `m.file` rewritten in place).
pub fn apply(m: &Mutant, dir: &Path) -> Result<(), String> {
    let path = dir.join(m.file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let out = apply_to_text(m, &text)?;
    std::fs::write(&path, out).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Replace `dst` by a copy of the files directly in `src` (the RTL directory is flat; its
/// subdirectories are synthesis scripts and reports the build does not read).
pub fn copy_rtl(src: &Path, dst: &Path) -> Result<(), String> {
    let err = |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
    if dst.exists() {
        std::fs::remove_dir_all(dst).map_err(|e| err("remove", dst, e))?;
    }
    std::fs::create_dir_all(dst).map_err(|e| err("create", dst, e))?;
    for entry in std::fs::read_dir(src).map_err(|e| err("read", src, e))? {
        let entry = entry.map_err(|e| err("read", src, e))?;
        let p = entry.path();
        if p.is_file() {
            let to = dst.join(entry.file_name());
            // Write the bytes (not fs::copy) so the copy's modification time is now: the
            // build script's rerun-if-changed sees every mutant as a change.
            let bytes = std::fs::read(&p).map_err(|e| err("read", &p, e))?;
            std::fs::write(&to, bytes).map_err(|e| err("write", &to, e))?;
        }
    }
    Ok(())
}

/// How a regression run ended, read from `txoe run`'s output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// Failed: the kind (`MISMATCH`, `ENV-ERROR`, `STOPPED`, `TIMEOUT`), the cycle of
    /// detection and the first report line.
    Failed { kind: String, cycle: u64, line: String },
    /// The run could not start or its output is not understood.
    Error(String),
}

/// The verdict of `txoe run` from its exit status and standard output.
pub fn verdict(status: Option<i32>, stdout: &str) -> Verdict {
    match status {
        Some(0) => Verdict::Passed,
        Some(1) => {
            for l in stdout.lines() {
                let kind = ["MISMATCH", "ENV-ERROR", "STOPPED", "TIMEOUT"].into_iter().find(|k| l.starts_with(k));
                let Some(kind) = kind else { continue };
                let cycle = if kind == "TIMEOUT" {
                    l.strip_prefix("TIMEOUT after ").and_then(|r| r.split(' ').next())
                } else {
                    l.split(' ').find_map(|w| w.strip_prefix("cycle="))
                };
                return match cycle.and_then(|c| c.parse().ok()) {
                    Some(cycle) => Verdict::Failed { kind: kind.into(), cycle, line: l.into() },
                    None => Verdict::Error(format!("no cycle in {l:?}")),
                };
            }
            Verdict::Error(format!("exit 1 without a failure line:\n{stdout}"))
        }
        other => Verdict::Error(format!("exit status {other:?}:\n{stdout}")),
    }
}
