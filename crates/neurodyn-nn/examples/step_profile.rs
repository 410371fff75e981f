//! Splits one training step at the tutorial size into forward, loss + backward, and optimizer
//! time, to see where time goes. `cargo run --release -p neurodyn-nn --example step_profile [ctrnn|gru|lstm]`

use neurodyn_core::Rng;
use neurodyn_nn::cells::{Ctrnn, CtrnnForm};
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::{
    Constraint, InitialState, LossTargets, Network, Objective, Optimizer, OptimizerConfig,
    Workspace,
};
use std::time::Instant;

fn main() {
    let (n_in, h, o, b, t) = (3, 64, 3, 16, 100);
    let mut rng = Rng::new(0);
    let cell: Box<dyn neurodyn_nn::Cell<f32>> = match std::env::args().nth(1).as_deref() {
        Some("gru") => Box::new(neurodyn_nn::cells::Gru::<f32>::new(n_in, h, &mut rng)),
        Some("lstm") => Box::new(neurodyn_nn::cells::Lstm::<f32>::new(n_in, h, &mut rng)),
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
    let reps = 300;
    // As `neurodyn bench` does: full steps with updates from a fresh network.
    for k in 0..30 {
        let t0 = Instant::now();
        obj.evaluate(&mut net, &mut ws, batch, None, None, true, Some(&mut g));
        opt.update(&mut net.params, &g, 0.01);
        if k % 5 == 0 {
            eprintln!("fresh step {k}: {:.3} ms", t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    let t0 = Instant::now();
    for _ in 0..reps {
        net.forward(&mut ws, &x, t, b, None, None, true);
    }
    let fwd = t0.elapsed().as_secs_f64() / reps as f64;
    let t0 = Instant::now();
    for _ in 0..reps {
        obj.evaluate(&mut net, &mut ws, batch, None, None, true, None);
    }
    let fwd_loss = t0.elapsed().as_secs_f64() / reps as f64;
    let t0 = Instant::now();
    for _ in 0..reps {
        obj.evaluate(&mut net, &mut ws, batch, None, None, true, Some(&mut g));
    }
    let full = t0.elapsed().as_secs_f64() / reps as f64;
    let t0 = Instant::now();
    for _ in 0..reps {
        opt.update(&mut net.params, &g, 0.01);
    }
    let upd = t0.elapsed().as_secs_f64() / reps as f64;
    // Train on the (random) batch for a while, then time a full step again: saturating units can
    // produce subnormal numbers, which are slow on x86.
    let t0 = Instant::now();
    let mut last = 0.0;
    for _ in 0..reps {
        last = obj
            .evaluate(&mut net, &mut ws, batch, None, None, true, Some(&mut g))
            .total();
        opt.update(&mut net.params, &g, 0.01);
    }
    let trained = t0.elapsed().as_secs_f64() / reps as f64;
    let tiny = ws.rates.iter().filter(|v| v.is_subnormal()).count();
    println!(
        "training steps: {:.3} ms each (loss {last:.4}, {tiny} subnormal rates)",
        trained * 1e3
    );
    println!(
        "forward {:.3} ms, +loss {:.3} ms, +backward {:.3} ms, adam {:.3} ms",
        fwd * 1e3,
        (fwd_loss - fwd) * 1e3,
        (full - fwd_loss) * 1e3,
        upd * 1e3
    );
}
