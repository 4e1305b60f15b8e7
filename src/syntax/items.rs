//! Top-level items: pairs → [`ast::Item`]s.

use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::{Builder, PResult, Rule};
use crate::diag::Code;
use crate::span::{Span, Spanned};

impl Builder<'_> {
    pub(crate) fn file(&mut self, mut pairs: Pairs<'_, Rule>) -> PResult<File> {
        let file = self.next(&mut pairs, Span::default(), "file")?;
        let span = Self::span(&file);
        let mut inner = file.into_inner();
        let header = self.header(self.next(&mut inner, span, "header")?)?;
        let mut items = Vec::new();
        for p in inner {
            if p.as_rule() == Rule::EOI {
                break;
            }
            items.push(self.item(p)?);
        }
        Ok(File { header, items })
    }

    fn header(&mut self, p: Pair<'_, Rule>) -> PResult<Header> {
        let span = Self::span(&p);
        let mut inner = p.into_inner();
        let name = self.next_non_kw(&mut inner, span, "policy name")?;
        let name = self.string(name);
        let version = self.next_non_kw(&mut inner, span, "version")?;
        let vspan = Self::span(&version);
        let version = Spanned::new(self.int(version.as_str(), vspan), vspan);
        let eff = self.next_non_kw(&mut inner, span, "effective date")?;
        let espan = Self::span(&eff);
        let effective = Spanned::new(self.date(eff.as_str(), espan), espan);
        let mut timezone = Vec::new();
        let mut currency = Vec::new();
        for opt in inner {
            let ospan = Self::span(&opt);
            let rule = opt.as_rule();
            let mut oi = opt.into_inner();
            let v = self.next_non_kw(&mut oi, ospan, "option value")?;
            if rule == Rule::timezone_opt {
                timezone.push(self.string(v));
            } else {
                let vs = Self::span(&v);
                currency.push(Spanned::new(self.currency(v.as_str(), vs), vs));
            }
        }
        Ok(Header {
            name,
            version,
            effective,
            timezone,
            currency,
        })
    }

    pub(crate) fn string(&mut self, p: Pair<'_, Rule>) -> Spanned<String> {
        let span = Self::span(&p);
        match self.literal(p) {
            Ok(Literal::Text(t)) => Spanned::new(t, span),
            _ => Spanned::new(String::new(), span),
        }
    }

    fn int_node(&mut self, p: Pair<'_, Rule>) -> Spanned<i64> {
        let span = Self::span(&p);
        Spanned::new(self.int(p.as_str(), span), span)
    }

    fn duration_node(&mut self, p: Pair<'_, Rule>) -> Spanned<DurationLit> {
        let span = Self::span(&p);
        Spanned::new(self.duration(p.as_str(), span), span)
    }

    fn item(&mut self, p: Pair<'_, Rule>) -> PResult<Item> {
        let span = Self::span(&p);
        let rule = p.as_rule();
        let mut it = p
            .into_inner()
            .filter(|q| !super::is_keyword(q.as_rule()))
            .peekable();
        macro_rules! next {
            ($what:expr) => {
                it.next().ok_or_else(|| self.internal(span, $what))?
            };
        }
        Ok(match rule {
            Rule::let_item => {
                let name = self.ident(next!("name"));
                let value = self.expr(next!("value"))?;
                Item::Let(LetDecl { name, value })
            }
            Rule::record_item => {
                let name = self.ident(next!("name"));
                let mut key = None;
                let mut fields = Vec::new();
                for q in it {
                    match q.as_rule() {
                        Rule::ident => key = Some(self.ident(q)),
                        _ => fields.push(self.field_decl(q)?),
                    }
                }
                Item::Record(RecordDecl { name, key, fields })
            }
            Rule::score_item => {
                let name = self.ident(next!("name"));
                let record = self.ident(next!("record"));
                let mut rules = Vec::new();
                let mut clamps = Vec::new();
                for q in it {
                    let qspan = Self::span(&q);
                    if q.as_rule() == Rule::clamp_stmt {
                        let mut ci = q.into_inner().filter(|x| !super::is_keyword(x.as_rule()));
                        let low = ci.next().ok_or_else(|| self.internal(qspan, "low"))?;
                        let high = ci.next().ok_or_else(|| self.internal(qspan, "high"))?;
                        let low = self.number(low);
                        let high = self.number(high);
                        clamps.push(Clamp {
                            low,
                            high,
                            span: qspan,
                        });
                    } else {
                        let mut ri = q.into_inner();
                        let sign = self.next(&mut ri, qspan, "add")?;
                        let sign = if sign.as_rule() == Rule::kw_add {
                            Sign::Add
                        } else {
                            Sign::Subtract
                        };
                        let points = self.next(&mut ri, qspan, "points")?;
                        let points = self.number(points);
                        let cond = self.next_non_kw(&mut ri, qspan, "condition")?;
                        let cond = self.expr(cond)?;
                        rules.push(ScoreRule {
                            sign,
                            points,
                            cond,
                            span: qspan,
                        });
                    }
                }
                Item::Score(ScoreDecl {
                    name,
                    record,
                    rules,
                    clamps,
                })
            }
            Rule::qualify_item => {
                let record = self.ident(next!("record"));
                let mut stages = Vec::new();
                for q in it {
                    let qspan = Self::span(&q);
                    let mut si = q.into_inner().filter(|x| !super::is_keyword(x.as_rule()));
                    let name = self.ident(si.next().ok_or_else(|| self.internal(qspan, "stage"))?);
                    let cond = si.next().ok_or_else(|| self.internal(qspan, "condition"))?;
                    let cond = self.expr(cond)?;
                    stages.push(StageDecl { name, cond });
                }
                Item::Qualify(QualifyDecl {
                    span: span.to(record.span),
                    record,
                    stages,
                })
            }
            Rule::health_item => {
                let record = self.ident(next!("record"));
                let mut measures = Vec::new();
                let mut bands = Vec::new();
                for q in it {
                    if q.as_rule() == Rule::measure_stmt {
                        measures.push(self.measure(q)?);
                    } else {
                        bands.push(self.band(q)?);
                    }
                }
                Item::Health(HealthDecl {
                    span: span.to(record.span),
                    record,
                    measures,
                    bands,
                })
            }
            Rule::calendar_item => {
                let name = self.ident(next!("name"));
                let mut cal = CalendarDecl {
                    name,
                    timezone: Vec::new(),
                    hours: Vec::new(),
                    closed: Vec::new(),
                };
                for q in it {
                    self.calendar_stmt(q, &mut cal)?;
                }
                Item::Calendar(cal)
            }
            Rule::handoff_item => {
                let name = self.ident(next!("name"));
                let note = self.ident(next!("note record"));
                let mut stmts = Vec::new();
                for q in it {
                    stmts.push(self.handoff_stmt(q)?);
                }
                Item::Handoff(HandoffDecl { name, note, stmts })
            }
            Rule::commission_item => {
                let name = self.ident(next!("name"));
                let mut c = CommissionDecl {
                    name,
                    clawbacks: Vec::new(),
                    bonuses: Vec::new(),
                    rounding: Vec::new(),
                };
                for q in it {
                    self.commission_stmt(q, &mut c)?;
                }
                Item::Commission(c)
            }
            Rule::test_item => {
                let name = self.string(next!("test name"));
                let mut stmts = Vec::new();
                for q in it {
                    stmts.push(self.test_stmt(q)?);
                }
                Item::Test(TestDecl { name, stmts })
            }
            _ => return Err(self.internal(span, "unknown item")),
        })
    }

    fn field_decl(&mut self, p: Pair<'_, Rule>) -> PResult<FieldDecl> {
        let span = Self::span(&p);
        let mut inner = p.into_inner();
        let name = self.ident(self.next(&mut inner, span, "field name")?);
        let ty = self.next(&mut inner, span, "type")?;
        let tspan = Self::span(&ty);
        let mut set = false;
        let mut tyname = None;
        for q in ty.into_inner() {
            match q.as_rule() {
                Rule::set_of => set = true,
                _ => tyname = Some(self.ident(q)),
            }
        }
        let ty = tyname.ok_or_else(|| self.internal(tspan, "type name"))?;
        let optional = inner.any(|q| q.as_rule() == Rule::optional_mark);
        Ok(FieldDecl {
            name,
            set,
            ty,
            optional,
            span,
        })
    }

    fn measure(&mut self, p: Pair<'_, Rule>) -> PResult<MeasureDecl> {
        let span = Self::span(&p);
        let mut inner = p.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
        let name = self.ident(
            inner
                .next()
                .ok_or_else(|| self.internal(span, "measure name"))?,
        );
        let weight = inner.next().ok_or_else(|| self.internal(span, "weight"))?;
        let weight = self.number(weight);
        let mut arms = Vec::new();
        for a in inner {
            let aspan = Self::span(&a);
            let rule = a.as_rule();
            let mut ai = a.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
            let value = ai.next().ok_or_else(|| self.internal(aspan, "arm value"))?;
            let value = self.number(value);
            if rule == Rule::else_arm {
                arms.push(Arm::Else { value, span: aspan });
            } else {
                let cond = ai
                    .next()
                    .ok_or_else(|| self.internal(aspan, "arm condition"))?;
                arms.push(Arm::When {
                    value,
                    cond: self.expr(cond)?,
                });
            }
        }
        Ok(MeasureDecl {
            name,
            weight,
            arms,
            span,
        })
    }

    fn band(&mut self, p: Pair<'_, Rule>) -> PResult<BandDecl> {
        let span = Self::span(&p);
        let mut inner = p.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
        let name = self.ident(
            inner
                .next()
                .ok_or_else(|| self.internal(span, "band name"))?,
        );
        let cond = match inner.next() {
            Some(e) => Some(self.expr(e)?),
            None => None,
        };
        Ok(BandDecl { name, cond, span })
    }

    fn time_of_day(&mut self, p: Pair<'_, Rule>) -> u32 {
        let span = Self::span(&p);
        let text = p.as_str();
        let (h, m) = text.split_once(':').unwrap_or(("", ""));
        match (h.parse::<u32>(), m.parse::<u32>()) {
            (Ok(h), Ok(m)) if m < 60 && (h < 24 || (h == 24 && m == 0)) => h * 3600 + m * 60,
            _ => {
                self.sink
                    .error(Code::E0003, span, format!("`{text}` is not a time of day"));
                0
            }
        }
    }

    fn calendar_stmt(&mut self, p: Pair<'_, Rule>, cal: &mut CalendarDecl) -> PResult<()> {
        let span = Self::span(&p);
        let rule = p.as_rule();
        let inner = p.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
        match rule {
            Rule::cal_timezone => {
                for q in inner {
                    cal.timezone.push(self.string(q));
                }
            }
            Rule::cal_closed => {
                for q in inner {
                    let qs = Self::span(&q);
                    cal.closed.push(Spanned::new(self.date(q.as_str(), qs), qs));
                }
            }
            _ => {
                let mut hours = HoursDecl {
                    days: Vec::new(),
                    intervals: Vec::new(),
                };
                for q in inner {
                    let qs = Self::span(&q);
                    if q.as_rule() == Rule::day_range {
                        let days: Vec<u32> =
                            q.into_inner().map(|d| weekday_index(d.as_str())).collect();
                        let first = days.first().copied().unwrap_or(0);
                        let last = days.get(1).copied().unwrap_or(first);
                        hours.days.push(Spanned::new((first, last), qs));
                    } else {
                        let mut ti = q.into_inner();
                        let a = self.next(&mut ti, qs, "start time")?;
                        let b = self.next(&mut ti, qs, "end time")?;
                        let (a, b) = (self.time_of_day(a), self.time_of_day(b));
                        hours.intervals.push(Spanned::new((a, b), qs));
                    }
                }
                if hours.days.is_empty() {
                    return Err(self.internal(span, "opening hours without days"));
                }
                cal.hours.push(hours);
            }
        }
        Ok(())
    }

    fn handoff_stmt(&mut self, p: Pair<'_, Rule>) -> PResult<HandoffStmt> {
        let span = Self::span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
        macro_rules! next {
            ($what:expr) => {
                it.next().ok_or_else(|| self.internal(span, $what))?
            };
        }
        Ok(match rule {
            Rule::owner_stmt => HandoffStmt::Owner(self.string(next!("owner"))),
            Rule::requires_stmt => HandoffStmt::Requires(it.map(|q| self.ident(q)).collect()),
            Rule::sla_stmt => {
                let name = self.ident(next!("goal"));
                let within = self.duration_node(next!("target"));
                let mut calendar = None;
                let mut met_by = Vec::new();
                for q in it {
                    if q.as_rule() == Rule::ident {
                        calendar = Some(self.ident(q));
                    } else {
                        met_by.push(self.string(q));
                    }
                }
                HandoffStmt::Sla {
                    name,
                    within,
                    calendar,
                    met_by,
                }
            }
            Rule::warn_stmt => {
                let offset = self.duration_node(next!("offset"));
                let goal = self.ident(next!("goal"));
                let to = self.string(next!("recipient"));
                HandoffStmt::Warn { offset, goal, to }
            }
            Rule::escalate_stmt => {
                let how = next!("escalation");
                let to = self.string(next!("recipient"));
                let hspan = Self::span(&how);
                let how_rule = how.as_rule();
                let mut hi = how.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
                match how_rule {
                    Rule::esc_at => {
                        let goal =
                            self.ident(hi.next().ok_or_else(|| self.internal(hspan, "goal"))?);
                        HandoffStmt::EscalateAt { goal, to }
                    }
                    Rule::esc_after => {
                        let off = hi.next().ok_or_else(|| self.internal(hspan, "offset"))?;
                        let offset = self.duration_node(off);
                        let goal =
                            self.ident(hi.next().ok_or_else(|| self.internal(hspan, "goal"))?);
                        HandoffStmt::EscalateAfter { offset, goal, to }
                    }
                    _ => HandoffStmt::EscalateNote { to, span },
                }
            }
            Rule::flag_stmt => {
                let name = self.ident(next!("flag"));
                let cond = self.expr(next!("condition"))?;
                HandoffStmt::Flag { name, cond }
            }
            _ => return Err(self.internal(span, "unknown handoff statement")),
        })
    }

    fn commission_stmt(&mut self, p: Pair<'_, Rule>, c: &mut CommissionDecl) -> PResult<()> {
        let span = Self::span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
        macro_rules! next {
            ($what:expr) => {
                it.next().ok_or_else(|| self.internal(span, $what))?
            };
        }
        match rule {
            Rule::rounding_stmt => c.rounding.push(self.ident(next!("rounding mode"))),
            Rule::clawback_stmt => {
                let window = self.int_node(next!("window"));
                let anchor = self.ident(next!("anchor"));
                let mut except = None;
                let mut schedule = ScheduleDecl::Prorated;
                for q in it {
                    match q.as_rule() {
                        Rule::except_clause => {
                            let qs = Self::span(&q);
                            let mut ei = q.into_inner().filter(|x| !super::is_keyword(x.as_rule()));
                            let e = ei.next().ok_or_else(|| self.internal(qs, "condition"))?;
                            except = Some(self.expr(e)?);
                        }
                        Rule::schedule => {
                            let mut bands = Vec::new();
                            for b in q.into_inner() {
                                let bs = Self::span(&b);
                                let mut bi =
                                    b.into_inner().filter(|x| !super::is_keyword(x.as_rule()));
                                let from = self
                                    .int_node(bi.next().ok_or_else(|| self.internal(bs, "from"))?);
                                let to = self
                                    .int_node(bi.next().ok_or_else(|| self.internal(bs, "to"))?);
                                let rate = bi.next().ok_or_else(|| self.internal(bs, "rate"))?;
                                let rate = self.rate(rate)?;
                                bands.push(BandRate {
                                    from,
                                    to,
                                    rate,
                                    span: bs,
                                });
                            }
                            schedule = ScheduleDecl::Bands(bands);
                        }
                        _ => schedule = ScheduleDecl::Prorated,
                    }
                }
                c.clawbacks.push(ClawbackDecl {
                    window,
                    anchor,
                    except,
                    schedule,
                    span,
                });
            }
            _ => {
                let name = self.ident(next!("bonus name"));
                let rate = self.rate(next!("rate"))?;
                let base = self.expr(next!("base"))?;
                let how = next!("trigger");
                let hspan = Self::span(&how);
                let how_rule = how.as_rule();
                let mut hi = how.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
                let kind = if how_rule == Rule::upgrade_bonus {
                    let to = hi.next().ok_or_else(|| self.internal(hspan, "recipient"))?;
                    let to = self.expr(to)?;
                    let when = match hi.next() {
                        Some(e) => Some(self.expr(e)?),
                        None => None,
                    };
                    BonusKind::Upgrade { to, when }
                } else {
                    let days =
                        self.int_node(hi.next().ok_or_else(|| self.internal(hspan, "days"))?);
                    let anchor =
                        self.ident(hi.next().ok_or_else(|| self.internal(hspan, "anchor"))?);
                    BonusKind::Retention { days, anchor }
                };
                c.bonuses.push(BonusDecl {
                    name,
                    rate,
                    base,
                    kind,
                });
            }
        }
        Ok(())
    }

    fn rate(&mut self, p: Pair<'_, Rule>) -> PResult<Spanned<rust_decimal::Decimal>> {
        let span = Self::span(&p);
        match self.literal(p)? {
            Literal::Decimal(d) => Ok(Spanned::new(d, span)),
            Literal::Int(i) => Ok(Spanned::new(i.into(), span)),
            _ => Err(self.internal(span, "rate")),
        }
    }

    fn object(&mut self, p: Pair<'_, Rule>) -> PResult<Object> {
        let span = Self::span(&p);
        let mut entries = Vec::new();
        for e in p.into_inner() {
            let es = Self::span(&e);
            let mut ei = e.into_inner();
            let name = self.ident(self.next(&mut ei, es, "name")?);
            let v = self.next(&mut ei, es, "value")?;
            let v = if v.as_rule() == Rule::object_lit {
                ObjValue::Object(self.object(v)?)
            } else {
                ObjValue::Expr(self.expr(v)?)
            };
            entries.push((name, v));
        }
        Ok(Object { entries, span })
    }

    fn test_stmt(&mut self, p: Pair<'_, Rule>) -> PResult<TestStmt> {
        let span = Self::span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
        macro_rules! next {
            ($what:expr) => {
                it.next().ok_or_else(|| self.internal(span, $what))?
            };
        }
        Ok(match rule {
            Rule::given_stmt => {
                let record = self.ident(next!("record"));
                let fields = self.object(next!("fields"))?;
                TestStmt::Given { record, fields }
            }
            Rule::event_stmt => TestStmt::Event(self.object(next!("event"))?),
            Rule::at_stmt => TestStmt::At(self.expr(next!("instant"))?),
            _ => {
                let form = next!("expectation");
                if form.as_rule() == Rule::expr {
                    let e = Expectation::Holds(self.expr(form)?);
                    return Ok(TestStmt::Expect(Spanned::new(e, span)));
                }
                let fspan = Self::span(&form);
                let frule = form.as_rule();
                let mut fi = form.into_inner().peekable();
                let no = fi.peek().is_some_and(|q| q.as_rule() == Rule::kw_no);
                let mut fi = fi.filter(|q| !super::is_keyword(q.as_rule()));
                macro_rules! fnext {
                    ($what:expr) => {
                        fi.next().ok_or_else(|| self.internal(fspan, $what))?
                    };
                }
                let e = match frule {
                    Rule::expect_stage => Expectation::Stage(self.ident(fnext!("stage"))),
                    Rule::expect_band => Expectation::Band(self.ident(fnext!("band"))),
                    Rule::expect_error => Expectation::Error(fi.next().map(|q| self.string(q))),
                    Rule::expect_goal => {
                        let g = self.ident(fnext!("goal"));
                        let s = self.ident(fnext!("state"));
                        Expectation::Goal(g, s)
                    }
                    Rule::expect_alert => {
                        let kind = self.ident(fnext!("kind"));
                        let mut goal = None;
                        let mut to = None;
                        for q in fi {
                            if q.as_rule() == Rule::ident {
                                goal = Some(self.ident(q));
                            } else {
                                to = Some(self.string(q));
                            }
                        }
                        let to = to.ok_or_else(|| self.internal(fspan, "recipient"))?;
                        Expectation::Alert(kind, goal, to)
                    }
                    Rule::expect_flag => Expectation::Flag(no, self.ident(fnext!("flag"))),
                    Rule::expect_missing => {
                        Expectation::Missing(fi.map(|q| self.ident(q)).collect())
                    }
                    Rule::expect_line => {
                        let ev = self.string(fnext!("event id"));
                        let obj = self.object(fnext!("fields"))?;
                        Expectation::Line(ev, obj)
                    }
                    _ => return Err(self.internal(fspan, "expectation")),
                };
                TestStmt::Expect(Spanned::new(e, span))
            }
        })
    }
}

fn weekday_index(s: &str) -> u32 {
    match s {
        "mon" => 0,
        "tue" => 1,
        "wed" => 2,
        "thu" => 3,
        "fri" => 4,
        "sat" => 5,
        _ => 6,
    }
}
