//! Where keys, project id and base URL come from: flags beat environment beat the profile of the
//! Atlas CLI's config file (see `profile.rs`), and the source of each value is kept for messages.
//!
//! Every value, whatever its source, goes through [`clean`]: a leading UTF-8 byte order mark is
//! dropped and the first line that is not blank is taken, trimmed. A key with a trailing newline
//! from a secret manager, a key file saved by a Windows editor and one typed at the prompt all
//! give the same key.

use std::fmt;
use std::path::{Path, PathBuf};

use atlas_model::GroupId;

use crate::cli::{ClusterArgs, ConnectionArgs};
use crate::errors::CliError;
use crate::profile::ProfileFile;

/// The Atlas base URL when nothing else says.
pub(crate) const DEFAULT_BASE_URL: &str = "https://cloud.mongodb.com";
/// Environment variable of the public key.
pub(crate) const ENV_PUBLIC_KEY: &str = "MONGODB_ATLAS_PUBLIC_API_KEY";
/// Environment variable of the private key.
pub(crate) const ENV_PRIVATE_KEY: &str = "MONGODB_ATLAS_PRIVATE_API_KEY";
/// Environment variable of the project id.
pub(crate) const ENV_PROJECT_ID: &str = "MONGODB_ATLAS_PROJECT_ID";
/// Environment variable of the base URL (ours).
pub(crate) const ENV_BASE_URL: &str = "MONGODB_ATLAS_BASE_URL";
/// Environment variable of the base URL (the Atlas CLI's name).
pub(crate) const ENV_OPS_MANAGER_URL: &str = "MONGODB_ATLAS_OPS_MANAGER_URL";
/// What `--private-key-file` takes to read standard input.
pub(crate) const STDIN_PATH: &str = "-";

/// Reads environment variables; a closure so that tests need not touch the real environment.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment (values are cleaned where they are used).
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A value from any source, cleaned: without a leading byte order mark, the first line that is
/// not blank, trimmed; `None` when nothing is left.
pub(crate) fn clean(raw: &str) -> Option<String> {
    raw.trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

/// Where a value came from, for `-v` logs and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A profile of the config file.
    Profile {
        /// The profile's name.
        name: String,
        /// The file.
        path: PathBuf,
    },
    /// The file named by `--private-key-file`.
    File(PathBuf),
    /// Standard input (`--private-key-file -`).
    Stdin,
    /// Typed at the prompt.
    Prompt,
    /// The built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::Profile { name, path } => {
                write!(f, "profile {name:?} of {}", path.display())
            }
            Source::File(path) => write!(f, "--private-key-file {}", path.display()),
            Source::Stdin => f.write_str("--private-key-file - (standard input)"),
            Source::Prompt => f.write_str("the prompt"),
            Source::Default => f.write_str("the default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sourced<T> {
    /// The value, cleaned.
    pub(crate) value: T,
    /// Where it came from.
    pub(crate) source: Source,
}

/// One setting: its flag, its environment variables (in order) and its profile key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setting<'v> {
    /// In words, for messages: `the public API key`.
    pub(crate) what: &'static str,
    /// The flag's name and value, when given.
    pub(crate) flag: (&'static str, Option<&'v str>),
    /// Environment variables, first match wins.
    pub(crate) env: &'static [&'static str],
    /// The key in a profile of the config file.
    pub(crate) profile_key: &'static str,
}

/// Resolves settings: flag, then environment, then the profile (read only now, if needed).
#[derive(Clone, Copy)]
pub(crate) struct Resolver<'a> {
    /// The environment.
    pub(crate) env: EnvLookup<'a>,
    /// The config file.
    pub(crate) profile: &'a ProfileFile,
}

