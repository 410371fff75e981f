//! `analyze RUN fixed-points`: fixed and slow points of the trained network under a constant
//! input (Sussillo & Barak 2013; `neurodyn_analysis::fixed_points`), searched from states
//! sampled on the recorded trajectories, on the network frozen in f64 (`neurodyn_nn::Frozen`).
//!
//! The constant input `u`:
//! - `--input-vector 1,0.5,0.5`: exactly this (one value per input channel);
//! - `--input stimulus-zero-coherence` (default): the mean input over the `stimulus` period of
//!   the recorded trials whose evidence label (`TaskSpec::evidence_label`) is exactly 0, so the
//!   input noise averages out and no evidence is left: for PerceptualDecisionMaking fixation = 1
//!   with both stimulus channels at 0.5 (± noise/√samples). Without zero-evidence trials, the mean
//!   over all trials (zero net evidence when the task's conditions are balanced);
//! - `--input period-mean --period NAME`: the same mean over any period;
//! - `--input zero`: all zeros.
//!
//! Each point is reported with `q`, stability as a map (`max|μ| < 1`) and in continuous time
//! (`max Re λ < 0`, `λ = (μ − 1)/dt`, for networks that are Euler steps of an ODE), its leading
//! |μ| and number of growing modes (stable, saddle), what the readout says there (the choice, or
//! the outputs' signs: a flip-flop's stored bits), its eigenvalues and the marginal (slowest)
//! mode. The answers a scientist asks for come first:
//! - **line attractor: found / not found**, by the explicit test of
//!   `neurodyn_analysis::fixed_points::line_attractor` (slow points along one direction, spanning
//!   the trajectories, with one mode at |μ| ≈ 1 along the line and the rest decaying), with the
//!   number behind each criterion and, when not found, every criterion that failed;
//! - **stable fixed points by readout**: e.g. "8 distinct of 8 possible" for the 3-bit flip-flop
//!   (each stored memory is a stable point).
//!
//! Figures:
//! `fixed_points_eigenvalues` (spectrum at the marked point — see `FixedPointResult::marked` — with the unit circle) and
//! `fixed_points_pca` (points over the trajectories in PC space, with the line attractor drawn
//! end to end when found, else the slowest mode's direction at the marked point).
//! For the `state` CTRNN form the starts are recorded rates, not states (an approximation).
//!
//! On a conv-ctrnn run (thousands of rates, no dense Jacobian) this runs `spectrum`: fixed points
//! by Newton–Krylov and leading eigenvalues by Arnoldi (`--seed` its start vector).

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, RecurrentRun, Section};
use crate::view::{RunKind, RunView};
use super::pca::{coloring, fit, pc_label, trajs};
use crate::error::{Context, ReportError, Result};
use clap::{Args, ValueEnum};
use neurodyn_analysis::fixed_points::{
    self, FixedPointConfig, FixedPointResult, LineAttractor, LineCriteria,
};
use neurodyn_analysis::pca::PcaResult;
use neurodyn_core::{Recording, Rng};
use neurodyn_nn::Frozen;
use neurodyn_plot::{
    eigenvalues, trajectories_2d, Boundary, LegendPos, Marker, MarkerKind, Segment, TrajPlot,
};
use serde_json::json;

/// Which constant input.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputKind {
    /// Mean input over the stimulus period of the zero-evidence trials (all trials if none).
    #[default]
    StimulusZeroCoherence,
    /// Mean input over `--period` of all recorded trials.
    PeriodMean,
    /// All zeros.
    Zero,
}

/// Options of `analyze RUN fixed-points`.
#[derive(Args, Debug, Clone)]
pub struct FixedPointArgs {
    /// The constant input.
    #[arg(long, value_enum, default_value_t = InputKind::StimulusZeroCoherence)]
    pub input: InputKind,
    /// Period for `--input period-mean`.
    #[arg(long, default_value = "stimulus")]
    pub period: String,
    /// An explicit input, one value per channel (overrides --input), e.g. 1,0.5,0.5.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub input_vector: Option<Vec<f64>>,
    /// Number of starts sampled from the recorded trajectories.
    #[arg(long, default_value_t = 128)]
    pub n_starts: usize,
    /// Seed of the start sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Sample starts only from states inside this period (e.g. `delay`); default: every step.
    #[arg(long)]
    pub starts_period: Option<String>,
}

