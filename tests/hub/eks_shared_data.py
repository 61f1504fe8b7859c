"""storage.shared on EKS: the golden values' `hub.extraConfig` entry `02-hubctl-shared-data`
run as the chart's hub runs it (with `c` the hub's config), then its `modify_pod_hook`
given the pods KubeSpawner makes from the values' `singleuser.storage` (the home's claim
and the extra volumes and mounts, as kubernetes-client models: snake_case attributes).

Every admin of `hub.config.Authenticator.admin_users` gets the read-write claim
`shared-admin`, mounted writable; every other user (and a name the config does not list)
keeps the read-only claim `shared`, mounted read-only; the home is never touched.

Usage: python eks_shared_data.py GOLDEN_ENV_DIR   (prints `ok ...` lines; exits non-zero on failure)
"""

import copy
import re
import sys
import types
from pathlib import Path

import yaml


def model(value):
    """A kubernetes-client model of a manifest dict: camelCase keys as snake_case attributes."""
    if isinstance(value, dict):
        return types.SimpleNamespace(
            **{re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): model(item) for key, item in value.items()}
        )
    if isinstance(value, list):
        return [model(item) for item in value]
    return value


class Config:
    """`c`: `c.KubeSpawner.modify_pod_hook = ...` sets an attribute of a section."""

    def __init__(self):
        self.__dict__["sections"] = {}

    def __getattr__(self, name):
        return self.sections.setdefault(name, types.SimpleNamespace())


def pod_of(storage):
    """The pod KubeSpawner makes for a user: the home's volume first, then the extra ones."""
    volumes = [{"name": "home", "persistentVolumeClaim": {"claimName": storage["static"]["pvcName"]}}]
    mounts = [{"name": "home", "mountPath": "/home/jovyan", "subPath": "alice"}]
    volumes += copy.deepcopy(storage.get("extraVolumes", []))
    mounts += copy.deepcopy(storage.get("extraVolumeMounts", []))
    return model({"spec": {"volumes": volumes, "containers": [{"name": "notebook", "volumeMounts": mounts}]}})


def shared(pod):
    volume = next(v for v in pod.spec.volumes if v.name == "shared")
    mount = next(m for m in pod.spec.containers[0].volume_mounts if m.name == "shared")
    return volume.persistent_volume_claim.claim_name, volume.persistent_volume_claim.read_only, mount.read_only


def main():
    env = Path(sys.argv[1])
    values = yaml.safe_load((env / "jupyterhub-values.yaml").read_text())
    storage = values["singleuser"]["storage"]
    hook_text = values["hub"]["extraConfig"].get("02-hubctl-shared-data")
    if hook_text is None:
        assert "extraVolumes" not in storage and "extraVolumeMounts" not in storage, storage
        print("ok no shared data, no hook")
        return
    c = Config()
    exec(compile(hook_text, "02-hubctl-shared-data", "exec"), {"c": c})
    hook = c.KubeSpawner.modify_pod_hook
    authenticator = values["hub"]["config"]["Authenticator"]
    admins = authenticator["admin_users"]
    others = authenticator.get("allowed_users", []) + ["mallory"]
    assert admins, "the config has admins"
    for name in admins + others:
        spawner = types.SimpleNamespace(user=types.SimpleNamespace(name=name, admin=name in admins))
        pod = pod_of(storage)
        before = shared(pod)
        assert before == ("shared", True, True), f"every pod starts read-only: {before}"
        result = hook(spawner, pod)
        assert result is pod, "the hook returns the pod"
        home = pod.spec.volumes[0]
        assert home.persistent_volume_claim.claim_name == storage["static"]["pvcName"], "the home is untouched"
        after = shared(pod)
        expected = ("shared-admin", False, False) if name in admins else ("shared", True, True)
        assert after == expected, f"{name}: {after}, expected {expected}"
    # An admin promoted in the hub's UI is not a writer: the config's admins are (as on ECS).
    promoted = types.SimpleNamespace(user=types.SimpleNamespace(name=others[0], admin=True))
    pod = pod_of(storage)
    hook(promoted, pod)
    assert shared(pod) == ("shared", True, True), shared(pod)
    print(f"ok admins write the shared data: {', '.join(admins)}")
    print(f"ok everyone else reads it only: {', '.join(others)}")


if __name__ == "__main__":
    main()
