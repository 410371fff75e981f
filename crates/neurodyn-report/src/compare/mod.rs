//! Comparing two response sets from any two `.npz` files (two layers, two networks, a network
//! and recorded neurons): the library behind `neurodyn compare A.npz B.npz`.
//!
//! Each file holds a `(condition, feature)` or `(condition, repeat, feature)` array (any numeric
//! dtype): the only such array in the file, or the one named. Both must have the same conditions
//! in the same order. Repeats are averaged, except by the `mahalanobis` RDM (noise covariance
//! from the residuals, shrunk toward its diagonal) and the `crossnobis` RDM (leave one repeat
//! out), which need them ([`neurodyn_analysis::noise_rdm`]).
//!
//! - [`CompareMethod::Rsa`]: each set's RDM, compared by an [`neurodyn_analysis::rsa::RsaMethod`] (default whitened
//!   Pearson; [`neurodyn_analysis::rsa`]);
//! - [`CompareMethod::Cka`]: linear CKA of the condition means;
//! - [`CompareMethod::Predictivity`]: ridge regression from A to each feature of B, median
//!   held-out Pearson r over B's features (5 folds, or one per condition when fewer).
//!
//! When B holds repeats (`(condition, repeat, feature)`, e.g. trials or subjects), RSA also
//! reports B's noise ceiling ([`neurodyn_analysis::rsa::noise_ceiling`]): the RDM of each repeat
//! against the pool of all (upper bound) and of the others (lower bound), for the RDMs made
//! from one repeat (not Mahalanobis or crossnobis). A's score against B is read against it.
//!
//! Predictivity against a B with repeats also reports B's split-half ceiling: each feature's
//! Pearson r between the condition means of two random halves of the repeats (20 seeded
//! splits, averaged), Spearman–Brown corrected, the median over features; and the score divided
//! by it.
//!
//! A bootstrap (rsa, cka) resamples the conditions for a 95 % percentile interval, dropping the
//! pairs of a condition with its own copy (rsatoolbox's convention). For CKA each resample is
//! scored as the whitened cosine of the squared Euclidean RDMs, which equals linear CKA on the
//! original conditions: CKA of duplicated rows is biased upward (its intervals would miss the
//! estimate). Input that cannot be compared (a file that is not an npz, a missing key, a shape
//! that is not 2-D or 3-D, different condition counts, fewer than 3 conditions, non-finite
//! values, features that are all constant) is an error naming the file and the array.

#[macro_use]
mod fail {
    /// Return a [`crate::error::ReportError::Run`] with a formatted message.
    macro_rules! fail {
        ($($t:tt)*) => {
            return Err($crate::error::ReportError::Run(format!($($t)*)))
        };
    }
}
mod score;
mod set;

pub use score::{
    compare_files, compare_sets, CompareMethod, CompareOptions, CompareRdm, Comparison, SetInfo,
    SplitHalfCeiling,
};
pub use set::ResponseSet;
