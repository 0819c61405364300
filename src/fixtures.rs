//! Every fixture file, loaded and checked at start-up.

use std::path::Path;
use std::sync::Arc;

use crate::core::cards::CardsFixture;
use crate::core::fixtures::{FixtureError, FixtureFile};
use crate::providers::{imshop, intellectmoney, softline};

/// The fixtures of one run.
#[derive(Debug, Clone)]
pub struct Fixtures {
    pub cards: Arc<CardsFixture>,
    pub softline: Arc<softline::Fixture>,
    pub intellectmoney: Arc<intellectmoney::Fixture>,
    pub imshop: Arc<imshop::Fixture>,
}

impl Fixtures {
    /// The built-in fixtures, each replaced by the file of the same name in
    /// `dir` when there is one.
    pub fn load(dir: Option<&Path>) -> Result<Self, FixtureError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_fixtures_load() {
        let fixtures = Fixtures::load(None).unwrap();
        assert_eq!(fixtures.softline.static_tokens, ["sandbox-token"]);
        assert_eq!(fixtures.intellectmoney.shops[0].eshop_id, 450000);
        assert_eq!(fixtures.imshop.api_key, "sandbox-imshop-key");
    }
}
