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

/// What makes a workspace's fixtures its own: a credential of each
/// provider. Everything else (currencies, cards, lifetimes) is the
/// instance's fixtures, the same for every workspace.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Credentials {
    pub softline: SoftlineCredentials,
    pub intellectmoney: IntellectMoneyCredentials,
    pub imshop: ImshopCredentials,
}

/// A Softline API user, its static token and the webhook secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SoftlineCredentials {
    pub username: String,
    pub password: String,
    pub token: String,
    pub webhook_secret: String,
}

/// An IntellectMoney shop's identity and keys.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IntellectMoneyCredentials {
    pub eshop_id: u32,
    pub token: String,
    pub secret_key: String,
    pub sign_secret_key: String,
}

/// The API key IMSHOP sends to merchants.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImshopCredentials {
    pub key: String,
}

impl Fixtures {
    /// The credentials these fixtures hold (the first user, static token and
    /// shop): `default`'s.
    pub fn credentials(&self) -> Credentials {
        let softline = &self.softline;
        let shop = self.intellectmoney.shops.first();
        Credentials {
            softline: SoftlineCredentials {
                username: softline
                    .users
                    .first()
                    .map(|u| u.username.clone())
                    .unwrap_or_default(),
                password: softline
                    .users
                    .first()
                    .map(|u| u.password.clone())
                    .unwrap_or_default(),
                token: softline.static_tokens.first().cloned().unwrap_or_default(),
                webhook_secret: softline.webhook.secret.clone(),
            },
            intellectmoney: IntellectMoneyCredentials {
                eshop_id: shop.map_or(0, |s| s.eshop_id),
                token: shop.map(|s| s.bearer_token.clone()).unwrap_or_default(),
                secret_key: shop.map(|s| s.secret_key.clone()).unwrap_or_default(),
                sign_secret_key: shop.map(|s| s.sign_secret_key.clone()).unwrap_or_default(),
            },
            imshop: ImshopCredentials {
                key: self.imshop.api_key.clone(),
            },
        }
    }

    /// These fixtures with `credentials` in place of every user, static
    /// token, shop and key: a workspace's. Its one shop takes the settings
    /// of the first shop here.
    pub fn with_credentials(&self, name: &str, credentials: &Credentials) -> Self {
        let mut softline = (*self.softline).clone();
        softline.users = vec![softline::fixture::User {
            username: credentials.softline.username.clone(),
            password: credentials.softline.password.clone(),
        }];
        softline.static_tokens = vec![credentials.softline.token.clone()];
        softline.webhook.secret = credentials.softline.webhook_secret.clone();

        let mut intellectmoney = (*self.intellectmoney).clone();
        let ours = &credentials.intellectmoney;
        let template = intellectmoney.shops.first().cloned();
        intellectmoney.shops = template
            .map(|shop| intellectmoney::fixture::Shop {
                eshop_id: ours.eshop_id,
                name: format!("{name} shop"),
                // The shop's wallet: its id with the fixture's account digits.
                eshop_account: u64::from(ours.eshop_id) * 10_000 + 1,
                bearer_token: ours.token.clone(),
                secret_key: ours.secret_key.clone(),
                sign_secret_key: ours.sign_secret_key.clone(),
                ..shop
            })
            .into_iter()
            .collect();

        let mut imshop = (*self.imshop).clone();
        imshop.api_key = credentials.imshop.key.clone();
        // The reference merchant pays with the workspace's own Softline.
        imshop.demo_merchant.softline_token = credentials.softline.token.clone();
        Self {
            cards: Arc::clone(&self.cards),
            softline: Arc::new(softline),
            intellectmoney: Arc::new(intellectmoney),
            imshop: Arc::new(imshop),
        }
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
