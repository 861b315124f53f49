// SPDX-License-Identifier: GPL-2.0
//! An entry is retired onto its own registration's garbage list, found from the entry: no API
//! lists it on another registration's, from which its `destroy` would not unlink it.
// expect: method `retire` is private

#![allow(missing_docs)]

use kernel::net::dst_ops::{DstOps, Entry, Registration};
use kernel::prelude::*;
use kernel::types::ARef;

pub struct Ops;

#[vtable]
impl DstOps for Ops {
    type Data = ();
}

pub fn retire_elsewhere(other: &Registration<Ops>, entry: ARef<Entry<Ops>>) {
    other.garbage().retire(entry);
}
