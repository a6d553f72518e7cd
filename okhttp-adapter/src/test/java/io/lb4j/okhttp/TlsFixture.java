package io.lb4j.okhttp;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSocketFactory;
import okhttp3.OkHttpClient;
import okhttp3.internal.tls.OkHostnameVerifier;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * Certificates made in the test: a root the clients trust, one they do not, server certificates
 * for chosen names, a client certificate for mutual TLS, and a hostname verifier that records
 * which names it was asked about (then answers as OkHttp's own).
 */
final class TlsFixture {

  final HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).commonName("lb4j test root").build();
  final HeldCertificate untrustedRoot = new HeldCertificate.Builder().certificateAuthority(0).commonName("stranger").build();
  final HeldCertificate clientCertificate = new HeldCertificate.Builder().commonName("orders-client").signedBy(root).build();
  /** Names the clients' verifier was asked to verify, in order. */
  final List<String> verified = new CopyOnWriteArrayList<>();
  final HostnameVerifier recordingVerifier = (name, session) -> {
    verified.add(name);
    return OkHostnameVerifier.INSTANCE.verify(name, session);
  };

  /** A server certificate for {@code name} signed by {@code signer}; trusts {@link #root} for client certificates. */
  SSLSocketFactory server(String name, HeldCertificate signer) {
    HeldCertificate leaf = new HeldCertificate.Builder().commonName(name).addSubjectAlternativeName(name)
        .signedBy(signer).build();
    return new HandshakeCertificates.Builder().heldCertificate(leaf, signer.certificate())
        .addTrustedCertificate(root.certificate()).build().sslSocketFactory();
  }

  /** A server certificate for {@code name} signed by the trusted root. */
  SSLSocketFactory server(String name) {
    return server(name, root);
  }

  /** A client that trusts only {@link #root}, verifies with {@link #recordingVerifier}, and presents a client certificate if asked. */
  OkHttpClient.Builder client(boolean withClientCertificate) {
    HandshakeCertificates.Builder b = new HandshakeCertificates.Builder().addTrustedCertificate(root.certificate());
    if (withClientCertificate) {
      b.heldCertificate(clientCertificate);
    }
    HandshakeCertificates c = b.build();
    return new OkHttpClient.Builder().sslSocketFactory(c.sslSocketFactory(), c.trustManager())
        .hostnameVerifier(recordingVerifier);
  }
}
