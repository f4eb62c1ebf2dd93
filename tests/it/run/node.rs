//! One Kubernetes node that exists only for a test, made of local processes: it takes the
//! objects a release renders and starts chosen containers the way the kubelet would.
//!
//! - The node is a network namespace with nothing but loopback, held open by a pause process
//!   (as a pod's pause container holds its namespaces). Every pod gets a loopback address of its
//!   own (`127.0.1.N`); the node's `/etc/hosts` maps each Service that selects a pod (`name`,
//!   `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`) and the pod's own name to it.
//!   Pods share the namespace, so two pods of one test may not listen on the same port.
//! - A container runs in a mount namespace of its own, on an overlay of the machine's root
//!   (writes go to the overlay, never to the machine), with the image's files from the image
//!   table (`super::images`), its volumes bind-mounted at their mount paths (ConfigMap and Secret
//!   volumes with their items and modes, emptyDir, claims as fresh folders), the node's hosts
//!   file, the pod's hostname, the root read-only when the container asks for it, and the user,
//!   group and supplementary groups of its security contexts.
//! - Its environment is the kubelet's: the image's variables, then the Service links, `envFrom`
//!   and `env` in order with `$(VAR)` expanded (Kubernetes' `third_party/forked/golang/expansion`),
//!   values from ConfigMaps and Secrets (with `optional`) and the downward API fields the charts
//!   use. A reference the kubelet could not resolve fails the start, as
//!   `CreateContainerConfigError` would.
//! - Its command is the kubelet's: `command` replaces the image's entrypoint, `args` its command.
//! - `wait_ready` runs the readiness probe (httpGet, tcpSocket, exec) as declared, until the
//!   kubelet would have restarted the container; a container that exits or does not become ready
//!   fails the test with its log.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::images;

/// Where the machine's tools are: the harness drives them by absolute path, so that a
/// container's `PATH` never decides which `mount` runs.
const NSENTER: &str = "/usr/bin/nsenter";
const UNSHARE: &str = "/usr/bin/unshare";
const SETPRIV: &str = "/usr/bin/setpriv";

pub struct Node {
    dir: tempfile::TempDir,
    pause: Child,
    namespace: String,
    objects: Vec<Value>,
    hosts: Vec<(Ipv4Addr, String)>,
    next_address: u8,
    pods: BTreeMap<String, usize>,
    processes: Vec<Process>,
}

struct Process {
    name: String,
    child: Child,
    log: PathBuf,
}

/// A pod started on the node.
pub struct Pod {
    pub name: String,
    pub address: Ipv4Addr,
    spec: Value,
    containers: Vec<Started>,
}

struct Started {
    name: String,
    process: usize,
    pid_file: PathBuf,
    user: (u32, u32),
}

