//! Typed errors. Every input error names the file, the line and the field, and says what was
//! expected, because the user's next action is to open that file at that line.

use std::ops::Range;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: cannot read")]
    Read {
        file: String,
        source: std::io::Error,
    },
    /// Bad content in an input file (run file, model file, trace).
    #[error("{}", render_input(.file, *.line, *.col, .field, .msg))]
    Input {
        file: String,
        line: usize,
        col: usize,
        field: String,
        msg: String,
    },
    #[error("{path}: cannot write")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid option {option}: {}", crate::base::numfmt::tidy(.msg))]
    Option { option: String, msg: String },
    /// A grid input file (carbon profile or CSV, tariff): typed up to the top.
    #[error("{}", crate::base::numfmt::tidy(&.0.to_string()))]
    Grid(#[from] GridError),
    /// A climate or weather file.
    #[error("{}", crate::base::numfmt::tidy(&.0.to_string()))]
    /// (Held as its message's source: the weather model converts its own error into this
    /// variant, so the error type does not import a layer above it.)
    Weather(Box<dyn std::error::Error + Send + Sync>),
    /// A cooling-plant or electrical-chain model file.
    #[error("{}", crate::base::numfmt::tidy(&.0.to_string()))]
    Facility(#[from] FacilityError),
    /// Writing plots.
    #[error("{}", crate::base::numfmt::tidy(&.0.to_string()))]
    /// (Converted by the plots, as for weather.)
    Plot(Box<dyn std::error::Error + Send + Sync>),
    #[error("{}", crate::base::numfmt::tidy(.0))]
    Other(String),
}

/// A data file that could not be read: its path as given and the operating system's error
/// (shared by the grid and weather readers).
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot read: {source}")]
pub struct ReadError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

impl ReadError {
    pub fn new(path: &str, source: std::io::Error) -> ReadError {
        ReadError {
            path: path.to_string(),
            source,
        }
    }
}

/// Everything that can go wrong loading grid data.
#[derive(Debug, thiserror::Error)]
pub enum GridError {
    /// The file could not be read.
    #[error(transparent)]
    Io(ReadError),
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
            GridError::Io(_) => None,
            GridError::Input { location, .. } => location.line,
        }
    }

    /// The field the error refers to, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            GridError::Io(_) => None,
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

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.file, line),
            None => write!(f, "{}", self.file),
        }
    }
}

