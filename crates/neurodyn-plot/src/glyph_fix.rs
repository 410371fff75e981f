//! The PNG backend: figures drawn at their logical size (900 × 600 px, say) onto a bitmap `k`
//! times larger, with text placed where its anchor says.
//!
//! **Scale.** Every figure lays itself out in logical pixels. [`PngBackend`] reports the
//! logical size to the figure and multiplies every coordinate, radius, stroke width and font
//! size by `k` before drawing onto the bitmap (text is rasterised at the larger size, not
//! enlarged), so a PNG at `k = 2` has the layout of the SVG at twice the resolution. `k` is
//! [`png_scale`] (2 by default; [`set_png_scale`]).
//!
//! **Text.** plotters' `ab_glyph` renderer places glyphs relative to a layout box of height
//! `size / 1.24` while drawing the baseline at `size / 2` below the origin, so in PNGs text
//! anchored at its vertical centre sits about `0.21 × size` too high (tick labels float above
//! their ticks), and top/bottom anchors are off by ~`0.1 × size`. SVG text is placed by the
//! viewer and is correct. The backend shifts each text's anchor point by the measured offset (in
//! the text's own rotated frame).

use std::sync::atomic::{AtomicU32, Ordering};

use plotters::style::{FontDesc, TextStyle};
use plotters_backend::text_anchor::VPos;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

static PNG_SCALE: AtomicU32 = AtomicU32::new(2);

/// The resolution of the PNGs written from now on, in device pixels per logical pixel (2 by
/// default: a 900 × 600 figure is a 1800 × 1200 PNG). SVGs are not affected.
pub fn png_scale() -> u32 {
    PNG_SCALE.load(Ordering::Relaxed)
}

/// Set [`png_scale`] for the whole process (clamped to 1..=8).
pub fn set_png_scale(k: u32) {
    PNG_SCALE.store(k.clamp(1, 8), Ordering::Relaxed);
}

/// A bitmap backend drawn in logical pixels at `k` device pixels each, text nudged to its
/// anchor.
pub(crate) struct PngBackend<B> {
    inner: B,
    k: i32,
}

impl<B: DrawingBackend> PngBackend<B> {
    /// Wrap `inner`, whose size must be `k` times the figure's logical size.
    pub(crate) fn new(inner: B, k: u32) -> Self {
        PngBackend {
            inner,
            k: k.max(1) as i32,
        }
    }

    fn at(&self, p: BackendCoord) -> BackendCoord {
        (p.0 * self.k, p.1 * self.k)
    }
}

/// A line or fill style with its width scaled.
struct Scaled {
    color: BackendColor,
    width: u32,
}

impl BackendStyle for Scaled {
    fn color(&self) -> BackendColor {
        self.color
    }
    fn stroke_width(&self) -> u32 {
        self.width
    }
}

type Res<B> = Result<(), DrawingErrorKind<<B as DrawingBackend>::ErrorType>>;

impl<B: DrawingBackend> PngBackend<B> {
    fn style<S: BackendStyle>(&self, s: &S) -> Scaled {
        Scaled {
            color: s.color(),
            width: s.stroke_width() * self.k as u32,
        }
    }
}

impl<B: DrawingBackend> DrawingBackend for PngBackend<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        let (w, h) = self.inner.get_size();
        (w / self.k as u32, h / self.k as u32)
    }

    fn ensure_prepared(&mut self) -> Res<B> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Res<B> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Res<B> {
        let (x, y) = self.at(point);
        let k = self.k;
        let s = Scaled { color, width: 1 };
        self.inner
            .draw_rect((x, y), (x + k - 1, y + k - 1), &s, true)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Res<B> {
        let s = self.style(style);
        if s.width <= 1 {
            return self.inner.draw_line(self.at(from), self.at(to), &s);
        }
        // A wide line as a path, which the bitmap backend strokes with its width.
        let (a, b) = (self.at(from), self.at(to));
        self.inner.draw_path([a, b], &s)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Res<B> {
        let s = self.style(style);
        let (a, b) = (self.at(upper_left), self.at(bottom_right));
        // A filled cell covers its whole k × k block of device pixels.
        let b = if fill {
            (b.0 + self.k - 1, b.1 + self.k - 1)
        } else {
            b
        };
        self.inner.draw_rect(a, b, &s, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Res<B> {
        let s = self.style(style);
        let pts: Vec<BackendCoord> = path.into_iter().map(|p| self.at(p)).collect();
        self.inner.draw_path(pts, &s)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Res<B> {
        let s = self.style(style);
        self.inner
            .draw_circle(self.at(center), radius * self.k as u32, &s, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Res<B> {
        let s = self.style(style);
        let pts: Vec<BackendCoord> = vert.into_iter().map(|p| self.at(p)).collect();
        self.inner.fill_polygon(pts, &s)
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Res<B> {
        let size = style.size() * f64::from(self.k);
        let frac = match style.anchor().v_pos {
            VPos::Top => 0.12,
            VPos::Center => 0.21,
            VPos::Bottom => 0.10,
        };
        let (dx, dy) = style.transform().transform(0, (size * frac).round() as i32);
        let font = FontDesc::new(style.family(), size, style.style()).transform(style.transform());
        let scaled = TextStyle {
            font,
            color: style.color(),
            pos: style.anchor(),
        };
        let (x, y) = self.at(pos);
        self.inner.draw_text(text, &scaled, (x + dx, y + dy))
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        // Logical pixels: the unscaled style's own layout.
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Res<B> {
        // Nearest-neighbour enlargement of an RGB image by k.
        let k = self.k as usize;
        let (w, h) = (size.0 as usize, size.1 as usize);
        let mut big = vec![0u8; w * k * h * k * 3];
        for y in 0..h * k {
            for x in 0..w * k {
                let s = ((y / k) * w + x / k) * 3;
                let d = (y * w * k + x) * 3;
                if let (Some(from), Some(to)) = (src.get(s..s + 3), big.get_mut(d..d + 3)) {
                    to.copy_from_slice(from);
                }
            }
        }
        let at = self.at(pos);
        self.inner
            .blit_bitmap(at, (size.0 * k as u32, size.1 * k as u32), &big)
    }
}
