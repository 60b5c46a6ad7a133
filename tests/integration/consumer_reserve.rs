//! A pool shared by training and consumer classes (issue 23 item 6): `[[site.pool]]
//! reserve_for_consumers` keeps accelerators training may not claim, and dr_events.csv counts
//! the requests each event's rebound window dropped against the counterfactual.

use crate::common::*;

/// The issue's pool, small: 256 H100 shared by a 128-accelerator pre-training job, three
/// 32-accelerator fine-tunes submitted at 12:00 for 6 hours and a chat class that needs ~24
/// accelerators until 18:00 and ~60 after. A one-hour demand-response event at 14:00 pauses
/// training (the chat class cannot be shed): the fine-tunes run an hour longer, into the chat
/// class's evening. `POOL` is replaced by the pool's reservation (or nothing).
const SHARED: &str = r#"name = "shared"
horizon_hours = 30
step_s = 60
seed = 7
trials = 1
ENGINE

[[site.group]]
name = "shared"
server = "DGX-H100"
count = 32

POOL

[[consumer]]
name = "chat"
pool = "shared"
requests_per_day = 2851200
acc_s_per_request = 1.0
work_cv = 0.0
hourly = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5]

[[training]]
name = "pretrain"
pool = "shared"
accelerators = 128
duration_days = 10
start_days = [0]

[[training]]
name = "finetune"
pool = "shared"
accelerators = 32
duration_days = 0.25
start_days = [0.5, 0.5, 0.5]

[facility]
kind = "fixed"
pue = 1.2

DR
"#;

const DR: &str = r#"[grid.demand_response]
events = [{ start_day = 0, start_hour = 14, hours = 1, reduce_mw = 0.2 }]
flexibility = { training = 1.0, consumer = 0.0, industrial = 0.0 }
response_minutes = { training = 0.0 }"#;

const RESERVE_64: &str = "[[site.pool]]\nname = \"shared\"\nreserve_for_consumers = 64";
const RESERVE_QUARTER: &str =
    "[[site.pool]]\nname = \"shared\"\nreserve_for_consumers_share = 0.25";

const ENGINES: [&str; 2] = ["", "engine = \"reference\""];

fn study(engine: &str, pool: &str, dr: &str) -> String {
    edit(SHARED, &[("ENGINE", engine), ("POOL", pool), ("DR", dr)])
}

/// The one event's row of dr_events.csv: (requests dropped in the rebound window, and that
/// less the counterfactual's).
fn rebound_drops(out: &std::path::Path) -> (f64, f64) {
    let (h, rows) = read_csv(&out.join("dr_events.csv"));
    assert_eq!(rows.len(), 1, "one event");
    let r = &rows[0];
    (
        num(&r[col(&h, "rebound_requests_dropped")]),
        num(&r[col(&h, "rebound_requests_dropped_extra")]),
    )
}

/// Unreserved, the fine-tunes' extra hour drops thousands of chat requests the run without the
/// event does not (21,881 on the blocks engine, 21,657 on the reference, none before the
/// event); with 64 accelerators reserved (or a quarter of the pool) the chat class drops none,
/// after the event or at any other time.
#[test]
fn a_reservation_keeps_the_chat_class_whole_after_a_demand_response_event() {
    for engine in ENGINES {
        let (_f, open) = run_quiet(&study(engine, "", DR), &[]);
        let (dropped, extra) = rebound_drops(&open);
        assert!(
            extra > 10_000.0,
            "{engine:?}: {extra} extra drops unreserved"
        );
        assert_eq!(dropped, extra, "{engine:?}: the counterfactual drops none");
        for reserve in [RESERVE_64, RESERVE_QUARTER] {
            let (_f, kept) = run_quiet(&study(engine, reserve, DR), &[]);
            assert_eq!(rebound_drops(&kept), (0.0, 0.0), "{engine:?} {reserve}");
            let all: f64 = column(&kept.join("hourly.csv"), "requests_dropped_mean")
                .iter()
                .map(|x| num(x))
                .sum();
            assert_eq!(all, 0.0, "{engine:?} {reserve}: no request dropped all day");
        }
    }
}

/// Training never holds the reserved accelerators: at every instant a job starts or ends, the
/// running jobs hold at most 256 - 64 = 192, so the third fine-tune waits for one of the first
/// two (unreserved, all three start at 12:00 and hold 224).
#[test]
fn training_never_claims_the_reserved_accelerators() {
    for engine in ENGINES {
        let holding = |pool: &str| {
            let sc = scenario(&study(engine, pool, DR));
            let r = &trials(&sc)[0];
            let jobs = &r.summary.jobs;
            let end = |j: &dcload::sim::meter::JobRecord| j.end_s.unwrap_or(u64::MAX);
            let most = jobs
                .iter()
                .flat_map(|j| [j.start_s, end(j).min(sc.horizon_s)])
                .map(|t| {
                    jobs.iter()
                        .filter(|j| j.start_s <= t && t < end(j))
                        .map(|j| j.accelerators)
                        .sum::<f64>()
                })
                .fold(0.0, f64::max);
            let tunes: Vec<_> = jobs.iter().filter(|j| j.training == 1).collect();
            // When the third fine-tune started, and when the first of the others ended.
            let first_end = tunes[..2].iter().map(|j| end(j)).min();
            (most, tunes[2].start_s, first_end)
        };
        let (most, third, _) = holding("");
        assert_eq!((most, third), (224.0, 43_200), "{engine:?} unreserved");
        for reserve in [RESERVE_64, RESERVE_QUARTER] {
            let (most, third, first_end) = holding(reserve);
            assert_eq!(most, 192.0, "{engine:?} {reserve}");
            // The third fine-tune starts when the first two end: after 18:00, by the time the
            // event paused them.
            assert_eq!(Some(third), first_end, "{engine:?} {reserve}");
            assert!(third > 18 * 3600, "{engine:?} {reserve}: {third}");
        }
    }
}

