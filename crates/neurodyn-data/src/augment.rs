//! Seeded augmentation of training images: a random affine map (rotation, shear, scale,
//! translation), an elastic deformation, brightness and contrast jitter, and additive Gaussian
//! pixel noise, each drawn afresh per image from a generator the caller seeds. Everything is off
//! by default ([`Augment::default`]); a vision run's `[train.augment]` table turns parts on.
//!
//! Pixels are values on the byte scale (0…255, as f32) before a network's normalisation; every
//! channel of an image gets the same geometric map and the same photometric draw. In order:
//!
//! ```text
//! 1. affine about the centre c:  output pixel p samples the input at  A⁻¹ (p − c − t) + c,
//!      A = s · R(θ) · Sh(φ),  θ ~ U(−rotation_deg, rotation_deg),  φ ~ U(−shear_deg, shear_deg)
//!      (a shear of x by tan φ · y),  s ~ U(scale),  t ~ U(−translate, translate) · (H, W)
//!      bilinear, 0 (black) outside the image: `image_transform::affine`
//! 2. elastic (Simard et al. 2003): displacement fields u, v ~ U(−1, 1) per pixel, each smoothed
//!      by a Gaussian of s.d. elastic_sigma pixels (zero beyond the edge, radius ⌈3σ⌉), times
//!      elastic_alpha; output pixel (r, c) samples the affine output at (r + v, c + u)
//! 3. contrast a ~ U(1 − contrast, 1 + contrast) about the image's mean m, brightness
//!      b ~ U(−brightness, brightness) · 255:   p ↦ m + a (p − m) + b
//! 4. noise: p ↦ p + noise_std · 255 · N(0, 1); then every pixel clipped to [0, 255]
//! ```
//!
//! A part whose parameter is 0 (or whose scale range is `[1, 1]`) draws nothing, so turning one
//! part on does not change the draws of the others' off state. Scratch buffers live in
//! [`Augmenter`]; nothing allocates per image once they have grown.

use crate::image_transform::{affine, bilinear, centre, cos_sin_degrees};
use neurodyn_core::Rng;
use serde::{Deserialize, Serialize};

/// What to augment and how much (`[train.augment]`); every key optional, all off by default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Augment {
    /// Largest rotation, degrees either way.
    pub rotation_deg: f64,
    /// Largest shift, as a fraction of the image's height and width, either way.
    pub translate: f64,
    /// Range of the zoom factor (> 1 enlarges), e.g. `[0.9, 1.1]`.
    pub scale: [f64; 2],
    /// Largest shear angle, degrees either way.
    pub shear_deg: f64,
    /// Elastic deformation: the displacement's scale in pixels (0: none; Simard et al. used 34
    /// with σ = 4 on MNIST).
    pub elastic_alpha: f64,
    /// Elastic deformation: the smoothing's standard deviation in pixels.
    pub elastic_sigma: f64,
    /// Largest brightness shift, as a fraction of the pixel range, either way.
    pub brightness: f64,
    /// Largest relative change of contrast, either way (0.2: factors in [0.8, 1.2]).
    pub contrast: f64,
    /// Standard deviation of additive Gaussian noise, as a fraction of the pixel range.
    pub noise_std: f64,
}

impl Default for Augment {
    fn default() -> Self {
        Augment {
            rotation_deg: 0.0,
            translate: 0.0,
            scale: [1.0, 1.0],
            shear_deg: 0.0,
            elastic_alpha: 0.0,
            elastic_sigma: 4.0,
            brightness: 0.0,
            contrast: 0.0,
            noise_std: 0.0,
        }
    }
}

impl Augment {
    /// Whether every part is off (the images pass unchanged).
    pub fn is_off(&self) -> bool {
        !self.geometric()
            && self.elastic_alpha == 0.0
            && !self.photometric()
            && self.noise_std == 0.0
    }

    fn geometric(&self) -> bool {
        self.rotation_deg != 0.0
            || self.translate != 0.0
            || self.scale != [1.0, 1.0]
            || self.shear_deg != 0.0
    }

