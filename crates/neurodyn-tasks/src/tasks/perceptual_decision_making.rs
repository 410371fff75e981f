//! PerceptualDecisionMaking (neurogym `PerceptualDecisionMaking-v0`): random-dot motion 2AFC,
//! Britten, Shadlen, Newsome & Movshon 1992, *J Neurosci* 12:4745.
//!
//! ```text
//!  period   | fixation | stimulus (2000 ms)          | delay (0) | decision |
//!  ms       |   100    |                              |           |   100    |
//!  fixation | 1        | 1 (neurogym 2.3.1: 0)        | 1 (ng: 0) | 0        |
//!  stimulus | 0        | cos(θ_k−θ_gt)·coh/200+0.5+ξ  | 0         | 0        |
//!  target   | 0        | 0                            | 0         | gt+1     |
//! ```
//! ξ ~ N(0, σ²/dt) per step on the stimulus channels only. Inputs: `1 + dim_ring`; outputs:
//! `1 + dim_ring` classes (0 = fixate, k = choose direction k−1).
//!
//! Parameters: `dim_ring` (2), `cohs` ([0, 6.4, 12.8, 25.6, 51.2]), `sigma` (1.0), timing
//! `fixation_ms`, `stimulus_ms`, `delay_ms`, `decision_ms`.
//!
//! Labels: `ground_truth` (target class, 1..=dim_ring), `coherence` (unsigned, %),
//! `signed_coherence` (+coh when the answer is class 1, −coh otherwise; the evidence label).
//!
//! Deviations from neurogym 2.3.1: the fixation input is 1 during fixation, stimulus **and delay**
//! and drops to 0 at the decision period (the go cue), as in neurogym ≤ 2.0 and the nn-brain
//! tutorial; 2.3.1 shows it during fixation only, so the all-zero decision period is the only
//! response cue. `compat = "neurogym"` restores that.

use crate::canvas::Canvas;
use crate::config::TaskConfig;
use crate::error::TaskError;
use crate::params::Params;
use crate::task::FromConfig;
use crate::task::{impl_task, names, Setup, TaskSpec};
use crate::tasks::{cos_tuning, ring};
use crate::timeline::{Duration, Timeline};
use neurodyn_core::{Labels, Rng, Trial};

/// The PerceptualDecisionMaking task.
pub struct PerceptualDecisionMaking {
    spec: TaskSpec,
    setup: Setup,
    dim_ring: usize,
    cohs: Vec<f64>,
    sigma: f64,
    timing: [Duration; 4],
}

/// One PerceptualDecisionMaking condition.
#[derive(Clone, Debug, PartialEq)]
pub struct PdmCondition {
    /// Correct direction index, 0-based (the target class is this + 1).
    pub direction: usize,
    /// Coherence in %.
    pub coherence: f64,
    /// The trial's periods.
    pub timeline: Timeline,
}

const NAME: &str = "PerceptualDecisionMaking";

impl FromConfig for PerceptualDecisionMaking {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(
            NAME,
            cfg,
            &[
                "dim_ring",
                "cohs",
                "sigma",
                "fixation_ms",
                "stimulus_ms",
                "delay_ms",
                "decision_ms",
            ],
        )?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let dim_ring = p.usize("dim_ring", 2, 2, 360)?;
        let mut input_names = names(&["fixation"]);
        input_names.extend((0..dim_ring).map(|i| format!("stimulus{i}")));
        let mut output_names = names(&["fixate"]);
        output_names.extend((0..dim_ring).map(|i| format!("choice{i}")));
        Ok(PerceptualDecisionMaking {
            spec: TaskSpec {
                name: NAME.into(),
                n_in: 1 + dim_ring,
                n_out: 1 + dim_ring,
                dt_ms: setup.dt_ms,
                categorical: true,
                input_names,
                output_names,
                label_names: names(&["ground_truth", "coherence", "signed_coherence"]),
                evidence_label: Some("signed_coherence".into()),
                tags: names(&["perceptual", "two-alternative", "supervised", "neurogym"]),
                paper: "Britten, Shadlen, Newsome & Movshon (1992) The analysis of visual motion: a comparison of neuronal and psychophysical performance. J Neurosci 12:4745".into(),
                description: "Report the direction of noisy evidence (coherence) after the fixation cue goes off.".into(),
            },
            dim_ring,
            cohs: p.list("cohs", &[0.0, 6.4, 12.8, 25.6, 51.2])?,
            sigma: p.nonneg("sigma", 1.0)?,
            timing: [
                Duration::Fixed(p.nonneg("fixation_ms", 100.0)?),
                Duration::Fixed(p.nonneg("stimulus_ms", 2000.0)?),
                Duration::Fixed(p.nonneg("delay_ms", 0.0)?),
                Duration::Fixed(p.nonneg("decision_ms", 100.0)?),
            ],
            setup,
        })
    }
}

impl PerceptualDecisionMaking {
    /// Draw a condition (neurogym order: direction, coherence, then the periods).
    pub fn sample(&self, rng: &mut Rng) -> PdmCondition {
        let direction = rng.below(self.dim_ring as u64) as usize;
        let coherence = *rng.choose(&self.cohs);
        let mut tl = self.setup.timeline();
        for (name, d) in ["fixation", "stimulus", "delay", "decision"]
            .iter()
            .zip(&self.timing)
        {
            tl.push_sampled(name, d, rng);
        }
        PdmCondition {
            direction,
            coherence,
            timeline: tl,
        }
    }

    /// Render a condition (the noise is drawn here).
    pub fn render(&self, c: &PdmCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (fix, stim, delay, dec) = (
            tl.range("fixation"),
            tl.range("stimulus"),
            tl.range("delay"),
            tl.range("decision"),
        );
        let mut cv = Canvas::new(tl.clone(), self.spec.n_in, self.spec.n_out);
        let fix_end = if self.setup.neurogym() {
            fix.end
        } else {
            delay.end
        };
        cv.set(0..fix_end, 0, 1.0);
        let theta = ring(self.dim_ring)[c.direction];
        let pattern = cos_tuning(self.dim_ring, theta, c.coherence / 200.0, 0.5);
        cv.add_vec(stim.clone(), 1, &pattern);
        cv.noise(
            stim,
            1..1 + self.dim_ring,
            self.setup.noise_sd(self.sigma),
            rng,
        );
        cv.class(dec.clone(), c.direction as i64 + 1);
        cv.respond_from(dec.start);
        let sign = if c.direction == 0 { 1.0 } else { -1.0 };
        let labels = Labels::new()
            .int("ground_truth", c.direction as i64 + 1)
            .float("coherence", c.coherence)
            .float("signed_coherence", sign * c.coherence);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(PerceptualDecisionMaking);
