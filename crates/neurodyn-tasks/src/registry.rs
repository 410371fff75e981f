//! The task registry: one [`TaskEntry`] line per task, [`build`] by name or alias, and
//! closest-name suggestions for typos.
//!
//! Names are matched case-insensitively, with or without neurogym's `-v0` suffix:
//! `PerceptualDecisionMaking`, `PerceptualDecisionMaking-v0` and `perceptualdecisionmaking` are the
//! same task; Yang et al. 2019 tasks also answer to their neurogym ids (`yang19.dms-v0`).

use crate::config::TaskConfig;
use crate::error::TaskError;
use crate::task::{FromConfig, Task};
use crate::tasks::*;

/// Builds a task from a config.
pub type Constructor = fn(&TaskConfig) -> Result<Box<dyn Task>, TaskError>;

/// One registered task.
#[derive(Clone, Copy)]
pub struct TaskEntry {
    /// Canonical (paradigm) name.
    pub name: &'static str,
    /// Other accepted names (neurogym ids without `-v0`).
    pub aliases: &'static [&'static str],
    /// The constructor.
    pub constructor: Constructor,
}

impl std::fmt::Debug for TaskEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskEntry")
            .field("name", &self.name)
            .field("aliases", &self.aliases)
            .finish()
    }
}

fn make<T: Task + FromConfig + 'static>(cfg: &TaskConfig) -> Result<Box<dyn Task>, TaskError> {
    Ok(Box::new(T::from_config(cfg)?))
}

const fn e(
    name: &'static str,
    aliases: &'static [&'static str],
    constructor: Constructor,
) -> TaskEntry {
    TaskEntry {
        name,
        aliases,
        constructor,
    }
}

/// Every task, one line each. Adding a task = one file + one line here.
pub static REGISTRY: &[TaskEntry] = &[
    e(
        "PerceptualDecisionMaking",
        &[],
        make::<PerceptualDecisionMaking>,
    ),
    e("GoNogo", &[], make::<GoNogo>),
    e("DelayMatchSample", &[], make::<DelayMatchSample>),
    e("ContextDecisionMaking", &[], make::<ContextDecisionMaking>),
    e("DelayComparison", &[], make::<DelayComparison>),
    e(
        "MultiSensoryIntegration",
        &[],
        make::<MultiSensoryIntegration>,
    ),
    e("AntiReach", &[], make::<AntiReach>),
    e("DualDelayMatchSample", &[], make::<DualDelayMatchSample>),
    e(
        "PerceptualDecisionMakingDelayResponse",
        &[],
        make::<PerceptualDecisionMakingDelayResponse>,
    ),
    e("DelayMatchCategory", &[], make::<DelayMatchCategory>),
    e(
        "IntervalDiscrimination",
        &[],
        make::<IntervalDiscrimination>,
    ),
    e("ReadySetGo", &[], make::<ReadySetGo>),
    e("MotorTiming", &[], make::<MotorTiming>),
    e("OneTwoThreeGo", &[], make::<OneTwoThreeGo>),
    e(
        "DelayPairedAssociation",
        &[],
        make::<DelayPairedAssociation>,
    ),
    e("PostDecisionWager", &[], make::<PostDecisionWager>),
    e("PulseDecisionMaking", &[], make::<PulseDecisionMaking>),
    e("ToneDetection", &[], make::<ToneDetection>),
    e(
        "DelayMatchSampleDistractor1D",
        &[],
        make::<DelayMatchSampleDistractor1D>,
    ),
    e("HierarchicalReasoning", &[], make::<HierarchicalReasoning>),
    e("Reaching1D", &[], reaching_1d::reaching1d),
    e(
        "Reaching1DWithSelfDistraction",
        &[],
        reaching_1d::self_distraction,
    ),
    e(
        "EconomicDecisionMaking",
        &[],
        make::<EconomicDecisionMaking>,
    ),
    e("SpatialSuppressMotion", &[], make::<SpatialSuppressMotion>),
    e("ReachingDelayResponse", &[], make::<ReachingDelayResponse>),
    e(
        "ProbabilisticReasoning",
        &[],
        make::<ProbabilisticReasoning>,
    ),
    e("AnnubesEnv", &[], make::<AnnubesEnv>),
    e("Yang19Go", &["yang19.go"], yang19_reach::go),
    e("Yang19RtGo", &["yang19.rtgo"], yang19_reach::rtgo),
    e("Yang19DlyGo", &["yang19.dlygo"], yang19_reach::dlygo),
    e("Yang19Anti", &["yang19.anti"], yang19_reach::anti),
    e("Yang19RtAnti", &["yang19.rtanti"], yang19_reach::rtanti),
    e("Yang19DlyAnti", &["yang19.dlyanti"], yang19_reach::dlyanti),
    e("Yang19Dm1", &["yang19.dm1"], yang19_dm::dm1),
    e("Yang19Dm2", &["yang19.dm2"], yang19_dm::dm2),
    e("Yang19CtxDm1", &["yang19.ctxdm1"], yang19_dm::ctxdm1),
    e("Yang19CtxDm2", &["yang19.ctxdm2"], yang19_dm::ctxdm2),
    e("Yang19MultiDm", &["yang19.multidm"], yang19_dm::multidm),
    e("Yang19DlyDm1", &["yang19.dlydm1"], yang19_dm::dlydm1),
    e("Yang19DlyDm2", &["yang19.dlydm2"], yang19_dm::dlydm2),
    e(
        "Yang19CtxDlyDm1",
        &["yang19.ctxdlydm1"],
        yang19_dm::ctxdlydm1,
    ),
    e(
        "Yang19CtxDlyDm2",
        &["yang19.ctxdlydm2"],
        yang19_dm::ctxdlydm2,
    ),
    e(
        "Yang19MultiDlyDm",
        &["yang19.multidlydm"],
        yang19_dm::multidlydm,
    ),
    e("Yang19Dms", &["yang19.dms"], yang19_match::dms),
    e("Yang19Dnms", &["yang19.dnms"], yang19_match::dnms),
    e("Yang19Dmc", &["yang19.dmc"], yang19_match::dmc),
    e("Yang19Dnmc", &["yang19.dnmc"], yang19_match::dnmc),
    e(
        "FlipFlop",
        &["nbitflipflop", "flipflop3bit"],
        make::<FlipFlop>,
    ),
    e("MemorizeReport", &[], make::<MemorizeReport>),
    e("DelayMatchDigit", &[], make::<DelayMatchDigit>),
    e("PatternGeneration", &[], make::<PatternGeneration>),
];

