"""Run moto's server (pinned in tests/tools/moto.txt) on 127.0.0.1 for the deploy tests.

Usage: moto_launcher.py --port PORT [--quiet]

Starts moto's own threaded server (``moto.server.ThreadedMotoServer``: werkzeug
with moto's ``DomainDispatcherApplication`` and ``MotoRequestHandler``) bound to
127.0.0.1 only, prints exactly ``ready <port>`` on stdout (flushed) once the port
accepts TCP connections, and runs until SIGTERM or SIGINT. ``--port 0`` picks a
free port; the line printed then names the port actually bound. Request logs go
to stderr (``--quiet`` keeps only warnings).

Fourteen moto behaviours are patched, nothing else (each where moto differs from AWS in a
way the deploy, or a test replaying the hub's calls, depends on; launcher_selftest.py checks
patches 6-14 against the example's frame, dns and hub templates):

ExecuteChangeSet recomputes the stack's Outputs.
    In moto 5.2 ``CloudFormationBackend.execute_change_set`` applies the change
    set's resources (``ChangeSet.apply`` -> ``ResourceMap.update``) and sets
    ``stack.template`` to the change set's template, but it neither re-parses
    ``stack.template_dict`` nor rebuilds ``stack.output_map``. After a CREATE
    change set the stack still carries the empty template of its
    REVIEW_IN_PROGRESS placeholder, so DescribeStacks shows no Outputs; after an
    UPDATE change set it shows the old template's Outputs (new ones missing,
    changed ones stale). Real AWS recomputes Outputs when the change set
    executes, and the deploy reads Outputs right after executing a change set.
    The patch wraps ``CloudFormationBackend.execute_change_set``: after moto's
    own code has run, it re-parses the stack's (new) template and rebuilds its
    ``OutputMap`` exactly as ``Stack.update`` (UpdateStack) does, so Outputs,
    including Ref / GetAtt values and ExportName, are computed from the executed
    template just as after CreateStack / UpdateStack.

    Not changed (as in moto's UpdateStack, change sets do not register exports
    in the backend's export list used by ListExports / Fn::ImportValue).

AWS::KMS::Key reads CloudFormation's tag shape.
    moto 5.2's ``Key.create_from_cloudformation_json`` hands the template's
    ``Tags`` (CloudFormation's ``[{Key, Value}]``) to the KMS API's tagging code,
    which expects ``[{TagKey, TagValue}]`` and fails with ``KeyError: 'TagKey'``
    (HTTP 500), so no template with a tagged KMS key can be created. The patch
    converts the tags to the KMS API's shape first, as CloudFormation does.

A change set name is unique per stack.
    moto 5.2 accepts a second CreateChangeSet with the same stack and change set
    name and creates a second stack; AWS answers AlreadyExistsException. A retried
    CreateChangeSet (its first answer lost) must not create anything twice.

A Fargate task needs no container-level memory.
    On Fargate the task-level ``memory`` is required and a container's ``memory`` /
    ``memoryReservation`` are optional (Amazon ECS Developer Guide, "Task definition
    parameters for Fargate"). moto 5.2's ``_calculate_task_resource_requirements``, which
    RunTask calls, adds each container's memory and fails with ``TypeError`` (HTTP 500)
    when a container has none, so the hub's user servers, whose task definitions set memory
    only per task, could not start. For a Fargate task definition with task-level memory
    (and only there, as on AWS) the patch counts a container without memory as 0 (moto uses
    the sum only to place tasks on EC2 container instances).

An ECS task runs until it is stopped.
    moto 5.2 moves a task one step towards STOPPED (RUNNING, DEACTIVATING, STOPPING,
    DEPROVISIONING, STOPPED) each time DescribeTasks reads it (its state manager's default
    for ``ecs::task``: manual progression, once per read), so a user server "stops" while
    the spawner watches it start. On AWS a task that started stays RUNNING until StopTask
    (or its container exits). The launcher sets moto's own state-manager transition for
    ``ecs::task`` so that reads never advance it; StopTask still stops it at once (on AWS
    it passes DEACTIVATING, STOPPING and DEPROVISIONING first). moto runs no containers, so
    a task never stops by itself here as it does on AWS when its essential container exits:
    the spawner's handling of those states is tested with stand-in answers in
    tests/hub/check_config.py.

CloudFormation models for types moto 5.2.5 does not model (patch_cloudformation_models).
    moto's CloudFormation knows a type only if a ``CloudFormationModel`` subclass declares it;
    for any other type it logs "No Moto CloudFormation support", creates nothing, and a Ref to
    the resource resolves to None (the hub's HTTPS listener then failed with
    ``KeyError: 'CertificateArn'``, HTTP 500). Missing for the example: SecretsManager::Secret
    and SecretTargetAttachment, EC2::SecurityGroupEgress, S3::BucketPolicy,
    ServiceDiscovery::PrivateDnsNamespace and Service, CertificateManager::Certificate,
    Cognito::UserPool, UserPoolClient and UserPoolDomain. The launcher registers models for
    these that create the real object through moto's own backend (so the service's API shows
    it), with Ref and GetAtt as the CloudFormation reference documents them: Secret Ref = ARN
    (GenerateSecretString honoured), SecretTargetAttachment Ref = the secret's ARN and adds
    engine/host/port/dbInstanceIdentifier of the RDS instance to the secret's JSON, as AWS does;
    SecurityGroupEgress Ref = the rule id ``sgr-...``; BucketPolicy puts the policy (Ref = the
    bucket name); namespace Ref = ``ns-...`` (GetAtt Id, Arn, HostedZoneId; deleting it also
    deletes its private hosted zone, as AWS does); Cloud Map service Ref = ``srv-...`` (GetAtt
    Id, Arn, Name); Certificate Ref = its ARN; UserPool Ref = the pool id (GetAtt Arn,
    ProviderName, ProviderURL, UserPoolId); UserPoolClient Ref = the client id (GetAtt
    ClientSecret, Name, ClientId); UserPoolDomain Ref = the domain. Any other ``AWS::`` type
    without a model gets a placeholder (logged as a warning): Ref = a generated
    ``<stack>-<logical id>-<suffix>``, a GetAtt ending in ``Arn`` an ARN of that name, any
    other GetAtt the same name. Updates replace the resource.

    A DNS-validated certificate writes its validation CNAME. With ``ValidationMethod: DNS`` and
    ``DomainValidationOptions[].HostedZoneId`` CloudFormation writes the validation record
    (``_<hex>.<domain>.`` CNAME ``_<hex>.<...>.acm-validations.aws.``) into that zone, and
    deleting the certificate or its stack leaves it there
    (aws-cloudformation/cloudformation-coverage-roadmap#1603). The model writes the record
    DescribeCertificate shows into the moto zone (through ChangeResourceRecordSets, so a later
    DELETE of it matches) and leaves it on delete.

Subnets and VPCs get their zone and DNS settings (patch_subnet_availability_zone_id).
    moto's AWS::EC2::Subnet reads only ``AvailabilityZone``; with ``AvailabilityZoneId`` every
    subnet landed in one default zone and the second EFS mount target failed with
    MountTargetConflict. The patch passes ``AvailabilityZoneId`` to ``create_subnet``. moto's
    AWS::EC2::VPC ignores ``EnableDnsHostnames`` / ``EnableDnsSupport``; without DNS
    hostnames moto's network interfaces have no private DNS name and an awsvpc RunTask in the
    VPC fails with AttributeError (HTTP 500). The patch applies both properties.

ECS resources as CloudFormation creates and deletes them (patch_ecs_cloudformation).
    moto's AWS::ECS::TaskDefinition passes only family, containers, volumes and memory, so a
    Fargate task definition came out with networkMode ``bridge``, no cpu, no roles and no
    ``requiresCompatibilities`` (and RunTask of it then failed, HTTP 500, since its containers
    have no memory of their own); its keys are converted with moto's PascalCase-to-camelCase,
    which turns ``EFSVolumeConfiguration`` into ``eFSVolumeConfiguration``. AWS::ECS::Service
    passes only cluster, name, count and task definition (no launch type, network
    configuration, load balancers or service registries). Neither, nor the cluster, is
    deleted with the stack. The patch passes every property (acronyms converted as the API
    spells them), names a task definition family without ``Family`` like any generated name,
    registers a new revision on update, and on stack delete deregisters task definitions,
    deletes services (force, as CloudFormation scales them to 0) and deletes the cluster
    through DeleteCluster.

DeleteCluster refuses a cluster in use (patch_ecs_delete_cluster_in_use).
    AWS answers ClusterContainsServicesException while the cluster has an ACTIVE service and
    ClusterContainsTasksException while it has tasks that are not STOPPED (those started with
    RunTask outside any service are what the hub leaves behind); moto 5.2 marks the cluster
    INACTIVE regardless. The patch raises both, for the API and for CloudFormation's delete.

CloudFormation deletes its AWS::Route53::HostedZone (patch_hosted_zone_cloudformation_delete).
    moto's FakeZone has no CloudFormation delete, so a stack delete left the zone and
    succeeded even with records in it. The patch deletes it through moto's DeleteHostedZone,
    which raises HostedZoneNotEmpty while records other than SOA and NS remain (as AWS does);
    with patch 14 the stack then ends DELETE_FAILED with that reason.

List<...> / CommaDelimitedList parameters show as passed (patch_list_parameter_values).
    moto splits such a value into a Python list to resolve Refs, and DescribeStacks then showed
    the list's repr (``['subnet-a', 'subnet-b']``); AWS shows the comma-joined string the
    caller passed. The patch shows the passed string (and a default as written in the
    template). It also masks NoEcho parameters as ``****`` (moto compared the value, not the
    key, with its NoEcho list). DescribeChangeSet already shows the passed strings.

GetAtt and Ref values moto declares but does not return (patch_missing_get_att).
    ElasticLoadBalancingV2::LoadBalancer ``CanonicalHostedZoneID`` (and LoadBalancerFullName,
    SecurityGroups) raise NotImplementedError, after which moto substituted the unresolved
    ``Fn::GetAtt`` object; EFS::AccessPoint has no GetAtt at all (AttributeError, HTTP 500) and
    its Ref was the model object. The patch returns the values the APIs show (the load
    balancer's ``CanonicalHostedZoneId`` from DescribeLoadBalancers, the access point's ARN and
    id).

CloudFormation deletes the EC2 and ELBv2 resources it created (patch_cloudformation_deletes).
    moto 5.2 has no CloudFormation delete for EIP, FlowLog, InternetGateway, NatGateway,
    Route, RouteTable, SecurityGroupIngress, SubnetRouteTableAssociation, VPCEndpoint,
    VPCGatewayAttachment, Listener and TargetGroup: a stack delete reported them deleted but
    left them, so the frame's VPC could not be deleted (route tables remained:
    DependencyViolation). The patch deletes each through the backend's API code (a NAT
    gateway's network interface and address association with it, as AWS does).

A stack is deleted in reverse dependency order; a failure leaves it DELETE_FAILED
(patch_stack_delete_order).
    moto's ``ResourceMap.delete`` walks a set of logical ids, so the order (and which
    DependencyViolation it meets first) depended on PYTHONHASHSEED; it retries failed
    resources until a pass makes no progress and then raises the last exception, so
    DeleteStack answered that error (or HTTP 500) and the stack had already been removed from
    the list of stacks. AWS deletes a resource only after everything that Refs, GetAtts, Subs
    or DependsOn it; a resource that fails to delete leaves the stack DELETE_FAILED
    ("The following resource(s) failed to delete: [X]. ") with that resource, and the ones it
    depends on, still in the stack, so a DeleteStack retried after the cause is removed
    deletes the rest. The patch deletes in that order (ties: later in the template first),
    records DELETE_COMPLETE / DELETE_FAILED resource events with the handler's message, keeps
    a failed stack (status, StackStatusReason, remaining resources, exports) and removes it
    only when everything is deleted; resources already deleted are not re-created by moto's
    lazy resource map when the stack is read. DeletionPolicy Retain resources are left.

A policy statement whose Condition does not hold does not apply
(patch_policy_conditions_that_do_not_hold).
    moto's ``IAMPolicyStatement.is_action_permitted`` answers DENIED for any statement
    whose Condition it cannot satisfy, whatever its Effect. With the buckets' TLS-only
    statement (``Deny s3:*`` to everyone ``if aws:SecureTransport is false``) moto, which
    has no value for the key, denied every request to the bucket (HTTP 403), where AWS
    denies only plain-HTTP requests and every AWS SDK uses TLS. In IAM's evaluation a
    statement whose condition does not match is not applicable. The patch turns that
    DENIED into NEUTRAL for statements with a Condition that does not hold, and gives
    S3's bucket-policy check the request context AWS would have (``aws:SecureTransport``
    true: the tests' plain HTTP to loopback is the double's transport, not the client's);
    moto's check had no context at all, and it evaluates only ``StringEquals`` (any other
    operator counts as met), so ``Bool`` is added, compared case-insensitively. What the
    policies allow and deny is proven by the IAM evaluator tests (tests/it/iam), not here.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time


def patch_execute_change_set_outputs() -> None:
    """Make ExecuteChangeSet rebuild the stack's Outputs from the executed template."""
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set
    if getattr(original, "_hubctl_patched", False):
        return

    def execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
        original(self, change_set_name, stack_name)
        # Same lookup as moto's execute_change_set (change set ARN, else name).
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        # What Stack.update (UpdateStack) does after ResourceMap.update:
        stack._parse_template()
        stack.output_map = stack._create_output_map()

    execute_change_set._hubctl_patched = True  # type: ignore[attr-defined]
    execute_change_set.__doc__ = original.__doc__
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]


