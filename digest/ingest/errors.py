"""The two ways input goes wrong: the whole input (`IngestError`) or one record (`RecordError`)."""


class IngestError(Exception):
    """A fatal problem with the whole input; the message is one line meant for the operator."""

    # Set by the service once the failure is recorded, so callers can point at the IngestRun.
    run_id: int | None = None


class RecordError(ValueError):
    """One record is unusable; the message is the reason stored in the run's rejects."""
