"""Run moto's server (pinned in tests/tools/moto.txt) on 127.0.0.1 for the deploy tests.

Usage: moto_launcher.py --port PORT [--quiet]

Starts moto's own threaded server (``moto.server.ThreadedMotoServer``: werkzeug
with moto's ``DomainDispatcherApplication`` and ``MotoRequestHandler``) bound to
127.0.0.1 only, prints exactly ``ready <port>`` on stdout (flushed) once the port
accepts TCP connections, and runs until SIGTERM or SIGINT. ``--port 0`` picks a
free port; the line printed then names the port actually bound. Request logs go
to stderr (``--quiet`` keeps only warnings).

Nineteen moto behaviours are patched, nothing else (each where moto differs from AWS in a
way the deploy, or a test replaying the hub's calls, depends on; launcher_selftest.py checks
patches 6-17 and 19 against the example's frame, dns, images and hub templates, stacks of
its own for EKS and roles of its own for AssumeRole):

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
    lazy resource map when the stack is read. DeletionPolicy Retain resources are left. The
    stack's Outputs are resolved before its resources go (moto resolves them lazily, and the
    DescribeStacks of a deleted stack whose Outputs nobody had read failed, HTTP 500, on a GetAtt
    of a deleted resource).

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

CloudFormation models for the EKS types, on moto's EKS backend (patch_eks_cloudformation).
    moto 5.2.5 models no ``AWS::EKS::*`` type, so patch 6's placeholder stood in (Ref a generated
    name, GetAtt Endpoint or CertificateAuthorityData that same name, nothing in the EKS API).
    Its EKS backend has clusters and node groups (no add-ons, access entries or pod identity
    associations), and gives every cluster of a process the same endpoint and OIDC issuer
    (random strings fixed at import, the endpoint ending in ``/``), 1400 random characters as
    certificate data, and no cluster security group. EKS gives each cluster an endpoint
    ``https://<32 hex>.gr7.<region>.eks.amazonaws.com``, an issuer
    ``https://oidc.eks.<region>.amazonaws.com/id/<the same id>``, a CA certificate, and a
    security group ``eks-cluster-sg-<name>-<number>`` in the VPC of the cluster's subnets (tagged
    ``aws:eks:cluster-name``, all traffic from itself), which it deletes with the cluster. The
    patch gives moto's CreateCluster (API and CloudFormation) these: the certificate is a real
    self-signed CA (CN=kubernetes, RSA 2048), made per cluster, so a kubeconfig built from it
    parses; DescribeCluster shows them, and ``clusterSecurityGroupId`` / ``vpcId``. DeleteCluster
    deletes the group. The models, with Ref and GetAtt as the CloudFormation reference documents
    them (the schema's primaryIdentifier where the page gives no example):
    Cluster Ref = name, GetAtt Arn, Endpoint, CertificateAuthorityData (base64 of the PEM),
    ClusterSecurityGroupId, OpenIdConnectIssuerUrl, EncryptionConfigKeyArn; Nodegroup (moto's
    backend) Ref = ``<cluster>/<nodegroup>``, GetAtt Arn, ClusterName, NodegroupName, Id; Addon Ref =
    ``<cluster>|<addon>``, GetAtt Arn (``addon/<cluster>/<addon>/<uuid>``); AccessEntry Ref =
    ``<principal ARN>|<cluster>``, GetAtt AccessEntryArn
    (``access-entry/<cluster>/<role|user>/<account>/<name>/<uuid>``); PodIdentityAssociation
    Ref = GetAtt AssociationArn (``podidentityassociation/<cluster>/<id>``), AssociationId
    (``a-`` and 17 characters), ExternalId. Add-ons (with their PodIdentityAssociations), access
    entries and associations are kept on moto's cluster, go with it as on AWS, and no API shows
    them.

    What AWS refuses, so that a template's mistake fails here too: a node group, add-on, access
    entry or association of a cluster that does not exist (ResourceNotFoundException); an access
    entry on a cluster whose AuthenticationMode is CONFIG_MAP, CloudFormation's default
    (InvalidRequestException), for a principal that is no IAM role or user ARN
    (InvalidParameterException), twice for one principal (ResourceInUseException); a second
    add-on of a name, a second association of a namespace and service account
    (ResourceInUseException); cluster subnets that do not exist or lie in one zone
    (InvalidParameterException). DeleteCluster (API and CloudFormation) of a cluster with
    DeletionProtection fails with InvalidRequestException (UpdateClusterConfig
    ``--no-deletion-protection``, which moto ignored, turns it off; CreateCluster's accessConfig
    and deletionProtection are read too), of one with node groups with ResourceInUseException
    (moto's check; in one stack the node group, which Refs the cluster, is deleted first, so
    that matters across stacks). moto's CloudFormation has no rollback: ExecuteChangeSet answers
    such a failure with its error code and a new stack stays REVIEW_IN_PROGRESS, where AWS's
    ExecuteChangeSet succeeds and the stack rolls back to ROLLBACK_COMPLETE (the deploy fails
    either way); a delete ends DELETE_FAILED (patch 14). A resource
    already gone counts as deleted, as CloudFormation's handlers have it.

    Updates: a change of a property the resource schema lists as createOnly (Cluster Name,
    RoleArn, EncryptionConfig, KubernetesNetworkConfig IpFamily / ServiceIpv4Cidr,
    AccessConfig.BootstrapClusterCreatorAdminPermissions, BootstrapSelfManagedAddons, ...;
    Nodegroup NodeRole, Subnets, InstanceTypes, ...; Addon ClusterName, AddonName; AccessEntry
    PrincipalArn, ClusterName, Type; association ClusterName, Namespace, ServiceAccount)
    replaces the resource: the new one first, then the old deleted (if that fails the update
    fails and the new one goes again). With its custom name (Name, NodegroupName) unchanged
    CloudFormation refuses that ("CloudFormation cannot update a stack when a custom-named
    resource requires replacing"). Any other change updates the same cluster or node group in
    place (endpoint, certificate and security group kept). moto's update does not replace what
    Refs a replaced resource (AWS does, for a createOnly property such as a node group's
    ClusterName): a replaced cluster's node group stays on the old cluster, whose delete then
    fails and with it the update. Not modeled: the cluster creator's admin access entry
    (BootstrapClusterCreatorAdminPermissions; on AWS an AccessEntry for that principal fails),
    add-on names and versions, Kubernetes version rules, Auto Mode's settings.

AssumeRole needs a role that exists and trusts the caller
(patch_assume_role_needs_a_role_that_trusts_the_caller).
    moto 5.2's ``STSBackend.assume_role`` ("the role does not need to exist") hands out
    credentials for any role ARN, in any account, so a deploy whose delegation role the parent
    account never made passed here and failed on AWS. STS answers AssumeRole of a role that
    does not exist, or whose trust policy does not let the caller in, with HTTP 403
    ``AccessDenied``: "User: <caller ARN> is not authorized to perform: sts:AssumeRole on
    resource: <role ARN>" (the same words for both causes, and for a caller whose own policies
    do not allow the call). The patch wraps the response handler (``TokenResponse.assume_role``,
    which knows the caller's access key): the role is looked up by its ARN (path included) in
    the IAM of the ARN's account, and its trust policy must have an Allow statement for
    ``sts:AssumeRole`` (or ``sts:*``, ``*``) whose ``Principal.AWS`` names the caller's account
    (``<id>`` or ``arn:<partition>:iam::<id>:root``), the caller itself (an assumed role's
    session is named by its role's ARN, any path; a user by its ARN) or ``*``, and no Deny
    statement naming it; otherwise the answer is AWS's error, with the caller's ARN as
    GetCallerIdentity gives it. Not modeled: trust policy Conditions (not evaluated: what
    hubctl's trust policies allow and deny is proven by the IAM evaluator tests, tests/it/iam),
    the caller's own identity policies (moto enforces none), ``NotPrincipal`` and
    ``NotAction``. A client that needs to act in another account without a role (the tests'
    parent DNS account owner) uses moto's ``x-moto-account-id`` header instead.

Cognito refuses an invitation it could not send (patch_cognito_invitations).
    moto 5.2's CreateUserPool stores any ``AdminCreateUserConfig.InviteMessageTemplate``, and
    its AdminCreateUser ignores ``DesiredDeliveryMediums``: a user is created whatever the
    pool could send. Cognito refuses an e-mail (or SMS) invitation template without both
    ``{username}`` and ``{####}`` (CreateUserPool / UpdateUserPool, so CloudFormation's create
    of the pool, InvalidParameterException), and AdminCreateUser delivers the invitation through
    the mediums asked for, SMS when none is (the API reference: ``email`` is "required if ...
    EMAIL is specified in the DesiredDeliveryMediums parameter"), so a user without the
    medium's attribute, or SMS from a pool without ``SmsConfiguration``, is refused
    (InvalidParameterException; the codes are Cognito's, the messages paraphrased) unless
    ``MessageAction`` is SUPPRESS. The patch checks both (the backend's create / update, so the
    API and the launcher's CloudFormation model of the pool alike; the AdminCreateUser response
    handler, which sees the request). Not modeled: sending anything, the e-mail quota
    (LimitExceededException; the engine's fakes cover it), UsernameAttributes' other rules.

ECR repositories as CloudFormation creates and deletes them (patch_ecr_cloudformation).
    moto 5.2's ``AWS::ECR::Repository`` hands the template's ``ImageScanningConfiguration``
    (``{ScanOnPush}``) and ``EncryptionConfiguration`` (``{EncryptionType, KmsKey}``) to its
    API model unconverted, which expects the API's ``{scanOnPush}`` and ``{encryptionType,
    kmsKey}``: DescribeRepositories then showed scanning off and the template's keys; it
    ignores ``LifecyclePolicy`` (GetLifecyclePolicy: none) and ``EmptyOnDelete``, and its
    stack delete always deletes without force, so a repository holding images ends
    ``DELETE_FAILED`` (RepositoryNotEmptyException) where CloudFormation, with
    ``EmptyOnDelete: true``, deletes it with its images (and without it fails, as moto does).
    On update moto compared the template's encryption keys with the API's, found them
    different and replaced the repository (failing on one with images). The patch converts both
    properties to the API's shape before moto's create and update, puts the lifecycle policy
    text through moto's PutLifecyclePolicy, and deletes with ``force`` exactly when the
    resource's ``EmptyOnDelete`` is true. Not modeled: scanning, the lifecycle rules' effect,
    the KMS grant ECR creates on the key.
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


_MODELS: list = []  # the launcher's CloudFormation models (strong references)


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
    # moto's registry is CloudFormationModel.__subclasses__(), which holds classes weakly: keep them.
    _MODELS.extend(_define_models())
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
            # moto resolves Outputs lazily: resolve them while their resources exist (a deleted
            # stack's DescribeStacks otherwise failed, HTTP 500, on a GetAtt of a deleted resource).
            for key in list(stack.output_map.outputs):
                try:
                    stack.output_map[key]
                except Exception:  # noqa: BLE001 - an output that does not resolve stays unresolved
                    pass
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


# --- EKS (patch_eks_cloudformation) -------------------------------------------------------

def _eks(account_id, region_name):  # type: ignore[no-untyped-def]
    from moto.eks.models import eks_backends

    return eks_backends[account_id][region_name]


def _eks_error(code, message):  # type: ignore[no-untyped-def]
    """A CloudFormation resource handler's failure: ``code`` the EKS (or CloudFormation) error.

    A ServiceException, so that an ExecuteChangeSet it fails answers a proper error with that code
    (moto's EKSError is a JSON HTTPException the CloudFormation API cannot render) and patch 14's
    DELETE_FAILED reason names it."""
    return _eks_error_class()(code, message)


@functools.lru_cache(maxsize=None)
def _eks_error_class():  # type: ignore[no-untyped-def]
    from moto.core.exceptions import ServiceException

    class EksHandlerError(ServiceException):
        pass

    return EksHandlerError


def _eks_call(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call moto's EKS backend; its EKSError becomes the handler error with the same code."""
    from moto.eks.exceptions import EKSError

    try:
        return function(*args, **kwargs)
    except EKSError as error:
        raise _eks_error(error.TYPE, _eks_message(error)) from None


def _eks_message(error):  # type: ignore[no-untyped-def]
    try:
        return json.loads(error.description).get("message") or error.TYPE
    except (TypeError, ValueError):
        return error.TYPE


def _eks_not_found(cluster_name):  # type: ignore[no-untyped-def]
    # The message moto's EKS backend (and AWS) gives for a missing cluster.
    return _eks_error("ResourceNotFoundException", f"No cluster found for name: {cluster_name}.")


def _eks_cluster(account_id, region_name, cluster_name):  # type: ignore[no-untyped-def]
    cluster = _eks(account_id, region_name).clusters.get(cluster_name)
    if cluster is None:
        raise _eks_not_found(cluster_name)
    return cluster


def _eks_children(cluster, kind):  # type: ignore[no-untyped-def]
    """What the launcher keeps on a moto EKS cluster for the sub-resources moto's EKS lacks
    (``addons``, ``access_entries``, ``pod_identity``); they go when the cluster goes, as on AWS."""
    store = cluster.__dict__.setdefault("_hubctl_children", {})
    return store.setdefault(kind, {})


def _eks_tags(tags):  # type: ignore[no-untyped-def]
    """CloudFormation's [{Key, Value}] (or a Json map, as Nodegroup's Tags are) as EKS's map."""
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {t["Key"]: t["Value"] for t in (tags or [])}


def _eks_camel(value):  # type: ignore[no-untyped-def]
    from moto.core.utils import remap_nested_keys

    return remap_nested_keys(value, _api_camel_case) if value is not None else None


def _eks_counts(value):  # type: ignore[no-untyped-def]
    """ScalingConfig / UpdateConfig as the API's integers (a Number parameter's Ref is a string)."""
    config = _eks_camel(value)
    if isinstance(config, dict):
        config = {k: int(v) if isinstance(v, str) and v.isdigit() else v for k, v in config.items()}
    return config


def _eks_path(properties, path):  # type: ignore[no-untyped-def]
    value = properties
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _eks_list(value):  # type: ignore[no-untyped-def]
    """A list property (a List<> parameter's Ref may arrive as the comma-joined string)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return list(value)


def _eks_random_id(length, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"):  # type: ignore[no-untyped-def]
    from moto.moto_api._internal import mock_random

    return "".join(mock_random.choice(alphabet) for _ in range(length))


def _eks_certificate_authority():  # type: ignore[no-untyped-def]
    """base64 of a PEM self-signed CA certificate (CN=kubernetes, RSA 2048, 10 years), as EKS's
    ``certificateAuthority.data``: what a kubeconfig's certificate-authority-data carries."""
    import base64
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.PEM)).decode()


