//! `sipsimple account add|list|set|delete`: the accounts in the configuration directory.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::Value;
use sipsimple::configuration::{AccountId, AccountSettings, ConfigurationManager};

use super::common::{configuration, fail, USAGE};

/// Options of `sipsimple account`.
#[derive(Debug, Args)]
pub(crate) struct AccountArgs {
    #[command(subcommand)]
    command: AccountCommand,
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Add an account, enabled, registering with its domain (or --outbound-proxy).
    Add {
        /// The SIP address, user@domain.
        id: String,
        /// The password for digest authentication.
        #[arg(long)]
        password: String,
        /// Send everything through this proxy (a sip: or sips: URI), e.g.
        /// sip:proxy.example.com;transport=tcp.
        #[arg(long)]
        outbound_proxy: Option<String>,
        /// The name shown to others.
        #[arg(long)]
        display_name: Option<String>,
        /// The user name to authenticate with, when it is not the user part of the id.
        #[arg(long)]
        auth_username: Option<String>,
        /// Add it disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// List the accounts.
    List,
    /// Change settings of an account: KEY=VALUE with dotted keys, e.g.
    /// sip.register_interval=600 enabled=false sip.outbound_proxy=null.
    Set {
        /// The account, user@domain.
        id: String,
        /// Settings to change; a VALUE that parses as JSON is taken as such, else as text.
        #[arg(required = true)]
        settings: Vec<String>,
    },
    /// Show all settings of an account (the password hidden).
    Show {
        /// The account, user@domain.
        id: String,
    },
    /// Delete an account.
    Delete {
        /// The account, user@domain.
        id: String,
    },
}

pub(crate) fn run(args: &AccountArgs, config_dir: Option<&PathBuf>) -> ExitCode {
    let mut config = match configuration(config_dir) {
        Ok(c) => c,
        Err(e) => return fail(USAGE, e),
    };
    let result = match &args.command {
        AccountCommand::Add {
            id,
            password,
            outbound_proxy,
            display_name,
            auth_username,
            disabled,
        } => add(
            &mut config,
            id,
            password,
            outbound_proxy.clone(),
            display_name.clone(),
            auth_username.clone(),
            !disabled,
        ),
        AccountCommand::List => {
            list(&config);
            Ok(())
        }
        AccountCommand::Set { id, settings } => set(&mut config, id, settings),
        AccountCommand::Show { id } => show(&config, id),
        AccountCommand::Delete { id } => parse_id(id).and_then(|id| {
            config
                .delete(&id)
                .map(|_| println!("deleted {id}"))
                .map_err(|e| e.to_string())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(USAGE, e),
    }
}

fn parse_id(id: &str) -> Result<AccountId, String> {
    AccountId::new(id).map_err(|e| e.to_string())
}

fn add(
    config: &mut ConfigurationManager,
    id: &str,
    password: &str,
    outbound_proxy: Option<String>,
    display_name: Option<String>,
    auth_username: Option<String>,
    enabled: bool,
) -> Result<(), String> {
    let id = parse_id(id)?;
    if config.has_account(&id) {
        return Err(format!(
            "the account {id} exists already: change it with `sipsimple account set`"
        ));
    }
    let mut settings = AccountSettings::new(id.clone());
    settings.enabled = enabled;
    settings.auth.password = password.into();
    settings.auth.username = auth_username;
    settings.sip.outbound_proxy = outbound_proxy;
    settings.display_name = display_name;
    config.save(&settings).map_err(|e| e.to_string())?;
    println!("added {id}{}", if enabled { "" } else { " (disabled)" });
    Ok(())
}

fn list(config: &ConfigurationManager) {
    let default = config.settings().default_account.clone();
    let mut any = false;
    for a in config.accounts() {
        any = true;
        let mark = if Some(a.id()) == default.as_ref() {
            "*"
        } else {
            " "
        };
        let state = if a.enabled { "enabled" } else { "disabled" };
        let proxy = a.sip.outbound_proxy.as_deref().unwrap_or("-");
        let name = a.display_name.as_deref().unwrap_or("");
        println!("{mark} {}  {state}  proxy {proxy}  {name}", a.id());
    }
    if !any {
        println!("no accounts: add one with `sipsimple account add user@domain --password P`");
    }
}

fn show(config: &ConfigurationManager, id: &str) -> Result<(), String> {
    let id = parse_id(id)?;
    let settings = config
        .account(&id)
        .ok_or_else(|| format!("there is no account {id}"))?;
    let mut value = serde_json::to_value(settings).map_err(|e| e.to_string())?;
    if let Some(p) = value.pointer_mut("/auth/password") {
        *p = Value::String("<hidden>".to_owned());
    }
    let mut flat = Vec::new();
    flatten("", &value, &mut flat);
    for (key, value) in flat {
        println!("{key} = {value}");
    }
    Ok(())
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

fn set(config: &mut ConfigurationManager, id: &str, changes: &[String]) -> Result<(), String> {
    let id = parse_id(id)?;
    let settings = config
        .account(&id)
        .ok_or_else(|| format!("there is no account {id}"))?;
    let mut value = serde_json::to_value(settings).map_err(|e| e.to_string())?;
    for change in changes {
        let (key, raw) = change
            .split_once('=')
            .ok_or_else(|| format!("{change:?} is not KEY=VALUE"))?;
        if key == "id" {
            return Err("the id of an account cannot change".to_owned());
        }
        let pointer = format!("/{}", key.replace('.', "/"));
        let slot = value
            .pointer_mut(&pointer)
            .ok_or_else(|| format!("there is no setting {key}"))?;
        *slot = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
    }
    let updated: AccountSettings =
        serde_json::from_value(value).map_err(|e| format!("bad value: {e}"))?;
    match config.save(&updated).map_err(|e| e.to_string())? {
        Some(change) => {
            for (key, v) in &change.modified {
                if v.is_secret() {
                    println!("{key} changed");
                } else {
                    println!("{key}: {} -> {}", v.old, v.new);
                }
            }
        }
        None => println!("nothing changed"),
    }
    Ok(())
}
