"""What is in moto, read with boto3 (not with hubctl's own clients), for the deploy tests.

    look.py ENDPOINT REGION stacks              live stacks: [{"name", "status"}]
    look.py ENDPOINT REGION records ZONE_ID     the zone's record sets: [[name, type, [values]]]
    look.py ENDPOINT REGION tasks CLUSTER       the cluster's tasks: [{"arn", "last", "desired"}]

Prints JSON on stdout. Runs as the moto default account (123456789012).
"""

import json
import sys

import boto3


def main(endpoint, region, what, *rest):
    common = {"endpoint_url": endpoint, "region_name": region}
    if what == "stacks":
        cfn = boto3.client("cloudformation", **common)
        stacks = cfn.describe_stacks()["Stacks"]
        out = [{"name": s["StackName"], "status": s["StackStatus"]} for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]
    elif what == "records":
        route53 = boto3.client("route53", **common)
        sets = route53.list_resource_record_sets(HostedZoneId=rest[0])["ResourceRecordSets"]
        out = [[s["Name"], s["Type"], [r["Value"] for r in s.get("ResourceRecords", [])]] for s in sets]
    elif what == "tasks":
        ecs = boto3.client("ecs", **common)
        arns = []
        for desired in ("RUNNING", "STOPPED"):
            arns += ecs.list_tasks(cluster=rest[0], desiredStatus=desired)["taskArns"]
        tasks = ecs.describe_tasks(cluster=rest[0], tasks=arns)["tasks"] if arns else []
        out = [{"arn": t["taskArn"], "last": t["lastStatus"], "desired": t["desiredStatus"]} for t in tasks]
    else:
        raise SystemExit(f"unknown: {what}")
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main(*sys.argv[1:])
