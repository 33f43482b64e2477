//! The search language: one query string for tickets, users and organizations, parsed once
//! into a [`Condition`] tree. Views and business rules build the same tree; the storage crate
//! compiles it to SQL for both databases, and [`Condition::matches`] evaluates it in memory
//! (the property test checks the two agree).
//!
//! # Grammar
//!
//! ```text
//! query    = or
//! or       = and ( "OR" and )*
//! and      = unary ( unary )*                 -- terms side by side must all hold
//! unary    = "-" primary | primary             -- "-" negates: -status:solved, -tags:vip
//! primary  = "(" or ")" | field | phrase | word
//! field    = name op value                     -- status<solved, tags:vip, plan:"enterprise plus"
//! name     = letter ( letter | digit | "_" )*
//! op       = ":" | "<" | ">" | "<=" | ">=" | ":<" | ":>" | ":<=" | ":>="
//! value    = phrase | word
//! phrase   = '"' any character but '"' '"'     -- an exact phrase, in order
//! word     = any run of characters but space, '"', '(' and ')'; a trailing "*" is a prefix
//! ```
//!
//! Free text (phrases and words that are not `name:value`) matches, ignoring case and accents,
//! anywhere inside the record's searchable text, so `eletronico` finds `eletrônico` and `請求`
//! finds `請求書`. `order_by:<created|updated|priority|status|ticket_type>` and `sort:<asc|desc>`
//! at the top level order the results rather than filter them. Field names are case-insensitive; unknown names are errors, except in the
//! record's own custom fields, which the caller lists. A query is at most
//! [`MAX_QUERY_LEN`] characters and [`MAX_DEPTH`] levels of parentheses deep.

use std::fmt;

use crate::Reason;

pub const MAX_QUERY_LEN: usize = 1_000;
pub const MAX_DEPTH: usize = 8;
pub const MAX_TERMS: usize = 64;

/// A parse error with the character position (0-based) where the problem is: the API's
/// English message, and the same problem as a `Reason` for the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchError {
    pub position: usize,
    pub message: String,
    pub reason: Reason,
}

impl SearchError {
    pub fn new(
        position: usize,
        key: &'static str,
        args: &[(&'static str, &dyn fmt::Display)],
        message: impl Into<String>,
    ) -> Self {
        SearchError { position, message: message.into(), reason: Reason::new(key, args) }
    }
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.position)
    }
}

impl std::error::Error for SearchError {}

impl From<SearchError> for crate::Invalid {
    fn from(e: SearchError) -> Self {
        crate::Invalid { message: e.message, reason: e.reason }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => ":",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Ge => ">=",
        }
    }
}

/// The condition tree shared by search, views and business rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Every child holds (an empty `All` always holds).
    All(Vec<Condition>),
    /// At least one child holds.
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// Free text, already normalised with [`normalize_text`]; `prefix` for a trailing `*`.
    Text {
        text: String,
        prefix: bool,
    },
    /// `field op value`, the field lowercased and the value as written (unquoted); `at` is the
    /// position of the term in the query (0 for conditions not parsed from text).
    Field {
        field: String,
        op: Op,
        value: String,
        at: usize,
    },
}

impl Condition {
    /// The record types a query names with `type:` (empty means all).
    pub fn record_types(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(&mut |c| {
            if let Condition::Field { field, op: Op::Eq, value, .. } = c
                && field == "type"
            {
                out.push(value.to_lowercase());
            }
        });
        out
    }

    fn walk(&self, f: &mut impl FnMut(&Condition)) {
        f(self);
        match self {
            Condition::All(c) | Condition::Any(c) => c.iter().for_each(|x| x.walk(f)),
            Condition::Not(c) => c.walk(f),
            _ => {}
        }
    }
}

/// Lowercases, folds compatibility forms (full-width Latin, half-width katakana) with NFKC, and
/// strips accents (combining marks after decomposition), so stored text and query text meet in
/// one form: `Eletrônico` → `eletronico`, `ＡＢＣ` → `abc`, `ﾊﾞｽ` → `バス`. The kana voicing
/// marks are kept: they make a different word (`パス` is not `バス`).
pub fn normalize_text(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let voicing = |c: char| matches!(c, '\u{3099}' | '\u{309A}');
    s.nfkd().filter(|c| voicing(*c) || !is_combining_mark(*c)).flat_map(char::to_lowercase).nfc().collect()
}

/// The version of [`normalize_text`]'s folding that stored documents were written with; when it
/// changes, the documents are rebuilt at start-up.
pub const FOLD_VERSION: i64 = 2;

struct Parser<'a> {
    chars: Vec<(usize, char)>,
    pos: usize,
    src: &'a str,
    terms: usize,
}

