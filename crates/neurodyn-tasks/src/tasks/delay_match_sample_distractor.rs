//! DelayMatchSampleDistractor1D (neurogym `DelayMatchSampleDistractor1D-v0`): delayed
//! match-to-sample with distractors — a sample direction is followed by three tests, only one of
//! which matches it; report the match when it appears. Miller, Erickson & Desimone 1996,
//! *J Neurosci* 16:5154 (sample, then intervening non-matching tests, then the match).
//!
//! ```text
//!  period   | fixation 300 | sample 500 | delay1 1000 | test1 500 | delay2 1000 | test2 500 | delay3 1000 | test3 500 |
//!  fixation | 1            | 1 (ng: 0)  | 1 (ng: 0)   | 0         | 1 (ng: 0)   | 0         | 1 (ng: 0)   | 0         |
//!  ring     | 0            | cos(θ_k−θs)| 0           | cos(θ_k−θ1)| 0          | cos(θ_k−θ2)| 0          | cos(θ_k−θ3)|
//!  target   | 0            | 0          | 0           | 1 if gt=1 | 0           | 1 if gt=2 | 0           | 1 if gt=3 |
//! ```
//! `gt ∈ {1, 2, 3}` names the matching test: `θ_gt = θs`, the other tests are independent uniform
//! directions. The ring has 32 units with `cos(θ_k − θ)` tuning in `[−1, 1]` (no offset). Inputs 33
//! (`fixation`, `stimulus0..31`), outputs 2 (`fixate`, `match`). No noise by default (neurogym
//! accepts a `sigma` but never uses it); `sigma` > 0 adds `N(0, σ²/dt)` to the ring in the sample
//! and test periods. Parameters: `sigma` (0), `delay_ms` (1000, all three delays).
//! Labels: `ground_truth` (1..=3, the matching test), `sample_theta`, `test1_theta`,
//! `test2_theta`, `test3_theta` (rad).
//!
//! Deviations from neurogym 2.3.1: the fixation input is 1 everywhere except during the three
//! tests, the only periods in which a report can be due, so the network is told when it may
//! respond; neurogym shows it during the fixation period only. `compat = "neurogym"` restores that.
//! The response onset (for the mask's response weight) is the start of `test1`.

use super::prelude::*;

/// The DelayMatchSampleDistractor1D task.
pub struct DelayMatchSampleDistractor1D {
    spec: TaskSpec,
    setup: Setup,
    sigma: f64,
    timing: Vec<(&'static str, Duration)>,
}

/// One DelayMatchSampleDistractor1D condition.
#[derive(Clone, Debug, PartialEq)]
pub struct DistractorCondition {
    /// Which test matches the sample, 1..=3.
    pub ground_truth: usize,
    /// Sample direction (rad).
    pub sample_theta: f64,
    /// Directions of test1..test3 (rad); `tests[ground_truth − 1] == sample_theta`.
    pub tests: [f64; 3],
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "DelayMatchSampleDistractor1D";
const DIM_RING: usize = 32;
const TESTS: [&str; 3] = ["test1", "test2", "test3"];

impl FromConfig for DelayMatchSampleDistractor1D {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["sigma", "delay_ms"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let delay = p.nonneg("delay_ms", 1000.0)?;
        let mut inputs = names(&["fixation"]);
        inputs.extend(ring_names("stimulus", DIM_RING));
        Ok(DelayMatchSampleDistractor1D {
            spec: make_spec(
                NAME,
                &setup,
                inputs,
                names(&["fixate", "match"]),
                &[
                    "ground_truth",
                    "sample_theta",
                    "test1_theta",
                    "test2_theta",
                    "test3_theta",
                ],
                None,
                &["perceptual", "working memory", "supervised", "neurogym"],
                "Miller, Erickson & Desimone (1996) Neural mechanisms of visual working memory in prefrontal cortex of the macaque. J Neurosci 16:5154",
                "Hold a sample direction through distracting tests and report the one test that matches it.",
            ),
            sigma: p.nonneg("sigma", 0.0)?,
            timing: vec![
                ("fixation", Duration::Fixed(300.0)),
                ("sample", Duration::Fixed(500.0)),
                ("delay1", Duration::Fixed(delay)),
                ("test1", Duration::Fixed(500.0)),
                ("delay2", Duration::Fixed(delay)),
                ("test2", Duration::Fixed(500.0)),
                ("delay3", Duration::Fixed(delay)),
                ("test3", Duration::Fixed(500.0)),
            ],
            setup,
        })
    }
}

impl DelayMatchSampleDistractor1D {
    /// Draw a condition (neurogym order: ground truth, sample, then each non-matching test).
    pub fn sample(&self, rng: &mut Rng) -> DistractorCondition {
        let ground_truth = 1 + rng.below(3) as usize;
        let sample_theta = rng.uniform_range(0.0, 2.0 * PI);
        let mut tests = [0.0; 3];
        for (i, t) in tests.iter_mut().enumerate() {
            *t = if i + 1 == ground_truth {
                sample_theta
            } else {
                rng.uniform_range(0.0, 2.0 * PI)
            };
        }
        DistractorCondition {
            ground_truth,
            sample_theta,
            tests,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &DistractorCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let mut cv = Canvas::new(tl.clone(), 1 + DIM_RING, 2);
        if self.setup.neurogym() {
            cv.set(tl.range("fixation"), 0, 1.0);
        } else {
            cv.set(0..tl.n_steps(), 0, 1.0);
            for name in TESTS {
                cv.set(tl.range(name), 0, 0.0);
            }
        }
        let sd = self.setup.noise_sd(self.sigma);
        let sample = tl.range("sample");
        cv.add_vec(
            sample.clone(),
            1,
            &cos_tuning(DIM_RING, c.sample_theta, 1.0, 0.0),
        );
        cv.noise(sample, 1..1 + DIM_RING, sd, rng);
        for (name, theta) in TESTS.iter().zip(c.tests) {
            let r = tl.range(name);
            cv.add_vec(r.clone(), 1, &cos_tuning(DIM_RING, theta, 1.0, 0.0));
            cv.noise(r, 1..1 + DIM_RING, sd, rng);
        }
        cv.class(tl.range(TESTS[c.ground_truth - 1]), 1);
        cv.respond_from(tl.range("test1").start);
        let labels = Labels::new()
            .int("ground_truth", c.ground_truth as i64)
            .float("sample_theta", c.sample_theta)
            .float("test1_theta", c.tests[0])
            .float("test2_theta", c.tests[1])
            .float("test3_theta", c.tests[2]);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(DelayMatchSampleDistractor1D);
