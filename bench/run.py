"""Run the benchmarks: ``python bench/run.py [--scenarios network,standard] [--scale 100]``.

Works from a checkout without installing weft (``src`` is put on the path when needed).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
try:
    import weft  # noqa: F401
except ImportError:
    sys.path.insert(0, str(REPO / "src"))

from bench.runner import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
