//! The Storage API: where the configuration document lives.
//!
//! The seed's `ISIPSimpleStorage` gives middleware components a place to keep their data; here
//! the configuration backend is the [`Storage`] trait, which loads and saves one JSON
//! [`Document`] as a whole. Two backends are provided:
//!
//! - [`FileStorage`]: a directory holding `config.json`. Every save is atomic: the new document
//!   is written to a temporary file in the same directory and synced, the current file is kept
//!   as `config.json.bak`, the temporary file is renamed over `config.json` and the directory
//!   is synced. A crash at any point leaves a loadable file. A damaged `config.json` is
//!   reported as [`StorageError::Corrupt`] naming the file and the position of the parse
//!   error; it is never replaced behind the caller's back — [`FileStorage::load_backup`] and
//!   [`FileStorage::set_aside_damaged`] are the explicit ways out.
//! - [`MemoryStorage`]: a document in memory, for tests and for applications that keep no
//!   state; clones share the same document.
//!
//! Documents over [`MAX_DOCUMENT_SIZE`] bytes are refused on load and on save.
//!
//! ```no_run
//! use sipsimple::storage::{Document, FileStorage, Storage};
//!
//! # fn main() -> Result<(), sipsimple::storage::StorageError> {
//! let storage = FileStorage::open("/home/alice/.sipsimple")?;
//! let mut document = storage.load()?;
//! document.insert("hello", serde_json::json!("world"));
//! storage.save(&document)?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

/// The largest document a storage backend accepts, in bytes (16 MiB).
pub const MAX_DOCUMENT_SIZE: u64 = 16 * 1024 * 1024;

/// The name of the configuration file inside a [`FileStorage`] directory.
pub const CONFIG_FILE_NAME: &str = "config.json";

/// The name of the backup of the previous configuration file.
pub const BACKUP_FILE_NAME: &str = "config.json.bak";

/// The name a damaged configuration file gets from [`FileStorage::set_aside_damaged`].
pub const DAMAGED_FILE_NAME: &str = "config.json.damaged";

/// Temporary files are named `.config.json.<pid>.<counter>.tmp`.
const TEMP_PREFIX: &str = ".config.json.";
const TEMP_SUFFIX: &str = ".tmp";

/// A configuration backend: loads and saves the whole configuration [`Document`].
///
/// A save replaces the stored document atomically: a later load sees either the old or the
/// new document, never a mixture, even if the process dies in the middle.
pub trait Storage: fmt::Debug + Send + Sync {
    /// Loads the stored document; a backend that holds none yet gives an empty document.
    fn load(&self) -> Result<Document, StorageError>;

    /// Replaces the stored document with `document`.
    fn save(&self, document: &Document) -> Result<(), StorageError>;
}

/// The configuration document: a JSON object.
///
/// Its `Debug` output lists the top-level keys only, since the document holds secrets.
#[derive(Clone, Default, PartialEq)]
pub struct Document {
    root: Map<String, Value>,
}

impl Document {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// The document holding `root`.
    pub fn from_map(root: Map<String, Value>) -> Self {
        Self { root }
    }

