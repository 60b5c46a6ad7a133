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

/// Byte offset of the first `field =` at or after byte `at` (a whole key, not the tail of a
/// longer one), or `None`. With `at` the start of an entry's table, this is the entry's own
/// key in the usual one-entry-per-table layout.
pub fn key_after(text: &str, at: usize, field: &str) -> Option<usize> {
    let at = at.min(text.len());
    if field.is_empty() || !text.is_char_boundary(at) {
        return None;
    }
    text[at..]
        .match_indices(field)
        .find(|(i, _)| {
            let rest = &text[at + i + field.len()..];
            let before = text[..at + i].chars().last();
            rest.trim_start().starts_with('=')
                && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(i, _)| at + i)
}

/// Byte offset of the `name = "<name>"` line of an entry (a group, a workload), or `None`: where
/// that entry's own fields start in the usual one-entry-per-table layout. Unlike a search for
/// the quoted name, a pool or another field with the same value is not taken for the entry.
pub fn named_entry(text: &str, name: &str) -> Option<usize> {
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("name")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            let v = value.split('#').next().unwrap_or("").trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')));
            if v == Some(name) {
                return Some(off + (line.len() - t.len()));
            }
        }
        off += line.len();
    }
    None
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
    }

    #[test]
    fn an_entry_is_found_by_its_name_line_not_by_a_pool_of_the_same_name() {
        let text =
            "[[site.group]]\nname = \"t\"\npool = \"t\"\n[[twin]]\npool = \"t\"\nname = \"t\"\n";
        // The group's name line comes first; a `pool = "t"` is never taken for an entry.
        assert_eq!(line_of(text, named_entry(text, "t").unwrap()), 2);
        let only_twin = text.replace("name = \"t\"\npool", "name = \"g\"\npool");
        assert_eq!(
            line_of(&only_twin, named_entry(&only_twin, "t").unwrap()),
            6
        );
        assert_eq!(named_entry(text, "x"), None);
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
