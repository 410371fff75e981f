//! ProbabilisticReasoning (neurogym `ProbabilisticReasoning-v0`): add up the evidence of shapes
//! shown one after another and choose the target they favour. Yang & Shadlen 2007, *Nature*
//! 447:1075 (LIP neurons track the summed log likelihood ratio of the shapes).
//!
//! ```text
//!  period        | fixation | stimulus0 | stimulus1 | stimulus2 | stimulus3 | delay      | decision |
//!  ms            | 500      | 500       | 500       | 500       | 500       | U(450,550) | 500      |
//!  fixation      | 1        | 1         | 1         | 1         | 1         | 1          | 0        |
//!  block locs[0] | 0        | shape 0   | shape 0   | shape 0   | shape 0   | 0          | 0        |
//!  block locs[1] | 0        | 0         | shape 1   | shape 1   | shape 1   | 0          | 0        |
//!  block locs[2] | 0        | 0         | 0         | shape 2   | shape 2   | 0          | 0        |
//!  block locs[3] | 0        | 0         | 0         | 0         | shape 3   | 0          | 0        |
//!  target        | 0        | 0         | 0         | 0         | 0         | 0          | 1 or 2   |
//! ```
//! Each trial puts `n_loc` shapes, drawn with replacement from the `n_shape` of `shape_weight`,
//! at the `n_loc` locations in a random order (each location once). Shape `i` appears at its
//! location at the onset of `stimulus{i}` and stays until the end of the last stimulus period (a
//! growing display), then all go off for the delay. A shape is a one-hot code in the block of
//! `n_shape` channels of its location. No noise.
//!
//! Each shape carries a weight of evidence `w` (log10 likelihood ratio, in favour of choice 2);
//! the paper's ten shapes have ±∞ (the two "sure" shapes, ±10 here), ±0.9, ±0.7, ±0.5, ±0.3. With
//! `L = Σ w`, the target is choice 2 with probability `1/(1 + 10^(−L))`, else choice 1: as the
//! monkeys were rewarded, the answer is drawn, not fixed, so the best a network can do is report
//! the posterior (cross-entropy on these targets is minimised by it).
//!
//! Inputs `1 + n_loc·n_shape` (`fixation`, `loc{l}_shape{k}`), outputs 3 (`fixate`, `choice1`,
//! `choice2`). Parameters: `shape_weight` (the ten weights above; any non-empty list),
//! `n_loc` (4, 1..=16). Labels: `ground_truth` (1/2), `log_odds_choice1` (`−L`, rounded to 1e−9,
//! positive = evidence for choice 1; the evidence label), and per shown shape `i`: `shape{i}` (its
//! index in `shape_weight`) and `loc{i}` (its location).
//!
//! Deviations from neurogym 2.3.1: none (its fixation input already stays on until the decision
//! period; the drawn target is the paper's reward rule).

use super::prelude::*;

/// The ProbabilisticReasoning task.
pub struct ProbabilisticReasoning {
    spec: TaskSpec,
    setup: Setup,
    weights: Vec<f64>,
    n_loc: usize,
}

/// One ProbabilisticReasoning condition.
#[derive(Clone, Debug, PartialEq)]
pub struct ReasoningCondition {
    /// Location of the i-th shown shape (a permutation of `0..n_loc`).
    pub locs: Vec<usize>,
    /// Index into the weights of the i-th shown shape.
    pub shapes: Vec<usize>,
    /// Summed log10 likelihood ratio in favour of choice 2.
    pub log_odds: f64,
    /// Target class in the decision period: 1 or 2.
    pub ground_truth: i64,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "ProbabilisticReasoning";
const WEIGHTS: [f64; 10] = [-10.0, -0.9, -0.7, -0.5, -0.3, 0.3, 0.5, 0.7, 0.9, 10.0];

impl FromConfig for ProbabilisticReasoning {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["shape_weight", "n_loc"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let weights = p.list("shape_weight", &WEIGHTS)?;
        let n_loc = p.usize("n_loc", 4, 1, 16)?;
        let n_shape = weights.len();
        let mut inputs = names(&["fixation"]);
        for l in 0..n_loc {
            inputs.extend((0..n_shape).map(|k| format!("loc{l}_shape{k}")));
        }
        let mut labels = vec!["ground_truth".to_string(), "log_odds_choice1".to_string()];
        for i in 0..n_loc {
            labels.push(format!("shape{i}"));
            labels.push(format!("loc{i}"));
        }
        let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        Ok(ProbabilisticReasoning {
            spec: make_spec(
                NAME,
                &setup,
                inputs,
                choice_names(2),
                &label_refs,
                Some("log_odds_choice1"),
                &["perceptual", "two-alternative", "evidence integration", "supervised", "neurogym"],
                "Yang & Shadlen (2007) Probabilistic reasoning by neurons. Nature 447:1075",
                "Add up the weights of evidence of shapes shown one after another at different locations, and after a delay choose the target they favour (drawn with the probability they imply).",
            ),
            weights,
            n_loc,
            setup,
        })
    }
}

impl ProbabilisticReasoning {
    /// Draw a condition (neurogym order: locations, shapes, the target, then the periods).
    pub fn sample(&self, rng: &mut Rng) -> ReasoningCondition {
        let mut locs: Vec<usize> = (0..self.n_loc).collect();
        rng.shuffle(&mut locs);
        let n_shape = self.weights.len() as u64;
        let shapes: Vec<usize> = (0..self.n_loc)
            .map(|_| rng.below(n_shape) as usize)
            .collect();
        let log_odds: f64 = shapes.iter().map(|&s| self.weights[s]).sum();
        let p_choice2 = 1.0 / (10f64.powf(-log_odds) + 1.0);
        let ground_truth = 1 + i64::from(rng.uniform() < p_choice2);
        let mut timeline = self.setup.timeline();
        timeline.push("fixation", 500.0);
        for i in 0..self.n_loc {
            timeline.push(&format!("stimulus{i}"), 500.0);
        }
        timeline.push_sampled(
            "delay",
            &Duration::Uniform {
                lo: 450.0,
                hi: 550.0,
            },
            rng,
        );
        timeline.push("decision", 500.0);
        ReasoningCondition {
            locs,
            shapes,
            log_odds,
            ground_truth,
            timeline,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &ReasoningCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let dec = tl.range("decision");
        let display_end = tl.range(&format!("stimulus{}", self.n_loc - 1)).end;
        let n_shape = self.weights.len();
        let mut cv = Canvas::new(tl.clone(), self.spec.n_in, self.spec.n_out);
        cv.set(0..dec.start, 0, 1.0);
        for (i, (&loc, &shape)) in c.locs.iter().zip(&c.shapes).enumerate() {
            let onset = tl.range(&format!("stimulus{i}")).start;
            cv.set(onset..display_end, 1 + loc * n_shape + shape, 1.0);
        }
        cv.class(dec.clone(), c.ground_truth);
        cv.respond_from(dec.start);
        let mut labels = Labels::new().int("ground_truth", c.ground_truth).float(
            "log_odds_choice1",
            // Rounded so that equal shape sets give equal labels whatever the summation order.
            (-c.log_odds * 1e9).round() / 1e9 + 0.0,
        );
        for (i, (&loc, &shape)) in c.locs.iter().zip(&c.shapes).enumerate() {
            labels = labels
                .int(&format!("shape{i}"), shape as i64)
                .int(&format!("loc{i}"), loc as i64);
        }
        cv.finish(&self.setup, labels)
    }
}

impl_task!(ProbabilisticReasoning);
