//! Checking `commission` blocks (LANGUAGE.md §8).

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::{Checker, Scope};
use crate::diag::Code;
use crate::program::commission::{
    deal_slot, ClawbackDef, CommissionDef, RetentionBonus, Schedule, UpgradeBonus, MAX_DAYS,
};
use crate::program::exact::Rounding;
use crate::record::{FieldDef, Schema};
use crate::syntax::ast::{self, BonusKind, ExprKind, Item, ScheduleDecl};
use crate::value::Type;

fn fixed(name: &str, ty: Type, optional: bool) -> FieldDef {
    FieldDef {
        name: name.into(),
        ty,
        optional,
    }
}

/// The columns CLI.md ("Clawback inputs and ledger") fixes for deals and
/// events.
fn deal_fields() -> Vec<FieldDef> {
    vec![
        fixed("deal", Type::Text, false),
        fixed("rep", Type::Text, false),
        fixed("amount", Type::Money, false),
        fixed("currency", Type::Text, false),
        fixed("deal_value", Type::Money, false),
        fixed("closed_on", Type::Date, false),
    ]
}

fn event_fields() -> Vec<FieldDef> {
    vec![
        fixed("event", Type::Text, false),
        fixed("deal", Type::Text, false),
        fixed("type", Type::Text, false),
        fixed("on", Type::Date, false),
        fixed("reason", Type::Text, true),
        fixed("lost_value", Type::Money, true),
        fixed("added_value", Type::Money, true),
        fixed("rep", Type::Text, true),
        fixed("team", Type::Text, true),
    ]
}

/// `deal.x` / `event.x` names mentioned in an expression.
fn mentioned(e: &ast::Expr, out: &mut Vec<(String, ast::Ident)>) {
    match &e.node {
        ExprKind::Field(q, f) => out.push((q.node.clone(), f.clone())),
        ExprKind::Set(v) | ExprKind::Call(_, v) => v.iter().for_each(|x| mentioned(x, out)),
        ExprKind::Unary(_, a) | ExprKind::IsSet(a, _) => mentioned(a, out),
        ExprKind::Binary(_, a, b) => {
            mentioned(a, out);
            mentioned(b, out);
        }
        ExprKind::Between(a, b, c) => {
            mentioned(a, out);
            mentioned(b, out);
            mentioned(c, out);
        }
        _ => {}
    }
}

