//! FORCE learning ([`neurodyn_nn::force`]): without feedback the learned readout is the
//! mask-weighted ridge regression of the targets on the rates; with feedback the folded network
//! is the closed loop it stands for; with no update due the batch runs as the forward pass does,
//! noise included; what cannot fold is refused; and a chaotic network learns to generate a
//! periodic pattern on its own.

mod common;

use common::tiny_batch;
use neurodyn_core::Rng;
use neurodyn_nn::cells::{Ctrnn, Gru};
use neurodyn_nn::force::Force;
use neurodyn_nn::init::RecInit;
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::NnError;
use neurodyn_nn::{Activation, Constraint, InitialState, LossTargets, Network, Workspace};

/// A 3 → `h` → 2 tanh CTRNN (rate form, α = 0.2) in f64.
fn network(h: usize, seed: u64) -> Network<f64> {
    let mut rng = Rng::new(seed);
    let mut cell = Ctrnn::<f64>::new(3, h, 20.0, 100.0, &mut rng);
    cell.activation = Activation::Tanh;
    Network::new(
        Box::new(cell),
        2,
        Constraint::none(2, h),
        InitialState::Zero,
        &mut rng,
    )
}

fn param(net: &Network<f64>, name: &str) -> Vec<f64> {
    net.param(name).expect(name).to_vec()
}

/// Solve `A X = B` for `A (n, n)`, `B (n, m)` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize, m: usize) -> Vec<f64> {
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .expect("pivot");
        for k in 0..n {
            a.swap(c * n + k, p * n + k);
        }
        for k in 0..m {
            b.swap(c * m + k, p * m + k);
        }
        for i in c + 1..n {
            let f = a[i * n + c] / a[c * n + c];
            for k in c..n {
                a[i * n + k] -= f * a[c * n + k];
            }
            for k in 0..m {
                b[i * m + k] -= f * b[c * m + k];
            }
        }
    }
    let mut x = vec![0.0; n * m];
    for i in (0..n).rev() {
        for k in 0..m {
            let s: f64 = (i + 1..n).map(|j| a[i * n + j] * x[j * m + k]).sum();
            x[i * m + k] = (b[i * m + k] - s) / a[i * n + i];
        }
    }
    x
}

#[test]
fn without_feedback_the_readout_is_the_ridge_regression_of_the_targets_on_the_rates() {
    let (h, o, alpha) = (12, 2, 0.5);
    let mut tb = tiny_batch(30, 4, 3, o, 7);
    // Weighted rows on update steps of both cadences (t = 2 and t = 5).
    tb.mask[2 * 4 + 1] = 3.0;
    tb.mask[5 * 4 + 2] = 0.5;
    for every in [1, 3] {
        let mut net = network(h, 1);
        let mut force = Force::new(&mut net, alpha, every, 0.0, &mut Rng::new(2)).expect("force");
        let mut y = Vec::new();
        let (report, _) = force
            .train_batch(&mut net, tb.value_ref(), None, None, &mut y)
            .expect("batch");
        // The rates the updates saw: W_fb = 0, so the network never changed.
        let mut ws = Workspace::default();
        net.forward(&mut ws, &tb.inputs, 30, 4, None, None, false);
        let (mut a, mut b) = (vec![0.0; h * h], vec![0.0; h * o]);
        for i in 0..h {
            a[i * h + i] = alpha;
        }
        let mut rows = 0;
        for t in (every - 1..30).step_by(every) {
            for s in 0..4 {
                let row = t * 4 + s;
                let m = f64::from(tb.mask[row]);
                if m == 0.0 {
                    continue;
                }
                rows += 1;
                let r = &ws.rates[(row + 4) * h..(row + 5) * h];
                for i in 0..h {
                    for j in 0..h {
                        a[i * h + j] += m * r[i] * r[j];
                    }
                    for q in 0..o {
                        b[i * o + q] += m * r[i] * f64::from(tb.values[row * o + q]);
                    }
                }
            }
        }
        assert_eq!(report.updates, rows, "every {every}");
        let w_t = solve(a, b, h, o);
        let w_out = param(&net, "readout.w_out");
        for q in 0..o {
            for j in 0..h {
                let (got, want) = (force.w_out[q * h + j], w_t[j * o + q]);
                assert!(
                    (got - want).abs() < 1e-9 * (1.0 + want.abs()),
                    "every {every}: W_out[{q},{j}] = {got}, ridge {want}"
                );
                assert_eq!(w_out[q * h + j], got);
            }
        }
        assert!(report.mean_gain > 0.0 && report.mean_gain < 5.0);
        assert!(report.dw_norm > 0.0);
    }
}

