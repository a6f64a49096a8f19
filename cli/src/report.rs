//! The HTML report of a batch run: one self-contained page (inline CSS and
//! SVG, no scripts, fonts or images from elsewhere) that opens offline.
//!
//! It shows the accounting (with the columns no rule reads), each step's grade distribution as a bar chart,
//! the grades by sector and region as stacked bars, the items fired most,
//! the rejects by reason and, for `compare`, each migration matrix as a
//! heat map.

use std::fmt::Write;

use safegrade::batch::{BatchConfig, GradeCount, StepSummary, Summary};

/// Escapes text for HTML.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const PALETTE: [&str; 6] = ["#1f6feb", "#e3b341", "#fb8500", "#cf222e", "#8250df", "#57606a"];

fn color(g: &GradeCount, i: usize) -> String {
    g.color.clone().unwrap_or_else(|| PALETTE[i % PALETTE.len()].to_string())
}

fn bars(st: &StepSummary) -> String {
    let max = st.grades.iter().map(|g| g.count).max().unwrap_or(0).max(1);
    let total: u64 = st.grades.iter().map(|g| g.count).sum();
    let h = 26 * st.grades.len() + 6;
    // Grade labels can be long (中文 and English); they get a 260-pixel column.
    let mut svg = format!("<svg width=\"740\" height=\"{h}\" role=\"img\">");
    for (i, g) in st.grades.iter().enumerate() {
        let y = 4 + 26 * i;
        let w = (g.count as f64 / max as f64 * 380.0).round();
        let pct = if total > 0 { g.count as f64 * 100.0 / total as f64 } else { 0.0 };
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{} {}</text><rect x=\"260\" y=\"{y}\" width=\"{w}\" height=\"20\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{} ({pct:.1}%)</text>",
            y + 15,
            esc(&g.id),
            esc(&g.label),
            esc(&color(g, i)),
            266.0 + w,
            y + 15,
            g.count
        );
    }
    svg.push_str("</svg>");
    svg
}

fn stacked(rows: &[(String, Vec<u64>)], grades: &[GradeCount]) -> String {
    let h = 22 * rows.len() + 6;
    let mut svg = format!("<svg width=\"720\" height=\"{h}\" role=\"img\">");
    for (r, (value, counts)) in rows.iter().enumerate() {
        let y = 3 + 22 * r;
        let total: u64 = counts.iter().sum::<u64>().max(1);
        let _ = write!(svg, "<text x=\"0\" y=\"{}\" font-size=\"12\">{} ({total})</text>", y + 13, esc(value));
        let mut x = 170.0;
        for (i, n) in counts.iter().enumerate() {
            let w = *n as f64 / total as f64 * 500.0;
            let c = grades.get(i).map_or_else(|| PALETTE[i % 6].to_string(), |g| color(g, i));
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"17\" fill=\"{}\"><title>{}: {n}</title></rect>",
                esc(&c),
                esc(grades.get(i).map_or("", |g| g.id.as_str()))
            );
            x += w;
        }
    }
    svg.push_str("</svg>");
    svg
}

fn legend(grades: &[GradeCount]) -> String {
    let mut s = String::from("<p class=legend>");
    for (i, g) in grades.iter().enumerate() {
        let _ = write!(s, "<span style=\"background:{}\"></span>{} {} ", esc(&color(g, i)), esc(&g.id), esc(&g.label));
    }
    s.push_str("</p>");
    s
}

