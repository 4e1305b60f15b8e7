//! Checking `calendar` and `handoff` blocks (LANGUAGE.md §7).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{Checker, Scope};
use crate::diag::Code;
use crate::program::calendar::Calendar;
use crate::program::handoff::{
    AlertDef, AlertRule, CalendarDef, EventKind, GoalClock, GoalDef, GoalSpec, HandoffDef,
};
use crate::record::Schema;
use crate::span::{Span, Spanned};
use crate::syntax::ast::{self, DurationLit, HandoffStmt, Item};

impl Checker<'_> {
    pub(super) fn calendars(
        &mut self,
        f: &ast::File,
        policy_tz: Option<chrono_tz::Tz>,
    ) -> Vec<CalendarDef> {
        let mut out: Vec<CalendarDef> = Vec::new();
        // The names in `out`; where each name is first written.
        let mut built: HashSet<&str> = HashSet::new();
        let mut first_at: HashMap<&str, Span> = HashMap::new();
        for item in &f.items {
            let Item::Calendar(c) = item else { continue };
            let first = *first_at.entry(&c.name.node).or_insert(c.name.span);
            if built.contains(c.name.node.as_str()) {
                self.declared_twice(
                    c.name.span,
                    format!("calendar `{}` is declared twice", c.name.node),
                    Some(first),
                );
                continue;
            }
            if let Some(extra) = c.timezone.get(1) {
                self.sink
                    .error(Code::E0301, extra.span, "a calendar has one `timezone`");
            }
            let tz = match c.timezone.first() {
                Some(t) => self.parse_tz(t),
                None => policy_tz,
            };
            let mut hours: [Vec<(u32, u32)>; 7] = Default::default();
            let mut spans: [Vec<Spanned<(u32, u32)>>; 7] = Default::default();
            let mut ok = true;
            for h in &c.hours {
                for iv in &h.intervals {
                    let (a, b) = iv.node;
                    if a >= b {
                        self.sink.push(
                            self.sink
                                .make(Code::E0301, iv.span, "an opening interval must end after it starts")
                                .with_help("write `09:00-17:00`; an interval cannot run past midnight (use `24:00` as the end of a day)"),
                        );
                        ok = false;
                    }
                }
                // One diagnostic per overlapping pair of intervals, naming
                // every day it happens on (`mon-fri` is one line, not five).
                let mut overlaps: Vec<(Span, Span, Vec<u32>)> = Vec::new();
                for d in &h.days {
                    let (first, last) = d.node;
                    if first > last {
                        self.sink.push(
                            self.sink
                                .make(
                                    Code::E0301,
                                    d.span,
                                    "a day range goes forward from Monday to Sunday",
                                )
                                .with_help("write `mon-fri`, or list the days: `sat, sun`"),
                        );
                        ok = false;
                        continue;
                    }
                    for day in first..=last {
                        for iv in &h.intervals {
                            let Some(existing) = spans.get_mut(day as usize) else {
                                continue;
                            };
                            if let Some(o) = existing
                                .iter()
                                .find(|e| e.node.0 < iv.node.1 && iv.node.0 < e.node.1)
                            {
                                match overlaps
                                    .iter_mut()
                                    .find(|(a, b, _)| *a == iv.span && *b == o.span)
                                {
                                    Some((_, _, days)) => {
                                        if !days.contains(&day) {
                                            days.push(day);
                                        }
                                    }
                                    None => overlaps.push((iv.span, o.span, vec![day])),
                                }
                                ok = false;
                            }
                            existing.push(iv.clone());
                            if let Some(hs) = hours.get_mut(day as usize) {
                                hs.push(iv.node);
                            }
                        }
                    }
                }
                for (at, other, days) in overlaps {
                    let (line, _) = self.sink.line_col(other.start);
                    self.sink.push(
                        self.sink
                            .make(
                                Code::E0301,
                                at,
                                format!(
                                    "this interval overlaps another one on {} (line {line})",
                                    day_list(&days)
                                ),
                            )
                            .with_related(other, "the interval it overlaps")
                            .with_help("opening intervals of one day must not overlap"),
                    );
                }
            }
            if hours.iter().all(Vec::is_empty) && ok {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0301,
                            c.name.span,
                            format!("calendar `{}` has no open time", c.name.node),
                        )
                        .with_help("add opening hours such as `mon-fri 09:00-17:00`"),
                );
                ok = false;
            }
            for h in &mut hours {
                h.sort_unstable();
            }
            if let (Some(tz), true) = (tz, ok) {
                let closed = c.closed.iter().map(|d| d.node).collect();
                built.insert(&c.name.node);
                out.push(CalendarDef {
                    name: c.name.node.clone(),
                    calendar: Arc::new(Calendar::new(tz, hours, closed)),
                });
            } else {
                // Reported above; a goal on it is not told it is unknown.
                self.reported_calendars.insert(c.name.node.clone());
            }
        }
        out
    }

    pub(super) fn handoffs(
        &mut self,
        f: &ast::File,
        records: &[Schema],
        calendars: &[CalendarDef],
    ) -> Vec<HandoffDef> {
        let mut out: Vec<HandoffDef> = Vec::new();
        // The names in `out`; where each name is first written.
        let mut built: HashSet<&str> = HashSet::new();
        let mut first_at: HashMap<&str, Span> = HashMap::new();
        for item in &f.items {
            let Item::Handoff(h) = item else { continue };
            let first = *first_at.entry(&h.name.node).or_insert(h.name.span);
            if built.contains(h.name.node.as_str()) {
                self.declared_twice(
                    h.name.span,
                    format!("handoff `{}` is declared twice", h.name.node),
                    Some(first),
                );
                continue;
            }
            let Some(note) = self.record_index(records, &h.note) else {
                self.reported_blocks.insert("handoff");
                continue;
            };
            let Some(schema) = records.get(note) else {
                continue;
            };
            if let Some(def) = self.handoff(h, note, schema, calendars) {
                built.insert(&h.name.node);
                out.push(def);
            }
        }
        out
    }

    fn handoff(
        &mut self,
        h: &ast::HandoffDecl,
        note: usize,
        schema: &Schema,
        calendars: &[CalendarDef],
    ) -> Option<HandoffDef> {
        let mut def = HandoffDef {
            name: h.name.node.clone(),
            owner: None,
            note,
            requires: Vec::new(),
            goals: Vec::new(),
            alerts: Vec::new(),
            flags: Vec::new(),
        };
        // Goals first: alerts may name a goal declared after them.
        let mut business: Vec<bool> = Vec::new();
        // Each goal's index in `def.goals` and where it is declared.
        let mut goals: HashMap<&str, (usize, Span)> = HashMap::new();
        for st in &h.stmts {
            let HandoffStmt::Sla {
                name,
                within,
                calendar,
                met_by,
            } = st
            else {
                continue;
            };
            if let Some((_, first)) = goals.get(name.node.as_str()).copied() {
                self.declared_twice(
                    name.span,
                    format!("goal `{}` is declared twice", name.node),
                    Some(first),
                );
                continue;
            }
            // A goal is declared even when its calendar is unknown or
            // failed (the policy then compiles to nothing), so that its
            // alerts are checked rather than reported as naming an unknown
            // goal; it counts business time all the same.
            let clock = match calendar {
                None => GoalClock::Real,
                Some(c) => {
                    self.business_units(within, &name.node);
                    match calendars.iter().find(|x| x.name == c.node) {
                        Some(cal) => GoalClock::Business(Arc::clone(&cal.calendar)),
                        None => {
                            if !self.reported_calendars.contains(&c.node) {
                                let mut d = self.sink.make(
                                    Code::E0302,
                                    c.span,
                                    format!("unknown calendar `{}`", c.node),
                                );
                                d = self.sink.help_if_close(
                                    d,
                                    &c.node,
                                    calendars.iter().map(|x| x.name.as_str()),
                                );
                                self.sink.push(d);
                            }
                            GoalClock::Real
                        }
                    }
                }
            };
            if within.node.seconds <= 0 {
                self.sink.error(
                    Code::E0302,
                    within.span,
                    "an SLA target must be longer than zero",
                );
            }
            for m in met_by {
                if EventKind::LIFECYCLE.contains(&m.node.as_str()) {
                    self.sink.error(
                        Code::E0302,
                        m.span,
                        format!(
                            "`{}` is a lifecycle event; a goal is met by another event name",
                            m.node
                        ),
                    );
                } else if m.node.trim().is_empty() {
                    self.sink
                        .error(Code::E0302, m.span, "an event name cannot be blank");
                }
            }
            business.push(calendar.is_some());
            goals.insert(&name.node, (def.goals.len(), name.span));
            def.goals.push(GoalDef {
                name: name.node.clone(),
                spec: GoalSpec {
                    target: within.node.seconds,
                    clock,
                },
                met_by: met_by.iter().map(|m| m.node.clone()).collect(),
            });
        }
        let mut note_alert = None;
        let mut required: HashSet<u16> = HashSet::new();
        // Where each flag is first declared.
        let mut flags: HashMap<&str, Span> = HashMap::new();
        for st in &h.stmts {
            match st {
                HandoffStmt::Sla { .. } => {}
                HandoffStmt::Owner(o) => {
                    if def.owner.is_some() {
                        self.sink
                            .error(Code::E0102, o.span, "a handoff has one `owner`");
                    }
                    def.owner = Some(o.node.clone());
                }
                HandoffStmt::Requires(fields) => {
                    for fld in fields {
                        match schema.slot(&fld.node) {
                            Some(s) if required.insert(s) => def.requires.push(s),
                            Some(_) => self.sink.error(
                                Code::E0102,
                                fld.span,
                                format!("`{}` is required twice", fld.node),
                            ),
                            None => {
                                let mut d = self.sink.make(
                                    Code::E0101,
                                    fld.span,
                                    format!("note `{}` has no field `{}`", schema.name, fld.node),
                                );
                                d = self.sink.help_if_close(
                                    d,
                                    &fld.node,
                                    schema.fields.iter().map(|x| x.name.as_str()),
                                );
                                self.sink.push(d);
                            }
                        }
                    }
                }
                HandoffStmt::Warn { offset, goal, to } => {
                    if let Some(g) = self.goal_index(&def, &goals, goal) {
                        let target = def.goals.get(g).map_or(0, |x| x.spec.target);
                        if business.get(g).copied().unwrap_or(false) {
                            self.business_units(offset, &goal.node);
                        }
                        if offset.node.seconds >= target {
                            self.sink.push(
                                self.sink
                                    .make(Code::E0302, offset.span, format!("a warning {} before the breach of a {} goal would fire at once", crate::value::format_duration(offset.node.seconds), crate::value::format_duration(target)))
                                    .with_help("the warning offset must be shorter than the goal's target"),
                            );
                        }
                        def.alerts.push(AlertDef {
                            kind: "warn",
                            goal: Some(g),
                            to: to.node.clone(),
                            rule: Some(AlertRule::WarnBefore {
                                goal: g,
                                offset: offset.node.seconds,
                            }),
                        });
                    }
                }
                HandoffStmt::EscalateAt { goal, to } => {
                    if let Some(g) = self.goal_index(&def, &goals, goal) {
                        def.alerts.push(AlertDef {
                            kind: "escalate",
                            goal: Some(g),
                            to: to.node.clone(),
                            rule: Some(AlertRule::AtBreach { goal: g }),
                        });
                    }
                }
                HandoffStmt::EscalateAfter { offset, goal, to } => {
                    if let Some(g) = self.goal_index(&def, &goals, goal) {
                        if business.get(g).copied().unwrap_or(false) {
                            self.business_units(offset, &goal.node);
                        }
                        def.alerts.push(AlertDef {
                            kind: "escalate",
                            goal: Some(g),
                            to: to.node.clone(),
                            rule: Some(AlertRule::AfterBreach {
                                goal: g,
                                offset: offset.node.seconds,
                            }),
                        });
                    }
                }
                HandoffStmt::EscalateNote { to, span } => {
                    if note_alert.replace(*span).is_some() {
                        self.sink.error(
                            Code::E0102,
                            *span,
                            "a handoff has one `escalate when note incomplete`",
                        );
                    }
                    def.alerts.push(AlertDef {
                        kind: "escalate",
                        goal: None,
                        to: to.node.clone(),
                        rule: None,
                    });
                }
                HandoffStmt::Flag { name, cond } => {
                    if let Some(first) = flags.get(name.node.as_str()).copied() {
                        self.declared_twice(
                            name.span,
                            format!("flag `{}` is declared twice", name.node),
                            Some(first),
                        );
                        continue;
                    }
                    flags.insert(&name.node, name.span);
                    let scope = Scope {
                        record: Some(schema),
                        qualified: &[],
                        locals: None,
                        position: usize::MAX,
                        in_let: false,
                    };
                    if let Some(c) = self.bool_expr(cond, &scope) {
                        def.flags.push((name.node.clone(), c));
                    }
                }
            }
        }
        if let (Some(span), true) = (note_alert, def.requires.is_empty()) {
            self.sink.push(
                self.sink
                    .make(
                        Code::E0302,
                        span,
                        "this escalation can never fire: the handoff `requires` no note field",
                    )
                    .with_help("add `requires field, …`")
                    .warning(),
            );
        }
        Some(def)
    }

    fn goal_index(
        &mut self,
        def: &HandoffDef,
        goals: &HashMap<&str, (usize, Span)>,
        goal: &ast::Ident,
    ) -> Option<usize> {
        let i = goals.get(goal.node.as_str()).map(|(i, _)| *i);
        if i.is_none() {
            let mut d = self.sink.make(
                Code::E0302,
                goal.span,
                format!("unknown goal `{}`", goal.node),
            );
            d = self.sink.help_closest(
                d,
                &goal.node,
                def.goals.iter().map(|g| g.name.as_str()),
                || format!("declare it with `sla {} within … met by \"…\"`", goal.node),
            );
            self.sink.push(d);
        }
        i
    }

    /// On a business clock only hours and minutes are allowed.
    fn business_units(&mut self, d: &Spanned<DurationLit>, goal: &str) {
        if d.node.uses_days {
            self.sink.push(
                self.sink
                    .make(Code::E0302, d.span, format!("goal `{goal}` counts business time: use hours and minutes, not days or weeks"))
                    .with_help("\"1 day\" of business time is ambiguous; write e.g. `8h`"),
            );
        }
    }
}

/// "Monday", "Monday and Wednesday", "Monday to Friday", "Monday, Wednesday
/// and Friday to Sunday": days in order, runs of three or more as ranges.
fn day_list(days: &[u32]) -> String {
    let mut days = days.to_vec();
    days.sort_unstable();
    days.dedup();
    // Runs of consecutive days: (first, last).
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for d in days {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == d => *last = d,
            _ => runs.push((d, d)),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    for (first, last) in runs {
        if last >= first + 2 {
            parts.push(format!("{} to {}", weekday_name(first), weekday_name(last)));
        } else {
            parts.extend((first..=last).map(|d| weekday_name(d).to_string()));
        }
    }
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.concat(),
    }
}

fn weekday_name(d: u32) -> &'static str {
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    .get(d as usize)
    .copied()
    .unwrap_or("?")
}
