//! Per-contact order: two inputs for the same email, phone or id never run at once, and run
//! in input order; inputs for different contacts run in parallel.
//!
//! Each input touches a few keys. It enters the queue of every key it touches, in input order,
//! and may run only when it is first in all of them; so a stuck or failing input holds back
//! only the later inputs that share a key with it, and since every queue is in input order
//! no two inputs can wait for each other.

use std::collections::{HashMap, VecDeque};

/// What identifies a contact for ordering: its email (lowercased, as the API matches it), its
/// phone, or its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Email(String),
    Phone(String),
    Id(i64),
}

/// The key queues of the inputs in the window.
#[derive(Debug, Default)]
pub(crate) struct Order {
    queues: HashMap<Key, VecDeque<u64>>,
}

impl Order {
    /// Enters input `seq` behind every earlier input sharing a key; `true` when it may run
    /// at once.
    pub(crate) fn enter(&mut self, seq: u64, keys: &[Key]) -> bool {
        let mut first = true;
        for key in keys {
            let queue = self.queues.entry(key.clone()).or_default();
            first &= queue.is_empty();
            queue.push_back(seq);
        }
        first
    }

    /// Removes input `seq` (finished, or dropped from the window without running) and returns
    /// the inputs first in one of its keys' queues now; the caller checks them with
    /// [`Order::is_first`]. The queues are as short as the window, so removal scans them.
    pub(crate) fn leave(&mut self, seq: u64, keys: &[Key]) -> Vec<u64> {
        let mut next = Vec::new();
        for key in keys {
            if let Some(queue) = self.queues.get_mut(key) {
                queue.retain(|s| *s != seq);
                match queue.front() {
                    Some(front) => next.push(*front),
                    None => {
                        self.queues.remove(key);
                    }
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        next
    }

    /// Whether input `seq` is first in the queue of every key it touches.
    pub(crate) fn is_first(&self, seq: u64, keys: &[Key]) -> bool {
        keys.iter().all(|key| {
            self.queues
                .get(key)
                .is_none_or(|queue| queue.front() == Some(&seq))
        })
    }

    /// How many keys have inputs waiting (for tests: nothing leaks).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queues.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(e: &str) -> Key {
        Key::Email(e.to_owned())
    }

    #[test]
    fn an_input_waits_for_every_earlier_input_sharing_a_key() {
        let mut order = Order::default();
        let jane = [email("jane"), Key::Phone("+39".into())];
        let jane_again = [email("jane")];
        let by_phone = [Key::Phone("+39".into())];
        let other = [email("other")];
        assert!(order.enter(1, &jane));
        assert!(!order.enter(2, &jane_again));
        assert!(!order.enter(3, &by_phone));
        assert!(order.enter(4, &other));
        // 1 finishes: 2 and 3 are first in their queues.
        let next = order.leave(1, &jane);
        assert_eq!(next, [2, 3]);
        assert!(order.is_first(2, &jane_again) && order.is_first(3, &by_phone));
        order.leave(2, &jane_again);
        order.leave(3, &by_phone);
        order.leave(4, &other);
        assert_eq!(order.len(), 0);
    }

    #[test]
    fn an_input_leaving_out_of_turn_keeps_the_order_of_the_others() {
        let mut order = Order::default();
        let jane = [email("jane")];
        assert!(order.enter(1, &jane));
        assert!(!order.enter(2, &jane));
        assert!(!order.enter(3, &jane));
        // 2 leaves without having run (a sync that stops): 1 is still first, then 3.
        assert_eq!(order.leave(2, &jane), [1]);
        assert!(order.is_first(1, &jane) && !order.is_first(3, &jane));
        assert_eq!(order.leave(1, &jane), [3]);
        assert!(order.is_first(3, &jane));
        assert!(order.leave(3, &jane).is_empty());
        assert_eq!(order.len(), 0);
    }

    #[test]
    fn an_input_touching_two_busy_keys_waits_for_both() {
        let mut order = Order::default();
        assert!(order.enter(1, &[email("a")]));
        assert!(order.enter(2, &[email("b")]));
        let both = [email("a"), email("b")];
        assert!(!order.enter(3, &both));
        order.leave(1, &[email("a")]);
        assert!(!order.is_first(3, &both), "b is still busy");
        assert_eq!(order.leave(2, &[email("b")]), [3]);
        assert!(order.is_first(3, &both));
    }
}
