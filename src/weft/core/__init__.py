"""The engine: pure logic only (resources, refs, graph, planner, executor, events).

Nothing here imports boto3, lightkube, the CLI or the spec; an import-linter contract in
pyproject.toml enforces it.
"""
