//! The one error style of the CLI (`error: <what>` / `  --> <file, column or YAML path>` / `  help: <what to do>`)
//! and its exit codes.
//!
//! Every command reports through [`UserError::report`], so the three lines look the same everywhere; clap's usage
//! errors (exit 2) start with `error:` too.

use std::process::ExitCode;

/// Bad input or a failed run.
pub const EXIT_BAD_INPUT: u8 = 1;
/// A usage error: a missing or malformed argument (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// `mmrad study run`: an `expected:` check of the protocol missed.
pub const EXIT_EXPECTATION_MISSED: u8 = 3;
/// `mmrad study check`: an output of the rerun differs from the manifest.
pub const EXIT_NOT_REPRODUCED: u8 = 4;

/// An error for the user: what, where, and what to do.
#[derive(Debug)]
pub struct UserError {
    pub message: String,
    pub location: Option<String>,
    pub help: Option<String>,
    pub exit: u8,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> UserError {
        UserError {
            message: message.into(),
            location: None,
            help: None,
            exit: EXIT_BAD_INPUT,
        }
    }

    /// A usage error (exit 2) found after argument parsing (e.g. two options that do not go together).
    pub fn usage(message: impl Into<String>) -> UserError {
        UserError {
            exit: EXIT_USAGE,
            ..UserError::new(message)
        }
    }

    /// Sets the location line.
    pub fn at(mut self, location: impl Into<String>) -> UserError {
        self.location = Some(location.into());
        self
    }

    /// Sets the location line unless the error already names a more precise one.
    pub fn or_at(mut self, location: impl Into<String>) -> UserError {
        if self.location.is_none() {
            self.location = Some(location.into());
        }
        self
    }

    pub fn help(mut self, help: Option<String>) -> UserError {
        self.help = help;
        self
    }

    /// Prints the error on stderr and returns its exit code.
    pub fn report(&self) -> ExitCode {
        eprint!("{}", self.text());
        ExitCode::from(self.exit)
    }

    /// The printed form: `error:`, then `  -->` and `  help:` when known.
    pub fn text(&self) -> String {
        let mut text = format!("error: {}\n", self.message);
        if let Some(location) = &self.location {
            text.push_str(&format!("  --> {location}\n"));
        }
        if let Some(help) = &self.help {
            text.push_str(&format!("  help: {help}\n"));
        }
        text
    }

    /// A study error, with the help of a table tool (`mmrad eval`, `mmrad lasso`, a batch CSV) instead of the
    /// protocol-centred help of the study runner.
    pub fn from_table_tool(error: mmrad_study::Error, command: &str) -> UserError {
        let help = match &error {
            mmrad_study::Error::ReadTable { .. } => {
                Some("check the path and that the file is CSV with a header row, or Parquet".to_owned())
            }
            mmrad_study::Error::MissingColumn { column, .. } => Some(format!(
                "column names are case-sensitive; check the spelling of `{column}` against the header"
            )),
            mmrad_study::Error::NotNumeric { .. } => Some(
                "every column used must hold numbers; exclude text columns or code them as numbers"
                    .to_owned(),
            ),
            mmrad_study::Error::Fit { .. } => Some(format!("see `mmrad {command} --help` for the options")),
            _ => error.help(),
        };
        UserError::from(error).help(help)
    }
}

impl From<mmrad_study::Error> for UserError {
    fn from(e: mmrad_study::Error) -> Self {
        let help = e.help();
        let location = e.location();
        UserError {
            location,
            ..UserError::new(e.to_string()).help(help)
        }
    }
}

impl From<anyhow::Error> for UserError {
    fn from(e: anyhow::Error) -> Self {
        UserError::new(format!("{e:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_lines_in_order() {
        let error = UserError::new("bad `x`")
            .at("a.yaml: models.fusion")
            .help(Some("fix it".into()));
        assert_eq!(
            error.text(),
            "error: bad `x`\n  --> a.yaml: models.fusion\n  help: fix it\n"
        );
        assert_eq!(UserError::new("m").text(), "error: m\n");
        assert_eq!(
            UserError::new("m").at("here").or_at("there").location.as_deref(),
            Some("here")
        );
        assert_eq!(UserError::usage("m").exit, EXIT_USAGE);
    }
}
