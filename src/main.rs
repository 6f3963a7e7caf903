//! The page's entry point: mount the app on `<body>`.

fn main() {
    yew::Renderer::<strata_web::app::App>::new().render();
}
