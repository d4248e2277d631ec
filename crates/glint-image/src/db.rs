//! Image records in SQL (sqlx). Only this module writes SQL. State changes
//! are conditional `UPDATE … WHERE status = …` statements, so concurrent
//! requests (or nodes) cannot both win a transition.

use std::collections::{BTreeMap, HashMap};

use glint_metadata::{with_pool, Engine, MetaRow, MetadataPool};

use crate::auth::RequestContext;
use crate::filter::{ListQuery, MemberStatusFilter, SortDir, SortKey, VisibilityFilter};
use crate::model::{Image, ImageStatus, Location, Member, MemberStatus, Visibility};
use crate::statement::{Bind, Statement};
use crate::ImageError;

#[derive(Clone)]
pub struct ImageDb {
    pool: MetadataPool,
    /// This node's id, recorded on in-flight work (saving, importing,
    /// deleting, tasks) so that only this node recovers it after a crash;
    /// other nodes sharing the database leave it alone.
    worker: String,
}

/// The bytes of a completed upload, recorded when the image becomes active.
#[derive(Debug, Clone)]
pub struct UploadedData {
    pub size: u64,
    pub virtual_size: Option<u64>,
    pub checksum: String,
    pub os_hash_algo: String,
    pub os_hash_value: String,
    pub location: Location,
}

/// A column value either driver can decode: sqlx, or rusqlite for the reads of a
/// SQLite file that bypass sqlx ([`glint_metadata::InlineReads`]).
trait ColumnValue: glint_metadata::Column + rusqlite::types::FromSql {}
impl<T: glint_metadata::Column + rusqlite::types::FromSql> ColumnValue for T {}

/// An image row from either driver.
trait ImageRow {
    fn value<T: ColumnValue>(&self, column: &str) -> Result<T, ImageError>;
}

impl ImageRow for sqlx::sqlite::SqliteRow {
    fn value<T: ColumnValue>(&self, column: &str) -> Result<T, ImageError> {
        Ok(MetaRow::try_get(self, column)?)
    }
}

impl ImageRow for sqlx::postgres::PgRow {
    fn value<T: ColumnValue>(&self, column: &str) -> Result<T, ImageError> {
        Ok(MetaRow::try_get(self, column)?)
    }
}

/// Columns found by name, for one row: indexing them first costs more than it saves.
impl ImageRow for rusqlite::Row<'_> {
    fn value<T: ColumnValue>(&self, column: &str) -> Result<T, ImageError> {
        Ok(self.get(column)?)
    }
}

/// A statement's column positions by name. rusqlite finds a column by name by
/// comparing it with each column's name in turn; over a 1000-row page that
/// was a measurable share of the page's time.
struct ColumnIndex(HashMap<String, usize>);

impl ColumnIndex {
    fn of(statement: &rusqlite::Statement<'_>) -> Self {
        Self(
            statement
                .column_names()
                .into_iter()
                .enumerate()
                .map(|(n, name)| (name.to_owned(), n))
                .collect(),
        )
    }
}

/// A rusqlite row whose columns are found through a [`ColumnIndex`].
struct IndexedRow<'a> {
    row: &'a rusqlite::Row<'a>,
    columns: &'a ColumnIndex,
}

impl ImageRow for IndexedRow<'_> {
    fn value<T: ColumnValue>(&self, column: &str) -> Result<T, ImageError> {
        let Some(&n) = self.columns.0.get(column) else {
            return Err(rusqlite::Error::InvalidColumnName(column.to_owned()).into());
        };
        Ok(self.row.get(n)?)
    }
}

fn image_from_row(row: &impl ImageRow) -> Result<Image, ImageError> {
    let status: String = row.value("status")?;
    let visibility: String = row.value("visibility")?;
    Ok(Image {
        id: row.value("id")?,
        name: row.value("name")?,
        status: status
            .parse()
            .map_err(|_| ImageError::Internal(format!("bad status {status} in database")))?,
        visibility: visibility
            .parse()
            .map_err(|_| ImageError::Internal(format!("bad visibility {visibility} in database")))?,
        disk_format: row.value("disk_format")?,
        container_format: row.value("container_format")?,
        size: row.value::<Option<i64>>("size")?.map(|v| v as u64),
        virtual_size: row.value::<Option<i64>>("virtual_size")?.map(|v| v as u64),
        checksum: row.value("checksum")?,
        os_hash_algo: row.value("os_hash_algo")?,
        os_hash_value: row.value("os_hash_value")?,
        protected: row.value::<i64>("protected")? != 0,
        os_hidden: row.value::<i64>("os_hidden")? != 0,
        min_disk: row.value::<i64>("min_disk")? as u64,
        min_ram: row.value::<i64>("min_ram")? as u64,
        owner: row.value("owner")?,
        created_at: row.value("created_at")?,
        updated_at: row.value("updated_at")?,
        tags: Vec::new(),
        properties: BTreeMap::new(),
        locations: Vec::new(),
    })
}

