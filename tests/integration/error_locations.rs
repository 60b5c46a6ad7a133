//! An error about one entry of a repeated table (the second `[[consumer]]`, the second
//! demand-response event) points at that entry's line, found from the span the parser gave the
//! entry, never by searching the file's text for the table's name (a comment that mentions
//! `[grid]` or `outages` above the table does not mislead it).

use crate::common::*;

/// Two entries of every repeated table, and the single tables a text search used to find; the
/// first line's comment names the tables, as a text search would find them.
const TWO_OF_EACH: &str = r#"# This study's tables: [grid], [failures], [backup], [grid.outages], demand_response events.
name = "loc"
start = "2025-01-01"
horizon_hours = 72
step_s = 3600
trials = 1

[site]
[[site.group]]
name = "a"
rack = "dgx-h100-x4"
count = 10

[[site.group]]
name = "b"
rack = "dgx-h100-x4"
count = 10

[[site.group.refresh]]
date = "2025-01-02"
downtime_days = 1

[[site.group.refresh]]
date = "2025-01-03"
downtime_days = 1

[[site.group]]
name = "e"
rack = "dgx-h100-x4"
count = 10

[[consumer]]
name = "c1"
preset = "chat"
pool = "a"
requests_per_day = 1000

[[consumer]]
name = "c2"
preset = "chat"
pool = "a"
requests_per_day = 1000

[[twin]]
name = "t1"
pool = "b"
base_utilisation = 0.5
allocation = 0.2

[[twin.campaign]]
start_day = 0
days = 1
extra_utilisation = 0.1

[[twin.campaign]]
start_day = 1
days = 1
extra_utilisation = 0.1

[[twin]]
name = "t2"
pool = "b"
base_utilisation = 0.5
allocation = 0.2

[[training]]
name = "j1"
pool = "b"
accelerators = 8
duration_days = 1
jobs_per_year = 10

[[training]]
name = "j2"
pool = "b"
accelerators = 8
duration_days = 1
jobs_per_year = 10

[[defense]]
name = "d1"
pool = "e"
accelerators = 8
utilisation = 0.5

[[defense.surge]]
start_day = 0
days = 1
multiplier = 1.5

[[defense.surge]]
start_day = 1
days = 1
multiplier = 1.5

[[defense]]
name = "d2"
pool = "e"
accelerators = 8
utilisation = 0.5

[grid]
import_limit_mw = 100

[grid.outages]
per_year = 1

[[grid.outages.scheduled]]
start_day = 0.5
hours = 2

[[grid.outages.scheduled]]
start_day = 1.5
hours = 2

[grid.demand_response]

[[grid.demand_response.events]]
start_day = 0
start_hour = 14
hours = 2
reduce_share = 0.1

[[grid.demand_response.events]]
start_day = 1
start_hour = 14
hours = 2
reduce_share = 0.1

[backup]
generator_mw = 10

[failures]
repair_hours = 24

[facility]
kind = "fixed"
pue = 1.2
"#;

/// (text that starts the second entry, its line to break, the broken line, the field named).
const SECOND_ENTRIES: &[(&str, &str, &str, &str)] = &[
    ("name = \"b\"\nrack", "count = 10", "count = -1", "count"),
    (
        "date = \"2025-01-03\"",
        "downtime_days = 1",
        "downtime_days = -1",
        "downtime_days",
    ),
    (
        "name = \"c2\"",
        "requests_per_day = 1000",
        "requests_per_day = -5",
        "requests_per_day",
    ),
    (
        "start_day = 1\ndays = 1\nextra",
        "extra_utilisation = 0.1",
        "extra_utilisation = -0.1",
        "extra_utilisation",
    ),
    (
        "name = \"t2\"",
        "allocation = 0.2",
        "allocation = 1.5",
        "allocation",
    ),
    (
        "name = \"j2\"",
        "duration_days = 1",
        "duration_days = -1",
        "duration_days",
    ),
    (
        "name = \"d2\"",
        "utilisation = 0.5",
        "utilisation = 1.5",
        "utilisation",
    ),
    (
        "name = \"d2\"",
        "utilisation = 0.5",
        "random_surges = { per_year = 1e12, hours = 1, multiplier = 2 }\nutilisation = 0.5",
        "random_surges",
    ),
    (
        "start_day = 1\ndays = 1\nmult",
        "multiplier = 1.5",
        "multiplier = -1",
        "multiplier",
    ),
    ("start_day = 1.5", "hours = 2", "hours = -2", "hours"),
    (
        "start_day = 1\nstart_hour",
        "reduce_share = 0.1",
        "reduce_share = 1.5",
        "reduce_share",
    ),
    (
        "start_day = 1\nstart_hour",
        "start_hour = 14",
        "start_hour = 25",
        "start_hour",
    ),
    (
        "[grid]\n",
        "import_limit_mw = 100",
        "import_limit_mw = -100",
        "import_limit_mw",
    ),
    (
        "[grid.outages]\n",
        "per_year = 1",
        "per_year = 1e9",
        "per_year",
    ),
    (
        "[backup]\n",
        "generator_mw = 10",
        "generator_mw = -10",
        "generator_mw",
    ),
    (
        "[failures]\n",
        "repair_hours = 24",
        "repair_hours = -1",
        "repair_hours",
    ),
];

#[test]
fn a_field_broken_in_the_second_entry_of_every_repeated_table_is_reported_at_its_line() {
    run_ok(&["validate", RunFile::new(TWO_OF_EACH).arg()]);
    for (entry, line, broken, field) in SECOND_ENTRIES {
        let at = TWO_OF_EACH.find(entry).expect("the entry") + 1;
        let at = at + TWO_OF_EACH[at..].find(line).expect("the line in the entry");
        let text = format!(
            "{}{broken}{}",
            &TWO_OF_EACH[..at],
            &TWO_OF_EACH[at + line.len()..]
        );
        let want = TWO_OF_EACH[..at].matches('\n').count() + 1;
        let f = RunFile::named("bad.toml", &text);
        let err = f.validate_fails();
        assert_says(
            &err,
            &[&format!("{}:{want}:", f.arg()), &format!("`{field}`")],
        );
    }
}
