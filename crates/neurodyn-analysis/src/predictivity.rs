//! Predictivity between layers: how well a linear map of one population (the source layer, `R₁`)
//! predicts each unit of another (the target layer, `R₂ ≈ W R₁`) on held-out images, the
//! "neural predictivity" score used to compare networks with brain areas, here between layers.
//!
//! Rows (images) are split into `folds` stratified folds by class
//! ([`crate::crossval::stratified_folds`], seeded). For each fold, the source features are
//! standardised with the training rows' statistics and, above `max_dims` features, projected
//! onto the training rows' leading principal components ([`crate::crossval::FoldTransform`]);
//! a ridge regression ([`crate::ridge`], scikit-learn's `Ridge(alpha)`), or a PLS regression with
//! `components` components fitted per target layer ([`crate::pls`], scikit-learn's
//! `PLSRegression`; at most the source dimensions and the training rows − 1), maps them to the raw
//! target units (Pearson r does not depend on the targets' scale); and each target unit scores
//! the Pearson r between its held-out responses and their predictions. A unit's score is its
//! mean r over the folds; a unit whose held-out responses (or predictions) are constant in some
//! fold has no r there and is skipped, and counted in `n_constant`. The layer pair's score is
//! the median over the scored units.
//!
//! Large target layers are subsampled: at most `max_units` units (seeded, without replacement,
//! ascending), as one records a sample of neurons. Several targets share one fit per fold
//! ([`run_many`]): ridge solutions are separate per target column.

use crate::crossval::{pearson, split, stratified_folds_of, FoldTransform};
use crate::error::{AnalysisError, Result};
use crate::features::Features;
use crate::pls::Pls;
use crate::ridge::Ridge;
use faer::Mat;
use neurodyn_core::{Npz, Rng};
use serde::{Deserialize, Serialize};

/// How to predict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PredictivityConfig {
    /// Stratified folds (≥ 2).
    pub folds: usize,
    /// Ridge penalty on the standardised (projected) source features.
    pub alpha: f64,
    /// The regression: ridge (`alpha`) or PLS.
    pub model: Regression,
    /// Ridge only: choose the penalty among these in each fold by leave-one-out on its
    /// training rows (scikit-learn's `RidgeCV`; [`Ridge::fit_loo`]) instead of `alpha`.
    pub alphas: Vec<f64>,
    /// Project sources with more features onto this many principal components (0: never).
    pub max_dims: usize,
    /// Score at most this many units of each target layer (0: all).
    pub max_units: usize,
    /// Seed of the folds and of the unit sample.
    pub seed: u64,
}

impl Default for PredictivityConfig {
    fn default() -> Self {
        PredictivityConfig {
            folds: 5,
            alpha: 1.0,
            model: Regression::Ridge,
            alphas: Vec::new(),
            max_dims: 256,
            max_units: 200,
            seed: 0,
        }
    }
}

/// The linear map from the source to the target units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Regression {
    /// Ridge regression with the config's `alpha`, every target unit on its own.
    #[default]
    Ridge,
    /// PLS regression with this many components, shared by the units of a target layer.
    Pls {
        /// Components (clamped to the source dimensions and the training rows − 1).
        components: usize,
    },
}

/// How well one source layer predicts one target layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictivityResult {
    /// Source layer.
    pub source: String,
    /// Target layer.
    pub target: String,
    /// Source dimensions the regression saw.
    pub n_dims: usize,
    /// Units of the target layer.
    pub n_target_units: usize,
    /// The scored sample of target units (indices, ascending).
    pub units: Vec<usize>,
    /// Mean held-out r of each sampled unit (`None`: constant in some fold).
    pub r: Vec<Option<f64>>,
    /// Median r over the units that have one (`None` if none has).
    pub median_r: Option<f64>,
    /// Sampled units skipped because they (or their predictions) were constant in a fold.
    pub n_constant: usize,
}

impl PredictivityResult {
    /// Arrays `<prefix>units` (i64) and `<prefix>r` (NaN where undefined).
    pub fn add_to(&self, z: &mut Npz, prefix: &str) -> Result<()> {
        let n = self.units.len();
        z.i64(
            &format!("{prefix}units"),
            &[n],
            self.units.iter().map(|&u| u as i64).collect(),
        )?;
        z.f64(
            &format!("{prefix}r"),
            &[n],
            self.r.iter().map(|r| r.unwrap_or(f64::NAN)).collect(),
        )?;
        Ok(())
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    })
}

