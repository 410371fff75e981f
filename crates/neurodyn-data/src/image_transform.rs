//! Stimulus transforms for tuning curves: rotation, translation, zoom and contrast of an image
//! plane in pixel space (before a network's normalisation).
//!
//! Planes are row-major `(H, W)`; an image `(C, H, W)` is transformed plane by plane
//! ([`Transform::apply`]). Geometry works in index coordinates: pixel `(r, c)` sits at `(r, c)`,
//! the image centre at `((H − 1)/2, (W − 1)/2)`, `x` to the right (columns) and `y` down (rows).
//! Every geometric transform is an inverse map: output pixel `o` samples the input at
//! `M o + offset`, by bilinear interpolation of the four neighbours; a sample outside
//! `[0, H−1] × [0, W−1]` is 0 (black). That is exactly
//! `scipy.ndimage.affine_transform(plane, M, offset, order=1, mode='constant', cval=0)`, the
//! golden reference (`tests/golden/analysis/make_tuning_golden.py`), with:
//!
//! ```text
//! rotation by θ°, counter-clockwise as displayed (row 0 at the top):
//!     M = [[cos θ, sin θ], [−sin θ, cos θ]],   offset = ctr − M ctr
//! zoom by s about the centre (s > 1 enlarges):   M = I / s,  offset = ctr − ctr / s
//! translation by (dx, dy) pixels (right, down):  M = I,      offset = (−dy, −dx)
//! contrast α: p ↦ m + α (p − m), m the plane's mean, clipped to [lo, hi] (α > 1 can leave
//!     the pixel range; α ≤ 1 cannot)
//! ```
//!
//! The cosines and sines of multiples of 90° are exact, so rotation by 0° returns the image
//! unchanged and by 90° moves pixels without interpolating. The inner loops allocate nothing.

use serde::{Deserialize, Serialize};

/// A pixel type the transforms read and write (`f32` for a network, `f64` for tests).
pub trait Pixel: Copy {
    /// As f64.
    fn to_f64(self) -> f64;
    /// From f64 (rounded to the nearest representable value).
    fn from_f64(v: f64) -> Self;
}

impl Pixel for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Pixel for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// Which transform a tuning curve sweeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transform {
    /// Rotation about the centre, degrees counter-clockwise.
    Rotation,
    /// Shift along x (columns), pixels to the right.
    Translation,
    /// Zoom about the centre (1 = unchanged).
    Scale,
    /// Contrast about the image mean (1 = unchanged, 0 = a uniform image).
    Contrast,
}

impl Transform {
    /// Its name (`rotation`, …).
    pub fn name(self) -> &'static str {
        match self {
            Transform::Rotation => "rotation",
            Transform::Translation => "translation",
            Transform::Scale => "scale",
            Transform::Contrast => "contrast",
        }
    }

    /// What its values measure, for axis labels.
    pub fn unit(self) -> &'static str {
        match self {
            Transform::Rotation => "rotation (degrees, counter-clockwise)",
            Transform::Translation => "shift along x (pixels, right)",
            Transform::Scale => "zoom factor",
            Transform::Contrast => "contrast factor",
        }
    }

    /// The values swept by default: 0…345° in 15° steps; −6…6 pixels in steps of 2; zoom
    /// 0.6…1.4 in steps of 0.1; contrast 0…2 in steps of 0.25.
    pub fn default_values(self) -> Vec<f64> {
        let range = |n: usize, from: f64, step: f64| -> Vec<f64> {
            // Rounded to 12 digits so that 0.1 steps print as 0.7, not 0.7000000000000001.
            (0..n)
                .map(|i| ((from + i as f64 * step) * 1e12).round() / 1e12)
                .collect()
        };
        match self {
            Transform::Rotation => range(24, 0.0, 15.0),
            Transform::Translation => range(7, -6.0, 2.0),
            Transform::Scale => range(9, 0.6, 0.1),
            Transform::Contrast => range(9, 0.0, 0.25),
        }
    }

    /// Whether the values go round a circle (rotation), where circular statistics apply.
    pub fn is_circular(self) -> bool {
        self == Transform::Rotation
    }

    /// The value that leaves an image unchanged.
    pub fn identity(self) -> f64 {
        match self {
            Transform::Rotation | Transform::Translation => 0.0,
            Transform::Scale | Transform::Contrast => 1.0,
        }
    }

    /// Transform the `(C, H, W)` image `src` by `value` into `dst` (same length), plane by
    /// plane; contrast clips to `[0, max_pixel]`.
    pub fn apply<T: Pixel>(
        self,
        value: f64,
        src: &[T],
        [c, h, w]: [usize; 3],
        max_pixel: f64,
        dst: &mut [T],
    ) {
        assert_eq!(src.len(), c * h * w, "source is not {c}×{h}×{w}");
        assert_eq!(
            dst.len(),
            src.len(),
            "destination length differs from the source"
        );
        let plane = h * w;
        for (s, d) in src.chunks_exact(plane).zip(dst.chunks_exact_mut(plane)) {
            match self {
                Transform::Rotation => rotate(s, h, w, value, d),
                Transform::Translation => translate(s, h, w, value, 0.0, d),
                Transform::Scale => zoom(s, h, w, value, d),
                Transform::Contrast => contrast(s, value, 0.0, max_pixel, d),
            }
        }
    }
}

