//! Tidy: the architecture written in DESIGN.md §2, checked by `cargo test --workspace` and `cargo xtask tidy`.
//!
//! Checks: crate edges against [`ALLOWED_EDGES`]; every `.rs` file under `crates/` and `xtask/` opens with a `//!`
//! line; exactly one `ndarray` in `Cargo.lock`; licences of the whole dependency graph (`cargo metadata`) against
//! [`ALLOWED_LICENCES`]; no ignore attributes, `#[should_panic]`, `todo!`, `unimplemented!` or `dbg!` under `crates/`.
//! Every check is a function from the tree (or a file's text) to a list of human-readable problems, so that the
//! tests below can run it on small fixture trees as well as on the real workspace.
//! The model is rust-analyzer's `xtask/src/tidy.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::Context;

use crate::{Failure, cargo, display_path, project_root};

/// Workspace crates each crate may depend on (`[dependencies]` and `[build-dependencies]`), from DESIGN.md §2.
///
/// `None` means anything. `[dev-dependencies]` may also use `mmrad-testkit`. A new edge changes DESIGN.md,
/// ARCHITECTURE.md and this table in the same change.
pub(crate) const ALLOWED_EDGES: &[(&str, Option<&[&str]>)] = &[
    ("mmrad-core", Some(&[])),
    ("mmrad-io", Some(&["mmrad-core"])),
    ("mmrad-image", Some(&["mmrad-core"])),
    ("mmrad-features", Some(&["mmrad-core", "mmrad-image"])),
    ("mmrad-stats", Some(&["mmrad-core"])),
    ("mmrad-modeling", Some(&["mmrad-core", "mmrad-stats"])),
    (
        "mmrad-selection",
        Some(&["mmrad-core", "mmrad-stats", "mmrad-modeling"]),
    ),
    ("mmrad-evaluation", Some(&["mmrad-core", "mmrad-stats"])),
    // The protocol names the params types of the computation crates.
    (
        "mmrad-protocol",
        Some(&[
            "mmrad-core",
            "mmrad-stats",
            "mmrad-modeling",
            "mmrad-selection",
            "mmrad-evaluation",
            "mmrad-features",
        ]),
    ),
    (
        "mmrad-study",
        Some(&[
            "mmrad-core",
            "mmrad-io",
            "mmrad-image",
            "mmrad-features",
            "mmrad-stats",
            "mmrad-modeling",
            "mmrad-selection",
            "mmrad-evaluation",
            "mmrad-protocol",
            "mmrad-synth",
        ]),
    ),
    ("mmrad-synth", Some(&["mmrad-core", "mmrad-io", "mmrad-image"])),
    (
        "mmrad-cli",
        Some(&[
            "mmrad-study",
            "mmrad-protocol",
            "mmrad-synth",
            "mmrad-core",
            "mmrad-io",
        ]),
    ),
    ("mmrad-testkit", Some(&["mmrad-core", "mmrad-io"])),
    ("mmrad-conformance", None),
];

/// The one crate every `[dev-dependencies]` section may add to its allowed edges.
const DEV_ONLY_CRATE: &str = "mmrad-testkit";

/// SPDX identifiers accepted for any crate in the graph (permissive, or weak file-level copyleft for MPL-2.0).
pub(crate) const ALLOWED_LICENCES: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "BSL-1.0",
    "CC0-1.0",
    "MPL-2.0",
];

/// Licences accepted for one named crate only: (crate, SPDX id, why). Each entry is a reviewed decision.
pub(crate) const LICENCE_EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "jpeg-encoder",
    "IJG",
    "permissive Independent JPEG Group licence (attribution in documentation); pulled unconditionally by \
     `dicom-transfer-syntax-registry`, which DESIGN.md §3 prescribes",
)];

/// Licence families that are never accepted, named in messages.
const FORBIDDEN_LICENCE_PREFIXES: &[&str] = &["GPL", "AGPL", "LGPL", "EUPL"];

/// Markers not allowed in any `.rs` file under `crates/` (outside comment lines).
const BANNED_MARKERS: &[(&str, &str)] = &[
    (
        concat!("#[", "ignore"),
        "no ignored tests: assert today's behaviour with a FIXME",
    ),
    ("#[should_panic", "no `#[should_panic]`: check the `Err`"),
    ("todo!", "no `todo!` in committed code"),
    ("unimplemented!", "no `unimplemented!` in committed code"),
    ("dbg!", "no `dbg!` in committed code"),
];

