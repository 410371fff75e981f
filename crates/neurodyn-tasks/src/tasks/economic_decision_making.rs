//! EconomicDecisionMaking (neurogym `EconomicDecisionMaking-v0`): choose between two offers of
//! different juices and amounts. Padoa-Schioppa & Assad 2006, *Nature* 441:223.
//!
//! ```text
//!  period     | fixation 1500 | offer_on U(1000, 2000)         | decision 750           |
//!  fixation   | 1             | 1                              | 0                      |
//!  a1, b1     | 0             | one-hot juice of offer 1       | 0                      |
//!  a2, b2     | 0             | one-hot juice of offer 2       | 0                      |
//!  n1, n2     | 0             | amount of offer 1, 2 (÷ 5)     | 0                      |
//!  target     | 0             | 0                              | higher-value offer 1/2 |
//!  (neurogym) | 0             | 0                              | 0                      |
//! ```
//! Each trial draws the juice order (A first or B first, ½ each) and an offer `(n_B, n_A)` from
//! `(0,1) (1,3) (1,2) (1,1) (2,1) (3,1) (4,1) (6,1) (2,0)`. Juice A is preferred: one drop of B is
//! worth `b_to_a` (1/2.2) drops of A, so the value of an offer is `n_A` or `b_to_a·n_B`. Inputs 7
//! (`fixation`, `a1`, `b1`, `a2`, `b2`, `n1`, `n2`), outputs 3 (`fixate`, `choice1`, `choice2`);
//! no noise. Parameters: `b_to_a` (1/2.2, > 0), `fixation_ms` (1500), `decision_ms` (750).
//! Labels: `ground_truth` (the higher-value offer, 1/2; ties go to the offer of juice A),
//! `a_first` (1 when offer 1 is juice A), `n_a`, `n_b` (drops), `value_diff` (value of offer 1 −
//! value of offer 2, in drops of A; the evidence label).
//!
//! Deviations from neurogym 2.3.1: neurogym's task is RL-only — it builds no ground truth (`gt`
//! stays 0, so `ngym.Dataset` cannot use it), and its reward compares `juice1 == 'A'` against the
//! lower-case juice names, so choice 1 is always paid the B value. Here the task is supervised:
//! the target in the decision period is the offer of higher value (the choice that the paper's
//! value model makes). `compat = "neurogym"` keeps neurogym's all-zero target (the labels still
//! carry the correct choice). Inputs are neurogym's in both modes (its fixation input already stays
//! on until the decision period).

use super::prelude::*;

/// The EconomicDecisionMaking task.
pub struct EconomicDecisionMaking {
    spec: TaskSpec,
    setup: Setup,
    b_to_a: f64,
    timing: Vec<(&'static str, Duration)>,
}

/// One EconomicDecisionMaking condition.
#[derive(Clone, Debug, PartialEq)]
pub struct EconomicCondition {
    /// `true` when offer 1 is juice A.
    pub a_first: bool,
    /// Drops of juice A on offer.
    pub n_a: u32,
    /// Drops of juice B on offer.
    pub n_b: u32,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "EconomicDecisionMaking";
/// neurogym's offers, as `(n_B, n_A)`.
const OFFERS: [(u32, u32); 9] = [
    (0, 1),
    (1, 3),
    (1, 2),
    (1, 1),
    (2, 1),
    (3, 1),
    (4, 1),
    (6, 1),
    (2, 0),
];

impl FromConfig for EconomicDecisionMaking {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["b_to_a", "fixation_ms", "decision_ms"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let b_to_a = p.f64("b_to_a", 1.0 / 2.2)?;
        if b_to_a <= 0.0 {
            return Err(TaskError::InvalidParam {
                task: NAME.into(),
                key: "b_to_a".into(),
                message: format!("must be > 0, got {b_to_a}"),
            });
        }
        Ok(EconomicDecisionMaking {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "a1", "b1", "a2", "b2", "n1", "n2"]),
                choice_names(2),
                &["ground_truth", "a_first", "n_a", "n_b", "value_diff"],
                Some("value_diff"),
                &["value-based", "two-alternative", "supervised", "neurogym"],
                "Padoa-Schioppa & Assad (2006) Neurons in the orbitofrontal cortex encode economic value. Nature 441:223",
                "Choose the offer of higher value, weighing juice type against amount, when fixation goes off.",
            ),
            b_to_a,
            timing: vec![
                ("fixation", Duration::Fixed(p.nonneg("fixation_ms", 1500.0)?)),
                (
                    "offer_on",
                    Duration::Uniform {
                        lo: 1000.0,
                        hi: 2000.0,
                    },
                ),
                ("decision", Duration::Fixed(p.nonneg("decision_ms", 750.0)?)),
            ],
            setup,
        })
    }
}

impl EconomicDecisionMaking {
    /// Draw a condition (neurogym order: juice order, offer, then the periods).
    pub fn sample(&self, rng: &mut Rng) -> EconomicCondition {
        let a_first = rng.below(2) == 0;
        let (n_b, n_a) = *rng.choose(&OFFERS);
        EconomicCondition {
            a_first,
            n_a,
            n_b,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Values (in drops of A) of offer 1 and offer 2.
    pub fn values(&self, c: &EconomicCondition) -> (f64, f64) {
        let (va, vb) = (f64::from(c.n_a), self.b_to_a * f64::from(c.n_b));
        if c.a_first {
            (va, vb)
        } else {
            (vb, va)
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &EconomicCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (offer, dec) = (tl.range("offer_on"), tl.range("decision"));
        let mut cv = Canvas::new(tl.clone(), 7, 3);
        cv.set(0..dec.start, 0, 1.0);
        // a1 = 1, b1 = 2, a2 = 3, b2 = 4.
        let (j1, j2, n1, n2) = if c.a_first {
            (1, 4, c.n_a, c.n_b)
        } else {
            (2, 3, c.n_b, c.n_a)
        };
        cv.set(offer.clone(), j1, 1.0);
        cv.set(offer.clone(), j2, 1.0);
        cv.set(offer.clone(), 5, n1 as f32 / 5.0);
        cv.set(offer, 6, n2 as f32 / 5.0);
        let (v1, v2) = self.values(c);
        let gt = if v1 > v2 || (v1 == v2 && c.a_first) {
            1
        } else {
            2
        };
        if !self.setup.neurogym() {
            cv.class(dec.clone(), gt);
        }
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", gt)
            .int("a_first", i64::from(c.a_first))
            .int("n_a", i64::from(c.n_a))
            .int("n_b", i64::from(c.n_b))
            .float("value_diff", v1 - v2);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(EconomicDecisionMaking);
