//! HierarchicalReasoning (neurogym `HierarchicalReasoning-v0`): a rule decides whether a
//! short or a long interval between two flashes calls for a pro or an anti response.
//! Sarafyazd & Jazayeri 2019, *Science* 364:eaav8911.
//!
//! ```text
//!  period   | fixation | rule_target 1000 | fixation2 | flash1 100 | delay      | flash2 100 | decision 700 |
//!  ms       | TE(600,  |                  | TE(600,   |            | 530..1170  |            |              |
//!           | 400,800) |                  | 400,900)  |            | (9 values) |            |              |
//!  fixation | 1        | 1                | 1         | 1          | 1          | 1          | 0            |
//!  rule 1,2 | 0        | one-hot rule     | 0         | 0          | 0          | 0          | 0            |
//!           |          | (ng: both 1)     |           |            |            |            |              |
//!  stim 1,2 | 0        | 0                | 0         | one-hot s  | 0          | one-hot s  | 0            |
//!  target   | 0        | 1 + rule         | 0         | 0          | 0          | 0          | 3 + choice   |
//! ```
//! TE = truncated exponential (mean, min, max). `long = interval > mid + (u − ½)` with `u ~ U(0,1)`
//! (ms; it only breaks the tie at `interval = mid`), `pro = (long == rule)`, and the choice is the
//! stimulus side `s` on pro trials, `1 − s` on anti trials. Inputs 5 (`fixation`, `rule1`, `rule2`,
//! `stimulus1`, `stimulus2`), outputs 5 (`fixate`, `rule1`, `rule2`, `choice1`, `choice2`); no noise.
//! Parameter: `delays_ms` (the interval choices). Labels: `ground_truth` (decision class 3/4),
//! `rule` (0/1), `stimulus` (0/1), `interval_ms`, `long` (0/1), `pro` (0/1).
//!
//! Deviations from neurogym 2.3.1:
//! - The threshold `mid` is the median of the interval choices (850 ms by default). neurogym takes
//!   `np.median` of a single element and gets 610 ms, so 6/9 (dt 100) or 7/9 (dt 20) of the
//!   intervals count as long. `compat = "neurogym"` uses 610 (the second interval choice).
//! - The delay period lasts the interval the label is computed from. neurogym draws `interval`
//!   with `sample_time('delay')` and then `add_period` draws the delay period again, so the
//!   displayed interval is independent of the label; it also compares the floored interval.
//!   `compat = "neurogym"` reproduces both (the label from a floored draw, the period from a second).
//! - The rule is shown: during `rule_target` channel `rule1` or `rule2` is 1. neurogym sets both to
//!   1 and keeps the rule constant over unannounced blocks of 10–20 trials, to be inferred from
//!   reward. A trial generator here is stateless (trials are independent per seed and thread), so
//!   blocks cannot be reproduced and an unshown rule could not be learned; in both modes the rule is
//!   drawn per trial (½ each). `compat = "neurogym"` restores the uninformative both-1 cue.
//! - Reward bookkeeping (correct only if the rule report during `rule_target` was right) is RL-only
//!   and has no counterpart in a supervised trial.

use super::prelude::*;

/// The HierarchicalReasoning task.
pub struct HierarchicalReasoning {
    spec: TaskSpec,
    setup: Setup,
    delays: Vec<f64>,
    mid_ms: f64,
    before: Vec<(&'static str, Duration)>,
}

/// One HierarchicalReasoning condition.
#[derive(Clone, Debug, PartialEq)]
pub struct HierarchicalCondition {
    /// The rule, 0 or 1 (0: short → pro, long → anti; 1: long → pro).
    pub rule: usize,
    /// Stimulus side, 0 or 1.
    pub stimulus: usize,
    /// The interval (ms) the label is computed from.
    pub interval_ms: f64,
    /// Whether the interval counts as long.
    pub long: bool,
    /// Periods.
    pub timeline: Timeline,
}

impl HierarchicalCondition {
    /// Pro (respond to the stimulus side) or anti.
    pub fn pro(&self) -> bool {
        usize::from(self.long) == self.rule
    }

