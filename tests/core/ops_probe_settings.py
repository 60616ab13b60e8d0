"""Settings for the scheduler and worker subprocesses of tests/core: the real settings plus the probe app."""

from kechuang.settings.base import *  # noqa: F403
from kechuang.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "ops_probe"]
MATCH_EMBEDDER = "hashing"  # the subprocesses never compute real vectors
