//! Bootstrap over conditions: draw `n` conditions with replacement (sorted, as rsatoolbox's
//! `subsample_pattern` sorts them), rescore, and report the 2.5 / 97.5 percentiles.

use crate::error::{AnalysisError, Result};
use neurodyn_core::Rng;
use serde::Serialize;

/// A bootstrap distribution's 95 % percentile interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bootstrap {
    /// Resamples drawn.
    pub n_samples: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// 2.5th percentile of the defined scores (`None` if no sample was defined).
    pub lo: Option<f64>,
    /// 97.5th percentile.
    pub hi: Option<f64>,
    /// Resamples whose score was undefined (e.g. a resampled RDM that is constant).
    pub n_undefined: usize,
    /// Every defined score, in draw order.
    #[serde(skip)]
    pub scores: Vec<f64>,
}

/// The `q`-quantile (`0 ≤ q ≤ 1`) of ascending `sorted`, interpolating linearly between order
/// statistics (numpy's default). `NaN` for an empty slice.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        m => {
            let pos = q.clamp(0.0, 1.0) * (m - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(m - 1);
            sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// The upper triangle over the resampled conditions `index` (into the `n` conditions of the
/// upper triangle `v`): pair `(s, t)`, `s < t`, is `v` at `(index[s], index[t])`, `NaN` where
/// both are the same condition.
pub fn subsample(v: &[f64], n: usize, index: &[usize]) -> Vec<f64> {
    let at = |i: usize, j: usize| {
        let (i, j) = if i < j { (i, j) } else { (j, i) };
        // Offset of row i in the row-major upper triangle, then column j.
        v[i * n - i * (i + 1) / 2 + (j - i - 1)]
    };
    let m = index.len();
    let mut out = Vec::with_capacity(m * m.saturating_sub(1) / 2);
    for s in 0..m {
        for t in s + 1..m {
            out.push(if index[s] == index[t] {
                f64::NAN
            } else {
                at(index[s], index[t])
            });
        }
    }
    out
}

/// Score `n_samples` resamples of the `n` conditions: `score` gets the sorted indices of each
/// draw. A sample whose score errs or is not finite counts as undefined.
pub fn bootstrap(
    n: usize,
    n_samples: usize,
    seed: u64,
    mut score: impl FnMut(&[usize]) -> Result<f64>,
) -> Result<Bootstrap> {
    if n < 2 {
        return Err(AnalysisError::empty(format!(
            "a bootstrap over conditions needs at least 2 conditions, got {n}"
        )));
    }
    // The scores, and one resample of the conditions at a time.
    neurodyn_core::memory::ensure_fits(
        &format!("a bootstrap of {n_samples} samples"),
        n_samples as f64 * 8.0 + n as f64 * 16.0,
        "ask for fewer samples",
    )?;
    if n_samples == 0 {
        return Err(AnalysisError::config(
            "bootstrap",
            "needs at least 1 sample",
        ));
    }
    let mut rng = Rng::new(seed);
    let mut scores = Vec::with_capacity(n_samples);
    let mut index = vec![0usize; n];
    for _ in 0..n_samples {
        for i in index.iter_mut() {
            *i = rng.below(n as u64) as usize;
        }
        index.sort_unstable();
        if let Ok(s) = score(&index) {
            if s.is_finite() {
                scores.push(s);
            }
        }
    }
    let mut sorted = scores.clone();
    sorted.sort_by(f64::total_cmp);
    let defined = !sorted.is_empty();
    Ok(Bootstrap {
        n_samples,
        seed,
        lo: defined.then(|| percentile(&sorted, 0.025)),
        hi: defined.then(|| percentile(&sorted, 0.975)),
        n_undefined: n_samples - scores.len(),
        scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile(&v, 0.5), 3.0);
        // numpy.percentile([1,2,3,4,10], 97.5) = 4 + 0.9 * 6
        assert!((percentile(&v, 0.975) - 9.4).abs() < 1e-12);
        assert!((percentile(&v, 0.025) - 1.1).abs() < 1e-12);
    }

    #[test]
    fn subsample_picks_pairs_and_drops_self_pairs() {
        // 4 conditions: pairs (01 02 03 12 13 23) = 1..6.
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let s = subsample(&v, 4, &[0, 0, 2, 3]);
        assert!(s[0].is_nan());
        assert_eq!(&s[1..], [2.0, 3.0, 2.0, 3.0, 6.0]);
        assert_eq!(subsample(&v, 4, &[0, 1, 2, 3]), v);
    }

    #[test]
    fn seeded_draws_repeat_and_bracket_the_mean() {
        let x: Vec<f64> = (0..30).map(|k| ((k * k) as f64 * 0.3).sin()).collect();
        let mean = |idx: &[usize]| Ok(idx.iter().map(|&i| x[i]).sum::<f64>() / idx.len() as f64);
        let a = bootstrap(30, 400, 7, mean).unwrap();
        let b = bootstrap(30, 400, 7, mean).unwrap();
        assert_eq!(a, b);
        let m = x.iter().sum::<f64>() / 30.0;
        let (lo, hi) = (a.lo.unwrap(), a.hi.unwrap());
        assert!(lo < m && m < hi && hi - lo < 1.0, "{lo} {m} {hi}");
        assert_ne!(a.scores, bootstrap(30, 400, 8, mean).unwrap().scores);
        let undefined = bootstrap(5, 10, 0, |_| Err(AnalysisError::empty("x"))).unwrap();
        assert_eq!((undefined.n_undefined, undefined.lo), (10, None));
    }
}
