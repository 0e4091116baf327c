//! Scenario files: every key of the SPEC example, defaults, malformed files rejected with
//! the field named, values the engine must reject accepted.

use std::net::IpAddr;

use txoe_model::layout::Status;
use txoe_testbench::scenario::{expected_rejection, GenKnobs, IpAddress, MacAddr, Scenario};

const SPEC_EXAMPLE: &str = r#"{
  "config": { "data_width": 64, "mtu": 1500, "max_batch": 8, "timeout_cycles": 200,
              "ipv4_id_start": 65530, "ipv6_id_start": 4294967290,
              "tx_ring_log2": 4, "cq_log2": 4 },
  "connections": [
    { "id": 0, "ipv6": false, "frag_header": false, "vlan": null,
      "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02",
      "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2", "src_port": 40000, "dst_port": 80,
      "seq": 1000, "ack": 5000, "window": 65535, "mss": 1460, "ttl": 64, "tos": 0,
      "flow_label": 0 } ],
  "sends": [ { "conn": 0, "len": 3000, "psh": true, "fin": false, "immediate": false,
               "cookie": 1, "at_cycle": 10, "buf_offset": 3 } ],
  "env": { "seed": 1, "mem_latency": [2, 20], "tready_percent": 80,
           "cq_consumer_lag": 100 }
}"#;

/// A small valid scenario to mutate: two connections (IPv4 and IPv6), three sends.
fn base() -> serde_json::Value {
    serde_json::json!({
        "connections": [
            { "id": 0, "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02",
              "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2", "src_port": 1, "dst_port": 2 },
            { "id": 1, "ipv6": true, "frag_header": true, "vlan": 7,
              "src_mac": "02:00:00:00:00:03", "dst_mac": "02:00:00:00:00:04",
              "src_ip": "fd00::1", "dst_ip": "fd00::2", "src_port": 3, "dst_port": 4,
              "flow_label": 1048575 }
        ],
        "sends": [ { "conn": 0, "len": 10 }, { "conn": 1, "len": 20 }, { "conn": 0, "len": 30 } ]
    })
}

fn parse(v: &serde_json::Value) -> Result<Scenario, String> {
    Scenario::from_json_str(&v.to_string()).map_err(|e| e.to_string())
}

/// Apply `edit` to the base scenario and expect a rejection naming `path` whose message
/// contains `needle`.
fn rejects(edit: impl FnOnce(&mut serde_json::Value), path: &str, needle: &str) {
    let mut v = base();
    edit(&mut v);
    let text = v.to_string();
    let err = Scenario::from_json_str(&text).expect_err(&format!("accepted: {text}"));
    assert_eq!(err.path, path, "error: {err}");
    assert!(
        err.to_string().contains(needle),
        "error {err:?} lacks {needle:?}"
    );
    assert!(err.to_string().starts_with(path), "{err}");
}

#[test]
fn spec_example_is_accepted_with_every_key() {
    let sc = Scenario::from_json_str(SPEC_EXAMPLE).expect("the SPEC example parses");
    let c = &sc.config;
    assert_eq!(
        (
            c.data_width,
            c.mtu,
            c.max_batch,
            c.timeout_cycles,
            c.ipv4_id_start,
            c.ipv6_id_start
        ),
        (64, 1500, 8, 200, 65530, 4294967290)
    );
    assert_eq!((c.tx_ring_log2, c.cq_log2, c.num_conn), (4, 4, 16));
    let k = &sc.connections[0];
    assert_eq!(
        (k.id, k.ipv6, k.frag_header, k.vlan),
        (0, false, false, None)
    );
    assert_eq!(k.src_mac, MacAddr(0x0200_0000_0001));
    assert_eq!(k.dst_mac, MacAddr(0x0200_0000_0002));
    assert_eq!(k.src_ip, IpAddress(IpAddr::from([10, 0, 0, 1])));
    assert_eq!(k.dst_ip, IpAddress(IpAddr::from([10, 0, 0, 2])));
    assert_eq!(
        (k.src_port, k.dst_port, k.seq, k.ack),
        (40000, 80, 1000, 5000)
    );
    assert_eq!(
        (k.window, k.mss, k.ttl, k.tos, k.flow_label),
        (65535, 1460, 64, 0, 0)
    );
    let s = &sc.sends[0];
    assert_eq!(
        (s.conn, s.len, s.psh, s.fin, s.immediate),
        (0, 3000, true, false, false)
    );
    assert_eq!((s.cookie, s.at_cycle, s.buf_offset), (Some(1), 10, 3));
    let e = &sc.env;
    assert_eq!(
        (e.seed, e.mem_latency, e.tready_percent, e.cq_consumer_lag),
        (1, [2, 20], 80, 100)
    );

    let ctx = k.to_context();
    assert!(ctx.valid);
    assert_eq!(
        (ctx.src_mac, ctx.src_ip, ctx.dst_ip),
        (0x0200_0000_0001, 0x0A00_0001, 0x0A00_0002)
    );
    assert_eq!(ctx.snd_nxt, 1000);
}

