//! Property tests of the two YAML readers on mutated valid files: the protocol loader and the PyRadiomics parameter
//! file parser return `Ok` or an error that says where (YAML path, key, `line:column`), and never panic.
//!
//! Mutations, applied one to four at a time to a committed valid file: truncation at any byte, a byte flipped to any
//! value, a line deleted (a key removed), a line duplicated (a key repeated), a value swapped for another type or an
//! extreme (`-1`, `1e400`, `.nan`, `.inf`, `[]`, `{}`, 20-digit integers, ...), and indentation shifted. The runs are
//! seeded and persist no failure file, so `cargo test` always tries the same inputs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

use mmrad_protocol::params_file::parse_params;

/// Values swapped in for a scalar: other types, extremes and non-finite numbers.
const SWAPS: &[&str] = &[
    "-1",
    "0",
    "1e400",
    "-1e400",
    ".nan",
    ".inf",
    "-.inf",
    "99999999999999999999",
    "18446744073709551616",
    "[]",
    "{}",
    "[1, [2]]",
    "\"\"",
    "~",
    "true",
    "x",
    "&a [*a]",
    "!!binary AAAA",
    "0x10",
    "1.5",
];

/// One mutation: a kind and two free numbers that pick the position and the value.
type Mutation = (u8, u64, u64);

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(2025),
        ..Config::default()
    })
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec((0u8..6, any::<u64>(), any::<u64>()), 1..5)
}

