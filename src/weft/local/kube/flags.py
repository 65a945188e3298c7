"""The command lines of the local control plane, by Kubernetes version (pure).

Flags come and go between versions, and a flag a version no longer knows stops the process at
start. The ones that matter here:

- ``kube-apiserver --insecure-port=0``: required to be 0 from 1.20 (insecure serving was
  deprecated), removed in 1.24 ("the insecure address flags ... are removed", CHANGELOG-1.24).
- ``kube-controller-manager --port=0``: turned off the insecure port; removed in 1.24 with it.
- ``--logtostderr``: a klog flag deprecated by KEP-2845 (1.23) and removed from the components
  in 1.26; logging goes to stderr by default since.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from weft.local.kube.binaries import minor_of

#: The first minor versions without each flag.
INSECURE_PORT_REMOVED = 24
KLOG_FLAGS_REMOVED = 26


@dataclass(frozen=True)
class ApiServerConfig:
    etcd_url: str
    port: int
    cert_dir: Path
    serving_cert: Path
    serving_key: Path
    ca_cert: Path
    tokens: Path
    sa_pub: Path
    sa_key: Path
    service_cidr: str
    webhook_config: Path | None = None
    #: EKS's access policies, decided by the local AWS (:mod:`weft.local.eks_authz`)
    authorization_webhook_config: Path | None = None
    #: The audit policy and log (EKS's deprecated-API insights read the audit log, as EKS
    #: reads its control plane's).
    audit_policy: Path | None = None
    audit_log: Path | None = None
    #: How the API server reaches the simulated kubelets (``pods/log``): the CA their serving
    #: certificate is checked against and its own client certificate
    #: (:mod:`weft.local.kube.kubelet_tls`).
    kubelet_ca: Path | None = None
    kubelet_client_cert: Path | None = None
    kubelet_client_key: Path | None = None


#: The order in which the API server picks a node's address to reach its kubelet: the
#: simulated nodes' ``InternalDNS`` names where their kubelet listens (on loopback), before the
#: ``InternalIP`` of their EC2 instance (which no process on this machine answers).
KUBELET_ADDRESS_TYPES = "InternalDNS,InternalIP,Hostname,ExternalDNS,ExternalIP"


#: What the local API server audits: every request's metadata (user, user agent, resource,
#: the ``k8s.io/deprecated`` annotation on a deprecated API), but not the simulators' constant
#: chatter (watches, leases, events), and no request bodies.
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {"level": "None", "verbs": ["watch"]},
        {"level": "None", "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}]},
        {"level": "None", "resources": [{"group": "", "resources": ["events"]}]},
        {"level": "None", "nonResourceURLs": ["/readyz*", "/healthz*", "/livez*", "/version"]},
        {"level": "Metadata"},
    ],
}


def apiserver_args(version: str, config: ApiServerConfig) -> list[str]:
    minor = minor_of(version)
    args = [
        f"--etcd-servers={config.etcd_url}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={config.port}",
    ]
    if minor < INSECURE_PORT_REMOVED:
        args.append("--insecure-port=0")
    args += [
        f"--cert-dir={config.cert_dir}",
        f"--tls-cert-file={config.serving_cert}",
        f"--tls-private-key-file={config.serving_key}",
        f"--client-ca-file={config.ca_cert}",
        f"--token-auth-file={config.tokens}",
    ]
    if config.webhook_config is not None:
        args += [
            f"--authentication-token-webhook-config-file={config.webhook_config}",
            "--authentication-token-webhook-cache-ttl=30s",
        ]
    if config.authorization_webhook_config is not None:
        args += [
            "--authorization-mode=RBAC,Webhook",
            f"--authorization-webhook-config-file={config.authorization_webhook_config}",
            "--authorization-webhook-version=v1",
            "--authorization-webhook-cache-authorized-ttl=10s",
            "--authorization-webhook-cache-unauthorized-ttl=10s",
        ]
    else:
        args.append("--authorization-mode=RBAC")
    args += [
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={config.sa_pub}",
        f"--service-account-signing-key-file={config.sa_key}",
        f"--service-cluster-ip-range={config.service_cidr}",
        "--disable-admission-plugins=ServiceAccount",
        "--allow-privileged=true",
        "--profiling=false",
    ]
    if config.kubelet_ca is not None:
        args += [
            f"--kubelet-certificate-authority={config.kubelet_ca}",
            f"--kubelet-preferred-address-types={KUBELET_ADDRESS_TYPES}",
        ]
    if config.kubelet_client_cert is not None and config.kubelet_client_key is not None:
        args += [
            f"--kubelet-client-certificate={config.kubelet_client_cert}",
            f"--kubelet-client-key={config.kubelet_client_key}",
        ]
    if config.audit_policy is not None and config.audit_log is not None:
        args += [
            f"--audit-policy-file={config.audit_policy}",
            f"--audit-log-path={config.audit_log}",
            "--audit-log-format=json",
            "--audit-log-maxsize=20",
            "--audit-log-maxbackup=1",
        ]
    return args + _logging(minor)


@dataclass(frozen=True)
class ControllerManagerConfig:
    kubeconfig: Path
    sa_key: Path
    ca_cert: Path
    cluster_name: str


def controller_manager_args(version: str, config: ControllerManagerConfig) -> list[str]:
    minor = minor_of(version)
    args = [f"--kubeconfig={config.kubeconfig}"]
    if minor < INSECURE_PORT_REMOVED:
        args.append("--port=0")
    args += [
        "--secure-port=0",
        "--leader-elect=false",
        f"--service-account-private-key-file={config.sa_key}",
        f"--root-ca-file={config.ca_cert}",
        f"--cluster-name={config.cluster_name}",
        "--use-service-account-credentials=false",
    ]
    return args + _logging(minor)


def _logging(minor: int) -> list[str]:
    return (["--logtostderr=true"] if minor < KLOG_FLAGS_REMOVED else []) + ["--v=1"]
