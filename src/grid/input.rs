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

/// 1-based line number of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Converts a TOML deserialisation error into a [`GridError`] naming file, line and field.
pub(crate) fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> GridError {
    let message = e.message().trim().to_string();
    let offset = e.span().map(|s| s.start);
    let field = toml_error_field(text, offset, &message);
    GridError::input(file, offset.map(|o| line_of(text, o)), field, message)
}

/// The text between the first pair of backticks in `message`.
fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// The dotted field a TOML deserialisation error is about, or `-`. `offset` is the start of the
/// error's span: for an unknown key it is the key itself, for a missing key the enclosing table
/// (or the start of the document), otherwise the offending value.
fn toml_error_field(text: &str, offset: Option<usize>, message: &str) -> String {
    let context = offset.and_then(|o| key_at(text, o));
    let unknown = message.starts_with("unknown field");
    let missing = message.starts_with("missing field");
    let named = backticked(message).filter(|_| unknown || missing);
    match (named, context) {
        // For an unknown key the span is the key itself; for a missing key it is the enclosing
        // table's header (no key in force there) or the start of the document.
        (Some(name), Some(ctx)) if unknown || (missing && ctx.key.is_none()) => {
            join(&ctx.table, name)
        }
        (Some(name), _) => name.to_string(),
        (None, Some(ctx)) => match ctx.key {
            Some(k) => join(&ctx.table, &k),
            None if !ctx.table.is_empty() => ctx.table,
            None => "-".to_string(),
        },
        (None, None) => "-".to_string(),
    }
}

fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// The table and key in force at a byte offset.
struct KeyContext {
    /// Dotted table path, with an index for arrays of tables (`energy[2]`); empty at top level.
    table: String,
    /// The last `key =` at or before the offset within that table, if any.
    key: Option<String>,
}

/// Bracket depth change of a TOML value fragment, ignoring brackets in strings and comments.
fn bracket_delta(fragment: &str) -> i64 {
    let mut depth = 0i64;
    let mut in_str: Option<char> = None;
    let mut prev = ' ';
    for c in fragment.chars() {
        match in_str {
            Some(q) => {
                if c == q && !(q == '"' && prev == '\\') {
                    in_str = None;
                }
            }
            None => match c {
                '"' | '\'' => in_str = Some(c),
                '#' => break,
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                _ => {}
            },
        }
        prev = c;
    }
    depth
}

/// The table and key in force at byte `offset` (heuristic, enough for error messages: handles
/// `[table]`, `[[array]]` headers and multi-line array values).
fn key_at(text: &str, offset: usize) -> Option<KeyContext> {
    let target_line = line_of(text, offset);
    let mut table = String::new();
    let mut key: Option<String> = None;
    let mut array_counts: Vec<(String, usize)> = Vec::new();
    let mut depth = 0i64;
    for (i, raw) in text.lines().enumerate() {
        if i + 1 > target_line {
            break;
        }
        let line = raw.trim();
        if depth > 0 {
            depth = (depth + bracket_delta(line)).max(0);
            continue;
        }
        if line.starts_with("[[") {
            let name = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let idx = match array_counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => {
                    *c += 1;
                    *c - 1
                }
                None => {
                    array_counts.push((name.clone(), 1));
                    0
                }
            };
            table = format!("{name}[{idx}]");
            key = None;
        } else if let Some(rest) = line.strip_prefix('[') {
            table = rest.split(']').next().unwrap_or("").trim().to_string();
            key = None;
        } else if let Some((k, v)) = line.split_once('=') {
            let k = k.trim();
            if !k.is_empty()
                && !k.starts_with('#')
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
            {
                key = Some(k.to_string());
                depth = bracket_delta(v).max(0);
            }
        }
    }
    if table.is_empty() && key.is_none() {
        None
    } else {
        Some(KeyContext { table, key })
    }
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
