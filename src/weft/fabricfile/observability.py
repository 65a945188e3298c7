"""The observability part of a fabric file: what weft watches the fabric with.

::

    observability:
      dashboard: true
      alarms:
        email: [oncall@example.com]
      logs: {retention_days: 30}     # false: no container logs in CloudWatch Logs

On by default and cheap by default: ``dashboard`` (default true) makes one CloudWatch dashboard
per fabric from the metrics AWS publishes for free (the load balancers', databases', caches',
NAT gateways' and the EKS control plane's); a dashboard costs $3 a month beyond the first three
of an account. Node and pod widgets need Container Insights (``container_insights``, below, off
by default: it is priced per observation) and are on the dashboard only with it.

``alarms`` are on exactly when they have somewhere to go: with ``email`` addresses, weft makes an
SNS topic (encrypted with the fabric key), subscribes each address (each must confirm the e-mail
AWS sends before anything reaches it) and CloudWatch alarms for the failures a small team must
hear about: a database with less than 10% of its storage free, a certificate within 30 days of
expiry, NAT gateway port allocation errors and dropped packets, and each app behind the ingress
answering 5xx (written by ``weft deploy``, once the load balancer exists). Without addresses
there is no topic and no alarm: an alarm nobody hears still costs $0.10 a month, and a topic
without subscribers delivers nothing. Node and pod alarms (CPU, memory, restarts, NotReady) need
Container Insights and come only with it.

``logs`` (on by default when the fabric has a cluster) ships the containers' output to one
CloudWatch Logs group of the fabric with the ``fluent-bit`` EKS community add-on (not the
CloudWatch Observability add-on, which turns on Container Insights, priced per observation):
kept ``retention_days`` (default 30, one of the periods CloudWatch Logs offers), encrypted with
the fabric key. ``logs: false`` (or null) turns it off. What it makes: :mod:`weft.model.logs`.

``container_insights: true`` (it needs the cluster) installs the ``amazon-cloudwatch-observability``
EKS add-on with a role of its own (the CloudWatch agent's service account may assume it:
``CloudWatchAgentServerPolicy``): node and pod metrics in CloudWatch, billed per observation
(not in ``weft cost``'s total: the volume follows the pods and containers). The dashboard then
shows the nodes' CPU and memory, their count and the failed ones, the pods running in the apps'
namespace, and each app's pods' CPU, memory and container restarts. With alarms on, it adds the
node alarms (a node not ready, nodes' CPU or memory above 80% for 15 minutes) and each app's
restart alarm (its containers restarting in each of three 5-minute periods: a crash loop).

``prometheus: true`` (it needs the cluster, with a private API endpoint: ``endpoint: private``
or ``both``) makes an Amazon Managed Service for Prometheus workspace of the fabric and an AWS
managed collector (an agentless scraper AWS runs in the cluster's subnets) that scrapes the
API server, the kubelets, cAdvisor and the pods that ask for it (the
``prometheus.io/scrape: "true"`` annotation) every ``scrape_interval`` seconds (default 60;
AWS's collectors take no less than 30) into that workspace. Billed per collector hour and per
sample collected and ingested: the samples follow the pods, so ``weft cost`` leaves them out
of its total. ``weft status`` shows the workspace's query and remote-write endpoint. What it
makes: :mod:`weft.model.prometheus`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from weft.fabricfile.checks import MODEL_CONFIG, describe, problem
from weft.fabricfile.cluster import DEFAULT_LOG_RETENTION_DAYS, LOG_RETENTION_DAYS, Cluster

__all__ = ["Alarms", "ContainerLogs", "Observability", "Prometheus", "prometheus_problems"]

#: what SNS takes as an e-mail endpoint: one address, no display name
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _check_email(value: str) -> str:
    if not _EMAIL_RE.fullmatch(value):
        raise problem(((), f"{describe(value)} is not an e-mail address (name@example.com)"))
    return value.lower()


Email = Annotated[str, AfterValidator(_check_email)]


class Alarms(BaseModel):
    """Where the fabric's alarms go."""

    model_config = MODEL_CONFIG

    #: the addresses the alarms are e-mailed to (each confirms its subscription once)
    email: Annotated[list[Email], Field(max_length=20)] = []

    @property
    def on(self) -> bool:
        return bool(self.email)


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


def _switch(value: Any) -> Any:
    """A section that is also a switch (``logs``, ``prometheus``): false or null turns it off;
    true keeps its defaults."""
    if value is False or value is None:
        return None
    if value is True:
        return {}
    return value


#: the shortest scrape interval an AWS managed collector takes ("Scraper configuration", Amazon
#: Managed Service for Prometheus User Guide: "can't specify a scrape interval of less than 30
#: seconds"), and the longest weft offers (Prometheus marks a series stale after 5 minutes)
MIN_SCRAPE_INTERVAL = 30
MAX_SCRAPE_INTERVAL = 300
DEFAULT_SCRAPE_INTERVAL = 60


def _check_interval(value: int) -> int:
    if not MIN_SCRAPE_INTERVAL <= value <= MAX_SCRAPE_INTERVAL:
        raise problem(
            (
                (),
                f"{value} seconds is not a scrape interval weft takes: from "
                f"{MIN_SCRAPE_INTERVAL} (the least an AWS managed collector takes) to "
                f"{MAX_SCRAPE_INTERVAL}",
            )
        )
    return value


class Prometheus(BaseModel):
    """The cluster's metrics in Amazon Managed Service for Prometheus."""

    model_config = MODEL_CONFIG

    #: seconds between two scrapes of each target (fewer samples, cheaper)
    scrape_interval: Annotated[int, AfterValidator(_check_interval)] = DEFAULT_SCRAPE_INTERVAL


class Observability(BaseModel):
    """What weft makes to watch the fabric."""

    model_config = MODEL_CONFIG

    #: one CloudWatch dashboard of the fabric (``weft dashboard`` prints its address)
    dashboard: bool = True
    #: CloudWatch alarms to an SNS topic, made only when e-mail addresses are given
    alarms: Alarms = Field(default_factory=Alarms)
    #: the containers' logs in CloudWatch Logs (None: off)
    logs: Annotated[ContainerLogs | None, BeforeValidator(_switch)] = Field(
        default_factory=ContainerLogs
    )
    #: Container Insights (the ``amazon-cloudwatch-observability`` add-on, with its role):
    #: node and pod metrics, priced per observation; off by default
    container_insights: bool = False
    #: Amazon Managed Service for Prometheus: a workspace and a managed collector scraping the
    #: cluster (None: off, the default)
    prometheus: Annotated[Prometheus | None, BeforeValidator(_switch)] = None


def prometheus_problems(cluster: Cluster | None) -> list[tuple[tuple[str, ...], str]]:
    """Why ``observability.prometheus`` cannot be had with ``cluster``: an AWS managed
    collector scrapes a cluster, reaching its API server through the private endpoint ("Using
    an AWS managed collector", Amazon Managed Service for Prometheus User Guide: the cluster's
    endpoint access "must include private")."""
    field = ("observability", "prometheus")
    if cluster is None:
        return [
            (
                field,
                "Amazon Managed Service for Prometheus scrapes the cluster, and this fabric has "
                "none; add a cluster section or remove observability.prometheus",
            )
        ]
    if cluster.endpoint == "public":
        return [
            (
                field,
                "the AWS managed collector reaches the Kubernetes API through its private "
                "endpoint, and cluster.endpoint is public; use endpoint: both (or private)",
            )
        ]
    return []
