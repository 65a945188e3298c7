"""The paths a new user walks, walked as a user walks them: ``weft`` run as a separate process
(in a terminal where it asks questions), on the local cloud.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from weft.cli.main import EXIT_CODES, cli

from .helpers import CLUSTER_VERSION
from .user import WEFT, environment, in_terminal, weft

pytestmark = pytest.mark.integration


@pytest.fixture
def workdir(tmp_path: Path, clean_cloud: str) -> Path:
    return tmp_path


# --------------------------------------------------------------- the quick start and exit codes
def test_the_quick_start_in_the_help_runs_to_the_end(workdir: Path) -> None:
    """`weft --help`'s quick start, typed as it stands into a shell, answering y to the
    questions: every command runs (plan exits 0 when it made a plan, as terraform plan does)."""
    help_text = weft("--help", cwd=workdir).out
    lines = [line.strip() for line in help_text.splitlines()]
    start = lines.index("Quick start (offline, on the embedded local cloud):")
    init_line, chain = lines[start + 1], lines[start + 2]
    assert init_line.startswith("weft init ") and chain.startswith("weft plan && weft up")

    ran = in_terminal(f"{init_line} && {chain}", cwd=workdir)
    assert ran.code == 0, ran.out
    assert "Apply complete" in ran.out  # up ran after plan ...
    assert "Fabric demo" in ran.out  # ... then status ...
    assert "Nothing tagged with the fabric remains" in ran.out  # ... then down


def test_plan_exit_codes_follow_terraform(workdir: Path) -> None:
    (workdir / "fabric.yaml").write_text(
        "name: codes\nregion: us-east-2\nprovider: local\n"
        "network: {cidr: 10.30.0.0/16, zones: 2, nat: none, layout: public}\n"
    )
    assert weft("plan", cwd=workdir).code == 0
    assert weft("plan", "--detailed-exitcode", cwd=workdir).code == 2
    assert weft("up", "--yes", cwd=workdir).code == 0
    assert weft("plan", "--detailed-exitcode", cwd=workdir).code == 0
    (workdir / "fabric.yaml").write_text("name: codes\nregion: nowhere-9\n")
    assert weft("plan", "--detailed-exitcode", cwd=workdir).code == 1
    (workdir / "fabric.yaml").write_text(
        "name: codes\nregion: us-east-2\nprovider: local\n"
        "network: {cidr: 10.30.0.0/16, zones: 2, nat: none, layout: public}\n"
    )
    # a declined question stops a chain, as terraform apply's does
    ran = in_terminal("weft down && echo went-on", cwd=workdir, answer="n")
    assert ran.code == 1 and "Nothing done" in ran.out and "went-on" not in ran.out
    assert weft("down", "--yes", cwd=workdir).code == 0


def test_every_exit_code_is_in_the_help_and_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    help_text = cli.help or ""
    for code, meaning in EXIT_CODES:
        assert f"| {code} |" in readme, code
        assert f"  {code} " in help_text and meaning.split(":")[0] in help_text


# ------------------------------------------------------------------ tables at real widths
WIDTHS = (80, 120, 200)


def test_plan_and_status_fit_80_120_and_200_columns(workdir: Path) -> None:
    """No line wider than the terminal, and never without the plan's marker, its diff, or a
    resource's state: ids shorten, text wraps, and a narrow terminal gets a list."""
    fabric = workdir / "fabric.yaml"
    fabric.write_text(
        "name: widths\nregion: us-east-2\nprovider: local\n"
        "network: {cidr: 10.31.0.0/16, zones: 2, nat: single, layout: private}\n"
    )
    assert weft("up", "--yes", cwd=workdir).code == 0
    fabric.write_text(fabric.read_text().replace("nat: single", "nat: per-zone"))
    for columns in WIDTHS:
        plan = weft("plan", cwd=workdir, columns=columns)
        assert plan.code == 0, plan.both
        lines = plan.out.splitlines()
        assert all(len(line) <= columns for line in lines), (columns, plan.out)
        (update,) = (line for line in lines if "route_table.private-b" in line)
        (create,) = (line for line in lines if "nat_gateway.b " in f"{line} ")
        assert update.startswith("~ ") and create.startswith("+ "), (columns, plan.out)
        assert "routes:" in plan.out and "rtb-" in plan.out, (columns, plan.out)

        status = weft("status", cwd=workdir, columns=columns)
        assert status.code == 0, status.both
        lines = status.out.splitlines()
        assert all(len(line) <= columns for line in lines), (columns, status.out)
        for address, state in (
            ("vpc.main", "available"),
            ("subnet.private-a", "available"),
            ("nat_gateway.a", "available"),
        ):
            assert any(address in line and state in line for line in lines), (columns, status.out)
        assert "vpc-" in status.out
    assert weft("down", "--yes", cwd=workdir).code == 0


