//! Renders one sample of every figure builder into `/tmp/plotdemo/` (or the directory given as
//! the first argument) so the style can be inspected by eye:
//! `cargo run -p neurodyn-plot --example demo -- /tmp/plotdemo`.

use std::path::PathBuf;

use neurodyn_plot::*;

fn main() -> Result<(), PlotError> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/plotdemo".into()),
    );
    std::fs::create_dir_all(&dir).map_err(|source| PlotError::Io {
        path: dir.clone(),
        source,
    })?;
    training(&dir)?;
    trial(&dir)?;
    trajectories(&dir)?;
    heatmaps(&dir)?;
    summaries(&dir)?;
    Ok(())
}

fn training(dir: &std::path::Path) -> Result<(), PlotError> {
    let steps: Vec<f64> = (0..400).map(|i| i as f64 * 25.0).collect();
    let loss: Vec<f64> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| 2.0 * (-s / 2500.0).exp() + 0.02 + 0.03 * ((i * 7919 % 97) as f64 / 97.0))
        .collect();
    let acc: Vec<f64> = steps
        .iter()
        .map(|s| 1.0 - 0.5 * (-s / 2000.0).exp())
        .collect();
    let val: Vec<f64> = steps
        .iter()
        .map(|s| 0.97 - 0.5 * (-s / 2300.0).exp())
        .collect();
    panels(
        dir.join("training"),
        &[
            Panel {
                title: "Loss".into(),
                x_label: "training step".into(),
                y_label: "MSE loss".into(),
                series: vec![Series::new("train", steps.clone(), loss)],
                y_log: true,
                ..Panel::default()
            },
            Panel {
                title: "Accuracy".into(),
                x_label: "training step".into(),
                y_label: "fraction correct".into(),
                series: vec![
                    Series::new("train", steps.clone(), acc),
                    Series::new("validation", steps, val).style(SeriesStyle::Dashed),
                ],
                y_range: Some((0.0, 1.05)),
                hlines: vec![0.5],
                ..Panel::default()
            },
        ],
        2,
    )
}

fn trial(dir: &std::path::Path) -> Result<(), PlotError> {
    let t: Vec<f64> = (0..150).map(|i| i as f64 * 20.0).collect();
    let periods = vec![
        Shade::new(0.0, 500.0, "fixation"),
        Shade::new(500.0, 1500.0, "stimulus"),
        Shade::new(1500.0, 2500.0, "delay"),
        Shade::new(2500.0, 3000.0, "decision"),
    ];
    let fix: Vec<f64> = t
        .iter()
        .map(|v| if *v < 2500.0 { 1.0 } else { 0.0 })
        .collect();
    let stim1: Vec<f64> = t
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if (500.0..1500.0).contains(v) {
                0.6 + 0.2 * ((i * 31 % 17) as f64 / 17.0 - 0.5)
            } else {
                0.0
            }
        })
        .collect();
    let stim2: Vec<f64> = stim1
        .iter()
        .map(|v| if *v > 0.0 { 1.0 - *v } else { 0.0 })
        .collect();
    let target: Vec<f64> = t
        .iter()
        .map(|v| if *v >= 2500.0 { 1.0 } else { 0.0 })
        .collect();
    let out: Vec<f64> = t
        .iter()
        .map(|v| 1.0 / (1.0 + (-(v - 2550.0) / 40.0).exp()))
        .collect();
    let mut with_nan = out.clone();
    with_nan[20] = f64::NAN;
    panels(
        dir.join("trial"),
        &[
            Panel {
                title: "Inputs".into(),
                y_label: "input".into(),
                series: vec![
                    Series::new("fixation", t.clone(), fix),
                    Series::new("stimulus 1", t.clone(), stim1),
                    Series::new("stimulus 2", t.clone(), stim2),
                ],
                shaded: periods.clone(),
                ..Panel::default()
            },
            Panel {
                title: "Output vs target".into(),
                x_label: "time (ms)".into(),
                y_label: "output".into(),
                series: vec![
                    Series::new("target", t.clone(), target)
                        .style(SeriesStyle::Dashed)
                        .color(7),
                    Series::new("output", t, with_nan).color(3),
                ],
                shaded: periods,
                ..Panel::default()
            },
        ],
        1,
    )
}

