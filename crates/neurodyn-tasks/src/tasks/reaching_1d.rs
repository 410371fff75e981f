//! Reaching1D and Reaching1DWithSelfDistraction (neurogym `Reaching1D-v0`,
//! `Reaching1DWithSelfDistraction-v0`): reach to a direction shown on a ring. Georgopoulos,
//! Schwartz & Kettner 1986, *Science* 233:1416 (population coding of movement direction).
//!
//! ```text
//!  Reaching1D         | fixation 500   | reach 500                         |
//!  target ring (16)   | 0              | cos(θ_k − θ_target)               |
//!  self ring (16)     | cos(θ_k − π)   | cos(θ_k − π)        (ng: 0 / 0)   |
//!  target (default)   | 0              | 1 + nearest ring unit to θ_target |
//!  target (neurogym)  | 3 = int(π)     | int(θ_target) ∈ 0..=6             |
//!
//!  …WithSelfDistraction | fixation 500 | reach 500                                  |
//!  ring (32)            | cos(θ_k − π) | 0.3·cos(θ_k − θ_target) + cos(θ_k − π)     |
//!                       | (ng: 0)      | (ng: 0.3·cos(θ_k − θ_target))              |
//!  target               | as Reaching1D, with the 32-unit ring                      |
//! ```
//! `θ_target ~ U(0, 2π)`, `θ_k = 2πk/n`. No fixation channel: the target's onset is the go signal
//! (as in neurogym). Reaching1D: inputs `2·dim_ring` (`target0..`, `self0..`), parameter
//! `dim_ring` (16). Both: outputs `1 + n` classes (`fixate`, `direction0..`), parameters
//! `fixation_ms` (500), `reach_ms` (500), `self_input` (true; false under compat). Labels:
//! `ground_truth` (the reach-period class), `target_theta` (rad).
//!
//! Deviations from neurogym 2.3.1:
//! - Ground truth. neurogym writes the arm angle (π during fixation, `θ_target` during the reach)
//!   into an **int64** array, so it becomes `3` and `int(θ_target) ∈ 0..=6` — classes that do not
//!   even exist in its 3-action space (stay / +0.05 rad / −0.05 rad). Here the target is
//!   categorical: 0 (hold) during fixation, and during the reach the class of the ring unit nearest
//!   the goal, `1 + round(θ_target·n/2π) mod n` (the population-vector readout of the paper).
//!   `compat = "neurogym"` gives the truncated integers, with `n_out = 7` (classes `angle0..6`).
//! - Self input. neurogym's arm state (start π, moved ±0.05 rad per action) is written into the
//!   observation by `post_step`, which `env.ob` and `ngym.Dataset` never see, so supervised data
//!   hold zeros there. An open-loop categorical readout does not move an arm, so here the arm stays
//!   at its start: the self term is `cos(θ_k − π)` over the whole trial (for
//!   Reaching1DWithSelfDistraction it is the strong distractor added to the weak 0.3 target).
//!   `self_input = false` (the default under `compat = "neurogym"`) leaves it out, as Dataset does.

use super::prelude::*;

/// Reaching1D or Reaching1DWithSelfDistraction.
pub struct Reaching1D {
    spec: TaskSpec,
    setup: Setup,
    n: usize,
    distraction: bool,
    self_input: bool,
    timing: Vec<(&'static str, Duration)>,
}

/// One reaching condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Reach1DCondition {
    /// Goal direction (rad), uniform in `[0, 2π)`.
    pub target_theta: f64,
    /// Periods.
    pub timeline: Timeline,
}

/// `Reaching1D-v0`.
pub fn reaching1d(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    Ok(Box::new(Reaching1D::new(cfg, false)?))
}

/// `Reaching1DWithSelfDistraction-v0`.
pub fn self_distraction(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    Ok(Box::new(Reaching1D::new(cfg, true)?))
}

impl Reaching1D {
    /// Build either variant from a config.
    pub fn new(cfg: &TaskConfig, distraction: bool) -> Result<Self, TaskError> {
        let name: &'static str = if distraction {
            "Reaching1DWithSelfDistraction"
        } else {
            "Reaching1D"
        };
        let keys: &[&str] = if distraction {
            &["fixation_ms", "reach_ms", "self_input"]
        } else {
            &["dim_ring", "fixation_ms", "reach_ms", "self_input"]
        };
        let p = Params::new(name, cfg, keys)?;
        let setup = Setup::new(name, cfg, 100.0)?;
        let n = if distraction {
            32
        } else {
            p.usize("dim_ring", 16, 2, 360)?
        };
        let self_input = p.bool("self_input", !setup.neurogym())?;
        let inputs = if distraction {
            ring_names("ring", n)
        } else {
            let mut v = ring_names("target", n);
            v.extend(ring_names("self", n));
            v
        };
        let outputs = if setup.neurogym() {
            ring_names("angle", 7)
        } else {
            let mut v = names(&["fixate"]);
            v.extend(ring_names("direction", n));
            v
        };
        let (paper, description) = if distraction {
            (
                "Georgopoulos, Schwartz & Kettner (1986) Neuronal population coding of movement direction. Science 233:1416 (neurogym's variant after self-generated electrosensory interference in electric fish)",
                "Reach to a weakly shown direction while the arm's own strong position signal overshadows it.",
            )
        } else {
            (
                "Georgopoulos, Schwartz & Kettner (1986) Neuronal population coding of movement direction. Science 233:1416",
                "Reach to the direction shown on a ring as soon as it appears.",
            )
        };
        Ok(Reaching1D {
            spec: make_spec(
                name,
                &setup,
                inputs,
                outputs,
                &["ground_truth", "target_theta"],
                None,
                &["motor", "steps action space", "supervised", "neurogym"],
                paper,
                description,
            ),
            n,
            distraction,
            self_input,
            timing: vec![
                ("fixation", Duration::Fixed(p.nonneg("fixation_ms", 500.0)?)),
                ("reach", Duration::Fixed(p.nonneg("reach_ms", 500.0)?)),
            ],
            setup,
        })
    }

    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> Reach1DCondition {
        Reach1DCondition {
            target_theta: rng.uniform_range(0.0, 2.0 * PI),
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// The ring unit nearest a direction.
    pub fn nearest_unit(&self, theta: f64) -> usize {
        ((theta * self.n as f64 / (2.0 * PI)).round() as usize) % self.n
    }

    /// Render a condition.
    pub fn render(&self, c: &Reach1DCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (fix, reach) = (tl.range("fixation"), tl.range("reach"));
        let n = self.n;
        let mut cv = Canvas::new(tl.clone(), self.spec.n_in, self.spec.n_out);
        let (gain, self_ch) = if self.distraction { (0.3, 0) } else { (1.0, n) };
        cv.add_vec(reach.clone(), 0, &cos_tuning(n, c.target_theta, gain, 0.0));
        if self.self_input {
            cv.add_vec(0..tl.n_steps(), self_ch, &cos_tuning(n, PI, 1.0, 0.0));
        }
        let gt = if self.setup.neurogym() {
            cv.class(fix, PI as i64);
            c.target_theta as i64
        } else {
            1 + self.nearest_unit(c.target_theta) as i64
        };
        cv.class(reach.clone(), gt);
        cv.respond_from(reach.start);
        let labels = Labels::new()
            .int("ground_truth", gt)
            .float("target_theta", c.target_theta);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(Reaching1D);
