//! Maximum-likelihood fits of counts and of positive values — Poisson, Gaussian, gamma with
//! location 0 — and Pearson's χ² test of a Poisson on pooled bins: the numbers of
//! [`crate::encoding`], whose module docs give the formulas and the pooling rule.
//!
//! Conventions are scipy's: `poisson.logpmf`; `norm.fit` (σ̂ with ddof 0); `gamma.fit(x,
//! floc=0)` (the shape solves `ln k − ψ(k) = ln mean x − mean ln x`, here by Newton from Minka
//! (2002)'s start, to 1e-14 relative); `chisquare(O, E, ddof=1)`.

use crate::error::{AnalysisError, Result};
use crate::special::{chi2_sf, digamma, gamma_p, ln_gamma, trigamma};
use serde::Serialize;

/// The Poisson fit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoissonFit {
    /// λ̂ = the mean count.
    pub lambda: f64,
    /// Σ ln P(k | λ̂).
    pub log_likelihood: f64,
    /// 2 − 2 ln L.
    pub aic: f64,
}

/// The Gaussian fit (maximum likelihood, σ with ddof 0).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GaussianFit {
    /// μ̂.
    pub mu: f64,
    /// σ̂ (ddof 0).
    pub sigma: f64,
    /// Σ ln N(k; μ̂, σ̂).
    pub log_likelihood: f64,
    /// 4 − 2 ln L.
    pub aic: f64,
}

/// The gamma fit with location 0 (maximum likelihood on the positive counts).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GammaFit {
    /// Shape k̂.
    pub shape: f64,
    /// Scale θ̂.
    pub scale: f64,
    /// Σ ln Gamma(k; k̂, θ̂) over the positive counts.
    pub log_likelihood: f64,
    /// 4 − 2 ln L.
    pub aic: f64,
    /// Counts fitted (the positive ones).
    pub n_used: usize,
    /// Zero counts left out (a gamma density has no mass at 0).
    pub n_excluded_zeros: usize,
    /// Newton iterations.
    pub iterations: usize,
}

/// One pooled bin of the χ² test: counts `from ..= to` (`to = None`: and above).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PooledBin {
    /// Smallest count in the bin.
    pub from: u64,
    /// Largest count in the bin; `None` for the open top bin.
    pub to: Option<u64>,
    /// Observed images.
    pub observed: u64,
    /// Expected images under the Poisson fit.
    pub expected: f64,
}

/// Pearson's χ² test of the Poisson fit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChiSquare {
    /// Σ (O − E)² / E over the pooled bins.
    pub statistic: f64,
    /// Pooled bins − 2.
    pub dof: usize,
    /// P(χ²_dof ≥ statistic).
    pub p_value: f64,
    /// The pooled bins.
    pub bins: Vec<PooledBin>,
}

/// `ln P(k | λ)` of a Poisson (`λ ≥ 0`).
pub fn poisson_ln_pmf(k: u64, lambda: f64) -> f64 {
    let kf = k as f64;
    if lambda == 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    kf * lambda.ln() - lambda - ln_gamma(kf + 1.0)
}

