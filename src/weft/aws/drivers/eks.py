"""What the EKS drivers share: the fabric's clusters, waits on a status or an update, EKS tags,
and the bases of the drivers (:class:`EksDriver`; :class:`EksChildDriver` for what lives in a
cluster: node groups, Fargate profiles, add-ons).

EKS has no tag filter on its list calls and tags are only in the descriptions: discovery lists
and describes (an account holds few clusters, a cluster few children); the fabric's clusters
are read once per discovery, whichever EKS driver asks first. Names are unique (per account and
region for a cluster, per cluster for its children), so a create first describes the name: what
is there is finished when it is this resource left by an earlier attempt, and refused otherwise.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, kit, pagination, presence, tagger
from weft.aws.waiting import wait_until
from weft.core.resource import Observed, Resource
from weft.errors import PermanentError, TemporaryError

Item = dict[str, Any]
#: Statuses of what is on its way out: never reported, never adopted.
GONE = frozenset({"DELETING"})
#: The tags setter of every EKS resource (by its ARN).
TAGS = kit.tags(tagger.EKS, kit.by_arn)


def eks_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags as EKS takes them (a map), without ``aws:`` keys."""
    return {str(k): str(v) for k, v in tags.items() if not tagging.is_reserved(k)}


def tags_of(item: Mapping[str, Any]) -> dict[str, str]:
    """The tags of an EKS description (a map there), without ``aws:`` keys."""
    return eks_tags(item.get("tags") or {})


def is_ours(ctx: AwsContext, tags: Mapping[str, str]) -> bool:
    return tags.get(tagging.FABRIC_TAG) == ctx.fabric


def describe(ctx: AwsContext, name: str) -> Item | None:
    """The cluster's description, or None when there is no such cluster."""
    found = presence.if_found(ctx.client("eks").describe_cluster, name=name)
    return None if found is None else dict(found["cluster"])


def fabric_clusters(ctx: AwsContext) -> list[Item]:
    """The descriptions of this fabric's clusters (list, then describe each), gone ones left out.

    Read once per discovery, whichever of the EKS drivers asks first (do not change them)."""

    def read() -> list[Item]:
        found = []
        for name in pagination.items(ctx.client("eks"), "list_clusters", "clusters"):
            cluster = describe(ctx, name)
            if cluster is None or cluster.get("status") in GONE:
                continue
            if is_ours(ctx, cluster.get("tags") or {}):
                found.append(cluster)
        return found

    return ctx.read_once("eks:fabric-clusters", read)


def issues_of(item: Mapping[str, Any]) -> str:
    """The health issues of a cluster, node group or add-on, as one line."""
    issues = (item.get("health") or {}).get("issues") or []
    text = "; ".join(f"{i.get('code', '?')}: {i.get('message', '')}".strip() for i in issues)
    return text or "no reason given"


def wait_status(
    ctx: AwsContext,
    address: str,
    what: str,
    read: Callable[[], Item | None],
    *,
    want: str | frozenset[str] | None,
    failed: frozenset[str],
    timeout: float,
    interval: float = 10.0,
) -> Item | None:
    """Poll ``read`` until the item's status is ``want`` (or one of them; None: until gone).

    A status in ``failed`` gives up with a :class:`PermanentError` naming the health issues.
    Returns the last description (None once gone).
    """
    last: Item = {}
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
    timeout: float,
    **owner: str,
) -> None:
    """Wait for an EKS update (of the cluster, or of ``nodegroupName=`` / ``addonName=``).

    ``Failed`` or ``Cancelled`` give up with a PermanentError carrying the update's errors.
    """
    update_id = update["id"]
    kind = update.get("type", "update")
    eks = ctx.client("eks")

    def check() -> bool | str:
        found = presence.if_found(eks.describe_update, name=cluster, updateId=update_id, **owner)
        if found is None:
            return "not visible yet"
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


