"""The read side: views straight from rows (never aggregates), the transactions listing, reconciliation, and the
payment-status cache kept exact by the database's change notifications."""
