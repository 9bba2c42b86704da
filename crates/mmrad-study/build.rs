//! Build script: records the rustc version, the target triple and the git revision for `manifest.json`.
//!
//! The revision is that of the checkout being built (`MMRAD_GIT_REVISION` overrides it, e.g. for a build from a
//! source archive); outside a git checkout it is `unknown`, never a build failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MMRAD_GIT_REVISION");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc_version = run(Path::new("."), &rustc, &["--version"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=MMRAD_RUSTC_VERSION={rustc_version}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=MMRAD_TARGET={target}");

    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned()));
    let revision = match std::env::var("MMRAD_GIT_REVISION") {
        Ok(r) if !r.is_empty() => r,
        _ => {
            let revision = run(&dir, "git", &["rev-parse", "HEAD"]);
            if revision.is_some() {
                // Rebuild when HEAD moves: the HEAD file, the branch it names and packed refs.
                let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
                if let Some(branch) = run(&dir, "git", &["symbolic-ref", "-q", "HEAD"]) {
                    watched.push(branch);
                }
                for name in watched {
                    if let Some(path) = run(&dir, "git", &["rev-parse", "--git-path", &name]) {
                        let path = dir.join(path);
                        if path.exists() {
                            println!("cargo:rerun-if-changed={}", path.display());
                        }
                    }
                }
            }
            revision.unwrap_or_else(|| "unknown".to_owned())
        }
    };
    println!("cargo:rustc-env=MMRAD_GIT_REVISION={revision}");
}

/// The trimmed stdout of a successful command, else `None`.
fn run(dir: &Path, program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).current_dir(dir).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (!text.is_empty()).then_some(text)
}