    /// The correct side, 0 or 1.
    pub fn choice(&self) -> usize {
        if self.pro() {
            self.stimulus
        } else {
            1 - self.stimulus
        }
    }
}

const NAME: &str = "HierarchicalReasoning";
const DELAYS: [f64; 9] = [
    530.0, 610.0, 690.0, 770.0, 850.0, 930.0, 1010.0, 1090.0, 1170.0,
];

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

impl FromConfig for HierarchicalReasoning {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["delays_ms"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let delays = p.list("delays_ms", &DELAYS)?;
        if delays.iter().any(|&d| d < 0.0) {
            return Err(TaskError::InvalidParam {
                task: NAME.into(),
                key: "delays_ms".into(),
                message: "durations must be ≥ 0 ms".into(),
            });
        }
        // neurogym: np.median of a single element, the second choice (610 ms by default).
        let mid_ms = if setup.neurogym() {
            delays.get(1).copied().unwrap_or(delays[0])
        } else {
            median(&delays)
        };
        Ok(HierarchicalReasoning {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "rule1", "rule2", "stimulus1", "stimulus2"]),
                names(&["fixate", "rule1", "rule2", "choice1", "choice2"]),
                &["ground_truth", "rule", "stimulus", "interval_ms", "long", "pro"],
                None,
                &["timing", "rule switching", "supervised", "neurogym"],
                "Sarafyazd & Jazayeri (2019) Hierarchical reasoning by neural circuits in the frontal cortex. Science 364:eaav8911",
                "Report the rule, then judge the interval between two flashes as short or long and respond pro or anti as the rule says.",
            ),
            delays,
            mid_ms,
            before: vec![
                (
                    "fixation",
                    Duration::TruncExp {
                        mean: 600.0,
                        min: 400.0,
                        max: 800.0,
                    },
                ),
                ("rule_target", Duration::Fixed(1000.0)),
                (
                    "fixation2",
                    Duration::TruncExp {
                        mean: 600.0,
                        min: 400.0,
                        max: 900.0,
                    },
                ),
                ("flash1", Duration::Fixed(100.0)),
            ],
            setup,
        })
    }
}

impl HierarchicalReasoning {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> HierarchicalCondition {
        let rule = rng.below(2) as usize;
        let delay = Duration::Choice(self.delays.clone());
        let drawn = delay.sample(rng);
        let stimulus = rng.below(2) as usize;
        let jitter = rng.uniform() - 0.5;
        let mut tl = self.setup.timeline();
        for (name, d) in &self.before {
            tl.push_sampled(name, d, rng);
        }
        let interval_ms = if self.setup.neurogym() {
            // sample_time floors to dt; add_period then draws the delay period again.
            tl.push_sampled("delay", &delay, rng);
            (drawn / self.setup.dt_ms + 1e-9).floor() * self.setup.dt_ms
        } else {
            tl.push("delay", drawn);
            drawn
        };
        tl.push("flash2", 100.0);
        tl.push("decision", 700.0);
        HierarchicalCondition {
            rule,
            stimulus,
            interval_ms,
            long: interval_ms > self.mid_ms + jitter,
            timeline: tl,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &HierarchicalCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (rule_r, dec) = (tl.range("rule_target"), tl.range("decision"));
        let mut cv = Canvas::new(tl.clone(), 5, 5);
        cv.set(0..dec.start, 0, 1.0);
        if self.setup.neurogym() {
            cv.set(rule_r.clone(), 1, 1.0);
            cv.set(rule_r.clone(), 2, 1.0);
        } else {
            cv.set(rule_r.clone(), 1 + c.rule, 1.0);
        }
        cv.set(tl.range("flash1"), 3 + c.stimulus, 1.0);
        cv.set(tl.range("flash2"), 3 + c.stimulus, 1.0);
        cv.class(rule_r, 1 + c.rule as i64);
        let gt = 3 + c.choice() as i64;
        cv.class(dec.clone(), gt);
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", gt)
            .int("rule", c.rule as i64)
            .int("stimulus", c.stimulus as i64)
            .float("interval_ms", c.interval_ms)
            .int("long", i64::from(c.long))
            .int("pro", i64::from(c.pro()));
        cv.finish(&self.setup, labels)
    }
}

impl_task!(HierarchicalReasoning);
