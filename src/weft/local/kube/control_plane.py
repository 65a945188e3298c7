"""Start, stop and inspect the local Kubernetes control plane.

Real processes on 127.0.0.1, recorded in ``<state dir>/local/kube.json`` so that separate
``weft`` invocations share one control plane (like :mod:`weft.local.aws_server`):

* ``etcd`` (Debian's etcd-server 3.4) on two free ports, data in ``<kube dir>/etcd``;
* ``kube-apiserver`` (the version :func:`weft.local.kube.binaries.selected_version` picks: 1.36
  where it was built or downloaded, Debian's 1.20.2 otherwise; its flags by version:
  :mod:`weft.local.kube.flags`) on a free HTTPS port: serving cert from a generated CA, token auth
  (``tokens.csv``; the ``weft-admin`` user is in ``system:masters``; with a local AWS, EKS tokens
  too, through the authenticator webhook the local AWS serves: :mod:`weft.local.eks_auth`),
  ``--authorization-mode=RBAC,Webhook`` (with a local AWS: EKS access policies,
  :mod:`weft.local.eks_authz`), service-account keys, ``--service-cluster-ip-range=127.100.0.0/16``
  (loopback, so that the webhooks of a Service are reached at its ClusterIP, where the simulators
  serve them: :mod:`weft.local.kube.lb_webhooks`), the ServiceAccount admission plugin off
  (nothing mounts tokens into the simulated pods); it reaches the simulated kubelets
  (``pods/log``) over TLS both ways, checking their certificate
  (:mod:`weft.local.kube.kubelet_tls`);
* ``kube-controller-manager`` of the same version (Deployments, ReplicaSets, Jobs, CronJobs, GC,
  namespace finalization, node lifecycle, endpoints, service accounts...; no cloud provider);
* the simulators process (:mod:`weft.local.kube.simulators`: kubelet, load-balancer controller
  and its webhooks).

``<kube dir>`` is ``<state dir>/local/kube``. Every start is a fresh cluster (etcd data and certs
are recreated), matching the local AWS whose state is also gone after ``weft local down``.
The admin kubeconfig is ``<kube dir>/kubeconfig``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from weft.errors import LocalCloudError
from weft.local import eks_auth, eks_authz
from weft.local.kube import admin, binaries, certs, flags, kubelet_tls, processes
from weft.local.state import local_dir

RECORD = "kube.json"
#: The API server's audit log, under ``<kube dir>/logs`` (read by the local EKS's insights).
AUDIT_LOG = "audit.log"
START_TIMEOUT = 90.0
#: Order in which processes are stopped (reverse of start).
STOP_ORDER = ("simulators", "kube-controller-manager", "kube-apiserver", "etcd")


class KubeUnavailable(LocalCloudError):
    """The local Kubernetes cannot run on this machine (binaries not built, etcd missing)."""


class KubeEndpoint(NamedTuple):
    """Where to reach the local Kubernetes: its admin kubeconfig and its https URL."""

    kubeconfig: Path
    endpoint: str


@dataclass(frozen=True)
class LocalKube:
    endpoint: str
    kubeconfig: str
    ca_file: str
    etcd_url: str
    version: str
    directory: str
    started_at: float
    cold_start_seconds: float
    aws_endpoint: str | None
    processes: dict[str, processes.KubeProcess] = field(default_factory=dict)
    #: True when the API server answers /readyz and every recorded process is alive.
    healthy: bool = True
    #: How the binaries were obtained (:meth:`weft.local.kube.binaries.Origin.describe`).
    origin: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["processes"] = {name: proc.to_dict() for name, proc in self.processes.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LocalKube:
        procs = {name: processes.KubeProcess(**p) for name, p in data.pop("processes", {}).items()}
        return cls(**data, processes=procs)


# ------------------------------------------------------------------------------------ helpers
def kube_dir(directory: Path | None = None) -> Path:
    return (directory or local_dir()) / "kube"


def _record_path(directory: Path | None) -> Path:
    return (directory or local_dir()) / RECORD


# ------------------------------------------------------------------------------------ status
def kube_status(directory: Path | None = None) -> LocalKube | None:
    """The recorded local Kubernetes with live process and health flags, or None if none is
    recorded. ``healthy`` is False when the API server does not answer or a process died."""
    try:
        info = LocalKube.from_dict(json.loads(_record_path(directory).read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    procs = {name: replace(p, alive=processes.alive(p)) for name, p in info.processes.items()}
    healthy = all(p.alive for p in procs.values())
    if healthy:
        try:
            token = admin.read_token(info.kubeconfig)
        except (OSError, ValueError, KeyError, IndexError):
            healthy = False
        else:
            code, _ = admin.api_get(info.endpoint, "/readyz", token, info.ca_file)
            healthy = code == 200
    return replace(info, processes=procs, healthy=healthy)


def _save(directory: Path | None, info: LocalKube) -> None:
    path = _record_path(directory)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info.to_dict(), indent=2))
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------- start
def _start_etcd(kdir: Path, deadline: float) -> tuple[processes.KubeProcess, str]:
    etcd = binaries.etcd_binary()
    assert etcd is not None
    data = kdir / "etcd"
    shutil.rmtree(data, ignore_errors=True)
    for _attempt in range(3):
        client, peer = processes.free_port(), processes.free_port()
        url = f"http://127.0.0.1:{client}"
        peer_url = f"http://127.0.0.1:{peer}"
        proc = processes.spawn(
            [
                etcd,
                "--name=weft-local",
                f"--data-dir={data}",
                f"--listen-client-urls={url}",
                f"--advertise-client-urls={url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=weft-local={peer_url}",
                "--initial-cluster-state=new",
                "--log-level=warn",
                "--logger=zap",
            ],
            kdir / "logs" / "etcd.log",
            marker="etcd",
        )

        def healthy(url: str = url) -> bool:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:
                    return b'"true"' in resp.read()
            except (urllib.error.URLError, OSError):
                return False

        try:
            processes.wait_until_ready("etcd", healthy, proc, deadline)
            return proc, url
        except LocalCloudError:
            if "address already in use" not in processes.log_tail(proc.log, 30):
                raise
            processes.terminate(proc, 2)
            shutil.rmtree(data, ignore_errors=True)
    raise LocalCloudError("etcd found no free port")


def _start_apiserver(
    kdir: Path,
    version: str,
    etcd_url: str,
    paths: certs.CertPaths,
    token: str,
    deadline: float,
    aws_endpoint: str | None,
    kubelet: kubelet_tls.KubeletTls | None = None,
) -> tuple[processes.KubeProcess, str]:
    webhook: Path | None = None
    authorizer: Path | None = None
    if aws_endpoint:
        # what access entries' policies allow is decided by the local AWS, as EKS's authorizer
        authorizer = kdir / "eks-authorizer.kubeconfig"
        authorizer.write_text(json.dumps(eks_authz.webhook_kubeconfig(aws_endpoint), indent=2))
        # EKS tokens (``weft token``) are checked by the local AWS, as EKS's authenticator does.
        webhook = kdir / "eks-authenticator.kubeconfig"
        webhook.write_text(json.dumps(eks_auth.webhook_kubeconfig(aws_endpoint), indent=2))
    audit_policy = kdir / "audit-policy.json"
    audit_policy.write_text(json.dumps(flags.AUDIT_POLICY, indent=1))
    (kdir / "logs").mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):
        port = processes.free_port()
        endpoint = f"https://127.0.0.1:{port}"
        config = flags.ApiServerConfig(
            etcd_url=etcd_url,
            port=port,
            cert_dir=kdir / "certs",
            serving_cert=paths.serving_cert,
            serving_key=paths.serving_key,
            ca_cert=paths.ca_cert,
            tokens=kdir / "tokens.csv",
            sa_pub=paths.sa_pub,
            sa_key=paths.sa_key,
            service_cidr=certs.SERVICE_CIDR,
            webhook_config=webhook,
            authorization_webhook_config=authorizer,
            audit_policy=audit_policy,
            audit_log=kdir / "logs" / AUDIT_LOG,
            kubelet_ca=kubelet.ca_cert if kubelet else None,
            kubelet_client_cert=kubelet.client_cert if kubelet else None,
            kubelet_client_key=kubelet.client_key if kubelet else None,
        )
        proc = processes.spawn(
            [
                str(binaries.binary("kube-apiserver", version)),
                *flags.apiserver_args(version, config),
            ],
            kdir / "logs" / "kube-apiserver.log",
            marker="kube-apiserver",
        )

        def ready(endpoint: str = endpoint) -> bool:
            return admin.api_get(endpoint, "/readyz", token, str(paths.ca_cert), 2)[0] == 200

        try:
            processes.wait_until_ready("kube-apiserver", ready, proc, deadline)
            return proc, endpoint
        except LocalCloudError:
            if "address already in use" not in processes.log_tail(proc.log, 30):
                raise
            processes.terminate(proc, 5)
    raise LocalCloudError("kube-apiserver found no free port")


def _start_controller_manager(
    kdir: Path,
    version: str,
    paths: certs.CertPaths,
    kubeconfig: Path,
    endpoint: str,
    token: str,
    deadline: float,
) -> processes.KubeProcess:
    config = flags.ControllerManagerConfig(
        kubeconfig=kubeconfig,
        sa_key=paths.sa_key,
        ca_cert=paths.ca_cert,
        cluster_name=admin.CLUSTER_NAME,
    )
    proc = processes.spawn(
        [
            str(binaries.binary("kube-controller-manager", version)),
            *flags.controller_manager_args(version, config),
        ],
        kdir / "logs" / "kube-controller-manager.log",
        marker="kube-controller-manager",
    )

    # The serviceaccount controller creating "default" in "default" shows the controllers run.
    def running() -> bool:
        path = "/api/v1/namespaces/default/serviceaccounts/default"
        return admin.api_get(endpoint, path, token, str(paths.ca_cert))[0] == 200

    processes.wait_until_ready("kube-controller-manager", running, proc, deadline)
    return proc


def start_simulators(
    directory: Path | None,
    kubeconfig: Path,
    aws_endpoint: str | None,
    deadline: float,
    version: str = "",
) -> processes.KubeProcess:
    """Start the kubelet + load-balancer controller simulators; wait until the nodes are Ready."""
    kdir = kube_dir(directory)
    ready_file = kdir / "simulators.ready"
    ready_file.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "weft.local.kube.simulators",
        f"--kubeconfig={kubeconfig}",
        f"--state-dir={directory or local_dir()}",
        f"--ready-file={ready_file}",
        f"--cert-dir={kdir / 'certs'}",
    ]
    if aws_endpoint:
        cmd.append(f"--aws-endpoint={aws_endpoint}")
    if version:
        cmd.append(f"--kubelet-version={version}")
    proc = processes.spawn(
        cmd, kdir / "logs" / "simulators.log", marker="weft.local.kube.simulators"
    )
    processes.wait_until_ready("the kube simulators", ready_file.exists, proc, deadline)
    return proc


def start_kube(
    directory: Path | None = None,
    *,
    aws_endpoint: str | None = None,
    simulators: bool = True,
    timeout: float = START_TIMEOUT,
) -> LocalKube:
    """Start the local Kubernetes unless it already runs healthy; return where it listens.

    A recorded but unhealthy one is stopped first. When only the simulators died, they alone are
    restarted. Raises :class:`KubeUnavailable` when the binaries are not built.
    """
    directory = directory or local_dir()
    directory.mkdir(parents=True, exist_ok=True)
    current = kube_status(directory)
    if current is not None:
        others_ok = current.healthy or all(
            p.alive for n, p in current.processes.items() if n != "simulators"
        )
        sims = current.processes.get("simulators")
        if others_ok and (sims is None or not sims.alive) and simulators:
            deadline = time.monotonic() + timeout
            proc = start_simulators(
                directory,
                kube_dir(directory) / "simulators.kubeconfig",
                aws_endpoint,
                deadline,
                current.version,
            )
            current = replace(
                current,
                processes={**current.processes, "simulators": proc},
                aws_endpoint=aws_endpoint,
                healthy=True,
            )
            _save(directory, current)
            return current
        if current.healthy:
            return current
        stop_kube(directory)

    reason = binaries.unavailable_reason()
    if reason:
        raise KubeUnavailable(
            f"the local Kubernetes cannot run: {reason}",
            hint="run `make kube` in a weft checkout (or `python -m weft.local.kube.setup`) "
            "once: it builds or downloads kube-apiserver and kube-controller-manager into the "
            "cache (see the README)",
        )
    wanted = binaries.selected_version()
    assert wanted is not None  # unavailable_reason() said there is one
    origin = binaries.origin(wanted).describe()
    t0 = time.monotonic()
    deadline = t0 + timeout
    kdir = kube_dir(directory)
    kdir.mkdir(parents=True, exist_ok=True)
    os.chmod(kdir, 0o700)
    paths = certs.generate(kdir / "certs")
    kubelet = kubelet_tls.generate(kdir / "certs", paths.ca_cert, paths.ca_key)
    admin_token, kcm_token, sim_token = (secrets.token_urlsafe(32) for _ in range(3))
    tokens = kdir / "tokens.csv"
    tokens.write_text(
        f'{admin_token},{admin.ADMIN_USER},uid-weft-admin,"system:masters"\n'
        f'{kcm_token},system:kube-controller-manager,uid-kcm,"system:masters"\n'
        f'{sim_token},weft-local-simulators,uid-weft-sims,"system:masters"\n'
    )
    os.chmod(tokens, 0o600)

    procs: dict[str, processes.KubeProcess] = {}

    def record(endpoint: str = "", etcd_url: str = "", version: str = "") -> LocalKube:
        return LocalKube(
            endpoint=endpoint,
            kubeconfig=str(kdir / "kubeconfig"),
            ca_file=str(paths.ca_cert),
            etcd_url=etcd_url,
            version=version,
            directory=str(kdir),
            started_at=time.time(),
            cold_start_seconds=round(time.monotonic() - t0, 2),
            aws_endpoint=aws_endpoint,
            processes=dict(procs),
            origin=origin,
        )

    try:
        procs["etcd"], etcd_url = _start_etcd(kdir, deadline)
        _save(directory, record(etcd_url=etcd_url))
        procs["kube-apiserver"], endpoint = _start_apiserver(
            kdir, wanted, etcd_url, paths, admin_token, deadline, aws_endpoint, kubelet
        )
        _save(directory, record(endpoint, etcd_url))
        admin.write_kubeconfig(kdir / "kubeconfig", endpoint, paths.ca_cert, admin_token)
        admin.write_kubeconfig(
            kdir / "kcm.kubeconfig",
            endpoint,
            paths.ca_cert,
            kcm_token,
            "system:kube-controller-manager",
        )
        admin.write_kubeconfig(
            kdir / "simulators.kubeconfig",
            endpoint,
            paths.ca_cert,
            sim_token,
            "weft-local-simulators",
        )
        code, body = admin.api_get(endpoint, "/version", admin_token, str(paths.ca_cert))
        version = json.loads(body).get("gitVersion", "") if code == 200 else ""
        procs["kube-controller-manager"] = _start_controller_manager(
            kdir, wanted, paths, kdir / "kcm.kubeconfig", endpoint, admin_token, deadline
        )
        _save(directory, record(endpoint, etcd_url, version))
        if simulators:
            procs["simulators"] = start_simulators(
                directory, kdir / "simulators.kubeconfig", aws_endpoint, deadline, version
            )
        info = record(endpoint, etcd_url, version)
        _save(directory, info)
        return info
    except BaseException:
        stop_kube(directory)
        raise


# -------------------------------------------------------------------------------------- stop
def stop_kube(directory: Path | None = None, timeout: float = 10.0) -> bool:
    """Stop every recorded process (by pid, simulators first, etcd last); True when any ran.

    Note: Services and Ingresses still present keep their load balancers in the local AWS (which
    ``weft local down`` stops anyway); this is not a teardown of the workloads."""
    path = _record_path(directory)
    try:
        info = LocalKube.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return False
    stopped = False
    for name in STOP_ORDER:
        proc = info.processes.get(name)
        if proc is not None and processes.terminate(proc, timeout):
            stopped = True
    path.unlink(missing_ok=True)
    return stopped


def stop_simulators(directory: Path | None = None, timeout: float = 10.0) -> bool:
    """Stop only the simulators (to see what happens on a cluster without them)."""
    info = kube_status(directory)
    if info is None or "simulators" not in info.processes:
        return False
    stopped = processes.terminate(info.processes["simulators"], timeout)
    procs = {n: p for n, p in info.processes.items() if n != "simulators"}
    _save(directory, replace(info, processes=procs))
    return stopped
