//! The one-step map of a [`ConvCtrnn`] under a static image, `F(r)`, and its Jacobian-vector
//! products, for matrix-free spectra (Arnoldi) and fixed points (Newton–Krylov) of states too
//! large for a dense Jacobian.
//!
//! With `z_l` the pre-activation of area `l` at state `r` and `D_l = diag(z_l > 0)`,
//!
//! ```text
//! (J v)_l = (1 − α) v_l + α D_l (rec_l(v_l) + ff_l(δin_l))
//! δin_0 = 0                                                     (the stem does not depend on r)
//! δin_1 = E_0 v_0                                               E_k = diag(r_k > 0)
//! δin_l = E_{l−1} v_{l−1} + E_{l−2} v_{l−2}                        l ≥ 2 even
//! δin_l = E_{l−1} v_{l−1} + skip_l(E_{l−2} v_{l−2})                l ≥ 3 odd
//! ```
//!
//! every convolution being linear (no bias). ReLU's derivative at 0 is taken as 0, as in the
//! backward pass, so a unit resting at exactly zero passes nothing on. The map is piecewise
//! linear, and `J` is exact wherever no pre-activation or rate sits on a kink.

use super::workspace::{ctx, ConvCtrnnWorkspace, InitState};
use super::ConvCtrnn;
use crate::layers::{numel, Layer};
use neurodyn_core::MatrixFreeMap;

/// `F(r)` and `J_F(r) v` for one image, as a [`MatrixFreeMap`]; the Jacobian is the one at the
/// state last passed to [`MatrixFreeMap::step`].
pub struct StepMap<'a> {
    net: &'a ConvCtrnn,
    params: &'a [f64],
    image: Vec<f64>,
    ws: ConvCtrnnWorkspace<f64>,
    /// Per area: 1 where the pre-activation is positive, else 0.
    z_on: Vec<Vec<f64>>,
    /// Per area: 1 where the rate is positive, else 0.
    r_on: Vec<Vec<f64>>,
    /// Offsets of the areas in the state.
    off: Vec<usize>,
    masked: Vec<f64>,
    d_in: Vec<f64>,
    y: Vec<f64>,
    tmp: Vec<f64>,
    scratch: Vec<f64>,
    linearised: bool,
}

impl<'a> StepMap<'a> {
    /// The map of `net` with `params` under `image` (one image, `(C, H, W)`).
    pub fn new(net: &'a ConvCtrnn, params: &'a [f64], image: &[f64]) -> StepMap<'a> {
        assert_eq!(
            image.len(),
            numel(net.in_shape()),
            "conv-ctrnn step map: one image"
        );
        assert_eq!(params.len(), net.n_params(), "conv-ctrnn step map: params");
        let off = net.area_offsets();
        let lens: Vec<usize> = net.areas.iter().map(|a| numel(a.shape)).collect();
        let max_in = net
            .areas
            .iter()
            .map(|a| numel(Layer::<f64>::in_shape(&a.ff)))
            .chain(lens.iter().copied())
            .max()
            .unwrap_or(0);
        StepMap {
            net,
            params,
            image: image.to_vec(),
            ws: ConvCtrnnWorkspace::default(),
            z_on: lens.iter().map(|&l| vec![0.0; l]).collect(),
            r_on: lens.iter().map(|&l| vec![0.0; l]).collect(),
            off,
            masked: vec![0.0; max_in],
            d_in: vec![0.0; max_in],
            y: vec![0.0; max_in],
            tmp: vec![0.0; max_in],
            scratch: Vec::new(),
            linearised: false,
        }
    }
}

impl MatrixFreeMap for StepMap<'_> {
    /// Length of the state, every area's map in order.
    fn dim(&self) -> usize {
        self.net.state_len()
    }

    /// `out = F(r)`, one step of the network from state `r`, and the Jacobian at `r` for the
    /// next [`MatrixFreeMap::jvp`] calls.
    fn step(&mut self, r: &[f64], out: &mut [f64]) {
        let n = self.dim();
        assert!(
            r.len() == n && out.len() == n,
            "conv-ctrnn step map: state length"
        );
        self.net.forward(
            self.params,
            &mut self.ws,
            &self.image,
            InitState::Shared(r),
            1,
            1,
            0,
        );
        for l in 0..self.net.areas.len() {
            let (a, b) = (self.off[l], self.off[l + 1]);
            out[a..b].copy_from_slice(self.ws.state(l, 1));
            for (m, &z) in self.z_on[l].iter_mut().zip(&self.ws.z[l][..b - a]) {
                *m = if z > 0.0 { 1.0 } else { 0.0 };
            }
            for (m, &x) in self.r_on[l].iter_mut().zip(&r[a..b]) {
                *m = if x > 0.0 { 1.0 } else { 0.0 };
            }
        }
        self.linearised = true;
    }

    /// `out = J_F(r) v` at the `r` of the last [`MatrixFreeMap::step`].
    fn jvp(&mut self, v: &[f64], out: &mut [f64]) {
        let n = self.dim();
        assert!(
            v.len() == n && out.len() == n,
            "conv-ctrnn step map: vector length"
        );
        assert!(self.linearised, "conv-ctrnn step map: jvp before step");
        let net = self.net;
        let c = ctx(1);
        let alpha = net.alpha();
        let keep = 1.0 - alpha;
        for (l, a) in net.areas.iter().enumerate() {
            let (lo, hi) = (self.off[l], self.off[l + 1]);
            let len = hi - lo;
            let vl = &v[lo..hi];
            let y = &mut self.y[..len];
            a.rec
                .forward(&self.params[a.rec_at.clone()], vl, y, &mut self.scratch, c);
            if l >= 1 {
                let in_len = numel(Layer::<f64>::in_shape(&a.ff));
                let d_in = &mut self.d_in[..in_len];
                let masked = |k: usize, dst: &mut [f64]| {
                    let (p, q) = (self.off[k], self.off[k + 1]);
                    for ((d, &x), &m) in dst.iter_mut().zip(&v[p..q]).zip(&self.r_on[k]) {
                        *d = x * m;
                    }
                };
                masked(l - 1, d_in);
                if l >= 2 {
                    let lk = self.off[l - 1] - self.off[l - 2];
                    let m2 = &mut self.masked[..lk];
                    masked(l - 2, m2);
                    match &a.skip {
                        Some(skip) => {
                            let t = &mut self.tmp[..in_len];
                            skip.forward(
                                &self.params[a.skip_at.clone()],
                                m2,
                                t,
                                &mut self.scratch,
                                c,
                            );
                            for (d, &x) in d_in.iter_mut().zip(t.iter()) {
                                *d += x;
                            }
                        }
                        None => {
                            for (d, &x) in d_in.iter_mut().zip(m2.iter()) {
                                *d += x;
                            }
                        }
                    }
                }
                let t = &mut self.tmp[..len];
                a.ff.forward(
                    &self.params[a.ff_at.clone()],
                    &self.d_in[..in_len],
                    t,
                    &mut self.scratch,
                    c,
                );
                for (yy, &x) in y.iter_mut().zip(t.iter()) {
                    *yy += x;
                }
            }
            for (((o, &vv), &yy), &m) in out[lo..hi]
                .iter_mut()
                .zip(vl)
                .zip(y.iter())
                .zip(&self.z_on[l])
            {
                *o = keep * vv + alpha * m * yy;
            }
        }
    }
}
