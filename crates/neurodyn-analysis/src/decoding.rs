//! Time-resolved population decoding: at each time step, how well a cross-validated linear
//! read-out of the rates predicts a trial label (the stimulus, the context, the choice), against
//! the same read-out trained on shuffled labels.
//!
//! The decoder is a ridge classifier (scikit-learn's `RidgeClassifier`): each class is a column of
//! ±1 targets, regressed on the rates with an unpenalised intercept (the training fold's means are
//! removed) and penalty `alpha`; a trial is assigned the class of the largest prediction. With two
//! classes this is the sign of one regression, as scikit-learn computes it. Accuracy is averaged
//! over `folds` contiguous folds of the trials present at that step, in recording order
//! (scikit-learn's `KFold` without shuffling; the first `n mod folds` folds have one trial more).
//! Recorded trials are drawn independently, so contiguous folds are random ones; the folds are
//! not stratified by class, as `cross_val_score` with an integer `cv` would do. Tested against
//! `cross_val_score(RidgeClassifier(alpha), X, y, cv=KFold(5))` exactly (fold accuracies) and to
//! 1e-9 (decision values).
//! Being one-vs-rest and linear, it cannot pick out a class that a unit codes as the middle of
//! three levels; a class carried by its own direction in the population it finds.
//!
//! Steps are counted from trial onset, or, with `align` naming a period, from that period's onset
//! in each trial (negative before it), so that trials whose periods last different times are
//! compared at the same moment of the task: decoding the choice around the go cue of a task with
//! a variable delay, say. Trials lacking the period are left out. At each step only the trials
//! running then (and with a finite label) count, and a step with fewer than `2·folds` of them, or
//! with one class left, is skipped. Because trials of different lengths leave different mixes of
//! classes at late steps, both chance references are taken per step over the trials present there: the most frequent
//! class's share, and the mean accuracy of the same decoder after permuting the labels among
//! those trials (`shuffles` times, seeded). Cross-validated chance usually comes out a little
//! below the majority share.

use crate::error::{AnalysisError, Result};
use crate::window::{check_recording, rate, require_label, Window};
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use neurodyn_core::{Npz, Recording, Rng};
use serde::{Deserialize, Serialize};

/// What to decode and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecodingConfig {
    /// The trial label to decode (a column of the recording's labels).
    pub label: String,
    /// Cross-validation folds (≥ 2).
    pub folds: usize,
    /// Ridge penalty (> 0).
    pub alpha: f64,
    /// Decode every `stride`-th step (0: so that at most 60 steps are decoded).
    pub stride: usize,
    /// Label permutations for the chance baseline (0: none).
    pub shuffles: usize,
    /// Seed of the permutations.
    pub seed: u64,
    /// Count steps from the onset of this period in each trial instead of from trial onset.
    pub align: Option<String>,
}

impl Default for DecodingConfig {
    fn default() -> Self {
        DecodingConfig {
            label: "ground_truth".into(),
            folds: 5,
            alpha: 1.0,
            stride: 0,
            shuffles: 2,
            seed: 0,
            align: None,
        }
    }
}

/// Accuracy over time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecodingResult {
    /// The decoded label.
    pub label: String,
    /// Its distinct values (the classes), ascending.
    pub classes: Vec<f64>,
    /// The period whose onset is step 0 (`None`: trial onset).
    pub align: Option<String>,
    /// Decoded steps, from trial onset or from the onset of the `align` period (then negative
    /// before it).
    pub steps: Vec<i64>,
    /// Trials present at each decoded step.
    pub n_trials: Vec<usize>,
    /// Cross-validated accuracy at each decoded step.
    pub accuracy: Vec<f64>,
    /// Mean accuracy with shuffled labels at each step (NaN without shuffles).
    pub shuffled: Vec<f64>,
    /// Share of the most frequent class among the trials present at each decoded step.
    pub majority: Vec<f64>,
    /// The chance band's top at each decoded step: the 97.5th percentile of the accuracy a
    /// decoder that always answers the most frequent class reaches on that many trials drawn
    /// afresh (binomial, p = `majority`). Above it, decoding beats chance at the 2.5 % level.
    pub chance_upper: Vec<f64>,
    /// The step of the highest accuracy, and that accuracy.
    pub best: (i64, f64),
}

impl DecodingResult {
    /// Arrays for `.npz`: `steps`, `n_trials`, `accuracy`, `shuffled`, `majority`,
    /// `chance_upper`, `classes`.
    pub fn to_npz(&self) -> Result<Npz> {
        let mut z = Npz::new();
        let n = self.steps.len();
        let ints = |v: &[usize]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
        z.i64("steps", &[n], self.steps.clone())?;
        z.i64("n_trials", &[n], ints(&self.n_trials))?;
        z.f64("accuracy", &[n], self.accuracy.clone())?;
        z.f64("shuffled", &[n], self.shuffled.clone())?;
        z.f64("majority", &[n], self.majority.clone())?;
        z.f64("chance_upper", &[n], self.chance_upper.clone())?;
        z.f64("classes", &[self.classes.len()], self.classes.clone())?;
        Ok(z)
    }
}

