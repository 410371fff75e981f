//! Seed 002 (Soo et al. 2024): a convolutional continuous-time RNN (`conv-ctrnn`) against a
//! conventional CNN on the embedded MNIST digits (`sweeps/seed-002.toml`, 2 kinds × 3 seeds).
//! The paper's two claims about such networks that a digit task can test: accuracy comparable
//! with the CNN's, and more robustness to pixel noise, tested with `analyze RUN
//! noise-robustness --compare CNN` on the same noisy images for each seed.

use super::{analysis_json, mean_sd, mean_sd_text, Claim, Reproduction, Verdict};
use crate::error::Result;
use neurodyn_train::sweep::{json_text, ResultRow};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The committed sweep.
const SWEEP: &str = include_str!("../../../../sweeps/seed-002.toml");

/// The noise levels the robustness claim averages over (normalised pixel units).
const SIGMAS: [f64; 3] = [1.0, 1.5, 2.0];

/// Seed 002.
pub struct Seed002;

fn value(r: &ResultRow, key: &str) -> String {
    r.values.get(key).map(json_text).unwrap_or_default()
}

/// The mean accuracy over [`SIGMAS`] of one protocol's curve in a noise-robustness JSON.
fn mean_over_sigmas(sigmas: &[f64], acc: &Value) -> Option<f64> {
    let acc: Vec<f64> = acc
        .as_array()?
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect();
    let picked: Vec<f64> = SIGMAS
        .iter()
        .filter_map(|s| sigmas.iter().position(|x| (x - s).abs() < 1e-9))
        .filter_map(|i| acc.get(i).copied())
        .collect();
    (picked.len() == SIGMAS.len() && picked.iter().all(|a| a.is_finite()))
        .then(|| picked.iter().sum::<f64>() / picked.len() as f64)
}

impl Reproduction for Seed002 {
    fn name(&self) -> &'static str {
        "seed-002"
    }

    fn title(&self) -> &'static str {
        "Seed 002, Soo et al. 2024: a convolutional continuous-time RNN against a CNN on MNIST \
         digits: accuracy, and robustness to pixel noise."
    }

    fn committed(&self) -> &'static str {
        SWEEP
    }

    fn quick(&self) -> (&'static str, &'static str) {
        (
            "[0]",
            "train.epochs = 1\ntrain.max_train_images = 300\neval.n_record = 10\n",
        )
    }

    fn claims(
        &self,
        dir: &Path,
        rows: &[ResultRow],
        quick: bool,
    ) -> Result<(Vec<Claim>, Vec<PathBuf>)> {
        let done: Vec<&ResultRow> = rows.iter().filter(|r| r.accuracy.is_some()).collect();
        let of = |kind: &str| -> Vec<&ResultRow> {
            done.iter()
                .copied()
                .filter(|r| value(r, "model.kind") == kind)
                .collect()
        };
        let (cnn, rnn) = (of("cnn"), of("conv-ctrnn"));
        let acc =
            |rs: &[&ResultRow]| -> Vec<f64> { rs.iter().filter_map(|r| r.accuracy).collect() };
        let (a_cnn, a_rnn) = (acc(&cnn), acc(&rnn));
        let gap = match (mean_sd(&a_rnn), mean_sd(&a_cnn)) {
            (Some(r), Some(c)) => Some(r.0 - c.0),
            _ => None,
        };
        let mut claims = vec![Claim {
            id: "comparable-accuracy".into(),
            claim: "The convolutional CTRNN classifies as well as a conventional CNN".into(),
            seed: "comparable performance with their CNN counterparts (abstract; ImageNet)".into(),
            ours: format!(
                "held-out accuracy conv-ctrnn {} vs CNN {} (difference {})",
                mean_sd_text(&a_rnn, 3),
                mean_sd_text(&a_cnn, 3),
                gap.map_or("–".into(), |g| format!("{g:+.3}"))
            ),
            verdict: Verdict::of(gap.map(|g| g >= -0.01)),
            criterion: "the conv-ctrnn's mean held-out accuracy (2,000 digits) is at most 0.01 \
                        below the CNN's"
                .into(),
        }];

        // Noise robustness: each conv-ctrnn against the CNN of the same seed, same noisy images.
        let n_images = if quick { "100" } else { "2000" };
        let (mut st_gain, mut dy_gain) = (Vec::new(), Vec::new());
        let mut figures = Vec::new();
        for r in &rnn {
            let Some(c) = cnn.iter().find(|c| value(c, "seed") == value(r, "seed")) else {
                continue;
            };
            let run = dir.join(&r.dir);
            let cnn_dir = dir.join(&c.dir);
            let j = analysis_json(
                &run,
                "noise-robustness",
                &[
                    "--n-images",
                    n_images,
                    "--compare",
                    &cnn_dir.display().to_string(),
                ],
            )?;
            let sigmas: Vec<f64> = j["sigmas"]
                .as_array()
                .map(|s| s.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            let cnn_static = mean_over_sigmas(&sigmas, &j["compare"]["static"]);
            if let (Some(s), Some(c)) = (mean_over_sigmas(&sigmas, &j["static"]), cnn_static) {
                st_gain.push(s - c);
            }
            if let (Some(d), Some(c)) = (mean_over_sigmas(&sigmas, &j["dynamic"]), cnn_static) {
                dy_gain.push(d - c);
            }
            if figures.is_empty() {
                let png = run.join("figures/noise_robustness.png");
                if png.exists() {
                    figures.push(png);
                }
            }
        }
        let all_positive = |v: &[f64]| (!v.is_empty()).then(|| v.iter().all(|&g| g > 0.0));
        claims.push(Claim {
            id: "noise-robust-static".into(),
            claim: "Under the same static pixel noise the convolutional CTRNN keeps more accuracy \
                    than the CNN"
                .into(),
            seed: "increased robustness to noise (abstract)".into(),
            ours: format!(
                "accuracy gain over the CNN, mean over σ = 1, 1.5, 2: {} (per seed pair)",
                mean_sd_text(&st_gain, 3)
            ),
            verdict: Verdict::of(all_positive(&st_gain)),
            criterion: "the gain is positive for every seed (noise drawn once per image and held; \
                        the same draws for both networks)"
                .into(),
        });
        claims.push(Claim {
            id: "noise-robust-dynamic".into(),
            claim: "Noise that changes at every time step is suppressed by the recurrent dynamics"
                .into(),
            seed: "noise-suppressing mechanisms inherent in recurrent dynamical systems \
                   (abstract)"
                .into(),
            ours: format!(
                "conv-ctrnn under dynamic noise vs the CNN under static noise of the same σ, mean \
                 over σ = 1, 1.5, 2: gain {}",
                mean_sd_text(&dy_gain, 3)
            ),
            verdict: Verdict::of(all_positive(&dy_gain)),
            criterion: "the gain is positive for every seed (a fresh draw at every step for the \
                        conv-ctrnn; a CNN sees one image, so its static score is the reference)"
                .into(),
        });
        Ok((claims, figures))
    }
}