impl Default for FixedPointArgs {
    fn default() -> Self {
        FixedPointArgs {
            input: InputKind::default(),
            period: "stimulus".into(),
            input_vector: None,
            n_starts: 128,
            seed: 0,
            starts_period: None,
        }
    }
}

impl FixedPointArgs {
    /// Defaults for the run: the zero-evidence stimulus input when the task has a `stimulus`
    /// period, else the mean input over its first period after `fixation` (or its only one).
    pub fn default_for(ctx: &RecurrentRun) -> FixedPointArgs {
        let periods: Vec<&str> = ctx.rec.periods.iter().map(|(n, _)| n.as_str()).collect();
        if periods.contains(&"stimulus") || periods.is_empty() {
            return FixedPointArgs::default();
        }
        let p = periods
            .iter()
            .find(|&&n| n != "fixation")
            .unwrap_or(&periods[0]);
        FixedPointArgs {
            input: InputKind::PeriodMean,
            period: (*p).to_string(),
            ..FixedPointArgs::default()
        }
    }
}

/// Mean input over `period` of every trial that has it and passes `keep`.
fn period_mean(rec: &Recording, period: &str, keep: &dyn Fn(usize) -> bool) -> Result<Vec<f64>> {
    if !rec.periods.iter().any(|(n, _)| n == period) {
        let have: Vec<&str> = rec.periods.iter().map(|(n, _)| n.as_str()).collect();
        return Err(ReportError::Options(format!(
            "the recording has no period '{period}' (it has: {}); use --period or --input-vector",
            have.join(", ")
        )));
    }
    let mut sum = vec![0.0; rec.n_in];
    let mut n = 0usize;
    for i in (0..rec.n_trials).filter(|&i| keep(i)) {
        if let Some((s, e)) = rec.period(period, i) {
            for t in s..e.min(rec.trial_len[i]) {
                let o = (i * rec.n_steps + t) * rec.n_in;
                sum.iter_mut()
                    .zip(&rec.inputs[o..o + rec.n_in])
                    .for_each(|(a, &v)| *a += v as f64);
                n += 1;
            }
        }
    }
    if n == 0 {
        return Err(ReportError::Options(format!("period '{period}' is empty in every recorded trial")));
    }
    Ok(sum.into_iter().map(|v| v / n as f64).collect())
}

/// Whether the recording has a period called `name`.
fn has_period(rec: &Recording, name: &str) -> bool {
    rec.periods.iter().any(|(p, _)| p == name)
}

/// The constant input the options describe, and a description of it.
pub fn build_input(
    rec: &Recording,
    evidence: Option<&str>,
    a: &FixedPointArgs,
) -> Result<(Vec<f64>, String)> {
    if let Some(v) = &a.input_vector {
        if v.len() != rec.n_in {
            return Err(ReportError::Options(format!(
                "--input-vector has {} values but the network has {} inputs",
                v.len(),
                rec.n_in
            )));
        }
        return Ok((v.clone(), "given vector".into()));
    }
    Ok(match a.input {
        InputKind::Zero => (vec![0.0; rec.n_in], "zero".into()),
        InputKind::StimulusZeroCoherence if !has_period(rec, "stimulus") => {
            // A memory task without a stimulus period (FlipFlop, DelayComparison): what the
            // network holds is held in its delay, so the delay's input, else none at all.
            if has_period(rec, "delay") {
                (
                    period_mean(rec, "delay", &|_| true)?,
                    "mean input over the delay period (the task has no stimulus period)".into(),
                )
            } else {
                (
                    vec![0.0; rec.n_in],
                    "zero (the task has no stimulus or delay period)".into(),
                )
            }
        }
        InputKind::StimulusZeroCoherence => {
            // Trials whose evidence is exactly 0, when the task has an evidence label and such trials.
            let zero: Option<Vec<bool>> = evidence
                .and_then(|l| rec.label(l))
                .map(|c| c.values.iter().map(|&v| v == 0.0).collect::<Vec<_>>())
                .filter(|z| z.iter().any(|&b| b));
            match zero {
                Some(z) => (
                    period_mean(rec, "stimulus", &|i| z[i])?,
                    "mean input over the stimulus period of the zero-evidence trials".into(),
                ),
                None => (
                    period_mean(rec, "stimulus", &|_| true)?,
                    "mean input over the stimulus period".into(),
                ),
            }
        }
        InputKind::PeriodMean => (
            period_mean(rec, &a.period, &|_| true)?,
            format!("mean input over the {} period", a.period),
        ),
    })
}

