"""The fabric's EKS cluster: its Kubernetes version, network, endpoint access, logs, encryption.

EKS has no tag filter on its list calls and tags are only in the descriptions: discovery lists
the clusters and describes each (an account holds few). Creating takes 10-15 minutes on AWS; the
wait reports progress. Every in-place change is an EKS *update* (one at a time per cluster),
waited on through its id: the version (one minor version at a time, as EKS allows), endpoint
access, logging; tags change directly. Subnets, security groups, role and encryption key are
fixed at creation here (replacement).

What the EKS drivers share lives here too: the fabric's clusters, waiting on an update, EKS tag
updates, status waits (:func:`fabric_clusters`, :func:`wait_update`, :func:`update_tags`,
:func:`wait_status`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, pagination
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError, TemporaryError

KIND = "eks_cluster"
CREATE_TIMEOUT = 1800.0
DELETE_TIMEOUT = 1800.0
UPDATE_TIMEOUT = 1800.0
VERSION_TIMEOUT = 3600.0
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
_GONE = frozenset({"DELETING"})
_ENDPOINT_FIELDS = frozenset({"endpoint_public", "endpoint_private", "public_access_cidrs"})


# ------------------------------------------------------------------------------ shared helpers


def eks_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags as EKS takes them (a map), without ``aws:`` keys."""
    return {str(k): str(v) for k, v in tags.items() if not tagging.is_reserved(k)}


def update_tags(ctx: AwsContext, arn: str, old: Mapping[str, str], new: Mapping[str, str]) -> None:
    """Make an EKS resource's tags equal ``new`` (``aws:`` keys untouched)."""
    to_set, to_remove = tagging.changes(old, new)
    eks = ctx.client("eks")
    if to_set:
        eks.tag_resource(resourceArn=arn, tags=to_set)
    if to_remove:
        eks.untag_resource(resourceArn=arn, tagKeys=to_remove)


def tags_of(item: Mapping[str, Any]) -> dict[str, str]:
    """The tags of an EKS description (a map there), without ``aws:`` keys."""
    return eks_tags(item.get("tags") or {})


def is_ours(ctx: AwsContext, tags: Mapping[str, str]) -> bool:
    return tags.get(tagging.FABRIC_TAG) == ctx.fabric


def fabric_clusters(ctx: AwsContext) -> list[dict[str, Any]]:
    """The descriptions of this fabric's clusters (list, then describe each), gone ones left out.

    Read once per discovery, whichever of the EKS drivers asks first (do not change them)."""

    def read() -> list[dict[str, Any]]:
        eks = ctx.client("eks")
        found = []
        for name in pagination.items(eks, "list_clusters", "clusters"):
            cluster = describe(ctx, name)
            if cluster is None or cluster.get("status") in _GONE:
                continue
            if is_ours(ctx, cluster.get("tags") or {}):
                found.append(cluster)
        return found

    return ctx.read_once("eks:fabric-clusters", read)


def describe(ctx: AwsContext, name: str) -> dict[str, Any] | None:
    """The cluster's description, or None when there is no such cluster."""
    try:
        cluster: dict[str, Any] = ctx.client("eks").describe_cluster(name=name)["cluster"]
    except ClientError as exc:
        if errors.is_not_found(exc):
            return None
        raise
    return cluster


def issues_of(item: Mapping[str, Any]) -> str:
    """The health issues of a cluster, node group or add-on, as one line."""
    issues = (item.get("health") or {}).get("issues") or []
    text = "; ".join(f"{i.get('code', '?')}: {i.get('message', '')}".strip() for i in issues)
    return text or "no reason given"


def wait_status(
    ctx: AwsContext,
    address: str,
    what: str,
    read: Callable[[], dict[str, Any] | None],
    *,
    want: str | frozenset[str] | None,
    failed: frozenset[str],
    timeout: float,
    interval: float = 10.0,
) -> dict[str, Any] | None:
    """Poll ``read`` until the item's status is ``want`` (or one of them; None: until gone).

    A status in ``failed`` gives up with a :class:`PermanentError` naming the health issues.
    Returns the last description (None once gone).
    """
    last: dict[str, Any] = {}
    wanted = frozenset({want}) if isinstance(want, str) else want

    def check() -> bool | str:
        item = read()
        if item is None:
            return True if wanted is None else "not visible yet"
        last.clear()
        last.update(item)
        status = str(item.get("status", ""))
        if wanted is not None and status in wanted:
            return True
        if status in failed:
            raise PermanentError(
                f"{what} is {status}: {issues_of(item)}",
                address=address,
                code=status,
                hint="fix the cause named above, then re-run (delete it first if it stays failed)",
            )
        return status or "unknown"

    goal = " or ".join(sorted(wanted)) if wanted else "gone"
    wait_until(ctx, f"{what} to be {goal}", check, timeout=timeout, interval=interval)
    return dict(last) if last and wanted is not None else None


