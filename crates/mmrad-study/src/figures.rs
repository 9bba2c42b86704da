//! Figures of a run as SVG text (plotters, SVG backend only): ROC curves with a bootstrap sensitivity band,
//! calibration (grouped observed rates with Wilson intervals, the diagonal, a histogram of predictions), decision
//! curves, and the rms-style nomogram of the combined model ([`NomogramLayout`], also behind `nomogram.csv`).
//!
//! Colours are the Okabe–Ito palette (colour-blind safe); every series also has its own legend entry, so no meaning
//! rests on colour alone. The SVG bytes depend only on the data (pixel coordinates are integers, no ids, no
//! clock).

use plotters::prelude::*;

use mmrad_core::SeededRng;
use mmrad_evaluation::{CalibrationGroup, NetBenefit};

/// Okabe & Ito (2008) palette, black last.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// Width and height of every figure (pixels; the SVG scales).
pub const SIZE: (u32, u32) = (640, 480);

const FONT: &str = "sans-serif";

fn colour(k: usize) -> RGBColor {
    PALETTE[k % PALETTE.len()]
}

fn err(e: impl std::fmt::Display) -> String {
    format!("drawing a figure: {e}")
}

/// One model's ROC curve and its band.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    pub model: String,
    pub auc: f64,
    /// (1 − specificity, sensitivity), from (0, 0) to (1, 1).
    pub points: Vec<(f64, f64)>,
    /// (1 − specificity, lower, upper) of the pointwise 95 % band of the sensitivity.
    pub band: Vec<(f64, f64, f64)>,
}

/// The ROC curve of `scores` with a stratified percentile bootstrap band of the sensitivity at specificities
/// 0, 0.02, …, 1 (as pROC's `ci.se`, each replicate's sensitivity read as [`sensitivity_at_specificities`] does),
/// `replicates` samples from `rng`.
///
/// # Errors
/// As `mmrad_evaluation::roc_curve` (one class, non-finite scores, length mismatch), as a message.
pub fn roc_curve(
    model: &str,
    scores: &[f64],
    y: &[bool],
    replicates: usize,
    rng: &mut SeededRng,
) -> Result<RocCurve, String> {
    let points = roc_points(scores, y)?;
    let auc = mmrad_evaluation::auc(scores, y).map_err(|e| e.to_string())?;
    let grid: Vec<f64> = (0..=50).map(|k| f64::from(k) / 50.0).collect();
    let events: Vec<usize> = (0..y.len()).filter(|&i| y[i]).collect();
    let non_events: Vec<usize> = (0..y.len()).filter(|&i| !y[i]).collect();
    let mut sens: Vec<Vec<f64>> = vec![Vec::with_capacity(replicates); grid.len()];
    for _ in 0..replicates {
        let mut rows = Vec::with_capacity(y.len());
        for class in [&events, &non_events] {
            for _ in 0..class.len() {
                rows.push(class[rng.below(class.len())]);
            }
        }
        let s: Vec<f64> = rows.iter().map(|&i| scores[i]).collect();
        let t: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
        for (k, se) in sensitivity_at_specificities(&s, &t, &grid)?
            .into_iter()
            .enumerate()
        {
            sens[k].push(se);
        }
    }
    let band = grid
        .iter()
        .zip(sens)
        .map(|(&spec, values)| {
            let q = |p: f64| mmrad_stats::quantile(&values, p).unwrap_or(f64::NAN);
            (1.0 - spec, q(0.025), q(0.975))
        })
        .collect();
    Ok(RocCurve {
        model: model.to_owned(),
        auc,
        points,
        band,
    })
}

fn roc_points(scores: &[f64], y: &[bool]) -> Result<Vec<(f64, f64)>, String> {
    let roc = mmrad_evaluation::roc_curve(scores, y).map_err(|e| e.to_string())?;
    let mut points: Vec<(f64, f64)> = roc.iter().map(|p| (1.0 - p.specificity, p.sensitivity)).collect();
    points.push((0.0, 0.0));
    points.push((1.0, 1.0));
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    points.dedup();
    Ok(points)
}

