//! Times the engine's per-step GEMM shapes (`C (+)= A·B`, f32, one thread): faer on row-major and
//! column-major operands against the engine's own entry point `linalg::gemm` (which takes the AVX2
//! kernel on CPUs that have it). The variants run interleaved, round after round, so load from
//! other processes hits them alike; medians and minima over the rounds are printed.
//! Then the sequence-wide products of config B (all T·B rows at once) through `linalg::gemm` on
//! one and two threads (products with B as stored take the AVX2 kernel, the others faer; U and Y
//! are timed both ways), each beside faer's own product on two threads.
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
    // Sequence-wide products at config B (T·B = 12800 rows, I 33, H 256, O 17):
    // (name, C rows, C cols, A stored rows×cols, op(A), B stored rows×cols, op(B)).
    let (n, i, h, o) = (12800usize, 33usize, 256usize, 17usize);
    let shapes = [
        (
            "U = X·W_inᵀ (faer)",
            n,
            h,
            (n, i),
            Trans::N,
            (h, i),
            Trans::T,
        ),
        (
            "U = X·(W_inᵀ stored)",
            n,
            h,
            (n, i),
            Trans::N,
            (i, h),
            Trans::N,
        ),
        (
            "Y = R·W_outᵀ (faer)",
            n,
            o,
            (n, h),
            Trans::N,
            (o, h),
            Trans::T,
        ),
        (
            "Y = R·(W_outᵀ stored)",
            n,
            o,
            (n, h),
            Trans::N,
            (h, o),
            Trans::N,
        ),
        ("∂W_rec = ∂Uᵀ·R", h, h, (n, h), Trans::T, (n, h), Trans::N),
        ("∂W_in = ∂Uᵀ·X", h, i, (n, h), Trans::T, (n, i), Trans::N),
        ("∂W_out = ∂Yᵀ·R", o, h, (n, o), Trans::T, (n, h), Trans::N),
        ("∂R = ∂Y·W_out", n, h, (n, o), Trans::N, (o, h), Trans::N),
    ];
    for (name, cr, cc, (ar, ac), ta, (br, bc), tb) in shapes {
        let a: Vec<f32> = (0..ar * ac).map(|i| (i % 7) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..br * bc).map(|i| (i % 5) as f32 * 0.1).collect();
        let mut c = vec![0.0f32; cr * cc];
        let k = if ta == Trans::N { ac } else { ar };
        let f = 2.0 * (cr * cc * k) as f64;
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for round in 0..rounds.min(15) {
            // Each round starts with a different variant: the one run just after the
            // one-thread product finds the second core idle and pays for waking it.
            for i in 0..times.len() {
                let t = (i + round) % times.len();
                let v = &mut times[t];
                let t0 = Instant::now();
                if t == 2 {
                    // faer itself on two threads, for comparison.
                    let view = |d, r, c, tr| {
                        let v = MatRef::from_row_major_slice(d, r, c);
                        if tr == Trans::T {
                            v.transpose()
                        } else {
                            v
                        }
                    };
                    let cv = MatMut::from_row_major_slice_mut(&mut c, cr, cc);
                    faer::linalg::matmul::matmul(
                        cv,
                        Accum::Replace,
                        view(&a, ar, ac, ta),
                        view(&b, br, bc, tb),
                        1.0,
                        Par::rayon(2),
                    );
                    neurodyn_nn::linalg::clear_upper_vector_state();
                    v.push(t0.elapsed().as_secs_f64());
                    continue;
                }
                gemm(
                    &mut c,
                    cr,
                    cc,
                    mview(&a, ar, ac),
                    ta,
                    mview(&b, br, bc),
                    tb,
                    false,
                    t + 1,
                );
                v.push(t0.elapsed().as_secs_f64());
            }
        }
        print!("{name} ({:.2} GFLOP):", f / 1e9);
        for (t, v) in times.iter_mut().enumerate() {
            let (med, min) = stats(v);
            print!(
                "  {} {:.2} ms (min {:.2}; {:.1} GF/s at median)",
                ["1 thread", "2 threads", "faer 2 threads"][t],
                med * 1e3,
                min * 1e3,
                f / med / 1e9
            );
        }
        println!();
    }
}