/// Runs every check on the workspace, prints the problems and the MPL-2.0 users.
pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let root = project_root();
    let mut n_problems = 0;
    let mut report = |name: &str, problems: Vec<String>| {
        if problems.is_empty() {
            println!("ok    {name}");
        } else {
            println!("FAIL  {name}");
            for problem in &problems {
                println!("      {problem}");
            }
            n_problems += problems.len();
        }
    };
    report("crate edges (DESIGN.md §2)", check_crate_edges(&root)?);
    report("`//!` header on every .rs file", check_doc_headers(&root)?);
    report(
        "one `ndarray` in Cargo.lock",
        check_one_ndarray(&read(&root.join("Cargo.lock"))?),
    );
    let licences = check_licences(&cargo_metadata(&root)?)?;
    report("licence allowlist", licences.offending);
    report(
        "no ignored tests, should_panic, todo!, unimplemented!, dbg!",
        check_banned_markers(&root)?,
    );
    for user in &licences.exception_users {
        println!("note  licence exception used: {user}");
    }
    if licences.mpl_users.is_empty() {
        println!("note  no crate needs MPL-2.0");
    } else {
        println!(
            "note  crates that need MPL-2.0: {}",
            licences.mpl_users.join(", ")
        );
    }
    if n_problems > 0 {
        return Err(Failure::failed(
            format!("tidy found {n_problems} problem(s)"),
            Some("fix them, or change DESIGN.md and the tables in `xtask/src/tidy.rs` together".to_owned()),
        )
        .into());
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------------------------
// Crate edges

/// Checks the `mmrad-*` dependencies of every `crates/*/Cargo.toml` and of `xtask/Cargo.toml`.
pub(crate) fn check_crate_edges(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for crate_dir in crate_dirs(root)? {
        let manifest_path = crate_dir.join("Cargo.toml");
        let shown = display_path(&manifest_path, root);
        let folder = crate_dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let manifest = parse_manifest(&read(&manifest_path)?);
        match &manifest.package_name {
            Some(name) if *name == folder => {}
            Some(name) => problems.push(format!(
                "{shown}: package `{name}` lives in folder `{folder}` (must match)"
            )),
            None => problems.push(format!("{shown}: no `[package] name`")),
        }
        let Some(&(_, allowed)) = ALLOWED_EDGES.iter().find(|(name, _)| *name == folder) else {
            problems.push(format!(
                "{shown}: crate `{folder}` is not in the allowed-edges table; add it to DESIGN.md §2 and \
                 `ALLOWED_EDGES` in `xtask/src/tidy.rs`"
            ));
            continue;
        };
        let Some(allowed) = allowed else { continue };
        for dependency in manifest
            .dependencies
            .iter()
            .filter(|dep| dep.name.starts_with("mmrad-"))
        {
            let ok = allowed.contains(&dependency.name.as_str())
                || (dependency.kind == DepKind::Dev && dependency.name == DEV_ONLY_CRATE);
            if !ok {
                problems.push(format!(
                    "{shown}:{}: `{folder}` may not depend on `{}` ({}); allowed: {}",
                    dependency.line_no,
                    dependency.name,
                    dependency.kind.section(),
                    allowed_list(allowed, dependency.kind),
                ));
            }
        }
    }
    let xtask_manifest = root.join("xtask/Cargo.toml");
    if xtask_manifest.is_file() {
        let shown = display_path(&xtask_manifest, root);
        for dependency in parse_manifest(&read(&xtask_manifest)?).dependencies {
            if dependency.name.starts_with("mmrad-") {
                problems.push(format!(
                    "{shown}:{}: `xtask` may not depend on `{}`; it must build in seconds",
                    dependency.line_no, dependency.name
                ));
            }
        }
    }
    Ok(problems)
}

fn allowed_list(allowed: &[&str], kind: DepKind) -> String {
    let mut names: Vec<&str> = allowed.to_vec();
    if kind == DepKind::Dev {
        names.push(DEV_ONLY_CRATE);
    }
    if names.is_empty() {
        "no workspace crate".to_owned()
    } else {
        names
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The folders `crates/*` holding a `Cargo.toml`, sorted.
fn crate_dirs(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let crates = root.join("crates");
    let entries =
        std::fs::read_dir(&crates).with_context(|| format!("could not list `{}`", crates.display()))?;
    let mut dirs = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("could not list `{}`", crates.display()))?
            .path();
        if path.join("Cargo.toml").is_file() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum DepKind {
    Normal,
    Build,
    Dev,
}

impl DepKind {
    fn section(self) -> &'static str {
        match self {
            DepKind::Normal => "[dependencies]",
            DepKind::Build => "[build-dependencies]",
            DepKind::Dev => "[dev-dependencies]",
        }
    }
}

#[derive(Debug, PartialEq)]
pub(crate) struct Dependency {
    pub(crate) name: String,
    pub(crate) kind: DepKind,
    pub(crate) line_no: usize,
}

#[derive(Debug, Default, PartialEq)]
pub(crate) struct Manifest {
    pub(crate) package_name: Option<String>,
    pub(crate) dependencies: Vec<Dependency>,
}

/// What a `[section]` header says about the lines that follow.
enum Section {
    Package,
    /// `[dependencies]`, `[target.'cfg(x)'.dev-dependencies]`, ...: one dependency per key.
    Dependencies(DepKind),
    /// `[dependencies.name]`: the section is one dependency; `package = "..."` renames it.
    OneDependency(DepKind),
    Other,
}

/// Reads the package name and the dependency keys of a `Cargo.toml`, by hand: enough TOML for manifests
/// (sections, `key = value`, `key.workspace = true`, inline tables with `package = "..."`).
pub(crate) fn parse_manifest(text: &str) -> Manifest {
    let mut manifest = Manifest::default();
    let mut section = Section::Other;
    for (line_idx, raw_line) in text.lines().enumerate() {
        let line_no = line_idx + 1;
        let line = strip_comment(raw_line).trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            let header = line.trim_start_matches('[').trim_end_matches(']').trim();
            section = classify_section(header);
            if let (Section::OneDependency(kind), Some(name)) = (&section, header.rsplit('.').next()) {
                manifest.dependencies.push(Dependency {
                    name: unquote(name),
                    kind: *kind,
                    line_no,
                });
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim();
        match &section {
            Section::Package if key == "name" => manifest.package_name = Some(unquote(value)),
            Section::Dependencies(kind) => {
                let name =
                    package_rename(value).unwrap_or_else(|| unquote(key.split('.').next().unwrap_or(key)));
                manifest.dependencies.push(Dependency {
                    name,
                    kind: *kind,
                    line_no,
                });
            }
            Section::OneDependency(_) if key == "package" => {
                if let Some(last) = manifest.dependencies.last_mut() {
                    last.name = unquote(value);
                }
            }
            _ => {}
        }
    }
    manifest
}

fn classify_section(header: &str) -> Section {
    if header == "package" {
        return Section::Package;
    }
    // `target.'cfg(unix)'.dependencies` ends in a dependency section; `dependencies.foo` names one dependency.
    let parts: Vec<&str> = header.split('.').map(str::trim).collect();
    let kind_of = |part: &str| match part {
        "dependencies" => Some(DepKind::Normal),
        "build-dependencies" => Some(DepKind::Build),
        "dev-dependencies" => Some(DepKind::Dev),
        _ => None,
    };
    if let Some(kind) = parts.last().and_then(|part| kind_of(part)) {
        return Section::Dependencies(kind);
    }
    if parts.len() >= 2
        && let Some(kind) = parts.get(parts.len() - 2).and_then(|part| kind_of(part))
    {
        return Section::OneDependency(kind);
    }
    Section::Other
}

/// `{ package = "mmrad-core", ... }` → `mmrad-core`.
fn package_rename(value: &str) -> Option<String> {
    let inner = value.strip_prefix('{')?;
    inner.split(',').find_map(|field| {
        let (key, value) = field.split_once('=')?;
        (key.trim() == "package").then(|| unquote(value.trim().trim_end_matches('}').trim()))
    })
}

fn unquote(text: &str) -> String {
    text.trim().trim_matches('"').trim_matches('\'').to_owned()
}

/// Cuts a TOML line at a `#` that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (idx, ch) in line.char_indices() {
        match (quote, ch) {
            (None, '#') => return line.get(..idx).unwrap_or(line),
            (None, '"' | '\'') => quote = Some(ch),
            (Some(open), _) if ch == open => quote = None,
            _ => {}
        }
    }
    line
}

// ---------------------------------------------------------------------------------------------------------------
// `//!` headers and banned markers

/// Every `.rs` file under `crates/` and `xtask/` must start with a `//!` line saying what it owns.
pub(crate) fn check_doc_headers(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for dir in ["crates", "xtask"] {
        for path in rust_files(&root.join(dir))? {
            let text = read(&path)?;
            let first_line = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
            if !first_line.starts_with("//!") {
                problems.push(format!(
                    "{}: first line is not a `//!` doc saying what the file owns",
                    display_path(&path, root)
                ));
            }
        }
    }
    Ok(problems)
}

/// No ignore attributes, `#[should_panic]`, `todo!`, `unimplemented!`, `dbg!` in `.rs` files under `crates/`.
pub(crate) fn check_banned_markers(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for path in rust_files(&root.join("crates"))? {
        let text = read(&path)?;
        for (line_no, marker, why) in banned_markers_in(&text) {
            problems.push(format!(
                "{}:{line_no}: `{marker}`: {why}",
                display_path(&path, root)
            ));
        }
    }
    Ok(problems)
}

/// The banned markers in one file's text, as (line number, marker, reason); comment lines are skipped.
fn banned_markers_in(text: &str) -> Vec<(usize, &'static str, &'static str)> {
    let mut hits = Vec::new();
    for (line_idx, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for &(marker, why) in BANNED_MARKERS {
            if contains_token(line, marker) {
                hits.push((line_idx + 1, marker, why));
            }
        }
    }
    hits
}

/// `marker` occurs in `line` not preceded by an identifier character (so `my_todo!` is not `todo!`).
fn contains_token(line: &str, marker: &str) -> bool {
    line.match_indices(marker).any(|(idx, _)| {
        let before = line.get(..idx).and_then(|head| head.chars().next_back());
        !before.is_some_and(|ch| ch.is_alphanumeric() || ch == '_')
    })
}

/// All `.rs` files below `dir`, sorted, skipping `target*` and hidden folders.
fn rust_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err).with_context(|| format!("could not list `{}`", current.display())),
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("could not list `{}`", current.display()))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let file_type = entry
                .file_type()
                .with_context(|| format!("could not stat `{}`", path.display()))?;
            if file_type.is_dir() {
                if !name.starts_with('.') && !name.starts_with("target") {
                    pending.push(path);
                }
            } else if file_type.is_file() && name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

