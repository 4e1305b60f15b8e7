//! What an editor needs to know of a policy file's names: every
//! declaration (records, fields, `let`s, scores, stages, measures, bands,
//! calendars, handoffs, goals, commission plans, tests) with its span and a
//! one-line description, and every place a name is used. Built from the
//! parse alone, so it works on a file that does not check.

use serde::Serialize;

use crate::span::Span;
use crate::syntax::ast::{self, Expr, ExprKind, HandoffStmt, Item};

/// What a declared name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    /// `record`.
    Record,
    /// A record's field.
    Field,
    /// `let`.
    Let,
    /// `score`.
    Score,
    /// A `qualify` stage.
    Stage,
    /// A `health` measure.
    Measure,
    /// A `health` band.
    Band,
    /// `calendar`.
    Calendar,
    /// `handoff`.
    Handoff,
    /// A handoff's `sla` goal.
    Goal,
    /// `commission`.
    Commission,
    /// `test`.
    Test,
}

/// A declared name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Symbol {
    /// What it is.
    pub kind: SymbolKind,
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub span: Span,
    /// Where the whole declaration is.
    pub extent: Span,
    /// The record of a field, the handoff of a goal.
    pub container: Option<String>,
    /// One line: a field's type, a `let`'s or stage's source text.
    pub detail: String,
}

/// A use of a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// The name used.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// The names of one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outline {
    /// Declarations, in file order.
    pub symbols: Vec<Symbol>,
    /// Uses, in file order.
    pub references: Vec<Reference>,
}

impl Outline {
    /// The declaration or use whose name covers byte `offset`, and its name.
    pub fn name_at(&self, offset: usize) -> Option<&str> {
        let inside = |s: &Span| s.start <= offset && offset <= s.end;
        self.symbols
            .iter()
            .find(|s| inside(&s.span))
            .map(|s| s.name.as_str())
            .or_else(|| {
                self.references
                    .iter()
                    .find(|r| inside(&r.span))
                    .map(|r| r.name.as_str())
            })
    }

    /// The declarations named `name`.
    pub fn declarations<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Symbol> + 'a {
        self.symbols.iter().filter(move |s| s.name == name)
    }

    /// Every place `name` is declared or used, in file order.
    pub fn occurrences(&self, name: &str) -> Vec<Span> {
        let mut v: Vec<Span> = self
            .symbols
            .iter()
            .filter(|s| s.name == name)
            .map(|s| s.span)
            .chain(
                self.references
                    .iter()
                    .filter(|r| r.name == name)
                    .map(|r| r.span),
            )
            .collect();
        v.sort_by_key(|s| s.start);
        v.dedup();
        v
    }
}

