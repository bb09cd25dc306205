"""One module per input format; each offers `parse(stream) -> Iterator[PaperRecord | Reject]`."""
