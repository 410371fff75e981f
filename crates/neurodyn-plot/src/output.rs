//! Writing one figure to both `STEM.png` and `STEM.svg`.
//!
//! Each figure kind implements the crate-private [`Figure`] trait once, generically over the
//! plotters backend; [`save`] draws it twice (bitmap and SVG). Both files are written under a
//! temporary name in the target directory and renamed into place, so an existing figure is
//! never left half-written.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::glyph_fix::{png_scale, PngBackend};
use crate::style::ensure_fonts;
use crate::PlotError;

/// A drawing failure inside a figure (message only; [`save`] attaches the path).
#[derive(Debug)]
pub(crate) struct DrawErr(pub(crate) String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawErr {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawErr(e.to_string())
    }
}

/// Result of drawing onto one backend.
pub(crate) type DrawResult = Result<(), DrawErr>;

/// A figure that can draw itself onto any plotters backend.
pub(crate) trait Figure {
    /// Canvas size in pixels (width, height).
    fn size(&self) -> (u32, u32);
    /// Draws onto `root`, which is already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// `stem` with `.ext` appended (not replacing an existing dot-suffix such as `fig.v2`).
pub(crate) fn with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut s: OsString = stem.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Hidden sibling of `path` used while writing; keeps `ext` last because the bitmap encoder
/// picks the image format from the extension.
fn tmp_path(path: &Path, ext: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp.{ext}", std::process::id()))
}

fn rename(tmp: &Path, path: &Path) -> Result<(), PlotError> {
    std::fs::rename(tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(tmp);
        PlotError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Draws `fig` and writes `STEM.svg` then `STEM.png`, each atomically.
pub(crate) fn save<F: Figure>(stem: &Path, fig: &F) -> Result<(), PlotError> {
    ensure_fonts()?;
    let size = fig.size();

    let svg_path = with_ext(stem, "svg");
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_on(&root, fig).map_err(|e| PlotError::Draw {
            path: svg_path.clone(),
            message: e.0,
        })?;
    }
    let tmp = tmp_path(&svg_path, "svg");
    std::fs::write(&tmp, svg.as_bytes()).map_err(|source| PlotError::Io {
        path: svg_path.clone(),
        source,
    })?;
    rename(&tmp, &svg_path)?;

    let png_path = with_ext(stem, "png");
    let tmp = tmp_path(&png_path, "png");
    let drawn = {
        let k = png_scale();
        let device = BitMapBackend::new(&tmp, (size.0 * k, size.1 * k));
        let root = PngBackend::new(device, k).into_drawing_area();
        draw_on(&root, fig)
    };
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(PlotError::Draw {
            path: png_path,
            message: e.0,
        });
    }
    rename(&tmp, &png_path)
}

fn draw_on<DB: DrawingBackend, F: Figure>(root: &DrawingArea<DB, Shift>, fig: &F) -> DrawResult {
    root.fill(&WHITE)?;
    fig.draw(root)?;
    root.present()?;
    Ok(())
}

/// Checks that `got == expected`, naming `what` and the figure otherwise.
pub(crate) fn check_len(
    stem: &Path,
    what: impl FnOnce() -> String,
    expected: usize,
    got: usize,
) -> Result<(), PlotError> {
    if expected == got {
        Ok(())
    } else {
        Err(PlotError::ShapeMismatch {
            path: stem.to_path_buf(),
            what: what(),
            expected,
            got,
        })
    }
}
