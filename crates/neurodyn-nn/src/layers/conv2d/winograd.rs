//! Winograd's minimal filtering F(m×m, 3×3) for the 3×3 convolutions at stride 1, padding 1,
//! dilation 1 (the conv-ctrnn's recurrent convolutions), with tiles of m×m outputs read from
//! n×n windows, n = m + 2: n² products of `P×C` by `C×C'` in place of one of `C'×9C` by
//! `9C×m²P`. m = 4 ([`WinogradTile::F4`]) does 4 times fewer multiply-adds than im2col on maps
//! whose sides are multiples of 4 (3.06 on 14×14 and 7×7, whose last tiles are partly padding);
//! m = 2 ([`WinogradTile::F2`]) 2.25 times fewer (14×14: 2.25, 7×7: 1.72), with smaller
//! constants in its transforms and so f32 sums closer to im2col's. [`WinogradTile::for_map`]
//! picks the one with fewer products for a map.
//!
//! ```text
//! tiles      m×m outputs each: ⌈H/m⌉ × ⌈W/m⌉ a sample, read from n×n windows of the padded input
//! U_ξ[o, c]  = (G g Gᵀ)_ξ         per filter g = W[o, c], ξ one of the n² places of a tile
//! V_ξ[p, c]  = (Bᵀ d B)_ξ         d the n×n window of channel c under tile p
//! M_ξ        = V_ξ · U_ξᵀ         (P × C'), one product per ξ
//! y          = b + Aᵀ M A         the tile's m×m outputs (clipped at the map's edge)
//!
//! F(2×2, 3×3):
//! Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//! Aᵀ = [1 1 1 0; 0 1 −1 −1]
//! F(4×4, 3×3):
//! Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
//! G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1],
//! Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
//!
//! backward:  ∂M = A ∂y Aᵀ,  ∂U_ξᵀ += V_ξᵀ · ∂M_ξ,  ∂V_ξ = ∂M_ξ · U_ξ,
//!            ∂x += B ∂V Bᵀ (windows overlap: added tile by tile, in order),  ∂g = Gᵀ ∂U G
//! ```
//!
//! The transforms run on channels-last copies (a sample's padded input, its output, their
//! gradients), so each is element-wise over 16 (or 8) channels at a time whatever the map's
//! size, in AVX-512 or AVX2 registers for f32 ([`crate::kernels::lanes`]; the same bits as the
//! plain arrays of f64 and the portable path); the products then take the engine's kernel with
//! every right operand as stored. The sums differ from im2col's (another formula, equal in exact
//! arithmetic) in the last places of f32 (F(4×4): a few more places, its transforms scale by up
//! to 8 and 1/24); each output is still the same sum whatever the chunk or the thread count.

use super::{add_bias_grad, Conv2d};
use crate::kernels::lanes::{lanes_any, lanes_f32, Lane, LaneWork};
use crate::kernels::strided::{gemm_s, sv};
use crate::kernels::transpose_strided;
use crate::layers::numel;
use crate::linalg::Trans;
use crate::real::Real;

/// Tiles a chunk aims for: the products' row count.
const CHUNK_TILES: usize = 256;

/// The tile of Winograd's F(m×m, 3×3) a convolution computes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinogradTile {
    /// F(2×2, 3×3): 4×4 windows, 16 products.
    F2,
    /// F(4×4, 3×3): 6×6 windows, 36 products.
    F4,
}

impl WinogradTile {
    /// The tile for an output map of `h × w`: the one with fewer products per output, counting
    /// the padding of partly filled tiles (F(4×4) on 14×14 and 7×7 maps: 2.94 products an output
    /// against 4 and 5.22; F(2×2) on 2×2, 5×5 and 6×6). F(4×4)'s transforms cost more per
    /// value, but it writes and reads fewer transformed values per output (2.25 against 4): in
    /// the default conv-ctrnn's pass, where the states come from memory, F(4×4) everywhere took
    /// 4–7 % less time than F(2×2) everywhere (`examples/conv_ctrnn_tiles.rs`).
    pub fn for_map(h: usize, w: usize) -> WinogradTile {
        let per_output = |m: usize, n: usize| {
            (h.div_ceil(m) * w.div_ceil(m) * n * n) as f64 / (h * w).max(1) as f64
        };
        if per_output(4, 6) < per_output(2, 4) {
            WinogradTile::F4
        } else {
            WinogradTile::F2
        }
    }

    /// Outputs per tile side (m).
    pub fn m(self) -> usize {
        match self {
            WinogradTile::F2 => 2,
            WinogradTile::F4 => 4,
        }
    }

