//! The noise ceiling of an RSA score: how well the best possible model could score against
//! RDMs measured several times (subjects, sessions, repeats), rsatoolbox's
//! `boot_noise_ceiling` with its pooling for each comparison method.
//!
//! ```text
//! upper = mean_i compare(pool(all RDMs), RDM_i)        (the pooled RDM has seen RDM_i: optimistic)
//! lower = mean_i compare(pool(all but RDM_i), RDM_i)   (leave one out: pessimistic)
//! pool:  cosine, whitened-cosine      each RDM / √mean(d²), then the mean
//!        pearson, whitened-pearson    each RDM centred and divided by its s.d. (ddof 0), the
//!                                     mean, minus its minimum
//!        spearman, rho-a, kendall     the mean of the average ranks
//! ```
//!
//! A model's score between the two bounds is as good as the data's reliability allows.

use super::compare::{compare, RsaMethod};
use super::rank::average_ranks;
use crate::error::{AnalysisError, Result};
use serde::Serialize;

/// The two bounds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct NoiseCeiling {
    /// Leave-one-out bound.
    pub lower: f64,
    /// Bound from the pool of all RDMs.
    pub upper: f64,
    /// RDMs pooled.
    pub n_rdms: usize,
}

/// The RDM that scores best on average against `rdms` under `method`.
pub fn pool(rdms: &[&[f64]], method: RsaMethod) -> Vec<f64> {
    let m = rdms.first().map_or(0, |r| r.len());
    let mut out = vec![0.0; m];
    for r in rdms {
        let v: Vec<f64> = match method {
            RsaMethod::Cosine | RsaMethod::WhitenedCosine => {
                let rms = (r.iter().map(|x| x * x).sum::<f64>() / m as f64).sqrt();
                r.iter().map(|x| x / rms).collect()
            }
            RsaMethod::Pearson | RsaMethod::WhitenedPearson => {
                let mu = r.iter().sum::<f64>() / m as f64;
                let sd = (r.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / m as f64).sqrt();
                r.iter().map(|x| (x - mu) / sd).collect()
            }
            RsaMethod::Spearman | RsaMethod::RhoA | RsaMethod::Kendall => average_ranks(r),
        };
        out.iter_mut().zip(v).for_each(|(o, x)| *o += x);
    }
    // Sum, then divide (numpy's mean): the pooled ranks' ties must fall where rsatoolbox's do.
    out.iter_mut().for_each(|o| *o /= rdms.len() as f64);
    if matches!(method, RsaMethod::Pearson | RsaMethod::WhitenedPearson) {
        let lo = out.iter().copied().fold(f64::INFINITY, f64::min);
        out.iter_mut().for_each(|x| *x -= lo);
    }
    out
}

/// The noise ceiling of `rdms` (upper triangles over the same conditions, at least 2, no
/// missing pairs) under `method`.
pub fn noise_ceiling(rdms: &[Vec<f64>], method: RsaMethod) -> Result<NoiseCeiling> {
    if rdms.len() < 2 {
        return Err(AnalysisError::config(
            "noise ceiling",
            format!(
                "needs at least 2 RDMs (repeats or subjects), got {}",
                rdms.len()
            ),
        ));
    }
    let m = rdms[0].len();
    if let Some(r) = rdms.iter().find(|r| r.len() != m) {
        return Err(AnalysisError::shape(
            "an RDM of the noise ceiling",
            &[m],
            &[r.len()],
        ));
    }
    if rdms.iter().flatten().any(|x| !x.is_finite()) {
        return Err(AnalysisError::config(
            "noise ceiling",
            "an RDM holds a missing (NaN) or infinite dissimilarity",
        ));
    }
    let all: Vec<&[f64]> = rdms.iter().map(|r| &r[..]).collect();
    let full = pool(&all, method);
    let (mut lower, mut upper) = (0.0, 0.0);
    for (i, r) in rdms.iter().enumerate() {
        let others: Vec<&[f64]> = all
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != i)
            .map(|(_, r)| *r)
            .collect();
        lower += compare(&pool(&others, method), r, method)?;
        upper += compare(&full, r, method)?;
    }
    let n = rdms.len() as f64;
    Ok(NoiseCeiling {
        lower: lower / n,
        upper: upper / n,
        n_rdms: rdms.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_rdms_have_a_ceiling_of_one_and_noise_lowers_it() {
        let base: Vec<f64> = (0..15).map(|k| ((k * 7) % 15) as f64 + 1.0).collect();
        let same = vec![base.clone(); 3];
        for m in RsaMethod::ALL {
            let c = noise_ceiling(&same, m).expect("ceiling");
            assert!(
                (c.lower - 1.0).abs() < 1e-12 && (c.upper - 1.0).abs() < 1e-12,
                "{m:?} {c:?}"
            );
        }
        let noisy: Vec<Vec<f64>> = (0..4)
            .map(|s| {
                base.iter()
                    .enumerate()
                    .map(|(k, v)| v + ((k * 13 + s * 5) % 7) as f64 * 0.8)
                    .collect()
            })
            .collect();
        let c = noise_ceiling(&noisy, RsaMethod::Spearman).expect("ceiling");
        assert!(c.lower < c.upper && c.upper < 1.0, "{c:?}");
        assert!(noise_ceiling(&noisy[..1], RsaMethod::Cosine).is_err());
    }
}
