"""The production settings plus two URLs only the operations tests reach (tests/ops/test_serve.py):
one that fails, to see the generic error page (docs/reliability.md E1), and one that takes seconds, to
have a request in flight when the server is told to stop. Nothing else differs."""

from kechuang.settings.production import *  # noqa: F403

ROOT_URLCONF = "ops_fault_urls"
