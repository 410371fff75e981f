//! Two halves of config B's batch (33→256→17, 32 samples each, 200 steps), each a network of its
//! own on a thread of its own, to tell the host's per-core slow spells from anything the
//! two-part time loop does. `cargo run --release -p neurodyn-nn --example independent_halves
//! [free|barrier|spin]`: `free` lets each thread run its steps on its own; `barrier` makes both
//! wait for each other after every step, as a two-part step of one network does (sleeping in
//! `std::sync::Barrier`); `spin` does the same by spinning. Prints each thread's step deciles
//! (ms, after 30 warm-up steps).

use neurodyn_core::Rng;
use neurodyn_nn::cells::{Ctrnn, CtrnnForm};
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::{
    Constraint, InitialState, LossTargets, Network, Objective, Optimizer, OptimizerConfig,
    Workspace,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::Instant;

const WARM: usize = 30;
const TIMED: usize = 120;

/// How the two threads meet after each step.
#[derive(Clone, Copy)]
enum Meet {
    Free,
    Barrier,
    Spin,
}

/// A barrier for two threads that waits by spinning.
struct SpinBarrier {
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) == 1 {
            self.arrived.store(0, Ordering::Release);
            self.generation.fetch_add(1, Ordering::Release);
        } else {
            while self.generation.load(Ordering::Acquire) == generation {
                std::hint::spin_loop();
            }
        }
    }
}

/// Step times (ms) of one half-batch network.
fn half(seed: u64, meet: Meet, barrier: &Barrier, spin: &SpinBarrier) -> Vec<f64> {
    let (n_in, h, o, b, t) = (33, 256, 17, 32, 200);
    let mut rng = Rng::new(seed);
    let mut cell = Ctrnn::<f32>::new(n_in, h, 20.0, 100.0, &mut rng);
    cell.form = CtrnnForm::Tutorial;
    let mut net = Network::new(
        Box::new(cell),
        o,
        Constraint::none(o, h),
        InitialState::Zero,
        &mut rng,
    );
    net.threads = 1;
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
    let mut times = Vec::with_capacity(TIMED);
    for k in 0..WARM + TIMED {
        let t0 = Instant::now();
        obj.evaluate(&mut net, &mut ws, batch, None, None, true, Some(&mut g));
        // As `neurodyn bench`: updates from a fresh network, then steps at lr 0.
        opt.update(&mut net.params, &g, if k < WARM { 0.01 } else { 0.0 });
        match meet {
            Meet::Free => {}
            Meet::Barrier => {
                barrier.wait();
            }
            Meet::Spin => spin.wait(),
        }
        if k >= WARM {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    times
}

fn deciles(mut v: Vec<f64>) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    let d: Vec<String> = (0..=10)
        .map(|k| format!("{:.1}", v[k * (v.len() - 1) / 10]))
        .collect();
    d.join(" ")
}

fn main() {
    let meet = match std::env::args().nth(1).as_deref() {
        None | Some("free") => Meet::Free,
        Some("barrier") => Meet::Barrier,
        Some("spin") => Meet::Spin,
        Some(other) => {
            eprintln!("unknown mode {other:?}: free, barrier or spin");
            std::process::exit(2);
        }
    };
    let barrier = Barrier::new(2);
    let spin = SpinBarrier {
        arrived: AtomicUsize::new(0),
        generation: AtomicUsize::new(0),
    };
    let [a, b] = std::thread::scope(|s| {
        let a = s.spawn(|| half(0, meet, &barrier, &spin));
        let b = s.spawn(|| half(1, meet, &barrier, &spin));
        [a.join().expect("thread"), b.join().expect("thread")]
    });
    println!("thread 0 step deciles (ms): {}", deciles(a));
    println!("thread 1 step deciles (ms): {}", deciles(b));
}
