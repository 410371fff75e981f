//! Encoding: which distribution one unit's responses follow — Poisson, Gaussian or gamma — the
//! seed's "the activation distribution of neuron 2 in layer 3 was fitted to a Poisson".
//!
//! A ReLU unit's activations `a ≥ 0` are continuous; a Poisson describes counts. They become
//! counts as spikes would in a time window, `k = round(a · S)` (halves rounded up), with the
//! scale `S` given, or by default `S = 10 / mean(a)` so that the mean count is 10 (about what a
//! neuron firing 10–50 Hz emits in a 200–1000 ms window; `scale_source` says which). All three
//! fits are of the same counts `k`:
//!
//! ```text
//! Poisson   λ̂ = mean k                       ln L = Σ k ln λ̂ − λ̂ − ln k!
//! Gaussian  μ̂ = mean k, σ̂² = mean (k − μ̂)²    ln L = Σ ln N(k; μ̂, σ̂)       (scipy norm.fit)
//! gamma     location 0, on the k > 0 only:   ln k̂ − ψ(k̂) = ln mean k − mean ln k, θ̂ = mean k / k̂
//!                                            (Newton from Minka's start; scipy gamma.fit(floc=0))
//! AIC = 2 · parameters − 2 ln L               (1 for the Poisson, 2 for the others)
//! Fano factor F = var k / mean k              (sample variance, ddof = 1; F = 1 for a Poisson)
//! ```
//!
//! The Gaussian and gamma log-likelihoods are densities at the integer counts, which is what a
//! probability of the unit bin around `k` is to first order, so their AIC sits on the Poisson's
//! scale; the gamma's is over the positive counts only (`n_excluded_zeros` say how many were
//! left out) and is comparable with the others only when none were. `best_aic` picks among the
//! comparable ones.
//!
//! Goodness of fit of the Poisson: Pearson's `χ² = Σ (O − E)² / E` over the count histogram,
//! with bins `k = 0, 1, …, k_max − 1` and a last bin `k ≥ k_max` (`k_max` the largest count
//! observed) so that the expected counts `E = n · P(bin | λ̂)` sum to `n`. Adjacent bins are
//! pooled from `k = 0` upwards until each holds an expected count ≥ 5; what is left at the top
//! with less joins the last pooled bin. Degrees of freedom = bins − 1 − 1 (λ̂ was estimated);
//! the p-value is `Q(dof/2, χ²/2)` ([`crate::special::chi2_sf`]), as `scipy.stats.chisquare(O,
//! E, ddof=1)` gives it. Fewer than three pooled bins leave no degree of freedom: no test.
//!
//! Checked against scipy (`poisson.logpmf`, `norm.fit`, `gamma.fit(floc=0)`, `chisquare`,
//! `chi2.sf`) by `tests/golden/analysis/make_encoding_golden.py`.

pub use crate::distribution_fit::{
    fit_gamma, fit_normal, fit_poisson, gamma_ln_pdf, normal_ln_pdf, poisson_chi_square,
    poisson_ln_pmf, ChiSquare, GammaFit, GaussianFit, PoissonFit, PooledBin,
};
use crate::error::{AnalysisError, Result};
use neurodyn_core::Npz;
use serde::{Deserialize, Serialize};

/// The mean count the default scale aims at.
pub const DEFAULT_MEAN_COUNT: f64 = 10.0;

/// How activations become counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct EncodingConfig {
    /// Counts per unit of activation (`k = round(a · scale)`); `None`: `10 / mean(a)`.
    pub scale: Option<f64>,
}

