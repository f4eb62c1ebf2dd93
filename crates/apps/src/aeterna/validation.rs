//! Pre-flight checks (the design's `validation/_validation.tpl`): combinations of values that
//! cannot deploy, rejected with one message each by `emit` and by the chart's
//! `templates/validate.yaml`. Unknown backend, cache or provider names never get this far: the
//! values schema and the Rust types reject them. Missing credentials are checked with the
//! credentials themselves (`secrets::Credentials::add_to`).

use kforge::{Expr, Model};

use super::ValuesKnobs;
use super::core::{self, LlmProvider};
use super::dependencies::{CacheType, VectorBackendType};

pub fn preflight(m: &mut Model, v: &ValuesKnobs, external: &Expr<bool>) {
    let pg = &v.postgresql;
    m.reject_when(
        pg.enabled.not().and(pg.external.host.is_set().not()),
        "postgresql.enabled is false: set postgresql.external.host to use an existing PostgreSQL, or postgresql.enabled: true for a CloudNativePG cluster",
    );
    // Backups need a bucket and the bundled cluster: checked with the backup itself
    // (`kit::ClusterBackupSettings`).

    // ----- cache
    let cache = &v.cache;
    m.reject_when(cache.type_.is(CacheType::External).and(cache.external.host.is_set().not()), "cache.type is external: set cache.external.host");
    m.reject_when(
        cache.type_.is(CacheType::Dragonfly).and(cache.dragonfly.enabled.not()),
        "cache.type is dragonfly but cache.dragonfly.enabled is false: enable it, or set cache.type to valkey or external",
    );
    m.reject_when(
        cache.type_.is(CacheType::Valkey).and(cache.valkey.enabled.not()),
        "cache.type is valkey but cache.valkey.enabled is false: enable it, or set cache.type to dragonfly or external",
    );
    // Each pod is a standalone server and the Service spreads connections over them: a key set
    // on one is missing on the others, and a publish (OPAL's broadcast between opal-server
    // replicas) reaches only that pod's subscribers.
    for (name, t, bundled) in [("dragonfly", CacheType::Dragonfly, &cache.dragonfly), ("valkey", CacheType::Valkey, &cache.valkey)] {
        m.reject_when(
            cache.type_.is(t).and(Expr::from(1).lt(&bundled.replicas)),
            &format!("cache.{name}.replicas: set 1; each pod would be a server of its own behind one Service, splitting the cache and OPAL's broadcast"),
        );
    }

    // ----- vector backend: one primary, and what each needs
    let vb = &v.vector_backend;
    for (name, enabled, t) in [
        ("pgvector", &vb.pgvector.enabled, VectorBackendType::Pgvector),
        ("pinecone", &vb.pinecone.enabled, VectorBackendType::Pinecone),
        ("weaviate", &vb.weaviate.enabled, VectorBackendType::Weaviate),
        ("mongodb", &vb.mongodb.enabled, VectorBackendType::Mongodb),
        ("vertexAi", &vb.vertex_ai.enabled, VectorBackendType::VertexAi),
        ("databricks", &vb.databricks.enabled, VectorBackendType::Databricks),
    ] {
        m.reject_when(
            enabled.and(vb.type_.is(t).not()),
            &format!("vectorBackend.{name}.enabled is true but vectorBackend.type names another backend: one primary vector backend only (set vectorBackend.type or disable it)"),
        );
    }
    m.reject_when(
        vb.type_.is(VectorBackendType::Qdrant).and(vb.qdrant.enabled.not()).and(vb.qdrant.external.host.is_set().not()),
        "vectorBackend.qdrant.enabled is false: set vectorBackend.qdrant.external.host to use an existing Qdrant",
    );
    m.reject_when(
        vb.type_.is(VectorBackendType::Weaviate).and(vb.weaviate.external.host.is_set().not()),
        "vectorBackend.type is weaviate: set vectorBackend.weaviate.external.host",
    );
    m.reject_when(
        vb.type_.is(VectorBackendType::Pgvector).and(&pg.enabled).and(pg.pgvector.enabled.not()),
        "vectorBackend.type is pgvector: set postgresql.pgvector.enabled so the bundled cluster has the extension",
    );

    // ----- LLM provider
    m.reject_when(v.llm.provider.is(LlmProvider::Anthropic), core::ANTHROPIC_REFUSED);
    m.reject_when(v.llm.provider.is(LlmProvider::Ollama).and(v.llm.ollama.host.is_set().not()), "llm.provider is ollama: set llm.ollama.host");
    let image = &v.aeterna.image;
    m.reject_when(v.llm.provider.is(LlmProvider::Ollama).and(image.version_at_least(core::READS_OPENAI_BASE_URL).not()), core::OLLAMA_TOO_OLD);

    // ----- the migration Job, only where the image's command works
    m.reject_when(v.aeterna.migration.enabled.and(image.version_at_least(core::MIGRATES).not()), core::MIGRATION_TOO_OLD);

    // ----- secrets and observability
    let secrets = &v.secrets;
    m.reject_when(
        external.and(secrets.external_secrets.secret_store_ref.name.is_set().not()),
        "External Secrets are on (secrets.provider or secrets.externalSecrets.enabled): set secrets.externalSecrets.secretStoreRef.name",
    );
    m.reject_when(
        external.and(secrets.external_secrets.remote_key.is_set().not()),
        "External Secrets are on (secrets.provider or secrets.externalSecrets.enabled): set secrets.externalSecrets.remoteKey",
    );
}
