//! Deterministic synthetic data for the shipped demo files and the
//! benchmarks. The same seed gives the same bytes on every machine, so the
//! files under `policies/samples/` can be checked against this generator.
//! Not part of the library: the example, tests and benches that use it
//! include this file (`#[path = …] mod samples;`).
#![allow(dead_code)]

use std::fmt::Write as _;

/// A small, fast, deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = usize::try_from(self.below(items.len() as u64)).ok()?;
        items.get(i)
    }
}

const INDUSTRIES: [&str; 8] = [
    "saas",
    "fintech",
    "health",
    "logistics",
    "retail",
    "education",
    "manufacturing",
    "media",
];
const USE_CASES: [&str; 5] = [
    "support_automation",
    "customer_onboarding",
    "sales_handoff",
    "internal_it",
    "reporting",
];
const FEATURES: [&str; 9] = [
    "sso",
    "audit_log",
    "api",
    "custom_reports",
    "scim",
    "sandbox",
    "on_prem",
    "offline_sync",
    "hipaa_baa",
];
const SOURCES: [&str; 6] = ["web", "web", "referral", "partner", "event", "student"];
const NAMES: [&str; 12] = [
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Acme",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
];
const SUFFIXES: [&str; 6] = ["Labs", "Systems", "Health", "Logistics", "Group", "Cloud"];

/// One lead as a JSON line, shaped for `policies/qualification`.
pub fn lead_line(rng: &mut Rng, i: u64) -> String {
    let name = format!(
        "{} {}",
        rng.pick(&NAMES).unwrap_or(&"Acme"),
        rng.pick(&SUFFIXES).unwrap_or(&"Labs")
    );
    let mut s = String::with_capacity(320);
    let _ = write!(
        s,
        "{{\"id\": \"L-{:06}\", \"company\": \"{name}\", \"industry\": \"{}\"",
        i + 1,
        rng.pick(&INDUSTRIES).unwrap_or(&"saas")
    );
    if rng.chance(85) {
        let _ = write!(
            s,
            ", \"use_case\": \"{}\"",
            rng.pick(&USE_CASES).unwrap_or(&"reporting")
        );
    }
    if rng.chance(80) {
        let amount = (rng.below(120) + 1) * 1_000;
        let currency = if rng.chance(80) { "USD" } else { "EUR" };
        let _ = write!(s, ", \"budget\": \"{amount}.00 {currency}\"");
    }
    if rng.chance(75) {
        let _ = write!(s, ", \"timeline\": \"{}d\"", (rng.below(12) + 1) * 15);
    }
    let employees = match rng.below(10) {
        0..=3 => rng.below(100) + 5,
        4..=7 => rng.below(900) + 100,
        _ => rng.below(20_000) + 1_000,
    };
    let _ = write!(s, ", \"employees\": {employees}");
    if rng.chance(70) {
        let _ = write!(s, ", \"decision_maker\": {}", rng.chance(55));
    }
    let mut feats: Vec<&str> = FEATURES
        .iter()
        .copied()
        .filter(|_| rng.chance(22))
        .collect();
    feats.sort_unstable();
    let feats: Vec<String> = feats.iter().map(|f| format!("\"{f}\"")).collect();
    let day = rng.below(92);
    let created = chrono::NaiveDate::from_ymd_opt(2026, 8, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(day)))
        .unwrap_or_default();
    let _ = write!(
        s,
        ", \"features\": [{}], \"source\": \"{}\", \"created\": \"{created}\"}}",
        feats.join(", "),
        rng.pick(&SOURCES).unwrap_or(&"web")
    );
    s
}

/// `n` leads as JSON lines, from a fixed seed.
pub fn leads(n: u64, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&lead_line(&mut rng, i));
        out.push('\n');
    }
    out
}

fn date_after(base: (i32, u32, u32), days: u64) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(base.0, base.1, base.2)
        .and_then(|d| d.checked_add_days(chrono::Days::new(days)))
        .unwrap_or_default()
}

const MILESTONES: [&str; 5] = [
    "first_report",
    "team_invited",
    "integration_live",
    "sso_enabled",
    "api_key_created",
];
const SEGMENTS: [&str; 3] = ["smb", "mid_market", "enterprise"];

