//! Per-shard load over time as colour, with migrations marked.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, err, font, legend};

/// Per-shard load over time as colour, with migrations marked.
#[derive(Clone, Debug)]
pub struct LoadHeatmap {
    /// Title.
    pub title: String,
    /// Shard names, top to bottom.
    pub shards: Vec<String>,
    /// Minutes per column.
    pub minutes_per_column: f64,
    /// `load[shard][column]`.
    pub load: Vec<Vec<f64>>,
    /// (minute, shard index, kind) of each migration's start.
    pub migrations: Vec<(f64, usize, String)>,
}

/// White (idle) → blue → orange → red (above 1: overloaded).
fn heat(load: f64) -> RGBColor {
    let stops = [
        (0.0, (255.0, 255.0, 255.0)),
        (0.4, (86.0, 180.0, 233.0)),
        (0.8, (230.0, 159.0, 0.0)),
        (1.2, (180.0, 0.0, 0.0)),
    ];
    let x = load.clamp(0.0, 1.2);
    for w in stops.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if x <= b {
            let t = (x - a) / (b - a);
            let mix = |u: f64, v: f64| (u + (v - u) * t).round() as u8;
            return RGBColor(mix(ca.0, cb.0), mix(ca.1, cb.1), mix(ca.2, cb.2));
        }
    }
    RGBColor(180, 0, 0)
}

impl Chart for LoadHeatmap {
    fn size(&self) -> (u32, u32) {
        (1400, (200 + 12 * self.shards.len() as u32).clamp(500, 1400))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (main, scale_area) = root.split_horizontally(self.size().0 - 140);
        let columns = self.load.iter().map(Vec::len).max().unwrap_or(0);
        let end = columns as f64 * self.minutes_per_column / 60.0;
        let n = self.shards.len();
        let rows = n.saturating_sub(1);
        let mut chart = ChartBuilder::on(&main)
            .caption(&self.title, font(22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(150)
            .build_cartesian_2d(0.0..end.max(1e-9), (0..rows).into_segmented())
            .map_err(err)?;
        let names = &self.shards;
        // Row 0 is drawn at the top.
        let row_of = |i: usize| rows.saturating_sub(i);
        let step = n.div_ceil(40).max(1);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("simulated hours")
            .axis_desc_style(font(16))
            .label_style(font(12))
            .y_labels(n)
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(r) => {
                    let i = rows.saturating_sub(*r);
                    if i.is_multiple_of(step) {
                        names.get(i).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                }
                _ => String::new(),
            })
            .draw()
            .map_err(err)?;
        let w = self.minutes_per_column / 60.0;
        for (row, loads) in self.load.iter().enumerate() {
            let r = row_of(row);
            chart
                .draw_series(loads.iter().enumerate().map(|(c, &l)| {
                    let x = c as f64 * w;
                    Rectangle::new(
                        [
                            (x, SegmentValue::Exact(r)),
                            (x + w, SegmentValue::Exact(r + 1)),
                        ],
                        heat(l).filled(),
                    )
                }))
                .map_err(err)?;
        }
        let kinds = ["move", "expand", "shrink"];
        for (k, kind) in kinds.iter().enumerate() {
            let c = [BLACK, RGBColor(0, 158, 115), RGBColor(204, 121, 167)][k];
            let points: Vec<(f64, SegmentValue<usize>)> = self
                .migrations
                .iter()
                .filter(|m| m.2 == *kind)
                .map(|m| (m.0 / 60.0, SegmentValue::CenterOf(row_of(m.1))))
                .collect();
            if points.is_empty() {
                continue;
            }
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| TriangleMarker::new(p, 6, c.filled())),
                )
                .map_err(err)?
                .label(match *kind {
                    "expand" => "expand (scale out)",
                    "shrink" => "shrink (scale in)",
                    _ => "move",
                })
                .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 6, c.filled()));
        }
        if !self.migrations.is_empty() {
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        draw_scale(&scale_area)
    }
}

/// The colour scale beside the heatmap.
fn draw_scale<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Result<()> {
    let mut scale = ChartBuilder::on(area)
        .margin_top(60)
        .margin_bottom(60)
        .margin_right(10)
        .y_label_area_size(50)
        .caption("offered load", font(14))
        .build_cartesian_2d(0.0..1.0, 0.0..1.2)
        .map_err(err)?;
    scale
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style(font(12))
        .draw()
        .map_err(err)?;
    scale
        .draw_series((0..120).map(|i| {
            let y = i as f64 / 100.0;
            Rectangle::new([(0.0, y), (1.0, y + 0.01)], heat(y).filled())
        }))
        .map_err(err)?;
    Ok(())
}
