//! What is still to book. A booked ledger becomes a compact index, the
//! booked total of each (deal, event, kind, currency) in minor units; each
//! recomputed line is then set against it on its own (so the ledger can
//! stream through, on every core), and what was booked but is no longer
//! computed is reversed in a last pass over the booked lines.
//!
//! The index holds per booked key its three ids once, a total and the
//! line that first booked it: about 100 bytes and the ids' length, not the
//! booked line's cells.

use std::collections::HashMap;

use super::keys::{Keys, Seeded};

use rust_decimal::Decimal;

use super::ledger::money_text;
use super::line::{LedgerLine, Status};
use super::posted::{PostedError, PostedLine, PostedLines, PostedRow};
use crate::value::{from_minor_units, in_minor_units, max_at, Currency, Text};

/// One booked total: a key's amount in one currency.
#[derive(Debug, Clone, Copy)]
struct Total {
    /// The sum of the key's booked lines, in minor units.
    units: i128,
    currency: Currency,
    /// The first posted line of the key.
    line: u32,
    /// Its (deal, event), by index.
    event: u32,
    /// The next currency the same (deal, event, kind) is booked in, in
    /// the order first booked (`u32::MAX`: none).
    next: u32,
}

const NONE: u32 = u32::MAX;

/// The booked ledger, by key.
#[derive(Debug, Default)]
pub(crate) struct Booked {
    /// (deal, event, kind) → its first total.
    deks: Keys,
    totals: Vec<Total>,
    /// (deal, event) booked under any kind → its index.
    events: Keys,
}

/// What the recomputed lines said of the booked keys, gathered where they
/// were computed and merged before the reversals.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    /// A booked (deal, event, kind), by its first total, and the currency
    /// it is now computed in.
    computed: Vec<(u32, Text)>,
    /// A booked (deal, event) whose event is an error line now.
    in_error: Vec<u32>,
}

impl Notes {
    /// Adds the notes of another part.
    pub(crate) fn merge(&mut self, other: Notes) {
        self.computed.extend(other.computed);
        self.in_error.extend(other.in_error);
    }
}

/// The booked totals to reverse, in the order first booked, with the
/// currency each one's (deal, event, kind) is now computed in.
pub(crate) struct Settled {
    /// Totals, by their first line.
    pending: std::vec::IntoIter<u32>,
    /// By first total: the currency its (deal, event, kind) is computed in.
    computed_in: HashMap<u32, Text, Seeded>,
}

/// Booked lines found by their physical line, in ascending order.
pub(crate) trait BookedLines {
    /// The booked line at `line`; `None` when there is none (the lines
    /// are not those the index was built from).
    fn line_at(&mut self, line: usize) -> Option<Result<PostedLine, PostedError>>;
}

impl<R: std::io::Read> BookedLines for PostedLines<R> {
    fn line_at(&mut self, line: usize) -> Option<Result<PostedLine, PostedError>> {
        loop {
            match self.advance()? {
                Err(e) => return Some(Err(e)),
                Ok(at) if at < line => continue,
                Ok(at) if at == line => return Some(self.line(at)),
                Ok(_) => return None,
            }
        }
    }
}

impl BookedLines for std::slice::Iter<'_, PostedLine> {
    fn line_at(&mut self, line: usize) -> Option<Result<PostedLine, PostedError>> {
        self.find(|p| p.line >= line)
            .filter(|p| p.line == line)
            .map(|p| Ok(p.clone()))
    }
}

/// A booked line as the index takes it: its key encoded (in a buffer
/// beside it), where the (deal, event) part of the key ends, its amount.
#[derive(Debug, Clone, Copy)]
struct Key {
    pair: usize,
    currency: Currency,
    units: i128,
    line: u32,
}

impl Key {
    /// The key of a booked row, encoded into `buf`.
    fn of(p: &PostedRow<'_>, buf: &mut Vec<u8>) -> Result<Key, PostedError> {
        let fail = |message: String| PostedError {
            line: p.line,
            message,
        };
        let minor = p.currency.minor_units();
        let units = in_minor_units(p.amount, minor).map_err(|_| {
            fail(format!(
                "amount {} is not money in {}",
                p.amount, p.currency
            ))
        })?;
        let line = u32::try_from(p.line).map_err(|_| fail("too many lines".into()))?;
        encode(buf, &[p.deal, p.event, p.kind]);
        Ok(Key {
            pair: buf.len() - 4 - p.kind.len(),
            currency: p.currency,
            units,
            line,
        })
    }
}