fn trajectories(dir: &std::path::Path) -> Result<(), PlotError> {
    let conds = [-0.5, -0.2, -0.05, 0.05, 0.2, 0.5];
    let make = |c: f64, k: usize| -> Vec<[f64; 3]> {
        (0..60)
            .map(|i| {
                let t = i as f64 / 59.0;
                let r = 3.0 * t;
                [
                    r * (c * 2.5).sin() * 4.0 + 0.3 * (7.0 * t + k as f64).sin(),
                    1.5 * (1.0 - (-3.0 * t).exp()) - 0.5,
                    c * 2.0 * t * t + 0.1 * k as f64,
                ]
            })
            .collect()
    };
    let trajs3: Vec<Traj<3>> = conds
        .iter()
        .enumerate()
        .map(|(k, c)| Traj {
            points: make(*c, k),
            color: TrajColor::Category(if *c < 0.0 { 0 } else { 3 }),
            label: if *c < 0.0 {
                "choice left".into()
            } else {
                "choice right".into()
            },
        })
        .collect();
    let plot3 = TrajPlot::<3> {
        title: "Population trajectories (PCA)".into(),
        axis_labels: ["PC 1".into(), "PC 2".into(), "PC 3".into()],
        trajs: trajs3.clone(),
        markers: vec![
            Marker {
                pos: [-5.0, 1.0, -0.3],
                kind: MarkerKind::Filled,
                label: "stable fixed point".into(),
            },
            Marker {
                pos: [5.0, 1.0, 0.4],
                kind: MarkerKind::Filled,
                label: "stable fixed point".into(),
            },
            Marker {
                pos: [0.0, 0.5, 0.0],
                kind: MarkerKind::Hollow,
                label: "unstable fixed point".into(),
            },
        ],
        segments: vec![Segment {
            from: [-5.0, 1.0, -0.3],
            to: [5.0, 1.0, 0.4],
            label: "line attractor".into(),
        }],
        ..TrajPlot::default()
    };
    trajectories_3d(dir.join("traj3d"), &plot3)?;
    let to2 = |t: &Traj<3>| Traj {
        points: t.points.iter().map(|p| [p[0], p[1]]).collect(),
        color: t.color,
        label: t.label.clone(),
    };
    let plot2 = TrajPlot::<2> {
        title: "Population trajectories (PCA)".into(),
        axis_labels: ["PC 1".into(), "PC 2".into()],
        trajs: trajs3.iter().map(to2).collect(),
        markers: plot3
            .markers
            .iter()
            .map(|m| Marker {
                pos: [m.pos[0], m.pos[1]],
                kind: m.kind,
                label: m.label.clone(),
            })
            .collect(),
        segments: vec![Segment {
            from: [-5.0, 1.0],
            to: [5.0, 1.0],
            label: "line attractor".into(),
        }],
        ..TrajPlot::default()
    };
    trajectories_2d(dir.join("traj2d"), &plot2)?;
    let valued = TrajPlot::<2> {
        title: "Trajectories by coherence".into(),
        axis_labels: ["PC 1".into(), "PC 2".into()],
        trajs: conds
            .iter()
            .enumerate()
            .map(|(k, c)| Traj {
                points: to2(&trajs3[k]).points,
                color: TrajColor::Value(c + 0.5),
                label: String::new(),
            })
            .collect(),
        colormap: ColorMap::Diverging,
        colorbar: Some(("coherence".into(), -0.5, 0.5)),
        ..TrajPlot::default()
    };
    trajectories_2d(dir.join("traj2d_value"), &valued)
}

fn heatmaps(dir: &std::path::Path) -> Result<(), PlotError> {
    let n = 256;
    let n_exc = 205;
    let w: Vec<f64> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            let mag = ((i * 7919 + j * 104729) % 1000) as f64 / 1000.0;
            let mag = mag * mag * 0.5;
            if j < n_exc {
                mag
            } else {
                -2.0 * mag
            }
        })
        .collect();
    heatmap(
        dir.join("heatmap_weights"),
        &Heatmap {
            title: "Recurrent weights (E | I)".into(),
            data: w,
            rows: n,
            cols: n,
            x_label: "presynaptic unit".into(),
            y_label: "postsynaptic unit".into(),
            colormap: ColorMap::Diverging,
            row_blocks: vec![n_exc],
            col_blocks: vec![n_exc],
            colorbar_label: "weight".into(),
            ..Heatmap::default()
        },
    )?;
    let conds: Vec<String> = [
        "coh -51", "coh -26", "coh -13", "coh -6", "coh 6", "coh 13", "coh 26", "coh 51",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let k = conds.len();
    let rdm: Vec<f64> = (0..k * k)
        .map(|x| ((x / k) as f64 - (x % k) as f64).abs() / 7.0)
        .collect();
    heatmap(
        dir.join("heatmap_rdm"),
        &Heatmap {
            title: "Representational dissimilarity".into(),
            data: rdm,
            rows: k,
            cols: k,
            row_labels: conds.clone(),
            col_labels: conds,
            colorbar_label: "1 - Pearson r".into(),
            annotate: true,
            ..Heatmap::default()
        },
    )
}

