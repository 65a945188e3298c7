"""Applications on the fabric's cluster, against the local cloud: a real kube-apiserver with
its controller manager (ReplicaSets, revisions, garbage collection), the kubelet and load-balancer
simulators, and moto for everything AWS.

One fabric (network, cluster, database, cache, bucket, zone and certificate) is built once for
the module; each test then drives the application commands through :mod:`weft.ops.apps` (over
a :class:`~weft.ops.apps.connection.Connection`) or the CLI, as a user would.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from weft.aws import secrets
from weft.cli.main import main
from weft.errors import ConfigError, UsageError
from weft.fabricfile import parse_fabric
from weft.kube import releases
from weft.local.kube.control_plane import KubeEndpoint
from weft.local.moto_irsa import projected_token
from weft.model.naming import fabric_bucket_name
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import DeployResult, deploy
from weft.ops.apps.inputs import render
from weft.ops.apps.preview import preview
from weft.ops.apps.records import lb_hostname
from weft.ops.apps.release import release, rollback
from weft.ops.apps.teardown import teardown as kubernetes_teardown
from weft.ops.target import Target
from weft.ops.verify import Verify, data_reachable

from .helpers import CLUSTER_VERSION, down, target_for, up, up_delegated
from .kube_versions import running_version, served_api_versions

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

FABRIC = "appsfab"
DOMAIN = "apps.example.com"

BASE = f"""\
name: {FABRIC}
region: us-east-2
provider: local
network: {{cidr: 10.60.0.0/16, zones: 3, nat: single, layout: private}}
cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 2, max: 4, desired: 3}}
databases:
  - {{name: main, engine_version: "16.3", instance_class: db.t4g.medium}}
caches:
  - {{name: sessions, engine_version: "7.1", node_type: cache.t4g.small}}
buckets:
  - name: uploads
dns: {{domain: {DOMAIN}}}
"""


def apps_section(
    web: str = "1.0.0", *, api: bool = True, report: bool = True, web_secrets: str = "[api-key]"
) -> str:
    text = f"""\
apps:
  - name: web
    image: registry.example.com/acme/web
    version: "{web}"
    replicas: 3
    port: 8080
    env: {{LOG_LEVEL: info}}
    secrets: {web_secrets}
    uses: [main, sessions, uploads]
    health: {{path: /healthz}}
    ingress: {{host: www.{DOMAIN}}}
"""
    if api:
        text += """\
  - name: api
    image: registry.example.com/acme/api
    version: "2.0.0"
    replicas: 2
    port: 9000
    load_balancer: true
"""
    if report:
        text += """\
cronjobs:
  - name: report
    schedule: "0 3 * * *"
    image: registry.example.com/acme/jobs
    version: "1.0.0"
    command: [report]
    uses: [main]
