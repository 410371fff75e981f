//! Fixed and slow points of a frozen network (Sussillo & Barak 2013), with FixedPointFinder's
//! conventions (Golub & Sussillo 2018) for tolerances and post-processing.
//!
//! For a constant input `u`, every start is driven to a minimum of `q(x) = ½‖F(x, u) − x‖²`
//! (`search.rs`: damped Newton + Levenberg–Marquardt, then Newton polishing), the results are
//! de-duplicated and outliers dropped (`select.rs`), and each surviving point is linearised
//! (`classify.rs`: eigenvalues, stability as a map and in continuous time, marginal direction).
//! Points are reported in increasing `q`; `converged` marks `q < tol_q`, the rest are slow points.
//! `line.rs` tests the points for a line attractor ([`line_attractor`]).
//!
//! Results do not depend on `n_threads`: every start is optimised independently and the
//! post-processing is sequential and ordered.

mod classify;
mod line;
mod search;
mod select;
mod starts;

pub use classify::{linearize, Linearization, MarginalMode};
pub use line::{
    line_attractor, line_attractor_on_recording, trajectory_speed, LineAttractor, LineCriteria,
};
pub use search::q_value;
pub use starts::sample_starts;

use crate::error::{AnalysisError, Result};
use neurodyn_core::{Dynamics, Npz, Recording, Rng};
use search::{solve_one, Outcome, SearchParams, Workspace};
use serde::{Deserialize, Serialize};

/// Fixed-point search settings. Defaults follow FixedPointFinder where it has one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FixedPointConfig {
    /// Starts sampled by [`run_on_recording`].
    pub n_starts: usize,
    /// SD of the Gaussian noise added to sampled starts.
    pub noise_std: f64,
    /// Sample starts only from steps inside this period (e.g. `delay`, for the memory a network
    /// holds there); `None` samples every real step.
    pub start_period: Option<String>,
    /// Newton/LM iterations per start.
    pub max_iters: usize,
    /// Newton polishing steps once `q < tol_q`.
    pub refine_iters: usize,
    /// A point with `q < tol_q` is a fixed point (FixedPointFinder: 1e-12).
    pub tol_q: f64,
    /// Stop when an accepted step lowers `q` by less than this (FixedPointFinder: 1e-20).
    pub tol_dq: f64,
    /// Points within this Euclidean distance are duplicates (FixedPointFinder: 1e-3).
    pub tol_unique: f64,
    /// Drop points farther from the starts' centroid than this × the starts' mean distance to it
    /// (FixedPointFinder: 10); `None` keeps all.
    pub outlier_distance_scale: Option<f64>,
    /// Drop points with `q` above this; `None` keeps slow points.
    pub max_q: Option<f64>,
    /// Worker threads over starts (results are identical for any value).
    pub n_threads: usize,
}

impl Default for FixedPointConfig {
    fn default() -> Self {
        FixedPointConfig {
            n_starts: 256,
            noise_std: 0.01,
            start_period: None,
            max_iters: 200,
            refine_iters: 3,
            tol_q: 1e-12,
            tol_dq: 1e-20,
            tol_unique: 1e-3,
            outlier_distance_scale: Some(10.0),
            max_q: None,
            n_threads: 1,
        }
    }
}

impl FixedPointConfig {
    fn validate(&self) -> Result<()> {
        let pos = |name: &str, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(AnalysisError::config(
                    name,
                    format!("must be finite and > 0, got {v}"),
                ))
            }
        };
        pos("tol_q", self.tol_q)?;
        pos("tol_unique", self.tol_unique)?;
        if self.tol_dq.is_nan() || self.tol_dq < 0.0 {
            return Err(AnalysisError::config("tol_dq", "must be ≥ 0"));
        }
        if let Some(s) = self.outlier_distance_scale {
            pos("outlier_distance_scale", s)?;
        }
        if self.n_threads == 0 {
            return Err(AnalysisError::config("n_threads", "must be ≥ 1"));
        }
        Ok(())
    }
}

/// One fixed (or slow) point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FixedPoint {
    /// The state.
    pub x: Vec<f64>,
    /// `q = ½‖F(x, u) − x‖²`.
    pub q: f64,
    /// `q < tol_q`.
    pub converged: bool,
    /// Iterations the search took from this point's start.
    pub iterations: usize,
    /// Which start it came from.
    pub start_index: usize,
    /// Spectrum and stability.
    #[serde(flatten)]
    pub linearization: Linearization,
}

