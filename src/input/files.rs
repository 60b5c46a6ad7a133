//! Data files a study reads (weather, carbon, request traces), loaded once and shared.
//!
//! A study with uncertain parameters resolves its scenario once per trial (so that every sampled
//! value passes the same range checks as a plain one); the files it names do not change between
//! trials, so each is read and parsed once, on the first resolution, and later resolutions take
//! the parsed data from this cache. Entries are keyed by what was read (kind, path) and by every
//! setting the parse depends on, so a cached value is exactly what a fresh read would give.

use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::base::error::Result;

type Key = (&'static str, PathBuf, String);
type Entry = Arc<dyn Any + Send + Sync>;

/// Loaded files, shared by clones (one per study).
#[derive(Clone, Default)]
pub struct Files {
    loaded: Arc<Mutex<HashMap<Key, Entry>>>,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.loaded.lock().map_or(0, |m| m.len());
        write!(f, "Files({n} loaded)")
    }
}

impl Files {
    /// The value loaded from `path` as `kind` with parse settings `key`: `load` runs on the first
    /// request only; an error is not kept (the next request reads the file again).
    pub fn load<T: Any + Send + Sync>(
        &self,
        kind: &'static str,
        path: &Path,
        key: String,
        load: impl FnOnce() -> Result<T>,
    ) -> Result<Arc<T>> {
        let k = (kind, path.to_path_buf(), key);
        if let Some(v) = self.get::<T>(&k) {
            return Ok(v);
        }
        // Loaded outside the lock: trials on other threads are not held up by a slow read.
        let v = Arc::new(load()?);
        if let Ok(mut m) = self.loaded.lock() {
            m.entry(k).or_insert_with(|| v.clone() as Entry);
        }
        Ok(v)
    }

    fn get<T: Any + Send + Sync>(&self, k: &Key) -> Option<Arc<T>> {
        let m = self.loaded.lock().ok()?;
        m.get(k).cloned()?.downcast::<T>().ok()
    }

    /// How many files are loaded.
    pub fn len(&self) -> usize {
        self.loaded.lock().map_or(0, |m| m.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_loaded_once_per_key_and_errors_are_not_kept() {
        let files = Files::default();
        let mut reads = 0;
        for _ in 0..3 {
            let v = files
                .load("x", Path::new("a"), String::new(), || {
                    reads += 1;
                    Ok(vec![1.0, 2.0])
                })
                .unwrap();
            assert_eq!(*v, vec![1.0, 2.0]);
        }
        assert_eq!(reads, 1);
        // Another parse setting is another entry.
        let v = files
            .load("x", Path::new("a"), "+01:00".into(), || Ok(vec![3.0]))
            .unwrap();
        assert_eq!(*v, vec![3.0]);
        assert_eq!(files.len(), 2);
        let e = files.load::<Vec<f64>>("y", Path::new("b"), String::new(), || {
            Err(crate::base::error::Error::Other("bad".into()))
        });
        assert!(e.is_err() && files.len() == 2);
    }
}
