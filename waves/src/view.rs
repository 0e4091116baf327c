//! The view of a txoe lockstep dump: the signals of the lockstep wrapper `txoe_tb_top`
//! grouped by interface, each output of the RTL beside the model's expected value
//! (`exp_*`, in yellow), the `mismatch` flag in red, state machines, status codes and close
//! reasons by name.
//!
//! Every signal is looked up in the dump: the save file names only signals the dump holds,
//! under the exact name (and bit range) it holds them; the ones it does not hold are
//! reported in [`TxoeView::missing`] (e.g. an RTL-internal register that was renamed).

use crate::dump::Dump;
use crate::filters::Filters;
use crate::gtkw::{Color, Item, Radix, Trace, View};

/// The lockstep wrapper's scope in a dump.
pub const TB_SCOPE: &str = "TOP.txoe_tb_top";

/// Cycles shown left of the focus cycle when the view opens, and in all.
const SHOWN_BEFORE: u64 = 24;
const SHOWN: u64 = 32;
/// Window size and name-pane width the view asks for.
const SIZE: (u32, u32) = (1680, 1000);
const SIGNALS_WIDTH: u32 = 430;
const SST_WIDTH: u32 = 220;

/// How a signal is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Show {
    Bin,
    Hex,
    Dec,
    TxState,
    WrState,
    Status,
    Reason,
}

/// A signal of the view, relative to [`TB_SCOPE`]; `pair` adds its `exp_` twin after it.
#[derive(Clone, Copy, Debug)]
struct Sig {
    name: &'static str,
    show: Show,
    pair: bool,
}

const fn s(name: &'static str, show: Show) -> Sig {
    Sig { name, show, pair: false }
}
const fn p(name: &'static str, show: Show) -> Sig {
    Sig { name, show, pair: true }
}

use Show::{Bin, Dec, Hex, Reason, Status, TxState, WrState};

/// The group of the model's state beside the RTL's.
const STATE_GROUP: &str = "expected vs actual";

/// The groups, top to bottom (after clk, rst, cycle and mismatch). Labels stay short:
/// GTKWave sizes the name column to the longest label or name, leaving the rest of the
/// pane to the values at the marker.
const GROUPS: &[(&str, &[Sig])] = &[
    (
        STATE_GROUP,
        &[
            p("tx_state", TxState),
            p("wr_state", WrState),
            p("ipv4_id", Hex),
            p("ipv6_id", Hex),
            p("cplq_count", Dec),
            p("irq", Bin),
        ],
    ),
    (
        "registers",
        &[
            s("s_axil_awvalid", Bin),
            p("s_axil_awready", Bin),
            s("s_axil_awaddr", Hex),
            s("s_axil_wvalid", Bin),
            p("s_axil_wready", Bin),
            s("s_axil_wdata", Hex),
            p("s_axil_bvalid", Bin),
            s("s_axil_bready", Bin),
            s("s_axil_arvalid", Bin),
            p("s_axil_arready", Bin),
            s("s_axil_araddr", Hex),
            p("s_axil_rvalid", Bin),
            s("s_axil_rready", Bin),
            p("s_axil_rdata", Hex),
        ],
    ),
    (
        "descriptor fetch",
        &[
            s("dut.tx_tail", Dec),
            s("dut.u_tx.fetch_idx_q", Dec),
            s("dut.tx_head", Dec),
            p("m_axi_arvalid", Bin),
            s("m_axi_arready", Bin),
            p("m_axi_araddr", Hex),
            p("m_axi_arlen", Dec),
        ],
    ),
    (
        "payload read",
        &[
            s("m_axi_rvalid", Bin),
            p("m_axi_rready", Bin),
            s("m_axi_rlast", Bin),
            s("m_axi_rresp", Hex),
            s("m_axi_rdata", Hex),
            s("dut.u_tx.ar_addr_q", Hex),
            s("dut.u_tx.ar_beats_q", Dec),
            s("dut.u_tx.ar_done_q", Dec),
            s("dut.u_tx.job_cnt_q", Dec),
            s("dut.u_tx.rk_q", Dec),
            s("dut.u_tx.done_q", Dec),
            s("dut.u_tx.free_q", Dec),
        ],
    ),
    (
        "stream out",
        &[
            p("tx_frame", Dec),
            p("m_axis_tx_tvalid", Bin),
            s("m_axis_tx_tready", Bin),
            p("m_axis_tx_tlast", Bin),
            p("m_axis_tx_tkeep", Hex),
            p("m_axis_tx_tdata", Hex),
        ],
    ),
    (
        "completion write",
        &[
            p("cpl_batch", Dec),
            p("cpl_status", Status),
            p("cpl_reason", Reason),
            p("m_axi_awvalid", Bin),
            s("m_axi_awready", Bin),
            p("m_axi_awaddr", Hex),
            p("m_axi_wvalid", Bin),
            s("m_axi_wready", Bin),
            p("m_axi_wlast", Bin),
            p("m_axi_wstrb", Hex),
            p("m_axi_wdata", Hex),
            s("m_axi_bvalid", Bin),
            p("m_axi_bready", Bin),
            s("m_axi_bresp", Hex),
            s("dut.cq_head", Dec),
            s("dut.cq_tail", Dec),
        ],
    ),
];

