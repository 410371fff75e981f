//! Dynamics of small networks trained inside the test: the analyses must find what theory says a
//! trained network implements.
//! - a 3-bit flip-flop network has exactly 8 stable fixed points (the cube's corners) plus saddles;
//! - a PerceptualDecisionMaking network, under the zero-coherence stimulus, has a low-dimensional
//!   slow manifold: at its slowest point one or two eigenvalues sit near marginal (|μ| = 1) and
//!   the rest of the spectrum is fast;
//! - a DelayComparison network has one in the delay: fixed points found from delay-period states
//!   under the delay input, one of them with a single mode at |μ| ≈ 1 and every other mode far
//!   from it;
//! - with no recurrent weights, the continuous-time spectrum is each state variable's own time
//!   constant.

use neurodyn_analysis::fixed_points::{self, FixedPointConfig, FixedPointResult};
use neurodyn_core::Rng;
use neurodyn_train::{record, RunConfig, Trainer};

fn train(cfg: RunConfig) -> Trainer {
    let steps = cfg.train.steps;
    let mut t = Trainer::new(cfg).expect("trainer");
    t.run(steps, |_, _| Ok(())).expect("train");
    t
}

fn frozen(t: &Trainer) -> neurodyn_nn::Frozen {
    let spec = t.task.spec();
    let mut net = neurodyn_train::model::build::<f64>(
        &t.cfg.model,
        spec.n_in,
        spec.n_out,
        spec.dt_ms,
        &mut Rng::new(0),
    )
    .expect("build");
    net.params = t.net.params.iter().map(|&v| v as f64).collect();
    neurodyn_nn::Frozen::new(net)
}

fn find(t: &mut Trainer, u: &[f64], n_starts: usize, period: Option<&str>) -> FixedPointResult {
    let trials = neurodyn_tasks::sample_trials(t.task.as_ref(), 64, 99);
    let rec = record(&mut t.net, &trials, 64).expect("record");
    let dynamics = frozen(t);
    let cfg = FixedPointConfig {
        n_starts,
        noise_std: 0.05,
        max_q: Some(1e-2),
        start_period: period.map(str::to_string),
        ..FixedPointConfig::default()
    };
    fixed_points::run_on_recording(&dynamics, &rec, u, &cfg, &mut Rng::new(5))
        .expect("fixed points")
}

/// A line attractor at the marked point (the fixed point whose slowest mode is nearest
/// marginal): the smallest distance |μ − 1| is small and far below the second smallest.
fn assert_line_attractor(r: &FixedPointResult) {
    let (g1, g2) = r.marked().expect("a point").marginal_gaps();
    assert!(
        g1 < 0.25 * g2,
        "slowest mode not isolated: |μ1 − 1| = {g1:.4}, |μ2 − 1| = {g2:.4}"
    );
    assert!(g1 < 0.05, "no near-marginal mode: |μ1 − 1| = {g1:.4}");
}

#[test]
fn flip_flop_has_eight_stable_corners() {
    let mut cfg = RunConfig::default();
    cfg.task.name = "FlipFlop".into();
    cfg.task.dt_ms = Some(20.0);
    cfg.model.activation = neurodyn_nn::Activation::Tanh;
    cfg.model.n_rec = 24;
    cfg.model.tau_ms = 20.0;
    cfg.train.steps = 800;
    let mut t = train(cfg);
    let r = find(&mut t, &[0.0, 0.0, 0.0], 512, None);
    let stable: Vec<_> = r
        .points
        .iter()
        .filter(|p| p.converged && p.linearization.stable_discrete)
        .collect();
    assert_eq!(
        stable.len(),
        8,
        "stable fixed points: {} (all points: {})",
        stable.len(),
        r.points.len()
    );
    // The readout at the stable points visits all 8 corners of the cube.
    let w = t.net.effective_w_out();
    let b = t.net.param("readout.b_out").expect("b_out").to_vec();
    let h = t.net.n_units();
    let mut corners: Vec<[bool; 3]> = stable
        .iter()
        .map(|p| {
            let y =
                |k: usize| (0..h).map(|j| w[k * h + j] as f64 * p.x[j]).sum::<f64>() + b[k] as f64;
            [y(0) > 0.0, y(1) > 0.0, y(2) > 0.0]
        })
        .collect();
    corners.sort();
    corners.dedup();
    assert_eq!(
        corners.len(),
        8,
        "stable points map to {} corners",
        corners.len()
    );
    assert!(
        r.points
            .iter()
            .any(|p| p.converged && !p.linearization.stable_discrete),
        "no saddle found"
    );
}

