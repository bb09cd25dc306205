"""Pure parsers for every input format we ingest, their detection and the cleaning they share.

Nothing here imports Django: the service layer (`digest.papers.services`) stores what these yield.
"""