/// An HTTP response: status and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Node {
    /// A node holding `objects` (what the API server would hold: the release's objects and the
    /// test's own, such as an existing Secret) for pods in `namespace`.
    pub fn new(namespace: &str, objects: Vec<Value>) -> Node {
        for tool in [NSENTER, UNSHARE, SETPRIV, "/usr/sbin/chroot", "/usr/bin/env", "/usr/bin/mount", "/usr/bin/hostname", "/bin/ip"] {
            assert!(Path::new(tool).exists(), "{tool} is missing: the run tests need util-linux, coreutils and iproute2");
        }
        let dir = tempfile::Builder::new().prefix("kforge-node-").tempdir().expect("a folder for the node");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod node folder");
        let mut pause = Command::new(UNSHARE)
            .args(["--net", "--", "sleep", "infinity"])
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("unshare --net (the run tests need root or user namespaces)");
        let ns = format!("/proc/{}/ns/net", pause.id());
        let own = fs::read_link("/proc/self/ns/net").expect("own network namespace");
        let deadline = Instant::now() + Duration::from_secs(10);
        while fs::read_link(&ns).map(|l| l == own).unwrap_or(true) {
            if let Ok(Some(status)) = pause.try_wait() {
                panic!("unshare --net exited with {status}: the run tests need to make network namespaces (root, or user namespaces)");
            }
            assert!(Instant::now() < deadline, "the node's network namespace did not appear");
            std::thread::sleep(Duration::from_millis(10));
        }
        let up = Command::new(NSENTER).arg(format!("--net={ns}")).args(["--", "/bin/ip", "link", "set", "lo", "up"]).status().expect("ip link");
        assert!(up.success(), "could not bring the node's loopback up");
        let node = Node { dir, pause, namespace: namespace.into(), objects, hosts: Vec::new(), next_address: 10, pods: BTreeMap::new(), processes: Vec::new() };
        node.write_hosts();
        node
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn netns(&self) -> String {
        format!("/proc/{}/ns/net", self.pause.id())
    }

    /// Applies an object to what the API server holds (an existing Secret, say): it replaces
    /// the object of that kind and name.
    pub fn add_object(&mut self, object: Value) {
        let key = |o: &Value| (o["kind"].clone(), o["metadata"]["name"].clone());
        self.objects.retain(|o| key(o) != key(&object));
        self.objects.push(object);
    }

    fn allocate(&mut self) -> Ipv4Addr {
        self.next_address = self.next_address.checked_add(1).expect("at most 245 addresses a node");
        Ipv4Addr::new(127, 0, 1, self.next_address)
    }

    fn write_hosts(&self) {
        let mut text = String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        for (address, name) in &self.hosts {
            let _ = writeln!(text, "{address}\t{name}");
        }
        // Rewritten in place: every container bind-mounts this very file.
        let path = self.dir.path().join("hosts");
        let mut f = fs::OpenOptions::new().create(true).write(true).truncate(true).open(&path).expect("hosts file");
        f.write_all(text.as_bytes()).expect("write hosts");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod hosts");
    }

    /// Gives `names` an address of their own on the node (a program outside the release, such
    /// as an external database), and returns it.
    pub fn address_for(&mut self, names: &[&str]) -> Ipv4Addr {
        let address = self.allocate();
        for name in names {
            self.hosts.push((address, (*name).into()));
        }
        self.write_hosts();
        address
    }

    /// Makes `name` resolve to the address `existing` resolves to (a second name of a host).
    pub fn alias(&mut self, name: &str, existing: &str) {
        let address = self.hosts.iter().find(|(_, n)| n == existing).map(|(a, _)| *a).unwrap_or_else(|| panic!("no host {existing} on the node"));
        self.hosts.push((address, name.into()));
        self.write_hosts();
    }

    /// Starts a program that is not part of the release (a database, a git server) on the node
    /// as `user`, with `names` resolving to `address`. Its output goes to a log the failure
    /// messages show.
    pub fn program(&mut self, name: &str, user: (u32, u32), program: &Path, args: &[&str], env: &[(&str, &str)]) {
        let log = self.dir.path().join(format!("{name}.log"));
        let out = fs::File::create(&log).expect("log file");
        let (reuid, regid) = (format!("--reuid={}", user.0), format!("--regid={}", user.1));
        let mut setpriv = vec![reuid.as_str(), &regid, "--clear-groups", "--", program.to_str().expect("a UTF-8 path")];
        setpriv.extend_from_slice(args);
        let child = self
            .command(Path::new(SETPRIV), &setpriv, env)
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({}): {e}", program.display()));
        self.processes.push(Process { name: name.into(), child, log });
    }

    /// Runs `f` in the node's network namespace (on a thread of its own: a namespace belongs
    /// to a thread).
    pub fn inside<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let ns = self.netns();
        std::thread::scope(|s| {
            s.spawn(move || {
                let file = fs::File::open(&ns).expect("the node's network namespace");
                rustix::thread::move_into_link_name_space(std::os::fd::AsFd::as_fd(&file), Some(rustix::thread::LinkNameSpaceType::Network))
                    .unwrap_or_else(|e| panic!("setns into the node: {e}"));
                f()
            })
            .join()
            .expect("thread in the node")
        })
    }

    /// Runs a command in the node's network namespace to its end, with a clean environment.
    pub fn run(&self, program: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        self.command(program, args, env).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
    }

    /// `program` with `args` in the node's network namespace, with `env` and a plain `PATH` only.
    fn command(&self, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(NSENTER);
        cmd.arg(format!("--net={}", self.netns()))
            .arg("--")
            .arg(program)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        cmd
    }

    /// An HTTP request from inside the node.
    pub fn http(&self, method: &str, address: Ipv4Addr, port: u16, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Result<Response, String> {
        self.inside(|| http(method, address, port, path, headers, body, Duration::from_secs(5)))
    }

    /// Whether something accepts TCP connections at `address:port` inside the node.
    pub fn tcp_open(&self, address: Ipv4Addr, port: u16) -> bool {
        self.inside(|| TcpStream::connect_timeout(&SocketAddr::from((address, port)), Duration::from_secs(1)).is_ok())
    }

    /// Waits until `check` holds, or fails after `timeout` with `what` and the logs.
    pub fn wait_for(&mut self, what: &str, timeout: Duration, mut check: impl FnMut(&Node) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            if check(self) {
                return;
            }
            self.assert_running();
            if Instant::now() > deadline {
                panic!("{what}: not within {timeout:?}\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Fails the test with every log when a process of the node has exited.
    pub fn assert_running(&mut self) {
        let mut exited = Vec::new();
        for p in &mut self.processes {
            if let Ok(Some(status)) = p.child.try_wait() {
                exited.push(format!("{} exited ({status})", p.name));
            }
        }
        if !exited.is_empty() {
            panic!("{}\n{}", exited.join("\n"), self.logs());
        }
    }

    /// The last lines of every log of the node.
    /// The last lines of every log, each after the lines of it that report an error (a cause
    /// scrolls out of the tail while a program retries). `KFORGE_KEEP_NODE=1` keeps the node's
    /// folder, logs and all, after a failed test.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        for p in &self.processes {
            let log = fs::read_to_string(&p.log).unwrap_or_default();
            let errors: Vec<&str> = log.lines().filter(|l| ["error", "Error", "ERROR", "Traceback", "refused", "failure", "Failure"].iter().any(|w| l.contains(w))).collect();
            let _ = writeln!(text, "----- log of {} ({})", p.name, p.log.display());
            if !errors.is_empty() {
                let _ = writeln!(text, "  {} lines report an error; the first and last five:", errors.len());
                let shown: Vec<&str> = if errors.len() > 10 { errors[..5].iter().chain(&errors[errors.len() - 5..]).copied().collect() } else { errors };
                for line in shown {
                    let _ = writeln!(text, "  ! {line}");
                }
                let _ = writeln!(text, "  the last lines:");
            }
            text.push_str(&tail(&log, 40));
        }
        text
    }

    /// The log of one process of the node.
    pub fn log(&self, name: &str) -> String {
        let p = self.processes.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no process {name}"));
        fs::read_to_string(&p.log).unwrap_or_default()
    }

    /// Stops one process (a container, say) and waits for it.
    pub fn stop(&mut self, name: &str) {
        if let Some(i) = self.processes.iter().position(|p| p.name == name) {
            let mut p = self.processes.remove(i);
            kill(&mut p.child);
        }
    }

    fn workload(&self, kind: &str, name: &str) -> &Value {
        self.objects.iter().find(|o| o["kind"] == kind && o["metadata"]["name"] == name).unwrap_or_else(|| {
            panic!(
                "the release renders no {kind} {name}; it renders: {}",
                self.objects.iter().map(|o| format!("{} {}", o["kind"], o["metadata"]["name"])).collect::<Vec<_>>().join(", ")
            )
        })
    }

    fn find(&self, kind: &str, name: &str) -> Option<&Value> {
        self.objects.iter().find(|o| o["kind"] == kind && o["metadata"]["name"] == name && o["metadata"]["namespace"].as_str().is_none_or(|ns| ns == self.namespace))
    }

    /// Starts the pod of workload `kind`/`name` (a Deployment, StatefulSet, DaemonSet or Job):
    /// its init containers to their end, then its containers. Services that select the pod
    /// resolve to its address from then on.
    pub fn start(&mut self, kind: &str, name: &str) -> Pod {
        self.start_with(kind, name, |_| {})
    }

    /// As `start`, with the pod spec changed first by `edit` (the tests' deliberate breaks).
    pub fn start_with(&mut self, kind: &str, name: &str, edit: impl FnOnce(&mut Value)) -> Pod {
        let workload = self.workload(kind, name).clone();
        let template = &workload["spec"]["template"];
        let mut spec = template["spec"].clone();
        edit(&mut spec);
        let labels = template["metadata"]["labels"].as_object().cloned().unwrap_or_default();
        let n = self.pods.entry(name.to_string()).or_default();
        let pod_name = format!("{name}-{n}");
        *n += 1;
        let address = self.allocate();
        self.hosts.push((address, pod_name.clone()));
        let services: Vec<Value> = self.objects.iter().filter(|o| o["kind"] == "Service").cloned().collect();
        for service in services {
            let selector = service["spec"]["selector"].as_object().cloned().unwrap_or_default();
            if selector.is_empty() || !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                continue;
            }
            let svc = service["metadata"]["name"].as_str().expect("Service name").to_string();
            if self.hosts.iter().any(|(_, n)| *n == svc) {
                continue;
            }
            check_service_ports(&service, &spec);
            let ns = &self.namespace;
            for host in [svc.clone(), format!("{svc}.{ns}"), format!("{svc}.{ns}.svc"), format!("{svc}.{ns}.svc.cluster.local")] {
                self.hosts.push((address, host));
            }
        }
        self.write_hosts();
        let mut pod = Pod { name: pod_name.clone(), address, spec: spec.clone(), containers: Vec::new() };
        for init in spec["initContainers"].as_array().cloned().unwrap_or_default() {
            let started = self.start_container(&spec, &init, &pod_name, address);
            let process = &mut self.processes[started.process];
            let status = wait_timeout(&mut process.child, Duration::from_secs(120));
            let log = fs::read_to_string(&process.log).unwrap_or_default();
            assert!(status.is_some_and(|s| s.success()), "init container {} of {pod_name} failed ({status:?}):\n{}", started.name, tail(&log, 60));
        }
        for c in spec["containers"].as_array().cloned().unwrap_or_default() {
            let started = self.start_container(&spec, &c, &pod_name, address);
            pod.containers.push(started);
        }
        pod
    }

    /// Puts a client of the test tools (`command`, such as psql) in the place of `container` of
    /// workload `kind`/`name`, alone in its pod (no init containers, no probes), with the
    /// environment, volumes and user that container gets, and runs it to its end: its exit
    /// status and its output.
    pub fn client(&mut self, kind: &str, name: &str, container: &str, command: &[&str]) -> (bool, String) {
        let command: Vec<Value> = command.iter().map(|s| Value::from(*s)).collect();
        let pod = self.start_with(kind, name, |spec| {
            let mut c = find_container(spec, container);
            c["image"] = Value::from(format!("{}:1", images::CLIENTS));
            c["command"] = Value::from(command);
            c.as_object_mut().expect("container").remove("args");
            for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
                c.as_object_mut().expect("container").remove(probe);
            }
            spec["containers"] = Value::from(vec![c]);
            spec.as_object_mut().expect("pod spec").remove("initContainers");
        });
        let started = &pod.containers[0];
        let process = &mut self.processes[started.process];
        let status = wait_timeout(&mut process.child, Duration::from_secs(60));
        let log = fs::read_to_string(&process.log).unwrap_or_default();
        let name = process.name.clone();
        self.stop(&name);
        (status.is_some_and(|s| s.success()), log)
    }

    fn start_container(&mut self, spec: &Value, c: &Value, pod_name: &str, address: Ipv4Addr) -> Started {
        let cname = c["name"].as_str().expect("container name");
        let image_ref = c["image"].as_str().expect("container image");
        let image = images::find(image_ref);
        let env = self.kubelet_env(spec, c, pod_name, address).unwrap_or_else(|e| panic!("{pod_name}/{cname}: CreateContainerConfigError: {e}"));
        // The runtime: the image's variables, overridden by the container's.
        let mut environment: Vec<(String, String)> =
            image.env().into_iter().chain([("HOSTNAME".to_string(), pod_name.to_string())]).filter(|(k, _)| !env.iter().any(|(n, _)| n == k)).collect();
        environment.extend(env.iter().cloned());
        let lookup = |name: &str| env.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let expand_all = |list: &Value| -> Option<Vec<String>> { list.as_array().map(|a| a.iter().map(|s| expand(s.as_str().expect("string"), &lookup)).collect()) };
        let command = match (expand_all(&c["command"]), expand_all(&c["args"])) {
            (Some(command), Some(args)) => [command, args].concat(),
            (Some(command), None) => command,
            (None, Some(args)) => [image.entrypoint(), args].concat(),
            (None, None) => [image.entrypoint(), image.cmd()].concat(),
        };
        assert!(!command.is_empty(), "{pod_name}/{cname}: no command (the image table gives {} none)", image.repository);

        let security = |key: &str| c["securityContext"][key].as_i64().or_else(|| spec["securityContext"][key].as_i64());
        let uid = security("runAsUser").map_or(image.user.0, |u| u as u32);
        let gid = security("runAsGroup").map_or(if security("runAsUser").is_some() && uid != image.user.0 { 0 } else { image.user.1 }, |g| g as u32);
        let non_root = c["securityContext"]["runAsNonRoot"].as_bool().or_else(|| spec["securityContext"]["runAsNonRoot"].as_bool()).unwrap_or(false);
        assert!(!(non_root && uid == 0), "{pod_name}/{cname}: CreateContainerConfigError: container has runAsNonRoot and image will run as root");
        let fs_group = spec["securityContext"]["fsGroup"].as_i64().map(|g| g as u32);
        let mut groups: Vec<u32> = vec![gid];
        groups.extend(fs_group);
        groups.extend(spec["securityContext"]["supplementalGroups"].as_array().into_iter().flatten().filter_map(Value::as_i64).map(|g| g as u32));
        groups.dedup();

        let base = self.dir.path().join("pods").join(pod_name);
        let cdir = base.join(cname);
        for sub in ["upper", "work", "root"] {
            fs::create_dir_all(cdir.join(sub)).expect("container folders");
        }
        let q = |p: &Path| shell_quote(&p.display().to_string());
        let root = cdir.join("root");
        let r = q(&root);
        let mut script = String::from("set -e\n");
        let _ = writeln!(script, "/usr/bin/mount -t overlay overlay -o lowerdir=/,upperdir={},workdir={} {r}", cdir.join("upper").display(), cdir.join("work").display());
        let _ = writeln!(script, "/usr/bin/mount --rbind /dev {r}/dev\n/usr/bin/mount -t proc proc {r}/proc\n/usr/bin/mount --rbind /sys {r}/sys");
        let image_files = cdir.join("image");
        image.prepare(&image_files);
        let _ = writeln!(script, "/usr/bin/cp -a {}/. {r}/", q(&image_files));
        for m in c["volumeMounts"].as_array().into_iter().flatten() {
            let vname = m["name"].as_str().expect("volumeMount name");
            let volume = spec["volumes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|v| v["name"] == vname)
                .unwrap_or_else(|| panic!("{pod_name}/{cname}: volumeMount {vname} names no volume of the pod"));
            let source = self.volume(volume, &base.join("volumes"), fs_group).unwrap_or_else(|e| panic!("{pod_name}: volume {vname}: {e}"));
            let source = match m["subPath"].as_str() {
                Some(sub) if !sub.is_empty() => source.join(sub),
                _ => source,
            };
            let target = format!("{r}{}", shell_quote(m["mountPath"].as_str().expect("mountPath")));
            let _ = writeln!(
                script,
                "if [ -d {src} ]; then /usr/bin/mkdir -p {target}; else /usr/bin/mkdir -p \"$(/usr/bin/dirname {target})\"; [ -e {target} ] || /usr/bin/touch {target}; fi",
                src = q(&source)
            );
            let _ = writeln!(script, "/usr/bin/mount --bind {} {target}", q(&source));
            if m["readOnly"].as_bool() == Some(true) {
                let _ = writeln!(script, "/usr/bin/mount -o remount,bind,ro {target}");
            }
        }
        let _ = writeln!(script, "/usr/bin/mount --bind -o ro {} {r}/etc/hosts", q(&self.dir.path().join("hosts")));
        let _ = writeln!(script, "/usr/bin/hostname {}", shell_quote(pod_name));
        if c["securityContext"]["readOnlyRootFilesystem"].as_bool() == Some(true) {
            let _ = writeln!(script, "/usr/bin/mount -o remount,ro {r}");
        }
        let pid_file = cdir.join("pid");
        let workdir = c["workingDir"].as_str().map_or_else(|| image.workdir.to_string(), str::to_string);
        let groups = groups.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        // The process's PID on the machine (for exec probes), read before /proc is the
        // container's: the shell opens /proc/self itself.
        let _ = writeln!(script, "read -r pid _ < /proc/self/stat; echo \"$pid\" > {}", q(&pid_file));
        let _ = writeln!(script, "exec /usr/sbin/chroot --userspec={uid}:{gid} --groups={groups} {r} /usr/bin/env -C {} -- \"$@\"", shell_quote(&workdir));

        let name = format!("{pod_name}/{cname}");
        let log = base.join(format!("{cname}.log"));
        let out = fs::File::create(&log).expect("log");
        let mut cmd = Command::new(NSENTER);
        cmd.arg(format!("--net={}", self.netns()))
            // A PID namespace of its own, as a container has: when its first process ends, the
            // kernel ends every other (the OPAL client starts cedar-agent in a session of its own).
            .args(["--", UNSHARE, "--mount", "--uts", "--pid", "--fork", "--kill-child", "--propagation", "private", "--", "/bin/sh", "-c", &script, "sh"])
            .args(&command)
            .env_clear()
            .envs(environment)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .process_group(0);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.processes.push(Process { name: name.clone(), child, log });
        Started { name: cname.into(), process: self.processes.len() - 1, pid_file, user: (uid, gid) }
    }

    /// A volume's folder, made as the kubelet makes it; with an fsGroup, owned by that group as
    /// `SetVolumeOwnership` leaves it (`pkg/volume/volume_linux.go`): folders setgid, files of
    /// ConfigMap and Secret volumes (read-only) group-readable, others group-writable.
    fn volume(&self, volume: &Value, dir: &Path, fs_group: Option<u32>) -> Result<PathBuf, String> {
        let name = volume["name"].as_str().ok_or("no name")?;
        let path = dir.join(name);
        if path.exists() {
            return Ok(path);
        }
        fs::create_dir_all(&path).map_err(|e| e.to_string())?;
        let group = fs_group.unwrap_or(0);
        let chown = |p: &Path, mode: u32| {
            std::os::unix::fs::chown(p, Some(0), Some(group)).expect("chown");
            fs::set_permissions(p, fs::Permissions::from_mode(mode)).expect("chmod");
        };
        let (dir_bits, read_only_bits) = if fs_group.is_some() { (0o2000, 0o440) } else { (0, 0) };
        if volume.get("emptyDir").is_some() {
            chown(&path, 0o777 | dir_bits);
        } else if volume.get("persistentVolumeClaim").is_some() {
            // A fresh volume: group-writable for the fsGroup when there is one.
            chown(&path, if fs_group.is_some() { 0o775 | dir_bits } else { 0o755 });
        } else if let Some((source, data, default_mode)) = self.projected(volume)? {
            chown(&path, 0o755 | dir_bits);
            let items: Vec<(String, String, Option<u32>)> = match source["items"].as_array() {
                Some(items) => items
                    .iter()
                    .map(|i| {
                        let key = i["key"].as_str().unwrap_or_default().to_string();
                        (key, i["path"].as_str().unwrap_or_default().to_string(), i["mode"].as_u64().map(|m| m as u32))
                    })
                    .collect(),
                None => data.keys().map(|k| (k.clone(), k.clone(), None)).collect(),
            };
            for (key, rel, mode) in items {
                let Some(content) = data.get(&key) else {
                    if source["optional"].as_bool() == Some(true) {
                        continue;
                    }
                    return Err(format!("key {key} is not in the object"));
                };
                let file = path.join(&rel);
                if let Some(parent) = file.parent() {
                    fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                fs::write(&file, content).map_err(|e| e.to_string())?;
                chown(&file, mode.unwrap_or(default_mode) | read_only_bits);
            }
        } else {
            return Err(format!("the harness mounts emptyDir, persistentVolumeClaim, configMap and secret volumes, not {volume}"));
        }
        Ok(path)
    }

    /// A ConfigMap or Secret volume: its source, the object's data and the default mode.
    fn projected<'v>(&self, volume: &'v Value) -> Result<Option<(&'v Value, BTreeMap<String, Vec<u8>>, u32)>, String> {
        for (field, kind, name_key) in [("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName")] {
            if let Some(source) = volume.get(field) {
                let name = source[name_key].as_str().unwrap_or_default();
                let mode = source["defaultMode"].as_u64().map_or(0o644, |m| m as u32);
                let data = match self.find(kind, name) {
                    Some(object) => data_of(object, true),
                    None if source["optional"].as_bool() == Some(true) => BTreeMap::new(),
                    None => return Err(format!("{kind} {name} does not exist")),
                };
                return Ok(Some((source, data, mode)));
            }
        }
        Ok(None)
    }

    /// The variables the kubelet sets (`kubelet_pods.go`, `makeEnvironmentVariables`).
    fn kubelet_env(&self, spec: &Value, c: &Value, pod_name: &str, address: Ipv4Addr) -> Result<Vec<(String, String)>, String> {
        // The `kubernetes` Service's variables always (`getServiceEnvVarMap`: the master
        // services), every other Service's unless enableServiceLinks is false.
        let mut service_env: Vec<(String, String)> = [
            ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
            ("KUBERNETES_SERVICE_PORT", "443"),
            ("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
            ("KUBERNETES_PORT", "tcp://10.96.0.1:443"),
            ("KUBERNETES_PORT_443_TCP", "tcp://10.96.0.1:443"),
            ("KUBERNETES_PORT_443_TCP_PROTO", "tcp"),
            ("KUBERNETES_PORT_443_TCP_PORT", "443"),
            ("KUBERNETES_PORT_443_TCP_ADDR", "10.96.0.1"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
        if spec["enableServiceLinks"].as_bool() != Some(false) {
            service_env.extend(self.service_links());
        }
        let mut env: Vec<(String, String)> = Vec::new();
        let set = |env: &mut Vec<(String, String)>, name: String, value: String| {
            env.retain(|(n, _)| *n != name);
            env.push((name, value));
        };
        for from in c["envFrom"].as_array().into_iter().flatten() {
            let prefix = from["prefix"].as_str().unwrap_or_default();
            let (kind, source) = if let Some(s) = from.get("configMapRef") { ("ConfigMap", s) } else { ("Secret", &from["secretRef"]) };
            let name = source["name"].as_str().unwrap_or_default();
            match self.find(kind, name) {
                Some(object) => {
                    for (k, v) in data_of(object, false) {
                        set(&mut env, format!("{prefix}{k}"), String::from_utf8_lossy(&v).into_owned());
                    }
                }
                None if source["optional"].as_bool() == Some(true) => {}
                None => return Err(format!("envFrom: {kind} {name} not found")),
            }
        }
        for var in c["env"].as_array().into_iter().flatten() {
            let name = var["name"].as_str().ok_or("env var without a name")?.to_string();
            // The kubelet's order: a value that is not empty, else valueFrom, else "".
            let value = if let Some(v) = var.get("value").filter(|v| v.as_str() != Some("") || var.get("valueFrom").is_none()) {
                let lookup = |n: &str| env.iter().rev().find(|(k, _)| k == n).map(|(_, v)| v.clone()).or_else(|| service_env.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()));
                expand(v.as_str().unwrap_or_default(), &lookup)
            } else if let Some(from) = var.get("valueFrom") {
                match self.value_from(from, pod_name, address) {
                    Ok(Some(v)) => v,
                    Ok(None) => continue,
                    Err(e) => return Err(format!("env {name}: {e}")),
                }
            } else {
                String::new()
            };
            set(&mut env, name, value);
        }
        for (k, v) in service_env {
            if !env.iter().any(|(n, _)| *n == k) {
                env.push((k, v));
            }
        }
        Ok(env)
    }

    fn value_from(&self, from: &Value, pod_name: &str, address: Ipv4Addr) -> Result<Option<String>, String> {
        for (field, kind) in [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")] {
            if let Some(r) = from.get(field) {
                let name = r["name"].as_str().unwrap_or_default();
                let key = r["key"].as_str().unwrap_or_default();
                let optional = r["optional"].as_bool() == Some(true);
                return match self.find(kind, name) {
                    Some(object) => match data_of(object, false).get(key) {
                        Some(v) => Ok(Some(String::from_utf8_lossy(v).into_owned())),
                        None if optional => Ok(None),
                        None => Err(format!("couldn't find key {key} in {kind} {}/{name}", self.namespace)),
                    },
                    None if optional => Ok(None),
                    None => Err(format!("{kind} \"{name}\" not found")),
                };
            }
        }
        if let Some(path) = from["fieldRef"]["fieldPath"].as_str() {
            return Ok(Some(match path {
                "metadata.name" => pod_name.into(),
                "metadata.namespace" => self.namespace.clone(),
                "metadata.uid" => format!("00000000-0000-4000-8000-{:012}", address.octets()[3]),
                "status.podIP" | "status.podIPs" => address.to_string(),
                "status.hostIP" | "status.hostIPs" => "127.0.0.1".into(),
                "spec.nodeName" => "node".into(),
                other => return Err(format!("the harness does not know the field {other}")),
            }));
        }
        Err(format!("the harness does not know {from}"))
    }

    /// The Service links of every Service of the namespace (`envvars.FromServices`).
    fn service_links(&self) -> Vec<(String, String)> {
        let mut env = Vec::new();
        let services = self.objects.iter().filter(|o| o["kind"] == "Service" && o["metadata"]["namespace"].as_str().is_none_or(|ns| ns == self.namespace));
        for service in services {
            let Some(name) = service["metadata"]["name"].as_str() else { continue };
            if service["spec"]["clusterIP"] == "None" || service["spec"]["type"] == "ExternalName" {
                continue;
            }
            let address = self.hosts.iter().find(|(_, n)| n == name).map_or_else(|| "10.96.0.1".to_string(), |(a, _)| a.to_string());
            let prefix = name.to_uppercase().replace('-', "_");
            let ports = service["spec"]["ports"].as_array().cloned().unwrap_or_default();
            let Some(first) = ports.first() else { continue };
            env.push((format!("{prefix}_SERVICE_HOST"), address.clone()));
            env.push((format!("{prefix}_SERVICE_PORT"), first["port"].to_string()));
            for p in &ports {
                if let Some(pname) = p["name"].as_str() {
                    env.push((format!("{prefix}_SERVICE_PORT_{}", pname.to_uppercase().replace('-', "_")), p["port"].to_string()));
                }
            }
            let proto = first["protocol"].as_str().unwrap_or("TCP");
            env.push((format!("{prefix}_PORT"), format!("{}://{address}:{}", proto.to_lowercase(), first["port"])));
            for p in &ports {
                let proto = p["protocol"].as_str().unwrap_or("TCP");
                let var = format!("{prefix}_PORT_{}_{proto}", p["port"]);
                env.push((var.clone(), format!("{}://{address}:{}", proto.to_lowercase(), p["port"])));
                env.push((format!("{var}_PROTO"), proto.to_lowercase()));
                env.push((format!("{var}_PORT"), p["port"].to_string()));
                env.push((format!("{var}_ADDR"), address.clone()));
            }
        }
        env
    }

    /// Waits for every container of `pod` to pass its readiness probe, as long as the kubelet
    /// would wait before restarting it (the longer of the readiness and liveness budgets:
    /// initialDelaySeconds + periodSeconds × failureThreshold), then runs its liveness probe
    /// once. A container that exits fails the test with its log.
    pub fn wait_ready(&mut self, pod: &Pod) {
        for started in &pod.containers {
            let c = find_container(&pod.spec, &started.name);
            let budget = |probe: &Value| {
                if probe.is_null() {
                    return 0;
                }
                probe["initialDelaySeconds"].as_u64().unwrap_or(0) + probe["periodSeconds"].as_u64().unwrap_or(10) * probe["failureThreshold"].as_u64().unwrap_or(3)
            };
            let readiness = &c["readinessProbe"];
            let seconds = budget(readiness).max(budget(&c["livenessProbe"])).max(1);
            let start = Instant::now();
            if !readiness.is_null() {
                std::thread::sleep(Duration::from_secs(readiness["initialDelaySeconds"].as_u64().unwrap_or(0)).saturating_sub(start.elapsed()));
            }
            // Every second, a probe's shortest period (more often would fill the program's log
            // with the probe's requests); the budget stays the probe's own.
            let period = Duration::from_secs(1);
            let mut last;
            loop {
                self.assert_running();
                if readiness.is_null() {
                    break;
                }
                match self.probe(pod, started, &c, readiness) {
                    Ok(()) => break,
                    Err(e) => last = e,
                }
                if start.elapsed() > Duration::from_secs(seconds) {
                    panic!("{}/{} did not become ready within {seconds} s (its probes' budget): {last}\n{}", pod.name, started.name, self.logs());
                }
                std::thread::sleep(period);
            }
            let liveness = &c["livenessProbe"];
            if !liveness.is_null()
                && let Err(e) = self.probe(pod, started, &c, liveness)
            {
                panic!("{}/{} is ready but its liveness probe fails: {e}\n{}", pod.name, started.name, self.logs());
            }
        }
    }

    fn probe(&self, pod: &Pod, started: &Started, c: &Value, probe: &Value) -> Result<(), String> {
        let timeout = Duration::from_secs(probe["timeoutSeconds"].as_u64().unwrap_or(1));
        if let Some(get) = probe.get("httpGet") {
            let port = port_number(c, &get["port"])?;
            let path = get["path"].as_str().unwrap_or("/");
            let address = pod.address;
            let headers: Vec<(String, String)> = get["httpHeaders"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| (h["name"].as_str().unwrap_or_default().to_string(), h["value"].as_str().unwrap_or_default().to_string()))
                .collect();
            let response = self.inside(|| {
                let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                http("GET", address, port, path, &headers, None, timeout)
            })?;
            // The kubelet's rule: 200 to 399 is success.
            return if (200..400).contains(&response.status) { Ok(()) } else { Err(format!("GET {path} on port {port}: HTTP {}: {}", response.status, tail(&response.body, 5))) };
        }
        if let Some(tcp) = probe.get("tcpSocket") {
            let port = port_number(c, &tcp["port"])?;
            return if self.tcp_open(pod.address, port) { Ok(()) } else { Err(format!("nothing accepts connections on port {port}")) };
        }
        if let Some(exec) = probe.get("exec") {
            let pid = fs::read_to_string(&started.pid_file).map_err(|e| format!("no pid yet: {e}"))?;
            let command: Vec<&str> = exec["command"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let out = Command::new(NSENTER)
                .args(["-t", pid.trim(), "-m", "-n", "-u", "-r", "-w", "-S", &started.user.0.to_string(), "-G", &started.user.1.to_string(), "--"])
                .args(&command)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| e.to_string())?;
            return if out.status.success() { Ok(()) } else { Err(format!("exec {command:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))) };
        }
        Err(format!("the harness does not run this probe: {probe}"))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        for p in &mut self.processes {
            kill(&mut p.child);
        }
        kill(&mut self.pause);
        if std::thread::panicking() && std::env::var_os("KFORGE_KEEP_NODE").is_some() {
            let keep = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("a folder"));
            eprintln!("the node's folder is kept (KFORGE_KEEP_NODE): {}", keep.keep().display());
        }
    }
}

fn kill(child: &mut Child) {
    // The process group: nsenter, unshare, the shell and the program, with its children.
    if let Some(group) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
    let _ = child.wait();
}

fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn find_container(spec: &Value, name: &str) -> Value {
    spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(spec["initContainers"].as_array().into_iter().flatten())
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("the pod has no container {name}"))
}

/// A Service's name resolves to the pod's own address, so a Service port must be the port its
/// target port names (the charts' Services all are).
fn check_service_ports(service: &Value, spec: &Value) {
    for port in service["spec"]["ports"].as_array().into_iter().flatten() {
        let target = if port["targetPort"].is_null() { port["port"].clone() } else { port["targetPort"].clone() };
        let found = spec["containers"].as_array().into_iter().flatten().find_map(|c| port_number(c, &target).ok());
        let Some(number) = found else {
            panic!("Service {}: target port {target} is no port of the pod it selects", service["metadata"]["name"]);
        };
        assert_eq!(
            port["port"].as_u64(),
            Some(u64::from(number)),
            "Service {}: port {} targets {number}: the harness maps a Service's name to the pod's address and cannot map ports",
            service["metadata"]["name"],
            port["port"]
        );
    }
}

fn port_number(c: &Value, port: &Value) -> Result<u16, String> {
    if let Some(n) = port.as_u64() {
        return u16::try_from(n).map_err(|e| e.to_string());
    }
    let name = port.as_str().ok_or_else(|| format!("port {port}"))?;
    if let Ok(n) = name.parse() {
        return Ok(n);
    }
    c["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
        .and_then(|p| p["containerPort"].as_u64())
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| format!("container {} has no port named {name}", c["name"]))
}

/// The data of a ConfigMap or Secret as the API server stores it (`stringData` merged into
/// `data`).
/// `binary`: with a ConfigMap's `binaryData`, which volumes carry and variables do not (the
/// kubelet reads `ConfigMap.Data` for them).
fn data_of(object: &Value, binary: bool) -> BTreeMap<String, Vec<u8>> {
    use base64::Engine;
    let mut data = BTreeMap::new();
    let secret = object["kind"] == "Secret";
    for (k, v) in object["data"].as_object().into_iter().flatten() {
        let text = v.as_str().unwrap_or_default();
        let bytes =
            if secret { base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_else(|e| panic!("Secret data {k} is not base64: {e}")) } else { text.as_bytes().to_vec() };
        data.insert(k.clone(), bytes);
    }
    for (k, v) in object["binaryData"].as_object().into_iter().flatten().filter(|_| binary) {
        data.insert(k.clone(), base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).expect("binaryData is base64"));
    }
    for (k, v) in object["stringData"].as_object().into_iter().flatten() {
        data.insert(k.clone(), v.as_str().unwrap_or_default().as_bytes().to_vec());
    }
    data
}

/// `$(VAR)` expansion as the kubelet does it (`third_party/forked/golang/expansion`): a
/// defined name is replaced, an undefined one left as written, `$$` is `$`, an unclosed `$(` is
/// kept.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let bytes = input.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.extend_from_slice(&bytes[checkpoint..cursor]);
            let rest = &bytes[cursor + 1..];
            let advance = match rest[0] {
                b'$' => {
                    out.push(b'$');
                    1
                }
                b'(' => match rest.iter().position(|&b| b == b')') {
                    Some(close) => {
                        let name = String::from_utf8_lossy(&rest[1..close]).into_owned();
                        match lookup(&name) {
                            Some(v) => out.extend_from_slice(v.as_bytes()),
                            None => out.extend_from_slice(format!("$({name})").as_bytes()),
                        }
                        close + 1
                    }
                    None => {
                        out.extend_from_slice(b"$(");
                        1
                    }
                },
                other => {
                    out.push(b'$');
                    out.push(other);
                    1
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    out.extend_from_slice(&bytes[checkpoint.min(bytes.len())..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// A plain HTTP/1.1 request (the probes' and the checks' client).
pub fn http(method: &str, address: Ipv4Addr, port: u16, path: &str, headers: &[(&str, &str)], body: Option<&str>, timeout: Duration) -> Result<Response, String> {
    let mut stream = TcpStream::connect_timeout(&SocketAddr::from((address, port)), timeout).map_err(|e| format!("connect {address}:{port}: {e}"))?;
    stream.set_read_timeout(Some(timeout.max(Duration::from_secs(5)))).map_err(|e| e.to_string())?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}:{port}\r\nUser-Agent: kube-probe/1.33\r\nAccept: */*\r\nConnection: close\r\n");
    for (k, v) in headers {
        let _ = write!(request, "{k}: {v}\r\n");
    }
    if let Some(body) = body {
        let _ = write!(request, "Content-Length: {}\r\n", body.len());
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or_default());
    stream.write_all(request.as_bytes()).map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| format!("receive: {e}"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("not an HTTP response: {text}"))?;
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("no status in {head}"))?;
    let chunked = head.lines().any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Ok(Response { status, body })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}

pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let mut s = all[all.len().saturating_sub(lines)..].join("\n");
    s.push('\n');
    s
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn expansion_follows_the_kubelet() {
    let lookup = |n: &str| match n {
        "A" => Some("x".to_string()),
        "EMPTY" => Some(String::new()),
        _ => None,
    };
    for (input, want) in [
        ("$(A)", "x"),
        ("a$(A)b", "axb"),
        ("$(B)", "$(B)"),
        ("$$(A)", "$(A)"),
        ("$$", "$"),
        ("$", "$"),
        ("$(A", "$(A"),
        ("$x$(A)", "$xx"),
        ("$(EMPTY)-", "-"),
        ("é$(A)é", "éxé"),
        ("$(A)$(A)", "xx"),
    ] {
        assert_eq!(expand(input, &lookup), want, "{input}");
    }
}