"""
    return text


def target_of(text: str) -> Target:
    return target_for(text)


@pytest.fixture(scope="module")
def fabric(kube_api: KubeEndpoint, moto_url: str) -> Iterator[Target]:
    target = target_of(BASE + apps_section())
    outcome = up_delegated(target, moto_url)
    assert outcome.ok, outcome
    secrets.put_secret(target.context(), "api-key", "s3cr3t-api-key-value")
    yield target
    runner = Connection(target)
    assert kubernetes_teardown(runner, [FABRIC], timeout=120).ok
    runner.close()
    assert down(target).ok


def run(
    target: Target, text: str, events: list[Any] | None = None, **kw: Any
) -> tuple[DeployResult, Connection]:
    t = target_of(text)
    runner = Connection(t, events.append) if events is not None else Connection(t)
    return deploy(runner, timeout=120, grace=3, **kw), runner


def by_kind(runner: Connection) -> dict[str, set[str]]:
    kube = runner.kube
    v = runner.versions
    out: dict[str, set[str]] = {}
    for api_version, kind in [
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("v1", "Secret"),
        (v.ingress, "Ingress"),
        (v.cronjob, "CronJob"),
    ]:
        labels = {"app.kubernetes.io/managed-by": "weft", "weft.dev/fabric": FABRIC}
        out[kind] = {o["metadata"]["name"] for o in kube.list(api_version, kind, FABRIC, labels)}
    return out


def test_the_node_group_is_the_cluster_s_nodes(fabric: Target) -> None:
    runner = Connection(fabric)
    deadline = time.monotonic() + 30
    mine: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        nodes = runner.kube.list("v1", "Node")
        mine = [n for n in nodes if n["metadata"]["labels"].get("weft.local/cluster") == FABRIC]
        if len(mine) == 3:
            break
        time.sleep(0.5)
    assert len(mine) == 3, [n["metadata"]["name"] for n in mine]
    labels = mine[0]["metadata"]["labels"]
    assert labels["eks.amazonaws.com/nodegroup"].startswith("general")
    assert labels["node.kubernetes.io/instance-type"] == "m6i.large"
    assert labels["topology.kubernetes.io/zone"].startswith("us-east-2")


def test_deploy_rolls_out_apps_and_cron_jobs_with_records(fabric: Target) -> None:
    result, runner = run(fabric, BASE + apps_section())
    assert result.ok, result.to_dict()
    outcomes = {o.app: o.outcome for o in result.outcomes}
    assert outcomes == {"web": "deployed", "api": "deployed", "report": "applied"}
    objects = by_kind(runner)
    assert {"web", "api"} <= objects["Deployment"]
    assert objects["Ingress"] == {"web"}
    assert objects["CronJob"] == {"report"}
    # batch/v1 where the server has it (1.21 and later), batch/v1beta1 on 1.20
    assert runner.versions.cronjob == served_api_versions(running_version())[0]
    # connection settings and secrets reach the pods through one Secret per app
    secret = runner.kube.get("v1", "Secret", "web-env", FABRIC)
    assert secret is not None
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["API_KEY"] == "s3cr3t-api-key-value"
    assert data["MAIN_PASSWORD"] == secrets.get_secret(fabric.context(), "database/main/password")
    dep = runner.kube.get("apps/v1", "Deployment", "web", FABRIC)
    assert dep is not None
    env = {e["name"]: e for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "valueFrom" in env["MAIN_PASSWORD"] and "value" not in env["MAIN_PASSWORD"]
    assert env["MAIN_HOST"]["value"]
    # the cache encrypts in transit: the app is told to use TLS, with a rediss:// URL
    assert env["SESSIONS_TLS"]["value"] == "true"
    host, port = env["SESSIONS_HOST"]["value"], env["SESSIONS_PORT"]["value"]
    assert env["SESSIONS_URL"]["value"] == f"rediss://{host}:{port}"
    # web uses the bucket: its pods run as its own ServiceAccount, which names its own role
    role = runner.inventory().by_address["iam_role.app-web"]
    assert list(role.props["inline_policies"]["weft-app"]["Statement"][1]["Resource"]) == [
        f"arn:aws:s3:::{runner.inventory().by_address['bucket.uploads'].props['bucket']}/*"
    ]
    account = runner.kube.get("v1", "ServiceAccount", "web", FABRIC)
    assert account is not None
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role.outputs["arn"]
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "web"
    api = runner.kube.get("apps/v1", "Deployment", "api", FABRIC)
    assert api is not None and "serviceAccountName" not in api["spec"]["template"]["spec"]
    # one record per load balancer, each an alias of the load balancer the controller made
    records = {
        o.name: o
        for o in runner.inventory(fresh=True).by_address.values()
        if o.kind == "app_record"
    }
    assert set(records) == {"web", "api"}
    assert records["web"].props["name"] == f"www.{DOMAIN}."
    assert records["api"].props["name"] == f"api.{DOMAIN}."
    hostname = lb_hostname(runner, "Ingress", "web")
    assert records["web"].props["alias"]["dns_name"] == hostname
    # a second deploy changes nothing and records no release
    again, _ = run(fabric, BASE + apps_section())
    assert {o.app: o.outcome for o in again.outcomes}["web"] == "unchanged"
    assert again.records == []
    history = releases.load(runner.kube, FABRIC, "web")
    assert [(r.version, r.outcome) for r in history] == [("1.0.0", "deployed")]


def test_an_app_writes_its_bucket_through_its_own_role(fabric: Target, moto_url: str) -> None:
    """The pod of web does what EKS's pod identity webhook and the SDK do: the role named on its
    ServiceAccount, a projected token for it, AssumeRoleWithWebIdentity, then S3; the local cloud
    checks the token against the role's trust and the writes against its policy."""
    result, runner = run(fabric, BASE + apps_section())
    assert result.ok, result.to_dict()
    pod = runner.kube.get("apps/v1", "Deployment", "web", FABRIC)["spec"]["template"]["spec"]
    account = runner.kube.get("v1", "ServiceAccount", pod["serviceAccountName"], FABRIC)
    role_arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]

    def credentials(service_account: str) -> dict[str, str]:
        token = projected_token(
            moto_url,
            cluster=FABRIC,
            region="us-east-2",
            namespace=FABRIC,
            service_account=service_account,
        )
        sts = boto3.client("sts", endpoint_url=moto_url, region_name="us-east-2")
        answer = sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=token
        )["Credentials"]
        return {
            "aws_access_key_id": answer["AccessKeyId"],
            "aws_secret_access_key": answer["SecretAccessKey"],
            "aws_session_token": answer["SessionToken"],
        }

    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-2", **credentials("web"))
    inventory = runner.inventory(fresh=True).by_address
    bucket = inventory["bucket.uploads"].props["bucket"]
    s3.put_object(Bucket=bucket, Key="from-web.txt", Body=b"written by web")
    try:
        assert s3.get_object(Bucket=bucket, Key="from-web.txt")["Body"].read() == b"written by web"
    finally:  # the bucket is versioned: the administrator deletes every version for down
        admin = runner.ctx.client("s3")
        listed = admin.list_object_versions(Bucket=bucket)
        for version in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]:
            admin.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    # nothing else: not the fabric's own bucket (its secrets), not as another app
    own = fabric_bucket_name(FABRIC, "123456789012", "us-east-2")
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.put_object(Bucket=own, Key="x", Body=b"x")
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.get_object(Bucket=own, Key="secrets/api-key")
    with pytest.raises(ClientError, match="AccessDenied"):
        credentials("api")


