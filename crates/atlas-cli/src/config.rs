//! Where keys, project id and base URL come from: flags beat environment beat the profile of the
//! Atlas CLI's config file (`$XDG_CONFIG_HOME/atlascli/config.toml` or
//! `~/.config/atlascli/config.toml`).

use std::fmt;
use std::path::{Path, PathBuf};

use atlas_model::GroupId;

use crate::cli::{ClusterArgs, ConnectionArgs};
use crate::errors::CliError;

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

/// Reads environment variables; a closure so that tests need not touch the real environment.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, empty values read as unset.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Where a value came from, for `-v` logs and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A profile of the config file.
    Profile(String),
    /// A file named by a flag.
    File(PathBuf),
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
            Source::Profile(name) => write!(f, "profile {name:?}"),
            Source::File(path) => write!(f, "file {}", path.display()),
            Source::Prompt => f.write_str("prompt"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// One profile of the Atlas CLI's config file.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    /// The profile's name.
    pub(crate) name: String,
    /// `public_api_key`.
    pub(crate) public_api_key: Option<String>,
    /// `private_api_key`.
    pub(crate) private_api_key: Option<String>,
    /// `project_id`.
    pub(crate) project_id: Option<String>,
    /// `ops_manager_url`.
    pub(crate) ops_manager_url: Option<String>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("public_api_key", &self.public_api_key)
            .field(
                "private_api_key",
                &self.private_api_key.as_ref().map(|_| "** redacted **"),
            )
            .field("project_id", &self.project_id)
            .field("ops_manager_url", &self.ops_manager_url)
            .finish()
    }
}

/// The Atlas CLI's config file: `$XDG_CONFIG_HOME/atlascli/config.toml`, else
/// `$HOME/.config/atlascli/config.toml`.
pub(crate) fn config_path(env: EnvLookup<'_>) -> Option<PathBuf> {
    if let Some(xdg) = env("XDG_CONFIG_HOME") {
        return Some(Path::new(&xdg).join("atlascli").join("config.toml"));
    }
    env("HOME").map(|home| {
        Path::new(&home)
            .join(".config")
            .join("atlascli")
            .join("config.toml")
    })
}

