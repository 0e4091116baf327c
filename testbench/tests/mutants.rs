//! The RTL mutants of `txoe-mutants` stay applicable: each substitution matches exactly
//! once in the current `rtl/` and changes it; names are unique; the verdict of a
//! regression run is read from `txoe run`'s output.

use std::collections::HashSet;
use std::path::Path;

use txoe_testbench::mutants::{apply, apply_to_text, copy_rtl, verdict, Verdict, MUTANTS};

fn rtl() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../rtl"))
}

#[test]
fn every_mutant_applies_exactly_once_to_the_rtl() {
    assert!(MUTANTS.len() >= 10);
    let mut names = HashSet::new();
    for m in MUTANTS {
        assert!(names.insert(m.name), "duplicate mutant name {}", m.name);
        let text = std::fs::read_to_string(rtl().join(m.file)).unwrap();
        let out = apply_to_text(m, &text).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(out, text, "{} changes nothing", m.name);
        assert_eq!(out.matches(m.to).count(), text.matches(m.to).count() + 1, "{}", m.name);
    }
}

#[test]
fn a_pattern_that_does_not_match_once_is_an_error() {
    let m = MUTANTS[0];
    let e = apply_to_text(&m, "nothing here").unwrap_err();
    assert!(e.contains("pattern not found") && e.contains(m.name), "{e}");
    let twice = format!("{}\n{}", m.from, m.from);
    let e = apply_to_text(&m, &twice).unwrap_err();
    assert!(e.contains("found 2 times"), "{e}");
}

#[test]
fn a_mutant_changes_only_its_copy() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("rtl");
    copy_rtl(rtl(), &copy).unwrap();
    let m = MUTANTS.iter().find(|m| m.name == "cq-phase-stuck").unwrap();
    apply(m, &copy).unwrap();
    let orig = std::fs::read_to_string(rtl().join(m.file)).unwrap();
    let mutated = std::fs::read_to_string(copy.join(m.file)).unwrap();
    assert!(orig.contains(m.from) && !mutated.contains(m.from) && mutated.contains(m.to));
    // A second application finds no pattern: the copy is not the real RTL.
    assert!(apply(m, &copy).is_err());
    for f in std::fs::read_dir(rtl()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()) {
        let name = f.file_name().unwrap();
        if name != m.file {
            assert_eq!(std::fs::read(&f).unwrap(), std::fs::read(copy.join(name)).unwrap());
        }
    }
}

#[test]
fn verdicts_are_read_from_the_run_output() {
    assert_eq!(verdict(Some(0), "summary: lockstep cycles=5"), Verdict::Passed);
    let out = "stream: ...\nMISMATCH cycle=1234 port=m_axis_tx frame=3 field=ipv4.id model=0x1 (1) rtl=0x2 (2) seed=4\nsummary: ...";
    match verdict(Some(1), out) {
        Verdict::Failed { kind, cycle, .. } => assert_eq!((kind.as_str(), cycle), ("MISMATCH", 1234)),
        v => panic!("{v:?}"),
    }
    match verdict(Some(1), "TIMEOUT after 99 cycles: the scenario did not finish seed=1\n") {
        Verdict::Failed { kind, cycle, .. } => assert_eq!((kind.as_str(), cycle), ("TIMEOUT", 99)),
        v => panic!("{v:?}"),
    }
    match verdict(Some(1), "ENV-ERROR cycle=77 port=m_axi message=\"x\" seed=1\n") {
        Verdict::Failed { kind, cycle, .. } => assert_eq!((kind.as_str(), cycle), ("ENV-ERROR", 77)),
        v => panic!("{v:?}"),
    }
    assert!(matches!(verdict(Some(1), "no failure line"), Verdict::Error(_)));
    assert!(matches!(verdict(Some(2), "malformed"), Verdict::Error(_)));
}
