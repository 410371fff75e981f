//! `analyze RUN layer-decoding`: cross-validated decoding of the class from each layer of a vision
//! run (a multinomial logistic regression per layer, against the same decoder on shuffled labels).
//!
//! ```text
//! neurodyn analyze RUN layer-decoding [--layers conv1,fc1] [--folds 5] [--c 1] [--max-dims 256]
//!                                     [--shuffles 1] [--seed 0]
//! ```
//!
//! Writes `analysis/layer_decoding.json` (the options and, per layer, fold accuracies, mean ± SD,
//! shuffled-label accuracy, majority share, dimensions used, solver notes), `analysis/
//! layer_decoding.npz` (`accuracy`, `accuracy_std`, `shuffled`, `majority` per layer,
//! `fold_accuracy (layer, fold)`, `n_features`, `n_dims`; layers in the JSON's order) and
//! `figures/layer_decoding.png|.svg` (accuracy by layer with ± SD bars). The method is
//! [`neurodyn_analysis::layer_decoding`]: per fold, standardise with the training images'
//! statistics, project layers wider than `--max-dims` onto the training images' leading principal
//! components, fit `LogisticRegression(C)`. On the 2,000 recorded images of the default CNN
//! (five layers with parameters) it takes ~15 s of one core, most of it on the two conv layers.
//! `analyze all` runs it with these defaults (fewer folds when a class has fewer than five
//! images).

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, Section};
use crate::error::{Context, ReportError, Result};
use crate::vision_run::VisionRun;
use clap::Args;
use neurodyn_analysis::layer_decoding::{self, LayerDecodingConfig, LayerDecodingResult};
use neurodyn_analysis::Features;
use neurodyn_core::Npz;
use neurodyn_plot::{panels_sized, LegendPos, Panel, Series, SeriesStyle};

/// Options of `analyze RUN layer-decoding`.
#[derive(Args, Debug, Clone)]
pub struct LayerDecodingArgs {
    /// Comma-separated layers (default: every layer with parameters, conv and fc).
    #[arg(long)]
    pub layers: Option<String>,
    /// Stratified cross-validation folds.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Inverse L2 penalty C of the logistic regression (scikit-learn's convention).
    #[arg(long, default_value_t = 1.0)]
    pub c: f64,
    /// Project layers with more features onto this many principal components of the training
    /// images (0: never; slow on conv layers).
    #[arg(long, default_value_t = 256)]
    pub max_dims: usize,
    /// Label permutations for the chance baseline (0: none).
    #[arg(long, default_value_t = 1)]
    pub shuffles: usize,
    /// Seed of the folds and permutations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Solver tolerance: stop when no gradient entry of the mean log-loss (+ penalty) exceeds it.
    #[arg(long, default_value_t = LayerDecodingConfig::default().tol)]
    pub tol: f64,
}

impl Default for LayerDecodingArgs {
    fn default() -> Self {
        let c = LayerDecodingConfig::default();
        LayerDecodingArgs {
            layers: None,
            folds: c.folds,
            c: c.c,
            max_dims: c.max_dims,
            shuffles: c.shuffles,
            seed: c.seed,
            tol: c.tol,
        }
    }
}

/// The layers named by `--layers`, or every layer with parameters.
pub(crate) fn layer_list(acts: &VisionRun, layers: &Option<String>) -> Result<Vec<String>> {
    let list: Vec<String> = match layers {
        Some(s) => s
            .split(',')
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        None => acts.parameterised().iter().map(|s| s.to_string()).collect(),
    };
    if list.is_empty() {
        return Err(ReportError::Options(format!(
            "--layers names no layer (layers: {})",
            acts.layers().join(", ")
        )));
    }
    Ok(list)
}

/// `folds`, or fewer when the smallest class has fewer images; `None` with fewer than two
/// classes or a class of one image (stratified folds need each class in every fold).
pub(crate) fn default_folds(acts: &VisionRun, folds: usize) -> Option<usize> {
    let mut counts = std::collections::BTreeMap::new();
    acts.labels
        .iter()
        .for_each(|l| *counts.entry(*l).or_insert(0usize) += 1);
    let smallest = counts.values().copied().min()?;
    (counts.len() >= 2 && smallest >= 2).then_some(folds.min(smallest))
}

