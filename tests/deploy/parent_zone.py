"""The parent DNS account's side of the deploy tests, through boto3 against moto.

    parent_zone.py ENDPOINT create ZONE [SUBZONE NS1,NS2,...]   create ZONE (and plant an NS record)
    parent_zone.py ENDPOINT ns ZONE SUBZONE                     print the NS values of SUBZONE as JSON
    parent_zone.py ENDPOINT admin-keys                          make the DNS team's IAM user dns-admin
                                                                and print its access key id and secret
    parent_zone.py ENDPOINT stack NAME                          print stack NAME of the parent account
                                                                (us-east-1) as JSON, or null
    parent_zone.py ENDPOINT role NAME                           print role NAME of the parent account
                                                                (path, trust policy) as JSON, or null

Runs as account 111111111111 through moto's ``x-moto-account-id`` header: the DNS team's own
session in its account. (AssumeRole of a role that does not exist is AccessDenied on the
patched moto, as on AWS, so it cannot be the way in.) hubctl reaches that account as AWS
lets it: `parent deploy` with dns-admin's keys, deploy through the delegation role.
"""

import json
import sys

import boto3

PARENT_ACCOUNT = "111111111111"


def in_parent_account(endpoint, service):
    """A client acting in the parent account (moto's account header on every request)."""
    client = boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    def to_parent_account(request, **_):
        request.headers["x-moto-account-id"] = PARENT_ACCOUNT

    client.meta.events.register("before-sign.*.*", to_parent_account)
    return client


def route53(endpoint):
    return in_parent_account(endpoint, "route53")


def zone_id(client, zone):
    zones = client.list_hosted_zones_by_name(DNSName=zone)["HostedZones"]
    return next(z["Id"] for z in zones if z["Name"] == zone + ".")


def main(endpoint, command, name=None, *rest):
    if command == "admin-keys":
        iam = in_parent_account(endpoint, "iam")
        iam.create_user(UserName="dns-admin")
        key = iam.create_access_key(UserName="dns-admin")["AccessKey"]
        print(key["AccessKeyId"], key["SecretAccessKey"])
        return
    if command == "stack":
        cloudformation = in_parent_account(endpoint, "cloudformation")
        stacks = [s for s in cloudformation.list_stacks()["StackSummaries"] if s["StackName"] == name]
        if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
            print("null")
            return
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        print(json.dumps({
            "status": stack["StackStatus"],
            "parameters": {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])},
            "tags": {t["Key"]: t["Value"] for t in stack.get("Tags", [])},
        }, sort_keys=True))
        return
    if command == "role":
        iam = in_parent_account(endpoint, "iam")
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            print("null")
            return
        trust = role["AssumeRolePolicyDocument"]
        print(json.dumps({"arn": role["Arn"], "trust": json.loads(trust) if isinstance(trust, str) else trust}, sort_keys=True))
        return
    zone, client = name, route53(endpoint)
    if command == "create":
        created = client.create_hosted_zone(Name=zone, CallerReference="parent-" + zone)["HostedZone"]["Id"]
        if rest:
            subzone, values = rest
            client.change_resource_record_sets(
                HostedZoneId=created,
                ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
                    "Name": subzone, "Type": "NS", "TTL": 300,
                    "ResourceRecords": [{"Value": v} for v in values.split(",")]}}]},
            )
        print(created)
    elif command == "ns":
        (subzone,) = rest
        records = client.list_resource_record_sets(HostedZoneId=zone_id(client, zone))["ResourceRecordSets"]
        found = [r for r in records if r["Type"] == "NS" and r["Name"] == subzone + "."]
        print(json.dumps(sorted(v["Value"] for r in found for v in r["ResourceRecords"]) if found else None))


if __name__ == "__main__":
    main(*sys.argv[1:])
