//! `shardsim facts`: the table a user gets, and the error without a market.

mod common;

use common::{shardsim, text};

#[test]
fn facts_prints_each_fact_next_to_its_published_value() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let macro_day = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/macro_day.toml");
    let out = shardsim(&[
        "facts",
        macro_day,
        "--seeds",
        "1,2",
        "--duration",
        "14h",
        "--out",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    // The CPI release at 12:30 is inside 14 hours; the published band and its source are shown.
    let row = table
        .lines()
        .find(|l| l.starts_with("event_multiple_macro"))
        .expect("a macro row");
    assert!(row.contains("(n=2)") && row.contains("1.26-3.9"), "{row}");
    assert!(table.contains("weekend_weekday_ratio") && table.contains("needs 6 days"));
    let csv = std::fs::read_to_string(dir.path().join("facts.csv")).expect("facts.csv");
    assert!(csv.lines().count() > 20, "{csv}");
    assert!(dir.path().join("facts.json").exists());
}

#[test]
fn facts_without_a_market_says_what_is_missing() {
    let small = common::fixture("small.toml");
    let out = shardsim(&["facts", small.to_str().expect("utf-8"), "--seeds", "1"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("has no [market] section"),
        "{}",
        text(&out.stderr)
    );
}
