"""The compiled part of the build; everything else is in pyproject.toml.

digest/ingest/_arxiv_fast.c prepares the common arXiv snapshot record. It is optional: where it
cannot be built (no C compiler or Python headers), every record takes the Python path, which gives
the same result more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("digest.ingest._arxiv_fast", sources=["digest/ingest/_arxiv_fast.c"], optional=True)
    ]
)
