"""What is in moto, read with boto3 (not with hubctl's own clients), for the deploy tests.

    look.py ENDPOINT REGION stacks              live stacks: [{"name", "status"}]
    look.py ENDPOINT REGION records ZONE_ID     the zone's record sets: [[name, type, [values]]]
    look.py ENDPOINT REGION tasks CLUSTER       the cluster's tasks: [{"arn", "last", "desired"}]
    look.py ENDPOINT REGION users POOL_ID       the pool's users: [{"username", "status", "attributes"}]

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
    elif what == "users":
        idp = boto3.client("cognito-idp", **common)
        users, token = [], None
        while True:
            page = idp.list_users(UserPoolId=rest[0], **({"PaginationToken": token} if token else {}))
            users += page["Users"]
            token = page.get("PaginationToken")
            if not token:
                break
        out = [{"username": u["Username"], "status": u["UserStatus"], "attributes": {a["Name"]: a["Value"] for a in u.get("Attributes", [])}} for u in users]
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
