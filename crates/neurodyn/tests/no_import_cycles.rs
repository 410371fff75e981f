//! No two source files of a crate import each other, directly or around a circle: every file of
//! the workspace is a module, its `crate::…`, `super::…` and `self::…` paths (outside comments and
//! test modules, `use` groups expanded) are edges to the longest module each names, and the
//! module graph of every crate must have no cycle. A file's parent declaring `mod child;` is not
//! an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module a file under `src` defines (`a/b.rs` and `a/b/mod.rs` → `[a, b]`).
fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code without line comments and without the `#[cfg(test)] mod tests` block at the end.
fn code(text: &str) -> String {
    let body = match text.find("#[cfg(test)]\nmod tests") {
        Some(k) => &text[..k],
        None => text,
    };
    body.lines()
        .map(|l| match l.find("//") {
            Some(k) => &l[..k],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Split `a, b::{c, d}, e` at the commas outside braces.
fn split_top(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out.into_iter().filter(|p| !p.is_empty()).collect()
}

/// Every path a use-tree `tree` expands to, each prefixed by `prefix`.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Module>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let close = tree.rfind('}').unwrap_or(tree.len());
        let mut p = prefix.to_vec();
        p.extend(head);
        for part in split_top(&tree[open + 1..close]) {
            expand(&p, part, out);
        }
    } else {
        let mut p = prefix.to_vec();
        p.extend(
            tree.split("::")
                .map(|s| s.trim().split(' ').next().unwrap_or("").to_string())
                .filter(|s| !s.is_empty() && s != "self"),
        );
        out.push(p);
    }
}

/// The paths starting with `crate::`, `super::` or `self::` in `code`, resolved from `module`.
fn paths(code: &str, module: &Module) -> Vec<Module> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for head in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(k) = code[from..].find(head) {
            let at = from + k;
            from = at + head.len();
            if at > 0 && is_ident(bytes[at - 1] as char) {
                continue;
            }
            let base: Module = match head {
                "crate::" => Vec::new(),
                "super::" => module[..module.len().saturating_sub(1)].to_vec(),
                _ => module.clone(),
            };
            // The rest of the path: identifiers and `::`, or a braced group.
            let rest = &code[from..];
            let end = if let Some(stripped) = rest.find(|c: char| !(is_ident(c) || c == ':')) {
                if rest[stripped..].starts_with('{') {
                    let mut depth = 0;
                    let mut e = stripped;
                    for (i, c) in rest[stripped..].char_indices() {
                        match c {
                            '{' => depth += 1,
                            '}' => {
                                depth -= 1;
                                if depth == 0 {
                                    e = stripped + i + 1;
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    e
                } else {
                    stripped
                }
            } else {
                rest.len()
            };
            expand(&base, rest[..end].trim_end_matches(':'), &mut out);
        }
    }
    out
}

/// A cycle in `edges`, if there is one (depth-first search).
fn find_cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        v: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        state.insert(v.clone(), 1);
        stack.push(v.clone());
        for w in edges.get(v).into_iter().flatten() {
            match state.get(w).copied().unwrap_or(0) {
                0 => {
                    if let Some(c) = visit(w, edges, state, stack) {
                        return Some(c);
                    }
                }
                1 => {
                    let k = stack.iter().position(|m| m == w).unwrap_or(0);
                    let mut c = stack[k..].to_vec();
                    c.push(w.clone());
                    return Some(c);
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(v.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for v in edges.keys() {
        if state.get(v).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(v, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// The module graph of the crate whose sources are in `src`.
fn graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Module, PathBuf> = files
        .iter()
        .map(|f| (module_of(src, f), f.clone()))
        .collect();
    let mut edges = BTreeMap::new();
    for (m, f) in &modules {
        let text = std::fs::read_to_string(f).expect("read source");
        let mut to = BTreeSet::new();
        for p in paths(&code(&text), m) {
            let target = (0..=p.len())
                .rev()
                .map(|k| p[..k].to_vec())
                .find(|prefix| modules.contains_key(prefix))
                .unwrap_or_default();
            if !target.is_empty() && &target != m {
                to.insert(target);
            }
        }
        edges.insert(m.clone(), to);
    }
    edges
}

#[test]
fn no_crate_has_an_import_cycle_between_files() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut checked = 0;
    let mut cycles = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&crates)
        .expect("crates dir")
        .flatten()
        .map(|e| e.path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for src in dirs {
        let g = graph(&src);
        checked += g.len();
        if let Some(c) = find_cycle(&g) {
            let names: Vec<String> = c.iter().map(|m| m.join("::")).collect();
            cycles.push(format!("{}: {}", src.display(), names.join(" -> ")));
        }
    }
    assert!(checked > 100, "only {checked} files found");
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_a_cycle() {
    let dir = std::env::temp_dir().join(format!("neurodyn-cycles-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("a")).expect("dirs");
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\n").expect("lib");
    std::fs::write(src.join("a/mod.rs"), "use crate::{b::{X, Y}, c};\n").expect("a");
    std::fs::write(
        src.join("b.rs"),
        "// crate::c is a comment\nfn f() { super::a::g() }\n",
    )
    .expect("b");
    let g = graph(&src);
    let cycle = find_cycle(&g).expect("a cycle");
    let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
    assert!(
        names == ["a", "b", "a"] || names == ["b", "a", "b"],
        "{names:?}"
    );
    std::fs::write(src.join("b.rs"), "fn f() {}\n").expect("b");
    assert!(find_cycle(&graph(&src)).is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
