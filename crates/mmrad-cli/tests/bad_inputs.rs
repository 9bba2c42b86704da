//! The bad-input corpus: runs the `mmrad` binary on every case of every `tests/data/bad/*/cases.tsv` and requires a
//! clean failure (the expected exit code, no panic, an `error:` message naming what was wrong, no hang).
//!
//! `cases.tsv` holds one case per line, TAB-separated: `id`, the expected exit code (non-zero), a text the standard
//! error must contain, then the arguments. In the arguments `{dir}` is the absolute path of the group's folder and
//! `{out}` a fresh empty scratch folder (`{dir}` also in the text to find); lines starting with `#` are comments.
//! The binary runs with the group's folder as working directory (manifests of `study check` name their files
//! relative to it).
//!
//! Exit codes: 1 bad input or failed run, 2 usage (clap), 3 an `expected:` check missed, 4 `study check` did not
//! reproduce; 101 (a Rust panic) is never accepted. Every file of a group folder must be used by some case, directly
//! (named in the arguments, or below a folder named there) or through another used file that names it (a protocol
//! naming its tables), so that the corpus holds no file that is never read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A case that runs longer than this hangs: the process is killed and the case fails (not a speed assertion).
const HANG_LIMIT: Duration = Duration::from_secs(60);

/// One line of `cases.tsv`.
#[derive(Debug, Clone)]
struct Case {
    id: String,
    expected_exit: i32,
    must_contain: String,
    args: Vec<String>,
}

#[test]
fn every_bad_input_fails_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/bad");
    let root = root
        .canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let groups = group_dirs(&root);
    assert!(!groups.is_empty(), "no group folder under {}", root.display());
    let mut failures: Vec<String> = groups
        .iter()
        .filter(|group| !group.join("cases.tsv").is_file())
        .map(|group| format!("{}: a group folder without `cases.tsv`", group.display()))
        .collect();
    let mut n_cases = 0;
    for group in groups.iter().filter(|group| group.join("cases.tsv").is_file()) {
        let name = group
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let cases = match read_cases(&group.join("cases.tsv")) {
            Ok(cases) => cases,
            Err(why) => {
                failures.push(format!("{name}/cases.tsv: {why}"));
                continue;
            }
        };
        failures.extend(unused_files(group, &cases).into_iter().map(|f| {
            format!("{name}/{f}: no case uses this file (name it in an argument or in a file a case uses, or delete it)")
        }));
        for case in &cases {
            n_cases += 1;
            if let Err(why) = run_case(group, &name, case) {
                failures.push(format!("{name}/{}: {why}", case.id));
            }
        }
    }
    assert!(n_cases > 0, "the corpus has no case");
    assert!(
        failures.is_empty(),
        "{} problem(s) in {n_cases} bad-input case(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The check itself must reject what it should: a panic message, a wrong exit code, a missing text.
#[test]
fn the_checks_reject_a_panic_a_wrong_code_and_a_missing_text() {
    let case = Case {
        id: "x".into(),
        expected_exit: 1,
        must_contain: "needle".into(),
        args: Vec::new(),
    };
    let ok = Outcome {
        code: Some(1),
        stderr: "error: a needle\n".into(),
        killed: false,
    };
    assert_eq!(judge(&case, &ok), Vec::<String>::new());
    let checks = [
        (
            Some(101),
            "error: needle\nthread 'main' panicked at src/x.rs:1:1",
            2,
        ),
        (Some(2), "error: needle", 1),
        (Some(1), "error: haystack", 1),
        (Some(1), "warning: w\nerror: needle", 1),
        (None, "", 3),
    ];
    for (code, stderr, n_problems) in checks {
        let outcome = Outcome {
            code,
            stderr: stderr.into(),
            killed: false,
        };
        assert_eq!(judge(&case, &outcome).len(), n_problems, "{code:?} {stderr:?}");
    }
}

fn group_dirs(root: &Path) -> Vec<PathBuf> {
    let mut groups: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .collect();
    groups.sort();
    groups
}

fn read_cases(path: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut cases: Vec<Case> = Vec::new();
    for (line_idx, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let line_no = line_idx + 1;
        if fields.len() < 3 {
            return Err(format!(
                "line {line_no}: expected `id<TAB>exit<TAB>must_contain<TAB>args...`"
            ));
        }
        let expected_exit: i32 = fields[1]
            .parse()
            .map_err(|_| format!("line {line_no}: exit code `{}` is not an integer", fields[1]))?;
        if expected_exit == 0 || expected_exit == 101 {
            return Err(format!(
                "line {line_no}: a bad input must exit non-zero and never 101"
            ));
        }
        if cases.iter().any(|c| c.id == fields[0]) {
            return Err(format!("line {line_no}: duplicate case id `{}`", fields[0]));
        }
        cases.push(Case {
            id: fields[0].to_owned(),
            expected_exit,
            must_contain: fields[2].to_owned(),
            args: fields[3..].iter().map(|&a| a.to_owned()).collect(),
        });
    }
    Ok(cases)
}

/// What a run did.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    killed: bool,
}