/// The columns that bring an image's tags (by value), properties and locations (by store
/// id) along with its row, as JSON text: every image read is one statement, not one plus
/// a query per child table (sqlx-sqlite runs each statement as a round trip to its
/// connection's thread). The same on both engines but for the aggregate functions.
macro_rules! children_sqlite {
    () => {
        "(SELECT json_group_array(value) FROM \
            (SELECT value FROM image_tags WHERE image_id = i.id ORDER BY value)) AS tags_json, \
         (SELECT json_group_object(name, value) FROM image_properties WHERE image_id = i.id) \
            AS properties_json, \
         (SELECT json_group_array(json_array(store_id, location)) FROM \
            (SELECT store_id, location FROM image_locations WHERE image_id = i.id ORDER BY store_id)) \
            AS locations_json"
    };
}
macro_rules! children_postgres {
    () => {
        "COALESCE((SELECT json_agg(value ORDER BY value) FROM image_tags WHERE image_id = i.id)::text, \
            '[]') AS tags_json, \
         COALESCE((SELECT json_object_agg(name, value) FROM image_properties WHERE image_id = i.id)::text, \
            '{}') AS properties_json, \
         COALESCE((SELECT json_agg(json_build_array(store_id, location) ORDER BY store_id) \
            FROM image_locations WHERE image_id = i.id)::text, '[]') AS locations_json"
    };
}

fn children_columns(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => children_sqlite!(),
        Engine::Postgres => children_postgres!(),
    }
}

const GET_IMAGE_SQLITE: &str = concat!(
    "SELECT i.*, ",
    children_sqlite!(),
    " FROM images i WHERE i.id = $1 AND i.status != 'deleted'"
);
const GET_IMAGE_POSTGRES: &str = concat!(
    "SELECT i.*, ",
    children_postgres!(),
    " FROM images i WHERE i.id = $1 AND i.status != 'deleted'"
);

/// An image from a row that carries [`children_columns`].
fn image_with_children_from_row(row: &impl ImageRow) -> Result<Image, ImageError> {
    let mut image = image_from_row(row)?;
    let bad = |what: &str, e: serde_json::Error| ImageError::Internal(format!("image {}: {what}: {e}", image.id));
    let tags = serde_json::from_str(&row.value::<String>("tags_json")?).map_err(|e| bad("tags", e))?;
    let properties =
        serde_json::from_str(&row.value::<String>("properties_json")?).map_err(|e| bad("properties", e))?;
    let locations: Vec<(String, String)> =
        serde_json::from_str(&row.value::<String>("locations_json")?).map_err(|e| bad("locations", e))?;
    image.tags = tags;
    image.properties = properties;
    image.locations = locations
        .into_iter()
        .map(|(store_id, location)| Location { store_id, location })
        .collect();
    Ok(image)
}

