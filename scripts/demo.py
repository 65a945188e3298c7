"""The whole fabric lifecycle on the embedded local cloud, offline, through the real CLI.

init → validate → plan → up → plan (no changes) → status → secrets → kubeconfig → deploy (the
AWS Load Balancer Controller, then the apps; web served by an ALB it made, HTTPS on TLS 1.3) →
web's pod writes its bucket through its own IAM role (and is denied the fabric bucket) →
upgrade (the cluster starts one Kubernetes version before the newest in standard support; the
apps keep serving) → release → a failing release rolled back → history → rollback → logs →
verify → down → independent check that nothing tagged with the fabric remains. Every step runs the
`weft` command a user would run; the check at the end reads the cloud directly with boto3.
Prints a summary with timings.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from ruamel.yaml import YAML

from weft.local.moto_irsa import projected_token

FABRIC = "demo"
REGION = "us-east-2"


def _start_version() -> str:
    """The Kubernetes version the demo's cluster starts on: the one before the newest in EKS
    standard support on the local cloud's calendar (taken from it, never written out), so that
    the plan warns about its support and ``weft upgrade`` moves the cluster to the newest."""
    from weft.local.moto_eks import versions

    today = versions.today()
    newest = versions.default_version(today)
    offered = [r.version for r in versions.CALENDAR if r.status(today) != "UNSUPPORTED"]
    if newest is None:
        raise SystemExit("the local EKS calendar has no version in standard support")
    before = f"1.{int(newest.split('.')[1]) - 1}"
    return before if before in offered else newest


#: What a user adds to the file `weft init` wrote: the rest of a production fabric.
FULL_FABRIC = f"""
cluster:
  version: "{_start_version()}"
  endpoint: both
  api_cidrs: ["203.0.113.0/24"]

nodegroups:
  - name: general
    instance_types: [m6i.large]
    min: 2
    max: 5
    desired: 3
  - name: graviton
    instance_types: [m7g.large, c7g.large]
    min: 1
    max: 3

databases:
  - name: main
    engine_version: "16.3"
    instance_class: db.t4g.medium

caches:
  - name: sessions
    engine_version: "7.1"
    node_type: cache.t4g.small

buckets:
  - name: uploads

dns:
  domain: demo.example.com

apps:
  - name: web
    image: registry.example.com/acme/web
    version: "1.0.0"
    replicas: 3
    port: 8080
    secrets: [api-key]
    uses: [main, sessions, uploads]
    health: {{path: /healthz}}
    ingress: {{host: www.demo.example.com}}

cronjobs:
  - name: nightly-report
    schedule: "0 3 * * *"
    image: registry.example.com/acme/jobs
    version: "1.0.0"
    command: [report]
    uses: [main]
