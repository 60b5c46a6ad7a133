//! Sweeps: a `[sweep]` table of parameter paths and value lists; their cartesian product
//! defines the variants of a study.
//!
//! ```toml
//! [sweep]
//! "facility.design_margin" = [1.0, 1.2, 1.4]
//! "consumer[0].requests_per_day" = [5.0e7, 1.0e8]
//! ```
//!
//! Values may be numbers, strings (names: a rack type, a climate, a plant, a tariff) or
//! booleans, e.g. `"site.group[0].rack" = ["dgx-h100-x4", "dgx-h200-x4"]`; each variant is
//! resolved like a run file with that value written in place, so an unknown name is refused
//! with the usual error (file, line, field) and the variant.
//!
//! Each variant is the run file with those values written in place, run over the same trial
//! indices with the same random streams (common random numbers): the difference between two
//! variants comes from the parameters, not from the noise.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::base::error::{Error, Result, Source};

/// One swept parameter: its path, where its value sits in the run file, and the values to try.
#[derive(Clone, Debug)]
pub struct Axis {
    pub path: String,
    pub span: Range<usize>,
    /// Line of the axis in the `[sweep]` table (1-based), for errors about its variants.
    pub line: usize,
    pub values: Vec<Value>,
}

/// What a swept value is: sweep values must be of the kind the run file has at their path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Num,
    Text,
    Bool,
}

impl Kind {
    fn plural(self) -> &'static str {
        match self {
            Kind::Num => "numbers",
            Kind::Text => "strings (names)",
            Kind::Bool => "booleans",
        }
    }
    fn article(self) -> &'static str {
        match self {
            Kind::Num => "a number",
            Kind::Text => "a string",
            Kind::Bool => "a boolean",
        }
    }
}

/// One value of a sweep: a number, a string (a name) or a boolean.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Num(f64),
    Text(String),
    Bool(bool),
}

impl Value {
    pub fn kind(&self) -> Kind {
        match self {
            Value::Num(_) => Kind::Num,
            Value::Text(_) => Kind::Text,
            Value::Bool(_) => Kind::Bool,
        }
    }

    /// The value as TOML source text.
    pub fn toml(&self) -> String {
        match self {
            Value::Num(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => format!("{}", *v as i64),
            Value::Num(v) => format!("{v:e}"),
            Value::Text(s) => {
                let mut out = String::from("\"");
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
                        c => out.push(c),
                    }
                }
                out.push('"');
                out
            }
            Value::Bool(b) => b.to_string(),
        }
    }

    /// The value as a CSV field (quoted when it holds a comma, a quote or a line break).
    pub fn csv(&self) -> String {
        crate::base::csvcell::cell(&self.to_string()).into_owned()
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Num(v) => write!(f, "{v}"),
            Value::Text(s) => f.write_str(s),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// The sweep of a run file (empty when it has no `[sweep]` table).
pub fn axes(src: &Source) -> Result<Vec<Axis>> {
    let Ok(doc) = DeTable::parse(&src.text) else {
        return Ok(Vec::new());
    };
    let Some(sweep) = doc
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref() == "sweep")
        .map(|(_, v)| v)
    else {
        return Ok(Vec::new());
    };
    let DeValue::Table(t) = sweep.get_ref() else {
        return Err(src.error_at(
            sweep.span(),
            "sweep",
            "expected a table of \"path\" = [values]",
        ));
    };
    let mut out = Vec::new();
    for (k, v) in t.iter() {
        let path = k.get_ref().to_string();
        let (target, kind) =
            locate(doc.get_ref(), &path).map_err(|m| src.error_at(k.span(), &path, &m))?;
        let values = match v.get_ref() {
            DeValue::Array(a) if !a.is_empty() => a
                .iter()
                .map(|x| match x.get_ref() {
                    DeValue::Integer(i) if i.radix() == 10 => i
                        .as_str()
                        .replace('_', "")
                        .parse::<f64>()
                        .ok()
                        .map(Value::Num),
                    DeValue::Float(f) => f
                        .as_str()
                        .replace('_', "")
                        .parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(Value::Num),
                    DeValue::String(s) => Some(Value::Text(s.to_string())),
                    DeValue::Boolean(b) => Some(Value::Bool(*b)),
                    _ => None,
                })
                .collect::<Option<Vec<Value>>>()
                .ok_or_else(|| {
                    src.error_at(
                        v.span(),
                        &path,
                        "expected an array of numbers, strings or booleans",
                    )
                })?,
            _ => return Err(src.error_at(v.span(), &path, "expected a non-empty array of values")),
        };
        // Every value must be of the kind the run file has there (a number where it has a
        // number, a name where it has a name): otherwise a variant would fail only when its
        // turn came, after the earlier ones ran, with a message that hides the quotes.
        if let Some(bad) = values.iter().find(|x| x.kind() != kind) {
            return Err(src.error_at(
                v.span(),
                &path,
                format!(
                    "expected {} (the run file has {} at this path), found {}",
                    kind.plural(),
                    kind.article(),
                    bad.toml()
                ),
            ));
        }
        out.push(Axis {
            path,
            span: target,
            line: src.line_col(k.span().start).0,
            values,
        });
    }
    let mut spans: Vec<&Range<usize>> = out.iter().map(|a| &a.span).collect();
    spans.sort_by_key(|s| s.start);
    if spans.windows(2).any(|w| w[0].start == w[1].start) {
        return Err(src.error("sweep", "the same parameter is swept twice"));
    }
    Ok(out)
}

