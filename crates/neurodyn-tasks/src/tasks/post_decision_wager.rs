//! PostDecisionWager (neurogym `PostDecisionWager-v0`): random-dot decision with an optional
//! sure-target, Kiani & Shadlen 2009, *Science* 324:759.
//!
//! ```text
//!  period   | fixation 100 | stimulus TE(180,100,900) | delay TE(1350,1200,1800)   | decision 100 |
//!  fixation | 1            | 1 + ξ                    | 1                          | 0            |
//!  ch1, ch2 | 0            | cos(θ_k−θ_gt)·coh/200+½+ξ | 0                          | 0            |
//!  sure     | 0            | ξ                        | 0 for pre_sure U(500,750), then 1 (wager trials) | 1 (wager) |
//!  target   | 0 ……………………………………………………………………………………………………………………… | gt+1         |
//! ```
//! neurogym's `pre_sure` period starts at stimulus offset and overlaps the delay; it is not part
//! of the tiling (fixation, stimulus, delay, decision) and only shapes the sure input. ξ ~ N(0,
//! σ²/dt) on all channels in the stimulus. Inputs 4, outputs 4 (fixate, choice1, choice2, sure).
//! Labels: `ground_truth`, `coherence`, `signed_coherence` (evidence label), `wager` (0/1).
//!
//! Deviations from neurogym 2.3.1: none in inputs and labels. As in neurogym the sure option is
//! never a target class (the supervised answer is always the correct choice); neurogym's RL reward
//! bug (1-based action vs 0-based ground truth) and stale `pre_sure` indices do not arise here.

use super::prelude::*;

/// The PostDecisionWager task.
pub struct PostDecisionWager {
    spec: TaskSpec,
    setup: Setup,
    sigma: f64,
    cohs: Vec<f64>,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct WagerCondition {
    /// Correct direction, 0-based.
    pub direction: usize,
    /// Coherence (%).
    pub coherence: f64,
    /// Whether the sure target is offered.
    pub wager: bool,
    /// Steps after stimulus offset before the sure target appears.
    pub pre_sure_steps: usize,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "PostDecisionWager";

impl FromConfig for PostDecisionWager {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["sigma", "cohs"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        Ok(PostDecisionWager {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "stimulus1", "stimulus2", "sure"]),
                names(&["fixate", "choice1", "choice2", "sure"]),
                &["ground_truth", "coherence", "signed_coherence", "wager"],
                Some("signed_coherence"),
                &["perceptual", "metacognition", "two-alternative", "supervised", "neurogym"],
                "Kiani & Shadlen (2009) Representation of confidence associated with a decision by neurons in the parietal cortex. Science 324:759",
                "Report the motion direction; on wager trials a sure target is also shown during the delay.",
            ),
            sigma: p.nonneg("sigma", 1.0)?,
            cohs: p.list("cohs", &[0.0, 3.2, 6.4, 12.8, 25.6, 51.2])?,
            setup,
        })
    }
}

impl PostDecisionWager {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> WagerCondition {
        let wager = rng.bernoulli(0.5);
        let direction = rng.below(2) as usize;
        let coherence = *rng.choose(&self.cohs);
        let mut tl = self.setup.timeline();
        tl.push("fixation", 100.0);
        tl.push_sampled(
            "stimulus",
            &Duration::TruncExp {
                mean: 180.0,
                min: 100.0,
                max: 900.0,
            },
            rng,
        );
        tl.push_sampled(
            "delay",
            &Duration::TruncExp {
                mean: 1350.0,
                min: 1200.0,
                max: 1800.0,
            },
            rng,
        );
        let pre_sure_steps = if wager {
            tl.steps_for(rng.uniform_range(500.0, 750.0))
        } else {
            0
        };
        tl.push("decision", 100.0);
        WagerCondition {
            direction,
            coherence,
            wager,
            pre_sure_steps,
            timeline: tl,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &WagerCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (stim, delay, dec) = (
            tl.range("stimulus"),
            tl.range("delay"),
            tl.range("decision"),
        );
        let mut cv = Canvas::new(tl.clone(), 4, 4);
        cv.set(0..dec.start, 0, 1.0);
        let theta = ring(2)[c.direction];
        cv.add_vec(
            stim.clone(),
            1,
            &cos_tuning(2, theta, c.coherence / 200.0, 0.5),
        );
        cv.noise(stim.clone(), 0..4, self.setup.noise_sd(self.sigma), rng);
        if c.wager {
            let sure_on = (stim.end + c.pre_sure_steps).max(delay.start).min(dec.end);
            cv.set(sure_on..dec.end, 3, 1.0);
        }
        cv.class(dec.clone(), c.direction as i64 + 1);
        cv.respond_from(dec.start);
        let sign = if c.direction == 0 { 1.0 } else { -1.0 };
        let labels = Labels::new()
            .int("ground_truth", c.direction as i64 + 1)
            .float("coherence", c.coherence)
            .float("signed_coherence", sign * c.coherence)
            .int("wager", i64::from(c.wager));
        cv.finish(&self.setup, labels)
    }
}

impl_task!(PostDecisionWager);
