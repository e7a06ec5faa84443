//! Queries on `system_config`.

use super::UpdateOutcome;
use super::Writer;
use super::{StoreError, StoreResult};
use crate::domain::forms::SettingChange;
use crate::domain::system::{parse_setting, NewSetting, SettingValue, SystemSetting, ValueType};
use sqlx::{PgExecutor, PgPool};

struct SettingRow {
    key: String,
    value: String,
    value_type: String,
    description: Option<String>,
    category: Option<String>,
    is_active: bool,
    version: i32,
    is_secret: bool,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<SettingRow> for SystemSetting {
    type Error = StoreError;
    fn try_from(r: SettingRow) -> Result<Self, Self::Error> {
        let value_type: ValueType = r
            .value_type
            .parse()
            .map_err(|e| StoreError::corrupt(&r.key, e))?;
        let value = parse_setting(&r.key, value_type, &r.value)
            .map_err(|e| StoreError::corrupt(&r.key, e.message))?;
        Ok(SystemSetting {
            // A bot may insert a setting without a category or a description.
            category: match r.category.as_deref() {
                None => crate::domain::system::Category::General,
                Some(category) => category
                    .parse()
                    .map_err(|e| StoreError::corrupt(&r.key, e))?,
            },
            key: r.key,
            value,
            value_type,
            description: r.description.unwrap_or_default(),
            is_active: r.is_active,
            version: r.version,
            is_secret: r.is_secret,
            updated_at: Some(r.updated_at),
        })
    }
}

/// The active settings, by category then key.
pub async fn list(pool: &PgPool) -> StoreResult<Vec<SystemSetting>> {
    sqlx::query_as!(
        SettingRow,
        "SELECT config_key AS key, config_value AS value, config_type AS value_type, description, category, is_active, version, is_secret, updated_at \
         FROM system_config WHERE is_active ORDER BY category, config_key"
    )
    .fetch_all(pool)
        .await?
        .into_iter()
        .map(SystemSetting::try_from)
        .collect()
}

/// One active setting by key.
pub async fn get(executor: impl PgExecutor<'_>, key: &str) -> StoreResult<Option<SystemSetting>> {
    sqlx::query_as!(
        SettingRow,
        "SELECT config_key AS key, config_value AS value, config_type AS value_type, description, category, is_active, version, is_secret, updated_at \
         FROM system_config WHERE config_key = $1 AND is_active",
        key
    )
    .fetch_optional(executor)
        .await?
        .map(SystemSetting::try_from)
        .transpose()
}

/// Creates a setting; a duplicate key is a unique violation.
pub async fn create(
    writer: Writer<'_>,
    new: &NewSetting,
    value: &SettingValue,
) -> StoreResult<SystemSetting> {
    let mut tx = writer.begin().await?;
    let setting = sqlx::query_as!(
        SettingRow,
        "INSERT INTO system_config (config_key, config_value, config_type, category, description, created_by, is_secret) \
         VALUES ($1, $2, $3, $4, $5, 'botconfig', $6) \
         RETURNING config_key AS key, config_value AS value, config_type AS value_type, description, category, \
         is_active, version, is_secret, updated_at",
        new.key,
        value.to_string(),
        new.value_type.as_str(),
        new.category.as_str(),
        new.description,
        new.is_secret
    )
    .fetch_one(&mut *tx)
    .await?
    .try_into()?;
    tx.commit().await?;
    Ok(setting)
}

/// Sets an existing setting's value; when `expected_version` is given, only if the row is
/// still at that version.
pub async fn set(
    writer: Writer<'_>,
    key: &str,
    value: &SettingValue,
    expected_version: Option<i32>,
) -> StoreResult<UpdateOutcome<SystemSetting>> {
    let change = [SettingChange {
        key: key.to_owned(),
        value: value.clone(),
        version: expected_version,
    }];
    Ok(match set_many(writer, &change).await? {
        UpdateOutcome::Updated(mut saved) if saved.len() == 1 => {
            UpdateOutcome::Updated(saved.remove(0))
        }
        UpdateOutcome::Updated(_) | UpdateOutcome::NotFound => UpdateOutcome::NotFound,
        UpdateOutcome::Stale(_) => match get(writer.pool, key).await? {
            Some(current) => UpdateOutcome::Stale(current),
            None => UpdateOutcome::NotFound,
        },
    })
}

/// Sets several settings in one transaction: all of them, or (when one is missing or has
/// moved past its expected version) none.
pub async fn set_many(
    writer: Writer<'_>,
    changes: &[SettingChange],
) -> StoreResult<UpdateOutcome<Vec<SystemSetting>>> {
    let mut tx = writer.begin().await?;
    let mut saved = Vec::with_capacity(changes.len());
    for SettingChange {
        key,
        value,
        version,
    } in changes
    {
        let updated = sqlx::query!(
            "UPDATE system_config SET config_value = $2 WHERE config_key = $1 AND is_active AND ($3::int IS NULL OR version = $3)",
            key,
            value.to_string(),
            *version
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let current = get(&mut *tx, key).await?;
        match (updated, current) {
            (1, Some(current)) => saved.push(current),
            (_, Some(_)) => {
                tx.rollback().await?;
                return Ok(UpdateOutcome::Stale(list(writer.pool).await?));
            }
            (_, None) => {
                tx.rollback().await?;
                return Ok(UpdateOutcome::NotFound);
            }
        }
    }
    tx.commit().await?;
    Ok(UpdateOutcome::Updated(saved))
}

/// Makes an existing setting secret, setting its value too when one is given, in one
/// statement: the history's trigger then records this change, and takes every earlier
/// value of the setting out of the history, as "(secret)".
pub async fn make_secret(
    writer: Writer<'_>,
    key: &str,
    value: Option<&SettingValue>,
) -> StoreResult<UpdateOutcome<SystemSetting>> {
    let mut tx = writer.begin().await?;
    let updated = sqlx::query!(
        "UPDATE system_config SET is_secret = true, config_value = coalesce($2, config_value) \
         WHERE config_key = $1 AND is_active",
        key,
        value.map(ToString::to_string)
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let current = get(&mut *tx, key).await?;
    tx.commit().await?;
    Ok(match (updated, current) {
        (1, Some(current)) => UpdateOutcome::Updated(current),
        _ => UpdateOutcome::NotFound,
    })
}
