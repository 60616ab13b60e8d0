"""OLE2 compound files (Word, Excel and PowerPoint 97-2003) built at test time, byte by byte.

A small writer of the Compound File Binary format, version 3 (512-byte sectors): a header, the FAT, the
directory (a red-black tree drawn as a chain of right siblings, which readers accept), and the streams.
Streams are padded to 4096 bytes so that none lives in the mini stream (the format's cut-off): the files
stay simple and every reader finds the streams in ordinary sectors. ``olefile`` reads what this writes
(the tests check it before using a file).

What the files hold follows what Office writes: a Word document's ``WordDocument`` and ``1Table``
streams; with macros, the ``Macros`` storage holding the ``VBA`` storage (``dir``, ``_VBA_PROJECT``, a
module stream) and the ``PROJECT`` stream; an Excel workbook's BIFF8 ``Workbook`` stream (BOF,
BoundSheet8, EOF records), with macros the ``_VBA_PROJECT_CUR`` storage, or an Excel 4.0 macro sheet
(BoundSheet8 of type 1); a PowerPoint ``PowerPoint Document`` stream whose DocumentContainer may hold a
VBAInfoContainer.
"""

from __future__ import annotations

import itertools
import struct
from typing import Union

Tree = dict[str, Union[bytes, "Tree"]]

SECTOR = 512
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
MINI_CUTOFF = 4096
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _order(name: str) -> tuple[int, str]:
    return (len(name.encode("utf-16-le")), name.upper())


