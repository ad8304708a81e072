//! The data file and its JSON Schema agree: every fixture validates and parses, the full fixture
//! uses every member the schema names, and an unknown member anywhere is refused by both (the parser
//! naming it). The validator below implements the part of JSON Schema the shipped schema uses; a
//! keyword or pattern it does not know fails the test, so the schema cannot outgrow it silently.

use std::collections::BTreeSet;

use atlas_mock::{ClockMode, Dataset, MockAtlas, MockConfig};
use serde_json::{Map, Value, json};

const SCHEMA: &str = MockConfig::JSON_SCHEMA;
const FULL: &str = include_str!("fixtures/full-config.json");
const DATA: &str = include_str!("fixtures/data.json");

struct Validator {
    root: Value,
    /// Schema paths of every property seen in a valid instance.
    used: BTreeSet<String>,
}

fn is_hex24(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_cluster_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn is_timestamp(s: &str) -> bool {
    atlas_model::parse_timestamp(s).is_some() && s.as_bytes().get(10) == Some(&b'T')
}

impl Validator {
    fn new() -> Self {
        Self {
            root: serde_json::from_str(SCHEMA).unwrap(),
            used: BTreeSet::new(),
        }
    }

    fn resolve<'a>(&'a self, s: &'a Value) -> (&'a Value, String) {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.strip_prefix("#/$defs/").expect("local $ref");
                (&self.root["$defs"][name], format!("$defs/{name}"))
            }
            None => (s, String::new()),
        }
    }

    fn check(&mut self, schema: &Value, v: &Value, at: &str, spath: &str) -> Result<(), String> {
        let (s, rpath) = self.resolve(schema);
        let s = s.clone();
        let spath = if rpath.is_empty() {
            spath.to_owned()
        } else {
            rpath
        };
        let fail = |why: String| Err(format!("{at}: {why}"));
        for key in s.as_object().unwrap().keys() {
            let known = [
                "$schema",
                "$id",
                "$ref",
                "$defs",
                "title",
                "description",
                "type",
                "properties",
                "additionalProperties",
                "required",
                "items",
                "enum",
                "const",
                "oneOf",
                "pattern",
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "minItems",
                "minLength",
                "maxLength",
                "if",
                "then",
                "else",
            ];
            assert!(
                known.contains(&key.as_str()),
                "validator does not know {key}"
            );
        }
        if let Some(t) = s.get("type").and_then(Value::as_str) {
            let ok = match t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "boolean" => v.is_boolean(),
                "integer" => v.is_u64() || v.is_i64(),
                "number" => v.is_number(),
                other => panic!("type {other}"),
            };
            if !ok {
                return fail(format!("{v} is not of type {t}"));
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            if !e.contains(v) {
                return fail(format!("{v} not in {e:?}"));
            }
        }
        if let Some(c) = s.get("const") {
            if c != v {
                return fail(format!("{v} is not {c}"));
            }
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            let t = v.as_str().unwrap_or_default();
            let ok = match p {
                "^[0-9a-f]{24}$" => is_hex24(t),
                "^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$" => is_cluster_name(t),
                "^/" => t.starts_with('/'),
                "^[\\p{L}\\p{N}\\-_.(),:&@+']{1,64}$" => {
                    (1..=64).contains(&t.chars().count())
                        && t.chars().all(|c| {
                            c.is_alphabetic() || c.is_numeric() || "-_.(),:&@+'".contains(c)
                        })
                }
                p if p.starts_with("^\\d{4}-") => is_timestamp(t),
                other => panic!("validator does not know the pattern {other}"),
            };
            if !ok {
                return fail(format!("{v} does not match {p}"));
            }
        }
        let num = v.as_f64();
        if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), num) {
            if n < min {
                return fail(format!("{n} < {min}"));
            }
        }
        if let (Some(max), Some(n)) = (s.get("maximum").and_then(Value::as_f64), num) {
            if n > max {
                return fail(format!("{n} > {max}"));
            }
        }
        if let (Some(min), Some(n)) = (s.get("exclusiveMinimum").and_then(Value::as_f64), num) {
            if n <= min {
                return fail(format!("{n} <= {min}"));
            }
        }
        if let Some(t) = v.as_str() {
            if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
                if (t.chars().count() as u64) < min {
                    return fail(format!("{t:?} shorter than {min}"));
                }
            }
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
                if t.chars().count() as u64 > max {
                    return fail(format!("{t:?} longer than {max}"));
                }
            }
        }
        if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
            let mut ok = 0;
            for (i, alt) in alts.iter().enumerate() {
                let mut sub = Validator {
                    root: self.root.clone(),
                    used: BTreeSet::new(),
                };
                if sub.check(alt, v, at, &format!("{spath}/oneOf/{i}")).is_ok() {
                    ok += 1;
                    self.used.extend(sub.used);
                }
            }
            if ok != 1 {
                return fail(format!("{v} matches {ok} of the oneOf alternatives"));
            }
        }
        if let Some(cond) = s.get("if") {
            let mut probe = Validator {
                root: self.root.clone(),
                used: BTreeSet::new(),
            };
            let branch = if probe.check(cond, v, at, &format!("{spath}/if")).is_ok() {
                "then"
            } else {
                "else"
            };
            if let Some(b) = s.get(branch) {
                self.check(b, v, at, &format!("{spath}/{branch}"))?;
            }
        }
        if let Value::Object(m) = v {
            let props = s.get("properties").and_then(Value::as_object);
            if s.get("additionalProperties") == Some(&json!(false)) {
                for k in m.keys() {
                    if !props.is_some_and(|p| p.contains_key(k)) {
                        return fail(format!("unknown member {k}"));
                    }
                }
            }
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !m.contains_key(r.as_str().unwrap()) {
                    return fail(format!("missing {r}"));
                }
            }
            if let Some(props) = props {
                for (k, sub) in props {
                    if let Some(x) = m.get(k) {
                        self.used.insert(format!("{spath}/{k}"));
                        self.check(sub, x, &format!("{at}.{k}"), &format!("{spath}/{k}"))?;
                    }
                }
            }
        }
        if let Value::Array(a) = v {
            if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
                if (a.len() as u64) < min {
                    return fail(format!("fewer than {min} items"));
                }
            }
            if let Some(items) = s.get("items") {
                for (i, x) in a.iter().enumerate() {
                    self.check(items, x, &format!("{at}[{i}]"), &format!("{spath}[]"))?;
                }
            }
        }
        Ok(())
    }

    fn validate(&mut self, v: &Value) -> Result<(), String> {
        let root = self.root.clone();
        self.check(&root, v, "file", "")
    }

    /// Every property path the schema declares (through `$ref`s, `items` and `oneOf`).
    fn all_properties(&self) -> BTreeSet<String> {
        fn walk(root: &Value, s: &Value, path: &str, out: &mut BTreeSet<String>, depth: usize) {
            if depth > 12 {
                return;
            }
            let (s, path) = match s.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let name = r.trim_start_matches("#/$defs/");
                    (&root["$defs"][name], format!("$defs/{name}"))
                }
                None => (s, path.to_owned()),
            };
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, sub) in props {
                    out.insert(format!("{path}/{k}"));
                    walk(root, sub, &format!("{path}/{k}"), out, depth + 1);
                }
            }
            if let Some(items) = s.get("items") {
                walk(root, items, &format!("{path}[]"), out, depth + 1);
            }
            if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
                for (i, alt) in alts.iter().enumerate() {
                    walk(root, alt, &format!("{path}/oneOf/{i}"), out, depth + 1);
                }
            }
            for branch in ["then", "else"] {
                if let Some(b) = s.get(branch) {
                    walk(root, b, &format!("{path}/{branch}"), out, depth + 1);
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(&self.root, &self.root, "", &mut out, 0);
        out
    }
}

