//! FORCE from a config (`train.method = { kind = "force" }`): a chaotic tanh CTRNN learns
//! PerceptualDecisionMaking with its readout alone, and the evaluated network is the folded one;
//! a run cut and resumed from a checkpoint, in trial and in stream batching, repeats the
//! uninterrupted run bit for bit (P included); and what FORCE cannot train, or would ignore, is
//! refused by key.

use neurodyn_nn::force::Force;
use neurodyn_nn::init::RecInit;
use neurodyn_nn::{Activation, Loss, OptimizerConfig, Regularizer, Schedule};
use neurodyn_train::checkpoint::{load_checkpoint, save_checkpoint};
use neurodyn_train::{evaluate, BatchMode, DaleConfig, Method, ModelKind, RunConfig, Trainer};

fn force_cfg(steps: u64) -> RunConfig {
    let mut cfg = RunConfig::default();
    cfg.model.n_rec = 200;
    cfg.model.form = neurodyn_nn::cells::CtrnnForm::State;
    cfg.model.activation = Activation::Tanh;
    cfg.model.init = RecInit::Gaussian { radius: 1.5 };
    cfg.train.steps = steps;
    cfg.train.batch_size = 4;
    cfg.train.method = Method::Force {
        alpha: 1.0,
        every: 2,
        feedback_scale: 1.0,
    };
    cfg.eval.n_trials = 500;
    cfg
}

#[test]
fn force_learns_perceptual_decision_making_with_the_readout_alone() {
    let cfg = force_cfg(100);
    let mut t = Trainer::new(cfg).expect("trainer");
    let w_in = t.net.param("cell.w_in").expect("w_in").to_vec();
    let mut first = None;
    let mut last = None;
    t.run(100, |_, r| {
        first.get_or_insert(r.loss);
        last = Some(*r);
        Ok(())
    })
    .expect("train");
    let last = last.expect("steps");
    assert!(
        last.loss < 0.1 * first.expect("first"),
        "squared error {first:?} -> {}",
        last.loss
    );
    // The RLS gain rises towards 1 (mask weights are 1 here) as P learns the rates' correlations.
    assert!(last.lr > 0.5 && last.lr < 1.0, "gain {}", last.lr);
    assert_eq!(t.net.param("cell.w_in").expect("w_in"), &w_in[..]);
    let (sc, _) = evaluate(&mut t, None).expect("eval");
    assert!(sc.accuracy > 0.8, "accuracy {}", sc.accuracy);
    // The evaluated network carries the feedback loop in W_rec.
    let f: &Force = t.force.as_ref().expect("force state");
    let (h, o) = (f.n_units, f.n_out);
    let w_rec = t.net.param("cell.w_rec").expect("w_rec");
    let (i, j) = (7, 11);
    let want = f.w_rec0[i * h + j]
        + (0..o)
            .map(|q| f.w_fb[i * o + q] * f.w_out[q * h + j])
            .sum::<f64>();
    assert!((f64::from(w_rec[i * h + j]) - want).abs() < 1e-6);
    assert!((w_rec[i * h + j] as f64 - f.w_rec0[i * h + j]).abs() > 1e-6);
}

