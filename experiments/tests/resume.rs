//! Interrupted work: a killed `compare` resumes from the runs it finished and ends with the
//! bytes of one never interrupted; ctrl-c stops it cleanly; `plot` refuses a directory whose
//! command did not finish; a comparison without plans still has a `plans.csv` header; two
//! scenarios with one name are an error.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::{files, fixture, shardsim, shardsim_env, text};

/// 5 seeds × 4 policies: 20 short runs of the surge fixture.
const TWENTY_RUNS: [&str; 6] = [
    "--seeds",
    "1..5",
    "--policies",
    "static,reactive,oracle,performance",
    "--duration",
    "20m",
];

fn compare_args(out: &Path) -> Vec<String> {
    let mut args = vec![
        "compare".to_owned(),
        fixture("surge.toml").display().to_string(),
        "--out".to_owned(),
        out.display().to_string(),
    ];
    args.extend(TWENTY_RUNS.iter().map(|s| (*s).to_owned()));
    args
}

/// The comparison started as a child process, one run at a time (so that it can be stopped
/// between runs).
fn start_compare(out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shardsim"))
        .args(compare_args(out))
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the shardsim binary starts")
}

fn run_compare(out: &Path) -> Output {
    let args = compare_args(out);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    shardsim(&args)
}

/// The completion markers under `out/runs/`: the runs finished so far.
fn markers(out: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, found);
            } else if p.file_name().is_some_and(|n| n == "done.json") {
                found.push(p);
            }
        }
    }
    let mut found = Vec::new();
    walk(&out.join("runs"), &mut found);
    found
}

/// Waits until `child` has finished at least `runs` runs; panics if it ends first.
fn wait_for_markers(child: &mut Child, out: &Path, runs: usize) -> usize {
    // Polled every 5 ms for at most 300 s (counted, not clocked: the wall clock is banned).
    for _ in 0..60_000 {
        let n = markers(out).len();
        if n >= runs {
            return n;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the comparison ended after {n} runs, before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no {runs} finished runs in 300 s");
}

/// The "resuming: N of 20 runs" count a rerun printed (0 when it printed none).
fn skipped(stdout: &str) -> usize {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("resuming: "))
        .and_then(|l| l.split(' ').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[test]
fn a_killed_compare_resumes_and_ends_with_the_bytes_of_an_uninterrupted_one() {
    let killed = tempfile::tempdir().unwrap();
    let mut child = start_compare(killed.path());
    let finished = wait_for_markers(&mut child, killed.path(), 6);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let kept = markers(killed.path()).len();
    assert!(kept >= finished && kept < 20, "{kept} runs kept");
    assert!(!killed.path().join("manifest.json").exists());

    // Half-written: plot refuses it.
    let plot = shardsim(&["plot", killed.path().to_str().unwrap()]);
    assert!(!plot.status.success());
    assert!(
        text(&plot.stderr).contains("has no manifest.json: the command writing it did not finish"),
        "{}",
        text(&plot.stderr)
    );

    let rerun = run_compare(killed.path());
    assert!(rerun.status.success(), "{}", text(&rerun.stderr));
    let stdout = text(&rerun.stdout);
    assert_eq!(skipped(&stdout), kept, "{stdout}");
    let left = 20 - kept;
    let plural = if left == 1 { "" } else { "s" };
    assert!(
        stdout.contains(&format!("{left} run{plural} to simulate")),
        "{stdout}"
    );
    // One line per simulated run (stdout is not a terminal here), numbered after the skipped.
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("run ")).collect();
    assert_eq!(lines.len(), 20 - kept, "{stdout}");
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("run 20/20 done: surge seed ")
    );

    let whole = tempfile::tempdir().unwrap();
    let once = run_compare(whole.path());
    assert!(once.status.success(), "{}", text(&once.stderr));
    assert_eq!(skipped(&text(&once.stdout)), 0);
    let (a, b) = (files(killed.path()), files(whole.path()));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs between the resumed and the uninterrupted run"
        );
    }
    let plot = shardsim(&["plot", killed.path().to_str().unwrap()]);
    assert!(plot.status.success(), "{}", text(&plot.stderr));

    // A third run has nothing left to do.
    let again = run_compare(killed.path());
    assert!(again.status.success(), "{}", text(&again.stderr));
    let stdout = text(&again.stdout);
    assert_eq!(skipped(&stdout), 20);
    assert!(
        stdout.contains("every run is finished: nothing to simulate"),
        "{stdout}"
    );
}

#[test]
fn ctrl_c_stops_new_runs_keeps_the_finished_ones_and_says_rerunning_resumes() {
    let out = tempfile::tempdir().unwrap();
    let mut child = start_compare(out.path());
    wait_for_markers(&mut child, out.path(), 2);
    let interrupt = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupt.success());
    let done = child.wait_with_output().unwrap();
    assert!(!done.status.success(), "an interrupted compare must fail");
    let stderr = text(&done.stderr);
    let kept = markers(out.path()).len();
    assert!(kept < 20, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "interrupted: {kept} of 20 runs are finished and saved in"
        )) && stderr.contains("rerun the same command to resume"),
        "{kept} markers; {stderr}"
    );
    assert!(!out.path().join("manifest.json").exists());
}