fn summaries(dir: &std::path::Path) -> Result<(), PlotError> {
    let vals: Vec<f64> = (0..2000)
        .map(|i| {
            let u = ((i * 7919) % 1000) as f64 / 1000.0;
            let v = ((i * 104729) % 997) as f64 / 997.0;
            (-2.0 * (u + 1e-3).ln()).sqrt() * (std::f64::consts::TAU * v).cos() * 0.3 + 0.1
        })
        .collect();
    histogram(
        dir.join("histogram"),
        "Recurrent weight distribution",
        &vals,
        40,
        "weight",
        &[(0.0, "zero"), (0.1, "mean")],
    )?;
    let eigs: Vec<(f64, f64)> = (0..128)
        .map(|k| {
            let a = k as f64 * 2.39996;
            let r = 0.9 * ((k as f64 + 0.5) / 128.0).sqrt();
            (r * a.cos(), r * a.sin())
        })
        .chain([(1.05, 0.0)])
        .collect();
    eigenvalues(
        dir.join("eigenvalues"),
        "Spectrum of W_rec",
        &eigs,
        Boundary::UnitCircle,
        Some(128),
    )?;
    let jac: Vec<(f64, f64)> = eigs.iter().map(|(r, i)| (r - 1.0, *i)).collect();
    eigenvalues(
        dir.join("eigenvalues_ct"),
        "Jacobian at a fixed point",
        &jac,
        Boundary::ImaginaryAxis,
        Some(128),
    )?;
    let act: Vec<f64> = (0..256)
        .map(|i| ((i * 37 % 101) as f64 / 101.0).powi(2) * 3.0)
        .collect();
    stem_plot(
        dir.join("stem"),
        "Maximal activation per unit",
        &act,
        "unit",
        "max rate",
    )?;
    let coh = [
        -0.512, -0.256, -0.128, -0.064, -0.032, 0.0, 0.032, 0.064, 0.128, 0.256, 0.512,
    ];
    let logistic = |x: f64, k: f64, b: f64| 1.0 / (1.0 + (-(k * x + b)).exp());
    let fx: Vec<f64> = (0..=200).map(|i| -0.55 + 1.1 * i as f64 / 200.0).collect();
    let curves = vec![
        PsychCurve {
            name: "motion context".into(),
            x: coh.to_vec(),
            p: coh
                .iter()
                .map(|c| logistic(*c, 12.0, 0.0) + 0.02 * (c * 50.0).sin())
                .collect(),
            fit_x: fx.clone(),
            fit_y: fx.iter().map(|c| logistic(*c, 12.0, 0.0)).collect(),
            interval: None,
        },
        PsychCurve {
            name: "colour context".into(),
            x: coh.to_vec(),
            p: coh.iter().map(|c| logistic(*c, 3.0, 0.2)).collect(),
            fit_x: fx.clone(),
            fit_y: fx.iter().map(|c| logistic(*c, 3.0, 0.2)).collect(),
            interval: Some((
                coh.iter().map(|c| logistic(*c, 3.0, 0.2) - 0.05).collect(),
                coh.iter().map(|c| logistic(*c, 3.0, 0.2) + 0.05).collect(),
            )),
        },
    ];
    psychometric(
        dir.join("psychometric"),
        "Psychometric curves",
        "motion coherence",
        "P(choice right)",
        &curves,
    )?;
    bar(
        dir.join("bar"),
        "Accuracy after lesions",
        &[
            "intact",
            "lesion E cluster 1",
            "lesion E cluster 2",
            "lesion I units",
            "lesion input layer",
            "random 10%",
        ],
        &[0.97, 0.62, 0.88, 0.51, 0.5, 0.95],
        "accuracy",
    )?;
    bar(
        dir.join("bar_short"),
        "Selectivity",
        &["A", "B", "C"],
        &[0.4, -0.2, 0.1],
        "index",
    )
}
