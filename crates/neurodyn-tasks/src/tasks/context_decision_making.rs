//! ContextDecisionMaking (neurogym `ContextDecisionMaking-v0`): context-dependent integration of
//! one of two noisy modalities, Mante, Sussillo, Shenoy & Newsome 2013, *Nature* 503:78.
//!
//! ```text
//!  period    | fixation 300 | stimulus 750              | delay TruncExp(600,300,3000) | decision 100 |
//!  fixation  | 1            | 1 (ng 2.3.1: 0)           | 1 (ng 2.3.1: 0)              | 0            |
//!  mod1 ring | 0            | cos(θ_k−θ_c1)·coh1/200+½+ξ | 0                           | 0            |
//!  mod2 ring | 0            | cos(θ_k−θ_c2)·coh2/200+½+ξ | 0                           | 0            |
//!  context*  | 1 on the active context channel over the whole trial (explicit mode only)          |
//!  target    | 0            | 0                          | 0                           | gt           |
//! ```
//! The attended modality (context 0 → mod1, 1 → mod2) points at the answer; the other is an
//! independent distractor. Inputs `1 + 2·dim_ring` (+2 with `use_expl_context`), outputs
//! `1 + dim_ring`. ξ ~ N(0, σ²/dt) on the stimulus channels. Parameters: `use_expl_context`
//! (false), `impl_context_modality` (0), `dim_ring` (2), `sigma` (1), `cohs` ([5, 15, 50]).
//!
//! Labels: `ground_truth`, `context` (0/1), `choice_mod1`, `choice_mod2` (direction shown, 1-based),
//! `coh_mod1`, `coh_mod2`, `signed_coh_mod1`, `signed_coh_mod2` (+ when the modality points at
//! choice 1), `signed_coherence` (that of the attended modality; the evidence label).
//!
//! Deviations from neurogym 2.3.1: its fixation input is on during fixation only, so delay and
//! decision inputs are identical while the delay length varies: no go cue (neurogym issue #279).
//! By default the fixation input stays on until the decision period (as in ≤ 2.0 and the paper).
//! `compat = "neurogym"` restores 2.3.1's fixation input.

use super::prelude::*;

/// The ContextDecisionMaking task.
pub struct ContextDecisionMaking {
    spec: TaskSpec,
    setup: Setup,
    explicit: bool,
    impl_context: usize,
    dim_ring: usize,
    sigma: f64,
    cohs: Vec<f64>,
    timing: Vec<(&'static str, Duration)>,
}

/// One ContextDecisionMaking condition.
#[derive(Clone, Debug, PartialEq)]
pub struct CdmCondition {
    /// Correct class (1-based direction).
    pub ground_truth: usize,
    /// Active context: 0 = modality 1, 1 = modality 2.
    pub context: usize,
    /// Direction shown in each modality (1-based).
    pub choices: [usize; 2],
    /// Coherence of each modality (%).
    pub cohs: [f64; 2],
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "ContextDecisionMaking";

impl FromConfig for ContextDecisionMaking {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(
            NAME,
            cfg,
            &[
                "use_expl_context",
                "impl_context_modality",
                "dim_ring",
                "sigma",
                "cohs",
            ],
        )?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let explicit = p.bool("use_expl_context", false)?;
        let dim_ring = p.usize("dim_ring", 2, 2, 360)?;
        let mut inputs = names(&["fixation"]);
        inputs.extend(ring_names("stim_mod1_", dim_ring));
        inputs.extend(ring_names("stim_mod2_", dim_ring));
        if explicit {
            inputs.extend(names(&["context1", "context2"]));
        }
        Ok(ContextDecisionMaking {
            spec: make_spec(
                NAME,
                &setup,
                inputs,
                choice_names(dim_ring),
                &[
                    "ground_truth", "context", "choice_mod1", "choice_mod2", "coh_mod1", "coh_mod2",
                    "signed_coh_mod1", "signed_coh_mod2", "signed_coherence",
                ],
                Some("signed_coherence"),
                &["perceptual", "context dependent", "two-alternative", "supervised", "neurogym"],
                "Mante, Sussillo, Shenoy & Newsome (2013) Context-dependent computation by recurrent dynamics in prefrontal cortex. Nature 503:78",
                "Integrate the modality selected by the context, ignore the other, report after a variable delay.",
            ),
            explicit,
            impl_context: p.usize("impl_context_modality", 0, 0, 1)?,
            dim_ring,
            sigma: p.nonneg("sigma", 1.0)?,
            cohs: p.list("cohs", &[5.0, 15.0, 50.0])?,
            timing: vec![
                ("fixation", Duration::Fixed(300.0)),
                ("stimulus", Duration::Fixed(750.0)),
                ("delay", Duration::TruncExp { mean: 600.0, min: 300.0, max: 3000.0 }),
                ("decision", Duration::Fixed(100.0)),
            ],
            setup,
        })
    }
}

impl ContextDecisionMaking {
    /// Draw a condition (neurogym order: gt, other, context, coh1, coh2, periods).
    pub fn sample(&self, rng: &mut Rng) -> CdmCondition {
        let n = self.dim_ring as u64;
        let ground_truth = 1 + rng.below(n) as usize;
        let other = 1 + rng.below(n) as usize;
        let context = if self.explicit {
            rng.below(2) as usize
        } else {
            self.impl_context
        };
        let cohs = [*rng.choose(&self.cohs), *rng.choose(&self.cohs)];
        let choices = if context == 0 {
            [ground_truth, other]
        } else {
            [other, ground_truth]
        };
        CdmCondition {
            ground_truth,
            context,
            choices,
            cohs,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &CdmCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (fix, stim, dec) = (
            tl.range("fixation"),
            tl.range("stimulus"),
            tl.range("decision"),
        );
        let n = self.dim_ring;
        let mut cv = Canvas::new(tl.clone(), self.spec.n_in, self.spec.n_out);
        let fix_end = if self.setup.neurogym() {
            fix.end
        } else {
            dec.start
        };
        cv.set(0..fix_end, 0, 1.0);
        let theta = ring(n);
        let sd = self.setup.noise_sd(self.sigma);
        for m in 0..2 {
            let pat = cos_tuning(n, theta[c.choices[m] - 1], c.cohs[m] / 200.0, 0.5);
            cv.add_vec(stim.clone(), 1 + m * n, &pat);
        }
        cv.noise(stim, 1..1 + 2 * n, sd, rng);
        if self.explicit {
            cv.set(0..cv.n_steps(), 1 + 2 * n + c.context, 1.0);
        }
        cv.class(dec.clone(), c.ground_truth as i64);
        cv.respond_from(dec.start);
        let signed = |m: usize| {
            if c.choices[m] == 1 {
                c.cohs[m]
            } else {
                -c.cohs[m]
            }
        };
        let labels = Labels::new()
            .int("ground_truth", c.ground_truth as i64)
            .int("context", c.context as i64)
            .int("choice_mod1", c.choices[0] as i64)
            .int("choice_mod2", c.choices[1] as i64)
            .float("coh_mod1", c.cohs[0])
            .float("coh_mod2", c.cohs[1])
            .float("signed_coh_mod1", signed(0))
            .float("signed_coh_mod2", signed(1))
            .float("signed_coherence", signed(c.context));
        cv.finish(&self.setup, labels)
    }
}

impl_task!(ContextDecisionMaking);
