//! Golden tests against PyTorch (float64): forward passes of the CTRNN (rate, tutorial and state
//! forms), the Elman RNN, GRU, LSTM and light-GRU (plain, ENU, EI; batch norm in training and
//! evaluation mode, and the running statistics) on fixed weights and inputs.
//!
//! The numbers come from `tests/golden/nn/make_golden.py`, which stores every weight in PyTorch's
//! own layout and names; each test maps them onto neurodyn's parameters explicitly. Every case is
//! run in f64 and again in f32, both to 1e-5.

use neurodyn_core::Rng;
use neurodyn_nn::cells::{Ctrnn, CtrnnForm, Gru, LightGru, Lstm, VanillaRnn};
use neurodyn_nn::{Activation, Cell, Constraint, InitialState, Network, Real, Workspace};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::PathBuf;

const TOL: f64 = 1e-5;
/// The same networks in f32 (what trains) stay this close to PyTorch's float64 numbers.
const TOL_F32: f64 = 1e-5;

#[derive(Deserialize)]
struct Case {
    n_steps: usize,
    batch: usize,
    n_in: usize,
    n_rec: usize,
    #[serde(default)]
    activation: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    dt_ms: f64,
    #[serde(default)]
    tau_ms: Vec<f64>,
    #[serde(default)]
    embed: usize,
    #[serde(default)]
    e_size: Option<usize>,
    inputs: Vec<f64>,
    h0: Vec<f64>,
    #[serde(default)]
    c0: Vec<f64>,
    params: HashMap<String, Vec<f64>>,
    #[serde(default)]
    buffers_after_train: HashMap<String, Vec<f64>>,
    rates: Vec<f64>,
    final_h: Vec<f64>,
    #[serde(default)]
    final_c: Vec<f64>,
    #[serde(default)]
    rates_eval: Vec<f64>,
    #[serde(default)]
    final_h_eval: Vec<f64>,
}

fn load(name: &str) -> Case {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/nn")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl Case {
    fn p(&self, key: &str) -> Vec<f64> {
        self.params
            .get(key)
            .unwrap_or_else(|| panic!("missing parameter {key}"))
            .clone()
    }
    fn sum(&self, a: &str, b: &str) -> Vec<f64> {
        self.p(a)
            .iter()
            .zip(self.p(b))
            .map(|(x, y)| x + y)
            .collect()
    }
}