/// The new columns by hand: the requests hourly.csv shows dropped in the 12 hours after the
/// event (15:00 to 03:00) with the event, and that less the same hours of the same trial run
/// without the event (the counterfactual: every stream drawn alike).
#[test]
fn the_rebound_drop_columns_are_the_counterfactual_difference_by_hand() {
    let window = |out: &std::path::Path| -> f64 {
        column(&out.join("hourly.csv"), "requests_dropped_mean")[15..27]
            .iter()
            .map(|x| num(x))
            .sum()
    };
    for engine in ENGINES {
        let (_a, with) = run_quiet(&study(engine, "", DR), &[]);
        let (_b, without) = run_quiet(&study(engine, "", ""), &[]);
        let (dropped, extra) = rebound_drops(&with);
        assert_eq!(dropped, window(&with), "{engine:?}");
        assert_eq!(extra, window(&with) - window(&without), "{engine:?}");
        assert!(window(&without) == 0.0 && extra > 0.0, "{engine:?}");
    }
}

/// A study without consumer classes writes dr_events.csv as before (no request columns); a
/// rule baseline has no counterfactual, so the difference is left empty.
#[test]
fn the_request_columns_need_requests_and_a_counterfactual() {
    let text = study("", "", DR);
    let no_chat = {
        let start = text.find("[[consumer]]").expect("consumer");
        let end = text.find("[[training]]").expect("training");
        format!("{}{}", &text[..start], &text[end..])
    };
    let (_f, out) = run_quiet(&no_chat, &[]);
    let header = lines(&out.join("dr_events.csv"))[0].clone();
    assert!(header.ends_with(",rebound_peak_mw"), "{header}");
    let rule = edit(
        &text,
        &[(
            "reduce_mw = 0.2 }]",
            "reduce_mw = 0.2 }]\nbaseline = \"previous-day\"",
        )],
    );
    let rule = edit(
        &rule,
        &[
            ("start_day = 0,", "start_day = 1,"),
            ("horizon_hours = 30", "horizon_hours = 54"),
        ],
    );
    let (_g, out) = run_quiet(&rule, &[]);
    let (h, rows) = read_csv(&out.join("dr_events.csv"));
    assert_eq!(rows[0][col(&h, "rebound_requests_dropped_extra")], "");
    assert!(num(&rows[0][col(&h, "rebound_requests_dropped")]) >= 0.0);
}

/// Bad reservations are refused at their line, naming the field and what was expected.
#[test]
fn bad_reservations_are_refused_naming_file_line_and_field() {
    let with = |pool: &str| study("", pool, DR);
    let cases = [
        (
            "reserve_for_consumers = -1",
            "reserve_for_consumers",
            "from 0 to the pool's 256",
        ),
        (
            "reserve_for_consumers = 300",
            "reserve_for_consumers",
            "found 300",
        ),
        (
            "reserve_for_consumers_share = 1.5",
            "reserve_for_consumers_share",
            "from 0 to 1",
        ),
        (
            "reserve_for_consumers_share = -0.1",
            "reserve_for_consumers_share",
            "from 0 to 1",
        ),
    ];
    for (line, field, says) in cases {
        let text = with(&format!("[[site.pool]]\nname = \"shared\"\n{line}"));
        let err = refused_at(&text, line, field);
        assert_says(&err, &[says]);
    }
    let both = with(
        "[[site.pool]]\nname = \"shared\"\nreserve_for_consumers = 8\nreserve_for_consumers_share = 0.1",
    );
    let err = refused_at(
        &both,
        "reserve_for_consumers_share",
        "reserve_for_consumers_share",
    );
    assert_says(&err, &["not both"]);
    let unknown = with("[[site.pool]]\nname = \"shard\"\nreserve_for_consumers = 8");
    let err = refused_at(&unknown, "name = \"shard\"", "name");
    assert_says(&err, &["shared"]);
    let twice = with(&format!("{RESERVE_64}\n\n{RESERVE_64}"));
    let f = RunFile::named("bad.toml", &twice);
    assert_says(&f.validate_fails(), &["given twice"]);
    // A job bigger than what training may hold there never starts: refused.
    let big = edit(
        &with(RESERVE_64),
        &[("accelerators = 128", "accelerators = 224")],
    );
    let err = refused_at(&big, "accelerators = 224", "accelerators");
    assert_says(&err, &["64 of its 256 are reserved for consumer classes"]);
}

/// `validate` states the reservation, in accelerators whichever form the file gives.
#[test]
fn validate_states_the_reservation() {
    for reserve in [RESERVE_64, RESERVE_QUARTER] {
        let f = RunFile::new(&study("", reserve, DR));
        let out = stdout(&run_ok(&["validate", f.arg()]));
        assert_says(
            &out,
            &[
                "pool shared",
                "64 of its 256 accelerators reserved for consumer classes",
            ],
        );
    }
}
