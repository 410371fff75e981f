//! DualDelayMatchSample (neurogym `DualDelayMatchSample-v0`): two items held in working memory, a
//! retro-cue says which one is tested first. Rose et al. 2016, *Science* 354:1136.
//!
//! ```text
//!  period   | fixation | sample | delay1 | cue1 | test1    | delay2 | cue2 | test2    |  (500 ms each)
//!  fixation | 1        | 1      | 1      | 1    | 0 (ng 1) | 1      | 1    | 0 (ng 1) |
//!  stim1/2  | 0        | both   | 0      | 0    | item a   | 0      | 0    | item b   |
//!  cue1/2   | 0        | 0      | 0      | a    | 0        | 0      | b    | 0        |
//!  target   | 0        | 0      | 0      | 0    | gt_a     | 0      | 0    | gt_b     |
//! ```
//! Items are `x ∈ {0, ½}` encoded `[cos πx, sin πx]`; a test equals its sample on match trials
//! (class 1) and `½ − x` on non-match trials (class 2). `test_order` 0: item 1 is tested first
//! (a = 1, b = 2), 1: item 2 first. ξ ~ N(0, σ²/dt) on **all 7 channels** during sample, test1 and
//! test2 (as neurogym). Inputs 7 (`fixation`, `stim1_cos`, `stim1_sin`, `stim2_cos`, `stim2_sin`,
//! `cue1`, `cue2`), outputs 3. Labels: `ground_truth1`, `ground_truth2`, `sample1`, `sample2`,
//! `test_order`.
//!
//! Deviations from neurogym 2.3.1: neurogym keeps the fixation input on for the whole trial, so
//! nothing but the test stimulus marks the two response windows. By default the fixation input
//! goes off during test1 and test2 (the response periods) and comes back on in between.
//! `compat = "neurogym"` keeps it on throughout.

use super::prelude::*;

/// The DualDelayMatchSample task.
pub struct DualDelayMatchSample {
    spec: TaskSpec,
    setup: Setup,
    sigma: f64,
    timing: Vec<(&'static str, Duration)>,
}

/// One DualDelayMatchSample condition.
#[derive(Clone, Debug, PartialEq)]
pub struct DualDmsCondition {
    /// Per item: 1 match, 2 non-match.
    pub ground_truth: [i64; 2],
    /// Per item: the sample value `x ∈ {0, ½}`.
    pub samples: [f64; 2],
    /// 0: item 1 tested first; 1: item 2 first.
    pub test_order: usize,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "DualDelayMatchSample";

impl FromConfig for DualDelayMatchSample {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["sigma"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let timing = [
            "fixation", "sample", "delay1", "cue1", "test1", "delay2", "cue2", "test2",
        ]
        .into_iter()
        .map(|n| (n, Duration::Fixed(500.0)))
        .collect();
        Ok(DualDelayMatchSample {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "stim1_cos", "stim1_sin", "stim2_cos", "stim2_sin", "cue1", "cue2"]),
                names(&["fixate", "match", "non-match"]),
                &["ground_truth1", "ground_truth2", "sample1", "sample2", "test_order"],
                None,
                &["perceptual", "working memory", "two-alternative", "supervised", "neurogym"],
                "Rose, LaRocque, Riggall, Gosseries, Starrett, Meyering & Postle (2016) Reactivation of latent working memories with transcranial magnetic stimulation. Science 354:1136",
                "Hold two items; after each retro-cue report whether the tested item matches its sample.",
            ),
            sigma: p.nonneg("sigma", 1.0)?,
            timing,
            setup,
        })
    }
}

fn encode(x: f64) -> [f32; 2] {
    [(x * PI).cos() as f32, (x * PI).sin() as f32]
}

impl DualDelayMatchSample {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> DualDmsCondition {
        let ground_truth = [1 + rng.below(2) as i64, 1 + rng.below(2) as i64];
        let samples = [*rng.choose(&[0.0, 0.5]), *rng.choose(&[0.0, 0.5])];
        let test_order = rng.below(2) as usize;
        DualDmsCondition {
            ground_truth,
            samples,
            test_order,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &DualDmsCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let mut cv = Canvas::new(tl.clone(), 7, 3);
        cv.set(0..cv.n_steps(), 0, 1.0);
        let sample = tl.range("sample");
        cv.add_vec(sample.clone(), 1, &encode(c.samples[0]));
        cv.add_vec(sample.clone(), 3, &encode(c.samples[1]));
        let order = if c.test_order == 0 { [0, 1] } else { [1, 0] };
        for (k, &item) in order.iter().enumerate() {
            let cue = tl.range(if k == 0 { "cue1" } else { "cue2" });
            let test = tl.range(if k == 0 { "test1" } else { "test2" });
            cv.set(cue, 5 + item, 1.0);
            let x = c.samples[item];
            let shown = if c.ground_truth[item] == 1 {
                x
            } else {
                0.5 - x
            };
            cv.add_vec(test.clone(), 1 + 2 * item, &encode(shown));
            cv.class(test.clone(), c.ground_truth[item]);
            if !self.setup.neurogym() {
                cv.set(test, 0, 0.0);
            }
        }
        let sd = self.setup.noise_sd(self.sigma);
        for name in ["sample", "test1", "test2"] {
            cv.noise(tl.range(name), 0..7, sd, rng);
        }
        cv.respond_from(tl.range("test1").start);
        let labels = Labels::new()
            .int("ground_truth1", c.ground_truth[0])
            .int("ground_truth2", c.ground_truth[1])
            .float("sample1", c.samples[0])
            .float("sample2", c.samples[1])
            .int("test_order", c.test_order as i64);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(DualDelayMatchSample);