/// The outline of a policy's text; `None` when it does not parse.
pub fn outline(source: &str) -> Option<Outline> {
    let file = crate::syntax::parse("<outline>", source).ok()?;
    let text = |s: Span| {
        source
            .get(s.start..s.end)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let mut o = Outline::default();
    let sym = |o: &mut Outline,
               kind,
               name: &ast::Ident,
               extent: Span,
               container: Option<&str>,
               detail: String| {
        o.symbols.push(Symbol {
            kind,
            name: name.node.clone(),
            span: name.span,
            extent,
            container: container.map(String::from),
            detail,
        });
    };
    for item in &file.items {
        match item {
            Item::Let(l) => {
                let extent = Span {
                    start: l.name.span.start,
                    end: l.value.span.end,
                };
                sym(
                    &mut o,
                    SymbolKind::Let,
                    &l.name,
                    extent,
                    None,
                    format!("let {} = {}", l.name.node, text(l.value.span)),
                );
                refs(&l.value, &mut o.references);
            }
            Item::Record(r) => {
                let key = r
                    .key
                    .as_ref()
                    .map(|k| format!(" key {}", k.node))
                    .unwrap_or_default();
                sym(
                    &mut o,
                    SymbolKind::Record,
                    &r.name,
                    r.name.span,
                    None,
                    format!("record {}{key} ({} fields)", r.name.node, r.fields.len()),
                );
                if let Some(k) = &r.key {
                    o.references.push(Reference {
                        name: k.node.clone(),
                        span: k.span,
                    });
                }
                for f in &r.fields {
                    let ty = format!(
                        "{}{}{}",
                        if f.set { "set of " } else { "" },
                        f.ty.node,
                        if f.optional { "?" } else { "" }
                    );
                    sym(
                        &mut o,
                        SymbolKind::Field,
                        &f.name,
                        f.span,
                        Some(&r.name.node),
                        format!("{}: {ty} (record {})", f.name.node, r.name.node),
                    );
                }
            }
            Item::Score(s) => {
                let rules: Vec<String> = s.rules.iter().map(|r| text(r.span)).collect();
                sym(
                    &mut o,
                    SymbolKind::Score,
                    &s.name,
                    s.name.span,
                    Some(&s.record.node),
                    format!(
                        "score {} for {}: {}",
                        s.name.node,
                        s.record.node,
                        rules.join("; ")
                    ),
                );
                o.references.push(Reference {
                    name: s.record.node.clone(),
                    span: s.record.span,
                });
                for r in &s.rules {
                    refs(&r.cond, &mut o.references);
                }
            }
            Item::Qualify(q) => {
                o.references.push(Reference {
                    name: q.record.node.clone(),
                    span: q.record.span,
                });
                for st in &q.stages {
                    sym(
                        &mut o,
                        SymbolKind::Stage,
                        &st.name,
                        Span {
                            start: st.name.span.start,
                            end: st.cond.span.end,
                        },
                        Some(&q.record.node),
                        format!("stage {} when {}", st.name.node, text(st.cond.span)),
                    );
                    refs(&st.cond, &mut o.references);
                }
            }
            Item::Health(h) => {
                o.references.push(Reference {
                    name: h.record.node.clone(),
                    span: h.record.span,
                });
                for m in &h.measures {
                    sym(
                        &mut o,
                        SymbolKind::Measure,
                        &m.name,
                        m.span,
                        Some(&h.record.node),
                        text(m.span)
                            .lines()
                            .next()
                            .unwrap_or_default()
                            .trim_end_matches('{')
                            .trim()
                            .to_string(),
                    );
                    for arm in &m.arms {
                        if let ast::Arm::When { cond, .. } = arm {
                            refs(cond, &mut o.references);
                        }
                    }
                }
                for b in &h.bands {
                    sym(
                        &mut o,
                        SymbolKind::Band,
                        &b.name,
                        b.span,
                        Some(&h.record.node),
                        text(b.span),
                    );
                    if let Some(c) = &b.cond {
                        refs(c, &mut o.references);
                    }
                }
            }
            Item::Calendar(c) => {
                // Its lines as written: the zone, the hours, the closed days.
                let end = c
                    .hours
                    .iter()
                    .flat_map(|h| h.intervals.iter().map(|i| i.span.end))
                    .chain(c.closed.iter().map(|d| d.span.end))
                    .chain(c.timezone.iter().map(|z| z.span.end))
                    .max()
                    .unwrap_or(c.name.span.end);
                let extent = Span {
                    start: c.name.span.start,
                    end,
                };
                let body: Vec<String> = text(extent)
                    .lines()
                    .skip(1)
                    .map(|l| format!("  {}", l.trim()))
                    .collect();
                let zone = if c.timezone.is_empty() {
                    "  timezone \"UTC\" (by default)\n".to_string()
                } else {
                    String::new()
                };
                sym(
                    &mut o,
                    SymbolKind::Calendar,
                    &c.name,
                    extent,
                    None,
                    format!("calendar {} {{\n{zone}{}\n}}", c.name.node, body.join("\n")),
                );
            }
            Item::Handoff(h) => {
                sym(
                    &mut o,
                    SymbolKind::Handoff,
                    &h.name,
                    h.name.span,
                    None,
                    format!("handoff {} note {}", h.name.node, h.note.node),
                );
                o.references.push(Reference {
                    name: h.note.node.clone(),
                    span: h.note.span,
                });
                for st in &h.stmts {
                    handoff_stmt(st, &h.name.node, &text, &mut o);
                }
            }
            Item::Commission(c) => {
                sym(
                    &mut o,
                    SymbolKind::Commission,
                    &c.name,
                    c.name.span,
                    None,
                    format!("commission {}", c.name.node),
                );
                for b in &c.bonuses {
                    refs(&b.base, &mut o.references);
                }
                for cb in &c.clawbacks {
                    if let Some(e) = &cb.except {
                        refs(e, &mut o.references);
                    }
                }
            }
            Item::Test(t) => {
                o.symbols.push(Symbol {
                    kind: SymbolKind::Test,
                    name: t.name.node.clone(),
                    span: t.name.span,
                    extent: t.name.span,
                    container: None,
                    detail: format!("test \"{}\"", t.name.node),
                });
            }
        }
    }
    Some(o)
}

fn handoff_stmt(st: &HandoffStmt, handoff: &str, text: &dyn Fn(Span) -> String, o: &mut Outline) {
    match st {
        HandoffStmt::Sla {
            name,
            within,
            calendar,
            met_by,
        } => {
            let end = met_by
                .last()
                .map_or(within.span.end, |m| m.span.end)
                .max(calendar.as_ref().map_or(0, |c| c.span.end));
            let extent = Span {
                start: name.span.start,
                end,
            };
            o.symbols.push(Symbol {
                kind: SymbolKind::Goal,
                name: name.node.clone(),
                span: name.span,
                extent,
                container: Some(handoff.to_string()),
                detail: format!("sla {}", text(extent)),
            });
            if let Some(c) = calendar {
                o.references.push(Reference {
                    name: c.node.clone(),
                    span: c.span,
                });
            }
        }
        HandoffStmt::Warn { goal, .. }
        | HandoffStmt::EscalateAt { goal, .. }
        | HandoffStmt::EscalateAfter { goal, .. } => {
            o.references.push(Reference {
                name: goal.node.clone(),
                span: goal.span,
            });
        }
        HandoffStmt::Flag { cond, .. } => refs(cond, &mut o.references),
        _ => {}
    }
}

/// The names an expression uses.
fn refs(e: &Expr, out: &mut Vec<Reference>) {
    match &e.node {
        ExprKind::Name(n) => out.push(Reference {
            name: n.clone(),
            span: e.span,
        }),
        ExprKind::Field(_, f) => out.push(Reference {
            name: f.node.clone(),
            span: f.span,
        }),
        ExprKind::Set(items) => items.iter().for_each(|i| refs(i, out)),
        ExprKind::Call(_, args) => args.iter().for_each(|a| refs(a, out)),
        ExprKind::Unary(_, a) | ExprKind::IsSet(a, _) => refs(a, out),
        ExprKind::Binary(_, a, b) => {
            refs(a, out);
            refs(b, out);
        }
        ExprKind::Between(a, b, c) => {
            refs(a, out);
            refs(b, out);
            refs(c, out);
        }
        ExprKind::Lit(_) | ExprKind::Today => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "policy \"p\" version 1 effective 2026-01-01\n\
        let floor = 50\n\
        record lead key id {\n  id: text\n  seats: int?\n}\n\
        score fit for lead {\n  add 10 when seats >= floor\n}\n\
        qualify lead {\n  stage MQL when fit >= 10\n  stage SQL when MQL and seats > 100\n}\n";

    #[test]
    fn declarations_and_uses_with_their_spans() {
        let o = outline(P).expect("parses");
        let seats: Vec<&Symbol> = o.declarations("seats").collect();
        assert_eq!(seats.len(), 1);
        assert_eq!(seats[0].kind, SymbolKind::Field);
        assert_eq!(seats[0].detail, "seats: int? (record lead)");
        assert_eq!(P.get(seats[0].span.start..seats[0].span.end), Some("seats"));
        // Declared once, used twice.
        assert_eq!(o.occurrences("seats").len(), 3);
        let floor = o.declarations("floor").next().expect("the let");
        assert_eq!(floor.detail, "let floor = 50");
        let mql = o.declarations("MQL").next().expect("a stage");
        assert_eq!(mql.detail, "stage MQL when fit >= 10");
        assert_eq!(o.occurrences("MQL").len(), 2);
        let fit = o.declarations("fit").next().expect("a score");
        assert_eq!(fit.detail, "score fit for lead: add 10 when seats >= floor");
        let cal = outline(
            "policy \"p\" version 1 effective 2026-01-01\ncalendar cx {\n  timezone \"UTC\"\n  mon-fri 09:00-17:00\n  closed 2026-12-25\n}\n",
        )
        .expect("parses");
        let c = cal.declarations("cx").next().expect("the calendar");
        assert_eq!(
            c.detail,
            "calendar cx {\n  timezone \"UTC\"\n  mon-fri 09:00-17:00\n  closed 2026-12-25\n}"
        );
        let at = P.find("seats > 100").expect("a use") + 2;
        assert_eq!(o.name_at(at), Some("seats"));
        assert_eq!(outline("policy"), None);
    }
}