/// The closed loop FORCE trains, written out: `r_t = (1−α) r_{t−1} + α tanh(W_rec⁰ r_{t−1} +
/// W_fb y_{t−1} + W_in x_t + b)`, `y_t = W_out r_t`. Returns the outputs `(T, B, 2)`.
fn closed_loop(net: &Network<f64>, force: &Force, x: &[f32], n_t: usize, bs: usize) -> Vec<f64> {
    let (h, o, n_in) = (force.n_units, force.n_out, 3);
    let (w_in, b) = (param(net, "cell.w_in"), param(net, "cell.b_rec"));
    let mut r = vec![vec![0.0; h]; bs];
    let mut y_prev = vec![vec![0.0; o]; bs];
    let mut ys = Vec::new();
    for t in 0..n_t {
        for s in 0..bs {
            let xr = &x[(t * bs + s) * n_in..(t * bs + s + 1) * n_in];
            let next: Vec<f64> = (0..h)
                .map(|i| {
                    let mut pre = b[i];
                    pre += (0..h)
                        .map(|j| force.w_rec0[i * h + j] * r[s][j])
                        .sum::<f64>();
                    pre += (0..o)
                        .map(|q| force.w_fb[i * o + q] * y_prev[s][q])
                        .sum::<f64>();
                    pre += (0..n_in)
                        .map(|j| w_in[i * n_in + j] * f64::from(xr[j]))
                        .sum::<f64>();
                    0.8 * r[s][i] + 0.2 * pre.tanh()
                })
                .collect();
            r[s] = next;
            for q in 0..o {
                y_prev[s][q] = (0..h).map(|j| force.w_out[q * h + j] * r[s][j]).sum();
            }
            ys.extend_from_slice(&y_prev[s]);
        }
    }
    ys
}

#[test]
fn the_folded_network_is_the_closed_loop_with_output_feedback() {
    let h = 10;
    let mut net = network(h, 3);
    let mut force = Force::new(&mut net, 1.0, 2, 1.0, &mut Rng::new(4)).expect("force");
    let tb = tiny_batch(40, 3, 3, 2, 5);
    let mut y = Vec::new();
    for targets in [tb.class_ref(), tb.value_ref()] {
        force
            .train_batch(&mut net, targets, None, None, &mut y)
            .expect("batch");
    }
    assert!(force.w_out.iter().any(|&w| w != 0.0));
    let w_rec = param(&net, "cell.w_rec");
    for i in 0..h {
        for j in 0..h {
            let want = force.w_rec0[i * h + j]
                + (0..2)
                    .map(|q| force.w_fb[i * 2 + q] * force.w_out[q * h + j])
                    .sum::<f64>();
            assert!((w_rec[i * h + j] - want).abs() < 1e-14);
        }
    }
    // Fresh inputs, weights frozen: the engine on the folded network against the loop.
    let fresh = tiny_batch(25, 2, 3, 2, 6);
    let mut ws = Workspace::default();
    net.forward(&mut ws, &fresh.inputs, 25, 2, None, None, false);
    let want = closed_loop(&net, &force, &fresh.inputs, 25, 2);
    for (k, (a, b)) in ws.y.iter().zip(&want).enumerate() {
        assert!(
            (a - b).abs() < 1e-12,
            "output {k}: engine {a}, closed loop {b}"
        );
    }
}