// ---------------------------------------------------------------------------------------------------------------
// One ndarray

/// `Cargo.lock` must hold exactly one `ndarray` package (DESIGN.md §2: it is the public array type).
pub(crate) fn check_one_ndarray(lock_text: &str) -> Vec<String> {
    let versions = lock_versions(lock_text, "ndarray");
    match versions.len() {
        1 => Vec::new(),
        0 => vec!["Cargo.lock: no `ndarray` package".to_owned()],
        _ => vec![format!(
            "Cargo.lock: {} `ndarray` versions ({}); find who pulls the extra one with `cargo tree -i ndarray@VERSION`",
            versions.len(),
            versions.join(", ")
        )],
    }
}

/// The versions of package `name` in a `Cargo.lock`.
fn lock_versions(lock_text: &str, name: &str) -> Vec<String> {
    let mut versions = Vec::new();
    let mut current_name: Option<String> = None;
    for line in lock_text.lines().map(str::trim) {
        if line == "[[package]]" {
            current_name = None;
        } else if let Some(value) = line.strip_prefix("name = ") {
            current_name = Some(unquote(value));
        } else if let Some(value) = line.strip_prefix("version = ")
            && current_name.as_deref() == Some(name)
        {
            versions.push(unquote(value));
        }
    }
    versions
}

