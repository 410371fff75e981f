//! The `stp-ctrnn` model kind end to end: it trains (loss falls, reproducibly), takes Dale's law
//! and sparse connectivity, and refuses the CTRNN options it does not have, naming the key.

use neurodyn_train::{DaleConfig, RunConfig, Trainer};

fn cfg(seed: u64) -> RunConfig {
    let mut cfg = RunConfig {
        seed,
        ..RunConfig::default()
    };
    cfg.task.dt_ms = Some(100.0);
    cfg.model.kind = neurodyn_train::ModelKind::StpCtrnn;
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
    let cases: [(&str, Set); 2] = [
        ("model.learn_tau", |c| c.model.learn_tau = true),
        ("model.form", |c| {
            c.model.form = neurodyn_nn::cells::CtrnnForm::State
        }),
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

#[test]
fn stp_network_with_dale_and_sparse_connectivity_keeps_signs_and_zeros_while_training() {
    // Masse et al. 2019 train their STP networks with Dale's law: 80 % excitatory units, each
    // column of W_rec one sign, no autapses, the readout from excitatory units only.
    let mut c = cfg(5);
    c.model.dale = Some(DaleConfig::default());
    c.model.connectivity = 0.5;
    let mut t = Trainer::new(c).expect("stp-ctrnn with Dale and sparse connectivity");
    let h = 24;
    let w0 = t.net.param("cell.w_rec").expect("w_rec").to_vec();
    t.run(60, |_, _| Ok(())).expect("train");
    assert_ne!(
        t.net.param("cell.w_rec").expect("w_rec"),
        &w0[..],
        "W_rec did not train"
    );
    let n_in = t.net.cell.n_in();
    let eff = t.net.effective();
    let w = &eff[h * n_in + h..h * n_in + h + h * h];
    let n_exc = (0.8 * h as f64).round() as usize;
    let mut zeros = 0;
    for i in 0..h {
        for j in 0..h {
            let v = w[i * h + j];
            if i == j {
                assert_eq!(v, 0.0, "autapse {i}");
            }
            if j < n_exc {
                assert!(v >= 0.0, "excitatory column {j} has {v} in row {i}");
            } else {
                assert!(v <= 0.0, "inhibitory column {j} has {v} in row {i}");
            }
            zeros += usize::from(v == 0.0);
        }
    }
    // About half of the 24·23 off-diagonal synapses are absent.
    assert!(zeros > h + 24 * 23 / 3, "only {zeros} zero weights");
    let w_out = t.net.effective_w_out();
    for (k, &v) in w_out.iter().enumerate() {
        if k % h >= n_exc {
            assert_eq!(v, 0.0, "readout from inhibitory unit {}", k % h);
        }
    }
}
