//! SpatialSuppressMotion (neurogym `SpatialSuppressMotion-v0`): report the direction of a briefly
//! seen drifting grating with the probabilities human observers have. Tadin, Lappin, Gilroy &
//! Blake 2003, *Nature* 424:312 (spatial suppression: at high contrast a *larger* grating needs a
//! *longer* presentation before its direction is seen; at low contrast size helps).
//!
//! ```text
//!  period        | stimulus 300 ms (36 steps at dt = 8.3)                            |
//!  pool d, unit s| (1 + cos(θ_d − θ_motion))·c/2 for s < diameter, else 0 (constant)  |
//!  target d      | P(a human reports d | grating shown for (k+1)·dt ms), k = step    |
//! ```
//! Inputs 32 = 4 direction pools (`left`, `right`, `up`, `down`; left/right and up/down are
//! opposite) × 8 size units (`left0..left7`, `right0..`, …, neurogym's channel order). The pool of
//! the motion direction carries the contrast `c`, the opposite pool 0, the two orthogonal pools
//! `c/2`; a small grating drives unit 0 of each pool, a large one all 8 (a bigger stimulus
//! recruits more neurons). No noise, no fixation input: the report is due from stimulus onset.
//! Each trial draws the direction (¼ each) and one of two gratings (½ each): small at low contrast
//! (`c = 0.05`, diameter 1) or large at high contrast (`c = 0.99`, diameter 8), neurogym's
//! pairing.
//!
//! Outputs 4, continuous (neurogym's `Box(4)`): the probability of reporting each direction. The
//! human data give, per grating, P(correct) and P(opposite) against the stimulus duration in
//! frames of a 120 Hz display (8.3 ms): frames 8, 9, 10, 13, 15, 18, 21, 28, 36, 37, 38, 39, padded
//! with chance (0.249) at frames 1–7. Between frames the curves are linear; before frame 1 and
//! after frame 39 they hold their end values (the table is flat there, so this is also what
//! neurogym's linear extrapolation gives). The two orthogonal directions share the rest equally.
//!
//! Parameter: `stimulus_ms` (300). Default dt 8.3 ms. Labels: `ground_truth` (the motion
//! direction, as the index 0–3 of its output), `contrast`, `diameter` (1 or 8).
//!
//! Deviations from neurogym 2.3.1:
//! - Time axis. neurogym reads the table at the step index, so the curves are in steps, not in
//!   ms: at any dt other than 8.3 the target of step k is that of a (k+1)-frame stimulus however
//!   long it has really been shown (at dt = 20 a 300 ms trial ends on the 15-frame, 125 ms,
//!   value: 32 % correct for the large high-contrast grating instead of its ceiling). By default
//!   step k is read at the time the stimulus has been visible by the end of the step,
//!   `(k+1)·dt` ms, in frames of 8.3 ms; at dt = 8.3 the two agree. `compat = "neurogym"` reads
//!   at the step index.
//! - Probabilities. For the large high-contrast grating the table's P(correct) + P(opposite)
//!   passes 1 from about frame 34 on (0.99 + 0.04), so neurogym's orthogonal targets turn negative
//!   (−0.015 at the last step) and the four targets are not a distribution. By default the two are
//!   scaled to sum to 1 wherever they exceed it, and the orthogonal targets are 0 there.
//!   `compat = "neurogym"` keeps the raw values.
//! - neurogym's comments call both tables "large size", while its code shows the low-contrast table
//!   with the small grating; the pairing of the code (small–low, large–high) is kept.

use super::prelude::*;

/// The SpatialSuppressMotion task.
pub struct SpatialSuppressMotion {
    spec: TaskSpec,
    setup: Setup,
    stimulus_ms: f64,
}