    fn photometric(&self) -> bool {
        self.brightness != 0.0 || self.contrast != 0.0
    }

    /// Check every value; the error names the key (`train.augment.scale`) and the range.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let key = |k: &str| format!("train.augment.{k}");
        let finite_in = |k: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err((key(k), format!("{v} is not in [{lo}, {hi}]")))
            }
        };
        finite_in("rotation_deg", self.rotation_deg, 0.0, 180.0)?;
        finite_in("translate", self.translate, 0.0, 0.5)?;
        finite_in("shear_deg", self.shear_deg, 0.0, 60.0)?;
        finite_in("elastic_alpha", self.elastic_alpha, 0.0, 1000.0)?;
        finite_in("elastic_sigma", self.elastic_sigma, 0.1, 100.0)?;
        finite_in("brightness", self.brightness, 0.0, 1.0)?;
        finite_in("contrast", self.contrast, 0.0, 1.0)?;
        finite_in("noise_std", self.noise_std, 0.0, 10.0)?;
        let [lo, hi] = self.scale;
        if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi && hi <= 10.0) {
            return Err((
                key("scale"),
                format!("[{lo}, {hi}] is not a range 0 < low ≤ high ≤ 10"),
            ));
        }
        Ok(())
    }
}

/// Applies an [`Augment`] to images, keeping its scratch buffers between calls.
#[derive(Debug)]
pub struct Augmenter {
    aug: Augment,
    /// The Gaussian kernel of the elastic smoothing (radius ⌈3σ⌉, summing to 1).
    kernel: Vec<f64>,
    plane: Vec<f64>,
    warped: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    tmp: Vec<f64>,
    out: Vec<f64>,
}

impl Augmenter {
    /// An augmenter of `aug` (assumed valid: see [`Augment::validate`]).
    pub fn new(aug: Augment) -> Augmenter {
        let sigma = aug.elastic_sigma.max(1e-3);
        let radius = (3.0 * sigma).ceil() as i64;
        let mut kernel: Vec<f64> = (-radius..=radius)
            .map(|k| (-(k * k) as f64 / (2.0 * sigma * sigma)).exp())
            .collect();
        let sum: f64 = kernel.iter().sum();
        kernel.iter_mut().for_each(|k| *k /= sum);
        Augmenter {
            aug,
            kernel,
            plane: Vec::new(),
            warped: Vec::new(),
            u: Vec::new(),
            v: Vec::new(),
            tmp: Vec::new(),
            out: Vec::new(),
        }
    }

    /// The settings.
    pub fn augment(&self) -> &Augment {
        &self.aug
    }

