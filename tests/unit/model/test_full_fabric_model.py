"""The desired resources of a fabric that uses every section.

The fabric is tests/unit/fabricfile/good/production.yaml.
"""

from collections import Counter
from pathlib import Path

from weft.core.planner import desired_graph
from weft.core.resource import Fmt, Ref, thaw
from weft.fabricfile import load_fabric, parse_fabric
from weft.model import desired_resources
from weft.model.cluster import TEMPLATE_GENERATION, nodegroup_name
from weft.model.naming import digest

PRODUCTION = Path(__file__).parents[1] / "fabricfile" / "good" / "production.yaml"


def build(path=PRODUCTION, text=None):
    fabric = parse_fabric(text, "f.yaml") if text else load_fabric(path)
    res = desired_resources(fabric, account_id="123456789012", zones=fabric.zone_names())
    return {r.address: r for r in res}


def test_every_section_becomes_resources_in_one_acyclic_graph():
    res = build()
    kinds = Counter(r.kind for r in res.values())
    assert kinds["eks_cluster"] == 1 and kinds["eks_nodegroup"] == 2 and kinds["eks_addon"] == 5
    # cluster, nodes, fargate, ebs-csi, vpc-cni, lb-controller, fluent-bit, cluster-autoscaler
    assert kinds["iam_role"] == 8
    assert kinds["db_instance"] == 2 and kinds["cache_replication_group"] == 1
    assert kinds["bucket"] == 2 and kinds["hosted_zone"] == 1 and kinds["dns_record"] == 1
    graph = desired_graph(res.values())
    order = graph.topological_order()
    assert order.index("eks_cluster.main") < order.index("eks_nodegroup.general")
    assert order.index("eks_nodegroup.general") < order.index("eks_addon.coredns")
    assert order.index("acm_certificate.wildcard") < order.index("dns_record.cert-validation")
    assert order.index("dns_record.cert-validation") < order.index(
        "certificate_validation.wildcard"
    )


def test_database_is_created_alongside_the_cluster_not_after_it():
    graph = desired_graph(build().values())
    assert "db_instance.main" not in graph.descendants("eks_cluster.main")
    assert "eks_cluster.main" not in graph.descendants("db_instance.main")


def test_cluster_settings_follow_the_file():
    cluster = build()["eks_cluster.main"].props
    assert cluster["version"] is None  # not in the file: weft plan settles it by EKS's calendar
    assert cluster["public_access_cidrs"] == ("203.0.113.0/24", "198.51.100.7/32")
    assert cluster["encryption_key_arn"] == Ref("kms_key.fabric", "arn")
    assert len(cluster["subnet_ids"]) == 3  # the private ones


def test_nodegroup_name_changes_only_with_immutable_settings():
    a = nodegroup_name("general", ["m6i.large"], "ON_DEMAND", 50)
    assert a == nodegroup_name("general", ["m6i.large"], "ON_DEMAND", 50)
    assert a != nodegroup_name("general", ["m6i.xlarge"], "ON_DEMAND", 50)
    assert a != nodegroup_name("general", ["m6i.large"], "SPOT", 50)
    batch = build()["eks_nodegroup.batch"].props
    assert batch["capacity_type"] == "SPOT"
    assert batch["taints"][0] == {"key": "dedicated", "value": "batch", "effect": "NoSchedule"}


def test_ebs_csi_role_trusts_the_clusters_oidc_provider_for_its_service_account():
    role = build()["iam_role.ebs-csi"]
    condition = role.props["assume_role_policy"]["Statement"][0]["Condition"]["StringEquals"]
    assert Fmt("{0}:sub", Ref("eks_cluster.main", "oidc_issuer_host")) in condition
    assert "oidc_provider.cluster" in role.dependencies()


def test_data_stores_are_private_encrypted_and_protected_with_the_fabric():
    res = build()
    db = res["db_instance.main"].props
    assert db["deletion_protection"] is True  # shop-prod: protected by default
    assert db["kms_key_arn"] == Ref("kms_key.fabric", "arn")
    assert db["security_group_ids"] == (Ref("security_group.data"),)
    assert "password" not in str(db).lower()
    cache = res["cache_replication_group.sessions"].props
    assert cache["num_cache_clusters"] == 3 and cache["automatic_failover"] is True
    assert cache["transit_encryption"] and cache["at_rest_encryption"]
    assert len(cache["id"]) <= 40
    assert res["bucket.uploads"].props["bucket"] == "weft-shop-prod-uploads-123456789012"


