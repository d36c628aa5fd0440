//! Lines on shared axes, one panel per group: the latency CDF and forecast vs actual.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use super::{Chart, colour, err, font, legend};

/// One line with an optional band around it.
#[derive(Clone, Debug)]
pub struct Line {
    /// Legend label.
    pub label: String,
    /// Points.
    pub points: Vec<(f64, f64)>,
    /// Half-width of a band drawn around the line (same units as y), if any.
    pub band: Option<f64>,
    /// Dashed (a baseline or reference).
    pub dashed: bool,
}

/// Lines on shared axes, optionally one panel per group.
#[derive(Clone, Debug)]
pub struct Lines {
    /// Title.
    pub title: String,
    /// x axis.
    pub x_desc: String,
    /// y axis.
    pub y_desc: String,
    /// Log-scale x axis.
    pub log_x: bool,
    /// Legend at the lower right (else upper right).
    pub legend_low: bool,
    /// (panel caption, lines).
    pub panels: Vec<(String, Vec<Line>)>,
}

impl Chart for Lines {
    fn size(&self) -> (u32, u32) {
        (
            1200,
            (380 * self.panels.len().max(1) as u32).clamp(500, 1600),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let root = root.titled(&self.title, font(24)).map_err(err)?;
        let areas = root.split_evenly((self.panels.len().max(1), 1));
        for ((caption, lines), area) in self.panels.iter().zip(&areas) {
            let pts = lines.iter().flat_map(|l| {
                l.points
                    .iter()
                    .map(move |&(x, y)| (x, y + l.band.unwrap_or(0.0), y - l.band.unwrap_or(0.0)))
            });
            let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
            let mut y0 = 0.0f64;
            for (x, hi, lo) in pts {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y1 = y1.max(hi);
                y0 = y0.min(lo);
            }
            if !x0.is_finite() {
                continue;
            }
            if x1 <= x0 {
                x1 = x0 + 1.0;
            }
            let y1 = y1 * 1.05 + 1e-9;
            let mut builder = ChartBuilder::on(area);
            builder
                .caption(caption, font(18))
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(70);
            if self.log_x {
                let x0 = x0.max(1e-3);
                let mut chart = builder
                    .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
                    .map_err(err)?;
                chart
                    .configure_mesh()
                    .x_desc(&self.x_desc)
                    .y_desc(&self.y_desc)
                    .axis_desc_style(font(16))
                    .label_style(font(13))
                    // 1, 2 and 5 per decade: the others crowd together near the decade's end.
                    .x_label_formatter(&|v| {
                        let mantissa = v / libm::pow(10.0, libm::floor(libm::log10(*v)));
                        if [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 0.05) {
                            format!("{v:.0}")
                        } else {
                            String::new()
                        }
                    })
                    .draw()
                    .map_err(err)?;
                draw_lines(&mut chart, lines, self.legend_low)?;
            } else {
                let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
                mesh(&mut chart, &self.x_desc, &self.y_desc)?;
                draw_lines(&mut chart, lines, self.legend_low)?;
            }
        }
        Ok(())
    }
}

fn mesh<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
) -> Result<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(font(16))
        .label_style(font(13))
        .draw()
        .map_err(err)?;
    Ok(())
}

fn draw_lines<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    lines: &[Line],
    legend_low: bool,
) -> Result<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    for (i, line) in lines.iter().enumerate() {
        let c = colour(i);
        if let Some(b) = line.band {
            let mut poly: Vec<(f64, f64)> = line.points.iter().map(|&(x, y)| (x, y + b)).collect();
            poly.extend(line.points.iter().rev().map(|&(x, y)| (x, y - b)));
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                .map_err(err)?;
        }
        let style = c.stroke_width(if line.dashed { 1 } else { 2 });
        let series = if line.dashed {
            chart
                .draw_series(DashedLineSeries::new(line.points.clone(), 6, 4, style))
                .map_err(err)?
        } else {
            chart
                .draw_series(LineSeries::new(line.points.clone(), style))
                .map_err(err)?
        };
        let label = match line.band {
            Some(b) => format!("{} (band ± {b:.3})", line.label),
            None => line.label.clone(),
        };
        series
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    legend(
        chart,
        if legend_low {
            SeriesLabelPosition::LowerRight
        } else {
            SeriesLabelPosition::UpperRight
        },
    )
}
