//! Times the engine's per-step GEMM shapes (`C (+)= A·B`, f32, one thread): faer on row-major and
//! column-major operands against the engine's own entry point `linalg::gemm` (which takes the AVX2
//! kernel on CPUs that have it). The variants run interleaved, round after round, so load from
//! other processes hits them alike; medians and minima over the rounds are printed.
//! `cargo run --release -p neurodyn-nn --example gemm_layouts [rounds]`

use faer::{Accum, MatMut, MatRef, Par};
use neurodyn_nn::linalg::{gemm, m as mview, Trans};
use std::time::Instant;

fn stats(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0])
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(41);
    for &(m, k, n) in &[(16usize, 64usize, 64usize), (32, 256, 256), (64, 256, 256)] {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.1).collect();
        let mut c = vec![0.0f32; m * n];
        let reps = (20_000_000 / (m * n * k)).max(20);
        let variants = ["faer row-major", "faer col-major", "linalg::gemm"];
        let mut times = vec![Vec::new(); variants.len()];
        for _ in 0..rounds {
            for (v, t) in times.iter_mut().enumerate() {
                let t0 = Instant::now();
                for _ in 0..reps {
                    match v {
                        0 => {
                            let av = MatRef::from_row_major_slice(&a, m, k);
                            let bv = MatRef::from_row_major_slice(&b, k, n);
                            let cv = MatMut::from_row_major_slice_mut(&mut c, m, n);
                            faer::linalg::matmul::matmul(cv, Accum::Add, av, bv, 1.0, Par::Seq);
                            neurodyn_nn::linalg::clear_upper_vector_state();
                        }
                        1 => {
                            let av = MatRef::from_column_major_slice(&a, m, k);
                            let bv = MatRef::from_column_major_slice(&b, k, n);
                            let cv = MatMut::from_column_major_slice_mut(&mut c, m, n);
                            faer::linalg::matmul::matmul(cv, Accum::Add, av, bv, 1.0, Par::Seq);
                            neurodyn_nn::linalg::clear_upper_vector_state();
                        }
                        _ => gemm(
                            &mut c,
                            m,
                            n,
                            mview(&a, m, k),
                            Trans::N,
                            mview(&b, k, n),
                            Trans::N,
                            true,
                            1,
                        ),
                    }
                }
                t.push(t0.elapsed().as_secs_f64() / reps as f64);
            }
        }
        let f = 2.0 * (m * n * k) as f64;
        print!("{m}x{k}x{n}:");
        for (name, t) in variants.iter().zip(&mut times) {
            let (med, min) = stats(t);
            print!(
                "  {name} {:.2} µs (min {:.2}; {:.1} GF/s at median)",
                med * 1e6,
                min * 1e6,
                f / med / 1e9
            );
        }
        println!();
    }
}