def test_long_names_are_bounded_and_stable():
    text = (
        "name: a-very-long-fabric-name-indeed\nregion: us-east-2\n"
        "network: {cidr: 10.0.0.0/16}\n"
        "caches: [{name: a-long-cache-name-xx, engine_version: '7.1',"
        " node_type: cache.t4g.small}]\n"
    )
    first = build(text=text)["cache_replication_group.a-long-cache-name-xx"].props["id"]
    again = build(text=text)["cache_replication_group.a-long-cache-name-xx"].props["id"]
    assert first == again and len(first) <= 40


def test_every_node_group_is_launched_from_its_own_hardened_template():
    res = build()
    for name in ("general", "batch"):
        group = res[f"eks_nodegroup.{name}"].props
        assert group["launch_template_id"] == Ref(f"launch_template.{name}")
        assert group["launch_template_version"] == Ref(f"launch_template.{name}", "version")
        assert group["disk_size"] is None  # EKS refuses a disk size next to a template
        template = res[f"launch_template.{name}"].props
        # the cluster security group keeps the control plane's reach; weft's is what data admits
        assert set(template["security_group_ids"]) == {
            Ref("eks_cluster.main", "cluster_security_group_id"),
            Ref("security_group.nodes"),
        }
        assert template["metadata"] == {"http_tokens": "required", "hop_limit": 1}
        volume = template["root_volume"]
        assert volume["type"] == "gp3" and volume["encrypted"] is True
        assert "image_id" not in template  # EKS keeps choosing the AMI


def test_data_admits_the_cluster_security_group_fargate_pods_carry():
    res = build()
    for name, port in (("data-postgres-from-cluster", 5432), ("data-redis-from-cluster", 6379)):
        rule = res[f"security_group_rule.{name}"].props
        assert rule["group_id"] == Ref("security_group.data")
        assert rule["source_group_id"] == Ref("eks_cluster.main", "cluster_security_group_id")
        assert (rule["protocol"], rule["from_port"], rule["to_port"]) == ("tcp", port, port)


def test_without_caches_the_data_group_admits_the_cluster_only_on_postgres():
    res = build(text=PRODUCTION.read_text().split("\ncaches:")[0])
    assert "security_group_rule.data-postgres-from-cluster" in res
    assert "security_group_rule.data-redis-from-cluster" not in res


def test_each_node_group_runs_the_ami_type_its_instance_types_need():
    text = PRODUCTION.read_text().replace(
        "nodegroups:\n",
        "nodegroups:\n"
        "  - {name: gpu, instance_types: [g5.xlarge, g6.xlarge], min: 0, max: 2}\n"
        "  - {name: rocket, instance_types: [m7g.large], min: 0, max: 2,"
        " ami_type: BOTTLEROCKET_ARM_64}\n",
    )
    res = build(text=text)
    props = {name: res[f"eks_nodegroup.{name}"].props for name in ("general", "batch", "gpu")}
    assert props["general"]["ami_type"] == "AL2023_x86_64_STANDARD"
    assert props["batch"]["ami_type"] == "AL2023_ARM_64_STANDARD"  # c7g: Graviton
    assert props["gpu"]["ami_type"] == "AL2023_x86_64_NVIDIA"
    assert res["eks_nodegroup.rocket"].props["ami_type"] == "BOTTLEROCKET_ARM_64"
    # the disk the file sizes is the one that holds the images: Bottlerocket's data volume
    assert res["launch_template.rocket"].props["root_volume"]["device"] == "/dev/xvdb"
    assert res["launch_template.general"].props["root_volume"]["device"] == "/dev/xvda"
    # groups on EKS's default AMI type keep the names they had before weft chose AMI types
    general = props["general"]
    assert general["nodegroup_name"] == nodegroup_name(
        "general", ["m6i.large", "m6a.large"], "ON_DEMAND", 100
    )
    assert general["nodegroup_name"].endswith(
        "-" + digest("m6i.large,m6a.large", "ON_DEMAND", 100, TEMPLATE_GENERATION)
    )
    # another AMI type is another node group
    assert nodegroup_name("a", ["m7g.large"], "ON_DEMAND", 50, "BOTTLEROCKET_ARM_64") != (
        nodegroup_name("a", ["m7g.large"], "ON_DEMAND", 50, "AL2023_ARM_64_STANDARD")
    )