// ---------------------------------------------------------------------------------------------------------------
// Licences

/// The result of the licence check.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct LicenceReport {
    /// One line per crate whose licence is not acceptable.
    pub(crate) offending: Vec<String>,
    /// `name version` of crates that are acceptable only through MPL-2.0.
    pub(crate) mpl_users: Vec<String>,
    /// `name version (licence)` of crates that are acceptable only through a [`LICENCE_EXCEPTIONS`] entry.
    pub(crate) exception_users: Vec<String>,
}

/// Runs `cargo metadata --format-version 1 --locked` in `root`.
pub(crate) fn cargo_metadata(root: &Path) -> anyhow::Result<serde_json::Value> {
    let output = Command::new(cargo())
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--locked"])
        .stdin(Stdio::null())
        .output()
        .context("could not start `cargo metadata`")?;
    if !output.status.success() {
        return Err(Failure::failed(
            format!(
                "`cargo metadata --format-version 1 --locked` failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            Some("if `Cargo.lock` is out of date, run `cargo metadata` (or a build) without `--locked` and commit it".to_owned()),
        )
        .into());
    }
    serde_json::from_slice(&output.stdout).context("`cargo metadata` printed invalid JSON")
}

/// Checks the `license` field of every package the workspace can build against [`ALLOWED_LICENCES`] (plus the
/// per-crate [`LICENCE_EXCEPTIONS`]).
///
/// The packages are those reachable from the workspace members in `cargo metadata`'s resolve graph, for every
/// target platform, except through edges gated on `cfg(fuzzing)` (set only by cargo-fuzz); without a `resolve`
/// section every listed package is checked.
pub(crate) fn check_licences(metadata: &serde_json::Value) -> anyhow::Result<LicenceReport> {
    let packages = metadata["packages"]
        .as_array()
        .context("`cargo metadata` output has no `packages` array")?;
    let reachable = reachable_package_ids(metadata);
    let mut report = LicenceReport::default();
    for package in packages {
        let id = package["id"].as_str().unwrap_or("");
        if let Some(reachable) = &reachable
            && !reachable.contains(id)
        {
            continue;
        }
        let name = package["name"].as_str().unwrap_or("?");
        let version = package["version"].as_str().unwrap_or("?");
        let crate_id = format!("{name} {version}");
        let Some(expression) = package["license"].as_str() else {
            let file = package["license_file"].as_str().unwrap_or("none");
            report.offending.push(format!(
                "`{crate_id}`: no SPDX `license` field (license_file: `{file}`)"
            ));
            continue;
        };
        let exceptions: Vec<&str> = LICENCE_EXCEPTIONS
            .iter()
            .filter(|(crate_name, _, _)| *crate_name == name)
            .map(|(_, licence, _)| *licence)
            .collect();
        let allowed: Vec<&str> = ALLOWED_LICENCES
            .iter()
            .copied()
            .chain(exceptions.iter().copied())
            .collect();
        let without_mpl: Vec<&str> = allowed.iter().copied().filter(|id| *id != "MPL-2.0").collect();
        let without_exceptions: Vec<&str> = ALLOWED_LICENCES.to_vec();
        match licence_allowed(expression, &allowed) {
            Ok(true) => {
                if licence_allowed(expression, &without_mpl) == Ok(false) {
                    report.mpl_users.push(crate_id.clone());
                }
                if !exceptions.is_empty() && licence_allowed(expression, &without_exceptions) == Ok(false) {
                    report
                        .exception_users
                        .push(format!("{crate_id} ({})", exceptions.join(", ")));
                }
            }
            Ok(false) => {
                let rejected: Vec<String> = licence_ids(expression)
                    .into_iter()
                    .filter(|id| !allowed.contains(&id.as_str()))
                    .map(|id| {
                        if is_forbidden(&id) {
                            format!("`{id}` (forbidden)")
                        } else {
                            format!("`{id}`")
                        }
                    })
                    .collect();
                report.offending.push(format!(
                    "`{crate_id}`: licence `{expression}` is not allowed (not on the allowlist: {})",
                    rejected.join(", ")
                ));
            }
            Err(why) => report
                .offending
                .push(format!("`{crate_id}`: cannot read licence `{expression}`: {why}")),
        }
    }
    report.offending.sort();
    report.mpl_users.sort();
    report.mpl_users.dedup();
    report.exception_users.sort();
    report.exception_users.dedup();
    Ok(report)
}

/// Package ids reachable from the workspace members in the resolve graph, skipping `cfg(fuzzing)` edges;
/// `None` when the metadata has no resolve graph.
fn reachable_package_ids(metadata: &serde_json::Value) -> Option<std::collections::BTreeSet<String>> {
    let nodes = metadata["resolve"]["nodes"].as_array()?;
    let members = metadata["workspace_members"].as_array()?;
    let deps_of: std::collections::BTreeMap<&str, &serde_json::Value> = nodes
        .iter()
        .filter_map(|node| Some((node["id"].as_str()?, &node["deps"])))
        .collect();
    let mut reachable: std::collections::BTreeSet<String> = members
        .iter()
        .filter_map(|member| member.as_str().map(str::to_owned))
        .collect();
    let mut pending: Vec<String> = reachable.iter().cloned().collect();
    while let Some(id) = pending.pop() {
        let Some(deps) = deps_of.get(id.as_str()).and_then(|deps| deps.as_array()) else {
            continue;
        };
        for dep in deps {
            let Some(dep_id) = dep["pkg"].as_str() else {
                continue;
            };
            let only_fuzzing = dep["dep_kinds"].as_array().is_some_and(|kinds| {
                !kinds.is_empty() && kinds.iter().all(|kind| kind["target"] == "cfg(fuzzing)")
            });
            if !only_fuzzing && reachable.insert(dep_id.to_owned()) {
                pending.push(dep_id.to_owned());
            }
        }
    }
    Some(reachable)
}

fn is_forbidden(id: &str) -> bool {
    FORBIDDEN_LICENCE_PREFIXES
        .iter()
        .any(|prefix| id.starts_with(prefix))
}

/// Evaluates an SPDX expression: `A OR B` is allowed when either side is, `A AND B` when both are,
/// `A WITH exception` when `A` is (exceptions only add permissions); `/` is the legacy spelling of `OR`.
pub(crate) fn licence_allowed(expression: &str, allowed: &[&str]) -> Result<bool, String> {
    let tokens = licence_tokens(expression);
    let mut parser = LicenceParser {
        tokens: &tokens,
        pos: 0,
        allowed,
    };
    let value = parser.or_expression()?;
    match parser.tokens.get(parser.pos) {
        None => Ok(value),
        Some(token) => Err(format!("unexpected `{token}`")),
    }
}

fn licence_tokens(expression: &str) -> Vec<String> {
    expression
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('/', " OR ")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The licence identifiers named in an expression (operators, parentheses and exceptions removed).
fn licence_ids(expression: &str) -> Vec<String> {
    let tokens = licence_tokens(expression);
    let mut ids = Vec::new();
    let mut after_with = false;
    for token in tokens {
        let upper = token.to_ascii_uppercase();
        if upper == "WITH" {
            after_with = true;
        } else if after_with {
            after_with = false;
        } else if !matches!(upper.as_str(), "OR" | "AND" | "(" | ")") {
            ids.push(token);
        }
    }
    ids
}

struct LicenceParser<'a> {
    tokens: &'a [String],
    pos: usize,
    allowed: &'a [&'a str],
}

