//! The long explanation of every diagnostic code (`baton explain E0103`),
//! each with a policy that gets the code and the same policy fixed, as
//! `rustc --explain` does. A test checks that every wrong example gets its
//! code and every fixed one passes.

use crate::diag::Code;

/// Every code, in order.
pub const ALL: [Code; 21] = [
    Code::E0001,
    Code::E0002,
    Code::E0003,
    Code::E0004,
    Code::E0101,
    Code::E0102,
    Code::E0103,
    Code::E0104,
    Code::E0105,
    Code::E0106,
    Code::E0107,
    Code::E0108,
    Code::E0109,
    Code::E0110,
    Code::E0201,
    Code::E0301,
    Code::E0302,
    Code::E0401,
    Code::E0501,
    Code::E0601,
    Code::E0701,
];

/// What a code means, and an example of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    /// The code.
    pub code: Code,
    /// One line.
    pub title: &'static str,
    /// What it means and how to fix it.
    pub text: &'static str,
    /// A policy file that gets the code (for E0004, E0501 and E0701, which
    /// are about files rather than a policy's text, a description).
    pub wrong: &'static str,
    /// The same, fixed.
    pub fixed: &'static str,
}

impl Code {
    /// The code named `text` (`E0103`, `e0103` or `0103`).
    pub fn parse(text: &str) -> Option<Code> {
        let t = text.trim().to_ascii_uppercase();
        let t = if t.starts_with('E') {
            t
        } else {
            format!("E{t}")
        };
        ALL.iter().copied().find(|c| c.to_string() == t)
    }

    /// The code's long explanation.
    pub fn explanation(self) -> Explanation {
        explain(self)
    }
}

macro_rules! policy {
    ($body:expr) => {
        concat!("policy \"p\" version 1 effective 2026-01-01\n", $body)
    };
}

