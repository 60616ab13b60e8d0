"""District profiles: data files that describe a district.

A profile is a folder ``profiles/<name>/`` holding ``profile.yaml``. Another district ships its own
folder (or points ``KECHUANG_PROFILE_DIRS`` at one) and loads it with ``kechuang load-district <name>``;
no district name is written in code outside its profile.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def profile_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("KECHUANG_PROFILE_DIRS", "").split(os.pathsep) if p]
    return [*extra, HERE]


def available_profiles() -> list[str]:
    names: set[str] = set()
    for base in profile_dirs():
        if base.is_dir():
            names.update(p.name for p in base.iterdir() if (p / "profile.yaml").is_file())
    return sorted(names)


def load_profile(name: str) -> dict[str, Any]:
    """Read a profile; raises FileNotFoundError with the places searched."""
    if not name.replace("_", "").replace("-", "").isalnum():
        raise FileNotFoundError(f"无效的街区配置名：{name}")
    for base in profile_dirs():
        path = base / name / "profile.yaml"
        if path.is_file():
            with path.open(encoding="utf-8") as handle:
                data = yaml.load(handle, Loader=_Loader) or {}  # noqa: S506 - a safe loader
            data.setdefault("district", {})
            data["district"].setdefault("code", name)
            return data  # type: ignore[no-any-return]
    searched = ", ".join(str(b) for b in profile_dirs())
    raise FileNotFoundError(f"找不到街区配置 {name}（已查找：{searched}）")
