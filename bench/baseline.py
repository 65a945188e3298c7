"""The naive baseline: the fabric's resources created one after another with plain boto3.

This is the script a developer would write by hand: walk the resources in dependency order and,
for each, make the create call (tags at creation), the follow-up calls it needs (attach, modify an
attribute, add a route, associate a subnet, attach a policy, write a DNS record) and, where the
next step needs the resource ready, the boto3 waiter (NAT gateway, EKS cluster, node group,
Fargate profile, add-on, database, cache, certificate). No discovery, no adoption, no lock, no
secrets store, no retries beyond botocore's own: it is the floor a sequential tool could reach,
and the bench times it under the same latency model as weft.

It takes weft's desired resources only as the list of what to create (kinds, names, props) and
keeps, per resource, the outputs later ones refer to (ids, ARNs, the cluster's OIDC issuer, a
certificate's validation record), so every scenario can use it; a kind it does not know raises
:class:`Unsupported`.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

import boto3
from botocore.config import Config

from weft.core.planner import desired_graph, resolve
from weft.core.resource import Resource, thaw
from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

#: A waiter's polling, as a developer would set it for a script (botocore's defaults poll EKS
#: and RDS every 30 s; the latency model makes each create answer when the resource is ready,
#: so the first poll succeeds and the delay hardly matters).
WAIT = {"Delay": 1, "MaxAttempts": 600}


class Unsupported(Exception):
    pass


def _tags(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in props.get("tags", {}).items()]


def _spec(kind: str, props: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": _tags(props)}]


Outputs = dict[str, Any]


class Script:
    """The clients, and one function per kind: create it, return its outputs (``id`` first)."""

    def __init__(self, url: str, region: str) -> None:
        session = boto3.Session(
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
            region_name=region,
        )
        cfg = Config(retries={"mode": "standard", "max_attempts": 3})
        self.region = region
        self.client: Callable[[str], Any] = lambda service: session.client(
            service, endpoint_url=url, config=cfg
        )
        self.ec2 = self.client("ec2")
        self.s3 = self.client("s3")
        self.kms = self.client("kms")
        self.iam = self.client("iam")
        self.eks = self.client("eks")
        self.rds = self.client("rds")
        self.elasticache = self.client("elasticache")
        self.route53 = self.client("route53")
        self.acm = self.client("acm")

    def kinds(self) -> dict[str, Callable[[Resource, dict[str, Any]], Outputs]]:
        return {
            "fabric_bucket": self.fabric_bucket,
            "bucket": self.bucket,
            "kms_key": self.kms_key,
            "vpc": self.vpc,
            "internet_gateway": self.internet_gateway,
            "subnet": self.subnet,
            "eip": self.eip,
            "nat_gateway": self.nat_gateway,
            "route_table": self.route_table,
            "security_group": self.security_group,
            "security_group_rule": self.security_group_rule,
            "iam_role": self.iam_role,
            "eks_cluster": self.eks_cluster,
            "oidc_provider": self.oidc_provider,
            "eks_nodegroup": self.eks_nodegroup,
            "eks_fargate_profile": self.eks_fargate_profile,
            "eks_addon": self.eks_addon,
            "db_subnet_group": self.db_subnet_group,
            "db_instance": self.db_instance,
            "cache_subnet_group": self.cache_subnet_group,
            "cache_replication_group": self.cache_replication_group,
            "hosted_zone": self.hosted_zone,
            "acm_certificate": self.acm_certificate,
            "dns_record": self.dns_record,
            "certificate_validation": self.certificate_validation,
        }

    # ------------------------------------------------------------------------------ storage
    def _bucket(self, props: dict[str, Any], encryption: dict[str, Any]) -> Outputs:
        bucket = props["bucket"]
        config = (
            {}
            if self.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        )
        self.s3.create_bucket(Bucket=bucket, **config)
        self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": encryption}]
            },
        )
        self.s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        self.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(props)})
        return {"id": bucket, "arn": f"arn:aws:s3:::{bucket}"}

    def fabric_bucket(self, res: Resource, props: dict[str, Any]) -> Outputs:
        return self._bucket(props, {"SSEAlgorithm": "AES256"})

    def bucket(self, res: Resource, props: dict[str, Any]) -> Outputs:
        return self._bucket(
            props, {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": props["kms_key_arn"]}
        )

    def kms_key(self, res: Resource, props: dict[str, Any]) -> Outputs:
        key = self.kms.create_key(
            Description=props["description"],
            Tags=[{"TagKey": k, "TagValue": v} for k, v in props["tags"].items()],
        )["KeyMetadata"]
        self.kms.create_alias(AliasName=props["alias"], TargetKeyId=key["KeyId"])
        self.kms.enable_key_rotation(KeyId=key["KeyId"])
        return {"id": key["KeyId"], "arn": key["Arn"]}

    # ------------------------------------------------------------------------------ network
    def vpc(self, res: Resource, props: dict[str, Any]) -> Outputs:
        vpc_id = self.ec2.create_vpc(
            CidrBlock=props["cidr"], TagSpecifications=_spec("vpc", props)
        )["Vpc"]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        return {"id": vpc_id}

    def internet_gateway(self, res: Resource, props: dict[str, Any]) -> Outputs:
        igw = self.ec2.create_internet_gateway(TagSpecifications=_spec("internet-gateway", props))[
            "InternetGateway"
        ]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=props["vpc_id"])
        return {"id": igw}

    def subnet(self, res: Resource, props: dict[str, Any]) -> Outputs:
        subnet = self.ec2.create_subnet(
            VpcId=props["vpc_id"],
            CidrBlock=props["cidr"],
            AvailabilityZone=props["zone"],
            TagSpecifications=_spec("subnet", props),
        )["Subnet"]["SubnetId"]
        if props["map_public_ip"]:
            self.ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
        return {"id": subnet}

    def eip(self, res: Resource, props: dict[str, Any]) -> Outputs:
        return {
            "id": self.ec2.allocate_address(
                Domain="vpc", TagSpecifications=_spec("elastic-ip", props)
            )["AllocationId"]
        }

    def nat_gateway(self, res: Resource, props: dict[str, Any]) -> Outputs:
        nat = self.ec2.create_nat_gateway(
            SubnetId=props["subnet_id"],
            AllocationId=props["allocation_id"],
            TagSpecifications=_spec("natgateway", props),
        )["NatGateway"]["NatGatewayId"]
        self.ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat], WaiterConfig=WAIT)
        return {"id": nat}

    def route_table(self, res: Resource, props: dict[str, Any]) -> Outputs:
        table = self.ec2.create_route_table(
            VpcId=props["vpc_id"], TagSpecifications=_spec("route-table", props)
        )["RouteTable"]["RouteTableId"]
        for route in props["routes"]:
            target = (
                {"GatewayId": route["gateway_id"]}
                if route.get("gateway_id")
                else {"NatGatewayId": route["nat_gateway_id"]}
            )
            self.ec2.create_route(
                RouteTableId=table, DestinationCidrBlock=route["destination"], **target
            )
        for subnet in props["subnets"]:
            self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        return {"id": table}

    def security_group(self, res: Resource, props: dict[str, Any]) -> Outputs:
        return {
            "id": self.ec2.create_security_group(
                VpcId=props["vpc_id"],
                GroupName=props["group_name"],
                Description=props["description"],
                TagSpecifications=_spec("security-group", props),
            )["GroupId"]
        }

    def security_group_rule(self, res: Resource, props: dict[str, Any]) -> Outputs:
        permission: dict[str, Any] = {
            "IpProtocol": props["protocol"],
            "FromPort": props["from_port"],
            "ToPort": props["to_port"],
        }
        source = {"Description": props["description"]}
        if props.get("source_group_id"):
            permission["UserIdGroupPairs"] = [{"GroupId": props["source_group_id"], **source}]
        else:
            permission["IpRanges"] = [{"CidrIp": props["cidr"], **source}]
        authorize = (
            self.ec2.authorize_security_group_egress
            if props.get("direction") == "egress"
            else self.ec2.authorize_security_group_ingress
        )
        answer = authorize(
            GroupId=props["group_id"],
            IpPermissions=[permission],
            TagSpecifications=_spec("security-group-rule", props),
        )
        rules = answer.get("SecurityGroupRules") or [{}]
        return {"id": rules[0].get("SecurityGroupRuleId", f"rule-{res.name}")}

    # ---------------------------------------------------------------------------------- EKS
    def iam_role(self, res: Resource, props: dict[str, Any]) -> Outputs:
        role = self.iam.create_role(
            Path=props["path"],
            RoleName=props["role_name"],
            AssumeRolePolicyDocument=json.dumps(props["assume_role_policy"]),
            Tags=_tags(props),
        )["Role"]
        for policy in props["managed_policies"]:
            self.iam.attach_role_policy(RoleName=props["role_name"], PolicyArn=policy)
        return {"id": role["RoleName"], "arn": role["Arn"]}

    def eks_cluster(self, res: Resource, props: dict[str, Any]) -> Outputs:
        vpc_config: dict[str, Any] = {
            "subnetIds": props["subnet_ids"],
            "securityGroupIds": props["security_group_ids"],
            "endpointPublicAccess": props["endpoint_public"],
            "endpointPrivateAccess": props["endpoint_private"],
        }
        if props["endpoint_public"] and props["public_access_cidrs"]:
            vpc_config["publicAccessCidrs"] = props["public_access_cidrs"]
        kwargs: dict[str, Any] = {}
        if props.get("encryption_key_arn"):
            kwargs["encryptionConfig"] = [
                {"resources": ["secrets"], "provider": {"keyArn": props["encryption_key_arn"]}}
            ]
        self.eks.create_cluster(
            name=props["name"],
            version=props["version"],
            roleArn=props["role_arn"],
            resourcesVpcConfig=vpc_config,
            logging={"clusterLogging": [{"types": props["logging"], "enabled": True}]},
            tags=props["tags"],
            **kwargs,
        )
        self.eks.get_waiter("cluster_active").wait(name=props["name"], WaiterConfig=WAIT)
        cluster = self.eks.describe_cluster(name=props["name"])["cluster"]
        issuer = cluster["identity"]["oidc"]["issuer"]
        return {
            "id": cluster["name"],
            "arn": cluster["arn"],
            "oidc_issuer": issuer,
            "oidc_issuer_host": issuer.removeprefix("https://"),
        }

    def oidc_provider(self, res: Resource, props: dict[str, Any]) -> Outputs:
        arn = self.iam.create_open_id_connect_provider(
            Url=props["url"],
            ClientIDList=props["client_ids"],
            ThumbprintList=props["thumbprints"],
            Tags=_tags(props),
        )["OpenIDConnectProviderArn"]
        return {"id": arn, "arn": arn}

    def eks_nodegroup(self, res: Resource, props: dict[str, Any]) -> Outputs:
        scaling = props["scaling"]
        kwargs: dict[str, Any] = {}
        if props["taints"]:
            kwargs["taints"] = props["taints"]
        self.eks.create_nodegroup(
            clusterName=props["cluster_name"],
            nodegroupName=props["nodegroup_name"],
            nodeRole=props["node_role_arn"],
            subnets=props["subnet_ids"],
            instanceTypes=props["instance_types"],
            capacityType=props["capacity_type"],
            diskSize=props["disk_size"],
            scalingConfig={
                "minSize": scaling["min"],
                "maxSize": scaling["max"],
                "desiredSize": scaling["desired"],
            },
            labels=props["labels"],
            tags=props["tags"],
            **kwargs,
        )
        self.eks.get_waiter("nodegroup_active").wait(
            clusterName=props["cluster_name"],
            nodegroupName=props["nodegroup_name"],
            WaiterConfig=WAIT,
        )
        return {"id": props["nodegroup_name"]}

    def eks_fargate_profile(self, res: Resource, props: dict[str, Any]) -> Outputs:
        self.eks.create_fargate_profile(
            clusterName=props["cluster_name"],
            fargateProfileName=props["profile_name"],
            podExecutionRoleArn=props["pod_execution_role_arn"],
            subnets=props["subnet_ids"],
            selectors=[
                {"namespace": s["namespace"], **({"labels": s["labels"]} if s["labels"] else {})}
                for s in props["selectors"]
            ],
            tags=props["tags"],
        )
        self.eks.get_waiter("fargate_profile_active").wait(
            clusterName=props["cluster_name"],
            fargateProfileName=props["profile_name"],
            WaiterConfig=WAIT,
        )
        return {"id": props["profile_name"]}

    def eks_addon(self, res: Resource, props: dict[str, Any]) -> Outputs:
        kwargs: dict[str, Any] = {}
        if props.get("addon_version"):
            kwargs["addonVersion"] = props["addon_version"]
        if props.get("service_account_role_arn"):
            kwargs["serviceAccountRoleArn"] = props["service_account_role_arn"]
        self.eks.create_addon(
            clusterName=props["cluster_name"],
            addonName=props["addon_name"],
            resolveConflicts="OVERWRITE",
            tags=props["tags"],
            **kwargs,
        )
        self.eks.get_waiter("addon_active").wait(
            clusterName=props["cluster_name"], addonName=props["addon_name"], WaiterConfig=WAIT
        )
        return {"id": props["addon_name"]}

    # ---------------------------------------------------------------------------------- data
    def db_subnet_group(self, res: Resource, props: dict[str, Any]) -> Outputs:
        self.rds.create_db_subnet_group(
            DBSubnetGroupName=props["name"],
            DBSubnetGroupDescription=props["description"],
            SubnetIds=props["subnet_ids"],
            Tags=_tags(props),
        )
        return {"id": props["name"]}

    def db_instance(self, res: Resource, props: dict[str, Any]) -> Outputs:
        self.rds.create_db_instance(
            DBInstanceIdentifier=props["identifier"],
            Engine=props["engine"],
            EngineVersion=props["engine_version"],
            DBInstanceClass=props["instance_class"],
            AllocatedStorage=props["storage_gb"],
            StorageType="gp3",
            MultiAZ=props["multi_az"],
            BackupRetentionPeriod=props["backup_days"],
            DBName=props["db_name"],
            MasterUsername=props["username"],
            MasterUserPassword=secrets.token_urlsafe(24),
            DBSubnetGroupName=props["subnet_group"],
            VpcSecurityGroupIds=props["security_group_ids"],
            StorageEncrypted=True,
            KmsKeyId=props["kms_key_arn"],
            DeletionProtection=props["deletion_protection"],
            Tags=_tags(props),
        )
        self.rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier=props["identifier"], WaiterConfig=WAIT
        )
        return {"id": props["identifier"]}

    def cache_subnet_group(self, res: Resource, props: dict[str, Any]) -> Outputs:
        self.elasticache.create_cache_subnet_group(
            CacheSubnetGroupName=props["name"],
            CacheSubnetGroupDescription=props["description"],
            SubnetIds=props["subnet_ids"],
            Tags=_tags(props),
        )
        return {"id": props["name"]}

    def cache_replication_group(self, res: Resource, props: dict[str, Any]) -> Outputs:
        self.elasticache.create_replication_group(
            ReplicationGroupId=props["id"],
            ReplicationGroupDescription=props["description"],
            Engine=props["engine"],
            EngineVersion=props["engine_version"],
            CacheNodeType=props["node_type"],
            NumCacheClusters=props["num_cache_clusters"],
            AutomaticFailoverEnabled=props["automatic_failover"],
            MultiAZEnabled=props["multi_az"],
            CacheSubnetGroupName=props["subnet_group"],
            SecurityGroupIds=props["security_group_ids"],
            AtRestEncryptionEnabled=props["at_rest_encryption"],
            TransitEncryptionEnabled=props["transit_encryption"],
            KmsKeyId=props["kms_key_arn"],
            AuthToken=secrets.token_urlsafe(24),
            Tags=_tags(props),
        )
        self.elasticache.get_waiter("replication_group_available").wait(
            ReplicationGroupId=props["id"], WaiterConfig=WAIT
        )
        return {"id": props["id"]}

    # ----------------------------------------------------------------------------------- DNS
    def hosted_zone(self, res: Resource, props: dict[str, Any]) -> Outputs:
        zone = self.route53.create_hosted_zone(
            Name=props["domain"],
            CallerReference=f"baseline-{time.time_ns()}",
            HostedZoneConfig={"Comment": props["comment"], "PrivateZone": False},
        )["HostedZone"]["Id"].rsplit("/", 1)[-1]
        self.route53.change_tags_for_resource(
            ResourceType="hostedzone", ResourceId=zone, AddTags=_tags(props)
        )
        return {"id": zone}

    def acm_certificate(self, res: Resource, props: dict[str, Any]) -> Outputs:
        kwargs: dict[str, Any] = {}
        if props["sans"]:
            kwargs["SubjectAlternativeNames"] = [props["domain"], *props["sans"]]
        arn = self.acm.request_certificate(
            DomainName=props["domain"], ValidationMethod="DNS", Tags=_tags(props), **kwargs
        )["CertificateArn"]
        cert = self.acm.describe_certificate(CertificateArn=arn)["Certificate"]
        records = [
            {"name": o["ResourceRecord"]["Name"], "value": o["ResourceRecord"]["Value"]}
            for o in cert["DomainValidationOptions"]
        ]
        return {"id": arn, "arn": arn, "validation": records}

    def dns_record(self, res: Resource, props: dict[str, Any]) -> Outputs:
        change = self.route53.change_resource_record_sets(
            HostedZoneId=props["zone_id"],
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": props["name"],
                            "Type": props["type"],
                            "TTL": props["ttl"],
                            "ResourceRecords": [{"Value": v} for v in props["values"]],
                        },
                    }
                ]
            },
        )["ChangeInfo"]
        self.route53.get_waiter("resource_record_sets_changed").wait(
            Id=change["Id"], WaiterConfig=WAIT
        )
        return {"id": f"{props['zone_id']}/{props['name']}/{props['type']}"}

    def certificate_validation(self, res: Resource, props: dict[str, Any]) -> Outputs:
        arn = props["certificate_arn"]
        self.acm.get_waiter("certificate_validated").wait(CertificateArn=arn, WaiterConfig=WAIT)
        return {"id": f"{arn}#validation", "arn": arn}


def create_all(resources: Iterable[Resource], *, url: str, region: str) -> dict[str, Any]:
    """Create every resource, one after another; the count made and the wall time."""
    resources = list(resources)
    script = Script(url, region)
    kinds = script.kinds()
    unsupported = sorted({r.kind for r in resources} - set(kinds))
    if unsupported:
        raise Unsupported(f"the plain boto3 baseline knows no {', '.join(unsupported)}")
    by_address = {r.address: r for r in resources}
    outputs: dict[str, dict[str, Any] | None] = {}
    start = time.perf_counter()
    for address in desired_graph(resources).topological_order():
        res = by_address[address]
        outputs[address] = kinds[res.kind](res, thaw(resolve(res.props, outputs)))
    return {"created": len(outputs), "wall": time.perf_counter() - start}
