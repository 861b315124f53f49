// SPDX-License-Identifier: GPL-2.0

//! Minimal module proving rdst's build chain: it loads, logs and unloads.

use kernel::prelude::*;

module! {
    type: RustRdstHello,
    name: "rust_rdst_hello",
    author: "rdst developers",
    description: "Proves that rdst's kernel loads out-of-tree Rust modules",
    license: "GPL",
}

struct RustRdstHello;

impl kernel::Module for RustRdstHello {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("rust_rdst_hello: loaded\n");
        Ok(RustRdstHello)
    }
}

impl Drop for RustRdstHello {
    fn drop(&mut self) {
        pr_info!("rust_rdst_hello: unloaded\n");
    }
}
