//! Deterministic synthetic data for the shipped demo files and the
//! benchmarks. The same seed gives the same bytes on every machine, so the
//! files under `policies/samples/` can be checked against this generator.

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

/// Every sample file shipped under `policies/samples/`: name and contents.
pub fn all() -> Vec<(&'static str, String)> {
    vec![("leads.jsonl", leads(3_000, 2026))]
}
