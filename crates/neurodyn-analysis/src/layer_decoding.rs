//! Cross-validated decoding of the class from one layer's activations: how linearly readable the
//! category is at each stage of a network (the "decoding accuracy per layer" curve of vision
//! neuroscience).
//!
//! For a labelled [`Features`] matrix (rows = images, features = a layer's flattened output):
//!
//! 1. rows are split into `folds` stratified folds ([`crate::crossval::stratified_folds`], seeded);
//! 2. for each fold, the features are standardised with the training rows' mean and standard
//!    deviation and, when the layer has more than `max_dims` features, projected onto the
//!    training rows' `max_dims` leading principal components ([`crate::crossval::FoldTransform`]).
//!    Standardising puts raw conv outputs and ReLU layers on one scale, so one `C` means the
//!    same everywhere and L-BFGS converges; the projection keeps a fit on thousands of conv
//!    features cheap (a primal problem of `(max_dims + 1)·k` parameters). When the centred
//!    training rows have rank ≤ `max_dims` the projection loses nothing (the L2 penalty is
//!    rotation-invariant and the optimal `W` lies in the rows' span); otherwise the weakest
//!    directions are dropped;
//! 3. a multinomial logistic regression ([`crate::logistic`], scikit-learn's
//!    `LogisticRegression(C)` objective) is fitted on the training rows and predicts the test
//!    fold; the accuracy is the share of test rows whose class it gets right;
//! 4. the chance baseline repeats 2–3 with the labels permuted over the rows (`shuffles` times,
//!    seeded, the same folds).
//!
//! Accuracy is reported as the mean over folds ± the standard deviation across folds (`ddof = 1`).

use crate::crossval::{split, stratified_folds_of, FoldTransform};
use crate::error::{AnalysisError, Result};
use crate::features::Features;
use crate::logistic::{Logistic, LogisticFit};
use neurodyn_core::Rng;
use serde::{Deserialize, Serialize};

/// How to decode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LayerDecodingConfig {
    /// Stratified folds (≥ 2).
    pub folds: usize,
    /// Inverse L2 penalty `C` of the logistic regression (scikit-learn's convention).
    pub c: f64,
    /// Project layers with more features onto this many principal components (0: never).
    pub max_dims: usize,
    /// Label permutations for the chance baseline (0: none).
    pub shuffles: usize,
    /// Seed of the folds and of the permutations.
    pub seed: u64,
    /// Solver tolerance: largest gradient entry of the loss per image.
    pub tol: f64,
    /// Solver iteration limit per fit.
    pub max_iter: usize,
}

impl Default for LayerDecodingConfig {
    fn default() -> Self {
        LayerDecodingConfig {
            folds: 5,
            c: 1.0,
            max_dims: 256,
            shuffles: 1,
            seed: 0,
            tol: 1e-5,
            max_iter: 1000,
        }
    }
}

/// Decoding accuracy of one layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerDecodingResult {
    /// The layer.
    pub name: String,
    /// Images (rows).
    pub n_images: usize,
    /// Features of the layer.
    pub n_features: usize,
    /// Dimensions the decoder saw (≤ `max_dims` when projected).
    pub n_dims: usize,
    /// Classes, ascending.
    pub classes: Vec<i64>,
    /// Accuracy on each held-out fold.
    pub fold_accuracy: Vec<f64>,
    /// Mean over folds.
    pub accuracy: f64,
    /// Standard deviation across folds (`ddof = 1`).
    pub accuracy_std: f64,
    /// Mean accuracy with permuted labels (`None` without shuffles).
    pub shuffled: Option<f64>,
    /// Standard deviation of the shuffled fold accuracies (`None` with fewer than two).
    pub shuffled_std: Option<f64>,
    /// Share of the most frequent class.
    pub majority: f64,
    /// Fits (true and shuffled labels) that stopped at `max_iter` above `tol`.
    pub not_converged: usize,
    /// Most L-BFGS iterations of any fit.
    pub max_iterations: usize,
}

