//! [`VenueId`]: which venue an order, a stream or a fill belongs to, as a small index.

/// Index of a venue among a run's venues (the router's order, fixed at construction); used on the hot path
/// instead of the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VenueId(pub usize);
