//! Reproducibility: the same config and seed give bit-identical weights; another seed does not.

use neurodyn_train::model::ModelKind;
use neurodyn_train::{RunConfig, Trainer};

fn trained(seed: u64, steps: u64) -> Vec<f32> {
    trained_kind("ctrnn", 0.05, seed, steps)
}

fn trained_kind(kind: &str, sigma_rec: f64, seed: u64, steps: u64) -> Vec<f32> {
    let mut cfg = RunConfig {
        seed,
        ..RunConfig::default()
    };
    cfg.task.dt_ms = Some(100.0);
    cfg.model.kind = kind.parse().expect("a model kind");
    cfg.model.n_rec = 24;
    cfg.model.sigma_rec = sigma_rec; // noise on: its draws must be reproducible too
    cfg.train.steps = steps;
    cfg.train.batch_size = 8;
    let mut t = Trainer::new(cfg).expect("trainer");
    t.run(steps, |_, _| Ok(())).expect("train");
    t.net.params.clone()
}

#[test]
fn same_seed_same_weights_after_100_steps() {
    let a = trained(7, 100);
    let b = trained(7, 100);
    assert!(
        a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
        "weights differ bit-wise"
    );
    let c = trained(8, 100);
    assert!(a != c, "a different seed must give different weights");
}

#[test]
fn noisy_synaptic_networks_are_reproducible_and_the_noise_acts() {
    for kind in ["stp-ctrnn", "hebb-ctrnn"] {
        let a = trained_kind(kind, 0.1, 7, 20);
        let b = trained_kind(kind, 0.1, 7, 20);
        assert!(
            a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
            "{kind}: weights differ bit-wise"
        );
        assert!(
            a != trained_kind(kind, 0.0, 7, 20),
            "{kind}: the noise changed nothing"
        );
    }
}

#[test]
fn every_model_kind_trains_to_the_same_bits_twice_with_input_noise() {
    for &kind in ModelKind::ALL {
        let run = |seed: u64| {
            let mut cfg = RunConfig {
                seed,
                ..RunConfig::default()
            };
            cfg.task.dt_ms = Some(100.0);
            cfg.model.kind = kind;
            cfg.model.n_rec = 16;
            cfg.model.sigma_in = 0.1; // every kind takes input noise
            cfg.train.steps = 10;
            cfg.train.batch_size = 8;
            let mut t = Trainer::new(cfg).expect("trainer");
            t.run(10, |_, _| Ok(())).expect("train");
            t.net.params.clone()
        };
        let (a, b) = (run(3), run(3));
        assert!(
            a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
            "{kind}: weights differ bit-wise"
        );
        assert!(a != run(4), "{kind}: another seed gave the same weights");
    }
}

#[test]
fn training_reduces_the_loss() {
    let mut cfg = RunConfig::default();
    cfg.task.dt_ms = Some(100.0);
    cfg.model.n_rec = 32;
    cfg.train.steps = 150;
    let mut t = Trainer::new(cfg).expect("trainer");
    let mut losses = Vec::new();
    t.run(150, |_, r| {
        losses.push(r.task_loss);
        Ok(())
    })
    .expect("train");
    let first: f64 = losses[..10].iter().sum::<f64>() / 10.0;
    let last: f64 = losses[140..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.5 * first, "loss {first} → {last}");
}

#[test]
fn stream_mode_carries_state_and_is_reproducible() {
    let run = || {
        let mut cfg = RunConfig::default();
        cfg.task.dt_ms = Some(100.0);
        cfg.model.n_rec = 16;
        cfg.train.batching = neurodyn_train::BatchMode::Stream;
        cfg.train.window = 30;
        cfg.train.batch_size = 4;
        cfg.train.steps = 25;
        let mut t = Trainer::new(cfg).expect("trainer");
        t.run(25, |_, r| {
            assert!(r.loss.is_finite());
            Ok(())
        })
        .expect("train");
        (
            t.net.params.clone(),
            t.carry.clone().expect("carried state"),
        )
    };
    let (a, carry) = run();
    assert_eq!(carry.len(), 4 * 16, "one state row per stream row");
    assert!(
        carry.iter().any(|&v| v != 0.0),
        "the carried state is the network's, not zeros"
    );
    let (b, _) = run();
    assert!(a == b, "stream training must be reproducible");
}

#[test]
fn class_weights_come_from_label_frequencies_when_left_empty() {
    let mut cfg = RunConfig::default();
    cfg.task.dt_ms = Some(100.0);
    cfg.train.loss = Some(neurodyn_nn::Loss::WeightedCrossEntropy { weights: vec![] });
    let t = Trainer::new(cfg).expect("trainer");
    let neurodyn_nn::Loss::WeightedCrossEntropy { weights } = &t.objective.loss else {
        panic!("loss kind changed");
    };
    assert_eq!(weights.len(), 3);
    // Fixation fills most steps of PerceptualDecisionMaking, so it gets the smallest weight.
    assert!(
        weights[0] < weights[1] && weights[0] < weights[2],
        "{weights:?}"
    );
    let mean: f64 = weights.iter().sum::<f64>() / 3.0;
    assert!(
        mean > 1.0,
        "N / (K · count) averages above 1 for unbalanced classes: {weights:?}"
    );
}
