package problem_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/problem"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	w.Header().Set("Allow", "POST")
	w.Header().Set("Content-Encoding", "gzip")
	problem.Write(w, problem.New(http.StatusBadRequest, hookd.EINVALID, "bad body",
		hookd.FieldError{Pointer: "/body/amount", Message: "is required"}))

	h := w.Result().Header
	want := map[string]string{"Content-Type": "application/problem+json", "Cache-Control": "no-store",
		"Allow": "POST", "Content-Encoding": "", "Content-Length": strconv.Itoa(w.Body.Len())}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if w.Code != http.StatusBadRequest || w.Body.Bytes()[w.Body.Len()-1] != '\n' {
		t.Fatalf("status %d, body %q", w.Code, w.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	wantBody := `{"type":"https://hookd.dev/problems/invalid","title":"Bad Request","status":400,"detail":"bad body",` +
		`"code":"invalid","errors":[{"pointer":"/body/amount","message":"is required"}]}` + "\n"
	if w.Body.String() != wantBody {
		t.Fatalf("body\n%s\nwant\n%s", w.Body, wantBody)
	}
}

func TestWriteLeavesOutEmptyMembers(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	problem.Write(w, problem.New(http.StatusNotFound, hookd.ENOTFOUND, ""))
	want := `{"type":"https://hookd.dev/problems/not_found","title":"Not Found","status":404,"code":"not_found"}` + "\n"
	if w.Body.String() != want {
		t.Fatalf("body %s, want %s", w.Body, want)
	}
}
