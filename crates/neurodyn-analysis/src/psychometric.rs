//! Psychometric curves: probability of the "positive" choice against signed evidence, and a
//! maximum-likelihood logistic fit.
//!
//! Per trial, evidence `x = e · σ` where `e` is the `evidence_label` (e.g. coherence) and
//! `σ = +1` if `sign_label` equals `sign_positive` (e.g. ground truth = right), else `−1`
//! (no sign label: `σ = 1`). The choice is either a label or read from the network's outputs:
//! the output channel (fixation channel excluded) with the largest mean over the window. A trial
//! is *positive* when its choice equals `positive_choice`.
//!
//! Fit: `p(x) = γ + (1 − 2γ) / (1 + exp(−(x − x0)/s))` with lapse `γ = 0` unless `lapse = true`
//! (then `γ ∈ (0, ½)`, parametrised `γ = ½·σ(c)`). The Bernoulli log-likelihood of the trial
//! outcomes is maximised by Newton's method on `(a, b[, c])` with `a + b·x = (x − x0)/s`:
//! exact Hessian (IRLS) without lapse, a finite-difference Hessian of the analytic gradient with
//! lapse, Levenberg damping whenever a step would not increase the likelihood.

use crate::error::{AnalysisError, Result};
use crate::window::{check_recording, require_label, Window};
use neurodyn_core::{Npz, Recording};
use serde::{Deserialize, Serialize};

/// Where a trial's choice comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceSource {
    /// A label holding the choice.
    Label(String),
    /// Argmax of the mean output over the window (skipping `fixation_channel`).
    Outputs(Window),
}

/// Settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PsychometricConfig {
    /// Label with the unsigned evidence (coherence).
    pub evidence_label: String,
    /// Label giving the evidence's sign; `None` = evidence already signed.
    pub sign_label: Option<String>,
    /// Value of `sign_label` that makes the evidence positive.
    pub sign_positive: f64,
    /// Choice source.
    pub choice: ChoiceSource,
    /// Output channel ignored when reading choices from outputs.
    pub fixation_channel: Option<usize>,
    /// The choice counted as positive.
    pub positive_choice: f64,
    /// Fit a lapse rate.
    pub lapse: bool,
    /// Points of the fitted curve.
    pub n_curve: usize,
}

impl Default for PsychometricConfig {
    fn default() -> Self {
        PsychometricConfig {
            evidence_label: "coherence".into(),
            sign_label: Some("ground_truth".into()),
            sign_positive: 1.0,
            choice: ChoiceSource::Outputs(Window::Period("decision".into())),
            fixation_channel: Some(0),
            positive_choice: 1.0,
            lapse: false,
            n_curve: 101,
        }
    }
}

/// A fitted logistic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogisticFit {
    /// Point of subjective equality (`p = ½`).
    pub x0: f64,
    /// Scale (`1/slope` of the logit).
    pub s: f64,
    /// Lapse rate γ (0 without lapse).
    pub lapse: f64,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Newton iterations.
    pub iterations: usize,
    /// Whether the gradient fell below tolerance.
    pub converged: bool,
}

impl LogisticFit {
    /// The fitted probability at `x`.
    pub fn p(&self, x: f64) -> f64 {
        self.lapse + (1.0 - 2.0 * self.lapse) * sigmoid((x - self.x0) / self.s)
    }
}

/// Data points, fit and curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PsychometricResult {
    /// Distinct evidence values, increasing.
    pub x: Vec<f64>,
    /// Trials at each.
    pub n: Vec<usize>,
    /// Positive choices at each.
    pub n_positive: Vec<usize>,
    /// Fraction positive at each.
    pub p: Vec<f64>,
    /// Lower end of each fraction's 95 % Wilson score interval ([`wilson_interval`]).
    pub p_lo: Vec<f64>,
    /// Upper end of each fraction's 95 % Wilson score interval.
    pub p_hi: Vec<f64>,
    /// The fit.
    pub fit: LogisticFit,
    /// Curve abscissae.
    pub curve_x: Vec<f64>,
    /// Curve values.
    pub curve_p: Vec<f64>,
}

