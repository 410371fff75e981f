//! Fixed-point search timing: a 64-unit tanh CTRNN (g = 1.5, α = 0.2), 1024 starts sampled from
//! its own trajectories plus noise. Not a test; run with
//! `cargo run --release -p neurodyn-analysis --example fixed_point_bench [n_threads] [EXPORT.npz]`.
//!
//! With `EXPORT.npz` it also writes the network (`w`, `b`, `alpha`) and the first repetition's
//! 1024 starts (`starts`) so that `fixed_point_bench_torch.py` can run the nn-brain recipe
//! (PyTorch, Adam, 10 000 steps) on the very same problem.

use neurodyn_analysis::fixed_points::{self, FixedPointConfig};
use neurodyn_core::{Dynamics, LabelColumn, RecTargets, Recording, Rng};
use std::time::Instant;

struct Ctrnn {
    n: usize,
    alpha: f64,
    w: Vec<f64>,
    b: Vec<f64>,
}

impl Ctrnn {
    fn pre(&self, x: &[f64], out: &mut [f64]) {
        for i in 0..self.n {
            out[i] = self.b[i]
                + self.w[i * self.n..(i + 1) * self.n]
                    .iter()
                    .zip(x)
                    .map(|(w, x)| w * x)
                    .sum::<f64>();
        }
    }
}

impl Dynamics for Ctrnn {
    fn n_state(&self) -> usize {
        self.n
    }
    fn n_in(&self) -> usize {
        0
    }
    fn step(&self, x: &[f64], _u: &[f64], out: &mut [f64]) {
        self.pre(x, out);
        for i in 0..self.n {
            out[i] = (1.0 - self.alpha) * x[i] + self.alpha * out[i].tanh();
        }
    }
    fn jacobian(&self, x: &[f64], _u: &[f64], out: &mut [f64]) {
        let n = self.n;
        let mut z = vec![0.0; n];
        self.pre(x, &mut z);
        for i in 0..n {
            let d = self.alpha * (1.0 - z[i].tanh().powi(2));
            for j in 0..n {
                out[i * n + j] = d * self.w[i * n + j];
            }
            out[i * n + i] += 1.0 - self.alpha;
        }
    }
    fn dt_ms(&self) -> Option<f64> {
        // α = dt/τ with τ = 100 ms.
        Some(100.0 * self.alpha)
    }
}

fn main() {
    let n_threads: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let (n, g) = (64, 1.5);
    let mut rng = Rng::new(0);
    let net = Ctrnn {
        n,
        alpha: 0.2,
        w: (0..n * n)
            .map(|_| g / (n as f64).sqrt() * rng.normal())
            .collect(),
        b: (0..n).map(|_| 0.1 * rng.normal()).collect(),
    };
    let (trials, steps) = (32, 100);
    let mut rates = Vec::new();
    let mut next = vec![0.0; n];
    for _ in 0..trials {
        let mut x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        for _ in 0..steps {
            rates.extend(x.iter().map(|&v| v as f32));
            net.step(&x, &[], &mut next);
            x.copy_from_slice(&next);
        }
    }
    let rec = Recording {
        n_trials: trials,
        n_steps: steps,
        n_units: n,
        n_in: 0,
        n_out: 0,
        rates,
        inputs: vec![],
        outputs: vec![],
        targets: RecTargets::Class(vec![0; trials * steps]),
        mask: vec![1.0; trials * steps],
        trial_len: vec![steps; trials],
        periods: vec![],
        labels: Vec::<LabelColumn>::new(),
        gates: Vec::new(),
        states: Vec::new(),
    };
    let cfg = FixedPointConfig {
        n_starts: 1024,
        noise_std: 0.05,
        n_threads,
        ..FixedPointConfig::default()
    };
    if let Some(path) = std::env::args().nth(2) {
        let starts =
            fixed_points::sample_starts(&rec, 1024, 0.05, None, &mut Rng::new(0)).expect("starts");
        let mut z = neurodyn_core::Npz::new();
        z.f64("w", &[n, n], net.w.clone()).expect("w");
        z.f64("b", &[n], net.b.clone()).expect("b");
        z.f64("alpha", &[1], vec![net.alpha]).expect("alpha");
        z.f64("starts", &[1024, n], starts).expect("starts");
        z.save(std::path::Path::new(&path)).expect("write export");
        println!("wrote {path}");
    }
    let mut times = Vec::new();
    let mut last = None;
    for rep in 0..5 {
        let t = Instant::now();
        let r = fixed_points::run_on_recording(&net, &rec, &[], &cfg, &mut Rng::new(rep))
            .expect("search");
        times.push(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    times.sort_by(f64::total_cmp);
    if let Some(r) = last {
        let conv = r.q_all.iter().filter(|&&q| q < cfg.tol_q).count();
        let iters: usize = r.points.iter().map(|p| p.iterations).sum();
        println!(
            "64 units, 1024 starts, {n_threads} thread(s): median {:.3} s (min {:.3}, max {:.3}); {conv}/1024 starts reached q < 1e-12; {} unique points ({} converged), mean iterations of kept points {:.1}",
            times[2],
            times[0],
            times[4],
            r.points.len(),
            r.converged().count(),
            iters as f64 / r.points.len().max(1) as f64
        );
    }
}
