"""What the application commands do: deploy, release, rollback, history, render, and teardown.

Everything goes through the fabric's own cluster, found in the cloud (``eks_cluster.main``) and
reached with an EKS token made for it (:mod:`weft.aws.eks_token`); nothing is read from a local
kubeconfig, so a command can never act on another cluster than the fabric's.

``deploy`` (and ``release``, which is a deploy of one app at a given version):

1. reads the fabric's data stores, certificate and zone from the cloud, and the secrets the apps
   need from the secrets store; an unknown secret, or a store not yet created, stops everything
   before anything is applied;
2. renders the manifests (:mod:`weft.kube.manifests`) in the API versions the cluster serves;
3. server-side applies them, and prunes the objects weft manages that the file no longer names;
4. waits for every Deployment's rollout (:mod:`weft.kube.rollout`) in parallel, reporting
   progress; a failed rollout is rolled back to the previous revision at once, and the command
   fails naming the pods and reasons;
5. records each release in the app's history (:mod:`weft.kube.releases`);
6. points a Route 53 record at each app's load balancer (``app_record``), and removes the records
   of apps that no longer have one.

Secret values travel only from the secrets store into the Kubernetes Secret's ``stringData`` of
the apply request; no event, error or result carries one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import eks_token, secrets
from weft.aws.applier import AwsApplier
from weft.aws.drivers import DRIVERS
from weft.aws.errors import translate
from weft.aws.inventory import Inventory, discover
from weft.core.resource import Observed, Resource, thaw
from weft.errors import ConfigError, GuardError, KubeError, RolloutFailed, UsageError
from weft.fabricfile import App, CronJob, Fabric
from weft.fabricfile.secret_names import cache_auth_token, database_password
from weft.kube import manifests, releases, rollout
from weft.kube.client import Kube, describe
from weft.model.addresses import CERTIFICATE, CLUSTER, HOSTED_ZONE
from weft.model.tags import resource_tags
from weft.ops.target import Target

#: The cloud resources the application commands read.
KINDS = (
    "eks_cluster",
    "db_instance",
    "cache_replication_group",
    "bucket",
    "acm_certificate",
    "hosted_zone",
    "app_record",
)
#: Kinds weft applies for apps, in the versions of a given cluster (prune lists these).
PRUNABLE = (
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
)
LB_TIMEOUT = 600.0
#: Where ``weft verify`` puts its canary.
VERIFY_NAMESPACE = "weft-verify"
POLL = 1.0


@dataclass(frozen=True)
class AppEvent:
    """One thing that happened to an app (what the CLI shows as a progress line)."""

    app: str
    phase: str  # applied | pruned | progress | failed | rollback | done | dns | step
    message: str
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.phase, **asdict(self)}


Report = Callable[[AppEvent], None]


def _ignore(_event: AppEvent) -> None:
    pass


@dataclass
class AppOutcome:
    app: str
    version: str
    outcome: str  # deployed | unchanged | failed | rolled back | applied
    revision: int | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rolled_back_to: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DeployResult:
    outcomes: list[AppOutcome] = field(default_factory=list)
    applied: int = 0
    pruned: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.outcome not in ("failed", "rolled back") for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "applied": self.applied,
            "pruned": self.pruned,
            "records": self.records,
            "apps": [o.to_dict() for o in self.outcomes],
        }


def namespace_of(fabric: Fabric) -> str:
    return fabric.name


def _translated(what: str, action: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address=what, action=action) from exc


class Apps:
    """The application commands for one fabric (see the module docstring)."""

    def __init__(
        self,
        target: Target,
        report: Report = _ignore,
        *,
        fabric: Fabric | None = None,
        namespace: str | None = None,
    ) -> None:
        self.target = target
        #: the apps acted on: the fabric file's, or another set (``weft verify``'s canary)
        self.fabric = fabric or target.fabric
        self.namespace = namespace or namespace_of(target.fabric)
        self.report = report
        self.ctx = target.context()
        self._inv: Inventory | None = None
        self._kube: Kube | None = None
        self._versions: manifests.ApiVersions | None = None
        self._t0 = time.monotonic()
        self._lock = threading.Lock()

    # ---------------------------------------------------------------------------- plumbing
    def _emit(self, app: str, phase: str, message: str) -> None:
        self.report(AppEvent(app, phase, message, round(time.monotonic() - self._t0, 2)))

    def inventory(self, fresh: bool = False) -> Inventory:
        if self._inv is None or fresh:
            self._inv = discover(self.ctx, {k: DRIVERS[k] for k in KINDS})
        return self._inv

    def cluster(self) -> Observed:
        found = self.inventory().by_address.get(CLUSTER)
        if self.fabric.cluster is None:
            raise GuardError(
                f"{self.fabric.source}: fabric {self.fabric.name} has no cluster section",
                hint="add a cluster: section to run applications",
            )
        if found is None:
            raise GuardError(
                f"fabric {self.fabric.name} has no cluster yet", hint="create it with: weft up"
            )
        return found

    @property
    def kube(self) -> Kube:
        if self._kube is None:
            cluster = self.cluster()
            endpoint, ca = cluster.outputs.get("endpoint"), cluster.outputs.get("ca_data")
            if not endpoint or not ca:
                raise GuardError(
                    f"cluster {cluster.id} has no API endpoint yet (state {cluster.state})",
                    hint="wait for weft up to finish",
                )
            session, name = self.target.session, cluster.id
            self._kube = Kube(
                str(endpoint),
                str(ca),
                lambda: str(eks_token.get_token(session, name)["status"]["token"]),
                cluster=name,
            )
        return self._kube

    @property
    def versions(self) -> manifests.ApiVersions:
        if self._versions is None:
            self._versions = self.kube.api_versions()
        return self._versions

    def close(self) -> None:
        if self._kube is not None:
            self._kube.close()

    # ------------------------------------------------------------------------------ inputs
    def _workloads(self) -> list[App | CronJob]:
        return [*self.fabric.apps, *self.fabric.cronjobs]

    def _names(self) -> list[str]:
        return [w.name for w in self._workloads()]

    def check_names(self, only: Collection[str] | None) -> None:
        if not only:
            return
        known = self._names()
        unknown = [n for n in only if n not in known]
        if unknown:
            listed = ", ".join(known) or "none"
            raise UsageError(
                f"{self.fabric.source} has no app or cron job named {', '.join(unknown)} "
                f"(it has: {listed})"
            )

    def data_stores(self, only: Collection[str] | None = None) -> dict[str, manifests.DataStore]:
        """Facts about every store the (selected) apps use, read from the cloud."""
        used: set[str] = set()
        for item in self._workloads():
            if only is None or item.name in only:
                used.update(item.uses)
        inv = self.inventory()
        out: dict[str, manifests.DataStore] = {}
        for db in self.fabric.databases:
            if db.name in used:
                obs = self._need(inv, f"db_instance.{db.name}", "database", db.name)
                out[db.name] = manifests.DataStore(
                    db.name,
                    "database",
                    {
                        "host": str(obs.outputs.get("endpoint") or ""),
                        "port": str(obs.outputs.get("port") or 5432),
                        "database": db.db_name,
                        "user": db.username,
                    },
                    database_password(db.name),
                )
        for cache in self.fabric.caches:
            if cache.name in used:
                obs = self._need(inv, f"cache_replication_group.{cache.name}", "cache", cache.name)
                out[cache.name] = manifests.DataStore(
                    cache.name,
                    "cache",
                    {
                        "host": str(obs.outputs.get("endpoint") or ""),
                        "port": str(obs.outputs.get("port") or 6379),
                    },
                    cache_auth_token(cache.name),
                )
        for bucket in self.fabric.buckets:
            if bucket.name in used:
                obs = self._need(inv, f"bucket.{bucket.name}", "bucket", bucket.name)
                out[bucket.name] = manifests.DataStore(
                    bucket.name,
                    "bucket",
                    {
                        "bucket": str(obs.props.get("bucket") or obs.id),
                        "region": self.fabric.region,
                    },
                    None,
                )
        return out

    def _need(self, inv: Inventory, address: str, what: str, name: str) -> Observed:
        found = inv.by_address.get(address)
        if found is None:
            raise GuardError(
                f"{what} {name} does not exist yet, and apps use it",
                hint="create it with: weft up",
            )
        return found

    def certificate_arn(self) -> str | None:
        cert = self.inventory().by_address.get(CERTIFICATE)
        return str(cert.outputs.get("arn")) if cert is not None else None

    def secret_values(
        self, only: Collection[str] | None, stores: Mapping[str, manifests.DataStore]
    ) -> dict[str, str]:
        """Every secret the (selected) apps need; a missing one stops the deploy."""
        wanted = set(manifests.secret_names(self.fabric, only))
        wanted |= {s.secret for s in stores.values() if s.secret}
        values: dict[str, str] = {}
        missing = []
        for name in sorted(wanted):
            value = secrets.find_secret(self.ctx, name)
            if value is None:
                missing.append(name)
            else:
                values[name] = value
        if missing:
            users = sorted(
                item.name for item in self._workloads() if set(item.secrets) & set(missing)
            )
            raise ConfigError(
                f"{self.fabric.source}: secret{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} not in the secrets store of fabric {self.fabric.name} "
                f"(used by {', '.join(users) or 'a data store'}); nothing was applied. "
                f"Set {'them' if len(missing) > 1 else 'it'} with: weft secrets set NAME"
            )
        return values

    def render_input(
        self,
        only: Collection[str] | None,
        *,
        reveal: bool,
        overrides: Mapping[str, str] | None = None,
        fabric: Fabric | None = None,
    ) -> manifests.RenderInput:
        fabric = fabric or self.fabric
        stores = self.data_stores(only) if reveal else self._stores_or_placeholders(only)
        values = self.secret_values(only, stores) if reveal else {}
        return manifests.RenderInput(
            fabric=fabric,
            namespace=self.namespace,
            certificate_arn=self.certificate_arn() if reveal else self._certificate_or_none(),
            data=stores,
            secret_values=values,
            versions=self.versions if reveal else self._versions_or_default(),
            version_overrides=dict(overrides or {}),
        )

    def _stores_or_placeholders(
        self, only: Collection[str] | None
    ) -> dict[str, manifests.DataStore]:
        try:
            return self.data_stores(only)
        except GuardError:
            out = {}
            for kind, items in (
                ("database", self.fabric.databases),
                ("cache", self.fabric.caches),
                ("bucket", self.fabric.buckets),
            ):
                for item in items:
                    out[item.name] = manifests.DataStore(item.name, kind, {}, None)  # type: ignore[arg-type]
            return out

    def _certificate_or_none(self) -> str | None:
        """The certificate's ARN, or (for ``weft render`` before ``weft up`` made it) a
        placeholder saying so."""
        try:
            found = self.certificate_arn()
        except (KubeError, GuardError):
            found = None
        if found is None and self.fabric.dns is not None:
            return manifests.UNKNOWN
        return found

    def _versions_or_default(self) -> manifests.ApiVersions:
        try:
            return self.versions
        except (KubeError, GuardError):
            return manifests.ApiVersions()

    # ------------------------------------------------------------------------------ render
    def render(self, only: Collection[str] | None = None) -> list[dict[str, Any]]:
        """The manifests, secret values redacted (``weft render``)."""
        self.check_names(only)
        return manifests.render(self.render_input(only, reveal=False), only)

    # ------------------------------------------------------------------------------ deploy
    def deploy(
        self,
        only: Collection[str] | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
        timeout: float = 900.0,
        grace: float = 30.0,
        prune: bool = True,
    ) -> DeployResult:
        self.check_names(only)
        self.cluster()
        inp = self.render_input(only, reveal=True, overrides=overrides)
        objects = manifests.render(inp, only)
        result = DeployResult()
        before = self._deployments(only)
        for obj in manifests.apply_order(objects):
            self.kube.apply(obj)
            result.applied += 1
            self._emit(_app_of(obj), "applied", describe(obj))
        if prune:
            result.pruned = self._prune(objects, only)
        deployments = [o for o in objects if o["kind"] == "Deployment"]
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(deployments)))) as pool:
            futures = [
                pool.submit(self._settle, d, before.get(d["metadata"]["name"]), timeout, grace)
                for d in deployments
            ]
            result.outcomes = [f.result() for f in futures]
        for obj in objects:
            if obj["kind"] == "CronJob":
                name = obj["metadata"]["name"]
                version = _version_of(obj)
                result.outcomes.append(AppOutcome(name, version, "applied"))
        result.records = self.sync_records(only, wait=LB_TIMEOUT if result.ok else 0.0, prune=prune)
        return result

    def _deployments(self, only: Collection[str] | None) -> dict[str, dict[str, Any]]:
        found = self.kube.list(
            "apps/v1", "Deployment", self.namespace, {"weft.dev/fabric": self.fabric.name}
        )
        return {d["metadata"]["name"]: d for d in found if only is None or _app_of(d) in only}

    def _settle(
        self,
        rendered: dict[str, Any],
        before: dict[str, Any] | None,
        timeout: float,
        grace: float,
    ) -> AppOutcome:
        """Wait for one app's rollout; roll it back if it fails; record the release."""
        app = rendered["metadata"]["name"]
        start = time.monotonic()
        version = _version_of(rendered)

        def progress(p: rollout.Progress) -> None:
            self._emit(app, "progress", p.line())

        result = rollout.wait(
            self.kube, self.namespace, app, timeout=timeout, grace=grace, report=progress
        )
        outcome = AppOutcome(app, version, "deployed", revision=result.revision)
        changed = before is None or rollout.revision_of(before) != result.revision
        if result.failure is None:
            outcome.outcome = "deployed" if changed else "unchanged"
            if changed:
                self._record(
                    app,
                    releases.Release(
                        version, _image_of(rendered), "deployed", revision=result.revision
                    ),
                )
            self._emit(app, "done", f"{version}: {outcome.outcome} (revision {result.revision})")
        else:
            outcome.outcome = "failed"
            outcome.problems = [result.failure, *(str(p) for p in result.problems)]
            self._emit(app, "failed", "; ".join(outcome.problems))
            # Undo only what this deploy changed, back to what ran before it; a rollout that
            # fails without a change (a crash with the same template) has nothing to undo.
            back = None
            if changed and before is not None:
                try:
                    back = self._roll_back(rendered, rollout.revision_of(before), timeout, grace)
                except UsageError as exc:  # the revision that ran before is no longer kept
                    self._emit(app, "rollback", str(exc))
            elif not changed:
                self._emit(app, "rollback", "nothing changed in this deploy: nothing to undo")
            else:
                self._emit(app, "rollback", "a first release has no earlier revision")
            if back is not None:
                rev, _template, back_progress = back
                outcome.outcome = "rolled back"
                outcome.rolled_back_to = rev
                if back_progress.failure:
                    outcome.problems.append(f"the rollback did not settle: {back_progress.failure}")
            self._record(
                app,
                releases.Release(
                    version,
                    _image_of(rendered),
                    "failed",
                    revision=result.revision,
                    rolled_back_to=outcome.rolled_back_to,
                    detail="; ".join(outcome.problems)[:1000],
                ),
            )
        outcome.seconds = round(time.monotonic() - start, 2)
        return outcome

    def _roll_back(
        self,
        rendered: dict[str, Any],
        to: int | None,
        timeout: float,
        grace: float,
    ) -> tuple[int, dict[str, Any], rollout.Progress] | None:
        """Apply the pod template of revision ``to`` (default: the previous one) and wait."""
        app = rendered["metadata"]["name"]
        live = self.kube.get("apps/v1", "Deployment", app, self.namespace)
        if live is None:
            return None
        rss = self.kube.list("apps/v1", "ReplicaSet", self.namespace, rollout.selector_labels(live))
        found = rollout.rollback_template(live, rss, to)
        if found is None:
            if to is not None:
                known = ", ".join(str(r) for r in rollout.revisions(live, rss)) or "none"
                raise UsageError(
                    f"app {app} has no revision {to} to roll back to (revisions kept: {known})"
                )
            self._emit(app, "rollback", "no earlier revision to roll back to")
            return None
        rev, template = found
        body = {**rendered, "spec": {**rendered["spec"], "template": template}}
        self.kube.apply(body)
        self._emit(app, "rollback", f"rolling back to revision {rev}")

        def progress(p: rollout.Progress) -> None:
            self._emit(app, "progress", p.line())

        settled = rollout.wait(
            self.kube, self.namespace, app, timeout=timeout, grace=grace, report=progress
        )
        return rev, template, settled

    def _record(self, app: str, release: releases.Release) -> None:
        releases.record(self.kube, self.namespace, app, manifests.labels(self.fabric, app), release)

    def _prune(self, objects: list[dict[str, Any]], only: Collection[str] | None) -> list[str]:
        """Delete what weft manages here that the rendering no longer holds."""
        keep = {(o["kind"], o["metadata"]["name"]) for o in objects}
        apps = set(self._names())
        keep |= {("ConfigMap", releases.configmap_name(a)) for a in apps}
        kinds = [
            *PRUNABLE,
            (self.versions.ingress, "Ingress"),
            (self.versions.hpa, "HorizontalPodAutoscaler"),
            (self.versions.pdb, "PodDisruptionBudget"),
            (self.versions.cronjob, "CronJob"),
        ]
        selector = {
            "app.kubernetes.io/managed-by": manifests.MANAGED_BY,
            "weft.dev/fabric": self.fabric.name,
        }
        gone = []
        for api_version, kind in reversed(kinds):
            for obj in self.kube.list(api_version, kind, self.namespace, selector):
                name = obj["metadata"]["name"]
                if (kind, name) in keep:
                    continue
                if only is not None and _app_of(obj) not in only:
                    continue
                if self.kube.delete(api_version, kind, name, self.namespace):
                    gone.append(describe(obj))
                    self._emit(_app_of(obj), "pruned", describe(obj))
        return gone

    # --------------------------------------------------------------------------- releases
    def release(self, app: str, version: str, **kw: Any) -> DeployResult:
        if app not in [a.name for a in self.fabric.apps] + [c.name for c in self.fabric.cronjobs]:
            self.check_names([app])
        return self.deploy([app], overrides={app: version}, prune=False, **kw)

    def history(self, app: str) -> list[releases.Release]:
        self.check_names([app])
        return releases.load(self.kube, self.namespace, app)

    def rollback(
        self, app: str, to: int | None = None, *, timeout: float = 900.0, grace: float = 30.0
    ) -> AppOutcome:
        """Restore an earlier revision of ``app`` (the previous one by default)."""
        self.check_names([app])
        if app not in [a.name for a in self.fabric.apps]:
            raise UsageError(f"{app} is a cron job: it has no rollout to roll back")
        inp = self.render_input([app], reveal=True)
        rendered = next(o for o in manifests.render(inp, [app]) if o["kind"] == "Deployment")
        start = time.monotonic()
        if to is None:
            to = self._last_good_revision(app)
        back = self._roll_back(rendered, to, timeout, grace)
        if back is None:
            raise UsageError(f"app {app} has no earlier revision to roll back to")
        rev, template, settled = back
        version = rollout.template_version(template, manifests.VERSION_ANNOTATION) or "?"
        image = _image_of({"spec": {"template": template}})
        outcome = AppOutcome(
            app,
            version,
            "deployed" if settled.failure is None else "failed",
            revision=settled.revision,
            rolled_back_to=rev,
            seconds=round(time.monotonic() - start, 2),
        )
        if settled.failure:
            outcome.problems = [settled.failure, *(str(p) for p in settled.problems)]
        self._record(
            app,
            releases.Release(
                version,
                image,
                "rollback" if settled.failure is None else "failed",
                revision=settled.revision,
                rolled_back_to=rev,
                detail="; ".join(outcome.problems)[:1000],
            ),
        )
        if settled.failure:
            raise RolloutFailed(
                f"the rollback of {app} to revision {rev} did not settle: "
                + "; ".join(outcome.problems),
                problems=outcome.problems,
            )
        return outcome

    def _last_good_revision(self, app: str) -> int | None:
        """The revision of the last release that worked, other than what runs now: after an
        automatic rollback, the previous revision is the one that failed, never a target."""
        live = self.kube.get("apps/v1", "Deployment", app, self.namespace)
        if live is None:
            raise UsageError(f"app {app} is not deployed: nothing to roll back")
        template = (live.get("spec") or {}).get("template") or {}
        current = rollout.template_version(template, manifests.VERSION_ANNOTATION)
        good = [
            r.version
            for r in reversed(releases.load(self.kube, self.namespace, app))
            if r.outcome in ("deployed", "rollback") and r.version != current
        ]
        rss = self.kube.list("apps/v1", "ReplicaSet", self.namespace, rollout.selector_labels(live))
        found = rollout.revision_of_version(
            live, rss, list(dict.fromkeys(good)), manifests.VERSION_ANNOTATION
        )
        return found

    # --------------------------------------------------------------------------------- DNS
    def _hosts(self, only: Collection[str] | None = None) -> dict[str, tuple[str, str, str]]:
        """app -> (host, kind, object name) for each app that gets a load balancer."""
        domain = self.fabric.dns.domain if self.fabric.dns else None
        out: dict[str, tuple[str, str, str]] = {}
        for app in self.fabric.apps:
            if only is not None and app.name not in only:
                continue
            if app.ingress is not None:
                out[app.name] = (app.ingress.host, "Ingress", app.name)
            elif getattr(app, "load_balancer", False) and domain:
                host = getattr(app, "host", None) or f"{app.name}.{domain}"
                out[app.name] = (host, "Service", app.name)
        return out

    def lb_hostname(self, kind: str, name: str) -> str | None:
        api_version = self.versions.ingress if kind == "Ingress" else "v1"
        obj = self.kube.get(api_version, kind, name, self.namespace)
        ingress = (((obj or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress")
        return str(ingress[0].get("hostname")) if ingress and ingress[0].get("hostname") else None

    def sync_records(
        self, only: Collection[str] | None = None, *, wait: float, prune: bool = True
    ) -> list[str]:
        """Alias records for the apps' load balancers; with ``prune``, the records of apps that
        no longer have one go."""
        zone = self.inventory(fresh=True).by_address.get(HOSTED_ZONE)
        existing = {
            o.name: o for o in self.inventory().by_address.values() if o.kind == "app_record"
        }
        applier = AwsApplier(self.ctx)
        wanted = self._hosts(only)
        done: list[str] = []
        if zone is not None and wanted:
            zones = self._lb_zones(wanted, wait)
            for app, (host, _kind, _name) in sorted(wanted.items()):
                target = zones.get(app)
                if target is None:
                    self._emit(app, "dns", f"no load balancer yet for {host}: record not written")
                    continue
                props: dict[str, Any] = {
                    "zone_id": zone.id,
                    "name": host if host.endswith(".") else host + ".",
                    "type": "A",
                    "ttl": None,
                    "values": [],
                    "alias": {"dns_name": target[0], "zone_id": target[1]},
                }
                resource = Resource(
                    "app_record",
                    app,
                    {**props, "tags": resource_tags(self.fabric.name, "app_record", app, {})},
                )
                current = existing.get(app)
                if current is not None and current.props.get("name") != props["name"]:
                    applier.delete(current, lambda _m: None)
                    current = None
                if current is None:
                    applier.create(resource, props, lambda _m: None)
                elif _record_differs(current, props):
                    applier.update(resource, props, current, {"alias"}, lambda _m: None)
                else:
                    continue
                done.append(f"{host} -> {target[0]}")
                self._emit(app, "dns", f"{host} -> {target[0]}")
        if not prune:
            return done
        keep = set(self._hosts(None)) if only is None else set(existing) - set(only) | set(wanted)
        for app, obs in existing.items():
            if app not in keep:
                done.append(self.remove_record(obs))
        return done

    def remove_record(self, obs: Observed) -> str:
        AwsApplier(self.ctx).delete(obs, lambda _m: None)
        self._emit(obs.name, "dns", f"record {obs.props.get('name')} removed")
        return f"{obs.props.get('name')} removed"

    def load_balancers(self) -> dict[str, dict[str, Any]]:
        """The account's ELBv2 load balancers in the region, by lower-case DNS name."""
        elbv2 = self.target.session.client("elbv2")
        lbs = _translated(
            "load balancers",
            "read",
            lambda: [
                lb
                for page in elbv2.get_paginator("describe_load_balancers").paginate()
                for lb in page["LoadBalancers"]
            ],
        )
        return {str(lb["DNSName"]).lower(): lb for lb in lbs}

    def _lb_zones(
        self, wanted: Mapping[str, tuple[str, str, str]], wait: float
    ) -> dict[str, tuple[str, str]]:
        """app -> (load balancer DNS name, its canonical hosted zone), waiting up to ``wait``."""
        deadline = time.monotonic() + wait
        names: dict[str, str] = {}
        while True:
            for app, (_host, kind, name) in wanted.items():
                if app not in names:
                    hostname = self.lb_hostname(kind, name)
                    if hostname:
                        names[app] = hostname
            if len(names) == len(wanted) or time.monotonic() >= deadline:
                break
            time.sleep(POLL)
        if not names:
            return {}
        by_dns = self.load_balancers()
        out = {}
        for app, hostname in names.items():
            lb = by_dns.get(hostname.lower())
            if lb is not None:
                out[app] = (hostname, str(lb["CanonicalHostedZoneId"]))
        return out


@dataclass
class TeardownReport:
    """What ``weft down`` did in the cluster before deleting the fabric."""

    reachable: bool
    note: str = ""
    deleted: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.left

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def teardown(
    apps: Apps, namespaces: Iterable[str], *, timeout: float = LB_TIMEOUT
) -> TeardownReport:
    """Kubernetes first: the fabric's load-balanced Services and Ingresses, waiting until their
    controller has deleted the load balancers (it removes its finalizer then), then the apps'
    namespaces, then the apps' DNS records. When the cluster API does not answer, says so and
    does nothing: the tag sweep of ``weft down`` removes the load balancers from the AWS side.
    """
    start = time.monotonic()
    try:
        kube = apps.kube
        versions = apps.versions
    except (KubeError, GuardError) as exc:
        return TeardownReport(False, note=str(exc))
    report = TeardownReport(True)
    labels = {"weft.dev/fabric": apps.fabric.name}
    fronts = [
        o
        for o in kube.list("v1", "Service", None, labels)
        if (o.get("spec") or {}).get("type") == "LoadBalancer"
    ] + kube.list(versions.ingress, "Ingress", None, labels)
    for obj in fronts:
        meta = obj["metadata"]
        if kube.delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")):
            report.deleted.append(describe(obj))
            apps._emit(_app_of(obj), "teardown", f"deleting {describe(obj)}")
    deadline = time.monotonic() + timeout
    waiting = list(fronts)
    while waiting and time.monotonic() < deadline:
        waiting = [
            o
            for o in waiting
            if kube.get(
                o["apiVersion"], o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")
            )
            is not None
        ]
        if waiting:
            time.sleep(POLL)
    report.left.extend(f"{describe(o)} (its load balancer is still being deleted)" for o in waiting)
    for ns in namespaces:
        if kube.delete("v1", "Namespace", ns):
            report.deleted.append(f"Namespace {ns}")
    remaining = list(namespaces)
    while remaining and time.monotonic() < deadline:
        remaining = [ns for ns in remaining if kube.get("v1", "Namespace", ns) is not None]
        if remaining:
            time.sleep(POLL)
    report.left.extend(f"Namespace {ns} (still terminating)" for ns in remaining)
    for obs in apps.inventory(fresh=True).by_address.values():
        if obs.kind == "app_record":
            report.records.append(apps.remove_record(obs))
    report.seconds = round(time.monotonic() - start, 2)
    return report


def kubernetes_first(
    target: Target, report: Report = _ignore, *, timeout: float = LB_TIMEOUT
) -> TeardownReport:
    """The Kubernetes phase of ``weft down`` for the fabric's apps and ``weft verify``'s canary
    (see :func:`teardown`)."""
    apps = Apps(target, report)
    try:
        return teardown(apps, [namespace_of(target.fabric), VERIFY_NAMESPACE], timeout=timeout)
    finally:
        apps.close()


def _record_differs(current: Observed, props: Mapping[str, Any]) -> bool:
    return any(thaw(current.props.get(k)) != v for k, v in props.items())


def _app_of(obj: Mapping[str, Any]) -> str:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return str(labels.get("app.kubernetes.io/name") or (obj.get("metadata") or {}).get("name"))


def _version_of(obj: Mapping[str, Any]) -> str:
    spec = obj.get("spec") or {}
    template = (
        spec.get("template")
        or ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
        or {}
    )
    for source in (template.get("metadata") or {}, obj.get("metadata") or {}):
        value = (source.get("annotations") or {}).get(manifests.VERSION_ANNOTATION) or (
            source.get("labels") or {}
        ).get("app.kubernetes.io/version")
        if value:
            return str(value)
    return "?"


def _image_of(obj: Mapping[str, Any]) -> str:
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or [{}]
    return str(containers[0].get("image") or "?")


def summarize(results: Iterable[AppOutcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return counts


__all__ = [
    "AppEvent",
    "AppOutcome",
    "Apps",
    "DeployResult",
    "kubernetes_first",
    "namespace_of",
    "teardown",
]
