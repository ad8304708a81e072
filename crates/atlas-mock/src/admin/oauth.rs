//! Service accounts at run time: list them (with their live tokens), add one, revoke its tokens.

use serde_json::{Value, json};

use super::{bad_request, created, json_body, ok};
use crate::ServiceAccount;
use crate::server::Shared;
use crate::server::reply::Reply;

fn account_json(shared: &Shared, a: &ServiceAccount) -> Value {
    json!({
        "clientId": a.client_id(),
        "clientSecret": a.client_secret(),
        "groups": a.group_restriction().map(|g| g.iter().map(ToString::to_string).collect::<Vec<_>>()),
        "roles": a.role_restriction(),
        "liveTokens": shared.oauth.tokens.live(a.client_id(), shared.clock.elapsed()),
    })
}

pub(super) fn list(shared: &Shared) -> Reply {
    let accounts: Vec<Value> = shared
        .oauth
        .accounts()
        .iter()
        .map(|a| account_json(shared, a))
        .collect();
    ok(json!({ "serviceAccounts": accounts }))
}

pub(super) fn create(shared: &Shared, body: &[u8]) -> Result<Reply, Box<Reply>> {
    let Value::Object(mut raw) = json_body(body)? else {
        return Err(bad_request(
            "INVALID_SERVICE_ACCOUNT",
            "the body must be a service account object",
        ));
    };
    let generated = ServiceAccount::generate();
    raw.entry("clientId")
        .or_insert_with(|| json!(generated.client_id()));
    raw.entry("clientSecret")
        .or_insert_with(|| json!(generated.client_secret()));
    let a = crate::config::service_account_from_json("service account", &Value::Object(raw))
        .map_err(|e| bad_request("INVALID_SERVICE_ACCOUNT", e))?;
    shared
        .oauth
        .add(a.clone())
        .map_err(|e| bad_request("INVALID_SERVICE_ACCOUNT", e))?;
    Ok(created(account_json(shared, &a)))
}

pub(super) fn revoke_all(shared: &Shared, client_id: &str) -> Reply {
    let id = percent_encoding::percent_decode_str(client_id).decode_utf8_lossy();
    let n = shared.oauth.tokens.revoke_all(&id, shared.clock.elapsed());
    ok(json!({ "revoked": n }))
}
