//! Finite-difference gradient checks (f64) for the discrete cells: Elman RNN, GRU and LSTM, with
//! masks, Dale's law, fixed weights, an E-only readout, a trained initial state and an activity
//! penalty.

mod common;
use common::{assert_initial_state_grads, tiny_batch};
use neurodyn_core::Rng;
use neurodyn_nn::cells::{Gru, Lstm, VanillaRnn};
use neurodyn_nn::constraint::{dale_signs, no_autapse_mask};
use neurodyn_nn::{
    Activation, Cell, Constraint, InitialState, Network, Objective, Rectify, Regularizer,
};

const N_IN: usize = 2;
const H: usize = 4;
const N_OUT: usize = 3;

/// Dale signs on the presynaptic columns, a sparse mask and fixed weights for a
/// `(rows, H)` recurrent matrix.
fn dale_rec(rows: usize, rectify: Rectify) -> Constraint<f64> {
    let conn: Vec<f64> = if rows == H {
        no_autapse_mask(H)
    } else {
        (0..rows * H)
            .map(|k| if k % 7 == 3 { 0.0 } else { 1.0 })
            .collect()
    };
    Constraint {
        conn: Some(conn),
        col_sign: Some(dale_signs(H, 0.75)),
        rectify,
        fixed: Some((0..rows * H).map(|k| 0.02 * (k % 3) as f64).collect()),
        ..Constraint::none(rows, H)
    }
}

fn in_mask(rows: usize) -> Constraint<f64> {
    let mut c = Constraint::none(rows, N_IN);
    c.conn = Some(
        (0..rows * N_IN)
            .map(|k| if k % 5 == 2 { 0.0 } else { 1.0 })
            .collect(),
    );
    c
}

fn objective() -> Objective {
    Objective {
        regularizers: vec![Regularizer::ActivityL2 { weight: 0.05 }],
        ..Objective::default()
    }
}

/// A network with a trained, non-zero initial state and an E-only readout.
fn net(cell: Box<dyn Cell<f64>>, seed: u64) -> Network<f64> {
    let mut ro = Constraint::none(N_OUT, H);
    let signs = dale_signs::<f64>(H, 0.75);
    ro.conn = Some(
        (0..N_OUT * H)
            .map(|k| if signs[k % H] > 0.0 { 1.0 } else { 0.0 })
            .collect(),
    );
    let mut n = Network::new(
        cell,
        N_OUT,
        ro,
        InitialState::Trainable,
        &mut Rng::new(seed),
    );
    let r = n.layout.range_of("h0").expect("h0");
    for (i, v) in n.params[r].iter_mut().enumerate() {
        *v = 0.3 * ((i as f64) * 1.3).sin();
    }
    n
}

/// Like `common::assert_grads` but with a central-difference step of 1e-5: gated cells have some
/// gradient entries of order 1e-6 (nearly saturated gates), where the round-off of a 1e-6 step
/// (~1e-10 absolute) alone reaches a relative error of 1e-5.
fn assert_grads_gated(
    net: &mut Network<f64>,
    obj: &Objective,
    b: neurodyn_nn::BatchRef<'_>,
    what: &str,
) {
    let r = neurodyn_nn::grad_check(net, obj, b, None, 1e-5, 1);
    assert_eq!(
        r.checked,
        net.params.len(),
        "{what}: not every parameter checked"
    );
    assert!(
        r.max_rel_err < 1e-5,
        "{what}: gradient mismatch {:.3e} at {:?}",
        r.max_rel_err,
        r.worst
    );
    eprintln!(
        "{what}: max rel err {:.2e} over {} entries",
        r.max_rel_err, r.checked
    );
}

fn scale(v: &mut [f64], s: f64) {
    v.iter_mut().for_each(|x| *x *= s);
}

