//! Yang et al. 2019 matching family (neurogym `yang19.{dms,dnms,dmc,dnmc}-v0`): delayed
//! (non-)match-to-sample / -category with a go/no-go response. Yang, Joglekar, Song, Newsome &
//! Wang 2019, *Nat Neurosci* 22:297.
//!
//! ```text
//!  | fixation 300 | sample 500   | delay 1000 | test 500    | decision 900 |
//!  fix  1            1              1            1             0
//!  ring 0            bump(θs)+ξ     0            bump(θt)+ξ    0
//!  tgt  0            0              0            0             test index + 1 on "go" trials, else 0
//! ```
//! Stimuli appear in one modality (drawn uniformly). DMS: go (to the test direction) on match,
//! withhold on non-match; DNMS: the reverse. DMC/DNMC: the same with categories (ring indices
//! `0..8` vs `8..16`). Non-match tests are the opposite direction (sample) or a random direction of
//! the other category (category). ξ ~ N(0, σ²/dt) on the shown modality's channels in sample and
//! test. Inputs 33, outputs 17. Labels: `ground_truth` (decision class; 0 = withhold),
//! `is_match`, `modality`, `sample_index`, `test_index`.
//!
//! Deviations from neurogym 2.3.1: for DMC/DNMC neurogym computes the sample category as
//! `index > 8` but the test category as `index ≥ 8`, so a sample at index 8 is put in the wrong
//! category (its "match" test is from the other half of the ring). By default the sample category
//! is `index ≥ 8`, consistent with the tests; `compat = "neurogym"` keeps `index > 8`.

use super::prelude::*;

const DIM: usize = 16;

/// One of the four Yang et al. 2019 matching tasks.
pub struct Yang19Match {
    spec: TaskSpec,
    setup: Setup,
    sigma: f64,
    category: bool,
    match_go: bool,
    timing: Vec<(&'static str, Duration)>,
}

/// One condition of a matching task.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchCondition {
    /// Whether the test matches the sample (direction or category).
    pub is_match: bool,
    /// Modality (0/1).
    pub modality: usize,
    /// Sample ring index.
    pub sample_index: usize,
    /// Test ring index.
    pub test_index: usize,
    /// Periods.
    pub timeline: Timeline,
}

fn new(
    name: &'static str,
    cfg: &TaskConfig,
    category: bool,
    match_go: bool,
) -> Result<Box<dyn crate::Task>, TaskError> {
    let p = Params::new(name, cfg, &["sigma"])?;
    let setup = Setup::new(name, cfg, 100.0)?;
    let mut inputs = names(&["fixation"]);
    inputs.extend(ring_names("stim_mod1_", DIM));
    inputs.extend(ring_names("stim_mod2_", DIM));
    let timing = vec![
        ("fixation", Duration::Fixed(300.0)),
        ("sample", Duration::Fixed(500.0)),
        ("delay", Duration::Fixed(1000.0)),
        ("test", Duration::Fixed(500.0)),
        ("decision", Duration::Fixed(900.0)),
    ];
    Ok(Box::new(Yang19Match {
        spec: make_spec(
            name,
            &setup,
            inputs,
            choice_names(DIM),
            &["ground_truth", "is_match", "modality", "sample_index", "test_index"],
            None,
            &["yang19", "working memory", "go/no-go", "supervised"],
            "Yang, Joglekar, Song, Newsome & Wang (2019) Task representations in neural networks trained to perform many cognitive tasks. Nat Neurosci 22:297",
            if match_go { "Go to the test direction if it matches the sample, else withhold." } else { "Go to the test direction if it does not match the sample, else withhold." },
        ),
        setup,
        sigma: p.nonneg("sigma", 1.0)?,
        category,
        match_go,
        timing,
    }))
}

/// `yang19.dms`: delayed match-to-sample (go on match).
pub fn dms(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19Dms", cfg, false, true)
}
/// `yang19.dnms`: delayed non-match-to-sample (go on non-match).
pub fn dnms(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19Dnms", cfg, false, false)
}
/// `yang19.dmc`: delayed match-to-category (go on match).
pub fn dmc(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19Dmc", cfg, true, true)
}
/// `yang19.dnmc`: delayed non-match-to-category (go on non-match).
pub fn dnmc(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
    new("Yang19Dnmc", cfg, true, false)
}

impl Yang19Match {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> MatchCondition {
        let modality = rng.below(2) as usize;
        let is_match = rng.below(2) == 0;
        let half = DIM / 2;
        let sample_index = rng.below(DIM as u64) as usize;
        let test_index = if self.category {
            let cat = if self.setup.neurogym() {
                usize::from(sample_index > half)
            } else {
                usize::from(sample_index >= half)
            };
            let test_cat = if is_match { cat } else { 1 - cat };
            rng.below(half as u64) as usize + test_cat * half
        } else if is_match {
            sample_index
        } else {
            (sample_index + half) % DIM
        };
        MatchCondition {
            is_match,
            modality,
            sample_index,
            test_index,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &MatchCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (sample, test, dec) = (tl.range("sample"), tl.range("test"), tl.range("decision"));
        let mut cv = Canvas::new(tl.clone(), 1 + 2 * DIM, 1 + DIM);
        cv.set(0..dec.start, 0, 1.0);
        let theta = ring(DIM);
        let ch0 = 1 + c.modality * DIM;
        cv.add_vec(
            sample.clone(),
            ch0,
            &gauss_bump(DIM, theta[c.sample_index], 1.0),
        );
        cv.add_vec(
            test.clone(),
            ch0,
            &gauss_bump(DIM, theta[c.test_index], 1.0),
        );
        let sd = self.setup.noise_sd(self.sigma);
        cv.noise(sample, ch0..ch0 + DIM, sd, rng);
        cv.noise(test, ch0..ch0 + DIM, sd, rng);
        let gt = if c.is_match == self.match_go {
            c.test_index as i64 + 1
        } else {
            0
        };
        cv.class(dec.clone(), gt);
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", gt)
            .int("is_match", i64::from(c.is_match))
            .int("modality", c.modality as i64)
            .int("sample_index", c.sample_index as i64)
            .int("test_index", c.test_index as i64);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(Yang19Match);