/// One account as a JSON line, shaped for `policies/health`.
pub fn account_line(rng: &mut Rng, i: u64) -> String {
    let mut s = String::with_capacity(256);
    let signed = rng.below(120);
    let _ = write!(
        s,
        "{{\"account_id\": \"A-{:06}\", \"segment\": \"{}\"",
        i + 1,
        rng.pick(&SEGMENTS).unwrap_or(&"smb")
    );
    if rng.chance(90) {
        let _ = write!(s, ", \"activation_steps\": {}", rng.below(8));
    }
    let _ = write!(
        s,
        ", \"signed_on\": \"{}\"",
        date_after((2026, 7, 1), signed)
    );
    if rng.chance(65) {
        let _ = write!(
            s,
            ", \"first_value_on\": \"{}\"",
            date_after((2026, 7, 1), signed + 2 + rng.below(50))
        );
    }
    if rng.chance(85) {
        let m: Vec<String> = MILESTONES
            .iter()
            .filter(|_| rng.chance(45))
            .map(|m| format!("\"{m}\""))
            .collect();
        let _ = write!(s, ", \"milestones\": [{}]", m.join(", "));
    }
    if rng.chance(80) {
        let _ = write!(s, ", \"weekly_active_ratio\": {}.{:02}", 0, rng.below(96));
    }
    let _ = write!(s, ", \"open_tickets\": {}}}", rng.below(12));
    s
}

/// `n` accounts as JSON lines, from a fixed seed.
pub fn accounts(n: u64, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    (0..n).map(|i| account_line(&mut rng, i) + "\n").collect()
}

fn ts(t: i64) -> String {
    match chrono::DateTime::from_timestamp(t, 0) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => t.to_string(),
    }
}

/// The events of one handoff instance, shaped for `policies/handoff`:
/// opened (a note, sometimes incomplete or over-promising), then replies,
/// plans, kickoffs, pauses, note updates and closings at random delays.
pub fn handoff_events(rng: &mut Rng, i: u64, start: i64, span_days: u64) -> Vec<String> {
    let id = format!("H-{:05}", i + 1);
    let opened = start + i64::try_from(rng.below(span_days * 86_400 / 60)).unwrap_or(0) * 60;
    let opt = |rng: &mut Rng, name: &str, value: &str, pct: u64| -> String {
        match rng.below(100) {
            x if x < pct => format!(", \"{name}\": \"{value}\""),
            x if x < pct + (100 - pct) / 2 => format!(", \"{name}\": \" \""),
            _ => String::new(),
        }
    };
    let feats: Vec<String> = ["sso", "api", "scim", "offline_sync", "on_prem"]
        .iter()
        .filter(|f| {
            rng.chance(if **f == "offline_sync" || **f == "on_prem" {
                8
            } else {
                35
            })
        })
        .map(|f| format!("\"{f}\""))
        .collect();
    let note = format!(
        "{{\"id\": \"{id}\", \"account\": \"A-{:06}\"{}{}{}{}{}, \"promised_features\": [{}]}}",
        rng.below(1000) + 1,
        opt(rng, "customer_goal", "Roll out to support team", 92),
        opt(rng, "current_status", "Contract signed", 95),
        opt(rng, "promised", "Go-live in 30 days", 85),
        opt(rng, "risks", "Legacy data migration", 75),
        opt(rng, "next_action", "Schedule kickoff", 80),
        feats.join(", ")
    );
    let mut out = vec![format!("{{\"handoff\": \"{id}\", \"block\": \"closed_won_onboarding\", \"type\": \"opened\", \"at\": \"{}\", \"note\": {note}}}", ts(opened))];
    let mut event = |kind: &str, at: i64, extra: &str| {
        out.push(format!(
            "{{\"handoff\": \"{id}\", \"type\": \"{kind}\", \"at\": \"{}\"{extra}}}",
            ts(at)
        ))
    };
    let minutes = |rng: &mut Rng, max: u64| i64::try_from(rng.below(max)).unwrap_or(0) * 60;
    if rng.chance(20) {
        event(
            "note_updated",
            opened + minutes(rng, 600),
            ", \"note\": {\"risks\": \"Reviewed with sales\", \"next_action\": \"Kickoff call\"}",
        );
    }
    if rng.chance(85) {
        event("cx_replied", opened + minutes(rng, 60 * 30), "");
    }
    if rng.chance(10) {
        let p = opened + minutes(rng, 60 * 24);
        event("paused", p, "");
        if rng.chance(70) {
            event("resumed", p + 3600 + minutes(rng, 60 * 48), "");
        }
    }
    if rng.chance(70) {
        event("plan_shared", opened + minutes(rng, 60 * 72), "");
    }
    if rng.chance(75) {
        event("kickoff_held", opened + minutes(rng, 60 * 24 * 5), "");
    }
    if rng.chance(15) {
        event("closed", opened + minutes(rng, 60 * 24 * 20), "");
    }
    out
}

