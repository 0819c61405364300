//! Loading fixture files: compiled-in defaults, overridable file by file.
//!
//! Every fixture is a JSON file under `fixtures/`, compiled into the binary
//! with `include_str!` so a bare binary needs no files. `--fixtures DIR`
//! replaces any file that DIR holds under the same name. A malformed file
//! stops start-up with a message naming the file, the line and the field.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// Why the fixtures could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file exists but could not be read.
    #[error("fixture {file}: cannot read it: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not what its schema says.
    #[error("fixture {file}: line {line}, column {column}: field `{field}`: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
    /// The file parsed but a value is not usable (an amount, a URL).
    #[error("fixture {file}: field `{field}`: {message}")]
    Value {
        file: String,
        field: String,
        message: String,
    },
}

/// The text of fixture `name`: from `dir` if it holds that file, otherwise
/// the built-in copy. Returns the name to report in errors with the text.
pub fn read(
    name: &str,
    builtin: &'static str,
    dir: Option<&Path>,
) -> Result<(String, String), FixtureError> {
    if let Some(dir) = dir {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => return Ok((path.display().to_string(), text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(FixtureError::Read { file: path, source }),
        }
    }
    Ok((format!("fixtures/{name} (built in)"), builtin.to_owned()))
}

/// Parses fixture text, naming the field and position of the first problem.
pub fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, FixtureError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let field = match err.path().to_string() {
            p if p == "." || p.is_empty() => "(document)".to_owned(),
            p => p,
        };
        invalid(file, field, err.into_inner())
    })?;
    // Trailing text after the document is an error too.
    de.end()
        .map_err(|err| invalid(file, "(document)".to_owned(), err))?;
    Ok(value)
}

fn invalid(file: &str, field: String, err: serde_json::Error) -> FixtureError {
    FixtureError::Invalid {
        file: file.to_owned(),
        line: err.line(),
        column: err.column(),
        field,
        message: strip_position(&err.to_string()),
    }
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Reads and parses one fixture.
pub fn load<T: DeserializeOwned>(
    name: &str,
    builtin: &'static str,
    dir: Option<&Path>,
) -> Result<T, FixtureError> {
    let (file, text) = read(name, builtin, dir)?;
    parse(&file, &text)
}

/// A fixture file: its name, and the built-in text a file of that name in
/// the fixture directory replaces.
pub trait FixtureFile: DeserializeOwned {
    /// `softline.json`.
    const FILE: &'static str;
    /// The built-in file, compiled in.
    const BUILTIN: &'static str;

    /// The built-in fixture, or the file of the same name in `dir`.
    fn load(dir: Option<&Path>) -> Result<Self, FixtureError> {
        load(Self::FILE, Self::BUILTIN, dir)
    }

    /// The built-in fixture (valid: each is checked by a test).
    fn builtin() -> Self {
        Self::load(None).expect("the built-in fixtures are valid (checked by a test)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Shop {
        shops: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        id: u32,
    }

    #[test]
    fn a_wrong_type_names_the_file_line_and_field() {
        let err = parse::<Shop>(
            "shop.json",
            "{\n  \"shops\": [\n    {\"id\": \"x\"}\n  ]\n}",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("fixture shop.json: line 3, column"),
            "{err}"
        );
        assert!(err.contains("field `shops[0].id`"), "{err}");
        assert!(
            err.contains("invalid type: string \"x\", expected u32"),
            "{err}"
        );
    }

    #[test]
    fn broken_json_names_the_line() {
        let err = parse::<Shop>("shop.json", "{\n  \"shops\": [\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn a_file_in_the_directory_overrides_the_built_in_one() {
        let dir = std::env::temp_dir().join(format!("paysandbox-fixture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("shop.json"), r#"{"shops":[{"id":7}]}"#).unwrap();
        let shop: Shop = load("shop.json", r#"{"shops":[]}"#, Some(&dir)).unwrap();
        assert_eq!(shop.shops.len(), 1);
        let other: Shop = load("other.json", r#"{"shops":[]}"#, Some(&dir)).unwrap();
        assert!(other.shops.is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
