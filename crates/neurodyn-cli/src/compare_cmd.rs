//! `neurodyn compare A.npz B.npz`: one number for how alike two sets of responses to the same
//! conditions are, from any two `.npz` files (two layers, two networks, a network and recorded
//! neurons).
//!
//! ```text
//! neurodyn compare A.npz B.npz [--method rsa|cka|predictivity] [--key NAME | --key-a A --key-b B]
//!                  [--rdm correlation|euclidean|cosine|poisson|mahalanobis|crossnobis]
//!                  [--rsa-method whitened-pearson|spearman|…] [--bootstrap N --seed S]
//!                  [--json OUT]
//! ```
//!
//! Each file holds a `(condition, feature)` or `(condition, repeat, feature)` array (any numeric
//! dtype): the only such array in the file, or the one `--key` (or `--key-a` / `--key-b`) names.
//! Both must have the same conditions in the same order. Repeats are averaged, except by the
//! `mahalanobis` RDM (noise covariance from the residuals, shrunk toward its diagonal) and the
//! `crossnobis` RDM (leave one repeat out), which need them.
//!
//! - `rsa`: each set's RDM (`--rdm`), compared by `--rsa-method` (default whitened Pearson);
//! - `cka`: linear CKA of the condition means;
//! - `predictivity`: ridge regression from A to each feature of B, median held-out Pearson r
//!   over B's features (5 folds or one per condition, `--alpha`).
//!
//! `--bootstrap N` (rsa, cka) resamples conditions `N` times (seeded by `--seed`) for a 95 %
//! percentile interval; the pairs of a condition with its own copy are dropped (rsatoolbox's
//! convention). For CKA this means each resample is scored as the whitened cosine of the squared
//! Euclidean RDMs, which equals linear CKA without resampling: CKA of duplicated rows is biased
//! upward (its intervals would miss the estimate). Input that cannot be compared (a file that is not an npz, a missing
//! key, a shape that is not 2-D or 3-D, different condition counts, fewer than 3 conditions,
//! non-finite values, features that are all constant) is an error naming the file and array.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, ValueEnum};
use neurodyn_analysis::noise_rdm::{self, Repeats};
use neurodyn_analysis::predictivity::{self, PredictivityConfig};
use neurodyn_analysis::rdm::{self, RdmMethod};
use neurodyn_analysis::rsa;
use neurodyn_analysis::Features;
use neurodyn_core::Npz;
use neurodyn_report::analyses::rsa::RsaMethodArg;
use std::path::{Path, PathBuf};

/// What `compare` computes.
#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CompareMethod {
    /// Compare the two RDMs.
    #[default]
    Rsa,
    /// Linear centred kernel alignment.
    Cka,
    /// Held-out ridge prediction of B's features from A.
    Predictivity,
}

/// The RDM measure of `compare --method rsa`.
#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RdmArg {
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

/// Arguments of `neurodyn compare`.
#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// The first response set (.npz).
    pub a: PathBuf,
    /// The second response set (.npz).
    pub b: PathBuf,
    /// What to compute.
    #[arg(long, value_enum, default_value_t = CompareMethod::Rsa)]
    pub method: CompareMethod,
    /// The array to read from both files (when a file has more than one 2-D/3-D array).
    #[arg(long)]
    pub key: Option<String>,
    /// The array to read from A (overrides --key).
    #[arg(long)]
    pub key_a: Option<String>,
    /// The array to read from B (overrides --key).
    #[arg(long)]
    pub key_b: Option<String>,
    /// The RDM measure (rsa).
    #[arg(long, value_enum, default_value_t = RdmArg::Correlation)]
    pub rdm: RdmArg,
    /// How the two RDMs are compared (rsa).
    #[arg(long, value_enum, default_value_t = RsaMethodArg::WhitenedPearson)]
    pub rsa_method: RsaMethodArg,
    /// Bootstrap resamples of the conditions for a 95 % interval (rsa, cka; 0 = none).
    #[arg(long, default_value_t = 0)]
    pub bootstrap: usize,
    /// Seed of the bootstrap (and of the predictivity folds).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Ridge penalty (predictivity).
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Write the result as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// One response set: `(condition, repeat, feature)` values (`n_repeats = 1` for 2-D input).
struct Set {
    label: String,
    key: String,
    shape: Vec<usize>,
    data: Vec<f64>,
    n_conditions: usize,
    n_repeats: usize,
    n_features: usize,
}

