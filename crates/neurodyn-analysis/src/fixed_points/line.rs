//! Is there a line attractor? An explicit test on the fixed and slow points a search found.
//!
//! A line attractor (Seung 1996; Mante et al. 2013) is a one-dimensional manifold of fixed (or
//! very slow) points along which the linearised dynamics have one eigenvalue at |μ| ≈ 1, pointing
//! along the line, and every other mode decaying. Given the points of a search and the recorded
//! trajectories, the test asks, with numbers for each:
//!
//! 1. **slow points**: points moving at most `max_speed_ratio` × the median speed of the recorded
//!    trajectories per step (`‖F(x) − x‖ = √(2q)`); at least `min_points` of them;
//! 2. **one-dimensional**: their first principal component holds at least `min_explained` of their
//!    variance;
//! 3. **long**: they span at least `min_extent` of the trajectories' extent (5th to 95th
//!    percentile) along that component;
//! 4. **one slow mode**: at the median point, the slowest mode is at least `min_gap_ratio` times
//!    nearer |μ| = 1 than the next (`|1 − μ₂| / |1 − μ₁|`), and no mode grows (|μ| ≤ 1 + `tol_unstable`);
//! 5. **aligned**: the slowest mode's direction lies along the line (median |cos| ≥
//!    `min_alignment`).
//!
//! The thresholds are [`LineCriteria`]'s fields; the verdict lists every criterion that failed.

use super::FixedPoint;
use neurodyn_core::Recording;
use serde::Serialize;

/// Thresholds of the line-attractor test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineCriteria {
    /// Slow points move at most this × the trajectories' median speed per step.
    pub max_speed_ratio: f64,
    /// Slow points needed.
    pub min_points: usize,
    /// Variance fraction of the points' first principal component.
    pub min_explained: f64,
    /// The points' span along the line ÷ the trajectories' 5–95 % extent along it.
    pub min_extent: f64,
    /// `|1 − μ₂| / |1 − μ₁|` at the median point.
    pub min_gap_ratio: f64,
    /// Median |cos| between the slowest mode and the line.
    pub min_alignment: f64,
    /// A mode with |μ| above 1 + this grows.
    pub tol_unstable: f64,
}

impl Default for LineCriteria {
    fn default() -> Self {
        LineCriteria {
            max_speed_ratio: 0.1,
            min_points: 3,
            min_explained: 0.9,
            min_extent: 0.2,
            min_gap_ratio: 3.0,
            min_alignment: 0.7,
            tol_unstable: 1e-3,
        }
    }
}

/// The verdict, with the number behind each criterion.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineAttractor {
    /// Every criterion met.
    pub found: bool,
    /// Indices (into the search's points) of the slow points tested.
    pub points: Vec<usize>,
    /// The trajectories' median speed per step (state units).
    pub trajectory_speed: f64,
    /// Variance fraction of the slow points' first principal component (NaN with < 2 points).
    pub explained: f64,
    /// Their span along it ÷ the trajectories' 5–95 % extent along it.
    pub extent_ratio: f64,
    /// Median over the slow points of `|1 − μ₂| / |1 − μ₁|`.
    pub gap_ratio: f64,
    /// Median |μ| of the slowest mode.
    pub slowest_abs_mu: f64,
    /// Median |μ| of the second-slowest mode.
    pub second_abs_mu: f64,
    /// Largest |μ| over the slow points.
    pub max_abs_mu: f64,
    /// Median |cos| between the slowest mode and the line.
    pub alignment: f64,
    /// Median over the slow points of the slowest mode's rotation per step, `|arg μ₁|` in
    /// radians: 0 for a real mode (as on a line), above 0 for a rotating pair (a slow spiral,
    /// which holds a value for a while without a line of fixed points); NaN without slow points.
    pub slowest_rotation: f64,
    /// The line's direction (unit) and centre, in state space (empty with < 2 points).
    pub direction: Vec<f64>,
    /// The slow points' mean.
    pub centre: Vec<f64>,
    /// The criteria that failed, in words with their numbers (empty when found).
    pub failed: Vec<String>,
    /// The thresholds used.
    pub criteria: LineCriteria,
}