/// Booked lines on their way from the reading thread: their keys end to
/// end in `bytes`, each with where it starts.
#[derive(Debug, Default)]
struct Batch {
    bytes: Vec<u8>,
    keys: Vec<(usize, Key)>,
    scratch: Vec<u8>,
}

impl Batch {
    /// Reads up to `n` booked lines; `Ok(false)` at the end of the file.
    fn fill<R: std::io::Read>(
        &mut self,
        lines: &mut PostedLines<R>,
        n: usize,
    ) -> Result<bool, PostedError> {
        self.bytes.clear();
        self.keys.clear();
        while self.keys.len() < n {
            let Some(line) = lines.advance() else {
                return Ok(false);
            };
            let row = lines.row(line?)?;
            let start = self.bytes.len();
            let mut key = Key::of(&row, &mut self.scratch)?;
            self.bytes.extend_from_slice(&self.scratch);
            key.pair += start;
            self.keys.push((start, key));
        }
        Ok(true)
    }
}

/// The ids of an encoded key.
fn decode(mut bytes: &[u8]) -> Vec<&str> {
    let mut ids = Vec::new();
    while let Some((len, rest)) = bytes.split_first_chunk::<4>() {
        let len = u32::from_le_bytes(*len) as usize;
        let (id, rest) = rest.split_at(len.min(rest.len()));
        ids.push(std::str::from_utf8(id).unwrap_or_default());
        bytes = rest;
    }
    ids
}

/// A key's ids, length-prefixed so that no two keys share an encoding.
fn encode(buf: &mut Vec<u8>, ids: &[&str]) {
    buf.clear();
    for id in ids {
        buf.extend_from_slice(&u32::try_from(id.len()).unwrap_or(u32::MAX).to_le_bytes());
        buf.extend_from_slice(id.as_bytes());
    }
}

fn key_text(deal: &str, event: &str, kind: &str, currency: &str) -> String {
    let gap = if event.is_empty() { "" } else { " " };
    format!("{deal} {event}{gap}{kind} in {currency}")
}

impl Booked {
    /// Adds a booked line to its key's total. `Err` names the line when
    /// the key's lines sum past the decimal range, or the ledger holds more
    /// keys than an index can.
    pub(crate) fn add(&mut self, p: &PostedRow<'_>, buf: &mut Vec<u8>) -> Result<(), PostedError> {
        let key = Key::of(p, buf)?;
        self.add_key(buf, key)
    }

    /// Adds a booked line given as its encoded key (`bytes`) and amount.
    fn add_key(&mut self, bytes: &[u8], k: Key) -> Result<(), PostedError> {
        let fail = |message: String| PostedError {
            line: k.line as usize,
            message,
        };
        // Most keys are new: one probe each, through the entry.
        let next_event =
            u32::try_from(self.events.len()).map_err(|_| fail("too many keys".into()))?;
        let event = self
            .events
            .get_or_insert(bytes.get(..k.pair).unwrap_or_default(), next_event)
            .ok_or_else(|| fail("a key longer than 4 GiB".into()))?;
        let new = Total {
            units: 0,
            currency: k.currency,
            line: k.line,
            event,
            next: NONE,
        };
        let fresh = u32::try_from(self.totals.len())
            .ok()
            .filter(|n| *n != NONE)
            .ok_or_else(|| fail("too many keys".into()))?;
        let first = self
            .deks
            .get_or_insert(bytes, fresh)
            .ok_or_else(|| fail("a key longer than 4 GiB".into()))?;
        let at = match first {
            first if first == fresh => {
                self.totals.push(new);
                fresh
            }
            first => {
                let mut at = first;
                loop {
                    let Some(t) = self.total(at) else {
                        return Err(fail("internal error: a booked total is missing".into()));
                    };
                    if t.currency == k.currency {
                        break at;
                    }
                    if t.next == NONE {
                        if let Some(t) = self.totals.get_mut(at as usize) {
                            t.next = fresh;
                        }
                        self.totals.push(new);
                        break fresh;
                    }
                    at = t.next;
                }
            }
        };
        let Some(total) = self.totals.get_mut(at as usize) else {
            return Err(fail("internal error: a booked total is missing".into()));
        };
        let minor = k.currency.minor_units();
        total.units = total
            .units
            .checked_add(k.units)
            .filter(|u| from_minor_units(*u, minor).is_some())
            .ok_or_else(|| {
                let ids = decode(bytes);
                let id = |i: usize| ids.get(i).copied().unwrap_or_default();
                fail(format!(
                    "the booked lines of {} sum beyond the decimal range (at most {})",
                    key_text(id(0), id(1), id(2), k.currency.as_str()),
                    money_text(max_at(minor), k.currency.as_str())
                ))
            })?;
        Ok(())
    }