/// The signals of a port as a mismatch report names it (`m_axis_tx`, `m_axi_w`, ...).
const PORTS: &[(&str, &[Sig])] = &[
    ("s_axil_aw", &[s("s_axil_awvalid", Bin), p("s_axil_awready", Bin), s("s_axil_awaddr", Hex)]),
    ("s_axil_w", &[s("s_axil_wvalid", Bin), p("s_axil_wready", Bin), s("s_axil_wdata", Hex)]),
    ("s_axil_b", &[p("s_axil_bvalid", Bin), s("s_axil_bready", Bin), p("s_axil_bresp", Hex)]),
    ("s_axil_ar", &[s("s_axil_arvalid", Bin), p("s_axil_arready", Bin), s("s_axil_araddr", Hex)]),
    ("s_axil_r", &[p("s_axil_rvalid", Bin), s("s_axil_rready", Bin), p("s_axil_rdata", Hex), p("s_axil_rresp", Hex)]),
    (
        "m_axi_aw",
        &[p("m_axi_awvalid", Bin), s("m_axi_awready", Bin), p("m_axi_awaddr", Hex), p("m_axi_awlen", Dec)],
    ),
    (
        "m_axi_w",
        &[
            p("cpl_batch", Dec),
            p("cpl_status", Status),
            p("cpl_reason", Reason),
            p("m_axi_wvalid", Bin),
            s("m_axi_wready", Bin),
            p("m_axi_wlast", Bin),
            p("m_axi_wstrb", Hex),
            p("m_axi_wdata", Hex),
        ],
    ),
    ("m_axi_b", &[s("m_axi_bvalid", Bin), p("m_axi_bready", Bin), s("m_axi_bresp", Hex)]),
    (
        "m_axi_ar",
        &[p("m_axi_arvalid", Bin), s("m_axi_arready", Bin), p("m_axi_araddr", Hex), p("m_axi_arlen", Dec)],
    ),
    ("m_axi_r", &[s("m_axi_rvalid", Bin), p("m_axi_rready", Bin), s("m_axi_rdata", Hex)]),
    (
        "m_axis_tx",
        &[
            p("tx_frame", Dec),
            p("m_axis_tx_tvalid", Bin),
            s("m_axis_tx_tready", Bin),
            p("m_axis_tx_tlast", Bin),
            p("m_axis_tx_tkeep", Hex),
            p("m_axis_tx_tdata", Hex),
        ],
    ),
    ("irq", &[p("irq", Bin)]),
];

/// What a mismatch view puts first: a group titled `title` with the signals of the ports
/// that differ, each beside its expected value. The other interface groups open closed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Focus {
    pub title: String,
    /// Ports as the mismatch report names them (`m_axis_tx`, `m_axi_w`, `irq`, ...).
    pub ports: Vec<String>,
}

/// The cycle a view of a passing run opens on: the first cycle a frame is on the stream
/// output (the cycles before it show the descriptor fetch, payload read and header), else
/// the dump's first cycle.
pub fn first_frame_cycle(dump: &mut Dump) -> u64 {
    let first = dump.cycle_range().map_or(0, |r| r.0);
    dump.first_cycle_with(&format!("{TB_SCOPE}.m_axis_tx_tvalid"), 1, first)
        .ok()
        .flatten()
        .unwrap_or(first)
}

/// A view resolved against a dump.
#[derive(Clone, Debug)]
pub struct TxoeView {
    pub view: View,
    /// Signals of the view the dump does not hold (relative to [`TB_SCOPE`]).
    pub missing: Vec<String>,
}

