//! [`compare_files`]: the score of two response sets (see the module docs of
//! [`crate::compare`]).

use super::ResponseSet;
use crate::analyses::rsa::RsaMethodArg;
use crate::error::{Context, Result};
use clap::ValueEnum;
use neurodyn_analysis::predictivity::{self, PredictivityConfig};
use neurodyn_analysis::rdm::{self, RdmMethod};
use neurodyn_analysis::rsa::{self, Bootstrap, NoiseCeiling, RsaMethod};
use neurodyn_analysis::Features;
use serde::Serialize;
use std::path::Path;

/// What is computed.
#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompareMethod {
    /// Compare the two RDMs.
    #[default]
    Rsa,
    /// Linear centred kernel alignment.
    Cka,
    /// Held-out ridge prediction of B's features from A.
    Predictivity,
}

/// The RDM measure of [`CompareMethod::Rsa`].
#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompareRdm {
    /// 1 − Pearson r between condition patterns.
    #[default]
    Correlation,
    /// Squared Euclidean distance / features.
    Euclidean,
    /// 1 − cosine similarity.
    Cosine,
    /// Symmetrised Poisson KL divergence (non-negative data).
    Poisson,
    /// Squared Mahalanobis distance / features, noise from the repeats' residuals.
    Mahalanobis,
    /// Cross-validated Mahalanobis over repeats (unbiased).
    Crossnobis,
}

impl CompareRdm {
    /// The name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            CompareRdm::Correlation => "correlation",
            CompareRdm::Euclidean => "euclidean",
            CompareRdm::Cosine => "cosine",
            CompareRdm::Poisson => "poisson",
            CompareRdm::Mahalanobis => "mahalanobis",
            CompareRdm::Crossnobis => "crossnobis",
        }
    }
}

/// How to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// What to compute.
    pub method: CompareMethod,
    /// The RDM measure (rsa).
    pub rdm: CompareRdm,
    /// How the RDMs are compared (rsa).
    pub rsa_method: RsaMethodArg,
    /// Bootstrap resamples (rsa, cka; 0 = none).
    pub bootstrap: usize,
    /// Seed of the bootstrap and of the predictivity folds.
    pub seed: u64,
    /// Ridge penalty (predictivity).
    pub alpha: f64,
    /// PLS regression with this many components instead of ridge (predictivity).
    pub pls_components: Option<usize>,
    /// Ridge only: choose the penalty among these in each fold by leave-one-out (predictivity;
    /// empty: `alpha`).
    pub alphas: Vec<f64>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            method: CompareMethod::Rsa,
            rdm: CompareRdm::Correlation,
            rsa_method: RsaMethodArg::default(),
            bootstrap: 0,
            seed: 0,
            alpha: 1.0,
            pls_components: None,
            alphas: Vec::new(),
        }
    }
}

/// Which array of which file, and its shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetInfo {
    /// The file.
    pub file: String,
    /// The array.
    pub key: String,
    /// Its shape.
    pub shape: Vec<usize>,
}

/// The reliability ceiling of a predictivity score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitHalfCeiling {
    /// Median over B's features of the corrected split-half reliability.
    pub median: f64,
    /// Random splits of the repeats averaged.
    pub n_splits: usize,
    /// The score divided by the ceiling.
    pub normalised_score: f64,
}

/// The score of two response sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// What was computed.
    pub method: CompareMethod,
    /// In words, e.g. "RSA (spearman of correlation RDMs)".
    pub what: String,
    /// The score (finite).
    pub score: f64,
    /// The RDM measure (rsa).
    pub rdm: Option<CompareRdm>,
    /// The RDM comparison (rsa).
    pub rsa_method: Option<RsaMethod>,
    /// Conditions compared.
    pub n_conditions: usize,
    /// The first set.
    pub a: SetInfo,
    /// The second set.
    pub b: SetInfo,
    /// The bootstrap interval, when asked for.
    pub bootstrap: Option<Bootstrap>,
    /// RSA against a second set with repeats: the noise ceiling of its per-repeat RDMs (the
    /// range the best model's score could reach).
    pub noise_ceiling: Option<NoiseCeiling>,
    /// Predictivity against a second set with repeats: the median Spearman–Brown corrected
    /// split-half reliability of its features (20 seeded splits), and the score divided by it.
    pub split_half_ceiling: Option<SplitHalfCeiling>,
    /// What the reader should know (constant features, undefined resamples).
    pub warnings: Vec<String>,
}