/// One SpatialSuppressMotion condition.
#[derive(Clone, Debug, PartialEq)]
pub struct MotionCondition {
    /// Motion direction: 0 left, 1 right, 2 up, 3 down (the output that should win).
    pub direction: usize,
    /// `true` for the large high-contrast grating, `false` for the small low-contrast one.
    pub high_contrast: bool,
    /// Periods.
    pub timeline: Timeline,
}

impl MotionCondition {
    /// Grating contrast: 0.99 or 0.05.
    pub fn contrast(&self) -> f64 {
        if self.high_contrast {
            0.99
        } else {
            0.05
        }
    }

    /// Grating size in input units per pool: 8 or 1.
    pub fn diameter(&self) -> usize {
        if self.high_contrast {
            SIZES
        } else {
            1
        }
    }
}

const NAME: &str = "SpatialSuppressMotion";
/// Size units per direction pool.
const SIZES: usize = 8;
/// One display frame (120 Hz), the time unit of the human data.
const FRAME_MS: f64 = 8.3;
/// Stimulus durations of the human data, in frames (1–7 are chance-level padding).
const FRAMES: [f64; 19] = [
    1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 13.0, 15.0, 18.0, 21.0, 28.0, 36.0, 37.0,
    38.0, 39.0,
];
const C: f64 = 0.249;
/// P(correct), large grating at contrast 0.99.
const HIGH_CORRECT: [f64; 19] = [
    C, C, C, C, C, C, C, 0.249, 0.249, 0.249, 0.27, 0.32, 0.4583, 0.65, 0.85, 0.99, 0.99, 0.99,
    0.99,
];
/// P(opposite direction), large grating at contrast 0.99.
const HIGH_OPPOSITE: [f64; 19] = [
    C, C, C, C, C, C, C, 0.249, 0.29, 0.31, 0.4, 0.475, 0.4167, 0.3083, 0.075, 0.04, 0.04, 0.03,
    0.03,
];
/// P(correct), small grating at contrast 0.05.
const LOW_CORRECT: [f64; 19] = [
    C, C, C, C, C, C, C, 0.25, 0.26, 0.2583, 0.325, 0.45, 0.575, 0.875, 0.933, 0.99, 0.99, 0.99,
    0.99,
];
/// P(opposite direction), small grating at contrast 0.05.
const LOW_OPPOSITE: [f64; 19] = [
    C, C, C, C, C, C, C, 0.25, 0.26, 0.2583, 0.267, 0.1417, 0.1167, 0.058, 0.016, 0.003, 0.003,
    0.003, 0.003,
];

/// Piecewise-linear `ys(x)` over increasing `xs`, holding the end values outside.
fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let last = xs.len() - 1;
    if x <= xs[0] {
        return ys[0];
    }
    if x >= xs[last] {
        return ys[last];
    }
    let i = xs.partition_point(|&v| v <= x) - 1;
    let w = (x - xs[i]) / (xs[i + 1] - xs[i]);
    ys[i] + w * (ys[i + 1] - ys[i])
}

impl FromConfig for SpatialSuppressMotion {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["stimulus_ms"])?;
        let setup = Setup::new(NAME, cfg, FRAME_MS)?;
        let stimulus_ms = p.nonneg("stimulus_ms", 300.0)?;
        if setup.timeline().steps_for(stimulus_ms) == 0 {
            return Err(TaskError::InvalidParam {
                task: NAME.into(),
                key: "stimulus_ms".into(),
                message: format!(
                    "{stimulus_ms} ms gives no step at dt = {} ms; it must last at least one step",
                    setup.dt_ms
                ),
            });
        }
        let mut inputs = Vec::with_capacity(4 * SIZES);
        for pool in ["left", "right", "up", "down"] {
            inputs.extend(ring_names(pool, SIZES));
        }
        let mut spec = make_spec(
            NAME,
            &setup,
            inputs,
            names(&["left", "right", "up", "down"]),
            &["ground_truth", "contrast", "diameter"],
            None,
            &["perceptual", "motion", "continuous", "supervised", "neurogym"],
            "Tadin, Lappin, Gilroy & Blake (2003) Perceptual consequences of centre–surround antagonism in visual motion processing. Nature 424:312",
            "Report at every step how likely a human observer is to name each of four motion directions of a grating seen that long (small at low contrast or large at high contrast).",
        );
        spec.categorical = false;
        Ok(SpatialSuppressMotion {
            spec,
            stimulus_ms,
            setup,
        })
    }
}

