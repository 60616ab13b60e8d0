"""A separate process that posts to the ledger and is killed mid-posting by test_crash.py (docs/reliability.md G6).

Usage (environment: DATABASE_URL, KECHUANG_HOME):
  crash_worker.py setup                      accounts and the opening balance
  crash_worker.py post N STAGE HOW KEY       N acknowledged postings, then posting KEY stops at STAGE of the
                                             transaction: HOW=pause prints INFLIGHT and waits to be killed,
                                             HOW=exit leaves through os._exit (no commit, no cleanup)
  crash_worker.py verify                     prints the ledger's state as JSON
  crash_worker.py retry KEY                  posts KEY again (the request the killed process was making)
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings.base")

import django

django.setup()

from kechuang.ledger import services as ledger  # noqa: E402
from kechuang.ledger.choices import AccountKind  # noqa: E402
from kechuang.ledger.models import Account, JournalEntry, JournalLine, Posting  # noqa: E402

AMOUNT = 1_000


def spend(key: str) -> ledger.PostingResult:
    return ledger.post(
        actor=None,
        idempotency_key=key,
        memo="崩溃测试支出",
        kind="test.crash",
        lines=[ledger.debit("a", AMOUNT), ledger.credit("sink", AMOUNT)],
    )


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> None:
    command = argv[1]
    if command == "setup":
        ledger.account_open(code="a", name="a", kind=AccountKind.LIABILITY)
        ledger.account_open(code="sink", name="sink", kind=AccountKind.LIABILITY)
        ledger.account_open(code="world", name="world", kind=AccountKind.EXTERNAL, normal_side="C")
        ledger.post(
            actor=None,
            idempotency_key="crash:fund",
            memo="注资",
            kind="test.fund",
            lines=[ledger.debit("world", 1_000_000), ledger.credit("a", 1_000_000)],
        )
        say("READY")
    elif command == "post":
        count, stage, how, key = int(argv[2]), argv[3], argv[4], argv[5]
        for n in range(count):
            result = spend(f"crash:ack:{how}:{n}")
            say(f"ACK {result.idempotency_key} {result.entry_uuid}")  # printed only after the commit

        def hook(current_stage: str, current_key: str) -> None:
            if current_key != key or current_stage != stage:
                return
            if how == "exit":
                os._exit(86)
            say("INFLIGHT")
            time.sleep(600)

        ledger._test_hook = hook
        spend(key)
        say("UNEXPECTED-COMMIT")
    elif command == "verify":
        say(
            json.dumps(
                {
                    "keys": sorted(Posting.objects.values_list("idempotency_key", flat=True)),
                    "entries": JournalEntry.objects.count(),
                    "lines": JournalLine.objects.count(),
                    "balances": dict(Account.objects.values_list("code", "balance_fen")),
                }
            )
        )
    elif command == "retry":
        result = spend(argv[2])
        say(json.dumps({"replayed": result.replayed, "entry": result.entry_uuid}))
    else:  # pragma: no cover
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
