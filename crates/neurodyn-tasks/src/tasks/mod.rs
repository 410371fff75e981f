//! One file per task (or family). Each file owns a `Condition` (what [`sample`] draws) and a
//! `render` that turns it into a [`neurodyn_core::Trial`], and documents its deviations from
//! neurogym 2.3.1 in its `//!` header.
//!
//! Shared encodings live here: ring angles (`θ_k = 2πk/n`), cosine tuning and Yang et al.'s
//! Gaussian bumps.
//!
//! [`sample`]: PerceptualDecisionMaking::sample

use std::f64::consts::PI;

/// What every task file imports.
pub(crate) mod prelude {
    pub(crate) use crate::canvas::Canvas;
    pub(crate) use crate::config::TaskConfig;
    pub(crate) use crate::error::TaskError;
    pub(crate) use crate::params::Params;
    pub(crate) use crate::task::FromConfig;
    pub(crate) use crate::task::{
        choice_names, impl_task, lay_out, make_spec, names, ring_names, Setup, TaskSpec,
    };
    pub(crate) use crate::tasks::{cos_tuning, gauss_bump, ring};
    pub(crate) use crate::timeline::{Duration, Timeline};
    pub(crate) use neurodyn_core::{Labels, Rng, Trial};
    pub(crate) use std::f64::consts::PI;
}

mod annubes;
mod anti_reach;
mod context_decision_making;
mod delay_comparison;
mod delay_match_category;
mod delay_match_digit;
mod delay_match_sample;
mod delay_match_sample_distractor;
mod delay_paired_association;
mod dual_delay_match_sample;
mod economic_decision_making;
mod flip_flop;
mod go_nogo;
mod hierarchical_reasoning;
mod interval_discrimination;
mod memorize_report;
mod motor_timing;
mod multi_sensory_integration;
mod one_two_three_go;
mod pattern_generation;
mod pdm_delay_response;
mod perceptual_decision_making;
mod post_decision_wager;
mod probabilistic_reasoning;
mod pulse_decision_making;
pub mod reaching_1d;
mod reaching_delay_response;
mod ready_set_go;
mod spatial_suppress_motion;
mod tone_detection;
pub mod yang19_dm;
pub mod yang19_match;
pub mod yang19_reach;

pub use annubes::{AnnubesCondition, AnnubesEnv};
pub use anti_reach::{AntiReach, AntiReachCondition};
pub use context_decision_making::{CdmCondition, ContextDecisionMaking};
pub use delay_comparison::{DelayComparison, DelayComparisonCondition};
pub use delay_match_category::{DelayMatchCategory, DmcCondition};
pub use delay_match_digit::{DelayMatchDigit, DigitMatchCondition};
pub use delay_match_sample::{DelayMatchSample, DmsCondition};
pub use delay_match_sample_distractor::{DelayMatchSampleDistractor1D, DistractorCondition};
pub use delay_paired_association::{DelayPairedAssociation, PairCondition};
pub use dual_delay_match_sample::{DualDelayMatchSample, DualDmsCondition};
pub use economic_decision_making::{EconomicCondition, EconomicDecisionMaking};
pub use flip_flop::{FlipFlop, FlipFlopCondition};
pub use go_nogo::{GoNogo, GoNogoCondition};
pub use hierarchical_reasoning::{HierarchicalCondition, HierarchicalReasoning};
pub use interval_discrimination::{IntervalCondition, IntervalDiscrimination};
pub use memorize_report::{MemorizeCycle, MemorizeReport, MemorizeReportCondition};
pub use motor_timing::{MotorTiming, MotorTimingCondition};
pub use multi_sensory_integration::{MsiCondition, MultiSensoryIntegration};
pub use one_two_three_go::{OneTwoThreeGo, OneTwoThreeGoCondition};
pub use pattern_generation::PatternGeneration;
pub use pdm_delay_response::{PdmDelayCondition, PerceptualDecisionMakingDelayResponse};
pub use perceptual_decision_making::{PdmCondition, PerceptualDecisionMaking};
pub use post_decision_wager::{PostDecisionWager, WagerCondition};
pub use probabilistic_reasoning::{ProbabilisticReasoning, ReasoningCondition};
pub use pulse_decision_making::{PulseCondition, PulseDecisionMaking};
pub use reaching_1d::{Reach1DCondition, Reaching1D};
pub use reaching_delay_response::{DelayedReachCondition, ReachingDelayResponse};
pub use ready_set_go::{ReadySetGo, ReadySetGoCondition};
pub use spatial_suppress_motion::{MotionCondition, SpatialSuppressMotion};
pub use tone_detection::{ToneCondition, ToneDetection};
pub use yang19_dm::{DmCondition, Yang19Dm};
pub use yang19_match::{MatchCondition, Yang19Match};
pub use yang19_reach::{ReachCondition, Yang19Reach};

/// `θ_k = 2πk/n`, k = 0..n.
pub(crate) fn ring(n: usize) -> Vec<f64> {
    (0..n).map(|k| 2.0 * PI * k as f64 / n as f64).collect()
}

/// `cos(θ_k − θ)·scale + offset` over a ring of `n` (neurogym's cosine tuning).
pub(crate) fn cos_tuning(n: usize, theta: f64, scale: f64, offset: f64) -> Vec<f32> {
    ring(n)
        .iter()
        .map(|&t| ((t - theta).cos() * scale + offset) as f32)
        .collect()
}

/// Yang et al. 2019's bump: `0.8·exp(−d²/2)·strength`, `d` = circular distance in units of π/8.
pub(crate) fn gauss_bump(n: usize, theta: f64, strength: f64) -> Vec<f32> {
    ring(n)
        .iter()
        .map(|&t| {
            let a = (theta - t).abs() % (2.0 * PI);
            let d = a.min(2.0 * PI - a) / (PI / 8.0);
            (0.8 * (-d * d / 2.0).exp() * strength) as f32
        })
        .collect()
}
