//! House style shared by every figure: embedded fonts, font sizes, the colour cycle, the two
//! colour maps, and the small layout helpers (axis ranges, "nice" tick positions, tick text).
//!
//! Fonts come from the DejaVu Sans bytes embedded by the `dejavu` crate and are registered once
//! with plotters' `ab_glyph` registry under the family name `"sans-serif"`, so PNGs render
//! identically on a machine without any system font. SVGs name the family `sans-serif` and let
//! the viewer pick its own sans font.
//!
//! ```
//! use neurodyn_plot::{palette, viridis, diverging};
//! assert_ne!(palette(0), palette(1));
//! assert_eq!(palette(0), palette(10)); // the cycle has ten colours
//! let _ = (viridis(0.5), diverging(0.5));
//! ```

use std::sync::Once;

use plotters::style::{register_font, FontStyle, RGBColor};

use crate::PlotError;

/// Font family every text element uses (registered from the embedded DejaVu Sans).
pub(crate) const FONT: &str = "sans-serif";
/// Figure title size in pixels.
pub(crate) const TITLE_SIZE: f64 = 24.0;
/// Panel title size in pixels (titles inside a grid of panels).
pub(crate) const PANEL_TITLE_SIZE: f64 = 20.0;
/// Axis label size in pixels.
pub(crate) const LABEL_SIZE: f64 = 19.0;
/// Tick label size in pixels.
pub(crate) const TICK_SIZE: f64 = 16.0;
/// Legend text size in pixels.
pub(crate) const LEGEND_SIZE: f64 = 16.0;
/// Small annotations (period names, heatmap cell values).
pub(crate) const NOTE_SIZE: f64 = 14.0;

/// Dark grey used for axes, reference lines and annotations.
pub(crate) const INK: RGBColor = RGBColor(40, 40, 40);
/// Light grey used for grid lines.
pub(crate) const GRID: RGBColor = RGBColor(225, 225, 225);

/// Registers the embedded DejaVu Sans (regular and bold) exactly once per process.
pub(crate) fn ensure_fonts() -> Result<(), PlotError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FONTS: Once = Once::new();
    static OK: AtomicBool = AtomicBool::new(false);
    FONTS.call_once(|| {
        let regular = register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok();
        let bold = register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok();
        OK.store(regular && bold, Ordering::SeqCst);
    });
    if OK.load(Ordering::SeqCst) {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// The ten-colour cycle (matplotlib's `tab10`); the index wraps around.
const TAB10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colour `i` of the fixed ten-colour cycle (tab10); `i` wraps modulo 10.
pub fn palette(i: usize) -> RGBColor {
    TAB10[i % TAB10.len()]
}

/// Sequential colour map close to matplotlib's viridis; `t` is clamped to `[0, 1]`
/// (NaN maps to the low end).
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    interpolate(&STOPS, t)
}

/// Diverging blue–white–red colour map (ColorBrewer RdBu, reversed); `t = 0.5` is pure white,
/// `0` dark blue, `1` dark red. `t` is clamped to `[0, 1]` (NaN maps to white).
pub fn diverging(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 7] = [
        (5, 48, 97),
        (67, 147, 195),
        (171, 210, 229),
        (255, 255, 255),
        (244, 165, 130),
        (214, 96, 77),
        (103, 0, 31),
    ];
    interpolate(&STOPS, if t.is_nan() { 0.5 } else { t })
}

