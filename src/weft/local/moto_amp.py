"""The local cloud's Amazon Managed Service for Prometheus: AWS managed collectors (scrapers),
which moto 5.2.5 lacks, and workspaces as AWS answers for them.

Modelled on the AMP API reference (botocore's ``amp`` model: the same paths, request and
response shapes and error codes) and "Using an AWS managed collector" (Amazon Managed Service
for Prometheus User Guide,
https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html).

Workspaces (moto answers ``ACTIVE`` at once, ignores ``kmsKeyArn``, deletes what does not
exist):

- ``CreateWorkspace`` answers ``202`` with status ``CREATING`` (the latency model delays the
  answer by the provisioning time; a describe then finds it ``ACTIVE``); a ``kmsKeyArn`` must
  name a key of this account and region (``ValidationException``), and is reported back.
- ``DeleteWorkspace`` of a workspace that does not exist is ``ResourceNotFoundException``.

Scrapers (``CreateScraper``, ``DescribeScraper``, ``ListScrapers`` with its filters,
``UpdateScraper``, ``DeleteScraper``; their tags through moto's ``TagResource``), with the
refusals the guide names:

- the source must be an ``eksConfiguration``: the cluster must exist in this account and region
  and be ``ACTIVE``, with its endpoint's private access on ("Your Amazon EKS cluster must have
  cluster endpoint access control set to include private access"); its subnets (at least two,
  "in at least two availability zones") and security groups must exist, in the cluster's VPC
  ("Required AWS resources don't exist. The security group, subnets, and Amazon EKS cluster
  specified must exist"): ``ValidationException``;
- the destination workspace must exist and be ``ACTIVE`` (``ResourceNotFoundException``);
- the configuration must be a base64-encoded Prometheus configuration within what a managed
  collector takes ("Scraper configuration"): ``scrape_configs``, no scrape interval under 30
  seconds, only ``kubernetes_sd_configs`` and ``static_configs`` discovery, and a Bearer
  authorization only from the service account token file (``ValidationException``).

A new scraper answers ``202`` ``CREATING`` and is ``ACTIVE`` next; it has a service-linked role
(``AWSServiceRoleForAmazonPrometheusScraper_…``) and, on a cluster whose authentication mode is
``API`` or ``API_AND_CONFIG_MAP``, AMP gives that role an access entry in the cluster ("Configure
Amazon EKS for scraper access with access entries"); deleting the scraper removes it. An update
answers ``UPDATING`` (``ConflictException`` unless the scraper is ``ACTIVE``); a delete
answers ``DELETING``, and the scraper is gone.

Everything lives on moto's AMP backend object (``weft_scrapers``), so it goes with a reset.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from weft.local.moto_eks import access

#: what a managed collector's configuration may hold ("Scraper configuration")
MIN_INTERVAL_SECONDS = 30
TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
ALLOWED_DISCOVERY = frozenset({"kubernetes_sd_configs", "static_configs"})
_DURATION = re.compile(r"(\d+)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
_CLUSTER_ARN = re.compile(r"arn:aws[-a-z]*:eks:([-a-z0-9]+):(\d{12}):cluster/(.+)")
_WORKSPACE_ARN = re.compile(r"arn:aws[-a-z]*:aps:([-a-z0-9]+):(\d{12}):workspace/(.+)")
_KEY_ARN = re.compile(r"arn:aws[-a-z]*:kms:([-a-z0-9]+):(\d{12}):key/([-a-f0-9]+)")
SLR_PREFIX = "AWSServiceRoleForAmazonPrometheusScraper_"
SLR_PATH = "aws-service-role/scraper.aps.amazonaws.com/"
FILTER_KEYS = ("status", "sourceArn", "destinationArn", "alias")


def _seconds(value: Any) -> float | None:
    """A Prometheus duration (``30s``, ``1m30s``) in seconds; None when it is not one."""
    text = str(value)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(int(n) * _UNITS[u] for n, u in parts)


def configuration_problem(blob: Any) -> str | None:
    """Why a managed collector refuses ``blob`` (the base64 text of ``configurationBlob``)."""
    from ruamel.yaml import YAML

    try:
        text = base64.b64decode(str(blob or ""), validate=True).decode()
        config = YAML(typ="safe").load(text)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        return f"The scrape configuration is not a base64-encoded YAML document: {exc}"
    except Exception as exc:  # ruamel's parser errors
        return f"The scrape configuration is not valid YAML: {exc}"
    if not isinstance(config, dict) or not isinstance(config.get("scrape_configs"), list):
        return "The scrape configuration must have a scrape_configs list"
    intervals = [(config.get("global") or {}).get("scrape_interval")]
    for job in config["scrape_configs"]:
        if not isinstance(job, dict) or not job.get("job_name"):
            return "Each scrape config must be a mapping with a job_name"
        intervals.append(job.get("scrape_interval"))
        for key in job:
            if key.endswith("_sd_configs") and key not in ALLOWED_DISCOVERY:
                return (
                    f"Job {job['job_name']}: {key} is not supported; the only service discovery "
                    "supported is kubernetes_sd_configs"
                )
        auth = job.get("authorization")
        if auth is not None and (
            not isinstance(auth, dict)
            or auth.get("type", "Bearer") != "Bearer"
            or auth.get("credentials_file") != TOKEN_FILE
        ):
            return (
                f"Job {job['job_name']}: the authorization must be of type Bearer with "
                f"credentials_file {TOKEN_FILE}"
            )
    for interval in intervals:
        if interval is None:
            continue
        seconds = _seconds(interval)
        if seconds is None:
            return f"{interval} is not a valid scrape interval"
        if seconds < MIN_INTERVAL_SECONDS:
            return (
                f"The scrape interval {interval} is less than the minimum of "
                f"{MIN_INTERVAL_SECONDS}s"
            )
    return None


def source_problem(
    cluster: Any,
    cluster_arn: str,
    subnets: Mapping[str, tuple[str, str] | None],
    groups: Mapping[str, str | None],
) -> str | None:
    """Why a managed collector refuses to scrape ``cluster`` (moto's cluster, None when there is
    none) from ``subnets`` (id → (VPC, zone), None when missing) with ``groups`` (id → VPC)."""
    if cluster is None:
        return f"The Amazon EKS cluster {cluster_arn} does not exist"
    if cluster.status != "ACTIVE":
        return f"The Amazon EKS cluster {cluster.name} is not ACTIVE (it is {cluster.status})"
    config = cluster.resources_vpc_config or {}
    if not config.get("endpointPrivateAccess"):
        return (
            f"The Amazon EKS cluster {cluster.name} must have its endpoint's private access enabled"
        )
    vpc = config.get("vpcId")
    if not subnets:
        return "At least two subnets are required"
    for subnet, found in subnets.items():
        if found is None:
            return f"The subnet {subnet} does not exist"
        if found[0] != vpc:
            return f"The subnet {subnet} is not in the VPC {vpc} of cluster {cluster.name}"
    if len({zone for _vpc, zone in (v for v in subnets.values() if v)}) < 2:
        return "The subnets must be in at least two availability zones"
    for group, group_vpc in groups.items():
        if group_vpc is None:
            return f"The security group {group} does not exist"
        if group_vpc != vpc:
            return f"The security group {group} is not in the VPC {vpc} of cluster {cluster.name}"
    return None


def matches(scraper: Mapping[str, Any], filters: Mapping[str, Iterable[str]]) -> bool:
    """ListScrapers' filters: values of one key OR'd, keys AND'd."""
    values = {
        "status": scraper["status"]["statusCode"],
        "sourceArn": scraper["source"]["eksConfiguration"]["clusterArn"],
        "destinationArn": scraper["destination"]["ampConfiguration"]["workspaceArn"],
        "alias": scraper.get("alias"),
    }
    return all(values.get(key) in set(wanted) for key, wanted in filters.items())


