//! mmrad-protocol: the YAML study protocol (`version: 1`), validated into a typed [`Plan`].
//!
//! Modules, in reading order:
//! - [`plan`]: the typed, validated [`Plan`] the study runner executes (no serde on it).
//! - [`dto`]: the serde data-transfer objects that mirror the YAML file one to one (`deny_unknown_fields`).
//! - [`validate`]: DTO → `Plan`, with every error naming the YAML path and suggesting a fix.
//!
//! The schema, with every default, is documented on [`dto::ProtocolDto`].
//! This crate reads the protocol file and nothing else: it never opens the cohort tables it names (the study does).

pub mod dto;
pub mod params_file;
pub mod plan;
pub mod validate;

use std::path::{Path, PathBuf};

pub use plan::*;

/// Errors while reading or validating a protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The protocol file could not be read.
    #[error("cannot read protocol `{path}`: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// The YAML is malformed or does not fit the schema (unknown key, wrong type); `message` names the YAML path.
    #[error("{message}")]
    Syntax {
        message: String,
        line: Option<usize>,
        column: Option<usize>,
    },
    /// The YAML fits the schema but a value is invalid.
    #[error("{path}: {message}")]
    Invalid {
        path: String,
        message: String,
        help: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A suggestion for the user, when there is one.
    pub fn help(&self) -> Option<&str> {
        match self {
            Error::Invalid { help, .. } if !help.is_empty() => Some(help),
            Error::Read { .. } => Some("check the path; a protocol is a UTF-8 YAML text file"),
            Error::Syntax { .. } => Some(
                "compare with `studies/liang2025.yaml`; every key is documented in mmrad-protocol's `dto` module",
            ),
            _ => None,
        }
    }

    /// The YAML path (`models.fusion.of[2]`) the error is about, when known.
    pub fn yaml_path(&self) -> Option<&str> {
        match self {
            Error::Invalid { path, .. } => Some(path),
            _ => None,
        }
    }

    /// `line:column` in the protocol file, when known (1-based).
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            Error::Syntax {
                line: Some(line),
                column: Some(column),
                ..
            } => Some((*line, *column)),
            _ => None,
        }
    }

    pub(crate) fn invalid(
        path: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Error {
        Error::Invalid {
            path: path.into(),
            message: message.into(),
            help: help.into(),
        }
    }
}

/// Reads and validates a protocol file; relative paths inside it resolve against the file's folder.
///
/// # Errors
/// [`Error::Read`], [`Error::Syntax`] or [`Error::Invalid`].
pub fn load(path: &Path) -> Result<Plan> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&text, &base_dir)
}

/// Parses and validates protocol text; relative paths resolve against `base_dir`.
///
/// # Errors
/// [`Error::Syntax`] or [`Error::Invalid`].
pub fn parse(text: &str, base_dir: &Path) -> Result<Plan> {
    let dto: dto::ProtocolDto = serde_yaml::from_str(text).map_err(|err| syntax_error(&err, ""))?;
    validate::validate(dto, base_dir)
}

/// A YAML error as [`Error::Syntax`]; the " at line L column C" the parser writes into its message (at the end or
/// before ", while parsing ...") is removed because the location is reported on its own line.
pub(crate) fn syntax_error(err: &serde_yaml::Error, prefix: &str) -> Error {
    let location = err.location();
    let message = err.to_string();
    if location.is_none() && message.contains("more than one document") {
        // The parser gives no position for this one; it is about the whole file, which starts at 1:1.
        return Error::Syntax {
            message: format!(
                "{prefix}the file is not one YAML document; check the indentation of the top-level keys and remove any `---` line"
            ),
            line: Some(1),
            column: Some(1),
        };
    }
    let message = if location.is_some() {
        strip_line_column(&message)
    } else {
        message
    };
    Error::Syntax {
        message: format!("{prefix}{message}"),
        line: location.as_ref().map(|l| l.line()),
        column: location.as_ref().map(|l| l.column()),
    }
}

/// `message` without its first " at line L column C".
fn strip_line_column(message: &str) -> String {
    let Some(start) = message.find(" at line ") else {
        return message.to_owned();
    };
    let rest = &message[start + " at line ".len()..];
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let Some(rest) = rest.strip_prefix(" column ") else {
        return message.to_owned();
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    format!("{}{rest}", &message[..start])
}

#[cfg(test)]
mod tests;
