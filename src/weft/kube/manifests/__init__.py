"""The Kubernetes objects of a fabric's apps and cron jobs, rendered from the spec as plain dicts.

Pure: no I/O. What must come from the cloud is given in :class:`RenderInput` (the data stores'
endpoints, the certificate, secret values, the API versions the cluster serves).
:func:`render` returns every object in apply order (:func:`apply_order`).

One job per module:

- :mod:`~weft.kube.manifests.entries`: the apps and cron jobs a command names;
- :mod:`~weft.kube.manifests.labelling`: the labels and annotations (every ``weft.dev/*`` key)
  and the selectors built on them;
- :mod:`~weft.kube.manifests.environment`: a container's environment variables, the Secret
  behind the secret ones, and the secrets-store names they need;
- :mod:`~weft.kube.manifests.api_versions`: the API versions that depend on the cluster;
- :mod:`~weft.kube.manifests.context`: what rendering works from, for the fabric and per entry;
- :mod:`~weft.kube.manifests.workloads`: containers, pod templates, Deployments, HPAs, PDBs and
  CronJobs;
- :mod:`~weft.kube.manifests.traffic`: Services and Ingresses;
- :mod:`~weft.kube.manifests.order`: the order of applying and deleting;
- :mod:`~weft.kube.manifests.renderer`: all of an entry's objects, and the Namespace.

The names other layers use are imported from here.
"""

from weft.kube.manifests.api_versions import NEGOTIATED, ApiVersions
from weft.kube.manifests.context import RenderInput
from weft.kube.manifests.environment import (
    REDACTED,
    UNKNOWN,
    DataStore,
    env_secret_name,
    secret_names,
)
from weft.kube.manifests.labelling import (
    CHANGE_CAUSE_ANNOTATION,
    ENVIRONMENT_LABEL,
    FABRIC_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    NAME_LABEL,
    SECRET_HASH_ANNOTATION,
    VERSION_ANNOTATION,
    VERSION_LABEL,
    fabric_selector,
    labels,
    selector,
)
from weft.kube.manifests.order import APPLY_ORDER, apply_order, delete_order
from weft.kube.manifests.renderer import render
from weft.kube.manifests.workloads import image_ref

__all__ = [
    "APPLY_ORDER",
    "CHANGE_CAUSE_ANNOTATION",
    "ENVIRONMENT_LABEL",
    "FABRIC_LABEL",
    "MANAGED_BY",
    "MANAGED_BY_LABEL",
    "NAME_LABEL",
    "NEGOTIATED",
    "REDACTED",
    "SECRET_HASH_ANNOTATION",
    "UNKNOWN",
    "VERSION_ANNOTATION",
    "VERSION_LABEL",
    "ApiVersions",
    "DataStore",
    "RenderInput",
    "apply_order",
    "delete_order",
    "env_secret_name",
    "fabric_selector",
    "image_ref",
    "labels",
    "render",
    "secret_names",
    "selector",
]