fn member_from_row(row: &impl MetaRow) -> Member {
    let status: String = row.get("status");
    Member {
        image_id: row.get("image_id"),
        member_id: row.get("member"),
        status: status.parse().unwrap_or(MemberStatus::Pending),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

fn sort_column(key: SortKey) -> &'static str {
    // NULLs compare as the smallest value so keyset paging stays total.
    match key {
        SortKey::Name => "COALESCE(i.name, '')",
        SortKey::Status => "i.status",
        SortKey::ContainerFormat => "COALESCE(i.container_format, '')",
        SortKey::DiskFormat => "COALESCE(i.disk_format, '')",
        SortKey::Size => "COALESCE(i.size, -1)",
        SortKey::Id => "i.id",
        SortKey::CreatedAt => "i.created_at",
        SortKey::UpdatedAt => "i.updated_at",
    }
}

/// The statement of one list page: images `ctx` may see that pass `q`'s filters, after
/// `marker` in `q`'s sort order. Only which filters are present shapes the text (values
/// are bound), so each shape is prepared once per connection.
fn list_statement(engine: Engine, ctx: &RequestContext, q: &ListQuery, marker: Option<&Image>) -> Statement {
    let mut st = Statement::new(
        engine,
        format!(
            "SELECT i.*, {} FROM images i WHERE i.status != 'deleted'",
            children_columns(engine)
        ),
    );
    push_visibility(&mut st, ctx, q);
    let lists = [
        ("i.id", &q.ids),
        ("i.name", &q.names),
        ("i.disk_format", &q.disk_formats),
        ("i.container_format", &q.container_formats),
    ];
    for (column, values) in lists {
        if let Some(values) = values {
            st.push(&format!(" AND {column} IN ")).bind_list(values);
        }
    }
    if let Some(statuses) = &q.statuses {
        let statuses: Vec<String> = statuses.iter().map(|s| s.as_str().to_owned()).collect();
        st.push(" AND i.status IN ").bind_list(&statuses);
    }
    if let Some(owner) = &q.owner {
        st.push(" AND i.owner = ").bind(owner.as_str());
    }
    st.push(" AND i.os_hidden = ").bind(q.os_hidden as i64);
    if let Some(protected) = q.protected {
        st.push(" AND i.protected = ").bind(protected as i64);
    }
    for tag in &q.tags {
        st.push(" AND EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = i.id AND t.value = ")
            .bind(tag.as_str())
            .push(")");
    }
    for (name, value) in &q.properties {
        st.push(" AND EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = i.id AND p.name = ")
            .bind(name.as_str())
            .push(" AND p.value = ")
            .bind(value.as_str())
            .push(")");
    }
    if let Some(min) = q.size_min {
        st.push(" AND i.size >= ").bind(min as i64);
    }
    if let Some(max) = q.size_max {
        st.push(" AND i.size <= ").bind(max as i64);
    }
    for (op, at) in &q.created_at {
        st.push(&format!(" AND i.created_at {} ", op.sql())).bind(at.as_str());
    }
    for (op, at) in &q.updated_at {
        st.push(&format!(" AND i.updated_at {} ", op.sql())).bind(at.as_str());
    }
    if let Some(marker) = marker {
        push_keyset(&mut st, &q.sort, marker);
    }
    let order: Vec<String> = q
        .sort
        .iter()
        .map(|(key, dir)| {
            let dir = if *dir == SortDir::Asc { "ASC" } else { "DESC" };
            format!("{} {dir}", sort_column(*key))
        })
        .collect();
    st.push(" ORDER BY ").push(&order.join(", "));
    st.push(" LIMIT ").bind(q.limit as i64);
    st
}

/// What `ctx` may see, narrowed by the `visibility` and `member_status` filters.
fn push_visibility(st: &mut Statement, ctx: &RequestContext, q: &ListQuery) {
    let member_clause = |st: &mut Statement, project: &str| {
        st.push("EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member = ")
            .bind(project);
        if let MemberStatusFilter::Only(status) = q.member_status {
            st.push(" AND m.status = ").bind(status.as_str());
        }
        st.push(")");
    };
    if ctx.is_admin() {
        if let Some(VisibilityFilter::Only(v)) = q.visibility {
            st.push(" AND i.visibility = ").bind(v.as_str());
        }
        return;
    }
    let Some(project) = ctx.project_id.as_deref() else {
        // Without a project only what everyone sees.
        st.push(" AND i.visibility = 'public'");
        return;
    };
    match q.visibility {
        None => {
            st.push(" AND (i.visibility = 'public' OR i.owner = ")
                .bind(project)
                .push(" OR (i.visibility = 'shared' AND ");
            member_clause(st, project);
            st.push("))");
        }
        Some(VisibilityFilter::All) => {
            st.push(" AND (i.visibility IN ('public', 'community') OR i.owner = ")
                .bind(project)
                .push(" OR (i.visibility = 'shared' AND ");
            member_clause(st, project);
            st.push("))");
        }
        Some(VisibilityFilter::Only(Visibility::Public)) => {
            st.push(" AND i.visibility = 'public'");
        }
        Some(VisibilityFilter::Only(Visibility::Community)) => {
            st.push(" AND i.visibility = 'community'");
        }
        Some(VisibilityFilter::Only(Visibility::Private)) => {
            st.push(" AND i.visibility = 'private' AND i.owner = ").bind(project);
        }
        Some(VisibilityFilter::Only(Visibility::Shared)) => {
            st.push(" AND i.visibility = 'shared' AND (i.owner = ")
                .bind(project)
                .push(" OR ");
            member_clause(st, project);
            st.push(")");
        }
    }
}

/// Rows strictly after `marker` in the sort order:
/// (k1 > m1) OR (k1 = m1 AND k2 > m2) OR … with `<` for descending keys.
fn push_keyset(st: &mut Statement, sort: &[(SortKey, SortDir)], marker: &Image) {
    let value = |key: SortKey| -> Bind {
        match key {
            SortKey::Name => marker.name.clone().unwrap_or_default().into(),
            SortKey::Status => marker.status.as_str().into(),
            SortKey::ContainerFormat => marker.container_format.clone().unwrap_or_default().into(),
            SortKey::DiskFormat => marker.disk_format.clone().unwrap_or_default().into(),
            SortKey::Size => marker.size.map_or(-1, |s| s as i64).into(),
            SortKey::Id => marker.id.as_str().into(),
            SortKey::CreatedAt => marker.created_at.as_str().into(),
            SortKey::UpdatedAt => marker.updated_at.as_str().into(),
        }
    };
    st.push(" AND (");
    for (n, (key, dir)) in sort.iter().enumerate() {
        if n > 0 {
            st.push(" OR ");
        }
        st.push("(");
        for (prev_key, _) in &sort[..n] {
            st.push(&format!("{} = ", sort_column(*prev_key)))
                .bind(value(*prev_key))
                .push(" AND ");
        }
        let op = if *dir == SortDir::Asc { ">" } else { "<" };
        st.push(&format!("{} {op} ", sort_column(*key)))
            .bind(value(*key))
            .push(")");
    }
    st.push(")");
}

/// Replaces an image's tags and extra properties inside an open transaction
/// (a macro so one body serves both engines' transaction types).
macro_rules! write_tags_and_properties {
    ($tx:expr, $image:expr) => {{
        let image: &Image = $image;
        sqlx::query("DELETE FROM image_tags WHERE image_id = $1")
            .bind(&image.id)
            .execute($tx)
            .await?;
        sqlx::query("DELETE FROM image_properties WHERE image_id = $1")
            .bind(&image.id)
            .execute($tx)
            .await?;
        for tag in &image.tags {
            sqlx::query("INSERT INTO image_tags (image_id, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&image.id)
                .bind(tag)
                .execute($tx)
                .await?;
        }
        for (name, value) in &image.properties {
            sqlx::query("INSERT INTO image_properties (image_id, name, value) VALUES ($1, $2, $3)")
                .bind(&image.id)
                .bind(name)
                .bind(value)
                .execute($tx)
                .await?;
        }
    }};
}

/// Refreshes `images.copies` (how many stores hold the image) inside the
/// transaction that changed its locations: usage sums `size * copies` from
/// one covering index instead of joining every location on each create.
macro_rules! count_copies {
    ($tx:expr, $id:expr) => {
        sqlx::query(
            "UPDATE images SET copies = (SELECT COUNT(*) FROM image_locations WHERE image_id = $1) WHERE id = $1",
        )
        .bind($id)
        .execute($tx)
        .await?;
    };
}

impl ImageDb {
    pub async fn new(pool: MetadataPool, worker: String) -> Result<Self, ImageError> {
        pool.migrate(
            sqlx::migrate!("./migrations/sqlite"),
            sqlx::migrate!("./migrations/postgres"),
        )
        .await
        .map_err(|e| ImageError::Internal(e.to_string()))?;
        Ok(Self { pool, worker })
    }

    pub async fn insert(&self, image: &Image) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO images (id, name, status, visibility, disk_format, container_format, protected, os_hidden,
                                     min_disk, min_ram, owner, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&image.id)
            .bind(&image.name)
            .bind(image.status.as_str())
            .bind(image.visibility.as_str())
            .bind(&image.disk_format)
            .bind(&image.container_format)
            .bind(image.protected as i64)
            .bind(image.os_hidden as i64)
            .bind(image.min_disk as i64)
            .bind(image.min_ram as i64)
            .bind(&image.owner)
            .bind(&image.created_at)
            .bind(&image.updated_at)
            .execute(&mut *tx)
            .await;
            if let Err(sqlx::Error::Database(e)) = &inserted {
                if e.is_unique_violation() {
                    return Err(ImageError::Conflict(format!(
                        "An image with identifier {} already exists",
                        image.id
                    )));
                }
            }
            inserted?;
            write_tags_and_properties!(&mut *tx, image);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Writes the user-editable fields of `image` if it is still in `expected` status.
    /// Returns false when the status changed underneath (a concurrent request won).
    pub async fn update_metadata(&self, image: &Image, expected: ImageStatus) -> Result<bool, ImageError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE images SET name = $1, visibility = $2, disk_format = $3, container_format = $4, protected = $5,
                     os_hidden = $6, min_disk = $7, min_ram = $8, owner = $9, updated_at = $10
                 WHERE id = $11 AND status = $12",
            )
            .bind(&image.name)
            .bind(image.visibility.as_str())
            .bind(&image.disk_format)
            .bind(&image.container_format)
            .bind(image.protected as i64)
            .bind(image.os_hidden as i64)
            .bind(image.min_disk as i64)
            .bind(image.min_ram as i64)
            .bind(&image.owner)
            .bind(&image.updated_at)
            .bind(&image.id)
            .bind(expected.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !done {
                return Ok(false);
            }
            write_tags_and_properties!(&mut *tx, image);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// One image with its tags, properties and locations, in one statement: every image
    /// request starts with this, and sqlx-sqlite runs each statement as a round trip to
    /// its connection's thread. On a SQLite file it runs on this thread instead.
    pub async fn get(&self, id: &str) -> Result<Option<Image>, ImageError> {
        if let Some(reads) = self.pool.inline_reads() {
            return reads.read(|conn| {
                let mut statement = conn.prepare_cached(GET_IMAGE_SQLITE)?;
                let mut rows = statement.query([id])?;
                rows.next()?.map(image_with_children_from_row).transpose()
            });
        }
        let sql = match self.pool.engine() {
            Engine::Sqlite => GET_IMAGE_SQLITE,
            Engine::Postgres => GET_IMAGE_POSTGRES,
        };
        with_pool!(&self.pool, |pool| {
            let Some(row) = sqlx::query(sql).bind(id).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let image = image_with_children_from_row(&row)?;
            Ok(Some(image))
        })
    }

    pub async fn membership(&self, image_id: &str, project_id: &str) -> Result<Option<MemberStatus>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let status: Option<String> =
                sqlx::query_scalar("SELECT status FROM image_members WHERE image_id = $1 AND member = $2")
                    .bind(image_id)
                    .bind(project_id)
                    .fetch_optional(pool)
                    .await?;
            Ok(status.and_then(|s| s.parse().ok()))
        })
    }

    /// One page of the images `ctx` may list, after `marker` (already checked visible).
    pub async fn list(
        &self,
        ctx: &RequestContext,
        q: &ListQuery,
        marker: Option<&Image>,
    ) -> Result<Vec<Image>, ImageError> {
        let statement = list_statement(self.pool.engine(), ctx, q, marker);
        let capacity = q.limit.min(1000) as usize;
        if let Some(reads) = self.pool.inline_reads().cloned() {
            // A 1000-image page takes milliseconds to read: off the async workers, but as one
            // hand-off to a blocking thread rather than sqlx's one per row.
            let read = move || {
                reads.read(|conn| {
                    let mut prepared = conn.prepare_cached(&statement.sql)?;
                    let columns = ColumnIndex::of(&prepared);
                    let mut rows = prepared.query(rusqlite::params_from_iter(&statement.binds))?;
                    let mut images = Vec::with_capacity(capacity);
                    while let Some(row) = rows.next()? {
                        images.push(image_with_children_from_row(&IndexedRow { row, columns: &columns })?);
                    }
                    Ok(images)
                })
            };
            return tokio::task::spawn_blocking(read)
                .await
                .map_err(|e| ImageError::Internal(format!("image list read: {e}")))?;
        }
        with_pool!(&self.pool, |pool| {
            let mut query = sqlx::query(&statement.sql);
            for value in &statement.binds {
                query = match value {
                    Bind::Text(text) => query.bind(text.as_str()),
                    Bind::Int(int) => query.bind(*int),
                };
            }
            // Small pages (name lookups, default pages) stay prepared in sqlx's per-connection
            // statement cache, an LRU of bounded size; large ones are prepared afresh. Both
            // measured on SQLite when it still read through sqlx: by name 1.5-1.8x faster
            // cached, 1000-image pages 30-40% slower cached (cause not found).
            let rows = query.persistent(q.limit <= 100).fetch_all(pool).await?;
            rows.iter().map(image_with_children_from_row).collect()
        })
    }

    /// `from` → `to` if the image is still in `from`; false otherwise.
    pub async fn transition(&self, id: &str, from: ImageStatus, to: ImageStatus) -> Result<bool, ImageError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query(
                    "UPDATE images SET status = $1, updated_at = $2, worker = $5 WHERE id = $3 AND status = $4",
                )
                .bind(to.as_str())
                .bind(crate::model::now_timestamp())
                .bind(id)
                .bind(from.as_str())
                .bind(&self.worker)
                .execute(pool)
                .await?
                .rows_affected()
                    == 1,
            )
        })
    }

    /// `saving` → `active` with the data's facts; false if the image left `saving`.
    pub async fn activate(&self, id: &str, data: &UploadedData) -> Result<bool, ImageError> {
        self.activate_from(id, ImageStatus::Saving, data).await
    }

    /// Marks an unprotected image deleted; false if it is gone or protected by now.
    pub async fn mark_deleted(&self, id: &str) -> Result<bool, ImageError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "UPDATE images SET status = 'deleted', updated_at = $1, worker = $3
                 WHERE id = $2 AND status != 'deleted' AND protected = 0",
            )
            .bind(crate::model::now_timestamp())
            .bind(id)
            .bind(&self.worker)
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Removes a deleted image's rows (after its data left the store).
    pub async fn purge(&self, id: &str) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("DELETE FROM images WHERE id = $1 AND status = 'deleted'")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Images this node left mid-operation by a crash: deleted-but-not-purged,
    /// saving and importing.
    pub async fn unfinished(&self) -> Result<Vec<Image>, ImageError> {
        let sql = format!(
            "SELECT i.*, {} FROM images i WHERE status IN ('deleted', 'saving', 'importing')
               AND (worker IS NULL OR worker = $1)",
            children_columns(self.pool.engine())
        );
        with_pool!(&self.pool, |pool| {
            let rows = sqlx::query(&sql).bind(&self.worker).fetch_all(pool).await?;
            rows.iter().map(image_with_children_from_row).collect()
        })
    }

    /// The locations of an image, whatever its status.
    pub async fn locations(&self, id: &str) -> Result<Vec<Location>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let rows =
                sqlx::query("SELECT store_id, location FROM image_locations WHERE image_id = $1 ORDER BY store_id")
                    .bind(id)
                    .fetch_all(pool)
                    .await?;
            Ok(rows
                .iter()
                .map(|r| Location {
                    store_id: r.get("store_id"),
                    location: r.get("location"),
                })
                .collect())
        })
    }

    pub async fn add_location(&self, id: &str, location: &Location) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO image_locations (image_id, store_id, location) VALUES ($1, $2, $3)
                 ON CONFLICT (image_id, store_id) DO UPDATE SET location = excluded.location",
            )
            .bind(id)
            .bind(&location.store_id)
            .bind(&location.location)
            .execute(&mut *tx)
            .await?;
            count_copies!(&mut *tx, id);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes one store's copy unless it is the last one; false when it was the last or absent.
    pub async fn remove_location(&self, id: &str, store_id: &str) -> Result<bool, ImageError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            let removed = sqlx::query(
                "DELETE FROM image_locations WHERE image_id = $1 AND store_id = $2
                   AND (SELECT COUNT(*) FROM image_locations WHERE image_id = $1) > 1",
            )
            .bind(id)
            .bind(store_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            count_copies!(&mut *tx, id);
            tx.commit().await?;
            Ok(removed)
        })
    }

    /// Every location a live image record points at.
    pub async fn referenced_locations(&self) -> Result<Vec<Location>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let rows = sqlx::query(
                "SELECT l.store_id, l.location FROM image_locations l JOIN images i ON i.id = l.image_id
                 WHERE i.status != 'deleted'",
            )
            .fetch_all(pool)
            .await?;
            Ok(rows
                .iter()
                .map(|r| Location {
                    store_id: r.get("store_id"),
                    location: r.get("location"),
                })
                .collect())
        })
    }

    // ---- members ---------------------------------------------------------

    pub async fn members(&self, image_id: &str) -> Result<Vec<Member>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let rows = sqlx::query("SELECT * FROM image_members WHERE image_id = $1 ORDER BY created_at, member")
                .bind(image_id)
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(member_from_row).collect())
        })
    }

    pub async fn member(&self, image_id: &str, member_id: &str) -> Result<Option<Member>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let row = sqlx::query("SELECT * FROM image_members WHERE image_id = $1 AND member = $2")
                .bind(image_id)
                .bind(member_id)
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(member_from_row))
        })
    }

    pub async fn add_member(&self, member: &Member) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            let res = sqlx::query(
                "INSERT INTO image_members (image_id, member, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&member.image_id)
            .bind(&member.member_id)
            .bind(member.status.as_str())
            .bind(&member.created_at)
            .bind(&member.updated_at)
            .execute(pool)
            .await;
            match res {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ImageError::Conflict(format!(
                    "Member {} already exists for image {}",
                    member.member_id, member.image_id
                ))),
                other => other.map(|_| ()).map_err(Into::into),
            }
        })
    }

    pub async fn count_members(&self, image_id: &str) -> Result<u64, ImageError> {
        with_pool!(&self.pool, |pool| {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM image_members WHERE image_id = $1")
                .bind(image_id)
                .fetch_one(pool)
                .await?;
            Ok(n as u64)
        })
    }

    pub async fn set_member_status(
        &self,
        image_id: &str,
        member_id: &str,
        status: MemberStatus,
    ) -> Result<bool, ImageError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query(
                    "UPDATE image_members SET status = $1, updated_at = $2 WHERE image_id = $3 AND member = $4",
                )
                .bind(status.as_str())
                .bind(crate::model::now_timestamp())
                .bind(image_id)
                .bind(member_id)
                .execute(pool)
                .await?
                .rows_affected()
                    == 1,
            )
        })
    }

    pub async fn remove_member(&self, image_id: &str, member_id: &str) -> Result<bool, ImageError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query("DELETE FROM image_members WHERE image_id = $1 AND member = $2")
                    .bind(image_id)
                    .bind(member_id)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    == 1,
            )
        })
    }
}

