//! FileStorage on a real directory: round trips, the backup, damaged and oversized files,
//! failed writes, and saves interrupted by SIGKILL.

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use sipsimple::storage::{
    Document, FileStorage, MemoryStorage, Storage, StorageError, BACKUP_FILE_NAME,
    CONFIG_FILE_NAME, DAMAGED_FILE_NAME, MAX_DOCUMENT_SIZE,
};

fn document(n: u64) -> Document {
    let mut document = Document::new();
    document.insert("n", json!(n));
    // A payload whose length varies with n, so that a torn write could not pass for a
    // whole document of another n.
    document.insert("payload", json!("x".repeat((n % 97 * 131) as usize)));
    document.insert("check", json!(n.wrapping_mul(7919)));
    document
}

fn n_of(document: &Document) -> u64 {
    document.get("n").and_then(|n| n.as_u64()).expect("n")
}

#[test]
fn an_empty_directory_loads_as_an_empty_document() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::open(dir.path().join("new")).unwrap();
    assert!(storage.load().unwrap().is_empty());
    assert!(dir.path().join("new").is_dir());
    assert!(matches!(
        storage.load_backup(),
        Err(StorageError::NoBackup { .. })
    ));
}

#[test]
fn documents_round_trip_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::open(dir.path()).unwrap();
    storage.save(&document(1)).unwrap();
    assert_eq!(storage.load().unwrap(), document(1));
    drop(storage);
    let storage = FileStorage::open(dir.path()).unwrap();
    assert_eq!(storage.load().unwrap(), document(1));
    assert_eq!(storage.path(), dir.path().join(CONFIG_FILE_NAME));
}

#[test]
fn the_previous_document_is_kept_as_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::open(dir.path()).unwrap();
    storage.save(&document(1)).unwrap();
    assert!(matches!(
        storage.load_backup(),
        Err(StorageError::NoBackup { .. })
    ));
    storage.save(&document(2)).unwrap();
    storage.save(&document(3)).unwrap();
    assert_eq!(storage.load().unwrap(), document(3));
    assert_eq!(storage.load_backup().unwrap(), document(2));
    assert_eq!(storage.backup_path(), dir.path().join(BACKUP_FILE_NAME));
    // No temporary files are left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

