//! DelayMatchCategory (neurogym `DelayMatchCategory-v0`): delayed match-to-category, Freedman &
//! Assad 2006, *Nature* 443:85.
//!
//! ```text
//!  period   | fixation 500 | sample 650          | first_delay 1000 | test 650           |
//!  fixation | 1            | 1                   | 1                | 0                  |
//!  stimulus | 0            | cos(θ_k−θs)/2+½ + ξ | 0                | cos(θ_k−θt)/2+½ + ξ |
//!  target   | 0            | 0                   | 0                | 1 match / 2 non-match |
//! ```
//! Categories are the half rings `[0, π)` and `[π, 2π)`; `θ = (category + U(0,1))·π`. There is no
//! separate decision period: the response is given during the test (fixation offset = go cue).
//! ξ ~ N(0, σ²/dt) on the stimulus channels. Inputs `1 + dim_ring`, outputs 3. Parameters
//! `dim_ring` (4; 2 with `compat = "neurogym"`), `sigma` (1). Labels: `ground_truth`,
//! `sample_category`, `sample_theta`, `test_theta`.
//!
//! Deviation from neurogym 2.3.1 (default compat only): `dim_ring` defaults to 4, not 2. With
//! two channels tuned to 0 and π, both read `cos θ`, which is the same for θ and −θ: the category
//! (whether θ lies in `[0, π)`, the sign of `sin θ`) is not in the inputs at all, and a network
//! stays at chance (0.50-0.52 on seeds 0-2; 0.97 with four channels). `compat = "neurogym"`
//! keeps 2; an explicit `dim_ring` is always taken as given.

use super::prelude::*;

/// The DelayMatchCategory task.
pub struct DelayMatchCategory {
    spec: TaskSpec,
    setup: Setup,
    dim_ring: usize,
    sigma: f64,
    timing: Vec<(&'static str, Duration)>,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct DmcCondition {
    /// 1 match, 2 non-match.
    pub ground_truth: i64,
    /// Sample category (0/1).
    pub sample_category: usize,
    /// Sample direction (rad).
    pub sample_theta: f64,
    /// Test direction (rad).
    pub test_theta: f64,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "DelayMatchCategory";

impl FromConfig for DelayMatchCategory {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["dim_ring", "sigma"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        // Two channels cannot tell the categories apart (see the module doc).
        let default_ring = if setup.neurogym() { 2 } else { 4 };
        let dim_ring = p.usize("dim_ring", default_ring, 2, 360)?;
        let mut inputs = names(&["fixation"]);
        inputs.extend(ring_names("stimulus", dim_ring));
        Ok(DelayMatchCategory {
            spec: make_spec(
                NAME,
                &setup,
                inputs,
                names(&["fixate", "match", "non-match"]),
                &["ground_truth", "sample_category", "sample_theta", "test_theta"],
                None,
                &["perceptual", "working memory", "categorization", "supervised", "neurogym"],
                "Freedman & Assad (2006) Experience-dependent representation of visual categories in parietal cortex. Nature 443:85",
                "Report whether the test direction belongs to the same category as the sample.",
            ),
            dim_ring,
            sigma: p.nonneg("sigma", 1.0)?,
            timing: vec![
                ("fixation", Duration::Fixed(500.0)),
                ("sample", Duration::Fixed(650.0)),
                ("first_delay", Duration::Fixed(1000.0)),
                ("test", Duration::Fixed(650.0)),
            ],
            setup,
        })
    }
}

impl DelayMatchCategory {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> DmcCondition {
        let ground_truth = 1 + rng.below(2) as i64;
        let sample_category = rng.below(2) as usize;
        let test_category = if ground_truth == 1 {
            sample_category
        } else {
            1 - sample_category
        };
        let sample_theta = (sample_category as f64 + rng.uniform()) * PI;
        let test_theta = (test_category as f64 + rng.uniform()) * PI;
        DmcCondition {
            ground_truth,
            sample_category,
            sample_theta,
            test_theta,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &DmcCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (sample, test) = (tl.range("sample"), tl.range("test"));
        let n = self.dim_ring;
        let mut cv = Canvas::new(tl.clone(), 1 + n, 3);
        cv.set(0..test.start, 0, 1.0);
        cv.add_vec(sample.clone(), 1, &cos_tuning(n, c.sample_theta, 0.5, 0.5));
        cv.add_vec(test.clone(), 1, &cos_tuning(n, c.test_theta, 0.5, 0.5));
        let sd = self.setup.noise_sd(self.sigma);
        cv.noise(sample, 1..1 + n, sd, rng);
        cv.noise(test.clone(), 1..1 + n, sd, rng);
        cv.class(test.clone(), c.ground_truth);
        cv.respond_from(test.start);
        let labels = Labels::new()
            .int("ground_truth", c.ground_truth)
            .int("sample_category", c.sample_category as i64)
            .float("sample_theta", c.sample_theta)
            .float("test_theta", c.test_theta);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(DelayMatchCategory);
