//! A CronJob (`batch/v1`): a [`Pod`] run as a Job on a schedule. Its fields take literals or
//! settings of types that cannot hold what the API server refuses: a schedule is a literal
//! (which `kforge check` judges in every environment, [`crate::rules::cron`]) or a
//! [`CronSchedule`] setting; a time zone a literal or a [`TimeZone`] setting; the concurrency
//! policy a [`ConcurrencyPolicy`]; the counts unsigned (`ValidateNonnegativeField`). Its pod
//! template is a Job's, labelled as every workload's, so the check's Pod Security Standard and
//! references apply to it as to any other pod.
//!
//! ```compile_fail
//! use kforge::objects::batch::Count;
//! // A history limit cannot be negative: there is no count from a signed number.
//! let limit: Count = (-1i64).into();
//! ```

use crate::model::objects::workload::Pod;
use crate::model::{Build, Meta, Object};
use crate::template::expr::{Expr, Knob};
use crate::template::tree::{LabelSet, Map};
use crate::values::{ConcurrencyPolicy, CronSchedule, TimeZone};

/// A CronJob's `schedule`: a literal, or a [`CronSchedule`] setting (five fields, checked by both
/// renderers through its type).
#[derive(Clone, Debug)]
pub struct Schedule(Expr<String>);

impl From<&'static str> for Schedule {
    fn from(s: &'static str) -> Self {
        Schedule(s.into())
    }
}

impl From<&Knob<CronSchedule>> for Schedule {
    fn from(k: &Knob<CronSchedule>) -> Self {
        Schedule(k.expr())
    }
}

/// A CronJob's `timeZone`: a literal, always rendered, or a [`TimeZone`] setting, rendered when
/// set (empty leaves the field out).
#[derive(Clone, Debug)]
pub enum Zone {
    /// Rendered as it is; the check judges it.
    Literal(&'static str),
    /// Rendered when set.
    Setting(Expr<String>),
}

impl From<&'static str> for Zone {
    fn from(s: &'static str) -> Self {
        Zone::Literal(s)
    }
}

impl From<&Knob<TimeZone>> for Zone {
    fn from(k: &Knob<TimeZone>) -> Self {
        Zone::Setting(k.expr())
    }
}

/// A CronJob's `concurrencyPolicy`: a [`ConcurrencyPolicy`], or a setting of that type.
#[derive(Clone, Debug)]
pub struct Concurrency(Expr<String>);

impl From<ConcurrencyPolicy> for Concurrency {
    fn from(p: ConcurrencyPolicy) -> Self {
        let text = match p {
            ConcurrencyPolicy::Allow => "Allow",
            ConcurrencyPolicy::Forbid => "Forbid",
            ConcurrencyPolicy::Replace => "Replace",
        };
        Concurrency(text.into())
    }
}

impl From<&Knob<ConcurrencyPolicy>> for Concurrency {
    fn from(k: &Knob<ConcurrencyPolicy>) -> Self {
        Concurrency(k.expr())
    }
}

/// A count the API server wants non-negative (`ValidateNonnegativeField`): an unsigned literal or
/// an unsigned setting, whose schema says `minimum: 0` to Helm as serde says it to `emit`.
#[derive(Clone, Debug)]
pub struct Count(Expr<i64>);

macro_rules! counts {
    ($($t:ty),*) => {$(
        impl From<$t> for Count {
            fn from(n: $t) -> Self {
                Count(n.into())
            }
        }
        impl From<&Knob<$t>> for Count {
            fn from(k: &Knob<$t>) -> Self {
                Count(k.expr())
            }
        }
    )*};
}
counts!(u8, u16, u32);