def test_the_control_plane_log_group_is_made_before_the_cluster_and_encrypted():
    res = build()
    group = res["log_group.cluster"]
    assert group.props["group_name"] == "/aws/eks/shop-prod/cluster"
    assert group.props["retention_days"] == 30
    assert group.props["kms_key_arn"] == Ref("kms_key.fabric", "arn")
    order = desired_graph(res.values()).topological_order()
    assert order.index("log_group.cluster") < order.index("eks_cluster.main")
    # the fabric key lets CloudWatch Logs use it for that group and the containers', and for
    # nothing else
    (logs,) = [
        s for s in res["kms_key.fabric"].props["policy"]["Statement"] if "Service" in s["Principal"]
    ]
    assert logs["Principal"]["Service"] == "logs.eu-west-1.amazonaws.com"
    assert list(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]) == [
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/shop-prod/cluster",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/shop-prod/containers",
    ]


def test_a_protected_fabric_s_cluster_has_eks_deletion_protection():
    assert build()["eks_cluster.main"].props["deletion_protection"] is True  # shop-prod
    text = PRODUCTION.read_text().replace("name: shop-prod", "name: shop-dev")
    assert build(text=text)["eks_cluster.main"].props["deletion_protection"] is False


def test_the_fargate_pod_execution_role_is_for_this_cluster_s_profiles_only():
    trust = build()["iam_role.fargate"].props["assume_role_policy"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "eks-fargate-pods.amazonaws.com"}
    assert statement["Condition"] == {
        "ArnLike": {
            "aws:SourceArn": "arn:aws:eks:eu-west-1:123456789012:fargateprofile/shop-prod/*"
        }
    }


def test_caches_keep_daily_snapshots():
    caches = [r for r in build().values() if r.kind == "cache_replication_group"]
    assert caches and all(c.props["backup_days"] == 7 for c in caches)


def test_the_control_plane_s_interfaces_go_in_the_private_subnets():
    subnets = build()["eks_cluster.main"].props["subnet_ids"]
    assert subnets and all(ref.address.startswith("subnet.private-") for ref in subnets)


def test_addons_get_their_roles_configuration_and_order():
    """vpc-cni has its own IRSA role (the node role loses AmazonEKS_CNI_Policy) and is made
    before the node groups; the EBS CSI driver tags volumes with the cluster and makes the
    default gp3 encrypted StorageClass; metrics-server is installed by default."""
    res = build(
        text=PRODUCTION.read_text().replace(
            "    aws-ebs-csi-driver:\n", "    aws-ebs-csi-driver:\n    metrics-server:\n"
        )
    )
    nodes = res["iam_role.nodes"].props["managed_policies"]
    assert not any(p.endswith("/AmazonEKS_CNI_Policy") for p in nodes)
    cni_role = res["iam_role.vpc-cni"].props
    assert list(cni_role["managed_policies"]) == ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]
    trust = repr(thaw(cni_role["assume_role_policy"]))
    assert "system:serviceaccount:kube-system:aws-node" in trust
    assert res["eks_addon.vpc-cni"].props["service_account_role_arn"] == Ref(
        "iam_role.vpc-cni", "arn"
    )
    order = desired_graph(res.values()).topological_order()
    assert order.index("eks_addon.vpc-cni") < order.index("eks_nodegroup.general")
    ebs = thaw(res["eks_addon.aws-ebs-csi-driver"].props["configuration"])
    name = res["eks_cluster.main"].props["name"]
    assert ebs["controller"] == {"k8sTagClusterId": name}
    [storage_class] = ebs["storageClasses"]
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true"}
    assert storage_class["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert thaw(res["eks_addon.coredns"].props["configuration"]) == {}  # it has node groups
    assert "eks_addon.metrics-server" in res


def test_without_a_managed_vpc_cni_the_nodes_keep_the_cni_policy():
    res = build(
        text=PRODUCTION.read_text().replace("    vpc-cni: {version: v1.18.6-eksbuild.1}\n", "")
    )
    assert "iam_role.vpc-cni" not in res
    nodes = res["iam_role.nodes"].props["managed_policies"]
    assert any(p.endswith("/AmazonEKS_CNI_Policy") for p in nodes)