fn explain(code: Code) -> Explanation {
    let e = |title, text, wrong, fixed| Explanation {
        code,
        title,
        text,
        wrong,
        fixed,
    };
    match code {
        Code::E0001 => e(
            "a syntax error",
            "The text is not the policy language (LANGUAGE.md): a keyword, a brace, an \
             operator or a literal is missing or misplaced. The message says what was \
             expected at that place; every broken item of a file is reported, not only the \
             first.",
            policy!("record lead key id {\n  id: text\n  seats int\n}\n"),
            policy!("record lead key id {\n  id: text\n  seats: int\n}\n"),
        ),
        Code::E0002 => e(
            "nested too deeply",
            "Expressions and blocks may nest at most `baton::MAX_NESTING` levels (and an \
             expression's operator chain at most `baton::MAX_EXPR_DEPTH`), so that checking \
             and evaluating any file takes bounded work. Split the condition with `let`s or \
             scores.",
            policy!(
                "record lead key id {\n  id: text\n  n: int\n}\nqualify lead {\n  stage A when \
                 ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((n > \
                 1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\n}\n"
            ),
            policy!("record lead key id {\n  id: text\n  n: int\n}\nqualify lead {\n  stage A when n > 1\n}\n"),
        ),
        Code::E0003 => e(
            "a literal out of range or malformed",
            "A number beyond the decimal range (28 significant digits), a date the calendar \
             does not have, a duration too long or a percent beyond 100 is refused where it \
             is written, rather than rounded or wrapped.",
            policy!("record lead key id {\n  id: text\n  created: date\n}\nqualify lead {\n  stage A when created >= 2026-02-30\n}\n"),
            policy!("record lead key id {\n  id: text\n  created: date\n}\nqualify lead {\n  stage A when created >= 2026-02-28\n}\n"),
        ),
        Code::E0004 => e(
            "a file that cannot be read",
            "A policy file that does not exist, is not a regular file (a FIFO, a device, a \
             directory named `*.baton`), is larger than `baton::MAX_POLICY_BYTES`, or is not \
             UTF-8. The diagnostic points at the first byte that is not UTF-8; save the file \
             as UTF-8.",
            "a policy file holding the byte 0xE9 (Latin-1 `é`) in a comment",
            "the same file saved as UTF-8",
        ),
        Code::E0101 => e(
            "an unknown name",
            "A field, `let`, score, stage, measure, calendar or goal that is not declared \
             where it is used. The help names the closest declared name.",
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nqualify lead {\n  stage A when seat >= 10\n}\n"),
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nqualify lead {\n  stage A when seats >= 10\n}\n"),
        ),
        Code::E0102 => e(
            "a name declared twice",
            "Two fields of a record, two `let`s, two records, two stages, scores or \
             measures share a name. The second is reported, with the first as a related \
             location; rename one.",
            policy!("record lead key id {\n  id: text\n  id: int\n}\n"),
            policy!("record lead key id {\n  id: text\n  seats: int\n}\n"),
        ),
        Code::E0103 => e(
            "a type error",
            "An operator or a comparison between values of types that do not go together \
             (a text compared with a number, a date plus a number, `and` of an int). The \
             message names both types.",
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nqualify lead {\n  stage A when seats >= \"ten\"\n}\n"),
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nqualify lead {\n  stage A when seats >= 10\n}\n"),
        ),
        Code::E0104 => e(
            "money of two currencies",
            "Money of two currencies never meets in a comparison or arithmetic: there is no \
             exchange rate in a policy. Compare with a constant in the same currency, or \
             test the currency first (`currency(budget) == \"EUR\" and budget >= 9_000 EUR`).",
            policy!("record lead key id {\n  id: text\n  budget: money\n}\nqualify lead {\n  stage A when 10 USD >= 9 EUR\n}\n"),
            policy!("record lead key id {\n  id: text\n  budget: money\n}\nqualify lead {\n  stage A when 10 USD >= 9 USD\n}\n"),
        ),
        Code::E0105 => e(
            "a stage or score used before it is defined",
            "A stage may mention the stages written above it (`stage SQL when MQL and …`), \
             and a rule the scores of its record; a stage written later is not known yet. \
             Move the stage up, or reorder the conditions.",
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nqualify lead {\n  stage SQL when MQL and seats >= 50\n  stage MQL when seats >= 10\n}\n"),
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nqualify lead {\n  stage MQL when seats >= 10\n  stage SQL when MQL and seats >= 50\n}\n"),
        ),
        Code::E0106 => e(
            "an unknown type name",
            "A field's type is one of `bool`, `int`, `decimal`, `money`, `text`, `date`, \
             `timestamp`, `duration`, `set of text`, `set of int`, with `?` for an optional \
             field.",
            policy!("record lead key id {\n  id: text\n  seats: integer\n}\n"),
            policy!("record lead key id {\n  id: text\n  seats: int\n}\n"),
        ),
        Code::E0107 => e(
            "an unknown function, or the wrong number of arguments",
            "The functions are those of LANGUAGE.md (`in_days`, `currency`, `amount`, …), \
             each with its number of arguments.",
            policy!("record lead key id {\n  id: text\n  created: date\n}\nqualify lead {\n  stage A when days(today - created) <= 45\n}\n"),
            policy!("record lead key id {\n  id: text\n  created: date\n}\nqualify lead {\n  stage A when in_days(today - created) <= 45\n}\n"),
        ),
        Code::E0108 => e(
            "a `let` that reads a record, or a value that must be constant and is not",
            "A `let` is the same for every record: it may use constants, other `let`s and \
             `today`, not a record's fields. Put a condition on fields in a score or a \
             stage.",
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nlet big = seats >= 500\nqualify lead {\n  stage A when big\n}\n"),
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nlet floor = 500\nqualify lead {\n  stage A when seats >= floor\n}\n"),
        ),
        Code::E0109 => e(
            "a header problem",
            "The policy header's options: a time zone that is not an IANA name, a currency \
             that is not an ISO 4217 code, an option given twice.",
            "policy \"p\" version 1 effective 2026-01-01\n  timezone \"Eastern\"\nrecord lead key id {\n  id: text\n}\n",
            "policy \"p\" version 1 effective 2026-01-01\n  timezone \"America/New_York\"\nrecord lead key id {\n  id: text\n}\n",
        ),
        Code::E0110 => e(
            "a record declaration problem",
            "A record's key must be one of its fields, and of a type a key can be.",
            policy!("record lead key lead_id {\n  id: text\n}\n"),
            policy!("record lead key id {\n  id: text\n}\n"),
        ),
        Code::E0201 => e(
            "a health block rule broken",
            "A measure needs an `else` arm, weights are positive, and the bands end with \
             `otherwise` so that every known score has a band.",
            policy!("record customer key id {\n  id: text\n  steps: int\n}\nhealth customer {\n  measure activation weight 10 {\n    100 when steps >= 5\n  }\n  band healthy when score >= 75\n  band critical otherwise\n}\n"),
            policy!("record customer key id {\n  id: text\n  steps: int\n}\nhealth customer {\n  measure activation weight 10 {\n    100 when steps >= 5\n    else 0\n  }\n  band healthy when score >= 75\n  band critical otherwise\n}\n"),
        ),
        Code::E0301 => e(
            "a calendar rule broken",
            "A calendar's time zone is an IANA name; its intervals run forward within a day \
             and do not overlap; it has some open time.",
            policy!("calendar hours {\n  timezone \"America/New_York\"\n  mon-fri 17:00-09:00\n}\n"),
            policy!("calendar hours {\n  timezone \"America/New_York\"\n  mon-fri 09:00-17:00\n}\n"),
        ),
        Code::E0302 => e(
            "a handoff rule broken",
            "An alert names a goal of its handoff, a goal names a calendar the policy \
             declares, offsets and units are valid.",
            policy!("calendar hours {\n  timezone \"UTC\"\n  mon-fri 09:00-17:00\n}\nrecord note key id {\n  id: text\n}\nhandoff onboarding note note {\n  sla first_response within 4h on hours met by \"replied\"\n  escalate at first_respons breach to \"lead\"\n}\n"),
            policy!("calendar hours {\n  timezone \"UTC\"\n  mon-fri 09:00-17:00\n}\nrecord note key id {\n  id: text\n}\nhandoff onboarding note note {\n  sla first_response within 4h on hours met by \"replied\"\n  escalate at first_response breach to \"lead\"\n}\n"),
        ),
        Code::E0401 => e(
            "a commission rule broken",
            "A clawback schedule covers its window without gaps or overlaps, rates are \
             percents, a rounding mode is one the language has.",
            policy!("commission plan {\n  clawback within 90 days of closed_on {\n    days 0 to 30: 100%\n    days 41 to 90: 50%\n  }\n}\n"),
            policy!("commission plan {\n  clawback within 90 days of closed_on {\n    days 0 to 30: 100%\n    days 31 to 90: 50%\n  }\n}\n"),
        ),
        Code::E0501 => e(
            "a policy directory rule broken",
            "The files of a policy directory are versions of one policy: one name, \
             distinct version numbers, distinct effective dates, later versions in force \
             later.",
            "a directory holding `v1.baton` (policy \"p\" version 1) and `v2.baton` \
             (policy \"q\" version 2)",
            "the same directory with both files naming policy \"p\"",
        ),
        Code::E0601 => e(
            "a test block that cannot run",
            "A `test` block is built from parts its kind of record takes: a lead or \
             account test is evaluated on a date (`at 2026-11-02`), a handoff test at an \
             instant and with events, a commission test with a deal and its events. A part \
             of the wrong kind, or of the wrong type, is refused before anything runs.",
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nqualify lead {\n  stage big when seats >= 50\n}\ntest \"a big lead\" {\n  given lead { id: \"a\", seats: 80 }\n  at 2026-11-02T09:00:00Z\n  expect stage big\n}\n"),
            policy!("record lead key id {\n  id: text\n  seats: int\n}\nqualify lead {\n  stage big when seats >= 50\n}\ntest \"a big lead\" {\n  given lead { id: \"a\", seats: 80 }\n  at 2026-11-02\n  expect stage big\n}\n"),
        ),
        Code::E0701 => e(
            "a project file (`baton.toml`) problem",
            "The project file's form: known keys only, values of the right type, a job \
             naming policies and inputs the file declares; then each job's input against \
             its policy's record and its export's header. Every problem is reported at \
             once.",
            "[jobs.weekly]\nrun = \"qualify\"\npolicy = \"qualifcation\"\ninput = \"leads\"\n",
            "[policies]\nqualification = \"qualification\"\n\n[inputs.leads]\npath = \"leads.jsonl\"\n\n[jobs.weekly]\nrun = \"qualify\"\npolicy = \"qualification\"\ninput = \"leads\"\n",
        ),
    }
}

/// The explanation as `baton explain` prints it.
pub fn render(x: &Explanation) -> String {
    format!(
        "{}: {}\n\n{}\n\nThis gets {}:\n\n{}\nFixed:\n\n{}",
        x.code,
        x.title,
        wrap(x.text),
        x.code,
        indent(x.wrong),
        indent(x.fixed)
    )
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// Words wrapped at 76 columns.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + w.len() > 76 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    out.push_str(&line);
    out
}
