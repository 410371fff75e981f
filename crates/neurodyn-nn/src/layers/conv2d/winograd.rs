//! Winograd's minimal filtering F(2×2, 3×3) for the 3×3 convolutions at stride 1, padding 1,
//! dilation 1 (the conv-ctrnn's recurrent convolutions): 16 products of `P×C` by `C×C'` in
//! place of one of `C'×9C` by `9C×4P`, 2.25 times fewer multiply-adds.
//!
//! ```text
//! tiles      2×2 outputs each: ⌈H/2⌉ × ⌈W/2⌉ a sample, read from 4×4 windows of the padded input
//! U_ξ[o, c]  = (G g Gᵀ)_ξ         per filter g = W[o, c], ξ one of the 16 places of a 4×4 tile
//! V_ξ[p, c]  = (Bᵀ d B)_ξ         d the 4×4 window of channel c under tile p
//! M_ξ        = V_ξ · U_ξᵀ         (P × C'), one product per ξ
//! y          = b + Aᵀ M A         the tile's 2×2 outputs (clipped at an odd edge)
//!
//! Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//! Aᵀ = [1 1 1 0; 0 1 −1 −1]
//!
//! backward:  ∂M = A ∂y Aᵀ,  ∂U_ξᵀ += V_ξᵀ · ∂M_ξ,  ∂V_ξ = ∂M_ξ · U_ξ,
//!            ∂x += B ∂V Bᵀ (windows overlap: added tile by tile, in order),  ∂g = Gᵀ ∂U G
//! ```
//!
//! The transforms run on channels-last copies (a sample's padded input, its output, their
//! gradients), so each is element-wise over 16 (or 8) channels at a time whatever the map's
//! size; the products then take the engine's kernel with every right operand as stored. The
//! sums differ from im2col's (another formula, equal in exact arithmetic) in the last places of
//! f32; each output is still the same sum whatever the chunk or the thread count.

use super::{add_bias_grad, Conv2d};
use crate::kernels::strided::{gemm_s, sv};
use crate::kernels::{transpose_strided, vectorized, Pointwise};
use crate::layers::numel;
use crate::linalg::Trans;
use crate::real::Real;

/// Tiles a chunk aims for: the products' row count.
const CHUNK_TILES: usize = 256;

/// Four vectors of `L` channels: a row or a column of a tile.
type Four<T, const L: usize> = [[T; L]; 4];

/// `L` lanes of `f(a, b)`.
#[inline(always)]
fn lanes2<T: Real, const L: usize>(a: &[T; L], b: &[T; L], f: impl Fn(T, T) -> T) -> [T; L] {
    let mut r = *a;
    for l in 0..L {
        r[l] = f(a[l], b[l]);
    }
    r
}

/// `L` lanes of `f(a, b, c)`.
#[inline(always)]
fn lanes3<T: Real, const L: usize>(
    a: &[T; L],
    b: &[T; L],
    c: &[T; L],
    f: impl Fn(T, T, T) -> T,
) -> [T; L] {
    let mut r = *a;
    for l in 0..L {
        r[l] = f(a[l], b[l], c[l]);
    }
    r
}

/// `Bᵀ x`: `(x0 − x2, x1 + x2, x2 − x1, x1 − x3)`.
#[inline(always)]
fn bt<T: Real, const L: usize>(x: &Four<T, L>) -> Four<T, L> {
    [
        lanes2(&x[0], &x[2], |a, b| a - b),
        lanes2(&x[1], &x[2], |a, b| a + b),
        lanes2(&x[2], &x[1], |a, b| a - b),
        lanes2(&x[1], &x[3], |a, b| a - b),
    ]
}

/// `B x`, the adjoint of [`bt`]: `(x0, x1 − x2 + x3, x1 + x2 − x0, −x3)`.
#[inline(always)]
fn b_adj<T: Real, const L: usize>(x: &Four<T, L>) -> Four<T, L> {
    [
        x[0],
        lanes3(&x[1], &x[2], &x[3], |a, b, c| a - b + c),
        lanes3(&x[1], &x[2], &x[0], |a, b, c| a + b - c),
        lanes2(&x[3], &x[3], |a, _| -a),
    ]
}

/// `Aᵀ x`: `(x0 + x1 + x2, x1 − x2 − x3)`.
#[inline(always)]
fn at_<T: Real, const L: usize>(x: &Four<T, L>) -> [[T; L]; 2] {
    [
        lanes3(&x[0], &x[1], &x[2], |a, b, c| a + b + c),
        lanes3(&x[1], &x[2], &x[3], |a, b, c| a - b - c),
    ]
}

