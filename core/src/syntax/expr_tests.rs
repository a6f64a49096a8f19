//! Tests for the expression parser: shapes, spans, and every syntax error.

use super::*;

fn parse(src: &str) -> Result<Expr, Diagnostic> {
    parse_expr(src, 0, 0)
}

fn shape(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => n.to_string(),
        ExprKind::Text(s) => format!("{s:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Duration(e, u) => format!("({} {u:?})", shape(e)),
        ExprKind::Neg(e) => format!("(- {})", shape(e)),
        ExprKind::Not(e) => format!("(not {})", shape(e)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), shape(a), shape(b)),
        ExprKind::If(br, e) => {
            let mut s = "(if".to_string();
            for (c, t) in br {
                s += &format!(" {} {}", shape(c), shape(t));
            }
            s + &format!(" else {})", shape(e))
        }
        ExprKind::InList(e, l) => {
            format!("(in {} [{}])", shape(e), l.iter().map(shape).collect::<Vec<_>>().join(" "))
        }
        ExprKind::InName(e, n, _) => format!("(in {} {n})", shape(e)),
        ExprKind::Within(a, b) => format!("(within {} {})", shape(a), shape(b)),
        ExprKind::Call { name, args, filter, default, .. } => {
            let mut s = format!("({name}");
            for a in args {
                s += &format!(" {}", shape(a));
            }
            if let Some(f) = filter {
                s += &format!(" where {}", shape(f));
            }
            if let Some(d) = default {
                s += &format!(" else {}", shape(d));
            }
            s + ")"
        }
    }
}

#[track_caller]
fn check(src: &str, expect: &str) {
    match parse(src) {
        Ok(e) => assert_eq!(shape(&e), expect, "source: {src}"),
        Err(d) => panic!("{src}: {}", d.message),
    }
}

#[track_caller]
fn check_err(src: &str, expect_msg: &str, expect_start: usize) {
    match parse(src) {
        Ok(e) => panic!("{src} parsed as {}", shape(&e)),
        Err(d) => {
            assert!(d.message.contains(expect_msg), "{src}: got `{}`", d.message);
            assert_eq!(d.span.map(|s| s.start), Some(expect_start), "{src}: {}", d.message);
        }
    }
}

#[test]
fn precedence() {
    check("1 + 2 * 3", "(+ 1 (* 2 3))");
    check("1 - 2 - 3", "(- (- 1 2) 3)");
    check("a or b and not c", "(or a (and b (not c)))");
    check("a + 1 >= b * 2", "(>= (+ a 1) (* b 2))");
    check("-x * 2", "(* (- x) 2)");
    check("-2.5", "-2.5");
    check("(1 + 2) * 3", "(* (+ 1 2) 3)");
}

#[test]
fn forms() {
    check("if a then 1 elif b then 2 else 3", "(if a 1 b 2 else 3)");
    check("date within 3 years", "(within date (3 Years))");
    check("as_of - 12 months", "(- as_of (12 Months))");
    check("kind in [\"a\", \"b\"]", "(in kind [\"a\" \"b\"])");
    check("name in table1", "(in name table1)");
    check("count(accidents where level >= 3)", "(count accidents where (>= level 3))");
    check("max(accidents, deaths where x else 0)", "(max accidents deaths where x else 0)");
    check("f()", "(f)");
    check("'单引号'", "\"单引号\"");
    check("死亡人数 > 1_000", "(> 死亡人数 1000)");
}

#[test]
fn errors() {
    check_err("1 +", "expected a value, found the end of the expression", 3);
    check_err("(1", "expected `)`", 2);
    check_err("a = 1", "`=` is not an operator", 2);
    check_err("1 2", "expected an operator", 2);
    check_err("\"abc", "unterminated text literal", 0);
    check_err("a # b", "unexpected character `#`", 2);
    check_err("if a then 1", "expected `else`", 11);
    check_err("x in 3", "expected `[` or a table name", 5);
    check_err("1.", "is not a number", 0);
    check_err("and", "expected a value", 0);
}

#[test]
fn depth_is_bounded() {
    let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let err = parse(&deep).unwrap_err();
    assert_eq!(err.code, Code::TooDeep);
    let negs = format!("{}1", "- ".repeat(5_000));
    assert_eq!(parse(&negs).unwrap_err().code, Code::TooDeep);
    let nots = format!("{}true", "not ".repeat(2_000));
    assert_eq!(parse(&nots).unwrap_err().code, Code::TooDeep);
    let long = "1 + ".repeat(3_000) + "1";
    assert!(parse(&long).unwrap_err().message.contains("limit"));
    let chain = "1 + ".repeat(1_000) + "1";
    assert!(parse(&chain).unwrap_err().message.contains("operations deep"));
    let chain = "1 + ".repeat(100) + "1";
    assert!(parse(&chain).is_ok(), "a moderate flat chain is fine");
}

#[test]
fn spans_point_into_the_file() {
    let e = parse_expr("a + bb", 3, 100).unwrap();
    assert_eq!(e.span, Span { file: 3, start: 100, end: 106 });
    let ExprKind::Binary(_, _, rhs) = e.kind else { panic!() };
    assert_eq!((rhs.span.start, rhs.span.end), (104, 106));
}
