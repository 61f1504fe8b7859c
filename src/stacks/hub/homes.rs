//! The EFS access points: the hub's state (`/hub`), one home per listed user
//! (`/home/<user>`), each owned by the user its image runs as, and the shared data
//! (`storage.shared`). Any platform mounts them.

use super::{ids, parameters, reference};
use crate::cfn::resources::{AccessPoint, AccessPointTag, CreationInfo, PosixUser, RootDirectory};
use crate::cfn::{Resource, Template};
use crate::model::{Deployment, SharedData};

/// The container user of the hub image (non-root).
pub(super) const HUB_UID: u32 = 1000;
/// The container user of the Jupyter docker-stacks images (`jovyan`, non-root).
pub(super) const NOTEBOOK_UID: u32 = 1000;
/// Its group (`users`).
pub(super) const NOTEBOOK_GID: u32 = 100;

pub(super) fn access_point(
    prefix: &str,
    path: &str,
    (uid, gid): (u32, u32),
    owner: &str,
) -> Resource {
    access_point_with_mode(prefix, path, (uid, gid), owner, "0750")
}

fn access_point_with_mode(
    prefix: &str,
    path: &str,
    (uid, gid): (u32, u32),
    owner: &str,
    permissions: &str,
) -> Resource {
    let (uid, gid) = (uid.to_string(), gid.to_string());
    Resource::new(AccessPoint {
        access_point_tags: vec![AccessPointTag {
            key: "Name".to_string(),
            value: format!("{prefix}-{owner}"),
        }],
        file_system_id: reference(parameters::FILE_SYSTEM_ID),
        posix_user: Some(PosixUser {
            gid: gid.clone(),
            uid: uid.clone(),
        }),
        root_directory: Some(RootDirectory {
            creation_info: CreationInfo {
                owner_gid: gid,
                owner_uid: uid,
                permissions: permissions.to_string(),
            },
            path: path.to_string(),
        }),
    })
}

/// An access point on the shared data's directory, named `<prefix>-<name>`. Through it
/// every client is the notebook user (1000:100), admins and users alike, so the directory's
/// mode (0755, owned by that user) cannot tell writers from readers: who may write is the
/// mounting role's (`elasticfilesystem:ClientWrite` on this access point, which only
/// admins' roles have) and the mount's (read-only for everyone else).
pub(super) fn shared_access_point(prefix: &str, shared: &SharedData, name: &str) -> Resource {
    access_point_with_mode(
        prefix,
        &shared.path,
        (NOTEBOOK_UID, NOTEBOOK_GID),
        name,
        "0755",
    )
}

pub(super) fn add_access_points(template: &mut Template, deployment: &Deployment, prefix: &str) {
    template.add(
        ids::HUB_ACCESS_POINT,
        access_point(prefix, "/hub", (HUB_UID, HUB_UID), "hub"),
    );
    // Every home belongs to the notebook image's user (jovyan, 1000:100), so files, git and
    // ssh see the owner they expect; homes are kept apart by their root directory and by
    // each user's task role, which may mount only that user's access point.
    for user in deployment.hub.users() {
        template.add(
            &ids::home_access_point(user),
            access_point(
                prefix,
                &format!("/home/{}", user.name),
                (NOTEBOOK_UID, NOTEBOOK_GID),
                &user.name,
            ),
        );
    }
    // One access point serves readers and writers: each user's task role says which.
    if let Some(shared) = &deployment.storage.shared {
        template.add(
            ids::SHARED_ACCESS_POINT,
            shared_access_point(prefix, shared, "shared"),
        );
    }
}
