//! The worker's side: checking rule files and evaluating answers off the
//! page's thread.
//!
//! `worker.js` instantiates the page's own wasm module (the page posts its
//! compiled `WebAssembly.Module`, so nothing is downloaded or compiled
//! twice) and hands every request to [`handle`] (exported as
//! `worker_message` by `main.rs`). The worker keeps
//! the compiled rules (a rule set or a scheme) of the last source it loaded, by the page's number for
//! it, so an evaluation sends only the answers. A request that runs too long
//! is not stopped here: the page terminates the whole worker and starts a
//! new one ([`crate::client`]).

use std::cell::RefCell;
use std::rc::Rc;

use safegrade::Rules;

use crate::engine::{self, Evaluation};
use crate::state::Source;
use crate::wire::{Reply, Request};

thread_local! {
    /// The page's number for the loaded source, and its compiled rules.
    static LOADED: RefCell<Option<(u64, Rules)>> = const { RefCell::new(None) };
}

/// The worker's entry point: answers one request's text (see
/// [`crate::wire`]) with its reply's text, timing evaluations with `now`
/// (milliseconds).
pub fn handle(request: &str, now: impl Fn() -> f64) -> String {
    let req = match Request::parse(request) {
        Ok(r) => r,
        Err((seq, message)) => return Reply::Refused { seq, message }.to_json(),
    };
    let reply = match req {
        Request::Load { seq, source, path, text, others } => {
            let src = match text {
                Some(text) => {
                    let others = others.into_iter().map(|(p, t)| (p, Rc::from(t))).collect::<Vec<_>>();
                    Source::Own { path, text: text.into(), others: others.into() }
                }
                None => Source::Shipped(path),
            };
            let loaded = engine::load_source(Some(&src));
            LOADED.with(|l| *l.borrow_mut() = loaded.rules.map(|r| (source, r)));
            Reply::Loaded {
                seq,
                schema: loaded.schema.map(Box::new),
                steps: loaded.steps,
                diagnostics: loaded.diagnostics,
            }
        }
        Request::Eval { seq, source, as_of, answers, bench } => LOADED.with(|l| {
            let l = l.borrow();
            let Some((_, rules)) = l.as_ref().filter(|(s, _)| *s == source) else {
                return Reply::NotLoaded { seq };
            };
            let start = now();
            match bench {
                Some(n) => {
                    for _ in 0..n {
                        let _ = engine::evaluate(rules, &answers, &as_of);
                    }
                    Reply::Bench { seq, mean_ms: (now() - start) / f64::from(n) }
                }
                None => {
                    let outcome = engine::evaluate(rules, &answers, &as_of);
                    Reply::Evaluated { seq, evaluation: Evaluation { outcome, millis: now() - start } }
                }
            }
        }),
    };
    reply.to_json()
}