    /// Augment one image `src` (`(C, H, W)` bytes) into `dst` (pixel values 0…255, same
    /// length), drawing from `rng`.
    pub fn apply(
        &mut self,
        src: &[u8],
        (c, h, w): (usize, usize, usize),
        rng: &mut Rng,
        dst: &mut [f32],
    ) {
        let plane = h * w;
        assert!(
            src.len() == c * plane && dst.len() == src.len(),
            "augment: {} bytes and {} outputs for a ({c}, {h}, {w}) image",
            src.len(),
            dst.len()
        );
        let a = self.aug.clone();
        // 1. The affine map's draws.
        let map = a.geometric().then(|| {
            let theta = rng.uniform_range(-a.rotation_deg, a.rotation_deg);
            let phi = rng.uniform_range(-a.shear_deg, a.shear_deg);
            let s = if a.scale[0] < a.scale[1] {
                rng.uniform_range(a.scale[0], a.scale[1])
            } else {
                a.scale[0]
            };
            let ty = rng.uniform_range(-a.translate, a.translate) * h as f64;
            let tx = rng.uniform_range(-a.translate, a.translate) * w as f64;
            inverse_map(h, w, theta, phi, s, (ty, tx))
        });
        // 2. The displacement fields.
        let elastic = a.elastic_alpha != 0.0;
        if elastic {
            for f in [&mut self.u, &mut self.v] {
                f.clear();
                f.extend((0..plane).map(|_| rng.uniform_range(-1.0, 1.0)));
            }
            smooth(
                &mut self.u,
                &mut self.tmp,
                &self.kernel,
                h,
                w,
                a.elastic_alpha,
            );
            smooth(
                &mut self.v,
                &mut self.tmp,
                &self.kernel,
                h,
                w,
                a.elastic_alpha,
            );
        }
        // 3. The photometric draws.
        let (contrast, brightness) = if a.photometric() {
            (
                rng.uniform_range(1.0 - a.contrast, 1.0 + a.contrast),
                rng.uniform_range(-a.brightness, a.brightness) * 255.0,
            )
        } else {
            (1.0, 0.0)
        };
        // The image: geometry plane by plane.
        self.out.clear();
        for ch in 0..c {
            self.plane.clear();
            self.plane.extend(
                src[ch * plane..(ch + 1) * plane]
                    .iter()
                    .map(|&p| f64::from(p)),
            );
            self.warped.resize(plane, 0.0);
            match map {
                Some((m, off)) => affine(&self.plane, h, w, m, off, &mut self.warped),
                None => self.warped.copy_from_slice(&self.plane),
            }
            if elastic {
                let (uu, vv) = (&self.u, &self.v);
                let offsets = |r: usize, col: usize| (vv[r * w + col], uu[r * w + col]);
                displace(&self.warped, h, w, offsets, &mut self.plane);
                std::mem::swap(&mut self.plane, &mut self.warped);
            }
            self.out.extend_from_slice(&self.warped);
        }
        // Photometric, noise, clipping.
        let mean = if contrast != 1.0 {
            self.out.iter().sum::<f64>() / self.out.len().max(1) as f64
        } else {
            0.0
        };
        let noise = a.noise_std * 255.0;
        for (d, &p) in dst.iter_mut().zip(&self.out) {
            let mut v = if contrast != 1.0 {
                mean + contrast * (p - mean)
            } else {
                p
            } + brightness;
            if noise != 0.0 {
                v += noise * rng.normal();
            }
            *d = v.clamp(0.0, 255.0) as f32;
        }
    }
}

/// The inverse affine map (matrix and offset in `(row, column)` index coordinates) of scale `s`
/// times rotation `theta` (degrees, counter-clockwise as displayed) times a shear of x by
/// tan `phi` · y, about the centre, followed by a shift `(ty, tx)` pixels.
fn inverse_map(
    h: usize,
    w: usize,
    theta: f64,
    phi: f64,
    s: f64,
    (ty, tx): (f64, f64),
) -> ([[f64; 2]; 2], [f64; 2]) {
    // Forward, on (x, y) = (column, row) with y down: rotation counter-clockwise as displayed
    // is [[cos, sin], [−sin, cos]] on (x, y); the shear x += tan φ · y.
    let (cos, sin) = cos_sin_degrees(theta);
    let sh = phi.to_radians().tan();
    let r = [[cos, sin], [-sin, cos]];
    let shear = [[1.0, sh], [0.0, 1.0]];
    let mut f = [[0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            f[i][j] = s * (r[i][0] * shear[0][j] + r[i][1] * shear[1][j]);
        }
    }
    // Inverse on (x, y), then written on (row, column) = (y, x).
    let det = f[0][0] * f[1][1] - f[0][1] * f[1][0];
    let inv = [
        [f[1][1] / det, -f[0][1] / det],
        [-f[1][0] / det, f[0][0] / det],
    ];
    let m = [[inv[1][1], inv[1][0]], [inv[0][1], inv[0][0]]];
    // p_in = M (p_out − ctr − t) + ctr.
    let ctr = centre(h, w);
    let q = [ctr[0] + ty, ctr[1] + tx];
    let off = [
        ctr[0] - (m[0][0] * q[0] + m[0][1] * q[1]),
        ctr[1] - (m[1][0] * q[0] + m[1][1] * q[1]),
    ];
    (m, off)
}