/// Usage, staging and tasks.
impl ImageDb {
    pub async fn usage(&self, owner: &str) -> Result<crate::quota::Usage, ImageError> {
        with_pool!(&self.pool, |pool| {
            let row = sqlx::query(
                "SELECT CAST(COALESCE(SUM(CASE WHEN status != 'deleted' THEN size * copies END), 0) AS BIGINT) AS size_bytes,
                        CAST(COALESCE(SUM(CASE WHEN status IN ('uploading', 'importing') THEN staged_size END), 0) AS BIGINT) AS staged_bytes,
                        COUNT(CASE WHEN status != 'deleted' THEN 1 END) AS count_total,
                        COUNT(CASE WHEN status IN ('saving', 'uploading', 'importing') THEN 1 END) AS count_uploading
                 FROM images WHERE owner = $1",
            )
            .bind(owner)
            .fetch_one(pool)
            .await?;
            Ok(crate::quota::Usage {
                image_size_total: crate::quota::mib(row.get::<i64>("size_bytes").max(0) as u64),
                image_stage_total: crate::quota::mib(row.get::<i64>("staged_bytes").max(0) as u64),
                image_count_total: row.get("count_total"),
                image_count_uploading: row.get("count_uploading"),
            })
        })
    }

    pub async fn set_staged_size(&self, id: &str, size: Option<u64>) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE images SET staged_size = $1 WHERE id = $2")
                .bind(size.map(|s| s as i64))
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn staged_size(&self, id: &str) -> Result<Option<u64>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let v: Option<Option<i64>> = sqlx::query_scalar("SELECT staged_size FROM images WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(v.flatten().map(|s| s as u64))
        })
    }

    /// `from` → `active` with the data's facts, recording its location; false
    /// if the image left `from` meanwhile.
    pub async fn activate_from(&self, id: &str, from: ImageStatus, data: &UploadedData) -> Result<bool, ImageError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE images SET status = 'active', size = $1, virtual_size = $2, checksum = $3, os_hash_algo = $4,
                     os_hash_value = $5, staged_size = NULL, updated_at = $6
                 WHERE id = $7 AND status = $8",
            )
            .bind(data.size as i64)
            .bind(data.virtual_size.map(|v| v as i64))
            .bind(&data.checksum)
            .bind(&data.os_hash_algo)
            .bind(&data.os_hash_value)
            .bind(crate::model::now_timestamp())
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !done {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO image_locations (image_id, store_id, location) VALUES ($1, $2, $3)
                 ON CONFLICT (image_id, store_id) DO UPDATE SET location = excluded.location",
            )
            .bind(id)
            .bind(&data.location.store_id)
            .bind(&data.location.location)
            .execute(&mut *tx)
            .await?;
            count_copies!(&mut *tx, id);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Images whose staged data must survive (uploading or importing).
    pub async fn staged_image_ids(&self) -> Result<Vec<String>, ImageError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query_scalar("SELECT id FROM images WHERE status IN ('uploading', 'importing')")
                    .fetch_all(pool)
                    .await?,
            )
        })
    }

    pub async fn insert_task(&self, t: &crate::model::Task) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO tasks (id, type, status, owner, image_id, request_id, user_id, input, result, message, created_at,
                                    updated_at, worker)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&t.id)
            .bind(&t.task_type)
            .bind(&t.status)
            .bind(&t.owner)
            .bind(&t.image_id)
            .bind(&t.request_id)
            .bind(&t.user_id)
            .bind(t.input.to_string())
            .bind(t.result.as_ref().map(|r| r.to_string()))
            .bind(&t.message)
            .bind(&t.created_at)
            .bind(&t.updated_at)
            .bind(&self.worker)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn finish_task(
        &self,
        id: &str,
        status: &str,
        message: &str,
        result: Option<serde_json::Value>,
    ) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE tasks SET status = $1, message = $2, result = $3, updated_at = $4 WHERE id = $5")
                .bind(status)
                .bind(message)
                .bind(result.map(|r| r.to_string()))
                .bind(crate::model::now_timestamp())
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn all_tasks(&self) -> Result<Vec<crate::model::Task>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let rows = sqlx::query("SELECT * FROM tasks ORDER BY created_at DESC, id LIMIT 1000")
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(task_from_row).collect())
        })
    }

    pub async fn tasks_for_image(&self, image_id: &str) -> Result<Vec<crate::model::Task>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let rows = sqlx::query("SELECT * FROM tasks WHERE image_id = $1 ORDER BY created_at, id")
                .bind(image_id)
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(task_from_row).collect())
        })
    }

    /// Tasks this node left `pending`/`processing` by a crash are failed at start-up.
    pub async fn fail_unfinished_tasks(&self) -> Result<u64, ImageError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "UPDATE tasks SET status = 'failure', message = 'Interrupted by a restart of the image service.', updated_at = $1
                 WHERE status IN ('pending', 'processing') AND (worker IS NULL OR worker = $2)",
            )
            .bind(crate::model::now_timestamp())
            .bind(&self.worker)
            .execute(pool)
            .await?
            .rows_affected())
        })
    }
}