/// `v ≥ least`, false for NaN (a criterion that could not be measured is not met).
fn meets(v: f64, least: f64) -> bool {
    v >= least
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// The median distance between consecutive recorded states: `traj` is `(trials, steps, n)`
/// row-major with `lens[i]` valid steps in trial `i`.
pub fn trajectory_speed(traj: &[f64], n: usize, steps: usize, lens: &[usize]) -> f64 {
    let mut d = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        for t in 1..len.min(steps) {
            let a = &traj[(i * steps + t - 1) * n..(i * steps + t) * n];
            let b = &traj[(i * steps + t) * n..(i * steps + t + 1) * n];
            d.push(
                a.iter()
                    .zip(b)
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum::<f64>()
                    .sqrt(),
            );
        }
    }
    median(d)
}

/// Leading principal direction of `rows` (each of length `n`) by power iteration on the
/// covariance, and the fraction of variance it holds.
fn principal(rows: &[&[f64]], centre: &[f64]) -> (Vec<f64>, f64) {
    let n = centre.len();
    let centred: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.iter().zip(centre).map(|(a, c)| a - c).collect())
        .collect();
    let total: f64 = centred.iter().flatten().map(|v| v * v).sum();
    if total <= 0.0 {
        return (vec![0.0; n], f64::NAN);
    }
    // Start from the row farthest from the centre: never orthogonal to the leading direction.
    let mut v = centred
        .iter()
        .max_by(|a, b| {
            let na: f64 = a.iter().map(|x| x * x).sum();
            let nb: f64 = b.iter().map(|x| x * x).sum();
            na.total_cmp(&nb)
        })
        .cloned()
        .unwrap_or_else(|| vec![1.0; n]);
    for _ in 0..500 {
        let mut w = vec![0.0; n];
        for r in &centred {
            let p: f64 = r.iter().zip(&v).map(|(a, b)| a * b).sum();
            w.iter_mut().zip(r).for_each(|(wi, ri)| *wi += p * ri);
        }
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            break;
        }
        w.iter_mut().for_each(|x| *x /= norm);
        let change: f64 = w.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = w;
        if change < 1e-13 {
            break;
        }
    }
    let along: f64 = centred
        .iter()
        .map(|r| r.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>().powi(2))
        .sum();
    (v, along / total)
}