def patch_kms_key_cloudformation_tags() -> None:
    """Give moto's KMS the tag shape its API code expects, as CloudFormation does."""
    from moto.kms.models import Key

    original = Key.create_from_cloudformation_json.__func__
    if getattr(original, "_hubctl_patched", False):
        return

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        properties = cloudformation_json.get("Properties", {})
        tags = properties.get("Tags")
        if tags:
            properties = dict(properties, Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tags])
            cloudformation_json = dict(cloudformation_json, Properties=properties)
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    create_from_cloudformation_json._hubctl_patched = True  # type: ignore[attr-defined]
    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign]


def patch_unique_change_set_names() -> None:
    """CreateChangeSet with a name the stack already has is AlreadyExistsException."""
    from moto.cloudformation.exceptions import AlreadyExistsException
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.create_change_set
    if getattr(original, "_hubctl_patched", False):
        return

    def create_change_set(self, stack_name, change_set_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        for change_set in self.change_sets.values():
            if change_set.change_set_name == change_set_name and change_set.stack_name == stack_name:
                raise AlreadyExistsException(change_set_name)
        return original(self, stack_name, change_set_name, *args, **kwargs)

    create_change_set._hubctl_patched = True  # type: ignore[attr-defined]
    CloudFormationBackend.create_change_set = create_change_set  # type: ignore[method-assign]


def patch_fargate_container_memory() -> None:
    """RunTask of a task definition whose containers leave memory to the task."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements
    if getattr(original, "_hubctl_patched", False):
        return
    keys = ("memory", "memoryReservation", "Memory", "MemoryReservation")

    def calculate(task_definition):  # type: ignore[no-untyped-def]
        # Only where AWS allows it: a Fargate task definition with task-level memory.
        fargate = "FARGATE" in (getattr(task_definition, "requires_compatibilities", None) or [])
        if not (fargate and getattr(task_definition, "memory", None)):
            return original(task_definition)
        missing = [c for c in task_definition.container_definitions if not any(c.get(k) is not None for k in keys)]
        for container in missing:
            container["memoryReservation"] = 0
        try:
            return original(task_definition)
        finally:
            for container in missing:
                del container["memoryReservation"]

    calculate._hubctl_patched = True  # type: ignore[attr-defined]
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(calculate)  # type: ignore[method-assign]


def patch_ecs_tasks_keep_running() -> None:
    """A task stays RUNNING however often DescribeTasks reads it, until StopTask."""
    from moto.moto_api import state_manager

    state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 2**62})



# --- CloudFormation resource types moto does not model, or models in part -------------------

_SERVICE_ERRORS = (Exception,)


def _props(cloudformation_json):  # type: ignore[no-untyped-def]
    return cloudformation_json.get("Properties") or {}


def _api_tags(tags):  # type: ignore[no-untyped-def]
    """CloudFormation's [{Key, Value}] as the [{Key, Value}] most AWS APIs take (a copy)."""
    return [{"Key": t["Key"], "Value": t["Value"]} for t in (tags or [])]


class _Model:
    """Shared behaviour of the launcher's CloudFormation models (see patch_cloudformation_models).

    ``TYPE`` is the CloudFormation type, ``NAME_PROPERTY`` the property that names the resource
    (moto then passes its value, or a generated ``<stack>-<logical id>-<suffix>``, as
    ``resource_name``), ``ATTRS`` the GetAtt attributes. A subclass implements ``_create`` (returns
    the physical id and the attribute values) and, where AWS deletes something, ``_delete``.
    """

    TYPE = ""
    NAME_PROPERTY = ""
    ATTRS: tuple = ()

    def __init__(self, physical_id, attributes, properties, account_id, region_name):  # type: ignore[no-untyped-def]
        self._physical_id = physical_id
        self._attributes = attributes
        self._properties = properties
        self._account_id = account_id
        self._region_name = region_name

    @property
    def physical_resource_id(self):  # type: ignore[no-untyped-def]
        return self._physical_id

    @classmethod
    def cloudformation_type(cls):  # type: ignore[no-untyped-def]
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls):  # type: ignore[no-untyped-def]
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr):  # type: ignore[no-untyped-def]
        return attr in cls.ATTRS

    def get_cfn_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name in self._attributes:
            return self._attributes[attribute_name]
        raise UnformattedGetAttTemplateException()

    def is_created(self):  # type: ignore[no-untyped-def]
        return True

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        properties = _props(cloudformation_json)
        physical_id, attributes = cls._create(resource_name, properties, account_id, region_name, kwargs)
        return cls(physical_id, attributes, properties, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        # Replacement (create the new one, then delete the old), the conservative reading of
        # "Update requires: Replacement" that keeps an update from failing outright.
        new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        original_resource.delete(account_id, region_name)
        return new

    def delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
        self._delete(account_id, region_name)

    def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
        pass

    @classmethod
    def _create(cls, name, properties, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def _arn(service, region_name, account_id, resource):  # type: ignore[no-untyped-def]
    return f"arn:aws:{service}:{region_name}:{account_id}:{resource}"


def _define_models():  # type: ignore[no-untyped-def]
    """The launcher's models, each a direct subclass of CloudFormationModel (moto's registry)."""
    from moto.core.common_models import CloudFormationModel

    def backend(module, account_id, region_name):  # type: ignore[no-untyped-def]
        import importlib

        mod = importlib.import_module(f"moto.{module}.models")
        backends = getattr(mod, f"{module}_backends")
        return backends[account_id][region_name]

    def global_backend(module, account_id):  # type: ignore[no-untyped-def]
        import importlib

        mod = importlib.import_module(f"moto.{module}.models")
        return getattr(mod, f"{module}_backends")[account_id]["aws"]

    class Secret(_Model, CloudFormationModel):
        __module__ = "moto.secretsmanager.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::SecretsManager::Secret"
        NAME_PROPERTY = "Name"
        ATTRS = ("Id",)

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            sm = backend("secretsmanager", account_id, region_name)
            secret_string = p.get("SecretString")
            generate = p.get("GenerateSecretString")
            if secret_string is None and generate is not None:
                password = json.loads(
                    sm.get_random_password(
                        password_length=int(generate.get("PasswordLength", 32)),
                        exclude_characters=generate.get("ExcludeCharacters", ""),
                        exclude_numbers=_bool(generate.get("ExcludeNumbers")),
                        exclude_punctuation=_bool(generate.get("ExcludePunctuation")),
                        exclude_uppercase=_bool(generate.get("ExcludeUppercase")),
                        exclude_lowercase=_bool(generate.get("ExcludeLowercase")),
                        include_space=_bool(generate.get("IncludeSpace")),
                        require_each_included_type=_bool(generate.get("RequireEachIncludedType", True)),
                    )
                )["RandomPassword"]
                if generate.get("SecretStringTemplate") is not None and generate.get("GenerateStringKey"):
                    value = json.loads(generate["SecretStringTemplate"])
                    value[generate["GenerateStringKey"]] = password
                    secret_string = json.dumps(value)
                else:
                    secret_string = password
            created = sm.create_secret(
                name=name,
                secret_string=secret_string,
                secret_binary=None,
                description=p.get("Description"),
                tags=_api_tags(p.get("Tags")),
                kms_key_id=p.get("KmsKeyId"),
                client_request_token=None,
                replica_regions=p.get("ReplicaRegions") or [],
                force_overwrite=False,
            )
            arn = json.loads(created)["ARN"] if isinstance(created, str) else created["ARN"]
            return arn, {"Id": arn}

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            sm = backend("secretsmanager", account_id, region_name)
            sm.delete_secret(self._physical_id, None, True)

    class SecretTargetAttachment(_Model, CloudFormationModel):
        __module__ = "moto.secretsmanager.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::SecretsManager::SecretTargetAttachment"

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            # Adds the target's connection details to the secret's JSON, as CloudFormation does
            # for an RDS instance. Ref is the secret's ARN.
            sm = backend("secretsmanager", account_id, region_name)
            secret = sm.describe_secret(p["SecretId"])
            arn = secret.arn
            if p.get("TargetType") == "AWS::RDS::DBInstance":
                rds = backend("rds", account_id, region_name)
                db = rds.describe_db_instances(p["TargetId"])[0]
                current = sm.get_secret_value(arn, None, None)
                value = json.loads(current.get("SecretString") or "{}")
                value.update(
                    engine=db.engine,
                    host=db.address,
                    port=int(db.port),
                    dbInstanceIdentifier=db.db_instance_identifier,
                )
                sm.put_secret_value(arn, json.dumps(value), None, None, ["AWSCURRENT"])
            return arn, {}

    class SecurityGroupEgress(_Model, CloudFormationModel):
        __module__ = "moto.ec2.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::EC2::SecurityGroupEgress"

        @classmethod
        def _rule(cls, p):  # type: ignore[no-untyped-def]
            kw = dict(
                group_name_or_id=p["GroupId"],
                ip_protocol=str(p["IpProtocol"]),
                from_port=p.get("FromPort"),
                to_port=p.get("ToPort"),
                ip_ranges=[],
                source_groups=[],
                prefix_list_ids=[],
            )
            if p.get("CidrIp"):
                kw["ip_ranges"] = [{"CidrIp": p["CidrIp"], "Description": p.get("Description")}]
            if p.get("CidrIpv6"):
                kw["ip_ranges"] = [{"CidrIpv6": p["CidrIpv6"], "Description": p.get("Description")}]
            if p.get("DestinationSecurityGroupId"):
                kw["source_groups"] = [{"GroupId": p["DestinationSecurityGroupId"], "Description": p.get("Description")}]
            if p.get("DestinationPrefixListId"):
                kw["prefix_list_ids"] = [{"PrefixListId": p["DestinationPrefixListId"], "Description": p.get("Description")}]
            return kw

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            ec2 = backend("ec2", account_id, region_name)
            rules, _ = ec2.authorize_security_group_egress(**cls._rule(p))
            return rules[0].id, {"Id": rules[0].id}

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            ec2 = backend("ec2", account_id, region_name)
            ec2.revoke_security_group_egress(**self._rule(self._properties))

    class BucketPolicy(_Model, CloudFormationModel):
        __module__ = "moto.s3.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::S3::BucketPolicy"

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            s3 = global_backend("s3", account_id)
            document = p["PolicyDocument"]
            s3.put_bucket_policy(p["Bucket"], (document if isinstance(document, str) else json.dumps(document)).encode())
            return p["Bucket"], {}

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            s3 = global_backend("s3", account_id)
            if self._physical_id in s3.buckets:
                s3.delete_bucket_policy(self._physical_id)

    class PrivateDnsNamespace(_Model, CloudFormationModel):
        __module__ = "moto.servicediscovery.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::ServiceDiscovery::PrivateDnsNamespace"
        NAME_PROPERTY = "Name"
        ATTRS = ("Arn", "HostedZoneId", "Id")

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            sd = backend("servicediscovery", account_id, region_name)
            before = set(sd.namespaces)
            sd.create_private_dns_namespace(
                name=name,
                creator_request_id=None,
                description=p.get("Description"),
                vpc=p["Vpc"],
                tags=_api_tags(p.get("Tags")),
                properties=p.get("Properties") or {},
            )
            (ns_id,) = set(sd.namespaces) - before
            ns = sd.namespaces[ns_id]
            return ns.id, {"Id": ns.id, "Arn": ns.arn, "HostedZoneId": ns.dns_properties.get("HostedZoneId")}

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            # AWS deletes the namespace's private hosted zone with it (moto's API keeps it).
            sd = backend("servicediscovery", account_id, region_name)
            zone_id = self._attributes.get("HostedZoneId")
            sd.delete_namespace(self._physical_id)
            if zone_id:
                r53 = global_backend("route53", account_id)
                r53.zones.pop(zone_id.split("/")[-1], None)

    class DiscoveryService(_Model, CloudFormationModel):
        __module__ = "moto.servicediscovery.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::ServiceDiscovery::Service"
        NAME_PROPERTY = "Name"
        ATTRS = ("Arn", "Id", "Name")

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            sd = backend("servicediscovery", account_id, region_name)
            dns_config = p.get("DnsConfig")
            namespace_id = p.get("NamespaceId") or (dns_config or {}).get("NamespaceId")
            service = sd.create_service(
                name=name,
                namespace_id=namespace_id,
                creator_request_id=None,
                description=p.get("Description"),
                dns_config=dns_config,
                health_check_config=p.get("HealthCheckConfig"),
                health_check_custom_config=p.get("HealthCheckCustomConfig"),
                tags=_api_tags(p.get("Tags")),
                service_type=p.get("Type"),
            )
            return service.id, {"Id": service.id, "Arn": service.arn, "Name": service.name}

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            backend("servicediscovery", account_id, region_name).delete_service(self._physical_id)

    class Certificate(_Model, CloudFormationModel):
        __module__ = "moto.acm.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::CertificateManager::Certificate"

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            acm = backend("acm", account_id, region_name)
            arn = acm.request_certificate(
                domain_name=p["DomainName"],
                idempotency_token=None,
                subject_alt_names=p.get("SubjectAlternativeNames") or [],
                tags=_api_tags(p.get("Tags")),
                cert_authority_arn=p.get("CertificateAuthorityArn"),
            )
            if p.get("ValidationMethod") == "DNS":
                _write_validation_records(acm, arn, p.get("DomainValidationOptions") or [], account_id)
            return arn, {"Id": arn}

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            # The validation CNAMEs stay in their zones, as on AWS.
            backend("acm", account_id, region_name).delete_certificate(self._physical_id)

    def _write_validation_records(acm, arn, options, account_id):  # type: ignore[no-untyped-def]
        records = {
            o["DomainName"]: o["ResourceRecord"]
            for o in acm.describe_certificate(arn).describe()["Certificate"].get("DomainValidationOptions", [])
        }
        r53 = global_backend("route53", account_id)
        for option in options:
            record = records.get(option.get("DomainName"))
            zone_id = option.get("HostedZoneId")
            if record is None or not zone_id:
                continue
            # Through the ChangeResourceRecordSets path (moto journals changes there, and a
            # later DELETE of the record must match a journaled change).
            change = {
                "Action": "UPSERT",
                "ResourceRecordSet": {
                    "Name": record["Name"],
                    "Type": record["Type"],
                    "TTL": 300,
                    "ResourceRecords": [{"Value": record["Value"]}],
                },
            }
            r53.change_resource_record_sets(zone_id, [change])

    class UserPool(_Model, CloudFormationModel):
        __module__ = "moto.cognitoidp.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::Cognito::UserPool"
        NAME_PROPERTY = "UserPoolName"
        ATTRS = ("Arn", "ProviderName", "ProviderURL", "UserPoolId")

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            idp = backend("cognitoidp", account_id, region_name)
            config = {k: v for k, v in p.items() if k not in ("UserPoolName", "UserPoolTags")}
            if p.get("UserPoolTags"):
                config["UserPoolTags"] = dict(p["UserPoolTags"])
            pool = idp.create_user_pool(name, config)
            provider = f"cognito-idp.{region_name}.amazonaws.com/{pool.id}"
            return pool.id, {
                "Arn": pool.arn,
                "ProviderName": provider,
                "ProviderURL": f"https://{provider}",
                "UserPoolId": pool.id,
            }

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            backend("cognitoidp", account_id, region_name).delete_user_pool(self._physical_id)

    class UserPoolClient(_Model, CloudFormationModel):
        __module__ = "moto.cognitoidp.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::Cognito::UserPoolClient"
        ATTRS = ("ClientId", "ClientSecret", "Name")

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            idp = backend("cognitoidp", account_id, region_name)
            config = {k: v for k, v in p.items() if k not in ("UserPoolId", "GenerateSecret")}
            config.setdefault("ClientName", name)
            client = idp.create_user_pool_client(p["UserPoolId"], _bool(p.get("GenerateSecret")), config)
            attributes = {"ClientId": client.id, "Name": config["ClientName"]}
            if client.generate_secret:
                attributes["ClientSecret"] = client.secret
            return client.id, attributes

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            idp = backend("cognitoidp", account_id, region_name)
            pool_id = self._properties["UserPoolId"]
            if pool_id in idp.user_pools:
                idp.delete_user_pool_client(pool_id, self._physical_id)

    class UserPoolDomain(_Model, CloudFormationModel):
        __module__ = "moto.cognitoidp.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::Cognito::UserPoolDomain"
        ATTRS = ("CloudFrontDistribution",)

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            idp = backend("cognitoidp", account_id, region_name)
            domain = idp.create_user_pool_domain(p["UserPoolId"], p["Domain"], p.get("CustomDomainConfig"))
            distribution = domain._distribution() if hasattr(domain, "_distribution") else f"{_hex(p['Domain'], 14)}.cloudfront.net"
            return p["Domain"], {"CloudFrontDistribution": distribution}

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            backend("cognitoidp", account_id, region_name).delete_user_pool_domain(self._physical_id)

    return [
        Secret,
        SecretTargetAttachment,
        SecurityGroupEgress,
        BucketPolicy,
        PrivateDnsNamespace,
        DiscoveryService,
        Certificate,
        UserPool,
        UserPoolClient,
        UserPoolDomain,
    ]


def _bool(value):  # type: ignore[no-untyped-def]
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _hex(seed, n):  # type: ignore[no-untyped-def]
    import hashlib

    return hashlib.sha256(seed.encode()).hexdigest()[:n]


class _Placeholder:
    """Stands in for a resource type that neither moto nor the launcher models (see docstring)."""

    def __init__(self, resource_type, physical_id, account_id, region_name):  # type: ignore[no-untyped-def]
        self.resource_type = resource_type
        self._physical_id = physical_id
        self._account_id = account_id
        self._region_name = region_name

    @property
    def physical_resource_id(self):  # type: ignore[no-untyped-def]
        return self._physical_id

    def get_cfn_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        if attribute_name.endswith("Arn"):
            service = self.resource_type.split("::")[1].lower()
            return _arn(service, self._region_name, self._account_id, self._physical_id)
        return self._physical_id

    def is_created(self):  # type: ignore[no-untyped-def]
        return True

    def delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
        pass


def patch_cloudformation_models() -> None:
    """Register the launcher's models; any other unmodeled AWS:: type gets a placeholder."""
    from moto.cloudformation import parsing
    if getattr(parsing.resource_class_from_type, "_hubctl_patched", False):
        return
    _define_models()
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    original = parsing.resource_class_from_type
    placeholders: dict = {}

    def resource_class_from_type(resource_type):  # type: ignore[no-untyped-def]
        if (
            resource_type in parsing.NULL_MODELS
            or resource_type.startswith("Custom::")
            or resource_type in parsing.get_model_map()
            or not resource_type.startswith("AWS::")
        ):
            return original(resource_type)
        if resource_type not in placeholders:
            parsing.logger.warning("hubctl launcher: placeholder for %s (no moto model)", resource_type)

            class Placeholder:
                @staticmethod
                def cloudformation_type():  # type: ignore[no-untyped-def]
                    return resource_type

                @classmethod
                def has_cfn_attr(cls, attr):  # type: ignore[no-untyped-def]
                    return True

                @classmethod
                def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
                    return _Placeholder(resource_type, resource_name, account_id, region_name)

                @classmethod
                def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
                    return original_resource

            placeholders[resource_type] = Placeholder
        return placeholders[resource_type]

    resource_class_from_type._hubctl_patched = True  # type: ignore[attr-defined]
    parsing.resource_class_from_type = resource_class_from_type


def patch_subnet_availability_zone_id() -> None:
    """AWS::EC2::Subnet with AvailabilityZoneId lands in that zone."""
    from moto.ec2.models.subnets import Subnet

    original = Subnet.create_from_cloudformation_json.__func__
    if getattr(original, "_hubctl_patched", False):
        return

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        from moto.ec2.models import ec2_backends

        properties = _props(cloudformation_json)
        if properties.get("AvailabilityZone") or not properties.get("AvailabilityZoneId"):
            return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        subnet = ec2_backends[account_id][region_name].create_subnet(
            vpc_id=properties["VpcId"],
            cidr_block=properties["CidrBlock"],
            availability_zone_id=properties["AvailabilityZoneId"],
        )
        for tag in properties.get("Tags", []):
            subnet.add_tag(tag["Key"], tag["Value"])
        return subnet

    create_from_cloudformation_json._hubctl_patched = True  # type: ignore[attr-defined]
    Subnet.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign]

    # AWS::EC2::VPC's EnableDnsHostnames / EnableDnsSupport (moto's CloudFormation ignores them;
    # without DNS hostnames moto's ENIs have no private DNS name and an awsvpc RunTask fails
    # with HTTP 500).
    from moto.ec2.models.vpcs import VPC

    original_vpc = VPC.create_from_cloudformation_json.__func__

    def vpc_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        vpc = original_vpc(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = _props(cloudformation_json)
        if "EnableDnsHostnames" in properties:
            vpc.enable_dns_hostnames = _bool(properties["EnableDnsHostnames"])
        if "EnableDnsSupport" in properties:
            vpc.enable_dns_support = _bool(properties["EnableDnsSupport"])
        return vpc

    VPC.create_from_cloudformation_json = classmethod(vpc_create)  # type: ignore[method-assign]


def _api_camel_case(key):  # type: ignore[no-untyped-def]
    match = re.match(r"[A-Z]+", key)
    if not match:
        return key
    run = match.group(0)
    if len(run) > 1 and len(run) < len(key) and key[len(run)].islower():
        run = run[:-1]  # the last capital starts the next word
    return run.lower() + key[len(run):]


def _ecs_tags(tags):  # type: ignore[no-untyped-def]
    return [{"key": t["Key"], "value": t["Value"]} for t in (tags or [])]


def patch_ecs_cloudformation() -> None:
    """AWS::ECS::TaskDefinition / Service / Cluster as CloudFormation creates and deletes them."""
    from moto.core.utils import remap_nested_keys
    from moto.ecs.models import Cluster, Service, TaskDefinition, ecs_backends

    if getattr(TaskDefinition.create_from_cloudformation_json.__func__, "_hubctl_patched", False):
        return

    def camel(value):  # type: ignore[no-untyped-def]
        # CloudFormation's PascalCase as the API's camelCase, leading acronyms included
        # (EFSVolumeConfiguration -> efsVolumeConfiguration, IAM -> iam).
        return remap_nested_keys(value, _api_camel_case) if value is not None else None

    def task_definition_args(resource_name, properties):  # type: ignore[no-untyped-def]
        return dict(
            family=properties.get("Family") or resource_name,
            container_definitions=camel(properties.get("ContainerDefinitions", [])),
            volumes=camel(properties.get("Volumes", [])),
            network_mode=properties.get("NetworkMode"),
            tags=_ecs_tags(properties.get("Tags")),
            placement_constraints=camel(properties.get("PlacementConstraints")),
            requires_compatibilities=properties.get("RequiresCompatibilities"),
            cpu=properties.get("Cpu"),
            memory=properties.get("Memory"),
            task_role_arn=properties.get("TaskRoleArn"),
            execution_role_arn=properties.get("ExecutionRoleArn"),
            proxy_configuration=camel(properties.get("ProxyConfiguration")),
            runtime_platform=camel(properties.get("RuntimePlatform")),
            ipc_mode=properties.get("IpcMode"),
            pid_mode=properties.get("PidMode"),
            ephemeral_storage=camel(properties.get("EphemeralStorage")),
        )

    def td_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        args = task_definition_args(resource_name, _props(cloudformation_json))
        return ecs_backends[account_id][region_name].register_task_definition(**args)

    def td_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        # A task definition is immutable: CloudFormation registers a new revision and
        # deregisters the old one.
        new = td_create(cls, new_resource_name, cloudformation_json, account_id, region_name)
        ecs_backends[account_id][region_name].deregister_task_definition(original_resource.arn)
        return new

    def td_delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ecs_backends[account_id][region_name].deregister_task_definition(self.arn)

    def service_args(resource_name, properties):  # type: ignore[no-untyped-def]
        cluster = properties.get("Cluster", "default")
        task_definition = properties.get("TaskDefinition")
        return dict(
            cluster_str=cluster.name if isinstance(cluster, Cluster) else cluster,
            service_name=resource_name,
            desired_count=int(properties["DesiredCount"]) if properties.get("DesiredCount") is not None else None,
            task_definition_str=task_definition.arn if isinstance(task_definition, TaskDefinition) else task_definition,
            load_balancers=camel(properties.get("LoadBalancers")),
            scheduling_strategy=properties.get("SchedulingStrategy"),
            tags=_ecs_tags(properties.get("Tags")),
            deployment_controller=camel(properties.get("DeploymentController")),
            launch_type=properties.get("LaunchType"),
            service_registries=camel(properties.get("ServiceRegistries")),
            platform_version=properties.get("PlatformVersion"),
            propagate_tags=properties.get("PropagateTags") or "NONE",
            network_configuration=camel(properties.get("NetworkConfiguration")),
            role_arn=properties.get("Role"),
        )

    def service_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        args = service_args(resource_name, _props(cloudformation_json))
        return ecs_backends[account_id][region_name].create_service(**args)

    def service_delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
        # CloudFormation scales the service to 0 and deletes it.
        backend = ecs_backends[account_id][region_name]
        if self.status == "ACTIVE":
            backend.delete_service(self.cluster_arn, self.name, force=True)

    def cluster_delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ecs_backends[account_id][region_name].delete_cluster(self.arn)

    for function in (td_create, td_update, service_create):
        function._hubctl_patched = True  # type: ignore[attr-defined]
    TaskDefinition.create_from_cloudformation_json = classmethod(td_create)  # type: ignore[method-assign]
    TaskDefinition.update_from_cloudformation_json = classmethod(td_update)  # type: ignore[method-assign]
    TaskDefinition.delete = td_delete  # type: ignore[attr-defined]
    Service.create_from_cloudformation_json = classmethod(service_create)  # type: ignore[method-assign]
    Service.delete = service_delete  # type: ignore[attr-defined]
    Cluster.delete = cluster_delete  # type: ignore[attr-defined]


def patch_ecs_delete_cluster_in_use() -> None:
    """DeleteCluster of a cluster with active services or running tasks fails, as on AWS."""
    from moto.ecs.exceptions import ECSException
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.delete_cluster
    if getattr(original, "_hubctl_patched", False):
        return

    class ClusterContainsServicesException(ECSException):
        def __init__(self) -> None:
            super().__init__(
                "ClusterContainsServicesException",
                "The Cluster cannot be deleted while Services are active.",
            )

    class ClusterContainsTasksException(ECSException):
        def __init__(self) -> None:
            super().__init__(
                "ClusterContainsTasksException",
                "The Cluster cannot be deleted while Tasks are active.",
            )

    def delete_cluster(self, cluster_str):  # type: ignore[no-untyped-def]
        cluster = self._get_cluster(cluster_str)
        if any(s.cluster_arn == cluster.arn and s.status == "ACTIVE" for s in self.services.values()):
            raise ClusterContainsServicesException()
        if any(t.last_status != "STOPPED" for t in self.tasks.get(cluster.name, {}).values()):
            raise ClusterContainsTasksException()
        return original(self, cluster_str)

    delete_cluster._hubctl_patched = True  # type: ignore[attr-defined]
    EC2ContainerServiceBackend.delete_cluster = delete_cluster  # type: ignore[method-assign]


def patch_hosted_zone_cloudformation_delete() -> None:
    """CloudFormation deletes its AWS::Route53::HostedZone, through DeleteHostedZone's checks."""
    from moto.route53.models import FakeZone, route53_backends

    if getattr(getattr(FakeZone, "delete", None), "_hubctl_patched", False):
        return

    def delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
        route53_backends[account_id]["aws"].delete_hosted_zone(self.id)

    delete._hubctl_patched = True  # type: ignore[attr-defined]
    FakeZone.delete = delete  # type: ignore[attr-defined]


def patch_list_parameter_values() -> None:
    """DescribeStacks shows a List<...> / CommaDelimitedList parameter as the string passed."""
    from moto.cloudformation.models import Stack

    if getattr(Stack.parameter_list.fget, "_hubctl_patched", False):
        return

    def parameter_list(self):  # type: ignore[no-untyped-def]
        resource_map = self.resource_map
        slots = resource_map._template.get("Parameters", {}) if resource_map._template else {}
        shown = []
        for key, value in resource_map.resolved_parameters.items():
            if key in resource_map.no_echo_parameter_keys:
                value = "****"
            elif key in resource_map.input_parameters:
                value = resource_map.input_parameters[key]
            elif isinstance(value, list):
                value = ",".join(str(v) for v in value)
            elif key in slots and "Default" in slots[key] and not str(slots[key].get("Type", "")).startswith("AWS::SSM::"):
                value = slots[key]["Default"]
            shown.append({"ParameterKey": key, "ParameterValue": value})
        return shown

    parameter_list._hubctl_patched = True  # type: ignore[attr-defined]
    Stack.parameter_list = property(parameter_list)  # type: ignore[assignment]


def patch_missing_get_att() -> None:
    """GetAtt attributes the templates use that moto's models declare but do not return."""
    from moto.efs.models import AccessPoint
    from moto.elbv2.models import FakeLoadBalancer

    if getattr(FakeLoadBalancer.get_cfn_attribute, "_hubctl_patched", False):
        return
    original_lb = FakeLoadBalancer.get_cfn_attribute

    def lb_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        if attribute_name == "CanonicalHostedZoneID":
            # The value DescribeLoadBalancers shows (moto's stand-in for the region's ELB zone).
            return self.canonical_hosted_zone_id
        if attribute_name == "LoadBalancerFullName":
            return self.arn.split(":loadbalancer/", 1)[1]
        if attribute_name == "SecurityGroups":
            return list(self.security_groups)
        return original_lb(self, attribute_name)

    def ap_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "Arn":
            return self.access_point_arn
        if attribute_name == "AccessPointId":
            return self.access_point_id
        raise UnformattedGetAttTemplateException()

    # Ref of an AccessPoint is its id (moto returned the model object, so a task definition's
    # EFS volume carried an object and RunTask failed with HTTP 500).
    AccessPoint.physical_resource_id = property(lambda self: self.access_point_id)  # type: ignore[attr-defined]
    lb_attribute._hubctl_patched = True  # type: ignore[attr-defined]
    FakeLoadBalancer.get_cfn_attribute = lb_attribute  # type: ignore[method-assign]
    AccessPoint.get_cfn_attribute = ap_attribute  # type: ignore[attr-defined]
    AccessPoint.has_cfn_attr = classmethod(lambda cls, attr: attr in ("Arn", "AccessPointId"))  # type: ignore[method-assign]


def patch_cloudformation_deletes() -> None:
    """CloudFormation deletes the EC2 / ELBv2 resources it created (moto 5.2 keeps them)."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress
    from moto.ec2.models.flow_logs import FlowLogs
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.security_groups import SecurityGroupIngress
    from moto.ec2.models.subnets import SubnetRouteTableAssociation
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
    from moto.elbv2.models import FakeListener, FakeTargetGroup, elbv2_backends

    if getattr(getattr(RouteTable, "delete", None), "_hubctl_patched", False):
        return

    def ec2(account_id, region_name):  # type: ignore[no-untyped-def]
        return ec2_backends[account_id][region_name]

    def eip(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ec2(account_id, region_name).release_address(allocation_id=self.allocation_id)

    def flow_log(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ec2(account_id, region_name).delete_flow_logs([self.id])

    def igw(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ec2(account_id, region_name).delete_internet_gateway(self.id)

    def nat(self, account_id, region_name):  # type: ignore[no-untyped-def]
        backend = ec2(account_id, region_name)
        backend.delete_nat_gateway(self.id)
        # AWS removes the gateway's network interface and frees its Elastic IP address.
        eni = getattr(self, "_eni", None)
        if eni is not None:
            for address in backend.addresses:
                if address.eni is eni:
                    address.eni = None
                    address.association_id = None
            backend.enis.pop(eni.id, None)

    def route(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ec2(account_id, region_name).delete_route(
            self.route_table.id,
            self.destination_cidr_block,
            getattr(self, "destination_ipv6_cidr_block", None),
            getattr(self, "destination_prefix_list_id", None),
        )

    def route_table(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ec2(account_id, region_name).delete_route_table(self.id)

    def ingress(self, account_id, region_name):  # type: ignore[no-untyped-def]
        p = self.properties
        source = {}
        if p.get("SourceSecurityGroupId"):
            source["GroupId"] = p["SourceSecurityGroupId"]
        ec2(account_id, region_name).revoke_security_group_ingress(
            group_name_or_id=self.security_group.id,
            ip_protocol=str(p["IpProtocol"]),
            from_port=p.get("FromPort"),
            to_port=p.get("ToPort"),
            ip_ranges=[{"CidrIp": p["CidrIp"]}] if p.get("CidrIp") else [],
            source_groups=[source] if source else [],
        )

    def association(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ec2(account_id, region_name).subnet_associations.pop(f"{self.route_table_id}:{self.subnet_id}", None)

    def endpoint(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ec2(account_id, region_name).delete_vpc_endpoints([self.id])

    def attachment(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ec2(account_id, region_name).detach_internet_gateway(self.gateway_id, self.vpc_id)

    def listener(self, account_id, region_name):  # type: ignore[no-untyped-def]
        elbv2_backends[account_id][region_name].delete_listener(self.arn)

    def target_group(self, account_id, region_name):  # type: ignore[no-untyped-def]
        elbv2_backends[account_id][region_name].delete_target_group(self.arn)

    table = {
        ElasticAddress: eip,
        FlowLogs: flow_log,
        InternetGateway: igw,
        NatGateway: nat,
        Route: route,
        RouteTable: route_table,
        SecurityGroupIngress: ingress,
        SubnetRouteTableAssociation: association,
        VPCEndPoint: endpoint,
        VPCGatewayAttachment: attachment,
        FakeListener: listener,
        FakeTargetGroup: target_group,
    }
    for cls, function in table.items():
        if "delete" in cls.__dict__:
            continue  # moto models this one's delete itself
        function._hubctl_patched = True  # type: ignore[attr-defined]
        cls.delete = function  # type: ignore[attr-defined]
    RouteTable.delete._hubctl_patched = True  # type: ignore[attr-defined]


class _StackDeleteFailed(Exception):
    def __init__(self, failures):  # type: ignore[no-untyped-def]
        super().__init__(failures)
        self.failures = failures  # [(logical id, resource, reason)]


def _references(value, names):  # type: ignore[no-untyped-def]
    """Logical ids among ``names`` that ``value`` (a template fragment) Refs, GetAtts or Subs."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str) and item in names:
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item[0] if isinstance(item, list) else str(item).split(".", 1)[0]
                if target in names:
                    found.add(target)
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                if isinstance(text, str):
                    for match in re.findall(r"\$\{([^!}][^}]*)\}", text):
                        target = match.split(".", 1)[0]
                        if target in names:
                            found.add(target)
                if isinstance(item, list):
                    found |= _references(item[1:], names)
            else:
                found |= _references(item, names)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item, names)
    return found


def _dependencies(resources):  # type: ignore[no-untyped-def]
    names = set(resources)
    graph = {}
    for name, resource in resources.items():
        depends_on = resource.get("DependsOn") or []
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        deps = {d for d in depends_on if d in names}
        deps |= _references(resource.get("Properties", {}), names)
        deps.discard(name)
        graph[name] = deps
    return graph


def _reason(error):  # type: ignore[no-untyped-def]
    code = getattr(error, "code", None) or getattr(error, "error_type", None) or type(error).__name__
    message = getattr(error, "message", None) or str(error)
    return f'Resource handler returned message: "{message}" (HandlerErrorCode: {code})'


def patch_stack_delete_order() -> None:
    """Stack deletion in reverse dependency order; a failed resource leaves DELETE_FAILED."""
    from moto.cloudformation.models import CloudFormationBackend, Event, Stack
    from moto.cloudformation.parsing import ResourceMap

    if getattr(ResourceMap.delete, "_hubctl_patched", False):
        return
    original_getitem = ResourceMap.__getitem__

    def deleted(self):  # type: ignore[no-untyped-def]
        return self.__dict__.setdefault("_hubctl_deleted", set())

    def getitem(self, key):  # type: ignore[no-untyped-def]
        # A resource the stack has deleted stays deleted (moto's lazy map would re-create it).
        if key in deleted(self):
            return None
        return original_getitem(self, key)

    def resources(self):  # type: ignore[no-untyped-def]
        gone = deleted(self)
        return [k for k in self._resource_json_map if k not in gone]

    def delete(self):  # type: ignore[no-untyped-def]
        template = self._resource_json_map
        gone = deleted(self)
        live = {
            name: resource
            for name, resource in template.items()
            if name not in gone and resource.get("DeletionPolicy") != "Retain"
        }
        graph = _dependencies(live)
        order = list(live)  # template order; ties are broken by deleting later ones first
        failures = []
        blocked = set()
        remaining = set(live)
        while True:
            ready = [
                name
                for name in reversed(order)
                if name in remaining
                and name not in blocked
                and not any(name in graph[other] for other in remaining if other != name)
            ]
            if not ready:
                break
            name = ready[0]
            remaining.discard(name)
            resource = self._parsed_resources.get(name)
            if resource is not None and not isinstance(resource, str):
                try:
                    self._delete_resource(resource, template[name])
                except Exception as error:  # noqa: BLE001 - any failure is the resource's DELETE_FAILED
                    failures.append((name, resource, _reason(error)))
                    remaining.add(name)
                    blocked.add(name)
                    continue
            self._parsed_resources.pop(name, None)
            gone.add(name)
            on_deleted = self.__dict__.get("_hubctl_on_deleted")
            if on_deleted is not None:
                on_deleted(name, resource)
        if failures:
            raise _StackDeleteFailed(failures)

    def delete_stack(self, name_or_stack_id):  # type: ignore[no-untyped-def]
        if name_or_stack_id in self.stacks:
            stacks = [self.stacks[name_or_stack_id]]
        else:
            stacks = [s for s in self.stacks.values() if s.name == name_or_stack_id]
        for stack in stacks:
            export_names = [export.name for export in stack.exports]
            stack.status = "DELETE_IN_PROGRESS"
            stack.stack_status_reason = None

            def on_deleted(name, resource, stack=stack):  # type: ignore[no-untyped-def]
                stack.events.append(
                    Event(
                        stack_id=stack.stack_id,
                        stack_name=stack.name,
                        logical_resource_id=name,
                        physical_resource_id=getattr(resource, "physical_resource_id", None),
                        resource_type=stack.resource_map._resource_json_map[name]["Type"],
                        resource_status="DELETE_COMPLETE",
                        resource_status_reason=None,
                        resource_properties=None,
                    )
                )

            stack.resource_map._hubctl_on_deleted = on_deleted
            try:
                stack.delete()
            except _StackDeleteFailed as failed:
                for name, resource, reason in failed.failures:
                    stack.events.append(
                        Event(
                            stack_id=stack.stack_id,
                            stack_name=stack.name,
                            logical_resource_id=name,
                            physical_resource_id=getattr(resource, "physical_resource_id", None),
                            resource_type=stack.resource_map._resource_json_map[name]["Type"],
                            resource_status="DELETE_FAILED",
                            resource_status_reason=reason,
                            resource_properties=None,
                        )
                    )
                reason = "The following resource(s) failed to delete: [{}]. ".format(
                    ", ".join(sorted(name for name, _, _ in failed.failures))
                )
                stack._add_stack_event("DELETE_FAILED", resource_status_reason=reason)
                stack.status = "DELETE_FAILED"
                stack.stack_status_reason = reason
                continue
            self.stacks.pop(stack.stack_id, None)
            self.deleted_stacks[stack.stack_id] = stack
            for export_name in export_names:
                self.exports.pop(export_name, None)

    for function in (getitem, delete, delete_stack):
        function._hubctl_patched = True  # type: ignore[attr-defined]
    ResourceMap.__getitem__ = getitem  # type: ignore[method-assign]
    ResourceMap.resources = property(resources)  # type: ignore[assignment]
    ResourceMap.delete = delete  # type: ignore[method-assign]
    CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign]
    del Stack