/// The view of `dump` opening on cycle `at` (shown near the right of the window, the
/// cycles before it to its left), with the primary marker on cycle `marker` if given and,
/// for a mismatch, the differing ports first (`focus`). `filters` are the translate filter
/// files the enums are shown through where the dump does not name them itself (VCD); without
/// them such enums show as numbers.
pub fn txoe_view(
    dump: &Dump,
    filters: Option<&Filters>,
    at: u64,
    marker: Option<u64>,
    focus: Option<&Focus>,
) -> TxoeView {
    let mut missing = Vec::new();
    let mut trace = |name: &str, show: Show, exp: bool| -> Option<Item> {
        let path = format!("{TB_SCOPE}.{name}");
        let Some(info) = dump.signal(&path) else {
            missing.push(name.to_string());
            return None;
        };
        let is_enum = !matches!(show, Show::Bin | Show::Hex | Show::Dec);
        let filter = filters.and_then(|f| match show {
            Show::Bin | Show::Hex | Show::Dec => None,
            Show::TxState => Some(&f.tx_state),
            Show::WrState => Some(&f.wr_state),
            Show::Status => Some(&f.status),
            Show::Reason => Some(&f.reason),
        });
        // Enums by the names an FST dump carries, else (VCD) through the filter file.
        let (radix, filter) = match filter {
            _ if is_enum && !info.enum_literals.is_empty() => (Radix::Enum, None),
            Some(f) => (Radix::Hex, Some(f.clone())),
            None => match show {
                Show::Bin => (Radix::Bin, None),
                Show::Dec => (Radix::Dec, None),
                _ => (Radix::Hex, None),
            },
        };
        let radix = if info.width == 1 { Radix::Bin } else { radix };
        let color = if exp {
            Some(Color::Yellow)
        } else if name == "mismatch" {
            Some(Color::Red)
        } else {
            None
        };
        Some(Item::Trace(Trace {
            name: info.name.clone(),
            alias: Some(name.to_string()),
            radix,
            color,
            filter,
        }))
    };

    let mut group = |sigs: &[Sig]| -> Vec<Item> {
        let mut g = Vec::new();
        for sig in sigs {
            g.extend(trace(sig.name, sig.show, false));
            if sig.pair {
                g.extend(trace(&format!("exp_{}", sig.name), sig.show, true));
            }
        }
        g
    };

    let mut items = Vec::new();
    items.extend(group(&[s("clk", Bin), s("rst", Bin), s("cycle", Dec), s("mismatch", Bin)]));
    // The differing ports, and the names of the signals they bring to the top.
    let mut focused: Vec<&str> = Vec::new();
    if let Some(f) = focus {
        let mut sigs: Vec<Sig> = Vec::new();
        for port in &f.ports {
            if let Some((_, ps)) = PORTS.iter().find(|(n, _)| n == port) {
                for sig in *ps {
                    if !sigs.iter().any(|x| x.name == sig.name) {
                        sigs.push(*sig);
                    }
                }
            }
        }
        focused = sigs.iter().map(|x| x.name).collect();
        let g = group(&sigs);
        if !g.is_empty() {
            items.push(Item::Group { name: f.title.clone(), items: g, closed: false });
        }
    }
    for (name, sigs) in GROUPS {
        let g = group(sigs);
        if g.is_empty() {
            continue;
        }
        // With a focus, an interface group opens only if it holds a differing signal.
        let closed = focus.is_some()
            && *name != STATE_GROUP
            && !sigs.iter().any(|x| focused.contains(&x.name));
        items.push(Item::Group { name: (*name).to_string(), items: g, closed });
    }

    let (first, _) = dump.cycle_range().unwrap_or((0, 0));
    let start = at.saturating_sub(SHOWN_BEFORE).max(first);
    // GTKWave draws 2^-zoom time units in 200 pixels: fit SHOWN cycles in the wave pane.
    let wave_px = f64::from(SIZE.0 - SIGNALS_WIDTH - 40);
    let shown = (dump.gtkwave_time(SHOWN) - dump.gtkwave_time(0)) as f64;
    let zoom = -(shown * 200.0 / wave_px).log2();
    let view = View {
        comments: vec![
            "txoe lockstep waveform: RTL signals beside the model's expected exp_* values (yellow)".into(),
            "cycle c starts at c ns; `mismatch` (red) is high on every cycle the outputs differ".into(),
        ],
        items,
        start: Some(dump.gtkwave_time(start)),
        zoom: Some((zoom * 100.0).round() / 100.0),
        marker: marker.map(|c| dump.gtkwave_time(c)),
        size: Some(SIZE),
        signals_width: Some(SIGNALS_WIDTH),
        sst_width: Some(SST_WIDTH),
        sst_expanded: false,
    };
    TxoeView { view, missing }
}
