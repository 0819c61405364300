//! Loading fixture files: compiled-in defaults, overridable file by file.
//!
//! Every fixture is a JSON file under `fixtures/`, compiled into the binary
//! with `include_str!` so a bare binary needs no files. `--fixtures DIR`
//! replaces any file that DIR holds under the same name. A malformed file
//! stops start-up with a message naming the file, the line and the field;
//! so does a DIR that is missing, or a `.json` file in it that no fixture
//! is named (a typo would otherwise leave the built-in fixture in force,
//! silently).

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
    /// `--fixtures DIR` names nothing.
    #[error("fixture directory {dir} does not exist (the known fixture names are {known})")]
    MissingDirectory { dir: String, known: Known },
    /// `--fixtures DIR` names a file, or something else that is not a
    /// directory.
    #[error("fixture directory {dir} is not a directory (the known fixture names are {known})")]
    NotADirectory { dir: String, known: Known },
    /// The directory holds `.json` files that would override nothing.
    #[error("fixture directory {dir}: {files} (the known fixture names are {known})")]
    UnknownFiles {
        dir: String,
        files: UnknownNames,
        known: Known,
    },
    /// The directory could not be listed.
    #[error("fixture directory {dir}: cannot list it: {source}")]
    List {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// The fixture names, for messages: `cards.json, imshop.json, …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known(pub Vec<&'static str>);

impl std::fmt::Display for Known {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

/// `.json` files that are no fixture's name, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownNames(pub Vec<String>);

impl std::fmt::Display for UnknownNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one} is no fixture's name"),
            many => write!(f, "{} are no fixture's names", many.join(", ")),
        }
    }
}

/// Checks that `dir` is a directory whose `.json` files all bear one of
/// the `known` names, and returns the names it holds (in `known`'s order).
/// Other files (a README, `scenarios.yaml`) are left alone: only a `.json`
/// file looks like a fixture that was meant to count.
pub fn check_dir(dir: &Path, known: &[&'static str]) -> Result<Vec<&'static str>, FixtureError> {
    let shown = dir.display().to_string();
    let known_names = || Known(known.to_vec());
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(FixtureError::NotADirectory {
                dir: shown,
                known: known_names(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FixtureError::MissingDirectory {
                dir: shown,
                known: known_names(),
            });
        }
        Err(source) => return Err(FixtureError::List { dir: shown, source }),
    }
    let list = |source| FixtureError::List {
        dir: shown.clone(),
        source,
    };
    let mut present = Vec::new();
    let mut unknown = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list)? {
        let name = entry
            .map_err(list)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        let is_json = Path::new(&name)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        match known.iter().find(|k| **k == name) {
            Some(k) => present.push(*k),
            None if is_json => unknown.push(name),
            None => {}
        }
    }
    if !unknown.is_empty() {
        // read_dir's order is the file system's; sorted, the message is the
        // same on every machine.
        unknown.sort();
        return Err(FixtureError::UnknownFiles {
            dir: shown,
            files: UnknownNames(unknown),
            known: known_names(),
        });
    }
    present.sort_by_key(|name| known.iter().position(|k| k == name));
    Ok(present)
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

    const KNOWN: [&str; 2] = ["cards.json", "shop.json"];

    /// A fresh empty directory for one test.
    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "paysandbox-fixture-dir-{test}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_directory_gives_the_known_names_it_holds_and_ignores_other_files() {
        // Arrange
        let dir = scratch("known");
        std::fs::write(dir.join("shop.json"), "{}").unwrap();
        std::fs::write(dir.join("cards.json"), "{}").unwrap();
        std::fs::write(dir.join("README.md"), "notes").unwrap();

        // Act
        let present = check_dir(&dir, &KNOWN);

        // Assert
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(present.unwrap(), ["cards.json", "shop.json"]);
    }

    #[test]
    fn json_files_of_unknown_names_are_refused_all_together_in_order() {
        let dir = scratch("unknown");
        std::fs::write(dir.join("shops.json"), "{}").unwrap();
        std::fs::write(dir.join("Cards.JSON"), "{}").unwrap();

        let err = check_dir(&dir, &KNOWN).unwrap_err().to_string();

        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            err,
            format!(
                "fixture directory {}: Cards.JSON, shops.json are no fixture's names \
                 (the known fixture names are cards.json, shop.json)",
                dir.display()
            )
        );
    }

    #[test]
    fn a_missing_directory_is_refused_with_the_known_names() {
        let dir = std::env::temp_dir().join("paysandbox-no-such-fixture-dir");

        let err = check_dir(&dir, &KNOWN).unwrap_err().to_string();

        assert_eq!(
            err,
            format!(
                "fixture directory {} does not exist (the known fixture names are cards.json, shop.json)",
                dir.display()
            )
        );
    }

    #[test]
    fn a_file_given_as_the_directory_is_refused_with_the_known_names() {
        let dir = scratch("file");
        let file = dir.join("shop.json");
        std::fs::write(&file, "{}").unwrap();

        let err = check_dir(&file, &KNOWN).unwrap_err().to_string();

        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            err,
            format!(
                "fixture directory {} is not a directory (the known fixture names are cards.json, shop.json)",
                file.display()
            )
        );
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
