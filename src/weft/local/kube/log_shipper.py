"""The ``fluent-bit`` add-on of the local EKS at work: the simulated containers' output shipped
to CloudWatch Logs, as the add-on's Fluent Bit DaemonSet ships a real node's.

The add-on is not run as pods here; what it would do is done for it, and only when it would
work on EKS:

- only for a pod on a node of a local EKS cluster (its node's ``weft.local/cluster`` and
  ``topology.kubernetes.io/region`` labels) that has the ``fluent-bit`` add-on ACTIVE;
- with the add-on's configuration: its ``cloudwatch_logs`` output's ``log_group_name``,
  ``region``, ``log_stream_template`` (the Kubernetes namespace, pod and container names, or
  else ``log_stream_prefix`` followed by the tail input's tag ``kube.var.log.containers.POD_
  NAMESPACE_CONTAINER.log``), as Fluent Bit reads them ("Amazon CloudWatch" output, Fluent
  Bit manual); without such an output nothing is shipped;
- with the credentials of the add-on's service account role (``serviceAccountRoleArn``, the
  ``eks.amazonaws.com/role-arn`` EKS puts on the ``fluent-bit`` service account), traded for a
  projected token with AssumeRoleWithWebIdentity exactly as the pod's SDK would
  (:func:`weft.local.moto_irsa.projected_token`): the trust policy decides, and every
  CreateLogStream / PutLogEvents is then authorized by the role's policies with the local
  cloud's IAM policy engine (:mod:`weft.local.moto_irsa`), never by matching strings here. A
  role that may not write there gets ``AccessDeniedException`` and the lines wait and are
  retried, as Fluent Bit retries, then dropped (logged).

Lines are sent in batches every :data:`FLUSH_SECONDS` (Fluent Bit's ``Flush`` is 1 s by
default), one stream per container.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.local.kube.kubelet_logs import Key, Line
from weft.local.moto_irsa import projected_token

log = logging.getLogger("weft.local.kube.fluent-bit")

ADDON = "fluent-bit"
NAMESPACE = "fluent-bit"
SERVICE_ACCOUNT = "fluent-bit"
FLUSH_SECONDS = 1.0
CREDENTIALS_REUSE = 300.0
#: How many flushes a line waits through (its output refusing it) before it is dropped.
MAX_ATTEMPTS = 30
K8S_TEMPLATE = re.compile(
    r"\$kubernetes\['namespace_name'\]/\$kubernetes\['pod_name'\]/"
    r"\$kubernetes\['container_name'\]"
)


@dataclass(frozen=True)
class Output:
    """A ``cloudwatch_logs`` output of the add-on's configuration."""

    region: str
    group: str
    template: str
    prefix: str

    def stream(self, key: Key) -> str:
        namespace, pod, container = key
        if K8S_TEMPLATE.fullmatch(self.template):
            return f"{namespace}/{pod}/{container}"
        return f"{self.prefix}kube.var.log.containers.{pod}_{namespace}_{container}.log"


def cloudwatch_output(configuration: str, default_region: str) -> Output | None:
    """The first ``[OUTPUT]`` of ``Name cloudwatch_logs`` in the add-on's configuration values
    (``config.outputs``), or None."""
    try:
        values = json.loads(configuration or "{}")
    except ValueError:
        return None
    outputs = str(((values or {}).get("config") or {}).get("outputs") or "")
    for section in re.split(r"^\s*\[OUTPUT\]\s*$", outputs, flags=re.MULTILINE)[1:]:
        settings: dict[str, str] = {}
        for row in section.splitlines():
            name, _, value = row.strip().partition(" ")
            if name and not name.startswith("["):
                settings[name.lower()] = value.strip()
        if settings.get("name") == "cloudwatch_logs" and settings.get("log_group_name"):
            return Output(
                region=settings.get("region") or default_region,
                group=settings["log_group_name"],
                template=settings.get("log_stream_template", ""),
                prefix=settings.get("log_stream_prefix", ""),
            )
    return None


@dataclass
class _Pending:
    key: Key
    line: Line
    #: the (cluster, region) of the pod's node when the line was written
    where: tuple[str, str]
    attempts: int = 0