# ------------------------------------------------------- the local Kubernetes behind a cluster
CLUSTER_FABRIC = (
    "name: lk\nregion: us-east-2\nprovider: local\n"
    "network: {cidr: 10.41.0.0/16, zones: 2, nat: none, layout: public}\n"
    f'cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}\n'
    "nodegroups: [{name: general, instance_types: [m6i.large], min: 1, max: 2}]\n"
    "apps: [{name: web, image: registry.example.com/acme/web, version: '1.0.0', replicas: 1,"
    " port: 8080}]\n"
)


@pytest.fixture
def own_cloud(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a user whose local cloud is not running yet: a state directory of
    its own (stopped at the end)."""
    env = environment(120, WEFT_STATE_DIR=str(tmp_path / "state"))
    yield env
    weft("local", "down", cwd=tmp_path, env=env)


def test_provider_local_starts_the_local_kubernetes_for_a_cluster(
    tmp_path: Path, own_cloud: dict[str, str]
) -> None:
    """The quick start with a cluster: `weft up` then `weft deploy`, nothing else. The local
    cloud starts its Kubernetes (with progress), so deploy reaches the cluster."""
    from weft.local.kube import binaries

    reason = binaries.unavailable_reason()
    if reason:
        if os.environ.get("WEFT_REQUIRE_KUBE"):
            pytest.fail(f"local Kubernetes unavailable and WEFT_REQUIRE_KUBE is set: {reason}")
        pytest.skip(f"local Kubernetes unavailable: {reason}")
    (tmp_path / "fabric.yaml").write_text(CLUSTER_FABRIC)
    up = weft("up", "--yes", cwd=tmp_path, env=own_cloud)
    assert up.code == 0, up.both
    assert "Starting the local Kubernetes for the cluster" in up.out
    assert "Local Kubernetes v1." in up.out or "Local Kubernetes 1." in up.out, up.out
    deploy = weft("deploy", cwd=tmp_path, env=own_cloud)
    assert deploy.code == 0, deploy.both
    assert "Starting the local Kubernetes" not in deploy.out  # it runs: started once
    assert "web" in deploy.out
    down = weft("down", "--yes", cwd=tmp_path, env=own_cloud)
    assert down.code == 0, down.both


def test_where_the_local_kubernetes_cannot_run_weft_says_so_and_what_to_do(
    tmp_path: Path, own_cloud: dict[str, str]
) -> None:
    empty = tmp_path / "no-binaries"
    empty.mkdir()
    # no binaries at all (CI also names a version, which would change the reason given)
    env = {k: v for k, v in own_cloud.items() if k != "WEFT_K8S_VERSION"}
    env["WEFT_K8S_CACHE"] = str(empty)
    (tmp_path / "fabric.yaml").write_text(
        CLUSTER_FABRIC.replace(
            "nodegroups: [{name: general, instance_types: [m6i.large], min: 1, max: 2}]\n", ""
        )
    )
    plan = weft("plan", cwd=tmp_path, env=env)
    assert plan.code == 0, plan.both  # the AWS side works without it ...
    said = " ".join(plan.out.split())  # as wrapped to the terminal's width
    assert "The local Kubernetes cannot run here" in said
    assert "make kube" in said and "deploy, release, rollback, verify" in said
    assert weft("up", "--yes", cwd=tmp_path, env=env).code == 0
    deploy = weft("deploy", cwd=tmp_path, env=env)  # ... the apps do not
    assert deploy.code == 1
    refused = " ".join(deploy.err.split())
    assert "served by the local Kubernetes, which cannot run" in refused
    assert "make kube" in refused
    assert "Name or service not known" not in deploy.both and "api_cidrs" not in deploy.both


# ------------------------------------------------------------------------- the kubeconfig
def _plugin(kubeconfig: Path) -> dict[str, Any]:
    (user,) = YAML(typ="safe").load(kubeconfig.read_text())["users"]
    plugin: dict[str, Any] = user["user"]["exec"]
    return plugin


@pytest.mark.k8s
def test_the_local_kubeconfig_works_outside_the_virtualenv_and_its_state_directory(
    workdir: Path, kube_api: Any, local_state_dir: Path
) -> None:
    """kubectl in a shell that has neither weft's virtualenv on its PATH nor WEFT_STATE_DIR
    reaches the local cluster: the entry names this weft by its absolute path and carries the
    state directory."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    (workdir / "fabric.yaml").write_text(
        CLUSTER_FABRIC.split("nodegroups:")[0].replace("name: lk", "name: kc")
    )
    assert weft("up", "--yes", cwd=workdir).code == 0
    kc = workdir / "kc.yaml"
    assert weft("kubeconfig", "--kubeconfig", str(kc), cwd=workdir).code == 0
    plugin = _plugin(kc)
    assert plugin["command"] == WEFT and Path(WEFT).is_absolute()
    assert plugin["env"] == [{"name": "WEFT_STATE_DIR", "value": str(local_state_dir)}]

    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    shell = {"PATH": os.path.dirname(kubectl) + os.pathsep + "/bin", "HOME": str(elsewhere)}
    done = subprocess.run(
        [kubectl, "--kubeconfig", str(kc), "get", "namespaces", "-o", "name"],
        cwd=elsewhere,
        env=shell,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "namespace/kube-system" in done.stdout
    assert weft("down", "--yes", cwd=workdir).code == 0


def test_weft_token_never_starts_a_local_cloud(workdir: Path) -> None:
    """Run with a state directory where no local cloud runs, `weft token` says so (a token for
    a new, empty local cloud would only earn kubectl an Unauthorized) and starts nothing."""
    (workdir / "fabric.yaml").write_text(CLUSTER_FABRIC)
    empty = workdir / "other-state"
    ran = weft("token", "lk", "--local", cwd=workdir, env=environment(WEFT_STATE_DIR=str(empty)))
    assert ran.code == 1
    assert "the local cloud is not running" in ran.err and "weft local up" in ran.err
    for started in ("aws.json", "aws.log", "kube.json"):  # nothing was started
        assert not (empty / "local" / started).exists(), started


def test_the_aws_kubeconfig_is_safe_to_commit(workdir: Path, moto_url: str) -> None:
    """On AWS (here the local moto reached as AWS is, through AWS_ENDPOINT_URL) the entry runs
    weft from the PATH with the region, or `aws eks get-token` by option, and names no file or
    directory of this machine; the token command it names works from any directory."""
    from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

    aws = environment(
        AWS_ENDPOINT_URL=moto_url,
        AWS_ACCESS_KEY_ID=LOCAL_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=LOCAL_SECRET_KEY,
    )
    (workdir / "fabric.yaml").write_text(
        CLUSTER_FABRIC.split("nodegroups:")[0]
        .replace("name: lk", "name: team")
        .replace("provider: local\n", "")
    )
    assert weft("up", "--yes", cwd=workdir, env=aws).code == 0
    kc = workdir / "kc.yaml"
    for token_from, command, args in (
        ("weft", "weft", ["token", "team", "--region", "us-east-2"]),
        (
            "aws",
            "aws",
            [
                *("eks", "get-token", "--output", "json"),
                *("--cluster-name", "team", "--region", "us-east-2"),
            ],
        ),
    ):
        ran = weft(
            "kubeconfig", "--kubeconfig", str(kc), "--token-from", token_from, cwd=workdir, env=aws
        )
        assert ran.code == 0, ran.both
        plugin = _plugin(kc)
        assert (plugin["command"], plugin["args"], plugin.get("env")) == (command, args, None)
        assert str(workdir) not in json.dumps(plugin)

    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    token = weft("token", "team", "--region", "us-east-2", cwd=elsewhere, env=aws)
    assert token.code == 0, token.both
    credential = json.loads(token.out)
    assert credential["kind"] == "ExecCredential"
    assert credential["status"]["token"].startswith("k8s-aws-v1.")
    assert weft("down", "--yes", cwd=workdir, env=aws).code == 0


# -------------------------------------------------------------------------------- secrets
@pytest.mark.k8s
def test_secrets_before_up_and_removing_one_a_deployed_app_uses(
    workdir: Path, kube_api: Any
) -> None:
    (workdir / "fabric.yaml").write_text(
        CLUSTER_FABRIC.replace("name: lk", "name: sec").replace(
            "port: 8080}", "port: 8080, secrets: [api-key]}"
        )
    )
    # before up: the fabric is not up yet, and what to do; no raw KMS error
    for args, stdin in (
        (("secrets", "set", "api-key"), "v1\n"),
        (("secrets", "get", "api-key"), ""),
    ):
        ran = weft(*args, cwd=workdir, stdin=stdin)
        assert ran.code == 1, ran.both
        assert "fabric sec is not up yet" in ran.err and "weft up" in ran.err, ran.err
        assert "NotFoundException" not in ran.both and "may not be visible yet" not in ran.both

    assert weft("up", "--yes", cwd=workdir).code == 0
    assert weft("secrets", "set", "api-key", cwd=workdir, stdin="v1\n").code == 0
    assert weft("secrets", "set", "spare", cwd=workdir, stdin="v2\n").code == 0
    deploy = weft("deploy", cwd=workdir)
    assert deploy.code == 0, deploy.both

    # a secret a deployed app uses: refused without --force, and kept
    ran = weft("secrets", "rm", "api-key", "--yes", cwd=workdir)
    assert ran.code == 1, ran.both
    assert "used by web, deployed in the cluster" in ran.err and "--force" in ran.err
    assert weft("secrets", "get", "api-key", cwd=workdir).out == "v1\n"
    # one no app uses goes at once
    ran = weft("secrets", "rm", "spare", "--yes", cwd=workdir)
    assert ran.code == 0 and "Deleted spare" in ran.out, ran.both
    # with --force: a warning, then deleted
    ran = weft("secrets", "rm", "api-key", "--yes", "--force", cwd=workdir)
    assert ran.code == 0, ran.both
    assert "Warning: secret api-key is used by web" in ran.out and "Deleted api-key" in ran.out
    assert weft("down", "--yes", cwd=workdir).code == 0


# ------------------------------------------------------------------ adding a zone to a cluster
def test_adding_a_zone_keeps_the_cluster_and_moves_node_groups_first(workdir: Path) -> None:
    """zones 2 -> 3 on a fabric with a cluster and a node group (the issue's repro): the new
    zone's subnets are made, the cluster keeps the zones it was created in (EKS refuses
    control-plane subnets in others) and is not replaced, and the node group moves to the new
    subnets under a new name, made before the old one is deleted. And back to 2 zones."""
    fabric = workdir / "fabric.yaml"
    fabric.write_text(CLUSTER_FABRIC.split("apps:")[0].replace("name: lk", "name: zc"))
    assert weft("up", "--yes", cwd=workdir).code == 0
    before = json.loads(weft("status", "--json", cwd=workdir).out)
    fabric.write_text(fabric.read_text().replace("zones: 2", "zones: 3"))

    plan = weft("plan", "--json", cwd=workdir)
    assert plan.code == 0, plan.both
    changes = {c["address"]: c for c in json.loads(plan.out)["changes"]}
    assert changes["eks_cluster.main"]["action"] == "no-op", changes["eks_cluster.main"]
    assert changes["subnet.public-c"]["action"] == "create"
    group = changes["eks_nodegroup.general"]
    assert group["action"] == "replace" and group["delete_first"] is False, group
    others = [a for a, c in changes.items() if c["action"] in ("replace", "delete")]
    assert others == ["eks_nodegroup.general"], others

    up = weft("up", "--yes", cwd=workdir)
    assert up.code == 0, up.both
    after = json.loads(weft("status", "--json", cwd=workdir).out)

    def row(status: dict[str, Any], address: str) -> str:
        (found,) = (r for r in status["resources"] if r["address"] == address)
        return str(found["id"])

    assert row(after, "eks_cluster.main") == row(before, "eks_cluster.main")
    assert row(after, "eks_nodegroup.general") == row(before, "eks_nodegroup.general") + "-2"
    assert weft("plan", "--detailed-exitcode", cwd=workdir).code == 0  # settled

    fabric.write_text(fabric.read_text().replace("zones: 3", "zones: 2"))
    assert weft("up", "--yes", cwd=workdir).code == 0
    back = json.loads(weft("status", "--json", cwd=workdir).out)
    assert row(back, "eks_cluster.main") == row(before, "eks_cluster.main")
    assert row(back, "eks_nodegroup.general") == row(before, "eks_nodegroup.general")
    assert weft("plan", "--detailed-exitcode", cwd=workdir).code == 0
    assert weft("down", "--yes", cwd=workdir).code == 0


def test_replacing_a_database_needs_the_fabric_name_even_unprotected(workdir: Path) -> None:
    """A database whose db_name changes is replaced (RDS cannot rename it): the plan says so
    apart, in red, with the downtime, and `up --yes` alone refuses it on an unprotected fabric,
    touching nothing. (A cluster that loses a zone is no longer replaced: EKS moves its
    control plane to subnets of the zones it keeps, in place.)"""
    fabric = workdir / "fabric.yaml"
    fabric.write_text(
        "name: rc\nregion: us-east-2\nprovider: local\n"
        "network: {cidr: 10.42.0.0/16, zones: 2, nat: single, layout: private}\n"
        "databases: [{name: main, engine_version: '16.3', instance_class: db.t4g.medium,"
        " db_name: shop}]\n"
    )
    assert weft("up", "--yes", cwd=workdir).code == 0
    before = weft("status", "--json", cwd=workdir).out
    fabric.write_text(fabric.read_text().replace("db_name: shop", "db_name: store"))
    plan = weft("plan", cwd=workdir)
    assert plan.code == 0, plan.both
    out = " ".join(plan.out.split())
    assert "Destructive changes (1)" in out and "replaced: its data goes" in out
    assert "needs --confirm rc" in out
    up = weft("up", "--yes", cwd=workdir)
    assert up.code == 1, up.both
    assert "--yes alone never replaces" in up.err and "--confirm rc" in up.err
    fabric.write_text(fabric.read_text().replace("db_name: store", "db_name: shop"))
    assert weft("status", "--json", cwd=workdir).out == before  # nothing was touched
    assert weft("down", "--yes", cwd=workdir).code == 0