impl fmt::Debug for Resolver<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl Resolver<'_> {
    /// The value of `setting` from its flag or environment, never the profile.
    ///
    /// # Errors
    ///
    /// A flag given empty.
    pub(crate) fn resolve_given(
        &self,
        setting: Setting<'_>,
    ) -> Result<Option<Sourced<String>>, CliError> {
        let (flag, given) = setting.flag;
        if let Some(raw) = given {
            return match clean(raw) {
                Some(value) => Ok(Some(Sourced {
                    value,
                    source: Source::Flag(flag),
                })),
                None => Err(CliError::usage(format!("{flag} is empty"))),
            };
        }
        Ok(setting
            .env
            .iter()
            .find_map(|var| (self.env)(var).as_deref().and_then(clean).map(|v| (var, v)))
            .map(|(var, value)| Sourced {
                value,
                source: Source::Env(var),
            }))
    }

    /// The value of `setting` from the first source that has one.
    ///
    /// # Errors
    ///
    /// A flag given empty; the config file, when it had to be read and is broken.
    pub(crate) fn resolve(
        &self,
        setting: Setting<'_>,
    ) -> Result<Option<Sourced<String>>, CliError> {
        let (flag, given) = setting.flag;
        if let Some(raw) = given {
            return match clean(raw) {
                Some(value) => Ok(Some(Sourced {
                    value,
                    source: Source::Flag(flag),
                })),
                None => Err(CliError::usage(format!("{flag} is empty"))),
            };
        }
        for var in setting.env {
            if let Some(value) = (self.env)(var).as_deref().and_then(clean) {
                return Ok(Some(Sourced {
                    value,
                    source: Source::Env(var),
                }));
            }
        }
        let why = format!(
            "{}: no {flag} or {} was given",
            setting.what,
            setting.env.join(" or ")
        );
        let Some(profile) = self.profile.get(&why)? else {
            return Ok(None);
        };
        Ok(profile
            .get(setting.profile_key)?
            .and_then(clean)
            .map(|value| Sourced {
                value,
                source: Source::Profile {
                    name: profile.name.clone(),
                    path: profile.path.clone(),
                },
            }))
    }
}

/// A private key: never printed.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"** redacted **\"")
    }
}

/// Everything needed to talk to Atlas, resolved.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    /// Base URL without trailing slash.
    pub(crate) base_url: String,
    /// Where it came from.
    pub(crate) base_url_source: Source,
    /// Public key.
    pub(crate) public_key: String,
    /// Where it came from.
    pub(crate) public_key_source: Source,
    /// Private key.
    pub(crate) private_key: Secret,
    /// Where it came from.
    pub(crate) private_key_source: Source,
    /// Extra CA PEM file.
    pub(crate) cacert: Option<PathBuf>,
}

/// Asks for the private key without echo; `None` when stdin is not a terminal.
pub(crate) type Prompter<'a> = &'a dyn Fn(&str) -> Option<std::io::Result<String>>;

/// Reads all of standard input.
pub(crate) type StdinReader<'a> = &'a dyn Fn() -> std::io::Result<String>;

/// How the private key may be asked for or read, besides flags, environment and profile.
#[derive(Clone, Copy)]
pub(crate) struct Interactive<'a> {
    /// The no-echo prompt.
    pub(crate) prompt: Prompter<'a>,
    /// Standard input, for `--private-key-file -`.
    pub(crate) stdin: StdinReader<'a>,
}

/// Resolves the base URL, keys and CA file (the API key method alone; `credentials.rs` picks
/// the method).
#[cfg(test)]
pub(crate) fn resolve_connection(
    args: &ConnectionArgs,
    settings: Resolver<'_>,
    interactive: Interactive<'_>,
) -> Result<Connection, CliError> {
    let (base_url, base_url_source) = resolve_base_url(args, settings)?;
    let Some(public) = settings.resolve(public_key_setting(args))? else {
        return Err(CliError::usage("no public API key").with_hint(format!(
            "set {ENV_PUBLIC_KEY} and {ENV_PRIVATE_KEY}, pass --public-key, or use --profile with the Atlas CLI's config file"
        )));
    };
    resolve_private_key(
        args,
        settings,
        interactive,
        public,
        (base_url, base_url_source),
    )
}

/// The public key's setting (flag, environment, profile key).
pub(crate) fn public_key_setting(args: &ConnectionArgs) -> Setting<'_> {
    Setting {
        what: "the public API key",
        flag: ("--public-key", args.public_key.as_deref()),
        env: &[ENV_PUBLIC_KEY],
        profile_key: "public_api_key",
    }
}

/// The base URL (flag, environment, profile, default), without trailing slash.
pub(crate) fn resolve_base_url(
    args: &ConnectionArgs,
    settings: Resolver<'_>,
) -> Result<(String, Source), CliError> {
    let (base_url, base_url_source) = match settings.resolve(Setting {
        what: "the base URL",
        flag: ("--base-url", args.base_url.as_deref()),
        env: &[ENV_BASE_URL, ENV_OPS_MANAGER_URL],
        profile_key: "ops_manager_url",
    })? {
        Some(s) => (s.value, s.source),
        None => (DEFAULT_BASE_URL.to_owned(), Source::Default),
    };
    Ok((normalize_base_url(&base_url), base_url_source))
}

