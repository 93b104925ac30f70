package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd/signature"
)

// Parameters of BenchmarkInboundBombs.
const (
	bombSenders  = 300
	bombExpanded = 10<<20 - 1024 // just under max_decompressed: decoded in full
	bombRounds   = 3             // bombs each sender sends
	bombSecret   = "bomb-secret"
)

// BenchmarkInboundBombs runs hookd serve as a subprocess with a
// GitHub-verified source and sends it 300 concurrent gzip bodies that
// each expand to 10 MiB, signed with a well-formed but wrong signature
// (so that hookd must decode them to check it), while valid requests go
// to the same source. It reports the server's peak RSS (VmHWM of the
// subprocess), how the bombs were answered, and fails if a valid request
// was not accepted.
//
//	go test ./cmd/hookd/ -run '^$' -bench InboundBombs -benchtime 1x
func BenchmarkInboundBombs(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc")
	}
	bomb := gzipBomb(b, bombExpanded)
	for range b.N {
		dir := b.TempDir()
		cfg := "sources:\n  - id: gh\n    verify:\n      - provider: github\n        secret: " + bombSecret + "\n"
		if err := os.WriteFile(filepath.Join(dir, "hookd.yaml"), []byte(cfg), 0o600); err != nil {
			b.Fatal(err)
		}
		p, base := serveHookd(b, startOptions{Dir: dir, Args: []string{"--config", "hookd.yaml"}})
		statuses, valid, validOK := fireBombs(b, base+"/in/gh", bomb)
		hwm := vmHWM(b, p.cmd.Process.Pid)
		p.stop()
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(validOK), "valid-accepted")
		b.Logf("bombs answered %v; valid requests accepted %d of %d; peak RSS %d MiB", statuses, validOK, valid, hwm>>20)
		if validOK != valid {
			b.Errorf("%d of %d valid requests accepted", validOK, valid)
		}
		if hwm > 400<<20 {
			b.Errorf("peak RSS %d MiB, over 400 MiB", hwm>>20)
		}
	}
}

// fireBombs sends the bombs from bombSenders goroutines and valid
// requests meanwhile; it returns the bombs' statuses and the valid
// requests sent and accepted.
func fireBombs(b *testing.B, url string, bomb []byte) (map[int]int, int, int) {
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: bombSenders}}
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	var done atomic.Bool
	for range bombSenders {
		wg.Go(func() {
			for range bombRounds {
				st := postBody(client, url, bomb, "gzip", "sha256="+strings.Repeat("0", 64))
				mu.Lock()
				statuses[st]++
				mu.Unlock()
			}
		})
	}
	valid, validOK := 0, 0
	validDone := make(chan struct{})
	go func() {
		defer close(validDone)
		for i := 0; !done.Load() || i < 10; i++ {
			body := []byte(`{"n":` + strconv.Itoa(i) + `}`)
			valid++
			if postBody(client, url, body, "", signature.HMACSHA256Hex("sha256=", []byte(bombSecret), body)) == http.StatusOK {
				validOK++
			}
		}
	}()
	wg.Wait()
	done.Store(true)
	<-validDone
	return statuses, valid, validOK
}

func postBody(client *http.Client, url string, body []byte, encoding, sig string) int {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", sig)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// gzipBomb is a gzip body that expands to n bytes of a JSON string.
func gzipBomb(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write([]byte(`{"pad":"`))
	_, _ = zw.Write(bytes.Repeat([]byte("a"), n-10))
	_, _ = zw.Write([]byte(`"}`))
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// vmHWM reads the peak resident set size of a process, in bytes.
func vmHWM(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM")
	return 0
}