    /// Window side (n = m + 2).
    pub(super) fn n(self) -> usize {
        self.m() + 2
    }

    /// G (n × 3), row by row.
    fn g(self) -> &'static [[f64; 3]] {
        const G2: [[f64; 3]; 4] = [
            [1.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.5, -0.5, 0.5],
            [0.0, 0.0, 1.0],
        ];
        const G4: [[f64; 3]; 6] = [
            [0.25, 0.0, 0.0],
            [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
            [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
            [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
            [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
            [0.0, 0.0, 1.0],
        ];
        match self {
            WinogradTile::F2 => &G2,
            WinogradTile::F4 => &G4,
        }
    }
}

/// `Bᵀ x` over one line of `N` values (N = 4: F(2×2), 6: F(4×4)).
#[inline(always)]
fn bt<V: Lane, const N: usize>(x: &[V; N]) -> [V; N] {
    let mut o = *x;
    let (x, out) = (&x[..], &mut o[..]);
    if N == 4 {
        // (x0 − x2, x1 + x2, x2 − x1, x1 − x3)
        out[0] = x[0].sub(x[2]);
        out[1] = x[1].add(x[2]);
        out[2] = x[2].sub(x[1]);
        out[3] = x[1].sub(x[3]);
    } else {
        // t0 = x4 − 4x2, t1 = x3 − 4x1, t2 = x4 − x2, t3 = 2(x3 − x1):
        // (4x0 − 5x2 + x4, t0 + t1, t0 − t1, t2 + t3, t2 − t3, 4x1 − 5x3 + x5)
        let t0 = x[4].add(x[2].scale(-4.0));
        let t1 = x[3].add(x[1].scale(-4.0));
        let t2 = x[4].sub(x[2]);
        let t3 = x[3].sub(x[1]).scale(2.0);
        out[0] = x[0].scale(4.0).sub(x[2].scale(5.0)).add(x[4]);
        out[1] = t0.add(t1);
        out[2] = t0.sub(t1);
        out[3] = t2.add(t3);
        out[4] = t2.sub(t3);
        out[5] = x[1].scale(4.0).sub(x[3].scale(5.0)).add(x[5]);
    }
    o
}

/// `B x`, the adjoint of [`bt`].
#[inline(always)]
fn b_adj<V: Lane, const N: usize>(x: &[V; N]) -> [V; N] {
    let mut o = *x;
    let (x, out) = (&x[..], &mut o[..]);
    if N == 4 {
        // (x0, x1 − x2 + x3, x1 + x2 − x0, −x3)
        out[0] = x[0];
        out[1] = x[1].sub(x[2]).add(x[3]);
        out[2] = x[1].add(x[2]).sub(x[0]);
        out[3] = x[3].neg();
    } else {
        // (4x0, 4(x2 − x1) + 2(x4 − x3) + 4x5, −5x0 − 4(x1 + x2) − (x3 + x4),
        //  (x1 − x2) + 2(x3 − x4) − 5x5, x0 + x1 + x2 + x3 + x4, x5)
        let (s12, d21) = (x[1].add(x[2]), x[2].sub(x[1]));
        let (s34, d43) = (x[3].add(x[4]), x[4].sub(x[3]));
        out[0] = x[0].scale(4.0);
        out[1] = d21.scale(4.0).add(d43.scale(2.0)).add(x[5].scale(4.0));
        out[2] = x[0].scale(-5.0).sub(s12.scale(4.0)).sub(s34);
        out[3] = d21.neg().sub(d43.scale(2.0)).sub(x[5].scale(5.0));
        out[4] = x[0].add(s12).add(s34);
        out[5] = x[5];
    }
    o
}

/// `Aᵀ x`: a line of `N` transformed values to its `M` outputs.
#[inline(always)]
fn at_<V: Lane, const N: usize, const M: usize>(x: &[V; N]) -> [V; M] {
    let mut o = [x[0]; M];
    let (x, out) = (&x[..], &mut o[..]);
    if N == 4 {
        // (x0 + x1 + x2, x1 − x2 − x3)
        out[0] = x[0].add(x[1]).add(x[2]);
        out[1] = x[1].sub(x[2]).sub(x[3]);
    } else {
        // s = x1 + x2, d = x1 − x2, S = x3 + x4, D = x3 − x4:
        // (x0 + s + S, d + 2D, s + 4S, d + 8D + x5)
        let (s, d) = (x[1].add(x[2]), x[1].sub(x[2]));
        let (s2, d2) = (x[3].add(x[4]), x[3].sub(x[4]));
        out[0] = x[0].add(s).add(s2);
        out[1] = d.add(d2.scale(2.0));
        out[2] = s.add(s2.scale(4.0));
        out[3] = d.add(d2.scale(8.0)).add(x[5]);
    }
    o
}

/// `A x`, the adjoint of [`at_`]: `M` output gradients to a line of `N`.
#[inline(always)]
fn a_adj<V: Lane, const M: usize, const N: usize>(x: &[V; M]) -> [V; N] {
    let mut o = [x[0]; N];
    let (x, out) = (&x[..], &mut o[..]);
    if N == 4 {
        // (x0, x0 + x1, x0 − x1, −x1)
        out[0] = x[0];
        out[1] = x[0].add(x[1]);
        out[2] = x[0].sub(x[1]);
        out[3] = x[1].neg();
    } else {
        // p = x0 + x2, q = x1 + x3, P = x0 + 4x2, Q = 2x1 + 8x3:
        // (x0, p + q, p − q, P + Q, P − Q, x3)
        let (p, q) = (x[0].add(x[2]), x[1].add(x[3]));
        let pp = x[0].add(x[2].scale(4.0));
        let qq = x[1].scale(2.0).add(x[3].scale(8.0));
        out[0] = x[0];
        out[1] = p.add(q);
        out[2] = p.sub(q);
        out[3] = pp.add(qq);
        out[4] = pp.sub(qq);
        out[5] = x[3];
    }
    o
}

/// `N` lanes from `s`, at `at`, `at + stride`, …. Plain loops, no closures: a closure is a
/// function of its own, not compiled for the caller's instruction set, so its vector operations
/// would become calls.
#[inline(always)]
fn load_line<V: Lane, const N: usize>(s: &[V::Elem], at: usize, stride: usize) -> [V; N] {
    let mut o = [V::zero(); N];
    for (i, oi) in o.iter_mut().enumerate() {
        *oi = V::load(&s[at + i * stride..]);
    }
    o
}

/// `v` into `s` at `at`, `at + stride`, ….
#[inline(always)]
fn store_line<V: Lane, const N: usize>(s: &mut [V::Elem], at: usize, stride: usize, v: &[V; N]) {
    for (i, vi) in v.iter().enumerate() {
        vi.store(&mut s[at + i * stride..]);
    }
}

/// Column `k` of `rows`: `[rows[0][k], rows[1][k], …]`.
#[inline(always)]
fn column<V: Lane, const R: usize, const C: usize>(rows: &[[V; C]; R], k: usize) -> [V; R] {
    let mut o = [V::zero(); R];
    for (oi, r) in o.iter_mut().zip(rows) {
        *oi = r[k];
    }
    o
}

/// Plane `k` of `v`, planes of `n` values.
fn plane_of<T>(v: &[T], n: usize, k: usize) -> &[T] {
    &v[k * n..(k + 1) * n]
}

/// `out = Σ_k c_k · plane_k` over the terms whose coefficient is not 0, in order (a coefficient
/// of 1 adds the plane as it is).
fn combine<T: Real>(out: &mut [T], terms: &[(f64, &[T])]) {
    let mut first = true;
    for &(c, p) in terms {
        if c == 0.0 {
            continue;
        }
        let k = T::c(c);
        match (first, c == 1.0) {
            (true, true) => out.copy_from_slice(p),
            (true, false) => out.iter_mut().zip(p).for_each(|(o, &v)| *o = k * v),
            (false, true) => out.iter_mut().zip(p).for_each(|(o, &v)| *o += v),
            (false, false) => out.iter_mut().zip(p).for_each(|(o, &v)| *o += k * v),
        }
        first = false;
    }
    if first {
        out.fill(T::c(0.0));
    }
}

/// The transforms between a sample's channels-last map and its tiles' rows.
const INPUT: u8 = 0;
const INPUT_ADJOINT: u8 = 1;
const OUTPUT: u8 = 2;
const OUTPUT_ADJOINT: u8 = 3;

/// One sample's transform `K` between its channels-last map and tiles `p0..` of the
/// transformed rows (row `ξ·ld + p` of `width` channels), over lanes of channels
/// ([`lanes_f32`]: AVX-512 or AVX2 registers for f32, else arrays): `INPUT` `map → rows`,
/// `INPUT_ADJOINT` `rows → map` (every value of the padded map written, the windows' overlaps
/// added), `OUTPUT` `rows → map`, `OUTPUT_ADJOINT` `map → rows`.
struct Transform<'a, T, const K: u8> {
    conv: &'a Conv2d,
    map: &'a mut [T],
    rows: &'a mut [T],
    p0: usize,
}

impl<T: Real, const K: u8> LaneWork<T> for Transform<'_, T, K> {
    type Output = ();
    #[inline(always)]
    fn run<V: Lane<Elem = T>>(self) {
        let Transform {
            conv,
            map,
            rows,
            p0,
        } = self;
        match conv.wg_tile() {
            WinogradTile::F2 => conv.wg_tiles_on::<V, K, 2, 4>(map, rows, p0),
            WinogradTile::F4 => conv.wg_tiles_on::<V, K, 4, 6>(map, rows, p0),
        }
    }
}

/// The sizes of one part's pass.
struct Dims {
    /// Values of one input sample.
    in_len: usize,
    /// Input and output channels.
    ci: usize,
    co: usize,
    /// Output positions of one sample.
    hw: usize,
    /// Places of a tile's window (n²).
    nn: usize,
    /// Tiles of one sample.
    tiles: usize,
    /// Samples of the part, and of its chunks at most.
    batch: usize,
    s_max: usize,
    /// Tiles of a chunk at most.
    p_max: usize,
    /// Values of a sample's padded copy, channels last.
    padded: usize,
}

impl Conv2d {
    /// Whether the convolution is one that [`Conv2d::with_winograd`] applies to.
    pub fn winograd_fits(&self) -> bool {
        self.kernel == (3, 3)
            && self.stride == (1, 1)
            && self.padding == (1, 1)
            && self.dilation == (1, 1)
    }

