//! End to end: a short CNN run on the embedded digits becomes the frozen visual front end of a
//! CTRNN on DelayMatchDigit (`train --front-end`), the recurrent analyses run on the CTRNN, and
//! the refusals name what is wrong (a missing layer, a directory that is not a vision run, a
//! front end given to a task without images, a file that is not a features file).

mod common;
use common::{path, run, text, tiny_cnn, tmp};

#[test]
fn a_cnn_front_end_feeds_a_ctrnn_on_delayed_digit_matching() {
    let d = tmp("front_end");
    let cfg = d.join("tiny.toml");
    std::fs::write(&cfg, tiny_cnn(20)).expect("write config");
    let cnn = d.join("cnn");
    let o = run(&[
        "train",
        path(&cfg),
        "--task",
        "Mnist",
        "--out",
        path(&cnn),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));

    let rnn = d.join("dmd");
    let o = run(&[
        "train",
        "--task",
        "DelayMatchDigit",
        "--front-end",
        path(&cnn),
        "--steps",
        "20",
        "--out",
        path(&rnn),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // The default layer is the one before the output: the default CNN's 84 units after ReLU.
    let features = cnn.join("front_end").join("10_relu.npz");
    assert!(features.exists(), "{}", text(&o));
    let config = std::fs::read_to_string(rnn.join("config.toml")).expect("config");
    assert!(
        config.contains("front_end = ") && config.contains("10_relu.npz"),
        "{config}"
    );
    let rec = neurodyn_core::Recording::load(&rnn.join("recording.npz")).expect("recording");
    assert_eq!(rec.n_in, 1 + 84);
    // Scored on the held-out digits: every recorded sample image is a position among them.
    let col = rec
        .labels
        .iter()
        .find(|c| c.name == "sample_image")
        .expect("sample_image label");
    assert!(col.values.iter().all(|&v| (0.0..2000.0).contains(&v)));

    for analysis in ["pca", "fixed-points", "selectivity"] {
        let o = run(&["analyze", path(&rnn), analysis]);
        assert!(o.status.success(), "{analysis}: {}", text(&o));
    }
    assert!(rnn.join("analysis").join("fixed_points.json").exists());

    // Without --front-end the task first trains seed 000's CNN into OUT/front_end_cnn, or
    // reuses the finished run of the same seed found there (here the tiny one, to stay quick).
    let rnn2 = d.join("dmd2");
    let o = run(&[
        "train",
        path(&cfg),
        "--task",
        "Mnist",
        "--seed",
        "0",
        "--out",
        path(&rnn2.join("front_end_cnn")),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["train", "--task", "DelayMatchDigit", "--check"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("would first train seed 000's CNN"),
        "{}",
        text(&o)
    );
    let o = run(&[
        "train",
        "--task",
        "DelayMatchDigit",
        "--steps",
        "5",
        "--out",
        path(&rnn2),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let config = std::fs::read_to_string(rnn2.join("config.toml")).expect("config");
    assert!(config.contains("front_end_cnn"), "{config}");
    // An occupied --out is refused before any CNN trains.
    let o = run(&["train", "--task", "DelayMatchDigit", "--out", path(&rnn2)]);
    assert!(!o.status.success());
    assert!(text(&o).contains("already holds a run"), "{}", text(&o));

    // Refusals.
    let o = run(&[
        "train",
        "--task",
        "DelayMatchDigit",
        "--front-end",
        path(&cnn),
        "--front-end-layer",
        "nope",
        "--check",
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("has no layer \"nope\"") && text(&o).contains("10_relu"),
        "{}",
        text(&o)
    );
    let o = run(&[
        "train",
        "--task",
        "DelayMatchDigit",
        "--front-end",
        path(&d),
        "--check",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("config.toml"), "{}", text(&o));
    let o = run(&[
        "train",
        "--task",
        "PerceptualDecisionMaking",
        "--front-end",
        path(&cnn),
        "--check",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("\"front_end\""), "{}", text(&o));
    let bad = d.join("bad.toml");
    std::fs::write(
        &bad,
        format!(
            "[task]\nname = \"DelayMatchDigit\"\n[task.params]\nfront_end = \"{}\"\n",
            rnn.join("recording.npz").display()
        ),
    )
    .expect("write config");
    let o = run(&["train", path(&bad), "--check"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("not a features file"), "{}", text(&o));
    std::fs::remove_dir_all(&d).ok();
}
