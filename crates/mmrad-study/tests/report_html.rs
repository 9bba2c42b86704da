//! `report.html` and the figures of a run: present, self-contained (no `http`, no script, inline SVG), holding the
//! synthetic-data notice, the checklist and every table; byte-identical for 1 and 2 threads; and rendered by
//! headless Chromium into `report.png` in the run folder, which must not be blank, with no console error (the
//! console check itself is shown to catch an error on a page that logs one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use mmrad_study::run::{RunOptions, run_study};

const PROTOCOL: &str = r#"
version: 1
name: report-test
seed: 7
cohort: { synthetic: { level: features, generator: liang2025, n: 60, events: 20 } }
outcome: pcr
modalities: { CT: {}, US: {} }
selection:
  - univariate: { test: mann_whitney, p_max: 0.1 }
  - lasso: { lambda: 1se, inner_folds: 5 }
models:
  fusion: { of: [CT, US] }
  clinical: { candidates: [pr, her2, ct_stage] }
  combined: { of: [clinical, fusion] }
validation: { scheme: stratified_kfold, folds: 3, repeats: 2 }
evaluation: { calibration: { groups: 5 }, dca: true }
"#;

fn run(threads: usize) -> PathBuf {
    let plan = mmrad_protocol::parse(PROTOCOL, Path::new(".")).unwrap();
    let out = std::env::temp_dir().join(format!("mmrad-report-{threads}-{}", std::process::id()));
    let options = RunOptions {
        out_dir: out.clone(),
        threads,
        progress: false,
        protocol_bytes: PROTOCOL.as_bytes().to_vec(),
        protocol_path: None,
        no_cache: false,
    };
    run_study(&plan, &options).unwrap();
    out
}

#[test]
fn report_is_self_contained_deterministic_and_renders_in_chromium() {
    let out = run(1);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for needle in [
        "Synthetic data.",
        "Reporting checklist",
        "Odds ratios",
        "selection frequency",
        "<svg",
        "ROC curves",
        "Decision curves",
        "Total points",
        "Manifest",
    ] {
        assert!(html.contains(needle), "report.html lacks `{needle}`");
    }
    // Only the SVG namespace may name a URL; nothing is fetched.
    assert!(
        !html
            .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
            .contains("http")
    );
    assert!(!html.contains("<script"), "report.html must not run scripts");
    assert!(!html.contains(" src="), "report.html must not load anything");
    for figure in ["roc.svg", "calibration.svg", "dca.svg", "nomogram.svg"] {
        let svg = std::fs::read_to_string(out.join("figures").join(figure)).unwrap();
        assert!(svg.contains("<svg") && svg.len() > 1000, "{figure}");
    }
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("report.html") && manifest.contains("figures/roc.svg"));

    let out2 = run(2);
    for file in [
        "report.html",
        "figures/roc.svg",
        "figures/calibration.svg",
        "figures/dca.svg",
        "figures/nomogram.svg",
    ] {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(out2.join(file)).unwrap(),
            "{file} differs between 1 and 2 threads"
        );
    }

    // A page that logs a console error is caught, so the check below can fail.
    let bad = out.join("console-error.html");
    std::fs::write(
        &bad,
        "<html><body><p>x</p><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let (_, console) = render(&bad, &out.join("console-error.png"));
    assert!(
        console.iter().any(|l| l.contains("boom")),
        "console capture failed: {console:?}"
    );

    let png = out.join("report.png");
    let (status, console) = render(&out.join("report.html"), &png);
    assert!(status, "chromium failed");
    assert!(console.is_empty(), "console messages: {console:?}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let non_white = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|&v| v < 200))
        .count();
    let total = pixels.len() / channels;
    // Text, tables and figures cover well over 1 % of a 1200×4000 page; a blank page has none.
    assert!(
        non_white * 100 > total,
        "screenshot is blank: {non_white} of {total} pixels are not white"
    );
    eprintln!(
        "report.png: {non_white} of {total} pixels drawn; kept at {}",
        png.display()
    );
}

/// Renders `page` with headless Chromium into `png`; returns success and the console lines it logged.
fn render(page: &Path, png: &Path) -> (bool, Vec<String>) {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!(
                "headless Chromium is needed for this test: `apt-get install chromium` (.ci/run installs it)"
            )
        });
    let profile = png.with_extension("profile");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,4000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    (output.status.success() && png.exists(), console)
}

#[test]
fn degenerate_inputs_draw_without_panicking() {
    use mmrad_core::SeededRng;
    use mmrad_study::figures;
    let y: Vec<bool> = (0..12).map(|i| i % 3 == 0).collect();
    // All-equal predictions: a diagonal ROC with AUC 0.5 and a band.
    let curve = figures::roc_curve("flat", &[0.3; 12], &y, 20, &mut SeededRng::new(1)).unwrap();
    assert_eq!(curve.auc, 0.5);
    assert_eq!(curve.points, vec![(0.0, 0.0), (1.0, 1.0)]);
    assert!(figures::roc_svg(&[curve]).unwrap().contains("<svg"));
    // One class: a clear error, not a panic.
    assert!(figures::roc_curve("one class", &[0.3; 4], &[true; 4], 20, &mut SeededRng::new(1)).is_err());
    // Nothing to draw: empty axes, still a figure.
    assert!(figures::calibration_svg(&[]).unwrap().contains("<svg"));
    assert!(figures::dca_svg(&[]).unwrap().contains("<svg"));
    // The ablation forest plot with an undefined interval draws the rows it can.
    let forest = figures::forest_svg(&[
        ("CT".into(), 0.8, 0.7, 0.9),
        ("US".into(), 0.6, f64::NAN, f64::NAN),
    ])
    .unwrap();
    assert!(forest.contains("CT") && forest.contains("US"));
}

#[test]
fn calibration_figure_draws_the_val_prob_lowess_curve() {
    use mmrad_study::figures::{CalibrationFigure, calibration_svg};
    // The curve is `lowess(p, y, iter = 0)` (the smoother is tested against R's lowess in mmrad-evaluation), drawn
    // with one vertex per case.
    let p: Vec<f64> = (0..12).map(|i| 0.05 + 0.08 * f64::from(i)).collect();
    let y: Vec<f64> = (0..12)
        .map(|i| f64::from(u8::from(i % 3 == 0 || i > 8)))
        .collect();
    let svg = calibration_svg(&[CalibrationFigure {
        model: "m".into(),
        groups: vec![],
        predictions: p.clone(),
        outcomes: y.clone(),
    }])
    .unwrap();
    let smooth = mmrad_evaluation::lowess_with_options(
        &p,
        &y,
        &mmrad_evaluation::LowessOptions {
            iterations: 0,
            ..Default::default()
        },
    )
    .unwrap();
    let polylines: Vec<&str> = svg
        .match_indices("<polyline")
        .map(|(i, _)| &svg[i..i + svg[i..].find("/>").unwrap()])
        .collect();
    // The diagonal (2 vertices) and the curve (12).
    let counts: Vec<usize> = polylines
        .iter()
        .map(|l| {
            let start = l.find("points=\"").unwrap() + 8;
            l[start..start + l[start..].find('"').unwrap()]
                .split_whitespace()
                .count()
        })
        .collect();
    assert!(counts.contains(&12), "{counts:?}");
    // Not the straight group line: the smoothed values differ from the raw outcomes.
    assert!(
        smooth.iter().zip(&y).any(|(s, o)| (s - o).abs() > 0.05),
        "{smooth:?}"
    );
}
