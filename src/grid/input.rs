//! Errors and TOML helpers shared by [`super::carbon`] and [`super::tariff`]: every input
//! error names the file, the 1-based line and the field.

use std::fmt;

/// Everything that can go wrong loading grid data.
#[derive(Debug, thiserror::Error)]
pub enum GridError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is malformed or fails validation.
    #[error("{location}: {field}: {message}")]
    Input {
        /// File and line.
        location: Location,
        /// Dotted field (TOML key such as `energy[1].hours`, or a CSV column such as
        /// `column 2 (g_per_kwh)`), or `-` when it cannot be told.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

impl GridError {
    /// The 1-based line the error refers to, if known.
    pub fn line(&self) -> Option<usize> {
        match self {
            GridError::Io { .. } => None,
            GridError::Input { location, .. } => location.line,
        }
    }

    /// The field the error refers to, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            GridError::Io { .. } => None,
            GridError::Input { field, .. } => Some(field),
        }
    }

    pub(crate) fn input(
        file: &str,
        line: Option<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> GridError {
        GridError::Input {
            location: Location {
                file: file.to_string(),
                line,
            },
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Where in an input an error was found: the file name as the caller gave it and, when known, a
/// 1-based line number. Displays as `file:line` or `file`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file name given by the caller, for messages only.
    pub file: String,
    /// 1-based line number, if the error can be pinned to a line.
    pub line: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.file, line),
            None => write!(f, "{}", self.file),
        }
    }
}

// ---------------------------------------------------------------------------
// Shared TOML helpers

pub(crate) use crate::locate::line_of;
use crate::locate::toml_error_field;

/// Converts a TOML deserialisation error into a [`GridError`] naming file, line and field.
pub(crate) fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> GridError {
    let message = e.message().trim().to_string();
    let offset = e.span().map(|s| s.start);
    let field = toml_error_field(text, offset, &message);
    GridError::input(file, offset.map(|o| line_of(text, o)), field, message)
}

/// Reads a file to a string, mapping failure to [`GridError::Io`].
pub(crate) fn read_file(path: &std::path::Path) -> Result<(String, String), GridError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| GridError::Io {
        path: shown.clone(),
        source,
    })?;
    Ok((shown, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locate::key_at;

    #[test]
    fn key_at_handles_arrays_of_tables_and_multiline_arrays() {
        let text = "name = \"x\"\nrows = [\n  [1, 2],\n  [3, 4],\n]\n[[energy]]\nname = \"a\"\n\
                    [[energy]]\nname = \"b\"\nhours = [1, 2]\n";
        let ctx = key_at(text, text.find("[3, 4]").unwrap()).unwrap();
        assert_eq!((ctx.table.as_str(), ctx.key.as_deref()), ("", Some("rows")));
        let ctx = key_at(text, text.find("[1, 2],").unwrap()).unwrap();
        assert_eq!(ctx.key.as_deref(), Some("rows"));
        let ctx = key_at(text, text.rfind("hours").unwrap()).unwrap();
        assert_eq!(
            (ctx.table.as_str(), ctx.key.as_deref()),
            ("energy[1]", Some("hours"))
        );
    }

    #[test]
    fn location_displays_with_and_without_line() {
        let e = GridError::input("f.toml", Some(3), "a.b", "bad");
        assert_eq!(e.to_string(), "f.toml:3: a.b: bad");
        let e = GridError::input("f.toml", None, "a", "bad");
        assert_eq!(e.to_string(), "f.toml: a: bad");
    }
}
