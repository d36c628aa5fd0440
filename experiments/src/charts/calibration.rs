//! Predicted against realised benefit of scored plans.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, colour, err, font, legend};

/// Predicted against realised benefit of scored plans, one colour per policy.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// Title.
    pub title: String,
    /// (policy, points (predicted, realised)).
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

impl Chart for Calibration {
    fn size(&self) -> (u32, u32) {
        (900, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let all = self.series.iter().flat_map(|s| s.1.iter());
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for &(p, r) in all {
            lo = lo.min(p).min(r);
            hi = hi.max(p).max(r);
        }
        let pad = (hi - lo) * 0.05;
        let (lo, hi) = (lo - pad, hi + pad);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(24))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("predicted benefit (excess-load minutes avoided)")
            .y_desc("realised benefit (fork with plan vs without)")
            .axis_desc_style(font(16))
            .label_style(font(14))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(vec![(lo, lo), (hi, hi)], BLACK.mix(0.5)))
            .map_err(err)?
            .label("realised = predicted")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
        for (i, (policy, points)) in self.series.iter().enumerate() {
            let c = colour(i);
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&p| Circle::new(p, 4, c.mix(0.7).filled())),
                )
                .map_err(err)?
                .label(format!("{policy} ({} plans)", points.len()))
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}
