//! Reading what a git revision committed under the output directory, with the `git` command
//! (no checkout, no rebuild of old code): the upgrade check compares it with what emit writes
//! now.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Files by path relative to the output directory, as in [`kforge::output::Tree`].
pub type Files = BTreeMap<PathBuf, String>;

fn git(repo: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git").arg("-C").arg(repo).args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The repository holding `out` and the path of `out` inside it (`charts-out`), with `/`
/// separators as git writes them. Errors: `out` is not inside a git work tree.
pub fn locate(out: &Path) -> Result<(PathBuf, String), String> {
    let cwd = std::env::current_dir().map_err(|e| format!("the current directory: {e}"))?;
    let out = if out.is_absolute() { out.to_path_buf() } else { cwd.join(out) };
    let probe = out.ancestors().find(|p| p.is_dir()).unwrap_or(&cwd).to_path_buf();
    let top = git(&probe, &["rev-parse", "--show-toplevel"])
        .map_err(|_| format!("{} is not inside a git repository: the upgrade check reads what a revision committed", out.display()))?;
    let top = PathBuf::from(top.trim());
    let (top_real, out_real) = (top.canonicalize().unwrap_or(top.clone()), out.canonicalize().unwrap_or(out.clone()));
    let rel = out_real.strip_prefix(&top_real).map_err(|_| format!("{} is not inside the repository at {}", out.display(), top.display()))?;
    let rel: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    Ok((top, rel.join("/")))
}

/// Whether `repo` is a shallow clone, whose history stops before the previous releases.
pub fn is_shallow(repo: &Path) -> Result<bool, String> {
    Ok(git(repo, &["rev-parse", "--is-shallow-repository"])?.trim() == "true")
}

/// The full commit id of `rev`. Errors: not a commit of `repo`.
pub fn resolve(repo: &Path, rev: &str) -> Result<String, String> {
    git(repo, &["rev-parse", "--verify", "--quiet", "--end-of-options", &format!("{rev}^{{commit}}")]).map(|s| s.trim().to_string()).map_err(|_| {
        let hint = if is_shallow(repo).unwrap_or(false) { " (this shallow clone lacks older commits: fetch them with `git fetch --unshallow`)" } else { "" };
        format!("{rev:?} is not a commit of the repository at {}{hint}", repo.display())
    })
}

/// Reads many blobs (`rev:path`) with one `git cat-file --batch`; a missing one is `None`.
fn blobs(repo: &Path, specs: &[String]) -> Result<Vec<Option<String>>, String> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input: String = specs.iter().map(|s| format!("{s}\n")).collect();
    // Written from a thread: git answers while it reads, and a full pipe would stop both.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().expect("piped"));
    let mut found = Vec::with_capacity(specs.len());
    for spec in specs {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(|e| format!("git cat-file: {e}"))?;
        let fields: Vec<&str> = header.split_whitespace().collect();
        match fields.as_slice() {
            [_, "blob", size] => {
                let size: usize = size.parse().map_err(|_| format!("git cat-file: unexpected header {header:?}"))?;
                let mut body = vec![0; size + 1];
                reader.read_exact(&mut body).map_err(|e| format!("git cat-file: {e}"))?;
                body.pop();
                found.push(Some(String::from_utf8_lossy(&body).into_owned()));
            }
            [_, "missing"] => found.push(None),
            _ => return Err(format!("git cat-file: unexpected answer {header:?} for {spec}")),
        }
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(found)
}

/// Every file `rev` committed under the folders `within` of the output directory `out_dir` (a
/// path relative to the repository root, such as `charts-out`; `within` such as
/// `charts/backbone`), by path relative to `out_dir`.
pub fn committed(repo: &Path, rev: &str, out_dir: &str, within: &[String]) -> Result<Files, String> {
    let mut args = vec!["ls-tree", "-r", "-z", "--name-only", rev, "--"];
    let dirs: Vec<String> = within.iter().map(|w| format!("{out_dir}/{w}")).collect();
    args.extend(dirs.iter().map(String::as_str));
    let listing = git(repo, &args)?;
    let paths: Vec<&str> = listing.split('\0').filter(|p| !p.is_empty()).collect();
    let specs: Vec<String> = paths.iter().map(|p| format!("{rev}:{p}")).collect();
    let texts = blobs(repo, &specs)?;
    let prefix = Path::new(out_dir);
    Ok(paths.iter().zip(texts).filter_map(|(p, text)| Some((Path::new(p).strip_prefix(prefix).ok()?.to_path_buf(), text?))).collect())
}

/// The `version:` of a Chart.yaml.
pub fn chart_version(chart_yaml: &str) -> Option<String> {
    let doc: serde_json::Value = serde_saphyr::from_str(chart_yaml).ok()?;
    doc.get("version")?.as_str().map(str::to_string)
}

/// The revision to compare a chart with when none is given: the commit that introduced the
/// version before the current one, following first parents from `HEAD`. Everything since the
/// last release must then fit in one bump, so a change made without a bump cannot hide behind
/// a later commit that bumps for something smaller. A chart whose version never changed is
/// compared with the commit that added it; `None`: git has never seen the chart.
pub fn previous_release(repo: &Path, chart_yaml: &str, current: &str) -> Result<Option<String>, String> {
    let log = git(repo, &["log", "--first-parent", "--format=%H", "HEAD", "--", chart_yaml])?;
    let commits: Vec<&str> = log.lines().collect();
    let specs: Vec<String> = commits.iter().map(|c| format!("{c}:{chart_yaml}")).collect();
    let versions: Vec<Option<String>> = blobs(repo, &specs)?.into_iter().map(|t| t.and_then(|t| chart_version(&t))).collect();
    let Some(first_other) = versions.iter().position(|v| v.as_deref() != Some(current)) else {
        return Ok(commits.last().map(|c| c.to_string()));
    };
    let previous = &versions[first_other];
    let mut introduced = first_other;
    while introduced + 1 < commits.len() && versions[introduced + 1] == *previous {
        introduced += 1;
    }
    Ok(Some(commits[introduced].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(repo: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    }

    fn commit(repo: &Path, version: &str, extra: &str) -> String {
        std::fs::create_dir_all(repo.join("out/charts/a")).unwrap();
        std::fs::write(repo.join("out/charts/a/Chart.yaml"), format!("name: a\nversion: \"{version}\"\n")).unwrap();
        std::fs::write(repo.join("out/charts/a/values.yaml"), extra).unwrap();
        run(repo, &["add", "-A"]);
        run(repo, &["commit", "-qm", version]);
        git(repo, &["rev-parse", "HEAD"]).unwrap().trim().to_string()
    }

    #[test]
    fn reads_committed_files_and_finds_the_previous_release() {
        let repo = tempfile::tempdir().unwrap();
        run(repo.path(), &["init", "-q"]);
        let first = commit(repo.path(), "0.1.0", "a: 1\n");
        let files = committed(repo.path(), &first, "out", &["charts/a".into()]).unwrap();
        assert_eq!(files.keys().map(|p| p.display().to_string()).collect::<Vec<_>>(), ["charts/a/Chart.yaml", "charts/a/values.yaml"]);
        // Never bumped: the commit that added the chart.
        assert_eq!(previous_release(repo.path(), "out/charts/a/Chart.yaml", "0.1.0").unwrap(), Some(first.clone()));
        commit(repo.path(), "0.1.0", "a: 2\n");
        let introduced = commit(repo.path(), "0.2.0", "a: 3\n");
        commit(repo.path(), "0.2.0", "a: 4\n");
        commit(repo.path(), "0.3.0", "a: 5\n");
        // At 0.3.0, the previous version 0.2.0 was introduced by the third commit.
        assert_eq!(previous_release(repo.path(), "out/charts/a/Chart.yaml", "0.3.0").unwrap(), Some(introduced));
        // A version edited but not committed yet: the release before it is the current one.
        assert!(previous_release(repo.path(), "out/charts/a/Chart.yaml", "0.4.0").unwrap().is_some());
        assert_eq!(previous_release(repo.path(), "out/charts/b/Chart.yaml", "0.1.0").unwrap(), None);
        assert!(resolve(repo.path(), "no-such-rev").is_err());
        assert_eq!(chart_version("version: \"1.2.3\"\n").as_deref(), Some("1.2.3"));
    }
}
