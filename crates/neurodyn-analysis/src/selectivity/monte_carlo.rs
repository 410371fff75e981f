//! Monte-Carlo distribution of each unit's maximum |selectivity| (coursework seed 001, fig. 8).
//!
//! For each repeat (a fresh recording of the same network), every comparison is computed
//! ([`super::run`]); each *active* unit contributes `max_c |s_c|` over the comparisons. Pooled
//! over repeats these values give the histogram of how selective units are. Units inactive in a
//! repeat (maximum rate below `active_threshold`) contribute nothing for that repeat; comparisons
//! where a unit's value is undefined are skipped for it.

use super::{run, SelectivityConfig};
use crate::error::{AnalysisError, Result};
use crate::window::Window;
use neurodyn_core::{Npz, Recording};
use serde::{Deserialize, Serialize};

/// Which formula the histogram uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// `d′ = (μa − μb)/√((σa² + σb²)/2)`.
    DPrime,
    /// Coursework `s = 2(μa − μb)/√(σa² + σb²)`.
    #[default]
    Coursework,
}

/// One two-set comparison (see [`SelectivityConfig`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// Label that defines the sets.
    pub label: String,
    /// Label values of set `a`.
    pub group_a: Vec<f64>,
    /// Label values of set `b`.
    pub group_b: Vec<f64>,
    /// Window averaged per trial.
    #[serde(default)]
    pub window: Window,
}

/// Settings of the Monte-Carlo histogram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaxSelectivityConfig {
    /// Comparisons whose maximum |value| is taken per unit.
    pub comparisons: Vec<Comparison>,
    /// Formula.
    pub measure: Measure,
    /// Units whose maximum rate is below this are left out of a repeat.
    pub active_threshold: f64,
    /// Variance denominator `n − ddof`.
    pub ddof: usize,
    /// Histogram bins over `[0, max_value]`.
    pub n_bins: usize,
    /// Upper edge of the histogram; `None` = the largest finite value.
    pub max_value: Option<f64>,
}

impl Default for MaxSelectivityConfig {
    fn default() -> Self {
        MaxSelectivityConfig {
            comparisons: Vec::new(),
            measure: Measure::Coursework,
            active_threshold: 1e-3,
            ddof: 0,
            n_bins: 30,
            max_value: None,
        }
    }
}

/// Pooled max-|selectivity| values and their histogram.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MaxSelectivityResult {
    /// Repeats run.
    pub n_repeats: usize,
    /// Per repeat, `(unit, max |s|)` for each active unit.
    pub per_repeat: Vec<Vec<(usize, f64)>>,
    /// All values pooled.
    pub values: Vec<f64>,
    /// `n_bins + 1` edges.
    pub bin_edges: Vec<f64>,
    /// Values per bin (the last bin includes its upper edge; values above `max_value` and
    /// non-finite values are not counted).
    pub counts: Vec<u64>,
}

impl MaxSelectivityResult {
    /// Arrays for `.npz`: `values`, `bin_edges`, `counts`, and `repeat`/`unit` of each value.
    pub fn to_npz(&self) -> Result<Npz> {
        let n = self.values.len();
        let mut z = Npz::new();
        z.f64("values", &[n], self.values.clone())?;
        z.f64("bin_edges", &[self.bin_edges.len()], self.bin_edges.clone())?;
        z.i64(
            "counts",
            &[self.counts.len()],
            self.counts.iter().map(|&c| c as i64).collect(),
        )?;
        let (mut rep, mut unit) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (r, v) in self.per_repeat.iter().enumerate() {
            for &(u, _) in v {
                rep.push(r as i64);
                unit.push(u as i64);
            }
        }
        z.i64("repeat", &[n], rep)?;
        z.i64("unit", &[n], unit)?;
        Ok(z)
    }
}

fn one_repeat(rec: &Recording, config: &MaxSelectivityConfig) -> Result<Vec<(usize, f64)>> {
    let mut best: Vec<Option<f64>> = vec![None; rec.n_units];
    for c in &config.comparisons {
        let r = run(
            rec,
            &SelectivityConfig {
                label: c.label.clone(),
                group_a: c.group_a.clone(),
                group_b: c.group_b.clone(),
                window: c.window.clone(),
                active_threshold: config.active_threshold,
                ddof: config.ddof,
            },
        )?;
        let vals = match config.measure {
            Measure::DPrime => &r.d_prime,
            Measure::Coursework => &r.selectivity,
        };
        for (b, v) in best.iter_mut().zip(vals) {
            if !v.is_nan() {
                *b = Some(b.map_or(v.abs(), |x| x.max(v.abs())));
            }
        }
    }
    Ok(best
        .into_iter()
        .enumerate()
        .filter_map(|(u, b)| b.map(|v| (u, v)))
        .collect())
}

/// Run `n_repeats` repeats, asking `next(repeat)` for each fresh recording.
pub fn max_selectivity_repeats<F>(
    n_repeats: usize,
    mut next: F,
    config: &MaxSelectivityConfig,
) -> Result<MaxSelectivityResult>
where
    F: FnMut(usize) -> Result<Recording>,
{
    pool(n_repeats, |r| one_repeat(&next(r)?, config), config)
}

/// Same as [`max_selectivity_repeats`] over recordings already made.
pub fn max_selectivity(
    recordings: &[Recording],
    config: &MaxSelectivityConfig,
) -> Result<MaxSelectivityResult> {
    pool(
        recordings.len(),
        |r| one_repeat(&recordings[r], config),
        config,
    )
}

fn pool<F>(
    n_repeats: usize,
    mut repeat: F,
    config: &MaxSelectivityConfig,
) -> Result<MaxSelectivityResult>
where
    F: FnMut(usize) -> Result<Vec<(usize, f64)>>,
{
    if config.comparisons.is_empty() {
        return Err(AnalysisError::config(
            "comparisons",
            "needs at least one comparison",
        ));
    }
    if config.n_bins == 0 {
        return Err(AnalysisError::config("n_bins", "must be ≥ 1"));
    }
    let mut per_repeat = Vec::with_capacity(n_repeats);
    for r in 0..n_repeats {
        per_repeat.push(repeat(r)?);
    }
    let values: Vec<f64> = per_repeat.iter().flatten().map(|&(_, v)| v).collect();
    let top = config.max_value.unwrap_or_else(|| {
        values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    });
    let top = if top > 0.0 { top } else { 1.0 };
    let nb = config.n_bins;
    let bin_edges: Vec<f64> = (0..=nb).map(|k| top * k as f64 / nb as f64).collect();
    let mut counts = vec![0u64; nb];
    for &v in &values {
        if v.is_finite() && (0.0..=top).contains(&v) {
            counts[((v / top * nb as f64) as usize).min(nb - 1)] += 1;
        }
    }
    Ok(MaxSelectivityResult {
        n_repeats,
        per_repeat,
        values,
        bin_edges,
        counts,
    })
}
