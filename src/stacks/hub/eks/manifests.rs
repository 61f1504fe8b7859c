//! What CloudFormation cannot create inside the cluster, as manifests in `k8s/`: the hub's
//! namespace, the encrypted gp3 StorageClass, the homes' EFS volume and claim, the shared
//! data's two (read-only for every server, read-write for admins'), and for Auto Mode its
//! IngressClass, network-policy switch and GPU NodePool.

use serde_json::{json, Value};

use super::cluster::GPU_TAINT;
use super::{hub_output, hub_outputs, NAMESPACE};
use crate::k8s::{Kubernetes, Manifest};
use crate::model::{Compute, Deployment, EksCluster};
use crate::stacks::{frame, OutputRef, StackId};

/// The StorageClass of the hub's database volume.
pub const GP3_STORAGE_CLASS: &str = "hubctl-gp3-encrypted";
/// The claim every user server mounts a sub-path of.
pub const HOMES_CLAIM: &str = "homes";
/// The shared data's read-only claim, in every user server.
pub const SHARED_CLAIM: &str = "shared";
/// The shared data's read-write claim, in admins' servers instead.
pub const SHARED_ADMIN_CLAIM: &str = "shared-admin";
/// The hub's IngressClass: Auto Mode's ALB, or the AWS Load Balancer Controller's.
pub const INGRESS_CLASS: &str = "hubctl-alb";
/// Auto Mode's GPU NodePool.
pub const GPU_NODE_POOL: &str = "hubctl-gpu";