    /// The top-level object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.root
    }

    /// The top-level object, mutably.
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.root
    }

    /// The top-level object, by value.
    pub fn into_map(self) -> Map<String, Value> {
        self.root
    }

    /// The value at top-level `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.root.get(key)
    }

    /// Sets top-level `key` to `value`, returning the previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.root.insert(key.into(), value)
    }

    /// Removes top-level `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.root.remove(key)
    }

    /// Whether the document has no keys.
    pub fn is_empty(&self) -> bool {
        self.root.is_empty()
    }

    /// Parses a document from JSON text; `path` names the source in errors.
    pub fn from_json(bytes: &[u8], path: Option<&Path>) -> Result<Self, StorageError> {
        let corrupt = |line, column, message| StorageError::Corrupt {
            path: path.map(Path::to_path_buf),
            line,
            column,
            message,
        };
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(root)) => Ok(Self { root }),
            Ok(other) => Err(corrupt(
                1,
                1,
                format!("the top level is {}, not an object", json_kind(&other)),
            )),
            Err(e) => Err(corrupt(e.line(), e.column(), e.to_string())),
        }
    }

    /// Serializes the document as pretty-printed JSON, refusing it when larger than
    /// [`MAX_DOCUMENT_SIZE`].
    pub fn to_json(&self) -> Result<Vec<u8>, StorageError> {
        let mut bytes = serde_json::to_vec_pretty(&self.root)
            .expect("a JSON object with string keys always serializes");
        bytes.push(b'\n');
        let size = bytes.len() as u64;
        if size > MAX_DOCUMENT_SIZE {
            return Err(StorageError::TooLarge {
                path: None,
                size,
                limit: MAX_DOCUMENT_SIZE,
            });
        }
        Ok(bytes)
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("keys", &self.root.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What a storage backend could not do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The stored document is not valid JSON, or not a JSON object. The file is left as it is.
    #[error(
        "{} is damaged at line {line}, column {column}: {message}",
        display_path(path)
    )]
    Corrupt {
        /// The damaged file (`None` for a document not read from a file).
        path: Option<PathBuf>,
        /// The line of the error, from 1.
        line: usize,
        /// The column of the error, from 1.
        column: usize,
        /// What the parser found wrong.
        message: String,
    },
    /// The document is larger than the limit.
    #[error(
        "{} is {size} bytes, over the limit of {limit} bytes",
        display_path(path)
    )]
    TooLarge {
        /// The file (`None` for a document about to be saved).
        path: Option<PathBuf>,
        /// Its size in bytes.
        size: u64,
        /// The limit, [`MAX_DOCUMENT_SIZE`].
        limit: u64,
    },
    /// A file operation failed (a full disk, a missing permission…); a save that fails this
    /// way leaves the previous document in place.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done: `"read"`, `"write"`, `"rename"`, ….
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// [`FileStorage::set_aside_damaged`] found the configuration file in good order.
    #[error("{} is not damaged; it stays in place", path.display())]
    NotDamaged {
        /// The configuration file.
        path: PathBuf,
    },
    /// [`FileStorage::load_backup`] found no backup file.
    #[error("there is no backup file {}", path.display())]
    NoBackup {
        /// Where the backup would be.
        path: PathBuf,
    },
}

