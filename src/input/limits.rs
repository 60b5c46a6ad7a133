//! Bounds on every input, checked once before any trial runs (by `dcload validate` and
//! `dcload run` alike, and again for each trial's sampled study): a run file, model file or data
//! file from someone else can make a study refuse to start, but never panic, hang, exhaust
//! memory or write NaN. Every bound here is listed in docs/reference/limits.md.

use std::io::Read;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::base::error::{Error, Result, Source};

/// Largest magnitude of any number in a run or model file (`seed` excepted).
pub const MAX_ABS: f64 = 1e15;
/// Smallest non-zero magnitude of any number in a run or model file: smaller values
/// (subnormals included) are refused rather than silently rounded to nothing.
pub const MIN_ABS: f64 = 1e-9;
/// Racks (or bare servers) in one `[[site.group]]`.
pub const MAX_GROUP_COUNT: f64 = 1e8;
/// Jobs of one `[[training]]` that fit in its pool at once (each is tracked as a slot).
pub const MAX_JOBS_AT_ONCE: f64 = 10_000.0;
/// Expected random episodes (campaigns, surges, outages, demand-response events, job
/// submissions) of one source in one trial.
pub const MAX_EPISODES: f64 = 100_000.0;
/// Time steps in one trial (horizon / step).
pub const MAX_STEPS: u64 = 100_000_000;
/// Estimated memory of one trial, bytes.
pub const MAX_TRIAL_BYTES: f64 = 2.0 * 1024.0 * 1024.0 * 1024.0;
/// Trials in one study (their summaries are held in memory).
pub const MAX_TRIALS: u32 = 1_000_000;
/// Hourly traces of a whole study on disk, bytes.
pub const MAX_TRACE_BYTES: f64 = 256.0 * 1024.0 * 1024.0 * 1024.0;
/// Size of a run or model file (TOML).
pub const MAX_TOML_BYTES: u64 = 16 * 1024 * 1024;
/// Size of a data file (request trace, weather, carbon or tariff CSV).
pub const MAX_DATA_BYTES: u64 = 1024 * 1024 * 1024;
/// Carbon intensity of one hour, gCO2/kWh (the dirtiest grids are near 1,100).
pub const MAX_CARBON_G_PER_KWH: f64 = 10_000.0;

pub use crate::base::numfmt::{compact_numbers, num};

/// Reads a text file after checking it is a regular file (not a FIFO, device or socket, which
/// could block or never end) of at most `max` bytes; undecodable text is reported with its line
/// and byte offset.
pub fn read_text(path: &Path, max: u64) -> Result<String> {
    let bytes = read_bytes(path, max)?;
    decode(&path.display().to_string(), bytes)
}

/// The bytes of a regular file (a link is followed, and what it points at must be a regular
/// file: never a FIFO, device or socket, which could block or never end) of at most `max`
/// bytes, checked before reading and again while reading (a file that grows is cut off).
pub fn read_bytes(path: &Path, max: u64) -> Result<Vec<u8>> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| Error::Read {
        file: shown.clone(),
        source: e,
    })?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "a special file (FIFO, device or socket)"
        };
        return Err(Error::Other(format!(
            "{shown}: is {what}; dcload reads only regular files"
        )));
    }
    if meta.len() > max {
        return Err(Error::Other(format!(
            "{shown}: is {} bytes; files of this kind are limited to {} bytes",
            meta.len(),
            max
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::Read {
            file: shown.clone(),
            source: e,
        })?;
    if bytes.len() as u64 > max {
        return Err(Error::Other(format!(
            "{shown}: is more than {max} bytes; files of this kind are limited to {max} bytes"
        )));
    }
    Ok(bytes)
}

/// UTF-8 text, or an error naming the line and byte offset of the first undecodable byte.
pub fn decode(shown: &str, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let off = e.utf8_error().valid_up_to();
        let b = e.as_bytes();
        let line = b[..off].iter().filter(|&&c| c == b'\n').count() + 1;
        Error::Input {
            file: shown.to_string(),
            line,
            col: 0,
            field: String::new(),
            msg: format!(
                "not UTF-8 text: byte 0x{:02x} at byte offset {off} cannot be decoded (save the file as UTF-8 text)",
                b.get(off).copied().unwrap_or(0)
            ),
        }
    })
}

/// Every number of a TOML file within [`MIN_ABS`]..=[`MAX_ABS`] in magnitude (or zero).
pub fn check_numbers(src: &Source) -> Result<()> {
    let Ok(doc) = DeTable::parse(&src.text) else {
        // Syntax errors are reported by the normal parse with their line.
        return Ok(());
    };
    walk_table(src, doc.get_ref())
}

