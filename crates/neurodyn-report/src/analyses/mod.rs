//! Every analysis, one file each, and the registry's list of them.
//!
//! | name | reads | what |
//! |---|---|---|
//! | `activity` | recurrent | unit traces, population mean, max rate per unit |
//! | `pca` | recurrent | explained variance, 2-D/3-D trajectories |
//! | `fixed-points` | both | fixed points under a constant input, stability, line attractors (a conv-ctrnn: `spectrum`) |
//! | `selectivity` | recurrent | per-unit d′ between two label values |
//! | `decoding` | recurrent | cross-validated decoding of a label at each step, against shuffles |
//! | `rdm-time` | recurrent | RDMs between the values of a trial label at each step |
//! | `connectivity` | recurrent | effective W_rec sorted by selectivity |
//! | `task-variance` | recurrent | task variance per unit and task, clusters, cluster lesions |
//! | `psychometric` | recurrent | choice vs evidence with a logistic fit |
//! | `lesion` | both | silence units (channels of a layer) or cut connections, re-evaluate |
//! | `rdm` | vision | representational dissimilarity matrices per layer, category index |
//! | `dprime` | vision | per-unit d′ and ROC AUC of a layer between two classes |
//! | `encoding` | vision | one unit's responses as counts: Poisson, Gaussian and gamma fits, Fano factor, χ² test |
//! | `tuning` | vision | tuning curves of units to rotated, shifted, zoomed or contrast-changed images |
//! | `layer-decoding` | vision | cross-validated class decoding (logistic regression) per layer |
//! | `predictivity` | vision | layer × layer held-out r of ridge predictions of units |
//! | `rsa` | vision | layer × layer RDM comparison (whitened Pearson, Spearman, …) and linear CKA |
//! | `actmax` | vision | images that maximise a unit (Adam on the pixels through the network's backward) |
//! | `noise-robustness` | vision | held-out accuracy under Gaussian pixel noise, static and dynamic |
//! | `spectrum` | vision | a conv-ctrnn's steady states (Newton–Krylov) and leading eigenvalues (Arnoldi) |
//!
//! Each writes its numbers to `RUN/analysis/<name>.json` (+ `.npz` arrays numpy opens) and its
//! figures to `RUN/figures/<name>*.png|.svg`.

use crate::analysis::{DynAnalysis, Entry, Outcome};
use crate::common::Section;
use crate::error::{ReportError, Result};
use crate::view::{RunKind, RunView};

/// Declares each analysis module and lists its analyses in [`ANALYSES`], in the order of the
/// report: one line per file.
macro_rules! analyses {
    ($($module:ident: $($analysis:ident),+;)+) => {
        $(pub mod $module;)+
        /// Every analysis, in the order `analyze RUN all` and the report run them.
        pub static ANALYSES: &[&dyn DynAnalysis] = &[$($(&Entry::<$module::$analysis>::NEW,)+)+];
    };
}

analyses! {
    activity: Activity;
    pca: Pca;
    fixed_points: FixedPoints;
    selectivity: Selectivity;
    decoding: Decoding;
    rdm_time: RdmTime;
    connectivity: Connectivity;
    task_variance: TaskVariance;
    psychometric: Psychometric;
    lesion: Lesion;
    representation: Rdm, Dprime;
    encoding: Encoding;
    tuning: Tuning;
    layer_decoding: LayerDecoding;
    predictivity: Predictivity;
    rsa: Rsa;
    actmax: Actmax;
    noise: NoiseRobustness;
    spectrum: Spectrum;
}

/// `analyze RUN a`, `analyze RUN b` for the analyses of one kind of run.
fn names_of(kind: RunKind) -> String {
    let names: Vec<String> = ANALYSES
        .iter()
        .filter(|a| a.reads(kind))
        .map(|a| format!("`analyze RUN {}`", a.name()))
        .collect();
    names.join(" and ")
}

/// The analysis named `name` (its command-line name, `fixed-points`, or its file stem,
/// `fixed_points`).
pub fn find(name: &str) -> Option<&'static dyn DynAnalysis> {
    let dashed = name.replace('_', "-");
    ANALYSES.iter().copied().find(|a| a.name() == dashed)
}