/// A CronJob (`batch/v1`): a Job on a schedule. The name may have 52 characters at most (the
/// Jobs it creates add 11, `ValidateCronJobCreate`); both renderers refuse a release name that
/// makes it longer, as for any kind ([`crate::rules::name_rule`]).
#[derive(Clone, Debug, typed_builder::TypedBuilder)]
pub struct CronJob {
    /// Name and labels; give it a component, so that no Service or budget of another workload
    /// selects its pods.
    pub meta: Meta,
    /// When it runs: five cron fields (`0 3 * * *`) or a descriptor (`@daily`).
    #[builder(setter(into))]
    pub schedule: Schedule,
    /// The IANA time zone of the schedule (`Europe/Paris`); the controller's own when `None`.
    #[builder(default, setter(strip_option, into))]
    pub time_zone: Option<Zone>,
    /// What happens when a run is due while the last one still runs; `Allow` when `None`.
    #[builder(default, setter(strip_option, into))]
    pub concurrency_policy: Option<Concurrency>,
    /// `startingDeadlineSeconds`: how late a missed run may still start; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub starting_deadline_seconds: Option<Count>,
    /// `successfulJobsHistoryLimit`: finished Jobs kept; Kubernetes keeps 3 when `None`.
    #[builder(default, setter(strip_option, into))]
    pub successful_jobs_history_limit: Option<Count>,
    /// `failedJobsHistoryLimit`: failed Jobs kept; Kubernetes keeps 1 when `None`.
    #[builder(default, setter(strip_option, into))]
    pub failed_jobs_history_limit: Option<Count>,
    /// `suspend`: no new runs while it holds; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub suspend: Option<Expr<bool>>,
    /// The Job's `backoffLimit`: retries before a run fails; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub backoff_limit: Option<Count>,
    /// The Job's `activeDeadlineSeconds`; left out when `None`.
    #[builder(default, setter(strip_option, into))]
    pub active_deadline_seconds: Option<Count>,
    /// The pod of each run; its restart policy must be `Never` or `OnFailure` (the check says so).
    pub pod: Pod,
}