impl Set {
    fn load(path: &Path, key: Option<&str>) -> Result<Set> {
        let z = Npz::load(path).with_context(|| format!("reading {}", path.display()))?;
        let shown = path.display();
        let (key, a) = match key {
            Some(k) => (k.to_string(), z.require(k, path)?),
            None => {
                let found: Vec<&(String, _)> = z
                    .arrays
                    .iter()
                    .filter(|(_, a)| matches!(a.shape().len(), 2 | 3))
                    .collect();
                match found.as_slice() {
                    [(k, a)] => (k.clone(), a),
                    [] => bail!(
                        "{shown} has no 2-D (condition, feature) or 3-D (condition, repeat, \
                         feature) array (it has: {})",
                        describe(&z)
                    ),
                    _ => bail!(
                        "{shown} has several 2-D/3-D arrays ({}); name one with --key (or \
                         --key-a / --key-b)",
                        describe(&z)
                    ),
                }
            }
        };
        let shape = a.shape().to_vec();
        let label = format!("{shown}: array '{key}'");
        let (c, r, p) = match shape.as_slice() {
            [c, p] => (*c, 1, *p),
            [c, r, p] => (*c, *r, *p),
            _ => bail!(
                "{label} has shape {shape:?}; compare needs (condition, feature) or (condition, \
                 repeat, feature)"
            ),
        };
        if c * r * p == 0 {
            bail!("{label} is empty (shape {shape:?})");
        }
        if c < 3 {
            bail!("{label} has {c} condition(s); comparing representations needs at least 3");
        }
        let data = a.to_f64();
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            let at = if shape.len() == 3 {
                format!(
                    "condition {}, repeat {}, feature {}",
                    k / (r * p),
                    k / p % r,
                    k % p
                )
            } else {
                format!("condition {}, feature {}", k / p, k % p)
            };
            bail!("{label}: value {} at {at} is not finite", data[k]);
        }
        Ok(Set {
            label,
            key,
            shape,
            data,
            n_conditions: c,
            n_repeats: r,
            n_features: p,
        })
    }

    /// `(condition, feature)` means over repeats.
    fn means(&self) -> Vec<f64> {
        self.repeats().means()
    }

    fn repeats(&self) -> Repeats<'_> {
        Repeats {
            name: &self.label,
            data: &self.data,
            n_conditions: self.n_conditions,
            n_repeats: self.n_repeats,
            n_features: self.n_features,
        }
    }

    /// Features constant over the conditions (of the means).
    fn constant_features(&self) -> usize {
        let (m, p) = (self.means(), self.n_features);
        (0..p)
            .filter(|&j| (0..self.n_conditions).all(|i| m[i * p + j] == m[j]))
            .count()
    }

    /// The upper triangle of this set's RDM.
    fn rdm(&self, how: RdmArg) -> Result<Vec<f64>> {
        let (n, p) = (self.n_conditions, self.n_features);
        let names: Vec<String> = (0..n).map(|i| format!("condition {i}")).collect();
        let need_repeats = |what: &str| -> Result<()> {
            if self.n_repeats < 2 {
                bail!(
                    "{}: the {what} RDM needs repeated measurements, a 3-D (condition, repeat, \
                     feature) array with at least 2 repeats; it has shape {:?}",
                    self.label,
                    self.shape
                );
            }
            Ok(())
        };
        let full = match how {
            RdmArg::Correlation | RdmArg::Euclidean | RdmArg::Cosine | RdmArg::Poisson => {
                let m = match how {
                    RdmArg::Correlation => RdmMethod::Correlation,
                    RdmArg::Euclidean => RdmMethod::Euclidean,
                    RdmArg::Cosine => RdmMethod::Cosine,
                    _ => RdmMethod::Poisson,
                };
                rdm::dissimilarity(&self.label, &self.means(), p, &names, m)?
            }
            RdmArg::Mahalanobis | RdmArg::Crossnobis => {
                need_repeats(if how == RdmArg::Mahalanobis {
                    "mahalanobis"
                } else {
                    "crossnobis"
                })?;
                let x = self.repeats();
                let cov = x.noise_covariance(None)?;
                let prec = noise_rdm::precision(&self.label, &cov, p)?;
                if how == RdmArg::Mahalanobis {
                    noise_rdm::mahalanobis(&self.label, &x.means(), n, p, &prec)?
                } else {
                    noise_rdm::crossnobis(&x, &prec)?
                }
            }
        };
        Ok(rsa::upper_triangle(&full, n))
    }
}