/// The sensitivity of the empirical ROC curve of `scores` at each of `specificities`, as pROC's
/// `coords(input = "specificity", ret = "sensitivity")` reads it: at a specificity the curve reaches, the largest
/// sensitivity there; between two, linear interpolation along the curve's segment (a diagonal one where cases and
/// controls tie on a score).
///
/// # Errors
/// As `mmrad_evaluation::roc_curve` (one class, non-finite scores, length mismatch), as a message.
pub fn sensitivity_at_specificities(
    scores: &[f64],
    y: &[bool],
    specificities: &[f64],
) -> Result<Vec<f64>, String> {
    // (specificity, sensitivity), ascending in specificity and, at one specificity, descending in sensitivity: the
    // curve's order from (0, 1) to (1, 0).
    let mut curve: Vec<(f64, f64)> = roc_points(scores, y)?
        .into_iter()
        .map(|(fpr, se)| (1.0 - fpr, se))
        .collect();
    curve.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    Ok(specificities
        .iter()
        .map(|&sp| sensitivity_on_curve(&curve, sp))
        .collect())
}

/// Tolerance for "the curve reaches this specificity": specificities are multiples of 1 / (number of controls).
const SPECIFICITY_TIE: f64 = 1e-12;

fn sensitivity_on_curve(curve: &[(f64, f64)], sp: f64) -> f64 {
    let exact = curve
        .iter()
        .filter(|p| (p.0 - sp).abs() <= SPECIFICITY_TIE)
        .map(|p| p.1)
        .fold(f64::NEG_INFINITY, f64::max);
    if exact.is_finite() {
        return exact;
    }
    // The segment crossing `sp` runs from the last point below it to the first point above it.
    let below = curve.iter().rev().find(|p| p.0 < sp);
    let above = curve.iter().find(|p| p.0 > sp);
    match (below, above) {
        (Some(&(sp0, se0)), Some(&(sp1, se1))) => se0 + (se1 - se0) * (sp - sp0) / (sp1 - sp0),
        (Some(&(_, se)), None) | (None, Some(&(_, se))) => se,
        (None, None) => f64::NAN,
    }
}