/// The private key of `public`, and the connection.
pub(crate) fn resolve_private_key(
    args: &ConnectionArgs,
    settings: Resolver<'_>,
    interactive: Interactive<'_>,
    public: Sourced<String>,
    (base_url, base_url_source): (String, Source),
) -> Result<Connection, CliError> {
    let private = match &args.private_key_file {
        Some(path) if path.as_os_str() == STDIN_PATH => read_key_stdin(&public.value, interactive)?,
        Some(path) => Sourced {
            value: read_key_file(path)?,
            source: Source::File(path.clone()),
        },
        None => match settings.resolve(Setting {
            what: "the private API key",
            flag: ("--private-key-file", None),
            env: &[ENV_PRIVATE_KEY],
            profile_key: "private_api_key",
        })? {
            Some(s) => s,
            None => prompt_key(&public.value, interactive.prompt)?,
        },
    };

    Ok(Connection {
        base_url,
        base_url_source,
        public_key: public.value,
        public_key_source: public.source,
        private_key: Secret::new(private.value),
        private_key_source: private.source,
        cacert: args.cacert.clone(),
    })
}

fn prompt_key(public_key: &str, prompt: Prompter<'_>) -> Result<Sourced<String>, CliError> {
    match prompt(&format!("Private API key for {public_key}: ")) {
        Some(Ok(k)) => match clean(&k) {
            Some(value) => Ok(Sourced {
                value,
                source: Source::Prompt,
            }),
            None => Err(CliError::usage("no private API key was typed")),
        },
        Some(Err(e)) => Err(CliError::usage(format!(
            "cannot read the private API key from the terminal: {e}"
        ))),
        None => Err(CliError::usage("no private API key").with_hint(format!(
            "set {ENV_PRIVATE_KEY}, use --private-key-file FILE (or - for standard input) or --profile, or run on a terminal to be prompted"
        ))),
    }
}

/// `--private-key-file -`: all of standard input, or the no-echo prompt when it is a terminal.
fn read_key_stdin(
    public_key: &str,
    interactive: Interactive<'_>,
) -> Result<Sourced<String>, CliError> {
    if let Some(typed) = (interactive.prompt)(&format!("Private API key for {public_key}: ")) {
        let typed = typed.map_err(|e| {
            CliError::usage(format!(
                "cannot read the private API key from the terminal: {e}"
            ))
        })?;
        return clean(&typed)
            .map(|value| Sourced {
                value,
                source: Source::Stdin,
            })
            .ok_or_else(|| CliError::usage("no private API key was typed"));
    }
    let text = (interactive.stdin)().map_err(|e| {
        CliError::usage(format!(
            "cannot read the private API key from standard input: {e}"
        ))
    })?;
    clean(&text)
        .map(|value| Sourced {
            value,
            source: Source::Stdin,
        })
        .ok_or_else(|| {
            CliError::usage("standard input is empty (--private-key-file -)")
                .with_hint("pipe the private key in, e.g. `secret-tool lookup atlas key | atlas-snapshots ... --private-key-file -`")
        })
}

/// Resolves and validates the project id: flag, then `MONGODB_ATLAS_PROJECT_ID`, then profile.
pub(crate) fn resolve_group_id(
    args: &ClusterArgs,
    settings: Resolver<'_>,
) -> Result<(GroupId, Source), CliError> {
    let Some(raw) = settings.resolve(Setting {
        what: "the project id",
        flag: ("--group-id", args.group_id.as_deref()),
        env: &[ENV_PROJECT_ID],
        profile_key: "project_id",
    })?
    else {
        return Err(CliError::usage("no project id").with_hint(format!(
            "pass --group-id, set {ENV_PROJECT_ID}, or set project_id in the profile"
        )));
    };
    let id = raw.value.parse::<GroupId>().map_err(|e| {
        CliError::usage(format!("invalid {e} (from {})", raw.source)).with_hint(
            "a project id is 24 lower-case hexadecimal characters, e.g. 5b69d0349b15c62cdfc38b78",
        )
    })?;
    Ok((id, raw.source))
}

/// Trims whitespace and trailing slashes (`ops_manager_url` is usually written with one).
pub(crate) fn normalize_base_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

