//! Which optimised points survive: FixedPointFinder's post-processing.
//!
//! 1. Optional `max_q`: points whose `q` is above it are dropped (by default none are: slow
//!    points are kept with their `q`, flagged `converged = false`).
//! 2. Duplicates: points are visited in increasing `q` (ties by start index) and a point within
//!    `tol_unique` (Euclidean) of one already kept is merged into it, so each cluster keeps its
//!    lowest-`q` member.
//! 3. Outliers: with `d̄` the mean distance of the starts to their centroid, points farther than
//!    `outlier_scale · d̄` from that centroid are dropped (they escaped to where the network never
//!    goes).

use super::search::Outcome;

/// Counts of what was removed at each stage.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Removed {
    pub above_max_q: usize,
    pub duplicates: usize,
    pub outliers: usize,
}

/// Indices of `outcomes` to keep, in increasing `q`.
pub(crate) fn select(
    outcomes: &[Outcome],
    starts: &[f64],
    n: usize,
    max_q: Option<f64>,
    tol_unique: f64,
    outlier_scale: Option<f64>,
) -> (Vec<usize>, Removed) {
    let mut removed = Removed::default();
    let mut order: Vec<usize> = (0..outcomes.len())
        .filter(|&i| {
            let ok = outcomes[i].q.is_finite() && max_q.is_none_or(|m| outcomes[i].q <= m);
            if !ok {
                removed.above_max_q += 1;
            }
            ok
        })
        .collect();
    order.sort_by(|&a, &b| outcomes[a].q.total_cmp(&outcomes[b].q).then(a.cmp(&b)));
    let dist = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    };
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        if kept
            .iter()
            .any(|&k| dist(&outcomes[k].x, &outcomes[i].x) <= tol_unique)
        {
            removed.duplicates += 1;
        } else {
            kept.push(i);
        }
    }
    if let Some(scale) = outlier_scale {
        let n_starts = starts.len() / n.max(1);
        if n_starts > 0 {
            let mut centroid = vec![0.0; n];
            for s in starts.chunks_exact(n) {
                centroid.iter_mut().zip(s).for_each(|(c, v)| *c += v);
            }
            centroid.iter_mut().for_each(|c| *c /= n_starts as f64);
            let mean_d = starts
                .chunks_exact(n)
                .map(|s| dist(s, &centroid))
                .sum::<f64>()
                / n_starts as f64;
            // With every start at one place (d̄ = 0) the criterion is undefined: keep everything.
            if mean_d > 0.0 {
                let before = kept.len();
                kept.retain(|&k| dist(&outcomes[k].x, &centroid) <= scale * mean_d);
                removed.outliers = before - kept.len();
            }
        }
    }
    (kept, removed)
}
