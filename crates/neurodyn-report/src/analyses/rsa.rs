//! `analyze RUN rsa`: representational similarity between the layers of a vision run, the
//! layer × layer matrix of RDM comparisons, with linear CKA beside it.
//!
//! ```text
//! neurodyn analyze RUN rsa [--layers conv1,fc1] [--method whitened-pearson|pearson|spearman|
//!                           kendall|rho-a|cosine|whitened-cosine] [--rdm correlation|euclidean|
//!                           cosine|poisson] [--conditions images|class-means]
//!                           [--max-per-class 20] [--bootstrap 0] [--seed 0]
//! ```
//!
//! Each layer's RDM is computed over the same conditions (the first `--max-per-class` images of
//! each class, or the class means) with [`neurodyn_analysis::rdm`]; every pair of layers is
//! compared with [`neurodyn_analysis::rsa::compare`], and linear CKA is computed on the same
//! condition patterns. The default comparison is `whitened-pearson` (rsatoolbox's `corr_cov`):
//! RDM entries that share a condition are correlated, and whitening by their covariance
//! (Diedrichsen et al. 2021) gave the most accurate model comparisons there, while keeping the
//! interval scale a rank correlation throws away; `spearman` is one option away for the
//! traditional report. With `--bootstrap N`, each pair also gets a 95 % percentile interval
//! over `N` resamples of the conditions (seeded).
//!
//! Writes `analysis/rsa.json` (options, layers, the `rsa` and `cka` matrices, intervals),
//! `analysis/rsa.npz` (`rsa (layer, layer)`, `cka (layer, layer)`, `labels` of the conditions,
//! and `rsa_lo` / `rsa_hi` with `--bootstrap`), `figures/rsa.png|.svg` and
//! `figures/rsa_cka.png|.svg` (annotated heat maps).

use crate::analyses::layer_decoding::layer_list;
use crate::analyses::representation::{ConditionsArg, MethodArg};
use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, Section};
use crate::error::{Context, Result};
use crate::vision_run::VisionRun;
use clap::{Args, ValueEnum};
use neurodyn_analysis::rdm::{self, Conditions, RdmConfig, RdmResult};
use neurodyn_analysis::rsa::{self, RsaMethod};
use neurodyn_analysis::Features;
use neurodyn_core::Npz;
use neurodyn_plot::{heatmap, ColorMap, Heatmap};

/// RDM comparison on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RsaMethodArg {
    /// Pearson r under the RDM covariance (rsatoolbox corr_cov; Diedrichsen et al. 2021).
    #[default]
    WhitenedPearson,
    /// Cosine under the RDM covariance (rsatoolbox cosine_cov).
    WhitenedCosine,
    /// Spearman rank correlation (ties averaged).
    Spearman,
    /// Pearson correlation of the dissimilarities.
    Pearson,
    /// Cosine similarity of the dissimilarities.
    Cosine,
    /// Kendall tau-a.
    Kendall,
    /// Spearman's rho without tie correction (rsatoolbox rho-a).
    RhoA,
}

impl RsaMethodArg {
    /// The library's method.
    pub fn method(self) -> RsaMethod {
        match self {
            RsaMethodArg::WhitenedPearson => RsaMethod::WhitenedPearson,
            RsaMethodArg::WhitenedCosine => RsaMethod::WhitenedCosine,
            RsaMethodArg::Spearman => RsaMethod::Spearman,
            RsaMethodArg::Pearson => RsaMethod::Pearson,
            RsaMethodArg::Cosine => RsaMethod::Cosine,
            RsaMethodArg::Kendall => RsaMethod::Kendall,
            RsaMethodArg::RhoA => RsaMethod::RhoA,
        }
    }
}

