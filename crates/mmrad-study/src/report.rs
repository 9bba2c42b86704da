//! Text for people: aligned metrics / calibration / check tables for stdout, and the nomogram (table and drawing).

use std::fmt::Write as _;

use mmrad_protocol::Plan;

use crate::cohort::Cohort;
use crate::pipeline::{FoldData, FoldFit, LogitModel, combined_design};
use crate::run::RunSummary;

/// Renders rows as a left-aligned (text) / right-aligned (numbers) table with a header rule.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: Vec<&str>| {
        let mut text = String::new();
        for (idx, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if idx > 0 {
                text.push_str("  ");
            }
            let pad = w.saturating_sub(cell.chars().count());
            let numeric = idx > 0
                && cell
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == 'N');
            if numeric {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut out, header.to_vec());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&mut out, rule.iter().map(String::as_str).collect());
    for row in rows {
        line(&mut out, row.iter().map(String::as_str).collect());
    }
    out
}

fn f3(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else {
        format!("{x:.3}")
    }
}

/// The metrics table (pooled out-of-fold values; AUC sd over repeats).
pub fn metrics_text(summary: &RunSummary) -> String {
    let rows: Vec<Vec<String>> = summary
        .metrics
        .iter()
        .map(|m| {
            let p = &m.pooled;
            vec![
                m.model.clone(),
                if m.modalities.is_empty() {
                    "-".into()
                } else {
                    m.modalities.clone()
                },
                f3(p.auc),
                format!("{}–{}", f3(p.auc_lo), f3(p.auc_hi)),
                // One repeat has no spread: a dash rather than NaN.
                if m.auc_sd.is_nan() {
                    "-".into()
                } else {
                    f3(m.auc_sd)
                },
                f3(p.brier),
                f3(p.brier_scaled),
                f3(p.cal_intercept),
                f3(p.cal_slope),
                f3(p.hl_p),
            ]
        })
        .collect();
    let mut out = format!(
        "{}: {} cases, {} events (out-of-fold)\n",
        summary.name, summary.n, summary.events
    );
    out.push_str(&table(
        &[
            "model",
            "modalities",
            "AUC",
            "95% CI",
            "AUC sd",
            "Brier",
            "scaled",
            "cal int",
            "cal slope",
            "HL p",
        ],
        &rows,
    ));
    out
}

/// The protocol's `published` values beside this run's (empty when the protocol has none), with a line saying that
/// a synthetic cohort reproduces the pipeline, not the findings.
pub fn published_text(plan: &Plan, summary: &RunSummary) -> String {
    if plan.published.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = plan
        .published
        .iter()
        .map(|p| {
            let ours = summary
                .metrics
                .iter()
                .find(|m| m.model == p.model)
                .map_or_else(|| "-".to_owned(), |m| f3(m.pooled.get(p.metric)));
            vec![p.model.clone(), p.metric.name().to_owned(), f3(p.value), ours]
        })
        .collect();
    let source = plan.reference.as_deref().unwrap_or("the publication");
    let mut out = format!("published ({source}) and this run\n");
    if matches!(
        plan.cohort,
        mmrad_protocol::CohortSource::Synthetic { .. } | mmrad_protocol::CohortSource::SyntheticImages { .. }
    ) {
        out.push_str(
            "(this run's cohort is synthetic: it shows the pipeline reproduces the analysis, not the findings)\n",
        );
    }
    out.push_str(&table(&["model", "metric", "published", "this run"], &rows));
    out
}

/// Calibration tables, one per model.
pub fn calibration_text(summary: &RunSummary) -> String {
    let mut out = String::new();
    for (model, groups) in &summary.calibration {
        let rows: Vec<Vec<String>> = groups
            .iter()
            .map(|g| {
                vec![
                    g.group.to_string(),
                    g.n.to_string(),
                    f3(g.mean_predicted),
                    f3(g.observed_rate),
                    format!("{}–{}", f3(g.lo), f3(g.hi)),
                ]
            })
            .collect();
        let _ = writeln!(
            out,
            "calibration of `{model}` (case-mean out-of-fold probability)"
        );
        out.push_str(&table(&["group", "n", "predicted", "observed", "95% CI"], &rows));
        out.push('\n');
    }
    out
}

/// The `expected:` checks, one line each.
pub fn checks_text(summary: &RunSummary) -> String {
    let mut out = String::new();
    for check in &summary.checks {
        let e = &check.expectation;
        let bounds = match (e.min, e.max) {
            (Some(min), Some(max)) => format!("in [{min}, {max}]"),
            (Some(min), None) => format!("≥ {min}"),
            (None, Some(max)) => format!("≤ {max}"),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "{} {} {} = {} (expected {bounds})",
            if check.passed { "ok  " } else { "MISS" },
            e.model,
            e.metric.name(),
            f3(check.value)
        );
    }
    out
}

/// rms-style nomogram of the apparent combined model ([`crate::figures::NomogramLayout`]: `rms::nomogram`'s tick
/// values and points, total points → probability) as `nomogram.csv` and its SVG drawing; `None` when the
/// nomogram cannot be built (e.g. every term spans zero points), the message says why.
pub fn nomogram(
    plan: &Plan,
    cohort: &Cohort,
    fit: &FoldFit,
    terms: &[String],
    model: &LogitModel,
) -> std::result::Result<(String, String), String> {
    let all: Vec<usize> = (0..cohort.cases.len()).collect();
    let x = combined_design(plan, fit, &FoldData::from_rows(cohort, &all))
        .ok_or_else(|| "nomogram: the plan has no combined model".to_owned())?;
    let layout = crate::figures::NomogramLayout::new(&model.fit, terms, x.view())?;
    Ok((layout.csv(), layout.svg()?))
}
