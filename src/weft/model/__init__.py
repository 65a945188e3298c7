"""Spec → desired resources (pure: no cloud, no terminal)."""

from weft.model.fabric import desired_resources

__all__ = ["desired_resources"]
