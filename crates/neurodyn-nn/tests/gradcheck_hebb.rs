//! The Hebbian fast-weight CTRNN: finite-difference gradient checks (f64) of every parameter (the
//! plasticity matrix included) and of a carried-over initial state `[r | A]`, with Dale's law,
//! masks and fixed weights on the slow matrix, with the trace's clip reached and in training
//! with recurrent noise; and the rule
//! itself (the trace follows `A ← clip(λA + (1−λ) r rᵀ)` step by step, and with no plasticity the
//! cell is the plain rate CTRNN).

mod common;
use common::{assert_grads, assert_grads_noisy, assert_initial_state_grads, tiny_batch};
use neurodyn_core::Rng;
use neurodyn_nn::cells::{Ctrnn, CtrnnForm, HebbCtrnn};
use neurodyn_nn::constraint::{dale_signs, no_autapse_mask};
use neurodyn_nn::{
    Activation, Constraint, InitialState, Network, Objective, Regularizer, Workspace,
};

const N_IN: usize = 2;
const H: usize = 4;
const N_OUT: usize = 3;

fn cell(constrained: bool, a_max: f64) -> HebbCtrnn<f64> {
    let mut c = HebbCtrnn::new(N_IN, H, 20.0, 50.0, &mut Rng::new(3));
    c.activation = Activation::Softplus;
    c.hebb_tau_ms = 100.0;
    c.a_max = a_max;
    c.w_rec_init.iter_mut().for_each(|w| *w *= 2.0);
    c.w_in_init.iter_mut().for_each(|w| *w *= 2.0);
    if constrained {
        c.c_rec = Constraint {
            conn: Some(no_autapse_mask(H)),
            col_sign: Some(dale_signs(H, 0.75)),
            fixed: Some((0..H * H).map(|k| 0.05 * (k % 3) as f64).collect()),
            ..Constraint::none(H, H)
        };
    }
    c
}

/// A network of `cell`, its plasticity matrix set to `scale · sin` (a new network has none).
fn network(c: HebbCtrnn<f64>, initial: InitialState, scale: f64) -> Network<f64> {
    let mut n = Network::new(
        Box::new(c),
        N_OUT,
        Constraint::none(N_OUT, H),
        initial,
        &mut Rng::new(4),
    );
    let at = n
        .layout
        .range_of("cell.plasticity")
        .expect("P is a parameter");
    assert!(
        n.params[at.clone()].iter().all(|&p| p == 0.0),
        "P starts at 0"
    );
    for (k, p) in n.params[at].iter_mut().enumerate() {
        *p = scale * ((k as f64) * 1.3 + 0.4).sin();
    }
    n
}

/// A state with rates 0.2–0.8 and a trace in ±0.3.
fn state(batch: usize) -> Vec<f64> {
    (0..batch * (H + H * H))
        .map(|k| {
            let v = ((k as f64) * 0.77).sin();
            if k % (H + H * H) < H {
                0.5 + 0.3 * v
            } else {
                0.3 * v
            }
        })
        .collect()
}

#[test]
fn every_parameter_and_the_trained_initial_state() {
    let b = tiny_batch(7, 3, N_IN, N_OUT, 41);
    for (constrained, scale) in [(false, 0.8), (true, -0.6), (false, 0.0)] {
        let mut n = network(cell(constrained, 1.0), InitialState::Trainable, scale);
        let r = n.layout.range_of("h0").expect("h0");
        assert_eq!(r.len(), H + H * H, "h0 is [r0 | A0]");
        n.params[r].copy_from_slice(&state(1));
        let obj = Objective {
            regularizers: vec![Regularizer::ActivityL2 { weight: 0.05 }],
            ..Objective::default()
        };
        let what = format!("hebb constrained {constrained} P scale {scale}");
        assert_grads(&mut n, &obj, b.class_ref(), &what);
        let mse = Objective {
            loss: neurodyn_nn::Loss::Mse,
            ..obj
        };
        assert_grads(&mut n, &mse, b.value_ref(), &format!("{what} mse"));
    }
}

#[test]
fn recurrent_noise() {
    let b = tiny_batch(6, 2, N_IN, N_OUT, 43);
    let mut c = cell(true, 1.0);
    c.sigma_rec = 0.3;
    let mut n = network(c, InitialState::Zero, 0.7);
    assert_grads_noisy(
        &mut n,
        &Objective::default(),
        b.class_ref(),
        12,
        "hebb noise",
    );
}

