package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/signature"
)

// listenOptions are the flags of "hookd listen".
type listenOptions struct {
	addr       string
	secret     string
	hmacHeader string
	hmacPrefix string
	status     int
}

func newListenCmd(stdout, stderr io.Writer) *cobra.Command {
	var o listenOptions
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Run a local webhook receiver that prints and verifies what it gets",
		Long: `listen runs a receiver for development: it prints each webhook it gets
(method, path, headers, pretty JSON body) and, given --secret, verifies its
signature, answering 401 when it does not verify.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := newListenHandler(o, stdout)
			if err != nil {
				return &usageError{err}
			}
			return serveListen(cmd.Context(), o.addr, h, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", ":9000", "address to listen on")
	f.StringVar(&o.secret, "secret", "", "endpoint secret (whsec_…) to verify signatures with")
	f.StringVar(&o.hmacHeader, "hmac-header", "", "verify the hmac-sha256 scheme in this header instead of Standard Webhooks")
	f.StringVar(&o.hmacPrefix, "hmac-prefix", "", "prefix of the hmac-sha256 signature, such as sha256=")
	f.IntVar(&o.status, "status", http.StatusOK, "status to answer verified (or unverified) webhooks with")
	return cmd
}

// serveListen serves h on addr until ctx ends.
func serveListen(ctx context.Context, addr string, h http.Handler, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	fmt.Fprintf(stderr, "hookd listen: receiving webhooks on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutCtx)
	}
}

// maxListenBody bounds the bodies listen reads.
const maxListenBody = 10 << 20

// listenHandler prints and verifies webhooks.
type listenHandler struct {
	o        listenOptions
	verifier *signature.Verifier
	mu       sync.Mutex // one webhook printed at a time
	out      io.Writer
}

func newListenHandler(o listenOptions, out io.Writer) (*listenHandler, error) {
	h := &listenHandler{o: o, out: out}
	if o.status < 200 || o.status > 599 {
		return nil, fmt.Errorf("--status %d: must be an HTTP status between 200 and 599", o.status)
	}
	if o.secret != "" && o.hmacHeader == "" {
		v, err := signature.NewVerifier(o.secret)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		h.verifier = v
	}
	if o.hmacHeader != "" && o.secret == "" {
		return nil, errors.New("--hmac-header needs --secret")
	}
	return h, nil
}

func (h *listenHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxListenBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	verdict, ok := h.verify(r.Header, body)
	h.print(r, body, verdict)
	if !ok {
		http.Error(w, verdict, http.StatusUnauthorized)
		return
	}
	w.WriteHeader(h.o.status)
}

// verify checks the signature and describes the result.
func (h *listenHandler) verify(hdr http.Header, body []byte) (string, bool) {
	switch {
	case h.o.hmacHeader != "":
		err := signature.VerifyHMACSHA256Hex(hdr.Get(h.o.hmacHeader), h.o.hmacPrefix, []byte(h.o.secret), body)
		if err != nil {
			return "signature INVALID: " + err.Error(), false
		}
		return "signature verified (hmac-sha256)", true
	case h.verifier != nil:
		if err := h.verifier.Verify(hdr, body); err != nil {
			return "signature INVALID: " + err.Error(), false
		}
		return "signature verified (Standard Webhooks)", true
	}
	return "signature not checked (no --secret)", true
}

func (h *listenHandler) print(r *http.Request, body []byte, verdict string) {
	var b strings.Builder
	fmt.Fprintf(&b, "── %s %s  %s\n   %s\n", r.Method, r.URL.RequestURI(), time.Now().UTC().Format(time.RFC3339), verdict)
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&b, "%s: %s\n", strings.ToLower(name), strings.Join(r.Header[name], ", "))
	}
	b.WriteByte('\n')
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		b.Write(pretty.Bytes())
	} else {
		b.Write(body)
	}
	b.WriteString("\n\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	io.WriteString(h.out, b.String())
}
