//! [`OrderStore`]: the simulated venue's orders — the working ones, in placement order, and a bounded history of
//! finished ones, as a real venue keeps a window of order history rather than every order forever.

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::collections::VecDeque;

use crate::model::{OrderId, OrderReport};

/// How many finished orders the venue remembers for status queries (Binance's order-history queries return up
/// to 1,000 orders).
pub const FINISHED_ORDERS_KEPT: usize = 1_000;

/// Working orders by id (insertion-ordered, so matching follows placement order) and recent finished orders.
#[derive(Default)]
pub(super) struct OrderStore {
    open: IndexMap<OrderId, OrderReport, FxBuildHasher>,
    finished: VecDeque<OrderReport>,
}

impl OrderStore {
    /// Whether a working order has client id `id` (ids may not repeat among working orders, as on Binance).
    pub(super) fn is_open(&self, id: OrderId) -> bool {
        self.open.contains_key(&id)
    }

    /// Stores `report`: among the working orders, or in the history if it is already final.
    pub(super) fn insert(&mut self, report: OrderReport) {
        if report.status.is_final() {
            self.remember(report);
        } else {
            self.open.insert(report.request.client_order_id, report);
        }
    }

    /// Number of working orders.
    #[inline]
    pub(super) fn open_len(&self) -> usize {
        self.open.len()
    }

    /// The `index`-th working order, in placement order.
    #[inline]
    pub(super) fn open_at_mut(&mut self, index: usize) -> Option<&mut OrderReport> {
        self.open.get_index_mut(index).map(|(_, report)| report)
    }

    /// Moves the `index`-th working order to the history (it became final).
    pub(super) fn finish_at(&mut self, index: usize) {
        if let Some((_, report)) = self.open.shift_remove_index(index) {
            self.remember(report);
        }
    }

    /// Where working order `id` stands among the working orders (its index for [`OrderStore::open_at_mut`]).
    pub(super) fn open_position(&self, id: OrderId) -> Option<usize> {
        self.open.get_index_of(&id)
    }

    /// The working order `id`.
    pub(super) fn open_mut(&mut self, id: OrderId) -> Option<&mut OrderReport> {
        self.open.get_mut(&id)
    }

    /// Replaces working order `id` with `report`, placed last among the working orders (it lost its priority).
    pub(super) fn move_to_back(&mut self, id: OrderId, report: OrderReport) {
        self.open.shift_remove(&id);
        self.open.insert(id, report);
    }

    /// Moves working order `id` to the history.
    pub(super) fn finish(&mut self, id: OrderId) {
        if let Some(report) = self.open.shift_remove(&id) {
            self.remember(report);
        }
    }

    /// The venue's record of `id`: working, or among the remembered finished orders (newest first).
    pub(super) fn get(&self, id: OrderId) -> Option<&OrderReport> {
        self.open.get(&id).or_else(|| self.finished.iter().rev().find(|r| r.request.client_order_id == id))
    }

    fn remember(&mut self, report: OrderReport) {
        if self.finished.len() == FINISHED_ORDERS_KEPT {
            self.finished.pop_front();
        }
        self.finished.push_back(report);
    }
}
