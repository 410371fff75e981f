//! AnnubesEnv (neurogym `AnnubesEnv-v0`): detect a sensory stimulus in one or more modalities, or
//! its absence on catch trials. From the ANNUBeS project (Training Artificial Neural Networks to
//! Uncover Behavioral Strategies in neuroscience; University of Amsterdam and Netherlands eScience
//! Center), which models rodents trained on audio-visual detection.
//!
//! ```text
//!  period     | fixation 500  | stimulus 1000                                | iti 0 |
//!  fixation   | 1 (ng: 0)     | 0                                            | 0     |
//!  start      | 0             | 1                                            | 0     |
//!  modality m | 0             | I_m + ξ if m is shown; ξ (ng: 0) if not      | 0     |
//!  target     | 0             | 1 if a stimulus is shown, 0 on catch trials  | 0     |
//! ```
//! Each trial is a catch trial with probability `catch_prob`; otherwise one stimulus type is drawn
//! from `session` (relative probabilities) and each of its modalities gets an intensity `I_m`
//! drawn from `intensities`. ξ ~ N(0, s²) per step with `s = noise_std·√(2α)/α`, `α = dt/τ`, i.e.
//! `noise_std·√(2τ/dt)`: 0.0141 at dt = 100, 0.0316 at dt = 20. The response is due over the whole
//! stimulus period, which the `start` input marks.
//!
//! Inputs `2 + n_modalities` (`fixation`, `start`, then the modalities in name order), outputs 2
//! (`withhold`, `respond`).
//!
//! Parameters (neurogym's names in brackets):
//! - `session` (`session`): a table of stimulus types and their relative probabilities, e.g.
//!   `session = { v = 0.5, a = 0.5 }`; a multimodal type joins its modalities with `+`
//!   (`"a+v" = 0.2` shows both at once). Modality names are letters, digits and `_`; `catch` is
//!   reserved. **Default `{ v = 0.5, a = 0.5 }`**: visual and auditory trials equally often, the
//!   default neurogym itself had before 2.1 (2.3.1 has none and requires the argument).
//! - `catch_prob` (`catch_prob`): probability of a catch trial, in [0, 1). **Default 0.5**
//!   (neurogym's former default too): respond and withhold trials are equally frequent, so a
//!   network cannot score well by always responding, and chance is 50 %.
//! - `intensities` ([0.8, 0.9, 1.0]; one list for every modality), `fix_intensity` (1; neurogym
//!   0), `fixation_ms` (`fix_time`, 500; a list is drawn from), `stimulus_ms` (`stim_time`,
//!   1000, > 0), `iti_ms` (`iti`, 0; a list is drawn from), `noise_std` (0.01), `tau_ms` (`tau`,
//!   100 > 0; only scales the noise).
//!
//! Labels: `ground_truth` (1 if a stimulus is shown, 0 on catch trials), `stim_type` (0 = catch,
//! k = the k-th `session` type in name order, e.g. 1 = `a`, 2 = `v` by default) and
//! `intensity_<m>` for every modality (0 when not shown).
//!
//! Deviations from neurogym 2.3.1 (`compat = "neurogym"` restores the first two):
//! - Fixation input. neurogym writes `fix_intensity`, default 0, into the fixation input, so it is
//!   silent. Here it defaults to 1: the fixation input stays on until the response period.
//! - Noise. neurogym adds the noise only to the channels of the shown modalities, so the mere
//!   presence of noise reveals a stimulus, even one far weaker than the noise. Here every modality
//!   channel is noisy during the stimulus period, catch trials included.
//! - Defaults for `session` and `catch_prob`, which neurogym 2.3.1 requires (see above).
//! - Randomness. neurogym draws the trial type and intensities from its own
//!   `np.random.default_rng` (seeded by its `random_seed` argument, or from OS entropy; `env.seed`
//!   does not reach it), and the timing and noise from `env.rng`. Here everything comes from the
//!   task's [`Rng`], so trials are reproducible per seed; there is no `random_seed` parameter.
//! - Not supported: `max_sequential` (a cap on runs of one stimulus type needs state across trials,
//!   and trials here are independent draws; neurogym's default, no cap, is what this task does),
//!   per-modality `intensities` tables, `output_behavior` and `rewards` (RL only).

use super::prelude::*;

