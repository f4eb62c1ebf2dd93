//! Aeterna's own cases beyond the shared contract run: one rendering case per vector backend,
//! cache type, LLM provider and secrets provider (Helm 4 and 3 agree with `emit` on each), and
//! one bad-input case per pre-flight rule (both renderers reject it with the same message).

use std::path::Path;

use crate::support::*;

/// Over the `local` environment (self-contained, Ollama, image v0.8.0-rc.9). Each renders.
const MODES: &[(&str, &str)] = &[
    ("qdrant bundled", "vectorBackend: {type: qdrant}"),
    ("qdrant external with a key", "vectorBackend: {type: qdrant, qdrant: {enabled: false, external: {host: qdrant.db, apiKey: k}}}"),
    ("pgvector", "vectorBackend: {type: pgvector, pgvector: {enabled: true}}"),
    ("pinecone", "vectorBackend: {type: pinecone, pinecone: {enabled: true, existingSecret: pinecone, environment: us-east-1, indexName: mem}}"),
    ("weaviate", "vectorBackend: {type: weaviate, weaviate: {enabled: true, external: {host: \"https://weaviate.example\"}}}"),
    ("mongodb", "vectorBackend: {type: mongodb, mongodb: {enabled: true, uri: \"mongodb+srv://u:p@cluster0.example/aeterna\"}}"),
    ("vertex-ai", "vectorBackend: {type: vertex-ai, vertexAi: {enabled: true, projectId: p, region: europe-west1, indexEndpoint: e, existingSecret: gcp}}"),
    ("databricks", "vectorBackend: {type: databricks, databricks: {enabled: true, workspaceUrl: \"https://dbc.example\", token: t, catalog: main}}"),
    ("dragonfly", "cache: {type: dragonfly}"),
    ("valkey", "cache: {type: valkey, valkey: {enabled: true}}"),
    ("external cache with a password", "cache: {type: external, external: {host: redis.example, password: pw}}"),
    ("openai", "llm: {provider: openai, openai: {apiKey: sk-test}}"),
    ("ollama", "llm: {provider: ollama, ollama: {host: \"http://ollama:11434\"}}"),
    ("ollama with a tag that is not a version", "aeterna: {image: {tag: main}}\nllm: {provider: ollama, ollama: {host: \"http://ollama:11434\"}}"),
    ("openai with the default image", "aeterna: {image: {tag: \"\"}}\nllm: {provider: openai, openai: {apiKey: sk-test}}"),
    ("migration with a release that has the command", "aeterna: {image: {tag: v0.8.0-rc.6}, migration: {enabled: true}}\nllm: {provider: none}"),
    ("no llm", "llm: {provider: none}"),
    ("external postgres", "postgresql: {enabled: false, external: {host: pg.example, username: u, password: pw}}"),
    ("sops", "secrets: {provider: sops}\nllm: {provider: openai, openai: {apiKey: sk-test}}"),
    ("external secrets", "secrets: {provider: external-secrets, externalSecrets: {enabled: true, secretStoreRef: {name: vault}}}\nllm: {provider: openai}"),
    ("opal off", "opal: {enabled: false}"),
    ("opal secure mode from values", "opal: {auth: {enabled: true, masterToken: m, privateKey: k, publicKey: p, clientToken: t}}"),
    ("opal secure mode from a Secret", "opal: {auth: {enabled: true, existingSecret: opal}}"),
    (
        "opal webhook and ssh key",
        "opal: {server: {policyRepo: {url: \"git@github.com:acme/policies.git\", pollingInterval: 0, webhook: {enabled: true, existingSecret: hook}, sshKey: {existingSecret: repo-key}}}}",
    ),
    ("opal policy from a ConfigMap", "opal: {cedar: {policy: \"\", existingConfigMap: cedar}}"),
    ("opal policy from a ConfigMap over values", "opal: {cedar: {existingConfigMap: cedar}}"),
    ("opal policy and schema from values", "opal: {cedar: {policy: \"forbid(principal, action, resource);\", schema: \"namespace Aeterna {}\"}}"),
    ("opal fetcher of one tenant with its own tag", "opal: {fetcher: {tenant: 0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a, image: {tag: \"v1\"}}}"),
    ("opal of a fetcher that wants a tenant", "aeterna: {image: {tag: \"0.8.0-rc.12\"}}\nopal: {fetcher: {tenant: 0b0e5a4c-8f4e-4a53-9c2a-4f3e2b1d0c9a}}"),
    ("opal with a fetcher older than its server", "aeterna: {image: {tag: \"0.8.0-rc.12\"}}\nopal: {fetcher: {tenant: \"\", image: {tag: \"0.5.0\"}}}"),
    ("opal with valkey and a password", "cache: {type: external, external: {host: redis.example, existingSecret: redis}}\nopal: {server: {replicas: 3}}"),
    ("registry mirror", "global: {imageRegistry: mirror.example, imagePullSecrets: [{name: mirror}]}\npostgresql: {imageName: \"ghcr.io/cloudnative-pg/postgresql:17\"}"),
];

