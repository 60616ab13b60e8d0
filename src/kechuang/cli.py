"""The ``kechuang`` console script: every Django management command, with hyphenated aliases for the
platform's own ones (``kechuang load-district`` runs ``load_district``)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings.base")
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    if len(argv) > 1 and argv[1] == "demo":
        # Demo accounts may exist only in demo mode (docs/reliability.md A4).
        os.environ["KECHUANG_DEMO"] = "1"
    argv[0] = "kechuang"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":  # pragma: no cover
    main()
