//! The pure state machines: the [`invoice`] and the [`payment`] that tries
//! to pay it. Nothing here reads a clock or does I/O: the time and every
//! outside fact come in as arguments, so the handlers and pages only
//! persist and render what these decide.

pub mod invoice;
pub mod payment;

pub use invoice::{Invoice, InvoiceError, InvoiceStatus, ReturnTo, Standing, Transition};
pub use payment::{
    BuyerPage, Decline, Finish, Origin, PageState, Payment, PaymentError, PaymentMethod,
    PaymentStep, Plan, Progress, check_code,
};
