//! `cargo xtask study` / `ablate`: builds the release `mmrad` binary and runs `mmrad study run` (`ablate`) on a
//! protocol, passing its stdout (tables, the `expected:` check) and its exit code through unchanged.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};

use anyhow::Context;

use crate::{Failure, cargo, display_path, project_root};

/// Runs `cargo xtask study <yaml> [--out DIR] [ARGS...]`.
pub(crate) fn run(args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    run_subcommand("run", "", args)
}

/// Runs `cargo xtask ablate <yaml> [--out DIR] [ARGS...]` (`mmrad study ablate`, default folder
/// `runs/<stem>-ablation`).
pub(crate) fn ablate(args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    run_subcommand("ablate", "-ablation", args)
}

fn run_subcommand(subcommand: &str, suffix: &str, args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let root = project_root();
    let root = root.canonicalize().unwrap_or(root);
    let invocation = StudyArgs::parse(args)?;
    let protocol = find_protocol(&invocation.protocol, &root)?;
    let stem = protocol
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| "study".to_owned());
    let out_dir = match &invocation.out_dir {
        Some(out_dir) => absolute(out_dir)?,
        None => root.join("runs").join(format!("{stem}{suffix}")),
    };

    let mmrad = build_mmrad(&root)?;

    let mut command = Command::new(&mmrad);
    command
        .current_dir(&root)
        .arg("study")
        .arg(subcommand)
        .arg(relative_to(&protocol, &root))
        .arg("--out")
        .arg(relative_to(&out_dir, &root))
        .args(&invocation.passthrough);
    eprintln!("running: {}", describe(&command, &root));
    let status = command
        .status()
        .with_context(|| format!("could not start `{}`", display_path(&mmrad, &root)))?;
    exit_code_of(status, &format!("mmrad study {subcommand}"))
}

/// Builds `mmrad` with `$CARGO build --release --locked -p mmrad-cli` and returns the path of the executable.
///
/// The path comes from cargo's JSON messages, so `CARGO_TARGET_DIR` and `--target-dir` settings are honoured.
pub(crate) fn build_mmrad(root: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("building: cargo build --release --locked -p mmrad-cli");
    let output = Command::new(cargo())
        .current_dir(root)
        .args(["build", "--release", "--locked", "-p", "mmrad-cli"])
        .arg("--message-format=json-render-diagnostics")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("could not start `cargo build`")?;
    if !output.status.success() {
        return Err(Failure::failed(
            format!(
                "`cargo build --release --locked -p mmrad-cli` failed ({})",
                describe_status(output.status)
            ),
            Some("fix the compile errors above, then rerun".to_owned()),
        )
        .into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    executable_from_messages(&stdout, "mmrad").ok_or_else(|| {
        Failure::failed(
            "`cargo build` reported no `mmrad` executable",
            Some("check the `[[bin]]` section of `crates/mmrad-cli/Cargo.toml`".to_owned()),
        )
        .into()
    })
}

/// Finds the executable of the binary target `bin_name` in cargo's `--message-format=json` output.
fn executable_from_messages(messages: &str, bin_name: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == bin_name)
        .filter_map(|message| message["executable"].as_str().map(PathBuf::from))
        .next_back()
}

/// Converts a child's exit status into ours: the same code, or 1 with a message when it died from a signal.
pub(crate) fn exit_code_of(status: ExitStatus, what: &str) -> anyhow::Result<ExitCode> {
    match status.code() {
        Some(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(1))),
        None => {
            Err(Failure::failed(format!("`{what}` was killed ({})", describe_status(status)), None).into())
        }
    }
}

pub(crate) fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => format!("{status}"),
    }
}

/// Renders a command line for logs, with paths shown relative to `root`.
pub(crate) fn describe(command: &Command, root: &Path) -> String {
    let program = display_path(Path::new(command.get_program()), root);
    let mut words = vec![program];
    words.extend(command.get_args().map(|arg| arg.to_string_lossy().into_owned()));
    words.join(" ")
}

/// The parsed arguments of `cargo xtask study`.
#[derive(Debug, PartialEq)]
struct StudyArgs {
    protocol: PathBuf,
    out_dir: Option<PathBuf>,
    passthrough: Vec<OsString>,
}