    /// Indexes the lines of a booked ledger file: one thread reads and
    /// checks the rows and encodes their keys, in batches, while this one
    /// adds them up. `keys`: how many keys to make room for.
    pub(crate) fn index<R: std::io::Read + Send>(
        mut lines: PostedLines<R>,
        keys: usize,
    ) -> Result<Booked, PostedError> {
        const BATCH: usize = 4096;
        let mut booked = Booked::default();
        booked.reserve(keys);
        let (send, receive) = std::sync::mpsc::sync_channel::<Result<Batch, PostedError>>(4);
        let (spare_send, spare) = std::sync::mpsc::channel::<Batch>();
        std::thread::scope(|s| {
            s.spawn(move || {
                let mut batch = Batch::default();
                loop {
                    match batch.fill(&mut lines, BATCH) {
                        Ok(more) => {
                            let next = spare.try_recv().unwrap_or_default();
                            let full = std::mem::replace(&mut batch, next);
                            if send.send(Ok(full)).is_err() || !more {
                                return;
                            }
                        }
                        Err(e) => {
                            // The rows before the bad one are added first:
                            // an error among them is the one reported.
                            let _ = send.send(Ok(std::mem::take(&mut batch)));
                            let _ = send.send(Err(e));
                            return;
                        }
                    }
                }
            });
            for batch in receive {
                let batch = batch?;
                let mut ends = batch.keys.iter().skip(1).map(|(start, _)| *start);
                for (start, key) in &batch.keys {
                    let end = ends.next().unwrap_or(batch.bytes.len());
                    let mut key = *key;
                    key.pair -= start;
                    booked.add_key(batch.bytes.get(*start..end).unwrap_or_default(), key)?;
                }
                let _ = spare_send.send(batch);
            }
            Ok(())
        })?;
        Ok(booked)
    }

    /// Room for `keys` more booked keys, so that indexing a large ledger
    /// does not rehash every key at each doubling.
    pub(crate) fn reserve(&mut self, keys: usize) {
        self.deks.reserve(keys, keys * 40);
        self.events.reserve(keys, keys * 30);
        self.totals.reserve(keys);
    }

    fn total(&self, at: u32) -> Option<Total> {
        self.totals.get(at as usize).copied()
    }

