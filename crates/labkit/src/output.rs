//! The run folder and atomic writes: nothing a user already has is lost.
//! Every file is written to a temporary name in the same folder and renamed
//! over the target only once complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create the output folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serialise {what} to JSON: {source}")]
    Json {
        what: String,
        source: serde_json::Error,
    },
}

/// A temporary sibling of `path` that keeps its extension (plot backends pick
/// the format from it): `dir/.name.tmp-PID.ext`.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s.to_string(), format!(".{e}")),
        None => (name.clone(), String::new()),
    };
    path.with_file_name(format!(".{stem}.tmp-{}{ext}", std::process::id()))
}

/// Writes a file through `write_to(temp_path)` and renames it into place.
/// On failure the temporary file is removed and `path` is untouched.
pub fn write_atomically<E>(
    path: &Path,
    write_to: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<OutputError>,
{
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| OutputError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    let tmp = temp_sibling(path);
    match write_to(&tmp) {
        Ok(()) => std::fs::rename(&tmp, path).map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            OutputError::Write {
                path: path.to_owned(),
                source,
            }
            .into()
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes bytes atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_atomically(path, |tmp| {
        let mut f = std::fs::File::create(tmp).map_err(|source| OutputError::Write {
            path: tmp.to_owned(),
            source,
        })?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .map_err(|source| OutputError::Write {
                path: tmp.to_owned(),
                source,
            })
    })
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|source| OutputError::Json {
        what: path.display().to_string(),
        source,
    })?;
    text.push('\n');
    write_bytes(path, text.as_bytes())
}

/// A lab run's output folder (`results/<lab>/` by default).
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// Creates the folder if needed; files already in it are only ever
    /// replaced atomically, one by one, by files of the same name.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self, OutputError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|source| OutputError::CreateDir {
            path: root.clone(),
            source,
        })?;
        Ok(RunDir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of a file in the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Writes `name` (e.g. `metrics.json`) as pretty JSON.
    pub fn write_json<T: Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<PathBuf, OutputError> {
        let p = self.path(name);
        write_json(&p, value)?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_sibling_keeps_extension() {
        let t = temp_sibling(Path::new("out/surface.png"));
        assert_eq!(t.extension().unwrap(), "png");
        assert_eq!(t.parent().unwrap(), Path::new("out"));
        assert!(t
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".surface.tmp-"));
    }

    #[test]
    fn atomic_write_replaces_and_failure_keeps_old_file() {
        let dir = std::env::temp_dir().join(format!("labkit-{}", std::process::id()));
        let run = RunDir::create(&dir).unwrap();
        let p = run
            .write_json("m.json", &serde_json::json!({"a": 1}))
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap().trim(),
            "{\n  \"a\": 1\n}"
        );
        let r: Result<(), OutputError> = write_atomically(&p, |tmp| {
            std::fs::write(tmp, "partial").unwrap();
            Err(OutputError::Write {
                path: tmp.to_owned(),
                source: std::io::Error::other("boom"),
            })
        });
        assert!(r.is_err());
        assert!(
            std::fs::read_to_string(&p).unwrap().contains("\"a\": 1"),
            "old file kept"
        );
        let leftovers = std::fs::read_dir(&dir).unwrap().filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp-")
        });
        assert_eq!(leftovers.count(), 0, "temporary file removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