    /// The tile of this convolution's Winograd passes (which run only when it has one).
    fn wg_tile(&self) -> WinogradTile {
        self.winograd.unwrap_or(WinogradTile::F2)
    }

    /// Channels of the map a transform `K` reads or writes: the input's for `INPUT` and
    /// `INPUT_ADJOINT`, the output's for the others.
    fn wg_width(&self, k: u8) -> usize {
        if k == INPUT || k == INPUT_ADJOINT {
            self.in_shape[0]
        } else {
            self.c_out
        }
    }

    /// Tiles down and across a sample.
    fn wg_tiles(&self) -> (usize, usize) {
        let m = self.wg_tile().m();
        (self.out_hw.0.div_ceil(m), self.out_hw.1.div_ceil(m))
    }

    /// Samples per chunk for a part of `batch` samples.
    pub(super) fn wg_chunk(&self, batch: usize) -> usize {
        let (th, tw) = self.wg_tiles();
        (CHUNK_TILES / (th * tw)).clamp(1, batch.max(1))
    }

    /// The sizes of a part whose input holds `x_len` values.
    fn wg_dims(&self, x_len: usize) -> Dims {
        let in_len = numel(self.in_shape);
        let (th, tw) = self.wg_tiles();
        let (hp, wp) = self.wg_padded();
        let batch = x_len / in_len;
        let s_max = self.wg_chunk(batch);
        let n = self.wg_tile().n();
        Dims {
            in_len,
            ci: self.in_shape[0],
            co: self.c_out,
            hw: self.out_hw.0 * self.out_hw.1,
            nn: n * n,
            tiles: th * tw,
            batch,
            s_max,
            p_max: s_max * th * tw,
            padded: hp * wp * self.in_shape[0],
        }
    }

