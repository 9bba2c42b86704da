//! Determinism and manifest completeness: a smoke-sized study on a tabular synthetic cohort (tables on disk) run
//! with 1, 2 and 8 worker threads writes byte-identical outputs, and its `manifest.json` records the protocol,
//! the resolved settings, every input and output with a sha256 computed here independently, the build, and a seal
//! that matches while the `run` section alone records the thread count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use mmrad_study::{RunOptions, manifest, run_study};

const PROTOCOL: &str = r#"
version: 1
name: determinism
seed: 7
cohort:
  manifest:
    clinical: clinical.csv
    features: { CT: ct.csv, US: us.csv }
outcome: pcr
modalities: { CT: {}, US: {} }
selection:
  - univariate: { test: mann_whitney, p_max: 0.1 }
  - correlation: { max_abs_r: 0.9 }
  - lasso: { lambda: 1se, inner_folds: 5 }
models:
  fusion: { of: [CT, US] }
  clinical: { candidates: [pr, her2, ct_stage] }
  combined: { of: [clinical, fusion] }
validation: { scheme: stratified_kfold, folds: 3, repeats: 2 }
evaluation: { calibration: { groups: 5 }, dca: true, bootstrap: { n: 200 } }
"#;

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file under `dir` (sub-folders such as `figures/` included), by its `/`-separated path relative to `dir`.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.is_file() {
                let rel = path.strip_prefix(root).unwrap();
                let name: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(name.join("/"), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Writes the liang2025 synthetic cohort (60 cases, 20 events) as tables and the protocol beside them.
fn cohort_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mmrad-determinism");
    let _ = std::fs::remove_dir_all(&dir);
    let cohort = mmrad_synth::liang2025_features(&mmrad_synth::Liang2025Params {
        n: 60,
        events: 20,
        seed: 7,
    })
    .unwrap();
    mmrad_study::cohort::write_synthetic(&cohort, &dir, "tables").unwrap();
    std::fs::write(dir.join("determinism.yaml"), PROTOCOL).unwrap();
    dir
}

#[test]
fn outputs_are_byte_identical_for_1_2_and_8_threads_and_the_manifest_is_complete() {
    let dir = cohort_dir();
    let protocol_path = dir.join("determinism.yaml");
    let plan = mmrad_protocol::load(&protocol_path).unwrap();
    let mut runs = Vec::new();
    for threads in [1, 2, 8] {
        let out = dir.join(format!("out-j{threads}"));
        let options = RunOptions {
            out_dir: out.clone(),
            threads,
            progress: false,
            protocol_bytes: PROTOCOL.as_bytes().to_vec(),
            protocol_path: Some(protocol_path.clone()),
            no_cache: false,
        };
        run_study(&plan, &options).unwrap();
        runs.push((threads, out));
    }

    let reference = files(&runs[0].1);
    let names: Vec<&String> = reference.keys().collect();
    assert!(names.len() >= 12, "{names:?}");
    for (threads, out) in &runs[1..] {
        let other = files(out);
        assert_eq!(
            names,
            other.keys().collect::<Vec<_>>(),
            "-j {threads}: other files"
        );
        for (name, bytes) in &reference {
            if name != manifest::MANIFEST {
                assert!(
                    bytes == &other[name],
                    "{name} differs between -j 1 and -j {threads}"
                );
            }
        }
    }

    let manifests: Vec<manifest::Manifest> = runs
        .iter()
        .map(|(_, out)| manifest::read(&out.join(manifest::MANIFEST)).unwrap())
        .collect();
    for (m, (threads, _)) in manifests.iter().zip(&runs) {
        assert_eq!(m.run.threads, *threads);
        // The sealed part does not depend on the thread count.
        assert_eq!(m.manifest_sha256, manifests[0].manifest_sha256);
        let mut a = m.clone();
        let mut b = manifests[0].clone();
        a.run = b.run.clone();
        b.manifest_sha256 = a.manifest_sha256.clone();
        assert_eq!(a, b);
    }

    let m = &manifests[0];
    assert_eq!(m.output_format_version, 3);
    assert_eq!(m.protocol.sha256, sha256(PROTOCOL.as_bytes()));
    assert_eq!(m.seed, 7);
    assert_eq!((m.n, m.events), (60, 20));
    assert_eq!(m.modalities, ["CT", "US"]);
    // Defaults the protocol does not state are explicit in the settings.
    let settings = m.settings.join("\n");
    for default in [
        "tol: 1e-7",
        "nlambda: 100",
        "alpha: 1.0",
        "standardize: true",
        "univariate_p_max:",
    ] {
        assert!(
            settings.contains(default),
            "settings lack `{default}`:\n{settings}"
        );
    }
    assert!(m.build.rustc.starts_with("rustc "), "{}", m.build.rustc);
    assert!(!m.build.platform.is_empty() && !m.build.git_revision.is_empty());
    // Inputs: the three tables, each with the sha256 of its bytes.
    let inputs: BTreeMap<String, String> = m
        .inputs
        .iter()
        .map(|f| {
            (
                Path::new(&f.path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f.sha256.clone(),
            )
        })
        .collect();
    assert_eq!(
        inputs.keys().collect::<Vec<_>>(),
        ["clinical.csv", "ct.csv", "us.csv"]
    );
    for (name, hash) in &inputs {
        assert_eq!(hash, &sha256(&std::fs::read(dir.join(name)).unwrap()), "{name}");
    }
    // Outputs: every other file of the folder, each with the sha256 of its bytes.
    let listed: Vec<&str> = m.outputs.iter().map(|f| f.path.as_str()).collect();
    let mut on_disk: Vec<&str> = names
        .iter()
        .map(|n| n.as_str())
        .filter(|n| *n != manifest::MANIFEST)
        .collect();
    on_disk.sort_unstable();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort_unstable();
    assert_eq!(listed_sorted, on_disk);
    for f in &m.outputs {
        assert_eq!(f.sha256, sha256(&reference[&f.path]), "{}", f.path);
    }
}

#[test]
fn a_hand_edited_manifest_is_refused() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mmrad-determinism-edit");
    let _ = std::fs::remove_dir_all(&dir);
    let plan = mmrad_protocol::load(&mmrad_testkit::workspace_root().join("studies/smoke.yaml")).unwrap();
    let options = RunOptions {
        out_dir: dir.clone(),
        threads: 2,
        progress: false,
        protocol_bytes: Vec::new(),
        protocol_path: None,
        no_cache: false,
    };
    run_study(&plan, &options).unwrap();
    let path = dir.join(manifest::MANIFEST);
    let text = std::fs::read_to_string(&path).unwrap();
    manifest::read(&path).unwrap();
    // Editing the unsealed `run` section is allowed.
    std::fs::write(&path, text.replace("\"threads\": 2", "\"threads\": 3")).unwrap();
    assert_eq!(manifest::read(&path).unwrap().run.threads, 3);
    // Editing anything else breaks the seal.
    std::fs::write(&path, text.replace("\"seed\": 7", "\"seed\": 8")).unwrap();
    let err = manifest::read(&path).unwrap_err().to_string();
    assert!(err.contains("modified after the run"), "{err}");
    std::fs::write(&path, "{ not json").unwrap();
    let err = manifest::read(&path).unwrap_err().to_string();
    assert!(err.contains("not valid JSON"), "{err}");
}