/// The AnnubesEnv task.
pub struct AnnubesEnv {
    spec: TaskSpec,
    setup: Setup,
    /// Modality names, sorted (input channels `2..`).
    modalities: Vec<String>,
    /// Stimulus types in name order: modality indices and normalised probability.
    stimuli: Vec<(Vec<usize>, f64)>,
    catch_prob: f64,
    intensities: Vec<f64>,
    fix_intensity: f32,
    noise_sd: f32,
    timing: Vec<(&'static str, Duration)>,
}

/// One AnnubesEnv condition.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnubesCondition {
    /// Index of the stimulus type (session entries in name order); `None` on a catch trial.
    pub stimulus: Option<usize>,
    /// Intensity per modality, 0 for those not shown.
    pub intensities: Vec<f64>,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "AnnubesEnv";

fn invalid(key: &str, message: impl Into<String>) -> TaskError {
    TaskError::InvalidParam {
        task: NAME.into(),
        key: key.into(),
        message: message.into(),
    }
}

/// Modality names and stimulus types (modality indices, normalised probability) of a session.
type Session = (Vec<String>, Vec<(Vec<usize>, f64)>);

/// Parse a session table: `"a+v"` keys are multimodal types; probabilities are normalised.
fn parse_session(session: &std::collections::BTreeMap<String, f64>) -> Result<Session, TaskError> {
    let mut types: Vec<Vec<String>> = Vec::with_capacity(session.len());
    for (key, &p) in session {
        let mut mods: Vec<String> = key.split('+').map(|m| m.trim().to_string()).collect();
        let ok =
            |m: &String| !m.is_empty() && m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !mods.iter().all(ok) {
            return Err(invalid(
                "session",
                format!("{key:?}: modality names are letters, digits and _, joined by +"),
            ));
        }
        if mods.iter().any(|m| m.eq_ignore_ascii_case("catch")) {
            return Err(invalid(
                "session",
                "`catch` is reserved; set catch trials with catch_prob",
            ));
        }
        mods.sort();
        if mods.windows(2).any(|w| w[0] == w[1]) || types.contains(&mods) {
            return Err(invalid(
                "session",
                format!("{key:?} repeats a modality or another entry"),
            ));
        }
        if p < 0.0 {
            return Err(invalid(
                "session",
                format!("{key:?}: probabilities must be ≥ 0, got {p}"),
            ));
        }
        types.push(mods);
    }
    let total: f64 = session.values().sum();
    if total <= 0.0 {
        return Err(invalid(
            "session",
            "at least one stimulus type needs a probability > 0",
        ));
    }
    let mut modalities: Vec<String> = types.iter().flatten().cloned().collect();
    modalities.sort();
    modalities.dedup();
    let stimuli = types
        .iter()
        .zip(session.values())
        .map(|(mods, p)| {
            let idx = mods
                .iter()
                .map(|m| modalities.iter().position(|x| x == m).unwrap_or(0))
                .collect();
            (idx, p / total)
        })
        .collect();
    Ok((modalities, stimuli))
}

impl FromConfig for AnnubesEnv {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(
            NAME,
            cfg,
            &[
                "session",
                "catch_prob",
                "intensities",
                "fix_intensity",
                "fixation_ms",
                "stimulus_ms",
                "iti_ms",
                "noise_std",
                "tau_ms",
            ],
        )?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let (modalities, stimuli) = parse_session(&p.map("session", &[("v", 0.5), ("a", 0.5)])?)?;
        let catch_prob = p.f64("catch_prob", 0.5)?;
        if !(0.0..1.0).contains(&catch_prob) {
            return Err(invalid(
                "catch_prob",
                format!("must be in [0, 1) (at 1 no stimulus is ever shown), got {catch_prob}"),
            ));
        }
        let stimulus_ms = p.nonneg("stimulus_ms", 1000.0)?;
        if stimulus_ms == 0.0 {
            return Err(invalid(
                "stimulus_ms",
                "the response period must last > 0 ms",
            ));
        }
        let tau_ms = p.f64("tau_ms", 100.0)?;
        if tau_ms <= 0.0 {
            return Err(invalid("tau_ms", format!("must be > 0, got {tau_ms}")));
        }
        let noise_std = p.nonneg("noise_std", 0.01)?;
        let alpha = setup.dt_ms / tau_ms;
        let noise_sd = (noise_std * (2.0 * alpha).sqrt() / alpha) as f32;
        let fix_default = if setup.neurogym() { 0.0 } else { 1.0 };
        let mut inputs = names(&["fixation", "start"]);
        inputs.extend(modalities.iter().cloned());
        let mut labels = vec!["ground_truth".to_string(), "stim_type".to_string()];
        labels.extend(modalities.iter().map(|m| format!("intensity_{m}")));
        let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        Ok(AnnubesEnv {
            spec: make_spec(
                NAME,
                &setup,
                inputs,
                names(&["withhold", "respond"]),
                &label_refs,
                None,
                &["perceptual", "detection", "multisensory", "supervised", "neurogym"],
                "ANNUBeS project (Training Artificial Neural Networks to Uncover Behavioral Strategies in neuroscience; University of Amsterdam & Netherlands eScience Center); neurogym AnnubesEnv-v0",
                "Respond throughout the stimulus period if a stimulus is shown in any modality, withhold on catch trials.",
            ),
            modalities,
            stimuli,
            catch_prob,
            intensities: p.list("intensities", &[0.8, 0.9, 1.0])?,
            fix_intensity: p.f64("fix_intensity", fix_default)? as f32,
            noise_sd,
            timing: vec![
                ("fixation", p.duration("fixation_ms", &[500.0])?),
                ("stimulus", Duration::Fixed(stimulus_ms)),
                ("iti", p.duration("iti_ms", &[0.0])?),
            ],
            setup,
        })
    }
}

