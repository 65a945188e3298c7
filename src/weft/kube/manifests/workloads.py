"""The objects that run an app or a cron job: its container, pod template, Deployment,
HorizontalPodAutoscaler, PodDisruptionBudget and CronJob.

A container runs ``image:tag`` (:func:`image_ref`), with the entry's command, arguments,
environment and resources; an app's container has its port (named :data:`CONTAINER_PORT_NAME`,
which its Service targets) and, with ``health``, readiness and liveness probes. Service links are
off in every pod (``enableServiceLinks: false``): Kubernetes would otherwise inject
``<SERVICE>_PORT`` and the like for every Service of the namespace, which collide with weft's
names.

An entry that uses an AWS resource (a bucket) has a ServiceAccount of its own
(:func:`service_account`), named after it and annotated with its IAM role's ARN
(:data:`~weft.model.app_roles.ROLE_ARN_ANNOTATION`), which its pods run as: EKS's pod identity
webhook then gives them the role's credentials through a projected token (IRSA; see
:mod:`weft.model.app_roles`).

A Deployment rolls out with the app's ``rollout`` settings and keeps :data:`REVISION_HISTORY`
ReplicaSets for ``weft rollback``; its replica count is left to the HPA when ``autoscale`` is
set. A CronJob may start at most :data:`STARTING_DEADLINE` seconds late.
"""

from __future__ import annotations

from typing import Any

from weft.fabricfile import App, CronJob
from weft.fabricfile.image import image_tag, is_digest
from weft.kube.manifests.context import Context
from weft.kube.manifests.environment import secret_hash
from weft.kube.manifests.labelling import (
    CHANGE_CAUSE_ANNOTATION,
    SECRET_HASH_ANNOTATION,
    VERSION_ANNOTATION,
    change_cause,
    selector,
)
from weft.model.app_roles import ROLE_ARN_ANNOTATION

__all__ = [
    "CONTAINER_PORT_NAME",
    "HEALTH_PORT_NAME",
    "REVISION_HISTORY",
    "STARTING_DEADLINE",
    "container",
    "cronjob",
    "deployment",
    "hpa",
    "image_ref",
    "pdb",
    "pod_template",
    "service_account",
]

REVISION_HISTORY = 10
#: A CronJob that missed more than 100 starts (say, while the controller was down) is never
#: started again unless it has a starting deadline; this one bounds how late a start may be.
STARTING_DEADLINE = 300
CONTAINER_PORT_NAME = "http"
HEALTH_PORT_NAME = "health"


def image_ref(image: str, version: str, tag_format: str) -> str:
    """``image:tag``, the tag being ``tag_format`` with the version (``+`` as ``_``) in it;
    ``image@digest`` for a version that is an image digest (``versioning: digest``)."""
    if is_digest(version):
        return f"{image}@{version}"
    return f"{image}:{image_tag(version, tag_format)}"


def container(ctx: Context) -> dict[str, Any]:
    """The one container of the entry's pods."""
    entry = ctx.entry
    result: dict[str, Any] = {
        "name": ctx.name,
        "image": image_ref(entry.image, ctx.version, entry.tag_format),
    }
    if entry.command:
        result["command"] = list(entry.command)
    if entry.args:
        result["args"] = list(entry.args)
    if isinstance(entry, App):
        ports = []
        if entry.port is not None:
            ports.append(
                {"name": CONTAINER_PORT_NAME, "containerPort": entry.port, "protocol": "TCP"}
            )
        health = entry.health
        if health is not None and health.port is not None and health.port != entry.port:
            ports.append(
                {"name": HEALTH_PORT_NAME, "containerPort": health.port, "protocol": "TCP"}
            )
        if ports:
            result["ports"] = ports
    if ctx.env:
        result["env"] = ctx.env
    resources = entry.resources
    if resources is not None:
        spec: dict[str, Any] = {"requests": {"cpu": resources.cpu, "memory": resources.memory}}
        limits = {
            key: value
            for key, value in (("cpu", resources.cpu_limit), ("memory", resources.memory_limit))
            if value is not None
        }
        if limits:
            spec["limits"] = limits
        result["resources"] = spec
    if isinstance(entry, App) and entry.health is not None:
        health = entry.health
        port = health.port if health.port is not None else entry.port
        probe = {"httpGet": {"path": health.path, "port": port}}
        result["readinessProbe"] = {
            **probe,
            "initialDelaySeconds": health.initial_delay,
            "periodSeconds": 5,
            "failureThreshold": 3,
        }
        result["livenessProbe"] = {
            **probe,
            "initialDelaySeconds": health.initial_delay,
            "periodSeconds": 10,
            "failureThreshold": 3,
        }
    return result


