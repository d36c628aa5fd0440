//! Charts (plotters), drawn with the DejaVu Sans font shipped in `assets/fonts/` so that no
//! system font or fontconfig is needed. Every chart is written as PNG and SVG, each atomically.
//!
//! One file per chart; this one holds what they share: the [`Chart`] trait, [`render`], the
//! font, the palette and the legend.

mod bars;
mod calibration;
mod heatmap;
mod lines;
mod timeline;

pub use bars::{Bar, ComparisonBars};
pub use calibration::Calibration;
pub use heatmap::LoadHeatmap;
pub use lines::{Line, Lines};
pub use timeline::Timeline;

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::io::write_atomic;

const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
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

/// A plotters error as an `anyhow` one.
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
