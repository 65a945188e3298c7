"""Kubernetes: the fabric's apps as objects on its cluster.

:mod:`~weft.kube.manifests` renders them from the spec (pure: plain dicts, no I/O); the client
adapter, rollout watching and release records talk to the API server.
"""
