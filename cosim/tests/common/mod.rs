//! Helpers shared by the cosim tests: scripted devices, a trivial environment, frames.
#![allow(dead_code)]

use etherparse::{PacketBuilder, VlanId};
use txoe_cosim::{EnvError, Environment};
use txoe_model::ports::{set_bus_byte, strobe_mask, Device, Inputs, Outputs};

/// A device that replays one `Outputs` per cycle, then idles.
pub struct Script {
    pub outs: Vec<Outputs>,
    pub data_w: u32,
    pub at: usize,
}

impl Script {
    pub fn new(data_w: u32, outs: Vec<Outputs>) -> Self {
        Script { outs, data_w, at: 0 }
    }
}

impl Device for Script {
    fn cycle(&mut self, _inp: &Inputs) -> Outputs {
        let o = self.outs.get(self.at).copied().unwrap_or_default();
        self.at += 1;
        o
    }
    fn data_width(&self) -> u32 {
        self.data_w
    }
}

/// Always ready; finished after `cycles` cycles; optionally fails at one cycle.
pub struct ReadyEnv {
    pub cycles: u64,
    pub seen: u64,
    pub fail_at: Option<u64>,
}

impl ReadyEnv {
    pub fn new(cycles: u64) -> Self {
        ReadyEnv { cycles, seen: 0, fail_at: None }
    }
}

impl Environment for ReadyEnv {
    fn drive(&mut self, _cycle: u64) -> Inputs {
        Inputs {
            m_axis_tx_tready: true,
            m_axi_awready: true,
            m_axi_wready: true,
            m_axi_arready: true,
            ..Inputs::default()
        }
    }
    fn observe(&mut self, cycle: u64, _inp: &Inputs, _out: &Outputs) -> Result<(), EnvError> {
        self.seen = cycle + 1;
        if self.fail_at == Some(cycle) {
            return Err(EnvError {
                cycle,
                port: "scoreboard".into(),
                message: "lost completion".into(),
            });
        }
        Ok(())
    }
    fn finished(&self) -> bool {
        self.seen >= self.cycles
    }
    fn progress(&self) -> String {
        format!("seen {}", self.seen)
    }
}

/// An Ethernet/IPv4/TCP frame (optionally VLAN-tagged) with IPv4 ID `id` and `payload`
/// bytes of payload.
pub fn ipv4_frame(vlan: Option<u16>, id: u16, payload: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..payload).map(|i| (i * 7 + 3) as u8).collect();
    let eth = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
    let mut frame = Vec::new();
    match vlan {
        Some(v) => eth
            .single_vlan(VlanId::try_new(v).unwrap())
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(40000, 80, 1000, 65535)
            .write(&mut frame, &data)
            .unwrap(),
        None => eth
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(40000, 80, 1000, 65535)
            .write(&mut frame, &data)
            .unwrap(),
    }
    let l3 = if vlan.is_some() { 18 } else { 14 };
    frame[l3 + 4..l3 + 6].copy_from_slice(&id.to_be_bytes());
    frame
}

/// The `m_axis_tx` beats of `frame` at `data_w` bits, one per cycle.
pub fn tx_beats(frame: &[u8], data_w: u32) -> Vec<Outputs> {
    let lanes = (data_w / 8) as usize;
    let chunks: Vec<&[u8]> = frame.chunks(lanes).collect();
    let n = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut o = Outputs {
                m_axis_tx_tvalid: true,
                m_axis_tx_tlast: i + 1 == n,
                ..Outputs::default()
            };
            o.m_axis_tx_tkeep = strobe_mask(c.len());
            for (j, &b) in c.iter().enumerate() {
                set_bus_byte(&mut o.m_axis_tx_tdata, j, b);
            }
            o
        })
        .collect()
}

/// One completion write: an AW cycle, then the W beats of `bytes` at `data_w` bits.
pub fn cpl_write(addr: u64, bytes: &[u8], data_w: u32) -> Vec<Outputs> {
    let lanes = (data_w / 8) as usize;
    let chunks: Vec<&[u8]> = bytes.chunks(lanes).collect();
    let n = chunks.len();
    let mut v = vec![Outputs {
        m_axi_awvalid: true,
        m_axi_awaddr: addr,
        m_axi_awlen: (n - 1) as u8,
        m_axi_awsize: lanes.trailing_zeros() as u8,
        m_axi_awburst: 1,
        ..Outputs::default()
    }];
    for (i, c) in chunks.into_iter().enumerate() {
        let mut o = Outputs { m_axi_wvalid: true, m_axi_wlast: i + 1 == n, ..Outputs::default() };
        o.m_axi_wstrb = strobe_mask(c.len());
        for (j, &b) in c.iter().enumerate() {
            set_bus_byte(&mut o.m_axi_wdata, j, b);
        }
        v.push(o);
    }
    v
}
