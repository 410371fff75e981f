//! `analyze RUN predictivity`: how well each layer of a vision run predicts each other layer's
//! units on held-out images (ridge or PLS regression `R₂ ≈ W R₁`, Pearson r per target unit,
//! median).
//!
//! ```text
//! neurodyn analyze RUN predictivity [--layers conv1,fc1] [--folds 5] [--alpha 1]
//!                                   [--alphas 0.1,1,10 | --pls-components K] [--max-dims 256]
//!                                   [--max-units 200]
//!                                   [--seed 0]
//! ```
//!
//! `--alphas` chooses the ridge penalty in each fold by leave-one-out on its training images
//! (scikit-learn's `RidgeCV`). `--pls-components K` replaces the ridge by a PLS regression with `K` components per target
//! layer (scikit-learn's `PLSRegression`; [`neurodyn_analysis::pls`]).
//!
//! Writes `analysis/predictivity.json` (options, layers, the `source × target` matrix of median r
//! and, per pair, the scored units and their r), `analysis/predictivity.npz` (`median_r (source,
//! target)`, `n_constant`, and `<source>__<target>_units|_r` per pair) and
//! `figures/predictivity.png|.svg` (the matrix as an annotated heat map). The method is
//! [`neurodyn_analysis::predictivity`]: stratified folds, source standardised (and projected
//! above `--max-dims` features) on the training images, at most `--max-units` target units.
//! The diagonal (a layer predicting itself) is 1 up to the ridge shrinkage for layers of at
//! most `--max-dims` features, and below 1 for wider ones: the projection keeps only their
//! leading components (0.93 for `conv1` of the default CNN).

use crate::analyses::layer_decoding::{default_folds, layer_list};
use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, Section};
use crate::error::{Context, Result};
use crate::vision_run::VisionRun;
use clap::Args;
use neurodyn_analysis::predictivity::{self, PredictivityConfig, PredictivityResult, Regression};
use neurodyn_analysis::Features;
use neurodyn_core::Npz;
use neurodyn_plot::{heatmap, ColorMap, Heatmap};

/// Options of `analyze RUN predictivity`.
#[derive(Args, Debug, Clone)]
pub struct PredictivityArgs {
    /// Comma-separated layers, each predicted from each (default: every layer with parameters).
    #[arg(long)]
    pub layers: Option<String>,
    /// Stratified cross-validation folds.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Ridge penalty on the standardised source features.
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Use PLS regression with this many components instead of ridge.
    #[arg(long, conflicts_with = "alphas")]
    pub pls_components: Option<usize>,
    /// Choose the ridge penalty among these in each fold by leave-one-out (RidgeCV).
    #[arg(long, value_delimiter = ',')]
    pub alphas: Vec<f64>,
    /// Project sources with more features onto this many principal components of the training
    /// images (0: never; slow on conv layers).
    #[arg(long, default_value_t = 256)]
    pub max_dims: usize,
    /// Score at most this many (seeded, random) units of each target layer (0: all).
    #[arg(long, default_value_t = 200)]
    pub max_units: usize,
    /// Seed of the folds and of the unit samples.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl Default for PredictivityArgs {
    fn default() -> Self {
        let c = PredictivityConfig::default();
        PredictivityArgs {
            layers: None,
            folds: c.folds,
            alpha: c.alpha,
            pls_components: None,
            alphas: Vec::new(),
            max_dims: c.max_dims,
            max_units: c.max_units,
            seed: c.seed,
        }
    }
}

/// Ridge, or PLS with `components`.
pub fn regression(pls_components: Option<usize>) -> Regression {
    match pls_components {
        Some(components) => Regression::Pls { components },
        None => Regression::Ridge,
    }
}

/// "ridge α = 1" or "PLS, 10 components".
pub fn model_name(cfg: &PredictivityConfig) -> String {
    match cfg.model {
        Regression::Ridge if !cfg.alphas.is_empty() => {
            format!("ridge, α by leave-one-out among {:?}", cfg.alphas)
        }
        Regression::Ridge => format!("ridge α = {}", cfg.alpha),
        Regression::Pls { components } => format!("PLS, {components} components"),
    }
}