/// The span and kind of the number, string or boolean at a dotted path with `[i]` indices;
/// otherwise what is there instead, so the user knows what to write.
fn locate(doc: &DeTable<'_>, path: &str) -> std::result::Result<(Range<usize>, Kind), String> {
    const SHAPE: &str =
        "paths look like \"facility.design_margin\" or \"consumer[0].requests_per_day\"";
    let mut table = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for (n, part) in parts.iter().enumerate() {
        let so_far = parts[..=n].join(".");
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => match rest.strip_suffix(']').and_then(|r| r.parse::<usize>().ok()) {
                Some(i) => (k, Some(i)),
                None => return Err(format!("{part:?} is not a key or key[index]; {SHAPE}")),
            },
            None => (*part, None),
        };
        let Some(mut v) = table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
        else {
            return Err(format!(
                "{so_far:?} is not set in the run file: a sweep replaces a value written there, \
                 so write one (any of the values) first; {SHAPE}"
            ));
        };
        if let Some(i) = index {
            match v.get_ref() {
                DeValue::Array(a) => match a.get(i) {
                    Some(x) => v = x,
                    None => {
                        return Err(format!(
                            "{so_far:?}: the run file has {} entries at {key:?} (indices from 0)",
                            a.len()
                        ));
                    }
                },
                _ => return Err(format!("{key:?} is not an array of tables in the run file")),
            }
        }
        if n + 1 == parts.len() {
            return match v.get_ref() {
                DeValue::Integer(_) | DeValue::Float(_) => Ok((v.span(), Kind::Num)),
                DeValue::String(_) => Ok((v.span(), Kind::Text)),
                DeValue::Boolean(_) => Ok((v.span(), Kind::Bool)),
                DeValue::Table(t) => {
                    let keys: Vec<String> =
                        t.iter().map(|(k, _)| k.get_ref().to_string()).collect();
                    Err(format!(
                        "{path:?} is a table in the run file (a distribution?), not a value: \
                         sweep one of its fields, e.g. \"{path}.{}\"",
                        keys.iter()
                            .find(|k| *k != "dist")
                            .map_or("mean", String::as_str)
                    ))
                }
                _ => Err(format!(
                    "{path:?} is an array in the run file: sweep one element, e.g. \"{path}[0]\" or a field of it"
                )),
            };
        }
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => return Err(format!("{so_far:?} is a value, not a table; {SHAPE}")),
        }
    }
    Err(format!("empty path; {SHAPE}"))
}

