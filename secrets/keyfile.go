package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// LoadKeyFile reads the key in the file at path (base64, as ParseKey
// reads it). When the file does not exist and create is true, it writes a
// new random key there first, in a file only its owner may read (0600),
// and reports created. It refuses a key file that others may read.
func LoadKeyFile(path string, create bool) (k Key, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		return createKeyFile(path)
	}
	if err != nil {
		return Key{}, false, fmt.Errorf("read key file: %w", err)
	}
	if err := checkMode(path); err != nil {
		return Key{}, false, err
	}
	k, err = ParseKey(string(b))
	if err != nil {
		return Key{}, false, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, false, nil
}

// WriteKeyFile writes k to a new file at path, readable by its owner
// only. It fails if the file exists.
func WriteKeyFile(path string, k Key) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create key file: %w", err)
	}
	_, werr := f.WriteString(k.String() + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	return nil
}

func createKeyFile(path string) (Key, bool, error) {
	k, err := GenerateKey()
	if err != nil {
		return Key{}, false, err
	}
	if err := WriteKeyFile(path, k); err != nil {
		if errors.Is(err, fs.ErrExist) { // created meanwhile by another process
			k, _, err := LoadKeyFile(path, false)
			return k, false, err
		}
		return Key{}, false, err
	}
	return k, true, nil
}

// checkMode refuses a key file readable by group or others.
func checkMode(path string) error {
	if runtime.GOOS == "windows" { // no Unix permission bits
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("key file %s may be read by others (mode %04o): chmod 600 it", path, fi.Mode().Perm())
	}
	return nil
}