/// Over the `local` environment. Each breaks one pre-flight rule.
const PREFLIGHT: &[(&str, &str, &str)] = &[
    ("external database without host", "postgresql: {enabled: false}", "set postgresql.external.host"),
    ("backups without the bundled cluster", "postgresql: {enabled: false, external: {host: pg}, backup: {enabled: true, destination: {bucket: b}}}", "it needs postgresql.enabled"),
    ("backups without bucket", "postgresql: {backup: {enabled: true}}", "set postgresql.backup.destination.bucket"),
    ("external cache without host", "cache: {type: external}", "cache.type is external: set cache.external.host"),
    ("dragonfly disabled", "cache: {dragonfly: {enabled: false}}", "cache.dragonfly.enabled is false"),
    ("valkey not enabled", "cache: {type: valkey}", "cache.valkey.enabled is false"),
    ("two primary vector backends", "vectorBackend: {pinecone: {enabled: true, existingSecret: p}}", "one primary vector backend only"),
    ("external qdrant without host", "vectorBackend: {qdrant: {enabled: false}}", "set vectorBackend.qdrant.external.host"),
    ("weaviate without host", "vectorBackend: {type: weaviate}", "set vectorBackend.weaviate.external.host"),
    ("pgvector without the extension", "vectorBackend: {type: pgvector}\npostgresql: {pgvector: {enabled: false}}", "set postgresql.pgvector.enabled"),
    ("pinecone without a key", "vectorBackend: {type: pinecone}", "vectorBackend.pinecone.apiKey is needed"),
    ("mongodb without a uri", "vectorBackend: {type: mongodb}", "vectorBackend.mongodb.uri is needed"),
    ("vertex-ai without credentials", "vectorBackend: {type: vertex-ai}", "vectorBackend.vertexAi.serviceAccountJson is needed"),
    ("databricks without a token", "vectorBackend: {type: databricks}", "vectorBackend.databricks.token is needed"),
    ("openai without a key", "llm: {provider: openai}", "llm.openai.apiKey is needed"),
    ("anthropic", "llm: {provider: anthropic, anthropic: {existingSecret: anthropic}}", "llm.provider: anthropic is read by no Aeterna release"),
    (
        "external password not URL-safe",
        "postgresql: {enabled: false, backup: {enabled: false}, external: {host: pg, password: \"p@ss:w/rd#1 ?%\"}}",
        "postgresql.external.password: with OPAL on, opal-fetcher reads it inside a URL",
    ),
    ("ollama with the default image", "aeterna: {image: {tag: \"\"}}", "llm.provider: ollama needs an Aeterna image that reads AETERNA_OPENAI_BASE_URL, 0.8.0-rc.9 or later"),
    ("ollama with a release before 0.8.0-rc.9", "aeterna: {image: {tag: v0.8.0-rc.8}}", "llm.provider: ollama needs an Aeterna image"),
    (
        "migration with the default image",
        "aeterna: {image: {tag: \"\"}, migration: {enabled: true}}\nllm: {provider: none}",
        "before 0.8.0-rc.6 the image's `aeterna admin migrate up` fails",
    ),
    (
        "migration with a release before 0.8.0-rc.6",
        "aeterna: {image: {tag: v0.8.0-rc.5}, migration: {enabled: true}}\nllm: {provider: none}",
        "aeterna.migration.enabled: before 0.8.0-rc.6",
    ),
    ("ollama without host", "llm: {ollama: {host: \"\"}}", "llm.provider is ollama: set llm.ollama.host"),
    ("external secrets without a store", "secrets: {provider: external-secrets}", "set secrets.externalSecrets.secretStoreRef.name"),
    ("external secrets without a remote key", "secrets: {externalSecrets: {enabled: true, secretStoreRef: {name: s}, remoteKey: \"\"}}", "set secrets.externalSecrets.remoteKey"),
    (
        "a key in values with external secrets",
        "secrets: {provider: external-secrets, externalSecrets: {secretStoreRef: {name: s}}}\nllm: {provider: openai, openai: {apiKey: sk-x}}",
        "llm.openai.apiKey is set but External Secrets are on",
    ),
    ("opal without a policy repository", "opal: {server: {policyRepo: {url: \"\"}}}", "opal.enabled: set opal.server.policyRepo.url"),
    ("opal that never looks for commits", "opal: {server: {policyRepo: {pollingInterval: 0}}}", "set pollingInterval (seconds) or webhook.enabled"),
    ("opal secure mode without tokens", "opal: {auth: {enabled: true}}", "opal.auth.masterToken is needed: set it or opal.auth.existingSecret"),
    ("opal webhook without its secret", "opal: {server: {policyRepo: {webhook: {enabled: true}}}}", "opal.server.policyRepo.webhook.secret is needed"),
    ("opal without its Cedar clients", "opal: {cedarAgent: {enabled: false}}", "no OPAL client loads the policies"),
    ("opal without the server's Cedar policy", "opal: {cedar: {policy: \"\"}}", "opal.cedar.policy: with OPAL on the Aeterna server authorizes with Cedar"),
    ("opal without the fetcher image", "opal: {fetcher: {image: {repository: \"\"}}}", "build it from opal-fetcher/Dockerfile of kikokikok/aeterna"),
    ("opal fetcher without the tenant it wants", "opal: {fetcher: {tenant: \"\"}}", "opal.fetcher.tenant: opal-fetcher v0.8.0-rc.4 and later"),
    ("opal fetcher of a branch without a tenant", "opal: {fetcher: {tenant: \"\", image: {tag: main}}}", "opal.fetcher.tenant: opal-fetcher v0.8.0-rc.4 and later"),
    ("opal-server budget with both bounds", "opal: {server: {pdb: {enabled: true, maxUnavailable: 1}}}", "not both"),
];