fn activation(name: &str) -> Activation {
    match name {
        "tanh" => Activation::Tanh,
        "relu" => Activation::Relu,
        "softplus" => Activation::Softplus,
        other => panic!("unknown activation {other}"),
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Run the cell over the case's inputs from `s0`; return (rates (T, B, H), final state) in f64.
fn run<T: Real>(
    net: &mut Network<T>,
    c: &Case,
    s0: &[f64],
    training: bool,
) -> (Vec<f64>, Vec<f64>) {
    let mut ws = Workspace::default();
    let s0: Vec<T> = s0.iter().map(|&v| T::c(v)).collect();
    net.forward(
        &mut ws,
        &c.inputs,
        c.n_steps,
        c.batch,
        Some(&s0),
        None,
        training,
    );
    let bh = c.batch * c.n_rec;
    let f = |v: &[T]| v.iter().map(|x| x.f()).collect::<Vec<f64>>();
    (f(&ws.rates[bh..]), f(net.final_state(&ws)))
}

fn network<T: Real>(cell: Box<dyn Cell<T>>, h: usize) -> Network<T> {
    Network::new(
        cell,
        1,
        Constraint::none(1, h),
        InitialState::Zero,
        &mut Rng::new(0),
    )
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    let err = max_abs_diff(got, want);
    eprintln!("{what}: max |Δ| = {err:.2e}");
    assert!(err < tol, "{what}: max |Δ| = {err:.3e}");
}

/// Compare a network built by `build` in f64 and in f32 against `want` from state `s0`.
fn check_both(
    name: &str,
    c: &Case,
    s0: &[f64],
    want: (&[f64], &[f64]),
    build64: Network<f64>,
    build32: Network<f32>,
) {
    let (mut n64, mut n32) = (build64, build32);
    let (r, s) = run(&mut n64, c, s0, false);
    assert_close(&format!("{name} rates"), &r, want.0, TOL);
    assert_close(&format!("{name} final"), &s, want.1, TOL);
    let (r, s) = run(&mut n32, c, s0, false);
    assert_close(&format!("{name} rates f32"), &r, want.0, TOL_F32);
    assert_close(&format!("{name} final f32"), &s, want.1, TOL_F32);
}

fn rnn<T: Real>(c: &Case) -> Network<T> {
    let mut cell = VanillaRnn::new(c.n_in, c.n_rec, &mut Rng::new(0));
    cell.activation = activation(&c.activation);
    cell.w_in_init = c.p("weight_ih_l0");
    cell.w_rec_init = c.p("weight_hh_l0");
    cell.b_init = c.sum("bias_ih_l0", "bias_hh_l0");
    network(Box::new(cell), c.n_rec)
}

#[test]
fn rnn_matches_torch() {
    for name in ["rnn_tanh", "rnn_relu"] {
        let c = load(name);
        check_both(name, &c, &c.h0, (&c.rates, &c.final_h), rnn(&c), rnn(&c));
    }
}

fn gru<T: Real>(c: &Case) -> Network<T> {
    let mut cell = Gru::new(c.n_in, c.n_rec, &mut Rng::new(0));
    // Same gate order (r, z, n) and separate biases: a one-to-one map.
    cell.w_in_init = c.p("weight_ih_l0");
    cell.w_rec_init = c.p("weight_hh_l0");
    cell.b_in_init = c.p("bias_ih_l0");
    cell.b_rec_init = c.p("bias_hh_l0");
    network(Box::new(cell), c.n_rec)
}

#[test]
fn gru_matches_torch() {
    let c = load("gru");
    check_both("gru", &c, &c.h0, (&c.rates, &c.final_h), gru(&c), gru(&c));
}

fn lstm<T: Real>(c: &Case) -> Network<T> {
    let mut cell = Lstm::new(c.n_in, c.n_rec, &mut Rng::new(0));
    // Same gate order (i, f, g, o); the two biases are summed.
    cell.w_in_init = c.p("weight_ih_l0");
    cell.w_rec_init = c.p("weight_hh_l0");
    cell.b_init = c.sum("bias_ih_l0", "bias_hh_l0");
    network(Box::new(cell), c.n_rec)
}

#[test]
fn lstm_matches_torch() {
    let c = load("lstm");
    let h = c.n_rec;
    // Our state rows are [h | c]; PyTorch passes h0 and c0 separately.
    let interleave = |a: &[f64], b: &[f64]| -> Vec<f64> {
        a.chunks(h)
            .zip(b.chunks(h))
            .flat_map(|(x, y)| x.iter().chain(y).copied())
            .collect()
    };
    let s0 = interleave(&c.h0, &c.c0);
    let fin = interleave(&c.final_h, &c.final_c);
    check_both("lstm", &c, &s0, (&c.rates, &fin), lstm(&c), lstm(&c));
}

fn ctrnn<T: Real>(c: &Case) -> Network<T> {
    let mut cell = Ctrnn::new(c.n_in, c.n_rec, c.dt_ms, 100.0, &mut Rng::new(0));
    cell.form = match c.form.as_str() {
        "rate" => CtrnnForm::Rate,
        "tutorial" => CtrnnForm::Tutorial,
        "state" => CtrnnForm::State,
        other => panic!("unknown form {other}"),
    };
    cell.activation = activation(&c.activation);
    cell.tau_ms = c.tau_ms.clone();
    // input2h and h2h are nn.Linear layers, each with a bias; they only appear summed.
    cell.w_in_init = c.p("input2h.weight");
    cell.w_rec_init = c.p("h2h.weight");
    cell.b_init = c.sum("input2h.bias", "h2h.bias");
    network(Box::new(cell), c.n_rec)
}

#[test]
fn ctrnn_all_forms_match_torch() {
    for name in [
        "ctrnn_rate",
        "ctrnn_tutorial",
        "ctrnn_state",
        "ctrnn_state_softplus",
        "ctrnn_rate_softplus",
    ] {
        let c = load(name);
        check_both(
            name,
            &c,
            &c.h0,
            (&c.rates, &c.final_h),
            ctrnn(&c),
            ctrnn(&c),
        );
    }
}

fn light_gru<T: Real>(c: &Case) -> Network<T> {
    let h = c.n_rec;
    let mut rng = Rng::new(0);
    let mut cell = if c.embed > 0 {
        LightGru::enu(c.n_in, h, c.embed, &mut rng).with_bn_steps(1)
    } else {
        LightGru::new(c.n_in, h, &mut rng).with_bn_steps(1)
    };
    // w_in rows: [W_zx; W_hx] (or [W_zx; W_ĥx] with embeddings).
    let second = if c.embed > 0 {
        c.p("Whx_hat")
    } else {
        c.p("Whx")
    };
    cell.w_in_init = c.p("Wzx").into_iter().chain(second).collect();
    cell.w_rec_z_init = c.p("Uz");
    if let Some(e) = c.e_size {
        // The seed's signed mask times a non-negative U_h equals Dale's |U_h| ⊙ sign ⊙ (1 − I).
        cell.set_dale(e as f64 / h as f64, &mut rng);
    }
    cell.w_rec_h_init = c.p("Uh");
    if c.embed > 0 {
        cell.b_emb_init = c.p("b_hat");
        cell.w_emb_init = c.p("W_hat_h");
    }
    let mut net = network(Box::new(cell), h);
    // Batch norm: our γ, β and running statistics stack [bn_z | bn_h].
    for (ours, a, b) in [
        ("cell.bn_gamma", "bn_z.weight", "bn_h.weight"),
        ("cell.bn_beta", "bn_z.bias", "bn_h.bias"),
    ] {
        let r = net.layout.range_of(ours).expect("bn parameter");
        for (d, v) in net.params[r]
            .iter_mut()
            .zip(c.p(a).into_iter().chain(c.p(b)))
        {
            *d = T::c(v);
        }
    }
    net
}

fn light_gru_case<T: Real>(name: &str, c: &Case, tol: f64) {
    let mut net = light_gru::<T>(c);
    let (r, s) = run(&mut net, c, &c.h0, true);
    assert_close(&format!("{name} training rates"), &r, &c.rates, tol);
    assert_close(&format!("{name} training final"), &s, &c.final_h, tol);
    let buf = |k: &str| {
        c.buffers_after_train
            .get(k)
            .unwrap_or_else(|| panic!("missing buffer {k}"))
            .clone()
    };
    let mean: Vec<f64> = buf("bn_z.running_mean")
        .into_iter()
        .chain(buf("bn_h.running_mean"))
        .collect();
    let var: Vec<f64> = buf("bn_z.running_var")
        .into_iter()
        .chain(buf("bn_h.running_var"))
        .collect();
    let got = |k: &str| -> Vec<f64> {
        let r = net.buffer_layout.range_of(k).expect("buffer");
        net.buffers[r].iter().map(|v| v.f()).collect()
    };
    assert_close(
        &format!("{name} running mean"),
        &got("bn_running_mean"),
        &mean,
        tol,
    );
    assert_close(
        &format!("{name} running var"),
        &got("bn_running_var"),
        &var,
        tol,
    );
    let (r, s) = run(&mut net, c, &c.h0, false);
    assert_close(&format!("{name} evaluation rates"), &r, &c.rates_eval, tol);
    assert_close(
        &format!("{name} evaluation final"),
        &s,
        &c.final_h_eval,
        tol,
    );
}

#[test]
fn light_gru_matches_torch_in_training_and_evaluation() {
    for name in ["light_gru", "light_gru_enu", "light_gru_ei"] {
        let c = load(name);
        light_gru_case::<f64>(name, &c, TOL);
        light_gru_case::<f32>(&format!("{name} f32"), &c, TOL_F32);
    }
}
