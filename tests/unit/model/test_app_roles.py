"""The IAM role of each app or cron job that uses a bucket (IRSA): trust and policy shape."""

from weft.core.planner import desired_graph
from weft.core.resource import Fmt, Ref
from weft.fabricfile import parse_fabric
from weft.model import desired_resources
from weft.model.app_roles import APP_POLICY, app_role_address

ACCOUNT = "123456789012"

FABRIC = """\
name: shop
region: eu-west-1
provider: local
network: {cidr: 10.0.0.0/16, zones: 2}
cluster: {api_cidrs: [203.0.113.0/24]}
nodegroups:
  - {name: general, instance_types: [m6i.large], min: 1, max: 2, desired: 1}
databases:
  - {name: main, engine_version: "16.3", instance_class: db.t4g.medium}
buckets:
  - {name: uploads}
  - {name: exports}
apps:
  - {name: web, image: ghcr.io/acme/web, version: "1.0.0", port: 8080, uses: [main, uploads]}
  - {name: api, image: ghcr.io/acme/api, version: "1.0.0", uses: [main]}
cronjobs:
  - {name: report, image: ghcr.io/acme/report, version: "1.0.0", schedule: "0 3 * * *",
     uses: [uploads, exports]}
"""


def build(text=FABRIC):
    fabric = parse_fabric(text, "f.yaml")
    res = desired_resources(fabric, account_id=ACCOUNT, zones=fabric.zone_names())
    return {r.address: r for r in res}


def test_only_entries_that_use_a_bucket_get_a_role():
    res = build()
    assert app_role_address("web") in res and app_role_address("report") in res
    assert app_role_address("api") not in res  # a database is reached with its password


def test_trust_is_scoped_to_the_service_account_and_the_sts_audience():
    role = build()[app_role_address("web")].props
    assert role["role_name"] == "weft-shop-app-web" and role["path"] == "/weft/shop/"
    (statement,) = role["assume_role_policy"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": Ref("oidc_provider.cluster", "arn")}
    issuer = Ref("eks_cluster.main", "oidc_issuer_host")
    assert statement["Condition"] == {
        "StringEquals": {
            Fmt("{0}:sub", issuer): "system:serviceaccount:shop:web",
            Fmt("{0}:aud", issuer): "sts.amazonaws.com",
        }
    }
    assert role["managed_policies"] == ()


def test_policy_allows_exactly_the_used_buckets_and_their_key():
    role = build()[app_role_address("web")].props
    (name,) = role["inline_policies"]
    assert name == APP_POLICY
    statements = {s["Sid"]: s for s in role["inline_policies"][name]["Statement"]}
    bucket = f"arn:aws:s3:::weft-shop-uploads-{ACCOUNT}"
    assert statements["Buckets"]["Resource"] == (bucket,)
    assert statements["Objects"]["Resource"] == (f"{bucket}/*",)
    assert set(statements["Objects"]["Action"]) >= {"s3:GetObject", "s3:PutObject"}
    key = statements["BucketKey"]
    assert key["Action"] == ("kms:Decrypt", "kms:GenerateDataKey")
    assert key["Resource"] == Ref("kms_key.fabric", "arn")
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
    every = role["inline_policies"][name]["Statement"]
    assert all(s["Effect"] == "Allow" and s["Resource"] != "*" for s in every)
    assert all(r != "*" for s in every[:2] for r in s["Resource"])
    assert all(not a.endswith("*") for s in every for a in s["Action"])


def test_a_cron_job_using_two_buckets_gets_both_and_no_other():
    role = build()[app_role_address("report")].props
    statements = {s["Sid"]: s for s in role["inline_policies"][APP_POLICY]["Statement"]}
    assert statements["Buckets"]["Resource"] == (
        f"arn:aws:s3:::weft-shop-uploads-{ACCOUNT}",
        f"arn:aws:s3:::weft-shop-exports-{ACCOUNT}",
    )


def test_the_role_comes_after_the_oidc_provider_and_the_bucket_key():
    graph = desired_graph(build().values())
    order = graph.topological_order()
    assert order.index("oidc_provider.cluster") < order.index(app_role_address("web"))
    assert order.index("kms_key.fabric") < order.index(app_role_address("web"))


def test_other_roles_have_no_inline_policy():
    res = build()
    assert res["iam_role.nodes"].props["inline_policies"] == {}