/// Every combination of the axes' values (the first axis varies slowest).
pub fn variants(axes: &[Axis]) -> Vec<Vec<Value>> {
    let mut out = vec![Vec::new()];
    for a in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                a.values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    out
}

/// A variant's values as `path = value, ...`.
pub fn describe(axes: &[Axis], values: &[Value]) -> String {
    axes.iter()
        .zip(values)
        .map(|(a, v)| format!("{} = {v}", a.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves variant `k` (the run file with its values written in place) with `resolve`; an
/// error names the variant and the `[sweep]` lines its values come from, since the line it
/// points at holds the value the sweep wrote there, not the one in the file.
pub fn resolve_variant<T>(
    src: &Source,
    axes: &[Axis],
    k: usize,
    values: &[Value],
    resolve: impl FnOnce(&Source) -> Result<T>,
) -> Result<(Source, T)> {
    let vsrc = Source::new(src.name.clone(), apply(&src.text, axes, values));
    let lines = axes
        .iter()
        .map(|a| a.line.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let from = format!(
        "sweep variant {k}: {}; values from the [sweep] table, line {lines}",
        describe(axes, values)
    );
    match resolve(&vsrc) {
        Ok(x) => Ok((vsrc, x)),
        Err(Error::Input {
            file,
            line,
            col,
            field,
            msg,
        }) => Err(Error::Input {
            file,
            line,
            col,
            field,
            msg: format!("{msg} ({from})"),
        }),
        Err(e) => Err(Error::Other(format!("{from}: {e}"))),
    }
}

/// The run-file text of one variant.
pub fn apply(text: &str, axes: &[Axis], values: &[Value]) -> String {
    let mut edits: Vec<(&Range<usize>, &Value)> =
        axes.iter().map(|a| &a.span).zip(values.iter()).collect();
    edits.sort_by_key(|(s, _)| s.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (span, v) in edits {
        out.push_str(&text[at..span.start]);
        out.push_str(&v.toml());
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_variants_and_substitution() {
        let text = "a = 1\n[x]\nb = 2.0\nc = [{ d = 3 }]\n[sweep]\n\"x.b\" = [1.5, 2.5]\n\"x.c[0].d\" = [7, 8, 9]\n";
        let src = Source::new("s.toml", text);
        let ax = axes(&src).unwrap();
        assert_eq!(ax.len(), 2);
        let v = variants(&ax);
        assert_eq!(v.len(), 6);
        assert_eq!(v[1], vec![Value::Num(1.5), Value::Num(8.0)]);
        let t = apply(text, &ax, &v[5]);
        assert!(
            t.starts_with("a = 1\n[x]\nb = 2.5e0\nc = [{ d = 9 }]\n"),
            "{t}"
        );
        let named = "[x]\nr = \"a\"\nf = true\n[sweep]\n\"x.r\" = [\"b\", \"c \\\"q\\\"\"]\n\"x.f\" = [false]\n";
        let ax = axes(&Source::new("s.toml", named)).unwrap();
        let v = variants(&ax);
        assert_eq!(v.len(), 2);
        assert_eq!(v[1][1], Value::Text("c \"q\"".into()));
        assert_eq!(v[1][1].csv(), "\"c \"\"q\"\"\"");
        let t = apply(named, &ax, &v[1]);
        assert!(
            t.starts_with("[x]\nr = \"c \\\"q\\\"\"\nf = false\n"),
            "{t}"
        );
        let bad_value = Source::new("s.toml", "[x]\nr = \"a\"\n[sweep]\n\"x.r\" = [{ y = 1 }]\n");
        let e = axes(&bad_value).unwrap_err().to_string();
        assert!(e.contains("s.toml:4") && e.contains("x.r"), "{e}");
        let bad = Source::new("s.toml", "a = 1\n[sweep]\n\"x.nope\" = [1]\n");
        let e = axes(&bad).unwrap_err().to_string();
        assert!(e.contains("s.toml:3") && e.contains("x.nope"), "{e}");
    }
}
