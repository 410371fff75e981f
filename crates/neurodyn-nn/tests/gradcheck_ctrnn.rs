//! Finite-difference gradient checks (f64) for the CTRNN in all forms and constraints.

mod common;
use common::*;
use neurodyn_analysis::jacobian_check::fd_jacobian;
use neurodyn_core::Rng;
use neurodyn_nn::cells::{Ctrnn, CtrnnForm};
use neurodyn_nn::constraint::{dale_signs, no_autapse_mask};
use neurodyn_nn::{
    Activation, Constraint, InitialState, Loss, Network, Objective, Rectify, Regularizer,
};

const N_IN: usize = 2;
const H: usize = 5;
const N_OUT: usize = 3;

fn ctrnn(form: CtrnnForm, act: Activation, seed: u64) -> Ctrnn<f64> {
    let mut rng = Rng::new(seed);
    let mut c = Ctrnn::new(N_IN, H, 20.0, 100.0, &mut rng);
    c.form = form;
    c.activation = act;
    // Scale weights up so the nonlinearity is exercised.
    c.w_rec_init.iter_mut().for_each(|v| *v *= 3.0);
    c.w_in_init.iter_mut().for_each(|v| *v *= 2.0);
    c
}

fn net(cell: Ctrnn<f64>, initial: InitialState, seed: u64) -> Network<f64> {
    Network::new(
        Box::new(cell),
        N_OUT,
        Constraint::none(N_OUT, H),
        initial,
        &mut Rng::new(seed),
    )
}

#[test]
fn all_forms_and_activations() {
    let b = tiny_batch(6, 3, N_IN, N_OUT, 1);
    let obj = Objective::default();
    for form in [CtrnnForm::Rate, CtrnnForm::Tutorial, CtrnnForm::State] {
        for act in [
            Activation::Tanh,
            Activation::Softplus,
            Activation::Sigmoid,
            Activation::Relu,
            Activation::Retanh,
            Activation::PowerRelu,
        ] {
            let mut n = net(ctrnn(form, act, 3), InitialState::Trainable, 4);
            // A non-zero trained h0 so the first step's gradient is exercised.
            let r = n.layout.range_of("h0").expect("h0");
            for (i, v) in n.params[r].iter_mut().enumerate() {
                *v = 0.1 + 0.05 * i as f64;
            }
            assert_grads(&mut n, &obj, b.class_ref(), &format!("{form:?}/{act:?}"));
        }
    }
}

#[test]
fn learned_tau_per_unit() {
    let b = tiny_batch(6, 2, N_IN, N_OUT, 2);
    for form in [CtrnnForm::Rate, CtrnnForm::Tutorial, CtrnnForm::State] {
        let mut c = ctrnn(form, Activation::Tanh, 5);
        c.learn_tau = true;
        c.tau_ms = vec![40.0, 60.0, 100.0, 150.0, 200.0];
        let mut n = net(c, InitialState::Zero, 6);
        assert_grads(
            &mut n,
            &Objective::default(),
            b.class_ref(),
            &format!("tau {form:?}"),
        );
    }
}

#[test]
fn recurrent_noise_with_learned_tau() {
    // The noise term √(2α) σ ξ depends on α, so with τ learned it has a derivative of its own.
    let b = tiny_batch(6, 2, N_IN, N_OUT, 7);
    for form in [CtrnnForm::Rate, CtrnnForm::Tutorial, CtrnnForm::State] {
        for learn_tau in [false, true] {
            let mut c = ctrnn(form, Activation::Softplus, 8);
            c.sigma_rec = 0.3;
            c.learn_tau = learn_tau;
            c.tau_ms = vec![40.0, 60.0, 100.0, 150.0, 200.0];
            let mut n = net(c, InitialState::Zero, 9);
            let what = format!("noise {form:?} learn_tau {learn_tau}");
            assert_grads_noisy(&mut n, &Objective::default(), b.class_ref(), 11, &what);
        }
    }
}

