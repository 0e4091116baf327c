//! Waveform helpers: GTKWave save files (`.gtkw`) that open a dump on the signals that
//! matter, grouped by interface.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// A named group of signals, shown as a collapsible group in GTKWave.
#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    /// Full hierarchical names as they appear in the dump, e.g. `TOP.txoe_top.irq`.
    pub signals: Vec<String>,
}

/// What a save file should show.
#[derive(Clone, Debug, Default)]
pub struct View {
    pub groups: Vec<Group>,
    /// Time of the primary marker, in dump time units, if any.
    pub marker: Option<u64>,
}

/// The port groups of `txoe_top` under `scope` (e.g. `TOP.txoe_top`).
pub fn top_port_groups(scope: &str) -> Vec<Group> {
    let g = |name: &str, sigs: &[&str]| Group {
        name: name.to_string(),
        signals: sigs.iter().map(|s| format!("{scope}.{s}")).collect(),
    };
    vec![
        g("clock and reset", &["clk", "rst", "irq"]),
        g(
            "registers (s_axil)",
            &[
                "s_axil_awvalid", "s_axil_awready", "s_axil_awaddr[15:0]", "s_axil_wvalid",
                "s_axil_wready", "s_axil_wdata[31:0]", "s_axil_bvalid", "s_axil_bready",
                "s_axil_arvalid", "s_axil_arready", "s_axil_araddr[15:0]", "s_axil_rvalid",
                "s_axil_rready", "s_axil_rdata[31:0]",
            ],
        ),
        g(
            "descriptor and payload read (m_axi AR/R)",
            &[
                "m_axi_arvalid", "m_axi_arready", "m_axi_araddr[63:0]", "m_axi_arlen[7:0]",
                "m_axi_rvalid", "m_axi_rready", "m_axi_rresp[1:0]", "m_axi_rlast",
            ],
        ),
        g(
            "completion write (m_axi AW/W/B)",
            &[
                "m_axi_awvalid", "m_axi_awready", "m_axi_awaddr[63:0]", "m_axi_awlen[7:0]",
                "m_axi_wvalid", "m_axi_wready", "m_axi_wlast", "m_axi_bvalid", "m_axi_bready",
                "m_axi_bresp[1:0]",
            ],
        ),
        g(
            "stream out (m_axis_tx)",
            &["m_axis_tx_tvalid", "m_axis_tx_tready", "m_axis_tx_tlast"],
        ),
    ]
}

/// The text of a GTKWave save file for `dump`.
pub fn gtkw_text(dump: &Path, view: &View) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "[*] txoe waveform view");
    let _ = writeln!(s, "[dumpfile] \"{}\"", dump.display());
    if let Some(m) = view.marker {
        // zoom, primary marker, no named markers
        let _ = writeln!(s, "*-8.000000 {m} -1");
    }
    for g in &view.groups {
        let _ = writeln!(s, "@800200");
        let _ = writeln!(s, "-{}", g.name);
        for sig in &g.signals {
            let fmt = if sig.ends_with(']') { "@22" } else { "@28" };
            let _ = writeln!(s, "{fmt}");
            let _ = writeln!(s, "{sig}");
        }
        let _ = writeln!(s, "@1000200");
        let _ = writeln!(s, "-{}", g.name);
    }
    s
}

/// Write a GTKWave save file for `dump` to `path`.
pub fn write_gtkw(path: &Path, dump: &Path, view: &View) -> io::Result<()> {
    std::fs::write(path, gtkw_text(dump, view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_file_names_dump_groups_and_marker() {
        let view = View { groups: top_port_groups("TOP.txoe_top"), marker: Some(1234) };
        let t = gtkw_text(Path::new("run.fst"), &view);
        assert!(t.contains("[dumpfile] \"run.fst\""));
        assert!(t.contains("*-8.000000 1234 -1"));
        assert!(t.contains("TOP.txoe_top.m_axis_tx_tvalid"));
        assert!(t.contains("@22\nTOP.txoe_top.m_axi_araddr[63:0]"));
        // every group is opened and closed
        assert_eq!(t.matches("@800200").count(), t.matches("@1000200").count());
    }
}
