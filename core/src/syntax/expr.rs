//! The expression language: lexer and recursive-descent parser to an AST
//! with byte spans.
//!
//! Parsing never panics and never recurses without bound: nesting deeper than
//! [`MAX_DEPTH`] and sources longer than [`MAX_LEN`] are syntax errors. Spans
//! are offsets into the rule file (the caller passes where the expression
//! text starts), so diagnostics point into the file as written.

use rust_decimal::Decimal;

use crate::diagnostic::{Code, Diagnostic, FileId, Span};
use crate::value::{read_number, NumberTextError};

/// Deepest nesting of an expression.
pub const MAX_DEPTH: usize = 64;
/// Longest expression, in bytes.
pub const MAX_LEN: usize = 10_000;

/// An expression node.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DurationUnit {
    Years,
    Months,
    Days,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ExprKind {
    Number(Decimal),
    Text(String),
    Bool(bool),
    Name(String),
    Duration(Box<Expr>, DurationUnit),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    If(Vec<(Expr, Expr)>, Box<Expr>),
    InList(Box<Expr>, Vec<Expr>),
    InName(Box<Expr>, String, Span),
    Within(Box<Expr>, Box<Expr>),
    Call { name: String, name_span: Span, args: Vec<Expr>, filter: Option<Box<Expr>>, default: Option<Box<Expr>> },
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(Decimal),
    Str(String),
    Ident(String),
    Op(&'static str),
    Eof,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

const OPS: [&str; 16] = ["==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", ",", "[", "]", "="];

impl Lexer<'_> {
    fn next(&mut self) -> Result<(Tok, usize, usize), (String, usize, usize)> {
        let bytes = self.src.as_bytes();
        while self.pos < bytes.len() && (bytes[self.pos] as char).is_ascii_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(c) = self.src[start..].chars().next() else {
            return Ok((Tok::Eof, start, start));
        };
        if c.is_ascii_digit() {
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.' || bytes[end] == b'_') {
                end += 1;
            }
            self.pos = end;
            let text: String = self.src[start..end].chars().filter(|&c| c != '_').collect();
            let written = &self.src[start..end];
            if text.ends_with('.') {
                return Err((NumberTextError::NotANumber.message(written), start, end));
            }
            return match read_number(&text, false) {
                Ok(d) => Ok((Tok::Num(d), start, end)),
                Err(e) => Err((e.message(written), start, end)),
            };
        }
        if c == '"' || c == '\'' {
            let mut end = start + 1;
            let mut value = String::new();
            loop {
                let Some(ch) = self.src[end..].chars().next() else {
                    return Err(("unterminated text literal".into(), start, end));
                };
                end += ch.len_utf8();
                if ch == c {
                    break;
                }
                value.push(ch);
            }
            self.pos = end;
            return Ok((Tok::Str(value), start, end));
        }
        if c.is_alphabetic() || c == '_' {
            let mut end = start;
            for ch in self.src[start..].chars() {
                if ch.is_alphanumeric() || ch == '_' {
                    end += ch.len_utf8();
                } else {
                    break;
                }
            }
            self.pos = end;
            return Ok((Tok::Ident(self.src[start..end].to_string()), start, end));
        }
        for op in OPS {
            if self.src[start..].starts_with(op) {
                self.pos = start + op.len();
                if op == "=" {
                    return Err(("`=` is not an operator".into(), start, self.pos));
                }
                return Ok((Tok::Op(op), start, self.pos));
            }
        }
        self.pos = start + c.len_utf8();
        Err((format!("unexpected character `{c}`"), start, self.pos))
    }
}

const KEYWORDS: [&str; 12] =
    ["and", "or", "not", "if", "then", "elif", "else", "in", "within", "where", "true", "false"];

/// Whether `name` is reserved: a keyword, or `as_of`, which every
/// expression reads as the assessment date.
pub(crate) fn is_reserved(name: &str) -> bool {
    name == "as_of" || KEYWORDS.contains(&name)
}

