"""The VPC's flow log (``network.flow_logs``): all its traffic, to a CloudWatch Logs group.

Made by ``CreateFlowLogs`` with the fabric's tags, delivering to the log group weft makes for it
through the delivery role (``deliver_logs_permission_arn``): see
:func:`weft.model.network.flow_log_resources`. A flow log cannot be changed in place but for its
tags, so every other prop is immutable (a new one replaces it). ``CreateFlowLogs`` reports a
resource it could not log as ``Unsuccessful`` rather than failing: that is an error here, naming
AWS's reason. ``DeliverLogsStatus`` ``FAILED`` (the role cannot be assumed, or may not write to
the group) is reported as the flow log's state, with AWS's ``DeliverLogsErrorMessage``.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit, presence
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "flow_log"


class FlowLogDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_flow_logs", "FlowLogs", "FlowLogIds")
    setters = (ec2.TAGS,)
    schema = KindSchema(
        KIND,
        immutable=frozenset(
            {
                "resource_id",
                "traffic_type",
                "log_group_name",
                "deliver_logs_permission_arn",
                "max_aggregation_interval",
            }
        ),
        updatable=kit.covered(setters),
        shown=("resource_id", "traffic_type", "log_group_name"),
    )
    settled_state = "ACTIVE"

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        props = {
            "resource_id": item.get("ResourceId"),
            "traffic_type": item.get("TrafficType"),
            "log_group_name": item.get("LogGroupName"),
            "deliver_logs_permission_arn": item.get("DeliverLogsPermissionArn"),
            "max_aggregation_interval": item.get("MaxAggregationInterval"),
            "tags": tags,
        }
        delivery = str(item.get("DeliverLogsStatus") or "SUCCESS")
        outputs = {"deliver_logs_status": delivery}
        if item.get("DeliverLogsErrorMessage"):
            outputs["deliver_logs_error"] = str(item["DeliverLogsErrorMessage"])
        state = str(item.get("FlowLogStatus") or "ACTIVE")
        return self.observed(
            name,
            item["FlowLogId"],
            props,
            outputs,
            state=state if delivery != "FAILED" else delivery,
        )

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        answer = ctx.client("ec2").create_flow_logs(
            ResourceType="VPC",
            ResourceIds=[props["resource_id"]],
            TrafficType=props["traffic_type"],
            LogDestinationType="cloud-watch-logs",
            LogGroupName=props["log_group_name"],
            DeliverLogsPermissionArn=props["deliver_logs_permission_arn"],
            MaxAggregationInterval=int(props["max_aggregation_interval"]),
            TagSpecifications=tagging.tag_specifications("vpc-flow-log", props["tags"]),
        )
        failed = answer.get("Unsuccessful") or []
        if failed or not answer.get("FlowLogIds"):
            why = "; ".join(
                str((f.get("Error") or {}).get("Message") or "no reason given") for f in failed
            )
            raise PermanentError(
                f"EC2 made no flow log for VPC {props['resource_id']}: {why or 'no reason given'}",
                address=resource.address,
                hint="check the log group and the delivery role, then run weft up again",
            )
        flow_log_id = answer["FlowLogIds"][0]
        item = {"FlowLogId": flow_log_id, "ResourceId": props["resource_id"]}
        found = presence.if_found(ctx.client("ec2").describe_flow_logs, FlowLogIds=[flow_log_id])
        for described in (found or {}).get("FlowLogs") or []:
            item = described
        observed = self.observe(ctx, resource.name, item, props["tags"])
        if observed.state == "FAILED":
            raise PermanentError(
                f"the flow log of VPC {props['resource_id']} cannot deliver to "
                f"{props['log_group_name']}: {observed.outputs.get('deliver_logs_error')}",
                address=resource.address,
                hint="the delivery role must trust vpc-flow-logs.amazonaws.com and may write "
                "to the log group; fix it and run weft up again",
            )
        return observed

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        answer = ctx.client("ec2").delete_flow_logs(FlowLogIds=[observed.id])
        for failure in answer.get("Unsuccessful") or []:
            error = failure.get("Error") or {}
            if error.get("Code") not in ("InvalidFlowLogId.NotFound",):
                raise PermanentError(
                    f"EC2 did not delete flow log {observed.id}: {error.get('Message')}",
                    address=observed.address,
                )


DRIVER = FlowLogDriver()
