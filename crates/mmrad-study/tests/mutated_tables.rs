//! Property tests of the table readers on mutated valid files: CSV and Parquet tables read by `mmrad eval` /
//! `mmrad lasso` ([`read_numeric`], [`eval_file`]), the clinical table of a protocol's cohort ([`cohort::load`]) and
//! batch CSVs ([`read_batch`]) give `Ok` or an error naming the file (and the column and case when there is one),
//! never a panic.
//!
//! Mutations, one to four at a time: truncation at any byte, a byte flipped to any value, a row deleted or
//! duplicated, a cell swapped for a hostile value (`NaN`, `inf`, `1e400`, empty, text, a stray quote or comma), a
//! byte-order mark, CRLF line ends. Parquet files get truncations and byte flips. Seeded, no failure file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

use mmrad_study::cohort;
use mmrad_study::extract_batch::{BatchOutput, Cell, ColumnKind, read_batch};
use mmrad_study::tools::{eval_file, read_numeric};

const SWAPS: &[&str] = &[
    "NaN", "nan", "inf", "-inf", "1e400", "-1e400", "", " ", "x", "\"", "\"\"", ",", "1,2", "-0", "0x1",
    "1e-400", "2", "-1", "NA", "null", "\u{feff}", "é",
];

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
    prop::collection::vec((0u8..7, any::<u64>(), any::<u64>()), 1..5)
}

fn mutate_csv(text: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = text.to_vec();
    for &(kind, a, b) in mutations {
        if bytes.is_empty() {
            break;
        }
        let at = (a % bytes.len() as u64) as usize;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let line = (b % lines.len().max(1) as u64) as usize;
        match kind {
            0 => bytes.truncate(at),
            1 => bytes[at] = (b % 256) as u8,
            2 if !lines.is_empty() => {
                lines.remove(line);
                bytes = (lines.join("\n") + "\n").into_bytes();
            }
            3 if !lines.is_empty() => {
                let copy = lines[line].clone();
                lines.insert(line, copy);
                bytes = (lines.join("\n") + "\n").into_bytes();
            }
            4 if !lines.is_empty() => {
                let mut cells: Vec<String> = lines[line].split(',').map(str::to_owned).collect();
                let cell = (a % cells.len() as u64) as usize;
                cells[cell] = SWAPS[(b % SWAPS.len() as u64) as usize].to_owned();
                lines[line] = cells.join(",");
                bytes = (lines.join("\n") + "\n").into_bytes();
            }
            5 => bytes.splice(0..0, "\u{feff}".bytes()).for_each(drop),
            _ => bytes = (lines.join("\r\n") + "\r\n").into_bytes(),
        }
    }
    bytes
}

fn mutate_binary(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    for &(kind, a, b) in mutations {
        if bytes.is_empty() {
            break;
        }
        let at = (a % bytes.len() as u64) as usize;
        if kind % 2 == 0 {
            bytes.truncate(at);
        } else {
            bytes[at] = (b % 256) as u8;
        }
    }
    bytes
}

/// An error about a table names the table, or a column or value in backticks.
fn names_the_table(error: &mmrad_study::Error, file_name: &str) -> Result<(), TestCaseError> {
    let message = error.to_string();
    prop_assert!(
        message.contains(file_name) || message.contains('`'),
        "the error names neither the table nor a column: {message}"
    );
    prop_assert!(!message.contains('\n'), "a one-line message expected: {message}");
    Ok(())
}