fn interpolate(stops: &[(u8, u8, u8)], t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (stops.len() - 1) as f64;
    let i = (pos.floor() as usize).min(stops.len() - 2);
    let f = pos - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (stops[i], stops[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Which colour map a heatmap or a value-coloured plot uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorMap {
    /// viridis-like, for magnitudes (rates, distances).
    #[default]
    Sequential,
    /// blue–white–red centred on 0, for signed values (weights, correlations).
    Diverging,
    /// black to white, for images (pixels).
    Gray,
}

impl ColorMap {
    /// Colour of `t ∈ [0, 1]` (position inside the value range).
    pub fn color(self, t: f64) -> RGBColor {
        match self {
            ColorMap::Sequential => viridis(t),
            ColorMap::Diverging => diverging(t),
            ColorMap::Gray => {
                let v = (t.clamp(0.0, 1.0) * 255.0).round() as u8;
                RGBColor(v, v, v)
            }
        }
    }
}

impl ColorMap {
    /// The value range a map of this kind spans: `explicit` if given, else the data's finite
    /// range (symmetric, `±max|v|`, for the diverging map); a usable default when there is none.
    pub(crate) fn value_range(
        self,
        explicit: Option<(f64, f64)>,
        values: impl IntoIterator<Item = f64>,
    ) -> (f64, f64) {
        match (explicit, self, finite_range(values)) {
            (Some(r), _, _) => r,
            (None, ColorMap::Diverging, Some((lo, hi))) => {
                let m = lo.abs().max(hi.abs());
                if m > 0.0 {
                    (-m, m)
                } else {
                    (-1.0, 1.0)
                }
            }
            (None, ColorMap::Sequential | ColorMap::Gray, Some((lo, hi))) if hi > lo => (lo, hi),
            (None, ColorMap::Sequential | ColorMap::Gray, Some((lo, _))) => (lo - 0.5, lo + 0.5),
            (None, _, None) => (0.0, 1.0),
        }
    }
}

/// Relative luminance in `[0, 1]` (picks black or white text on a coloured cell).
pub(crate) fn luminance(c: RGBColor) -> f64 {
    (0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64) / 255.0
}

/// Smallest and largest finite value, or `None` when there is none.
pub(crate) fn finite_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Axis range around `range` with `frac` padding on each side; a degenerate or missing range
/// becomes a sensible non-empty one so a chart can always be built.
pub(crate) fn padded(range: Option<(f64, f64)>, frac: f64) -> (f64, f64) {
    match range {
        None => (0.0, 1.0),
        Some((lo, hi)) if hi - lo <= f64::EPSILON * hi.abs().max(lo.abs()).max(1e-300) => {
            let d = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
            (lo - d, hi + d)
        }
        Some((lo, hi)) => {
            let d = (hi - lo) * frac;
            (lo - d, hi + d)
        }
    }
}

/// Positive-only range for a log axis (non-positive values are ignored).
pub(crate) fn log_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    match finite_range(values.into_iter().filter(|v| *v > 0.0)) {
        None => (1.0, 10.0),
        Some((lo, hi)) if hi <= lo * 1.0001 => (lo / 2.0, hi * 2.0),
        Some((lo, hi)) => (lo / 1.15, hi * 1.15),
    }
}

/// About `target` round tick positions (1, 2, 2.5, 5 × 10^k steps) inside `[lo, hi]`.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return if lo.is_finite() { vec![lo] } else { vec![] };
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let m = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|m| m * mag >= raw)
        .unwrap_or(10.0);
    let step = m * mag;
    // Dividing by the exact power of ten keeps 3 × 0.2 at 0.6 instead of 0.6000000000000001.
    let at = |k: i64| {
        if mag < 1.0 {
            k as f64 * m / (1.0 / mag).round()
        } else {
            k as f64 * m * mag
        }
    };
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(at)
        .map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v })
        .collect()
}

/// Compact tick text: integers without decimals, at most four significant decimals, and
/// scientific notation for very large or very small magnitudes.
pub(crate) fn tick_text(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.1e}");
        return s.replace(".0e", "e");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Estimated pixel width of `text` at font `size` (DejaVu Sans averages ~0.6 em per glyph).
pub(crate) fn text_width(text: &str, size: f64) -> i32 {
    (text.chars().count() as f64 * size * 0.6).ceil() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_maps_hit_their_endpoints() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(diverging(0.5), RGBColor(255, 255, 255));
        assert_eq!(diverging(f64::NAN), RGBColor(255, 255, 255));
        assert!(diverging(0.0).2 > diverging(0.0).0, "low end is blue");
        assert!(diverging(1.0).0 > diverging(1.0).2, "high end is red");
    }

    #[test]
    fn ticks_are_round_and_inside() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let t = nice_ticks(-3.3, 7.1, 5);
        assert!(t.iter().all(|v| (-3.3..=7.1).contains(v)));
        assert!(t.contains(&0.0));
        assert!(nice_ticks(1.0, 1.0, 5).len() == 1);
        assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
    }

    #[test]
    fn tick_text_is_compact() {
        assert_eq!(tick_text(0.30000000000000004), "0.3");
        assert_eq!(tick_text(200.0), "200");
        assert_eq!(tick_text(-0.0), "0");
        assert_eq!(tick_text(1.0e6), "1e6");
        assert_eq!(tick_text(2.5e-5), "2.5e-5");
    }

    #[test]
    fn ranges_skip_nan_and_never_collapse() {
        assert_eq!(finite_range([f64::NAN, 2.0, -1.0]), Some((-1.0, 2.0)));
        assert_eq!(finite_range([f64::NAN]), None);
        let (lo, hi) = padded(Some((3.0, 3.0)), 0.05);
        assert!(lo < 3.0 && hi > 3.0);
        assert_eq!(padded(None, 0.05), (0.0, 1.0));
        let (lo, hi) = log_range([0.0, -1.0, 10.0, 1000.0]);
        assert!(lo > 0.0 && lo < 10.0 && hi > 1000.0);
    }
}
