"""Settings for the test run: the production settings module on real local services.

Each value is only a default; DATABASE_URL and REDIS_URL from the environment win, so the suite can
point at other servers.
"""

import os
import tempfile

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/digest")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-to-pass-the-check")
os.environ.setdefault("SITE_URL", "http://testserver")
# Tests that exercise the sentence-embedding path switch it on themselves; the rest stay lexical
# even in a development venv that has the semantic extra installed.
os.environ.setdefault("MATCH_SEMANTIC", "0")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="digest-test-var-"))

from digest.settings import *  # noqa: F403

ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
