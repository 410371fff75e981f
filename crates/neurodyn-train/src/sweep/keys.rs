//! Dotted config keys of a sweep's grid: `model.kind`, `train.lr`, `task.params.coherences`,
//! `train.regularizers[0].weight` (a list entry by index).

use crate::recipes::merge;

/// One step of a dotted key: a table key, optionally followed by a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    key: String,
    index: Option<usize>,
}

/// A parsed dotted key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPath {
    text: String,
    segments: Vec<Segment>,
}

/// Why a value could not be set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetError {
    /// The key indexes a list the table does not have (it may come from the task's recipe).
    NoList(String),
    /// Anything else, said in words.
    Other(String),
}

impl std::fmt::Display for SetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetError::NoList(m) | SetError::Other(m) => f.write_str(m),
        }
    }
}

impl KeyPath {
    /// Parse `a.b[2].c`. Keys are bare TOML keys (letters, digits, `_`, `-`).
    pub fn parse(text: &str) -> Result<KeyPath, String> {
        let bad = |why: &str| Err(format!("key `{text}`: {why}"));
        if text.is_empty() {
            return bad("empty");
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, index) = match part.split_once('[') {
                None => (part, None),
                Some((k, rest)) => {
                    let Some(digits) = rest.strip_suffix(']') else {
                        return bad("a list index is written `name[0]`");
                    };
                    match digits.parse::<usize>() {
                        Ok(i) => (k, Some(i)),
                        Err(_) => return bad("a list index is a number: `name[0]`"),
                    }
                }
            };
            let valid = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
            if key.is_empty() || !key.chars().all(valid) {
                return bad(
                    "each part is a bare key (letters, digits, `_`, `-`), parts joined by `.`",
                );
            }
            segments.push(Segment {
                key: key.to_string(),
                index,
            });
        }
        Ok(KeyPath {
            text: text.to_string(),
            segments,
        })
    }

    /// The key as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the key goes through a list index.
    pub fn has_index(&self) -> bool {
        self.segments.iter().any(|s| s.index.is_some())
    }

    /// Set the key in `root` to `value`. Missing tables on the way are created; a list entry
    /// must exist. A table value merges into the table it meets (as a config file merges over
    /// its recipe: a different `kind` replaces it whole), anything else replaces.
    pub fn set(&self, root: &mut toml::Table, value: &toml::Value) -> Result<(), SetError> {
        let mut table = root;
        let last = self.segments.len() - 1;
        for (i, seg) in self.segments.iter().enumerate() {
            // The list's own name, without the index.
            let here = match i {
                0 => seg.key.clone(),
                _ => format!("{}.{}", self.prefix(i - 1), seg.key),
            };
            let slot = match seg.index {
                None if i == last => {
                    match table.get_mut(&seg.key) {
                        Some(old) => merge(old, value.clone()),
                        None => {
                            table.insert(seg.key.clone(), value.clone());
                        }
                    }
                    return Ok(());
                }
                None => table
                    .entry(seg.key.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new())),
                Some(k) => {
                    let Some(entry) = table.get_mut(&seg.key) else {
                        return Err(SetError::NoList(format!(
                            "key `{}`: there is no list `{here}` to index",
                            self.text
                        )));
                    };
                    let Some(list) = entry.as_array_mut() else {
                        return Err(SetError::Other(format!(
                            "key `{}`: `{here}` is not a list",
                            self.text
                        )));
                    };
                    let n = list.len();
                    let Some(item) = list.get_mut(k) else {
                        return Err(SetError::Other(format!(
                            "key `{}`: `{here}` has {n} entr{} (index {k} is out of range)",
                            self.text,
                            if n == 1 { "y" } else { "ies" }
                        )));
                    };
                    if i == last {
                        merge(item, value.clone());
                        return Ok(());
                    }
                    item
                }
            };
            table = match slot.as_table_mut() {
                Some(t) => t,
                None => {
                    return Err(SetError::Other(format!(
                        "key `{}`: `{}` is a value, not a table",
                        self.text,
                        self.prefix(i)
                    )))
                }
            };
        }
        Ok(())
    }

    /// The key up to and including segment `i`, as written.
    fn prefix(&self, i: usize) -> String {
        self.segments[..=i]
            .iter()
            .map(|s| match s.index {
                Some(k) => format!("{}[{k}]", s.key),
                None => s.key.clone(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyPath, SetError};

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).expect("toml")
    }

    #[test]
    fn sets_nested_keys_creating_tables_and_indexing_lists() {
        let mut t = table(
            "[train]\nlr = 0.01\n[[train.regularizers]]\nkind = \"l2-rate\"\nweight = 1e-4\n",
        );
        KeyPath::parse("train.lr")
            .unwrap()
            .set(&mut t, &toml::Value::Float(0.1))
            .unwrap();
        KeyPath::parse("model.kind")
            .unwrap()
            .set(&mut t, &toml::Value::String("gru".into()))
            .unwrap();
        KeyPath::parse("train.regularizers[0].weight")
            .unwrap()
            .set(&mut t, &toml::Value::Float(0.0))
            .unwrap();
        assert_eq!(t["train"]["lr"].as_float(), Some(0.1));
        assert_eq!(t["model"]["kind"].as_str(), Some("gru"));
        assert_eq!(
            t["train"]["regularizers"][0]["weight"].as_float(),
            Some(0.0)
        );
        assert_eq!(
            t["train"]["regularizers"][0]["kind"].as_str(),
            Some("l2-rate")
        );
    }

    #[test]
    fn refuses_bad_keys_and_missing_or_short_lists_naming_them() {
        for bad in ["", "a..b", "a[x]", "a[0", "a b", "[0]"] {
            assert!(KeyPath::parse(bad).is_err(), "{bad}");
        }
        let mut t = table("[train]\nlr = 0.01\nregularizers = []\n");
        let v = toml::Value::Float(1.0);
        let e = KeyPath::parse("model.x[0].y")
            .unwrap()
            .set(&mut t, &v)
            .unwrap_err();
        assert!(matches!(e, SetError::NoList(_)), "{e}");
        let e = KeyPath::parse("train.regularizers[1].weight")
            .unwrap()
            .set(&mut t, &v)
            .unwrap_err();
        assert!(
            e.to_string().contains("`train.regularizers` has 0 entries"),
            "{e}"
        );
        let e = KeyPath::parse("train.lr.x")
            .unwrap()
            .set(&mut t, &v)
            .unwrap_err();
        assert!(e.to_string().contains("`train.lr` is a value"), "{e}");
    }

    #[test]
    fn a_table_value_merges_unless_its_kind_differs() {
        let mut t = table("[train.schedule]\nkind = \"cosine\"\nlr_end = 1e-4\n");
        let same = toml::Value::Table(table("kind = \"cosine\"\nwarm = 3\n"));
        KeyPath::parse("train.schedule")
            .unwrap()
            .set(&mut t, &same)
            .unwrap();
        assert_eq!(t["train"]["schedule"]["lr_end"].as_float(), Some(1e-4));
        let other = toml::Value::Table(table("kind = \"constant\"\n"));
        KeyPath::parse("train.schedule")
            .unwrap()
            .set(&mut t, &other)
            .unwrap();
        assert!(t["train"]["schedule"].get("lr_end").is_none());
    }
}