/// Everything [`run`] finds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EncodingResult {
    /// Responses fitted.
    pub n: usize,
    /// Counts per unit of activation.
    pub scale: f64,
    /// `"mean count 10"` (the default) or `"given"`.
    pub scale_source: String,
    /// Mean activation.
    pub mean_activation: f64,
    /// Largest activation.
    pub max_activation: f64,
    /// Activations exactly 0 (a ReLU's silent responses).
    pub n_zero_activations: usize,
    /// Mean count.
    pub mean_count: f64,
    /// Sample variance of the counts (ddof = 1).
    pub var_count: f64,
    /// var / mean of the counts (ddof = 1); `None` with fewer than two responses.
    pub fano: Option<f64>,
    /// Zero counts.
    pub n_zero_counts: usize,
    /// Poisson fit.
    pub poisson: PoissonFit,
    /// Gaussian fit (`None` when every count is the same).
    pub gaussian: Option<GaussianFit>,
    /// Gamma fit (`None` with fewer than two distinct positive counts).
    pub gamma: Option<GammaFit>,
    /// The χ² test of the Poisson (`None` with fewer than three pooled bins).
    pub chi_square: Option<ChiSquare>,
    /// The fit with the smallest AIC among those on the same data (`poisson`, `gaussian`, and
    /// `gamma` when no zero was excluded).
    pub best_aic: String,
    /// Images with count `k`, for `k = 0 ..= max count`.
    pub histogram: Vec<u64>,
    /// Poisson pmf at `k = 0 ..= max count`.
    pub poisson_pmf: Vec<f64>,
    /// What could not be computed, and why.
    pub warnings: Vec<String>,
    /// Every count, in input order (the npz's `counts`; not in JSON).
    #[serde(skip)]
    pub counts: Vec<u64>,
}

impl EncodingResult {
    /// Densities of the Gaussian and gamma fits at `k = 0 ..= max count` (NaN where a fit is
    /// missing; the gamma's scaled by the fraction of positive counts, so that it sits on the
    /// probabilities of all counts).
    pub fn densities(&self) -> (Vec<f64>, Vec<f64>) {
        let ks = (0..self.histogram.len()).map(|k| k as f64);
        let gauss = ks
            .clone()
            .map(|k| {
                self.gaussian
                    .as_ref()
                    .map_or(f64::NAN, |g| normal_ln_pdf(k, g.mu, g.sigma).exp())
            })
            .collect();
        let gamma = ks
            .map(|k| {
                self.gamma.as_ref().map_or(f64::NAN, |g| {
                    let frac = g.n_used as f64 / self.n as f64;
                    if k > 0.0 {
                        frac * gamma_ln_pdf(k, g.shape, g.scale).exp()
                    } else {
                        f64::NAN
                    }
                })
            })
            .collect();
        (gauss, gamma)
    }

    /// Arrays for `.npz`: `counts` (one per response), `k` (`0 ..= max count`), `histogram`,
    /// `probability` (histogram / n), `poisson_pmf`, `gaussian_density`, `gamma_density` (NaN
    /// where missing), and the χ² bins `chi2_from`, `chi2_to` (−1 for the open top bin),
    /// `chi2_observed`, `chi2_expected` (empty without a test).
    pub fn to_npz(&self) -> Result<Npz> {
        let mut z = Npz::new();
        let n = self.counts.len();
        z.i64(
            "counts",
            &[n],
            self.counts.iter().map(|&k| k as i64).collect(),
        )?;
        let m = self.histogram.len();
        z.i64("k", &[m], (0..m as i64).collect())?;
        z.i64(
            "histogram",
            &[m],
            self.histogram.iter().map(|&c| c as i64).collect(),
        )?;
        let p = self
            .histogram
            .iter()
            .map(|&c| c as f64 / self.n as f64)
            .collect();
        z.f64("probability", &[m], p)?;
        z.f64("poisson_pmf", &[m], self.poisson_pmf.clone())?;
        let (g, ga) = self.densities();
        z.f64("gaussian_density", &[m], g)?;
        z.f64("gamma_density", &[m], ga)?;
        let bins = self.chi_square.as_ref().map_or(&[][..], |c| &c.bins[..]);
        let b = bins.len();
        z.i64(
            "chi2_from",
            &[b],
            bins.iter().map(|x| x.from as i64).collect(),
        )?;
        let to = bins.iter().map(|x| x.to.map_or(-1, |t| t as i64)).collect();
        z.i64("chi2_to", &[b], to)?;
        z.i64(
            "chi2_observed",
            &[b],
            bins.iter().map(|x| x.observed as i64).collect(),
        )?;
        z.f64(
            "chi2_expected",
            &[b],
            bins.iter().map(|x| x.expected).collect(),
        )?;
        Ok(z)
    }
}

