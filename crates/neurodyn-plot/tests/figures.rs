//! Every builder writes a decodable, non-blank PNG of the documented size and an SVG holding
//! its title; bad paths and bad shapes are errors naming the file, NaN and empty inputs are not.

use std::path::{Path, PathBuf};

use neurodyn_plot::*;

/// A per-test temporary directory, removed when the test ends.
struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir(name: &str) -> TmpDir {
    let d = std::env::temp_dir().join(format!("neurodyn-plot-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("create temp dir");
    TmpDir(d)
}

/// Decodes `STEM.png`, checks its size (the figure's logical `size` times the PNG scale) and
/// that it is not one flat colour; returns the share of non-white pixels.
fn check_png(stem: &Path, size: (u32, u32)) -> f64 {
    let k = neurodyn_plot::png_scale();
    let size = (size.0 * k, size.1 * k);
    let path = PathBuf::from(format!("{}.png", stem.display()));
    let file = std::fs::File::open(&path).expect("png exists");
    let mut reader = png::Decoder::new(file).read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png data");
    assert_eq!((info.width, info.height), size, "{}", path.display());
    let ch = info.color_type.samples();
    let px = &buf[..info.buffer_size()];
    let non_white = px
        .chunks(ch)
        .filter(|p| p[..3].iter().any(|c| *c < 250))
        .count();
    let share = non_white as f64 / (info.width * info.height) as f64;
    assert!(
        share > 0.01 && share < 0.99,
        "{} looks blank: {share}",
        path.display()
    );
    share
}

fn check_svg(stem: &Path, title: &str) {
    let path = PathBuf::from(format!("{}.svg", stem.display()));
    let svg = std::fs::read_to_string(&path).expect("svg exists");
    assert!(svg.contains("<svg"), "{}", path.display());
    assert!(svg.contains(title), "{} lacks its title", path.display());
}

fn no_temp_files(d: &Path) {
    for e in std::fs::read_dir(d).expect("read dir") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains(".tmp."),
            "temporary file left behind: {name}"
        );
    }
}

fn line_panel(title: &str, y: Vec<f64>) -> Panel {
    Panel {
        title: title.into(),
        x_label: "step".into(),
        y_label: "loss".into(),
        series: vec![Series::new(
            "train",
            (0..y.len()).map(|i| i as f64).collect(),
            y,
        )],
        shaded: vec![Shade::new(0.0, 3.0, "fixation")],
        hlines: vec![0.5],
        ..Panel::default()
    }
}

#[test]
fn panels_grid_writes_png_and_svg() {
    let d = dir("panels");
    let stem = d.join("training");
    let a = line_panel("Loss curve", vec![3.0, 2.0, 1.0, 0.5, 0.2]);
    let mut b = line_panel("Accuracy curve", vec![0.1, 0.5, f64::NAN, 0.9, 0.95]);
    b.y_log = true;
    b.series
        .push(Series::new("val", vec![0.0, 1.0], vec![0.2, 0.3]).style(SeriesStyle::Dashed));
    b.series
        .push(Series::new("pts", vec![2.0], vec![0.4]).style(SeriesStyle::LineAndPoints));
    panels(&stem, &[a.clone(), b.clone(), a], 2).expect("panels");
    check_png(&stem, (1240, 840));
    check_svg(&stem, "Accuracy curve");
    no_temp_files(&d);
}