    /// The totals of a (deal, event, kind), in the order first booked.
    fn chain(&self, first: Option<u32>) -> impl Iterator<Item = (u32, Total)> + '_ {
        let mut at = first.unwrap_or(NONE);
        std::iter::from_fn(move || {
            let here = at;
            let t = self.total(here)?;
            at = t.next;
            Some((here, t))
        })
    }

    /// A recomputed line's difference from what is booked for its key:
    /// `None` when nothing is left to book, and for error lines (noted:
    /// what their event booked stands). `buf` is scratch space.
    pub(crate) fn diff(
        &self,
        l: &LedgerLine,
        buf: &mut Vec<u8>,
        notes: &mut Notes,
    ) -> Result<Option<LedgerLine>, PostedError> {
        if l.status == Status::Error {
            encode(buf, &[&l.deal, &l.event]);
            if let Some(e) = self.events.get(buf) {
                notes.in_error.push(e);
            }
            return Ok(None);
        }
        encode(buf, &[&l.deal, &l.event, &l.kind]);
        let first = self.deks.get(buf);
        if let Some(first) = first {
            notes.computed.push((first, l.currency.clone()));
        }
        let amount = l.amount.unwrap_or_default();
        let minor = super::ledger::minor_of(&l.currency);
        let booked = self
            .chain(first)
            .find(|(_, t)| t.currency.as_str() == l.currency.as_str());
        let (diff, explanation) = match booked {
            Some((_, t)) => {
                let booked_amount = from_minor_units(t.units, minor).unwrap_or_default();
                let diff = in_minor_units(amount, minor)
                    .ok()
                    .and_then(|a| a.checked_sub(t.units))
                    .and_then(|d| from_minor_units(d, minor))
                    .ok_or_else(|| PostedError {
                        line: t.line as usize,
                        message: format!(
                            "recomputed {} less booked {} for {} does not fit the decimal range",
                            money_text(amount, &l.currency),
                            money_text(booked_amount, &l.currency),
                            key_text(&l.deal, &l.event, &l.kind, &l.currency)
                        ),
                    })?;
                if diff.is_zero() {
                    return Ok(None);
                }
                let explanation = format!(
                    "recomputed {} less booked {}",
                    money_text(amount, &l.currency),
                    money_text(booked_amount, &l.currency)
                );
                (diff, explanation)
            }
            // Booked under this kind, in other currencies only: those
            // lines are reversed at the end.
            None if first.is_some() => {
                let elsewhere: Vec<String> = self
                    .chain(first)
                    .map(|(_, t)| t.currency.to_string())
                    .collect();
                let explanation = format!(
                    "{} (booked in {} instead of {})",
                    l.explanation,
                    elsewhere.join(" and "),
                    l.currency
                );
                (amount, explanation)
            }
            None => {
                // The event was booked under another kind: say that this
                // kind is not; a line for an event never booked keeps its
                // words.
                encode(buf, &[&l.deal, &l.event]);
                let explanation = if self.events.get(buf).is_some() {
                    format!("{} (not booked yet)", l.explanation)
                } else {
                    l.explanation.clone()
                };
                (amount, explanation)
            }
        };
        if diff.is_zero() {
            return Ok(None);
        }
        let mut d = l.clone();
        d.amount = Some(fixed(diff, minor));
        d.explanation = explanation;
        Ok(Some(d))
    }

    /// The totals to reverse, from the notes of every recomputed line: a
    /// total not zero whose (deal, event, kind) is no longer computed in
    /// its currency, and whose event is not an error line now (what such
    /// an event booked stands until its input is fixed).
    pub(crate) fn settle(&self, notes: Notes) -> Settled {
        let mut in_error = vec![false; self.events.len()];
        for e in notes.in_error {
            if let Some(flag) = in_error.get_mut(e as usize) {
                *flag = true;
            }
        }
        let computed_in: HashMap<u32, Text, Seeded> = notes.computed.into_iter().collect();
        let mut pending: Vec<u32> = Vec::new();
        for first in self.deks.values() {
            let now = computed_in.get(&first).map(Text::as_str);
            for (at, t) in self.chain(Some(first)) {
                let stands = in_error.get(t.event as usize).copied().unwrap_or(false);
                if now != Some(t.currency.as_str()) && !stands && t.units != 0 {
                    pending.push(at);
                }
            }
        }
        pending.sort_unstable_by_key(|&at| self.total(at).map(|t| t.line));
        Settled {
            pending: pending.into_iter(),
            computed_in,
        }
    }

    /// The reversals, in the order first booked: each total to reverse,
    /// negated, with the cells of the line that first booked it, read from
    /// `lines` (opened only when there is one). `Err` when those lines are
    /// not the ones the index was built from (the file changed between
    /// reads).
    pub(crate) fn reversals<L: BookedLines>(
        &self,
        settled: Settled,
        lines: impl FnOnce() -> Result<L, PostedError>,
        mut emit: impl FnMut(LedgerLine) -> Result<(), PostedError>,
    ) -> Result<(), PostedError> {
        let Settled {
            mut pending,
            computed_in,
        } = settled;
        let Some(mut at) = pending.next() else {
            return Ok(());
        };
        let mut lines = lines()?;
        loop {
            let t = self.total(at).ok_or_else(|| changed(0))?;
            let p = lines
                .line_at(t.line as usize)
                .ok_or_else(|| changed(t.line as usize))??;
            let first = self.first_of(&p.row(), &mut Vec::new());
            let found = first.and_then(|f| {
                self.chain(Some(f))
                    .find(|(_, c)| c.currency == p.currency)
                    .map(|(i, _)| (f, i))
            });
            let Some((first, i)) = found.filter(|(_, i)| *i == at) else {
                return Err(changed(p.line));
            };
            let minor = p.currency.minor_units();
            let total = from_minor_units(self.total(i).map_or(0, |t| t.units), minor)
                .ok_or_else(|| changed(p.line))?;
            let currency = p.currency.as_str();
            let explanation = match computed_in.get(&first) {
                Some(c) => format!(
                    "reversal: now computed in {c} (booked {})",
                    money_text(total, currency)
                ),
                None => format!(
                    "reversal: no longer computed (booked {})",
                    money_text(total, currency)
                ),
            };
            emit(LedgerLine {
                deal: p.deal.as_str().into(),
                rep: p.rep.as_str().into(),
                event: p.event.as_str().into(),
                kind: p.kind.as_str().into(),
                status: Status::Applied,
                policy: p.policy.as_str().into(),
                version: p.version.parse().ok(),
                days_retained: p.days_retained.parse().ok(),
                rate: None,
                base: None,
                rate_text: p.rate.as_str().into(),
                base_text: p.base.as_str().into(),
                amount: Some(fixed(-total, minor)),
                explanation,
                currency: currency.into(),
                line: p.line,
            })?;
            match pending.next() {
                Some(next) => at = next,
                None => return Ok(()),
            }
        }
    }

    /// The first total of a row's (deal, event, kind).
    fn first_of(&self, p: &PostedRow<'_>, buf: &mut Vec<u8>) -> Option<u32> {
        encode(buf, &[p.deal, p.event, p.kind]);
        self.deks.get(buf)
    }
}