    /// Rows and columns of the padded input, channels last: `m·th + 2` by `m·tw + 2`.
    fn wg_padded(&self) -> (usize, usize) {
        let (th, tw) = self.wg_tiles();
        let m = self.wg_tile().m();
        (m * th + 2, m * tw + 2)
    }

    /// Working space of one part whose chunks hold up to `s` samples: forward a sample's
    /// padded input and output channels last, `Uᵀ`, `V` and `M`; backward the padded input and
    /// its gradient, the output's gradient, `U`, `∂Uᵀ`, `V`, `∂V` and `∂M`; both the weight
    /// transforms' scratch.
    pub(super) fn wg_part_len(&self, s: usize, backward: bool) -> usize {
        let (ci, co) = (self.in_shape[0], self.c_out);
        let (th, tw) = self.wg_tiles();
        let (hp, wp) = self.wg_padded();
        let nn = self.wg_tile().n().pow(2);
        let p = s * th * tw;
        let (xh, yh) = (hp * wp * ci, self.out_hw.0 * self.out_hw.1 * co);
        let (xt, u, v, m) = (numel(self.in_shape), nn * ci * co, nn * ci * p, nn * co * p);
        let wsc = self.wg_weight_scratch();
        if backward {
            2 * xh + xt + yh + 2 * u + 2 * v + m + wsc
        } else {
            xh + xt + yh + u + v + m + wsc
        }
    }

