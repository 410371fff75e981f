//! k-means: greedy k-means++ seeding, Lloyd iterations, best of `n_init` restarts.
//!
//! Conventions follow scikit-learn's `KMeans(algorithm="lloyd")` so results can be compared:
//! - seeding (Arthur & Vassilvitskii 2007, greedy variant): the first centre is a uniformly chosen
//!   sample; each next one is the best (lowest total potential) of `2 + ⌊ln k⌋` candidates drawn
//!   with probability ∝ squared distance to the nearest chosen centre;
//! - Lloyd: assign each sample to its nearest centre, move centres to their members' means; stop
//!   when the labels no longer change or the total squared centre shift is `≤ tol · mean_j Var(X_j)`;
//!   the labels are then recomputed from the final centres;
//! - an empty cluster is re-seeded at the sample farthest from its current centre;
//! - `inertia` is the sum of squared distances of samples to their centre; the restart with the
//!   lowest inertia wins (the first on ties).
//!
//! Data are `(n_samples, n_features)` row-major.

use crate::error::{AnalysisError, Result};
use neurodyn_core::{Npz, Rng};
use serde::{Deserialize, Serialize};

/// k-means settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KMeansConfig {
    /// Clusters.
    pub k: usize,
    /// Restarts with fresh k-means++ seeds.
    pub n_init: usize,
    /// Lloyd iterations per restart.
    pub max_iter: usize,
    /// Relative tolerance on the centre shift (sklearn's `tol`).
    pub tol: f64,
}

impl Default for KMeansConfig {
    fn default() -> Self {
        KMeansConfig {
            k: 8,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
        }
    }
}

/// A clustering.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KMeansResult {
    /// Clusters.
    pub k: usize,
    /// Features.
    pub n_features: usize,
    /// Cluster of each sample.
    pub labels: Vec<usize>,
    /// `(k, n_features)` row-major.
    pub centers: Vec<f64>,
    /// Sum of squared distances to the assigned centre.
    pub inertia: f64,
    /// Lloyd iterations of the winning restart.
    pub n_iter: usize,
}

impl KMeansResult {
    /// Arrays for `.npz`: `labels`, `centers`, `inertia`.
    pub fn to_npz(&self) -> Result<Npz> {
        let mut z = Npz::new();
        z.i64(
            "labels",
            &[self.labels.len()],
            self.labels.iter().map(|&l| l as i64).collect(),
        )?;
        z.f64("centers", &[self.k, self.n_features], self.centers.clone())?;
        z.f64("inertia", &[1], vec![self.inertia])?;
        Ok(z)
    }
}

pub(crate) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn check(data: &[f64], n: usize, d: usize, k: usize) -> Result<()> {
    if data.len() != n * d || d == 0 {
        return Err(AnalysisError::shape(
            "k-means data (n_samples, n_features)",
            &[n, d],
            &[data.len()],
        ));
    }
    if k == 0 || k > n {
        return Err(AnalysisError::config(
            "k",
            format!("must be in 1..={n}, got {k}"),
        ));
    }
    Ok(())
}

/// Nearest centre of each sample and its squared distance.
fn assign(data: &[f64], d: usize, centers: &[f64], labels: &mut [usize], dist: &mut [f64]) {
    for (i, x) in data.chunks_exact(d).enumerate() {
        let (mut best, mut bd) = (0, f64::INFINITY);
        for (c, ctr) in centers.chunks_exact(d).enumerate() {
            let v = sq_dist(x, ctr);
            if v < bd {
                best = c;
                bd = v;
            }
        }
        labels[i] = best;
        dist[i] = bd;
    }
}