/// Metadata definitions.
impl ImageDb {
    pub async fn ensure_resource_type(&self, name: &str) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            let now = crate::model::now_timestamp();
            sqlx::query(
                "INSERT INTO metadef_resource_types (name, created_at, updated_at, position)
                 VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM metadef_resource_types))
                 ON CONFLICT DO NOTHING",
            )
            .bind(name)
            .bind(&now)
            .bind(&now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn resource_types(&self) -> Result<Vec<(String, String, String)>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let rows =
                sqlx::query("SELECT name, created_at, updated_at FROM metadef_resource_types ORDER BY position, name")
                    .fetch_all(pool)
                    .await?;
            Ok(rows
                .iter()
                .map(|r| (r.get("name"), r.get("created_at"), r.get("updated_at")))
                .collect())
        })
    }

    pub async fn insert_metadef_namespace(&self, ns: &crate::metadefs::Namespace) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            let res = sqlx::query(
                "INSERT INTO metadef_namespaces (namespace, display_name, description, visibility, protected, owner, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&ns.namespace)
            .bind(&ns.display_name)
            .bind(&ns.description)
            .bind(&ns.visibility)
            .bind(ns.protected as i64)
            .bind(&ns.owner)
            .bind(&ns.created_at)
            .bind(ns.updated_at.as_deref().unwrap_or(UNSET))
            .execute(pool)
            .await;
            match res {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ImageError::Conflict(format!(
                    "Metadata definition namespace={} already exists.",
                    ns.namespace
                ))),
                other => other.map(|_| ()).map_err(Into::into),
            }
        })
    }

    pub async fn update_metadef_namespace(
        &self,
        old_name: &str,
        ns: &crate::metadefs::Namespace,
    ) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            let res = sqlx::query(
                "UPDATE metadef_namespaces SET namespace = $1, display_name = $2, description = $3, visibility = $4, protected = $5,
                     owner = $6, updated_at = $7 WHERE namespace = $8",
            )
            .bind(&ns.namespace)
            .bind(&ns.display_name)
            .bind(&ns.description)
            .bind(&ns.visibility)
            .bind(ns.protected as i64)
            .bind(&ns.owner)
            .bind(ns.updated_at.as_deref().unwrap_or(UNSET))
            .bind(old_name)
            .execute(pool)
            .await;
            match res {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ImageError::Conflict(format!(
                    "Metadata definition namespace={} already exists.",
                    ns.namespace
                ))),
                other => other.map(|_| ()).map_err(Into::into),
            }
        })
    }

    pub async fn metadef_namespace(&self, name: &str) -> Result<Option<crate::metadefs::Namespace>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let row = sqlx::query("SELECT * FROM metadef_namespaces WHERE namespace = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(namespace_from_row))
        })
    }

    pub async fn metadef_namespaces(
        &self,
        resource_type: Option<&str>,
    ) -> Result<Vec<crate::metadefs::Namespace>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let rows = sqlx::query(
                "SELECT * FROM metadef_namespaces n WHERE ($1 IS NULL OR EXISTS (SELECT 1 FROM metadef_namespace_resource_types a
                     WHERE a.namespace = n.namespace AND a.resource_type = $1)) ORDER BY namespace",
            )
            .bind(resource_type)
            .fetch_all(pool)
            .await?;
            Ok(rows.iter().map(namespace_from_row).collect())
        })
    }

    pub async fn delete_metadef_namespace(&self, name: &str) -> Result<bool, ImageError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query("DELETE FROM metadef_namespaces WHERE namespace = $1")
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
                == 1)
        })
    }

    pub async fn insert_association(
        &self,
        namespace: &str,
        a: &crate::metadefs::Association,
    ) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            let res = sqlx::query(
                "INSERT INTO metadef_namespace_resource_types (namespace, resource_type, prefix, properties_target, created_at, updated_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6,
                         (SELECT COALESCE(MAX(position), 0) + 1 FROM metadef_namespace_resource_types WHERE namespace = $1))",
            )
            .bind(namespace)
            .bind(&a.resource_type)
            .bind(&a.prefix)
            .bind(&a.properties_target)
            .bind(&a.created_at)
            .bind(a.updated_at.as_deref().unwrap_or(UNSET))
            .execute(pool)
            .await;
            match res {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ImageError::Conflict(format!(
                    "The metadata definition resource-type association of resource-type={} to namespace={namespace}, already exists.",
                    a.resource_type
                ))),
                other => other.map(|_| ()).map_err(Into::into),
            }
        })
    }

    pub async fn associations(&self, namespace: &str) -> Result<Vec<crate::metadefs::Association>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let rows = sqlx::query(
                "SELECT * FROM metadef_namespace_resource_types WHERE namespace = $1 ORDER BY position, resource_type",
            )
            .bind(namespace)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .iter()
                .map(|r| crate::metadefs::Association {
                    resource_type: r.get("resource_type"),
                    prefix: r.get("prefix"),
                    properties_target: r.get("properties_target"),
                    created_at: r.get("created_at"),
                    updated_at: set_time(r.get("updated_at")),
                })
                .collect())
        })
    }

    pub async fn delete_association(&self, namespace: &str, resource_type: &str) -> Result<bool, ImageError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query("DELETE FROM metadef_namespace_resource_types WHERE namespace = $1 AND resource_type = $2")
                    .bind(namespace)
                    .bind(resource_type)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    == 1,
            )
        })
    }

    /// Creates or replaces an object, property or tag.
    pub async fn put_metadef_item(
        &self,
        namespace: &str,
        kind: &str,
        name: &str,
        body: &serde_json::Value,
        stamp_update: bool,
    ) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            let now = crate::model::now_timestamp();
            let updated = if stamp_update { now.as_str() } else { UNSET };
            sqlx::query(
                "INSERT INTO metadef_items (namespace, kind, name, body, created_at, updated_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6,
                         (SELECT COALESCE(MAX(position), 0) + 1 FROM metadef_items WHERE namespace = $1 AND kind = $2))
                 ON CONFLICT (namespace, kind, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            )
            .bind(namespace)
            .bind(kind)
            .bind(name)
            .bind(body.to_string())
            .bind(&now)
            .bind(updated)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn rename_metadef_item(
        &self,
        namespace: &str,
        kind: &str,
        old: &str,
        new: &str,
    ) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            let res =
                sqlx::query("UPDATE metadef_items SET name = $1 WHERE namespace = $2 AND kind = $3 AND name = $4")
                    .bind(new)
                    .bind(namespace)
                    .bind(kind)
                    .bind(old)
                    .execute(pool)
                    .await;
            match res {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ImageError::Conflict(format!(
                    "A metadata definition {kind} with name={new} already exists in namespace={namespace}."
                ))),
                other => other.map(|_| ()).map_err(Into::into),
            }
        })
    }

    /// A namespace's items of one kind, in the order they were created.
    pub async fn metadef_items(&self, namespace: &str, kind: &str) -> Result<Vec<crate::metadefs::Item>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let rows =
                sqlx::query("SELECT * FROM metadef_items WHERE namespace = $1 AND kind = $2 ORDER BY position, name")
                    .bind(namespace)
                    .bind(kind)
                    .fetch_all(pool)
                    .await?;
            Ok(rows.iter().map(item_from_row).collect())
        })
    }

    pub async fn metadef_item(
        &self,
        namespace: &str,
        kind: &str,
        name: &str,
    ) -> Result<Option<crate::metadefs::Item>, ImageError> {
        with_pool!(&self.pool, |pool| {
            let row = sqlx::query("SELECT * FROM metadef_items WHERE namespace = $1 AND kind = $2 AND name = $3")
                .bind(namespace)
                .bind(kind)
                .bind(name)
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(item_from_row))
        })
    }

    pub async fn delete_metadef_items(
        &self,
        namespace: &str,
        kind: &str,
        name: Option<&str>,
    ) -> Result<u64, ImageError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "DELETE FROM metadef_items WHERE namespace = $1 AND kind = $2 AND ($3 IS NULL OR name = $3)",
            )
            .bind(namespace)
            .bind(kind)
            .bind(name)
            .execute(pool)
            .await?
            .rows_affected())
        })
    }
}

