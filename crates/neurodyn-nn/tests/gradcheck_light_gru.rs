//! Finite-difference gradient checks (f64) for the light-GRU and its ENU and EI variants, with
//! batch norm in training mode (batch statistics, whose backward couples the samples) and in
//! evaluation mode (running statistics), plus the running-statistics update itself.

mod common;
use common::tiny_batch;
use neurodyn_core::Rng;
use neurodyn_nn::cells::light_gru::DEFAULT_BN_STEPS;
use neurodyn_nn::cells::LightGru;
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::{Constraint, InitialState, Loss, Network, Objective, Regularizer, Workspace};

const N_IN: usize = 3;
const H: usize = 4;
const N_OUT: usize = 3;

/// Central differences for every parameter with the objective evaluated in `training` mode and no
/// rng (so no noise is drawn; in training mode batch norm uses the batch statistics). Returns the
/// largest relative error and where it occurred.
fn check_mode(
    net: &mut Network<f64>,
    obj: &Objective,
    b: BatchRef<'_>,
    training: bool,
) -> (f64, String) {
    let eps = 1e-5;
    let mut ws = Workspace::default();
    let mut g = vec![0.0; net.params.len()];
    obj.evaluate(net, &mut ws, b, None, None, training, Some(&mut g));
    let mut worst = (0.0, String::new());
    for (pi, spec) in net.layout.specs.clone().iter().enumerate() {
        for k in net.layout.range(pi) {
            let w0 = net.params[k];
            net.params[k] = w0 + eps;
            let lp = obj
                .evaluate(net, &mut ws, b, None, None, training, None)
                .total();
            net.params[k] = w0 - eps;
            let lm = obj
                .evaluate(net, &mut ws, b, None, None, training, None)
                .total();
            net.params[k] = w0;
            let num = (lp - lm) / (2.0 * eps);
            let rel = (g[k] - num).abs() / (g[k].abs() + num.abs()).max(1e-6);
            if rel > worst.0 {
                worst = (
                    rel,
                    format!(
                        "{}[{}] analytic {:.6e} numeric {num:.6e}",
                        spec.name,
                        k - net.layout.offsets[pi],
                        g[k]
                    ),
                );
            }
        }
    }
    worst
}

fn objective() -> Objective {
    Objective {
        regularizers: vec![Regularizer::ActivityL2 { weight: 0.05 }],
        ..Objective::default()
    }
}

/// Perturb γ and β away from 1 and 0 so that their gradients are not special cases, and give the
/// network a non-zero trained initial state.
fn net(mut cell: LightGru<f64>, seed: u64) -> Network<f64> {
    cell.w_in_init.iter_mut().for_each(|v| *v *= 2.0);
    cell.c_in.conn = Some(
        (0..cell.c_in.rows * N_IN)
            .map(|k| if k % 5 == 2 { 0.0 } else { 1.0 })
            .collect(),
    );
    let mut n = Network::new(
        Box::new(cell),
        N_OUT,
        Constraint::none(N_OUT, H),
        InitialState::Trainable,
        &mut Rng::new(seed),
    );
    let mut rng = Rng::new(seed + 100);
    for name in ["cell.bn_gamma", "cell.bn_beta", "h0"] {
        let r = n.layout.range_of(name).expect("parameter");
        for v in &mut n.params[r] {
            *v += rng.uniform_range(-0.4, 0.4);
        }
    }
    n
}

fn variants() -> Vec<(&'static str, LightGru<f64>)> {
    let mut enu_ei = LightGru::enu(N_IN, H, 3, &mut Rng::new(4));
    enu_ei.set_dale(0.75, &mut Rng::new(5));
    vec![
        ("light-gru", LightGru::new(N_IN, H, &mut Rng::new(1))),
        ("enu-light-gru", LightGru::enu(N_IN, H, 2, &mut Rng::new(2))),
        (
            "ei-light-gru",
            LightGru::ei(N_IN, H, 0.75, &mut Rng::new(3)),
        ),
        ("enu-ei-light-gru", enu_ei),
    ]
}

#[test]
fn training_mode_batch_statistics() {
    let b = tiny_batch(6, 4, N_IN, N_OUT, 21);
    for (name, cell) in variants() {
        let mut n = net(cell, 7);
        for (obj, batch, what) in [
            (objective(), b.class_ref(), "ce"),
            (
                Objective {
                    loss: Loss::Mse,
                    ..objective()
                },
                b.value_ref(),
                "mse",
            ),
        ] {
            let (err, at) = check_mode(&mut n, &obj, batch, true);
            eprintln!("{name} training {what}: max rel err {err:.2e} ({at})");
            assert!(
                err < 1e-5,
                "{name} training {what}: gradient mismatch {err:.3e} at {at}"
            );
        }
    }
}

