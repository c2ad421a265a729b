//! The JSON data of the DNS notifications.

use std::net::SocketAddr;

use serde_json::{json, Map, Value};
use sipsimple_proto::dns::{LookupResult, Record, RecordData, Route, Trace};

/// The data of a `DNSLookupTrace`.
pub(super) fn trace(trace: &Trace) -> Value {
    let mut data = Map::new();
    data.insert("query_type".into(), trace.query_type.as_str().into());
    data.insert("query_name".into(), trace.query_name.clone().into());
    data.insert("nameservers".into(), nameservers(&trace.nameservers));
    let answer = match &trace.answer {
        Some(records) => Value::Array(records.iter().map(record).collect()),
        None => Value::Null,
    };
    data.insert("answer".into(), answer);
    let error = match &trace.error {
        Some(e) => e.to_string().into(),
        None => Value::Null,
    };
    data.insert("error".into(), error);
    data.insert("context".into(), trace.context.as_str().into());
    if let Some(service) = trace.service {
        data.insert("service".into(), service.name().into());
    }
    data.insert("uri".into(), trace.uri.clone().into());
    Value::Object(data)
}

/// The `result` of a `DNSLookupDidSucceed`.
pub(super) fn result(result: &LookupResult) -> Value {
    match result {
        LookupResult::Routes(routes) => routes.iter().map(route).collect(),
        LookupResult::Servers(servers) => servers
            .iter()
            .map(|s| json!([s.ip().to_string(), s.port()]))
            .collect(),
        LookupResult::XcapServers(uris) => uris.iter().map(|u| Value::from(u.as_str())).collect(),
        other => Value::String(format!("{other:?}")),
    }
}

/// A route as `{address, port, transport}`, the transport in lower case.
fn route(route: &Route) -> Value {
    json!({
        "address": route.address.to_string(),
        "port": route.port,
        "transport": route.transport.as_str().to_ascii_lowercase(),
    })
}

/// Nameservers as socket address strings.
pub(super) fn nameservers(list: &[SocketAddr]) -> Value {
    list.iter().map(|s| Value::from(s.to_string())).collect()
}

/// A record as `{name, ttl, type, data}`, the data in zone-file presentation format.
fn record(record: &Record) -> Value {
    let kind = record.data.record_type().map_or("CNAME", |t| t.as_str());
    json!({
        "name": record.name,
        "ttl": record.ttl,
        "type": kind,
        "data": presentation(&record.data),
    })
}

fn presentation(data: &RecordData) -> String {
    match data {
        RecordData::A(a) => a.to_string(),
        RecordData::Aaaa(a) => a.to_string(),
        RecordData::Cname(name) | RecordData::Ns(name) => absolute(name),
        RecordData::Naptr {
            order,
            preference,
            flags,
            services,
            regexp,
            replacement,
        } => format!(
            "{order} {preference} {} {} {} {}",
            quoted(flags),
            quoted(services),
            quoted(regexp),
            absolute(replacement)
        ),
        RecordData::Srv {
            priority,
            weight,
            port,
            target,
        } => format!("{priority} {weight} {port} {}", absolute(target)),
        RecordData::Txt(strings) => strings
            .iter()
            .map(|s| quoted(s))
            .collect::<Vec<_>>()
            .join(" "),
        other => format!("{other:?}"),
    }
}

/// A name with its final dot (`.` for the root).
fn absolute(name: &str) -> String {
    format!("{name}.")
}

/// A character string in double quotes, with `"` and `\` escaped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}
