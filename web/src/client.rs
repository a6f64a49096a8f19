//! The page's side of the worker: one worker at a time, one request in
//! flight, a time limit on each, and only current results passed on.
//!
//! The page tells the [`Client`] which rule source is chosen
//! ([`Client::set_source`]) and which answers are on screen
//! ([`Client::evaluate`]); the client sends the worker what it needs (a
//! load, then evaluations) and passes each result on as an [`Event`] naming
//! what it was computed for, so the page shows a result only while its
//! answers are still the ones on screen. Requests are numbered; a reply
//! that is not for the request in flight is ignored, and while a request is
//! in flight only the newest evaluation waits (older ones are never sent).
//!
//! A request that runs past its limit ([`CHECK_TIME_LIMIT_MS`],
//! [`EVAL_TIME_LIMIT_MS`]), or a worker that fails, ends the worker: it is
//! terminated, a new one is started (and given the source again when it is
//! needed), and the page is told what was stopped ([`Stopped`]).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use safegrade::Schema;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use yew::{Callback, Reducible};

use crate::answers::Answers;
use crate::engine::{DiagView, Evaluation, StepSchema};
use crate::platform::Timeout;
use crate::state::Source;
use crate::wire::{self, Reply};

/// How long checking a rule file may take (milliseconds): long enough for
/// the largest file the checker accepts on a slow phone, short enough that
/// a file that would never finish is reported while the user still waits.
pub const CHECK_TIME_LIMIT_MS: i32 = 5_000;
/// How long evaluating the answers may take (milliseconds): the shipped
/// rule sets take under a second at their record limits; a user's rule file
/// whose lists cross-aggregate tens of thousands of records can take
/// minutes.
pub const EVAL_TIME_LIMIT_MS: i32 = 5_000;
/// How long `window.safegradeBench` may take (milliseconds): many
/// evaluations in one request.
pub const BENCH_TIME_LIMIT_MS: i32 = 60_000;

/// Why a request was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// It ran past its time limit.
    TimedOut,
    /// The worker failed (or could not be started).
    Failed,
}

/// The answers an evaluation is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalJob {
    /// The rule source.
    pub source: Source,
    /// The answers.
    pub answers: Answers,
    /// The as-of date.
    pub as_of: String,
}

/// A loaded source: its questionnaire when it checked, a scheme's steps,
/// and the problems.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    /// The questionnaire; `None` when the file does not check.
    pub schema: Option<Rc<Schema>>,
    /// A scheme's steps, in order; empty for a rule set.
    pub steps: Rc<Vec<StepSchema>>,
    /// Errors and warnings.
    pub diagnostics: Vec<DiagView>,
}

/// What the client tells the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A source was loaded.
    Loaded(Source, Rc<Loaded>),
    /// Loading a source was stopped.
    LoadStopped(Source, Stopped),
    /// Answers were evaluated.
    Evaluated(Rc<EvalJob>, Rc<Evaluation>),
    /// Evaluating answers was stopped.
    EvalStopped(Rc<EvalJob>, Stopped),
}

/// A load's result, or why it was stopped.
pub type LoadResult = Result<Rc<Loaded>, Stopped>;
/// An evaluation's result, or why it was stopped.
pub type EvalResult = Result<Rc<Evaluation>, Stopped>;

/// The page's view of the worker's results: the latest of each kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct View {
    /// The latest source loaded, or stopped.
    pub load: Option<(Source, LoadResult)>,
    /// The latest evaluation, or why it was stopped.
    pub evaluation: Option<(Rc<EvalJob>, EvalResult)>,
}

impl View {
    /// The load result for `source`, if it has come.
    pub fn load_of(&self, source: &Source) -> Option<&LoadResult> {
        self.load.as_ref().filter(|(s, _)| s == source).map(|(_, l)| l)
    }

    /// The evaluation of exactly these answers, if it has come.
    pub fn evaluation_of(&self, job: &EvalJob) -> Option<&EvalResult> {
        self.evaluation.as_ref().filter(|(j, _)| **j == *job).map(|(_, e)| e)
    }
}