#[test]
fn with_no_update_due_a_batch_runs_as_the_forward_pass_noise_included() {
    let h = 16;
    let mut rng = Rng::new(8);
    let mut cell = Ctrnn::<f64>::new(3, h, 20.0, 100.0, &mut rng);
    cell.sigma_rec = 0.2;
    let mut net = Network::new(
        Box::new(cell),
        2,
        Constraint::none(2, h),
        InitialState::Zero,
        &mut rng,
    );
    net.input_noise = 0.1;
    let mut force = Force::new(&mut net, 1.0, 1000, 1.0, &mut Rng::new(9)).expect("force");
    // A readout to see the rates through, folded in as FORCE keeps it.
    let mut r = Rng::new(10);
    force.w_out.iter_mut().for_each(|w| *w = r.normal());
    force.fold_into(&mut net).expect("fold");
    let tb = tiny_batch(30, 5, 3, 2, 11);
    let s0: Vec<f64> = (0..5 * h).map(|_| 0.3 * r.normal()).collect();
    let mut y = Vec::new();
    let (report, last) = force
        .train_batch(
            &mut net,
            tb.class_ref(),
            Some(&s0),
            Some(&mut Rng::new(12)),
            &mut y,
        )
        .expect("batch");
    assert_eq!(report.updates, 0);
    assert!(report.mean_gain.is_nan());
    let mut ws = Workspace::default();
    net.forward(
        &mut ws,
        &tb.inputs,
        30,
        5,
        Some(&s0),
        Some(&mut Rng::new(12)),
        true,
    );
    for (k, (a, b)) in y.iter().zip(&ws.y).enumerate() {
        assert!((a - b).abs() < 1e-12, "output {k}: FORCE {a}, forward {b}");
    }
    for (a, b) in last.iter().zip(net.final_state(&ws)) {
        assert!((a - b).abs() < 1e-12);
    }
    // The loss is the mask-weighted MSE against the one-hot classes.
    let mut sq = 0.0;
    let mut msum = 0.0;
    for row in 0..30 * 5 {
        let m = f64::from(tb.mask[row]);
        for q in 0..2 {
            let d = ws.y[row * 2 + q] - f64::from(u8::from(tb.classes[row] == q as i64));
            sq += m * d * d;
        }
        msum += m;
    }
    assert!((report.loss - sq / (2.0 * msum)).abs() < 1e-12);
}

#[test]
fn what_cannot_fold_is_refused() {
    let mut rng = Rng::new(0);
    let h = 8;
    let mut dale = Ctrnn::<f64>::new(3, h, 20.0, 100.0, &mut rng);
    dale.core.c_rec.col_sign = Some((0..h).map(|j| if j < 6 { 1.0 } else { -1.0 }).collect());
    let mut net = Network::new(
        Box::new(dale),
        2,
        Constraint::none(2, h),
        InitialState::Zero,
        &mut rng,
    );
    let e = Force::new(&mut net, 1.0, 2, 1.0, &mut rng).expect_err("Dale");
    assert!(matches!(e, NnError::Unsupported(_)), "{e:?}");
    assert!(e.to_string().contains("unconstrained"), "{e}");
    let gru = Gru::<f64>::new(3, h, &mut rng);
    let mut net = Network::new(
        Box::new(gru),
        2,
        Constraint::none(2, h),
        InitialState::Zero,
        &mut rng,
    );
    let e = Force::new(&mut net, 1.0, 2, 1.0, &mut rng).expect_err("GRU");
    assert!(matches!(e, NnError::Unsupported(_)), "{e:?}");
    assert!(e.to_string().contains("`gru`"), "{e}");
    let mut net = network(h, 1);
    let mut readout = Constraint::none(2, h);
    readout.conn = Some(vec![1.0; 2 * h]);
    net.readout = readout;
    let e = Force::new(&mut net, 1.0, 2, 1.0, &mut rng).expect_err("masked readout");
    assert!(matches!(e, NnError::Unsupported(_)), "{e:?}");
    assert!(e.to_string().contains("readout"), "{e}");
    let mut net = network(h, 1);
    for (alpha, every, scale, what) in [
        (0.0, 2, 1.0, "alpha"),
        (f64::NAN, 2, 1.0, "alpha"),
        (1.0, 0, 1.0, "every"),
        (1.0, 2, -1.0, "feedback_scale"),
    ] {
        let e = Force::new(&mut net, alpha, every, scale, &mut rng).expect_err(what);
        assert!(matches!(e, NnError::Invalid(_)), "{e:?}");
        assert!(e.to_string().contains(what), "{e}");
    }
}

