//! The short-term-plasticity CTRNN: finite-difference gradient checks (f64) of every parameter
//! and of a carried-over initial state `[r | d | φ]`, with Dale's law, masks and fixed weights on
//! the recurrent matrix, in training with recurrent noise, and the synapses' own behaviour (facilitation builds up and decays,
//! depression depletes and recovers, the zero state is the synapses at rest).

mod common;
use common::{assert_grads, assert_grads_noisy, assert_initial_state_grads, tiny_batch};
use neurodyn_analysis::jacobian_check::fd_jacobian;
use neurodyn_core::Rng;
use neurodyn_nn::cells::stp::{StpCtrnn, Synapse};
use neurodyn_nn::constraint::{dale_signs, no_autapse_mask};
use neurodyn_nn::{
    Activation, Constraint, InitialState, Network, Objective, Regularizer, Workspace,
};

const N_IN: usize = 2;
const H: usize = 4;
const N_OUT: usize = 3;

fn cell(constrained: bool) -> StpCtrnn<f64> {
    let mut c = StpCtrnn::new(N_IN, H, 50.0, 100.0, &mut Rng::new(3));
    c.activation = Activation::Softplus;
    c.w_rec_init.iter_mut().for_each(|w| *w *= 3.0);
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

/// A state inside the synapses' range: rates 0.2–0.8, depletion 0.1–0.5, facilitation 0–0.1.
fn state(batch: usize) -> Vec<f64> {
    (0..batch)
        .flat_map(|s| {
            (0..3 * H).map(move |k| {
                let v = (((s * 3 * H + k) as f64) * 0.77).sin().abs();
                match k / H {
                    0 => 0.2 + 0.6 * v,
                    1 => 0.1 + 0.4 * v,
                    _ => 0.1 * v,
                }
            })
        })
        .collect()
}

#[test]
fn every_parameter_and_the_trained_initial_state() {
    let b = tiny_batch(7, 3, N_IN, N_OUT, 31);
    for constrained in [false, true] {
        let mut n = Network::new(
            Box::new(cell(constrained)),
            N_OUT,
            Constraint::none(N_OUT, H),
            InitialState::Trainable,
            &mut Rng::new(4),
        );
        let r = n.layout.range_of("h0").expect("h0");
        assert_eq!(r.len(), 3 * H, "h0 is [r0 | d0 | φ0]");
        let s0 = state(1);
        n.params[r].copy_from_slice(&s0);
        let obj = Objective {
            regularizers: vec![Regularizer::ActivityL2 { weight: 0.05 }],
            ..Objective::default()
        };
        assert_grads(&mut n, &obj, b.class_ref(), &format!("stp {constrained}"));
        let mse = Objective {
            loss: neurodyn_nn::Loss::Mse,
            ..obj
        };
        assert_grads(&mut n, &mse, b.value_ref(), "stp mse");
    }
}

#[test]
fn recurrent_noise() {
    let b = tiny_batch(6, 2, N_IN, N_OUT, 33);
    let mut c = cell(true);
    c.sigma_rec = 0.3;
    let mut n = Network::new(
        Box::new(c),
        N_OUT,
        Constraint::none(N_OUT, H),
        InitialState::Zero,
        &mut Rng::new(6),
    );
    assert_grads_noisy(
        &mut n,
        &Objective::default(),
        b.class_ref(),
        13,
        "stp noise",
    );
}

#[test]
fn gradient_of_a_carried_over_state() {
    let b = tiny_batch(5, 2, N_IN, N_OUT, 32);
    let mut n = Network::new(
        Box::new(cell(true)),
        N_OUT,
        Constraint::none(N_OUT, H),
        InitialState::Zero,
        &mut Rng::new(5),
    );
    let mut s0 = state(b.batch);
    assert_initial_state_grads(&mut n, &Objective::default(), b.class_ref(), &mut s0, "stp");
}

#[test]
fn synapses_facilitate_deplete_and_recover() {
    // Unit 0 driven hard for 10 steps of 20 ms, then silent for 3 s; unit 1 never driven. No
    // recurrent weights, so only the driven unit's synapses move. Once, with unit 0's synapse
    // facilitating, once depressing.
    for synapse in [Synapse::FACILITATING, Synapse::DEPRESSING] {
        let mut c = StpCtrnn::<f64>::new(1, 2, 20.0, 100.0, &mut Rng::new(1));
        c.w_rec_init.iter_mut().for_each(|w| *w = 0.0);
        c.w_in_init = vec![1.0, 0.0];
        c.b_init = vec![0.0, 0.0];
        c.synapses = vec![synapse, Synapse::DEPRESSING];
        let mut n = Network::new(
            Box::new(c),
            1,
            Constraint::none(1, 2),
            InitialState::Zero,
            &mut Rng::new(2),
        );
        let steps = 160;
        let x: Vec<f64> = (0..steps)
            .map(|t| if t < 10 { 20.0 } else { 0.0 })
            .collect();
        let mut ws = Workspace::default();
        n.forward(&mut ws, &x, steps, 1, None, None, false);
        // State rows are [r0 r1 | d0 d1 | φ0 φ1]; block t is the state after step t.
        let at = |t: usize| <[f64; 6]>::try_from(&ws.states[t * 6..(t + 1) * 6]).expect("row");
        for t in 0..=steps {
            let s = at(t);
            assert_eq!(
                [s[1], s[3], s[5]],
                [0.0; 3],
                "the silent unit stays at rest (t {t})"
            );
        }
        let driven = at(10);
        assert!(driven[0] > 5.0, "driven rate {}", driven[0]);
        assert!(
            driven[2] > 0.3 && driven[4] > 0.1,
            "the drive depletes and facilitates: d {}, φ {}",
            driven[2],
            driven[4]
        );
        // Once the rate has decayed (α = 0.2: well within 30 steps), depletion and facilitation
        // relax by (1 − dt/τ) per step.
        let (from, end) = (at(40), at(steps));
        for (k, tau, what) in [
            (2, synapse.tau_x_ms, "depletion"),
            (4, synapse.tau_u_ms, "facilitation"),
        ] {
            let expected = from[k] * (1.0 - 20.0 / tau).powi((steps - 40) as i32);
            assert!(
                (end[k] - expected).abs() <= 0.05 * from[k],
                "{what}: {} against {expected}",
                end[k]
            );
            assert!(end[k] < driven[k], "{what} relaxes toward rest");
        }
    }
}

#[test]
fn analytic_jacobian_matches_central_differences() {
    // Inside the synapses' range, and outside it, where the new depletion and facilitation are
    // clipped and their rows are zero.
    use neurodyn_core::Dynamics;
    let n = 3 * H;
    let inside = state(1);
    let clipped: Vec<f64> = (0..n)
        .map(|k| match k / H {
            0 => 0.3 + 0.1 * k as f64,
            1 => 1.6,
            _ => -0.9,
        })
        .collect();
    for constrained in [false, true] {
        let net = Network::new(
            Box::new(cell(constrained)),
            N_OUT,
            Constraint::none(N_OUT, H),
            InitialState::Zero,
            &mut Rng::new(4),
        );
        let frozen = neurodyn_nn::Frozen::new(net);
        for x in [&inside, &clipped] {
            let u = [0.4, -0.2];
            let mut j = vec![0.0; n * n];
            frozen.jacobian(x, &u, &mut j);
            let fd = fd_jacobian(&frozen, x, &u, 1e-6);
            for (k, (&a, &f)) in j.iter().zip(&fd).enumerate() {
                let (r, c) = (k / n, k % n);
                assert!(
                    (f - a).abs() < 1e-7,
                    "J[{r},{c}]: {a} vs {f} (constrained {constrained})"
                );
            }
            if std::ptr::eq(x, &clipped) {
                assert!(
                    j[H * n..].iter().all(|&v| v == 0.0),
                    "clipped rows not zero"
                );
            }
        }
    }
}