#[test]
fn dale_masks_and_fixed_weights() {
    let b = tiny_batch(5, 3, N_IN, N_OUT, 3);
    for rectify in [Rectify::Abs, Rectify::Relu] {
        let mut c = ctrnn(CtrnnForm::Rate, Activation::Softplus, 7);
        let signs = dale_signs::<f64>(H, 0.8);
        c.c_rec = Constraint {
            conn: Some(no_autapse_mask(H)),
            col_sign: Some(signs.clone()),
            rectify,
            fixed: Some((0..H * H).map(|k| 0.01 * (k % 3) as f64).collect()),
            ..Constraint::none(H, H)
        };
        let frozen = {
            let mut f = c.c_rec.clone();
            f.trainable = Some(
                (0..H * H)
                    .map(|k| if k % 7 == 0 { 0.0 } else { 1.0 })
                    .collect(),
            );
            f
        };
        c.c_in.conn = Some(
            (0..H * N_IN)
                .map(|k| if k % 4 == 1 { 0.0 } else { 1.0 })
                .collect(),
        );
        // Readout from E units only.
        let mut ro = Constraint::none(N_OUT, H);
        ro.conn = Some(
            (0..N_OUT * H)
                .map(|k| if signs[k % H] > 0.0 { 1.0 } else { 0.0 })
                .collect(),
        );
        let mut n = Network::new(Box::new(c), N_OUT, ro, InitialState::Zero, &mut Rng::new(8));
        assert_grads(
            &mut n,
            &Objective::default(),
            b.class_ref(),
            &format!("dale {rectify:?}"),
        );
        // Frozen elements (and autapses) get exactly zero gradient.
        let mut c = ctrnn(CtrnnForm::Rate, Activation::Softplus, 7);
        c.c_rec = frozen;
        let mut n = Network::new(
            Box::new(c),
            N_OUT,
            Constraint::none(N_OUT, H),
            InitialState::Zero,
            &mut Rng::new(8),
        );
        let mut ws = neurodyn_nn::Workspace::default();
        let mut g = vec![0.0; n.params.len()];
        Objective::default().evaluate(
            &mut n,
            &mut ws,
            b.class_ref(),
            None,
            None,
            false,
            Some(&mut g),
        );
        let r = n.layout.range_of("cell.w_rec").expect("w_rec");
        for (k, v) in g[r].iter().enumerate() {
            if k % 7 == 0 || k % (H + 1) == 0 {
                assert_eq!(*v, 0.0, "frozen or autapse element {k} got gradient");
            }
        }
    }
}

#[test]
fn every_loss_and_regularizer() {
    let b = tiny_batch(5, 3, N_IN, N_OUT, 4);
    let regs = vec![
        Regularizer::L1 {
            param: "cell.w_rec".into(),
            weight: 0.01,
        },
        Regularizer::L2 {
            param: "cell.w_in".into(),
            weight: 0.02,
        },
        Regularizer::ActivityL1 { weight: 0.03 },
        Regularizer::ActivityL2 { weight: 0.05 },
        Regularizer::Anchor {
            param: "cell.w_rec".into(),
            weight: 0.1,
            anchor: (0..H * H).map(|k| 0.02 * k as f64).collect(),
            mask: Some((0..H * H).map(|k| (k % 2) as f64).collect()),
        },
        Regularizer::Wiring {
            param: "cell.w_rec".into(),
            weight: 0.01,
            positions: neurodyn_nn::regularizer::grid_positions(H, 2),
            dim: 2,
        },
    ];
    let losses = [
        Loss::CrossEntropy,
        Loss::WeightedCrossEntropy {
            weights: vec![0.2, 1.0, 2.5],
        },
        Loss::MutualInformation { ce_weight: 0.5 },
        Loss::MutualInformation { ce_weight: 0.0 },
    ];
    for loss in losses {
        let obj = Objective {
            loss: loss.clone(),
            regularizers: regs.clone(),
        };
        let mut n = net(
            ctrnn(CtrnnForm::Rate, Activation::Tanh, 9),
            InitialState::Zero,
            10,
        );
        assert_grads(&mut n, &obj, b.class_ref(), &format!("{loss:?}"));
    }
    let obj = Objective {
        loss: Loss::Mse,
        regularizers: regs,
    };
    let mut n = net(
        ctrnn(CtrnnForm::State, Activation::Tanh, 9),
        InitialState::Zero,
        10,
    );
    assert_grads(&mut n, &obj, b.value_ref(), "mse");
}

#[test]
fn zero_mask_ignores_targets() {
    let mut b = tiny_batch(4, 2, N_IN, N_OUT, 5);
    b.mask.iter_mut().for_each(|m| *m = 0.0);
    let mut n = net(
        ctrnn(CtrnnForm::Rate, Activation::Tanh, 1),
        InitialState::Zero,
        2,
    );
    let mut ws = neurodyn_nn::Workspace::default();
    let mut g = vec![1.0; n.params.len()];
    let t = Objective::default().evaluate(
        &mut n,
        &mut ws,
        b.class_ref(),
        None,
        None,
        false,
        Some(&mut g),
    );
    assert_eq!(t.total(), 0.0);
    assert!(g.iter().all(|&v| v == 0.0));
}