    /// `Uᵀ` then `U` from the weight `(C', C, 3, 3)` into `pre` ([`Conv2d::prepared_len`]),
    /// as the passes would compute them (`scratch`: [`Conv2d::wg_weight_scratch`]).
    pub(super) fn wg_prepare<T: Real>(&self, w: &[T], pre: &mut [T], scratch: &mut [T]) {
        let (u_t, u) = pre.split_at_mut(pre.len() / 2);
        let wsc = &mut scratch[..self.wg_weight_scratch()];
        self.wg_weights(w, u_t, true, wsc);
        self.wg_weights(w, u, false, wsc);
    }

    /// Scratch of the weight transforms: `9 + 3n + n²` planes of `C'·C` values.
    pub(super) fn wg_weight_scratch(&self) -> usize {
        let n = self.wg_tile().n();
        (9 + 3 * n + n * n) * self.in_shape[0] * self.c_out
    }

    /// `U[ξ][o][c] = (G g Gᵀ)_ξ` from the weight `(C', C, 3, 3)`, or its transpose `U[ξ][c][o]`,
    /// plane by plane over the `C'·C` filters (`scratch`: [`Conv2d::wg_weight_scratch`]).
    fn wg_weights<T: Real>(&self, w: &[T], u: &mut [T], transposed: bool, scratch: &mut [T]) {
        let (ci, co) = (self.in_shape[0], self.c_out);
        let g = self.wg_tile().g();
        let nt = g.len();
        let n = ci * co;
        let (w9, rest) = scratch.split_at_mut(9 * n);
        let (gg, rest) = rest.split_at_mut(3 * nt * n);
        let plain = &mut rest[..nt * nt * n];
        // Tap (r, q) of every filter as one plane: w9[3r + q][o·C + c].
        transpose_strided(w, 9, w9, n, n, 9);
        // G g: gg[a][q] = Σ_r G[a][r] g[r][q].
        for (k, out) in gg.chunks_exact_mut(n).enumerate() {
            let (a, q) = (k / 3, k % 3);
            let terms: [(f64, &[T]); 3] =
                std::array::from_fn(|r| (g[a][r], plane_of(w9, n, 3 * r + q)));
            combine(out, &terms);
        }
        // (G g) Gᵀ: U[a][b] = Σ_q gg[a][q] G[b][q].
        let dst: &mut [T] = if transposed {
            &mut *plain
        } else {
            &mut u[..nt * nt * n]
        };
        for (xi, out) in dst.chunks_exact_mut(n).enumerate() {
            let (a, b) = (xi / nt, xi % nt);
            let terms: [(f64, &[T]); 3] =
                std::array::from_fn(|q| (g[b][q], plane_of(gg, n, 3 * a + q)));
            combine(out, &terms);
        }
        if transposed {
            for (src, out) in plain.chunks_exact(n).zip(u.chunks_exact_mut(n)) {
                transpose_strided(src, ci, out, co, co, ci);
            }
        }
    }

    /// `∂W (C', C, 3, 3) = Gᵀ ∂U G` from `∂Uᵀ[ξ][c][o]`, plane by plane (`scratch`:
    /// [`Conv2d::wg_weight_scratch`]).
    pub(super) fn wg_weights_adjoint<T: Real>(&self, du_t: &[T], dw: &mut [T], scratch: &mut [T]) {
        let (ci, co) = (self.in_shape[0], self.c_out);
        let g = self.wg_tile().g();
        let nt = g.len();
        let n = ci * co;
        let (g9, rest) = scratch.split_at_mut(9 * n);
        let (r, rest) = rest.split_at_mut(3 * nt * n);
        let du = &mut rest[..nt * nt * n];
        for (src, out) in du_t.chunks_exact(n).zip(du.chunks_exact_mut(n)) {
            transpose_strided(src, co, out, ci, ci, co);
        }
        // Gᵀ over the rows: r[q][b] = Σ_a G[a][q] ∂U[a][b].
        // At most n = 6 terms a plane: a fixed array, nothing allocated.
        let mut terms: [(f64, &[T]); 6] = [(0.0, &[]); 6];
        for (k, out) in r.chunks_exact_mut(n).enumerate() {
            let (q, b) = (k / nt, k % nt);
            for (a, term) in terms[..nt].iter_mut().enumerate() {
                *term = (g[a][q], plane_of(du, n, nt * a + b));
            }
            combine(out, &terms[..nt]);
        }
        // Then over the columns: g[q][t] = Σ_b r[q][b] G[b][t].
        for (k, out) in g9.chunks_exact_mut(n).enumerate() {
            let (q, t) = (k / 3, k % 3);
            for (b, term) in terms[..nt].iter_mut().enumerate() {
                *term = (g[b][t], plane_of(r, n, nt * q + b));
            }
            combine(out, &terms[..nt]);
        }
        transpose_strided(g9, n, dw, 9, 9, n);
    }