#[test]
fn decision_network_has_a_slow_manifold() {
    // Seeds 0–5 of this config (engine of session 3): at the slowest point the nearest mode is
    // 0.003–0.019 from marginal, one or two modes lie within 0.05, and the median mode is 0.2
    // away (1 − α: silent units). Whether the slow manifold is a line is seed-dependent: in
    // seeds 1, 3 and 4 the slowest mode is isolated (|μ1 − 1| ≤ 0.25 |μ2 − 1|, a line attractor
    // proper), in 0, 2 and 5 a second slow mode (a real pair or a slow rotation) sits beside it.
    // With the stimulus of a fixed length, nothing in training forces a line; DelayComparison
    // below, trained with variable delays, does show one in every seed tried.
    let mut cfg = neurodyn_train::recipes::recipe("PerceptualDecisionMaking", 0);
    cfg.train.steps = 600;
    let mut t = train(cfg);
    // Zero-coherence stimulus: fixation on, both stimulus channels at their mean 0.5.
    let r = find(&mut t, &[1.0, 0.5, 0.5], 256, None);
    let p = r.marked().expect("a point");
    let mut gaps: Vec<f64> = p
        .linearization
        .eigenvalues
        .iter()
        .map(|e| (e[0] - 1.0).hypot(e[1]))
        .collect();
    gaps.sort_by(f64::total_cmp);
    assert!(gaps[0] < 0.03, "no near-marginal mode: {:.4}", gaps[0]);
    let slow = gaps.iter().filter(|&&g| g < 0.05).count();
    assert!(
        slow <= 2,
        "{slow} modes within 0.05 of marginal: {:?}",
        &gaps[..slow]
    );
    let median = gaps[gaps.len() / 2];
    assert!(
        median >= 0.1,
        "the bulk of the spectrum is slow: median gap {median:.3}"
    );
}

#[test]
fn delay_comparison_network_has_a_line_attractor_in_the_delay() {
    // The recipe, with what makes memory a property of the state rather than of elapsed time:
    // delays drawn from 0.5–3 s, recurrent noise, and an L2 penalty on rates (Yang et al. 2019).
    // Seeds 0, 1 and 2 all show the line attractor with this config (engine of session 3:
    // |μ1 − 1| = 0.0011–0.0022 against |μ2 − 1| = 0.08–0.15; session 2's engine, which summed
    // some products in another order, gave 0.0015–0.0075 against 0.09–0.14); without these
    // three the network holds f1 in a slow rotation instead.
    let mut cfg = neurodyn_train::recipes::recipe("DelayComparison", 0);
    cfg.task.params.insert(
        "delay_ms".into(),
        neurodyn_tasks::ParamValue::List(vec![500.0, 1000.0, 1500.0, 2000.0, 3000.0]),
    );
    cfg.model.sigma_rec = 0.05;
    cfg.train.regularizers = vec![neurodyn_nn::Regularizer::ActivityL2 { weight: 1e-3 }];
    cfg.train.steps = 3000;
    let mut t = train(cfg);
    // Delay input: fixation on, no stimulus; starts from states visited in the delay.
    let r = find(&mut t, &[1.0, 0.0], 256, Some("delay"));
    assert!(
        r.converged().count() >= 2,
        "fixed points: {}",
        r.converged().count()
    );
    assert_line_attractor(&r);
}