/// A model file or a model built in code that cannot be used.
///
/// The file variants name the file, the 1-based line and the field (dotted for nested tables,
/// e.g. `air.crah_min_speed`), and say what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FacilityError {
    /// The TOML could not be read into the model (syntax, unknown field, wrong type, missing
    /// field).
    #[error("{file}:{line}: field `{field}`: {message}")]
    Toml {
        /// File name as given to the loader.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field, dotted for nested tables.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The TOML was read but a value is out of its physical range or inconsistent.
    #[error("{file}:{line}: field `{field}`: {message}")]
    Invalid {
        /// File name as given to the loader.
        file: String,
        /// 1-based line where the field is set (its table's header, or 1, if not set).
        line: usize,
        /// Field, dotted for nested tables.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A model built in code (no file) has a bad parameter.
    #[error("field `{field}`: {message}")]
    Param {
        /// Field, by its model-file name.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
}

fn render_input(file: &str, line: usize, col: usize, field: &str, msg: &str) -> String {
    let msg = &crate::base::numfmt::tidy(msg);
    let loc = match (line, col) {
        (0, _) => file.to_string(),
        (l, 0) => format!("{file}:{l}"),
        (l, c) => format!("{file}:{l}:{c}"),
    };
    if field.is_empty() {
        format!("{loc}: {msg}")
    } else {
        format!("{loc}: field `{field}`: {msg}")
    }
}

/// An input file's name and text, kept so that errors found after parsing (an unknown name, an
/// inconsistent value) can still point at a line.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        crate::base::locate::line_col(&self.text, offset)
    }

    /// An error pointing at a span of this source.
    pub fn error_at(&self, span: Range<usize>, field: &str, msg: impl Into<String>) -> Error {
        let (line, col) = self.line_col(span.start);
        let field = if field.is_empty() {
            crate::base::locate::key_before(&self.text, span.start).unwrap_or_default()
        } else {
            field.to_string()
        };
        Error::Input {
            file: self.name.clone(),
            line,
            col,
            field,
            msg: msg.into(),
        }
    }

    /// An error about the whole file or one of its top-level settings (`start`, `trials`):
    /// points at the first line that sets the field's key. An error about one entry of an
    /// array of tables (a group, a workload) must use [`Source::error_at`] with the entry's
    /// span, or [`crate::input::check::err_after`] with the entry's start: the first `pool =` of the
    /// file is another entry's.
    pub fn error(&self, field: &str, msg: impl Into<String>) -> Error {
        if let Some(off) = crate::base::locate::top_level_key(&self.text, field) {
            return self.error_at(off..off, field, msg);
        }
        Error::Input {
            file: self.name.clone(),
            line: 0,
            col: 0,
            field: field.to_string(),
            msg: msg.into(),
        }
    }

    /// Converts a TOML deserialisation error into one that names file, line and field.
    pub fn toml_error(&self, e: &toml::de::Error) -> Error {
        let msg = plain_message(e.message().trim());
        match e.span() {
            Some(span) => {
                let mut err = self.error_at(span.clone(), "", msg.clone());
                // serde's "unknown field `x`" already names the field; keep it as the field.
                if let Some(f) = backticked(&msg)
                    && (msg.starts_with("unknown field") || msg.starts_with("missing field"))
                    && let Error::Input { field, .. } = &mut err
                {
                    *field = f;
                }
                err
            }
            None => Error::Input {
                file: self.name.clone(),
                line: 0,
                col: 0,
                field: String::new(),
                msg,
            },
        }
    }
}

/// serde's type errors in the file's own words: "expected a whole number from 0 to 4294967295,
/// found 2.5" rather than "invalid type: floating point `2.5`, expected u32", and numbers printed
/// compactly (`1e308`, not 309 digits).
fn plain_message(msg: &str) -> String {
    let found = backticked(msg).map(|t| match t.parse::<f64>() {
        Ok(x) if t.len() > 16 => crate::base::numfmt::num(x),
        _ => t,
    });
    let range = [
        ("expected u8", "0 to 255"),
        ("expected u16", "0 to 65535"),
        ("expected u32", "0 to 4294967295"),
        ("expected u64", "0 to 18446744073709551615"),
        ("expected usize", "0 to 18446744073709551615"),
        ("expected i32", "-2147483648 to 2147483647"),
        (
            "expected i64",
            "-9223372036854775808 to 9223372036854775807",
        ),
    ];
    if let Some(found) = &found
        && (msg.starts_with("invalid type: floating point")
            || msg.starts_with("invalid value: integer"))
        && let Some((_, r)) = range.iter().find(|(k, _)| msg.ends_with(k))
    {
        return format!("expected a whole number from {r}, found {found}");
    }
    // TOML integers stop at i64: a larger one written without a point or an exponent.
    if let Some(found) = &found
        && msg.starts_with("invalid type: integer")
        && msg.contains(" as i128")
    {
        return format!(
            "expected a number, found the whole number {found}, beyond the largest whole number a TOML file holds (9223372036854775807): write it with an exponent, e.g. {found}"
        );
    }
    match (found, backticked(msg)) {
        (Some(f), Some(t)) if f != t => msg.replacen(&t, &f, 1),
        _ => msg.to_string(),
    }
}

fn backticked(msg: &str) -> Option<String> {
    crate::base::locate::backticked(msg).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_found_for_inline_values() {
        let text = "a = 1\ndiurnal = { peak_hour = 25 }\n";
        let off = text.find("25").unwrap();
        let s = Source::new("f.toml", text);
        let e = s.error_at(off..off + 2, "", "bad");
        assert_eq!(e.to_string(), "f.toml:2:25: field `peak_hour`: bad");
    }
}