    /// The tile loop of one sample's transform `K`, lanes `V` of channels at a time, tiles of
    /// `M×M` outputs from `N×N` windows (see [`Transform`]). A tile's `N²` transformed rows are
    /// one block of `N²·width` values.
    #[inline(always)]
    fn wg_tiles_on<V: Lane, const K: u8, const M: usize, const N: usize>(
        &self,
        map: &mut [V::Elem],
        rows: &mut [V::Elem],
        p0: usize,
    ) {
        let (ho, wo) = self.out_hw;
        let (th, tw) = self.wg_tiles();
        let (_, wp) = self.wg_padded();
        let width = self.wg_width(K);
        // Steps between a padded map's rows and columns, in values.
        let (row, col) = (wp * width, width);
        let nn = N * N;
        for ty in 0..th {
            for tx in 0..tw {
                let tile = (p0 + ty * tw + tx) * nn * width;
                let blk = &mut rows[tile..tile + nn * width];
                // The window's (or the outputs') top-left value.
                let corner = if K == INPUT || K == INPUT_ADJOINT {
                    (M * ty * wp + M * tx) * width
                } else {
                    (M * ty * wo + M * tx) * width
                };
                // The tile's outputs inside the map.
                let (mh, mw) = ((ho - M * ty).min(M), (wo - M * tx).min(M));
                for cb in (0..width).step_by(V::WIDTH) {
                    match K {
                        INPUT => {
                            // Bᵀ over the rows (per column), then over the columns (per row).
                            // (Each array starts as copies of its first line, not zeros: zeroing
                            // 36 registers' worth of stack was a call to `memset` per tile.)
                            let mut cols: [[V; N]; N] = [bt(&load_line(map, corner + cb, row)); N];
                            for (j, c) in cols.iter_mut().enumerate().skip(1) {
                                *c = bt(&load_line(map, corner + j * col + cb, row));
                            }
                            for a in 0..N {
                                let v: [V; N] = bt(&column(&cols, a));
                                store_line(blk, N * a * width + cb, width, &v);
                            }
                        }
                        INPUT_ADJOINT => {
                            // B over the columns (per row), then over the rows (per column).
                            let mut t: [[V; N]; N] = [b_adj(&load_line(blk, cb, width)); N];
                            for (a, ta) in t.iter_mut().enumerate().skip(1) {
                                *ta = b_adj(&load_line(blk, N * a * width + cb, width));
                            }
                            // The windows cover the padded map and overlap by N − M rows and
                            // columns: a value not covered by an earlier tile (up, left) is
                            // written, the others added to, in tile order.
                            for j in 0..N {
                                let d: [V; N] = b_adj(&column(&t, j));
                                for (i, &di) in d.iter().enumerate() {
                                    let at = corner + i * row + j * col + cb;
                                    let first = (ty == 0 || i >= N - M) && (tx == 0 || j >= N - M);
                                    let v = if first {
                                        di
                                    } else {
                                        V::load(&map[at..]).add(di)
                                    };
                                    v.store(&mut map[at..]);
                                }
                            }
                        }
                        OUTPUT => {
                            // Aᵀ over the columns (per row), then over the rows.
                            let mut part = [at_::<V, N, M>(&load_line(blk, cb, width)); N];
                            for (i, pi) in part.iter_mut().enumerate().skip(1) {
                                *pi = at_::<V, N, M>(&load_line(blk, N * i * width + cb, width));
                            }
                            let full = mh == M && mw == M;
                            for b in 0..M {
                                let y: [V; M] = at_::<V, N, M>(&column(&part, b));
                                for (a, ya) in y.iter().enumerate() {
                                    if full || (a < mh && b < mw) {
                                        ya.store(&mut map[corner + (a * wo + b) * width + cb..]);
                                    }
                                }
                            }
                        }
                        _ => {
                            // A over the rows (per output column), then over the columns; the
                            // outputs past the map's edge are zero.
                            let mut q = [[V::zero(); N]; M];
                            for (b, qb) in q.iter_mut().enumerate() {
                                let mut g = [V::zero(); M];
                                if b < mw {
                                    for (a, ga) in g.iter_mut().enumerate().take(mh) {
                                        *ga = V::load(&map[corner + (a * wo + b) * width + cb..]);
                                    }
                                }
                                *qb = a_adj::<V, M, N>(&g);
                            }
                            for i in 0..N {
                                let m: [V; N] = a_adj::<V, M, N>(&column(&q, i));
                                store_line(blk, N * i * width + cb, width, &m);
                            }
                        }
                    }
                }
            }
        }
    }