fn read_key_file(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!(
            "cannot read the private key file {}: {e}",
            path.display()
        ))
    })?;
    clean(&text)
        .ok_or_else(|| CliError::usage(format!("the private key file {} is empty", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileFile;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn no_prompt(_: &str) -> Option<std::io::Result<String>> {
        None
    }

    fn no_stdin() -> std::io::Result<String> {
        Ok(String::new())
    }

    fn plain() -> Interactive<'static> {
        Interactive {
            prompt: &no_prompt,
            stdin: &no_stdin,
        }
    }

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

    const CONFIG: &str = r#"
telemetry_enabled = false
[default]
  public_api_key = "pubdefault"
  private_api_key = "privdefault"
  project_id = "5b69d0349b15c62cdfc38b78"
  ops_manager_url = "https://om.example.com/"
  service = "cloud"
[work]
  public_api_key = "pubwork"
"#;

    /// A config file in a temporary directory.
    fn profile_file(text: &str) -> (tempfile::TempDir, ProfileFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        (dir, ProfileFile::new(Some(path), None))
    }

    #[test]
    fn clean_is_the_same_for_every_source() {
        for raw in [
            "key",
            "key\n",
            "  key \r\n",
            "\u{feff}key\n",
            "\n\n  key\nsecond line",
            "\u{feff}\n\tkey",
        ] {
            assert_eq!(clean(raw).as_deref(), Some("key"), "{raw:?}");
        }
        for raw in ["", " ", "\n\n", "\u{feff}", "\u{feff}\n \n"] {
            assert_eq!(clean(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn flags_beat_env_beat_profile() {
        let (_dir, profile) = profile_file(CONFIG);
        let env = env_of(&[
            (ENV_PUBLIC_KEY, "pubenv\n"),
            (ENV_OPS_MANAGER_URL, "http://127.0.0.1:1/"),
        ]);
        let r = Resolver {
            env: &env,
            profile: &profile,
        };
        let mut a = args();
        let c = resolve_connection(&a, r, plain()).unwrap();
        assert_eq!(c.public_key, "pubenv");
        assert_eq!(c.private_key.expose(), "privdefault");
        assert!(matches!(&c.private_key_source, Source::Profile { name, .. } if name == "default"));
        assert_eq!(c.base_url, "http://127.0.0.1:1");
        assert!(!format!("{c:?}").contains("privdefault"));

        a.public_key = Some("pubflag".into());
        a.base_url = Some("http://flag".into());
        let c = resolve_connection(&a, r, plain()).unwrap();
        assert_eq!(c.public_key, "pubflag");
        assert_eq!(c.base_url, "http://flag");

        let empty = env_of(&[]);
        let r = Resolver {
            env: &empty,
            profile: &profile,
        };
        let c = resolve_connection(&args(), r, plain()).unwrap();
        assert_eq!(c.public_key, "pubdefault");
        assert_eq!(c.base_url, "https://om.example.com");

        let none = ProfileFile::new(None, None);
        let env = env_of(&[(ENV_PUBLIC_KEY, "p"), (ENV_PRIVATE_KEY, "s")]);
        let r = Resolver {
            env: &env,
            profile: &none,
        };
        let c = resolve_connection(&args(), r, plain()).unwrap();
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!(c.base_url_source, Source::Default);

        // An empty flag is a mistake, not "unset".
        let mut a = args();
        a.public_key = Some(" ".into());
        let e = resolve_connection(&a, r, plain()).unwrap_err();
        assert_eq!(e.message, "--public-key is empty");
    }

    #[test]
    fn a_broken_file_is_not_read_when_flags_and_environment_say_everything() {
        let (_dir, profile) = profile_file("[default\n");
        let env = env_of(&[
            (ENV_PUBLIC_KEY, "p"),
            (ENV_PRIVATE_KEY, "s"),
            (ENV_BASE_URL, "https://cloud.mongodb.com"),
            (ENV_PROJECT_ID, "5b69d0349b15c62cdfc38b78"),
        ]);
        let r = Resolver {
            env: &env,
            profile: &profile,
        };
        resolve_connection(&args(), r, plain()).unwrap();
        let cluster = ClusterArgs {
            group_id: None,
            cluster_name: "M2AWS".into(),
            flex: false,
            kind: None,
        };
        resolve_group_id(&cluster, r).unwrap();
        assert!(!profile.was_read());
        // Without the base URL in the environment the file is needed, and its error shows.
        let env = env_of(&[(ENV_PUBLIC_KEY, "p"), (ENV_PRIVATE_KEY, "s")]);
        let r = Resolver {
            env: &env,
            profile: &profile,
        };
        let e = resolve_connection(&args(), r, plain()).unwrap_err();
        assert!(e.message.contains("line 1, column 9"), "{}", e.message);
        assert!(e.message.contains("(read for the base URL: no --base-url or MONGODB_ATLAS_BASE_URL or MONGODB_ATLAS_OPS_MANAGER_URL was given)"), "{}", e.message);
    }

    #[test]
    fn base_url_env_order() {
        let none = ProfileFile::new(None, None);
        let env = env_of(&[
            (ENV_PUBLIC_KEY, "p"),
            (ENV_PRIVATE_KEY, "s"),
            (ENV_BASE_URL, "http://a"),
            (ENV_OPS_MANAGER_URL, "http://b"),
        ]);
        let r = Resolver {
            env: &env,
            profile: &none,
        };
        let c = resolve_connection(&args(), r, plain()).unwrap();
        assert_eq!(c.base_url, "http://a");
    }

    #[test]
    fn private_key_file_stdin_then_prompt() {
        let none = ProfileFile::new(None, None);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "\u{feff}\n fromfile\r\n").unwrap();
        let env = env_of(&[(ENV_PUBLIC_KEY, "p"), (ENV_PRIVATE_KEY, "fromenv")]);
        let r = Resolver {
            env: &env,
            profile: &none,
        };
        let mut a = args();
        a.private_key_file = Some(file.clone());
        let c = resolve_connection(&a, r, plain()).unwrap();
        assert_eq!(c.private_key.expose(), "fromfile");
        assert_eq!(c.private_key_source, Source::File(file));

        // `-`: standard input when it is not a terminal, the prompt when it is.
        a.private_key_file = Some(PathBuf::from("-"));
        let piped = || Ok("\u{feff}piped\n".to_owned());
        let c = resolve_connection(
            &a,
            r,
            Interactive {
                prompt: &no_prompt,
                stdin: &piped,
            },
        )
        .unwrap();
        assert_eq!(c.private_key.expose(), "piped");
        assert_eq!(c.private_key_source, Source::Stdin);
        let e = resolve_connection(&a, r, plain()).unwrap_err();
        assert!(
            e.message.contains("standard input is empty"),
            "{}",
            e.message
        );

        let env = env_of(&[(ENV_PUBLIC_KEY, "p")]);
        let r = Resolver {
            env: &env,
            profile: &none,
        };
        let typed = |prompt: &str| {
            assert!(prompt.contains("for p"));
            Some(Ok("typed\n".to_owned()))
        };
        let c = resolve_connection(
            &args(),
            r,
            Interactive {
                prompt: &typed,
                stdin: &no_stdin,
            },
        )
        .unwrap();
        assert_eq!(c.private_key.expose(), "typed");
        assert_eq!(c.private_key_source, Source::Prompt);

        let e = resolve_connection(&args(), r, plain()).unwrap_err();
        assert!(e.hint.unwrap().contains(ENV_PRIVATE_KEY));
        let empty = env_of(&[]);
        let r = Resolver {
            env: &empty,
            profile: &none,
        };
        let e = resolve_connection(&args(), r, plain()).unwrap_err();
        assert_eq!(e.message, "no public API key");
    }

    #[test]
    fn group_id_precedence_and_validation() {
        let (_dir, profile) = profile_file(CONFIG);
        let cluster = |g: Option<&str>| ClusterArgs {
            group_id: g.map(str::to_owned),
            cluster_name: "M2AWS".into(),
            flex: false,
            kind: None,
        };
        let env = env_of(&[(ENV_PROJECT_ID, "000000000000000000000001\n")]);
        let r = Resolver {
            env: &env,
            profile: &profile,
        };
        let (g, s) = resolve_group_id(&cluster(None), r).unwrap();
        assert_eq!(g.as_str(), "000000000000000000000001");
        assert_eq!(s, Source::Env(ENV_PROJECT_ID));
        let empty = env_of(&[]);
        let r2 = Resolver {
            env: &empty,
            profile: &profile,
        };
        let (g, _) = resolve_group_id(&cluster(None), r2).unwrap();
        assert_eq!(g.as_str(), "5b69d0349b15c62cdfc38b78");
        let (g, _) = resolve_group_id(&cluster(Some("000000000000000000000002")), r).unwrap();
        assert_eq!(g.as_str(), "000000000000000000000002");
        let e = resolve_group_id(&cluster(Some("xyz")), r).unwrap_err();
        assert!(e.message.contains("group id"), "{}", e.message);
        let none = ProfileFile::new(None, None);
        let r3 = Resolver {
            env: &empty,
            profile: &none,
        };
        assert!(resolve_group_id(&cluster(None), r3).is_err());
    }
}
