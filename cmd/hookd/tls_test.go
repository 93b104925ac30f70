package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/hookd/config"
)

// testCert is a self-signed certificate for 127.0.0.1, made in the test.
type testCert struct {
	certPEM, keyPEM []byte
	serial          *big.Int
	pool            *x509.CertPool
}

func newTestCert(t testing.TB, serial int64) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: fmt.Sprintf("hookd test %d", serial)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCert{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
		serial:  big.NewInt(serial), pool: pool,
	}
}

// write puts the pair in dir as cert.pem and key.pem, replacing them
// atomically as a certificate manager would.
func (c *testCert) write(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for path, b := range map[string][]byte{certFile: c.certPEM, keyFile: c.keyPEM} {
		if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// servedSerial connects anew to addr, trusting the certificates of
// trust, and returns the serial number of the certificate the server
// shows, after checking that a request succeeds over the connection.
func servedSerial(t testing.TB, addr string, trust ...*testCert) *big.Int {
	t.Helper()
	pool := x509.NewCertPool()
	for _, c := range trust {
		pool.AppendCertsFromPEM(c.certPEM)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET over TLS: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("GET over TLS: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber
}

// TestTLSReload serves HTTPS through the front door, then reloads the
// certificate as SIGHUP does: new connections get the new certificate,
// and a reload of broken files keeps the old one and logs why.
func TestTLSReload(t *testing.T) {
	dir := t.TempDir()
	c1, c2 := newTestCert(t, 1), newTestCert(t, 2)
	certFile, keyFile := c1.write(t, dir)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	certs, err := newCertHolder(certFile, keyFile, logger)
	if err != nil {
		t.Fatal(err)
	}
	door := &frontDoor{certs: certs}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := door.httpServer(config.Default().Server, testHandler(handlerOptions{}), logger)
	go door.serve(srv, ln)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()
	if got := servedSerial(t, addr, c1); got.Cmp(c1.serial) != 0 {
		t.Fatalf("serial %v, want %v", got, c1.serial)
	}

	hup := make(chan os.Signal)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go certs.reloadOnSignal(ctx, hup)
	c2.write(t, dir)
	hup <- syscall.SIGHUP
	waitLog(t, &logs, "TLS certificate reloaded")
	if got := servedSerial(t, addr, c1, c2); got.Cmp(c2.serial) != 0 {
		t.Fatalf("after reload: serial %v, want %v", got, c2.serial)
	}

	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- syscall.SIGHUP
	waitLog(t, &logs, "TLS certificate not reloaded; the previous one stays in use")
	if !strings.Contains(logs.String(), "tls.key_file") {
		t.Errorf("the log does not say which file is at fault:\n%s", logs.String())
	}
	if got := servedSerial(t, addr, c1, c2); got.Cmp(c2.serial) != 0 {
		t.Fatalf("after a failed reload: serial %v, want %v (kept)", got, c2.serial)
	}
}

func waitLog(t *testing.T, logs *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no log %q in:\n%s", want, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTLSErrors checks the errors of a certificate that cannot serve:
// each names the setting at fault.
func TestTLSErrors(t *testing.T) {
	dir := t.TempDir()
	c1, c2 := newTestCert(t, 1), newTestCert(t, 2)
	certFile, keyFile := c1.write(t, dir)
	otherKey := filepath.Join(dir, "other-key.pem")
	if err := os.WriteFile(otherKey, c2.keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct{ name, cert, key, want string }{
		{"missing cert", filepath.Join(dir, "nope.pem"), keyFile, "tls.cert_file: stat "},
		{"missing key", certFile, filepath.Join(dir, "nope.pem"), "tls.key_file: stat "},
		{"key of another certificate", certFile, otherKey, "private key does not match public key"},
		{"key file holds a certificate", certFile, certFile, "tls.cert_file " + certFile + " and tls.key_file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newCertHolder(tc.cert, tc.key, quiet)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestServeTLSReloadsOnSIGHUP runs hookd serve with tls.cert_file and
// tls.key_file, replaces the files, sends SIGHUP, and checks that new
// connections get the new certificate while the process keeps running.
func TestServeTLSReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	c1, c2 := newTestCert(t, 1), newTestCert(t, 2)
	certFile, keyFile := c1.write(t, dir)
	p := startHookd(t, startOptions{Dir: dir, Args: []string{"serve", "--addr", "127.0.0.1:0"},
		Env: []string{"HOOKD_TLS_CERT_FILE=" + certFile, "HOOKD_TLS_KEY_FILE=" + keyFile}})
	addr := p.waitListening()
	if !strings.Contains(p.Output(), "scheme=https") {
		t.Errorf("the listening line does not say https:\n%s", p.Output())
	}
	if got := servedSerial(t, addr, c1); got.Cmp(c1.serial) != 0 {
		t.Fatalf("serial %v, want %v", got, c1.serial)
	}
	c2.write(t, dir)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLine(regexp.MustCompile(`TLS certificate reloaded`), 20*time.Second)
	if got := servedSerial(t, addr, c1, c2); got.Cmp(c2.serial) != 0 {
		t.Fatalf("after SIGHUP: serial %v, want %v", got, c2.serial)
	}
	if p.exited() {
		t.Fatal("hookd exited on SIGHUP")
	}
}