impl Reducible for View {
    type Action = Event;

    fn reduce(self: Rc<Self>, event: Event) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        match event {
            Event::Loaded(s, l) => next.load = Some((s, Ok(l))),
            Event::LoadStopped(s, why) => next.load = Some((s, Err(why))),
            Event::Evaluated(j, e) => next.evaluation = Some((j, Ok(e))),
            Event::EvalStopped(j, why) => next.evaluation = Some((j, Err(why))),
        }
        Rc::new(next)
    }
}

/// Where the chosen source stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Not sent yet.
    Waiting,
    /// Sent; no reply yet.
    Checking,
    /// It checked.
    Good,
    /// It did not check, or was stopped: nothing is evaluated with it.
    Bad,
}

/// What the request in flight is.
enum Kind {
    /// Loading the chosen source (the page's number for it).
    Load(u64),
    /// Loading it again into a new worker, for an evaluation.
    Reload(u64),
    /// Evaluating answers.
    Eval(Rc<EvalJob>),
    /// A benchmark; the promise's `resolve`.
    Bench(js_sys::Function),
}

struct InFlight {
    seq: u64,
    kind: Kind,
    _timer: Option<Timeout>,
}

/// A started worker and the handlers it calls.
struct Running {
    worker: web_sys::Worker,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// The page's connection to its worker (see the module documentation).
pub struct Client {
    this: Weak<RefCell<Client>>,
    on_event: Callback<Event>,
    running: Option<Running>,
    next_seq: u64,
    /// The page's number for the chosen source, the source, and its status.
    source: Option<(u64, Source, Status)>,
    /// The source number the running worker holds.
    worker_has: Option<u64>,
    /// The newest answers to evaluate, and whether they were sent.
    eval: Option<(Rc<EvalJob>, bool)>,
    /// A benchmark waiting: how many evaluations, and the promise's `resolve`.
    bench: Option<(u32, js_sys::Function)>,
    in_flight: Option<InFlight>,
}

impl Client {
    /// A client that tells the page what happens through `on_event`; the
    /// worker is started with the first request.
    pub fn new(on_event: Callback<Event>) -> Rc<RefCell<Client>> {
        Rc::new_cyclic(|this| {
            RefCell::new(Client {
                this: this.clone(),
                on_event,
                running: None,
                next_seq: 1,
                source: None,
                worker_has: None,
                eval: None,
                bench: None,
                in_flight: None,
            })
        })
    }

    /// Chooses the rule source (`None`: none); a new one is loaded.
    pub fn set_source(&mut self, source: Option<Source>) -> Vec<Event> {
        if self.source.as_ref().map(|(_, s, _)| s) == source.as_ref() {
            return Vec::new();
        }
        // Whatever is in flight concerns the old source: a file still being
        // checked (possibly for seconds) must not hold up the new one.
        if let Some(flight) = self.in_flight.take() {
            self.running = None;
            self.worker_has = None;
            if let Kind::Bench(resolve) = flight.kind {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_f64(f64::NAN));
            }
        }
        let n = self.next_seq;
        self.next_seq += 1;
        self.source = source.map(|s| (n, s, Status::Waiting));
        self.eval = None;
        self.pump()
    }

    /// Asks for these answers to be evaluated (once the source checked);
    /// the newest request replaces any that is waiting.
    pub fn evaluate(&mut self, job: EvalJob) -> Vec<Event> {
        if self.eval.as_ref().is_some_and(|(j, _)| **j == job) {
            return Vec::new();
        }
        self.eval = Some((Rc::new(job), false));
        self.pump()
    }

    /// Runs `n` evaluations of the answers last asked for; `resolve` is
    /// called with the mean time in milliseconds (NaN when there is nothing
    /// to evaluate or the worker was stopped).
    pub fn bench(&mut self, n: u32, resolve: js_sys::Function) -> Vec<Event> {
        if let Some((_, old)) = self.bench.replace((n, resolve)) {
            let _ = old.call1(&JsValue::NULL, &JsValue::from_f64(f64::NAN));
        }
        self.pump()
    }

