//! Which authentication method a command uses, and where its parts came from.
//!
//! Three methods, in Terraform's precedence: an access token (`MONGODB_ATLAS_ACCESS_TOKEN`), a
//! service account (`--client-id`, `MONGODB_ATLAS_CLIENT_ID`, profile `client_id`; its secret from
//! `--client-secret-file`, `MONGODB_ATLAS_CLIENT_SECRET`, profile `client_secret` or a prompt),
//! then an API key (see `config.rs`). Within a method, flags beat environment beat profile. When
//! more than one method is set, the first wins and one line says so. A method given by flag or
//! environment beats one that only the profile holds, and the profile is read only when flags
//! and environment name no method (as before: the file is read only when a value must come
//! from it).

use std::fmt;
use std::path::Path;

use crate::cli::ConnectionArgs;
use crate::config::{
    self, Connection, ENV_PRIVATE_KEY, ENV_PUBLIC_KEY, Interactive, Resolver, STDIN_PATH, Secret,
    Setting, Source, Sourced, clean,
};
use crate::errors::CliError;

/// Environment variable of the service account's client id.
pub(crate) const ENV_CLIENT_ID: &str = "MONGODB_ATLAS_CLIENT_ID";
/// Environment variable of the service account's client secret.
pub(crate) const ENV_CLIENT_SECRET: &str = "MONGODB_ATLAS_CLIENT_SECRET";
/// Environment variable of a ready access token.
pub(crate) const ENV_ACCESS_TOKEN: &str = "MONGODB_ATLAS_ACCESS_TOKEN";

/// An authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// A ready bearer token.
    AccessToken,
    /// OAuth 2.0 client credentials.
    ServiceAccount,
    /// HTTP Digest with the API key pair.
    ApiKey,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::AccessToken => "access token",
            Method::ServiceAccount => "service account",
            Method::ApiKey => "API key",
        })
    }
}

/// The credentials of the method in use.
#[derive(Debug, Clone)]
pub(crate) enum Credentials {
    /// `MONGODB_ATLAS_ACCESS_TOKEN`.
    AccessToken {
        /// The token.
        token: Secret,
        /// Where it came from.
        source: Source,
    },
    /// A service account.
    ServiceAccount {
        /// The client id and where it came from.
        client_id: Sourced<String>,
        /// The client secret.
        secret: Secret,
        /// Where it came from.
        secret_source: Source,
    },
    /// An API key pair (the connection holds it).
    ApiKey,
}

/// Everything needed to talk to Atlas, resolved.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// Base URL (and, for an API key, the key pair).
    pub(crate) connection: Connection,
    /// The method and its credentials.
    pub(crate) credentials: Credentials,
    /// The one-line warning when more than one method was set.
    pub(crate) warning: Option<String>,
}

impl Resolved {
    /// The method in use.
    pub(crate) fn method(&self) -> Method {
        match self.credentials {
            Credentials::AccessToken { .. } => Method::AccessToken,
            Credentials::ServiceAccount { .. } => Method::ServiceAccount,
            Credentials::ApiKey => Method::ApiKey,
        }
    }
}

