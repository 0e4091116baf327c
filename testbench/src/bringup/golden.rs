//! The timing-free golden output of a scenario: every frame, byte for byte, every
//! completion entry in ring order, and the registers' values once every send has
//! completed, computed from the model's functional core alone ([`txoe_model::core`]:
//! validation, segmentation, headers, IP IDs, checksums), without the cycle-accurate
//! shell.
//!
//! What it does not predict: batch boundaries and close reasons (they depend on when
//! frames leave and when the host consumes), cycle numbers, and the counters that count
//! batches. [`crate::bringup::check`] checks those against the rules every timing must
//! keep instead.
//!
//! It assumes what the scenarios describe: host memory answers every read OKAY (no
//! `dma_error` completions), the host never writes a context while a send on it is in
//! flight, and nothing is reset mid-run.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use txoe_model::core::{build_frame, segments, validate, HeaderFields, Ipv4Id, Ipv6FragId};
use txoe_model::layout::{Context, Descriptor, Status};
use txoe_model::regs;

use crate::completions::status_name;
use crate::payload::fill_payload;
use crate::scenario::Scenario;

/// One completion entry as the golden model predicts it (the timing-free fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldenEntry {
    /// Index of the send (0-based, file order) = position in the CQ over all passes.
    pub send: u64,
    pub cookie: u64,
    /// Status name (`ok`, `bad_length`, ...), as in the completion JSON Lines.
    pub status: String,
    pub bytes: u32,
    pub segments: u16,
    /// The send asked for IMMEDIATE: its entry must end its batch.
    pub immediate: bool,
}

impl GoldenEntry {
    /// The status code of [`GoldenEntry::status`].
    pub fn status_code(&self) -> u8 {
        Status::ALL
            .iter()
            .find(|s| s.name() == self.status)
            .map_or(u8::MAX, |s| *s as u8)
    }
}

/// One expected frame: its bytes and which send and segment it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoldenFrame {
    pub send: u64,
    pub segment: u16,
    pub data: Vec<u8>,
}

/// Everything the golden model predicts for a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Golden {
    pub frames: Vec<GoldenFrame>,
    pub entries: Vec<GoldenEntry>,
    /// Register values after every send has completed, by the names of
    /// [`crate::bringup::regfile`] (`CNT_FRAMES`, `SND_NXT[3]`, ...).
    pub registers: BTreeMap<String, u32>,
    /// TX ring size and CQ size of the scenario.
    pub tx_size: u32,
    pub cq_size: u32,
    /// `min(MAX_BATCH, CQ size − 1)`: the largest batch the engine may write.
    pub max_batch: u32,
}

/// Refuse a scenario the golden model cannot predict: one with fault keys
/// (`env.resets`, `env.cq_write_error_batch`, `sends[i].fault`). What such a run sends and
/// completes depends on when the faults fire and the resets cut it; the lockstep
/// environment checks those runs (`docs/verification.md`, "Faults and resets"). The error
/// names the first few keys.
pub fn supports(sc: &Scenario) -> Result<(), String> {
    let mut keys: Vec<String> = Vec::new();
    if !sc.env.resets.is_empty() {
        keys.push("env.resets".into());
    }
    if sc.env.cq_write_error_batch.is_some() {
        keys.push("env.cq_write_error_batch".into());
    }
    keys.extend(
        sc.sends
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.fault.map(|f| format!("sends[{i}].fault ({})", f.name()))),
    );
    if keys.is_empty() {
        return Ok(());
    }
    let n = keys.len();
    let shown = keys.into_iter().take(3).collect::<Vec<_>>().join(", ");
    let more = if n > 3 { format!(" and {} more", n - 3) } else { String::new() };
    Err(format!(
        "the scenario injects faults or resets ({shown}{more}): the golden model and the board driver assume none; run it in lockstep with `txoe run` instead"
    ))
}

/// The name of connection `c`'s `snd_nxt` in register files.
pub fn snd_nxt_name(c: u16) -> String {
    format!("SND_NXT[{c}]")
}