/// A batch of one sample in training: σ² = 0, so every normalised input is 0 and the candidate
/// and gate see only γ·0 + β plus their recurrent parts; gradients still check, and the running
/// variance decays towards 0 while the running mean follows the sample.
#[test]
fn training_with_a_single_sample() {
    let b = tiny_batch(4, 1, N_IN, N_OUT, 25);
    for (name, cell) in variants() {
        let mut n = net(cell, 9);
        let (err, at) = check_mode(&mut n, &objective(), b.class_ref(), true);
        assert!(
            err < 1e-5,
            "{name} batch 1: gradient mismatch {err:.3e} at {at}"
        );
    }
    let mut n: Network<f64> = Network::new(
        Box::new(LightGru::new(N_IN, H, &mut Rng::new(12))),
        N_OUT,
        Constraint::none(N_OUT, H),
        InitialState::Zero,
        &mut Rng::new(13),
    );
    let w_in = n.param("cell.w_in").expect("w_in").to_vec();
    let mut ws = Workspace::default();
    n.forward(&mut ws, &b.inputs, 4, 1, None, None, true);
    let range = |name: &str| n.buffer_layout.range_of(name).expect("buffer");
    let (mean, var) = (
        &n.buffers[range("bn_running_mean")],
        &n.buffers[range("bn_running_var")],
    );
    for t in 0..4 {
        for j in 0..2 * H {
            let a: f64 = (0..N_IN)
                .map(|k| w_in[j * N_IN + k] * b.inputs[t * N_IN + k] as f64)
                .sum();
            let k = t * 2 * H + j;
            assert!(
                (mean[k] - 0.1 * a).abs() < 1e-12,
                "step {t} feature {j}: mean {}",
                mean[k]
            );
            assert!(
                (var[k] - 0.9).abs() < 1e-12,
                "step {t} feature {j}: var {}",
                var[k]
            );
        }
    }
}

#[test]
fn evaluation_mode_running_statistics() {
    let b = tiny_batch(6, 3, N_IN, N_OUT, 22);
    for (name, cell) in variants() {
        let mut n = net(cell, 8);
        // Move the running statistics away from (0, 1) with a few training forwards.
        let mut ws = Workspace::default();
        for _ in 0..3 {
            objective().evaluate(&mut n, &mut ws, b.class_ref(), None, None, true, None);
        }
        let (err, at) = check_mode(&mut n, &objective(), b.class_ref(), false);
        eprintln!("{name} evaluation: max rel err {err:.2e} ({at})");
        assert!(
            err < 1e-5,
            "{name} evaluation: gradient mismatch {err:.3e} at {at}"
        );
    }
}

/// Masked ENU weights, masked inputs and autapses get exactly zero gradient; Dale signs hold in
/// the effective weights.
#[test]
fn masks_get_no_gradient_and_dale_signs_hold() {
    let b = tiny_batch(5, 3, N_IN, N_OUT, 23);
    let mut cell = LightGru::enu(N_IN, H, 2, &mut Rng::new(9));
    cell.set_dale(0.5, &mut Rng::new(10));
    let mut n = net(cell, 11);
    let mut ws = Workspace::default();
    let mut g = vec![0.0; n.params.len()];
    objective().evaluate(
        &mut n,
        &mut ws,
        b.class_ref(),
        None,
        None,
        true,
        Some(&mut g),
    );
    let r = n.layout.range_of("cell.w_emb").expect("w_emb");
    let he = H * 2;
    let mut nonzero = 0;
    for (k, v) in g[r].iter().enumerate() {
        if (k % he) / 2 != k / he {
            assert_eq!(*v, 0.0, "off-block ENU weight {k} got gradient");
        } else if *v != 0.0 {
            nonzero += 1;
        }
    }
    assert!(nonzero > 0, "block ENU weights got no gradient at all");
    let r = n.layout.range_of("cell.w_rec_h").expect("w_rec_h");
    for i in 0..H {
        assert_eq!(g[r.start + i * H + i], 0.0, "autapse {i} got gradient");
    }
    // Effective U_h: columns 0..H/2 excitatory (≥ 0), the rest inhibitory (≤ 0), zero diagonal.
    let eff = n.effective();
    let (g_w, n_in) = (H + he, N_IN);
    let u_h = &eff[g_w * n_in + g_w + H * H..g_w * n_in + g_w + 2 * H * H];
    for i in 0..H {
        for j in 0..H {
            let w = u_h[i * H + j];
            if i == j {
                assert_eq!(w, 0.0);
            } else if j < H / 2 {
                assert!(w >= 0.0, "E weight ({i},{j}) = {w}");
            } else {
                assert!(w <= 0.0, "I weight ({i},{j}) = {w}");
            }
        }
    }
}