/// Damages the configuration file with `damage`, then checks that loading and saving report
/// it, that the file stays byte for byte, and that the backup is there to recover from.
fn check_damage(damage: impl FnOnce(&[u8]) -> Vec<u8>) -> StorageError {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::open(dir.path()).unwrap();
    storage.save(&document(1)).unwrap();
    storage.save(&document(2)).unwrap();
    let damaged = damage(&fs::read(storage.path()).unwrap());
    fs::write(storage.path(), &damaged).unwrap();

    let err = storage.load().unwrap_err();
    match &err {
        StorageError::Corrupt { path, line, .. } => {
            assert_eq!(path.as_deref(), Some(storage.path()));
            assert!(*line >= 1);
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(err.to_string().contains(CONFIG_FILE_NAME), "{err}");
    // Saving does not overwrite it either.
    assert!(matches!(
        storage.save(&document(3)),
        Err(StorageError::Corrupt { .. })
    ));
    // Nor does reopening.
    let storage = FileStorage::open(dir.path()).unwrap();
    assert!(storage.load().is_err());
    assert_eq!(fs::read(storage.path()).unwrap(), damaged);

    // The explicit way out: read the backup, set the damaged file aside, save.
    let backup = storage.load_backup().unwrap();
    assert_eq!(backup, document(1));
    let aside = storage.set_aside_damaged().unwrap().unwrap();
    assert_eq!(aside, dir.path().join(DAMAGED_FILE_NAME));
    assert_eq!(fs::read(&aside).unwrap(), damaged);
    storage.save(&backup).unwrap();
    assert_eq!(storage.load().unwrap(), document(1));
    assert!(matches!(
        storage.set_aside_damaged(),
        Err(StorageError::NotDamaged { .. })
    ));
    err
}

#[test]
fn a_truncated_file_is_reported_and_left_alone() {
    let err = check_damage(|bytes| bytes[..bytes.len() / 2].to_vec());
    assert!(err.to_string().contains("EOF"), "{err}");
}

#[test]
fn a_garbled_file_is_reported_with_its_position() {
    let err = check_damage(|bytes| {
        let mut bytes = bytes.to_vec();
        // `{\n  "check": …`: garble the third line.
        let line_start = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        let second = bytes[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap()
            + line_start
            + 1;
        bytes[second + 2] = 0xff;
        bytes[second + 3] = b'}';
        bytes
    });
    match err {
        StorageError::Corrupt { line, column, .. } => assert_eq!((line, column), (3, 3)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_or_non_object_file_is_damaged() {
    check_damage(|_| Vec::new());
    check_damage(|_| b"[1, 2, 3]\n".to_vec());
}

#[test]
fn an_oversized_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::open(dir.path()).unwrap();
    let file = fs::File::create(storage.path()).unwrap();
    file.set_len(MAX_DOCUMENT_SIZE + 1).unwrap();
    drop(file);
    match storage.load().unwrap_err() {
        StorageError::TooLarge { path, size, limit } => {
            assert_eq!(path.as_deref(), Some(storage.path()));
            assert_eq!((size, limit), (MAX_DOCUMENT_SIZE + 1, MAX_DOCUMENT_SIZE));
        }
        other => panic!("{other:?}"),
    }
    assert!(storage.save(&document(1)).is_err());
    assert_eq!(
        fs::metadata(storage.path()).unwrap().len(),
        MAX_DOCUMENT_SIZE + 1
    );
}

#[test]
fn an_oversized_document_is_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::open(dir.path()).unwrap();
    storage.save(&document(1)).unwrap();
    let mut big = Document::new();
    big.insert("big", json!("y".repeat(MAX_DOCUMENT_SIZE as usize)));
    assert!(matches!(
        storage.save(&big),
        Err(StorageError::TooLarge { path: None, .. })
    ));
    assert_eq!(storage.load().unwrap(), document(1));
    assert!(matches!(
        MemoryStorage::new().save(&big),
        Err(StorageError::TooLarge { .. })
    ));
}

#[test]
fn leftover_temporary_files_are_swept_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let leftover = dir.path().join(".config.json.4242.7.tmp");
    fs::write(&leftover, b"{\"half\": ").unwrap();
    let other = dir.path().join("notes.txt");
    fs::write(&other, b"mine").unwrap();
    let _storage = FileStorage::open(dir.path()).unwrap();
    assert!(!leftover.exists());
    assert!(other.exists());
}

#[cfg(unix)]
#[test]
fn a_failed_write_leaves_the_old_file() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::open(dir.path()).unwrap();
    storage.save(&document(1)).unwrap();
    let before = fs::read(storage.path()).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
    // Root (as in CI containers) writes through missing permissions; then there is no
    // failure to observe and only the "nothing is damaged" part of the test applies.
    let privileged = fs::write(dir.path().join("probe"), b"").is_ok();
    let result = storage.save(&document(2));
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    if privileged {
        result.unwrap();
        assert_eq!(storage.load().unwrap(), document(2));
        return;
    }
    let err = result.unwrap_err();
    assert_eq!(
        err.io_kind(),
        Some(std::io::ErrorKind::PermissionDenied),
        "{err}"
    );
    assert!(err.to_string().contains(&dir.path().display().to_string()));
    assert_eq!(fs::read(storage.path()).unwrap(), before);
    assert_eq!(storage.load().unwrap(), document(1));
}

#[test]
fn memory_storage_round_trips() {
    let storage = MemoryStorage::new();
    assert!(storage.load().unwrap().is_empty());
    storage.save(&document(5)).unwrap();
    assert_eq!(storage.load().unwrap(), document(5));
    assert_eq!(
        MemoryStorage::with_document(document(6)).load().unwrap(),
        document(6)
    );
}

/// Set in the child process of [`kill_during_save_leaves_a_loadable_file`]: the directory to
/// save into.
const SAVE_LOOP_DIR: &str = "SIPSIMPLE_TEST_SAVE_LOOP_DIR";

/// The child of [`kill_during_save_leaves_a_loadable_file`]: saves in a tight loop until
/// killed. Without the environment variable (a normal test run) it does nothing.
#[test]
fn save_loop_child() {
    let Ok(dir) = std::env::var(SAVE_LOOP_DIR) else {
        return;
    };
    let storage = FileStorage::open(&dir).unwrap();
    let mut n = n_of(&storage.load().unwrap());
    loop {
        n += 1;
        storage.save(&document(n)).unwrap();
    }
}

fn random_below(bound: u64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish() % bound
}

fn read_n(path: &Path) -> Option<u64> {
    let bytes = fs::read(path).ok()?;
    Some(n_of(&Document::from_json(&bytes, None).ok()?))
}

/// SIGKILL a process that saves in a loop, at random moments, several times: the file
/// always loads, holds one whole document, and the backup is whole and not newer.
#[cfg(unix)]
#[test]
fn kill_during_save_leaves_a_loadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::open(dir.path()).unwrap();
    storage.save(&document(0)).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last = 0;
    // Rounds whose kill left a temporary file, i.e. fell inside a save.
    let mut interrupted = 0;
    for round in 0..8 {
        let mut child = Command::new(&exe)
            .args([
                "save_loop_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SAVE_LOOP_DIR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child is saving (the file moves past the last round's value), then
        // let it run a random while longer. The file is read directly: opening a
        // FileStorage would sweep the child's temporary files.
        let deadline = Instant::now() + Duration::from_secs(30);
        while read_n(&dir.path().join(CONFIG_FILE_NAME)).is_none_or(|n| n <= last) {
            assert!(
                Instant::now() < deadline,
                "round {round}: the child never saved"
            );
            if let Some(status) = child.try_wait().unwrap() {
                panic!("round {round}: the child exited with {status}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_micros(random_below(30_000)));
        child.kill().unwrap();
        child.wait().unwrap();
        let leftovers = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        interrupted += usize::from(leftovers > 0);

        let storage = FileStorage::open(dir.path()).unwrap();
        let loaded = storage
            .load()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let n = n_of(&loaded);
        assert_eq!(loaded, document(n), "round {round}: a torn document");
        assert!(n > last, "round {round}: went back from {last} to {n}");
        let backup = storage.load_backup().unwrap();
        assert_eq!(backup, document(n_of(&backup)));
        // Equal when the kill fell between keeping the backup and the rename.
        assert!(n_of(&backup) <= n);
        last = n;
    }
    eprintln!("{interrupted} of 8 kills fell inside a save; the last document was {last}");
    // Opening swept every temporary file a kill left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n == CONFIG_FILE_NAME || n == BACKUP_FILE_NAME),
        "{names:?}"
    );
}
