//! Seed 003 (Yang & Wang 2020, the primer): the worked examples the project implements
//! (`sweeps/seed-003.toml`, 5 networks × 3 seeds), each tested with the analysis the primer uses
//! on it: fixed points of a flip-flop memory and of parametric working memory, the category
//! held through a delay, a network obeying Dale's law, and task-variance clusters with their
//! lesions in a network trained on the 20 tasks of Yang et al. 2019.

use super::{analysis_json, mean_sd_text, Claim, Reproduction, Verdict};
use crate::error::Result;
use neurodyn_train::sweep::{json_text, ResultRow};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The committed sweep.
const SWEEP: &str = include_str!("../../../../sweeps/seed-003.toml");

/// Seed 003.
pub struct Seed003;

/// The finished runs of the sweep whose task name starts with `task`.
fn runs_of<'a>(rows: &'a [ResultRow], task: &str) -> Vec<&'a ResultRow> {
    rows.iter()
        .filter(|r| r.accuracy.is_some())
        .filter(|r| {
            r.values
                .get("task.name")
                .map(json_text)
                .is_some_and(|t| t == task || (task == "+" && t.contains('+')))
        })
        .collect()
}

fn ratio_text(k: usize, n: usize) -> String {
    format!("{k} of {n} networks")
}

impl Reproduction for Seed003 {
    fn name(&self) -> &'static str {
        "seed-003"
    }

    fn title(&self) -> &'static str {
        "Seed 003, the primer's worked examples (Yang & Wang 2020): fixed points of memories, \
         a category held in working memory, Dale's law, and task-variance clusters."
    }

    fn committed(&self) -> &'static str {
        SWEEP
    }

    fn quick(&self) -> (&'static str, &'static str) {
        (
            "[0]",
            "model.n_rec = 32\ntrain.steps = 150\ntrain.warmup_steps = 20\neval.n_trials = 100\n\
             eval.n_record = 60\n",
        )
    }

    fn claims(
        &self,
        dir: &Path,
        rows: &[ResultRow],
        _quick: bool,
    ) -> Result<(Vec<Claim>, Vec<PathBuf>)> {
        let mut claims = Vec::new();
        let mut figures = Vec::new();
        let mut keep = |run: &Path, names: &[&str]| {
            for n in names {
                let png = run.join("figures").join(format!("{n}.png"));
                if png.exists() {
                    figures.push(png);
                }
            }
        };

        // 1. Flip-flop: each of the 8 memories is a stable fixed point.
        let ff = runs_of(rows, "FlipFlop");
        let mut distinct = Vec::new();
        for r in &ff {
            let run = dir.join(&r.dir);
            let j = analysis_json(&run, "fixed-points", &[])?;
            let by = j["summary"]["stable_fixed_points_by_readout"]
                .as_object()
                .map_or(0, |m| m.len());
            distinct.push(by as f64);
            if distinct.len() == 1 {
                keep(&run, &["fixed_points_pca"]);
            }
        }
        let all8 = distinct.iter().filter(|&&d| d >= 8.0).count();
        claims.push(Claim {
            id: "flipflop-8-fixed-points".into(),
            claim: "A network trained on the 3-bit flip-flop stores its 8 memories as 8 stable \
                    fixed points"
                .into(),
            seed: "memories are stable fixed points (fixed-point section; Sussillo & Barak 2013: \
                   8 for 3 bits)"
                .into(),
            ours: format!(
                "{} distinct memories at stable points; all 8 in {}",
                mean_sd_text(&distinct, 1),
                ratio_text(all8, distinct.len())
            ),
            verdict: Verdict::of((!distinct.is_empty()).then_some(all8 == distinct.len())),
            criterion: "stable fixed points under the zero input, grouped by the sign pattern \
                        the readout gives there; holds when every network has all 8"
                .into(),
        });

        // 2. Parametric working memory: a line attractor through the delay.
        let dc = runs_of(rows, "DelayComparison");
        let mut found = 0;
        let mut reasons = Vec::new();
        for r in &dc {
            let run = dir.join(&r.dir);
            let j = analysis_json(&run, "fixed-points", &[])?;
            let line = &j["summary"]["line_attractor"];
            if line["found"].as_bool() == Some(true) {
                found += 1;
            } else if let Some(f) = line["failed"].as_array().and_then(|f| f.first()) {
                reasons.push(f.as_str().unwrap_or_default().to_string());
            }
            if r.index == dc[0].index {
                keep(&run, &["fixed_points_eigenvalues_near_one"]);
            }
        }
        claims.push(Claim {
            id: "delay-comparison-line-attractor".into(),
            claim: "In parametric working memory (DelayComparison) the delay's fixed points form \
                    an approximate line attractor"
                .into(),
            seed: "an approximate line attractor during the delay (fig. 6A-C)".into(),
            ours: format!(
                "found in {}{}",
                ratio_text(found, dc.len()),
                reasons
                    .first()
                    .map_or(String::new(), |r| format!("; otherwise: {r}"))
            ),
            verdict: Verdict::of((!dc.is_empty()).then_some(found * 2 > dc.len())),
            criterion: "`analyze RUN fixed-points` under the mean delay input: ≥ 3 slow points \
                        on a line (≥ 90 % of their variance), one slow mode aligned with it, \
                        none unstable; holds in a majority of networks"
                .into(),
        });

        // 3. Delayed match-to-category: the category is decodable through the delay.
        let dmc = runs_of(rows, "DelayMatchCategory");
        let (mut acc, mut shuffled) = (Vec::new(), Vec::new());
        for r in &dmc {
            let run = dir.join(&r.dir);
            let j = analysis_json(
                &run,
                "decoding",
                &["--label", "sample_category", "--align", "first_delay"],
            )?;
            let steps: Vec<i64> = j["steps"]
                .as_array()
                .map(|s| s.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            let col = |k: &str| -> Vec<f64> {
                j[k].as_array()
                    .map(|s| s.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
                    .unwrap_or_default()
            };
            let (a, s) = (col("accuracy"), col("shuffled"));
            // The delay's first steps: aligned step 0 to 5.
            let idx: Vec<usize> = (0..steps.len())
                .filter(|&i| (0..=5).contains(&steps[i]))
                .collect();
            let mean = |v: &[f64]| {
                idx.iter()
                    .map(|&i| v.get(i).copied().unwrap_or(f64::NAN))
                    .sum::<f64>()
                    / idx.len().max(1) as f64
            };
            if !idx.is_empty() {
                acc.push(mean(&a));
                shuffled.push(mean(&s));
            }
            if r.index == dmc[0].index {
                keep(&run, &["decoding"]);
            }
        }
        let held = acc
            .iter()
            .zip(&shuffled)
            .filter(|(a, s)| **a >= 0.8 && **s <= 0.65)
            .count();
        claims.push(Claim {
            id: "dmc-category-in-delay".into(),
            claim: "In delayed match-to-category the sample's category is held in the population \
                    through the delay"
                .into(),
            seed: "trajectories separate by category through the delay (fig. 6D-G)".into(),
            ours: format!(
                "decoding accuracy early in the delay {} (shuffled labels {}); {}",
                mean_sd_text(&acc, 3),
                mean_sd_text(&shuffled, 3),
                ratio_text(held, acc.len())
            ),
            verdict: Verdict::of((!acc.is_empty()).then_some(held == acc.len())),
            criterion: "cross-validated linear decoding of sample_category over the first 6 \
                        steps of the delay ≥ 0.80 with shuffled labels ≤ 0.65, in every network"
                .into(),
        });

        // 4. Dale's law.
        let ei: Vec<f64> = runs_of(rows, "PerceptualDecisionMaking")
            .iter()
            .filter_map(|r| r.accuracy)
            .collect();
        if let Some(r) = runs_of(rows, "PerceptualDecisionMaking").first() {
            let run = dir.join(&r.dir);
            analysis_json(&run, "connectivity", &[])?;
            keep(&run, &["connectivity"]);
        }
        claims.push(Claim {
            id: "dale-learns".into(),
            claim: "A network obeying Dale's law (80 % excitatory units, each unit's outgoing \
                    weights of one sign) learns the perceptual decision"
                .into(),
            seed: "E/I networks trained with Dale's law (Song et al. 2016) reproduce the \
                   decision task"
                .into(),
            ours: format!("accuracy {}", mean_sd_text(&ei, 3)),
            verdict: Verdict::of((!ei.is_empty()).then(|| ei.iter().all(|&a| a >= 0.8))),
            criterion: "accuracy on fresh trials ≥ 0.80 in every network (coherences down to \
                        0; the signs are kept by construction and tested elsewhere)"
                .into(),
        });

        // 5. Task-variance clusters and lesions.
        let mt = runs_of(rows, "+");
        let (mut ks, mut specific) = (Vec::new(), 0);
        for r in &mt {
            let run = dir.join(&r.dir);
            let j = analysis_json(&run, "task-variance", &[])?;
            ks.push(j["result"]["k"].as_f64().unwrap_or(f64::NAN));
            let lesions = j["lesion"].as_array().cloned().unwrap_or_default();
            let accs: Vec<Vec<f64>> = lesions
                .iter()
                .map(|l| {
                    l["accuracy"]
                        .as_array()
                        .map(|a| a.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
                        .unwrap_or_default()
                })
                .collect();
            if let Some((intact, clusters)) = accs.split_first() {
                let is_specific = clusters.iter().any(|c| {
                    let drops: Vec<f64> = c.iter().zip(intact).map(|(x, i)| i - x).collect();
                    drops.iter().any(|&d| d >= 0.2) && drops.iter().any(|&d| d <= 0.05)
                });
                specific += usize::from(is_specific);
            }
            if r.index == mt[0].index {
                keep(&run, &["task_variance", "task_variance_lesion"]);
            }
        }
        claims.push(Claim {
            id: "task-variance-clusters".into(),
            claim: "Units of a network trained on the 20 tasks form clusters engaged in subsets \
                    of tasks, and lesioning a cluster impairs some tasks while sparing others"
                .into(),
            seed: "12 clusters, e.g. one selective for anti-response tasks (fig. 5, Yang et al. \
                   2019)"
                .into(),
            ours: format!(
                "{} clusters; a specific lesion in {}",
                mean_sd_text(&ks, 1),
                ratio_text(specific, ks.len())
            ),
            verdict: Verdict::of(
                (!ks.is_empty()).then(|| specific == ks.len() && ks.iter().all(|&k| k >= 2.0)),
            ),
            criterion: "k-means on normalised task variance (k by silhouette); a lesion is \
                        specific when it drops one task's accuracy by ≥ 0.20 and another's by \
                        ≤ 0.05; holds when every network has ≥ 2 clusters and a specific lesion"
                .into(),
        });
        Ok((claims, figures))
    }
}
