//! The subcommands of the `sipsimple` tool.

pub(crate) mod account;
pub(crate) mod audio;
pub(crate) mod call;
pub(crate) mod check;
pub(crate) mod common;
pub(crate) mod demo;
pub(crate) mod lookup;
pub(crate) mod message;
pub(crate) mod register;