/// The smallest k with P(X ≤ k) ≥ `q` for X ~ Binomial(n, p) (scipy's `binom.ppf`), summing the
/// probabilities in log space from k = 0.
pub fn binomial_quantile(n: usize, p: f64, q: f64) -> usize {
    if p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    // log C(n, k) built up term by term.
    let mut log_choose = 0.0;
    let mut total = 0.0;
    for k in 0..=n {
        if k > 0 {
            log_choose += ((n - k + 1) as f64).ln() - (k as f64).ln();
        }
        total += (log_choose + k as f64 * lp + (n - k) as f64 * lq).exp();
        if total >= q - 1e-12 {
            return k;
        }
    }
    n
}

/// A fitted ridge classifier: `scores = x·W + b` for `(d, k)` weights.
#[derive(Clone, Debug, PartialEq)]
pub struct RidgeClassifier {
    /// Features.
    pub d: usize,
    /// Classes (columns).
    pub k: usize,
    /// Weights `(d, k)`.
    pub w: Vec<f64>,
    /// Intercepts `(k)`.
    pub b: Vec<f64>,
}

/// The samples of one cross-validation problem: `x (n, d)` as a matrix, its Gram matrix and
/// column sums, shared by every fold and labeling.
struct Samples {
    x: Mat<f64>,
    gram: Mat<f64>,
    sums: Vec<f64>,
}

impl Samples {
    fn new(x: &[f64], n: usize, d: usize) -> Result<Samples> {
        if x.len() != n * d || n == 0 {
            return Err(AnalysisError::shape(
                "decoder features",
                &[n, d],
                &[x.len()],
            ));
        }
        let x = Mat::from_fn(n, d, |i, j| x[i * d + j]);
        let gram = x.transpose() * &x;
        let sums = (0..d).map(|j| (0..n).map(|i| x[(i, j)]).sum()).collect();
        Ok(Samples { x, gram, sums })
    }

    /// Fit a ridge classifier for each labeling on every sample outside `test` (`ys[l][i]` in
    /// `0..k`): one factorisation of `Xcᵀ Xc + αI` serves them all.
    fn fit(
        &self,
        test: std::ops::Range<usize>,
        ys: &[&[usize]],
        k: usize,
        alpha: f64,
    ) -> Result<Vec<RidgeClassifier>> {
        let (n, d) = (self.x.nrows(), self.x.ncols());
        let train = |i: &usize| !test.contains(i);
        let n_tr = (n - test.len()) as f64;
        // The training fold's Gram matrix and sums: the whole set's less the test fold's.
        let xt = self.x.as_ref().subrows(test.start, test.len());
        let gram = &self.gram - xt.transpose() * xt;
        let sums: Vec<f64> = (0..d)
            .map(|a| self.sums[a] - test.clone().map(|i| self.x[(i, a)]).sum::<f64>())
            .collect();
        let m: Vec<f64> = sums.iter().map(|s| s / n_tr).collect();
        // Xcᵀ Xc = Xᵀ X − n m mᵀ; the intercept is not penalised.
        let g = Mat::from_fn(d, d, |a, b| {
            gram[(a, b)] - n_tr * m[a] * m[b] + if a == b { alpha } else { 0.0 }
        });
        let llt = g
            .llt(Side::Lower)
            .map_err(|e| AnalysisError::LinearAlgebra {
                what: "decoding: ridge system".into(),
                message: format!("{e:?} (non-finite rates?)"),
            })?;
        // Right-hand sides Xcᵀ Yc for targets ±1: Σ x t − n m ȳ, with Σ x t = 2 Σ_{y=c} x − Σ x.
        let mut rhs = Mat::<f64>::zeros(d, k * ys.len());
        let mut means = vec![0.0; k * ys.len()];
        for (l, y) in ys.iter().enumerate() {
            for c in 0..k {
                let col = l * k + c;
                let members: Vec<usize> = (0..n).filter(train).filter(|&i| y[i] == c).collect();
                let ym = (2.0 * members.len() as f64 - n_tr) / n_tr;
                means[col] = ym;
                for a in 0..d {
                    let inside: f64 = members.iter().map(|&i| self.x[(i, a)]).sum();
                    rhs[(a, col)] = 2.0 * inside - sums[a] - n_tr * m[a] * ym;
                }
            }
        }
        llt.solve_in_place(rhs.as_mut());
        Ok((0..ys.len())
            .map(|l| {
                let w: Vec<f64> = (0..d)
                    .flat_map(|a| (0..k).map(move |c| (a, l * k + c)))
                    .map(|(a, col)| rhs[(a, col)])
                    .collect();
                let b = (0..k)
                    .map(|c| means[l * k + c] - (0..d).map(|a| m[a] * w[a * k + c]).sum::<f64>())
                    .collect();
                RidgeClassifier { d, k, w, b }
            })
            .collect())
    }
}

