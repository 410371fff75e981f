//! Golden comparison of the tuning analysis' stimulus transforms (rotation, zoom, translation,
//! contrast) with `scipy.ndimage.affine_transform(order=1, mode='constant', cval=0)`
//! (tests/golden/analysis/make_tuning_golden.py wrote tuning.json, input planes included).

use neurodyn_analysis::image_transform::{contrast, rotate, translate, zoom, Transform};
use serde_json::Value;

fn golden() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/tuning.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("tuning.json")).expect("parses")
}

fn vec(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn transforms_match_scipy_affine_transform() {
    let g = golden();
    let mut worst = 0.0f64;
    let mut n = 0;
    for c in g["cases"].as_array().expect("cases") {
        let plane = &g["planes"][c["plane"].as_str().expect("plane")];
        let (h, w) = (
            plane["h"].as_u64().unwrap() as usize,
            plane["w"].as_u64().unwrap() as usize,
        );
        let src = vec(&plane["data"]);
        let want = vec(&c["out"]);
        let v = c["value"].as_f64().unwrap();
        let mut got = vec![f64::NAN; h * w];
        let kind = c["kind"].as_str().unwrap();
        match kind {
            "rotation" => rotate(&src, h, w, v, &mut got),
            "scale" => zoom(&src, h, w, v, &mut got),
            "translation" => translate(&src, h, w, v, c["dy"].as_f64().unwrap(), &mut got),
            "contrast" => contrast(&src, v, 0.0, 255.0, &mut got),
            k => panic!("unknown kind {k}"),
        }
        // Pixels are 0…255: errors relative to the largest pixel.
        let scale = src.iter().copied().fold(0.0f64, f64::max);
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            let e = (a - b).abs() / scale;
            assert!(
                e <= 1e-12,
                "{kind} {v} of {}: pixel ({}, {}) {a} vs scipy {b}",
                c["plane"],
                i / w,
                i % w
            );
            worst = worst.max(e);
        }
        // Through the Transform enum (one plane, the x shift only), the same numbers.
        if kind != "translation" || c["dy"].as_f64() == Some(0.0) {
            let t = match kind {
                "rotation" => Transform::Rotation,
                "scale" => Transform::Scale,
                "translation" => Transform::Translation,
                _ => Transform::Contrast,
            };
            let mut via = vec![0.0; h * w];
            t.apply(v, &src, [1, h, w], 255.0, &mut via);
            assert_eq!(via, got, "{kind} {v} through Transform::apply");
        }
        n += 1;
    }
    assert_eq!(n, 48);
    eprintln!("transforms vs scipy.ndimage: largest error / max pixel {worst:.1e} over {n} planes");
}
