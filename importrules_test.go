package hookd_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hookd/hookd"

// listedPackage is what go list says of a package of the module: its
// imports and its whole dependency closure, test files left out.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listModule lists every package of the module with go list.
func listModule(t *testing.T) map[string]listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	pkgs := map[string]listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	for _, want := range []string{"", "signature", "store/sqlite", "store/postgres", "cmd/hookd", "delivery"} {
		if _, ok := pkgs[want]; !ok {
			t.Fatalf("go list did not list %q", module+"/"+want)
		}
	}
	return pkgs
}

// standard reports whether path is a package of the standard library:
// its first element has no dot.
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// TestImportRules keeps the layering of DESIGN.md (tests left out, since
// they may wire anything): the root package is the domain and imports no
// package of the module; signature is a standard-library-only leaf; the
// stores know nothing of HTTP or of the engine; and only cmd/hookd, which
// wires everything, depends on a store.
func TestImportRules(t *testing.T) {
	t.Parallel()
	pkgs := listModule(t)
	for _, imp := range pkgs[""].Imports {
		if strings.HasPrefix(imp, module+"/") {
			t.Errorf("the root package imports %s", imp)
		}
	}
	for _, dep := range pkgs["signature"].Deps {
		if !standard(dep) {
			t.Errorf("signature depends on %s, outside the standard library", dep)
		}
	}
	stores := []string{"store/sqlite", "store/postgres"}
	for _, s := range stores {
		for _, banned := range []string{"net/http", module + "/delivery"} {
			if slices.Contains(pkgs[s].Deps, banned) {
				t.Errorf("%s depends on %s", s, banned)
			}
		}
	}
	for name, p := range pkgs {
		if name == "cmd/hookd" || slices.Contains(stores, name) {
			continue
		}
		for _, s := range stores {
			if slices.Contains(p.Deps, module+"/"+s) {
				t.Errorf("%s depends on %s: only cmd/hookd wires the stores", p.ImportPath, s)
			}
		}
	}
}