/// Parses one expression. `file` and `offset` place the text in its rule file.
pub(crate) fn parse_expr(src: &str, file: FileId, offset: usize) -> Result<Expr, Diagnostic> {
    if src.len() > MAX_LEN {
        return Err(Diagnostic::error(
            Code::TooDeep,
            Some(Span::new(file, offset..offset + 1)),
            format!("expression is {} bytes long; the limit is {MAX_LEN}", src.len()),
        )
        .with_help("split it into derived values"));
    }
    let mut lexer = Lexer { src, pos: 0 };
    let mut toks = Vec::new();
    loop {
        match lexer.next() {
            Ok((Tok::Eof, s, e)) => {
                toks.push((Tok::Eof, s, e));
                break;
            }
            Ok(t) => toks.push(t),
            Err((msg, s, e)) => {
                return Err(Diagnostic::error(Code::Syntax, Some(Span::new(file, offset + s..offset + e)), msg));
            }
        }
    }
    let mut p = Parser { toks, idx: 0, file, offset, depth: 0 };
    let e = p.expr()?;
    if p.peek() != &Tok::Eof {
        return Err(p.error_here("expected an operator or the end of the expression"));
    }
    if tree_depth(&e) > MAX_TREE_DEPTH {
        return Err(Diagnostic::error(
            Code::TooDeep,
            Some(e.span),
            format!("expression is more than {MAX_TREE_DEPTH} operations deep"),
        )
        .with_help("split long chains of operators into derived values"));
    }
    Ok(e)
}

/// Deepest tree a parsed expression may form: flat chains such as
/// `a + b + c …` are parsed without recursion but still form deep trees,
/// which the later stages walk recursively.
const MAX_TREE_DEPTH: usize = 128;

fn tree_depth(root: &Expr) -> usize {
    let mut max = 0;
    let mut stack = vec![(root, 1)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        stack.extend(e.children().into_iter().map(|c| (c, d + 1)));
    }
    max
}

impl Expr {
    /// The direct subexpressions, in source order.
    pub(crate) fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) | ExprKind::Name(_) => vec![],
            ExprKind::Duration(a, _) | ExprKind::Neg(a) | ExprKind::Not(a) | ExprKind::InName(a, _, _) => {
                vec![a]
            }
            ExprKind::Binary(_, a, b) | ExprKind::Within(a, b) => vec![a, b],
            ExprKind::If(branches, otherwise) => {
                let mut v: Vec<&Expr> = branches.iter().flat_map(|(c, t)| [c, t]).collect();
                v.push(otherwise);
                v
            }
            ExprKind::InList(a, list) => std::iter::once(&**a).chain(list).collect(),
            ExprKind::Call { args, filter, default, .. } => {
                args.iter().chain(filter.as_deref()).chain(default.as_deref()).collect()
            }
        }
    }
}

struct Parser {
    toks: Vec<(Tok, usize, usize)>,
    idx: usize,
    file: FileId,
    offset: usize,
    depth: usize,
}

