//! DelayComparison (neurogym `DelayComparison-v0`): parametric working memory — compare two
//! vibration frequencies separated by a delay. Romo, Brody, Hernández & Lemus 1999, *Nature* 399:470.
//!
//! ```text
//!  period   | fixation 500 | stimulus1 500 | delay 1000 | stimulus2 500 | decision 100 |
//!  fixation | 1 (+ξ)       | 1 + ξ         | 1          | 1 + ξ         | 0            |
//!  stimulus | 0            | r(f1) + ξ     | 0          | r(f2) + ξ     | 0            |
//!  target   | 0            | 0             | 0          | 0             | 1 if f1>f2 else 2 |
//! ```
//! `r(f) = (1 + (f − fmin)/(fmax − fmin))/2 ∈ [0.5, 1]` over the frequency pairs; ξ ~ N(0, σ²/dt)
//! on **both** channels during the two stimuli (as neurogym). Inputs 2, outputs 3.
//! Parameters: `sigma` (1), `delay_ms` (1000; a list draws one delay per trial). Labels: `ground_truth`, `f1`, `f2` (Hz),
//! `f1_minus_f2` (the evidence label).
//!
//! Deviations from neurogym 2.3.1: none.

use super::prelude::*;

const VPAIRS: [(f64, f64); 5] = [
    (18.0, 10.0),
    (22.0, 14.0),
    (26.0, 18.0),
    (30.0, 22.0),
    (34.0, 26.0),
];

/// The DelayComparison task.
pub struct DelayComparison {
    spec: TaskSpec,
    setup: Setup,
    sigma: f64,
    timing: Vec<(&'static str, Duration)>,
}

/// One DelayComparison condition.
#[derive(Clone, Debug, PartialEq)]
pub struct DelayComparisonCondition {
    /// 1 when f1 > f2, else 2.
    pub ground_truth: i64,
    /// First frequency (Hz).
    pub f1: f64,
    /// Second frequency (Hz).
    pub f2: f64,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "DelayComparison";

impl FromConfig for DelayComparison {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["sigma", "delay_ms"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        Ok(DelayComparison {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "stimulus"]),
                names(&["fixate", "f1>f2", "f1<f2"]),
                &["ground_truth", "f1", "f2", "f1_minus_f2"],
                Some("f1_minus_f2"),
                &["perceptual", "working memory", "two-alternative", "supervised", "neurogym"],
                "Romo, Brody, Hernández & Lemus (1999) Neuronal correlates of parametric working memory in the prefrontal cortex. Nature 399:470",
                "Remember the first frequency over a delay and report whether it was higher than the second.",
            ),
            sigma: p.nonneg("sigma", 1.0)?,
            timing: vec![
                ("fixation", Duration::Fixed(500.0)),
                ("stimulus1", Duration::Fixed(500.0)),
                ("delay", p.duration("delay_ms", &[1000.0])?),
                ("stimulus2", Duration::Fixed(500.0)),
                ("decision", Duration::Fixed(100.0)),
            ],
            setup,
        })
    }
}

fn represent(f: f64) -> f32 {
    let (lo, hi) = (10.0, 34.0);
    ((1.0 + (f - lo) / (hi - lo)) / 2.0) as f32
}

impl DelayComparison {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> DelayComparisonCondition {
        let ground_truth = 1 + rng.below(2) as i64;
        let (a, b) = *rng.choose(&VPAIRS);
        let (f1, f2) = if ground_truth == 1 { (a, b) } else { (b, a) };
        DelayComparisonCondition {
            ground_truth,
            f1,
            f2,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &DelayComparisonCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (s1, s2, dec) = (
            tl.range("stimulus1"),
            tl.range("stimulus2"),
            tl.range("decision"),
        );
        let mut cv = Canvas::new(tl.clone(), 2, 3);
        cv.set(0..dec.start, 0, 1.0);
        cv.set(s1.clone(), 1, represent(c.f1));
        cv.set(s2.clone(), 1, represent(c.f2));
        let sd = self.setup.noise_sd(self.sigma);
        cv.noise(s1, 0..2, sd, rng);
        cv.noise(s2, 0..2, sd, rng);
        cv.class(dec.clone(), c.ground_truth);
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", c.ground_truth)
            .float("f1", c.f1)
            .float("f2", c.f2)
            .float("f1_minus_f2", c.f1 - c.f2);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(DelayComparison);