/// How a metadefs row stores "`updated_at` never set" (the column is NOT NULL).
const UNSET: &str = "";

fn set_time(stored: String) -> Option<String> {
    (!stored.is_empty()).then_some(stored)
}

fn namespace_from_row(r: &impl MetaRow) -> crate::metadefs::Namespace {
    crate::metadefs::Namespace {
        namespace: r.get("namespace"),
        display_name: r.get("display_name"),
        description: r.get("description"),
        visibility: r.get("visibility"),
        protected: r.get::<i64>("protected") != 0,
        owner: r.get("owner"),
        created_at: r.get("created_at"),
        updated_at: set_time(r.get("updated_at")),
    }
}

fn item_from_row(r: &impl MetaRow) -> crate::metadefs::Item {
    crate::metadefs::Item {
        name: r.get("name"),
        body: serde_json::from_str(&r.get::<String>("body")).unwrap_or(serde_json::Value::Null),
        created_at: r.get("created_at"),
        updated_at: set_time(r.get("updated_at")),
    }
}

fn task_from_row(r: &impl MetaRow) -> crate::model::Task {
    crate::model::Task {
        id: r.get("id"),
        task_type: r.get("type"),
        status: r.get("status"),
        owner: r.get("owner"),
        image_id: r.get("image_id"),
        request_id: r.get("request_id"),
        user_id: r.get("user_id"),
        input: serde_json::from_str(&r.get::<String>("input")).unwrap_or_default(),
        result: r
            .get::<Option<String>>("result")
            .and_then(|s| serde_json::from_str(&s).ok()),
        message: r.get("message"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// Properties the service keeps for itself (Glance's reserved `os_glance_*`).
impl ImageDb {
    pub async fn remove_property(&self, image_id: &str, name: &str) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("DELETE FROM image_properties WHERE image_id = $1 AND name = $2")
                .bind(image_id)
                .bind(name)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn set_property(&self, image_id: &str, name: &str, value: &str) -> Result<(), ImageError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO image_properties (image_id, name, value) VALUES ($1, $2, $3)
                 ON CONFLICT (image_id, name) DO UPDATE SET value = excluded.value",
            )
            .bind(image_id)
            .bind(name)
            .bind(value)
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}