impl SpatialSuppressMotion {
    /// Draw a condition (neurogym order: direction, then the grating).
    pub fn sample(&self, rng: &mut Rng) -> MotionCondition {
        let direction = rng.below(4) as usize;
        let high_contrast = rng.below(2) == 1;
        let mut timeline = self.setup.timeline();
        timeline.push("stimulus", self.stimulus_ms);
        MotionCondition {
            direction,
            high_contrast,
            timeline,
        }
    }

    /// P(correct), P(opposite), P(each orthogonal direction) after `frames` frames of stimulus.
    fn report_probabilities(&self, high_contrast: bool, frames: f64) -> (f64, f64, f64) {
        let (corr, opp) = if high_contrast {
            (&HIGH_CORRECT, &HIGH_OPPOSITE)
        } else {
            (&LOW_CORRECT, &LOW_OPPOSITE)
        };
        let (pc, po) = (
            interpolate(&FRAMES, corr, frames),
            interpolate(&FRAMES, opp, frames),
        );
        let sum = pc + po;
        if sum > 1.0 && !self.setup.neurogym() {
            (pc / sum, po / sum, 0.0)
        } else {
            (pc, po, (1.0 - sum) / 2.0)
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &MotionCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let stim = tl.range("stimulus");
        let mut cv = Canvas::continuous(tl.clone(), 4 * SIZES, 4);
        // left/right and up/down are the opposite pairs: d ^ 1 is d's opposite.
        let opposite = c.direction ^ 1;
        let contrast = c.contrast();
        for d in 0..4 {
            let tuning = if d == c.direction {
                1.0
            } else if d == opposite {
                0.0
            } else {
                0.5
            };
            let v = vec![(tuning * contrast) as f32; c.diameter()];
            cv.add_vec(stim.clone(), d * SIZES, &v);
        }
        for k in stim.clone() {
            let frames = if self.setup.neurogym() {
                (k + 1) as f64
            } else {
                (k + 1) as f64 * self.setup.dt_ms / FRAME_MS
            };
            let (pc, po, pr) = self.report_probabilities(c.high_contrast, frames);
            for d in 0..4 {
                let p = if d == c.direction {
                    pc
                } else if d == opposite {
                    po
                } else {
                    pr
                };
                cv.value(k..k + 1, d, p as f32);
            }
        }
        cv.respond_from(stim.start);
        let labels = Labels::new()
            .int("ground_truth", c.direction as i64)
            .float("contrast", contrast)
            .int("diameter", c.diameter() as i64);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(SpatialSuppressMotion);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_is_linear_between_points_and_flat_outside() {
        let (xs, ys) = ([1.0, 3.0, 4.0], [0.0, 1.0, 3.0]);
        assert_eq!(interpolate(&xs, &ys, 0.2), 0.0);
        assert_eq!(interpolate(&xs, &ys, 2.0), 0.5);
        assert_eq!(interpolate(&xs, &ys, 3.0), 1.0);
        assert_eq!(interpolate(&xs, &ys, 3.5), 2.0);
        assert_eq!(interpolate(&xs, &ys, 9.0), 3.0);
    }

    #[test]
    fn table_is_flat_at_both_ends() {
        // Holding the end values equals neurogym's linear extrapolation only if so.
        for t in [HIGH_CORRECT, HIGH_OPPOSITE, LOW_CORRECT, LOW_OPPOSITE] {
            assert_eq!(t[0], t[1]);
            assert_eq!(t[17], t[18]);
        }
    }
}
