//! The one application state. Handlers take the sub-state they need
//! (`State<softline::State>`, `State<Core>`), never the whole world; axum
//! derives the projections with `FromRef`.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::config::Settings;
use crate::core::clock::Clock;
use crate::core::faults::Mount;
use crate::core::{Core, PublicUrl};
use crate::demo;
use crate::fixtures::Fixtures;
use crate::provider::{Link, Provider, Providers};
use crate::providers::{imshop, intellectmoney, softline};

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub core: Core,
    pub softline: softline::State,
    pub intellectmoney: intellectmoney::State,
    pub imshop: imshop::State,
    pub demo: demo::State,
    /// The same providers as one table, which everything above them
    /// iterates over.
    pub providers: Providers,
}

impl AppState {
    /// Builds the core and every provider on it, for a server reachable at
    /// `public_url`, and publishes the providers' scenarios.
    pub fn new(
        settings: &Settings,
        fixtures: &Fixtures,
        clock: Clock,
        public_url: PublicUrl,
    ) -> Self {
        let seed = settings.seed.unwrap_or_else(rand::random);
        let core = Core::new(
            settings,
            clock,
            seed,
            public_url,
            Arc::clone(&fixtures.cards),
        );
        let softline = softline::State::new(core.clone(), Arc::clone(&fixtures.softline));
        let intellectmoney =
            intellectmoney::State::new(core.clone(), Arc::clone(&fixtures.intellectmoney));
        let imshop = imshop::State::new(core.clone(), Arc::clone(&fixtures.imshop));
        let demo = demo::State::new(core.clone(), Arc::clone(&fixtures.imshop));
        // The dashboard lists them in this order.
        let providers = Providers::new(vec![
            Arc::new(softline.clone()) as Arc<dyn Provider>,
            Arc::new(intellectmoney.clone()),
            Arc::new(imshop.clone()),
            Arc::new(demo.clone()),
        ]);
        core.scenarios.publish(providers.catalogue());
        core.faults.publish(
            providers
                .iter()
                .map(|p| Mount {
                    provider: p.name(),
                    prefix: p.mount(),
                })
                .collect(),
        );
        Self {
            core,
            softline,
            intellectmoney,
            imshop,
            demo,
            providers,
        }
    }

    /// `POST /__sandbox/reset`: every payment, invoice, run, scenario, fault
    /// and journal entry forgotten; the clock back to real time. The core
    /// goes first so providers draw their id sequences from the reseeded
    /// generator.
    pub fn reset(&self) {
        self.core.reset();
        for provider in self.providers.iter() {
            provider.reset();
        }
    }

    /// Links a person wants next to an object's timeline: what its
    /// provider offers (its hosted page, its JSON), and its export.
    pub fn links_for(&self, id: &str) -> Vec<Link> {
        let mut links: Vec<Link> = self
            .providers
            .iter()
            .flat_map(|p| p.links_for(id))
            .collect();
        let export = serde_urlencoded::to_string([("object", id)]).unwrap_or_default();
        links.push(Link::new(
            "Export as JSON",
            format!("/__sandbox/journal?{export}&download=true"),
        ));
        links
    }

    /// Objects held, for `/metrics`.
    pub fn stored_objects(&self) -> Vec<(&'static str, usize)> {
        self.providers
            .iter()
            .flat_map(|p| p.stored_objects())
            .collect()
    }

    /// Moves the sandbox clock: every provider applies what time did (and
    /// announces it), and the webhooks that became due are sent at once.
    pub fn advance_clock(&self, by: time::Duration) {
        self.core.clock.advance(by);
        for provider in self.providers.iter() {
            provider.settle_all();
        }
        self.core.outbox.wake();
    }
}