impl LicenceParser<'_> {
    fn or_expression(&mut self) -> Result<bool, String> {
        let mut value = self.and_expression()?;
        while self.eat("OR") {
            let right = self.and_expression()?;
            value = value || right;
        }
        Ok(value)
    }

    fn and_expression(&mut self) -> Result<bool, String> {
        let mut value = self.atom()?;
        while self.eat("AND") {
            let right = self.atom()?;
            value = value && right;
        }
        Ok(value)
    }

    fn atom(&mut self) -> Result<bool, String> {
        let token = self
            .tokens
            .get(self.pos)
            .ok_or_else(|| "unexpected end".to_owned())?;
        self.pos += 1;
        match token.to_ascii_uppercase().as_str() {
            "(" => {
                let value = self.or_expression()?;
                if self.eat(")") {
                    Ok(value)
                } else {
                    Err("missing `)`".to_owned())
                }
            }
            ")" | "OR" | "AND" | "WITH" => Err(format!("unexpected `{token}`")),
            _ => {
                if self.eat("WITH") {
                    self.tokens
                        .get(self.pos)
                        .ok_or_else(|| "missing exception after `WITH`".to_owned())?;
                    self.pos += 1;
                }
                Ok(self.allowed.contains(&token.as_str()))
            }
        }
    }

    fn eat(&mut self, operator: &str) -> bool {
        let matches = self
            .tokens
            .get(self.pos)
            .is_some_and(|token| token.eq_ignore_ascii_case(operator));
        if matches {
            self.pos += 1;
        }
        matches
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("could not read `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    //! The tidy checks on the real workspace (run by `cargo test --workspace`), then each check on fixtures.

    use super::*;

    fn assert_clean(check: &str, problems: &[String]) {
        assert!(
            problems.is_empty(),
            "\ntidy: {check} found {} problem(s):\n  {}\n",
            problems.len(),
            problems.join("\n  ")
        );
    }

    #[test]
    fn tidy_crate_edges() {
        assert_clean(
            "crate edges (DESIGN.md §2)",
            &check_crate_edges(&project_root()).unwrap(),
        );
    }

    #[test]
    fn tidy_doc_headers() {
        assert_clean("`//!` headers", &check_doc_headers(&project_root()).unwrap());
    }

    #[test]
    fn tidy_one_ndarray() {
        let lock = read(&project_root().join("Cargo.lock")).unwrap();
        assert_clean("one ndarray", &check_one_ndarray(&lock));
    }

    #[test]
    fn tidy_licences() {
        let metadata = cargo_metadata(&project_root()).unwrap();
        let report = check_licences(&metadata).unwrap();
        if !report.mpl_users.is_empty() {
            println!("crates that need MPL-2.0: {}", report.mpl_users.join(", "));
        }
        if !report.exception_users.is_empty() {
            println!("licence exceptions used: {}", report.exception_users.join(", "));
        }
        assert_clean("licence allowlist", &report.offending);
    }

    #[test]
    fn tidy_banned_markers() {
        assert_clean("banned markers", &check_banned_markers(&project_root()).unwrap());
    }

    /// A fresh fixture tree under the temp dir, removed when dropped.
    struct Fixture {
        root: PathBuf,
    }

    impl Fixture {
        fn new(name: &str) -> Fixture {
            let root = std::env::temp_dir().join(format!("xtask-tidy-{}-{name}", std::process::id()));
            if root.exists() {
                std::fs::remove_dir_all(&root).unwrap();
            }
            std::fs::create_dir_all(&root).unwrap();
            Fixture { root }
        }

        fn write(&self, rel: &str, text: &str) -> &Fixture {
            let path = self.root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
            self
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    fn manifest(name: &str, sections: &str) -> String {
        format!("[package]\nname = \"{name}\" # the crate\nversion.workspace = true\n\n{sections}")
    }

    #[test]
    fn crate_edges_fixture() {
        let fixture = Fixture::new("edges");
        fixture
            .write("crates/mmrad-core/Cargo.toml", &manifest("mmrad-core", "[dependencies]\nndarray.workspace = true\n"))
            .write(
                "crates/mmrad-image/Cargo.toml",
                &manifest(
                    "mmrad-image",
                    "[dependencies]\nmmrad-core.workspace = true\nmmrad-features = { workspace = true }\n\
                     [dev-dependencies]\nmmrad-testkit.workspace = true\nmmrad-synth.workspace = true\n",
                ),
            )
            .write(
                "crates/mmrad-stats/Cargo.toml",
                &manifest(
                    "mmrad-stats",
                    "[dependencies.mmrad-io]\nworkspace = true\n\n\
                     [target.'cfg(unix)'.dependencies]\ncore2 = { package = \"mmrad-core\", path = \"../mmrad-core\" }\n\
                     [build-dependencies]\nmmrad-testkit.workspace = true\n",
                ),
            )
            .write("crates/mmrad-conformance/Cargo.toml", &manifest("mmrad-conformance", "[dependencies]\nmmrad-study = \"*\"\n"))
            .write("crates/mmrad-extra/Cargo.toml", &manifest("mmrad-extra", ""))
            .write("crates/mmrad-evaluation/Cargo.toml", &manifest("mmrad-evaluatio", ""))
            .write("crates/notes/README.md", "not a crate\n")
            .write("xtask/Cargo.toml", &manifest("xtask", "[dependencies]\nanyhow.workspace = true\nmmrad-core.workspace = true\n"));
        let problems = check_crate_edges(&fixture.root).unwrap();
        let expected = [
            "crates/mmrad-evaluation/Cargo.toml: package `mmrad-evaluatio` lives in folder `mmrad-evaluation`",
            "crates/mmrad-extra/Cargo.toml: crate `mmrad-extra` is not in the allowed-edges table",
            "crates/mmrad-image/Cargo.toml:7: `mmrad-image` may not depend on `mmrad-features` ([dependencies])",
            "crates/mmrad-image/Cargo.toml:10: `mmrad-image` may not depend on `mmrad-synth` ([dev-dependencies])",
            "crates/mmrad-stats/Cargo.toml:5: `mmrad-stats` may not depend on `mmrad-io` ([dependencies])",
            "crates/mmrad-stats/Cargo.toml:11: `mmrad-stats` may not depend on `mmrad-testkit` ([build-dependencies])",
            "xtask/Cargo.toml:7: `xtask` may not depend on `mmrad-core`",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        for (problem, prefix) in problems.iter().zip(expected) {
            assert!(
                problem.starts_with(prefix),
                "expected `{prefix}`, got `{problem}`"
            );
        }
    }

    #[test]
    fn manifest_parsing() {
        let text = "[package]\nname = \"a#b\"\n[dependencies]\n\"mmrad-x\" = { version = \"1\", features = [\n  \"f\",\n] }\n\
                    y = { package = 'mmrad-y' }\n[features]\ndefault = []\n[dev-dependencies.z]\npackage = \"mmrad-z\"\n";
        let parsed = parse_manifest(text);
        assert_eq!(parsed.package_name.as_deref(), Some("a#b"));
        let deps: Vec<(&str, DepKind, usize)> = parsed
            .dependencies
            .iter()
            .map(|dep| (dep.name.as_str(), dep.kind, dep.line_no))
            .collect();
        assert_eq!(
            deps,
            [
                ("mmrad-x", DepKind::Normal, 4),
                ("mmrad-y", DepKind::Normal, 7),
                ("mmrad-z", DepKind::Dev, 10)
            ]
        );
    }

    /// Fixture sources spell the banned markers masked (`~` for `!`, `IGNORE`), so that the markers never appear
    /// literally in this file and repository-wide greps for them stay meaningful.
    fn unmask(source: &str) -> String {
        source
            .replace("~(", "!(")
            .replace("#[IGNORE", concat!("#[", "ignore"))
    }

    #[test]
    fn doc_headers_and_banned_markers_fixture() {
        let fixture = Fixture::new("files");
        fixture
            .write("crates/a/src/lib.rs", &unmask("//! Owns a.\n#[test]\n#[IGNORE = \"slow\"]\nfn t() { dbg~(1); }\n"))
            .write("crates/a/src/bad.rs", &unmask("// plain comment\nfn f() { todo~() }\n"))
            .write("crates/a/tests/empty.rs", "")
            .write("crates/a/target/debug/gen.rs", &unmask("fn generated() { unimplemented~() }\n"))
            .write("crates/a/.hidden/x.rs", "fn hidden() {}\n")
            .write("crates/b/src/lib.rs", &unmask("//! Owns b.\n// todo~() in a comment is fine\nfn my_todo() {}\nmacro_rules! my_dbg { () => {} }\nfn g() { my_dbg!(); }\n"))
            .write("crates/b/src/p.rs", &unmask("//! Owns p.\n#[should_panic]\nfn p() { unimplemented~(\"x\") }\n"))
            .write("xtask/src/main.rs", "fn main() {}\n");
        let headers = check_doc_headers(&fixture.root).unwrap();
        let header_files: Vec<&str> = headers.iter().map(|p| p.split(':').next().unwrap()).collect();
        assert_eq!(
            header_files,
            [
                "crates/a/src/bad.rs",
                "crates/a/tests/empty.rs",
                "xtask/src/main.rs"
            ]
        );

        let banned = check_banned_markers(&fixture.root).unwrap();
        let expected = [
            "crates/a/src/bad.rs:2: `todo!`: ",
            concat!("crates/a/src/lib.rs:3: `#[", "ignore`: "),
            "crates/a/src/lib.rs:4: `dbg!`: ",
            "crates/b/src/p.rs:2: `#[should_panic`: ",
            "crates/b/src/p.rs:3: `unimplemented!`: ",
        ];
        assert_eq!(banned.len(), expected.len(), "{banned:#?}");
        for (problem, prefix) in banned.iter().zip(expected) {
            assert!(
                problem.starts_with(prefix),
                "expected `{prefix}`, got `{problem}`"
            );
        }
    }

    #[test]
    fn one_ndarray_in_lock() {
        let one = "[[package]]\nname = \"ndarray\"\nversion = \"0.16.1\"\n\n[[package]]\nname = \"ndarray-stats\"\nversion = \"0.6.0\"\n";
        assert_eq!(check_one_ndarray(one), Vec::<String>::new());
        let two = format!("{one}\n[[package]]\nname = \"ndarray\"\nversion = \"0.17.1\"\n");
        let problems = check_one_ndarray(&two);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("2 `ndarray` versions (0.16.1, 0.17.1)"),
            "{problems:?}"
        );
        assert_eq!(check_one_ndarray("").len(), 1);
    }

    #[test]
    fn licence_expressions() {
        let cases: &[(&str, Result<bool, ()>)] = &[
            ("MIT", Ok(true)),
            ("MIT OR Apache-2.0", Ok(true)),
            ("MIT/Apache-2.0", Ok(true)),
            ("Apache-2.0 / MIT", Ok(true)),
            ("Unlicense OR MIT", Ok(true)),
            ("Unlicense", Ok(false)),
            ("MIT AND Apache-2.0", Ok(true)),
            ("MIT AND GPL-3.0", Ok(false)),
            ("MIT OR Apache-2.0 OR LGPL-2.1-or-later", Ok(true)),
            ("(MIT OR Apache-2.0) AND Unicode-3.0", Ok(true)),
            ("(MIT OR GPL-2.0) AND (AGPL-3.0 OR EUPL-1.2)", Ok(false)),
            ("Apache-2.0 WITH LLVM-exception", Ok(true)),
            ("GPL-2.0 WITH Classpath-exception-2.0", Ok(false)),
            ("mit or apache-2.0", Ok(false)),
            ("MPL-2.0", Ok(true)),
            ("MIT OR", Err(())),
            ("(MIT", Err(())),
            ("MIT Apache-2.0", Err(())),
            ("", Err(())),
        ];
        for (expression, expected) in cases {
            let got = licence_allowed(expression, ALLOWED_LICENCES).map_err(|_| ());
            assert_eq!(&got, expected, "licence `{expression}`");
        }
    }

    #[test]
    fn licence_report_from_metadata() {
        let metadata = serde_json::json!({ "packages": [
            { "name": "ok", "version": "1.0.0", "license": "MIT OR Apache-2.0" },
            { "name": "mpl-only", "version": "2.0.0", "license": "MPL-2.0" },
            { "name": "mpl-or-mit", "version": "1.0.0", "license": "MPL-2.0 OR MIT" },
            { "name": "copyleft", "version": "0.1.0", "license": "GPL-3.0-only AND MIT" },
            { "name": "unknown", "version": "0.2.0", "license": "WTFPL" },
            { "name": "nofield", "version": "0.3.0", "license": null, "license_file": "LICENSE" },
            { "name": "garbled", "version": "0.4.0", "license": "MIT AND" },
        ]});
        let report = check_licences(&metadata).unwrap();
        assert_eq!(report.mpl_users, ["mpl-only 2.0.0"]);
        assert_eq!(
            report.offending,
            [
                "`copyleft 0.1.0`: licence `GPL-3.0-only AND MIT` is not allowed (not on the allowlist: `GPL-3.0-only` (forbidden))",
                "`garbled 0.4.0`: cannot read licence `MIT AND`: unexpected end",
                "`nofield 0.3.0`: no SPDX `license` field (license_file: `LICENSE`)",
                "`unknown 0.2.0`: licence `WTFPL` is not allowed (not on the allowlist: `WTFPL`)",
            ]
        );
    }

    #[test]
    fn licence_check_follows_the_resolve_graph() {
        let node = |id: &str, deps: serde_json::Value| serde_json::json!({ "id": id, "deps": deps });
        let dep = |pkg: &str, target: Option<&str>| serde_json::json!({ "pkg": pkg, "dep_kinds": [{ "kind": null, "target": target }] });
        let package = |id: &str, licence: &str| serde_json::json!({ "id": id, "name": id, "version": "1.0.0", "license": licence });
        let metadata = serde_json::json!({
            "workspace_members": ["app"],
            "packages": [
                package("app", "MIT"),
                package("win", "GPL-3.0"),
                package("fuzz", "NCSA"),
                package("orphan", "AGPL-3.0"),
                package("jpeg-encoder", "(MIT OR Apache-2.0) AND IJG"),
                package("other-jpeg", "IJG"),
            ],
            "resolve": { "nodes": [
                node("app", serde_json::json!([
                    dep("win", Some("cfg(windows)")),
                    dep("fuzz", Some("cfg(fuzzing)")),
                    dep("jpeg-encoder", None),
                    dep("other-jpeg", None),
                ])),
                node("win", serde_json::json!([])),
                node("fuzz", serde_json::json!([])),
                node("orphan", serde_json::json!([])),
                node("jpeg-encoder", serde_json::json!([])),
                node("other-jpeg", serde_json::json!([])),
            ]},
        });
        let report = check_licences(&metadata).unwrap();
        // `win` is reachable on another platform and still checked; `fuzz` and `orphan` are never built.
        assert_eq!(
            report.offending,
            [
                "`other-jpeg 1.0.0`: licence `IJG` is not allowed (not on the allowlist: `IJG`)",
                "`win 1.0.0`: licence `GPL-3.0` is not allowed (not on the allowlist: `GPL-3.0` (forbidden))",
            ]
        );
        assert_eq!(report.exception_users, ["jpeg-encoder 1.0.0 (IJG)"]);
    }

    #[test]
    fn edge_table_is_consistent() {
        // Every allowed target is itself a crate in the table, and no crate lists itself.
        for (name, allowed) in ALLOWED_EDGES {
            for target in allowed.unwrap_or(&[]) {
                assert!(
                    ALLOWED_EDGES.iter().any(|(other, _)| other == target),
                    "{name} -> {target}"
                );
                assert_ne!(name, target);
            }
        }
    }
}
