//! A trained network frozen into a dynamical system, for fixed points, Jacobians and lesions.
//!
//! [`Frozen`] implements [`neurodyn_core::Dynamics`]: `x_{t+1} = F(x_t, u)` is one noiseless step
//! of the cell in f64 for a single sample, with the input projected as in training
//! (`U = W_in u + b`). The Jacobian is the cell's analytic one where it has one, else central
//! differences with step 1e-6.

use crate::bptt::Network;
use crate::cell::{project_sample, StepCtx, StepFwd};
use neurodyn_core::Dynamics;

/// A network in f64 with its effective weights computed once.
pub struct Frozen {
    net: Network<f64>,
    eff: Vec<f64>,
}

impl Frozen {
    /// Freeze a network (f64 copy).
    pub fn new(net: Network<f64>) -> Self {
        let eff = net.effective();
        Frozen { net, eff }
    }

    /// The wrapped network.
    pub fn network(&self) -> &Network<f64> {
        &self.net
    }

    /// The readout at state `x`: `W_out r(x) + b_out` (logits for class targets).
    pub fn output(&self, x: &[f64]) -> Vec<f64> {
        let net = &self.net;
        let h = net.cell.n_units();
        let mut r = vec![0.0; h];
        net.cell.rates_of_state(x, &mut r);
        let w = net.effective_w_out();
        let b = net
            .layout
            .range_of("readout.b_out")
            .map_or_else(|| vec![0.0; net.n_out], |rg| net.params[rg].to_vec());
        (0..net.n_out)
            .map(|o| {
                b[o] + w[o * h..(o + 1) * h]
                    .iter()
                    .zip(&r)
                    .map(|(a, c)| a * c)
                    .sum::<f64>()
            })
            .collect()
    }

    fn project(&self, u: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.net.cell.input_width()];
        project_sample(&*self.net.cell, &self.eff, u, &mut out);
        out
    }

    fn step_projected(&self, x: &[f64], uproj: &[f64], out: &mut [f64]) {
        let cell = &*self.net.cell;
        let h = cell.n_units();
        let mut r_prev = vec![0.0; h];
        cell.rates_of_state(x, &mut r_prev);
        let mut r_next = vec![0.0; h];
        let mut cache = vec![0.0; cell.cache_len()];
        let mut buffers = self.net.buffers.clone();
        cell.step(
            &self.eff,
            StepCtx {
                batch: 1,
                training: false,
                threads: 1,
            },
            StepFwd {
                u: uproj,
                s_prev: x,
                r_prev: &r_prev,
                noise: &[],
                s_next: out,
                r_next: &mut r_next,
                cache: &mut cache,
                buffers: &mut buffers,
                // A cell whose step depends on t (a light-GRU's per-step batch-norm statistics)
                // is frozen at its first step's, those of a trial's opening (fixation) period.
                t: 0,
            },
        );
    }
}

impl Dynamics for Frozen {
    fn n_state(&self) -> usize {
        self.net.cell.state_len()
    }
    fn n_in(&self) -> usize {
        self.net.cell.n_in()
    }
    fn step(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        let p = self.project(u);
        self.step_projected(x, &p, out);
    }
    fn jacobian(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        let p = self.project(u);
        if self.net.cell.jacobian(&self.eff, x, &p, out) {
            return;
        }
        let n = x.len();
        let eps = 1e-6;
        let (mut xp, mut fp, mut fm) = (x.to_vec(), vec![0.0; n], vec![0.0; n]);
        for j in 0..n {
            xp[j] = x[j] + eps;
            self.step_projected(&xp, &p, &mut fp);
            xp[j] = x[j] - eps;
            self.step_projected(&xp, &p, &mut fm);
            xp[j] = x[j];
            for i in 0..n {
                out[i * n + j] = (fp[i] - fm[i]) / (2.0 * eps);
            }
        }
    }
    fn dt_ms(&self) -> Option<f64> {
        self.net.cell.dt_ms()
    }
    fn rates(&self, x: &[f64], out: &mut [f64]) {
        self.net.cell.rates_of_state(x, out);
    }
}