#[test]
fn defaults_fill_absent_keys() {
    let sc = parse(&base()).unwrap();
    let c = &sc.config;
    assert_eq!(
        (
            c.data_width,
            c.mtu,
            c.max_batch,
            c.timeout_cycles,
            c.ipv4_id_start,
            c.ipv6_id_start
        ),
        (64, 1500, 8, 200, 0x8000, 0x8000_0000)
    );
    assert_eq!((c.tx_ring_log2, c.cq_log2, c.num_conn), (4, 4, 16));
    let k = &sc.connections[0];
    assert_eq!(
        (k.ipv6, k.frag_header, k.vlan, k.ttl, k.tos, k.flow_label),
        (false, false, None, 64, 0, 0)
    );
    assert_eq!((k.window, k.mss, k.seq, k.ack), (65535, 1460, 0, 0));
    let s = &sc.sends[2];
    assert_eq!(
        (
            s.psh,
            s.fin,
            s.immediate,
            s.cookie,
            s.at_cycle,
            s.buf_offset
        ),
        (false, false, false, None, 0, 0)
    );
    assert_eq!(sc.cookie(2), 2, "the cookie defaults to the send's index");
    let e = &sc.env;
    assert_eq!(
        (e.seed, e.mem_latency, e.tready_percent, e.cq_consumer_lag),
        (1, [2, 20], 100, 0)
    );
    assert_eq!((e.mem_gap_percent, e.max_cycles), (0, None));
    assert!(sc.max_cycles() > 10_000);
    let v6 = sc.connections[1].to_context();
    assert_eq!(v6.src_ip, 0xfd00_0000_0000_0000_0000_0000_0000_0001);
    assert_eq!(
        (v6.vlan, v6.frag_hdr, v6.flow_label),
        (Some(7), true, 0xF_FFFF)
    );
}

#[test]
fn not_json_is_rejected() {
    for text in ["", "{", "{\"config\": }", "[1, 2]", "{} {}", "nonsense"] {
        let err = Scenario::from_json_str(text).expect_err(text);
        assert!(!err.to_string().is_empty());
    }
    let err = Scenario::from_json_str("{\"sends\": [}").unwrap_err();
    assert!(err.to_string().contains("not valid JSON"), "{err}");
}

#[test]
fn wrong_type_names_the_field() {
    rejects(
        |v| v["sends"][2]["len"] = "x".into(),
        "sends[2].len",
        "invalid type: string \"x\", expected u32",
    );
    rejects(
        |v| v["connections"][0]["ipv6"] = 1.into(),
        "connections[0].ipv6",
        "expected a boolean",
    );
    rejects(
        |v| v["config"] = serde_json::json!([]),
        "config",
        "invalid type",
    );
}

