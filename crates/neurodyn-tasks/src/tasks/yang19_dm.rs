//! Yang et al. 2019 decision-making family (neurogym `yang19.{dm1,dm2,ctxdm1,ctxdm2,multidm,
//! dlydm1,dlydm2,ctxdlydm1,ctxdlydm2,multidlydm}-v0`): Yang, Joglekar, Song, Newsome & Wang 2019,
//! *Nat Neurosci* 22:297.
//!
//! ```text
//!  DM:     | fixation U(200,500) | stimulus 500 (Dm1: 200/400/600) | decision 200 |
//!  DlyDM:  | fixation U(200,500) | stim1 500 | delay 1000 | stim2 500 | decision 200 |
//!  fix       1 ............................................................ 0
//!  rings     bumps at θ1 and θ2 (strengths below) + ξ in the stimulus periods
//!  target    0 ............................................................ argmax + 1
//! ```
//! Two distinct directions θ1, θ2 on a 16-ring. DM: per shown modality `c = ±coh`, bump at θ1 with
//! strength `½ + c/2` and at θ2 with `½ − c/2`, together (`cohs` 0.08/0.16/0.32/0.64). DlyDM: two
//! different strengths from `cohs` (0.3/0.6/1.0), θ1 in stim1, θ2 in stim2. The answer is the
//! direction with the larger modality-weighted strength: `1`/`2` variants show one modality,
//! `ctx` variants show both and weight one, `multi` variants show and weight both.
//! ξ ~ N(0, σ²/dt) on the 32 stimulus channels in the stimulus periods. Inputs 33, outputs 17.
//! Labels: `ground_truth`, `theta1_index`, `theta2_index`, `strength1_mod1`, `strength2_mod1`,
//! `strength1_mod2`, `strength2_mod2` (0 when a modality is not shown), `evidence` (weighted
//! strength of θ1 minus that of θ2; the evidence label). Parameters `sigma` (1), `cohs`.
//!
//! Deviations from neurogym 2.3.1: none intended. The fixation input is on until the decision and
//! noise is on stimulus channels only (the 2.1+ fixes, PRs #232/#235); `compat` changes nothing.

use super::prelude::*;

const DIM: usize = 16;

