package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
)

// openReadOnly opens the database at path for reading only, without the
// lock Open takes, so that it works beside a Store that has the file open
// (WAL lets a reader run beside the writer). The file must exist.
func openReadOnly(path string) (*sql.DB, error) {
	// The real path, as Open uses, so that both name one WAL file
	// whatever the path given (a symlink, a relative path).
	abs, err := filepath.Abs(path)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a file", abs)
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: abs,
		RawQuery: "mode=ro&_pragma=busy_timeout(10000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// Backup writes a consistent copy of the database at path into the new
// file out (created readable by its owner only; it must not exist), with
// VACUUM INTO: one read transaction, so the copy is the database as it
// was at one instant, committed writes only. It takes none of the locks
// Open takes, so it runs beside a Store serving the file, whose writes go
// on meanwhile. The copy's secrets stay sealed under the same master key.
func Backup(ctx context.Context, path, out string) error {
	db, err := openReadOnly(path)
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	defer db.Close()
	// VACUUM INTO takes an empty file: creating it first sets its mode.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, out); err != nil {
		_ = os.Remove(out)
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if err := syncFile(out); err != nil {
		_ = os.Remove(out)
		return fmt.Errorf("backup %s: %w", path, err)
	}
	return nil
}

// syncFile flushes a file to disk.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// Inspection is what Inspect found in a database file.
type Inspection struct {
	// Counts are the rows of each kind, in the order of hookd.Kinds.
	Counts []KindCount
	// KeyID is the id of the master key its secrets are sealed under
	// (secrets.Key.ID), "" when it holds no sealed secret.
	KeyID string
}

// KindCount is the number of rows of one kind.
type KindCount struct {
	Kind hookd.Kind
	Rows int64
}

// Inspect checks the database file at path, read-only and without a lock
// (PRAGMA integrity_check), and counts its rows. A file that fails the
// check, or is not a hookd database, is an error.
func Inspect(ctx context.Context, path string) (*Inspection, error) {
	db, err := openReadOnly(path)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	defer db.Close()
	if err := integrity(ctx, db); err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	in := &Inspection{}
	for _, k := range hookd.Kinds() {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+string(k)).Scan(&n); err != nil {
			return nil, fmt.Errorf("inspect %s: not a hookd database of this version (%s): %w", path, k, err)
		}
		in.Counts = append(in.Counts, KindCount{Kind: k, Rows: n})
	}
	sealed, err := storedHashKey(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	in.KeyID, _ = secrets.SealedKeyID(sealed)
	return in, nil
}

// integrity runs PRAGMA integrity_check, which answers "ok" or lists the
// problems it found.
func integrity(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			_ = rows.Close()
			return fmt.Errorf("integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; "))
	}
	return nil
}

// storedHashKey returns the sealed API-key hashing key, "" when there is
// none.
func storedHashKey(ctx context.Context, db *sql.DB) (string, error) {
	var v string
	err := db.QueryRowContext(ctx, `SELECT value FROM store_secrets WHERE name = ?`, hashKeyName).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the hashing key: %w", err)
	}
	return v, nil
}

// ErrWrongKey is the cause of the error of CheckKey when the cipher
// cannot open the database's secrets.
var ErrWrongKey = errors.New("the master key cannot open the secrets of this database")

// CheckKey reports whether c opens the secrets of the database at path
// (read-only, without a lock): an error wrapping ErrWrongKey, naming the
// key id they are sealed under, when it does not.
func CheckKey(ctx context.Context, path string, c *secrets.Cipher) error {
	db, err := openReadOnly(path)
	if err != nil {
		return fmt.Errorf("check key of %s: %w", path, err)
	}
	defer db.Close()
	sealed, err := storedHashKey(ctx, db)
	if err != nil || sealed == "" {
		return err
	}
	if _, err := c.Open(sealed, sealedColumns[2].adPrefix+hashKeyName); err != nil {
		id, _ := secrets.SealedKeyID(sealed)
		return fmt.Errorf("%w: they are sealed under the key with id %s, the key given has id %s (%v)",
			ErrWrongKey, id, c.KeyID(), err)
	}
	return nil
}

// ErrNotEmpty is the cause of the error of Restore into a database file
// that holds data, without replace.
var ErrNotEmpty = errors.New("the database file is not empty")

// Restore puts the backup at from in place of the database at path,
// after checking the backup's integrity. It holds the locks Open takes
// meanwhile, so it fails with ErrLocked while a Store has the file open,
// and no Store opens it half-written. A database file that holds data is
// refused with ErrNotEmpty unless replace. checked is the backup's
// Inspection when the caller has just made it (nil: Restore makes it), so
// that a large backup is read through once. The backup is copied to a
// temporary file beside path, synced, and renamed over it, after the old
// database's WAL and shared-memory files are removed (SQLite would
// otherwise replay the old WAL into the restored file).
func Restore(ctx context.Context, from, path string, replace bool, checked *Inspection) error {
	// A file with a write-ahead log beside it is a live database (or a
	// copy of one): the file alone may lack its last transactions.
	if fi, err := os.Stat(from + "-wal"); err == nil && fi.Size() > 0 {
		return fmt.Errorf("restore: %s has a write-ahead log beside it (%s-wal): it is a live database, "+
			"not a backup; make one of it with hookd backup and restore that", from, from)
	}
	if checked == nil {
		if _, err := Inspect(ctx, from); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	abs, err := realPath(path)
	if err != nil {
		return fmt.Errorf("restore %s: %w", path, err)
	}
	if same, err := sameFile(from, abs); err != nil {
		return fmt.Errorf("restore %s: %w", path, err)
	} else if same {
		return fmt.Errorf("restore: %s is the database itself", from)
	}
	l, err := lockFile(abs)
	if err != nil {
		return fmt.Errorf("restore %s: %w", abs, err)
	}
	defer l.unlock()
	empty, err := isEmpty(abs)
	if err != nil {
		return fmt.Errorf("restore %s: %w", abs, err)
	}
	if !empty && !replace {
		return fmt.Errorf("restore %s: %w", abs, ErrNotEmpty)
	}
	if err := replaceFile(from, abs); err != nil {
		return fmt.Errorf("restore %s: %w", abs, err)
	}
	return nil
}

// sameFile reports whether a and b name one file.
func sameFile(a, b string) (bool, error) {
	ai, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	bi, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ai, bi), nil
}

// replaceFile copies from over path, as described in Restore.
func replaceFile(from, path string) error {
	tmp := path + ".restore-tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := copyFile(from, tmp); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			_ = os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// copyFile copies the file from into the new file to (0600), synced.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, cerr := io.Copy(out, in)
	return errors.Join(cerr, out.Sync(), out.Close())
}

// SyncDir flushes a directory, so that a file created or renamed in it
// survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// isEmpty reports whether the file at path is missing or empty.
func isEmpty(path string) (bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return fi.Size() == 0, nil
}
