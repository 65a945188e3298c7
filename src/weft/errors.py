"""The whole exception tree of weft.

Every error weft raises on purpose derives from :class:`WeftError`. The CLI catches exactly this
tree and prints the message (never a traceback); anything else reaching the CLI is a bug and is
reported as one.

::

    WeftError                       what failed, and what to do about it
    ├── ConfigError                 the fabric file is wrong (file, line, field, what is allowed)
    ├── UsageError                  a command was called wrongly (bad option combination, ...)
    ├── GuardError                  weft refuses to act: wrong account, lock held, protected fabric,
    │                               a saved plan the cloud has moved away from
    │   ├── LockHeld                the fabric's apply lock is held by someone else
    │   └── StalePlan               the cloud changed since a saved plan was made
    ├── LocalCloudError             the embedded local cloud could not be started/reached
    ├── KubeError                   a Kubernetes API call failed (object, status, what to do)
    │   └── RolloutFailed           an application's rollout failed (pods and reasons named)
    ├── CycleError                  the desired resources depend on each other in a circle
    ├── Waiting                     a step waits on something outside weft (a domain's delegation):
    │                               not a failure; the rest is done, a later run finishes it
    └── CloudError                  a cloud API call failed (resource address, request id, hint)
        ├── TemporaryError          throttling, eventual consistency, a dependency still going away:
        │   │                       retrying later can help (the executor does, with backoff)
        │   └── WaitTimedOut        a wait for a resource's state gave up (retrying waits again)
        ├── NotFound                the resource does not exist (on delete this counts as success)
        └── PermanentError          retrying the same call cannot help (bad request, no permission)

Errors carry ``retryable`` so the engine can decide without comparing strings; AWS error codes are
translated into this tree in exactly one place, :mod:`weft.aws.errors`.
"""

from __future__ import annotations


class WeftError(Exception):
    """Base of every error weft raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(WeftError):
    """The fabric file is invalid. The message names file, line, field and what is allowed."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class UsageError(WeftError):
    """A command was called with options that do not fit together."""


class Waiting(WeftError):
    """A step cannot be done until something outside weft happens (the domain delegated to its
    hosted zone at the registrar, for a DNS-validated certificate). Not a failure: the executor
    reports the step and what depends on it as waiting, finishes everything else, and a later
    run does them once the condition holds. The message says what is awaited and what to do."""


class GuardError(WeftError):
    """weft refuses to act because acting could hurt: wrong account, protected fabric, ..."""


class QuotaExceeded(GuardError):
    """The change does not fit the account's service quotas; ``findings`` lists each quota
    (code, limit, in use, needed, how to raise it), ``problems`` the same as lines."""

    def __init__(
        self,
        message: str,
        *,
        findings: list[dict[str, object]],
        problems: list[str],
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.findings = findings
        self.problems = problems


class LockHeld(GuardError):
    """Another writer holds the fabric's apply lock."""


class StalePlan(GuardError):
    """A saved plan no longer matches the cloud."""


class KubeError(WeftError):
    """A Kubernetes API call failed, or the cluster could not be reached."""


class RolloutFailed(KubeError):
    """A rollout did not become available; ``problems`` names the failing pods and reasons."""

    def __init__(
        self, message: str, *, problems: list[str] | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


class LocalCloudError(WeftError):
    """The embedded local cloud could not be started, stopped or reached."""


class CycleError(WeftError):
    """Resources depend on each other in a circle."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle: " + " -> ".join([*cycle, cycle[0]]))
        self.cycle = cycle


class CloudError(WeftError):
    """A cloud API call failed."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        address: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.address = address
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        head = f"{self.address}: {self.message}" if self.address else self.message
        extras = []
        if self.code:
            extras.append(f"code {self.code}")
        if self.request_id:
            extras.append(f"request id {self.request_id}")
        if extras:
            head += f" ({', '.join(extras)})"
        if self.hint:
            head += f"\n  hint: {self.hint}"
        return head


class TemporaryError(CloudError):
    """Retrying later can help: throttling, eventual consistency, a dependency still going away."""

    retryable = True


class WaitTimedOut(TemporaryError):
    """A wait for a resource to reach a state gave up after its timeout.

    A re-run (or the executor's retry) waits again; unlike a wait that ends well, the time this
    one spent counts toward the executor's deadline, so a resource that never gets there is not
    waited on forever.
    """


class NotFound(CloudError):
    """The resource does not exist."""


class PermanentError(CloudError):
    """Retrying the same call cannot help."""