fn case_file(dir: &Path, label: &str, yaml: &str) -> std::path::PathBuf {
    let file = dir.join(format!("{}.yaml", label.replace(' ', "-")));
    std::fs::write(&file, yaml).expect("write");
    file
}

#[test]
fn every_backend_cache_and_provider_renders_alike() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let local = chart_dir("aeterna").join("values-local.yaml");
    for (label, yaml) in MODES {
        let file = case_file(tmp.path(), label, yaml);
        let files = [local.as_path(), file.as_path()];
        let ours = emit_stdout("aeterna", "mem", "ai", &files, &[]);
        assert!(ours.status.success(), "{label}: emit: {}", text(&ours.stderr));
        for helm in HELMS {
            let theirs = helm_template(helm, "aeterna", "mem", "ai", &files, &[]);
            assert!(theirs.status.success(), "{label}: {helm}: {}", text(&theirs.stderr));
            compare_streams(&text(&theirs.stdout), &text(&ours.stdout)).unwrap_or_else(|e| panic!("{label}, {helm}: {e}"));
        }
    }
}

#[test]
fn every_preflight_rule_stops_both_renderers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let local = chart_dir("aeterna").join("values-local.yaml");
    for (label, yaml, message) in PREFLIGHT {
        let file = case_file(tmp.path(), label, yaml);
        let files = [local.as_path(), file.as_path()];
        let ours = emit_stdout("aeterna", "mem", "ai", &files, &[]);
        let stderr = text(&ours.stderr);
        assert!(!ours.status.success() && ours.stdout.is_empty(), "{label}: emit rendered");
        assert!(stderr.contains(message), "{label}: emit says:\n{stderr}");
        for helm in HELMS {
            let theirs = helm_template(helm, "aeterna", "mem", "ai", &files, &[]);
            assert!(!theirs.status.success(), "{label}: {helm} rendered");
            assert!(text(&theirs.stderr).contains(message), "{label}: {helm} says:\n{}", text(&theirs.stderr));
        }
    }
}

#[test]
fn secrets_from_values_reach_only_the_secret() {
    // An API key given in values goes to the chart's Secret and is read from there; nothing else
    // carries it.
    let out = emit_stdout(
        "aeterna",
        "mem",
        "ai",
        &[chart_dir("aeterna").join("values-local.yaml").as_path()],
        &["llm.provider=openai".into(), "llm.openai.apiKey=sk-unique-value".into()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = parse_stream(&text(&out.stdout));
    let holders: Vec<String> = docs.iter().filter(|d| d.to_string().contains("sk-unique-value")).map(|d| format!("{}/{}", d["kind"], d["metadata"]["name"])).collect();
    assert_eq!(holders, vec!["\"Secret\"/\"mem-aeterna\"".to_string()]);
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "mem-aeterna").expect("deployment");
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"].as_array().expect("env");
    let key = env.iter().find(|e| e["name"] == "OPENAI_API_KEY").expect("OPENAI_API_KEY");
    assert_eq!(key["valueFrom"]["secretKeyRef"], serde_json::json!({"name": "mem-aeterna", "key": "openai-api-key"}));
}
