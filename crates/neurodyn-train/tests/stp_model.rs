//! The `stp-ctrnn` model kind end to end: it trains (loss falls, reproducibly) and refuses the
//! CTRNN options it does not have, naming the key.

use neurodyn_train::{RunConfig, Trainer};

fn cfg(seed: u64) -> RunConfig {
    let mut cfg = RunConfig {
        seed,
        ..RunConfig::default()
    };
    cfg.task.dt_ms = Some(100.0);
    cfg.model.kind = "stp-ctrnn".into();
    cfg.model.n_rec = 24;
    cfg.train.steps = 150;
    cfg
}

fn train(seed: u64) -> (Vec<f64>, Vec<f32>) {
    let mut t = Trainer::new(cfg(seed)).expect("trainer");
    assert_eq!(t.net.cell.kind(), "stp-ctrnn");
    assert_eq!(t.net.cell.state_len(), 3 * 24, "state [r | d | φ]");
    let mut losses = Vec::new();
    t.run(150, |_, r| {
        losses.push(r.task_loss);
        Ok(())
    })
    .expect("train");
    (losses, t.net.params.clone())
}

#[test]
fn stp_network_trains_reproducibly() {
    let (losses, a) = train(3);
    let first: f64 = losses[..10].iter().sum::<f64>() / 10.0;
    let last: f64 = losses[140..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.5 * first, "loss {first} → {last}");
    let (_, b) = train(3);
    assert!(
        a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
        "same seed, different weights"
    );
}

#[test]
fn stp_network_refuses_options_it_lacks() {
    type Set = fn(&mut RunConfig);
    let cases: [(&str, Set); 3] = [
        ("model.sigma_rec", |c| c.model.sigma_rec = 0.1),
        ("model.learn_tau", |c| c.model.learn_tau = true),
        ("model.connectivity", |c| c.model.connectivity = 0.5),
    ];
    for (key, set) in cases {
        let mut c = cfg(0);
        set(&mut c);
        let err = Trainer::new(c).err().expect("refused").to_string();
        assert!(
            err.contains(key) && err.contains("stp-ctrnn"),
            "{key}: {err}"
        );
    }
}
