//! The report page. Every string that reaches the page goes through [`esc`], server names and
//! error kinds included: they come from files and from servers under test. The page is also
//! well-formed XML (void elements closed, attributes quoted), so tests can parse it whole.

use std::fmt::Write;

use super::charts::{self, Curve};
use super::{Cell, Rendered, ReportInput, ServerFigures, cells, ratio, ratio_pairs, servers};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A file name made of the safe characters of `parts`, so a hostile name cannot leave the
/// charts directory or break the link to it.
fn file_name(parts: &[&str]) -> String {
    let mut s: String = parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s.push_str(".svg");
    s
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em auto;max-width:62em;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:.8em 0}\
figure svg{max-width:100%;height:auto}figcaption{font-size:.85em;color:#555}\
section.cell{border-top:2px solid #888;margin-top:2em}.errors{color:#b00}";

fn ms(v: f64) -> String {
    format!("{v:.3}")
}

/// Appends a chart: inline, with a link to its standalone copy.
fn figure(
    out: &mut String,
    charts: &mut Vec<(String, String)>,
    href: &str,
    name: String,
    svg: String,
    caption: &str,
) {
    let _ = writeln!(
        out,
        "<figure>{svg}<figcaption>{} (<a href=\"{}/{}\">SVG</a>)</figcaption></figure>",
        esc(caption),
        esc(href),
        esc(&name)
    );
    charts.push((name, svg));
}

fn workload_table(out: &mut String, rows: &[ServerFigures]) {
    out.push_str(
        "<table class=\"figures\"><tr><th>server</th><th>runs</th><th>requests</th><th>ok</th>\
         <th>errors</th><th>ops/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr>\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n{}\">{}</td><td class=\"n\">{:.1}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.server),
            r.runs,
            r.requests,
            r.ok,
            if r.errors > 0 { " errors" } else { "" },
            r.errors,
            r.ops_per_sec,
            ms(r.p50),
            ms(r.p90),
            ms(r.p99),
            ms(r.max),
        );
    }
    out.push_str("</table>\n");
    for r in rows.iter().filter(|r| !r.error_kinds.is_empty()) {
        let kinds: Vec<String> = r
            .error_kinds
            .iter()
            .map(|(k, n)| format!("{}: {n}", esc(k)))
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"errors\">{} errors: {}</p>",
            esc(&r.server),
            kinds.join("; ")
        );
    }
    // The numbers behind the curve, for readers who want them rather than the picture.
    let Some(first) = rows.iter().find(|r| !r.curve.is_empty()) else {
        return;
    };
    out.push_str("<details><summary>latency percentiles (ms)</summary><table class=\"percentiles\"><tr><th>percentile</th>");
    for r in rows {
        let _ = write!(out, "<th>{}</th>", esc(&r.server));
    }
    out.push_str("</tr>\n");
    for &(p, _) in &first.curve {
        let _ = write!(out, "<tr><td class=\"n\">{}</td>", charts::short_number(p));
        for r in rows {
            let v = r
                .curve
                .iter()
                .find(|q| q.0 == p)
                .map_or("-".into(), |q| ms(q.1));
            let _ = write!(out, "<td class=\"n\">{v}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></details>\n");
}

fn cell(
    out: &mut String,
    charts: &mut Vec<(String, String)>,
    href: &str,
    c: &Cell,
    pairs: &[(String, String)],
) -> Result<(), String> {
    let tag = format!("{}-c{}", c.size, c.concurrency);
    let _ = writeln!(
        out,
        "<section class=\"cell\"><h2>{} objects, concurrency {}</h2>",
        c.size, c.concurrency
    );
    // Ratio bars: rows are workloads, one bar per (davlite, peer) pair that both ran.
    let mut bars = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for (w, figs) in &c.workloads {
        let find = |s: &str| figs.iter().find(|f| f.server == s);
        let here: Vec<(usize, f64)> = pairs
            .iter()
            .enumerate()
            .filter_map(|(j, (o, p))| Some((j, ratio(find(o)?, find(p)?)?)))
            .collect();
        if !here.is_empty() {
            bars.extend(here.into_iter().map(|(j, r)| (rows.len(), j, r)));
            rows.push(w.clone());
        }
    }
    if !bars.is_empty() {
        let names: Vec<String> = pairs.iter().map(|(o, p)| format!("{o} / {p}")).collect();
        let title = format!(
            "davlite / peer, {} objects, concurrency {}",
            c.size, c.concurrency
        );
        let svg = charts::ratio_svg(&title, &rows, &names, &bars)?;
        figure(
            out,
            charts,
            href,
            file_name(&["ratios", &tag]),
            svg,
            "How many times better davlite is than each peer: peer p50 / davlite p50 for the latency workloads, davlite ops/s / peer ops/s for the others; medians over repeats.",
        );
    }
    for (w, figs) in &c.workloads {
        let _ = writeln!(out, "<section class=\"workload\"><h3>{}</h3>", esc(w));
        let curves: Vec<Curve<'_>> = figs
            .iter()
            .filter(|f| !f.curve.is_empty())
            .map(|f| Curve {
                label: &f.server,
                points: &f.curve,
            })
            .collect();
        if curves.is_empty() {
            out.push_str("<p>No request was timed.</p>\n");
        } else {
            let title = format!("{w}: latency by percentile");
            let svg = charts::percentile_svg(&title, &curves)?;
            let caption = if figs.iter().any(|f| f.latency_headline) {
                "Latency of one request at each percentile (headline: p50)."
            } else {
                "Latency of one request at each percentile (headline: ops/s)."
            };
            figure(
                out,
                charts,
                href,
                file_name(&["latency", &tag, w]),
                svg,
                caption,
            );
        }
        workload_table(out, figs);
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
    Ok(())
}

/// The whole page and its charts.
pub fn page(input: &ReportInput, charts_href: &str) -> Result<Rendered, String> {
    let mut out = String::new();
    let mut charts = Vec::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{}</title><style>{STYLE}</style></head>\n<body>\n<h1>{}</h1>\n<table class=\"params\">\n",
        esc(&input.title),
        esc(&input.title)
    );
    for (k, v) in &input.params {
        let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    out.push_str("</table>\n<p>ops/s counts only requests with the expected status and a correct answer; errors are never counted as speed.</p>\n");
    let pairs = ratio_pairs(&servers(&input.entries));
    for c in cells(&input.entries) {
        cell(&mut out, &mut charts, charts_href, &c, &pairs)?;
    }
    if input.entries.is_empty() {
        out.push_str("<p>No workload report to show.</p>\n");
    }
    let _ = write!(
        out,
        "<footer><p>Written by davlite bench {}.</p></footer>\n</body></html>\n",
        env!("CARGO_PKG_VERSION")
    );
    Ok(Rendered { html: out, charts })
}
