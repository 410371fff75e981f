//! FlipFlop: the n-bit flip-flop memory task of Sussillo & Barak 2013, *Neural Computation* 25:626
//! ("Opening the black box").
//!
//! ```text
//!  input k   | 0 0 +1 0 0 0 0 −1 0 0 0 +1 0 …   (brief ±1 pulses at random times)
//!  target k  | 0 0 +1 +1 +1 +1 +1 −1 −1 −1 −1 +1 … (the sign of the last pulse; 0 before any)
//! ```
//! `n_bits` input and output channels, continuous targets. Each channel independently starts a
//! pulse on a step with probability `pulse_rate_hz · dt / 1000`; a pulse lasts `pulse_ms` (at least one
//! step) with a random sign. The target of channel k holds the sign of its latest pulse from the
//! pulse onset on. One period, `trial`. Parameters: `n_bits` (3), `duration_ms` (2000),
//! `pulse_rate_hz` (2), `pulse_ms` (10). Default dt 10 ms. Labels: `n_pulses`.
//!
//! No neurogym counterpart: `compat` changes nothing.

use super::prelude::*;

/// The n-bit FlipFlop task.
pub struct FlipFlop {
    spec: TaskSpec,
    setup: Setup,
    n_bits: usize,
    duration_ms: f64,
    rate_hz: f64,
    pulse_ms: f64,
}

/// One FlipFlop condition: the pulses.
#[derive(Clone, Debug, PartialEq)]
pub struct FlipFlopCondition {
    /// `(step, channel, sign)` of every pulse onset, in time order.
    pub pulses: Vec<(usize, usize, f32)>,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "FlipFlop";

impl FromConfig for FlipFlop {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(
            NAME,
            cfg,
            &["n_bits", "duration_ms", "pulse_rate_hz", "pulse_ms"],
        )?;
        let setup = Setup::new(NAME, cfg, 10.0)?;
        let n_bits = p.usize("n_bits", 3, 1, 1024)?;
        let duration_ms = p.nonneg("duration_ms", 2000.0)?;
        if duration_ms < setup.dt_ms {
            return Err(TaskError::InvalidParam {
                task: NAME.into(),
                key: "duration_ms".into(),
                message: format!("must be at least one step (dt = {} ms)", setup.dt_ms),
            });
        }
        let mut spec = make_spec(
            NAME,
            &setup,
            ring_names("pulse", n_bits),
            ring_names("bit", n_bits),
            &["n_pulses"],
            None,
            &["memory", "continuous", "supervised"],
            "Sussillo & Barak (2013) Opening the black box: low-dimensional dynamics in high-dimensional recurrent neural networks. Neural Comput 25:626",
            "Each output holds the sign of the last ±1 pulse on its input channel.",
        );
        spec.categorical = false;
        Ok(FlipFlop {
            spec,
            n_bits,
            duration_ms,
            rate_hz: p.nonneg("pulse_rate_hz", 2.0)?,
            pulse_ms: p.nonneg("pulse_ms", 10.0)?,
            setup,
        })
    }
}

impl FlipFlop {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> FlipFlopCondition {
        let mut timeline = self.setup.timeline();
        let n = timeline.push("trial", self.duration_ms).len();
        let width = timeline.steps_for(self.pulse_ms).max(1);
        let p = (self.rate_hz * self.setup.dt_ms / 1000.0).min(1.0);
        let mut busy_until = vec![0usize; self.n_bits];
        let mut pulses = Vec::new();
        for t in 0..n {
            for (k, busy) in busy_until.iter_mut().enumerate() {
                if t >= *busy && rng.bernoulli(p) {
                    let sign = if rng.bernoulli(0.5) { 1.0 } else { -1.0 };
                    pulses.push((t, k, sign));
                    *busy = t + width;
                }
            }
        }
        FlipFlopCondition { pulses, timeline }
    }

    /// Render a condition.
    pub fn render(&self, c: &FlipFlopCondition, _rng: &mut Rng) -> Trial {
        let n = c.timeline.n_steps();
        let width = c.timeline.steps_for(self.pulse_ms).max(1);
        let mut cv = Canvas::continuous(c.timeline.clone(), self.n_bits, self.n_bits);
        for &(t, k, s) in &c.pulses {
            cv.set(t..(t + width).min(n), k, s);
            cv.value(t..n, k, s);
        }
        cv.finish(
            &self.setup,
            Labels::new().int("n_pulses", c.pulses.len() as i64),
        )
    }
}

impl_task!(FlipFlop);