/// Smooth the `(h, w)` field `f` with the separable Gaussian `kernel` (zero beyond the edge)
/// and scale it by `alpha`.
fn smooth(f: &mut [f64], tmp: &mut Vec<f64>, kernel: &[f64], h: usize, w: usize, alpha: f64) {
    let r = (kernel.len() / 2) as i64;
    tmp.clear();
    tmp.resize(h * w, 0.0);
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (k, &g) in kernel.iter().enumerate() {
                let xx = x as i64 + k as i64 - r;
                if (0..w as i64).contains(&xx) {
                    acc += g * f[y * w + xx as usize];
                }
            }
            tmp[y * w + x] = acc;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (k, &g) in kernel.iter().enumerate() {
                let yy = y as i64 + k as i64 - r;
                if (0..h as i64).contains(&yy) {
                    acc += g * tmp[yy as usize * w + x];
                }
            }
            f[y * w + x] = alpha * acc;
        }
    }
}

/// Output pixel `(r, c)` samples `src` bilinearly at `(r + dy, c + dx)` with `(dy, dx) =
/// offsets(r, c)`, 0 outside the plane.
fn displace(
    src: &[f64],
    h: usize,
    w: usize,
    offsets: impl Fn(usize, usize) -> (f64, f64),
    dst: &mut Vec<f64>,
) {
    dst.clear();
    let (hm, wm) = (h as f64 - 1.0, w as f64 - 1.0);
    for r in 0..h {
        for c in 0..w {
            let (dy, dx) = offsets(r, c);
            let (y, x) = (r as f64 + dy, c as f64 + dx);
            dst.push(if y >= 0.0 && y <= hm && x >= 0.0 && x <= wm {
                bilinear(src, h, w, y, x)
            } else {
                0.0
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image_transform::{rotate, translate, zoom};

    fn digit() -> (Vec<u8>, usize, usize) {
        let (h, w) = (12, 10);
        let img = (0..h * w)
            .map(|i| {
                let (r, c) = (i / w, i % w);
                if (3..9).contains(&r) && (2..6).contains(&c) {
                    (40 * r + 7 * c) as u8
                } else {
                    0
                }
            })
            .collect();
        (img, h, w)
    }

    #[test]
    fn off_is_the_identity_and_draws_nothing() {
        let (img, h, w) = digit();
        let mut a = Augmenter::new(Augment::default());
        assert!(a.augment().is_off());
        let mut rng = Rng::new(5);
        let mut out = vec![0.0f32; h * w];
        a.apply(&img, (1, h, w), &mut rng, &mut out);
        assert!(img.iter().zip(&out).all(|(&p, &o)| f32::from(p) == o));
        assert_eq!(rng.next_u64(), Rng::new(5).next_u64(), "no draw");
    }

    /// Each geometric part alone is the matching fixed transform at the drawn value, which the
    /// tuning analysis' transforms (scipy goldens) give.
    #[test]
    fn geometric_parts_match_the_fixed_transforms() {
        let (img, h, w) = digit();
        let src: Vec<f64> = img.iter().map(|&p| f64::from(p)).collect();
        let close = |a: &[f32], b: &[f64], what: &str| {
            for (k, (x, y)) in a.iter().zip(b).enumerate() {
                assert!(
                    (f64::from(*x) - y.clamp(0.0, 255.0)).abs() < 1e-3,
                    "{what} pixel {k}: {x} vs {y}"
                );
            }
        };
        let mut out = vec![0.0f32; h * w];
        let mut want = vec![0.0f64; h * w];
        // Rotation: θ is the first draw.
        let aug = Augment {
            rotation_deg: 30.0,
            ..Augment::default()
        };
        let mut r = Rng::new(1);
        Augmenter::new(aug).apply(&img, (1, h, w), &mut r, &mut out);
        let theta = Rng::new(1).uniform_range(-30.0, 30.0);
        rotate(&src, h, w, theta, &mut want);
        close(&out, &want, "rotation");
        // Zoom: the third draw (θ and φ draw zero-width ranges first).
        let aug = Augment {
            scale: [0.8, 1.2],
            ..Augment::default()
        };
        Augmenter::new(aug).apply(&img, (1, h, w), &mut Rng::new(2), &mut out);
        let mut g = Rng::new(2);
        g.uniform_range(0.0, 0.0);
        g.uniform_range(0.0, 0.0);
        let s = g.uniform_range(0.8, 1.2);
        zoom(&src, h, w, s, &mut want);
        close(&out, &want, "zoom");
        // Translation: rows then columns, fractions of the sides.
        let aug = Augment {
            translate: 0.2,
            ..Augment::default()
        };
        Augmenter::new(aug).apply(&img, (1, h, w), &mut Rng::new(3), &mut out);
        let mut g = Rng::new(3);
        g.uniform_range(0.0, 0.0);
        g.uniform_range(0.0, 0.0);
        let ty = g.uniform_range(-0.2, 0.2) * h as f64;
        let tx = g.uniform_range(-0.2, 0.2) * w as f64;
        translate(&src, h, w, tx, ty, &mut want);
        close(&out, &want, "translation");
    }

    #[test]
    fn shear_moves_rows_sideways_in_proportion_to_their_distance_from_the_centre() {
        // A shear of 45° and nothing else: row r's content shifts by (r − ctr) columns.
        let (h, w) = (9, 9);
        let m = inverse_map(h, w, 0.0, 45.0, 1.0, (0.0, 0.0));
        // Output (r, c) samples input (r, c − (r − 4)).
        for (r, c) in [(0usize, 0usize), (8, 8), (4, 2), (6, 1)] {
            let y = m.0[0][0] * r as f64 + m.0[0][1] * c as f64 + m.1[0];
            let x = m.0[1][0] * r as f64 + m.0[1][1] * c as f64 + m.1[1];
            assert!((y - r as f64).abs() < 1e-12, "row {y}");
            assert!(
                (x - (c as f64 - (r as f64 - 4.0))).abs() < 1e-12,
                "({r}, {c}) samples column {x}"
            );
        }
    }

    #[test]
    fn draws_depend_on_the_seed_only_and_photometry_keeps_the_range() {
        let (img, h, w) = digit();
        let aug = Augment {
            rotation_deg: 15.0,
            translate: 0.1,
            scale: [0.9, 1.1],
            shear_deg: 10.0,
            elastic_alpha: 8.0,
            elastic_sigma: 3.0,
            brightness: 0.2,
            contrast: 0.3,
            noise_std: 0.1,
        };
        aug.validate().expect("valid");
        let mut a = Augmenter::new(aug.clone());
        let mut b = Augmenter::new(aug);
        let run = |aug: &mut Augmenter, seed| {
            let mut out = vec![0.0f32; 2 * h * w];
            let two: Vec<u8> = img.iter().chain(&img).copied().collect();
            aug.apply(&two, (2, h, w), &mut Rng::new(seed), &mut out);
            out
        };
        let (x, y, z) = (run(&mut a, 7), run(&mut b, 7), run(&mut a, 8));
        assert_eq!(x, y, "same seed, same image");
        assert_ne!(x, z, "another seed, another image");
        assert!(x.iter().all(|v| (0.0..=255.0).contains(v)));
        // Both channels got the same geometry: without noise they would be equal; with it they
        // differ by noise only (|Δ| small next to the pixel range).
        let mean_diff = x[..h * w]
            .iter()
            .zip(&x[h * w..])
            .map(|(p, q)| (p - q).abs())
            .sum::<f32>()
            / (h * w) as f32;
        assert!(mean_diff < 0.1 * 255.0 * 2.0, "{mean_diff}");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (aug, key) in [
            (
                Augment {
                    scale: [1.2, 0.8],
                    ..Augment::default()
                },
                "train.augment.scale",
            ),
            (
                Augment {
                    rotation_deg: f64::NAN,
                    ..Augment::default()
                },
                "train.augment.rotation_deg",
            ),
            (
                Augment {
                    translate: 0.7,
                    ..Augment::default()
                },
                "train.augment.translate",
            ),
            (
                Augment {
                    noise_std: -1.0,
                    ..Augment::default()
                },
                "train.augment.noise_std",
            ),
        ] {
            assert_eq!(aug.validate().expect_err("invalid").0, key);
        }
    }
}