    /// One sample's transform `K` (see [`Transform`]): over AVX-512 or AVX2 registers for f32
    /// on those paths, else over arrays compiled for the active path.
    fn wg_transform<T: Real, const K: u8>(&self, map: &mut [T], rows: &mut [T], p0: usize) {
        let width = self.wg_width(K);
        if let (Some(map), Some(rows)) = (T::as_f32_mut(map), T::as_f32_mut(rows)) {
            lanes_f32(
                Transform::<f32, K> {
                    conv: self,
                    map,
                    rows,
                    p0,
                },
                width,
            );
        } else {
            lanes_any(
                Transform::<T, K> {
                    conv: self,
                    map,
                    rows,
                    p0,
                },
                width,
            );
        }
    }

    /// Sample `x (C, H, W)` into the interior of its channels-last padded copy `xh`, through
    /// `xt`, its channels-last copy without the border.
    fn wg_pad<T: Real>(&self, x: &[T], xh: &mut [T], xt: &mut [T]) {
        let [ci, h, w] = self.in_shape;
        let (_, wp) = self.wg_padded();
        transpose_strided(x, h * w, xt, ci, ci, h * w);
        for (r, row) in xt.chunks_exact(w * ci).enumerate() {
            let at = ((r + 1) * wp + 1) * ci;
            xh[at..at + w * ci].copy_from_slice(row);
        }
    }

    /// The interior of the channels-last padded gradient `dxh` into `dx (C, H, W)`, through
    /// `xt`.
    fn wg_unpad<T: Real>(&self, dxh: &[T], dx: &mut [T], xt: &mut [T]) {
        let [ci, h, w] = self.in_shape;
        let (_, wp) = self.wg_padded();
        for (r, row) in xt.chunks_exact_mut(w * ci).enumerate() {
            let at = ((r + 1) * wp + 1) * ci;
            row.copy_from_slice(&dxh[at..at + w * ci]);
        }
        transpose_strided(xt, ci, dx, h * w, h * w, ci);
    }

    /// The forward pass of consecutive samples by F(m×m, 3×3) (as `forward_part`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn wg_forward_part<T: Real>(
        &self,
        w: &[T],
        b: &[T],
        pre: Option<&[T]>,
        x: &[T],
        y: &mut [T],
        work: &mut [T],
        threads: usize,
    ) {
        let Dims {
            in_len,
            ci,
            co,
            hw,
            nn,
            tiles,
            batch,
            s_max,
            p_max,
            padded,
        } = self.wg_dims(x.len());
        let (xh, rest) = work.split_at_mut(padded);
        let (xt, rest) = rest.split_at_mut(in_len);
        let (yh, rest) = rest.split_at_mut(hw * co);
        let (u_t, rest) = rest.split_at_mut(nn * ci * co);
        let (v, rest) = rest.split_at_mut(nn * ci * p_max);
        let (m, rest) = rest.split_at_mut(nn * co * p_max);
        let wsc = &mut rest[..self.wg_weight_scratch()];
        xh.fill(T::c(0.0));
        // Uᵀ: prepared (the first half of `pre`), or transformed here.
        let u_t: &[T] = match pre {
            Some(p) => &p[..nn * ci * co],
            None => {
                self.wg_weights(w, u_t, true, wsc);
                u_t
            }
        };
        for n0 in (0..batch).step_by(s_max) {
            let s = s_max.min(batch - n0);
            let ld = s * tiles;
            let v = &mut v[..nn * ci * ld];
            for i in 0..s {
                self.wg_pad(&x[(n0 + i) * in_len..(n0 + i + 1) * in_len], xh, xt);
                self.wg_transform::<T, INPUT>(xh, v, i * tiles);
            }
            // M_ξ (P × C') = V_ξ (P × C) · U_ξᵀ (C × C'), rows n² apart.
            let m = &mut m[..nn * co * ld];
            for xi in 0..nn {
                gemm_s(
                    &mut m[xi * co..],
                    ld,
                    co,
                    nn * co,
                    sv(&v[xi * ci..], ld, ci, nn * ci),
                    Trans::N,
                    sv(&u_t[xi * ci * co..(xi + 1) * ci * co], ci, co, co),
                    Trans::N,
                    false,
                    threads,
                );
            }
            for i in 0..s {
                self.wg_transform::<T, OUTPUT>(yh, m, i * tiles);
                let yn = &mut y[(n0 + i) * co * hw..(n0 + i + 1) * co * hw];
                transpose_strided(yh, co, yn, hw, hw, co);
                if self.bias {
                    for (row, &bo) in yn.chunks_exact_mut(hw).zip(b) {
                        for v in row {
                            *v = bo + *v;
                        }
                    }
                }
            }
        }
    }

