//! Row-major GEMM, the only dense kernel the engine needs: f32 products with the right operand as
//! stored go to the engine's own kernel (`kernels/`, AVX-512 or AVX2) where the CPU has it,
//! everything else to faer (see `kernels::strided`, which holds the dispatch).
//!
//! All engine buffers are contiguous row-major; call sites read like the maths:
//! `gemm(c, a, Trans::N, b, Trans::T, Accum)` is `C (+)= A·Bᵀ`. Parallelism is decided per call
//! from the problem size and the network's thread setting: two threads hurt tiny GEMMs.

use crate::kernels::strided::sv;
pub use crate::kernels::{clear_upper_vector_state, transpose_into, Trans};
use crate::real::Real;

/// A row-major matrix view: data and `(rows, cols)` as stored.
#[derive(Clone, Copy)]
pub struct M<'a, T> {
    /// Row-major data, exactly `rows × cols` long.
    pub data: &'a [T],
    /// Stored rows.
    pub rows: usize,
    /// Stored columns.
    pub cols: usize,
}

/// Shorthand constructor for [`M`].
pub fn m<T>(data: &[T], rows: usize, cols: usize) -> M<'_, T> {
    debug_assert_eq!(data.len(), rows * cols, "matrix view {rows}x{cols}");
    M { data, rows, cols }
}

/// `C = A·B` (`accumulate = false`) or `C += A·B` (`true`), with optional transposes, where `C` is
/// row-major `(c_rows, c_cols)`. `threads` > 1 allows faer to split large products.
pub fn gemm<T: Real>(
    c: &mut [T],
    c_rows: usize,
    c_cols: usize,
    a: M<'_, T>,
    ta: Trans,
    b: M<'_, T>,
    tb: Trans,
    accumulate: bool,
    threads: usize,
) {
    // A contiguous row-major matrix is the strided view whose row stride is its width.
    crate::kernels::strided::gemm_s(
        c,
        c_rows,
        c_cols,
        c_cols,
        sv(a.data, a.rows, a.cols, a.cols),
        ta,
        sv(b.data, b.rows, b.cols, b.cols),
        tb,
        accumulate,
        threads,
    );
}

/// Add the column sums of row-major `a (rows × cols)` to `out (cols)`.
pub fn add_col_sums<T: Real>(out: &mut [T], a: &[T], cols: usize) {
    for row in a.chunks_exact(cols) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_matches_naive_with_transposes() {
        let a: Vec<f64> = (0..6).map(|v| v as f64).collect(); // 2x3
        let b: Vec<f64> = (0..12).map(|v| (v as f64) * 0.5).collect(); // 4x3
        let mut c = vec![1.0; 8]; // 2x4 = A·Bᵀ
        gemm(
            &mut c,
            2,
            4,
            m(&a, 2, 3),
            Trans::N,
            m(&b, 4, 3),
            Trans::T,
            true,
            1,
        );
        for i in 0..2 {
            for j in 0..4 {
                let s: f64 = (0..3).map(|k| a[i * 3 + k] * b[j * 3 + k]).sum();
                assert!((c[i * 4 + j] - 1.0 - s).abs() < 1e-12);
            }
        }
    }
}