def compound_file(tree: Tree) -> bytes:
    """A compound file whose root storage holds ``tree`` (name → stream bytes, or a nested storage)."""
    entries: list[dict] = [{"name": "Root Entry", "type": 5, "children": tree}]
    streams: list[tuple[int, bytes]] = []  # (entry index, padded data)

    def add(storage_index: int, children: Tree) -> None:
        indexes = []
        for name in sorted(children, key=_order):
            value = children[name]
            index = len(entries)
            if isinstance(value, dict):
                entries.append({"name": name, "type": 1, "children": value})
                add(index, value)
            else:
                data = value + b"\x00" * max(0, MINI_CUTOFF - len(value))
                entries.append({"name": name, "type": 2, "size": len(data)})
                streams.append((index, data))
            indexes.append(index)
        entries[storage_index]["child"] = indexes[0] if indexes else NOSTREAM
        for left, right in itertools.pairwise(indexes):
            entries[left]["right"] = right

    add(0, tree)

    dir_sectors = -(-len(entries) * 128 // SECTOR)
    data_sectors = sum(-(-len(data) // SECTOR) for _index, data in streams)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + dir_sectors + data_sectors:
        fat_sectors += 1
    assert fat_sectors <= 109, "too large for a header-only DIFAT"

    fat = [FATSECT] * fat_sectors
    first_dir = len(fat)
    fat += [*range(first_dir + 1, first_dir + dir_sectors), ENDOFCHAIN]
    body = b""
    for index, data in streams:
        count = -(-len(data) // SECTOR)
        start = len(fat)
        entries[index]["start"] = start
        fat += [*range(start + 1, start + count), ENDOFCHAIN]
        body += data + b"\x00" * (count * SECTOR - len(data))
    fat += [FREESECT] * (fat_sectors * (SECTOR // 4) - len(fat))

    directory = b""
    for entry in entries:
        name = entry["name"].encode("utf-16-le") + b"\x00\x00"
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name,
            len(name),
            entry["type"],
            1,  # black
            NOSTREAM,
            entry.get("right", NOSTREAM),
            entry.get("child", NOSTREAM) if entry["type"] in (1, 5) else NOSTREAM,
            b"\x00" * 16,
            0,
            0,
            0,
            entry.get("start", ENDOFCHAIN if entry["type"] == 5 else 0),
            entry.get("size", 0),
        )
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"", 0, 0, 0, 0, 0)
    directory += empty * (dir_sectors * SECTOR // 128 - len(entries))

    difat = list(range(fat_sectors)) + [FREESECT] * (109 - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        MAGIC,
        b"\x00" * 16,
        0x003E,
        0x0003,
        0xFFFE,
        9,
        6,
        b"\x00" * 6,
        0,
        fat_sectors,
        first_dir,
        0,
        MINI_CUTOFF,
        ENDOFCHAIN,
        0,
        ENDOFCHAIN,
        0,
    ) + struct.pack("<109I", *difat)
    assert len(header) == SECTOR
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header + fat_bytes + directory + body


# ------------------------------------------------------------------------------------------------
# Word
# ------------------------------------------------------------------------------------------------


def _vba_project(module: str) -> Tree:
    code = f'Attribute VB_Name = "{module}"\r\nSub AutoOpen()\r\n  MsgBox "宏"\r\nEnd Sub\r\n'.encode("gbk")
    return {
        "VBA": {
            "dir": b"\x01" + b"\x00" * 63,  # a compressed container's signature byte, then the records
            "_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
            module: code,
        },
        "PROJECT": f'ID="{{00000000-0000-0000-0000-000000000000}}"\r\nDocument={module}/&H00000000\r\n'.encode(),
        "PROJECTwm": module.encode() + b"\x00" + module.encode("utf-16-le") + b"\x00\x00\x00\x00",
    }


def word_document(text: str, *, macros: bool = False) -> bytes:
    """A .doc whose WordDocument stream holds ``text`` in UTF-16 (as Word stores Chinese text)."""
    fib = struct.pack("<HH", 0xA5EC, 0x00C1) + b"\x00" * 28  # wIdent, nFib: the start of a Word 97 FIB
    tree: Tree = {
        "WordDocument": fib + text.encode("utf-16-le"),
        "1Table": b"\x00" * 64,
        "\x05SummaryInformation": b"\xfe\xff\x00\x00" + b"\x00" * 44,
    }
    if macros:
        tree["Macros"] = _vba_project("ThisDocument")
    return compound_file(tree)


# ------------------------------------------------------------------------------------------------
# Excel
# ------------------------------------------------------------------------------------------------


def _biff(record: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", record, len(body)) + body


def _bound_sheet(name: str, sheet_type: int) -> bytes:
    encoded = name.encode("utf-16-le")
    return _biff(0x0085, struct.pack("<IBBBB", 0, 0, sheet_type, len(name), 1) + encoded)


def excel_workbook(*, vba: bool = False, macro_sheet: bool = False, encrypted: bool = False) -> bytes:
    """An .xls: BOF, (FILEPASS,) one worksheet (and an Excel 4.0 macro sheet), EOF."""
    records = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    if encrypted:
        records += _biff(0x002F, b"\x01\x00" + b"\x00" * 52)
    records += _bound_sheet("数据", 0x00)
    if macro_sheet:
        records += _bound_sheet("Macro1", 0x01)
    records += _biff(0x000A)
    tree: Tree = {"Workbook": records, "\x05SummaryInformation": b"\xfe\xff\x00\x00" + b"\x00" * 44}
    if vba:
        tree["_VBA_PROJECT_CUR"] = _vba_project("ThisWorkbook")
    return compound_file(tree)


# ------------------------------------------------------------------------------------------------
# PowerPoint
# ------------------------------------------------------------------------------------------------


def _ppt_record(version: int, instance: int, record: int, body: bytes) -> bytes:
    return struct.pack("<HHI", (instance << 4) | version, record, len(body)) + body


def powerpoint(*, vba: bool = False) -> bytes:
    """A .ppt whose DocumentContainer holds a DocumentAtom and, with ``vba``, a VBAInfoContainer."""
    children = _ppt_record(0x1, 0, 0x03E9, b"\x00" * 40)  # DocumentAtom
    if vba:
        atom = _ppt_record(0x2, 0, 0x0400, struct.pack("<III", 0, 0, 2))  # VBAInfoAtom
        children += _ppt_record(0xF, 0, 0x03FF, atom)  # VBAInfoContainer
    document = _ppt_record(0xF, 0, 0x03E8, children)  # DocumentContainer
    return compound_file({"PowerPoint Document": document, "Current User": b"\x00" * 32})


def encrypted_ooxml() -> bytes:
    """What Office writes for a password-protected .docx/.xlsx: an OLE file with the encrypted package."""
    return compound_file(
        {"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x00" * 60, "EncryptedPackage": b"\x00" * 200}
    )
