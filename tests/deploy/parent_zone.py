"""The parent DNS account's side of the deploy tests, through boto3 against moto.

    parent_zone.py ENDPOINT create ZONE [SUBZONE NS1,NS2,...]   create ZONE (and plant an NS record)
    parent_zone.py ENDPOINT ns ZONE SUBZONE                     print the NS values of SUBZONE as JSON

Runs as account 111111111111: moto keys the account on the access key that AssumeRole
returns, the same way hubctl reaches that account.
"""

import json
import sys

import boto3

ROLE = "arn:aws:iam::111111111111:role/DomainOperatorRole"


def route53(endpoint):
    common = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    sts = boto3.client("sts", aws_access_key_id="testing", aws_secret_access_key="testing", **common)
    credentials = sts.assume_role(RoleArn=ROLE, RoleSessionName="parent-zone-owner")["Credentials"]
    return boto3.client(
        "route53",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        **common,
    )


def zone_id(client, zone):
    zones = client.list_hosted_zones_by_name(DNSName=zone)["HostedZones"]
    return next(z["Id"] for z in zones if z["Name"] == zone + ".")


def main(endpoint, command, zone, *rest):
    client = route53(endpoint)
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