"""
WEFT = shutil.which("weft", path=str(Path(sys.executable).parent)) or "weft"


class DemoFailed(Exception):
    pass


def run(
    step: str,
    args: list[str],
    expect: int,
    timings: list[tuple[str, float]],
    cwd: Path,
    capture: bool = False,
) -> str:
    print(f"\n\033[1m$ weft {' '.join(args)}\033[0m", flush=True)
    start = time.monotonic()
    proc = subprocess.run([WEFT, *args], cwd=cwd, text=True, capture_output=capture, check=False)
    elapsed = time.monotonic() - start
    timings.append((step, elapsed))
    if capture:
        sys.stderr.write(proc.stderr)
    if proc.returncode != expect:
        if capture:
            print(proc.stdout)
        raise DemoFailed(f"`weft {' '.join(args)}` exited {proc.returncode}, expected {expect}")
    return proc.stdout if capture else ""


def tagged_leftovers(endpoint: str) -> list[str]:
    session = boto3.Session(
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
        region_name=REGION,
    )
    tagging = session.client("resourcegroupstaggingapi", endpoint_url=endpoint)
    ec2 = session.client("ec2", endpoint_url=endpoint)
    kms = session.client("kms", endpoint_url=endpoint)
    found = []
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "weft:fabric", "Values": [FABRIC]}]
    ):
        for item in page["ResourceTagMappingList"]:
            arn = item["ResourceARN"]
            tags = {t["Key"] for t in item.get("Tags", [])}
            if (
                ":kms:" in arn
                and kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
            ):
                continue  # scheduled for deletion: the shortest window AWS allows is 7 days
            if ":kms:" in arn and "weft:retained" in tags:
                continue  # kept: the final snapshots are encrypted with it
            if ":rds:" in arn and ":snapshot:" in arn:
                continue  # the database's final snapshot: kept by design
            if ":natgateway/" in arn:
                nat_id = arn.rsplit("/", 1)[1]
                states = {
                    n["State"]
                    for n in ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
                }
                if states <= {"deleted"}:
                    continue
            found.append(arn)
    for address in ec2.describe_addresses(
        Filters=[{"Name": "tag:weft:fabric", "Values": [FABRIC]}]
    )["Addresses"]:
        found.append(address["AllocationId"])
    return found


def served_through_the_controller(endpoint: str) -> None:
    """web's Ingress is served by the AWS Load Balancer Controller weft installed: an ALB of
    the cluster, with an HTTPS listener on TLS 1.3/1.2 and HTTP redirected to it."""
    elbv2 = boto3.client(
        "elbv2",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )
    albs = [
        lb for lb in elbv2.describe_load_balancers()["LoadBalancers"] if lb["Type"] == "application"
    ]
    tags = (
        elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"] for lb in albs])["TagDescriptions"]
        if albs
        else []
    )
    ours = [
        t["ResourceArn"]
        for t in tags
        if {"Key": "elbv2.k8s.aws/cluster", "Value": FABRIC} in t["Tags"]
    ]
    if len(ours) != 1:
        raise DemoFailed(
            f"expected one ALB of the controller for cluster {FABRIC}, found {len(ours)}"
        )
    listeners = {
        li["Port"]: li for li in elbv2.describe_listeners(LoadBalancerArn=ours[0])["Listeners"]
    }
    https = listeners.get(443) or {}
    if https.get("SslPolicy") != "ELBSecurityPolicy-TLS13-1-2-2021-06" or not https.get(
        "Certificates"
    ):
        raise DemoFailed(f"web's ALB has no HTTPS listener with the TLS 1.3 policy: {listeners}")
    if (listeners.get(80) or {}).get("DefaultActions", [{}])[0].get("Type") != "redirect":
        raise DemoFailed("web's ALB does not redirect HTTP to HTTPS")
    print(
        f"web is served through the AWS Load Balancer Controller: {ours[0].rsplit('/', 2)[-2]}, "
        "HTTPS (TLS 1.3/1.2), HTTP redirected"
    )


def pod_writes_its_bucket(endpoint: str, work: Path, timings: list[tuple[str, float]]) -> None:
    """web's pod, as on EKS: the role its ServiceAccount names (from ``weft render``), a
    projected token, AssumeRoleWithWebIdentity, then a write to its bucket, which the local
    cloud's IAM policy evaluation allows; a write to the fabric bucket it denies."""
    objects = json.loads(run("render", ["render", "web", "--json"], 0, timings, work, True))
    objects = objects["objects"]
    account = next(o for o in objects if o["kind"] == "ServiceAccount")
    pod = next(o for o in objects if o["kind"] == "Deployment")["spec"]["template"]["spec"]
    if pod.get("serviceAccountName") != account["metadata"]["name"]:
        raise DemoFailed("web's pods do not run as its ServiceAccount")
    role_arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    token = projected_token(
        endpoint,
        cluster=FABRIC,
        region=REGION,
        namespace=FABRIC,
        service_account=account["metadata"]["name"],
    )
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION)
    creds = sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=token
    )["Credentials"]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    admin = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )
    names = [b["Name"] for b in admin.list_buckets()["Buckets"]]
    (uploads,) = [n for n in names if n.startswith(f"weft-{FABRIC}-uploads-")]
    (own,) = [n for n in names if n.startswith(f"weft-{FABRIC}-") and n.endswith(REGION)]
    s3.put_object(Bucket=uploads, Key="hello.txt", Body=b"written by web's pod")
    denied = False
    try:
        s3.put_object(Bucket=own, Key="hello.txt", Body=b"x")
    except s3.exceptions.ClientError as exc:
        denied = exc.response["Error"]["Code"] == "AccessDenied"
    # the bucket is versioned: remove every version, so that down need not delete data
    listed = admin.list_object_versions(Bucket=uploads)
    for version in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]:
        admin.delete_object(Bucket=uploads, Key=version["Key"], VersionId=version["VersionId"])
    if not denied:
        raise DemoFailed(f"web's role could write to the fabric bucket {own}")
    print(
        f"web's pod assumed {role_arn} with its projected token, wrote to {uploads}, "
        f"and was denied the fabric bucket {own}"
    )