impl PsychometricResult {
    /// Arrays for `.npz`: `x`, `n`, `n_positive`, `p`, `p_lo`, `p_hi`, `curve_x`, `curve_p`,
    /// `fit` = `[x0, s, lapse]`.
    pub fn to_npz(&self) -> Result<Npz> {
        let m = self.x.len();
        let ints = |v: &[usize]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
        let mut z = Npz::new();
        z.f64("x", &[m], self.x.clone())?;
        z.i64("n", &[m], ints(&self.n))?;
        z.i64("n_positive", &[m], ints(&self.n_positive))?;
        z.f64("p", &[m], self.p.clone())?;
        z.f64("p_lo", &[m], self.p_lo.clone())?;
        z.f64("p_hi", &[m], self.p_hi.clone())?;
        z.f64("curve_x", &[self.curve_x.len()], self.curve_x.clone())?;
        z.f64("curve_p", &[self.curve_p.len()], self.curve_p.clone())?;
        z.f64("fit", &[3], vec![self.fit.x0, self.fit.s, self.fit.lapse])?;
        Ok(z)
    }
}

/// The Wilson score interval of a proportion `k / n` at normal quantile `z` (1.96 for 95 %):
/// `(p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`. Unlike the normal approximation it
/// stays inside [0, 1] and is not empty at k = 0 or k = n. `(NaN, NaN)` for n = 0.
pub fn wilson_interval(k: usize, n: usize, z: f64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let d = 1.0 + z2 / n;
    (
        ((centre - half) / d).max(0.0),
        ((centre + half) / d).min(1.0),
    )
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Log-likelihood and gradient in `θ = (a, b[, c])`.
fn loglik(theta: &[f64], x: &[f64], y: &[bool], grad: &mut [f64]) -> f64 {
    grad.iter_mut().for_each(|g| *g = 0.0);
    let lapse = theta.len() == 3;
    let (g, dg) = if lapse {
        let sc = sigmoid(theta[2]);
        (0.5 * sc, 0.5 * sc * (1.0 - sc))
    } else {
        (0.0, 0.0)
    };
    let mut ll = 0.0;
    for (&xi, &yi) in x.iter().zip(y) {
        let f = sigmoid(theta[0] + theta[1] * xi);
        let p = (g + (1.0 - 2.0 * g) * f).clamp(1e-300, 1.0 - 1e-16);
        ll += if yi { p.ln() } else { (1.0 - p).ln() };
        // d ll / d p
        let w = if yi { 1.0 / p } else { -1.0 / (1.0 - p) };
        let dpdz = (1.0 - 2.0 * g) * f * (1.0 - f);
        grad[0] += w * dpdz;
        grad[1] += w * dpdz * xi;
        if lapse {
            grad[2] += w * (1.0 - 2.0 * f) * dg;
        }
    }
    ll
}

/// Solve the small dense system `a x = b` (Gaussian elimination, partial pivoting).
fn solve_small(mut a: Vec<f64>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs()))?;
        if a[p * n + k].abs() < 1e-300 {
            return None;
        }
        for j in 0..n {
            a.swap(k * n + j, p * n + j);
        }
        b.swap(k, p);
        for i in k + 1..n {
            let f = a[i * n + k] / a[k * n + k];
            for j in k..n {
                a[i * n + j] -= f * a[k * n + j];
            }
            b[i] -= f * b[k];
        }
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|j| a[i * n + j] * b[j]).sum();
        b[i] = (b[i] - s) / a[i * n + i];
    }
    b.iter().all(|v| v.is_finite()).then_some(b)
}

