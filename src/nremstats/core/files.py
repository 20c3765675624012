"""Durable writes for the store: a file is written under a temporary name, flushed, then
renamed over its target in one atomic step (the rename flushed too), so a crash leaves the
old file or the new one, never half of either. Also: hashing files, and JSON written one
list item a line (readable, and fast at thousands of entries). And the one rule for a name
that names a file or folder (:func:`plain_name`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

#: A name that names a file or folder (a layout, a provider, a country; a submission id and
#: the stem of a data file are made of them): a letter or digit, then letters, digits, ``_``,
#: ``.`` and ``-``, at most 64 characters, and never ``..``. No separator, no way up, nothing
#: hidden, the same on every file system.
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
#: What :data:`NAME_PATTERN` allows, in words, for messages.
NAME_RULE = (
    "a name is a letter or digit, then letters, digits, '_', '.' or '-' (at most 64, never '..')"
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def plain_name(text: object, longest: int = 64) -> bool:
    """Whether ``text`` is a name of :data:`NAME_PATTERN` (``longest`` characters at most: a
    store file's stem joins names, so it may be longer)."""
    return (
        isinstance(text, str)
        and len(text) <= longest
        and _NAME.fullmatch(text) is not None
        and ".." not in text
    )


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def replace_durably(tmp: Path, target: Path) -> None:
    """Flush ``tmp``, rename it over ``target``, and flush the rename."""
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


def write_bytes(path: Path, raw: bytes) -> None:
    """Write ``raw`` to ``path`` durably (temporary file, flush, atomic rename)."""
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    tmp.write_bytes(raw)
    replace_durably(tmp, path)


def write_json(path: Path, data: Any) -> None:
    """Write small JSON durably, indented."""
    write_bytes(path, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))


def json_lines(data: Any) -> str:
    """JSON with one list item a line: readable, and written by the fast C encoder
    (``indent`` would use the slow pure-Python one, which counts at thousands of entries)."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    if isinstance(data, list):
        return "[\n" + ",\n".join(map(dump, data)) + "\n]\n" if data else "[]\n"
    parts = [
        f"{dump(key)}: " + (json_lines(value).rstrip() if isinstance(value, list) else dump(value))
        for key, value in data.items()
    ]
    return "{\n" + ",\n".join(parts) + "\n}\n"