/// Everything a fixed-point search found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FixedPointResult {
    /// State dimension.
    pub n_state: usize,
    /// The constant input.
    pub input: Vec<f64>,
    /// Starts optimised.
    pub n_starts: usize,
    /// Final `q` of every start (before merging), for histograms.
    pub q_all: Vec<f64>,
    /// Surviving points, increasing `q`.
    pub points: Vec<FixedPoint>,
    /// Dropped by `max_q`.
    pub n_above_max_q: usize,
    /// Merged as duplicates.
    pub n_duplicates: usize,
    /// Dropped as distance outliers.
    pub n_outliers: usize,
}

impl FixedPoint {
    /// The two smallest distances `|μ − 1|` of the map's eigenvalues from the marginal one, slowest
    /// first. A line attractor has the first far below the second.
    pub fn marginal_gaps(&self) -> (f64, f64) {
        let mut d: Vec<f64> = self
            .linearization
            .eigenvalues
            .iter()
            .map(|e| (e[0] - 1.0).hypot(e[1]))
            .collect();
        d.sort_by(f64::total_cmp);
        (
            d.first().copied().unwrap_or(f64::INFINITY),
            d.get(1).copied().unwrap_or(f64::INFINITY),
        )
    }
}

impl FixedPointResult {
    /// Points with `q < tol_q`.
    pub fn converged(&self) -> impl Iterator<Item = &FixedPoint> {
        self.points.iter().filter(|p| p.converged)
    }

    /// The point to show a line attractor at: among the fixed points (`q < tol_q`), the one whose
    /// slowest mode is nearest marginal; without any, the lowest-q slow point. (Below `tol_q` every
    /// `q` is rounding noise, so "the lowest-q point" would be an arbitrary pick among them; a
    /// line attractor shows up as fixed points along the line, each with one mode at |μ| ≈ 1.)
    pub fn marked(&self) -> Option<&FixedPoint> {
        self.converged()
            .min_by(|a, b| a.marginal_gaps().0.total_cmp(&b.marginal_gaps().0))
            .or_else(|| self.points.iter().min_by(|a, b| a.q.total_cmp(&b.q)))
    }

    /// Arrays for `.npz`: `x (point, n)`, `q`, `converged`, `stable_discrete`, `stable_continuous`
    /// (−1 if unknown), `eigenvalues_re/_im (point, n)`, `eigenvectors_re/_im (point, n, n)`,
    /// `jacobian (point, n, n)`, `marginal_direction (point, n)`, `q_all`, `input`.
    pub fn to_npz(&self) -> Result<Npz> {
        let (p, n) = (self.points.len(), self.n_state);
        let cat = |f: &dyn Fn(&FixedPoint) -> Vec<f64>| {
            self.points.iter().flat_map(f).collect::<Vec<f64>>()
        };
        let mut z = Npz::new();
        z.f64("x", &[p, n], cat(&|f| f.x.clone()))?;
        z.f64("q", &[p], cat(&|f| vec![f.q]))?;
        z.i64(
            "converged",
            &[p],
            self.points.iter().map(|f| f.converged as i64).collect(),
        )?;
        z.i64(
            "stable_discrete",
            &[p],
            self.points
                .iter()
                .map(|f| f.linearization.stable_discrete as i64)
                .collect(),
        )?;
        z.i64(
            "stable_continuous",
            &[p],
            self.points
                .iter()
                .map(|f| f.linearization.stable_continuous.map_or(-1, |s| s as i64))
                .collect(),
        )?;
        z.f64(
            "eigenvalues_re",
            &[p, n],
            cat(&|f| f.linearization.eigenvalues.iter().map(|z| z[0]).collect()),
        )?;
        z.f64(
            "eigenvalues_im",
            &[p, n],
            cat(&|f| f.linearization.eigenvalues.iter().map(|z| z[1]).collect()),
        )?;
        z.f64(
            "eigenvectors_re",
            &[p, n, n],
            cat(&|f| f.linearization.eigenvectors_re.clone()),
        )?;
        z.f64(
            "eigenvectors_im",
            &[p, n, n],
            cat(&|f| f.linearization.eigenvectors_im.clone()),
        )?;
        z.f64(
            "jacobian",
            &[p, n, n],
            cat(&|f| f.linearization.jacobian.clone()),
        )?;
        z.f64(
            "marginal_direction",
            &[p, n],
            cat(&|f| f.linearization.marginal.direction.clone()),
        )?;
        z.f64("q_all", &[self.n_starts], self.q_all.clone())?;
        z.f64("input", &[self.input.len()], self.input.clone())?;
        Ok(z)
    }
}

