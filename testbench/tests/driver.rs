//! The host driver over its two buses: the simulated board (the model, and the Verilated
//! RTL) with `txoe check` on what it captured, and memory-mapped files with the test
//! playing the device.

use std::path::Path;

use txoe_model::layout::{CloseReason, CompletionEntry, Descriptor, Status, CPL_BYTES, DESC_BYTES};
use txoe_model::ports::Device;
use txoe_model::regs;
use txoe_testbench::bringup::check::check;
use txoe_testbench::bringup::golden::Golden;
use txoe_testbench::driver::mmap::{MmapBus, Window};
use txoe_testbench::driver::sim::SimBus;
use txoe_testbench::driver::{bring_up_writes, Bus, Driver, Layout, Post, Setup};
use txoe_testbench::payload::payload;
use txoe_testbench::scenario::{GenKnobs, Scenario};
use txoe_testbench::engine_for;

/// Drive `sc` on `dev` through the driver and check what it captured.
fn drive_and_check(dev: Box<dyn Device>, sc: &Scenario) {
    let bus = SimBus::new(dev, sc).expect("reset");
    let mut d = Driver::for_scenario(bus, sc, Layout { base: 0x0010_0000 });
    d.bring_up().expect("bring-up");
    d.run_sends(sc, 100_000).expect("every send completes");
    assert!(d.wait_idle().expect("STATUS reads"), "the engine is still busy");
    let regs = d.read_back(sc.connections.iter().map(|c| c.id)).expect("read-back");
    let frames: Vec<Vec<u8>> = d.bus.take_frames().into_iter().map(|f| f.data).collect();
    let dump = d.cq_dump();
    assert_eq!(dump.entries.len(), sc.sends.len());
    let r = check(sc, &frames, &dump, Some(&regs));
    assert!(r.passed(), "{r}");
    assert_eq!(r.entries_matched, sc.sends.len());
    assert_eq!(r.registers_checked, 17 + sc.connections.len(), "{r}");
    assert!(r.registers_unchecked.is_empty(), "{r}");
}

fn random(seed: u64) -> Scenario {
    let mut sc = Scenario::random(
        seed,
        &GenKnobs { sends: 60, max_len: 3000, multi_segment: true, bad_percent: 15, ..GenKnobs::default() },
    );
    sc.config.cq_log2 = 3;
    sc.config.tx_ring_log2 = 3;
    sc
}

#[test]
fn the_driver_on_the_simulated_model_passes_the_check() {
    drive_and_check(Box::new(engine_for(&Scenario::builtin_default())), &Scenario::builtin_default());
    for seed in [1, 2, 3] {
        let sc = random(seed);
        drive_and_check(Box::new(engine_for(&sc)), &sc);
    }
}

#[test]
fn the_driver_on_the_simulated_rtl_passes_the_check() {
    for seed in [4, 5] {
        let sc = random(seed);
        if txoe_cosim::rtl_or_skip(sc.config.data_width).is_none() {
            return;
        }
        let rtl = txoe_cosim::Rtl::new(sc.config.data_width, None).expect("RTL");
        drive_and_check(Box::new(rtl), &sc);
    }
}

/// A register file and a host-memory file, mapped as a board's BAR and DMA buffer.
struct Files {
    _dir: tempfile::TempDir,
    regs: std::path::PathBuf,
    mem: std::path::PathBuf,
}

const MEM_BASE: u64 = 0x8000_0000;
const REGS_LEN: usize = 0x10000;

fn files(sc: &Scenario) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let regs_path = dir.path().join("resource0");
    let mem_path = dir.path().join("udmabuf0");
    let mut r = vec![0u8; REGS_LEN];
    r[0..4].copy_from_slice(&regs::ID_VALUE.to_le_bytes());
    std::fs::write(&regs_path, r).unwrap();
    // stale bytes in the CQ area: the driver must zero them
    let mut m = vec![0xFFu8; Layout::bytes_needed(sc.config.tx_ring_log2) as usize];
    m[..0x2_0000].fill(0);
    std::fs::write(&mem_path, m).unwrap();
    Files { _dir: dir, regs: regs_path, mem: mem_path }
}

