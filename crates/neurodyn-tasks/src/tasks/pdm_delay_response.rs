//! PerceptualDecisionMakingDelayResponse (neurogym `PerceptualDecisionMakingDelayResponse-v0`):
//! perceptual decision with a delayed response, Inagaki, Fontolan, Romani & Svoboda 2019,
//! *Nature* 566:212.
//!
//! ```text
//!  period   | fixation 0 | stimulus 1150        | delay {300..4000} | decision 1500 |
//!  ch0      | 1          | 1                    | 1                 | 0             |
//!  ch1, ch2 | 0          | (1±coh/100)/2 + ξ    | 0                 | 0             |
//!  target   | 0          | 0                    | 0                 | gt            |
//! ```
//! The correct channel carries `(1+coh/100)/2`, the other `(1−coh/100)/2`; ξ ~ N(0, σ²/dt) on
//! ch1–2. Delay ∈ {300, 500, 700, 900, 1200, 2000, 3200, 4000} ms. Inputs 3, outputs 3.
//! Parameters `stim_scale` (1, multiplies the coherences), `sigma` (1). Labels: `ground_truth`,
//! `coherence`, `signed_coherence` (evidence label).
//!
//! Deviations from neurogym 2.3.1: none.

use super::prelude::*;

/// The PerceptualDecisionMakingDelayResponse task.
pub struct PerceptualDecisionMakingDelayResponse {
    spec: TaskSpec,
    setup: Setup,
    cohs: Vec<f64>,
    sigma: f64,
    timing: Vec<(&'static str, Duration)>,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct PdmDelayCondition {
    /// 1 or 2.
    pub ground_truth: i64,
    /// Coherence (%).
    pub coherence: f64,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "PerceptualDecisionMakingDelayResponse";

impl FromConfig for PerceptualDecisionMakingDelayResponse {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["stim_scale", "sigma"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let scale = p.nonneg("stim_scale", 1.0)?;
        Ok(PerceptualDecisionMakingDelayResponse {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "stimulus1", "stimulus2"]),
                choice_names(2),
                &["ground_truth", "coherence", "signed_coherence"],
                Some("signed_coherence"),
                &["perceptual", "delayed response", "two-alternative", "supervised", "neurogym"],
                "Inagaki, Fontolan, Romani & Svoboda (2019) Discrete attractor dynamics underlies persistent activity in the frontal cortex. Nature 566:212",
                "Judge noisy evidence, hold the decision over a variable delay, report when fixation goes off.",
            ),
            cohs: [0.0, 6.4, 12.8, 25.6, 51.2].iter().map(|c| c * scale).collect(),
            sigma: p.nonneg("sigma", 1.0)?,
            timing: vec![
                ("fixation", Duration::Fixed(0.0)),
                ("stimulus", Duration::Fixed(1150.0)),
                ("delay", Duration::Choice(vec![300.0, 500.0, 700.0, 900.0, 1200.0, 2000.0, 3200.0, 4000.0])),
                ("decision", Duration::Fixed(1500.0)),
            ],
            setup,
        })
    }
}

impl PerceptualDecisionMakingDelayResponse {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> PdmDelayCondition {
        let ground_truth = 1 + rng.below(2) as i64;
        let coherence = *rng.choose(&self.cohs);
        PdmDelayCondition {
            ground_truth,
            coherence,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &PdmDelayCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (stim, dec) = (tl.range("stimulus"), tl.range("decision"));
        let mut cv = Canvas::new(tl.clone(), 3, 3);
        cv.set(0..dec.start, 0, 1.0);
        let (hi, lo) = (
            (1.0 + c.coherence / 100.0) / 2.0,
            (1.0 - c.coherence / 100.0) / 2.0,
        );
        let gt = c.ground_truth as usize;
        cv.set(stim.clone(), gt, hi as f32);
        cv.set(stim.clone(), 3 - gt, lo as f32);
        cv.noise(stim, 1..3, self.setup.noise_sd(self.sigma), rng);
        cv.class(dec.clone(), c.ground_truth);
        cv.respond_from(dec.start);
        let sign = if gt == 1 { 1.0 } else { -1.0 };
        let labels = Labels::new()
            .int("ground_truth", c.ground_truth)
            .float("coherence", c.coherence)
            .float("signed_coherence", sign * c.coherence);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(PerceptualDecisionMakingDelayResponse);