def wait_update(
    ctx: AwsContext,
    address: str,
    cluster: str,
    update: Mapping[str, Any],
    *,
    timeout: float = UPDATE_TIMEOUT,
    **owner: str,
) -> None:
    """Wait for an EKS update (of the cluster, or of ``nodegroupName=`` / ``addonName=``).

    ``Failed`` or ``Cancelled`` give up with a PermanentError carrying the update's errors.
    """
    update_id = update["id"]
    kind = update.get("type", "update")

    def check() -> bool | str:
        try:
            found = ctx.client("eks").describe_update(name=cluster, updateId=update_id, **owner)
        except ClientError as exc:
            if errors.is_not_found(exc):
                return "not visible yet"
            raise
        current = found["update"]
        status = str(current.get("status", ""))
        if status == "Successful":
            return True
        if status in ("Failed", "Cancelled"):
            details = "; ".join(
                f"{e.get('errorCode', '?')}: {e.get('errorMessage', '')}"
                for e in current.get("errors") or []
            )
            raise PermanentError(
                f"EKS {kind} {update_id} of {cluster} {status.lower()}: "
                f"{details or 'no reason given'}",
                address=address,
                code=status,
            )
        return status or "InProgress"

    wait_until(ctx, f"EKS {kind} of {cluster}", check, timeout=timeout, interval=10.0)


def _minor(version: str) -> tuple[int, int]:
    major, _, minor = str(version).partition(".")
    try:
        return int(major), int(minor.split(".")[0])
    except ValueError:
        raise PermanentError(f"{version!r} is not a Kubernetes version like '1.31'") from None


# --------------------------------------------------------------------------------------- driver


def _enabled_logs(cluster: Mapping[str, Any]) -> list[str]:
    enabled: set[str] = set()
    for entry in (cluster.get("logging") or {}).get("clusterLogging") or []:
        if entry.get("enabled"):
            enabled |= set(entry.get("types") or [])
    return sorted(enabled)


def _logging(enable: list[str], disable: list[str]) -> dict[str, Any]:
    entries = []
    if enable:
        entries.append({"types": sorted(enable), "enabled": True})
    if disable:
        entries.append({"types": sorted(disable), "enabled": False})
    return {"clusterLogging": entries}


