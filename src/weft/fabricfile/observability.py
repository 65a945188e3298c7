"""The observability part of a fabric file: what weft watches the fabric with.

::

    observability:
      dashboard: true
      logs: {retention_days: 30}     # false: no container logs in CloudWatch Logs

On by default and cheap by default: ``dashboard`` (default true) makes one CloudWatch dashboard
per fabric from the metrics AWS publishes for free (the load balancers', databases', caches',
NAT gateways' and the EKS control plane's); a dashboard costs $3 a month beyond the first three
of an account. Node and pod widgets need Container Insights, which is priced per observation and
is not turned on here.

``logs`` (on by default when the fabric has a cluster) ships the containers' output to one
CloudWatch Logs group of the fabric with the ``fluent-bit`` EKS community add-on (not the
CloudWatch Observability add-on, which turns on Container Insights, priced per observation):
kept ``retention_days`` (default 30, one of the periods CloudWatch Logs offers), encrypted with
the fabric key. ``logs: false`` (or null) turns it off. What it makes: :mod:`weft.model.logs`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from weft.fabricfile.checks import MODEL_CONFIG, problem
from weft.fabricfile.cluster import DEFAULT_LOG_RETENTION_DAYS, LOG_RETENTION_DAYS

__all__ = ["ContainerLogs", "Observability"]


def _check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise problem(
            (
                (),
                f"{value} days is not a retention CloudWatch Logs offers; one of: "
                f"{', '.join(str(days) for days in LOG_RETENTION_DAYS)}",
            )
        )
    return value


class ContainerLogs(BaseModel):
    """The containers' logs in CloudWatch Logs."""

    model_config = MODEL_CONFIG

    #: how long CloudWatch Logs keeps them (one of its periods)
    retention_days: Annotated[int, AfterValidator(_check_retention)] = DEFAULT_LOG_RETENTION_DAYS


def _logs_switch(value: Any) -> Any:
    """``logs: false`` or null turns the logs off; ``logs: true`` keeps the defaults."""
    if value is False or value is None:
        return None
    if value is True:
        return {}
    return value


class Observability(BaseModel):
    """What weft makes to watch the fabric."""

    model_config = MODEL_CONFIG

    #: one CloudWatch dashboard of the fabric (``weft dashboard`` prints its address)
    dashboard: bool = True
    #: the containers' logs in CloudWatch Logs (None: off)
    logs: Annotated[ContainerLogs | None, BeforeValidator(_logs_switch)] = Field(
        default_factory=ContainerLogs
    )