/// Counts `round(a · scale)` of activations (halves rounded up).
pub fn to_counts(activations: &[f64], scale: f64) -> Vec<u64> {
    activations
        .iter()
        .map(|&a| (a * scale + 0.5).floor() as u64)
        .collect()
}

/// Fit one unit's responses `activations` (finite, ≥ 0, not all 0) as the module docs say.
pub fn run(activations: &[f64], config: &EncodingConfig) -> Result<EncodingResult> {
    let n = activations.len();
    if n == 0 {
        return Err(AnalysisError::empty("no responses to fit"));
    }
    if let Some(i) = activations.iter().position(|v| !v.is_finite()) {
        return Err(AnalysisError::config(
            "activations",
            format!("response {i} is {} (not finite)", activations[i]),
        ));
    }
    let (imin, min) =
        activations
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |b, (i, v)| if v < b.1 { (i, v) } else { b },
            );
    if min < 0.0 {
        return Err(AnalysisError::config(
            "activations",
            format!("counts need responses ≥ 0 (a ReLU's output), but response {imin} is {min}"),
        ));
    }
    let mean_activation = activations.iter().sum::<f64>() / n as f64;
    let max_activation = activations.iter().copied().fold(0.0, f64::max);
    if max_activation == 0.0 {
        return Err(AnalysisError::empty(format!(
            "all {n} responses are 0 (a silent unit): there is no rate to fit"
        )));
    }
    let (scale, scale_source) = match config.scale {
        Some(s) if s.is_finite() && s > 0.0 => (s, "given".to_string()),
        Some(s) => {
            return Err(AnalysisError::config(
                "scale",
                format!("must be finite and > 0, got {s}"),
            ))
        }
        None => (
            DEFAULT_MEAN_COUNT / mean_activation,
            format!("mean count {DEFAULT_MEAN_COUNT}"),
        ),
    };
    let counts = to_counts(activations, scale);
    let top = counts.iter().copied().max().unwrap_or(0);
    if top == 0 {
        return Err(AnalysisError::config(
            "scale",
            format!(
                "every count round(a · {scale}) is 0 (largest activation {max_activation}): \
                 raise the scale"
            ),
        ));
    }
    let mut histogram = vec![0u64; top as usize + 1];
    for &k in &counts {
        histogram[k as usize] += 1;
    }
    let kf: Vec<f64> = counts.iter().map(|&k| k as f64).collect();
    let poisson = fit_poisson(&counts);
    let mean_count = poisson.lambda;
    let var_count = if n > 1 {
        kf.iter()
            .map(|k| (k - mean_count) * (k - mean_count))
            .sum::<f64>()
            / (n - 1) as f64
    } else {
        0.0
    };
    let mut warnings = Vec::new();
    let fano = (n > 1).then(|| var_count / mean_count);
    if fano.is_none() {
        warnings.push("one response: no Fano factor".to_string());
    }
    let gaussian = fit_normal(&kf);
    if gaussian.is_none() {
        warnings.push(format!("every count is {top}: no Gaussian fit (σ̂ = 0)"));
    }
    let gamma = fit_gamma(&kf)?;
    if gamma.is_none() {
        warnings.push("fewer than two distinct positive counts: no gamma fit".to_string());
    }
    let chi_square = poisson_chi_square(&histogram, mean_count);
    if chi_square.is_none() {
        warnings.push(format!(
            "fewer than three bins with an expected count ≥ 5 ({n} responses, λ̂ = {mean_count:.3}): \
             no χ² test"
        ));
    }
    let mut best = ("poisson", poisson.aic);
    if let Some(g) = &gaussian {
        if g.aic < best.1 {
            best = ("gaussian", g.aic);
        }
    }
    if let Some(g) = gamma.as_ref().filter(|g| g.n_excluded_zeros == 0) {
        if g.aic < best.1 {
            best = ("gamma", g.aic);
        }
    }
    let poisson_pmf = (0..=top)
        .map(|k| poisson_ln_pmf(k, mean_count).exp())
        .collect();
    Ok(EncodingResult {
        n,
        scale,
        scale_source,
        mean_activation,
        max_activation,
        n_zero_activations: activations.iter().filter(|&&v| v == 0.0).count(),
        mean_count,
        var_count,
        fano,
        n_zero_counts: histogram[0] as usize,
        poisson,
        gaussian,
        gamma,
        chi_square,
        best_aic: best.0.to_string(),
        histogram,
        poisson_pmf,
        warnings,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scale_gives_mean_count_ten_and_a_poisson_sample_passes() {
        let a: Vec<f64> = (0..200).map(|i| f64::from(i) / 100.0).collect();
        let r = run(&a, &EncodingConfig::default()).unwrap();
        assert_eq!(r.scale_source, "mean count 10");
        assert!((r.scale - 10.0 / 0.995).abs() < 1e-12, "{}", r.scale);
        assert!((r.mean_count - 10.0).abs() < 0.01, "{}", r.mean_count);
        // Counts k/7 with the histogram of 200 · Poisson(10) (rounded), scale 7 given.
        let hist = [
            0u64, 0, 0, 2, 4, 8, 13, 18, 23, 25, 25, 23, 19, 15, 10, 7, 4, 3, 1, 1,
        ];
        let mut a = Vec::new();
        for (k, &c) in hist.iter().enumerate() {
            a.extend(std::iter::repeat_n(k as f64 / 7.0, c as usize));
        }
        let r = run(&a, &EncodingConfig { scale: Some(7.0) }).unwrap();
        assert_eq!(r.histogram, hist);
        assert_eq!(
            r.poisson.lambda,
            r.counts.iter().sum::<u64>() as f64 / a.len() as f64
        );
        let chi = r.chi_square.as_ref().expect("a test");
        assert_eq!(
            chi.bins.iter().map(|b| b.observed).sum::<u64>(),
            a.len() as u64
        );
        let e: f64 = chi.bins.iter().map(|b| b.expected).sum();
        assert!((e - a.len() as f64).abs() < 1e-9, "{e}");
        assert!(chi.bins.iter().all(|b| b.expected >= 5.0));
        assert_eq!(chi.bins.last().map(|b| b.to), Some(None));
        assert_eq!(chi.dof, chi.bins.len() - 2);
        assert!(chi.p_value > 0.05, "{chi:?}");
        let f = r.fano.unwrap();
        assert!(f < 1.1 && f > 0.9, "{f}");
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn given_scale_and_refusals() {
        let r = run(
            &[0.0, 0.24, 0.26, 1.0],
            &EncodingConfig { scale: Some(2.0) },
        )
        .unwrap();
        assert_eq!(r.counts, vec![0, 0, 1, 2]);
        assert_eq!(r.scale_source, "given");
        assert_eq!(r.n_zero_activations, 1);
        let g = r.gamma.as_ref().expect("counts 1 and 2 fit a gamma");
        assert_eq!((g.n_used, g.n_excluded_zeros), (2, 2));
        assert_eq!(
            r.best_aic,
            if r.poisson.aic <= r.gaussian.as_ref().unwrap().aic {
                "poisson"
            } else {
                "gaussian"
            }
        );
        let e = run(&[0.0; 5], &EncodingConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("silent unit"), "{e}");
        let e = run(&[0.5, -0.1], &EncodingConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("≥ 0") && e.contains("-0.1"), "{e}");
        let e = run(&[0.5, 0.1], &EncodingConfig { scale: Some(0.0) })
            .unwrap_err()
            .to_string();
        assert!(e.contains("scale"), "{e}");
        let e = run(&[0.01, 0.1], &EncodingConfig { scale: Some(1.0) })
            .unwrap_err()
            .to_string();
        assert!(e.contains("raise the scale"), "{e}");
        assert!(run(&[], &EncodingConfig::default()).is_err());
        assert!(run(&[f64::NAN], &EncodingConfig::default()).is_err());
    }

    #[test]
    fn constant_counts_leave_no_gaussian_gamma_or_test_but_say_so() {
        let r = run(&[0.5; 6], &EncodingConfig::default()).unwrap();
        assert_eq!(r.counts, vec![10; 6]);
        assert_eq!(r.fano, Some(0.0));
        assert!(r.gaussian.is_none() && r.gamma.is_none() && r.chi_square.is_none());
        assert_eq!(r.warnings.len(), 3, "{:?}", r.warnings);
        assert_eq!(r.best_aic, "poisson");
    }
}
