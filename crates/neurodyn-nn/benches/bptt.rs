//! Criterion benches of the engine's kernels: one training step (forward + BPTT + Adam) at the
//! `neurodyn bench` configurations A (3→64→3, batch 16, 100 steps), B (33→256→17, batch 64,
//! 200 steps, two threads), C (A with Dale's law), and GRU / light-GRU at A's size.
//! `neurodyn bench` prints the same timings beside PyTorch's; these track regressions.

use criterion::{criterion_group, criterion_main, Criterion};
use neurodyn_core::Rng;
use neurodyn_nn::cells::{Ctrnn, CtrnnForm, Gru, LightGru};
use neurodyn_nn::constraint::{dale_signs, no_autapse_mask};
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::{
    Cell, Constraint, InitialState, LossTargets, Network, Objective, Optimizer, OptimizerConfig,
    Workspace,
};

struct Setup {
    net: Network<f32>,
    inputs: Vec<f32>,
    targets: Vec<i64>,
    mask: Vec<f32>,
    steps: usize,
    batch: usize,
}

fn setup(
    cell: Box<dyn Cell<f32>>,
    n_out: usize,
    steps: usize,
    batch: usize,
    threads: usize,
    rng: &mut Rng,
) -> Setup {
    let (n_in, h) = (cell.n_in(), cell.n_units());
    let mut net = Network::new(
        cell,
        n_out,
        Constraint::none(n_out, h),
        InitialState::Zero,
        rng,
    );
    net.threads = threads;
    Setup {
        net,
        inputs: (0..steps * batch * n_in)
            .map(|_| rng.normal() as f32)
            .collect(),
        targets: (0..steps * batch)
            .map(|_| rng.below(n_out as u64) as i64)
            .collect(),
        mask: vec![1.0; steps * batch],
        steps,
        batch,
    }
}

fn bench_step(c: &mut Criterion, name: &str, mut s: Setup) {
    let obj = Objective::default();
    let mut opt = Optimizer::new(OptimizerConfig::default(), s.net.params.len());
    let mut ws = Workspace::default();
    let mut g = vec![0.0f32; s.net.params.len()];
    c.bench_function(name, |b| {
        b.iter(|| {
            let batch = BatchRef {
                inputs: &s.inputs,
                targets: LossTargets::Class(&s.targets),
                mask: &s.mask,
                n_steps: s.steps,
                batch: s.batch,
            };
            obj.evaluate(&mut s.net, &mut ws, batch, None, None, true, Some(&mut g));
            opt.update(&mut s.net.params, &g, 0.01);
        })
    });
}

fn ctrnn(n_in: usize, h: usize, dale: bool, rng: &mut Rng) -> Box<dyn Cell<f32>> {
    let mut c = Ctrnn::<f32>::new(n_in, h, 20.0, 100.0, rng);
    c.form = CtrnnForm::Tutorial;
    if dale {
        c.c_rec = Constraint {
            conn: Some(no_autapse_mask(h)),
            col_sign: Some(dale_signs(h, 0.8)),
            ..Constraint::none(h, h)
        };
    }
    Box::new(c)
}

fn engine(c: &mut Criterion) {
    let mut rng = Rng::new(0);
    let a = setup(ctrnn(3, 64, false, &mut rng), 3, 100, 16, 1, &mut rng);
    bench_step(c, "step A ctrnn 3-64-3 b16 t100", a);
    let cc = setup(ctrnn(3, 64, true, &mut rng), 3, 100, 16, 1, &mut rng);
    bench_step(c, "step C ctrnn-dale 3-64-3 b16 t100", cc);
    let g = setup(
        Box::new(Gru::<f32>::new(3, 64, &mut rng)),
        3,
        100,
        16,
        1,
        &mut rng,
    );
    bench_step(c, "step gru 3-64-3 b16 t100", g);
    let l = setup(
        Box::new(LightGru::<f32>::new(3, 64, &mut rng)),
        3,
        100,
        16,
        1,
        &mut rng,
    );
    bench_step(c, "step light-gru 3-64-3 b16 t100", l);
    let b = setup(ctrnn(33, 256, false, &mut rng), 17, 200, 64, 2, &mut rng);
    bench_step(c, "step B ctrnn 33-256-17 b64 t200 2threads", b);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = engine
}
criterion_main!(benches);