fn normalize(name: &str) -> String {
    let n = name.trim().to_lowercase();
    n.strip_suffix("-v0").map(str::to_string).unwrap_or(n)
}

/// The entry for a name or alias, if registered.
pub fn find(name: &str) -> Option<&'static TaskEntry> {
    let n = normalize(name);
    REGISTRY
        .iter()
        .find(|e| e.name.to_lowercase() == n || e.aliases.iter().any(|a| a.to_lowercase() == n))
}

/// Canonical names of all registered tasks, in registry order.
pub fn task_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|e| e.name).collect()
}

/// Build a registered task by name (or alias / neurogym id) from a config; an unknown name is an
/// error with the closest names. [`crate::build`] also takes `A+B` multi-task names.
pub fn build_registered(name: &str, cfg: &TaskConfig) -> Result<Box<dyn Task>, TaskError> {
    match find(name) {
        Some(entry) => (entry.constructor)(cfg),
        None => Err(TaskError::UnknownTask {
            name: name.to_string(),
            suggestions: suggest(name, 3),
        }),
    }
}

/// Up to `k` registered names closest to `name` (Levenshtein distance over lower-case names and
/// aliases; a name containing the query, or contained in it, ranks first).
pub fn suggest(name: &str, k: usize) -> Vec<String> {
    let n = normalize(name);
    let mut scored: Vec<(usize, &'static str)> = REGISTRY
        .iter()
        .map(|e| {
            let best = std::iter::once(e.name)
                .chain(e.aliases.iter().copied())
                .map(|cand| {
                    let c = cand.to_lowercase();
                    let d = levenshtein(&n, &c);
                    if !n.is_empty() && (c.contains(&n) || n.contains(&c)) {
                        d.min(c.len().abs_diff(n.len())).saturating_sub(1000)
                    } else {
                        d
                    }
                })
                .min()
                .unwrap_or(usize::MAX);
            (best, e.name)
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(k)
        .map(|(_, s)| s.to_string())
        .collect()
}

/// Edit distance (insertions, deletions, substitutions) between two strings, by characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
