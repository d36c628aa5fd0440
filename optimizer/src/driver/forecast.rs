//! Where a policy's horizon forecast comes from: a trained model, the true future from a
//! look-ahead fork (the oracle), or the recent load (persistence). Which one a run uses follows
//! from the policy ([`Forecaster::for_policy`]), not from its name.

use shardsim_model::ForecastModel;
use shardsim_model::features;
use shardsim_sim::Simulation;
use shardsim_sim::cluster::Cluster;

use super::{Driver, advance};
use crate::estimate::{RecentLoad, WorkSnapshot};
use crate::plan::Plan;
use crate::policies::{ForecastQuantity, ForecastSource, MigrationPolicy};

/// Where forecasts come from for policies that need them.
#[derive(Clone, Copy, Debug)]
pub enum Forecaster<'a> {
    /// No forecaster: policies that need one see the recent load (persistence).
    Persistence,
    /// A trained model (before it has a full feature window, persistence).
    Model(&'a ForecastModel),
    /// The true future: a look-ahead fork without the new plan, averaged over the window the
    /// plan would be in force (lead time to horizon).
    Oracle,
}

impl<'a> Forecaster<'a> {
    /// The forecaster `policy` asks for ([`MigrationPolicy::forecast_source`]): the true future
    /// for an oracle; otherwise `model` if the run has one, else persistence.
    pub fn for_policy(
        policy: &dyn MigrationPolicy,
        model: Option<&'a ForecastModel>,
    ) -> Forecaster<'a> {
        match (policy.forecast_source(), model) {
            (ForecastSource::TrueFuture, _) => Forecaster::Oracle,
            (ForecastSource::ModelOrPersistence, Some(m)) => Forecaster::Model(m),
            (ForecastSource::ModelOrPersistence, None) => Forecaster::Persistence,
        }
    }
}

impl Driver<'_> {
    /// Expected load per shard over the horizon, demand included.
    pub(super) fn forecast(
        &self,
        sim: &Simulation<Cluster>,
        recent: &[Vec<f64>],
        load: &RecentLoad,
    ) -> Vec<f64> {
        let c = sim.model();
        let totals = |by_function: &[Vec<f64>]| -> Vec<f64> {
            (0..c.topology().shards.len())
                .map(|s| by_function.iter().map(|f| f[s]).sum())
                .collect()
        };
        match self.forecaster {
            Forecaster::Persistence => totals(recent),
            Forecaster::Model(model) => {
                match features::latest(&c.observe(sim.now()), model.horizon_intervals as usize) {
                    Some((_, rows)) => {
                        let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
                        // The model forecasts delivered load; demand that is not getting
                        // through (shed, dropped) is added as it is now. Plans weigh expected
                        // costs and benefits, so they take the expected load unless the
                        // policy asks for an upper bound.
                        let values = match self.policy.forecast_quantity() {
                            ForecastQuantity::Expected => model.predict_mean(&refs),
                            ForecastQuantity::Upper(level) => model
                                .predict_interval(&refs, level)
                                .expect("levels are checked with the policy's settings")
                                .into_iter()
                                .map(|(_, _, upper)| upper)
                                .collect(),
                        };
                        values
                            .into_iter()
                            .zip(load.unserved_by_shard())
                            .map(|(x, u)| x.max(0.0) + u)
                            .collect()
                    }
                    None => totals(recent),
                }
            }
            Forecaster::Oracle => {
                let now = sim.now();
                let (from, to) = (now + self.policy.lead_time(), now + self.policy.horizon());
                let mut fork = sim.clone();
                let pending: Vec<&Plan> = self.pending.iter().map(|p| &p.0).collect();
                advance(&mut fork, self.policy.name(), &pending, from);
                let start = WorkSnapshot::take(&fork.model().observe(from));
                advance(&mut fork, self.policy.name(), &pending, to);
                let end = WorkSnapshot::take(&fork.model().observe(to));
                totals(&end.load_since(&start, &fork.model().observe(to)).demand())
            }
        }
    }
}