    /// The backward pass of consecutive samples by F(m×m, 3×3) (as `backward_part`): `grads`
    /// (∂W then ∂b) and `dx` overwritten.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn wg_backward_part<T: Real>(
        &self,
        w: &[T],
        pre: Option<&[T]>,
        x: &[T],
        dy: &[T],
        mut dx: Option<&mut [T]>,
        grads: &mut [T],
        acc: Option<&mut [T]>,
        work: &mut [T],
        threads: usize,
    ) {
        let Dims {
            in_len,
            ci,
            co,
            hw,
            nn,
            tiles,
            batch,
            s_max,
            p_max,
            padded,
        } = self.wg_dims(x.len());
        let (xh, rest) = work.split_at_mut(padded);
        let (dxh, rest) = rest.split_at_mut(padded);
        let (xt, rest) = rest.split_at_mut(in_len);
        let (dyh, rest) = rest.split_at_mut(hw * co);
        let (u, rest) = rest.split_at_mut(nn * ci * co);
        let (du_t, rest) = rest.split_at_mut(nn * ci * co);
        let (v, rest) = rest.split_at_mut(nn * ci * p_max);
        let (dv, rest) = rest.split_at_mut(nn * ci * p_max);
        let (dm, rest) = rest.split_at_mut(nn * co * p_max);
        let wsc = &mut rest[..self.wg_weight_scratch()];
        let zero = T::c(0.0);
        xh.fill(zero);
        let (dw, db) = grads.split_at_mut(co * ci * 9);
        db.fill(zero);
        // ∂Uᵀ: summed here from zero, or added into the caller's accumulator.
        let here = acc.is_none();
        let du_t: &mut [T] = match acc {
            Some(a) => a,
            None => {
                du_t.fill(zero);
                du_t
            }
        };
        // U: prepared (the second half of `pre`), or transformed here when ∂x is asked for.
        let u: &[T] = match pre {
            Some(p) => &p[nn * ci * co..],
            None => {
                if dx.is_some() {
                    self.wg_weights(w, u, false, wsc);
                }
                u
            }
        };
        for n0 in (0..batch).step_by(s_max) {
            let s = s_max.min(batch - n0);
            let ld = s * tiles;
            let v = &mut v[..nn * ci * ld];
            let dm = &mut dm[..nn * co * ld];
            let dy_n = &dy[n0 * co * hw..(n0 + s) * co * hw];
            for (i, dyi) in dy_n.chunks_exact(co * hw).enumerate() {
                self.wg_pad(&x[(n0 + i) * in_len..(n0 + i + 1) * in_len], xh, xt);
                self.wg_transform::<T, INPUT>(xh, v, i * tiles);
                transpose_strided(dyi, hw, dyh, co, co, hw);
                self.wg_transform::<T, OUTPUT_ADJOINT>(dyh, dm, i * tiles);
            }
            // ∂U_ξᵀ (C × C') += V_ξᵀ · ∂M_ξ.
            for xi in 0..nn {
                gemm_s(
                    &mut du_t[xi * ci * co..(xi + 1) * ci * co],
                    ci,
                    co,
                    co,
                    sv(&v[xi * ci..], ld, ci, nn * ci),
                    Trans::T,
                    sv(&dm[xi * co..], ld, co, nn * co),
                    Trans::N,
                    true,
                    threads,
                );
            }
            if self.bias {
                add_bias_grad(db, dy_n, hw);
            }
            let Some(dx) = dx.as_deref_mut() else {
                continue;
            };
            // ∂V_ξ (P × C) = ∂M_ξ (P × C') · U_ξ (C' × C).
            let dv = &mut dv[..nn * ci * ld];
            for xi in 0..nn {
                gemm_s(
                    &mut dv[xi * ci..],
                    ld,
                    ci,
                    nn * ci,
                    sv(&dm[xi * co..], ld, co, nn * co),
                    Trans::N,
                    sv(&u[xi * co * ci..(xi + 1) * co * ci], co, ci, ci),
                    Trans::N,
                    false,
                    threads,
                );
            }
            for i in 0..s {
                // Every value of dxh is written before it is added to (no zeroing needed).
                self.wg_transform::<T, INPUT_ADJOINT>(dxh, dv, i * tiles);
                self.wg_unpad(dxh, &mut dx[(n0 + i) * in_len..(n0 + i + 1) * in_len], xt);
            }
        }
        if here {
            self.wg_weights_adjoint(du_t, dw, wsc);
        } else {
            dw.fill(zero);
        }
    }
}
