//! The scenario fuzz property: a built-in scenario with one mutation (a line deleted or
//! duplicated, a value replaced by another type, a huge, negative or non-finite number, or the
//! file cut short) is accepted or refused — never a panic — and every refusal names `FILE:LINE`.
//! What is accepted then runs a simulated minute (at most a bounded number of events) without a
//! panic either.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proptest::prelude::*;
use shardsim::scenario::{BUILT_IN, Scenario};
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::{Cluster, policy_by_name};

/// Values that replace a `key = value` line's value: other types, extremes, non-numbers.
const VALUES: [&str; 20] = [
    "\"text\"",
    "\"\"",
    "-1",
    "0",
    "-0.0",
    "1e300",
    "-1e300",
    "nan",
    "inf",
    "-inf",
    "4294967296",
    "18446744073709551615",
    "true",
    "[]",
    "[[1.0]]",
    "{}",
    "\"0s\"",
    "\"36500d\"",
    "\"1ns\"",
    "[\"us-east\", \"nowhere\"]",
];

/// One change to a scenario's text.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Replace(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), 0..VALUES.len()).prop_map(|(l, v)| Mutation::Replace(l, v)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// `text` with `m` applied (line and byte picks are taken modulo the text's size).
fn mutate(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let pick = |i: usize| i % lines.len();
    match *m {
        Mutation::Delete(i) => {
            lines.remove(pick(i));
        }
        Mutation::Duplicate(i) => {
            let l = lines[pick(i)].clone();
            lines.insert(pick(i), l);
        }
        Mutation::Replace(i, v) => {
            // The value of the chosen line, or of the next line that has one.
            let n = lines.len();
            if let Some(at) = (0..n).map(|k| (pick(i) + k) % n).find(|&k| {
                let l = lines[k].trim_start();
                !l.starts_with('#') && l.contains(" = ")
            }) {
                let key = lines[at].split(" = ").next().unwrap().to_owned();
                lines[at] = format!("{key} = {}", VALUES[v]);
            }
        }
        Mutation::Truncate(at) => {
            let mut cut = at % (text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            return text[..cut].to_owned();
        }
    }
    lines.join("\n")
}

/// Builds the scenario's cluster for one simulated minute and runs it, at most `EVENTS` events.
fn run_briefly(scenario: &Scenario) {
    const EVENTS: u64 = 300_000;
    let config = scenario.config(Some(SimDuration::from_mins(1)));
    let routing = policy_by_name(&scenario.routing).expect("a checked routing policy");
    // A configuration that passed the scenario's checks must build.
    let mut sim = Cluster::simulation(config, scenario.default_seed, routing)
        .unwrap_or_else(|e| panic!("validated, then refused to build: {e}"));
    sim.run_events(EVENTS);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn a_mutated_built_in_is_an_error_with_a_line_or_runs(
        which in 0..BUILT_IN.len(),
        m in mutation(),
    ) {
        let (name, text) = BUILT_IN[which];
        let mutated = mutate(text, &m);
        let parsed = catch_unwind(AssertUnwindSafe(|| Scenario::parse(&mutated, "fuzz.toml")));
        let Ok(parsed) = parsed else {
            return Err(TestCaseError::fail(format!("{name} {m:?}: parsing panicked")));
        };
        match parsed {
            Err(e) => {
                prop_assert!(e.line.is_some(), "{name} {m:?}: no line in `{e}`");
                prop_assert!(e.to_string().starts_with("fuzz.toml:"), "{e}");
            }
            Ok(scenario) => {
                let ran = catch_unwind(AssertUnwindSafe(|| run_briefly(&scenario)));
                prop_assert!(ran.is_ok(), "{name} {m:?}: the run panicked");
            }
        }
    }
}
