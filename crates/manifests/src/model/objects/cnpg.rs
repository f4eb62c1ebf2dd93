//! CloudNativePG (postgresql.cnpg.io/v1): a PostgreSQL `Cluster` the operator runs, and its
//! `ScheduledBackup`. The operator must be installed in the cluster; the chart only declares
//! the resources. The renderer lowers them through the types generated from
//! the upstream CRDs ([`crds::cluster`], [`crds::scheduled_backup`]), which reject unknown fields.

use serde_json::Value;
use typed_builder::TypedBuilder;

use crate::model::objects::config::SecretRef;
use crate::model::objects::{crds, object};
use crate::model::{Build, Meta, Object, ObjectRef, typed};
use crate::template::expr::{Expr, concat};
use crate::template::tree::{List, Map, Node};

/// Where a cluster's base backups and WAL go (`barmanObjectStore`), and with which credentials:
/// keys of an existing Secret, or the workload identity of the cloud (IAM role, GKE, Azure AD).
#[derive(Clone, Debug)]
pub struct ObjectStore(Map);

impl ObjectStore {
    fn new(destination: Expr<String>, credentials: &'static str, from_secret: Map, from_identity: Map, secret: &Expr<String>) -> Self {
        let credentials = Map::new().field(credentials, Map::new().choose(secret.is_set(), from_secret, from_identity));
        ObjectStore(Map::new().str("destinationPath", destination).extend(credentials))
    }
    fn key(secret: &Expr<String>, key: &'static str) -> Map {
        Map::new().str("name", secret.clone()).str("key", key)
    }
    /// `s3://bucket/path`; an empty `secret` uses the pods' IAM role, otherwise the Secret's
    /// `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY`.
    pub fn s3(bucket: impl Into<Expr<String>>, path: impl Into<Expr<String>>, secret: impl Into<Expr<String>>) -> Self {
        let secret = secret.into();
        let keys = Map::new().field("accessKeyId", Self::key(&secret, "ACCESS_KEY_ID")).field("secretAccessKey", Self::key(&secret, "ACCESS_SECRET_KEY"));
        let destination = concat(["s3://".into(), bucket.into(), "/".into(), path.into()]);
        Self::new(destination, "s3Credentials", keys, Map::new().bool("inheritFromIAMRole", true), &secret)
    }
    /// `gs://bucket/path`; an empty `secret` uses GKE workload identity, otherwise the Secret's
    /// `gcsCredentials` (a service account key).
    pub fn gcs(bucket: impl Into<Expr<String>>, path: impl Into<Expr<String>>, secret: impl Into<Expr<String>>) -> Self {
        let secret = secret.into();
        let keys = Map::new().field("applicationCredentials", Self::key(&secret, "gcsCredentials"));
        let destination = concat(["gs://".into(), bucket.into(), "/".into(), path.into()]);
        Self::new(destination, "googleCredentials", keys, Map::new().bool("gkeEnvironment", true), &secret)
    }
    /// `https://<container>/path`, `container` being `<account>.blob.core.windows.net/<name>`;
    /// an empty `secret` uses Azure AD workload identity, otherwise the Secret's
    /// `AZURE_CONNECTION_STRING`.
    pub fn azure(container: impl Into<Expr<String>>, path: impl Into<Expr<String>>, secret: impl Into<Expr<String>>) -> Self {
        let secret = secret.into();
        let keys = Map::new().field("connectionString", Self::key(&secret, "AZURE_CONNECTION_STRING"));
        let destination = concat(["https://".into(), container.into(), "/".into(), path.into()]);
        Self::new(destination, "azureCredentials", keys, Map::new().bool("inheritFromAzureAD", true), &secret)
    }
    /// One store when `cond` holds, another otherwise.
    pub fn choose(cond: impl Into<Expr<bool>>, then: ObjectStore, otherwise: ObjectStore) -> Self {
        ObjectStore(Map::new().choose(cond, then.0, otherwise.0))
    }
}