def test_release_failure_rollback_and_history(fabric: Target) -> None:
    text = BASE + apps_section()
    good, runner = run(fabric, text)
    assert good.ok
    start = len(releases.load(runner.kube, FABRIC, "web"))
    released = release(runner, "web", "1.1.0", timeout=120, grace=3)
    assert released.ok, released.to_dict()
    dep = runner.kube.get("apps/v1", "Deployment", "web", FABRIC)
    assert dep is not None
    image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/acme/web:1.1.0"
    # a version whose image cannot be pulled fails fast and is rolled back at once
    failed = release(runner, "web", "1.2.0-fail", timeout=120, grace=3)
    assert not failed.ok
    outcome = failed.outcomes[0]
    assert outcome.outcome == "rolled back"
    assert any("ImagePullBackOff" in p or "ErrImagePull" in p for p in outcome.problems)
    dep = runner.kube.get("apps/v1", "Deployment", "web", FABRIC)
    assert dep is not None
    image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/acme/web:1.1.0"
    assert dep["status"]["availableReplicas"] == 3
    history = releases.load(runner.kube, FABRIC, "web")[start:]
    assert [(r.version, r.outcome) for r in history] == [
        ("1.1.0", "deployed"),
        ("1.2.0-fail", "failed"),
        ("1.1.0", "rollback"),  # the automatic rollback, with the revision it became
    ]
    assert history[1].rolled_back_to == history[2].rolled_back_to == history[0].revision
    assert "automatic, after 1.2.0-fail failed" in history[2].detail
    # revisions with no gaps: the controller numbered the rollback too
    revisions = [r.revision for r in releases.load(runner.kube, FABRIC, "web")]
    assert revisions == list(range(revisions[0], revisions[0] + len(revisions))), revisions
    # back to the first version by hand
    first_revision = releases.load(runner.kube, FABRIC, "web")[0].revision
    back = rollback(runner, "web", first_revision, timeout=120, grace=3)
    assert back.version == "1.0.0"
    dep = runner.kube.get("apps/v1", "Deployment", "web", FABRIC)
    assert dep is not None
    image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/acme/web:1.0.0"
    with pytest.raises(UsageError, match="no revision 99"):
        rollback(runner, "web", 99)