/// Compare the response sets of files `a` and `b` (arrays `key_a`, `key_b`, or each file's only
/// 2-D/3-D array) as `o` says.
pub fn compare_files(
    a: &Path,
    key_a: Option<&str>,
    b: &Path,
    key_b: Option<&str>,
    o: &CompareOptions,
) -> Result<Comparison> {
    let sa = ResponseSet::load(a, key_a)?;
    let sb = ResponseSet::load(b, key_b)?;
    compare_sets(&sa, &sb, o)
}

/// Compare two response sets already read (files or arrays) as `o` says.
pub fn compare_sets(sa: &ResponseSet, sb: &ResponseSet, o: &CompareOptions) -> Result<Comparison> {
    if sa.n_conditions != sb.n_conditions {
        fail!(
            "{} has {} conditions but {} has {} conditions; both must hold the same conditions \
             in the same order",
            sa.label,
            sa.n_conditions,
            sb.label,
            sb.n_conditions
        );
    }
    let mut warnings = Vec::new();
    for s in [sa, sb] {
        let k = s.constant_features();
        if k == s.n_features {
            fail!(
                "{}: every one of its {} features is constant over the conditions; there is no \
                 representation to compare",
                s.label,
                s.n_features
            );
        }
        if k > 0 {
            warnings.push(format!(
                "{}: {k} of {} features are constant over the conditions",
                s.label, s.n_features
            ));
        }
    }
    if o.bootstrap > 0 && o.method == CompareMethod::Predictivity {
        fail!(
            "--bootstrap applies to --method rsa and cka (predictivity is already cross-validated)"
        );
    }
    let n = sa.n_conditions;
    let mut ceiling = None;
    let mut split_ceiling = None;
    let (what, score, boot) = match o.method {
        CompareMethod::Rsa => {
            let (ra, rb) = (sa.rdm(o.rdm)?, sb.rdm(o.rdm)?);
            let m = o.rsa_method.method();
            if sb.n_repeats >= 2 {
                match sb.repeat_rdms(o.rdm)? {
                    Some(rdms) => {
                        ceiling = Some(rsa::noise_ceiling(&rdms, m).with_context(|| {
                            format!("the noise ceiling of {}'s repeats", sb.label)
                        })?)
                    }
                    None => warnings.push(format!(
                        "no noise ceiling: a {} RDM is not made from one repeat",
                        o.rdm.name()
                    )),
                }
            }
            let score = rsa::compare(&ra, &rb, m)
                .with_context(|| format!("comparing the RDMs of {} and {}", sa.label, sb.label))?;
            let boot = (o.bootstrap > 0)
                .then(|| {
                    rsa::bootstrap(n, o.bootstrap, o.seed, |idx| {
                        rsa::compare(
                            &rsa::subsample(&ra, n, idx),
                            &rsa::subsample(&rb, n, idx),
                            m,
                        )
                    })
                })
                .transpose()?;
            let rdm_name = o.rdm.name();
            (
                format!("RSA ({} of {rdm_name} RDMs)", m.name()),
                score,
                boot,
            )
        }
        CompareMethod::Cka => {
            let (ma, mb) = (sa.means(), sb.means());
            let (p, q) = (sa.n_features, sb.n_features);
            let score = rsa::linear_cka(&ma, &mb, n, p, q)?;
            // Linear CKA is the whitened cosine of the squared Euclidean RDMs; resampled, it is
            // scored that way, dropping the pairs of a condition with its own copy as the RSA
            // bootstrap does (CKA of duplicated rows is biased upward).
            let boot = (o.bootstrap > 0)
                .then(|| -> Result<_> {
                    let names: Vec<String> = (0..n).map(|i| format!("condition {i}")).collect();
                    let euclid = |m: &[f64], w: usize, s: &ResponseSet| -> Result<Vec<f64>> {
                        let d = rdm::dissimilarity(&s.label, m, w, &names, RdmMethod::Euclidean)?;
                        Ok(rsa::upper_triangle(&d, n))
                    };
                    let (ra, rb) = (euclid(&ma, p, sa)?, euclid(&mb, q, sb)?);
                    Ok(rsa::bootstrap(n, o.bootstrap, o.seed, |idx| {
                        rsa::compare(
                            &rsa::subsample(&ra, n, idx),
                            &rsa::subsample(&rb, n, idx),
                            rsa::RsaMethod::WhitenedCosine,
                        )
                    })?)
                })
                .transpose()?;
            ("linear CKA".to_string(), score, boot)
        }
        CompareMethod::Predictivity => {
            let (ma, mb) = (sa.means(), sb.means());
            let labels = vec![0i64; n];
            let fa = Features {
                name: &sa.label,
                data: &ma,
                n_rows: n,
                n_features: sa.n_features,
                labels: &labels,
            };
            let fb = Features {
                name: &sb.label,
                data: &mb,
                n_rows: n,
                n_features: sb.n_features,
                labels: &labels,
            };
            let cfg = PredictivityConfig {
                folds: PredictivityConfig::default().folds.min(n),
                alpha: o.alpha,
                model: crate::analyses::predictivity::regression(o.pls_components),
                alphas: o.alphas.clone(),
                max_units: 0,
                seed: o.seed,
                ..PredictivityConfig::default()
            };
            let r = predictivity::run(&fa, &fb, &cfg)?;
            if r.n_constant > 0 {
                warnings.push(format!(
                    "{} of {} features of {} are constant on the held-out conditions of a fold \
                     (or so are their predictions) and have no r",
                    r.n_constant, sb.n_features, sb.label
                ));
            }
            let Some(score) = r.median_r else {
                fail!("no feature of {} has a defined held-out r", sb.label);
            };
            if sb.n_repeats >= 2 {
                let shape = (sb.n_conditions, sb.n_repeats, sb.n_features);
                let s = predictivity::split_half(&sb.data, shape, 20, o.seed)?;
                match s.median {
                    Some(m) if m > 0.0 => {
                        split_ceiling = Some(SplitHalfCeiling {
                            median: m,
                            n_splits: s.n_splits,
                            normalised_score: score / m,
                        })
                    }
                    _ => warnings.push(format!(
                        "{}: its repeats do not agree (median split-half reliability {:?}); no \
                         ceiling",
                        sb.label, s.median
                    )),
                }
            }
            (
                format!(
                    "predictivity (median held-out r of {}, {} folds)",
                    crate::analyses::predictivity::model_name(&cfg),
                    cfg.folds
                ),
                score,
                None,
            )
        }
    };
    if !score.is_finite() {
        fail!("{what} is undefined for {} and {}", sa.label, sb.label);
    }
    if let Some(bt) = &boot {
        if bt.lo.is_none() {
            warnings.push("no bootstrap resample had a defined score".into());
        }
        if bt.n_undefined > 0 {
            warnings.push(format!(
                "{} of {} bootstrap resamples had no defined score and were left out",
                bt.n_undefined, bt.n_samples
            ));
        }
    }
    let info = |s: &ResponseSet| SetInfo {
        file: s.source.clone(),
        key: s.key.clone(),
        shape: s.shape.clone(),
    };
    Ok(Comparison {
        method: o.method,
        what,
        score,
        rdm: (o.method == CompareMethod::Rsa).then_some(o.rdm),
        rsa_method: (o.method == CompareMethod::Rsa).then(|| o.rsa_method.method()),
        n_conditions: n,
        a: info(sa),
        b: info(sb),
        bootstrap: boot,
        noise_ceiling: ceiling,
        split_half_ceiling: split_ceiling,
        warnings,
    })
}
