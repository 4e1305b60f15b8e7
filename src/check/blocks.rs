//! The `score`, `qualify` and `health` blocks (LANGUAGE.md §5, §6): their
//! names as locals of the record they read, their conditions compiled in
//! the scope each one sees, and the texts and fields `--explain` shows.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{Checker, Locals, Scope};
use crate::diag::Code;
use crate::program::blocks::*;
use crate::program::expr as ir;
use crate::record::Schema;
use crate::span::Span;
use crate::syntax::ast::{self, Item};
use crate::value::Type;

impl Checker<'_> {
    fn new_local(
        &mut self,
        layout: &mut Locals,
        name: &ast::Ident,
        ty: Type,
        defined_at: usize,
        what: &'static str,
        record: &Schema,
    ) -> u16 {
        if let Some(prev) = layout.find(&name.node) {
            let mut d = self
                .sink
                .make(
                    Code::E0102,
                    name.span,
                    format!("`{}` is already defined as a {}", name.node, prev.what),
                )
                .with_label("defined again here");
            if prev.span != Span::default() {
                d = d.with_related(prev.span, "first defined here");
            }
            self.sink
                .push(d.with_help(format!("give this {what} another name")));
        } else if record.slot(&name.node).is_some() {
            let mut d = self
                .sink
                .make(
                    Code::E0102,
                    name.span,
                    format!(
                        "{what} `{}` has the name of a field of `{}`",
                        name.node, record.name
                    ),
                )
                .with_help(format!(
                    "give this {what} another name: a bare name must mean one thing"
                ));
            if let Some(at) = self.field_span(&record.name, &name.node) {
                d = d.with_related(at, format!("the field of `{}`", record.name));
            }
            self.sink.push(d);
        } else if let Some(l) = self.lets.get(&name.node) {
            let at = l.name.span;
            self.sink.push(
                self.sink
                    .make(
                        Code::E0102,
                        name.span,
                        format!("{what} `{}` has the name of a `let`", name.node),
                    )
                    .with_related(at, "the `let`")
                    .with_help(format!(
                        "give this {what} another name: a bare name must mean one thing"
                    )),
            );
        }
        let slot = u16::try_from(layout.len()).unwrap_or(u16::MAX);
        layout.push(LocalDef {
            name: name.node.clone(),
            ty,
            slot,
            defined_at,
            what,
            span: name.span,
        });
        slot
    }

    pub(super) fn scores(
        &mut self,
        f: &ast::File,
        records: &[Schema],
        scores: &mut Vec<ScoreDef>,
        layouts: &mut HashMap<usize, Locals>,
    ) {
        // Register every score first, so that a use before the definition
        // is reported as such rather than as an unknown name.
        let mut decls = Vec::new();
        for item in &f.items {
            let Item::Score(s) = item else { continue };
            let Some(r) = self.record_index(records, &s.record) else {
                // Reported at the record; uses of the score are silent.
                self.reported_names.insert(s.name.node.clone());
                continue;
            };
            let Some(schema) = records.get(r) else {
                continue;
            };
            let end = s
                .rules
                .iter()
                .map(|x| x.span.end)
                .chain(s.clamps.iter().map(|c| c.span.end))
                .max()
                .unwrap_or(s.name.span.end);
            let local = self.new_local(
                layouts.entry(r).or_default(),
                &s.name,
                Type::Decimal,
                end,
                "score",
                schema,
            );
            decls.push((s, r, local));
        }
        for (s, r, local) in decls {
            let Some(schema) = records.get(r) else {
                continue;
            };
            // Every score is registered: one view for all of them.
            let visible = layouts.get(&r);
            let mut rules = Vec::new();
            for rule in &s.rules {
                let scope = Scope {
                    record: Some(schema),
                    qualified: &[],
                    locals: visible,
                    position: rule.span.start,
                    in_let: false,
                };
                if let Some(cond) = self.bool_expr(&rule.cond, &scope) {
                    let points = if rule.sign == ast::Sign::Add {
                        rule.points.node
                    } else {
                        -rule.points.node
                    };
                    rules.push(self.explained(cond, &rule.cond, points, &scope));
                }
            }
            if let Some(extra) = s.clamps.get(1) {
                self.sink
                    .error(Code::E0102, extra.span, "a score has one `clamp`");
            }
            let clamp = s.clamps.first().map(|c| (c.low.node, c.high.node));
            if let (Some((lo, hi)), Some(c)) = (clamp, s.clamps.first()) {
                if lo > hi {
                    self.sink.error(
                        Code::E0103,
                        c.span,
                        format!("`clamp {lo} to {hi}`: the low bound is above the high bound"),
                    );
                }
            }
            scores.push(ScoreDef {
                name: s.name.node.clone(),
                record: r,
                local,
                rules,
                clamp,
            });
        }
    }

    /// A condition with what `--explain` needs: its text, fields and
    /// shape.
    fn explained(
        &self,
        cond: ir::Expr,
        src: &ast::Expr,
        points: Decimal,
        scope: &Scope<'_>,
    ) -> CondDef {
        let mut fields = Vec::new();
        super::expr::field_slots(&cond, &mut fields);
        let mut locals = Vec::new();
        super::expr::local_slots(&cond, &mut locals);
        let text = self
            .sink
            .source
            .get(src.span.start..src.span.end)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let shape = Box::new(self.shape(&cond, src, scope));
        CondDef {
            value: points,
            cond,
            text,
            fields,
            locals,
            shape,
        }
    }

    pub(super) fn qualify(
        &mut self,
        f: &ast::File,
        records: &[Schema],
        scores: &[ScoreDef],
        layouts: &mut HashMap<usize, Locals>,
    ) -> Option<QualifyDef> {
        let mut blocks = f.items.iter().filter_map(|i| {
            if let Item::Qualify(q) = i {
                Some(q)
            } else {
                None
            }
        });
        let q = blocks.next()?;
        for extra in blocks {
            self.sink
                .error(Code::E0102, extra.span, "a policy has one `qualify` block");
        }
        let Some(r) = self.record_index(records, &q.record) else {
            self.reported_blocks.insert("qualify");
            return None;
        };
        self.require_key(records, r, &q.record);
        let schema = records.get(r)?;
        let locals: Vec<u16> = q
            .stages
            .iter()
            .map(|st| {
                self.new_local(
                    layouts.entry(r).or_default(),
                    &st.name,
                    Type::Bool,
                    st.cond.span.end,
                    "stage",
                    schema,
                )
            })
            .collect();
        // Stages see scores and stages, not health measures.
        let visible = layouts
            .entry(r)
            .or_default()
            .filtered(|l| matches!(l.what, "score" | "stage"));
        let mut stages = Vec::new();
        for (st, local) in q.stages.iter().zip(locals) {
            let scope = Scope {
                record: Some(schema),
                qualified: &[],
                locals: Some(&visible),
                position: st.name.span.start,
                in_let: false,
            };
            // A stage whose condition has an error is still declared (a
            // test may expect it); the policy compiles to nothing then.
            let cond = self
                .bool_expr(&st.cond, &scope)
                .unwrap_or(ir::Expr::Const(crate::value::Value::Bool(false)));
            stages.push(StageDef {
                name: st.name.node.clone(),
                local,
                cond: self.explained(cond, &st.cond, Decimal::ZERO, &scope),
            });
        }
        Some(QualifyDef {
            record: r,
            scores: scores
                .iter()
                .enumerate()
                .filter(|(_, s)| s.record == r)
                .map(|(i, _)| i)
                .collect(),
            stages,
            n_locals: layouts.get(&r).map_or(0, Locals::len) + 1,
        })
    }

    pub(super) fn health(
        &mut self,
        f: &ast::File,
        records: &[Schema],
        scores: &[ScoreDef],
        layouts: &mut HashMap<usize, Locals>,
    ) -> Option<HealthDef> {
        let mut blocks = f.items.iter().filter_map(|i| {
            if let Item::Health(h) = i {
                Some(h)
            } else {
                None
            }
        });
        let h = blocks.next()?;
        for extra in blocks {
            self.sink
                .error(Code::E0102, extra.span, "a policy has one `health` block");
        }
        let Some(r) = self.record_index(records, &h.record) else {
            self.reported_blocks.insert("health");
            return None;
        };
        self.require_key(records, r, &h.record);
        let schema = records.get(r)?;
        let measure_locals: Vec<u16> = h
            .measures
            .iter()
            .map(|m| {
                self.new_local(
                    layouts.entry(r).or_default(),
                    &m.name,
                    Type::Decimal,
                    m.span.end,
                    "measure",
                    schema,
                )
            })
            .collect();
        // Arms see scores and earlier measures, not stages.
        let score_visible = layouts
            .entry(r)
            .or_default()
            .filtered(|l| matches!(l.what, "score" | "measure"));
        let mut measures = Vec::new();
        for (m, local) in h.measures.iter().zip(measure_locals) {
            if m.weight.node <= Decimal::ZERO {
                self.sink.error(
                    Code::E0201,
                    m.weight.span,
                    format!("measure `{}` needs a positive weight", m.name.node),
                );
            }
            let mut arms = Vec::new();
            let mut else_value = None;
            for (i, arm) in m.arms.iter().enumerate() {
                match arm {
                    ast::Arm::When { value, cond } => {
                        if else_value.is_some() {
                            self.sink.error(
                                Code::E0201,
                                cond.span,
                                "an arm after `else` is never used",
                            );
                        }
                        let scope = Scope {
                            record: Some(schema),
                            qualified: &[],
                            locals: Some(&score_visible),
                            position: value.span.start,
                            in_let: false,
                        };
                        if let Some(c) = self.bool_expr(cond, &scope) {
                            arms.push(self.explained(c, cond, value.node, &scope));
                        }
                    }
                    ast::Arm::Else { value, span } => {
                        if else_value.is_some() {
                            self.sink
                                .error(Code::E0201, *span, "a measure has one `else`");
                        } else if i + 1 != m.arms.len() {
                            self.sink
                                .error(Code::E0201, *span, "`else` must be the last arm");
                        }
                        else_value = Some(value.node);
                    }
                }
            }
            if else_value.is_none() {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0201,
                            m.name.span,
                            format!("measure `{}` has no `else` arm", m.name.node),
                        )
                        .with_help(
                            "end every measure with `else VALUE`, the value when no arm is true",
                        ),
                );
            }
            measures.push(MeasureDef {
                name: m.name.node.clone(),
                weight: m.weight.node,
                arms,
                else_value: else_value.unwrap_or_default(),
                local,
            });
        }
        if h.measures.is_empty() {
            self.sink.error(
                Code::E0201,
                h.span,
                "a health block needs at least one `measure`",
            );
        }
        let score_name = ast::Ident::new("score".to_string(), h.span);
        let layout = layouts.entry(r).or_default();
        let score_local = if let Some(prev) = layout.find("score") {
            let what = prev.what;
            // At the name that hides it, beside the health block.
            let (at, beside) = if prev.span == Span::default() {
                (h.span, None)
            } else {
                (prev.span, Some(h.record.span))
            };
            let mut d = self
                .sink
                .make(
                    Code::E0102,
                    at,
                    format!("a {what} named `score` hides the health score"),
                )
                .with_help(format!(
                    "rename the {what}: `score` in a health block is the weighted score"
                ));
            if let Some(b) = beside {
                d = d.with_related(b, format!("the health block over `{}`", h.record.node));
            }
            self.sink.push(d);
            0
        } else {
            self.new_local(
                layout,
                &score_name,
                Type::Decimal,
                h.span.start,
                "health score",
                schema,
            )
        };
        let visible = layouts
            .entry(r)
            .or_default()
            .filtered(|l| l.what != "stage");
        let mut bands = Vec::new();
        // Where each band name is first declared.
        let mut band_at: HashMap<&str, Span> = HashMap::new();
        for (i, b) in h.bands.iter().enumerate() {
            let last = i + 1 == h.bands.len();
            match &b.cond {
                None if !last => {
                    self.sink
                        .error(Code::E0201, b.span, "only the last band may be `otherwise`")
                }
                Some(_) if last => self.sink.push(
                    self.sink
                        .make(Code::E0201, b.span, "the last band must be `otherwise`")
                        .with_help(format!(
                            "write `band {} otherwise` or add a final `otherwise` band",
                            b.name.node
                        )),
                ),
                _ => {}
            }
            let first = *band_at.entry(&b.name.node).or_insert(b.name.span);
            if first != b.name.span {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0102,
                            b.name.span,
                            format!("band `{}` is declared twice", b.name.node),
                        )
                        .with_label("declared again here")
                        .with_related(first, "first declared here"),
                );
            }
            let scope = Scope {
                record: Some(schema),
                qualified: &[],
                locals: Some(&visible),
                position: usize::MAX,
                in_let: false,
            };
            let cond = b.cond.as_ref().and_then(|c| self.bool_expr(c, &scope));
            let shape = cond
                .as_ref()
                .zip(b.cond.as_ref())
                .map(|(ir, src)| Box::new(self.shape(ir, src, &scope)));
            bands.push(BandDef {
                name: b.name.node.clone(),
                cond,
                shape,
            });
        }
        if h.bands.is_empty() {
            self.sink.push(
                self.sink
                    .make(Code::E0201, h.span, "a health block needs bands")
                    .with_help("e.g. `band healthy when score >= 75` … `band critical otherwise`"),
            );
        }
        Some(HealthDef {
            record: r,
            scores: scores
                .iter()
                .enumerate()
                .filter(|(_, s)| s.record == r)
                .map(|(i, _)| i)
                .collect(),
            measures,
            bands,
            score_local,
            n_locals: layouts.get(&r).map_or(0, Locals::len) + 1,
        })
    }
}