/// Options of `analyze RUN rsa`.
#[derive(Args, Debug, Clone)]
pub struct RsaArgs {
    /// Comma-separated layers (default: every layer with parameters).
    #[arg(long)]
    pub layers: Option<String>,
    /// How two layers' RDMs are compared.
    #[arg(long, value_enum, default_value_t = RsaMethodArg::WhitenedPearson)]
    pub method: RsaMethodArg,
    /// The dissimilarity of each layer's RDM.
    #[arg(long, value_enum, default_value_t = MethodArg::Correlation)]
    pub rdm: MethodArg,
    /// Rows of the RDMs: single images or class means.
    #[arg(long, value_enum, default_value_t = ConditionsArg::Images)]
    pub conditions: ConditionsArg,
    /// The first N images of each class, in file order (0 = all).
    #[arg(long, default_value_t = 20)]
    pub max_per_class: usize,
    /// Bootstrap resamples of the conditions for a 95 % interval per pair (0 = none).
    #[arg(long, default_value_t = 0)]
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl Default for RsaArgs {
    fn default() -> Self {
        RsaArgs {
            layers: None,
            method: RsaMethodArg::default(),
            rdm: MethodArg::Correlation,
            conditions: ConditionsArg::Images,
            max_per_class: 20,
            bootstrap: 0,
            seed: 0,
        }
    }
}

/// The condition patterns `(n_conditions, p)` behind an RDM: the rows used, or their class
/// means in class order.
fn condition_patterns(r: &RdmResult, data: &[f64], p: usize, labels: &[i64]) -> Vec<f64> {
    match r.conditions {
        Conditions::Images => r
            .rows_used
            .iter()
            .flat_map(|&i| data[i * p..(i + 1) * p].iter().copied())
            .collect(),
        Conditions::ClassMeans => {
            let mut out = vec![0.0; r.classes.len() * p];
            for (c, &class) in r.classes.iter().enumerate() {
                let rows: Vec<usize> = r
                    .rows_used
                    .iter()
                    .copied()
                    .filter(|&i| labels[i] == class)
                    .collect();
                for &i in &rows {
                    out[c * p..(c + 1) * p]
                        .iter_mut()
                        .zip(&data[i * p..(i + 1) * p])
                        .for_each(|(o, v)| *o += v / rows.len() as f64);
                }
            }
            out
        }
    }
}

fn opt(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

/// Run `analyze RUN rsa`.
pub fn run_rsa(acts: &VisionRun, a: &RsaArgs) -> Result<Section> {
    let layers = layer_list(acts, &a.layers)?;
    let method = a.method.method();
    let cfg = RdmConfig {
        method: a.rdm.method(),
        conditions: a.conditions.conditions(),
        max_per_class: (a.max_per_class > 0).then_some(a.max_per_class),
    };
    let mut vectors = Vec::new();
    let mut grams = Vec::new();
    let mut labels = Vec::new();
    for l in &layers {
        let (data, p) = acts.matrix(l)?;
        let x = Features {
            name: l,
            data: &data,
            n_rows: acts.labels.len(),
            n_features: p,
            labels: &acts.labels,
        };
        let r = rdm::run(&x, &cfg).with_context(|| format!("RDM of layer '{l}'"))?;
        let n = r.n_conditions;
        let patterns = condition_patterns(&r, &data, p, &acts.labels);
        grams.push(
            rsa::centred_gram(l, &patterns, n, p).with_context(|| format!("CKA of layer '{l}'"))?,
        );
        vectors.push(rsa::upper_triangle(&r.rdm, n));
        labels = r.condition_labels;
    }
    let (k, n) = (layers.len(), labels.len());
    let mut matrix = vec![f64::NAN; k * k];
    let mut cka = vec![f64::NAN; k * k];
    let mut intervals = Vec::new();
    let mut lo = vec![f64::NAN; k * k];
    let mut hi = vec![f64::NAN; k * k];
    let mut warnings = Vec::new();
    for i in 0..k {
        for j in i..k {
            let s = rsa::compare(&vectors[i], &vectors[j], method);
            match &s {
                Ok(v) => {
                    matrix[i * k + j] = *v;
                    matrix[j * k + i] = *v;
                }
                Err(e) => warnings.push(format!("{} vs {}: {e}", layers[i], layers[j])),
            }
            let c = match rsa::cka_from_grams(&grams[i], &grams[j]) {
                Ok(c) => c,
                Err(e) => {
                    warnings.push(format!("CKA {} vs {}: {e}", layers[i], layers[j]));
                    f64::NAN
                }
            };
            cka[i * k + j] = c;
            cka[j * k + i] = c;
            if a.bootstrap > 0 && i < j && s.is_ok() {
                let b = rsa::bootstrap(n, a.bootstrap, a.seed, |idx| {
                    rsa::compare(
                        &rsa::subsample(&vectors[i], n, idx),
                        &rsa::subsample(&vectors[j], n, idx),
                        method,
                    )
                })?;
                for (x, y) in [(i, j), (j, i)] {
                    lo[x * k + y] = opt(b.lo);
                    hi[x * k + y] = opt(b.hi);
                }
                if b.n_undefined > 0 {
                    warnings.push(format!(
                        "{} vs {}: {} of {} bootstrap resamples had no score",
                        layers[i], layers[j], b.n_undefined, b.n_samples
                    ));
                }
                intervals.push(serde_json::json!({
                    "a": layers[i], "b": layers[j], "bootstrap": b,
                }));
            }
        }
    }
    let mut z = Npz::new();
    z.f64("rsa", &[k, k], matrix.clone())?;
    z.f64("cka", &[k, k], cka.clone())?;
    z.i64("labels", &[n], labels.clone())?;
    if a.bootstrap > 0 {
        z.f64("rsa_lo", &[k, k], lo)?;
        z.f64("rsa_hi", &[k, k], hi)?;
    }
    let rows = |m: &[f64]| -> Vec<Vec<Option<f64>>> {
        m.chunks(k.max(1))
            .map(|r| r.iter().map(|v| v.is_finite().then_some(*v)).collect())
            .collect()
    };
    let json = serde_json::json!({
        "method": method,
        "rdm": cfg.method,
        "conditions": cfg.conditions,
        "max_per_class": cfg.max_per_class,
        "n_conditions": n,
        "layers": &layers,
        "rsa": rows(&matrix),
        "cka": rows(&cka),
        "bootstrap": intervals,
    });
    let mut files = acts.save("rsa", &json, &z)?;

    let m = method.name();
    let mut figures = Vec::new();
    for (stem, data, title, range, colormap, bar) in [
        (
            "rsa",
            matrix.clone(),
            format!(
                "RSA between layers: {m} of {} RDMs ({n} conditions)",
                cfg.method.name()
            ),
            (-1.0, 1.0),
            ColorMap::Diverging,
            format!("{m} similarity"),
        ),
        (
            "rsa_cka",
            cka.clone(),
            format!("Linear CKA between layers ({n} conditions)"),
            (0.0, 1.0),
            ColorMap::Sequential,
            "linear CKA".to_string(),
        ),
    ] {
        let path = acts.fig(stem)?;
        heatmap(
            &path,
            &Heatmap {
                title,
                data,
                rows: k,
                cols: k,
                row_labels: layers.clone(),
                col_labels: layers.clone(),
                x_label: "layer".into(),
                y_label: "layer".into(),
                colormap,
                range: Some(range),
                colorbar_label: bar,
                annotate: true,
                ..Heatmap::default()
            },
        )?;
        figures.push(path.with_extension("svg"));
        files.extend(fig_files(&path));
    }
    let mut numbers = Vec::new();
    for i in 0..k {
        for j in i + 1..k {
            let v = matrix[i * k + j];
            numbers.push((
                format!("{} ~ {}", layers[i], layers[j]),
                format!(
                    "{m} {}, CKA {}",
                    if v.is_finite() { fmt3(v) } else { "undefined".into() },
                    if cka[i * k + j].is_finite() {
                        fmt3(cka[i * k + j])
                    } else {
                        "undefined".into()
                    }
                ),
            ));
        }
    }
    Ok(Section {
        name: "rsa".into(),
        title: "Representational similarity between layers".into(),
        note: format!(
            "Each layer's {} RDM over {n} conditions ({}), compared between layers by {m}; \
             linear CKA (Kornblith et al. 2019) on the same condition patterns",
            cfg.method.name(),
            match cfg.conditions {
                Conditions::Images => "images, sorted by class",
                Conditions::ClassMeans => "class means",
            }
        ),
        figures,
        numbers,
        files,
        warnings,
    })
}

/// `analyze RUN rsa`.
pub struct Rsa;

impl Analysis for Rsa {
    const NAME: &'static str = "rsa";
    const ABOUT: &'static str =
        "Vision runs: layer × layer RSA (RDM comparison, whitened Pearson by default) and linear CKA.";
    type Input = VisionRun;
    type Options = RsaArgs;
    /// Every layer with parameters; not run with fewer than 3 images (no RDM to compare).
    fn defaults(acts: &VisionRun) -> Option<RsaArgs> {
        (acts.labels.len() >= 3).then(RsaArgs::default)
    }
    fn run(acts: &VisionRun, options: &RsaArgs) -> Result<Outcome> {
        run_rsa(acts, options).map(Outcome::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyses::layer_decoding::tests::synthetic_run;

    #[test]
    fn writes_the_layer_by_layer_matrices() {
        let dir = synthetic_run("rsa");
        let acts = VisionRun::load(&dir).expect("load");
        let args = RsaArgs {
            layers: Some("conv1,1_relu,fc1".into()),
            bootstrap: 50,
            ..RsaArgs::default()
        };
        run_rsa(&acts, &args).expect("run");
        let z = Npz::load(&dir.join("analysis/rsa.npz")).expect("npz");
        let m = z.get("rsa").expect("rsa").to_f64();
        let c = z.get("cka").expect("cka").to_f64();
        assert_eq!(z.get("rsa").expect("rsa").shape(), [3, 3]);
        for i in 0..3 {
            assert!((m[i * 4] - 1.0).abs() < 1e-12 && (c[i * 4] - 1.0).abs() < 1e-12);
        }
        // Symmetric, in range; the ReLU of conv1 resembles conv1 more than chance.
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(m[i * 3 + j], m[j * 3 + i]);
                assert!(c[i * 3 + j] >= 0.0 && c[i * 3 + j] <= 1.0);
            }
        }
        assert!(m[1] > 0.5 && c[1] > 0.5, "{m:?} {c:?}");
        let (lo, hi) = (z.get("rsa_lo").expect("lo").to_f64(), z.get("rsa_hi").expect("hi").to_f64());
        assert!(lo[1] <= hi[1] && lo[1] > -1.0 && hi[1] <= 1.0, "{lo:?} {hi:?}");
        let j: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("analysis/rsa.json")).expect("json"),
        )
        .expect("parses");
        assert_eq!(j["method"], "whitened-pearson");
        assert_eq!(j["layers"][2], "fc1");
        assert!(dir.join("figures/rsa.svg").exists() && dir.join("figures/rsa_cka.png").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn spearman_over_class_means_and_an_unknown_layer() {
        let dir = synthetic_run("rsa-means");
        let acts = VisionRun::load(&dir).expect("load");
        let args = RsaArgs {
            method: RsaMethodArg::Spearman,
            conditions: ConditionsArg::ClassMeans,
            ..RsaArgs::default()
        };
        let s = run_rsa(&acts, &args).expect("run");
        assert!(s.numbers.iter().any(|(k, v)| k.contains('~') && v.contains("spearman")));
        let bad = RsaArgs {
            layers: Some("nope".into()),
            ..RsaArgs::default()
        };
        assert!(run_rsa(&acts, &bad).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
