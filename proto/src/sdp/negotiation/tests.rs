//! Offer/answer tests.