#[test]
fn a_resumed_force_run_repeats_the_uninterrupted_one() {
    let dir = std::env::temp_dir().join(format!("neurodyn-force-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let ck = dir.join("checkpoint.safetensors");
    for batching in [BatchMode::Trials, BatchMode::Stream] {
        let mut cfg = force_cfg(12);
        cfg.model.n_rec = 32;
        cfg.model.sigma_rec = 0.05;
        cfg.train.batching = batching;
        cfg.train.window = 40;
        let mut whole = Trainer::new(cfg.clone()).expect("trainer");
        whole.run(12, |_, _| Ok(())).expect("train");
        let mut part = Trainer::new(cfg.clone()).expect("trainer");
        part.run(5, |_, _| Ok(())).expect("train");
        save_checkpoint(&ck, &part.net, &part.opt, &part.checkpoint_state()).expect("save");
        let mut resumed = Trainer::new(cfg.clone()).expect("trainer");
        let st = load_checkpoint(&ck, &mut resumed.net, &mut resumed.opt).expect("load");
        resumed.restore(st).expect("restore");
        resumed.run(12, |_, _| Ok(())).expect("train");
        assert!(
            resumed.net.params == whole.net.params,
            "{batching:?}: weights differ"
        );
        assert!(
            resumed.force == whole.force,
            "{batching:?}: FORCE state differs"
        );
        // A checkpoint without FORCE state cannot continue a FORCE run.
        let mut bptt = cfg.clone();
        bptt.train.method = Method::Bptt;
        let b = Trainer::new(bptt).expect("bptt");
        save_checkpoint(&ck, &b.net, &b.opt, &b.checkpoint_state()).expect("save");
        let mut t = Trainer::new(cfg.clone()).expect("trainer");
        let st = load_checkpoint(&ck, &mut t.net, &mut t.opt).expect("load");
        let e = t.restore(st).expect_err("no FORCE state").to_string();
        assert!(e.contains("train.method"), "{e}");
        // Nor can a FORCE checkpoint continue under backpropagation.
        save_checkpoint(&ck, &part.net, &part.opt, &part.checkpoint_state()).expect("save");
        let mut bptt = cfg;
        bptt.train.method = Method::Bptt;
        let mut b = Trainer::new(bptt).expect("bptt");
        let st = load_checkpoint(&ck, &mut b.net, &mut b.opt).expect("load");
        let e = b.restore(st).expect_err("FORCE state").to_string();
        assert!(e.contains("FORCE state"), "{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn what_force_cannot_train_or_would_ignore_is_refused_by_key() {
    let refused = |edit: &dyn Fn(&mut RunConfig), key: &str| {
        let mut cfg = force_cfg(10);
        edit(&mut cfg);
        match Trainer::new(cfg) {
            Ok(_) => panic!("{key}: accepted"),
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains(key), "{key}: {e}");
            }
        }
    };
    refused(&|c| c.model.kind = ModelKind::Gru, "model.kind");
    refused(
        &|c| c.model.dale = Some(DaleConfig::default()),
        "Dale's law",
    );
    refused(&|c| c.model.connectivity = 0.5, "connectivity mask");
    refused(&|c| c.model.train_h0 = true, "model.train_h0");
    refused(&|c| c.model.learn_tau = true, "model.learn_tau");
    refused(
        &|c| c.train.regularizers = vec![Regularizer::ActivityL2 { weight: 1e-3 }],
        "train.regularizers",
    );
    refused(&|c| c.train.loss = Some(Loss::CrossEntropy), "train.loss");
    refused(
        &|c| c.train.feedback = neurodyn_train::Feedback::ReadoutAlignment,
        "train.feedback",
    );
    refused(&|c| c.train.lr = 0.5, "train.lr");
    refused(&|c| c.train.schedule = Schedule::Constant, "train.schedule");
    refused(&|c| c.train.warmup_steps = 10, "train.warmup_steps");
    refused(
        &|c| c.train.optimizer = OptimizerConfig::Sgd { momentum: 0.9 },
        "train.optimizer",
    );
    refused(&|c| c.train.clip = None, "train.clip");
    refused(
        &|c| {
            c.train.method = Method::Force {
                alpha: 0.0,
                every: 2,
                feedback_scale: 1.0,
            }
        },
        "alpha",
    );
    // From TOML: an unknown key inside the method is named.
    let e = RunConfig::from_toml("[train]\nmethod = { kind = \"force\", alpa = 1.0 }\n")
        .expect_err("unknown key");
    assert!(e.contains("alpa"), "{e}");
    let cfg =
        RunConfig::from_toml("[train]\nmethod = { kind = \"force\", every = 4 }\n").expect("parse");
    assert_eq!(
        cfg.train.method,
        Method::Force {
            alpha: 1.0,
            every: 4,
            feedback_scale: 1.0
        }
    );
}