/// Maximum-likelihood logistic fit of binary outcomes `y` at evidence `x`.
pub fn fit_logistic(x: &[f64], y: &[bool], lapse: bool) -> Result<LogisticFit> {
    if x.len() != y.len() || x.is_empty() {
        return Err(AnalysisError::shape(
            "psychometric x / y",
            &[x.len()],
            &[y.len()],
        ));
    }
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
    if sd == 0.0 {
        return Err(AnalysisError::empty(
            "psychometric fit needs ≥ 2 distinct evidence values",
        ));
    }
    let mut theta = vec![-mean / sd, 1.0 / sd];
    if lapse {
        // Start from the lapse-free fit with γ = 1 %.
        let f0 = fit_logistic(x, y, false)?;
        theta = vec![-f0.x0 / f0.s, 1.0 / f0.s, (0.02f64 / 0.98).ln()];
    }
    let np = theta.len();
    let mut grad = vec![0.0; np];
    let mut ll = loglik(&theta, x, y, &mut grad);
    let (mut iterations, mut converged, mut mu) = (0, false, 0.0f64);
    let scale = x.len() as f64;
    while iterations < 200 {
        if grad.iter().map(|g| g.abs()).fold(0.0, f64::max) < 1e-9 * scale {
            converged = true;
            break;
        }
        iterations += 1;
        // Negative Hessian by central differences of the analytic gradient.
        let mut h = vec![0.0; np * np];
        let (mut gp, mut gm) = (vec![0.0; np], vec![0.0; np]);
        for j in 0..np {
            let e = 1e-5 * theta[j].abs().max(1.0);
            let mut t = theta.clone();
            t[j] += e;
            loglik(&t, x, y, &mut gp);
            t[j] -= 2.0 * e;
            loglik(&t, x, y, &mut gm);
            for i in 0..np {
                h[i * np + j] = -(gp[i] - gm[i]) / (2.0 * e);
            }
        }
        for i in 0..np {
            for j in 0..i {
                let s = 0.5 * (h[i * np + j] + h[j * np + i]);
                h[i * np + j] = s;
                h[j * np + i] = s;
            }
        }
        let mut accepted = false;
        for _ in 0..30 {
            let mut hd = h.clone();
            let diag_max = (0..np).map(|i| h[i * np + i].abs()).fold(0.0, f64::max);
            for i in 0..np {
                hd[i * np + i] += mu * diag_max.max(1.0);
            }
            if let Some(step) = solve_small(hd, grad.clone()) {
                let t: Vec<f64> = theta.iter().zip(&step).map(|(a, s)| a + s).collect();
                let mut g2 = vec![0.0; np];
                let ll2 = loglik(&t, x, y, &mut g2);
                if ll2.is_finite() && ll2 >= ll {
                    let gain = ll2 - ll;
                    theta = t;
                    grad = g2;
                    ll = ll2;
                    mu *= 0.1;
                    accepted = true;
                    if gain < 1e-14 * ll.abs().max(1.0) && mu < 1e-12 {
                        converged = true;
                    }
                    break;
                }
            }
            mu = if mu == 0.0 { 1e-6 } else { mu * 10.0 };
        }
        if !accepted || converged {
            converged =
                converged || grad.iter().map(|g| g.abs()).fold(0.0, f64::max) < 1e-6 * scale;
            break;
        }
    }
    let (a, b) = (theta[0], theta[1]);
    Ok(LogisticFit {
        x0: -a / b,
        s: 1.0 / b,
        lapse: if lapse { 0.5 * sigmoid(theta[2]) } else { 0.0 },
        log_likelihood: ll,
        iterations,
        converged,
    })
}

