//! Where in a TOML source an error is: the one locator every parser uses (run files, model
//! files, climates, cooling and electrical models, carbon and tariff files).
//!
//! Errors found by serde come with a byte span; errors found later (a value out of range, an
//! unknown name) carry the span of the value they are about, or the byte where their entry
//! (table) starts. These helpers turn either into a line, a column and a dotted field name.
//! A field is never looked up by its bare key in the whole file: an entry's own fields are
//! searched from the entry's start, so an error about the second `[[site.group]]` points at
//! the second group's line, not the first's.

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(off, |p| off - p - 1) + 1;
    (line, col)
}

/// The text between the first pair of backticks in `message`.
pub fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// Byte offset of the entry's own `field =` for the entry (table) at byte `at` (a whole key, not
/// the tail of a longer one), or `None`. `at` is a span the parser gave: an entry's header
/// (`[[grid.demand_response.events]]`), an inline table's `{`, or a value inside the entry (its
/// name). Only the entry's own text is searched (see [`entry_extent`]), so a field the entry
/// leaves out is never taken from the next entry.
pub fn key_after(text: &str, at: usize, field: &str) -> Option<usize> {
    let at = at.min(text.len());
    if field.is_empty() || !text.is_char_boundary(at) {
        return None;
    }
    let (start, end) = entry_extent(text, at);
    text[start..end]
        .match_indices(field)
        .find(|(i, _)| {
            let rest = &text[start + i + field.len()..end];
            let before = text[..start + i].chars().last();
            rest.trim_start().starts_with('=')
                && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(i, _)| start + i)
}

/// The byte range of the entry (table) that the span starting at `at` belongs to: an inline
/// table `{ ... }` starting at `at` is itself; otherwise from the table header at or before
/// `at` (or the start of the file) to the next header (or the end).
pub fn entry_extent(text: &str, at: usize) -> (usize, usize) {
    if text[at..].starts_with('{') {
        return (at, at + inline_table_len(&text[at..]));
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut start = 0;
    let mut off = 0;
    for line in text[..line_start].split_inclusive('\n') {
        if is_header(line) {
            start = off;
        }
        off += line.len();
    }
    let first_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i + 1);
    if is_header(&text[line_start..first_end]) {
        start = line_start;
    }
    let mut end = first_end;
    for line in text[first_end..].split_inclusive('\n') {
        if is_header(line) {
            break;
        }
        end += line.len();
    }
    (start, end)
}

/// A `[table]` or `[[array]]` header line: a bracketed dotted key, nothing after it but a
/// comment (a line of a multi-line array such as `[1, 2],` is not).
fn is_header(line: &str) -> bool {
    let t = line.trim();
    let Some(inner) = t.strip_prefix('[') else {
        return false;
    };
    let inner = inner.strip_prefix('[').unwrap_or(inner);
    let Some(close) = inner.find(']') else {
        return false;
    };
    let (key, rest) = inner.split_at(close);
    let rest = rest.trim_start_matches(']').trim_start();
    !key.trim().is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '"' | '\''))
        && (rest.is_empty() || rest.starts_with('#'))
}

/// Bytes up to and including the `}` that closes the inline table `text` starts with (strings
/// skipped), or all of `text`.
fn inline_table_len(text: &str) -> usize {
    let mut depth = 0i64;
    let mut in_str: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match in_str {
            Some(q) if c == q && !(q == '"' && prev == '\\') => in_str = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => in_str = Some(c),
                '{' | '[' => depth += 1,
                '}' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            },
        }
        prev = c;
    }
    text.len()
}

/// Byte offset of the line that sets the leaf key of a (dotted) `field` in a file with one
/// value per key at top level (run-file settings such as `start` or `trials`): the first line
/// that starts with `leaf =`.
pub fn top_level_key(text: &str, field: &str) -> Option<usize> {
    let leaf = field.rsplit('.').next()?;
    if leaf.is_empty() {
        return None;
    }
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(leaf)
            && rest.trim_start().starts_with('=')
        {
            return Some(off + (line.len() - t.len()));
        }
        off += line.len();
    }
    None
}

/// The TOML key whose value starts at or contains `offset`: scan back to the nearest `=` on the
/// same line and take the bare (possibly dotted) key before it; or, when the offset is on a key
/// (e.g. "unknown field" errors), the word at the offset.
pub fn key_before(text: &str, offset: usize) -> Option<String> {
    let mut off = offset.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let head = &text[..off];
    let line_start = head.rfind('\n').map_or(0, |p| p + 1);
    let eq = head[line_start..].rfind('=').map(|p| p + line_start);
    let Some(eq) = eq else {
        let word: String = text[off..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        return (!word.is_empty()).then_some(word);
    };
    let key: String = head[..eq]
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!key.is_empty()).then_some(key)
}

/// `[name]` or `[[name]]` -> `name`.
pub fn header_name(line: &str) -> Option<String> {
    let t = line.trim();
    if t.starts_with('[') {
        let end = t.find(']')?;
        Some(t[..end].trim_start_matches('[').trim().to_string())
    } else {
        None
    }
}

