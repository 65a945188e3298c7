"""weft: one declarative file and one CLI for a production-quality AWS + Kubernetes fabric."""

__version__ = "0.1.0"