/// Run `analyze RUN layer-decoding`.
pub fn run_layer_decoding(acts: &VisionRun, a: &LayerDecodingArgs) -> Result<Section> {
    let layers = layer_list(acts, &a.layers)?;
    let cfg = LayerDecodingConfig {
        folds: a.folds,
        c: a.c,
        max_dims: a.max_dims,
        shuffles: a.shuffles,
        seed: a.seed,
        tol: a.tol,
        ..LayerDecodingConfig::default()
    };
    let mut results: Vec<LayerDecodingResult> = Vec::new();
    for l in &layers {
        let (data, p) = acts.matrix(l)?;
        let x = Features {
            name: l,
            data: &data,
            n_rows: acts.labels.len(),
            n_features: p,
            labels: &acts.labels,
        };
        results.push(
            layer_decoding::run(&x, &cfg).with_context(|| format!("decoding layer '{l}'"))?,
        );
    }
    let n = results.len();
    let mut z = Npz::new();
    let col = |f: &dyn Fn(&LayerDecodingResult) -> f64| results.iter().map(f).collect::<Vec<_>>();
    z.f64("accuracy", &[n], col(&|r| r.accuracy))?;
    z.f64("accuracy_std", &[n], col(&|r| r.accuracy_std))?;
    z.f64("shuffled", &[n], col(&|r| r.shuffled.unwrap_or(f64::NAN)))?;
    z.f64("majority", &[n], col(&|r| r.majority))?;
    z.f64(
        "fold_accuracy",
        &[n, cfg.folds],
        results
            .iter()
            .flat_map(|r| r.fold_accuracy.clone())
            .collect(),
    )?;
    z.i64(
        "n_features",
        &[n],
        results.iter().map(|r| r.n_features as i64).collect(),
    )?;
    z.i64(
        "n_dims",
        &[n],
        results.iter().map(|r| r.n_dims as i64).collect(),
    )?;
    let json = serde_json::json!({"config": &cfg, "layers": &results});
    let mut files = acts.save("layer_decoding", &json, &z)?;

    let x: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let acc = col(&|r| r.accuracy);
    let lo = col(&|r| r.accuracy - r.accuracy_std);
    let hi = col(&|r| r.accuracy + r.accuracy_std);
    let mut series = vec![Series::new(
        format!(
            "C = {}, {} images, {} folds (mean ± SD)",
            cfg.c,
            acts.labels.len(),
            cfg.folds
        ),
        x.clone(),
        acc,
    )
    .err(lo, hi)
    .color(0)
    .style(SeriesStyle::LineAndPoints)];
    if cfg.shuffles > 0 {
        series.push(
            Series::new(
                "shuffled labels",
                x.clone(),
                col(&|r| r.shuffled.unwrap_or(f64::NAN)),
            )
            .color(7)
            .style(SeriesStyle::Dashed),
        );
    }
    series.push(
        Series::new("most frequent class's share", x, col(&|r| r.majority))
            .color(3)
            .style(SeriesStyle::Dashed),
    );
    let names: Vec<String> = results
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{} {}", i + 1, r.name))
        .collect();
    let panel = Panel {
        title: "Class decoding by layer".into(),
        x_label: format!("layer: {}", names.join(" · ")),
        y_label: "held-out accuracy".into(),
        series,
        x_range: Some((0.5, n as f64 + 0.5)),
        y_range: Some((0.0, 1.05)),
        legend: LegendPos::Auto,
        ..Panel::default()
    };
    let stem = acts.fig("layer_decoding")?;
    panels_sized(&stem, &[panel], 1, (760, 480))?;
    files.extend(fig_files(&stem));

    let numbers = results
        .iter()
        .map(|r| {
            (
                format!("accuracy {}", r.name),
                format!(
                    "{:.4} ± {:.4}{}",
                    r.accuracy,
                    r.accuracy_std,
                    r.shuffled
                        .map_or(String::new(), |s| format!(" (shuffled {s:.3})"))
                ),
            )
        })
        .collect();
    let warnings = results
        .iter()
        .filter(|r| r.not_converged > 0)
        .map(|r| {
            format!(
                "{}: {} fit(s) stopped at the iteration limit before the tolerance",
                r.name, r.not_converged
            )
        })
        .collect();
    Ok(Section {
        name: "layer_decoding".into(),
        title: "Class decoding per layer".into(),
        note: format!(
            "Multinomial logistic regression (C = {}), {} stratified folds (seed {}); features \
             standardised on the training images, layers wider than {} projected onto the \
             training images' leading principal components",
            cfg.c, cfg.folds, cfg.seed, cfg.max_dims
        ),
        figures: vec![stem.with_extension("svg")],
        numbers,
        files,
        warnings,
    })
}

/// `analyze RUN layer-decoding`.
pub struct LayerDecoding;

