//! `shardsim bench cluster` over several shard counts and routing policies: how the cost of an
//! invocation and the memory of the cluster grow with its size.

use anyhow::{Result, bail};
use serde::Serialize;
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::preset::SyntheticCluster;
use shardsim_sim::cluster::{Cluster, policy_by_name};
use shardsim_sim::phold::{self, PholdConfig};

use crate::bench::{rate, timed};
use crate::report::stats::median;

/// The shard count whose duration `--duration` gives; others run duration × this / shards.
pub const DURATION_SHARDS: u32 = 64;

/// The simulated emitting time at `shards`: `at_64` × 64 / `shards`, so every size simulates
/// about the same number of invocations (the rate per shard is constant).
pub fn scaled_duration(at_64: SimDuration, shards: u32) -> Result<SimDuration> {
    let nanos = u128::from(at_64.as_nanos()) * u128::from(DURATION_SHARDS) / u128::from(shards);
    match u64::try_from(nanos) {
        Ok(n) if n >= 1_000_000 => Ok(SimDuration::from_nanos(n)),
        _ => bail!(
            "--duration {} s at {shards} shards scales to {} ns of arrivals; allowed: at least 1 ms \
             (give a longer --duration)",
            at_64.as_secs_f64(),
            nanos
        ),
    }
}

/// What a memory probe (one untimed run in a fresh process) measured, from the process's peak
/// resident set size (`VmHWM`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MemoryProbe {
    /// Peak RSS before the configuration was built, KiB.
    pub start_kib: u64,
    /// Peak RSS once the simulation was built (before its first event), KiB.
    pub built_kib: u64,
    /// Peak RSS after the run drained, KiB.
    pub peak_kib: u64,
    /// The most invocations live at once during the run.
    pub peak_live_invocations: u64,
}

impl MemoryProbe {
    /// The lines a probe process prints and [`MemoryProbe::parse`] reads.
    pub fn render(&self) -> String {
        format!(
            "start_kib={}\nbuilt_kib={}\npeak_kib={}\npeak_live_invocations={}\n",
            self.start_kib, self.built_kib, self.peak_kib, self.peak_live_invocations
        )
    }

    /// Reads [`MemoryProbe::render`]'s lines.
    pub fn parse(text: &str) -> Result<MemoryProbe> {
        let field = |name: &str| -> Result<u64> {
            let prefix = format!("{name}=");
            match text.lines().find_map(|l| l.strip_prefix(prefix.as_str())) {
                Some(v) => Ok(v.trim().parse()?),
                None => bail!("the memory probe printed no `{name}=` line:\n{text}"),
            }
        };
        Ok(MemoryProbe {
            start_kib: field("start_kib")?,
            built_kib: field("built_kib")?,
            peak_kib: field("peak_kib")?,
            peak_live_invocations: field("peak_live_invocations")?,
        })
    }

    /// (built − start) / shards: the built cluster (shards, functions, placements, sources,
    /// metric series, queues) per shard.
    pub fn bytes_per_shard(&self, shards: u32) -> f64 {
        self.built_kib.saturating_sub(self.start_kib) as f64 * 1024.0 / f64::from(shards)
    }

    /// (peak − built) / peak live invocations: what the run added per invocation in flight at
    /// its busiest (invocation slots, pending events, queue entries — and, as an upper bound, the
    /// metric intervals recorded meanwhile).
    pub fn bytes_per_in_flight(&self) -> f64 {
        self.peak_kib.saturating_sub(self.built_kib) as f64 * 1024.0
            / self.peak_live_invocations.max(1) as f64
    }
}

/// Runs `shape` untimed and reports the peak RSS around building and running it; meaningful in a
/// process that has done nothing else (the probe child).
pub fn probe_memory(shape: &SyntheticCluster, seed: u64, routing: &str) -> Result<MemoryProbe> {
    let kib = || crate::bench::peak_rss_mib().map(|m| (m * 1024.0).round() as u64);
    let Some(start_kib) = kib() else {
        bail!("this system does not report peak resident memory (/proc/self/status VmHWM)")
    };
    let policy = policy_by_name(routing)?;
    let mut sim = Cluster::simulation(shape.config(), seed, policy)?;
    let built_kib = kib().unwrap_or(start_kib);
    sim.run_to_completion();
    let peak_live_invocations = sim.model().peak_live_invocations() as u64;
    let peak_kib = kib().unwrap_or(built_kib);
    std::hint::black_box(&sim);
    Ok(MemoryProbe {
        start_kib,
        built_kib,
        peak_kib,
        peak_live_invocations,
    })
}

