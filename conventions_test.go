package hookd_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleSources returns the text of every non-test Go file of the module
// by path.
func moduleSources(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for path := range moduleFiles(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out[path] = string(b)
	}
	return out
}

// moduleFiles parses every non-test Go file of the module (the root
// package's directory is the module's), skipping testdata.
func moduleFiles(t *testing.T) map[string]*ast.File {
	t.Helper()
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != ".":
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files[path] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d Go files: not run from the module's root?", len(files))
	}
	return files
}

// TestNoInitFunctions: no package fills state in init(); tables are built
// on first use (sync.OnceValue) or returned by functions.
func TestNoInitFunctions(t *testing.T) {
	t.Parallel()
	for path, f := range moduleFiles(t) {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s has an init function", path)
			}
		}
	}
}

// TestOneProblemWriter: every HTTP surface answers errors through
// internal/problem, so that their documents and headers stay alike.
func TestOneProblemWriter(t *testing.T) {
	t.Parallel()
	for path, src := range moduleSources(t) {
		if filepath.ToSlash(filepath.Dir(path)) == "internal/problem" {
			continue
		}
		if strings.Contains(src, `"application/problem+json")`) {
			t.Errorf("%s writes problem+json itself: use internal/problem", path)
		}
	}
}

// TestOneIdempotencyKeyRule: the key pattern is written once, in the root
// package (hookd.IdempotencyKeyPattern), and every check uses it.
func TestOneIdempotencyKeyRule(t *testing.T) {
	t.Parallel()
	for path, src := range moduleSources(t) {
		if path != "idempotency.go" && strings.Contains(src, "A-Za-z0-9_:-") {
			t.Errorf("%s spells the idempotency key pattern out: use hookd.IdempotencyKeyPattern", path)
		}
	}
}

// TestFuncFieldNames: a struct field of function type ends in Func, as
// DialFunc and NowFunc do, so that a call through it reads as one.
// Function types are func literals, context.CancelFunc and the module's
// own named function types.
func TestFuncFieldNames(t *testing.T) {
	t.Parallel()
	files := moduleFiles(t)
	funcTypes := map[string]bool{"CancelFunc": true}
	for _, f := range files {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, s := range g.Specs {
					if ts := s.(*ast.TypeSpec); isFuncType(ts.Type, nil) {
						funcTypes[ts.Name.Name] = true
					}
				}
			}
		}
	}
	for path, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fl := range st.Fields.List {
				for _, name := range fl.Names {
					if isFuncType(fl.Type, funcTypes) && !strings.HasSuffix(name.Name, "Func") {
						t.Errorf("%s: field %s has a function type: name it %sFunc", path, name.Name, name.Name)
					}
				}
			}
			return true
		})
	}
}

// isFuncType reports whether e is a func literal type or names one of
// named.
func isFuncType(e ast.Expr, named map[string]bool) bool {
	switch e := e.(type) {
	case *ast.FuncType:
		return true
	case *ast.Ident:
		return named[e.Name]
	case *ast.SelectorExpr:
		return named[e.Sel.Name]
	}
	return false
}