class EksDriver(kit.TaggedDriver):
    """An EKS resource with a unique name: created, or finished when an earlier attempt left it.

    Data: ``noun`` (in messages and waits), ``timeout`` (of a create, an update or a delete),
    the statuses that end a wait for ACTIVE (``create_failed``) or for the end
    (``delete_failed``). Hooks: ``live`` (the description by name, or None), ``observe``,
    ``name_of`` (the cloud name in the props), ``remove`` (the delete call), ``make``.
    """

    noun: str
    timeout: float = 1200.0
    create_failed: frozenset[str] = frozenset({"CREATE_FAILED", "DELETING", "DELETE_FAILED"})
    delete_failed: frozenset[str] = frozenset({"DELETE_FAILED"})

    @abstractmethod
    def live(self, ctx: AwsContext, props: Mapping[str, Any]) -> Item | None: ...

    @abstractmethod
    def observe(self, ctx: AwsContext, name: str, item: Item) -> Observed: ...

    @abstractmethod
    def name_of(self, props: Mapping[str, Any]) -> str: ...

    @abstractmethod
    def remove(self, ctx: AwsContext, props: Mapping[str, Any]) -> None: ...

    def taken(self, props: Mapping[str, Any], address: str) -> PermanentError:
        """The error for a resource of this name that is not this one."""
        return PermanentError(
            f"a {self.noun} named {self.name_of(props)} already exists in cluster "
            f"{props['cluster_name']} and is not this one",
            address=address,
            hint=f"delete that {self.noun}, or rename this one in the fabric file",
        )

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        existing = self.live(ctx, props)
        if existing is None:
            return self.make(ctx, resource, props)
        name = self.name_of(props)
        tags = tags_of(existing)
        if not is_ours(ctx, tags) or tags.get(tagging.ID_TAG) != resource.address:
            raise self.taken(props, resource.address)
        if existing.get("status") in GONE:
            raise TemporaryError(
                f"the previous {self.noun} {name} is still being deleted", address=resource.address
            )
        found = self.observe(ctx, resource.name, self.wait_for(ctx, resource.address, props))
        candidate = adoption.adoptable(self.schema, [found], props)
        if candidate is None:
            raise PermanentError(
                f"the {self.noun} {name} exists with settings EKS cannot change in place",
                address=resource.address,
                hint="let weft replace it (plan shows it), or delete it first",
            )
        return self.adopt(ctx, resource, props, candidate)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        self.remove(ctx, observed.props)  # NotFound: already gone
        self.wait_for(ctx, observed.address, observed.props, want=None)

    def wait_for(
        self,
        ctx: AwsContext,
        address: str,
        props: Mapping[str, Any],
        *,
        want: str | frozenset[str] | None = "ACTIVE",
        failed: frozenset[str] | None = None,
    ) -> Item:
        """Wait until the status is ``want`` (None: until gone); the last description."""
        if failed is None:
            failed = self.create_failed if want is not None else self.delete_failed
        found = wait_status(
            ctx,
            address,
            f"{self.noun} {self.name_of(props)}",
            lambda: self.live(ctx, props),
            want=want,
            failed=failed,
            timeout=self.timeout,
        )
        return found or {}

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for item in self.items(ctx):
            name = tagging.owned_name(
                tags_of(item), fabric=ctx.fabric, kind=self.schema.kind, address=address
            )
            if name is not None:
                found.append(self.observe(ctx, name, item))
        return found

    @abstractmethod
    def items(self, ctx: AwsContext) -> list[Item]:
        """The descriptions of every live resource of this type in the fabric's clusters."""


@dataclass(frozen=True)
class ChildApi:
    """How EKS spells the calls on one kind of cluster child: ``list_<stem>s`` (answering
    ``list_key``), ``describe_<stem>`` and ``delete_<stem>``, the child named by ``name_param``
    (``nodegroupName``: the description is under ``nodegroup``)."""

    stem: str
    list_key: str
    name_param: str

    def op(self, verb: str) -> str:
        return f"{verb}_{self.stem}s" if verb == "list" else f"{verb}_{self.stem}"

    @property
    def describe_key(self) -> str:
        return self.name_param.removesuffix("Name")


class EksChildDriver(EksDriver):
    """Node groups, Fargate profiles, add-ons: listed and described per cluster, named by
    ``name_prop`` within their cluster (``cluster_name``)."""

    api: ChildApi
    name_prop: str

    def name_of(self, props: Mapping[str, Any]) -> str:
        return str(props[self.name_prop])

    def live(self, ctx: AwsContext, props: Mapping[str, Any]) -> Item | None:
        return self.describe_child(ctx, str(props["cluster_name"]), self.name_of(props))

    def describe_child(self, ctx: AwsContext, cluster: str, name: str) -> Item | None:
        api = self.api
        call = getattr(ctx.client("eks"), api.op("describe"))
        found = presence.if_found(call, clusterName=cluster, **{api.name_param: name})
        return None if found is None else dict(found[api.describe_key])

    def remove(self, ctx: AwsContext, props: Mapping[str, Any]) -> None:
        call = getattr(ctx.client("eks"), self.api.op("delete"))
        call(clusterName=props["cluster_name"], **{self.api.name_param: self.name_of(props)})

    def items(self, ctx: AwsContext) -> list[Item]:
        return [item for cluster in fabric_clusters(ctx) for item in self.children(ctx, cluster)]

    def children(self, ctx: AwsContext, cluster: Item) -> list[Item]:
        """The descriptions of this kind's live resources in ``cluster``."""
        api = self.api
        found = []
        for name in pagination.items(
            ctx.client("eks"), api.op("list"), api.list_key, clusterName=cluster["name"]
        ):
            item = self.describe_child(ctx, cluster["name"], name)
            if item is not None and item.get("status") not in GONE:
                found.append(item)
        return found