/// Run `analyze RUN predictivity`.
pub fn run_predictivity(acts: &VisionRun, a: &PredictivityArgs) -> Result<Section> {
    let layers = layer_list(acts, &a.layers)?;
    let cfg = PredictivityConfig {
        folds: a.folds,
        alpha: a.alpha,
        model: regression(a.pls_components),
        alphas: a.alphas.clone(),
        max_dims: a.max_dims,
        max_units: a.max_units,
        seed: a.seed,
    };
    let mats: Vec<(Vec<f64>, usize)> = layers
        .iter()
        .map(|l| acts.matrix(l))
        .collect::<Result<_>>()?;
    let feats: Vec<Features> = layers
        .iter()
        .zip(&mats)
        .map(|(l, (data, p))| Features {
            name: l,
            data,
            n_rows: acts.labels.len(),
            n_features: *p,
            labels: &acts.labels,
        })
        .collect();
    let mut pairs: Vec<PredictivityResult> = Vec::new();
    for src in &feats {
        pairs.extend(
            predictivity::run_many(src, &feats, &cfg)
                .with_context(|| format!("predicting from layer '{}'", src.name))?,
        );
    }
    let n = layers.len();
    let matrix: Vec<f64> = pairs
        .iter()
        .map(|p| p.median_r.unwrap_or(f64::NAN))
        .collect();
    let mut z = Npz::new();
    z.f64("median_r", &[n, n], matrix.clone())?;
    z.i64(
        "n_constant",
        &[n, n],
        pairs.iter().map(|p| p.n_constant as i64).collect(),
    )?;
    for p in &pairs {
        p.add_to(&mut z, &format!("{}__{}_", p.source, p.target))?;
    }
    let json = serde_json::json!({
        "config": &cfg,
        "layers": &layers,
        "median_r": matrix.chunks(n.max(1)).map(|r| r.iter().map(|v| v.is_finite().then_some(*v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "pairs": &pairs,
    });
    let mut files = acts.save("predictivity", &json, &z)?;

    let model = model_name(&cfg);
    let stem = acts.fig("predictivity")?;
    heatmap(
        &stem,
        &Heatmap {
            title: format!(
                "Predictivity: median held-out r of target units ({model}, {} folds)",
                cfg.folds
            ),
            data: matrix,
            rows: n,
            cols: n,
            row_labels: layers.clone(),
            col_labels: layers.clone(),
            x_label: "target layer (units predicted)".into(),
            y_label: "source layer (predictor)".into(),
            colormap: ColorMap::Sequential,
            range: Some((0.0, 1.0)),
            colorbar_label: "median Pearson r".into(),
            annotate: true,
            ..Heatmap::default()
        },
    )?;
    files.extend(fig_files(&stem));

    let mut numbers = Vec::new();
    let mut warnings = Vec::new();
    for p in &pairs {
        if p.source != p.target {
            numbers.push((
                format!("{} → {}", p.source, p.target),
                p.median_r.map_or_else(|| "undefined".into(), fmt3),
            ));
        }
        if p.n_constant > 0 && p.source == layers[0] {
            warnings.push(format!(
                "{} of {} sampled units of {} are constant on the held-out images of a fold and \
                 have no r",
                p.n_constant,
                p.units.len(),
                p.target
            ));
        }
    }
    Ok(Section {
        name: "predictivity".into(),
        title: "Layer-to-layer predictivity".into(),
        note: format!(
            "{model} from each source layer (standardised on the training images; above {} \
             features, their leading principal components) to at most {} units of each target \
             layer; score = median over units of the held-out Pearson r (mean over {} stratified \
             folds, seed {})",
            cfg.max_dims, cfg.max_units, cfg.folds, cfg.seed
        ),
        figures: vec![stem.with_extension("svg")],
        numbers,
        files,
        warnings,
    })
}

/// `analyze RUN predictivity`.
pub struct Predictivity;

impl Analysis for Predictivity {
    const NAME: &'static str = "predictivity";
    const ABOUT: &'static str =
        "Vision runs: how well each layer predicts each other layer's units (ridge, held-out r).";
    type Input = VisionRun;
    type Options = PredictivityArgs;
    /// Every layer with parameters, 5 folds (fewer when a class has fewer images; not run when
    /// there are fewer than two classes of two images).
    fn defaults(acts: &VisionRun) -> Option<PredictivityArgs> {
        Some(PredictivityArgs {
            folds: default_folds(acts, PredictivityConfig::default().folds)?,
            ..PredictivityArgs::default()
        })
    }
    fn run(acts: &VisionRun, options: &PredictivityArgs) -> Result<Outcome> {
        run_predictivity(acts, options).map(Outcome::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyses::layer_decoding::tests::synthetic_run;

    #[test]
    fn writes_the_layer_by_layer_matrix() {
        let dir = synthetic_run("predictivity");
        let acts = VisionRun::load(&dir).expect("load");
        let args = PredictivityArgs {
            folds: 3,
            ..PredictivityArgs::default()
        };
        run_predictivity(&acts, &args).expect("run");
        let z = Npz::load(&dir.join("analysis/predictivity.npz")).expect("npz");
        let m = z.get("median_r").expect("median_r");
        assert_eq!(m.shape(), [2, 2]);
        let m = m.to_f64();
        // fc1 is a noisy linear map of conv1: predicted well from it.
        assert!(m[1] > 0.9, "{m:?}");
        assert!(z.get("conv1__fc1_r").is_some());
        assert!(dir.join("figures/predictivity.svg").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
