//! neurodyn-plot: good-looking scientific figures over plain data, written as both PNG and SVG.
//!
//! This crate draws; it computes nothing beyond layout (ranges, ticks, bins). Every builder
//! takes a path *stem* and writes `STEM.png` and `STEM.svg`, each to a temporary file that is
//! then renamed into place, and returns [`PlotError`] naming the file on failure. Non-finite
//! values are skipped, empty inputs give empty axes, and fonts come from the DejaVu Sans bytes
//! embedded in the binary, so figures render on machines without system fonts.
//!
//! | builder | figure |
//! |---|---|
//! | [`panels`] / [`panels_sized`] | grid of line panels (training curves, example trials with task periods); a panel may carry a [`Raster`] (many channels × time as colour) |
//! | [`trajectories_2d`] / [`trajectories_3d`] | state-space trajectories, fixed points, attractor directions |
//! | [`heatmap`] | matrix with colorbar, E/I block separators (weights, RSA, tuning) |
//! | [`image_grid`] | greyscale images side by side on one range (digits, optimised stimuli) |
//! | [`image_row`] | greyscale images in a row, each with a caption under it (true → predicted class) |
//! | [`signed_row`] | signed maps in a row on a symmetric blue–white–red scale (an eigenvector's channels) |
//! | [`histogram`] | distribution with reference lines |
//! | [`eigenvalues`] | complex-plane spectrum with the stability boundary |
//! | [`stem_plot`] | one value per unit |
//! | [`psychometric`] | choice probability vs evidence with fitted curves |
//! | [`bar`] | labelled bars |
//!
//! Style: white background, DejaVu Sans at 16–24 px, the tab10 colour cycle ([`palette`]),
//! [`viridis`] for magnitudes and [`diverging`] (blue–white–red centred on 0) for signed values.

mod axes;
mod colorbar;
mod dist;
mod error;
mod glyph_fix;
mod heatmap;
mod output;
mod panels;
mod raster;
mod scatter;
mod style;
mod traj;
mod traj3d;

pub use axes::LegendPos;
pub use dist::{bar, bar_with_reference, histogram, stem_plot};
pub use error::PlotError;
pub use glyph_fix::{png_scale, set_png_scale};
pub use heatmap::{heatmap, image_grid, image_row, signed_row, Heatmap};
pub use panels::{panels, panels_sized, Panel, Series, SeriesStyle, Shade, INK_INDEX};
pub use raster::Raster;
pub use scatter::{eigenvalues, psychometric, Boundary, PsychCurve};
pub use style::{diverging, palette, viridis, ColorMap};
pub use traj::{trajectories_2d, Marker, MarkerKind, Segment, Traj, TrajColor, TrajPlot};
pub use traj3d::trajectories_3d;
