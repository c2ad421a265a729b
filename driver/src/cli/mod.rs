//! The subcommands of the `sipsimple` tool.

pub(crate) mod check;
