//! Shared values compared by identity. A report, an explorer or a session is rebuilt, never
//! changed, so "is it the same one" is a pointer comparison; holding the `Rc` (or a `Weak`)
//! is what makes that sound: a freed value's address is soon reused by the next one, and a
//! bare address kept as a key would then name the new value as if it were the old.

use std::ops::Deref;
use std::rc::{Rc, Weak};

/// An `Rc` whose equality is identity (for Yew's props, memos and effects' dependencies).
#[derive(Debug)]
pub struct Same<T>(pub Rc<T>);

impl<T> Clone for Same<T> {
    fn clone(&self) -> Self {
        Same(self.0.clone())
    }
}

impl<T> PartialEq for Same<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Same<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Whether `weak` was made from `rc` (the `Weak` keeps the address from being reused, not
/// the value alive).
pub fn is<T>(weak: &Weak<T>, rc: &Rc<T>) -> bool {
    std::ptr::eq(weak.as_ptr(), Rc::as_ptr(rc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_are_not_the_same_value() {
        let a = Rc::new(1);
        assert_eq!(Same(a.clone()), Same(a.clone()));
        assert_ne!(Same(a.clone()), Same(Rc::new(1)));
        let w = Rc::downgrade(&a);
        assert!(is(&w, &a));
        assert!(!is(&w, &Rc::new(1)));
        // Once freed, a new value is never taken for it while the `Weak` is held.
        drop(a);
        for _ in 0..100 {
            assert!(!is(&w, &Rc::new(1)));
        }
    }
}
