"""The package's disk cache: one folder, results keyed by everything that made them, capped in size.

Converted models live in the folder itself; computed results (harvests, head scores, feature dashboards) live in one
subfolder per kind, named by a hash of their key, and are evicted least recently used first when
they pass :data:`MAX_BYTES` (``$INTERPLAB_CACHE_MAX_BYTES`` to change it). A key must hold everything
the result depends on: the model's :meth:`~interplab_widgets.ModelHandle.fingerprint`, the inputs,
the options and the kind's format version, so a changed model or changed code never reads an old file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

RESULT_KINDS = ("harvests", "head_scores", "feature_dashboards")
MAX_BYTES = 4 * 2**30


def cache_dir() -> Path:
    """``$INTERPLAB_CACHE``, else ``interplab_widgets`` in the XDG cache folder (``~/.cache``)."""
    if os.environ.get("INTERPLAB_CACHE"):
        return Path(os.environ["INTERPLAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "interplab_widgets"


def result_path(kind: str, key: object, folder: Path | None = None) -> Path:
    """Where the result of ``kind`` for ``key`` (anything JSON can write) is kept."""
    digest = hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()[:32]
    return (folder or cache_dir() / kind) / f"{digest}.npz"


def mark_used(path: Path) -> None:
    """A read counts as a use: eviction goes by modification time (set from the fine-grained clock,
    since the file system's own ticks can give two uses in a row the same time)."""
    now = time.time_ns()
    try:
        os.utime(path, ns=(now, now))
    except OSError:
        pass  # another process evicted it meanwhile; the caller already holds the data


def atomic_write(path: Path, write) -> None:
    """Write through ``write(partial_path)`` and rename, so no reader sees half a file. The partial file keeps
    ``path``'s suffix (numpy would add one) and names this process (another may write the same file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial{path.suffix}")
    write(partial)
    os.replace(partial, path)


def store(path: Path, write) -> None:
    """:func:`atomic_write` a result into the cache, then trim the cache."""
    atomic_write(path, write)
    mark_used(path)
    trim()


def cache_limit() -> int:
    value = os.environ.get("INTERPLAB_CACHE_MAX_BYTES")
    return int(value) if value else MAX_BYTES


def cached_results() -> list[Path]:
    """Every result file in the cache folder, least recently used first."""
    root = cache_dir()
    files = [p for kind in RESULT_KINDS if (root / kind).is_dir() for p in (root / kind).glob("*.npz")]
    return sorted((p for p in files if ".partial" not in p.suffixes), key=_mtime)


def trim(max_bytes: int | None = None) -> int:
    """Delete least recently used results until the rest fit in ``max_bytes``; the bytes freed."""
    limit = cache_limit() if max_bytes is None else max_bytes
    files = cached_results()
    total = sum(_size(p) for p in files)
    freed = 0
    for path in files:
        if total - freed <= limit:
            break
        size = _size(path)
        path.unlink(missing_ok=True)
        freed += size
    return freed


def clear_cache(models: bool = False) -> int:
    """Delete every cached result (and, with ``models=True``, the converted models too); the bytes freed."""
    root = cache_dir()
    freed = trim(0)
    if models and root.is_dir():
        for folder in root.iterdir():
            if folder.is_dir() and folder.name not in RESULT_KINDS:
                freed += sum(_size(p) for p in folder.rglob("*") if p.is_file())
                shutil.rmtree(folder, ignore_errors=True)
    return freed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
