//! Task variance and functional clusters (Yang, Joglekar, Song, Newsome & Wang 2019, Nat.
//! Neurosci.; primer seed 003).
//!
//! For unit `i` and task `a`, `TV_{i,a}` = the variance of the unit's rate across trials
//! (conditions) at each time step, averaged over time: steps are counted from the window's start
//! in each trial, a step contributes if at least two trials reach it, and the variance has
//! denominator `n` (`np.var`). Units whose summed variance over tasks is below
//! `min_total_variance` are dropped; each remaining unit's vector is divided by its maximum over
//! tasks (so it lies in `[0, 1]`), and the normalised vectors are clustered with k-means, `k`
//! chosen by the silhouette over `k_min..=k_max`.
//!
//! `order` lists the kept units for the heatmap: clusters sorted by the task their mean vector
//! peaks on, units within a cluster by the task they peak on, then by decreasing peak height.

use crate::cluster::{select_k, KMeansConfig};
use crate::error::{AnalysisError, Result};
use crate::window::{check_recording, rate, Window};
use neurodyn_core::{Npz, Recording, Rng};
use serde::{Deserialize, Serialize};

/// Settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskVarianceConfig {
    /// Window of each trial (the same name in every task's recording).
    pub window: Window,
    /// Units with summed task variance below this are dropped.
    pub min_total_variance: f64,
    /// Smallest k tried.
    pub k_min: usize,
    /// Largest k tried (capped at kept units − 1).
    pub k_max: usize,
    /// k-means settings (`k` ignored).
    pub kmeans: KMeansConfig,
}

impl Default for TaskVarianceConfig {
    fn default() -> Self {
        TaskVarianceConfig {
            window: Window::Whole,
            min_total_variance: 1e-3,
            k_min: 2,
            k_max: 20,
            kmeans: KMeansConfig::default(),
        }
    }
}

/// The matrix, the clusters and the heatmap order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskVarianceResult {
    /// Task names, columns of the matrices.
    pub tasks: Vec<String>,
    /// Units.
    pub n_units: usize,
    /// `(unit, task)` raw task variance, all units.
    pub variance: Vec<f64>,
    /// Units kept.
    pub kept_units: Vec<usize>,
    /// `(kept unit, task)` normalised by each unit's maximum.
    pub normalized: Vec<f64>,
    /// Cluster of each kept unit.
    pub labels: Vec<usize>,
    /// Clusters (1 when fewer than 3 units survive).
    pub k: usize,
    /// `(k, silhouette)` for each k tried.
    pub silhouette: Vec<(usize, f64)>,
    /// Rows of `normalized` in heatmap order.
    pub order: Vec<usize>,
}

impl TaskVarianceResult {
    /// Arrays for `.npz`: `variance`, `kept_units`, `normalized`, `labels`, `order`.
    pub fn to_npz(&self) -> Result<Npz> {
        let (t, m) = (self.tasks.len(), self.kept_units.len());
        let ints = |v: &[usize]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
        let mut z = Npz::new();
        z.f64("variance", &[self.n_units, t], self.variance.clone())?;
        z.i64("kept_units", &[m], ints(&self.kept_units))?;
        z.f64("normalized", &[m, t], self.normalized.clone())?;
        z.i64("labels", &[m], ints(&self.labels))?;
        z.i64("order", &[m], ints(&self.order))?;
        Ok(z)
    }
}