fn bus(f: &Files, sc: &Scenario) -> MmapBus {
    let regs = Window::open(&f.regs, 0, REGS_LEN).unwrap();
    let mem = Window::open(&f.mem, 0, Layout::bytes_needed(sc.config.tx_ring_log2) as usize).unwrap();
    MmapBus::new(regs, mem, MEM_BASE)
}

/// The device's side: read the file as it is now.
fn reg(f: &Files, addr: u32) -> u32 {
    let b = std::fs::read(&f.regs).unwrap();
    u32::from_le_bytes(b[addr as usize..addr as usize + 4].try_into().unwrap())
}

fn mem(f: &Files, addr: u64, len: usize) -> Vec<u8> {
    let b = std::fs::read(&f.mem).unwrap();
    let o = (addr - MEM_BASE) as usize;
    b[o..o + len].to_vec()
}

/// The device writes `data` at bus address `addr` (through its own mapping of the file).
fn device_write(path: &Path, off: usize, data: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(off as u64)).unwrap();
    f.write_all(data).unwrap();
}

#[test]
fn the_driver_over_mapped_files_programs_posts_consumes_and_reads_back() {
    let sc = Scenario::builtin_default();
    let f = files(&sc);
    let layout = Layout { base: MEM_BASE };
    let mut d = Driver::for_scenario(bus(&f, &sc), &sc, layout);
    d.bring_up().unwrap();

    // Every register of the sequence holds its value (CTRL last: enable).
    let setup = Setup::from_scenario(&sc, layout.tx_base(), layout.cq_base());
    for (addr, v) in bring_up_writes(&setup) {
        assert_eq!(reg(&f, addr), v, "register {addr:#x}");
    }
    assert_eq!(reg(&f, regs::CTRL), regs::CTRL_ENABLE);
    assert_eq!(reg(&f, regs::CQ_BASE_LO) as u64 | (u64::from(reg(&f, regs::CQ_BASE_HI)) << 32), MEM_BASE + 0x2_0000);
    assert!(mem(&f, layout.cq_base(), 16 * 16).iter().all(|&b| b == 0), "the CQ was zeroed");

    // Three sends: payload in the slot of their ring index, descriptors, the doorbell.
    for i in 0..3 {
        let s = &sc.sends[i];
        let p = Post { len: s.len, conn: s.conn, flags: s.flags(), cookie: sc.cookie(i), buf_offset: s.buf_offset };
        d.post(&p, &payload(sc.env.seed, i as u64, s.len as usize)).unwrap();
    }
    assert_eq!(reg(&f, regs::TX_TAIL), 3);
    for i in 0..3u32 {
        let s = &sc.sends[i as usize];
        let raw: [u8; DESC_BYTES] = mem(&f, setup.desc_addr(i), DESC_BYTES).try_into().unwrap();
        let desc = Descriptor::decode(&raw);
        let buf = layout.buf(i) + u64::from(s.buf_offset);
        assert_eq!(desc, Descriptor { buf_addr: buf, len: s.len, conn: s.conn, flags: s.flags(), cookie: sc.cookie(i as usize), reserved: 0 });
        assert_eq!(mem(&f, buf, s.len as usize), payload(sc.env.seed, u64::from(i), s.len as usize));
    }

    // Nothing written yet: nothing consumed.
    assert!(d.poll().unwrap().is_empty());

    // The device completes the first two in one batch (phase 1, end of batch on the second).
    let g = Golden::of(&sc);
    let cq_off = (layout.cq_base() - MEM_BASE) as usize;
    for (k, e) in g.entries.iter().take(2).enumerate() {
        let entry = CompletionEntry {
            cookie: e.cookie,
            bytes: e.bytes,
            segments: e.segments,
            status: Status::Ok as u8,
            phase: true,
            end_of_batch: k == 1,
            reason: CloseReason::Timeout,
        };
        device_write(&f.mem, cq_off + k * CPL_BYTES, &entry.encode());
    }
    let got = d.poll().unwrap();
    assert_eq!(got.iter().map(|c| c.entry.cookie).collect::<Vec<_>>(), [0x1000, 0x1001]);
    assert_eq!((got[0].index, got[1].index), (0, 1));
    assert!(got[1].entry.end_of_batch);
    assert_eq!(reg(&f, regs::CQ_HEAD), 2, "CQ_HEAD written after consuming");
    assert_eq!(d.in_flight(), 1);
    assert_eq!(d.cq_dump().entries.len(), 2);

    // Read-back: what the device's registers hold.
    device_write(&f.regs, regs::CNT_FRAMES as usize, &2u32.to_le_bytes());
    device_write(&f.regs, regs::IPV4_ID as usize, &0xFFFCu32.to_le_bytes());
    let rf = d.read_back([0u16, 1]).unwrap();
    assert_eq!(rf.values["CNT_FRAMES"], 2);
    assert_eq!(rf.values["IPV4_ID"], 0xFFFC);
    assert_eq!(rf.values["SND_NXT[1]"], reg(&f, regs::ctx_addr(1, 14)));
}

