//! Splits one training step at the tutorial size into forward, loss + backward, and optimizer
//! time, to see where time goes. `cargo run --release -p neurodyn-nn --example step_profile
//! [ctrnn|ctrnn-state|ctrnn-ACT|gru|lstm|lgru|stp|stp-tanh|hebb] [B [threads]]`: `ctrnn` is
//! config A's tutorial form, `ctrnn-state` the state form with tanh, `ctrnn-ACT` the rate form
//! with activation ACT (`ctrnn-tanh`, `ctrnn-softplus`, …); `B` times config B of `neurodyn
//! bench` (33→256→17, batch 64, 200 steps) instead of A. Each round times every stage once;
//! medians and minima over the rounds.

use neurodyn_core::Rng;
use neurodyn_nn::cells::{Ctrnn, CtrnnForm};
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::{
    Constraint, InitialState, LossTargets, Network, Objective, Optimizer, OptimizerConfig,
    Workspace,
};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let big = args.get(2).map(String::as_str) == Some("B");
    let threads: usize =
        args.get(3)
            .and_then(|s| s.parse().ok())
            .unwrap_or(if big { 2 } else { 1 });
    let (n_in, h, o, b, t) = if big {
        (33, 256, 17, 64, 200)
    } else {
        (3, 64, 3, 16, 100)
    };
    let mut rng = Rng::new(0);
    let cell: Box<dyn neurodyn_nn::Cell<f32>> = match args.get(1).map(String::as_str) {
        Some("gru") => Box::new(neurodyn_nn::cells::Gru::<f32>::new(n_in, h, &mut rng)),
        Some("lstm") => Box::new(neurodyn_nn::cells::Lstm::<f32>::new(n_in, h, &mut rng)),
        Some("ctrnn-state") => {
            let mut c = Ctrnn::<f32>::new(n_in, h, 20.0, 100.0, &mut rng);
            c.activation = neurodyn_nn::Activation::Tanh;
            c.form = CtrnnForm::State;
            Box::new(c)
        }
        Some(name) if name.starts_with("ctrnn-") => {
            // ctrnn-tanh, ctrnn-softplus, …: the rate form with another activation.
            let act = &name["ctrnn-".len()..];
            let mut c = Ctrnn::<f32>::new(n_in, h, 20.0, 100.0, &mut rng);
            c.activation = serde_json::from_value(serde_json::json!(act))
                .unwrap_or_else(|_| panic!("no activation {act:?}"));
            Box::new(c)
        }
        Some("lgru") => Box::new(neurodyn_nn::cells::LightGru::<f32>::new(n_in, h, &mut rng)),
        Some("stp") => Box::new(neurodyn_nn::cells::StpCtrnn::<f32>::new(
            n_in, h, 20.0, 100.0, &mut rng,
        )),
        Some("stp-tanh") => {
            let mut c = neurodyn_nn::cells::StpCtrnn::<f32>::new(n_in, h, 20.0, 100.0, &mut rng);
            c.activation = neurodyn_nn::Activation::Tanh;
            Box::new(c)
        }
        Some("hebb") => Box::new(neurodyn_nn::cells::HebbCtrnn::<f32>::new(
            n_in, h, 20.0, 100.0, &mut rng,
        )),
        _ => {
            let mut c = Ctrnn::<f32>::new(n_in, h, 20.0, 100.0, &mut rng);
            c.form = CtrnnForm::Tutorial;
            Box::new(c)
        }
    };
    let mut net = Network::new(
        cell,
        o,
        Constraint::none(o, h),
        InitialState::Zero,
        &mut rng,
    );
    net.threads = threads;
    let x: Vec<f32> = (0..t * b * n_in).map(|_| rng.normal() as f32).collect();
    let y: Vec<i64> = (0..t * b).map(|_| rng.below(o as u64) as i64).collect();
    let mask = vec![1.0f32; t * b];
    let batch = BatchRef {
        inputs: &x,
        targets: LossTargets::Class(&y),
        mask: &mask,
        n_steps: t,
        batch: b,
    };
    let obj = Objective::default();
    let mut opt = Optimizer::new(OptimizerConfig::default(), net.params.len());
    let mut ws = Workspace::default();
    let mut g = vec![0.0f32; net.params.len()];
    let reps = if big { 40 } else { 400 };
    // As `neurodyn bench` does: full steps with updates from a fresh network.
    for k in 0..30 {
        let t0 = Instant::now();
        obj.evaluate(&mut net, &mut ws, batch, None, None, true, Some(&mut g));
        opt.update(&mut net.params, &g, 0.01);
        if k % 10 == 0 {
            eprintln!("fresh step {k}: {:.3} ms", t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    let ms = |t0: Instant| t0.elapsed().as_secs_f64() * 1e3;
    let mut stages = [(); 5].map(|_| Vec::with_capacity(reps));
    for _ in 0..reps {
        let t0 = Instant::now();
        net.forward(&mut ws, &x, t, b, None, None, true);
        stages[0].push(ms(t0));
        let t0 = Instant::now();
        obj.evaluate(&mut net, &mut ws, batch, None, None, true, None);
        stages[1].push(ms(t0));
        let t0 = Instant::now();
        obj.evaluate(&mut net, &mut ws, batch, None, None, true, Some(&mut g));
        stages[2].push(ms(t0));
        let t0 = Instant::now();
        opt.update(&mut net.params, &g, 0.0);
        stages[3].push(ms(t0));
        let t0 = Instant::now();
        obj.evaluate(&mut net, &mut ws, batch, None, None, true, Some(&mut g));
        opt.update(&mut net.params, &g, 0.0);
        stages[4].push(ms(t0));
    }
    let mut sorted = stages[4].clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let dec: Vec<String> = (0..=10)
        .map(|d| format!("{:.1}", sorted[(d * (sorted.len() - 1)) / 10]))
        .collect();
    println!("step deciles (ms): {}", dec.join(" "));
    let [fwd, fwd_loss, full, upd, step] = stages.map(|mut v| {
        v.sort_by(|a, b| a.total_cmp(b));
        (v[v.len() / 2], v[0])
    });
    let tiny = ws.rates.iter().filter(|v| v.is_subnormal()).count();
    println!(
        "step (lr 0) {:.3} ms median, {:.3} min ({tiny} subnormal rates)",
        step.0, step.1
    );
    println!(
        "median: forward {:.3} ms, +loss {:.3}, +backward {:.3}, adam {:.3} | min: forward {:.3}, +loss {:.3}, +backward {:.3}, adam {:.3}",
        fwd.0,
        fwd_loss.0 - fwd.0,
        full.0 - fwd_loss.0,
        upd.0,
        fwd.1,
        fwd_loss.1 - fwd.1,
        full.1 - fwd_loss.1,
        upd.1
    );
}