    /// Starts the worker ahead of the first request, so that choosing a rule
    /// set does not wait for it to start.
    pub fn warm(&mut self) -> Vec<Event> {
        // A worker that cannot start is reported with the first request.
        let _ = self.start();
        Vec::new()
    }

    fn seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    fn start(&mut self) -> Result<(), Stopped> {
        if self.running.is_some() {
            return Ok(());
        }
        let opts = web_sys::WorkerOptions::new();
        opts.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options("worker.js", &opts).map_err(|_| Stopped::Failed)?;
        let this = self.this.clone();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let text = e.data().as_string().unwrap_or_default();
            with(&this, |c| c.on_reply(&text));
        });
        let this = self.this.clone();
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            e.prevent_default();
            with(&this, |c| c.stop(None, Stopped::Failed));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The first message is the page's compiled module: the worker
        // instantiates it rather than fetching and compiling it again.
        worker.post_message(&wasm_bindgen::module()).map_err(|_| Stopped::Failed)?;
        self.running = Some(Running { worker, _on_message: on_message, _on_error: on_error });
        self.worker_has = None;
        Ok(())
    }

    fn send(&mut self, seq: u64, kind: Kind, text: &str, limit_ms: i32) -> Vec<Event> {
        if let Err(why) = self.start() {
            self.in_flight = Some(InFlight { seq, kind, _timer: None });
            return self.stop(Some(seq), why);
        }
        let posted = self.running.as_ref().is_some_and(|r| r.worker.post_message(&JsValue::from_str(text)).is_ok());
        let this = self.this.clone();
        let timer = Timeout::new(limit_ms, move || with(&this, |c| c.stop(Some(seq), Stopped::TimedOut)));
        self.in_flight = Some(InFlight { seq, kind, _timer: timer });
        if posted {
            Vec::new()
        } else {
            self.stop(Some(seq), Stopped::Failed)
        }
    }

    /// Sends the next request when none is in flight.
    fn pump(&mut self) -> Vec<Event> {
        if self.in_flight.is_some() {
            return Vec::new();
        }
        let Some((n, src, status)) = self.source.clone() else { return self.drop_bench() };
        match status {
            Status::Waiting => {
                if let Some(s) = self.source.as_mut() {
                    s.2 = Status::Checking;
                }
                let seq = self.seq();
                return self.send(seq, Kind::Load(n), &wire::load_request(seq, n, &src), CHECK_TIME_LIMIT_MS);
            }
            Status::Checking => return Vec::new(),
            Status::Bad => return self.drop_bench(),
            Status::Good => {}
        }
        let wanted = self.eval.as_ref().is_some_and(|(_, sent)| !sent) || self.bench.is_some();
        if !wanted {
            return Vec::new();
        }
        if self.worker_has != Some(n) {
            let seq = self.seq();
            return self.send(seq, Kind::Reload(n), &wire::load_request(seq, n, &src), CHECK_TIME_LIMIT_MS);
        }
        let seq = self.seq();
        if let Some((job, sent)) = self.eval.as_mut().filter(|(_, sent)| !sent) {
            *sent = true;
            let job = job.clone();
            let text = wire::eval_request(seq, n, &job.as_of, &job.answers, None);
            return self.send(seq, Kind::Eval(job), &text, EVAL_TIME_LIMIT_MS);
        }
        match (self.bench.take(), self.eval.as_ref()) {
            (Some((count, resolve)), Some((job, _))) => {
                let text = wire::eval_request(seq, n, &job.as_of, &job.answers, Some(count));
                self.send(seq, Kind::Bench(resolve), &text, BENCH_TIME_LIMIT_MS)
            }
            (Some((_, resolve)), None) => {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_f64(f64::NAN));
                Vec::new()
            }
            (None, _) => Vec::new(),
        }
    }

    fn drop_bench(&mut self) -> Vec<Event> {
        if let Some((_, resolve)) = self.bench.take() {
            let _ = resolve.call1(&JsValue::NULL, &JsValue::from_f64(f64::NAN));
        }
        Vec::new()
    }

    fn on_reply(&mut self, text: &str) -> Vec<Event> {
        let Some(reply) = Reply::parse(text) else { return Vec::new() };
        let Some(flight) = self.in_flight.take_if(|f| f.seq == reply.seq()) else { return Vec::new() };
        let mut events = Vec::new();
        match (flight.kind, reply) {
            (kind @ (Kind::Load(n) | Kind::Reload(n)), Reply::Loaded { schema, steps, diagnostics, .. }) => {
                let checked = schema.is_some();
                self.worker_has = checked.then_some(n);
                if let Some(s) = self.source.as_mut().filter(|s| s.0 == n) {
                    s.2 = if checked { Status::Good } else { Status::Bad };
                    if matches!(kind, Kind::Load(_)) {
                        let loaded = Loaded { schema: schema.map(|s| Rc::new(*s)), steps: Rc::new(steps), diagnostics };
                        events.push(Event::Loaded(s.1.clone(), Rc::new(loaded)));
                    }
                }
            }
            (Kind::Eval(job), Reply::Evaluated { evaluation, .. })
                if self.eval.as_ref().is_some_and(|(j, _)| Rc::ptr_eq(j, &job)) =>
            {
                events.push(Event::Evaluated(job, Rc::new(evaluation)));
            }
            (Kind::Eval(job), Reply::NotLoaded { .. }) => {
                self.worker_has = None;
                self.resend(&job);
            }
            (Kind::Bench(resolve), reply) => {
                let mean = if let Reply::Bench { mean_ms, .. } = reply { mean_ms } else { f64::NAN };
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_f64(mean));
            }
            _ => {}
        }
        events.extend(self.pump());
        events
    }

    /// Marks an evaluation to be sent again when it is still the newest.
    fn resend(&mut self, job: &Rc<EvalJob>) {
        if let Some((j, sent)) = self.eval.as_mut() {
            if Rc::ptr_eq(j, job) {
                *sent = false;
            }
        }
    }

    /// Ends the worker because the request `seq` ran out of time, or (with
    /// `None`) because the worker failed, with or without a request in
    /// flight; a new worker starts with the next request.
    fn stop(&mut self, seq: Option<u64>, why: Stopped) -> Vec<Event> {
        let flight = self.in_flight.take_if(|f| seq.is_none_or(|s| s == f.seq));
        if flight.is_none() && seq.is_some() {
            // A time limit of a request already answered.
            return Vec::new();
        }
        self.running = None;
        self.worker_has = None;
        let Some(flight) = flight else { return Vec::new() };
        let mut events = Vec::new();
        match flight.kind {
            Kind::Load(n) | Kind::Reload(n) => {
                if let Some(s) = self.source.as_mut().filter(|s| s.0 == n) {
                    s.2 = Status::Bad;
                    events.push(Event::LoadStopped(s.1.clone(), why));
                }
            }
            Kind::Eval(job) => {
                if self.eval.as_ref().is_some_and(|(j, _)| Rc::ptr_eq(j, &job)) {
                    events.push(Event::EvalStopped(job, why));
                }
            }
            Kind::Bench(resolve) => {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_f64(f64::NAN));
            }
        }
        events.extend(self.pump());
        events
    }
}

/// Runs `f` on the client, if it is still alive, and passes the events it
/// returns to the page once the client is no longer borrowed.
pub fn with(this: &Weak<RefCell<Client>>, f: impl FnOnce(&mut Client) -> Vec<Event>) {
    let Some(client) = this.upgrade() else { return };
    let Ok(mut c) = client.try_borrow_mut() else { return };
    let events = f(&mut c);
    let cb = c.on_event.clone();
    drop(c);
    for e in events {
        cb.emit(e);
    }
}