/// One row of the scaling table: one shard count under one routing policy.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingRow {
    /// Shards.
    pub shards: u32,
    /// Functions.
    pub functions: u32,
    /// Routing policy.
    pub routing: String,
    /// Simulated seconds the sources emitted.
    pub simulated_secs: f64,
    /// Invocations generated per run.
    pub invocations: u64,
    /// Engine events handled per run.
    pub events: u64,
    /// Median wall milliseconds to build the simulation (not in the rate).
    pub build_ms: f64,
    /// Median simulated invocations per wall second of running it (arrivals, routing,
    /// execution, metrics, the drain), the build excluded.
    pub invocations_per_sec: f64,
    /// 1e9 / invocations_per_sec.
    pub ns_per_invocation: f64,
    /// ns_per_invocation over the same routing's at the first shard count listed.
    pub ns_ratio_to_first: f64,
    /// The memory probe, if one ran.
    pub memory: Option<MemoryProbe>,
    /// See [`MemoryProbe::bytes_per_shard`].
    pub bytes_per_shard: Option<f64>,
    /// See [`MemoryProbe::bytes_per_in_flight`].
    pub bytes_per_in_flight: Option<f64>,
}

/// What a scaling run measured.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingReport {
    /// Arrivals per simulated second per shard.
    pub rate_per_shard: f64,
    /// Simulated emitting time at 64 shards (others: × 64 / shards).
    pub duration_at_64_secs: f64,
    /// Master seed.
    pub seed: u64,
    /// Timed runs per row.
    pub repeats: u32,
    /// Median bare-heap PHOLD events/s measured at the start (machine-speed reference).
    pub reference_events_per_sec: f64,
    /// How memory was measured.
    pub memory_method: String,
    /// One row per (shards, routing), shard counts outermost.
    pub rows: Vec<ScalingRow>,
}

/// How [`ScalingReport::memory_method`] describes the probe.
pub const MEMORY_METHOD: &str = "peak RSS (VmHWM) of one fresh child process per row, one untimed run: \
bytes_per_shard = (after building - before) / shards; bytes_per_in_flight = (after the run - after building) / \
peak live invocations (includes the metric intervals recorded during the run: an upper bound)";

/// Times every (shape, routing) pair `repeats` times, checking the runs agree, and asks `probe`
/// for its memory (`None`: not measured). `shapes` are in table order, each with its duration.
pub fn scaling(
    shapes: &[SyntheticCluster],
    routings: &[String],
    seed: u64,
    repeats: u32,
    probe: &dyn Fn(&SyntheticCluster, &str) -> Result<Option<MemoryProbe>>,
    progress: &mut dyn FnMut(&ScalingRow),
) -> Result<ScalingReport> {
    let Some(first) = shapes.first() else {
        bail!("no shard count to measure")
    };
    let reference_config = PholdConfig::new(1_000, 10, seed)?;
    let mut reference_rates: Vec<f64> = (0..3)
        .map(|_| {
            let (_, elapsed) = timed(|| {
                let mut r = phold::BareHeapPhold::new(reference_config);
                r.run(2_000_000);
                phold::counters_checksum(r.counters())
            });
            rate(2_000_000, elapsed)
        })
        .collect();
    let mut rows: Vec<ScalingRow> = Vec::new();
    for shape in shapes {
        for routing in routings {
            let policy = policy_by_name(routing)?;
            let (mut rates, mut builds) = (Vec::new(), Vec::new());
            let mut outcome = None;
            for _ in 0..repeats.max(1) {
                let config = shape.config();
                let (built, build_time) =
                    timed(|| Cluster::simulation(config, seed, policy.clone()));
                let mut sim = built?;
                let ((), elapsed) = timed(|| sim.run_to_completion());
                let (books, events) = (sim.model().assert_conservation(), sim.handled());
                builds.push(build_time.as_secs_f64() * 1e3);
                match &outcome {
                    None => outcome = Some((books, events)),
                    Some(o) if *o != (books, events) => bail!(
                        "two runs of {} shards under {routing} with seed {seed} ended differently: \
                         determinism is broken",
                        shape.shards
                    ),
                    Some(_) => {}
                }
                rates.push(rate(books.generated, elapsed));
            }
            let (books, events) = outcome.expect("at least one run");
            let invocations_per_sec = median(&mut rates);
            let ns_per_invocation = 1e9 / invocations_per_sec;
            let first_ns = rows
                .iter()
                .find(|r| r.shards == first.shards && &r.routing == routing)
                .map_or(ns_per_invocation, |r| r.ns_per_invocation);
            let memory = probe(shape, routing)?;
            let row = ScalingRow {
                shards: shape.shards,
                functions: shape.functions,
                routing: routing.clone(),
                simulated_secs: shape.duration.as_secs_f64(),
                invocations: books.generated,
                events,
                build_ms: median(&mut builds),
                invocations_per_sec,
                ns_per_invocation,
                ns_ratio_to_first: ns_per_invocation / first_ns,
                memory,
                bytes_per_shard: memory.map(|m| m.bytes_per_shard(shape.shards)),
                bytes_per_in_flight: memory.map(|m| m.bytes_per_in_flight()),
            };
            progress(&row);
            rows.push(row);
        }
    }
    Ok(ScalingReport {
        rate_per_shard: first.rate_per_shard(),
        duration_at_64_secs: first.duration.as_secs_f64() * f64::from(first.shards)
            / f64::from(DURATION_SHARDS),
        seed,
        repeats: repeats.max(1),
        reference_events_per_sec: median(&mut reference_rates),
        memory_method: MEMORY_METHOD.to_owned(),
        rows,
    })
}