#[test]
fn cells_with_hidden_state_search_from_recorded_states() {
    // LSTM [h | c] and stp-ctrnn [r | d | φ]: starts are whole recorded states (rates plus the
    // recording's state blocks), so the search runs in the network's own state space.
    for (kind, blocks) in [("lstm", 1), ("stp-ctrnn", 2)] {
        let mut cfg = RunConfig::default();
        cfg.task.name = "GoNogo".into();
        cfg.task.dt_ms = Some(100.0);
        cfg.model.kind = kind.parse().expect("a model kind");
        cfg.model.n_rec = 16;
        cfg.train.steps = 300;
        let mut t = train(cfg);
        let trials = neurodyn_tasks::sample_trials(t.task.as_ref(), 16, 7);
        let rec = record(&mut t.net, &trials, 16).expect("record");
        assert_eq!(rec.states.len(), blocks, "{kind}: state blocks");
        // Delay input: fixation on, no stimulus.
        let r = find(&mut t, &[1.0, 0.0, 0.0], 128, None);
        assert!(r.converged().count() >= 1, "{kind}: no fixed point");
        assert!(
            r.points.iter().all(|p| p.x.len() == 16 * (1 + blocks)),
            "{kind}: points live in the whole state"
        );
    }
}

/// Continuous-time eigenvalues `λ = (μ − 1)/dt` are exact for any Euler map, so a network with
/// no recurrent weights shows its own time constants: each unit's τ (per-unit τ, which one α
/// could not convert), and an STP network's synaptic recovery and facilitation constants. The
/// tutorial form, which is no Euler step of an ODE, reports none.
#[test]
fn continuous_eigenvalues_show_each_time_constant() {
    use neurodyn_analysis::fixed_points::linearize;
    use neurodyn_nn::cells::stp::Synapse;
    use neurodyn_nn::cells::{Ctrnn, CtrnnForm, StpCtrnn};
    use neurodyn_nn::{Constraint, InitialState, Network};
    let taus = |net: Network<f64>, x: &[f64]| -> Option<Vec<f64>> {
        let frozen = neurodyn_nn::Frozen::new(net);
        let lin = linearize(&frozen, x, &[0.0]).expect("linearize");
        let mut t: Vec<f64> = lin
            .continuous_eigenvalues?
            .iter()
            .map(|l| {
                assert!(l[1].abs() < 1e-9, "a real spectrum: {l:?}");
                -1000.0 / l[0]
            })
            .collect();
        t.sort_by(f64::total_cmp);
        assert_eq!(lin.marginal.time_constant_ms, t.last().copied());
        Some(t)
    };
    let net = |cell: Box<dyn neurodyn_nn::Cell<f64>>| {
        let h = cell.n_units();
        Network::new(
            cell,
            1,
            Constraint::none(1, h),
            InitialState::Zero,
            &mut Rng::new(1),
        )
    };
    for form in [CtrnnForm::Rate, CtrnnForm::State, CtrnnForm::Tutorial] {
        let mut c = Ctrnn::<f64>::new(1, 4, 20.0, 100.0, &mut Rng::new(0));
        c.form = form;
        c.tau_ms = vec![400.0, 50.0, 100.0, 200.0];
        c.w_rec_init.iter_mut().for_each(|w| *w = 0.0);
        match taus(net(Box::new(c)), &[0.0; 4]) {
            Some(t) => {
                assert_ne!(form, CtrnnForm::Tutorial);
                for (got, want) in t.iter().zip([50.0, 100.0, 200.0, 400.0]) {
                    assert!((got - want).abs() < 1e-9, "{form:?}: {t:?}");
                }
            }
            None => assert_eq!(form, CtrnnForm::Tutorial),
        }
    }
    // STP at rest with no recurrent weights: rates leak with τ, depletion recovers with τ_x and
    // facilitation decays with τ_u, for one facilitating and one depressing synapse.
    let mut c = StpCtrnn::<f64>::new(1, 2, 10.0, 100.0, &mut Rng::new(0));
    c.w_rec_init.iter_mut().for_each(|w| *w = 0.0);
    let t = taus(net(Box::new(c)), &[0.0; 6]).expect("an Euler map");
    let (f, d) = (Synapse::FACILITATING, Synapse::DEPRESSING);
    let mut want = vec![100.0, 100.0, f.tau_x_ms, f.tau_u_ms, d.tau_x_ms, d.tau_u_ms];
    want.sort_by(f64::total_cmp);
    for (got, w) in t.iter().zip(&want) {
        assert!((got - w).abs() < 1e-6 * w, "{t:?} vs {want:?}");
    }
}
