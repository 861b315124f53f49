// SPDX-License-Identifier: GPL-2.0
//! A namespace's state is found by an RCU reader only with a guard, whose section the
//! namespace's `pre_exit` grace period waits for.
// expect: this function takes 2 arguments but 1 argument was supplied

#![allow(missing_docs)]

use kernel::net::namespace::{Net, PernetData};

pub fn state<T: PernetData>(net: &Net) -> Option<&T> {
    T::of(net)
}