/// ROC curves with their bands.
///
/// # Errors
/// A plotters drawing error, as a message.
pub fn roc_svg(curves: &[RocCurve]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("ROC curves (out-of-fold)", (FONT, 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("1 − specificity")
            .y_desc("Sensitivity")
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                ShapeStyle::from(&RGBColor(150, 150, 150)).stroke_width(1),
            ))
            .map_err(err)?;
        for (k, curve) in curves.iter().enumerate() {
            let c = colour(k);
            let mut polygon: Vec<(f64, f64)> = curve.band.iter().map(|b| (b.0, b.2)).collect();
            polygon.extend(curve.band.iter().rev().map(|b| (b.0, b.1)));
            chart
                .draw_series(std::iter::once(Polygon::new(polygon, c.mix(0.15).filled())))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(curve.points.iter().copied(), c.stroke_width(2)))
                .map_err(err)?
                .label(format!("{} (AUC {:.3})", curve.model, curve.auc))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// One model of [`calibration_svg`].
#[derive(Debug, Clone)]
pub struct CalibrationFigure {
    pub model: String,
    pub groups: Vec<CalibrationGroup>,
    /// Case-mean out-of-fold probabilities.
    pub predictions: Vec<f64>,
    /// 0/1 outcomes, in the order of `predictions`.
    pub outcomes: Vec<f64>,
}

/// The lowess-smoothed observed rate over the sorted predictions (`lowess(p, y, iter = 0)`, the curve
/// `rms::val.prob` draws and whose distances to the diagonal are the Emax/E90/Eavg columns of `metrics.csv`),
/// clamped to [0, 1] for drawing.
fn smooth_curve(predictions: &[f64], outcomes: &[f64]) -> Result<Vec<(f64, f64)>, String> {
    let options = mmrad_evaluation::LowessOptions {
        iterations: 0,
        ..mmrad_evaluation::LowessOptions::default()
    };
    let fitted = mmrad_evaluation::lowess_with_options(predictions, outcomes, &options).map_err(err)?;
    let mut points: Vec<(f64, f64)> = predictions
        .iter()
        .zip(&fitted)
        .map(|(&p, &s)| (p, s.clamp(0.0, 1.0)))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    Ok(points)
}

/// Calibration of each model: the lowess-smoothed calibration curve, grouped mean predicted vs observed rate with
/// Wilson 95 % intervals, the diagonal, and a histogram of the predicted probabilities (20 bins) along the bottom.
///
/// # Errors
/// A plotters drawing error, or predictions or outcomes that cannot be smoothed, as a message.
pub fn calibration_svg(models: &[CalibrationFigure]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Calibration (case-mean out-of-fold probability)", (FONT, 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..1f64, -0.12f64..1f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("Predicted probability")
            .y_desc("Observed proportion")
            .y_labels(6)
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                ShapeStyle::from(&RGBColor(150, 150, 150)).stroke_width(1),
            ))
            .map_err(err)?;
        let n_models = models.len().max(1);
        for (k, figure) in models.iter().enumerate() {
            let (model, groups, predictions) = (&figure.model, &figure.groups, &figure.predictions);
            let c = colour(k);
            // Histogram rug: bins of 0.05, heights scaled to at most 0.1, stacked below 0 per model.
            let mut bins = [0usize; 20];
            for &p in predictions.iter().filter(|p| p.is_finite()) {
                bins[((p * 20.0).floor().max(0.0) as usize).min(19)] += 1;
            }
            let tallest = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
            let base = -0.12 + 0.12 * k as f64 / n_models as f64;
            let height = 0.11 / n_models as f64;
            chart
                .draw_series(bins.iter().enumerate().filter(|(_, n)| **n > 0).map(|(b, &n)| {
                    let x0 = b as f64 / 20.0;
                    Rectangle::new(
                        [
                            (x0 + 0.005, base),
                            (x0 + 0.045, base + height * n as f64 / tallest),
                        ],
                        c.mix(0.6).filled(),
                    )
                }))
                .map_err(err)?;
            chart
                .draw_series(groups.iter().map(|g| {
                    PathElement::new(
                        vec![(g.mean_predicted, g.lo), (g.mean_predicted, g.hi)],
                        c.stroke_width(1),
                    )
                }))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    smooth_curve(predictions, &figure.outcomes)?,
                    c.stroke_width(2),
                ))
                .map_err(err)?
                .label(model.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            chart
                .draw_series(
                    groups
                        .iter()
                        .map(|g| Circle::new((g.mean_predicted, g.observed_rate), 4, c.filled())),
                )
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Decision curves: net benefit of each model, treat all and treat none, over the threshold grid.
///
/// # Errors
/// A plotters drawing error, as a message.
pub fn dca_svg(curves: &[(String, Vec<NetBenefit>)]) -> Result<String, String> {
    let treat_all: Vec<(f64, f64)> = curves
        .first()
        .map(|(_, c)| c.iter().map(|nb| (nb.threshold, nb.treat_all)).collect())
        .unwrap_or_default();
    let top = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|nb| nb.model.max(nb.treat_all)))
        .filter(|v| v.is_finite())
        .fold(0.05f64, f64::max);
    let bottom = -0.05 - top * 0.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Decision curves", (FONT, 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..1f64, bottom..top * 1.05)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("Threshold probability")
            .y_desc("Net benefit")
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(err)?;
        let clip = |v: f64| v.max(bottom);
        let grey = RGBColor(120, 120, 120);
        chart
            .draw_series(LineSeries::new(
                treat_all.iter().map(|&(t, v)| (t, clip(v))),
                ShapeStyle::from(&grey).stroke_width(2),
            ))
            .map_err(err)?
            .label("treat all")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey.stroke_width(2)));
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 0.0)], BLACK.stroke_width(1)))
            .map_err(err)?
            .label("treat none")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        for (k, (model, curve)) in curves.iter().enumerate() {
            let c = colour(k);
            chart
                .draw_series(LineSeries::new(
                    curve
                        .iter()
                        .filter(|nb| nb.model.is_finite())
                        .map(|nb| (nb.threshold, clip(nb.model))),
                    c.stroke_width(2),
                ))
                .map_err(err)?
                .label(model.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// The nomogram as `rms::nomogram` lays it out (its default `nint = 10`, `maxscale = 100`): per predictor the tick
/// values ([`mmrad_modeling::axis_values`]) and their points, the total-points ticks (`pretty(c(0, Σ max points),
/// 10)`) with their probability, and probability ticks with their total points.
#[derive(Debug, Clone, PartialEq)]
pub struct NomogramLayout {
    /// Per predictor: its name and (value, points) at each tick.
    pub axes: Vec<(String, Vec<(f64, f64)>)>,
    /// (total points, probability) at each total-points tick.
    pub totals: Vec<(f64, f64)>,
    /// (probability, total points) for the probabilities 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99 inside
    /// the total-points range.
    pub probabilities: Vec<(f64, f64)>,
}

impl NomogramLayout {
    /// The layout of a fitted logistic model whose design matrix (one column per slope, `terms` order) is `x`.
    ///
    /// # Errors
    /// A message when a column has no finite value or every predictor spans zero points (e.g. all coefficients 0).
    pub fn new(
        fit: &mmrad_modeling::FittedLogistic,
        terms: &[String],
        x: ndarray::ArrayView2<'_, f64>,
    ) -> Result<NomogramLayout, String> {
        let ticks: Vec<Vec<f64>> = x
            .columns()
            .into_iter()
            .map(|c| mmrad_modeling::axis_values(&c.to_vec()))
            .collect();
        let mut ranges = Vec::with_capacity(ticks.len());
        for (j, t) in ticks.iter().enumerate() {
            match (t.first(), t.last()) {
                (Some(&lo), Some(&hi)) => ranges.push((lo, hi)),
                _ => {
                    return Err(format!(
                        "nomogram: predictor `{}` has no finite value",
                        terms.get(j).map_or("?", String::as_str)
                    ));
                }
            }
        }
        let nomogram = mmrad_modeling::Nomogram::new(fit, &ranges).map_err(|e| format!("nomogram: {e}"))?;
        let axes: Vec<(String, Vec<(f64, f64)>)> = nomogram
            .axes()
            .iter()
            .zip(&ticks)
            .enumerate()
            .map(|(j, (axis, values))| {
                let name = terms.get(j).cloned().unwrap_or_else(|| axis.term.clone());
                let points = values
                    .iter()
                    .map(|&v| (v, axis.coef * (v - axis.zero_at) * nomogram.points_per_lp()))
                    .collect();
                (name, points)
            })
            .collect();
        let max_total: f64 = nomogram.axes().iter().map(|a| a.max_points).sum();
        let totals: Vec<(f64, f64)> = mmrad_modeling::pretty(0.0, max_total, 10)
            .into_iter()
            .map(|t| (t, nomogram.probability(t)))
            .collect();
        let last = totals.last().map_or(max_total, |t| t.0);
        let probabilities = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]
            .into_iter()
            .filter_map(|p| nomogram.points_for_probability(p).ok().map(|t| (p, t)))
            .filter(|&(_, t)| (0.0..=last).contains(&t))
            .collect();
        Ok(NomogramLayout {
            axes,
            totals,
            probabilities,
        })
    }

    /// `nomogram.csv`: `kind,term,value,points,probability` with kinds `term` (a predictor tick), `total` (a
    /// total-points tick) and `probability` (a probability tick).
    pub fn csv(&self) -> String {
        use crate::output::{Csv, Field};
        let mut csv = Csv::new(&["kind", "term", "value", "points", "probability"]);
        for (term, ticks) in &self.axes {
            for &(value, points) in ticks {
                csv.row(vec![
                    "term".into(),
                    term.as_str().into(),
                    value.into(),
                    points.into(),
                    Field::Empty,
                ]);
            }
        }
        for &(total, p) in &self.totals {
            csv.row(vec![
                "total".into(),
                "total_points".into(),
                total.into(),
                total.into(),
                p.into(),
            ]);
        }
        for &(p, total) in &self.probabilities {
            csv.row(vec![
                "probability".into(),
                "probability".into(),
                p.into(),
                total.into(),
                p.into(),
            ]);
        }
        csv.as_str().to_owned()
    }

    /// The drawing: a 0–100 points ruler, one axis per predictor placed under the points it earns, the total-points
    /// axis and the probability axis under it.
    ///
    /// # Errors
    /// A plotters drawing error, as a message.
    pub fn svg(&self) -> Result<String, String> {
        let rows = self.axes.len() + 3;
        let row_height = 44i32;
        let height = (rows as i32 * row_height + 40).max(200) as u32;
        let width = SIZE.0 + 80;
        let (left, right) = (170i32, width as i32 - 30);
        let max_total = self.totals.last().map_or(100.0, |t| t.0).max(1e-12);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(err)?;
            let label = TextStyle::from((FONT, 14).into_font()).color(&BLACK);
            let tick_label = TextStyle::from((FONT, 11).into_font()).color(&BLACK).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Top,
                ),
            );
            let scale = |value: f64, full: f64| left + ((right - left) as f64 * value / full).round() as i32;
            let draw_axis =
                |row: usize, name: &str, ticks: &[(f64, String)], full: f64| -> Result<(), String> {
                    let y = 30 + row as i32 * row_height;
                    root.draw(&Text::new(name.to_owned(), (10, y - 7), label.clone()))
                        .map_err(err)?;
                    let xs: Vec<i32> = ticks.iter().map(|(v, _)| scale(*v, full)).collect();
                    if let (Some(&a), Some(&b)) = (xs.iter().min(), xs.iter().max()) {
                        root.draw(&PathElement::new(vec![(a, y), (b, y)], BLACK.stroke_width(1)))
                            .map_err(err)?;
                    }
                    for (x, (_, text)) in xs.iter().zip(ticks) {
                        root.draw(&PathElement::new(
                            vec![(*x, y), (*x, y - 6)],
                            BLACK.stroke_width(1),
                        ))
                        .map_err(err)?;
                        root.draw(&Text::new(text.clone(), (*x, y + 3), tick_label.clone()))
                            .map_err(err)?;
                    }
                    Ok(())
                };
            let points_ticks: Vec<(f64, String)> = (0..=10)
                .map(|k| (f64::from(k) * 10.0, format!("{}", k * 10)))
                .collect();
            draw_axis(0, "Points", &points_ticks, 100.0)?;
            for (j, (name, ticks)) in self.axes.iter().enumerate() {
                let labelled: Vec<(f64, String)> = ticks.iter().map(|&(v, p)| (p, format_tick(v))).collect();
                draw_axis(j + 1, name, &labelled, 100.0)?;
            }
            let totals: Vec<(f64, String)> = self.totals.iter().map(|&(t, _)| (t, format_tick(t))).collect();
            draw_axis(self.axes.len() + 1, "Total points", &totals, max_total)?;
            let probabilities: Vec<(f64, String)> = self
                .probabilities
                .iter()
                .map(|&(p, t)| (t, format_tick(p)))
                .collect();
            draw_axis(self.axes.len() + 2, "Probability", &probabilities, max_total)?;
            root.present().map_err(err)?;
        }
        Ok(svg)
    }
}

