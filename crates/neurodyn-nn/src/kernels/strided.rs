//! Row-major GEMM over strided views, for cells whose per-sample rows interleave several blocks.
//!
//! A gated cell keeps one row per sample in its cache, aux and state buffers, e.g. an LSTM state
//! row is `[h | c]`. The recurrent product only touches one column block of such a row, so the
//! kernel views that block in place: a matrix of `rows × cols` whose consecutive rows start
//! `stride` elements apart (`stride ≥ cols`), beginning at the block's first column.
//!
//! ```text
//! C (+)= op(A) · op(B)      op = as stored (Trans::N) or transposed (Trans::T)
//! ```
//!
//! Over a whole sequence the same view spans every step at once (`T·B` rows with the cache or aux
//! row length as stride), which is how the deferred weight gradients stay one GEMM each.

use crate::kernels::{Right, Start, SPLIT_FLOPS};
use crate::real::Real;
use faer::{Accum, MatMut, MatRef, Par};

/// Whether an operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trans {
    /// As stored.
    N,
    /// Transposed.
    T,
}

pub use neurodyn_core::cpu::clear_upper_vector_state;

/// Write the transpose of row-major `src (rows × cols)` into `dst (cols × rows)`, e.g. a weight
/// matrix multiplied from the right, which the AVX2 kernel wants as stored
/// ([`crate::kernels::transpose_strided`] of the whole matrix).
pub fn transpose_into<T: Real>(src: &[T], rows: usize, cols: usize, dst: &mut [T]) {
    assert!(
        src.len() == rows * cols && dst.len() == rows * cols,
        "transpose_into: {rows}x{cols}"
    );
    crate::kernels::transpose_strided(src, cols, dst, rows, rows, cols);
}

/// A strided row-major view: `rows × cols`, row `r` starting at `data[r * stride]`.
#[derive(Clone, Copy)]
pub(crate) struct Sv<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    stride: usize,
    panels: Option<&'a [T]>,
}

impl<'a, T> Sv<'a, T> {
    /// The same matrix also packed by [`crate::kernels::pack_panels`], which the AVX2 kernel reads
    /// instead when the view is a right operand used as stored.
    pub(crate) fn with_panels(self, panels: &'a [T]) -> Self {
        Sv {
            panels: Some(panels),
            ..self
        }
    }
}

/// View `rows × cols` with row stride `stride` starting at `data[0]`.
pub(crate) fn sv<T>(data: &[T], rows: usize, cols: usize, stride: usize) -> Sv<'_, T> {
    Sv {
        data,
        rows,
        cols,
        stride,
        panels: None,
    }
}

fn view<T: Real>(a: Sv<'_, T>, t: Trans) -> MatRef<'_, T> {
    let v = if a.rows == 0 || a.cols == 0 {
        MatRef::from_row_major_slice(&a.data[..0], a.rows, a.cols)
    } else {
        MatRef::from_row_major_slice_with_stride(a.data, a.rows, a.cols, a.stride)
    };
    match t {
        Trans::N => v,
        Trans::T => v.transpose(),
    }
}

/// Copies of a recurrent matrix `W (g × h)` (`g` stacked gate rows of `h` presynaptic units) kept
/// at the end of a cell's effective weights, after its gradient stops (`grad_len`): `Wᵀ`, `Wᵀ`
/// in panels and `W` in panels. The per-step products `h_{t−1} Wᵀ` (forward) and `∂G W`
/// (backward) then both use their right operand as stored, so the AVX2 kernel takes them and
/// reads a packed panel that stays in L1 ([`crate::kernels::pack_panels`]); the portable path reads
/// the plain rows. Written once per pass by the cell's `prepare`.
#[derive(Clone, Copy)]
pub(crate) struct RecCopies {
    /// Gate rows of `W`.
    pub g: usize,
    /// Columns of `W` (presynaptic units).
    pub h: usize,
}

impl RecCopies {
    /// Values the copies take.
    pub(crate) fn len(self) -> usize {
        self.split()[2]
    }

    fn split(self) -> [usize; 3] {
        let w_t = self.g * self.h;
        let w_t_panels = w_t + crate::kernels::packed_len(self.h, self.g);
        [
            w_t,
            w_t_panels,
            w_t_panels + crate::kernels::packed_len(self.g, self.h),
        ]
    }

    /// Fill `out` (`len()` values) from `w (g × h)`.
    pub(crate) fn write<T: Real>(self, w: &[T], out: &mut [T]) {
        let (g, h) = (self.g, self.h);
        let [a, b, c] = self.split();
        let (w_t, rest) = out[..c].split_at_mut(a);
        let (w_t_panels, w_panels) = rest.split_at_mut(b - a);
        transpose_into(w, g, h, w_t);
        let zero = T::c(0.0);
        crate::kernels::pack_panels(w_t, h, g, g, zero, w_t_panels);
        crate::kernels::pack_panels(w, g, h, h, zero, w_panels);
    }

    /// `Wᵀ (h × g)` as a right operand, for `h_{t−1} Wᵀ`.
    pub(crate) fn w_t<T>(self, copies: &[T]) -> Sv<'_, T> {
        let [a, b, _] = self.split();
        sv(&copies[..a], self.h, self.g, self.g).with_panels(&copies[a..b])
    }

    /// `W (g × h)` (the matrix itself, `w`) as a right operand, for `∂G W`.
    pub(crate) fn w<'a, T>(self, w: &'a [T], copies: &'a [T]) -> Sv<'a, T> {
        let [_, b, c] = self.split();
        sv(w, self.g, self.h, self.h).with_panels(&copies[b..c])
    }
}

