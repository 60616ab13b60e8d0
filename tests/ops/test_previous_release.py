"""Upgrading a district that runs the previous release: demo data built by that release's own code
(taken from git into a temporary folder, run with this virtualenv), then the current code's
migrations; every row is still there, the audit chain verifies and the ledger reconciles.

The previous release is the last row of docs/releases.md. The test needs the git history: in a clone
without it, it fails and says how to fetch it (it never skips).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from ops_helpers import REPO, fresh_database, kechuang, platform_env

pytestmark = pytest.mark.slow

COUNT_ROWS = """
import json, django
django.setup()
from django.apps import apps
print(json.dumps({
    model._meta.label: model._base_manager.count()
    for model in apps.get_models()
    if model._meta.managed and not model._meta.proxy
}))
"""
WHERE_FROM = "import kechuang, sys; print(kechuang.__file__)"


def previous_release() -> tuple[str, str]:
    """(version, commit) of the last release listed in docs/releases.md."""
    rows = re.findall(
        r"^\|\s*([\w.]+)\s*\|\s*[\d-]+\s*\|\s*([0-9a-f]{40})\s*\|",
        (REPO / "docs" / "releases.md").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert rows, "docs/releases.md lists no release (version | date | 40-character commit | …)"
    return rows[-1]


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, timeout=120)


def _checkout(commit: str, into: Path) -> Path:
    """The release's src/ folder, from git (no worktree is registered, nothing in .git changes)."""
    if _git("rev-parse", "--git-dir").returncode != 0:
        pytest.fail(
            "This upgrade test needs the repository's git history to build the previous release, and "
            f"{REPO} is not a git checkout. Run the tests from a git clone of the project."
        )
    if _git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        pytest.fail(
            f"The previous release's commit {commit} (docs/releases.md) is not in this clone's history. "
            "Fetch it (git fetch --unshallow, or clone without --depth) and run the tests again."
        )
    archive = _git("archive", "--format=tar", commit, "src")
    assert archive.returncode == 0, archive.stderr.decode()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _rows(env: dict[str, str]) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", COUNT_ROWS], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# Tables a later release merged into another (ADR 0019: the modules' code counters into core's).
MOVED = {"vouchers.CodeCounter": "core.CodeCounter", "challenges.CodeCounter": "core.CodeCounter"}


@pytest.mark.db_subprocess
def test_the_previous_releases_demo_data_survives_the_current_migrations(tmp_path):
    version, commit = previous_release()
    old_src = _checkout(commit, tmp_path / "release")
    with fresh_database("release") as database_url:
        env = platform_env(tmp_path / "home", database_url)
        old_env = {**env, "PYTHONPATH": str(old_src)}

        where = subprocess.run(
            [sys.executable, "-c", WHERE_FROM], env=old_env, capture_output=True, text=True, cwd=tmp_path
        )
        assert where.stdout.strip().startswith(str(old_src)), f"release {version} code not used: {where}"

        for command in (
            ["migrate", "--no-input"],
            ["load-district", "juyuan"],
            ["demo-data", "--scale", "small"],
        ):
            kechuang(*command, env=old_env, timeout=600)
        before = _rows(old_env)
        assert before["directory.Organization"] > 100 and before["ledger.JournalEntry"] > 0

        migrated = kechuang("migrate", "--no-input", env=env, timeout=600)
        kechuang("migrate", "--check", env=env)  # nothing left unapplied
        after = _rows(env)

        # Nothing lost: no table has fewer rows. Django's own bookkeeping grows with new models (content
        # types, permissions) and a release's data migrations may add rows (a schedule, a calendar),
        # but no migration creates money or organizations: those tables are unchanged.
        lost = {
            label: (count, after.get(label))
            for label, count in before.items()
            if label not in MOVED and (after.get(label) or 0) < count
        }
        assert not lost, f"rows lost by the migrations from {version}: {lost}"
        for target in set(MOVED.values()):  # a merged table holds at least every row merged into it
            merged = sum(before.get(label, 0) for label, into in MOVED.items() if into == target)
            assert (after.get(target) or 0) >= before.get(target, 0) + merged, (
                target,
                merged,
                after.get(target),
            )
        fixed = {
            label: (count, after[label])
            for label, count in before.items()
            if label.split(".")[0] in ("ledger", "directory") and after[label] != count
        }
        assert not fixed, f"ledger or directory rows changed by the migrations from {version}: {fixed}"
        grew = {label: after[label] - count for label, count in before.items() if after.get(label, 0) > count}
        kechuang("audit-verify", env=env)  # exit 1 on any break
        kechuang("ledger-reconcile", env=env)  # exit 1 on any violation
        print(
            f"\nfrom {version} ({commit[:7]}): {len(before)} tables, {sum(before.values())} rows kept; "
            f"{migrated.stdout.count('Applying')} migrations applied; rows added: {grew}"
        )


def test_without_the_git_history_the_test_fails_and_says_how_to_get_it(tmp_path, monkeypatch):
    with pytest.raises(pytest.fail.Exception, match="fetch --unshallow"):
        _checkout("0" * 40, tmp_path)  # a commit this clone does not have
    _version, commit = previous_release()
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)  # a copy without .git
    with pytest.raises(pytest.fail.Exception, match="not a git checkout"):
        _checkout(commit, tmp_path / "out")