#[test]
fn negative_number_is_rejected() {
    rejects(
        |v| v["sends"][1]["at_cycle"] = (-5).into(),
        "sends[1].at_cycle",
        "-5",
    );
    rejects(
        |v| v["env"] = serde_json::json!({"seed": -1}),
        "env.seed",
        "-1",
    );
}

#[test]
fn bad_mac_is_rejected() {
    rejects(
        |v| v["connections"][0]["src_mac"] = "02:00:zz".into(),
        "connections[0].src_mac",
        "\"02:00:zz\" is not a MAC address",
    );
    rejects(
        |v| v["connections"][1]["dst_mac"] = "02:00:00:00:00:00:01".into(),
        "connections[1].dst_mac",
        "is not a MAC address",
    );
}

#[test]
fn bad_ip_and_wrong_family_are_rejected() {
    rejects(
        |v| v["connections"][0]["dst_ip"] = "10.0.0.256".into(),
        "connections[0].dst_ip",
        "is not an IP address",
    );
    rejects(
        |v| v["connections"][0]["src_ip"] = "fd00::9".into(),
        "connections[0].src_ip",
        "IPv6 address on an IPv4 connection",
    );
    rejects(
        |v| v["connections"][1]["dst_ip"] = "10.0.0.9".into(),
        "connections[1].dst_ip",
        "IPv4 address on an IPv6 connection",
    );
}

#[test]
fn values_too_large_for_their_field_are_rejected() {
    rejects(
        |v| v["connections"][0]["src_port"] = 70000.into(),
        "connections[0].src_port",
        "expected u16",
    );
    rejects(
        |v| v["connections"][1]["vlan"] = 4096.into(),
        "connections[1].vlan",
        "4096 is over 4095",
    );
    rejects(
        |v| v["connections"][1]["flow_label"] = 0x10_0000.into(),
        "connections[1].flow_label",
        "over",
    );
    rejects(
        |v| v["connections"][0]["ttl"] = 256.into(),
        "connections[0].ttl",
        "expected u8",
    );
    rejects(
        |v| v["sends"][0]["len"] = 4294967296u64.into(),
        "sends[0].len",
        "expected u32",
    );
    rejects(
        |v| v["sends"][0]["conn"] = 65536.into(),
        "sends[0].conn",
        "expected u16",
    );
    rejects(
        |v| v["config"] = serde_json::json!({"ipv4_id_start": 65536}),
        "config.ipv4_id_start",
        "expected u16",
    );
    rejects(
        |v| v["config"] = serde_json::json!({"mtu": 9001}),
        "config.mtu",
        "9001 is outside 576..=9000",
    );
    rejects(
        |v| v["config"] = serde_json::json!({"max_batch": 17}),
        "config.max_batch",
        "outside 1..=16",
    );
    rejects(
        |v| v["config"] = serde_json::json!({"tx_ring_log2": 13}),
        "config.tx_ring_log2",
        "outside 1..=12",
    );
    rejects(
        |v| v["config"] = serde_json::json!({"data_width": 96}),
        "config.data_width",
        "96 is not one of",
    );
    rejects(
        |v| v["connections"][1]["id"] = 16.into(),
        "connections[1].id",
        "16 is not below config.num_conn (16)",
    );
}

#[test]
fn duplicate_connection_id_is_rejected() {
    rejects(
        |v| v["connections"][1]["id"] = 0.into(),
        "connections[1].id",
        "already the id of connections[0]",
    );
}

#[test]
fn env_knobs_out_of_range_are_rejected() {
    rejects(
        |v| v["env"] = serde_json::json!({"tready_percent": 101}),
        "env.tready_percent",
        "101 is outside 0..=100",
    );
    rejects(
        |v| v["env"] = serde_json::json!({"mem_gap_percent": 200}),
        "env.mem_gap_percent",
        "outside 0..=100",
    );
    rejects(
        |v| v["env"] = serde_json::json!({"mem_latency": [20, 2]}),
        "env.mem_latency",
        "minimum 20 is above maximum 2",
    );
    rejects(
        |v| v["env"] = serde_json::json!({"mem_latency": [0, 2]}),
        "env.mem_latency",
        "below 1",
    );
    rejects(
        |v| v["env"] = serde_json::json!({"mem_latency": [1, 2, 3]}),
        "env.mem_latency",
        "expected [min, max], found 3 numbers",
    );
    rejects(|v| v["config"]["irq_mask"] = serde_json::json!(4), "config.irq_mask", "4 is outside 0..=3");
    rejects(|v| v["env"] = serde_json::json!({"cq_consumer_jitter": -1}), "env.cq_consumer_jitter", "");
}