impl Checker<'_> {
    /// Builds a deal or event schema: fixed columns, then the fields of a
    /// `record deal` / `record event` declaration. Any other column an
    /// expression mentions is an error (LANGUAGE.md §8: a field a rule
    /// reads is a fixed column or declared), reported once per column at
    /// its first mention; later mentions are silent.
    fn commission_schema(
        &mut self,
        which: &str,
        mut fields: Vec<FieldDef>,
        declared: Option<&Schema>,
        used: &[(String, ast::Ident)],
    ) -> Schema {
        if let Some(d) = declared {
            for f in &d.fields {
                match fields.iter().find(|x| x.name == f.name) {
                    Some(x) if x.ty != f.ty => {
                        let span = self.record_span(which);
                        self.sink.error(
                            Code::E0103,
                            span,
                            format!(
                                "`{which}.{}` is {} in every plan; it cannot be declared {}",
                                f.name, x.ty, f.ty
                            ),
                        );
                    }
                    Some(_) => {}
                    None => fields.push(f.clone()),
                }
            }
        }
        let schema = Schema::new(which, fields, Some(which), None);
        for (q, f) in used {
            if q != which || schema.slot(&f.node).is_some() {
                continue;
            }
            if !self
                .reported_fields
                .insert((which.to_string(), f.node.clone()))
            {
                continue;
            }
            let mut d = self
                .sink
                .make(
                    Code::E0101,
                    f.span,
                    format!("unknown column `{which}.{}`", f.node),
                )
                .with_label(format!(
                    "neither a fixed column of {which}s nor declared in `record {which}`"
                ));
            let known = schema.fields.iter().map(|x| x.name.as_str());
            d = self.sink.help_closest(d, &f.node, known, || {
                format!("declare it with its type in `record {which} {{ … }}`")
            });
            self.sink.push(d);
        }
        schema
    }

    fn record_span(&self, name: &str) -> crate::span::Span {
        self.record_spans.get(name).copied().unwrap_or_default()
    }

    pub(super) fn commission(
        &mut self,
        f: &ast::File,
        records: &[Schema],
    ) -> Option<CommissionDef> {
        let mut blocks = f.items.iter().filter_map(|i| {
            if let Item::Commission(c) = i {
                Some(c)
            } else {
                None
            }
        });
        let c = blocks.next()?;
        for extra in blocks {
            self.sink.error(
                Code::E0102,
                extra.name.span,
                "a policy has one `commission` block",
            );
        }
        let mut used = Vec::new();
        for cl in &c.clawbacks {
            if let Some(e) = &cl.except {
                mentioned(e, &mut used);
            }
        }
        for b in &c.bonuses {
            mentioned(&b.base, &mut used);
            if let BonusKind::Upgrade { to, when } = &b.kind {
                mentioned(to, &mut used);
                if let Some(w) = when {
                    mentioned(w, &mut used);
                }
            }
        }
        let declared_deal = records.iter().find(|r| r.name == "deal");
        let declared_event = records.iter().find(|r| r.name == "event");
        let deal = self.commission_schema("deal", deal_fields(), declared_deal, &used);
        let event = self.commission_schema("event", event_fields(), declared_event, &used);

        let anchor_of = |this: &mut Self, id: &ast::Ident| -> Option<u16> {
            match deal
                .slot(&id.node)
                .and_then(|s| deal.field(s).map(|f| (s, f.ty)))
            {
                Some((s, Type::Date)) => Some(s),
                Some((_, ty)) => {
                    this.sink.error(
                        Code::E0401,
                        id.span,
                        format!("the anchor `{}` is {ty}, not a date", id.node),
                    );
                    None
                }
                None => {
                    let mut d = this.sink.make(
                        Code::E0401,
                        id.span,
                        format!("deals have no date column `{}`", id.node),
                    );
                    d = this.sink.help_closest(
                        d,
                        &id.node,
                        deal.fields.iter().map(|x| x.name.as_str()),
                        || "declare it in `record deal { … }`".into(),
                    );
                    this.sink.push(d);
                    None
                }
            }
        };

        let both = [("deal", &deal, false), ("event", &event, true)];
        let scope = Scope {
            record: None,
            qualified: &both,
            locals: None,
            position: usize::MAX,
            in_let: false,
        };
        let mut anchor = deal_slot::CLOSED_ON;
        if let Some(extra) = c.clawbacks.get(1) {
            self.sink.error(
                Code::E0102,
                extra.span,
                "a commission block has one `clawback` clause",
            );
        }
        let clawback = match c.clawbacks.first() {
            None => None,
            Some(cl) => {
                if let Some(a) = anchor_of(self, &cl.anchor) {
                    anchor = a;
                }
                let window = cl.window.node;
                let window_fits = if window <= 0 {
                    self.sink.error(
                        Code::E0401,
                        cl.window.span,
                        "the clawback window must be at least one day",
                    );
                    true
                } else if window > MAX_DAYS {
                    self.sink.push(
                        self.sink
                            .make(
                                Code::E0401,
                                cl.window.span,
                                format!("the clawback window is at most {MAX_DAYS} days"),
                            )
                            .with_help("a window is a number of days up to a hundred years"),
                    );
                    false
                } else {
                    true
                };
                let except = cl.except.as_ref().and_then(|e| self.bool_expr(e, &scope));
                let schedule = match &cl.schedule {
                    ScheduleDecl::Prorated => Schedule::Prorated,
                    ScheduleDecl::Bands(bands) => {
                        // Coverage is not measured against a window past
                        // the maximum (reported once, above).
                        let against = if window_fits { Some(window) } else { None };
                        Schedule::Bands(self.schedule(bands, against, cl.span))
                    }
                };
                Some(ClawbackDef {
                    window,
                    schedule,
                    except,
                })
            }
        };
        let mut upgrades = Vec::new();
        let mut retention = None;
        // Where each bonus name is first declared.
        let mut names: HashMap<&str, crate::span::Span> = HashMap::new();
        for b in &c.bonuses {
            if let Some(first) = names.get(b.name.node.as_str()).copied() {
                self.declared_twice(
                    b.name.span,
                    format!("bonus `{}` is declared twice", b.name.node),
                    Some(first),
                );
            }
            names.entry(&b.name.node).or_insert(b.name.span);
            if b.rate.node < Decimal::ZERO {
                self.sink
                    .error(Code::E0401, b.rate.span, "a bonus rate cannot be negative");
            }
            match &b.kind {
                BonusKind::Upgrade { to, when } => {
                    let base = self.money_or_number(&b.base, &scope);
                    let to_c = self.expr(to, &scope).and_then(|(e, ty)| {
                        if ty == Type::Text {
                            Some(e)
                        } else {
                            self.sink.error(
                                Code::E0103,
                                to.span,
                                format!("a bonus is paid to a rep (a text), not {ty}"),
                            );
                            None
                        }
                    });
                    let when = match when {
                        Some(w) => self.bool_expr(w, &scope).map(Some),
                        None => Some(None),
                    };
                    if let (Some(base), Some(to), Some(when)) = (base, to_c, when) {
                        upgrades.push(UpgradeBonus {
                            name: b.name.node.clone(),
                            rate: b.rate.node,
                            base,
                            to,
                            when,
                        });
                    }
                }
                BonusKind::Retention { days, anchor: a } => {
                    let deal_only = [("deal", &deal, false)];
                    let scope = Scope {
                        record: None,
                        qualified: &deal_only,
                        locals: None,
                        position: usize::MAX,
                        in_let: false,
                    };
                    let is_amount = matches!(&b.base.node, ExprKind::Field(q, f) if q.node == "deal" && f.node == "amount");
                    // One diagnostic for a base that is not `deal.amount`:
                    // its own error when it has one (an unknown column),
                    // else this rule, which says more than its type.
                    if !is_amount && self.expr(&b.base, &scope).is_some() {
                        self.sink.push(
                            self.sink
                                .make(Code::E0401, b.base.span, "a retention bonus is a rate of `deal.amount`")
                                .with_help("write `bonus NAME: 2% of deal.amount if retained 90 days after closed_on`"),
                        );
                    }
                    if days.node <= 0 {
                        self.sink.error(
                            Code::E0401,
                            days.span,
                            "a retention period must be at least one day",
                        );
                    } else if days.node > MAX_DAYS {
                        self.sink.error(
                            Code::E0401,
                            days.span,
                            format!("a retention period is at most {MAX_DAYS} days"),
                        );
                    }
                    if retention.is_some() {
                        self.sink.error(
                            Code::E0102,
                            b.name.span,
                            "a commission block has one retention bonus",
                        );
                    }
                    if let Some(slot) = anchor_of(self, a) {
                        retention = Some(RetentionBonus::new(
                            b.name.node.clone(),
                            b.rate.node,
                            days.node,
                            slot,
                        ));
                    }
                }
            }
        }
        if let Some(extra) = c.rounding.get(1) {
            self.sink.error(
                Code::E0102,
                extra.span,
                "a commission block has one `rounding`",
            );
        }
        let rounding = match c.rounding.first() {
            None => Rounding::HalfEven,
            Some(r) => match r.node.as_str() {
                "half_even" => Rounding::HalfEven,
                "half_up" => Rounding::HalfUp,
                "down" => Rounding::Down,
                other => {
                    let mut d =
                        self.sink
                            .make(Code::E0401, r.span, format!("unknown rounding `{other}`"));
                    d = self
                        .sink
                        .help_closest(d, other, ["half_even", "half_up", "down"], || {
                            "use `half_even`, `half_up` or `down`".into()
                        });
                    self.sink.push(d);
                    Rounding::HalfEven
                }
            },
        };
        Some(CommissionDef {
            name: c.name.node.clone(),
            deal: Arc::new(deal),
            event: Arc::new(event),
            anchor,
            clawback,
            upgrades,
            retention,
            rounding,
        })
    }

    fn money_or_number(
        &mut self,
        e: &ast::Expr,
        scope: &Scope<'_>,
    ) -> Option<crate::program::expr::Expr> {
        let (c, ty) = self.expr(e, scope)?;
        if matches!(ty, Type::Money | Type::Int | Type::Decimal) {
            Some(c)
        } else {
            self.sink.error(
                Code::E0103,
                e.span,
                format!("a bonus base is money or a number, not {ty}"),
            );
            None
        }
    }

    /// Bands must cover exactly 0 … window, without gaps or overlaps.
    /// `window` is `None` when it is itself wrong (reported already): the
    /// bands are then checked on their own. Every bound is at most
    /// [`MAX_DAYS`], so the arithmetic below stays far from overflow; it is
    /// checked all the same.
    fn schedule(
        &mut self,
        bands: &[ast::BandRate],
        window: Option<i64>,
        span: crate::span::Span,
    ) -> Vec<(i64, i64, Decimal)> {
        let mut out: Vec<(i64, i64, Decimal)> = Vec::new();
        // The bands whose bounds can be checked for coverage, by index.
        let mut valid: Vec<(usize, (i64, i64))> = Vec::new();
        // A band past the maximum (reported as such).
        let mut past_max = false;
        for (i, b) in bands.iter().enumerate() {
            if b.from.node > b.to.node {
                self.sink.error(
                    Code::E0401,
                    b.span,
                    format!(
                        "band `days {} to {}` runs backwards",
                        b.from.node, b.to.node
                    ),
                );
                continue;
            }
            if b.to.node > MAX_DAYS {
                self.sink.error(
                    Code::E0401,
                    b.span,
                    format!(
                        "band `days {} to {}` runs past day {MAX_DAYS}, the longest window",
                        b.from.node, b.to.node
                    ),
                );
                past_max = true;
                continue;
            }
            if b.rate.node < Decimal::ZERO || b.rate.node > Decimal::ONE {
                self.sink.error(
                    Code::E0401,
                    b.rate.span,
                    "a clawback rate is between 0% and 100%",
                );
            }
            out.push((b.from.node, b.to.node, b.rate.node));
            valid.push((i, (b.from.node, b.to.node)));
        }
        if past_max {
            // Coverage is not measured without the band reported above.
            return out;
        }
        if valid.is_empty() {
            self.sink
                .error(Code::E0401, span, "a schedule needs at least one band");
            return out;
        }
        valid.sort_by_key(|(_, (from, _))| *from);
        // `next`: the first day not covered by the bands seen so far.
        let mut next = Some(0i64);
        for (i, (from, to)) in &valid {
            let Some(n) = next else { break };
            let bspan = bands.get(*i).map_or(span, |b| b.span);
            if *from > n {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0401,
                            bspan,
                            format!(
                                "days {n} to {} are not covered by any band",
                                from.saturating_sub(1)
                            ),
                        )
                        .with_help("bands must cover every day from 0 to the window"),
                );
            } else if *from < n {
                self.sink.error(
                    Code::E0401,
                    bspan,
                    format!("this band overlaps another one on day {from}"),
                );
            }
            next = to.checked_add(1).map(|after| after.max(n));
        }
        let (Some(window), Some(next)) = (window, next) else {
            return out;
        };
        if next <= window {
            self.sink.push(
                self.sink
                    .make(
                        Code::E0401,
                        span,
                        format!(
                            "days {next} to {window} of the {window}-day window are not covered"
                        ),
                    )
                    .with_help("the last band must end on the window's last day"),
            );
        } else if next > window.saturating_add(1) {
            self.sink.error(
                Code::E0401,
                span,
                format!(
                    "the bands run to day {}, past the {window}-day window",
                    next.saturating_sub(1)
                ),
            );
        }
        out
    }
}