#[test]
fn analytic_jacobian_matches_central_differences() {
    use neurodyn_core::Dynamics;
    for form in [CtrnnForm::Rate, CtrnnForm::Tutorial, CtrnnForm::State] {
        let n = net(ctrnn(form, Activation::Tanh, 11), InitialState::Zero, 12);
        let frozen = neurodyn_nn::Frozen::new(n);
        let x: Vec<f64> = (0..H).map(|i| 0.3 * (i as f64) - 0.5).collect();
        let u = [0.4, -0.2];
        let mut j = vec![0.0; H * H];
        frozen.jacobian(&x, &u, &mut j);
        let fd = fd_jacobian(&frozen, &x, &u, 1e-6);
        for (k, (&a, &f)) in j.iter().zip(&fd).enumerate() {
            let (r, c) = (k / H, k % H);
            assert!((f - a).abs() < 1e-7, "{form:?} J[{r},{c}]: {a} vs {f}");
        }
    }
}

type MakeCell = Box<dyn Fn() -> Box<dyn neurodyn_nn::Cell<f64>>>;

/// Sizes of a pass long enough (at least 2²² multiply-adds in the recurrence) that the driver
/// runs the input projection, the readout and their gradients step by step inside the time
/// loops, and on two threads cuts the batch into two parts (at least 8 samples each): an odd
/// batch makes the parts unequal (8 and 9), an odd number of steps leaves ∂L/∂s₀ in the second
/// scratch buffer, and the trained initial state reads it. ∂R starts inside the loop from an
/// activity penalty's gradient, or without one lives in a single block of rows.
const LONG: (usize, usize, usize, usize, usize) = (3, 256, 3, 17, 5);

/// Every cell of the catalogue (`neurodyn_nn::cells::CELLS`) that the long path runs (all but
/// those with batch-coupled buffers, the batch-normed light-GRUs, which keep their batch whole and
/// their products over the sequence), at the long pass's sizes.
fn long_cells() -> Vec<MakeCell> {
    let (n_in, h, ..) = LONG;
    let shape = neurodyn_nn::cells::CellShape {
        n_in,
        n_units: h,
        dt_ms: 20.0,
        seed: 1,
    };
    let cells: Vec<MakeCell> = neurodyn_nn::cells::CELLS
        .iter()
        .filter(|e| e.f64(&shape).buffer_specs().is_empty())
        .map(|e| -> MakeCell { Box::new(move || e.f64(&shape)) })
        .collect();
    assert!(cells.len() >= 9, "{} long cells", cells.len());
    cells
}

/// The objectives the long-path tests run: plain, and with an activity penalty that starts ∂R.
fn long_objectives() -> [Objective; 2] {
    [
        Objective::default(),
        Objective {
            regularizers: vec![Regularizer::ActivityL2 { weight: 0.3 }],
            ..Objective::default()
        },
    ]
}

#[test]
fn long_passes_match_central_differences() {
    // The edge products inside the loop have their own gradient code (∂W_in, ∂b, ∂W_out and ∂R
    // step by step), checked here against central differences on one and two threads at twelve
    // entries spread over each parameter tensor (every entry of a smaller one). At this size many
    // entries are 1e-4 of the largest or less, below what differences of the loss resolve to
    // 1e-5, so the error is measured against the entry plus 1e-3 of the largest gradient (an
    // allowance of 1e-8 of it); a wrong term in any of these gradients is off by about the
    // entry itself.
    let (n_in, _, n_out, batch, steps) = LONG;
    let b = tiny_batch(steps, batch, n_in, n_out, 23);
    let eps = 1e-5;
    for (i, make) in long_cells().iter().enumerate() {
        for obj in long_objectives() {
            for threads in [1, 2] {
                let cell = make();
                let h = cell.n_units();
                let mut n = Network::new(
                    cell,
                    n_out,
                    Constraint::none(n_out, h),
                    InitialState::Trainable,
                    &mut Rng::new(2),
                );
                n.threads = threads;
                // A trained initial state inside every cell's range: the short-term-plasticity
                // cell clips its synaptic state at the zero state's edge, where differences
                // straddle the clip.
                let r0 = n.layout.range_of("h0").expect("h0");
                for (k, v) in n.params[r0].iter_mut().enumerate() {
                    *v = 0.1 + 0.2 * (k as f64 * 0.77).sin().abs();
                }
                let mut ws = neurodyn_nn::Workspace::default();
                let mut g = vec![0.0; n.params.len()];
                obj.evaluate(
                    &mut n,
                    &mut ws,
                    b.class_ref(),
                    None,
                    None,
                    false,
                    Some(&mut g),
                );
                let g_max = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                assert!(g_max > 0.0, "cell {i}: gradients are all zero");
                let mut checked = 0;
                for (pi, spec) in n.layout.specs.clone().iter().enumerate() {
                    let r = n.layout.range(pi);
                    for k in r.clone().step_by(r.len().div_ceil(12)) {
                        let num = neurodyn_nn::central_difference(
                            &mut n,
                            &mut ws,
                            &obj,
                            b.class_ref(),
                            None,
                            k,
                            eps,
                        );
                        let err = (g[k] - num).abs() / (g[k].abs() + num.abs() + 1e-3 * g_max);
                        assert!(
                            err < 1e-5,
                            "cell {i}, {threads} thread(s), {} regularizer(s): {} entry {}: {} \
                             against {num} (error {err:.2e})",
                            obj.regularizers.len(),
                            spec.name,
                            k - r.start,
                            g[k]
                        );
                        checked += 1;
                    }
                }
                assert!(checked >= 40, "cell {i}: checked only {checked}");
            }
        }
    }
}