#[test]
fn the_mapped_bus_refuses_accesses_outside_its_windows() {
    let sc = Scenario::builtin_default();
    let f = files(&sc);
    let mut b = bus(&f, &sc);
    let e = b.reg_read(0x2).unwrap_err();
    assert!(e.0.contains("not 4-byte aligned"), "{e}");
    let e = b.reg_write(REGS_LEN as u32, 1).unwrap_err();
    assert!(e.0.contains("outside") && e.0.contains("resource0"), "{e}");
    let mut buf = [0u8; 4];
    let e = b.mem_read(MEM_BASE - 1, &mut buf).unwrap_err();
    assert!(e.0.contains("below the memory window"), "{e}");
    let len = Layout::bytes_needed(sc.config.tx_ring_log2);
    let e = b.mem_write(MEM_BASE + len - 2, &buf).unwrap_err();
    assert!(e.0.contains("outside") && e.0.contains("udmabuf0"), "{e}");
    assert_eq!(b.reg_read(regs::ID).unwrap(), regs::ID_VALUE);

    // A device whose ID is wrong is refused before anything is written.
    device_write(&f.regs, 0, &0u32.to_le_bytes());
    let mut d = Driver::for_scenario(bus(&f, &sc), &sc, Layout { base: MEM_BASE });
    let e = d.bring_up().unwrap_err();
    assert!(e.0.contains("ID reads 0x00000000, expected 0x54584f45"), "{e}");
    assert_eq!(reg(&f, regs::CTRL), 0);
    let e = Window::open(&f.regs.with_extension("missing"), 0, 16).err().unwrap();
    assert!(e.0.contains("cannot open"), "{e}");
}

#[test]
fn txoe_drive_on_files_refuses_a_wrong_device_and_an_unaligned_buffer() {
    let sc = Scenario::builtin_default();
    let f = files(&sc);
    let drive = |bus_addr: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_txoe"))
            .args(["drive", "--regs"])
            .arg(&f.regs)
            .arg("--mem")
            .arg(&f.mem)
            .args(["--mem-bus-addr", bus_addr, "--max-idle-polls", "3"])
            .output()
            .unwrap()
    };
    let o = drive("0x80000800");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not 4 KiB aligned"));
    device_write(&f.regs, 0, &0xDEAD_BEEFu32.to_le_bytes());
    let o = drive("0x80000000");
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("ID reads 0xdeadbeef, expected 0x54584f45"), "{e}");
    // With the right ID the file takes the bring-up, then nothing completes: the driver
    // gives up after its idle polls instead of hanging.
    device_write(&f.regs, 0, &regs::ID_VALUE.to_le_bytes());
    let o = drive("0x80000000");
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("no completion after 3 polls: 0 of 12 sends completed"), "{e}");
    assert_eq!(reg(&f, regs::CTRL), regs::CTRL_ENABLE);
    assert_eq!(reg(&f, regs::TX_TAIL), 12 % 16);
}

