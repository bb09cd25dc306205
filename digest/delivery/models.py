"""The outbox: one Delivery row per (subscriber, period)."""
