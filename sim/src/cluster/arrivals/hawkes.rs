//! A multivariate Hawkes group, sampled exactly by Ogata thinning.

use rand::RngExt;

use crate::cluster::arrivals::poisson::draw_event;
use crate::cluster::arrivals::regime::RegimePath;
use crate::cluster::arrivals::{candidate, shape_at};
use crate::cluster::event::DomainEvent;
use crate::cluster::spec::workload::{HawkesGroup, PoissonSource, SourceError, validate_shape};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

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

/// The spectral radius of a non-negative square matrix (its Perron root), by power iteration.
pub fn spectral_radius(m: &[Vec<f64>]) -> f64 {
    let n = m.len();
    if n == 0 {
        return 0.0;
    }
    let mut v = vec![1.0; n];
    let mut radius = 0.0;
    for _ in 0..500 {
        let next: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| m[i][j] * v[j]).sum())
            .collect();
        let norm = next.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        if norm == 0.0 {
            return 0.0;
        }
        radius = norm / v.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        v = next.iter().map(|x| x / norm).collect();
    }
    radius
}

impl HawkesState {
    pub(crate) fn new(
        group: &HawkesGroup,
        sources: &[PoissonSource],
        rng: SimRng,
    ) -> Result<Self, SourceError> {
        let err = |problem: String| SourceError {
            source_name: group.name.clone(),
            problem,
        };
        let n = group.members.len();
        if n == 0 {
            return Err(err("a Hawkes group needs at least one member".into()));
        }
        if group.excitation.len() != n || group.excitation.iter().any(|r| r.len() != n) {
            return Err(err(format!(
                "excitation must be a {n}×{n} matrix (one row and column per member)"
            )));
        }
        if group
            .excitation
            .iter()
            .flatten()
            .any(|x| !(x.is_finite() && *x >= 0.0))
        {
            return Err(err("excitation values must be finite and >= 0".into()));
        }
        let radius = spectral_radius(&group.excitation);
        if radius >= 1.0 {
            return Err(err(format!(
                "branching ratio (spectral radius of excitation) is {radius:.3}; it must be < 1 or the process explodes"
            )));
        }
        if group.decay == SimDuration::ZERO {
            return Err(err("decay must be > 0".into()));
        }
        let mut members = Vec::with_capacity(n);
        for &m in &group.members {
            let spec = sources
                .get(m)
                .ok_or_else(|| err(format!("member {m} is not a source")))?;
            validate_shape(&spec.name, spec.rate_per_sec, &spec.shape)?;
            members.push((m as u32, spec.clone()));
        }
        let beta = 1.0 / group.decay.as_secs_f64();
        Ok(HawkesState {
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
        })
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
        regime: &RegimePath,
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
            for (_, spec) in &self.members {
                let (_, b, e) = shape_at(&spec.shape, regime, t);
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
                let spec = &self.members[i].1;
                let lambda =
                    shape_at(&spec.shape, regime, t).0 * spec.rate_per_sec + self.excitation[i];
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
