//! The safegrade self-assessment portal: a Yew app running in the browser.

use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    html! { <main><h1>{ "safegrade 自评" }</h1></main> }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
