//! The checker's rules for `calendar` and `handoff` blocks: each bad input
//! is a diagnostic with its code and location, reported all at once.

use baton::{Code, Policy};

fn codes(src: &str) -> Vec<(Code, String, usize)> {
    match Policy::from_source("t.baton", src) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code, d.message.clone(), d.line))
            .collect(),
    }
}

const HEAD: &str =
    "policy \"h\" version 1 effective 2026-01-01\nrecord n key id { id: text  risks: text? }\n";

#[test]
fn calendar_errors_are_reported_together() {
    let src = format!(
        "{HEAD}calendar a {{\n  timezone \"Europe/Pariss\"\n  mon-fri 09:00-12:00, 11:00-13:00\n  sat 14:00-10:00\n  fri-mon 09:00-10:00\n}}\ncalendar b {{\n  timezone \"UTC\"\n  closed 2026-12-25\n}}\n"
    );
    let c = codes(&src);
    let lines: Vec<usize> = c.iter().map(|x| x.2).collect();
    assert!(
        c.iter().all(|x| matches!(x.0, Code::E0109 | Code::E0301)),
        "{c:?}"
    );
    assert!(c.iter().any(|x| x.1.contains("unknown time zone")), "{c:?}");
    assert!(c.iter().any(|x| x.1.contains("overlaps")), "{c:?}");
    assert!(
        c.iter().any(|x| x.1.contains("end after it starts")),
        "{c:?}"
    );
    assert!(c.iter().any(|x| x.1.contains("day range")), "{c:?}");
    assert!(c.iter().any(|x| x.1.contains("no open time")), "{c:?}");
    assert!(
        lines.contains(&4) && lines.contains(&5) && lines.contains(&6) && lines.contains(&9),
        "{c:?}"
    );
}

#[test]
fn handoff_errors_are_reported_together() {
    let src = format!(
        "{HEAD}calendar cal {{ mon-fri 09:00-17:00 }}\nhandoff x note n {{\n  requires risk\n  sla a within 1d on cal met by \"done\"\n  sla b within 4h on cals met by \"done\"\n  sla c within 2h met by \"closed\"\n  warn 2h before c breach to \"lead\"\n  escalate at d breach to \"mgr\"\n  escalate 1w after a breach to \"vp\"\n  flag f when risks > 3\n}}\n"
    );
    let c = codes(&src);
    let msgs: Vec<&str> = c.iter().map(|x| x.1.as_str()).collect();
    let has = |s: &str| msgs.iter().any(|m| m.contains(s));
    assert!(has("note `n` has no field `risk`"), "{msgs:#?}");
    assert!(has("use hours and minutes"), "{msgs:#?}");
    assert!(has("unknown calendar `cals`"), "{msgs:#?}");
    assert!(has("lifecycle event"), "{msgs:#?}");
    assert!(has("would fire at once"), "{msgs:#?}");
    assert!(has("unknown goal `d`"), "{msgs:#?}");
    assert!(has("cannot compare a text with an int"), "{msgs:#?}");
    assert_eq!(
        c.iter()
            .filter(|x| x.1.contains("use hours and minutes"))
            .count(),
        2,
        "target and the escalation offset: {msgs:#?}"
    );
}

#[test]
fn a_clean_handoff_policy_checks() {
    let src = format!("{HEAD}calendar cal {{ timezone \"America/New_York\"\n mon-fri 09:00-12:00, 13:00-17:00\n sat 10:00-14:00\n closed 2026-11-26 }}\nhandoff x note n {{ requires risks\n sla a within 4h on cal met by \"responded\"\n warn 1h before a breach to \"lead\"\n escalate when note incomplete to \"ae\" }}\n");
    assert_eq!(codes(&src), Vec::new());
}
