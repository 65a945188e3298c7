"""pydantic's validation errors in weft's words: ``(field path, message)`` pairs.

weft's own checks raise :func:`~weft.fabricfile.checks.problem` errors, whose pairs are taken as
they are. pydantic's built-in errors are reworded: an unknown key names the allowed keys (with a
did-you-mean), a missing key gives an example (:data:`REQUIRED_HINTS`), a wrong type says what was
expected and what YAML read. No pydantic wording is shown.
"""

from __future__ import annotations

import datetime
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from weft.fabricfile.checks import PROBLEM, Path, describe, suggestions
from weft.fabricfile.schema import USER_KEYS, Fabric

__all__ = ["REQUIRED_HINTS", "translate", "unknown_key"]

#: Examples for required keys; ``[]`` stands for any list index.
REQUIRED_HINTS: dict[Path, str] = {
    ("name",): "e.g. name: demo",
    ("region",): "e.g. region: us-east-2",
    ("network",): "e.g. network: {cidr: 10.0.0.0/16}",
    ("network", "cidr"): "e.g. cidr: 10.0.0.0/16",
    ("nodegroups", "[]", "name"): "e.g. name: general",
    ("nodegroups", "[]", "instance_types"): "e.g. instance_types: [m6i.large]",
    ("nodegroups", "[]", "min"): "e.g. min: 1",
    ("nodegroups", "[]", "max"): "e.g. max: 3",
    ("nodegroups", "[]", "taints", "[]", "key"): "e.g. key: dedicated",
    ("nodegroups", "[]", "taints", "[]", "effect"): "e.g. effect: NoSchedule",
    ("fargate", "[]", "name"): "e.g. name: system",
    ("fargate", "[]", "selectors"): "e.g. selectors: [{namespace: kube-system}]",
    ("fargate", "[]", "selectors", "[]", "namespace"): "e.g. namespace: default",
    ("databases", "[]", "name"): "e.g. name: main",
    ("databases", "[]", "engine_version"): 'e.g. engine_version: "16"',
    ("databases", "[]", "instance_class"): "e.g. instance_class: db.t4g.medium",
    ("caches", "[]", "name"): "e.g. name: sessions",
    ("caches", "[]", "engine_version"): 'e.g. engine_version: "7.1"',
    ("caches", "[]", "node_type"): "e.g. node_type: cache.t4g.small",
    ("buckets", "[]", "name"): "e.g. name: uploads",
    ("dns", "domain"): "e.g. domain: example.com",
    ("apps", "[]", "name"): "e.g. name: web",
    ("apps", "[]", "image"): "e.g. image: ghcr.io/acme/web",
    ("apps", "[]", "version"): 'e.g. version: "1.0.0"',
    ("apps", "[]", "resources", "cpu"): "e.g. cpu: 250m",
    ("apps", "[]", "resources", "memory"): "e.g. memory: 256Mi",
    ("apps", "[]", "health", "path"): "e.g. path: /healthz",
    ("apps", "[]", "ingress", "host"): "e.g. host: www.example.com",
    ("apps", "[]", "autoscale", "min"): "e.g. min: 2",
    ("apps", "[]", "autoscale", "max"): "e.g. max: 10",
    ("cronjobs", "[]", "name"): "e.g. name: nightly-report",
    ("cronjobs", "[]", "schedule"): 'e.g. schedule: "0 3 * * *"',
    ("cronjobs", "[]", "image"): "e.g. image: ghcr.io/acme/jobs",
    ("cronjobs", "[]", "version"): 'e.g. version: "1.0.0"',
    ("cronjobs", "[]", "resources", "cpu"): "e.g. cpu: 250m",
    ("cronjobs", "[]", "resources", "memory"): "e.g. memory: 256Mi",
}


def translate(error: ValidationError) -> list[tuple[Path, str]]:
    """The problems of ``error``, at paths relative to the fabric."""
    found: list[tuple[Path, str]] = []
    for detail in error.errors(include_url=False):
        loc: Path = tuple(detail["loc"])
        kind = detail["type"]
        value = detail.get("input")
        if kind == PROBLEM:
            for subpath, message in detail.get("ctx", {}).get("problems", []):
                found.append(((*loc, *subpath), message))
            continue
        if kind == "extra_forbidden":
            key = loc[-1] if loc else "?"
            found.append((loc, unknown_key(str(key), _model_at(loc[:-1]))))
        elif kind == "missing":
            hint = REQUIRED_HINTS.get(tuple("[]" if isinstance(p, int) else p for p in loc))
            found.append((loc, "required key is missing" + (f"; {hint}" if hint else "")))
        else:
            found.append((loc, _type_message(kind, value, loc)))
    return found


def unknown_key(key: str, model: type[BaseModel] | None) -> str:
    """The message for ``key``, which ``model`` does not have (None: not known)."""
    if model is None:
        return "unknown key"
    allowed = USER_KEYS.get(model, tuple(model.model_fields))
    found = suggestions(key, allowed)
    either = " or ".join(repr(s) for s in found)
    hint = f"; did you mean {either}? Allowed" if found else "; allowed"
    return f"unknown key{hint} keys here: {', '.join(allowed)}"


def _model_at(loc: Path) -> type[BaseModel] | None:
    """The model of the mapping at ``loc`` (through lists and mappings of models), if any."""
    annotation: Any = Fabric
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    for candidate in _alternatives(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _alternatives(annotation: Any) -> list[Any]:
    """The types an annotation allows: unions are split, ``Annotated`` metadata dropped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _alternatives(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        return [alternative for arg in get_args(annotation) for alternative in _alternatives(arg)]
    return [annotation]


def _step(annotation: Any, part: str | int) -> Any:
    for candidate in _alternatives(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = candidate.model_fields.get(str(part)) if isinstance(part, str) else None
            if field is not None:
                return field.annotation
        elif get_origin(candidate) is list and isinstance(part, int):
            return get_args(candidate)[0]
        elif get_origin(candidate) is dict and isinstance(part, str):
            return get_args(candidate)[1]
    return None


def _type_message(kind: str, value: Any, loc: Path) -> str:
    got = describe(value)
    quote_hint = (
        "; put it in quotes if it is meant as text"
        if isinstance(value, bool | int | float | datetime.date) and value is not None
        else ""
    )
    if kind in ("string_type", "string_sub_type"):
        return f"expected text, got {got}{quote_hint}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if kind in ("bool_type", "bool_parsing"):
        words = ("yes", "no", "on", "off", "y", "n", "true", "false")
        hint = (
            " (YAML 1.2 reads it as text; write true or false)"
            if isinstance(value, str) and value.lower() in words
            else ""
        )
        return f"expected true or false, got {got}{hint}"
    if kind in ("dict_type", "mapping_type"):
        return f"expected a mapping of keys to values, got {got}"
    if kind in ("model_type", "model_attributes_type"):
        model = _model_at(loc)
        keys = f" ({', '.join(USER_KEYS.get(model, ()))})" if model is not None else ""
        return f"expected a mapping of keys{keys}, got {got}"
    if kind == "list_type":
        entries = "; write each entry on its own line, starting with '- '"
        return f"expected a list, got {got}" + (entries if isinstance(value, dict) else "")
    if kind == "literal_error":
        return f"{got} is not allowed"
    return f"{got} is not a valid value here"
