// Starts the portal: loads and instantiates the wasm module (app.js is
// wasm-bindgen's glue), then mounts the app (`start_portal`, web/src/lib.rs).
// A file rather than an inline script, so the Content-Security-Policy needs
// no inline allowance. offline.js registers the service worker and shows
// the update notice.
import { showUpdates } from "./offline.js";
import init, { start_portal } from "./app.js";

init().then(() => {
  start_portal();
  showUpdates();
});