fn run_case(group: &Path, group_name: &str, case: &Case) -> Result<(), String> {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mmrad-bad-{group_name}-{}", case.id));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).map_err(|e| format!("scratch {}: {e}", out.display()))?;
    let dir = group.display().to_string();
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| {
            a.replace("{dir}", &dir)
                .replace("{out}", &out.display().to_string())
        })
        .collect();
    let outcome = run_with_limit(&args, group)?;
    let _ = std::fs::remove_dir_all(&out);
    let case = Case {
        must_contain: case.must_contain.replace("{dir}", &dir),
        ..case.clone()
    };
    let problems = judge(&case, &outcome);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n    command: mmrad {}\n    stderr:\n{}",
            problems.join("; "),
            case.args.join(" "),
            indent(&outcome.stderr)
        ))
    }
}

fn judge(case: &Case, outcome: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    if outcome.killed {
        problems.push(format!("still running after {HANG_LIMIT:?}: killed (a hang)"));
    }
    match outcome.code {
        Some(101) => problems.push("exit code 101 (a panic)".into()),
        Some(code) if code != case.expected_exit => {
            problems.push(format!("exit code {code}, expected {}", case.expected_exit));
        }
        Some(_) => {}
        None => problems.push("killed by a signal".into()),
    }
    if outcome.stderr.contains("panicked at") {
        problems.push("stderr shows a panic".into());
    }
    if !outcome.stderr.starts_with("error: ") {
        problems.push("stderr does not start with `error: `".into());
    }
    if !outcome.stderr.contains(&case.must_contain) {
        problems.push(format!("stderr does not contain `{}`", case.must_contain));
    }
    problems
}

fn run_with_limit(args: &[String], cwd: &Path) -> Result<Outcome, String> {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start mmrad: {e}"))?;
    let mut stderr_pipe = child.stderr.take().ok_or("no stderr pipe")?;
    // A reader thread keeps the pipe drained, so a chatty process cannot block on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut bytes);
        bytes
    });
    let mut killed = false;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if start.elapsed() > HANG_LIMIT => {
                let _ = child.kill();
                killed = true;
                break child.wait().map_err(|e| e.to_string())?;
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let bytes = reader.join().unwrap_or_default();
    Ok(Outcome {
        code: status.code(),
        stderr: String::from_utf8_lossy(&bytes).into_owned(),
        killed,
    })
}

/// Files of `group` (relative, `/`-separated) that no case uses directly or through a used file.
fn unused_files(group: &Path, cases: &[Case]) -> Vec<String> {
    let mut files = Vec::new();
    list_files(group, group, &mut files);
    files.retain(|f| f != "cases.tsv");
    let arg_paths: Vec<String> = cases
        .iter()
        .flat_map(|c| c.args.iter())
        .map(|a| a.strip_prefix("{dir}/").unwrap_or(a).to_owned())
        .collect();
    let named_in_args = |file: &str| {
        arg_paths.iter().any(|arg| {
            arg.contains(file)
                || Path::new(file)
                    .ancestors()
                    .skip(1)
                    .filter(|a| !a.as_os_str().is_empty())
                    .any(|folder| arg.trim_end_matches('/') == folder.to_string_lossy())
        })
    };
    let mut used: BTreeSet<String> = files.iter().filter(|f| named_in_args(f)).cloned().collect();
    // A used text file uses the files it names (a protocol its tables, a batch CSV its images).
    loop {
        let texts: Vec<String> = used
            .iter()
            .filter_map(|f| std::fs::read(group.join(f)).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect();
        let before = used.len();
        for file in &files {
            let base = file.rsplit('/').next().unwrap_or(file);
            if texts.iter().any(|t| t.contains(base)) {
                used.insert(file.clone());
            }
        }
        if used.len() == before {
            break;
        }
    }
    files.into_iter().filter(|f| !used.contains(f)).collect()
}

fn list_files(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            list_files(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .take(12)
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
