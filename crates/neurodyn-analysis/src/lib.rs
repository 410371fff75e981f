//! neurodyn-analysis: the neuroscience analyses of trained networks.
//!
//! Every analysis reads a [`neurodyn_core::Recording`] (axis order `(trial, time, unit)`), or, for
//! the few that must probe the network itself, a [`neurodyn_core::Dynamics`]. Each has a
//! `FooConfig` (serde, defaults, unknown fields rejected), a `run(...) -> Result<FooResult>`, and
//! a result that serialises to JSON and writes its arrays with `to_npz()`.
//!
//! | module | what | reference |
//! |---|---|---|
//! | [`pca`] | PCA of population states, trajectories in PC space | sklearn conventions |
//! | [`fixed_points`] | fixed/slow points, Jacobian spectra, line-attractor directions | Sussillo & Barak 2013 |
//! | [`jacobian_check`] | finite-difference check of `Dynamics::jacobian` | |
//! | [`krylov`] | matrix-free Arnoldi eigenvalues (with Ritz residuals), restarted GMRES, Newton–Krylov zeros | Saad 2011 |
//! | [`selectivity`] | per-unit d′ between conditions, Monte-Carlo max-|d′| histogram | nn-brain; coursework §selectivity |
//! | [`cluster`] | k-means++ / Lloyd, silhouette, k by silhouette | sklearn conventions |
//! | [`task_variance`] | normalised task variance and its clusters | Yang et al. 2019 |
//! | [`psychometric`] | choice vs evidence, logistic fit (optional lapse) | |
//! | [`decoding`] | time-resolved cross-validated decoding of a trial label, shuffle baseline | sklearn `RidgeClassifier` |
//! | [`activity`] | mean activity per trial, maximum activation per unit | coursework §max activation |
//! | [`rdm`] | representational dissimilarity matrices, category index (layer activations) | rsatoolbox conventions |
//! | [`rdm_time`] | time-resolved RDMs between a recurrent network's conditions | rsatoolbox conventions |
//! | [`noise_rdm`] | Mahalanobis and cross-validated Mahalanobis (crossnobis) RDMs of repeated measurements, shrinkage noise covariance | rsatoolbox; Schäfer & Strimmer 2005 |
//! | [`rsa`] | RDM comparison (cosine, Pearson, Spearman, Kendall τ_a, ρ_a, whitened), linear CKA, bootstrap over conditions | rsatoolbox; Kornblith et al. 2019 |
//! | [`dprime`] | per-unit d′, ROC AUC and ROC curve between two classes (layer activations) | signal detection theory |
//! | [`layer_decoding`] | cross-validated class decoding per layer, label-shuffle baseline | sklearn `LogisticRegression` |
//! | [`predictivity`] | held-out r of one layer's units from another layer (ridge) | sklearn `Ridge` |
//! | [`actmax`] | activation maximisation: Adam on the input of a [`actmax::Probe`], box bounds, L2 / smoothness penalties, jitter | |
//! | [`pls`] | partial least squares regression (PLS2) | sklearn `PLSRegression` |
//! | [`distribution_fit`] | maximum-likelihood Poisson, Gaussian and gamma (location 0) fits, Pearson χ² of a Poisson on pooled bins | scipy.stats |
//! | [`encoding`] | one unit's responses as counts: Poisson, Gaussian and gamma fits, AIC, Fano factor, χ² goodness of fit | scipy.stats conventions |
//! | [`tuning`] | tuning curves to transformed stimuli (mean ± s.e.m. overall and per class, preferred value, selectivity, circular variance) | Ringach et al. 2002 |
//! | [`image_transform`] | rotation, translation, zoom (bilinear, zero fill) and contrast of image planes | `scipy.ndimage.affine_transform(order=1)` |
//! | [`special`] | ln Γ, digamma, trigamma, regularised incomplete gamma, χ² survival function | scipy.special |
//! | [`logistic`], [`ridge`] | the two linear models above | sklearn |
//! | [`crossval`] | seeded stratified folds, per-fold standardisation and PCA | sklearn `StandardScaler` |

pub mod activity;
pub mod actmax;
pub mod cluster;
pub mod crossval;
pub mod decoding;
pub mod distribution_fit;
pub mod dprime;
pub mod encoding;
mod error;
mod features;
pub mod fixed_points;
/// The image transforms of the tuning analysis live with the images (`neurodyn_data`), where
/// training's augmentation uses them too.
pub use neurodyn_data::image_transform;
pub mod jacobian_check;
pub mod krylov;
pub mod layer_decoding;
pub mod logistic;
pub mod noise_rdm;
pub mod pca;
pub mod pls;
pub mod predictivity;
pub mod psychometric;
pub mod rdm;
pub mod rdm_time;
pub mod ridge;
pub mod rsa;
pub mod selectivity;
pub mod special;
pub mod task_variance;
pub mod tuning;
mod window;

pub use error::{AnalysisError, Result};
pub use features::Features;
pub use window::{require_label, Window};