/// One of the ten Yang et al. 2019 decision-making tasks.
pub struct Yang19Dm {
    spec: TaskSpec,
    setup: Setup,
    sigma: f64,
    cohs: Vec<f64>,
    shown: [bool; 2],
    weight: [f64; 2],
    delayed: bool,
    timing: Vec<(&'static str, Duration)>,
}

/// One condition of a DM task.
#[derive(Clone, Debug, PartialEq)]
pub struct DmCondition {
    /// Ring indices of the two directions.
    pub theta_index: [usize; 2],
    /// `strength[m][k]`: strength of direction k in modality m (0 if not shown).
    pub strength: [[f64; 2]; 2],
    /// Correct class (1-based ring index).
    pub ground_truth: i64,
    /// Periods.
    pub timeline: Timeline,
}

fn new(
    name: &'static str,
    cfg: &TaskConfig,
    shown: [bool; 2],
    weight: [f64; 2],
    delayed: bool,
) -> Result<Box<dyn crate::Task>, TaskError> {
    let p = Params::new(name, cfg, &["sigma", "cohs"])?;
    let setup = Setup::new(name, cfg, 100.0)?;
    let mut inputs = names(&["fixation"]);
    inputs.extend(ring_names("stim_mod1_", DIM));
    inputs.extend(ring_names("stim_mod2_", DIM));
    let fixation = Duration::Uniform {
        lo: 200.0,
        hi: 500.0,
    };
    let timing = if delayed {
        vec![
            ("fixation", fixation),
            ("stim1", Duration::Fixed(500.0)),
            ("delay", Duration::Fixed(1000.0)),
            ("stim2", Duration::Fixed(500.0)),
            ("decision", Duration::Fixed(200.0)),
        ]
    } else {
        let stim = if name == "Yang19Dm1" {
            Duration::Choice(vec![200.0, 400.0, 600.0])
        } else {
            Duration::Fixed(500.0)
        };
        vec![
            ("fixation", fixation),
            ("stimulus", stim),
            ("decision", Duration::Fixed(200.0)),
        ]
    };
    let default_cohs: &[f64] = if delayed {
        &[0.3, 0.6, 1.0]
    } else {
        &[0.08, 0.16, 0.32, 0.64]
    };
    let cohs = p.list("cohs", default_cohs)?;
    if delayed && cohs.len() < 2 {
        return Err(TaskError::InvalidParam {
            task: name.into(),
            key: "cohs".into(),
            message: "delayed comparison needs at least two strengths".into(),
        });
    }
    Ok(Box::new(Yang19Dm {
        spec: make_spec(
            name,
            &setup,
            inputs,
            choice_names(DIM),
            &[
                "ground_truth", "theta1_index", "theta2_index", "strength1_mod1", "strength2_mod1",
                "strength1_mod2", "strength2_mod2", "evidence",
            ],
            Some("evidence"),
            &["yang19", "perceptual", "decision making", "supervised"],
            "Yang, Joglekar, Song, Newsome & Wang (2019) Task representations in neural networks trained to perform many cognitive tasks. Nat Neurosci 22:297",
            "Go to the direction whose (modality-weighted) stimulus is stronger.",
        ),
        setup,
        sigma: p.nonneg("sigma", 1.0)?,
        cohs,
        shown,
        weight,
        delayed,
        timing,
    }))
}

macro_rules! dm {
    ($f:ident, $name:literal, $shown:expr, $w:expr, $dly:expr, $doc:literal) => {
        #[doc = $doc]
        pub fn $f(cfg: &TaskConfig) -> Result<Box<dyn crate::Task>, TaskError> {
            new($name, cfg, $shown, $w, $dly)
        }
    };
}
dm!(
    dm1,
    "Yang19Dm1",
    [true, false],
    [1.0, 1.0],
    false,
    "`yang19.dm1`: modality 1 only."
);
dm!(
    dm2,
    "Yang19Dm2",
    [false, true],
    [1.0, 1.0],
    false,
    "`yang19.dm2`: modality 2 only."
);
dm!(
    ctxdm1,
    "Yang19CtxDm1",
    [true, true],
    [1.0, 0.0],
    false,
    "`yang19.ctxdm1`: both shown, attend modality 1."
);
dm!(
    ctxdm2,
    "Yang19CtxDm2",
    [true, true],
    [0.0, 1.0],
    false,
    "`yang19.ctxdm2`: both shown, attend modality 2."
);
dm!(
    multidm,
    "Yang19MultiDm",
    [true, true],
    [1.0, 1.0],
    false,
    "`yang19.multidm`: integrate both modalities."
);
dm!(
    dlydm1,
    "Yang19DlyDm1",
    [true, false],
    [1.0, 1.0],
    true,
    "`yang19.dlydm1`: delayed comparison, modality 1."
);
dm!(
    dlydm2,
    "Yang19DlyDm2",
    [false, true],
    [1.0, 1.0],
    true,
    "`yang19.dlydm2`: delayed comparison, modality 2."
);
dm!(
    ctxdlydm1,
    "Yang19CtxDlyDm1",
    [true, true],
    [1.0, 0.0],
    true,
    "`yang19.ctxdlydm1`: delayed, attend modality 1."
);
dm!(
    ctxdlydm2,
    "Yang19CtxDlyDm2",
    [true, true],
    [0.0, 1.0],
    true,
    "`yang19.ctxdlydm2`: delayed, attend modality 2."
);
dm!(
    multidlydm,
    "Yang19MultiDlyDm",
    [true, true],
    [1.0, 1.0],
    true,
    "`yang19.multidlydm`: delayed, both modalities."
);

impl Yang19Dm {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> DmCondition {
        let i1 = rng.below(DIM as u64) as usize;
        let mut i2 = rng.below(DIM as u64 - 1) as usize;
        if i2 >= i1 {
            i2 += 1;
        }
        let timeline = lay_out(&self.setup, &self.timing, rng);
        let mut strength = [[0.0; 2]; 2];
        for m in 0..2 {
            if !self.shown[m] {
                continue;
            }
            strength[m] = if self.delayed {
                let a = rng.below(self.cohs.len() as u64) as usize;
                let mut b = rng.below(self.cohs.len() as u64 - 1) as usize;
                if b >= a {
                    b += 1;
                }
                [self.cohs[a], self.cohs[b]]
            } else {
                let c = *rng.choose(&self.cohs) * if rng.bernoulli(0.5) { 1.0 } else { -1.0 };
                [0.5 + c / 2.0, 0.5 - c / 2.0]
            };
        }
        let score = |k: usize| (0..2).map(|m| self.weight[m] * strength[m][k]).sum::<f64>();
        let jitter = rng.uniform_range(-1e-6, 1e-6);
        let ground_truth = 1 + if score(0) + jitter > score(1) { i1 } else { i2 } as i64;
        DmCondition {
            theta_index: [i1, i2],
            strength,
            ground_truth,
            timeline,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &DmCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let dec = tl.range("decision");
        let mut cv = Canvas::new(tl.clone(), 1 + 2 * DIM, 1 + DIM);
        cv.set(0..dec.start, 0, 1.0);
        let theta = ring(DIM);
        let periods = if self.delayed {
            [tl.range("stim1"), tl.range("stim2")]
        } else {
            [tl.range("stimulus"), tl.range("stimulus")]
        };
        for m in 0..2 {
            if !self.shown[m] {
                continue;
            }
            for k in 0..2 {
                let bump = gauss_bump(DIM, theta[c.theta_index[k]], c.strength[m][k]);
                cv.add_vec(periods[k].clone(), 1 + m * DIM, &bump);
            }
        }
        let sd = self.setup.noise_sd(self.sigma);
        cv.noise(periods[0].clone(), 1..1 + 2 * DIM, sd, rng);
        if self.delayed {
            cv.noise(periods[1].clone(), 1..1 + 2 * DIM, sd, rng);
        }
        cv.class(dec.clone(), c.ground_truth);
        cv.respond_from(dec.start);
        let s = &c.strength;
        let ev: f64 = (0..2).map(|m| self.weight[m] * (s[m][0] - s[m][1])).sum();
        let labels = Labels::new()
            .int("ground_truth", c.ground_truth)
            .int("theta1_index", c.theta_index[0] as i64)
            .int("theta2_index", c.theta_index[1] as i64)
            .float("strength1_mod1", s[0][0])
            .float("strength2_mod1", s[0][1])
            .float("strength1_mod2", s[1][0])
            .float("strength2_mod2", s[1][1])
            .float("evidence", ev);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(Yang19Dm);
