//! `sipsimple audio devices`: the sound cards a call can use.

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// Options of `sipsimple audio`.
#[derive(Debug, Args)]
pub(crate) struct AudioArgs {
    #[command(subcommand)]
    command: AudioCommand,
}

#[derive(Debug, Subcommand)]
enum AudioCommand {
    /// List the sound cards of the system's default audio host, one a line: the name (as
    /// --device and the audio.*_device settings take it) and whether it captures, plays, and
    /// is the default for either.
    Devices,
}

pub(crate) fn run(args: &AudioArgs) -> ExitCode {
    match args.command {
        AudioCommand::Devices => devices(),
    }
}

#[cfg(feature = "cpal")]
fn devices() -> ExitCode {
    use sipsimple_audio::cpal_device;
    let list = match cpal_device::devices() {
        Ok(list) => list,
        Err(e) => return super::common::fail(super::common::FAILED, e),
    };
    let default_input = cpal_device::default_input_device();
    let default_output = cpal_device::default_output_device();
    for device in list {
        let mut roles = Vec::new();
        if device.input {
            roles.push("input");
        }
        if device.output {
            roles.push("output");
        }
        if default_input.as_deref() == Some(device.name.as_str()) {
            roles.push("default input");
        }
        if default_output.as_deref() == Some(device.name.as_str()) {
            roles.push("default output");
        }
        println!("{}\t{}", device.name, roles.join(", "));
    }
    ExitCode::SUCCESS
}

#[cfg(not(feature = "cpal"))]
fn devices() -> ExitCode {
    super::common::fail(
        super::common::USAGE,
        "this build has no sound card support: rebuild with `--features cpal`",
    )
}
