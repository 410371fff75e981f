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

use crate::linalg::Trans;
use crate::real::Real;
use faer::{Accum, MatMut, MatRef, Par};

/// A strided row-major view: `rows × cols`, row `r` starting at `data[r * stride]`.
#[derive(Clone, Copy)]
pub(crate) struct Sv<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    stride: usize,
}

/// View `rows × cols` with row stride `stride` starting at `data[0]`.
pub(crate) fn sv<T>(data: &[T], rows: usize, cols: usize, stride: usize) -> Sv<'_, T> {
    Sv {
        data,
        rows,
        cols,
        stride,
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
    if c_rows == 0 || c_cols == 0 {
        return;
    }
    // Built as the transpose of a column-major view: faer 0.24.4's
    // `from_row_major_slice_with_stride_mut` swaps the strides (it lays rows out column-major),
    // which writes outside the block and past the slice.
    let cv = MatMut::from_column_major_slice_with_stride_mut(c, c_cols, c_rows, c_stride)
        .transpose_mut();
    let flops = c_rows * c_cols * av.ncols();
    // Same policy as `linalg::gemm`: a second thread only pays off on large products.
    let par = if threads > 1 && flops >= 1 << 20 {
        Par::rayon(threads)
    } else {
        Par::Seq
    };
    let acc = if accumulate {
        Accum::Add
    } else {
        Accum::Replace
    };
    faer::linalg::matmul::matmul(cv, acc, av, bv, T::c(1.0), par);
    crate::linalg::clear_upper_vector_state();
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
}