/// Test `points` (of a search in an `n`-dimensional state) for a line attractor against the
/// recorded trajectories `traj` (`(trials, steps, n)`, `lens` valid steps per trial).
pub fn line_attractor(
    points: &[FixedPoint],
    traj: &[f64],
    n: usize,
    steps: usize,
    lens: &[usize],
    criteria: &LineCriteria,
) -> LineAttractor {
    let c = criteria;
    let speed = trajectory_speed(traj, n, steps, lens);
    let slow: Vec<usize> = (0..points.len())
        .filter(|&k| (2.0 * points[k].q).sqrt() <= c.max_speed_ratio * speed)
        .collect();
    let rows: Vec<&[f64]> = slow.iter().map(|&k| points[k].x.as_slice()).collect();
    let mut centre = vec![0.0; n];
    for r in &rows {
        centre.iter_mut().zip(r.iter()).for_each(|(a, b)| *a += b);
    }
    centre
        .iter_mut()
        .for_each(|a| *a /= rows.len().max(1) as f64);
    let (direction, explained) = if rows.len() >= 2 {
        principal(&rows, &centre)
    } else {
        (Vec::new(), f64::NAN)
    };
    let project = |x: &[f64]| -> f64 {
        x.iter()
            .zip(&centre)
            .zip(&direction)
            .map(|((a, m), d)| (a - m) * d)
            .sum()
    };
    let extent_ratio = if direction.is_empty() {
        0.0
    } else {
        let along: Vec<f64> = rows.iter().map(|r| project(r)).collect();
        let span = along.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            - along.iter().cloned().fold(f64::INFINITY, f64::min);
        let mut tr = Vec::new();
        for (i, &len) in lens.iter().enumerate() {
            for t in 0..len.min(steps) {
                tr.push(project(&traj[(i * steps + t) * n..(i * steps + t + 1) * n]));
            }
        }
        tr.sort_by(f64::total_cmp);
        let q = |f: f64| tr[((tr.len() - 1) as f64 * f).round() as usize];
        let extent = if tr.is_empty() {
            0.0
        } else {
            q(0.95) - q(0.05)
        };
        if extent > 0.0 {
            span / extent
        } else {
            0.0
        }
    };
    let mut gaps = Vec::new();
    let mut mu1 = Vec::new();
    let mut mu2 = Vec::new();
    let mut align = Vec::new();
    let mut rotation = Vec::new();
    let mut max_abs_mu: f64 = 0.0;
    for &k in &slow {
        let p = &points[k];
        let (g1, g2) = p.marginal_gaps();
        gaps.push(g2 / g1.max(1e-12));
        let mut by_gap: Vec<[f64; 2]> = p.linearization.eigenvalues.clone();
        by_gap.sort_by(|a, b| {
            (a[0] - 1.0)
                .hypot(a[1])
                .total_cmp(&(b[0] - 1.0).hypot(b[1]))
        });
        mu1.push(by_gap.first().map_or(f64::NAN, |z| z[0].hypot(z[1])));
        rotation.push(by_gap.first().map_or(f64::NAN, |z| z[1].atan2(z[0]).abs()));
        mu2.push(by_gap.get(1).map_or(f64::NAN, |z| z[0].hypot(z[1])));
        for z in &p.linearization.eigenvalues {
            max_abs_mu = max_abs_mu.max(z[0].hypot(z[1]));
        }
        if !direction.is_empty() {
            let d = &p.linearization.marginal.direction;
            let norm = d.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                let dot: f64 = d.iter().zip(&direction).map(|(a, b)| a * b).sum();
                align.push((dot / norm).abs());
            }
        }
    }
    let gap_ratio = median(gaps);
    let alignment = median(align);
    let mut failed = Vec::new();
    if slow.len() < c.min_points {
        failed.push(format!(
            "{} slow points (moving ≤ {} × the trajectories' median speed {:.3} per step), {} needed",
            slow.len(),
            c.max_speed_ratio,
            speed,
            c.min_points
        ));
    } else {
        if !meets(explained, c.min_explained) {
            failed.push(format!(
                "not one-dimensional: their first principal component holds {:.0} % of their variance (≥ {:.0} % needed)",
                100.0 * explained,
                100.0 * c.min_explained
            ));
        }
        if !meets(extent_ratio, c.min_extent) {
            failed.push(format!(
                "short: they span {:.0} % of the trajectories' extent along the line (≥ {:.0} % needed)",
                100.0 * extent_ratio,
                100.0 * c.min_extent
            ));
        }
        if !meets(gap_ratio, c.min_gap_ratio) {
            failed.push(format!(
                "no single slow mode: the slowest mode is {gap_ratio:.1}× nearer |μ| = 1 than the next (≥ {} needed)",
                c.min_gap_ratio
            ));
        }
        if max_abs_mu > 1.0 + c.tol_unstable {
            failed.push(format!(
                "unstable: a mode grows (|μ| up to {max_abs_mu:.4})"
            ));
        }
        if !meets(alignment, c.min_alignment) {
            failed.push(format!(
                "misaligned: the slowest mode lies at median |cos| {alignment:.2} to the line (≥ {} needed)",
                c.min_alignment
            ));
        }
    }
    LineAttractor {
        found: failed.is_empty(),
        points: slow,
        trajectory_speed: speed,
        explained,
        extent_ratio,
        gap_ratio,
        slowest_abs_mu: median(mu1),
        second_abs_mu: median(mu2),
        max_abs_mu,
        alignment,
        slowest_rotation: median(rotation),
        direction,
        centre,
        failed,
        criteria: c.clone(),
    }
}

