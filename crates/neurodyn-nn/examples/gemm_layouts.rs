//! Times the engine's per-step GEMM shapes in row-major and column-major layouts (faer), to pick
//! the faster storage for the recurrent kernels. `cargo run --release -p neurodyn-nn --example gemm_layouts`

use faer::{Accum, MatMut, MatRef, Par};
use std::time::Instant;

fn main() {
    for &(m, k, n) in &[(16usize, 64usize, 64usize), (64, 256, 256)] {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.1).collect();
        let mut c = vec![0.0f32; m * n];
        let reps = if m == 16 { 20000 } else { 400 };
        // Row-major C = A · Bᵀ (B stored n×k row-major), as in the forward step.
        let t0 = Instant::now();
        for _ in 0..reps {
            let av = MatRef::from_row_major_slice(&a, m, k);
            let bv = MatRef::from_row_major_slice(&b, n, k).transpose();
            let cv = MatMut::from_row_major_slice_mut(&mut c, m, n);
            faer::linalg::matmul::matmul(cv, Accum::Add, av, bv, 1.0, Par::Seq);
        }
        let rm = t0.elapsed().as_secs_f64() / reps as f64;
        // Column-major everything: C (m×n col-major) = A (col-major) · B (k×n col-major).
        let t0 = Instant::now();
        for _ in 0..reps {
            let av = MatRef::from_column_major_slice(&a, m, k);
            let bv = MatRef::from_column_major_slice(&b, k, n);
            let cv = MatMut::from_column_major_slice_mut(&mut c, m, n);
            faer::linalg::matmul::matmul(cv, Accum::Add, av, bv, 1.0, Par::Seq);
        }
        let cm = t0.elapsed().as_secs_f64() / reps as f64;
        // Row-major C viewed as its transpose: Cᵀ (n×m col-major) = B (n×k, row-major = kᵀ col) · Aᵀ.
        let t0 = Instant::now();
        for _ in 0..reps {
            let bv = MatRef::from_column_major_slice(&b, k, n).transpose();
            let av = MatRef::from_column_major_slice(&a, k, m);
            let cv = MatMut::from_column_major_slice_mut(&mut c, n, m);
            faer::linalg::matmul::matmul(cv, Accum::Add, bv, av, 1.0, Par::Seq);
        }
        let tr = t0.elapsed().as_secs_f64() / reps as f64;
        let f = 2.0 * (m * n * k) as f64;
        println!(
            "{m}x{k}x{n}: row-major {:.2} µs ({:.1} GF/s), col-major {:.2} µs ({:.1} GF/s), transposed {:.2} µs ({:.1} GF/s)",
            rm * 1e6, f / rm / 1e9, cm * 1e6, f / cm / 1e9, tr * 1e6, f / tr / 1e9
        );
    }
}