/// One training forward of T steps applies T momentum updates with each step's batch mean and
/// unbiased variance; an evaluation forward leaves the statistics alone.
#[test]
fn running_statistics_follow_pytorch_rule() {
    let (t_steps, batch) = (3, 5);
    let b = tiny_batch(t_steps, batch, N_IN, N_OUT, 24);
    // With one row (the seed's shared statistics) every step updates it; with one row per step
    // (the default) step t updates row t, and the rows past the steps trained stay at 0 / 1.
    for rows in [1, 8] {
        let cell = LightGru::new(N_IN, H, &mut Rng::new(12)).with_bn_steps(rows);
        let mut n = Network::new(
            Box::new(cell),
            N_OUT,
            Constraint::none(N_OUT, H),
            InitialState::Zero,
            &mut Rng::new(13),
        );
        let w_in = n.param("cell.w_in").expect("w_in").to_vec();
        let buf = |n: &Network<f64>, name: &str| -> Vec<f64> {
            n.buffers[n.buffer_layout.range_of(name).expect("buffer")].to_vec()
        };
        let mut ws = Workspace::default();
        n.forward(&mut ws, &b.inputs, t_steps, batch, None, None, false);
        assert_eq!(buf(&n, "bn_running_mean"), vec![0.0; rows * 2 * H]);
        assert_eq!(buf(&n, "bn_running_var"), vec![1.0; rows * 2 * H]);
        assert_eq!(buf(&n, "bn_steps_trained"), [0.0]);
        n.forward(&mut ws, &b.inputs, t_steps, batch, None, None, true);
        let (mut mean, mut var) = (vec![0.0; rows * 2 * H], vec![1.0; rows * 2 * H]);
        for t in 0..t_steps {
            let row = t.min(rows - 1) * 2 * H;
            for j in 0..2 * H {
                let a: Vec<f64> = (0..batch)
                    .map(|s| {
                        (0..N_IN)
                            .map(|k| {
                                w_in[j * N_IN + k] * b.inputs[(t * batch + s) * N_IN + k] as f64
                            })
                            .sum::<f64>()
                    })
                    .collect();
                let mu = a.iter().sum::<f64>() / batch as f64;
                let v = a.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / (batch - 1) as f64;
                mean[row + j] = 0.9 * mean[row + j] + 0.1 * mu;
                var[row + j] = 0.9 * var[row + j] + 0.1 * v;
            }
        }
        let (got_mean, got_var) = (buf(&n, "bn_running_mean"), buf(&n, "bn_running_var"));
        for k in 0..rows * 2 * H {
            assert!(
                (got_mean[k] - mean[k]).abs() < 1e-12 && (got_var[k] - var[k]).abs() < 1e-12,
                "rows {rows}, entry {k}: mean {} vs {}, var {} vs {}",
                got_mean[k],
                mean[k],
                got_var[k],
                var[k]
            );
        }
        assert_eq!(buf(&n, "bn_steps_trained"), [t_steps.min(rows) as f64]);
    }
}

/// With per-step statistics, a network evaluated on the batch it was trained on behaves as in
/// training once the running statistics have settled; with statistics shared by all steps it
/// does not (its running statistics average over steps whose inputs differ).
#[test]
fn per_step_statistics_make_evaluation_match_training() {
    let (t_steps, batch) = (6, 400);
    // Inputs whose mean and spread change from step to step, like a task's periods.
    let mut b = tiny_batch(t_steps, batch, N_IN, N_OUT, 25);
    for t in 0..t_steps {
        for v in &mut b.inputs[t * batch * N_IN..(t + 1) * batch * N_IN] {
            *v = *v * (1.0 + t as f32) + 2.0 * t as f32;
        }
    }
    let gap = |rows: usize| {
        let cell = LightGru::<f64>::new(N_IN, H, &mut Rng::new(14)).with_bn_steps(rows);
        let mut n = Network::new(
            Box::new(cell),
            N_OUT,
            Constraint::none(N_OUT, H),
            InitialState::Zero,
            &mut Rng::new(15),
        );
        let mut ws = Workspace::default();
        for _ in 0..200 {
            n.forward(&mut ws, &b.inputs, t_steps, batch, None, None, true);
        }
        let train = ws.rates.clone();
        n.forward(&mut ws, &b.inputs, t_steps, batch, None, None, false);
        let scale = train.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        train
            .iter()
            .zip(&ws.rates)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
            / scale
    };
    let (per_step, shared) = (gap(DEFAULT_BN_STEPS), gap(1));
    assert!(
        per_step < 0.01,
        "per-step statistics: evaluation differs by {per_step:.3}"
    );
    assert!(
        shared > 0.1,
        "shared statistics: evaluation differs by only {shared:.3}"
    );
}
