//! The layer order of ARCHITECTURE.md, read from the sources: a file's non-test code names
//! (`crate::x::...`, or `crate::{x, ...}`) only modules of its own layer or of layers below it.
//! A new upward import, a new top-level module outside the layers, or a cycle fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::repo;

/// The layers, bottom to top. Modules on one rung (the two tools) may not use each other.
const LAYERS: &[&[&str]] = &[
    &["base"],
    &["input"],
    &["model"],
    &["scenario"],
    &["sim"],
    &["run"],
    &["report"],
    &["dynamics", "headroom"],
    &["portfolio"],
    &["cli"],
];

/// Inside `model/`, the layers' own order: the library, then the fleet and the weather, then what
/// reads them. Folders on one rung may not use each other.
const MODEL_LAYERS: &[&[&str]] = &[
    &["library"],
    &["fleet", "weather"],
    &["workload", "metrics", "facility", "grid"],
];

fn rung(layers: &[&[&str]], m: &str) -> Option<usize> {
    layers.iter().position(|r| r.contains(&m))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Module path of a file under src/: `["model", "grid", "site"]` for src/model/grid/site.rs.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.last_mut() {
        *last = last.trim_end_matches(".rs").to_string();
    }
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

/// The crate paths a file's non-test code names, each as its first two segments.
fn imports(text: &str) -> BTreeSet<(String, String)> {
    // Test modules may use anything: cut at the first test module; skip comment lines.
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let mut push = |path: &str| {
        let mut seg = path.split("::").map(|s| ident(s.trim()));
        let a = seg.next().unwrap_or_default();
        let b = seg.next().unwrap_or_default();
        if !a.is_empty() {
            out.insert((a, b));
        }
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::b, c::{d, e}}`: the head of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        push(&item);
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
            push(&item);
        } else {
            push(rest);
        }
    }
    out
}

/// Every import that breaks the layer order, as `file: imports x (layer) from layer`.
fn violations(sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    for (rel, text) in sources {
        let me = module_path(rel);
        let top = me.first().map(String::as_str).unwrap_or("");
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(mine) = rung(LAYERS, top) else {
            bad.push(format!(
                "{}: module `{top}` is in no layer: put the file in its layer's folder, or add \
                 the layer to ARCHITECTURE.md and to LAYERS here",
                rel.display()
            ));
            continue;
        };
        for (a, b) in imports(text) {
            if a == top {
                if top == "model" && me.len() > 1 && b != me[1] {
                    // Within the model: the model's own order.
                    let (Some(x), Some(y)) = (rung(MODEL_LAYERS, &me[1]), rung(MODEL_LAYERS, &b))
                    else {
                        bad.push(format!(
                            "{}: model/{} or model/{b} is in no rung of MODEL_LAYERS",
                            rel.display(),
                            me[1]
                        ));
                        continue;
                    };
                    if y >= x {
                        bad.push(format!(
                            "{}: model/{} uses model/{b}, which is not below it",
                            rel.display(),
                            me[1]
                        ));
                    }
                }
                continue;
            }
            // `crate::Error` / `crate::Result` are base's re-exports at the crate root.
            if a == "Error" || a == "Result" {
                continue;
            }
            match rung(LAYERS, &a) {
                Some(theirs) if theirs < mine => {}
                Some(_) => bad.push(format!(
                    "{}: `{top}` uses `{a}`, which is not below it in the layer order",
                    rel.display()
                )),
                None => {}
            }
        }
    }
    bad
}

fn sources() -> Vec<(PathBuf, String)> {
    let src = repo("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.sort();
    all.into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(&src).unwrap().to_path_buf(), text)
        })
        .collect()
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let s = sources();
    assert!(s.len() > 60, "{} files read", s.len());
    let bad = violations(&s);
    assert!(bad.is_empty(), "layer order broken:\n{}", bad.join("\n"));
}

#[test]
fn a_planted_upward_import_is_caught() {
    // The checker itself, on files that break the order in each way it knows.
    let planted = |path: &str, text: &str| vec![(PathBuf::from(path), text.to_string())];
    let cases = [
        planted("base/time.rs", "use crate::report::write_all;\n"),
        planted("sim/mod.rs", "use crate::{base::rng, run::montecarlo};\n"),
        planted(
            "model/fleet/mod.rs",
            "fn f() { crate::model::facility::x(); }\n",
        ),
        planted("dynamics/mod.rs", "use crate::headroom::Case;\n"),
        planted("newthing.rs", "fn f() {}\n"),
    ];
    for c in &cases {
        assert_eq!(violations(c).len(), 1, "not caught: {}", c[0].1);
    }
    // ... and lets through what the order allows (tests may use anything).
    let fine = planted(
        "report/mod.rs",
        "use crate::{base::io, sim::TrialResult};\nuse crate::Result;\n#[cfg(test)]\nmod t { use crate::cli::args::Cli; }\n",
    );
    assert!(violations(&fine).is_empty(), "{:?}", violations(&fine));
}

#[test]
fn top_level_modules_have_no_import_cycles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in sources() {
        let me = module_path(&rel);
        let Some(top) = me.first().filter(|t| *t != "lib" && *t != "main") else {
            continue;
        };
        let deps = g.entry(top.clone()).or_default();
        for (a, _) in imports(&text) {
            if &a != top && rung(LAYERS, &a).is_some() {
                deps.insert(a);
            }
        }
    }
    assert!(g.len() >= 9, "{} modules read", g.len());
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|x| x == m) {
            let mut c = path[i..].to_vec();
            c.push(m.to_string());
            return Some(c);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(c) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", c.join(" -> "));
        }
    }
}
