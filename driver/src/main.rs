//! The `sipsimple` command-line tool.

fn main() {}
