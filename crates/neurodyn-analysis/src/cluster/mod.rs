//! Clustering: k-means ([`kmeans`]), the silhouette score ([`silhouette`]) and choosing `k` by
//! the best silhouette over a range ([`select_k`]), as Yang et al. 2019 do for task-variance
//! clusters.

pub mod kmeans;
pub mod silhouette;

pub use kmeans::{kmeans_plus_plus, lloyd, KMeansConfig, KMeansResult};
pub use silhouette::{silhouette_samples, silhouette_score};

use crate::error::{AnalysisError, Result};
use neurodyn_core::Rng;
use serde::Serialize;

/// The silhouette of every `k` tried and the winning clustering.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelectKResult {
    /// `(k, silhouette)` for each `k` tried.
    pub scores: Vec<(usize, f64)>,
    /// The `k` with the highest silhouette (the smallest on ties).
    pub best_k: usize,
    /// Its clustering.
    pub best: KMeansResult,
}

/// Run k-means (settings from `base`, its `k` ignored) for `k = k_min..=k_max` (capped at
/// `n − 1`) and keep the one with the highest silhouette.
pub fn select_k(
    data: &[f64],
    n: usize,
    d: usize,
    k_min: usize,
    k_max: usize,
    base: &KMeansConfig,
    rng: &mut Rng,
) -> Result<SelectKResult> {
    let k_max = k_max.min(n.saturating_sub(1));
    if k_min < 2 || k_min > k_max {
        return Err(AnalysisError::config(
            "k range",
            format!(
                "need 2 ≤ k_min ≤ k_max ≤ n − 1 = {}, got {k_min}..={k_max}",
                n.saturating_sub(1)
            ),
        ));
    }
    let mut scores = Vec::new();
    let mut best: Option<(f64, KMeansResult)> = None;
    for k in k_min..=k_max {
        let r = kmeans::run(data, n, d, &KMeansConfig { k, ..base.clone() }, rng)?;
        let distinct = {
            let mut seen = vec![false; k];
            r.labels.iter().for_each(|&l| seen[l] = true);
            seen.iter().filter(|&&s| s).count()
        };
        // Degenerate data (duplicate points) can leave fewer distinct labels than k.
        let s = if distinct >= 2 {
            silhouette_score(data, n, d, &r.labels)?
        } else {
            f64::NEG_INFINITY
        };
        scores.push((k, s));
        if best.as_ref().is_none_or(|b| s > b.0) {
            best = Some((s, r));
        }
    }
    let (_, best) = best.ok_or_else(|| AnalysisError::empty("no k tried"))?;
    Ok(SelectKResult {
        scores,
        best_k: best.k,
        best,
    })
}