/// `C = op(A)·op(B)` (`accumulate = false`) or `C += op(A)·op(B)`, where `C` is the strided view
/// `(c_rows, c_cols)` with row stride `c_stride` starting at `c[0]`.
pub(crate) fn gemm_s<T: Real>(
    c: &mut [T],
    c_rows: usize,
    c_cols: usize,
    c_stride: usize,
    a: Sv<'_, T>,
    ta: Trans,
    b: Sv<'_, T>,
    tb: Trans,
    accumulate: bool,
    threads: usize,
) {
    let onto = if accumulate { Onto::C } else { Onto::Zero };
    product(c, (c_rows, c_cols, c_stride), a, ta, b, tb, onto, threads);
}

/// `C = D + op(A)·op(B)`: as [`gemm_s`], starting from another matrix `D` (`c_rows × c_cols`)
/// instead of zero or `C`, which saves a pass over `C` when `D` is e.g. the projected input.
pub(crate) fn gemm_s_onto<T: Real>(
    c: &mut [T],
    c_rows: usize,
    c_cols: usize,
    c_stride: usize,
    d: Sv<'_, T>,
    a: Sv<'_, T>,
    ta: Trans,
    b: Sv<'_, T>,
    tb: Trans,
    threads: usize,
) {
    product(
        c,
        (c_rows, c_cols, c_stride),
        a,
        ta,
        b,
        tb,
        Onto::D(d),
        threads,
    );
}

/// What a product is added to.
#[derive(Clone, Copy)]
enum Onto<'a, T> {
    Zero,
    C,
    D(Sv<'a, T>),
}

/// Whether a product goes to the AVX2 kernel: B as stored (the kernel streams rows of B, so the
/// engine keeps transposed or packed copies of the weights it multiplies from the right) and C
/// at most 512 columns wide (a 256-deep block of B stays in L2; wider products, such as a 1024³
/// peak measurement, stay with faer). A transposed A, as in the weight gradients, is packed block
/// by block inside the kernel, which pays off when C is at least 64 columns wide (`∂W_rec`,
/// `∂W_out`); narrower ones (`∂W_in` with a few dozen inputs) measured faster on faer.
fn kernel_fits(ta: Trans, tb: Trans, c_cols: usize) -> bool {
    tb == Trans::N && c_cols <= 512 && (ta == Trans::N || c_cols >= 64)
}