#[test]
fn nan_and_empty_inputs_do_not_panic() {
    let d = dir("nan");
    let all_nan = line_panel("All NaN", vec![f64::NAN; 4]);
    let empty = Panel {
        title: "Empty".into(),
        series: vec![Series::default()],
        ..Panel::default()
    };
    panels(d.join("p"), &[all_nan, empty, Panel::default()], 1).expect("nan panels");
    check_svg(&d.join("p"), "All NaN");
    histogram(
        d.join("h"),
        "Hist NaN",
        &[f64::NAN, 1.0, f64::INFINITY],
        10,
        "v",
        &[(f64::NAN, "x")],
    )
    .expect("hist");
    histogram(d.join("h0"), "Hist empty", &[], 0, "v", &[]).expect("empty hist");
    eigenvalues(
        d.join("e"),
        "Eig NaN",
        &[(f64::NAN, 0.0)],
        Boundary::ImaginaryAxis,
        Some(0),
    )
    .expect("eig");
    eigenvalues(
        d.join("e0"),
        "Eig empty",
        &[],
        Boundary::UnitCircle,
        Some(3),
    )
    .expect("eig empty");
    stem_plot(d.join("s"), "Stem empty", &[], "unit", "rate").expect("stem");
    bar(d.join("b"), "Bar NaN", &["a", "b"], &[f64::NAN, 1.0], "v").expect("bar");
    bar::<&str>(d.join("b0"), "Bar empty", &[], &[], "v").expect("bar empty");
    trajectories_2d(
        d.join("t"),
        &TrajPlot::<2> {
            title: "Traj empty".into(),
            ..TrajPlot::default()
        },
    )
    .expect("traj empty");
    let nan_traj = TrajPlot::<3> {
        title: "Traj NaN".into(),
        trajs: vec![Traj {
            points: vec![[f64::NAN; 3], [0.0; 3], [1.0, 1.0, 1.0]],
            ..Traj::default()
        }],
        ..TrajPlot::default()
    };
    trajectories_3d(d.join("t3"), &nan_traj).expect("traj3 nan");
    check_svg(&d.join("t3"), "Traj NaN");
    let hm = Heatmap {
        title: "Heat NaN".into(),
        data: vec![f64::NAN; 4],
        rows: 2,
        cols: 2,
        ..Heatmap::default()
    };
    heatmap(d.join("m"), &hm).expect("heat nan");
    heatmap(
        d.join("m0"),
        &Heatmap {
            title: "Heat empty".into(),
            ..Heatmap::default()
        },
    )
    .expect("heat empty");
    no_temp_files(&d);
}

#[test]
fn missing_directory_is_an_error_naming_the_file() {
    let stem = std::env::temp_dir()
        .join("neurodyn-plot-no-such-dir-8231")
        .join("fig");
    let err = panels(&stem, &[line_panel("x", vec![1.0, 2.0])], 1).expect_err("must fail");
    assert!(matches!(err, PlotError::Io { .. }), "{err:?}");
    assert!(
        err.to_string().contains("neurodyn-plot-no-such-dir-8231"),
        "{err}"
    );
    let err = heatmap(
        &stem,
        &Heatmap {
            data: vec![1.0],
            rows: 1,
            cols: 1,
            ..Heatmap::default()
        },
    )
    .expect_err("must fail");
    assert!(err.to_string().contains("fig.svg"), "{err}");
}