impl Golden {
    /// Predict the outputs of a (validated) scenario.
    pub fn of(sc: &Scenario) -> Golden {
        let cfg = &sc.config;
        let mtu = cfg.mtu as u16;
        let mut ctxs: BTreeMap<u16, Context> =
            sc.connections.iter().map(|c| (c.id, c.to_context())).collect();
        let mut id4 = Ipv4Id::new(cfg.ipv4_id_start);
        let mut id6 = Ipv6FragId::new(cfg.ipv6_id_start);
        let mut frames = Vec::new();
        let mut entries = Vec::with_capacity(sc.sends.len());
        let mut payload = Vec::new();
        let (mut cnt_bytes, mut cnt_err) = (0u32, 0u32);
        for (i, s) in sc.sends.iter().enumerate() {
            let desc = Descriptor {
                buf_addr: 0,
                len: s.len,
                conn: s.conn,
                flags: s.flags(),
                cookie: sc.cookie(i),
                reserved: 0,
            };
            // An index below NUM_CONN selects a context (all zero, so invalid, when the
            // host never wrote it); one at or above has none.
            let ctx = (u32::from(s.conn) < cfg.num_conn)
                .then(|| ctxs.get(&s.conn).copied().unwrap_or_default());
            let mut entry = GoldenEntry {
                send: i as u64,
                cookie: desc.cookie,
                status: Status::Ok.name().into(),
                bytes: 0,
                segments: 0,
                immediate: s.immediate,
            };
            match validate(&desc, ctx.as_ref(), cfg.num_conn, mtu) {
                Err(st) => {
                    entry.status = st.name().into();
                    cnt_err = cnt_err.wrapping_add(1);
                }
                Ok(plan) => {
                    let ctx = ctxs.get_mut(&s.conn).expect("a valid send has a context");
                    payload.resize(s.len as usize, 0);
                    fill_payload(sc.env.seed, i as u64, &mut payload);
                    for (k, seg) in segments(s.len, plan.eff_mss).enumerate() {
                        let f = HeaderFields {
                            seq: ctx.snd_nxt,
                            len: seg.len,
                            psh: s.psh && seg.last,
                            fin: s.fin && seg.last,
                            ip_id: if ctx.ipv6 { 0 } else { id4.take() },
                            frag_id: if ctx.ipv6 && ctx.frag_hdr { id6.take() } else { 0 },
                        };
                        let at = seg.offset as usize;
                        let data = build_frame(ctx, &f, &payload[at..at + usize::from(seg.len)]);
                        cnt_bytes = cnt_bytes.wrapping_add(data.len() as u32);
                        frames.push(GoldenFrame { send: i as u64, segment: k as u16, data });
                        ctx.snd_nxt = ctx
                            .snd_nxt
                            .wrapping_add(u32::from(seg.len))
                            .wrapping_add(u32::from(f.fin));
                        entry.segments += 1;
                    }
                    entry.bytes = s.len;
                }
            }
            entries.push(entry);
        }

        let n = sc.sends.len() as u32;
        let mut registers = BTreeMap::new();
        let mut set = |name: &str, v: u32| {
            registers.insert(name.to_string(), v);
        };
        set("ID", regs::ID_VALUE);
        set("ERR", 0);
        set("IPV4_ID", u32::from(id4.peek()));
        set("IPV6_ID", id6.peek());
        set("TX_HEAD", n % cfg.tx_ring_size());
        set("CQ_TAIL", n % cfg.cq_size());
        set("CNT_FRAMES", frames.len() as u32);
        set("CNT_BYTES", cnt_bytes);
        set("CNT_CPL", n);
        set("CNT_ERR", cnt_err);
        for c in &sc.connections {
            set(&snd_nxt_name(c.id), ctxs[&c.id].snd_nxt);
        }
        Golden {
            frames,
            entries,
            registers,
            tx_size: cfg.tx_ring_size(),
            cq_size: cfg.cq_size(),
            max_batch: cfg.max_batch.min(cfg.cq_size() - 1),
        }
    }

    /// The frames as [`crate::Frame`]s for a pcap file; a frame's timestamp is its index
    /// (nanoseconds), since the golden model has no cycles.
    pub fn pcap_frames(&self) -> Vec<crate::Frame> {
        self.frames
            .iter()
            .enumerate()
            .map(|(i, f)| crate::Frame { cycle: i as u64, data: f.data.clone() })
            .collect()
    }
}

/// Write the expected completion entries as JSON Lines, one entry a line:
/// `{"send":0,"cookie":4096,"status":"ok","bytes":1460,"segments":1,"immediate":false}`.
pub fn write_entries<W: Write>(mut w: W, entries: &[GoldenEntry]) -> io::Result<()> {
    for e in entries {
        writeln!(w, "{}", serde_json::to_string(e).expect("an entry always serialises"))?;
    }
    w.flush()
}

/// [`write_entries`] to a file.
pub fn write_entries_file(path: &Path, entries: &[GoldenEntry]) -> io::Result<()> {
    write_entries(io::BufWriter::new(std::fs::File::create(path)?), entries)
}

/// The completion entries of a run's batches in the same form as [`Golden::entries`]
/// (without IMMEDIATE, which the entry does not carry): what the expected output is
/// compared with.
pub fn entries_of_batches(batches: &[crate::Batch]) -> Vec<(u64, String, u32, u16)> {
    batches
        .iter()
        .flat_map(|b| b.entries.iter())
        .map(|e| (e.cookie, status_name(e.status), e.bytes, e.segments))
        .collect()
}