/// `ln N(x; μ, σ)`.
pub fn normal_ln_pdf(x: f64, mu: f64, sigma: f64) -> f64 {
    let z = (x - mu) / sigma;
    -0.5 * z * z - sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

/// `ln Gamma(x; shape, scale)` for `x > 0`.
pub fn gamma_ln_pdf(x: f64, shape: f64, scale: f64) -> f64 {
    (shape - 1.0) * x.ln() - x / scale - shape * scale.ln() - ln_gamma(shape)
}

/// Maximum-likelihood Poisson fit of counts.
pub fn fit_poisson(counts: &[u64]) -> PoissonFit {
    let n = counts.len() as f64;
    let lambda = counts.iter().map(|&k| k as f64).sum::<f64>() / n;
    let log_likelihood = counts
        .iter()
        .map(|&k| poisson_ln_pmf(k, lambda))
        .sum::<f64>();
    PoissonFit {
        lambda,
        log_likelihood,
        aic: 2.0 - 2.0 * log_likelihood,
    }
}

/// Maximum-likelihood Gaussian fit (`None` when the values are all equal: σ̂ = 0).
pub fn fit_normal(x: &[f64]) -> Option<GaussianFit> {
    let n = x.len() as f64;
    let mu = x.iter().sum::<f64>() / n;
    let sigma = (x.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / n).sqrt();
    if sigma.is_nan() || sigma <= 0.0 {
        return None;
    }
    let log_likelihood = x.iter().map(|&v| normal_ln_pdf(v, mu, sigma)).sum::<f64>();
    Some(GaussianFit {
        mu,
        sigma,
        log_likelihood,
        aic: 4.0 - 2.0 * log_likelihood,
    })
}

/// Maximum-likelihood gamma fit with location 0 of the positive values of `x` (zeros are
/// counted and left out; negative values are an error). `None` when fewer than two positive
/// values, or all of them equal (the shape has no finite maximum).
pub fn fit_gamma(x: &[f64]) -> Result<Option<GammaFit>> {
    if let Some(v) = x.iter().find(|v| v.is_nan() || **v < 0.0) {
        return Err(AnalysisError::config(
            "values",
            format!("a gamma fit needs values ≥ 0, got {v}"),
        ));
    }
    let pos: Vec<f64> = x.iter().copied().filter(|&v| v > 0.0).collect();
    let n = pos.len() as f64;
    if pos.len() < 2 {
        return Ok(None);
    }
    let mean = pos.iter().sum::<f64>() / n;
    let mean_ln = pos.iter().map(|v| v.ln()).sum::<f64>() / n;
    // s = ln(mean) − mean(ln) ≥ 0 by Jensen, 0 only for equal values.
    let s = mean.ln() - mean_ln;
    if s.is_nan() || s <= 1e-14 {
        return Ok(None);
    }
    // Minka (2002)'s start, within ~1.5 % of the root; then Newton on
    // f(k) = ln k − ψ(k) − s, decreasing and convex, so the steps stay positive.
    let mut k = (3.0 - s + ((s - 3.0) * (s - 3.0) + 24.0 * s).sqrt()) / (12.0 * s);
    let mut iterations = 0;
    let mut converged = false;
    for _ in 0..100 {
        iterations += 1;
        let f = k.ln() - digamma(k) - s;
        let df = 1.0 / k - trigamma(k);
        let mut next = k - f / df;
        if next.is_nan() || next <= 0.0 {
            next = k / 2.0;
        }
        let step = (next - k).abs();
        k = next;
        if step <= 1e-14 * k {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(AnalysisError::NotConverged {
            what: "gamma shape (Newton on ln k − ψ(k) = s)".into(),
            iterations,
            residual: (k.ln() - digamma(k) - s).abs(),
        });
    }
    let scale = mean / k;
    let log_likelihood = pos.iter().map(|&v| gamma_ln_pdf(v, k, scale)).sum::<f64>();
    Ok(Some(GammaFit {
        shape: k,
        scale,
        log_likelihood,
        aic: 4.0 - 2.0 * log_likelihood,
        n_used: pos.len(),
        n_excluded_zeros: x.len() - pos.len(),
        iterations,
    }))
}

/// Pearson's χ² test of a Poisson with mean `lambda` against the counts' histogram
/// (`histogram[k]` = responses with count `k`), bins pooled as the module docs say. `None`
/// with fewer than three pooled bins.
pub fn poisson_chi_square(histogram: &[u64], lambda: f64) -> Option<ChiSquare> {
    let n: u64 = histogram.iter().sum();
    let top = histogram.len().checked_sub(1)?;
    let nf = n as f64;
    // Raw bins: k = 0 … top − 1, and k ≥ top (P(X ≥ top) = P(top, λ), the lower regularised
    // incomplete gamma).
    let expected = |k: usize| -> f64 {
        if k < top {
            nf * poisson_ln_pmf(k as u64, lambda).exp()
        } else if top == 0 {
            nf
        } else {
            nf * gamma_p(top as f64, lambda)
        }
    };
    let mut bins: Vec<PooledBin> = Vec::new();
    let (mut from, mut obs, mut exp) = (0u64, 0u64, 0.0);
    for (k, &o) in histogram.iter().enumerate() {
        obs += o;
        exp += expected(k);
        if exp >= 5.0 {
            bins.push(PooledBin {
                from,
                to: Some(k as u64),
                observed: obs,
                expected: exp,
            });
            from = k as u64 + 1;
            obs = 0;
            exp = 0.0;
        }
    }
    // What is left at the top (expected < 5) joins the last bin; the last bin is open.
    match bins.last_mut() {
        Some(last) => {
            last.observed += obs;
            last.expected += exp;
            last.to = None;
        }
        None => return None,
    }
    if bins.len() < 3 {
        return None;
    }
    let statistic = bins
        .iter()
        .map(|b| {
            let d = b.observed as f64 - b.expected;
            d * d / b.expected
        })
        .sum::<f64>();
    let dof = bins.len() - 2;
    Some(ChiSquare {
        statistic,
        dof,
        p_value: chi2_sf(statistic, dof as f64),
        bins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_newton_recovers_the_shape_of_a_gamma_like_sample() {
        // Quantiles of an exponential (shape 1): the fit's shape is near 1.
        let x: Vec<f64> = (1..400)
            .map(|i| -(1.0 - i as f64 / 400.0).ln() * 3.0)
            .collect();
        let g = fit_gamma(&x).unwrap().unwrap();
        assert!((g.shape - 1.0).abs() < 0.1, "{g:?}");
        // The score equation holds at the root.
        let n = x.len() as f64;
        let s = (x.iter().sum::<f64>() / n).ln() - x.iter().map(|v| v.ln()).sum::<f64>() / n;
        assert!((g.shape.ln() - digamma(g.shape) - s).abs() < 1e-14);
    }
}
