//! The expectations of handoff tests: goal states, alerts, flags, missing
//! note fields, `expect error`, and conditions over goal values
//! (`GOAL.value`).

use crate::check::{Checker, Scope};
use crate::diag::Code;
use crate::program::handoff::{GoalState, HandoffDef};
use crate::program::tests::{Expect, GOAL_VALUES};
use crate::record::{FieldDef, Schema};
use crate::span::Spanned;
use crate::syntax::ast::{self, Expectation, ExprKind};
use crate::value::Type;

impl Checker<'_> {
    pub(super) fn handoff_expect(
        &mut self,
        e: &Spanned<Expectation>,
        def: &HandoffDef,
        schema: &Schema,
        goals: &[String],
    ) -> Option<Expect> {
        Some(match &e.node {
            Expectation::Goal(g, s) => {
                let goal = self.goal_name(g, def)?;
                let states = GoalState::ALL.map(GoalState::as_str);
                if !states.contains(&s.node.as_str()) {
                    let mut d = self.sink.make(
                        Code::E0101,
                        s.span,
                        format!("unknown goal state `{}`", s.node),
                    );
                    d = self.sink.help_closest(d, &s.node, states, || {
                        format!("a goal is {}", states.join(", "))
                    });
                    self.sink.push(d);
                    return None;
                }
                Expect::Goal {
                    goal,
                    state: s.node.clone(),
                }
            }
            Expectation::Alert(kind, goal, to) => {
                if kind.node != "warn" && kind.node != "escalate" {
                    let mut d = self.sink.make(
                        Code::E0101,
                        kind.span,
                        format!("unknown alert kind `{}`", kind.node),
                    );
                    d = self
                        .sink
                        .help_closest(d, &kind.node, ["warn", "escalate"], || {
                            "an alert is `warn` or `escalate`".to_string()
                        });
                    self.sink.push(d);
                    return None;
                }
                let g = match goal {
                    Some(g) => Some(self.goal_name(g, def)?),
                    None => None,
                };
                let index = g
                    .as_ref()
                    .and_then(|g| def.goals.iter().position(|x| x.name == *g));
                let declared = def
                    .alerts
                    .iter()
                    .any(|a| a.kind == kind.node && a.goal == index && a.to == to.node);
                if !declared {
                    let same: Vec<String> = def
                        .alerts
                        .iter()
                        .filter(|a| a.kind == kind.node && a.goal == index)
                        .map(|a| format!("{:?}", a.to))
                        .collect();
                    let what = match &g {
                        Some(g) => format!("`{} {g}`", kind.node),
                        None => format!("note `{}`", kind.node),
                    };
                    let mut d = self.sink.make(
                        Code::E0101,
                        to.span,
                        format!(
                            "handoff `{}` declares no {what} alert to {:?}",
                            def.name, to.node
                        ),
                    );
                    d = d.with_help(if same.is_empty() {
                        match &g {
                            Some(_) => "declare it in the handoff block, or check the goal".to_string(),
                            None => "without a goal, `expect alert escalate to \"…\"` is the `escalate when note incomplete` alert".to_string(),
                        }
                    } else {
                        format!("its {what} alerts go to {}", same.join(", "))
                    });
                    self.sink.push(d);
                    return None;
                }
                Expect::Alert {
                    kind: kind.node.clone(),
                    goal: g,
                    to: to.node.clone(),
                }
            }
            Expectation::Flag(no, name) => {
                if !def.flags.iter().any(|(n, _)| *n == name.node) {
                    let mut d = self.sink.make(
                        Code::E0101,
                        name.span,
                        format!("handoff `{}` has no flag `{}`", def.name, name.node),
                    );
                    d = self.sink.help_closest(
                        d,
                        &name.node,
                        def.flags.iter().map(|(n, _)| n.as_str()),
                        || {
                            let all: Vec<&str> =
                                def.flags.iter().map(|(n, _)| n.as_str()).collect();
                            if all.is_empty() {
                                "the block declares no `flag`".to_string()
                            } else {
                                format!("its flags are {}", all.join(", "))
                            }
                        },
                    );
                    self.sink.push(d);
                    return None;
                }
                Expect::Flag {
                    name: name.node.clone(),
                    raised: !*no,
                }
            }
            Expectation::Missing(names) => {
                let required: Vec<&str> = def
                    .requires
                    .iter()
                    .filter_map(|s| schema.field(*s).map(|f| f.name.as_str()))
                    .collect();
                if let [only] = names.as_slice() {
                    if only.node == "none" {
                        return Some(Expect::Missing(Vec::new()));
                    }
                }
                let mut out = Vec::new();
                let mut ok = true;
                for n in names {
                    if n.node == "none" {
                        self.sink.error(
                            Code::E0601,
                            n.span,
                            "`none` stands alone: `expect missing none` expects a complete note",
                        );
                        ok = false;
                    } else if !required.contains(&n.node.as_str()) {
                        let mut d = self.sink.make(
                            Code::E0101,
                            n.span,
                            format!(
                                "`{}` is not a required note field of handoff `{}`",
                                n.node, def.name
                            ),
                        );
                        d = self
                            .sink
                            .help_closest(d, &n.node, required.iter().copied(), || {
                                format!(
                                    "only `requires` fields can be missing: {}",
                                    required.join(", ")
                                )
                            });
                        self.sink.push(d);
                        ok = false;
                    } else if out.contains(&n.node) {
                        self.sink.error(
                            Code::E0102,
                            n.span,
                            format!("`{}` is listed twice", n.node),
                        );
                        ok = false;
                    } else {
                        out.push(n.node.clone());
                    }
                }
                if !ok {
                    return None;
                }
                Expect::Missing(out)
            }
            Expectation::Error(text) => Expect::Error(text.as_ref().map(|t| t.node.clone())),
            Expectation::Holds(c) => {
                if !self.goal_names_ok(c, def) {
                    return None;
                }
                let flat = goal_schema(goals);
                let padded: Vec<Schema> = (0..goals.len()).map(padded_goal_schema).collect();
                let qualified: Vec<(&str, &Schema, bool)> = goals
                    .iter()
                    .zip(&padded)
                    .map(|(g, s)| (g.as_str(), s, false))
                    .collect();
                let scope = Scope {
                    record: Some(&flat),
                    qualified: &qualified,
                    locals: None,
                    position: usize::MAX,
                    in_let: false,
                };
                let compiled = self.bool_expr(c, &scope)?;
                Expect::Holds(compiled, self.text_of(c.span))
            }
            other => {
                self.misplaced(e.span, other, "a handoff test expects goal, alert, flag, missing, error or a condition over goal values");
                return None;
            }
        })
    }

    fn goal_name(&mut self, g: &ast::Ident, def: &HandoffDef) -> Option<String> {
        if def.goals.iter().any(|x| x.name == g.node) {
            return Some(g.node.clone());
        }
        let mut d = self.sink.make(
            Code::E0101,
            g.span,
            format!("handoff `{}` has no goal `{}`", def.name, g.node),
        );
        d = self.sink.help_closest(
            d,
            &g.node,
            def.goals.iter().map(|x| x.name.as_str()),
            || {
                let all: Vec<&str> = def.goals.iter().map(|x| x.name.as_str()).collect();
                format!("its goals are {}", all.join(", "))
            },
        );
        self.sink.push(d);
        None
    }

    /// A condition in a handoff test reads `GOAL.value` and `let`s only.
    fn goal_names_ok(&mut self, c: &ast::Expr, def: &HandoffDef) -> bool {
        let mut nodes = Vec::new();
        all_nodes(c, &mut nodes);
        let values: Vec<&str> = GOAL_VALUES.iter().map(|(n, _)| *n).collect();
        let first = def
            .goals
            .first()
            .map_or("first_response", |g| g.name.as_str());
        let mut ok = true;
        for n in nodes {
            match &n.node {
                ExprKind::Name(name) if !self.lets.contains_key(name) => {
                    let help = if def.goals.iter().any(|g| g.name == *name) {
                        format!("a goal's values are written `{name}.state`, `{name}.due`, `{name}.elapsed`, …")
                    } else if values.contains(&name.as_str()) {
                        format!("write `GOAL.{name}`, e.g. `{first}.{name}`")
                    } else {
                        format!(
                            "a condition in a handoff test reads goal values: `GOAL.{}`",
                            values.join("`, `GOAL.")
                        )
                    };
                    self.sink.push(
                        self.sink
                            .make(Code::E0101, n.span, format!("unknown name `{name}`"))
                            .with_help(help),
                    );
                    ok = false;
                }
                ExprKind::Field(q, f) => {
                    if self.goal_name(q, def).is_none() {
                        ok = false;
                    } else if !values.contains(&f.node.as_str()) {
                        let mut d = self.sink.make(
                            Code::E0101,
                            f.span,
                            format!("a goal has no value `{}`", f.node),
                        );
                        d = self
                            .sink
                            .help_closest(d, &f.node, values.iter().copied(), || {
                                format!("a goal's values are {}", values.join(", "))
                            });
                        self.sink.push(d);
                        ok = false;
                    }
                }
                _ => {}
            }
        }
        ok
    }
}