fn product<T: Real>(
    c: &mut [T],
    (c_rows, c_cols, c_stride): (usize, usize, usize),
    a: Sv<'_, T>,
    ta: Trans,
    b: Sv<'_, T>,
    tb: Trans,
    onto: Onto<'_, T>,
    threads: usize,
) {
    let av = view(a, ta);
    let bv = view(b, tb);
    assert!(
        av.nrows() == c_rows && bv.ncols() == c_cols && av.ncols() == bv.nrows(),
        "strided gemm shapes: C {}x{} = A {}x{} · B {}x{}",
        c_rows,
        c_cols,
        av.nrows(),
        av.ncols(),
        bv.nrows(),
        bv.ncols()
    );
    if let Onto::D(d) = onto {
        assert!(
            d.rows == c_rows && d.cols == c_cols,
            "strided gemm: D is {}x{}, C {c_rows}x{c_cols}",
            d.rows,
            d.cols
        );
    }
    if c_rows == 0 || c_cols == 0 {
        return;
    }
    let k = av.ncols();
    let flops = c_rows * c_cols * k;
    if kernel_fits(ta, tb, c_cols) && crate::kernels::available() {
        if let (Some(c32), Some(a32), Some(b32)) =
            (T::as_f32_mut(c), T::as_f32(a.data), T::as_f32(b.data))
        {
            let start = match onto {
                Onto::Zero => Some(Start::Zero),
                Onto::C => Some(Start::C),
                Onto::D(d) => T::as_f32(d.data).map(|d32| Start::From(d32, d.stride)),
            };
            if let Some(start) = start {
                // Element (i, p) of op(A): as stored at i·stride + p, transposed at p·stride + i.
                let (rs, cs) = match ta {
                    Trans::N => (a.stride, 1),
                    Trans::T => (1, a.stride),
                };
                let right = match b.panels.and_then(T::as_f32) {
                    Some(p) => Right::Panels(p),
                    None => Right::Rows(b32, b.stride),
                };
                let done = crate::kernels::sgemm(
                    (c_rows, c_cols, k),
                    (a32, rs, cs),
                    right,
                    (c32, c_stride),
                    start,
                    threads,
                );
                debug_assert!(done, "the AVX2 kernel refused after detection");
                return;
            }
        }
    }
    if let Onto::D(d) = onto {
        for r in 0..c_rows {
            c[r * c_stride..r * c_stride + c_cols]
                .copy_from_slice(&d.data[r * d.stride..r * d.stride + c_cols]);
        }
    }
    // Built as the transpose of a column-major view: faer 0.24.4's
    // `from_row_major_slice_with_stride_mut` swaps the strides (it lays rows out column-major),
    // which writes outside the block and past the slice.
    let cv = MatMut::from_column_major_slice_with_stride_mut(c, c_cols, c_rows, c_stride)
        .transpose_mut();
    let par = if threads > 1 && flops >= SPLIT_FLOPS {
        Par::rayon(threads)
    } else {
        Par::Seq
    };
    let acc = match onto {
        Onto::Zero => Accum::Replace,
        Onto::C | Onto::D(_) => Accum::Add,
    };
    faer::linalg::matmul::matmul(cv, acc, av, bv, T::c(1.0), par);
    clear_upper_vector_state();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_blocks_match_naive() {
        // A: 3 rows of [junk | a0 a1], stride 3, block at column 1. B: 2x2 contiguous.
        let a = [9.0, 1.0, 2.0, 9.0, 3.0, 4.0, 9.0, 5.0, 6.0];
        let b = [1.0, -1.0, 0.5, 2.0];
        // C: 3 rows of [c0 c1 | keep], stride 3; C += A·Bᵀ.
        let mut c = [1.0, 1.0, 7.0, 1.0, 1.0, 7.0, 1.0, 1.0, 7.0];
        gemm_s(
            &mut c,
            3,
            2,
            3,
            sv(&a[1..], 3, 2, 3),
            Trans::N,
            sv(&b, 2, 2, 2),
            Trans::T,
            true,
            1,
        );
        for r in 0..3 {
            let (x0, x1) = (a[r * 3 + 1], a[r * 3 + 2]);
            assert_eq!(c[r * 3], 1.0 + x0 - x1);
            assert_eq!(c[r * 3 + 1], 1.0 + 0.5 * x0 + 2.0 * x1);
            assert_eq!(c[r * 3 + 2], 7.0);
        }
    }

    /// Writes stay inside the block: the padding columns and whatever follows the last row are
    /// untouched, for all small shapes (faer's kernels tile rows and columns differently by size).
    #[test]
    fn writes_stay_inside_the_block() {
        for rows in 1..6 {
            for cols in 1..20 {
                for k in 1..9 {
                    for pad in 0..4 {
                        let stride = cols + pad;
                        let mut c = vec![7.0f64; rows * stride + 3];
                        let a: Vec<f64> = (0..rows * k).map(|v| v as f64).collect();
                        let b: Vec<f64> = (0..cols * k).map(|v| v as f64 * 0.5).collect();
                        gemm_s(
                            &mut c,
                            rows,
                            cols,
                            stride,
                            sv(&a, rows, k, k),
                            Trans::N,
                            sv(&b, cols, k, k),
                            Trans::T,
                            false,
                            1,
                        );
                        for r in 0..rows {
                            for j in 0..stride {
                                let want = if j < cols {
                                    (0..k).map(|q| a[r * k + q] * b[j * k + q]).sum::<f64>()
                                } else {
                                    7.0
                                };
                                assert_eq!(
                                    c[r * stride + j],
                                    want,
                                    "{rows}x{cols}, k {k}, pad {pad}, ({r}, {j})"
                                );
                            }
                        }
                        assert_eq!(
                            &c[rows * stride..],
                            &[7.0; 3],
                            "{rows}x{cols}, k {k}, pad {pad}: tail"
                        );
                    }
                }
            }
        }
    }

    /// Every path of the strided product (the AVX2 kernel for f32 as-stored operands, faer for
    /// the rest and for f64) against the plain loop: odd sizes, all four transposes, row strides
    /// wider than the views, and the four starts (zero, C, another matrix D, and one row of D
    /// repeated through a stride-0 view, as the biases are).
    fn all_paths_match_naive<T: Real>(tol: f64) {
        let mut state = 7u64;
        let mut rnd = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            T::c((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
        };
        for &(m, n, k) in &[
            (1, 1, 1),
            (3, 5, 7),
            (16, 64, 64),
            (17, 33, 9),
            (6, 16, 0),
            (7, 70, 13),
        ] {
            for ta in [Trans::N, Trans::T] {
                for tb in [Trans::N, Trans::T] {
                    let (ar, ac) = if ta == Trans::N { (m, k) } else { (k, m) };
                    let (br, bc) = if tb == Trans::N { (k, n) } else { (n, k) };
                    let (lda, ldb, ldc) = (ac + 2, bc + 1, n + 3);
                    let a: Vec<T> = (0..ar * lda).map(|_| rnd()).collect();
                    let b: Vec<T> = (0..br * ldb).map(|_| rnd()).collect();
                    let d: Vec<T> = (0..m * ldc).map(|_| rnd()).collect();
                    let at = |i: usize, p: usize| match ta {
                        Trans::N => a[i * lda + p],
                        Trans::T => a[p * lda + i],
                    };
                    let bt = |p: usize, j: usize| match tb {
                        Trans::N => b[p * ldb + j],
                        Trans::T => b[j * ldb + p],
                    };
                    for mode in 0..4 {
                        let guard = T::c(5.0);
                        let mut c = vec![guard; m * ldc];
                        let av = sv(&a, ar, ac, lda);
                        let bv = sv(&b, br, bc, ldb);
                        match mode {
                            0 => gemm_s(&mut c, m, n, ldc, av, ta, bv, tb, false, 1),
                            1 => gemm_s(&mut c, m, n, ldc, av, ta, bv, tb, true, 1),
                            2 => {
                                gemm_s_onto(&mut c, m, n, ldc, sv(&d, m, n, ldc), av, ta, bv, tb, 1)
                            }
                            _ => gemm_s_onto(&mut c, m, n, ldc, sv(&d, m, n, 0), av, ta, bv, tb, 1),
                        }
                        for i in 0..m {
                            for j in 0..ldc {
                                let got = c[i * ldc + j].f();
                                if j >= n {
                                    assert_eq!(
                                        got, 5.0,
                                        "{m}x{n}x{k} {ta:?}{tb:?} mode {mode}: wrote padding"
                                    );
                                    continue;
                                }
                                let s0 = [0.0, 5.0, d[i * ldc + j].f(), d[j].f()][mode];
                                let want =
                                    s0 + (0..k).map(|p| at(i, p).f() * bt(p, j).f()).sum::<f64>();
                                assert!(
                                    (got - want).abs() <= tol * (1.0 + want.abs()),
                                    "{m}x{n}x{k} {ta:?}{tb:?} mode {mode} ({i},{j}): {got} vs {want}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn all_paths_match_naive_f32() {
        all_paths_match_naive::<f32>(1e-5);
    }

    #[test]
    fn all_paths_match_naive_f64() {
        all_paths_match_naive::<f64>(1e-12);
    }
}
