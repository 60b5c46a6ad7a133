//! A name or label as one CSV cell. Every writer builds its rows by hand (fixed column sets,
//! numbers formatted to their own decimals), so only text that did not come from the program
//! needs quoting: this puts it through the csv crate's own quoting (a cell with a comma, a
//! double quote or a line break is quoted, its quotes doubled), so a name a check upstream
//! let through still reads back as one cell, and every other name is written as it was.

use std::borrow::Cow;

/// `text` as a CSV cell: unchanged unless it holds a comma, a double quote or a line break.
pub fn cell(text: &str) -> Cow<'_, str> {
    if !text.contains([',', '"', '\n', '\r']) {
        return Cow::Borrowed(text);
    }
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // A record of one field (the closing quote is written with the record's end), without its
    // line end. Writing into memory cannot fail; if it ever did, the same rule by hand.
    let quoted = w
        .write_record([text])
        .ok()
        .and_then(|()| w.into_inner().ok())
        .and_then(|b| String::from_utf8(b).ok())
        .map(|s| s.trim_end_matches('\n').to_string());
    Cow::Owned(quoted.unwrap_or_else(|| format!("\"{}\"", text.replace('"', "\"\""))))
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn names_with_csv_metacharacters_round_trip_through_a_reader() {
        let names = ["plain", "a,b", "say \"hi\"", "two\nlines", "", "=x"];
        let row: Vec<String> = names.iter().map(|n| cell(n).into_owned()).collect();
        let text = format!("{}\n", row.join(","));
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let back: Vec<String> = r
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(String::from)
            .collect();
        assert_eq!(back, names);
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
    }
}