/// Handoff event streams, one JSON object a line, instances in order.
pub fn handoffs(n: u64, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    // 2026-11-03T14:00:00Z, spread over the following five weeks.
    let start = 1_793_714_400;
    let mut out = String::new();
    for i in 0..n {
        for line in handoff_events(&mut rng, i, start, 35) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

const AES: [&str; 10] = [
    "maria", "tom", "priya", "jonas", "aiko", "diego", "fatima", "liam", "chen", "olga",
];
const SUPPORT_REPS: [&str; 4] = ["lena", "noor", "sam", "ines"];
const CHURN_REASONS: [&str; 6] = [
    "budget",
    "switched_vendor",
    "poor_fit",
    "budget",
    "acquired",
    "bankruptcy",
];
const DEAL_SEGMENTS: [&str; 3] = ["smb", "mid_market", "enterprise"];

/// Commission deals and their lifecycle events, shaped for
/// `policies/commission`: `n` deals closed through 2026, about one in four
/// with a downgrade, a cancellation (sometimes reinstated) or an upgrade,
/// events in date order. Every event is valid for its deal's state, so the
/// ledger has no error lines. Returns (deals CSV, events CSV).
pub fn commission(n: u64, seed: u64) -> (String, String) {
    let mut rng = Rng::new(seed);
    let mut deals = String::from("deal,rep,amount,currency,deal_value,closed_on,segment\n");
    let mut events: Vec<(chrono::NaiveDate, u64, String)> = Vec::new();
    let last = date_after((2026, 11, 28), 0);
    for i in 0..n {
        let id = format!("D-{:06}", i + 1);
        let rep = *rng.pick(&AES).unwrap_or(&"maria");
        let segment = *rng.pick(&DEAL_SEGMENTS).unwrap_or(&"smb");
        let closed = date_after((2026, 1, 2), rng.below(303));
        let currency = match rng.below(20) {
            0..=13 => "USD",
            14..=16 => "EUR",
            17..=18 => "GBP",
            _ => "JPY",
        };
        let hundreds = match segment {
            "smb" => 50 + rng.below(250),
            "mid_market" => 300 + rng.below(900),
            _ => 1_200 + rng.below(3_800),
        };
        // value in minor-unit-free whole amounts; JPY deals are ~150× larger
        let (value, value_text) = if currency == "JPY" {
            let v = hundreds * 100 * 150;
            (v, v.to_string())
        } else {
            let v = hundreds * 100;
            (v, format!("{v}"))
        };
        let rate_pct = 8 + rng.below(5); // 8..12 %
        let amount_minor = value * rate_pct; // value × pct / 100, in cents
        let amount = if currency == "JPY" {
            (amount_minor / 100).to_string()
        } else {
            format!("{}.{:02}", amount_minor / 100, amount_minor % 100)
        };
        let _ = writeln!(
            deals,
            "{id},{rep},{amount},{currency},{value_text},{closed},{segment}"
        );

        // A timeline of valid events for this deal.
        let mut day = 0u64;
        let mut remaining = value;
        let mut active = true;
        let mut k = 0u32;
        let mut push = |on: chrono::NaiveDate, body: String, k: &mut u32| {
            *k += 1;
            events.push((on, i, format!("E-{:06}-{},{id},{body}", i + 1, k)));
        };
        let steps = match rng.below(100) {
            0..=74 => 0,
            75..=92 => 1,
            93..=98 => 2,
            _ => 3,
        };
        for _ in 0..steps {
            day += 3 + rng.below(70);
            let on = closed + chrono::Days::new(day);
            if on > last {
                break;
            }
            let reason = *rng.pick(&CHURN_REASONS).unwrap_or(&"budget");
            if !active {
                push(on, format!("reinstatement,{on},,,,,"), &mut k);
                active = true;
                continue;
            }
            match rng.below(10) {
                0..=2 => {
                    active = false;
                    push(on, format!("cancellation,{on},{reason},,,,"), &mut k);
                }
                3..=6 if remaining > value / 4 => {
                    let lost = (remaining / 4).max(1) / 100 * 100 + 100 * rng.below(3);
                    let lost = lost.min(remaining);
                    remaining -= lost;
                    push(on, format!("downgrade,{on},{reason},{lost},,,"), &mut k);
                }
                _ => {
                    let added = (value / 10).max(100) / 100 * 100;
                    let (who, team) = match rng.below(3) {
                        0 => (*rng.pick(&SUPPORT_REPS).unwrap_or(&"lena"), "support"),
                        1 => (rep, "sales"),
                        _ => ("", ""),
                    };
                    push(on, format!("upgrade,{on},,,{added},{who},{team}"), &mut k);
                }
            }
        }
    }
    events.sort_by_key(|e| (e.0, e.1));
    let mut out = String::from("event,deal,type,on,reason,lost_value,added_value,rep,team\n");
    for (_, _, line) in events {
        out.push_str(&line);
        out.push('\n');
    }
    (deals, out)
}

/// Every sample file shipped under `policies/samples/`: name and contents.
pub fn all() -> Vec<(&'static str, String)> {
    let (deals, events) = commission(4_000, 2029);
    let lead_lines = leads(3_000, 2026);
    vec![
        ("hubspot_contacts.csv", hubspot_export(&lead_lines)),
        ("salesforce_opportunities.csv", salesforce_export(&deals)),
        ("leads.jsonl", lead_lines),
        ("accounts.jsonl", accounts(1_000, 2027)),
        ("handoff_events.jsonl", handoffs(300, 2028)),
        ("deals.csv", deals),
        ("deal_events.csv", events),
    ]
}

/// US date (`MM/DD/YYYY`) of an ISO date.
fn us_date(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => format!("{m}/{d}/{y}"),
        _ => iso.to_string(),
    }
}

/// An amount as a spreadsheet writes it: `$97,000.00`, `€13,500.00`.
fn spreadsheet_amount(amount: &str, currency: &str) -> String {
    let symbol = match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        _ => "",
    };
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{symbol}{grouped}")
    } else {
        format!("{symbol}{grouped}.{frac}")
    }
}