/// `A x`, the adjoint of [`at_`]: `(x0, x0 + x1, x0 − x1, −x1)`.
#[inline(always)]
fn a_adj<T: Real, const L: usize>(x: &[[T; L]; 2]) -> Four<T, L> {
    [
        x[0],
        lanes2(&x[0], &x[1], |a, b| a + b),
        lanes2(&x[0], &x[1], |a, b| a - b),
        lanes2(&x[1], &x[1], |a, _| -a),
    ]
}

/// Plane `k` of `v`, planes of `n` values.
fn plane_of<T>(v: &[T], n: usize, k: usize) -> &[T] {
    &v[k * n..(k + 1) * n]
}

/// The transforms between a sample's channels-last map and its tiles' rows.
const INPUT: u8 = 0;
const INPUT_ADJOINT: u8 = 1;
const OUTPUT: u8 = 2;
const OUTPUT_ADJOINT: u8 = 3;

/// One sample's transform `K` between its channels-last map and tiles `p0..` of the
/// transformed rows (row `ξ·ld + p` of `width` channels), run by [`vectorized`] in a function
/// compiled for the active path: `INPUT` `map → rows`, `INPUT_ADJOINT` `rows → map` (added),
/// `OUTPUT` `rows → map`, `OUTPUT_ADJOINT` `map → rows`.
struct Transform<'a, T, const K: u8> {
    conv: &'a Conv2d,
    map: &'a mut [T],
    rows: &'a mut [T],
    p0: usize,
}