type PResult = Result<Expr, Diagnostic>;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.idx].0
    }

    fn span_at(&self, idx: usize) -> Span {
        let (_, s, e) = self.toks[idx.min(self.toks.len() - 1)];
        Span::new(self.file, self.offset + s..self.offset + e)
    }

    fn join(&self, a: Span, b: Span) -> Span {
        Span { file: self.file, start: a.start, end: b.end.max(a.end) }
    }

    fn bump(&mut self) -> (Tok, Span) {
        let span = self.span_at(self.idx);
        let tok = self.toks[self.idx].0.clone();
        if self.idx + 1 < self.toks.len() {
            self.idx += 1;
        }
        (tok, span)
    }

    fn error_here(&self, msg: &str) -> Diagnostic {
        let found = match self.peek() {
            Tok::Eof => "the end of the expression".to_string(),
            Tok::Num(n) => format!("`{n}`"),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Op(o) => format!("`{o}`"),
        };
        Diagnostic::error(Code::Syntax, Some(self.span_at(self.idx)), format!("{msg}, found {found}"))
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == kw)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), Diagnostic> {
        if self.is_kw(kw) {
            self.bump();
            Ok(())
        } else {
            Err(self.error_here(&format!("expected `{kw}`")))
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<Span, Diagnostic> {
        if self.is_op(op) {
            Ok(self.bump().1)
        } else {
            Err(self.error_here(&format!("expected `{op}`")))
        }
    }

    fn nest(&mut self) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::error(
                Code::TooDeep,
                Some(self.span_at(self.idx)),
                format!("expression nests more than {MAX_DEPTH} levels deep"),
            )
            .with_help("split it into derived values"));
        }
        Ok(())
    }

    fn expr(&mut self) -> PResult {
        self.nest()?;
        let res = if self.is_kw("if") { self.if_expr() } else { self.or_expr() };
        self.depth -= 1;
        res
    }

    fn if_expr(&mut self) -> PResult {
        let (_, start) = self.bump();
        let mut branches = Vec::new();
        loop {
            let cond = self.expr()?;
            self.expect_kw("then")?;
            let then = self.expr()?;
            branches.push((cond, then));
            if self.is_kw("elif") {
                self.bump();
                continue;
            }
            self.expect_kw("else")?;
            break;
        }
        let otherwise = self.expr()?;
        let span = self.join(start, otherwise.span);
        Ok(Expr { kind: ExprKind::If(branches, Box::new(otherwise)), span })
    }

    fn binary_chain(&mut self, ops: &[(&str, BinOp)], next: fn(&mut Parser) -> PResult) -> PResult {
        let mut lhs = next(self)?;
        'outer: loop {
            for (text, op) in ops {
                let hit = match self.peek() {
                    Tok::Ident(s) => s == text,
                    Tok::Op(o) => o == text,
                    _ => false,
                };
                if hit {
                    self.bump();
                    self.nest()?;
                    let rhs = next(self);
                    self.depth -= 1;
                    let rhs = rhs?;
                    let span = self.join(lhs.span, rhs.span);
                    lhs = Expr { kind: ExprKind::Binary(*op, Box::new(lhs), Box::new(rhs)), span };
                    continue 'outer;
                }
            }
            return Ok(lhs);
        }
    }

    fn or_expr(&mut self) -> PResult {
        self.binary_chain(&[("or", BinOp::Or)], Parser::and_expr)
    }

    fn and_expr(&mut self) -> PResult {
        self.binary_chain(&[("and", BinOp::And)], Parser::not_expr)
    }

    fn not_expr(&mut self) -> PResult {
        if self.is_kw("not") {
            let (_, start) = self.bump();
            self.nest()?;
            let inner = self.not_expr();
            self.depth -= 1;
            let inner = inner?;
            let span = self.join(start, inner.span);
            return Ok(Expr { kind: ExprKind::Not(Box::new(inner)), span });
        }
        self.cmp_expr()
    }

    fn cmp_expr(&mut self) -> PResult {
        let lhs = self.add_expr()?;
        const CMP: [(&str, BinOp); 6] = [
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
        ];
        for (text, op) in CMP {
            if self.is_op(text) {
                self.bump();
                let rhs = self.add_expr()?;
                let span = self.join(lhs.span, rhs.span);
                return Ok(Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span });
            }
        }
        if self.is_kw("in") {
            self.bump();
            if self.is_op("[") {
                self.bump();
                let mut elems = Vec::new();
                if !self.is_op("]") {
                    loop {
                        elems.push(self.expr()?);
                        if self.is_op(",") {
                            self.bump();
                            continue;
                        }
                        break;
                    }
                }
                let end = self.expect_op("]")?;
                let span = self.join(lhs.span, end);
                return Ok(Expr { kind: ExprKind::InList(Box::new(lhs), elems), span });
            }
            let before = self.idx;
            let (tok, name_span) = self.bump();
            let Tok::Ident(name) = tok else {
                self.idx = before;
                return Err(self.error_here("expected `[` or a table name after `in`"));
            };
            let span = self.join(lhs.span, name_span);
            return Ok(Expr { kind: ExprKind::InName(Box::new(lhs), name, name_span), span });
        }
        if self.is_kw("within") {
            self.bump();
            let rhs = self.add_expr()?;
            let span = self.join(lhs.span, rhs.span);
            return Ok(Expr { kind: ExprKind::Within(Box::new(lhs), Box::new(rhs)), span });
        }
        Ok(lhs)
    }

    fn add_expr(&mut self) -> PResult {
        self.binary_chain(&[("+", BinOp::Add), ("-", BinOp::Sub)], Parser::mul_expr)
    }

    fn mul_expr(&mut self) -> PResult {
        self.binary_chain(&[("*", BinOp::Mul), ("/", BinOp::Div)], Parser::unary_expr)
    }

    fn unary_expr(&mut self) -> PResult {
        if self.is_op("-") {
            let (_, start) = self.bump();
            self.nest()?;
            let inner = self.unary_expr();
            self.depth -= 1;
            let inner = inner?;
            let span = self.join(start, inner.span);
            if let ExprKind::Number(n) = inner.kind {
                return Ok(Expr { kind: ExprKind::Number(-n), span });
            }
            return Ok(Expr { kind: ExprKind::Neg(Box::new(inner)), span });
        }
        self.duration_expr()
    }

    fn duration_expr(&mut self) -> PResult {
        let e = self.primary()?;
        let unit = match self.peek() {
            Tok::Ident(s) => match s.as_str() {
                "year" | "years" => Some(DurationUnit::Years),
                "month" | "months" => Some(DurationUnit::Months),
                "day" | "days" => Some(DurationUnit::Days),
                _ => None,
            },
            _ => None,
        };
        if let Some(unit) = unit {
            let (_, end) = self.bump();
            let span = self.join(e.span, end);
            return Ok(Expr { kind: ExprKind::Duration(Box::new(e), unit), span });
        }
        Ok(e)
    }

    fn primary(&mut self) -> PResult {
        let before = self.idx;
        let (tok, span) = self.bump();
        match tok {
            Tok::Num(n) => Ok(Expr { kind: ExprKind::Number(n), span }),
            Tok::Str(s) => Ok(Expr { kind: ExprKind::Text(s), span }),
            Tok::Op("(") => {
                let inner = self.expr()?;
                let end = self.expect_op(")")?;
                Ok(Expr { kind: inner.kind, span: self.join(span, end) })
            }
            Tok::Ident(name) if name == "true" || name == "false" => {
                Ok(Expr { kind: ExprKind::Bool(name == "true"), span })
            }
            Tok::Ident(name) if KEYWORDS.contains(&name.as_str()) => {
                self.idx = before;
                Err(self.error_here("expected a value"))
            }
            Tok::Ident(name) => {
                if !self.is_op("(") {
                    return Ok(Expr { kind: ExprKind::Name(name), span });
                }
                self.bump();
                let mut args = Vec::new();
                let mut filter = None;
                let mut default = None;
                if !self.is_op(")") {
                    loop {
                        args.push(self.expr()?);
                        if self.is_op(",") {
                            self.bump();
                            continue;
                        }
                        break;
                    }
                }
                if self.is_kw("where") {
                    self.bump();
                    filter = Some(Box::new(self.expr()?));
                }
                if self.is_kw("else") {
                    self.bump();
                    default = Some(Box::new(self.expr()?));
                }
                let end = self.expect_op(")")?;
                Ok(Expr {
                    kind: ExprKind::Call { name, name_span: span, args, filter, default },
                    span: self.join(span, end),
                })
            }
            _ => {
                self.idx = before;
                Err(self.error_here("expected a value"))
            }
        }
    }
}

#[cfg(test)]
#[path = "expr_tests.rs"]
mod tests;