impl Build for CronJob {
    fn object(self) -> Object {
        let mut spec = Map::new().str("schedule", self.schedule.0);
        match self.time_zone {
            Some(Zone::Literal(zone)) => spec = spec.str("timeZone", zone),
            Some(Zone::Setting(zone)) => spec = spec.when(zone.is_set(), Map::new().str("timeZone", zone)),
            None => {}
        }
        if let Some(policy) = self.concurrency_policy {
            spec = spec.str("concurrencyPolicy", policy.0);
        }
        for (key, count) in [
            ("startingDeadlineSeconds", &self.starting_deadline_seconds),
            ("successfulJobsHistoryLimit", &self.successful_jobs_history_limit),
            ("failedJobsHistoryLimit", &self.failed_jobs_history_limit),
        ] {
            if let Some(n) = count {
                spec = spec.int(key, n.0.clone());
            }
        }
        if let Some(suspend) = &self.suspend {
            spec = spec.bool("suspend", suspend.clone());
        }
        let mut job = Map::new();
        if let Some(limit) = &self.backoff_limit {
            job = job.int("backoffLimit", limit.0.clone());
        }
        if let Some(deadline) = &self.active_deadline_seconds {
            job = job.int("activeDeadlineSeconds", deadline.0.clone());
        }
        job = job.field("template", self.pod.lower_with(self.meta.component));
        // The Jobs it creates carry the workload's labels, so `kubectl get jobs -l` finds them.
        let template = Map::new().field("metadata", Map::new().field("labels", Map::new().labels(LabelSet::All(self.meta.component)))).field("spec", job);
        spec = spec.field("jobTemplate", template);
        Object::new("batch/v1", "CronJob", self.meta, Map::new().field("spec", spec)).checked_as::<k8s_openapi::api::batch::v1::CronJob>()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::model::Model;
    use crate::model::objects::workload::Container;
    use crate::render::{testing, yaml_of};
    use crate::template::expr::{Path, fullname_with};

    fn knob<T>(key: &str) -> Knob<T> {
        Knob::at(Path::values().child(key))
    }

    fn pod() -> Pod {
        let c = Container::builder().name("report").image("report:1").command(["report", "--nightly"]).build();
        Pod::builder().containers(vec![c]).restart_policy("OnFailure").build()
    }

    /// A nightly CronJob whose settings all come from values.
    fn from_values() -> Model {
        let mut m = Model::new();
        m.add(
            CronJob::builder()
                .meta(Meta::new(fullname_with("nightly")).component("nightly"))
                .schedule(&knob::<CronSchedule>("schedule"))
                .time_zone(&knob::<TimeZone>("timeZone"))
                .concurrency_policy(&knob::<ConcurrencyPolicy>("concurrencyPolicy"))
                .starting_deadline_seconds(&knob::<u32>("startingDeadlineSeconds"))
                .successful_jobs_history_limit(&knob::<u8>("keep"))
                .failed_jobs_history_limit(1u8)
                .suspend(knob::<bool>("suspend"))
                .backoff_limit(2u8)
                .pod(pod())
                .build(),
        );
        m
    }

    fn values() -> Value {
        json!({"schedule": "0 3 * * *", "timeZone": "Europe/Paris", "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 600, "keep": 3, "suspend": false})
    }

    #[test]
    fn a_cronjob_renders_its_settings_and_a_labelled_job_pod() {
        let m = from_values();
        let o = testing::object(&m, values());
        assert_eq!((o["apiVersion"].as_str(), o["kind"].as_str()), (Some("batch/v1"), Some("CronJob")));
        let spec = &o["spec"];
        assert_eq!(spec["schedule"], "0 3 * * *");
        assert_eq!(spec["timeZone"], "Europe/Paris");
        assert_eq!(spec["concurrencyPolicy"], "Forbid");
        assert_eq!((spec["startingDeadlineSeconds"].as_i64(), spec["successfulJobsHistoryLimit"].as_i64(), spec["failedJobsHistoryLimit"].as_i64()), (Some(600), Some(3), Some(1)));
        assert_eq!(spec["suspend"], false);
        assert_eq!(spec["jobTemplate"]["spec"]["backoffLimit"], 2);
        // The pod carries the selector labels with its component, as every workload's does.
        let labels = &spec["jobTemplate"]["spec"]["template"]["metadata"]["labels"];
        assert_eq!(labels["app.kubernetes.io/component"], "nightly");
        assert_eq!(labels["app.kubernetes.io/instance"], "rel");
        assert_eq!(spec["jobTemplate"]["metadata"]["labels"]["app.kubernetes.io/component"], "nightly");
        assert_eq!(spec["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"], "OnFailure");

        // An empty time zone leaves the field out: the controller's local time.
        let mut v = values();
        v["timeZone"] = json!("");
        assert!(testing::object(&m, v)["spec"].get("timeZone").is_none());
    }

    #[test]
    fn literals_render_as_they_are() {
        let mut m = Model::new();
        m.add(
            CronJob::builder()
                .meta(Meta::new("cleanup").component("cleanup"))
                .schedule("@daily")
                .time_zone("Etc/UTC")
                .concurrency_policy(ConcurrencyPolicy::Replace)
                .pod(pod())
                .build(),
        );
        let spec = testing::object(&m, json!({}))["spec"].clone();
        assert_eq!((spec["schedule"].as_str(), spec["timeZone"].as_str(), spec["concurrencyPolicy"].as_str()), (Some("@daily"), Some("Etc/UTC"), Some("Replace")));
        assert!(spec.get("suspend").is_none() && spec.get("startingDeadlineSeconds").is_none(), "{spec}");
    }

    #[test]
    fn a_name_over_52_characters_is_refused_before_rendering() {
        let m = from_values();
        let mut v = values();
        // "<override>-nightly": 45 + 8 = 53 characters.
        v["fullnameOverride"] = json!("a".repeat(45));
        let e = testing::objects(&m, v.clone()).expect_err("53 characters");
        assert!(e.to_string().contains("has 53 characters, over the 52 a CronJob name may have (the Jobs it creates add 11 characters)"), "{e}");
        v["fullnameOverride"] = json!("a".repeat(44));
        assert!(testing::objects(&m, v).is_ok());
    }

    #[test]
    fn both_renderers_snapshot() {
        let m = from_values();
        let concrete = yaml_of(&testing::object(&m, values())).expect("prints");
        insta::assert_snapshot!("cronjob_concrete", concrete);
        insta::assert_snapshot!("cronjob_chart", testing::templates(&m));
    }
}