def pod_template(ctx: Context, **spec: Any) -> dict[str, Any]:
    """The pod template of the entry, with ``spec`` keys before the container."""
    annotations = {
        VERSION_ANNOTATION: ctx.version,
        CHANGE_CAUSE_ANNOTATION: change_cause(ctx.name, ctx.version),
    }
    if ctx.secret_data:
        annotations[SECRET_HASH_ANNOTATION] = secret_hash(
            ctx.inp.fabric.name, ctx.name, ctx.secret_data
        )
    if ctx.role_arn is not None:
        spec = {"serviceAccountName": ctx.name, **spec}
    return {
        "metadata": {"labels": dict(ctx.labels), "annotations": annotations},
        "spec": {**spec, "enableServiceLinks": False, "containers": [container(ctx)]},
    }


def service_account(ctx: Context) -> list[dict[str, Any]]:
    """The entry's ServiceAccount, which may assume its IAM role; none without a role."""
    if ctx.role_arn is None:
        return []
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": ctx.metadata(annotations={ROLE_ARN_ANNOTATION: ctx.role_arn}),
        }
    ]


def deployment(ctx: Context, app: App) -> dict[str, Any]:
    """The Deployment of ``app``."""
    spec: dict[str, Any] = {}
    if app.autoscale is None:
        spec["replicas"] = app.replicas
    spec.update(
        {
            "revisionHistoryLimit": REVISION_HISTORY,
            "progressDeadlineSeconds": app.rollout.progress_deadline,
            "selector": {"matchLabels": selector(ctx.inp.fabric, ctx.name)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {
                    "maxSurge": app.rollout.max_surge,
                    "maxUnavailable": app.rollout.max_unavailable,
                },
            },
            "template": pod_template(ctx),
        }
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": ctx.metadata(
            annotations={
                VERSION_ANNOTATION: ctx.version,
                CHANGE_CAUSE_ANNOTATION: change_cause(ctx.name, ctx.version),
            }
        ),
        "spec": spec,
    }


def hpa(ctx: Context, app: App) -> dict[str, Any]:
    """The HorizontalPodAutoscaler of ``app``, which has ``autoscale``."""
    autoscale = app.autoscale
    assert autoscale is not None
    # autoscaling/v2beta2 and v2 have the same shape for a cpu utilization target.
    return {
        "apiVersion": ctx.inp.versions.hpa,
        "kind": "HorizontalPodAutoscaler",
        "metadata": ctx.metadata(),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app.name},
            "minReplicas": autoscale.min,
            "maxReplicas": autoscale.max,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": autoscale.cpu},
                    },
                }
            ],
        },
    }


def pdb(ctx: Context, app: App) -> dict[str, Any]:
    """The PodDisruptionBudget of ``app``, which has ``disruption``."""
    disruption = app.disruption
    assert disruption is not None
    spec: dict[str, Any] = {"selector": {"matchLabels": selector(ctx.inp.fabric, app.name)}}
    if disruption.min_available is not None:
        spec["minAvailable"] = disruption.min_available
    else:
        spec["maxUnavailable"] = disruption.max_unavailable
    return {
        "apiVersion": ctx.inp.versions.pdb,
        "kind": "PodDisruptionBudget",
        "metadata": ctx.metadata(),
        "spec": spec,
    }


def cronjob(ctx: Context, job: CronJob) -> dict[str, Any]:
    """The CronJob of ``job``."""
    # batch/v1beta1 and batch/v1 have the same shape for what weft sets.
    return {
        "apiVersion": ctx.inp.versions.cronjob,
        "kind": "CronJob",
        "metadata": ctx.metadata(annotations={VERSION_ANNOTATION: ctx.version}),
        "spec": {
            "schedule": job.schedule,
            "concurrencyPolicy": job.concurrency,
            "startingDeadlineSeconds": STARTING_DEADLINE,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "metadata": {"labels": dict(ctx.labels)},
                "spec": {"template": pod_template(ctx, restartPolicy="Never")},
            },
        },
    }