def _errors() -> Any:
    from moto.amp.exceptions import AmpException, ResourceNotFoundException

    class ValidationException(AmpException):
        code = 400

        def __init__(self, message: str) -> None:
            super().__init__("ValidationException", message)

    class ConflictException(AmpException):
        code = 409

        def __init__(self, message: str) -> None:
            super().__init__("ConflictException", message)

    class NotFound(ResourceNotFoundException):
        code = 404

    return ValidationException, ConflictException, NotFound


def apply() -> None:
    from moto.amp import urls
    from moto.amp.models import PrometheusServiceBackend
    from moto.amp.responses import PrometheusServiceResponse
    from moto.core.utils import unix_time
    from moto.ec2.models import ec2_backends
    from moto.eks.models import eks_backends
    from moto.kms.models import kms_backends

    validation, conflict, not_found = _errors()
    dispatch = PrometheusServiceResponse.dispatch
    for path in ("{0}/scrapers$", "{0}/scrapers/(?P<scraper_id>[^/]+)$"):
        urls.url_paths.setdefault(path, dispatch)

    def scrapers_of(backend: Any) -> dict[str, dict[str, Any]]:
        if not hasattr(backend, "weft_scrapers"):
            backend.weft_scrapers = {}
        found: dict[str, dict[str, Any]] = backend.weft_scrapers
        return found

    def public(backend: Any, scraper: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in scraper.items() if not k.startswith("_")}
        return {**out, "tags": backend.list_tags_for_resource(scraper["arn"])}

    def find(self: Any) -> dict[str, Any]:
        scraper_id = self.path.rstrip("/").split("/")[-1]
        scraper = scrapers_of(self.amp_backend).get(scraper_id)
        if scraper is None:
            raise not_found(f"Scraper {scraper_id} not found", scraper_id, "AWS::APS::Scraper")
        return scraper

    def workspace(self: Any, arn: str) -> Any:
        match = _WORKSPACE_ARN.fullmatch(arn or "")
        backend = self.amp_backend
        found = None
        if match and (match.group(1), match.group(2)) == (backend.region_name, backend.account_id):
            found = backend.workspaces.get(match.group(3))
        if found is None or found.status.get("statusCode") != "ACTIVE":
            raise not_found(f"Workspace {arn} not found", arn, "AWS::APS::Workspace")
        return found

    def eks_cluster(self: Any, arn: str) -> Any:
        match = _CLUSTER_ARN.fullmatch(arn or "")
        backend = self.amp_backend
        if not match or (match.group(1), match.group(2)) != (
            backend.region_name,
            backend.account_id,
        ):
            return None
        return eks_backends[backend.account_id][backend.region_name].clusters.get(match.group(3))

    def network(self: Any, subnet_ids: list[str], group_ids: list[str]) -> tuple[Any, Any]:
        ec2 = ec2_backends[self.amp_backend.account_id][self.amp_backend.region_name]
        subnets: dict[str, tuple[str, str] | None] = {}
        for subnet_id in subnet_ids:
            try:
                subnet = ec2.get_subnet(subnet_id)
                subnets[subnet_id] = (subnet.vpc_id, subnet.availability_zone)
            except Exception:  # moto's InvalidSubnetIdError
                subnets[subnet_id] = None
        groups: dict[str, str | None] = {}
        for group_id in group_ids:
            group = ec2.get_security_group_from_id(group_id)
            groups[group_id] = None if group is None else group.vpc_id
        return subnets, groups

    def create_scraper(self: Any) -> Any:
        params = json.loads(self.body or "{}")
        backend = self.amp_backend
        eks = (params.get("source") or {}).get("eksConfiguration")
        if not eks:
            raise validation("The source must be an eksConfiguration")
        arn = str(eks.get("clusterArn") or "")
        subnets, groups = network(
            self, list(eks.get("subnetIds") or []), list(eks.get("securityGroupIds") or [])
        )
        cluster = eks_cluster(self, arn)
        problem = source_problem(cluster, arn, subnets, groups)
        if problem:
            raise validation(problem)
        destination = (params.get("destination") or {}).get("ampConfiguration") or {}
        workspace(self, str(destination.get("workspaceArn") or ""))
        blob = (params.get("scrapeConfiguration") or {}).get("configurationBlob")
        problem = configuration_problem(blob)
        if problem:
            raise validation(problem)
        scraper_id = f"s-{uuid.uuid4()}"
        suffix = f"{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:4]}-{uuid.uuid4().hex[:1]}"
        role_name = f"{SLR_PREFIX}{suffix}"
        account = backend.account_id
        now = unix_time()
        scraper: dict[str, Any] = {
            "scraperId": scraper_id,
            "arn": f"arn:aws:aps:{backend.region_name}:{account}:scraper/{scraper_id}",
            "roleArn": f"arn:aws:iam::{account}:role/{SLR_PATH}{role_name}",
            "status": {"statusCode": "ACTIVE"},
            "createdAt": now,
            "lastModifiedAt": now,
            "scrapeConfiguration": {"configurationBlob": blob},
            "source": {
                "eksConfiguration": {
                    "clusterArn": arn,
                    "subnetIds": list(eks.get("subnetIds") or []),
                    "securityGroupIds": list(eks.get("securityGroupIds") or []),
                }
            },
            "destination": {"ampConfiguration": {"workspaceArn": destination["workspaceArn"]}},
            # the role as EKS names it (no path): its access entry's principal
            "_principal": f"arn:aws:iam::{account}:role/{role_name}",
        }
        if params.get("alias"):
            scraper["alias"] = params["alias"]
        scrapers_of(backend)[scraper_id] = scraper
        backend.tag_resource(scraper["arn"], params.get("tags") or {})
        if access.access_config(cluster)["authenticationMode"] in access.API_MODES:
            entries = access.entries_of(cluster)
            eks_backend = eks_backends[account][backend.region_name]
            entries[scraper["_principal"]] = access.new_entry(
                eks_backend, cluster, scraper["_principal"]
            )
        answer = {
            "scraperId": scraper_id,
            "arn": scraper["arn"],
            "status": {"statusCode": "CREATING"},
            "tags": backend.list_tags_for_resource(scraper["arn"]),
        }
        return 202, {}, json.dumps(answer)

    def describe_scraper(self: Any) -> Any:
        return json.dumps({"scraper": public(self.amp_backend, find(self))})

    def list_scrapers(self: Any) -> Any:
        filters: dict[str, list[str]] = {}
        for key in FILTER_KEYS:
            values = self.querystring.get(key)
            if values:
                filters[key] = list(values)
        found = [
            public(self.amp_backend, s)
            for s in scrapers_of(self.amp_backend).values()
            if matches(s, filters)
        ]
        for item in found:
            item.pop("scrapeConfiguration", None)  # a ScraperSummary has none
        return json.dumps({"scrapers": found})

    def update_scraper(self: Any) -> Any:
        scraper = find(self)
        if scraper["status"]["statusCode"] != "ACTIVE":
            raise conflict(
                f"Scraper {scraper['scraperId']} is {scraper['status']['statusCode']}; "
                "only an ACTIVE scraper can be updated"
            )
        params = json.loads(self.body or "{}")
        if "scrapeConfiguration" in params:
            blob = (params.get("scrapeConfiguration") or {}).get("configurationBlob")
            problem = configuration_problem(blob)
            if problem:
                raise validation(problem)
            scraper["scrapeConfiguration"] = {"configurationBlob": blob}
        destination = (params.get("destination") or {}).get("ampConfiguration")
        if destination is not None:
            workspace(self, str(destination.get("workspaceArn") or ""))
            scraper["destination"] = {
                "ampConfiguration": {"workspaceArn": destination["workspaceArn"]}
            }
        if params.get("alias"):
            scraper["alias"] = params["alias"]
        scraper["lastModifiedAt"] = unix_time()
        answer = {
            "scraperId": scraper["scraperId"],
            "arn": scraper["arn"],
            "status": {"statusCode": "UPDATING"},
            "tags": self.amp_backend.list_tags_for_resource(scraper["arn"]),
        }
        return 202, {}, json.dumps(answer)

    def delete_scraper(self: Any) -> Any:
        scraper = find(self)
        backend = self.amp_backend
        del scrapers_of(backend)[scraper["scraperId"]]
        cluster = eks_cluster(self, scraper["source"]["eksConfiguration"]["clusterArn"])
        if cluster is not None:
            access.entries_of(cluster).pop(scraper["_principal"], None)
        backend.untag_resource(scraper["arn"], list(backend.list_tags_for_resource(scraper["arn"])))
        answer = {"scraperId": scraper["scraperId"], "status": {"statusCode": "DELETING"}}
        return 202, {}, json.dumps(answer)

    create_workspace_as_moto = PrometheusServiceResponse.create_workspace
    describe_workspace_as_moto = PrometheusServiceResponse.describe_workspace
    list_workspaces_as_moto = PrometheusServiceResponse.list_workspaces

    def key_exists(backend: Any, arn: str) -> bool:
        match = _KEY_ARN.fullmatch(arn or "")
        if not match or (match.group(1), match.group(2)) != (
            backend.region_name,
            backend.account_id,
        ):
            return False
        return match.group(3) in kms_backends[backend.account_id][backend.region_name].keys

    def create_workspace(self: Any) -> Any:
        params = json.loads(self.body or "{}")
        key = params.get("kmsKeyArn")
        if key is not None and not key_exists(self.amp_backend, str(key)):
            raise validation(f"The KMS key {key} does not exist or is not accessible")
        answer = json.loads(create_workspace_as_moto(self))
        if key is not None:
            self.amp_backend.workspaces[answer["workspaceId"]].weft_kms_key_arn = key
            answer["kmsKeyArn"] = key
        answer["status"] = {"statusCode": "CREATING"}
        return 202, {}, json.dumps(answer)

    def with_key(backend: Any, item: dict[str, Any]) -> dict[str, Any]:
        found = backend.workspaces.get(item.get("workspaceId"))
        key = getattr(found, "weft_kms_key_arn", None)
        return {**item, "kmsKeyArn": key} if key else item

    def describe_workspace(self: Any) -> Any:
        answer = json.loads(describe_workspace_as_moto(self))
        answer["workspace"] = with_key(self.amp_backend, answer["workspace"])
        return json.dumps(answer)

    def list_workspaces(self: Any) -> Any:
        answer = json.loads(list_workspaces_as_moto(self))
        answer["workspaces"] = [with_key(self.amp_backend, w) for w in answer["workspaces"]]
        return json.dumps(answer)

    delete_workspace_as_moto = PrometheusServiceBackend.delete_workspace

    def delete_workspace(self: Any, workspace_id: str) -> None:
        if workspace_id not in self.workspaces:
            raise not_found("Workspace not found", workspace_id, "AWS::APS::Workspace")
        delete_workspace_as_moto(self, workspace_id)

    PrometheusServiceResponse.create_scraper = create_scraper  # type: ignore[attr-defined]
    PrometheusServiceResponse.describe_scraper = describe_scraper  # type: ignore[attr-defined]
    PrometheusServiceResponse.list_scrapers = list_scrapers  # type: ignore[attr-defined]
    PrometheusServiceResponse.update_scraper = update_scraper  # type: ignore[attr-defined]
    PrometheusServiceResponse.delete_scraper = delete_scraper  # type: ignore[attr-defined]
    PrometheusServiceResponse.create_workspace = create_workspace  # type: ignore[method-assign]
    PrometheusServiceResponse.describe_workspace = describe_workspace  # type: ignore[method-assign]
    PrometheusServiceResponse.list_workspaces = list_workspaces  # type: ignore[method-assign]
    PrometheusServiceBackend.delete_workspace = delete_workspace  # type: ignore[method-assign]