#[test]
fn a_chaotic_network_learns_to_generate_a_periodic_pattern_on_its_own() {
    // Sussillo & Abbott's first example, scaled down: 300 tanh units in the state form with
    // g = 1.5 (chaotic), no input, a sum of sines as the target; 25 s of FORCE, then the weights
    // are frozen and the network runs on alone.
    let (h, dt, tau) = (300, 1.0, 10.0);
    let mut rng = Rng::new(21);
    let mut cell = Ctrnn::<f64>::new(1, h, dt, tau, &mut rng);
    cell.activation = Activation::Tanh;
    cell.form = neurodyn_nn::cells::CtrnnForm::State;
    cell.core.w_rec_init =
        neurodyn_nn::init::recurrent(h, RecInit::Gaussian { radius: 1.5 }, &mut rng);
    cell.core.w_in_init = vec![0.0; h];
    cell.core.b_init = vec![0.0; h];
    let mut net = Network::new(
        Box::new(cell),
        1,
        Constraint::none(1, h),
        InitialState::Zero,
        &mut rng,
    );
    let mut force = Force::new(&mut net, 1.0, 2, 1.0, &mut Rng::new(22)).expect("force");
    let target = |t: usize| {
        let s = t as f64 * dt / 1000.0;
        let w = 2.0 * std::f64::consts::PI;
        (0.8 * (w * 2.0 * s).sin() + 0.4 * (w * 4.0 * s).sin() + 0.2 * (w * 6.0 * s).sin()) as f32
    };
    let window = 500;
    let zeros = vec![0.0f32; window];
    let mask = vec![1.0f32; window];
    let mut state: Vec<f64> = (0..h).map(|_| 0.5 * rng.normal()).collect();
    let mut y = Vec::new();
    let mut last = None;
    for w in 0..50 {
        let tgt: Vec<f32> = (0..window).map(|t| target(w * window + t)).collect();
        let b = BatchRef {
            inputs: &zeros,
            targets: LossTargets::Continuous(&tgt),
            mask: &mask,
            n_steps: window,
            batch: 1,
        };
        let (report, s) = force
            .train_batch(&mut net, b, Some(&state), None, &mut y)
            .expect("batch");
        state = s;
        last = Some(report);
    }
    let last = last.expect("trained");
    assert!(last.loss < 1e-3, "training error at the end {}", last.loss);
    // Alone for 2 s (four periods of the slowest component).
    let n = 2000;
    let zeros = vec![0.0f32; n];
    let mut ws = Workspace::default();
    net.forward(&mut ws, &zeros, n, 1, Some(&state), None, false);
    let mse: f64 = (0..n)
        .map(|t| (ws.y[t] - f64::from(target(50 * window + t))).powi(2))
        .sum::<f64>()
        / n as f64;
    let var: f64 = (0..n).map(|t| f64::from(target(t)).powi(2)).sum::<f64>() / n as f64;
    assert!(
        mse < 1e-3 * var,
        "free-running MSE {mse} against the target's power {var}"
    );
}
