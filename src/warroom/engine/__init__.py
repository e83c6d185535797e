"""The durable background engine: work is rows with a due time, claimed by any number of
engine processes, run after the transaction that created it commits."""