def patch_policy_conditions_that_do_not_hold() -> None:
    """A policy statement whose Condition does not hold does not apply (it never denies),
    and an S3 request arrives over TLS, as every AWS SDK sends it."""
    from moto.iam import policy_conditions
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    original = IAMPolicyStatement.is_action_permitted
    if getattr(original, "_hubctl_patched", False):
        return

    def bool_operation(expected, actual):  # type: ignore[no-untyped-def]
        wanted = expected if isinstance(expected, list) else [expected]
        return str(actual).lower() in [str(value).lower() for value in wanted]

    # moto evaluates StringEquals only and takes every other operator as met.
    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", bool_operation)

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):  # type: ignore[no-untyped-def]
        result = original(self, action, resource, principal, incoming_condition_values)
        if (
            result == PermissionResult.DENIED
            and self._statement.get("Condition")
            and not self._check_conditions(incoming_condition_values)
        ):
            return PermissionResult.NEUTRAL
        return result

    is_action_permitted._hubctl_patched = True  # type: ignore[attr-defined]
    IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]

    def get_permission(self, action, resource):  # type: ignore[no-untyped-def]
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = IAMPolicy(self.policy.decode())
        return policy.is_action_permitted(action, resource, incoming_condition_values={"aws:SecureTransport": "true"})

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def wait_accepting(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--quiet", action="store_true", help="log only warnings to stderr")
    args = parser.parse_args(argv)

    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    stop = threading.Event()

    def on_signal(signum, frame):  # type: ignore[no-untyped-def]
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    patch_execute_change_set_outputs()
    patch_kms_key_cloudformation_tags()
    patch_unique_change_set_names()
    patch_fargate_container_memory()
    patch_ecs_tasks_keep_running()
    patch_cloudformation_models()
    patch_subnet_availability_zone_id()
    patch_ecs_cloudformation()
    patch_ecs_delete_cluster_in_use()
    patch_hosted_zone_cloudformation_delete()
    patch_list_parameter_values()
    patch_missing_get_att()
    patch_cloudformation_deletes()
    patch_stack_delete_order()
    patch_policy_conditions_that_do_not_hold()
    from moto.server import ThreadedMotoServer

    host = "127.0.0.1"
    server = ThreadedMotoServer(ip_address=host, port=args.port, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    # moto builds some URLs (e.g. SQS queue URLs) from MOTO_PORT, as moto_server does.
    os.environ.setdefault("MOTO_PORT", str(port))
    wait_accepting(host, port)
    sys.stdout.write(f"ready {port}\n")
    sys.stdout.flush()

    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