fn corpus(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/bad/text")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mutated-tables-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn mutated_csv_tables_of_eval_and_lasso() {
    let dir = scratch("tools");
    let bases = [
        corpus("e_preds.csv"),
        corpus("l_table.csv"),
        corpus("clinical.csv"),
    ];
    let path = dir.join("mutated.csv");
    runner(1500)
        .run(&(0..bases.len(), mutations()), |(base, mutations)| {
            std::fs::write(&path, mutate_csv(&bases[base], &mutations)).unwrap();
            if let Err(error) = read_numeric(&path, &["case_id"]) {
                names_the_table(&error, "mutated.csv")?;
            }
            let (outcome, score) = [("y", "score_a"), ("y", "x1"), ("pcr", "er")][base];
            if let Err(error) = eval_file(&path, outcome, &[score.to_owned()], 10) {
                names_the_table(&error, "mutated.csv")?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_parquet_tables() {
    let dir = scratch("parquet");
    let text = String::from_utf8(corpus("e_preds.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let columns = header
        .iter()
        .map(|&name| {
            let kind = if name == "case_id" {
                ColumnKind::Copied
            } else {
                ColumnKind::Feature
            };
            (name.to_owned(), kind)
        })
        .collect();
    let rows = lines
        .map(|line| {
            line.split(',')
                .map(|cell| {
                    cell.parse::<f64>()
                        .map_or_else(|_| Cell::Text(cell.to_owned()), Cell::Float)
                })
                .collect()
        })
        .collect();
    let table = BatchOutput {
        columns,
        rows,
        failures: Vec::new(),
        skipped: 0,
    };
    let path = dir.join("mutated.parquet");
    let valid = table.to_parquet(&path).unwrap();
    std::fs::write(&path, &valid).unwrap();
    assert!(
        eval_file(&path, "y", &["score_a".to_owned()], 10).is_ok(),
        "the base Parquet file must be valid"
    );
    runner(1500)
        .run(&mutations(), |mutations| {
            std::fs::write(&path, mutate_binary(&valid, &mutations)).unwrap();
            if let Err(error) = read_numeric(&path, &["case_id"]) {
                names_the_table(&error, "mutated.parquet")?;
            }
            if let Err(error) = eval_file(&path, "y", &["score_a".to_owned(), "score_b".to_owned()], 10) {
                names_the_table(&error, "mutated.parquet")?;
            }
            Ok(())
        })
        .unwrap();
}

/// The clinical table of a manifest cohort, read and joined with the feature tables as `mmrad study run` does.
#[test]
fn mutated_clinical_tables_of_a_cohort() {
    let dir = scratch("cohort");
    for name in ["ct.csv", "mr.csv"] {
        std::fs::write(dir.join(name), corpus(name)).unwrap();
    }
    let protocol = String::from_utf8(corpus("ok.yaml"))
        .unwrap()
        .replace("clinical: clinical.csv", "clinical: mutated.csv");
    let plan = mmrad_protocol::parse(&protocol, &dir).unwrap();
    let clinical = corpus("clinical.csv");
    std::fs::write(dir.join("mutated.csv"), &clinical).unwrap();
    assert!(cohort::load(&plan).is_ok(), "the base cohort must load");
    let ct = corpus("ct.csv");
    runner(1000)
        .run(&(any::<bool>(), mutations()), |(mutate_features, mutations)| {
            // Either the clinical table or the CT feature table is damaged.
            let (target, base, other) = if mutate_features {
                ("ct.csv", &ct, ("mutated.csv", &clinical))
            } else {
                ("mutated.csv", &clinical, ("ct.csv", &ct))
            };
            std::fs::write(dir.join(other.0), other.1).unwrap();
            std::fs::write(dir.join(target), mutate_csv(base, &mutations)).unwrap();
            match cohort::load(&plan) {
                Ok(_) => Ok(()),
                Err(error) => {
                    let message = error.to_string();
                    let named = message.contains(target)
                        || message.contains("mutated.csv")
                        || message.contains("ct.csv")
                        || message.contains('`');
                    prop_assert!(named, "the error names no table: {message}");
                    prop_assert!(!message.contains('\n'), "a one-line message expected: {message}");
                    Ok(())
                }
            }
        })
        .unwrap();
}

#[test]
fn mutated_batch_csvs() {
    let dir = scratch("batch");
    let base = b"Image,Mask,Label,Patient\nimage.nrrd,mask.nrrd,1,A\n\"b,c.nrrd\",m.nrrd,2,\"B \"\"x\"\"\"\nimg3.nrrd,m3.nrrd,,C\n";
    let path = dir.join("mutated.csv");
    runner(1500)
        .run(&mutations(), |mutations| {
            std::fs::write(&path, mutate_csv(base, &mutations)).unwrap();
            if let Err(error) = read_batch(&path) {
                names_the_table(&error, "mutated.csv")?;
            }
            Ok(())
        })
        .unwrap();
}
