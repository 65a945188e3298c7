"""Role trust policies read as AWS reads them: the one evaluation every trust check of the local
cloud uses (AssumeRoleWithWebIdentity in :mod:`weft.local.moto_irsa`, Pod Identity roles in
:mod:`weft.local.moto_eks.pod_identity`, the Flow Logs delivery role in
:mod:`weft.local.moto_flow_logs`).

moto 5.2.5's policy engine (``moto.iam.access_control.IAMPolicyStatement``) ignores a
statement's ``Effect`` when it has no ``Resource`` -- and a trust policy never has one -- so a
``Deny`` it matches counts as an allow, and it stops at the first statement whose conditions do
not hold, as if that were a deny. AWS ("Policy evaluation logic" and "Determining whether a
request is allowed or denied within an account", IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
allows a request only when some ``Allow`` statement applies to it, and an explicit ``Deny``
that applies overrides every allow. :func:`trust_allows` reads a trust policy so:

- a statement applies to the principal when its ``Principal`` names it under the given kind
  (``Federated``, ``Service``); a ``Deny`` also applies when its ``Principal`` is ``"*"`` (or
  ``{"AWS": "*"}``), and when it has a ``NotPrincipal`` that does not name the principal;
- a statement applies to an action when its ``Action`` (or, ``NotAction``) matches it: IAM
  matches actions case-insensitively, with ``*`` and ``?`` wildcards ("IAM JSON policy
  elements: Action");
- a ``Deny`` that applies refuses, **with or without a condition**: the emulator does not
  evaluate a Deny's conditions and never allows what AWS might refuse;
- an ``Allow`` counts when every condition holds for the request context. Only the operators
  ``StringEquals``, ``StringLike``, ``ArnEquals`` and ``ArnLike`` on a key the context has are
  evaluated ("IAM JSON policy elements: Condition operators"; condition keys are
  case-insensitive, values are not); any other condition (another operator, an ``IfExists``
  or set operator, an absent key) is taken as unmet, so the emulator never allows more than
  AWS.

Only a statement's principal, action and condition matter: a trust policy has no resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

#: The condition operators :func:`trust_allows` evaluates (lowercase); any other is unmet.
OPERATORS = frozenset({"stringequals", "stringlike", "arnequals", "arnlike"})


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _glob(pattern: str, *, case: bool) -> re.Pattern[str]:
    """An IAM wildcard pattern (``*`` any run, ``?`` one character, nothing else special)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, 0 if case else re.IGNORECASE | re.DOTALL)


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        listed = _listed(statement.get("NotAction"))
        return not any(_glob(p, case=False).fullmatch(action) for p in listed)
    return any(_glob(p, case=False).fullmatch(action) for p in _listed(statement.get("Action")))


def _names(principal: Any, kind: str, value: str) -> bool:
    return isinstance(principal, Mapping) and value in _listed(principal.get(kind))


def _everyone(principal: Any) -> bool:
    return principal == "*" or (
        isinstance(principal, Mapping) and "*" in _listed(principal.get("AWS"))
    )


def _conditions_hold(condition: Any, context: Mapping[str, str]) -> bool:
    if not condition:
        return True
    if not isinstance(condition, Mapping):
        return False
    known = {key.lower(): value for key, value in context.items()}
    for operator, tests in condition.items():
        op = str(operator).lower()
        if op not in OPERATORS or not isinstance(tests, Mapping) or not tests:
            return False
        like = op.endswith("like")
        for key, patterns in tests.items():
            value = known.get(str(key).lower())
            if value is None:
                return False
            if like:
                held = any(_glob(p, case=True).fullmatch(value) for p in _listed(patterns))
            else:
                held = value in _listed(patterns)
            if not held:
                return False
    return True


def trust_allows(
    trust: Mapping[str, Any],
    *,
    kind: str,
    principal: str,
    actions: Iterable[str],
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether the role trust policy ``trust`` lets ``principal`` (named under ``kind``:
    ``"Federated"``, ``"Service"``) do every one of ``actions`` in a request whose condition
    context is ``context``, as AWS decides it (see the module docstring)."""
    statements = trust.get("Statement") if isinstance(trust, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    listed = [s for s in statements or [] if isinstance(s, Mapping)]
    wanted = list(actions)
    if not wanted:
        return False
    values = dict(context or {})
    for action in wanted:
        allowed = False
        for statement in listed:
            if not _action_matches(statement, action):
                continue
            effect = statement.get("Effect")
            who = statement.get("Principal")
            if effect == "Deny":
                if (
                    _names(who, kind, principal)
                    or _everyone(who)
                    or (
                        "NotPrincipal" in statement
                        and not _names(statement.get("NotPrincipal"), kind, principal)
                    )
                ):
                    return False  # an explicit deny overrides every allow, conditional or not
            elif effect == "Allow" and _names(who, kind, principal):
                allowed = allowed or _conditions_hold(statement.get("Condition"), values)
        if not allowed:
            return False
    return True
