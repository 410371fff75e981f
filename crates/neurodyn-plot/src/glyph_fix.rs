//! Vertical text alignment fix for the bitmap backend.
//!
//! plotters' `ab_glyph` renderer places glyphs relative to a layout box of height
//! `size / 1.24` while drawing the baseline at `size / 2` below the origin, so in PNGs text
//! anchored at its vertical centre sits about `0.21 × size` too high (tick labels float above
//! their ticks), and top/bottom anchors are off by ~`0.1 × size`. SVG text is placed by the
//! viewer and is correct. [`GlyphFix`] wraps a backend and shifts each text's anchor point by
//! the measured offset (in the text's own rotated frame), delegating everything else.

use plotters_backend::text_anchor::VPos;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// A backend whose text is nudged down to where the anchor says it should be.
pub(crate) struct GlyphFix<B>(pub(crate) B);

type Res<B> = Result<(), DrawingErrorKind<<B as DrawingBackend>::ErrorType>>;

impl<B: DrawingBackend> DrawingBackend for GlyphFix<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Res<B> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Res<B> {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Res<B> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Res<B> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Res<B> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Res<B> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Res<B> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Res<B> {
        self.0.fill_polygon(vert, style)
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Res<B> {
        let frac = match style.anchor().v_pos {
            VPos::Top => 0.12,
            VPos::Center => 0.21,
            VPos::Bottom => 0.10,
        };
        let (dx, dy) = style
            .transform()
            .transform(0, (style.size() * frac).round() as i32);
        self.0.draw_text(text, style, (pos.0 + dx, pos.1 + dy))
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.0.estimate_text_size(text, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Res<B> {
        self.0.blit_bitmap(pos, size, src)
    }
}