/// Signed evidence and choice of every trial that has both.
fn trials(rec: &Recording, c: &PsychometricConfig) -> Result<(Vec<f64>, Vec<bool>)> {
    check_recording(rec)?;
    let ev = require_label(rec, &c.evidence_label)?;
    let sign = c
        .sign_label
        .as_deref()
        .map(|n| require_label(rec, n))
        .transpose()?;
    let choice_label = match &c.choice {
        ChoiceSource::Label(n) => Some(require_label(rec, n)?),
        ChoiceSource::Outputs(w) => {
            w.validate(rec)?;
            None
        }
    };
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..rec.n_trials {
        let s = sign.map_or(1.0, |col| {
            if col.values[i] == c.sign_positive {
                1.0
            } else {
                -1.0
            }
        });
        let choice = match (&c.choice, choice_label) {
            (_, Some(col)) => col.values[i],
            (ChoiceSource::Outputs(w), None) => {
                let Some((t0, t1)) = w.bounds(rec, i) else {
                    continue;
                };
                let no = rec.n_out;
                let mut best: Option<(usize, f64)> = None;
                for ch in (0..no).filter(|&ch| Some(ch) != c.fixation_channel) {
                    let m = (t0..t1)
                        .map(|t| rec.outputs[(i * rec.n_steps + t) * no + ch] as f64)
                        .sum::<f64>();
                    if best.is_none_or(|b| m > b.1) {
                        best = Some((ch, m));
                    }
                }
                match best {
                    Some((ch, _)) => ch as f64,
                    None => continue,
                }
            }
            (ChoiceSource::Label(_), None) => continue,
        };
        let e = ev.values[i];
        if e.is_nan() || choice.is_nan() {
            continue;
        }
        x.push(e * s);
        y.push(choice == c.positive_choice);
    }
    Ok((x, y))
}

/// Psychometric points and logistic fit for `rec`.
pub fn run(rec: &Recording, config: &PsychometricConfig) -> Result<PsychometricResult> {
    let (x, y) = trials(rec, config)?;
    run_on_trials(&x, &y, config.lapse, config.n_curve)
}

/// Same as [`run`] from per-trial signed evidence and outcomes.
pub fn run_on_trials(
    x: &[f64],
    y: &[bool],
    lapse: bool,
    n_curve: usize,
) -> Result<PsychometricResult> {
    let fit = fit_logistic(x, y, lapse)?;
    let mut pairs: Vec<(f64, bool)> = x.iter().copied().zip(y.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut xs, mut n, mut k) = (Vec::new(), Vec::new(), Vec::new());
    for (xi, yi) in pairs {
        if xs.last() != Some(&xi) {
            xs.push(xi);
            n.push(0);
            k.push(0);
        }
        if let (Some(nl), Some(kl)) = (n.last_mut(), k.last_mut()) {
            *nl += 1;
            *kl += yi as usize;
        }
    }
    let p = n
        .iter()
        .zip(&k)
        .map(|(&n, &k)| k as f64 / n as f64)
        .collect();
    let (lo, hi) = (xs[0], xs[xs.len() - 1]);
    let m = n_curve.max(2);
    let curve_x: Vec<f64> = (0..m)
        .map(|i| lo + (hi - lo) * i as f64 / (m - 1) as f64)
        .collect();
    let curve_p = curve_x.iter().map(|&v| fit.p(v)).collect();
    let (p_lo, p_hi) = n
        .iter()
        .zip(&k)
        .map(|(&n, &k)| wilson_interval(k, n, 1.959_963_984_540_054))
        .unzip();
    Ok(PsychometricResult {
        x: xs,
        n,
        n_positive: k,
        p,
        p_lo,
        p_hi,
        fit,
        curve_x,
        curve_p,
    })
}

#[cfg(test)]
mod tests {
    use super::wilson_interval;

    /// statsmodels' `proportion_confint(k, n, alpha=0.05, method="wilson")`
    /// (`tests/golden/analysis/make_wilson_golden.py`).
    #[test]
    fn wilson_intervals_match_statsmodels() {
        let z = 1.959_963_984_540_054;
        for (k, n, lo, hi) in [
            (5, 10, 0.236_593_091, 0.763_406_909),
            (0, 10, 0.0, 0.277_532_800),
            (10, 10, 0.722_467_200, 1.0),
        ] {
            let (a, b) = wilson_interval(k, n, z);
            assert!(
                (a - lo).abs() < 1e-8 && (b - hi).abs() < 1e-8,
                "{k}/{n}: {a} {b}"
            );
        }
        assert!(wilson_interval(0, 0, z).0.is_nan());
    }
}
