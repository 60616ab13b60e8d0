"""A separate process that keeps writing while test_backup.py takes a backup (docs/reliability.md M2):
ledger postings (each also an audit record) and plain audit records, as users would.

Usage (environment: DATABASE_URL, KECHUANG_HOME):
  backup_writer.py setup            the accounts and an opening balance
  backup_writer.py write STOP OUT   posts until the file STOP exists, then writes the acknowledged
                                    postings (key and time) to the JSON file OUT
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings.base")

import django

django.setup()

from kechuang.core import audit  # noqa: E402
from kechuang.ledger import services as ledger  # noqa: E402
from kechuang.ledger.choices import AccountKind  # noqa: E402


def main(argv: list[str]) -> None:
    if argv[1] == "setup":
        ledger.account_open(code="backup:a", name="a", kind=AccountKind.LIABILITY)
        ledger.account_open(code="backup:sink", name="sink", kind=AccountKind.LIABILITY)
        ledger.account_open(code="backup:world", name="world", kind=AccountKind.EXTERNAL, normal_side="C")
        ledger.post(
            actor=None,
            idempotency_key="backup:fund",
            memo="注资",
            kind="test.fund",
            lines=[ledger.debit("backup:world", 100_000_000), ledger.credit("backup:a", 100_000_000)],
        )
        print("READY", flush=True)
        return
    stop, out = Path(argv[2]), Path(argv[3])
    acknowledged = []
    number = 0
    print("WRITING", flush=True)
    while not stop.exists():
        number += 1
        key = f"backup:spend:{number}"
        ledger.post(
            actor=None,
            idempotency_key=key,
            memo="备份期间的支出",
            kind="test.spend",
            lines=[ledger.debit("backup:a", 100), ledger.credit("backup:sink", 100)],
        )
        audit.record("test.write", object_type="test.write", object_id=str(number))
        acknowledged.append({"key": key, "at": time.time()})
    out.write_text(json.dumps(acknowledged))


if __name__ == "__main__":
    main(sys.argv)
