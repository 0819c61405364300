//! The reference merchant: an IMSHOP payments webhook implemented on top of
//! the Softline sandbox, reached over HTTP like a real merchant would.

use std::sync::Arc;

use crate::core::Core;
use crate::providers::imshop;
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The journal's name for the reference merchant.
pub const NAME: &str = "demo";

#[derive(Clone, Debug)]
pub struct State {
    pub core: Core,
    pub fixture: Arc<imshop::Fixture>,
}

impl State {
    pub fn new(core: Core, fixture: Arc<imshop::Fixture>) -> Self {
        Self { core, fixture }
    }

    /// Forgets the merchant's orders.
    pub fn reset(&self) {}
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