impl StorageError {
    /// The kind of the underlying I/O error, for [`StorageError::Io`].
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            Self::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

fn display_path(path: &Option<PathBuf>) -> String {
    match path {
        Some(path) => path.display().to_string(),
        None => "the document".to_owned(),
    }
}

fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> StorageError + 'a {
    move |source| StorageError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A [`Storage`] in a directory: the document in `config.json`, the previous one in
/// `config.json.bak`.
///
/// One `FileStorage` per directory at a time: saves from several processes never damage the
/// file, but the last one wins, and opening sweeps away temporary files left by a crash.
#[derive(Debug)]
pub struct FileStorage {
    directory: PathBuf,
    main: PathBuf,
    backup: PathBuf,
    /// Serializes saves through this handle.
    lock: Mutex<()>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FileStorage {
    /// Opens the storage in `directory`, creating the directory if needed and removing
    /// temporary files left by an interrupted save.
    pub fn open(directory: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let directory = directory.into();
        fs::create_dir_all(&directory).map_err(io_error("create", &directory))?;
        let storage = Self {
            main: directory.join(CONFIG_FILE_NAME),
            backup: directory.join(BACKUP_FILE_NAME),
            directory,
            lock: Mutex::new(()),
        };
        storage.sweep_temporary_files()?;
        Ok(storage)
    }

    /// The directory.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The configuration file, `<directory>/config.json`.
    pub fn path(&self) -> &Path {
        &self.main
    }

    /// The backup file, `<directory>/config.json.bak`: the document as it was before the last
    /// save.
    pub fn backup_path(&self) -> &Path {
        &self.backup
    }

    /// Loads the backup file — the explicit way to recover when [`Storage::load`] reports the
    /// configuration file damaged. Nothing is written; save the document to make it current,
    /// after [`FileStorage::set_aside_damaged`].
    pub fn load_backup(&self) -> Result<Document, StorageError> {
        match read_document(&self.backup)? {
            Some(document) => Ok(document),
            None => Err(StorageError::NoBackup {
                path: self.backup.clone(),
            }),
        }
    }

    /// Renames a damaged configuration file to `config.json.damaged` (replacing an earlier
    /// one) so that the next save can write a fresh one; returns the new path, or `None`
    /// when there is no configuration file. Refuses with an error when the file is not
    /// damaged.
    pub fn set_aside_damaged(&self) -> Result<Option<PathBuf>, StorageError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        match read_document(&self.main) {
            Ok(None) => Ok(None),
            Ok(Some(_)) => Err(StorageError::NotDamaged {
                path: self.main.clone(),
            }),
            Err(StorageError::Corrupt { .. }) | Err(StorageError::TooLarge { .. }) => {
                let damaged = self.directory.join(DAMAGED_FILE_NAME);
                fs::rename(&self.main, &damaged).map_err(io_error("rename", &self.main))?;
                sync_directory(&self.directory)?;
                Ok(Some(damaged))
            }
            Err(e) => Err(e),
        }
    }

    fn sweep_temporary_files(&self) -> Result<(), StorageError> {
        let entries = fs::read_dir(&self.directory).map_err(io_error("list", &self.directory))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
                // A leftover of a save that was interrupted; the rename never happened, so
                // the file is no one's document.
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    fn temp_path(&self) -> PathBuf {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.directory.join(format!(
            "{TEMP_PREFIX}{}.{n}{TEMP_SUFFIX}",
            std::process::id()
        ))
    }

    /// Writes `bytes` to a new temporary file, synced; returns its path.
    fn write_temp(&self, bytes: &[u8]) -> Result<PathBuf, StorageError> {
        let temp = self.temp_path();
        let result = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)
                .map_err(io_error("create", &temp))?;
            file.write_all(bytes).map_err(io_error("write", &temp))?;
            file.sync_all().map_err(io_error("sync", &temp))
        })();
        match result {
            Ok(()) => Ok(temp),
            Err(e) => {
                let _ = fs::remove_file(&temp);
                Err(e)
            }
        }
    }

    /// Makes the current configuration file the backup, atomically; the configuration file
    /// stays in place. A hard link shares the file (it is never modified in place), with a
    /// copy as the fallback on file systems without links.
    fn keep_backup(&self, current: &[u8]) -> Result<(), StorageError> {
        let temp = self.temp_path();
        if fs::hard_link(&self.main, &temp).is_err() {
            let _ = fs::remove_file(&temp);
            let copy = self.write_temp(current)?;
            return self.rename(&copy, &self.backup);
        }
        self.rename(&temp, &self.backup)
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<(), StorageError> {
        fs::rename(from, to).map_err(|e| {
            let _ = fs::remove_file(from);
            io_error("rename", to)(e)
        })
    }
}

impl Storage for FileStorage {
    fn load(&self) -> Result<Document, StorageError> {
        Ok(read_document(&self.main)?.unwrap_or_default())
    }