pub(crate) fn render(title: &str, cfg: &BatchConfig, s: &Summary, elapsed: f64) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=zh><meta charset=utf-8><title>{t}</title><style>\
body{{font:14px system-ui,sans-serif;margin:2em auto;max-width:960px;color:#1f2328}}\
table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #d0d7de;padding:3px 8px;text-align:right}}\
th:first-child,td:first-child{{text-align:left}}h2{{border-bottom:1px solid #d0d7de;margin-top:2em}}\
.legend span{{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px}}</style>\
<h1>{t}</h1><p>as of {} · {:.2} s</p>",
        cfg.as_of,
        elapsed,
        t = esc(title)
    );
    h.push_str("<h2>Accounting 账目</h2><table><tr><th>file<th>encoding 编码<th>rows<th>used<th>rejected");
    for f in std::iter::once(&s.firms).chain(&s.lists) {
        let what = f.list.as_deref().map_or("firms".to_string(), |l| format!("list {l}"));
        let _ = write!(
            h,
            "<tr><td>{} ({})<td>{}<td>{}<td>{}<td>{}",
            esc(&f.file),
            esc(&what),
            esc(&f.encoding),
            f.rows,
            f.used,
            f.rejected
        );
    }
    for l in &s.lists_not_given {
        let _ = write!(
            h,
            "<tr><td>list {} 未提供: no file given; every firm scored with no records<td>–<td>–<td>–<td>–",
            esc(l)
        );
    }
    h.push_str("</table>");
    let ignored: Vec<&safegrade::batch::FileCount> =
        std::iter::once(&s.firms).chain(&s.lists).filter(|f| !f.ignored_columns.is_empty()).collect();
    if !ignored.is_empty() {
        h.push_str("<h3>Columns ignored 未读取的列</h3><p>Read by no rule: neither the key, an input, nor carried.</p><table><tr><th>file<th>columns<th>names");
        for f in ignored {
            let names: Vec<String> = f.ignored_columns.iter().map(|c| esc(c)).collect();
            let _ = write!(
                h,
                "<tr><td>{}<td>{}<td style=\"text-align:left\">{}",
                esc(&f.file),
                f.ignored_columns.len(),
                names.join(", ")
            );
        }
        h.push_str("</table>");
    }
    if !s.rejects.is_empty() {
        h.push_str("<h3>Rejects by reason 拒收原因</h3><table><tr><th>reason<th>rows");
        for (k, n) in &s.rejects {
            let _ = write!(h, "<tr><td>{}<td>{n}", esc(k));
        }
        h.push_str("</table>");
    }
    let side = |h: &mut String, label: &str, steps: &[StepSummary]| {
        for st in steps {
            let name = if st.alias.is_empty() { st.ruleset.clone() } else { format!("{} ({})", st.alias, st.ruleset) };
            let _ = write!(h, "<h2>{label}{} v{}</h2>{}", esc(&name), esc(&st.version), bars(st));
            if !st.items.is_empty() {
                h.push_str("<h3>Items fired most 最常触发的条款</h3><table><tr><th>item<th>firms");
                for it in st.items.iter().take(15) {
                    let _ = write!(h, "<tr><td>{} <small>{}</small><td>{}", esc(&it.label), esc(&it.id), it.count);
                }
                h.push_str("</table>");
            }
            for b in s.breakdown.iter().filter(|b| b.alias == st.alias && label.is_empty()) {
                let _ = write!(
                    h,
                    "<h3>By {} 分布</h3>{}{}",
                    esc(&b.column),
                    legend(&st.grades),
                    stacked(&b.rows, &st.grades)
                );
            }
        }
    };
    if s.new_steps.is_empty() {
        side(&mut h, "", &s.steps);
    } else {
        for m in &s.migrations {
            let name = if m.alias.is_empty() { "grade" } else { m.alias.as_str() };
            let max = m.counts.iter().flatten().copied().max().unwrap_or(0).max(1);
            let _ = write!(
                h,
                "<h2>Migration {} 等级迁移</h2><p>{} firms change grade</p><table><tr><th>old \\ new",
                esc(name),
                m.moved
            );
            for t in &m.to {
                let _ = write!(h, "<th>{}", esc(t));
            }
            for (from, row) in m.from.iter().zip(&m.counts) {
                let _ = write!(h, "<tr><th>{}", esc(from));
                for n in row {
                    let alpha = *n as f64 / max as f64 * 0.85;
                    let _ = write!(h, "<td style=\"background:rgba(207,34,46,{alpha:.2})\">{n}");
                }
            }
            h.push_str("</table>");
        }
        side(&mut h, "old ", &s.steps);
        side(&mut h, "new ", &s.new_steps);
    }
    h.push_str("</html>\n");
    h
}
