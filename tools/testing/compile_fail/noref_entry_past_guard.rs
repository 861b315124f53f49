// SPDX-License-Identifier: GPL-2.0
//! A table lookup's noref borrow is valid for its RCU read-side section only.
// expect: `guard` does not live long enough

#![allow(missing_docs)]

use kernel::net::dst_ops::{DstOps, NorefEntry, Table};
use kernel::prelude::*;
use kernel::sync::rcu;

pub struct Ops;

#[vtable]
impl DstOps for Ops {
    type Data = ();
}

pub fn keep(table: &Table<Ops>, hash: u64) -> bool {
    let found: Option<&NorefEntry<Ops>>;
    {
        let guard = rcu::read_lock();
        found = table.lookup(hash, &guard, |_| true);
    }
    found.is_some()
}
