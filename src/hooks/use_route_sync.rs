//! The route and the URL fragment, both ways: a new route is written to the fragment (a new
//! history entry when the view changes), and Back, Forward or a typed fragment navigates.

use crate::loader::Event;
use crate::platform::browser::{self, Listener};
use crate::route::Route;
use yew::prelude::*;

#[hook]
pub fn use_route_sync(route: &Route, dispatch: &Callback<Event>) {
    {
        let route = route.clone();
        let last = use_mut_ref(|| route.clone());
        use_effect_with(route, move |route| {
            let push = last.borrow().view != route.view;
            browser::set_hash(&route.to_fragment(), push);
            *last.borrow_mut() = route.clone();
        });
    }
    let dispatch = dispatch.clone();
    use_effect_with((), move |()| {
        let d2 = dispatch.clone();
        let popstate = Listener::window("popstate", move |_| {
            dispatch.emit(Event::Navigate(Route::parse(&browser::hash())))
        });
        // `hashchange` fires for fragments typed in the address bar.
        let hashchange = Listener::window("hashchange", move |_| {
            d2.emit(Event::Navigate(Route::parse(&browser::hash())))
        });
        move || {
            drop(popstate);
            drop(hashchange);
        }
    });
}