def test_prune_removes_what_the_file_no_longer_names(fabric: Target) -> None:
    full, runner = run(fabric, BASE + apps_section())
    assert full.ok
    api_lb = lb_hostname(runner, "Service", "api")
    assert api_lb
    events: list[Any] = []
    pruned, runner = run(fabric, BASE + apps_section(api=False, report=False), events)
    assert pruned.ok
    # each pruned object is said to be pruned, and why
    said = [e.message for e in events if e.phase == "pruned"]
    assert said and all(m.startswith("pruned ") and "no longer has it" in m for m in said), said
    assert any("Deployment" in m and "/api" in m for m in said), said
    objects = by_kind(runner)
    assert "api" not in objects["Deployment"]
    # a load-balanced Service goes once its controller has deleted the load balancer and lifted
    # its finalizer: right after the deploy it may still be terminating
    service = runner.kube.get("v1", "Service", "api", FABRIC)
    assert service is None or service["metadata"].get("deletionTimestamp"), service
    assert objects["CronJob"] == set()
    assert any("api" in p for p in pruned.pruned)
    records = {
        o.name for o in runner.inventory(fresh=True).by_address.values() if o.kind == "app_record"
    }
    assert records == {"web"}
    # the Service went, and with it the load balancer the controller had made for it
    elbv2 = fabric.session.client("elbv2")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        names = {lb["DNSName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]}
        if api_lb not in names and "api" not in by_kind(runner)["Service"]:
            break
        time.sleep(0.5)
    assert api_lb not in names
    assert "api" not in by_kind(runner)["Service"]
    restored, _ = run(fabric, BASE + apps_section())
    assert restored.ok


def test_an_unknown_secret_stops_before_anything_is_applied(fabric: Target) -> None:
    text = BASE + apps_section(web="3.0.0", web_secrets="[api-key, not-set-anywhere]")
    runner = Connection(target_of(text))
    before = runner.kube.get("apps/v1", "Deployment", "web", FABRIC)
    with pytest.raises(ConfigError, match="not-set-anywhere"):
        deploy(runner, timeout=60)
    after = runner.kube.get("apps/v1", "Deployment", "web", FABRIC)
    assert (before or {}).get("metadata", {}).get("generation") == (after or {}).get(
        "metadata", {}
    ).get("generation")


def test_render_redacts_secret_values(fabric: Target) -> None:
    runner = Connection(target_of(BASE + apps_section()))
    objects = render(runner)
    text = repr(objects)
    assert "s3cr3t-api-key-value" not in text
    secret = next(
        o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == "web-env"
    )
    assert set(secret["stringData"].values()) == {"<redacted>"}
    account = next(o for o in objects if o["kind"] == "ServiceAccount")
    assert account["metadata"]["name"] == "web"
    arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert arn.startswith("arn:aws:iam::") and arn.endswith(f"/weft-{FABRIC}-app-web")


def test_verify_end_to_end(fabric: Target) -> None:
    from weft.ops.verify import PROGRESS_EVERY

    steps: list[Any] = []
    events: list[Any] = []
    result = Verify(fabric, events.append, steps.append, http=False, timeout=120).run()
    names = [s.name for s in result.steps]
    assert names == ["data reachable", "deploy", "reachable", "rolling upgrade", "delete"]
    assert result.ok, result.to_dict()
    # a wait of more than a few seconds says what it waits for (the delete takes ~15 s here)
    delete = result.steps[-1]
    waiting = [e.message for e in events if e.message.startswith("deleting: waiting for")]
    assert delete.seconds < PROGRESS_EVERY + 1 or waiting, (delete, [e.message for e in events])


def test_verify_judges_the_apps_reach_to_their_data_from_the_security_groups(
    fabric: Target,
) -> None:
    """Each pod's address leads to its node's instance and security groups in the local EC2,
    and the data group's real rules decide: with the rules weft makes every pod of ``web``
    reaches the database and the cache; with the database's rules gone (a group that admits
    what no pod carries, as before node groups had launch templates) verify fails, naming the
    app, the store and the missing rule; ``up`` puts the rules back."""
    result, runner = run(fabric, BASE + apps_section(api=False, report=False))
    assert result.ok, result.outcomes
    try:
        detail = data_reachable(runner)
        assert "web (3 pods) reaches database main:5432, cache sessions:6379" in detail

        ec2 = fabric.session.client("ec2")
        db = runner.inventory(fresh=True).by_address["db_instance.main"]
        (data,) = db.props["security_group_ids"]
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [data]}])[
            "SecurityGroupRules"
        ]
        postgres = [
            r["SecurityGroupRuleId"]
            for r in rules
            if not r["IsEgress"] and r.get("FromPort") == 5432
        ]
        assert len(postgres) == 2  # from the nodes group and from the cluster group
        ec2.revoke_security_group_ingress(GroupId=data, SecurityGroupRuleIds=postgres)
        with pytest.raises(AssertionError) as dead:
            data_reachable(Connection(fabric))
        message = str(dead.value)
        assert "web cannot reach database main on 5432" in message
        assert f"no ingress rule of {data}" in message
        assert "sessions" not in message  # the cache is still reached
    finally:
        runner.close()
    assert up(fabric).ok  # the rules come back
    assert "reaches database main:5432" in data_reachable(Connection(fabric))