def upgrade_once(work: Path, timings: list[tuple[str, float]]) -> None:
    """``weft upgrade`` to the next Kubernetes version, when the local cloud's EKS calendar
    offers one: control plane, add-ons, node groups, the file rewritten."""
    from weft.local.moto_eks import versions

    fabric_file = work / "fabric.yaml"
    current = str(YAML(typ="safe").load(fabric_file.read_text())["cluster"]["version"])
    following = f"1.{int(current.split('.')[1]) + 1}"
    offered = {r.version for r in versions.CALENDAR if r.status(versions.today()) != "UNSUPPORTED"}
    if following not in offered:
        print(f"no upgrade: the local EKS calendar offers no version after {current}")
        return
    run(f"upgrade to {following}", ["upgrade", "--yes"], 0, timings, work)
    if f'"{following}"' not in fabric_file.read_text():
        raise DemoFailed(f"weft upgrade did not write {following} into fabric.yaml")
    run("plan (no changes)", ["plan", "--detailed-exitcode"], 0, timings, work)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="weft-demo-"))
    os.environ["WEFT_STATE_DIR"] = str(work / "state")
    timings: list[tuple[str, float]] = []
    total_start = time.monotonic()
    noop_requests = None
    try:
        out = run("local cloud up", ["local", "up", "--json"], 0, timings, work, capture=True)
        local_cloud = json.loads(out)
        endpoint = local_cloud["aws_endpoint"]
        # Without the local Kubernetes (its one-time build impossible here), the apps cannot
        # run: say why and go on with the rest of the lifecycle.
        kube_missing = local_cloud.get("kube_unavailable")
        if kube_missing:
            print(f"\n\033[33mno local Kubernetes\033[0m ({kube_missing}): skipping the app steps")
        else:
            print(
                f"\nlocal Kubernetes {local_cloud['kube_version']} "
                f"({local_cloud['kube_origin']}), cold start "
                f"{local_cloud['kube_cold_start_seconds']:.1f}s"
            )
        run(
            "init",
            [
                "init",
                FABRIC,
                "--region",
                REGION,
                "--zones",
                "3",
                "--layout",
                "private",
                "--nat",
                "single",
                "--local",
            ],
            0,
            timings,
            work,
        )
        fabric_file = work / "fabric.yaml"
        fabric_file.write_text(fabric_file.read_text() + FULL_FABRIC)
        print(f"added to fabric.yaml:{FULL_FABRIC}")
        run("validate", ["validate"], 0, timings, work)
        run("plan", ["plan"], 0, timings, work)
        # the new zone answers nothing until its domain is delegated: up does all the rest and
        # reports the certificate as waiting; delegated (as a registrar would), up finishes it
        run("up", ["up", "--yes"], 0, timings, work)
        run("delegate", ["local", "delegate", "demo.example.com"], 0, timings, work)
        run("up (the certificate)", ["up", "--yes"], 0, timings, work)
        out = run(
            "plan (no changes)",
            ["plan", "--json", "--detailed-exitcode"],
            0,
            timings,
            work,
            capture=True,
        )
        plan = json.loads(out)
        noop_requests = plan["meta"]["requests"]
        print(
            f"no changes; {noop_requests['total']} AWS requests, {noop_requests['writes']} writes"
        )
        run("status", ["status"], 0, timings, work)
        secret = subprocess.run(
            [WEFT, "secrets", "set", "api-key"],
            input="demo-secret-value\n",
            cwd=work,
            text=True,
            capture_output=True,
            check=False,
        )
        if secret.returncode != 0:
            raise DemoFailed(f"weft secrets set failed: {secret.stderr}")
        run("secrets list", ["secrets", "list"], 0, timings, work)
        kubeconfig = work / "kubeconfig"
        run("kubeconfig", ["kubeconfig", "--kubeconfig", str(kubeconfig)], 0, timings, work)
        print(kubeconfig.read_text())
        if not kube_missing:
            run("deploy", ["deploy"], 0, timings, work)
            served_through_the_controller(endpoint)
            pod_writes_its_bucket(endpoint, work, timings)
            upgrade_once(work, timings)
            run("release v1.1.0", ["release", "web", "1.1.0"], 0, timings, work)
            # the local kubelet cannot pull an image whose tag says "fail": weft rolls it back
            run("release failing", ["release", "web", "1.2.0-fail"], 1, timings, work)
            run("history", ["history", "web"], 0, timings, work)
            run("rollback", ["rollback", "web"], 0, timings, work)
            # what the pods printed, through the API server's pods/log
            run("logs", ["logs", "web", "--since", "1h"], 0, timings, work)
            run("verify", ["verify"], 0, timings, work)
        run("down", ["down", "--yes"], 0, timings, work)
        out = run("leftovers", ["leftovers", "--json"], 0, timings, work, capture=True)
        report = json.loads(out.splitlines()[-1])
        kept = [item for item in report["leftovers"] if item["intended"]]
        print(
            f"leftover report: {report['unintended']} unintended, {len(kept)} kept by design"
            + "".join(f"\n  kept: {item['kind']} {item['id']} ({item['why']})" for item in kept)
        )
        if report["unintended"]:
            raise DemoFailed(f"weft leftovers found: {report['leftovers']}")
        left = tagged_leftovers(endpoint)
        if left:
            raise DemoFailed(f"left behind after down: {left}")
        print(
            "\nindependent check: nothing tagged weft:fabric=demo remains "
            "(tagging API, EC2 addresses)"
        )
    except DemoFailed as exc:
        print(f"\n\033[31mdemo failed:\033[0m {exc}")
        return 1
    finally:
        subprocess.run([WEFT, "local", "down"], cwd=work, capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)
    total = time.monotonic() - total_start
    print("\n\033[1mdemo summary\033[0m")
    for step, seconds in timings:
        print(f"  {step:<20} {seconds:6.2f}s")
    print(f"  {'total':<20} {total:6.2f}s")
    if noop_requests:
        print(
            f"  no-op plan: {noop_requests['total']} AWS requests "
            f"({noop_requests['reads']} reads, {noop_requests['writes']} writes)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
