//! Glance's default (secure RBAC) policy, as plain functions.
//!
//! Two outcomes matter to clients: an image the caller may not even see is
//! answered 404 (its existence is not revealed); a visible image the caller
//! may not change is answered 403. `visible` decides the first, the rest the
//! second.

use crate::auth::RequestContext;
use crate::model::{Image, MemberStatus, Visibility};

/// May the caller see this image at all (by id)?
/// `membership` is the caller's project's membership of the image, if any.
pub fn visible(ctx: &RequestContext, image: &Image, membership: Option<MemberStatus>) -> bool {
    if ctx.is_admin() {
        return true;
    }
    let owns = owns(ctx, image);
    match image.visibility {
        Visibility::Public | Visibility::Community => true,
        Visibility::Private => owns,
        Visibility::Shared => owns || membership.is_some(),
    }
}

fn owns(ctx: &RequestContext, image: &Image) -> bool {
    ctx.project_id.is_some() && image.owner.as_deref() == ctx.project_id.as_deref()
}

fn member_of_owner(ctx: &RequestContext, image: &Image) -> bool {
    ctx.has_role("member") && owns(ctx, image)
}

/// `add_image`: project members create images in their own project.
pub fn may_create(ctx: &RequestContext) -> bool {
    ctx.is_admin() || (ctx.has_role("member") && ctx.project_id.is_some())
}

/// `modify_image`, `upload_image`, `delete_image`, tags.
pub fn may_modify(ctx: &RequestContext, image: &Image) -> bool {
    ctx.is_admin() || member_of_owner(ctx, image)
}

/// `publicize_image`: only admins make images public.
pub fn may_set_visibility(ctx: &RequestContext, visibility: Visibility) -> bool {
    visibility != Visibility::Public || ctx.is_admin()
}

/// `download_image` (the image is already known to be visible).
pub fn may_download(ctx: &RequestContext) -> bool {
    ctx.is_admin() || ctx.has_role("reader")
}

/// `deactivate` / `reactivate`.
pub fn may_deactivate(ctx: &RequestContext) -> bool {
    ctx.is_admin()
}

/// `add_member` / `delete_member`: the owner's members.
pub fn may_manage_members(ctx: &RequestContext, image: &Image) -> bool {
    may_modify(ctx, image)
}

/// `modify_member`: the member project itself (or an admin) answers an invitation.
pub fn may_set_member_status(ctx: &RequestContext, member_id: &str) -> bool {
    ctx.is_admin() || (ctx.has_role("member") && ctx.project_id.as_deref() == Some(member_id))
}

/// May the caller set `owner` to `owner`?
pub fn may_set_owner(ctx: &RequestContext, owner: &str) -> bool {
    ctx.is_admin() || ctx.project_id.as_deref() == Some(owner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ImageStatus;

    fn ctx(project: &str, roles: &[&str]) -> RequestContext {
        RequestContext {
            user_id: "u".into(),
            project_id: Some(project.into()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            access_rules: None,
        }
    }

    fn image(owner: &str, visibility: Visibility) -> Image {
        Image {
            status: ImageStatus::Active,
            ..Image::queued("i".into(), Some(owner.into()), visibility)
        }
    }

    /// Every persona × visibility × relationship: (visible, may_modify).
    #[test]
    fn visibility_and_modify_table() {
        let admin = ctx("other", &["admin", "member", "reader"]);
        let member = ctx("p", &["member", "reader"]);
        let reader = ctx("p", &["reader"]);
        let stranger = ctx("q", &["member", "reader"]);
        use Visibility::*;
        #[rustfmt::skip]
        let table: &[(&RequestContext, Visibility, Option<MemberStatus>, bool, bool)] = &[
            (&admin,    Private,   None, true,  true),
            (&admin,    Shared,    None, true,  true),
            (&member,   Private,   None, true,  true),
            (&member,   Public,    None, true,  true),
            (&reader,   Private,   None, true,  false),
            (&reader,   Public,    None, true,  false),
            (&stranger, Private,   None, false, false),
            (&stranger, Shared,    None, false, false),
            (&stranger, Shared,    Some(MemberStatus::Pending),  true, false),
            (&stranger, Shared,    Some(MemberStatus::Rejected), true, false),
            (&stranger, Shared,    Some(MemberStatus::Accepted), true, false),
            (&stranger, Public,    None, true,  false),
            (&stranger, Community, None, true,  false),
        ];
        for (who, vis, membership, see, modify) in table {
            let img = image("p", *vis);
            assert_eq!(
                visible(who, &img, *membership),
                *see,
                "{who:?} {vis:?} {membership:?} visible"
            );
            assert_eq!(may_modify(who, &img), *modify, "{who:?} {vis:?} modify");
        }
    }

    #[test]
    fn role_rules() {
        let admin = ctx("a", &["admin", "member", "reader"]);
        let member = ctx("p", &["member", "reader"]);
        let reader = ctx("p", &["reader"]);
        assert!(may_create(&admin) && may_create(&member) && !may_create(&reader));
        assert!(may_set_visibility(&admin, Visibility::Public));
        assert!(!may_set_visibility(&member, Visibility::Public));
        assert!(may_set_visibility(&member, Visibility::Community));
        assert!(may_download(&reader) && !may_download(&ctx("p", &[])));
        assert!(may_deactivate(&admin) && !may_deactivate(&member));
        assert!(may_set_member_status(&member, "p") && !may_set_member_status(&member, "q"));
        assert!(may_set_owner(&member, "p") && !may_set_owner(&member, "q") && may_set_owner(&admin, "q"));
        let unscoped = RequestContext {
            user_id: "u".into(),
            project_id: None,
            roles: vec![],
            access_rules: None,
        };
        assert!(!may_create(&unscoped));
        assert!(!visible(&unscoped, &image("p", Visibility::Private), None));
    }
}