    /// Saves atomically: temporary file, sync, backup of the current file, rename, directory
    /// sync. Refuses to replace a damaged configuration file ([`StorageError::Corrupt`]).
    fn save(&self, document: &Document) -> Result<(), StorageError> {
        let bytes = document.to_json()?;
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // The current file must be a good document: it becomes the backup, and a damaged one
        // is never overwritten.
        let current = read_bytes(&self.main)?;
        if let Some(current) = &current {
            Document::from_json(current, Some(&self.main))?;
        }
        let temp = self.write_temp(&bytes)?;
        if let Some(current) = &current {
            if let Err(e) = self.keep_backup(current) {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        }
        self.rename(&temp, &self.main)?;
        sync_directory(&self.directory)
    }
}

/// Reads a file of at most [`MAX_DOCUMENT_SIZE`] bytes; `None` when it does not exist.
fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, StorageError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("open", path)(e)),
    };
    let too_large = |size| StorageError::TooLarge {
        path: Some(path.to_path_buf()),
        size,
        limit: MAX_DOCUMENT_SIZE,
    };
    let size = file.metadata().map_err(io_error("stat", path))?.len();
    if size > MAX_DOCUMENT_SIZE {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_DOCUMENT_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error("read", path))?;
    if bytes.len() as u64 > MAX_DOCUMENT_SIZE {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(Some(bytes))
}

fn read_document(path: &Path) -> Result<Option<Document>, StorageError> {
    read_bytes(path)?
        .map(|bytes| Document::from_json(&bytes, Some(path)))
        .transpose()
}

/// Syncs a directory so that a rename inside it is durable.
fn sync_directory(directory: &Path) -> Result<(), StorageError> {
    #[cfg(unix)]
    {
        File::open(directory)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error("sync", directory))
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened as files here; the rename is as durable as the OS
        // makes it.
        let _ = directory;
        Ok(())
    }
}

/// A [`Storage`] in memory. Clones share the same document, so a test can keep one clone
/// to look at what another saved, or "restart" by loading from it again.
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    document: Arc<Mutex<Document>>,
}

impl MemoryStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// A storage holding `document`.
    pub fn with_document(document: Document) -> Self {
        Self {
            document: Arc::new(Mutex::new(document)),
        }
    }
}

impl Storage for MemoryStorage {
    fn load(&self) -> Result<Document, StorageError> {
        Ok(self
            .document
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone())
    }

    fn save(&self, document: &Document) -> Result<(), StorageError> {
        // Same limit as on disk, so that what works here works there.
        document.to_json()?;
        *self.document.lock().unwrap_or_else(|e| e.into_inner()) = document.clone();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn document_parse_errors_give_the_position() {
        let err = Document::from_json(b"{\n  \"a\": 1,\n  \"b\": \n", Some(Path::new("x.json")))
            .unwrap_err();
        match err {
            StorageError::Corrupt {
                path, line, column, ..
            } => {
                assert_eq!(path.as_deref(), Some(Path::new("x.json")));
                assert_eq!((line, column), (4, 0));
            }
            other => panic!("unexpected {other:?}"),
        }
        let err = Document::from_json(b"[1, 2]", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the document is damaged at line 1, column 1: the top level is an array, not an object"
        );
    }

    #[test]
    fn document_debug_shows_keys_only() {
        let mut document = Document::new();
        document.insert(
            "accounts",
            json!({"a@b": {"auth": {"password": "hunter2"}}}),
        );
        let debug = format!("{document:?}");
        assert!(debug.contains("accounts"));
        assert!(!debug.contains("hunter2"));
    }

    #[test]
    fn memory_storage_clones_share_the_document() {
        let a = MemoryStorage::new();
        let b = a.clone();
        let mut document = Document::new();
        document.insert("x", json!(1));
        a.save(&document).unwrap();
        assert_eq!(b.load().unwrap(), document);
    }

    #[test]
    fn oversized_documents_are_refused() {
        let mut document = Document::new();
        document.insert("big", json!("x".repeat(MAX_DOCUMENT_SIZE as usize)));
        let storage = MemoryStorage::new();
        assert!(matches!(
            storage.save(&document),
            Err(StorageError::TooLarge { path: None, .. })
        ));
        assert!(storage.load().unwrap().is_empty());
    }
}
