//! When each policy changed placements, one row per policy.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, colour, err, font, legend};

/// When each policy changed placements, one row per policy.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Title.
    pub title: String,
    /// Rows, top to bottom.
    pub rows: Vec<String>,
    /// (row, hour, kind) per action.
    pub events: Vec<(usize, f64, String)>,
    /// Hours shaded as volatile, if known.
    pub volatile: Vec<(f64, f64)>,
    /// Length of the run, hours.
    pub hours: f64,
}

impl Chart for Timeline {
    fn size(&self) -> (u32, u32) {
        (1300, (160 + 70 * self.rows.len() as u32).max(420))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let n = self.rows.len();
        let last = n.saturating_sub(1);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(22))
            .margin(14)
            .x_label_area_size(45)
            .y_label_area_size(120)
            .build_cartesian_2d(0.0..self.hours.max(1e-9), (0..last).into_segmented())
            .map_err(err)?;
        let rows = &self.rows;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("simulated hours")
            .axis_desc_style(font(16))
            .label_style(font(14))
            .y_labels(n)
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(r) => rows.get(last - r).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(err)?;
        if !self.volatile.is_empty() {
            let band = RGBColor(230, 159, 0);
            chart
                .draw_series(self.volatile.iter().map(|&(a, b)| {
                    Rectangle::new(
                        [(a, SegmentValue::Exact(0)), (b, SegmentValue::Exact(n))],
                        band.mix(0.15).filled(),
                    )
                }))
                .map_err(err)?
                .label("volatile market")
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 20, y + 5)], band.mix(0.3).filled())
                });
        }
        for (k, kind) in ["expand", "move", "shrink"].iter().enumerate() {
            let c = colour(k);
            let points: Vec<(f64, SegmentValue<usize>)> = self
                .events
                .iter()
                .filter(|e| e.2 == *kind)
                .map(|e| (e.1, SegmentValue::CenterOf(last - e.0)))
                .collect();
            if points.is_empty() {
                continue;
            }
            let size = 7 - 2 * k as i32;
            chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, size, c.filled())))
                .map_err(err)?
                .label(*kind)
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}