/// The booked ledger read at the end is not the one read at the start.
fn changed(line: usize) -> PostedError {
    PostedError {
        line,
        message: "the booked ledger changed while it was read; run again".into(),
    }
}

/// What is still to book: for each (deal, event, kind, currency), the
/// recomputed amount less the posted ones, where not zero, in ledger
/// order; then reversals of keys found only in the posted ledger, in its
/// order (except for events that are error lines now: their booked lines
/// stand). A line booked in another currency than the one computed is
/// reversed, and the computed line is booked in full.
///
/// `Err` names the posted line whose amounts leave the decimal range:
/// booked lines of one key that sum past it, or a difference past it.
pub fn diff_posted(
    lines: &[LedgerLine],
    posted: &[PostedLine],
) -> Result<Vec<LedgerLine>, PostedError> {
    let mut booked = Booked::default();
    let mut buf = Vec::new();
    for p in posted {
        booked.add(&p.row(), &mut buf)?;
    }
    let mut notes = Notes::default();
    let mut out = Vec::new();
    for l in lines {
        out.extend(booked.diff(l, &mut buf, &mut notes)?);
    }
    booked.reversals(
        booked.settle(notes),
        || Ok(posted.iter()),
        |r| {
            out.push(r);
            Ok(())
        },
    )?;
    Ok(out)
}

fn fixed(d: Decimal, minor: u32) -> Decimal {
    let mut d = if d.is_zero() { Decimal::ZERO } else { d };
    d.rescale(minor);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "deal,rep,event,kind,status,policy,version,days_retained,rate,base,amount,currency,explanation\n";

    /// A booked ledger of `n` lines, with `bad` in place of line `at`.
    fn ledger(n: usize, at: usize, bad: &str) -> String {
        let mut s = HEADER.to_string();
        for i in 2..n + 2 {
            if i == at {
                s.push_str(bad);
            } else {
                // Every third line books the key of the line before.
                let k = if i % 3 == 0 { i - 1 } else { i };
                s.push_str(&format!(
                    "D-{k},ana,E-{k},clawback,applied,p,1,3,1,,-1.00,USD,x\n"
                ));
            }
        }
        s
    }

    fn index(text: &str) -> Result<Booked, PostedError> {
        Booked::index(PostedLines::new(std::io::Cursor::new(text.to_string()))?, 0)
    }

    #[test]
    fn indexing_on_two_threads_adds_up_as_one_thread_does() {
        let text = ledger(10_000, 0, "");
        let two = index(&text).expect("indexes");
        let mut one = Booked::default();
        let mut buf = Vec::new();
        for p in super::super::posted::read_posted(text.as_bytes()).expect("reads") {
            one.add(&p.row(), &mut buf).expect("adds");
        }
        assert_eq!(two.totals.len(), one.totals.len());
        assert_eq!(two.events.len(), one.events.len());
        for (a, b) in two.totals.iter().zip(&one.totals) {
            assert_eq!(
                (a.units, a.line, a.event, a.next),
                (b.units, b.line, b.event, b.next)
            );
        }
        // Keys booked twice sum: D-2 and D-3's line.
        assert_eq!(two.totals.first().map(|t| t.units), Some(-200));
    }

    #[test]
    fn the_first_bad_line_is_named_whichever_thread_finds_it() {
        // A row the reader refuses, past the first batches.
        let err = index(&ledger(
            10_000,
            9_000,
            "D-x,ana,E,clawback,applied,p,1,3,1,,ten,USD,x\n",
        ))
        .err()
        .map(|e| e.line);
        assert_eq!(err, Some(9_000));
        // A sum past the decimal range (found by the adding thread) on
        // line 102, the second line of D-101, before a refused row on line
        // 9,000.
        let max = "792281625142643375935439503.35";
        let mut text = ledger(
            10_000,
            9_000,
            "D-x,ana,E,clawback,applied,p,1,3,1,,ten,USD,x\n",
        );
        text = text.replace(
            "D-101,ana,E-101,clawback,applied,p,1,3,1,,-1.00,USD,x\n",
            &format!("D-101,ana,E-101,clawback,applied,p,1,3,1,,-{max},USD,x\n"),
        );
        let err = index(&text).err();
        assert_eq!(err.as_ref().map(|e| e.line), Some(102), "{err:?}");
        assert!(err.is_some_and(|e| e.message.contains("D-101 E-101 clawback in USD sum beyond")));
    }
}