impl RidgeClassifier {
    /// Fit on `x (n, d)` with class indices `y` in `0..k`, penalty `alpha`.
    pub fn fit(x: &[f64], y: &[usize], d: usize, k: usize, alpha: f64) -> Result<Self> {
        let s = Samples::new(x, y.len(), d)?;
        Ok(s.fit(0..0, &[y], k, alpha)?.remove(0))
    }

    /// The `k` scores of one sample.
    pub fn decision(&self, row: &[f64]) -> Vec<f64> {
        (0..self.k)
            .map(|c| {
                self.b[c]
                    + row
                        .iter()
                        .enumerate()
                        .map(|(a, v)| v * self.w[a * self.k + c])
                        .sum::<f64>()
            })
            .collect()
    }

    /// The class of one sample (the first of equal scores).
    pub fn predict(&self, row: &[f64]) -> usize {
        let s = self.decision(row);
        (1..self.k).fold(0, |best, c| if s[c] > s[best] { c } else { best })
    }
}

/// Accuracy of each of `folds` contiguous folds: a ridge classifier fitted on the other folds
/// predicts this one. `x (n, d)`, classes `y` in `0..k`.
pub fn fold_accuracies(
    x: &[f64],
    y: &[usize],
    d: usize,
    k: usize,
    folds: usize,
    alpha: f64,
) -> Result<Vec<f64>> {
    Ok(fold_accuracies_many(x, &[y], d, k, folds, alpha)?.remove(0))
}

/// [`fold_accuracies`] for several labelings of the same samples (a label and its shuffles).
pub fn fold_accuracies_many(
    x: &[f64],
    ys: &[&[usize]],
    d: usize,
    k: usize,
    folds: usize,
    alpha: f64,
) -> Result<Vec<Vec<f64>>> {
    let n = ys.first().map_or(0, |y| y.len());
    if folds < 2 || n < folds {
        return Err(AnalysisError::config(
            "folds",
            format!("{folds} folds of {n} samples: need 2 ≤ folds ≤ samples"),
        ));
    }
    let samples = Samples::new(x, n, d)?;
    let mut out = vec![Vec::with_capacity(folds); ys.len()];
    let mut start = 0;
    for f in 0..folds {
        let size = n / folds + usize::from(f < n % folds);
        let test = start..start + size;
        start += size;
        let fits = samples.fit(test.clone(), ys, k, alpha)?;
        for ((clf, y), acc) in fits.iter().zip(ys).zip(&mut out) {
            let ok = test
                .clone()
                .filter(|&i| clf.predict(&x[i * d..(i + 1) * d]) == y[i])
                .count();
            acc.push(ok as f64 / size as f64);
        }
    }
    Ok(out)
}

/// A trial that takes part: its class, the step its time counts from, and its length.
struct Labelled {
    trial: usize,
    class: usize,
    onset: i64,
    len: i64,
}

impl Labelled {
    /// The trial's own step at step `t` of the decoding axis, if the trial is running then.
    fn at(&self, t: i64) -> Option<usize> {
        let s = self.onset + t;
        (0..self.len).contains(&s).then_some(s as usize)
    }
}

