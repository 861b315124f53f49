// SPDX-License-Identifier: GPL-2.0
//! An entry on the garbage list may be on its way to `destroy`: the borrow `for_each` gives
//! cannot be counted (the hole `g.for_each(|e| keep = Some(ARef::from(e)))` closed).
// expect: the trait bound `NorefEntry<Ops>: AlwaysRefCounted` is not satisfied

#![allow(missing_docs)]

use kernel::net::dst_ops::{DstOps, GarbageList, NorefEntry};
use kernel::prelude::*;
use kernel::types::ARef;

pub struct Ops;

#[vtable]
impl DstOps for Ops {
    type Data = ();
}

pub fn keep(g: &GarbageList<Ops>) -> Option<ARef<NorefEntry<Ops>>> {
    let mut keep = None;
    g.for_each(|e| keep = Some(ARef::from(e)));
    keep
}
