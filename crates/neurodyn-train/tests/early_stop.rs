//! `train.stop`: training ends once the task is learned, a resumed run stops where an
//! uninterrupted one does, and a stopped run trains no further when resumed.

use neurodyn_train::checkpoint::{load_checkpoint, save_checkpoint};
use neurodyn_train::{recipes, RunConfig, StopRule, TrainError, Trainer};

fn cfg() -> RunConfig {
    let mut c = recipes::recipe("GoNogo", 3);
    c.model.n_rec = 16;
    c.train.batch_size = 16;
    c.train.steps = 1500;
    c.train.stop = Some(StopRule {
        accuracy: 0.9,
        window: 10,
    });
    c
}

#[test]
fn training_stops_once_learned_and_a_resumed_run_stops_at_the_same_step() {
    let mut a = Trainer::new(cfg()).expect("trainer");
    let mut last = None;
    a.run(1500, |_, r| {
        last = Some((r.step, r.stop));
        Ok(())
    })
    .expect("train");
    let (stop_step, flagged) = last.expect("steps");
    assert!(a.stopped() && flagged, "the last step says it stopped");
    assert!(stop_step < 1500, "stopped at {stop_step}");
    assert_eq!(a.step, stop_step);
    assert_eq!(a.progress.recent.len(), 10);

    // Interrupted within the window, checkpointed, resumed: the same stop and the same weights.
    let cut = stop_step - 4;
    let mut b = Trainer::new(cfg()).expect("trainer");
    b.run(cut, |_, _| Ok(())).expect("first part");
    let path =
        std::env::temp_dir().join(format!("neurodyn-stop-{}.safetensors", std::process::id()));
    save_checkpoint(&path, &b.net, &b.opt, &b.checkpoint_state()).expect("save");
    let mut c = Trainer::new(cfg()).expect("trainer");
    let st = load_checkpoint(&path, &mut c.net, &mut c.opt).expect("load");
    c.restore(st).expect("restore");
    c.run(1500, |_, _| Ok(())).expect("rest");
    assert_eq!(c.step, stop_step);
    assert_eq!(
        c.net.params, a.net.params,
        "bit-identical to the uninterrupted run"
    );

    // Resuming the stopped run takes no step.
    save_checkpoint(&path, &a.net, &a.opt, &a.checkpoint_state()).expect("save");
    let mut d = Trainer::new(cfg()).expect("trainer");
    let st = load_checkpoint(&path, &mut d.net, &mut d.opt).expect("load");
    d.restore(st).expect("restore");
    let mut steps = 0;
    d.run(1500, |_, _| {
        steps += 1;
        Ok(())
    })
    .expect("nothing to do");
    assert_eq!(steps, 0);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_stop_rule_that_cannot_work_is_refused_by_key() {
    let mut c = cfg();
    c.train.stop = Some(StopRule {
        accuracy: 1.5,
        window: 10,
    });
    let e = Trainer::new(c).err().expect("refused");
    assert!(
        matches!(&e, TrainError::Config { .. }) && e.to_string().contains("train.stop.accuracy"),
        "{e}"
    );
    let mut c = recipes::recipe("FlipFlop", 0);
    c.train.stop = Some(StopRule {
        accuracy: 0.9,
        window: 10,
    });
    let e = Trainer::new(c).err().expect("refused");
    assert!(e.to_string().contains("class targets"), "{e}");
    let text = "[train]\nstop = { accuracy = 0.9, windw = 3 }\n";
    let e = RunConfig::from_toml(text).expect_err("unknown key");
    assert!(e.contains("windw"), "{e}");
}
