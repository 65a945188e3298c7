"""``python -m bench``: the same as ``python bench/run.py``."""

from bench.runner import main

raise SystemExit(main())