/// A CloudNativePG `Cluster` with one application database.
#[derive(Clone, Debug, TypedBuilder)]
pub struct Cluster {
    /// Name and labels.
    pub meta: Meta,
    /// The number of PostgreSQL instances (one primary, the rest replicas).
    #[builder(setter(into))]
    pub instances: Expr<i64>,
    /// The PostgreSQL image; empty leaves the operator's default.
    #[builder(setter(into))]
    pub image_name: Expr<String>,
    /// A quantity such as `10Gi`.
    #[builder(setter(into))]
    pub storage_size: Expr<String>,
    /// Empty: the cluster's default storage class.
    #[builder(setter(into))]
    pub storage_class: Expr<String>,
    /// The application database and its owner; the operator stores the owner's credentials in
    /// the Secret [`ObjectRef::app_secret`](crate::model::ObjectRef::app_secret) names.
    pub database: &'static str,
    /// SQL run in the application database once, after it is created (`CREATE EXTENSION ...`).
    #[builder(default)]
    pub post_init_sql: List<Node>,
    /// Free-form `imagePullSecrets` list of `{name}`.
    #[builder(default, setter(strip_option, into))]
    pub image_pull_secrets: Option<Expr<Value>>,
    /// The object store, present when the condition holds.
    #[builder(default, setter(strip_option))]
    pub backup: Option<(Expr<bool>, ObjectStore)>,
    /// Annotations of the ServiceAccount the operator makes for the pods
    /// (`serviceAccountTemplate`), present when the condition holds: the cloud identity of
    /// backups without a credentials Secret.
    #[builder(default, setter(strip_option))]
    pub service_account_annotations: Option<(Expr<bool>, Map)>,
}

impl Build for Cluster {
    fn object(self) -> Object {
        let storage = Map::new().str("size", self.storage_size).when(self.storage_class.is_set(), Map::new().str("storageClass", self.storage_class));
        let mut initdb = Map::new().str("database", self.database).str("owner", self.database);
        if !self.post_init_sql.is_empty() {
            initdb = initdb.field("postInitApplicationSQL", self.post_init_sql.node());
        }
        let mut spec = Map::new().int("instances", self.instances).when(self.image_name.is_set(), Map::new().str("imageName", self.image_name));
        if let Some(secrets) = self.image_pull_secrets {
            spec = spec.field("imagePullSecrets", Node::raw(secrets));
        }
        spec = spec.field("storage", storage).field("bootstrap", Map::new().field("initdb", initdb));
        if let Some((cond, store)) = self.backup {
            spec = spec.when(cond, Map::new().field("backup", Map::new().field("barmanObjectStore", store.0)));
        }
        if let Some((cond, annotations)) = self.service_account_annotations {
            spec = spec.when(cond, Map::new().field("serviceAccountTemplate", Map::new().field("metadata", Map::new().field("annotations", annotations))));
        }
        object("postgresql.cnpg.io/v1", "Cluster", self.meta, Map::new().field("spec", spec), typed::<crds::cluster::v1::ClusterResource>).crd(crds::cluster::CRD)
    }
}

impl ObjectRef<Cluster> {
    /// The Secret the operator creates with the application owner's credentials (`username`,
    /// `password`, `host`, `port`, `dbname`, `uri`).
    pub fn app_secret(&self) -> SecretRef {
        SecretRef::made_by_operator(concat([self.name(), "-app".into()]))
    }
    /// The Service the operator creates for the primary (read-write) instance.
    pub fn read_write_service(&self) -> Expr<String> {
        concat([self.name(), "-rw".into()])
    }
}

/// A CloudNativePG `ScheduledBackup` of a cluster to its object store.
#[derive(Clone, Debug, TypedBuilder)]
pub struct ScheduledBackup {
    /// Name and labels.
    pub meta: Meta,
    /// The Cluster to back up.
    #[builder(setter(transform = |c: &ObjectRef<Cluster>| c.name()))]
    pub cluster: Expr<String>,
    /// Six fields: CloudNativePG's cron has a seconds field first.
    #[builder(setter(into))]
    pub schedule: Expr<String>,
}

impl Build for ScheduledBackup {
    fn object(self) -> Object {
        let spec =
            Map::new().str("schedule", self.schedule).field("cluster", Map::new().str("name", self.cluster)).str("backupOwnerReference", "self").str("method", "barmanObjectStore");
        object("postgresql.cnpg.io/v1", "ScheduledBackup", self.meta, Map::new().field("spec", spec), typed::<crds::scheduled_backup::v1::ScheduledBackupResource>)
            .crd(crds::scheduled_backup::CRD)
    }
}
