//! Backups of a CloudNativePG cluster to object storage.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Knobs;
use crate::model::objects::{Cluster, ObjectStore, ScheduledBackup};
use crate::model::{Meta, Model, ObjectRef};
use crate::template::expr::{Expr, Knob, concat};
use crate::template::tree::Map;
use crate::values::{CronSchedule, DnsName, StringMap};

/// Backups of a CloudNativePG cluster to object storage: base backups on a schedule, WAL
/// continuously.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterBackupSettings {
    /// Back up the cluster to `destination`: base backups on `schedule`, WAL continuously.
    pub enabled: bool,
    /// When base backups run, in cron's five fields.
    pub schedule: CronSchedule,
    /// Object storage.
    pub destination: BackupDestination,
    /// Annotations of the ServiceAccount CloudNativePG makes for the cluster's pods
    /// (`spec.serviceAccountTemplate`), which give the pods the cloud identity backups use when
    /// `destination.existingSecret` is empty: `eks.amazonaws.com/role-arn` (an IAM role),
    /// `iam.gke.io/gcp-service-account` (GKE workload identity),
    /// `azure.workload.identity/client-id` (Azure AD workload identity).
    pub service_account_annotations: StringMap,
}

// Where backups go: an object store bucket and its credentials.
#[allow(missing_docs)] // A doc comment here would become the schema's description.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, Knobs)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupDestination {
    /// Object storage service.
    #[serde(rename = "type")]
    pub type_: BackupType,
    /// Bucket (s3, gcs), or `<account>.blob.core.windows.net/<container>` (azure).
    pub bucket: String,
    /// Path inside the bucket.
    pub path: String,
    /// Secret with the credentials: `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY` (s3),
    /// `gcsCredentials` (gcs), `AZURE_CONNECTION_STRING` (azure). Empty uses the pods' cloud
    /// identity (IAM role, GKE workload identity, Azure AD).
    pub existing_secret: DnsName,
}

pub use backup_type::BackupType;

// The variants stay undocumented: a documented variant becomes a `oneOf` in the schema.
#[allow(missing_docs)]
mod backup_type {
    crate::string_enum!(
        /// Object storage service.
        BackupType { S3 = "s3", Gcs = "gcs", Azure = "azure" } default S3
    );
}

impl ClusterBackupSettings {
    /// Off, on `schedule`, to an S3 bucket yet to be named.
    pub fn new(schedule: &str) -> Self {
        ClusterBackupSettings {
            enabled: false,
            schedule: CronSchedule::new(schedule),
            destination: BackupDestination { type_: BackupType::S3, bucket: String::new(), path: String::new(), existing_secret: DnsName::default() },
            service_account_annotations: StringMap::new(),
        }
    }
}

impl ClusterBackupSettingsKnobs {
    /// The cluster's `backup` section (present when enabled), for [`Cluster`]'s builder.
    pub fn store(&self) -> (Expr<bool>, ObjectStore) {
        let d = &self.destination;
        let store = ObjectStore::choose(
            d.type_.is(BackupType::S3),
            ObjectStore::s3(&d.bucket, &d.path, &d.existing_secret),
            ObjectStore::choose(d.type_.is(BackupType::Gcs), ObjectStore::gcs(&d.bucket, &d.path, &d.existing_secret), ObjectStore::azure(&d.bucket, &d.path, &d.existing_secret)),
        );
        (self.enabled.expr(), store)
    }

    /// The annotations of the cluster pods' ServiceAccount (present when any is set), for
    /// [`Cluster`]'s builder: CloudNativePG's `spec.serviceAccountTemplate.metadata.annotations`
    /// (the CRD `postgresql.cnpg.io_clusters.yaml`; its documentation's "Backup on object stores"
    /// annotates the ServiceAccount this way for IAM roles, GKE and Azure AD workload identity).
    pub fn service_account_annotations(&self) -> (Expr<bool>, Map) {
        (self.service_account_annotations.is_set(), Map::new().spread(&self.service_account_annotations))
    }

    /// The ScheduledBackup of `cluster` (rendered when enabled and the cluster `exists`), and the
    /// rules: a bucket, and a cluster to back up.
    pub fn add_schedule(&self, model: &mut Model, meta: Meta, cluster: &ObjectRef<Cluster>, exists: impl Into<Expr<bool>>, exists_path: &str) {
        let exists = exists.into();
        let path = |k: &Knob<bool>| k.path().to_string();
        model.reject_when(self.enabled.and(exists.not()), &format!("{} backs up the bundled cluster: it needs {exists_path}", path(&self.enabled)));
        model.reject_when(self.enabled.and(self.destination.bucket.is_set().not()), &format!("{}: set {}", path(&self.enabled), self.destination.bucket.path()));
        let schedule = ScheduledBackup::builder()
            .meta(meta)
            .cluster(cluster)
            // CloudNativePG's cron starts with a seconds field.
            .schedule(concat(["0 ".into(), self.schedule.expr()]))
            .build();
        model.add_when(self.enabled.and(exists), schedule);
    }
}
