//! AntiReach (neurogym `AntiReach-v0`): anti-saccade / anti-reach — respond opposite to the
//! stimulus. Munoz & Everling 2004, *Nat Rev Neurosci* 5:218 ("Look away").
//!
//! ```text
//!  period   | fixation 500 | stimulus 500      | delay 0 | decision 500 |
//!  fixation | 1            | 1                 | 1       | 0            |
//!  ring     | 0            | cos(θ_k − θ_stim) | 0       | 0            |
//!  target   | 0            | 0                 | 0       | gt+1         |
//! ```
//! `θ_stim = θ_gt + π` (anti, default) or `θ_gt` (pro). Inputs `1 + dim_ring` (33), outputs
//! `1 + dim_ring` (33); no noise. Parameters: `dim_ring` (32), `anti` (true), `delay_ms` (0).
//! Labels: `ground_truth` (1..=dim_ring), `anti` (0/1).
//!
//! Rendering is allocation-light: the ring patterns are precomputed at build time, so a trial
//! costs one buffer per array (the benchmark target is 16 trials at dt 100 in ≤ 80 µs).
//!
//! Deviations from neurogym 2.3.1: none.

use super::prelude::*;

/// The AntiReach task.
pub struct AntiReach {
    spec: TaskSpec,
    setup: Setup,
    dim_ring: usize,
    anti: bool,
    /// `patterns[gt]`: the stimulus ring for answer `gt`.
    patterns: Vec<Vec<f32>>,
    timing: Vec<(&'static str, Duration)>,
}

/// One AntiReach condition.
#[derive(Clone, Debug, PartialEq)]
pub struct AntiReachCondition {
    /// Correct direction, 0-based.
    pub direction: usize,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "AntiReach";

impl FromConfig for AntiReach {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["dim_ring", "anti", "delay_ms"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let dim_ring = p.usize("dim_ring", 32, 2, 360)?;
        let anti = p.bool("anti", true)?;
        let mut inputs = names(&["fixation"]);
        inputs.extend(ring_names("stimulus", dim_ring));
        let offset = if anti { PI } else { 0.0 };
        let patterns = ring(dim_ring)
            .iter()
            .map(|t| cos_tuning(dim_ring, (t + offset) % (2.0 * PI), 1.0, 0.0))
            .collect();
        Ok(AntiReach {
            spec: make_spec(
                NAME,
                &setup,
                inputs,
                choice_names(dim_ring),
                &["ground_truth", "anti"],
                None,
                &["perceptual", "steps action space", "supervised", "neurogym"],
                "Munoz & Everling (2004) Look away: the anti-saccade task and the voluntary control of eye movement. Nat Rev Neurosci 5:218",
                "Reach to the direction opposite to the stimulus (or to it, with anti = false) when fixation goes off.",
            ),
            dim_ring,
            anti,
            patterns,
            timing: vec![
                ("fixation", Duration::Fixed(500.0)),
                ("stimulus", Duration::Fixed(500.0)),
                ("delay", Duration::Fixed(p.nonneg("delay_ms", 0.0)?)),
                ("decision", Duration::Fixed(500.0)),
            ],
            setup,
        })
    }
}

impl AntiReach {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> AntiReachCondition {
        let direction = rng.below(self.dim_ring as u64) as usize;
        AntiReachCondition {
            direction,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &AntiReachCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (stim, dec) = (tl.range("stimulus"), tl.range("decision"));
        let mut cv = Canvas::new(tl.clone(), 1 + self.dim_ring, 1 + self.dim_ring);
        cv.set(0..dec.start, 0, 1.0);
        cv.add_vec(stim, 1, &self.patterns[c.direction]);
        cv.class(dec.clone(), c.direction as i64 + 1);
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", c.direction as i64 + 1)
            .int("anti", i64::from(self.anti));
        cv.finish(&self.setup, labels)
    }
}

impl_task!(AntiReach);
