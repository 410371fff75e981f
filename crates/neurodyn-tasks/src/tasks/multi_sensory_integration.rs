//! MultiSensoryIntegration (neurogym `MultiSensoryIntegration-v0`): two modalities both point at
//! the answer with coherences that split a total; integrate both. Cf. Raposo, Sheppard, Schrater &
//! Churchland 2012, *J Neurosci* 32:3726.
//!
//! ```text
//!  period    | fixation 300 | stimulus 750                     | decision 100 |
//!  fixation  | 1            | 1 + ξ                            | 0            |
//!  mod1 ring | 0            | cos(θ_k−θ_gt)·coh·p/200+½ + ξ     | 0            |
//!  mod2 ring | 0            | cos(θ_k−θ_gt)·coh·(1−p)/200+½ + ξ | 0            |
//!  target    | 0            | 0                                | gt+1         |
//! ```
//! `p ~ U(0,1)`; ξ ~ N(0, σ²/dt) on **all** channels during the stimulus (as neurogym). Inputs
//! `1 + 2·dim_ring`, outputs `1 + dim_ring`. Parameters `dim_ring` (2), `sigma` (1), `cohs`
//! ([5, 15, 50]). Labels: `ground_truth`, `coherence`, `coh_mod1`, `coh_mod2`,
//! `signed_coherence` (+coh when the answer is class 1; the evidence label).
//!
//! Deviations from neurogym 2.3.1: none.

use super::prelude::*;

/// The MultiSensoryIntegration task.
pub struct MultiSensoryIntegration {
    spec: TaskSpec,
    setup: Setup,
    dim_ring: usize,
    sigma: f64,
    cohs: Vec<f64>,
    timing: Vec<(&'static str, Duration)>,
}

/// One MultiSensoryIntegration condition.
#[derive(Clone, Debug, PartialEq)]
pub struct MsiCondition {
    /// Correct direction, 0-based.
    pub direction: usize,
    /// Total coherence (%).
    pub coherence: f64,
    /// Fraction of the coherence given to modality 1.
    pub proportion: f64,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "MultiSensoryIntegration";

impl FromConfig for MultiSensoryIntegration {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["dim_ring", "sigma", "cohs"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let dim_ring = p.usize("dim_ring", 2, 2, 360)?;
        let mut inputs = names(&["fixation"]);
        inputs.extend(ring_names("stim_mod1_", dim_ring));
        inputs.extend(ring_names("stim_mod2_", dim_ring));
        Ok(MultiSensoryIntegration {
            spec: make_spec(
                NAME,
                &setup,
                inputs,
                choice_names(dim_ring),
                &["ground_truth", "coherence", "coh_mod1", "coh_mod2", "signed_coherence"],
                Some("signed_coherence"),
                &["perceptual", "multisensory", "two-alternative", "supervised", "neurogym"],
                "Raposo, Sheppard, Schrater & Churchland (2012) Multisensory decision-making in rats and humans. J Neurosci 32:3726",
                "Combine evidence from two modalities that both point at the answer.",
            ),
            dim_ring,
            sigma: p.nonneg("sigma", 1.0)?,
            cohs: p.list("cohs", &[5.0, 15.0, 50.0])?,
            timing: vec![
                ("fixation", Duration::Fixed(300.0)),
                ("stimulus", Duration::Fixed(750.0)),
                ("decision", Duration::Fixed(100.0)),
            ],
            setup,
        })
    }
}

impl MultiSensoryIntegration {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> MsiCondition {
        let direction = rng.below(self.dim_ring as u64) as usize;
        let coherence = *rng.choose(&self.cohs);
        let proportion = rng.uniform();
        MsiCondition {
            direction,
            coherence,
            proportion,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &MsiCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (stim, dec) = (tl.range("stimulus"), tl.range("decision"));
        let n = self.dim_ring;
        let mut cv = Canvas::new(tl.clone(), 1 + 2 * n, 1 + n);
        cv.set(0..dec.start, 0, 1.0);
        let theta = ring(n)[c.direction];
        let (c1, c2) = (
            c.coherence * c.proportion,
            c.coherence * (1.0 - c.proportion),
        );
        cv.add_vec(stim.clone(), 1, &cos_tuning(n, theta, c1 / 200.0, 0.5));
        cv.add_vec(stim.clone(), 1 + n, &cos_tuning(n, theta, c2 / 200.0, 0.5));
        cv.noise(stim, 0..1 + 2 * n, self.setup.noise_sd(self.sigma), rng);
        cv.class(dec.clone(), c.direction as i64 + 1);
        cv.respond_from(dec.start);
        let sign = if c.direction == 0 { 1.0 } else { -1.0 };
        let labels = Labels::new()
            .int("ground_truth", c.direction as i64 + 1)
            .float("coherence", c.coherence)
            .float("coh_mod1", c1)
            .float("coh_mod2", c2)
            .float("signed_coherence", sign * c.coherence);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(MultiSensoryIntegration);
