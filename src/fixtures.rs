//! Every fixture file, loaded and checked at start-up.

use std::path::Path;
use std::sync::Arc;

use crate::core::cards::CardsFixture;
use crate::core::fixtures::{FixtureError, FixtureFile, check_dir};
use crate::providers::{imshop, intellectmoney, softline};

/// The fixtures of one run.
#[derive(Debug, Clone)]
pub struct Fixtures {
    pub cards: Arc<CardsFixture>,
    pub softline: Arc<softline::Fixture>,
    pub intellectmoney: Arc<intellectmoney::Fixture>,
    pub imshop: Arc<imshop::Fixture>,
}

/// Every fixture's file name, as its [`FixtureFile`] declares it: the
/// names a fixture directory may hold.
pub const NAMES: [&str; 4] = [
    CardsFixture::FILE,
    imshop::Fixture::FILE,
    intellectmoney::Fixture::FILE,
    softline::Fixture::FILE,
];

impl Fixtures {
    /// The built-in fixtures, each replaced by the file of the same name in
    /// `dir` when there is one. A `dir` that is missing or holds a `.json`
    /// file of no fixture's name is refused; which fixtures it replaced is
    /// logged, so a run's log says what it ran with.
    pub fn load(dir: Option<&Path>) -> Result<Self, FixtureError> {
        if let Some(dir) = dir {
            let overridden = check_dir(dir, &NAMES)?;
            let built_in: Vec<&str> = NAMES
                .into_iter()
                .filter(|name| !overridden.contains(name))
                .collect();
            tracing::info!(
                "fixtures from {}: {}; built in: {}",
                dir.display(),
                listed(&overridden),
                listed(&built_in)
            );
        }
        Ok(Self {
            cards: Arc::new(CardsFixture::load(dir)?),
            softline: Arc::new(softline::Fixture::load(dir)?),
            intellectmoney: Arc::new(intellectmoney::Fixture::load(dir)?),
            imshop: Arc::new(imshop::Fixture::load(dir)?),
        })
    }

    /// The built-in fixtures.
    pub fn builtin() -> Self {
        Self::load(None).expect("the built-in fixtures are valid (checked by a test)")
    }
}

/// `a.json, b.json`, or `none`.
fn listed(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_names_are_those_of_the_repository_s_fixture_files() {
        let mut in_repository: Vec<String> = std::fs::read_dir("fixtures")
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".json"))
            .collect();
        in_repository.sort();

        assert_eq!(in_repository, NAMES);
    }

    #[test]
    fn the_built_in_fixtures_load() {
        let fixtures = Fixtures::load(None).unwrap();
        assert_eq!(fixtures.softline.static_tokens, ["sandbox-token"]);
        assert_eq!(fixtures.intellectmoney.shops[0].eshop_id, 450000);
        assert_eq!(fixtures.imshop.api_key, "sandbox-imshop-key");
    }
}