#[test]
fn coalescing_test_keys_are_accepted() {
    let mut v = base();
    v["config"]["irq_mask"] = serde_json::json!(1);
    v["env"] = serde_json::json!({"cq_consumer_jitter": 300});
    let sc = parse(&v).unwrap();
    assert_eq!((sc.config.irq_mask, sc.env.cq_consumer_jitter), (1, 300));
    let d = parse(&base()).unwrap();
    assert_eq!((d.config.irq_mask, d.env.cq_consumer_jitter), (0, 0));
}

#[test]
fn unknown_and_missing_keys_are_rejected() {
    let err = Scenario::from_json_str(r#"{"config": {"mtuu": 1500}}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `mtuu`"), "{err}");
    assert!(err.path.starts_with("config"), "{err}");
    rejects(
        |v| v["sends"][1]["imediate"] = true.into(),
        "sends[1].imediate",
        "unknown field `imediate`",
    );
    let err = Scenario::from_json_str(r#"{"sendz": []}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `sendz`"), "{err}");
    rejects(
        |v| {
            v["connections"][0]
                .as_object_mut()
                .unwrap()
                .remove("src_mac")
                .map(drop)
                .unwrap()
        },
        "connections[0]",
        "missing field `src_mac`",
    );
}

#[test]
fn engine_rejected_values_reach_the_engine() {
    let mut v = base();
    v["connections"][0]["mss"] = 10.into();
    v["sends"] = serde_json::json!([
        { "conn": 1, "len": 0 },
        { "conn": 1, "len": 65536 },
        { "conn": 1, "len": 4294967295u64 },
        { "conn": 99, "len": 100 },
        { "conn": 65535, "len": 100 },
        { "conn": 5, "len": 100 },
        { "conn": 0, "len": 100 },
        { "conn": 1, "len": 100 }
    ]);
    let sc = parse(&v).expect("engine-rejected values are legal in a scenario");
    let want = [
        Some(Status::BadLength),
        Some(Status::TooLong),
        Some(Status::TooLong),
        Some(Status::BadConn),
        Some(Status::BadConn),
        Some(Status::InvalidCtx),
        Some(Status::MssTooSmall),
        None,
    ];
    for (s, w) in sc.sends.iter().zip(want) {
        assert_eq!(expected_rejection(&sc, s), w, "{s:?}");
    }
}

#[test]
fn malformed_input_never_panics() {
    let text = base().to_string();
    // Every prefix of a valid file, and every single-byte corruption of its first part.
    for n in 0..text.len() {
        let _ = Scenario::from_json_str(&text[..n]);
    }
    let bytes = text.as_bytes();
    for i in 0..bytes.len().min(300) {
        for b in [b'"', b'-', b'9', b'{', b']', b'x', b':'] {
            let mut m = bytes.to_vec();
            m[i] = b;
            if let Ok(s) = std::str::from_utf8(&m) {
                let _ = Scenario::from_json_str(s);
            }
        }
    }
}

#[test]
fn builtin_default_serialises_and_reparses_equal() {
    let sc = Scenario::builtin_default();
    sc.validate().expect("the default is valid");
    let back = Scenario::from_json_str(&sc.to_json_pretty()).expect("re-parses");
    assert_eq!(back, sc);

    assert_eq!(sc.connections.len(), 2);
    assert!(sc.connections.iter().any(|c| c.vlan.is_some()));
    assert!(sc.connections.iter().all(|c| !c.ipv6));
    assert_eq!(sc.config.ipv4_id_start, 65530);
    assert_eq!(sc.config.max_batch, 4);
    assert_eq!(
        (
            sc.env.tready_percent,
            sc.env.mem_latency,
            sc.env.cq_consumer_lag
        ),
        (80, [2, 20], 50)
    );
    assert!((10..=14).contains(&sc.sends.len()));
    // More IPv4 datagrams than IDs left before the wrap.
    assert!(sc.sends.len() > usize::from(0xFFFF - sc.config.ipv4_id_start) + 1);
    for s in &sc.sends {
        let c = sc.connection(s.conn).unwrap();
        assert!(
            s.len >= 1 && s.len <= c.eff_mss(sc.config.mtu),
            "{s:?} is not one segment"
        );
        assert!(s.buf_offset < 8);
    }
    assert!(sc.sends.iter().any(|s| s.psh) && sc.sends.iter().any(|s| s.fin));
    assert!(sc.sends.iter().any(|s| s.immediate));
}

#[test]
fn random_scenarios_are_valid_single_segment_and_reproducible() {
    for seed in 0..50 {
        let knobs = GenKnobs {
            sends: 40,
            ..GenKnobs::default()
        };
        let sc = Scenario::random(seed, &knobs);
        sc.validate().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(sc, Scenario::random(seed, &knobs));
        assert_eq!(Scenario::from_json_str(&sc.to_json_pretty()).unwrap(), sc);
        assert_eq!(sc.sends.len(), 40);
        assert_eq!(sc.env.seed, seed);
        for s in &sc.sends {
            let c = sc
                .connection(s.conn)
                .expect("no bad sends without bad_percent");
            assert!(c.ipv6 || !c.frag_header, "a fragment header only on IPv6");
            assert!(s.len >= 1 && s.len <= c.eff_mss(sc.config.mtu));
        }
        assert!(sc.sends.windows(2).all(|w| w[0].at_cycle <= w[1].at_cycle));
    }
    let bad = Scenario::random(
        3,
        &GenKnobs {
            sends: 400,
            bad_percent: 50,
            ..GenKnobs::default()
        },
    );
    bad.validate().unwrap();
    assert!(bad
        .sends
        .iter()
        .any(|s| expected_rejection(&bad, s).is_some()));
}

#[test]
fn truncated_json_is_rejected_as_not_json_with_its_location() {
    // Every proper prefix of the SPEC example that ends inside the top-level object.
    let text = SPEC_EXAMPLE.trim_end();
    for n in 1..text.len() {
        let err = Scenario::from_json_str(&text[..n]).expect_err(&text[..n]);
        assert!(err.message.starts_with("not valid JSON: "), "prefix {n}: {err}");
        assert!(err.path.is_empty(), "prefix {n}: {err}");
        assert!(err.location.is_some(), "prefix {n}: {err}");
    }
    let err = Scenario::from_json_str(&text[..text.len() / 2]).unwrap_err();
    assert!(err.to_string().contains("EOF while parsing"), "{err}");
}

#[test]
fn negative_numbers_are_rejected_in_every_kind_of_field() {
    rejects(|v| v["connections"][0]["mss"] = (-1).into(), "connections[0].mss", "-1");
    rejects(|v| v["connections"][1]["vlan"] = (-7).into(), "connections[1].vlan", "-7");
    rejects(|v| v["sends"][0]["len"] = (-3).into(), "sends[0].len", "-3");
    rejects(|v| v["sends"][0]["buf_offset"] = (-1).into(), "sends[0].buf_offset", "-1");
    rejects(|v| v["config"] = serde_json::json!({"timeout_cycles": -200}), "config.timeout_cycles", "-200");
    rejects(|v| v["env"] = serde_json::json!({"mem_latency": [-2, 20]}), "env.mem_latency[0]", "-2");
}

#[test]
fn more_values_too_large_for_their_field_are_rejected() {
    rejects(|v| v["connections"][0]["dst_port"] = 65536.into(), "connections[0].dst_port", "expected u16");
    rejects(|v| v["connections"][0]["tos"] = 256.into(), "connections[0].tos", "expected u8");
    rejects(|v| v["connections"][0]["mss"] = 65536.into(), "connections[0].mss", "expected u16");
    rejects(|v| v["connections"][0]["window"] = 70000.into(), "connections[0].window", "expected u16");
    rejects(|v| v["connections"][0]["seq"] = 4294967296u64.into(), "connections[0].seq", "expected u32");
    rejects(|v| v["sends"][0]["buf_offset"] = 65536.into(), "sends[0].buf_offset", "expected u16");
    rejects(
        |v| v["config"] = serde_json::json!({"ipv6_id_start": 4294967296u64}),
        "config.ipv6_id_start",
        "expected u32",
    );
    rejects(|v| v["config"] = serde_json::json!({"cq_log2": 0}), "config.cq_log2", "0 is outside 1..=12");
    rejects(|v| v["config"] = serde_json::json!({"data_width": 32}), "config.data_width", "32 is not one of");
    rejects(|v| v["config"] = serde_json::json!({"num_conn": 481}), "config.num_conn", "outside 1..=480");
    // Cycle counts: at most 2^48, so that no sum of them overflows.
    let over = 1u64 << 48 | 1;
    rejects(|v| v["sends"][2]["at_cycle"] = over.into(), "sends[2].at_cycle", "is outside 0..=281474976710656");
    rejects(|v| v["env"] = serde_json::json!({"cq_consumer_lag": u64::MAX}), "env.cq_consumer_lag", "outside");
    rejects(|v| v["env"] = serde_json::json!({"cq_consumer_jitter": over}), "env.cq_consumer_jitter", "outside");
    rejects(|v| v["env"] = serde_json::json!({"max_cycles": over}), "env.max_cycles", "outside");
    let mut v = base();
    v["sends"][2]["at_cycle"] = (1u64 << 48).into();
    v["env"] = serde_json::json!({"cq_consumer_lag": 1u64 << 48, "cq_consumer_jitter": 1u64 << 48});
    let sc = parse(&v).expect("2^48 is the largest cycle count");
    assert!(sc.max_cycles() > 1 << 48, "the budget covers the last send");
}

#[test]
fn wrong_types_in_every_kind_of_field_are_rejected() {
    rejects(|v| v["connections"][0]["src_mac"] = 2.into(), "connections[0].src_mac", "expected a MAC address string");
    rejects(|v| v["connections"][0]["src_ip"] = true.into(), "connections[0].src_ip", "expected an IP address string");
    rejects(|v| v["connections"][1]["vlan"] = "7".into(), "connections[1].vlan", "expected u16");
    rejects(|v| v["sends"][0]["cookie"] = 1.5.into(), "sends[0].cookie", "expected u64");
    rejects(|v| v["sends"] = serde_json::json!({"conn": 0}), "sends", "expected a sequence");
    rejects(|v| v["sends"][0] = serde_json::json!([0, 10]), "sends[0]", "expected an object");
    rejects(|v| v["env"] = serde_json::json!({"mem_latency": 5}), "env.mem_latency", "expected a sequence");
}

#[test]
fn missing_required_keys_are_named() {
    for key in ["id", "dst_mac", "src_ip", "dst_ip", "src_port", "dst_port"] {
        rejects(
            |v| drop(v["connections"][1].as_object_mut().unwrap().remove(key)),
            "connections[1]",
            &format!("missing field `{key}`"),
        );
    }
    for key in ["conn", "len"] {
        rejects(
            |v| drop(v["sends"][1].as_object_mut().unwrap().remove(key)),
            "sends[1]",
            &format!("missing field `{key}`"),
        );
    }
    // Every top-level key has a default: an empty object is a scenario with no sends.
    let sc = Scenario::from_json_str("{}").unwrap();
    assert!(sc.connections.is_empty() && sc.sends.is_empty());
}