#[test]
fn plot_refuses_a_directory_changed_after_its_command_finished() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let fixture = fixture("surge.toml");
    let run = shardsim(&[
        "compare",
        fixture.to_str().unwrap(),
        "--out",
        dir,
        "--seeds",
        "1..1",
        "--policies",
        "static,reactive",
        "--duration",
        "20m",
        "--no-plots",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(shardsim(&["plot", dir]).status.success());
    // A later command that wrote one table and was killed before its manifest.
    let runs = out.path().join("runs.csv");
    let mut bytes = std::fs::read(&runs).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&runs, bytes).unwrap();
    let plot = shardsim(&["plot", dir]);
    assert!(!plot.status.success());
    let stderr = text(&plot.stderr);
    assert!(
        stderr.contains("runs.csv does not match manifest.json"),
        "{stderr}"
    );
    std::fs::remove_file(out.path().join("manifest.json")).unwrap();
    let stderr = text(&shardsim(&["plot", dir]).stderr);
    assert!(stderr.contains("has no manifest.json"), "{stderr}");
}

#[test]
fn a_comparison_without_plans_writes_the_plans_header_and_its_charts() {
    let out = tempfile::tempdir().unwrap();
    let fixture = fixture("surge.toml");
    let run = shardsim_env(
        &[
            "compare",
            fixture.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
            "--seeds",
            "1..2",
            "--policies",
            "static",
            "--reference",
            "static",
            "--duration",
            "20m",
        ],
        &[],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let plans = std::fs::read_to_string(out.path().join("plans.csv")).unwrap();
    assert_eq!(
        plans,
        "scenario,seed,policy,made_at_s,execute_at_s,actions,predicted,realised,\
         realised_slo_minutes,realised_p99_ms\n"
    );
    assert!(out.path().join("charts/slo_violation_minutes.svg").exists());
    assert!(out.path().join("manifest.json").exists());
}

#[test]
fn two_scenarios_with_one_name_are_an_error_naming_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
    let surge = std::fs::read_to_string(fixture("surge.toml")).unwrap();
    std::fs::write(&a, &surge).unwrap();
    std::fs::write(&b, surge.replace("Test fixture", "Another fixture")).unwrap();
    let run = shardsim(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
        "--policies",
        "static",
        "--reference",
        "static",
    ]);
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "{} and {} both name their scenario `surge`",
            a.display(),
            b.display()
        )),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists(), "nothing runs");
}

#[test]
fn dataset_saves_each_run_and_a_rerun_remakes_only_the_unfinished_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.csv");
    let fixture = fixture("surge.toml");
    let args = [
        "dataset",
        fixture.to_str().unwrap(),
        "--seeds",
        "1..3",
        "--duration",
        "1h",
        "--out",
        out.to_str().unwrap(),
    ];
    let first = shardsim(&args);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let whole = std::fs::read(&out).unwrap();
    // Seed 2 as a kill while saving it leaves it: rows half-written, no marker.
    let seed2 = dir.path().join("rows.csv.runs/surge/seed-2");
    std::fs::remove_file(seed2.join("done.json")).unwrap();
    std::fs::write(seed2.join("rows.csv"), &whole[..whole.len() / 3]).unwrap();
    std::fs::remove_file(&out).unwrap();
    let rerun = shardsim(&args);
    assert!(rerun.status.success(), "{}", text(&rerun.stderr));
    let stdout = text(&rerun.stdout);
    assert_eq!(skipped(&stdout), 2, "{stdout}");
    assert!(stdout.contains("run 3/3 done: surge seed 2 ("), "{stdout}");
    assert!(
        std::fs::read(&out).unwrap() == whole,
        "the rows differ after resuming"
    );
}

/// `train` and `evaluate` gather their rows as `dataset` does: a rerun loads the finished runs
/// (beside the model file, and in the evaluation's `runs/`) and makes the same bytes.
#[test]
fn train_and_evaluate_resume_from_their_saved_runs() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.model");
    let fixture = fixture("surge.toml");
    let train = [
        "train",
        fixture.to_str().unwrap(),
        "--seeds",
        "1..3",
        "--duration",
        "2h",
        "--trees",
        "4",
        "--out",
        model.to_str().unwrap(),
    ];
    let first = shardsim(&train);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let bytes = std::fs::read(&model).unwrap();
    std::fs::remove_file(dir.path().join("m.model.runs/surge/seed-3/done.json")).unwrap();
    let rerun = shardsim(&train);
    assert!(rerun.status.success(), "{}", text(&rerun.stderr));
    assert_eq!(skipped(&text(&rerun.stdout)), 2, "{}", text(&rerun.stdout));
    assert!(
        std::fs::read(&model).unwrap() == bytes,
        "the model differs after resuming"
    );

    let out = dir.path().join("eval");
    let evaluate = [
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        fixture.to_str().unwrap(),
        "--seeds",
        "4..5",
        "--duration",
        "2h",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ];
    let first = shardsim(&evaluate);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let scores = std::fs::read(out.join("manifest.json")).unwrap();
    let rerun = shardsim(&evaluate);
    assert!(rerun.status.success(), "{}", text(&rerun.stderr));
    assert_eq!(skipped(&text(&rerun.stdout)), 2, "{}", text(&rerun.stdout));
    assert!(
        std::fs::read(out.join("manifest.json")).unwrap() == scores,
        "the evaluation differs after resuming"
    );
}