def _endpoint_config(props: Mapping[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "endpointPublicAccess": bool(props["endpoint_public"]),
        "endpointPrivateAccess": bool(props["endpoint_private"]),
    }
    if props["endpoint_public"] and props["public_access_cidrs"]:
        config["publicAccessCidrs"] = list(props["public_access_cidrs"])
    return config


def _props(cluster: Mapping[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    vpc = cluster.get("resourcesVpcConfig") or {}
    public = bool(vpc.get("endpointPublicAccess", True))
    key = None
    for config in cluster.get("encryptionConfig") or []:
        key = (config.get("provider") or {}).get("keyArn") or key
    return {
        "name": cluster["name"],
        "version": cluster.get("version"),
        "role_arn": cluster.get("roleArn"),
        "subnet_ids": list(vpc.get("subnetIds") or []),
        "security_group_ids": list(vpc.get("securityGroupIds") or []),
        "endpoint_public": public,
        "endpoint_private": bool(vpc.get("endpointPrivateAccess", False)),
        # AWS keeps (and reports) the CIDRs while public access is off: they mean nothing then
        "public_access_cidrs": list(vpc.get("publicAccessCidrs") or []) if public else [],
        "logging": _enabled_logs(cluster),
        "encryption_key_arn": key,
        "tags": tags,
    }


def _observed(name: str, cluster: Mapping[str, Any]) -> Observed:
    tags = tags_of(cluster)
    issuer = ((cluster.get("identity") or {}).get("oidc") or {}).get("issuer")
    vpc = cluster.get("resourcesVpcConfig") or {}
    return Observed(
        kind=KIND,
        name=name,
        id=cluster["name"],
        props=_props(cluster, tags),
        outputs={
            "arn": cluster.get("arn"),
            "endpoint": cluster.get("endpoint"),
            "ca_data": (cluster.get("certificateAuthority") or {}).get("data"),
            "oidc_issuer": issuer,
            # what IAM conditions name: the issuer without its scheme
            "oidc_issuer_host": issuer.removeprefix("https://") if issuer else None,
            "platform_version": cluster.get("platformVersion"),
            "cluster_security_group_id": vpc.get("clusterSecurityGroupId"),
        },
        state=str(cluster.get("status", "ACTIVE")).lower(),
    )


class EksClusterDriver:
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset(
            {"name", "role_arn", "subnet_ids", "security_group_ids", "encryption_key_arn"}
        ),
        unordered=frozenset({"subnet_ids", "security_group_ids", "public_access_cidrs", "logging"}),
    )

    def discover(self, ctx: AwsContext) -> list[Observed]:
        found = []
        for cluster in fabric_clusters(ctx):
            name = tagging.name_from_id_tag(cluster.get("tags") or {}, KIND)
            if name is not None:
                found.append(_observed(name, cluster))
        return found

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        name = props["name"]
        existing = describe(ctx, name)
        if existing is not None:
            return self._adopt(ctx, resource, props, existing)
        kwargs: dict[str, Any] = {
            "name": name,
            "version": props["version"],
            "roleArn": props["role_arn"],
            "resourcesVpcConfig": {
                "subnetIds": list(props["subnet_ids"]),
                "securityGroupIds": list(props["security_group_ids"]),
                **_endpoint_config(props),
            },
            "logging": _logging(
                list(props["logging"]), [t for t in LOG_TYPES if t not in props["logging"]]
            ),
            "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
            "tags": eks_tags(props["tags"]),
            "clientRequestToken": ctx.token(resource.address),
        }
        if props.get("encryption_key_arn"):
            kwargs["encryptionConfig"] = [
                {"resources": ["secrets"], "provider": {"keyArn": props["encryption_key_arn"]}}
            ]
        ctx.client("eks").create_cluster(**kwargs)
        cluster = self._wait_active(ctx, resource.address, name)
        return _observed(resource.name, cluster)

    def _adopt(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        existing: dict[str, Any],
    ) -> Observed:
        """A cluster of this name exists: finish creating it when it is this one (a retry)."""
        name = props["name"]
        tags = existing.get("tags") or {}
        if not is_ours(ctx, tags) or tags.get(tagging.ID_TAG) != resource.address:
            raise PermanentError(
                f"an EKS cluster named {name} already exists and is not this fabric's",
                address=resource.address,
                hint="EKS cluster names are unique per account and region: rename the fabric, "
                "or delete that cluster",
            )
        if existing.get("status") in _GONE:
            raise TemporaryError(
                f"the previous EKS cluster {name} is still being deleted",
                address=resource.address,
            )
        cluster = self._wait_active(ctx, resource.address, name)
        adopted = adoption.adopt(self, ctx, resource, props, [_observed(resource.name, cluster)])
        if adopted is None:
            raise PermanentError(
                f"the EKS cluster {name} exists with settings EKS cannot change in place",
                address=resource.address,
                hint="let weft replace it (plan shows it), or delete it first",
            )
        return adopted

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        name = observed.id
        address = resource.address
        eks = ctx.client("eks")
        # Read the cluster again: after an interrupted run part of the change may be done.
        live = self._wait_active(ctx, address, name)
        if "version" in changed and live.get("version") != props["version"]:
            have, want = _minor(live["version"]), _minor(props["version"])
            if want < have:
                raise PermanentError(
                    f"EKS cannot downgrade a cluster ({live['version']} → {props['version']})",
                    address=address,
                )
            if want != (have[0], have[1] + 1):
                raise PermanentError(
                    "EKS upgrades one minor version at a time: "
                    f"{live['version']} → {have[0]}.{have[1] + 1} first",
                    address=address,
                )
            update = eks.update_cluster_version(name=name, version=props["version"])["update"]
            wait_update(ctx, address, name, update, timeout=VERSION_TIMEOUT)
            live = self._wait_active(ctx, address, name)
        current = _props(live, props["tags"])
        endpoint_changed = (
            current["endpoint_public"] != props["endpoint_public"]
            or current["endpoint_private"] != props["endpoint_private"]
            or sorted(current["public_access_cidrs"]) != sorted(props["public_access_cidrs"])
        )
        if changed & _ENDPOINT_FIELDS and endpoint_changed:
            update = eks.update_cluster_config(
                name=name, resourcesVpcConfig=_endpoint_config(props)
            )["update"]
            wait_update(ctx, address, name, update)
            live = self._wait_active(ctx, address, name)
        if "logging" in changed:
            have_logs, want_logs = set(_enabled_logs(live)), set(props["logging"])
            if have_logs != want_logs:
                update = eks.update_cluster_config(
                    name=name,
                    logging=_logging(sorted(want_logs - have_logs), sorted(have_logs - want_logs)),
                )["update"]
                wait_update(ctx, address, name, update)
                live = self._wait_active(ctx, address, name)
        if "tags" in changed:
            update_tags(ctx, live["arn"], tags_of(live), props["tags"])
            live = {**live, "tags": eks_tags(props["tags"])}
        return _observed(resource.name, live)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("eks").delete_cluster(name=observed.id)  # NotFound: already gone
        wait_status(
            ctx,
            observed.address,
            f"EKS cluster {observed.id}",
            lambda: describe(ctx, observed.id),
            want=None,
            failed=frozenset(),
            timeout=DELETE_TIMEOUT,
        )

    @staticmethod
    def _wait_active(ctx: AwsContext, address: str, name: str) -> dict[str, Any]:
        cluster = wait_status(
            ctx,
            address,
            f"EKS cluster {name}",
            lambda: describe(ctx, name),
            want="ACTIVE",
            failed=frozenset({"FAILED", "DELETING"}),
            timeout=CREATE_TIMEOUT,
        )
        assert cluster is not None
        return cluster


DRIVER = EksClusterDriver()
