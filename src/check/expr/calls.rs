//! Function calls: the built-in functions, their arity and the types of
//! their arguments and results.

use super::{article, Scope, Typed};
use crate::check::Checker;
use crate::diag::Code;
use crate::program::expr as ir;
use crate::program::expr::Func;
use crate::span::Span;
use crate::syntax::ast;
use crate::value::Type;

impl Checker<'_> {
    pub(super) fn call(
        &mut self,
        f: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        scope: &Scope<'_>,
    ) -> Option<Typed> {
        let (func, arity) = match f.node.as_str() {
            "in_days" => (Func::InDays, 1),
            "in_hours" => (Func::InHours, 1),
            "currency" => (Func::Currency, 1),
            "amount" => (Func::Amount, 1),
            "len" => (Func::Len, 1),
            "lower" => (Func::Lower, 1),
            "min" => (Func::Min, 2),
            "max" => (Func::Max, 2),
            "round" => (Func::Round, 2),
            other => {
                let names = [
                    "in_days", "in_hours", "currency", "amount", "len", "lower", "min", "max",
                    "round",
                ];
                let mut d =
                    self.sink
                        .make(Code::E0107, f.span, format!("unknown function `{other}`"));
                d = self.sink.help_closest(d, other, names, || {
                    format!("functions are {}", names.join(", "))
                });
                self.sink.push(d);
                return None;
            }
        };
        if args.len() != arity {
            self.sink.error(
                Code::E0107,
                span,
                format!(
                    "`{}` takes {arity} argument{}, not {}",
                    f.node,
                    if arity == 1 { "" } else { "s" },
                    args.len()
                ),
            );
            return None;
        }
        let mut typed = Vec::new();
        for a in args {
            typed.push(self.expr(a, scope));
        }
        let typed: Vec<Typed> = typed.into_iter().collect::<Option<_>>()?;
        let tys: Vec<Type> = typed.iter().map(|(_, t)| *t).collect();
        let want = |expected: &str, found: Type| {
            format!("`{}` expects {expected}, found {}", f.node, article(found))
        };
        let result = match (func, tys.as_slice()) {
            (Func::InDays | Func::InHours, [Type::Duration]) => Type::Decimal,
            (Func::Currency, [Type::Money]) => Type::Text,
            (Func::Amount, [Type::Money]) => Type::Decimal,
            (Func::Len, [Type::SetText | Type::SetInt]) => Type::Int,
            (Func::Lower, [Type::Text]) => Type::Text,
            (Func::Round, [Type::Int | Type::Decimal, Type::Int]) => Type::Decimal,
            (Func::Min | Func::Max, [a, b]) if a.is_number() && b.is_number() => {
                if *a == Type::Int && *b == Type::Int {
                    Type::Int
                } else {
                    Type::Decimal
                }
            }
            (Func::Min | Func::Max, [a, b]) if a == b && a.is_ordered() => *a,
            (Func::Min | Func::Max, [a, b]) => {
                self.type_error(
                    span,
                    format!(
                        "`{}` needs two values of one ordered type, found {a} and {b}",
                        f.node
                    ),
                );
                return None;
            }
            (Func::InDays | Func::InHours, [t]) => return self.fail(span, want("a duration", *t)),
            (Func::Currency | Func::Amount, [t]) => return self.fail(span, want("money", *t)),
            (Func::Len, [t]) => return self.fail(span, want("a set", *t)),
            (Func::Lower, [t]) => return self.fail(span, want("a text", *t)),
            (Func::Round, [a, b]) => {
                return self.fail(
                    span,
                    format!("`round` expects a decimal and an int, found {a} and {b}"),
                )
            }
            _ => return None,
        };
        let args = typed.into_iter().map(|(e, _)| e).collect();
        self.fold(ir::Expr::Call(func, args), result, span)
    }
}