fn describe(z: &Npz) -> String {
    if z.arrays.is_empty() {
        return "no arrays".into();
    }
    z.arrays
        .iter()
        .map(|(k, a)| format!("{k} {:?}", a.shape()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Run `neurodyn compare`.
pub fn run(a: &CompareArgs) -> Result<()> {
    let key_a = a.key_a.as_deref().or(a.key.as_deref());
    let key_b = a.key_b.as_deref().or(a.key.as_deref());
    let sa = Set::load(&a.a, key_a)?;
    let sb = Set::load(&a.b, key_b)?;
    if sa.n_conditions != sb.n_conditions {
        bail!(
            "{} has {} conditions but {} has {} conditions; both must hold the same conditions \
             in the same order",
            sa.label,
            sa.n_conditions,
            sb.label,
            sb.n_conditions
        );
    }
    let mut warnings = Vec::new();
    for s in [&sa, &sb] {
        let k = s.constant_features();
        if k == s.n_features {
            bail!(
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
    if a.bootstrap > 0 && a.method == CompareMethod::Predictivity {
        bail!(
            "--bootstrap applies to --method rsa and cka (predictivity is already cross-validated)"
        );
    }
    let n = sa.n_conditions;
    let (what, score, boot) = match a.method {
        CompareMethod::Rsa => {
            let (ra, rb) = (sa.rdm(a.rdm)?, sb.rdm(a.rdm)?);
            let m = a.rsa_method.method();
            let score = rsa::compare(&ra, &rb, m)
                .with_context(|| format!("comparing the RDMs of {} and {}", sa.label, sb.label))?;
            let boot = (a.bootstrap > 0)
                .then(|| {
                    rsa::bootstrap(n, a.bootstrap, a.seed, |idx| {
                        rsa::compare(
                            &rsa::subsample(&ra, n, idx),
                            &rsa::subsample(&rb, n, idx),
                            m,
                        )
                    })
                })
                .transpose()?;
            let rdm_name = format!("{:?}", a.rdm).to_lowercase();
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
            let boot = (a.bootstrap > 0)
                .then(|| -> Result<_> {
                    let names: Vec<String> = (0..n).map(|i| format!("condition {i}")).collect();
                    let euclid = |m: &[f64], w: usize, s: &Set| -> Result<Vec<f64>> {
                        let d = rdm::dissimilarity(&s.label, m, w, &names, RdmMethod::Euclidean)?;
                        Ok(rsa::upper_triangle(&d, n))
                    };
                    let (ra, rb) = (euclid(&ma, p, &sa)?, euclid(&mb, q, &sb)?);
                    Ok(rsa::bootstrap(n, a.bootstrap, a.seed, |idx| {
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
                alpha: a.alpha,
                max_units: 0,
                seed: a.seed,
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
            let score = r
                .median_r
                .ok_or_else(|| anyhow!("no feature of {} has a defined held-out r", sb.label))?;
            (
                format!(
                    "predictivity (median held-out r of ridge α = {}, {} folds)",
                    cfg.alpha, cfg.folds
                ),
                score,
                None,
            )
        }
    };
    if !score.is_finite() {
        bail!("{what} is undefined for {} and {}", sa.label, sb.label);
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{what}: {score:.4}  ({} {:?} vs {} {:?}, {n} conditions)",
        sa.label, sa.shape, sb.label, sb.shape
    );
    if let Some(b) = &boot {
        match (b.lo, b.hi) {
            (Some(lo), Some(hi)) => println!(
                "95 % bootstrap interval over conditions: [{lo:.4}, {hi:.4}]  ({} resamples, seed {})",
                b.n_samples, b.seed
            ),
            _ => eprintln!("warning: no bootstrap resample had a defined score"),
        }
        if b.n_undefined > 0 {
            let w = format!(
                "{} of {} bootstrap resamples had no defined score and were left out",
                b.n_undefined, b.n_samples
            );
            eprintln!("warning: {w}");
            warnings.push(w);
        }
    }
    if let Some(out) = &a.json {
        let j = serde_json::json!({
            "method": format!("{:?}", a.method).to_lowercase(),
            "what": what,
            "score": score,
            "rdm": (a.method == CompareMethod::Rsa).then(|| format!("{:?}", a.rdm).to_lowercase()),
            "rsa_method": (a.method == CompareMethod::Rsa).then(|| a.rsa_method.method()),
            "n_conditions": n,
            "a": {"file": a.a, "key": sa.key, "shape": sa.shape},
            "b": {"file": a.b, "key": sb.key, "shape": sb.shape},
            "bootstrap": boot,
            "warnings": warnings,
        });
        let text = serde_json::to_string_pretty(&j)?;
        neurodyn_train::checkpoint::write_atomic(out, text.as_bytes())
            .with_context(|| format!("writing {}", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
