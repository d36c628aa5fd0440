//! Charts (plotters), drawn with the DejaVu Sans font shipped in `assets/fonts/` so that no
//! system font or fontconfig is needed. Every chart is written as PNG and SVG, each atomically.

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::io::write_atomic;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Series colours, in order: the Okabe–Ito palette, readable with colour-blindness.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // A bundled, known-good font: failing to parse it is a build defect.
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            panic!("the bundled DejaVu Sans font does not parse");
        }
    });
}

/// Text at `size` pixels in the bundled font.
pub fn font(size: u32) -> TextStyle<'static> {
    register_font();
    (FAMILY, size).into_font().color(&BLACK)
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

/// The series legend, boxed, at `position`.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .label_font(font(14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(err)
}

/// A chart that can draw itself on any plotters backend.
pub trait Chart {
    /// Pixel size.
    fn size(&self) -> (u32, u32) {
        (1200, 700)
    }
    /// Draws on `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Writes `chart` as `dir/name.png` and `dir/name.svg`; returns both paths.
pub fn render(dir: &Path, name: &str, chart: &impl Chart) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    register_font();
    let size = chart.size();
    let png = dir.join(format!("{name}.png"));
    // The PNG encoder picks the format from the extension, so the temporary name keeps it.
    let tmp = dir.join(format!(".{name}.tmp.png"));
    {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    std::fs::rename(&tmp, &png).with_context(|| format!("writing {}", png.display()))?;
    let svg_path = dir.join(format!("{name}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    write_atomic(&svg_path, svg.as_bytes())?;
    Ok(vec![png, svg_path])
}

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= step * mag {
            return step * mag;
        }
    }
    10.0 * mag
}

// ---- policy comparison bars ------------------------------------------------------------------

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

// ---- predicted vs realised ------------------------------------------------------------------

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

// ---- load heatmap ---------------------------------------------------------------------------

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
        // Colour scale.
        let mut scale = ChartBuilder::on(&scale_area)
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
}

// ---- lines (latency CDF, forecast vs actual, timelines) --------------------------------------

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
                        let mantissa = v / 10f64.powf(v.log10().floor());
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

// ---- migration timeline -----------------------------------------------------------------------

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