/// Applies the mutations to `text` (as bytes; a byte flip may leave invalid UTF-8, read back lossily).
fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(kind, a, b) in mutations {
        if bytes.is_empty() {
            break;
        }
        let at = (a % bytes.len() as u64) as usize;
        match kind {
            0 => bytes.truncate(at),
            1 => bytes[at] = (b % 256) as u8,
            2 | 3 => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                let line = (b % lines.len().max(1) as u64) as usize;
                let mut out: Vec<&str> = Vec::with_capacity(lines.len() + 1);
                for (idx, l) in lines.iter().enumerate() {
                    if idx != line || kind == 3 {
                        out.push(l);
                    }
                    if idx == line && kind == 3 {
                        out.push(l);
                    }
                }
                bytes = out.join("\n").into_bytes();
            }
            4 => {
                // Swap the value after the `at`-th ": " (or the scalar after a `[` / `,`).
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let starts: Vec<usize> = text.match_indices(": ").map(|(i, _)| i + 2).collect();
                if let Some(&start) = starts.get(at % starts.len().max(1)) {
                    let end = text[start..]
                        .find([',', '}', ']', '\n'])
                        .map_or(text.len(), |e| start + e);
                    let swap = SWAPS[(b % SWAPS.len() as u64) as usize];
                    bytes = format!("{}{swap}{}", &text[..start], &text[end..]).into_bytes();
                }
            }
            _ => {
                // Shift the indentation of one line.
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
                if !lines.is_empty() {
                    let idx = (b as usize) % lines.len();
                    lines[idx] = if a % 2 == 0 {
                        format!("  {}", lines[idx])
                    } else {
                        lines[idx].trim_start().to_owned()
                    };
                }
                bytes = lines.join("\n").into_bytes();
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// An error must say where: a YAML path, a `line:column`, or a key / value in backticks.
fn says_where(error: &mmrad_protocol::Error) -> Result<(), TestCaseError> {
    let message = error.to_string();
    prop_assert!(!message.trim().is_empty(), "empty message: {error:?}");
    let located = error.yaml_path().is_some_and(|p| !p.is_empty())
        || error.location().is_some()
        || message.contains('`');
    prop_assert!(located, "the error does not say where: {message}");
    Ok(())
}

fn workspace_file(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn mutated_protocols_are_read_or_rejected_with_a_location() {
    let bases = [
        workspace_file("studies/liang2025.yaml"),
        workspace_file("studies/smoke.yaml"),
        workspace_file("studies/smoke-images.yaml"),
        workspace_file("tests/data/bad/text/ok.yaml"),
    ];
    for base in &bases {
        assert!(
            mmrad_protocol::parse(base, Path::new("studies")).is_ok(),
            "a base protocol must be valid"
        );
    }
    let base_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../studies");
    let strategy = (0..bases.len(), mutations());
    runner(20_000)
        .run(&strategy, |(base, mutations)| {
            let text = mutate(&bases[base], &mutations);
            match mmrad_protocol::parse(&text, &base_dir) {
                Ok(_) => Ok(()),
                Err(error) => says_where(&error),
            }
        })
        .unwrap();
}

#[test]
fn mutated_params_files_are_read_or_rejected_with_a_location() {
    let bases = [
        workspace_file("tests/data/params/a_original_all.yaml"),
        workspace_file("tests/data/params/b_resampled_log_wavelet.yaml"),
        workspace_file("tests/data/params/c_force2d_shape2d.yaml"),
        workspace_file("tests/data/params/d_pointwise_gradient_log_wavelet.yaml"),
        workspace_file("tests/data/params/pyradiomics_examples/exampleCT.yaml"),
        workspace_file("tests/data/params/pyradiomics_examples/exampleVoxel.yaml"),
        workspace_file("tests/data/bad/text/params_ok.yaml"),
    ];
    for base in &bases {
        assert!(
            parse_params(base, &[]).is_ok(),
            "a base parameter file must be valid"
        );
    }
    let strategy = (0..bases.len(), mutations());
    runner(20_000)
        .run(&strategy, |(base, mutations)| {
            let text = mutate(&bases[base], &mutations);
            match parse_params(&text, &[]) {
                Ok(_) => Ok(()),
                Err(error) => says_where(&error),
            }
        })
        .unwrap();
}

/// `-s key:value` overrides with every known key and hostile values.
#[test]
fn setting_overrides_are_read_or_rejected_with_the_key() {
    const KEYS: &[&str] = &[
        "binWidth",
        "binCount",
        "label",
        "resampledPixelSpacing",
        "interpolator",
        "padDistance",
        "distances",
        "force2D",
        "force2Ddimension",
        "resegmentRange",
        "normalizeScale",
        "voxelArrayShift",
        "sigma",
        "minimumROISize",
        "weightingNorm",
        "gldm_a",
        "lbp2DRadius",
        "start_level",
        "wavelet",
        "noSuchKey",
    ];
    let values = prop_oneof![
        Just(String::new()),
        Just("nan".to_owned()),
        Just("inf".to_owned()),
        Just("-1".to_owned()),
        Just("1e400".to_owned()),
        Just("1,2,,3".to_owned()),
        Just("true".to_owned()),
        Just("99999999999999999999".to_owned()),
        any::<f64>().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        "[a-z0-9,.:-]{0,12}",
    ];
    let strategy = (0..KEYS.len(), values);
    runner(5000)
        .run(&strategy, |(key, value)| {
            let key = KEYS[key];
            match parse_params("", &[format!("{key}:{value}")]) {
                Ok(_) => Ok(()),
                Err(error) => {
                    says_where(&error)?;
                    let named = error.yaml_path().unwrap_or_default().contains(key)
                        || error.to_string().contains(key);
                    prop_assert!(
                        named,
                        "`-s {key}:{value}`: the error does not name the key: {error}"
                    );
                    Ok(())
                }
            }
        })
        .unwrap();
}

#[test]
fn the_mutations_change_the_text() {
    let text = "a: 1\nb: [2, 3]\n";
    assert_eq!(mutate(text, &[(0, 4, 0)]), "a: 1");
    assert_eq!(mutate(text, &[(2, 0, 1)]), "a: 1");
    assert_eq!(mutate(text, &[(3, 0, 0)]), "a: 1\na: 1\nb: [2, 3]");
    assert_eq!(mutate(text, &[(4, 0, 4)]), "a: .nan\nb: [2, 3]\n");
    assert_eq!(mutate(text, &[(1, 0, u64::from(b'c'))]), "c: 1\nb: [2, 3]\n");
}
