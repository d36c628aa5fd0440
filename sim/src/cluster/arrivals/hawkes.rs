//! A multivariate Hawkes group, sampled exactly by Ogata thinning.

use rand::RngExt;

use crate::cluster::arrivals::poisson::draw_event;
use crate::cluster::arrivals::{Drivers, candidate, shape_at};
use crate::cluster::event::DomainEvent;
use crate::cluster::spec::workload::{HawkesGroup, PoissonSource};
use crate::rng::SimRng;
use crate::time::SimTime;

/// A Hawkes group, ready to sample.
#[derive(Clone, Debug)]
pub(crate) struct HawkesState {
    /// Member sources (specs cloned) and their indices.
    pub members: Vec<(u32, PoissonSource)>,
    beta: f64,
    /// `jump[j][i]`: excitation·β added to member i's intensity by an event in member j.
    jump: Vec<Vec<f64>>,
    /// Current excitation per member, as of `updated`.
    excitation: Vec<f64>,
    updated: SimTime,
    rng: SimRng,
}

impl HawkesState {
    /// `K[j][i]`: the expected member-i events one member-j event triggers.
    pub(crate) fn excitation_matrix(&self) -> Vec<Vec<f64>> {
        self.jump
            .iter()
            .map(|row| row.iter().map(|x| x / self.beta).collect())
            .collect()
    }

    /// A sampler for a group that [`ClusterConfig::validate`](crate::cluster::ClusterConfig::validate)
    /// accepted.
    pub(crate) fn new(group: &HawkesGroup, sources: &[PoissonSource], rng: SimRng) -> Self {
        let n = group.members.len();
        let mut members = Vec::with_capacity(n);
        for &m in &group.members {
            members.push((m as u32, sources[m].clone()));
        }
        let beta = 1.0 / group.decay.as_secs_f64();
        HawkesState {
            members,
            beta,
            jump: group
                .excitation
                .iter()
                .map(|r| r.iter().map(|a| a * beta).collect())
                .collect(),
            excitation: vec![0.0; n],
            updated: SimTime::ZERO,
            rng,
        }
    }

    fn decay_to(&mut self, t: SimTime) {
        let dt = (t - self.updated).as_secs_f64();
        if dt > 0.0 {
            let f = libm::exp(-self.beta * dt);
            for e in &mut self.excitation {
                *e *= f;
            }
            self.updated = t;
        }
    }

    /// The next event (time, member position) after `now` and before `until`, by Ogata thinning.
    pub(crate) fn next_arrival(
        &mut self,
        now: SimTime,
        until: SimTime,
        drivers: Drivers<'_>,
    ) -> Option<(SimTime, usize)> {
        let mut t = now;
        loop {
            if t >= until {
                return None;
            }
            self.decay_to(t);
            // Baselines are bounded per segment; excitation only decays until the next event.
            let mut end = SimTime::MAX;
            let mut bound = 0.0;
            for (index, spec) in &self.members {
                let (_, b, e) = shape_at(&spec.shape, drivers, *index, t);
                bound += b * spec.rate_per_sec;
                end = end.min(e);
            }
            bound += self.excitation.iter().sum::<f64>();
            match candidate(t, bound, end, &mut self.rng) {
                Some(c) => t = c,
                None => {
                    t = end;
                    continue;
                }
            }
            self.decay_to(t);
            let u: f64 = self.rng.random();
            let mut target = u * bound;
            for i in 0..self.members.len() {
                let (index, spec) = &self.members[i];
                let lambda = shape_at(&spec.shape, drivers, *index, t).0 * spec.rate_per_sec
                    + self.excitation[i];
                if target < lambda {
                    if t >= until {
                        return None;
                    }
                    for (k, e) in self.excitation.iter_mut().enumerate() {
                        *e += self.jump[i][k];
                    }
                    return Some((t, i));
                }
                target -= lambda;
            }
            // Rejected: the candidate fell in the gap between the bound and the true intensity.
        }
    }

    /// One event's attributes for member `i`.
    pub(crate) fn event(&mut self, i: usize) -> DomainEvent {
        let (index, spec) = &self.members[i];
        draw_event(spec, *index, &mut self.rng)
    }
}