/// Reads profile `requested` (or `default` when `None`) from the file at `path`.
///
/// A missing file or a missing `default` profile is not an error; a profile asked for by name
/// that cannot be found is.
pub(crate) fn load_profile(
    path: Option<&Path>,
    requested: Option<&str>,
) -> Result<Option<Profile>, CliError> {
    let name = requested.unwrap_or("default");
    let Some(path) = path else {
        return match requested {
            Some(n) => Err(CliError::usage(format!(
                "profile {n:?} cannot be read: neither XDG_CONFIG_HOME nor HOME is set"
            ))),
            None => Ok(None),
        };
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && requested.is_none() => {
            return Ok(None);
        }
        Err(e) => {
            return Err(CliError::usage(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
            .with_hint(
                "the Atlas CLI writes it with `atlas config init`; or pass keys by environment",
            ));
        }
    };
    parse_profile(&text, name, requested.is_some())
        .map_err(|e| CliError::usage(format!("config file {}: {}", path.display(), e.message)))
}

/// Reads profile `name` from a config file's text.
pub(crate) fn parse_profile(
    text: &str,
    name: &str,
    required: bool,
) -> Result<Option<Profile>, CliError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        CliError::usage(format!("not valid TOML: {}", e.message()))
    })?;
    let Some(value) = table.get(name) else {
        if required {
            let mut names: Vec<&str> = table
                .iter()
                .filter(|(_, v)| v.is_table())
                .map(|(k, _)| k.as_str())
                .collect();
            names.sort_unstable();
            return Err(CliError::usage(format!(
                "no profile {name:?} (profiles: {})",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        }
        return Ok(None);
    };
    let Some(section) = value.as_table() else {
        return Err(CliError::usage(format!("{name:?} is not a profile table")));
    };
    let get = |key: &str| -> Result<Option<String>, CliError> {
        match section.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(CliError::usage(format!(
                "profile {name:?}: {key} must be a string"
            ))),
        }
    };
    Ok(Some(Profile {
        name: name.to_owned(),
        public_api_key: get("public_api_key")?,
        private_api_key: get("private_api_key")?,
        project_id: get("project_id")?,
        ops_manager_url: get("ops_manager_url")?,
    }))
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

/// Resolves the base URL, keys and CA file.
pub(crate) fn resolve_connection(
    args: &ConnectionArgs,
    profile: Option<&Profile>,
    env: EnvLookup<'_>,
    prompt: Prompter<'_>,
) -> Result<Connection, CliError> {
    let profile_source = || Source::Profile(profile.map(|p| p.name.clone()).unwrap_or_default());

    let (base_url, base_url_source) = if let Some(u) = &args.base_url {
        (u.clone(), Source::Flag("--base-url"))
    } else if let Some(u) = env(ENV_BASE_URL) {
        (u, Source::Env(ENV_BASE_URL))
    } else if let Some(u) = env(ENV_OPS_MANAGER_URL) {
        (u, Source::Env(ENV_OPS_MANAGER_URL))
    } else if let Some(u) = profile.and_then(|p| p.ops_manager_url.clone()) {
        (u, profile_source())
    } else {
        (DEFAULT_BASE_URL.to_owned(), Source::Default)
    };
    let base_url = normalize_base_url(&base_url);

    let (public_key, public_key_source) = if let Some(k) = &args.public_key {
        (k.clone(), Source::Flag("--public-key"))
    } else if let Some(k) = env(ENV_PUBLIC_KEY) {
        (k, Source::Env(ENV_PUBLIC_KEY))
    } else if let Some(k) = profile.and_then(|p| p.public_api_key.clone()) {
        (k, profile_source())
    } else {
        return Err(CliError::usage("no public API key").with_hint(format!(
            "set {ENV_PUBLIC_KEY} and {ENV_PRIVATE_KEY}, pass --public-key, or use --profile with the Atlas CLI's config file"
        )));
    };

    let (private_key, private_key_source) = if let Some(path) = &args.private_key_file {
        (read_key_file(path)?, Source::File(path.clone()))
    } else if let Some(k) = env(ENV_PRIVATE_KEY) {
        (k, Source::Env(ENV_PRIVATE_KEY))
    } else if let Some(k) = profile.and_then(|p| p.private_api_key.clone()) {
        (k, profile_source())
    } else {
        match prompt(&format!("Private API key for {public_key}: ")) {
            Some(Ok(k)) if !k.trim().is_empty() => (k.trim().to_owned(), Source::Prompt),
            Some(Ok(_)) => return Err(CliError::usage("no private API key was typed")),
            Some(Err(e)) => {
                return Err(CliError::usage(format!(
                    "cannot read the private API key from the terminal: {e}"
                )));
            }
            None => {
                return Err(CliError::usage("no private API key").with_hint(format!(
                    "set {ENV_PRIVATE_KEY}, use --private-key-file FILE or --profile, or run on a terminal to be prompted"
                )));
            }
        }
    };

    Ok(Connection {
        base_url,
        base_url_source,
        public_key,
        public_key_source,
        private_key: Secret::new(private_key),
        private_key_source,
        cacert: args.cacert.clone(),
    })
}

/// Resolves and validates the project id: flag, then `MONGODB_ATLAS_PROJECT_ID`, then profile.
pub(crate) fn resolve_group_id(
    args: &ClusterArgs,
    profile: Option<&Profile>,
    env: EnvLookup<'_>,
) -> Result<(GroupId, Source), CliError> {
    let (raw, source) = if let Some(g) = &args.group_id {
        (g.clone(), Source::Flag("--group-id"))
    } else if let Some(g) = env(ENV_PROJECT_ID) {
        (g, Source::Env(ENV_PROJECT_ID))
    } else if let Some(p) = profile.and_then(|p| p.project_id.as_ref().map(|g| (g, &p.name))) {
        (p.0.clone(), Source::Profile(p.1.clone()))
    } else {
        return Err(CliError::usage("no project id").with_hint(format!(
            "pass --group-id, set {ENV_PROJECT_ID}, or set project_id in the profile"
        )));
    };
    let id = raw.trim().parse::<GroupId>().map_err(|e| {
        CliError::usage(format!("invalid {e} (from {source})")).with_hint(
            "a project id is 24 lower-case hexadecimal characters, e.g. 5b69d0349b15c62cdfc38b78",
        )
    })?;
    Ok((id, source))
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
    let key = text.lines().next().unwrap_or("").trim().to_owned();
    if key.is_empty() {
        return Err(CliError::usage(format!(
            "the private key file {} is empty",
            path.display()
        )));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn args() -> ConnectionArgs {
        ConnectionArgs {
            base_url: None,
            profile: None,
            public_key: None,
            private_key_file: None,
            cacert: None,
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

    #[test]
    fn config_path_prefers_xdg() {
        let p = config_path(&env_of(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])).unwrap();
        assert_eq!(p, Path::new("/x/atlascli/config.toml"));
        let p = config_path(&env_of(&[("HOME", "/h")])).unwrap();
        assert_eq!(p, Path::new("/h/.config/atlascli/config.toml"));
        assert!(config_path(&env_of(&[])).is_none());
    }

    #[test]
    fn profiles_parse_and_missing_ones_are_reported() {
        let p = parse_profile(CONFIG, "default", false).unwrap().unwrap();
        assert_eq!(p.public_api_key.as_deref(), Some("pubdefault"));
        assert_eq!(
            p.ops_manager_url.as_deref(),
            Some("https://om.example.com/")
        );
        assert!(!format!("{p:?}").contains("privdefault"));
        assert!(parse_profile(CONFIG, "nope", false).unwrap().is_none());
        let e = parse_profile(CONFIG, "nope", true).unwrap_err();
        assert!(e.message.contains("default, work"), "{}", e.message);
        assert!(parse_profile("[default\n", "default", false).is_err());
        assert!(parse_profile("[default]\npublic_api_key = 3\n", "default", false).is_err());
    }

    #[test]
    fn flags_beat_env_beat_profile() {
        let profile = parse_profile(CONFIG, "default", false).unwrap().unwrap();
        let env = env_of(&[
            (ENV_PUBLIC_KEY, "pubenv"),
            (ENV_OPS_MANAGER_URL, "http://127.0.0.1:1/"),
        ]);
        let mut a = args();
        let c = resolve_connection(&a, Some(&profile), &env, &no_prompt).unwrap();
        assert_eq!(c.public_key, "pubenv");
        assert_eq!(c.private_key.expose(), "privdefault");
        assert_eq!(c.private_key_source, Source::Profile("default".into()));
        assert_eq!(c.base_url, "http://127.0.0.1:1");
        assert!(!format!("{c:?}").contains("privdefault"));

        a.public_key = Some("pubflag".into());
        a.base_url = Some("http://flag".into());
        let c = resolve_connection(&a, Some(&profile), &env, &no_prompt).unwrap();
        assert_eq!(c.public_key, "pubflag");
        assert_eq!(c.base_url, "http://flag");

        let c = resolve_connection(&args(), Some(&profile), &env_of(&[]), &no_prompt).unwrap();
        assert_eq!(c.public_key, "pubdefault");
        assert_eq!(c.base_url, "https://om.example.com");
        let c = resolve_connection(
            &args(),
            None,
            &env_of(&[(ENV_PUBLIC_KEY, "p"), (ENV_PRIVATE_KEY, "s")]),
            &no_prompt,
        )
        .unwrap();
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!(c.base_url_source, Source::Default);
    }

    #[test]
    fn base_url_env_order() {
        let env = env_of(&[
            (ENV_PUBLIC_KEY, "p"),
            (ENV_PRIVATE_KEY, "s"),
            (ENV_BASE_URL, "http://a"),
            (ENV_OPS_MANAGER_URL, "http://b"),
        ]);
        let c = resolve_connection(&args(), None, &env, &no_prompt).unwrap();
        assert_eq!(c.base_url, "http://a");
    }

    #[test]
    fn private_key_file_then_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "fromfile\n").unwrap();
        let env = env_of(&[(ENV_PUBLIC_KEY, "p"), (ENV_PRIVATE_KEY, "fromenv")]);
        let mut a = args();
        a.private_key_file = Some(file);
        let c = resolve_connection(&a, None, &env, &no_prompt).unwrap();
        assert_eq!(c.private_key.expose(), "fromfile");

        let env = env_of(&[(ENV_PUBLIC_KEY, "p")]);
        let typed = |prompt: &str| {
            assert!(prompt.contains("for p"));
            Some(Ok("typed\n".to_owned()))
        };
        let c = resolve_connection(&args(), None, &env, &typed).unwrap();
        assert_eq!(c.private_key.expose(), "typed");
        assert_eq!(c.private_key_source, Source::Prompt);

        let e = resolve_connection(&args(), None, &env, &no_prompt).unwrap_err();
        assert!(e.hint.unwrap().contains(ENV_PRIVATE_KEY));
        let e = resolve_connection(&args(), None, &env_of(&[]), &no_prompt).unwrap_err();
        assert_eq!(e.message, "no public API key");
    }

    #[test]
    fn group_id_precedence_and_validation() {
        let profile = parse_profile(CONFIG, "default", false).unwrap().unwrap();
        let cluster = |g: Option<&str>| ClusterArgs {
            group_id: g.map(str::to_owned),
            cluster_name: "M2AWS".into(),
            flex: false,
        };
        let env = env_of(&[(ENV_PROJECT_ID, "000000000000000000000001")]);
        let (g, s) = resolve_group_id(&cluster(None), Some(&profile), &env).unwrap();
        assert_eq!(g.as_str(), "000000000000000000000001");
        assert_eq!(s, Source::Env(ENV_PROJECT_ID));
        let (g, _) = resolve_group_id(&cluster(None), Some(&profile), &env_of(&[])).unwrap();
        assert_eq!(g.as_str(), "5b69d0349b15c62cdfc38b78");
        let (g, _) = resolve_group_id(
            &cluster(Some("000000000000000000000002")),
            Some(&profile),
            &env,
        )
        .unwrap();
        assert_eq!(g.as_str(), "000000000000000000000002");
        let e = resolve_group_id(&cluster(Some("xyz")), None, &env).unwrap_err();
        assert!(e.message.contains("group id"), "{}", e.message);
        assert!(resolve_group_id(&cluster(None), None, &env_of(&[])).is_err());
    }
}
