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
    let cv = MatMut::from_row_major_slice_with_stride_mut(c, c_rows, c_cols, c_stride);
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
        gemm_s(&mut c, 3, 2, 3, sv(&a[1..], 3, 2, 3), Trans::N, sv(&b, 2, 2, 2), Trans::T, true, 1);
        for r in 0..3 {
            let (x0, x1) = (a[r * 3 + 1], a[r * 3 + 2]);
            assert_eq!(c[r * 3], 1.0 + x0 - x1);
            assert_eq!(c[r * 3 + 1], 1.0 + 0.5 * x0 + 2.0 * x1);
            assert_eq!(c[r * 3 + 2], 7.0);
        }
    }
}