/// Title case of a snake_case value: `custom_reports` → `Custom_Reports`.
fn title(v: &str) -> String {
    v.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// The leads of `leads_jsonl` as a HubSpot contacts export would hold them:
/// its own column names, `Yes`/`No`, US dates, `$`/`€` amounts with a
/// currency column, `;`-separated features in title case, `Software` for
/// `saas`, blanks for absent values. `policies/baton.toml` maps it back.
pub fn hubspot_export(leads_jsonl: &str) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "Record ID",
        "Company name",
        "Industry",
        "Use Case",
        "Annual Budget",
        "Budget Currency",
        "Timeline (days)",
        "Number of Employees",
        "Decision Maker?",
        "Requested Features",
        "Lead Source",
        "Create Date",
    ]);
    for line in leads_jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let (amount, currency) = s("budget")
            .split_once(' ')
            .map(|(a, c)| (a.to_string(), c.to_string()))
            .unwrap_or_default();
        let industry = match s("industry").as_str() {
            "saas" => "Software".to_string(),
            other => title(other),
        };
        let features: Vec<String> = v["features"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.as_str()).map(title).collect())
            .unwrap_or_default();
        let _ = w.write_record([
            s("id"),
            s("company"),
            industry,
            s("use_case"),
            if amount.is_empty() {
                String::new()
            } else {
                spreadsheet_amount(&amount, &currency)
            },
            currency,
            s("timeline").trim_end_matches('d').to_string(),
            v["employees"]
                .as_i64()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            match v["decision_maker"].as_bool() {
                Some(true) => "Yes".into(),
                Some(false) => "No".into(),
                None => String::new(),
            },
            features.join(";"),
            title(&s("source")),
            us_date(&s("created")),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The deals of `deals_csv` as a Salesforce opportunities export: its own
/// column names, owners capitalised, `$` amounts, US close dates.
pub fn salesforce_export(deals_csv: &str) -> String {
    let mut r = csv::Reader::from_reader(deals_csv.as_bytes());
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "Opportunity ID",
        "Opportunity Owner",
        "Commission",
        "Currency",
        "Amount (converted)",
        "Close Date",
        "Segment",
    ]);
    for rec in r.records().flatten() {
        let c = |i: usize| rec.get(i).unwrap_or("").to_string();
        let cur = c(3);
        let _ = w.write_record([
            c(0),
            title(&c(1)),
            spreadsheet_amount(&c(2), &cur),
            cur.clone(),
            spreadsheet_amount(&c(4), &cur),
            us_date(&c(5)),
            c(6),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
