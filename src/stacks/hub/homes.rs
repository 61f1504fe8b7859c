//! The EFS access points: the hub's state (`/hub`) and one home per listed user
//! (`/home/<user>`), each owned by the user its image runs as. Any platform mounts them.

use super::{ids, parameters, reference};
use crate::cfn::resources::{AccessPoint, AccessPointTag, CreationInfo, PosixUser, RootDirectory};
use crate::cfn::{Resource, Template};
use crate::model::Deployment;

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
                permissions: "0750".to_string(),
            },
            path: path.to_string(),
        }),
    })
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
}