/// For a byte offset: its 1-based line, the enclosing `[table]` name (if any; the header's own
/// name when the offset is on a header line) and the key set on that line (if any).
pub fn line_table_key(text: &str, offset: usize) -> (usize, Option<String>, Option<String>) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_no = text[..line_start].matches('\n').count() + 1;
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = &text[line_start..line_end];
    if let Some(h) = header_name(line) {
        return (line_no, Some(h), None);
    }
    let table = text[..line_start]
        .lines()
        .filter_map(header_name)
        .next_back();
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty());
    (line_no, table, key)
}

/// The 1-based line where a (possibly dotted, `table.key`) field is set; else the line of its
/// table's header; else 1.
pub fn line_of_field(text: &str, field: &str) -> usize {
    let (table, key) = match field.rsplit_once('.') {
        Some((t, k)) => (Some(t), k),
        None => (None, field),
    };
    let mut current: Option<String> = None;
    let mut header_line = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(h) = header_name(line) {
            if table == Some(h.as_str()) {
                header_line = Some(i + 1);
            }
            current = Some(h);
            continue;
        }
        if current.as_deref() == table
            && let Some((k, _)) = line.split_once('=')
            && k.trim().trim_matches('"') == key
        {
            return i + 1;
        }
    }
    header_line.unwrap_or(1)
}

/// The table and key in force at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyContext {
    /// Dotted table path, with an index for arrays of tables (`energy[2]`); empty at top level.
    pub table: String,
    /// The last `key =` at or before the offset within that table, if any.
    pub key: Option<String>,
}

impl KeyContext {
    /// `table.key`, `key` or `table`.
    pub fn dotted(&self) -> String {
        match &self.key {
            Some(k) => join(&self.table, k),
            None => self.table.clone(),
        }
    }
}

/// `table.key`, or `key` at top level.
pub fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
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
/// `[table]`, `[[array]]` headers with their index, comments and multi-line array values).
pub fn key_at(text: &str, offset: usize) -> Option<KeyContext> {
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

/// The dotted field a TOML deserialisation error is about, or `-`. `offset` is the start of the
/// error's span: for an unknown key it is the key itself, for a missing key the enclosing table
/// (or the start of the document), otherwise the offending value.
pub fn toml_error_field(text: &str, offset: Option<usize>, message: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_GROUPS: &str = "[[site.group]]\nname = \"a\"\npool = \"pa\"\n\n[[site.group]]\nname = \"b\"\npool = \"pb\"\n";

    #[test]
    fn an_entrys_field_is_found_from_the_entrys_start_not_the_files() {
        let b = TWO_GROUPS.find("name = \"b\"").unwrap();
        let at = key_after(TWO_GROUPS, b, "pool").unwrap();
        assert_eq!(line_of(TWO_GROUPS, at), 7);
        // The whole-file lookup finds group a's line: only right for top-level settings.
        assert_eq!(
            line_of(TWO_GROUPS, top_level_key(TWO_GROUPS, "pool").unwrap()),
            3
        );
        // A longer key that ends in the field's name is not the field.
        assert_eq!(key_after("xpool = 1\npool = 2\n", 0, "pool"), Some(10));
        // A field the second entry leaves out is not the third's.
        let three = format!("{TWO_GROUPS}\n[[site.group]]\nname = \"c\"\ncount = 1\n");
        let b = three.find("[[site.group]]\nname = \"b\"").unwrap();
        assert_eq!(key_after(&three, b, "count"), None);
        // From a value inside an entry, the entry's fields before it are found too.
        let pool_b = three.find("\"pb\"").unwrap();
        assert_eq!(
            line_of(&three, key_after(&three, pool_b, "name").unwrap()),
            6
        );
        // An inline table is its own entry.
        let inline = "x = [{ a = 1 }, { b = \"}\", a = 2 }]\na = 3\n";
        let second = inline.find("{ b").unwrap();
        assert_eq!(key_after(inline, second, "a"), inline.find("a = 2"));
        assert_eq!(key_after(inline, second, "c"), None);
    }

    #[test]
    fn key_at_names_array_entries_with_their_index() {
        let at = TWO_GROUPS.rfind("\"pb\"").unwrap();
        let ctx = key_at(TWO_GROUPS, at).unwrap();
        assert_eq!(ctx.dotted(), "site.group[1].pool");
        assert_eq!(line_col(TWO_GROUPS, at), (7, 8));
    }

    #[test]
    fn key_before_takes_the_key_of_an_inline_value() {
        let text = "a = 1\ndiurnal = { peak_hour = 25 }\n";
        let off = text.find("25").unwrap();
        assert_eq!(key_before(text, off).as_deref(), Some("peak_hour"));
        assert_eq!(line_table_key(text, off), (2, None, Some("diurnal".into())));
    }

    #[test]
    fn line_of_field_finds_nested_keys_or_the_header() {
        let text = "a = 1\n[air]\nb = 2\n";
        assert_eq!(line_of_field(text, "air.b"), 3);
        assert_eq!(line_of_field(text, "air.zzz"), 2);
        assert_eq!(line_of_field(text, "zzz"), 1);
    }
}