/// Every object of `v` (paths as JSON pointers), except the open `extraFields` ones.
fn objects(v: &Value, ptr: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(ptr.to_owned());
            for (k, x) in m {
                if k != "extraFields" {
                    objects(x, &format!("{ptr}/{k}"), out);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                objects(x, &format!("{ptr}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn fixtures_validate_and_parse() {
    let mut val = Validator::new();
    for (name, text) in [("full-config", FULL), ("data", DATA)] {
        let v: Value = serde_json::from_str(text).unwrap();
        val.validate(&v).unwrap_or_else(|e| panic!("{name}: {e}"));
        MockConfig::from_json(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // The seed, written in the data-file form, is valid too.
    let seed = Dataset::seed().to_json();
    val.validate(&seed).unwrap();
}

#[test]
fn the_full_fixture_uses_every_member_the_schema_names() {
    let mut val = Validator::new();
    val.validate(&serde_json::from_str(FULL).unwrap()).unwrap();
    let missing: Vec<String> = val
        .all_properties()
        .difference(&val.used)
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "not covered by full-config.json: {missing:?}"
    );
}

#[test]
fn an_unknown_member_anywhere_is_refused_by_both_and_named() {
    let full: Value = serde_json::from_str(FULL).unwrap();
    let mut ptrs = Vec::new();
    objects(&full, "", &mut ptrs);
    assert!(ptrs.len() > 20, "{ptrs:?}");
    for ptr in ptrs {
        let mut bad = full.clone();
        let Some(Value::Object(m)) = bad.pointer_mut(&ptr) else {
            unreachable!()
        };
        m.insert("bogusMember".into(), json!(1));
        let schema_says = Validator::new().validate(&bad);
        assert!(
            schema_says.is_err(),
            "schema accepted bogusMember at {ptr:?}"
        );
        let parser_says = MockConfig::from_json(bad.to_string().as_bytes());
        let e = parser_says
            .map(|_| ())
            .expect_err(&format!("parser accepted bogusMember at {ptr:?}"))
            .to_string();
        assert!(e.contains("bogusMember"), "{ptr:?}: {e}");
    }
}

#[test]
fn a_case_typo_of_any_member_is_refused_by_both() {
    let full: Value = serde_json::from_str(FULL).unwrap();
    let mut ptrs = Vec::new();
    objects(&full, "", &mut ptrs);
    let mut tried = 0;
    for ptr in ptrs {
        let Some(Value::Object(m)) = full.pointer(&ptr) else {
            unreachable!()
        };
        for k in m
            .keys()
            .filter(|k| *k != "$schema" && k.chars().any(|c| c.is_uppercase()))
        {
            let mut bad = full.clone();
            let Some(Value::Object(m)) = bad.pointer_mut(&ptr) else {
                unreachable!()
            };
            let v = m.remove(k).unwrap();
            let typo = k.to_lowercase();
            m.insert(typo.clone(), v);
            assert!(
                Validator::new().validate(&bad).is_err(),
                "schema accepted {typo} at {ptr:?}"
            );
            let e = MockConfig::from_json(bad.to_string().as_bytes())
                .map(|_| ())
                .expect_err(&format!("parser accepted {typo} at {ptr:?}"))
                .to_string();
            assert!(e.contains(&typo), "{ptr:?}: {e}");
            tried += 1;
        }
    }
    assert!(tried > 15, "{tried}");
}

#[tokio::test]
async fn the_full_file_configures_a_mock() {
    let mock = MockAtlas::builder()
        .config(MockConfig::from_json(FULL.as_bytes()).unwrap())
        .start()
        .await
        .unwrap();
    assert_eq!(mock.public_key(), "fullkey");
    assert_eq!(mock.keys().len(), 2);
    assert_eq!(mock.admin_token(), "full-config-admin-token");
    assert_eq!(mock.clock().mode(), ClockMode::Stepped { step_ms: 1000 });
    assert_eq!(
        mock.clock().start().to_rfc3339(),
        "2026-12-01T00:00:00+00:00"
    );
    let s = mock.stats();
    assert_eq!((s.journal_capacity, s.journal_max_bytes), (5000, 8_388_608));
    assert!(mock.flex_snapshot_url().ends_with(
        "/groups/6a0000000000000000000001/flexClusters/FlexOne/backup/snapshots/6b0000000000000000000001"
    ));
    mock.shutdown().await;
}

#[test]
fn unknown_settings_in_a_pure_data_file_point_to_mock_config() {
    let e = Dataset::from_json(FULL.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("MockConfig"), "{e}");
    let m: Map<String, Value> = serde_json::from_str(DATA).unwrap();
    assert!(Dataset::from_json(Value::Object(m).to_string().as_bytes()).is_ok());
}