#[test]
fn shape_mismatches_are_errors() {
    let d = dir("shape");
    let bad = Panel {
        series: vec![Series::new("s", vec![1.0, 2.0], vec![1.0])],
        ..Panel::default()
    };
    let err = panels(d.join("p"), &[bad], 1).expect_err("mismatch");
    assert!(
        matches!(
            err,
            PlotError::ShapeMismatch {
                expected: 2,
                got: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let err = heatmap(
        d.join("h"),
        &Heatmap {
            data: vec![1.0; 5],
            rows: 2,
            cols: 3,
            ..Heatmap::default()
        },
    )
    .expect_err("mismatch");
    assert!(err.to_string().contains("heatmap data"), "{err}");
    assert!(bar(d.join("b"), "t", &["a"], &[1.0, 2.0], "y").is_err());
    let c = PsychCurve {
        x: vec![0.0],
        p: vec![],
        ..PsychCurve::default()
    };
    assert!(psychometric(d.join("q"), "t", "x", "y", &[c]).is_err());
    let c = PsychCurve {
        x: vec![0.0],
        p: vec![0.5],
        interval: Some((vec![0.4], vec![])),
        ..PsychCurve::default()
    };
    let err = psychometric(d.join("q"), "t", "x", "y", &[c]).expect_err("interval length");
    assert!(err.to_string().contains("interval"), "{err}");
    assert!(!d.join("p.png").exists() && !d.join("p.svg").exists());
}

fn demo_traj<const D: usize>(f: impl Fn(f64, f64) -> [f64; D]) -> TrajPlot<D> {
    TrajPlot {
        title: "State space".into(),
        axis_labels: std::array::from_fn(|k| format!("PC {}", k + 1)),
        trajs: (0..4)
            .map(|c| Traj {
                points: (0..30).map(|i| f(c as f64, i as f64 / 29.0)).collect(),
                color: TrajColor::Category(c % 2),
                label: format!("choice {}", c % 2),
            })
            .collect(),
        markers: vec![
            Marker {
                pos: f(0.0, 1.0),
                kind: MarkerKind::Filled,
                label: "stable".into(),
            },
            Marker {
                pos: f(1.0, 0.5),
                kind: MarkerKind::Hollow,
                label: "unstable".into(),
            },
            Marker {
                pos: f(2.0, 0.5),
                kind: MarkerKind::Cross,
                label: String::new(),
            },
        ],
        segments: vec![Segment {
            from: f(0.0, 1.0),
            to: f(3.0, 1.0),
            label: "line attractor".into(),
        }],
        ..TrajPlot::default()
    }
}

#[test]
fn trajectories_in_2d_and_3d() {
    let d = dir("traj");
    let p2 = demo_traj(|c, t| [t * (c - 1.5), t * t + 0.1 * c]);
    trajectories_2d(d.join("t2"), &p2).expect("2d");
    check_png(&d.join("t2"), (900, 700));
    check_svg(&d.join("t2"), "State space");
    let mut p3 = demo_traj(|c, t| [t * (c - 1.5), t * t, (c * t).sin()]);
    p3.colorbar = Some(("coherence".into(), -1.0, 1.0));
    p3.colormap = ColorMap::Diverging;
    p3.trajs[0].color = TrajColor::Value(0.2);
    trajectories_3d(d.join("t3"), &p3).expect("3d");
    check_png(&d.join("t3"), (1000, 760));
    check_svg(&d.join("t3"), "coherence");
}

#[test]
fn heatmaps_small_and_large() {
    let d = dir("heat");
    let small = Heatmap {
        title: "RDM small".into(),
        data: (0..16).map(|i| i as f64).collect(),
        rows: 4,
        cols: 4,
        row_labels: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        col_labels: vec!["a long label".into(), "b".into(), "c".into(), "d".into()],
        annotate: true,
        x_label: "condition".into(),
        y_label: "condition".into(),
        ..Heatmap::default()
    };
    heatmap(d.join("small"), &small).expect("small");
    check_png(&d.join("small"), (793, 735));
    check_svg(&d.join("small"), "RDM small");
    let n = 120;
    let big = Heatmap {
        title: "W big".into(),
        data: (0..n * n).map(|k| ((k % 7) as f64 - 3.0) / 3.0).collect(),
        rows: n,
        cols: n,
        colormap: ColorMap::Diverging,
        row_blocks: vec![96],
        col_blocks: vec![96],
        colorbar_label: "weight".into(),
        ..Heatmap::default()
    };
    heatmap(d.join("big"), &big).expect("big");
    let svg = std::fs::read_to_string(d.join("big.svg")).expect("svg");
    assert!(
        svg.contains("<image"),
        "large heatmaps are embedded as one image"
    );
    assert!(svg.len() < 2_000_000, "svg stays small: {}", svg.len());
}

#[test]
fn summaries_render() {
    let d = dir("summ");
    let vals: Vec<f64> = (0..500)
        .map(|i| ((i * 37) % 101) as f64 / 50.0 - 1.0)
        .collect();
    histogram(
        d.join("h"),
        "Weight histogram",
        &vals,
        25,
        "weight",
        &[(0.0, "zero")],
    )
    .expect("hist");
    check_png(&d.join("h"), (900, 600));
    check_svg(&d.join("h"), "Weight histogram");
    let eigs: Vec<(f64, f64)> = (0..50)
        .map(|k| ((k as f64).cos() * 0.8, (k as f64).sin() * 0.5))
        .collect();
    eigenvalues(
        d.join("e"),
        "Eigen spectrum",
        &eigs,
        Boundary::UnitCircle,
        Some(0),
    )
    .expect("eig");
    check_png(&d.join("e"), (900, 700));
    check_svg(&d.join("e"), "Eigen spectrum");
    eigenvalues(
        d.join("e2"),
        "Jacobian",
        &eigs,
        Boundary::VerticalLine(1.0),
        None,
    )
    .expect("eig2");
    stem_plot(d.join("s"), "Max activation", &vals[..64], "unit", "rate").expect("stem");
    check_png(&d.join("s"), (900, 500));
    check_svg(&d.join("s"), "Max activation");
    let curve = PsychCurve {
        name: "ctx".into(),
        x: vec![-0.5, 0.0, 0.5],
        p: vec![0.1, 0.5, 0.9],
        fit_x: vec![-0.5, 0.5],
        fit_y: vec![0.1, 0.9],
        interval: Some((vec![0.0, 0.4, 0.8], vec![0.2, 0.6, 1.0])),
    };
    psychometric(
        d.join("q"),
        "Psychometric",
        "coherence",
        "P(right)",
        &[curve],
    )
    .expect("psy");
    check_png(&d.join("q"), (900, 600));
    check_svg(&d.join("q"), "Psychometric");
    bar(
        d.join("b"),
        "Lesion accuracy",
        &["intact", "E", "I"],
        &[0.9, 0.5, -0.1],
        "acc",
    )
    .expect("bar");
    check_png(&d.join("b"), (900, 600));
    check_svg(&d.join("b"), "Lesion accuracy");
    let svg = std::fs::read_to_string(d.join("b.svg")).expect("svg");
    assert!(
        svg.contains("0.900") && svg.contains("0.500"),
        "one precision for every bar"
    );
    neurodyn_plot::bar_with_reference(
        d.join("c"),
        "With chance",
        &["intact", "lesioned"],
        &[0.9, 0.0],
        "acc",
        Some((0.5, "chance")),
    )
    .expect("bar with a reference");
    check_svg(&d.join("c"), "With chance");
    let svg = std::fs::read_to_string(d.join("c.svg")).expect("svg");
    assert!(
        svg.matches("chance").count() >= 2,
        "the reference is labelled: {svg}"
    );
    no_temp_files(&d);
}

#[test]
fn rewriting_replaces_the_old_figure() {
    let d = dir("rewrite");
    let stem = d.join("fig");
    bar(&stem, "First title", &["a"], &[1.0], "y").expect("first");
    bar(&stem, "Second title", &["a"], &[1.0], "y").expect("second");
    let svg = std::fs::read_to_string(d.join("fig.svg")).expect("svg");
    assert!(svg.contains("Second title") && !svg.contains("First title"));
    no_temp_files(&d);
}

fn raster_panel(title: &str, rows: usize, cols: usize, noisy: bool) -> Panel {
    let data = (0..rows * cols)
        .map(|i| {
            let (r, c) = (i / cols, i % cols);
            let v = if c > cols / 3 {
                (r as f64 / 3.0).cos()
            } else {
                0.0
            };
            if noisy {
                v + ((i * 7919) % 101) as f64 / 500.0
            } else {
                v
            }
        })
        .collect();
    let mut labels = vec!["fixation".to_string()];
    labels.extend((1..rows).map(|k| format!("stimulus{}", k - 1)));
    Panel {
        title: title.into(),
        x_label: "time (ms)".into(),
        raster: Some(Raster {
            rows,
            cols,
            data,
            x0: 0.0,
            dx: 20.0,
            row_labels: labels,
            colormap: ColorMap::Diverging,
            colorbar_label: "input".into(),
            ..Raster::default()
        }),
        shaded: vec![
            Shade::new(0.0, cols as f64 * 20.0 / 3.0, "fixation"),
            Shade::new(cols as f64 * 20.0 / 3.0, cols as f64 * 20.0, "stimulus"),
        ],
        ..Panel::default()
    }
}

#[test]
fn raster_panels_draw_cells_or_an_image_beside_line_panels() {
    let d = dir("raster");
    let stem = d.join("trial");
    // 33 × 60 piecewise-constant cells: merged rectangles; 41 × 400 noisy cells: one image.
    let few = raster_panel("Ring inputs", 33, 60, false);
    let many = raster_panel("Noisy inputs", 41, 400, true);
    let line = line_panel("Target", vec![0.0, 0.0, 1.0]);
    panels_sized(&stem, &[few, many, line], 1, (900, 420)).expect("raster panels");
    check_png(&stem, (900, 1260));
    check_svg(&stem, "Noisy inputs");
    let svg = std::fs::read_to_string(d.join("trial.svg")).expect("svg");
    assert!(svg.contains("<image"), "the 16 400-cell raster is an image");
    assert!(
        svg.contains("stimulus0–31"),
        "numbered rows share one label"
    );
    let mut bad = raster_panel("Bad", 3, 4, false);
    if let Some(r) = bad.raster.as_mut() {
        r.data.pop();
    }
    let err = panels(d.join("bad"), &[bad], 1).expect_err("mismatch");
    assert!(err.to_string().contains("raster data"), "{err}");
    no_temp_files(&d);
}