/// A tick label: up to 4 significant decimals, no trailing zeros.
fn format_tick(v: f64) -> String {
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Forest plot of the modality ablation: one row per subset (label, AUC, CI low, CI high), top to bottom in the
/// given order, with a dashed line at AUC 0.5. Non-finite values leave their row empty.
///
/// # Errors
/// A plotters drawing error, as a message.
pub fn forest_svg(rows: &[(String, f64, f64, f64)]) -> Result<String, String> {
    let n = rows.len().max(1);
    let height = (80 + 22 * n as u32).max(200);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0 + 80, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        // The labels sit inside the plot, left of x = 0.3 (the x axis starts at 0.3 AUC for the bars, the labels
        // take the band x < 0.3, whose tick labels are hidden).
        let mut chart = ChartBuilder::on(&root)
            .caption("Modality ablation: AUC with 95% CI", (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(10)
            .build_cartesian_2d(-0.15f64..1f64, 0f64..n as f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_y_axis()
            .x_desc("AUC (out-of-fold)")
            .x_label_formatter(&|x: &f64| {
                if *x < 0.3 - 1e-9 {
                    String::new()
                } else {
                    format!("{x:.1}")
                }
            })
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(err)?;
        let label_style = TextStyle::from((FONT, 13).into_font()).color(&BLACK).pos(
            plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            ),
        );
        chart
            .draw_series(rows.iter().enumerate().map(|(k, r)| {
                Text::new(
                    r.0.clone(),
                    (-0.14, n as f64 - k as f64 - 0.5),
                    label_style.clone(),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.5, 0.0), (0.5, n as f64)],
                4,
                4,
                ShapeStyle::from(&RGBColor(150, 150, 150)).stroke_width(1),
            ))
            .map_err(err)?;
        let c = colour(0);
        for (k, (_, auc, lo, hi)) in rows.iter().enumerate() {
            let y = n as f64 - k as f64 - 0.5;
            if lo.is_finite() && hi.is_finite() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(*lo, y), (*hi, y)],
                        c.stroke_width(2),
                    )))
                    .map_err(err)?;
            }
            if auc.is_finite() {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(auc - 0.006, y - 0.2), (auc + 0.006, y + 0.2)],
                        c.filled(),
                    )))
                    .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}
