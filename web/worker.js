// The portal's worker (web/src/worker.rs, web/src/client.rs): checks rule
// files and evaluates answers so the page never waits for them.
//
// The first message is the page's compiled WebAssembly.Module, instantiated
// here as is: nothing is downloaded or compiled twice. Every later message
// is a request's JSON text, answered with the reply's JSON text.
import init, { worker_message } from "./app.js";

let ready = null;
self.onmessage = (event) => {
  if (ready === null) {
    ready = init({ module_or_path: event.data });
    return;
  }
  ready.then(() => self.postMessage(worker_message(event.data)));
};
