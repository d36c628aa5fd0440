//! Bars per policy with 95% intervals, one panel per scenario.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, colour, err, font};

/// One bar: a policy's mean with its 95% interval.
#[derive(Clone, Debug)]
pub struct Bar {
    /// Policy.
    pub label: String,
    /// Mean.
    pub mean: f64,
    /// Interval.
    pub low: f64,
    /// Interval.
    pub high: f64,
}

/// Bars per policy with 95% intervals, one panel per scenario.
#[derive(Clone, Debug)]
pub struct ComparisonBars {
    /// Title.
    pub title: String,
    /// What the bars measure (the y axis).
    pub metric: String,
    /// (scenario, bars).
    pub panels: Vec<(String, Vec<Bar>)>,
}

impl Chart for ComparisonBars {
    fn size(&self) -> (u32, u32) {
        ((360 * self.panels.len().max(1) as u32).max(700), 620)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let root = root.titled(&self.title, font(20)).map_err(err)?;
        let panels = root.split_evenly((1, self.panels.len().max(1)));
        for ((scenario, bars), area) in self.panels.iter().zip(&panels) {
            let top = nice_max(bars.iter().map(|b| b.high.max(b.mean)).fold(0.0, f64::max) * 1.1);
            let n = bars.len();
            let mut chart = ChartBuilder::on(area)
                .caption(scenario, font(20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d((0..n.saturating_sub(1)).into_segmented(), 0.0..top)
                .map_err(err)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(WHITE)
                .y_desc(&self.metric)
                .axis_desc_style(font(16))
                .label_style(font(14))
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => {
                        bars.get(*i).map_or(String::new(), |b| b.label.clone())
                    }
                    _ => String::new(),
                })
                .draw()
                .map_err(err)?;
            for (i, b) in bars.iter().enumerate() {
                let c = colour(i);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [
                            (SegmentValue::Exact(i), 0.0),
                            (SegmentValue::Exact(i + 1), b.mean),
                        ],
                        c.mix(0.75).filled(),
                    )))
                    .map_err(err)?;
                // The interval: a whisker at the bar's centre.
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![
                            (SegmentValue::CenterOf(i), b.low),
                            (SegmentValue::CenterOf(i), b.high),
                        ],
                        BLACK.stroke_width(2),
                    )))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = libm::pow(10.0, libm::floor(libm::log10(v)));
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= step * mag {
            return step * mag;
        }
    }
    10.0 * mag
}