#[test]
fn gradient_of_a_carried_over_state() {
    let b = tiny_batch(5, 2, N_IN, N_OUT, 42);
    let a_max = 0.35;
    let mut n = network(cell(true, a_max), InitialState::Zero, 0.7);
    let mut s0 = state(b.batch);
    assert_initial_state_grads(
        &mut n,
        &Objective::default(),
        b.class_ref(),
        &mut s0,
        "hebb",
    );
    // Some trace values sit at the clip here, so the check covers the clipped path too.
    let mut ws = Workspace::default();
    n.forward(
        &mut ws,
        b.class_ref().inputs,
        b.n_steps,
        b.batch,
        Some(&s0),
        None,
        false,
    );
    let s_len = H + H * H;
    let at_bound = ws
        .states
        .chunks_exact(s_len)
        .skip(b.batch)
        .flat_map(|row| &row[H..])
        .filter(|a| a.abs() == a_max)
        .count();
    assert!(at_bound > 0, "no trace value reached the clip");
}

#[test]
fn fast_weights_follow_the_hebbian_rule() {
    let (steps, batch) = (12, 2);
    let (lambda, a_max) = (1.0 - 20.0 / 100.0, 0.3);
    let mut n = network(cell(false, a_max), InitialState::Zero, 0.5);
    let x = tiny_batch(steps, batch, N_IN, N_OUT, 43).inputs;
    let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let mut ws = Workspace::default();
    n.forward(&mut ws, &x, steps, batch, None, None, false);
    let s_len = H + H * H;
    let mut max_a: f64 = 0.0;
    let mut clipped = false;
    for t in 1..=steps {
        for s in 0..batch {
            let now = &ws.states[(t * batch + s) * s_len..(t * batch + s + 1) * s_len];
            let before =
                &ws.states[((t - 1) * batch + s) * s_len..((t - 1) * batch + s + 1) * s_len];
            let r = &now[..H];
            assert_eq!(r, &ws.rates[(t * batch + s) * H..(t * batch + s + 1) * H]);
            for i in 0..H {
                for j in 0..H {
                    let raw = lambda * before[H + i * H + j] + (1.0 - lambda) * r[i] * r[j];
                    let expected = raw.clamp(-a_max, a_max);
                    clipped |= raw.abs() > a_max;
                    let got = now[H + i * H + j];
                    assert!(
                        (got - expected).abs() <= 1e-12,
                        "A[{i},{j}] at step {t}: {got} against {expected}"
                    );
                    max_a = max_a.max(got.abs());
                }
            }
        }
    }
    assert!(max_a > 0.05, "the trace moved (max |A| {max_a})");
    assert!(
        clipped && max_a == a_max,
        "the clip was reached (max |A| {max_a})"
    );
}

#[test]
fn without_plasticity_it_is_the_rate_ctrnn() {
    let (steps, batch) = (15, 3);
    let hebb = cell(false, 1.0);
    let mut plain = Ctrnn::<f64>::new(N_IN, H, 20.0, 50.0, &mut Rng::new(9));
    plain.form = CtrnnForm::Rate;
    plain.activation = Activation::Softplus;
    plain.w_rec_init.clone_from(&hebb.w_rec_init);
    plain.w_in_init.clone_from(&hebb.w_in_init);
    plain.b_init.clone_from(&hebb.b_init);
    let x = tiny_batch(steps, batch, N_IN, N_OUT, 44).inputs;
    let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let mut rates = Vec::new();
    for c in [
        Box::new(hebb) as Box<dyn neurodyn_nn::Cell<f64>>,
        Box::new(plain),
    ] {
        let mut n = Network::new(
            c,
            N_OUT,
            Constraint::none(N_OUT, H),
            InitialState::Zero,
            &mut Rng::new(6),
        );
        let mut ws = Workspace::default();
        n.forward(&mut ws, &x, steps, batch, None, None, false);
        rates.push(ws.rates.clone());
    }
    let diff = rates[0]
        .iter()
        .zip(&rates[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(rates[0].iter().any(|&r| r > 0.1), "the network is active");
    assert!(diff <= 1e-12, "η = 0 differs from the rate CTRNN by {diff}");
}
