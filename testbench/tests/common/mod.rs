//! Helpers shared by the lockstep test files.
#![allow(dead_code)]

use etherparse::{NetHeaders, PacketHeaders, TransportHeader};
use txoe_cosim::{rtl_or_skip, EnvError, Environment};
use txoe_model::ports::{Inputs, Outputs};
use txoe_testbench::axi_check::AxiChecker;
use txoe_testbench::coverage::CoverageMonitor;
use txoe_testbench::scenario::Scenario;
use txoe_testbench::{run_scenario, Outcome, RunConfig};

/// Run `sc` in lockstep and require it to pass; `None` when this build has no RTL for its
/// width (see `txoe_cosim::rtl_or_skip`: a skip outside CI, a failure under `CI=true`).
///
/// With `TXOE_WAVES=fst` (or `vcd`) the whole run is dumped to
/// `$TXOE_WAVES_DIR/<test name>.fst` (default directory: `<tmp>/txoe-waves`) with a save
/// file beside it; on a mismatch the window around it is dumped there either way, and the
/// failure message says how to open it.
pub fn lockstep(sc: &Scenario) -> Option<Outcome> {
    rtl_or_skip(sc.config.data_width)?;
    let mut cfg = RunConfig { progress_every: 0, ..RunConfig::default() };
    let name = std::thread::current().name().unwrap_or("lockstep").to_string();
    match txoe_testbench::waveform::trace_from_env(&name) {
        Some((path, txoe_cosim::TraceFormat::Vcd)) => cfg.vcd = Some(path),
        Some((path, txoe_cosim::TraceFormat::Fst)) => cfg.fst = Some(path),
        None => {}
    }
    if cfg.fst.is_some() || cfg.vcd.is_some() {
        std::fs::create_dir_all(txoe_testbench::waveform::default_dir()).expect("waveform directory");
    }
    let out = run_scenario(sc, &cfg).expect("scenario runs");
    if out.waveform.is_some() {
        eprintln!("{}", txoe_testbench::report::waveform_text(&out).trim_end());
    }
    assert!(
        out.passed(),
        "lockstep run failed:\n{}\n{}\n{}",
        out.report,
        out.progress,
        txoe_testbench::report::waveform_text(&out)
    );
    assert_eq!(out.report.mismatches, 0);
    assert!(out.report.lockstep, "the run compared against the RTL");
    assert_eq!(out.report.headers_diffed, out.frames.len() as u64, "every frame was diffed");
    Some(out)
}

/// What the tests look at in one frame, parsed with etherparse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub len: usize,
    pub vlan: bool,
    pub ipv4_id: Option<u16>,
    pub frag_id: Option<u32>,
    /// Bytes of the IP datagram (what the MTU bounds).
    pub ip_len: usize,
    pub seq: u32,
    pub psh: bool,
    pub fin: bool,
    pub payload: usize,
}

pub fn parse(frame: &[u8]) -> Seen {
    let p = PacketHeaders::from_ethernet_slice(frame).expect("etherparse parses the frame");
    let (ipv4_id, frag_id, ip_len) = match &p.net {
        Some(NetHeaders::Ipv4(h, _)) => {
            assert!(h.dont_fragment && !h.more_fragments && h.fragment_offset.value() == 0);
            (Some(h.identification), None, usize::from(h.total_len))
        }
        Some(NetHeaders::Ipv6(h, ext)) => {
            let frag = ext.fragment.as_ref().map(|f| {
                assert!(!f.more_fragments && f.fragment_offset.value() == 0, "never a fragment");
                f.identification
            });
            (None, frag, 40 + usize::from(h.payload_length))
        }
        _ => panic!("no IP header"),
    };
    let Some(TransportHeader::Tcp(tcp)) = &p.transport else { panic!("no TCP header") };
    Seen {
        len: frame.len(),
        vlan: p.vlan.is_some(),
        ipv4_id,
        frag_id,
        ip_len,
        seq: tcp.sequence_number,
        psh: tcp.psh,
        fin: tcp.fin,
        payload: p.payload.slice().len(),
    }
}

/// The frames of a run, parsed.
pub fn seen(out: &Outcome) -> Vec<Seen> {
    out.frames.iter().map(|f| parse(&f.data)).collect()
}

/// The next ID of an upper-half counter.
pub fn next_id16(id: u16) -> u16 {
    if id == 0xFFFF { 0x8000 } else { id + 1 }
}

pub fn next_id32(id: u32) -> u32 {
    if id == 0xFFFF_FFFF { 0x8000_0000 } else { id + 1 }
}