/// `(cos, sin)` of an angle in degrees, exact at multiples of 90°.
pub fn cos_sin_degrees(deg: f64) -> (f64, f64) {
    let r = deg.rem_euclid(360.0);
    if r == 0.0 {
        (1.0, 0.0)
    } else if r == 90.0 {
        (0.0, 1.0)
    } else if r == 180.0 {
        (-1.0, 0.0)
    } else if r == 270.0 {
        (0.0, -1.0)
    } else {
        let t = r.to_radians();
        (t.cos(), t.sin())
    }
}

/// The plane's centre in index coordinates, `((H − 1)/2, (W − 1)/2)`.
pub fn centre(h: usize, w: usize) -> [f64; 2] {
    [(h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0]
}

/// Output pixel `o = (r, c)` of `dst` samples `src` at `matrix · o + offset` (row, column),
/// bilinearly, 0 outside the plane: scipy's `affine_transform(order=1, mode='constant')`.
pub fn affine<T: Pixel>(
    src: &[T],
    h: usize,
    w: usize,
    matrix: [[f64; 2]; 2],
    offset: [f64; 2],
    dst: &mut [T],
) {
    assert_eq!(src.len(), h * w, "source plane is not {h}×{w}");
    assert_eq!(dst.len(), h * w, "destination plane is not {h}×{w}");
    let (hm, wm) = (h as f64 - 1.0, w as f64 - 1.0);
    for r in 0..h {
        let rf = r as f64;
        let row = &mut dst[r * w..(r + 1) * w];
        for (c, out) in row.iter_mut().enumerate() {
            let cf = c as f64;
            let y = matrix[0][0] * rf + matrix[0][1] * cf + offset[0];
            let x = matrix[1][0] * rf + matrix[1][1] * cf + offset[1];
            *out = T::from_f64(if y >= 0.0 && y <= hm && x >= 0.0 && x <= wm {
                bilinear(src, h, w, y, x)
            } else {
                0.0
            });
        }
    }
}

/// Bilinear interpolation of `src` at `(y, x)` inside the plane.
#[inline]
pub(crate) fn bilinear<T: Pixel>(src: &[T], h: usize, w: usize, y: f64, x: f64) -> f64 {
    // The cell's top-left corner, one before the last row/column so that its neighbour exists
    // (at y = H − 1 the weight of the row beyond is 1 − 1 = 0 on the last row).
    let y0 = (y.floor() as usize).min(h.saturating_sub(2));
    let x0 = (x.floor() as usize).min(w.saturating_sub(2));
    let (fy, fx) = (y - y0 as f64, x - x0 as f64);
    let (y1, x1) = ((y0 + 1).min(h - 1), (x0 + 1).min(w - 1));
    let p = |yy: usize, xx: usize| src[yy * w + xx].to_f64();
    let top = (1.0 - fx) * p(y0, x0) + fx * p(y0, x1);
    let bottom = (1.0 - fx) * p(y1, x0) + fx * p(y1, x1);
    (1.0 - fy) * top + fy * bottom
}

/// The matrix and offset of a rotation by `degrees` counter-clockwise about the centre.
pub fn rotation_map(h: usize, w: usize, degrees: f64) -> ([[f64; 2]; 2], [f64; 2]) {
    let (cos, sin) = cos_sin_degrees(degrees);
    let m = [[cos, sin], [-sin, cos]];
    (m, centred_offset(m, centre(h, w)))
}

/// The matrix and offset of a zoom by `factor` about the centre.
pub fn zoom_map(h: usize, w: usize, factor: f64) -> ([[f64; 2]; 2], [f64; 2]) {
    let m = [[1.0 / factor, 0.0], [0.0, 1.0 / factor]];
    (m, centred_offset(m, centre(h, w)))
}

/// `ctr − M ctr`: the offset that keeps the centre fixed.
fn centred_offset(m: [[f64; 2]; 2], ctr: [f64; 2]) -> [f64; 2] {
    [
        ctr[0] - (m[0][0] * ctr[0] + m[0][1] * ctr[1]),
        ctr[1] - (m[1][0] * ctr[0] + m[1][1] * ctr[1]),
    ]
}

/// Rotate the `(H, W)` plane `src` by `degrees` counter-clockwise about its centre.
pub fn rotate<T: Pixel>(src: &[T], h: usize, w: usize, degrees: f64, dst: &mut [T]) {
    let (m, off) = rotation_map(h, w, degrees);
    affine(src, h, w, m, off, dst);
}

/// Zoom the plane by `factor` about its centre (`factor > 0`; > 1 enlarges).
pub fn zoom<T: Pixel>(src: &[T], h: usize, w: usize, factor: f64, dst: &mut [T]) {
    assert!(factor > 0.0, "zoom factor must be > 0, got {factor}");
    let (m, off) = zoom_map(h, w, factor);
    affine(src, h, w, m, off, dst);
}

/// Shift the plane by `dx` pixels right and `dy` down (fractions interpolate bilinearly).
pub fn translate<T: Pixel>(src: &[T], h: usize, w: usize, dx: f64, dy: f64, dst: &mut [T]) {
    affine(src, h, w, [[1.0, 0.0], [0.0, 1.0]], [-dy, -dx], dst);
}

/// Scale the plane's deviations from its mean by `factor`, clipped to `[lo, hi]`.
pub fn contrast<T: Pixel>(src: &[T], factor: f64, lo: f64, hi: f64, dst: &mut [T]) {
    assert_eq!(src.len(), dst.len(), "contrast: planes of different sizes");
    let mean = src.iter().map(|p| p.to_f64()).sum::<f64>() / src.len().max(1) as f64;
    for (d, s) in dst.iter_mut().zip(src) {
        // α = 1 copies (m + (p − m) need not round to p); α = 0 gives m at every pixel.
        let v = if factor == 1.0 {
            s.to_f64()
        } else {
            mean + factor * (s.to_f64() - mean)
        };
        *d = T::from_f64(v.clamp(lo, hi));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(h: usize, w: usize) -> Vec<f64> {
        (0..h * w).map(|i| ((i * 37) % 11) as f64 + 1.0).collect()
    }

    #[test]
    fn identities_return_the_image_and_quarter_turns_permute_it() {
        let (h, w) = (5, 7);
        let src = plane(h, w);
        let mut dst = vec![0.0; h * w];
        for t in [
            Transform::Rotation,
            Transform::Translation,
            Transform::Scale,
            Transform::Contrast,
        ] {
            t.apply(t.identity(), &src, [1, h, w], 255.0, &mut dst);
            assert_eq!(dst, src, "{t:?}");
        }
        // A square plane turned 90° counter-clockwise: out[r][c] = in[c][n−1−r].
        let n = 6;
        let sq = plane(n, n);
        let mut out = vec![0.0; n * n];
        rotate(&sq, n, n, 90.0, &mut out);
        for r in 0..n {
            for c in 0..n {
                assert_eq!(out[r * n + c], sq[c * n + (n - 1 - r)], "({r}, {c})");
            }
        }
        // Four quarter turns, and 360°, are the identity.
        rotate(&sq, n, n, 360.0, &mut out);
        assert_eq!(out, sq);
    }

    #[test]
    fn translation_shifts_right_and_fills_with_zero() {
        let (h, w) = (2, 4);
        let src = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let mut dst = [0.0; 8];
        translate(&src, h, w, 1.0, 0.0, &mut dst);
        assert_eq!(dst, [0.0, 1.0, 2.0, 3.0, 0.0, 5.0, 6.0, 7.0]);
        translate(&src, h, w, -0.5, 0.0, &mut dst);
        assert_eq!(dst, [1.5, 2.5, 3.5, 0.0, 5.5, 6.5, 7.5, 0.0]);
    }

    #[test]
    fn contrast_zero_is_the_mean_and_large_contrast_clips() {
        let src = [0.0f32, 10.0, 20.0, 250.0];
        let mut dst = [0.0f32; 4];
        contrast(&src, 0.0, 0.0, 255.0, &mut dst);
        assert_eq!(dst, [70.0; 4]);
        contrast(&src, 2.0, 0.0, 255.0, &mut dst);
        assert_eq!(dst, [0.0, 0.0, 0.0, 255.0]);
    }

    #[test]
    fn default_values() {
        assert_eq!(Transform::Rotation.default_values().len(), 24);
        assert_eq!(Transform::Rotation.default_values()[23], 345.0);
        assert_eq!(
            Transform::Translation.default_values(),
            [-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0]
        );
        assert_eq!(Transform::Scale.default_values()[1], 0.7);
        assert_eq!(Transform::Scale.default_values()[8], 1.4);
        assert_eq!(Transform::Contrast.default_values()[8], 2.0);
    }
}
