//! `spectrum`: steady states of a convolutional RNN (conv-ctrnn) and the leading eigenvalues of
//! its one-step map there, matrix-free (seed 002: Soo et al. 2024 analyse CordsNet as a
//! dynamical system with iterative eigen-methods).
//!
//! Two states, each first simulated as in training and then refined to a fixed point
//! `r* = F(r*)` by Newton–Krylov (`neurodyn_analysis::krylov::newton_krylov`; GMRES on
//! `(J − I) δ = −(F(r) − r)` from Jacobian-vector products):
//! - **spontaneous**: under a blank image, from rest for the protocol's `spont_steps`;
//! - **image**: under held-out image `--image`, for the protocol's `steps` from the
//!   spontaneous state.
//!
//! At each, Arnoldi iteration (full reorthogonalisation, Krylov dimension up to
//! `--krylov-dim`) on `J = ∂F/∂r` (`neurodyn_nn::layers::StepMap::jvp`) gives the
//! `--eigenvalues` eigenvalues μ of largest modulus, each with its Ritz residual
//! `‖J x − μ x‖` as the convergence check, the continuous-time `λ = (μ − 1)/dt` in 1/s and the
//! decay time `−1/Re λ`, and the leading eigenvector reshaped to each area's `(C, H, W)`.
//! `--at simulated` skips Newton and analyses the simulated states themselves (the states the
//! readout sees); so does a search that finds no fixed point (a network whose activity keeps
//! growing has none nearby), with a warning.
//!
//! Writes `analysis/spectrum.json` / `.npz` (`{state}_eigenvalues (k, 2)`, `{state}_residuals`,
//! `{state}_area{l}` the state, `{state}_mode_area{l}` the leading eigenvector's real part) and
//! `figures/spectrum_{state}.png|.svg` (eigenvalues near μ = 1 over the unit circle) and
//! `figures/spectrum_{state}_mode.png|.svg` (the leading mode's strongest channels).
//! `analyze RUN fixed-points` on a conv-ctrnn run runs this analysis.

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, Section};
use crate::error::{ReportError, Result};
use crate::vision_run::VisionRun;
use clap::{Args, ValueEnum};
use neurodyn_analysis::krylov::{
    arnoldi, newton_krylov, ArnoldiConfig, ArnoldiResult, FixedPointResidual, JacobianOf,
    NewtonConfig, NewtonResult,
};
use neurodyn_core::{MatrixFreeMap, Npz};
use neurodyn_nn::layers::{numel, StepMap};
use neurodyn_plot::{eigenvalues, signed_row, Boundary};
use neurodyn_train::vision::conv_rnn_run::{self, PreparedRnn};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// Where the spectrum is taken.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum At {
    /// The fixed point Newton–Krylov reaches from the simulated state.
    #[default]
    FixedPoint,
    /// The simulated state itself (end of the blank period; last step with the image).
    Simulated,
}

/// Options of `analyze RUN spectrum`.
#[derive(Args, Clone, Debug)]
pub struct SpectrumArgs {
    /// Held-out image whose steady state is analysed beside the spontaneous one.
    #[arg(long, default_value_t = 0)]
    pub image: usize,
    /// Eigenvalues of largest modulus to find.
    #[arg(long, default_value_t = 20)]
    pub eigenvalues: usize,
    /// Largest Krylov dimension of the Arnoldi iteration.
    #[arg(long, default_value_t = 300)]
    pub krylov_dim: usize,
    /// Ritz residual ‖J x − μ x‖ under which an eigenvalue counts as converged.
    #[arg(long, default_value_t = 1e-8)]
    pub tol: f64,
    /// Fixed points (Newton–Krylov) or the simulated states.
    #[arg(long, value_enum, default_value_t = At::FixedPoint)]
    pub at: At,
    /// Seed of the Arnoldi start vector.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl Default for SpectrumArgs {
    fn default() -> Self {
        SpectrumArgs {
            image: 0,
            eigenvalues: 20,
            krylov_dim: 300,
            tol: 1e-8,
            at: At::FixedPoint,
            seed: 0,
        }
    }
}

/// Steady states and leading eigenvalues of a conv-ctrnn.
pub struct Spectrum;

impl Analysis for Spectrum {
    const NAME: &'static str = "spectrum";
    const ABOUT: &'static str = "Conv-ctrnn runs: steady states (Newton–Krylov) and the leading eigenvalues of the one-step map there (Arnoldi, matrix-free).";
    type Input = VisionRun;
    type Options = SpectrumArgs;
    fn defaults(acts: &VisionRun) -> Option<SpectrumArgs> {
        (acts.responses.is_none() && conv_rnn_run::is_run(&acts.dir))
            .then(SpectrumArgs::default)
    }
    fn run(acts: &VisionRun, options: &SpectrumArgs) -> Result<Outcome> {
        run_spectrum(acts.model_dir("spectrum")?, options).map(Outcome::Done)
    }
}