/// Greedy k-means++ seeding.
pub fn kmeans_plus_plus(
    data: &[f64],
    n: usize,
    d: usize,
    k: usize,
    rng: &mut Rng,
) -> Result<Vec<f64>> {
    check(data, n, d, k)?;
    let row = |i: usize| &data[i * d..(i + 1) * d];
    let mut centers = Vec::with_capacity(k * d);
    centers.extend_from_slice(row(rng.below(n as u64) as usize));
    let mut closest: Vec<f64> = (0..n).map(|i| sq_dist(row(i), &centers[..d])).collect();
    let trials = 2 + (k as f64).ln().floor() as usize;
    for _ in 1..k {
        let total: f64 = closest.iter().sum();
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let cand = if total > 0.0 {
                let target = rng.uniform() * total;
                let mut acc = 0.0;
                let mut pick = n - 1;
                for (i, c) in closest.iter().enumerate() {
                    acc += c;
                    if acc > target {
                        pick = i;
                        break;
                    }
                }
                pick
            } else {
                rng.below(n as u64) as usize
            };
            let new: Vec<f64> = (0..n)
                .map(|i| closest[i].min(sq_dist(row(i), row(cand))))
                .collect();
            let pot: f64 = new.iter().sum();
            if best.as_ref().is_none_or(|b| pot < b.0) {
                best = Some((pot, cand, new));
            }
        }
        if let Some((_, cand, new)) = best {
            centers.extend_from_slice(row(cand));
            closest = new;
        }
    }
    Ok(centers)
}

/// Lloyd iterations from the given `(k, n_features)` initial centres (deterministic).
pub fn lloyd(
    data: &[f64],
    n: usize,
    d: usize,
    init: &[f64],
    max_iter: usize,
    tol: f64,
) -> Result<KMeansResult> {
    let k = init.len() / d.max(1);
    check(data, n, d, k)?;
    if init.len() != k * d {
        return Err(AnalysisError::shape(
            "k-means initial centres",
            &[k, d],
            &[init.len()],
        ));
    }
    // sklearn scales tol by the mean per-feature variance.
    let mut var_sum = 0.0;
    for j in 0..d {
        let m = (0..n).map(|i| data[i * d + j]).sum::<f64>() / n as f64;
        var_sum += (0..n).map(|i| (data[i * d + j] - m).powi(2)).sum::<f64>() / n as f64;
    }
    let tol = tol * var_sum / d as f64;
    let mut centers = init.to_vec();
    let mut labels = vec![usize::MAX; n];
    let mut new_labels = vec![0; n];
    let mut dist = vec![0.0; n];
    let mut n_iter = 0;
    for _ in 0..max_iter {
        n_iter += 1;
        assign(data, d, &centers, &mut new_labels, &mut dist);
        let mut sums = vec![0.0; k * d];
        let mut counts = vec![0usize; k];
        for (i, x) in data.chunks_exact(d).enumerate() {
            counts[new_labels[i]] += 1;
            sums[new_labels[i] * d..(new_labels[i] + 1) * d]
                .iter_mut()
                .zip(x)
                .for_each(|(s, v)| *s += v);
        }
        for c in 0..k {
            if counts[c] == 0 {
                // Re-seed at the sample farthest from its centre, then take it out of the pool.
                let far = (0..n).fold(0, |b, i| if dist[i] > dist[b] { i } else { b });
                sums[c * d..(c + 1) * d].copy_from_slice(&data[far * d..(far + 1) * d]);
                counts[c] = 1;
                dist[far] = 0.0;
            } else {
                sums[c * d..(c + 1) * d]
                    .iter_mut()
                    .for_each(|s| *s /= counts[c] as f64);
            }
        }
        let shift = sq_dist(&sums, &centers);
        centers = sums;
        let strict = new_labels == labels;
        std::mem::swap(&mut labels, &mut new_labels);
        if strict || shift <= tol {
            break;
        }
    }
    assign(data, d, &centers, &mut labels, &mut dist);
    Ok(KMeansResult {
        k,
        n_features: d,
        labels,
        centers,
        inertia: dist.iter().sum(),
        n_iter,
    })
}

/// k-means with `n_init` k-means++ restarts; the lowest inertia wins.
pub fn run(
    data: &[f64],
    n: usize,
    d: usize,
    config: &KMeansConfig,
    rng: &mut Rng,
) -> Result<KMeansResult> {
    check(data, n, d, config.k)?;
    if config.n_init == 0 || config.max_iter == 0 {
        return Err(AnalysisError::config("n_init/max_iter", "must be ≥ 1"));
    }
    let mut best: Option<KMeansResult> = None;
    for _ in 0..config.n_init {
        let init = kmeans_plus_plus(data, n, d, config.k, rng)?;
        let r = lloyd(data, n, d, &init, config.max_iter, config.tol)?;
        if best.as_ref().is_none_or(|b| r.inertia < b.inertia) {
            best = Some(r);
        }
    }
    best.ok_or_else(|| AnalysisError::empty("k-means ran no restart"))
}
