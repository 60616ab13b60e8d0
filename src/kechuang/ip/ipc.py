"""IPC codes: their normal form, the profile's technology field they map to, and whether they fall in a
strategic emerging industry (docs/adr/0028-intellectual-property.md, "IPC").

The strategic-emerging-industry test follows the national 战略性新兴产业分类与国际专利分类参照关系表
(2021) at the level this district needs: the IPC groups of its four clusters (new-generation information
technology, high-end equipment, new materials, biotechnology, new energy). A code is matched by its
longest prefix in :data:`IPC_TABLE`; a code in none of the prefixes maps to no field and is not
strategic (e.g. A47C furniture, B65D packaging).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_IPC = re.compile(r"^(?P<sub>[A-H]\d{2}[A-Z])\s*(?:(?P<main>\d{1,4})\s*/\s*(?P<group>\d{2,6}))?$")


@dataclass(frozen=True)
class IpcClass:
    field: str  # the technology field's code in the district profile
    strategic: bool  # in a strategic emerging industry


# Longest prefix wins (``G06F21`` before ``G06F``). Prefixes are written without spaces or slash.
IPC_TABLE: dict[str, IpcClass] = {
    "H01L": IpcClass("DIG03", True),  # semiconductor devices
    "H10B": IpcClass("DIG03", True),
    "G11C": IpcClass("DIG03", True),
    "H03K": IpcClass("DIG03", True),
    "H01L21": IpcClass("MAT02", True),  # processes for semiconductor devices, wafers
    "C30B": IpcClass("MAT03", True),  # single crystals
    "B81B": IpcClass("DIG02", True),  # MEMS
    "B81C": IpcClass("DIG02", True),
    "G01L": IpcClass("DIG02", True),
    "G01P": IpcClass("DIG02", True),
    "G01D": IpcClass("DIG02", True),
    "G01N27": IpcClass("DIG02", True),
    "G08C": IpcClass("DIG01", True),
    "H04W": IpcClass("DIG08", True),  # wireless networks
    "H04B": IpcClass("DIG08", True),
    "H04L": IpcClass("DIG08", True),
    "H04L9": IpcClass("DIG05", True),  # cryptography
    "G06F21": IpcClass("DIG05", True),  # security arrangements
    "H04L63": IpcClass("DIG05", True),
    "G06N": IpcClass("DIG04", True),  # neural networks, machine learning
    "G06V": IpcClass("DIG04", True),
    "G06T": IpcClass("DIG04", True),
    "G10L": IpcClass("DIG04", True),
    "G06F": IpcClass("DIG07", True),
    "G06F30": IpcClass("DIG06", True),  # CAD/CAE
    "G05B": IpcClass("DIG09", True),
    "B25J": IpcClass("DIG09", True),
    "B60W": IpcClass("DIG10", True),
    "H01S": IpcClass("ENE01", True),  # lasers
    "G02B": IpcClass("ENE02", True),
    "G02F": IpcClass("ENE03", True),
    "G01J": IpcClass("ENE02", True),
    "H01M": IpcClass("ENE04", True),  # batteries, fuel cells
    "H02J": IpcClass("ENE05", True),
    "H02S": IpcClass("ENE04", True),
    "C01B": IpcClass("MAT01", True),
    "C04B": IpcClass("MAT01", True),
    "C23C": IpcClass("MAT04", True),  # thin films
    "B82Y": IpcClass("MAT04", True),
    "C12Q": IpcClass("LIF01", True),  # biochips, assays
    "G01N33": IpcClass("LIF01", True),
    "A61B": IpcClass("LIF02", True),
    "A61N": IpcClass("LIF02", True),
    "A61K": IpcClass("LIF03", True),
    "C07K": IpcClass("LIF03", True),
    "G16H": IpcClass("LIF04", True),
    "G01N21": IpcClass("LIF05", True),
}


def normalize_ipc(raw: str) -> str:
    """``H01L 21/02`` (the office's spacing), or a ValidationError in Chinese."""
    text = re.sub(r"\s+", " ", str(raw or "").strip().upper().replace("／", "/"))
    match = _IPC.match(text)
    if not match:
        raise ValidationError(_("“%(value)s”不是有效的 IPC 分类号，如 H01L 21/02。") % {"value": raw})
    if match.group("main") is None:
        return match.group("sub")
    return f"{match.group('sub')} {int(match.group('main'))}/{match.group('group')}"


def split_ipc(raw: str) -> list[str]:
    """The codes of an export's IPC cell (separated by ; , ； or new lines), normalized, in order."""
    codes: list[str] = []
    for part in re.split(r"[;,；，、\n]+", str(raw or "")):
        if part.strip():
            code = normalize_ipc(part)
            if code not in codes:
                codes.append(code)
    return codes


def classify(code: str) -> IpcClass | None:
    """The entry of the longest matching prefix, or None."""
    key = code.replace(" ", "").split("/")[0]
    for length in range(len(key), 3, -1):
        found = IPC_TABLE.get(key[:length])
        if found is not None:
            return found
    return None


def field_codes(codes: list[str]) -> list[str]:
    """The technology fields of a list of IPC codes, first code first, each once."""
    result: list[str] = []
    for code in codes:
        found = classify(code)
        if found is not None and found.field not in result:
            result.append(found.field)
    return result


def is_strategic(codes: list[str]) -> bool:
    return any((found := classify(code)) is not None and found.strategic for code in codes)
