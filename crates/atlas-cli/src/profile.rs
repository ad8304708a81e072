//! The Atlas CLI's config file (`$XDG_CONFIG_HOME/atlascli/config.toml` or
//! `~/.config/atlascli/config.toml`): read once, and only when a value is needed from it.

use std::cell::OnceCell;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::EnvLookup;
use crate::errors::CliError;

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

/// One profile (a table) of the config file. Keys are looked up by name, so a new setting (a
/// service account's `client_id`, say) needs no change here. `Debug` shows the key names only.
#[derive(Clone, PartialEq)]
pub(crate) struct Profile {
    /// The profile's name.
    pub(crate) name: String,
    /// The file it was read from.
    pub(crate) path: PathBuf,
    table: toml::Table,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("keys", &self.table.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Profile {
    /// The string value of `key`, if the profile has it.
    ///
    /// # Errors
    ///
    /// A usage error when the value is not a string.
    pub(crate) fn get(&self, key: &str) -> Result<Option<&str>, CliError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(CliError::usage(format!(
                "config file {}: {key} of profile {:?} must be a string",
                self.path.display(),
                self.name
            ))),
        }
    }
}

/// The profile asked for (or `default`), loaded on first use.
#[derive(Debug)]
pub(crate) struct ProfileFile {
    path: Option<PathBuf>,
    requested: Option<String>,
    loaded: OnceCell<Result<Option<Profile>, CliError>>,
}

impl ProfileFile {
    /// `requested` is `--profile`'s value; `None` means `default`, which may be missing.
    pub(crate) fn new(path: Option<PathBuf>, requested: Option<String>) -> Self {
        ProfileFile {
            path,
            requested,
            loaded: OnceCell::new(),
        }
    }

    /// The profile, reading the file the first time. `why` says which value needed it, for
    /// the error message.
    ///
    /// # Errors
    ///
    /// A usage error when the file cannot be read or parsed (with line and column), or when a
    /// profile asked for by name is not in it. A missing file or a missing `default` profile is
    /// not an error.
    pub(crate) fn get(&self, why: &str) -> Result<Option<&Profile>, CliError> {
        let loaded = self
            .loaded
            .get_or_init(|| load(self.path.as_deref(), self.requested.as_deref()));
        match loaded {
            Ok(p) => Ok(p.as_ref()),
            Err(e) => Err(e.clone().with_context(format!("(read for {why})"))),
        }
    }

    /// Whether the file was read (for `-vv` logs).
    pub(crate) fn was_read(&self) -> bool {
        self.loaded.get().is_some()
    }
}

fn load(path: Option<&Path>, requested: Option<&str>) -> Result<Option<Profile>, CliError> {
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
                "the Atlas CLI writes it with `atlas config init`; or give the values by flag or environment variable",
            ));
        }
    };
    parse_profile(&text, name, requested.is_some(), path)
}

/// Reads profile `name` from a config file's text.
pub(crate) fn parse_profile(
    text: &str,
    name: &str,
    required: bool,
    path: &Path,
) -> Result<Option<Profile>, CliError> {
    let in_file = |what: String| {
        CliError::usage(format!("config file {}: {what}", path.display())).with_hint(
            "fix the file (the Atlas CLI writes it with `atlas config init`), or give the values by flag or environment variable: then the file is not read",
        )
    };
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let at = e
            .span()
            .map(|s| line_column(text, s.start))
            .map(|(l, c)| format!("line {l}, column {c}: "))
            .unwrap_or_default();
        in_file(format!("{at}{}", e.message().trim_end()))
    })?;
    let Some(value) = table.remove(name) else {
        if required {
            let mut names: Vec<&str> = table
                .iter()
                .filter(|(_, v)| v.is_table())
                .map(|(k, _)| k.as_str())
                .collect();
            names.sort_unstable();
            return Err(CliError::usage(format!(
                "no profile {name:?} in {} (profiles: {})",
                path.display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        }
        return Ok(None);
    };
    let toml::Value::Table(section) = value else {
        return Err(in_file(format!("{name:?} is not a profile table")));
    };
    Ok(Some(Profile {
        name: name.to_owned(),
        path: path.to_owned(),
        table: section,
    }))
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

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
  port = 3
"#;

    fn path() -> &'static Path {
        Path::new("/home/u/.config/atlascli/config.toml")
    }

    #[test]
    fn config_path_prefers_xdg() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let p = config_path(&env(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])).unwrap();
        assert_eq!(p, Path::new("/x/atlascli/config.toml"));
        let p = config_path(&env(&[("HOME", "/h")])).unwrap();
        assert_eq!(p, Path::new("/h/.config/atlascli/config.toml"));
        assert!(config_path(&env(&[])).is_none());
    }

    #[test]
    fn profiles_parse_and_missing_ones_are_reported() {
        let p = parse_profile(CONFIG, "default", false, path())
            .unwrap()
            .unwrap();
        assert_eq!(p.get("public_api_key").unwrap(), Some("pubdefault"));
        assert_eq!(
            p.get("ops_manager_url").unwrap(),
            Some("https://om.example.com/")
        );
        assert!(!format!("{p:?}").contains("privdefault"));
        assert!(
            parse_profile(CONFIG, "nope", false, path())
                .unwrap()
                .is_none()
        );
        let e = parse_profile(CONFIG, "nope", true, path()).unwrap_err();
        assert!(e.message.contains("default, work"), "{}", e.message);
        // A value of the wrong type matters only when it is asked for.
        let work = parse_profile(CONFIG, "work", true, path())
            .unwrap()
            .unwrap();
        assert_eq!(work.get("public_api_key").unwrap(), Some("pubwork"));
        assert!(
            work.get("port")
                .unwrap_err()
                .message
                .contains("must be a string")
        );
    }

    #[test]
    fn toml_errors_say_line_and_column() {
        let e = parse_profile(
            "[default]\n  public_api_key = \"open\n",
            "default",
            false,
            path(),
        )
        .unwrap_err();
        assert!(
            e.message.contains("config.toml: line 2, column"),
            "{}",
            e.message
        );
        let e = parse_profile("ok = 1\n[default\n", "default", false, path()).unwrap_err();
        assert!(e.message.contains("line 2, column 9"), "{}", e.message);
        assert!(e.hint.unwrap().contains("not read"));
        assert_eq!(line_column("ab\ncé\nx", 6), (2, 3));
    }

    #[test]
    fn the_file_is_read_once_and_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "[default\n").unwrap();
        let lazy = ProfileFile::new(Some(file.clone()), None);
        assert!(!lazy.was_read());
        let e = lazy.get("the public API key").unwrap_err();
        assert!(
            e.message.contains("(read for the public API key)"),
            "{}",
            e.message
        );
        assert!(lazy.was_read());
        // A missing default file is no error; a named profile in a missing file is.
        let missing = dir.path().join("none.toml");
        assert!(
            ProfileFile::new(Some(missing.clone()), None)
                .get("x")
                .unwrap()
                .is_none()
        );
        assert!(
            ProfileFile::new(Some(missing), Some("work".into()))
                .get("x")
                .is_err()
        );
    }
}
