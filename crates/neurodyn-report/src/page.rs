//! The pieces every report page shares (the recurrent run's in [`crate::html`], a vision run's
//! in [`crate::vision_report`]): the inline CSS, HTML escaping, figures inlined as SVG, table
//! rows, and one analysis' section.

use crate::common::Section;
use std::fmt::Write as _;
use std::path::Path;

pub(crate) const CSS: &str = "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;\
padding:0 1.2em;color:#222;line-height:1.45}h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;\
padding-bottom:.2em;margin-top:2em}h3{margin-top:1.6em}.meta{color:#666;font-size:.9em}table{border-collapse:collapse;\
margin:.6em 0}td,th{border:1px solid #ddd;padding:.25em .7em;text-align:left;font-size:.93em}th{background:#f4f4f4}\
td.num{text-align:right;font-variant-numeric:tabular-nums}.fig{margin:1em 0}.fig svg{max-width:100%;height:auto;\
display:block}.note{color:#444}.tables{display:flex;flex-wrap:wrap;gap:1.5em}pre{background:#f6f6f6;padding:.8em;\
overflow-x:auto;font-size:.85em}.fail{color:#a00}.warn{background:#fff4e5;border-left:4px solid #e69500;\
padding:.5em .9em;margin:.8em 0}.tables{align-items:flex-start}table{display:block;overflow-x:auto;max-width:100%}\
.full{font-size:.8em;color:#666}\
@media (max-width:700px){body{margin:1em auto;padding:0 .7em}.fig{overflow-x:auto}\
.fig svg{max-width:none;width:800px}td,th{padding:.2em .45em;font-size:.86em}h1{font-size:1.4em}}\
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}.fig{break-inside:avoid}\
h2,h3{break-after:avoid}.full{display:none}.fig svg{max-width:100%;width:auto}}";

/// Escape text for HTML.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG at `path` for inlining (from its `<svg` tag on), or a note saying it is missing.
pub(crate) fn inline_svg(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => match text.find("<svg") {
            Some(k) => {
                // On a phone the figure keeps a readable width and scrolls sideways; the link
                // opens it alone, full size (the report lives beside `figures/`).
                let name = path.file_name().map_or(String::new(), |n| {
                    format!(
                        "<a class=\"full\" href=\"figures/{0}\">{0} (full size)</a>",
                        esc(&n.to_string_lossy())
                    )
                });
                format!("<div class=\"fig\">{}</div>{name}\n", &text[k..])
            }
            None => format!(
                "<p class=\"fail\">{} is not an SVG</p>\n",
                esc(&path.display().to_string())
            ),
        },
        Err(e) => format!(
            "<p class=\"fail\">figure {} missing: {}</p>\n",
            esc(&path.display().to_string()),
            esc(&e.to_string())
        ),
    }
}

pub(crate) fn row(out: &mut String, k: &str, v: &str) {
    let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
}

/// One analysis' heading, note, warnings, numbers and figures.
pub(crate) fn section_html(s: &Section) -> String {
    let mut out = format!("<h3 id=\"{}\">{}</h3>\n", esc(&s.name), esc(&s.title));
    let class = if s.note.starts_with("failed:") {
        "fail"
    } else {
        "note"
    };
    let _ = writeln!(out, "<p class=\"{class}\">{}</p>", esc(&s.note));
    for w in &s.warnings {
        let _ = writeln!(out, "<p class=\"warn\">{}</p>", esc(w));
    }
    if !s.numbers.is_empty() {
        out.push_str("<table>\n");
        for (k, v) in &s.numbers {
            let _ = writeln!(
                out,
                "<tr><th>{}</th><td class=\"num\">{}</td></tr>",
                esc(k),
                esc(v)
            );
        }
        out.push_str("</table>\n");
    }
    for f in &s.figures {
        out.push_str(&inline_svg(f));
    }
    out
}

/// The start of a report page: the document head (inline CSS), the heading `<task> — <kind>
/// network`, and the line saying where the run and its numbers are (`numbers_in`: the files,
/// as HTML).
pub(crate) fn head(task: &str, kind: &str, run: &Path, numbers_in: &str) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>neurodyn report: {}</title><style>{CSS}</style></head><body>\n",
        esc(task)
    );
    let _ = writeln!(h, "<h1>{} — {} network</h1>", esc(task), esc(kind));
    let _ = writeln!(
        h,
        "<p class=\"meta\">Run directory <code>{}</code>; neurodyn {}. Numbers behind every figure are in \
         {numbers_in}, figures as PNG and SVG in <code>figures/</code>.</p>",
        esc(&run.display().to_string()),
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// The end of a report page: the analyses' sections (with links to each), the run's
/// `config.toml`, and the closing tags.
pub(crate) fn tail(h: &mut String, sections: &[Section], config_text: &str) {
    if !sections.is_empty() {
        h.push_str("<h2>Analyses</h2>\n<p>");
        let links: Vec<String> = sections
            .iter()
            .map(|s| format!("<a href=\"#{}\">{}</a>", esc(&s.name), esc(&s.title)))
            .collect();
        h.push_str(&links.join(" · "));
        h.push_str("</p>\n");
        for s in sections {
            h.push_str(&section_html(s));
        }
    }
    let _ = writeln!(
        h,
        "<h2>Configuration</h2>\n<details><summary>config.toml</summary><pre>{}</pre></details>",
        esc(config_text)
    );
    h.push_str("</body></html>\n");
}
