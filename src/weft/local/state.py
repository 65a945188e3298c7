"""Where the local cloud records its background processes."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """``$WEFT_STATE_DIR``, else ``$XDG_STATE_HOME/weft``, else ``~/.local/state/weft``."""
    explicit = os.environ.get("WEFT_STATE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "weft"


def local_dir() -> Path:
    path = state_dir() / "local"
    path.mkdir(parents=True, exist_ok=True)
    return path