_EKS_SG_DESCRIPTION = (
    "EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, "
    "as well as any managed workloads."
)


def _eks_provision(backend, cluster):  # type: ignore[no-untyped-def]
    """What EKS gives a cluster it creates and moto 5.2.5 does not: an endpoint and OIDC issuer of
    AWS's form (one id for both, per cluster; moto's are one random string per process), a real CA
    certificate (moto's is 1400 random characters), and the cluster security group in the VPC of
    the cluster's subnets, with the VPC config DescribeCluster shows."""
    from moto.ec2.models import ec2_backends
    from moto.moto_api._internal import mock_random

    if cluster.__dict__.get("_hubctl_provisioned"):
        return
    region = backend.region_name
    ident = mock_random.uuid4().hex.upper()
    cluster.endpoint = f"https://{ident}.gr7.{region}.eks.amazonaws.com"
    cluster.identity = {"oidc": {"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{ident}"}}
    cluster.certificate_authority = {"data": _eks_certificate_authority()}
    config = dict(cluster.resources_vpc_config or {})
    subnet_ids = _eks_list(config.get("subnetIds"))
    ec2 = ec2_backends[backend.account_id][region]
    vpc_id = ec2.get_subnet(subnet_ids[0]).vpc_id if subnet_ids else ec2.default_vpc.id
    group_name = f"eks-cluster-sg-{cluster.name}-{mock_random.randint(10**9, 2**31 - 1)}"
    group = ec2.create_security_group(
        group_name,
        _EKS_SG_DESCRIPTION,
        vpc_id=vpc_id,
        tags={
            "Name": group_name,
            "aws:eks:cluster-name": cluster.name,
            f"kubernetes.io/cluster/{cluster.name}": "owned",
        },
    )
    # Everything from itself (the control plane's ENIs and the managed nodes); egress: moto's
    # default all-traffic rule, as EKS's.
    ec2.authorize_security_group_ingress(
        group_name_or_id=group.id,
        ip_protocol="-1",
        from_port=None,
        to_port=None,
        ip_ranges=[],
        source_groups=[{"GroupId": group.id}],
    )
    config.update(
        subnetIds=subnet_ids,
        securityGroupIds=_eks_list(config.get("securityGroupIds")),
        clusterSecurityGroupId=group.id,
        vpcId=vpc_id,
        endpointPublicAccess=config.get("endpointPublicAccess", True),
        endpointPrivateAccess=config.get("endpointPrivateAccess", False),
        publicAccessCidrs=config.get("publicAccessCidrs") or ["0.0.0.0/0"],
    )
    cluster.resources_vpc_config = config
    cluster.__dict__.setdefault(
        "access_config", {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
    )
    cluster.__dict__.setdefault("deletion_protection", False)
    cluster._hubctl_provisioned = True


def _eks_release(backend, cluster):  # type: ignore[no-untyped-def]
    """EKS deletes the cluster security group it created with the cluster."""
    from moto.ec2.models import ec2_backends

    group_id = (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")
    if not group_id or not cluster.__dict__.get("_hubctl_provisioned"):
        return
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    if ec2.get_security_group_from_id(group_id) is not None:
        ec2.delete_security_group(group_id=group_id)
        ec2.tags.pop(group_id, None)


def _eks_logging(logging):  # type: ignore[no-untyped-def]
    """CloudFormation's Logging (ClusterLogging.EnabledTypes[].Type) as the API's clusterLogging."""
    if not logging:
        return None
    kinds = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    enabled = [t.get("Type") for t in (_eks_path(logging, "ClusterLogging.EnabledTypes") or [])]
    entries = [{"types": [k for k in kinds if k in enabled], "enabled": True}]
    if any(k not in enabled for k in kinds):
        entries.append({"types": [k for k in kinds if k not in enabled], "enabled": False})
    return {"clusterLogging": [e for e in entries if e["types"]]}


def _eks_cluster_settings(cluster, p):  # type: ignore[no-untyped-def]
    """The Cluster properties moto's create_cluster does not take (and the updatable ones), as
    DescribeCluster shows them."""
    access = p.get("AccessConfig") or {}
    bootstrap = access.get("BootstrapClusterCreatorAdminPermissions")
    cluster.access_config = {
        # CloudFormation's (and the API's) defaults: CONFIG_MAP, and an admin entry for the creator.
        "authenticationMode": access.get("AuthenticationMode", "CONFIG_MAP"),
        "bootstrapClusterCreatorAdminPermissions": True if bootstrap is None else _bool(bootstrap),
    }
    cluster.deletion_protection = _bool(p.get("DeletionProtection"))
    for prop, attribute in (
        ("ComputeConfig", "compute_config"),
        ("StorageConfig", "storage_config"),
        ("UpgradePolicy", "upgrade_policy"),
        ("ZonalShiftConfig", "zonal_shift_config"),
    ):
        if p.get(prop) is not None:
            setattr(cluster, attribute, _eks_camel(p[prop]))
    if p.get("Version"):
        cluster.version = str(p["Version"])
    if p.get("Logging"):
        cluster.logging = _eks_logging(p["Logging"])
    cluster.tags = _eks_tags(p.get("Tags"))


def _eks_vpc_config(p):  # type: ignore[no-untyped-def]
    vpc = _eks_camel(p.get("ResourcesVpcConfig") or {})
    vpc["subnetIds"] = _eks_list(vpc.get("subnetIds"))
    vpc["securityGroupIds"] = _eks_list(vpc.get("securityGroupIds"))
    for key in ("endpointPublicAccess", "endpointPrivateAccess"):
        if key in vpc:
            vpc[key] = _bool(vpc[key])
    return vpc


def _eks_check_subnets(account_id, region_name, subnet_ids):  # type: ignore[no-untyped-def]
    """CreateCluster's subnet checks: they exist, and span at least two Availability Zones
    (moto's EKSError, as the API answers it; CloudFormation's callers go through _eks_call)."""
    from moto.ec2.exceptions import InvalidSubnetIdError
    from moto.ec2.models import ec2_backends
    from moto.eks.exceptions import InvalidParameterException

    def invalid(message):  # type: ignore[no-untyped-def]
        return InvalidParameterException(clusterName=None, nodegroupName=None, fargateProfileName=None, addonName=None, message=message)

    ec2 = ec2_backends[account_id][region_name]
    zones = set()
    for subnet_id in subnet_ids:
        try:
            zones.add(ec2.get_subnet(subnet_id).availability_zone)
        except InvalidSubnetIdError:
            raise invalid(f"The subnet ID '{subnet_id}' does not exist") from None
    if len(zones) < 2:
        raise invalid("Subnets specified must be in at least two different AZs")


class _EksModel(_Model):
    """An EKS type: GetAtt read from the live object, ``CREATE_ONLY`` properties (the resource
    schema's createOnlyProperties) decide between an update in place and a replacement."""

    CREATE_ONLY: tuple = ()

    def get_cfn_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        value = self._attribute(attribute_name) if attribute_name in self.ATTRS else None
        if value is None:
            raise UnformattedGetAttTemplateException()
        return value

    def _attribute(self, name):  # type: ignore[no-untyped-def]
        return self._attributes.get(name)

    @classmethod
    def _physical_id_for(cls, name, properties):  # type: ignore[no-untyped-def]
        """The identifier a replacement would get (None: a new one, e.g. a generated id)."""
        return None

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        new = _props(cloudformation_json)
        old = original_resource._properties
        if all(_eks_path(old, path) == _eks_path(new, path) for path in cls.CREATE_ONLY):
            original_resource._update(new)
            original_resource._properties = new
            return original_resource
        # Replacement: CloudFormation creates the new resource, then deletes the old one.
        if cls.NAME_PROPERTY and new.get(cls.NAME_PROPERTY) and new.get(cls.NAME_PROPERTY) == old.get(cls.NAME_PROPERTY):
            raise _eks_error(
                "ValidationError",
                "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                f"Rename {new[cls.NAME_PROPERTY]} and update the stack again.",
            )
        replacement = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        try:
            original_resource.delete(account_id, region_name)
        except Exception:
            # The update fails; nothing is left changed (the new resource goes again).
            replacement.delete(account_id, region_name)
            raise
        return replacement

    def _update(self, properties):  # type: ignore[no-untyped-def]
        pass


def _define_eks_models():  # type: ignore[no-untyped-def]
    from moto.core.common_models import CloudFormationModel

    class EksCluster(_EksModel, CloudFormationModel):
        __module__ = "moto.eks.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::EKS::Cluster"
        NAME_PROPERTY = "Name"
        ATTRS = (
            "Arn",
            "CertificateAuthorityData",
            "ClusterSecurityGroupId",
            "EncryptionConfigKeyArn",
            "Endpoint",
            "OpenIdConnectIssuerUrl",
        )
        CREATE_ONLY = (
            "Name",
            "RoleArn",
            "EncryptionConfig",
            "OutpostConfig",
            "KubernetesNetworkConfig.IpFamily",
            "KubernetesNetworkConfig.ServiceIpv4Cidr",
            "AccessConfig.BootstrapClusterCreatorAdminPermissions",
            "BootstrapSelfManagedAddons",
        )

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            vpc = _eks_vpc_config(p)
            cluster = _eks_call(
                _eks(account_id, region_name).create_cluster,
                name=name,
                role_arn=p.get("RoleArn", ""),
                resources_vpc_config=vpc,
                version=str(p["Version"]) if p.get("Version") else None,
                kubernetes_network_config=_eks_camel(p.get("KubernetesNetworkConfig")),
                logging=_eks_logging(p.get("Logging")),
                tags=_eks_tags(p.get("Tags")),
                encryption_config=_eks_camel(p.get("EncryptionConfig")),
                remote_network_config=_eks_camel(p.get("RemoteNetworkConfig")),
            )
            _eks_cluster_settings(cluster, p)
            return cluster.name, {}

        def _cluster(self):  # type: ignore[no-untyped-def]
            return _eks(self._account_id, self._region_name).clusters.get(self._physical_id)

        def _attribute(self, name):  # type: ignore[no-untyped-def]
            cluster = self._cluster()
            if cluster is None:
                return None
            if name == "Arn":
                return cluster.arn
            if name == "CertificateAuthorityData":
                return cluster.certificate_authority["data"]
            if name == "ClusterSecurityGroupId":
                return cluster.resources_vpc_config.get("clusterSecurityGroupId")
            if name == "Endpoint":
                return cluster.endpoint
            if name == "OpenIdConnectIssuerUrl":
                return cluster.identity["oidc"]["issuer"]
            if name == "EncryptionConfigKeyArn":
                keys = [_eks_path(c, "provider.keyArn") for c in (cluster.encryption_config or [])]
                return next((k for k in keys if k), None)
            return None

        def _update(self, p):  # type: ignore[no-untyped-def]
            # UpdateClusterConfig / UpdateClusterVersion / TagResource: the same cluster, its
            # endpoint, certificate and security group kept.
            cluster = self._cluster()
            if cluster is None:
                raise _eks_not_found(self._physical_id)
            vpc = _eks_vpc_config(p)
            _eks_call(_eks_check_subnets, self._account_id, self._region_name, vpc["subnetIds"])
            kept = {k: cluster.resources_vpc_config[k] for k in ("clusterSecurityGroupId", "vpcId")}
            cluster.resources_vpc_config = dict(
                vpc,
                endpointPublicAccess=vpc.get("endpointPublicAccess", True),
                endpointPrivateAccess=vpc.get("endpointPrivateAccess", False),
                publicAccessCidrs=vpc.get("publicAccessCidrs") or ["0.0.0.0/0"],
                **kept,
            )
            _eks_cluster_settings(cluster, p)

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            # Through DeleteCluster's checks (deletion protection, node groups attached).
            backend = _eks(account_id, region_name)
            if self._physical_id in backend.clusters:
                _eks_call(backend.delete_cluster, self._physical_id)

    class EksNodegroup(_EksModel, CloudFormationModel):
        __module__ = "moto.eks.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::EKS::Nodegroup"
        NAME_PROPERTY = "NodegroupName"
        ATTRS = ("Arn", "ClusterName", "Id", "NodegroupName")
        CREATE_ONLY = (
            "CapacityType",
            "NodegroupName",
            "RemoteAccess",
            "NodeRole",
            "ClusterName",
            "InstanceTypes",
            "DiskSize",
            "AmiType",
            "Subnets",
        )

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            cluster_name = p.get("ClusterName")
            launch_template = _eks_camel(p.get("LaunchTemplate"))
            if launch_template and launch_template.get("version") is not None:
                launch_template["version"] = str(launch_template["version"])
            nodegroup = _eks_call(
                _eks(account_id, region_name).create_nodegroup,
                cluster_name=cluster_name,
                node_role=p.get("NodeRole", ""),
                nodegroup_name=name,
                subnets=_eks_list(p.get("Subnets")),
                scaling_config=_eks_counts(p.get("ScalingConfig")),
                disk_size=int(p["DiskSize"]) if p.get("DiskSize") is not None else None,
                instance_types=p.get("InstanceTypes"),
                ami_type=p.get("AmiType"),
                remote_access=_eks_camel(p.get("RemoteAccess")),
                labels=dict(p.get("Labels") or {}),
                taints=_eks_camel(p.get("Taints")),
                tags=_eks_tags(p.get("Tags")),
                launch_template=launch_template,
                capacity_type=p.get("CapacityType"),
                version=str(p["Version"]) if p.get("Version") else None,
                release_version=p.get("ReleaseVersion"),
            )
            nodegroup.update_config = _eks_counts(p.get("UpdateConfig"))
            nodegroup.node_repair_config = _eks_camel(p.get("NodeRepairConfig"))
            return f"{cluster_name}/{name}", {}

        def _nodegroup(self):  # type: ignore[no-untyped-def]
            cluster_name, name = self._physical_id.split("/", 1)
            cluster = _eks(self._account_id, self._region_name).clusters.get(cluster_name)
            return cluster.nodegroups.get(name) if cluster is not None else None

        def _attribute(self, name):  # type: ignore[no-untyped-def]
            cluster_name, nodegroup_name = self._physical_id.split("/", 1)
            if name == "Id":
                return self._physical_id
            if name == "ClusterName":
                return cluster_name
            if name == "NodegroupName":
                return nodegroup_name
            nodegroup = self._nodegroup()
            return nodegroup.arn if nodegroup is not None and name == "Arn" else None

        def _update(self, p):  # type: ignore[no-untyped-def]
            # UpdateNodegroupConfig / UpdateNodegroupVersion / TagResource on the same node group.
            nodegroup = self._nodegroup()
            if nodegroup is None:
                raise _eks_error("ResourceNotFoundException", f"No node group found for name: {self._physical_id.split('/', 1)[1]}.")
            if p.get("ScalingConfig"):
                nodegroup.scaling_config = _eks_counts(p["ScalingConfig"])
            nodegroup.labels = dict(p.get("Labels") or {})
            nodegroup.taints = _eks_camel(p.get("Taints")) or []
            nodegroup.tags = _eks_tags(p.get("Tags"))
            nodegroup.update_config = _eks_counts(p.get("UpdateConfig"))
            nodegroup.node_repair_config = _eks_camel(p.get("NodeRepairConfig"))
            if p.get("LaunchTemplate"):
                template = _eks_camel(p["LaunchTemplate"])
                if template.get("version") is not None:
                    template["version"] = str(template["version"])
                nodegroup.launch_template = dict(nodegroup.launch_template or {}, **template)
            if p.get("Version"):
                nodegroup.version = str(p["Version"])
            if p.get("ReleaseVersion"):
                nodegroup.release_version = p["ReleaseVersion"]

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            # Already gone (its cluster too) counts as deleted, as CloudFormation's handler has it.
            if self._nodegroup() is not None:
                cluster_name, name = self._physical_id.split("/", 1)
                _eks_call(_eks(account_id, region_name).delete_nodegroup, cluster_name, name)

    class EksAddon(_EksModel, CloudFormationModel):
        __module__ = "moto.eks.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::EKS::Addon"
        ATTRS = ("Arn",)
        CREATE_ONLY = ("ClusterName", "AddonName", "NamespaceConfig")

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            from moto.moto_api._internal import mock_random

            cluster_name, addon_name = p.get("ClusterName"), p.get("AddonName")
            cluster = _eks_cluster(account_id, region_name, cluster_name)
            addons = _eks_children(cluster, "addons")
            if addon_name in addons:
                raise _eks_error("ResourceInUseException", "Addon already exists.")
            namespace = _eks_path(p, "NamespaceConfig.Namespace") or "kube-system"
            associations = _eks_children(cluster, "pod_identity")
            owned = []
            for item in p.get("PodIdentityAssociations") or []:
                owned.append(_pod_identity(cluster, associations, namespace, item.get("ServiceAccount"), item.get("RoleArn"), addon_name))
            arn = _arn("eks", region_name, account_id, f"addon/{cluster_name}/{addon_name}/{mock_random.uuid4()}")
            addons[addon_name] = {"name": addon_name, "arn": arn, "properties": p, "associations": owned}
            return f"{cluster_name}|{addon_name}", {}

        def _record(self):  # type: ignore[no-untyped-def]
            cluster_name, addon_name = self._physical_id.split("|", 1)
            cluster = _eks(self._account_id, self._region_name).clusters.get(cluster_name)
            return (_eks_children(cluster, "addons").get(addon_name), cluster) if cluster is not None else (None, None)

        def _attribute(self, name):  # type: ignore[no-untyped-def]
            record, _ = self._record()
            return record["arn"] if record is not None and name == "Arn" else None

        def _update(self, p):  # type: ignore[no-untyped-def]
            record, cluster = self._record()
            if record is None:
                raise _eks_error("ResourceNotFoundException", f"No addon: {self._physical_id.split('|', 1)[1]} found in cluster: {self._physical_id.split('|', 1)[0]}")
            associations = _eks_children(cluster, "pod_identity")
            wanted = {(i.get("ServiceAccount"), i.get("RoleArn")) for i in p.get("PodIdentityAssociations") or []}
            kept = []
            for association_id in record["associations"]:
                current = associations.get(association_id)
                if current is None:
                    continue
                if (current["service_account"], current["role_arn"]) in wanted:
                    wanted.discard((current["service_account"], current["role_arn"]))
                    kept.append(association_id)
                else:
                    associations.pop(association_id)
            namespace = _eks_path(p, "NamespaceConfig.Namespace") or "kube-system"
            for service_account, role_arn in sorted(wanted, key=str):
                kept.append(_pod_identity(cluster, associations, namespace, service_account, role_arn, record["name"]))
            record.update(properties=p, associations=kept)

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            # DeleteAddon (also with PreserveOnDelete: the software stays, EKS's add-on goes); its
            # pod identity associations go with it. Already gone counts as deleted.
            record, cluster = self._record()
            if record is None:
                return
            associations = _eks_children(cluster, "pod_identity")
            for association_id in record["associations"]:
                associations.pop(association_id, None)
            _eks_children(cluster, "addons").pop(self._physical_id.split("|", 1)[1], None)

    class EksAccessEntry(_EksModel, CloudFormationModel):
        __module__ = "moto.eks.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::EKS::AccessEntry"
        ATTRS = ("AccessEntryArn",)
        CREATE_ONLY = ("PrincipalArn", "ClusterName", "Type")

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            from moto.moto_api._internal import mock_random

            cluster_name, principal = p.get("ClusterName"), p.get("PrincipalArn") or ""
            cluster = _eks_cluster(account_id, region_name, cluster_name)
            mode = (cluster.__dict__.get("access_config") or {}).get("authenticationMode", "CONFIG_MAP")
            if mode not in ("API", "API_AND_CONFIG_MAP"):
                raise _eks_error(
                    "InvalidRequestException",
                    "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
                )
            match = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)", principal)
            if not match:
                raise _eks_error("InvalidParameterException", f"The specified principalArn is invalid: {principal}")
            entries = _eks_children(cluster, "access_entries")
            if principal in entries:
                raise _eks_error("ResourceInUseException", "The specified access entry resource is already in use on this cluster.")
            account, kind, principal_name = match.groups()
            arn = _arn(
                "eks", region_name, account_id,
                f"access-entry/{cluster_name}/{kind}/{account}/{principal_name}/{mock_random.uuid4()}",
            )
            entries[principal] = {"arn": arn, "properties": p}
            return f"{principal}|{cluster_name}", {}

        def _record(self):  # type: ignore[no-untyped-def]
            principal, cluster_name = self._physical_id.rsplit("|", 1)
            cluster = _eks(self._account_id, self._region_name).clusters.get(cluster_name)
            return _eks_children(cluster, "access_entries").get(principal) if cluster is not None else None

        def _attribute(self, name):  # type: ignore[no-untyped-def]
            record = self._record()
            return record["arn"] if record is not None and name == "AccessEntryArn" else None

        def _update(self, p):  # type: ignore[no-untyped-def]
            record = self._record()
            if record is None:
                raise _eks_error("ResourceNotFoundException", f"The specified access entry {self._physical_id} could not be found.")
            record["properties"] = p

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            principal, cluster_name = self._physical_id.rsplit("|", 1)
            cluster = _eks(account_id, region_name).clusters.get(cluster_name)
            if cluster is not None:
                _eks_children(cluster, "access_entries").pop(principal, None)

    class EksPodIdentityAssociation(_EksModel, CloudFormationModel):
        __module__ = "moto.eks.hubctl_launcher"  # moto files models by service
        TYPE = "AWS::EKS::PodIdentityAssociation"
        ATTRS = ("AssociationArn", "AssociationId", "ExternalId")
        CREATE_ONLY = ("ClusterName", "Namespace", "ServiceAccount")

        @classmethod
        def _create(cls, name, p, account_id, region_name, kwargs):  # type: ignore[no-untyped-def]
            cluster = _eks_cluster(account_id, region_name, p.get("ClusterName"))
            associations = _eks_children(cluster, "pod_identity")
            association_id = _pod_identity(cluster, associations, p.get("Namespace"), p.get("ServiceAccount"), p.get("RoleArn"), None)
            associations[association_id]["properties"] = p
            return associations[association_id]["arn"], {}

        def _record(self):  # type: ignore[no-untyped-def]
            # arn:aws:eks:<region>:<account>:podidentityassociation/<cluster>/<id>
            _, cluster_name, association_id = self._physical_id.rsplit("/", 2)
            cluster = _eks(self._account_id, self._region_name).clusters.get(cluster_name)
            return (_eks_children(cluster, "pod_identity").get(association_id), cluster) if cluster is not None else (None, None)

        def _attribute(self, name):  # type: ignore[no-untyped-def]
            record, _ = self._record()
            if record is None:
                return None
            return {"AssociationArn": record["arn"], "AssociationId": record["id"], "ExternalId": record["external_id"]}.get(name)

        def _update(self, p):  # type: ignore[no-untyped-def]
            record, _ = self._record()
            if record is None:
                raise _eks_error("ResourceNotFoundException", f"The specified association {self._physical_id} could not be found.")
            _check_role_arn(p.get("RoleArn"))
            record.update(role_arn=p.get("RoleArn"), properties=p)

        def _delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
            record, cluster = self._record()
            if record is not None:
                _eks_children(cluster, "pod_identity").pop(record["id"], None)

    return [EksCluster, EksNodegroup, EksAddon, EksAccessEntry, EksPodIdentityAssociation]


def _check_role_arn(role_arn):  # type: ignore[no-untyped-def]
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/.+", role_arn or ""):
        raise _eks_error("InvalidParameterException", f"Invalid Role Arn: '{role_arn}'")


def _pod_identity(cluster, associations, namespace, service_account, role_arn, owner):  # type: ignore[no-untyped-def]
    """CreatePodIdentityAssociation (standalone, or an add-on's): one per namespace and service
    account in a cluster; returns the ``a-...`` id."""
    from moto.moto_api._internal import mock_random

    _check_role_arn(role_arn)
    if any(a["namespace"] == namespace and a["service_account"] == service_account for a in associations.values()):
        raise _eks_error("ResourceInUseException", f"Association already exists: {namespace}/{service_account}")
    association_id = "a-" + _eks_random_id(17)
    region, account = cluster.arn.split(":")[3:5]
    associations[association_id] = {
        "id": association_id,
        "arn": _arn("eks", region, account, f"podidentityassociation/{cluster.name}/{association_id}"),
        "namespace": namespace,
        "service_account": service_account,
        "role_arn": role_arn,
        "external_id": str(mock_random.uuid4()),
        "owner": owner,
    }
    return association_id


def patch_eks_cloudformation() -> None:
    """AWS::EKS::Cluster / Nodegroup / Addon / AccessEntry / PodIdentityAssociation, backed by
    moto's EKS backend, and the cluster as EKS creates and deletes it (API and CloudFormation)."""
    from moto.cloudformation import parsing
    from moto.eks.exceptions import InvalidRequestException
    from moto.eks.models import EKSBackend
    from moto.eks.responses import EKSResponse

    if getattr(EKSBackend.create_cluster, "_hubctl_patched", False):
        return
    original_create = EKSBackend.create_cluster
    original_delete = EKSBackend.delete_cluster

    def create_cluster(self, name, role_arn, resources_vpc_config, *args, **kwargs):  # type: ignore[no-untyped-def]
        _eks_check_subnets(self.account_id, self.region_name, _eks_list((resources_vpc_config or {}).get("subnetIds")))
        cluster = original_create(self, name, role_arn, resources_vpc_config, *args, **kwargs)
        _eks_provision(self, cluster)
        return cluster

    def delete_cluster(self, name):  # type: ignore[no-untyped-def]
        cluster = self.clusters.get(name)
        if cluster is not None and cluster.__dict__.get("deletion_protection") and cluster.status == "ACTIVE":
            raise InvalidRequestException(
                clusterName=name,
                nodegroupName=None,
                addonName=None,
                message=f"Cluster {name} has deletion protection enabled. Disable deletion protection before deleting the cluster.",
            )
        result = original_delete(self, name)  # ResourceInUseException while node groups remain
        _eks_release(self, result)
        return result

    # The API's CreateCluster / UpdateClusterConfig: accessConfig and deletionProtection, which
    # moto's responses do not read.
    original_response_create = EKSResponse.create_cluster
    original_response_update = EKSResponse.update_cluster_config

    def response_create_cluster(self):  # type: ignore[no-untyped-def]
        result = original_response_create(self)
        cluster = self.eks_backend.clusters[self._get_param("name")]
        access = self._get_param("accessConfig") or {}
        cluster.access_config = {
            "authenticationMode": access.get("authenticationMode", "CONFIG_MAP"),
            "bootstrapClusterCreatorAdminPermissions": access.get("bootstrapClusterCreatorAdminPermissions", True),
        }
        cluster.deletion_protection = bool(self._get_param("deletionProtection"))
        return result

    def response_update_cluster_config(self):  # type: ignore[no-untyped-def]
        # moto replaces resourcesVpcConfig with the request's; EKS changes what the request sets.
        cluster = self.eks_backend.clusters.get(self._get_param("name"))
        before = dict((cluster.resources_vpc_config or {}) if cluster else {})
        result = original_response_update(self)
        cluster = self.eks_backend.clusters[self._get_param("name")]
        cluster.resources_vpc_config = dict(before, **(self._get_param("resourcesVpcConfig") or {}))
        if self._get_param("deletionProtection") is not None:
            cluster.deletion_protection = bool(self._get_param("deletionProtection"))
        mode = (self._get_param("accessConfig") or {}).get("authenticationMode")
        if mode:
            cluster.access_config = dict(cluster.access_config, authenticationMode=mode)
        return result

    create_cluster._hubctl_patched = True  # type: ignore[attr-defined]
    EKSBackend.create_cluster = create_cluster  # type: ignore[method-assign]
    EKSBackend.delete_cluster = delete_cluster  # type: ignore[method-assign]
    EKSResponse.create_cluster = response_create_cluster  # type: ignore[method-assign]
    EKSResponse.update_cluster_config = response_update_cluster_config  # type: ignore[method-assign]

    _MODELS.extend(_define_eks_models())
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def _principals(statement):  # type: ignore[no-untyped-def]
    """The AWS principals a trust statement names (``"*"`` for everyone)."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    named = principal.get("AWS", []) if isinstance(principal, dict) else []
    return named if isinstance(named, list) else [named]


def _names_action(statement, action):  # type: ignore[no-untyped-def]
    actions = statement.get("Action", [])
    actions = actions if isinstance(actions, list) else [actions]
    service = action.split(":")[0]
    return any(a.lower() in (action.lower(), f"{service}:*", "*") for a in actions)


def _trust_names_caller(document, caller_arn, caller_account):  # type: ignore[no-untyped-def]
    """Whether a role's trust policy lets ``caller_arn`` (of ``caller_account``) assume it:
    an Allow of sts:AssumeRole naming the caller's account (its id or ``:root``), the
    caller itself (an assumed role's session is named by its role's ARN, any path; a user by
    its ARN) or everyone, and no Deny naming any of those. Conditions are not evaluated."""
    partition = caller_arn.split(":")[1] if caller_arn.count(":") >= 5 else "aws"
    resource = caller_arn.split(":", 5)[-1]
    parts = resource.split("/")

    def names_caller(principal):  # type: ignore[no-untyped-def]
        if principal in ("*", caller_account, f"arn:{partition}:iam::{caller_account}:root", caller_arn):
            return True
        if caller_arn.startswith(f"arn:{partition}:sts::{caller_account}:assumed-role/") and len(parts) >= 3:
            prefix = f"arn:{partition}:iam::{caller_account}:role/"
            return principal.startswith(prefix) and principal.rsplit("/", 1)[-1] == parts[1]
        return False

    try:
        statements = json.loads(document).get("Statement", [])
    except (TypeError, ValueError):
        return False
    statements = statements if isinstance(statements, list) else [statements]
    matching = [
        s for s in statements
        if _names_action(s, "sts:AssumeRole") and any(names_caller(p) for p in _principals(s))
    ]
    return any(s.get("Effect") == "Allow" for s in matching) and not any(s.get("Effect") == "Deny" for s in matching)


def patch_assume_role_needs_a_role_that_trusts_the_caller() -> None:
    """AssumeRole of a role that does not exist, or whose trust policy does not name the
    caller, is AccessDenied, as STS answers it."""
    from moto.iam.models import iam_backends
    from moto.sts.responses import TokenResponse
    from moto.utilities.utils import ARN_PARTITION_REGEX

    original = TokenResponse.assume_role
    if getattr(original, "_hubctl_patched", False):
        return

    def assume_role(self):  # type: ignore[no-untyped-def]
        role_arn = self._get_param("RoleArn") or ""
        match = re.match(ARN_PARTITION_REGEX + r":iam::([0-9]{12}):role/", role_arn)
        _, caller_arn, caller_account = self.backend.get_caller_identity(self.get_access_key(), self.region)
        role = None
        if match:
            try:
                role = iam_backends[match.group(2)][match.group(1)].get_role_by_arn(role_arn)
            except Exception:  # noqa: BLE001 - moto's NotFoundException: no such role
                role = None
        if role is None or not _trust_names_caller(role.assume_role_policy_document, caller_arn, caller_account):
            body = (
                '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                "<Error><Type>Sender</Type><Code>AccessDenied</Code>"
                f"<Message>User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}</Message>"
                "</Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
            )
            return body, {"status": 403, "Content-Type": "text/xml"}
        return original(self)

    assume_role._hubctl_patched = True  # type: ignore[attr-defined]
    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]


def _invitation_problem(config) -> str | None:  # type: ignore[no-untyped-def]
    """Why Cognito refuses a pool's invitation template, or None."""
    template = ((config or {}).get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {}
    message = template.get("EmailMessage")
    if message is not None and ("{username}" not in message or "{####}" not in message):
        return "The invite message template must contain both {username} and {####}: " + repr(message[:80])
    sms = template.get("SMSMessage")
    if sms is not None and ("{username}" not in sms or "{####}" not in sms):
        return "The invite SMS message template must contain both {username} and {####}"
    return None


def patch_cognito_invitations() -> None:
    """CreateUserPool / UpdateUserPool refuse an invitation template without {username} and
    {####}; AdminCreateUser delivers through the mediums asked for (SMS when none), each of
    which needs its attribute, as Cognito does."""
    from moto.cognitoidp.exceptions import InvalidParameterException
    from moto.cognitoidp.models import CognitoIdpBackend
    from moto.cognitoidp.responses import CognitoIdpResponse

    original_create = CognitoIdpBackend.create_user_pool
    if getattr(original_create, "_hubctl_patched", False):
        return
    original_update = CognitoIdpBackend.update_user_pool
    original_admin_create = CognitoIdpResponse.admin_create_user

    def create_user_pool(self, name, extended_config):  # type: ignore[no-untyped-def]
        problem = _invitation_problem(extended_config)
        if problem:
            raise InvalidParameterException(problem)
        return original_create(self, name, extended_config)

    def update_user_pool(self, user_pool_id, extended_config):  # type: ignore[no-untyped-def]
        problem = _invitation_problem(extended_config)
        if problem:
            raise InvalidParameterException(problem)
        return original_update(self, user_pool_id, extended_config)

    def admin_create_user(self):  # type: ignore[no-untyped-def]
        if self._get_param("MessageAction") != "SUPPRESS":
            attributes = {a.get("Name"): a.get("Value") for a in self._get_param("UserAttributes", [])}
            pool = self.backend.describe_user_pool(self._get_param("UserPoolId"))
            for medium in self._get_param("DesiredDeliveryMediums") or ["SMS"]:
                if medium == "EMAIL" and not attributes.get("email"):
                    raise InvalidParameterException("User has no email attribute to deliver the invitation to (DesiredDeliveryMediums EMAIL)")
                if medium == "SMS" and not attributes.get("phone_number"):
                    raise InvalidParameterException("User has no phone_number attribute to deliver the invitation to (DesiredDeliveryMediums SMS, the default)")
                if medium == "SMS" and not pool.extended_config.get("SmsConfiguration"):
                    raise InvalidParameterException("User pool does not have SMS configuration to send messages.")
        return original_admin_create(self)

    create_user_pool._hubctl_patched = True  # type: ignore[attr-defined]
    CognitoIdpBackend.create_user_pool = create_user_pool  # type: ignore[method-assign]
    CognitoIdpBackend.update_user_pool = update_user_pool  # type: ignore[method-assign]
    CognitoIdpResponse.admin_create_user = admin_create_user  # type: ignore[method-assign]


def _ecr_api_shapes(properties):  # type: ignore[no-untyped-def]
    """The repository's CloudFormation properties with the two the API spells in camelCase
    converted (idempotent: converted keys stay)."""
    converted = dict(properties)
    scanning = converted.get("ImageScanningConfiguration")
    if isinstance(scanning, dict) and "ScanOnPush" in scanning:
        converted["ImageScanningConfiguration"] = {"scanOnPush": _bool(scanning["ScanOnPush"])}
    encryption = converted.get("EncryptionConfiguration")
    if isinstance(encryption, dict) and "EncryptionType" in encryption:
        api = {"encryptionType": encryption["EncryptionType"]}
        if encryption.get("KmsKey"):
            api["kmsKey"] = encryption["KmsKey"]
        converted["EncryptionConfiguration"] = api
    return converted


def patch_ecr_cloudformation() -> None:
    """AWS::ECR::Repository with the API's shapes, its lifecycle policy, and EmptyOnDelete
    honoured by the stack's delete."""
    from moto.ecr.models import Repository, ecr_backends

    if getattr(Repository.delete, "_hubctl_patched", False):
        return
    original_create = Repository.create_from_cloudformation_json.__func__
    original_update = Repository.update_from_cloudformation_json.__func__

    def finish(repository, properties, account_id, region_name):  # type: ignore[no-untyped-def]
        repository._hubctl_empty_on_delete = _bool(properties.get("EmptyOnDelete", False))
        policy = (properties.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        if policy:
            ecr_backends[account_id][region_name].put_lifecycle_policy(
                None, repository.name, policy
            )
        return repository

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        json = dict(cloudformation_json, Properties=_ecr_api_shapes(cloudformation_json["Properties"]))
        repository = original_create(cls, resource_name, json, account_id, region_name, **kwargs)
        return finish(repository, json["Properties"], account_id, region_name)

    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        json = dict(cloudformation_json, Properties=_ecr_api_shapes(cloudformation_json["Properties"]))
        repository = original_update(cls, original_resource, new_resource_name, json, account_id, region_name)
        return finish(repository, json["Properties"], account_id, region_name)

    def delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
        ecr_backends[account_id][region_name].delete_repository(
            self.name, force=getattr(self, "_hubctl_empty_on_delete", False)
        )

    delete._hubctl_patched = True  # type: ignore[attr-defined]
    Repository.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign]
    Repository.update_from_cloudformation_json = classmethod(update)  # type: ignore[method-assign]
    Repository.delete = delete  # type: ignore[method-assign]


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
    patch_eks_cloudformation()
    patch_assume_role_needs_a_role_that_trusts_the_caller()
    patch_cognito_invitations()
    patch_ecr_cloudformation()
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
