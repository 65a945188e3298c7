"""EC2 launch templates: what a managed node group's instances are launched with.

weft gives every node group a template of its own (see :mod:`weft.model.cluster`) holding
what the EKS API has no field for: the security groups of the nodes, the instance metadata
options and the root volume. Its props:

- ``name`` (fixed: a template's name is its identity within the region);
- ``security_group_ids``: the instances' security groups. With a template that names security
  groups EKS adds none of its own (not even the cluster security group), so the model lists the
  cluster security group here itself;
- ``metadata``: ``{"http_tokens": "required" | "optional", "hop_limit": N}`` (IMDSv2 required
  with a hop limit of 1: a pod, one network hop further than the node, cannot reach the
  instance metadata service, so it cannot borrow the node's role);
- ``root_volume``: ``{"device", "size_gb", "type", "encrypted"}``, deleted with its instance.
  Encrypted with the account's default EBS key: a customer key would need a grant for the
  EC2 Auto Scaling service-linked role, without which the node group's instances fail to
  launch.

No ``ImageId``: EKS keeps choosing the AMI from the node group's AMI type and version, and
merges its own bootstrap user data, so upgrades keep working.

A change of any of them is a new *version* of the template, made its default; the output
``version`` is then the new one, and a node group that refers to it is updated to it (EKS
recycles its nodes). The planner learns this from ``update_outputs``: what refers to the
version is unknown until the update is done. Discovery: one tag-filtered
``DescribeLaunchTemplates``, then the default version of each template found (a fabric has one
template per node group).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit
from weft.core.resource import KindSchema, Observed, Resource

KIND = "launch_template"
#: The props held in the template's data (a change of any of them is a new version).
DATA_FIELDS = ("security_group_ids", "metadata", "root_volume")


def template_data(props: Mapping[str, Any]) -> dict[str, Any]:
    """The ``LaunchTemplateData`` of ``props``."""
    metadata = props["metadata"]
    volume = props["root_volume"]
    return {
        "SecurityGroupIds": list(props["security_group_ids"]),
        "MetadataOptions": {
            "HttpEndpoint": "enabled",
            "HttpTokens": metadata["http_tokens"],
            "HttpPutResponseHopLimit": int(metadata["hop_limit"]),
        },
        "BlockDeviceMappings": [
            {
                "DeviceName": volume["device"],
                "Ebs": {
                    "VolumeSize": int(volume["size_gb"]),
                    "VolumeType": volume["type"],
                    "Encrypted": bool(volume["encrypted"]),
                    "DeleteOnTermination": True,
                },
            }
        ],
    }


def props_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The data props of a template version's ``LaunchTemplateData`` (what it does not set is
    None)."""
    metadata = data.get("MetadataOptions") or {}
    mappings = data.get("BlockDeviceMappings") or []
    volume = None
    if mappings:
        first = mappings[0]
        ebs = first.get("Ebs") or {}
        size = ebs.get("VolumeSize")
        volume = {
            "device": first.get("DeviceName"),
            "size_gb": int(size) if size is not None else None,
            "type": ebs.get("VolumeType"),
            "encrypted": bool(ebs.get("Encrypted", False)),
        }
    groups = list(data.get("SecurityGroupIds") or [])
    for interface in data.get("NetworkInterfaces") or []:
        groups.extend(interface.get("Groups") or [])
    hop_limit = metadata.get("HttpPutResponseHopLimit")
    return {
        "security_group_ids": groups,
        "metadata": {
            "http_tokens": metadata.get("HttpTokens"),
            "hop_limit": int(hop_limit) if hop_limit is not None else None,
        }
        if metadata
        else None,
        "root_volume": volume,
    }


@kit.setter(*DATA_FIELDS)
def _new_version(edit: kit.Edit) -> None:
    ec2_client = edit.ctx.client("ec2")
    version = ec2_client.create_launch_template_version(
        LaunchTemplateId=edit.id,
        LaunchTemplateData=template_data(edit.props),
        VersionDescription="weft",
    )["LaunchTemplateVersion"]["VersionNumber"]
    ec2_client.modify_launch_template(LaunchTemplateId=edit.id, DefaultVersion=str(version))
    edit.outputs["version"] = str(version)


class LaunchTemplateDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_launch_templates", "LaunchTemplates", "LaunchTemplateIds")
    setters = (_new_version, ec2.TAGS)
    schema = KindSchema(
        KIND,
        immutable=frozenset({"name"}),
        unordered=frozenset({"security_group_ids"}),
        updatable=kit.covered(setters),
        update_outputs=frozenset({"version"}),
    )

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        template_id = item["LaunchTemplateId"]
        versions = ctx.client("ec2").describe_launch_template_versions(
            LaunchTemplateId=template_id, Versions=["$Default"]
        )["LaunchTemplateVersions"]
        data = versions[0].get("LaunchTemplateData", {}) if versions else {}
        version = item.get("DefaultVersionNumber") or (
            versions[0].get("VersionNumber") if versions else None
        )
        props = {"name": item["LaunchTemplateName"], **props_of(data), "tags": tags}
        return self._observed(name, template_id, props, version)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        made = ctx.client("ec2").create_launch_template(
            LaunchTemplateName=props["name"],
            LaunchTemplateData=template_data(props),
            VersionDescription="weft",
            TagSpecifications=tagging.tag_specifications("launch-template", props["tags"]),
            ClientToken=ctx.token(resource.address),
        )["LaunchTemplate"]
        return self._observed(
            resource.name, made["LaunchTemplateId"], props, made.get("DefaultVersionNumber", 1)
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_launch_template(LaunchTemplateId=observed.id)

    def _observed(
        self, name: str, template_id: str, props: dict[str, Any], version: Any
    ) -> Observed:
        outputs = {"name": props["name"], "version": str(version) if version else None}
        return self.observed(name, template_id, props, outputs)


DRIVER = LaunchTemplateDriver()