pub(super) fn add(kubernetes: &mut Kubernetes, deployment: &Deployment, eks: &EksCluster) {
    let auto = matches!(eks.compute, Compute::Auto);
    kubernetes.manifests.push(Manifest {
        file: "00-namespace.yaml".to_string(),
        objects: vec![json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "hubctl"}},
        })],
    });

    let key = kubernetes.placeholder(OutputRef::new(StackId::Frame, frame::outputs::KMS_KEY_ARN));
    let file_system = kubernetes.placeholder(OutputRef::new(
        StackId::Frame,
        frame::outputs::FILE_SYSTEM_ID,
    ));
    let access_point = kubernetes.placeholder(hub_output(hub_outputs::HOMES_ACCESS_POINT_ID));
    let reclaim = if deployment.storage.retain {
        "Retain"
    } else {
        "Delete"
    };
    let homes_volume = format!("{}-homes", deployment.prefix());
    let mut storage = vec![
        json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": GP3_STORAGE_CLASS},
            "provisioner": if auto { "ebs.csi.eks.amazonaws.com" } else { "ebs.csi.aws.com" },
            "parameters": {"type": "gp3", "encrypted": "true", "kmsKeyId": key},
            "reclaimPolicy": reclaim,
            "allowVolumeExpansion": true,
            "volumeBindingMode": "WaitForFirstConsumer",
        }),
        // Static: one volume on the homes' access point (`/home`), each server mounting
        // its user's sub-directory; mounted with TLS and IAM (the file system's policy
        // refuses anything else), by the EFS CSI driver's Pod Identity role.
        json!({
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": homes_volume},
            "spec": {
                "capacity": {"storage": "1Ti"},
                "accessModes": ["ReadWriteMany"],
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": "",
                "mountOptions": ["iam", "tls"],
                "csi": {
                    "driver": "efs.csi.aws.com",
                    "volumeHandle": format!("{file_system}::{access_point}"),
                },
            },
        }),
        json!({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": HOMES_CLAIM, "namespace": NAMESPACE},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "",
                "volumeName": homes_volume,
                "resources": {"requests": {"storage": "1Ti"}},
            },
        }),
    ];
    if deployment.storage.shared.is_some() {
        let prefix = deployment.prefix();
        // Each on its own access point: EFS itself refuses writes through the read-only
        // one (the nodes' role has no ClientWrite there), whatever the mount says.
        for (claim, output, read_only) in [
            (
                SHARED_CLAIM,
                hub_outputs::SHARED_READ_ONLY_ACCESS_POINT_ID,
                true,
            ),
            (
                SHARED_ADMIN_CLAIM,
                hub_outputs::SHARED_ACCESS_POINT_ID,
                false,
            ),
        ] {
            let access_point = kubernetes.placeholder(hub_output(output));
            let volume = format!("{prefix}-{claim}");
            let (mode, options) = if read_only {
                ("ReadOnlyMany", json!(["iam", "ro", "tls"]))
            } else {
                ("ReadWriteMany", json!(["iam", "tls"]))
            };
            storage.push(json!({
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": volume},
                "spec": {
                    "capacity": {"storage": "1Ti"},
                    "accessModes": [mode],
                    "persistentVolumeReclaimPolicy": "Retain",
                    "storageClassName": "",
                    "mountOptions": options,
                    "csi": {
                        "driver": "efs.csi.aws.com",
                        "volumeHandle": format!("{file_system}::{access_point}"),
                        "readOnly": read_only,
                    },
                },
            }));
            storage.push(json!({
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim, "namespace": NAMESPACE},
                "spec": {
                    "accessModes": [mode],
                    "storageClassName": "",
                    "volumeName": volume,
                    "resources": {"requests": {"storage": "1Ti"}},
                },
            }));
        }
    }
    kubernetes.manifests.push(Manifest {
        file: "10-storage.yaml".to_string(),
        objects: storage,
    });

    if !auto {
        // The AWS Load Balancer Controller's class (its chart is told not to make one).
        kubernetes.manifests.push(Manifest {
            file: "20-ingress-class.yaml".to_string(),
            objects: vec![json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": INGRESS_CLASS},
                "spec": {"controller": "ingress.k8s.aws/alb"},
            })],
        });
        return;
    }
    kubernetes.manifests.push(Manifest {
        file: "20-ingress-class.yaml".to_string(),
        objects: vec![
            json!({
                "apiVersion": "eks.amazonaws.com/v1",
                "kind": "IngressClassParams",
                "metadata": {"name": INGRESS_CLASS},
                "spec": {"scheme": "internet-facing"},
            }),
            json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": INGRESS_CLASS},
                "spec": {
                    "controller": "eks.amazonaws.com/alb",
                    "parameters": {
                        "apiGroup": "eks.amazonaws.com",
                        "kind": "IngressClassParams",
                        "name": INGRESS_CLASS,
                    },
                },
            }),
        ],
    });
    // The chart's NetworkPolicies hold only where a controller enforces them: Auto Mode's
    // is switched on by this ConfigMap.
    kubernetes.manifests.push(Manifest {
        file: "30-network-policy.yaml".to_string(),
        objects: vec![json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "amazon-vpc-cni", "namespace": "kube-system"},
            "data": {"enable-network-policy-controller": "true"},
        })],
    });
    if deployment
        .hub
        .profiles
        .iter()
        .any(|profile| profile.gpus > 0)
    {
        let gpus: u32 = deployment
            .hub
            .profiles
            .iter()
            .map(|p| p.gpus)
            .max()
            .unwrap_or(1);
        kubernetes.manifests.push(Manifest {
            file: "40-gpu-node-pool.yaml".to_string(),
            objects: vec![gpu_node_pool(gpus)],
        });
    }
}

/// Auto Mode's built-in pools have no GPU instances: this one has NVIDIA instances only,
/// tainted so that only GPU servers land there, emptied soon after the last one stops.
fn gpu_node_pool(max_gpus_per_server: u32) -> Value {
    json!({
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": GPU_NODE_POOL},
        "spec": {
            "template": {
                "spec": {
                    "nodeClassRef": {"group": "eks.amazonaws.com", "kind": "NodeClass", "name": "default"},
                    "requirements": [
                        {"key": "eks.amazonaws.com/instance-gpu-manufacturer", "operator": "In", "values": ["nvidia"]},
                        {"key": "eks.amazonaws.com/instance-gpu-count", "operator": "Gt", "values": [(max_gpus_per_server.max(1) - 1).to_string()]},
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
                        // CUDA images are built for amd64; g5g's Graviton would not run them.
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                    ],
                    "taints": [{"key": GPU_TAINT, "effect": "NoSchedule"}],
                },
            },
            "limits": {GPU_TAINT: "16"},
            "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"},
        },
    })
}
