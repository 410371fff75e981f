//! Yang et al. 2019 reach family (neurogym `yang19.{go,rtgo,dlygo,anti,rtanti,dlyanti}-v0`):
//! Yang, Joglekar, Song, Newsome & Wang 2019, *Nat Neurosci* 22:297, "Task representations in
//! neural networks trained to perform many cognitive tasks".
//!
//! ```text
//!  Go / Anti (DlyGo / DlyAnti: delay 500)      RtGo / RtAnti (reaction time)
//!  | fixation 500 | stimulus 500 | delay 0 | decision 500 |     | fixation 500 | decision 500 |
//!  fix  1            1              1         0                  fix  1            0
//!  ring 0            bump(θ_s)      0         0                  ring 0            bump(θ_s)
//!  tgt  0            0              0         gt+1               tgt  0            gt+1
//! ```
//! Each trial shows the stimulus in one of two modalities (drawn uniformly, as neurogym's
//! `ScheduleEnvs` with a random schedule). `bump(θ) = 0.8·exp(−d²/2)`, `d` the circular distance
//! to each of the 16 preferred directions in units of π/8. Anti tasks answer `θ_s + π`. Inputs
//! 33 (`fixation`, 16 × mod1, 16 × mod2), outputs 17. No input noise (neurogym's `_Reach` has
//! none). Labels: `ground_truth`, `modality` (0/1), `stim_index` (0-based ring index shown).
//!
//! Deviations from neurogym 2.3.1: none; `compat` changes nothing here.

use super::prelude::*;

const DIM: usize = 16;

/// One of the six Yang et al. 2019 reach tasks.
pub struct Yang19Reach {
    spec: TaskSpec,
    setup: Setup,
    anti: bool,
    reaction: bool,
    timing: Vec<(&'static str, Duration)>,
}

/// One condition of a reach task.
#[derive(Clone, Debug, PartialEq)]
pub struct ReachCondition {
    /// Correct direction, 0-based.
    pub direction: usize,
    /// Modality the stimulus is shown in (0 or 1).
    pub modality: usize,
    /// Periods.
    pub timeline: Timeline,
}

fn new(
    name: &'static str,
    cfg: &TaskConfig,
    anti: bool,
    reaction: bool,
    delay: f64,
) -> Result<Box<dyn crate::Task>, TaskError> {
    Params::new(name, cfg, &[])?;
    let setup = Setup::new(name, cfg, 100.0)?;
    let mut inputs = names(&["fixation"]);
    inputs.extend(ring_names("stim_mod1_", DIM));
    inputs.extend(ring_names("stim_mod2_", DIM));
    let timing = if reaction {
        vec![
            ("fixation", Duration::Fixed(500.0)),
            ("decision", Duration::Fixed(500.0)),
        ]
    } else {
        vec![
            ("fixation", Duration::Fixed(500.0)),
            ("stimulus", Duration::Fixed(500.0)),
            ("delay", Duration::Fixed(delay)),
            ("decision", Duration::Fixed(500.0)),
        ]
    };
    Ok(Box::new(Yang19Reach {
        spec: make_spec(
            name,
            &setup,
            inputs,
            choice_names(DIM),
            &["ground_truth", "modality", "stim_index"],
            None,
            &["yang19", "perceptual", "supervised"],
            "Yang, Joglekar, Song, Newsome & Wang (2019) Task representations in neural networks trained to perform many cognitive tasks. Nat Neurosci 22:297",
            if anti { "Respond opposite to the stimulus direction." } else { "Respond towards the stimulus direction." },
        ),
        setup,
        anti,
        reaction,
        timing,
    }))
}

/// `yang19.go`: go to the stimulus when fixation goes off.
pub fn go(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19Go", cfg, false, false, 0.0)
}
/// `yang19.rtgo`: go to the stimulus as soon as it appears (fixation offset).
pub fn rtgo(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19RtGo", cfg, false, true, 0.0)
}
/// `yang19.dlygo`: go to the remembered stimulus after a 500 ms delay.
pub fn dlygo(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19DlyGo", cfg, false, false, 500.0)
}
/// `yang19.anti`: respond opposite to the stimulus.
pub fn anti(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19Anti", cfg, true, false, 0.0)
}
/// `yang19.rtanti`: respond opposite to the stimulus as soon as it appears.
pub fn rtanti(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19RtAnti", cfg, true, true, 0.0)
}
/// `yang19.dlyanti`: respond opposite to the remembered stimulus after a 500 ms delay.
pub fn dlyanti(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19DlyAnti", cfg, true, false, 500.0)
}

impl Yang19Reach {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> ReachCondition {
        let modality = rng.below(2) as usize;
        let direction = rng.below(DIM as u64) as usize;
        ReachCondition {
            direction,
            modality,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &ReachCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let dec = tl.range("decision");
        let stim_index = if self.anti {
            (c.direction + DIM / 2) % DIM
        } else {
            c.direction
        };
        let bump = gauss_bump(DIM, ring(DIM)[stim_index], 1.0);
        let mut cv = Canvas::new(tl.clone(), 1 + 2 * DIM, 1 + DIM);
        cv.set(0..dec.start, 0, 1.0);
        let shown = if self.reaction {
            dec.clone()
        } else {
            tl.range("stimulus")
        };
        cv.add_vec(shown, 1 + c.modality * DIM, &bump);
        cv.class(dec.clone(), c.direction as i64 + 1);
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", c.direction as i64 + 1)
            .int("modality", c.modality as i64)
            .int("stim_index", stim_index as i64);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(Yang19Reach);
