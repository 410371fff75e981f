//! Every analysis, one file each, and the registry's list of them.
//!
//! | name | reads | what |
//! |---|---|---|
//! | `activity` | recurrent | unit traces, population mean, max rate per unit |
//! | `pca` | recurrent | explained variance, 2-D/3-D trajectories |
//! | `fixed-points` | recurrent | fixed points under a constant input, stability, line attractors |
//! | `selectivity` | recurrent | per-unit d′ between two label values |
//! | `decoding` | recurrent | cross-validated decoding of a label at each step, against shuffles |
//! | `connectivity` | recurrent | effective W_rec sorted by selectivity |
//! | `task-variance` | recurrent | task variance per unit and task, clusters, cluster lesions |
//! | `psychometric` | recurrent | choice vs evidence with a logistic fit |
//! | `lesion` | recurrent | silence units or cut connections, re-evaluate |
//! | `rdm` | vision | representational dissimilarity matrices per layer, category index |
//! | `dprime` | vision | per-unit d′ and ROC AUC of a layer between two classes |
//!
//! Each writes its numbers to `RUN/analysis/<name>.json` (+ `.npz` arrays numpy opens) and its
//! figures to `RUN/figures/<name>*.png|.svg`.

use crate::registry::{DynAnalysis, Entry};

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
    connectivity: Connectivity;
    task_variance: TaskVariance;
    psychometric: Psychometric;
    lesion: Lesion;
    representation: Rdm, Dprime;
}