/// Task variance of every unit in one recording.
fn variance_of(rec: &Recording, w: &Window) -> Result<Vec<f64>> {
    check_recording(rec)?;
    w.validate(rec)?;
    let u = rec.n_units;
    // (trial, first step, length) of each trial's window.
    let bounds: Vec<(usize, usize, usize)> = (0..rec.n_trials)
        .filter_map(|i| w.bounds(rec, i).map(|(s, e)| (i, s, e - s)))
        .collect();
    let longest = bounds.iter().map(|b| b.2).max().unwrap_or(0);
    let (mut acc, mut n_t) = (vec![0.0; u], 0usize);
    let (mut s1, mut s2) = (vec![0.0; u], vec![0.0; u]);
    for tau in 0..longest {
        s1.iter_mut().for_each(|v| *v = 0.0);
        s2.iter_mut().for_each(|v| *v = 0.0);
        let mut cnt = 0usize;
        for &(i, s, len) in &bounds {
            if tau < len {
                cnt += 1;
                for k in 0..u {
                    s1[k] += rate(rec, i, s + tau, k);
                }
            }
        }
        if cnt < 2 {
            continue;
        }
        let mean: Vec<f64> = s1.iter().map(|v| v / cnt as f64).collect();
        for &(i, s, len) in &bounds {
            if tau < len {
                for k in 0..u {
                    s2[k] += (rate(rec, i, s + tau, k) - mean[k]).powi(2);
                }
            }
        }
        acc.iter_mut()
            .zip(&s2)
            .for_each(|(a, v)| *a += v / cnt as f64);
        n_t += 1;
    }
    if n_t == 0 {
        return Err(AnalysisError::empty(
            "task variance needs ≥ 2 trials sharing a window step",
        ));
    }
    Ok(acc.into_iter().map(|a| a / n_t as f64).collect())
}

/// Task variance over `tasks` (one recording per task, same units) and its clusters.
pub fn run(
    tasks: &[(&str, &Recording)],
    config: &TaskVarianceConfig,
    rng: &mut Rng,
) -> Result<TaskVarianceResult> {
    let first = tasks
        .first()
        .ok_or_else(|| AnalysisError::empty("task variance: no tasks"))?
        .1;
    let u = first.n_units;
    let t = tasks.len();
    let mut variance = vec![0.0; u * t];
    for (a, (name, rec)) in tasks.iter().enumerate() {
        if rec.n_units != u {
            return Err(AnalysisError::shape(
                format!("units of task '{name}'"),
                &[u],
                &[rec.n_units],
            ));
        }
        for (k, v) in variance_of(rec, &config.window)?.into_iter().enumerate() {
            variance[k * t + a] = v;
        }
    }
    let kept_units: Vec<usize> = (0..u)
        .filter(|&k| variance[k * t..(k + 1) * t].iter().sum::<f64>() >= config.min_total_variance)
        .collect();
    let mut normalized = Vec::with_capacity(kept_units.len() * t);
    for &k in &kept_units {
        let row = &variance[k * t..(k + 1) * t];
        let m = row.iter().copied().fold(0.0, f64::max);
        normalized.extend(row.iter().map(|v| if m > 0.0 { v / m } else { 0.0 }));
    }
    let m = kept_units.len();
    let (labels, k, silhouette) = if m >= 3 && config.k_min <= config.k_max.min(m - 1) {
        let s = select_k(
            &normalized,
            m,
            t,
            config.k_min,
            config.k_max,
            &config.kmeans,
            rng,
        )?;
        (s.best.labels, s.best_k, s.scores)
    } else {
        (vec![0; m], 1, Vec::new())
    };
    let order = heatmap_order(&normalized, t, &labels, k);
    Ok(TaskVarianceResult {
        tasks: tasks.iter().map(|(n, _)| n.to_string()).collect(),
        n_units: u,
        variance,
        kept_units,
        normalized,
        labels,
        k,
        silhouette,
        order,
    })
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

fn heatmap_order(x: &[f64], t: usize, labels: &[usize], k: usize) -> Vec<usize> {
    let mut mean = vec![0.0; k * t];
    let mut cnt = vec![0usize; k];
    for (row, &l) in x.chunks_exact(t.max(1)).zip(labels) {
        cnt[l] += 1;
        mean[l * t..(l + 1) * t]
            .iter_mut()
            .zip(row)
            .for_each(|(m, v)| *m += v);
    }
    let cluster_peak: Vec<usize> = (0..k).map(|c| argmax(&mean[c * t..(c + 1) * t])).collect();
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&x[a * t..(a + 1) * t], &x[b * t..(b + 1) * t]);
        let (la, lb) = (labels[a], labels[b]);
        (cluster_peak[la], la, argmax(ra))
            .cmp(&(cluster_peak[lb], lb, argmax(rb)))
            .then(rb[argmax(rb)].total_cmp(&ra[argmax(ra)]))
            .then(a.cmp(&b))
    });
    order
}
