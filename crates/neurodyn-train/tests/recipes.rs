//! Default recipes stay healthy after they have learned.

use neurodyn_train::{recipes, record, Trainer};

/// GoNogo is solved within a few dozen steps; without its activity penalty the rest of training
/// let the rates grow without bound (seed 1: rates up to 66,715, logits ±170,000).
#[test]
fn gonogo_keeps_its_rates_bounded() {
    let cfg = recipes::recipe("GoNogo", 1);
    let steps = cfg.train.steps;
    let mut t = Trainer::new(cfg).expect("trainer");
    t.run(steps, |_, _| Ok(())).expect("train");
    let trials = neurodyn_tasks::sample_trials(t.task.as_ref(), 64, 7);
    let rec = record(&mut t.net, &trials, 64).expect("record");
    let max_rate = rec.rates.iter().fold(0.0f32, |m, &v| m.max(v));
    let max_logit = rec.outputs.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
    assert!(max_rate < 100.0, "rates up to {max_rate}");
    assert!(max_logit < 100.0, "logits up to {max_logit}");
}
