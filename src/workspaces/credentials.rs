//! A new workspace's credentials: drawn from its own seed (so `--seed`
//! repeats them for a name), apart from the control key, which guards a
//! shared deployment and so always comes from the operating system.

use crate::core::directory::Claims;
use crate::core::ids::Ids;
use crate::fixtures::{
    Credentials, ImshopCredentials, IntellectMoneyCredentials, SoftlineCredentials,
};
use crate::providers::intellectmoney::addressee::SHOP;
use crate::providers::softline::auth::LOGIN;

/// Where new shops' `EshopId`s are drawn: six digits, clear of the
/// built-in shop's 450000.
const ESHOP_IDS: std::ops::Range<u64> = 451_000..1_000_000;

/// A workspace's seed: the instance's, mixed with its name (FNV-1a).
pub fn seed_of(seed: u64, name: &str) -> u64 {
    name.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Fresh credentials for the workspace `name`; its shop's `EshopId` is
/// claimed with `claims`, so no two workspaces share a shop.
pub fn draw(name: &str, seed: u64, claims: &Claims) -> Credentials {
    let ids = Ids::new(seed);
    let eshop_id = loop {
        let id = ids.number(ESHOP_IDS.clone());
        if claims.number(SHOP, id) {
            break u32::try_from(id).expect("six digits fit");
        }
    };
    // The Softline user is the workspace's name, unless another workspace
    // holds that login (`default`'s fixture user `sandbox`): a login_check
    // finds its workspace by the username, so it must be this one's alone.
    let username = std::iter::once(name.to_owned())
        .chain(std::iter::repeat_with(|| format!("{name}-{}", ids.hex(4))))
        .find(|username| claims.text(LOGIN, username))
        .expect("an endless supply of usernames");
    Credentials {
        softline: SoftlineCredentials {
            username,
            password: ids.hex(24),
            token: ids.hex(32),
            webhook_secret: ids.hex(32),
        },
        intellectmoney: IntellectMoneyCredentials {
            eshop_id,
            token: ids.hex(32),
            secret_key: ids.hex(24),
            sign_secret_key: ids.hex(24),
        },
        imshop: ImshopCredentials { key: ids.hex(32) },
    }
}

/// A control key: 32 hex digits from the operating system's generator.
pub fn control_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// A name for a workspace created without one: `ws-` and 8 hex digits.
pub fn generated_name() -> String {
    format!("ws-{}", hex::encode(rand::random::<[u8; 4]>()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_same_seed_and_name_draw_the_same_credentials_and_names_differ() {
        let a = draw("ci-1", seed_of(42, "ci-1"), &Claims::standalone());
        let again = draw("ci-1", seed_of(42, "ci-1"), &Claims::standalone());
        let b = draw("ci-2", seed_of(42, "ci-2"), &Claims::standalone());
        assert_eq!(a, again);
        assert_ne!(a.softline.token, b.softline.token);
        assert!(ESHOP_IDS.contains(&u64::from(a.intellectmoney.eshop_id)));
    }

    #[test]
    fn a_name_another_workspace_logs_in_with_gets_a_username_of_its_own() {
        let directory = Arc::new(crate::core::directory::Directory::default());
        let default = Claims::new(Arc::clone(&directory), 0);
        assert!(default.text(LOGIN, "sandbox"));

        let drawn = draw("sandbox", 7, &Claims::new(Arc::clone(&directory), 1));

        let username = &drawn.softline.username;
        assert!(username.starts_with("sandbox-"), "{username}");
        assert_eq!(directory.text_owner(LOGIN, username), Some(1));
        assert_eq!(directory.text_owner(LOGIN, "sandbox"), Some(0));
    }

    #[test]
    fn two_workspaces_never_share_a_shop() {
        let directory = Arc::new(crate::core::directory::Directory::default());
        let first = draw("x", 7, &Claims::new(Arc::clone(&directory), 1));
        // The same seed draws the same first EshopId: the claim moves it on.
        let second = draw("x", 7, &Claims::new(Arc::clone(&directory), 2));
        assert_ne!(
            first.intellectmoney.eshop_id,
            second.intellectmoney.eshop_id
        );
    }
}