/// Every node of an expression.
fn all_nodes<'e>(e: &'e ast::Expr, out: &mut Vec<&'e ast::Expr>) {
    out.push(e);
    match &e.node {
        ExprKind::Set(v) | ExprKind::Call(_, v) => v.iter().for_each(|x| all_nodes(x, out)),
        ExprKind::Unary(_, a) | ExprKind::IsSet(a, _) => all_nodes(a, out),
        ExprKind::Binary(_, a, b) => {
            all_nodes(a, out);
            all_nodes(b, out);
        }
        ExprKind::Between(a, b, c) => {
            all_nodes(a, out);
            all_nodes(b, out);
            all_nodes(c, out);
        }
        ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Field(..) | ExprKind::Today => {}
    }
}

fn goal_field(name: String, ty: Type) -> FieldDef {
    FieldDef {
        name,
        ty,
        optional: true,
    }
}

/// Every goal value under its full name (`first_response.due`), in the
/// slots the runner fills: what messages name a slot by.
fn goal_schema(goals: &[String]) -> Schema {
    let fields = goals
        .iter()
        .flat_map(|g| {
            GOAL_VALUES
                .iter()
                .map(move |(v, ty)| goal_field(format!("{g}.{v}"), *ty))
        })
        .collect();
    Schema::new("goals", fields, None, None)
}

/// The values of goal `i` as a record whose slots are those of
/// [`goal_schema`]: the slots of earlier goals are taken by fillers no name
/// can reach.
fn padded_goal_schema(i: usize) -> Schema {
    let mut fields: Vec<FieldDef> = (0..i * GOAL_VALUES.len())
        .map(|n| goal_field(format!("\u{0}slot of another goal {n:05}"), Type::Text))
        .collect();
    fields.extend(
        GOAL_VALUES
            .iter()
            .map(|(v, ty)| goal_field((*v).to_string(), *ty)),
    );
    Schema::new("goal", fields, None, None)
}