/// [`line_attractor`] against a recording's trajectories, whose state at each step is the rates
/// followed by the recording's state blocks (as the search's starts are).
pub fn line_attractor_on_recording(
    points: &[FixedPoint],
    rec: &Recording,
    criteria: &LineCriteria,
) -> LineAttractor {
    let (t_max, u) = (rec.n_steps, rec.n_units);
    let n = u * (1 + rec.states.len());
    let mut traj = Vec::with_capacity(rec.n_trials * t_max * n);
    for i in 0..rec.n_trials {
        for t in 0..t_max {
            let o = (i * t_max + t) * u;
            traj.extend(rec.rates[o..o + u].iter().map(|&v| f64::from(v)));
            for (_, block) in &rec.states {
                traj.extend(block[o..o + u].iter().map(|&v| f64::from(v)));
            }
        }
    }
    line_attractor(points, &traj, n, t_max, &rec.trial_len, criteria)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed_points::{run, FixedPointConfig};
    use neurodyn_core::Dynamics;

    /// A linear map in 3-D: `x ← A x`, with A = diag(1, a, a) (a line attractor along e₁ when
    /// a < 1) or diag(1, 1, a) (a plane).
    struct Diag([f64; 3]);

    impl Dynamics for Diag {
        fn n_state(&self) -> usize {
            3
        }
        fn n_in(&self) -> usize {
            0
        }
        fn step(&self, x: &[f64], _u: &[f64], out: &mut [f64]) {
            for k in 0..3 {
                out[k] = self.0[k] * x[k];
            }
        }
        fn jacobian(&self, _x: &[f64], _u: &[f64], out: &mut [f64]) {
            out.iter_mut().for_each(|v| *v = 0.0);
            for k in 0..3 {
                out[k * 3 + k] = self.0[k];
            }
        }
        fn dt_ms(&self) -> Option<f64> {
            None
        }
    }

    /// Trajectories moving along e₁ and relaxing in e₂, e₃.
    fn trajectories() -> (Vec<f64>, usize, Vec<usize>) {
        let steps = 20;
        let mut tr = Vec::new();
        for i in 0..5 {
            let mut x = [i as f64 - 2.0, 1.0, -1.0];
            for _ in 0..steps {
                tr.extend_from_slice(&x);
                x = [x[0] + 0.05, 0.8 * x[1], 0.8 * x[2]];
            }
        }
        (tr, steps, vec![steps; 5])
    }

    #[test]
    fn a_line_of_fixed_points_is_found_and_a_plane_or_a_point_is_not() {
        let (tr, steps, lens) = trajectories();
        let starts: Vec<f64> = tr.clone();
        let cfg = FixedPointConfig::default();
        let line = run(&Diag([1.0, 0.5, 0.5]), &[], &starts, &cfg).expect("search");
        let v = line_attractor(&line.points, &tr, 3, steps, &lens, &LineCriteria::default());
        assert!(v.found, "{:?}", v.failed);
        assert!(v.explained > 0.99 && v.alignment > 0.99, "{v:?}");
        assert!((v.slowest_abs_mu - 1.0).abs() < 1e-12 && (v.second_abs_mu - 0.5).abs() < 1e-12);
        assert_eq!(v.slowest_rotation, 0.0);

        // A plane of fixed points: two modes at 1, not one-dimensional.
        let plane = run(&Diag([1.0, 1.0, 0.5]), &[], &starts, &cfg).expect("search");
        let v = line_attractor(
            &plane.points,
            &tr,
            3,
            steps,
            &lens,
            &LineCriteria::default(),
        );
        assert!(!v.found);
        assert!(
            v.failed.iter().any(|f| f.contains("no single slow mode")),
            "{:?}",
            v.failed
        );

        // One stable point at the origin: too few slow points.
        let point = run(&Diag([0.5, 0.5, 0.5]), &[], &starts, &cfg).expect("search");
        let v = line_attractor(
            &point.points,
            &tr,
            3,
            steps,
            &lens,
            &LineCriteria::default(),
        );
        assert!(!v.found);
        assert!(v.failed[0].contains("slow points"), "{:?}", v.failed);
        assert_eq!(v.slowest_rotation, 0.0);
    }

    /// A slow spiral in the (e₁, e₂) plane, `x ← 0.99 R(θ) x`, and a fast mode along e₃.
    struct Spiral(f64);

    impl Dynamics for Spiral {
        fn n_state(&self) -> usize {
            3
        }
        fn n_in(&self) -> usize {
            0
        }
        fn step(&self, x: &[f64], _u: &[f64], out: &mut [f64]) {
            let mut j = [0.0; 9];
            self.jacobian(x, _u, &mut j);
            for (r, o) in out.iter_mut().enumerate() {
                *o = (0..3).map(|c| j[r * 3 + c] * x[c]).sum();
            }
        }
        fn jacobian(&self, _x: &[f64], _u: &[f64], out: &mut [f64]) {
            let (c, s) = (0.99 * self.0.cos(), 0.99 * self.0.sin());
            out.copy_from_slice(&[c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 0.5]);
        }
        fn dt_ms(&self) -> Option<f64> {
            None
        }
    }

    #[test]
    fn a_slow_spiral_is_no_line_and_says_it_rotates() {
        let (tr, steps, lens) = trajectories();
        let res = run(&Spiral(0.1), &[], &tr, &FixedPointConfig::default()).expect("search");
        let v = line_attractor(&res.points, &tr, 3, steps, &lens, &LineCriteria::default());
        assert!(!v.found);
        assert!((v.slowest_rotation - 0.1).abs() < 1e-9, "{v:?}");
        assert!((v.slowest_abs_mu - 0.99).abs() < 1e-9, "{v:?}");
    }
}