class LogShipper:
    """Ships the :class:`~weft.local.kube.kubelet_logs.LogBook`'s lines (see the module
    docstring). ``where(namespace, pod)``: the (cluster, region) of the pod's node, or None."""

    def __init__(
        self,
        endpoint: str,
        where: Callable[[str, str], tuple[str, str] | None],
        stop: threading.Event,
    ) -> None:
        self.endpoint = endpoint
        self.where = where
        self.stop = stop
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self._credentials: dict[tuple[str, str, str], tuple[float, dict[str, str]]] = {}
        self._streams: set[tuple[str, str, str]] = set()

    def take(self, key: Key, line: Line) -> None:
        """A :meth:`LogBook.listen` listener: a line to ship (none from a pod that is not on a
        node of an EKS cluster: no add-on runs there)."""
        where = self.where(key[0], key[1])
        if where is None:
            return
        with self._lock:
            self._pending.append(_Pending(key, line, where))

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name="fluent-bit", daemon=True)
        thread.start()
        return thread

    def _loop(self) -> None:
        while not self.stop.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:
                log.exception("fluent-bit: flush failed")

    def _plain(self, service: str, region: str) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
        )

    def _addon(self, cluster: str, region: str) -> dict[str, Any] | None:
        try:
            found = self._plain("eks", region).describe_addon(clusterName=cluster, addonName=ADDON)
        except (ClientError, BotoCoreError):
            return None
        addon = dict(found.get("addon") or {})
        return addon if addon.get("status") in ("ACTIVE", "DEGRADED", "UPDATING") else None

    def _session(self, cluster: str, region: str, role: str) -> dict[str, str]:
        key = (cluster, region, role)
        cached = self._credentials.get(key)
        if cached and time.monotonic() - cached[0] < CREDENTIALS_REUSE:
            return cached[1]
        token = projected_token(
            self.endpoint,
            cluster=cluster,
            region=region,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
        )
        answer = self._plain("sts", region).assume_role_with_web_identity(
            RoleArn=role, RoleSessionName=f"fluent-bit-{int(time.time())}", WebIdentityToken=token
        )
        c = answer["Credentials"]
        creds = {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }
        self._credentials[key] = (time.monotonic(), creds)
        return creds

    def flush(self) -> None:
        """Send what waits: per cluster, per stream, oldest first."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        by_cluster: dict[tuple[str, str], list[_Pending]] = {}
        for item in pending:
            by_cluster.setdefault(item.where, []).append(item)
        retry: list[_Pending] = []
        for (cluster, region), items in by_cluster.items():
            addon = self._addon(cluster, region)
            if addon is None:
                continue  # no fluent-bit on this cluster: nothing ships its logs
            output = cloudwatch_output(str(addon.get("configurationValues") or ""), region)
            if output is None:
                continue
            retry += self._send(cluster, region, addon, output, items)
        kept = []
        for item in retry:
            item.attempts += 1
            if item.attempts < MAX_ATTEMPTS:
                kept.append(item)
            else:
                log.warning(
                    "fluent-bit: dropped a line of %s after %d tries", item.key, item.attempts
                )
        with self._lock:
            self._pending = kept + self._pending

    def _send(
        self,
        cluster: str,
        region: str,
        addon: dict[str, Any],
        output: Output,
        items: list[_Pending],
    ) -> list[_Pending]:
        role = addon.get("serviceAccountRoleArn")
        if not role:
            log.warning(
                "fluent-bit on %s: no role for its service account, and the node's instance "
                "metadata is out of reach (hop limit 1): nothing ships",
                cluster,
            )
            return items
        try:
            creds = self._session(cluster, output.region, str(role))
        except (ClientError, BotoCoreError, OSError) as exc:
            log.warning("fluent-bit on %s: no credentials: %s", cluster, exc)
            return items
        logs = boto3.client("logs", region_name=output.region, endpoint_url=self.endpoint, **creds)
        by_stream: dict[str, list[_Pending]] = {}
        for item in items:
            by_stream.setdefault(output.stream(item.key), []).append(item)
        failed: list[_Pending] = []
        for stream, batch in by_stream.items():
            try:
                if (output.region, output.group, stream) not in self._streams:
                    try:
                        logs.create_log_stream(logGroupName=output.group, logStreamName=stream)
                    except ClientError as exc:
                        code = (exc.response.get("Error") or {}).get("Code")
                        if code != "ResourceAlreadyExistsException":
                            raise
                    self._streams.add((output.region, output.group, stream))
                events = [
                    {"timestamp": int(i.line.at.timestamp() * 1000), "message": i.line.text}
                    for i in sorted(batch, key=lambda i: i.line.at)
                ]
                logs.put_log_events(
                    logGroupName=output.group, logStreamName=stream, logEvents=events
                )
            except (ClientError, BotoCoreError) as exc:
                log.warning("fluent-bit on %s: %s refused: %s", cluster, stream, exc)
                if (
                    isinstance(exc, ClientError)
                    and (exc.response.get("Error") or {}).get("Code") == "ResourceNotFoundException"
                ):
                    self._streams.discard((output.region, output.group, stream))
                failed += batch
        return failed