/// The header of the table [`ScalingReport::render`] prints, naming the first shard count.
pub fn table_header(first_shards: u32) -> String {
    format!(
        "{:>6} {:>9} {:<13} {:>9} {:>12} {:>9} {:>12} {:>10} {:>7} {:>15} {:>19} {:>14}\n",
        "shards",
        "functions",
        "routing",
        "sim_secs",
        "invocations",
        "build_ms",
        "inv_per_sec",
        "ns_per_inv",
        format!("vs_{first_shards}"),
        "bytes_per_shard",
        "bytes_per_in_flight",
        "peak_in_flight"
    )
}

impl ScalingRow {
    /// One line of the table.
    pub fn render(&self) -> String {
        let opt = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
        format!(
            "{:>6} {:>9} {:<13} {:>9.1} {:>12} {:>9.1} {:>12.0} {:>10.1} {:>7.3} {:>15} {:>19} {:>14}\n",
            self.shards,
            self.functions,
            self.routing,
            self.simulated_secs,
            self.invocations,
            self.build_ms,
            self.invocations_per_sec,
            self.ns_per_invocation,
            self.ns_ratio_to_first,
            opt(self.bytes_per_shard),
            opt(self.bytes_per_in_flight),
            self.memory
                .map_or_else(|| "-".to_owned(), |m| m.peak_live_invocations.to_string())
        )
    }
}

impl ScalingReport {
    /// The lines above the table.
    pub fn preamble(&self, first_shards: u32) -> String {
        format!(
            "bench cluster scaling: 4 cpu slots per shard, functions placed on 16 shards each, \
             {:.1} arrivals/s per shard, {} simulated s at 64 shards (N shards: × 64/N), seed={}, \
             repeats={} (medians)\n\
             reference_events_per_sec={:.0}   (bare BinaryHeap PHOLD, median, same run)\n\
             memory: {}\n\
             inv_per_sec, ns_per_inv: running the built simulation to the end of its drain \
             (build_ms apart); vs_{first_shards}: ns_per_inv over the same routing's at \
             {first_shards} shards\n",
            self.rate_per_shard,
            self.duration_at_64_secs,
            self.seed,
            self.repeats,
            self.reference_events_per_sec,
            self.memory_method
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_duration_shrinks_with_the_shards_and_refuses_less_than_a_millisecond() {
        let hour = SimDuration::from_secs(3_600);
        assert_eq!(scaled_duration(hour, 64).unwrap(), hour);
        assert_eq!(
            scaled_duration(hour, 4096).unwrap(),
            SimDuration::from_nanos(3_600_000_000_000 / 64)
        );
        let err = scaled_duration(SimDuration::from_millis(10), 4096).unwrap_err();
        assert!(err.to_string().contains("at least 1 ms"), "{err}");
    }

    #[test]
    fn a_probe_reads_back_what_it_printed_and_divides_honestly() {
        let probe = MemoryProbe {
            start_kib: 1_000,
            built_kib: 1_064,
            peak_kib: 2_088,
            peak_live_invocations: 512,
        };
        assert_eq!(MemoryProbe::parse(&probe.render()).unwrap(), probe);
        assert_eq!(probe.bytes_per_shard(64), 1024.0);
        assert_eq!(probe.bytes_per_in_flight(), 2048.0);
        assert!(MemoryProbe::parse("start_kib=1\n").is_err());
    }

    #[test]
    fn rows_compare_each_routing_with_its_own_first_size() {
        let shapes: Vec<SyntheticCluster> = [64, 128]
            .into_iter()
            .map(|n| SyntheticCluster {
                duration: scaled_duration(SimDuration::from_secs(20), n).unwrap(),
                ..SyntheticCluster::scaled(n)
            })
            .collect();
        let routings = vec!["declared".to_owned(), "least-loaded".to_owned()];
        let mut seen = 0;
        let report = scaling(&shapes, &routings, 1, 1, &|_, _| Ok(None), &mut |_| {
            seen += 1
        })
        .unwrap();
        assert_eq!(seen, 4);
        let order: Vec<(u32, &str)> = report
            .rows
            .iter()
            .map(|r| (r.shards, r.routing.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (64, "declared"),
                (64, "least-loaded"),
                (128, "declared"),
                (128, "least-loaded")
            ]
        );
        for r in &report.rows[..2] {
            assert_eq!(r.ns_ratio_to_first, 1.0);
        }
        for (small, large) in report.rows[..2].iter().zip(&report.rows[2..]) {
            let expected = large.ns_per_invocation / small.ns_per_invocation;
            assert!((large.ns_ratio_to_first - expected).abs() < 1e-12);
            // Same rate per shard, half the time at twice the shards: about as many invocations.
            let ratio = large.invocations as f64 / small.invocations as f64;
            assert!((ratio - 1.0).abs() < 0.05, "{ratio}");
        }
        assert!(report.rows.iter().all(|r| r.memory.is_none()));
    }
}