/// [`check_numbers`] on a parsed tree (a run file with sampled values put in place of its
/// distributions): errors point at each value's span in `src`.
pub fn check_tree(src: &Source, doc: &DeTable<'_>) -> Result<()> {
    walk_table(src, doc)
}

fn walk_table(src: &Source, t: &DeTable<'_>) -> Result<()> {
    for (k, v) in t.iter() {
        if k.get_ref() == "seed" {
            continue;
        }
        walk_value(src, v, k.get_ref())?;
    }
    Ok(())
}

fn walk_value(src: &Source, v: &Spanned<DeValue<'_>>, key: &str) -> Result<()> {
    let text = match v.get_ref() {
        DeValue::Table(t) => return walk_table(src, t),
        DeValue::Array(a) => {
            for item in a.iter() {
                walk_value(src, item, key)?;
            }
            return Ok(());
        }
        DeValue::Integer(i) if i.radix() == 10 => i.as_str().replace('_', ""),
        DeValue::Float(f) => f.as_str().replace('_', ""),
        _ => return Ok(()),
    };
    let Ok(x) = text.parse::<f64>() else {
        return Ok(());
    };
    check_value(x).map_err(|m| src.error_at(v.span(), key, m))
}

/// A number within the bounds of [`check_numbers`], or what was expected.
pub fn check_value(x: f64) -> std::result::Result<(), String> {
    let a = x.abs();
    if x == 0.0 || (a.is_finite() && (MIN_ABS..=MAX_ABS).contains(&a)) {
        return Ok(());
    }
    Err(format!(
        "expected a number between {} and {} in magnitude, or 0; found {}",
        num(MIN_ABS),
        num(MAX_ABS),
        num(x)
    ))
}

/// A run name names a folder under `out/`: it must be a plain file name.
pub fn check_name(src: &Source, name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0', ':'])
        || name.starts_with('~')
        || name.chars().any(char::is_control)
        || Path::new(name).is_absolute();
    if bad {
        let shown: String = name.escape_default().take(60).collect();
        return Err(src.error(
            "name",
            format!(
                "expected a plain folder name (no /, \\, :, .. or control characters), found \"{shown}\": the run name only names out/<name>/ (and is printed); to write elsewhere use --out DIR"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_numbers_in_messages_are_compacted() {
        let long = format!("max {} and min {}, line 12", 1e308, 1e-300);
        assert_eq!(compact_numbers(&long), "max 1e308 and min 1e-300, line 12");
        assert_eq!(
            compact_numbers("0 to 18446744073709551615."),
            "0 to 18446744073709551615."
        );
        assert_eq!(compact_numbers("h100 at 3.5e10 W"), "h100 at 3.5e10 W");
    }

    #[test]
    fn numbers_print_compactly() {
        assert_eq!(num(1e308), "1e308");
        assert_eq!(num(1e-320), "1e-320");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(100000.0), "100000");
    }

    #[test]
    fn huge_and_subnormal_numbers_are_refused_with_their_line() {
        let s = Source::new("f.toml", "a = 1\n[x]\nb = 1e308\n");
        let e = check_numbers(&s).unwrap_err().to_string();
        assert!(e.starts_with("f.toml:3:5: field `b`:"), "{e}");
        assert!(e.contains("found 1e308") && !e.contains("0000000"), "{e}");
        let s = Source::new("f.toml", "c = [1.0, 1e-320]\n");
        assert!(
            check_numbers(&s)
                .unwrap_err()
                .to_string()
                .contains("1e-320")
        );
        let s = Source::new("f.toml", "seed = 9000000000000000000\nx = 0\ny = -3.5e-3\n");
        assert!(check_numbers(&s).is_ok());
    }

    #[test]
    fn run_names_are_file_names() {
        let s = Source::new("f.toml", "name = \"x\"\n");
        for bad in ["../../x", "/tmp/x", "..", "a/b", "a\\b", "."] {
            let e = check_name(&s, bad).unwrap_err().to_string();
            assert!(e.contains("--out"), "{e}");
        }
        assert!(check_name(&s, "my-study_2").is_ok());
        let e = check_name(&s, "\u{1b}[31mred").unwrap_err().to_string();
        assert!(
            e.contains("control characters") && !e.contains('\u{1b}'),
            "{e}"
        );
    }

    #[test]
    fn undecodable_text_names_line_and_byte() {
        let e = decode("f.csv", b"a\nb\n\xffc".to_vec())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("f.csv:3:") && e.contains("byte offset 4"),
            "{e}"
        );
    }
}
