//! `auth status` (which method, where its parts came from, the cached token's expiry; never a
//! secret) and `auth revoke` (revokes the cached service account token at Atlas and deletes it).

use std::time::SystemTime;

use clap::{Args, Subcommand};

use super::{Opened, open};
use crate::cli::{ConnectionArgs, OutputFormat};
use crate::config::{self, Resolver};
use crate::credentials::{Credentials, Method};
use crate::digest_cache::FileDigestSessionStore;
use crate::errors::{CliError, Exit};
use crate::output::Ui;
use crate::profile::{ProfileFile, config_path};
use crate::token_cache::FileTokenStore;

/// `auth status | revoke`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Show the authentication method in use, where its parts come from, and the cached
    /// service account token's expiry (no request is sent; no secret is shown).
    Status(AuthArgs),
    /// Revoke the cached service account token at Atlas and delete it from the cache.
    Revoke(AuthArgs),
}

/// What `auth` commands take.
#[derive(Debug, Args)]
pub(crate) struct AuthArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
}

pub(crate) async fn run(cmd: AuthCommand, ui: Ui) -> Result<Exit, CliError> {
    let (args, revoke) = match &cmd {
        AuthCommand::Status(a) => (a, false),
        AuthCommand::Revoke(a) => (a, true),
    };
    let env = config::process_env;
    let profile = ProfileFile::new(config_path(&env), args.conn.profile.clone());
    let settings = Resolver {
        env: &env,
        profile: &profile,
    };
    let opened = open(&args.conn, settings, ui, None)?;
    if revoke {
        revoke_token(&opened).await
    } else {
        status(&opened, ui)
    }
}

async fn revoke_token(opened: &Opened) -> Result<Exit, CliError> {
    if opened.resolved.method() != Method::ServiceAccount {
        return Err(CliError::usage(format!(
            "`auth revoke` revokes a service account's token, and the method in use is the {}",
            opened.resolved.method()
        ))
        .with_hint("set a service account: --client-id, MONGODB_ATLAS_CLIENT_ID or the profile's client_id"));
    }
    let revoked = opened
        .client
        .revoke_token()
        .await
        .map_err(|e| crate::failure::describe(&e, &opened.target))?;
    if revoked {
        println!("revoked the cached token at Atlas and deleted it");
    } else {
        println!("no cached token to revoke");
    }
    Ok(Exit::Ok)
}

/// The digest session cache of an API key: where, and what is cached (never the whole nonce).
fn digest_rows(opened: &Opened, rows: &mut Vec<(&str, String)>) {
    let c = &opened.resolved.connection;
    let Some(dir) = &opened.digest_cache else {
        rows.push(("digest_session_cache", "off".to_owned()));
        return;
    };
    let Some(key) =
        atlas_snapshots::digest_session::DigestSessionKey::for_url(&c.base_url, &c.public_key)
    else {
        rows.push((
            "digest_session_cache",
            "off (the base URL has no host)".to_owned(),
        ));
        return;
    };
    let store = FileDigestSessionStore::new(dir.clone());
    rows.push((
        "digest_session_cache",
        store.path(&key).display().to_string(),
    ));
    let what = match store.peek(&key) {
        Ok(Some(s)) => match s.next_nc() {
            Some(nc) => format!(
                "cached: {} nonce {}, next nc {nc}",
                s.algorithm(),
                s.nonce_hint()
            ),
            None => "cached, no nc left (the next run fetches a challenge)".to_owned(),
        },
        Ok(None) => "none cached".to_owned(),
        Err(e) => format!("unreadable: {e}"),
    };
    rows.push(("digest_session", what));
}

fn status(opened: &Opened, ui: Ui) -> Result<Exit, CliError> {
    let r = &opened.resolved;
    let c = &r.connection;
    let mut rows: Vec<(&str, String)> = vec![
        ("method", r.method().to_string()),
        ("base_url", c.base_url.clone()),
        ("base_url_source", c.base_url_source.to_string()),
    ];
    match &r.credentials {
        Credentials::AccessToken { source, .. } => {
            rows.push(("access_token_source", source.to_string()));
        }
        Credentials::ApiKey => {
            rows.push(("public_key", c.public_key.clone()));
            rows.push(("public_key_source", c.public_key_source.to_string()));
            rows.push(("private_key_source", c.private_key_source.to_string()));
            digest_rows(opened, &mut rows);
        }
        Credentials::ServiceAccount {
            client_id,
            secret_source,
            ..
        } => {
            rows.push(("client_id", client_id.value.clone()));
            rows.push(("client_id_source", client_id.source.to_string()));
            rows.push(("client_secret_source", secret_source.to_string()));
            match &opened.token_cache {
                None => rows.push(("token_cache", "off".to_owned())),
                Some(dir) => {
                    let token_url = format!("{}/api/oauth/token", c.base_url)
                        .parse::<atlas_snapshots::http::Uri>()
                        .map(|u| u.to_string())
                        .unwrap_or_default();
                    let key = atlas_snapshots::oauth::TokenKey {
                        token_url,
                        client_id: client_id.value.clone(),
                    };
                    rows.push((
                        "token_cache",
                        FileTokenStore::new(dir.clone())
                            .path(&key)
                            .display()
                            .to_string(),
                    ));
                }
            }
            let token = match opened.client.known_token() {
                None => "none cached".to_owned(),
                Some(t) => match t.expires_at {
                    None => "cached, no expiry given".to_owned(),
                    Some(at) => {
                        let when = atlas_model::format_timestamp(
                            &chrono::DateTime::<chrono::Utc>::from(at),
                        );
                        match at.duration_since(SystemTime::now()) {
                            Ok(left) => format!(
                                "valid until {when} (in {})",
                                crate::duration::format_elapsed(std::time::Duration::from_secs(
                                    left.as_secs()
                                ))
                            ),
                            Err(_) => format!("expired at {when}"),
                        }
                    }
                },
            };
            rows.push(("token", token));
        }
    }
    if ui.format == OutputFormat::Json {
        let map: serde_json::Map<String, serde_json::Value> = rows
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
            .collect();
        println!("{}", serde_json::Value::Object(map));
    } else {
        for (k, v) in rows {
            println!("{:<21} {v}", format!("{}:", k.replace('_', " ")));
        }
    }
    Ok(Exit::Ok)
}
