//! Silhouette score (Rousseeuw 1987), Euclidean distances, scikit-learn's conventions.
//!
//! For sample `i` in cluster `C`: `a(i)` = mean distance to the other members of `C`,
//! `b(i)` = smallest mean distance to the members of another cluster,
//! `s(i) = (b − a)/max(a, b)`, and `s(i) = 0` when `C` has one member. The score is the mean of
//! `s(i)` over all samples. It needs `2 ≤ number of clusters ≤ n − 1`.

use crate::error::{AnalysisError, Result};

/// Mean silhouette of `labels` on `data` `(n, d)` row-major.
pub fn silhouette_score(data: &[f64], n: usize, d: usize, labels: &[usize]) -> Result<f64> {
    Ok(silhouette_samples(data, n, d, labels)?.iter().sum::<f64>() / n as f64)
}

/// Silhouette of every sample.
pub fn silhouette_samples(data: &[f64], n: usize, d: usize, labels: &[usize]) -> Result<Vec<f64>> {
    if data.len() != n * d || labels.len() != n {
        return Err(AnalysisError::shape(
            "silhouette data / labels",
            &[n, d],
            &[data.len(), labels.len()],
        ));
    }
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    let n_clusters = sizes.iter().filter(|&&s| s > 0).count();
    if n_clusters < 2 || n_clusters > n.saturating_sub(1) {
        return Err(AnalysisError::config(
            "labels",
            format!(
                "silhouette needs 2 ≤ clusters ≤ n − 1, got {n_clusters} clusters for {n} samples"
            ),
        ));
    }
    let row = |i: usize| &data[i * d..(i + 1) * d];
    let mut out = vec![0.0; n];
    let mut sums = vec![0.0; k];
    for i in 0..n {
        sums.iter_mut().for_each(|s| *s = 0.0);
        for j in 0..n {
            if j != i {
                let dist = row(i)
                    .iter()
                    .zip(row(j))
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt();
                sums[labels[j]] += dist;
            }
        }
        let own = labels[i];
        if sizes[own] <= 1 {
            continue;
        }
        let a = sums[own] / (sizes[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && sizes[c] > 0)
            .map(|c| sums[c] / sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        out[i] = if m > 0.0 { (b - a) / m } else { 0.0 };
    }
    Ok(out)
}