#[test]
fn two_threads_split_the_batch_and_agree_with_one() {
    // At the long pass's sizes, two parts on two threads against the whole batch on one.
    let (n_in, _, n_out, batch, steps) = LONG;
    let b = tiny_batch(steps, batch, n_in, n_out, 21);
    let cells = long_cells();
    for (make, obj) in cells.iter().flat_map(|m| long_objectives().map(|o| (m, o))) {
        let grads = |threads: usize| {
            let run = on_threads(make(), InitialState::Trainable, &obj, &b, threads);
            (run.loss, run.grads)
        };
        let (l1, g1) = grads(1);
        let (l2, g2) = grads(2);
        assert!((l1 - l2).abs() < 1e-12, "loss {l1} vs {l2}");
        assert!(g1.iter().any(|&v| v != 0.0), "gradients are all zero");
        let worst = g1
            .iter()
            .zip(&g2)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let scale = g1.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(
            worst <= 1e-10 * scale.max(1.0),
            "gradients differ by {worst:e}"
        );
    }
}

#[test]
fn two_threads_in_f32_give_the_same_outputs_and_close_gradients() {
    // The f32 path of the per-step products (the AVX2 kernel where the CPU has it) sums each
    // element in the same order whether the batch is whole or cut, so outputs and rates are the
    // same to the bit; weight gradients are summed per part, so they agree to rounding.
    let (n_in, h, n_out, batch, steps) = (3, 256, 3, 17, 5);
    let b = tiny_batch(steps, batch, n_in, n_out, 22);
    let obj = Objective {
        regularizers: vec![Regularizer::ActivityL1 { weight: 0.1 }],
        ..Objective::default()
    };
    let run = |threads: usize| {
        let cell = Box::new(Ctrnn::<f32>::new(n_in, h, 20.0, 100.0, &mut Rng::new(3)));
        let run = on_threads(cell, InitialState::Zero, &obj, &b, threads);
        (run.y, run.rates, run.grads)
    };
    let (y1, r1, g1) = run(1);
    let (y2, r2, g2) = run(2);
    assert_eq!(y1, y2, "outputs differ between one and two threads");
    assert_eq!(r1, r2, "rates differ between one and two threads");
    let scale = g1.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    assert!(scale > 0.0, "gradients are all zero");
    let worst = g1
        .iter()
        .zip(&g2)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= 1e-5 * scale,
        "gradients differ by {worst:e} (largest {scale:e})"
    );
}

/// What one evaluation of the objective with its gradient left behind.
struct Run<T> {
    loss: f64,
    y: Vec<T>,
    rates: Vec<T>,
    grads: Vec<T>,
}

/// Evaluate `obj` with its gradient on a network around `cell` (3 outputs, readout seeded
/// alike every time) running on `threads` threads, in evaluation mode.
fn on_threads<T: neurodyn_nn::Real>(
    cell: Box<dyn neurodyn_nn::Cell<T>>,
    initial: InitialState,
    obj: &Objective,
    b: &TinyBatch,
    threads: usize,
) -> Run<T> {
    let h = cell.n_units();
    let mut n = Network::new(cell, 3, Constraint::none(3, h), initial, &mut Rng::new(2));
    n.threads = threads;
    let mut ws = neurodyn_nn::Workspace::default();
    let mut grads = vec![T::c(0.0); n.params.len()];
    let loss = obj
        .evaluate(
            &mut n,
            &mut ws,
            b.class_ref(),
            None,
            None,
            false,
            Some(&mut grads),
        )
        .total();
    Run {
        loss,
        y: ws.y,
        rates: ws.rates,
        grads,
    }
}
