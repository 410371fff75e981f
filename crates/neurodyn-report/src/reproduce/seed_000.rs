//! Seed 000 ("Bridging ANNs and neuroscience"): the CTRNN of its experiments 1–2, trained on a
//! NeuroGym task with the mutual-information loss and studied with `activity`, `pca` and
//! `fixed-points`, and the CNN its experiments 3–7 study, trained on the embedded MNIST digits
//! (`sweeps/seed-000.toml`, 3 seeds of each), each experiment's claim tested with the analysis
//! of the same name on every network (`rdm`, `predictivity`, `layer-decoding`, `encoding`,
//! `tuning`, `actmax`, `dprime`). "Layer 3" is `fc1` (120 units; its ReLU's output `8_relu`
//! where the seed reads activations), counting the two convolutions as layers 1 and 2.

use super::{analysis_json, mean_sd_text, Claim, Reproduction, Verdict};
use crate::error::Result;
use neurodyn_train::sweep::{json_text, ResultRow};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The committed sweep.
const SWEEP: &str = include_str!("../../../../sweeps/seed-000.toml");

/// Seed 000.
pub struct Seed000;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
        .unwrap_or_default()
}

impl Reproduction for Seed000 {
    fn name(&self) -> &'static str {
        "seed-000"
    }

    fn title(&self) -> &'static str {
        "Seed 000, bridging ANNs and neuroscience: a CNN on MNIST digits studied like a brain \
         (RDMs per layer, decoding, encoding, tuning, signal detection)."
    }

    fn committed(&self) -> &'static str {
        SWEEP
    }

    fn quick(&self) -> (&'static str, &'static str) {
        (
            "[0]",
            "eval.n_record = 200\n[zip]\ntrain = [{ epochs = 1, max_train_images = 500 }, \
             { steps = 150, loss = { kind = \"mutual-information\" } }]\n",
        )
    }

    fn claims(
        &self,
        dir: &Path,
        rows: &[ResultRow],
        _quick: bool,
    ) -> Result<(Vec<Claim>, Vec<PathBuf>)> {
        let kind = |r: &&ResultRow| r.values.get("model.kind").map(json_text);
        let done: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| r.accuracy.is_some() && kind(r).as_deref() != Some("ctrnn"))
            .collect();
        let rnn: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| r.accuracy.is_some() && kind(r).as_deref() == Some("ctrnn"))
            .collect();
        let mut figures = Vec::new();
        let mut claims = rnn_claims(dir, &rnn, &mut figures)?;
        let (mut rising, mut first, mut last) = (0, Vec::new(), Vec::new());
        let (mut unit2, mut best) = (Vec::new(), Vec::new());
        let (mut fc1, mut fc1_shuffled) = (Vec::new(), Vec::new());
        let (mut near, mut far, mut nearer) = (Vec::new(), Vec::new(), 0);
        // Exp. 5a: fc1 unit 2's responses as counts (mean 10).
        let (mut fano, mut poisson_best, mut poisson_kept, mut p_values) =
            (Vec::new(), 0, 0, Vec::new());
        // Exp. 6: every fc1 unit under rotation; unit 2 and the layer.
        let (mut si2, mut tuned, mut narrow, mut units_n) = (Vec::new(), Vec::new(), Vec::new(), 0);
        // Exp. 4's figure: pixels optimised to drive unit 2 of layer 4 (fc2).
        let (mut am_before, mut am_after, mut am_above, mut am_ok) =
            (Vec::new(), Vec::new(), Vec::new(), 0);
        let fc1_units: String = (0..120)
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join(",");
        for (k, r) in done.iter().enumerate() {
            let run = dir.join(&r.dir);
            let rdm = analysis_json(&run, "rdm", &[])?;
            let ci: Vec<f64> = rdm["layers"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|x| x["category_index"].as_f64().unwrap_or(f64::NAN))
                        .collect()
                })
                .unwrap_or_default();
            if let (Some(a), Some(b)) = (ci.first(), ci.last()) {
                first.push(*a);
                last.push(*b);
                rising += usize::from(ci.windows(2).all(|w| w[1] > w[0]));
            }
            let dp = analysis_json(
                &run,
                "dprime",
                &["--layer", "fc1", "--classes", "1,7", "--unit", "2"],
            )?;
            let d = numbers(&dp["result"]["d_prime"]);
            if let Some(v) = d.get(2) {
                unit2.push(*v);
            }
            // The d′ of the unit with the largest |d′| (signed in the JSON).
            if let Some(m) = dp["result"]["max_abs_d_prime"].as_f64() {
                best.push(m.abs());
            }
            let dec = analysis_json(&run, "layer-decoding", &[])?;
            if let Some(l) = dec["layers"]
                .as_array()
                .and_then(|l| l.iter().find(|x| x["name"] == "fc1"))
            {
                fc1.push(l["accuracy"].as_f64().unwrap_or(f64::NAN));
                fc1_shuffled.push(l["shuffled"].as_f64().unwrap_or(f64::NAN));
            }
            // Exp. 4: fc1 from conv2 (adjacent) against fc3 from conv1 (the farthest pair).
            let pr = analysis_json(&run, "predictivity", &[])?;
            let names: Vec<&str> = pr["layers"]
                .as_array()
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let at = |a: &str, b: &str| -> Option<f64> {
                let (i, j) = (
                    names.iter().position(|n| *n == a)?,
                    names.iter().position(|n| *n == b)?,
                );
                pr["median_r"][i][j].as_f64()
            };
            if let (Some(a), Some(b)) = (at("conv2", "fc1"), at("conv1", "fc3")) {
                near.push(a);
                far.push(b);
                nearer += usize::from(a > b);
            }
            let enc = analysis_json(&run, "encoding", &["--layer", "8_relu", "--unit", "2"])?;
            let e = &enc["result"];
            fano.push(e["fano"].as_f64().unwrap_or(f64::NAN));
            poisson_best += usize::from(e["best_aic"] == "poisson");
            let p = e["chi_square"]["p_value"].as_f64().unwrap_or(f64::NAN);
            poisson_kept += usize::from(p >= 0.05);
            p_values.push(p);
            let tun = analysis_json(
                &run,
                "tuning",
                &[
                    "--layer",
                    "8_relu",
                    "--units",
                    &fc1_units,
                    "--transform",
                    "rotation",
                ],
            )?;
            let units = tun["result"]["units"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let si: Vec<f64> = units
                .iter()
                .map(|u| u["selectivity_index"].as_f64().unwrap_or(f64::NAN))
                .collect();
            if let Some(v) = si.get(2) {
                si2.push(*v);
            }
            units_n = si.len();
            tuned.push(si.iter().filter(|&&v| v >= 0.5).count() as f64);
            narrow.push(
                units
                    .iter()
                    .filter(|u| {
                        u["circular"]["circular_variance"]
                            .as_f64()
                            .is_some_and(|c| c <= 0.5)
                    })
                    .count() as f64,
            );
            let am = analysis_json(&run, "actmax", &["--layer", "fc2", "--unit", "2"])?;
            let (b, a) = (
                am["mean_before"].as_f64().unwrap_or(f64::NAN),
                am["mean_after"].as_f64().unwrap_or(f64::NAN),
            );
            let above = am["starts_above_heldout_max"].as_f64().unwrap_or(0.0);
            am_before.push(b);
            am_after.push(a);
            am_above.push(above);
            am_ok += usize::from(a >= 2.0 * b.max(0.0) && a > b && above >= 1.0);
            if k == 0 {
                for f in [
                    "rdm",
                    "dprime",
                    "layer_decoding",
                    "predictivity",
                    "encoding",
                    "tuning",
                    "actmax_images",
                ] {
                    let png = run.join(format!("figures/{f}.png"));
                    if png.exists() {
                        figures.push(png);
                    }
                }
            }
        }
        let n = done.len();
        claims.extend([
            Claim {
                id: "rdm-category-rises".into(),
                claim: "Class structure in the representational dissimilarities grows with depth, \
                        to clear class boundaries at the output"
                    .into(),
                seed: "layers 1-2 capture basic features, deeper layers form clusters, the output \
                       shows clear class boundaries (exp. 3, fig. 3)"
                    .into(),
                ours: format!(
                    "category index {} at conv1, {} at the output; rising at every layer in {rising} \
                     of {n} networks",
                    mean_sd_text(&first, 3),
                    mean_sd_text(&last, 3)
                ),
                verdict: Verdict::of((n > 0).then_some(rising == n)),
                criterion: "correlation-distance RDMs of 20 held-out images per class; the category \
                            index (mean between-class minus mean within-class dissimilarity) \
                            increases from each layer to the next in every network"
                    .into(),
            },
            Claim {
                id: "layer3-decoding".into(),
                claim: "A linear decoder reads the digit from layer 3 (fc 120)".into(),
                seed: "94.23 % with logistic regression (exp. 5b)".into(),
                ours: format!(
                    "{} (shuffled labels {})",
                    mean_sd_text(&fc1, 3),
                    mean_sd_text(&fc1_shuffled, 3)
                ),
                verdict: Verdict::of((!fc1.is_empty()).then(|| fc1.iter().all(|&a| a >= 0.94))),
                criterion: "multinomial logistic regression (L2, C = 1) on the standardised fc1 \
                            outputs of the recorded held-out images, stratified 5-fold \
                            cross-validated; ≥ 0.94 in every network"
                    .into(),
            },
            Claim {
                id: "layer-predictivity".into(),
                claim: "One layer's activity is predicted by a linear map of another's, best \
                        between neighbouring layers"
                    .into(),
                seed: "S₂ predicted by linear regression from S₁ (exp. 4; no number given)".into(),
                ours: format!(
                    "median held-out r: fc1 from conv2 {}, fc3 from conv1 {}; neighbours better \
                     in {nearer} of {n} networks",
                    mean_sd_text(&near, 3),
                    mean_sd_text(&far, 3)
                ),
                verdict: Verdict::of((!near.is_empty()).then_some(nearer == near.len())),
                criterion: "ridge regression (α = 1) from one layer's outputs to each unit of \
                            another, 5-fold cross-validated by class; the median over units of \
                            the held-out Pearson r is higher for conv2 → fc1 than for conv1 → fc3 \
                            in every network"
                    .into(),
            },
            Claim {
                id: "poisson-encoding".into(),
                claim: "A layer-3 unit's activations follow a Poisson distribution".into(),
                seed: "neuron 2 of layer 3 fits a Poisson well (exp. 5a, fig. 5a)".into(),
                ours: format!(
                    "unit 2 of fc1: Fano factor {}; the Poisson has the lowest AIC in \
                     {poisson_best} of {n}, and χ² keeps it (p ≥ 0.05) in {poisson_kept} of {n} \
                     (p {})",
                    mean_sd_text(&fano, 1),
                    p_values
                        .iter()
                        .map(|&p| if p < 1e-3 {
                            "< 0.001".to_string()
                        } else {
                            format!("{p:.3}")
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                verdict: Verdict::of(
                    (!fano.is_empty()).then_some(poisson_best == n && poisson_kept == n),
                ),
                criterion: "unit 2 of fc1 (after its ReLU) on 500 held-out images, its activations \
                            scaled to counts with mean 10 (k = round(a·S)); Poisson, Gaussian and \
                            gamma fitted by maximum likelihood: the Poisson must have the lowest \
                            AIC and Pearson's χ² must not reject it at 0.05, in every network"
                    .into(),
            },
            Claim {
                id: "rotation-tuning".into(),
                claim: "A layer-3 unit is tuned to the rotation of the digit".into(),
                seed: "distinct peaks at specific angles (exp. 6, fig. 5b)".into(),
                ours: format!(
                    "selectivity index of unit 2: {}; units of fc1 with an index ≥ 0.5: {} of \
                     {units_n}, with one narrow peak (circular variance ≤ 0.5): {}",
                    mean_sd_text(&si2, 2),
                    mean_sd_text(&tuned, 0),
                    mean_sd_text(&narrow, 0)
                ),
                verdict: Verdict::of(
                    (!tuned.is_empty()).then(|| tuned.iter().all(|&t| t >= 1.0)),
                ),
                criterion: "500 held-out digits rotated 0…345° in 15° steps; a unit's tuning curve \
                            is its mean response (after fc1's ReLU) at each angle, its selectivity \
                            index (max − min)/(max + min); tuned means ≥ 0.5 (peak at least 3× the \
                            trough); some unit of fc1 is tuned in every network"
                    .into(),
            },
            Claim {
                id: "actmax".into(),
                claim: "Pixels optimised by Adam drive a layer-4 unit far beyond what random \
                        images do"
                    .into(),
                seed: "random images activate the neuron weakly; after optimisation certain \
                       images activate it strongly (exp. 4, fig. 4)"
                    .into(),
                ours: format!(
                    "unit 2 of fc2: mean {} on the random starts, {} after 200 Adam steps; starts \
                     beyond the largest held-out activation: {} of 8",
                    mean_sd_text(&am_before, 1),
                    mean_sd_text(&am_after, 1),
                    mean_sd_text(&am_above, 1)
                ),
                verdict: Verdict::of((!am_after.is_empty()).then_some(am_ok == am_after.len())),
                criterion: "8 seeded random starts, Adam on the pixels (clamped to the valid \
                            range) through the network's backward pass; the optimised mean is at \
                            least twice the starts' and some optimised image drives the unit \
                            beyond every one of 500 held-out digits, in every network"
                    .into(),
            },
            Claim {
                id: "dprime-1-vs-7".into(),
                claim: "A layer-3 unit separates the digits 1 and 7 strongly".into(),
                seed: "d′ = 2.52 for neuron 2 of layer 3 (exp. 7, fig. 5c)".into(),
                ours: format!(
                    "unit 2: d′ {}; the layer's largest |d′| {}",
                    mean_sd_text(&unit2, 2),
                    mean_sd_text(&best, 2)
                ),
                verdict: Verdict::of((!best.is_empty()).then(|| best.iter().all(|&b| b >= 2.52))),
                criterion: "unit numbers differ between networks, so: some fc1 unit reaches |d′| ≥ \
                            2.52 between the held-out 1s and 7s in every network"
                    .into(),
            },
        ]);
        Ok((claims, figures))
    }
}

/// Experiments 1–2 on the CTRNNs: the task learned with the mutual-information loss, activity
/// settling under a held input, low-dimensional activity whose PCA separates the choices, and
/// the fixed points with their line attractor (or its absence).
fn rnn_claims(dir: &Path, rows: &[&ResultRow], figures: &mut Vec<PathBuf>) -> Result<Vec<Claim>> {
    let (mut acc, mut settle, mut k90, mut split) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut lines, mut stable, mut leading, mut reasons) = (0, Vec::new(), Vec::new(), Vec::new());
    for (k, r) in rows.iter().enumerate() {
        let run = dir.join(&r.dir);
        acc.push(r.accuracy.unwrap_or(f64::NAN));
        let loaded = crate::common::RecurrentRun::load(&run)?;
        settle.push(settling_ratio(&loaded)?);
        analysis_json(&run, "activity", &[])?;
        analysis_json(&run, "pca", &[])?;
        let (dims, choice) = pca_dims_and_choice(&loaded.rec)?;
        k90.push(dims);
        split.push(choice);
        let fp = analysis_json(&run, "fixed-points", &[])?;
        let sm = &fp["summary"];
        stable.push(sm["n_stable_discrete"].as_f64().unwrap_or(f64::NAN));
        leading.push(sm["leading_abs_mu"].as_f64().unwrap_or(f64::NAN));
        if sm["line_attractor"]["found"].as_bool() == Some(true) {
            lines += 1;
        } else if let Some(f) = sm["line_attractor"]["failed"]
            .as_array()
            .and_then(|f| f.first())
        {
            reasons.push(f.as_str().unwrap_or_default().to_string());
        }
        if k == 0 {
            for f in [
                "activity",
                "pca_2d",
                "fixed_points_pca",
                "fixed_points_eigenvalues",
            ] {
                let png = run.join(format!("figures/{f}.png"));
                if png.exists() {
                    figures.push(png);
                }
            }
        }
    }
    let n = rows.len();
    let all = |v: &[f64], ok: fn(f64) -> bool| (n > 0).then(|| v.iter().all(|&x| ok(x)));
    Ok(vec![
        Claim {
            id: "rnn-learns-with-mi-loss".into(),
            claim: "A CTRNN trained on a NeuroGym decision task with the mutual-information loss \
                    learns it"
                .into(),
            seed: "test accuracy 99.32 % with the mutual-information loss (its task unnamed)"
                .into(),
            ours: format!("accuracy {} on fresh trials", mean_sd_text(&acc, 3)),
            verdict: Verdict::of(all(&acc, |a| a >= 0.85)),
            criterion: "PerceptualDecisionMaking's recipe with the loss `mutual-information` \
                        (cross-entropy minus the mutual information between label and \
                        prediction); ≥ 0.85 in every network: a fifth of its trials have \
                        coherence 0 and no correct answer, so no network reaches 99 %"
                .into(),
        },
        Claim {
            id: "rnn-activity-settles".into(),
            claim: "Under an input held constant, the network's activity settles after an \
                    initial transient"
                .into(),
            seed: "activity stabilises after an initial transient phase (exp. 1, fig. 1a)".into(),
            ours: format!(
                "settles in {} of {n}: speed in the last second of 10 s / its peak in the first \
                 second, per network: {}",
                settle.iter().filter(|&&r| r < 0.01).count(),
                settle
                    .iter()
                    .map(|r| format!("{r:.2e}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            verdict: Verdict::of(all(&settle, |s| s < 0.01)),
            criterion: "the network run from rest for 10 s on the fixation input alone (the \
                        first step's input of a recorded trial), speed = ‖r(t) − r(t−1)‖ per \
                        step; holds when the ratio is below 0.01 in every network (a ratio \
                        above 1: the activity grows; training trials last about 2 s)"
                .into(),
        },
        Claim {
            id: "rnn-pca-low-dimensional".into(),
            claim: "PCA reduces the activity to a few dimensions in which the choices form \
                    separate clusters"
                .into(),
            seed: "PCA reduces the activity into clusters reflecting distinct states (exp. 1, \
                   fig. 1b)"
                .into(),
            ours: format!(
                "{} PCs hold 90 % of the variance; choice decoded from PCs 1-2 at the \
                 stimulus's end: {}",
                mean_sd_text(&k90, 1),
                mean_sd_text(&split, 3)
            ),
            verdict: Verdict::of(
                (n > 0).then(|| k90.iter().all(|&k| k <= 10.0) && split.iter().all(|&a| a >= 0.8)),
            ),
            criterion: "PCA over every step of the recorded test trials; ≤ 10 PCs for 90 % and \
                        cross-validated decoding of ground_truth from the first two PCs at the \
                        last stimulus step ≥ 0.80 (zero-coherence trials cap it near 0.9), in \
                        every network"
                .into(),
        },
        Claim {
            id: "rnn-line-attractor".into(),
            claim: "The fixed points of the trained network lie on a line attractor, along the \
                    eigenvector of its eigenvalue nearest 1"
                .into(),
            seed: "fixed points in PCA space, trajectories converging to them, the largest \
                   eigenvalue's eigenvector defining the line attractor (exp. 2, fig. 2)"
                .into(),
            ours: format!(
                "found in {lines} of {n}; stable fixed points {}; leading |μ| at the marked \
                 point {}{}",
                mean_sd_text(&stable, 1),
                mean_sd_text(&leading, 3),
                reasons
                    .first()
                    .map_or(String::new(), |r| format!("; otherwise: {r}"))
            ),
            verdict: Verdict::of((n > 0).then_some(lines * 2 > n)),
            criterion: "`analyze RUN fixed-points` under the mean stimulus input of the \
                        zero-coherence trials: ≥ 3 slow points on a line (≥ 90 % of their \
                        variance), one slow mode aligned with it, none unstable; holds in a \
                        majority of networks"
                .into(),
        },
    ])
}

/// The run's network run from rest for 10 s on its first recorded input held constant: the
/// mean speed ‖r(t) − r(t−1)‖ over the last second over the peak speed in the first second.
fn settling_ratio(rr: &crate::common::RecurrentRun) -> Result<f64> {
    let rec = &rr.rec;
    let second = (1000.0 / rr.spec.dt_ms).round().max(1.0) as usize;
    let (n, h) = (10 * second, rec.n_units);
    let mut loaded = neurodyn_train::load_run::<f64>(&rr.dir)?;
    let x: Vec<f64> = (0..n)
        .flat_map(|_| rec.inputs[..rec.n_in].iter().map(|&v| f64::from(v)))
        .collect();
    let mut ws = neurodyn_nn::Workspace::default();
    loaded.net.forward(&mut ws, &x, n, 1, None, None, false);
    let speed: Vec<f64> = (1..=n)
        .map(|t| {
            let (a, b) = (&ws.rates[(t - 1) * h..t * h], &ws.rates[t * h..(t + 1) * h]);
            a.iter()
                .zip(b)
                .map(|(p, q)| (q - p).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let peak = speed[..second].iter().copied().fold(0.0, f64::max);
    let tail = speed[n - second..].iter().sum::<f64>() / second as f64;
    Ok(if peak > 0.0 { tail / peak } else { 0.0 })
}

/// The number of PCs that hold 90 % of the recorded activity's variance, and the
/// cross-validated decoding of the choice from the first two PCs at the stimulus's last step.
fn pca_dims_and_choice(rec: &neurodyn_core::Recording) -> Result<(f64, f64)> {
    use neurodyn_analysis::pca::{self, PcaConfig};
    let p = pca::run(
        rec,
        &PcaConfig {
            n_components: None,
            ..PcaConfig::default()
        },
    )?;
    let ratios = &p.pca.explained_variance_ratio;
    let mut cum = 0.0;
    let k90 = ratios
        .iter()
        .position(|v| {
            cum += v;
            cum >= 0.9
        })
        .map_or(f64::NAN, |i| (i + 1) as f64);
    let c = ratios.len();
    let first_two = p
        .projected
        .chunks(c.max(1))
        .flat_map(|row| row.iter().take(2).map(|&v| v as f32))
        .collect();
    let pcs = super::with_features(rec, 2.min(c), first_two);
    let acc = super::decode_at(&pcs, "ground_truth", "decision", -1..=-1)?;
    Ok((k90, acc))
}