/// The sampled units of a layer of `p` units: all when `max_units` is 0 or ≥ `p`.
fn sample_units(p: usize, max_units: usize, rng: &mut Rng) -> Vec<usize> {
    let mut all: Vec<usize> = (0..p).collect();
    if max_units == 0 || max_units >= p {
        return all;
    }
    rng.shuffle(&mut all);
    all.truncate(max_units);
    all.sort_unstable();
    all
}

/// Held-out r per target, fold and unit: `r[target][fold][unit]` (`None`: constant).
pub type FoldCorrelations = Vec<Vec<Vec<Option<f64>>>>;

/// Held-out r of each of `units` of `target`, per fold ([`FoldCorrelations`]), from `source`, with the fold
/// assignment `fold` (values `0..folds`). Returns them with the source dimensions used.
pub fn fold_correlations(
    source: &Features<'_>,
    targets: &[(&Features<'_>, &[usize])],
    fold: &[usize],
    alpha: f64,
    model: Regression,
    alphas: &[f64],
    max_dims: usize,
) -> Result<(FoldCorrelations, usize)> {
    let folds = fold.iter().max().map_or(0, |m| m + 1);
    let mut out = vec![Vec::with_capacity(folds); targets.len()];
    let mut dims = 0;
    for f in 0..folds {
        let (train, test) = split(fold, f);
        if train.is_empty() || test.is_empty() {
            return Err(AnalysisError::empty(format!(
                "fold {f} of '{}' has no training or no test rows",
                source.name
            )));
        }
        let t = FoldTransform::fit(source.data, source.n_features, &train, max_dims)?;
        dims = t.dims();
        let (ztr, zte) = (
            t.apply(source.data, source.n_features, &train),
            t.apply(source.data, source.n_features, &test),
        );
        // Every target's sampled units side by side: one factorisation serves them all.
        let cols: Vec<(usize, usize)> = targets
            .iter()
            .enumerate()
            .flat_map(|(l, (_, units))| units.iter().map(move |&u| (l, u)))
            .collect();
        let value = |i: usize, (l, u): (usize, usize)| {
            let x = targets[l].0;
            x.data[i * x.n_features + u]
        };
        let ytr = Mat::from_fn(train.len(), cols.len(), |i, c| value(train[i], cols[c]));
        let pred = match model {
            Regression::Ridge if !alphas.is_empty() => {
                Ridge::fit_loo(ztr.as_ref(), ytr.as_ref(), alphas)?
                    .0
                    .predict(zte.as_ref())
            }
            Regression::Ridge => {
                Ridge::fit(ztr.as_ref(), ytr.as_ref(), alpha)?.predict(zte.as_ref())
            }
            Regression::Pls { components } => {
                // One fit per target layer: its units share the components.
                let k = components.min(dims).min(train.len() - 1).max(1);
                let mut pred = Mat::zeros(test.len(), cols.len());
                let mut at = 0;
                for (_, units) in targets {
                    let y = ytr.as_ref().subcols(at, units.len());
                    let p = Pls::fit(ztr.as_ref(), y, k)?.predict(zte.as_ref());
                    pred.as_mut().subcols_mut(at, units.len()).copy_from(&p);
                    at += units.len();
                }
                pred
            }
        };
        let mut c = 0;
        for (l, (_, units)) in targets.iter().enumerate() {
            let mut rs = Vec::with_capacity(units.len());
            for _ in 0..units.len() {
                let held: Vec<f64> = test.iter().map(|&i| value(i, cols[c])).collect();
                let p: Vec<f64> = (0..test.len()).map(|i| pred[(i, c)]).collect();
                rs.push(pearson(&held, &p));
                c += 1;
            }
            out[l].push(rs);
        }
    }
    Ok((out, dims))
}

/// Predict every layer of `targets` from `source` (see the module docs): one result per target,
/// in order. The folds are the same for every pair of a seed.
pub fn run_many(
    source: &Features<'_>,
    targets: &[Features<'_>],
    cfg: &PredictivityConfig,
) -> Result<Vec<PredictivityResult>> {
    source.validate()?;
    if !(cfg.alpha.is_finite() && cfg.alpha > 0.0) {
        return Err(AnalysisError::config(
            "alpha",
            format!("must be a positive number, got {}", cfg.alpha),
        ));
    }
    if source.is_constant() {
        return Err(AnalysisError::empty(format!(
            "source '{}': every one of its {} features is constant over the images; it predicts \
             nothing",
            source.name, source.n_features
        )));
    }
    for t in targets {
        t.validate()?;
        if t.n_rows != source.n_rows || t.labels != source.labels {
            return Err(AnalysisError::config(
                format!("'{}'", t.name),
                format!(
                    "its {} images and labels are not those of the source '{}' ({} images)",
                    t.n_rows, source.name, source.n_rows
                ),
            ));
        }
    }
    let fold = stratified_folds_of(
        source.name,
        source.labels,
        cfg.folds,
        &mut Rng::new(cfg.seed),
    )?;
    let samples: Vec<Vec<usize>> = targets
        .iter()
        .map(|t| {
            // One unit sample per target layer, the same whatever the source.
            let mut rng = Rng::with_stream(cfg.seed, 2 + t.n_features as u64);
            sample_units(t.n_features, cfg.max_units, &mut rng)
        })
        .collect();
    let pairs: Vec<(&Features<'_>, &[usize])> = targets
        .iter()
        .zip(&samples)
        .map(|(t, s)| (t, &s[..]))
        .collect();
    if let Regression::Pls { components: 0 } = cfg.model {
        return Err(AnalysisError::config(
            "components",
            "PLS needs at least 1 component",
        ));
    }
    let (r, n_dims) = fold_correlations(
        source,
        &pairs,
        &fold,
        cfg.alpha,
        cfg.model,
        &cfg.alphas,
        cfg.max_dims,
    )?;
    Ok(targets
        .iter()
        .zip(samples)
        .zip(r)
        .map(|((t, units), per_fold)| {
            let scores: Vec<Option<f64>> = (0..units.len())
                .map(|u| {
                    let v: Option<Vec<f64>> = per_fold.iter().map(|f| f[u]).collect();
                    v.map(|v| v.iter().sum::<f64>() / v.len() as f64)
                })
                .collect();
            let n_constant = scores.iter().filter(|s| s.is_none()).count();
            PredictivityResult {
                source: source.name.to_string(),
                target: t.name.to_string(),
                n_dims,
                n_target_units: t.n_features,
                median_r: median(scores.iter().flatten().copied().collect()),
                units,
                r: scores,
                n_constant,
            }
        })
        .collect())
}

/// The split-half reliability of repeated responses: how far the features' condition means
/// can be predicted at all, the ceiling of a predictivity score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SplitHalf {
    /// Spearman–Brown corrected reliability of each feature (`None`: constant in a half).
    pub per_feature: Vec<Option<f64>>,
    /// Median over the features that have one.
    pub median: Option<f64>,
    /// Random splits averaged.
    pub n_splits: usize,
}

/// Split-half reliability of `data` `(condition, repeat, feature)`: for each of `n_splits`
/// seeded random splits of the repeats into two halves of `⌊R/2⌋`, each feature's Pearson r
/// between the two halves' condition means; r averaged over the splits, then Spearman–Brown
/// corrected to the full number of repeats, `2r / (1 + r)`.
pub fn split_half(
    data: &[f64],
    (n_conditions, n_repeats, n_features): (usize, usize, usize),
    n_splits: usize,
    seed: u64,
) -> Result<SplitHalf> {
    let (c, r, p) = (n_conditions, n_repeats, n_features);
    if data.len() != c * r * p {
        return Err(AnalysisError::shape(
            "repeated responses",
            &[c, r, p],
            &[data.len()],
        ));
    }
    if r < 2 || c < 3 || n_splits == 0 {
        return Err(AnalysisError::config(
            "split-half reliability",
            format!("needs ≥ 2 repeats, ≥ 3 conditions and ≥ 1 split (got {r}, {c}, {n_splits})"),
        ));
    }
    let half = r / 2;
    let mut sum = vec![0.0f64; p];
    let mut defined = vec![true; p];
    let (mut a, mut b) = (vec![0.0f64; c * p], vec![0.0f64; c * p]);
    for s in 0..n_splits {
        let mut order: Vec<usize> = (0..r).collect();
        Rng::with_stream(seed, s as u64).shuffle(&mut order);
        for (m, reps) in [(&mut a, &order[..half]), (&mut b, &order[half..2 * half])] {
            m.iter_mut().for_each(|v| *v = 0.0);
            for i in 0..c {
                for &k in reps {
                    let row = &data[(i * r + k) * p..(i * r + k + 1) * p];
                    m[i * p..(i + 1) * p]
                        .iter_mut()
                        .zip(row)
                        .for_each(|(x, y)| *x += y);
                }
            }
        }
        for f in 0..p {
            let xa: Vec<f64> = (0..c).map(|i| a[i * p + f]).collect();
            let xb: Vec<f64> = (0..c).map(|i| b[i * p + f]).collect();
            match pearson(&xa, &xb) {
                Some(v) => sum[f] += v,
                None => defined[f] = false,
            }
        }
    }
    let per_feature: Vec<Option<f64>> = (0..p)
        .map(|f| {
            let rr = sum[f] / n_splits as f64;
            (defined[f] && rr > -1.0).then(|| 2.0 * rr / (1.0 + rr))
        })
        .collect();
    Ok(SplitHalf {
        median: median(per_feature.iter().flatten().copied().collect()),
        per_feature,
        n_splits,
    })
}

/// Predict `target` from `source`.
pub fn run(
    source: &Features<'_>,
    target: &Features<'_>,
    cfg: &PredictivityConfig,
) -> Result<PredictivityResult> {
    Ok(run_many(source, std::slice::from_ref(target), cfg)?.remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noiseless_repeats_are_fully_reliable_and_pure_noise_is_not() {
        let (c, r, p) = (12, 6, 3);
        // Feature 0: the condition alone; feature 1: the condition plus noise; feature 2: noise.
        let mut rng = Rng::new(3);
        let data: Vec<f64> = (0..c * r * p)
            .map(|k| {
                let (i, f) = (k / (r * p), k % p);
                let signal = (i as f64 * 0.9).sin();
                match f {
                    0 => signal,
                    1 => signal + 0.3 * rng.normal(),
                    _ => rng.normal(),
                }
            })
            .collect();
        let s = split_half(&data, (c, r, p), 20, 0).expect("split half");
        let v: Vec<f64> = s.per_feature.iter().map(|x| x.expect("defined")).collect();
        assert!((v[0] - 1.0).abs() < 1e-12, "{v:?}");
        assert!(v[1] > 0.8 && v[1] < 1.0, "{v:?}");
        assert!(v[2].abs() < 0.6, "{v:?}");
        assert_eq!(s.median, Some(v[1]));
        assert!(split_half(&data[..c * p], (c, 1, p), 5, 0).is_err());
    }

    #[test]
    fn a_linear_copy_is_predicted_and_constant_units_are_counted() {
        let n = 40;
        let labels: Vec<i64> = (0..n).map(|i| (i % 2) as i64).collect();
        let src: Vec<f64> = (0..n * 3).map(|i| ((i * i) as f64 * 0.11).sin()).collect();
        // Target: two linear mixtures of the source, one constant unit.
        let tgt: Vec<f64> = (0..n)
            .flat_map(|i| {
                let s = &src[i * 3..i * 3 + 3];
                [s[0] + 2.0 * s[1], s[2] - s[0], 5.0]
            })
            .collect();
        let (a, b) = (
            Features {
                name: "a",
                data: &src,
                n_rows: n,
                n_features: 3,
                labels: &labels,
            },
            Features {
                name: "b",
                data: &tgt,
                n_rows: n,
                n_features: 3,
                labels: &labels,
            },
        );
        let cfg = PredictivityConfig {
            alpha: 1e-6,
            ..PredictivityConfig::default()
        };
        let r = run(&a, &b, &cfg).expect("run");
        assert_eq!(r.n_constant, 1);
        assert!(r.median_r.expect("median") > 0.999_999, "{r:?}");
        assert_eq!(r.r[2], None);
        // The penalty chosen by leave-one-out among a tiny and a huge one: the tiny one.
        let cv = PredictivityConfig {
            alphas: vec![1e-6, 1e6],
            ..cfg.clone()
        };
        let rc = run(&a, &b, &cv).expect("ridge cv");
        assert!(rc.median_r.expect("median") > 0.999_999, "{rc:?}");
        // PLS with every component is least squares: as good as ridge.
        let pls = PredictivityConfig {
            model: Regression::Pls { components: 3 },
            ..cfg.clone()
        };
        let r = run(&a, &b, &pls).expect("pls");
        assert!(r.median_r.expect("median") > 0.999_999, "{r:?}");
        assert_eq!(r.n_constant, 1);
        // One component cannot serve both units: the two need two directions of the source.
        let one = PredictivityConfig {
            model: Regression::Pls { components: 1 },
            ..cfg
        };
        let r1 = run(&a, &b, &one).expect("pls 1");
        assert!(r1.median_r.expect("median") < 0.99, "{r1:?}");
    }
}
