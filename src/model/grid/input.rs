//! Errors and TOML helpers shared by [`super::carbon`] and [`super::tariff`]: every input
//! error names the file, the 1-based line and the field.

// The error types live in `crate::base::error` (re-exported here) so that the crate's error can carry
// them typed without `error` importing `grid`.
pub use crate::base::error::{GridError, Location};

pub(crate) use crate::base::locate::line_of;
use crate::base::locate::toml_error_field;

/// Converts a TOML deserialisation error into a [`GridError`] naming file, line and field.
pub(crate) fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> GridError {
    let message = e.message().trim().to_string();
    let offset = e.span().map(|s| s.start);
    let field = toml_error_field(text, offset, &message);
    GridError::input(file, offset.map(|o| line_of(text, o)), field, message)
}

/// Where a model file's errors point: the file (by its shown name and text) and, for a table
/// inside a larger document, the key path its fields are prefixed with.
pub(crate) struct FileAt<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub prefix: &'a str,
}

impl FileAt<'_> {
    /// An error at the line where `span` starts, on `field` (prefixed).
    pub(crate) fn err(
        &self,
        span: std::ops::Range<usize>,
        field: &str,
        msg: impl Into<String>,
    ) -> GridError {
        let field = if self.prefix.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.prefix)
        };
        GridError::input(self.file, Some(line_of(self.text, span.start)), field, msg)
    }
}

/// Reads a file to a string, mapping failure to [`GridError::Io`].
pub(crate) fn read_file(path: &std::path::Path) -> Result<(String, String), GridError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| GridError::Io(crate::base::error::ReadError::new(&shown, e)))?;
    Ok((shown, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::locate::key_at;

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