def test_cli_release_writes_the_version_into_the_file(
    fabric: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fabric.yaml"
    path.write_text(BASE + apps_section())
    assert main(["release", "web", "1.3.0", "-f", str(path), "--local"]) == 0
    assert parse_fabric(path.read_text(), "f").apps[0].version == "1.3.0"
    assert main(["history", "web", "-f", str(path), "--local", "--json"]) == 0
    assert '"1.3.0"' in capsys.readouterr().out
    assert main(["release", "web", "1.4.0-fail", "-f", str(path), "--local"]) == 1
    assert parse_fabric(path.read_text(), "f").apps[0].version == "1.3.0"
    assert main(["rollback", "web", "-f", str(path), "--local"]) == 0
    err = capsys.readouterr()
    assert "s3cr3t-api-key-value" not in err.out + err.err


def test_after_a_rollback_the_plan_shows_no_change_to_the_app(
    fabric: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rollback re-applies the app's whole set at the version it restores: no object (nor
    the Deployment's own metadata) keeps the labels of the release rolled back from."""
    path = tmp_path / "fabric.yaml"
    path.write_text(BASE + apps_section("1.5.0"))
    assert main(["deploy", "-f", str(path), "--local"]) == 0
    assert main(["release", "web", "1.6.0", "-f", str(path), "--local"]) == 0
    assert main(["rollback", "web", "-f", str(path), "--local"]) == 0
    assert parse_fabric(path.read_text(), "f").apps[0].version == "1.5.0"
    conn = Connection(target_of(path.read_text()))
    try:
        for api_version, kind, name in [
            ("apps/v1", "Deployment", "web"),
            ("v1", "Service", "web"),
            ("v1", "Secret", "web-env"),
        ]:
            live = conn.kube.get(api_version, kind, name, FABRIC)
            assert live is not None
            assert live["metadata"]["labels"]["app.kubernetes.io/version"] == "1.5.0", kind
        found = preview(conn)
    finally:
        conn.close()
    assert found.state == "dry-run"
    assert not found.has_changes, [o for o in found.objects if o.action != "unchanged"]
    capsys.readouterr()
    code = main(["plan", "-f", str(path), "--local", "--detailed-exitcode"])
    assert code == 0, capsys.readouterr().out


def test_deploy_fails_with_the_controller_s_events_when_its_role_may_not_make_load_balancers(
    fabric: Target,
) -> None:
    """The controller weft installed acts with its own role: without its policy the load
    balancer never comes, and deploy fails with what the controller said."""
    shop = """\
  - name: shop
    image: registry.example.com/acme/shop
    version: "1.0.0"
    replicas: 1
    port: 8000
    load_balancer: true
"""
    text = BASE + apps_section(report=False) + shop
    runner = Connection(fabric)
    role = runner.inventory().by_address["iam_role.lb-controller"].outputs["role_name"]
    iam = fabric.session.client("iam")
    policy = iam.get_role_policy(RoleName=role, PolicyName="weft-lb-controller")
    iam.delete_role_policy(RoleName=role, PolicyName="weft-lb-controller")
    try:
        result, _ = run(fabric, text, lb_timeout=20)
    finally:
        iam.put_role_policy(
            RoleName=role,
            PolicyName="weft-lb-controller",
            PolicyDocument=json.dumps(policy["PolicyDocument"]),
        )
    assert not result.ok
    outcome = {o.app: o for o in result.outcomes}["shop"]
    assert outcome.outcome == "deployed" and outcome.no_load_balancer
    problem = outcome.problems[-1]
    assert f"no load balancer for Service {FABRIC}/shop" in problem
    assert "FailedDeployModel" in problem and "AccessDenied" in problem
    assert "weft deploy again" in problem
    # with its policy back, the controller makes the load balancer, and the shop goes again
    again, runner = run(fabric, text, lb_timeout=60)
    assert again.ok, again.to_dict()
    assert lb_hostname(runner, "Service", "shop")
    assert run(fabric, BASE + apps_section())[0].ok


def test_the_kubeconfig_weft_writes_reaches_the_cluster_through_weft_token(
    fabric: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import sys

    from lightkube import Client
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.resources.core_v1 import Namespace

    path = tmp_path / "fabric.yaml"
    path.write_text(BASE + apps_section())
    kubeconfig = tmp_path / "kubeconfig"
    assert main(["kubeconfig", "-f", str(path), "--local", "--kubeconfig", str(kubeconfig)]) == 0
    text = kubeconfig.read_text()
    assert "token:" not in text and "k8s-aws-v1" not in text  # no credential in the file
    # kubectl (here lightkube) runs `weft token` for a fresh token on each connection
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    client = Client(KubeConfig.from_file(str(kubeconfig)))
    names = {ns.metadata.name for ns in client.list(Namespace)}  # type: ignore[union-attr]
    assert {"default", "kube-system"} <= names
