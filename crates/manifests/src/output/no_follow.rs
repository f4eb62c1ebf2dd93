//! Reading what lies in a generated folder without following a link planted there, and without
//! reading more than a generated file can hold.
//!
//! A generated folder is the user's to put things into: a link to `/proc/self/environ` or
//! `/dev/zero`, a FIFO named `.kforge-files`. emit, `emit --check` and the ownership record
//! read only regular files, opened with `O_NOFOLLOW | O_NONBLOCK` (so opening neither follows a
//! link nor waits for a FIFO's writer) and checked with `fstat` on the opened file, and read at
//! most [`MAX_FILE_BYTES`]. Anything else is not emit's, so it is listed as a foreign entry.
//!
//! An output folder given on the command line is taken as spelled ([`lexical`]): `link/.` and
//! `link/charts/..` are `link`, which is then refused as the link it is, instead of the kernel
//! resolving them through the link.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// The most emit reads of one file in a generated folder. The largest file emit writes is far
/// smaller (a chart's schema, tens of kilobytes).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// The bytes of `path` when it is a regular file, not a link, FIFO, device or folder; `Ok(None)`
/// when it is one of those (or missing). A regular file over [`MAX_FILE_BYTES`] is an error.
pub fn read_regular(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let Some(file) = open_regular(path)? else { return Ok(None) };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::other(format!("{}: larger than {} MiB, more than emit ever writes", path.display(), MAX_FILE_BYTES >> 20)));
    }
    Ok(Some(bytes))
}

/// `path` with `.` dropped and each `..` taking away the component before it, as the path reads,
/// without asking the file system (which would follow a link before `..`). A leading `..` stays.
pub fn lexical(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() { std::path::PathBuf::from(".") } else { out.iter().collect() }
}

#[cfg(target_os = "linux")]
fn open_regular(path: &Path) -> io::Result<Option<fs::File>> {
    use rustix::fs::{FileType, Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        // ELOOP: the path is a link; ENXIO: a socket or a FIFO without writers.
        Err(e) if e == rustix::io::Errno::LOOP || e == rustix::io::Errno::NOENT || e == rustix::io::Errno::NXIO => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // The opened file itself, so nothing can swap the path between the check and the read.
    let stat = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Ok(None);
    }
    Ok(Some(fs::File::from(fd)))
}

#[cfg(not(target_os = "linux"))]
fn open_regular(path: &Path) -> io::Result<Option<fs::File>> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => fs::File::open(path).map(Some),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("file");
        fs::write(&file, "text").expect("write");
        assert_eq!(read_regular(&file).expect("read"), Some(b"text".to_vec()));
        #[cfg(unix)]
        {
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(&file, &link).expect("link");
            assert_eq!(read_regular(&link).expect("read"), None, "a link is not followed");
            let zero = tmp.path().join("zero");
            std::os::unix::fs::symlink("/dev/zero", &zero).expect("link");
            assert_eq!(read_regular(&zero).expect("read"), None);
            assert_eq!(read_regular(Path::new("/dev/zero")).expect("read"), None, "a device is not read");
            let fifo = tmp.path().join("fifo");
            assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
            assert_eq!(read_regular(&fifo).expect("no wait for a writer"), None);
        }
        assert_eq!(read_regular(tmp.path()).expect("read"), None, "a folder is not a file");
        assert_eq!(read_regular(&tmp.path().join("missing")).expect("read"), None);
    }

    #[test]
    fn paths_read_as_spelled() {
        for (given, expected) in [("link/.", "link"), ("link/charts/..", "link"), ("a/b/../../c", "c"), ("../x", "../x"), ("/..", "/"), ("./", "."), ("a/..", ".")] {
            assert_eq!(lexical(Path::new(given)), Path::new(expected), "{given}");
        }
    }

    #[test]
    fn a_file_larger_than_the_cap_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let big = tmp.path().join("big");
        fs::File::create(&big).and_then(|f| f.set_len(MAX_FILE_BYTES + 1)).expect("sparse file");
        let err = read_regular(&big).expect_err("read past the cap");
        assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
    }
}
