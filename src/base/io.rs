//! Files written atomically (to a temporary name in the same folder, then renamed) so that a
//! reader never sees half a file and an interrupted run never leaves a truncated one behind.
//! Every command writes through here.

use std::path::Path;

use crate::base::error::{Error, Result};

/// Writes `bytes` to `path` atomically and durably (synced before the rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_renamed(path, bytes, true)
}

/// Writes `bytes` to `path` atomically without waiting for the disk: a killed process never
/// leaves a partial file, which is what per-trial checkpoints need; syncing each of thousands of
/// records would serialise the threads on the disk.
pub fn write_atomic_unsynced(path: &Path, bytes: &[u8]) -> Result<()> {
    write_renamed(path, bytes, false)
}

fn write_renamed(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let werr = |e| Error::Write {
        path: path.to_path_buf(),
        source: e,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(werr)?;
    let name = path
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp"));
    let written = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        // A full disk or a failed rename: leave no temporary file behind.
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(werr)
}