impl Parser<'_> {
    fn err<T>(
        &self,
        at: usize,
        key: &'static str,
        args: &[(&'static str, &dyn fmt::Display)],
        message: impl Into<String>,
    ) -> Result<T, SearchError> {
        Err(SearchError::new(at, key, args, message))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|(_, c)| *c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn at_keyword(&self, kw: &str) -> bool {
        let n = kw.chars().count();
        let word: String = self.chars[self.pos..].iter().take(n).map(|(_, c)| *c).collect();
        word == kw && self.chars.get(self.pos + n).is_none_or(|(_, c)| c.is_whitespace() || *c == '(')
    }

    fn or(&mut self, depth: usize) -> Result<Condition, SearchError> {
        let mut alts = vec![self.and(depth)?];
        loop {
            self.skip_ws();
            if self.at_keyword("OR") {
                self.pos += 2;
                alts.push(self.and(depth)?);
            } else {
                break;
            }
        }
        Ok(if alts.len() == 1 { alts.pop().expect("one") } else { Condition::Any(alts) })
    }

    fn and(&mut self, depth: usize) -> Result<Condition, SearchError> {
        let mut terms = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None | Some(')') => break,
                _ if self.at_keyword("OR") => break,
                _ => terms.push(self.unary(depth)?),
            }
        }
        if terms.is_empty() {
            let at = self.chars.get(self.pos).map_or(self.src.chars().count(), |_| self.pos);
            return self.err(at, "search-term-expected", &[], "expected a search term");
        }
        Ok(if terms.len() == 1 { terms.pop().expect("one") } else { Condition::All(terms) })
    }

    fn unary(&mut self, depth: usize) -> Result<Condition, SearchError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return self.err(
                self.pos,
                "search-too-many-terms",
                &[("max", &MAX_TERMS)],
                format!("the query has more than {MAX_TERMS} terms"),
            );
        }
        if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|(_, c)| !c.is_whitespace()) {
            self.pos += 1;
            return Ok(Condition::Not(Box::new(self.primary(depth)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Condition, SearchError> {
        let start = self.pos;
        match self.peek() {
            Some('(') => {
                if depth >= MAX_DEPTH {
                    return self.err(
                        start,
                        "search-too-deep",
                        &[("max", &MAX_DEPTH)],
                        format!("parentheses are nested more than {MAX_DEPTH} deep"),
                    );
                }
                self.pos += 1;
                let inner = self.or(depth + 1)?;
                self.skip_ws();
                if self.peek() != Some(')') {
                    return self.err(
                        self.pos,
                        "search-unclosed-paren",
                        &[("at", &(start + 1))],
                        format!("expected ')' to close the '(' opened here at character {start}"),
                    );
                }
                self.pos += 1;
                Ok(inner)
            }
            Some('"') => {
                let text = self.phrase()?;
                Ok(Condition::Text { text: normalize_text(&text), prefix: false })
            }
            _ => {
                let word = self.word();
                if word.is_empty() {
                    let ch = self.peek().unwrap_or(' ');
                    return self.err(start, "search-unexpected", &[("char", &ch)], format!("unexpected {ch:?}"));
                }
                // field op value?
                let name_len = word.chars().take_while(|c| c.is_alphanumeric() || *c == '_').count();
                let rest: String = word.chars().skip(name_len).collect();
                let op = ["<=", ">=", ":<=", ":>=", ":<", ":>", ":", "<", ">"].iter().find(|op| rest.starts_with(**op));
                if let (true, Some(op)) = (name_len > 0 && word.chars().next().is_some_and(char::is_alphabetic), op) {
                    let field: String = word.chars().take(name_len).collect::<String>().to_lowercase();
                    let op_str = op.trim_start_matches(':');
                    let op = match op_str {
                        "<=" => Op::Le,
                        ">=" => Op::Ge,
                        "<" => Op::Lt,
                        ">" => Op::Gt,
                        _ => Op::Eq,
                    };
                    let after: String = rest
                        .chars()
                        .skip(op.as_str().len() + usize::from(rest.starts_with(':') && op != Op::Eq))
                        .collect();
                    let value = if after.is_empty() && self.peek() == Some('"') {
                        self.phrase()?
                    } else if after.is_empty() {
                        let term = format!("{field}{}", op.as_str());
                        return self.err(
                            self.pos,
                            "search-needs-value",
                            &[("term", &term)],
                            format!("{term} needs a value"),
                        );
                    } else {
                        after
                    };
                    return Ok(Condition::Field { field, op, value, at: start });
                }
                let prefix = word.ends_with('*') && word.chars().count() > 1;
                let text = normalize_text(word.trim_end_matches('*'));
                if text.is_empty() {
                    return self.err(start, "search-bare-wildcard", &[], "a wildcard needs some text before it");
                }
                Ok(Condition::Text { text, prefix })
            }
        }
    }

    fn phrase(&mut self) -> Result<String, SearchError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return self.err(start, "search-unclosed-quote", &[], "this quote is never closed"),
                Some('"') => {
                    self.pos += 1;
                    break;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
        if out.trim().is_empty() {
            return self.err(start, "search-empty-phrase", &[], "an empty phrase matches nothing");
        }
        Ok(out)
    }

    fn word(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace()
                || c == '('
                || c == ')'
                || (c == '"' && !out.ends_with(':') && !out.ends_with(['<', '>', '=']))
            {
                break;
            }
            if c == '"' {
                break;
            }
            out.push(c);
            self.pos += 1;
        }
        out
    }
}

/// Parses a query into a condition tree.
pub fn parse(query: &str) -> Result<Condition, SearchError> {
    let len = query.chars().count();
    if len > MAX_QUERY_LEN {
        return Err(SearchError::new(
            MAX_QUERY_LEN,
            "search-too-long",
            &[("max", &MAX_QUERY_LEN)],
            format!("the query is longer than {MAX_QUERY_LEN} characters"),
        ));
    }
    let mut p = Parser { chars: query.char_indices().collect(), pos: 0, src: query, terms: 0 };
    p.skip_ws();
    if p.peek().is_none() {
        return p.err(0, "search-empty", &[], "the query is empty");
    }
    let c = p.or(0)?;
    p.skip_ws();
    if let Some(ch) = p.peek() {
        return p.err(p.pos, "search-unexpected", &[("char", &ch)], format!("unexpected {ch:?}"));
    }
    Ok(c)
}

/// How a query asks its results to be ordered: `order_by:updated sort:asc`. These say nothing
/// about what matches, so they are taken out of the tree; each may appear once, at the top.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ordering {
    pub order_by: Option<String>,
    pub sort: Option<String>,
}

const ORDER_FIELDS: [&str; 2] = ["order_by", "sort"];

/// Splits `order_by:` and `sort:` terms from a parsed query.
pub fn split_ordering(c: Condition) -> Result<(Condition, Ordering), SearchError> {
    let top = match c {
        Condition::All(v) => v,
        other => vec![other],
    };
    let mut ordering = Ordering::default();
    let mut rest = Vec::new();
    for term in top {
        match term {
            Condition::Field { field, op: Op::Eq, value, at } if ORDER_FIELDS.contains(&field.as_str()) => {
                let slot = if field == "order_by" { &mut ordering.order_by } else { &mut ordering.sort };
                if slot.is_some() {
                    return Err(SearchError::new(
                        at,
                        "search-given-twice",
                        &[("field", &field)],
                        format!("{field} is given twice"),
                    ));
                }
                *slot = Some(value.to_lowercase());
            }
            other => {
                let mut nested = None;
                other.walk(&mut |c| {
                    if let Condition::Field { field, at, .. } = c
                        && ORDER_FIELDS.contains(&field.as_str())
                    {
                        nested.get_or_insert(*at);
                    }
                });
                if let Some(at) = nested {
                    return Err(SearchError::new(
                        at,
                        "search-ordering-nested",
                        &[],
                        "order_by and sort apply to the whole query: use them outside parentheses, OR and -",
                    ));
                }
                rest.push(other);
            }
        }
    }
    Ok((Condition::All(rest), ordering))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_terms_are_split_out() {
        let (c, o) = split_ordering(parse("status:open order_by:updated sort:asc").unwrap()).unwrap();
        assert_eq!(o, Ordering { order_by: Some("updated".into()), sort: Some("asc".into()) });
        assert!(matches!(c, Condition::All(v) if v.len() == 1));
        let e = split_ordering(parse("status:open OR order_by:updated").unwrap()).unwrap_err();
        assert_eq!(e.position, 15);
        assert!(split_ordering(parse("sort:asc sort:desc").unwrap()).is_err());
    }

    /// Every kind of bad query, with its message and a caret under the position it names.
    /// The snapshot (`snapshots/`) is what a user sees; review changes to it with care.
    #[test]
    fn error_messages_snapshot() {
        use crate::filter::{Context, Record, resolve};
        let long = "a".repeat(MAX_QUERY_LEN + 1);
        let deep = format!("{}status:open{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        let many = (0..=MAX_TERMS).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let queries: Vec<&str> = vec![
            "status:open colour:red",
            "status:waiting",
            "priority>=sometimes",
            "created>yesterday",
            "updated<3fortnights",
            "(status:open",
            "status:open)",
            "subject:\"unterminated",
            "status:",
            "-",
            "OR status:open",
            "status:open OR",
            "tags:\"two words\"",
            "assignee<me",
            "type:group",
            &deep,
            &many,
            &long,
        ];
        let ctx = Context { now: 1_800_000_000, me: 1, fields: &[], org_fields: &[] };
        let mut out = String::new();
        for q in queries {
            let result = parse(q).and_then(|c| resolve(&c, Record::Ticket, ctx));
            let shown: String = if q.chars().count() > 60 {
                format!("{}…", q.chars().take(60).collect::<String>())
            } else {
                q.to_string()
            };
            match result {
                Ok(_) => out.push_str(&format!("query: {shown}\n  ok\n\n")),
                Err(e) => {
                    let caret = if e.position <= 60 {
                        format!("{}^", " ".repeat(e.position))
                    } else {
                        format!("(at {})", e.position)
                    };
                    out.push_str(&format!("query: {shown}\n       {caret}\n  {}\n\n", e.message));
                }
            }
        }
        insta::assert_snapshot!(out);
    }

    fn f(field: &str, op: Op, value: &str) -> Condition {
        Condition::Field { field: field.into(), op, value: value.into(), at: 0 }
    }

    /// Positions aside, for comparing trees.
    fn strip(c: Condition) -> Condition {
        match c {
            Condition::All(v) => Condition::All(v.into_iter().map(strip).collect()),
            Condition::Any(v) => Condition::Any(v.into_iter().map(strip).collect()),
            Condition::Not(b) => Condition::Not(Box::new(strip(*b))),
            Condition::Field { field, op, value, .. } => Condition::Field { field, op, value, at: 0 },
            t => t,
        }
    }

    #[test]
    fn parses_terms_fields_phrases_and_negation() {
        let c = strip(
            parse(
                r#"Impressora status<solved -tags:vip plan:"enterprise plus" "não imprime" created>=2026-01-01 fatur*"#,
            )
            .unwrap(),
        );
        assert_eq!(
            c,
            Condition::All(vec![
                Condition::Text { text: "impressora".into(), prefix: false },
                f("status", Op::Lt, "solved"),
                Condition::Not(Box::new(f("tags", Op::Eq, "vip"))),
                f("plan", Op::Eq, "enterprise plus"),
                Condition::Text { text: "nao imprime".into(), prefix: false },
                f("created", Op::Ge, "2026-01-01"),
                Condition::Text { text: "fatur".into(), prefix: true },
            ])
        );
        assert_eq!(strip(parse("created:>2026-01-01").unwrap()), f("created", Op::Gt, "2026-01-01"));
        assert_eq!(
            parse("a tags:x").unwrap(),
            Condition::All(vec![
                Condition::Text { text: "a".into(), prefix: false },
                Condition::Field { field: "tags".into(), op: Op::Eq, value: "x".into(), at: 2 }
            ])
        );
        assert_eq!(parse("請求").unwrap(), Condition::Text { text: "請求".into(), prefix: false });
    }

    #[test]
    fn or_and_parentheses() {
        let c = strip(parse("(status:open OR status:pending) -assignee:none").unwrap());
        assert_eq!(
            c,
            Condition::All(vec![
                Condition::Any(vec![f("status", Op::Eq, "open"), f("status", Op::Eq, "pending")]),
                Condition::Not(Box::new(f("assignee", Op::Eq, "none"))),
            ])
        );
    }

    #[test]
    fn errors_carry_positions() {
        let cases = [
            ("", 0, "the query is empty"),
            ("status:open \"unclosed", 12, "never closed"),
            ("(status:open", 12, "expected ')'"),
            ("status: open", 7, "needs a value"),
            ("a )", 2, "unexpected ')'"),
            ("tags:\"\"", 5, "empty phrase"),
        ];
        for (q, pos, needle) in cases {
            let e = parse(q).unwrap_err();
            assert!(e.message.contains(needle), "{q:?}: {e}");
            assert_eq!(e.position, pos, "{q:?}: {e}");
        }
        let deep = format!("{}x{}", "(".repeat(9), ")".repeat(9));
        assert!(parse(&deep).unwrap_err().message.contains("nested more than 8"));
        assert!(parse(&"a".repeat(1001)).unwrap_err().message.contains("longer than 1000"));
        let many = vec!["x"; 65].join(" ");
        assert!(parse(&many).unwrap_err().message.contains("more than 64 terms"));
    }

    #[test]
    fn normalisation_strips_accents_and_case_only() {
        assert_eq!(normalize_text("Eletrônico AÇÃO"), "eletronico acao");
        assert_eq!(normalize_text("パス"), "パス");
        assert_ne!(normalize_text("パス"), normalize_text("バス"));
        assert_eq!(normalize_text("ﾊﾞｽ"), "バス");
        assert_eq!(normalize_text("ＡＢＣ１２３"), "abc123");
        assert_eq!(normalize_text("がぎぐ"), "がぎぐ");
        assert_eq!(normalize_text("請求書 🎉"), "請求書 🎉");
    }
}