/// Every analysis that applies to the run in `view` with its defaults, in registry order (the
/// order of the report). A failing analysis becomes a section that says why (with a warning), so
/// one failure does not hide the rest. Each outcome comes with the analysis' file stem
/// (`fixed_points`). An error only when the run's recording cannot be read.
pub fn run_all(view: &RunView) -> Result<Vec<(String, Outcome)>> {
    match view.kind() {
        RunKind::Recurrent => view.recurrent().map(|_| ())?,
        RunKind::Vision => view.vision().map(|_| ())?,
    }
    let mut out = Vec::new();
    for a in ANALYSES.iter().filter(|a| a.reads(view.kind())) {
        let name = a.name().replace('-', "_");
        match a.run_default(view) {
            Ok(Some(o)) => out.push((name, o)),
            Ok(None) => {}
            Err(e) => {
                let section = Outcome::Done(Section {
                    warnings: vec![format!("analysis {name} failed: {e:#}")],
                    note: format!("failed: {e:#}"),
                    title: name.clone(),
                    name: name.clone(),
                    ..Section::default()
                });
                out.push((name, section));
            }
        }
    }
    Ok(out)
}

/// The sections of the analyses that ran.
pub fn sections(outcomes: &[(String, Outcome)]) -> Vec<Section> {
    outcomes
        .iter()
        .filter_map(|(_, o)| match o {
            Outcome::Done(s) => Some(s.clone()),
            Outcome::Skipped(_) => None,
        })
        .collect()
}

/// Run the analysis called `name` on the run in `view` with options parsed from the command line
/// (by [`DynAnalysis::command`]). An error names the analyses that read this kind of run when
/// `name` reads the other kind.
pub fn run_named(view: &RunView, name: &str, options: &clap::ArgMatches) -> Result<Outcome> {
    let a =
        find(name).ok_or_else(|| ReportError::Options(format!("no analysis called '{name}'")))?;
    if !a.reads(view.kind()) {
        if let Some(f) = view.file() {
            return Err(ReportError::Run(format!(
                "{} is a file of responses; it takes {} ('{name}' reads a recurrent run's \
                 recording)",
                f.display(),
                names_of(RunKind::Vision).replace("analyze RUN", "analyze FILE")
            )));
        }
        match view.kind() {
            RunKind::Vision => {
                return Err(ReportError::Run(format!(
                    "{} is a vision run; it takes {} (the other analyses take recurrent runs)",
                    view.dir().display(),
                    names_of(RunKind::Vision)
                )))
            }
            RunKind::Recurrent => {
                return Err(ReportError::Run(format!(
                "{} is not a vision run; {} read the activations.npz of `neurodyn train --task \
                 Mnist` (or another image task)",
                view.dir().display(),
                names_of(RunKind::Vision)
            )))
            }
        }
    }
    a.run_matches(view, options)
}

#[cfg(test)]
mod tests {
    use super::{find, ANALYSES};
    use crate::view::RunKind;

    #[test]
    fn every_analysis_has_one_name_a_valid_command_and_is_found_by_it() {
        let mut names: Vec<&str> = ANALYSES.iter().map(|a| a.name()).collect();
        assert!(names.len() >= 11, "{names:?}");
        for a in ANALYSES {
            a.command().debug_assert();
            assert!(!a.about().is_empty(), "{} has no help line", a.name());
            let found = find(a.name()).expect("found by name");
            assert_eq!(found.name(), a.name());
            let stem = a.name().replace('-', "_");
            assert_eq!(find(&stem).map(|f| f.name()), Some(a.name()), "by stem");
        }
        assert!(find("no-such-analysis").is_none());
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate analysis names");
        let vision: Vec<&str> = ANALYSES
            .iter()
            .filter(|a| a.reads(RunKind::Vision))
            .map(|a| a.name())
            .collect();
        assert_eq!(
            vision,
            [
                "fixed-points",
                "lesion",
                "rdm",
                "dprime",
                "encoding",
                "tuning",
                "layer-decoding",
                "predictivity",
                "rsa",
                "actmax",
                "noise-robustness",
                "spectrum"
            ]
        );
    }
}
