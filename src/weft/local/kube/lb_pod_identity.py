"""The load-balancer controller simulator's credentials through EKS Pod Identity as well as
IRSA: the role of the controller's ServiceAccount is found as the controller's SDK finds it.

On EKS a pod's AWS SDK looks for credentials in order (the default credential chain of the AWS
SDK for Go v2, which the controller uses): a web identity first (IRSA: the ServiceAccount's
``eks.amazonaws.com/role-arn`` annotation, which makes the pod identity webhook project a token
and set ``AWS_ROLE_ARN``), then the container credentials endpoint that EKS Pod Identity sets
(``AWS_CONTAINER_CREDENTIALS_FULL_URI``, answered by the ``eks-pod-identity-agent`` on the node
with the role of the ServiceAccount's Pod Identity association: "Learn how EKS Pod Identity
grants pods access to AWS services", Amazon EKS User Guide,
https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html), and nothing else (the
node's IMDS is out of reach at hop limit 1). :class:`Credentials` does the same: the IRSA trade
of :class:`weft.local.kube.lb_install.Credentials` when the ServiceAccount is annotated, else
the local cloud's Pod Identity agent (:func:`weft.local.moto_eks.pod_identity.pod_credentials`),
which gives credentials only where the agent add-on is installed, the association exists and
the role trusts ``pods.eks.amazonaws.com``; otherwise the controller's Warning says why.
Requests made with those credentials are authorized by the role's policies, as IRSA's are.
"""

from __future__ import annotations

from lightkube import ApiError
from lightkube.resources.core_v1 import ServiceAccount

from weft.local.kube import lb_install
from weft.local.kube.lb_install import Installed, NotReady
from weft.local.moto_eks.pod_identity import NoCredentials, pod_credentials

#: The key under which Pod Identity credentials are kept (no role ARN is known to the pod).
POD_IDENTITY = "pod-identity"


class Credentials(lb_install.Credentials):
    """IRSA when the ServiceAccount names a role, else EKS Pod Identity (module docstring)."""

    def _annotated(self, ctl: Installed) -> bool:
        try:
            sa = self.client.get(ServiceAccount, ctl.service_account, namespace=ctl.namespace)
        except ApiError:
            return True  # the IRSA path says the ServiceAccount is missing
        annotations = (sa.metadata.annotations if sa.metadata else None) or {}
        return bool(annotations.get(lb_install.ROLE_ARN_ANNOTATION))

    def _credentials(self, ctl: Installed) -> dict[str, str]:
        if self._annotated(ctl):
            return super()._credentials(ctl)
        key = (ctl, POD_IDENTITY)
        with self._lock:
            cached = self._cache.get(key)
            if cached and self.clock() - cached[0] < lb_install.CREDENTIALS_REUSE:
                return cached[1]
        try:
            creds = pod_credentials(
                self.endpoint,
                cluster=ctl.cluster,
                region=ctl.region,
                namespace=ctl.namespace,
                service_account=ctl.service_account,
            )
        except (NoCredentials, OSError) as exc:
            raise NotReady(
                "Failed deploy model due to NoCredentialProviders: no valid providers in chain "
                f"(ServiceAccount {ctl.namespace}/{ctl.service_account} has no "
                f"{lb_install.ROLE_ARN_ANNOTATION}, and EKS Pod Identity gave none: {exc})"
            ) from exc
        with self._lock:
            self._cache[key] = (self.clock(), creds)
        return creds