/// Write `frames` to a pcap and have tshark check every IPv4 header checksum and every
/// TCP checksum (IPv4 and IPv6). Returns the number of frames tshark read, or `None` when
/// tshark is missing outside CI (a skip, said on stderr).
pub fn tshark_validates(frames: &[txoe_testbench::Frame]) -> Option<usize> {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("frames.pcap");
    txoe_testbench::pcap::write_pcap_file(&pcap, frames).unwrap();
    let out = std::process::Command::new("tshark")
        .args(["-r", pcap.to_str().unwrap(), "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"])
        .args(["-T", "fields", "-E", "occurrence=f", "-e", "ip.version", "-e", "ipv6.version"])
        .args(["-e", "ip.flags.df", "-e", "ip.checksum.status", "-e", "tcp.checksum.status"])
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            assert!(!txoe_cosim::ci_requires_tools(), "tshark not found in CI: {e}");
            eprintln!("SKIPPED: tshark not found ({e}); run scripts/setup.sh");
            return None;
        }
    };
    assert!(out.status.success(), "tshark failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), frames.len(), "tshark read every frame:\n{text}");
    for l in &lines {
        let f: Vec<&str> = l.split('\t').collect();
        // tshark status 1 = "Good"; DF printed as 1 or True depending on the version
        if f[0] == "4" {
            assert!(f[2] == "1" || f[2] == "True", "IPv4 without DF: {l}");
            assert_eq!(f[3], "1", "IPv4 header checksum not good: {l}");
        } else {
            assert_eq!(f[1], "6", "neither IPv4 nor IPv6: {l}");
        }
        assert_eq!(f[4], "1", "TCP checksum not good: {l}");
    }
    Some(lines.len())
}

/// Register accesses in lockstep, one at a time, with the protocol checkers of both sides
/// and the coverage monitor. Each op is `(address, Some(data), _)` for a write or
/// `(address, None, expected)` for a read; a read of another value is recorded in
/// `errors`.
pub struct RegScript {
    pub ops: Vec<(u32, Option<u32>, u32)>,
    pub at: usize,
    addr_done: bool,
    data_done: bool,
    pub errors: Vec<String>,
    pub checkers: [AxiChecker; 2],
    pub coverage: CoverageMonitor,
}

impl RegScript {
    pub fn new(data_w: u32, ops: Vec<(u32, Option<u32>, u32)>) -> Self {
        RegScript {
            ops,
            at: 0,
            addr_done: false,
            data_done: false,
            errors: Vec::new(),
            checkers: [AxiChecker::new(data_w), AxiChecker::new(data_w)],
            coverage: CoverageMonitor::new(data_w),
        }
    }
}

impl Environment for RegScript {
    fn drive(&mut self, cycle: u64) -> Inputs {
        let mut inp = Inputs {
            rst: cycle < 4,
            ..Inputs::default()
        };
        if inp.rst || self.at == self.ops.len() {
            return inp;
        }
        match self.ops[self.at] {
            (addr, Some(data), _) => {
                inp.s_axil_awvalid = !self.addr_done;
                inp.s_axil_wvalid = !self.data_done;
                inp.s_axil_awaddr = addr;
                inp.s_axil_wdata = data;
                inp.s_axil_wstrb = 0xF;
                inp.s_axil_bready = true;
            }
            (addr, None, _) => {
                inp.s_axil_arvalid = !self.addr_done;
                inp.s_axil_araddr = addr;
                inp.s_axil_rready = true;
            }
        }
        inp
    }

    fn check_outputs(
        &mut self,
        cycle: u64,
        inp: &Inputs,
        device: &str,
        out: &Outputs,
    ) -> Result<(), EnvError> {
        let c = &mut self.checkers[usize::from(device == "rtl")];
        c.check(cycle, inp, out).map_err(|v| v.to_env_error(device))
    }

    fn observe(&mut self, cycle: u64, inp: &Inputs, out: &Outputs) -> Result<(), EnvError> {
        self.coverage.observe(cycle, inp, out);
        if inp.rst || self.at == self.ops.len() {
            return Ok(());
        }
        let (addr, write, want) = self.ops[self.at];
        self.addr_done |= (inp.s_axil_awvalid && out.s_axil_awready)
            || (inp.s_axil_arvalid && out.s_axil_arready);
        self.data_done |= inp.s_axil_wvalid && out.s_axil_wready;
        let done = match write {
            Some(_) => out.s_axil_bvalid,
            None => {
                if out.s_axil_rvalid && out.s_axil_rdata != want {
                    self.errors.push(format!(
                        "{addr:#05x} reads {:#x}, expected {want:#x}",
                        out.s_axil_rdata
                    ));
                }
                out.s_axil_rvalid
            }
        };
        if done {
            self.at += 1;
            self.addr_done = false;
            self.data_done = false;
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        self.at == self.ops.len()
    }

    fn progress(&self) -> String {
        format!("op {} of {}", self.at, self.ops.len())
    }
}
