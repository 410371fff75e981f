//! DelayMatchSample (neurogym `DelayMatchSample-v0`): delayed match-to-sample,
//! Miller, Erickson & Desimone 1996, *J Neurosci* 16:5154.
//!
//! ```text
//!  period   | fixation 300 | sample 500        | delay 1000 | test 500        | decision 900 |
//!  fixation | 1            | 1                 | 1          | 1               | 0            |
//!  stimulus | 0            | cos(θ_k−θs)/2+½+ξ | 0          | cos(θ_k−θt)/2+½+ξ | 0          |
//!  target   | 0            | 0                 | 0          | 0               | 1 match / 2 non-match |
//! ```
//! Test = sample on match trials, sample + π on non-match trials. ξ ~ N(0, σ²/dt) on the stimulus
//! channels. Inputs `1 + dim_ring`, outputs 3. Labels: `ground_truth` (1 match, 2 non-match),
//! `sample_theta`, `test_theta` (rad).
//!
//! Deviations from neurogym 2.3.1: none.

use super::prelude::*;

/// The DelayMatchSample task.
pub struct DelayMatchSample {
    spec: TaskSpec,
    setup: Setup,
    dim_ring: usize,
    sigma: f64,
    timing: Vec<(&'static str, Duration)>,
}

/// One DelayMatchSample condition.
#[derive(Clone, Debug, PartialEq)]
pub struct DmsCondition {
    /// `true` when the test matches the sample.
    pub is_match: bool,
    /// Sample direction (rad).
    pub sample_theta: f64,
    /// Test direction (rad).
    pub test_theta: f64,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "DelayMatchSample";

impl FromConfig for DelayMatchSample {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["dim_ring", "sigma", "delay_ms"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let dim_ring = p.usize("dim_ring", 2, 2, 360)?;
        let mut inputs = names(&["fixation"]);
        inputs.extend(ring_names("stimulus", dim_ring));
        Ok(DelayMatchSample {
            spec: make_spec(
                NAME,
                &setup,
                inputs,
                names(&["fixate", "match", "non-match"]),
                &["ground_truth", "sample_theta", "test_theta"],
                None,
                &["perceptual", "working memory", "two-alternative", "supervised", "neurogym"],
                "Miller, Erickson & Desimone (1996) Neural mechanisms of visual working memory in prefrontal cortex of the macaque. J Neurosci 16:5154",
                "Hold a sample direction over a delay and report whether the test matches it.",
            ),
            dim_ring,
            sigma: p.nonneg("sigma", 1.0)?,
            timing: vec![
                ("fixation", Duration::Fixed(300.0)),
                ("sample", Duration::Fixed(500.0)),
                ("delay", Duration::Fixed(p.nonneg("delay_ms", 1000.0)?)),
                ("test", Duration::Fixed(500.0)),
                ("decision", Duration::Fixed(900.0)),
            ],
            setup,
        })
    }
}

impl DelayMatchSample {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> DmsCondition {
        let is_match = rng.below(2) == 0;
        let sample_theta = *rng.choose(&ring(self.dim_ring));
        let test_theta = if is_match {
            sample_theta
        } else {
            (sample_theta + PI) % (2.0 * PI)
        };
        DmsCondition {
            is_match,
            sample_theta,
            test_theta,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &DmsCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (sample, test, dec) = (tl.range("sample"), tl.range("test"), tl.range("decision"));
        let n = self.dim_ring;
        let mut cv = Canvas::new(tl.clone(), 1 + n, 3);
        cv.set(0..dec.start, 0, 1.0);
        cv.add_vec(sample.clone(), 1, &cos_tuning(n, c.sample_theta, 0.5, 0.5));
        cv.add_vec(test.clone(), 1, &cos_tuning(n, c.test_theta, 0.5, 0.5));
        let sd = self.setup.noise_sd(self.sigma);
        cv.noise(sample, 1..1 + n, sd, rng);
        cv.noise(test, 1..1 + n, sd, rng);
        let gt = if c.is_match { 1 } else { 2 };
        cv.class(dec.clone(), gt);
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", gt)
            .float("sample_theta", c.sample_theta)
            .float("test_theta", c.test_theta);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(DelayMatchSample);
