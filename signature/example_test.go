package signature_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd/signature"
)

// The sender's side: one Signer per endpoint, reused for every attempt.
func ExampleSigner_Sign() {
	signer, err := signature.NewSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		log.Fatal(err)
	}
	msgID := "msg_p5jXN8AQM9LWM0D4loKWxJek"
	ts := time.Unix(1614265330, 0) // the time of this attempt
	body := []byte(`{"test": 2432232314}`)

	req, err := http.NewRequest(http.MethodPost, "https://example.com/hook", nil)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set(signature.HeaderID, msgID)
	req.Header.Set(signature.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(signature.HeaderSignature, string(signer.Sign(nil, msgID, ts, body)))

	fmt.Println(req.Header.Get(signature.HeaderSignature))
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

// During a rotation, sign with the new and the old secret.
func ExampleNewSigner_rotation() {
	signer, err := signature.NewSigner(
		"whsec_aG9va2QtdGVzdC1rZXktMjUtYnl0ZXMhIQ==", // new
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",     // old, until receivers have switched
	)
	if err != nil {
		log.Fatal(err)
	}
	body := []byte(`{"type":"webhook.test","timestamp":"2025-01-02T03:04:05.678Z","data":{"note":"rotation"}}`)
	header := signer.Sign(nil, "evt_rotation", time.Unix(1735787045, 0), body)
	for _, entry := range strings.Fields(string(header)) {
		fmt.Println(entry)
	}
	// Output:
	// v1,gYVuur9/elU7yVJ8JwcswgWXkLy4+HPsjEgTDnjq/F0=
	// v1,HqrcPmnxeQ6tMPe6DMYDTuwc9lC/3ewF/PS6UoPobFc=
}

// The receiver's side. NowFunc is fixed here only so the example's output is
// stable; leave it nil in real code.
func ExampleVerifier_Verify() {
	verifier, err := signature.NewVerifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		log.Fatal(err)
	}
	verifier.NowFunc = func() time.Time { return time.Unix(1614265330+60, 0) }

	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")

	fmt.Println(verifier.Verify(h, []byte(`{"test": 2432232314}`)))

	err = verifier.Verify(h, []byte(`{"test": 2432232315}`))
	fmt.Println(errors.Is(err, signature.ErrInvalid))

	verifier.NowFunc = func() time.Time { return time.Unix(1614265330, 0).Add(time.Hour) }
	err = verifier.Verify(h, []byte(`{"test": 2432232314}`))
	fmt.Println(errors.Is(err, signature.ErrExpired))
	// Output:
	// <nil>
	// true
	// true
}

func ExampleHMACSHA256Hex() {
	// GitHub's documented example: X-Hub-Signature-256.
	secret := "It's a Secret to Everybody"
	fmt.Println(signature.HMACSHA256Hex("sha256=", []byte(secret), []byte("Hello, World!")))
	// Output: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
}

func ExampleVerifyHMACSHA256Hex() {
	key := []byte("It's a Secret to Everybody")
	header := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	fmt.Println(signature.VerifyHMACSHA256Hex(header, "sha256=", key, []byte("Hello, World!")))
	err := signature.VerifyHMACSHA256Hex(header, "sha256=", key, []byte("Hello, World?"))
	fmt.Println(errors.Is(err, signature.ErrInvalid))
	// Output:
	// <nil>
	// true
}

func ExampleGenerateSecret() {
	secret, err := signature.GenerateSecret()
	if err != nil {
		log.Fatal(err)
	}
	key, err := signature.DecodeSecret(secret)
	if err != nil {
		log.Fatal(err)
	}
	// The secret itself is random; its shape is not.
	fmt.Println(strings.HasPrefix(secret, "whsec_"), len(secret), len(key))
	fmt.Println(len(signature.SecretPrefix(secret))) // what API reads show
	// Output:
	// true 38 24
	// 10
}

func ExampleSecretPrefix() {
	fmt.Println(signature.SecretPrefix("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
	// Output: whsec_MfKQ
}
