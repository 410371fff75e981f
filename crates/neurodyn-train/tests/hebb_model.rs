//! The `hebb-ctrnn` model kind end to end: it trains (loss falls, the plasticity matrix leaves
//! zero, reproducibly), its `[model.hebb]` table is checked, and it refuses the CTRNN options it
//! does not have, naming the key.

use neurodyn_train::config::HebbConfig;
use neurodyn_train::{RunConfig, Trainer};

fn cfg(seed: u64) -> RunConfig {
    let mut cfg = RunConfig {
        seed,
        ..RunConfig::default()
    };
    cfg.task.dt_ms = Some(100.0);
    cfg.model.kind = neurodyn_train::ModelKind::HebbCtrnn;
    cfg.model.n_rec = 16;
    cfg.train.steps = 150;
    cfg
}

fn train(seed: u64) -> (Vec<f64>, Vec<f32>, f32) {
    let mut t = Trainer::new(cfg(seed)).expect("trainer");
    assert_eq!(t.net.cell.kind(), "hebb-ctrnn");
    assert_eq!(t.net.cell.state_len(), 16 + 16 * 16, "state [r | A]");
    let mut losses = Vec::new();
    t.run(150, |_, r| {
        losses.push(r.task_loss);
        Ok(())
    })
    .expect("train");
    let p = t.net.layout.range_of("cell.plasticity").expect("P");
    let moved = t.net.params[p].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    (losses, t.net.params.clone(), moved)
}

#[test]
fn hebbian_network_trains_reproducibly() {
    let (losses, a, moved) = train(3);
    let first: f64 = losses[..10].iter().sum::<f64>() / 10.0;
    let last: f64 = losses[140..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.5 * first, "loss {first} → {last}");
    assert!(
        moved > 1e-3,
        "the plasticity matrix stayed at zero ({moved})"
    );
    let (_, b, _) = train(3);
    assert!(
        a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
        "same seed, different weights"
    );
}

#[test]
fn hebbian_options_are_checked() {
    type Set = fn(&mut RunConfig);
    let cases: [(&str, &str, Set); 6] = [
        ("model.learn_tau", "hebb-ctrnn", |c| {
            c.model.learn_tau = true
        }),
        ("model.dale", "hebb-ctrnn", |c| {
            c.model.dale = Some(Default::default())
        }),
        ("model.hebb.tau_ms", "dt", |c| {
            c.model.hebb = Some(HebbConfig {
                tau_ms: 50.0,
                ..HebbConfig::default()
            })
        }),
        ("model.hebb.clip", "> 0", |c| {
            c.model.hebb = Some(HebbConfig {
                clip: 0.0,
                ..HebbConfig::default()
            })
        }),
        ("model.hebb", "'ctrnn'", |c| {
            c.model.kind = neurodyn_train::ModelKind::Ctrnn;
            c.model.hebb = Some(HebbConfig::default());
        }),
        ("model.hebb.clip", "> 0", |c| {
            c.model.hebb = Some(HebbConfig {
                clip: f64::NAN,
                ..HebbConfig::default()
            })
        }),
    ];
    for (key, words, set) in cases {
        let mut c = cfg(0);
        set(&mut c);
        let err = Trainer::new(c).err().expect("refused").to_string();
        assert!(err.contains(key) && err.contains(words), "{key}: {err}");
    }
    // No clip is allowed.
    let mut c = cfg(0);
    c.model.hebb = Some(HebbConfig {
        clip: f64::INFINITY,
        ..HebbConfig::default()
    });
    assert!(Trainer::new(c).is_ok());
}