impl Analysis for LayerDecoding {
    const NAME: &'static str = "layer-decoding";
    const ABOUT: &'static str =
        "Vision runs: cross-validated class decoding (logistic regression) from each layer.";
    type Input = VisionRun;
    type Options = LayerDecodingArgs;
    /// Every layer with parameters, 5 folds (fewer when a class has fewer images; not run when
    /// there are fewer than two classes of two images).
    fn defaults(acts: &VisionRun) -> Option<LayerDecodingArgs> {
        Some(LayerDecodingArgs {
            folds: default_folds(acts, LayerDecodingConfig::default().folds)?,
            ..LayerDecodingArgs::default()
        })
    }
    fn run(acts: &VisionRun, options: &LayerDecodingArgs) -> Result<Outcome> {
        run_layer_decoding(acts, options).map(Outcome::Done)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A run directory holding only a synthetic `activations.npz`: 60 images of 3 classes, a
    /// conv layer `conv1 (2, 4, 4)` whose features carry the class plus noise, its ReLU
    /// `1_relu`, and `fc1 (8)` a linear map of 16 `conv1` features plus a little noise.
    pub(crate) fn synthetic_run(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "neurodyn-report-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let n = 60;
        let labels: Vec<i64> = (0..n).map(|i| (i * 7 % 3) as i64).collect();
        let conv: Vec<f32> = (0..n * 32)
            .map(|k| {
                let (i, j) = (k / 32, k % 32);
                let c = labels[i] as f32;
                (c * 0.9 + j as f32 * 0.3).cos() + 0.8 * ((k * k) as f32 * 0.37).sin()
            })
            .collect();
        let fc: Vec<f32> = (0..n * 8)
            .map(|k| {
                let (i, u) = (k / 8, k % 8);
                2.0 * conv[i * 32 + u] - conv[i * 32 + 8 + u] + 0.05 * (k as f32).sin()
            })
            .collect();
        let mut z = Npz::new();
        z.i64("labels", &[n], labels).expect("labels");
        z.f32("conv1", &[n, 2, 4, 4], conv.clone()).expect("conv1");
        z.f32("1_relu", &[n, 2, 4, 4], conv.iter().map(|v| v.max(0.0)).collect())
            .expect("relu");
        z.f32("fc1", &[n, 8], fc).expect("fc1");
        z.save(&dir.join("activations.npz")).expect("save");
        dir
    }

    #[test]
    fn decodes_every_parameterised_layer_and_writes_its_files() {
        let dir = synthetic_run("layer-decoding");
        let mut acts = VisionRun::load(&dir).expect("load");
        assert_eq!(LayerDecoding::defaults(&acts).map(|a| a.folds), Some(5));
        let args = LayerDecodingArgs {
            max_dims: 16,
            ..LayerDecodingArgs::default()
        };
        let s = run_layer_decoding(&acts, &args).expect("run");
        for f in [
            "analysis/layer_decoding.json",
            "analysis/layer_decoding.npz",
            "figures/layer_decoding.svg",
        ] {
            assert!(dir.join(f).exists(), "{f} missing");
        }
        let j: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("analysis/layer_decoding.json")).expect("json"),
        )
        .expect("parses");
        let layers = j["layers"].as_array().expect("layers");
        let names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().expect("name")).collect();
        assert_eq!(names, ["conv1", "fc1"]);
        assert_eq!(layers[0]["n_dims"], 16);
        assert_eq!(layers[1]["n_dims"], 8);
        for l in layers {
            let acc = l["accuracy"].as_f64().expect("accuracy");
            let sh = l["shuffled"].as_f64().expect("shuffled");
            assert!(acc > 0.8 && sh < acc - 0.2, "{l}");
        }
        assert_eq!(s.numbers.len(), 2);
        let bad = LayerDecodingArgs {
            layers: Some("fc9".into()),
            ..LayerDecodingArgs::default()
        };
        let e = run_layer_decoding(&acts, &bad).unwrap_err().to_string();
        assert!(e.contains("no layer 'fc9'") && e.contains("conv1, 1_relu, fc1"), "{e}");
        // A class of three images: three folds by default; a class of one: not run by default.
        let few = |n: usize| (0..60).map(|i| i64::from(i < n)).collect::<Vec<i64>>();
        acts.labels = few(3);
        assert_eq!(LayerDecoding::defaults(&acts).map(|a| a.folds), Some(3));
        acts.labels = few(1);
        assert!(LayerDecoding::defaults(&acts).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
