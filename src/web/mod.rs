//! The web kit: what every provider's pages and the dashboard share, below
//! the providers so that none of them imports from the dashboard or the
//! control plane.
//!
//! - [`frame`]: the dashboard's page frame (clock, navigation, notices),
//!   which the providers' dashboard panels render into, and how times read;
//! - [`switcher`]: the workspace a page shows, and its control-plane URLs,
//!   from the [`CurrentWorkspace`] the dispatcher puts on each request (the
//!   registry seen through [`WorkspaceNames`], which it implements);
//! - [`redirect`]: `303 See Other` with a `Location` that is always valid;
//! - [`origin`]: refusing cross-site form posts;
//! - [`lang`]: the hosted pages' two languages.

pub mod frame;
pub mod lang;
pub mod origin;
pub mod redirect;
pub mod switcher;

pub use frame::{Frame, Nav, NavItem, NavItems, format_time, url_pieces};
pub use lang::Lang;
pub use switcher::{CurrentWorkspace, Switcher, WorkspaceNames};