impl<T: Real, const K: u8> Pointwise for Transform<'_, T, K> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let width = self.conv.wg_width(K);
        let Transform {
            conv,
            map,
            rows,
            p0,
        } = self;
        if width.is_multiple_of(16) {
            conv.wg_tiles_on::<T, K, 16>(map, rows, p0)
        } else if width.is_multiple_of(8) {
            conv.wg_tiles_on::<T, K, 8>(map, rows, p0)
        } else {
            conv.wg_tiles_on::<T, K, 1>(map, rows, p0)
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
        (self.out_hw.0.div_ceil(2), self.out_hw.1.div_ceil(2))
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
        Dims {
            in_len,
            ci: self.in_shape[0],
            co: self.c_out,
            hw: self.out_hw.0 * self.out_hw.1,
            tiles: th * tw,
            batch,
            s_max,
            p_max: s_max * th * tw,
            padded: hp * wp * self.in_shape[0],
        }
    }

    /// Rows and columns of the padded input, channels last: `2·th + 2` by `2·tw + 2`.
    fn wg_padded(&self) -> (usize, usize) {
        let (th, tw) = self.wg_tiles();
        (2 * th + 2, 2 * tw + 2)
    }

    /// Working space of one part whose chunks hold up to `s` samples: forward a sample's
    /// padded input and output channels last, `Uᵀ`, `V` and `M`; backward the padded input and
    /// its gradient, the output's gradient, `U`, `∂Uᵀ`, `V`, `∂V` and `∂M`; both the weight
    /// transforms' scratch.
    pub(super) fn wg_part_len(&self, s: usize, backward: bool) -> usize {
        let (ci, co) = (self.in_shape[0], self.c_out);
        let (th, tw) = self.wg_tiles();
        let (hp, wp) = self.wg_padded();
        let p = s * th * tw;
        let (xh, yh) = (hp * wp * ci, self.out_hw.0 * self.out_hw.1 * co);
        let (xt, u, v, m) = (numel(self.in_shape), 16 * ci * co, 16 * ci * p, 16 * co * p);
        let wsc = self.wg_weight_scratch();
        if backward {
            2 * xh + xt + yh + 2 * u + 2 * v + m + wsc
        } else {
            xh + xt + yh + u + v + m + wsc
        }
    }

    /// Scratch of the weight transforms: 37 planes of `C'·C` values.
    fn wg_weight_scratch(&self) -> usize {
        37 * self.in_shape[0] * self.c_out
    }

    /// `U[ξ][o][c] = (G g Gᵀ)_ξ` from the weight `(C', C, 3, 3)`, or its transpose `U[ξ][c][o]`,
    /// plane by plane over the `C'·C` filters (`scratch`: [`Conv2d::wg_weight_scratch`]).
    fn wg_weights<T: Real>(&self, w: &[T], u: &mut [T], transposed: bool, scratch: &mut [T]) {
        let (ci, co) = (self.in_shape[0], self.c_out);
        let n = ci * co;
        let (w9, rest) = scratch.split_at_mut(9 * n);
        let (gg, rest) = rest.split_at_mut(12 * n);
        let plain = &mut rest[..16 * n];
        // Tap (r, q) of every filter as one plane: w9[3r + q][o·C + c].
        transpose_strided(w, 9, w9, n, n, 9);
        let h = T::c(0.5);
        // G g: gg[a][q] = Σ_r G[a][r] g[r][q].
        for q in 0..3 {
            let (g0, g1, g2) = (
                plane_of(w9, n, q),
                plane_of(w9, n, 3 + q),
                plane_of(w9, n, 6 + q),
            );
            for (a, out) in gg.chunks_exact_mut(3 * n).enumerate() {
                let out = &mut out[q * n..(q + 1) * n];
                for i in 0..n {
                    out[i] = match a {
                        0 => g0[i],
                        1 => h * (g0[i] + g1[i] + g2[i]),
                        2 => h * (g0[i] - g1[i] + g2[i]),
                        _ => g2[i],
                    };
                }
            }
        }
        // (G g) Gᵀ: U[a][b] = Σ_q gg[a][q] G[b][q].
        let dst: &mut [T] = if transposed {
            &mut *plain
        } else {
            &mut u[..16 * n]
        };
        for (xi, out) in dst.chunks_exact_mut(n).enumerate() {
            let (a, b) = (xi / 4, xi % 4);
            let (r0, r1, r2) = (
                plane_of(gg, n, 3 * a),
                plane_of(gg, n, 3 * a + 1),
                plane_of(gg, n, 3 * a + 2),
            );
            for i in 0..n {
                out[i] = match b {
                    0 => r0[i],
                    1 => h * (r0[i] + r1[i] + r2[i]),
                    2 => h * (r0[i] - r1[i] + r2[i]),
                    _ => r2[i],
                };
            }
        }
        if transposed {
            for (src, out) in plain.chunks_exact(n).zip(u.chunks_exact_mut(n)) {
                transpose_strided(src, ci, out, co, co, ci);
            }
        }
    }

    /// `∂W (C', C, 3, 3) = Gᵀ ∂U G` from `∂Uᵀ[ξ][c][o]`, plane by plane (`scratch`:
    /// [`Conv2d::wg_weight_scratch`]).
    fn wg_weights_adjoint<T: Real>(&self, du_t: &[T], dw: &mut [T], scratch: &mut [T]) {
        let (ci, co) = (self.in_shape[0], self.c_out);
        let n = ci * co;
        let (g9, rest) = scratch.split_at_mut(9 * n);
        let (r, rest) = rest.split_at_mut(12 * n);
        let du = &mut rest[..16 * n];
        for (src, out) in du_t.chunks_exact(n).zip(du.chunks_exact_mut(n)) {
            transpose_strided(src, co, out, ci, ci, co);
        }
        let h = T::c(0.5);
        // Gᵀ over the rows: r[q][b] = Σ_a G[a][q] ∂U[a][b].
        for b in 0..4 {
            let (d0, d1, d2, d3) = (
                plane_of(du, n, b),
                plane_of(du, n, 4 + b),
                plane_of(du, n, 8 + b),
                plane_of(du, n, 12 + b),
            );
            for (q, out) in r.chunks_exact_mut(4 * n).enumerate() {
                let out = &mut out[b * n..(b + 1) * n];
                for i in 0..n {
                    out[i] = match q {
                        0 => d0[i] + h * (d1[i] + d2[i]),
                        1 => h * (d1[i] - d2[i]),
                        _ => h * (d1[i] + d2[i]) + d3[i],
                    };
                }
            }
        }
        // Then over the columns: g[q][t] = Σ_b r[q][b] G[b][t].
        for (k, out) in g9.chunks_exact_mut(n).enumerate() {
            let (q, t) = (k / 3, k % 3);
            let (p0, p1, p2, p3) = (
                plane_of(r, n, 4 * q),
                plane_of(r, n, 4 * q + 1),
                plane_of(r, n, 4 * q + 2),
                plane_of(r, n, 4 * q + 3),
            );
            for i in 0..n {
                out[i] = match t {
                    0 => p0[i] + h * (p1[i] + p2[i]),
                    1 => h * (p1[i] - p2[i]),
                    _ => h * (p1[i] + p2[i]) + p3[i],
                };
            }
        }
        transpose_strided(g9, n, dw, 9, 9, n);
    }

    /// The tile loop of one sample's transform `K`, `L` channels at a time (see [`Transform`]).
    /// A tile's 16 transformed rows are one block of `16·width` values.
    #[inline(always)]
    fn wg_tiles_on<T: Real, const K: u8, const L: usize>(
        &self,
        map: &mut [T],
        rows: &mut [T],
        p0: usize,
    ) {
        let (ho, wo) = self.out_hw;
        let (th, tw) = self.wg_tiles();
        let (_, wp) = self.wg_padded();
        let zero = [T::c(0.0); L];
        let width = self.wg_width(K);
        let nb = width / L;
        let (map, _) = map.as_chunks_mut::<L>();
        for ty in 0..th {
            for tx in 0..tw {
                let tile = (p0 + ty * tw + tx) * 16 * width;
                let (blk, _) = rows[tile..tile + 16 * width].as_chunks_mut::<L>();
                // The window's (or the outputs') top-left value, in chunks of L channels.
                let corner = if K == INPUT || K == INPUT_ADJOINT {
                    (2 * ty * wp + 2 * tx) * nb
                } else {
                    (2 * ty * wo + 2 * tx) * nb
                };
                for cb in 0..nb {
                    match K {
                        INPUT => {
                            // Bᵀ over the rows (per column), then over the columns (per row).
                            let mut cols = [[zero; 4]; 4];
                            for (j, col) in cols.iter_mut().enumerate() {
                                let at = |i: usize| corner + (i * wp + j) * nb + cb;
                                *col = bt(&[map[at(0)], map[at(1)], map[at(2)], map[at(3)]]);
                            }
                            for a in 0..4 {
                                let v = bt(&[cols[0][a], cols[1][a], cols[2][a], cols[3][a]]);
                                for (b, vb) in v.into_iter().enumerate() {
                                    blk[(4 * a + b) * nb + cb] = vb;
                                }
                            }
                        }
                        INPUT_ADJOINT => {
                            // B over the columns (per row), then over the rows (per column).
                            let mut t = [[zero; 4]; 4];
                            for (a, ta) in t.iter_mut().enumerate() {
                                let at = |b: usize| (4 * a + b) * nb + cb;
                                *ta = b_adj(&[blk[at(0)], blk[at(1)], blk[at(2)], blk[at(3)]]);
                            }
                            for j in 0..4 {
                                let d = b_adj(&[t[0][j], t[1][j], t[2][j], t[3][j]]);
                                for (i, di) in d.iter().enumerate() {
                                    let at = corner + (i * wp + j) * nb + cb;
                                    map[at] = lanes2(&map[at], di, |s, g| s + g);
                                }
                            }
                        }
                        OUTPUT => {
                            // Aᵀ over the columns (per row), then over the rows.
                            let mut half = [[zero; 2]; 4];
                            for (i, hi) in half.iter_mut().enumerate() {
                                let at = |j: usize| (4 * i + j) * nb + cb;
                                *hi = at_(&[blk[at(0)], blk[at(1)], blk[at(2)], blk[at(3)]]);
                            }
                            for b in 0..2 {
                                let y = at_(&[half[0][b], half[1][b], half[2][b], half[3][b]]);
                                for (a, ya) in y.into_iter().enumerate() {
                                    if 2 * ty + a < ho && 2 * tx + b < wo {
                                        map[corner + (a * wo + b) * nb + cb] = ya;
                                    }
                                }
                            }
                        }
                        _ => {
                            let get = |a: usize, b: usize| {
                                if 2 * ty + a < ho && 2 * tx + b < wo {
                                    map[corner + (a * wo + b) * nb + cb]
                                } else {
                                    zero
                                }
                            };
                            // A over the rows (per output column), then over the columns.
                            let q = [
                                a_adj(&[get(0, 0), get(1, 0)]),
                                a_adj(&[get(0, 1), get(1, 1)]),
                            ];
                            for i in 0..4 {
                                let m = a_adj(&[q[0][i], q[1][i]]);
                                for (j, mj) in m.into_iter().enumerate() {
                                    blk[(4 * i + j) * nb + cb] = mj;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One sample's transform `K` (see [`Transform`]).
    fn wg_transform<T: Real, const K: u8>(&self, map: &mut [T], rows: &mut [T], p0: usize) {
        vectorized(Transform::<T, K> {
            conv: self,
            map,
            rows,
            p0,
        });
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

    /// The forward pass of consecutive samples by F(2×2, 3×3) (as `forward_part`).
    pub(super) fn wg_forward_part<T: Real>(
        &self,
        w: &[T],
        b: &[T],
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
            tiles,
            batch,
            s_max,
            p_max,
            padded,
        } = self.wg_dims(x.len());
        let (xh, rest) = work.split_at_mut(padded);
        let (xt, rest) = rest.split_at_mut(in_len);
        let (yh, rest) = rest.split_at_mut(hw * co);
        let (u_t, rest) = rest.split_at_mut(16 * ci * co);
        let (v, rest) = rest.split_at_mut(16 * ci * p_max);
        let (m, rest) = rest.split_at_mut(16 * co * p_max);
        let wsc = &mut rest[..self.wg_weight_scratch()];
        xh.fill(T::c(0.0));
        self.wg_weights(w, u_t, true, wsc);
        for n0 in (0..batch).step_by(s_max) {
            let s = s_max.min(batch - n0);
            let ld = s * tiles;
            let v = &mut v[..16 * ci * ld];
            for i in 0..s {
                self.wg_pad(&x[(n0 + i) * in_len..(n0 + i + 1) * in_len], xh, xt);
                self.wg_transform::<T, INPUT>(xh, v, i * tiles);
            }
            // M_ξ (P × C') = V_ξ (P × C) · U_ξᵀ (C × C'), rows 16 apart.
            let m = &mut m[..16 * co * ld];
            for xi in 0..16 {
                gemm_s(
                    &mut m[xi * co..],
                    ld,
                    co,
                    16 * co,
                    sv(&v[xi * ci..], ld, ci, 16 * ci),
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

    /// The backward pass of consecutive samples by F(2×2, 3×3) (as `backward_part`): `grads`
    /// (∂W then ∂b) and `dx` overwritten.
    pub(super) fn wg_backward_part<T: Real>(
        &self,
        w: &[T],
        x: &[T],
        dy: &[T],
        mut dx: Option<&mut [T]>,
        grads: &mut [T],
        work: &mut [T],
        threads: usize,
    ) {
        let Dims {
            in_len,
            ci,
            co,
            hw,
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
        let (u, rest) = rest.split_at_mut(16 * ci * co);
        let (du_t, rest) = rest.split_at_mut(16 * ci * co);
        let (v, rest) = rest.split_at_mut(16 * ci * p_max);
        let (dv, rest) = rest.split_at_mut(16 * ci * p_max);
        let (dm, rest) = rest.split_at_mut(16 * co * p_max);
        let wsc = &mut rest[..self.wg_weight_scratch()];
        let zero = T::c(0.0);
        xh.fill(zero);
        du_t.fill(zero);
        let (dw, db) = grads.split_at_mut(co * ci * 9);
        db.fill(zero);
        if dx.is_some() {
            self.wg_weights(w, u, false, wsc);
        }
        for n0 in (0..batch).step_by(s_max) {
            let s = s_max.min(batch - n0);
            let ld = s * tiles;
            let v = &mut v[..16 * ci * ld];
            let dm = &mut dm[..16 * co * ld];
            let dy_n = &dy[n0 * co * hw..(n0 + s) * co * hw];
            for (i, dyi) in dy_n.chunks_exact(co * hw).enumerate() {
                self.wg_pad(&x[(n0 + i) * in_len..(n0 + i + 1) * in_len], xh, xt);
                self.wg_transform::<T, INPUT>(xh, v, i * tiles);
                transpose_strided(dyi, hw, dyh, co, co, hw);
                self.wg_transform::<T, OUTPUT_ADJOINT>(dyh, dm, i * tiles);
            }
            // ∂U_ξᵀ (C × C') += V_ξᵀ · ∂M_ξ.
            for xi in 0..16 {
                gemm_s(
                    &mut du_t[xi * ci * co..(xi + 1) * ci * co],
                    ci,
                    co,
                    co,
                    sv(&v[xi * ci..], ld, ci, 16 * ci),
                    Trans::T,
                    sv(&dm[xi * co..], ld, co, 16 * co),
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
            let dv = &mut dv[..16 * ci * ld];
            for xi in 0..16 {
                gemm_s(
                    &mut dv[xi * ci..],
                    ld,
                    ci,
                    16 * ci,
                    sv(&dm[xi * co..], ld, co, 16 * co),
                    Trans::N,
                    sv(&u[xi * co * ci..(xi + 1) * co * ci], co, ci, ci),
                    Trans::N,
                    false,
                    threads,
                );
            }
            for i in 0..s {
                dxh.fill(zero);
                self.wg_transform::<T, INPUT_ADJOINT>(dxh, dv, i * tiles);
                self.wg_unpad(dxh, &mut dx[(n0 + i) * in_len..(n0 + i + 1) * in_len], xt);
            }
        }
        self.wg_weights_adjoint(du_t, dw, wsc);
    }
}