/// Search for fixed points of `dynamics` under constant input `u` from `starts`
/// (`(n_starts, n_state)` row-major).
pub fn run(
    dynamics: &dyn Dynamics,
    u: &[f64],
    starts: &[f64],
    config: &FixedPointConfig,
) -> Result<FixedPointResult> {
    config.validate()?;
    let n = dynamics.n_state();
    if u.len() != dynamics.n_in() {
        return Err(AnalysisError::shape(
            "fixed-point input u",
            &[dynamics.n_in()],
            &[u.len()],
        ));
    }
    if n == 0 || starts.is_empty() || !starts.len().is_multiple_of(n) {
        return Err(AnalysisError::shape(
            "fixed-point starts (n_starts, n_state)",
            &[starts.len() / n.max(1), n],
            &[starts.len()],
        ));
    }
    let n_starts = starts.len() / n;
    let params = SearchParams {
        max_iters: config.max_iters,
        refine_iters: config.refine_iters,
        tol_q: config.tol_q,
        tol_dq: config.tol_dq,
    };
    let outcomes = optimise_all(dynamics, u, starts, n, &params, config.n_threads);
    let (keep, removed) = select::select(
        &outcomes,
        starts,
        n,
        config.max_q,
        config.tol_unique,
        config.outlier_distance_scale,
    );
    let mut points = Vec::with_capacity(keep.len());
    for k in keep {
        let o = &outcomes[k];
        points.push(FixedPoint {
            x: o.x.clone(),
            q: o.q,
            converged: o.q < config.tol_q,
            iterations: o.iterations,
            start_index: k,
            linearization: linearize(dynamics, &o.x, u)?,
        });
    }
    Ok(FixedPointResult {
        n_state: n,
        input: u.to_vec(),
        n_starts,
        q_all: outcomes.iter().map(|o| o.q).collect(),
        points,
        n_above_max_q: removed.above_max_q,
        n_duplicates: removed.duplicates,
        n_outliers: removed.outliers,
    })
}

/// Sample `config.n_starts` starts from `rec` ([`sample_starts`]) and [`run`]. The network's state
/// must be the recorded state: the rates and the recording's state blocks
/// (`n_state == n_units · (1 + rec.states.len())`).
pub fn run_on_recording(
    dynamics: &dyn Dynamics,
    rec: &Recording,
    u: &[f64],
    config: &FixedPointConfig,
    rng: &mut Rng,
) -> Result<FixedPointResult> {
    let recorded = rec.n_units * (1 + rec.states.len());
    if dynamics.n_state() != recorded {
        return Err(AnalysisError::shape(
            "the network state against the recorded state (rates and state blocks)",
            &[dynamics.n_state()],
            &[recorded],
        ));
    }
    // The starts, their optimised states and one Jacobian per kept point, in f64.
    let n = dynamics.n_state() as f64;
    neurodyn_core::memory::ensure_fits(
        &format!("fixed points from {} starts", config.n_starts),
        config.n_starts as f64 * n * 8.0 * 4.0 + n * n * 8.0,
        "ask for fewer starts (--n-starts)",
    )?;
    let starts = sample_starts(
        rec,
        config.n_starts,
        config.noise_std,
        config.start_period.as_deref(),
        rng,
    )?;
    run(dynamics, u, &starts, config)
}

/// Optimise every start, split into contiguous blocks over `n_threads` scoped threads.
fn optimise_all(
    d: &dyn Dynamics,
    u: &[f64],
    starts: &[f64],
    n: usize,
    p: &SearchParams,
    n_threads: usize,
) -> Vec<Outcome> {
    let n_starts = starts.len() / n;
    let solve_block = |block: &[f64]| {
        let mut ws = Workspace::new(n);
        block
            .chunks_exact(n)
            .map(|x0| solve_one(d, u, x0, p, &mut ws))
            .collect::<Vec<_>>()
    };
    let threads = n_threads.min(n_starts).max(1);
    if threads == 1 {
        return solve_block(starts);
    }
    let per = n_starts.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = starts
            .chunks(per * n)
            .map(|block| s.spawn(move || solve_block(block)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(e) => std::panic::resume_unwind(e),
            })
            .collect()
    })
}
