//! `static`: the declared placement for the whole run (the baseline every policy is compared
//! with). The module is `still` in Rust, since `static` is a keyword.

use shardsim_sim::SimDuration;

use super::{MigrationPolicy, PlanInput};
use crate::plan::PlannedAction;

/// Never migrates: the declared placement for the whole run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Static;

impl MigrationPolicy for Static {
    fn name(&self) -> &str {
        "static"
    }
    fn interval(&self) -> SimDuration {
        SimDuration::ZERO
    }
    fn plan(&self, _: &PlanInput<'_>) -> Vec<PlannedAction> {
        Vec::new()
    }
}