#[test]
fn vanilla_all_activations_and_constraints() {
    let b = tiny_batch(6, 3, N_IN, N_OUT, 11);
    for act in [
        Activation::Tanh,
        Activation::Relu,
        Activation::Softplus,
        Activation::Sigmoid,
    ] {
        for constrained in [false, true] {
            let mut c = VanillaRnn::new(N_IN, H, &mut Rng::new(1));
            c.activation = act;
            scale(&mut c.w_rec_init, 2.0);
            scale(&mut c.w_in_init, 2.0);
            if constrained {
                c.c_rec = dale_rec(H, Rectify::Abs);
                c.c_in = in_mask(H);
            }
            let mut n = net(Box::new(c), 2);
            assert_grads_gated(
                &mut n,
                &objective(),
                b.class_ref(),
                &format!("vanilla {act:?} {constrained}"),
            );
        }
    }
}

#[test]
fn gru_plain_and_constrained() {
    let b = tiny_batch(6, 3, N_IN, N_OUT, 12);
    for (constrained, rectify) in [
        (false, Rectify::Abs),
        (true, Rectify::Abs),
        (true, Rectify::Relu),
    ] {
        let mut c = Gru::new(N_IN, H, &mut Rng::new(3));
        scale(&mut c.w_rec_init, 2.5);
        scale(&mut c.w_in_init, 2.0);
        if constrained {
            c.c_rec = dale_rec(3 * H, rectify);
            c.c_in = in_mask(3 * H);
        }
        let mut n = net(Box::new(c), 4);
        assert_grads_gated(
            &mut n,
            &objective(),
            b.class_ref(),
            &format!("gru {constrained} {rectify:?}"),
        );
        assert_grads_gated(
            &mut n,
            &Objective {
                loss: neurodyn_nn::Loss::Mse,
                ..objective()
            },
            b.value_ref(),
            "gru mse",
        );
    }
}

#[test]
fn lstm_plain_and_constrained() {
    let b = tiny_batch(6, 3, N_IN, N_OUT, 13);
    for (constrained, rectify) in [
        (false, Rectify::Abs),
        (true, Rectify::Abs),
        (true, Rectify::Relu),
    ] {
        let mut c = Lstm::new(N_IN, H, &mut Rng::new(5));
        scale(&mut c.w_rec_init, 2.5);
        scale(&mut c.w_in_init, 2.0);
        if constrained {
            c.c_rec = dale_rec(4 * H, rectify);
            c.c_in = in_mask(4 * H);
        }
        let mut n = net(Box::new(c), 6);
        assert_eq!(
            n.param("h0").map(<[f64]>::len),
            Some(2 * H),
            "h0 is [h0 | c0]"
        );
        assert_grads_gated(
            &mut n,
            &objective(),
            b.class_ref(),
            &format!("lstm {constrained} {rectify:?}"),
        );
        assert_grads_gated(
            &mut n,
            &Objective {
                loss: neurodyn_nn::Loss::Mse,
                ..objective()
            },
            b.value_ref(),
            "lstm mse",
        );
    }
}

/// The gradient with respect to a caller-supplied initial state (carried-over windows) is exact.
#[test]
fn initial_state_gradient_of_gated_cells() {
    let b = tiny_batch(5, 2, N_IN, N_OUT, 14);
    let cells: Vec<(Box<dyn Cell<f64>>, usize)> = vec![
        (Box::new(VanillaRnn::new(N_IN, H, &mut Rng::new(7))), H),
        (Box::new(Gru::new(N_IN, H, &mut Rng::new(7))), H),
        (Box::new(Lstm::new(N_IN, H, &mut Rng::new(7))), 2 * H),
    ];
    for (cell, s_len) in cells {
        let kind = cell.kind();
        let mut n = Network::new(
            cell,
            N_OUT,
            Constraint::none(N_OUT, H),
            InitialState::Zero,
            &mut Rng::new(8),
        );
        let mut s0: Vec<f64> = (0..b.batch * s_len)
            .map(|k| 0.4 * ((k as f64) * 0.7).cos())
            .collect();
        assert_initial_state_grads(&mut n, &objective(), b.class_ref(), &mut s0, kind);
    }
}
