from __future__ import annotations

import time

from django_tasks import task


@task()
def nap(seconds: float) -> str:
    time.sleep(seconds)
    return "rested"
