//! Names a user types: matched without regard to case, and an unknown one answered with the
//! nearest known names ("did you mean ...?").
//!
//! Every name that refers to a library entry (rack type, server, accelerator, preset, climate,
//! cooling plant, electrical chain, grid region, tariff) or to a fixed vocabulary (facility kind,
//! limit policy, ASHRAE class, redundancy, cooling type ...) goes through [`find`] and, when it
//! is not found, [`message`]. A name matches an entry when the two are equal ignoring ASCII and
//! Unicode case; if two entries differ only by case, the name is ambiguous and the message names
//! both. Suggestions are the known names nearest by edit distance (Levenshtein, on lower case),
//! within a third of the typed name's length (at least 2 edits), or else the known names that
//! contain the typed name or are contained in it.

/// Names listed in full after the suggestion when there are at most this many.
pub const LIST_MAX: usize = 24;

/// Edit distance (insertions, deletions, substitutions) between `a` and `b`, ignoring case.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Indices of the known names equal to `want` ignoring case.
fn matches(want: &str, known: &[&str]) -> Vec<usize> {
    let w = want.to_lowercase();
    known
        .iter()
        .enumerate()
        .filter(|(_, k)| k.to_lowercase() == w)
        .map(|(i, _)| i)
        .collect()
}

/// The index of the one known name equal to `want` ignoring case; `None` when there is none
/// or when two known names differ only by case (then [`message`] names both).
pub fn find(want: &str, known: &[&str]) -> Option<usize> {
    match matches(want, known).as_slice() {
        [i] => Some(*i),
        _ => None,
    }
}

/// The known names nearest to `want`: those at the least edit distance, if it is within a third
/// of `want`'s length (at least 2); otherwise those containing `want` or contained in it.
/// At most three, in the order of `known`.
pub fn suggest<'a>(want: &str, known: &[&'a str]) -> Vec<&'a str> {
    let limit = (want.chars().count() / 3).max(2);
    let best = known.iter().map(|k| distance(want, k)).min();
    let mut out: Vec<&str> = match best {
        Some(d) if d <= limit => known
            .iter()
            .filter(|k| distance(want, k) == d)
            .copied()
            .collect(),
        _ => {
            let w = want.to_lowercase();
            if w.chars().count() < 2 {
                Vec::new()
            } else {
                known
                    .iter()
                    .filter(|k| {
                        let k = k.to_lowercase();
                        k.contains(&w) || (k.chars().count() >= 2 && w.contains(&k))
                    })
                    .copied()
                    .collect()
            }
        }
    };
    out.dedup();
    out.truncate(3);
    out
}

/// The error text for a name [`find`] did not resolve: `unknown <what> "x"; did you mean "y"?`
/// with the known names when there are few, or the two entries that differ only by case.
pub fn message(what: &str, want: &str, known: &[&str]) -> String {
    let same = matches(want, known);
    if same.len() > 1 {
        let both: Vec<String> = same.iter().map(|&i| format!("{:?}", known[i])).collect();
        return format!(
            "{what} {want:?} is ambiguous: {} differ only by case; rename one of them",
            both.join(" and ")
        );
    }
    let mut msg = format!("unknown {what} {want:?}");
    let near = suggest(want, known);
    if !near.is_empty() {
        let q: Vec<String> = near.iter().map(|n| format!("{n:?}")).collect();
        msg.push_str(&format!("; did you mean {}?", q.join(" or ")));
    }
    if known.is_empty() {
        msg.push_str("; none are defined");
    } else if known.len() <= LIST_MAX {
        msg.push_str(&format!("; known: {}", known.join(", ")));
    } else {
        msg.push_str(&format!(
            "; {} are known (`dcload models` lists them)",
            known.len()
        ));
    }
    msg
}

/// [`find`] or [`message`]: the index of `want` among `known`, or the error text.
pub fn resolve(what: &str, want: &str, known: &[&str]) -> Result<usize, String> {
    find(want, known).ok_or_else(|| message(what, want, known))
}

/// A serde `Deserialize` for a unit enum read from a lower-case word, matched ignoring case,
/// with a did-you-mean in its error.
#[macro_export]
macro_rules! ci_enum_deserialize {
    ($t:ty, $what:expr, [$(($word:expr, $v:expr)),* $(,)?]) => {
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                let words: &[&str] = &[$($word),*];
                let vals = [$($v),*];
                match $crate::input::names::resolve($what, &s, words) {
                    Ok(i) => Ok(vals[i]),
                    Err(m) => Err(<D::Error as serde::de::Error>::custom(m)),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_ignoring_case() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("Dallas", "dallas"), 0);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("ercot", "ERCTO"), 2);
        assert_eq!(distance("flaw", "lawn"), 2);
    }

    #[test]
    fn find_ignores_case_and_refuses_case_twins() {
        let known = ["dallas", "ashburn", "ercot"];
        assert_eq!(find("Dallas", &known), Some(0));
        assert_eq!(find("ERCOT", &known), Some(2));
        assert_eq!(find("dalas", &known), None);
        let twins = ["h100", "H100", "b200"];
        assert_eq!(find("h100", &twins), None);
        let m = message("rack type", "h100", &twins);
        assert!(m.contains("\"h100\" and \"H100\""), "{m}");
        assert!(m.contains("differ only by case"), "{m}");
    }

    #[test]
    fn message_suggests_the_nearest_and_lists_short_vocabularies() {
        let known = ["dallas", "austin", "ashburn", "phoenix"];
        let m = message("climate", "Dalas", &known);
        assert!(
            m.starts_with("unknown climate \"Dalas\"; did you mean \"dallas\"?"),
            "{m}"
        );
        assert!(m.contains("known: dallas, austin, ashburn, phoenix"), "{m}");
        // Nothing near: no suggestion, still the list.
        let m = message("climate", "reykjavik", &known);
        assert!(!m.contains("did you mean"), "{m}");
        assert!(m.contains("known:"), "{m}");
        // A part of a longer name is suggested by containment.
        assert_eq!(
            suggest("h100", &["h100-sxm-8", "b200-nvl"]),
            vec!["h100-sxm-8"]
        );
        // Ties at the least distance are all offered.
        assert_eq!(
            suggest("cab", &["cap", "car", "record"]),
            vec!["cap", "car"]
        );
        // A long list is not printed.
        let many: Vec<String> = (0..30).map(|i| format!("name{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let m = message("thing", "nmae1", &refs);
        assert!(m.contains("did you mean \"name1\"?"), "{m}");
        assert!(m.contains("30 are known"), "{m}");
    }

    #[test]
    fn resolve_returns_the_index_or_the_message() {
        assert_eq!(resolve("policy", "CAP", &["record", "cap"]), Ok(1));
        let e = resolve("policy", "capp", &["record", "cap"]).unwrap_err();
        assert!(e.contains("did you mean \"cap\"?"), "{e}");
    }
}