/// What a host that injects faults and resets needs from the shared driver: the same
/// programming sequence resumed with other `snd_nxt` and ID starts, descriptors with a
/// reserved bit, a cursor and batch rules that start over, the `TX_TAIL` read and
/// counters since the last reset.
#[test]
fn driver_pieces_for_faults_and_resets() {
    use std::collections::BTreeMap;
    use txoe_testbench::driver::cq::BatchRules;
    use txoe_testbench::driver::{
        encode_descriptor, encode_descriptor_with, read_back_list, read_back_list_with, Counters, Reserved,
        RESERVED_FLAG,
    };

    let sc = Scenario::builtin_default();
    let setup = Setup::from_scenario(&sc, 0x1000, 0x2000);
    let c0 = sc.connections[0].id;
    let snd = BTreeMap::from([(c0, 0xdead_beef)]);
    let resumed = setup.resumed(&snd, 0x1234, 0x8765_4321);
    let (a, b) = (bring_up_writes(&setup), bring_up_writes(&resumed));
    assert_eq!(a.len(), b.len());
    let snd_addr = regs::ctx_addr(u32::from(c0), txoe_model::layout::CTX_W_SND_NXT as u32);
    let differ: Vec<(u32, u32)> = a.iter().zip(&b).filter(|(x, y)| x != y).map(|(_, y)| *y).collect();
    assert_eq!(differ, [(snd_addr, 0xdead_beef), (regs::IPV4_ID, 0x1234), (regs::IPV6_ID, 0x8765_4321)]);
    assert_eq!(b.last(), Some(&(regs::CTRL, regs::CTRL_ENABLE)), "enable still comes last");

    let d = |r| Descriptor::decode(&encode_descriptor_with(0x40, 100, 1, 0x2, 7, r));
    assert_eq!(encode_descriptor_with(0x40, 100, 1, 0x2, 7, Reserved::Zero), encode_descriptor(0x40, 100, 1, 0x2, 7));
    assert_eq!((d(Reserved::Flag).flags, d(Reserved::Flag).reserved), (0x2 | RESERVED_FLAG, 0));
    assert_eq!((d(Reserved::Word).flags, d(Reserved::Word).reserved), (0x2, 1));

    let mut cur = setup.cq_cursor();
    for _ in 0..setup.cq_size() + 3 {
        cur.advance();
    }
    assert_eq!((cur.index(), cur.phase()), (3, false));
    cur.reset();
    assert_eq!(cur, setup.cq_cursor());

    let mut rules = BatchRules::new(0x2000, 16, 8);
    let entry = |end| CompletionEntry {
        cookie: 1,
        bytes: 0,
        segments: 0,
        status: 0,
        phase: true,
        end_of_batch: end,
        reason: CloseReason::Timeout,
    };
    assert!(rules.push(0, &entry(true), false).unwrap().is_some());
    assert!(rules.push(1, &CompletionEntry { reason: CloseReason::MaxBatch, ..entry(false) }, false).unwrap().is_none());
    let e = rules.reset().unwrap_err();
    assert_eq!(e.rule, "batch.open");
    assert!(e.message.contains("a reset found 1 completions without end_of_batch"), "{e}");
    assert_eq!(rules.open(), 0, "the open batch is dropped");
    assert!(rules.reset().is_ok());
    assert!(rules.push(0, &entry(true), false).unwrap().is_some(), "a batch starts again at slot 0");
    assert_eq!(rules.closed, 2);

    let plain = read_back_list([0u16]);
    let with = read_back_list_with([0u16], true);
    assert_eq!(with.len(), plain.len() + 1);
    let at = with.iter().position(|(n, _)| n == "TX_HEAD").unwrap();
    assert_eq!(with[at + 1], ("TX_TAIL".to_string(), regs::TX_TAIL));
    assert_eq!(read_back_list_with([0u16], false), plain);

    let base = Counters { frames: 5, bytes: 3000, completions: 4, batches: 2, ok: 3, by_reason: [1, 1, 0, 0] };
    let now = Counters { frames: 9, bytes: 5000, completions: 10, batches: 5, ok: 7, by_reason: [2, 2, 1, 0] };
    let c = now.since(&base);
    assert_eq!(c, Counters { frames: 4, bytes: 2000, completions: 6, batches: 3, ok: 4, by_reason: [1, 1, 1, 0] });
    assert_eq!(c.expected("CNT_ERR").unwrap().0, 2);
    assert_eq!(c.expected("CNT_CLOSE_IMMEDIATE").unwrap().0, 1);
    assert_eq!(c.expected("CNT_BYTES").unwrap().0, 2000);
    assert_eq!(c.expected("TX_HEAD"), None);
}
