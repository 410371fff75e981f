//! Feedback alignment ([`Network::feedback`]): with `B` equal to the effective readout the
//! engine's gradients are backpropagation's exactly, on a whole batch and on one cut into parts
//! (whose `∂R_t` is formed inside the time loop); with another `B` the readout's own gradients
//! stay the same and everything behind `∂R` changes.

mod common;

use common::tiny_batch;
use neurodyn_core::Rng;
use neurodyn_nn::cells::Ctrnn;
use neurodyn_nn::{Constraint, InitialState, Network, Objective, Real, Workspace};

/// A 3 → 64 → 3 CTRNN whose readout sees only the first 40 units (a column mask, so the
/// effective readout differs from the stored one).
fn network<T: Real>(threads: usize) -> Network<T> {
    let mut rng = Rng::new(4);
    let cell = Ctrnn::<T>::new(3, 64, 20.0, 100.0, &mut rng);
    let mut readout = Constraint::none(3, 64);
    readout.conn = Some((0..3 * 64).map(|i| T::c(f64::from(i % 64 < 40))).collect());
    let mut net = Network::new(Box::new(cell), 3, readout, InitialState::Zero, &mut rng);
    net.threads = threads;
    net
}

fn grads<T: Real>(net: &mut Network<T>) -> Vec<T> {
    // 80 steps × 16 samples: enough work for two threads to cut the batch into two parts.
    let b = tiny_batch(80, 16, 3, 3, 1);
    let mut g = vec![T::c(0.0); net.params.len()];
    Objective::default().evaluate(
        net,
        &mut Workspace::default(),
        b.class_ref(),
        None,
        None,
        true,
        Some(&mut g),
    );
    g
}

fn same_as_backprop<T: Real>(threads: usize) -> bool {
    let mut net = network::<T>(threads);
    let bp = grads(&mut net);
    net.feedback = Some(net.effective_w_out());
    bp == grads(&mut net)
}

#[test]
fn feedback_through_the_readout_itself_is_backpropagation() {
    // f32 takes the AVX2 kernel (with B packed in panels) where the CPU has it, f64 faer.
    for threads in [1, 2] {
        assert!(same_as_backprop::<f64>(threads), "f64, {threads} thread(s)");
        assert!(same_as_backprop::<f32>(threads), "f32, {threads} thread(s)");
    }
}

#[test]
fn another_feedback_matrix_changes_only_what_lies_behind_the_units() {
    for threads in [1, 2] {
        let mut net = network::<f64>(threads);
        let bp = grads(&mut net);
        net.set_random_feedback(&mut Rng::new(9));
        let fa = grads(&mut net);
        let readout = net.layout.range_of("readout.w_out").expect("w_out").start;
        assert!(
            bp[readout..] == fa[readout..],
            "{threads} thread(s): the readout learns from its own gradient"
        );
        let differ = bp[..readout]
            .iter()
            .zip(&fa[..readout])
            .filter(|(a, b)| a != b)
            .count();
        assert!(
            differ > readout / 2,
            "{threads} thread(s): only {differ} of {readout} cell gradients changed"
        );
    }
}

/// Largest relative difference between the gradients of a random-feedback network trained on
/// one thread (the whole batch, `∂R = ∂Y B` over the sequence) and on two (the batch cut into
/// parts, `∂R_t` formed inside the loop: in f32 through the AVX2 kernel's packed `B`).
fn parts_against_whole<T: Real>() -> f64 {
    let run = |threads| {
        let mut net = network::<T>(threads);
        net.set_random_feedback(&mut Rng::new(9));
        grads(&mut net)
    };
    let (one, two) = (run(1), run(2));
    let scale = one.iter().map(|v| v.f().abs()).fold(0.0, f64::max);
    one.iter()
        .zip(&two)
        .map(|(a, b)| (a.f() - b.f()).abs() / scale)
        .fold(0.0, f64::max)
}

#[test]
fn a_batch_cut_into_parts_feeds_back_through_the_same_matrix() {
    let f64_err = parts_against_whole::<f64>();
    assert!(f64_err < 1e-12, "f64: {f64_err:e}");
    let f32_err = parts_against_whole::<f32>();
    assert!(f32_err < 1e-4, "f32: {f32_err:e}");
}