/// Decode `config.label` from the rates of `rec` over time.
pub fn run(rec: &Recording, config: &DecodingConfig) -> Result<DecodingResult> {
    check_recording(rec)?;
    if config.folds < 2 {
        return Err(AnalysisError::config("folds", "must be ≥ 2"));
    }
    if !(config.alpha.is_finite() && config.alpha > 0.0) {
        return Err(AnalysisError::config(
            "alpha",
            format!("must be a positive number, got {}", config.alpha),
        ));
    }
    let col = require_label(rec, &config.label)?;
    let mut classes: Vec<f64> = col
        .values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    classes.sort_by(f64::total_cmp);
    classes.dedup();
    if classes.len() < 2 {
        return Err(AnalysisError::empty(format!(
            "decoding: label '{}' takes fewer than two values; nothing to decode",
            config.label
        )));
    }
    // Each step holds one labelling per shuffle of every trial, and their fold predictions.
    neurodyn_core::memory::ensure_fits(
        &format!("decoding with {} shuffles", config.shuffles),
        (config.shuffles as f64 + 1.0) * rec.n_trials as f64 * 8.0 * 4.0,
        "ask for fewer shuffles (--shuffles)",
    )?;
    let class_of = |v: f64| classes.iter().position(|&c| c == v);
    let onset = |i: usize| -> Option<usize> {
        match &config.align {
            None => Some(0),
            Some(name) => rec.period(name, i).map(|(s, _)| s),
        }
    };
    if let Some(name) = &config.align {
        Window::Period(name.clone()).validate(rec)?;
    }
    let labelled: Vec<Labelled> = (0..rec.n_trials)
        .filter_map(|i| {
            let class = class_of(col.values[i])?;
            let onset = onset(i)?;
            let len = rec.trial_len[i].min(rec.n_steps);
            (onset < len).then_some(Labelled {
                trial: i,
                class,
                onset: onset as i64,
                len: len as i64,
            })
        })
        .collect();
    let first = labelled.iter().map(|l| -l.onset).min().unwrap_or(0);
    let last = labelled.iter().map(|l| l.len - l.onset).max().unwrap_or(0);
    // One stream of permutations over the decoded steps, so the result depends on the seed alone.
    let mut rng = Rng::new(config.seed);
    let stride = match config.stride {
        0 => ((last - first) as usize).div_ceil(60).max(1),
        s => s,
    } as i64;
    let (d, k) = (rec.n_units, classes.len());
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    let mut res = DecodingResult {
        label: config.label.clone(),
        align: config.align.clone(),
        classes: classes.clone(),
        steps: Vec::new(),
        n_trials: Vec::new(),
        accuracy: Vec::new(),
        shuffled: Vec::new(),
        majority: Vec::new(),
        chance_upper: Vec::new(),
        best: (0, f64::NEG_INFINITY),
    };
    // Every stride-th step, step 0 among them.
    for t in (first.div_euclid(stride)..).map(|m| m * stride) {
        if t >= last {
            break;
        }
        let present: Vec<&Labelled> = labelled.iter().filter(|l| l.at(t).is_some()).collect();
        let mut counts = vec![0usize; k];
        present.iter().for_each(|l| counts[l.class] += 1);
        if present.len() < 2 * config.folds || counts.iter().filter(|&&c| c > 0).count() < 2 {
            continue;
        }
        let x: Vec<f64> = present
            .iter()
            .flat_map(|l| {
                let at = l.at(t).unwrap_or(0);
                (0..d).map(move |u| rate(rec, l.trial, at, u))
            })
            .collect();
        let y: Vec<usize> = present.iter().map(|l| l.class).collect();
        let shuffled: Vec<Vec<usize>> = (0..config.shuffles)
            .map(|_| {
                let mut p = y.clone();
                for i in (1..p.len()).rev() {
                    p.swap(i, rng.below(i as u64 + 1) as usize);
                }
                p
            })
            .collect();
        let ys: Vec<&[usize]> = std::iter::once(&y[..])
            .chain(shuffled.iter().map(|v| &v[..]))
            .collect();
        let mut accs = fold_accuracies_many(&x, &ys, d, k, config.folds, config.alpha)?
            .into_iter()
            .map(mean);
        let acc = accs.next().unwrap_or(f64::NAN);
        let sh: Vec<f64> = accs.collect();
        if acc > res.best.1 {
            res.best = (t, acc);
        }
        res.steps.push(t);
        res.n_trials.push(present.len());
        let share = *counts.iter().max().unwrap_or(&0) as f64 / present.len() as f64;
        res.majority.push(share);
        res.chance_upper
            .push(binomial_quantile(present.len(), share, 0.975) as f64 / present.len() as f64);
        res.accuracy.push(acc);
        res.shuffled
            .push(if sh.is_empty() { f64::NAN } else { mean(sh) });
    }
    if res.steps.is_empty() {
        return Err(AnalysisError::empty(format!(
            "decoding: no step has {} labelled trials of two classes or more for {} folds",
            2 * config.folds,
            config.folds
        )));
    }
    Ok(res)
}

#[cfg(test)]
mod binomial_tests {
    use super::binomial_quantile;

    #[test]
    fn binomial_quantiles_match_scipy() {
        // scipy.stats.binom.ppf(0.975, n, p)
        assert_eq!(binomial_quantile(100, 0.5, 0.975), 60);
        assert_eq!(binomial_quantile(20, 0.5, 0.975), 14);
        assert_eq!(binomial_quantile(10, 0.0, 0.975), 0);
        assert_eq!(binomial_quantile(10, 1.0, 0.975), 10);
        assert_eq!(binomial_quantile(1000, 0.5, 0.5), 500);
    }
}