impl StudyArgs {
    fn parse(args: Vec<OsString>) -> anyhow::Result<StudyArgs> {
        let mut protocol = None;
        let mut out_dir = None;
        let mut passthrough = Vec::new();
        // The protocol is the first `*.yaml`/`*.yml` argument, or else the first argument when it is no flag
        // (so that `-j 4 x.yaml` and a misspelt `studies/x` both work as expected).
        let protocol_index = args.iter().position(|arg| {
            let text = arg.to_string_lossy();
            text.ends_with(".yaml") || text.ends_with(".yml")
        });
        let protocol_index = protocol_index.or_else(|| {
            args.first()
                .filter(|arg| !arg.to_string_lossy().starts_with('-'))
                .map(|_| 0)
        });
        let mut args = args.into_iter().enumerate();
        while let Some((index, arg)) = args.next() {
            let text = arg.to_string_lossy().into_owned();
            if Some(index) == protocol_index {
                protocol = Some(PathBuf::from(arg));
            } else if text == "--out" || text == "-o" {
                let Some((_, value)) = args.next() else {
                    return Err(Failure::usage(
                        format!("`{text}` needs a directory"),
                        "write `--out runs/NAME`",
                    )
                    .into());
                };
                out_dir = Some(PathBuf::from(value));
            } else if let Some(value) = text.strip_prefix("--out=") {
                out_dir = Some(PathBuf::from(value));
            } else if text == "--" {
                passthrough.extend(args.by_ref().map(|(_, arg)| arg));
            } else {
                passthrough.push(arg);
            }
        }
        let Some(protocol) = protocol else {
            return Err(Failure::usage(
                "no study protocol given",
                format!(
                    "run `cargo xtask study studies/NAME.yaml`; available: {}",
                    list_studies(&project_root())
                ),
            )
            .into());
        };
        Ok(StudyArgs {
            protocol,
            out_dir,
            passthrough,
        })
    }
}

/// Resolves the protocol path against the current directory, then the workspace root.
fn find_protocol(protocol: &Path, root: &Path) -> anyhow::Result<PathBuf> {
    let candidates = [absolute(protocol)?, root.join(protocol)];
    for candidate in candidates {
        if candidate.is_file() {
            return Ok(candidate.canonicalize().unwrap_or(candidate));
        }
    }
    Err(Failure::failed(
        format!("study protocol `{}` does not exist", protocol.display()),
        Some(format!("available protocols: {}", list_studies(root))),
    )
    .into())
}

/// Lists `studies/*.yaml` (and `*.yml`), sorted, as a comma-separated list of backticked paths.
fn list_studies(root: &Path) -> String {
    let mut studies: Vec<String> = std::fs::read_dir(root.join("studies"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
        .map(|path| format!("`{}`", display_path(&path, root)))
        .collect();
    studies.sort();
    if studies.is_empty() {
        "none (`studies/` holds no `*.yaml`)".to_owned()
    } else {
        studies.join(", ")
    }
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("could not resolve `{}`", path.display()))
}

/// `path` relative to `root` when it lies below it, otherwise unchanged (absolute).
fn relative_to(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> StudyArgs {
        StudyArgs::parse(args.iter().map(OsString::from).collect()).unwrap()
    }

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn study_args_protocol_out_and_passthrough() {
        let parsed = parse(&[
            "studies/a.yaml",
            "--out",
            "runs/b",
            "-j",
            "2",
            "--only-modalities",
            "CT",
        ]);
        assert_eq!(parsed.protocol, PathBuf::from("studies/a.yaml"));
        assert_eq!(parsed.out_dir, Some(PathBuf::from("runs/b")));
        assert_eq!(parsed.passthrough, os(&["-j", "2", "--only-modalities", "CT"]));
    }

    #[test]
    fn study_args_out_equals_and_double_dash() {
        let parsed = parse(&["-j", "4", "x.yaml", "--out=o", "--", "--out", "literal"]);
        assert_eq!(parsed.protocol, PathBuf::from("x.yaml"));
        assert_eq!(parsed.out_dir, Some(PathBuf::from("o")));
        assert_eq!(parsed.passthrough, os(&["-j", "4", "--out", "literal"]));
    }

    #[test]
    fn study_args_errors_are_usage_errors() {
        for args in [&[][..], &["--out"][..], &["a.yaml", "--out"][..]] {
            let err = StudyArgs::parse(os(args)).unwrap_err();
            let failure = err.downcast_ref::<Failure>().unwrap();
            assert_eq!(failure.exit_code, crate::EXIT_USAGE, "args {args:?}");
            assert!(failure.help.is_some(), "args {args:?}");
        }
    }

    #[test]
    fn missing_protocol_lists_available_studies() {
        let root = std::env::temp_dir().join(format!("xtask-study-{}", std::process::id()));
        std::fs::create_dir_all(root.join("studies")).unwrap();
        std::fs::write(root.join("studies/b.yaml"), "name: b\n").unwrap();
        std::fs::write(root.join("studies/a.yaml"), "name: a\n").unwrap();
        std::fs::write(root.join("studies/notes.txt"), "").unwrap();
        let err = find_protocol(Path::new("studies/missing.yaml"), &root).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("`studies/missing.yaml` does not exist"),
            "{message}"
        );
        assert!(
            message.contains("help: available protocols: `studies/a.yaml`, `studies/b.yaml`"),
            "{message}"
        );
        assert_eq!(
            find_protocol(Path::new("studies/a.yaml"), &root).unwrap(),
            root.join("studies/a.yaml").canonicalize().unwrap()
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn executable_is_read_from_cargo_messages() {
        let messages = r#"{"reason":"compiler-artifact","target":{"name":"mmrad_core","kind":["lib"]},"executable":null}
not json
{"reason":"compiler-artifact","target":{"name":"mmrad","kind":["bin"]},"executable":"/t/release/mmrad"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable_from_messages(messages, "mmrad"),
            Some(PathBuf::from("/t/release/mmrad"))
        );
        assert_eq!(executable_from_messages(messages, "other"), None);
    }
}