fn mean_std(v: &[f64]) -> (f64, Option<f64>) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd =
        (v.len() > 1).then(|| (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    (m, sd)
}

/// Fold accuracies of a decoder trained on the other folds, for each labeling in `ys` (classes
/// in `0..k`), with the fold assignment `fold` (values `0..folds`). Returns the accuracies per
/// labeling, the decoder's dimensions, the fits that did not converge and the most iterations.
pub fn fold_accuracies(
    x: &Features<'_>,
    fold: &[usize],
    ys: &[Vec<usize>],
    k: usize,
    cfg: &LayerDecodingConfig,
) -> Result<(Vec<Vec<f64>>, usize, usize, usize)> {
    let folds = fold.iter().max().map_or(0, |m| m + 1);
    let fit = LogisticFit {
        c: cfg.c,
        tol: cfg.tol,
        max_iter: cfg.max_iter,
    };
    let mut acc = vec![Vec::with_capacity(folds); ys.len()];
    let (mut dims, mut bad, mut most) = (0, 0, 0);
    for f in 0..folds {
        let (train, test) = split(fold, f);
        if train.is_empty() || test.is_empty() {
            return Err(AnalysisError::empty(format!(
                "fold {f} of '{}' has no training or no test rows",
                x.name
            )));
        }
        let t = FoldTransform::fit(x.data, x.n_features, &train, cfg.max_dims)?;
        dims = t.dims();
        let (ztr, zte) = (
            t.apply(x.data, x.n_features, &train),
            t.apply(x.data, x.n_features, &test),
        );
        for (y, a) in ys.iter().zip(&mut acc) {
            let ytr: Vec<usize> = train.iter().map(|&i| y[i]).collect();
            let m = Logistic::fit(ztr.as_ref(), &ytr, k, &fit)?;
            bad += usize::from(!m.converged);
            most = most.max(m.iterations);
            let hits = m
                .predict(zte.as_ref())
                .iter()
                .zip(&test)
                .filter(|(p, &i)| **p == y[i])
                .count();
            a.push(hits as f64 / test.len() as f64);
        }
    }
    Ok((acc, dims, bad, most))
}

/// Decode the class of each row of `x` (see the module docs).
pub fn run(x: &Features<'_>, cfg: &LayerDecodingConfig) -> Result<LayerDecodingResult> {
    x.validate()?;
    if !(cfg.c.is_finite() && cfg.c > 0.0) {
        return Err(AnalysisError::config(
            "C",
            format!("must be > 0, got {}", cfg.c),
        ));
    }
    let classes = x.classes();
    if classes.len() < 2 {
        return Err(AnalysisError::empty(format!(
            "'{}': the images have {} class(es); decoding needs two or more",
            x.name,
            classes.len()
        )));
    }
    let p = x.n_features;
    if x.is_constant() {
        return Err(AnalysisError::empty(format!(
            "'{}': every one of its {p} features is constant over the images; nothing to decode",
            x.name
        )));
    }
    let fold = stratified_folds_of(x.name, x.labels, cfg.folds, &mut Rng::new(cfg.seed))?;
    let y: Vec<usize> = x
        .labels
        .iter()
        .map(|l| classes.partition_point(|c| c < l))
        .collect();
    let mut shuffle_rng = Rng::with_stream(cfg.seed, 1);
    let mut ys = vec![y.clone()];
    for _ in 0..cfg.shuffles {
        let mut s = y.clone();
        shuffle_rng.shuffle(&mut s);
        ys.push(s);
    }
    let k = classes.len();
    let (acc, n_dims, not_converged, max_iterations) = fold_accuracies(x, &fold, &ys, k, cfg)?;
    let (accuracy, sd) = mean_std(&acc[0]);
    let shuffled_all: Vec<f64> = acc[1..].iter().flatten().copied().collect();
    let (shuffled, shuffled_std) = if shuffled_all.is_empty() {
        (None, None)
    } else {
        let (m, s) = mean_std(&shuffled_all);
        (Some(m), s)
    };
    let mut counts = vec![0usize; k];
    y.iter().for_each(|&c| counts[c] += 1);
    Ok(LayerDecodingResult {
        name: x.name.to_string(),
        n_images: x.n_rows,
        n_features: p,
        n_dims,
        classes,
        fold_accuracy: acc[0].clone(),
        accuracy,
        accuracy_std: sd.unwrap_or(0.0),
        shuffled,
        shuffled_std,
        majority: *counts.iter().max().unwrap_or(&0) as f64 / x.n_rows as f64,
        not_converged,
        max_iterations,
    })
}
