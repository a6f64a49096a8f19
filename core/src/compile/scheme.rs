//! The check stage of a scheme: what ties its steps together. Each `from`
//! fill of a step names an earlier step and a result of it (`grade`,
//! `score` or a derived value) that the input can take (R0206), and inputs
//! and lists that steps share have one type (R0207). Loading the steps'
//! files, and the scheme's own structure, is `load`'s.

use crate::diagnostic::{did_you_mean, Code, Diagnostic, FileId, Span};
use crate::plan::{Fill, FillFrom, Missing, Plan, Ty, ValueType};
use crate::syntax::document::Document;
use crate::syntax::span_of;

use super::lower::unify;

/// Resolves the `from` inputs of step `alias`, whose plan was compiled from
/// `doc` in `file`; `earlier` are the steps before it, by alias. Steps in
/// `failed` did not load: fills naming them are not reported again.
pub(crate) fn resolve_fills(
    alias: &str,
    (plan, doc, file): (&Plan, &Document, FileId),
    earlier: &[(&str, &Plan)],
    failed: &[String],
    at: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Fill> {
    let mut fills = Vec::new();
    for (i, field) in plan.inputs.iter().enumerate() {
        let Some(from) = &field.from else { continue };
        let Some((step, what)) = from.split_once('.') else { continue };
        if failed.iter().any(|f| f == step) {
            continue;
        }
        let Some(idx) = earlier.iter().position(|(a, _)| *a == step) else {
            let hint = did_you_mean(step, earlier.iter().map(|(a, _)| *a));
            diags.push(
                Diagnostic::error(
                    Code::BadFrom,
                    at,
                    format!(
                        "step `{alias}`: input `{}` comes from `{from}`, but no earlier step is called `{step}`",
                        field.name
                    ),
                )
                .with_help(
                    hint.map_or("a step can read only the steps listed before it".into(), |h| {
                        format!("did you mean `{h}`?")
                    }),
                ),
            );
            continue;
        };
        let src = earlier[idx].1;
        let resolved = match what {
            "grade" => match field.vtype.ty() {
                Ty::Enum(e) => {
                    let opts = &plan.enums[e as usize].options;
                    let missing: Vec<&str> =
                        src.grades.iter().map(|g| &*g.id).filter(|g| !opts.iter().any(|(o, _)| &**o == *g)).collect();
                    if !missing.is_empty() {
                        diags.push(Diagnostic::error(
                            Code::BadFrom,
                            at,
                            format!(
                                "step `{alias}`: input `{}` has no option for grade(s) {} of step `{step}`",
                                field.name,
                                missing.join(", ")
                            ),
                        ));
                    }
                    Some(FillFrom::Grade)
                }
                Ty::Text => Some(FillFrom::Grade),
                _ => None,
            },
            "score" => (field.vtype.ty() == Ty::Num).then_some(FillFrom::Score),
            name => (src.derived.iter())
                .position(|d| &*d.name == name && unify(d.ty, field.vtype.ty()).is_some())
                .map(FillFrom::Derived),
        };
        let Some(from) = resolved else {
            diags.push(
                Diagnostic::error(
                    Code::BadFrom,
                    at,
                    format!("step `{alias}`: input `{}` cannot take `{from}`", field.name),
                )
                .with_help(
                    "`grade` fills an enum or text input, `score` a number input, a derived value name its value",
                ),
            );
            continue;
        };
        let whole = match from {
            FillFrom::Score => src.score.whole,
            FillFrom::Derived(d) => src.derived[d].whole,
            FillFrom::Grade => true,
        };
        if field.vtype == ValueType::Integer && !whole {
            let from_span = doc.inputs.iter().find(|(n, _)| n.get_ref().as_str() == &*field.name);
            let from_span = from_span.and_then(|(_, input)| input.get_ref().from.as_ref()).map(|f| span_of(f, file));
            let help = if what == "score" {
                format!("round the score of `{step}` to 0 places, or declare `{}` decimal", field.name)
            } else {
                format!(
                    "round `{what}` with round(…, 0, \"mode\"), floor(…) or ceil(…), or declare `{}` decimal",
                    field.name
                )
            };
            diags.push(
                Diagnostic::error(
                    Code::BadFrom,
                    from_span,
                    format!(
                        "step `{alias}`: input `{}` is an integer, but `{step}.{what}` may have a fraction",
                        field.name
                    ),
                )
                .with_help(help),
            );
            continue;
        }
        fills.push(Fill { input: i as u32, step: idx, what: what.to_string(), from });
    }
    fills
}

/// Checks that the inputs and lists step `alias` shares with earlier steps
/// (by name) have the same types, options and fields: the firm's data is
/// read once for all steps.
pub(crate) fn check_shared_inputs(
    alias: &str,
    plan: &Plan,
    earlier: &[(&str, &Plan)],
    at: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) {
    for &(other_alias, other) in earlier {
        for f in plan.inputs.iter().filter(|f| f.from.is_none()) {
            if let Some(g) = other.inputs.iter().find(|g| g.name == f.name && g.from.is_none()) {
                if !same_type(plan, &f.vtype, other, &g.vtype) {
                    diags.push(
                        Diagnostic::error(
                            Code::BadMissing,
                            at,
                            format!(
                                "input `{}` has type {} in step `{alias}` but {} in step `{}`",
                                f.name,
                                f.vtype.name(),
                                g.vtype.name(),
                                other_alias
                            ),
                        )
                        .with_help(
                            "the firm's data is shared by all steps: give shared inputs the same type and options",
                        ),
                    );
                }
            }
        }
        for l in &plan.lists {
            if let Some(m) = other.lists.iter().find(|m| m.name == l.name) {
                let same = l.fields.len() == m.fields.len()
                    && l.fields.iter().zip(&m.fields).all(|(a, b)| {
                        a.name == b.name
                            && same_type(plan, &a.vtype, other, &b.vtype)
                            && same_missing(plan, &a.missing, other, &b.missing)
                    });
                if !same {
                    diags.push(Diagnostic::error(
                        Code::BadMissing,
                        at,
                        format!("list `{}` has different fields in step `{alias}` and step `{other_alias}`", l.name),
                    ).with_help("the firm's data is shared by all steps: declare shared lists with the same fields, types and defaults"));
                }
            }
        }
    }
}

fn same_type(pa: &Plan, a: &ValueType, pb: &Plan, b: &ValueType) -> bool {
    use ValueType as V;
    match (a, b) {
        (V::Enum(x), V::Enum(y)) => {
            let ox: Vec<&str> = pa.enums[*x as usize].options.iter().map(|(o, _)| &**o).collect();
            let oy: Vec<&str> = pb.enums[*y as usize].options.iter().map(|(o, _)| &**o).collect();
            ox == oy
        }
        _ => a == b,
    }
}

/// Whether two steps treat a missing value alike: a default is compared by
/// its text, since each rule set numbers its own texts.
fn same_missing(pa: &Plan, a: &Missing, pb: &Plan, b: &Missing) -> bool {
    match (a, b) {
        (Missing::Default(x), Missing::Default(y)) => pa.names.resolved(x) == pb.names.resolved(y),
        _ => a == b,
    }
}
