// Command cchostile runs internal/hostile, a CTI end that misbehaves on
// purpose (stalled handshakes, dropped links, floods, invalid UTF-8, echoed
// secrets), for the C, Python and C# reliability tests and the soak.
//
//	cchostile -addr 127.0.0.1:0 -tls-addr 127.0.0.1:0
//
// It prints "cchostile listening on http://HOST:PORT" and, with -tls-addr,
// "cchostile tls on https://HOST:PORT" (a self-signed certificate no client
// trusts), then serves until SIGINT/SIGTERM (or, with -exit-on-eof, until its
// stdin closes: a test runner that starts it cannot leave it behind).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cloudcc/agent-sdk/internal/hostile"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (port 0 picks one)")
	tlsAddr := flag.String("tls-addr", "", "also serve TLS (self-signed) here")
	parentPipe := flag.Bool("exit-on-eof", false, "exit when stdin reaches EOF (the parent that started it went away)")
	flag.Parse()
	h := hostile.New()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	quiet := log.New(io.Discard, "", 0)
	go func() { _ = (&http.Server{Handler: h, ErrorLog: quiet}).Serve(ln) }()
	fmt.Printf("cchostile listening on http://%s\n", ln.Addr())
	if *tlsAddr != "" {
		cert, err := selfSigned()
		if err != nil {
			log.Fatal(err)
		}
		tln, err := tls.Listen("tcp", *tlsAddr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if err != nil {
			log.Fatal(err)
		}
		go func() { _ = (&http.Server{Handler: h, ErrorLog: quiet}).Serve(tln) }()
		fmt.Printf("cchostile tls on https://%s\n", tln.Addr())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	if *parentPipe {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			sig <- syscall.SIGTERM
		}()
	}
	<-sig
	h.Close()
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "cchostile"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