/// Resolves the method and its credentials (reading a secret file, standard input or the prompt
/// only for the method in use).
pub(crate) fn resolve(
    args: &ConnectionArgs,
    settings: Resolver<'_>,
    interactive: Interactive<'_>,
) -> Result<Resolved, CliError> {
    let token = (settings.env)(ENV_ACCESS_TOKEN)
        .as_deref()
        .and_then(clean)
        .map(|value| Sourced {
            value,
            source: Source::Env(ENV_ACCESS_TOKEN),
        });
    let client_id_setting = Setting {
        what: "the service account client id",
        flag: ("--client-id", args.client_id.as_deref()),
        env: &[ENV_CLIENT_ID],
        profile_key: "client_id",
    };
    let public_setting = config::public_key_setting(args);
    // Flags and environment first: a method given there is used without reading the profile,
    // which is read (and its methods compared) only when they give none.
    let mut client_id = settings.resolve_given(client_id_setting)?;
    let mut public = settings.resolve_given(public_setting)?;
    if token.is_none() && client_id.is_none() && public.is_none() {
        client_id = settings.resolve(client_id_setting)?;
        public = settings.resolve(public_setting)?;
    }

    let set: Vec<String> = [
        token
            .as_ref()
            .map(|t| format!("an access token ({})", t.source)),
        client_id
            .as_ref()
            .map(|c| format!("a service account ({})", c.source)),
        public
            .as_ref()
            .map(|p| format!("an API key ({})", p.source)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let chosen = if token.is_some() {
        Method::AccessToken
    } else if client_id.is_some() {
        Method::ServiceAccount
    } else {
        Method::ApiKey
    };
    let warning = (set.len() > 1).then(|| {
        format!(
            "{} are set; using the {chosen} (precedence: access token, service account, API key)",
            set.join(" and ")
        )
    });

    let base = config::resolve_base_url(args, settings)?;
    let bare = |(base_url, base_url_source): (String, Source)| Connection {
        base_url,
        base_url_source,
        public_key: String::new(),
        public_key_source: Source::Default,
        private_key: Secret::new(String::new()),
        private_key_source: Source::Default,
        cacert: args.cacert.clone(),
    };
    let (connection, credentials) = match (token, client_id, public) {
        (Some(t), _, _) => (
            bare(base),
            Credentials::AccessToken {
                token: Secret::new(t.value),
                source: t.source,
            },
        ),
        (None, Some(id), _) => {
            let secret = client_secret(args, settings, interactive, &id.value)?;
            (
                bare(base),
                Credentials::ServiceAccount {
                    client_id: id,
                    secret: Secret::new(secret.value),
                    secret_source: secret.source,
                },
            )
        }
        (None, None, Some(public)) => (
            config::resolve_private_key(args, settings, interactive, public, base)?,
            Credentials::ApiKey,
        ),
        (None, None, None) => {
            return Err(CliError::usage("no credentials").with_hint(format!(
                "use a service account ({ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}, or --client-id and --client-secret-file), an API key ({ENV_PUBLIC_KEY} and {ENV_PRIVATE_KEY}, or --public-key and --private-key-file), {ENV_ACCESS_TOKEN}, or --profile with the Atlas CLI's config file"
            )));
        }
    };
    Ok(Resolved {
        connection,
        credentials,
        warning,
    })
}

/// The client secret: `--client-secret-file`, then environment, then profile, then the prompt.
fn client_secret(
    args: &ConnectionArgs,
    settings: Resolver<'_>,
    interactive: Interactive<'_>,
    client_id: &str,
) -> Result<Sourced<String>, CliError> {
    let prompt_text = format!("Client secret for {client_id}: ");
    match &args.client_secret_file {
        Some(path) if path.as_os_str() == STDIN_PATH => {
            let text = match (interactive.prompt)(&prompt_text) {
                Some(typed) => typed.map_err(|e| {
                    CliError::usage(format!(
                        "cannot read the client secret from the terminal: {e}"
                    ))
                })?,
                None => (interactive.stdin)().map_err(|e| {
                    CliError::usage(format!(
                        "cannot read the client secret from standard input: {e}"
                    ))
                })?,
            };
            clean(&text)
                .map(|value| Sourced {
                    value,
                    source: Source::Stdin,
                })
                .ok_or_else(|| {
                    CliError::usage("no client secret on standard input (--client-secret-file -)")
                })
        }
        Some(path) => Ok(Sourced {
            value: read_secret_file(path)?,
            source: Source::File(path.clone()),
        }),
        None => {
            if let Some(s) = settings.resolve(Setting {
                what: "the service account client secret",
                flag: ("--client-secret-file", None),
                env: &[ENV_CLIENT_SECRET],
                profile_key: "client_secret",
            })? {
                return Ok(s);
            }
            match (interactive.prompt)(&prompt_text) {
                Some(Ok(k)) => clean(&k)
                    .map(|value| Sourced {
                        value,
                        source: Source::Prompt,
                    })
                    .ok_or_else(|| CliError::usage("no client secret was typed")),
                Some(Err(e)) => Err(CliError::usage(format!(
                    "cannot read the client secret from the terminal: {e}"
                ))),
                None => Err(CliError::usage(format!("no client secret for {client_id}")).with_hint(format!(
                    "set {ENV_CLIENT_SECRET}, use --client-secret-file FILE (or - for standard input), set client_secret in the profile, or run on a terminal to be prompted"
                ))),
            }
        }
    }
}

fn read_secret_file(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!(
            "cannot read the client secret file {}: {e}",
            path.display()
        ))
    })?;
    clean(&text).ok_or_else(|| {
        CliError::usage(format!(
            "the client secret file {} is empty",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileFile;

    fn no_prompt(_: &str) -> Option<std::io::Result<String>> {
        None
    }
    fn no_stdin() -> std::io::Result<String> {
        Ok(String::new())
    }
    const PLAIN: Interactive<'static> = Interactive {
        prompt: &no_prompt,
        stdin: &no_stdin,
    };

    fn args() -> ConnectionArgs {
        ConnectionArgs {
            base_url: None,
            profile: None,
            public_key: None,
            private_key_file: None,
            cacert: None,
            client_id: None,
            client_secret_file: None,
            no_token_cache: false,
            digest_session_cache: false,
        }
    }

    fn with_profile(text: &str) -> (tempfile::TempDir, ProfileFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        (dir, ProfileFile::new(Some(path), None))
    }

    fn run(
        env: &[(&str, &str)],
        args: &ConnectionArgs,
        profile: &ProfileFile,
    ) -> Result<Resolved, CliError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let lookup = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        resolve(
            args,
            Resolver {
                env: &lookup,
                profile,
            },
            PLAIN,
        )
    }

    #[test]
    fn terraforms_precedence_with_one_warning() {
        let (_d, profile) = with_profile(
            "[default]\npublic_api_key = \"pub\"\nprivate_api_key = \"priv\"\nclient_id = \"mdb_sa_id_p\"\nclient_secret = \"mdb_sa_sk_p\"\n",
        );
        let r = run(
            &[
                (ENV_ACCESS_TOKEN, "eyJ.value.sig\n"),
                (ENV_CLIENT_ID, "mdb_sa_id_e"),
                (ENV_PUBLIC_KEY, "pubenv"),
            ],
            &args(),
            &profile,
        )
        .unwrap();
        assert_eq!(r.method(), Method::AccessToken);
        let w = r.warning.unwrap();
        assert!(
            w.contains("access token") && w.contains("service account") && w.contains("API key"),
            "{w}"
        );
        assert!(
            !w.contains('\n') && !w.contains("mdb_sa_sk_p") && !w.contains("eyJ"),
            "{w}"
        );

        let r = run(&[], &args(), &profile).unwrap();
        assert_eq!(r.method(), Method::ServiceAccount);
        let Credentials::ServiceAccount {
            client_id,
            secret,
            secret_source,
        } = &r.credentials
        else {
            panic!()
        };
        assert_eq!(client_id.value, "mdb_sa_id_p");
        assert_eq!(secret.expose(), "mdb_sa_sk_p");
        assert!(matches!(secret_source, Source::Profile { .. }));
        assert!(r.warning.is_some());
        assert!(!format!("{r:?}").contains("mdb_sa_sk_p"));

        // Flags beat environment beat profile, within the method.
        let mut a = args();
        a.client_id = Some("mdb_sa_id_flag".into());
        let r = run(
            &[
                (ENV_CLIENT_ID, "mdb_sa_id_env"),
                (ENV_CLIENT_SECRET, "s_env"),
            ],
            &a,
            &profile,
        )
        .unwrap();
        let Credentials::ServiceAccount {
            client_id, secret, ..
        } = &r.credentials
        else {
            panic!()
        };
        assert_eq!(client_id.value, "mdb_sa_id_flag");
        assert_eq!(client_id.source, Source::Flag("--client-id"));
        assert_eq!(secret.expose(), "s_env");

        let (_d2, only_keys) =
            with_profile("[default]\npublic_api_key = \"pub\"\nprivate_api_key = \"priv\"\n");
        let r = run(&[], &args(), &only_keys).unwrap();
        assert_eq!(r.method(), Method::ApiKey);
        assert_eq!(r.warning, None);
        assert_eq!(r.connection.public_key, "pub");
    }

    #[test]
    fn a_missing_secret_or_nothing_at_all_is_a_usage_error_with_a_hint() {
        let (_d, empty) = with_profile("");
        let e = run(&[(ENV_CLIENT_ID, "mdb_sa_id_x")], &args(), &empty).unwrap_err();
        assert!(e.to_string().contains("no client secret"), "{e}");
        let e = run(&[], &args(), &empty).unwrap_err();
        assert!(e.to_string().contains("no credentials"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "\u{feff}\n  mdb_sa_sk_file \r\n").unwrap();
        let mut a = args();
        a.client_secret_file = Some(file.clone());
        let r = run(
            &[(ENV_CLIENT_ID, "mdb_sa_id_x"), (ENV_CLIENT_SECRET, "env")],
            &a,
            &empty,
        )
        .unwrap();
        let Credentials::ServiceAccount {
            secret,
            secret_source,
            ..
        } = &r.credentials
        else {
            panic!()
        };
        assert_eq!(secret.expose(), "mdb_sa_sk_file");
        assert_eq!(*secret_source, Source::File(file));
    }

    #[test]
    fn a_broken_profile_does_not_stop_an_access_token() {
        let (_d, broken) = with_profile("[default\nnot toml");
        let r = run(
            &[
                (ENV_ACCESS_TOKEN, "tok"),
                ("MONGODB_ATLAS_BASE_URL", "https://x.example"),
            ],
            &args(),
            &broken,
        )
        .unwrap();
        assert_eq!(r.method(), Method::AccessToken);
    }
}