/// One analysed state.
struct StateResult {
    name: &'static str,
    state: Vec<f64>,
    newton: Option<NewtonResult>,
    /// `‖F(r) − r‖` at the analysed state.
    step_residual: f64,
    spectrum: ArnoldiResult,
    seconds: f64,
}

/// `steps` steps of `map` from `r` (in place).
fn simulate(map: &mut StepMap<'_>, r: &mut Vec<f64>, steps: usize) {
    let mut next = vec![0.0; r.len()];
    for _ in 0..steps {
        map.step(r, &mut next);
        std::mem::swap(r, &mut next);
    }
}

fn analyse_state(
    name: &'static str,
    map: &mut StepMap<'_>,
    start: &[f64],
    a: &SpectrumArgs,
) -> Result<StateResult> {
    let t0 = Instant::now();
    let newton = match a.at {
        At::FixedPoint => Some(newton_krylov(
            &mut FixedPointResidual(map),
            start,
            &NewtonConfig::default(),
        )?),
        At::Simulated => None,
    };
    // Without a fixed point, the state the network visits (not wherever Newton stopped).
    let state = match &newton {
        Some(n) if n.converged => n.x.clone(),
        _ => start.to_vec(),
    };
    let mut next = vec![0.0; state.len()];
    map.step(&state, &mut next);
    let step_residual = next
        .iter()
        .zip(&state)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt();
    let cfg = ArnoldiConfig {
        n_eigenvalues: a.eigenvalues,
        max_dim: a.krylov_dim,
        tol: a.tol,
        seed: a.seed,
        ..ArnoldiConfig::default()
    };
    let spectrum = arnoldi(&mut JacobianOf(map), &cfg)?;
    Ok(StateResult {
        name,
        state,
        newton,
        step_residual,
        spectrum,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

fn modulus(z: &[f64; 2]) -> f64 {
    z[0].hypot(z[1])
}

fn run_spectrum(dir: &Path, a: &SpectrumArgs) -> Result<Section> {
    if a.eigenvalues == 0 || a.krylov_dim < a.eigenvalues {
        return Err(ReportError::Options(format!(
            "spectrum: --eigenvalues ≥ 1 and --krylov-dim ≥ --eigenvalues, got {} and {}",
            a.eigenvalues, a.krylov_dim
        )));
    }
    if !(a.tol > 0.0 && a.tol.is_finite()) {
        return Err(ReportError::Options(format!(
            "spectrum: --tol must be > 0, got {}",
            a.tol
        )));
    }
    if !conv_rnn_run::is_run(dir) {
        return Err(ReportError::Run(format!(
            "spectrum needs a convolutional RNN (model kind conv-ctrnn); {} is a feed-forward \
             vision run, which has no dynamics",
            dir.display()
        )));
    }
    let p: PreparedRnn = conv_rnn_run::load_run(dir)?;
    let n_test = p.data.test.len();
    if a.image >= n_test {
        return Err(ReportError::Options(format!(
            "spectrum: --image {} but the run has {n_test} held-out images (0..{})",
            a.image,
            n_test.saturating_sub(1)
        )));
    }
    let net = &p.net.net;
    let params: Vec<f64> = p.net.params.iter().map(|&v| f64::from(v)).collect();
    let dt_ms = p.cfg.model.dt_ms.unwrap_or(2.0);
    let mut pixels = vec![0.0f32; p.data.test.image_len()];
    p.data
        .test
        .normalize_into(&[a.image], &p.norm.mean, &p.norm.std, &mut pixels);
    let image: Vec<f64> = pixels.iter().map(|&v| f64::from(v)).collect();
    let label = p.data.test.labels()[a.image];
    let blank = vec![0.0; numel(net.in_shape())];
    let n = net.state_len();
    // Spontaneous: from rest under the blank image, as in training.
    let mut r = vec![0.0; n];
    let mut blank_map = StepMap::new(net, &params, &blank);
    simulate(&mut blank_map, &mut r, p.net.protocol.spont_steps);
    let spont_sim = r.clone();
    let spont = analyse_state("spontaneous", &mut blank_map, &spont_sim, a)?;
    // The image, from the simulated spontaneous state.
    let mut image_map = StepMap::new(net, &params, &image);
    let mut ri = spont_sim;
    simulate(&mut image_map, &mut ri, p.net.protocol.steps);
    let img = analyse_state("image", &mut image_map, &ri, a)?;
    let results = [spont, img];
    write(dir, a, &p, &results, dt_ms, label)
}

fn write(
    dir: &Path,
    a: &SpectrumArgs,
    p: &PreparedRnn,
    results: &[StateResult],
    dt_ms: f64,
    label: u8,
) -> Result<Section> {
    let net = &p.net.net;
    let shapes = net.area_shapes();
    let off = net.area_offsets();
    let dt_s = dt_ms / 1000.0;
    let mut z = Npz::new();
    let mut states_json = Vec::new();
    let mut numbers = Vec::new();
    let mut warnings = Vec::new();
    let mut figures = Vec::new();
    let mut files = Vec::new();
    for s in results {
        let sp = &s.spectrum;
        let k = sp.eigenvalues.len();
        let flat: Vec<f64> = sp.eigenvalues.iter().flat_map(|z| [z[0], z[1]]).collect();
        z.f64(&format!("{}_eigenvalues", s.name), &[k, 2], flat)?;
        z.f64(
            &format!("{}_residuals", s.name),
            &[k],
            sp.residuals.clone(),
        )?;
        let mut areas_json = Vec::new();
        let mode_norm2: f64 = sp.leading_re.iter().map(|v| v * v).sum();
        for (l, sh) in shapes.iter().enumerate() {
            let (lo, hi) = (off[l], off[l + 1]);
            let st = &s.state[lo..hi];
            let mode = &sp.leading_re[lo..hi];
            z.f64(&format!("{}_area{l}", s.name), sh, st.to_vec())?;
            z.f64(&format!("{}_mode_area{l}", s.name), sh, mode.to_vec())?;
            let share = mode.iter().map(|v| v * v).sum::<f64>() / mode_norm2.max(f64::MIN_POSITIVE);
            areas_json.push(json!({
                "area": l,
                "shape": sh,
                "mean_rate": st.iter().sum::<f64>() / st.len() as f64,
                "max_rate": st.iter().copied().fold(0.0, f64::max),
                "active_fraction": st.iter().filter(|&&v| v > 0.0).count() as f64 / st.len() as f64,
                "leading_mode_share": share,
            }));
        }
        let lambda: Vec<[f64; 2]> = sp
            .eigenvalues
            .iter()
            .map(|m| [(m[0] - 1.0) / dt_s, m[1] / dt_s])
            .collect();
        let tau_ms: Vec<Option<f64>> = lambda
            .iter()
            .map(|l| (l[0] < 0.0).then(|| -1000.0 / l[0]))
            .collect();
        let lead = sp.eigenvalues[0];
        let stable = modulus(&lead) < 1.0;
        let converged_all = sp.n_converged == k;
        if !converged_all {
            warnings.push(format!(
                "{}: {} of {k} eigenvalues converged to a Ritz residual ≤ {:e} within a Krylov \
                 dimension of {} (raise --krylov-dim); the largest residual is {:.1e}",
                s.name,
                sp.n_converged,
                a.tol,
                sp.krylov_dim,
                sp.residuals.iter().copied().fold(0.0, f64::max)
            ));
        }
        if let Some(nw) = &s.newton {
            if !nw.converged {
                warnings.push(format!(
                    "{}: Newton–Krylov did not reach a fixed point ({}; ‖F(r) − r‖ = {:.2e}); \
                     the spectrum is taken at the simulated state",
                    s.name, nw.stop, nw.residual
                ));
            }
        }
        let what = match s.name {
            "image" => format!("image {}, class {}", a.image, label),
            _ => "blank image".into(),
        };
        numbers.push((
            format!("{} state", s.name),
            format!(
                "{what}: {} (‖F(r) − r‖ = {:.1e}{})",
                match (&s.newton, a.at) {
                    (Some(nw), _) if nw.converged => "fixed point",
                    (Some(_), _) => "no fixed point found; simulated state",
                    (None, _) => "simulated state",
                },
                s.step_residual,
                s.newton
                    .as_ref()
                    .map(|nw| format!(", {} Newton steps", nw.iterations))
                    .unwrap_or_default()
            ),
        ));
        numbers.push((
            format!("{} leading μ", s.name),
            format!(
                "{} {} (|μ| = {}; {}, {} of {k} converged, Krylov dimension {}, {:.1} s)",
                fmt3(lead[0]),
                if lead[1] != 0.0 {
                    format!("{} {}i", if lead[1] < 0.0 { "−" } else { "+" }, fmt3(lead[1].abs()))
                } else {
                    String::new()
                },
                fmt3(modulus(&lead)),
                if stable { "stable" } else { "unstable" },
                sp.n_converged,
                sp.krylov_dim,
                s.seconds
            ),
        ));
        if let Some(t) = tau_ms[0] {
            numbers.push((
                format!("{} slowest decay", s.name),
                format!("{} ms (λ = {} /s)", fmt3(t), fmt3(lambda[0][0])),
            ));
        }
        states_json.push(json!({
            "state": s.name,
            "image": (s.name == "image").then_some(a.image),
            "label": (s.name == "image").then_some(label),
            "newton": s.newton,
            "step_residual": s.step_residual,
            "stable": stable,
            "eigenvalues": sp.eigenvalues,
            "modulus": sp.eigenvalues.iter().map(modulus).collect::<Vec<_>>(),
            "continuous_eigenvalues_per_s": lambda,
            "time_constants_ms": tau_ms,
            "ritz_residuals": sp.residuals,
            "n_converged": sp.n_converged,
            "krylov_dim": sp.krylov_dim,
            "invariant_subspace": sp.invariant,
            "jacobian_products": sp.n_products,
            "leading_residual": sp.leading_residual,
            "areas": areas_json,
            "seconds": s.seconds,
        }));
        // Figures: the eigenvalues near 1, and the leading mode's strongest channels.
        let stem = crate::common::fig_in(dir, &format!("spectrum_{}", s.name))?;
        let eigs: Vec<(f64, f64)> = sp.eigenvalues.iter().map(|z| (z[0], z[1])).collect();
        eigenvalues(
            &stem,
            &format!(
                "{}: the {k} eigenvalues of largest |μ| ({what})",
                s.name
            ),
            &eigs,
            Boundary::UnitCircleNearOne,
            Some(0),
        )?;
        figures.push(stem.with_extension("svg"));
        files.extend(fig_files(&stem));
        let stem = crate::common::fig_in(dir, &format!("spectrum_{}_mode", s.name))?;
        mode_figure(&stem, s, &shapes, &off)?;
        figures.push(stem.with_extension("svg"));
        files.extend(fig_files(&stem));
    }
    let json = json!({
        "model": "conv-ctrnn",
        "state_len": net.state_len(),
        "areas": shapes,
        "dt_ms": dt_ms,
        "at": match a.at { At::FixedPoint => "fixed-point", At::Simulated => "simulated" },
        "arnoldi": {"eigenvalues": a.eigenvalues, "max_krylov_dim": a.krylov_dim, "tol": a.tol, "seed": a.seed},
        "states": states_json,
    });
    let mut all = crate::common::save_in(dir, "spectrum", &json, Some(&z))?;
    all.extend(files);
    Ok(Section {
        name: "spectrum".into(),
        title: "Steady states and their leading eigenvalues".into(),
        note: format!(
            "Fixed points of the one-step map under a blank image and under held-out image {} \
             (Newton–Krylov from the simulated states), and the eigenvalues μ of largest modulus \
             of its Jacobian there (Arnoldi on Jacobian-vector products; |μ| < 1 decays, \
             λ = (μ − 1)/dt). The mode figure shows the leading eigenvector's strongest \
             channels.",
            a.image
        ),
        figures,
        numbers,
        files: all,
        warnings,
    })
}

/// The leading eigenvector's strongest channels (up to 6, with their share of the area's norm)
/// in the area that holds most of it, on one symmetric colour scale.
fn mode_figure(
    stem: &Path,
    s: &StateResult,
    shapes: &[neurodyn_nn::layers::Shape],
    off: &[usize],
) -> Result<()> {
    let mode = &s.spectrum.leading_re;
    let energy = |l: usize| mode[off[l]..off[l + 1]].iter().map(|v| v * v).sum::<f64>();
    let l = (0..shapes.len())
        .max_by(|&a, &b| energy(a).total_cmp(&energy(b)))
        .unwrap_or(0);
    let [c, h, w] = shapes[l];
    let area = &mode[off[l]..off[l + 1]];
    let total = energy(l).max(f64::MIN_POSITIVE);
    let mut chans: Vec<(usize, f64)> = (0..c)
        .map(|ch| {
            let e = area[ch * h * w..(ch + 1) * h * w]
                .iter()
                .map(|v| v * v)
                .sum::<f64>();
            (ch, e)
        })
        .collect();
    chans.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    chans.truncate(6);
    let images: Vec<Vec<f64>> = chans
        .iter()
        .map(|&(ch, _)| area[ch * h * w..(ch + 1) * h * w].to_vec())
        .collect();
    let labels: Vec<String> = chans
        .iter()
        .map(|&(ch, e)| format!("ch {ch} ({:.0} %)", 100.0 * e / total))
        .collect();
    signed_row(
        stem,
        &format!(
            "{}: leading mode (μ = {}), area {l}",
            s.name,
            fmt3(s.spectrum.eigenvalues[0][0])
        ),
        &images,
        (h, w),
        &labels,
        "eigenvector",
    )?;
    Ok(())
}
