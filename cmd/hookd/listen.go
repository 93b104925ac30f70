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
	forwardTo  string
}

func newListenCmd(stdout, stderr io.Writer) *cobra.Command {
	var o listenOptions
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Run a local webhook receiver that prints and verifies what it gets",
		Long: `listen runs a receiver for development: it prints each webhook it gets
(method, path, headers, pretty JSON body) and, given --secret, verifies its
signature, answering 401 when it does not verify.

With --forward-to it passes each verified webhook on to your local app
(same method, headers and body), prints the app's answer, and answers the
sender with the app's status, so that hookd's retries behave as they will
in production.`,
		Example: `  hookd listen --secret whsec_… --forward-to http://localhost:3000/webhooks`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := newListenHandler(o, stdout)
			if err != nil {
				return &usageError{err}
			}
			return serveListen(cmd.Context(), o.addr, h, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:9000", "address to listen on (0.0.0.0:9000 to accept other machines)")
	f.StringVar(&o.secret, "secret", "", "endpoint secret (whsec_…) to verify signatures with")
	f.StringVar(&o.hmacHeader, "hmac-header", "", "verify the hmac-sha256 scheme in this header instead of Standard Webhooks")
	f.StringVar(&o.hmacPrefix, "hmac-prefix", "", "prefix of the hmac-sha256 signature, such as sha256=")
	f.IntVar(&o.status, "status", http.StatusOK, "status to answer verified (or unverified) webhooks with, without --forward-to")
	f.StringVar(&o.forwardTo, "forward-to", "", "URL of a local app to pass each verified webhook on to, such as http://localhost:3000/webhooks")
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
	forward  *forwarder // nil without --forward-to
	mu       sync.Mutex // one webhook printed at a time
	out      io.Writer
}

func newListenHandler(o listenOptions, out io.Writer) (*listenHandler, error) {
	h := &listenHandler{o: o, out: out}
	if o.status < 200 || o.status > 599 {
		return nil, fmt.Errorf("--status %d: must be an HTTP status between 200 and 599", o.status)
	}
	if o.secret != "" && o.hmacHeader == "" {
		v, err := listenVerifier(o.secret)
		if err != nil {
			return nil, err
		}
		h.verifier = v
	}
	if o.hmacHeader != "" && o.secret == "" {
		return nil, errors.New("--hmac-header needs --secret")
	}
	if o.forwardTo != "" {
		fw, err := newForwarder(o.forwardTo)
		if err != nil {
			return nil, err
		}
		h.forward = fw
	}
	return h, nil
}

// listenVerifier checks --secret as hookd checks an endpoint's secret, so
// that a mistyped one fails at start rather than at every webhook.
func listenVerifier(secret string) (*signature.Verifier, error) {
	const want = "must be the endpoint's secret, as shown when it was created or its secret rotated: " +
		"whsec_ followed by the base64 of 24 to 64 bytes"
	key, err := signature.DecodeSecret(secret)
	if err != nil || !strings.HasPrefix(secret, "whsec_") || len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("--secret: %s (for an hmac-sha256 endpoint, add --hmac-header)", want)
	}
	return signature.NewVerifier(secret)
}

func (h *listenHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxListenBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	verdict, ok := h.verify(r.Header, body)
	if !ok || h.forward == nil {
		h.print(r, body, verdict, "")
		if !ok {
			http.Error(w, verdict, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(h.o.status)
		return
	}
	ans := h.forward.send(r, body)
	h.print(r, body, verdict, ans.summary())
	ans.write(w)
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

func (h *listenHandler) print(r *http.Request, body []byte, verdict, forwarded string) {
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
	b.WriteString(forwarded)
	h.mu.Lock()
	defer h.mu.Unlock()
	io.WriteString(h.out, b.String())
}