/// Project a state onto the first two PCs.
fn project2(res: &PcaResult, x: &[f64]) -> [f64; 2] {
    let p = &res.pca;
    std::array::from_fn(|d| {
        if d >= p.n_components {
            return 0.0;
        }
        let c = &p.components[d * p.n_features..(d + 1) * p.n_features];
        c.iter()
            .zip(x)
            .zip(&p.mean)
            .map(|((w, v), m)| w * (v - m))
            .sum()
    })
}

/// The analysis, or why it does not apply to this run's cell.
fn search(ctx: &RecurrentRun, a: &FixedPointArgs) -> Result<std::result::Result<Section, String>> {
    let (u, input_desc) = build_input(&ctx.rec, ctx.spec.evidence_label.as_deref(), a)?;
    let loaded = neurodyn_train::load_run::<f64>(&ctx.dir)
        .with_context(|| format!("cannot load the network of {}", ctx.dir.display()))?;
    let cell = &loaded.net.cell;
    let recorded = cell.n_units() * (1 + cell.state_blocks().len());
    if cell.state_len() != recorded {
        return Ok(Err(format!(
            "fixed points are searched in a network's whole state, and a {}'s state has {} values \
             per sample beside its {} rates that recordings do not keep (a Hebbian trace is n² \
             values per step)",
            cell.kind(),
            cell.state_len() - cell.n_units(),
            cell.n_units()
        )));
    }
    let frozen = Frozen::new(loaded.net);
    let cfg = FixedPointConfig {
        n_starts: a.n_starts.max(1),
        start_period: a.starts_period.clone(),
        n_threads: 2,
        ..FixedPointConfig::default()
    };
    let mut rng = Rng::new(a.seed);
    let res = fixed_points::run_on_recording(&frozen, &ctx.rec, &u, &cfg, &mut rng)?;
    let best = res
        .marked()
        .context("the fixed-point search kept no point")?;
    let lin = &best.linearization;
    let abs = |z: [f64; 2]| z[0].hypot(z[1]);
    let line = fixed_points::line_attractor_on_recording(
        &res.points,
        &ctx.rec,
        &LineCriteria::default(),
    );
    let readouts: Vec<String> = res
        .points
        .iter()
        .map(|p| readout_label(&ctx.spec, &frozen.output(&p.x)))
        .collect();
    let table: Vec<serde_json::Value> = res
        .points
        .iter()
        .zip(&readouts)
        .map(|(p, r)| {
            json!({
                "q": p.q,
                "converged": p.converged,
                "stable": p.linearization.stable_discrete,
                "leading_abs_mu": leading(p),
                "unstable_modes": unstable_modes(p),
                "readout": r,
            })
        })
        .collect();
    let stable_readouts: std::collections::BTreeMap<&str, usize> = res
        .converged()
        .zip(&readouts)
        .filter(|(p, _)| p.linearization.stable_discrete)
        .fold(Default::default(), |mut m, (_, r)| {
            *m.entry(r.as_str()).or_insert(0) += 1;
            m
        });
    let possible = possible_readouts(&ctx.spec);
    let summary = json!({
        "input_kind": input_desc,
        "input": u,
        "n_points": res.points.len(),
        "n_converged": res.converged().count(),
        "n_stable_discrete": res.points.iter().filter(|p| p.converged && p.linearization.stable_discrete).count(),
        "n_stable_continuous": lin.stable_continuous.map(|_| res.points.iter().filter(|p| p.converged && p.linearization.stable_continuous == Some(true)).count()),
        "marked_q": best.q,
        "marked_marginal_gaps": best.marginal_gaps(),
        "marginal_mu": lin.marginal.mu,
        "marginal_abs_mu": abs(lin.marginal.mu),
        "marginal_lambda_per_s": lin.marginal.lambda,
        "marginal_time_constant_ms": lin.marginal.time_constant_ms,
        "leading_abs_mu": leading(best),
        "marked_unstable_modes": unstable_modes(best),
        "line_attractor": &line,
        "stable_fixed_points_by_readout": &stable_readouts,
        "distinct_readouts_possible": possible,
    });
    let mut files = ctx.save(
        "fixed_points",
        &json!({"summary": summary, "points": table, "result": &res}),
        Some(&res.to_npz()?),
    )?;

    let eigs: Vec<(f64, f64)> = lin.eigenvalues.iter().map(|z| (z[0], z[1])).collect();
    let stem_e = ctx.fig("fixed_points_eigenvalues")?;
    let title = format!(
        "Jacobian spectrum at the marked point ({}); slowest mode |μ| = {:.3}",
        stability_words(best),
        abs(lin.marginal.mu)
    );
    eigenvalues(
        &stem_e,
        &title,
        &eigs,
        Boundary::UnitCircle,
        Some(lin.marginal.index),
    )?;
    let stem_z = ctx.fig("fixed_points_eigenvalues_near_one")?;
    eigenvalues(
        &stem_z,
        "The same spectrum near μ = 1 (Re μ ≥ 0.5)",
        &eigs,
        Boundary::UnitCircleNearOne,
        Some(lin.marginal.index),
    )?;

    let pca = fit(ctx)?;
    let stem_p = ctx.fig("fixed_points_pca")?;
    pca_figure(ctx, &pca, &res, &line, &stem_p)?;
    for s in [&stem_e, &stem_z, &stem_p] {
        files.extend(fig_files(s));
    }
    let in_plane = {
        let d = &lin.marginal.direction;
        let p = &pca.pca;
        (0..2.min(p.n_components))
            .map(|k| {
                p.components[k * p.n_features..(k + 1) * p.n_features]
                    .iter()
                    .zip(d)
                    .map(|(c, v)| c * v)
                    .sum::<f64>()
                    .powi(2)
            })
            .sum::<f64>()
            .sqrt()
    };
    let stable = |p: &fixed_points::FixedPoint| p.linearization.stable_discrete;
    Ok(Ok(Section {
        name: "fixed_points".into(),
        title: "Fixed points".into(),
        note: format!(
            "Fixed points under a constant input ({input_desc}: [{}]), searched from {} states on the recorded \
             trajectories. First figure: eigenvalues μ of the Jacobian at the marked point (the fixed point whose \
             slowest mode is nearest marginal, or the lowest-q slow point if none converged) with the unit circle; the \
             highlighted one is nearest |μ| = 1 (the slowest mode); second, the same near μ = 1. Third: the points over the trajectories in PC \
             space (filled = stable, hollow = unstable, cross = slow point) and the slowest mode's direction at the \
             marked point ({:.0}% of its length lies in the PC 1–2 plane).",
            u.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(", "),
            res.n_starts,
            100.0 * in_plane
        ),
        figures: vec![
            stem_e.with_extension("svg"),
            stem_z.with_extension("svg"),
            stem_p.with_extension("svg"),
        ],
        numbers: vec![
            ("line attractor".into(), line_words(&line, lin.marginal.lambda.map(|_| ctx.spec.dt_ms))),
            (
                "stable fixed points by what the readout says there".into(),
                readout_words(&stable_readouts, possible),
            ),
            (
                "fixed points: stability and leading |μ| (first 8)".into(),
                res.converged()
                    .zip(&readouts)
                    .take(8)
                    .map(|(p, r)| format!("{} → {r}", stability_words(p)))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            (
                "marked point".into(),
                format!("{}, q = {:.1e}", stability_words(best), best.q),
            ),
            (
                "fixed points (q < 1e-12) / slow points kept".into(),
                format!("{} / {}", res.converged().count(), res.points.len() - res.converged().count()),
            ),
            (
                "stable fixed points (map / continuous time)".into(),
                format!(
                    "{} / {}",
                    res.converged().filter(|p| stable(p)).count(),
                    match lin.stable_continuous {
                        Some(_) => res
                            .converged()
                            .filter(|p| p.linearization.stable_continuous == Some(true))
                            .count()
                            .to_string(),
                        None => "n/a (not an Euler map)".into(),
                    }
                ),
            ),
            (
                "slowest mode (|μ| nearest 1) at the marked point: |μ|, λ = (μ − 1)/dt in 1/s, its decay time −1/Re λ"
                    .into(),
                format!(
                    "{:.4}, {}, {}",
                    abs(lin.marginal.mu),
                    lin.marginal.lambda.map_or("n/a".into(), |l| if l[1] == 0.0 {
                        fmt3(l[0])
                    } else {
                        format!("{} ± {}i", fmt3(l[0]), fmt3(l[1].abs()))
                    }),
                    match (lin.marginal.lambda, lin.marginal.time_constant_ms) {
                        (None, _) => "n/a".into(),
                        (Some(_), None) => "none (not decaying)".into(),
                        (Some(_), Some(t)) => format!("{} ms", fmt3(t)),
                    }
                ),
            ),
        ],
        files,
        warnings: Vec::new(),
    }))
}

/// The largest |μ| of a point's Jacobian.
fn leading(p: &fixed_points::FixedPoint) -> f64 {
    p.linearization
        .eigenvalues
        .iter()
        .map(|z| z[0].hypot(z[1]))
        .fold(0.0, f64::max)
}

/// Modes with |μ| > 1 (growing).
fn unstable_modes(p: &fixed_points::FixedPoint) -> usize {
    p.linearization
        .eigenvalues
        .iter()
        .filter(|z| z[0].hypot(z[1]) > 1.0)
        .count()
}

/// "stable (leading |μ| 0.952)" or "saddle, 2 unstable modes (leading |μ| 1.042)".
fn stability_words(p: &fixed_points::FixedPoint) -> String {
    let k = unstable_modes(p);
    let kind = match (k, p.linearization.eigenvalues.len()) {
        (0, _) => "stable".to_string(),
        (k, n) if k == n => "unstable (every mode grows)".to_string(),
        (1, _) => "saddle, 1 unstable mode".to_string(),
        (k, _) => format!("saddle, {k} unstable modes"),
    };
    format!("{kind} (leading |μ| {:.3})", leading(p))
}

/// What the readout says at a state: the choice (argmax) for class targets, the signs of the
/// outputs for continuous ones (a flip-flop's memory).
fn readout_label(spec: &neurodyn_tasks::TaskSpec, y: &[f64]) -> String {
    if spec.categorical {
        let k = (0..y.len())
            .max_by(|&a, &b| y[a].total_cmp(&y[b]))
            .unwrap_or(0);
        spec.output_names
            .get(k)
            .cloned()
            .unwrap_or_else(|| format!("output {k}"))
    } else {
        let signs: String = y.iter().map(|&v| if v >= 0.0 { '+' } else { '−' }).collect();
        format!("({signs})")
    }
}

/// How many distinct readouts there can be: the outputs for class targets, 2^outputs for
/// continuous ones (up to 10 outputs).
fn possible_readouts(spec: &neurodyn_tasks::TaskSpec) -> Option<usize> {
    if spec.categorical {
        Some(spec.n_out)
    } else if spec.n_out <= 10 {
        Some(1 << spec.n_out)
    } else {
        None
    }
}

fn readout_words(by: &std::collections::BTreeMap<&str, usize>, possible: Option<usize>) -> String {
    if by.is_empty() {
        return "none".into();
    }
    let list = by
        .iter()
        .map(|(r, n)| format!("{r} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    match possible {
        Some(p) => format!("{} distinct of {p} possible: {list}", by.len()),
        None => format!("{} distinct: {list}", by.len()),
    }
}

/// The line-attractor verdict in a sentence with its numbers.
fn line_words(l: &LineAttractor, dt_ms: Option<f64>) -> String {
    if l.found {
        format!(
            "found: {} slow points along one direction ({:.0} % of their variance), spanning {:.0} % \
             of the trajectories' extent; slowest mode |μ| {:.4} against {:.4} for the next ({:.1}× \
             nearer 1), aligned with the line (|cos| {:.2})",
            l.points.len(),
            100.0 * l.explained,
            100.0 * l.extent_ratio,
            l.slowest_abs_mu,
            l.second_abs_mu,
            l.gap_ratio,
            l.alignment
        )
    } else {
        let mut words = format!("not found: {}", l.failed.join("; "));
        if l.slowest_rotation > 1e-6 {
            // A rotating pair: the state spirals slowly instead of resting on a line.
            let turn = match dt_ms {
                Some(dt) => format!(
                    "{:.2} Hz",
                    l.slowest_rotation / (2.0 * std::f64::consts::PI * dt * 1e-3)
                ),
                None => format!("{:.3} rad per step", l.slowest_rotation),
            };
            words.push_str(&format!(
                "; the slowest mode at the slow points is a rotating pair ({turn}, |μ| {:.4}): the state spirals rather than resting on a line",
                l.slowest_abs_mu
            ));
        }
        words
    }
}

fn pca_figure(
    ctx: &RecurrentRun,
    pca: &PcaResult,
    res: &FixedPointResult,
    line: &LineAttractor,
    stem: &std::path::Path,
) -> Result<()> {
    let c = coloring(ctx);
    let mut markers = Vec::new();
    for p in &res.points {
        let kind = match (p.converged, p.linearization.stable_discrete) {
            (true, true) => MarkerKind::Filled,
            (true, false) => MarkerKind::Hollow,
            (false, _) => MarkerKind::Cross,
        };
        let label = match kind {
            MarkerKind::Filled => "stable fixed point",
            MarkerKind::Hollow => "unstable fixed point",
            MarkerKind::Cross => "slow point",
        };
        markers.push(Marker {
            pos: project2(pca, &p.x),
            kind,
            label: label.into(),
        });
    }
    let mut segments = Vec::new();
    if line.found {
        // The line through its slow points, end to end.
        let along: Vec<f64> = line
            .points
            .iter()
            .map(|&k| {
                res.points[k]
                    .x
                    .iter()
                    .zip(&line.centre)
                    .zip(&line.direction)
                    .map(|((x, c), d)| (x - c) * d)
                    .sum()
            })
            .collect();
        let lo = along.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = along.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let at = |a: f64| {
            project2(
                pca,
                &line
                    .centre
                    .iter()
                    .zip(&line.direction)
                    .map(|(c, d)| c + a * d)
                    .collect::<Vec<_>>(),
            )
        };
        segments.push(Segment {
            from: at(lo),
            to: at(hi),
            label: format!("line attractor ({} slow points)", line.points.len()),
        });
    } else if let Some(best) = res.marked() {
        let d = &best.linearization.marginal.direction;
        let centre = project2(pca, &best.x);
        let tip = project2(
            pca,
            &best.x.iter().zip(d).map(|(x, v)| x + v).collect::<Vec<_>>(),
        );
        let dir = [tip[0] - centre[0], tip[1] - centre[1]];
        let len = dir[0].hypot(dir[1]);
        // Draw the direction over ±30 % of the trajectories' extent along PC 1.
        let extent = (0..pca.n_trials)
            .flat_map(|i| {
                (0..pca.trial_len[i])
                    .map(move |t| pca.projected[(i * pca.n_steps + t) * pca.pca.n_components])
            })
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let half = 0.3 * (extent.1 - extent.0).max(1e-9);
        if len > 1e-12 {
            let s = half / len;
            segments.push(Segment {
                from: [centre[0] - s * dir[0], centre[1] - s * dir[1]],
                to: [centre[0] + s * dir[0], centre[1] + s * dir[1]],
                label: format!(
                    "slowest mode (|μ| = {:.3})",
                    best.linearization.marginal.mu[0].hypot(best.linearization.marginal.mu[1])
                ),
            });
        }
    }
    let plot = TrajPlot::<2> {
        title: "Fixed points in PC space".into(),
        axis_labels: [pc_label(pca, 0), pc_label(pca, 1)],
        trajs: trajs(pca, &c),
        markers,
        segments,
        mark_start: false,
        colormap: c.colormap,
        colorbar: c.colorbar,
        legend: LegendPos::Auto,
    };
    trajectories_2d(stem, &plot)?;
    Ok(())
}

/// `analyze RUN fixed-points` (skipped for cells whose states the recording does not keep).
pub struct FixedPoints;

impl Analysis for FixedPoints {
    const NAME: &'static str = "fixed-points";
    const ABOUT: &'static str = "Fixed points under a constant input, their stability and the line-attractor direction (a conv-ctrnn: its steady states and spectra).";
    type Input = RunView;
    type Options = FixedPointArgs;
    fn defaults(view: &RunView) -> Option<FixedPointArgs> {
        match view.kind() {
            RunKind::Recurrent => Some(FixedPointArgs::default_for(view.recurrent().ok()?)),
            // `spectrum` finds a conv-ctrnn's fixed points in `analyze RUN all`.
            RunKind::Vision => None,
        }
    }
    fn run(view: &RunView, options: &FixedPointArgs) -> Result<Outcome> {
        match view.kind() {
            RunKind::Recurrent => Ok(match search(view.recurrent()?, options)? {
                Ok(section) => Outcome::Done(section),
                Err(why) => Outcome::Skipped(why),
            }),
            // A convolutional RNN's state has thousands of rates: its fixed points come from
            // Newton–Krylov and its spectra from Arnoldi, in `spectrum`.
            RunKind::Vision => {
                let acts = view.vision()?;
                let spectrum = super::spectrum::SpectrumArgs {
                    seed: options.seed,
                    ..super::spectrum::SpectrumArgs::default()
                };
                <super::spectrum::Spectrum as Analysis>::run(acts, &spectrum)
            }
        }
    }
}
