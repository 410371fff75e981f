//! Shared test fixtures: a hand-written CTRNN `Dynamics` and synthetic recordings.
#![allow(dead_code)]

use neurodyn_core::{Dynamics, LabelColumn, RecTargets, Recording, Rng};

/// `x ← (1 − α) x + α tanh(W x + B u + b)`, state = rates.
pub struct Ctrnn {
    pub n: usize,
    pub n_in: usize,
    pub alpha: f64,
    /// `n × n` row-major.
    pub w: Vec<f64>,
    /// `n × n_in` row-major.
    pub w_in: Vec<f64>,
    pub b: Vec<f64>,
}

impl Ctrnn {
    pub fn new(n: usize, alpha: f64, w: Vec<f64>) -> Self {
        assert_eq!(w.len(), n * n);
        Ctrnn {
            n,
            n_in: 1,
            alpha,
            w,
            w_in: vec![0.0; n],
            b: vec![0.0; n],
        }
    }

    /// Random `W ~ N(0, g²/n)`, inputs and biases `N(0, 0.1²)`.
    pub fn random(n: usize, g: f64, alpha: f64, rng: &mut Rng) -> Self {
        let w = (0..n * n)
            .map(|_| g / (n as f64).sqrt() * rng.normal())
            .collect();
        let mut c = Ctrnn::new(n, alpha, w);
        c.w_in = (0..n).map(|_| 0.1 * rng.normal()).collect();
        c.b = (0..n).map(|_| 0.1 * rng.normal()).collect();
        c
    }

    fn pre(&self, x: &[f64], u: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|i| {
                let rec: f64 = (0..self.n).map(|j| self.w[i * self.n + j] * x[j]).sum();
                let inp: f64 = (0..self.n_in)
                    .map(|k| self.w_in[i * self.n_in + k] * u[k])
                    .sum();
                rec + inp + self.b[i]
            })
            .collect()
    }

    /// Trajectories `(trial, time, n)` from random starts, for sampling fixed-point starts.
    pub fn simulate(&self, n_trials: usize, n_steps: usize, u: &[f64], rng: &mut Rng) -> Recording {
        let mut rates = Vec::with_capacity(n_trials * n_steps * self.n);
        let mut next = vec![0.0; self.n];
        for _ in 0..n_trials {
            let mut x: Vec<f64> = (0..self.n).map(|_| 0.5 * rng.normal()).collect();
            for _ in 0..n_steps {
                rates.extend(x.iter().map(|&v| v as f32));
                self.step(&x, u, &mut next);
                x.copy_from_slice(&next);
            }
        }
        recording(n_trials, n_steps, self.n, rates, vec![])
    }
}

impl Dynamics for Ctrnn {
    fn n_state(&self) -> usize {
        self.n
    }
    fn n_in(&self) -> usize {
        self.n_in
    }
    fn step(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        for (i, z) in self.pre(x, u).into_iter().enumerate() {
            out[i] = (1.0 - self.alpha) * x[i] + self.alpha * z.tanh();
        }
    }
    fn jacobian(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        let n = self.n;
        for (i, z) in self.pre(x, u).into_iter().enumerate() {
            let d = 1.0 - z.tanh().powi(2);
            for j in 0..n {
                out[i * n + j] = self.alpha * d * self.w[i * n + j]
                    + if i == j { 1.0 - self.alpha } else { 0.0 };
            }
        }
    }
    fn dt_ms(&self) -> Option<f64> {
        // α = dt/τ with τ = 100 ms.
        Some(100.0 * self.alpha)
    }
}

/// A recording with the given rates and labels, full-length trials, no periods.
pub fn recording(
    n_trials: usize,
    n_steps: usize,
    n_units: usize,
    rates: Vec<f32>,
    labels: Vec<(&str, Vec<f64>)>,
) -> Recording {
    Recording {
        n_trials,
        n_steps,
        n_units,
        n_in: 1,
        n_out: 1,
        rates,
        inputs: vec![0.0; n_trials * n_steps],
        outputs: vec![0.0; n_trials * n_steps],
        targets: RecTargets::Class(vec![0; n_trials * n_steps]),
        mask: vec![1.0; n_trials * n_steps],
        trial_len: vec![n_steps; n_trials],
        periods: vec![],
        labels: labels
            .into_iter()
            .map(|(name, values)| LabelColumn {
                name: name.to_string(),
                values,
                discrete: true,
            })
            .collect(),
        gates: Vec::new(),
        states: Vec::new(),
    }
}