impl AnnubesEnv {
    /// Draw a condition: catch or not, the stimulus type, the intensity of each shown modality,
    /// then the periods.
    pub fn sample(&self, rng: &mut Rng) -> AnnubesCondition {
        let stimulus = if rng.uniform() < self.catch_prob {
            None
        } else {
            Some(self.stimulus_type(rng))
        };
        let mut intensities = vec![0.0; self.modalities.len()];
        if let Some(k) = stimulus {
            for &m in &self.stimuli[k].0 {
                intensities[m] = *rng.choose(&self.intensities);
            }
        }
        AnnubesCondition {
            stimulus,
            intensities,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// A stimulus type drawn by its probability.
    fn stimulus_type(&self, rng: &mut Rng) -> usize {
        let mut u = rng.uniform();
        for (i, (_, p)) in self.stimuli.iter().enumerate() {
            if u < *p {
                return i;
            }
            u -= p;
        }
        // Rounding can leave u just past the end: the last type that can occur.
        self.stimuli.iter().rposition(|s| s.1 > 0.0).unwrap_or(0)
    }

    /// Render a condition (the noise is drawn here).
    pub fn render(&self, c: &AnnubesCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (fix, stim) = (tl.range("fixation"), tl.range("stimulus"));
        let n_mod = self.modalities.len();
        let mut cv = Canvas::new(tl.clone(), 2 + n_mod, 2);
        cv.set(fix, 0, self.fix_intensity);
        cv.set(stim.clone(), 1, 1.0);
        if let Some(k) = c.stimulus {
            for &m in &self.stimuli[k].0 {
                cv.set(stim.clone(), 2 + m, c.intensities[m] as f32);
                if self.setup.neurogym() {
                    cv.noise(stim.clone(), 2 + m..3 + m, self.noise_sd, rng);
                }
            }
            cv.class(stim.clone(), 1);
        }
        if !self.setup.neurogym() {
            cv.noise(stim.clone(), 2..2 + n_mod, self.noise_sd, rng);
        }
        cv.respond_from(stim.start);
        let mut labels = Labels::new()
            .int("ground_truth", i64::from(c.stimulus.is_some()))
            .int("stim_type", c.stimulus.map_or(0, |k| k as i64 + 1));
        for (m, name) in self.modalities.iter().enumerate() {
            labels = labels.float(&format!("intensity_{name}"), c.intensities[m]);
        }
        cv.finish(&self.setup, labels)
    }
}

impl_task!(AnnubesEnv);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn session(v: &[(&str, f64)]) -> BTreeMap<String, f64> {
        v.iter().map(|(k, p)| (k.to_string(), *p)).collect()
    }

    #[test]
    fn session_keys_become_sorted_modalities_and_normalised_types() {
        let (mods, types) = parse_session(&session(&[("v", 1.0), ("v + a", 2.0), ("a", 1.0)]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mods, vec!["a", "v"]);
        // Types in key order: "a", "v", "v + a".
        assert_eq!(
            types,
            vec![(vec![0], 0.25), (vec![1], 0.25), (vec![0, 1], 0.5)]
        );
        for bad in [
            session(&[("catch", 1.0)]),
            session(&[("a", -1.0), ("v", 2.0)]),
            session(&[("a", 0.0)]),
            session(&[("a+a", 1.0)]),
            session(&[("a+v", 1.0), ("v+a", 1.0)]),
            session(&[("a-v", 1.0)]),
        ] {
            assert!(parse_session(&bad).is_err(), "{bad:?}");
        }
    }
}
